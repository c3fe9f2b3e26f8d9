#!/bin/bash
# Sentinel failover with replica-acknowledged delivery (issue 15): a primary
# and a replica (AOF, appendfsync always) watched by three sentinels, all
# started here on loopback.  The sensor finds the primary through the
# sentinels and writes with wait-replicas 1.  Mid-run the primary is killed
# with SIGKILL; the sentinels promote the replica; the old primary comes
# back and is made a replica of the new one.  Redis must end up holding
# every event of eve.json exactly once, in order.  Also: -T rejects a
# sentinel topology without a master name, with file:line.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
XIEZHI=${XIEZHI:-$TOP/$BUILD/xiezhi}
ALERTS=${ALERTS:-$TOP/$BUILD/xiezhi-alerts}
. "$TOP/tests/integration/redis_lib.sh"
command -v redis-server >/dev/null || { echo "SKIP: redis-server not installed"; exit 0; }
PCAP="$TOP/pcaps/redis_25k_udp_flows.pcap"
tmp=$(mktemp -d /tmp/xiezhi-redis-sentinel.XXXXXX)
declare -A PIDS=()
cleanup() {
    for k in "${!PIDS[@]}"; do kill -KILL "${PIDS[$k]}" 2>/dev/null; done
    wait 2>/dev/null
    [ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
echo 'alert udp any any -> any 9999 (msg:"xiezhi redis test"; sid:9000001; rev:1;)' > "$tmp/test.rules"
: > "$tmp/classification.config"

# -T: sentinel without a master name
printf 'outputs:\n  redis:\n    enabled: yes\n    topology: sentinel\n    nodes: ["127.0.0.1:26379"]\n' > "$tmp/bad.yaml"
out=$("$XIEZHI" -T -c "$tmp/bad.yaml" -S "$tmp/test.rules" 2>&1); rc=$?
[ $rc = 2 ] || fail "-T accepted a sentinel topology without a master name (exit $rc)"
echo "$out" | grep -q "bad.yaml:4: outputs.redis.topology: sentinel needs outputs.redis.sentinel.master" \
    || fail "-T did not name file:line: $out"

P=$(redis_free_port); R=$(redis_free_port)
S=($(redis_free_port) $(redis_free_port) $(redis_free_port))
node() {   # node NAME PORT [args]: a data node (AOF, fsync always)
    local name=$1 port=$2; shift 2
    mkdir -p "$tmp/$name"
    redis-server --port "$port" --bind 127.0.0.1 --dir "$tmp/$name" --save '' \
        --appendonly yes --appendfsync always --logfile "$tmp/$name/redis.log" "$@" &
    PIDS[$name]=$!
}
cli() { local port=$1; shift; redis-cli -p "$port" "$@"; }
until_true() {   # until_true SECONDS CMD...: retry CMD every 0.1 s
    local end=$((SECONDS + $1)); shift
    while [ $SECONDS -lt $end ]; do "$@" && return 0; sleep 0.1; done
    return 1
}
link_up() { cli "$1" INFO replication 2>/dev/null | grep -q 'master_link_status:up'; }
master_is() { cli "${S[0]}" SENTINEL get-master-addr-by-name m1 2>/dev/null | tail -1 | grep -qx "$1"; }
sentinels_ready() {
    local s
    for s in "${S[@]}"; do
        cli "$s" SENTINEL master m1 2>/dev/null | grep -A1 -x 'num-other-sentinels' | tail -1 | grep -qx 2 || return 1
        cli "$s" SENTINEL master m1 2>/dev/null | grep -A1 -x 'num-slaves' | tail -1 | grep -qx 1 || return 1
    done
}

node p "$P"
until_true 10 cli "$P" PING >/dev/null 2>&1 || fail "primary did not start"
node r "$R" --replicaof 127.0.0.1 "$P"
until_true 20 link_up "$R" || fail "replica did not sync"
for i in 0 1 2; do
    mkdir -p "$tmp/s$i"
    cat > "$tmp/s$i/sentinel.conf" <<EOF
port ${S[$i]}
bind 127.0.0.1
dir $tmp/s$i
logfile $tmp/s$i/sentinel.log
sentinel monitor m1 127.0.0.1 $P 2
sentinel down-after-milliseconds m1 1000
sentinel failover-timeout m1 10000
EOF
    redis-server "$tmp/s$i/sentinel.conf" --sentinel &
    PIDS[s$i]=$!
done
until_true 30 sentinels_ready || fail "sentinels did not find each other and the replica"

dir="$tmp/run"
nodes="[127.0.0.1:${S[0]},127.0.0.1:${S[1]},127.0.0.1:${S[2]}]"
run_sensor() {
    exec "$XIEZHI" -r "$PCAP" -S "$tmp/test.rules" -l "$dir" --set sensor.id=t1 \
        --set rules.classification="$tmp/classification.config" \
        --set outputs.redis.enabled=yes --set outputs.redis.topology=sentinel \
        --set "outputs.redis.nodes=$nodes" --set outputs.redis.sentinel.master=m1 \
        --set outputs.redis.wait-replicas=1 --set outputs.redis.key=alerts \
        --set "outputs.redis.types=[alert,flow]" --set outputs.redis.batch-size=50 \
        --set outputs.redis.close-timeout=120s --set outputs.redis.reconnect-max-delay=500ms \
        --set outputs.redis.command-timeout=2s 2>> "$dir.log"
}
run_sensor &
PIDS[sensor]=$!
xlen() { local n; n=$(cli "$P" XLEN alerts 2>/dev/null); [ "${n:-0}" -ge 2000 ]; }
until_true 20 xlen || fail "delivery to the primary did not start: $(tail -3 "$dir.log")"
kill -KILL "${PIDS[p]}"; wait "${PIDS[p]}" 2>/dev/null; unset 'PIDS[p]'
at=$(cli "$R" XLEN alerts)
kill -0 "${PIDS[sensor]}" 2>/dev/null || fail "the sensor finished before the failover; test is void"
until_true 30 master_is "$R" || fail "the sentinels did not promote the replica"
# the old primary returns; the sentinels make it a replica of the new one
node p "$P"
until_true 30 link_up "$P" || fail "the old primary did not become a replica"
wait "${PIDS[sensor]}" || fail "sensor exit $?: $(tail -5 "$dir.log")"
unset 'PIDS[sensor]'
# the fleet view, before the heartbeat hash expires (15 s after the exit)
sentinels="127.0.0.1:${S[0]},127.0.0.1:${S[1]},127.0.0.1:${S[2]}"
"$ALERTS" --sentinel "$sentinels" --master m1 --sensors > "$dir/fleet" 2>&1 || fail "--sensors failed: $(cat "$dir/fleet")"
grep -q '^SENSOR' "$dir/fleet" && grep -q '^t1 ' "$dir/fleet" || fail "--sensors does not list t1: $(cat "$dir/fleet")"

grep -v '"event_type":"stats"' "$dir/eve.json" > "$dir/want"
REDIS_PORT=$R redis_dump stream alerts > "$dir/got"
want=$(wc -l < "$dir/want"); got=$(wc -l < "$dir/got")
[ "$want" -ge 50000 ] || fail "only $want events in eve.json"
dup=$(grep -o '"event_id":"[^"]*"' "$dir/got" | sort | uniq -d | wc -l)
[ "$dup" = 0 ] || fail "$dup events delivered twice"
cmp -s "$dir/want" "$dir/got" || fail "the new primary holds $got events, eve.json $want; first difference: $(cmp "$dir/want" "$dir/got" 2>&1 | head -1)"
grep -q "sentinels name the primary of 'm1': 127.0.0.1:$R" "$dir.log" || fail "the failover was not logged: $(head -5 "$dir.log")"
# the consumer finds the primary through the same sentinels
"$ALERTS" --sentinel "$sentinels" --master m1 --key alerts --json --group soc --consumer c1 \
    > "$dir/consumed" 2> "$dir/consumer.err" || fail "xiezhi-alerts --sentinel failed: $(cat "$dir/consumer.err")"
cmp -s "$dir/want" "$dir/consumed" || fail "xiezhi-alerts --sentinel read $(wc -l < "$dir/consumed") of $want events"
echo "sentinel: primary SIGKILLed after $at events; the promoted replica holds all $got of $want events, once each, in order (wait-replicas 1): ok"
