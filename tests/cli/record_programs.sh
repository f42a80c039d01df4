#!/bin/sh
# `vmreplay record` on the small programs of tests/record (built by the
# suite into $RECBIN): each trace must hold exactly what the program did —
# its areas, the pages it touched between its phase markers, fork, exec,
# thread and exit records in order — no area of Valgrind's own, the program's exit
# status as the recorder's, and a valid trace when the program is killed.
# Skipped (77) when the recorder's Valgrind tool was not built.
set -u
: "${VMREPLAY:?}" "${TESTTMP:?}" "${RECBIN:?}"
. "${SRCDIR:?}/tests/lib/cli.sh"
"$VMREPLAY" record --check 2>/dev/null || { echo "skip: no Valgrind tool"; exit 77; }
T=$TESTTMP
PS=$(getconf PAGESIZE)
# rec NAME STATUS ARGS...: records $RECBIN/NAME into $T/NAME.txt (text form)
rec() {
    name=$1 want=$2
    shift 2
    "$VMREPLAY" record -q -o "$T/$name.vmt" -- "$RECBIN/$name" "$@" >"$T/$name.out" 2>"$T/$name.err"
    st=$?
    [ "$st" = "$want" ] || bad "$name: recorder exited $st, expected $want: $(tail -3 "$T/$name.err")"
    "$VMREPLAY" cat "$T/$name.vmt" >"$T/$name.txt" || bad "$name: the trace does not read back"
    if grep -E '^file .*(vgpreload|vmrtrace)' "$T/$name.txt" >&2; then
        bad "$name: Valgrind's own objects in the trace"
    fi
    grep -q "^exec [0-9]* .*$name mapped$" "$T/$name.txt" || bad "$name: no 'exec ... mapped' first"
}
# between FILE FROM TO: the lines after 'mark FROM' up to 'mark TO'
between() {
    sed -n "/^mark $2 /,/^mark $3 /p" "$1"
}
# pages FILE KIND START LEN: distinct pages of KIND accesses in [START, START+LEN)
pages() {
    awk -v k="$2" -v s="$3" -v l="$4" -v ps="$PS" '
        function num(x,   v, i) { # hex (0x...) or decimal; exact below 2^53
            if (x !~ /^0x/) return x + 0
            v = 0
            for (i = 3; i <= length(x); i++) v = v * 16 + index("0123456789abcdef", substr(x, i, 1)) - 1
            return v }
        $1 == k { a = num($3); if (a >= num(s) && a < num(s) + l) p[int(a / ps)] = 1 }
        END { n = 0; for (i in p) n++; print n }' "$1"
}
# the first field 3 (address) of the lines of FILE matching RE
addr_of() {
    grep -E "$2" "$1" | head -1 | awk '{ print $3 }'
}

# --- anonymous memory: 16 pages written between the markers, status 5
rec rec_anon 5
between "$T/rec_anon.txt" anon-start anon-end >"$T/anon.phase"
n=$(grep -c '^mmap' "$T/anon.phase")
[ "$n" = 1 ] || bad "rec_anon: $n mmaps in the phase, expected 1"
A=$(addr_of "$T/anon.phase" "^mmap [0-9]+ 0x[0-9a-f]+ $((16 * PS / 1024))K rw- private,anon$")
if [ -z "$A" ]; then
    bad "rec_anon: no 16-page anonymous rw- mapping: $(grep '^mmap' "$T/anon.phase")"
else
    [ "$(pages "$T/anon.phase" w "$A" $((16 * PS)))" = 16 ] ||
        bad "rec_anon: $(pages "$T/anon.phase" w "$A" $((16 * PS))) pages written, expected 16"
    [ "$(pages "$T/anon.phase" r "$A" $((16 * PS)))" = 1 ] || bad "rec_anon: expected 1 page read"
    grep -q "^munmap [0-9]* $A $((16 * PS / 1024))K$" "$T/anon.phase" || bad "rec_anon: no munmap"
    # nothing touches the area outside the phase
    [ "$(pages "$T/rec_anon.txt" w "$A" $((16 * PS)))" = 16 ] || bad "rec_anon: writes outside the phase"
fi
"$VMREPLAY" replay "$T/rec_anon.vmt" --memory 64M -f csv >"$T/anon.csv" || bad "rec_anon: replay failed"
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i } NR == 2 { print $c["segv_unmapped"] }' \
    "$T/anon.csv" | grep -qx 0 || bad "rec_anon: replay finds accesses outside every area"

# --- files: private read of 3 pages, shared write of 2 through a dup()ed fd,
# msync, and a 1 MiB malloc written page by page
F=$T/three-pages
head -c $((3 * PS)) /dev/zero | tr '\0' 'v' >"$F"
rec rec_files 0 "$F"
FID=$(awk -v f="$F" '$1 == "file" && $3 == f { print $2 }' "$T/rec_files.txt" | tail -1)
[ -n "$FID" ] || bad "rec_files: no file record for $F"
grep -q "^file $FID $F size=$((3 * PS / 1024))K$" "$T/rec_files.txt" || bad "rec_files: file size"
between "$T/rec_files.txt" private shared >"$T/priv.phase"
P=$(addr_of "$T/priv.phase" "^mmap [0-9]+ 0x[0-9a-f]+ $((3 * PS / 1024))K r-- private fd=$FID$")
[ -n "$P" ] || bad "rec_files: no private read-only mapping of the file"
[ -n "$P" ] && { [ "$(pages "$T/priv.phase" r "$P" $((3 * PS)))" = 3 ] || bad "rec_files: private pages read"; }
between "$T/rec_files.txt" shared heap >"$T/shared.phase"
S=$(addr_of "$T/shared.phase" "^mmap [0-9]+ 0x[0-9a-f]+ $((3 * PS / 1024))K rw- shared fd=$FID$")
[ -n "$S" ] || bad "rec_files: no shared mapping of the file through the dup()ed descriptor"
if [ -n "$S" ]; then
    [ "$(pages "$T/shared.phase" w "$S" $((3 * PS)))" = 2 ] || bad "rec_files: shared pages written"
    grep -q "^msync [0-9]* $S $((3 * PS / 1024))K sync$" "$T/shared.phase" || bad "rec_files: msync"
    grep -q "^munmap [0-9]* $S " "$T/shared.phase" || bad "rec_files: munmap of the shared area"
fi
between "$T/rec_files.txt" heap end >"$T/heap.phase"
H=$(awk '$1 == "mmap" && $6 == "private,anon" { print $3; exit }' "$T/heap.phase")
[ -n "$H" ] || bad "rec_files: malloc(1M) made no anonymous mapping"
[ -n "$H" ] && { [ "$(pages "$T/heap.phase" w "$H" $((1 << 20)))" = $(((1 << 20) / PS)) ] ||
    bad "rec_files: heap pages written: $(pages "$T/heap.phase" w "$H" $((1 << 20)))"; }

# --- fork, exec /bin/true in the child, wait, a crashing child; status 4
rec rec_fork 4
grep -E '^(fork|exec|exit|mark)' "$T/rec_fork.txt" | sed -E 's/[0-9]{2,}/N/g; s/ pid=N//' >"$T/fork.seq"
TRUE=$(readlink -f /bin/true)
# (the paths go through the same rewriting as the records: a build
# directory may have numbers in its path)
sed -E 's/[0-9]{2,}/N/g' >"$T/fork.want" <<END
exec N $RECBIN/rec_fork mapped
fork N N
exec N $TRUE mapped
exit N
mark waited
fork N N
exit N
exit N status=4
END
diff -u "$T/fork.want" "$T/fork.seq" >&2 || bad "rec_fork: fork/exec/exit records"
C=$(awk '$1 == "fork" { print $3; exit }' "$T/rec_fork.txt")
CA=$(addr_of "$T/rec_fork.txt" "^mmap $C 0x[0-9a-f]+ $((PS / 1024))K rw- private,anon$")
[ -n "$CA" ] && [ "$(pages "$T/rec_fork.txt" w "$CA" "$PS")" = 1 ] ||
    bad "rec_fork: the child's page write"

# --- a thread writes 4 pages of a buffer the main thread mapped
rec rec_thread 0
B=$(addr_of "$T/rec_thread.txt" "^mmap [0-9]+ 0x[0-9a-f]+ $((4 * PS / 1024))K rw- private,anon$")
between "$T/rec_thread.txt" threads joined >"$T/thread.phase"
TID=$(awk '$1 == "thread" { print $3; exit }' "$T/thread.phase")
if [ -z "$TID" ] || [ -z "$B" ]; then
    bad "rec_thread: no thread record or no buffer mapping"
else
    grep "^w $TID " "$T/thread.phase" >"$T/thread.w"
    [ "$(pages "$T/thread.w" w "$B" $((4 * PS)))" = 4 ] || bad "rec_thread: the thread's 4 pages"
    grep -q "^exit $TID$" "$T/thread.phase" || bad "rec_thread: no exit of the thread before the join"
fi

# --- killed with SIGKILL: exit 137, a valid trace holding the marker
rec rec_killed 137
grep -q '^mark before ' "$T/rec_killed.txt" || bad "rec_killed: the marker is lost"
"$VMREPLAY" info "$T/rec_killed.vmt" >/dev/null || bad "rec_killed: info fails"

# usage
"$VMREPLAY" record -o "$T/x.vmt" 2>/dev/null
[ $? -eq 2 ] || bad "record without PROGRAM: expected exit 2"
"$VMREPLAY" record --help | grep -q vmreplay-marker || bad "--help lacks the markers"
exit $fail
