#!/bin/sh
# Generates the orb.v1 Python modules into DIR (default: gen) from the
# repository's root, with Debian's protoc and grpc_python_plugin.
set -eu
out="${1:-gen}"
mkdir -p "$out"
protoc -I proto --python_out="$out" --grpc_python_out="$out" \
  --plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin \
  proto/orb/v1/broker.proto proto/orb/v1/value.proto proto/orb/v1/error_details.proto
