#!/bin/sh
# `vmreplay policies`: lists every built-in with its kind, summary and
# parameters; --names gives just the names; --help; usage errors exit 2.
set -u
: "${VMREPLAY:?}" "${TESTTMP:?}"
mkdir -p "$TESTTMP"
out=$TESTTMP/out
err=$TESTTMP/err
fail=0
bad() {
    echo "FAIL: $*" >&2
    fail=1
}

"$VMREPLAY" policies >"$out" 2>"$err" || bad "policies exited $?"
[ -s "$err" ] && bad "policies wrote to stderr: $(cat "$err")"
for p in fifo lru clock opt; do
    grep -q "^$p " "$out" || bad "no line for $p"
done
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
[ "$(wc -l <"$out")" -eq "$(grep -c '^[a-z]' "$out")" ] || bad "--names prints more than names"

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
