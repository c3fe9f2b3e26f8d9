#!/bin/bash
# A stalled Redis (redis-server stopped with SIGSTOP for the whole run) does
# not slow offline processing beyond the queue bound and the configured
# timeouts, and costs no packet and no event: eve.json is the same as without
# Redis, and after SIGCONT the next start replays the spool, so Redis ends
# up with every event (in order of first appearance; a batch cut by the
# timeout may be applied late by the thawed server, so a repeat is allowed
# and removed by event_id).
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
XIEZHI=${XIEZHI:-$TOP/$BUILD/xiezhi}
. "$TOP/tests/integration/redis_lib.sh"
command -v redis-server >/dev/null || { echo "SKIP: redis-server not installed"; exit 0; }
PCAP="$TOP/pcaps/redis_25k_udp_flows.pcap"
SMALL="$TOP/pcaps/demo.pcap"
tmp=$(mktemp -d /tmp/xiezhi-redis-stall.XXXXXX)
trap 'redis_stop; rm -rf "$tmp"' EXIT
echo 'alert udp any any -> any 9999 (msg:"xiezhi redis test"; sid:9000001; rev:1;)' > "$tmp/test.rules"
: > "$tmp/classification.config"
redis_start "$tmp/redis" || exit 1

sensor() {   # sensor PCAP LOGDIR redis-enabled [--set ...]
    local pcap=$1 dir=$2 on=$3; shift 3
    "$XIEZHI" -r "$pcap" -S "$tmp/test.rules" -l "$dir" --set sensor.id=t1 \
        --set rules.classification="$tmp/classification.config" \
        --set outputs.redis.enabled="$on" --set outputs.redis.port="$REDIS_PORT" \
        --set "outputs.redis.types=[alert,flow]" "$@" 2>> "$dir.log"
}
now() { date +%s.%N; }

t0=$(now)
sensor "$PCAP" "$tmp/base" no || fail "baseline run failed"
base=$(echo "$(now) - $t0" | bc)

kill -STOP "$REDIS_PID"
t0=$(now)
sensor "$PCAP" "$tmp/stall" yes --set outputs.redis.queue-size=10000 \
    --set outputs.redis.command-timeout=500ms --set outputs.redis.connect-timeout=500ms \
    --set outputs.redis.close-timeout=1s || fail "stalled run failed: $(tail -3 "$tmp/stall.log")"
stall=$(echo "$(now) - $t0" | bc)
# allowed: the baseline + command timeout + close timeout + slack for disk
limit=$(echo "$base + 0.5 + 1 + 2" | bc)
echo "baseline ${base}s, with a frozen Redis ${stall}s (limit ${limit}s)"
[ "$(echo "$stall <= $limit" | bc)" = 1 ] || fail "a frozen Redis slowed the run: ${stall}s > ${limit}s"

grep -v '"event_type":"stats"' "$tmp/base/eve.json" > "$tmp/base.events"
grep -v '"event_type":"stats"' "$tmp/stall/eve.json" > "$tmp/stall.events"
cmp -s "$tmp/base.events" "$tmp/stall.events" || fail "eve.json differs when Redis is frozen"
n=$(wc -l < "$tmp/base.events")
grep -q '"event_type":"stats"' "$tmp/stall/eve.json" || fail "no stats event"
pk_base=$(grep '"event_type":"stats"' "$tmp/base/eve.json" | grep -o '"decoder":{"pkts":[0-9]*' | head -1)
pk_stall=$(grep '"event_type":"stats"' "$tmp/stall/eve.json" | grep -o '"decoder":{"pkts":[0-9]*' | head -1)
[ -n "$pk_base" ] && [ "$pk_base" = "$pk_stall" ] || fail "packet counts differ: $pk_base vs $pk_stall"
[ -n "$(ls "$tmp/stall/spool" | grep '\.spool$')" ] || fail "nothing was spooled"

kill -CONT "$REDIS_PID"
# the next start replays the leftover spool before its own events
sensor "$SMALL" "$tmp/stall" yes --set outputs.redis.close-timeout=60s || fail "replay run failed"
rcli --raw XRANGE xiezhi:alerts - + | awk 'NR % 3 == 0' > "$tmp/got"
awk '!seen[$0]++' "$tmp/got" > "$tmp/got.unique"
head -n "$n" "$tmp/got.unique" > "$tmp/got.first"
cmp -s "$tmp/stall.events" "$tmp/got.first" || fail "Redis does not hold the stalled run's $n events in order ($(wc -l < "$tmp/got.unique") unique entries)"
tail -n +"$((n + 1))" "$tmp/got.unique" | grep -q '"event_id":"t1:' || fail "the second run's events are missing"
[ -z "$(ls "$tmp/stall/spool" | grep '\.spool$')" ] || fail "spool not empty after the replay"
echo "frozen Redis: $n events kept, $(( $(wc -l < "$tmp/got") - $(wc -l < "$tmp/got.unique") )) repeats, replayed in order: ok"
