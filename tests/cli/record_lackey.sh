#!/bin/sh
# `vmreplay record --backend lackey`: stock lackey's logs read live into a
# trace. rec_anon: the program's exit status, its 16 written pages inside
# synthesised areas, one pid, its markers. rec_fork: three processes, the
# forked child's pre-exec accesses (its own log, which the exec'd image
# must not truncate) before its `exec`, then the exec'd image's, each
# process's records in order. Two execs in one pid (the second image reopens
# the first one's log name). rec_killed: status 137 and a valid trace.
# Skipped (77) without valgrind.
set -u
: "${VMREPLAY:?}" "${TESTTMP:?}" "${RECBIN:?}"
. "${SRCDIR:?}/tests/lib/cli.sh"
command -v valgrind >/dev/null || { echo "skip: no valgrind"; exit 77; }
T=$TESTTMP
PS=$(getconf PAGESIZE)
# rec NAME STATUS PROGRAM ARGS...: records into $T/NAME.vmt and $T/NAME.txt
rec() {
    name=$1 want=$2
    shift 2
    "$VMREPLAY" record -q --backend lackey --tmpdir "$T" -o "$T/$name.vmt" -- "$@" \
        >"$T/$name.out" 2>"$T/$name.err"
    st=$?
    [ "$st" = "$want" ] || bad "$name: exit $st, expected $want: $(tail -3 "$T/$name.err")"
    "$VMREPLAY" cat "$T/$name.vmt" >"$T/$name.txt" || bad "$name: the trace does not read back"
}

# --- rec_anon: 16 pages written between the markers, status 5
rec anon 5 "$RECBIN/rec_anon"
"$VMREPLAY" info "$T/anon.vmt" >"$T/info" || bad "info fails"
grep -q '^pids: *1$' "$T/info" || bad "expected one pid: $(grep pids "$T/info")"
grep -q 'recorder = vmreplay-record' "$T/info" || bad "metadata"
grep -q 'record.options = backend=lackey' "$T/info" || bad "options metadata"
grep -c '^mark anon-' "$T/anon.txt" | grep -qx 2 || bad "rec_anon: expected the two markers"
# pages written between the markers, outside the stack (0x1f... under valgrind)
n=$(sed -n '/^mark anon-start/,/^mark anon-end/p' "$T/anon.txt" |
    awk -v ps="$PS" '$1 == "w" && $3 !~ /^0x1f/ { p[$3] = 1 }
        END { for (a in p) { v = 0; for (i = 3; i <= length(a); i++)
                  v = v * 16 + index("0123456789abcdef", substr(a, i, 1)) - 1
              q[int(v / ps)] = 1 }
              n = 0; for (x in q) n++; print n }')
[ "$n" -ge 16 ] || bad "rec_anon: $n pages written between the markers, expected at least 16"
# every access lies in a synthesised area
"$VMREPLAY" replay "$T/anon.vmt" --memory 64M -f csv >"$T/csv" || bad "replay fails"
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i }
         NR == 2 { exit !($c["segv_unmapped"] == 0 && $c["writes"] > 0 && $c["fetches"] > 0) }' \
    "$T/csv" || bad "replay: accesses outside the areas, or no writes/fetches"

# --- rec_fork: parent, child (writes a page, execs /bin/true), crashing child
rec fork 4 "$RECBIN/rec_fork"
C=$(awk '$1 == "exec" { print $2; exit }' "$T/fork.txt")
[ -n "$C" ] || bad "rec_fork: no exec record"
grep -q "^exec $C /bin/true mapped$" "$T/fork.txt" || bad "rec_fork: exec of /bin/true"
awk '$1 ~ /^[rwx]$/ { print $2 }' "$T/fork.txt" | sort -u | wc -l | grep -qx 3 ||
    bad "rec_fork: expected accesses of 3 processes"
# the child: accesses (a write among them) before its exec, then the new
# image's areas and accesses, then its exit; the parent's mark and exit
awk -v c="$C" '
    $2 == c && $1 == "exec" { ex = NR }
    $2 == c && $1 == "w" && !ex { pre_w++ }
    $2 == c && $1 == "mmap" && ex && !post { areas++ }
    $2 == c && $1 ~ /^[rx]$/ && ex { post++ }
    $1 == "exit" && $2 == c { ok_exit = ex && post }
    END { exit !(pre_w > 0 && areas > 0 && post > 0 && ok_exit) }' "$T/fork.txt" ||
    bad "rec_fork: the child's pre-exec accesses, exec, areas, accesses, exit"
grep -q '^mark waited ' "$T/fork.txt" || bad "rec_fork: mark waited"
grep -q '^exit [0-9]* status=4$' "$T/fork.txt" || bad "rec_fork: the parent's exit status"
"$VMREPLAY" replay "$T/fork.vmt" --memory 64M -f csv >"$T/fork.csv" || bad "rec_fork: replay fails"

# --- one pid execs twice: /bin/sh -> /bin/sh -> /bin/true
rec exec2 0 /bin/sh -c 'exec /bin/sh -c "exec /bin/true"'
grep -c '^exec ' "$T/exec2.txt" | grep -qx 2 || bad "exec2: expected 2 exec records"
awk '$1 ~ /^[rwx]$/ { print $2 }' "$T/exec2.txt" | sort -u | wc -l | grep -qx 1 ||
    bad "exec2: expected one pid"
awk '$1 == "exec" { last = $3 } END { exit last != "/bin/true" }' "$T/exec2.txt" ||
    bad "exec2: the last exec is not /bin/true"

# --- killed by SIGKILL: exit 137, a valid trace holding the marker
rec killed 137 "$RECBIN/rec_killed"
grep -q '^mark before ' "$T/killed.txt" || bad "rec_killed: the marker is lost"
"$VMREPLAY" info "$T/killed.vmt" >/dev/null || bad "rec_killed: info fails"

# nothing left behind in --tmpdir
ls -d "$T"/vmreplay-record-* 2>/dev/null && bad "the recorder's directory is left"

"$VMREPLAY" record --backend lackey --fetches -o "$T/x.vmt" -- /bin/true 2>/dev/null
[ $? -eq 2 ] || bad "--fetches with lackey: expected a usage error"
exit $fail
