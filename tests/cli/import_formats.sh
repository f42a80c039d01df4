#!/bin/sh
# `vmreplay import`: every format on a small input whose records are worked
# out by hand (golden text, metadata lines dropped), gzip and zstd input,
# --block-size, --dense, --csv; and bad input: file and line or byte offset,
# exit 1, no output left behind; usage errors exit 2.
set -u
: "${VMREPLAY:?}" "${TESTTMP:?}"
. "${SRCDIR:?}/tests/lib/cli.sh"
T=$TESTTMP
# golden NAME FORMAT INPUT [options...]: imports INPUT, compares the text
# form (without meta lines) with $T/NAME.want
golden() {
    name=$1 fmt=$2 in=$3
    shift 3
    if ! "$VMREPLAY" import "$fmt" "$in" -o "$T/$name.vmt" "$@" 2>"$T/err"; then
        bad "$name: import failed: $(cat "$T/err")"
        return
    fi
    "$VMREPLAY" cat "$T/$name.vmt" | grep -v '^meta ' >"$T/$name.got"
    diff -u "$T/$name.want" "$T/$name.got" >&2 || bad "$name: records differ"
}
# rejects NAME FORMAT INPUT 'message part' [options...]
rejects() {
    name=$1 fmt=$2 in=$3 msg=$4
    shift 4
    "$VMREPLAY" import "$fmt" "$in" -o "$T/$name.vmt" "$@" 2>"$T/err"
    st=$?
    [ $st -eq 1 ] || bad "$name: exit $st, expected 1"
    grep -qF -- "$msg" "$T/err" || bad "$name: message '$(cat "$T/err")' lacks '$msg'"
    [ ! -e "$T/$name.vmt" ] || bad "$name: output left behind"
}

# lackey: fetch, load, store, modify (= write); a repeated load collapses;
# valgrind and syscall lines skipped; the store at 0x11ffc crosses into page
# 0x12, so one area of three pages at 0x10000, one at 0x4000000.
cat >"$T/l.log" <<'END'
==123== Lackey, an example Valgrind tool
I  00010ff8,4
 L 00010000,8
 L 00010000,8
SYSCALL[123,1](12) sys_brk ( 0x0 ) --> [pre-success] Success(0x4035000)
 --> [pre-fail] Failure(0x26)
 S 00011ffc,8
 M 04000010,4
END
cat >"$T/lackey.want" <<'END'
mmap 1 0x10000 12K rwx private,anon
mmap 1 0x4000000 4K rwx private,anon
x 1 0x10ff8 4
r 1 0x10000 8 *2
w 1 0x11ffc 8
w 1 0x4000010 4
END
golden lackey lackey "$T/l.log"

# din: labels 0/1/2, 3 and 4 skipped, hex with and without 0x; --pid
printf '0 1000\n1 0x1004\n2 2000\n3 0\n4 0\n\n# comment\n' >"$T/d.din"
cat >"$T/din.want" <<'END'
mmap 7 0x1000 8K rwx private,anon
r 7 0x1000
w 7 0x1004
x 7 0x2000
END
golden din din "$T/d.din" --pid 7

# pinatrace, with and without a size, #eof
printf '0x401000: W 0x7ffd0000\n0x401004: R 0x7ffd0008 8\n#eof\n' >"$T/p.out"
cat >"$T/pinatrace.want" <<'END'
mmap 1 0x7ffd0000 4K rwx private,anon
w 1 0x7ffd0000
r 1 0x7ffd0008 8
END
golden pinatrace pinatrace "$T/p.out"

# txt: ids are pages of one area at 0x100000000 sized by the largest id
printf '3\n0\n3\n3\n0x2\n' >"$T/t.txt"
cat >"$T/txt.want" <<'END'
mmap 1 0x100000000 16K rw- private,anon
r 1 0x100003000 4096
r 1 0x100000000 4096
r 1 0x100003000 4096 *2
r 1 0x100002000 4096
END
golden txt txt "$T/t.txt"
gzip -c "$T/t.txt" >"$T/t.txt.gz"
cp "$T/txt.want" "$T/txtgz.want"
golden txtgz txt "$T/t.txt.gz"
# two gzip members, as `cat a.gz b.gz` makes
cat "$T/t.txt.gz" "$T/t.txt.gz" >"$T/t2.txt.gz"
{ cat "$T/txt.want"; grep '^r' "$T/txt.want"; } >"$T/txtgz2.want"
golden txtgz2 txt "$T/t2.txt.gz"
# --dense: 1000000, 5, 1000000 become 0, 1, 0
printf '1000000\n5\n1000000\n' >"$T/dense.txt"
cat >"$T/dense.want" <<'END'
mmap 1 0x100000000 8K rw- private,anon
r 1 0x100000000 4096
r 1 0x100001000 4096
r 1 0x100000000 4096
END
golden dense txt "$T/dense.txt" --dense

# arc: a request expands to its blocks
printf '5 3 0 1\n0 1 0 2\n' >"$T/a.lis"
zstd -q -c "$T/a.lis" >"$T/a.lis.zst"
cat >"$T/arc.want" <<'END'
mmap 1 0x100000000 32K rw- private,anon
r 1 0x100005000 4096
r 1 0x100006000 4096
r 1 0x100007000 4096
r 1 0x100000000 4096
END
golden arc arc "$T/a.lis.zst"

# lirs: big-endian int32 (1, 258, 1)
printf '\000\000\000\001\000\000\001\002\000\000\000\001' >"$T/l.trc"
cat >"$T/lirs.want" <<'END'
mmap 1 0x100000000 1036K rw- private,anon
r 1 0x100001000 4096
r 1 0x100102000 4096
r 1 0x100001000 4096
END
golden lirs lirs "$T/l.trc"

# oraclegeneral: ids 2 (size 5000) and 0 (size 100); with 4K blocks object 2
# takes 2 pages and every object gets a slot of 2 pages
og() { # time id size next: 24 little-endian bytes
    printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $(( $1 & 255 )) 0 0 0)"
    printf "$(printf '\\%03o\\%03o\\%03o\\%03o\\%03o\\%03o\\%03o\\%03o' $(( $2 & 255 )) 0 0 0 0 0 0 0)"
    printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $(( $3 & 255 )) $(( ($3 >> 8) & 255 )) 0 0)"
    printf '\377\377\377\377\377\377\377\377'
}
{ og 1 2 5000; og 2 0 100; } >"$T/o.bin"
cat >"$T/og.want" <<'END'
mmap 1 0x100000000 12K rw- private,anon
r 1 0x100002000 4096
r 1 0x100000000 4096
END
golden og oraclegeneral "$T/o.bin"
cat >"$T/ogblock.want" <<'END'
mmap 1 0x100000000 24K rw- private,anon
r 1 0x100004000 4096
r 1 0x100005000 4096
r 1 0x100000000 4096
END
golden ogblock oraclegeneral "$T/o.bin" --block-size 4K

# csv with header, tab-free spaces, id in column 2, size in 3
printf 'time,id,size\n1, 4 ,10\n2,1,9000\n' >"$T/c.csv"
cat >"$T/csv.want" <<'END'
mmap 1 0x100000000 20K rw- private,anon
r 1 0x100004000 4096
r 1 0x100001000 4096
END
golden csv csv "$T/c.csv" --csv 'time-col=1,obj-id-col=2,obj-size-col=3,delimiter=,,has-header=true'
# with 4K blocks the 9000-byte object takes 3 pages: slots of 3 pages
cat >"$T/csvblock.want" <<'END'
mmap 1 0x100000000 60K rw- private,anon
r 1 0x10000c000 4096
r 1 0x100003000 4096
r 1 0x100004000 4096
r 1 0x100005000 4096
END
golden csvblock csv "$T/c.csv" --csv 'obj-id-col=2,obj-size-col=3,has-header=true' --block-size 4K
printf '1;4\n2;1\n' >"$T/c2.csv"
cat >"$T/csvsemi.want" <<'END'
mmap 1 0x100000000 20K rw- private,anon
r 1 0x100004000 4096
r 1 0x100001000 4096
END
golden csvsemi csv "$T/c2.csv" --csv 'obj-id-col=2,delimiter=;'

# bad input: file and line or byte offset, exit 1
printf 'I  00010ff8,4\n X 1000,4\n' >"$T/bad.log"
rejects lackey_bad lackey "$T/bad.log" "bad.log:2:"
printf 'I  zz,4\n' >"$T/bad2.log"
rejects lackey_addr lackey "$T/bad2.log" "bad2.log:1: bad address"
printf 'I  10,0\n' >"$T/bad3.log"
rejects lackey_size lackey "$T/bad3.log" "bad3.log:1: bad size"
printf '0 1000\n9 1000\n' >"$T/bad.din"
rejects din_label din "$T/bad.din" "bad.din:2: label '9'"
printf '0x1: X 0x10\n' >"$T/bad.pin"
rejects pin_op pinatrace "$T/bad.pin" "bad.pin:1: 'X'"
printf '1\nabc\n' >"$T/bad.txt"
rejects txt_id txt "$T/bad.txt" "bad.txt:2:"
printf '1 0 0 1\n' >"$T/bad.lis"
rejects arc_zero arc "$T/bad.lis" "bad.lis:1: block count"
printf '\000\000\000\001\377\000\000\001' >"$T/neg.trc"
rejects lirs_neg lirs "$T/neg.trc" "neg.trc: byte 4: negative block number"
printf '\000\000\000\001\000\000' >"$T/short.trc"
rejects lirs_short lirs "$T/short.trc" "short.trc: byte 4: partial record"
head -c 30 "$T/o.bin" >"$T/short.bin"
rejects og_short oraclegeneral "$T/short.bin" "short.bin: byte 24: partial record"
head -c 20 "$T/t.txt.gz" >"$T/trunc.txt.gz"
rejects gz_trunc txt "$T/trunc.txt.gz" "trunc.txt.gz: byte"
printf '1\n' >"$T/one.csv"
rejects csv_spec csv "$T/one.csv" "csv spec" --csv 'colour=blue'
printf '1,2\n3\n' >"$T/short.csv"
rejects csv_col csv "$T/short.csv" "short.csv:2: no column 2" --csv 'obj-id-col=2'
printf '18446744073709551615\n' >"$T/huge.txt"
rejects txt_huge txt "$T/huge.txt" "--dense"
rejects missing txt "$T/does-not-exist" "does-not-exist"

# usage errors exit 2
for args in "nosuch $T/t.txt -o $T/u.vmt" "txt $T/t.txt" "txt - -o $T/u.vmt" \
    "txt $T/t.txt -o $T/u.vmt --csv x" "txt $T/t.txt -o $T/u.vmt --block-size 0"; do
    # shellcheck disable=SC2086
    "$VMREPLAY" import $args 2>/dev/null
    st=$?
    [ $st -eq 2 ] || bad "import $args: exit $st, expected 2"
done
"$VMREPLAY" import --help | grep -q 'pinatrace' || bad "--help lacks the formats"
"$VMREPLAY" info "$T/arc.vmt" | grep -q 'recorder = import:arc' || bad "no recorder metadata"
exit $fail
