#!/usr/bin/env bash
# mmsim record, DBI backend: reference counts against cachegrind (an independent Valgrind
# tool), processes and threads, exit status pass-through, crashes, kills, SIGTERM, disk full,
# native-run and counter metadata.
source "$(dirname "$0")/lib.sh"
VGLIB=$ROOT/build/vg

# meta_get FILE KEY: a metadata value from `mmsim info --json` (keys hold dots)
meta_get() {
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["meta"].get(sys.argv[2], ""))' "$1" "$2"
}

# per_pid TRACE: "pid ifetches datarefs stores" per process, in order of first appearance
per_pid() {
    "$MMSIM" dump "$1" | awk '$2 == "switch" { pid = $4; if (!(pid in seen)) { seen[pid] = 1; order[n++] = pid } }
        $2 == "ifetch" { i[pid]++ } $2 == "load" || $2 == "modify" { d[pid]++ } $2 == "store" { d[pid]++; s[pid]++ }
        END { for (k = 0; k < n; k++) print order[k], i[order[k]] + 0, d[order[k]] + 0, s[order[k]] + 0 }'
}

# cg_counts PREFIX: "Ir D" summed over every cachegrind output file PREFIX.* (one a process);
# D refs = Dr + Dw (cachegrind counts a read-modify-write once, as a read).
cg_counts() {
    cat "$1".* | awk '/^events:/ { for (i = 2; i <= NF; i++) col[$i] = i - 1 }
        /^summary:/ { ir += $(col["Ir"] + 1); d += $(col["Dr"] + 1) + $(col["Dw"] + 1) }
        END { print ir, d }'
}

# compare NAME PROG ARGS...: record, run cachegrind in the same environment, compare counts.
compare() {
    local name=$1; shift
    "$MMSIM" record --no-native-run -o "$TMP/$name.mmt" -- "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
    check_eq "$name: mmsim record exits 0" 0 $?
    "$MMSIM" info --json "$TMP/$name.mmt" >"$TMP/$name.json"
    VALGRIND_LIB=$VGLIB valgrind -q --tool=cachegrind --trace-children=yes \
        --cachegrind-out-file="$TMP/$name.cg.%p" "$@" >/dev/null 2>&1
    read -r cg_i cg_d < <(cg_counts "$TMP/$name.cg")
    local i l s m
    i=$(json_get "$TMP/$name.json" ifetches)
    l=$(json_get "$TMP/$name.json" loads)
    s=$(json_get "$TMP/$name.json" stores)
    m=$(json_get "$TMP/$name.json" modifies)
    check_near "$name: instruction fetches vs cachegrind I refs" "$cg_i" "$i" 0.01
    check_near "$name: loads+stores+modifies vs cachegrind D refs" "$cg_d" $((l + s + m)) 0.02
    check_eq "$name: trace complete" True "$(json_get "$TMP/$name.json" complete)"
}

P=$PROGS
compare array "$P/rec_array" 100000
check_eq "array: program output passes through" 14999850000 "$(cat "$TMP/array.out")"
compare malloc "$P/rec_malloc" 1500
compare threads "$P/rec_threads" 4
check_eq "threads: 5 threads in 1 process" "5 1" \
    "$(json_get "$TMP/threads.json" threads) $(json_get "$TMP/threads.json" processes)"
check_eq "threads: 4 clone events" 4 "$(json_get "$TMP/threads.json" events_by_type.clone)"
check_eq "threads: the 10 ms sleep is recorded" 1 "$(json_get "$TMP/threads.json" events_by_type.sleep)"
# fork: cachegrind's child files repeat the parent's counts up to the fork, so compare the
# parent alone, and each child against what the program does (50,000 stores of its array).
"$MMSIM" record --no-native-run -o "$TMP/fork.mmt" -- "$P/rec_fork" 2 >"$TMP/fork.out" 2>&1
check_eq "fork: mmsim record exits 0" 0 $?
"$MMSIM" info --json "$TMP/fork.mmt" >"$TMP/fork.json"
check_eq "fork: 3 processes" 3 "$(json_get "$TMP/fork.json" processes)"
check_eq "fork: 2 fork events" 2 "$(json_get "$TMP/fork.json" events_by_type.fork)"
check_eq "fork: trace complete" True "$(json_get "$TMP/fork.json" complete)"
check_eq "fork: children's output passes through" 3 "$(grep -c -E '^(child|parent)' "$TMP/fork.out")"
VALGRIND_LIB=$VGLIB valgrind -q --tool=cachegrind --trace-children=yes \
    --cachegrind-out-file="$TMP/fork.cg.%p" "$P/rec_fork" 2 >/dev/null 2>&1
first_cg=$(ls "$TMP"/fork.cg.* | sort -t. -k3 -n | head -1)
read -r cg_i cg_d < <(cat "$first_cg" | awk '/^events:/ { for (i = 2; i <= NF; i++) col[$i] = i - 1 }
    /^summary:/ { print $(col["Ir"] + 1), $(col["Dr"] + 1) + $(col["Dw"] + 1) }')
per_pid "$TMP/fork.mmt" >"$TMP/fork.pids"
read -r _ p_i p_d _ < <(head -1 "$TMP/fork.pids")
check_near "fork: parent's fetches vs cachegrind I refs" "$cg_i" "$p_i" 0.01
check_near "fork: parent's data refs vs cachegrind D refs" "$cg_d" "$p_d" 0.02
check_eq "fork: each child stores its 50,000 longs (and a little more)" "ok ok" \
    "$(tail -n +2 "$TMP/fork.pids" | awk '{ printf "%s%s", (NR > 1 ? " " : ""), ($4 >= 50000 && $4 < 52000) ? "ok" : "bad:" $4 }')"
# fork_before_child TRACE: prints "ok" when every process but the first appears only after
# a fork event that names it (the model must meet a process's fork before its records).
fork_before_child() {
    "$MMSIM" dump "$1" | awk '$2 == "event" && $3 ~ /^fork/ { split($0, a, "= "); split(a[2], b, " "); forked[b[1]] = 1 }
        $2 == "switch" && !($4 in seen) { seen[$4] = 1; if (n++ && !($4 in forked)) bad = bad " " $4 }
        END { print bad == "" ? "ok" : "unannounced:" bad }'
}
check_eq "fork: each child appears after its fork event" ok "$(fork_before_child "$TMP/fork.mmt")"

# exec through a shell: two forks, two execs, the shell's exit status
"$MMSIM" record --no-native-run -o "$TMP/sh.mmt" -- /bin/sh -c "$P/rec_array 1000 >/dev/null; /bin/true; exit 5" >/dev/null 2>&1
check_eq "sh -c: exit status 5 passes through" 5 $?
"$MMSIM" info --json "$TMP/sh.mmt" >"$TMP/sh.json"
check_eq "sh -c: 3 processes, 2 forks, 2 execs" "3 2 2" "$(json_get "$TMP/sh.json" processes) \
$(json_get "$TMP/sh.json" events_by_type.fork) $(json_get "$TMP/sh.json" events_by_type.exec)"
check "sh -c: the exec event names the new program" \
    sh -c "'$MMSIM' dump '$TMP/sh.mmt' | grep ' exec' | grep -q rec_array"
check_eq "sh -c: each child appears after its fork event" ok "$(fork_before_child "$TMP/sh.mmt")"

compare mmapfile "$P/rec_mmapfile"
check "mmapfile: the file mapping is an mmap event with its path" \
    sh -c "'$MMSIM' dump '$TMP/mmapfile.mmt' | grep -i 'mmap' | grep -q rec_mmapfile"
check "initial mappings include the executable" \
    sh -c "'$MMSIM' dump '$TMP/array.mmt' | grep -i map_initial | grep -q rec_array"

# Exit status passes through.
"$MMSIM" record --no-native-run -o "$TMP/st.mmt" -- "$P/rec_array" 1000 7 >/dev/null 2>&1
check_eq "exit status 7 passes through" 7 $?
check_eq "exit_status in the metadata" 7 "$("$MMSIM" info --json "$TMP/st.mmt" >"$TMP/st.json"; meta_get "$TMP/st.json" exit_status)"

# A crash and a kill leave a readable trace marked incomplete, with the reason.
for case in "segv 139 SEGV" "sigkill 137 KILL"; do
    set -- $case
    "$MMSIM" record --no-native-run -o "$TMP/$1.mmt" -- "$P/rec_$1" >/dev/null 2>"$TMP/$1.err"
    check_eq "$1: exit status 128+signal" "$2" $?
    check "$1: Valgrind's crash report stays out of the program's stderr" \
        sh -c "! grep -q 'Process terminating' '$TMP/$1.err'"
    "$MMSIM" info --json --scan "$TMP/$1.mmt" >"$TMP/$1.json"
    check_eq "$1: trace readable and incomplete" False "$(json_get "$TMP/$1.json" complete)"
    check "$1: reason names the signal" grep -q "$3" <(json_get "$TMP/$1.json" incomplete_reason)
    check "$1: accesses before the end are there" test "$(json_get "$TMP/$1.json" stores)" -gt 10000
done
check "segv: a signal event with SIGSEGV and the faulting address (0x10)" \
    sh -c "'$MMSIM' dump '$TMP/segv.mmt' 2>/dev/null | grep -q 'event signal(0xb, 0x10)'"
check "segv: the reason gives the fault and the place" \
    grep -q "mapped region at address 0x10.*rec_segv.c" <(json_get "$TMP/segv.json" incomplete_reason)

# SIGTERM to mmsim record: forwarded, the trace is closed and says why.
"$MMSIM" record --no-native-run -o "$TMP/term.mmt" -- /bin/sh -c 'i=0; while :; do i=$((i + 1)); done' >/dev/null 2>&1 &
rec=$!
sleep 3
kill -TERM $rec
wait $rec
check_eq "SIGTERM: exit status 143" 143 $?
"$MMSIM" info --json --scan "$TMP/term.mmt" >"$TMP/term.json"
check_eq "SIGTERM: trace incomplete" False "$(json_get "$TMP/term.json" complete)"
check "SIGTERM: reason says so" grep -q TERM <(json_get "$TMP/term.json" incomplete_reason)
check "SIGTERM: records up to the interruption" test "$(json_get "$TMP/term.json" accesses)" -gt 1000000

# The two transports (pieces read from the tool's memory, or sent through the socket) give
# the same records: the dumps of rec_array agree line for line but for the pid (the
# variable is set in both runs, so the environment on the stack is the same size) and for
# a few loads whose address depends on the kernel's 16 random bytes (AT_RANDOM, read by
# ld.so through a table). A lost or repeated piece would move every record after it.
MMSIM_DBI_TRANSPORT=ring "$MMSIM" record --no-native-run -o "$TMP/ring.mmt" -- "$P/rec_array" 100000 >/dev/null 2>&1
MMSIM_DBI_TRANSPORT=copy "$MMSIM" record --no-native-run -o "$TMP/copy.mmt" -- "$P/rec_array" 100000 >/dev/null 2>&1
"$MMSIM" dump "$TMP/ring.mmt" | sed -E 's/(pid|tid) [0-9]+/\1 N/g' >"$TMP/ring.txt"
"$MMSIM" dump "$TMP/copy.mmt" | sed -E 's/(pid|tid) [0-9]+/\1 N/g' >"$TMP/copy.txt"
check "transports: a trace of $(wc -l <"$TMP/ring.txt") records" test "$(wc -l <"$TMP/ring.txt")" -gt 100000
check_eq "transports: ring and copy give as many records" "$(wc -l <"$TMP/ring.txt")" "$(wc -l <"$TMP/copy.txt")"
ndiff=$(diff "$TMP/ring.txt" "$TMP/copy.txt" | grep -c '^<')
check "transports: ring and copy differ in $ndiff records (at most 16: AT_RANDOM)" test "$ndiff" -le 16
"$MMSIM" info --json "$TMP/ring.mmt" >"$TMP/ring.json"
"$MMSIM" info --json "$TMP/copy.mmt" >"$TMP/copy.json"
check_eq "transports: MMSIM_DBI_TRANSPORT=copy is the copy transport" copy "$(meta_get "$TMP/copy.json" dbi.transport)"
# The ring needs ptrace access to the child (process_vm_readv): Yama's scope 2 and 3 refuse it.
if [ "$(cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null || echo 0)" -lt 2 ]; then
    check_eq "transports: the default is the ring" ring "$(meta_get "$TMP/ring.json" dbi.transport)"
else
    check_eq "transports: ptrace_scope >= 2 falls back to copy" copy "$(meta_get "$TMP/ring.json" dbi.transport)"
fi

# --no-ifetch: no fetches, the same data references.
"$MMSIM" record --no-native-run --no-ifetch -o "$TMP/noif.mmt" -- "$P/rec_array" 100000 >/dev/null 2>&1
"$MMSIM" info --json "$TMP/noif.mmt" >"$TMP/noif.json"
check_eq "--no-ifetch: no instruction fetches" 0 "$(json_get "$TMP/noif.json" ifetches)"
check_near "--no-ifetch: same loads" "$(json_get "$TMP/array.json" loads)" "$(json_get "$TMP/noif.json" loads)" 0.01

# Native run and counters: the kernel's rusage and perf's software counters agree.
"$MMSIM" record -o "$TMP/nat.mmt" -- "$P/rec_array" 300000 >/dev/null 2>&1
"$MMSIM" info --json "$TMP/nat.mmt" >"$TMP/nat.json"
nflt=$(meta_get "$TMP/nat.json" native.rusage.min_flt)
check_near "native run: perf MINOR-FAULTS vs rusage min_flt" "$nflt" \
    "$(meta_get "$TMP/nat.json" native.counters.perf::MINOR-FAULTS)" 0.1
# 300000 longs = 586 pages touched, plus the loader's faults
check "native run: at least the array's 586 page faults" test "$nflt" -ge 586
check "traced run: rusage min_flt recorded" test "$(meta_get "$TMP/nat.json" rusage.min_flt)" -gt "$nflt"
check_eq "backend metadata" dbi "$(meta_get "$TMP/nat.json" backend)"
if [ ! -e /sys/bus/event_source/devices/cpu ]; then
    check "no PMU: counters.unavailable names the dTLB events" \
        grep -q DTLB-LOAD-MISSES <(meta_get "$TMP/nat.json" counters.unavailable)
fi

# Disk full: the error says so; on a small tmpfs (root only) the trace stays readable.
"$MMSIM" record --no-native-run -o /dev/full -- "$P/rec_array" 1000 >/dev/null 2>"$TMP/full.err"
check "disk full (/dev/full): non-zero status" test $? -ne 0
check "disk full: the error says no space" grep -q "No space left" "$TMP/full.err"
if [ "$(id -u)" = 0 ] && mkdir -p "$TMP/small" && mount -t tmpfs -o size=96k tmpfs "$TMP/small" 2>/dev/null; then
    "$MMSIM" record --no-native-run -o "$TMP/small/t.mmt" -- "$P/rec_malloc" 30000 >/dev/null 2>"$TMP/small.err"
    check "small disk: error reported" grep -q "No space left" "$TMP/small.err"
    "$MMSIM" info --json --scan "$TMP/small/t.mmt" >"$TMP/small.json" 2>&1
    check_eq "small disk: trace readable up to the last whole chunk, incomplete" False \
        "$(json_get "$TMP/small.json" complete)"
    umount "$TMP/small"
fi
