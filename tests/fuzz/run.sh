#!/bin/bash
# Builds xiezhi's libFuzzer targets (clang, ASan+UBSan, in build-fuzz/) and
# runs each one for SECONDS, then prints executions and coverage per target.
# Exits non-zero when a target fails to build, crashes, leaks, times out or
# runs out of memory; the input that did it is kept under
# build-fuzz/artifacts/<target>/ and the report is printed.
#
#   tests/fuzz/run.sh [SECONDS] [TARGET...]   fuzz (default 600 s, every target)
#   tests/fuzz/run.sh --replay [TARGET...]    run tests/fuzz/regressions/<target>/* once
#   tests/fuzz/run.sh --build [TARGET...]     build only
#
# A target is tests/fuzz/fuzz_<name>.c.  Its line "fuzz-needs: sym ..." names
# the library functions it drives; while one of them is not in the library
# yet (a stage still being written), the target is skipped with a note.
# Env: FUZZ_BUILD (build-fuzz), FUZZ_CFLAGS (added to the compile flags), FUZZ_RSS_MB (2048), FUZZ_TIMEOUT (25 s per
# input), FUZZ_ARGS (extra libFuzzer flags), FUZZ_KEEP_CORPUS=0 to start from
# the seeds only (default: grow build-fuzz/work/<target> across runs).
set -u
# The whole script is one function, so that editing this file while a long
# run is going does not break the run (bash reads scripts as it goes).
main() {
    cd "$(dirname "$0")/../.."
    TOP=$PWD
    FB=${FUZZ_BUILD:-build-fuzz}
    RSS=${FUZZ_RSS_MB:-2048}
    TIMEOUT=${FUZZ_TIMEOUT:-25}
    SAN="-O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined ${FUZZ_CFLAGS:-}"
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

    mode=fuzz seconds=600
    case "${1:-}" in
    --replay) mode=replay; shift ;;
    --build) mode=build; shift ;;
    [0-9]*) seconds=$1; shift ;;
    esac

    # Per-target input size limit (bytes) and dictionary.
    max_len() {
        case $1 in
        capture) echo 65536 ;;
        packet) echo 16384 ;;
        *) echo 8192 ;;
        esac
}
dict_of() {
    if [ -f "tests/fuzz/$1.dict" ]; then echo "tests/fuzz/$1.dict"; fi
}

if [ $# -gt 0 ]; then
    targets=("$@")
else
    targets=()
    for f in tests/fuzz/fuzz_*.c; do
        n=${f##*/fuzz_}
        targets+=("${n%.c}")
    done
fi

log() { printf '%s\n' "$*"; }
mkdir -p "$FB/logs"

# 1. The instrumented library.
if ! make --no-print-directory -s BUILD="$FB" CC=clang CFLAGS="$SAN" "$FB/libxiezhi.a" \
        >"$FB/logs/build-lib.log" 2>&1; then
    log "FAIL  building $FB/libxiezhi.a:"
    tail -30 "$FB/logs/build-lib.log"
    exit 1
fi
syms=$(nm -g --defined-only "$FB/libxiezhi.a" 2>/dev/null | awk 'NF == 3 { print $3 }' | sort -u)

# 2. The targets whose library code exists.
built=() failed=() skipped=()
for t in "${targets[@]}"; do
    src=tests/fuzz/fuzz_$t.c
    if [ ! -f "$src" ]; then
        log "FAIL  $t: no $src"
        failed+=("$t")
        continue
    fi
    missing=""
    read -r -a needs < <(sed -n 's/.*fuzz-needs: *\([A-Za-z0-9_ ]*\).*/\1/p' "$src")
    for s in "${needs[@]}"; do
        grep -qx "$s" <<<"$syms" || missing="$missing $s"
    done
    if [ -n "$missing" ]; then
        log "SKIP  $t: the library has no$missing yet"
        skipped+=("$t")
        continue
    fi
    if make --no-print-directory -s BUILD="$FB" CC=clang CFLAGS="$SAN" "$FB/fuzz/fuzz_$t" \
            >"$FB/logs/build-$t.log" 2>&1; then
        built+=("$t")
    else
        log "FAIL  building $t:"
        tail -30 "$FB/logs/build-$t.log"
        failed+=("$t")
    fi
done
[ "$mode" = build ] && { [ ${#failed[@]} -eq 0 ]; exit; }

# Prints the sanitizer or libFuzzer report of a failed run, short.
show_report() {
    grep -a -m1 -n -E '^(==[0-9]+==ERROR|.*runtime error:|fuzz_[a-z]+: check failed|==[0-9]+== ERROR: libFuzzer)' "$1" |
        cut -d: -f1 | while read -r first; do
        tail -n +"$first" "$1" | grep -a -v '^MS:\|^base64:' | head -45 | sed 's/^/    | /'
    done
    grep -a -E "Test unit written to|artifact" "$1" | tail -2 | sed 's/^/    | /'
}

# 3a. Replay the regression inputs.
if [ "$mode" = replay ]; then
    for t in "${built[@]}"; do
        dir=tests/fuzz/regressions/$t
        files=()
        [ -d "$dir" ] && while IFS= read -r -d '' f; do files+=("$f"); done \
            < <(find "$dir" -type f ! -name '*.md' -print0 | sort -z)
        if [ ${#files[@]} -eq 0 ]; then
            log "ok    $t: no regression inputs"
            continue
        fi
        logf=$FB/logs/replay-$t.log
        if "$FB/fuzz/fuzz_$t" -rss_limit_mb="$RSS" -timeout="$TIMEOUT" "${files[@]}" >"$logf" 2>&1; then
            log "ok    $t: ${#files[@]} regression inputs replayed"
        else
            log "FAIL  $t: a regression input fails again:"
            show_report "$logf"
            failed+=("$t")
        fi
    done
    [ ${#failed[@]} -eq 0 ]
    exit
fi

# 3b. Seed corpora, then fuzz each target in turn (2 cores are shared).
python3 tests/fuzz/make_corpus.py "$FB/corpus" >"$FB/logs/corpus.log" 2>&1 ||
    { log "FAIL  building the seed corpora:"; tail -20 "$FB/logs/corpus.log"; exit 1; }
printf '%-10s %8s %12s %10s %7s %7s %6s  %s\n' target seconds executions exec/s cov ft corpus result
for t in "${built[@]}"; do
    work=$FB/work/$t
    [ "${FUZZ_KEEP_CORPUS:-1}" = 0 ] && rm -rf "$work"
    mkdir -p "$work" "$FB/artifacts/$t" "$FB/corpus/$t"
    args=(-max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb="$RSS"
          -timeout="$TIMEOUT" -max_len="$(max_len "$t")" -artifact_prefix="$FB/artifacts/$t/")
    for d in $(dict_of "$t"); do args+=(-dict="$d"); done
    logf=$FB/logs/fuzz-$t.log
    start=$SECONDS
    # shellcheck disable=SC2086
    "$FB/fuzz/fuzz_$t" "${args[@]}" ${FUZZ_ARGS:-} "$work" "$FB/corpus/$t" >"$logf" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logf" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$logf" | tail -1)
    last=$(grep -a -E '^#[0-9]+' "$logf" | grep -a 'cov:' | tail -1)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
    result=ok
    [ $rc -ne 0 ] && result="FAILED (exit $rc, log $logf)"
    printf '%-10s %8d %12s %10s %7s %7s %6s  %s\n' "$t" $((SECONDS - start)) "${execs:-?}" \
        "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$result"
    if [ $rc -ne 0 ]; then
        show_report "$logf"
        failed+=("$t")
    fi
done
[ ${#skipped[@]} -gt 0 ] && log "skipped (library code not there yet): ${skipped[*]}"
[ ${#failed[@]} -eq 0 ] || { log "failed: ${failed[*]}"; exit 1; }
}
main "$@"
exit
