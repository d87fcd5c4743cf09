"""The blog demo from Python: Debian's python3-grpcio against a real orbd.

Stubs are generated at test time from proto/ with the system protoc and
grpc_python_plugin (examples/python/gen_stubs.sh). orbd listens on an
ephemeral loopback port and is stopped by PID with SIGTERM at the end.

    python3 tests/python/blog_client_test.py SOURCE_DIR BINARY_DIR
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

SOURCE_DIR = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
BINARY_DIR = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else "build")
TOKENS = {"anonymous": None, "bob": "bob-demo-token", "alice": "alice-demo-token"}
TIMEOUT = 10  # seconds per RPC

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import orbd_launcher  # noqa: E402  (tests/python/orbd_launcher.py)

try:
    import grpc
except ImportError as e:
    sys.exit(f"FAIL: {sys.executable} cannot import grpc ({e}); "
             "install Debian's python3-grpcio (scripts/install-deps)")

# Filled by setUpModule.
broker_pb2 = broker_pb2_grpc = value_pb2 = error_details_pb2 = None
_work = None
_orbd = None
_address = None


def _generate_stubs(out):
    for tool in ("protoc", "/usr/bin/grpc_python_plugin"):
        if shutil.which(tool) is None:
            raise AssertionError(f"{tool} not found: install protobuf-compiler and "
                                 "protobuf-compiler-grpc (scripts/install-deps)")
    run = subprocess.run(["sh", os.path.join(SOURCE_DIR, "examples/python/gen_stubs.sh"), out],
                         cwd=SOURCE_DIR, capture_output=True, text=True, timeout=60)
    if run.returncode != 0:
        raise AssertionError(f"generating Python stubs failed:\n{run.stderr}")


def setUpModule():
    global broker_pb2, broker_pb2_grpc, value_pb2, error_details_pb2, _work, _orbd, _address
    _work = tempfile.mkdtemp(prefix="orb-python-test-")
    gen = os.path.join(_work, "gen")
    _generate_stubs(gen)
    sys.path.insert(0, gen)
    from orb.v1 import broker_pb2, broker_pb2_grpc, error_details_pb2, value_pb2  # noqa: F811
    globals().update(broker_pb2=broker_pb2, broker_pb2_grpc=broker_pb2_grpc,
                     value_pb2=value_pb2, error_details_pb2=error_details_pb2)
    _orbd, _address = orbd_launcher.start_blog_orbd(SOURCE_DIR, BINARY_DIR,
                                                    os.path.join(_work, "orbd.log"))


def tearDownModule():
    try:
        if _orbd is not None and _orbd.poll() is None:
            code = orbd_launcher.stop(_orbd)
            with open(os.path.join(_work, "orbd.log"), encoding="utf-8", errors="replace") as f:
                log = f.read()
            if code != 0:
                raise AssertionError(f"orbd exited {code} after SIGTERM:\n{log}")
            for token in ("bob-demo-token", "alice-demo-token"):
                if token in log:
                    raise AssertionError(f"orbd's log contains a credential ({token})")
    finally:
        if _work:
            shutil.rmtree(_work, ignore_errors=True)


def s(text):
    return value_pb2.Value(string_value=text)


class Client:
    """One identity's session: the stub, its metadata, session id and root."""

    def __init__(self, channel, who):
        self.stub = broker_pb2_grpc.ObjectBrokerStub(channel)
        token = TOKENS[who]
        self.metadata = [("authorization", f"Bearer {token}")] if token else []
        self.opened = self.stub.OpenSession(
            broker_pb2.OpenSessionRequest(client_name=f"python-test/{who}"),
            metadata=self.metadata, timeout=TIMEOUT)
        self.session = self.opened.session
        self.root = self.opened.root.id

    def _rpc(self, method, request_type, **fields):
        return getattr(self.stub, method)(request_type(session=self.session, **fields),
                                          metadata=self.metadata, timeout=TIMEOUT)

    def getattr(self, handle, name):
        return self._rpc("GetAttr", broker_pb2.GetAttrRequest, handle=handle, name=name).value

    def setattr(self, handle, name, value):
        self._rpc("SetAttr", broker_pb2.SetAttrRequest, handle=handle, name=name, value=value)

    def delattr(self, handle, name):
        self._rpc("DelAttr", broker_pb2.DelAttrRequest, handle=handle, name=name)

    def call(self, handle, name, *args):
        return self._rpc("Call", broker_pb2.CallRequest, handle=handle, name=name,
                         args=list(args)).result

    def add_entry(self, title):
        result = self.call(self.root, "add_entry", s(title), s("body of " + title))
        assert result.WhichOneof("kind") == "handle", f"add_entry returned {result}"
        return result.handle

    def find_entry(self, title):
        """The handle, in this session, of the entry titled `title`."""
        for v in self.call(self.root, "entries").list_value.values:
            if self.getattr(v.handle.id, "title").string_value == title:
                return v.handle.id
        raise AssertionError(f"no entry titled {title!r} seen from this session")


def error_info(error):
    """Decodes grpc-status-details-bin: an orb.v1.Status (google.rpc.Status on
    the wire) whose details hold one orb.v1.ErrorInfo."""
    trailers = dict(error.trailing_metadata() or ())
    raw = trailers.get("grpc-status-details-bin")
    assert raw is not None, f"no grpc-status-details-bin trailer in {sorted(trailers)}"
    status = error_details_pb2.Status.FromString(raw)
    assert status.code == error.code().value[0], (status.code, error.code())
    assert status.message == error.details(), (status.message, error.details())
    assert len(status.details) == 1, status
    assert status.details[0].type_url == "type.googleapis.com/orb.v1.ErrorInfo", status
    info = error_details_pb2.ErrorInfo()
    assert status.details[0].Unpack(info)
    return info


class BlogFromPython(unittest.TestCase):
    def setUp(self):
        self.channel = grpc.insecure_channel(_address)
        self.anonymous = Client(self.channel, "anonymous")
        self.bob = Client(self.channel, "bob")
        self.alice = Client(self.channel, "alice")

    def tearDown(self):
        self.channel.close()

    def assertRefused(self, code, fn, *args):
        with self.assertRaises(grpc.RpcError) as refused:
            fn(*args)
        self.assertEqual(refused.exception.code(), code, refused.exception.details())
        return refused.exception

    def test_open_session_reports_identity_and_root(self):
        self.assertEqual(self.anonymous.opened.userid, "")
        self.assertEqual(list(self.anonymous.opened.principals), ["system.Everyone"])
        self.assertEqual(self.bob.opened.userid, "bob")
        self.assertIn("system.Authenticated", self.bob.opened.principals)
        self.assertEqual(self.alice.opened.userid, "alice")
        self.assertIn("group:editors", self.alice.opened.principals)
        for c in (self.anonymous, self.bob, self.alice):
            self.assertEqual(c.opened.protocol, "orb.v1")
            self.assertEqual(c.opened.root.type_name, "demo.Blog")
            self.assertGreater(c.opened.lease_seconds, 0)
        self.assertEqual(len({self.anonymous.session, self.bob.session, self.alice.session}), 3)

    def test_everyone_reads_the_title(self):
        for c in (self.anonymous, self.bob, self.alice):
            title = c.getattr(c.root, "title")
            self.assertEqual(title.WhichOneof("kind"), "string_value")
            self.assertTrue(title.string_value)

    def test_anonymous_add_entry_is_permission_denied_by_the_acl(self):
        error = self.assertRefused(grpc.StatusCode.PERMISSION_DENIED, self.anonymous.call,
                                   self.anonymous.root, "add_entry", s("t"), s("b"))
        info = error_info(error)
        self.assertEqual(info.reason, "ACL_DENIED")
        self.assertEqual(info.gate, "acl")

    def test_bob_adds_and_edits_his_entry(self):
        entry = self.bob.add_entry("bob in python")
        self.assertEqual(entry.type_name, "demo.Entry")
        self.assertFalse(entry.is_class)
        self.assertEqual(self.bob.getattr(entry.id, "owner").string_value, "bob")
        self.bob.setattr(entry.id, "title", s("bob edited"))
        self.assertEqual(self.bob.getattr(entry.id, "title").string_value, "bob edited")
        self.bob.delattr(entry.id, "body")
        self.assertEqual(self.bob.getattr(entry.id, "body").WhichOneof("kind"), "null_value")

    def test_bob_cannot_edit_or_delete_alices_entry(self):
        self.alice.add_entry("alice in python")
        seen_by_bob = self.bob.find_entry("alice in python")
        error = self.assertRefused(grpc.StatusCode.PERMISSION_DENIED, self.bob.setattr,
                                   seen_by_bob, "title", s("hijack"))
        self.assertEqual(error_info(error).gate, "acl")
        self.assertRefused(grpc.StatusCode.PERMISSION_DENIED, self.bob.call, seen_by_bob,
                           "delete")
        self.assertEqual(self.alice.getattr(self.alice.find_entry("alice in python"),
                                            "title").string_value, "alice in python")

    def test_alice_the_editor_deletes_bobs_entry(self):
        self.bob.add_entry("bob's, soon gone")
        before = self.bob.getattr(self.bob.root, "entry_count").int_value
        seen_by_alice = self.alice.find_entry("bob's, soon gone")
        self.alice.call(seen_by_alice, "delete")
        self.assertEqual(self.bob.getattr(self.bob.root, "entry_count").int_value, before - 1)
        with self.assertRaises(AssertionError):
            self.bob.find_entry("bob's, soon gone")

    def test_secret_is_not_found_exactly_like_a_missing_name(self):
        for c in (self.anonymous, self.bob, self.alice):
            secret = self.assertRefused(grpc.StatusCode.NOT_FOUND, c.getattr, c.root, "_secret")
            missing = self.assertRefused(grpc.StatusCode.NOT_FOUND, c.getattr, c.root,
                                         "no_such_name")
            self.assertEqual(secret.details().replace("_secret", "NAME"),
                             missing.details().replace("no_such_name", "NAME"))
            secret_info, missing_info = error_info(secret), error_info(missing)
            self.assertEqual(secret_info, missing_info)
            self.assertEqual(secret_info.reason, "NAME_NOT_FOUND")
            self.assertEqual(secret_info.gate, "olp")

    def test_class_handle_reads_max_title_length(self):
        cls = self.bob.getattr(self.bob.root, "Entry")
        self.assertEqual(cls.WhichOneof("kind"), "handle")
        self.assertTrue(cls.handle.is_class)
        self.assertEqual(cls.handle.type_name, "demo.Entry")
        self.assertEqual(self.bob.getattr(cls.handle.id, "max_title_length").int_value, 200)
        self.assertRefused(grpc.StatusCode.NOT_FOUND, self.bob.getattr, cls.handle.id, "title")

    def test_describe_lists_members_and_what_bob_may_do(self):
        described = self.bob._rpc("Describe", broker_pb2.DescribeRequest, handle=self.bob.root)
        self.assertEqual(described.type_name, "demo.Blog")
        self.assertFalse(described.is_class)
        self.assertEqual(described.view, "instance")
        members = {(m.op, m.name): m.allowed for m in described.members}
        self.assertIs(members[("getattr", "title")], True)
        self.assertIs(members[("call", "add_entry")], True)
        self.assertIs(members[("setattr", "title")], False)
        self.assertNotIn("_secret", {name for _, name in members})

    def test_release_then_the_handle_is_not_found(self):
        entry = self.bob.add_entry("released in python")
        released = self.bob._rpc("Release", broker_pb2.ReleaseRequest, handles=[entry.id])
        self.assertEqual(released.released, 1)
        error = self.assertRefused(grpc.StatusCode.NOT_FOUND, self.bob.getattr, entry.id, "title")
        self.assertEqual(error_info(error).reason, "HANDLE_NOT_FOUND")

    def test_close_session_releases_its_handles(self):
        self.bob.add_entry("closed in python")
        closed = self.bob._rpc("CloseSession", broker_pb2.CloseSessionRequest)
        self.assertEqual(closed.released_handles, 2)  # the root and the entry
        error = self.assertRefused(grpc.StatusCode.NOT_FOUND, self.bob.getattr, self.bob.root,
                                   "title")
        self.assertEqual(error_info(error).reason, "SESSION_NOT_FOUND")

    def test_wrong_token_is_unauthenticated(self):
        with self.assertRaises(grpc.RpcError) as refused:
            broker_pb2_grpc.ObjectBrokerStub(self.channel).OpenSession(
                broker_pb2.OpenSessionRequest(), metadata=[("authorization", "Bearer nope")],
                timeout=TIMEOUT)
        self.assertEqual(refused.exception.code(), grpc.StatusCode.UNAUTHENTICATED)
        self.assertEqual(error_info(refused.exception).gate, "authn")

    def test_the_python_example_runs(self):
        env = dict(os.environ, PYTHONPATH=os.path.join(_work, "gen"))
        run = subprocess.run([sys.executable, os.path.join(SOURCE_DIR,
                                                           "examples/python/blog_session.py"),
                              _address], env=env, capture_output=True, text=True, timeout=30)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(run.stdout.splitlines(), [
            "opened a session as bob; root is a demo.Blog",
            "title: orb demo blog",
            "add_entry returned a demo.Entry handle",
            "entry title: Hello again",
            "_secret: NOT_FOUND reason=NAME_NOT_FOUND gate=olp",
            "closed the session, releasing 2 handles",
        ])


if __name__ == "__main__":
    orbd_launcher.unittest_main()
