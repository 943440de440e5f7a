#!/usr/bin/env bash
# promtool, to check deploy/monitoring/prometheus-rules.yaml (tests/deploy/test_monitoring.py),
# built from the Go module proxy into the tool cache under a versioned name, as
# deploy/helm/tools.sh builds helm: the first run takes minutes, later ones under a second.
#
#   bash deploy/monitoring/tools.sh     # prints PROMTOOL=<path>
set -euo pipefail

# Prometheus 3.x's Go module is versioned v0.3xx.y; pinned so a cache hit is the same bits.
PROMETHEUS_MODULE_VERSION=v0.316.0
# Checking rules needs no service discovery: without it (Prometheus' own build tag) the
# cloud SDKs are not compiled, which is most of the build's time.
BUILD_TAGS=remove_all_sd

RT_CACHE_DIR=${RT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/refactortrack}
[[ $RT_CACHE_DIR == "~/"* ]] && RT_CACHE_DIR=$HOME/${RT_CACHE_DIR#"~/"}
TOOLS=$RT_CACHE_DIR/tools
GO=${GO:-$(command -v go 2>/dev/null || echo /usr/local/go/bin/go)}
PROMTOOL=$TOOLS/promtool-$PROMETHEUS_MODULE_VERSION-$BUILD_TAGS/promtool

bin=""

die() { printf 'monitoring tools: error: %s\n' "$*" >&2; exit 1; }

main() {
    local log
    mkdir -p "$TOOLS"
    exec 9>"$TOOLS/promtool.flock"
    flock -w 1800 9 || die "gave up waiting for $TOOLS/promtool.flock"
    if [[ ! -x $PROMTOOL ]]; then
        [[ -x $GO ]] || die "Go is needed to build promtool; install it (see README.md)"
        printf 'monitoring tools: building promtool %s (first run only)\n' "$PROMETHEUS_MODULE_VERSION" >&2
        bin=$(mktemp -d "$TOOLS/gobin.XXXXXX")
        trap 'rm -rf "${bin:-}"' EXIT
        log=$TOOLS/promtool-build.log
        # Built into a directory of its own and moved into place last: an interrupted
        # build leaves nothing that looks installed.
        if ! env GOBIN="$bin" CGO_ENABLED=0 GOFLAGS=-buildvcs=false "$GO" install -trimpath -tags "$BUILD_TAGS" \
            "github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_MODULE_VERSION" >"$log" 2>&1; then
            tail -n 40 "$log" >&2
            die "go install promtool failed; log: $log"
        fi
        mkdir -p "$(dirname "$PROMTOOL")"
        mv "$bin/promtool" "$PROMTOOL"
    fi
    printf 'PROMTOOL=%s\n' "$PROMTOOL"
}

main "$@"
