#!/bin/sh
# `vmreplay synth`: help, determinism of .vmt and text output, the records a
# small trace holds (read from the text form), metadata, usage errors (exit
# 2 naming the option and what is expected) and write errors (exit 1).
set -u
: "${VMREPLAY:?}" "${TESTTMP:?}"
. "${SRCDIR:?}/tests/lib/cli.sh"
out=$TESTTMP/out
err=$TESTTMP/err

"$VMREPLAY" synth --help >"$out" 2>"$err" || bad "--help exited $?"
grep -q '^usage: vmreplay synth -o OUT' "$out" || bad "--help has no usage line"
for word in 'zipf:ALPHA' 'loop:SIZE' 'order=rank' '10^3, 10^6, 10^9' '@WEIGHT' 'shared'; do
    grep -qF -- "$word" "$out" || bad "--help does not mention $word"
done
"$VMREPLAY" help synth >"$out" 2>"$err" || bad "help synth exited $?"
grep -q '^usage: vmreplay synth' "$out" || bad "help synth has no usage line"

# determinism: same options, same bytes; another seed, other bytes
t=$TESTTMP/t
"$VMREPLAY" synth -o "$t.a.vmt" -n 50k -p 'zipf:1.2@3,scan,loop:64K' -P 3 >"$out" 2>"$err" ||
    bad "synth .vmt exited $?: $(cat "$err")"
[ -s "$err" ] && bad "synth wrote to stderr: $(cat "$err")"
"$VMREPLAY" synth -P 3 --pattern 'zipf:1.2@3,scan,loop:64K' --accesses 50000 -o "$t.b.vmt" ||
    bad "second synth exited $?"
cmp -s "$t.a.vmt" "$t.b.vmt" || bad "same options gave different .vmt files"
"$VMREPLAY" synth -o "$t.c.vmt" -n 50k -p 'zipf:1.2@3,scan,loop:64K' -P 3 --seed 2 ||
    bad "seed 2 exited $?"
cmp -s "$t.a.vmt" "$t.c.vmt" && bad "another seed gave the same .vmt"
"$VMREPLAY" synth -o "$t.a.txt" -n 2000 -P 2 -b file --collapse || bad "synth .txt exited $?"
"$VMREPLAY" synth -o - -n 2000 -P 2 -b file --collapse >"$t.b.txt" || bad "synth - exited $?"
cmp -s "$t.a.txt" "$t.b.txt" || bad "'-o -' differs from '-o x.txt'"

# a small trace, record by record
"$VMREPLAY" synth -o - -p scan -f 16K -n 6 --access-size 4K -w 0 -P 2 -b shared \
    >"$out" 2>"$err" || bad "small synth exited $?: $(cat "$err")"
grep -v -e '^#' -e '^meta ' -e '^$' "$out" >"$t.recs"
cat >"$t.want" <<'END'
file 1 synth.dat size=16K
mmap 1 0x7f0000000000 16K rw- shared fd=1
fork 1 2
END
head -n 3 "$t.recs" | diff "$t.want" - >/dev/null || bad "prologue: $(head -n 3 "$t.recs")"
# six reads of the pages in order, by pid 1 or 2, 4096 bytes each
sed -n 4,9p "$t.recs" | awk '
    { if ($1 != "r" || ($2 != 1 && $2 != 2) || ($4 != "4K" && $4 != "4096")) exit 1 }
    { want = sprintf("0x7f000000%04x", ((NR - 1) % 4) * 4096); if ($3 != want) exit 1 }
' || bad "accesses: $(sed -n 4,9p "$t.recs" | tr '\n' '|')"
[ "$(sed -n '10,$p' "$t.recs" | tr '\n' '|')" = "exit 2|exit 1|" ] ||
    bad "epilogue: $(sed -n '10,$p' "$t.recs" | tr '\n' '|')"
grep -q '^meta recorder synth$' "$out" || bad "no recorder=synth"
grep -q '^meta synth.pattern scan$' "$out" || bad "no synth.pattern"
grep -q '^meta synth.backing shared$' "$out" || bad "no synth.backing"
grep -q '^meta synth.processes 2$' "$out" || bad "no synth.processes"
grep -q '^meta synth.seed 1$' "$out" || bad "no synth.seed"
grep -q '^meta command ' "$out" || bad "no command"

# regenerating from the recorded command gives the same trace
cmdline=$(sed -n 's/^meta command "\{0,1\}\(.*[^"]\)"\{0,1\}$/\1/p' "$out" | sed 's/^vmreplay //')
[ -n "$cmdline" ] || bad "cannot read the command back"
eval "\"\$VMREPLAY\" $cmdline -o -" >"$t.regen" 2>"$err" || bad "recorded command failed: $cmdline"
cmp -s "$out" "$t.regen" || bad "the recorded command does not regenerate the trace"

# usage errors: exit 2, message naming the option and what is expected
usage_error() { # expected-substring args...
    want=$1
    shift
    "$VMREPLAY" synth "$@" >"$out" 2>"$err"
    rc=$?
    [ $rc -eq 2 ] || bad "synth $* exited $rc, expected 2"
    grep -qF -- "$want" "$err" || bad "synth $*: message lacks '$want': $(cat "$err")"
    grep -q "Try 'vmreplay help synth'" "$err" || bad "synth $*: no hint"
    [ -e "$TESTTMP/never.vmt" ] && bad "synth $* created its output"
}
never=$TESTTMP/never.vmt
usage_error "-o OUT is required"
usage_error "unknown option '--bogus'" -o "$never" --bogus
usage_error "option '--seed' needs a value" -o "$never" --seed
usage_error "unexpected argument 'extra'" -o "$never" extra
usage_error "-o '$TESTTMP/x.bin': expected a name ending in .vmt" -o "$TESTTMP/x.bin"
usage_error "--footprint '12Q': expected a size" -o "$never" --footprint 12Q
usage_error "--accesses '1.5': expected a count, with an optional k/M/G suffix" -o "$never" -n 1.5
usage_error "--write-fraction '2': expected a number from 0 to 1" -o "$never" -w 2
usage_error "--access-size '12': expected a power of two" -o "$never" --access-size 12
usage_error "--page-size '1000': expected a power of two" -o "$never" --page-size 1000
usage_error "--processes '0'" -o "$never" -P 0
usage_error "--backing 'swap': expected anon, file or shared" -o "$never" -b swap
usage_error "--seed '-1'" -o "$never" --seed -1
usage_error "--footprint 10000 is not a whole number of pages of --page-size 4096" \
    -o "$never" -f 10000
usage_error "--access-size 8192 is larger than --page-size 4096" -o "$never" --access-size 8K
usage_error "--pattern 'zipf:1,foo': component 'foo': unknown component 'foo'" \
    -o "$never" -p 'zipf:1,foo'
usage_error "component 'zipf': zipf needs an argument (expected zipf:ALPHA" -o "$never" -p zipf
usage_error "component 'loop:1G': loop SIZE '1G' is larger than its span" \
    -o "$never" -p 'loop:1G'
usage_error "component 'uniform@-1': weight '-1' is not a positive number" \
    -o "$never" -p 'uniform@-1'
usage_error "unknown key 'spam' for scan" -o "$never" -p 'scan:spam=1'

# write errors: exit 1 with the writer's message
"$VMREPLAY" synth -o - -n 1000 >/dev/full 2>"$err"
rc=$?
[ $rc -eq 1 ] || bad "write to /dev/full exited $rc, expected 1"
[ -s "$err" ] || bad "write to /dev/full said nothing"
"$VMREPLAY" synth -o "$TESTTMP/no/such/dir/t.vmt" -n 10 >"$out" 2>"$err"
rc=$?
[ $rc -eq 1 ] || bad "unwritable path exited $rc, expected 1"
grep -q "no/such/dir/t.vmt" "$err" || bad "unwritable path message: $(cat "$err")"
if [ -w /dev/full ]; then
    ln -sf /dev/full "$TESTTMP/full.vmt"
    "$VMREPLAY" synth -o "$TESTTMP/full.vmt" -n 100k >"$out" 2>"$err"
    rc=$?
    [ $rc -eq 1 ] || bad "binary write to /dev/full exited $rc, expected 1"
    grep -q "full.vmt" "$err" || bad "binary write error message: $(cat "$err")"
fi

exit $fail
