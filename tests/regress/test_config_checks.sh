#!/bin/bash
# Configuration mistakes are caught, and paths do not depend on the working
# directory:
#  - an unknown key in the file or in --set is "file:line: unknown key 'x'
#    (did you mean 'y'?)": an error under -T (exit 2), a warning at start
#    (the run goes on with what it understood);
#  - relative paths in a config (rules.dir, its files, the classification)
#    are under the config file's directory, whatever the working directory;
#  - without a classification file the standard classtypes are built in:
#    `cd / && xiezhi -T -S my.rules` loads a rule with classtype:trojan-activity.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
XIEZHI=${XIEZHI:-$TOP/build/xiezhi}
tmp=$(mktemp -d /tmp/xiezhi-config.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
cd "$TOP" || exit 1

# -- unknown keys ----------------------------------------------------------
cat > "$tmp/typo.yaml" <<'YAML'
sensor:
  id: typo-test
outputs:
  redis:
    enabled: no
    modee: list
  eve:
    typs: [alert]
vars:
  address-groups:
    HOME_NET: "[10.0.0.0/8]"
    MY_SERVERS: "[10.1.0.0/16]"
frobnicate: yes
YAML
"$XIEZHI" -T -c "$tmp/typo.yaml" >"$tmp/T.out" 2>&1
rc=$?
[ $rc -eq 2 ] || { cat "$tmp/T.out"; fail "-T with unknown keys exited $rc, expected 2"; }
for msg in "$tmp/typo.yaml:6: unknown key 'outputs.redis.modee' (did you mean 'outputs.redis.mode'?)" \
           "$tmp/typo.yaml:8: unknown key 'outputs.eve.typs' (did you mean 'outputs.eve.types'?)" \
           "$tmp/typo.yaml:13: unknown key 'frobnicate'"; do
    grep -qF "$msg" "$tmp/T.out" || { cat "$tmp/T.out"; fail "missing: $msg"; }
done
# A variable or zone of the operator's own naming is no mistake.
grep -q "MY_SERVERS" "$tmp/T.out" && { cat "$tmp/T.out"; fail "vars.address-groups.MY_SERVERS reported"; }
grep -q "frobnicate' (did you mean" "$tmp/T.out" && fail "a suggestion for a key that resembles nothing"
[ "$(grep -c 'unknown key' "$tmp/T.out")" -eq 3 ] || { cat "$tmp/T.out"; fail "expected exactly 3 unknown keys"; }

# At start the same keys are warnings and the run goes on.
"$XIEZHI" -c "$tmp/typo.yaml" -S rules/extranet.rules -r pcaps/demo.pcap -l "$tmp/run" >"$tmp/run.out" 2>&1 ||
    { cat "$tmp/run.out"; fail "a run with unknown keys exited $?"; }
grep -qF "warning: $tmp/typo.yaml:6: unknown key 'outputs.redis.modee' (did you mean 'outputs.redis.mode'?)" "$tmp/run.out" ||
    { cat "$tmp/run.out"; fail "no warning at start"; }
[ -s "$tmp/run/eve.json" ] || fail "the run with warnings wrote no events"

# --set keys likewise.
"$XIEZHI" -T --set outputs.redis.prot=6380 >"$tmp/set.out" 2>&1
rc=$?
[ $rc -eq 2 ] || { cat "$tmp/set.out"; fail "-T --set with an unknown key exited $rc"; }
grep -qF -- "--set: unknown key 'outputs.redis.prot' (did you mean 'outputs.redis.port'?)" "$tmp/set.out" ||
    { cat "$tmp/set.out"; fail "no message for the --set key"; }
# Settings read once at start: -T reports a bad detector setting by file:line.
printf 'anomaly:\n  memcap: 64mb\n  max-tracked: 0\n' > "$tmp/anomaly.yaml"
"$XIEZHI" -T -c "$tmp/anomaly.yaml" >"$tmp/an.out" 2>&1
rc=$?
[ $rc -eq 2 ] || { cat "$tmp/an.out"; fail "-T with anomaly.max-tracked: 0 exited $rc"; }
grep -qF "$tmp/anomaly.yaml:3: anomaly.max-tracked: '0' is not an integer" "$tmp/an.out" ||
    { cat "$tmp/an.out"; fail "no file:line for anomaly.max-tracked"; }
# Every key of the shipped example is known.
"$XIEZHI" -T -c etc/xiezhi.yaml >"$tmp/example.out" 2>&1 || { cat "$tmp/example.out"; fail "etc/xiezhi.yaml fails -T"; }
grep -q 'unknown key' "$tmp/example.out" && { cat "$tmp/example.out"; fail "etc/xiezhi.yaml has unknown keys"; }

# -- from another directory ------------------------------------------------
mkdir -p "$tmp/site/conf" "$tmp/site/pack"
cp rules/extranet.rules rules/classification.config "$tmp/site/pack/"
cat > "$tmp/site/conf/xiezhi.yaml" <<'YAML'
rules:
  dir: ../pack
  files: [extranet.rules]
  classification: classification.config
YAML
n_pack=$(grep -c '^alert' rules/extranet.rules)
out=$(cd / && "$XIEZHI" -T -c "$tmp/site/conf/xiezhi.yaml" 2>&1) ||
    { echo "$out"; fail "-T from / with a relative rules.dir failed"; }
echo "$out" | grep -q "configuration and rules OK ($n_pack rules)" || { echo "$out"; fail "expected $n_pack rules from /"; }
(cd / && "$XIEZHI" -q -c "$tmp/site/conf/xiezhi.yaml" -r "$TOP/pcaps/demo.pcap" -l "$tmp/fromroot") ||
    fail "run from / failed"
(cd "$TOP" && "$XIEZHI" -q -c "$tmp/site/conf/xiezhi.yaml" -r pcaps/demo.pcap -l "$tmp/fromtop") ||
    fail "run from the checkout failed"
cmp -s "$tmp/fromroot/eve.json" "$tmp/fromtop/eve.json" || fail "eve.json depends on the working directory"
grep -q '"signature_id":1100041' "$tmp/fromroot/eve.json" || fail "the demo alert is missing from the run from /"

# A standard classtype without any classification file: a warning, the rule loads.
printf 'alert tcp any any -> any any (msg:"std classtype"; content:"x"; classtype:trojan-activity; sid:7;)\n' \
    > "$tmp/my.rules"
out=$(cd / && "$XIEZHI" -T -S "$tmp/my.rules" --set rules.classification=/nonexistent/classification.config 2>&1) ||
    { echo "$out"; fail "a standard classtype was refused without a classification file"; }
echo "$out" | grep -q "warning: /nonexistent/classification.config: cannot open classification file" ||
    { echo "$out"; fail "no warning for the missing classification file"; }
echo "$out" | grep -q "configuration and rules OK (1 rules)" || { echo "$out"; fail "rule not loaded"; }
# A detector's mistake names the rule's place once (even in a directory whose
# name holds ": "), and a zone mistake its place in the config too.
mkdir -p "$tmp/odd: dir"
printf 'anomaly:\n  zones:\n    a: "[10.0.0.0/33]"\n    b: "[10.1.0.0/16]"\n' > "$tmp/zones.yaml"
printf '%s\n' 'alert tcp any any -> any any (msg:"z"; anomaly:zone_policy; sid:1;)' \
    'alert tcp any any -> any any (msg:"p"; anomaly:port_scan, windw 5; sid:2;)' > "$tmp/odd: dir/a.rules"
"$XIEZHI" -T -c "$tmp/zones.yaml" -S "$tmp/odd: dir/a.rules" >"$tmp/anomaly.out" 2>&1
rc=$?
[ $rc -eq 2 ] || { cat "$tmp/anomaly.out"; fail "-T with detector mistakes exited $rc, expected 2"; }
for msg in "error: $tmp/odd: dir/a.rules:1: anomaly: zone_policy: $tmp/zones.yaml:3: anomaly.zones.a: '10.0.0.0/33' is not an address or CIDR" \
           "error: $tmp/odd: dir/a.rules:2: anomaly: port_scan has no option 'windw'"; do
    grep -qxF "xiezhi: $msg" "$tmp/anomaly.out" || { cat "$tmp/anomaly.out"; fail "missing: $msg"; }
done
echo "config checks: unknown keys reported, paths under the config's directory, built-in classtypes, detector mistakes"
