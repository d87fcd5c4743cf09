"""A policy reload on the broker reaches the client's Describe cache: a
method the reload exposes is found on a connection that had described the
type before (the cache only ever answers "it is a method"; a name it lacks
is asked of the broker)."""
import os
import shutil
import signal

import pytest

import orb
from conftest import BOB, SOURCE_DIR, connect, orbd_with_policy_copy, wait_for_reloads


@pytest.fixture
def narrowed_orbd(tmp_path):
    """(process, address, policy path, log path) of an orbd whose policy file
    starts as the narrowed blog (demo.Blog without add_entry)."""
    yield from orbd_with_policy_copy(tmp_path, "narrowed-blog.textproto")


def test_a_method_exposed_by_a_reload_is_found_after_describe(narrowed_orbd, transport):
    proc, address, policy, log = narrowed_orbd
    with connect(address, transport, token=BOB) as conn:
        blog = conn.root
        assert "add_entry" not in dir(blog)  # Describe: demo.Blog's methods are cached
        assert isinstance(blog.entries, orb.Method)
        with pytest.raises(orb.NameNotFound):
            blog.add_entry
        shutil.copy(os.path.join(SOURCE_DIR, "examples", "blog", "policy.textproto"), policy)
        proc.send_signal(signal.SIGHUP)
        wait_for_reloads(log, 1)
        assert isinstance(blog.add_entry, orb.Method)
        assert blog.add_entry("after the reload", "x").owner == "bob"
        assert "add_entry" in dir(blog)
