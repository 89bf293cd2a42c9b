#!/usr/bin/env bash
# Counters on the traced run under every backend: record.h's child_ready hook attaches them
# to the child before its exec (the ptrace backends stop it there), so the trace's footer
# holds counters.* beside rusage.* for --backend ptrace and --events-only as for the DBI.
source "$(dirname "$0")/lib.sh"

meta_get() {
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["meta"].get(sys.argv[2], ""))' "$1" "$2"
}

for mode in "--backend ptrace" "--events-only" "--backend dbi"; do
    name=${mode##*-}
    # shellcheck disable=SC2086
    "$MMSIM" record $mode --no-native-run -o "$TMP/$name.mmt" -- "$PROGS/rec_array" 2000 >/dev/null 2>"$TMP/$name.err"
    check_eq "$mode: recorded" 0 $?
    "$MMSIM" info --json "$TMP/$name.mmt" >"$TMP/$name.json"
    minor=$(meta_get "$TMP/$name.json" counters.perf::MINOR-FAULTS)
    minflt=$(meta_get "$TMP/$name.json" rusage.min_flt)
    check "$mode: counters.perf::MINOR-FAULTS is in the footer ('$minor')" test -n "$minor"
    # perf counts the program's user-space faults after exec; rusage all of the process's
    check "$mode: 0 < minor-fault counter ($minor) <= rusage.min_flt ($minflt)" \
        awk -v c="${minor:-0}" -v r="${minflt:-0}" 'BEGIN { exit !(c > 0 && c <= r) }'
done
