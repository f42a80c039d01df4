#!/bin/sh
# bench/record.sh - recording speed of `vmreplay record` (our Valgrind tool)
# against native runs and stock lackey, and trace bytes per access.
# Usage: sh bench/record.sh [VMREPLAY]   (default build/release/vmreplay)
# Prints a Markdown table; times are wall-clock seconds, best of 3 for
# native and vmrtrace, one run for lackey (it is slow). Lackey runs with
# --trace-mem=yes --log-file=FILE as its users run it; on most full inputs
# it takes minutes, so apart from ls -R /usr/include it is measured on
# smaller inputs (the "small" rows) and compared with vmrtrace on those.
# "nulgrind" is valgrind --tool=none: Valgrind's own cost, the floor of any
# Valgrind tool. python3 is /usr/bin/python3 (a PATH python3 may be a shell
# shim, whose children the recorder would follow).
set -u
V=${1:-build/release/vmreplay}
W=${TMPDIR:-/tmp}/vmr-bench-record
mkdir -p "$W"
# a deterministic 1 MiB text file of numbers (sort and gzip input), and a 64 KiB one
awk 'BEGIN { x = 12345; while (n < 1048576) { x = (x * 1103515245 + 12345) % 2147483648;
             s = x " " (x % 977) "\n"; printf "%s", s; n += length(s) } }' | head -c 1048576 >"$W/1m.txt"
head -c 65536 "$W/1m.txt" >"$W/64k.txt"
PY="import json; print(len(json.dumps([{'a': i, 'b': str(i)} for i in range(20000)])))"

best() { # best of 3 wall-clock seconds of "$@"
    b=
    for _ in 1 2 3; do
        s=$(date +%s.%N)
        "$@" >/dev/null 2>&1
        e=$(date +%s.%N)
        t=$(echo "$e - $s" | bc)
        if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then b=$t; fi
    done
    echo "$b"
}
once() {
    s=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    e=$(date +%s.%N)
    echo "$e - $s" | bc
}
rec() { "$V" record -q -o "$W/t.vmt" -- "$@"; }
none() { valgrind --tool=none "$@"; }
lackey() { valgrind --tool=lackey --trace-mem=yes --log-file="$W/lackey.log" "$@"; }
bpa() { # bytes per access of the last recording
    "$V" record -o "$W/t.vmt" -- "$@" 2>&1 >/dev/null | sed -n 's/.*(\([0-9.]*\) bytes\/access).*/\1/p'
}
accesses() {
    "$V" info "$W/t.vmt" | sed -n 's/^accesses: *\([0-9]*\).*/\1/p'
}

echo "| program | native s | nulgrind s | vmrtrace s | vmrtrace / native | accesses | trace bytes / access | lackey s | lackey / vmrtrace |"
echo "|---|---|---|---|---|---|---|---|---|"
row() { # NAME LACKEY(yes|no) CMD...
    name=$1 lk=$2
    shift 2
    n=$(best "$@")
    z=$(best none "$@")
    r=$(best rec "$@")
    b=$(bpa "$@")
    a=$(accesses)
    if [ "$lk" = yes ]; then
        l=$(printf '%.1f' "$(once lackey "$@")")
        lr=$(echo "scale=1; $l / $r" | bc)
    else
        l="—"
        lr="—"
    fi
    printf '| %s | %.3f | %.2f | %.2f | %.0f× | %s | %s | %s | %s |\n' "$name" "$n" "$z" "$r" \
        "$(echo "$r / $n" | bc -l)" "$a" "$b" "$l" "$lr"
}
row 'ls -R /usr/include' yes ls -R /usr/include
row 'gzip -c 1 MiB' no gzip -c "$W/1m.txt"
row 'sort 1 MiB' no sort "$W/1m.txt"
row 'python3 -c (json of 20k dicts)' no /usr/bin/python3 -c "$PY"
row 'small: ls -R /usr/include/linux' yes ls -R /usr/include/linux
row 'small: gzip -c 64 KiB' yes gzip -c "$W/64k.txt"
row 'small: sort 64 KiB' yes sort "$W/64k.txt"
row 'small: python3 -c pass' yes /usr/bin/python3 -c pass
rm -rf "$W"
