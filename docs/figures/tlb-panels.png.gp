# mmsim plot tlb: restyle freely, then rerun with `gnuplot tlb-panels.png.gp` in this folder.
# Okabe-Ito colours (colour-blind safe), distinct dash and point types (greyscale)
set linetype 1 lc rgb "#0072B2" lw 2 dt 1 pt 7
set linetype 2 lc rgb "#D55E00" lw 2 dt (8,4) pt 5
set linetype 3 lc rgb "#009E73" lw 2 dt (2,3) pt 9
set linetype 4 lc rgb "#CC79A7" lw 2 dt (8,3,2,3) pt 13
set linetype 5 lc rgb "#E69F00" lw 2 dt (14,4) pt 11
set linetype 6 lc rgb "#56B4E9" lw 2 dt (4,2,4,6) pt 15
set linetype 7 lc rgb "#000000" lw 2 dt (8,3,2,3,2,3) pt 4
set linetype 8 lc rgb "#0072B2" lw 2 dt (8,3,2,3) pt 12
set linetype 9 lc rgb "#D55E00" lw 2 dt (14,4) pt 10
set linetype 10 lc rgb "#009E73" lw 2 dt (4,2,4,6) pt 14
set linetype 11 lc rgb "#CC79A7" lw 2 dt (8,3,2,3,2,3) pt 3
set linetype 12 lc rgb "#E69F00" lw 2 dt 1 pt 6
set linetype 13 lc rgb "#56B4E9" lw 2 dt (8,4) pt 4
set linetype 14 lc rgb "#000000" lw 2 dt (2,3) pt 8
set linetype cycle 14
set datafile missing "?"
set grid lc rgb "#dddddd" lw 1 dt 1
set key top right
set border 3
set xtics nomirror
set mxtics
set xlabel "L1 dTLB entries"
set logscale x 2
set format x "%g"
unset mxtics
set xrange [6.9565217391304355:1177.5999999999999]
set ylabel "L1 dTLB misses per 1000 instructions"
set yrange [0:*]
set pointsize 1.2
set terminal pngcairo size 840,460 font "Sans,12"
set output "tlb-panels.png"
set key at screen 0.5, screen 0.005 center bottom vertical maxrows 1
set multiplot layout 1,2 title "TLB misses against L1 dTLB entries, by workload" margins 0.1082,0.9544,0.1853,0.8260 spacing 0.0798,0.2345
set title "(a) a"
set ylabel "L1 dTLB misses per 1000 instructions"
plot 'tlb-panels.png.dat' index 0 using 1:2 with linespoints lt 1 title "fully associative", \
     'tlb-panels.png.dat' index 1 using 1:2 with linespoints lt 2 title "4-way", \
     'tlb-panels.png.dat' index 2 using 1:2 with linespoints lt 3 title "8-way"
set title "(b) b"
set ylabel ""
plot 'tlb-panels.png.dat' index 3 using 1:2 with linespoints lt 1 title "", \
     'tlb-panels.png.dat' index 4 using 1:2 with linespoints lt 2 title "", \
     'tlb-panels.png.dat' index 5 using 1:2 with linespoints lt 3 title ""
unset multiplot
