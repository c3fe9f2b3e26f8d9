#!/bin/bash
# Conformance with Suricata: the suricata-verify cases in the shared corpus,
# alert counts per signature_id compared with each case's test.yaml.
#   suricata-verify/           20 cases, rules in xiezhi's subset: at least 20 agree (all)
#   suricata-verify-applayer/  33 cases, payload and app-layer keywords: at
#                              least 22 agree (today's count; raise it as
#                              parsers land, never above what passes)
# docs/suricata-verify.md lists every case, its result and why.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
XIEZHI=${XIEZHI:-$TOP/build/xiezhi}
rc=0
for set in "suricata-verify 20" "suricata-verify-applayer 22"; do
    read -r name min <<<"$set"
    corpus="$TOP/../shared/corpus/$name"
    if [ ! -d "$corpus" ]; then
        echo "$name corpus not found at $corpus"
        exit 1
    fi
    echo "== $name"
    python3 "$TOP/tests/regress/suricata_verify.py" "$XIEZHI" "$corpus" --min "$min" || rc=1
done
exit $rc
