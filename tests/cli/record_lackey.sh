#!/bin/sh
# `vmreplay record --backend lackey`: stock lackey's logs turned into a
# trace: the program's exit status, its 16 written pages inside a
# synthesised area, one pid. Skipped (77) without valgrind.
set -u
: "${VMREPLAY:?}" "${TESTTMP:?}" "${RECBIN:?}"
command -v valgrind >/dev/null || { echo "skip: no valgrind"; exit 77; }
mkdir -p "$TESTTMP"
T=$TESTTMP
fail=0
bad() {
    echo "FAIL: $*" >&2
    fail=1
}
"$VMREPLAY" record --backend lackey -o "$T/l.vmt" -- "$RECBIN/rec_anon" 2>"$T/err"
st=$?
[ $st -eq 5 ] || bad "exit $st, expected 5: $(tail -3 "$T/err")"
"$VMREPLAY" info "$T/l.vmt" >"$T/info" || bad "info fails"
grep -q '^pids: *1$' "$T/info" || bad "expected one pid: $(grep pids "$T/info")"
grep -q 'recorder = vmreplay-record' "$T/info" || bad "metadata"
grep -q 'record.options = backend=lackey' "$T/info" || bad "options metadata"
# every access lies in a synthesised area, and some pages are written
"$VMREPLAY" replay "$T/l.vmt" --memory 64M -f csv >"$T/csv" || bad "replay fails"
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i }
         NR == 2 { exit !($c["segv_unmapped"] == 0 && $c["writes"] > 0 && $c["fetches"] > 0) }' \
    "$T/csv" || bad "replay: accesses outside the areas, or no writes/fetches"
"$VMREPLAY" record --backend lackey --fetches -o "$T/x.vmt" -- /bin/true 2>/dev/null
[ $? -eq 2 ] || bad "--fetches with lackey: expected a usage error"
exit $fail
