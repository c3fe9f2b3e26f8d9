#!/bin/bash
# XIEZHI_REDIS_PASSWORD (issue 14): the sensor and xiezhi-alerts read it,
# authenticate with it, and scrub it: it must not stay readable in
# /proc/PID/environ (any process of the same user, and root, can read that
# file for the whole life of the process).  A real redis-server with
# requirepass; the sensor reads its capture from a FIFO so that it waits,
# with Redis already open, while the test looks at its environment.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
XIEZHI=${XIEZHI:-$TOP/$BUILD/xiezhi}
. "$TOP/tests/integration/redis_lib.sh"
command -v redis-server >/dev/null || { echo "SKIP: redis-server not installed"; exit 0; }
tmp=$(mktemp -d /tmp/xiezhi-redis-pass.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; redis_stop; rm -rf "$tmp"' EXIT
SECRET=xz-s3cret-$$-pass
export REDISCLI_AUTH=$SECRET
redis_start "$tmp/redis" --requirepass "$SECRET" || exit 1
echo 'alert ip any any -> any any (msg:"any"; sid:9000020; rev:1;)' >"$tmp/t.rules"
mkfifo "$tmp/in.pcap"

# environ_clean PID WHAT: the secret is not in the process's environment block.
environ_clean() {
    local i
    for i in $(seq 50); do grep -q . "/proc/$1/environ" 2>/dev/null && break; sleep 0.05; done
    if tr '\0' '\n' <"/proc/$1/environ" | grep -qF -- "$SECRET"; then
        fail "$2: the Redis password is still in /proc/$1/environ"
    fi
}

env -u REDISCLI_AUTH XIEZHI_REDIS_PASSWORD=$SECRET "$XIEZHI" -r "$tmp/in.pcap" -S "$tmp/t.rules" -l "$tmp/out" \
    --set outputs.redis.enabled=yes --set outputs.redis.port="$REDIS_PORT" 2>"$tmp/sensor.log" &
sensor=$!
pids+=("$sensor")
for _ in $(seq 100); do [ -e "$tmp/out/eve.json" ] && break; sleep 0.05; done
sleep 0.3
environ_clean "$sensor" sensor
cat "$TOP/pcaps/demo.pcap" >"$tmp/in.pcap"
wait "$sensor" || fail "sensor failed: $(tail -3 "$tmp/sensor.log")"
n=$(rcli XLEN xiezhi:alerts)
[ "${n:-0}" -gt 0 ] || fail "no alert reached Redis: authentication with the password failed? $(tail -3 "$tmp/sensor.log")"

env -u REDISCLI_AUTH XIEZHI_REDIS_PASSWORD=$SECRET "$TOP/$BUILD/xiezhi-alerts" --port "$REDIS_PORT" --follow >"$tmp/alerts.out" 2>"$tmp/alerts.err" &
consumer=$!
pids+=("$consumer")
for _ in $(seq 100); do [ "$(wc -l <"$tmp/alerts.out")" -ge "$n" ] && break; sleep 0.05; done
[ "$(wc -l <"$tmp/alerts.out")" -ge "$n" ] || fail "xiezhi-alerts printed $(wc -l <"$tmp/alerts.out") of $n: $(cat "$tmp/alerts.err")"
environ_clean "$consumer" xiezhi-alerts
kill "$consumer"
echo "XIEZHI_REDIS_PASSWORD: used ($n alerts through an authenticated Redis) and gone from /proc/PID/environ of the sensor and the consumer: ok"
