"""Every shell block of the user documentation runs as written.

    python3 tests/docs/docs_commands_test.py SOURCE_DIR BINARY_DIR

For each of docs/quickstart.md, clients.md, operations.md and embedding.md,
in order, the blocks fenced as ```sh, ```bash, ```shell or ```console run
one after the other the way a reader types them into one shell, from the
repository's root, against a fresh demo orbd the test starts (what
`scripts/demo` serves). Any failure is a test failure:

- Each block runs in bash with `set -euo pipefail`: a command that fails
  fails the block, so a command the docs expect to fail must say so
  (`... || echo "refused"`). Variables and the working directory carry over
  from block to block within a page (bash's `set -a` exports every
  assignment; the environment and `pwd` are handed to the next block).
- A ```console block is a transcript: its `$ ` lines are the commands (a
  trailing backslash continues one), the other lines the output expected on
  standard output, compared exactly. A ```console block without a `$ ` line
  is an error: output alone is fenced as ```text.
- Markers: an HTML comment on the line(s) before the fence, visible in the
  markdown source:
    <!-- doc-test: skip (REASON) -->  not run; the reason is required.
    <!-- doc-test: background -->     a daemon: started in the background,
        stopped (SIGTERM) when the page is done. Its `--listen=HOST:PORT` is
        replaced by port 0; the test waits for its "serving ... on
        HOST:PORT" line and from then on the page's PORT means that port.
        A `--metrics-listen=HOST:PORT` in it is moved to port 0 the same way,
        its PORT mapped from orbd's "metrics on http://HOST:PORT/metrics".
  A block that is neither runnable nor marked fails the test (it times out,
  or a command is missing, or it fails).
- Addresses. The docs say 127.0.0.1:50051 (and other fixed ports for the
  daemons they start). ctest runs tests in parallel and other programs may
  hold those ports, so nothing here listens on a fixed port: every orbd
  listens on port 0, and each page's text is rewritten consistently,
  HOST:PORT -> HOST:<actual port>, before it runs (also in the expected
  output). orbctl's compiled-in default target is the one address the text
  cannot carry, so ORB_TARGET is set to the page's 127.0.0.1:50051.
- Tools: build/bin (orbd, orbctl, thermostat-broker) and the buf of
  tests/node/node_modules/.bin come first on PATH, then python3 is the
  interpreter running this test (Debian's, with python3-grpcio, as
  clients.md asks); node, npm, openssl, jq, protoc and cmake are the
  system's. `npm install` runs with
  npm_config_prefer_offline, so the packages scripts/install-deps put in
  npm's cache serve it. The page runs in a scratch copy of the repository's
  root (examples/ copied, everything else linked), so what the commands
  write stays out of the source tree.
- grpcurl is not packaged in Debian bookworm. A block that calls grpcurl
  runs when grpcurl is on PATH; always, each grpcurl request is checked to
  be one that a buf curl command of the same docs sends and that ran: same
  address, method, JSON body (parsed, so formatting does not matter),
  headers and transport (-plaintext with http://, -cacert/-cert/-key with
  https:// and buf's --cacert/--cert/--key). `grpcurl ... list` matches
  `buf curl --list-services`; `describe SYMBOL` needs SYMBOL to be a service
  or method the live server lists.
- jq filters must work with both JSON spellings of field names: grpcurl
  1.8.x prints proto names (`type_name`), newer grpcurl and buf curl JSON
  names (`typeName`), so a filter naming `.typeName` also names
  `.type_name` (`.typeName // .type_name`).
"""
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import orbd_launcher  # noqa: E402  (tests/python/orbd_launcher.py)

SOURCE_DIR = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
BINARY_DIR = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else os.path.join(SOURCE_DIR, "build"))
DOCS = ["docs/quickstart.md", "docs/clients.md", "docs/operations.md", "docs/embedding.md",
        "docs/protocol.md"]
SHELL_LANGUAGES = {"sh", "bash", "shell", "console"}
DEMO_PORT = "50051"
BLOCK_TIMEOUT = 120
BUF_BIN = os.path.join(SOURCE_DIR, "tests", "node", "node_modules", ".bin")
MARKER = re.compile(r"<!--\s*doc-test:\s*(.*?)\s*-->")
ADDRESS = re.compile(r"\b(127\.0\.0\.1|localhost|0\.0\.0\.0):(\d+)\b")
LISTEN = re.compile(r"(?<![\w-])(--listen=)(127\.0\.0\.1|localhost):(\d+)")
# orbd's metrics endpoint, moved to port 0 like --listen and mapped from
# the line orbd logs before its "serving" line.
METRICS_LISTEN = re.compile(r"(--metrics-listen=)(127\.0\.0\.1|localhost):(\d+)")
METRICS_ON = re.compile(r"metrics on http://(127\.0\.0\.1|localhost):(\d+)/metrics")


class Block:
    def __init__(self, doc, line, language, text, marker):
        self.doc, self.line, self.language, self.text, self.marker = doc, line, language, text, marker

    def where(self):
        return f"{self.doc}:{self.line}"

    def commands(self):
        """The shell text to run: a console block's `$ ` lines (with their
        continuations), any other block whole."""
        if self.language != "console":
            return self.text
        out, continuing = [], False
        for line in self.text.splitlines():
            if continuing or line.startswith("$ "):
                out.append(line if continuing else line[2:])
                continuing = line.endswith("\\")
        return "\n".join(out) + "\n"

    def expected_output(self):
        if self.language != "console":
            return None
        out, continuing = [], False
        for line in self.text.splitlines():
            if continuing or line.startswith("$ "):
                continuing = line.endswith("\\")
                continue
            out.append(line)
        return "\n".join(out).strip("\n")


def parse_blocks(doc):
    """The fenced blocks of `doc` in order, each with the marker comment
    that precedes it (blank lines between are allowed); markers anywhere else
    are errors."""
    with open(os.path.join(SOURCE_DIR, doc), encoding="utf-8") as f:
        lines = f.read().splitlines()
    blocks, errors = [], []
    pending = None  # (line number, marker text)
    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        fence = re.match(r"^(\s*)(`{3,})(\S*)\s*$", lines[i])
        if fence:
            indent, ticks, language = fence.group(1), fence.group(2), fence.group(3)
            start = i + 1
            i += 1
            body = []
            while i < len(lines) and lines[i].strip() != ticks:
                body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i])
                i += 1
            marker = pending[1] if pending else None
            if language in SHELL_LANGUAGES:
                blocks.append(Block(doc, start, language, "\n".join(body) + "\n", marker))
            elif pending:
                errors.append(f"{doc}:{pending[0]}: a doc-test marker before a ```{language} "
                              "block: markers apply to shell blocks only")
            pending = None
        else:
            m = MARKER.search(stripped)
            if m:
                if pending:
                    errors.append(f"{doc}:{pending[0]}: a doc-test marker not followed by a block")
                pending = (i + 1, m.group(1))
            elif stripped and pending:
                errors.append(f"{doc}:{pending[0]}: a doc-test marker must come right before "
                              "the fence of the block it is about")
                pending = None
        i += 1
    if pending:
        errors.append(f"{doc}:{pending[0]}: a doc-test marker not followed by a block")
    return blocks, errors


def marker_kind(block):
    """'skip', 'background' or None; raises ValueError on a bad marker."""
    if block.marker is None:
        return None
    if block.marker == "background":
        return "background"
    m = re.fullmatch(r"skip\s*\((.+)\)", block.marker)
    if m and m.group(1).strip():
        return "skip"
    raise ValueError(f"{block.where()}: unknown doc-test marker '{block.marker}': write "
                     "'skip (the reason)' or 'background'")


# --- The requests grpcurl and buf curl commands send -----------------------

def logical_commands(text):
    """Splits shell text into commands: a newline ends one unless it is
    escaped or inside quotes."""
    commands, current, quote, i = [], [], None, 0
    while i < len(text):
        c = text[i]
        if quote is None and c == "\\" and i + 1 < len(text) and text[i + 1] == "\n":
            current.append(" ")
            i += 2
            continue
        if quote is None and c == "\\" and i + 1 < len(text):
            current.append(text[i:i + 2])
            i += 2
            continue
        if quote == '"' and c == "\\" and i + 1 < len(text):
            current.append(text[i:i + 2])
            i += 2
            continue
        if quote is None and c in "\"'":
            quote = c
        elif quote == c:
            quote = None
        if c == "\n" and quote is None:
            commands.append("".join(current))
            current = []
        elif quote is None and c == "#" and (not current or current[-1] in " \t"):
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        else:
            current.append(c)
        i += 1
    commands.append("".join(current))
    return [c.strip() for c in commands if c.strip()]


def tool_invocations(text, tool):
    """The argument lists of every `tool` command in shell text (`buf curl`
    for tool 'buf curl')."""
    name = tool.split()
    found = []
    for command in logical_commands(text):
        try:
            tokens = shlex.split(command)
        except ValueError as error:
            raise ValueError(f"cannot split {command!r}: {error}")
        for k, token in enumerate(tokens):
            head = token.split("$(")[-1]
            if head == name[0] and tokens[k + 1:k + len(name)] == name[1:]:
                args = []
                for arg in tokens[k + len(name):]:
                    if arg in ("|", "||", "&&", ";", ")"):
                        break
                    if re.match(r"^\d*[<>]", arg):  # a redirection
                        if arg.endswith(")"):
                            break
                        continue
                    closing = arg.endswith(")") and arg.count("(") < arg.count(")")
                    args.append(arg[:-1] if closing else arg)
                    if closing:
                        break
                found.append(args)
    return found


def normalize_body(body):
    if body is None:
        return "{}"
    try:
        return json.dumps(json.loads(body), sort_keys=True)
    except ValueError:
        return " ".join(body.split())


GRPCURL_VALUE_FLAGS = {"H", "d", "cacert", "cert", "key", "rpc-header", "reflect-header",
                       "authority", "servername", "max-time", "connect-timeout", "format",
                       "import-path", "proto", "protoset", "user-agent", "max-msg-sz"}


def grpcurl_request(args):
    flags, positional, i = {}, [], 0
    headers = []
    while i < len(args):
        arg = args[i]
        if arg.startswith("-") and len(arg) > 1:
            name, _, value = arg.lstrip("-").partition("=")
            if name in GRPCURL_VALUE_FLAGS and not _:
                i += 1
                value = args[i]
            if name in ("H", "rpc-header"):
                headers.append(value)
            else:
                flags[name] = value if value else True
        else:
            positional.append(arg)
        i += 1
    address = positional[0] if positional else None
    transport = ("plaintext",) if flags.get("plaintext") else (
        "tls", flags.get("cacert"), flags.get("cert"), flags.get("key"))
    if len(positional) > 1 and positional[1] == "list":
        return ("list", address, transport)
    if len(positional) > 1 and positional[1] == "describe":
        return ("describe", address, transport, positional[2] if len(positional) > 2 else None)
    method = positional[1] if len(positional) > 1 else None
    return ("call", address, transport, method, normalize_body(flags.get("d")),
            tuple(sorted(headers)))


BUF_VALUE_FLAGS = {"protocol", "H", "header", "d", "data", "cacert", "cert", "key",
                   "schema", "reflect-header", "user-agent", "connect-timeout", "servername",
                   "reflect-protocol", "timeout"}


def buf_curl_request(args):
    flags, positional, headers, i = {}, [], [], 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("-") and len(arg) > 1:
            name, eq, value = arg.lstrip("-").partition("=")
            if name in BUF_VALUE_FLAGS and not eq:
                i += 1
                value = args[i]
            if name in ("H", "header"):
                headers.append(value)
            else:
                flags[name] = value if value else True
        else:
            positional.append(arg)
        i += 1
    url = positional[0] if positional else ""
    m = re.match(r"^(https?)://([^/]+)(?:/(.*))?$", url)
    if not m:
        return ("unparsed", url)
    scheme, address, method = m.group(1), m.group(2), m.group(3)
    transport = ("plaintext",) if scheme == "http" else (
        "tls", flags.get("cacert"), flags.get("cert"), flags.get("key"))
    if flags.get("list-services"):
        return ("list", address, transport)
    if flags.get("list-methods"):
        return ("list-methods", address, transport)
    return ("call", address, transport, method, normalize_body(flags.get("d", flags.get("data"))),
            tuple(sorted(headers)))


def jq_filters(text):
    filters = []
    for args in tool_invocations(text, "jq"):
        for arg in args:
            if not arg.startswith("-"):
                filters.append(arg)
                break
    return filters


def snake(name):
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)


# --- Running the pages ------------------------------------------------------

class Page:
    """One page's run: its scratch directory, shell state, daemons and
    address map."""

    def __init__(self, doc, scratch):
        self.doc = doc
        self.cwd = scratch
        self.ports = {}          # port in the docs -> actual port
        self.daemons = []        # (block, Popen, log path)
        self.env = dict(os.environ)
        # python3 is the interpreter running this test (Debian's, with
        # python3-grpcio: ctest passes ORB_PYTHON3), as clients.md asks.
        python_dir = os.path.join(scratch, ".doc-test-python")
        os.makedirs(python_dir, exist_ok=True)
        os.symlink(sys.executable, os.path.join(python_dir, "python3"))
        self.env["PATH"] = os.pathsep.join(
            [os.path.join(BINARY_DIR, "bin"), BUF_BIN, python_dir,
             os.environ.get("PATH", "/usr/bin:/bin")])
        self.env["npm_config_prefer_offline"] = "true"
        self.env["npm_config_audit"] = "false"
        self.env["npm_config_fund"] = "false"
        self.env["npm_config_update_notifier"] = "false"
        for key in ("ORB", "ORB_TARGET", "ORB_TOKEN", "ORB_TICKET"):
            self.env.pop(key, None)

    def rewrite(self, text):
        def port(m):
            return f"{m.group(1)}:{self.ports.get(m.group(2), m.group(2))}"
        return ADDRESS.sub(port, text)

    def start_daemon(self, block, text):
        """Starts a background block with its --listen on port 0 and maps
        the documented port to the chosen one."""
        listens = LISTEN.findall(text)
        if len(listens) != 1:
            raise AssertionError(f"{block.where()}: a background block must give exactly one "
                                 f"--listen=HOST:PORT (found {len(listens)})")
        documented_port = listens[0][2]
        text = LISTEN.sub(lambda m: f"{m.group(1)}{m.group(2)}:0", text)
        metrics = METRICS_LISTEN.findall(text)
        text = METRICS_LISTEN.sub(lambda m: f"{m.group(1)}{m.group(2)}:0", text)
        log = os.path.join(self.cwd, f".doc-test-daemon-{block.line}.log")
        try:
            process, m, started = orbd_launcher.start(
                ["bash", "-c", "set -a\n" + self.rewrite(text)], log, cwd=self.cwd,
                env=self.env, merge_stdout=True, timeout=60)
        except AssertionError as e:
            raise AssertionError(f"{block.where()}: the background block did not start "
                                 f"serving: {e}") from None
        self.daemons.append((block, process, log))
        self.ports[documented_port] = m.group(3)
        if metrics:
            on = METRICS_ON.search(started)
            if on is None:
                raise AssertionError(f"{block.where()}: --metrics-listen was given but orbd "
                                     f"logged no 'metrics on http://...' line:\n{started}")
            self.ports[metrics[0][2]] = on.group(2)

    def run(self, block, text):
        """Runs one block in bash; returns its standard output."""
        state_env = os.path.join(self.cwd, ".doc-test-env")
        state_pwd = os.path.join(self.cwd, ".doc-test-pwd")
        script = ("set -a\nset -euo pipefail\n" + text +
                  f"\nset +eu\nenv -0 > {shlex.quote(state_env)}\npwd > {shlex.quote(state_pwd)}\n")
        cwd = self.env.pop("__DOC_TEST_PWD", self.cwd)
        # orbctl's compiled-in default target, moved with the page's port.
        self.env["ORB_TARGET"] = self.rewrite(f"127.0.0.1:{DEMO_PORT}")
        try:
            run = subprocess.run(["bash", "--noprofile", "--norc", "-c", script], cwd=cwd,
                                 env=self.env, capture_output=True, text=True,
                                 timeout=BLOCK_TIMEOUT, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as timeout:
            raise AssertionError(f"{block.where()}: the block did not finish in {BLOCK_TIMEOUT} s "
                                 "(a daemon? mark it <!-- doc-test: background --> or "
                                 f"<!-- doc-test: skip (reason) -->):\n{text}\n"
                                 f"stdout: {timeout.stdout}\nstderr: {timeout.stderr}")
        if run.returncode != 0:
            raise AssertionError(f"{block.where()}: the block failed (exit {run.returncode}):\n"
                                 f"{text}\n--- stdout:\n{run.stdout}\n--- stderr:\n{run.stderr}")
        with open(state_env, "rb") as f:
            env = dict(item.split("=", 1) for item in f.read().decode().split("\0")
                       if "=" in item)
        for key in ("PWD", "OLDPWD", "SHLVL", "_"):
            env.pop(key, None)
        with open(state_pwd, encoding="utf-8") as f:
            env["__DOC_TEST_PWD"] = f.read().strip()
        self.env = env
        return run.stdout

    def stop(self):
        for _, process, _ in self.daemons:
            orbd_launcher.stop(process, timeout=30, check=False)


def make_scratch():
    """A directory that looks like the repository's root: examples/ is a
    copy (commands write into it, e.g. npm install in examples/node), the
    rest are links."""
    scratch = tempfile.mkdtemp(prefix="orb-doc-test-")
    for entry in os.listdir(SOURCE_DIR):
        if entry in (".git", "build") or entry.startswith("build"):
            continue
        source = os.path.join(SOURCE_DIR, entry)
        if entry == "examples":
            shutil.copytree(source, os.path.join(scratch, entry),
                            ignore=shutil.ignore_patterns("node_modules"))
        else:
            os.symlink(source, os.path.join(scratch, entry))
    os.symlink(BINARY_DIR, os.path.join(scratch, "build"))
    return scratch


def start_demo(scratch):
    """The demo orbd scripts/demo runs, on a port of its own choosing."""
    process, m, _ = orbd_launcher.start(
        [os.path.join(BINARY_DIR, "bin", "orbd"), "--listen=127.0.0.1:0", "--service=blog",
         "--policy=examples/blog/policy.textproto"],
        os.path.join(scratch, ".doc-test-demo.log"), cwd=scratch, merge_stdout=True, timeout=60)
    return process, m.group(3)


class DocsRunAsWritten(unittest.TestCase):
    ran_buf_requests = set()
    grpcurl_requests = []    # (where, request)
    grpcurl_runs = shutil.which("grpcurl") is not None

    def test_every_shell_block_runs_and_grpcurl_matches_buf_curl(self):
        self.assertTrue(os.path.exists(os.path.join(BINARY_DIR, "bin", "orbd")),
                        f"build orbd first (no {BINARY_DIR}/bin/orbd)")
        self.assertTrue(os.path.exists(os.path.join(BUF_BIN, "buf")),
                        "buf is missing: run scripts/install-deps (npm ci in tests/node)")
        describe_symbols = []
        live_methods = set()
        ran_blocks = 0
        failures = []
        for doc in DOCS:
            blocks, errors = parse_blocks(doc)
            self.assertEqual(errors, [])
            scratch = make_scratch()
            try:
                demo, port = start_demo(scratch)
            except BaseException:
                shutil.rmtree(scratch, ignore_errors=True)
                raise
            page = Page(doc, scratch)
            page.ports[DEMO_PORT] = port
            try:
                for block in blocks:
                    try:
                        ran_blocks += self.run_block(page, block, describe_symbols)
                    except (AssertionError, ValueError) as error:
                        # The page's later blocks build on this one: stop here.
                        failures.append(str(error))
                        break
                live_methods |= self.list_methods(page)
            finally:
                page.stop()
                orbd_launcher.stop(demo, timeout=30)
                shutil.rmtree(scratch, ignore_errors=True)
        for where, request in self.grpcurl_requests:
            if request not in self.ran_buf_requests:
                failures.append(f"{where}: this grpcurl request is not one a buf curl command of "
                                "the docs sends and that ran (same address, transport, method, "
                                f"JSON body, headers): {request}")
        for where, symbol in describe_symbols:
            if not (symbol in live_methods or any(m.startswith(symbol + "/") for m in live_methods)):
                failures.append(f"{where}: describe {symbol}: the server has no such service "
                                "or method")
        self.assertEqual(failures, [], "\n\n".join(failures))
        self.assertGreater(ran_blocks, 20, "too few blocks ran: is the parser broken?")
        self.assertGreater(len(self.grpcurl_requests), 5, "no grpcurl request was found")

    def run_block(self, page, block, describe_symbols):
        kind = marker_kind(block)
        if block.language == "console" and not block.commands().strip():
            self.fail(f"{block.where()}: a ```console block without a `$ ` command line: "
                      "fence output as ```text")
        if kind == "skip":
            return 0
        text = block.commands()
        for filt in jq_filters(text):
            for name in set(re.findall(r"\.([a-z]+[A-Z]\w*)", filt)):
                self.assertIn("." + snake(name), filt,
                              f"{block.where()}: jq filter {filt!r} names .{name} only: grpcurl "
                              f"1.8 prints .{snake(name)}; write .{name} // .{snake(name)}")
        grpcurl_args = tool_invocations(text, "grpcurl")
        for args in grpcurl_args:
            request = grpcurl_request(args)
            if request[0] == "describe":
                describe_symbols.append((block.where(), request[3]))
                request = ("list",) + request[1:3]
            self.grpcurl_requests.append((block.where(), request))
        if grpcurl_args and not self.grpcurl_runs:
            return 0
        if kind == "background":
            page.start_daemon(block, text)
            return 1
        output = page.run(block, page.rewrite(text))
        for args in tool_invocations(text, "buf curl"):
            self.ran_buf_requests.add(buf_curl_request(args))
        expected = block.expected_output()
        if expected:
            self.assertEqual(output.strip("\n"), page.rewrite(expected),
                             f"{block.where()}: the transcript's output differs")
        return 1

    @staticmethod
    def list_methods(page):
        run = subprocess.run(
            ["buf", "curl", "--protocol", "grpc", "--http2-prior-knowledge", "--list-methods",
             f"http://127.0.0.1:{page.ports[DEMO_PORT]}"],
            env=page.env, capture_output=True, text=True, timeout=60)
        return set(run.stdout.split()) if run.returncode == 0 else set()


class ParserChecks(unittest.TestCase):
    """The parts of the runner that decide what runs, on small inputs."""

    def test_requests_match_across_grpcurl_and_buf_curl(self):
        grpcurl = tool_invocations(
            'x=$(grpcurl -plaintext -H "$BOB" \\\n  -d \'{"a": 1,\n "b": "$s"}\' "$ORB" '
            'orb.v1.S/M)\n', "grpcurl")
        buf = tool_invocations(
            'buf curl --protocol grpc --http2-prior-knowledge -H "$BOB" '
            '-d \'{"b": "$s", "a": 1}\' "http://$ORB/orb.v1.S/M" || true\n', "buf curl")
        self.assertEqual(grpcurl_request(grpcurl[0]), buf_curl_request(buf[0]))

    def test_a_missing_plaintext_flag_is_a_different_request(self):
        grpcurl = tool_invocations('grpcurl -d \'{}\' "$ORB" orb.v1.S/M\n', "grpcurl")
        buf = tool_invocations('buf curl --protocol grpc --http2-prior-knowledge -d \'{}\' '
                               '"http://$ORB/orb.v1.S/M"\n', "buf curl")
        self.assertNotEqual(grpcurl_request(grpcurl[0]), buf_curl_request(buf[0]))

    def test_a_different_body_or_header_is_a_different_request(self):
        buf = buf_curl_request(tool_invocations(
            'buf curl -H "$BOB" -d \'{"a": 1}\' http://$ORB/orb.v1.S/M\n', "buf curl")[0])
        for command in ['grpcurl -plaintext -H "$BOB" -d \'{"a": 2}\' "$ORB" orb.v1.S/M\n',
                        'grpcurl -plaintext -H "$ALICE" -d \'{"a": 1}\' "$ORB" orb.v1.S/M\n',
                        'grpcurl -plaintext -H "$BOB" -d \'{"a": 1}\' "$ORB" orb.v1.S/N\n']:
            with self.subTest(command=command):
                self.assertNotEqual(grpcurl_request(tool_invocations(command, "grpcurl")[0]), buf)

    def test_comments_and_separate_commands_are_split(self):
        found = tool_invocations("# grpcurl in a comment\ngrpcurl a list\ngrpcurl b list\n",
                                 "grpcurl")
        self.assertEqual(found, [["a", "list"], ["b", "list"]])

    def test_markers_need_a_reason_and_a_block(self):
        self.assertEqual(marker_kind(Block("d", 1, "sh", "x\n", "skip (a daemon)")), "skip")
        self.assertEqual(marker_kind(Block("d", 1, "sh", "x\n", "background")), "background")
        for bad in ["skip", "skip ()", "later"]:
            with self.subTest(marker=bad):
                with self.assertRaises(ValueError):
                    marker_kind(Block("d", 1, "sh", "x\n", bad))

    def test_console_transcripts_split_commands_from_output(self):
        block = Block("d", 1, "console", "$ a \\\n  b\nout 1\n$ c\nout 2\n", None)
        self.assertEqual(block.commands(), "a \\\n  b\nc\n")
        self.assertEqual(block.expected_output(), "out 1\nout 2")


if __name__ == "__main__":
    orbd_launcher.unittest_main()
