#!/bin/sh
# Local scope needs O(frames) policy memory: 48 processes over 256M (64K
# frames) in local ARC. Each instance is sized by its process's quota
# (1365 frames), so the peak RSS stays far below the ~170 MB that 48
# full-size ARC instances took before. Needs GNU time (skipped without).
set -u
: "${VMREPLAY:?}" "${TESTTMP:?}"
. "${SRCDIR:?}/tests/lib/cli.sh"
work_in_tmp
V=$VMREPLAY
[ -x /usr/bin/time ] || { echo "skip: no /usr/bin/time"; exit 77; }
"$V" synth -P 48 -f 4M -n 20k -o w.vmt 2>/dev/null || bad "synth"
/usr/bin/time -f '%M' -o rss "$V" replay w.vmt -m 256M --scope local -p arc -o /dev/null ||
    bad "local arc replay: exit $?"
kib=$(tail -1 rss)
[ "$kib" -lt 100000 ] || bad "local arc, 48 processes, 64K frames: peak RSS $kib KiB"
exit $fail
