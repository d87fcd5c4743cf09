"""The blocking client: Connection, Proxy and Method.

Thread-safe: one Connection may be used from many threads at once (gRPC's
channel and the Stream transport are; the release queue is a deque; the
caches are dicts updated by single assignments). Handles are released when
their proxy is garbage-collected: the proxy's id goes into a queue that a
background thread sends in one Release every RELEASE_INTERVAL (or at once
when it grows long); the same thread renews the session's lease while the
connection is idle and sends lazy calls that waited too long (_lazy.py).
"""
from __future__ import annotations

import threading
import time
import weakref
from typing import Any, Dict, FrozenSet, List, Optional, Sequence, Tuple

import grpc

from . import _common
from ._errors import ConnectionClosed, NameNotFound
from ._lazy import Pending, Pipeline
from ._stream import StreamTransport
from ._transport import Op, Retries, SyncTransport, UnaryTransport
from ._values import decode
from ._watch import Watch
from .v1 import broker_pb2, value_pb2


class Proxy(_common.ProxyBase):
    """A remote object. ``p.name`` reads an attribute (GetAttr), ``p.name =
    v`` writes it (SetAttr), ``del p.name`` deletes it (DelAttr) and
    ``p.method(*args, **kwargs)`` calls a method (Call; fetching ``p.method``
    sends nothing once the type is known). ``dir(p)`` lists the names the
    caller may use now. Two proxies are equal when they name the same handle
    of the same connection."""

    __slots__ = ()
    _orb_repr_name = "orb.Proxy"

    def __getattr__(self, name: str) -> Any:
        if _common.is_python_probe(name):
            raise AttributeError(name)
        return self._orb_conn._getattr(self, name)

    def __setattr__(self, name: str, value: Any) -> None:
        self._orb_conn._setattr(self, name, value)

    def __delattr__(self, name: str) -> None:
        self._orb_conn._delattr(self, name)

    def __dir__(self) -> List[str]:
        return self._orb_conn._describe(self).allowed()

    def __repr__(self) -> str:
        ref = self._orb_ref
        if type(ref) is Pending and ref.handle is None:
            # Not answered yet (or not an object): no I/O in a repr.
            type_name, is_class = ref.expected
            kind = "class " if is_class else ""
            return f"<orb.Proxy {kind}{type_name} (lazy: {ref.op.step()})>"
        return super().__repr__()


class Method:
    """A bound remote method; calling it is one Call."""

    __slots__ = ("_proxy", "_name")

    def __init__(self, proxy: Proxy, name: str) -> None:
        self._proxy = proxy
        self._name = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._proxy._orb_conn._call(self._proxy, self._name, args, kwargs)

    def __repr__(self) -> str:
        return f"<orb.Method {self._proxy._orb_ref.type_name}.{self._name}>"


class Connection(_common.ConnectionBase):
    """A session with a broker (from orb.connect). Use it as a context
    manager or call close(); closing releases every handle of the session.

    Attributes: ``root`` (the root object's proxy), ``userid`` (empty when
    anonymous), ``principals``, ``features``, ``lease_seconds``, ``timeout``
    (the default deadline of every operation, seconds or None),
    ``transport`` (``"stream"`` or ``"unary"``: what carries the operations)
    and ``lazy`` (whether calls that return objects are lazy)."""

    _proxy_type = Proxy

    def __init__(self, transport: SyncTransport, opened: broker_pb2.OpenSessionResponse,
                 timeout: Optional[float], lazy: bool = True) -> None:
        self._init_session(transport, opened, timeout)
        self.transport: str = transport.name
        self.lazy = lazy
        self._close_lock = threading.Lock()
        self._methods: Dict[Any, FrozenSet[str]] = {}  # method names per (type, view)
        # (type, view, method) → (type name, is_class) of the object it
        # returned last; such a method's next call is lazy.
        self._returns: Dict[Any, Tuple[str, bool]] = {}
        self._pipeline = Pipeline(self._outcomes, self._settled)
        self._watches: "weakref.WeakSet[Any]" = weakref.WeakSet()  # open orb.watch calls
        self._watch_lock = threading.Lock()
        self._stop = threading.Event()
        self.root: Proxy = Proxy(self, opened.root)
        self._housekeeper = threading.Thread(target=_housekeeping, args=(weakref.ref(self),
                                             self._stop), name="orb-housekeeping", daemon=True)
        self._housekeeper.start()

    # --- public ---------------------------------------------------------------

    def close(self) -> None:
        """Closes the session (every handle is released) and the channel.
        Idempotent; proxies of a closed connection raise orb.ConnectionClosed,
        and its open watches end (their iteration stops)."""
        with self._close_lock:
            if self._closed:
                return
            try:
                self._pipeline.flush()  # lazy calls not sent yet still run
            except Exception:
                pass
            with self._watch_lock:
                self._closed = True
                watches = list(self._watches)
        for w in watches:  # cancelled by the caller, before the session ends
            w.close()
        self._stop.set()
        # A background operation retrying after a lost connection gives up
        # now rather than hold up the close.
        self._transport.retries.stopped = True
        if self._housekeeper is not threading.current_thread():
            self._housekeeper.join()
        self._releases.clear()
        try:
            self._transport.unary("CloseSession",
                                  broker_pb2.CloseSessionRequest(session=self._session),
                                  timeout=self.timeout or 10.0)
        except Exception:
            pass  # the session then ends with its lease
        finally:
            self._transport.close()

    def __enter__(self) -> "Connection":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def flush(self) -> int:
        """Sends the lazy calls not sent yet (of every thread) and the queued
        releases now; returns how many handles were released."""
        if self._closed:
            return 0
        self._pipeline.flush()
        ids = []
        while self._releases:
            try:
                ids.append(self._releases.popleft())
            except IndexError:
                break
        if not ids or self._closed:
            return 0
        r = self._transport.unary("Release", broker_pb2.ReleaseRequest(
            session=self._session, handles=ids), timeout=self.timeout)
        return r.released

    def list_handles(self) -> List[broker_pb2.HandleInfo]:
        """The session's handles as the broker counts them (orb.v1.HandleInfo)."""
        self._check_open()
        self._pipeline.run(())  # this thread's lazy calls first: they may make handles
        return list(self._transport.unary("ListHandles", broker_pb2.ListHandlesRequest(
            session=self._session), timeout=self.timeout).handles)

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        who = self.userid or "anonymous"
        return f"<orb.Connection {state} as {who}>"

    def __del__(self) -> None:
        try:
            if not self._closed:
                self._stop.set()
                self._transport.close()  # the session ends with its lease
        except Exception:
            pass

    # --- used by Proxy and Method ------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise ConnectionClosed("the connection is closed")

    def _run(self, ops: Sequence[Op]) -> List[Any]:
        """Runs `ops` (targets: handle ids, Refs or Pendings) behind this
        thread's lazy calls; returns their results or raises."""
        if self._closed:
            raise ConnectionClosed("the connection is closed", step=ops[-1].step())
        return self._pipeline.run(ops)

    def _open_watch(self, start: Any, names: Tuple[str, ...]) -> Any:
        """A Watch of the call `start()` makes, registered so that close()
        ends it; orb.ConnectionClosed when the connection is closed."""
        with self._watch_lock:
            self._check_open()
            w = Watch(self, start(), names)
            self._watches.add(w)
        return w

    def _forget_watch(self, w: Any) -> None:
        with self._watch_lock:
            self._watches.discard(w)

    def _outcomes(self, ops: Sequence[Op]) -> List[Any]:
        if self._closed:
            raise ConnectionClosed("the connection is closed", step=ops[-1].step())
        self._last_call = time.monotonic()
        return self._transport.outcomes(self._session, ops,
                                        _common.absolute_deadline(self.timeout))

    def _settled(self, pending: Pending, release: Optional[str]) -> None:
        if pending.handle is None and pending.error is None:
            self._returns.pop(pending.key, None)  # a value this time: eager from now on
        if release is not None:
            self._drop(release)

    def _drop_ref(self, ref: Any) -> None:
        if type(ref) is Pending:
            handle_id = self._pipeline.orphan(ref)
            if handle_id is not None:
                self._drop(handle_id)
        else:
            self._drop(ref.id)

    def _handle_of(self, obj: Any) -> Any:
        ref = super()._handle_of(obj)
        return ref.resolve() if type(ref) is Pending else ref

    @staticmethod
    def _target(proxy: Proxy) -> Any:
        """What an Op on `proxy` targets: its handle id, or its Pending."""
        ref = proxy._orb_ref
        if type(ref) is Pending:
            return ref.handle.id if ref.handle is not None else ref
        return ref.id

    def _method_key(self, proxy: Proxy) -> Any:
        ref = proxy._orb_ref
        if type(ref) is Pending:
            return ref.expected if ref.handle is None else (ref.handle.type_name,
                                                           ref.handle.is_class)
        return ref.id if proxy._orb_restricted else (ref.type_name, ref.is_class)

    def _getattr(self, proxy: Proxy, name: str) -> Any:
        methods = self._methods.get(self._method_key(proxy))
        if methods is not None and name in methods:
            return Method(proxy, name)
        try:
            (value,) = self._run((Op("getattr", self._target(proxy), name),))
        except NameNotFound:
            # Not an attribute: a method? The cache only ever says yes; a
            # name it lacks is asked of the broker again, since a policy
            # reload may have exposed it since the type was described.
            if name in self._describe(proxy).methods():
                return Method(proxy, name)
            raise
        return decode(value, self._make_proxy)

    def _setattr(self, proxy: Proxy, name: str, value: Any) -> None:
        encoded = self._encode(value, name)
        self._run((Op("setattr", self._target(proxy), name, value=encoded),))

    def _delattr(self, proxy: Proxy, name: str) -> None:
        self._run((Op("delattr", self._target(proxy), name),))

    def _call(self, proxy: Proxy, name: str, args: tuple, kwargs: dict) -> Any:
        op = self._call_op(None, name, args, kwargs)
        op.target = self._target(proxy)  # after encoding: an argument may send lazy calls
        key = (self._method_key(proxy), name)
        expected = self._returns.get(key) if self.lazy else None
        if expected is not None:
            # It returned an object last time: send it with the next use.
            return Proxy(self, self._pipeline.add(op, key, expected))
        (result,) = self._run((op,))
        if result.WhichOneof("kind") == "handle":
            self._returns[key] = (result.handle.type_name, result.handle.is_class)
        return decode(result, self._make_proxy)

    def _snapshot(self, proxy: Proxy, names: Tuple[str, ...]) -> Dict[str, Any]:
        (values,) = self._run((self._snapshot_op(self._target(proxy), names),))
        return self._snapshot_dict(names, values)

    def _call_by_value(self, proxy: Proxy, name: str, args: tuple, kwargs: dict) -> Any:
        op = self._call_op(None, name, args, kwargs, by_value=True)
        op.target = self._target(proxy)  # after encoding: an argument may send lazy calls
        (result,) = self._run((op,))
        return decode(result, self._make_proxy)

    def _describe(self, proxy: Proxy) -> _common.Description:
        (r,) = self._run((Op("describe", self._target(proxy)),))
        d = _common.Description.from_response(r)
        self._methods[self._method_key(proxy)] = d.methods()
        return d

    def _restrict(self, proxy: Proxy, keep: dict) -> Proxy:
        (ref,) = self._run((Op("restrict", self._target(proxy), keep=keep),))
        return Proxy(self, ref, restricted=True)


def _housekeeping(conn_ref: "weakref.ref[Connection]", stop: threading.Event) -> None:
    """Sends queued releases and renews the lease until the connection is
    closed or collected. Errors are left to the next call to report."""
    while not stop.wait(_common.RELEASE_INTERVAL):
        conn = conn_ref()
        if conn is None:
            return
        try:
            if conn._pipeline.has_unsent():
                conn._pipeline.flush(min_age=_common.RELEASE_INTERVAL)
            if conn._releases:
                conn.flush()
            idle = time.monotonic() - conn._last_call
            if conn.lease_seconds and idle > conn.lease_seconds / 3:
                conn._last_call = time.monotonic()
                conn._transport.unary("KeepAlive", broker_pb2.KeepAliveRequest(
                    session=conn._session), timeout=10.0)
        except Exception:
            pass
        del conn


TRANSPORTS = ("stream", "unary")


def connect(target: str, *, token: Optional[str] = None, ticket: Optional[str] = None,
            tls: _common.TlsArg = None, timeout: Optional[float] = 30.0,
            client_name: str = "orb-python", transport: str = "stream",
            lazy: bool = True, retry: bool = True) -> Connection:
    """Opens a session with the broker at `target` ("host:port").

    Args:
        token: a bearer token (sent as ``authorization: Bearer``).
        ticket: a signed ticket (``authorization: Ticket``); not with token.
        tls: None/False for plaintext, True for TLS with the system's roots,
            an orb.TLS (CA, client certificate for mTLS, server name) or
            grpc.ChannelCredentials.
        timeout: the default deadline of every operation in seconds (None:
            none); ``with orb.deadline(s):`` narrows it.
        client_name: shown in the broker's logs.
        transport: ``"stream"`` (the default) carries every operation as a
            frame of one long-lived Stream call where the broker offers it
            (feature ``stream``), else unary calls; ``"unary"`` always sends
            one unary call per operation (docs/python.md says why stream is
            the default).
        lazy: a call to a method that returned an object before returns a
            lazy proxy, sent with the first use of it (docs/python.md).
        retry: an operation that loses its connection (answered
            UNAVAILABLE: the broker unreachable, the connection reset, the
            stream broken) is sent again after a back-off (20 ms doubling up
            to 1 s) until its deadline from the first try (30 s without
            one), and the caller sees one call. Writes, deletes, calls and
            batches carry a request id the connection chooses, so the broker
            runs each at most once and a retry gets the first outcome;
            reads (getattr, describe, list_handles, keep-alive) are repeated;
            restrict, releases, opening and closing the session are tried
            once. False: every operation is tried once and a lost
            connection raises orb.Unavailable.

    Raises orb.Unauthenticated for bad credentials and orb.Unavailable when
    the broker cannot be reached.
    """
    if transport not in TRANSPORTS:
        raise ValueError(f"orb.connect: transport must be one of {TRANSPORTS}, "
                         f"not {transport!r}")
    metadata = _common.credentials_metadata(token, ticket)
    creds, options = _common.channel_setup(tls)
    channel = (grpc.secure_channel(target, creds, options) if creds is not None
               else grpc.insecure_channel(target, options))
    retries = Retries(retry)  # one count of request ids per session
    unary = UnaryTransport(channel, metadata, retries)
    try:
        opened = unary.unary("OpenSession",
                             broker_pb2.OpenSessionRequest(client_name=client_name),
                             timeout=_timeout_now(timeout), step="open session")
    except BaseException:
        unary.close()
        raise
    route = _common.route_metadata(opened)
    unary.add_metadata(route)
    chosen: SyncTransport = unary
    if transport == "stream" and "stream" in opened.features:
        # The same channel; opened at first use.
        chosen = StreamTransport(channel, metadata + route, retries)
    return Connection(chosen, opened, timeout, lazy)


def _timeout_now(default: Optional[float]) -> Optional[float]:
    end = _common.absolute_deadline(default)
    return None if end is None else max(0.0, end - time.monotonic())
