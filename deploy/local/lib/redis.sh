# shellcheck shell=bash
# Redis from Debian's package, run by us rather than by Debian's service so its
# pid, log and (absent) data sit in the state dir.

redis_vars() {
    REDIS_HOME=$RT_STATE_DIR/redis
    REDIS_LOG=$LOG_DIR/redis.log
}

redis_packages() { command -v redis-server >/dev/null 2>&1 || echo redis-server; }
redis_logs() { echo "$REDIS_LOG"; }
redis_where() { echo "redis://$BIND_HOST:$REDIS_PORT/0"; }
redis_port() { echo "$REDIS_PORT"; }
redis_pid() { live_pid redis redis-server; }

redis_ready() {
    [[ $(redis-cli -h "$BIND_HOST" -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]
}

# Where the package install could start Debian's own service, it takes 6379.
redis_evict() {
    local pid
    [[ -s /run/redis/redis-server.pid ]] || return 1
    pid=$(</run/redis/redis-server.pid)
    kill -0 "$pid" 2>/dev/null || return 1
    note "redis: stopping Debian's redis-server service (pid $pid), which holds port $REDIS_PORT"
    service redis-server stop >/dev/null 2>&1 || stop_pid redis-debian "$pid" 10
}

redis_start() {
    mkdir -p "$REDIS_HOME"
    # No persistence: tests own their data and a restart should start clean.
    # Not --daemonize: start_detached already detaches and records the pid.
    start_detached redis "$REDIS_LOG" redis-server \
        --bind "$BIND_HOST" --port "$REDIS_PORT" --protected-mode yes \
        --save '' --appendonly no \
        --daemonize no --pidfile "$(pidfile redis)" --logfile "$REDIS_LOG" \
        --dir "$REDIS_HOME"
}

redis_stop() {
    local pid
    pid=$(redis_pid) || return 0
    stop_pid redis "$pid" 10
}
