"""Value mapping between Python and orb.v1.Value.

Python → wire: None, bool, int (int64), float, str, bytes/bytearray/memoryview,
list and tuple (a list), dict with str keys (a map), and orb proxies of the
same connection (a handle). Anything else is an EncodeError (a TypeError)
naming where in the value it sits.

Wire → Python: null → None, bool, int, float, str, bytes, list, dict, and a
handle → a proxy (made by the connection's `make_proxy`).
"""
from __future__ import annotations

from typing import Any, Callable

from ._errors import EncodeError
from .v1 import value_pb2

MAX_DEPTH = 64  # the broker's nesting limit (value.proto)
_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1
Value = value_pb2.Value


def encode(obj: Any, handle_of: Callable[[Any], "value_pb2.HandleRef | None"],
           _depth: int = 0, _path: str = "value") -> value_pb2.Value:
    """Encodes `obj`. `handle_of(obj)` returns the HandleRef of a proxy of
    this connection, None when obj is no proxy, and raises EncodeError for a
    proxy of another connection."""
    t = type(obj)
    if t is str:
        return Value(string_value=obj)
    if t is bool:
        return Value(bool_value=obj)
    if t is int:
        if not _INT64_MIN <= obj <= _INT64_MAX:
            raise EncodeError(f"{_path}: int {obj} does not fit in 64 bits; orb sends int64")
        return Value(int_value=obj)
    if t is float:
        return Value(double_value=obj)
    if obj is None:
        return Value(null_value=value_pb2.NULL_VALUE)
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return Value(bytes_value=bytes(obj))
    ref = handle_of(obj)
    if ref is not None:
        return Value(handle=ref)
    if _depth >= MAX_DEPTH:
        raise EncodeError(f"{_path}: nested deeper than {MAX_DEPTH} levels "
                          "(the broker's limit; a cycle?)")
    if isinstance(obj, (list, tuple)):
        return Value(list_value=value_pb2.ValueList(values=[
            encode(v, handle_of, _depth + 1, f"{_path}[{i}]") for i, v in enumerate(obj)]))
    if isinstance(obj, dict):
        fields = {}
        for k, v in obj.items():
            if not isinstance(k, str):
                raise EncodeError(f"{_path}: dict key {k!r} is a {type(k).__name__}; "
                                  "orb maps have str keys")
            fields[k] = encode(v, handle_of, _depth + 1, f"{_path}[{k!r}]")
        return Value(map_value=value_pb2.ValueMap(fields=fields))
    # bool/int/float subclasses (IntEnum, numpy scalars that subclass them).
    if isinstance(obj, bool):
        return Value(bool_value=bool(obj))
    if isinstance(obj, int):
        return encode(int(obj), handle_of, _depth, _path)
    if isinstance(obj, float):
        return Value(double_value=float(obj))
    if isinstance(obj, str):
        return Value(string_value=str(obj))
    raise EncodeError(f"{_path}: cannot send a {t.__module__}.{t.__qualname__}; orb sends None, "
                      "bool, int, float, str, bytes, list, tuple, dict and orb proxies")


def decode(v: value_pb2.Value, make_proxy: Callable[[value_pb2.HandleRef], Any]) -> Any:
    """Decodes `v`; every handle in it becomes a proxy via `make_proxy`."""
    kind = v.WhichOneof("kind")
    if kind == "string_value":
        return v.string_value
    if kind == "int_value":
        return v.int_value
    if kind == "handle":
        return make_proxy(v.handle)
    if kind == "null_value" or kind is None:
        return None
    if kind == "bool_value":
        return v.bool_value
    if kind == "double_value":
        return v.double_value
    if kind == "bytes_value":
        return v.bytes_value
    if kind == "list_value":
        return [decode(x, make_proxy) for x in v.list_value.values]
    if kind == "map_value":
        return {k: decode(x, make_proxy) for k, x in v.map_value.fields.items()}
    raise EncodeError(f"unknown value kind {kind!r} from the broker")
