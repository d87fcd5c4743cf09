"""Fixtures for the `orb` package's tests: a real orbd serving the demo blog
on an ephemeral loopback port (stopped by PID with SIGTERM), connections as
the demo users over each transport (`transport`: "stream" and "unary"), and
a small in-process fake broker for what the blog cannot show (an echo of
every value kind, a call that blocks until cancelled), over unary calls and
over its own Stream.

Run by ctest (label python) with PYTHONPATH=<build>/python, ORB_SOURCE_DIR
and ORB_BINARY_DIR set."""
import os
import queue
import shutil
import sys
import threading
import time
from concurrent import futures

import grpc
import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import orbd_launcher  # noqa: E402  (tests/python/orbd_launcher.py)

import orb
from orb.v1 import broker_pb2, broker_pb2_grpc, error_details_pb2, value_pb2

SOURCE_DIR = os.environ.get("ORB_SOURCE_DIR", os.path.abspath("."))
BINARY_DIR = os.environ.get("ORB_BINARY_DIR", os.path.join(SOURCE_DIR, "build"))
BOB, ALICE = "bob-demo-token", "alice-demo-token"


def start_orbd(log_path):
    return orbd_launcher.start_blog_orbd(SOURCE_DIR, BINARY_DIR, log_path)


stop_orbd = orbd_launcher.stop


def orbd_with_policy_copy(tmp_path, example):
    """Starts an orbd of its own on a copy of examples/blog/`example` (a test
    may rewrite the copy and send SIGHUP); yields (process, address, policy
    path, log path) and stops it afterwards. For a fixture: `yield from`."""
    policy = tmp_path / "policy.textproto"
    shutil.copy(os.path.join(SOURCE_DIR, "examples", "blog", example), policy)
    log = str(tmp_path / "orbd.log")
    proc, m, _ = orbd_launcher.start([orbd_launcher.orbd_path(BINARY_DIR),
                                      "--listen=127.0.0.1:0", "--service=blog",
                                      f"--policy={policy}"], log)
    yield proc, m.group(1), policy, log
    orbd_launcher.stop(proc)


def wait_for_reloads(log_path, count):
    """Waits until orbd's log says "policy reloaded" `count` times."""
    for _ in range(400):
        if orbd_launcher.read_log(log_path).count("policy reloaded") >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"orbd did not reload:\n{orbd_launcher.read_log(log_path)}")


@pytest.fixture(scope="session")
def orbd(tmp_path_factory):
    """(address, log path) of an orbd shared by the session's tests."""
    log = tmp_path_factory.mktemp("orbd") / "orbd.log"
    proc, address = start_orbd(str(log))
    yield address, str(log)
    stop_orbd(proc)
    text = log.read_text(errors="replace")
    assert BOB not in text and ALICE not in text, "orbd's log contains a credential"


@pytest.fixture(scope="session")
def address(orbd):
    return orbd[0]


TRANSPORTS = ["stream", "unary"]


@pytest.fixture(params=TRANSPORTS)
def transport(request):
    """Each test that uses a connection fixture runs over both transports."""
    return request.param


def connect(address, transport, **kwargs):
    """orb.connect over `transport`, checking that it is the one in use."""
    conn = orb.connect(address, transport=transport, **kwargs)
    assert conn.transport == transport
    return conn


@pytest.fixture
def bob(address, transport):
    with connect(address, transport, token=BOB, timeout=20) as conn:
        yield conn


@pytest.fixture
def alice(address, transport):
    with connect(address, transport, token=ALICE, timeout=20) as conn:
        yield conn


@pytest.fixture
def anonymous(address, transport):
    with connect(address, transport, timeout=20) as conn:
        yield conn


class _Aborted(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code, self.message = code, message


class _FrameContext:
    """What the fake's unary handlers use of a grpc context, for one frame
    of its Stream: cancelled by a cancel frame or the stream's end."""

    def __init__(self, stream_context):
        self._stream = stream_context
        self._cancelled = threading.Event()
        self._callbacks = []
        self.trailers = ()

    def cancel(self):
        self._cancelled.set()
        for cb in self._callbacks:
            cb()

    def is_active(self):
        return not self._cancelled.is_set() and self._stream.is_active()

    def add_callback(self, cb):
        self._callbacks.append(cb)  # a cancel frame only (is_active sees the stream end)

    def set_trailing_metadata(self, trailers):
        self.trailers = trailers

    def abort(self, code, message):
        raise _Aborted(code, message)


class FakeBroker(broker_pb2_grpc.ObjectBrokerServicer):
    """Speaks orb.v1 for a few members of its root: call `echo(*args)`
    answers its arguments as a list (or the only one), getattr `slow` blocks
    until the caller cancels (recorded in `cancelled`), and over the Stream
    getattr `break_stream` ends the stream with UNAVAILABLE. With
    `stream=True` it offers the Stream (feature "stream"), each frame run by
    the unary handler on a thread of its own."""

    def __init__(self, stream=True):
        self.stream = stream
        self.cancelled = threading.Event()
        self.slow_started = threading.Event()
        self.released = []
        self.streams_opened = 0

    def OpenSession(self, request, context):
        return broker_pb2.OpenSessionResponse(
            session="fake-session", lease_seconds=60, protocol="orb.v1",
            features=["stream"] if self.stream else [],
            root=value_pb2.HandleRef(id="root-handle", type_name="fake.Root"))

    _HANDLERS = {"get_attr": "GetAttr", "call": "Call", "describe": "Describe",
                 "release": "Release", "close_session": "CloseSession",
                 "keep_alive": "KeepAlive", "open_session": "OpenSession"}

    def Stream(self, request_iterator, context):
        if not self.stream:
            context.abort(grpc.StatusCode.UNIMPLEMENTED, "no Stream here")
        self.streams_opened += 1
        answers = queue.SimpleQueue()
        running = {}
        broken = threading.Event()

        def run(frame, field, frame_context):
            try:
                response = getattr(self, self._HANDLERS[field])(getattr(frame, field),
                                                                frame_context)
                answer = broker_pb2.StreamResponse(id=frame.id, **{field: response})
            except _Aborted as e:
                answer = broker_pb2.StreamResponse(id=frame.id)
                answer.error.code = e.code.value[0]
                answer.error.code_name = e.code.name
                answer.error.message = e.message
                for key, value in frame_context.trailers:
                    if key == "grpc-status-details-bin":
                        status = error_details_pb2.Status.FromString(value)
                        status.details[0].Unpack(answer.error.info)
            if frame_context._cancelled.is_set():
                answer = broker_pb2.StreamResponse(id=frame.id)
                answer.error.code = grpc.StatusCode.CANCELLED.value[0]
                answer.error.message = "cancelled"
            running.pop(frame.id, None)
            answers.put(answer)

        def read():
            try:
                for frame in request_iterator:
                    if not take(frame):
                        return
            except grpc.RpcError:  # the client went away
                pass
            answers.put(None)

        def take(frame):
            if True:
                field = frame.WhichOneof("operation")
                if field == "cancel":
                    if frame.id in running:
                        running[frame.id].cancel()
                    return True
                if field == "get_attr" and frame.get_attr.name == "break_stream":
                    broken.set()
                    answers.put(None)
                    return False
                running[frame.id] = frame_context = _FrameContext(context)
                threading.Thread(target=run, args=(frame, field, frame_context),
                                 daemon=True).start()
                return True

        threading.Thread(target=read, daemon=True).start()
        while True:
            answer = answers.get()
            if answer is None:
                break
            yield answer
        if broken.is_set():
            context.abort(grpc.StatusCode.UNAVAILABLE, "the fake broke the stream")

    @staticmethod
    def _name_not_found(context, name):
        """Refuses as orbd does: NOT_FOUND with an ErrorInfo in the trailer."""
        status = error_details_pb2.Status(code=grpc.StatusCode.NOT_FOUND.value[0],
                                          message=f"no attribute {name!r}")
        status.details.add().Pack(error_details_pb2.ErrorInfo(reason="NAME_NOT_FOUND",
                                                              gate="olp"))
        context.set_trailing_metadata((("grpc-status-details-bin",
                                        status.SerializeToString()),))
        context.abort(grpc.StatusCode.NOT_FOUND, f"no attribute {name!r}")

    def Describe(self, request, context):
        return broker_pb2.DescribeResponse(
            type_name="fake.Root", view="instance",
            members=[broker_pb2.MemberInfo(op="call", name="echo", lock="view", allowed=True),
                     broker_pb2.MemberInfo(op="getattr", name="slow", lock="view",
                                           allowed=True)])

    def Call(self, request, context):
        if request.name != "echo":
            self._name_not_found(context, request.name)
        args = list(request.args)
        if request.kwargs:
            args.append(value_pb2.Value(map_value=value_pb2.ValueMap(fields=request.kwargs)))
        result = args[0] if len(args) == 1 else value_pb2.Value(
            list_value=value_pb2.ValueList(values=args))
        return broker_pb2.CallResponse(result=result)

    def GetAttr(self, request, context):
        if request.name == "slow":
            context.add_callback(self.cancelled.set)
            self.slow_started.set()
            while context.is_active():
                time.sleep(0.01)
            return broker_pb2.GetAttrResponse()
        self._name_not_found(context, request.name)

    def Release(self, request, context):
        self.released.extend(request.handles)
        return broker_pb2.ReleaseResponse(released=len(request.handles))

    def CloseSession(self, request, context):
        return broker_pb2.CloseSessionResponse()

    def KeepAlive(self, request, context):
        return broker_pb2.KeepAliveResponse(lease_seconds=60)


@pytest.fixture
def fake():
    """(FakeBroker, address) on an ephemeral port."""
    servicer = FakeBroker()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    broker_pb2_grpc.add_ObjectBrokerServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield servicer, f"127.0.0.1:{port}"
    server.stop(grace=None)


def handle_count(conn):
    """References the broker holds for this session, after sending every
    queued release."""
    conn.flush()
    return sum(h.references for h in conn.list_handles())
