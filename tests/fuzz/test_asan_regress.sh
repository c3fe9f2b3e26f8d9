#!/bin/bash
# The regression suite (tests/regress/test_*.sh) again with the sensor built
# under AddressSanitizer + UBSan (build-asan/, the flags of `make asan`).
# A suite fails on its own checks or on any sanitizer report: reports go to
# files (log_path) so that a script that hides the sensor's stderr cannot
# hide them.  LeakSanitizer is on: a leak at exit is a failure too.
set -u
cd "$(dirname "$0")/../.."
TOP=$PWD
ASAN_BUILD=${ASAN_BUILD:-build-asan}
tmp=$(mktemp -d /tmp/xiezhi-asan-regress.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

command -v clang >/dev/null || { echo "clang is not installed (make deps)"; exit 1; }
SAN='-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all'
if ! make --no-print-directory -s -j"$(nproc)" BUILD="$ASAN_BUILD" CC=clang CFLAGS="$SAN" all \
        >"$tmp/build.log" 2>&1; then
    echo "FAIL: building $ASAN_BUILD:"
    tail -30 "$tmp/build.log"
    exit 1
fi

scripts=(tests/regress/test_*.sh)
if [ ! -e "${scripts[0]}" ]; then
    echo "FAIL: no tests/regress/test_*.sh to run"
    exit 1
fi
mkdir -p "$tmp/reports"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:log_path=$tmp/reports/asan"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$tmp/reports/ubsan"
export LSAN_OPTIONS="suppressions=$TOP/tests/fuzz/lsan.supp:print_suppressions=0"
export BUILD=$ASAN_BUILD XIEZHI=$TOP/$ASAN_BUILD/xiezhi TOP
failed=0
for t in "${scripts[@]}"; do
    name=$(basename "$t" .sh)
    start=$SECONDS
    bash "$t" >"$tmp/$name.log" 2>&1
    rc=$?
    reports=$(find "$tmp/reports" -type f | sort)
    if [ $rc -eq 0 ] && [ -z "$reports" ]; then
        printf 'ok    %-40s %3ds\n' "$name" $((SECONDS - start))
        continue
    fi
    failed=$((failed + 1))
    printf 'FAIL  %-40s %3ds (exit %d)\n' "$name" $((SECONDS - start)) $rc
    # Each distinct report once (the same bug usually fires in every run).
    seen=""
    for r in $reports; do
        key=$(grep -a -m1 -E 'ERROR:|runtime error:' "$r")
        if ! grep -qxF -- "$key" <<<"$seen"; then
            seen="$seen"$'\n'"$key"
            echo "  sanitizer report ($(grep -la -F -- "$key" $reports | wc -l) runs):"
            grep -a -v '^ *$' "$r" | head -40 | sed 's/^/    | /'
        fi
    done
    rm -f $reports
    [ -z "$reports" ] && tail -30 "$tmp/$name.log" | sed 's/^/    | /'
done
[ $failed -eq 0 ] || { echo "$failed regression suite(s) failed under ASan+UBSan"; exit 1; }
echo "all regression suites pass under ASan+UBSan"
