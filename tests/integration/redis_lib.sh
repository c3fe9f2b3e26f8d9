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

# redis_dump stream|list KEY: the payloads, one per line, oldest first
# (stream: the "eve" field of each entry; list: LRANGE 0 -1).  A small RESP
# client in python: much faster than redis-cli --raw on 50,000 entries.
redis_dump() {
    python3 - "$REDIS_PORT" "$1" "$2" <<'PY'
import os, socket, sys
port, kind, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.create_connection(("127.0.0.1", port))
f = s.makefile("rb", buffering=1 << 20)
def cmd(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    s.sendall(out)
    return read()
def read():
    line = f.readline()
    t, rest = line[:1], line[1:-2]
    if t in (b"+", b":"):
        return rest
    if t == b"-":
        sys.exit("redis error: " + rest.decode())
    if t == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)
        return data[:-2]
    if t == b"*":
        n = int(rest)
        return None if n < 0 else [read() for _ in range(n)]
    sys.exit("bad reply")
pw, user = os.environ.get("REDISCLI_AUTH"), os.environ.get("REDIS_USER")
if pw:
    cmd("AUTH", user, pw) if user else cmd("AUTH", pw)
out = sys.stdout.buffer
if kind == "list":
    for item in cmd("LRANGE", key, 0, -1):
        out.write(item + b"\n")
else:
    start = b"-"
    while True:
        entries = cmd("XRANGE", key, start, "+", "COUNT", 10000)
        if not entries:
            break
        for eid, fields in entries:
            out.write(dict(zip(fields[::2], fields[1::2])).get(b"eve", b"") + b"\n")
        start = b"(" + entries[-1][0]
PY
}
