#!/bin/bash
# The keyword table is the one source for `xiezhi --list-keywords` and for
# docs/rules.md's keyword list: every keyword has a description and a
# documentation link, and the doc's generated section matches the table.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
XIEZHI=${XIEZHI:-$TOP/build/xiezhi}
cd "$TOP" || exit 1
fail() { echo "FAIL: $*"; exit 1; }

out=$("$XIEZHI" --list-keywords) || fail "--list-keywords exited $?"
n=$(printf '%s\n' "$out" | wc -l)
[ "$n" -ge 60 ] || fail "only $n keywords listed"
# name - description - link, each part present
bad=$(printf '%s\n' "$out" | grep -vE '^[a-z0-9_.-]+ - [^ ].* - docs/rules\.md#keyword-list$' | head -3)
[ -z "$bad" ] || fail "malformed lines: $bad"
printf '%s\n' "$out" | grep -q '(null)' && fail "a keyword without a description"
for kw in content pcre ndpi-protocol anomaly byte_test; do
    printf '%s\n' "$out" | grep -q "^$kw - " || fail "$kw is not listed"
done
"$XIEZHI" --list-keywords=bogus >/dev/null 2>&1 && fail "--list-keywords=bogus accepted"
tools/keywords-doc.sh "$XIEZHI" docs/rules.md --check || fail "docs/rules.md drifted from the keyword table"
"$XIEZHI" --build-info | grep -q '^Features: ' || fail "--build-info has no Features line"
echo "keywords: $n listed, docs/rules.md matches the table"
