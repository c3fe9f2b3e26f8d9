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
# each copy 10 days later, so its flows are new flows again
parts=()
for ((i = 0; i < copies; i++)); do
    editcap -F pcap -t $((i * 864000)) "$tmp/base.pcap" "$tmp/part$i.pcap" || exit 1
    parts+=("$tmp/part$i.pcap")
done
mergecap -F pcap -a -w "$tmp/big.pcap" "${parts[@]}" || exit 1
rm -f "${parts[@]}"
packets=$(capinfos -T -c -r "$tmp/big.pcap" | cut -f2)
size=$(du -m "$tmp/big.pcap" | cut -f1)
echo "capture: $packets packets, ${size} MB (${#files[@]} Ethernet captures x $copies)"

# warm the page cache so every reader starts equal
cat "$tmp/big.pcap" >/dev/null

# measure NAME CMD...: sets secs and rss_kb
measure() {
    local name=$1; shift
    /usr/bin/time -v -o "$tmp/$name.time" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
    local rc=$?
    if [ $rc -ne 0 ]; then
        echo "$name failed (exit $rc):"; tail -5 "$tmp/$name.err"; exit 1
    fi
    secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {
        n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$tmp/$name.time")
    rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tmp/$name.time")
}

: >"$tmp/empty.rules"
measure loop "$LOOP" "$tmp/big.pcap"; loop_s=$secs loop_rss=$rss_kb
measure ndpi ndpiReader -q -i "$tmp/big.pcap"; ndpi_s=$secs ndpi_rss=$rss_kb
mkdir -p "$tmp/out"
measure xiezhi "$XIEZHI" -r "$tmp/big.pcap" -S "$tmp/empty.rules" -l "$tmp/out"; xz_s=$secs xz_rss=$rss_kb

flows=$(grep -c '"event_type":"flow"' "$tmp/out/eve.json" 2>/dev/null)
[ "${flows:-0}" -gt 0 ] || { echo "xiezhi wrote no flow events: the figures would mean nothing"; exit 1; }
awk -v p="$packets" -v ls="$loop_s" -v lr="$loop_rss" -v ns="$ndpi_s" -v nr="$ndpi_rss" \
    -v xs="$xz_s" -v xr="$xz_rss" -v flows="$flows" 'BEGIN {
    f = "%-22s %10.0f pkt/s  %7.2f s  peak RSS %7.1f MB\n"
    printf f, "libpcap read loop", p / ls, ls, lr / 1024
    printf f, "ndpiReader", p / ns, ns, nr / 1024
    printf f, "xiezhi (no rules)", p / xs, xs, xr / 1024
    printf "xiezhi/ndpiReader speed %.2fx   xiezhi/libpcap-loop speed %.2fx   ndpiReader/libpcap-loop %.2fx\n",
        ns / xs, ls / xs, ls / ns
    printf "xiezhi/ndpiReader peak RSS %.2fx   flow events %d\n", xr / nr, flows
    if (xs > ns) { print "NOTE: xiezhi slower than ndpiReader"; exit 1 }
}'
