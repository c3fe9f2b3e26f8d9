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
# Env: FUZZ_BUILD (build-fuzz), FUZZ_CFLAGS (added to the compile flags),
# FUZZ_RSS_MB (2048), FUZZ_TIMEOUT (25 s per input), FUZZ_ARGS (extra
# libFuzzer flags), FUZZ_KEEP_CORPUS=0 to start from the seeds only
# (default: grow build-fuzz/work/<target> across runs).
#
# Everything runs inside main(), which bash reads whole before running it,
# so editing this file cannot break a long run that is going on.
set -u

log() { printf '%s\n' "$*"; }

# Per-target input size limit (bytes).
max_len() {
    case $1 in
    capture | geoip) echo 65536 ;;
    packet) echo 16384 ;;
    *) echo 8192 ;;
    esac
}

# Per-target ASan options.  geoip: libmaxminddb has no frame pointers, so
# LeakSanitizer needs the slow unwinder to see the library function that
# lsan.supp names (a known leak of the library's own, see there).
asan_options() {
    case $1 in
    geoip) echo "$ASAN_OPTIONS:fast_unwind_on_malloc=0" ;;
    *) echo "$ASAN_OPTIONS" ;;
    esac
}

# Prints the sanitizer or check report of a failed run, short.
show_report() {
    local first
    first=$(grep -a -m1 -n -E '^(==[0-9]+==ERROR|.*runtime error:|.*: check failed:|==[0-9]+== ERROR: libFuzzer)' "$1" |
        cut -d: -f1)
    if [ -n "$first" ]; then
        tail -n +"$first" "$1" | grep -a -v '^MS:\|^base64:' | head -45 | sed 's/^/    | /'
    else
        tail -20 "$1" | sed 's/^/    | /'
    fi
    grep -a -E "Test unit written to" "$1" | tail -1 | sed 's/^/    | /'
}

# build_targets TARGET...: the instrumented library, then each target whose
# library code exists.  Sets built[], skipped[], failed[].
build_targets() {
    mkdir -p "$FB/logs"
    if ! make --no-print-directory -s -j"$(nproc)" BUILD="$FB" CC=clang CFLAGS="$SAN" "$FB/libxiezhi.a" \
            >"$FB/logs/build-lib.log" 2>&1; then
        log "FAIL  building $FB/libxiezhi.a:"
        tail -30 "$FB/logs/build-lib.log"
        exit 1
    fi
    local syms t src s missing needs
    syms=$(nm -g --defined-only "$FB/libxiezhi.a" 2>/dev/null | awk 'NF == 3 { print $3 }' | sort -u)
    for t in "$@"; do
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
}

# replay TARGET: runs every regression input of the target once.
replay() {
    local t=$1 dir=tests/fuzz/regressions/$1 files=() f
    if [ -d "$dir" ]; then
        while IFS= read -r -d '' f; do files+=("$f"); done \
            < <(find "$dir" -type f ! -name '*.md' -print0 | sort -z)
    fi
    if [ ${#files[@]} -eq 0 ]; then
        log "ok    $t: no regression inputs"
        return
    fi
    local logf=$FB/logs/replay-$t.log
    if ASAN_OPTIONS=$(asan_options "$t") "$FB/fuzz/fuzz_$t" -rss_limit_mb="$RSS" -timeout="$TIMEOUT" -close_fd_mask=2 \
            "${files[@]}" >"$logf" 2>&1; then
        log "ok    $t: ${#files[@]} regression inputs replayed"
    else
        log "FAIL  $t: a regression input fails again:"
        show_report "$logf"
        failed+=("$t")
    fi
}

# fuzz TARGET: runs it for $seconds from its work corpus and seeds, prints
# one line of numbers.
fuzz() {
    local t=$1 work=$FB/work/$1
    [ "${FUZZ_KEEP_CORPUS:-1}" = 0 ] && rm -rf "$work"
    mkdir -p "$work" "$FB/artifacts/$t" "$FB/corpus/$t"
    # -close_fd_mask=2: the sensor's log lines off; sanitizer and check
    # reports still show (libFuzzer keeps a copy of stderr for them).
    local args=(-max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb="$RSS"
                -timeout="$TIMEOUT" -max_len="$(max_len "$t")" -close_fd_mask=2
                -artifact_prefix="$FB/artifacts/$t/")
    [ -f "tests/fuzz/$t.dict" ] && args+=(-dict="tests/fuzz/$t.dict")
    local logf=$FB/logs/fuzz-$t.log start=$SECONDS rc
    # shellcheck disable=SC2086
    ASAN_OPTIONS=$(asan_options "$t") "$FB/fuzz/fuzz_$t" "${args[@]}" ${FUZZ_ARGS:-} "$work" "$FB/corpus/$t" >"$logf" 2>&1
    rc=$?
    local execs rate last cov ft corp result=ok
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logf" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$logf" | tail -1)
    last=$(grep -a -E '^#[0-9]+' "$logf" | grep -a 'cov:' | tail -1)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
    [ $rc -ne 0 ] && result="FAILED (exit $rc, log $logf)"
    printf '%-10s %8d %12s %10s %7s %7s %6s  %s\n' "$t" $((SECONDS - start)) "${execs:-?}" \
        "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$result"
    if [ $rc -ne 0 ]; then
        show_report "$logf"
        failed+=("$t")
    fi
}

main() {
    cd "$(dirname "$0")/../.." || exit 1
    FB=${FUZZ_BUILD:-build-fuzz}
    RSS=${FUZZ_RSS_MB:-2048}
    TIMEOUT=${FUZZ_TIMEOUT:-25}
    SAN="-O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined"
    SAN="$SAN -fno-sanitize-recover=undefined ${FUZZ_CFLAGS:-}"
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
    export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/fuzz/lsan.supp:print_suppressions=0}

    local mode=fuzz t
    seconds=600
    case "${1:-}" in
    --replay) mode=replay; shift ;;
    --build) mode=build; shift ;;
    [0-9]*) seconds=$1; shift ;;
    esac
    local targets=("$@")
    if [ ${#targets[@]} -eq 0 ]; then
        for t in tests/fuzz/fuzz_*.c; do
            t=${t##*/fuzz_}
            targets+=("${t%.c}")
        done
    fi

    built=() skipped=() failed=()
    build_targets "${targets[@]}"
    case $mode in
    build) ;;
    replay)
        for t in "${built[@]}"; do replay "$t"; done ;;
    fuzz)
        if ! python3 tests/fuzz/make_corpus.py "$FB/corpus" >"$FB/logs/corpus.log" 2>&1; then
            log "FAIL  building the seed corpora:"
            tail -20 "$FB/logs/corpus.log"
            exit 1
        fi
        # One target at a time: the 2 cores are shared.
        printf '%-10s %8s %12s %10s %7s %7s %6s  %s\n' target seconds executions exec/s \
            cov ft corpus result
        for t in "${built[@]}"; do fuzz "$t"; done ;;
    esac
    [ ${#skipped[@]} -gt 0 ] && log "skipped (library code not there yet): ${skipped[*]}"
    if [ ${#failed[@]} -gt 0 ]; then
        log "failed: ${failed[*]}"
        exit 1
    fi
    exit 0
}

main "$@"
