# mmsim plot buddyinfo: restyle freely, then rerun with `gnuplot buddyinfo.png.gp` in this folder.
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
set xlabel "Time (million cycles)"
set ylabel "Free block size (order)"
set yrange [-0.5:10.5]
set ytics ("4 KiB (0)" 0, "8 KiB (1)" 1, "16 KiB (2)" 2, "32 KiB (3)" 3, "64 KiB (4)" 4, "128 KiB (5)" 5, "256 KiB (6)" 6, "512 KiB (7)" 7, "1 MiB (8)" 8, "2 MiB (9)" 9, "4 MiB (10)" 10)
set cbrange [1:4093]
set grid noxtics noytics
set logscale cb
set cblabel "Free blocks"
set format cb "%g"
set palette defined (0 "#fde725", 1 "#5dc963", 2 "#21908d", 3 "#3b528b", 4 "#440154")
set offsets 0, 0, 0, 0
set autoscale xfix
set border 15
unset key
set pointsize 1.2
set terminal pngcairo size 800,500 font "Sans,12"
set output "buddyinfo.png"
plot 'buddyinfo.png.dat' index 0 using 3:2:3:4:5:6:7 with boxxyerror fs solid 1.0 noborder lc palette notitle, \
     'buddyinfo.png.dat' index 1 using 3:2:3:4:5:6:7 with boxxyerror fs solid 1.0 noborder lc palette notitle, \
     'buddyinfo.png.dat' index 2 using 3:2:3:4:5:6:7 with boxxyerror fs solid 1.0 noborder lc palette notitle, \
     'buddyinfo.png.dat' index 3 using 3:2:3:4:5:6:7 with boxxyerror fs solid 1.0 noborder lc palette notitle, \
     'buddyinfo.png.dat' index 4 using 3:2:3:4:5:6:7 with boxxyerror fs solid 1.0 noborder lc palette notitle, \
     'buddyinfo.png.dat' index 5 using 3:2:3:4:5:6:7 with boxxyerror fs solid 1.0 noborder lc palette notitle, \
     'buddyinfo.png.dat' index 6 using 3:2:3:4:5:6:7 with boxxyerror fs solid 1.0 noborder lc palette notitle, \
     'buddyinfo.png.dat' index 7 using 3:2:3:4:5:6:7 with boxxyerror fs solid 1.0 noborder lc palette notitle, \
     'buddyinfo.png.dat' index 8 using 3:2:3:4:5:6:7 with boxxyerror fs solid 1.0 noborder lc palette notitle, \
     'buddyinfo.png.dat' index 9 using 3:2:3:4:5:6:7 with boxxyerror fs solid 1.0 noborder lc palette notitle, \
     'buddyinfo.png.dat' index 10 using 3:2:3:4:5:6:7 with boxxyerror fs solid 1.0 noborder lc palette notitle
