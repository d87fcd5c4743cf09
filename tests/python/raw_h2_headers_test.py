"""Identity headers sent in raw HTTP/2 frames, as no gRPC client sends them.

HTTP/2 header names are lower case, and gRPC's clients refuse to send any
other; a hand-made HTTP/2 client can still send `Authorization` (gRPC's
server passes it through). orb must refuse such a call (UNAUTHENTICATED),
never read it as anonymous; and two `authorization` entries are refused
whatever the first one says. Frames are made with Debian's python3-h2.

    python3 tests/python/raw_h2_headers_test.py SOURCE_DIR BINARY_DIR
"""
import os
import socket
import sys
import tempfile
import unittest

SOURCE_DIR = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
BINARY_DIR = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else "build")
ALICE = "Bearer alice-demo-token"
UNAUTHENTICATED = 16

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import orbd_launcher  # noqa: E402  (tests/python/orbd_launcher.py)

try:
    import h2.config
    import h2.connection
    import h2.events
except ImportError as e:
    sys.exit(f"FAIL: {sys.executable} cannot import h2 ({e}); "
             "install Debian's python3-h2 (scripts/install-deps)")

_orbd = None
_address = None
_work = None


def setUpModule():
    global _orbd, _address, _work
    _work = tempfile.TemporaryDirectory()
    _orbd, _address = orbd_launcher.start_blog_orbd(
        SOURCE_DIR, BINARY_DIR, os.path.join(_work.name, "orbd.log"))


def tearDownModule():
    if _orbd is not None:
        orbd_launcher.stop(_orbd)
    if _work is not None:
        _work.cleanup()


def raw_grpc_call(method, headers, body=b""):
    """One gRPC call in raw HTTP/2 frames; returns (grpc-status, message, data)."""
    host, port = _address.rsplit(":", 1)
    config = h2.config.H2Configuration(client_side=True, header_encoding="utf-8",
                                       validate_outbound_headers=False,
                                       normalize_outbound_headers=False)
    conn = h2.connection.H2Connection(config=config)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        conn.initiate_connection()
        stream = conn.get_next_available_stream_id()
        conn.send_headers(stream, [(":method", "POST"), (":scheme", "http"),
                                   (":path", "/orb.v1.ObjectBroker/" + method),
                                   (":authority", _address),
                                   ("content-type", "application/grpc"), ("te", "trailers")]
                          + headers)
        conn.send_data(stream, b"\x00" + len(body).to_bytes(4, "big") + body, end_stream=True)
        sock.sendall(conn.data_to_send())
        status, message, data, ended = None, "", b"", False
        while not ended:
            chunk = sock.recv(65536)
            if not chunk:
                break
            for event in conn.receive_data(chunk):
                if isinstance(event, (h2.events.ResponseReceived, h2.events.TrailersReceived)):
                    for key, value in event.headers:
                        if key == "grpc-status":
                            status = int(value)
                        elif key == "grpc-message":
                            message = value
                elif isinstance(event, h2.events.DataReceived):
                    data += event.data
                    conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                elif isinstance(event, (h2.events.StreamEnded, h2.events.StreamReset)):
                    ended = True
            sock.sendall(conn.data_to_send())
    return status, message, data


class RawIdentityHeaders(unittest.TestCase):
    def test_lower_case_authorization_authenticates(self):
        # The control: the same frames with the header spelled as gRPC does.
        status, _, data = raw_grpc_call("OpenSession", [("authorization", ALICE)])
        self.assertEqual(status, 0)
        self.assertIn(b"alice", data)

    def test_a_header_named_authorization_in_another_case_is_refused(self):
        for name in ("Authorization", "AUTHORIZATION", "authoriZation"):
            status, message, data = raw_grpc_call("OpenSession", [(name, ALICE)])
            self.assertEqual(status, UNAUTHENTICATED, f"{name}: {message}")
            self.assertIn(name, message)
            self.assertNotIn(b"alice", data)
            # Also next to a valid lower-case header.
            status, message, _ = raw_grpc_call("OpenSession",
                                               [("authorization", ALICE), (name, "Basic eA==")])
            self.assertEqual(status, UNAUTHENTICATED, f"{name}: {message}")

    def test_two_authorization_entries_are_refused(self):
        for second in ("Bearer wrong-token", "Basic YWxpY2U6c2VjcmV0", ALICE):
            status, message, data = raw_grpc_call(
                "OpenSession", [("authorization", ALICE), ("authorization", second)])
            self.assertEqual(status, UNAUTHENTICATED, message)
            self.assertIn("2 authorization headers", message)
            self.assertNotIn("alice-demo-token", message)
            self.assertEqual(data, b"")


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
