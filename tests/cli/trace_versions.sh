#!/bin/sh
# Binary format versions (traces/FORMAT.md 2.3, 2.5): writers write 1.1
# (VMF2 frames) by default; `convert --format-version 1.0` writes exactly the
# bytes a vmreplay of format 1.0 wrote (tests/data/format-1.0.vmt was made by
# one from tests/data/format-1.0.txt); both read back to the same text and
# replay to the same counts; a malformed 1.1 access is named by file, record
# and frame offset, exit 1.
set -u
: "${VMREPLAY:?}" "${SRCDIR:?}" "${TESTTMP:?}"
. "${SRCDIR:?}/tests/lib/cli.sh"
out=$TESTTMP/out
err=$TESTTMP/err
txt=$SRCDIR/tests/data/format-1.0.txt
old=$SRCDIR/tests/data/format-1.0.vmt
version() { "$VMREPLAY" info "$1" 2>"$err" | sed -n 's/^version: *//p'; }

# a 1.0 file made by the 1.0 writer reads as its text
"$VMREPLAY" cat "$old" >"$out" 2>"$err" || bad "cat of the 1.0 fixture exited $?: $(cat "$err")"
cmp -s "$txt" "$out" || bad "1.0 fixture reads differently: $(diff "$txt" "$out")"
[ "$(version "$old")" = 1.0 ] || bad "1.0 fixture: version $(version "$old")"

# the default is 1.1, with VMF2 frames; text -> 1.1 -> text is identical
"$VMREPLAY" convert "$txt" "$TESTTMP/new.vmt" 2>"$err" || bad "convert exited $?: $(cat "$err")"
[ "$(version "$TESTTMP/new.vmt")" = 1.1 ] || bad "default version $(version "$TESTTMP/new.vmt")"
LC_ALL=C grep -q VMF2 "$TESTTMP/new.vmt" || bad "1.1 file without a VMF2 frame"
LC_ALL=C grep -q VMF1 "$TESTTMP/new.vmt" && bad "1.1 file with a VMF1 frame"
"$VMREPLAY" cat "$TESTTMP/new.vmt" >"$out" 2>"$err" || bad "cat 1.1 exited $?"
cmp -s "$txt" "$out" || bad "text -> 1.1 -> text differs: $(diff "$txt" "$out")"

# --format-version 1.0 writes the 1.0 writer's bytes; 1.1 -> 1.0 too
"$VMREPLAY" convert "$txt" "$TESTTMP/old.vmt" --format-version 1.0 2>"$err" ||
    bad "--format-version 1.0 exited $?: $(cat "$err")"
cmp -s "$old" "$TESTTMP/old.vmt" || bad "--format-version 1.0 differs from the 1.0 writer's file"
"$VMREPLAY" convert "$TESTTMP/new.vmt" "$TESTTMP/old2.vmt" --format-version 1.0 2>"$err" ||
    bad "1.1 -> 1.0 exited $?"
cmp -s "$old" "$TESTTMP/old2.vmt" || bad "1.1 -> 1.0 differs from the 1.0 writer's file"
"$VMREPLAY" convert "$old" "$TESTTMP/new2.vmt" --format-version 1.1 2>"$err" || bad "1.0 -> 1.1 exited $?"
cmp -s "$TESTTMP/new.vmt" "$TESTTMP/new2.vmt" || bad "1.0 -> 1.1 differs from text -> 1.1"

# the same replay from every encoding, here and on a bundled recording
i=0
for t in "$txt" "$old" "$TESTTMP/new.vmt"; do
    i=$((i + 1))
    "$VMREPLAY" replay "$t" --memory 3p -f csv >"$out" 2>"$err" ||
        bad "replay $t exited $?: $(cat "$err")"
    cut -d, -f2- "$out" >"$TESTTMP/r$i.csv" # without the trace's name
done
cmp -s "$TESTTMP/r1.csv" "$TESTTMP/r2.csv" || bad "text and 1.0 replay differently"
cmp -s "$TESTTMP/r1.csv" "$TESTTMP/r3.csv" || bad "text and 1.1 replay differently"
sh=$SRCDIR/traces/sh-pipe.vmt
if [ -f "$sh" ]; then
    "$VMREPLAY" convert "$sh" "$TESTTMP/sh.txt" 2>"$err" || bad "convert sh-pipe.vmt exited $?"
    "$VMREPLAY" convert "$TESTTMP/sh.txt" "$TESTTMP/sh11.vmt" 2>"$err" || bad "sh.txt -> 1.1 exited $?"
    "$VMREPLAY" convert "$TESTTMP/sh.txt" "$TESTTMP/sh10.vmt" --format-version 1.0 2>"$err" ||
        bad "sh.txt -> 1.0 exited $?"
    "$VMREPLAY" cat "$TESTTMP/sh11.vmt" | cmp -s - "$TESTTMP/sh.txt" || bad "sh-pipe: text -> 1.1 -> text differs"
    for v in 10 11; do
        "$VMREPLAY" replay "$TESTTMP/sh$v.vmt" --memory 64p -f csv >"$out" 2>"$err" ||
            bad "replay sh$v.vmt exited $?: $(cat "$err")"
        cut -d, -f2- "$out" >"$TESTTMP/sh$v.csv"
    done
    cmp -s "$TESTTMP/sh10.csv" "$TESTTMP/sh11.csv" || bad "sh-pipe: 1.0 and 1.1 replay differently"
fi

# every scenario and hand-written trace: canonical text -> 1.1 -> text is
# identical, and its replay (options from its '# replay:' line) is the same
# from the text, the 1.1 and the 1.0 form
for f in "$SRCDIR"/tests/scenarios/*.txt "$SRCDIR"/traces/fork_cow.txt; do
    n=$(basename "$f" .txt)
    "$VMREPLAY" cat "$f" >"$TESTTMP/$n.canon" 2>"$err" || bad "cat $n exited $?: $(cat "$err")"
    "$VMREPLAY" convert "$f" "$TESTTMP/$n.11.vmt" 2>"$err" || { bad "$n -> 1.1: $(cat "$err")"; continue; }
    "$VMREPLAY" convert "$f" "$TESTTMP/$n.10.vmt" --format-version 1.0 2>"$err" || bad "$n -> 1.0: $(cat "$err")"
    "$VMREPLAY" cat "$TESTTMP/$n.11.vmt" | cmp -s - "$TESTTMP/$n.canon" || bad "$n: text -> 1.1 -> text differs"
    "$VMREPLAY" cat "$TESTTMP/$n.10.vmt" | cmp -s - "$TESTTMP/$n.canon" || bad "$n: text -> 1.0 -> text differs"
    opts=$(sed -n 's/^# replay: *//p' "$f" | head -1)
    [ -n "$opts" ] || opts="--memory 16p"
    for form in txt 11 10; do
        t=$f
        [ $form = txt ] || t=$TESTTMP/$n.$form.vmt
        # shellcheck disable=SC2086 # the options are words
        "$VMREPLAY" replay "$t" $opts -f csv 2>/dev/null | cut -d, -f2- >"$TESTTMP/$n.$form.csv"
    done
    cmp -s "$TESTTMP/$n.txt.csv" "$TESTTMP/$n.11.csv" || bad "$n: text and 1.1 replay differently"
    cmp -s "$TESTTMP/$n.txt.csv" "$TESTTMP/$n.10.csv" || bad "$n: text and 1.0 replay differently"
    [ -s "$TESTTMP/$n.txt.csv" ] && replayed=$((${replayed:-0} + 1))
done
# (the exec scenarios need the runner's sysroot: they replay nothing here)
[ "${replayed:-0}" -ge 30 ] || bad "only ${replayed:-0} scenarios replayed"

# usage errors
"$VMREPLAY" convert "$txt" "$TESTTMP/x.vmt" --format-version 1.2 >"$out" 2>"$err"
[ $? = 2 ] || bad "--format-version 1.2 did not exit 2"
grep -q "expected 1.0 or 1.1" "$err" || bad "--format-version 1.2: $(cat "$err")"
"$VMREPLAY" convert "$txt" "$TESTTMP/x.txt" --format-version 1.0 >"$out" 2>"$err"
[ $? = 2 ] || bad "--format-version with text output did not exit 2"

# a hand-made 1.1 file: a read, then an access whose size is missing
le32() { # little-endian 32-bit
    printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $(($1 & 255)) $(($1 >> 8 & 255)) \
        $(($1 >> 16 & 255)) $(($1 >> 24 & 255)))"
}
printf '\060\001\010\040\041' >"$TESTTMP/raw"
zstd -q -f -c "$TESTTMP/raw" >"$TESTTMP/raw.zst" || bad "zstd failed"
comp=$(wc -c <"$TESTTMP/raw.zst")
bad11=$TESTTMP/bad11.vmt
{
    printf '\211VMT\r\n\032\n\001\000\001\000'
    le32 24
    le32 4096
    le32 0
    printf 'VMF2'
    le32 "$comp"
    le32 5
    le32 2
    le32 2
    le32 0
    le32 2
    le32 0
    cat "$TESTTMP/raw.zst"
} >"$bad11"
"$VMREPLAY" cat "$bad11" >"$out" 2>"$err"
rc=$?
[ $rc = 1 ] || bad "cat of a malformed 1.1 file exited $rc, expected 1"
grep -q "^vmreplay: $bad11: record 2 (frame 0 at byte 24): malformed access" "$err" ||
    bad "malformed 1.1 message: $(cat "$err")"
exit $fail
