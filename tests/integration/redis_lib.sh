# Shared by tests/integration/test_redis_*.sh and tests/bench/bench_redis.sh:
# a private redis-server on a free loopback port in a temp dir, stopped by
# the caller's trap (redis_stop).  Usage: redis_start DIR [extra args...]
REDIS_PID=""
REDIS_PORT=""

redis_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

redis_start() {
    local dir=$1; shift
    [ -n "$REDIS_PORT" ] || REDIS_PORT=$(redis_free_port)
    mkdir -p "$dir"
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$dir" --save '' \
        --appendonly yes --appendfsync "${REDIS_FSYNC:-everysec}" --logfile "$dir/redis.log" "$@" &
    REDIS_PID=$!
    local i
    for i in $(seq 1 200); do
        if rcli PING 2>/dev/null | grep -q PONG; then return 0; fi
        sleep 0.05
    done
    echo "redis-server did not start on port $REDIS_PORT" >&2
    return 1
}

redis_stop() {
    if [ -n "$REDIS_PID" ]; then
        kill -CONT "$REDIS_PID" 2>/dev/null
        kill -KILL "$REDIS_PID" 2>/dev/null
        wait "$REDIS_PID" 2>/dev/null
        REDIS_PID=""
    fi
}

# redis-cli against the private server; the password (if any) comes from
# REDISCLI_AUTH, never from argv.
rcli() {
    redis-cli -p "$REDIS_PORT" ${REDIS_USER:+--user "$REDIS_USER"} --no-auth-warning "$@"
}

fail() {
    echo "FAIL: $*" >&2
    exit 1
}
