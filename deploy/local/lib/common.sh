# shellcheck shell=bash
# Shared helpers for stack.sh: settings, process bookkeeping, waiting, reporting.

note() { printf 'stack: %s\n' "$*" >&2; }
die() { printf 'stack: error: %s\n' "$*" >&2; exit 1; }

# Reads KEY=VALUE lines without executing the file: a .env written for the
# application may hold values (URLs, passwords) that are not valid shell.
# Variables already set in the environment win, as they do for the app's
# settings loader, so `KAFKA_PORT=19092 stack.sh up` still works with a .env.
load_dotenv() {
    local file=$1 line key val
    [[ -f $file ]] || return 0
    while IFS= read -r line || [[ -n $line ]]; do
        line=${line%$'\r'}
        [[ $line =~ ^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*=[[:space:]]*(.*)$ ]] || continue
        key=${BASH_REMATCH[2]}
        val=${BASH_REMATCH[3]}
        if [[ $val =~ ^\"(.*)\"[[:space:]]*$ || $val =~ ^\'(.*)\'[[:space:]]*$ ]]; then
            val=${BASH_REMATCH[1]}
        else
            val=${val%%[[:space:]]#*}
            val=${val%"${val##*[![:space:]]}"}
        fi
        [[ -n ${!key+x} ]] && continue
        printf -v "$key" '%s' "$val"
    done <"$file"
}

# Port of the first host:port in a URL or a bootstrap list; empty if none.
url_port() {
    [[ ${1:-} =~ ^([a-z0-9+.-]+://)?([^@/]*@)?[^/:,]+:([0-9]+) ]] && echo "${BASH_REMATCH[3]}"
    return 0
}

# SC2034: the versions are read by lib/<server>.sh. SC2088: "~/" is matched, not expanded.
# shellcheck disable=SC2034,SC2088
load_settings() {
    load_dotenv "${PWD}/.env"

    RT_STATE_DIR=${RT_STATE_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/refactortrack}
    RT_CACHE_DIR=${RT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/refactortrack}
    # A .env is not expanded by a shell, so honour its "~/..." here.
    [[ $RT_STATE_DIR == "~/"* ]] && RT_STATE_DIR=$HOME/${RT_STATE_DIR#"~/"}
    [[ $RT_CACHE_DIR == "~/"* ]] && RT_CACHE_DIR=$HOME/${RT_CACHE_DIR#"~/"}

    # The app names Kafka, OpenSearch and MongoDB by URL: without an explicit
    # *_PORT, follow those URLs so one .env entry moves both app and server.
    KAFKA_PORT=${KAFKA_PORT:-$(url_port "${KAFKA_BOOTSTRAP_SERVERS:-}")}
    OPENSEARCH_PORT=${OPENSEARCH_PORT:-$(url_port "${OPENSEARCH_URL:-}")}
    MONGO_PORT=${MONGO_PORT:-$(url_port "${MONGODB_URL:-}")}

    POSTGRES_HOST=${POSTGRES_HOST:-127.0.0.1}
    POSTGRES_PORT=${POSTGRES_PORT:-5432}
    POSTGRES_USER=${POSTGRES_USER:-refactortrack}
    POSTGRES_PASSWORD=${POSTGRES_PASSWORD:-refactortrack}
    POSTGRES_DB=${POSTGRES_DB:-refactortrack}
    REDIS_PORT=${REDIS_PORT:-6379}
    KAFKA_PORT=${KAFKA_PORT:-9092}
    KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
    OPENSEARCH_PORT=${OPENSEARCH_PORT:-9200}
    MONGO_PORT=${MONGO_PORT:-27017}
    # The broker's super user and mechanism; the app reads the same settings.
    KAFKA_ADMIN_USERNAME=${KAFKA_ADMIN_USERNAME:-admin}
    KAFKA_SASL_MECHANISM=${KAFKA_SASL_MECHANISM:-SCRAM-SHA-512}

    # Pinned so a cache hit means the same bits every time; bump deliberately.
    PG_MAJOR=15
    KAFKA_VERSION=4.1.1
    KAFKA_LOG4J_VERSION=2.24.3 # the log4j Kafka 4.1 itself is built against
    OPENSEARCH_VERSION=2.19.6  # 3.x needs Java 21; this machine has 17
    OPENSEARCH_LOG4J_VERSION=2.25.4
    FERRETDB_VERSION=v1.24.2
    MVN_DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1

    # Hosts are fixed: the stack is for tests on this machine only.
    BIND_HOST=127.0.0.1
}

# The local stack's secrets: random, made once by `up`, kept in the state dir as
# KEY=VALUE lines (mode 600). The app's settings read the same file after .env, so
# every process of `make dev`/`make test` finds its own credentials there. Nothing
# here has a known default: a leaked .env.example or README cannot open the broker.
STACK_SECRETS=(
    KAFKA_ADMIN_PASSWORD      # the broker's super user: migrations, ACLs, test resets
    KAFKA_GATEWAY_PASSWORD    # the gateway's producer
    KAFKA_WORKER_PASSWORD     # the Faust workers
    KAFKA_JOBS_PASSWORD       # imports and demo data
    KAFKA_CONTROLLER_PASSWORD # the broker's own login to its KRaft controller listener
    JWT_SECRET                # signs the API's access tokens
    DATA_MASTER_KEY           # wraps every agency's keys for personal data
)

secrets_file() { printf '%s/secrets.env\n' "$RT_STATE_DIR"; }

random_secret() { python3 -c 'import secrets; print(secrets.token_hex(24))'; }

# Adds whichever of STACK_SECRETS the file lacks (all of them the first time), so a
# secret added in a later version appears without touching the existing ones.
ensure_secrets() {
    local file key missing=()
    file=$(secrets_file)
    (umask 077 && touch "$file")
    chmod 600 "$file"
    for key in "${STACK_SECRETS[@]}"; do
        grep -q "^$key=" "$file" || missing+=("$key")
    done
    if ((${#missing[@]})); then
        {
            [[ -s $file ]] || printf '# Made by deploy/local/stack.sh for the local stack only; see deploy/local/README.md.\n'
            for key in "${missing[@]}"; do printf '%s=%s\n' "$key" "$(random_secret)"; done
        } >>"$file"
        note "secrets: made ${missing[*]} in $file"
    fi
    load_secrets
}

# Values already set (the environment, then .env) win, as in the app's settings.
load_secrets() { load_dotenv "$(secrets_file)"; }

init_dirs() {
    mkdir -p "$RT_STATE_DIR" "$RT_CACHE_DIR"
    RT_STATE_DIR=$(cd "$RT_STATE_DIR" && pwd -P)
    RT_CACHE_DIR=$(cd "$RT_CACHE_DIR" && pwd -P)
    RUN_DIR=$RT_STATE_DIR/run
    LOG_DIR=$RT_STATE_DIR/log
    mkdir -p "$RUN_DIR" "$LOG_DIR"
}

# One stack.sh at a time per state dir: `make test` and `make dev` racing on a
# cold machine would otherwise both initdb/format the same directories.
take_lock() {
    exec 9>"$RUN_DIR/stack.flock"
    if ! flock -n 9; then
        note "another stack.sh is running on $RT_STATE_DIR; waiting for it"
        flock -w 900 9 || die "gave up waiting for the lock $RUN_DIR/stack.flock"
    fi
}

pidfile() { printf '%s/%s.pid\n' "$RUN_DIR" "$1"; }

# Prints the pid recorded for NAME if that process still runs and its command
# line contains MARKER (guards against a recycled pid after a reboot).
live_pid() {
    local name=$1 marker=$2 file pid
    file=$(pidfile "$name")
    [[ -s $file ]] || return 1
    pid=$(<"$file")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$marker" || return 1
    printf '%s\n' "$pid"
}

# setsid detaches from our session so Ctrl-C in the caller's terminal (or the
# end of a CI step's shell) does not take the server down with it. fd 9 is the
# stack lock: a server inheriting it would hold the lock for its lifetime.
start_detached() {
    local name=$1 out=$2
    shift 2
    # Logs are appended across runs; the marker shows where this run begins.
    printf '=== stack.sh: starting %s at %s ===\n' "$name" "$(date -Is)" >>"$out"
    setsid nohup "$@" >>"$out" 2>&1 </dev/null 9>&- &
    printf '%s\n' "$!" >"$(pidfile "$name")"
}

# TERM, then KILL after TIMEOUT seconds.
stop_pid() {
    local name=$1 pid=$2 timeout=$3 waited=0
    kill -TERM "$pid" 2>/dev/null || return 0
    while kill -0 "$pid" 2>/dev/null; do
        if ((waited >= timeout * 10)); then
            note "$name (pid $pid) ignored SIGTERM for ${timeout}s; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            sleep 0.2
            break
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
}

probe() { python3 "$LIB_DIR/probe.py" "$@"; }

port_busy() { probe tcp "$BIND_HOST" "$1" 1 >/dev/null 2>&1; }

describe_port_owner() {
    local port=$1
    if command -v ss >/dev/null 2>&1; then
        ss -Hltnp "sport = :$port" 2>/dev/null | sed 's/^/    /' >&2 || true
    fi
}

# Prints the tail of each log file of a server that failed.
show_logs() {
    local lines=$1 f
    shift
    for f in "$@"; do
        [[ -s $f ]] || continue
        printf -- '--- last %s lines of %s ---\n' "$lines" "$f" >&2
        tail -n "$lines" "$f" >&2
    done
}

# Runs a long install step with its output in LOG, showing it only on failure.
run_logged() {
    local what=$1 log=$2
    shift 2
    if ! "$@" >"$log" 2>&1; then
        printf 'stack: error: %s failed; log: %s\n' "$what" "$log" >&2
        show_logs 40 "$log"
        return 1
    fi
}
