set terminal pngcairo size 960,480 noenhanced font 'sans,10'
set output 'container-start.png'
set title 'docker run / exec (p50)'
set ylabel 'ms'
set style data histograms
set style histogram clustered gap 1
set yrange [0:*]
set style fill solid 0.85 border -1
set datafile separator '\t'
set datafile missing '?'
set grid ytics
set xtics rotate by -15
plot for [i=2:4] 'container-start.dat' using i:xtic(1) title columnheader(i)
