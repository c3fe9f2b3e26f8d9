#!/bin/bash
# Live capture equals offline analysis: crafted captures are replayed with
# tcpreplay at a set rate onto one end of a veth pair (inside a network
# namespace of this test's own); xiezhi captures on the other end with 1 and
# with 2 workers.  The alerts must be those of an offline run on the same
# captures (same signatures on the same flows; anomalies by the same actor),
# every replayed packet must be counted, both workers must get traffic, and
# the stats must report kernel drops -- which a last run provokes on purpose.
. "$(dirname "$0")/live_lib.sh"
live_require
PPS=${LIVE_TEST_PPS:-4000}

# Ethernet captures only (the veth carries Ethernet).  Two are left out
# because their signal is the packets' timing, which a constant-rate replay
# rewrites by design: anomaly_beacon (regular intervals) and
# anomaly_large_upload (a per-hour volume baseline learnt over hours).
pcaps=("$TOP/pcaps/demo.pcap")
for f in "$TOP"/pcaps/anomaly_*.pcap; do
    case $f in *anomaly_beacon.pcap | *anomaly_large_upload.pcap) continue ;; esac
    pcaps+=("$f")
done
make_rules "$T/rules"
read -r -a rules <<<"$(rule_args "$T/rules")"

# Offline reference: each capture on its own.
: >"$T/offline.keys"
total=0
for f in "${pcaps[@]}"; do
    rm -rf "$T/off"
    "$XIEZHI" -r "$f" -l "$T/off" "${rules[@]}" 2>"$T/off.err" || { cat "$T/off.err"; fail "offline run on $f"; }
    alert_keys "$T/off/eve.json" >>"$T/offline.keys"
    total=$((total + $(last_stats "$T/off/eve.json" | jq .stats.decoder.pkts)))
done
sort -u -o "$T/offline.keys" "$T/offline.keys"
nsig=$(grep -c ':.* ' "$T/offline.keys")
nall=$(wc -l <"$T/offline.keys")
[ "$nall" -gt 10 ] || fail "the offline reference has only $nall alerts: rules not loaded?"
echo "[${SECONDS}s] offline: $nall distinct alerts ($nsig signature alerts on flows) over ${#pcaps[@]} captures, $total packets"

veth_up
for workers in 1 2; do
    out="$T/live$workers"
    start_sensor "$out" "${rules[@]}" --set capture.workers=$workers --set stats.interval=1s
    replay "$PPS" "${pcaps[@]}"
    sleep 1
    stop_sensor
    stats=$(last_stats "$out/eve.json")
    [ -n "$stats" ] || fail "$workers worker(s): no stats event"
    read -r pkts drops ifdrops nw wp <<<"$(jq -r '"\(.stats.decoder.pkts) \(.stats.capture.kernel_drops) \(.stats.capture.kernel_ifdrops) \(.xiezhi_stats.workers) \(.xiezhi_stats.worker_packets | map(tostring) | join(","))"' <<<"$stats")"
    echo "[${SECONDS}s] live, $workers worker(s) at $PPS pps: $pkts packets (per worker $wp), kernel drops $drops, interface drops $ifdrops"
    [ "$nw" = "$workers" ] || fail "stats say $nw workers, expected $workers"
    [ "$drops" = 0 ] || fail "$drops kernel drops at $PPS pps: the comparison needs a lossless run"
    [ "$pkts" = "$total" ] || fail "$workers worker(s): decoded $pkts packets, replayed $total"
    if [ "$workers" = 2 ]; then
        for n in ${wp//,/ }; do [ "$n" -gt 0 ] || fail "a worker got no packets: $wp"; done
    fi
    nstats=$(jq -c 'select(.event_type == "stats")' "$out/eve.json" | wc -l)
    [ "$nstats" -ge 2 ] || fail "expected periodic stats events (interval 1s), got $nstats"
    alert_keys "$out/eve.json" >"$T/live$workers.keys"
    if ! diff "$T/offline.keys" "$T/live$workers.keys" >"$T/diff"; then
        sed 's/^/    /' "$T/diff"
        fail "$workers worker(s): live alerts differ from offline (< offline only, > live only)"
    fi
    echo "live, $workers worker(s): the same $nall alerts as offline"
done

# Drops are reported: a tiny kernel buffer, immediate mode off and a replay
# as fast as tcpreplay goes make the kernel drop; the stats must say so, and
# what was dropped plus what was decoded must not exceed what was sent.
out="$T/drops"
start_sensor "$out" "${rules[@]}" --set capture.workers=1 --set capture.buffer-size=65536
ip netns exec "$NS" tcpreplay -q -i xz1 --topspeed --loop 5 "$TOP/pcaps/anomaly_large_upload.pcap" "${pcaps[@]}" >"$T/tcpreplay.log" 2>&1
sent=$(grep -oE 'Actual: [0-9]+ packets' "$T/tcpreplay.log" | grep -oE '[0-9]+' | head -1)
sleep 1
stop_sensor
read -r pkts drops <<<"$(last_stats "$out/eve.json" | jq -r '.stats | "\(.decoder.pkts) \(.capture.kernel_drops)"')"
echo "[${SECONDS}s] flood: $sent sent, $pkts decoded, $drops reported as kernel drops"
[ "$drops" -gt 0 ] || fail "no kernel drops reported under a flood into a 64 KiB buffer"
[ $((pkts + drops)) -le "$sent" ] || fail "decoded $pkts + dropped $drops > sent $sent"
echo "PASS"
