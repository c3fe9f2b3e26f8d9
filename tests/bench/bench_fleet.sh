#!/bin/bash
# A fleet into one Redis Cluster: N sensor processes (distinct sensor.id,
# the 25k-flow capture, alert and flow events, the cluster's default key:
# one stream per sensor) write into a 3-primary/3-replica cluster at once.
# Reported: events/s in total and the CPU per event of one sensor, next to
# redis-benchmark's pipelined XADD on the same cluster in the same run; and
# zero loss (every sensor's stream holds exactly its eve.json).
# BENCH_FLEET_SENSORS=N (default 3: what 2 cores carry next to 6 nodes).
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
XIEZHI=${XIEZHI:-$TOP/$BUILD/xiezhi}
. "$TOP/tests/integration/redis_lib.sh"
command -v redis-server >/dev/null || { echo "SKIP: redis-server not installed"; exit 0; }
N=${BENCH_FLEET_SENSORS:-3}
PCAP="$TOP/pcaps/redis_25k_udp_flows.pcap"
tmp=$(mktemp -d /tmp/xiezhi-bench-fleet.XXXXXX)
trap 'cluster_stop; rm -rf "$tmp"' EXIT
echo 'alert udp any any -> any 9999 (msg:"xiezhi redis test"; sid:9000001; rev:1;)' > "$tmp/test.rules"
: > "$tmp/classification.config"
export REDIS_FSYNC=everysec
cluster_start "$tmp" || exit 1
seeds="[$(IFS=,; echo "${CLUSTER_HOSTS[*]}")]"
now() { date +%s.%N; }

t0=$(now)
pids=()
for i in $(seq 1 "$N"); do
    /usr/bin/time -f "%U %S" -o "$tmp/cpu.$i" "$XIEZHI" -r "$PCAP" -S "$tmp/test.rules" -l "$tmp/s$i" \
        --set sensor.id="f$i" --set rules.classification="$tmp/classification.config" \
        --set outputs.redis.enabled=yes --set outputs.redis.topology=cluster \
        --set "outputs.redis.nodes=$seeds" --set "outputs.redis.types=[alert,flow]" \
        --set outputs.redis.close-timeout=120s 2> "$tmp/s$i.log" &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a sensor failed"; done
t1=$(now)

total=0 cpu=0
for i in $(seq 1 "$N"); do
    want=$(grep -vc '"event_type":"stats"' "$tmp/s$i/eve.json")
    slot=$(redis-cli -p "${CLUSTER_PORTS[0]}" CLUSTER KEYSLOT "xiezhi:{f$i}:alerts")
    got=$(redis-cli -c -p "${CLUSTER_PORTS[0]}" XLEN "xiezhi:{f$i}:alerts")
    [ "$got" = "$want" ] || fail "sensor f$i: the cluster holds $got of $want events (slot $slot)"
    total=$((total + want))
    cpu=$(echo "$cpu + $(awk '{print $1 + $2}' "$tmp/cpu.$i")" | bc)
done
secs=$(echo "$t1 - $t0" | bc)
rate=$(echo "$total / $secs" | bc)
us_per_event=$(echo "scale=1; $cpu * 1000000 / $total" | bc)

payload=$(python3 -c 'print("x" * 800)')
# the reference: redis-benchmark on every primary at once, each on a key
# that primary owns, the rates summed
ref=0 bpids=()
for p in "${CLUSTER_PORTS[@]}"; do
    redis-cli -p "$p" ROLE 2>/dev/null | head -1 | grep -qx master || continue
    range=$(redis-cli -p "$p" CLUSTER NODES | awk '$3 ~ /myself/ { print $9 }')
    lo=${range%-*} hi=${range#*-} key=""
    for k in $(seq 1 200); do
        s=$(redis-cli -p "$p" CLUSTER KEYSLOT "{bench$k}:s")
        [ "$s" -ge "$lo" ] && [ "$s" -le "$hi" ] && { key="{bench$k}:s"; break; }
    done
    [ -n "$key" ] || continue
    redis-benchmark -p "$p" -P 100 -n $((total / 3)) --csv XADD "$key" MAXLEN '~' 1000000 '*' eve "$payload" \
        2>/dev/null | tail -1 | cut -d, -f2 | tr -d '"' > "$tmp/ref.$p" &
    bpids+=($!)
done
for p in "${bpids[@]}"; do wait "$p"; done
for f in "$tmp"/ref.*; do ref=$(echo "$ref + $(cat "$f")" | bc); done
printf '%-44s %10s %14s %6s\n' "fleet ($N sensors, $total events, cluster 3+3)" "xiezhi/s" "redis-bench/s" ratio
printf '%-44s %10.0f %14.0f %6s\n' "stream XADD, exactly-once, all sensors" "$rate" "${ref:-0}" \
    "$(awk -v a="$rate" -v b="${ref:-0}" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
echo "per sensor: ${us_per_event} us CPU per event (capture, detection, JSON and delivery); zero loss: every stream = its eve.json"
