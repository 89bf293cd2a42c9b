#!/bin/bash
# sweep --onepass on DBI-recorded traces: every row computed from stack distances equals the
# replay of that point, with no fallback to replays (invalidations on munmap, mprotect, brk,
# fork and exit are mirrored; a write that meets a read-only entry refills it in place; a
# 4 KiB-only TLB caches 4 KiB pieces of THP pages: val_thp maps some with MADV_HUGEPAGE).
source "$(dirname "$0")/lib.sh"

CFG=$ROOT/configs/minimal.ini

# compare FA|SA TRACE [-s k=v...]: one-pass and per-point CSVs agree on the TLB's counts at
# every point
compare() {
    local kind=$1 tr=$2 name; shift 2
    name=$(basename "$tr" .mmt)${1:+-${2//[^a-z0-9=]/}}
    local vary=(--vary tlb.l1d.entries=4,8,16,32,64,256,1024)
    [ "$kind" = SA ] && vary=(--zip --vary tlb.l1d.entries=16,32,64,128,256 --vary tlb.l1d.ways=1,2,4,8,16)
    "$MMSIM" sweep -c "$CFG" -j 1 "$@" "${vary[@]}" --onepass "$tr" -o "$TMP/$name.$kind.op.csv" \
        >/dev/null 2>"$TMP/$name.$kind.err"
    "$MMSIM" sweep -c "$CFG" -j 1 "$@" "${vary[@]}" "$tr" -o "$TMP/$name.$kind.rp.csv" >/dev/null 2>&1
    check_eq "$name $kind: points computed from stack distances" 1 \
        "$(grep -c 'points from stack distances' "$TMP/$name.$kind.err")"
    check_eq "$name $kind: no fallback to replays" 0 "$(grep -c 'replaying the group' "$TMP/$name.$kind.err")"
    local diff
    diff=$(python3 - "$TMP/$name.$kind.op.csv" "$TMP/$name.$kind.rp.csv" <<'EOF'
import csv, sys
def rows(f):
    out = {}
    for r in csv.DictReader(open(f)):
        k = (r['tlb.l1d.entries'], r.get('tlb.l1d.ways', ''))
        out[k] = tuple(r[c] for c in ('tlb.l1d.lookups', 'tlb.l1d.hits', 'tlb.l1d.misses'))
    return out
a, b = rows(sys.argv[1]), rows(sys.argv[2])
bad = [k for k in b if a.get(k) != b[k]]
print(len(b), 'points,', len(bad), 'differ', bad[:3])
EOF
)
    check "$name $kind: rows equal the replays ($diff)" grep -q ' 0 differ' <<<"$diff"
}

for p in rec_fork rec_malloc rec_mmapfile val_thp; do
    if ! "$MMSIM" record -o "$TMP/$p.mmt" -- "$PROGS/$p" >/dev/null 2>"$TMP/$p.rec.err"; then
        echo "not ok - record $p"; sed 's/^/#   /' "$TMP/$p.rec.err" | head -5; continue
    fi
    compare FA "$TMP/$p.mmt"
done
compare SA "$TMP/rec_malloc.mmt"
# without PCID every switch between the three processes of rec_fork flushes the TLB
compare FA "$TMP/rec_fork.mmt" -s cpu.pcid=0
