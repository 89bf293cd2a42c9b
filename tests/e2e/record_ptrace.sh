#!/usr/bin/env bash
# mmsim record --backend ptrace and --events-only: exact counts computed by hand (rep movsb,
# push/pop, fs-relative TLS), threads and forks followed with their events, exit status and
# crashes passed through, interruption, agreement with the DBI backend, and the events-only
# mode's page faults against the kernel's own count (/usr/bin/time %R).
source "$(dirname "$0")/lib.sh"
export MMSIM_VGLIB=${MMSIM_VGLIB:-$ROOT/build/vg}

# Static builds keep ld.so out of the single-stepped run (ptrace is ~20,000x native).
prog() {
    local name=$1
    if gcc -std=gnu11 -O1 -g -pthread -static "$ROOT/tests/progs/$name.c" -o "$TMP/$name" 2>/dev/null; then
        echo "$TMP/$name"
    else
        echo "$PROGS/$name"
    fi
}
PS=$(prog ptrace_string)
PP=$(prog ptrace_procs)
SEGV=$(prog rec_segv)
NOASLR="setarch $(uname -m) -R"
$NOASLR true 2>/dev/null || NOASLR=""

# count_in DUMP KIND SIZE LO N: accesses of KIND and SIZE with LO <= addr < LO+N
count_in() {
    python3 - "$@" <<'PY'
import sys
path, kind, size, lo, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4], 16), int(sys.argv[5])
c = 0
for line in open(path):
    f = line.split()
    if len(f) >= 4 and f[1] == kind and int(f[3]) == size and lo <= int(f[2], 16) < lo + n:
        c += 1
print(c)
PY
}

# 1. rep movsb of 1000 bytes: exactly 1000 one-byte loads from src and 1000 stores to dst;
#    50 reads of a TLS variable at fs_base + offset, at the address the program prints.
"$MMSIM" record --backend ptrace --no-native-run -o "$TMP/s.mmt" -- "$PS" 1000 100 50 >"$TMP/s.out" 2>"$TMP/s.err"
check_eq "ptrace: record exits with the program's status" 0 $?
read -r SRC DST TLS _ <"$TMP/s.out"
"$MMSIM" dump "$TMP/s.mmt" >"$TMP/s.txt"
check_eq "rep movsb 1000: 1000 loads from src" 1000 "$(count_in "$TMP/s.txt" load 1 "$SRC" 1000)"
check_eq "rep movsb 1000: 1000 stores to dst" 1000 "$(count_in "$TMP/s.txt" store 1 "$DST" 1000)"
check_eq "fs-relative TLS: 50 loads at &tls_var" 50 "$(count_in "$TMP/s.txt" load 8 "$TLS" 1)"
"$MMSIM" info --json "$TMP/s.mmt" >"$TMP/s.json"
check_eq "ptrace: trace complete" True "$(json_get "$TMP/s.json" complete)"
check_eq "ptrace: backend in metadata" ptrace "$(json_get "$TMP/s.json" backend)"
check "ptrace: exec and initial mappings recorded" python3 -c '
import json, sys
e = json.load(open(sys.argv[1]))["events_by_type"]
sys.exit(not (e.get("exec") == 1 and e.get("map_initial", 0) >= 3 and e.get("exit") == 1))' "$TMP/s.json"

# 2. push/pop: 200 more pairs give exactly 200 more loads and 200 more stores (same start-up
#    with address randomisation off).
for m in 100 300; do
    $NOASLR "$MMSIM" record --backend ptrace --no-native-run -o "$TMP/m$m.mmt" -- "$PS" 1000 $m 50 >/dev/null 2>&1
    "$MMSIM" info --json "$TMP/m$m.mmt" >"$TMP/m$m.json"
done
for k in loads stores; do
    a=$(json_get "$TMP/m100.json" $k); b=$(json_get "$TMP/m300.json" $k)
    check_eq "push/pop x200: $k grow by exactly 200" 200 $((b - a))
done

# 2b. gather/scatter: only the masked lanes, each at table + 4 * index (lanes from the
#     vector registers read with PTRACE_GETREGSET NT_X86_XSTATE before the step)
PG=$(prog ptrace_gather)
"$MMSIM" record --backend ptrace --no-native-run -o "$TMP/g.mmt" -- "$PG" >"$TMP/g.out" 2>&1
check_eq "gather: exits 0 (the CPU has AVX2)" 0 $?
read -r TABLE AVX512 <"$TMP/g.out"
"$MMSIM" dump "$TMP/g.mmt" >"$TMP/g.txt"
lanes() {
    python3 - "$TMP/g.txt" "$TABLE" "$1" <<'PY'
import sys
lo = int(sys.argv[2], 16)
print(" ".join(str((int(f[2], 16) - lo) // 4) for f in (l.split() for l in open(sys.argv[1]))
               if f[1] == sys.argv[3] and f[3] == "4" and lo <= int(f[2], 16) < lo + 4096))
PY
}
check_eq "vpgatherdd: lanes 0, 2, 5 -> indices 3 7 200" "3 7 200" "$(lanes load)"
if [ "$AVX512" = 1 ]; then
    check_eq "vpscatterdd: k lanes 1, 3, 15 -> indices 21 23 600" "21 23 600" "$(lanes store)"
fi

# 3. --no-ifetch: the same data accesses, no fetches
"$MMSIM" record --backend ptrace --no-ifetch --no-native-run -o "$TMP/n.mmt" -- "$PS" 1000 100 50 >/dev/null 2>&1
"$MMSIM" info --json "$TMP/n.mmt" >"$TMP/n.json"
check_eq "--no-ifetch: no fetches" 0 "$(json_get "$TMP/n.json" ifetches)"
check_near "--no-ifetch: loads as with fetches" "$(json_get "$TMP/s.json" loads)" "$(json_get "$TMP/n.json" loads)" 0.02

# 4. threads and a fork: 4 threads in 2 processes, their events, the child's exit status
"$MMSIM" record --backend ptrace --no-native-run -o "$TMP/p.mmt" -- "$PP" >"$TMP/p.out" 2>"$TMP/p.err"
check_eq "threads+fork: exits 0" 0 $?
check_eq "threads+fork: the program's output passes through" "child status 7" "$(cat "$TMP/p.out")"
"$MMSIM" info --json "$TMP/p.mmt" >"$TMP/p.json"
check_eq "threads+fork: 4 threads" 4 "$(json_get "$TMP/p.json" threads)"
check_eq "threads+fork: 2 processes" 2 "$(json_get "$TMP/p.json" processes)"
for ev in clone:2 fork:1 exit:4 sleep:1 munmap:1; do
    n=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["events_by_type"].get(sys.argv[2], 0))' "$TMP/p.json" "${ev%%:*}")
    check_eq "threads+fork: ${ev%%:*} events" "${ev#*:}" "$n"
done
"$MMSIM" dump "$TMP/p.mmt" >"$TMP/p.txt"
check "threads+fork: the child's exit event holds status 7" grep -q "event exit(0x700, 0x1)" "$TMP/p.txt"
check "threads+fork: the 2 ms sleep is recorded" grep -q "event sleep(0x1e8480)" "$TMP/p.txt"
check "threads+fork: each thread wrote its 256 longs" python3 - "$TMP/p.txt" <<'PY'
import sys, collections
tid, stores = None, collections.Counter()
for line in open(sys.argv[1]):
    f = line.split()
    if f[1] == "switch": tid = f[5]
    elif f[1] == "store" and f[3] == "8": stores[tid] += 1
# every one of the 4 threads stores; the three workers at least their 256 longs
sys.exit(not (len(stores) == 4 and sorted(stores.values())[1] >= 256))
PY

# 5. a crash: the status passes through, the trace ends with the fatal signal
"$MMSIM" record --backend ptrace --no-native-run -o "$TMP/segv.mmt" -- "$SEGV" >/dev/null 2>&1
check_eq "SIGSEGV: mmsim exits 128+11" 139 $?
"$MMSIM" dump "$TMP/segv.mmt" >"$TMP/segv.txt"
check "SIGSEGV: a signal event with signo 11 and the fault address 0x10 (rec_segv stores there)" grep -q "event signal(0xb, 0x10)" "$TMP/segv.txt"

# 6. SIGINT during a long run: the tracee is killed, the trace readable and marked incomplete
"$MMSIM" record --backend ptrace --no-native-run -o "$TMP/int.mmt" -- "$PS" 1000 10000000 50 >/dev/null 2>&1 &
pid=$!
sleep 1
kill -INT $pid
wait $pid
check_eq "SIGINT: mmsim exits with the killed status" 137 $?
"$MMSIM" info --json "$TMP/int.mmt" >"$TMP/int.json"
check_eq "SIGINT: trace marked incomplete" False "$(json_get "$TMP/int.json" complete)"
check "SIGINT: records up to the interruption" test "$(json_get "$TMP/int.json" loads)" -gt 1000

# 7. data references agree with the DBI backend within 10% (start-up differs under Valgrind)
if [ -x "$ROOT/build/vg/mmsimtrace-amd64-linux" ]; then
    "$MMSIM" record --no-native-run -o "$TMP/d.mmt" -- "$PS" 1000 100 50 >/dev/null 2>&1
    "$MMSIM" info --json "$TMP/d.mmt" >"$TMP/d.json"
    drefs() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["loads"]+j["stores"]+j["modifies"])' "$1"; }
    check_near "ptrace data refs within 10% of the DBI backend's" "$(drefs "$TMP/d.json")" "$(drefs "$TMP/s.json")" 0.10
else
    echo "not ok - DBI backend not built (build/vg/mmsimtrace-amd64-linux): run make build"
fi

# 8. events-only: every page fault with its address, close to the kernel's minor-fault count
TOUCH=$PROGS/ptrace_touch
kern=$(/usr/bin/time -f %R "$TOUCH" 12288 2>&1 >/dev/null | tail -1)
"$MMSIM" record --events-only --no-native-run -o "$TMP/e.mmt" -- "$TOUCH" 12288 >"$TMP/e.out" 2>"$TMP/e.err"
check_eq "events-only: exits 0" 0 $?
"$MMSIM" info --json "$TMP/e.mmt" >"$TMP/e.json"
pf=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["events_by_type"].get("page_fault", 0))' "$TMP/e.json")
check_near "events-only: page faults vs /usr/bin/time %R" "$kern" "$pf" 0.03
check_eq "events-only: no accesses recorded" 0 "$(json_get "$TMP/e.json" accesses)"
read -r BASE _ <"$TMP/e.out"
"$MMSIM" dump "$TMP/e.mmt" >"$TMP/e.txt"
check_eq "events-only: one fault in each of the 12288 touched pages" 12288 "$(python3 - "$TMP/e.txt" "$BASE" <<'PY'
import sys
lo = int(sys.argv[2], 16); hi = lo + 12288 * 4096; pages = set()
for line in open(sys.argv[1]):
    f = line.split()
    if f[1] == "event" and f[2].startswith("page_fault("):
        a = int(f[2][len("page_fault("):].rstrip(","), 16)
        if lo <= a < hi: pages.add(a >> 12)
print(len(pages))
PY
)"
check "events-only: the mmap comes before the faults in it, the munmap after" python3 - "$TMP/e.txt" "$BASE" <<'PY'
import sys
base = sys.argv[2]; mm = un = first = last = None
for i, line in enumerate(open(sys.argv[1])):
    if "event mmap(" in line and "(%s)" % base in line: mm = i
    if "event munmap(%s," % base in line: un = i
    if "page_fault(%s" % base[:-3] in line:
        first = i if first is None else first; last = i
sys.exit(not (mm is not None and un is not None and first is not None and mm < first and last < un))
PY
check "events-only: initial mappings, exec and exit present" python3 -c '
import json, sys
e = json.load(open(sys.argv[1]))["events_by_type"]
sys.exit(not (e.get("map_initial", 0) >= 5 and e.get("exec") == 1 and e.get("mmap", 0) >= 1 and e.get("exit") == 1))' "$TMP/e.json"
"$MMSIM" record --events-only --no-native-run -o "$TMP/ep.mmt" -- "$PP" >/dev/null 2>&1
"$MMSIM" info --json "$TMP/ep.mmt" >"$TMP/ep.json"
check_eq "events-only threads+fork: 4 threads seen" 4 "$(json_get "$TMP/ep.json" threads)"
check_eq "events-only threads+fork: 2 processes" 2 "$(json_get "$TMP/ep.json" processes)"

# 9. events-only major faults: a file dropped from the page cache, then mapped and read; the
#    faults flagged major match the kernel's maj_flt for the traced process
MF=$ROOT/build/ptrace_majflt.$$.dat
"$MMSIM" record --events-only --no-native-run -o "$TMP/mf.mmt" -- "$PROGS/ptrace_majflt" "$MF" 512 >/dev/null 2>&1
rm -f "$MF"
"$MMSIM" info --json "$TMP/mf.mmt" >"$TMP/mf.json"
kmaj=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["meta"]["rusage.maj_flt"])' "$TMP/mf.json")
tmaj=$("$MMSIM" dump "$TMP/mf.mmt" | grep -c "event page_fault(0x[0-9a-f]*, 0x2)")
check "events-only: at least one major fault" test "$tmaj" -ge 1
check_eq "events-only: major faults = the kernel's maj_flt" "$kmaj" "$tmaj"
