#!/bin/sh
# The replay loop has copies specialised for the policy flags of every
# built-in (src/kernel/kernel.c, kernel_policy_set; OPT's copy reads its
# oracle, and OPT's pre-pass runs a copy of its own); each must give exactly
# what the general copy gives (VMREPLAY_GENERIC_LOOP forces it), on traces
# with fork, file-backed and shared memory, limited swap included. A policy
# that names its next victim (VMR_POLICY_NEXT_VICTIM) must give exactly
# what it gives when the kernel asks select_victim every time
# (VMREPLAY_NO_NAMED_VICTIM): a name that skips work select_victim would
# have done shows here.
set -u
: "${VMREPLAY:?}" "${SRCDIR:?}" "${TESTTMP:?}"
. "${SRCDIR:?}/tests/lib/cli.sh"
work_in_tmp
V=$VMREPLAY
"$V" synth -o anon.vmt -p 'zipf:0.8@3,scan' -f 4M -n 40k -P 3 -w 0.3 -s 5 2>/dev/null ||
    bad "synth anon failed"
"$V" synth -o file.vmt -p 'zipf:0.9,loop:1M' -f 4M -n 40k -P 2 -b file -w 0.5 -s 7 2>/dev/null ||
    bad "synth file failed"
"$V" synth -o shared.vmt -p 'uniform@1,scan' -f 4M -n 40k -P 2 -b shared -s 3 2>/dev/null ||
    bad "synth shared failed"
for t in anon file shared; do
    for p in lru fifo clock sieve arc lirs 2q s3fifo car clockpro wsclock slru lfu aging linux \
        random gclock nru opt linux:inactive_ratio=3; do
        for opt in "-m 400K" "-m 400K --swap 1M" "-m 1M"; do
            # shellcheck disable=SC2086
            "$V" replay $t.vmt -p $p $opt -q -f csv -o lean.csv || bad "replay $t $p $opt failed"
            # shellcheck disable=SC2086
            VMREPLAY_GENERIC_LOOP=1 "$V" replay $t.vmt -p $p $opt -q -f csv -o gen.csv ||
                bad "generic replay $t $p $opt failed"
            cmp -s lean.csv gen.csv ||
                bad "$t -p $p $opt: the specialised loop differs: $(diff lean.csv gen.csv | head -4)"
            # shellcheck disable=SC2086
            VMREPLAY_NO_NAMED_VICTIM=1 "$V" replay $t.vmt -p $p $opt -q -f csv -o unnamed.csv ||
                bad "unnamed replay $t $p $opt failed"
            cmp -s lean.csv unnamed.csv ||
                bad "$t -p $p $opt: naming the victim changes the run: $(diff lean.csv unnamed.csv | head -4)"
            # the run must have replaced pages, or it proves little
            [ "$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) { if ($i == "evictions") c = i
                                                               if ($i == "scope") s = i } }
                           NR > 1 && $s == "total" { print $c }' lean.csv)" -gt 0 ] ||
                bad "$t -p $p $opt: no evictions"
        done
    done
done
exit $fail
