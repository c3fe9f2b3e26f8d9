#!/bin/bash
# HTTP through LibHTP end to end: each capture of pcaps/gen_http.py run with
# tests/regress/http/http.rules must give exactly the alerts and http events
# of tests/regress/http/<case>.expected (keep-alive, encoded URIs, gzip +
# chunked body, POST SQLi, pipelining, split request, CONNECT, odd port,
# a large body inspected in windows).
# Also: every http event and alert validates against Suricata's EVE schema
# (xiezhi's own objects set aside), and a second run is byte-identical.
# UPDATE=1 rewrites the expected files instead.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
XIEZHI=${XIEZHI:-$TOP/build/xiezhi}
dir="$TOP/tests/regress/http"
schema="$TOP/../shared/corpus/suricata-eve-schema.json"
tmp=$(mktemp -d /tmp/xiezhi-http.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$TOP" || exit 1

run() {  # pcap outdir
    mkdir -p "$2"
    "$XIEZHI" -S "$dir/http.rules" -r "$1" -l "$2" \
        --set 'outputs.eve.types=[alert,http,flow]' >"$2/stdout" 2>"$2/stderr"
}

fail=0 ran=0
for pcap in pcaps/http_*.pcap; do
    case_name=$(basename "$pcap" .pcap)
    case_name=${case_name#http_}
    out="$tmp/$case_name"
    if ! run "$pcap" "$out" || grep -qi "error" "$out/stderr"; then
        echo "FAIL $case_name: xiezhi failed or reported errors"
        sed 's/^/    /' "$out/stderr" | tail -20
        fail=1
        continue
    fi
    if ! python3 "$dir/extract.py" "$out/eve.json" >"$out/got"; then
        echo "FAIL $case_name: eve.json does not parse"
        fail=1
        continue
    fi
    ran=$((ran + 1))
    if [ "${UPDATE:-0}" = 1 ]; then
        cp "$out/got" "$dir/$case_name.expected"
        echo "wrote $dir/$case_name.expected ($(wc -l <"$out/got") lines)"
        continue
    fi
    if ! diff -u "$dir/$case_name.expected" "$out/got" >"$out/diff"; then
        echo "FAIL $case_name: alerts or http events differ from the expected ones"
        sed 's/^/    /' "$out/diff"
        fail=1
        continue
    fi
    if [ -f "$schema" ] && ! python3 "$dir/schema_check.py" "$schema" "$out/eve.json" >"$out/schema" 2>&1; then
        echo "FAIL $case_name: events do not validate against Suricata's EVE schema"
        sed 's/^/    /' "$out/schema" | head -20
        fail=1
        continue
    fi
    echo "ok   $case_name: $(grep -c '^alert' "$out/got") alert(s), $(grep -c '^http' "$out/got") http event(s)"
done
if [ "${UPDATE:-0}" != 1 ] && [ -d "$tmp/keepalive" ]; then
    run pcaps/http_gzip_chunked.pcap "$tmp/again1" && run pcaps/http_gzip_chunked.pcap "$tmp/again2"
    if ! cmp -s "$tmp/again1/eve.json" "$tmp/again2/eve.json"; then
        echo "FAIL determinism: two runs of http_gzip_chunked.pcap differ"
        fail=1
    else
        echo "ok   determinism: byte-identical eve.json"
    fi
fi
# Flows the parser does not see (here: parser disabled) keep nDPI's
# http.host; buffers only LibHTP fills stay silent there.
if [ "${UPDATE:-0}" != 1 ]; then
    fb="$tmp/fallback"
    mkdir -p "$fb"
    printf '%s\n' \
        'alert http any any -> any any (msg:"host"; flow:to_server; http.host; content:"example.gov.cn"; sid:1;)' \
        'alert http any any -> any any (msg:"header"; flow:to_server; http.header; content:"Accept"; sid:2;)' >"$fb/r.rules"
    got=""
    for on in yes no; do
        rm -f "$fb/eve.json"
        "$XIEZHI" -S "$fb/r.rules" -r pcaps/http_keepalive.pcap -l "$fb" \
            --set app-layer.protocols.http.enabled=$on >/dev/null 2>&1
        got="$got $on:$(python3 "$dir/extract.py" "$fb/eve.json" | grep '^alert' | cut -d' ' -f2,3 | tr ' \n' '/,')"
    done
    want=" yes:sid=1/tx=0,sid=2/tx=0,sid=1/tx=1,sid=2/tx=1, no:sid=1/tx=None,"
    if [ "$got" = "$want" ]; then
        echo "ok   nDPI fallback: http.host per transaction with the parser, once per flow without"
    else
        echo "FAIL nDPI fallback: got '$got', want '$want'"
        fail=1
    fi
fi
[ "$ran" -gt 0 ] || { echo "FAIL no http captures in pcaps/ (python3 pcaps/generate.py)"; exit 1; }
exit $fail
