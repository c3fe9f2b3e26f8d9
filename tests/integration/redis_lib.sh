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

# ---- a Redis Cluster of 3 primaries and 3 replicas on loopback ----
# cluster_start DIR: starts six nodes (AOF, appendfsync always) in DIR/nN,
# creates the cluster and waits for it; sets CLUSTER_PORTS (array),
# CLUSTER_PIDS (assoc port -> pid), CLUSTER_HOSTS ("127.0.0.1:p" array).
# cluster_node DIR PORT starts (or restarts) one node; cluster_stop kills all.
declare -a CLUSTER_PORTS=() CLUSTER_HOSTS=()
declare -A CLUSTER_PIDS=()

cluster_free_ports() {   # six ports whose cluster bus ports (+10000) are free too
    python3 - <<'PY'
import socket
out = []
for p in range(21000, 45000, 7):
    ok = True
    for q in (p, p + 10000):
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", q))
        except OSError:
            ok = False
        s.close()
    if ok:
        out.append(str(p))
    if len(out) == 6:
        break
print(" ".join(out))
PY
}

cluster_node() {
    local dir=$1 port=$2
    mkdir -p "$dir/n$port"
    (cd "$dir/n$port" && exec redis-server --port "$port" --bind 127.0.0.1 --dir "$dir/n$port" \
        --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 2000 \
        --save '' --appendonly yes --appendfsync "${REDIS_FSYNC:-always}" \
        --logfile "$dir/n$port/redis.log") &
    CLUSTER_PIDS[$port]=$!
}

cluster_state_ok() {
    local p
    for p in "$@"; do
        redis-cli -p "$p" CLUSTER INFO 2>/dev/null | grep -q 'cluster_state:ok' || return 1
    done
}

cluster_start() {
    local dir=$1 p i
    read -r -a CLUSTER_PORTS <<< "$(cluster_free_ports)"
    [ "${#CLUSTER_PORTS[@]}" = 6 ] || { echo "no free ports for a cluster" >&2; return 1; }
    CLUSTER_HOSTS=()
    for p in "${CLUSTER_PORTS[@]}"; do
        cluster_node "$dir" "$p"
        CLUSTER_HOSTS+=("127.0.0.1:$p")
    done
    for p in "${CLUSTER_PORTS[@]}"; do
        for i in $(seq 1 200); do
            redis-cli -p "$p" PING >/dev/null 2>&1 && break
            sleep 0.05
        done
    done
    redis-cli --cluster create "${CLUSTER_HOSTS[@]}" --cluster-replicas 1 --cluster-yes \
        > "$dir/create.log" 2>&1 || { echo "cluster create failed: $(tail -3 "$dir/create.log")" >&2; return 1; }
    for i in $(seq 1 300); do
        cluster_state_ok "${CLUSTER_PORTS[@]}" && return 0
        sleep 0.1
    done
    echo "the cluster did not come up" >&2
    return 1
}

cluster_stop() {
    local p
    for p in "${!CLUSTER_PIDS[@]}"; do kill -KILL "${CLUSTER_PIDS[$p]}" 2>/dev/null; done
    for p in "${!CLUSTER_PIDS[@]}"; do wait "${CLUSTER_PIDS[$p]}" 2>/dev/null; done
    CLUSTER_PIDS=()
}
