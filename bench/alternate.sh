#!/bin/sh
# bench/alternate.sh - wall-clock comparison of bench_replay builds on a
# shared machine, whose speed swings by 2x from hour to hour: the builds run
# in turn (A, B, A, B, ...), ROUNDS times, and each policy and size gets the
# median of its runs per build, wall M accesses/s and, in parentheses, the
# replay thread's own rate. Compare builds within one invocation only.
#
# usage: sh bench/alternate.sh TRACE ROUNDS POLICIES NAME=BENCH_REPLAY...
#   e.g. sh bench/alternate.sh /tmp/bench25b.vmt 5 lru,clock \
#            old=/tmp/old/bench_replay new=build/release/bench/bench_replay
set -eu
[ $# -ge 4 ] || { sed -n '2,12p' "$0" >&2; exit 2; }
trace=$1 rounds=$2 policies=$3
shift 3
out=$(mktemp)
trap 'rm -f "$out"' EXIT
uptime
i=0
while [ "$i" -lt "$rounds" ]; do
    for b in "$@"; do
        name=${b%%=*} bin=${b#*=}
        "$bin" "$trace" --policies "$policies" --memory 1%,10% 2>&1 |
            awk -v d="$name" '$1 !~ /^#|^policy/ && NF >= 8 { print d, $1, $2, $5, (NF >= 9 ? $9 : "-") }' >>"$out"
    done
    i=$((i + 1))
done
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
for p in bare-lru bare-vm $(echo "$policies" | tr , ' '); do
    for m in 1% 10%; do
        line="$p $m"
        for b in "$@"; do
            name=${b%%=*}
            w=$(awk -v d="$name" -v p="$p" -v m="$m" '$1 == d && $2 == p && $3 == m { print $4 }' "$out" | median)
            s=$(awk -v d="$name" -v p="$p" -v m="$m" '$1 == d && $2 == p && $3 == m { print $5 }' "$out" | median)
            line="$line | $name $w ($s)"
        done
        echo "$line"
    done
done
uptime
