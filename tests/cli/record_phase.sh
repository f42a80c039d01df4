#!/bin/sh
# The issue's phase test: record tests/record/rec_anon (16 pages of a fresh
# anonymous mapping touched between the marks anon-start and anon-end: page
# 3 read, then every page written), replay it in linux mode with memory to
# spare and check, with `--interval mark`, that the faults between the
# marks are the pages the phase touched for the first time — taken from the
# recorded accesses — plus one for each such page whose first access is a
# read (linux maps the shared zero page on that read; the write then
# faults again), and exactly as many without the zero page.
# Skipped (77) when the recorder's Valgrind tool was not built.
set -u
: "${VMREPLAY:?}" "${TESTTMP:?}" "${RECBIN:?}"
. "${SRCDIR:?}/tests/lib/cli.sh"
"$VMREPLAY" record --check 2>/dev/null || { echo "skip: no Valgrind tool"; exit 77; }
T=$TESTTMP
PS=$(getconf PAGESIZE)
"$VMREPLAY" record -q -o "$T/a.vmt" -- "$RECBIN/rec_anon" 2>"$T/err"
[ $? -eq 5 ] || bad "rec_anon: expected exit 5: $(tail -3 "$T/err")"
"$VMREPLAY" cat "$T/a.vmt" >"$T/a.txt" || bad "cat"

# From the trace: the pages the phase touches that nothing touched before
# it, how many of those are first read (and written later), and whether
# they all lie in the one area the phase maps.
awk -v ps="$PS" '
    function num(x,   v, i) { # hex (0x...) or decimal; exact below 2^53
        if (x !~ /^0x/) return x + 0
        v = 0
        for (i = 3; i <= length(x); i++) v = v * 16 + index("0123456789abcdef", substr(x, i, 1)) - 1
        return v }
    $1 == "mark" && $2 == "anon-start" { inph = 1; next }
    $1 == "mark" && $2 == "anon-end" { inph = 0; done = 1; next }
    inph && $1 == "mmap" { lo = num($3); hi = lo + num($4) * 1024; areas++ } # LEN in K
    $1 ~ /^[rwx]$/ && !done {
        a = num($3); sz = ($4 == "" || $4 ~ /^\*/) ? 1 : $4
        for (p = int(a / ps); p <= int((a + sz - 1) / ps); p++) {
            if (!inph) { before[p] = 1; continue }
            if (p in before) continue
            if (!(p in first)) first[p] = $1
            if ($1 == "w") written[p] = 1
            if (p * ps < lo || p * ps >= hi) outside++
        } }
    END {
        n = 0; rf = 0
        for (p in first) { n++; if (first[p] == "r" && (p in written)) rf++ }
        print n, rf, areas + 0, outside + 0 }' "$T/a.txt" >"$T/expect"
read -r NEW READ_FIRST AREAS OUTSIDE <"$T/expect"
echo "phase: $NEW new pages, $READ_FIRST first read, $AREAS areas mapped, $OUTSIDE touches outside"
# what rec_anon.c does: one 16-page mapping, every page touched, one read first
[ "$AREAS" = 1 ] || bad "the phase maps $AREAS areas, expected 1"
[ "$OUTSIDE" = 0 ] || bad "$OUTSIDE new pages of the phase lie outside its mapping"
[ "$NEW" = 16 ] || bad "the trace touches $NEW new pages in the phase, rec_anon touches 16"
[ "$READ_FIRST" = 1 ] || bad "$READ_FIRST pages read first, rec_anon reads one page first"

# the row closed by mark anon-end: column NAME of it (quoted config values,
# which may hold commas, are blanked first)
phase_count() { # FILE NAME
    sed 's/"[^"]*"/Q/g' "$1" | awk -F, -v name="$2" '
        NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        $c["mark"] == "anon-end" && $c["scope"] == "total" { print $c[name]; exit }'
}
"$VMREPLAY" replay "$T/a.vmt" -m 64M --mode linux -q -f csv -o "$T/run.csv" \
    --interval mark --series "$T/phases.csv" || bad "replay --mode linux --interval mark fails"
grep -q ',mark$' "$T/phases.csv" || bad "the series has no mark column"
awk -F, 'NR > 1 && $NF == "anon-start" { s = NR } NR > 1 && $NF == "anon-end" { e = NR }
    END { exit !(s && e == s + 1) }' "$T/phases.csv" || bad "no anon-start row followed by anon-end"
minor=$(phase_count "$T/phases.csv" minor_faults)
major=$(phase_count "$T/phases.csv" major_faults)
zf=$(phase_count "$T/phases.csv" zero_fill)
[ "$minor" = $((NEW + READ_FIRST)) ] ||
    bad "linux mode: $minor minor faults in the phase, expected $NEW pages + $READ_FIRST zero-page reads"
[ "$major" = 0 ] || bad "linux mode: $major major faults in the phase"
[ "$zf" = "$NEW" ] || bad "linux mode: $zf zero-fill faults in the phase, expected $NEW"
# without the zero page: one fault per page touched
"$VMREPLAY" replay "$T/a.vmt" -m 64M --mode linux --zero-page no -q -f csv -o "$T/run2.csv" \
    --interval mark --series "$T/phases2.csv" || bad "replay --zero-page no fails"
minor=$(phase_count "$T/phases2.csv" minor_faults)
[ "$minor" = "$NEW" ] || bad "--zero-page no: $minor faults in the phase, expected $NEW"
# the rows add up to the run's totals
sed 's/"[^"]*"/Q/g' "$T/phases.csv" >"$T/p.csv"
sed 's/"[^"]*"/Q/g' "$T/run.csv" >"$T/r.csv"
awk -F, 'FNR == 1 { delete c; for (i = 1; i <= NF; i++) c[$i] = i; next }
    FILENAME == ARGV[1] && $c["scope"] == "total" { s += $c["minor_faults"] }
    FILENAME == ARGV[2] && $c["scope"] == "total" { t = $c["minor_faults"] }
    END { exit !(s == t && t > 0) }' "$T/p.csv" "$T/r.csv" ||
    bad "the phase rows do not add up to the run's minor faults"
"$VMREPLAY" replay "$T/a.vmt" -m 64M --interval nope -o "$T/x.csv" 2>/dev/null
[ $? -eq 2 ] || bad "--interval nope: expected a usage error"
exit $fail
