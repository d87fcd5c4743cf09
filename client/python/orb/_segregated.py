"""A Stream call driven by the threads that wait on it, over grpcio's
"segregated" call: the call has a completion queue of its own, and the
caller that waits for an answer reads that queue itself (the *leader*),
handing other threads' answers to them. A lone caller thus sends, waits and
reads in its own thread, as grpcio's blocking unary call does, with no hop
through a sender or reader thread; that is what makes the stream faster
than a unary call from Python (docs/performance.md).

This uses grpcio internals (``grpc._cython.cygrpc``; the calls grpcio's own
blocking calls make); `available()` says whether this grpcio has them, and
_stream.py falls back to its queue-and-reader-thread stream otherwise.

The rules grpc core sets, and how they are kept:
- one SendMessage at a time: frames wait in `_sendq` while one is being
  sent; whoever reads the send's completion sends the next;
- one ReceiveMessage at a time: the reader starts the next one as soon as
  one completes;
- the queue is read by one thread at a time (the `_leading` lock); the
  leader reads until its own answer came, then wakes a waiting thread to
  lead in its place.
A watchdog thread sends a cancel frame for a leader whose deadline passed
with no answer; writing it wakes the leader, which raises DeadlineExceeded.
"""
from __future__ import annotations

import collections
import threading
import time
import _thread
from typing import Any, Optional

import grpc

from ._errors import DeadlineExceeded, Unavailable, from_status
from .v1 import broker_pb2

try:
    from grpc._cython import cygrpc
except ImportError:  # pragma: no cover (another grpc)
    cygrpc = None

_SEND, _RECV, _META, _STATUS = "send", "recv", "meta", "status"
_PATH = b"/orb.v1.ObjectBroker/Stream"
_WAIT_SLICE = 0.05
_DEADLINE_GRACE = 0.05


def available(channel: grpc.Channel) -> bool:
    """Whether this grpcio has the internals this module uses."""
    return (cygrpc is not None and hasattr(channel, "_channel")
            and hasattr(channel._channel, "segregated_call")
            and all(hasattr(cygrpc, n) for n in (
                "SendInitialMetadataOperation", "ReceiveInitialMetadataOperation",
                "ReceiveStatusOnClientOperation", "SendMessageOperation",
                "ReceiveMessageOperation", "SendCloseFromClientOperation",
                "PropagationConstants")))


class SegregatedStream:
    """One Stream call; same interface as _stream._Stream (`waiting`,
    `broken`, `fail`, `send`, `wait`, `close`)."""

    def __init__(self, channel: grpc.Channel, metadata, limit) -> None:
        self.waiting: dict = {}
        self.broken: Optional[BaseException] = None
        self._limit = limit
        self._mutex = threading.Lock()  # _sendq, _sending, waiter signalling
        self._sendq: collections.deque = collections.deque()
        self._sending = False
        self._leading = _thread.allocate_lock()
        self._leader_deadline: Optional[float] = None
        self._leader_id = 0
        md = tuple(metadata)
        self._call = channel._channel.segregated_call(
            cygrpc.PropagationConstants.GRPC_PROPAGATE_DEFAULTS, _PATH, None, None, md, None,
            (((cygrpc.SendInitialMetadataOperation(md, 0),), None),
             ((cygrpc.ReceiveInitialMetadataOperation(0),), _META),
             ((cygrpc.ReceiveStatusOnClientOperation(0),), _STATUS)), None)
        self._call.operate((cygrpc.ReceiveMessageOperation(0),), _RECV)
        self._watchdog = threading.Thread(target=self._watch, name="orb-stream-watchdog",
                                          daemon=True)
        self._watchdog.start()

    # --- sending ----------------------------------------------------------------

    def send(self, frame: broker_pb2.StreamRequest) -> None:
        data = frame.SerializeToString()
        with self._mutex:
            if self._sending:
                self._sendq.append(data)
                return
            self._sending = True
        self._start_send(data)

    def _start_send(self, data: bytes) -> None:
        try:
            self._call.operate((cygrpc.SendMessageOperation(data, 0),), _SEND)
        except Exception as e:  # the call has ended: its status says why
            with self._mutex:
                self._sending = False
                self._sendq.clear()
            if self.broken is None:
                self.fail(Unavailable(f"the stream to the broker has ended ({e}); the operation "
                                      "was not sent", code=grpc.StatusCode.UNAVAILABLE))

    # --- waiting and reading ------------------------------------------------------

    def wait(self, w, deadline: Optional[float], step: str) -> None:
        """Returns when `w` is answered or failed; raises DeadlineExceeded
        past the deadline (and whatever interrupts the wait)."""
        while w.response is None and w.error is None:
            if self._leading.acquire(False):
                self._lead(w, deadline, step)
                return
            # Another thread reads: it signals w when w's answer comes, or
            # pokes w to take over reading when it leaves.
            if w.lock.acquire(timeout=_WAIT_SLICE):
                with self._mutex:
                    w.signalled = False
            elif deadline is not None and time.monotonic() > deadline + _DEADLINE_GRACE:
                raise DeadlineExceeded("Deadline Exceeded",
                                       code=grpc.StatusCode.DEADLINE_EXCEEDED, step=step)

    def _lead(self, w, deadline: Optional[float], step: str) -> None:
        self._leader_deadline, self._leader_id = deadline, w.op_id
        try:
            call = self._call
            # Reads until its own answer came. A frame still being sent is
            # finished by whoever reads next (every frame's sender waits
            # for its answer, so someone will; a cancel frame of a thread
            # that left goes out with the next operation at the latest).
            while w.response is None and w.error is None:
                if self._interrupted:
                    self._interrupted = False
                    raise KeyboardInterrupt
                if deadline is not None and \
                        time.monotonic() > deadline + _DEADLINE_GRACE:
                    raise DeadlineExceeded("Deadline Exceeded",
                                           code=grpc.StatusCode.DEADLINE_EXCEEDED, step=step)
                try:
                    event = call.next_event()
                except BaseException as e:
                    # Raised inside grpcio's read (an interrupt under a
                    # SIGINT handler other than orb's): an answer may have
                    # been taken and lost, so this stream is given up.
                    self._abandon(e)
                    raise
                self._dispatch(event, w)
        finally:
            self._leader_deadline = None
            self._leading.release()
            self._hand_over()

    def _hand_over(self) -> None:
        """Wakes one thread still waiting, to read in the leader's place."""
        if not self.waiting:
            return
        for other in list(self.waiting.values()):
            if other.response is None and other.error is None and not other.gone:
                self._signal(other)
                return

    def _signal(self, w) -> None:
        with self._mutex:
            if not w.signalled:
                w.signalled = True
                w.lock.release()

    def _dispatch(self, event, own=None) -> None:
        """Handles one event of the call; `own` is the reading thread's own
        waiter (not signalled: it is not waiting on its lock)."""
        tag = event.tag
        if tag == _RECV:
            data = event.batch_operations[0].message() if event.success else None
            if data is None:
                return  # the stream ends; its status comes next
            self._call.operate((cygrpc.ReceiveMessageOperation(0),), _RECV)
            answer = broker_pb2.StreamResponse.FromString(data)
            w = self.waiting.pop(answer.id, None)
            if w is not None:
                w.response = answer
                if w is not own:
                    self._signal(w)
        elif tag == _SEND:
            with self._mutex:
                data = self._sendq.popleft() if self._sendq and event.success else None
                if data is None:
                    self._sending = False
                    if not event.success:
                        self._sendq.clear()
            if data is not None:
                self._start_send(data)
        elif tag == _META:
            self._limit.learn(event.batch_operations[0].initial_metadata())
        elif tag == _STATUS:
            op = event.batch_operations[0]
            code = _code(op.code())
            error = from_status(code, op.details() or "", op.trailing_metadata() or ())
            self.fail(Unavailable(
                f"the stream to the broker broke ({error.message or code.name}); the answer to "
                "this operation was lost and it may or may not have run",
                code=grpc.StatusCode.UNAVAILABLE) if code != grpc.StatusCode.OK else Unavailable(
                "the broker ended the stream before answering this operation; it may or may "
                "not have run", code=grpc.StatusCode.UNAVAILABLE))
            with self._mutex:
                self._sending = False
                self._sendq.clear()

    def fail(self, error: BaseException) -> None:
        """Marks the stream broken and fails every operation waiting on it."""
        self.broken = error
        while self.waiting:
            try:
                _, w = self.waiting.popitem()
            except KeyError:
                break
            w.error = error
            self._signal(w)

    # --- interrupts -------------------------------------------------------------------

    _interrupted = False

    def interrupt(self) -> None:
        """Ctrl-C while the leader reads (called by orb's SIGINT handler,
        _interrupts.py): the leader raises KeyboardInterrupt between two
        answers, never inside grpcio's read, where an answer could be lost.
        A cancel frame for its operation, sent from another thread, wakes
        it (the frame's send completes)."""
        self._interrupted = True
        op_id = self._leader_id
        threading.Thread(target=self.send, daemon=True, args=(broker_pb2.StreamRequest(
            id=op_id, cancel=broker_pb2.CancelOperation()),)).start()

    def _abandon(self, e: BaseException) -> None:
        try:
            self._call.cancel(grpc.StatusCode.CANCELLED.value[0], "interrupted")
        except Exception:
            pass
        self.fail(Unavailable(f"the stream was given up after an interruption ({type(e).__name__})"
                              "; the operation may or may not have run",
                              code=grpc.StatusCode.UNAVAILABLE))

    # --- deadline watchdog and close --------------------------------------------------

    def _watch(self) -> None:
        """Cancels a leader's operation once its deadline passed, so that
        the leader, blocked reading, wakes (the cancel's send completes)."""
        cancelled = 0
        while self.broken is None and not self._closed():
            time.sleep(_WAIT_SLICE)
            deadline, op_id = self._leader_deadline, self._leader_id
            if deadline is not None and op_id != cancelled and \
                    time.monotonic() > deadline + _DEADLINE_GRACE:
                cancelled = op_id
                self.send(broker_pb2.StreamRequest(id=op_id, cancel=broker_pb2.CancelOperation()))

    _is_closed = False

    def _closed(self) -> bool:
        return self._is_closed

    def close(self) -> None:
        """Ends the call (every answer due has come: the connection closes
        after CloseSession) and reads its last events."""
        self._is_closed = True
        try:
            self._call.cancel(grpc.StatusCode.CANCELLED.value[0], "the connection is closed")
        except Exception:
            pass
        if self._leading.acquire(False):
            try:
                end = time.monotonic() + 1.0
                while self.broken is None and time.monotonic() < end:
                    self._dispatch(self._call.next_event())
            except Exception:
                pass
            finally:
                self._leading.release()


_CODES = {c.value[0]: c for c in grpc.StatusCode}


def _code(raw: Any) -> grpc.StatusCode:
    return _CODES.get(raw, grpc.StatusCode.UNKNOWN)
