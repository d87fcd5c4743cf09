"""The proxy and Kubernetes files of deploy/ are valid and agree.

- deploy/haproxy/haproxy.cfg: `haproxy -c` (with the addresses it reads
  from the environment) accepts it without a warning.
- deploy/nginx/orb.conf: `nginx -t` accepts a main file that includes it
  in its http block.
- deploy/envoy/envoy.yaml (Envoy is not packaged in Debian, so it is not
  run here) and deploy/kubernetes/*.yaml parse, and hold what the routing
  depends on: cluster_header on orb-route limited to the brokers'
  clusters, one cluster per broker, OpenSession balanced over healthy
  brokers, no route timeout; a StatefulSet whose pods are brokers named
  after themselves, a headless Service, the policy from a ConfigMap
  directory mount (never subPath), readiness on the gRPC health service.
- The three proxies answer an unknown route with the same grpc-status,
  message and grpc-status-details-bin, which decodes to what orbd sends
  for an unknown session (tests/deploy/proxy_routing_test.py compares it
  with a live broker's answer).

Exit code 77 (ctest: skipped) when haproxy or nginx is not installed and
everything else passed.

    python3 tests/deploy/configs_lint_test.py SOURCE_DIR
"""
import base64
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

SOURCE_DIR = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
DEPLOY = os.path.join(SOURCE_DIR, "deploy")
HAPROXY_CFG = os.path.join(DEPLOY, "haproxy", "haproxy.cfg")
HAPROXY_NOT_FOUND = os.path.join(DEPLOY, "haproxy", "session-not-found.http")
NGINX_CONF = os.path.join(DEPLOY, "nginx", "orb.conf")
ENVOY_YAML = os.path.join(DEPLOY, "envoy", "envoy.yaml")
K8S_DIR = os.path.join(DEPLOY, "kubernetes")
BROKER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
NO_ROUTE_MESSAGE = ("calls behind the proxy must carry orb-route: send the session's broker id "
                    "(OpenSessionResponse.route) as the metadata orb-route on every call of the "
                    "session")

try:
    import yaml
except ImportError as e:
    sys.exit(f"FAIL: {sys.executable} cannot import yaml ({e}): install Debian's python3-yaml "
             "(scripts/install-deps)")


def find_tool(name):
    return shutil.which(name) or next(
        (p for p in (f"/usr/sbin/{name}", f"/sbin/{name}") if os.access(p, os.X_OK)), None)


def read(path):
    """The file's text as it is (line ends untranslated: the errorfile's are
    CRLF)."""
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()


# --- a few protobuf wire-format reads (no generated code needed) -----------

def _varint(data, i):
    value, shift = 0, 0
    while True:
        b = data[i]
        i += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, i
        shift += 7


def fields(data):
    """[(field number, value)] of a message: ints for varints, bytes for
    length-delimited fields (the only wire types these messages use)."""
    out, i = [], 0
    while i < len(data):
        key, i = _varint(data, i)
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            value, i = _varint(data, i)
        elif wire_type == 2:
            n, i = _varint(data, i)
            value, i = data[i:i + n], i + n
        else:
            raise ValueError(f"unexpected wire type {wire_type}")
        out.append((number, value))
    return out


def decode_details(b64):
    """google.rpc.Status {code=1, message=2, details=3 (Any: type_url=1,
    value=2)} with one orb.v1.ErrorInfo {reason=1, gate=2}."""
    raw = base64.b64decode(b64 + "=" * (-len(b64) % 4))
    status = fields(raw)
    code = [v for n, v in status if n == 1]
    message = [v.decode() for n, v in status if n == 2]
    details = [fields(v) for n, v in status if n == 3]
    assert len(details) == 1, status
    any_fields = dict(details[0])
    info = dict(fields(any_fields[2]))
    return {"code": code[0] if code else 0, "message": message[0] if message else "",
            "type_url": any_fields[1].decode(), "reason": info[1].decode(),
            "gate": info.get(2, b"").decode()}


# --- the files --------------------------------------------------------------

def envoy_routes(config):
    listener = config["static_resources"]["listeners"][0]
    hcm = listener["filter_chains"][0]["filters"][0]["typed_config"]
    return hcm, hcm["route_config"]["virtual_hosts"][0]["routes"]


def headers_added(route):
    return {h["header"]["key"]: h["header"]["value"]
            for h in route.get("response_headers_to_add", [])}


def k8s_objects():
    objects = []
    for name in sorted(os.listdir(K8S_DIR)):
        if name.endswith((".yaml", ".yml")):
            objects += [(name, o) for o in yaml.safe_load_all(read(os.path.join(K8S_DIR, name)))
                        if o is not None]
    return objects


class HAProxyConfig(unittest.TestCase):
    def test_haproxy_accepts_it_without_a_warning(self):
        haproxy = find_tool("haproxy")
        if haproxy is None:
            self.skipTest("haproxy is not installed (scripts/install-deps installs it)")
        env = dict(os.environ, ORB_PROXY_LISTEN="127.0.0.1:50051",
                   ORB_BROKER_A="127.0.0.1:50061", ORB_BROKER_B="127.0.0.1:50062")
        run = subprocess.run([haproxy, "-c", "-f", HAPROXY_CFG], env=env, capture_output=True,
                             text=True, timeout=60)
        output = run.stdout + run.stderr
        self.assertEqual(run.returncode, 0, output)
        self.assertIn("Configuration file is valid", output)
        self.assertNotRegex(output, r"\[(WARNING|ALERT)\]", output)

    def test_it_routes_on_orb_route_over_h2c_with_one_thread(self):
        text = read(HAPROXY_CFG)
        self.assertRegex(text, r"(?m)^\s*nbthread 1\s*$")
        self.assertRegex(text, r'(?m)^\s*bind "\$\{ORB_PROXY_LISTEN\}" proto h2\s*$')
        self.assertIn("use_backend broker-%[req.fhdr(orb-route)] if has_route", text)
        self.assertRegex(text, r"(?m)^\s*tcp-check expect binary 00000700000000000100000000020801")
        # Every server speaks h2 and reads its address from the environment.
        for line in re.findall(r"(?m)^\s*server .*$", text):
            self.assertRegex(line, r'^\s*server \S+ "\$\{ORB_BROKER_[A-Z]\}"', line)
        self.assertRegex(text, r"(?m)^\s*default-server proto h2 check")
        # One backend per broker, each named after a broker id.
        brokers = re.findall(r"(?m)^backend broker-(\S+)\s*$", text)
        self.assertGreaterEqual(len(brokers), 2)
        for broker in brokers:
            self.assertRegex(broker, BROKER_ID)

    def test_the_unknown_route_answer_is_a_grpc_answer(self):
        text = read(HAPROXY_NOT_FOUND)
        head, _, body = text.partition("\r\n\r\n")
        self.assertEqual(body, "", "a trailers-only answer: no body")
        lines = head.split("\r\n")
        self.assertEqual(lines[0], "HTTP/1.1 200 OK")
        headers = [tuple(line.split(": ", 1)) for line in lines[1:]]
        self.assertEqual([k for k, _ in headers],
                         ["content-type", "grpc-status", "grpc-message", "grpc-status-details-bin"],
                         "orbd's header order")


class NginxConfig(unittest.TestCase):
    def test_nginx_accepts_it(self):
        nginx = find_tool("nginx")
        if nginx is None:
            self.skipTest("nginx is not installed (scripts/install-deps installs it)")
        with tempfile.TemporaryDirectory(prefix="orb-nginx-lint-") as work:
            main = os.path.join(work, "nginx.conf")
            with open(main, "w", encoding="utf-8") as f:
                f.write(f"""\
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/error.log;
events {{ worker_connections 64; }}
http {{
    client_body_temp_path {work}/body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    include {NGINX_CONF};
}}
""")
            run = subprocess.run([nginx, "-t", "-p", work, "-c", main,
                                  "-e", os.path.join(work, "stderr.log")],
                                 capture_output=True, text=True, timeout=60)
        output = run.stdout + run.stderr
        self.assertEqual(run.returncode, 0, output)
        self.assertIn("test is successful", output)
        self.assertNotRegex(output, r"\[(warn|emerg|alert|crit)\]", output)

    def test_it_routes_on_orb_route_over_h2c(self):
        text = read(NGINX_CONF)
        self.assertRegex(text, r"(?m)^\s*listen 50051 http2;")
        self.assertIn("map $http_orb_route $orb_upstream", text)
        self.assertIn("grpc_pass grpc://$orb_upstream;", text)
        for broker in re.findall(r"(?m)^upstream orb-broker-(\S+) \{", text):
            self.assertRegex(broker, BROKER_ID)


class EnvoyConfig(unittest.TestCase):
    def setUp(self):
        self.config = yaml.safe_load(read(ENVOY_YAML))
        self.hcm, self.routes = envoy_routes(self.config)
        self.clusters = {c["name"]: c for c in self.config["static_resources"]["clusters"]}

    def route(self, name):
        found = [r for r in self.routes if r.get("name") == name]
        self.assertEqual(len(found), 1, f"route {name}")
        return found[0]

    def test_it_is_grpc_over_h2c_with_the_router(self):
        self.assertEqual(self.hcm["@type"], "type.googleapis.com/envoy.extensions.filters."
                         "network.http_connection_manager.v3.HttpConnectionManager")
        self.assertEqual(self.hcm["codec_type"], "HTTP2")
        self.assertEqual(self.hcm["http_filters"][-1]["name"], "envoy.filters.http.router")
        for cluster in self.clusters.values():
            options = cluster["typed_extension_protocol_options"][
                "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"]
            self.assertIn("http2_protocol_options", options["explicit_http_config"])

    def test_orb_route_picks_a_broker_cluster_and_nothing_else(self):
        broker = self.route("broker")
        self.assertEqual(broker["route"]["cluster_header"], "orb-route")
        self.assertEqual(broker["route"]["timeout"], "0s", "Streams must not be cut")
        (matcher,) = broker["match"]["headers"]
        self.assertEqual(matcher["name"], "orb-route")
        regex = matcher["string_match"]["safe_regex"]["regex"]
        names = re.fullmatch(r"\^\((.*)\)\$", regex).group(1).split("|")
        self.assertGreaterEqual(len(names), 2)
        for name in names:
            self.assertRegex(name, BROKER_ID)
            cluster = self.clusters[name]
            (endpoints,) = cluster["load_assignment"]["endpoints"]
            self.assertEqual(len(endpoints["lb_endpoints"]), 1, f"one broker in cluster {name}")
            address = endpoints["lb_endpoints"][0]["endpoint"]["address"]["socket_address"]
            self.assertTrue(address["address"].startswith(name + "."), address)
            self.assertNotIn("health_checks", cluster,
                             "a session's calls go to its broker whatever its health")
        # A route that is not a broker gets the unknown-session answer, before
        # any other route could take it.
        order = [r.get("name") for r in self.routes]
        self.assertLess(order.index("broker"), order.index("unknown-route"))
        self.assertLess(order.index("unknown-route"), order.index("open-session"))
        self.assertEqual(self.route("unknown-route")["match"]["headers"][0],
                         {"name": "orb-route", "present_match": True})

    def test_open_session_is_balanced_over_healthy_brokers(self):
        open_session = self.route("open-session")
        self.assertEqual(open_session["match"]["path"], "/orb.v1.ObjectBroker/OpenSession")
        pool = self.clusters[open_session["route"]["cluster"]]
        regex = self.route("broker")["match"]["headers"][0]["string_match"]["safe_regex"]["regex"]
        brokers = re.fullmatch(r"\^\((.*)\)\$", regex).group(1).split("|")
        self.assertNotIn(pool["name"], brokers, "no route header can name the pool")
        self.assertEqual(len(pool["load_assignment"]["endpoints"][0]["lb_endpoints"]),
                         len(brokers))
        self.assertIn("grpc_health_check", pool["health_checks"][0])

    def test_a_session_call_without_route_is_refused(self):
        no_route = self.route("no-route")
        self.assertEqual(no_route["match"], {"prefix": "/orb.v1.ObjectBroker/"})
        headers = headers_added(no_route)
        self.assertEqual(headers["grpc-status"], "3")
        self.assertEqual(headers["grpc-message"], NO_ROUTE_MESSAGE)


class KubernetesManifests(unittest.TestCase):
    def setUp(self):
        self.objects = k8s_objects()
        self.by_kind = {}
        for _, o in self.objects:
            self.by_kind.setdefault(o["kind"], []).append(o)

    def test_every_object_is_well_formed(self):
        self.assertGreater(len(self.objects), 0)
        for name, o in self.objects:
            with self.subTest(file=name, kind=o.get("kind")):
                self.assertIn("apiVersion", o)
                self.assertIn("kind", o)
                self.assertIn("name", o["metadata"])
                if o["kind"] != "Namespace":
                    self.assertEqual(o["metadata"].get("namespace"), "orb")

    def test_brokers_are_a_statefulset_named_by_a_headless_service(self):
        (sts,) = self.by_kind["StatefulSet"]
        services = {s["metadata"]["name"]: s for s in self.by_kind["Service"]}
        headless = services[sts["spec"]["serviceName"]]
        self.assertEqual(headless["spec"]["clusterIP"], "None")
        self.assertTrue(headless["spec"].get("publishNotReadyAddresses"))
        self.assertEqual(headless["spec"]["selector"], sts["spec"]["selector"]["matchLabels"])
        pod = sts["spec"]["template"]["spec"]
        (orbd,) = [c for c in pod["containers"] if c["name"] == "orbd"]
        args = orbd["args"]
        self.assertIn("--broker-id=$(POD_NAME)", args)
        (pod_name,) = [e for e in orbd["env"] if e["name"] == "POD_NAME"]
        self.assertEqual(pod_name["valueFrom"]["fieldRef"]["fieldPath"], "metadata.name")
        self.assertIn("--listen=0.0.0.0:50051", args)
        # Readiness is the standard gRPC health service.
        self.assertEqual(orbd["readinessProbe"]["grpc"]["port"], 50051)
        # The pods' DNS names are what the Envoy clusters point at.
        envoy = read(ENVOY_YAML)
        for i in range(sts["spec"]["replicas"]):
            pod_name = f"{sts['metadata']['name']}-{i}"
            host = f"{pod_name}.{headless['metadata']['name']}.orb.svc.cluster.local"
            self.assertIn(host, envoy)
        # Drain: the grace period covers orbd's.
        grace = [float(a.split("=", 1)[1]) for a in args
                 if a.startswith("--shutdown-grace-seconds=")]
        self.assertTrue(grace and pod["terminationGracePeriodSeconds"] > grace[0])

    def test_the_policy_is_a_configmap_directory_mount(self):
        for o in self.by_kind["StatefulSet"] + self.by_kind["Deployment"]:
            pod = o["spec"]["template"]["spec"]
            for container in pod["containers"]:
                for mount in container.get("volumeMounts", []):
                    with self.subTest(workload=o["metadata"]["name"], mount=mount["name"]):
                        self.assertNotIn("subPath", mount, "a subPath mount never sees updates")
                        self.assertNotIn("subPathExpr", mount)
        (sts,) = self.by_kind["StatefulSet"]
        pod = sts["spec"]["template"]["spec"]
        (orbd,) = [c for c in pod["containers"] if c["name"] == "orbd"]
        (policy_arg,) = [a for a in orbd["args"] if a.startswith("--policy=")]
        policy_path = policy_arg.split("=", 1)[1]
        mounts = [m for m in orbd["volumeMounts"]
                  if os.path.dirname(policy_path) == m["mountPath"].rstrip("/")]
        self.assertEqual(len(mounts), 1, f"{policy_path} is a file in a mounted directory")
        volume = {v["name"]: v for v in pod["volumes"]}[mounts[0]["name"]]
        self.assertIn("configMap", volume)

    def test_the_gateway_runs_envoy_with_its_file(self):
        (gateway,) = self.by_kind["Deployment"]
        pod = gateway["spec"]["template"]["spec"]
        (envoy,) = pod["containers"]
        self.assertIn("envoyproxy/envoy", envoy["image"])
        config = envoy["args"][envoy["args"].index("-c") + 1]
        (mount,) = [m for m in envoy["volumeMounts"]
                    if m["mountPath"].rstrip("/") == os.path.dirname(config)]
        volume = {v["name"]: v for v in pod["volumes"]}[mount["name"]]
        self.assertIn("configMap", volume)
        services = {s["metadata"]["name"]: s for s in self.by_kind["Service"]}
        fronts = [s for s in services.values()
                  if s["spec"].get("selector") == gateway["spec"]["selector"]["matchLabels"]]
        self.assertEqual(len(fronts), 1, "one Service in front of the gateway")


class TheProxiesAgree(unittest.TestCase):
    def test_an_unknown_route_gets_orbds_unknown_session_answer_from_each(self):
        haproxy = dict(tuple(line.split(": ", 1))
                       for line in read(HAPROXY_NOT_FOUND).split("\r\n\r\n")[0].split("\r\n")[1:])
        nginx_text = read(NGINX_CONF)
        block = re.search(r"location @orb_unknown_route \{(.*?)\n    \}", nginx_text, re.S).group(1)
        nginx = dict(re.findall(r'add_header (\S+) "?([^";]*)"? always;', block))
        _, routes = envoy_routes(yaml.safe_load(read(ENVOY_YAML)))
        envoy = headers_added([r for r in routes if r.get("name") == "unknown-route"][0])
        for name, answer in (("haproxy", haproxy), ("nginx", nginx), ("envoy", envoy)):
            with self.subTest(proxy=name):
                self.assertEqual(answer["grpc-status"], "5")
                self.assertEqual(answer["grpc-message"], "session not found")
                self.assertEqual(answer["grpc-status-details-bin"],
                                 haproxy["grpc-status-details-bin"])
        self.assertEqual(decode_details(haproxy["grpc-status-details-bin"]), {
            "code": 5, "message": "session not found",
            "type_url": "type.googleapis.com/orb.v1.ErrorInfo",
            "reason": "SESSION_NOT_FOUND", "gate": "session"})

    def test_a_session_call_without_route_gets_the_same_refusal_from_each(self):
        for path in (HAPROXY_CFG, NGINX_CONF, ENVOY_YAML):
            with self.subTest(file=os.path.relpath(path, SOURCE_DIR)):
                self.assertIn(NO_ROUTE_MESSAGE, read(path))


if __name__ == "__main__":
    program = unittest.main(argv=sys.argv[:1], exit=False, verbosity=2)
    result = program.result
    if not result.wasSuccessful() or result.testsRun == 0:
        sys.exit(1)
    if result.skipped:
        print("SKIPPED: " + "; ".join(reason for _, reason in result.skipped))
        sys.exit(77)
    sys.exit(0)
