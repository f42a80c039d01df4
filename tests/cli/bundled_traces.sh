#!/bin/sh
# The traces bundled in traces/ are what traces/README.md says they are:
# demo.vmt is exactly what its recorded synth command writes (so its
# provenance stays true), the README's first command replays it, and the
# hand-written fork_cow.txt gives the counts its comments promise.
set -u
: "${VMREPLAY:?}" "${SRCDIR:?}" "${TESTTMP:?}"
. "${SRCDIR:?}/tests/lib/cli.sh"
out=$TESTTMP/out
err=$TESTTMP/err
# column NAME of row ROW (2 = the whole run, then one row per process)
col() {
    awk -F, -v name="$1" -v row="$3" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i }
                                     NR == row { print $c; exit }' "$2"
}

# the provenance command, taken from traces/README.md itself
cmd=$(sed -n 's/.*`\(vmreplay synth -o traces\/demo.vmt [^`]*\)`.*/\1/p' "$SRCDIR/traces/README.md")
[ -n "$cmd" ] || bad "no synth command for demo.vmt in traces/README.md"
regen=$TESTTMP/demo.vmt
args=$(echo "$cmd" | sed "s|^vmreplay synth -o traces/demo.vmt||")
eval "\"\$VMREPLAY\" synth -o \"\$regen\" $args" 2>"$err" || bad "synth exited $?: $(cat "$err")"
cmp -s "$regen" "$SRCDIR/traces/demo.vmt" ||
    bad "traces/demo.vmt differs from what '$cmd' writes: regenerate it or fix traces/README.md"

# the README's main job
"$VMREPLAY" replay "$SRCDIR/traces/demo.vmt" --memory 4M >"$out" 2>"$err" ||
    bad "replay of demo.vmt exited $?: $(cat "$err")"
grep -q '^major_faults ' "$out" || bad "the table has no major_faults row"
"$VMREPLAY" replay "$SRCDIR/traces/demo.vmt" --memory 4M -f csv >"$out" 2>"$err" ||
    bad "csv replay of demo.vmt exited $?"
[ "$(col accesses "$out" 2)" = 100000 ] || bad "demo.vmt: $(col accesses "$out" 2) accesses"
[ "$(col file_reads "$out" 2)" -gt 0 ] || bad "demo.vmt: no file reads"
[ "$(col cow_copies "$out" 2)" -gt 0 ] || bad "demo.vmt: no copy-on-write"

# traces/fork_cow.txt: pid 1 is row 3, pid 2 row 4
"$VMREPLAY" replay "$SRCDIR/traces/fork_cow.txt" --memory 16p -f csv >"$out" 2>"$err" ||
    bad "replay of fork_cow.txt exited $?: $(cat "$err")"
check() { # ROW COUNTER VALUE
    v=$(col "$2" "$out" "$1")
    [ "$v" = "$3" ] || bad "fork_cow.txt row $1: $2 = $v, expected $3"
}
check 2 file_reads 4
check 2 major_faults 4
check 2 zero_fill 8
check 2 writebacks 0
check 2 segv_unmapped 1
check 3 cow_reuses 2
check 3 cow_copies 0
check 3 killed segv
check 4 cow_copies 2
check 4 minor_faults 2
exit $fail
