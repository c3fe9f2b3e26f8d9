#!/bin/bash
# The hostile-input capture corpus (pcaps/malformed/, made by
# pcaps/gen_malformed.py) through the whole sensor.  For every capture: no
# crash and no sanitizer report (run it with an ASan build: the ASan suite
# tests/fuzz/test_asan_regress.sh does), every malformed frame ends in its
# decoder error counter in the final stats event, a corrupt file in one
# clear message naming it and exit code 1, and the good frames after the bad
# ones are still processed (their flow event counts them).
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
XIEZHI=${XIEZHI:-$TOP/build/xiezhi}
M=$TOP/pcaps/malformed
tmp=$(mktemp -d /tmp/xiezhi-malformed.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

if [ ! -f "$M/packets.pcap" ]; then
    if [ -f "$TOP/pcaps/gen_malformed.py" ]; then
        echo "FAIL: pcaps/malformed/ is missing: run python3 pcaps/generate.py"
        exit 1
    fi
    echo "pending: no malformed corpus yet (pcaps/gen_malformed.py)"
    exit 0
fi
for stage in capture_open_offline decode_packet flow_table_lookup; do
    if ! nm "$XIEZHI" 2>/dev/null | grep -q " T $stage\$"; then
        echo "pending: the sensor does not run the packet path yet ($stage is not linked)"
        exit 0
    fi
done

# sensor NAME PATH...: runs the sensor on the paths; exit code in $tmp/NAME.rc.
sensor() {
    local name=$1; shift
    local args=()
    for p in "$@"; do args+=(-r "$p"); done
    mkdir -p "$tmp/$name"
    "$XIEZHI" "${args[@]}" -l "$tmp/$name" >"$tmp/$name.out" 2>"$tmp/$name.err"
    echo $? >"$tmp/$name.rc"
    if grep -aqE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|Segmentation|Aborted' "$tmp/$name.err"; then
        bad "$name: sanitizer report or crash:"
        grep -a -m1 -A25 -E 'ERROR:|runtime error:' "$tmp/$name.err" | sed 's/^/    | /'
    fi
    if [ -s "$tmp/$name/eve.json" ] && ! jq -e . "$tmp/$name/eve.json" >/dev/null 2>&1; then
        bad "$name: eve.json does not parse"
    fi
}

want_rc() {
    local got
    got=$(cat "$tmp/$1.rc")
    [ "$got" = "$2" ] || bad "$1: exit code $got, want $2; stderr: $(head -5 "$tmp/$1.err")"
}

# good_flow NAME PKTS: the flow of the good frames (10.9.0.1:5353 ->
# 10.9.0.2:5353, UDP) was reported with PKTS packets to the server.
good_flow() {
    local n
    n=$(jq -s '[.[] | select(.event_type == "flow" and .src_ip == "10.9.0.1" and .dest_ip == "10.9.0.2"
                     and .src_port == 5353 and .dest_port == 5353)
               | .flow.pkts_toserver] | add // 0' "$tmp/$1/eve.json" 2>/dev/null)
    [ "${n:-0}" = "$2" ] || bad "$1: the good flow after the bad frames has ${n:-no} packets, want $2"
}

# one_message NAME FILE: exactly one stderr line names FILE.
one_message() {
    local n
    n=$(grep -c -F -- "$2" "$tmp/$1.err")
    [ "$n" -eq 1 ] || { bad "$1: $n stderr lines name $2, want 1:"; sed 's/^/    | /' "$tmp/$1.err"; }
}

# ---- malformed frames: a counter each, and the rest still processed ----
sensor packets "$M/packets.pcap"
want_rc packets 0
good_flow packets 5
for reason in link_truncated vlan_truncated vlan_too_deep mpls_truncated mpls_too_deep \
    pppoe_truncated ipv4_truncated ipv4_bad_version ipv4_bad_ihl ipv4_bad_length \
    ipv6_truncated ipv6_bad_length ipv6_exthdr_too_many tunnel_too_deep gre_truncated \
    tcp_truncated tcp_bad_offset udp_truncated udp_bad_length icmp_truncated sctp_truncated \
    frag_overlap frag_too_large; do
    n=$(jq -s --arg r "$reason" '[.[] | select(.event_type == "stats")] | last
            | (.xiezhi_stats.decoder.errors[$r] // .xiezhi_stats.decoder[$r] // 0)' "$tmp/packets/eve.json" 2>/dev/null)
    [ "${n:-0}" -gt 0 ] 2>/dev/null || bad "packets: xiezhi_stats.decoder.errors.$reason is ${n:-missing}, want > 0"
done

# ---- corrupt capture files: one message naming the file, exit 1, the
# packets before the damage processed ----
for f in bad_magic empty truncated_record truncated_header caplen_huge; do
    sensor "$f" "$M/$f.pcap"
    want_rc "$f" 1
    one_message "$f" "$f.pcap"
done
good_flow truncated_record 2
good_flow truncated_header 2
good_flow caplen_huge 1

# caplen above the file's snaplen: libpcap reads it cut to the snaplen; the
# frame after it is read too.
sensor caplen_over_snaplen "$M/caplen_over_snaplen.pcap"
good_flow caplen_over_snaplen 3

# ---- a bad file does not stop the next one ----
sensor sequence "$M/bad_magic.pcap" "$M/truncated_record.pcap" "$M/packets.pcap"
want_rc sequence 1
good_flow sequence 7

[ $fail -eq 0 ] || exit 1
echo "ok: malformed corpus: counters, messages, exit codes, and the good frames processed"
