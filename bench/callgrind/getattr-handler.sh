#!/usr/bin/env bash
# How many instructions orb's server handler spends on one GetAttr, counted
# by callgrind: unlike times on a shared 2-core VM, instruction counts
# repeat from run to run.
#
#   bench/callgrind/getattr-handler.sh [BUILD_DIR]    (default: build-rel)
#
# Runs orb-bench's getattr row (orb side only, one client) under callgrind,
# collecting only inside orb::broker::ObjectBrokerService::GetAttr and what
# it calls (request parse, authentication, the core, the answer's
# serialization), and prints the instructions per call and the largest
# parts. Needs valgrind (scripts/install-deps --bench). Takes about a
# minute.
set -euo pipefail
build="${1:-build-rel}"
bench="$build/bin/orb-bench"
[ -x "$bench" ] || { echo "no $bench: build orb-bench first (see docs/performance.md)" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "valgrind is missing: scripts/install-deps --bench" >&2; exit 2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
handler='orb::broker::ObjectBrokerService::GetAttr('
valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" \
  --toggle-collect="${handler}*" \
  "$bench" --only=orb --ops=getattr --clients=1 --seconds=5 --rounds=1 --warmup_seconds=0 \
  --memory_handles_per_session=0 --compare_models=false >"$work/bench.log" 2>"$work/valgrind.log"
total=$(callgrind_annotate "$work/cg.out" | awk '/PROGRAM TOTALS/ && !done {gsub(",", "", $1); print $1; done = 1}')
calls=$(callgrind_annotate --inclusive=yes --tree=caller "$work/cg.out" |
  awk -v h="$handler" '!done && index($0, "< ") && index($0, h) && match($0, /\([0-9,]+x\)/) {
    n = substr($0, RSTART + 1, RLENGTH - 3); gsub(",", "", n); print n; done = 1 }')
[ -n "$total" ] && [ -n "$calls" ] && [ "$calls" -gt 0 ] || {
  echo "could not read the callgrind output" >&2; exit 1; }
echo "GetAttr handler: $((total / calls)) instructions per call ($calls calls, $total in all)"
echo "largest parts, inclusive, per call:"
# The frames around the handler (gRPC's thread, the handler itself) are
# the whole count; below them, the parts.
callgrind_annotate --inclusive=yes "$work/cg.out" | awk -v calls="$calls" -v total="$total" '
  /^ *[0-9,]+ \(/ && !/PROGRAM TOTALS/ {
    ir = $1; gsub(",", "", ir); if (ir + 0 >= total * 0.999) next;
    sub(/^ *[0-9,]+ \( *[0-9.]+%\) +/, ""); sub(/ \[.*$/, ""); sub(/^\?\?\?:/, "");
    if (n++ < 20) printf "  %8d  %s\n", ir / calls, substr($0, 1, 110) }'
