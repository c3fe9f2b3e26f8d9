#!/bin/bash
# The DNS, TLS/TLCP and SSH parsers through the whole sensor, on the
# captures of pcaps/gen_proto.py with the default rule pack plus
# tests/regress/proto/proto.rules (one rule per protocol keyword): every
# dns/tls/ssh event and alert, reduced to its telling fields, equals
# tests/regress/proto/<capture>.expected; every protocol event validates
# against Suricata's EVE schema once xiezhi's own objects are set aside;
# a second run writes byte-identical eve.json.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
XIEZHI=${XIEZHI:-$TOP/build/xiezhi}
SCHEMA=${EVE_SCHEMA:-$TOP/../shared/corpus/suricata-eve-schema.json}
cd "$TOP" || exit 1
tmp=$(mktemp -d /tmp/xiezhi-proto.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0

"$XIEZHI" -T -S tests/regress/proto/proto.rules >"$tmp/T.out" 2>&1 ||
    { echo "FAIL: proto.rules do not all load:"; cat "$tmp/T.out"; fail=1; }

# Bad values: each rule refused alone with file:line and what is wrong.
cat >"$tmp/bad.rules" <<'RULES'
alert dns any any -> any any (msg:"x"; dns.rrtype:NOSUCHTYPE; sid:1;)
alert dns any any -> any any (msg:"x"; dns.rcode:WHATEVER; sid:2;)
alert tls any any -> any any (msg:"x"; ssl_version:tls9; sid:3;)
alert tls any any -> any any (msg:"x"; ssl_state:client_bye; sid:4;)
alert tls any any -> any any (msg:"x"; tls_cert_notafter:yesterday; sid:5;)
alert tls any any -> any any (msg:"x"; tls.certs; sid:6;)
alert tls any any -> any any (msg:"x"; tls.version:1.2; sid:7;)
RULES
"$XIEZHI" -T -S "$tmp/bad.rules" >"$tmp/bad.out" 2>&1
for want in "bad.rules:1: invalid dns.rrtype 'NOSUCHTYPE'" "bad.rules:2: invalid dns.rcode 'WHATEVER'" \
            "bad.rules:3: invalid ssl_version 'tls9'" "bad.rules:4: invalid ssl_state 'client_bye'" \
            "bad.rules:5: invalid tls_cert_notafter 'yesterday'" "bad.rules:6: keyword 'tls.certs' is not supported"; do
    grep -qF "$want" "$tmp/bad.out" || { echo "FAIL: no message: $want"; cat "$tmp/bad.out"; fail=1; }
done
grep -q "bad.rules:7" "$tmp/bad.out" && { echo "FAIL: a good rule was refused"; fail=1; }

# One line per event: what a reviewer checks by eye.
digest() {
    jq -r '
      if .event_type == "dns" then
        "dns \(.dns.tx_id) \(.dns.type) \(.dns.id) \(.dns.rcode // "-") \(.dns.queries[0].rrname // "-") \(.dns.queries[0].rrtype // "-") answers=\(.dns.answers // [] | length) authorities=\(.dns.authorities // [] | length)"
      elif .event_type == "tls" then
        "tls \(.src_port) \(.tls.version) sni=\(.tls.sni // "-") subject=\(.tls.subject // "-") serial=\(.tls.serial // "-") ja3=\(.tls.ja3.hash // "-") ja3s=\(.tls.ja3s.hash // "-") ja4=\(.tls.ja4 // "-") suite=\(.tls_info.cipher_suite // "-") chain=\(.tls_info.chain_len // "-") enc=\(.tls_info.encryption_cert.serial // "-")"
      elif .event_type == "ssh" then
        "ssh client=\(.ssh.client.software_version) \(.ssh.client.hassh.hash) server=\(.ssh.server.software_version) \(.ssh.server.hassh.hash)"
      elif .event_type == "alert" then
        "alert \(.alert.signature_id) \(.app_proto) \(.src_port)->\(.dest_port) \(.alert.signature)"
      else empty end' "$1"
}

# The TLS servers of the captures are the government services of rule
# 1100100 (its $TLCP_SERVERS is empty by default: checked below).
for cap in proto_dns_udp proto_dns_tcp proto_tls proto_tlcp proto_ssh proto_malformed proto_sslv2; do
    for run in 1 2; do
        "$XIEZHI" -q -r "pcaps/$cap.pcap" -s tests/regress/proto/proto.rules -l "$tmp/$cap.$run" \
            --set 'outputs.eve.types=[alert,dns,tls,ssh]' \
            --set 'vars.address-groups.TLCP_SERVERS=[10.0.0.44,10.0.0.45]' 2>"$tmp/$cap.err" ||
            { echo "FAIL: $cap: sensor exited $?"; cat "$tmp/$cap.err"; fail=1; continue; }
    done
    if ! cmp -s "$tmp/$cap.1/eve.json" "$tmp/$cap.2/eve.json"; then
        echo "FAIL: $cap: two runs differ"
        fail=1
    fi
    digest "$tmp/$cap.1/eve.json" >"$tmp/$cap.got"
    if diff -u "tests/regress/proto/$cap.expected" "$tmp/$cap.got" >"$tmp/$cap.diff"; then
        echo "ok   $cap: $(wc -l <"$tmp/$cap.got") events and alerts as expected"
    else
        echo "FAIL: $cap:"
        sed 's/^/    | /' "$tmp/$cap.diff"
        fail=1
    fi
done

# Default configuration: $TLCP_SERVERS names no server, so 1100100 stays
# silent on the same international TLS handshakes; the other policy rules
# (expired, self-signed SM2 certificate) still fire.
"$XIEZHI" -q -r pcaps/proto_tlcp.pcap -l "$tmp/tlcp_default" --set 'outputs.eve.types=[alert]' 2>"$tmp/tlcp_default.err"
n100=$(jq -s '[.[] | select(.alert.signature_id == 1100100)] | length' "$tmp/tlcp_default/eve.json")
n102=$(jq -s '[.[] | select(.alert.signature_id == 1100102 or .alert.signature_id == 1100103)] | length' "$tmp/tlcp_default/eve.json")
if [ "$n100" = 0 ] && [ "$n102" -gt 0 ]; then
    echo "ok   TLCP_SERVERS empty by default: 1100100 silent, 1100102/3 fire $n102 times"
else
    echo "FAIL: default TLCP_SERVERS: 1100100 fired $n100 times (want 0), 1100102/3 $n102 (want > 0)"
    fail=1
fi

# outputs.eve.dns: requests/responses, formats, types.  proto_dns_udp has 13
# answered queries: 26 events by default; 13 without requests; with types
# [a, cname] only the questions of those types (A: tx 0, 2, 12; tx 2's answer
# is CNAME + A) and only such records; with formats [grouped] no answers[].
dns_opts() {    # dns_opts NAME --set... : the dns events' digest in $tmp/NAME.dns
    local name=$1; shift
    "$XIEZHI" -q -r pcaps/proto_dns_udp.pcap -l "$tmp/$name" --set 'outputs.eve.types=[dns]' "$@" \
        2>"$tmp/$name.err" || { echo "FAIL: dns options $name: sensor exited $?"; cat "$tmp/$name.err"; fail=1; }
    jq -r '"\(.dns.tx_id) \(.dns.type) q=\([.dns.queries[]?.rrtype] | join(",")) a=\([.dns.answers[]?.rrtype] | join(",")) g=\(.dns.grouped // {} | keys_unsorted | join(","))"' \
        "$tmp/$name/eve.json" >"$tmp/$name.dns"
}
want_dns() {    # want_dns NAME JQ-COUNT-FILTER N
    local got
    got=$(grep -c -E "$2" "$tmp/$1.dns")
    [ "$got" = "$3" ] || { echo "FAIL: dns options $1: $got lines match '$2', want $3"; sed 's/^/    | /' "$tmp/$1.dns"; fail=1; }
}
dns_opts all
want_dns all ' request ' 13
want_dns all ' response ' 13
dns_opts noreq --set outputs.eve.dns.requests=no
want_dns noreq ' request ' 0
want_dns noreq ' response ' 13
dns_opts noresp --set outputs.eve.dns.responses=no
want_dns noresp ' response ' 0
want_dns noresp ' request ' 13
dns_opts types --set 'outputs.eve.dns.types=[a,cname]'
want_dns types '.' 6
want_dns types '^2 response q=A a=CNAME,A g=CNAME,A$' 1
want_dns types 'q=(AAAA|MX|TXT|SOA)' 0
dns_opts grouped --set 'outputs.eve.dns.formats=[grouped]'
want_dns grouped ' a=[A-Z]' 0
want_dns grouped '^2 response q=A a= g=CNAME,A$' 1
dns_opts detailed --set 'outputs.eve.dns.formats=[detailed]'
want_dns detailed ' g=[A-Z]' 0
want_dns detailed '^2 response q=A a=CNAME,A g=$' 1
"$XIEZHI" -T --set 'outputs.eve.dns.types=[a,bogus]' --set 'outputs.eve.dns.formats=[fancy]' >"$tmp/dnsbad.out" 2>&1 &&
    { echo "FAIL: bad outputs.eve.dns values accepted"; fail=1; }
for want in "outputs.eve.dns.types: 'bogus' is not a DNS record type" "outputs.eve.dns.formats: 'fancy' is not detailed or grouped"; do
    grep -qF "$want" "$tmp/dnsbad.out" || { echo "FAIL: no message: $want"; cat "$tmp/dnsbad.out"; fail=1; }
done
[ $fail = 0 ] && echo "ok   outputs.eve.dns requests/responses/formats/types"

# Suricata's schema, xiezhi's own top-level objects set aside.
python3 - "$SCHEMA" "$tmp"/proto_*.1/eve.json <<'PY' || fail=1
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
validator = jsonschema.Draft202012Validator(schema) if hasattr(jsonschema, "Draft202012Validator") \
    else jsonschema.Draft7Validator(schema)
ours = {"ndpi", "geoip", "sensor", "event_id", "tls_info", "anomaly"}
checked = bad = 0
for path in sys.argv[2:]:
    for line in open(path, encoding="utf-8"):
        e = json.loads(line)
        if e["event_type"] not in ("dns", "tls", "ssh", "alert"):
            continue
        for k in ours:
            e.pop(k, None)
        errors = list(validator.iter_errors(e))
        checked += 1
        if errors:
            bad += 1
            print("FAIL: schema:", path.split("/")[-2], e["event_type"], errors[0].message[:200])
print(f"schema: {checked} events checked, {bad} invalid")
sys.exit(1 if bad else 0)
PY
exit $fail
