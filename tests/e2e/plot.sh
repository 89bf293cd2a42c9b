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
check "replay timeline: rss and fault-rate lines, named in words" grep -q "^# RSS$" "$TMP/rtl.png.dat"
check "replay timeline: minor faults on the right axis" grep -q "^# Minor faults (right axis)$" "$TMP/rtl.png.dat"
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

# ---- figures a paper can take: words, log2 sizes, palette, runs, panels ----
# a sweep over TLB entries (doubling, 8..1024) and ways, on two traces, by hand
python3 - "$TMP/two.csv" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("tlb.l1d.entries,tlb.l1d.ways,trace,instructions,tlb.l1d.misses,tlb.l1d.hits,cycles\n")
    for t in ("/x/a.mmt", "/x/b.mmt"):
        for w in (0, 4, 8):
            for e in (8, 16, 32, 64, 128, 256, 512, 1024):
                m = 200000 // e + w * 10 + (5000 if t.endswith("b.mmt") else 0)
                f.write("%d,%d,%s,1000000,%d,%d,%d\n" % (e, w, t, m, 100000 - m, 3000000000 + m))
PY
plot_ok tlb "$TMP/two.png" "$TMP/two.csv"
G=$TMP/two.png.gp
check "entries doubling from 8 to 1024: a log2 x axis" grep -qx "set logscale x 2" "$G"
check_eq "x axis in words" 'set xlabel "L1 dTLB entries"' "$(grep '^set xlabel' "$G")"
check_eq "y axis in words" 'set ylabel "L1 dTLB misses per 1000 instructions"' "$(grep '^set ylabel' "$G" | head -1)"
check "no raw key in the script's words" bash -c "! grep -v '^#' '$G' | grep -q 'tlb\\.l1d'"
check "legends in words: fully associative, 4-way, 8-way" bash -c "grep -q 'title \"fully associative\"' '$G' && grep -q 'title \"4-way\"' '$G' && grep -q 'title \"8-way\"' '$G'"
check_eq "lines in the order of their values (0 = fully associative, 4, 8)" "fully associative 4-way 8-way" \
    "$(grep -o 'lt [0-9]* title "[^"]\+"' "$G" | head -3 | cut -d'"' -f2 | tr '\n' ' ' | sed 's/ $//')"
check_eq "two traces and a second key: one panel per trace" "set multiplot layout 1,2" "$(grep -o '^set multiplot layout [0-9],[0-9]' "$G")"
check_eq "panel titles name the workloads" '(a) a|(b) b' "$(grep '^set title "(' "$G" | cut -d'"' -f2 | paste -sd'|')"
check_eq "one key for both panels: the second panel's lines have no title" 3 "$(sed -n '/(b) b/,$p' "$G" | grep -c 'title ""')"
check_eq "a line keeps its line type in every panel" "1 2 3 1 2 3" "$(grep -o ' lt [0-9]*' "$G" | awk '{print $2}' | tr '\n' ' ' | sed 's/ $//')"
check "the figure title in words" grep -q 'multiplot.*title "TLB misses against L1 dTLB entries, by workload"' "$G"
check "Okabe-Ito palette" bash -c "grep -q '^set linetype 1 lc rgb \"#0072B2\"' '$G' && grep -q '#D55E00' '$G' && grep -q '#009E73' '$G' && ! grep -qi '#F0E442' '$G'"
check "every line type differs from the others in dash or point type (greyscale)" python3 -c '
import re, sys
lt = re.findall(r"^set linetype (\d+) lc rgb \"(#\w+)\" lw \S+ dt (\S+) pt (\d+)", open(sys.argv[1]).read(), re.M)
assert len(lt) == 14, lt
shapes = [(d, p) for _, c, d, p in lt]
assert len(set(shapes)) == 14, shapes
assert len(set((c, d, p) for _, c, d, p in lt)) == 14' "$G"
plot_ok tlb "$TMP/two3.svg" "$TMP/two.csv" --panels tlb.l1d.ways
check_eq "--panels KEY: one panel per ways value" "set multiplot layout 1,3" "$(grep -o '^set multiplot layout [0-9],[0-9]' "$TMP/two3.svg.gp")"
check "--panels KEY: panel titles in words" grep -q '^set title "(a) fully associative"' "$TMP/two3.svg.gp"
check "--panels KEY: panels share the y range" grep -q '^set yrange \[0:' "$TMP/two3.svg.gp"
plot_ok tlb "$TMP/two1.png" "$TMP/two.csv" --panels none
check "--panels none: one plot, legends name ways and trace" bash -c "! grep -q multiplot '$TMP/two1.png.gp' && grep -q 'title \"4-way, b\"' '$TMP/two1.png.gp'"
"$MMSIM" plot tlb "$TMP/two.csv" --panels memory.size -o "$TMP/bad.png" 2>"$TMP/err.txt"
check "--panels with a key not in the sweep is an error naming it" grep -q "two.csv: --panels 'memory.size' is not a varied key or trace" "$TMP/err.txt"
plot_ok tlb "$TMP/cyc.png" "$TMP/two.csv" --y cycles --panels none
check "billions of cycles: the axis in millions, the data raw" bash -c "grep -q 'set ylabel \"Cycles (millions)\"' '$TMP/cyc.png.gp' && grep -q 'using 1:(\$2/1e+06)' '$TMP/cyc.png.gp' && grep -q '^8 3000025000$' '$TMP/cyc.png.dat'"

# runs: a random-replacement seed repeats a point; the median and the spread are drawn
printf 'tlb.l1d.entries,tlb.l1d.seed,trace,instructions,tlb.l1d.misses\n' >"$TMP/runs.csv"
for e in 8 64; do for sm in 1:100 2:300 3:200; do echo "$e,${sm%%:*},/x/a.mmt,1000000,$((${sm#*:} * e))" >>"$TMP/runs.csv"; done; done
plot_ok tlb "$TMP/runs.png" "$TMP/runs.csv"
check "runs drawn with error bars" grep -q "using 1:2:3:4 with yerrorlines" "$TMP/runs.png.gp"
check_eq "x median min max (MPKI 0.8, 2.4, 1.6 at 8 entries)" "8 1.6 0.8 2.4" "$(sed -n 2p "$TMP/runs.png.dat")"
check_eq "at 64 entries (6.4, 19.2, 12.8)" "64 12.8 6.4 19.2" "$(sed -n 3p "$TMP/runs.png.dat")"
check "the title says what a point and a bar are" grep -q 'median of 3 runs; bars: lowest to highest' "$TMP/runs.png.gp"

# memory sizes: log2 with tics in KiB/MiB, x in words
printf 'memory.size,trace,cycles\n2M,/x/a.mmt,900\n4M,/x/a.mmt,500\n8M,/x/a.mmt,300\n16M,/x/a.mmt,250\n32M,/x/a.mmt,240\n' >"$TMP/mem.csv"
plot_ok tlb "$TMP/mem.pdf" "$TMP/mem.csv" --x memory.size --y cycles
check "memory.size from 2M to 32M: log2" grep -qx "set logscale x 2" "$TMP/mem.pdf.gp"
check "memory tics in MiB" grep -q 'set xtics ("2 MiB" 2, "4 MiB" 4, "8 MiB" 8, "16 MiB" 16, "32 MiB" 32)' "$TMP/mem.pdf.gp"
check_eq "memory axis in words" 'set xlabel "Memory size"' "$(grep '^set xlabel' "$TMP/mem.pdf.gp")"
check "--linx keeps a linear axis" bash -c "'$MMSIM' plot tlb '$TMP/mem.csv' --x memory.size --y cycles --linx -o '$TMP/meml.png' 2>/dev/null && ! grep -q logscale '$TMP/meml.png.gp' && grep -q 'set xlabel \"Memory size (MiB)\"' '$TMP/meml.png.gp'"
check "sizes spanning less than 4x stay linear" bash -c "! grep -q 'logscale x' '$TMP/tlb.png.gp'"

# the other kinds
check "buddyinfo: a heat map of free blocks, log colour scale" bash -c "grep -q 'with boxxyerror' '$TMP/bi.png.gp' && grep -q '^set logscale cb' '$TMP/bi.png.gp' && grep -q '^set palette defined' '$TMP/bi.png.gp'"
check "buddyinfo: orders labelled by block size" grep -q '"4 KiB (0)" 0, "8 KiB (1)" 1, "16 KiB (2)" 2' "$TMP/bi.png.gp"
check_eq "walk: bars 0.8 of the closest latencies (10 cycles apart)" "set boxwidth 8 absolute" "$(grep '^set boxwidth' "$TMP/walk.png.gp")"
check "multiprog: whole process counts on x" grep -qx "set xtics 1" "$TMP/mp.pdf.gp"
plot_ok buddyinfo "$TMP/bi2.png" "$TMP/tl.csv" "$TMP/rtl.csv"
check_eq "buddyinfo of two timelines: panels over each other" "set multiplot layout 2,1" "$(grep -o '^set multiplot layout [0-9],[0-9]' "$TMP/bi2.png.gp")"
check_eq "buddyinfo panels share the colour range (up to the most free blocks of either)" \
    "set cbrange [1:$(python3 -c 'import csv,sys
m = 1
for f in sys.argv[1:]:
    for r in csv.DictReader(open(f)):
        m = max([m] + [float(v) for k, v in r.items() if k.startswith(("order", "buddy."))])
print("%g" % m)' "$TMP/tl.csv" "$TMP/rtl.csv")]" "$(grep '^set cbrange' "$TMP/bi2.png.gp")"
python3 -c '
print("tlb.l1d.entries,tlb.l1d.ways,trace,instructions,tlb.l1d.misses")
for w in range(20):
    for e in (8, 16, 32):
        print("%d,%d,/x/a.mmt,1000,%d" % (e, w, e))' >"$TMP/many.csv"
"$MMSIM" plot tlb "$TMP/many.csv" --panels tlb.l1d.ways -o "$TMP/many.png" 2>"$TMP/err.txt"
check "20 panels: an error naming the file and the limit" grep -q "many.csv: 20 panels, at most 16" "$TMP/err.txt"
