#!/bin/bash
# The default rule pack end to end: it loads without a problem (-T), raises
# the expected alerts on pcaps/demo.pcap (clear-text HTTP Basic credentials
# twice over: content and nDPI risk; the mining-pool DNS lookup), geoip.rules
# is refused without a country database, and -T reports every bad rule of a
# file as file:line while exiting 2.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
XIEZHI=${XIEZHI:-$TOP/build/xiezhi}
cd "$TOP"
tmp=$(mktemp -d /tmp/xiezhi-pack.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$XIEZHI" -T >"$tmp/T.out" 2>&1 || { cat "$tmp/T.out"; fail "default pack: -T exited $?"; }

"$XIEZHI" -q -r pcaps/demo.pcap -l "$tmp/out" || fail "demo run failed"
python3 - "$tmp/out/eve.json" <<'PY' || exit 1
import json, sys
sids = {}
for line in open(sys.argv[1], encoding="utf-8"):
    e = json.loads(line)
    if e["event_type"] == "alert":
        sids[e["alert"]["signature_id"]] = sids.get(e["alert"]["signature_id"], 0) + 1
want = {1100040: "nDPI clear-text credentials", 1100041: "HTTP Basic auth content",
        1100031: "mining pool DNS (pcre on dns.query)", 1100032: "likely mining pool DNS"}
bad = [f"{sid} ({what})" for sid, what in want.items() if sids.get(sid) != 1]
if bad:
    print("FAIL: expected exactly one alert each for", ", ".join(bad), "got", sids)
    sys.exit(1)
print("demo alerts:", sids)
PY

if "$XIEZHI" -T -S rules/geoip.rules >"$tmp/geo.out" 2>&1; then
    fail "geoip.rules loaded without a country database"
fi
grep -q "rules/geoip.rules:11: geoip needs a country database: set geoip.country-db in the config" "$tmp/geo.out" ||
    { cat "$tmp/geo.out"; fail "missing geoip message"; }

cat > "$tmp/bad.rules" <<'RULES'
alert tcp any any -> any any (msg:"ok"; sid:1;)
alert tcp any any -> any any (msg:"dup"; sid:1;)
alert tcp any any -> any any (msg:"open; sid:2;)
alert tcp any any -> any any (content:"|zz|"; sid:3;)
alert tcp any any -> any any (msg:"x"; xbits:set,x,track ip_src; sid:4;)
alert tcp any any -> any any (msg:"no sid";)
RULES
"$XIEZHI" -T -S "$tmp/bad.rules" >"$tmp/bad.out" 2>&1
rc=$?
[ $rc -eq 2 ] || { cat "$tmp/bad.out"; fail "-T on bad rules exited $rc, expected 2"; }
for msg in "bad.rules:2: duplicate sid 1 (first defined at $tmp/bad.rules:1)" \
           "bad.rules:3: unbalanced quotes in option 'msg'" \
           "bad.rules:4: invalid hex character 'z' in content" \
           "bad.rules:5: keyword 'xbits' is not supported" \
           "bad.rules:6: missing sid"; do
    grep -qF "$msg" "$tmp/bad.out" || { cat "$tmp/bad.out"; fail "missing: $msg"; }
done
echo "default pack: loads, demo alerts, geoip refusal and -T messages as expected"
