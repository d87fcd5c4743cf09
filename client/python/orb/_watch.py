"""Watching attributes: one orb.v1.ObjectBroker/Watch call per watch, read
as Python events.

A watch is its own server-streaming call on the connection's channel,
whatever carries the connection's other operations, with the same
metadata (credentials, ``orb-route``). The broker answers a first event
holding every watched name the caller may read, then one event per change
(coalesced: a slow reader gets the latest value of each name), and ends the
call with a status: that status becomes the package's exception, except a
cancel made by the caller (``close()``, leaving the ``with`` block, closing
the connection), which simply ends the iteration.

Values are decoded exactly as GetAttr results: handles become proxies of
the watching connection. A watch does not renew the session's lease; the
connection's background keep-alive does.
"""
from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Sequence, Tuple

import grpc

from . import _common
from ._errors import OrbError, from_rpc_error
from ._values import decode
from .v1 import broker_pb2


@dataclass(frozen=True)
class WatchEvent:
    """One event of a watch.

    Attributes:
        values: name → new value (as a GetAttr would give it) of each watched
            name that changed; in the first event, of every watched name the
            caller may read.
        dropped: names the caller may no longer read (a policy reload took
            the right away); they are not watched any more.
        initial: True for the first event only.
    """
    values: Dict[str, Any] = field(default_factory=dict)
    dropped: Tuple[str, ...] = ()
    initial: bool = False


def check_names(names: Sequence[Any], what: str) -> Tuple[str, ...]:
    """The names as a tuple; a TypeError when there is none or one is not a
    str (the broker judges everything else)."""
    if not names:
        raise TypeError(f"{what}() needs at least one attribute name")
    for n in names:
        if not isinstance(n, str):
            raise TypeError(f"{what}(): attribute names are str, not {type(n).__name__}")
    return tuple(names)


def step_of(names: Sequence[str]) -> str:
    """How errors name a watch: ``watch 'title', 'entry_count'``."""
    return "watch " + ", ".join(repr(n) for n in names)


def timeout_of(timeout: Optional[float]) -> Optional[float]:
    """The call's timeout: `timeout` narrowed by an enclosing orb.deadline
    (None: no deadline)."""
    end = _common.absolute_deadline(timeout)
    if end is None:
        return None
    return max(0.0, end - time.monotonic())


def request_of(session: str, handle_id: str, names: Sequence[str]) -> broker_pb2.WatchRequest:
    return broker_pb2.WatchRequest(session=session, handle=handle_id, names=list(names))


def event_of(response: broker_pb2.WatchEvent, make_proxy) -> WatchEvent:
    """A WatchEvent from the broker's, handles made proxies by `make_proxy`."""
    return WatchEvent({k: decode(v, make_proxy) for k, v in response.values.items()},
                      tuple(response.dropped), response.initial)


class Watch:
    """A running watch (from orb.watch): an iterator of WatchEvents and a
    context manager. The first event was read when the watch started; the
    iteration gives it, then one event per change, blocking until it comes.

    The iteration ends (StopIteration) after close() (from any thread), at
    the end of the ``with`` block, or when the connection is closed. When
    the broker ends the watch, the next ``next()`` raises its error as the
    other operations do (orb.NotFound once the handle is released or the
    session ends, orb.PermissionDenied when nothing watched is readable any
    more, orb.DeadlineExceeded at the watch's deadline), once; the
    iteration is over after it. ``names``: the names asked for.
    """

    def __init__(self, conn: Any, call: Any, names: Tuple[str, ...]) -> None:
        self._conn = conn
        self._call = call
        self.names = names
        self._step = step_of(names)
        self._lock = threading.Lock()
        self._cancelled = False  # by the caller: the iteration just ends
        self._over = False  # ended by the broker (its error raised once)
        self._first: Optional[WatchEvent] = None

    def _start(self) -> None:
        """Reads the first event; raises the watch's start error (after
        which the call is over)."""
        try:
            self._first = self._read()
        except StopIteration:
            raise OrbError("the broker ended the watch before its first event",
                           step=self._step) from None

    def _read(self) -> WatchEvent:
        """The next event, or StopIteration, or the broker's end as an
        OrbError. An interrupt (or any other exception) while waiting
        cancels the call."""
        if self._cancelled or self._over:
            raise StopIteration
        try:
            response = next(self._call)
        except StopIteration:
            self._over = True
            self._conn._forget_watch(self)
            raise
        except grpc.RpcError as e:
            self._over = True
            self._conn._forget_watch(self)
            if self._cancelled:
                raise StopIteration from None
            raise from_rpc_error(e, self._step) from None
        except BaseException:
            self.close()
            raise
        if self._cancelled:
            raise StopIteration
        return event_of(response, self._conn._make_proxy)

    def __iter__(self) -> "Watch":
        return self

    def __next__(self) -> WatchEvent:
        first, self._first = self._first, None
        if first is not None and not self._cancelled:
            return first
        return self._read()

    def close(self) -> None:
        """Cancels the call (the broker frees the watch). Idempotent, from
        any thread; an iteration blocked in another thread ends."""
        with self._lock:
            if self._cancelled:
                return
            self._cancelled = True
        self._call.cancel()
        self._conn._forget_watch(self)

    @property
    def closed(self) -> bool:
        """Whether the watch is over (closed, or ended by the broker)."""
        return self._cancelled or self._over

    def __enter__(self) -> "Watch":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            if not self.closed:
                self._cancelled = True
                self._call.cancel()
        except Exception:
            pass

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<orb.Watch {state} {', '.join(self.names)}>"


class AioWatch:
    """A watch for asyncio (from orb.aio.watch): an async iterator of
    WatchEvents and an async context manager. ``async with`` starts it and
    raises the start error there; ``async for`` without it starts it at the
    first ``__anext__`` (raising the start error there). Then as orb.Watch:
    close() (a plain method, from any task), leaving the block or closing
    the connection ends the iteration; the broker's end raises its error.
    Cancelling the task that waits cancels the call."""

    def __init__(self, conn: Any, handle_id: str, names: Tuple[str, ...],
                 timeout: Optional[float]) -> None:
        self._conn = conn
        self._handle_id = handle_id
        self.names = names
        self._step = step_of(names)
        self._timeout = timeout_of(timeout)
        self._call: Any = None
        self._cancelled = False
        self._over = False
        self._first: Optional[WatchEvent] = None

    async def start(self) -> "AioWatch":
        """Starts the call and reads the first event (once; later calls
        return at once). Raises the start error, orb.ConnectionClosed on a
        closed connection."""
        if self._call is not None:
            return self
        conn = self._conn
        conn._check_open()
        self._call = conn._transport.watch(
            request_of(conn._session, self._handle_id, self.names), self._timeout)
        conn._watches.add(self)
        try:
            self._first = await self._read()
        except StopAsyncIteration:
            raise OrbError("the broker ended the watch before its first event",
                           step=self._step) from None
        return self

    async def _read(self) -> WatchEvent:
        if self._cancelled or self._over:
            raise StopAsyncIteration
        try:
            response = await self._call.read()
        except grpc.RpcError as e:
            self._end()
            if self._cancelled:
                raise StopAsyncIteration from None
            raise from_rpc_error(e, self._step) from None
        except asyncio.CancelledError:
            if self._cancelled:  # grpc.aio's answer to call.cancel()
                self._end()
                raise StopAsyncIteration from None
            self.close()
            raise
        except BaseException:
            self.close()
            raise
        if response is grpc.aio.EOF:
            self._end()
            raise StopAsyncIteration
        if self._cancelled:
            raise StopAsyncIteration
        return event_of(response, self._conn._make_proxy)

    def _end(self) -> None:
        self._over = True
        self._conn._watches.discard(self)

    def __aiter__(self) -> "AioWatch":
        return self

    async def __anext__(self) -> WatchEvent:
        if self._call is None and not self._cancelled:
            await self.start()
        first, self._first = self._first, None
        if first is not None and not self._cancelled:
            return first
        return await self._read()

    def close(self) -> None:
        """Cancels the call. Idempotent; an iteration waiting in another
        task ends."""
        if self._cancelled:
            return
        self._cancelled = True
        if self._call is not None:
            self._call.cancel()
        self._conn._watches.discard(self)

    @property
    def closed(self) -> bool:
        return self._cancelled or self._over

    async def __aenter__(self) -> "AioWatch":
        try:
            return await self.start()
        except BaseException:
            self.close()
            raise

    async def __aexit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<orb.aio.AioWatch {state} {', '.join(self.names)}>"


def start_sync(conn: Any, proxy: Any, names: Tuple[str, ...],
               timeout: Optional[float]) -> Watch:
    """orb.watch's work: sends this thread's lazy calls, starts the call on
    `proxy`'s handle and reads the first event (raising its error)."""
    conn._check_open()
    conn._pipeline.run(())  # this thread's lazy calls go first, as for any operation
    handle_id = conn._handle_of(proxy).id
    request = request_of(conn._session, handle_id, names)
    watch = conn._open_watch(lambda: conn._transport.watch(request, timeout_of(timeout)),
                             names)
    try:
        watch._start()
    except BaseException:
        watch.close()
        raise
    return watch

