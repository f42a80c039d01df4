#!/bin/sh
# OPT's oracle holds 32-bit times and page ids: past its limit (lowered
# here with VMREPLAY_ORACLE_MAX_TOUCHES, as 2^32 - 2 touches cannot be
# made in a test) `replay -p opt` stops with status 1 and says why: before
# the pass for an indexed (binary) trace, whose index counts its access
# records, and during it for a text trace; under the limit the counts are
# those of a run without it.
set -u
: "${VMREPLAY:?}" "${SRCDIR:?}" "${TESTTMP:?}"
. "${SRCDIR:?}/tests/lib/cli.sh"
work_in_tmp
V=$VMREPLAY
"$V" synth -o t.vmt -p 'zipf:0.9' -f 1M -n 2000 -s 3 2>/dev/null || bad "synth failed"
"$V" convert t.vmt t.txt 2>/dev/null || bad "convert failed"

VMREPLAY_ORACLE_MAX_TOUCHES=500 "$V" replay t.vmt -m 64K -p opt -q -f csv -o out.csv 2>err.txt
rc=$?
[ $rc = 1 ] || bad "binary trace past the limit: status $rc, expected 1"
grep -q "the oracle pass for OPT holds at most 500 page touches; this trace has 2000 access records" err.txt ||
    bad "binary trace past the limit: message '$(cat err.txt)'"

VMREPLAY_ORACLE_MAX_TOUCHES=500 "$V" replay t.txt -m 64K -p opt -q -f csv -o out.csv 2>err.txt
rc=$?
[ $rc = 1 ] || bad "text trace past the limit: status $rc, expected 1"
grep -q "the oracle pass for OPT holds at most 500 page touches and as many pages; this trace has more" err.txt ||
    bad "text trace past the limit: message '$(cat err.txt)'"

"$V" replay t.vmt -m 64K -p opt -q -f csv -o plain.csv || bad "replay -p opt failed"
VMREPLAY_ORACLE_MAX_TOUCHES=2000 "$V" replay t.vmt -m 64K -p opt -q -f csv -o limit.csv ||
    bad "replay -p opt at its limit failed"
cmp -s plain.csv limit.csv || bad "a run at the limit differs from one without it"
exit $fail
