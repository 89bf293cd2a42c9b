# mmsim plot thrashing: restyle freely, then rerun with `gnuplot sortl.svg.gp` in this folder.
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
set arrow from 14.711, graph 0 to 14.711, graph 1 nohead dt 2 lw 1.5 lc rgb "#808080"
set label "knee sortl.kernel 14.71 MiB" at 14.711, graph 0.92 offset 0.5,0 font ",9"
set arrow from 14.711, graph 0 to 14.711, graph 1 nohead dt 2 lw 1.5 lc rgb "#808080"
set label "knee sortl.model 14.71 MiB" at 14.711, graph 0.85 offset 0.5,0 font ",9"
set xlabel "Memory size (MiB)"
set ylabel "Runtime (s)"
set y2label "Major faults"
set logscale y
set logscale y2
set ytics nomirror
set y2tics
set key bottom left
set pointsize 1.2
set terminal svg size 800,500 font "Sans,13" dynamic
set output "sortl.svg"
set title "sortl: kernel and model"
plot 'sortl.svg.dat' index 0 using 1:2 axes x1y1 with linespoints lw 2 pt 7 title "runtime sortl.kernel", \
     'sortl.svg.dat' index 1 using 1:2 axes x1y2 with linespoints lw 2 dt 3 pt 6 title "major faults sortl.kernel", \
     'sortl.svg.dat' index 2 using 1:2 axes x1y1 with linespoints lw 2 pt 7 title "runtime sortl.model", \
     'sortl.svg.dat' index 3 using 1:2 axes x1y2 with linespoints lw 2 dt 3 pt 6 title "major faults sortl.model"
