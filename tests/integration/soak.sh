#!/bin/bash
# Soak (not part of `make test`: it runs SOAK_SECONDS, default 600): the
# ASan/UBSan build captures a continuous tcpreplay of the crafted captures
# with new addresses every loop (--unique-ip), so flows keep being created,
# timed out and evicted at a small flow.max-flows.  Passes when the sensor
# exits 0 on SIGTERM, LeakSanitizer and UBSan report nothing, and RSS after
# the warm-up grows by less than SOAK_RSS_SLACK_KB.  The memory bounds are
# per worker: flow.max-flows flows and anomaly.memcap of detector state
# (64mb by default, which fresh addresses every loop fill within minutes);
# the soak sets both small so the plateau shows within its ten minutes.
#   build: make BUILD=build-asan CC=clang CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined" build-asan/xiezhi
#   (the build `make asan` and tests/fuzz/test_asan_regress.sh use)
. "$(dirname "$0")/live_lib.sh"
live_require
XIEZHI=${SOAK_XIEZHI:-$TOP/build-asan/xiezhi}
[ -x "$XIEZHI" ] || fail "$XIEZHI is not built (see the comment at the top)"
SECONDS_TOTAL=${SOAK_SECONDS:-600}
PPS=${SOAK_PPS:-4000}
MAX_FLOWS=${SOAK_MAX_FLOWS:-4000}
WARMUP=${SOAK_WARMUP:-180}
EXTRA=${SOAK_EXTRA:---set anomaly.memcap=8mb}
SLACK=${SOAK_RSS_SLACK_KB:-16384}
export ASAN_OPTIONS="detect_leaks=1:log_path=$T/asan:quarantine_size_mb=16:malloc_context_size=10"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$T/ubsan"

mergecap -a -w "$T/mix.pcap" "$TOP/pcaps/demo.pcap" "$TOP"/pcaps/anomaly_*.pcap || fail "mergecap"
make_rules "$T/rules"
read -r -a rules <<<"$(rule_args "$T/rules")"
veth_up
start_sensor "$T/log" "${rules[@]}" --set capture.workers=2 --set flow.max-flows="$MAX_FLOWS" \
    --set stats.interval=10s --set 'outputs.eve.types=[alert, behavior, stats]' $EXTRA
ip netns exec "$NS" tcpreplay -q -K -i xz1 --pps "$PPS" --loop 0 --unique-ip --duration "$SECONDS_TOTAL" \
    "$T/mix.pcap" >"$T/replay.log" 2>&1 &
replay_pid=$!
rss_at_warmup= rss_max=0
echo "  time   rss_kb  flows_active  flows_evicted  packets  drops"
while kill -0 $replay_pid 2>/dev/null; do
    sleep 10
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$SENSOR_PID/status")
    [ "$rss" -gt "$rss_max" ] && rss_max=$rss
    [ -z "$rss_at_warmup" ] && [ "$SECONDS" -ge "$WARMUP" ] && rss_at_warmup=$rss
    st=$(last_stats "$T/log/eve.json")
    printf '%6ds %8d  %s\n' "$SECONDS" "$rss" "$(jq -r '"\(.stats.flow.active)  \(.xiezhi_stats.flow.evicted)  \(.stats.decoder.pkts)  \(.stats.capture.kernel_drops)"' <<<"$st")"
done
rss_end=$(awk '/VmRSS/ {print $2}' "/proc/$SENSOR_PID/status")
stop_sensor
cat "$T"/asan* "$T"/ubsan* 2>/dev/null | head -40
[ -z "$(ls "$T"/asan* "$T"/ubsan* 2>/dev/null)" ] || fail "sanitizer reports above"
st=$(last_stats "$T/log/eve.json")
echo "replayed: $(grep -oE 'Actual: [0-9]+ packets' "$T/replay.log")"
echo "final: $(jq -c '{pkts: .stats.decoder.pkts, drops: .stats.capture.kernel_drops, flows: .stats.flow.total, evicted: .xiezhi_stats.flow.evicted, memory: .stats.flow.memuse, alerts: .stats.detect.alert, behavior: .xiezhi_stats.detect.behavior}' <<<"$st")"
echo "RSS: ${rss_at_warmup:-?} kB after ${WARMUP}s warm-up, $rss_end kB at the end, $rss_max kB at most"
[ -n "$rss_at_warmup" ] || fail "the run was shorter than the warm-up"
[ $((rss_end - rss_at_warmup)) -le "$SLACK" ] || fail "RSS grew by $((rss_end - rss_at_warmup)) kB after the warm-up"
echo "PASS"
