#!/usr/bin/env bash
# The timing calibration belongs to the reference machine, not to each configuration:
#   - mmsim calibrate's values make an unpressured replay take the native run's user +
#     system time (within 1%: timing.minor_fault is rounded to whole cycles), or, when the
#     tick-sampled user time came out below the model's stalls and base_cpi was floored,
#     the fit's own unpressured_s;
#   - a sweep of dTLB sizes calibrates once: every point has the same fitted base_cpi (that
#     of mmsim calibrate on the sweep's base config), and cycles fall as dTLB misses fall
#     (a fit per point absorbed the TLB: every size took the same time);
#   - the point on the base config equals mmsim replay of it fitting itself, to the cycle;
#   - a sweep over memcg.limit gives each point mmsim calibrate's values and replays no
#     calibration of its own (the limit does not enter the fit: a point equals mmsim replay
#     fitting itself); its GNU parallel job list carries them too; --onepass rows too;
#   - mmsim replay --calibrate-with REF replays as with mmsim calibrate's values on REF;
#   - a trace without a native run: mmsim calibrate fails naming it, a sweep still runs.
# Model only, any kernel, no root: a small recorded program (its native run is recorded
# with it) replayed with the config's zero-page choice fixed.
source "$(dirname "$0")/lib.sh"
CFG=$ROOT/configs/default.ini
# the dTLB as one 4K array, a small STLB behind it: dTLB misses become walks
TLB=(-s tlb.dtlb.page_sizes=4K -s tlb.dtlb.entries=64 -s tlb.dtlb.ways=4 -s tlb.stlb.entries=12
     -s memory.zero_page=0 -s cpu.freq_ghz=2.0)
"$MMSIM" record --no-counters -o "$TMP/w.mmt" -- "$PROGS/thrash_walk" rand 16 16384 >/dev/null 2>"$TMP/rec.err" ||
    { echo "not ok - recording thrash_walk failed"; sed 's/^/#   /' "$TMP/rec.err" | head -5; exit 1; }

# ---- mmsim calibrate ----
"$MMSIM" calibrate -c "$CFG" "${TLB[@]}" --json "$TMP/w.mmt" >"$TMP/cal.json"
check_eq "mmsim calibrate --json exits 0" 0 "$?"
sets() { python3 -c 'import json,sys; print(" ".join("-s " + s for s in json.load(open(sys.argv[1]))["settings"]))' "$1"; }
check_eq "the settings end with timing.calibrate=off" "timing.calibrate=off" "$(sets "$TMP/cal.json" | awk '{print $NF}')"
"$MMSIM" calibrate -c "$CFG" "${TLB[@]}" "$TMP/w.mmt" >"$TMP/cal.txt"
check_eq "the text's last line is the JSON's settings" "$(sets "$TMP/cal.json")" "$(tail -1 "$TMP/cal.txt")"
# On the default machine. The native run is short and rusage splits it into user and system
# time by ticks: when the user share comes out below the model's stall cycles, base_cpi is
# floored (`why` says so) and the replay takes the fit's own unpressured_s instead.
MEM=(-s swap.size=64M -s memory.zero_page=0 -s cpu.freq_ghz=2.0)
"$MMSIM" calibrate -c "$CFG" "${MEM[@]}" --json "$TMP/w.mmt" >"$TMP/calm.json"
"$MMSIM" replay --no-progress --json -c "$CFG" "${MEM[@]}" -s memory.unlimited=1 $(sets "$TMP/calm.json") \
    "$TMP/w.mmt" >"$TMP/unpr.json"
secs=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["cycles"] / 2.0e9)' "$TMP/unpr.json")
check_near "an unpressured replay with the values takes the fit's unpressured_s" \
    "$(json_get "$TMP/calm.json" unpressured_s)" "$secs" 0.01
native=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["native_user_s"] + d["native_sys_s"])' "$TMP/calm.json")
if [ "$(json_get "$TMP/calm.json" why)" = None ]; then
    check_near "an unpressured replay with the values takes the native user + sys time (s)" "$native" "$secs" 0.01
else
    echo "ok - native time: $(json_get "$TMP/calm.json" why) # SKIP"
fi

# ---- a sweep of dTLB sizes ----
check "sweep dTLB entries 4..256" "$MMSIM" sweep -c "$CFG" "${TLB[@]}" --vary tlb.dtlb.entries=4,16,64,256 -j 2 \
    "$TMP/w.mmt" -o "$TMP/tlb.csv"
col() { python3 -c 'import csv,sys
rows = sorted(csv.DictReader(open(sys.argv[1])), key=lambda r: float(r[sys.argv[2]]))
print(" ".join(r[sys.argv[3]] for r in rows))' "$@"; }
misses=$(col "$TMP/tlb.csv" tlb.dtlb.entries tlb.dtlb.misses)
cycles=$(col "$TMP/tlb.csv" tlb.dtlb.entries cycles)
falls() { awk '{ for (i = 2; i <= NF; i++) if (!($i < $(i - 1))) exit 1 }' <<<"$1"; }
check "dTLB misses fall as entries grow ($misses)" falls "$misses"
check "cycles fall with them ($cycles)" falls "$cycles"
check_eq "one base_cpi for every point" 1 "$(col "$TMP/tlb.csv" tlb.dtlb.entries calibration.base_cpi | tr ' ' '\n' | sort -u | wc -l)"
check_eq "it is mmsim calibrate's" "$(json_get "$TMP/cal.json" base_cpi)" \
    "$(col "$TMP/tlb.csv" tlb.dtlb.entries calibration.base_cpi | awk '{print $1}')"
check_eq "every row says it was calibrated once for the sweep" "1 1 1 1" "$(col "$TMP/tlb.csv" tlb.dtlb.entries calibration.per_sweep)"
"$MMSIM" replay --no-progress --json -c "$CFG" "${TLB[@]}" "$TMP/w.mmt" >"$TMP/self.json"
check_eq "the base config's point equals mmsim replay fitting itself (cycles)" "$(json_get "$TMP/self.json" cycles)" \
    "$(col "$TMP/tlb.csv" tlb.dtlb.entries cycles | awk '{print $3}')"

# ---- mmsim replay --calibrate-with: the fit of another config, -s still wins ----
"$MMSIM" calibrate -c "$CFG" --json "$TMP/w.mmt" >"$TMP/calref.json"
"$MMSIM" replay --no-progress --json -c "$CFG" "${TLB[@]}" -s tlb.dtlb.entries=4 $(sets "$TMP/calref.json") \
    "$TMP/w.mmt" >"$TMP/given.json"
"$MMSIM" replay --no-progress --json -c "$CFG" "${TLB[@]}" -s tlb.dtlb.entries=4 --calibrate-with "$CFG" \
    "$TMP/w.mmt" >"$TMP/with.json"
check_eq "--calibrate-with REF equals the replay given mmsim calibrate's values on REF (cycles)" \
    "$(json_get "$TMP/given.json" cycles)" "$(json_get "$TMP/with.json" cycles)"
check_eq "--calibrate-with: the report names REF" "$CFG" "$(json_get "$TMP/with.json" calibration.on)"
"$MMSIM" replay --no-progress --json -c "$CFG" "${TLB[@]}" -s cpu.base_cpi=3 --calibrate-with "$CFG" \
    "$TMP/w.mmt" >"$TMP/with3.json"
check_eq "--calibrate-with: -s cpu.base_cpi wins" 3 "$(json_get "$TMP/with3.json" cpi_breakdown.base)"

# ---- a sweep of memcg limits ----
"$MMSIM" sweep -c "$CFG" "${MEM[@]}" --vary memcg.limit=24M,16M,12M -j 2 "$TMP/w.mmt" -o "$TMP/mem.csv" 2>"$TMP/mem.err"
check_eq "sweep memcg.limit exits 0" 0 "$?"
check_eq "the sweep says the values once" 1 "$(grep -c "timing calibrated once" "$TMP/mem.err")"
check_eq "every point has mmsim calibrate's settings; none fitted its own" \
    "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["settings"])' "$TMP/calm.json") x3, own 0" \
    "$(python3 -c 'import json,sys
pts = json.load(open(sys.argv[1]))["points"]
s = {str(p["calibration"]["settings"]) for p in pts}
print("%s x%d, own %d" % (s.pop() if len(s) == 1 else s, len(pts), sum("calibration" in p["result"] for p in pts)))' "$TMP/mem.json")"
# the limit does not enter the fit (it replays with unlimited memory): a point equals
# mmsim replay fitting itself
"$MMSIM" replay --no-progress --json -c "$CFG" "${MEM[@]}" -s memcg.limit=12M "$TMP/w.mmt" >"$TMP/self3.json"
check_eq "the 12M point equals mmsim replay fitting itself (cycles)" "$(json_get "$TMP/self3.json" cycles)" \
    "$(python3 -c 'import csv,sys; print([r["cycles"] for r in csv.DictReader(open(sys.argv[1])) if r["memcg.limit"] == "12M"][0])' "$TMP/mem.csv")"
check "GNU parallel job list" "$MMSIM" sweep -c "$CFG" "${MEM[@]}" --vary memcg.limit=24M,16M,12M "$TMP/w.mmt" \
    --emit parallel "$TMP/jobs.txt" --dir "$TMP/pd"
check_eq "each job carries the values" 3 "$(grep -c -- "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["settings"][0])' "$TMP/calm.json")" "$TMP/jobs.txt")"
check "the jobs run" bash "$TMP/jobs.txt"
check "--collect" "$MMSIM" sweep --collect "$TMP/pd" -o "$TMP/pc.csv"
check_eq "collected CSV equals the local sweep" "$(sort "$TMP/mem.csv" | md5sum)" "$(sort "$TMP/pc.csv" | md5sum)"

# --onepass: the anchors replay with the sweep's values, the computed points report them
"$MMSIM" sweep -c "$ROOT/configs/minimal.ini" --vary tlb.l1d.entries=4,16,64,256 --onepass -j 2 "$TMP/w.mmt" \
    -o "$TMP/op.csv" 2>"$TMP/op.err"
check "--onepass computes points" grep -q "2 points from stack distances" "$TMP/op.err"
check_eq "--onepass: every row calibrated once for the sweep, one base_cpi" "1 1 1 1, 1" \
    "$(col "$TMP/op.csv" tlb.l1d.entries calibration.per_sweep | sed 's/ /, /4'), $(col "$TMP/op.csv" tlb.l1d.entries calibration.base_cpi | tr ' ' '\n' | sort -u | wc -l)"

# ---- no native run ----
"$MMSIM" record --no-counters --no-native-run -o "$TMP/nn.mmt" -- "$PROGS/thrash_walk" rand 1 64 >/dev/null 2>&1
"$MMSIM" calibrate "$TMP/nn.mmt" >/dev/null 2>"$TMP/nn.err"
check_eq "calibrate without a native run exits 1" 1 "$?"
check "and names the trace" grep -q "nothing fitted: .*nn.mmt has no native run" "$TMP/nn.err"
check "a sweep of it still runs" "$MMSIM" sweep -c "$CFG" --vary memcg.limit=0,8388608 "$TMP/nn.mmt" -o "$TMP/nn.csv"
check_eq "its rows: not calibrated by the sweep" "0 0" "$(col "$TMP/nn.csv" memcg.limit calibration.per_sweep)"
