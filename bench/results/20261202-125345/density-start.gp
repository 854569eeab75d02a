set terminal pngcairo size 960,480 noenhanced font 'sans,10'
set output 'density-start.png'
set title 'Starting containers at once'
set ylabel 'ms'
set style data histograms
set style histogram clustered gap 1
set yrange [0:*]
set style fill solid 0.85 border -1
set datafile separator '\t'
set datafile missing '?'
set grid ytics
set xtics rotate by -15
plot for [i=2:4] 'density-start.dat' using i:xtic(1) title columnheader(i)
