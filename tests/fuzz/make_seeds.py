#!/usr/bin/env python3
"""Writes the seed corpora of tests/fuzz/corpus/ (checked in; rerun after
changing a target's input format). Protobuf wire form is written by hand so
that no generated Python code is needed.

Usage: tests/fuzz/make_seeds.py   (from anywhere)
"""
import os
import random
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def key(field, wire_type):
    return varint((field << 3) | wire_type)


def ld(field, payload):
    if isinstance(payload, str):
        payload = payload.encode()
    return key(field, 2) + varint(len(payload)) + payload


def vint(field, n):
    return key(field, 0) + varint(n)


# orb.v1.Value
def v_null():
    return vint(1, 0)


def v_bool(b):
    return vint(2, 1 if b else 0)


def v_int(i):
    return vint(3, i)


def v_double(d):
    return key(4, 1) + struct.pack("<d", d)


def v_str(s):
    return ld(5, s)


def v_bytes(b):
    return ld(6, b)


def v_list(items):
    return ld(7, b"".join(ld(1, i) for i in items))


def v_map(fields):
    return ld(8, b"".join(ld(1, ld(1, k) + ld(2, v)) for k, v in fields.items()))


def v_handle(id_, type_name="", is_class=False):
    body = ld(1, id_) + (ld(2, type_name) if type_name else b"") + (vint(3, 1) if is_class else b"")
    return ld(9, body)


def call_request(name, args=(), kwargs=None, session="", handle=""):
    out = b""
    if session:
        out += ld(1, session)
    if handle:
        out += ld(2, handle)
    out += ld(3, name)
    for a in args:
        out += ld(4, a)
    for k, v in (kwargs or {}).items():
        out += ld(5, ld(1, k) + ld(2, v))
    return out


def write(target, name, data):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def value_seeds():
    deep = v_int(7)
    for _ in range(70):
        deep = v_list([deep])
    wire = {
        "scalars": call_request("scalars", [v_bool(True), v_int(-5), v_int(70000), v_int(255),
                                            v_double(2.5), v_double(float("nan")), v_str("héllo"),
                                            v_bytes(b"\x00\xff")]),
        "scalars-kw": call_request("scalars", [v_bool(False)], {"i": v_int(1), "i32": v_int(2),
                                                                 "u8": v_int(3), "d": v_int(4),
                                                                 "any": v_double(float("inf")),
                                                                 "s": v_str(""), "raw": v_bytes(b"")}),
        "containers": call_request("containers", [v_list([v_int(1), v_int(2)]),
                                                  v_map({"a": v_list([v_double(1.0), v_null()])}),
                                                  v_str("x")]),
        "nested": call_request("nested", [v_list([v_list([v_map({"k": v_str("v")})])])]),
        "echo": call_request("echo", [v_map({"list": v_list([v_int(1), v_str("s")]),
                                             "h": v_handle("id2")})]),
        "peer": call_request("peer", [v_handle("id2", "fuzz.Probe")]),
        "peer-null": call_request("peer", [v_null()]),
        "spawn": call_request("spawn", [v_int(3)]),
        "maybe": call_request("maybe", [], {"n": v_int(4)}),
        "deep": call_request("echo", [deep]),
        "dup-kw": call_request("spawn", [v_int(1)], {"n": v_int(2)}),
    }
    methods = ["scalars", "containers", "nested", "echo", "peer", "spawn", "maybe"]
    for name, req in sorted(wire.items()):
        # Byte 1 picks the method the request is sent to (kMethods).
        method = {"deep": "echo", "dup": "spawn"}.get(name.split("-")[0], name.split("-")[0])
        write("value", "wire-" + name, bytes([0, methods.index(method)]) + req)
    rnd = random.Random(7)
    for i in range(8):
        write("value", "tree-%d" % i, bytes([1, i]) + bytes(rnd.randrange(256) for _ in range(64 + 32 * i)))


def service_seeds():
    rpcs = ["OpenSession", "CloseSession", "KeepAlive", "GetAttr", "SetAttr", "DelAttr", "Call",
            "Release", "ListHandles", "Describe", "Restrict", "Batch", "GetAttrs"]
    idx = {n: i for i, n in enumerate(rpcs)}
    S, H = ld(1, "s"), ld(2, "h")  # replaced by live ids with flag 1
    seeds = {
        "open-bob": (idx["OpenSession"], 1, 0, ld(1, "fuzz-client")),
        "open-anon": (idx["OpenSession"], 0, 0, b""),
        "close-alice": (idx["CloseSession"], 2, 1, S),
        "keepalive": (idx["KeepAlive"], 1, 1, S),
        "get-title": (idx["GetAttr"], 0, 1, S + H + ld(3, "title")),
        "get-secret": (idx["GetAttr"], 2, 1, S + H + ld(3, "_secret")),
        "get-foreign": (idx["GetAttr"], 1, 3, S + H + ld(3, "title")),
        "set-title": (idx["SetAttr"], 2, 1, S + H + ld(3, "title") + ld(4, v_str("new title"))),
        "del-title": (idx["DelAttr"], 2, 1, S + H + ld(3, "title")),
        "call-add": (idx["Call"], 1, 1, S + H + ld(3, "add_entry") + ld(4, v_str("t")) + ld(4, v_str("b"))),
        "call-entries": (idx["Call"], 0, 1, S + H + ld(3, "entries")),
        "call-kw": (idx["Call"], 4, 1, S + H + ld(3, "add_entry") + ld(5, ld(1, "title") + ld(2, v_str("t")))
                    + ld(5, ld(1, "body") + ld(2, v_str("b")))),
        "release": (idx["Release"], 1, 1, S + ld(2, "h") + ld(2, "h")),
        "list": (idx["ListHandles"], 2, 1, S),
        "describe": (idx["Describe"], 0, 1, S + H),
        "restrict": (idx["Restrict"], 1, 1, S + H + ld(3, "title") + ld(6, "entries")),
        "expired-ticket": (idx["KeepAlive"], 5, 1, S),
        "bad-ticket": (idx["KeepAlive"], 6, 1, S),
        "garbage": (idx["Call"], 1, 0, b"\xff\xff\xff\x0f\x12"),
        # Batch (BatchOperation: 1 get_attr, 2 set_attr, 4 call, 7 release, 8 target;
        # Value.result is field 10). With flag 1 the operations without a
        # handle or target get the root handle.
        "batch-chain": (idx["Batch"], 1, 1, S + ld(2, ld(4, ld(3, "add_entry") + ld(4, v_str("t"))
                                                             + ld(4, v_str("b"))))
                        + ld(2, ld(1, ld(3, "owner")) + ld(8, b""))),
        "batch-argument": (idx["Batch"], 2, 1, S + ld(2, ld(1, ld(3, "title")))
                           + ld(2, ld(4, ld(3, "add_entry") + ld(4, vint(10, 0)) + ld(4, v_str("b"))))),
        "batch-forward": (idx["Batch"], 1, 1, S + ld(2, ld(1, ld(3, "title")) + ld(8, vint(1, 1)))
                          + ld(2, ld(1, ld(3, "title")))),
        "batch-stop": (idx["Batch"], 0, 1, S + ld(2, ld(1, ld(3, "nope"))) + ld(2, ld(1, ld(3, "title")))
                       + vint(3, 1)),
        "batch-foreign": (idx["Batch"], 1, 3, S + ld(2, ld(1, ld(3, "title")))),
        "batch-release": (idx["Batch"], 1, 1, S + ld(2, ld(1, ld(3, "title")))
                          + ld(2, ld(7, b"") + ld(8, b""))),
        # Request ids (SetAttr 5, DelAttr 4, Call 7, Batch 4): with flag 1
        # each seed's id lands in a live session, where a later input may
        # reuse it.
        "call-add-id": (idx["Call"], 1, 1, S + H + ld(3, "add_entry") + ld(4, v_str("t"))
                        + ld(4, v_str("b")) + ld(7, "r-1")),
        "set-title-id": (idx["SetAttr"], 2, 1, S + H + ld(3, "title") + ld(4, v_str("t"))
                         + ld(5, "r-1")),
        "del-title-id": (idx["DelAttr"], 2, 1, S + H + ld(3, "title") + ld(4, "r-2")),
        "batch-id": (idx["Batch"], 1, 1, S + ld(2, ld(1, ld(3, "title"))) + ld(4, "r-3")),
        # GetAttrs (names = 3).
        "get-attrs": (idx["GetAttrs"], 1, 1, S + H + ld(3, "title") + ld(3, "entry_count")),
        "get-attrs-hidden": (idx["GetAttrs"], 0, 1, S + H + ld(3, "_secret") + ld(3, "nope")),
        "get-attrs-foreign": (idx["GetAttrs"], 2, 3, S + H + ld(3, "title")),
    }
    for name, (rpc, cred, flags, body) in sorted(seeds.items()):
        write("service", name, bytes([rpc, cred, flags]) + body)
    # Credential 7 reads a header (a length byte, then the text) before the flags.
    write("service", "raw-header", bytes([idx["KeepAlive"], 7, 12]) + b"Basic abc123" + bytes([1]) + S)

    # The Stream (choice len(rpcs)): frames, each a length byte and a
    # StreamRequest (1 id, 2 timeout_ms; operations 3 open_session ..
    # 14 batch, 31 cancel). With flag 1 each operation is aimed at a live
    # session and its root.
    def frame(id_, op_field, body, timeout_ms=0):
        data = vint(1, id_) + (vint(2, timeout_ms) if timeout_ms else b"") + ld(op_field, body)
        assert len(data) < 256
        return bytes([len(data)]) + data
    stream = len(rpcs)
    stream_seeds = {
        "stream-open-get": (1, 1, frame(1, 3, ld(1, "fuzz")) + frame(2, 6, S + H + ld(3, "title"))),
        "stream-many": (2, 1, b"".join(frame(i, 6, S + H + ld(3, "title")) for i in range(1, 9))),
        "stream-call-cancel": (1, 1, frame(5, 9, S + H + ld(3, "add_entry") + ld(4, v_str("t"))
                                          + ld(4, v_str("b"))) + frame(5, 31, b"")),
        "stream-duplicate-id": (0, 1, frame(3, 9, S + H + ld(3, "entries")) + frame(3, 11, S)),
        "stream-timeout": (1, 1, frame(4, 12, S + H, timeout_ms=1)),
        "stream-no-operation": (1, 0, bytes([2]) + vint(1, 9)),
        "stream-garbage": (2, 0, bytes([5]) + b"\x08\x01\x32\xff\xff"),
        "stream-foreign": (1, 3, frame(1, 6, S + H + ld(3, "title")) + frame(2, 11, S)),
        "stream-batch": (1, 1, frame(7, 14, S + ld(2, ld(4, ld(3, "add_entry") + ld(4, v_str("t"))
                                                          + ld(4, v_str("b"))))
                                     + ld(2, ld(1, ld(3, "owner")) + ld(8, b"")))),
        "stream-bad-token": (3, 1, frame(1, 5, S)),
        "stream-close": (2, 1, frame(1, 5, S) + frame(2, 4, S) + frame(3, 5, S)),
        "stream-get-attrs": (1, 1, frame(1, 15, S + H + ld(3, "title") + ld(3, "_secret"))),
    }
    for name, (cred, flags, frames) in sorted(stream_seeds.items()):
        write("service", name, bytes([stream, cred, flags]) + frames)

    # BrokerAdmin (choices past the Stream's): ListSessions (1 userid,
    # 2 anonymous, 3 limit), CloseSession (1 ref), GetPolicyInfo. Alice
    # (credential 2) is the demo's admin; bob (1) is refused.
    admin = {n: stream + 1 + i for i, n in enumerate(["ListSessions", "CloseSession", "GetPolicyInfo"])}
    admin_seeds = {
        "admin-list": (admin["ListSessions"], 2, 0, b""),
        "admin-list-bob": (admin["ListSessions"], 2, 0, ld(1, "bob") + vint(3, 1)),
        "admin-list-refused": (admin["ListSessions"], 1, 0, b""),
        "admin-list-both": (admin["ListSessions"], 2, 0, ld(1, "bob") + vint(2, 1)),
        "admin-close-unknown": (admin["CloseSession"], 2, 0, ld(1, "0123456789ab")),
        "admin-close-malformed": (admin["CloseSession"], 2, 0, ld(1, "not a reference")),
        "admin-close-refused": (admin["CloseSession"], 1, 0, ld(1, "0123456789ab")),
        "admin-policy-info": (admin["GetPolicyInfo"], 2, 0, b""),
    }
    for name, (rpc, cred, flags, body) in sorted(admin_seeds.items()):
        write("service", name, bytes([rpc, cred, flags]) + body)

    # Watch (the choice after the admin RPCs): WatchRequest 1 session,
    # 2 handle, 3 names; flag 1 aims it at a live session and its root.
    watch = stream + 1 + len(admin)
    watch_seeds = {
        "watch-title": (1, 1, S + H + ld(3, "title") + ld(3, "entry_count")),
        "watch-hidden": (2, 1, S + H + ld(3, "_secret")),
        "watch-foreign": (1, 3, S + H + ld(3, "title")),
        "watch-no-names": (0, 1, S + H),
        "watch-anonymous": (0, 1, S + H + ld(3, "title")),
    }
    for name, (cred, flags, body) in sorted(watch_seeds.items()):
        write("service", name, bytes([watch, cred, flags]) + body)


def policy_seeds():
    folder = os.path.join(HERE, "corpus", "policy")
    os.makedirs(folder, exist_ok=True)
    for src in ["examples/blog/policy.textproto", "examples/blog/narrowed-blog.textproto"] + [
            os.path.join("examples/policies", f) for f in sorted(os.listdir(os.path.join(ROOT, "examples/policies")))
            if f.endswith(".textproto")]:
        shutil.copyfile(os.path.join(ROOT, src), os.path.join(folder, os.path.basename(src)))
    write("policy", "syntax-error.textproto", b'user { userid: "a" \n group: [\n')
    write("policy", "empty.textproto", b"")


def acl_seeds():
    rnd = random.Random(11)
    for i in range(12):
        write("acl", "random-%02d" % i, bytes(rnd.randrange(256) for _ in range(16 + 40 * i)))


if __name__ == "__main__":
    value_seeds()
    service_seeds()
    policy_seeds()
    acl_seeds()
