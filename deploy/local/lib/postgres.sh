# shellcheck shell=bash
# PostgreSQL from Debian's package, but in a cluster of our own under the state
# dir: Debian's 15/main cluster lives in /var/lib and would outlive a reset.

postgres_vars() {
    PG_BIN=/usr/lib/postgresql/$PG_MAJOR/bin
    PG_HOME=$RT_STATE_DIR/postgres
    PG_DATA=$PG_HOME/data
    PG_LOG=$LOG_DIR/postgres.log
    PG_SOCK_DIR=$PG_HOME/run
    # A unix socket path is limited to ~107 bytes; a deep state dir would make
    # the postmaster fail at bind time with an unhelpful message.
    if ((${#PG_SOCK_DIR} > 90)); then
        PG_SOCK_DIR=/tmp/refactortrack-pg-$POSTGRES_PORT
    fi
}

postgres_packages() { [[ -x $PG_BIN/postgres ]] || echo "postgresql-$PG_MAJOR"; }
postgres_logs() { echo "$PG_LOG"; }
postgres_where() { echo "postgresql://$POSTGRES_USER@$BIND_HOST:$POSTGRES_PORT/$POSTGRES_DB"; }
postgres_port() { echo "$POSTGRES_PORT"; }

# initdb and the postmaster refuse to run as root.
as_pg() {
    if ((EUID == 0)); then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

postgres_pid() {
    local pid
    [[ -s $PG_DATA/postmaster.pid ]] || return 1
    pid=$(head -n1 "$PG_DATA/postmaster.pid")
    [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
    # A pid file left by a killed postmaster may name a pid reused since.
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$PG_DATA" || return 1
    echo "$pid"
}

postgres_ready() {
    "$PG_BIN/pg_isready" -q -h "$BIND_HOST" -p "$POSTGRES_PORT" -t 2
}

# The postgres user must reach its data dir; under /root (mode 700) it cannot,
# so grant search-only permission on the ancestors that block it.
postgres_grant_traverse() {
    ((EUID == 0)) || return 0
    local dir=$PG_HOME parts=() d
    while [[ $dir != / ]]; do
        parts=("$dir" "${parts[@]}")
        dir=$(dirname "$dir")
    done
    for d in "${parts[@]}"; do
        [[ $d == "$PG_HOME" ]] && break
        if ! runuser -u postgres -- test -x "$d"; then
            note "postgres: granting o+x on $d so the postgres user can reach $PG_HOME"
            chmod o+x "$d"
        fi
    done
}

postgres_init() {
    postgres_grant_traverse
    mkdir -p "$PG_HOME" "$PG_SOCK_DIR"
    touch "$PG_LOG"
    if ((EUID == 0)); then
        chown postgres:postgres "$PG_HOME" "$PG_SOCK_DIR" "$PG_LOG"
    fi
    chmod 700 "$PG_HOME"
    if [[ ! -s $PG_DATA/PG_VERSION ]]; then
        note "postgres: initdb $PG_DATA"
        rm -rf "$PG_DATA"
        as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -E UTF8 --locale=C.UTF-8 \
            --auth-local=peer --auth-host=scram-sha-256 >>"$PG_LOG" 2>&1 ||
            { show_logs 30 "$PG_LOG"; die "postgres: initdb failed; log: $PG_LOG"; }
        echo "include_if_exists = 'refactortrack.conf'" >>"$PG_DATA/postgresql.conf"
        # The superuser only over the socket as the postgres OS user; the app
        # role with its password over loopback TCP, as the app connects.
        cat >"$PG_DATA/pg_hba.conf" <<'EOF'
local   all   postgres                 peer
local   all   all                      scram-sha-256
host    all   all        127.0.0.1/32  scram-sha-256
host    all   all        ::1/128       scram-sha-256
EOF
        chown postgres:postgres "$PG_DATA/pg_hba.conf" 2>/dev/null || true
    fi
    # Rewritten on each start so a port change in .env takes effect.
    cat >"$PG_DATA/refactortrack.conf" <<EOF
listen_addresses = '$BIND_HOST'
port = $POSTGRES_PORT
unix_socket_directories = '$PG_SOCK_DIR'
max_connections = 200
shared_buffers = 128MB
# Test data is disposable: trade durability for speed.
fsync = off
synchronous_commit = off
full_page_writes = off
password_encryption = scram-sha-256
log_line_prefix = '%m [%p] %q%u@%d '
EOF
    chown postgres:postgres "$PG_DATA/refactortrack.conf" 2>/dev/null || true
}

# Debian's package starts its own 15/main cluster on 5432 where services may
# start (no policy-rc.d): that cluster is not ours, so it yields the port.
postgres_evict() {
    command -v pg_lsclusters >/dev/null 2>&1 || return 1
    local ver name port status rest evicted=1
    while read -r ver name port status rest; do
        if [[ $port == "$POSTGRES_PORT" && $status == online* ]]; then
            note "postgres: stopping Debian's cluster $ver/$name, which holds port $port"
            pg_ctlcluster "$ver" "$name" stop -m fast && evicted=0
        fi
    done < <(pg_lsclusters -h 2>/dev/null)
    return "$evicted"
}

postgres_start() {
    postgres_init
    printf '=== stack.sh: starting postgres at %s ===\n' "$(date -Is)" >>"$PG_LOG"
    # 9>&-: the postmaster must not inherit the stack lock (see start_detached).
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -W -s start 9>&-
}

# Idempotent so a changed POSTGRES_PASSWORD in .env is applied on the next up.
postgres_setup() {
    as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCK_DIR" -p "$POSTGRES_PORT" \
        -U postgres -d postgres \
        -v "user=$POSTGRES_USER" -v "pass=$POSTGRES_PASSWORD" -v "db=$POSTGRES_DB" <<'EOF'
SELECT format('CREATE ROLE %I LOGIN', :'user')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'user') \gexec
ALTER ROLE :"user" WITH LOGIN CREATEDB PASSWORD :'pass';
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'user')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
EOF
}

postgres_stop() {
    local pid
    pid=$(postgres_pid) || return 0
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 30 -s stop ||
        stop_pid postgres "$pid" 5
}
