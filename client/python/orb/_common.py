"""What the blocking and the asyncio clients share: deadlines, credentials,
Describe answers as Python objects, and the housekeeping intervals."""
from __future__ import annotations

import contextlib
import collections
import contextvars
import time
from dataclasses import dataclass, field
from typing import Any, Iterator, List, Optional, Sequence, Tuple, Union

import grpc

from ._errors import EncodeError
from ._transport import Op
from ._values import decode, encode

# How often queued releases are sent (seconds); and a lease is renewed when
# a third of it passed without a call.
RELEASE_INTERVAL = 0.2
RELEASE_BATCH = 256  # a release queue this long is sent at once

_deadline: contextvars.ContextVar[Optional[float]] = contextvars.ContextVar(
    "orb_deadline", default=None)


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Every orb operation inside the block (in this thread or task) must
    finish within `seconds` from now, together; nested blocks take the
    earlier end. An operation past it raises orb.DeadlineExceeded.

        with orb.deadline(2.0):
            entry = blog.add_entry("a", "b")
            print(entry.title)
    """
    if seconds < 0:
        raise ValueError("orb.deadline: seconds must be >= 0")
    end = time.monotonic() + seconds
    current = _deadline.get()
    token = _deadline.set(end if current is None else min(current, end))
    try:
        yield
    finally:
        _deadline.reset(token)


def absolute_deadline(default_timeout: Optional[float]) -> Optional[float]:
    """The monotonic end for an operation starting now."""
    end = _deadline.get()
    if default_timeout is not None:
        default_end = time.monotonic() + default_timeout
        end = default_end if end is None else min(end, default_end)
    return end


@dataclass(frozen=True)
class TLS:
    """TLS settings for orb.connect(tls=...). Paths to PEM files: `ca`
    verifies the broker (None: the system's roots); `cert` and `key` are
    the client's certificate for mutual TLS; `server_name` overrides the
    name checked in the broker's certificate."""
    ca: Optional[str] = None
    cert: Optional[str] = None
    key: Optional[str] = None
    server_name: Optional[str] = None


TlsArg = Union[None, bool, TLS, grpc.ChannelCredentials]


def _read(path: Optional[str]) -> Optional[bytes]:
    if path is None:
        return None
    with open(path, "rb") as f:
        return f.read()


def channel_setup(tls: TlsArg) -> Tuple[Optional[grpc.ChannelCredentials], list]:
    """(credentials or None for plaintext, channel options)."""
    options = [("grpc.primary_user_agent", "orb-python/0.1")]
    if tls is None or tls is False:
        return None, options
    if tls is True:
        return grpc.ssl_channel_credentials(), options
    if isinstance(tls, grpc.ChannelCredentials):
        return tls, options
    if isinstance(tls, TLS):
        if (tls.cert is None) != (tls.key is None):
            raise ValueError("orb.TLS: cert and key go together (mutual TLS)")
        if tls.server_name:
            options.append(("grpc.ssl_target_name_override", tls.server_name))
        return grpc.ssl_channel_credentials(_read(tls.ca), _read(tls.key), _read(tls.cert)), options
    raise TypeError(f"tls must be None, a bool, orb.TLS or grpc.ChannelCredentials, "
                    f"not {type(tls).__name__}")


def credentials_metadata(token: Optional[str], ticket: Optional[str]) -> List[Tuple[str, str]]:
    if token is not None and ticket is not None:
        raise ValueError("orb.connect: pass token or ticket, not both")
    if token is not None:
        return [("authorization", f"Bearer {token}")]
    if ticket is not None:
        return [("authorization", f"Ticket {ticket}")]
    return []


def route_metadata(opened: Any) -> List[Tuple[str, str]]:
    """``orb-route`` for every later call of the session opened: the broker
    id OpenSession answered, so that a proxy in front of several brokers
    routes the session's calls to its broker (docs/scale-out.md)."""
    route = opened.route
    return [("orb-route", route)] if route else []


@dataclass(frozen=True)
class MemberInfo:
    """One exposed name for one operation, with what it needs and whether
    the caller holds it now."""
    op: str
    name: str
    lock: str
    allowed: bool


@dataclass(frozen=True)
class Description:
    """orb.describe(proxy): the handle's type, view and effective rights."""
    type_name: str
    is_class: bool
    view: str
    restricted: bool
    members: Tuple[MemberInfo, ...] = field(default=())
    olp: Tuple[Tuple[str, str, str, str], ...] = field(default=())  # (view, op, name, lock)

    @classmethod
    def from_response(cls, r) -> "Description":
        return cls(r.type_name, r.is_class, r.view, r.restricted,
                   tuple(MemberInfo(m.op, m.name, m.lock, m.allowed) for m in r.members),
                   tuple((e.view, e.op, e.name, e.lock) for e in r.olp))

    def allowed(self, op: Optional[str] = None) -> List[str]:
        """The names the caller may use now (for one op, or any)."""
        return sorted({m.name for m in self.members if m.allowed and (op is None or m.op == op)})

    def methods(self) -> frozenset:
        """Names exposed as calls and not as attributes on this view."""
        calls = {m.name for m in self.members if m.op == "call"}
        return frozenset(calls - {m.name for m in self.members if m.op == "getattr"})

    def __str__(self) -> str:
        head = f"{'class' if self.is_class else 'instance'} of {self.type_name}"
        if self.restricted:
            head += " (restricted)"
        lines = [head]
        for m in sorted(self.members, key=lambda m: (m.name, m.op)):
            lines.append(f"  {'+' if m.allowed else '-'} {m.op:8} {m.name:20} {m.lock}")
        return "\n".join(lines)


def restrict_keep(getattr: Optional[Sequence[str]], setattr: Optional[Sequence[str]],
                  delattr: Optional[Sequence[str]], call: Optional[Sequence[str]]) -> dict:
    keep = {}
    for op, names in (("getattr", getattr), ("setattr", setattr), ("delattr", delattr),
                      ("call", call)):
        if names is None:
            continue
        if isinstance(names, str):
            raise TypeError(f"orb.restrict: {op}= takes a list of names, not one string")
        keep[op] = list(names)
    return keep


def check_method_name(name: Any, what: str) -> str:
    """`name` when it is a str, else a TypeError naming `what`."""
    if not isinstance(name, str):
        raise TypeError(f"{what}(): the method name is a str, not {type(name).__name__}")
    return name


def short_id(handle_id: str) -> str:
    """The first characters of a handle id, enough to tell handles apart in
    a repr without printing a whole (secret) id."""
    return handle_id[:6]


def is_python_probe(name: str) -> bool:
    """Names Python, IPython and pickle look up on any object: answered
    locally (AttributeError), never sent."""
    return (name.startswith("__") and name.endswith("__")) or name.startswith(
        ("_ipython_", "_repr_")) or name in ("_fields", "_asdict", "_orb_conn", "_orb_ref")


class ProxyBase:
    """What orb.Proxy and orb.aio.AioProxy share: the handle they name, its
    connection, identity (equal when naming the same handle of the same
    connection), a short repr, no pickling, and the handle given back to
    the connection when the proxy is collected. Subclasses set
    ``_orb_repr_name`` and define the attribute protocol."""

    __slots__ = ("_orb_conn", "_orb_ref", "_orb_restricted", "__weakref__")
    _orb_repr_name = "orb.Proxy"

    def __init__(self, conn, ref, restricted: bool = False) -> None:
        object.__setattr__(self, "_orb_conn", conn)
        object.__setattr__(self, "_orb_ref", ref)
        object.__setattr__(self, "_orb_restricted", restricted)

    def __repr__(self) -> str:
        ref = self._orb_ref
        kind = "class " if ref.is_class else ""
        extra = " restricted" if self._orb_restricted else ""
        return f"<{self._orb_repr_name} {kind}{ref.type_name} #{short_id(ref.id)}{extra}>"

    def __eq__(self, other: object) -> bool:
        return (type(other) is type(self) and other._orb_conn is self._orb_conn
                and other._orb_ref.id == self._orb_ref.id)

    def __hash__(self) -> int:
        return hash(self._orb_ref.id)

    def __reduce__(self):
        raise TypeError("an orb proxy cannot be pickled: its handle is valid only in its session")

    def __del__(self) -> None:
        try:
            self._orb_conn._drop_ref(self._orb_ref)
        except Exception:  # interpreter shutdown, half-built proxy
            pass


class ConnectionBase:
    """What orb.Connection and orb.aio.AioConnection share: the session's
    facts from OpenSession, the default timeout, and the queue of handles
    whose proxies were collected (released in the background)."""

    def _init_session(self, transport, opened, timeout: Optional[float]) -> None:
        self._transport = transport
        # A plan of several steps goes in one round trip where the broker
        # offers Batch (orb.v1 revision 2).
        transport.use_batch = "batch" in opened.features
        self._session = opened.session
        self.timeout = timeout
        self.userid: str = opened.userid
        self.principals: Tuple[str, ...] = tuple(opened.principals)
        self.features: Tuple[str, ...] = tuple(opened.features)
        self.lease_seconds: int = opened.lease_seconds
        self._closed = False
        self._releases: collections.deque = collections.deque()
        self._last_call = time.monotonic()

    @property
    def closed(self) -> bool:
        return self._closed

    def _drop(self, handle_id: str) -> None:
        if not self._closed:
            self._releases.append(handle_id)

    def _drop_ref(self, ref) -> None:
        """A proxy naming `ref` was collected."""
        self._drop(ref.id)

    # The proxy class of this connection (set by each subclass).
    _proxy_type: type = ProxyBase

    def _handle_of(self, obj):
        """The handle `obj` names when it is a proxy of this connection (None
        for any other value); a proxy of another connection cannot be sent."""
        if type(obj) is not self._proxy_type:
            return None
        if obj._orb_conn is not self:
            raise EncodeError("a proxy of another connection cannot be sent: handles are "
                              "valid only in their own session")
        return obj._orb_ref

    def _encode(self, obj, path: str):
        return encode(obj, self._handle_of, 0, path)

    def _call_op(self, target, name: str, args: Sequence[Any], kwargs: Optional[dict],
                 by_value: bool = False) -> Op:
        """The Call of `name` on `target` with its arguments encoded (one
        that cannot be sent: orb.EncodeError naming it)."""
        return Op("call", target, name,
                  args=[self._encode(a, f"{name}() argument {i + 1}")
                        for i, a in enumerate(args)],
                  kwargs={k: self._encode(v, f"{name}() argument {k!r}")
                          for k, v in kwargs.items()} if kwargs else None,
                  label=f"call {name!r}" + (" by value" if by_value else ""),
                  by_value=by_value)

    @staticmethod
    def _snapshot_op(target, names: Tuple[str, ...]) -> Op:
        """The GetAttrs of `names` on `target`; errors name it
        ``snapshot 'title', 'body'``."""
        return Op("getattrs", target, names=names,
                  label="snapshot " + ", ".join(repr(n) for n in names))

    def _snapshot_dict(self, names: Tuple[str, ...], values) -> dict:
        """The GetAttrs answer `values` as a dict in the order of `names`
        (the broker's map has none), objects as proxies."""
        return {name: decode(values[name], self._make_proxy) for name in names if name in values}

    def _make_proxy(self, ref):
        return self._proxy_type(self, ref)
