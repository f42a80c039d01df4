# policy_bars.gp - faults of each policy at each memory size, as bars
# grouped by memory size (one colour per policy), from the whole-run rows
# of replay, compare or sweep CSV.
#
#   gnuplot -e "in='runs.csv'; out='policies.png'" analysis/policy_bars.gp
#
# Columns: policy, memory, scope, minor_faults, major_faults.
if (!exists("in")) in = "runs.csv"
if (!exists("out")) out = "policy_bars.png"
if (!exists("dir")) dir = "analysis/"
load dir."common.gp"
policies = values(in, "policy", "total")
sizes = values(in, "memory", "total")
np = words(policies)
ns = words(sizes)
set title "Faults by policy and memory size" noenhanced
set ylabel "faults (pages)"
set style fill solid 0.85 border -1
set grid noxtics ytics
set yrange [0:*]
set xrange [0.4:ns+0.6]
w = 0.8 / np
set boxwidth w
set xtics () noenhanced
do for [i = 1:ns] { set xtics add (word(sizes, i) i) }
idx(s) = sum [k = 1:ns] (word(sizes, k) eq s ? k : 0)
pick(p) = strcol("scope") eq "total" && strcol("policy") eq p
plot for [j = 1:np] in using (pick(word(policies, j)) ? \
        idx(strcol("memory")) - 0.4 + (j - 0.5) * w : NaN): \
        (column("minor_faults") + column("major_faults")) with boxes title word(policies, j)
