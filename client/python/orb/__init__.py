"""orb: transparent Python proxies for the live C++ objects an orb broker
serves, every operation gated by the broker's Object Lock Profiles and ACLs.

    import orb

    with orb.connect("127.0.0.1:50051", token="bob-demo-token") as conn:
        blog = conn.root
        print(blog.title)                          # GetAttr
        entry = blog.add_entry("Hello", "world")   # Call → a proxy
        entry.title = "Hello again"                # SetAttr
        del entry.body                             # DelAttr

Operations travel as frames of one gRPC Stream where the broker offers it
(``orb.connect(..., transport="unary")`` for unary calls), and a call to a
method that returned an object before is lazy: ``blog.entry("x").title`` is
one round trip. The tutorial is docs/python.md; ``orb.aio`` is the asyncio
client.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Sequence, Union

from ._common import TLS, Description, MemberInfo, deadline
from ._client import Connection, Method, Proxy, connect
from ._errors import (Cancelled, ConnectionClosed, DeadlineExceeded, EncodeError,
                      FailedPrecondition, InvalidArgument, NameNotFound, NotFound, OrbError,
                      PermissionDenied, RemoteError, ResourceExhausted, Unauthenticated,
                      Unavailable)
from ._lazy import NotAnObject
from ._watch import Watch, WatchEvent, check_names, start_sync
from . import _common

__version__ = "0.1.0"

__all__ = [
    "connect", "Connection", "Proxy", "Method", "TLS", "deadline", "describe", "restrict", "type_name",
    "Description", "MemberInfo", "OrbError", "NameNotFound", "NotFound", "PermissionDenied",
    "Unauthenticated", "InvalidArgument", "DeadlineExceeded", "ResourceExhausted",
    "FailedPrecondition", "RemoteError", "Unavailable", "Cancelled", "ConnectionClosed",
    "EncodeError", "NotAnObject", "watch", "Watch", "WatchEvent", "snapshot", "call_by_value",
]


def describe(proxy: Proxy) -> Description:
    """The handle's type, view (instance or class), whether it is restricted,
    and each exposed name with the lock it needs and whether the caller holds
    it now (one Describe). ``print(orb.describe(p))`` shows a table."""
    _check_proxy(proxy, "describe")
    return proxy._orb_conn._describe(proxy)


def type_name(proxy: Any) -> str:
    """The registered type name of a proxy's object, e.g. ``"demo.Entry"``
    (no call: the broker sent it with the handle). Works for orb.aio proxies."""
    ref = getattr(proxy, "_orb_ref", None)
    if ref is None:
        raise TypeError(f"orb.type_name() takes an orb proxy, not {type(proxy).__name__}")
    return ref.type_name


def restrict(proxy: Proxy, *, getattr: Optional[Sequence[str]] = None,
             setattr: Optional[Sequence[str]] = None, delattr: Optional[Sequence[str]] = None,
             call: Optional[Sequence[str]] = None) -> Proxy:
    """A new proxy to the same object that exposes only the names given per
    operation (an operation not named keeps nothing). The broker makes it: a
    restricted handle can be passed to less trusted code, which cannot widen
    it. Names outside the original's exposure are refused by the broker."""
    _check_proxy(proxy, "restrict")
    return proxy._orb_conn._restrict(proxy, _common.restrict_keep(getattr, setattr, delattr, call))


def snapshot(proxy: Proxy, *names: str) -> Dict[str, Any]:
    """The values of several attributes of `proxy` in one call (GetAttrs), as
    a dict of name → value (objects as proxies), in the order asked for::

        orb.snapshot(entry, "title", "body", "owner")

    Each name passes both gates on its own: a name the caller may not read,
    or that the object does not have, is left out of the dict, as if the
    object had no such attribute. Only when no name can be read does it
    raise, with the first name's error (orb.NameNotFound, orb.PermissionDenied).
    A TypeError when no name is given or one is not a str."""
    _check_proxy(proxy, "snapshot")
    return proxy._orb_conn._snapshot(proxy, check_names(names, "orb.snapshot"))


def call_by_value(proxy: Proxy, name: str, *args: Any, **kwargs: Any) -> Any:
    """Calls method `name` of `proxy` as ``proxy.name(*args, **kwargs)``
    does, but a result that is an object comes back by value: a dict of the
    attributes the caller may read (as orb.snapshot of all its attributes
    would give), and the session keeps no handle to it. Any other result is
    returned as the call's. One round trip::

        orb.call_by_value(blog, "add_entry", "a", "b")   # {'title': 'a', ...}
    """
    _check_proxy(proxy, "call_by_value")
    name = _common.check_method_name(name, "orb.call_by_value")
    return proxy._orb_conn._call_by_value(proxy, name, args, kwargs)


def watch(proxy: Proxy, *names: str, timeout: Optional[float] = None) -> Watch:
    """Watches attributes of `proxy` (one Watch call, its own on the
    connection's channel whatever the transport): returns an orb.Watch, an
    iterator of orb.WatchEvents (``.values``, ``.dropped``, ``.initial``)
    and a context manager whose end cancels the call::

        with orb.watch(blog, "title", "entry_count") as w:
            for event in w:          # the first event, then one per change
                print(event.values)

    The first event is read before this returns: a refusal raises here as
    the same refusal of a GetAttr would (orb.NameNotFound when no name is
    readable; names the caller may not read are left out of the values;
    orb.InvalidArgument for a class handle or bad names;
    orb.ResourceExhausted over the session's quota of watches). Later the
    broker's end raises from ``next()`` (orb.NotFound once the handle is
    released or the session ends); close(), the ``with`` block's end or
    closing the connection just end the iteration.

    `timeout` bounds the whole watch in seconds (narrowed by an enclosing
    orb.deadline; not the connection's default timeout): when it passes,
    ``next()`` raises orb.DeadlineExceeded. None: no deadline. A watch is
    tried once (no retry after a lost connection) and does not renew the
    session's lease (the connection's background keep-alive does)."""
    _check_proxy(proxy, "watch")
    return start_sync(proxy._orb_conn, proxy, check_names(names, "orb.watch"), timeout)


def _check_proxy(obj: Any, what: str) -> None:
    if type(obj) is not Proxy:
        raise TypeError(f"orb.{what}() takes an orb proxy, not {type(obj).__name__} "
                        "(for orb.aio proxies use orb.aio.{what})")
