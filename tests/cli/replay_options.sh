#!/bin/sh
# The replay options replay, compare and sweep share (semantics, swap, exec):
# compare and sweep accept each one and give, run for run, the rows of the
# matching `vmreplay replay`; sweep's emitted jobs carry them (and a spec
# file can set them); a bad value is the same usage error (status 2) in all
# three; each command's --help lists them all.
set -u
: "${VMREPLAY:?}" "${SRCDIR:?}" "${TESTTMP:?}"
. "${SRCDIR:?}/tests/lib/cli.sh"
work_in_tmp
V=$VMREPLAY
root=$SRCDIR/tests/data/sysroot
exec_trace=$SRCDIR/tests/scenarios/exec_load_needed.txt
"$V" synth -o w.vmt -p 'zipf:0.8@3,scan' -f 2M -n 12k -P 3 -w 0.3 -s 5 2>/dev/null ||
    bad "synth failed"

# the rows of one replay per policy x size, in compare's and sweep's order
replays() { # TRACE POLICIES MEMORIES [options] > CSV
    trace=$1 pols=$2 mems=$3 first=1
    shift 3
    for p in $(echo "$pols" | tr , ' '); do
        for m in $(echo "$mems" | tr , ' '); do
            "$V" replay "$trace" -p "$p" -m "$m" "$@" -q -f csv -o one.csv ||
                bad "replay $trace -p $p -m $m $* failed"
            if [ $first = 1 ]; then cat one.csv; else tail -n +2 one.csv; fi
            first=0
        done
    done
}
same() { # WANT GOT WHAT
    cmp -s "$1" "$2" || bad "$3 differs from the replays: $(diff "$1" "$2" | head -4)"
}

# linux mode must change this trace's counts, or the checks below prove nothing
replays w.vmt lru 60p >seeds.csv
replays w.vmt lru 60p --mode linux >linux.csv
[ "$(grep ',total,' seeds.csv | cut -d, -f10-)" != "$(grep ',total,' linux.csv | cut -d, -f10-)" ] ||
    bad "--mode linux does not change the counts of w.vmt"

# compare and sweep in linux mode (with a knob and finite swap) = replay
set -- --mode linux --zero-page no --swap 2M
replays w.vmt lru,clock 60p,150p "$@" >want.csv
"$V" compare w.vmt -p lru,clock -m 60p,150p "$@" -j 2 -q -f csv -o got.csv || bad "compare $* failed"
same want.csv got.csv "compare $*"
"$V" sweep w.vmt -p lru,clock -m 60p,150p "$@" -j 2 -o sweep.csv || bad "sweep $* failed"
replays w.vmt lru,clock 60p,150p "$@" --columns all >want.csv # (sweep describes all)
same want.csv sweep.csv "sweep $*"
grep -q ',"linux,zero_page=0",' sweep.csv || bad "sweep rows lack the mode column: $(sed -n 2p sweep.csv)"

# strict overcommit refuses this trace's mappings: mmap_failures in all three
set -- --overcommit strict --overcommit-ratio 10 --swap 64p
replays w.vmt lru 100p "$@" >want.csv
"$V" compare w.vmt -p lru -m 100p "$@" -q -f csv -o got.csv || bad "compare $* failed"
same want.csv got.csv "compare $*"
"$V" sweep w.vmt -p lru -m 100p "$@" -o sweep.csv || bad "sweep $* failed"
replays w.vmt lru 100p "$@" --columns all >want_all.csv
same want_all.csv sweep.csv "sweep $*"
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "mmap_failures") k = i }
         $0 ~ /,total,/ && $k > 0 { ok = 1 } END { exit !ok }' want.csv ||
    bad "strict overcommit refused nothing: the check proves nothing"

# exec with --sysroot and --load-needed: the libraries' pages are mapped
set -- --sysroot "$root" --load-needed --on-segv ignore
replays "$exec_trace" lru 16p,64p "$@" >want.csv
"$V" compare "$exec_trace" -p lru -m 16p,64p "$@" -q -f csv -o got.csv || bad "compare $* failed"
same want.csv got.csv "compare --sysroot --load-needed"
"$V" sweep "$exec_trace" -p lru -m 16p,64p "$@" -o sweep.csv || bad "sweep $* failed"
replays "$exec_trace" lru 16p,64p "$@" --columns all >want_all.csv
same want_all.csv sweep.csv "sweep --sysroot --load-needed"
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "segv_unmapped") k = i }
         $0 ~ /,total,/ && $k != 0 { exit 1 }' want.csv ||
    bad "--load-needed did not map the libraries (segfaults remain)"

# emitted jobs carry every option, and merged they are the in-process sweep
set -- -p lru -m 64p --mode linux --fault-around 4,16 --sysroot "$root" --load-needed \
    --on-segv ignore
"$V" sweep w.vmt "$exec_trace" "$@" -o inproc.csv || bad "sweep $* failed"
"$V" sweep w.vmt "$exec_trace" "$@" --emit-jobs jobs.txt --jobs-dir out || bad "--emit-jobs failed"
[ "$(wc -l <jobs.txt)" = 4 ] || bad "jobs.txt has $(wc -l <jobs.txt) lines, expected 4"
for o in "--mode 'linux'" "--fault-around '4'" "--sysroot '$root'" "--load-needed='yes'" \
    "--on-segv 'ignore'"; do
    sed -n 1p jobs.txt | grep -qF -- "$o" || bad "emitted job lacks $o: $(sed -n 1p jobs.txt)"
done
sed -n 2p jobs.txt | grep -qF -- "--fault-around '16'" || bad "job 2 lacks --fault-around '16'"
sh jobs.txt || bad "the emitted jobs failed"
"$V" merge out/job-*.csv -o merged.csv || bad "merge of the jobs failed"
cmp -s inproc.csv merged.csv ||
    bad "merged jobs differ from the in-process sweep: $(diff inproc.csv merged.csv | head -4)"
grep -q ',linux,' inproc.csv || bad "the sweep's rows are not in linux mode"

# a spec file names the options as the command line does, without '--'
printf 'trace w.vmt\npolicy lru\nmemory 60p\nmode = linux\nzero-page no\nswap 2M\n' >spec.txt
"$V" sweep --spec spec.txt -o spec.csv || bad "sweep --spec with mode failed"
replays w.vmt lru 60p --mode linux --zero-page no --swap 2M --columns all >want.csv
same want.csv spec.csv "sweep --spec (mode, zero-page)"

# a sweep over values that are defaults for some runs (seeds mode, global
# scope) and not for others still gives one header for all rows, in
# process and through emitted jobs (--columns all)
set -- -p lru -m 60p --mode seeds,linux --scope global,local
"$V" sweep w.vmt "$@" -o mixed.csv || bad "sweep $* failed"
awk -F, 'NR == 1 { n = NF } NF != n { exit 1 }' mixed.csv ||
    bad "sweep $*: rows with other columns than the header"
for m in seeds linux; do
    grep -q ",$m,[a-z]*,global,equal," mixed.csv || bad "sweep $*: no row in $m mode, global scope"
done
grep -q ",local,equal," mixed.csv || bad "sweep $*: no local-scope row"
"$V" sweep w.vmt "$@" --emit-jobs jobs.txt --jobs-dir mixed || bad "--emit-jobs $* failed"
sh jobs.txt || bad "the emitted jobs of $* failed"
"$V" merge mixed/job-*.csv -o merged.csv || bad "merge of the jobs of $* failed"
cmp -s mixed.csv merged.csv ||
    bad "sweep $*: merged jobs differ: $(diff mixed.csv merged.csv | head -4)"
# replay writes those columns only when asked, or when they differ
"$V" replay w.vmt -m 60p -q -f csv | head -1 | grep -q ',mode,' && bad "replay shows a default mode"
"$V" replay w.vmt -m 60p --columns all -q -f csv | head -1 | grep -q ',mode,overcommit,' ||
    bad "replay --columns all lacks the mode column"

# a bad value: the same message and status 2 from all three
for o in "--mode bogus" "--overcommit sometimes" "--page-cluster 10" "--fork-copy some" \
    "--zero-page maybe" "--load-needed=perhaps" "--scope wide" "--swap lots"; do
    want=
    for c in replay compare sweep; do
        # shellcheck disable=SC2086 # $o is an option and its value
        "$V" $c w.vmt -m 60p $o -q >/dev/null 2>err
        st=$?
        [ $st = 2 ] || bad "$c $o: exit status $st, expected 2"
        msg=$(head -1 err | sed "s/^vmreplay $c: //")
        grep -q "'" err || bad "$c $o: message does not quote the value: $msg"
        [ -n "$want" ] || want=$msg
        [ "$msg" = "$want" ] || bad "$c $o: '$msg', replay says '$want'"
    done
done

# --help of each lists every shared option
for c in replay compare sweep; do
    "$V" $c --help >help.txt || bad "$c --help failed"
    for o in swap page-size on-segv seed sysroot load-needed mode overcommit overcommit-ratio \
        zero-page fault-around write-notify page-cluster fork-copy sigbus scope quota; do
        grep -q -- "--$o\b" help.txt || bad "$c --help does not list --$o"
    done
    grep -q '@' help.txt && bad "$c --help shows a placeholder: $(grep @ help.txt)"
done
exit $fail
