#!/bin/bash
# The app-layer parsers' malformed-input counters in the final stats event:
# pcaps/proto_malformed.pcap (made by pcaps/gen_proto.py: hostile DNS over
# UDP and TCP, TLS, SSH and HTTP, a stream gap in DNS and TLS) must end in
# exactly these values of Suricata's stats.app_layer.error.<proto>
# {parser, gap, alloc} and of xiezhi's xiezhi_stats.app_layer.<proto>;
# the well-formed captures of the same parsers must end in no error at all;
# the stats events validate against Suricata's EVE schema.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
XIEZHI=${XIEZHI:-$TOP/build/xiezhi}
SCHEMA=${EVE_SCHEMA:-$TOP/../shared/corpus/suricata-eve-schema.json}
cd "$TOP" || exit 1
tmp=$(mktemp -d /tmp/xiezhi-alerr.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0

run() {     # run NAME PCAP: eve.json with stats in $tmp/NAME
    "$XIEZHI" -q -r "$2" -l "$tmp/$1" --set 'outputs.eve.types=[stats]' 2>"$tmp/$1.err" ||
        { echo "FAIL: $1: sensor exited $?"; sed 's/^/    | /' "$tmp/$1.err"; fail=1; }
}

# want NAME JQ-PATH VALUE: the last stats event of run NAME has VALUE at path.
want() {
    local got
    got=$(jq -s -c "[.[] | select(.event_type == \"stats\")] | last | $2" "$tmp/$1/eve.json" 2>/dev/null)
    [ "$got" = "$3" ] || { echo "FAIL: $1: $2 = ${got:-nothing}, want $3"; fail=1; }
}

run malformed pcaps/proto_malformed.pcap
E='.stats.app_layer.error'
X='.xiezhi_stats.app_layer'
# DNS over UDP: a self-pointing name, a 3-byte message, rdata past the end,
# a label past the end; two good queries around them.
want malformed "$E.dns_udp" '{"parser":4,"gap":0,"alloc":0}'
want malformed "$X.dns_udp" '{"given_up":0,"messages":2,"queries":2,"responses":0,"txs":2,"unanswered":0,"unsolicited":0,"malformed_header":1,"malformed_name":1,"malformed_pointer":1,"malformed_record":1,"malformed_tcp_length":0,"txs_dropped":0}'
# DNS over TCP: a zero length prefix (that side stops; the answer still
# pairs), and 40 lost bytes in a client stream (a gap, not a parser error).
want malformed "$E.dns_tcp" '{"parser":1,"gap":1,"alloc":0}'
want malformed "$X.dns_tcp" '{"given_up":0,"messages":4,"queries":2,"responses":2,"txs":2,"unanswered":0,"unsolicited":0,"malformed_header":0,"malformed_name":0,"malformed_pointer":0,"malformed_record":0,"malformed_tcp_length":1,"txs_dropped":0}'
# TLS: a certificate that is not DER, a handshake message claiming 16 MB, a
# ClientHello cut inside, a record of version 9.9; a gap after a ClientHello.
want malformed "$E.tls" '{"parser":4,"gap":1,"alloc":0}'
want malformed "$X.tls" '{"given_up":0,"records":6,"handshakes":6,"certificates":1,"malformed_record":1,"malformed_handshake":1,"malformed_hello":1,"malformed_extension":0,"malformed_certificate":1}'
# SSH: a 300-byte banner, a 4 GB packet, a KEXINIT name-list past its packet.
want malformed "$E.ssh" '{"parser":3,"gap":0,"alloc":0}'
want malformed "$X.ssh" '{"given_up":1,"banners":3,"packets":1,"kexinits":0,"malformed_banner":1,"malformed_packet":1,"malformed_kexinit":1}'
# HTTP: a chunk length that is not hex (an anomaly event, and LibHTP stops).
want malformed "$E.http" '{"parser":2,"gap":0,"alloc":0}'
want malformed "$X.http" '{"given_up":1,"txs":1,"txs_with_events":1,"events":1,"stream_errors":1}'
want malformed '.stats.app_layer.flow' '{"http":1,"dns_tcp":2,"dns_udp":1,"tls":4,"ssh":2,"http2":0}'

# Well-formed traffic: every parser error counter stays 0, while the
# parsers did see it (their own counters move).
for cap in proto_dns_udp proto_dns_tcp proto_tls proto_tlcp proto_ssh proto_sslv2 http_keepalive http_gzip_chunked h2c_prior h2c_doh h2c_upgrade; do
    run "$cap" "pcaps/$cap.pcap"
    want "$cap" "[$E[] | .parser + .gap + .alloc] | add" 0
done
want proto_dns_udp "$X.dns_udp.responses" 13
want proto_dns_tcp "$X.dns_tcp.responses" 13
want proto_tls "$X.tls.certificates > 0" true
want proto_ssh "$X.ssh.kexinits" 2
want http_keepalive "$X.http.txs > 1" true

# The same capture twice: the same counters.
run malformed2 pcaps/proto_malformed.pcap
a=$(jq -c 'select(.event_type == "stats") | .stats.app_layer, .xiezhi_stats.app_layer' "$tmp/malformed/eve.json")
b=$(jq -c 'select(.event_type == "stats") | .stats.app_layer, .xiezhi_stats.app_layer' "$tmp/malformed2/eve.json")
[ "$a" = "$b" ] || { echo "FAIL: two runs count differently"; fail=1; }

python3 - "$SCHEMA" "$tmp"/*/eve.json <<'PY' || fail=1
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
v = jsonschema.Draft202012Validator(schema) if hasattr(jsonschema, "Draft202012Validator") \
    else jsonschema.Draft7Validator(schema)
bad = n = 0
for path in sys.argv[2:]:
    for line in open(path, encoding="utf-8"):
        e = json.loads(line)
        if e.get("event_type") != "stats":
            continue
        for k in ("xiezhi_stats", "sensor", "event_id"):
            e.pop(k, None)
        n += 1
        errs = list(v.iter_errors(e))
        if errs:
            bad += 1
            print("FAIL: schema:", path.split("/")[-2], errs[0].message[:200])
print(f"schema: {n} stats events checked, {bad} invalid")
sys.exit(1 if bad else 0)
PY
[ $fail = 0 ] && echo "ok   app-layer error counters as expected"
exit $fail
