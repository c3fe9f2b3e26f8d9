#!/bin/bash
# Header keywords, flowint, flow.age and the TCP state stream events end to
# end: pcaps/header_keywords.pcap (pcaps/gen_header.py spells out every
# field) through xiezhi, its alerts ("sid@pcap_cnt" in file order) compared
# with the expected ones, and the run repeated for a byte-identical eve.json.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
XIEZHI=${XIEZHI:-$TOP/build/xiezhi}
tmp=$(mktemp -d /tmp/xiezhi-header.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/header.rules" <<'EOF'
alert tcp any any -> any any (msg:"small MSS"; tcp.mss:<536; sid:101;)
alert tcp any any -> any any (msg:"seq and ack"; seq:1001; ack:5001; dsize:5; sid:102;)
alert tcp any any -> any any (msg:"window"; window:1234; sid:103;)
alert tcp any any -> any any (msg:"IP id"; id:4242; sid:104;)
alert tcp any any -> any any (msg:"MSS option bytes"; tcp.hdr; content:"|02 04 01 f4|"; offset:20; depth:4; sid:105;)
alert tcp any any -> any any (msg:"SYN/ACK with MSS 1460"; flow:to_client; tcp.flags:SA; tcp.mss:1460; sid:106;)
alert tcp any any -> any any (msg:"RST injection"; stream-event:suspected_rst_inject; sid:110;)
alert tcp-stream any any -> any 80 (msg:"data after the injected RST"; content:"secret-after-rst"; sid:111;)
alert tcp any any -> any 80 (msg:"count pings"; content:"PING"; flowint:pings,+,1; noalert; sid:120;)
alert tcp any any -> any 80 (msg:"third ping"; content:"PING"; flowint:pings,==,3; sid:121;)
alert icmp any any -> any any (msg:"icmp_seq"; icmp_seq:2216; sid:130;)
alert icmp any any -> any any (msg:"icmp_id of a request"; itype:8; icmp_id:666; sid:131;)
alert icmp any any -> any any (msg:"other icmp_seq"; icmp_seq:5000; sid:132;)
alert tcp any any -> any any (msg:"RST, no session"; stream-event:rst_but_no_session; sid:140;)
alert tcp any any -> any any (msg:"FIN, no session"; stream-event:fin_but_no_session; sid:141;)
alert tcp any any -> any any (msg:"SYN/ACK wrong ack"; stream-event:3whs_synack_with_wrong_ack; sid:142;)
alert tcp any any -> any any (msg:"SYN/ACK wrong direction"; stream-event:3whs_synack_in_wrong_direction; sid:143;)
alert udp any any -> any any (msg:"old flow"; flow.age:>20; sid:150;)
alert udp any any -> any any (msg:"ten seconds"; flow.age:10; sid:151;)
alert tcp-stream any any -> any any (msg:"RST data in the stream"; content:"Access Denied"; sid:160;)
alert tcp-pkt any any -> any any (msg:"RST data on the packet"; tcp.flags:RA; content:"Access Denied"; startswith; sid:161;)
alert tcp any any -> any 8080 (msg:"RST data, tcp rule"; flow:to_server; content:"Access Denied"; sid:162;)
alert tcp any any -> any any (msg:"SYN/ACK again, other ISN"; stream-event:3whs_synack_resend_with_diff_seq; sid:170;)
alert tcp any any -> any any (msg:"SYN/ACK again, other ack"; stream-event:3whs_synack_resend_with_different_ack; sid:171;)
EOF

run() {
    mkdir -p "$tmp/$1"
    "$XIEZHI" -q -r "$TOP/pcaps/header_keywords.pcap" -S "$tmp/header.rules" -l "$tmp/$1" \
        2>"$tmp/$1/err" || { echo "FAIL: xiezhi exited non-zero:"; cat "$tmp/$1/err"; exit 1; }
}
run a
run b
got=$(python3 - "$tmp/a/eve.json" <<'PY'
import json, sys
out = []
for line in open(sys.argv[1]):
    ev = json.loads(line)
    if ev["event_type"] == "alert":
        out.append("%d@%s" % (ev["alert"]["signature_id"], ev.get("pcap_cnt", "end")))
print(" ".join(out))
PY
)
want="101@1 105@1 106@2 102@5 103@5 104@5 110@5 111@6 121@13 130@14 131@14 130@15 140@16 141@17 142@19 143@21 151@23 150@24 161@29 162@29 170@33 171@34"
fail=0
if [ "$got" = "$want" ]; then
    echo "PASS  alerts: $got"
else
    echo "FAIL  alerts:"; echo "  want $want"; echo "  got  $got"; fail=1
fi
if cmp -s "$tmp/a/eve.json" "$tmp/b/eve.json"; then
    echo "PASS  eve.json byte-identical across two runs"
else
    echo "FAIL  eve.json differs between two runs"; fail=1
fi
exit $fail
