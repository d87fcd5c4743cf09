"""bench.py runs end to end with 3 calls per row and prints every row.
Nothing about time is asserted.

    python3 bench/python/smoke_test.py bench/python/bench.py build/bin/orbd
"""
import subprocess
import sys

bench, orbd = sys.argv[1], sys.argv[2]
run = subprocess.run([sys.executable, bench, orbd, "-n", "3"], capture_output=True, text=True,
                     timeout=100)
if run.returncode != 0:
    sys.exit(f"FAIL: bench.py exited {run.returncode}\n{run.stderr}")
for row in ("p.title ", "p.title = x", 'p.add_entry("a", "b")', 'p.entry("x").title'):
    if not any(line.startswith(row) for line in run.stdout.splitlines()):
        sys.exit(f"FAIL: no row {row!r} in:\n{run.stdout}")
print(run.stdout)
