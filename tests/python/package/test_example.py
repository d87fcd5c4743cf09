"""examples/python/blog_orb.py (shown whole in docs/clients.md) runs."""
import os
import subprocess
import sys

from conftest import SOURCE_DIR, start_orbd, stop_orbd


def test_the_package_example_prints_the_session(tmp_path):
    proc, address = start_orbd(str(tmp_path / "orbd.log"))
    try:
        run = subprocess.run([sys.executable, os.path.join(SOURCE_DIR, "examples", "python",
                                                           "blog_orb.py"), address],
                             capture_output=True, text=True, timeout=60)
    finally:
        stop_orbd(proc)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [
        "opened a session as bob; root is a demo.Blog",
        "title: orb demo blog",
        "add_entry returned a demo.Entry proxy",
        "entry title: Hello again",
        "_secret: NOT_FOUND reason=NAME_NOT_FOUND gate=olp",
        "closed the session, releasing every handle",
    ]
