#!/bin/sh
# `vmreplay replay` with the semantics options: per-area rows in CSV and
# JSON and the area table, the mode and overcommit config columns, a failed
# fork's child in the report, and usage errors for bad values.
set -u
: "${VMREPLAY:?}" "${TESTTMP:?}"
. "${SRCDIR:?}/tests/lib/cli.sh"
out=$TESTTMP/out
err=$TESTTMP/err

t=$TESTTMP/t.txt
cat >"$t" <<'END'
file 1 "/data/a,b.bin" size=8K
mmap 1 0x10000 8K r-- private fd=1
r 1 0x10000
r 1 0x11000
mmap 1 0x20000 24K rw- private,anon
w 1 0x20000
fork 1 2
w 2 0x20000
END

# CSV: total, processes, then one row per area; an area's name is in the comm
# column (quoted when it holds a comma)
"$VMREPLAY" replay "$t" -m 16p -f csv >"$out" 2>"$err" || bad "csv: exit $?: $(cat "$err")"
grep -q '^[^,]*,.*,area,,,"/data/a,b.bin",,' "$out" || bad "csv: no row for the file area"
grep -q ',area,,,\[anon\],,' "$out" || bad "csv: no [anon] row"
head -1 "$out" | grep -q ',commit_peak_pages,mmap_failures,oom_kills,sigbus$' || bad "csv: header"
grep -q ',mode,\|,overcommit,' "$out" && bad "csv: mode/overcommit columns in the default run"
# the [anon] row: 2 faults (zero-fill, then the child's copy), 1 zero-fill, 1 copy
anon=$(grep ',area,,,\[anon\],,' "$out")
n=$(head -1 "$out" | tr ',' '\n' | grep -n '^minor_faults$' | cut -d: -f1)
[ "$(echo "$anon" | cut -d, -f"$n")" = 2 ] || bad "csv: [anon] minor_faults: $anon"

# JSON: an "areas" array with the names
"$VMREPLAY" replay "$t" -m 16p -f json >"$out" 2>"$err" || bad "json: exit $?"
grep -q '"areas": \[' "$out" || bad "json: no areas"
grep -q '"name": "/data/a,b.bin"' "$out" || bad "json: no file area"
grep -q '"commit_peak_pages": 12' "$out" || bad "json: commit peak (6 + 6 pages)"

# table: an area section
"$VMREPLAY" replay "$t" -m 16p >"$out" 2>"$err" || bad "table: exit $?"
grep -q 'file_reads.*swap_ins  area' "$out" || bad "table: no area header"
grep -q ' /data/a,b.bin$' "$out" || bad "table: no file area line"

# linux mode and strict overcommit show as config columns; the refused fork's
# child is reported as killed "enomem"
"$VMREPLAY" replay "$t" -m 16p --swap 0 --mode linux --overcommit strict -f csv >"$out" 2>"$err" ||
    bad "linux: exit $?: $(cat "$err")"
head -1 "$out" | grep -q ',mode,overcommit,' || bad "linux: no mode/overcommit columns"
grep -q ',linux,strict:50,' "$out" || bad "linux: column values"
grep -q ',process,2,1,,enomem,' "$out" || bad "linux: child of the failed fork"
"$VMREPLAY" replay "$t" -m 16p --mode linux --zero-page no -f csv >"$out" 2>"$err" || bad "knob: exit $?"
grep -q ',"linux,zero_page=0",' "$out" || bad "knob: mode column $(head -2 "$out" | tail -1)"

# usage errors
for args in "--mode fast" "--overcommit never" "--overcommit-ratio x" "--zero-page maybe" \
    "--fault-around 1000" "--page-cluster 10" "--fork-copy some" "--sigbus 2"; do
    # shellcheck disable=SC2086
    "$VMREPLAY" replay "$t" -m 16p $args >"$out" 2>"$err"
    [ $? -eq 2 ] || bad "$args: expected exit 2"
    grep -q "^vmreplay replay: --" "$err" || bad "$args: message: $(cat "$err")"
done

# the help lists every new option
"$VMREPLAY" help replay >"$out" || bad "help: exit $?"
for o in --mode --overcommit --overcommit-ratio --zero-page --fault-around --write-notify \
    --page-cluster --fork-copy --sigbus; do
    grep -q -- "^ *$o " "$out" || bad "help: no $o"
done
exit $fail
