#!/bin/sh
# `vmreplay import arc|lirs` on the real traces of ../shared/traces: the
# imported traces must hold the published reference and distinct-block
# counts (../shared/traces/README.md), read with `vmreplay info`. Skipped
# (77) when ../shared/traces is absent.
set -u
: "${VMREPLAY:?}" "${TESTTMP:?}" "${SRCDIR:?}"
S=$SRCDIR/../shared/traces
[ -d "$S" ] || { echo "skip: $S absent"; exit 77; }
mkdir -p "$TESTTMP"
fail=0
# check FORMAT FILE ACCESSES DISTINCT
check() {
    out=$TESTTMP/$(basename "$2").vmt
    if ! "$VMREPLAY" import "$1" "$S/$2" -o "$out" 2>"$TESTTMP/err"; then
        echo "FAIL: $2: $(cat "$TESTTMP/err")" >&2
        fail=1
        return
    fi
    "$VMREPLAY" info "$out" >"$TESTTMP/info"
    acc=$(sed -n 's/^accesses: *\([0-9]*\).*/\1/p' "$TESTTMP/info")
    pages=$(sed -n 's/^distinct pages: *//p' "$TESTTMP/info")
    echo "$2: $acc references, $pages distinct (published $3, $4)"
    [ "$acc" = "$3" ] && [ "$pages" = "$4" ] || fail=1
    rm -f "$out"
}
check arc arc/OLTP.lis.zst 914145 186880
check arc arc/P3.lis.zst 3912296 762543
check lirs lirs/trace-cpp.trc.bin.gz 9047 1223
check lirs lirs/trace-glimpse.trc.bin.gz 6015 2529
check lirs lirs/trace-multi2.trc.bin.gz 26311 5684
check lirs lirs/trace-sprite.trc.bin.gz 133996 7075
exit $fail
