#!/bin/bash
# Situation aggregates (issue 15): a run of 25,000 alerts (one signature,
# severity 3, 25,000 distinct sources) with outputs.redis.aggregates on.
# Redis must hold, for the segment and each minute, severity counts that sum
# to the alerts of eve.json, a category count, a source HyperLogLog within
# 2% of the distinct src_ip count, the signature's count, all with a TTL;
# and xiezhi-alerts --summary must print it.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
XIEZHI=${XIEZHI:-$TOP/$BUILD/xiezhi}
ALERTS=${ALERTS:-$TOP/$BUILD/xiezhi-alerts}
. "$TOP/tests/integration/redis_lib.sh"
command -v redis-server >/dev/null || { echo "SKIP: redis-server not installed"; exit 0; }
PCAP="$TOP/pcaps/redis_25k_udp_flows.pcap"
tmp=$(mktemp -d /tmp/xiezhi-redis-agg.XXXXXX)
trap 'redis_stop; rm -rf "$tmp"' EXIT
echo 'alert udp any any -> any 9999 (msg:"xiezhi redis test"; classtype:misc-activity; sid:9000001; rev:1;)' > "$tmp/test.rules"
printf 'config classification: misc-activity,Misc activity,3\n' > "$tmp/classification.config"
redis_start "$tmp/redis" || exit 1
"$XIEZHI" -r "$PCAP" -S "$tmp/test.rules" -l "$tmp/run" --set sensor.id=a1 --set sensor.segment=office \
    --set rules.classification="$tmp/classification.config" \
    --set outputs.redis.enabled=yes --set outputs.redis.port="$REDIS_PORT" \
    --set outputs.redis.aggregates.enabled=yes --set outputs.redis.aggregates.ttl=2h \
    2> "$tmp/run.log" || fail "sensor failed: $(tail -3 "$tmp/run.log")"
alerts=$(grep -c '"event_type":"alert"' "$tmp/run/eve.json")
sources=$(grep '"event_type":"alert"' "$tmp/run/eve.json" | grep -o '"src_ip":"[^"]*"' | sort -u | wc -l)
[ "$alerts" -ge 25000 ] || fail "only $alerts alerts"
minutes=$(rcli ZRANGE 'xiezhi:agg:{office}:minutes' 0 -1)
[ -n "$minutes" ] || fail "no minute index for segment office"
sum=0 hll=0 sig=0 cat=0
for m in $minutes; do
    base="xiezhi:agg:{office}:$m"
    s3=$(rcli HGET "$base:severity" 3); sum=$((sum + ${s3:-0}))
    [ -z "$(rcli HGET "$base:severity" 1)" ] || fail "severity 1 counted for severity-3 alerts"
    c=$(rcli HGET "$base:category" "Misc activity"); cat=$((cat + ${c:-0}))
    h=$(rcli PFCOUNT "$base:sources"); hll=$((hll + h))
    z=$(rcli ZSCORE "$base:signatures" "9000001 xiezhi redis test"); sig=$((sig + ${z%.*}))
    for k in severity category sources signatures; do
        ttl=$(rcli TTL "$base:$k")
        [ "$ttl" -gt 0 ] && [ "$ttl" -le 7200 ] || fail "$base:$k has TTL $ttl (want 1..7200)"
    done
done
[ "$sum" = "$alerts" ] || fail "severity counts sum to $sum, eve.json has $alerts alerts"
[ "$cat" = "$alerts" ] || fail "category counts sum to $cat, want $alerts"
[ "$sig" = "$alerts" ] || fail "signature count $sig, want $alerts"
# one minute here, so the HyperLogLog estimates the distinct sources directly
diff=$(( hll > sources ? hll - sources : sources - hll ))
[ $((diff * 100)) -le $((sources * 2)) ] || fail "HyperLogLog says $hll sources, eve.json has $sources"
"$ALERTS" --port "$REDIS_PORT" --summary --segment office --since 36500d > "$tmp/summary" 2>&1 || fail "--summary failed: $(cat "$tmp/summary")"
grep -q "^office .* $alerts .* 9000001 xiezhi redis test ($alerts)" "$tmp/summary" || fail "--summary: $(cat "$tmp/summary")"
"$ALERTS" --port "$REDIS_PORT" --summary --segment other --since 36500d | grep -q '^office' && fail "--segment did not filter"
echo "aggregates: $alerts alerts by severity/category/signature exact, $hll of $sources sources (HLL), TTL set, --summary: ok"
