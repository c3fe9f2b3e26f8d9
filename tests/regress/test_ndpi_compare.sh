#!/bin/bash
# xiezhi against nDPI's reference reader on nDPI's own test captures: for each
# capture, ndpiReader's flow list (run now, from Debian's libndpi-bin) and
# xiezhi's EVE flow events must agree on the flows (IP protocol and
# endpoints) and on the application protocol name for at least 97% of all
# flows.  Every disagreement is printed; docs/classification.md explains
# the ones that remain.  Risks too: at least 99% of ndpiReader's (flow, risk)
# pairs (those from lists ndpiReader loads set aside) must be in xiezhi's
# flow event for that flow; the percentage is the "result:" line.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
XIEZHI=${XIEZHI:-$TOP/build/xiezhi}
corpus="$TOP/../shared/corpus/ndpi-4.2/pcap"
min=${NDPI_COMPARE_MIN:-97}
risk_min=${NDPI_RISK_MIN:-99}

command -v ndpiReader >/dev/null || { echo "ndpiReader not installed (apt-get install libndpi-bin)"; exit 1; }
[ -x "$XIEZHI" ] || { echo "no xiezhi binary at $XIEZHI"; exit 1; }
[ -d "$corpus" ] || { echo "no corpus at $corpus"; exit 1; }

tmp=$(mktemp -d /tmp/xiezhi-ndpi-compare.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# no rules: this test is about flows and their classification
: >"$tmp/empty.rules"
args=()
n=0
for pcap in "$corpus"/*; do
    [ -f "$pcap" ] || continue
    name=$(basename "$pcap")
    ref="$tmp/$name.ndpi.txt"
    out="$tmp/$name.out"
    mkdir -p "$out"
    if ! ndpiReader -q -t -i "$pcap" -w "$ref" -v 2 >"$tmp/$name.ndpi.log" 2>&1; then
        echo "$name: ndpiReader failed:"; tail -3 "$tmp/$name.ndpi.log"; exit 1
    fi
    # xiezhi may exit 1 on a capture that is corrupt part-way (it says so);
    # the flows it read up to there are still compared.
    "$XIEZHI" -r "$pcap" -S "$tmp/empty.rules" -l "$out" >"$tmp/$name.xiezhi.log" 2>&1
    rc=$?
    if [ $rc -gt 1 ] || [ ! -f "$out/eve.json" ]; then
        echo "$name: xiezhi failed (exit $rc):"; tail -3 "$tmp/$name.xiezhi.log"; exit 1
    fi
    args+=("$name" "$ref" "$out/eve.json")
    n=$((n + 1))
done
[ $n -gt 0 ] || { echo "no captures in $corpus"; exit 1; }
echo "captures: $n"
python3 "$TOP/tests/regress/ndpi_compare.py" --min "$min" --risk-min "$risk_min" "${args[@]}" || exit 1

# The generated captures of risks that were lost on the way (pcaps/: URL
# risks nDPI leaves to its caller, DNS fragmentation hidden by reassembly):
# here every flow and every risk must agree.
args=()
for pcap in "$TOP"/pcaps/risk_*.pcap "$TOP"/pcaps/anomaly_web_*.pcap; do
    [ -f "$pcap" ] || continue
    name=$(basename "$pcap")
    out="$tmp/gen-$name.out"
    mkdir -p "$out"
    ndpiReader -q -t -i "$pcap" -w "$tmp/gen-$name.ndpi.txt" -v 2 >/dev/null 2>&1 ||
        { echo "$name: ndpiReader failed"; exit 1; }
    "$XIEZHI" -r "$pcap" -S "$tmp/empty.rules" -l "$out" >/dev/null 2>&1 ||
        { echo "$name: xiezhi failed"; exit 1; }
    args+=("$name" "$tmp/gen-$name.ndpi.txt" "$out/eve.json")
done
[ ${#args[@]} -ge 12 ] || { echo "generated risk captures missing (python3 pcaps/generate.py)"; exit 1; }
echo "generated risk captures: $(( ${#args[@]} / 3 ))"
python3 "$TOP/tests/regress/ndpi_compare.py" --min 100 --risk-min 100 "${args[@]}" |
    sed 's/^result: /generated: /'
exit "${PIPESTATUS[0]}"
