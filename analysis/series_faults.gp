# series_faults.gp - faults per interval over the run (time in accesses),
# one line per run ("policy@memory"), from the whole-run rows of a time
# series (replay or compare --interval); `runs` (space-separated
# policy@memory words) picks runs, default all.
#
#   gnuplot -e "in='series.csv'; out='faults_time.png'" analysis/series_faults.gp
#
# Columns: policy, memory, scope, end_access, minor_faults, major_faults.
if (!exists("in")) in = "series.csv"
if (!exists("out")) out = "series_faults.png"
if (!exists("dir")) dir = "analysis/"
load dir."common.gp"
if (!exists("runs")) runs = values(in, "policy memory", "total")
set title "Faults per interval" noenhanced
set xlabel "accesses replayed"
set ylabel "faults in the interval"
set yrange [0:*]
set format x "%.0s%c"
plot for [r in runs] sel(in, "policy memory", r) using (column("end_access")): \
        (column("minor_faults") + column("major_faults")) smooth unique with linespoints lw 2 pt 7 ps 0.5 title r
