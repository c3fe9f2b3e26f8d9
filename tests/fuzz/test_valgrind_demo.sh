#!/bin/bash
# The demo capture through the whole sensor under valgrind memcheck: zero
# errors (invalid reads/writes, uninitialised values, bad frees) and no
# definitely lost memory, with the same exit code as without valgrind.
# tests/fuzz/valgrind.supp holds suppressions for problems inside the
# libraries we link (never for xiezhi's own code); each entry says why.
set -u
cd "$(dirname "$0")/../.."
# valgrind cannot run a sanitizer build (make asan sets BUILD=build-asan):
# memcheck always looks at the plain build, made here if it is missing.
XIEZHI=$PWD/build/xiezhi
if [ "${BUILD:-build}" != build ] || [ ! -x "$XIEZHI" ]; then
    make --no-print-directory -s BUILD=build all >/dev/null || { echo "FAIL: cannot build build/xiezhi"; exit 1; }
fi
tmp=$(mktemp -d /tmp/xiezhi-valgrind.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

command -v valgrind >/dev/null || { echo "valgrind is not installed (make deps)"; exit 1; }
[ -x "$XIEZHI" ] || { echo "no binary $XIEZHI"; exit 1; }

"$XIEZHI" -r pcaps/demo.pcap -l "$tmp/plain" >"$tmp/plain.out" 2>&1
want=$?

mkdir -p "$tmp/vg"
valgrind --tool=memcheck --error-exitcode=99 --leak-check=full \
    --errors-for-leak-kinds=definite --show-leak-kinds=definite \
    --track-origins=yes --num-callers=30 \
    --suppressions=tests/fuzz/valgrind.supp --log-file="$tmp/valgrind.log" \
    "$XIEZHI" -r pcaps/demo.pcap -l "$tmp/vg" >"$tmp/vg.out" 2>&1
got=$?

summary=$(grep -a 'ERROR SUMMARY' "$tmp/valgrind.log" | tail -1)
echo "valgrind: ${summary#==*== }"
if [ $got -eq 99 ] || ! grep -q 'ERROR SUMMARY: 0 errors' <<<"$summary"; then
    echo "FAIL: memcheck found errors:"
    sed -n '/^==[0-9]*== [A-Z].*\(Invalid\|uninitialised\|definitely lost\|Mismatched\|free\)/,/^==[0-9]*== $/p' \
        "$tmp/valgrind.log" | head -80
    exit 1
fi
if [ $got -ne $want ]; then
    echo "FAIL: exit code $got under valgrind, $want without"
    cat "$tmp/vg.out"
    exit 1
fi
if [ $want -ne 0 ]; then
    echo "FAIL: the demo run exits $want"
    cat "$tmp/plain.out"
    exit 1
fi
# Same output with and without valgrind (deterministic, nothing depends on
# uninitialised memory).
if [ -f "$tmp/plain/eve.json" ]; then
    if ! cmp -s "$tmp/plain/eve.json" "$tmp/vg/eve.json"; then
        echo "FAIL: eve.json differs under valgrind"
        diff <(head -c 20000 "$tmp/plain/eve.json") <(head -c 20000 "$tmp/vg/eve.json") | head -20
        exit 1
    fi
    echo "eve.json: $(wc -l <"$tmp/plain/eve.json") events, identical under valgrind"
fi
echo "ok: demo under memcheck: 0 errors, no definite leaks"
