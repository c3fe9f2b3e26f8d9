#!/bin/bash
# The test runner behind `make test`: every unit-test binary, then every
# regression, integration and smoke script.  A suite passes when it exits 0.
# The last line is the summary "N passed, N failed"; the exit status is
# non-zero when anything failed.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD XIEZHI="$PWD/$BUILD/xiezhi" TOP="$PWD"
only=${1:-all}

passed=0 failed=0
failures=()
logdir=$(mktemp -d /tmp/xiezhi-tests.XXXXXX)

run_suite() {
    local name=$1; shift
    local log="$logdir/${name//\//_}.log"
    local start=$SECONDS
    if "$@" >"$log" 2>&1; then
        passed=$((passed + 1))
        printf 'PASS  %-48s %3ds\n' "$name" $((SECONDS - start))
        # a suite's measured figures ("result: ...") are shown even when it passes
        grep '^result: ' "$log" | sed 's/^/    | /'
    else
        failed=$((failed + 1))
        failures+=("$name")
        printf 'FAIL  %-48s %3ds\n' "$name" $((SECONDS - start))
        sed 's/^/    | /' "$log" | tail -60
    fi
}

if [ "$only" = all ] || [ "$only" = unit ]; then
    for t in "$BUILD"/tests/test_*; do
        [ -x "$t" ] || continue
        run_suite "unit/$(basename "$t")" "$t"
    done
fi
if [ "$only" = all ] || [ "$only" = scripts ]; then
    for dir in regress integration fuzz; do
        # Through bash, so a suite that lost its exec bit still runs
        # rather than vanishing from the count.
        for t in tests/$dir/test_*.sh; do
            [ -f "$t" ] || continue
            run_suite "$dir/$(basename "$t" .sh)" bash "$t"
        done
    done
fi

echo "logs: $logdir"
[ ${#failures[@]} -eq 0 ] || echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
