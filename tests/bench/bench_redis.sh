#!/bin/bash
# Events per second into a local Redis stream through the exporter
# (outputs_write -> queue -> one EVAL script of XADDs per batch), next to
# redis-benchmark's pipelined XADD with a payload of the same size, on the
# same server in the same run.  The driver (tests/bench/redis_emit.c) is
# compiled here against build/libxiezhi.a.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
. "$TOP/tests/integration/redis_lib.sh"
command -v redis-server >/dev/null || { echo "SKIP: redis-server not installed"; exit 0; }
N=${BENCH_REDIS_EVENTS:-200000}
tmp=$(mktemp -d /tmp/xiezhi-bench-redis.XXXXXX)
trap 'redis_stop; rm -rf "$tmp"' EXIT
cd "$TOP"
# shellcheck disable=SC2046
cc -std=c11 -D_GNU_SOURCE -O2 -I. -Isensor $(pkg-config --cflags hiredis) -o "$tmp/emit" \
    tests/bench/redis_emit.c "$BUILD/libxiezhi.a" \
    $(pkg-config --libs libndpi libpcap hiredis libmaxminddb yaml-0.1 libpcre2-8) \
    -lcap-ng -lpthread -lm || fail "cannot build the driver"
redis_start "$tmp/redis" --appendonly no || exit 1

rate_of() { awk '{for (i = 1; i < NF; i++) if ($i == "rate") print $(i + 1)}'; }
ours() {   # ours LABEL settings...
    local label=$1; shift
    local out
    out=$("$tmp/emit" "$REDIS_PORT" "$N" "$tmp/log.$label" "$@") || fail "driver failed"
    echo "$out" | rate_of
}
payload=$(python3 -c 'print("x" * 800)')
ref() {   # redis-benchmark, pipelined, same payload size
    redis-benchmark -p "$REDIS_PORT" -P 100 -n "$N" --csv "$@" 2>/dev/null | tail -1 | cut -d, -f2 | tr -d '"'
}

stream=$(ours stream outputs.redis.key=bench:stream)
stream_ref=$(ref XADD bench:ref MAXLEN '~' 1000000 '*' eve "$payload")
fast=$(ours stream-no-tx outputs.redis.key=bench:fast outputs.redis.exactly-once=no)
rpush=$(ours rpush outputs.redis.mode=rpush outputs.redis.key=bench:list)
rpush_ref=$(ref RPUSH bench:listref "$payload")
publish=$(ours publish outputs.redis.mode=channel outputs.redis.key=bench:ch)
publish_ref=$(ref PUBLISH bench:chref "$payload")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
printf '%-34s %10s %14s %6s\n' "mode ($N events, ~800 B)" "xiezhi/s" "redis-bench/s" ratio
printf '%-34s %10.0f %14.0f %6s\n' "stream XADD (exactly-once, EVAL)" "$stream" "$stream_ref" "$(ratio "$stream" "$stream_ref")"
printf '%-34s %10.0f %14.0f %6s\n' "stream XADD (exactly-once: no)" "$fast" "$stream_ref" "$(ratio "$fast" "$stream_ref")"
printf '%-34s %10.0f %14.0f %6s\n' "list RPUSH" "$rpush" "$rpush_ref" "$(ratio "$rpush" "$rpush_ref")"
printf '%-34s %10.0f %14.0f %6s\n' "channel PUBLISH" "$publish" "$publish_ref" "$(ratio "$publish" "$publish_ref")"
[ "$(rcli XLEN bench:stream)" = "$N" ] || fail "stream holds $(rcli XLEN bench:stream) entries, want $N"
