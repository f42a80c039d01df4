#!/bin/sh
# `vmreplay convert`: text <-> binary without loss (canonical text survives
# text -> binary -> text byte for byte, metadata included), the form chosen
# by extension or --to, --level and --frame-size, OUT removed on failure,
# usage errors exit 2, input errors exit 1 with the reader's message.
set -u
: "${VMREPLAY:?}" "${TESTTMP:?}"
. "${SRCDIR:?}/tests/lib/cli.sh"
out=$TESTTMP/out
err=$TESTTMP/err
is_binary() {
    [ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = '211VMT' ]
}

t=$TESTTMP/t.txt
cat >"$t" <<'END'
pagesize 16K
meta recorder "hand written"
meta "odd key" "tab\there"
file 1 /data/input.bin size=64K
mmap 1 0x7f0000000000 64K r-- shared fd=1
r 1 0x7f0000000000 8
fork 1 2
r 2 0x7f0000000010 8
mmap 1 0x10000 8K rw- private,anon
w 1 0x10000 8 *100
mark phase2
exec 2 /bin/true
exec 3 /bin/true err=ENOENT
madvise 1 0x10000 4K dontneed
msync 1 0x10000 4K sync,invalidate err=EINVAL
brk 1 0x0 result=0x555000
thread 1 11
munmap 1 0x10000 8K
mprotect 1 0x7f0000000000 4K r-x err=EACCES
x 11 0x400000 4 *3
exit 2 status=1
exit 1
END

# text -> binary -> text: identical; default frames
"$VMREPLAY" convert "$t" "$TESTTMP/a.vmt" >"$out" 2>"$err" || bad "convert to .vmt exited $?: $(cat "$err")"
[ -s "$out" ] || [ -s "$err" ] && bad "convert printed something: $(cat "$out" "$err")"
is_binary "$TESTTMP/a.vmt" || bad "a.vmt is not binary"
"$VMREPLAY" convert "$TESTTMP/a.vmt" "$TESTTMP/a.txt" 2>"$err" || bad "convert to .txt exited $?: $(cat "$err")"
cmp -s "$t" "$TESTTMP/a.txt" || bad "text -> binary -> text differs: $(diff "$t" "$TESTTMP/a.txt")"
"$VMREPLAY" convert "$TESTTMP/a.vmt" "$TESTTMP/a.vmtxt" 2>"$err" || bad "convert to .vmtxt exited $?"
cmp -s "$t" "$TESTTMP/a.vmtxt" || bad ".vmtxt differs"
"$VMREPLAY" convert "$TESTTMP/a.vmt" - >"$out" 2>"$err" || bad "convert to - exited $?"
cmp -s "$t" "$out" || bad "convert to - differs"

# --to overrides the extension; binary -> binary keeps the records
"$VMREPLAY" convert "$t" "$TESTTMP/b.data" --to binary 2>"$err" || bad "--to binary exited $?"
is_binary "$TESTTMP/b.data" || bad "--to binary did not write binary"
"$VMREPLAY" convert "$TESTTMP/b.data" "$TESTTMP/c.vmt" --to text 2>"$err" || bad "--to text exited $?"
cmp -s "$t" "$TESTTMP/c.vmt" || bad "--to text into .vmt differs"
"$VMREPLAY" convert "$TESTTMP/a.vmt" "$TESTTMP/d.vmt" -l 19 --frame-size 64 2>"$err" ||
    bad "--level --frame-size exited $?: $(cat "$err")"
"$VMREPLAY" info "$TESTTMP/d.vmt" >"$out" 2>"$err" || bad "info d.vmt exited $?"
frames=$(sed -n 's/^frames: *//p' "$out")
[ "${frames:-0}" -gt 3 ] || bad "--frame-size 64 gave $frames frames"
"$VMREPLAY" info "$TESTTMP/a.vmt" >"$out" 2>"$err"
grep -q '^frames: *1$' "$out" || bad "default frame size: $(grep frames "$out")"
grep -q '^page size: *16384$' "$out" || bad "page size lost: $(grep 'page size' "$out")"
grep -q '^  odd key = tab\\there$' "$out" || bad "metadata lost: $(cat "$out")"
"$VMREPLAY" cat "$TESTTMP/d.vmt" >"$out" 2>"$err" || bad "cat d.vmt exited $?"
cmp -s "$t" "$out" || bad "many frames: text differs"
"$VMREPLAY" convert - "$TESTTMP/e.vmt" <"$t" 2>"$err" || bad "convert from stdin exited $?"
"$VMREPLAY" cat "$TESTTMP/e.vmt" >"$out" && cmp -s "$t" "$out" || bad "convert from stdin differs"

# input errors: exit 1, message with file:line, no output left behind
printf 'r 1 0x10\nw 1 0x20 *0\n' >"$TESTTMP/bad.txt"
for o in bad.vmt bad-out.txt; do
    "$VMREPLAY" convert "$TESTTMP/bad.txt" "$TESTTMP/$o" >"$out" 2>"$err"
    rc=$?
    [ $rc = 1 ] || bad "convert of a bad trace to $o exited $rc, expected 1"
    grep -q "^vmreplay: $TESTTMP/bad.txt:2: access with count 0\$" "$err" || bad "message: $(cat "$err")"
    [ -e "$TESTTMP/$o" ] && bad "$o left behind after a failure"
done
"$VMREPLAY" convert "$TESTTMP/missing.vmt" "$TESTTMP/m.txt" >"$out" 2>"$err"
[ $? = 1 ] || bad "missing input did not exit 1"
grep -q "^vmreplay: $TESTTMP/missing.vmt: cannot open" "$err" || bad "missing: $(cat "$err")"
# a damaged binary trace
head -c 100 "$TESTTMP/d.vmt" >"$TESTTMP/cut.vmt"
"$VMREPLAY" convert "$TESTTMP/cut.vmt" "$TESTTMP/cut.txt" >"$out" 2>"$err"
[ $? = 1 ] || bad "truncated input did not exit 1"
grep -q "^vmreplay: $TESTTMP/cut.vmt" "$err" || bad "truncated: $(cat "$err")"

# usage errors
cp "$t" "$TESTTMP/same.txt"
for args in "" "$t" "$t a.txt b.txt" "$t $TESTTMP/x.data" "$t $TESTTMP/x --to" \
    "$t $TESTTMP/x.vmt --to elf" "$t $TESTTMP/x.vmt --level 0" "$t $TESTTMP/x.vmt --level 23" \
    "$t $TESTTMP/x.vmt --level x" "$t $TESTTMP/x.vmt --frame-size 10" \
    "$t $TESTTMP/x.vmt --frame-size 5X" "$t $TESTTMP/x.txt --level 3" \
    "$t $TESTTMP/x.vmt --to text --frame-size 1M" "$TESTTMP/same.txt $TESTTMP/same.txt --to text" \
    "--bogus $t $TESTTMP/x.vmt"; do
    # shellcheck disable=SC2086
    "$VMREPLAY" convert $args >"$out" 2>"$err"
    rc=$?
    [ $rc = 2 ] || bad "convert $args exited $rc, expected 2"
    grep -q "Try 'vmreplay help convert'" "$err" || bad "convert $args: $(cat "$err")"
done
cmp -s "$t" "$TESTTMP/same.txt" || bad "convert onto itself damaged the input"
"$VMREPLAY" convert --help >"$out" 2>"$err" || bad "convert --help exited $?"
"$VMREPLAY" help convert >"$TESTTMP/help" 2>"$err" || bad "help convert exited $?"
cmp -s "$out" "$TESTTMP/help" || bad "convert --help differs from help convert"
grep -q '^usage: vmreplay convert IN OUT' "$out" || bad "convert --help: $(head -1 "$out")"

exit $fail
