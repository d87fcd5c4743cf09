"""Fixtures for the `orb` package's tests: a real orbd serving the demo blog
on an ephemeral loopback port (stopped by PID with SIGTERM), connections as
the demo users, and a small in-process fake broker for what the blog cannot
show (an echo of every value kind, a call that blocks until cancelled).

Run by ctest (label python) with PYTHONPATH=<build>/python, ORB_SOURCE_DIR
and ORB_BINARY_DIR set."""
import os
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


@pytest.fixture
def bob(address):
    with orb.connect(address, token=BOB, timeout=20) as conn:
        yield conn


@pytest.fixture
def alice(address):
    with orb.connect(address, token=ALICE, timeout=20) as conn:
        yield conn


@pytest.fixture
def anonymous(address):
    with orb.connect(address, timeout=20) as conn:
        yield conn


class FakeBroker(broker_pb2_grpc.ObjectBrokerServicer):
    """Speaks orb.v1 for two members of its root: call `echo(*args)` answers
    its arguments as a list (or the only one), getattr `slow` blocks until
    the caller cancels (recorded in `cancelled`)."""

    def __init__(self):
        self.cancelled = threading.Event()
        self.slow_started = threading.Event()
        self.released = []

    def OpenSession(self, request, context):
        return broker_pb2.OpenSessionResponse(
            session="fake-session", lease_seconds=60, protocol="orb.v1",
            root=value_pb2.HandleRef(id="root-handle", type_name="fake.Root"))

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
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
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
