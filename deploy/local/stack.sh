#!/usr/bin/env bash
# Real servers for tests and local development, on 127.0.0.1, with all runtime
# data under one state dir. See README.md beside this file.
#
#   stack.sh up | down | status [NAME...] | logs NAME
#
# NAME picks servers (postgres redis kafka opensearch ferretdb); none means all.
set -euo pipefail

LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/lib" && pwd -P)
SERVERS=(postgres redis kafka opensearch ferretdb)
ALL_SERVERS=("${SERVERS[@]}")

# shellcheck source=lib/common.sh
source "$LIB_DIR/common.sh"
for _server in "${SERVERS[@]}"; do
    # shellcheck source=/dev/null
    source "$LIB_DIR/$_server.sh"
done
unset _server

# Seconds each server gets to answer after it was started: the JVMs need a
# while on a 2-core machine, especially when both start at once.
declare -A READY_TIMEOUT=([postgres]=60 [redis]=30 [kafka]=120 [opensearch]=120 [ferretdb]=60)

usage() {
    sed -n '2,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

# The servers this run acts on: those named on the command line, else all of them.
# Several engineers can run a second Kafka (own RT_STATE_DIR and ports) beside a
# shared stack this way, without starting a second copy of everything else.
select_servers() {
    local name
    (($#)) || return 0
    for name in "$@"; do
        [[ " ${SERVERS[*]} " == *" $name "* ]] || die "unknown server '$name'; name one of: ${SERVERS[*]}"
    done
    SERVERS=("$@")
}

setup() {
    load_settings
    init_dirs
    load_secrets
    local s
    for s in "${SERVERS[@]}"; do "${s}_vars"; done
}

# Chromium is not a server: the dashboard's test drives it headless.
browser_packages() { command -v chromium >/dev/null 2>&1 || echo chromium; }

# The Debian packages, installed in one apt run when any is missing.
install_packages() {
    local missing=()
    mapfile -t missing < <(
        if selected postgres; then postgres_packages; fi
        if selected redis; then redis_packages; fi
        # Only a full `up` (what `make test` runs) needs the browser.
        if ((${#SERVERS[@]} == ${#ALL_SERVERS[@]})); then browser_packages; fi
    )
    ((${#missing[@]})) || return 0
    ((EUID == 0)) || die "missing Debian packages: ${missing[*]}; install them as root (apt-get install ${missing[*]})"
    note "installing Debian packages: ${missing[*]}"
    local log=$RT_CACHE_DIR/apt.log
    export DEBIAN_FRONTEND=noninteractive
    run_logged "apt-get update" "$log" apt-get update -q
    run_logged "apt-get install ${missing[*]}" "$log.install" \
        apt-get install -y -q --no-install-recommends "${missing[@]}"
}

selected() { [[ " ${SERVERS[*]} " == *" $1 "* ]]; }

install_all() {
    install_packages
    if selected kafka || selected opensearch; then
        command -v java >/dev/null || die "java (OpenJDK 17) is not on PATH"
    fi
    # The Go build is CPU-bound and Maven's downloads network-bound: overlap them.
    local fb_job=""
    if selected ferretdb && ! ferretdb_installed; then
        command -v go >/dev/null || die "go is not on PATH (needed once, to build FerretDB)"
        ferretdb_install &
        fb_job=$!
    fi
    local need_kafka=0 need_opensearch=0
    if selected kafka && ! kafka_installed; then need_kafka=1; fi
    if selected opensearch && ! opensearch_installed; then need_opensearch=1; fi
    if ((need_kafka || need_opensearch)); then
        command -v mvn >/dev/null || die "mvn is not on PATH (needed once, to fetch the Kafka and OpenSearch jars)"
    fi
    if ((need_kafka)); then kafka_install; fi
    if ((need_opensearch)); then opensearch_install; fi
    if [[ -n $fb_job ]] && ! wait "$fb_job"; then
        die "ferretdb: build failed"
    fi
}

# Makes the port free for SERVER, or explains who holds it.
claim_port() {
    local s=$1 port
    port=$("${s}_port")
    port_busy "$port" || return 0
    if declare -F "${s}_evict" >/dev/null && "${s}_evict"; then
        local _
        for _ in $(seq 50); do port_busy "$port" || return 0; sleep 0.2; done
    fi
    note "$s: port $BIND_HOST:$port is already taken by a process this stack did not start:"
    describe_port_owner "$port"
    return 1
}

port_setting() {
    case $1 in
    postgres) echo POSTGRES_PORT ;; redis) echo REDIS_PORT ;; kafka) echo KAFKA_PORT ;;
    opensearch) echo OPENSEARCH_PORT ;; ferretdb) echo MONGO_PORT ;;
    esac
}

report_failure() {
    local s=$1 why=$2 logs
    mapfile -t logs < <("${s}_logs")
    printf 'stack: error: %s did not come up: %s\nstack: log: %s\n' "$s" "$why" "${logs[*]}" >&2
    show_logs 30 "${logs[@]}"
}

# Waits until SERVER answers; fails early if its process died.
wait_ready() {
    local s=$1 timeout=${READY_TIMEOUT[$1]} start=$SECONDS gone=0
    until "${s}_ready"; do
        # A few checks of grace: pg_ctl returns before the postmaster has
        # written its pid file.
        if "${s}_pid" >/dev/null; then
            gone=0
        elif ((++gone >= 6)); then
            report_failure "$s" "its process exited"
            return 1
        fi
        if ((SECONDS - start >= timeout)); then
            report_failure "$s" "no answer on port $("${s}_port") within ${timeout}s"
            return 1
        fi
        sleep 0.5
    done
}

cmd_up() {
    setup
    take_lock
    ensure_secrets
    install_all

    local s failed=() why
    declare -A state=()
    for s in "${SERVERS[@]}"; do
        if "${s}_pid" >/dev/null; then
            # A server started by an older stack.sh (e.g. Kafka without SASL) is
            # restarted with the setup this one writes.
            if declare -F "${s}_stale" >/dev/null && why=$("${s}_stale"); then
                note "$s: running with an outdated setup ($why); restarting it"
                "${s}_stop"
            else
                state[$s]=running
                continue
            fi
        fi
        if ! claim_port "$s"; then
            printf 'stack: error: %s did not come up: port %s is in use (set %s in .env or the environment to move it)\n' \
                "$s" "$("${s}_port")" "$(port_setting "$s")" >&2
            failed+=("$s")
            continue
        fi
        note "$s: starting"
        "${s}_start"
        state[$s]=started
    done

    for s in "${SERVERS[@]}"; do
        [[ -n ${state[$s]:-} ]] || continue
        if ! wait_ready "$s"; then
            failed+=("$s")
            continue
        fi
        if [[ $s == postgres ]] && ! postgres_setup; then
            report_failure postgres "creating role/database $POSTGRES_USER/$POSTGRES_DB failed"
            failed+=(postgres)
            continue
        fi
        printf '%-10s up  %s\n' "$s" "$("${s}_where")"
    done

    if ((${#failed[@]})); then
        die "not up: ${failed[*]} (state dir $RT_STATE_DIR; run '$0 down' to stop the rest)"
    fi
    printf 'state: %s  logs: %s\n' "$RT_STATE_DIR" "$LOG_DIR"
}

cmd_down() {
    setup
    take_lock
    local s pids=()
    # Stop in parallel: Kafka's controlled shutdown and OpenSearch's flush each
    # take a few seconds, and nothing here depends on another server.
    for s in "${SERVERS[@]}"; do
        if "${s}_pid" >/dev/null; then
            "${s}_stop" &
            pids+=($!)
            printf '%-10s stopping\n' "$s"
        else
            printf '%-10s down\n' "$s"
        fi
    done
    local pid rc=0
    for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
    for s in "${SERVERS[@]}"; do
        if "${s}_pid" >/dev/null; then
            note "$s: still running after stop"
            rc=1
        fi
    done
    ((rc == 0)) && echo "stack stopped (data kept in $RT_STATE_DIR)"
    return "$rc"
}

cmd_status() {
    setup
    local s pid all_up=0 state
    for s in "${SERVERS[@]}"; do
        if pid=$("${s}_pid"); then
            if "${s}_ready"; then state=up; else state=starting; all_up=1; fi
            printf '%-10s %-8s pid %-7s %s\n' "$s" "$state" "$pid" "$("${s}_where")"
        else
            all_up=1
            printf '%-10s %-8s %-11s port %s\n' "$s" down "" "$("${s}_port")"
        fi
    done
    return "$all_up"
}

cmd_logs() {
    local name=${1:-}
    setup
    [[ " ${SERVERS[*]} " == *" $name "* ]] || die "logs: name one of: ${SERVERS[*]}"
    local f
    while IFS= read -r f; do
        [[ -e $f ]] || continue
        printf '==> %s <==\n' "$f"
        tail -n "${LINES_SHOWN:-100}" "$f"
    done < <("${name}_logs")
}

action=${1:-}
if (($#)); then shift; fi
case $action in
up) select_servers "$@"; cmd_up ;;
down) select_servers "$@"; cmd_down ;;
status) select_servers "$@"; cmd_status ;;
logs) cmd_logs "$@" ;;
*) usage ;;
esac
