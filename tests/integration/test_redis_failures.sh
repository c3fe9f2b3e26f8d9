#!/bin/bash
# Redis failure modes with the real sensor and a real redis-server (issue 14):
#   norepl    Redis refuses writes (NOREPLICAS) for 3 s mid-run: every event
#             exactly once, in order, and only a handful of log lines;
#   wrongtype the event key holds a string (WRONGTYPE, an operator's error):
#             told apart as permanent, the delivered marker is NOT set while
#             the batches fail, and all arrives once the key is fixed;
#   indoubt   a batch cut by a frozen Redis, then the sensor SIGKILLed: the
#             next start finds the batch applied (marker) and does not send
#             it again;
#   lock      a second sensor on the same log directory / spool refuses to
#             start, with the reason;
#   badspool  a spool segment that cannot be opened, and a spool directory
#             that cannot exist: the sensor runs and delivers anyway.
# ONLY=name runs one of them.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
XIEZHI=${XIEZHI:-$TOP/$BUILD/xiezhi}
. "$TOP/tests/integration/redis_lib.sh"
command -v redis-server >/dev/null || { echo "SKIP: redis-server not installed"; exit 0; }
PCAP="$TOP/pcaps/redis_25k_udp_flows.pcap"
SMALL="$TOP/pcaps/demo.pcap"
tmp=$(mktemp -d /tmp/xiezhi-redis-failures.XXXXXX)
pids=()
trap 'redis_stop; for p in "${pids[@]}"; do kill -KILL $p 2>/dev/null; done; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
echo 'alert udp any any -> any 9999 (msg:"xiezhi redis test"; sid:9000001; rev:1;)' > "$tmp/test.rules"
: > "$tmp/classification.config"
export REDIS_FSYNC=always

want() { [ -z "${ONLY:-}" ] || [ "$ONLY" = "$1" ]; }

# sensor PCAP LOGDIR KEY [--set ...]  (stderr to LOGDIR.log).  In the
# background: "EXEC=exec sensor ... &", so that $! is the sensor itself.
sensor() {
    local pcap=$1 dir=$2 key=$3; shift 3
    ${EXEC:-} "$XIEZHI" -r "$pcap" -S "$tmp/test.rules" -l "$dir" --set sensor.id=t1 \
        --set rules.classification="$tmp/classification.config" \
        --set outputs.redis.enabled=yes --set outputs.redis.port="$REDIS_PORT" \
        --set "outputs.redis.types=[alert,flow]" --set outputs.redis.key="$key" \
        --set outputs.redis.batch-size=50 --set outputs.redis.close-timeout=60s \
        --set outputs.redis.reconnect-max-delay=500ms --set outputs.redis.command-timeout=1s \
        "$@" 2>> "$dir.log"
}

wait_xlen() {   # wait_xlen KEY N: until the stream holds N entries (10 s at most)
    local n=0
    for _ in $(seq 1 500); do
        n=$(rcli XLEN "$1" 2>/dev/null || echo 0)
        [ "${n:-0}" -ge "$2" ] && return 0
        sleep 0.02
    done
    fail "$1: delivery did not start ($n)"
}

# every non-stats event of DIR/eve.json in Redis KEY exactly once, in order
expect_exact() {
    local name=$1 dir=$2 key=$3
    grep -v '"event_type":"stats"' "$dir/eve.json" > "$dir/want"
    redis_dump stream "$key" > "$dir/got"
    local want got dup
    want=$(wc -l < "$dir/want"); got=$(wc -l < "$dir/got")
    dup=$(grep -o '"event_id":"[^"]*"' "$dir/got" | sort | uniq -d | wc -l)
    [ "$dup" = 0 ] || fail "$name: $dup events delivered twice"
    cmp -s "$dir/want" "$dir/got" || fail "$name: Redis holds $got events, eve.json $want; first difference: $(cmp "$dir/want" "$dir/got" 2>&1 | head -1)"
    echo "$want"
}

# Redis refuses every write for 3 s (min-replicas-to-write 1 without a
# replica).  Before the fix each refused batch meant a disconnect, an
# immediate reconnect, a warning and a "connected" line: thousands of lines.
if want norepl; then
    redis_start "$tmp/redis-norepl" || exit 1
    dir="$tmp/norepl"
    EXEC=exec sensor "$PCAP" "$dir" out:norepl &
    spid=$!; pids+=($spid)
    wait_xlen out:norepl 2000
    rcli CONFIG SET min-replicas-to-write 1 >/dev/null
    kill -0 $spid 2>/dev/null || fail "norepl: the sensor finished before the refusal; test is void"
    sleep 3
    rcli CONFIG SET min-replicas-to-write 0 >/dev/null
    wait $spid || fail "norepl: sensor exit $?: $(tail -5 "$dir.log")"
    n=$(expect_exact norepl "$dir" out:norepl) || exit 1
    [ "$n" -ge 50000 ] || fail "norepl: only $n events"
    lines=$(grep -c 'redis' "$dir.log")
    [ "$lines" -le 4 ] || fail "norepl: $lines log lines about Redis (at most 4 wanted): $(head -5 "$dir.log")"
    grep -q 'NOREPLICAS' "$dir.log" || fail "norepl: the refusal was not logged"
    grep -q 'delivering again after' "$dir.log" || fail "norepl: the end of the outage was not logged"
    echo "norepl: $n events once each, in order, across 3 s of NOREPLICAS; $lines log lines"
    redis_stop
fi

# The event key has the wrong type.  Before the fix the delivered marker
# was SET inside the same MULTI as the refused XADDs.
if want wrongtype; then
    redis_start "$tmp/redis-wrongtype" || exit 1
    dir="$tmp/wrongtype"
    rcli SET out:wt "not a stream" >/dev/null
    EXEC=exec sensor "$PCAP" "$dir" out:wt &
    spid=$!; pids+=($spid)
    for _ in $(seq 1 100); do grep -q WRONGTYPE "$dir.log" 2>/dev/null && break; sleep 0.05; done
    sleep 1.5
    kill -0 $spid 2>/dev/null || fail "wrongtype: the sensor finished early; test is void"
    [ -z "$(rcli GET xiezhi:sensor:t1:delivered)" ] || fail "wrongtype: the delivered marker was set by refused batches: $(rcli GET xiezhi:sensor:t1:delivered)"
    grep -q 'does not clear by itself' "$dir.log" || fail "wrongtype: not logged as an error that needs an operator: $(head -3 "$dir.log")"
    rcli DEL out:wt >/dev/null
    wait $spid || fail "wrongtype: sensor exit $?: $(tail -5 "$dir.log")"
    n=$(expect_exact wrongtype "$dir" out:wt) || exit 1
    lines=$(grep -c 'redis' "$dir.log")
    [ "$lines" -le 4 ] || fail "wrongtype: $lines log lines about Redis: $(head -5 "$dir.log")"
    echo "wrongtype: permanent error told apart, marker untouched, then $n events once each; $lines log lines"
    redis_stop
fi

# A batch in doubt: Redis frozen while a batch is in flight, the sensor
# times out, spools it, and is SIGKILLed; Redis thaws and applies it.  The
# next start must not send it again (before the fix the in-doubt state
# lived only in memory).
if want indoubt; then
    redis_start "$tmp/redis-indoubt" || exit 1
    dir="$tmp/indoubt"
    EXEC=exec sensor "$PCAP" "$dir" out:indoubt &
    spid=$!; pids+=($spid)
    wait_xlen out:indoubt 2000
    kill -STOP "$REDIS_PID"
    sleep 2.5                              # command-timeout 1 s, then spool flushes
    kill -KILL $spid; wait $spid 2>/dev/null
    before=$(ls "$dir/spool" | grep -c '\.spool$')
    [ "$before" -gt 0 ] || fail "indoubt: nothing was spooled; test is void"
    kill -CONT "$REDIS_PID"
    sleep 0.5
    sensor "$SMALL" "$dir" out:indoubt -v || fail "indoubt: the replay run failed: $(tail -5 "$dir.log")"
    redis_dump stream out:indoubt > "$dir/got"
    dup=$(grep -o '"event_id":"[^"]*"' "$dir/got" | sort | uniq -d | wc -l)
    [ "$dup" = 0 ] || fail "indoubt: $dup events delivered twice"
    grep -q 'already delivered' "$dir.log" || fail "indoubt: no batch was in doubt; test is void"
    # in order: event ids only grow
    grep -o '"event_id":"t1:[0-9]*"' "$dir/got" | grep -o '[0-9]*"$' | tr -d '"' > "$dir/ids"
    sort -n -c "$dir/ids" 2>/dev/null || fail "indoubt: events out of order"
    [ -z "$(ls "$dir/spool" | grep '\.spool$')" ] || fail "indoubt: spool not empty after the replay"
    echo "indoubt: $(wc -l < "$dir/got") events, none twice, in order, after a SIGKILL with a batch in doubt"
    redis_stop
fi

# Two sensors on one log directory, or one spool directory.
if want lock; then
    REDIS_PORT=$(redis_free_port)              # nothing listens: the first sensor lingers
    dir="$tmp/lock"
    EXEC=exec sensor "$PCAP" "$dir" out:lock --set outputs.redis.close-timeout=30s &
    spid=$!; pids+=($spid)
    for _ in $(seq 1 200); do [ -e "$dir/spool/cursor" ] && break; sleep 0.05; done
    sleep 0.5
    kill -0 $spid 2>/dev/null || fail "lock: the first sensor is gone; test is void"
    sensor "$SMALL" "$dir" out:lock --set outputs.redis.close-timeout=1s 2> /dev/null
    rc=$?
    [ $rc != 0 ] || fail "lock: a second sensor on the same log directory started"
    grep -q 'xiezhi.seq.*in use by another xiezhi process' "$dir.log" || fail "lock: no clear message: $(tail -3 "$dir.log")"
    sensor "$SMALL" "$tmp/lock2" out:lock --set outputs.redis.close-timeout=1s \
        --set outputs.redis.spool.dir="$dir/spool"
    rc=$?
    [ $rc != 0 ] || fail "lock: a second sensor on the same spool directory started"
    grep -q 'spool is in use by another xiezhi process' "$tmp/lock2.log" || fail "lock: no clear message: $(tail -3 "$tmp/lock2.log")"
    kill -KILL $spid; wait $spid 2>/dev/null
    echo "lock: a second sensor on one log directory or one spool is refused (exit $rc), with the reason"
fi

# A segment that cannot be opened (a directory where a file should be; root
# ignores file modes) and a spool directory below a regular file.
if want badspool; then
    redis_start "$tmp/redis-badspool" || exit 1
    dir="$tmp/badspool"
    mkdir -p "$dir/spool/0000010000000000.spool"
    sensor "$SMALL" "$dir" out:bad1 || fail "badspool: an unreadable segment stopped the sensor: $(tail -3 "$dir.log")"
    grep -q 'cannot read spool segment' "$dir.log" || fail "badspool: the unreadable segment was not logged"
    n1=$(expect_exact badspool "$dir" out:bad1) || exit 1
    [ -d "$dir/spool/0000010000000000.spool" ] || fail "badspool: the unreadable segment was removed"
    dir="$tmp/nospool"
    touch "$tmp/afile"
    sensor "$SMALL" "$dir" out:bad2 --set outputs.redis.spool.dir="$tmp/afile/spool" \
        || fail "badspool: an unusable spool directory stopped the sensor: $(tail -3 "$dir.log")"
    grep -q 'running WITHOUT a spool' "$dir.log" || fail "badspool: running without a spool was not logged"
    n2=$(expect_exact nospool "$dir" out:bad2) || exit 1
    echo "badspool: unreadable segment skipped ($n1 events delivered), no spool at all ($n2 delivered)"
    redis_stop
fi
echo "Redis failure modes: ok"
