"""Retries after a lost connection, against a real orbd behind a loopback
TCP relay that cuts a connection after the broker got an operation and
before its answer comes back: a call runs exactly once and its caller gets
its result (SetAttr, DelAttr, Call and Batch carry request ids), a read is
simply sent again, an operation tried once (Restrict) and every operation
with ``retry=False`` raise orb.Unavailable. Over both transports and
orb.aio. The assertions are on outcomes only, never on timing."""
import asyncio
import socket
import struct
import threading
import uuid

import pytest

import orb
import orb.aio
from conftest import BOB, connect, start_orbd, stop_orbd

# How long the relay waits, after forwarding the operation it cuts, for the
# broker to run it (the outcome does not depend on it: a cut before the
# broker ran the operation makes the retry the one that runs it).
RUN_GRACE = 0.25


class Relay:
    """A loopback TCP relay in front of orbd. `cut_after(marker)` arms it:
    the next client→server bytes that contain `marker` are forwarded, from
    then on the server's answers on that connection are dropped, and
    RUN_GRACE seconds later both sides of the connection are reset. Every
    other connection (the client's reconnect) passes untouched."""

    def __init__(self, target: str) -> None:
        host, port = target.rsplit(":", 1)
        self._target = (host, int(port))
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self._listener.getsockname()[1]}"
        self._lock = threading.Lock()
        self._marker = None
        self._links = []
        self.cuts = 0
        self.connections = 0
        self._acceptor = threading.Thread(target=self._accept, name="relay-accept", daemon=True)
        self._acceptor.start()

    def cut_after(self, marker: str) -> None:
        with self._lock:
            self._marker = marker.encode()

    def close(self) -> None:
        self._listener.close()
        with self._lock:
            links, self._links = self._links, []
        for link in links:
            _reset(link)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            try:
                server = socket.create_connection(self._target, timeout=5)
                server.settimeout(None)
            except OSError:
                _reset((client,))
                continue
            link = (client, server)
            held = threading.Event()  # the server's answers are dropped
            with self._lock:
                self._links.append(link)
                self.connections += 1
            threading.Thread(target=self._up, args=(link, held), daemon=True).start()
            threading.Thread(target=self._down, args=(link, held), daemon=True).start()

    def _up(self, link, held: threading.Event) -> None:
        client, server = link
        seen = b""
        try:
            while True:
                data = client.recv(65536)
                if not data:
                    break
                seen = (seen + data)[-4096:]
                with self._lock:
                    cut = self._marker is not None and self._marker in seen
                    if cut:
                        self._marker = None
                if cut:
                    held.set()
                server.sendall(data)
                if cut:
                    threading.Event().wait(RUN_GRACE)
                    with self._lock:
                        self.cuts += 1
                    break
        except OSError:
            pass
        _reset(link)

    @staticmethod
    def _down(link, held: threading.Event) -> None:
        client, server = link
        try:
            while True:
                data = server.recv(65536)
                if not data:
                    break
                if not held.is_set():
                    client.sendall(data)
        except OSError:
            pass
        _reset(link)


def _reset(sockets) -> None:
    """Closes each socket with a TCP reset (SO_LINGER 0), waking a thread
    blocked reading it."""
    for s in sockets:
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    """An orbd of this module's own, so that its blog's entries are this
    module's."""
    proc, address = start_orbd(str(tmp_path_factory.mktemp("orbd-retry") / "orbd.log"))
    yield address
    stop_orbd(proc)


@pytest.fixture
def relay(broker):
    r = Relay(broker)
    yield r
    r.close()


@pytest.fixture
def direct(broker):
    """A connection that bypasses the relay, to look at the blog."""
    with orb.connect(broker, token=BOB, timeout=20) as conn:
        yield conn


def entries_titled(conn, title):
    return [e for e in conn.root.entries() if e.title == title]


def unique(what):
    return f"{what} {uuid.uuid4().hex}"


def test_a_call_whose_answer_is_lost_runs_once_and_answers(relay, direct, transport):
    title = unique("retried call")
    before = direct.root.entry_count
    with connect(relay.address, transport, token=BOB, timeout=20) as conn:
        relay.cut_after(title)
        entry = conn.root.add_entry(title, "x")
        assert relay.cuts == 1 and relay.connections >= 2, "the call's connection was cut"
        assert isinstance(entry, orb.Proxy)
        assert entry.title == title and entry.owner == "bob"
    assert direct.root.entry_count == before + 1
    assert len(entries_titled(direct, title)) == 1


def test_the_reader_thread_stream_retries_too(relay, direct):
    """The stream over grpcio's public API (_stream._Stream, the fallback
    for a grpcio without the internals the default one uses)."""
    title = unique("retried on the reader-thread stream")
    with connect(relay.address, "stream", token=BOB, timeout=20) as conn:
        conn._transport.segregated = False
        relay.cut_after(title)
        entry = conn.root.add_entry(title, "x")
        assert relay.cuts == 1
        assert entry.title == title
        assert type(conn._transport._stream).__name__ == "_Stream"
    assert len(entries_titled(direct, title)) == 1


def test_a_lazy_chain_whose_answer_is_lost_runs_once(relay, direct, transport):
    """The second call of add_entry is lazy: it goes with the read of its
    result as one Batch, which carries the request id."""
    title = unique("retried batch")
    with connect(relay.address, transport, token=BOB, timeout=20) as conn:
        blog = conn.root
        blog.add_entry(unique("teaches add_entry"), "x")
        pending = blog.add_entry(title, "x")
        assert "lazy" in repr(pending)
        relay.cut_after(title)
        assert pending.title == title
        assert relay.cuts == 1
    assert len(entries_titled(direct, title)) == 1


def test_a_write_and_a_delete_whose_answers_are_lost(relay, direct, transport):
    title = unique("retried write")
    with connect(relay.address, transport, token=BOB, timeout=20) as conn:
        entry = conn.root.add_entry(unique("to edit"), "body")
        relay.cut_after(title)
        entry.title = title
        assert relay.cuts == 1
        relay.cut_after("body")
        del entry.body
        assert relay.cuts == 2
        assert (entry.title, entry.body) == (title, None)
    (seen,) = entries_titled(direct, title)
    assert seen.body is None


def test_a_read_whose_answer_is_lost_is_sent_again(relay, transport):
    with connect(relay.address, transport, token=BOB, timeout=20) as conn:
        blog = conn.root
        assert blog.title == "orb demo blog"
        relay.cut_after("title")
        assert blog.title == "orb demo blog"
        assert relay.cuts == 1
        relay.cut_after(conn._session)  # ListHandles names only the session
        assert len(conn.list_handles()) >= 1
        assert relay.cuts == 2


def test_restrict_is_tried_once(relay, transport):
    with connect(relay.address, transport, token=BOB, timeout=20) as conn:
        blog = conn.root
        relay.cut_after("entry_count")
        with pytest.raises(orb.Unavailable) as raised:
            orb.restrict(blog, getattr=["entry_count"])
        assert raised.value.step == "restrict"
        assert relay.cuts == 1
        assert blog.title == "orb demo blog"  # the connection serves again


def test_without_retries_a_lost_answer_is_unavailable(relay, direct, transport):
    title = unique("not retried")
    with connect(relay.address, transport, token=BOB, timeout=20, retry=False) as conn:
        blog = conn.root
        relay.cut_after(title)
        with pytest.raises(orb.Unavailable) as raised:
            blog.add_entry(title, "x")
        assert raised.value.step == "call 'add_entry'"
        relay.cut_after("title")
        with pytest.raises(orb.Unavailable):
            blog.title
        assert relay.cuts == 2
        assert blog.title == "orb demo blog"  # the next operation connects again


def test_request_ids_go_with_writes_and_calls_only_when_retrying(broker, transport):
    for retry in (True, False):
        with connect(broker, transport, token=BOB, timeout=20, retry=retry) as conn:
            sent = []
            one_try = conn._transport._try

            def recorded(method, request, timeout, step, _try=one_try):
                sent.append((method, getattr(request, "request_id", None)))
                return _try(method, request, timeout, step)
            conn._transport._try = recorded
            blog = conn.root
            entry = blog.add_entry("ids", "x")            # Call
            entry.title = "ids, edited"                   # SetAttr
            del entry.body                                # DelAttr
            assert blog.add_entry("a", "b").title == "a"  # Batch (a lazy call and a read)
            blog.title                                    # GetAttr: no id
            conn.list_handles()
        writes = ("Call", "SetAttr", "DelAttr", "Batch")
        assert [m for m, _ in sent if m in writes] == list(writes), sent
        ids = [i for m, i in sent if m in writes]
        if retry:
            assert all(ids) and len(set(ids)) == len(ids)
            assert len({i.rsplit("-", 1)[0] for i in ids}) == 1, "one prefix per connection"
            assert all(len(i.encode()) <= 64 for i in ids)
        else:
            assert ids == [""] * len(ids)
        reads = [i for m, i in sent if m not in writes]
        assert {m for m, _ in sent if m not in writes} >= {"GetAttr", "ListHandles"}
        assert reads == [None] * len(reads), "reads take no request id"


def test_aio_retries_a_call_and_a_read(relay, direct):
    title = unique("aio retried call")

    async def main():
        async with orb.aio.connect(relay.address, token=BOB, timeout=20) as conn:
            blog = conn.root
            relay.cut_after(title)
            entry = await blog.add_entry(title, "x")
            assert isinstance(entry, orb.aio.AioProxy)
            assert relay.cuts == 1
            relay.cut_after("title")
            assert await blog.title == "orb demo blog"
            assert relay.cuts == 2
            return await entry.title
    assert asyncio.run(main()) == title
    assert len(entries_titled(direct, title)) == 1


def test_aio_without_retries_a_lost_answer_is_unavailable(relay):
    async def main():
        async with orb.aio.connect(relay.address, token=BOB, timeout=20, retry=False) as conn:
            relay.cut_after("title")
            with pytest.raises(orb.Unavailable):
                await conn.root.title
            assert relay.cuts == 1
    asyncio.run(main())
