#!/bin/bash
# xiezhi-alerts, the analyst's consumer, against a real redis-server: reads
# through a consumer group and acknowledges; a restart resumes without
# missing or repeating; entries of a dead consumer are claimed; its own
# un-acknowledged entries come first; filters; --follow; hostile JSON.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
ALERTS="$TOP/$BUILD/xiezhi-alerts"
. "$TOP/tests/integration/redis_lib.sh"
command -v redis-server >/dev/null || { echo "SKIP: redis-server not installed"; exit 0; }
[ -x "$ALERTS" ] || fail "$ALERTS not built"
tmp=$(mktemp -d /tmp/xiezhi-alerts-test.XXXXXX)
trap 'redis_stop; rm -rf "$tmp"' EXIT
redis_start "$tmp/redis" || exit 1
A() { "$ALERTS" --port "$REDIS_PORT" --key alerts "$@"; }

# 200 alerts: severity 1..3, sid 1000+i%5, two sensors
for i in $(seq 1 200); do
    sev=$(( i % 3 + 1 )); sid=$(( 1000 + i % 5 )); sensor=s$(( i % 2 ))
    printf 'XADD alerts * eve "{\\"timestamp\\":\\"2026-01-01T00:00:%02d.000000+0000\\",\\"event_type\\":\\"alert\\",\\"event_id\\":\\"%s:%d\\",\\"src_ip\\":\\"10.0.0.%d\\",\\"src_port\\":%d,\\"dest_ip\\":\\"8.8.8.8\\",\\"dest_port\\":53,\\"proto\\":\\"UDP\\",\\"app_proto\\":\\"dns\\",\\"alert\\":{\\"signature_id\\":%d,\\"signature\\":\\"test sig %d\\",\\"severity\\":%d},\\"geoip\\":{\\"dest\\":{\\"country\\":\\"US\\"}},\\"sensor\\":{\\"id\\":\\"%s\\"}}"\n' \
        $((i % 60)) "$sensor" "$i" $((i % 250)) $((1024 + i)) "$sid" "$i" "$sev" "$sensor"
done | rcli >/dev/null
[ "$(rcli XLEN alerts)" = 200 ] || fail "setup: stream has $(rcli XLEN alerts) entries"

ids_of() { grep -o '"event_id":"[^"]*"' "$1" | cut -d'"' -f4; }

# 1. a consumer stops after 50 (clean stop), restarts, reads the rest: all once, in order
A --group g1 --consumer c1 --json --limit 50 > "$tmp/part1" || fail "first run failed"
A --group g1 --consumer c1 --json > "$tmp/part2" || fail "second run failed"
[ "$(wc -l < "$tmp/part1")" = 50 ] || fail "first run printed $(wc -l < "$tmp/part1") lines, want 50"
cat "$tmp/part1" "$tmp/part2" > "$tmp/all"
ids_of "$tmp/all" > "$tmp/all.ids"
[ "$(wc -l < "$tmp/all.ids")" = 200 ] || fail "resumed runs printed $(wc -l < "$tmp/all.ids") events, want 200"
[ "$(sort -u "$tmp/all.ids" | wc -l)" = 200 ] || fail "an event was printed twice"
rcli XRANGE alerts - + | grep -o '"event_id":"[^"]*"' | cut -d'"' -f4 > "$tmp/stream.ids"
cmp -s "$tmp/all.ids" "$tmp/stream.ids" || fail "consumer order differs from the stream"
pending=$(rcli XPENDING alerts g1 | head -1)
[ "$pending" = 0 ] || fail "group g1 still has $pending pending entries"
python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$tmp/all" || fail "--json output does not parse"

# 2. a dead consumer read 30 entries and never acknowledged them: claimed
rcli XREADGROUP GROUP g2 dead COUNT 30 STREAMS alerts '>' >/dev/null 2>&1 ||
    { rcli XGROUP CREATE alerts g2 0 >/dev/null; rcli XREADGROUP GROUP g2 dead COUNT 30 STREAMS alerts '>' >/dev/null; }
A --group g2 --consumer live --claim-idle 0 --json > "$tmp/claimed"
[ "$(ids_of "$tmp/claimed" | sort -u | wc -l)" = 200 ] || fail "claiming: $(ids_of "$tmp/claimed" | sort -u | wc -l) distinct events, want 200"
[ "$(wc -l < "$tmp/claimed")" = 200 ] || fail "claiming printed $(wc -l < "$tmp/claimed") lines"
[ "$(rcli XPENDING alerts g2 | head -1)" = 0 ] || fail "g2 has pending entries after claiming"

# 3. our own entries read before a crash (not acknowledged) come first
rcli XGROUP CREATE alerts g3 0 >/dev/null
rcli XREADGROUP GROUP g3 me COUNT 10 STREAMS alerts '>' >/dev/null
A --group g3 --consumer me --json > "$tmp/own"
[ "$(wc -l < "$tmp/own")" = 200 ] || fail "own pending: $(wc -l < "$tmp/own") lines, want 200"
ids_of "$tmp/own" | cmp -s - "$tmp/stream.ids" || fail "own pending entries not first / order differs"

# 4. filters
n=$(A --group f1 --consumer x --json --severity 1 | wc -l)
want=$(for i in $(seq 1 200); do [ $(( i % 3 + 1 )) -le 1 ] && echo; done | wc -l)
[ "$n" = "$want" ] || fail "--severity 1 printed $n, want $want"
n=$(A --group f2 --consumer x --json --sid 1003 | wc -l)
[ "$n" = 40 ] || fail "--sid 1003 printed $n, want 40"
n=$(A --group f3 --consumer x --json --sensor s1 | wc -l)
[ "$n" = 100 ] || fail "--sensor s1 printed $n, want 100"
[ "$(rcli XPENDING alerts f1 | head -1)" = 0 ] || fail "filtered-out entries were not acknowledged"

# 5. the human line
A --group h1 --consumer x --limit 1 > "$tmp/human"
grep -q 'sev=2 sid=1001 "test sig 1" UDP 10.0.0.1:1025 -> 8.8.8.8:53 app=dns geo=?->US sensor=s1 id=s1:1' "$tmp/human" ||
    fail "unexpected human line: $(cat "$tmp/human")"

# 6. hostile entries: terminal escapes, broken JSON, deep nesting, missing field
rcli XADD hostile '*' eve '{"event_type":"alert","alert":{"signature":"\u001b[31mred\u0007 \ud800","severity":1},"src_ip":"1.2.3.4"}' >/dev/null
rcli XADD hostile '*' eve '{"event_type":"alert","alert":{"signature":"unterminated' >/dev/null
rcli XADD hostile '*' eve "$(python3 -c 'print("{\"a\":" * 5000 + "1" + "}" * 5000)')" >/dev/null
rcli XADD hostile '*' other 'x' >/dev/null
rcli XADD hostile '*' eve '{"event_type":"alert","alert":{"signature":"ok"}}' >/dev/null
"$ALERTS" --port "$REDIS_PORT" --key hostile --group g > "$tmp/hostile.out" 2> "$tmp/hostile.err" || fail "hostile input: exit $?"
grep -q $'\x1b' "$tmp/hostile.out" && fail "an escape character reached the terminal"
[ "$(wc -l < "$tmp/hostile.out")" = 2 ] || fail "hostile: printed $(wc -l < "$tmp/hostile.out") lines, want 2"
grep -q '"ok"' "$tmp/hostile.out" || fail "the valid entry after the bad ones was not printed"
[ "$(grep -c 'not a JSON object' "$tmp/hostile.err")" = 2 ] || fail "bad entries not reported: $(cat "$tmp/hostile.err")"
[ "$(rcli XPENDING hostile g | head -1)" = 0 ] || fail "hostile entries left pending"

# 7. --follow prints new entries as they arrive, and stops on SIGTERM
A --group fol --consumer x --json --follow --block 200 > "$tmp/follow" &
fpid=$!
sleep 0.5
for i in 1 2 3; do rcli XADD alerts '*' eve "{\"event_type\":\"alert\",\"event_id\":\"late:$i\"}" >/dev/null; done
for _ in $(seq 1 50); do [ "$(grep -c late: "$tmp/follow")" = 3 ] && break; sleep 0.1; done
kill -TERM $fpid; wait $fpid
[ "$(grep -c '"late:' "$tmp/follow")" = 3 ] || fail "--follow did not print the new entries"
[ "$(wc -l < "$tmp/follow")" = 203 ] || fail "--follow printed $(wc -l < "$tmp/follow") lines, want 203"

# 8. password from the environment (never argv)
rcli CONFIG SET requirepass 'pa ss' >/dev/null
XIEZHI_REDIS_PASSWORD='pa ss' A --group pw --consumer x --json --limit 5 > "$tmp/pw" || fail "auth with XIEZHI_REDIS_PASSWORD failed"
[ "$(wc -l < "$tmp/pw")" = 5 ] || fail "auth run printed $(wc -l < "$tmp/pw")"
A --group pw --consumer x --json 2>/dev/null && fail "no password accepted by a protected server"
echo "xiezhi-alerts: resume, claim, own pending, filters, follow, hostile input, auth: ok"
