#!/usr/bin/env bash
# mmsim plot: every kind renders a real image (PNG IHDR size, SVG and PDF headers), writes its
# script and data beside it, the script reruns, and a missing column is named in the error.
source "$(dirname "$0")/lib.sh"
SYNTH=$ROOT/build/tools/mmt_synth

png_size() { python3 -c 'import struct,sys
d=open(sys.argv[1],"rb").read(24)
assert d[:8]==b"\x89PNG\r\n\x1a\n" and d[12:16]==b"IHDR", "not a PNG"
w,h=struct.unpack(">II",d[16:24]); print(w,h)' "$1"; }
big_png() { local s; s=$(png_size "$1") || return 1; set -- $s; [ "$1" -ge 640 ] && [ "$2" -ge 400 ]; }
header_is() { head -c 200 "$1" | grep -q "$2"; }

# inputs: real mrc and thrashing CSVs, and small hand-made CSVs with the documented columns
check "a trace" "$SYNTH" -o "$TMP/t.mmt" --pattern phases --pages 400 --accesses 40000
check "an mrc CSV" "$MMSIM" mrc "$TMP/t.mmt" -o "$TMP/a.csv"
check "a sampled mrc CSV" "$MMSIM" mrc "$TMP/t.mmt" --sample 0.5 -o "$TMP/b.csv"
check "a thrashing CSV" "$MMSIM" mrc "$TMP/t.mmt" --swap-config "$ROOT/configs/swap/nvme.ini" --sizes "$(seq -s, 20 20 500)" -o "$TMP/th.csv"
cat >"$TMP/sweep.csv" <<'CSV'
tlb.stlb.entries,tlb.page_size,trace,cycles,instructions,accesses,tlb.stlb.misses,tlb.stlb.hits
512,4K,a.mmt,100,1000000,400000,9000,1000
1024,4K,a.mmt,90,1000000,400000,5000,5000
1536,4K,a.mmt,80,1000000,400000,2000,8000
512,2M,a.mmt,70,1000000,400000,300,9700
1024,2M,a.mmt,70,1000000,400000,100,9900
1536,2M,a.mmt,70,1000000,400000,50,9950
CSV
printf 'processes,trace,cpu.utilisation\n1,x,0.95\n2,x,0.97\n4,x,0.8\n8,x,0.3\n16,x,0.1\n' >"$TMP/mp.csv"
printf 'time_ns,rss_bytes,free_bytes,swap_bytes,faults.minor,faults.major,buddy.0,buddy.1,buddy.2\n' >"$TMP/tl.csv"
for i in $(seq 0 50); do
    echo "$((i * 10000000)),$((i * 1048576)),$(((60 - i) * 1048576)),$((i > 30 ? (i - 30) * 524288 : 0)),$((i * i * 10)),$((i > 30 ? (i - 30) * 40 : 0)),$((500 - i * 9)),$((200 - i * 3)),$((100 - i))" >>"$TMP/tl.csv"
done
printf 'cycles,count\n20,5000\n30,2500\n40,600\n120,90\n250,30\n400,4\n' >"$TMP/walk.csv"

plot_ok() { # kind out inputs... : renders, with script and data
    local kind=$1 out=$2; shift 2
    check "plot $kind -> ${out##*/}" "$MMSIM" plot "$kind" "$@" -o "$out"
    check "plot $kind wrote its script and data" test -s "$out.gp" -a -s "$out.dat"
}
plot_ok mrc "$TMP/mrc.png" "$TMP/a.csv" "$TMP/b.csv"
check "mrc PNG is at least 640x400" big_png "$TMP/mrc.png"
check_eq "mrc: one data block per input" 2 "$(grep -c '^# ' "$TMP/mrc.png.dat")"
plot_ok thrashing "$TMP/th.png" "$TMP/th.csv"
check "thrashing PNG is at least 640x400" big_png "$TMP/th.png"
check "thrashing: the knee is marked" grep -q "knee" "$TMP/th.png.gp"
plot_ok tlb "$TMP/tlb.png" "$TMP/sweep.csv"
check "tlb PNG is at least 640x400" big_png "$TMP/tlb.png"
check_eq "tlb: one line per page size" 2 "$(grep -c '^# ' "$TMP/tlb.png.dat")"
check_eq "tlb: MPKI of the first point (9000 misses / 1M instructions)" "512 9" "$(sed -n 2p "$TMP/tlb.png.dat")"
plot_ok tlb "$TMP/tlbh.svg" "$TMP/sweep.csv" --metric hitrate
check "tlb SVG header" header_is "$TMP/tlbh.svg" "<svg"
check_eq "tlb hit rate of the first point (1000 of 10000)" "512 10" "$(sed -n 2p "$TMP/tlbh.svg.dat")"
plot_ok multiprog "$TMP/mp.pdf" "$TMP/mp.csv"
check "multiprog PDF header" header_is "$TMP/mp.pdf" "%PDF"
plot_ok timeline "$TMP/tl.png" "$TMP/tl.csv"
check "timeline PNG is at least 640x400" big_png "$TMP/tl.png"
plot_ok buddyinfo "$TMP/bi.png" "$TMP/tl.csv"
check "buddyinfo PNG is at least 640x400" big_png "$TMP/bi.png"
check_eq "buddyinfo: one line per order" 3 "$(grep -c '^# order' "$TMP/bi.png.dat")"
# the engine's own timeline (time in cycles, rss_by_pid lists, order0..order10)
check "a replay timeline" "$MMSIM" replay -c "$ROOT/configs/default.ini" -s stats.sample_interval=100000 --timeline "$TMP/rtl.csv" "$TMP/t.mmt"
plot_ok timeline "$TMP/rtl.png" "$TMP/rtl.csv"
check "replay timeline: rss and fault-rate lines" grep -q "^# rss_pages" "$TMP/rtl.png.dat"
check "replay timeline: x in million cycles" grep -q "million cycles" "$TMP/rtl.png.gp"
plot_ok buddyinfo "$TMP/rbi.svg" "$TMP/rtl.csv" --freq-ghz 2
check_eq "replay buddyinfo: 11 orders" 11 "$(grep -c '^# order' "$TMP/rbi.svg.dat")"
check "replay buddyinfo SVG header" header_is "$TMP/rbi.svg" "<svg"
plot_ok walk "$TMP/walk.png" "$TMP/walk.csv" --size 1024,600 --title "Walk latency"
check_eq "--size sets the PNG size" "1024 600" "$(png_size "$TMP/walk.png")"
rm -f "$TMP/walk.png"
check "the written script reruns on its own" bash -c "cd '$TMP' && gnuplot walk.png.gp && test -s walk.png"

"$MMSIM" plot tlb "$TMP/sweep.csv" --y tlb.l1d.misses -o "$TMP/bad.png" 2>"$TMP/err.txt"
check "a missing column is an error naming the file and the column" grep -q "sweep.csv: no column 'tlb.l1d.misses'" "$TMP/err.txt"
"$MMSIM" plot mrc "$TMP/a.csv" -o "$TMP/x.jpg" 2>/dev/null
check_eq "an unknown output type exits 2" 2 "$?"
