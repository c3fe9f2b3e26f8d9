#!/bin/bash
# HTTP/2 (h2c) end to end: each capture of pcaps/gen_http2.py (prior
# knowledge, DNS over HTTP/2, HTTP/1.1 Upgrade: h2c) run with
# tests/regress/http2/http2.rules must give exactly the alerts, http events
# and flow app_proto of tests/regress/http2/<case>.expected.  Also: every
# event validates against Suricata's EVE schema (xiezhi's own objects set
# aside), a second run is byte-identical, and with the parser disabled the
# prior-knowledge flow gives no HTTP/2 alert.  UPDATE=1 rewrites the
# expected files instead.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
XIEZHI=${XIEZHI:-$TOP/build/xiezhi}
dir="$TOP/tests/regress/http2"
schema="$TOP/../shared/corpus/suricata-eve-schema.json"
tmp=$(mktemp -d /tmp/xiezhi-http2.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$TOP" || exit 1

run() {  # pcap outdir [extra args]
    local pcap=$1 out=$2
    shift 2
    mkdir -p "$out"
    "$XIEZHI" -S "$dir/http2.rules" -r "$pcap" -l "$out" \
        --set 'outputs.eve.types=[alert,http,flow,stats]' "$@" >"$out/stdout" 2>"$out/stderr"
}

extract() {  # eve.json: alerts and http events, then each flow's app_proto
    python3 "$TOP/tests/regress/http/extract.py" <(grep -v '"event_type":"stats"' "$1") &&
        python3 -c '
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["event_type"] == "flow":
        print("flow %d->%d app=%s" % (e["src_port"], e["dest_port"], e.get("app_proto")))
    elif e["event_type"] == "stats":
        a = e["stats"]["app_layer"]
        print("stats http2 flow=%d tx=%d error=%d" % (a["flow"]["http2"], a["tx"]["http2"],
                                                   a["error"]["http2"]["parser"]))
' "$1" | tail -n +1
}

fail=0 ran=0
for pcap in pcaps/h2c_*.pcap; do
    case_name=$(basename "$pcap" .pcap)
    case_name=${case_name#h2c_}
    out="$tmp/$case_name"
    if ! run "$pcap" "$out" || grep -qi "error" "$out/stderr"; then
        echo "FAIL $case_name: xiezhi failed or reported errors"
        sed 's/^/    /' "$out/stderr" | tail -20
        fail=1
        continue
    fi
    if ! extract "$out/eve.json" | grep -v '^stats' >"$out/got"; then
        echo "FAIL $case_name: eve.json does not parse"
        fail=1
        continue
    fi
    extract "$out/eve.json" | grep '^stats' | tail -1 >>"$out/got"
    ran=$((ran + 1))
    if [ "${UPDATE:-0}" = 1 ]; then
        cp "$out/got" "$dir/$case_name.expected"
        echo "wrote $dir/$case_name.expected ($(wc -l <"$out/got") lines)"
        continue
    fi
    if ! diff -u "$dir/$case_name.expected" "$out/got" >"$out/diff"; then
        echo "FAIL $case_name: alerts, http events or app_proto differ from the expected ones"
        sed 's/^/    /' "$out/diff"
        fail=1
        continue
    fi
    grep -v '"event_type":"stats"' "$out/eve.json" >"$out/events.json"   # stats: test_eve_schema's
    if [ -f "$schema" ] && ! python3 "$TOP/tests/regress/http/schema_check.py" "$schema" "$out/events.json" >"$out/schema" 2>&1; then
        echo "FAIL $case_name: events do not validate against Suricata's EVE schema"
        sed 's/^/    /' "$out/schema" | head -20
        fail=1
        continue
    fi
    echo "ok   $case_name: $(grep -c '^alert' "$out/got") alert(s), $(grep -c '^http' "$out/got") http event(s)"
done
if [ "${UPDATE:-0}" != 1 ] && [ "$ran" -gt 0 ]; then
    run pcaps/h2c_prior.pcap "$tmp/again1" && run pcaps/h2c_prior.pcap "$tmp/again2"
    if ! cmp -s <(grep -v '"event_type":"stats"' "$tmp/again1/eve.json") \
                <(grep -v '"event_type":"stats"' "$tmp/again2/eve.json"); then
        echo "FAIL determinism: two runs of h2c_prior.pcap differ"
        fail=1
    else
        echo "ok   determinism: byte-identical eve.json"
    fi
    # parser off: nothing calls the flow http2 any more (nDPI's "http" by port
    # remains, so only the !dns rule may fire)
    run pcaps/h2c_prior.pcap "$tmp/off" --set app-layer.protocols.http2.enabled=no
    if grep -q '"app_proto":"http2"' "$tmp/off/eve.json" ||
        grep -Eq '"signature_id":130000[1-9],' "$tmp/off/eve.json"; then
        echo "FAIL parser disabled: the flow is still HTTP/2 or HTTP/2 rules fired"
        fail=1
    else
        echo "ok   parser disabled: no http2 flow, no HTTP/2 alert"
    fi
fi
[ "$ran" -gt 0 ] || { echo "FAIL no h2c captures in pcaps/ (python3 pcaps/generate.py)"; exit 1; }
exit $fail
