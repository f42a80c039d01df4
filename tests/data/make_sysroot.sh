#!/bin/sh
# Rebuilds tests/data/sysroot: a tiny machine image for the exec tests and
# the ELF fuzz seeds. The files are checked in (the scenario tests' expected
# addresses and counts depend on their exact layout, which another linker
# version could change), so run this only to change them, then update the
# scenarios that use them. Needs gcc and binutils (x86-64).
#
#   bin/tiny-static   ET_EXEC at 0x400000: text r-x, data rw- whose bss runs
#                     two pages past the file bytes, entry _start
#   bin/tiny-dyn      ET_DYN (PIE), PT_INTERP /lib64/ld-tiny.so.2, needs
#                     libtiny.so.1, RUNPATH $ORIGIN/../lib/tiny
#   lib64/ld-tiny.so.2 -> /lib/x86_64-linux-gnu/ld-tiny.so.2 (absolute link)
#   lib/tiny/libtiny.so.1   needs libdep.so.1 and ld-tiny.so.2 (as libc
#                     needs ld-linux: resolved to the interpreter)
#   opt/tiny/libdep.so.1    found through etc/ld.so.conf's include
#   bin/not-elf, bin/truncated   malformed programs
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$here/sysroot
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rm -rf "$root"
mkdir -p "$root/bin" "$root/lib64" "$root/lib/x86_64-linux-gnu" "$root/lib/tiny" \
    "$root/opt/tiny" "$root/etc/ld.so.conf.d"
CFLAGS="-O1 -nostdlib -fno-asynchronous-unwind-tables -fno-stack-protector -fcf-protection=none"
LDFLAGS="-Wl,--build-id=none -Wl,-z,noseparate-code -Wl,-z,max-page-size=4096 -Wl,--hash-style=gnu -s"

cat >"$tmp/static.c" <<'C'
int counter = 1;                 /* .data */
char big[3 * 4096];              /* .bss, three pages */
void _start(void)
{
    for (int i = 0; i < (int)sizeof big; i += 4096)
        big[i] = (char)counter;
    __asm__ volatile("mov $60, %eax\n xor %edi, %edi\n syscall");
    for (;;)
        ;
}
C
gcc $CFLAGS -static -no-pie $LDFLAGS -o "$root/bin/tiny-static" "$tmp/static.c"

cat >"$tmp/dep.c" <<'C'
int dep_value = 7;
int dep(void) { return dep_value; }
C
gcc $CFLAGS -fPIC -shared $LDFLAGS -Wl,-soname,libdep.so.1 -o "$root/opt/tiny/libdep.so.1" "$tmp/dep.c"

cat >"$tmp/ld.c" <<'C'
int ld_state[64];
void _start(void) { for (;;) ; }
C
gcc $CFLAGS -fPIC -shared $LDFLAGS -Wl,-soname,ld-tiny.so.2 -Wl,-e,_start \
    -o "$root/lib/x86_64-linux-gnu/ld-tiny.so.2" "$tmp/ld.c"
ln -s /lib/x86_64-linux-gnu/ld-tiny.so.2 "$root/lib64/ld-tiny.so.2"

cat >"$tmp/tiny.c" <<'C'
extern int dep(void);
int tiny_data[2000] = {1};       /* data spanning pages */
int tiny(void) { return dep() + tiny_data[0]; }
C
gcc $CFLAGS -fPIC -shared $LDFLAGS -Wl,-soname,libtiny.so.1 -Wl,--no-as-needed \
    -o "$root/lib/tiny/libtiny.so.1" "$tmp/tiny.c" \
    "$root/opt/tiny/libdep.so.1" "$root/lib/x86_64-linux-gnu/ld-tiny.so.2"

cat >"$tmp/dyn.c" <<'C'
extern int tiny(void);
int value;
void _start(void) { value = tiny(); for (;;) ; }
C
gcc $CFLAGS -fPIE -pie $LDFLAGS -Wl,--dynamic-linker=/lib64/ld-tiny.so.2 \
    -Wl,--enable-new-dtags -Wl,-rpath,'$ORIGIN/../lib/tiny' \
    -Wl,-rpath-link,"$root/opt/tiny:$root/lib/x86_64-linux-gnu" \
    -o "$root/bin/tiny-dyn" "$tmp/dyn.c" "$root/lib/tiny/libtiny.so.1"

printf 'include /etc/ld.so.conf.d/*.conf\n' >"$root/etc/ld.so.conf"
printf '# the tiny libraries\n/opt/tiny\n' >"$root/etc/ld.so.conf.d/tiny.conf"
printf '#!/bin/sh\necho not an ELF file\n' >"$root/bin/not-elf"
head -c 100 "$root/bin/tiny-static" >"$root/bin/truncated"
ls -l "$root/bin" "$root/lib/tiny" "$root/opt/tiny" "$root/lib/x86_64-linux-gnu"
