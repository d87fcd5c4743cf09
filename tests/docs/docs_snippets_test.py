"""The client snippets in the documentation are the files the tests run.

docs/clients.md shows each example file whole; docs/quickstart.md shows
every command of the buf curl and grpcurl sessions, verbatim. The examples'
shell scripts are also checked for syntax. (docs_commands_test.py runs the
pages' shell blocks themselves, these included.)

    python3 tests/docs/docs_snippets_test.py SOURCE_DIR
"""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import orbd_launcher  # noqa: E402  (tests/python/orbd_launcher.py)

SOURCE_DIR = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")

CLIENT_SNIPPETS = [
    "examples/python/gen_stubs.sh",
    "examples/python/blog_session.py",
    "examples/python/blog_orb.py",
    "examples/node/blog_session.js",
    "examples/client/orbctl_session.sh",
    "examples/shell/buf-curl-session.sh",
    "examples/shell/grpcurl-session.sh",
]
QUICKSTART_SESSIONS = [
    "examples/shell/buf-curl-session.sh",
    "examples/shell/grpcurl-session.sh",
]


def read(relative):
    with open(os.path.join(SOURCE_DIR, relative), encoding="utf-8") as f:
        return f.read()


def commands(script):
    """The script's command lines: everything after `set -eu` that is not a
    comment or blank."""
    lines = read(script).splitlines()
    start = lines.index("set -eu") + 1
    return [line for line in lines[start:] if line.strip() and not line.lstrip().startswith("#")]


class DocsShowWhatTheTestsRun(unittest.TestCase):
    def test_clients_md_contains_each_example_file_whole(self):
        doc = read("docs/clients.md")
        for snippet in CLIENT_SNIPPETS:
            with self.subTest(snippet=snippet):
                self.assertIn(read(snippet), doc,
                              f"docs/clients.md must show {snippet} exactly as it is "
                              "(paste the file into its code block)")

    def test_quickstart_shows_every_command_verbatim(self):
        doc_lines = {line.strip() for line in read("docs/quickstart.md").splitlines()}
        for script in QUICKSTART_SESSIONS:
            cmds = commands(script)
            self.assertGreater(len(cmds), 5, script)
            for line in cmds:
                with self.subTest(script=script, line=line):
                    self.assertIn(line.strip(), doc_lines,
                                  f"docs/quickstart.md lacks this line of {script}")

    def test_example_shell_scripts_parse(self):
        for script in [s for s in CLIENT_SNIPPETS if s.endswith(".sh")]:
            with self.subTest(script=script):
                run = subprocess.run(["sh", "-n", os.path.join(SOURCE_DIR, script)],
                                     capture_output=True, text=True, timeout=30)
                self.assertEqual(run.returncode, 0, run.stderr)


if __name__ == "__main__":
    orbd_launcher.unittest_main()
