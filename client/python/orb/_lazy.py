"""Lazy calls of the blocking API: a call whose result is an object is not
sent when it is made but with the first operation that needs it, so that
``blog.entry("x").title`` is one round trip.

A `Pending` stands for such a call's result; a proxy whose ``_orb_ref`` is a
Pending is a lazy proxy. The `Pipeline` keeps, per thread, the calls not
sent yet and sends them, in the order they were made, in front of:

- the first operation on their result (one plan: one Batch, or one frame);
- the next operation of the same thread on the connection, whatever it is,
  so that the broker sees a thread's operations in program order;
- conn.flush() and conn.close(); and the background thread sends a call
  that waited longer than RELEASE_INTERVAL.

A plan stops at its first failure. The failure of a lazy call is raised at
the first of: the first use of its result, the thread's next operation
(which did not run: it came after the failure), or a later use. The error
names the call's own step (``call 'add_entry'``).
"""
from __future__ import annotations

import itertools
import threading
import time
import _thread
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import grpc

from ._errors import Cancelled, OrbError
from ._transport import Op, Ref
from ._values import decode
from .v1 import value_pb2

UNSENT, SENDING, DONE, FAILED = range(4)


class NotAnObject(TypeError):
    """A lazy call's result turned out not to be an object (a method that
    returned objects before returned a plain value this time)."""


class Pending:
    """The result of a call not answered yet. Reading ``id``, ``type_name``
    or ``is_class`` (as a HandleRef has them) waits for the answer, sending
    the call first if needed."""

    __slots__ = ("pipeline", "op", "key", "expected", "seq", "owner", "born", "state", "handle",
                 "value", "error", "lock", "orphaned", "reported", "claim")

    def __init__(self, pipeline: "Pipeline", op: Op, key: Any, expected: Tuple[str, bool],
                 seq: int) -> None:
        self.pipeline = pipeline
        self.op = op
        self.key = key  # what the connection learned the method by
        self.expected = expected  # (type name, is_class) of its earlier results
        self.seq = seq
        self.owner = _thread.get_ident()
        self.born = time.monotonic()
        self.state = UNSENT
        self.handle: Optional[value_pb2.HandleRef] = None
        self.value: Optional[value_pb2.Value] = None
        self.error: Optional[BaseException] = None
        self.lock = _thread.allocate_lock()  # held while the call is in flight
        self.orphaned = False  # its proxy was collected
        self.reported = False  # its error was raised once
        self.claim = [True]  # popped by whoever releases its handle

    def resolve(self) -> value_pb2.HandleRef:
        """The handle the call returned (sends and waits as needed)."""
        if self.state != DONE:
            if self.state != FAILED:
                self.pipeline.run((), need=(self,))
            if self.state == FAILED:
                self.reported = True
                raise self.error
        if self.handle is None:
            shown = decode(self.value, lambda ref: ref) \
                if isinstance(self.value, value_pb2.Value) else self.value
            raise NotAnObject(f"{self.op.step()} returned {shown!r}, not an object; "
                              "its result was taken for an object because it was one before "
                              "(docs/python.md, lazy calls)")
        return self.handle

    @property
    def id(self) -> str:
        return self.resolve().id

    @property
    def type_name(self) -> str:
        return self.resolve().type_name

    @property
    def is_class(self) -> bool:
        return self.resolve().is_class


class Pipeline:
    """The lazy calls of one connection. `outcomes(ops)` runs a plan (the
    connection's transport); `settled(pending, release)` is told each answer
    (the connection learns from it, and releases `release`, the handle of a
    call whose proxy was already collected, when not None)."""

    def __init__(self, outcomes: Callable[[Sequence[Op]], List[Any]],
                 settled: Callable[[Pending], None]) -> None:
        self._outcomes = outcomes
        self._settled = settled
        self._lock = threading.Lock()
        self._unsent: Dict[int, List[Pending]] = {}
        self._seq = itertools.count()

    def add(self, op: Op, key: Any, expected: Tuple[str, bool]) -> Pending:
        p = Pending(self, op, key, expected, next(self._seq))
        with self._lock:
            self._unsent.setdefault(p.owner, []).append(p)
        return p

    def has_unsent(self) -> bool:
        return bool(self._unsent)

    def orphan(self, p: Pending) -> Optional[str]:
        """p's proxy was collected: returns the handle to release now, or
        None (released when the answer comes, if it is an object). Runs
        from __del__, so it takes no lock (a collection may run while this
        thread holds one); `claim` makes sure one side releases."""
        p.orphaned = True
        if p.state == DONE and p.handle is not None:
            return p.handle.id if _claim(p) else None
        return None

    def run(self, ops: Sequence[Op], need: Sequence[Pending] = ()) -> List[Any]:
        """Runs `ops` (whose targets may be Pendings) after this thread's
        unsent calls and every unsent call they need, as one plan; returns
        the ops' results or raises the first failure."""
        if not self._unsent and not need and (
                type(ops[0].target) is not Pending if len(ops) == 1
                else not any(type(op.target) is Pending for op in ops)):
            # Nothing lazy anywhere: the plan is just `ops` (the common case).
            results = self._outcomes(ops)
            for r in results:
                if isinstance(r, OrbError):
                    raise r
            return results
        plan, waits, deferred = self._take(ops, need, _thread.get_ident())
        if deferred is not None:
            raise deferred
        return self._send(plan, waits, ops)

    def flush(self, min_age: float = 0.0) -> None:
        """Sends every thread's unsent calls (those older than `min_age`
        seconds); their errors are kept for their use or their thread."""
        now = time.monotonic()
        with self._lock:
            plan = [p for lst in self._unsent.values() for p in lst
                    if p.state == UNSENT and now - p.born >= min_age]
            self._closure(plan, set(plan), [])
            for p in plan:
                p.state = SENDING
                p.lock.acquire()
            for tid in [t for t, lst in self._unsent.items()
                        if all(p.state in (DONE, FAILED) and (p.reported or not p.orphaned)
                               for p in lst)]:
                del self._unsent[tid]  # nothing left to send or to report
        if plan:
            plan.sort(key=lambda p: p.seq)
            try:
                self._send(plan, [], ())
            except BaseException:
                pass  # kept on each Pending

    # --- internals ------------------------------------------------------------

    def _take(self, ops, need, tid) -> Tuple[List[Pending], List[Pending], Any]:
        with self._lock:
            mine = self._unsent.get(tid, [])
            for p in mine:
                if p.state == FAILED and not p.reported and p.orphaned:
                    # Sent in the background and failed; its proxy is gone,
                    # so its thread hears of it now.
                    p.reported = True
                    return [], [], p.error
            plan: List[Pending] = [p for p in mine if p.state == UNSENT]
            waits = [p for p in mine if p.state == SENDING]
            self._unsent.pop(tid, None)
            chosen = set(plan)
            roots = list(need) + [op.target for op in ops if isinstance(op.target, Pending)]
            for r in roots:
                if r not in chosen:
                    if r.state == UNSENT:
                        plan.append(r)
                        chosen.add(r)
                    elif r.state == SENDING:
                        waits.append(r)
            self._closure(plan, chosen, waits)
            for p in plan:
                p.state = SENDING
                p.lock.acquire()
        plan.sort(key=lambda p: p.seq)  # a call always comes after the calls it uses
        return plan, waits, None

    @staticmethod
    def _closure(plan: List[Pending], chosen: set, waits: List[Pending]) -> None:
        """Adds the unsent calls that the planned ones use (caller holds the
        lock)."""
        i = 0
        while i < len(plan):
            t = plan[i].op.target
            if isinstance(t, Pending) and t not in chosen:
                if t.state == UNSENT:
                    plan.append(t)
                    chosen.add(t)
                elif t.state == SENDING:
                    waits.append(t)
            i += 1

    def _send(self, plan: List[Pending], waits: List[Pending], ops: Sequence[Op]) -> List[Any]:
        for w in waits:  # in flight from another thread: keep the order
            w.lock.acquire()
            w.lock.release()
        index: Dict[Pending, int] = {}
        plan_ops: List[Op] = []
        sent: List[Pending] = []
        for p in plan:
            try:
                plan_ops.append(_bind(p.op, index))
            except BaseException as e:  # a call it uses failed
                self._settle(p, None, e)
                continue
            index[p] = len(plan_ops) - 1
            sent.append(p)
        try:
            own, own_error = [_bind(op, index) for op in ops], None
        except BaseException as e:  # a call it works on failed: send the rest, raise this
            own, own_error = [], e
        try:
            outcomes = self._outcomes(plan_ops + own) if (plan_ops or own) else []
        except BaseException as e:
            for p in sent:
                self._settle(p, None, _lost(e, p))
            raise
        first_error: Optional[BaseException] = None
        for p, outcome in zip(sent, outcomes):
            if isinstance(outcome, OrbError):
                self._settle(p, None, outcome)
                if first_error is None:
                    first_error = outcome
                    p.reported = True
            else:
                self._settle(p, outcome, None)
        if first_error is not None:
            raise first_error
        if own_error is not None:
            raise own_error
        results = outcomes[len(sent):]
        for r in results:
            if isinstance(r, OrbError):
                raise r
        return results

    def _settle(self, p: Pending, value: Any, error: Optional[BaseException]) -> None:
        release = None
        with self._lock:
            if error is not None:
                p.error, p.state = error, FAILED
            else:
                if isinstance(value, value_pb2.Value) and value.WhichOneof("kind") == "handle":
                    p.handle = value.handle
                else:
                    p.value = value
                p.state = DONE
                if p.orphaned and p.handle is not None and _claim(p):
                    release = p.handle.id
        p.lock.release()
        self._settled(p, release)


def _claim(p: Pending) -> bool:
    """True for the one caller that gets to release p's handle (list.pop
    is atomic)."""
    try:
        p.claim.pop()
        return True
    except IndexError:
        return False


def _bind(op: Op, index: Dict[Pending, int]) -> Op:
    """`op` with a Pending target replaced by its plan index or its handle."""
    t = op.target
    if not isinstance(t, Pending):
        return op
    if t in index:
        return _retarget(op, Ref(index[t]))
    if t.state == FAILED:
        raise t.error  # the step that failed, named as it was
    return _retarget(op, t.resolve().id)


def _retarget(op: Op, target: Any) -> Op:
    # (dataclasses.replace costs several times more, on every chain)
    return Op(op.kind, target, op.name, op.value, op.args, op.kwargs, op.keep, op.label,
              op.names, op.by_value)


def _lost(e: BaseException, p: Pending) -> BaseException:
    """What a lazy call failed with when its plan raised `e` (the
    transport failed, or the caller was interrupted)."""
    if isinstance(e, OrbError):
        return e
    return Cancelled(f"interrupted ({type(e).__name__}) before the answer came; the call may "
                     "or may not have run", code=grpc.StatusCode.CANCELLED, step=p.op.step())
