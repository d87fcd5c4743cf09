"""orb.aio against a real orbd: awaited reads and calls, chains, writes,
errors, concurrency, deadlines and GC release."""
import asyncio
import gc

import pytest

import orb
import orb.aio
from conftest import BOB


def run(coro):
    return asyncio.run(coro)


def test_reads_calls_writes_and_deletes(address):
    async def main():
        async with orb.aio.connect(address, token=BOB) as conn:
            blog = conn.root
            assert conn.userid == "bob"
            assert await blog.title == "orb demo blog"
            assert await orb.aio.getattr(blog, "title") == "orb demo blog"
            entry = await blog.add_entry("aio", "body")
            assert isinstance(entry, orb.aio.AioProxy)
            await orb.aio.setattr(entry, "title", "aio edited")
            await orb.aio.delattr(entry, "body")
            assert (await entry.title, await entry.body) == ("aio edited", None)
            assert await blog.Entry.max_title_length == 200
    run(main())


def test_a_chain_runs_as_one_plan_and_names_the_failing_step(address):
    async def main():
        async with orb.aio.connect(address, token=BOB) as conn:
            blog = conn.root
            await blog.add_entry("chain target", "x")
            pending = blog.entry("entry-1").title
            assert repr(pending) == "<orb.aio.Pending call 'entry' → getattr 'title'>"
            assert isinstance(await pending, str)
            assert await blog.add_entry("a", "b").owner == "bob"
            with pytest.raises(orb.RemoteError) as raised:
                await blog.entry("no-such").title
            assert raised.value.step == "call 'entry'"
            with pytest.raises(orb.NameNotFound) as raised:
                await blog.add_entry("c", "d").no_such_name
            assert raised.value.step == "getattr 'no_such_name'"
    run(main())


def test_a_chain_is_one_batch_round_trip(address):
    async def main():
        async with orb.aio.connect(address, token=BOB) as conn:
            transport = conn._transport
            assert transport.one_round_trip, "orbd offers the batch feature"
            sent = []
            rpcs = transport._rpc
            for name in list(rpcs):
                def counted(request, _call=rpcs[name], _name=name, **kwargs):
                    sent.append(_name)
                    return _call(request, **kwargs)
                rpcs[name] = counted
            assert await conn.root.add_entry("one trip", "b").owner == "bob"
            assert sent == ["Batch"]
            sent.clear()
            assert await conn.root.title == "orb demo blog"
            assert sent == ["GetAttr"], "a single step stays a unary call"
    run(main())


def test_errors_and_bad_input(address):
    async def main():
        async with orb.aio.connect(address) as anonymous:
            with pytest.raises(orb.PermissionDenied):
                await anonymous.root.add_entry("a", "b")
            with pytest.raises(AttributeError):
                await anonymous.root._secret
            with pytest.raises(orb.EncodeError):
                anonymous.root.add_entry(object(), "b")
            with pytest.raises(TypeError, match="orb.aio.setattr"):
                anonymous.root.title = "x"
            with pytest.raises(TypeError, match="orb.aio.delattr"):
                del anonymous.root.title
        with pytest.raises(orb.Unauthenticated):
            await orb.aio.connect(address, token="wrong")
    run(main())


def test_many_tasks_share_one_connection(address):
    async def main():
        async with orb.aio.connect(address, token=BOB) as conn:
            blog = conn.root
            before = await blog.entry_count
            entries = await asyncio.gather(*[blog.add_entry(f"task {i}", "x")
                                             for i in range(32)])
            titles = await asyncio.gather(*[e.title for e in entries])
            assert titles == [f"task {i}" for i in range(32)]
            assert await blog.entry_count == before + 32
    run(main())


def test_deadline_and_closed_connection(address):
    async def main():
        conn = await orb.aio.connect(address, token=BOB)
        with orb.aio.deadline(0):
            with pytest.raises(orb.DeadlineExceeded):
                await conn.root.title
        blog = conn.root
        await conn.close()
        with pytest.raises(orb.ConnectionClosed):
            await blog.title
    run(main())


def test_snapshot_and_call_by_value(address):
    async def main():
        async with orb.aio.connect(address, token=BOB) as conn:
            blog = conn.root
            assert await orb.aio.snapshot(blog, "title", "_secret") == {"title": "orb demo blog"}
            with pytest.raises(orb.NameNotFound):
                await orb.aio.snapshot(blog, "_secret")
            with pytest.raises(TypeError):
                await orb.aio.snapshot(blog)
            before = len(await conn.list_handles())
            entry = await orb.aio.call_by_value(blog, "add_entry", "aio by value", "b")
            assert entry == {"title": "aio by value", "body": "b", "owner": "bob"}
            assert len(await conn.list_handles()) == before
    run(main())


def test_describe_restrict_and_dir(address):
    async def main():
        async with orb.aio.connect(address, token=BOB) as conn:
            d = await orb.aio.describe(conn.root)
            assert d.type_name == "demo.Blog"
            assert "add_entry" in dir(conn.root)
            narrow = await orb.aio.restrict(conn.root, getattr=["title"])
            assert await narrow.title == "orb demo blog"
            with pytest.raises(orb.NameNotFound):
                await narrow.entry_count
    run(main())


def test_collected_proxies_release_their_handles(address):
    async def main():
        async with orb.aio.connect(address, token=BOB) as conn:
            async def count():
                await conn.flush()
                return sum(h.references for h in await conn.list_handles())
            base = await count()
            for i in range(50):
                await (await conn.root.add_entry(f"aio churn {i}", "x")).title
                await conn.root.entry("entry-1").owner
            gc.collect()
            assert await count() == base
    run(main())
