#!/bin/bash
# Gateway CPU per create, before/after in one session: `bench --latency-only --runs 1` on
# another ref's code and on this commit's, alternately, REPS times each (the machine is
# shared and its load drifts: only figures from the same session compare).
#
#   export POSTGRES_DB=... (your own bench variables, docs/interactive-latency.md)
#   BASE=main REPS=2 bash bench/gateway_cpu_ab.sh
#
# Each side runs from an export of its commit (git archive, so neither tree is touched and
# a side can be edited meanwhile) with this worktree's venv, its packages on PYTHONPATH
# (the gateway and the workers the bench starts inherit it). Logs and each run's
# latency.json go to $OUT; the figures compared are the throughput phase's "CPU ms per
# create" and "end-to-end creates/s".
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
BASE=${BASE:-main}
REPS=${REPS:-2}
OUT=${OUT:-/tmp/gateway-cpu-ab}
mkdir -p "$OUT"
for side in base head; do
  ref=$BASE; [ $side = head ] && ref=HEAD
  rm -rf "$OUT/$side" && mkdir -p "$OUT/$side"
  git -C "$here" archive "$ref" | tar -x -C "$OUT/$side"
  # On a loaded machine the gateway can take longer than the harness's 90 s to start:
  # the same longer wait for both sides (the harness only, not the code measured).
  if [ -n "${GATEWAY_START_SECONDS:-}" ]; then
    sed -i "s/gateway_log, 90)/gateway_log, $GATEWAY_START_SECONDS)/" \
      "$OUT/$side/tests/harness/processes.py"
  fi
  echo "$side = $(git -C "$here" rev-parse --short "$ref")"
done
for i in $(seq 1 "$REPS"); do
  for side in base head; do
    echo "=== $side, run $i, $(date -u +%T)"
    (cd "$OUT/$side" && PYTHONPATH="$OUT/$side" timeout 1200 "$here/.venv/bin/python" -m bench \
      --latency-only --runs 1 ${EXTRA:-}) > "$OUT/$side-$i.log" 2>&1 || echo "  (failed: see $OUT/$side-$i.log)"
    cp "$OUT/$side/bench/results/latency.json" "$OUT/$side-$i-latency.json" 2>/dev/null || true
    grep -E "CPU ms per create|end-to-end|accept|POST→GET|answered 503" "$OUT/$side-$i.log" || true
  done
done
