# io_breakdown.gp - the I/O of each run as stacked bars: file reads,
# writebacks to files, swap-ins, swap-outs (pages), from the whole-run rows
# of replay, compare or sweep CSV; one bar per run, labelled "policy memory".
#
#   gnuplot -e "in='runs.csv'; out='io.png'" analysis/io_breakdown.gp
#
# Columns: policy, memory, scope, file_reads, writebacks, swap_ins, swap_outs.
if (!exists("in")) in = "runs.csv"
if (!exists("out")) out = "io_breakdown.png"
if (!exists("dir")) dir = "analysis/"
load dir."common.gp"
runs = values(in, "policy memory", "total")
set title "I/O by kind" noenhanced
set ylabel "pages"
set style fill solid 0.85 border -1
set boxwidth 0.7
set grid noxtics ytics
set yrange [0:*]
set xrange [0.4:words(runs)+0.6]
set xtics () rotate by -35 noenhanced
do for [i = 1:words(runs)] { set xtics add (word(runs, i) i) }
idx(r) = sum [k = 1:words(runs)] (word(runs, k) eq r ? k : 0)
x(d) = strcol("scope") eq "total" ? idx(strcol("policy")."@".strcol("memory")) : NaN
fr(d) = column("file_reads")
wb(d) = column("writebacks")
si(d) = column("swap_ins")
so(d) = column("swap_outs")
plot in using (x(0)):(fr(0)+wb(0)+si(0)+so(0)) with boxes lc rgb "#8e44ad" title "swap-outs", \
     '' using (x(0)):(fr(0)+wb(0)+si(0)) with boxes lc rgb "#2980b9" title "swap-ins", \
     '' using (x(0)):(fr(0)+wb(0)) with boxes lc rgb "#16a085" title "writebacks", \
     '' using (x(0)):(fr(0)) with boxes lc rgb "#d35400" title "file reads"
