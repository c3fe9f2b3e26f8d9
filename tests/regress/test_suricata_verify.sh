#!/bin/bash
# Conformance with Suricata: the suricata-verify cases in the shared corpus,
# alert counts per signature_id compared with each case's test.yaml.
# Passes when at least 19 of the 20 cases agree (docs/suricata-verify.md
# lists the others and why).
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
XIEZHI=${XIEZHI:-$TOP/build/xiezhi}
corpus="$TOP/../shared/corpus/suricata-verify"
if [ ! -d "$corpus" ]; then
    echo "suricata-verify corpus not found at $corpus"
    exit 1
fi
exec python3 "$TOP/tests/regress/suricata_verify.py" "$XIEZHI" "$corpus" --min 19
