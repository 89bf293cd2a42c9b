#!/usr/bin/env bash
# mmsim mrc: the one-pass curve equals a brute-force LRU replay (python, independent of the C
# code) at every size; --sizes; SHARDS close to exact; the thrashing columns follow the model.
source "$(dirname "$0")/lib.sh"
SYNTH=$ROOT/build/tools/mmt_synth

brute_check() { # list csv : every row's misses equal a brute-force LRU of that many pages
    python3 - "$1" "$2" <<'PY'
import sys, csv
refs = []
for line in open(sys.argv[1]):
    pid, addr, size = map(int, line.split())
    a, b = addr >> 12, (addr + size - 1) >> 12
    refs.append((pid, a))
    if b != a: refs.append((pid, b))
rows = list(csv.DictReader(open(sys.argv[2])))
bad = 0
for r in rows:
    cap = int(r["pages"]); cache = []; misses = 0
    for k in refs:
        if k in cache: cache.remove(k)
        else:
            misses += 1
            if len(cache) == cap: cache.pop()
        cache.insert(0, k)
    if misses != int(r["misses"]) or int(r["references"]) != len(refs):
        print("size", cap, "brute", misses, "mrc", r["misses"]); bad += 1
print("rows", len(rows), "bad", bad)
sys.exit(1 if bad or not rows else 0)
PY
}

check "synthetic hot/cold trace (2 processes)" "$SYNTH" -o "$TMP/hc.mmt" --pattern hotcold --pages 120 --accesses 6000 --procs 2 --list "$TMP/hc.list"
check "mrc of it" "$MMSIM" mrc "$TMP/hc.mmt" -o "$TMP/hc.csv"
check "every curve row equals brute-force LRU (hot/cold)" brute_check "$TMP/hc.list" "$TMP/hc.csv"
check "synthetic looping trace" "$SYNTH" -o "$TMP/loop.mmt" --pattern phases --pages 150 --accesses 9000 --list "$TMP/loop.list"
check "mrc --sizes of it" "$MMSIM" mrc "$TMP/loop.mmt" --sizes 1,10,37,38,39,100,151,152,160,1M -o "$TMP/loop.csv"
check "every --sizes row equals brute-force LRU (loops)" brute_check "$TMP/loop.list" "$TMP/loop.csv"
check_eq "--sizes gives one row per size" 10 "$(tail -n +2 "$TMP/loop.csv" | wc -l)"
check_eq "1M at 4K pages is 256 pages" "256,1048576" "$(tail -1 "$TMP/loop.csv" | cut -d, -f1,2)"

# SHARDS at 10% on a larger trace: mean absolute error of the miss ratio over the exact sizes
check "larger trace" "$SYNTH" -o "$TMP/big.mmt" --pattern hotcold --pages 20000 --accesses 1500000
check "exact mrc" "$MMSIM" mrc "$TMP/big.mmt" --sizes "$(seq -s, 200 400 24000)" -o "$TMP/ex.csv"
check "sampled mrc" "$MMSIM" mrc "$TMP/big.mmt" --sample 10% --sizes "$(seq -s, 200 400 24000)" -o "$TMP/sa.csv"
mae=$(paste -d, "$TMP/ex.csv" "$TMP/sa.csv" | awk -F, 'NR > 1 { d = $5 - $10; s += d < 0 ? -d : d; n++ } END { printf "%.5f", s / n }')
check "SHARDS 10% mean absolute error $mae < 0.01" awk -v m="$mae" 'BEGIN { exit !(m < 0.01) }'

# thrashing: major = misses - cold; runtime = accesses*1ns + cold*0.5us + major*latency
check "thrashing curve with a fixed latency" "$MMSIM" mrc "$TMP/loop.mmt" --fault-latency-us 100 --sizes 10,1000 -o "$TMP/th.csv"
cold=$(tail -1 "$TMP/th.csv" | cut -d, -f4)
row=$(sed -n 2p "$TMP/th.csv")
major=$(echo "$row" | cut -d, -f6); misses=$(echo "$row" | cut -d, -f4)
check_eq "major faults = misses - cold misses" "$((misses - cold))" "$major"
want=$(awk -v m="$major" -v c="$cold" 'BEGIN { printf "%.6g", (9000 * 1 + c * 500 + m * 100000) * 1e-9 }')
check_near "runtime follows the model" "$want" "$(echo "$row" | cut -d, -f7)" 0.0001
check "thrashing curve from a swap preset" "$MMSIM" mrc "$TMP/loop.mmt" --swap-config "$ROOT/configs/swap/hdd.ini" -o "$TMP/hdd.csv"
check_eq "thrashing columns" "pages,bytes,references,misses,miss_ratio,major_faults,runtime_s" "$(head -1 "$TMP/hdd.csv")"
"$MMSIM" mrc "$TMP/missing.mmt" -o "$TMP/x.csv" 2>"$TMP/err.txt"
check "a missing trace is an error naming the file" grep -q "missing.mmt" "$TMP/err.txt"
