#!/bin/bash
# Data-plane throughput: one large capture (the Ethernet captures of the nDPI
# corpus merged with mergecap, repeated with shifted timestamps until it
# holds >= 1M packets), read by a bare libpcap loop (the ceiling), by
# ndpiReader (the reference) and by xiezhi with no rules, in this run.
# Prints packets/s, peak RSS and the ratios.  Target: xiezhi >= ndpiReader.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
XIEZHI=${XIEZHI:-$TOP/$BUILD/xiezhi}
LOOP=$TOP/$BUILD/pcap-read-loop
corpus="$TOP/../shared/corpus/ndpi-4.2/pcap"
want=${BENCH_PACKETS:-1000000}

for tool in mergecap editcap capinfos ndpiReader /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "missing $tool"; exit 1; }
done
[ -x "$XIEZHI" ] && [ -x "$LOOP" ] || { echo "build first (make)"; exit 1; }

tmp=$(mktemp -d /tmp/xiezhi-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# one link type per pcap file: take the Ethernet captures
files=()
while IFS=$'\t' read -r name encap; do
    [ "$encap" = ether ] && files+=("$corpus/$name")
done < <(cd "$corpus" && capinfos -T -E -r -- * 2>/dev/null)
[ ${#files[@]} -gt 0 ] || { echo "no Ethernet captures in $corpus"; exit 1; }
mergecap -F pcap -w "$tmp/base.pcap" "${files[@]}" || exit 1
base=$(capinfos -T -c -r "$tmp/base.pcap" | cut -f2)
copies=$(( (want + base - 1) / base ))
# Each copy gets its own 802.1Q VLAN id (and is 10 days later): both readers
# key flows by VLAN, so every copy's flows are new flows to classify again.
# (With timestamps shifted alone, ndpiReader -- which never expires flows
# offline -- would see the later copies as the same flows, already detected.)
python3 - "$tmp/base.pcap" "$tmp/big.pcap" "$copies" <<'PY' || exit 1
import struct, sys
src, dst, copies = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(src, "rb").read()
magic = struct.unpack("<I", data[:4])[0]
if magic not in (0xa1b2c3d4, 0xa1b23c4d):
    sys.exit("unexpected pcap byte order")
frames, off = [], 24
while off + 16 <= len(data):
    sec, usec, incl, orig = struct.unpack_from("<IIII", data, off)
    frames.append((sec, usec, orig, data[off + 16:off + 16 + incl]))
    off += 16 + incl
with open(dst, "wb") as out:
    out.write(data[:24])
    for i in range(copies):
        tag = b"\x81\x00" + struct.pack(">H", i + 1)
        shift = i * 864000
        for sec, usec, orig, frame in frames:
            f = frame[:12] + tag + frame[12:]
            out.write(struct.pack("<IIII", sec + shift, usec, len(f), orig + 4))
            out.write(f)
PY
packets=$(capinfos -T -c -r "$tmp/big.pcap" | cut -f2)
size=$(du -m "$tmp/big.pcap" | cut -f1)
echo "capture: $packets packets, ${size} MB (${#files[@]} Ethernet captures x $copies)"

# warm the page cache so every reader starts equal
cat "$tmp/big.pcap" >/dev/null

# The machine may be shared (other builds and tests run beside the bench),
# so each program runs RUNS times and the best run counts; packets/s are
# given on CPU time (user + system), which other load disturbs least, and
# on wall time.
runs=${BENCH_RUNS:-3}
# measure NAME CMD...: sets cpu, wall and rss_kb (best of $runs)
measure() {
    local name=$1; shift
    cpu="" wall="" rss_kb=""
    for ((r = 0; r < runs; r++)); do
        rm -rf "$tmp/out" && mkdir -p "$tmp/out"
        /usr/bin/time -f '%U %S %e %M' -o "$tmp/$name.time" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
        local rc=$?
        if [ $rc -ne 0 ]; then
            echo "$name failed (exit $rc):"; tail -5 "$tmp/$name.err"; exit 1
        fi
        read -r u s e m < <(tail -1 "$tmp/$name.time")
        local c
        c=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.3f", u + s }')
        if [ -z "$cpu" ] || awk -v a="$c" -v b="$cpu" 'BEGIN { exit !(a < b) }'; then cpu=$c; fi
        if [ -z "$wall" ] || awk -v a="$e" -v b="$wall" 'BEGIN { exit !(a < b) }'; then wall=$e; fi
        if [ -z "$rss_kb" ] || [ "$m" -gt "$rss_kb" ]; then rss_kb=$m; fi
    done
}

: >"$tmp/empty.rules"
measure loop "$LOOP" "$tmp/big.pcap"; loop_c=$cpu loop_w=$wall loop_rss=$rss_kb
measure ndpi ndpiReader -q -i "$tmp/big.pcap"; ndpi_c=$cpu ndpi_w=$wall ndpi_rss=$rss_kb
measure xiezhi "$XIEZHI" -r "$tmp/big.pcap" -S "$tmp/empty.rules" -l "$tmp/out"
xz_c=$cpu xz_w=$wall xz_rss=$rss_kb

flows=$(grep -c '"event_type":"flow"' "$tmp/out/eve.json" 2>/dev/null)
[ "${flows:-0}" -gt 0 ] || { echo "xiezhi wrote no flow events: the figures would mean nothing"; exit 1; }
awk -v p="$packets" -v lc="$loop_c" -v lw="$loop_w" -v lr="$loop_rss" \
    -v nc="$ndpi_c" -v nw="$ndpi_w" -v nr="$ndpi_rss" \
    -v xc="$xz_c" -v xw="$xz_w" -v xr="$xz_rss" -v flows="$flows" 'BEGIN {
    f = "%-20s %9.0f pkt/s CPU (%6.2f s)  %9.0f pkt/s wall (%6.2f s)  peak RSS %6.1f MB\n"
    printf f, "libpcap read loop", p / lc, lc, p / lw, lw, lr / 1024
    printf f, "ndpiReader", p / nc, nc, p / nw, nw, nr / 1024
    printf f, "xiezhi (no rules)", p / xc, xc, p / xw, xw, xr / 1024
    printf "speed (CPU): xiezhi/ndpiReader %.2fx  xiezhi/libpcap-loop %.2fx  ndpiReader/libpcap-loop %.2fx\n",
        nc / xc, lc / xc, lc / nc
    printf "speed (wall): xiezhi/ndpiReader %.2fx\n", nw / xw
    printf "peak RSS: xiezhi/ndpiReader %.2fx   (xiezhi wrote %d flow events)\n", xr / nr, flows
    if (xc > nc * 1.05) { print "NOTE: xiezhi slower than ndpiReader"; exit 1 }
}'
