set terminal pngcairo size 960,480 noenhanced font 'sans,10'
set output 'file-io.png'
set title 'File I/O on the rootfs (p50)'
set ylabel 'ms (log scale)'
set style data histograms
set style histogram clustered gap 1
set logscale y
set yrange [5.00:*]
set style fill solid 0.85 border -1
set datafile separator '\t'
set datafile missing '?'
set grid ytics
set xtics rotate by -15
plot for [i=2:4] 'file-io.dat' using i:xtic(1) title columnheader(i)
