#!/bin/sh
# `vmreplay replay --sysroot --dump-maps`: the areas an exec maps, printed in
# /proc/PID/maps format, checked against `readelf -lW` of the same files
# (tests/data/sysroot): one private file area per PT_LOAD at the page of
# p_vaddr (plus the load bias) with p_flags' permissions and the page offset
# of p_offset, an anonymous area for the bss, [stack]; --dump-maps=LABEL
# prints only at that mark; a missing ELF exits 1 naming the file.
set -u
: "${VMREPLAY:?}" "${TESTTMP:?}" "${SRCDIR:?}"
. "${SRCDIR:?}/tests/lib/cli.sh"
command -v readelf >/dev/null || exit 77
out=$TESTTMP/out
err=$TESTTMP/err
root=$SRCDIR/tests/data/sysroot

# expected_maps FILE BIAS NAME: the maps lines readelf's PT_LOADs imply
expected_maps() {
    bias=$2 name=$3
    readelf -lW "$1" | grep '^ *LOAD' | while read -r _ off vaddr _ filesz memsz rest; do
        set -- $rest
        flags=""
        while [ $# -gt 1 ]; do flags="$flags$1"; shift; done
        r=-; w=-; x=-
        case $flags in *R*) r=r ;; esac
        case $flags in *W*) w=w ;; esac
        case $flags in *E*) x=x ;; esac
        start=$((bias + vaddr))
        fend=$((start + filesz)); mend=$((start + memsz))
        pstart=$((start & ~4095)); fup=$(((fend + 4095) & ~4095)); mup=$(((mend + 4095) & ~4095))
        printf '%08x-%08x %s%s%sp %08x 00:00 0 %s\n' $pstart $fup $r $w $x $((off & ~4095)) "$name"
        [ $mup -gt $fup ] && printf '%08x-%08x %s%s%sp %08x 00:00 0\n' $fup $mup $r $w $x 0
    done
}
# strip the padding before the path, for comparison
squeeze() {
    sed 's/  */ /g; s/ $//'
}

t=$TESTTMP/t.txt
cat >"$t" <<'END'
mark start
exec 1 /bin/tiny-static
mark static
exec 2 /bin/tiny-dyn
mark both
END
"$VMREPLAY" replay "$t" -m 64p --sysroot "$root" --dump-maps=static >"$out" 2>"$err" ||
    bad "replay failed: $(cat "$err")"
sed -n '/^# maps at mark static/,/^# maps at the end/p' "$out" | grep -v '^#' | grep -v stack |
    squeeze >"$TESTTMP/got"
expected_maps "$root/bin/tiny-static" 0 /bin/tiny-static | squeeze >"$TESTTMP/want"
cmp -s "$TESTTMP/got" "$TESTTMP/want" ||
    bad "tiny-static maps differ from readelf: $(diff "$TESTTMP/want" "$TESTTMP/got")"
grep -q '^7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0  *\[stack\]$' "$out" ||
    bad "no [stack] line"
[ "$(grep -c '^# maps at mark' "$out")" = 1 ] || bad "--dump-maps=static printed other marks"
grep -q '^# pid 1 /bin/tiny-static: 4 areas, entry 0x4000e8, start 0x4000e8' "$out" ||
    bad "pid 1 header: $(grep '^# pid 1' "$out")"

# the PIE at 0x555555554000 and its interpreter below 0x7ffff7fff000,
# at the end of the trace (pid 2)
sed -n '/^# pid 2/,$p' "$out" | grep -E '^[0-9a-f]+-[0-9a-f]+ ' | squeeze >"$TESTTMP/got2"
expected_maps "$root/bin/tiny-dyn" 0x555555554000 /bin/tiny-dyn | squeeze >"$TESTTMP/want2"
expected_maps "$root/lib/x86_64-linux-gnu/ld-tiny.so.2" 0x7ffff7ffc000 \
    /lib/x86_64-linux-gnu/ld-tiny.so.2 | squeeze >>"$TESTTMP/want2"
echo "7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0 [stack]" >>"$TESTTMP/want2"
cmp -s "$TESTTMP/got2" "$TESTTMP/want2" ||
    bad "tiny-dyn maps differ from readelf: $(diff "$TESTTMP/want2" "$TESTTMP/got2")"

# every mark, then the end
"$VMREPLAY" replay "$t" -m 64p --sysroot "$root" --dump-maps >"$out" 2>"$err" ||
    bad "replay --dump-maps failed"
[ "$(grep -c '^# maps at' "$out")" = 4 ] || bad "--dump-maps: expected 3 marks and the end"

# a missing program: exit 1, the file named
printf 'exec 1 /bin/nothing-here\n' >"$t"
"$VMREPLAY" replay "$t" -m 64p --sysroot "$root" >"$out" 2>"$err"
[ $? = 1 ] || bad "missing ELF: exit status not 1"
grep -q '/bin/nothing-here: no such file' "$err" || bad "missing ELF message: $(cat "$err")"

"$VMREPLAY" replay --help >"$out" 2>&1 || bad "--help failed"
for o in --sysroot --load-needed --dump-maps; do
    grep -q -- "$o" "$out" || bad "--help does not mention $o"
done
exit $fail
