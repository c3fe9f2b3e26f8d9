#!/bin/bash
# False-positive budget of the default pack (issue 17): every capture of the
# nDPI corpus (benign traffic of some 300 applications, a few attack
# samples) through the sensor with etc/xiezhi.yaml's rule files.  Outside
# the policy rules, alerts must be right (fp_budget.py names each) or count
# as false positives, at most one per 10,000 flows.  The count is the
# "result:" line; docs/rules.md lists every alert of the run.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
XIEZHI=${XIEZHI:-$TOP/build/xiezhi}
corpus="$TOP/../shared/corpus/ndpi-4.2/pcap"
[ -x "$XIEZHI" ] || { echo "no xiezhi binary at $XIEZHI"; exit 1; }
[ -d "$corpus" ] || { echo "no corpus at $corpus"; exit 1; }
tmp=$(mktemp -d /tmp/xiezhi-fp-budget.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

args=()
for pcap in "$corpus"/*; do
    [ -f "$pcap" ] || continue
    name=$(basename "$pcap")
    out="$tmp/$name"
    mkdir -p "$out"
    # exit 1 is a capture corrupt part-way (said on stderr); its events count
    "$XIEZHI" -c "$TOP/etc/xiezhi.yaml" --set rules.dir="$TOP/rules" -r "$pcap" -l "$out" \
        >"$out/log" 2>&1
    rc=$?
    if [ $rc -gt 1 ] || [ ! -f "$out/eve.json" ]; then
        echo "$name: xiezhi failed (exit $rc):"; tail -3 "$out/log"; exit 1
    fi
    if grep -q "rules/.*:[0-9]*:" "$out/log"; then
        echo "$name: the default pack has rule errors:"; grep "rules/" "$out/log" | head; exit 1
    fi
    args+=("$name" "$out/eve.json")
done
[ ${#args[@]} -gt 0 ] || { echo "no captures in $corpus"; exit 1; }
echo "captures: $(( ${#args[@]} / 2 ))"
python3 "$TOP/tests/regress/fp_budget.py" "$TOP/rules" "${args[@]}"
