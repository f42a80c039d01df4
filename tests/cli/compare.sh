#!/bin/sh
# compare: every row (the whole run and every process) equals the row of the
# single `vmreplay replay` with the same options, whatever the number of
# worker threads; on a multi-process traces (anonymous, and file pages with finite swap), a hand-written
# text trace with file records (strings kept across the decoding ring) and
# OPT (shared oracle). Also: the time series sums to the run's totals, and is
# the same from replay and compare.
set -u
: "${VMREPLAY:?}" "${SRCDIR:?}" "${TESTTMP:?}"
. "${SRCDIR:?}/tests/lib/cli.sh"
V=$VMREPLAY
T=$TESTTMP
"$V" synth -o "$T/w.vmt" -p 'zipf:0.8@3,scan' -f 2M -n 12k -P 3 -w 0.3 -s 5 2>/dev/null ||
    bad "synth failed"
"$V" synth -o "$T/f.vmt" -p 'zipf:0.9@2,loop:256K' -f 1M -n 8k -P 2 -b file -w 0.2 -s 6 2>/dev/null ||
    bad "synth file failed"

check_trace() { # TRACE POLICIES MEMORIES [extra replay options]
    trace=$1 pols=$2 mems=$3
    shift 3
    : >"$T/want.csv"
    first=1
    for p in $(echo "$pols" | tr , ' '); do
        for m in $(echo "$mems" | tr , ' '); do
            "$V" replay "$trace" -p "$p" -m "$m" "$@" -f csv -o "$T/one.csv" ||
                bad "replay $trace $p $m failed"
            if [ $first = 1 ]; then cat "$T/one.csv"; else tail -n +2 "$T/one.csv"; fi >>"$T/want.csv"
            first=0
        done
    done
    for j in 1 3; do
        "$V" compare "$trace" -p "$pols" -m "$mems" "$@" -j $j -q -f csv -o "$T/got.csv" ||
            bad "compare $trace -j $j failed"
        cmp -s "$T/want.csv" "$T/got.csv" ||
            bad "compare -j $j of $trace differs from the replays: $(diff "$T/want.csv" "$T/got.csv" | head -5)"
    done
}
check_trace "$T/w.vmt" fifo,lru,clock,opt 40p,100p,300p
check_trace "$T/f.vmt" clock,opt 30p,100p --swap 20p
check_trace "$SRCDIR/traces/fork_cow.txt" lru,clock,opt 3p,16p

# the table has one line per run
n=$("$V" compare "$T/w.vmt" -p lru,clock -m 50p,100p,200p -q | wc -l)
[ "$n" = 7 ] || bad "table has $n lines, expected 7"

# time series: the intervals add up to the run's totals; replay and compare agree
"$V" replay "$T/w.vmt" -p clock -m 100p -f csv -o "$T/run.csv" --interval 5000 --per-process \
    --series "$T/s1.csv" || bad "replay --interval failed"
"$V" compare "$T/w.vmt" -p clock -m 100p -f csv -o "$T/run2.csv" --interval 5000 --per-process \
    --series "$T/s2.csv" -q || bad "compare --interval failed"
cmp -s "$T/s1.csv" "$T/s2.csv" || bad "replay and compare time series differ"
for c in accesses minor_faults major_faults swap_outs evictions; do
    want=$(awk -F, -v name=$c 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) k = i }
                                NR == 2 { print $k }' "$T/run.csv")
    got=$(awk -F, -v name=$c 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) k = i; next }
                               $0 ~ /,total,/ { s += $k } END { print s }' "$T/s1.csv")
    [ "$want" = "$got" ] || bad "series: sum of $c is $got, the run says $want"
done
rows=$(grep -c ',total,' "$T/s1.csv")
[ "$rows" = 3 ] || bad "series: $rows intervals for 12000 accesses every 5000, expected 3"
grep -q ',process,3,' "$T/s1.csv" || bad "series: no per-process rows"

# progress: on a terminal (script(1) gives one) a line with a percentage
# from the trace's index; none with --quiet, none when stderr is a file
if command -v script >/dev/null; then
    script -qc "'$V' compare '$T/w.vmt' -p lru -m 40p,80p -f csv -o /dev/null" /dev/null >"$T/tty" 2>&1
    grep -q '%.*records/s.*ETA' "$T/tty" || bad "no progress line on a terminal: $(cat "$T/tty")"
    script -qc "'$V' replay '$T/w.vmt' -m 40p -f csv -o /dev/null -q" /dev/null >"$T/tty" 2>&1
    [ ! -s "$T/tty" ] || bad "--quiet still printed: $(cat "$T/tty")"
fi
"$V" replay "$T/w.vmt" -m 40p -f csv -o /dev/null 2>"$T/err"
[ ! -s "$T/err" ] || bad "progress printed to a file: $(cat "$T/err")"

# errors: no memory, bad list, both outputs on stdout
"$V" compare "$T/w.vmt" -p lru 2>/dev/null && bad "compare without --memory succeeded"
"$V" compare "$T/w.vmt" -m 1M,x 2>/dev/null; [ $? = 2 ] || bad "bad size not a usage error"
"$V" compare "$T/w.vmt" -m 1M --interval 10 2>/dev/null; [ $? = 2 ] ||
    bad "--interval without --series or -o not refused"
"$V" compare "$T/nope.vmt" -m 1M 2>"$T/err"; [ $? = 1 ] || bad "missing trace: not status 1"
grep -q nope.vmt "$T/err" || bad "missing trace: message does not name it"
exit $fail
