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

. "$TOP/tests/bench/big_capture.sh"

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
