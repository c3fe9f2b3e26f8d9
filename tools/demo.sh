#!/bin/sh
# `make demo`: runs the sensor on the bundled capture with the default rules
# and shows the alerts, one line each, then where the full output is.
set -eu
cd "$(dirname "$0")/.."
out=${DEMO_DIR:-out/demo}
rm -rf "$out"
mkdir -p "$out"
echo "xiezhi demo: ./build/xiezhi -r pcaps/demo.pcap -l $out"
./build/xiezhi -r pcaps/demo.pcap -l "$out"
echo
echo "alerts ($out/eve.json):"
jq -r 'select(.event_type == "alert" or .event_type == "behavior")
       | "\(.timestamp)  [\(.alert.severity)] \(.alert.signature)  \(.src_ip):\(.src_port // "-") -> \(.dest_ip):\(.dest_port // "-")  \(.ndpi.protocol)"' \
    "$out/eve.json"
echo
printf 'events by type: '
jq -r '.event_type' "$out/eve.json" | sort | uniq -c | awk '{printf "%s %s  ", $2, $1} END {print ""}'
