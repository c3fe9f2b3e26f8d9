#!/bin/bash
# Anomaly detectors: cost and memory bound.
#  1. Throughput of the same capture (the nDPI 4.2 corpus 8 times plus the
#     anomaly regression captures) with every detector on (rules/anomaly.rules)
#     against off (no rules), best of 3 runs each, as a ratio.
#  2. Peak memory under a synthetic scan of 1M destination ports (16 hosts x
#     62500 ports, SYNs never answered), generated here into a temp dir: RSS
#     with the detectors on and off, and on with anomaly.memcap lowered, to
#     show the detectors' share is bounded by the memcap.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
XIEZHI=${XIEZHI:-$TOP/build/xiezhi}
cd "$TOP" || exit 1
tmp=$(mktemp -d /tmp/xiezhi-bench-anomaly.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
: >"$tmp/none.rules"
cfg=tests/regress/anomaly/xiezhi.yaml

# Runs xiezhi; prints "wall_seconds max_rss_kb cpu_seconds" (CPU = user +
# system: steadier than wall time on a shared machine).
run() {
    local out=$1; shift
    rm -rf "$out"; mkdir -p "$out"
    /usr/bin/time -f "%e %M %U %S" -o "$out/time" "$XIEZHI" -q -c "$cfg" -l "$out" "$@" \
        >"$out/stdout" 2>"$out/stderr" || { echo "xiezhi failed:" >&2; tail -5 "$out/stderr" >&2; return 1; }
    if grep -q "not loaded" "$out/stderr"; then
        echo "rules did not load:" >&2; tail -5 "$out/stderr" >&2; return 1
    fi
    awk '{ printf "%s %s %.2f\n", $1, $2, $3 + $4 }' "$out/time"
}

# Best of 3 of field $1 (1 wall, 3 cpu).
best_of_3() {
    local field=$1; shift
    local best=""
    for i in 1 2 3; do
        local t
        t=$(run "$tmp/run" "$@" | cut -d' ' -f"$field") || return 1
        if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN{exit !(a<b)}'; then best=$t; fi
    done
    echo "$best"
}

inputs=()
corpus="$TOP/../shared/corpus/ndpi-4.2/pcap"
# The corpus is small (40k packets): read it 8 times so start-up does not
# dominate (time goes back at each repetition; flows just start again).
if [ -d "$corpus" ]; then
    for i in 1 2 3 4 5 6 7 8; do inputs+=(-r "$corpus"); done
fi
for p in pcaps/anomaly_*.pcap; do inputs+=(-r "$p"); done
pkts=$(run "$tmp/count" -S "$tmp/none.rules" "${inputs[@]}" >/dev/null; \
       python3 -c "import json,sys
n=0
for l in open(sys.argv[1]):
    e=json.loads(l)
    if e.get('event_type')=='stats': n=max(n, e.get('stats',{}).get('capture',{}).get('kernel_packets',0) or e.get('stats',{}).get('decoder',{}).get('pkts',0))
print(n)" "$tmp/count/eve.json" 2>/dev/null)
off=$(best_of_3 1 -S "$tmp/none.rules" "${inputs[@]}") || exit 1
on=$(best_of_3 1 -S rules/anomaly.rules "${inputs[@]}") || exit 1
coff=$(best_of_3 3 -S "$tmp/none.rules" "${inputs[@]}") || exit 1
con=$(best_of_3 3 -S rules/anomaly.rules "${inputs[@]}") || exit 1
echo "throughput (same capture: nDPI corpus x8 + anomaly captures${pkts:+, $pkts packets}), best of 3:"
echo "  detectors off: ${off}s wall, ${coff}s CPU   on (rules/anomaly.rules, every detector): ${on}s wall, ${con}s CPU"
awk -v a="$on" -v b="$off" -v c="$con" -v d="$coff" 'BEGIN{ if (a > 0 && c > 0) printf "  ratio off/on: %.2f wall, %.2f CPU (1.00 = free)\n", b / a, d / c }'

# --- 1M destination ports ---
python3 - "$tmp/scan.pcap" <<'PY'
import struct, sys
# One scanner, 16 hosts x 62500 ports, 10k SYN/s; checksums done once and
# adjusted per packet (one's complement sums are additive).
def csum_add(s, v):
    s += v
    return (s & 0xFFFF) + (s >> 16)
out = open(sys.argv[1], "wb")
out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
eth = bytes.fromhex("020000000002020000000001") + b"\x08\x00"
src = bytes([10, 1, 9, 9])
t0 = 1_700_000_000 * 1_000_000
n = 0
for host in range(16):
    dst = bytes([10, 1, 50, host + 1])
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, 1, 0x4000, 64, 6, 0, src, dst))
    s = 0
    for i in range(0, 20, 2):
        s = csum_add(s, (ip[i] << 8) | ip[i + 1])
    struct.pack_into("!H", ip, 10, ~s & 0xFFFF)
    pseudo = 0
    for w in struct.unpack("!4H", src + dst):
        pseudo = csum_add(pseudo, w)
    pseudo = csum_add(pseudo, 6)
    pseudo = csum_add(pseudo, 20)
    for port in range(1, 62501):
        sport = 20000 + (port % 40000)
        tcp = bytearray(struct.pack("!HHIIBBHHH", sport, port, 1, 0, 0x50, 0x02, 1024, 0, 0))
        s = pseudo
        for i in range(0, 20, 2):
            s = csum_add(s, (tcp[i] << 8) | tcp[i + 1])
        struct.pack_into("!H", tcp, 16, ~s & 0xFFFF)
        frame = eth + ip + tcp
        ts = t0 + n * 100
        out.write(struct.pack("<IIII", ts // 1_000_000, ts % 1_000_000, len(frame), len(frame)))
        out.write(frame)
        n += 1
out.close()
PY
read -r s_off m_off c_off < <(run "$tmp/s_off" -S "$tmp/none.rules" -r "$tmp/scan.pcap") || exit 1
read -r s_on m_on c_on < <(run "$tmp/s_on" -S rules/anomaly.rules -r "$tmp/scan.pcap") || exit 1
read -r s_cap m_cap c_cap < <(run "$tmp/s_cap" -S rules/anomaly.rules --set anomaly.memcap=8mb -r "$tmp/scan.pcap") || exit 1
alerts=$(grep -c '"event_type":"behavior"' "$tmp/s_on/eve.json")
echo "synthetic scan, 1M destination ports (16 hosts x 62500), peak RSS:"
echo "  detectors off: $((m_off / 1024)) MB (${s_off}s wall, ${c_off}s CPU)"
echo "  detectors on:  $((m_on / 1024)) MB (${s_on}s wall, ${c_on}s CPU), anomaly.memcap 64mb (default), $alerts anomaly alert(s)"
echo "  detectors on:  $((m_cap / 1024)) MB (${s_cap}s wall, ${c_cap}s CPU), anomaly.memcap 8mb"
awk -v a="$c_on" -v b="$c_off" 'BEGIN{ if (a > 0) printf "  scan CPU off/on: %.2f (%.0f vs %.0f packets per CPU second: every packet a new flow that ends as a probe)\n", b / a, 1e6 / b, 1e6 / a }'
echo "  detectors' share: $(((m_on - m_off) / 1024)) MB at 64mb memcap, $(((m_cap - m_off) / 1024)) MB at 8mb"
# The bound must hold: the detectors may not add more than their memcap
# (plus allocator slack) whatever the scan size.
if [ $((m_on - m_off)) -gt $((80 * 1024)) ] || [ $((m_cap - m_off)) -gt $((20 * 1024)) ]; then
    echo "FAIL: anomaly memory above its memcap"
    exit 1
fi
