"""Lazy calls in the blocking API, over both transports: a call to a method
that returned an object before is sent with the first use of its result,
in one round trip; errors name the step that failed; a thread's operations
reach the broker in program order; nothing is lost or left behind."""
import threading

import pytest

import orb
from conftest import ALICE, BOB, connect


def count_round_trips(conn):
    """A list that records the RPC (unary) or frame (stream) of every round
    trip the connection makes from now on."""
    sent = []
    transport = conn._transport
    send = transport._send

    def counted(method, request, timeout, step):
        sent.append(method)
        return send(method, request, timeout, step)
    transport._send = counted
    return sent


def test_a_chain_is_one_round_trip(bob):
    blog = bob.root
    dir(blog)  # the connection learns demo.Blog's methods
    sent = count_round_trips(bob)
    first = blog.add_entry("learns that add_entry returns an object", "x")
    assert sent == ["Call"], "the first call of a method is sent at once"
    assert not repr(first).count("lazy")
    sent.clear()
    assert blog.add_entry("a", "b").owner == "bob"
    assert sent == ["Batch"]
    blog.entry("entry-1")
    sent.clear()
    assert isinstance(blog.entry("entry-1").title, str)
    assert sent == ["Batch"]
    sent.clear()
    assert blog.title == "orb demo blog"
    assert sent == ["GetAttr"], "a single step stays a single operation"


def test_a_lazy_proxy_sends_nothing_until_used(bob):
    blog = bob.root
    blog.add_entry("learn", "x")
    sent = count_round_trips(bob)
    entry = blog.add_entry("lazy", "x")
    assert sent == []
    assert repr(entry) == "<orb.Proxy demo.Entry (lazy: call 'add_entry')>"
    entry.title = "lazy, retitled"  # the call and the write: one round trip
    assert sent == ["Batch"]
    assert entry.title == "lazy, retitled"
    assert orb.type_name(entry) == "demo.Entry"
    assert repr(entry).startswith("<orb.Proxy demo.Entry #")


def test_errors_name_the_step_that_failed(bob):
    blog = bob.root
    blog.add_entry("learn", "x")
    blog.entry("entry-1")
    with pytest.raises(orb.RemoteError) as raised:
        blog.entry("no-such").title
    assert raised.value.step == "call 'entry'"
    with pytest.raises(orb.NameNotFound) as raised:
        blog.add_entry("c", "d").no_such_name
    assert raised.value.step == "getattr 'no_such_name'"


def test_a_kept_lazy_call_that_fails_raises_at_the_next_operation(bob):
    blog = bob.root
    blog.add_entry("learn", "x")
    entry = blog.add_entry(1, 2)  # bad arguments, not sent yet
    with pytest.raises(orb.InvalidArgument) as raised:
        blog.title  # did not run: it came after the failure
    assert raised.value.step == "call 'add_entry'"
    with pytest.raises(orb.InvalidArgument):
        entry.title  # and using the result raises it again
    assert blog.title == "orb demo blog"


def test_a_lazy_call_whose_result_is_dropped_still_runs_in_order(bob):
    blog = bob.root
    blog.add_entry("learn", "x")
    before = blog.entry_count
    sent = count_round_trips(bob)
    blog.add_entry("never used", "x")
    assert blog.entry_count == before + 1
    assert sent == ["Batch"]


def test_flush_and_close_send_lazy_calls(address, transport):
    with connect(address, transport, token=ALICE) as watcher:
        conn = connect(address, transport, token=BOB)
        conn.root.add_entry("learn", "x")
        before = watcher.root.entry_count
        conn.root.add_entry("sent by flush", "x")
        conn.flush()
        assert watcher.root.entry_count == before + 1
        conn.root.add_entry("sent by close", "x")
        conn.close()
        assert watcher.root.entry_count == before + 2


def test_the_background_thread_sends_a_waiting_lazy_call(address, transport):
    with connect(address, transport, token=ALICE) as watcher, \
            connect(address, transport, token=BOB) as conn:
        conn.root.add_entry("learn", "x")
        before = watcher.root.entry_count
        kept = conn.root.add_entry("sent in the background", "x")
        done = threading.Event()
        for _ in range(200):
            if watcher.root.entry_count == before + 1:
                break
            done.wait(0.05)
        assert watcher.root.entry_count == before + 1
        assert kept.title == "sent in the background"


def test_a_lazy_proxy_used_from_another_thread(bob):
    blog = bob.root
    blog.add_entry("learn", "x")
    entry = blog.add_entry("made here", "x")
    seen = []
    t = threading.Thread(target=lambda: seen.append(entry.title))
    t.start()
    t.join()
    assert seen == ["made here"]


def test_lazy_false_sends_every_call_at_once(address, transport):
    with connect(address, transport, token=BOB, lazy=False) as conn:
        conn.root.add_entry("learn", "x")
        sent = count_round_trips(conn)
        assert conn.root.add_entry("a", "b").owner == "bob"
        assert sent == ["Call", "GetAttr"]


def test_a_lazy_result_that_is_not_an_object_says_so_and_the_method_turns_eager(fake,
                                                                                transport):
    _, address = fake
    with connect(address, transport, timeout=10) as conn:
        root = conn.root
        assert root.echo(root) == root  # echo returned an object: its next call is lazy
        lazy = root.echo("a plain value")
        with pytest.raises(orb.NotAnObject, match="call 'echo' returned 'a plain value', not an object"):
            orb.type_name(lazy)
        assert isinstance(lazy, orb.Proxy) and isinstance(orb.NotAnObject(), TypeError)
        assert root.echo("sent at once") == "sent at once"  # eager again
