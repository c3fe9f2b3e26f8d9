#!/bin/bash
# Terminal safety (issue 14): C1 control characters (U+0080-U+009F, e.g.
# U+009B, the 8-bit CSI) from network strings (pcaps/terminal_c1.pcap, made
# by pcaps/gen_terminal.py) must reach eve.json and Redis only as \u
# escapes, never raw; and the analyst's consumer, xiezhi-alerts, must print
# no C0, DEL or C1 control in its text and --json output, even for an entry
# written into the stream by someone else with raw C1, DEL and invalid UTF-8
# (valid JSON all the same).  --json lines must still parse.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
XIEZHI=${XIEZHI:-$TOP/$BUILD/xiezhi}
. "$TOP/tests/integration/redis_lib.sh"
command -v redis-server >/dev/null || { echo "SKIP: redis-server not installed"; exit 0; }
PCAP="$TOP/pcaps/terminal_c1.pcap"
[ -f "$PCAP" ] || fail "$PCAP missing: run python3 pcaps/generate.py"
tmp=$(mktemp -d /tmp/xiezhi-terminal.XXXXXX)
trap 'redis_stop; rm -rf "$tmp"' EXIT
redis_start "$tmp/redis" || exit 1
echo 'alert ip any any -> any any (msg:"terminal test"; flow:to_server; sid:9000014; rev:1;)' > "$tmp/test.rules"
: > "$tmp/classification.config"

"$XIEZHI" -r "$PCAP" -S "$tmp/test.rules" -l "$tmp/out" --set sensor.id=t14 \
    --set rules.classification="$tmp/classification.config" \
    --set outputs.redis.enabled=yes --set outputs.redis.port="$REDIS_PORT" \
    --set "outputs.redis.types=[alert,flow]" > "$tmp/stdout" 2> "$tmp/log" ||
    fail "sensor failed: $(tail -3 "$tmp/log")"
redis_dump stream xiezhi:alerts > "$tmp/redis.lines"

# Someone else's entry: valid JSON with raw C1, DEL and a byte that is not UTF-8.
python3 - "$REDIS_PORT" <<'PY' || exit 1
import socket, sys
ev = (b'{"timestamp":"2023-11-16T12:00:00.000000+0000","event_type":"alert","src_ip":"10.9.9.9",'
      b'"alert":{"signature_id":7,"severity":1,"signature":"raw\xc2\x9b31m\x7fdel\xc2\x85nel\xffbad"},'
      b'"note":"\xc2\x9d0;title\xc2\x9c"}')
args = [b"XADD", b"xiezhi:alerts", b"*", b"eve", ev]
msg = b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(msg)
reply = s.recv(200)
if not reply.startswith(b"$"):
    sys.exit("FAIL: XADD: %r" % reply)
PY

"$TOP/$BUILD/xiezhi-alerts" --port "$REDIS_PORT" --group text > "$tmp/human" 2>"$tmp/human.err" ||
    fail "xiezhi-alerts failed: $(cat "$tmp/human.err")"
"$TOP/$BUILD/xiezhi-alerts" --port "$REDIS_PORT" --group json --json > "$tmp/json" 2>"$tmp/json.err" ||
    fail "xiezhi-alerts --json failed: $(cat "$tmp/json.err")"

python3 - "$tmp/out/eve.json" "$tmp/redis.lines" "$tmp/human" "$tmp/json" <<'PY' || exit 1
import json, re, sys
eve, red, human, js = sys.argv[1:]
c1_raw = re.compile(rb"\xc2[\x80-\x9f]")
ctl = re.compile(rb"[\x00-\x09\x0b-\x1f\x7f]")

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

for path in (eve, red):
    data = open(path, "rb").read()
    if c1_raw.search(data):
        sys.exit(f"FAIL: {path}: a raw C1 control: {c1_raw.search(data).group()!r}")
    events = [json.loads(l) for l in data.decode("utf-8").splitlines()]
    text = [s for e in events for s in strings(e)]
    if not any("\u009b" in s for s in text):
        sys.exit(f"FAIL: {path}: no string holds U+009B: the hostile text was dropped, not escaped")
    if not any("caf\u00e9" in s for s in text):
        sys.exit(f"FAIL: {path}: printable non-ASCII text was not kept")
    print(f"{path.split('/')[-1]}: {len(events)} events, C1 only escaped")

for path in (human, js):
    data = open(path, "rb").read()
    for pat, what in ((c1_raw, "C1 control"), (ctl, "C0 control or DEL")):
        m = pat.search(data)
        if m:
            sys.exit(f"FAIL: {path}: a {what} reached the terminal: {m.group()!r}")
    if len(data.splitlines()) < 3:
        sys.exit(f"FAIL: {path}: only {len(data.splitlines())} lines")
lines = open(js, "rb").read().decode("utf-8").splitlines()
events = [json.loads(l) for l in lines]
raw = [e for e in events if e.get("src_ip") == "10.9.9.9"]
if len(raw) != 1:
    sys.exit(f"FAIL: --json: the foreign entry printed {len(raw)} times")
sig = raw[0]["alert"]["signature"]
if sig != "raw\u009b31m\u007fdel\u0085nel\ufffdbad":
    sys.exit(f"FAIL: --json: the foreign signature came out as {sig!r}")
print(f"consumer: {len(lines)} --json lines parse, no control characters in text or --json")
PY
echo "terminal safety: C1 escaped in eve.json and Redis, consumer output clean: ok"
