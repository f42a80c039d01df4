#!/bin/sh
# mrc from the command line: the documented columns, --memory rows whose
# faults equal replay --policy lru at the same sizes (one process, anonymous
# memory), sampled rows say their method and rate, and bad options/input.
set -u
: "${VMREPLAY:?}" "${SRCDIR:?}" "${TESTTMP:?}"
. "${SRCDIR:?}/tests/lib/cli.sh"
T=$TESTTMP
V=$VMREPLAY
"$V" synth -o "$T/s.vmt" -p 'zipf:0.9@3,loop:300K' -f 1M -n 10k -s 4 2>/dev/null || bad "synth"
"$V" mrc "$T/s.vmt" -m 8p,64p,200K -o "$T/m.csv" || bad "mrc failed"
[ "$(head -1 "$T/m.csv")" = "trace,method,rate,page_size,memory_pages,memory,page_touches,distinct_pages,faults,miss_ratio" ] ||
    bad "columns: $(head -1 "$T/m.csv")"
[ "$(wc -l <"$T/m.csv")" = 4 ] || bad "3 sizes asked, $(($(wc -l <"$T/m.csv") - 1)) rows"
for pages in 8 64 50; do
    want=$("$V" replay "$T/s.vmt" -m "${pages}p" -f csv | awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i }
        NR == 2 { print $c["minor_faults"] + $c["major_faults"] }')
    got=$(awk -F, -v p="$pages" '$5 == p { print $9 }' "$T/m.csv")
    [ "$got" = "$want" ] || bad "$pages frames: mrc says $got faults, replay $want"
done
"$V" mrc "$T/s.vmt" --rate 0.5 --points 10 -o "$T/r.csv" || bad "mrc --rate failed"
awk -F, 'NR > 1 && ($2 != "shards-rate" || $3 != 0.5) { exit 1 }' "$T/r.csv" || bad "rate rows: $(sed -n 2p "$T/r.csv")"
[ "$(wc -l <"$T/r.csv")" -le 11 ] || bad "--points 10 gave $(wc -l <"$T/r.csv") lines"
"$V" mrc "$T/s.vmt" --max-pages 30 -o "$T/z.csv" || bad "mrc --max-pages failed"
grep -q ',shards-size,' "$T/z.csv" || bad "no shards-size rows"
"$V" mrc "$T/s.vmt" --rate 2 2>/dev/null; [ $? = 2 ] || bad "--rate 2 not a usage error"
"$V" mrc "$T/s.vmt" --rate 0.1 --max-pages 9 2>/dev/null; [ $? = 2 ] || bad "--rate with --max-pages accepted"
"$V" mrc "$T/nope.vmt" 2>"$T/err"; [ $? = 1 ] || bad "missing trace: not status 1"
grep -q nope.vmt "$T/err" || bad "missing trace not named"
exit $fail
