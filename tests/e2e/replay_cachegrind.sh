#!/usr/bin/env bash
# The L1 data cache of the model against cachegrind on the same program: record it with
# lackey, import, replay with minimal.ini plus cachegrind's D1 geometry, and compare the D1
# misses (within 1%) and the data references (cachegrind counts a modify as one access).
source "$(dirname "$0")/lib.sh"
PROG=$PROGS/l1d_mix
CFG=$ROOT/configs/minimal.ini
GEOM=(-s cache.l1d.size=32768 -s cache.l1d.ways=8 -s cache.l1d.line=64)

check "lackey records the program" valgrind --tool=lackey --trace-mem=yes --log-file="$TMP/p.lackey" "$PROG"
check "import the lackey trace" "$MMSIM" import --format lackey "$TMP/p.lackey" -o "$TMP/p.mmt" -q
check "replay with the cachegrind geometry" "$MMSIM" replay -c "$CFG" "${GEOM[@]}" --no-progress \
    --json -o "$TMP/r.json" "$TMP/p.mmt"
valgrind --tool=cachegrind --cache-sim=yes --D1=32768,8,64 --cachegrind-out-file="$TMP/cg.out" \
    "$PROG" >/dev/null 2>"$TMP/cg.log"
cg_num() { grep -E "== $1" "$TMP/cg.log" | head -1 | sed -E 's/.*:[[:space:]]+([0-9,]+).*/\1/' | tr -d ,; }
cg_misses=$(cg_num "D1  misses")
cg_refs=$(cg_num "D   refs")
check "cachegrind reported D1 misses" test -n "$cg_misses"
misses=$(json_get "$TMP/r.json" cache.l1d.misses)
loads=$(json_get "$TMP/r.json" loads); stores=$(json_get "$TMP/r.json" stores)
modifies=$(json_get "$TMP/r.json" modifies)
refs=$((loads + stores + modifies))
check_near "D1 misses match cachegrind within 1%" "$cg_misses" "$misses" 0.01
check_near "data references match cachegrind within 1%" "$cg_refs" "$refs" 0.01
# the strided loop alone makes 12-line conflicts in one 8-way set: misses must be many
check "the program misses in L1D (a meaningful comparison)" test "$misses" -gt 3000
# page-walk reads use the cache too, but are counted apart
walk=$(json_get "$TMP/r.json" cache.l1d.walk_lookups)
check "walker reads are counted apart" test "$walk" -gt 0
