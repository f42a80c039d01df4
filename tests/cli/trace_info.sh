#!/bin/sh
# `vmreplay info`: the figures of a small trace worked out by hand, in the
# table and in JSON, for the text form and the binary form (index, frames);
# input errors exit 1, usage errors exit 2, --help.
set -u
: "${VMREPLAY:?}" "${TESTTMP:?}"
. "${SRCDIR:?}/tests/lib/cli.sh"
out=$TESTTMP/out
err=$TESTTMP/err
# field NAME: the value of "NAME:" in the table
field() {
    sed -n "s/^$1: *//p" "$out"
}
expect() {
    [ "$(field "$1")" = "$2" ] || bad "$3: $1 is '$(field "$1")', expected '$2'"
}

t=$TESTTMP/t.txt
# 8K pages: 0x100000 is page 128; the write spans 0x101ffc..0x102003, pages
# 128 and 129; the fetch is page 256. pids: 1, 2 (fork), 7 (thread), 9 (mark).
cat >"$t" <<'END'
pagesize 8K
meta recorder test
meta note "two words"
file 1 /f size=64K
mmap 1 0x100000 64K rw- private,anon
r 1 0x100000 8
w 1 0x101ffc 8 *3
x 2 0x200000 *5
fork 1 2
thread 2 7
mark m
mark n pid=9
exit 2
END
"$VMREPLAY" convert "$t" "$TESTTMP/t.vmt" --frame-size 64 2>"$err" || bad "convert exited $?: $(cat "$err")"

for f in "$t" "$TESTTMP/t.vmt"; do
    "$VMREPLAY" info "$f" >"$out" 2>"$err" || bad "info $f exited $?: $(cat "$err")"
    [ -s "$err" ] && bad "info wrote to stderr: $(cat "$err")"
    expect trace "$f" "$f"
    # binary traces are written in format 1.1; the text form is unchanged since 1.0
    if [ "$f" = "$t" ]; then expect version 1.0 "$f"; else expect version 1.1 "$f"; fi
    expect "page size" 8192 "$f"
    expect metadata 2 "$f"
    grep -q '^  recorder = test$' "$out" || bad "$f: metadata recorder"
    grep -q '^  note = two words$' "$out" || bad "$f: metadata note"
    expect records 10 "$f"
    expect "  mark" 2 "$f"
    expect "  r" 1 "$f"
    expect "  file" 1 "$f"
    grep -q '^  munmap:' "$out" && bad "$f: kinds with no record are listed"
    expect pids 4 "$f"
    expect "access records" "3 (r 1, w 1, x 1)" "$f"
    expect accesses "9 (r 1, w 3, x 5)" "$f"
    expect "distinct pages" 3 "$f"
    expect footprint "24576 bytes" "$f"
    expect "lowest address" 0x100000 "$f"
    expect "highest address" 0x200000 "$f"
done
"$VMREPLAY" info "$t" >"$out"
expect form text "text"
expect indexed no "text"
grep -q '^frames:' "$out" && bad "text: frames listed"
"$VMREPLAY" info "$TESTTMP/t.vmt" >"$out"
expect form binary "binary"
expect indexed yes "binary"
frames=$(field frames)
[ "${frames:-0}" -ge 1 ] || bad "binary: frames is '$frames'"

# JSON
"$VMREPLAY" info --json "$TESTTMP/t.vmt" >"$out" 2>"$err" || bad "info --json exited $?"
for want in '"form": "binary"' '"version": "1.1"' '"page_size": 8192' '"indexed": true' \
    '"records": 10' '"pids": 4' '{"key": "note", "value": "two words"}' \
    '"access_records": {"r": 1, "w": 1, "x": 1, "total": 3}' \
    '"accesses": {"r": 1, "w": 3, "x": 5, "total": 9}' '"distinct_pages": 3' \
    '"footprint_bytes": 24576' '"lowest_address": "0x100000"' '"highest_address": "0x200000"' \
    '"mark": 2' '"munmap": 0'; do
    grep -qF "$want" "$out" || bad "json lacks $want"
done
if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$out" || bad "info --json is not JSON"
fi
"$VMREPLAY" info --json "$t" >"$out" 2>"$err" || bad "info --json text exited $?"
grep -qF '"frames": null' "$out" || bad "json text: frames"

# no accesses at all
printf 'fork 1 2\n' >"$TESTTMP/e.txt"
"$VMREPLAY" info "$TESTTMP/e.txt" >"$out" 2>"$err" || bad "info e.txt exited $?"
expect "lowest address" - "no accesses"
expect "distinct pages" 0 "no accesses"
expect pids 2 "no accesses"

# errors
printf 'r 1 0x10\nbogus\n' >"$TESTTMP/bad.txt"
"$VMREPLAY" info "$TESTTMP/bad.txt" >"$out" 2>"$err"
rc=$?
[ $rc = 1 ] || bad "info of a bad trace exited $rc, expected 1"
grep -q "^vmreplay: $TESTTMP/bad.txt:2: unknown record kind (near 'bogus')\$" "$err" ||
    bad "bad trace: $(cat "$err")"
[ -s "$out" ] && bad "info printed a table for a bad trace"
for args in "" "a b" "--bogus $t" "--json"; do
    # shellcheck disable=SC2086
    "$VMREPLAY" info $args >"$out" 2>"$err"
    rc=$?
    [ $rc = 2 ] || bad "info $args exited $rc, expected 2"
    grep -q "Try 'vmreplay help info'" "$err" || bad "info $args: $(cat "$err")"
done
"$VMREPLAY" info --help >"$out" 2>"$err" || bad "info --help exited $?"
"$VMREPLAY" help info >"$TESTTMP/help" 2>"$err" || bad "help info exited $?"
cmp -s "$out" "$TESTTMP/help" || bad "info --help differs from help info"

exit $fail
