#!/usr/bin/env bash
# Memory pressure end to end: the OOM killer's choice among three allocators (with and
# without oom_score_adj), swap instead of OOM when swap is configured, the sequential-loop
# pathology of LRU against Belady's OPT, vmstat lines and the free -h table.
# Traces are written as Valgrind lackey text and imported: stores one per page.
source "$(dirname "$0")/lib.sh"
CFG=$ROOT/configs/default.ini

# lackey trace of MIB mebibytes of page-by-page stores from BASE (hex), PASSES times
lackey() { # mib base passes
    awk -v n=$(($1 * 256)) -v base=$((16#$2)) -v r="$3" \
        'BEGIN { for (k = 0; k < r; k++) for (i = 0; i < n; i++) printf " S %x,8\n", base + i * 4096 }'
}
for m in 20 30 70; do
    lackey $m 10000000 1 >"$TMP/a$m.txt"
    "$MMSIM" import -q -f lackey "$TMP/a$m.txt" -o "$TMP/alloc$m.mmt" --meta command=alloc$m ||
        echo "not ok - import alloc$m"
done
replay() { "$MMSIM" replay --no-progress -c "$CFG" "$@"; }
kills() { python3 -c 'import json,sys,os
j=json.load(open(sys.argv[1]))
print(",".join(os.path.basename(k["trace"]) for k in j["oom"]["kills"]))' "$1"; }

# 1. 20 + 30 + 70 MiB in 100 MiB without swap: the 70 MiB one is killed, the others finish
replay -s memory.size=100M -s swap.size=0 --json "$TMP/alloc20.mmt" "$TMP/alloc30.mmt" "$TMP/alloc70.mmt" >"$TMP/oom.json"
check_eq "OOM: the largest of 20/30/70 MiB is killed under 100 MiB" "alloc70.mmt" "$(kills "$TMP/oom.json")"
check_eq "OOM: the 20 MiB process ran to its end" "5120" "$(json_get "$TMP/oom.json" processes.0.faults.minor)"
check_eq "OOM: the 30 MiB process ran to its end" "7680" "$(json_get "$TMP/oom.json" processes.1.faults.minor)"
pts=$(json_get "$TMP/oom.json" oom.kills.0.points)
score=$(json_get "$TMP/oom.json" oom.kills.0.oom_score)
# oom_score = (1000 + points * 1000 / totalpages) * 2 / 3 with totalpages = 25600
check_eq "OOM: the kill's oom_score follows from its points" "$(( (1000 + pts * 1000 / 25600) * 2 / 3 ))" "$score"

# 2. oom_score_adj -1000 exempts the 70 MiB one: the 30 MiB process goes instead
replay -s memory.size=100M -s swap.size=0 -s oom.score_adj.2=-1000 --json \
    "$TMP/alloc20.mmt" "$TMP/alloc30.mmt" "$TMP/alloc70.mmt" >"$TMP/adj.json"
check_eq "OOM: with oom_score_adj -1000 on the 70 MiB process the 30 MiB one is killed" \
    "alloc30.mmt" "$(kills "$TMP/adj.json" | cut -d, -f1)"

# 3. the same with 128 MiB of swap: nothing is killed, the overflow goes to swap
replay -s memory.size=100M -s swap.size=128M --json "$TMP/alloc20.mmt" "$TMP/alloc30.mmt" "$TMP/alloc70.mmt" >"$TMP/swap.json"
check_eq "swap: no OOM kill with 128 MiB of swap" "" "$(kills "$TMP/swap.json")"
check_eq "swap: the 70 MiB process ran to its end" "17920" "$(json_get "$TMP/swap.json" processes.2.faults.minor)"
out=$(json_get "$TMP/swap.json" reclaim.pswpout)
check "swap: pages were swapped out ($out)" test "$out" -gt 0

# 4. a loop over 6000 pages, twice, in 16 MiB (4096 frames): under LRU, FIFO and CLOCK
#    every access of the second pass is a major fault (the page needed next is always
#    the one evicted longest ago); OPT misses at least N - frames = 1904 there, and fewer
#    than LRU. page_cluster 0: one page per swap-in, so faults count pages.
awk 'BEGIN { for (k = 0; k < 2; k++) for (i = 0; i < 6000; i++) printf " S %x,8\n", 268435456 + i * 4096 }' >"$TMP/loop.txt"
"$MMSIM" import -q -f lackey "$TMP/loop.txt" -o "$TMP/loop.mmt"
for pol in lru fifo clock opt kernel; do
    replay -s memory.size=16M -s swap.size=64M -s swap.page_cluster=0 -s vmscan.policy=$pol --json "$TMP/loop.mmt" >"$TMP/loop_$pol.json"
done
for pol in lru fifo clock; do
    check_eq "loop: $pol takes a major fault on every page of the second pass" "6000" \
        "$(json_get "$TMP/loop_$pol.json" processes.0.faults.major)"
done
opt=$(json_get "$TMP/loop_opt.json" processes.0.faults.major)
check "loop: OPT misses between N - frames (1904) and LRU's 6000 ($opt)" test "$opt" -ge 1904 -a "$opt" -lt 6000
ref=$(json_get "$TMP/loop_lru.json" reclaim.workingset_refault_anon)
check_eq "loop: every LRU major fault is a refault" "6000" "$ref"
# readahead: with page_cluster 3 a swap-in brings at most 8 pages, so the second pass
# needs at least 6000 / 8 = 750 swap-ins; readahead stops when free pages reach the low
# watermark (it never reclaims), so somewhat more, but far fewer than 6000
replay -s memory.size=16M -s swap.size=64M -s vmscan.policy=lru --json "$TMP/loop.mmt" >"$TMP/loop_ra.json"
maj=$(json_get "$TMP/loop_ra.json" processes.0.faults.major)
check "loop: readahead of 8 pages cuts major faults to 750..1500 ($maj)" test "$maj" -ge 750 -a "$maj" -le 1500
# the swap cache: readahead pages wait unmapped and are mapped by their own minor fault;
# every page of the second pass faults once, major (read) or minor (found in the cache)
hit=$(json_get "$TMP/loop_ra.json" reclaim.swap_ra_hit)
ra=$(json_get "$TMP/loop_ra.json" reclaim.swap_ra)
check_eq "swap cache: major faults + swap-cache hits = the 6000 pages of pass 2" "6000" "$((maj + hit))"
check_eq "swap cache: minor faults = 6000 first touches + swap-cache hits" "$((6000 + hit))" "$(json_get "$TMP/loop_ra.json" processes.0.faults.minor)"
check_eq "swap cache: pages read = swap-ins + readahead pages" "$((maj + ra))" "$(json_get "$TMP/loop_ra.json" reclaim.pswpin)"
check_eq "swap cache: every page was written after its swap-in, none left in the cache" "0" "$(json_get "$TMP/loop_ra.json" reclaim.swapcache_pages)"
# a trace with mappings (so loads fault as reads): 6000 pages written, then read and
# written in a loop in 16 MiB. A page swapped in by a read stays in the swap cache and is
# reclaimed again with no write: every anonymous page reclaimed was either written to swap
# or a clean swap-cache page
"$ROOT/build/tools/mmt_synth" -o "$TMP/sc.mmt" --pattern loop --pages 6000 --accesses 12000 --init-writes >/dev/null
replay -s memory.size=16M -s swap.size=64M -s vmscan.policy=lru --json "$TMP/sc.mmt" >"$TMP/sc.json"
clean=$(json_get "$TMP/sc.json" reclaim.swapcache_reclaimed)
check "swap cache: clean swap-cache pages were reclaimed without a write ($clean)" test "$clean" -gt 0
check_eq "swap cache: anon pages reclaimed = pages written to swap + clean swap-cache pages" \
    "$(json_get "$TMP/sc.json" reclaim.pgsteal_anon)" "$(( $(json_get "$TMP/sc.json" reclaim.pswpout) + clean ))"

# 5. vmstat lines and the free -h table
replay -s memory.size=16M -s swap.size=64M --vmstat 1 "$TMP/loop.mmt" >"$TMP/vmstat.txt"
check "vmstat: the header" grep -q '^ r  b   swpd   free   buff  cache   si   so    bi    bo$' "$TMP/vmstat.txt"
n=$(grep -cE '^ *[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+$' "$TMP/vmstat.txt")
check "vmstat: lines every simulated ms ($n)" test "$n" -ge 2
# 64 MiB of swap is 16384 slots, one the header: 65532 KiB, which procps prints as 63Mi
check "free: the Swap: line" grep -qE '^Swap: +63Mi ' "$TMP/vmstat.txt"
check "free: total memory 16Mi" grep -qE '^Mem: +16Mi ' "$TMP/vmstat.txt"

# 6. page-cache reclaim: val_file writes a 48 MiB file and maps it: in 24 MiB without swap
#    the clean page-cache pages are unmapped and dropped (nothing is killed), and reading
#    them again is a major fault; with 128 MiB nothing is reclaimed.
if "$MMSIM" record --no-counters --no-native-run -o "$TMP/vf.mmt" -- "$PROGS/val_file" 48 "$TMP/vf.data" >/dev/null 2>&1; then
    replay -s memory.size=24M -s swap.size=0 --json "$TMP/vf.mmt" >"$TMP/vf24.json"
    replay -s memory.size=128M -s swap.size=0 --json "$TMP/vf.mmt" >"$TMP/vf128.json"
    check_eq "file: no OOM kill in 24 MiB: page cache is reclaimed" "" "$(kills "$TMP/vf24.json")"
    st=$(json_get "$TMP/vf24.json" reclaim.pgsteal_file)
    check "file: page-cache pages were reclaimed ($st)" test "$st" -gt 12288
    maj=$(json_get "$TMP/vf24.json" processes.0.faults.major)
    check "file: dropped pages are read again: major faults ($maj)" test "$maj" -gt 0
    check_eq "file: nothing reclaimed in 128 MiB" "0" "$(json_get "$TMP/vf128.json" reclaim.pgsteal_file)"
else
    echo "not ok - file: recording val_file failed"
fi

# 7. the timeline CSV carries the pressure columns
replay -s memory.size=16M -s swap.size=64M -s stats.sample_interval=1000000 --timeline "$TMP/tl.csv" "$TMP/loop.mmt" >/dev/null
check "timeline: pressure columns in the header" grep -q ',swap_used_pages,pswpin,pswpout,workingset_refault,pgactivate,pgdeactivate,inactive_anon,active_anon,allocstall,kswapd_cycles,memstall_cycles,procs_r,procs_b,oom_kills$' "$TMP/tl.csv"
last_out=$(tail -1 "$TMP/tl.csv" | awk -F, '{ print $(NF - 7) }')
check "timeline: swap-outs counted by the last row ($last_out)" test "$last_out" -gt 0

# 8. a memory cgroup (memcg.limit) of 100 MiB in a 1 GiB machine: the same victim, now a
#    CONSTRAINT_MEMCG kill with totalpages = the limit (25600 pages)
replay -s memory.size=1G -s memcg.limit=100M -s swap.size=0 --json "$TMP/alloc20.mmt" "$TMP/alloc30.mmt" "$TMP/alloc70.mmt" >"$TMP/memcg.json"
check_eq "memcg: the largest of 20/30/70 MiB is killed under a 100 MiB limit" "alloc70.mmt" "$(kills "$TMP/memcg.json")"
check_eq "memcg: the kill is the cgroup's" "memcg" "$(json_get "$TMP/memcg.json" oom.kills.0.constraint)"
pts=$(json_get "$TMP/memcg.json" oom.kills.0.points)
check_eq "memcg: oom_score against the limit" "$(( (1000 + pts * 1000 / 25600) * 2 / 3 ))" "$(json_get "$TMP/memcg.json" oom.kills.0.oom_score)"
peak=$(json_get "$TMP/memcg.json" memcg.max_usage_pages)
check "memcg: usage never passed the limit ($peak <= 25600)" test "$peak" -le 25600
replay -s memory.size=1G -s memcg.limit=100M -s swap.size=128M --json "$TMP/alloc20.mmt" "$TMP/alloc30.mmt" "$TMP/alloc70.mmt" >"$TMP/memcg_swap.json"
check_eq "memcg: with swap nothing is killed" "" "$(kills "$TMP/memcg_swap.json")"
out=$(json_get "$TMP/memcg_swap.json" reclaim.pswpout)
check "memcg: the overflow went to swap although the machine had room ($out)" test "$out" -gt 0
