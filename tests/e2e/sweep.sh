#!/usr/bin/env bash
# mmsim sweep: rows equal single replays, results.json holds every point, resume after an
# interruption never duplicates a point, --zip, and the GNU parallel and Slurm paths give the
# same CSV as a local sweep.
source "$(dirname "$0")/lib.sh"
SYNTH=$ROOT/build/tools/mmt_synth
cat >"$TMP/m.ini" <<'INI'
[tlb.l1d]
entries = 64
ways = 4
kind = dtlb
INI
check "trace a" "$SYNTH" -o "$TMP/a.mmt" --pattern hotcold --pages 300 --accesses 30000
check "trace b" "$SYNTH" -o "$TMP/b.mmt" --pattern phases --pages 200 --accesses 20000 --seed 3

# CSV column from a row picked by its keys: csvcol FILE entries ways trace COLUMN
csvcol() { python3 - "$@" <<'PY'
import csv, sys
f, e, w, t, col = sys.argv[1:]
rows = [r for r in csv.DictReader(open(f)) if r["tlb.l1d.entries"] == e and r["tlb.l1d.ways"] == w and r["trace"].endswith(t)]
print(rows[0][col] if len(rows) == 1 else "rows:%d" % len(rows))
PY
}
check "a 3x2 sweep on two traces" "$MMSIM" sweep -c "$TMP/m.ini" --vary tlb.l1d.entries=16,32,64 --vary tlb.l1d.ways=4,0 -j 2 "$TMP/a.mmt" "$TMP/b.mmt" -o "$TMP/s.csv"
check_eq "one row per point and trace" 12 "$(tail -n +2 "$TMP/s.csv" | wc -l)"
check_eq "keys first, then trace" "tlb.l1d.entries,tlb.l1d.ways,trace" "$(head -1 "$TMP/s.csv" | cut -d, -f1-3)"
for p in "16 4 a.mmt" "64 0 b.mmt" "32 0 a.mmt"; do
    set -- $p
    "$MMSIM" replay -c "$TMP/m.ini" -s tlb.l1d.entries=$1 -s tlb.l1d.ways=$2 --json "$TMP/$3" >"$TMP/one.json" 2>/dev/null
    for k in cycles tlb.l1d.misses tlb.l1d.hits faults.minor; do
        check_eq "entries=$1 ways=$2 $3: $k equals a single replay" "$(json_get "$TMP/one.json" $k)" "$(csvcol "$TMP/s.csv" $1 $2 $3 $k)"
    done
done
check_eq "results.json holds every point" 12 "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["points"]))' "$TMP/s.json")"
check_eq "results.json: a point's result equals the CSV" "$(csvcol "$TMP/s.csv" 16 4 a.mmt tlb.l1d.misses)" \
    "$(python3 -c 'import json,sys
for p in json.load(open(sys.argv[1]))["points"]:
    if p["keys"] == {"tlb.l1d.entries": "16", "tlb.l1d.ways": "4"} and p["trace"].endswith("a.mmt"): print(p["result"]["tlb"]["l1d"]["misses"])' "$TMP/s.json")"
check "misses fall as entries grow (fully associative, trace a)" test "$(csvcol "$TMP/s.csv" 16 0 a.mmt tlb.l1d.misses)" -gt "$(csvcol "$TMP/s.csv" 64 0 a.mmt tlb.l1d.misses)"

# resume: a CSV cut to its header and 5 rows (as after a kill) is completed, no duplicates
head -6 "$TMP/s.csv" >"$TMP/r.csv"
check "resume a partial CSV" "$MMSIM" sweep -c "$TMP/m.ini" --vary tlb.l1d.entries=16,32,64 --vary tlb.l1d.ways=4,0 "$TMP/a.mmt" "$TMP/b.mmt" -o "$TMP/r.csv" -j 2
check_eq "resumed: 12 rows" 12 "$(tail -n +2 "$TMP/r.csv" | wc -l)"
check_eq "resumed: no point twice" 12 "$(tail -n +2 "$TMP/r.csv" | cut -d, -f1-3 | sort -u | wc -l)"
check_eq "resumed rows equal the uninterrupted sweep" "$(sort "$TMP/s.csv" | md5sum)" "$(sort "$TMP/r.csv" | md5sum)"
"$MMSIM" sweep -c "$TMP/m.ini" --vary tlb.l1d.entries=16,32,64 --vary tlb.l1d.ways=4,0 "$TMP/a.mmt" "$TMP/b.mmt" -o "$TMP/r.csv" 2>"$TMP/again.txt"
check "a complete sweep reruns nothing" grep -q "12 of 12 points already" "$TMP/again.txt"
# a real interruption: kill a one-process sweep after its first row, then rerun
"$MMSIM" sweep -c "$TMP/m.ini" --vary tlb.l1d.entries=8,12,16,24,32,48 -j 1 "$TMP/a.mmt" -o "$TMP/k.csv" 2>/dev/null &
pid=$!
for i in $(seq 200); do [ "$({ wc -l <"$TMP/k.csv"; } 2>/dev/null || echo 0)" -ge 2 ] && break; sleep 0.05; done
kill $pid 2>/dev/null; wait $pid 2>/dev/null
before=$(($(wc -l <"$TMP/k.csv") - 1))
check "rerun after a kill" "$MMSIM" sweep -c "$TMP/m.ini" --vary tlb.l1d.entries=8,12,16,24,32,48 -j 1 "$TMP/a.mmt" -o "$TMP/k.csv"
check_eq "after the kill ($before rows kept): 6 distinct rows" "6 6" "$(tail -n +2 "$TMP/k.csv" | wc -l) $(tail -n +2 "$TMP/k.csv" | cut -d, -f1 | sort -u | wc -l)"

# --zip takes the lists in step
check "--zip" "$MMSIM" sweep -c "$TMP/m.ini" --zip --vary tlb.l1d.entries=16,64 --vary tlb.l1d.ways=4,0 "$TMP/a.mmt" -o "$TMP/z.csv"
check_eq "--zip rows" "16,4 64,0" "$(tail -n +2 "$TMP/z.csv" | cut -d, -f1,2 | sort -n | tr '\n' ' ' | sed 's/ $//')"
"$MMSIM" sweep -c "$TMP/m.ini" --zip --vary tlb.l1d.entries=16,64 --vary tlb.l1d.ways=4 "$TMP/a.mmt" -o "$TMP/z2.csv" 2>"$TMP/zerr.txt"
check "--zip with lists of different lengths is an error naming them" grep -q "tlb.l1d.ways' has 1 values" "$TMP/zerr.txt"

# GNU parallel: the job list runs under parallel (locally here; --sshloginfile for hosts)
check "--emit parallel" "$MMSIM" sweep -c "$TMP/m.ini" --vary tlb.l1d.entries=16,32,64 --vary tlb.l1d.ways=4,0 "$TMP/a.mmt" "$TMP/b.mmt" --emit parallel "$TMP/jobs.txt" --dir "$TMP/pd"
check_eq "one job line per point" 12 "$(wc -l <"$TMP/jobs.txt")"
check "GNU parallel is installed (make deps)" command -v parallel
check "parallel runs the jobs" parallel --will-cite -j 2 --halt now,fail=1 -a "$TMP/jobs.txt"
check "--collect" "$MMSIM" sweep --collect "$TMP/pd" -o "$TMP/p.csv"
check_eq "collected CSV equals the local sweep" "$(sort "$TMP/s.csv" | md5sum)" "$(sort "$TMP/p.csv" | md5sum)"
check "collect again adds nothing" "$MMSIM" sweep --collect "$TMP/pd" -o "$TMP/p.csv"
check_eq "still 12 rows" 12 "$(tail -n +2 "$TMP/p.csv" | wc -l)"

# Slurm: the array script run task by task as Slurm would
check "--emit slurm" "$MMSIM" sweep -c "$TMP/m.ini" --vary tlb.l1d.entries=16,32,64 --vary tlb.l1d.ways=4,0 "$TMP/a.mmt" "$TMP/b.mmt" --emit slurm "$TMP/job.sbatch" --dir "$TMP/sd"
check "the script declares the array" grep -q "^#SBATCH --array=0-11$" "$TMP/job.sbatch"
for i in $(seq 0 11); do SLURM_ARRAY_TASK_ID=$i bash "$TMP/job.sbatch" || echo "task $i failed" >>"$TMP/slurm.fail"; done
check "every array task ran" test ! -e "$TMP/slurm.fail"
check "--collect of the Slurm folder" "$MMSIM" sweep --collect "$TMP/sd" -o "$TMP/q.csv"
check_eq "Slurm CSV equals the local sweep" "$(sort "$TMP/s.csv" | md5sum)" "$(sort "$TMP/q.csv" | md5sum)"
