#!/bin/bash
# detect.encryption-handling on real captures from the nDPI corpus.  Rule 1
# matches ciphertext bytes late in a TLS flow (443-git.pcap) and rule 2 in an
# SSH flow (ssh.pcap); rule 3 matches the TLS ClientHello record header, rule
# 4 the SSH version banner, rule 5 the SNI.  Default handling inspects the
# handshakes and the metadata but not the ciphertext: 3, 4 and 5 alert, 1 and
# 2 do not, and the stats count the skipped bytes.  "full" inspects every
# byte: all five alert.  A bad value is a config error naming file and line.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
XIEZHI=${XIEZHI:-$TOP/build/xiezhi}
CORPUS=$TOP/../shared/corpus/ndpi-4.2/pcap
[ -d "$CORPUS" ] || { echo "FAIL: no corpus at $CORPUS"; exit 1; }
tmp=$(mktemp -d /tmp/xiezhi-encryption.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0

cat >"$tmp/test.rules" <<'EOF'
alert tcp any any -> any any (msg:"TLS ciphertext bytes"; content:"|87 04 36 d4 d7 68 cf 86|"; sid:1;)
alert tcp any any -> any any (msg:"SSH ciphertext bytes"; content:"|b0 fc 65 58 93 fd e2 76|"; sid:2;)
alert tcp any any -> any 443 (msg:"TLS ClientHello record"; flow:to_server; content:"|16 03 01|"; depth:3; sid:3;)
alert tcp any any -> any 22 (msg:"SSH banner"; flow:to_server; content:"SSH-2.0-"; depth:8; sid:4;)
alert tls any any -> any any (msg:"github SNI"; tls.sni; content:"github.com"; sid:5;)
EOF

# run MODE: prints the sorted list of alerting sids, one per line
run() {
    local mode=$1 out=$tmp/out-$1
    mkdir -p "$out"
    if ! "$XIEZHI" -q -r "$CORPUS/443-git.pcap" -r "$CORPUS/ssh.pcap" -S "$tmp/test.rules" \
        -l "$out" --set detect.encryption-handling="$mode" 2>"$out/err"; then
        echo "FAIL: xiezhi exited non-zero with encryption-handling=$mode:"; cat "$out/err"; fail=1
    fi
    python3 - "$out/eve.json" >"$tmp/sids-$mode" <<'PY'
import json, sys
sids = set()
for line in open(sys.argv[1]):
    ev = json.loads(line)
    if ev["event_type"] == "alert":
        sids.add(ev["alert"]["signature_id"])
    if ev["event_type"] == "stats":
        last = ev["xiezhi_stats"]["detect"]["payload"]
for s in sorted(sids):
    print(s)
print("skipped-bytes", "yes" if last["encrypted_bytes_skipped"] > 0 else "no")
PY
}

run default
printf '3\n4\n5\nskipped-bytes yes\n' >"$tmp/want-default"
diff -u "$tmp/want-default" "$tmp/sids-default" ||
    { echo "FAIL: default handling: want handshake and SNI alerts only, bytes skipped"; fail=1; }

run full
printf '1\n2\n3\n4\n5\nskipped-bytes no\n' >"$tmp/want-full"
diff -u "$tmp/want-full" "$tmp/sids-full" ||
    { echo "FAIL: full handling: want every rule to alert, nothing skipped"; fail=1; }

printf 'detect:\n  encryption-handling: sometimes\n' >"$tmp/bad.yaml"
"$XIEZHI" -T -c "$tmp/bad.yaml" -S "$tmp/test.rules" >"$tmp/bad.out" 2>&1
rc=$?
[ "$rc" -eq 2 ] || { echo "FAIL: -T with a bad encryption-handling exited $rc, want 2"; fail=1; }
grep -q "bad.yaml:2: detect.encryption-handling: 'sometimes' is not default or full" "$tmp/bad.out" ||
    { echo "FAIL: bad value not reported with file and line:"; cat "$tmp/bad.out"; fail=1; }

[ "$fail" -eq 0 ] && echo "encryption handling: default skips ciphertext only, full inspects all"
exit "$fail"
