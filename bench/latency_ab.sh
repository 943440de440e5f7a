#!/bin/bash
# The interactive path, before/after in one session: `bench --latency-only` on each side,
# alternately, REPS times (the machine is shared and its load drifts: only figures from
# the same session compare). A side is REF or REF:VAR=VALUE,VAR=VALUE (that ref's code,
# run with those variables), e.g.
#
#   export POSTGRES_DB=... (your own bench variables, docs/interactive-latency.md)
#   SIDES="main HEAD:COMMAND_CONCURRENCY=32 HEAD" REPS=2 EXTRA="--runs 2 --n 300" \
#     bash bench/latency_ab.sh
#
# Each ref runs from an export of its commit (git archive: no tree is touched) with this
# worktree's venv, its packages on PYTHONPATH. Logs and each run's latency.json go to $OUT.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
SIDES=${SIDES:-"main HEAD"}
REPS=${REPS:-2}
OUT=${OUT:-/tmp/latency-ab}
mkdir -p "$OUT"
for side in $SIDES; do
  ref=${side%%:*}
  [ -d "$OUT/src-$ref" ] && continue
  mkdir -p "$OUT/src-$ref"
  git -C "$here" archive "$ref" | tar -x -C "$OUT/src-$ref"
  echo "$ref = $(git -C "$here" rev-parse --short "$ref")"
done
for i in $(seq 1 "$REPS"); do
  for side in $SIDES; do
    ref=${side%%:*}
    vars=""; [ "$side" != "$ref" ] && vars=${side#*:}
    name=$(echo "$side" | tr ':,=/' '____')
    echo "=== $side, run $i, $(date -u +%T), load $(cut -d' ' -f1-3 /proc/loadavg)"
    (cd "$OUT/src-$ref" && env ${vars//,/ } PYTHONPATH="$OUT/src-$ref" timeout 1500 \
      "$here/.venv/bin/python" -m bench --latency-only ${EXTRA:-}) > "$OUT/$name-$i.log" 2>&1 \
      || echo "  (failed: see $OUT/$name-$i.log)"
    cp "$OUT/src-$ref/bench/results/latency-runs.json" "$OUT/$name-$i-runs.json" 2>/dev/null || true
    grep -E "^    [a-z]|gateway:|notify:|worker:|POST→GET|answered 503|CPU ms" "$OUT/$name-$i.log" || true
  done
done
