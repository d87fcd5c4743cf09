"""Generates the orb.v1 Python modules (``*_pb2.py``, ``*_pb2_grpc.py``) with
the system ``protoc`` and ``grpc_python_plugin`` (Debian's protobuf-compiler
and protobuf-compiler-grpc). One script, two users: setup.py runs it when pip
builds the package, and CMake (client/python/CMakeLists.txt) runs it for the
build tree the tests use.

    python3 client/python/gen_stubs.py PROTO_DIR OUT_DIR

writes OUT_DIR/orb/v1/{broker,value,error_details}_pb2{,_grpc}.py and an
empty OUT_DIR/orb/v1/__init__.py. Debian's grpc_tools bundles protoc 3.5.1,
which is too old for orb's protos, so it is not used.
"""
import os
import shutil
import subprocess
import sys

PROTOS = ("orb/v1/broker.proto", "orb/v1/value.proto", "orb/v1/error_details.proto")
PLUGIN_CANDIDATES = ("/usr/bin/grpc_python_plugin", "grpc_python_plugin")


def _plugin() -> str:
    for candidate in PLUGIN_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    raise SystemExit("gen_stubs: grpc_python_plugin not found; install Debian's "
                     "protobuf-compiler-grpc (scripts/install-deps)")


def generate(proto_dir: str, out_dir: str) -> None:
    protoc = shutil.which("protoc")
    if protoc is None:
        raise SystemExit("gen_stubs: protoc not found; install Debian's protobuf-compiler "
                         "(scripts/install-deps)")
    os.makedirs(out_dir, exist_ok=True)
    subprocess.run([protoc, "-I", proto_dir, f"--python_out={out_dir}",
                    f"--grpc_python_out={out_dir}",
                    f"--plugin=protoc-gen-grpc_python={_plugin()}", *PROTOS], check=True)
    init = os.path.join(out_dir, "orb", "v1", "__init__.py")
    with open(init, "w", encoding="utf-8") as f:
        f.write('"""orb.v1: generated from proto/orb/v1 by protoc; do not edit."""\n')


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: gen_stubs.py PROTO_DIR OUT_DIR")
    generate(sys.argv[1], sys.argv[2])
