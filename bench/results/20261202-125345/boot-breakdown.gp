set terminal pngcairo size 960,480 noenhanced font 'sans,10'
set output 'boot-breakdown.png'
set title 'jvmvisor boot breakdown per run'
set ylabel 'ms'
set style data histograms
set style histogram rowstacked
set key outside right
set yrange [0:*]
set linetype 1 lc rgb '#1f77b4'
set linetype 2 lc rgb '#ff7f0e'
set linetype 3 lc rgb '#2ca02c'
set linetype 4 lc rgb '#d62728'
set linetype 5 lc rgb '#9467bd'
set linetype 6 lc rgb '#8c564b'
set linetype 7 lc rgb '#e377c2'
set linetype 8 lc rgb '#7f7f7f'
set linetype 9 lc rgb '#bcbd22'
set linetype 10 lc rgb '#17becf'
set linetype 11 lc rgb '#393b79'
set linetype 12 lc rgb '#f7b6d2'
set style fill solid 0.85 border -1
set datafile separator '\t'
set datafile missing '?'
set grid ytics
set xtics rotate by -15
plot for [i=2:12] 'boot-breakdown.dat' using i:xtic(1) title columnheader(i)
