# common.gp - settings the figure scripts share (loaded by each with
# `load dir.'common.gp'`): the terminal from the output's extension (.svg
# gives SVG, anything else PNG through cairo), comma-separated input with a
# header, and helpers.
#
# values(file, column, filter) lists the distinct values of a column (in
# order of first appearance, space-separated) of the rows whose `scope` is
# filter ("" for every row); the scripts loop over them (one line or bar
# colour per policy or run).
if (out[strlen(out)-3:] eq ".svg") {
    set terminal svg size 900,520 dynamic font "Sans,11" background rgb "white"
} else {
    set terminal pngcairo size 900,520 font "Sans,10" background rgb "white"
}
set output out
set datafile separator comma
set datafile columnheaders
set grid
set key outside right top noenhanced
set style data linespoints
values(file, cols, filter) = system(sprintf( \
    "awk -F, -v cols='%s' -v f='%s' 'NR == 1 { n = split(cols, want, \" \"); for (i = 1; i <= NF; i++) { for (k = 1; k <= n; k++) if ($i == want[k]) c[k] = i; if ($i == \"scope\") s = i }; next } f == \"\" || $s == f { v = $c[1]; for (k = 2; k <= n; k++) v = v \"@\" $c[k]; if (!(v in seen)) { seen[v] = 1; printf \"%%s \", v } }' '%s'", \
    cols, filter, file))

# sel(file, cols, value): a data source of the header and the whole-run
# ("total") rows whose columns cols (space-separated names, joined by "@")
# equal value, for lines that must not be broken by the rows left out.
sel(file, cols, value) = sprintf( \
    "< awk -F, -v cols='%s' -v val='%s' 'NR == 1 { n = split(cols, want, \" \"); for (i = 1; i <= NF; i++) { for (k = 1; k <= n; k++) if ($i == want[k]) c[k] = i; if ($i == \"scope\") s = i }; print; next } $s == \"total\" { v = $c[1]; for (k = 2; k <= n; k++) v = v \"@\" $c[k]; if (v == val) print }' '%s'", \
    cols, value, file)
