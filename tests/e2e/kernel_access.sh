#!/usr/bin/env bash
# The kernel's own accesses to user memory in traces (format 1.3 kernel_read/kernel_write
# records): a program read(2)s a file into a fresh malloc'd buffer of N pages, recorded with
# the DBI and ptrace backends. Each trace must hold kernel writes covering the buffer, and the
# model's minor faults must match the kernel's count of a native run from execve on
# (tests/validate/native_faults.c) within 2%: natively each buffer page faults once, in
# copy_to_user, and so it must in the model (without the kernel's writes the program's first
# touch would be a read). Events-only traces carry no kernel accesses (their perf fault
# events already count the kernel's faults) and match too.
source "$(dirname "$0")/lib.sh"

cc -O2 -Wall -Wextra -Werror "$ROOT/tests/validate/native_faults.c" -o "$TMP/native_faults"
PAGES=1024
PG=$(getconf PAGESIZE)
head -c $((PAGES * PG)) /dev/urandom >"$TMP/in.bin"
cat "$TMP/in.bin" >/dev/null # in the page cache: no major faults, no readahead differences
k=$("$TMP/native_faults" -q "$PROGS/kacc_read" "$TMP/in.bin" "$PAGES" | awk '{ print $1 - $2 }')
within2() { # desc kernel model
    local tol=$(( $2 * 2 / 100 )) d=$(( $3 - $2 ))
    if [ "${d#-}" -le "$tol" ]; then echo "ok - $1 (model $3, kernel $2)"
    else echo "not ok - $1: model $3, kernel $2, more than $tol (2%) apart"; fi
}

for backend in dbi ptrace; do
    t=$TMP/$backend.mmt
    check "record kacc_read ($backend)" "$MMSIM" record --backend "$backend" --no-native-run -o "$t" -- \
        "$PROGS/kacc_read" "$TMP/in.bin" "$PAGES"
    "$MMSIM" info --json --scan "$t" >"$TMP/$backend.info.json"
    wb=$(json_get "$TMP/$backend.info.json" kernel_accesses.write_bytes)
    check "$backend: kernel writes cover the $PAGES-page buffer ($wb bytes)" test "$wb" -ge $((PAGES * PG))
    nr=$(json_get "$TMP/$backend.info.json" kernel_accesses.reads)
    check "$backend: kernel reads recorded (paths, structs: $nr)" test "$nr" -gt 0
    big=$("$MMSIM" dump "$t" | awk -v n=$((PAGES * PG)) '$3 == "kernel_write" && $5 >= n { c++ } END { print c + 0 }')
    check_eq "$backend: the read(2) into the buffer is one record" 1 "$big"
    "$MMSIM" replay --json --no-progress "$t" >"$TMP/$backend.json"
    within2 "$backend: minor faults match the kernel's from exec" "$k" "$(json_get "$TMP/$backend.json" faults.minor)"
    kf=$(json_get "$TMP/$backend.json" kernel_writes.faults)
    check "$backend: the kernel's writes took the buffer's faults ($kf >= $PAGES)" test "$kf" -ge "$PAGES"
    check_eq "$backend: kernel_writes.bytes in the report = the trace's" "$wb" "$(json_get "$TMP/$backend.json" kernel_writes.bytes)"
done

check "record kacc_read (events-only)" "$MMSIM" record --events-only --no-native-run -o "$TMP/ev.mmt" -- \
    "$PROGS/kacc_read" "$TMP/in.bin" "$PAGES"
"$MMSIM" info --json --scan "$TMP/ev.mmt" >"$TMP/ev.info.json"
check_eq "events-only: no kernel access records" "0 0" \
    "$(json_get "$TMP/ev.info.json" kernel_accesses.reads) $(json_get "$TMP/ev.info.json" kernel_accesses.writes)"
"$MMSIM" replay --json --no-progress "$TMP/ev.mmt" >"$TMP/ev.json"
within2 "events-only: minor faults match the kernel's from exec" "$k" "$(json_get "$TMP/ev.json" faults.minor)"
