"""Two brokers behind one proxy, routed on `orb-route` (docs/scale-out.md).

Starts two orbd serving the demo blog (--broker-id=orbd-a and orbd-b, on
ephemeral loopback ports) and HAProxy in the foreground with
deploy/haproxy/haproxy.cfg as it is (its addresses come from the
environment), then checks through the proxy:
- new sessions spread over both brokers, each session's route is the
  prefix of its id, and every later call of a session lands on its own
  broker (HAProxy's log names the backend of each call);
- a forged orb-route, an unknown route and a route that is not a broker id
  are all answered NOT_FOUND "session not found" exactly as a broker
  answers a session it does not know (the proxy's own answer compared
  header by header, in raw HTTP/2 too);
- a session call without orb-route is refused INVALID_ARGUMENT, as are two
  orb-route entries; OpenSession and the health service need none;
  orb-service picks the brokers of a service;
- the `orb` Python package works through the proxy (it sends orb-route);
- killing one broker fails only its sessions (UNAVAILABLE), the other's go
  on, new sessions go to the live one; restarting it with the same id gives
  its old sessions NOT_FOUND with reason BROKER_RESTARTED.
Then the same routing checks through nginx with deploy/nginx/orb.conf (a
copy with the test's addresses).

Exit code 77 (ctest: skipped) when HAProxy is not installed.

    python3 tests/deploy/proxy_routing_test.py SOURCE_DIR BINARY_DIR
(with PYTHONPATH=<build>/python, the built `orb` package and its stubs)
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

SOURCE_DIR = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
BINARY_DIR = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else "build")
HAPROXY_CFG = os.path.join(SOURCE_DIR, "deploy", "haproxy", "haproxy.cfg")
NGINX_CONF = os.path.join(SOURCE_DIR, "deploy", "nginx", "orb.conf")
BOB = "bob-demo-token"
TIMEOUT = 10  # seconds per RPC
SESSIONS = 100
# The bound on waiting for the proxy to see a broker come back (its health
# check); never a timing assertion, only how long to try.
WAIT_SECONDS = 20

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import orbd_launcher  # noqa: E402  (tests/python/orbd_launcher.py)


def find_tool(name):
    return shutil.which(name) or next(
        (p for p in (f"/usr/sbin/{name}", f"/sbin/{name}") if os.access(p, os.X_OK)), None)


HAPROXY = find_tool("haproxy")
NGINX = find_tool("nginx")
if HAPROXY is None:
    print("SKIP: haproxy is not installed (scripts/install-deps installs Debian's haproxy); "
          "routing through a proxy is not tested")
    sys.exit(77)

try:
    import grpc
    import h2.config
    import h2.connection
    import h2.events
    import orb
    from orb.v1 import broker_pb2, broker_pb2_grpc, error_details_pb2, value_pb2
except ImportError as e:
    sys.exit(f"FAIL: {sys.executable} cannot import {e.name} ({e}): install Debian's "
             "python3-grpcio and python3-h2 (scripts/install-deps) and run with "
             "PYTHONPATH=<build>/python (ctest sets it; target orb_python builds it)")

_work = None
_brokers = {}  # broker id -> {"process", "address", "port"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(process, port, log_path, what, timeout=20):
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            orbd_launcher.stop(process, timeout=5, check=False)
            raise AssertionError(f"{what} did not listen on port {port}:\n"
                                 f"{orbd_launcher.read_log(log_path)}")
        time.sleep(0.05)


def start_broker(broker_id, listen="127.0.0.1:0"):
    log = os.path.join(_work, f"{broker_id}.log")
    # A restart keeps the log of the run before beside the new one.
    if os.path.exists(log):
        os.rename(log, log + f".{time.monotonic_ns()}")
    policy = os.path.join(SOURCE_DIR, "examples", "blog", "policy.textproto")
    process, m, _ = orbd_launcher.start(
        [orbd_launcher.orbd_path(BINARY_DIR), "--listen=" + listen, "--service=blog",
         "--policy=" + policy, "--broker-id=" + broker_id], log)
    _brokers[broker_id] = {"process": process, "address": m.group(1), "port": int(m.group(3))}


def start_haproxy():
    """HAProxy on a free port with the file as it is; returns (process, address,
    log path). A port taken between choosing and binding: another try."""
    log = os.path.join(_work, "haproxy.log")
    for attempt in range(3):
        port = free_port()
        env = dict(os.environ, ORB_PROXY_LISTEN=f"127.0.0.1:{port}",
                   ORB_BROKER_A=_brokers["orbd-a"]["address"],
                   ORB_BROKER_B=_brokers["orbd-b"]["address"])
        with open(log, "wb") as out:
            process = subprocess.Popen([HAPROXY, "-db", "-f", HAPROXY_CFG], env=env,
                                       stdout=out, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        try:
            wait_listening(process, port, log, "haproxy")
            return process, f"127.0.0.1:{port}", log
        except AssertionError:
            if attempt == 2 or "cannot bind" not in orbd_launcher.read_log(log):
                raise


def setUpModule():
    global _work
    _work = tempfile.mkdtemp(prefix="orb-deploy-test-")
    start_broker("orbd-a")
    start_broker("orbd-b")


def tearDownModule():
    try:
        for b in _brokers.values():
            orbd_launcher.stop(b["process"], check=False)
    finally:
        if _work:
            shutil.rmtree(_work, ignore_errors=True)


# --- calls ------------------------------------------------------------------

class Session:
    def __init__(self, stub, opened, metadata):
        self.stub, self.opened, self.metadata = stub, opened, metadata
        self.id, self.route, self.root = opened.session, opened.route, opened.root.id

    def md(self, route=None):
        return self.metadata + [("orb-route", self.route if route is None else route)]

    def getattr(self, handle=None, name="title", route=None, metadata=None):
        return self.stub.GetAttr(
            broker_pb2.GetAttrRequest(session=self.id, handle=handle or self.root, name=name),
            metadata=self.md(route) if metadata is None else metadata, timeout=TIMEOUT).value


_opened = []  # every session opened, closed when its proxy's checks end


def open_session(stub, metadata=(), token=None):
    md = list(metadata) + ([("authorization", f"Bearer {token}")] if token else [])
    opened = stub.OpenSession(broker_pb2.OpenSessionRequest(client_name="deploy-test"),
                              metadata=md, timeout=TIMEOUT)
    session = Session(stub, opened, [m for m in md if m[0] == "authorization"])
    _opened.append(session)
    return session


def close_sessions():
    """CloseSession for every session opened (the demo policy allows 64 per
    identity); those of a broker that restarted are gone already."""
    while _opened:
        s = _opened.pop()
        try:
            s.stub.CloseSession(broker_pb2.CloseSessionRequest(session=s.id),
                                metadata=s.md(), timeout=TIMEOUT)
        except grpc.RpcError:
            pass


def refusal(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except grpc.RpcError as e:
        return e
    raise AssertionError("the call succeeded; a refusal was expected")


def answer(error):
    """What a client can learn from a refusal: code, message and every
    trailer (grpc-status-details-bin included)."""
    trailers = sorted((k, v) for k, v in (error.trailing_metadata() or ()))
    return error.code(), error.details(), trailers


def error_reason(error):
    raw = dict(error.trailing_metadata() or ()).get("grpc-status-details-bin")
    assert raw is not None, f"no grpc-status-details-bin in {error}"
    status = error_details_pb2.Status.FromString(raw)
    info = error_details_pb2.ErrorInfo()
    assert len(status.details) == 1 and status.details[0].Unpack(info), status
    return error_details_pb2.ErrorReason.Name(info.reason) \
        if isinstance(info.reason, int) else info.reason


def grpc_frame(message):
    return b"\x00" + len(message).to_bytes(4, "big") + message


def raw_call(address, path, headers, body):
    """One call in raw HTTP/2 frames: the response's header lists (headers,
    then trailers if any) and its data."""
    host, port = address.rsplit(":", 1)
    conn = h2.connection.H2Connection(config=h2.config.H2Configuration(
        client_side=True, header_encoding="utf-8", validate_outbound_headers=False,
        normalize_outbound_headers=False))
    blocks, data = [], b""
    with socket.create_connection((host, int(port)), timeout=TIMEOUT) as sock:
        conn.initiate_connection()
        stream = conn.get_next_available_stream_id()
        conn.send_headers(stream, [(":method", "POST"), (":scheme", "http"), (":path", path),
                                   (":authority", address), ("content-type", "application/grpc"),
                                   ("te", "trailers")] + list(headers))
        conn.send_data(stream, body, end_stream=True)
        sock.sendall(conn.data_to_send())
        ended = False
        while not ended:
            chunk = sock.recv(65536)
            if not chunk:
                break
            for event in conn.receive_data(chunk):
                if isinstance(event, (h2.events.ResponseReceived, h2.events.TrailersReceived)):
                    blocks.append(list(event.headers))
                elif isinstance(event, h2.events.DataReceived):
                    data += event.data
                    conn.acknowledge_received_data(event.flow_controlled_length, stream)
                elif isinstance(event, (h2.events.StreamEnded, h2.events.StreamReset)):
                    ended = True
            sock.sendall(conn.data_to_send())
    return blocks, data


def without_server_and_date(blocks):
    return [[(k, v) for k, v in b if k not in ("server", "date")] for b in blocks]


class ThroughAProxy:
    """The checks every proxy config must pass (HAProxy and nginx)."""

    address = None

    @classmethod
    def open_sessions(cls):
        """The proxy's channel and SESSIONS sessions of bob through it, all
        closed when the class is done."""
        cls.channel = grpc.insecure_channel(cls.address)
        cls.addClassCleanup(cls.channel.close)
        cls.addClassCleanup(close_sessions)
        cls.stub = broker_pb2_grpc.ObjectBrokerStub(cls.channel)
        cls.sessions = [open_session(cls.stub, token=BOB) for _ in range(SESSIONS)]

    def by_broker(self, broker_id):
        return [s for s in self.sessions if s.route == broker_id]

    def test_1_new_sessions_spread_over_both_brokers(self):
        routes = {}
        for s in self.sessions:
            self.assertEqual(s.id.split("~", 1)[0], s.route, "the route is the id's prefix")
            self.assertRegex(s.id, r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}~[0-9a-f]{8}\.[0-9a-f]{32}$")
            routes[s.route] = routes.get(s.route, 0) + 1
        self.assertEqual(set(routes), {"orbd-a", "orbd-b"}, routes)
        self.assertTrue(all(n > 0 for n in routes.values()), routes)

    def test_2_every_call_of_a_session_lands_on_its_broker(self):
        for s in self.sessions:
            self.assertEqual(s.getattr().string_value, "orb demo blog")
        # Handles stay valid: an entry made in a session is read back in it.
        for s in self.by_broker("orbd-a")[:5] + self.by_broker("orbd-b")[:5]:
            result = s.stub.Call(broker_pb2.CallRequest(
                session=s.id, handle=s.root, name="add_entry",
                args=[value_pb2.Value(string_value=f"on {s.route}"),
                      value_pb2.Value(string_value="body")]),
                metadata=s.md(), timeout=TIMEOUT).result
            self.assertEqual(result.WhichOneof("kind"), "handle")
            self.assertEqual(s.getattr(result.handle.id, "title").string_value, f"on {s.route}")
            self.assertEqual(s.getattr(result.handle.id, "owner").string_value, "bob")

    def test_3_a_forged_route_is_an_unknown_session(self):
        a, b = self.by_broker("orbd-a")[0], self.by_broker("orbd-b")[0]
        unknown = Session(self.stub, broker_pb2.OpenSessionResponse(
            session=a.id[:a.id.index(".") + 1] + "0" * 32, route="orbd-a", root=a.opened.root),
            a.metadata)
        baseline = refusal(unknown.getattr)
        self.assertEqual(baseline.code(), grpc.StatusCode.NOT_FOUND)
        self.assertEqual(baseline.details(), "session not found")
        self.assertEqual(error_reason(baseline), "SESSION_NOT_FOUND")
        # a's session sent to b, b's to a: the broker reached answers as for
        # any session it does not know; the session itself is untouched.
        for s, other in ((a, "orbd-b"), (b, "orbd-a")):
            forged = refusal(s.getattr, route=other)
            self.assertEqual(answer(forged), answer(baseline))
            self.assertEqual(s.getattr().string_value, "orb demo blog")

    def test_4_an_unknown_route_is_answered_like_an_unknown_session(self):
        a = self.by_broker("orbd-a")[0]
        baseline = answer(refusal(a.getattr, route="orbd-b"))  # a broker's answer
        for route in ("orbd-z", "orbd-a.example", "not a broker id!", "x" * 200):
            with self.subTest(route=route):
                self.assertEqual(answer(refusal(a.getattr, route=route)), baseline)
        # The raw HTTP/2 answers too: the same header list in the same order.
        body = grpc_frame(broker_pb2.GetAttrRequest(session=a.id, handle=a.root,
                                                    name="title").SerializeToString())
        path = "/orb.v1.ObjectBroker/GetAttr"
        from_broker = raw_call(self.address, path, [("orb-route", "orbd-b")], body)
        from_proxy = raw_call(self.address, path, [("orb-route", "orbd-z")], body)
        self.assertEqual(without_server_and_date(from_proxy[0]),
                         without_server_and_date(from_broker[0]))
        self.assertEqual(from_proxy[1], from_broker[1])
        self.assertEqual(len(from_broker[0]), 1, "a trailers-only answer")

    def test_5_a_session_call_without_orb_route_is_refused(self):
        s = self.sessions[0]
        for what, call in (
                ("GetAttr", lambda: s.getattr(metadata=s.metadata)),
                ("Stream", lambda: list(self.stub.Stream(iter([broker_pb2.StreamRequest(
                    id=1, get_attr=broker_pb2.GetAttrRequest(session=s.id, handle=s.root,
                                                             name="title"))]),
                    metadata=s.metadata, timeout=TIMEOUT)))):
            with self.subTest(call=what):
                e = refusal(call)
                self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT, e.details())
                self.assertIn("orb-route", e.details())
        # Two orb-route entries: refused too (by HAProxy, or by the broker
        # nginx sends the call to).
        e = refusal(s.getattr, metadata=s.md() + [("orb-route", s.route)])
        self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT, e.details())
        # The session is fine with its route.
        self.assertEqual(s.getattr().string_value, "orb demo blog")

    def test_6_what_names_no_session_needs_no_route(self):
        # OpenSession (test 1) and the health service: any broker answers.
        blocks, data = raw_call(self.address, "/grpc.health.v1.Health/Check", [],
                                grpc_frame(b""))
        self.assertIn(("grpc-status", "0"), blocks[-1], blocks)
        self.assertEqual(data, grpc_frame(b"\x08\x01"), "HealthCheckResponse{SERVING}")
        # OpenSession for a service the brokers serve, and for one nobody does.
        self.assertIn(open_session(self.stub, [("orb-service", "blog")]).route,
                      ("orbd-a", "orbd-b"))
        e = refusal(open_session, self.stub, [("orb-service", "inventory")])
        self.assertEqual(e.code(), grpc.StatusCode.NOT_FOUND)
        self.assertEqual(e.details(), "no broker serves this service")
        # With a route, OpenSession opens on that broker.
        for broker_id in ("orbd-a", "orbd-b"):
            self.assertEqual(open_session(self.stub, [("orb-route", broker_id)]).route,
                             broker_id)

    def test_7_the_orb_package_works_through_the_proxy(self):
        for transport in ("stream", "unary"):
            with self.subTest(transport=transport):
                conns = [orb.connect(self.address, token=BOB, transport=transport,
                                     timeout=TIMEOUT) for _ in range(4)]
                try:
                    for i, conn in enumerate(conns):
                        entry = conn.root.add_entry(f"{transport} {i}", "through the proxy")
                        entry.title = f"{transport} {i} edited"
                        self.assertEqual(entry.title, f"{transport} {i} edited")
                        self.assertEqual(conn.root.title, "orb demo blog")
                finally:
                    for conn in conns:
                        conn.close()


class HAProxy(ThroughAProxy, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.proxy, cls.address, cls.log = start_haproxy()
        cls.addClassCleanup(orbd_launcher.stop, cls.proxy, check=False)
        cls.open_sessions()

    def test_2_every_call_of_a_session_lands_on_its_broker(self):
        super().test_2_every_call_of_a_session_lands_on_its_broker()
        # HAProxy logs each call: the backend it went to and the orb-route
        # it carried ({...}). Every routed call went to its route's broker.
        routed = re.findall(r" orb (broker-\S+)/\S+ .*\{([^}]*)\}",
                            orbd_launcher.read_log(self.log))
        self.assertGreaterEqual(len(routed), SESSIONS)
        for backend, route in routed:
            self.assertEqual(backend, "broker-" + route)

    def wait_for_log(self, pattern, after=0):
        """Waits (at most WAIT_SECONDS) for `pattern` in HAProxy's log past
        offset `after`; returns the log's length then."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            text = orbd_launcher.read_log(self.log)
            if re.search(pattern, text[after:]):
                return len(text)
            if time.monotonic() > deadline:
                self.fail(f"HAProxy's log never said {pattern!r}:\n{text[after:]}")
            time.sleep(0.1)

    def test_8_a_dead_broker_fails_only_its_sessions_and_a_restart_ends_them(self):
        a_sessions, b_sessions = self.by_broker("orbd-a"), self.by_broker("orbd-b")
        dead = _brokers["orbd-a"]
        logged = len(orbd_launcher.read_log(self.log))
        os.killpg(dead["process"].pid, signal.SIGKILL)
        dead["process"].wait()

        def check_while_down():
            for s in a_sessions[:5]:
                e = refusal(s.getattr)
                self.assertEqual(e.code(), grpc.StatusCode.UNAVAILABLE, e.details())
            for s in b_sessions:
                self.assertEqual(s.getattr().string_value, "orb demo blog")
            # New sessions go to the live broker.
            for _ in range(4):
                self.assertEqual(open_session(self.stub, token=BOB).route, "orbd-b")

        # Before the health check notices (the connection is refused) and
        # after (HAProxy answers at once).
        check_while_down()
        logged = self.wait_for_log(r"Server brokers/orbd-a is DOWN", logged)
        check_while_down()

        # The same broker id on the same address, a new incarnation; the
        # gRPC health check brings it back.
        start_broker("orbd-a", listen=f"127.0.0.1:{dead['port']}")
        self.wait_for_log(r"Server brokers/orbd-a is UP", logged)
        for s in a_sessions:
            e = refusal(s.getattr)
            self.assertEqual(e.code(), grpc.StatusCode.NOT_FOUND, e.details())
            self.assertEqual(error_reason(e), "BROKER_RESTARTED")
        for s in b_sessions:
            self.assertEqual(s.getattr().string_value, "orb demo blog")
        # The restarted broker takes new sessions again.
        routes = {open_session(self.stub, token=BOB).route for _ in range(6)}
        self.assertEqual(routes, {"orbd-a", "orbd-b"})


NGINX_WRAPPER = """\
worker_processes 1;
master_process off;
daemon off;
pid {work}/nginx.pid;
error_log {work}/nginx.log notice;
events {{ worker_connections 512; }}
http {{
    access_log off;
    client_body_temp_path {work}/nginx-body;
    proxy_temp_path {work}/nginx-proxy;
    fastcgi_temp_path {work}/nginx-fastcgi;
    uwsgi_temp_path {work}/nginx-uwsgi;
    scgi_temp_path {work}/nginx-scgi;
    include {conf};
}}
"""


def nginx_config(work, conf_path, listen_port, broker_a, broker_b):
    """deploy/nginx/orb.conf with the test's addresses, and a main file that
    includes it; returns the main file's path."""
    with open(NGINX_CONF, encoding="utf-8") as f:
        text = f.read()
    for example, actual in (("127.0.0.1:50061", broker_a), ("127.0.0.1:50062", broker_b),
                            ("listen 50051 ", f"listen 127.0.0.1:{listen_port} ")):
        if example not in text:
            raise AssertionError(f"{NGINX_CONF} no longer contains {example!r}; "
                                 "update the test's substitutions")
        text = text.replace(example, actual)
    with open(conf_path, "w", encoding="utf-8") as f:
        f.write(text)
    main = os.path.join(work, "nginx.conf")
    with open(main, "w", encoding="utf-8") as f:
        f.write(NGINX_WRAPPER.format(work=work, conf=conf_path))
    return main


class Nginx(ThroughAProxy, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if NGINX is None:
            raise AssertionError("nginx is not installed: scripts/install-deps installs "
                                 "Debian's nginx")
        work = os.path.join(_work, "nginx")
        os.mkdir(work)
        log = os.path.join(work, "stderr.log")
        for attempt in range(3):
            port = free_port()
            main = nginx_config(work, os.path.join(work, "orb.conf"), port,
                                _brokers["orbd-a"]["address"], _brokers["orbd-b"]["address"])
            with open(log, "wb") as out:
                cls.proxy = subprocess.Popen([NGINX, "-p", work, "-c", main, "-e", log],
                                             stdout=out, stderr=subprocess.STDOUT,
                                             start_new_session=True)
            try:
                wait_listening(cls.proxy, port, os.path.join(work, "nginx.log"), "nginx")
                break
            except AssertionError:
                if attempt == 2:
                    raise
        cls.addClassCleanup(orbd_launcher.stop, cls.proxy, check=False)
        cls.address = f"127.0.0.1:{port}"
        cls.open_sessions()


if __name__ == "__main__":
    # HAProxy's class ends with a broker killed and restarted; nginx's runs
    # on the brokers as they are then.
    loader = unittest.TestLoader()
    suite = unittest.TestSuite([loader.loadTestsFromTestCase(HAProxy),
                                loader.loadTestsFromTestCase(Nginx)])
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    if result.skipped or result.testsRun == 0:
        print("FAIL: a test was skipped or none ran; that is a failure")
        sys.exit(1)
    sys.exit(0 if result.wasSuccessful() else 1)
