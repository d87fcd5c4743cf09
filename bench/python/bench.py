"""orb's Python proxies next to RPyC 5.3 and a raw grpcio unary call, in one
run, for the operations as users write them:

    p.title            p.title = x          p.add_entry("a", "b")
    p.entry("x").title (a new object, then a read)

orb runs against orbd's demo blog, RPyC against the same blog in Python
(rpyc_blog.py); each server is its own process, the client is this one.
"raw" is the same RPC(s) as orb sends, made with a grpcio multicallable
and hand-built messages: what orb's proxy layer costs on top is the
difference. Prints p50 and p90 per row and the ratios; figures are in
docs/performance.md. Not a test: the smoke test only checks that it runs.

    PYTHONPATH=build/python python3 bench/python/bench.py build/bin/orbd [-n 2000] [--runs 3]
"""
import argparse
import gc
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


def rows(address, rpyc_port, n):
    raw = Raw(address)
    conn = orb.connect(address, token="bob-demo-token", timeout=10)
    blog = conn.root
    first = blog.add_entry("first", "x")  # entry-1 in a fresh orbd is bob's
    first_name = "entry-1"
    dir(blog)  # the connection learns demo.Blog's methods (one Describe)
    # TCP_NODELAY on RPyC's client socket (rpyc.connect leaves Nagle on, and
    # then a call that returns a new object waits ~40 ms for a delayed ACK).
    rconn = rpyc.utils.factory.connect_stream(
        rpyc.SocketStream.connect("127.0.0.1", rpyc_port, nodelay=True),
        config={"allow_public_attrs": True, "allow_setattr": True})
    rblog = rconn.root.blog
    rfirst = rblog.add_entry("first", "x")
    # Each side writes the title of bob's own entry (bob may not retitle
    # the blog); the raw client holds its own handle to it.
    entry_handle = raw.call(raw.root, "entry", first_name).handle.id
    table = []

    added = []

    def raw_add():  # the Call only; its handles are released after timing
        added.append(raw.call(raw.root, "add_entry", "a", "b").handle.id)

    def raw_chain():
        h = raw.call(raw.root, "entry", first_name).handle.id
        raw.getattr(h, "title")

    ops = [
        ("p.title", lambda: raw.getattr(raw.root, "title"), lambda: blog.title,
         lambda: rblog.title),
        ("p.title = x", lambda: raw.setattr(entry_handle, "title", "x"),
         lambda: setattr(first, "title", "x"), lambda: setattr(rfirst, "title", "x")),
        ('p.add_entry("a", "b")', raw_add, lambda: blog.add_entry("a", "b"),
         lambda: rblog.add_entry("a", "b")),
        ('p.entry("x").title', raw_chain, lambda: blog.entry(first_name).title,
         lambda: rblog.entry(first_name).title),
    ]
    for label, raw_fn, orb_fn, rpyc_fn in ops:
        table.append((label, measure(raw_fn, n), measure(orb_fn, n), measure(rpyc_fn, n)))
        if added:
            raw.rpc["Release"](broker_pb2.ReleaseRequest(session=raw.session, handles=added),
                               metadata=BOB, timeout=30)
            added.clear()
    rconn.close()
    conn.close()
    raw.channel.close()
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
            for label, raw, orbs, rp in rows(address, rport, args.iterations):
                results.setdefault(label, []).append(
                    (pct(raw, .5), pct(orbs, .5), pct(rp, .5), pct(raw, .9), pct(orbs, .9),
                     pct(rp, .9)))
        finally:
            orbd.send_signal(signal.SIGTERM)
            rproc.kill()
            orbd.wait()
            rproc.wait()
    print(f"p50 / p90 in µs, {args.iterations} calls per row, {args.runs} run(s); "
          "median over runs (min–max of the p50s)")
    print(f"{'operation':24} {'raw grpcio':>16} {'orb proxy':>16} {'RPyC 5.3':>16} "
          f"{'orb/raw':>8} {'orb/RPyC':>9}")
    for label, runs in results.items():
        med = [statistics.median(r[i] for r in runs) for i in range(6)]

        def cell(i):
            lo, hi = min(r[i] for r in runs), max(r[i] for r in runs)
            spread = f" ({lo:.0f}–{hi:.0f})" if len(runs) > 1 else ""
            return f"{med[i]:.0f}/{med[i + 3]:.0f}{spread}"
        print(f"{label:24} {cell(0):>16} {cell(1):>16} {cell(2):>16} "
              f"{med[1] / med[0]:8.2f} {med[1] / med[2]:9.2f}")


if __name__ == "__main__":
    main()
