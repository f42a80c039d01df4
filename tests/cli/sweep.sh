#!/bin/sh
# sweep: a spec file plus command-line lists, run in process; the same sweep
# as jobs run by GNU parallel (through --sshloginfile with ':' = this host)
# and joined by merge gives the same CSV byte for byte. Also spec errors.
set -u
: "${VMREPLAY:?}" "${SRCDIR:?}" "${TESTTMP:?}"
. "${SRCDIR:?}/tests/lib/cli.sh"
command -v parallel >/dev/null || { echo "GNU parallel missing (scripts/setup.sh)"; exit 77; }
work_in_tmp
V=$VMREPLAY
"$V" synth -o a.vmt -p 'zipf:0.9@2,scan' -f 1M -n 8k -P 2 -s 1 2>/dev/null || bad "synth a"
"$V" synth -o b.vmt -p 'loop:256K,uniform' -f 1M -n 8k -w 0.5 -s 2 2>/dev/null || bad "synth b"
cat >spec.txt <<'SPEC'
# two traces, three policies, two sizes; swap from the command line
trace a.vmt
trace b.vmt
policy = lru,clock,opt   # comments after values too
memory 40p,120p
SPEC
"$V" sweep --spec spec.txt --swap unlimited,64p -o inproc.csv --json inproc.json -j 2 ||
    bad "in-process sweep failed"
rows=$(grep -c ',total,' inproc.csv)
[ "$rows" = 24 ] || bad "in-process sweep: $rows runs, expected 2 x 3 x 2 x 2 = 24"
[ "$(head -1 inproc.csv)" = "$("$V" replay a.vmt -m 40p --columns all -f csv | head -1)" ] ||
    bad "sweep header differs from replay's"
grep -c '"config"' inproc.json | grep -qx 24 || bad "JSON does not hold 24 runs"

"$V" sweep --spec spec.txt --swap unlimited,64p --emit-jobs jobs.txt --jobs-dir out ||
    bad "--emit-jobs failed"
[ "$(wc -l <jobs.txt)" = 24 ] || bad "jobs.txt has $(wc -l <jobs.txt) lines"
echo : >nodes.txt
parallel --will-cite --sshloginfile nodes.txt -j 2 <jobs.txt || bad "GNU parallel failed"
"$V" merge out/job-*.csv -o merged.csv || bad "merge failed"
cmp -s inproc.csv merged.csv || bad "merged jobs differ from the in-process sweep: $(diff inproc.csv merged.csv | head -4)"

# one job line is a plain command: the Slurm array runs line N with sh
sed -n 5p jobs.txt | sh || bad "job line 5 does not run under sh"

# errors
printf 'trace a.vmt\nmemory 1M\npolicy\n' >bad.txt
"$V" sweep --spec bad.txt 2>err && bad "spec with an empty value accepted"
grep -q 'bad.txt:3' err || bad "spec error does not name bad.txt:3: $(cat err)"
printf 'memory 1M,huge\n' >bad2.txt
"$V" sweep a.vmt --spec bad2.txt 2>err && bad "bad size accepted"
grep -q 'bad2.txt:1' err || bad "bad size: $(cat err)"
head -1 a.vmt >/dev/null
printf 'x,y\n1,2\n' >other.csv
"$V" merge out/job-000001.csv other.csv -o m.csv 2>err && bad "merge of different headers accepted"
grep -q other.csv err || bad "merge error does not name other.csv"
exit $fail
