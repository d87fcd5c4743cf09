"""Value mapping, Python ⇄ orb.v1.Value: every kind both ways through a
broker that echoes (FakeBroker), over both transports, and the values that
cannot be sent."""
import math

import pytest

import orb
from orb import _values
from orb.v1 import value_pb2
from conftest import connect

ROUND_TRIPS = [
    None, True, False, 0, -1, 2**63 - 1, -(2**63), 1.5, -0.0, math.inf, "", "héllo ✓",
    b"", b"\x00\xffbytes", [], [1, "two", None], {}, {"k": 1, "nested": {"list": [1.5, b"x"]}},
    [[[[["deep"]]]]],
]


@pytest.fixture
def echo(fake, transport):
    _, address = fake
    with connect(address, transport, timeout=10) as conn:
        yield conn.root.echo


@pytest.mark.parametrize("value", ROUND_TRIPS, ids=repr)
def test_every_kind_comes_back_as_it_was_sent(echo, value):
    back = echo(value)
    assert back == value
    assert type(back) is type(value)


def test_bool_stays_bool_and_int_stays_int(echo):
    assert echo(True) is True
    assert type(echo(1)) is int


def test_tuple_and_bytearray_arrive_as_list_and_bytes(echo):
    assert echo((1, (2, 3))) == [1, [2, 3]]
    assert echo(bytearray(b"ab")) == b"ab"
    assert echo(memoryview(b"cd")) == b"cd"


def test_kwargs_are_sent_by_name(echo):
    assert echo(1, x="a", y=[2]) == [1, {"x": "a", "y": [2]}]


def test_int_subclasses_are_sent_as_int(echo):
    import enum

    class Color(enum.IntEnum):
        RED = 3

    assert echo(Color.RED) == 3


def test_nan_is_sent_as_a_double(echo):
    assert math.isnan(echo(math.nan))


def test_a_returned_handle_becomes_a_proxy_and_can_be_sent_back(echo):
    conn_root = echo._proxy
    back = echo(conn_root)
    assert isinstance(back, orb.Proxy)
    assert back == conn_root
    assert repr(back).startswith("<orb.Proxy fake.Root #")


@pytest.mark.parametrize("bad, where", [
    (object(), "argument 1: cannot send a builtins.object"),
    ({1: "x"}, "dict key 1 is a int"),
    ([1, {2j}], "argument 1[1]: cannot send a builtins.set"),
    (2**63, "does not fit in 64 bits"),
    (-(2**63) - 1, "does not fit in 64 bits"),
    (1j, "cannot send a builtins.complex"),
])
def test_unencodable_values_raise_a_type_error_naming_where(echo, bad, where):
    with pytest.raises(TypeError) as raised:
        echo(bad)
    assert isinstance(raised.value, orb.EncodeError)
    assert where in str(raised.value)


def test_a_cycle_is_refused_at_the_depth_limit(echo):
    cyclic = []
    cyclic.append(cyclic)
    with pytest.raises(orb.EncodeError, match="nested deeper than 64"):
        echo(cyclic)


def test_a_proxy_of_another_connection_is_refused(fake, echo, transport):
    _, address = fake
    with connect(address, transport, timeout=10) as other:
        with pytest.raises(orb.EncodeError, match="another connection"):
            echo(other.root)


def test_decode_maps_every_wire_kind():
    V = value_pb2.Value
    made = []
    wire = V(list_value=value_pb2.ValueList(values=[
        V(null_value=value_pb2.NULL_VALUE), V(bool_value=True), V(int_value=7),
        V(double_value=2.5), V(string_value="s"), V(bytes_value=b"b"),
        V(map_value=value_pb2.ValueMap(fields={"k": V(int_value=1)})),
        V(handle=value_pb2.HandleRef(id="h", type_name="t"))]))
    assert _values.decode(wire, lambda ref: made.append(ref.id) or "proxy") == [
        None, True, 7, 2.5, "s", b"b", {"k": 1}, "proxy"]
    assert made == ["h"]


def test_encode_checks_bool_before_int():
    assert _values.encode(True, lambda o: None).WhichOneof("kind") == "bool_value"
    assert _values.encode(1, lambda o: None).WhichOneof("kind") == "int_value"
