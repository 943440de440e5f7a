#!/usr/bin/env bash
# Runs a worker and the gateway in the foreground for `make dev`. Ctrl-C (or either one
# exiting) stops both, and the script waits until they have shut down cleanly.
set -uo pipefail
cli=${RT_CLI:-.venv/bin/refactortrack}
pids=()

stop() {
    trap - INT TERM EXIT
    kill -TERM "${pids[@]}" 2>/dev/null
    wait "${pids[@]}" 2>/dev/null
}
trap stop INT TERM EXIT

"$cli" worker &
pids+=($!)
"$cli" gateway &
pids+=($!)
wait -n "${pids[@]}"
