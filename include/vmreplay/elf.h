/*
 * vmreplay/elf.h - program images: what execve needs to know of an ELF file.
 *
 * libelf reads the file once into struct vmr_image, a plain struct of
 * integers and strings (segments, entry, interpreter, needed libraries) that
 * the kernel maps on exec and that a recorder can store in a trace (see
 * vmr_image_serialize). Nothing here knows about the simulator.
 *
 * Paths named "inside the sysroot" are absolute paths as the simulated
 * program sees them ("/bin/true"); they are looked up under a sysroot
 * directory of the host (default "/"), with symbolic links resolved inside
 * it, as a chroot would.
 *
 * Errors return a negative VMR_E* code and, when errbuf is not NULL, a
 * message naming the file and what was wrong:
 *   VMR_ENOTFOUND  no such file under the sysroot (or a library not found)
 *   VMR_EIO        the file exists but cannot be read
 *   VMR_EFORMAT    not an ELF file, not an executable or shared object, or
 *                  inconsistent headers (segments, interpreter, dynamic data)
 *   VMR_ETRUNCATED headers or segment bytes past the end of the file
 *   VMR_EUNSUPPORTED  an ELF class or byte order libelf does not handle
 *   VMR_ENOMEM
 */
#ifndef VMREPLAY_ELF_H
#define VMREPLAY_ELF_H

#include "vmreplay/common.h"

/* e_type values kept (the ELF numbers). */
enum {
    VMR_ELF_EXEC = 2, /* ET_EXEC: loaded at its link addresses */
    VMR_ELF_DYN = 3,  /* ET_DYN: position independent (PIE, shared object) */
};

/* e_machine values the simulator knows the address-space layout of. */
enum {
    VMR_ELF_MACHINE_X86_64 = 62, /* EM_X86_64 */
};

/* One PT_LOAD program header. The segment occupies [vaddr, vaddr + memsz)
 * (before the load bias); its first filesz bytes are file bytes
 * [offset, offset + filesz), the rest (bss) is zero. Checked on load:
 * filesz <= memsz, the file bytes are inside the file, nothing overflows,
 * align is 0 or a power of two with vaddr = offset modulo align, and the
 * segments are sorted by vaddr without overlapping. */
struct vmr_segment {
    uint64_t vaddr;
    uint64_t memsz;
    uint64_t filesz;
    uint64_t offset;
    uint64_t align;
    uint32_t prot; /* VMR_PROT_* from p_flags */
};

struct vmr_image {
    char *path;        /* as given (inside the sysroot); "" for a memory buffer */
    uint8_t elf_class; /* 32 or 64 */
    uint8_t type;      /* VMR_ELF_EXEC or VMR_ELF_DYN */
    uint16_t machine;  /* e_machine */
    uint64_t entry;    /* e_entry, before the load bias */
    uint64_t file_size;
    struct vmr_segment *segments; /* n_segments >= 1, sorted by vaddr */
    size_t n_segments;
    char *interp;  /* PT_INTERP path, or NULL for a static program */
    char **needed; /* DT_NEEDED names in file order */
    size_t n_needed;
    char *soname;  /* DT_SONAME, or NULL */
    char *rpath;   /* DT_RPATH as in the file (colon list), or NULL */
    char *runpath; /* DT_RUNPATH, or NULL */
};

/*
 * Reads the ELF file `path` (absolute, inside the sysroot; sysroot NULL or
 * "" means "/") into *img, which the caller releases with vmr_image_release
 * (also after a failure). img->path is `path` as given.
 */
int vmr_image_load(struct vmr_image *img, const char *sysroot, const char *path, char *errbuf,
                   size_t errbuf_len);

/* Same from `size` bytes in memory (borrowed; not modified); `name` is used
 * in messages and as img->path. For fuzzing and embedded images. */
int vmr_image_load_mem(struct vmr_image *img, const char *name, const void *data, size_t size,
                       char *errbuf, size_t errbuf_len);

/* Frees what img owns and zeroes it. Accepts a zeroed struct. */
void vmr_image_release(struct vmr_image *img);

/* Lowest page-aligned start and highest end of the PT_LOAD segments, for a
 * page size `page` (a power of two): the span a loader reserves. */
void vmr_image_span(const struct vmr_image *img, uint64_t page, uint64_t *lo, uint64_t *hi);

/* ---- storing an image in a trace ---------------------------------------
 *
 * Version 1.0 of the byte form (all integers little-endian):
 *
 *   u8[4]  magic "VMRI"
 *   u16    major = 1, u16 minor = 0
 *   u8     elf_class, u8 type, u16 machine
 *   u64    entry, u64 file_size
 *   u32    n_segments (>= 1), then per segment:
 *          u64 vaddr, u64 memsz, u64 filesz, u64 offset, u64 align, u32 prot
 *   str    path, str interp, str soname, str rpath, str runpath
 *   u32    n_needed, then n_needed str
 *
 * where str is u32 n then n bytes without NUL, n = 0xffffffff for "absent"
 * (NULL). A reader refuses another major version and ignores bytes after
 * the fields it knows when the minor version is higher than its own (later
 * minors only append). The parsed image passes the same checks as one read
 * from a file.
 */
#define VMR_IMAGE_MAJOR 1
#define VMR_IMAGE_MINOR 0

/* Encodes img into a new buffer *out (the caller frees it) of *len bytes. */
int vmr_image_serialize(const struct vmr_image *img, uint8_t **out, size_t *len);

/* Decodes len bytes into *img (release it with vmr_image_release). Errors:
 * VMR_EFORMAT (bad magic, bad field), VMR_EVERSION, VMR_ETRUNCATED. */
int vmr_image_parse(struct vmr_image *img, const void *buf, size_t len, char *errbuf,
                    size_t errbuf_len);

/* ---- files under a sysroot and the library search ----------------------- */

/*
 * Resolves `path` (absolute, inside the sysroot) as a chroot would:
 * symbolic links are followed, absolute targets restarting at the sysroot,
 * ".." never leaving it. Sets *canonical (inside the sysroot, e.g.
 * "/usr/bin/true" for "/bin/true" on a merged-/usr system) and *host (the
 * host path to open); the caller frees both. Either pointer may be NULL.
 * Errors: VMR_ENOTFOUND (missing, or a loop of links), VMR_EINVAL (path not
 * absolute), VMR_ENOMEM.
 */
int vmr_sysroot_resolve(const char *sysroot, const char *path, char **canonical, char **host,
                        char *errbuf, size_t errbuf_len);

struct vmr_lib_resolver;

/* A resolver for one sysroot; it reads the sysroot's /etc/ld.so.cache (or,
 * without one, the directories of /etc/ld.so.conf and its includes) once. */
int vmr_lib_resolver_create(struct vmr_lib_resolver **out, const char *sysroot, char *errbuf,
                            size_t errbuf_len);
void vmr_lib_resolver_destroy(struct vmr_lib_resolver *r);

/*
 * Finds the DT_NEEDED `name` of `requester` the way glibc's ld.so does on
 * Debian (ld.so(8), without LD_LIBRARY_PATH, hwcaps subdirectories or
 * preloading):
 *   - a name with a '/' is a path (relative ones from the sysroot's root);
 *   - the DT_RPATH of the requester, then of `main` (the program), each
 *     only when that object has no DT_RUNPATH, and neither when the
 *     requester has a DT_RUNPATH;
 *   - the DT_RUNPATH of the requester;
 *   - /etc/ld.so.cache (entries for x86-64 libc6 libraries), or the
 *     ld.so.conf directories when the sysroot has no cache;
 *   - /lib/x86_64-linux-gnu, /usr/lib/x86_64-linux-gnu, /lib, /usr/lib.
 * In RPATH and RUNPATH, $ORIGIN (the directory of the object naming it),
 * $LIB ("lib/x86_64-linux-gnu") and $PLATFORM ("x86_64") are substituted,
 * braced or not; empty entries mean the current directory, taken as "/".
 * A candidate must be an ELF file of the requester's class and machine;
 * others are skipped, as ld.so does. On success *path (inside the sysroot,
 * as found, the caller frees it) names the library. `main` may be NULL or
 * the requester. Errors: VMR_ENOTFOUND (the message lists what was tried),
 * VMR_ENOMEM.
 */
int vmr_lib_resolve(struct vmr_lib_resolver *r, const char *name, const struct vmr_image *requester,
                    const struct vmr_image *main, char **path, char *errbuf, size_t errbuf_len);

#endif
