"""The Stream transport: every operation of a connection as a frame of one
long-lived orb.v1.ObjectBroker/Stream call.

Two ways to drive the call, the same to the rest of the package:
- `SegregatedStream` (_segregated.py, used where grpcio has the internals
  it needs): the waiting threads read the call's answers themselves, one at
  a time, and hand the others' answers over: no thread hop for a lone
  caller, the fastest measured (docs/performance.md);
- `_Stream` (public grpcio API): callers put frames on a queue that
  grpcio's own sender thread drains; one reader thread takes the answers as
  they come (in any order) and hands each to the caller waiting for its id.
Either way a caller never blocks on a write while answers wait, so a broker
that stops reading at its in-flight limit never blocks the answers.

- Ids rise and are never reused, so a late answer (of an operation given
  up on) finds no one waiting and is dropped.
- At most `orb-max-operations-in-flight` (announced by the broker; 32 until
  it is known) operations are in flight; more callers wait their turn, so a
  cancel frame is always read at once.
- Deadline: the frame carries what is left of it (``timeout_ms``); at the
  deadline the caller stops waiting, sends a cancel frame and raises
  orb.DeadlineExceeded. KeyboardInterrupt (or any exception) while waiting
  sends a cancel frame too.
- A stream that breaks (the broker went away, the network failed) fails
  every operation waiting on it with orb.Unavailable, saying the answer was
  lost (the operation may or may not have run); the next operation opens a
  new stream. The retries after a lost connection (SyncTransport._send,
  _transport.py) are such next operations: a retry goes over the new
  stream.
"""
from __future__ import annotations

import itertools
import math
import queue
import threading
import time
import _thread
from typing import Any, Dict, Optional, Sequence, Tuple

import grpc

from ._errors import ConnectionClosed, DeadlineExceeded, Unavailable, from_rpc_error
from ._segregated import SegregatedStream, available as segregated_available
from ._transport import Retries, SyncTransport, operation_error
from .v1 import broker_pb2

_METHOD = "/orb.v1.ObjectBroker/Stream"
DEFAULT_IN_FLIGHT = 32
# How long past its deadline a caller waits for the broker's own answer
# (DEADLINE_EXCEEDED) before it gives up locally: the broker counts the
# deadline from when it reads the frame, a little after it was sent.
_DEADLINE_GRACE = 0.05
_WAIT_SLICE = 0.05

# unary method → the StreamRequest / StreamResponse field that carries it
FIELDS = {
    "OpenSession": "open_session", "CloseSession": "close_session", "KeepAlive": "keep_alive",
    "GetAttr": "get_attr", "GetAttrs": "get_attrs", "SetAttr": "set_attr",
    "DelAttr": "del_attr", "Call": "call", "Release": "release", "ListHandles": "list_handles",
    "Describe": "describe", "Restrict": "restrict", "Batch": "batch",
}


class _Waiter:
    """One operation waiting for its answer: `lock` is held until the
    reader (or a broken stream) sets `response` or `error`."""

    __slots__ = ("lock", "response", "error", "op_id", "signalled", "gone")

    def __init__(self, op_id: int) -> None:
        self.lock = _thread.allocate_lock()
        self.lock.acquire()
        self.response: Any = None
        self.error: Optional[BaseException] = None
        self.op_id = op_id
        self.signalled = False  # the lock was released (segregated streams)
        self.gone = False  # its caller stopped waiting (interrupted, deadline)


class _Stream:
    """One Stream call, its sender queue, its waiters and its reader thread."""

    def __init__(self, multicallable, metadata: Tuple[Tuple[str, str], ...],
                 limit: "_Limit") -> None:
        self.frames: "queue.SimpleQueue[Optional[broker_pb2.StreamRequest]]" = \
            queue.SimpleQueue()
        self.waiting: Dict[int, _Waiter] = {}
        self.broken: Optional[BaseException] = None
        self._limit = limit
        self.call = multicallable(iter(self.frames.get, None), metadata=metadata)
        self.reader = threading.Thread(target=self._read, name="orb-stream-reader", daemon=True)
        self.reader.start()

    def _read(self) -> None:
        waiting, limit = self.waiting, self._limit
        first = True
        try:
            for answer in self.call:
                if first:
                    first = False
                    limit.learn(self.call.initial_metadata())
                w = waiting.pop(answer.id, None)
                if w is not None:
                    w.response = answer
                    w.lock.release()
            error: BaseException = Unavailable(
                "the broker ended the stream before answering this operation; it may or may "
                "not have run", code=grpc.StatusCode.UNAVAILABLE)
        except grpc.RpcError as e:
            error = _lost(e)
        except BaseException as e:  # never leave a caller waiting
            error = Unavailable(f"the stream's reader failed ({e!r}); the operation may or may "
                                "not have run", code=grpc.StatusCode.UNAVAILABLE)
        self.fail(error)

    def fail(self, error: BaseException) -> None:
        """Marks the stream broken and fails every operation waiting on it."""
        self.broken = error
        while self.waiting:
            try:
                _, w = self.waiting.popitem()
            except KeyError:
                break
            w.error = error
            w.lock.release()

    def send(self, frame: broker_pb2.StreamRequest) -> None:
        self.frames.put(frame)

    def wait(self, w: _Waiter, deadline: Optional[float], step: str) -> None:
        """Returns when `w` is answered (or failed); raises DeadlineExceeded
        past the deadline."""
        # Waits in slices, so that a KeyboardInterrupt that reaches another
        # thread (or _thread.interrupt_main) is raised here soon.
        acquire = w.lock.acquire
        while not acquire(timeout=_WAIT_SLICE):
            if deadline is not None and time.monotonic() > deadline + _DEADLINE_GRACE:
                raise DeadlineExceeded("Deadline Exceeded",
                                       code=grpc.StatusCode.DEADLINE_EXCEEDED, step=step)

    def close(self) -> None:
        self.frames.put(None)  # half-close: the broker answers what is in flight, then ends


def _lost(e: grpc.RpcError) -> BaseException:
    """The error for operations whose stream ended with status `e`."""
    error = from_rpc_error(e, "")
    if e.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED,
                    grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN):
        # Keep the class the status maps to (orb.Unavailable for a broker
        # that went away) but say what it means for the operation.
        return Unavailable(f"the stream to the broker broke ({error.message}); the answer to "
                           "this operation was lost and it may or may not have run",
                           code=grpc.StatusCode.UNAVAILABLE)
    return error


class _Limit:
    """The broker's limit of operations in flight on one stream (32 until
    its header says). The operations in flight are the stream's `waiting`
    entries, so counting needs no lock of its own; threads racing past the
    check can exceed the limit by a few, which the broker absorbs (it
    stops reading for a moment)."""

    def __init__(self) -> None:
        self.limit = DEFAULT_IN_FLIGHT

    def wait_below(self, waiting: dict, deadline: Optional[float]) -> bool:
        """Waits until fewer than `limit` operations are in flight; False
        when the deadline passes first."""
        while len(waiting) >= self.limit:
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(0.0005)
        return True

    def learn(self, metadata) -> None:
        for key, value in metadata or ():
            if key == "orb-max-operations-in-flight":
                try:
                    announced = int(value)
                except ValueError:
                    return
                if announced > 0:
                    self.limit = announced


class StreamTransport(SyncTransport):
    """Runs plans as frames of one Stream call per connection (reopened when
    it breaks). Thread-safe: any number of threads may wait on it at once."""

    name = "stream"

    def __init__(self, channel: grpc.Channel, metadata: Sequence[Tuple[str, str]],
                 retries: Optional[Retries] = None) -> None:
        self._channel = channel
        self._metadata = tuple(metadata)
        self.retries = retries if retries is not None else Retries()
        self._multicallable = channel.stream_stream(
            _METHOD, request_serializer=broker_pb2.StreamRequest.SerializeToString,
            response_deserializer=broker_pb2.StreamResponse.FromString)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._stream: Optional[_Stream] = None
        self._limit = _Limit()
        self._closed = False
        # Read by the waiting threads themselves where this grpcio allows
        # it (_segregated.py, the faster); else a queue and a reader thread.
        self.segregated = segregated_available(channel)

    @property
    def max_in_flight(self) -> int:
        """The broker's limit of operations in flight on one stream."""
        return self._limit.limit

    def _current(self) -> _Stream:
        stream = self._stream
        if stream is not None and stream.broken is None:
            return stream
        with self._lock:
            if self._closed:
                raise ConnectionClosed("the connection is closed")
            stream = self._stream
            if stream is None or stream.broken is not None:
                if self.segregated:
                    stream = SegregatedStream(self._channel, self._metadata, self._limit)
                else:
                    stream = _Stream(self._multicallable, self._metadata, self._limit)
                self._stream = stream
            return stream

    def _try(self, method: str, request: Any, timeout: Optional[float], step: str) -> Any:
        deadline = None if timeout is None else time.monotonic() + timeout
        stream = self._current()
        if len(stream.waiting) >= self._limit.limit and \
                not self._limit.wait_below(stream.waiting, deadline):
            raise DeadlineExceeded("the deadline passed while waiting for a free slot on the "
                                   "stream", code=grpc.StatusCode.DEADLINE_EXCEEDED, step=step)
        field = FIELDS[method]
        op_id = next(self._ids)
        frame = broker_pb2.StreamRequest(id=op_id, **{field: request})
        if timeout is not None:
            frame.timeout_ms = max(1, math.ceil(timeout * 1000))
        w = _Waiter(op_id)
        stream.waiting[op_id] = w
        if stream.broken is not None and stream.waiting.pop(op_id, None) is not None:
            # The stream broke between _current() and registering: fail now.
            raise _with_step(stream.broken, step)
        sent = False
        try:
            stream.send(frame)
            sent = True
            stream.wait(w, deadline, step)
        except BaseException:
            w.gone = True
            if w.response is None and w.error is None and (sent or op_id in stream.waiting):
                # Interrupted or past the deadline: cancel it on the broker.
                # Its answer (CANCELLED) still comes and frees its slot; the
                # id is never used again.
                stream.send(broker_pb2.StreamRequest(id=op_id,
                                                     cancel=broker_pb2.CancelOperation()))
            raise
        if w.error is not None:
            raise _with_step(w.error, step)
        answer = w.response
        which = answer.WhichOneof("outcome")
        if which == "error":
            if answer.error.code == grpc.StatusCode.CANCELLED.value[0] and \
                    deadline is not None and time.monotonic() >= deadline:
                # Cancelled because its deadline passed with no answer.
                raise DeadlineExceeded("Deadline Exceeded",
                                       code=grpc.StatusCode.DEADLINE_EXCEEDED, step=step)
            raise operation_error(answer.error, step)
        return getattr(answer, which)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            stream, self._stream = self._stream, None
        if stream is not None:
            stream.close()
        self._channel.close()


def _with_step(error: BaseException, step: str) -> BaseException:
    """A copy of a stream failure naming the caller's own step (one error
    object may fail many operations)."""
    if isinstance(error, Unavailable):
        return Unavailable(error.message, code=error.code, reason=error.reason, gate=error.gate,
                           step=step)
    if hasattr(error, "step"):
        copy = type(error)(error.message, code=error.code, reason=error.reason,
                           gate=error.gate, method_error_type=error.method_error_type, step=step)
        return copy
    return error
