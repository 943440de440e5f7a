#!/usr/bin/env bash
# The tools that check the Helm chart without a cluster (tests/deploy/test_chart.py):
# helm and kubeconform built from the Go module proxy, the Kubernetes JSON schemas from
# the `kubernetes-validate` wheel on PyPI, and KEDA's CRD schemas from its Go module.
# Each lands in the tool cache under a versioned name, like deploy/local's servers, so a
# second run finds them and returns in well under a second.
#
#   bash deploy/helm/tools.sh          # install what is missing, then print where each is:
#   HELM=...  KUBECONFORM=...  K8S_SCHEMAS=...  KEDA_SCHEMAS=...
#
# Needs Go (as deploy/local does for FerretDB), uv (`make install` provides it) and a
# Python with PyYAML (the project's venv has it; PYTHON names another).
set -euo pipefail

# Pinned so a cache hit means the same bits every time; bump deliberately.
HELM_VERSION=v3.22.0
KUBECONFORM_VERSION=v0.8.0
KEDA_VERSION=v2.21.0
# The wheel ships JSON schemas for Kubernetes 1.25 to 1.37; its hash pins the bits.
K8S_SCHEMAS_PACKAGE=kubernetes-validate==1.37.0
K8S_SCHEMAS_SHA256=85136d018a27b50ec7fc049d902bfa5193f5976807e6c0f408e3ab6fe078cad9
# The Kubernetes versions the chart is checked against: the oldest it supports and the newest.
K8S_VERSIONS=(1.29.0 1.37.0)
# Bump when k8s_schemas.py changes what it writes, so cached schemas are remade.
SCHEMAS_LEVEL=rt1

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
RT_CACHE_DIR=${RT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/refactortrack}
[[ $RT_CACHE_DIR == "~/"* ]] && RT_CACHE_DIR=$HOME/${RT_CACHE_DIR#"~/"}
TOOLS=$RT_CACHE_DIR/tools
UV=${UV:-$(command -v uv 2>/dev/null || echo "$TOOLS/bin/uv")}
PYTHON=${PYTHON:-python3}
GO=${GO:-$(command -v go 2>/dev/null || echo /usr/local/go/bin/go)}

HELM=$TOOLS/helm-$HELM_VERSION/helm
KUBECONFORM=$TOOLS/kubeconform-$KUBECONFORM_VERSION/kubeconform
SCHEMAS=$TOOLS/k8s-schemas-${K8S_SCHEMAS_PACKAGE#*==}-keda-$KEDA_VERSION-$SCHEMAS_LEVEL

note() { printf 'helm tools: %s\n' "$*" >&2; }
die() { printf 'helm tools: error: %s\n' "$*" >&2; exit 1; }

# Runs a step with its output in a log, shown only if it fails.
logged() {
    local what=$1 log=$2
    shift 2
    if ! "$@" >"$log" 2>&1; then
        printf 'helm tools: error: %s failed; log: %s\n' "$what" "$log" >&2
        tail -n 40 "$log" >&2
        return 1
    fi
}

# `go install module/cmd@version` into a directory of its own, then the binary moves
# into place last: an interrupted build leaves nothing that looks installed.
go_install() {
    local package=$1 version=$2 binary=$3 bin
    [[ -x $binary ]] && return 0
    [[ -x $GO ]] || die "Go is needed to build $(basename "$binary") ($package@$version); install it (see README.md)"
    note "building $(basename "$binary") $version from the Go module proxy (first run only)"
    bin=$(mktemp -d "$TOOLS/gobin.XXXXXX")
    logged "go install $package@$version" "$TOOLS/$(basename "$binary")-build.log" \
        env GOBIN="$bin" CGO_ENABLED=0 GOFLAGS=-buildvcs=false "$GO" install -trimpath "$package@$version"
    mkdir -p "$(dirname "$binary")"
    mv "$bin/$(basename "$binary")" "$binary"
    rm -rf "$bin"
}

schemas_install() {
    local work wheel_dir keda_dir
    [[ -f $SCHEMAS/.complete ]] && return 0
    [[ -x $UV ]] || die "uv is needed to fetch $K8S_SCHEMAS_PACKAGE: run \`make install\` first"
    note "writing the Kubernetes and KEDA schemas (first run only)"
    work=$(mktemp -d "$TOOLS/schemas.XXXXXX")
    printf '%s --hash=sha256:%s\n' "$K8S_SCHEMAS_PACKAGE" "$K8S_SCHEMAS_SHA256" >"$work/requirements.txt"
    wheel_dir=$work/wheel
    logged "uv pip install $K8S_SCHEMAS_PACKAGE" "$TOOLS/k8s-schemas-fetch.log" \
        "$UV" pip install --quiet --no-deps --require-hashes --python "$PYTHON" \
        --target "$wheel_dir" -r "$work/requirements.txt"
    # The module's CRDs (config/crd/bases) are what a KEDA install applies.
    keda_dir=$(cd "$work" && GO111MODULE=on GOFLAGS=-mod=mod "$GO" mod download -json \
        "github.com/kedacore/keda/v2@$KEDA_VERSION" |
        "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["Dir"])') ||
        die "could not download github.com/kedacore/keda/v2@$KEDA_VERSION from the Go module proxy"
    logged "k8s_schemas.py" "$TOOLS/k8s-schemas-write.log" \
        "$PYTHON" "$HERE/k8s_schemas.py" --out "$work/out" \
        --kubernetes "$wheel_dir/kubernetes_validate/kubernetes-json-schema" \
        --versions "${K8S_VERSIONS[@]}" --crds "$keda_dir/config/crd/bases" --crd-dir keda
    rm -rf "$SCHEMAS"
    mv "$work/out" "$SCHEMAS"
    touch "$SCHEMAS/.complete"
    rm -rf "$work"
}

main() {
    mkdir -p "$TOOLS"
    # One install at a time: two test runs on a cold machine would build into each other.
    exec 9>"$TOOLS/helm-tools.flock"
    flock -w 1800 9 || die "gave up waiting for $TOOLS/helm-tools.flock"
    go_install helm.sh/helm/v3/cmd/helm "$HELM_VERSION" "$HELM"
    go_install github.com/yannh/kubeconform/cmd/kubeconform "$KUBECONFORM_VERSION" "$KUBECONFORM"
    schemas_install
    printf 'HELM=%s\nKUBECONFORM=%s\nK8S_SCHEMAS=%s\nKEDA_SCHEMAS=%s\nK8S_VERSIONS=%s\n' \
        "$HELM" "$KUBECONFORM" "$SCHEMAS" "$SCHEMAS/keda" "${K8S_VERSIONS[*]}"
}

main "$@"
