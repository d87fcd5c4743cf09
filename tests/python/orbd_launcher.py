"""The one orbd launcher of the Python and docs tests.

Starts a daemon (orbd itself, or a shell line or script that runs it) with
its output in a log file, waits for its "serving ... on HOST:PORT" line,
and stops it by PID (or process group) with SIGTERM. Every orbd here
listens on port 0, so no test needs a fixed port.

Import it from tests/python/... or tests/docs/... with
    sys.path.insert(0, <this folder>); import orbd_launcher
"""
import os
import re
import signal
import subprocess
import sys
import time
import unittest

# orbd's start line, e.g. "orbd: serving 'blog' on 127.0.0.1:41234".
# group(1) is HOST:PORT, group(2) HOST and group(3) PORT.
SERVING = re.compile(r"serving (?:'[^']*' )?on ((\[[^\]]*\]|[0-9.]+|localhost):(\d+))")


def read_log(log_path):
    with open(log_path, encoding="utf-8", errors="replace") as f:
        return f.read()


def wait_for_serving(process, log_path, timeout=20, pattern=SERVING):
    """Waits until `pattern` appears in the log; returns (match, log text).
    Raises AssertionError (with the log) when the process exits first or the
    time runs out; the process is then killed."""
    deadline = time.monotonic() + timeout
    while True:
        text = read_log(log_path)
        m = pattern.search(text)
        if m:
            return m, text
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process, timeout=5, check=False)
            raise AssertionError(f"the daemon did not start serving within {timeout} s "
                                 f"(exit {process.poll()}):\n{text}")
        time.sleep(0.05)


def start(argv, log_path, *, cwd=None, env=None, merge_stdout=False, timeout=20,
          pattern=SERVING):
    """Starts `argv` in a process group of its own, stderr (and stdout when
    `merge_stdout`, else /dev/null) into `log_path`, and waits until it
    serves. Returns (process, match, log text)."""
    with open(log_path, "wb") as log:
        process = subprocess.Popen(argv, cwd=cwd, env=env, stderr=log,
                                   stdout=log if merge_stdout else subprocess.DEVNULL,
                                   start_new_session=True)
    m, text = wait_for_serving(process, log_path, timeout=timeout, pattern=pattern)
    return process, m, text


def orbd_path(binary_dir):
    orbd = os.path.join(binary_dir, "bin", "orbd")
    assert os.access(orbd, os.X_OK), f"{orbd} is missing: cmake --build build --target orbd"
    return orbd


def start_blog_orbd(source_dir, binary_dir, log_path, timeout=20):
    """orbd serving the blog demo under examples/blog/policy.textproto on
    127.0.0.1:0. Returns (process, "HOST:PORT")."""
    policy = os.path.join(source_dir, "examples", "blog", "policy.textproto")
    process, m, _ = start([orbd_path(binary_dir), "--listen=127.0.0.1:0", "--service=blog",
                           "--policy=" + policy], log_path, timeout=timeout)
    return process, m.group(1)


def stop(process, timeout=20, check=True):
    """Sends SIGTERM to the process's group and waits; returns the exit
    code. When it has not exited within `timeout`, kills it and (if
    `check`) raises AssertionError."""
    if process.poll() is not None:
        return process.returncode
    _signal_group(process, signal.SIGTERM)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _signal_group(process, signal.SIGKILL)
        process.wait()
        if check:
            raise AssertionError(f"the daemon did not exit within {timeout} s of SIGTERM")
        return process.returncode


def _signal_group(process, signal_number):
    try:
        os.killpg(process.pid, signal_number)
    except ProcessLookupError:
        pass


def unittest_main():
    """unittest.main for the script-style tests: a skipped test or none run
    is a failure."""
    program = unittest.main(argv=sys.argv[:1], exit=False, verbosity=2)
    result = program.result
    if result.skipped or result.testsRun == 0:
        print("FAIL: a test was skipped or none ran; that is a failure")
        sys.exit(1)
    sys.exit(0 if result.wasSuccessful() else 1)
