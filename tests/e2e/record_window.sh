#!/usr/bin/env bash
# mmsim record --skip/--length/--every (windows of a long program, DBI backend) and replay
# --warmup: window count and lengths against the program's instruction count from
# cachegrind (an independent Valgrind tool), fetch records equal to the instructions each
# window ran, mappings made while fast-forwarding present in the trace, per-window replay
# results against the trace's own counts, usage errors.
source "$(dirname "$0")/lib.sh"
VGLIB=$ROOT/build/vg
SB=512 # the most instructions a superblock has (the tool's plan limit): windows are exact to one

N=200000 P=6 SKIP=300000 LEN=100000 EVERY=400000
PROG="$PROGS/win_loop $N $P"
native=$($PROG)
out=$("$MMSIM" record --no-native-run --no-counters -o "$TMP/w.mmt" --skip 300K --length 100K \
      --every 400K -- $PROG 2>"$TMP/w.err")
check_eq "record with windows exits 0" 0 $?
check_eq "the program's output passes through" "$native" "$out"
"$MMSIM" info --json "$TMP/w.mmt" >"$TMP/w.json"
check "info --json reads the windowed trace" test -s "$TMP/w.json"

VALGRIND_LIB=$VGLIB valgrind -q --tool=cachegrind --cache-sim=no \
    --cachegrind-out-file="$TMP/cg.out" $PROG >/dev/null 2>&1
T=$(awk '/^summary:/ { print $2 }' "$TMP/cg.out")
check "cachegrind counted the program's instructions ($T)" test "${T:-0}" -gt 1000000

# Every window against the schedule: the first starts at SKIP, each runs LEN and the next
# starts EVERY after its end, each within a superblock; the last ends past T - EVERY (no
# window missing); every window's fetch records equal its instruction count.
python3 - "$TMP/w.json" "$T" $SKIP $LEN $EVERY $SB >"$TMP/sched.out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
T, skip, length, every, sb = map(int, sys.argv[2:])
ws = d["windows"]
bad = []
if len(ws) < 2: bad.append("fewer than 2 windows: %d" % len(ws))
prev_end = None
for i, w in enumerate(ws):
    s, n = w["start_instruction"], w["instructions"]
    if w["index"] != i: bad.append("window %d has index %d" % (i, w["index"]))
    lo = skip if prev_end is None else prev_end + every
    if not lo <= s < lo + sb: bad.append("window %d starts at %d, expected %d..%d" % (i, s, lo, lo + sb))
    last = i == len(ws) - 1
    if n is None or not (n < length + sb and (last or n >= length)):
        bad.append("window %d ran %s instructions, expected %d..%d" % (i, n, length, length + sb))
    if w["ifetches"] != n: bad.append("window %d: %d fetch records for %s instructions" % (i, w["ifetches"], n))
    prev_end = s + (n or 0)
if ws and not ws[-1]["start_instruction"] < T: bad.append("the last window starts after the program's end")
if ws and not prev_end + every + sb > T: bad.append("a window is missing at the end: last ends at %d of %d" % (prev_end, T))
if sum(w["accesses"] for w in ws) != d["accesses"]: bad.append("accesses outside the windows")
print(len(ws))
print("\n".join(bad))
PY
nwin=$(head -1 "$TMP/sched.out")
check_eq "windows follow the schedule within a superblock ($nwin windows)" "" "$(tail -n +2 "$TMP/sched.out")"
expected=$(( (T - SKIP) / (LEN + EVERY) + ((T - SKIP) % (LEN + EVERY) > 0) ))
check_eq "window count from the program's instruction count" "$expected" "$nwin"

# The P regions are mapped one a phase; most phases map theirs while fast-forwarding.
"$MMSIM" dump "$TMP/w.mmt" | awk '
    / event window\(0,/ { inside = 1 } / event window\(0x1,/ { inside = 0 }
    / event mmap\(0, 0x100000,/ { n++; if (!inside) outside++ }
    END { print n + 0, outside + 0 }' >"$TMP/maps.out"
read -r nmaps outside <"$TMP/maps.out"
check_eq "every phase's 1 MiB mmap is in the trace" "$P" "$nmaps"
check "mmaps made while fast-forwarding are recorded ($outside of $nmaps)" test "$outside" -ge 1

# Kernel accesses (a system call's buffers) are dropped with the accesses while
# fast-forwarding: the loader's reads and the final printf's write fall in the gaps.
"$MMSIM" dump "$TMP/w.mmt" | awk '
    / event window\(0,/ { inside = 1 } / event window\(0x1,/ { inside = 0 }
    / event kernel_(read|write) / { if (inside) in_win++; else out++ }
    END { print in_win + 0, out + 0 }' >"$TMP/kacc.out"
read -r kin kout <"$TMP/kacc.out"
"$MMSIM" record --no-native-run --no-counters -o "$TMP/full.mmt" -- $PROGS/win_loop 1000 1 >/dev/null 2>&1
kfull=$("$MMSIM" dump "$TMP/full.mmt" | grep -c " event kernel_")
check "a whole-program record has kernel accesses ($kfull)" test "$kfull" -ge 1
check_eq "no kernel accesses outside the windows ($kin inside)" 0 "$kout"

# An exec ends the open window; the new image counts from 0 and numbers its windows from 0.
"$MMSIM" record --no-native-run --no-counters -o "$TMP/x.mmt" --length 10M -- \
    sh -c "exec $PROGS/win_loop 1000 1" >/dev/null 2>&1
"$MMSIM" info --json "$TMP/x.mmt" >"$TMP/x.json"
check_eq "exec: two windows, both index 0, both ended, one pid" "[0, 0] 2 1" \
    "$(python3 -c 'import json,sys; w=json.load(open(sys.argv[1]))["windows"]
print([x["index"] for x in w], sum(x["instructions"] is not None for x in w), len({x["pid"] for x in w}))' "$TMP/x.json")"

# Instructions are counted without fetches too.
"$MMSIM" record --no-native-run --no-counters --no-ifetch -o "$TMP/n.mmt" --skip 300K \
    --length 100K --every 400K -- $PROG >/dev/null 2>&1
"$MMSIM" info --json "$TMP/n.mmt" >"$TMP/n.json"
check_eq "--no-ifetch: the same number of windows" "$nwin" \
    "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["windows"]))' "$TMP/n.json")"

# replay --warmup: each window counts its accesses less the warmup.
"$MMSIM" replay --no-progress --warmup 1000 --json "$TMP/w.mmt" >"$TMP/r.json"
check_eq "replay --warmup exits 0" 0 $?
python3 - "$TMP/w.json" "$TMP/r.json" >"$TMP/warm.out" <<'PY'
import json, sys
info, rep = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
w = rep["windows"]
bad = []
if w["count"] != len(info["windows"]): bad.append("%d windows replayed, %d in the trace" % (w["count"], len(info["windows"])))
tot = 0
for a, b in zip(info["windows"], w["list"]):
    want = a["accesses"] - 1000
    if b["warmed"] != 1000 or b["stats"]["accesses"] != want:
        bad.append("window %d: warmed %d, counted %s accesses, expected 1000 and %d" % (a["index"], b["warmed"], b["stats"]["accesses"], want))
    tot += want
if w["total"]["stats"]["accesses"] != tot: bad.append("total %s, expected %d" % (w["total"]["stats"]["accesses"], tot))
if len(rep["processes"]) != 1: bad.append("%d processes replayed, the program is one" % len(rep["processes"]))
if rep["accesses"] != info["accesses"]: bad.append("the whole replay counts %s accesses, the trace has %d" % (rep["accesses"], info["accesses"]))
print("\n".join(bad))
PY
check_eq "replay --warmup: per-window accesses are the window's less the warmup, total their sum" "" "$(cat "$TMP/warm.out")"
"$MMSIM" replay --no-progress --warmup 0.25 "$TMP/w.mmt" >"$TMP/r.txt"
check "replay --warmup 0.25 prints the windows table" grep -q "^Windows: $nwin, each after a warmup of 0.25" "$TMP/r.txt"
check_eq "... a row a window and a total" "$((nwin + 1))" \
    "$(awk '/^Windows:/ { on = 1; next } on && /^ +([0-9]+|total) /' "$TMP/r.txt" | wc -l)"

# Usage errors.
"$MMSIM" record --skip 10 -- true 2>"$TMP/e1"
check_eq "--skip without --length is a usage error" 2 $?
check "... saying --length is needed" grep -q "need --length" "$TMP/e1"
"$MMSIM" record --backend ptrace --length 1M -- true 2>"$TMP/e2"
check_eq "windows with the ptrace backend are refused" 2 $?
check "... saying why" grep -q "need --backend dbi" "$TMP/e2"
"$MMSIM" record --length 10Q -- true 2>"$TMP/e3"
check_eq "a malformed count is a usage error" 2 $?
"$MMSIM" replay --warmup 1.5 "$TMP/w.mmt" 2>"$TMP/e4"
check_eq "--warmup 1.5 is a usage error" 2 $?
"$MMSIM" replay --warmup 10 "$TMP/w.mmt" "$TMP/n.mmt" 2>"$TMP/e5" >/dev/null
check_eq "--warmup with two traces is refused" 1 $?
