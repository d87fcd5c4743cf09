"""scripts/demo's banner names the address orbd is told to listen on.

    python3 tests/docs/demo_script_test.py SOURCE_DIR BINARY_DIR

The script runs with ORB_DEMO_SKIP_BUILD=1 (the build is there) and a
--listen on port 0, so it never needs a fixed port; each run is stopped
with SIGTERM once orbd says it serves.
"""
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unittest

SOURCE_DIR = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
BINARY_DIR = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else os.path.join(SOURCE_DIR, "build"))
SERVING = re.compile(r"orbd: serving 'blog' on 127\.0\.0\.1:(\d+)")


def run_demo(*args):
    """Runs scripts/demo ARGS until orbd serves; returns (banner, port)."""
    env = dict(os.environ, ORB_DEMO_SKIP_BUILD="1", ORB_BUILD_DIR=BINARY_DIR)
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen([os.path.join(SOURCE_DIR, "scripts", "demo"), *args],
                                   env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            deadline = time.monotonic() + 60
            while True:
                out.seek(0)
                text = out.read().decode(errors="replace")
                m = SERVING.search(text)
                if m:
                    return text[:m.start()], m.group(1)
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"scripts/demo did not serve (exit {process.poll()}):\n"
                                         f"{text}")
                time.sleep(0.05)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)


class DemoBanner(unittest.TestCase):
    def test_banner_names_the_listen_address_given_with_an_equals_sign(self):
        banner, port = run_demo("--listen=127.0.0.1:0")
        self.assertIn("starting on 127.0.0.1:0 ", banner)
        self.assertIn("ORB=127.0.0.1:0\n", banner)
        self.assertNotIn("50051", banner)
        self.assertNotEqual(port, "0")

    def test_banner_names_the_listen_address_given_as_a_separate_argument(self):
        banner, _ = run_demo("--listen", "127.0.0.1:0")
        self.assertIn("starting on 127.0.0.1:0 ", banner)
        self.assertNotIn("50051", banner)

    def test_the_last_listen_wins_in_the_banner_as_in_orbd(self):
        banner, port = run_demo("--listen=127.0.0.1:50051", "--listen=127.0.0.1:0")
        self.assertIn("starting on 127.0.0.1:0 ", banner)
        self.assertNotEqual(port, "50051")

    def test_banner_points_at_the_quickstart(self):
        banner, _ = run_demo("--listen=127.0.0.1:0")
        self.assertIn("docs/quickstart.md", banner)


if __name__ == "__main__":
    program = unittest.main(argv=sys.argv[:1], exit=False, verbosity=2)
    result = program.result
    if result.skipped or result.testsRun == 0:
        print("FAIL: a test was skipped or none ran; that is a failure")
        sys.exit(1)
    sys.exit(0 if result.wasSuccessful() else 1)
