#!/usr/bin/env bash
# mmsim replay and mmsim config end to end: the JSON schema's required keys, the TLB of
# minimal.ini against a brute-force LRU over the same trace (an independent oracle in
# Python), two traces as two processes, the timeline, -o, config errors with file:line:key.
source "$(dirname "$0")/lib.sh"
CFG=$ROOT/configs
SYNTH=$ROOT/build/tools/mmt_synth

# a small lackey trace of a real program (the bundled test input)
check "import the bundled lackey trace" "$MMSIM" import -q -f lackey "$ROOT/tests/data/small.lackey" -o "$TMP/small.mmt"
"$SYNTH" -o "$TMP/syn.mmt" --pattern random --pages 300 --accesses 200000 --seed 7 >/dev/null 2>&1
"$SYNTH" -o "$TMP/syn2.mmt" --pattern loop --pages 100 --accesses 50000 --seed 3 >/dev/null 2>&1
check "synthetic traces made" test -s "$TMP/syn.mmt" -a -s "$TMP/syn2.mmt"

check "replay --json" "$MMSIM" replay -c "$CFG/minimal.ini" --no-progress --json -o "$TMP/r.json" "$TMP/syn.mmt"
check "the JSON has the documented keys" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for k in ["accesses", "instructions", "cycles", "walks", "walk_cycles", "processes", "cpi_breakdown"]:
    assert k in d, k
for k in ["lookups", "hits", "misses"]:
    assert k in d["tlb"]["l1d"], k
assert d["faults"]["minor"] >= 0 and d["faults"]["major"] == 0
p = d["processes"][0]
for k in ["pid", "trace", "instructions", "accesses", "faults", "rss_peak_pages", "pgtables_bytes"]:
    assert k in p, k
assert d["tlb"]["l1d"]["lookups"] == d["tlb"]["l1d"]["hits"] + d["tlb"]["l1d"]["misses"]
' "$TMP/r.json"

# the oracle: a 64-entry fully associative LRU over the data pages of the dumped trace,
# one lookup per page an access touches
"$MMSIM" dump "$TMP/syn.mmt" >"$TMP/syn.txt" 2>/dev/null
oracle=$(python3 -c '
import sys
from collections import OrderedDict
lru = OrderedDict(); miss = 0; look = 0
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) < 4 or f[1] not in ("load", "store", "modify"):
        continue
    a = int(f[2], 16); n = int(f[3])
    for p in sorted({a >> 12, (a + n - 1) >> 12}):
        look += 1
        if p in lru:
            lru.move_to_end(p)
        else:
            miss += 1
            lru[p] = 1
            if len(lru) > 64:
                lru.popitem(last=False)
print(look, miss)' "$TMP/syn.txt")
check_eq "TLB lookups equal the oracle's" "${oracle% *}" "$(json_get "$TMP/r.json" tlb.l1d.lookups)"
check_eq "TLB misses equal the brute-force LRU's" "${oracle#* }" "$(json_get "$TMP/r.json" tlb.l1d.misses)"
check "the oracle saw misses and hits" test "${oracle#* }" -gt 100 -a "${oracle#* }" -lt "${oracle% *}"
# 128 entries, 4 ways: a different geometry gives a different, still consistent answer
"$MMSIM" replay -c "$CFG/minimal.ini" -s tlb.l1d.entries=128 -s tlb.l1d.ways=4 --no-progress --json \
    -o "$TMP/r128.json" "$TMP/syn.mmt" >/dev/null
check "a bigger TLB misses less" test "$(json_get "$TMP/r128.json" tlb.l1d.misses)" -lt "${oracle#* }"

# two traces: two processes sharing the CPU
check "replay of two traces" "$MMSIM" replay -c "$CFG/default.ini" -s cpu.quantum=100000 --no-progress --json \
    -o "$TMP/two.json" --timeline "$TMP/tl.csv" "$TMP/syn.mmt" "$TMP/syn2.mmt"
check_eq "two processes" 2 "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["processes"]))' "$TMP/two.json")"
check "context switches between them" test "$(json_get "$TMP/two.json" context_switches)" -gt 0
check_eq "accesses add up" "$(( $(json_get "$TMP/r.json" accesses) + $(json_get "$TMP/two.json" processes.1.accesses) ))" \
    "$(json_get "$TMP/two.json" accesses)"
check "timeline has a header and rows" test "$(wc -l <"$TMP/tl.csv")" -ge 2
check "timeline header" grep -q '^cycles,instructions,accesses,minor_faults,major_faults' "$TMP/tl.csv"

# the human report
"$MMSIM" replay -c "$CFG/skylake.ini" --no-progress "$TMP/small.mmt" >"$TMP/report.txt"
check "report shows the TLB levels" grep -q "stlb" "$TMP/report.txt"
check "report shows the CPI breakdown" grep -q "CPI:" "$TMP/report.txt"
check "zen preset replays" "$MMSIM" replay -c "$CFG/zen.ini" --no-progress "$TMP/small.mmt"
check "zen5 preset replays" "$MMSIM" replay -c "$CFG/zen5.ini" --no-progress "$TMP/small.mmt"

# configuration errors name the file, the line and the key; exit status 1
printf '[cpu]\ncount = 1\n[tlb.l1d]\nentries = 64\nways = 5\n' >"$TMP/bad.ini"
"$MMSIM" replay -c "$TMP/bad.ini" "$TMP/syn.mmt" >/dev/null 2>"$TMP/err.txt"
check_eq "bad geometry exits with 1" 1 $?
check "the message names file:line and key" grep -q "bad.ini:5: tlb.l1d.ways" "$TMP/err.txt"
"$MMSIM" config show -c "$CFG/minimal.ini" -s tlb.l1d.entires=3 >/dev/null 2>"$TMP/err2.txt"
check "an unknown -s key is named" grep -q "tlb.l1d.entires: unknown key" "$TMP/err2.txt"
check "config show prints the effective config" sh -c "'$MMSIM' config show -c '$CFG/default.ini' | grep -q '^entries = 1536'"
"$MMSIM" replay -c "$CFG/minimal.ini" "$TMP/missing.mmt" >/dev/null 2>"$TMP/err3.txt"
check_eq "a missing trace exits with 1" 1 $?
check "and says which" grep -q "missing.mmt" "$TMP/err3.txt"

# an events-only trace (ptrace backend): page-fault events go to the fault handler
check "record an events-only trace" "$MMSIM" record --backend ptrace --events-only -o "$TMP/ev.mmt" -- "$PROGS/demo" 1
"$MMSIM" replay -c "$CFG/default.ini" --no-progress --json -o "$TMP/ev.json" "$TMP/ev.mmt" >/dev/null
check_eq "events-only is flagged" True "$(json_get "$TMP/ev.json" events_only)"
check_eq "CPI is not given without instructions" None "$(json_get "$TMP/ev.json" cpi)"
taken=$(( $(json_get "$TMP/ev.json" faults.minor) + $(json_get "$TMP/ev.json" faults.major) ))
check "every fault event became a fault" test "$(json_get "$TMP/ev.json" faults.in_trace)" -gt 100 -a \
    "$taken" -eq "$(json_get "$TMP/ev.json" faults.in_trace)"
