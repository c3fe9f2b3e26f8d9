#!/bin/bash
# GeoIP tooling: (1) tools/geoip-asn-mmdb.pl turns an ip-location-db ASN CSV
# (quoted organisations, IPv6, bad lines) into a GeoLite2-ASN .mmdb that
# xiezhi-geoip reads back exactly; (2) when `make geoip` has installed the
# real databases, xiezhi-geoip agrees with libmaxminddb's mmdblookup on them.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
tool="$TOP/$BUILD/xiezhi-geoip"
[ -x "$tool" ] || { echo "FAIL: $tool not built"; exit 1; }
tmp=$(mktemp -d /tmp/xiezhi-geoip-tools.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0

cat >"$tmp/asn.csv" <<'EOF'
1.0.0.0,1.0.0.255,13335,"Cloudflare, Inc."
1.0.4.0,1.0.7.255,38803,Gtelecom Pty Ltd
1.0.128.0,1.0.196.255,23969,"He said ""hi"", Ltd"
2001:200::,2001:200:1b9:ffff:ffff:ffff:ffff:ffff,2500,WIDE Project
not,an,asn,line
5.5.5.5,5.5.5.10,0,zero is no ASN
EOF
if ! perl "$TOP/tools/geoip-asn-mmdb.pl" "$tmp/asn.mmdb" "$tmp/asn.csv" >"$tmp/conv.out" 2>"$tmp/conv.err"; then
    echo "FAIL: geoip-asn-mmdb.pl failed:"; cat "$tmp/conv.err"; exit 1
fi
grep -qx "4 ranges, 2 bad lines skipped" "$tmp/conv.out" || { echo "FAIL: converter said: $(cat "$tmp/conv.out")"; fail=1; }
grep -q "asn.csv:5: skipped: not,an,asn,line" "$tmp/conv.err" || { echo "FAIL: bad line not reported"; cat "$tmp/conv.err"; fail=1; }

"$tool" -a "$tmp/asn.mmdb" 1.0.0.1 1.0.7.255 1.0.8.0 1.0.150.3 2001:200:1b9::1 2001:200:1ba::1 5.5.5.6 >"$tmp/got"
cat >"$tmp/want" <<'EOF'
{"ip":"1.0.0.1","found":true,"asn":13335,"org":"Cloudflare, Inc."}
{"ip":"1.0.7.255","found":true,"asn":38803,"org":"Gtelecom Pty Ltd"}
{"ip":"1.0.8.0","found":false}
{"ip":"1.0.150.3","found":true,"asn":23969,"org":"He said \"hi\", Ltd"}
{"ip":"2001:200:1b9::1","found":true,"asn":2500,"org":"WIDE Project"}
{"ip":"2001:200:1ba::1","found":false}
{"ip":"5.5.5.6","found":false}
EOF
if ! diff -u "$tmp/want" "$tmp/got"; then
    echo "FAIL: xiezhi-geoip answers differ on the converted ASN database"; fail=1
fi

country="$TOP/data/geoip/country.mmdb" asn="$TOP/data/geoip/asn.mmdb"
if [ -s "$country" ] && [ -s "$asn" ] && command -v mmdblookup >/dev/null; then
    checked=0
    for ip in 8.8.8.8 1.1.1.1 9.9.9.9 114.114.114.114 202.106.0.20 77.88.8.8 \
              2001:4860:4860::8888 2606:4700:4700::1111 240e:4c:4008::1; do
        want_cc=$(mmdblookup -f "$country" -i "$ip" country_code 2>/dev/null | sed -n 's/.*"\(..\)" <utf8_string>.*/\1/p')
        want_asn=$(mmdblookup -f "$asn" -i "$ip" autonomous_system_number 2>/dev/null | sed -n 's/^ *\([0-9]*\) <uint32>.*/\1/p')
        got=$("$tool" -c "$country" -a "$asn" "$ip")
        got_cc=$(echo "$got" | sed -n 's/.*"country":"\([A-Z]*\)".*/\1/p')
        got_asn=$(echo "$got" | sed -n 's/.*"asn":\([0-9]*\).*/\1/p')
        if [ "$want_cc" != "$got_cc" ] || [ "$want_asn" != "$got_asn" ]; then
            echo "FAIL: $ip: mmdblookup says country '$want_cc' asn '$want_asn', xiezhi-geoip: $got"; fail=1
        fi
        checked=$((checked + 1))
    done
    echo "real databases: $checked addresses agree with mmdblookup"
    # the npm country data places some private ranges in a country; xiezhi
    # never reports private addresses
    for ip in 192.168.1.1 172.31.3.224 10.0.0.1 fd00::1; do
        got=$("$tool" -c "$country" -a "$asn" "$ip")
        [ "$got" = "{\"ip\":\"$ip\",\"found\":false}" ] ||
            { echo "FAIL: private $ip got a location: $got"; fail=1; }
    done
else
    echo "real databases not installed (make geoip): that part skipped"
fi
[ $fail -eq 0 ] && echo "geoip tools: ok"
exit $fail
