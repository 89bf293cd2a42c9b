#!/usr/bin/env bash
# Runs every test: unit tests (plain and ASan+UBSan), end-to-end scripts, short fuzz runs.
# Every test speaks TAP ("ok ..." / "not ok ..."); a program that dies without saying
# "not ok" counts as one failure. Prints one summary line and exits non-zero on a failure.
set -u
cd "$(dirname "$0")/.."
passed=0; failed=0
log=build/test-log; mkdir -p "$log"
FUZZ_SECONDS=${FUZZ_SECONDS:-10}

tally() { # name, log file, exit status
    local name=$1 out=$2 rc=$3 p f
    p=$(grep -c '^ok ' "$out"); f=$(grep -c '^not ok ' "$out")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "not ok - $name exited with status $rc" >>"$out"; fi
    passed=$((passed + p)); failed=$((failed + f))
    if [ "$f" -gt 0 ]; then
        echo "FAIL $name ($p passed, $f failed): see $out"; grep '^not ok' "$out" | head -20 | sed 's/^/    /'
    else
        echo "ok   $name ($p passed)"
    fi
}

run() { # name, command...
    local name=$1; shift
    local out="$log/$(echo "$name" | tr '/ ' '__').log"
    CMOCKA_MESSAGE_OUTPUT=TAP "$@" >"$out" 2>&1; tally "$name" "$out" $?
}

for t in build/tests/test_*; do [ -x "$t" ] && run "unit/${t##*/}" "$t"; done
for t in build/tests-asan/test_*; do [ -x "$t" ] && run "asan/${t##*/}" "$t"; done
for t in tests/e2e/*.sh; do [ -f "$t" ] && [ "${t##*/}" != lib.sh ] && run "e2e/$(basename "$t" .sh)" bash "$t"; done # lib.sh: helpers, not a test
for f in build/fuzz/fuzz_*; do
    [ -x "$f" ] || continue
    name=${f##*/}; corpus=build/fuzz-corpus/$name; mkdir -p "$corpus"
    seeds=tests/fuzz/corpus/${name#fuzz_}
    out="$log/fuzz_$name.log"
    mkdir -p build/fuzz-artifacts
    if "$f" -artifact_prefix=build/fuzz-artifacts/$name- -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -timeout=10 "$corpus" $( [ -d "$seeds" ] && echo "$seeds") >"$out" 2>&1; then
        echo "ok - fuzz $name for ${FUZZ_SECONDS}s" >>"$out"; tally "fuzz/$name" "$out" 0
    else
        rc=$?; echo "not ok - fuzz $name found a crash (status $rc)" >>"$out"; tally "fuzz/$name" "$out" $rc
    fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
