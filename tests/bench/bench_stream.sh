#!/bin/bash
# The cost of TCP reassembly, side by side in one run on the data-plane
# bench's capture (the nDPI corpus's Ethernet captures, merged and repeated
# to >= 1M packets): ndpiReader (the reference), xiezhi with reassembly on
# (the default) and off (stream.reassembly.depth: 0), with no rules and with
# the default rule pack (where the stream is also inspected).  Prints
# packets/s, peak RSS and the ratios.  Target: with reassembly on and no
# rules, xiezhi >= 1.5x ndpiReader's packets/s (CPU time).
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

tmp=$(mktemp -d /tmp/xiezhi-bench-stream.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

. "$TOP/tests/bench/big_capture.sh"

pack=(-S "$TOP/rules/extranet.rules" -S "$TOP/rules/ioc.rules" -S "$TOP/rules/anomaly.rules")
: >"$tmp/empty.rules"
measure ndpi ndpiReader -q -i "$tmp/big.pcap"; ndpi_c=$cpu ndpi_w=$wall ndpi_rss=$rss_kb
measure on "$XIEZHI" -r "$tmp/big.pcap" -S "$tmp/empty.rules" -l "$tmp/out"
on_c=$cpu on_w=$wall on_rss=$rss_kb
python3 - "$tmp/out/eve.json" >"$tmp/reasm" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if '"event_type":"stats"' in l][-1]
r = dict(ev["xiezhi_stats"]["reassembly"])
r["gaps"] = ev["stats"]["tcp"]["reassembly_gap"]
r["depth_reached"] = ev["stats"]["tcp"]["stream_depth_reached"]
print("reassembled %d directions, %.1f MB in order; %d out of order, %d gaps, %d depth reached, "
      "%d released as ciphertext; peak buffered %.1f MB"
      % (r["streams"], r["bytes"] / 1e6, r["out_of_order"], r["gaps"], r["depth_reached"],
         r["encrypted_released"], r["memory_peak"] / 1e6))
PY
measure off "$XIEZHI" -r "$tmp/big.pcap" -S "$tmp/empty.rules" -l "$tmp/out" --set stream.reassembly.depth=0
off_c=$cpu off_w=$wall off_rss=$rss_kb
measure pon "$XIEZHI" -r "$tmp/big.pcap" "${pack[@]}" -l "$tmp/out"
pon_c=$cpu pon_w=$wall pon_rss=$rss_kb
measure poff "$XIEZHI" -r "$tmp/big.pcap" "${pack[@]}" -l "$tmp/out" --set stream.reassembly.depth=0
poff_c=$cpu poff_w=$wall poff_rss=$rss_kb

cat "$tmp/reasm"
awk -v p="$packets" -v nc="$ndpi_c" -v nw="$ndpi_w" -v nr="$ndpi_rss" \
    -v ac="$on_c" -v aw="$on_w" -v ar="$on_rss" -v bc="$off_c" -v bw="$off_w" -v br="$off_rss" \
    -v cc="$pon_c" -v cw="$pon_w" -v cr="$pon_rss" -v dc="$poff_c" -v dw="$poff_w" -v dr="$poff_rss" 'BEGIN {
    f = "%-34s %9.0f pkt/s CPU (%6.2f s)  %9.0f pkt/s wall  peak RSS %6.1f MB\n"
    printf f, "ndpiReader", p / nc, nc, p / nw, nr / 1024
    printf f, "xiezhi, no rules, reassembly on", p / ac, ac, p / aw, ar / 1024
    printf f, "xiezhi, no rules, depth 0", p / bc, bc, p / bw, br / 1024
    printf f, "xiezhi, default pack, reassembly on", p / cc, cc, p / cw, cr / 1024
    printf f, "xiezhi, default pack, depth 0", p / dc, dc, p / dw, dr / 1024
    printf "xiezhi (reassembly on)/ndpiReader: %.2fx CPU, %.2fx wall (target >= 1.5x CPU); peak RSS %.2fx\n",
        nc / ac, nw / aw, ar / nr
    printf "cost of reassembly (on/off throughput): %.2f with no rules, %.2f with the default pack\n",
        bc / ac, dc / cc
    if (nc / ac < 1.5) { print "NOTE: below 1.5x ndpiReader with reassembly on"; exit 1 }
}'
