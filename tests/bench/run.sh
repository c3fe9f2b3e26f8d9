#!/bin/bash
# `make bench`: runs every tests/bench/bench_*.sh.  Each prints its own
# figures side by side with a reference measured in the same run, as ratios.
# Results are also collected in build/bench.txt.
set -u
cd "$(dirname "$0")/../.."
export BUILD=${BUILD:-build} TOP="$PWD" XIEZHI="$PWD/${BUILD:-build}/xiezhi"
out="$BUILD/bench.txt"
: > "$out"
status=0
for b in tests/bench/bench_*.sh; do
    [ -x "$b" ] || continue
    echo "== $(basename "$b" .sh)" | tee -a "$out"
    "$b" 2>&1 | tee -a "$out" || status=1
done
echo "bench results: $out"
exit $status
