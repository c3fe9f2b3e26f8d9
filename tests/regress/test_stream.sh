#!/bin/bash
# TCP reassembly end to end: the crafted captures of pcaps/gen_stream.py
# through xiezhi with one rule file, each compared with its expected alerts
# ("sid@pcap_cnt", "end" for an alert raised by the flow's end).  Rule 1 is a
# plain tcp content rule, 3 the same on tcp-pkt (packets only), 4 on
# tcp-stream (stream only); 2 and 7 chain relative contents; 5 and 6 are
# stream events.  Where Suricata documents the behaviour it is the model:
# a pattern split over segments alerts once, on the packet that completes
# it; out-of-order data alerts when the gap closes; a retransmission does
# not alert again on the stream; the bytes seen first win an overlap.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
XIEZHI=${XIEZHI:-$TOP/build/xiezhi}
PCAPS=$TOP/pcaps
tmp=$(mktemp -d /tmp/xiezhi-stream.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0

cat >"$tmp/stream.rules" <<'EOF'
alert tcp any any -> any 80 (msg:"passwd"; flow:to_server; content:"/etc/passwd"; sid:1;)
alert tcp any any -> any 80 (msg:"USER admin"; content:"USER "; content:"admin"; distance:0; within:8; sid:2;)
alert tcp-pkt any any -> any 80 (msg:"passwd, packets only"; content:"/etc/passwd"; sid:3;)
alert tcp-stream any any -> any 80 (msg:"passwd, stream only"; content:"/etc/passwd"; sid:4;)
alert tcp any any -> any any (msg:"overlap with different data"; stream-event:reassembly_overlap_different_data; sid:5;)
alert tcp any any -> any any (msg:"gap"; stream-event:reassembly_seq_gap; sid:6;)
alert tcp any any -> any 80 (msg:"RETR confidential"; content:"RETR "; content:"confidential"; distance:0; sid:7;)
alert tcp any any -> any 80 (msg:"RETR secret-plan"; content:"RETR secret-plan"; sid:8;)
alert tcp any any -> any 80 (msg:"shadow"; content:"/etc/shadow"; sid:9;)
alert tcp any any -> any 80 (msg:"group"; content:"/etc/group"; sid:10;)
alert tcp any any -> any 80 (msg:"motd"; content:"/etc/motd"; sid:11;)
alert tcp any any -> any 80 (msg:"held shadow"; content:"shadow|0d 0a|"; sid:12;)
EOF

# alerts NAME [--set ...]: the alerts of pcaps/stream_NAME.pcap, in file order
alerts() {
    local name=$1 out=$tmp/$1.$RANDOM
    shift
    mkdir -p "$out"
    if ! "$XIEZHI" -q -r "$PCAPS/stream_$name.pcap" -S "$tmp/stream.rules" -l "$out" "$@" \
        2>"$out/err"; then
        echo "FAIL: $name: xiezhi exited non-zero:"; cat "$out/err"; fail=1
    fi
    python3 - "$out/eve.json" <<'PY'
import json, sys
out = []
for line in open(sys.argv[1]):
    ev = json.loads(line)
    if ev["event_type"] == "alert":
        out.append("%d@%s" % (ev["alert"]["signature_id"], ev.get("pcap_cnt", "end")))
print(" ".join(out))
PY
    cp "$out/eve.json" "$tmp/last.json"
}

check() {
    local what=$1 want=$2 got=$3
    if [ "$want" = "$got" ]; then
        echo "PASS  $what: $got"
    else
        echo "FAIL  $what: want '$want', got '$got'"; fail=1
    fi
}

# split: completes at packet 5; packet 6 has it whole (one alert, not two)
# and "USER " at the end of 5 with "admin" at the start of 6
check split "1@5 4@5 1@6 2@6 3@6 4@6" "$(alerts split)"
check out-of-order "1@5 4@5" "$(alerts out_of_order)"
check one-byte-segments "1@18 4@18" "$(alerts one_byte)"
# tcp-pkt looks at every packet, retransmitted or not; the stream once
check retransmission "1@4 3@4 4@4 3@5 3@6" "$(alerts retransmission)"
check overlap-same-data "1@5 4@5" "$(alerts overlap_same)"
# the 'retransmission' saying /etc/passwd loses to the first bytes (only the
# packet rule sees it); the held "shadow" wins over the in-order "motd"
check overlap-different-data "3@5 5@5 5@7 12@7" "$(alerts overlap_different)"
check midstream "1@2 4@2" "$(alerts midstream)"
check midstream-off "" "$(alerts midstream --set stream.midstream=no)"
# flow 1: the gap is given up when the server has acknowledged past it;
# flow 2: only the flow's end releases the held data
check gap "6@7 7@7 8@end" "$(alerts gap)"
check depth-8kb "1@8 4@8 10@20" "$(alerts depth --set stream.reassembly.depth=8kb)"
# reassembly off: packets only; tcp-stream rules have nothing to look at
check depth-0-split "1@6 3@6" "$(alerts split --set stream.reassembly.depth=0)"

# the counters of the last run of a capture with every kind of trouble
alerts gap >/dev/null
python3 - "$tmp/last.json" <<'PY' || fail=1
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if '"event_type":"stats"' in l][-1]
# Suricata's names under stats.tcp, xiezhi's own under xiezhi_stats.reassembly
r = dict(ev["xiezhi_stats"]["reassembly"])
r["gaps"] = ev["stats"]["tcp"]["reassembly_gap"]
r["memory"] = ev["stats"]["tcp"]["reassembly_memuse"]
want = {"streams": 4, "gaps": 2, "gaps_acked": 1, "gaps_flushed": 1, "gap_bytes": 23,
        "out_of_order": 2, "memory": 0, "eof": 4}
bad = {k: (v, r.get(k)) for k, v in want.items() if r.get(k) != v}
if bad:
    print("FAIL  reassembly counters (want, got):", bad)
    sys.exit(1)
print("PASS  reassembly counters:", {k: r[k] for k in want})
PY

# deterministic: the same capture twice gives the same bytes
a=$tmp/det1 b=$tmp/det2
mkdir -p "$a" "$b"
for d in "$a" "$b"; do
    "$XIEZHI" -q -r "$PCAPS/stream_overlap_different.pcap" -r "$PCAPS/stream_gap.pcap" \
        -S "$tmp/stream.rules" -l "$d" 2>/dev/null
done
cmp -s "$a/eve.json" "$b/eve.json" && echo "PASS  deterministic eve.json" ||
    { echo "FAIL  eve.json differs between two runs"; fail=1; }

# a bad stream.* value is a configuration error, reported by -T too
printf 'stream:\n  reassembly:\n    depth: lots\n  midstream: maybe\n' >"$tmp/bad.yaml"
"$XIEZHI" -T -c "$tmp/bad.yaml" -S "$tmp/stream.rules" >"$tmp/bad.out" 2>&1
rc=$?
if [ $rc -eq 2 ] && grep -q "bad.yaml:3: stream.reassembly.depth" "$tmp/bad.out" &&
    grep -q "bad.yaml:4: stream.midstream" "$tmp/bad.out"; then
    echo "PASS  -T reports bad stream.* values with file and line"
else
    echo "FAIL  -T on bad stream.* values: exit $rc:"; cat "$tmp/bad.out"; fail=1
fi

[ $fail -eq 0 ] && echo "stream: all cases as expected"
exit $fail
