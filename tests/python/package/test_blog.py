"""The orb package against a real orbd serving the demo blog: the four
operations, handles as proxies, class handles, dir/repr/describe/restrict,
errors, deadlines, threads, GC release and bad input."""
import concurrent.futures
import gc
import linecache
import signal
import subprocess
import sys
import threading
import time
import _thread

import grpc
import pytest

import orb
from conftest import ALICE, BOB, connect, handle_count, start_orbd, stop_orbd


def test_connect_reports_who_and_a_root_proxy(bob, anonymous):
    assert bob.userid == "bob"
    assert "system.Authenticated" in bob.principals
    assert anonymous.userid == ""
    assert bob.lease_seconds > 0
    assert isinstance(bob.root, orb.Proxy)
    assert repr(bob) == "<orb.Connection open as bob>"


def test_getattr_setattr_delattr_and_call(bob):
    blog = bob.root
    assert blog.title == "orb demo blog"
    assert isinstance(blog.entry_count, int)
    entry = blog.add_entry("from pytest", "body")
    assert isinstance(entry, orb.Proxy)
    assert entry.owner == "bob"
    entry.title = "retitled"
    assert entry.title == "retitled"
    del entry.body
    assert entry.body is None


def test_kwargs_reach_named_parameters(bob):
    entry = bob.root.add_entry(title="by name", body="kw")
    assert (entry.title, entry.body) == ("by name", "kw")


def test_fetching_a_method_sends_nothing_once_the_type_is_known(bob):
    blog = bob.root
    dir(blog)  # Describe: the connection now knows demo.Blog's methods
    before = len(bob.list_handles())
    method = blog.add_entry
    assert isinstance(method, orb.Method)
    assert repr(method) == "<orb.Method demo.Blog.add_entry>"
    assert len(bob.list_handles()) == before


def test_a_method_is_found_without_describe_first(address, transport):
    with connect(address, transport, token=BOB) as conn:
        assert isinstance(conn.root.entries, orb.Method)
        assert isinstance(conn.root.entries(), list)


def test_a_list_of_handles_comes_back_as_proxies(bob):
    bob.root.add_entry("listed", "x")
    entries = bob.root.entries()
    assert entries and all(isinstance(e, orb.Proxy) for e in entries)
    assert "listed" in [e.title for e in entries]


def test_a_chain_of_calls_and_reads(bob):
    bob.root.add_entry("chained", "x")
    names = [f"entry-{i}" for i in range(1, 200)]
    found = []
    for name in names:
        try:
            found.append(bob.root.entry(name).title)
        except orb.RemoteError:
            continue
        break
    assert found, "no entry reachable by name"


def test_an_entry_passed_back_as_an_argument_is_the_same_handle(bob):
    entry = bob.root.add_entry("same", "x")
    assert entry == bob.root.entries()[-1] or entry in bob.root.entries()
    assert hash(entry) == hash(entry)


def test_class_handles(bob):
    cls = bob.root.Entry
    assert repr(cls).startswith("<orb.Proxy class demo.Entry #")
    assert cls.max_title_length == 200
    with pytest.raises(AttributeError):
        cls.title


def test_dir_lists_exactly_what_the_caller_may_use(bob, anonymous):
    assert dir(bob.root) == ["Entry", "add_entry", "entries", "entry", "entry_count", "title"]
    assert "add_entry" not in dir(anonymous.root)
    assert "_secret" not in dir(bob.root)


def test_repr_shows_type_and_a_short_id_only(bob):
    text = repr(bob.root)
    assert text.startswith("<orb.Proxy demo.Blog #")
    assert bob.root._orb_ref.id not in text


def test_describe_shows_effective_rights(bob):
    d = orb.describe(bob.root)
    assert (d.type_name, d.is_class, d.view, d.restricted) == ("demo.Blog", False, "instance",
                                                              False)
    rights = {(m.op, m.name): m.allowed for m in d.members}
    assert rights[("call", "add_entry")] is True
    assert rights[("setattr", "title")] is False
    assert "- setattr  title" in str(d)


def test_snapshot_reads_several_names_in_one_call_and_leaves_out_what_cannot_be_read(bob):
    blog = bob.root
    values = orb.snapshot(blog, "title", "_secret", "no_such_name", "entry_count", "title")
    assert set(values) == {"title", "entry_count"}
    assert values["title"] == "orb demo blog"
    assert isinstance(values["entry_count"], int)
    with pytest.raises(orb.NameNotFound) as raised:
        orb.snapshot(blog, "_secret", "no_such_name")
    assert "snapshot '_secret', 'no_such_name'" in str(raised.value)
    with pytest.raises(TypeError):
        orb.snapshot(blog)
    with pytest.raises(TypeError):
        orb.snapshot(blog, 3)
    with pytest.raises(TypeError):
        orb.snapshot("not a proxy", "title")


def test_snapshot_of_a_lazy_result_runs_its_call_first(bob):
    blog = bob.root
    blog.add_entry("first", "x")  # the connection learns that add_entry returns an object
    lazy = blog.add_entry("lazy", "y")
    assert orb.snapshot(lazy, "title", "body", "owner") == {"title": "lazy", "body": "y",
                                                            "owner": "bob"}


def test_call_by_value_answers_the_objects_readable_attributes_and_keeps_no_handle(bob):
    blog = bob.root
    before = handle_count(bob)
    entry = orb.call_by_value(blog, "add_entry", "by value", body="v")
    assert entry == {"title": "by value", "body": "v", "owner": "bob"}
    assert handle_count(bob) == before
    assert isinstance(orb.call_by_value(blog, "entries"), list)  # no object: as a call's
    with pytest.raises(orb.NameNotFound):
        orb.call_by_value(blog, "_secret")
    with pytest.raises(TypeError):
        orb.call_by_value(blog, 7)
    with pytest.raises(orb.EncodeError):
        orb.call_by_value(blog, "add_entry", object(), "b")


def test_restrict_narrows_and_cannot_widen(bob):
    narrow = orb.restrict(bob.root, getattr=["title"])
    assert "restricted" in repr(narrow)
    assert narrow.title == "orb demo blog"
    assert dir(narrow) == ["title"]
    with pytest.raises(orb.NameNotFound):
        narrow.entry_count
    with pytest.raises(orb.NameNotFound):
        narrow.add_entry("a", "b")
    with pytest.raises(TypeError):
        orb.restrict(bob.root, getattr="title")


@pytest.mark.parametrize("name", ["_secret", "no_such_name"])
def test_hidden_and_missing_names_are_the_same_attribute_error(bob, name):
    with pytest.raises(AttributeError) as raised:
        getattr(bob.root, name)
    e = raised.value
    assert isinstance(e, orb.NameNotFound)
    assert (e.code, e.reason, e.gate) == (grpc.StatusCode.NOT_FOUND, "NAME_NOT_FOUND", "olp")
    assert e.step == f"getattr {name!r}"
    assert not hasattr(bob.root, name)


def test_denied_is_a_permission_error(bob):
    with pytest.raises(PermissionError) as raised:
        bob.root.title = "Bob's blog"
    e = raised.value
    assert isinstance(e, orb.PermissionDenied)
    assert (e.code, e.reason, e.gate) == (grpc.StatusCode.PERMISSION_DENIED, "ACL_DENIED", "acl")


def test_bob_cannot_edit_alices_entry_but_alice_can_delete_his(bob, alice):
    alices = alice.root.add_entry("alice's", "x")
    seen_by_bob = [e for e in bob.root.entries() if e.title == "alice's"][-1]
    with pytest.raises(orb.PermissionDenied):
        seen_by_bob.title = "hijack"
    assert alices.title == "alice's"
    bobs = bob.root.add_entry("bob's, soon gone", "x")
    [e for e in alice.root.entries() if e.title == "bob's, soon gone"][-1].delete()
    with pytest.raises(orb.RemoteError) as raised:
        bobs.delete()
    assert raised.value.method_error_type != "" or raised.value.reason == "METHOD_ERROR"


def test_a_member_error_is_a_remote_error_with_its_type(bob):
    with pytest.raises(orb.RemoteError) as raised:
        bob.root.entry("no-such-entry")
    e = raised.value
    assert (e.reason, e.gate) == ("METHOD_ERROR", "method")
    assert "no entry named 'no-such-entry'" in str(e)
    assert e.step == "call 'entry'"


def test_bad_arguments_are_invalid_argument_a_type_and_value_error(bob):
    with pytest.raises(TypeError) as raised:
        bob.root.add_entry(1, 2)
    assert isinstance(raised.value, ValueError)
    assert isinstance(raised.value, orb.InvalidArgument)
    assert raised.value.gate == "arguments"
    with pytest.raises(orb.InvalidArgument):
        bob.root.add_entry("only one")


def test_an_unencodable_value_is_refused_before_sending(bob):
    with pytest.raises(orb.EncodeError, match="title: cannot send a builtins.set"):
        bob.root.add_entry("x", "y").title = {1}


def test_bad_credentials_are_unauthenticated(address, transport):
    with pytest.raises(orb.Unauthenticated) as raised:
        orb.connect(address, token="not-a-token", transport=transport)
    assert raised.value.gate == "authn"
    with pytest.raises(ValueError, match="token or ticket"):
        orb.connect(address, token=BOB, ticket="t")


def test_a_dead_broker_is_unavailable_a_connection_error(tmp_path):
    proc, address = start_orbd(str(tmp_path / "orbd.log"))
    stop_orbd(proc)
    with pytest.raises(ConnectionError) as raised:
        orb.connect(address, timeout=5)
    assert isinstance(raised.value, orb.Unavailable)


def test_a_broker_that_dies_under_a_connection(tmp_path, transport):
    proc, address = start_orbd(str(tmp_path / "orbd.log"))
    # Tried once: with retries the read would wait out its timeout first
    # (test_retry.py, test_stream.py).
    conn = connect(address, transport, token=BOB, timeout=5, retry=False)
    try:
        assert conn.root.title == "orb demo blog"
        stop_orbd(proc)
        with pytest.raises(orb.Unavailable):
            conn.root.title
    finally:
        conn.close()


def test_a_proxy_after_close_raises_connection_closed(address, transport):
    conn = connect(address, transport, token=BOB)
    blog = conn.root
    conn.close()
    conn.close()  # idempotent
    assert conn.closed
    with pytest.raises(orb.ConnectionClosed):
        blog.title
    with pytest.raises(ValueError):
        blog.title = "x"
    with pytest.raises(orb.ConnectionClosed):
        conn.list_handles()


def test_with_deadline_bounds_every_call_inside(bob):
    with orb.deadline(0):
        with pytest.raises(TimeoutError) as raised:
            bob.root.title
    assert isinstance(raised.value, orb.DeadlineExceeded)
    with orb.deadline(30):
        assert bob.root.title == "orb demo blog"


def test_a_deadline_in_flight_is_deadline_exceeded(fake, transport):
    servicer, address = fake
    with connect(address, transport, timeout=0.5) as conn:
        with pytest.raises(orb.DeadlineExceeded) as raised:
            conn.root.slow
    assert raised.value.code == grpc.StatusCode.DEADLINE_EXCEEDED
    assert servicer.cancelled.wait(10)


def _waits_for_the_answer(frame, transport):
    """True when `frame` is where the transport waits for an answer: grpc's
    poll (unary) or the stream waiter's lock."""
    code = frame.f_code
    line = linecache.getline(code.co_filename, frame.f_lineno)
    if transport == "unary":
        return code.co_name == "_blocking" and "next_event" in line
    # a follower waits on its lock, the thread that reads the stream in grpc's poll
    return "/orb/" in code.co_filename and code.co_name in ("wait", "_lead") and \
        ("acquire" in line or "next_event" in line)


def test_keyboard_interrupt_cancels_the_call_in_flight(fake, transport):
    servicer, address = fake
    with connect(address, transport, timeout=60) as conn:
        main = threading.main_thread().ident

        def interrupt_when_waiting():
            # Interrupts once the call is started and the main thread waits
            # for its answer.
            assert servicer.slow_started.wait(30)
            while True:
                frame = sys._current_frames().get(main)
                if frame is not None and _waits_for_the_answer(frame, transport):
                    break
                time.sleep(0.001)
            _thread.interrupt_main()
        threading.Thread(target=interrupt_when_waiting, daemon=True).start()
        with pytest.raises(KeyboardInterrupt):
            conn.root.slow
        assert servicer.cancelled.wait(10), "the broker never saw the call cancelled"


def test_keyboard_interrupt_while_grpc_starts_a_unary_call_cancels_it(fake):
    """Ctrl-C in the instant grpcio starts the call (the lock it releases
    once the call is under way, called from Cython): the interrupt still
    comes, and the broker still sees the call cancelled."""
    servicer, address = fake
    with connect(address, "unary", timeout=60) as conn:
        root = conn.root
        releases = []

        def interrupt_in_call_start(frame, event, arg):
            back = frame.f_back
            if event == "return" and frame.f_code.co_name == "__exit__" and back is not None \
                    and back.f_code.co_name == "_blocking" and \
                    "segregated_call" in linecache.getline(back.f_code.co_filename,
                                                           back.f_lineno):
                releases.append(frame)
                if len(releases) == 2:  # grpc's second lock release: the call has started
                    sys.setprofile(None)
                    signal.raise_signal(signal.SIGINT)
        sys.setprofile(interrupt_in_call_start)
        try:
            with pytest.raises(KeyboardInterrupt):
                root.slow
        finally:
            sys.setprofile(None)
        assert len(releases) == 2, "grpc starts calls differently: revisit _interrupts.py"
        assert servicer.cancelled.wait(10), "the broker never saw the call cancelled"


def test_many_threads_share_one_connection(bob):
    blog = bob.root
    before = blog.entry_count

    def work(i):
        entry = blog.add_entry(f"thread {i}", "x")
        entry.title = f"thread {i} edited"
        return entry.title

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        titles = list(pool.map(work, range(64)))
    assert titles == [f"thread {i} edited" for i in range(64)]
    assert blog.entry_count == before + 64


def test_collected_proxies_release_their_handles(bob):
    base = handle_count(bob)
    for i in range(100):
        entry = bob.root.add_entry(f"churn {i}", "x")
        entry.title
        bob.root.Entry.max_title_length
    del entry
    gc.collect()
    assert handle_count(bob) == base


def test_held_proxies_keep_their_handles(bob):
    base = handle_count(bob)
    kept = [bob.root.add_entry(f"kept {i}", "x") for i in range(5)]
    assert handle_count(bob) == base + 5
    assert [k.title for k in kept] == [f"kept {i}" for i in range(5)]


def test_the_background_thread_sends_releases(bob):
    base = handle_count(bob)
    bob.root.add_entry("dropped at once", "x")
    gc.collect()
    deadline = threading.Event()
    for _ in range(100):
        if sum(h.references for h in bob.list_handles()) == base:
            break
        deadline.wait(0.1)
    assert sum(h.references for h in bob.list_handles()) == base


def test_closing_releases_every_handle_of_the_session(address, alice, transport):
    conn = connect(address, transport, token=BOB)
    kept = [conn.root.add_entry("closed", "x") for _ in range(3)]
    assert len(conn.list_handles()) == 4
    conn.close()
    assert kept[0] is not None


def test_python_dash_m_orb_runs_code_with_root_bound(address):
    run = subprocess.run([sys.executable, "-m", "orb", address, "--token", BOB, "-c",
                          "print(root.title, conn.userid, 'add_entry' in dir(root))"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "orb demo blog bob True\n"


def test_python_dash_m_orb_is_an_interactive_shell(address):
    run = subprocess.run([sys.executable, "-m", "orb", address],
                         input="print(root.entry_count >= 0)\nroot.title = 'x'\n",
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "True" in run.stdout
    assert "connected to" in run.stderr and "as anonymous" in run.stderr
    assert "orb.PermissionDenied" in run.stderr or "PermissionDenied" in run.stderr


def test_python_dash_m_orb_says_why_it_cannot_connect(address):
    run = subprocess.run([sys.executable, "-m", "orb", address, "--token", "wrong", "-c", "0"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert "cannot open a session" in run.stderr and "UNAUTHENTICATED" in run.stderr
