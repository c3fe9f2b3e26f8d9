#!/bin/bash
# make test's fuzz smoke run: builds every libFuzzer target (ASan+UBSan,
# build-fuzz/), replays each crash ever found (tests/fuzz/regressions/), then
# fuzzes every target from its seed corpus for FUZZ_SMOKE_SECONDS (default 15)
# each.  Fails on any build failure, regression, crash, leak or timeout; the
# input that did it is under build-fuzz/artifacts/<target>/.
# FUZZ_SMOKE_SECONDS=0 replays the regressions only.
set -u
cd "$(dirname "$0")/../.."
seconds=${FUZZ_SMOKE_SECONDS:-15}

if ! command -v clang >/dev/null; then
    echo "clang is not installed (make deps installs it)"
    exit 1
fi
echo "== regression inputs"
tests/fuzz/run.sh --replay || exit 1
[ "$seconds" -gt 0 ] || exit 0
echo "== ${seconds} s per target from the seed corpora"
FUZZ_KEEP_CORPUS=0 tests/fuzz/run.sh "$seconds"
