"""scripts/demo's banner names the address orbd is told to listen on.

    python3 tests/docs/demo_script_test.py SOURCE_DIR BINARY_DIR

The script runs with ORB_DEMO_SKIP_BUILD=1 (the build is there) and a
--listen on port 0, so it never needs a fixed port; each run is stopped
with SIGTERM once orbd says it serves.
"""
import os
import re
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import orbd_launcher  # noqa: E402  (tests/python/orbd_launcher.py)

SOURCE_DIR = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
BINARY_DIR = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else os.path.join(SOURCE_DIR, "build"))
SERVING = re.compile(r"orbd: serving 'blog' on 127\.0\.0\.1:(\d+)")


def run_demo(*args):
    """Runs scripts/demo ARGS until orbd serves; returns (banner, port)."""
    env = dict(os.environ, ORB_DEMO_SKIP_BUILD="1", ORB_BUILD_DIR=BINARY_DIR)
    with tempfile.TemporaryDirectory() as work:
        process, m, text = orbd_launcher.start(
            [os.path.join(SOURCE_DIR, "scripts", "demo"), *args], os.path.join(work, "demo.log"),
            env=env, merge_stdout=True, timeout=60, pattern=SERVING)
        orbd_launcher.stop(process, timeout=30)
        return text[:m.start()], m.group(1)


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
    orbd_launcher.unittest_main()
