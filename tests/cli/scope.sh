#!/bin/sh
# --scope and --quota: the options of replay, compare and sweep; local and
# global scope give different counts on a multi-process trace; compare's
# rows equal replay's in local scope; the config columns; usage errors
# (malformed values: exit 2) and refused quotas (exit 1) with messages.
set -u
: "${VMREPLAY:?}" "${TESTTMP:?}"
. "${SRCDIR:?}/tests/lib/cli.sh"
work_in_tmp
V=$VMREPLAY
"$V" synth -o w.vmt -p 'zipf:0.9@2,scan' -f 1M -n 20k -P 3 -s 3 2>/dev/null || bad "synth"

# help
"$V" help replay | grep -q -- '--scope SCOPE' || bad "replay help lacks --scope"
"$V" help replay | grep -q -- '--quota LIST' || bad "replay help lacks --quota"
"$V" help compare | grep -q -- '--scope' || bad "compare help lacks --scope"
"$V" help sweep | grep -q -- '--scope' || bad "sweep help lacks --scope"

# local differs from global on 3 processes; the CSV says which ran
"$V" replay w.vmt -m 64p -f csv -o g.csv || bad "global replay: exit $?"
"$V" replay w.vmt -m 64p --scope local -f csv -o l.csv || bad "local replay: exit $?"
"$V" replay w.vmt -m 64p --scope local --quota 1=40p -f csv -o q.csv || bad "quota replay: exit $?"
head -1 g.csv | grep -q ',replacement,' && bad "global run has a replacement column"
head -1 l.csv | grep -q ',replacement,' || bad "local run has no replacement column"
head -1 q.csv | grep -q ',replacement,quota,' || bad "quota run has no quota column"
grep -q ',local,1=40p,' q.csv || bad "quota column value"
"$V" replay w.vmt -m 64p --scope local --quota 1=20p,2=20p -f csv -o q2.csv || bad "2 quotas"
grep -q ',local,"1=20p,2=20p",' q2.csv || bad "a quota list with commas is not quoted in CSV"
col() { # FILE NAME: the total row's value of column NAME
    n=$(head -1 "$1" | tr ',' '\n' | grep -n "^$2\$" | cut -d: -f1)
    sed -n 2p "$1" | cut -d, -f"$n"
}
g=$(col g.csv major_faults)
l=$(col l.csv major_faults)
[ -n "$g" ] && [ -n "$l" ] && [ "$g" != "$l" ] || bad "local and global major faults: $g $l"
[ "$(col g.csv accesses)" = "$(col l.csv accesses)" ] || bad "accesses differ"
"$V" replay w.vmt -m 64p --scope global -f csv -o g2.csv || bad "--scope global: exit $?"
cmp -s g.csv g2.csv || bad "--scope global is not the default"

# a plug-in works in local scope too (one instance per process, each dlopen'ed)
plugin=$(dirname "$V")/tests/example_policy.so
if [ -f "$plugin" ]; then
    "$V" replay w.vmt -m 64p --scope local --policy "$plugin" -f csv -o pl.csv ||
        bad "plug-in in local scope: exit $?"
    [ "$(col pl.csv accesses)" = "$(col g.csv accesses)" ] || bad "plug-in run: accesses"
fi

# compare's local rows are replay's
"$V" compare w.vmt -p lru,clock,opt -m 64p --scope local --quota 2=20p -f csv -o c.csv -q ||
    bad "compare local: exit $?"
for p in lru clock opt; do
    "$V" replay w.vmt -p "$p" -m 64p --scope local --quota 2=20p -f csv -o one.csv -q ||
        bad "replay $p local"
    tail -n +2 one.csv >one.rows
    grep -F -f one.rows c.csv | cmp -s - one.rows || bad "compare row of $p differs from replay"
done

# sweep: scope as a list; a quota set joined by '+'
"$V" sweep w.vmt -p lru -m 64p --scope global,local -o s.csv || bad "sweep: exit $?"
[ "$(grep -c ',total,' s.csv)" = 2 ] || bad "sweep: not 2 runs"
"$V" sweep w.vmt -p lru -m 64p --scope local --quota '1=10p+2=10p' --emit-jobs jobs.txt ||
    bad "sweep emit: exit $?"
grep -q -- "--quota '1=10p+2=10p'" jobs.txt || bad "emitted job lacks the quota: $(cat jobs.txt)"

# errors
expect() { # STATUS PATTERN COMMAND...
    want=$1 pat=$2
    shift 2
    "$@" >out 2>err
    got=$?
    [ "$got" = "$want" ] || bad "$*: exit $got, expected $want"
    grep -q -- "$pat" err || bad "$*: message lacks '$pat': $(cat err)"
}
expect 2 "--scope 'lokal': expected global or local" "$V" replay w.vmt -m 64p --scope lokal
expect 2 "--quota '1=5q'" "$V" replay w.vmt -m 64p --scope local --quota 1=5q
expect 2 "pid 1 is given twice" "$V" replay w.vmt -m 64p --scope local --quota 1=5p,1=6p
expect 2 "less than one page" "$V" replay w.vmt -m 64p --scope local --quota 1=0p
expect 2 "--quota '1=5q'" "$V" compare w.vmt -m 64p --scope local --quota 1=5q
expect 1 "--quota needs --scope local" "$V" replay w.vmt -m 64p --quota 1=5p
expect 1 "add up to 70 pages, more than the 64" "$V" replay w.vmt -m 64p --scope local \
    --quota 1=40p,2=120K
expect 1 "less than one page" "$V" replay w.vmt -m 64p --scope local --quota 1=100
exit $fail
