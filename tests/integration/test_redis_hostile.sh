#!/bin/bash
# Hostile network strings (control characters, quotes, backslashes, NUL,
# DEL, invalid UTF-8 in DNS names, HTTP Host/URL/User-Agent and a TLS SNI)
# go through the sensor to eve.json, stdout and Redis at once.  Every line of
# every output must parse with a real JSON parser (python's json), carry the
# hostile text (escaped, not dropped), and be the same in all three; and the
# analyst's consumer must print none of the control characters.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
XIEZHI=${XIEZHI:-$TOP/$BUILD/xiezhi}
. "$TOP/tests/integration/redis_lib.sh"
command -v redis-server >/dev/null || { echo "SKIP: redis-server not installed"; exit 0; }
PCAP="$TOP/pcaps/redis_hostile_strings.pcap"
tmp=$(mktemp -d /tmp/xiezhi-redis-hostile.XXXXXX)
trap 'redis_stop; rm -rf "$tmp"' EXIT
redis_start "$tmp/redis" || exit 1
echo 'alert tcp any any -> any any (msg:"hostile test"; flow:to_server; sid:9000002; rev:1;)' > "$tmp/test.rules"
: > "$tmp/classification.config"

"$XIEZHI" -r "$PCAP" -S "$tmp/test.rules" -l "$tmp/out" --set sensor.id=t1 \
    --set rules.classification="$tmp/classification.config" \
    --set outputs.stdout.enabled=yes \
    --set outputs.redis.enabled=yes --set outputs.redis.port="$REDIS_PORT" \
    --set "outputs.redis.types=[alert,behavior,flow,stats]" > "$tmp/stdout" 2> "$tmp/log" ||
    fail "sensor failed: $(tail -3 "$tmp/log")"
redis_dump stream xiezhi:alerts > "$tmp/redis.lines"

python3 - "$tmp/out/eve.json" "$tmp/stdout" "$tmp/redis.lines" <<'PY' || exit 1
import json, sys

def strings(v):
    if isinstance(v, str):
        yield v
    elif isinstance(v, dict):
        for k, x in v.items():
            yield k
            yield from strings(x)
    elif isinstance(v, list):
        for x in v:
            yield from strings(x)

outputs = {}
for path in sys.argv[1:]:
    lines = open(path, "rb").read().split(b"\n")
    assert lines[-1] == b"", f"{path}: no newline at the end"
    events = []
    for n, raw in enumerate(lines[:-1], 1):
        try:
            events.append(json.loads(raw.decode("utf-8")))   # strict: valid UTF-8 and JSON
        except Exception as e:
            sys.exit(f"FAIL: {path}:{n}: does not parse: {e}: {raw[:120]!r}")
    outputs[path] = lines
    text = [s for e in events for s in strings(e)]
    for needle, what in (("\x1b", "ESC"), ("\x01", "control character"), ('"', "quote"),
                         ("\\", "backslash")):
        if not any(needle in s for s in text):
            sys.exit(f"FAIL: {path}: no string with a {what}: hostile text was dropped, not escaped")
    print(f"{path.split('/')[-1]}: {len(events)} events parse, hostile text kept")
eve, out, red = outputs.values()
if eve != out or eve != red:
    sys.exit("FAIL: eve.json, stdout and Redis differ")
PY

"$TOP/$BUILD/xiezhi-alerts" --port "$REDIS_PORT" --group g > "$tmp/human" 2>&1 || fail "xiezhi-alerts failed"
[ "$(wc -l < "$tmp/human")" -ge 3 ] || fail "consumer printed $(wc -l < "$tmp/human") lines"
LC_ALL=C grep -q '[[:cntrl:]]' <(tr -d '\n' < "$tmp/human") && fail "control characters reached the terminal"
echo "hostile strings: eve.json, stdout and Redis parse and agree; consumer output clean: ok"
