#!/bin/sh
# `vmreplay policies`: lists every built-in with its kind, summary and
# parameters; --names gives just the names; --help; usage errors exit 2.
set -u
: "${VMREPLAY:?}" "${TESTTMP:?}"
. "${SRCDIR:?}/tests/lib/cli.sh"
out=$TESTTMP/out
err=$TESTTMP/err

"$VMREPLAY" policies >"$out" 2>"$err" || bad "policies exited $?"
[ -s "$err" ] && bad "policies wrote to stderr: $(cat "$err")"
all="fifo lru clock opt random gclock nru aging lfu 2q slru arc car lirs clockpro sieve s3fifo wsclock linux"
for p in $all; do
    grep -q "^$p " "$out" || bad "no line for $p"
done
for p in fifo clock random gclock nru aging car clockpro sieve wsclock linux; do
    grep -q "^$p  *hardware-realistic" "$out" || bad "$p not hardware-realistic"
done
for p in lru opt lfu 2q slru arc lirs s3fifo; do
    grep -q "^$p  *oracle" "$out" || bad "$p not oracle"
done
# parameters are listed with their defaults
grep -q '^ *kin=0.25 ' "$out" || bad "2q's kin default not listed"
grep -q '^ *tau=0 ' "$out" || bad "wsclock's tau not listed"
grep -q 'Megiddo & Modha' "$out" || bad "arc summary lacks its citation"
grep -q '^fifo  *hardware-realistic' "$out" || bad "fifo not hardware-realistic"
grep -q '^clock  *hardware-realistic' "$out" || bad "clock not hardware-realistic"
grep -q '^lru  *oracle' "$out" || bad "lru not oracle"
grep -q '^opt  *oracle.*needs the future' "$out" || bad "opt not oracle needing the future"
grep -q 'Corbato 1968' "$out" || bad "clock summary lacks its citation"
grep -q 'Belady 1966' "$out" || bad "opt summary lacks its citation"
[ "$(grep -c 'parameters: none' "$out")" -ge 4 ] || bad "parameters not listed"

"$VMREPLAY" policies --names >"$out" 2>"$err" || bad "--names exited $?"
# later policies may follow the first four
[ "$(head -n 4 "$out" | tr '\n' ' ')" = "fifo lru clock opt " ] || bad "--names: $(cat "$out")"
[ "$(wc -l <"$out")" -eq "$(grep -c '^[a-z0-9]*$' "$out")" ] || bad "--names prints more than names"
[ "$(tr '\n' ' ' <"$out")" = "$all " ] || bad "--names: not every policy, or not in order: $(cat "$out")"

"$VMREPLAY" policies --help >"$out" 2>"$err" || bad "--help exited $?"
grep -q '^usage: vmreplay policies' "$out" || bad "--help has no usage line"
grep -q 'hardware-realistic' "$out" || bad "--help does not explain the kinds"
"$VMREPLAY" help policies >"$out" 2>"$err" || bad "help policies exited $?"
grep -q '^usage: vmreplay policies' "$out" || bad "help policies has no usage line"

"$VMREPLAY" policies --bogus >"$out" 2>"$err"
rc=$?
[ $rc -eq 2 ] || bad "--bogus exited $rc, expected 2"
grep -q "unknown option '--bogus'" "$err" || bad "--bogus message: $(cat "$err")"
"$VMREPLAY" policies extra >"$out" 2>"$err"
rc=$?
[ $rc -eq 2 ] || bad "extra argument exited $rc, expected 2"

"$VMREPLAY" policies >/dev/full 2>"$err"
rc=$?
[ $rc -eq 1 ] || bad "write error exited $rc, expected 1"

exit $fail
