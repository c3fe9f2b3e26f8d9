#!/bin/bash
# Redis Cluster (issue 15): three primaries and three replicas started here
# on loopback (AOF, appendfsync always; redis-cli --cluster create).
#   failover  the primary owning the alert key's slot is SIGKILLed mid-run,
#             its replica takes over, the old primary returns as a replica;
#             with wait-replicas 1 Redis holds every event of eve.json once,
#             in order;
#   reshard   the key's slot (with the first 100 of its primary) is moved to
#             another primary (redis-cli --cluster reshard) mid-run: MOVED/ASK followed, every
#             event once, in order;
#   -T        cluster with unix-socket, and the old {sensor} placeholder in a
#             cluster key, are refused with file:line.
# ONLY=name runs one of failover, reshard.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
XIEZHI=${XIEZHI:-$TOP/$BUILD/xiezhi}
ALERTS=${ALERTS:-$TOP/$BUILD/xiezhi-alerts}
SMALL="$TOP/pcaps/demo.pcap"
. "$TOP/tests/integration/redis_lib.sh"
command -v redis-server >/dev/null || { echo "SKIP: redis-server not installed"; exit 0; }
PCAP="$TOP/pcaps/redis_25k_udp_flows.pcap"
tmp=$(mktemp -d /tmp/xiezhi-redis-cluster.XXXXXX)
declare -A PIDS=()
cleanup() {
    for k in "${!PIDS[@]}"; do kill -KILL "${PIDS[$k]}" 2>/dev/null; done
    wait 2>/dev/null
    [ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
echo 'alert udp any any -> any 9999 (msg:"xiezhi redis test"; sid:9000001; rev:1;)' > "$tmp/test.rules"
: > "$tmp/classification.config"
want() { [ -z "${ONLY:-}" ] || [ "$ONLY" = "$1" ]; }

# -T
printf 'outputs:\n  redis:\n    enabled: yes\n    topology: cluster\n    nodes: ["127.0.0.1:7000"]\n    unix-socket: /run/redis.sock\n    key: "xiezhi:{sensor}:alerts"\n' > "$tmp/bad.yaml"
out=$("$XIEZHI" -T -c "$tmp/bad.yaml" -S "$tmp/test.rules" 2>&1); rc=$?
[ $rc = 2 ] || fail "-T accepted a cluster with a unix socket (exit $rc)"
echo "$out" | grep -q "bad.yaml:6: outputs.redis.unix-socket: a unix socket reaches one server" || fail "-T: $out"
echo "$out" | grep -q "bad.yaml:7: outputs.redis.key: in a cluster, braces are a hash tag" || fail "-T: $out"

cluster_start "$tmp" || exit 1
PORTS=("${CLUSTER_PORTS[@]}")
hosts=("${CLUSTER_HOSTS[@]}")
for p in "${PORTS[@]}"; do PIDS[$p]=${CLUSTER_PIDS[$p]}; done
cli() { local port=$1; shift; redis-cli -p "$port" "$@"; }
until_true() {
    local end=$((SECONDS + $1)); shift
    while [ $SECONDS -lt $end ]; do "$@" && return 0; sleep 0.1; done
    return 1
}
node() { cluster_node "$tmp" "$1"; PIDS[$1]=${CLUSTER_PIDS[$1]}; }
state_ok() { cluster_state_ok "$@"; }

# owner PORT SLOT: the port of the live primary serving SLOT, as PORT sees it
owner() {
    cli "$1" CLUSTER NODES 2>/dev/null | awk -v slot="$2" '
        $3 ~ /master/ && $3 !~ /fail/ {
            for (i = 9; i <= NF; i++) {
                if ($i ~ /^\[/) continue
                n = split($i, r, "-"); lo = r[1]; hi = (n == 2) ? r[2] : r[1]
                if (slot >= lo + 0 && slot <= hi + 0) { split($2, a, "[:@]"); print a[2]; exit }
            }
        }'
}
node_id() { cli "$1" CLUSTER MYID; }
live_port() {   # any node still up
    local p
    for p in "${PORTS[@]}"; do cli "$p" PING >/dev/null 2>&1 && { echo "$p"; return; }; done
}
seeds="[$(IFS=,; echo "${hosts[*]}")]"

run_sensor() {   # run_sensor DIR KEY ID (exec: $! is the sensor)
    exec "$XIEZHI" -r "$PCAP" -S "$tmp/test.rules" -l "$1" --set sensor.id="$3" \
        --set rules.classification="$tmp/classification.config" \
        --set outputs.redis.enabled=yes --set outputs.redis.topology=cluster \
        --set "outputs.redis.nodes=$seeds" --set outputs.redis.key="$2" \
        --set outputs.redis.wait-replicas=1 \
        --set "outputs.redis.types=[alert,flow]" --set outputs.redis.batch-size=50 \
        --set outputs.redis.close-timeout=120s --set outputs.redis.reconnect-max-delay=500ms \
        --set outputs.redis.command-timeout=2s 2>> "$1.log"
}

check() {   # check NAME DIR KEY SLOT
    local name=$1 dir=$2 key=$3 slot=$4 port
    port=$(owner "$(live_port)" "$slot")
    [ -n "$port" ] || fail "$name: no primary serves slot $slot"
    grep -v '"event_type":"stats"' "$dir/eve.json" > "$dir/want"
    REDIS_PORT=$port redis_dump stream "$key" > "$dir/got"
    local want got dup
    want=$(wc -l < "$dir/want"); got=$(wc -l < "$dir/got")
    [ "$want" -ge 50000 ] || fail "$name: only $want events in eve.json"
    dup=$(grep -o '"event_id":"[^"]*"' "$dir/got" | sort | uniq -d | wc -l)
    [ "$dup" = 0 ] || fail "$name: $dup events delivered twice"
    cmp -s "$dir/want" "$dir/got" || fail "$name: the cluster holds $got events, eve.json $want; first difference: $(cmp "$dir/want" "$dir/got" 2>&1 | head -1)"
    echo "$got"
}
xlen_at_least() { local n; n=$(cli "$1" XLEN "$2" 2>/dev/null); [ "${n:-0}" -ge "$3" ]; }

if want failover; then
    key=alerts
    slot=$(cli "${PORTS[0]}" CLUSTER KEYSLOT "$key")
    primary=$(owner "${PORTS[0]}" "$slot")
    dir="$tmp/failover"
    run_sensor "$dir" "$key" t1 &
    PIDS[sensor]=$!
    until_true 30 xlen_at_least "$primary" "$key" 2000 || fail "failover: delivery did not start: $(tail -3 "$dir.log")"
    kill -KILL "${PIDS[$primary]}"; wait "${PIDS[$primary]}" 2>/dev/null; unset "PIDS[$primary]"
    kill -0 "${PIDS[sensor]}" 2>/dev/null || fail "failover: the sensor finished first; test is void"
    promoted() { local p; p=$(owner "$(live_port)" "$slot"); [ -n "$p" ] && [ "$p" != "$primary" ]; }
    until_true 40 promoted || fail "failover: no replica took over slot $slot"
    node "$primary"                     # back, as a replica of the new primary
    until_true 40 state_ok "${PORTS[@]}" || fail "failover: the cluster did not settle"
    wait "${PIDS[sensor]}" || fail "failover: sensor exit $?: $(tail -5 "$dir.log")"
    unset 'PIDS[sensor]'
    n=$(check failover "$dir" "$key" "$slot") || exit 1
    seedlist=$(IFS=,; echo "${hosts[*]}")
    "$ALERTS" --cluster "$seedlist" --key "$key" --json --group soc --consumer c1 \
        > "$dir/consumed" 2> "$dir/consumer.err" || fail "xiezhi-alerts --cluster failed: $(cat "$dir/consumer.err")"
    cmp -s "$dir/want" "$dir/consumed" || fail "xiezhi-alerts --cluster read $(wc -l < "$dir/consumed") of $n events"
    echo "cluster failover: primary of slot $slot SIGKILLed; $n events once each, in order (wait-replicas 1); $(grep -c redis "$dir.log") log lines"
fi

if want reshard; then
    seed=$(live_port)
    # a key whose slot is among the first that the reshard moves (it moves
    # the source's slots in order), so that it moves while the sensor writes
    from=$(owner "$seed" 0)
    for i in $(seq 1 2000); do
        key="rs:{k$i}:alerts"
        slot=$(cli "$seed" CLUSTER KEYSLOT "$key")
        [ "$slot" -lt 40 ] && [ "$(owner "$seed" "$slot")" = "$from" ] && break
    done
    [ "$slot" -lt 40 ] || fail "reshard: no key found for the first slots"
    to=""
    for p in "${PORTS[@]}"; do
        [ "$p" != "$from" ] && cli "$p" ROLE 2>/dev/null | head -1 | grep -qx master && { to=$p; break; }
    done
    [ -n "$to" ] || fail "reshard: no other primary"
    count=100                           # the source's first 100 slots, the key's among them
    dir="$tmp/reshard"
    run_sensor "$dir" "$key" t2 &
    PIDS[sensor]=$!
    until_true 30 xlen_at_least "$from" "$key" 2000 || fail "reshard: delivery did not start: $(tail -3 "$dir.log")"
    kill -0 "${PIDS[sensor]}" 2>/dev/null || fail "reshard: the sensor finished first; test is void"
    redis-cli --cluster reshard "127.0.0.1:$seed" --cluster-from "$(node_id "$from")" \
        --cluster-to "$(node_id "$to")" --cluster-slots "$count" --cluster-yes > "$tmp/reshard-cli.log" 2>&1 \
        || fail "reshard failed: $(tail -3 "$tmp/reshard-cli.log")"
    [ "$(owner "$seed" "$slot")" = "$to" ] || fail "reshard: slot $slot did not move"
    wait "${PIDS[sensor]}" || fail "reshard: sensor exit $?: $(tail -5 "$dir.log")"
    unset 'PIDS[sensor]'
    n=$(check reshard "$dir" "$key" "$slot") || exit 1
    grep -q "the cluster moved slot $slot" "$dir.log" || fail "reshard: the sensor never followed the move; test is void"
    echo "cluster reshard: slot $slot moved from :$from to :$to mid-run; $n events once each, in order"
fi
# Sensors with the cluster's default key (one stream per sensor, spread over
# the shards); the consumer reads every sensor's stream; the fleet view
# lists every heartbeat.
for id in c1 c2 c3; do
    "$XIEZHI" -r "$SMALL" -S "$tmp/test.rules" -l "$tmp/many-$id" --set sensor.id="$id" \
        --set rules.classification="$tmp/classification.config" \
        --set outputs.redis.enabled=yes --set outputs.redis.topology=cluster \
        --set "outputs.redis.nodes=$seeds" --set "outputs.redis.types=[alert,flow]" \
        2> "$tmp/many-$id.log" || fail "sensor $id failed: $(tail -3 "$tmp/many-$id.log")"
done
slots=$(for id in c1 c2 c3; do cli "$(live_port)" CLUSTER KEYSLOT "xiezhi:{$id}:alerts"; done | sort -u | wc -l)
seedlist=$(IFS=,; echo "${hosts[*]}")
"$ALERTS" --cluster "$seedlist" --sensors > "$tmp/fleet" 2>&1 || fail "--sensors failed: $(cat "$tmp/fleet")"
for id in c1 c2 c3; do grep -q "^$id " "$tmp/fleet" || fail "--sensors does not list $id: $(cat "$tmp/fleet")"; done
"$ALERTS" --cluster "$seedlist" --json --group soc --consumer all > "$tmp/all" 2> "$tmp/all.err" \
    || fail "xiezhi-alerts over every stream failed: $(cat "$tmp/all.err")"
for id in c1 c2 c3; do
    grep -v '"event_type":"stats"' "$tmp/many-$id/eve.json" > "$tmp/many-$id.want"
    grep "\"event_id\":\"$id:" "$tmp/all" > "$tmp/many-$id.got"
    cmp -s "$tmp/many-$id.want" "$tmp/many-$id.got" || fail "sensor $id: the consumer read $(wc -l < "$tmp/many-$id.got") of $(wc -l < "$tmp/many-$id.want") events"
done
echo "cluster: 3 sensors' streams (default key, $slots slots) read by one consumer; fleet view lists them"
echo "Redis Cluster: ok"
