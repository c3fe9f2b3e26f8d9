#!/bin/bash
# App-layer parser cost: each of the DNS, TLS/TLCP and SSH parsers alone on
# the flows of pcaps/proto_*.pcap (tests/bench/bench_parsers.c), in
# microseconds per flow and MB/s of payload, the EVE object written once per
# flow (DNS: per message).  TLS figures include JA3/JA3S/JA4 and the
# certificates: "tls" with the sensor's certificate cache (certificates seen
# before are not read again), "tls-cold" reading every one with libcrypto.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
SECS=${PARSER_BENCH_SECONDS:-2}
tmp=$(mktemp -d /tmp/xiezhi-bench-parsers.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$TOP" || exit 1
[ -f "$BUILD/libxiezhi.a" ] || { echo "bench_parsers: build first (make)"; exit 1; }
cc -O2 -std=c11 -D_GNU_SOURCE -I. -Isensor -o "$tmp/bench_parsers" tests/bench/bench_parsers.c \
    "$BUILD/libxiezhi.a" -lpcap -lcrypto -lm || { echo "bench_parsers: driver does not build"; exit 1; }
"$tmp/bench_parsers" "$SECS"
