set terminal pngcairo size 960,480 noenhanced font 'sans,10'
set output 'memory.png'
set title 'Host PSS of idle containers'
set ylabel 'MiB (log scale)'
set style data histograms
set style histogram clustered gap 1
set logscale y
set yrange [0.134:*]
set style fill solid 0.85 border -1
set datafile separator '\t'
set datafile missing '?'
set grid ytics
set xtics rotate by -15
plot for [i=2:4] 'memory.dat' using i:xtic(1) title columnheader(i)
