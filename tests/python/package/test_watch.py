"""orb.watch and orb.aio.watch against a real orbd serving the demo blog:
the first event and the changes another connection makes, names left out,
the refusals (as exceptions of the package), the quota, a policy reload
(names dropped, then nothing left), and the ends: the caller's close (the
iteration stops, no call or thread left), the connection's close, the
handle's release, the session's end, the deadline."""
import asyncio
import gc
import os
import signal
import threading
import time

import pytest

import orb
import orb.aio
from conftest import ALICE, BOB, SOURCE_DIR, connect, orbd_with_policy_copy, wait_for_reloads

LIMIT = 10  # seconds: every watch here ends by then at the latest


def next_with(w, name):
    """The next event of `w` that carries `name`."""
    for event in w:
        if name in event.values:
            return event
    raise AssertionError(f"the watch ended without a change of {name!r}")


def wait_until(predicate, seconds=5.0):
    end = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.02)


def watch_threads():
    """Threads other than the ones the process had anyway (grpc's own
    per-call threads included)."""
    return {t for t in threading.enumerate() if t.daemon and "orb-housekeeping" not in t.name}


def test_the_first_event_then_a_change_made_by_another_connection(bob, alice):
    with orb.watch(bob.root, "title", "entry_count", timeout=LIMIT) as w:
        first = next(w)
        assert first.initial and first.dropped == ()
        assert first.values["title"] == "orb demo blog"
        count = first.values["entry_count"]
        assert isinstance(count, int)
        alice.root.add_entry("watched", "by bob")
        event = next_with(w, "entry_count")
        assert not event.initial
        assert event.values["entry_count"] == count + 1


def test_setattr_is_announced(bob):
    entry = bob.root.add_entry("before", "body")
    with orb.watch(entry, "title", timeout=LIMIT) as w:
        assert next(w).values == {"title": "before"}
        entry.title = "after"
        assert next_with(w, "title").values == {"title": "after"}


def test_handles_arrive_as_proxies_of_the_connection(bob):
    with orb.watch(bob.root, "Entry", timeout=LIMIT) as w:
        cls = next(w).values["Entry"]
    assert isinstance(cls, orb.Proxy) and cls._orb_conn is bob
    assert orb.type_name(cls) == "demo.Entry"
    assert cls.max_title_length == 200


def test_names_the_caller_may_not_read_are_left_out(bob):
    with orb.watch(bob.root, "title", "_secret", "no_such_name", timeout=LIMIT) as w:
        assert set(next(w).values) == {"title"}


def test_when_no_name_is_readable_watch_raises_name_not_found(bob):
    with pytest.raises(orb.NameNotFound) as e:
        orb.watch(bob.root, "_secret", "title_typo")
    assert isinstance(e.value, AttributeError)
    assert e.value.reason == "NAME_NOT_FOUND"
    assert e.value.step == "watch '_secret', 'title_typo'"


def test_a_class_handle_is_refused(bob):
    with pytest.raises(orb.InvalidArgument) as e:
        orb.watch(bob.root.Entry, "max_title_length")
    assert e.value.reason == "NOT_WATCHABLE"


def test_names_are_checked_before_anything_is_sent(bob):
    with pytest.raises(TypeError):
        orb.watch(bob.root)
    with pytest.raises(TypeError):
        orb.watch(bob.root, 42)
    with pytest.raises(TypeError):
        orb.watch("not a proxy", "title")


def test_the_quota_of_watches_and_closed_watches_free_it(address, transport):
    with connect(address, transport, token=BOB, timeout=20) as conn:
        watches = [orb.watch(conn.root, "title", timeout=LIMIT) for _ in range(16)]
        with pytest.raises(orb.ResourceExhausted) as e:
            orb.watch(conn.root, "title")
        assert e.value.reason == "QUOTA_WATCHES"
        for w in watches:
            w.close()
        # The broker frees a watch when it sees the cancel: soon after.
        end = time.monotonic() + 5
        fresh = []
        while len(fresh) < 16:
            try:
                fresh.append(orb.watch(conn.root, "title", timeout=LIMIT))
            except orb.ResourceExhausted:
                assert time.monotonic() < end, "closed watches still count"
                time.sleep(0.05)
        for w in fresh:
            w.close()


def test_leaving_the_with_block_cancels_and_leaves_no_thread(bob):
    before = watch_threads()
    with orb.watch(bob.root, "title", timeout=LIMIT) as w:
        next(w)
    assert w.closed
    with pytest.raises(StopIteration):
        next(w)
    w.close()  # idempotent
    wait_until(lambda: watch_threads() <= before)


def test_close_from_another_thread_ends_a_blocked_iteration(bob):
    w = orb.watch(bob.root, "title", timeout=LIMIT)
    seen, errors = [], []

    def iterate():
        try:
            seen.extend(w)
        except BaseException as e:  # noqa: B902  (reported below)
            errors.append(e)

    t = threading.Thread(target=iterate)
    t.start()
    wait_until(lambda: seen)
    w.close()
    t.join(5)
    assert not t.is_alive() and errors == []
    assert [e.initial for e in seen] == [True]


def test_closing_the_connection_ends_the_iteration(address, transport):
    conn = connect(address, transport, token=BOB, timeout=20)
    w = orb.watch(conn.root, "title", timeout=LIMIT)
    seen, outcome = [], []

    def iterate():
        try:
            for event in w:
                seen.append(event)
            outcome.append("ended")
        except BaseException as e:  # noqa: B902
            outcome.append(e)

    t = threading.Thread(target=iterate)
    t.start()
    wait_until(lambda: seen)
    time.sleep(0.05)  # blocked in the wait for the next event
    conn.close()
    t.join(5)
    assert not t.is_alive() and outcome == ["ended"] and len(seen) == 1
    with pytest.raises(orb.ConnectionClosed):
        orb.watch(conn.root, "title")


def test_releasing_the_handle_raises_not_found(bob):
    entry = bob.root.add_entry("released", "body")
    w = orb.watch(entry, "title", timeout=LIMIT)
    assert next(w).initial
    del entry
    gc.collect()
    bob.flush()  # the handle's release
    with pytest.raises(orb.NotFound) as e:
        next(w)
    assert e.value.reason == "HANDLE_NOT_FOUND"
    assert w.closed
    with pytest.raises(StopIteration):
        next(w)


def test_the_session_closed_elsewhere_raises_not_found(address, transport):
    conn = connect(address, transport, token=BOB, timeout=20)
    try:
        w = orb.watch(conn.root, "title", timeout=LIMIT)
        next(w)
        # The session ends without this connection cancelling its watch.
        conn._transport.unary("CloseSession", orb.v1.broker_pb2.CloseSessionRequest(
            session=conn._session), timeout=10)
        with pytest.raises(orb.NotFound) as e:
            next(w)
        assert e.value.reason == "SESSION_NOT_FOUND"
    finally:
        conn.close()


def test_the_deadline_ends_the_watch(bob):
    w = orb.watch(bob.root, "title", timeout=0.5)
    assert next(w).initial
    with pytest.raises(orb.DeadlineExceeded):
        next(w)


def test_a_lazy_proxy_is_sent_first(bob):
    blog = bob.root
    blog.add_entry("lazy 1", "b")
    entry = blog.add_entry("lazy 2", "b")  # lazy: sent by the watch
    with orb.watch(entry, "title", timeout=LIMIT) as w:
        assert next(w).values == {"title": "lazy 2"}


def test_aio_watch(address):
    async def main():
        async with orb.aio.connect(address, token=BOB, timeout=20) as conn:
            blog = conn.root
            with pytest.raises(orb.NameNotFound):
                async with orb.aio.watch(blog, "_secret"):
                    pass
            async with orb.aio.watch(blog, "entry_count", timeout=LIMIT) as w:
                first = await w.__anext__()
                assert first.initial
                with orb.connect(address, token=ALICE, timeout=20) as alice:
                    alice.root.add_entry("async watched", "x")
                async for event in w:
                    if "entry_count" in event.values:
                        assert event.values["entry_count"] == first.values["entry_count"] + 1
                        break
            assert w.closed
            # Closing from another task ends an iteration; so does the
            # connection's close.
            w2 = orb.aio.watch(blog, "title", timeout=LIMIT)
            got = []

            async def iterate():
                async for event in w2:
                    got.append(event)

            task = asyncio.ensure_future(iterate())
            while not got:
                await asyncio.sleep(0.01)
            w2.close()
            await asyncio.wait_for(task, 5)
            got.clear()
            w2 = orb.aio.watch(blog, "title", timeout=LIMIT)
            task = asyncio.ensure_future(iterate())
            while not got:
                await asyncio.sleep(0.01)
        await asyncio.wait_for(task, 5)  # ended by the connection's close
        assert len(got) == 1 and w2.closed

    asyncio.run(main())


def _blog_policy(tables):
    """The narrowed blog's policy with demo.Blog's instance tables `tables`."""
    with open(os.path.join(SOURCE_DIR, "examples", "blog", "narrowed-blog.textproto")) as f:
        text = f.read()
    head = text[:text.index("type {")]
    return head + 'type { name: "demo.Blog" olp { instance { ' + tables + " } } }\n"


def _reload(proc, policy, log, text, count):
    policy.write_text(text)
    proc.send_signal(signal.SIGHUP)
    wait_for_reloads(log, count)


@pytest.fixture
def blog_orbd(tmp_path):
    """(process, address, policy path, log path) of an orbd of its own whose
    policy file starts as the demo blog's."""
    yield from orbd_with_policy_copy(tmp_path, "policy.textproto")


def test_a_reload_drops_names_then_ends_the_watch(blog_orbd, transport):
    proc, address, policy, log = blog_orbd
    with connect(address, transport, token=BOB, timeout=20) as bob, \
            connect(address, transport, token=ALICE, timeout=20) as alice:
        with orb.watch(bob.root, "title", "entry_count", timeout=LIMIT) as w:
            next(w)
            _reload(proc, policy, log, _blog_policy(
                'getattr { name: "title" } setattr { name: "title" permission: "edit" } '
                'call { name: "add_entry" permission: "add" }'), 1)
            alice.root.add_entry("a", "b")
            event = next(w)
            assert event.values == {} and event.dropped == ("entry_count",)
            alice.root.title = "still"
            assert next_with(w, "title").values == {"title": "still"}
            _reload(proc, policy, log, _blog_policy(
                'setattr { name: "title" permission: "edit" }'), 2)
            alice.root.title = "gone"
            with pytest.raises(orb.PermissionDenied) as e:
                next(w)
            assert e.value.reason == "WATCH_NOTHING_LEFT"
