#!/bin/sh
# `vmreplay cat`: canonical text of a text or binary trace (to stdout, -o FILE
# or from standard input), the reader's file:line message and exit 1 on bad
# input (after printing the records before it), usage errors exit 2, --help.
set -u
: "${VMREPLAY:?}" "${TESTTMP:?}"
. "${SRCDIR:?}/tests/lib/cli.sh"
out=$TESTTMP/out
err=$TESTTMP/err

t=$TESTTMP/t.txt
cat >"$t" <<'END'
# hand-written, not canonical
meta recorder "hand written"
file 1 /data/input.bin size=65536
mmap 1 0x7F0000000000 0x10000 r-- shared fd=1   # comment
r 1 0x7f0000000000 8 *1
mmap 1 65536 8192 rw- anon,private err=0
w 1 0x10000 8 *100
exec 2 /bin/true err=2
madvise 1 0x10000 4096 4
mark "phase 2"
END
cat >"$TESTTMP/want" <<'END'
meta recorder "hand written"
file 1 /data/input.bin size=64K
mmap 1 0x7f0000000000 64K r-- shared fd=1
r 1 0x7f0000000000 8
mmap 1 0x10000 8K rw- private,anon
w 1 0x10000 8 *100
exec 2 /bin/true err=ENOENT
madvise 1 0x10000 4K dontneed
mark "phase 2"
END

"$VMREPLAY" cat "$t" >"$out" 2>"$err" || bad "cat exited $?: $(cat "$err")"
cmp -s "$out" "$TESTTMP/want" || bad "cat output: $(diff "$out" "$TESTTMP/want")"
[ -s "$err" ] && bad "cat wrote to stderr: $(cat "$err")"

# the same from standard input and into a file
"$VMREPLAY" cat - <"$t" >"$out" 2>"$err" || bad "cat - exited $?"
cmp -s "$out" "$TESTTMP/want" || bad "cat - differs"
rm -f "$TESTTMP/o.txt"
"$VMREPLAY" cat "$t" -o "$TESTTMP/o.txt" >"$out" 2>"$err" || bad "cat -o exited $?"
[ -s "$out" ] && bad "cat -o also wrote to stdout"
cmp -s "$TESTTMP/o.txt" "$TESTTMP/want" || bad "cat -o file differs"
# -o with another extension still writes text
"$VMREPLAY" cat "$t" --output "$TESTTMP/o.vmt" 2>"$err" || bad "cat --output x.vmt exited $?"
cmp -s "$TESTTMP/o.vmt" "$TESTTMP/want" || bad "cat --output x.vmt did not write text"

# a binary trace prints the same
"$VMREPLAY" convert "$t" "$TESTTMP/t.vmt" 2>"$err" || bad "convert exited $?: $(cat "$err")"
"$VMREPLAY" cat "$TESTTMP/t.vmt" >"$out" 2>"$err" || bad "cat .vmt exited $?: $(cat "$err")"
cmp -s "$out" "$TESTTMP/want" || bad "cat of the .vmt differs: $(diff "$out" "$TESTTMP/want")"

# bad input: the records before the bad line, then file:line and exit 1
printf 'r 1 0x10\nw 1 0x20\nmmap 1 0x1000 4K rw- anon\nr 1 0x30\n' >"$TESTTMP/bad.txt"
"$VMREPLAY" cat "$TESTTMP/bad.txt" >"$out" 2>"$err"
rc=$?
[ $rc = 1 ] || bad "cat of a bad trace exited $rc, expected 1"
[ "$(cat "$out")" = "r 1 0x10
w 1 0x20" ] || bad "records before the bad line: $(cat "$out")"
grep -q "^vmreplay: $TESTTMP/bad.txt:3: mmap needs exactly one of private and shared (near 'anon')\$" "$err" ||
    bad "bad trace message: $(cat "$err")"
"$VMREPLAY" cat "$TESTTMP/missing.txt" >"$out" 2>"$err"
[ $? = 1 ] || bad "cat of a missing file did not exit 1"
grep -q "^vmreplay: $TESTTMP/missing.txt: cannot open" "$err" || bad "missing: $(cat "$err")"

# usage
for args in "" "a b" "--bogus $t" "$t -o" "$t -o $t"; do
    # shellcheck disable=SC2086
    "$VMREPLAY" cat $args >"$out" 2>"$err"
    rc=$?
    [ $rc = 2 ] || bad "cat $args exited $rc, expected 2"
    grep -q "Try 'vmreplay help cat'" "$err" || bad "cat $args: $(cat "$err")"
done
"$VMREPLAY" cat --help >"$out" 2>"$err" || bad "cat --help exited $?"
"$VMREPLAY" help cat >"$TESTTMP/help" 2>"$err" || bad "help cat exited $?"
cmp -s "$out" "$TESTTMP/help" || bad "cat --help differs from help cat"
grep -q '^usage: vmreplay cat TRACE' "$out" || bad "cat --help: $(head -1 "$out")"

exit $fail
