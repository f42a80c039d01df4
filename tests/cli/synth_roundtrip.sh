#!/bin/sh
# `vmreplay synth` end to end: its .vmt traces replay cleanly (every access
# counted, none outside the mapping, for every backing and with collapsing),
# and `vmreplay cat` of the .vmt is exactly what synth writes as text.
set -u
: "${VMREPLAY:?}" "${TESTTMP:?}"
. "${SRCDIR:?}/tests/lib/cli.sh"
out=$TESTTMP/out
err=$TESTTMP/err

# column NAME of the first data row (scope=total) of a replay csv
col() {
    awk -F, -v name="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i }
                          NR == 2 { print $c; exit }' "$2"
}

t=$TESTTMP/t
for backing in anon file shared; do
    for extra in "" --collapse; do
        "$VMREPLAY" synth -o "$t.vmt" -n 30000 -f 1M -P 3 -b $backing $extra \
            -p 'zipf:1@2,uniform,scan:start=512K,loop:64K' 2>"$err" ||
            bad "synth -b $backing $extra exited $?: $(cat "$err")"
        "$VMREPLAY" replay "$t.vmt" -m 256K -f csv >"$out" 2>"$err" ||
            bad "replay of -b $backing $extra exited $?: $(cat "$err")"
        [ "$(col accesses "$out")" = 30000 ] ||
            bad "-b $backing $extra: accesses $(col accesses "$out"), expected 30000"
        for c in segv_unmapped segv_protection mmap_failures oom_kills; do
            [ "$(col $c "$out")" = 0 ] || bad "-b $backing $extra: $c = $(col $c "$out")"
        done
        w=$(col writes "$out")
        [ "$w" -gt 8000 ] && [ "$w" -lt 10000 ] || bad "-b $backing $extra: $w writes of 30000"
        if [ $backing = anon ]; then
            [ "$(col file_reads "$out")" = 0 ] || bad "anon trace read the file"
        else
            [ "$(col file_reads "$out")" -gt 0 ] || bad "-b $backing: no file reads"
        fi
    done
done

# binary -> text through the reader equals the text writer's output
"$VMREPLAY" synth -o "$t.vmt" -n 20k -P 2 -b file -p 'zipf:0.8,scan@0.3' --collapse ||
    bad "synth .vmt exited $?"
"$VMREPLAY" synth -o "$t.txt" -n 20k -P 2 -b file -p 'zipf:0.8,scan@0.3' --collapse ||
    bad "synth .txt exited $?"
if ! "$VMREPLAY" cat "$t.vmt" >"$out" 2>"$err"; then
    if grep -q 'not implemented' "$err"; then
        echo "vmreplay cat is not implemented yet: the cat comparison is skipped" >&2
        [ $fail -eq 0 ] && exit 77
        exit $fail
    fi
    bad "cat exited: $(cat "$err")"
fi
cmp -s "$out" "$t.txt" || bad "cat of the .vmt differs from the .txt: $(diff "$out" "$t.txt" | head -5)"

exit $fail
