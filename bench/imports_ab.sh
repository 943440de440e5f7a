#!/bin/bash
# Import throughput before/after in one session: `bench --imports-only --import-rows ROWS`
# on another ref's code and on this commit's, alternately (base, head, head, base, …), REPS
# times each: the machine is shared and its load drifts, so only figures from the same
# session compare, and alternating lets a drift weigh on both sides alike.
#
#   export POSTGRES_DB=... (your own bench variables, docs/bulk-imports.md)
#   BASE=main REPS=2 ROWS=20000 bash bench/imports_ab.sh
#
# Each side runs from an export of its commit (git archive, so neither tree is touched)
# with this worktree's venv, its packages first on PYTHONPATH (the gateway and the workers
# the bench starts inherit it). Per run: rows/s into every store, the raw COPY and their
# ratio (imports.json), the CPU per row of each process, and the commands worker's
# garbage-collector pauses of 50 ms or more (its log), summed. Logs go to $OUT.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
BASE=${BASE:-main}
REPS=${REPS:-2}
ROWS=${ROWS:-20000}
OUT=${OUT:-/tmp/imports-ab}
mkdir -p "$OUT"
for side in base head; do
  ref=$BASE; [ $side = head ] && ref=HEAD
  rm -rf "${OUT:?}/$side" && mkdir -p "$OUT/$side"
  git -C "$here" archive "$ref" | tar -x -C "$OUT/$side"
  echo "$side = $(git -C "$here" rev-parse --short "$ref")"
done
for i in $(seq 1 "$REPS"); do
  order="base head"; [ $((i % 2)) -eq 0 ] && order="head base"
  for side in $order; do
    run="$OUT/$side-$i"
    rm -rf "$run" && mkdir -p "$run"
    echo "=== $side, run $i, $(date -u +%T), load $(cut -d' ' -f1-3 /proc/loadavg)"
    (cd "$OUT/$side" && PYTHONPATH="$OUT/$side" BENCH_RESULTS_DIR="$run" timeout 1500 \
      "$here/.venv/bin/python" -m bench --imports-only --import-rows "$ROWS") \
      > "$run.log" 2>&1 || echo "  (failed: see $run.log)"
    "$here/.venv/bin/python" - "$run" <<'EOF' || true
import json, re, sys
from pathlib import Path
run = Path(sys.argv[1])
raw = json.loads((run / "imports.json").read_text())["raw"]
rate, copy = raw["every_store_rate"], raw["copy_baseline_rate"]
cpu = ", ".join(f"{k} {v:.2f}" for k, v in raw["cpu_ms_per_row"].items())
# Only after start-up: the collection before the freeze is logged before "frozen".
log = (run / "logs" / "worker.log").read_text(errors="replace")
log = log.split("objects loaded at start frozen", 1)[-1]
pauses = [float(m) for m in re.findall(r"paused the process (\d+) ms", log)]
print(
    f"  {rate:,.0f} rows/s, raw COPY {copy:,.0f} rows/s, ratio {rate / copy:.4f}; "
    f"{raw['seconds']:.0f} s; CPU ms/row {cpu}; commands worker GC pauses >= 50 ms: "
    f"{len(pauses)}, {sum(pauses) / 1000:.1f} s"
)
EOF
  done
done
