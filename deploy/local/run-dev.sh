#!/usr/bin/env bash
# Runs the workers (the command agents, their followers -- search indexers, changes feed,
# webhooks, integrations forwarder -- and the live analytics, each in a process of its own
# so each has a core; docs/scaling.md) and the gateway in the foreground for `make dev`. Ctrl-C (or any one
# exiting) stops them all, and the script waits until they have shut down cleanly.
# With DEMO_TENANT set, a first run also fills that agency with demo data.
set -uo pipefail
cli=${RT_CLI:-.venv/bin/refactortrack}
pids=()

stop() {
    trap - INT TERM EXIT
    kill -TERM "${pids[@]}" 2>/dev/null
    wait "${pids[@]}" 2>/dev/null
}
trap stop INT TERM EXIT

"$cli" worker --agents commands &
pids+=($!)
"$cli" worker --agents followers &
pids+=($!)
"$cli" worker --agents analytics &
pids+=($!)
"$cli" gateway &
pids+=($!)

if [[ -n ${DEMO_TENANT:-} ]]; then
    marker="${RT_STATE_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/refactortrack}/demo-${DEMO_TENANT}.done"
    if [[ ! -e $marker ]]; then
        # The worker needs a few seconds to join its group before commands are applied.
        sleep 8
        if "$cli" demo-data --tenant "$DEMO_TENANT" --candidates "${DEMO_CANDIDATES:-2000}"; then
            mkdir -p "$(dirname "$marker")" && touch "$marker"
        fi
    fi
fi
wait -n "${pids[@]}"
