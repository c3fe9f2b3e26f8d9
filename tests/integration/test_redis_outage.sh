#!/bin/bash
# Zero loss across Redis outages, with the real sensor: a run producing
# 50,000 events (25,000 UDP flows, each an alert and a flow event) while the
# test stops redis-server (SHUTDOWN NOSAVE, then SIGKILL) and restarts it
# seconds later.  Redis (AOF, appendfsync always) must end up holding every
# event of eve.json exactly once and in order.  The last round uses a Redis
# with an ACL user and password (secret from a file / the environment).
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
XIEZHI=${XIEZHI:-$TOP/$BUILD/xiezhi}
. "$TOP/tests/integration/redis_lib.sh"
command -v redis-server >/dev/null || { echo "SKIP: redis-server not installed"; exit 0; }
PCAP="$TOP/pcaps/redis_25k_udp_flows.pcap"
tmp=$(mktemp -d /tmp/xiezhi-redis-outage.XXXXXX)
trap 'redis_stop; [ -n "${spid:-}" ] && kill $spid 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
echo 'alert udp any any -> any 9999 (msg:"xiezhi redis test"; sid:9000001; rev:1;)' > "$tmp/test.rules"
: > "$tmp/classification.config"
export REDIS_FSYNC=always
REDIS_ARGS=()

round() {   # round NAME HOW [--set args]
    local name=$1 how=$2; shift 2
    local dir="$tmp/$name"
    mkdir -p "$dir"
    redis_start "$tmp/redis-$name" "${REDIS_ARGS[@]}" || exit 1
    "$XIEZHI" -r "$PCAP" -S "$tmp/test.rules" -l "$dir" --set sensor.id=t1 \
        --set rules.classification="$tmp/classification.config" \
        --set outputs.redis.enabled=yes --set outputs.redis.port="$REDIS_PORT" \
        --set "outputs.redis.types=[alert,flow]" --set outputs.redis.key=out:$name \
        --set outputs.redis.batch-size=50 --set outputs.redis.close-timeout=60s \
        --set outputs.redis.reconnect-max-delay=500ms --set outputs.redis.command-timeout=2s \
        "$@" 2> "$dir.log" &
    spid=$!
    # stop Redis once delivery is under way
    local n=0
    for _ in $(seq 1 400); do
        n=$(rcli XLEN out:$name 2>/dev/null || echo 0)
        [ "${n:-0}" -ge 2000 ] && break
        sleep 0.02
    done
    [ "${n:-0}" -ge 2000 ] || fail "$name: delivery did not start ($n)"
    case $how in
        shutdown) rcli SHUTDOWN NOSAVE >/dev/null 2>&1; wait "$REDIS_PID" 2>/dev/null; REDIS_PID="" ;;
        sigkill) redis_stop ;;
    esac
    kill -0 $spid 2>/dev/null || fail "$name: the sensor finished before the outage; test is void"
    local at=$n
    sleep 3
    redis_start "$tmp/redis-$name" "${REDIS_ARGS[@]}" || exit 1
    wait $spid || fail "$name: sensor exit $?: $(tail -5 "$dir.log")"
    spid=""
    grep -v '"event_type":"stats"' "$dir/eve.json" > "$dir/want"
    rcli --raw XRANGE out:$name - + | awk 'NR % 3 == 0' > "$dir/got"
    local want got dup
    want=$(wc -l < "$dir/want"); got=$(wc -l < "$dir/got")
    [ "$want" -ge 50000 ] || fail "$name: only $want events in eve.json"
    dup=$(grep -o '"event_id":"[^"]*"' "$dir/got" | sort | uniq -d | wc -l)
    [ "$dup" = 0 ] || fail "$name: $dup events delivered twice"
    cmp -s "$dir/want" "$dir/got" || fail "$name: Redis holds $got events, eve.json $want; first difference: $(cmp "$dir/want" "$dir/got" 2>&1 | head -1)"
    [ -z "$(ls "$dir/spool" 2>/dev/null | grep '\.spool$')" ] || fail "$name: spool not empty at exit"
    grep -q 'events go to the spool' "$dir.log" || fail "$name: no outage was logged"
    echo "$name: outage after $at events; $got of $want events in Redis, once each, in order"
    redis_stop
}

[ -z "${ONLY:-}" ] && round shutdown shutdown
[ -z "${ONLY:-}" ] && round sigkill sigkill

# an ACL user with a password read from a file.  (The default user keeps a
# password of its own rather than being disabled: Redis up to 7.x replays
# MULTI/EXEC from the AOF as the default user and drops the transactions when
# that user is off -- redis/redis#14541 -- see docs/redis.md.)
REDIS_ARGS=(--user default on '>admin only' '~*' '&*' '+@all' --user xiezhi on '>ACL pass' '~xiezhi:*' '~out:*' '&*' '+@all')
export REDIS_USER=xiezhi REDISCLI_AUTH='ACL pass'
printf 'ACL pass\n' > "$tmp/pw"; chmod 600 "$tmp/pw"
round acl sigkill --set outputs.redis.username=xiezhi --set outputs.redis.password-file="$tmp/pw"
grep -q 'ACL pass' "$tmp"/acl.log && fail "the password appeared in the log"

# requirepass, the secret from the environment
REDIS_ARGS=(--requirepass 'env secret')
unset REDIS_USER; export REDISCLI_AUTH='env secret'
XIEZHI_REDIS_PASSWORD='env secret' round requirepass shutdown
echo "zero loss across SHUTDOWN, SIGKILL, ACL user, requirepass: ok"
