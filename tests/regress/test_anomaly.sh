#!/bin/bash
# Anomaly detectors end to end: each crafted capture of pcaps/gen_anomaly.py
# run through the sensor with the default pack (rules/anomaly.rules) and the
# zone config of tests/regress/anomaly/xiezhi.yaml must raise exactly the
# alerts in tests/regress/anomaly/<case>.expected (attacks: one alert with
# its evidence; benign look-alikes: an empty file).  A case whose detection
# lives in another pack file names it in tests/regress/anomaly/<case>.rules
# (the nDPI URL-risk cases load rules/extranet.rules too).
# UPDATE=1 rewrites the expected files instead (tests/regress/anomaly/update.sh).
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
XIEZHI=${XIEZHI:-$TOP/build/xiezhi}
dir="$TOP/tests/regress/anomaly"
tmp=$(mktemp -d /tmp/xiezhi-anomaly.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$TOP" || exit 1

fail=0 ran=0
for pcap in pcaps/anomaly_*.pcap; do
    case_name=$(basename "$pcap" .pcap)
    case_name=${case_name#anomaly_}
    out="$tmp/$case_name"
    mkdir -p "$out"
    extra=()
    if [ -f "$dir/$case_name.rules" ]; then
        for f in $(cat "$dir/$case_name.rules"); do extra+=(-S "rules/$f"); done
    fi
    if ! "$XIEZHI" -c "$dir/xiezhi.yaml" -S rules/anomaly.rules "${extra[@]}" -r "$pcap" -l "$out" \
            >"$out/stdout" 2>"$out/stderr"; then
        echo "FAIL $case_name: xiezhi exited non-zero"
        sed 's/^/    /' "$out/stderr" | tail -20
        fail=1
        continue
    fi
    if grep -q "anomaly" "$out/stderr" && grep -qi "error" "$out/stderr"; then
        echo "FAIL $case_name: rule or config errors"
        sed 's/^/    /' "$out/stderr" | tail -20
        fail=1
        continue
    fi
    if ! python3 "$dir/extract.py" "$out/eve.json" >"$out/got"; then
        echo "FAIL $case_name: eve.json does not parse"
        fail=1
        continue
    fi
    ran=$((ran + 1))
    if [ "${UPDATE:-0}" = 1 ]; then
        cp "$out/got" "$dir/$case_name.expected"
        echo "wrote $dir/$case_name.expected ($(wc -l <"$out/got") alerts)"
        continue
    fi
    if [ ! -f "$dir/$case_name.expected" ]; then
        echo "FAIL $case_name: no $dir/$case_name.expected (run tests/regress/anomaly/update.sh)"
        fail=1
    elif ! diff -u "$dir/$case_name.expected" "$out/got" >"$out/diff"; then
        echo "FAIL $case_name: alerts differ from the expected ones"
        sed 's/^/    /' "$out/diff"
        fail=1
    else
        echo "ok   $case_name: $(wc -l <"$out/got") alert(s)"
    fi
done
# Deterministic: the same capture again gives a byte-identical eve.json.
if [ "${UPDATE:-0}" != 1 ] && [ -d "$tmp/syn_scan" ]; then
    mkdir -p "$tmp/again"
    "$XIEZHI" -c "$dir/xiezhi.yaml" -S rules/anomaly.rules -r pcaps/anomaly_syn_scan.pcap \
        -l "$tmp/again" >/dev/null 2>&1
    if cmp -s "$tmp/syn_scan/eve.json" "$tmp/again/eve.json"; then
        echo "ok   syn_scan twice: byte-identical eve.json"
    else
        echo "FAIL syn_scan twice: eve.json differs between two runs"
        fail=1
    fi
fi
if [ "$ran" -lt 29 ]; then
    echo "FAIL only $ran cases ran (29 captures expected: python3 pcaps/generate.py)"
    fail=1
fi
# A benign look-alike must stay silent and an attack must alert: the
# expected files themselves say so, whoever regenerates them.
for f in "$dir"/benign_*.expected; do
    [ -s "$f" ] && { echo "FAIL $(basename "$f"): a benign capture has alerts"; fail=1; }
done
for f in "$dir"/*.expected; do
    case $(basename "$f") in benign_*) continue ;; esac
    [ "$(grep -c . "$f")" = 1 ] || { echo "FAIL $(basename "$f"): an attack must raise exactly one alert"; fail=1; }
done
exit $fail
