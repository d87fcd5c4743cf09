"""The Stream transport against a real orbd and the fake broker: the same
exceptions as unary, many threads on one stream, the broker's in-flight
limit, a broken stream (an error, never a hang, then a new stream), the
choice of transport and unary fallback, and no handle left behind."""
import concurrent.futures
import gc
import threading

import grpc
import pytest

import orb
from conftest import BOB, FakeBroker, connect, handle_count, start_orbd, stop_orbd


def _failures(conn):
    """One failing operation of each kind the blog can show, as
    (type, code, reason, gate, method_error_type, message, step)."""
    blog = conn.root
    entry = blog.add_entry("errors", "x")
    attempts = [
        lambda: blog._secret,
        lambda: blog.no_such_name,
        lambda: setattr(blog, "title", "x"),
        lambda: delattr(blog, "title"),
        lambda: blog.entry("no-such-entry"),
        lambda: blog.add_entry(1, 2).title,
        lambda: blog.add_entry("only one").title,
        lambda: blog.add_entry(title="a", body="b", nope=1).title,
        lambda: orb.restrict(blog, getattr=["no_such_name"]).title,
        lambda: setattr(entry, "title", {"not": "a string"}),
    ]
    seen = []
    for attempt in attempts:
        with pytest.raises(orb.OrbError) as raised:
            attempt()
        e = raised.value
        seen.append((type(e), e.code, e.reason, e.gate, e.method_error_type, e.message, e.step))
    return seen


def test_a_stream_error_is_the_same_exception_as_unary(address):
    with connect(address, "stream", token=BOB) as stream, \
            connect(address, "unary", token=BOB) as unary:
        over_stream, over_unary = _failures(stream), _failures(unary)
    assert over_stream == over_unary
    assert {t for t, *_ in over_stream} >= {orb.NameNotFound, orb.PermissionDenied,
                                            orb.RemoteError, orb.InvalidArgument}


def test_an_unknown_session_is_not_found_on_both(address, transport):
    conn = connect(address, transport, token=BOB)
    blog = conn.root
    conn._session = "no-such-session"
    try:
        with pytest.raises(orb.NotFound) as raised:
            blog.title
        assert raised.value.reason == "SESSION_NOT_FOUND"
    finally:
        conn.close()


def test_many_threads_share_one_stream(address):
    with connect(address, "stream", token=BOB) as conn:
        blog = conn.root
        before = blog.entry_count
        limit = conn._transport.max_in_flight

        def work(i):
            entry = blog.add_entry(f"stream thread {i}", "x")
            entry.title = f"stream thread {i} edited"
            return entry.title, entry.owner

        # More threads than the broker lets in flight: the rest wait their turn.
        with concurrent.futures.ThreadPoolExecutor(limit + 8) as pool:
            got = list(pool.map(work, range(4 * limit)))
        assert got == [(f"stream thread {i} edited", "bob") for i in range(4 * limit)]
        assert blog.entry_count == before + 4 * limit
        assert conn._transport._stream is not None and conn._transport._stream.broken is None


def test_the_in_flight_limit_is_the_brokers(address):
    with connect(address, "stream", token=BOB) as conn:
        conn.root.title
        assert conn._transport.max_in_flight == 32  # orbd's default, from its header


def test_a_broker_killed_under_a_stream_fails_fast_then_stays_unavailable(tmp_path):
    proc, address = start_orbd(str(tmp_path / "orbd.log"))
    conn = connect(address, "stream", token=BOB, timeout=30, retry=False)
    retrying = connect(address, "stream", token=BOB, timeout=30)
    try:
        assert conn.root.title == "orb demo blog"
        assert retrying.root.title == "orb demo blog"
        proc.kill()
        proc.wait()
        for _ in range(3):  # every try opens a new stream, which cannot connect
            with pytest.raises(orb.Unavailable) as raised:
                conn.root.title
            assert raised.value.step == "getattr 'title'"
        # Retried until its deadline; then what the last try met (or the
        # deadline itself, when that try could not finish within it).
        with orb.deadline(1.0):
            with pytest.raises((orb.Unavailable, orb.DeadlineExceeded)) as raised:
                retrying.root.title
        assert raised.value.step == "getattr 'title'"
    finally:
        conn.close()
        retrying.close()
        stop_orbd(proc)


def test_an_answer_lost_with_its_stream_is_a_clear_error_then_a_new_stream(fake):
    servicer, address = fake
    # Retries off: a retry of the lost reads would wait on the fake again.
    with connect(address, "stream", timeout=30, retry=False) as conn:
        slow = []
        waiting = threading.Thread(target=lambda: slow.append(_raised(lambda: conn.root.slow)))
        waiting.start()
        assert servicer.slow_started.wait(30)
        with pytest.raises(orb.Unavailable):
            conn.root.break_stream
        waiting.join(30)
        assert not waiting.is_alive(), "an operation waited on a broken stream"
        (e,) = slow
        assert isinstance(e, orb.Unavailable)
        assert "may or may not have run" in str(e) and e.step == "getattr 'slow'"
        assert conn.root.echo(7) == 7  # a new stream
        assert servicer.streams_opened == 2


def _raised(fn):
    try:
        fn()
    except BaseException as e:  # noqa: BLE001 (handed to the test thread)
        return e
    return None


def test_transport_choice_and_unary_fallback(address):
    with orb.connect(address, token=BOB) as conn:
        assert conn.transport == "stream", "the default where the broker offers it"
    with orb.connect(address, token=BOB, transport="unary") as conn:
        assert conn.transport == "unary"
        assert conn.root.title == "orb demo blog"
    with pytest.raises(ValueError, match="transport must be one of"):
        orb.connect(address, transport="carrier-pigeon")


def test_a_broker_without_the_stream_feature_gets_unary_calls():
    from concurrent import futures
    from orb.v1 import broker_pb2_grpc
    servicer = FakeBroker(stream=False)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    broker_pb2_grpc.add_ObjectBrokerServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        with orb.connect(f"127.0.0.1:{port}", timeout=10) as conn:
            assert conn.transport == "unary"
            assert conn.root.echo("x") == "x"
        assert servicer.streams_opened == 0
    finally:
        server.stop(grace=None)


def test_nothing_leaks_after_churn(bob):
    base = handle_count(bob)
    blog = bob.root
    for i in range(60):
        entry = blog.add_entry(f"churn {i}", "x")  # lazy after the first
        entry.title
        blog.add_entry(f"dropped {i}", "x")  # a lazy result never used
        blog.entry("entry-1").owner  # a chain: its middle object is released too
        with pytest.raises(orb.NameNotFound):
            blog.add_entry(f"failed chain {i}", "x").no_such_name
    del entry
    gc.collect()
    assert handle_count(bob) == base
    names = {h.ref.type_name for h in bob.list_handles()}
    assert names == {"demo.Blog"}


def test_the_reader_thread_stream_serves_where_grpcio_internals_differ(address, fake):
    """The stream driven by grpcio's public API (a sender queue and a reader
    thread), used when grpcio lacks what the default one needs."""
    with connect(address, "stream", token=BOB) as conn:
        conn._transport.segregated = False
        blog = conn.root
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            titles = list(pool.map(lambda i: blog.add_entry(f"reader {i}", "x").title,
                                   range(40)))
        assert titles == [f"reader {i}" for i in range(40)]
        with pytest.raises(orb.NameNotFound):
            blog._secret
        assert type(conn._transport._stream).__name__ == "_Stream"
    servicer, fake_address = fake
    with connect(fake_address, "stream", timeout=30, retry=False) as conn:
        conn._transport.segregated = False
        with pytest.raises(orb.Unavailable):
            conn.root.break_stream
        assert conn.root.echo(3) == 3
        assert servicer.streams_opened == 2


def test_a_deadline_on_one_thread_holds_up_no_other(fake):
    """One thread waits past its deadline for a member that never answers
    (the fake ignores timeout_ms, so only the client's own deadline ends
    it) while other threads keep using the same stream."""
    servicer, address = fake
    with connect(address, "stream", timeout=30) as conn:
        root = conn.root
        echo = root.echo
        errors = []

        def slow():
            with orb.deadline(0.5):
                errors.append(_raised(lambda: root.slow))
        waiting = threading.Thread(target=slow)
        waiting.start()
        assert servicer.slow_started.wait(30)
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            assert list(pool.map(echo, range(200))) == list(range(200))
        waiting.join(30)
        assert not waiting.is_alive()
        assert isinstance(errors[0], orb.DeadlineExceeded), errors
        assert servicer.cancelled.wait(10), "the broker never saw the operation cancelled"
        assert echo("still") == "still"
