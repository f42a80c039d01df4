# mrc.gp - miss-ratio curves of `vmreplay mrc` (exact or SHARDS), one line
# per trace and method, against memory size.
#
#   gnuplot -e "in='mrc.csv'; out='mrc.png'" analysis/mrc.gp
#
# Columns: trace, method, memory_pages, page_size, miss_ratio.
if (!exists("in")) in = "mrc.csv"
if (!exists("out")) out = "mrc.png"
if (!exists("dir")) dir = "analysis/"
load dir."common.gp"
curves = values(in, "trace method", "")
set title "LRU miss-ratio curve" noenhanced
set xlabel "memory (MiB)"
set ylabel "faults / page touches"
set yrange [0:*]
set xrange [0:*]
is(c) = strcol("trace")."@".strcol("method") eq c
plot for [c in curves] in using (is(c) ? column("memory_pages") * column("page_size") / 1048576.0 : NaN):(column("miss_ratio")) with points pt 7 ps 0.4 title c
