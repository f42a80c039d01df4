# fault_breakdown.gp - what the faults of each run were made of.
#
# Input: CSV written by `vmreplay replay --format csv` (one or more runs; keep
# one header line when concatenating: tail -n +2 for the later files). Only
# the rows with scope "total" are drawn: one stacked bar per run, labelled
# "policy memory", split into the kinds of fault the simulator counts.
#
#   gnuplot -e "in='runs.csv'; out='faults.png'" analysis/fault_breakdown.gp
#
# `out` ending in .svg gives SVG, anything else PNG.
if (!exists("in")) in = "runs.csv"
if (!exists("out")) out = "fault_breakdown.png"
if (out[strlen(out)-3:] eq ".svg") {
    set terminal svg size 900,500 dynamic font "Sans,11"
} else {
    set terminal pngcairo size 900,500 font "Sans,10"
}
set output out
set datafile separator comma
set datafile columnheaders
set title "Faults by kind"
set ylabel "faults (pages)"
set style fill solid 0.85 border -1
set boxwidth 0.7
set key outside right top
set grid ytics
unset xtics
set bmargin 6
set yrange [0:*]

# x position of a row: the running count of "total" rows, NaN for others
n = 0
x(s) = (s eq "total") ? (n = n + 1, n) : NaN
lbl(s) = sprintf("%s %s", strcol("policy"), strcol("memory"))

zf(r)    = column("zero_fill")
cow(r)   = column("cow_copies") + column("cow_reuses")
other(r) = column("minor_faults") - column("zero_fill") - column("cow_copies") - column("cow_reuses")
maj(r)   = column("major_faults")

# stacks drawn from the top down, each bar covering the ones under it
plot in using (x(strcol("scope"))):(zf(0)+cow(0)+other(0)+maj(0)) \
        with boxes lc rgb "#c0392b" title "major (file read or swap-in)", \
     '' using (n = (n > 0 && $0 == 0) ? 0 : n, x(strcol("scope"))):(zf(0)+cow(0)+other(0)) \
        with boxes lc rgb "#e67e22" title "minor: page or swap cache", \
     '' using (n = (n > 0 && $0 == 0) ? 0 : n, x(strcol("scope"))):(zf(0)+cow(0)) \
        with boxes lc rgb "#f1c40f" title "minor: copy-on-write", \
     '' using (n = (n > 0 && $0 == 0) ? 0 : n, x(strcol("scope"))):(zf(0)) \
        with boxes lc rgb "#27ae60" title "minor: zero-fill", \
     '' using (n = (n > 0 && $0 == 0) ? 0 : n, x(strcol("scope"))):(0):(lbl(strcol("scope"))) \
        with labels rotate by -30 left offset 0,-1 noenhanced notitle
