# miss_ratio.gp - miss ratio (faults / page touches) against memory, one
# line per policy, from the whole-run rows of replay, compare or sweep CSV;
# with `mrc` set, the exact LRU curve of `vmreplay mrc` is drawn too.
#
#   gnuplot -e "in='runs.csv'; out='miss_ratio.png'" analysis/miss_ratio.gp
#   gnuplot -e "in='runs.csv'; mrc='mrc.csv'; out='mr.svg'" analysis/miss_ratio.gp
#
# Columns: policy, memory_pages, page_size, page_touches, scope,
# minor_faults, major_faults (runs); memory_pages, page_size, miss_ratio (mrc).
if (!exists("in")) in = "runs.csv"
if (!exists("out")) out = "miss_ratio.png"
if (!exists("dir")) dir = "analysis/"
load dir."common.gp"
policies = values(in, "policy", "total")
set title "Miss ratio against memory size" noenhanced
set xlabel "memory (MiB)"
set ylabel "faults / page touches"
set yrange [0:*]
set xrange [0:*]
mib(r) = column("memory_pages") * column("page_size") / 1048576.0
ratio(r) = (column("minor_faults") + column("major_faults")) / column("page_touches")
if (exists("mrc")) {
    plot for [p in policies] sel(in, "policy", p) using (mib(0)):(ratio(0)) smooth unique \
            with linespoints lw 2 pt 7 title p, \
         mrc using (mib(0)):(column("miss_ratio")) with lines lw 1 dt 2 lc rgb "black" \
            title "LRU, exact curve (mrc)"
} else {
    plot for [p in policies] sel(in, "policy", p) using (mib(0)):(ratio(0)) smooth unique \
            with linespoints lw 2 pt 7 title p
}
