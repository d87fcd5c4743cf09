"""The transport seam: the only module that sends operations to the broker.

The proxy layer describes what it wants as a *plan*: a list of `Op`s in
which an op's target is a handle id or `Ref(i)`, "the object op i of this
plan returned". A transport runs a plan and returns one result per op.

The transports (`UnaryTransport`, `AioUnaryTransport`) send a plan of one
op as its unary RPC of orb.v1.ObjectBroker. A longer plan goes as one Batch
(stop on error, each `Ref` a result reference) when the broker offers the
`batch` feature (`use_batch`, set from OpenSession's features; then
``one_round_trip`` is True): a chain such as ``blog.entry("x").title`` is
one round trip. Against an older broker each op is one unary RPC, each
`Ref` resolved from the previous answers.

Errors come back as `OrbError`s naming the step that failed.

A watch (orb.watch, _watch.py) is the one call that is not an operation of
a plan: `watch()` starts the server-streaming Watch RPC on the same channel
with the same metadata, whatever the transport, and hands back grpc's call.

Retries after a lost connection live here too, around the one place each
transport sends an operation (`SyncTransport._send`, `AioUnaryTransport._send`;
a transport's `_try` is one try): an operation answered UNAVAILABLE (the
broker unreachable, the connection reset, the stream broken) is sent again
after a back-off (20 ms doubling up to 1 s) until its deadline from the
first try. SetAttr, DelAttr, Call and Batch carry a request id the
transport chooses (a random prefix per connection and a count), so that a
retry of one the broker did run gets its first outcome and never runs it
twice (docs/protocol.md, "Request ids and safe retries"); GetAttr,
GetAttrs, Describe, ListHandles and KeepAlive are repeated as they are;
Restrict, Release, OpenSession and CloseSession are tried once.
"""
from __future__ import annotations

import asyncio
import gc
import itertools
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import grpc

from . import _interrupts as interrupts
from ._errors import (ConnectionClosed, DeadlineExceeded, InvalidArgument, OrbError,
                      Unavailable, from_info, from_rpc_error)
from .v1 import broker_pb2, value_pb2

_SERVICE = "/orb.v1.ObjectBroker/"


@dataclass(frozen=True)
class Ref:
    """The handle returned by op `index` of the same plan."""
    index: int


Target = Union[str, Ref]


@dataclass
class Op:
    """One gated operation. `kind` is "getattr", "getattrs" (a snapshot of
    `names`; never in a Batch), "setattr", "delattr", "call" (`by_value`:
    an object result as the map of its readable attributes), "describe" or
    "restrict"."""
    kind: str
    target: Target
    name: str = ""
    value: Optional[value_pb2.Value] = None
    args: Sequence[value_pb2.Value] = ()
    kwargs: Optional[Dict[str, value_pb2.Value]] = None
    keep: Optional[Dict[str, List[str]]] = None  # restrict: op → names
    label: str = field(default="", compare=False)  # for error messages
    names: Tuple[str, ...] = ()  # getattrs
    by_value: bool = False  # call

    def step(self) -> str:
        if self.label:
            return self.label
        return f"{self.kind} {self.name!r}" if self.name else self.kind


# method → (request type, response type)
_METHODS = {
    "OpenSession": (broker_pb2.OpenSessionRequest, broker_pb2.OpenSessionResponse),
    "CloseSession": (broker_pb2.CloseSessionRequest, broker_pb2.CloseSessionResponse),
    "KeepAlive": (broker_pb2.KeepAliveRequest, broker_pb2.KeepAliveResponse),
    "GetAttr": (broker_pb2.GetAttrRequest, broker_pb2.GetAttrResponse),
    "GetAttrs": (broker_pb2.GetAttrsRequest, broker_pb2.GetAttrsResponse),
    "SetAttr": (broker_pb2.SetAttrRequest, broker_pb2.SetAttrResponse),
    "DelAttr": (broker_pb2.DelAttrRequest, broker_pb2.DelAttrResponse),
    "Call": (broker_pb2.CallRequest, broker_pb2.CallResponse),
    "Release": (broker_pb2.ReleaseRequest, broker_pb2.ReleaseResponse),
    "ListHandles": (broker_pb2.ListHandlesRequest, broker_pb2.ListHandlesResponse),
    "Describe": (broker_pb2.DescribeRequest, broker_pb2.DescribeResponse),
    "Restrict": (broker_pb2.RestrictRequest, broker_pb2.RestrictResponse),
    "Batch": (broker_pb2.BatchRequest, broker_pb2.BatchResponse),
}

# op.kind → the BatchOperation / BatchResult field that carries it
_BATCH_FIELDS = {"getattr": "get_attr", "setattr": "set_attr", "delattr": "del_attr",
                 "call": "call", "describe": "describe", "restrict": "restrict"}
_CODES = {c.value[0]: c for c in grpc.StatusCode}

# What a retry after a lost connection may do with each operation.
ONCE, SAFE, WITH_ID = range(3)  # tried once; repeated as it is; repeated under its id
RETRY = {"GetAttr": SAFE, "GetAttrs": SAFE, "Describe": SAFE, "ListHandles": SAFE,
         "KeepAlive": SAFE, "SetAttr": WITH_ID, "DelAttr": WITH_ID, "Call": WITH_ID,
         "Batch": WITH_ID}
FIRST_BACKOFF = 0.02  # seconds, doubled after each retry
MAX_BACKOFF = 1.0
# How long an operation without a deadline (timeout=None) is retried: the
# broker keeps an outcome for a retry only for a while (the policy's
# limits.request_id_window_seconds), so retries must end.
RETRY_WITHOUT_DEADLINE = 30.0


def _multicallables(channel) -> Dict[str, Any]:
    return {name: channel.unary_unary(_SERVICE + name,
                                      request_serializer=req.SerializeToString,
                                      response_deserializer=resp.FromString)
            for name, (req, resp) in _METHODS.items()}


def _watch_multicallable(channel) -> Any:
    """The server-streaming Watch method on `channel` (sync or aio)."""
    return channel.unary_stream(_SERVICE + "Watch",
                                request_serializer=broker_pb2.WatchRequest.SerializeToString,
                                response_deserializer=broker_pb2.WatchEvent.FromString)


def _request(op: Op, session: str, handle: str) -> Tuple[str, Any]:
    """The unary method and request that carry `op` on `handle`."""
    k = op.kind
    if k == "getattr":
        return "GetAttr", broker_pb2.GetAttrRequest(session=session, handle=handle, name=op.name)
    if k == "call":
        return "Call", broker_pb2.CallRequest(session=session, handle=handle, name=op.name,
                                              args=op.args, kwargs=op.kwargs,
                                              by_value=op.by_value)
    if k == "getattrs":
        return "GetAttrs", broker_pb2.GetAttrsRequest(session=session, handle=handle,
                                                      names=op.names)
    if k == "setattr":
        return "SetAttr", broker_pb2.SetAttrRequest(session=session, handle=handle,
                                                    name=op.name, value=op.value)
    if k == "delattr":
        return "DelAttr", broker_pb2.DelAttrRequest(session=session, handle=handle, name=op.name)
    if k == "describe":
        return "Describe", broker_pb2.DescribeRequest(session=session, handle=handle)
    if k == "restrict":
        return "Restrict", broker_pb2.RestrictRequest(session=session, handle=handle,
                                                      **(op.keep or {}))
    raise ValueError(f"unknown operation kind {k!r}")


def _result(op: Op, response: Any) -> Any:
    """What `run` returns for `op`: a Value (getattr, call), the map of
    names to Values (getattrs), a HandleRef (restrict), the
    DescribeResponse, or None (setattr, delattr)."""
    k = op.kind
    if k == "getattr":
        return response.value
    if k == "getattrs":
        return response.values
    if k == "call":
        return response.result
    if k == "restrict":
        return response.handle
    if k == "describe":
        return response
    return None


def _resolve(op: Op, results: List[Any]) -> str:
    if isinstance(op.target, str):
        return op.target
    earlier = results[op.target.index]
    if isinstance(earlier, value_pb2.HandleRef):
        return earlier.id
    if isinstance(earlier, value_pb2.Value) and earlier.WhichOneof("kind") == "handle":
        return earlier.handle.id
    raise InvalidArgument(f"the result of step {op.target.index + 1} is not an object",
                          step=op.step())


def _batchable(ops: Sequence[Op]) -> bool:
    """Whether every op has a place in a Batch (a snapshot has none: a plan
    that holds one goes operation by operation)."""
    return all(op.kind in _BATCH_FIELDS for op in ops)


def _batch_request(session: str, ops: Sequence[Op]) -> broker_pb2.BatchRequest:
    """The whole plan as one Batch that stops at the first failure."""
    batch = broker_pb2.BatchRequest(session=session, stop_on_error=True)
    for op in ops:
        handle = op.target if isinstance(op.target, str) else ""
        _, request = _request(op, "", handle)
        operation = batch.operations.add()
        getattr(operation, _BATCH_FIELDS[op.kind]).CopyFrom(request)
        if isinstance(op.target, Ref):
            operation.target.result = op.target.index
    return batch


def _batch_outcomes(ops: Sequence[Op], response: broker_pb2.BatchResponse) -> List[Any]:
    """One outcome per op: its result or its error (after a failure the
    broker answers the rest ABORTED, BATCH_STOPPED)."""
    results: List[Any] = []
    for op, answer in zip(ops, response.results):
        which = answer.WhichOneof("outcome")
        if which == "error":
            results.append(operation_error(answer.error, op.step()))
        else:
            results.append(_result(op, getattr(answer, which)))
    return results


def _batch_results(ops: Sequence[Op], response: broker_pb2.BatchResponse) -> List[Any]:
    """One result per op, or the first failed op's error."""
    results = _batch_outcomes(ops, response)
    for r in results:
        if isinstance(r, OrbError):
            raise r
    return results


def operation_error(e: Any, step: str) -> OrbError:
    """The exception for an orb.v1.OperationError (a Batch result or a
    Stream answer): the same as for the unary call's status."""
    return from_info(_CODES.get(e.code, grpc.StatusCode.UNKNOWN), e.message, e.info.reason,
                     e.info.gate, e.info.method_error_type, step)


def _remaining(deadline: Optional[float], op: Op) -> Optional[float]:
    if deadline is None:
        return None
    left = deadline - time.monotonic()
    if left <= 0:
        raise DeadlineExceeded("the deadline passed before the operation was sent",
                               code=grpc.StatusCode.DEADLINE_EXCEEDED, reason="DEADLINE_EXCEEDED",
                               gate="deadline", step=op.step())
    return left


def _not_run(op: Op, failed: Op) -> OrbError:
    return from_info(grpc.StatusCode.ABORTED, f"not run: {failed.step()} failed before it",
                     "BATCH_STOPPED", "arguments", "", op.step())


class Retries:
    """The retry policy of one connection's transport and its request ids:
    a random prefix (64 bits, hex) and a count, unique within the session
    (the broker keeps outcomes per session)."""

    __slots__ = ("enabled", "stopped", "_prefix", "_count")

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.stopped = False  # the connection is closing: no more retries
        self._prefix = secrets.token_hex(8)
        self._count = itertools.count(1)

    def kind(self, method: str, request: Any) -> int:
        """How `method` is retried; gives `request` its request id (kept by
        every retry of it) when it takes one."""
        if not self.enabled:
            return ONCE
        kind = RETRY.get(method, ONCE)
        if kind == WITH_ID and not request.request_id:
            request.request_id = f"{self._prefix}-{next(self._count)}"
        return kind

    @staticmethod
    def end(timeout: Optional[float], start: float) -> float:
        """The monotonic time after which a failed try is not retried."""
        return start + (RETRY_WITHOUT_DEADLINE if timeout is None else timeout)

    def worth_retrying(self, kind: int, error: OrbError, end: float, backoff: float) -> bool:
        """Whether a try that failed with `error` is sent again `backoff`
        seconds from now: the connection was lost (not a member's own
        error), the back-off ends before the deadline and the connection is
        not closing."""
        return (kind != ONCE and isinstance(error, Unavailable) and not self.stopped
                and time.monotonic() + backoff < end)


def _left(timeout: Optional[float], end: float) -> Optional[float]:
    """A retry's timeout: what is left of the first try's."""
    return None if timeout is None else max(0.001, end - time.monotonic())


class SyncTransport:
    """What the blocking transports share: a plan runs as one Batch where
    the broker offers it (``use_batch``), else op by op, each `Ref` resolved
    from the answers before it. Subclasses define `_try` (one try of one
    operation by its unary method name) and `close`; `_send` retries it
    after a lost connection as `retries` says."""

    use_batch = False
    retries: Retries  # each transport's own (orb.connect shares one per session)

    @property
    def one_round_trip(self) -> bool:
        return self.use_batch

    def unary(self, method: str, request: Any, timeout: Optional[float], step: str = "") -> Any:
        """One operation by its RPC name (session management, Release,
        ListHandles)."""
        return self._send(method, request, timeout, step or method)

    def run(self, session: str, ops: Sequence[Op], deadline: Optional[float]) -> List[Any]:
        """Runs `ops` in order and returns one result per op, or raises the
        first failure; `deadline` is absolute (time.monotonic())."""
        results = self.outcomes(session, ops, deadline)
        for r in results:
            if isinstance(r, OrbError):
                raise r
        return results

    def outcomes(self, session: str, ops: Sequence[Op], deadline: Optional[float]) -> List[Any]:
        """Runs `ops` in order, stopping at the first failure, and returns
        one outcome per op: its result, or the OrbError it failed with (the
        ops after a failure: an error saying they did not run). Errors of
        the transport itself (the broker unreachable) are raised."""
        if len(ops) == 1 and isinstance(ops[0].target, str):  # the common case, kept short
            op = ops[0]
            method, request = _request(op, session, op.target)
            try:
                return [_result(op, self._send(method, request, _remaining(deadline, op),
                                               op.step()))]
            except (Unavailable, ConnectionClosed):
                raise
            except OrbError as e:
                return [e]
        if self.use_batch and len(ops) > 1 and _batchable(ops):
            response = self._send("Batch", _batch_request(session, ops),
                                  _remaining(deadline, ops[0]), ops[-1].step())
            return _batch_outcomes(ops, response)
        results: List[Any] = []
        failed: Optional[Op] = None
        for op in ops:
            if failed is not None:
                results.append(_not_run(op, failed))
                continue
            try:
                method, request = _request(op, session, _resolve(op, results))
                results.append(_result(op, self._send(method, request,
                                                      _remaining(deadline, op), op.step())))
            except (Unavailable, ConnectionClosed):
                raise  # the transport failed: nothing later can run either
            except OrbError as e:
                failed = op
                results.append(e)
        return results

    def _send(self, method: str, request: Any, timeout: Optional[float], step: str) -> Any:
        """One operation, sent again after a lost connection while its kind
        and deadline allow; the caller sees one call."""
        start = time.monotonic()
        kind = self.retries.kind(method, request)
        try:
            return self._try(method, request, timeout, step)
        except Unavailable as e:
            if kind == ONCE:
                raise
            error: OrbError = e
        end = Retries.end(timeout, start)
        backoff = FIRST_BACKOFF
        while self.retries.worth_retrying(kind, error, end, backoff):
            time.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)
            try:
                return self._try(method, request, _left(timeout, end), step)
            except Unavailable as e:
                error = e
        raise error

    def watch(self, request: broker_pb2.WatchRequest, timeout: Optional[float]) -> Any:
        """Starts one Watch call on the channel, with the metadata of every
        call (credentials, route), whatever carries the other operations;
        returns grpc's call: an iterator of orb.v1.WatchEvents with
        cancel(). Tried once (a watch is not retried)."""
        return _watch_multicallable(self._channel)(request, timeout=timeout,
                                                  metadata=self._metadata)

    def _try(self, method: str, request: Any, timeout: Optional[float], step: str) -> Any:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class UnaryTransport(SyncTransport):
    """Runs plans over the unary RPCs: one round trip per plan with Batch,
    per op without (thread-safe: gRPC channels and multicallables are)."""

    name = "unary"

    def __init__(self, channel: grpc.Channel, metadata: Sequence[Tuple[str, str]],
                 retries: Optional[Retries] = None) -> None:
        self._channel = channel
        self._metadata = tuple(metadata)
        self._rpc = _multicallables(channel)
        self.retries = retries if retries is not None else Retries()
        interrupts.install()

    def add_metadata(self, entries: Sequence[Tuple[str, str]]) -> None:
        """Sends `entries` too on every later call (the session's route,
        once it is open). Call before the transport is shared."""
        self._metadata += tuple(entries)

    def _try(self, method: str, request: Any, timeout: Optional[float], step: str) -> Any:
        # grpc's blocking call (2-3x faster than .future()) raises
        # KeyboardInterrupt from inside its wait and cancels the call when
        # its call object is freed; the interrupt is re-raised outside the
        # except block, after a collection, so that the traceback and any
        # cycle holding that object are gone and the broker sees the
        # cancellation at once. An interrupt that comes while grpc starts
        # the call is held back until grpc waits (_interrupts.py).
        interrupted = False
        try:
            return self._rpc[method](request, timeout=timeout, metadata=self._metadata)
        except grpc.RpcError as e:
            raise from_rpc_error(e, step) from None
        except KeyboardInterrupt:
            interrupted = True
        if interrupted:
            gc.collect()
            raise KeyboardInterrupt

    def close(self) -> None:
        self._channel.close()


class AioUnaryTransport:
    """The same over grpc.aio, for orb.aio (retrying as SyncTransport._send,
    waiting out each back-off with asyncio.sleep)."""

    use_batch = False

    @property
    def one_round_trip(self) -> bool:
        return self.use_batch

    def __init__(self, channel: "grpc.aio.Channel", metadata: Sequence[Tuple[str, str]],
                 retries: Optional[Retries] = None) -> None:
        self._channel = channel
        self._metadata = tuple(metadata)
        self._rpc = _multicallables(channel)
        self.retries = retries if retries is not None else Retries()

    def add_metadata(self, entries: Sequence[Tuple[str, str]]) -> None:
        """As UnaryTransport.add_metadata."""
        self._metadata += tuple(entries)

    async def unary(self, method: str, request: Any, timeout: Optional[float],
                    step: str = "") -> Any:
        return await self._send(method, request, timeout, step or method)

    async def run(self, session: str, ops: Sequence[Op], deadline: Optional[float]) -> List[Any]:
        if self.use_batch and len(ops) > 1 and _batchable(ops):
            response = await self._send("Batch", _batch_request(session, ops),
                                        _remaining(deadline, ops[0]), ops[-1].step())
            return _batch_results(ops, response)
        results: List[Any] = []
        for op in ops:
            method, request = _request(op, session, _resolve(op, results))
            response = await self._send(method, request, _remaining(deadline, op), op.step())
            results.append(_result(op, response))
        return results

    async def _send(self, method: str, request: Any, timeout: Optional[float],
                    step: str) -> Any:
        """As SyncTransport._send."""
        start = time.monotonic()
        kind = self.retries.kind(method, request)
        try:
            return await self._try(method, request, timeout, step)
        except Unavailable as e:
            if kind == ONCE:
                raise
            error: OrbError = e
        end = Retries.end(timeout, start)
        backoff = FIRST_BACKOFF
        while self.retries.worth_retrying(kind, error, end, backoff):
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)
            try:
                return await self._try(method, request, _left(timeout, end), step)
            except Unavailable as e:
                error = e
        raise error

    def watch(self, request: broker_pb2.WatchRequest, timeout: Optional[float]) -> Any:
        """As SyncTransport.watch: grpc.aio's call (``await call.read()``,
        ``cancel()``)."""
        return _watch_multicallable(self._channel)(request, timeout=timeout,
                                                  metadata=self._metadata)

    async def _try(self, method: str, request: Any, timeout: Optional[float],
                   step: str) -> Any:
        try:
            return await self._rpc[method](request, timeout=timeout, metadata=self._metadata)
        except grpc.RpcError as e:
            raise from_rpc_error(e, step) from None

    async def close(self) -> None:
        await self._channel.close()
