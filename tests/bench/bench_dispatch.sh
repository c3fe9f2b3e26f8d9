#!/bin/bash
# The cost a dispatcher thread would add (the alternative to PACKET_FANOUT
# that docs/operations.md weighs): hash + copy + hand-off per packet, with 1
# and 2 consumers, next to the sensor's own offline cost per packet on the
# same mix (the reference).
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
XIEZHI=${XIEZHI:-$TOP/build/xiezhi}
T=$(mktemp -d /tmp/xiezhi-dispatch.XXXXXX)
trap 'rm -rf "$T"' EXIT
cc -O2 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -o "$T/dispatch_cost" "$TOP/tests/bench/dispatch_cost.c" -lpcap -lpthread ||
    { echo "FAIL: cannot build dispatch_cost"; exit 1; }
mergecap -a -w "$T/mix.pcap" "$TOP/pcaps/demo.pcap" "$TOP"/pcaps/anomaly_*.pcap || exit 1
"$T/dispatch_cost" "$T/mix.pcap" 1 || exit 1
"$T/dispatch_cost" "$T/mix.pcap" 2 || exit 1
start=$(date +%s.%N)
"$XIEZHI" -r "$T/mix.pcap" -r "$T/mix.pcap" -r "$T/mix.pcap" -l "$T/out" 2>/dev/null
end=$(date +%s.%N)
pkts=$(grep -F '"event_type":"stats"' "$T/out/eve.json" | tail -1 | jq .stats.decoder.pkts)
echo "sensor offline, 1 worker: $(echo "($end - $start) * 1000000000 / $pkts" | bc) ns per packet (the reference)"
