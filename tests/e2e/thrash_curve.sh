#!/usr/bin/env bash
# The short, model-only form of `make validate-thrash` (no root, no swap file): small
# recorded programs replayed in a memory cgroup from 1.5x down to 0.5x their working set,
# and the shapes of the curves checked against properties worked out independently of the
# model:
#   - nothing is read from swap with room to spare (1.5x);
#   - major faults never grow with the limit (5% slack for the kernel policy's lists);
#   - uniform random access (the independent reference model): with M of N data pages
#     resident, a non-anticipating policy misses 1 - M/N of the accesses, so A random
#     accesses at 0.5x miss A (1 - M/N) times, M between the limit less the pages the
#     program holds besides its data and the limit itself (5% slack);
#   - a sequential sweep of N pages, P passes, in less than N pages: every later pass reads
#     every page again under an LRU-like policy: pages swapped in within 0.8..1.05 x (P-1) N;
#   - skew protects: hot/cold (80% of accesses on a sixth) misses less often than uniform
#     random at the same fraction of its working set;
#   - the knee: runtime at 0.5x is at least twice the runtime at 1.5x;
#   - a read then a store of a swapped page is one fault (the kernel maps it writable on the
#     read fault, the store sets the dirty bit), and the dirty page is written when
#     reclaimed again.
# Passes on any kernel: the model's zero-page choice is fixed here (every workload writes
# first, so it does not matter).
source "$(dirname "$0")/lib.sh"
MIB=4
PAGES=$((MIB * 256))
ACC=8192
FRACS="1.5 1.25 1.0 0.75 0.5"
# CPU a fault and a page reclaimed of the order the kernel spends (make validate-thrash fits
# them on this kind of VM: 35 us a major fault, 16 us a page written, 8 us a first touch):
# how many pages a program touches while reclaim's writes are in flight depends on it.
SET=(-s memory.size=1G -s swap.size=64M -s swap.read_latency=200us -s swap.write_latency=200us
     -s timing.calibrate=off -s timing.minor_fault=24000 -s timing.major_fault=100000 -s timing.evict=50000)

rec() { # name command...
    local n=$1; shift
    "$MMSIM" record --no-counters --no-native-run -o "$TMP/$n.mmt" -- "$@" >/dev/null 2>"$TMP/$n.err" ||
        { echo "not ok - thrash curve: recording $n failed"; sed 's/^/#   /' "$TMP/$n.err" | head -5; exit 1; }
}
rec rand "$PROGS/thrash_walk" rand $MIB $ACC
rec hotcold "$PROGS/thrash_walk" hotcold $MIB $ACC
rec sweep "$PROGS/thrash_sweep" $MIB 4

# replay NAME LIMIT_PAGES -> TMP/NAME.LIMIT.json
replay() {
    "$MMSIM" replay --no-progress --json "${SET[@]}" -s memcg.limit=$(($2 * 4))K "$TMP/$1.mmt" \
        >"$TMP/$1.$2.json" 2>"$TMP/$1.err" || { echo "not ok - thrash curve: replay $1 at $2 pages"; head -3 "$TMP/$1.err"; exit 1; }
}
# the working set: the cgroup's peak with no limit
declare -A WS
for n in rand hotcold sweep; do
    "$MMSIM" replay --no-progress --json "${SET[@]}" -s memcg.limit=1G "$TMP/$n.mmt" >"$TMP/$n.ws.json" || exit 1
    WS[$n]=$(json_get "$TMP/$n.ws.json" memcg.max_usage_pages)
done
limits() { for f in $FRACS; do awk -v w="${WS[$1]}" -v f="$f" 'BEGIN { printf "%d ", int(w * f) }'; done; }

for n in rand hotcold sweep; do
    prev=""
    mono=ok
    for L in $(limits $n); do
        replay $n "$L"
        maj=$(json_get "$TMP/$n.$L.json" processes.0.faults.major)
        if [ -n "$prev" ] && ! awk -v a="$maj" -v b="$prev" 'BEGIN { exit !(a >= 0.95 * b) }'; then mono="$maj at $L pages < $prev above it"; fi
        prev=$maj
    done
    first=$(limits $n | awk '{print $1}'); last=$(limits $n | awk '{print $NF}')
    check_eq "$n: no swap-in at 1.5x the working set" 0 "$(json_get "$TMP/$n.$first.json" reclaim.pswpin)"
    check_eq "$n: major faults grow as the limit shrinks" ok "$mono"
    t0=$(json_get "$TMP/$n.$first.json" cycles); t1=$(json_get "$TMP/$n.$last.json" cycles)
    check "$n: runtime at 0.5x is at least twice that at 1.5x ($t1 vs $t0 cycles)" awk -v a="$t1" -v b="$t0" 'BEGIN { exit !(a >= 2 * b) }'
done

# uniform random: A (1 - M/N) with M between the limit less what the program holds
# besides its data (its text, libraries, stack: the working set less the data pages) and
# the limit itself. Misses: swap-ins by a fault plus read-ahead pages that were used.
last=$(limits rand | awk '{print $NF}')
overhead=$((WS[rand] - PAGES))
lo=$(awk -v a=$ACC -v m="$last" -v n=$PAGES 'BEGIN { printf "%d", 0.95 * a * (1 - m / n) }')
hi=$(awk -v a=$ACC -v m=$((last - overhead)) -v n=$PAGES 'BEGIN { printf "%d", 1.05 * a * (1 - m / n) }')
miss=$(( $(json_get "$TMP/rand.$last.json" reclaim.pgmajfault) + $(json_get "$TMP/rand.$last.json" reclaim.swap_ra_hit) ))
check "rand: misses at 0.5x within accesses x (1 - M/N) for M from limit - $overhead to the limit ($lo <= $miss <= $hi)" \
    test "$lo" -le "$miss" -a "$miss" -le "$hi"
# rand reads each page, then writes it. A 6.x kernel's do_swap_page maps a page swapped in
# by the read writable (exclusive, still in the swap cache) and the store sets the PTE's
# dirty bit without a fault: past the knee the minor faults are the first touches plus the
# pages mapped from the swap cache (readahead hits, and pages reclaim wrote and has not
# freed yet), not one more a swap-in. The kernel on this program at 0.5x (thrash_walk rand 4
# 8192, cgroup v1, 3 runs): 1,300-1,351 minor faults for 1,104 first touches and
# 4,078-4,475 major faults, so 5-6% of the major faults; the bound is 10%. Those stores are
# dirty-bit assists, and each page read so is dirty when reclaimed again: only readahead
# pages never used, and the few pages of the program besides its data that it reads and
# does not write (5% of the swap-ins), are dropped unwritten.
first=$(limits rand | awk '{print $1}')
j=$TMP/rand.$last.json
m0=$(json_get "$TMP/rand.$first.json" processes.0.faults.minor); m1=$(json_get "$j" processes.0.faults.minor)
maj=$(json_get "$j" processes.0.faults.major); hits=$(json_get "$j" reclaim.swap_ra_hit)
check "rand: minor faults at 0.5x ($m1) within those at 1.5x ($m0) + readahead hits ($hits) + 10% of major faults ($maj)" \
    awk -v a="$m1" -v b="$m0" -v h="$hits" -v m="$maj" 'BEGIN { exit !(a <= b + h + 0.10 * m) }'
assists=$(json_get "$j" dirty_assists); swapins=$(json_get "$j" reclaim.pgmajfault)
check "rand: a store after each swap-in sets the dirty bit without a fault ($assists assists, $swapins swap-in faults)" \
    awk -v a="$assists" -v s="$swapins" 'BEGIN { exit !(a >= 0.9 * s && s > 0) }'
clean=$(json_get "$j" reclaim.swapcache_reclaimed)
unused=$(( $(json_get "$j" reclaim.swap_ra) - hits ))
check "rand: swap-cache pages reclaimed unwritten ($clean): readahead pages never used ($unused) + 5% of the swap-ins" \
    awk -v c="$clean" -v u="$unused" -v s="$swapins" 'BEGIN { exit !(c <= u + 0.05 * s) }'
# sweep: (P - 1) N pages read again
last=$(limits sweep | awk '{print $NF}')
in=$(json_get "$TMP/sweep.$last.json" reclaim.pswpin)
check "sweep: pages swapped in at 0.5x within 0.8..1.05 x 3 passes x $PAGES ($in)" \
    awk -v a="$in" -v e=$((3 * PAGES)) 'BEGIN { exit !(a >= 0.8 * e && a <= 1.05 * e) }'
# skew protects
r=$(json_get "$TMP/rand.$(limits rand | awk '{print $NF}').json" processes.0.faults.major)
h=$(json_get "$TMP/hotcold.$(limits hotcold | awk '{print $NF}').json" processes.0.faults.major)
check "hot/cold misses less than uniform random at 0.5x ($h vs $r)" test "$h" -lt "$r"
