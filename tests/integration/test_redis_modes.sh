#!/bin/bash
# Stream, list and channel modes deliver exactly the events eve.json holds
# for the same run: same event_ids, same JSON, same order.  The sensor runs
# on a capture of 25,000 tiny UDP flows with a one-line rule: 50,000 events
# (alert + flow) go to both eve.json and Redis.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
XIEZHI=${XIEZHI:-$TOP/$BUILD/xiezhi}
. "$TOP/tests/integration/redis_lib.sh"
command -v redis-server >/dev/null || { echo "SKIP: redis-server not installed"; exit 0; }
PCAP="$TOP/pcaps/redis_25k_udp_flows.pcap"
tmp=$(mktemp -d /tmp/xiezhi-redis-modes.XXXXXX)
trap 'redis_stop; [ -n "${subpid:-}" ] && kill $subpid 2>/dev/null; rm -rf "$tmp"' EXIT
redis_start "$tmp/redis" || exit 1
echo 'alert udp any any -> any 9999 (msg:"xiezhi redis test"; sid:9000001; rev:1;)' > "$tmp/test.rules"
: > "$tmp/classification.config"

run_sensor() {   # run_sensor LOGDIR extra --set args...
    local dir=$1; shift
    local sets=()
    for s in "$@"; do sets+=(--set "$s"); done
    "$XIEZHI" -r "$PCAP" -S "$tmp/test.rules" -l "$dir" \
        --set sensor.id=t1 --set rules.classification="$tmp/classification.config" \
        --set outputs.redis.enabled=yes --set outputs.redis.port="$REDIS_PORT" \
        --set "outputs.redis.types=[alert,flow]" --set outputs.redis.close-timeout=60s \
        "${sets[@]}" 2> "$dir.log" || fail "sensor failed: $(tail -5 "$dir.log")"
}

expected() {   # the events of eve.json that Redis must hold
    grep -v '"event_type":"stats"' "$1/eve.json"
}

check_same() {   # check_same WHAT EXPECTED GOT
    local n
    n=$(wc -l < "$2")
    [ "$n" -ge 50000 ] || fail "$1: eve.json has only $n events"
    cmp -s "$2" "$3" || fail "$1: Redis differs from eve.json ($(wc -l < "$3") vs $n lines; first difference: $(cmp "$2" "$3" 2>&1 | head -1))"
    [ "$(grep -o '"event_id":"[^"]*"' "$3" | sort -u | wc -l)" = "$n" ] || fail "$1: event_ids not unique"
    echo "$1: $n events, identical to eve.json"
}

# stream (default): XADD key MAXLEN ~ N * eve <json>; {sensor} in the key
run_sensor "$tmp/stream" "outputs.redis.key=xiezhi:{sensor}:events"
expected "$tmp/stream" > "$tmp/stream.want"
rcli --raw XRANGE xiezhi:t1:events - + | awk 'NR % 3 == 0' > "$tmp/stream.got"
[ "$(rcli --raw XRANGE xiezhi:t1:events - + COUNT 1 | sed -n 2p)" = eve ] || fail "stream field is not 'eve'"
check_same stream "$tmp/stream.want" "$tmp/stream.got"

# list: RPUSH keeps order head to tail; LPUSH ("list") newest first
run_sensor "$tmp/rpush" outputs.redis.mode=rpush outputs.redis.key=q:rpush
expected "$tmp/rpush" > "$tmp/rpush.want"
rcli --raw LRANGE q:rpush 0 -1 > "$tmp/rpush.got"
check_same rpush "$tmp/rpush.want" "$tmp/rpush.got"

run_sensor "$tmp/lpush" outputs.redis.mode=list outputs.redis.key=q:lpush
expected "$tmp/lpush" > "$tmp/lpush.want"
rcli --raw LRANGE q:lpush 0 -1 | tac > "$tmp/lpush.got"
check_same "list (LPUSH)" "$tmp/lpush.want" "$tmp/lpush.got"

# channel: PUBLISH to a subscriber that is present for the whole run
rcli --raw SUBSCRIBE ch:t1 > "$tmp/sub.raw" &
subpid=$!
for _ in $(seq 1 100); do [ "$(rcli PUBSUB NUMSUB ch:t1 | tail -1)" = 1 ] && break; sleep 0.05; done
run_sensor "$tmp/channel" outputs.redis.mode=channel "outputs.redis.key=ch:{sensor}"
expected "$tmp/channel" > "$tmp/channel.want"
want=$(wc -l < "$tmp/channel.want")
for _ in $(seq 1 100); do
    [ $(( ($(wc -l < "$tmp/sub.raw") - 3) / 3 )) -ge "$want" ] && break
    sleep 0.1
done
kill $subpid; wait $subpid 2>/dev/null; subpid=""
tail -n +4 "$tmp/sub.raw" | awk 'NR % 3 == 0' > "$tmp/channel.got"
check_same channel "$tmp/channel.want" "$tmp/channel.got"

# the heartbeat hash exists for the sensor
[ "$(rcli EXISTS xiezhi:sensor:t1:delivered)" = 1 ] || fail "no delivery marker"
echo "stream, list, rpush, channel: ok"
