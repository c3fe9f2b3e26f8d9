#!/bin/bash
# Decoder evasions (issue 14): pcaps/evasion_decoder.pcap (pcaps/gen_evasion.py)
# through the sensor with tests/regress/evasion/evasion.rules must raise
# exactly the alerts in tests/regress/evasion/decoder.expected -- every
# marker seen, on the packet that carried it (a tunnel whose payload does
# not decode leaves the outer datagram; UDP from a tunnel port stays the
# sender's UDP), and the decode-event rules on the packets kept -- and the
# stats event must count what the decoder kept.
# UPDATE=1 rewrites the expected file.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
XIEZHI=${XIEZHI:-$TOP/build/xiezhi}
dir="$TOP/tests/regress/evasion"
tmp=$(mktemp -d /tmp/xiezhi-evasion.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$TOP" || exit 1
fail=0

if ! "$XIEZHI" -S "$dir/evasion.rules" -r pcaps/evasion_decoder.pcap -l "$tmp/out" \
        >"$tmp/stdout" 2>"$tmp/stderr"; then
    echo "FAIL: xiezhi exited non-zero"; sed 's/^/    /' "$tmp/stderr" | tail -20
    exit 1
fi
if grep -qiE "error|warning" "$tmp/stderr"; then
    echo "FAIL: the rules or the capture gave errors:"; sed 's/^/    /' "$tmp/stderr"
    fail=1
fi
jq -r 'select(.event_type == "alert")
       | [.alert.signature_id, .proto, .src_ip, (.src_port // "-"), .dest_ip, (.dest_port // "-")]
       | @tsv' "$tmp/out/eve.json" | sort >"$tmp/got" || { echo "FAIL: eve.json does not parse"; exit 1; }
if [ "${UPDATE:-0}" = 1 ]; then
    cp "$tmp/got" "$dir/decoder.expected"
    echo "wrote $dir/decoder.expected ($(wc -l <"$tmp/got") alerts)"
    exit 0
fi
if ! diff -u "$dir/decoder.expected" "$tmp/got"; then
    echo "FAIL: alerts differ from tests/regress/evasion/decoder.expected"
    fail=1
fi
# Every marker rule (1400001..1400012) fired at least once.
for sid in $(seq 1400001 1400012); do
    grep -q "^$sid	" "$tmp/got" || { echo "FAIL: sid $sid (marker) did not alert"; fail=1; }
done
stat() {
    jq -s --arg k "$1" '[.[] | select(.event_type == "stats")] | last | .xiezhi_stats.decoder
                        | (.[$k] // .errors[$k] // "missing")' "$tmp/out/eve.json"
}
for pair in tunnel_outer_kept=4 ipv6_exthdr_too_many=1 gre_unsupported=1 tunnels=0; do
    got=$(stat "${pair%%=*}")
    [ "$got" = "${pair#*=}" ] || { echo "FAIL: xiezhi_stats.decoder ${pair%%=*} is $got, want ${pair#*=}"; fail=1; }
done
[ $fail -eq 0 ] || exit 1
echo "ok: decoder evasions: $(wc -l <"$tmp/got") alerts as expected, counters right"
