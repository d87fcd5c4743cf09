"""orb's Python proxies over each transport next to RPyC 5.3 and raw grpcio,
in one run, for the operations as users write them:

    p.title            p.title = x          p.add_entry("a", "b")
    p.entry("x").title (a new object, then a read: one Batch)

orb runs against orbd's demo blog, RPyC against the same blog in Python
(rpyc_blog.py); each server is its own process, the client is this one.
"raw" is the same RPC as orb sends (a unary call, or a frame on one Stream
call), made with grpcio and hand-built messages: what orb's proxy layer
costs on top is the difference. `p.add_entry` is measured on a connection
with lazy=False, so that the call is sent when it is made (a lazy call is
sent with its first use; the chain row measures that). Prints p50 and p90
per row and the ratios; figures are in docs/performance.md. Not a test:
the smoke test only checks that it runs.

    PYTHONPATH=build/python python3 bench/python/bench.py build/bin/orbd [-n 2000] [--runs 3]
"""
import argparse
import gc
import itertools
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time

import grpc
import rpyc
import rpyc.utils.factory

import orb
from orb.v1 import broker_pb2, value_pb2

HERE = os.path.dirname(os.path.abspath(__file__))
POLICY = os.path.join(HERE, "..", "..", "examples", "blog", "policy.textproto")
BOB = [("authorization", "Bearer bob-demo-token")]


def start_orbd(orbd):
    proc = subprocess.Popen([orbd, "--listen=127.0.0.1:0", "--service=blog", "--policy=" + POLICY],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    serving = re.compile(r"serving '[^']*' on ([0-9.]+:[0-9]+)")
    for line in proc.stderr:
        m = serving.search(line)
        if m:
            # Keep draining stderr so orbd never blocks on a full pipe.
            threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()
            return proc, m.group(1)
    raise SystemExit(f"orbd did not start (exit {proc.wait()})")


def start_rpyc():
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "rpyc_blog.py")],
                            stdout=subprocess.PIPE, text=True)
    return proc, int(proc.stdout.readline())


def measure(fn, n):
    """Per-call latencies in µs (after n // 10 + 1 warm-up calls)."""
    for _ in range(n // 10 + 1):
        fn()
    gc.collect()
    samples = []
    clock = time.perf_counter
    for _ in range(n):
        t = clock()
        fn()
        samples.append((clock() - t) * 1e6)
    samples.sort()
    return samples


class Raw:
    """The RPCs orb sends, by hand with grpcio."""

    def __init__(self, address):
        self.channel = grpc.insecure_channel(address)
        rpc = {}
        for name, req, resp in (("OpenSession", broker_pb2.OpenSessionRequest,
                                 broker_pb2.OpenSessionResponse),
                                ("GetAttr", broker_pb2.GetAttrRequest, broker_pb2.GetAttrResponse),
                                ("SetAttr", broker_pb2.SetAttrRequest, broker_pb2.SetAttrResponse),
                                ("Call", broker_pb2.CallRequest, broker_pb2.CallResponse),
                                ("Batch", broker_pb2.BatchRequest, broker_pb2.BatchResponse),
                                ("Release", broker_pb2.ReleaseRequest,
                                 broker_pb2.ReleaseResponse)):
            rpc[name] = self.channel.unary_unary(f"/orb.v1.ObjectBroker/{name}",
                                                 request_serializer=req.SerializeToString,
                                                 response_deserializer=resp.FromString)
        self.rpc = rpc
        opened = rpc["OpenSession"](broker_pb2.OpenSessionRequest(), metadata=BOB, timeout=10)
        self.session, self.root = opened.session, opened.root.id

    def getattr(self, handle, name):
        return self.rpc["GetAttr"](broker_pb2.GetAttrRequest(
            session=self.session, handle=handle, name=name), metadata=BOB, timeout=10).value

    def setattr(self, handle, name, text):
        self.rpc["SetAttr"](broker_pb2.SetAttrRequest(
            session=self.session, handle=handle, name=name,
            value=value_pb2.Value(string_value=text)), metadata=BOB, timeout=10)

    def call(self, handle, name, *texts):
        return self.rpc["Call"](broker_pb2.CallRequest(
            session=self.session, handle=handle, name=name,
            args=[value_pb2.Value(string_value=t) for t in texts]), metadata=BOB,
            timeout=10).result

    def batch(self, request):
        return self.rpc["Batch"](request, metadata=BOB, timeout=10)

    def close(self):
        self.channel.close()


class RawStream(Raw):
    """The same operations as frames of one Stream call, by hand, the way
    orb's stream transport drives it for a lone caller (grpcio's segregated
    call, read by the calling thread): send the frame, read the call's
    completion queue until the answer (and the send's completion) came."""

    def __init__(self, address):
        super().__init__(address)
        from grpc._cython import cygrpc
        self.cygrpc = cygrpc
        md = tuple(BOB)
        self.stream = self.channel._channel.segregated_call(
            cygrpc.PropagationConstants.GRPC_PROPAGATE_DEFAULTS, b"/orb.v1.ObjectBroker/Stream",
            None, None, md, None,
            (((cygrpc.SendInitialMetadataOperation(md, 0),), None),
             ((cygrpc.ReceiveInitialMetadataOperation(0),), None),
             ((cygrpc.ReceiveStatusOnClientOperation(0),), "status")), None)
        self.stream.operate((cygrpc.ReceiveMessageOperation(0),), "recv")
        self.ids = itertools.count(1)

    def _op(self, **operation):
        cygrpc = self.cygrpc
        frame = broker_pb2.StreamRequest(id=next(self.ids), timeout_ms=10000, **operation)
        self.stream.operate((cygrpc.SendMessageOperation(frame.SerializeToString(), 0),), "send")
        answer, sent = None, False
        while answer is None or not sent:
            event = self.stream.next_event()
            if event.tag == "recv":
                answer = broker_pb2.StreamResponse.FromString(event.batch_operations[0].message())
                self.stream.operate((cygrpc.ReceiveMessageOperation(0),), "recv")
            elif event.tag == "send":
                sent = True
        return getattr(answer, answer.WhichOneof("outcome"))

    def getattr(self, handle, name):
        return self._op(get_attr=broker_pb2.GetAttrRequest(
            session=self.session, handle=handle, name=name)).value

    def setattr(self, handle, name, text):
        self._op(set_attr=broker_pb2.SetAttrRequest(
            session=self.session, handle=handle, name=name,
            value=value_pb2.Value(string_value=text)))

    def call(self, handle, name, *texts):
        return self._op(call=broker_pb2.CallRequest(
            session=self.session, handle=handle, name=name,
            args=[value_pb2.Value(string_value=t) for t in texts])).result

    def batch(self, request):
        return self._op(batch=request)

    def close(self):
        self.stream.cancel(1, "done")
        self.channel.close()


def chain_batch(session, root, name):
    """p.entry(name).title as orb sends it: one Batch, the read targeting
    the call's result."""
    batch = broker_pb2.BatchRequest(session=session, stop_on_error=True)
    op = batch.operations.add()
    op.call.handle = root
    op.call.name = "entry"
    op.call.args.add(string_value=name)
    op = batch.operations.add()
    op.target.result = 0
    op.get_attr.name = "title"
    return batch


COLUMNS = ("raw unary", "orb unary", "raw stream", "orb stream", "RPyC 5.3")


def orb_fns(address, transport, first_name):
    """(p.title, p.title = x, p.add_entry, chain, close) on an orb
    connection over `transport`."""
    conn = orb.connect(address, token="bob-demo-token", timeout=10, transport=transport)
    eager = orb.connect(address, token="bob-demo-token", timeout=10, transport=transport,
                        lazy=False)
    assert conn.transport == transport, f"orbd does not offer {transport}"
    blog, eager_blog = conn.root, eager.root
    first = blog.entry(first_name)
    dir(blog)  # the connection learns demo.Blog's methods (one Describe)
    dir(eager_blog)
    blog.entry(first_name).title  # entry() returned an object: from now on it is lazy

    def close():
        conn.close()
        eager.close()
    return (lambda: blog.title, lambda: setattr(first, "title", "x"),
            lambda: eager_blog.add_entry("a", "b"), lambda: blog.entry(first_name).title, close)


def raw_fns(raw, first_name):
    entry_handle = raw.call(raw.root, "entry", first_name).handle.id
    added = []
    chain = chain_batch(raw.session, raw.root, first_name)

    def add():  # the Call only; its handles are released after timing
        added.append(raw.call(raw.root, "add_entry", "a", "b").handle.id)

    def chained():
        added.append(raw.batch(chain).results[0].call.result.handle.id)
    return (lambda: raw.getattr(raw.root, "title"),
            lambda: raw.setattr(entry_handle, "title", "x"), add, chained, added)


def rows(address, rpyc_port, n):
    first_name = "entry-1"  # in a fresh orbd, bob's first entry
    setup = orb.connect(address, token="bob-demo-token", timeout=10, transport="unary")
    keep = setup.root.add_entry("first", "x")
    raw_unary, raw_stream = Raw(address), RawStream(address)
    # TCP_NODELAY on RPyC's client socket (rpyc.connect leaves Nagle on, and
    # then a call that returns a new object waits ~40 ms for a delayed ACK).
    rconn = rpyc.utils.factory.connect_stream(
        rpyc.SocketStream.connect("127.0.0.1", rpyc_port, nodelay=True),
        config={"allow_public_attrs": True, "allow_setattr": True})
    rblog = rconn.root.blog
    rfirst = rblog.add_entry("first", "x")
    rpyc_ops = (lambda: rblog.title, lambda: setattr(rfirst, "title", "x"),
                lambda: rblog.add_entry("a", "b"), lambda: rblog.entry(first_name).title)
    columns = [raw_fns(raw_unary, first_name), orb_fns(address, "unary", first_name),
               raw_fns(raw_stream, first_name), orb_fns(address, "stream", first_name),
               rpyc_ops]
    labels = ["p.title", "p.title = x", 'p.add_entry("a", "b")', 'p.entry("x").title']
    table = []
    for row, label in enumerate(labels):
        samples = []
        for fns in columns:
            samples.append(measure(fns[row], n))
        for raw, fns in ((raw_unary, columns[0]), (raw_stream, columns[2])):
            added = fns[4]  # the handles the raw calls made, released after timing
            if added:
                raw_unary.rpc["Release"](broker_pb2.ReleaseRequest(session=raw.session,
                                                                   handles=added),
                                         metadata=BOB, timeout=30)
                added.clear()
        table.append((label, samples))
    rconn.close()
    columns[1][4]()
    columns[3][4]()
    raw_unary.close()
    raw_stream.close()
    del keep
    setup.close()
    return table


def pct(samples, p):
    return samples[min(len(samples) - 1, int(len(samples) * p))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("orbd")
    parser.add_argument("-n", "--iterations", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=1, help="repeat, each against fresh servers")
    args = parser.parse_args()
    results = {}
    for run in range(args.runs):
        orbd, address = start_orbd(args.orbd)
        rproc, rport = start_rpyc()
        try:
            for label, samples in rows(address, rport, args.iterations):
                results.setdefault(label, []).append(
                    [pct(x, .5) for x in samples] + [pct(x, .9) for x in samples])
        finally:
            orbd.send_signal(signal.SIGTERM)
            rproc.kill()
            orbd.wait()
            rproc.wait()
    k = len(COLUMNS)
    print(f"p50/p90 in µs, {args.iterations} calls per row, {args.runs} run(s); "
          "median over runs (min–max of the p50s)")
    print(f"{'operation':22}" + "".join(f"{c:>19}" for c in COLUMNS) +
          f"{'unary/raw':>10}{'stream/raw':>11}{'stream/RPyC':>12}{'unary/RPyC':>11}")
    for label, runs in results.items():
        med = [statistics.median(r[i] for r in runs) for i in range(2 * k)]

        def cell(i):
            lo, hi = min(r[i] for r in runs), max(r[i] for r in runs)
            spread = f" ({lo:.0f}–{hi:.0f})" if len(runs) > 1 else ""
            return f"{med[i]:.0f}/{med[i + k]:.0f}{spread}"
        print(f"{label:22}" + "".join(f"{cell(i):>19}" for i in range(k)) +
              f"{med[1] / med[0]:10.2f}{med[3] / med[2]:11.2f}{med[3] / med[4]:12.2f}"
              f"{med[1] / med[4]:11.2f}")


if __name__ == "__main__":
    main()
