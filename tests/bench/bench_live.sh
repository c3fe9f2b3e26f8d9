#!/bin/bash
# Live capture throughput: the highest tcpreplay rate onto a namespaced veth
# at which the sensor reports zero kernel drops, with 1 and with 2 workers
# (binary search over packets per second, each trial BENCH_TRIAL_SECONDS of
# replay).  References from the same run: the rate tcpreplay reaches on its
# own (--topspeed) and the sensor's offline rate on the same captures.
. "$(dirname "$0")/../integration/live_lib.sh"
live_require
TRIAL=${BENCH_TRIAL_SECONDS:-3}
LO=${BENCH_LO_PPS:-2000}
HI=${BENCH_HI_PPS:-400000}
STEPS=${BENCH_STEPS:-7}

# The mix: ordinary traffic plus the attack captures, with the default rules.
pcaps=("$TOP/pcaps/demo.pcap" "$TOP"/pcaps/anomaly_*.pcap)
mergecap_out="$T/mix.pcap"
if command -v mergecap >/dev/null; then
    mergecap -a -w "$mergecap_out" "${pcaps[@]}" 2>/dev/null
else
    cat_pcaps() { head -c 24 "$1"; for f in "$@"; do tail -c +25 "$f"; done; }
    cat_pcaps "${pcaps[@]}" >"$mergecap_out"
fi
make_rules "$T/rules"
read -r -a rules <<<"$(rule_args "$T/rules")"

# Offline reference: packets per second of one worker reading the mix 20 times.
for _ in $(seq 20); do echo "$mergecap_out"; done >"$T/list"
mapfile -t reads < <(sed 's/^/-r\n/' "$T/list")
start=$(date +%s.%N)
"$XIEZHI" "${reads[@]}" -l "$T/offline" "${rules[@]}" 2>/dev/null
end=$(date +%s.%N)
off_pkts=$(last_stats "$T/offline/eve.json" | jq .stats.decoder.pkts)
offline_pps=$(echo "$off_pkts / ($end - $start)" | bc)

veth_up

# trial WORKERS RATE: replays TRIAL seconds' worth at RATE pps (or "top" for
# --topspeed); prints "drops sent decoded achieved_pps".
trial() {
    local out="$T/trial" speed count
    rm -rf "$out"
    if [ "$2" = top ]; then speed=(--topspeed); count=$((TRIAL * 100000)); else speed=(--pps "$2"); count=$(($2 * TRIAL)); fi
    start_sensor "$out" "${rules[@]}" --set capture.workers="$1" --set capture.buffer-size=32mb \
        --set stats.interval=1h
    local cpu0 cpu1
    cpu0=$(proc_cpu)
    ip netns exec "$NS" tcpreplay -K -i xz1 "${speed[@]}" --loop 0 --limit "$count" \
        "$mergecap_out" >"$T/replay.log" 2>&1
    sleep 0.5
    cpu1=$(proc_cpu)
    stop_sensor
    local sent rate
    sent=$(grep -oE 'Actual: [0-9]+ packets' "$T/replay.log" | grep -oE '[0-9]+')
    rate=$(grep -oE '[0-9.]+ pps' "$T/replay.log" | head -1 | cut -d. -f1)
    last_stats "$out/eve.json" | jq -r --arg sent "$sent" --arg rate "$rate" \
        '.stats | "\(.capture.kernel_drops + .capture.kernel_ifdrops) \($sent) \(.decoder.pkts) \($rate)"'
    echo "$(( (cpu1 - cpu0) * 1000000 / $(getconf CLK_TCK) * 100 / (sent + 1) ))" >"$T/cpu"
}

# CPU time (user + system ticks) the sensor has used so far.
proc_cpu() { awk '{print $14 + $15}' "/proc/$SENSOR_PID/stat"; }

# The highest achieved rate without a drop.  tcpreplay's own ceiling comes
# first: a sensor that keeps up with it is reported as ">= ceiling".
search() {
    local workers=$1 lo=$LO hi best=0 mid drops sent got rate
    read -r drops sent got rate <<<"$(trial "$workers" top)"
    echo "  $workers worker(s) at tcpreplay's top speed ($rate pps): sent $sent, decoded $got, dropped $drops" >&2
    if [ "$drops" = 0 ] && [ "$got" -ge "$sent" ]; then
        echo ">=$rate"
        return
    fi
    hi=$rate
    for _ in $(seq "$STEPS"); do
        mid=$(( (lo + hi) / 2 ))
        read -r drops sent got rate <<<"$(trial "$workers" "$mid")"
        echo "  $workers worker(s) at $mid pps (achieved $rate): sent $sent, decoded $got, dropped $drops" >&2
        if [ "$drops" = 0 ] && [ "$got" -ge "$sent" ]; then best=$rate; lo=$mid; else hi=$mid; fi
    done
    echo "$best"
}

# Sensor CPU per packet at a rate both settings sustain: PACKET_FANOUT
# should add nothing per packet when a second worker joins.
cpu_per_packet() {
    trial "$1" "${BENCH_CPU_PPS:-20000}" >/dev/null
    printf '%d.%02d' $(( $(cat "$T/cpu") / 100 )) $(( $(cat "$T/cpu") % 100 ))
}
cpu1=$(cpu_per_packet 1)
cpu2=$(cpu_per_packet 2)
one=$(search 1)
two=$(search 2)
ratio() { echo "scale=2; ${1#>=} / $2" | bc; }
echo "offline, 1 worker, same mix:   $offline_pps pps"
echo "live, 1 worker, zero drops:    $one pps  (x$(ratio "$one" "$offline_pps") of offline)"
echo "live, 2 workers, zero drops:   $two pps  (x$(ratio "$two" "$offline_pps") of offline, x$(ratio "$two" "${one#>=}") of 1 worker)"
echo "sensor CPU per packet at ${BENCH_CPU_PPS:-20000} pps: 1 worker $cpu1 us, 2 workers $cpu2 us (offline: $(echo "scale=2; 1000000 / $offline_pps" | bc) us)"
case "$one$two" in *'>='*) echo "('>=': the sensor kept up with the fastest tcpreplay on this host; the sender is the limit)" ;; esac
[ "${one#>=}" -gt 0 ] && [ "${two#>=}" -gt 0 ] || fail "no lossless rate found"
