"""orb for asyncio.

    import orb.aio

    async with orb.aio.connect("127.0.0.1:50051", token="bob-demo-token") as conn:
        blog = conn.root
        print(await blog.title)                      # GetAttr
        entry = await blog.add_entry("a", "b")       # Call → an AioProxy
        print(await blog.entry("entry-1").title)     # a chain, sent as one plan
        await orb.aio.setattr(entry, "title", "x")   # SetAttr
        await orb.aio.delattr(entry, "body")         # DelAttr

The shape, and why: reading an attribute is I/O, so it must be awaited, and
Python's ``p.x = v`` and ``del p.x`` cannot be awaited at all. So ``p.name``
is a *pending* operation, sent by nothing until awaited: ``await p.name``
reads it, ``await p.name(args)`` calls it (one Call, no GetAttr first), and
``p.a(x).b`` extends the pending chain, so the whole chain is handed to the
transport at once (one round trip where the broker offers Batch; one per
step over unary calls today). Writes and deletes, which have no awaitable
Python syntax, are the functions ``orb.aio.setattr`` / ``orb.aio.delattr``,
mirroring the builtins; ``orb.aio.getattr`` exists for symmetry.

Handles are released when their proxy is collected (batched by a
background task); the lease is renewed while the connection is open.
"""
from __future__ import annotations

import asyncio
import time
import weakref
from typing import Any, Dict, Generator, List, Optional, Sequence, Tuple

import grpc
import grpc.aio

from . import _common
from ._common import Description, deadline  # noqa: F401  (orb.aio.deadline)
from ._errors import ConnectionClosed
from ._transport import AioUnaryTransport, Op, Ref, Retries
from ._values import decode
from ._watch import AioWatch, WatchEvent, check_names
from .v1 import broker_pb2, value_pb2

__all__ = ["connect", "AioConnection", "AioProxy", "Pending", "getattr", "setattr", "delattr",
           "describe", "restrict", "deadline", "watch", "AioWatch", "WatchEvent", "snapshot",
           "call_by_value"]

_builtin_getattr = getattr


class AioProxy(_common.ProxyBase):
    """A remote object for asyncio: ``await p.name``, ``await
    p.method(...)``, ``await p.a(x).b``. Equal when naming the same handle of
    the same connection."""

    __slots__ = ()
    _orb_repr_name = "orb.aio.AioProxy"

    def __getattr__(self, name: str) -> "Pending":
        if _common.is_python_probe(name):
            raise AttributeError(name)
        return Pending(self._orb_conn, (Op("getattr", self._orb_ref.id, name),))

    def __setattr__(self, name: str, value: Any) -> None:
        raise TypeError(f"an orb.aio proxy cannot be assigned to; use "
                        f"await orb.aio.setattr(proxy, {name!r}, value)")

    def __delattr__(self, name: str) -> None:
        raise TypeError(f"an orb.aio proxy cannot delete with del; use "
                        f"await orb.aio.delattr(proxy, {name!r})")

    def __dir__(self) -> List[str]:
        d = self._orb_conn._described.get(self._orb_ref.id)
        return d.allowed() if d is not None else []


class Pending:
    """A chain of operations not sent yet. ``await`` sends it and gives the
    last step's value; ``(...)`` turns the last attribute read into a call;
    ``.name`` reads an attribute of the last step's result. An error names
    the step that failed."""

    __slots__ = ("_conn", "_ops")

    def __init__(self, conn: "AioConnection", ops: Tuple[Op, ...]) -> None:
        self._conn = conn
        self._ops = ops

    def __call__(self, *args: Any, **kwargs: Any) -> "Pending":
        last = self._ops[-1]
        if last.kind != "getattr":
            raise TypeError("only a name can be called: p.method(...)")
        name = last.name
        conn = self._conn
        return Pending(conn, self._ops[:-1] + (conn._call_op(last.target, name, args, kwargs),))

    def __getattr__(self, name: str) -> "Pending":
        if _common.is_python_probe(name):
            raise AttributeError(name)
        return Pending(self._conn, self._ops + (Op("getattr", Ref(len(self._ops) - 1), name),))

    def __await__(self) -> Generator[Any, None, Any]:
        return self._conn._run_chain(self._ops).__await__()

    def __repr__(self) -> str:
        return "<orb.aio.Pending " + " → ".join(op.step() for op in self._ops) + ">"


class AioConnection(_common.ConnectionBase):
    """A session for asyncio (from orb.aio.connect): ``async with`` or
    ``await conn.close()``. Same attributes as orb.Connection."""

    _proxy_type = AioProxy

    def __init__(self, transport: AioUnaryTransport, opened: broker_pb2.OpenSessionResponse,
                 timeout: Optional[float]) -> None:
        self._init_session(transport, opened, timeout)
        self._described: Dict[str, Description] = {}
        self._watches: "weakref.WeakSet[AioWatch]" = weakref.WeakSet()  # open watches
        self.root = AioProxy(self, opened.root)
        self._housekeeper = asyncio.get_running_loop().create_task(self._housekeeping())

    async def close(self) -> None:
        """Closes the session (every handle released) and the channel."""
        if self._closed:
            return
        self._closed = True
        for w in list(self._watches):  # cancelled by the caller: their iteration ends
            w.close()
        self._housekeeper.cancel()
        self._releases.clear()
        try:
            await self._transport.unary("CloseSession", broker_pb2.CloseSessionRequest(
                session=self._session), timeout=self.timeout or 10.0)
        except Exception:
            pass
        finally:
            await self._transport.close()

    async def __aenter__(self) -> "AioConnection":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def flush(self) -> int:
        """Sends the queued releases now; returns how many were released."""
        ids = []
        while self._releases:
            ids.append(self._releases.popleft())
        if not ids or self._closed:
            return 0
        r = await self._transport.unary("Release", broker_pb2.ReleaseRequest(
            session=self._session, handles=ids), timeout=self.timeout)
        return r.released

    async def list_handles(self) -> List[broker_pb2.HandleInfo]:
        self._check_open()
        r = await self._transport.unary("ListHandles", broker_pb2.ListHandlesRequest(
            session=self._session), timeout=self.timeout)
        return list(r.handles)

    def __repr__(self) -> str:
        return f"<orb.aio.AioConnection {'closed' if self._closed else 'open'} " \
               f"as {self.userid or 'anonymous'}>"

    # --- internals ------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise ConnectionClosed("the connection is closed")

    async def _run(self, ops: Sequence[Op]) -> List[Any]:
        if self._closed:
            raise ConnectionClosed("the connection is closed", step=ops[-1].step())
        self._last_call = time.monotonic()
        return await self._transport.run(self._session, ops,
                                         _common.absolute_deadline(self.timeout))

    async def _run_chain(self, ops: Sequence[Op]) -> Any:
        results = await self._run(ops)
        # Intermediate objects become proxies too, so their handles are
        # released when collected (right after this returns).
        decoded = [decode(r, self._make_proxy) for r in results]
        return decoded[-1]

    async def _housekeeping(self) -> None:
        while not self._closed:
            await asyncio.sleep(_common.RELEASE_INTERVAL)
            try:
                if self._releases:
                    await self.flush()
                idle = time.monotonic() - self._last_call
                if self.lease_seconds and idle > self.lease_seconds / 3:
                    self._last_call = time.monotonic()
                    await self._transport.unary("KeepAlive", broker_pb2.KeepAliveRequest(
                        session=self._session), timeout=10.0)
            except asyncio.CancelledError:
                raise
            except Exception:
                pass


class _Connecting:
    """What orb.aio.connect returns: await it, or use it with ``async with``."""

    def __init__(self, coro) -> None:
        self._coro = coro
        self._conn: Optional[AioConnection] = None

    def __await__(self) -> Generator[Any, None, AioConnection]:
        return self._coro.__await__()

    async def __aenter__(self) -> AioConnection:
        self._conn = await self._coro
        return self._conn

    async def __aexit__(self, *exc) -> None:
        if self._conn is not None:
            await self._conn.close()


def connect(target: str, *, token: Optional[str] = None, ticket: Optional[str] = None,
            tls: _common.TlsArg = None, timeout: Optional[float] = 30.0,
            client_name: str = "orb-python-aio", retry: bool = True) -> _Connecting:
    """Opens a session (see orb.connect for the arguments, `retry` included:
    an operation that loses its connection is sent again until its
    deadline, writes and calls under a request id so that the broker runs
    them once; False tries each once):
    ``conn = await orb.aio.connect(...)`` or ``async with orb.aio.connect(...) as conn``."""
    return _Connecting(_connect(target, token, ticket, tls, timeout, client_name, retry))


async def _connect(target, token, ticket, tls, timeout, client_name, retry) -> AioConnection:
    metadata = _common.credentials_metadata(token, ticket)
    creds, options = _common.channel_setup(tls)
    channel = (grpc.aio.secure_channel(target, creds, options) if creds is not None
               else grpc.aio.insecure_channel(target, options))
    transport = AioUnaryTransport(channel, metadata, Retries(retry))
    end = _common.absolute_deadline(timeout)
    try:
        opened = await transport.unary(
            "OpenSession", broker_pb2.OpenSessionRequest(client_name=client_name),
            timeout=None if end is None else max(0.0, end - time.monotonic()),
            step="open session")
    except BaseException:
        await transport.close()
        raise
    transport.add_metadata(_common.route_metadata(opened))
    return AioConnection(transport, opened, timeout)


def _conn_of(proxy: Any, what: str) -> AioConnection:
    if type(proxy) is not AioProxy:
        raise TypeError(f"orb.aio.{what}() takes an orb.aio proxy, not {type(proxy).__name__}")
    return proxy._orb_conn


async def getattr(proxy: AioProxy, name: str) -> Any:  # noqa: A001 (mirrors the builtin)
    """``await orb.aio.getattr(p, "title")``: the same as ``await p.title``."""
    conn = _conn_of(proxy, "getattr")
    return await conn._run_chain((Op("getattr", proxy._orb_ref.id, name),))


async def setattr(proxy: AioProxy, name: str, value: Any) -> None:  # noqa: A001
    """SetAttr: ``await orb.aio.setattr(p, "title", "x")``."""
    conn = _conn_of(proxy, "setattr")
    await conn._run((Op("setattr", proxy._orb_ref.id, name, value=conn._encode(value, name)),))


async def delattr(proxy: AioProxy, name: str) -> None:  # noqa: A001
    """DelAttr: ``await orb.aio.delattr(p, "body")``."""
    conn = _conn_of(proxy, "delattr")
    await conn._run((Op("delattr", proxy._orb_ref.id, name),))


async def describe(proxy: AioProxy) -> Description:
    """Describe (see orb.describe); afterwards dir(proxy) lists the names."""
    conn = _conn_of(proxy, "describe")
    (r,) = await conn._run((Op("describe", proxy._orb_ref.id),))
    d = Description.from_response(r)
    conn._described[proxy._orb_ref.id] = d
    return d


async def restrict(proxy: AioProxy, *, getattr: Optional[Sequence[str]] = None,
                   setattr: Optional[Sequence[str]] = None,
                   delattr: Optional[Sequence[str]] = None,
                   call: Optional[Sequence[str]] = None) -> AioProxy:
    """Restrict (see orb.restrict)."""
    conn = _conn_of(proxy, "restrict")
    keep = _common.restrict_keep(getattr, setattr, delattr, call)
    (ref,) = await conn._run((Op("restrict", proxy._orb_ref.id, keep=keep),))
    return AioProxy(conn, ref, restricted=True)


async def snapshot(proxy: AioProxy, *names: str) -> Dict[str, Any]:
    """GetAttrs (see orb.snapshot): ``await orb.aio.snapshot(p, "title", "body")``."""
    conn = _conn_of(proxy, "snapshot")
    names = check_names(names, "orb.aio.snapshot")
    (values,) = await conn._run((conn._snapshot_op(proxy._orb_ref.id, names),))
    return conn._snapshot_dict(names, values)


async def call_by_value(proxy: AioProxy, name: str, *args: Any, **kwargs: Any) -> Any:
    """A call whose object result comes back by value (see
    orb.call_by_value): ``await orb.aio.call_by_value(blog, "add_entry", "a", "b")``."""
    conn = _conn_of(proxy, "call_by_value")
    name = _common.check_method_name(name, "orb.aio.call_by_value")
    return await conn._run_chain((conn._call_op(proxy._orb_ref.id, name, args, kwargs,
                                                by_value=True),))


def watch(proxy: AioProxy, *names: str, timeout: Optional[float] = None) -> AioWatch:
    """Watches attributes of `proxy` (one Watch call): see orb.watch.
    Sends nothing until started::

        async with orb.aio.watch(blog, "entry_count") as w:   # the start error here
            async for event in w:
                print(event.values)

    ``async for`` alone starts it at its first step. `timeout` bounds the
    whole watch (with an enclosing orb.deadline, when the watch is made);
    None: no deadline."""
    conn = _conn_of(proxy, "watch")
    return AioWatch(conn, proxy._orb_ref.id, check_names(names, "orb.aio.watch"), timeout)
