#!/bin/bash
# Page-walk latency histogram: replay --walk-hist writes cycles,count; the JSON walk_latency
# agrees with it and with the walk counters; on minimal.ini (no caches, no paging-structure
# caches, 200 cycles a table read) every walk costs 200 cycles a level read, so the buckets are
# multiples of 200 up to 800 (hand-computed); mmsim plot walk renders it.
source "$(dirname "$0")/lib.sh"

png_size() { python3 -c 'import struct,sys
d=open(sys.argv[1],"rb").read(24)
assert d[:8]==b"\x89PNG\r\n\x1a\n" and d[12:16]==b"IHDR", "not a PNG"
print(*struct.unpack(">II", d[16:24]))' "$1"; }
big_png() { local s; s=$(png_size "$1") || return 1; set -- $s; [ "$1" -ge 640 ] && [ "$2" -ge 400 ]; }

check "record rec_array" "$MMSIM" record -o "$TMP/a.mmt" -- "$PROGS/rec_array"

for cfg in minimal default; do
    check "$cfg: replay --walk-hist" "$MMSIM" replay -c "$ROOT/configs/$cfg.ini" --no-progress \
        --walk-hist "$TMP/$cfg.csv" -o "$TMP/$cfg.json" "$TMP/a.mmt"
    check_eq "$cfg: CSV header" "cycles,count" "$(head -1 "$TMP/$cfg.csv")"
    walks=$(json_get "$TMP/$cfg.json" walks)
    check_eq "$cfg: the buckets count every walk" "$walks" \
        "$(awk -F, 'NR > 1 { n += $2 } END { print n + 0 }' "$TMP/$cfg.csv")"
    check_eq "$cfg: JSON walk_latency.walks" "$walks" "$(json_get "$TMP/$cfg.json" walk_latency.walks)"
    check_eq "$cfg: JSON buckets equal the CSV" \
        "$(tail -n +2 "$TMP/$cfg.csv" | tr '\n' ' ')" \
        "$(python3 -c 'import json,sys
print(" ".join("%d,%d" % (c, n) for c, n in json.load(open(sys.argv[1]))["walk_latency"]["buckets"]), end=" ")' "$TMP/$cfg.json")"
done

# minimal.ini: latencies below 1024 have one-cycle buckets, so the sum is exact
check_eq "minimal: sum of cycles x count is walk_cycles" "$(json_get "$TMP/minimal.json" walk_cycles)" \
    "$(awk -F, 'NR > 1 { s += $1 * $2 } END { printf "%d", s }' "$TMP/minimal.csv")"
check_eq "minimal: every bucket is 200, 400, 600 or 800 cycles" "" \
    "$(awk -F, 'NR > 1 && ($1 % 200 || $1 < 200 || $1 > 800) { print $1 }' "$TMP/minimal.csv")"
present=$(( $(json_get "$TMP/minimal.json" walks) - $(json_get "$TMP/minimal.json" walker.not_present) ))
n800=$(awk -F, '$1 == 800 { print $2 }' "$TMP/minimal.csv")
check "minimal: every walk that found a page read 4 levels (800: ${n800:-0} >= $present)" \
    test "${n800:-0}" -ge "$present"
check_eq "minimal: p50 is 800 cycles" 800 "$(json_get "$TMP/minimal.json" walk_latency.p50)"

check "plot walk" "$MMSIM" plot walk "$TMP/default.csv" -o "$TMP/walk.png"
check "walk PNG is at least 640x400" big_png "$TMP/walk.png"
check "walk plot script beside the image" test -s "$TMP/walk.png.gp"
