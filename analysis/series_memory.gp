# series_memory.gp - memory in use over the run: frames in use (RSS of the
# machine, page cache included; solid) and swap slots in use (dashed) at
# the end of each interval, one colour per run ("policy@memory"), from the
# whole-run rows of a time series; `runs` picks runs as in series_faults.gp.
#
#   gnuplot -e "in='series.csv'; out='memory_time.png'" analysis/series_memory.gp
#
# Columns: policy, memory, scope, end_access, rss_pages, swap_used_pages.
if (!exists("in")) in = "series.csv"
if (!exists("out")) out = "series_memory.png"
if (!exists("dir")) dir = "analysis/"
load dir."common.gp"
if (!exists("runs")) runs = values(in, "policy memory", "total")
set title "Frames and swap in use" noenhanced
set xlabel "accesses replayed"
set ylabel "pages"
set yrange [0:*]
set format x "%.0s%c"
plot for [i = 1:words(runs)] sel(in, "policy memory", word(runs, i)) using (column("end_access")): \
        (column("rss_pages")) smooth unique with lines lw 2 lc i title word(runs, i)." frames", \
     for [i = 1:words(runs)] sel(in, "policy memory", word(runs, i)) using (column("end_access")): \
        (column("swap_used_pages")) smooth unique with lines lw 2 dt 2 lc i title word(runs, i)." swap"
