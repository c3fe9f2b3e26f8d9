#!/bin/bash
# Dataset benchmark: load time of a 1M-entry string dataset (Suricata's
# base64-per-line format) and lookups per second, side by side with a
# reference in the same run: Python's built-in set doing the same work
# (base64-decode and insert every line; look the same values up).
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
N=${DATASET_BENCH_ENTRIES:-1000000}
tmp=$(mktemp -d /tmp/xiezhi-bench-dataset.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$TOP" || exit 1

[ -f "$BUILD/libxiezhi.a" ] || { echo "bench_dataset: build first (make)"; exit 1; }
cc -O2 -std=c11 -D_GNU_SOURCE -I. -Isensor -o "$tmp/bench_dataset" tests/bench/bench_dataset.c \
    "$BUILD/libxiezhi.a" -lpthread -lm || { echo "bench_dataset: driver does not build"; exit 1; }

# N domain names for the set; N queries, half of them in the set.
python3 - "$tmp" "$N" <<'PY'
import base64, random, sys
out, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(42)
def name(i):
    return ("host-%d.bad-domain-%d.example" % (i, i % 977)).encode()
with open(out + "/set.lst", "w") as f:
    for i in range(n):
        f.write(base64.b64encode(name(i)).decode() + "\n")
with open(out + "/query.lst", "w") as f:
    for _ in range(n):
        f.write(base64.b64encode(name(rnd.randrange(2 * n))).decode() + "\n")
PY

ours=$("$tmp/bench_dataset" "$tmp/set.lst" "$tmp/query.lst" 3) || exit 1
ref=$(python3 - "$tmp" <<'PY'
import base64, sys, time
d = sys.argv[1]
t0 = time.monotonic()
s = set()
with open(d + "/set.lst", "rb") as f:
    for line in f:
        s.add(base64.b64decode(line.strip()))
load = time.monotonic() - t0
q = [base64.b64decode(l.strip()) for l in open(d + "/query.lst", "rb")]
t0 = time.monotonic()
hits = 0
for _ in range(3):
    for v in q:
        hits += v in s
look = time.monotonic() - t0
print("entries=%d load_s=%.3f hits=%d lookups_per_s=%.0f" % (len(s), load, hits, 3 * len(q) / look))
PY
) || exit 1

field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
echo "xiezhi dataset:   $ours"
echo "python set (ref): $ref"
ol=$(field "$ours" load_s) rl=$(field "$ref" load_s)
olk=$(field "$ours" lookups_per_s) rlk=$(field "$ref" lookups_per_s)
[ "$(field "$ours" hits)" = "$(field "$ref" hits)" ] || { echo "bench_dataset: hit counts differ"; exit 1; }
awk -v ol="$ol" -v rl="$rl" -v olk="$olk" -v rlk="$rlk" -v n="$N" 'BEGIN {
    printf "dataset load %d entries: %.2f s (python set %.2f s, %.1fx faster)\n", n, ol, rl, rl / ol
    printf "dataset lookups: %.2f M/s (python set %.2f M/s, ratio %.2f)\n", olk / 1e6, rlk / 1e6, olk / rlk
}'
awk -v ol="$ol" 'BEGIN { exit !(ol < 5.0) }' || { echo "bench_dataset: load took $ol s (target: < 5 s)"; exit 1; }
