#!/bin/bash
# Multi-buffers through the whole sensor (docs/rules.md, "Multi-buffers"):
# pcaps/multibuf_dns.pcap with tests/regress/multibuf/multibuf.rules must
# give exactly the expected alerts, each on the second transaction (the one
# with two questions and three answers): a chain holds within one name, a
# repeated keyword is matched by any name, the fast pattern is found in a
# later name; the "(never)" rules stay silent.  Two runs are byte-identical.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
XIEZHI=${XIEZHI:-$TOP/build/xiezhi}
tmp=$(mktemp -d /tmp/xiezhi-multibuf.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$TOP" || exit 1
fail=0

"$XIEZHI" -T -S tests/regress/multibuf/multibuf.rules >"$tmp/T.out" 2>&1 ||
    { echo "FAIL: multibuf.rules do not all load:"; cat "$tmp/T.out"; exit 1; }
for run in 1 2; do
    "$XIEZHI" -q -r pcaps/multibuf_dns.pcap -s tests/regress/multibuf/multibuf.rules \
        -l "$tmp/$run" --set 'outputs.eve.types=[alert,dns]' 2>"$tmp/err.$run" ||
        { echo "FAIL: sensor exited $?"; cat "$tmp/err.$run"; exit 1; }
done
cmp -s "$tmp/1/eve.json" "$tmp/2/eve.json" || { echo "FAIL: two runs differ"; fail=1; }

got=$(jq -r 'select(.event_type == "alert") | "\(.alert.signature_id) tx=\(.tx_id)"' \
    "$tmp/1/eve.json" | sort | tr '\n' ' ')
want="9013101 tx=1 9013103 tx=1 9013104 tx=1 9013106 tx=1 9013107 tx=1 "
if [ "$got" = "$want" ]; then
    echo "ok   multibuf_dns: alerts $got"
else
    echo "FAIL: multibuf_dns alerts"
    echo "    got:  $got"
    echo "    want: $want"
    fail=1
fi
# A request and a response event per transaction, each with its questions.
ndns=$(jq -r 'select(.event_type == "dns") | "\(.dns.type):\(.dns.queries | length)"' "$tmp/1/eve.json" | tr '\n' ' ')
[ "$ndns" = "request:1 response:1 request:2 response:2 " ] ||
    { echo "FAIL: dns events' question counts: $ndns (want request:1 response:1 request:2 response:2)"; fail=1; }
exit $fail
