#!/bin/bash
# Rewrites the generated keyword list of docs/rules.md (between its
# "keyword-list begin/end" markers) from `xiezhi --list-keywords=markdown`.
# usage: tools/keywords-doc.sh XIEZHI DOC [--check]   (--check: exit 1 on drift)
set -eu
xiezhi=$1 doc=$2 mode=${3:-}
new=$(mktemp)
trap 'rm -f "$new"' EXIT
table=$("$xiezhi" --list-keywords=markdown)
awk -v table="$table" '
    /<!-- keyword-list begin/ { print; print table; skip = 1; next }
    /<!-- keyword-list end/   { skip = 0 }
    !skip                      { print }' "$doc" > "$new"
grep -q '<!-- keyword-list begin' "$doc" || { echo "$doc: no keyword-list markers" >&2; exit 1; }
if [ "$mode" = --check ]; then
    diff -u "$doc" "$new" && exit 0
    echo "$doc: the keyword list differs from the keyword table; run make keywords-doc" >&2
    exit 1
fi
cp "$new" "$doc"
