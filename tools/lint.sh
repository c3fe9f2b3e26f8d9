#!/bin/bash
# `make lint`: cppcheck over the whole tree, then clang-tidy (.clang-tidy)
# on every C file, two at a time.  Fails on any finding.
set -uo pipefail
cd "$(dirname "$0")/.."
# Word-split on purpose: pkg-config prints several flags.
export LINT_FLAGS="-std=c11 -D_GNU_SOURCE -DXIEZHI_VERSION=\"lint\" -DXIEZHI_DATADIR=\"lint\" -I. -Isensor $(pkg-config --cflags libndpi libpcap hiredis libmaxminddb yaml-0.1 libpcre2-8)"
status=0

echo "cppcheck"
cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance \
    --inline-suppr --std=c11 -D__GNUC__ -I sensor -I . \
    --suppressions-list=.cppcheck-suppressions sensor exporters tools || status=1

files=$(find sensor exporters tools -name '*.c' | sort)
echo "clang-tidy on $(echo "$files" | wc -l) files"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# shellcheck disable=SC2016
echo "$files" | xargs -P"$(nproc)" -n4 sh -c 'clang-tidy --quiet "$@" -- $LINT_FLAGS' tidy \
    >"$out" 2>/dev/null || status=1
grep -E "(error|warning):" -A3 "$out" | head -200
[ $status -eq 0 ] && echo "lint: clean"
exit $status
