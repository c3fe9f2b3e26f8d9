#!/bin/bash
# ssl_version and ssl_state as Suricata 7 inspects them: a rule with no
# direction of its own and only these keywords is matched, and fires, once
# per TLS transaction and direction; ssl_version compares the client's
# version going to the server and the server's going to the client.  On
# pcaps/tls_sides.pcap (gen_tls_sides.py) the sides disagree: 52001 offers
# TLS 1.2 and is answered in TLS 1.0; 52002 offers TLS 1.3 (supported_versions,
# after a GREASE value) and is answered in TLS 1.2.  Rules with a direction,
# with other keywords (tls.version: the negotiated version) or that match
# nothing keep one alert per transaction or none.  Two runs: same bytes.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
XIEZHI=${XIEZHI:-$TOP/build/xiezhi}
tmp=$(mktemp -d /tmp/xiezhi-sslsides.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0

cat >"$tmp/test.rules" <<'EOF'
alert tcp any any -> any any (msg:"ssl_version tls1.0"; ssl_version:tls1.0; sid:1;)
alert tcp any any -> any any (msg:"ssl_version tls1.2"; ssl_version:tls1.2; sid:2;)
alert tcp any any -> any any (msg:"ssl_version tls1.3"; ssl_version:tls1.3; sid:3;)
alert tls any any -> any any (msg:"to_server tls1.0"; flow:to_server; ssl_version:tls1.0; sid:4;)
alert tls any any -> any any (msg:"to_client tls1.0"; flow:to_client; ssl_version:tls1.0; sid:5;)
alert tls any any -> any any (msg:"ssl_state client_keyx"; ssl_state:client_keyx; sid:6;)
alert tls any any -> any any (msg:"to_server client_keyx"; flow:to_server; ssl_state:client_keyx; sid:7;)
alert tls any any -> any any (msg:"negotiated 1.0"; tls.version:1.0; sid:8;)
alert tls any any -> any any (msg:"with tls.version"; ssl_version:!tls1.3; tls.version:1.2; sid:9;)
alert tcp any any -> any any (msg:"nothing is SSLv3"; ssl_version:sslv3; sid:10;)
alert tcp any any -> any any (msg:"!tls1.0,!tls1.2"; ssl_version:!tls1.0,!tls1.2; sid:11;)
EOF

# sid, source port -> destination port, in eve.json order
cat >"$tmp/expected" <<'EOF'
2 52001->443
9 52001->443
1 443->52001
5 443->52001
8 443->52001
6 52001->443
7 52001->443
6 443->52001
3 52002->443
11 52002->443
2 443->52002
9 443->52002
6 52002->443
7 52002->443
6 443->52002
EOF

for run in 1 2; do
    mkdir -p "$tmp/out$run"
    "$XIEZHI" -q -r "$TOP/pcaps/tls_sides.pcap" -S "$tmp/test.rules" -l "$tmp/out$run" \
        --set 'outputs.eve.types=[alert]' 2>"$tmp/err$run" ||
        { echo "FAIL: sensor exited $? (run $run)"; cat "$tmp/err$run"; exit 1; }
done
jq -r 'select(.event_type=="alert") | "\(.alert.signature_id) \(.src_port)->\(.dest_port)"' \
    "$tmp/out1/eve.json" >"$tmp/got"
if diff -u "$tmp/expected" "$tmp/got"; then
    echo "ok   tls_sides: $(wc -l <"$tmp/got") alerts, per transaction and direction as Suricata"
else
    echo "FAIL: tls_sides alerts differ (above: - expected, + got)"
    fail=1
fi
cmp -s "$tmp/out1/eve.json" "$tmp/out2/eve.json" ||
    { echo "FAIL: two runs wrote different eve.json"; fail=1; }
[ "$fail" = 0 ] && echo "PASS"
exit $fail
