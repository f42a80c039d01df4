/*
 * image.c - reads an ELF file with libelf into struct vmr_image.
 *
 * Only what execve and ld.so look at is read, and only through the program
 * headers (section headers may be stripped or lie): PT_LOAD segments,
 * PT_INTERP, and PT_DYNAMIC with the string table it points to. Every
 * offset and size is checked against the file before libelf is asked for
 * the bytes, so a malformed file is an error message, never an
 * out-of-bounds read. The identification bytes are checked by hand first,
 * to tell "not ELF" from "truncated" from "unsupported class" precisely.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vec.h"
#include "vmreplay/elf.h"

#define MAX_PHDR_BYTES 65536 /* Linux refuses larger program header tables */
#define MAX_NEEDED     4096
#define MAX_STR        4096 /* paths and names: PATH_MAX */

struct loader {
    struct vmr_image *img;
    Elf *elf;
    const unsigned char *bytes;
    uint64_t size;
    const char *name;
    char *errbuf;
    size_t errlen;
};

#define FAIL(ld, code, ...)                                                                        \
    do {                                                                                           \
        vmr_errf((ld)->errbuf, (ld)->errlen, __VA_ARGS__);                                         \
        return (code);                                                                             \
    } while (0)

void vmr_image_release(struct vmr_image *img)
{
    if (!img)
        return;
    free(img->path);
    free(img->segments);
    free(img->interp);
    for (size_t i = 0; i < img->n_needed; i++)
        free(img->needed[i]);
    free(img->needed);
    free(img->soname);
    free(img->rpath);
    free(img->runpath);
    memset(img, 0, sizeof *img);
}

void vmr_image_span(const struct vmr_image *img, uint64_t page, uint64_t *lo, uint64_t *hi)
{
    *lo = *hi = 0;
    if (img->n_segments == 0)
        return;
    const struct vmr_segment *a = &img->segments[0], *z = &img->segments[img->n_segments - 1];
    *lo = a->vaddr & ~(page - 1);
    uint64_t end = z->vaddr + z->memsz;
    *hi = end + ((page - (end & (page - 1))) & (page - 1));
}

static int in_file(const struct loader *ld, uint64_t off, uint64_t len)
{
    return off <= ld->size && len <= ld->size - off;
}

static unsigned prot_of(uint32_t p_flags)
{
    return (p_flags & PF_R ? VMR_PROT_READ : 0) | (p_flags & PF_W ? VMR_PROT_WRITE : 0) |
           (p_flags & PF_X ? VMR_PROT_EXEC : 0);
}

/* Checks the identification bytes and the header size by hand. */
static int check_ident(struct loader *ld)
{
    const unsigned char *b = ld->bytes;
    if (ld->size < 4 || memcmp(b, ELFMAG, SELFMAG) != 0)
        FAIL(ld, VMR_EFORMAT, "%s: not an ELF file (%s)", ld->name,
             ld->size == 0 ? "empty" : "no \\x7fELF magic");
    if (ld->size < EI_NIDENT)
        FAIL(ld, VMR_ETRUNCATED, "%s: truncated ELF identification (%llu bytes)", ld->name,
             (unsigned long long)ld->size);
    if (b[EI_CLASS] != ELFCLASS32 && b[EI_CLASS] != ELFCLASS64)
        FAIL(ld, VMR_EUNSUPPORTED, "%s: unsupported ELF class %u", ld->name, b[EI_CLASS]);
    if (b[EI_DATA] != ELFDATA2LSB && b[EI_DATA] != ELFDATA2MSB)
        FAIL(ld, VMR_EUNSUPPORTED, "%s: unsupported ELF byte order %u", ld->name, b[EI_DATA]);
    if (b[EI_VERSION] != EV_CURRENT)
        FAIL(ld, VMR_EUNSUPPORTED, "%s: unsupported ELF version %u", ld->name, b[EI_VERSION]);
    size_t ehdr = b[EI_CLASS] == ELFCLASS64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
    if (ld->size < ehdr)
        FAIL(ld, VMR_ETRUNCATED, "%s: truncated ELF header (%llu of %zu bytes)", ld->name,
             (unsigned long long)ld->size, ehdr);
    return 0;
}

/* The file offset of virtual address `va` (link-time), through PT_LOADs. */
static int va_to_off(const struct vmr_image *img, uint64_t va, uint64_t *off, uint64_t *avail)
{
    for (size_t i = 0; i < img->n_segments; i++) {
        const struct vmr_segment *s = &img->segments[i];
        if (va >= s->vaddr && va - s->vaddr < s->filesz) {
            *off = s->offset + (va - s->vaddr);
            *avail = s->filesz - (va - s->vaddr);
            return 0;
        }
    }
    return -1;
}

/* A NUL-terminated string at table[idx] of a table of `size` bytes at file
 * offset `tab` (already checked to be inside the file). */
static int dyn_string(struct loader *ld, uint64_t tab, uint64_t size, uint64_t idx,
                      const char *what, char **out)
{
    if (idx >= size)
        FAIL(ld, VMR_EFORMAT, "%s: %s string at %llu is outside the string table (%llu bytes)",
             ld->name, what, (unsigned long long)idx, (unsigned long long)size);
    const char *s = (const char *)ld->bytes + tab + idx;
    size_t max = size - idx < MAX_STR ? (size_t)(size - idx) : MAX_STR;
    size_t n = strnlen(s, max);
    if (n == max)
        FAIL(ld, VMR_EFORMAT, "%s: %s string at %llu is not terminated", ld->name, what,
             (unsigned long long)idx);
    *out = vmr_strdup(s);
    return *out ? 0 : VMR_ENOMEM;
}

static int read_dynamic(struct loader *ld, const GElf_Phdr *ph)
{
    struct vmr_image *img = ld->img;
    if (!in_file(ld, ph->p_offset, ph->p_filesz))
        FAIL(
            ld, VMR_ETRUNCATED,
            "%s: truncated: PT_DYNAMIC bytes [%#llx, +%#llx) past the end of the file (%llu bytes)",
            ld->name, (unsigned long long)ph->p_offset, (unsigned long long)ph->p_filesz,
            (unsigned long long)ld->size);
    size_t ent = gelf_fsize(ld->elf, ELF_T_DYN, 1, EV_CURRENT);
    size_t n = ent ? (size_t)(ph->p_filesz / ent) : 0;
    if (n == 0)
        return 0;
    Elf_Data *d = elf_getdata_rawchunk(ld->elf, (int64_t)ph->p_offset, n * ent, ELF_T_DYN);
    if (!d)
        FAIL(ld, VMR_EFORMAT, "%s: unreadable PT_DYNAMIC: %s", ld->name, elf_errmsg(-1));
    uint64_t strtab = 0, strsz = 0;
    int have_strtab = 0, have_strsz = 0;
    size_t n_needed = 0;
    for (size_t i = 0; i < n; i++) {
        GElf_Dyn dyn;
        if (!gelf_getdyn(d, (int)i, &dyn))
            FAIL(ld, VMR_EFORMAT, "%s: dynamic entry %zu: %s", ld->name, i, elf_errmsg(-1));
        if (dyn.d_tag == DT_NULL) {
            n = i;
            break;
        }
        if (dyn.d_tag == DT_STRTAB) {
            strtab = dyn.d_un.d_ptr;
            have_strtab = 1;
        } else if (dyn.d_tag == DT_STRSZ) {
            strsz = dyn.d_un.d_val;
            have_strsz = 1;
        } else if (dyn.d_tag == DT_NEEDED) {
            n_needed++;
        }
    }
    if (n_needed > MAX_NEEDED)
        FAIL(ld, VMR_EFORMAT, "%s: %zu DT_NEEDED entries (at most %d)", ld->name, n_needed,
             MAX_NEEDED);
    int wants_strings = n_needed > 0;
    for (size_t i = 0; i < n && !wants_strings; i++) {
        GElf_Dyn dyn;
        gelf_getdyn(d, (int)i, &dyn);
        wants_strings = dyn.d_tag == DT_SONAME || dyn.d_tag == DT_RPATH || dyn.d_tag == DT_RUNPATH;
    }
    if (!wants_strings)
        return 0;
    if (!have_strtab || !have_strsz)
        FAIL(ld, VMR_EFORMAT, "%s: dynamic section names libraries but has no DT_STRTAB/DT_STRSZ",
             ld->name);
    uint64_t tab, avail;
    if (va_to_off(img, strtab, &tab, &avail) != 0)
        FAIL(ld, VMR_EFORMAT, "%s: DT_STRTAB %#llx is not inside a loaded segment's file bytes",
             ld->name, (unsigned long long)strtab);
    if (strsz > avail)
        FAIL(ld, VMR_EFORMAT, "%s: DT_STRSZ %llu runs past the segment holding DT_STRTAB", ld->name,
             (unsigned long long)strsz);
    if (n_needed && !(img->needed = calloc(n_needed, sizeof *img->needed)))
        return VMR_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        GElf_Dyn dyn;
        gelf_getdyn(d, (int)i, &dyn);
        char **dst = NULL;
        const char *what = NULL;
        switch (dyn.d_tag) {
        case DT_NEEDED:
            dst = &img->needed[img->n_needed++];
            what = "DT_NEEDED";
            break;
        case DT_SONAME:
            dst = &img->soname;
            what = "DT_SONAME";
            break;
        case DT_RPATH:
            dst = &img->rpath;
            what = "DT_RPATH";
            break;
        case DT_RUNPATH:
            dst = &img->runpath;
            what = "DT_RUNPATH";
            break;
        default:
            continue;
        }
        if (*dst) /* a repeated SONAME/RPATH/RUNPATH: ld.so uses the last */
            free(*dst), *dst = NULL;
        int rc = dyn_string(ld, tab, strsz, dyn.d_un.d_val, what, dst);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int read_interp(struct loader *ld, const GElf_Phdr *ph)
{
    if (ld->img->interp)
        return 0; /* Linux uses the first PT_INTERP */
    if (!in_file(ld, ph->p_offset, ph->p_filesz))
        FAIL(ld, VMR_ETRUNCATED,
             "%s: truncated: PT_INTERP bytes [%#llx, +%#llx) past the end of the file (%llu bytes)",
             ld->name, (unsigned long long)ph->p_offset, (unsigned long long)ph->p_filesz,
             (unsigned long long)ld->size);
    const char *s = (const char *)ld->bytes + ph->p_offset;
    if (ph->p_filesz < 2 || ph->p_filesz > MAX_STR || s[ph->p_filesz - 1] != 0 ||
        strlen(s) != ph->p_filesz - 1)
        FAIL(ld, VMR_EFORMAT, "%s: PT_INTERP is not one NUL-terminated path of 1 to %d bytes",
             ld->name, MAX_STR - 1);
    ld->img->interp = vmr_strdup(s);
    return ld->img->interp ? 0 : VMR_ENOMEM;
}

static int check_load(struct loader *ld, size_t idx, const GElf_Phdr *ph,
                      const struct vmr_segment *prev)
{
    const char *n = ld->name;
    if (ph->p_filesz > ph->p_memsz)
        FAIL(ld, VMR_EFORMAT, "%s: segment %zu: file size %#llx larger than memory size %#llx", n,
             idx, (unsigned long long)ph->p_filesz, (unsigned long long)ph->p_memsz);
    if (!in_file(ld, ph->p_offset, ph->p_filesz))
        FAIL(ld, VMR_ETRUNCATED,
             "%s: truncated: segment %zu: file bytes [%#llx, +%#llx) past the end of the file "
             "(%llu bytes)",
             n, idx, (unsigned long long)ph->p_offset, (unsigned long long)ph->p_filesz,
             (unsigned long long)ld->size);
    if (ph->p_vaddr + ph->p_memsz < ph->p_vaddr || ph->p_vaddr + ph->p_memsz > (1ULL << 63))
        FAIL(ld, VMR_EFORMAT, "%s: segment %zu: addresses [%#llx, +%#llx) overflow", n, idx,
             (unsigned long long)ph->p_vaddr, (unsigned long long)ph->p_memsz);
    if (ph->p_align > 1 &&
        ((ph->p_align & (ph->p_align - 1)) != 0 || (ph->p_vaddr - ph->p_offset) % ph->p_align != 0))
        FAIL(ld, VMR_EFORMAT,
             "%s: segment %zu: alignment %#llx is not a power of two dividing vaddr - offset "
             "(%#llx - %#llx)",
             n, idx, (unsigned long long)ph->p_align, (unsigned long long)ph->p_vaddr,
             (unsigned long long)ph->p_offset);
    if (prev && ph->p_vaddr < prev->vaddr + prev->memsz)
        FAIL(ld, VMR_EFORMAT,
             "%s: segment %zu at %#llx overlaps or precedes the segment before it, ending at "
             "%#llx",
             n, idx, (unsigned long long)ph->p_vaddr,
             (unsigned long long)(prev->vaddr + prev->memsz));
    return 0;
}

static int load(struct loader *ld)
{
    struct vmr_image *img = ld->img;
    int rc = check_ident(ld);
    if (rc != 0)
        return rc;
    if (elf_version(EV_CURRENT) == EV_NONE)
        FAIL(ld, VMR_EUNSUPPORTED, "libelf: %s", elf_errmsg(-1));
    ld->elf = elf_memory((char *)(uintptr_t)ld->bytes, (size_t)ld->size);
    GElf_Ehdr eh;
    if (!ld->elf || elf_kind(ld->elf) != ELF_K_ELF || !gelf_getehdr(ld->elf, &eh))
        FAIL(ld, VMR_EFORMAT, "%s: bad ELF header: %s", ld->name, elf_errmsg(-1));
    img->elf_class = ld->bytes[EI_CLASS] == ELFCLASS64 ? 64 : 32;
    img->machine = eh.e_machine;
    img->entry = eh.e_entry;
    img->file_size = ld->size;
    if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
        FAIL(ld, VMR_EFORMAT, "%s: ELF type %u is not an executable or shared object", ld->name,
             (unsigned)eh.e_type);
    img->type = (uint8_t)eh.e_type;
    /* e_phnum as written: libelf clips the count to what the file holds,
     * which would hide a truncation */
    size_t phnum = eh.e_phnum;
    if (phnum == PN_XNUM && elf_getphdrnum(ld->elf, &phnum) != 0)
        FAIL(ld, VMR_EFORMAT, "%s: bad program header count: %s", ld->name, elf_errmsg(-1));
    size_t phent = gelf_fsize(ld->elf, ELF_T_PHDR, 1, EV_CURRENT);
    if (phnum == 0)
        FAIL(ld, VMR_EFORMAT, "%s: no program headers", ld->name);
    if (eh.e_phentsize != phent)
        FAIL(ld, VMR_EFORMAT, "%s: program header entry size %u, expected %zu", ld->name,
             (unsigned)eh.e_phentsize, phent);
    if (phnum > MAX_PHDR_BYTES / phent)
        FAIL(ld, VMR_EFORMAT, "%s: %zu program headers (more than %d bytes)", ld->name, phnum,
             MAX_PHDR_BYTES);
    if (!in_file(ld, eh.e_phoff, (uint64_t)phnum * phent))
        FAIL(ld, VMR_ETRUNCATED,
             "%s: truncated: program headers [%#llx, +%zu) past the end of the file (%llu bytes)",
             ld->name, (unsigned long long)eh.e_phoff, phnum * phent, (unsigned long long)ld->size);
    size_t n_load = 0;
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(ld->elf, (int)i, &ph))
            FAIL(ld, VMR_EFORMAT, "%s: program header %zu: %s", ld->name, i, elf_errmsg(-1));
        n_load += ph.p_type == PT_LOAD;
    }
    if (n_load == 0)
        FAIL(ld, VMR_EFORMAT, "%s: no PT_LOAD segment", ld->name);
    img->segments = calloc(n_load, sizeof *img->segments);
    if (!img->segments)
        return VMR_ENOMEM;
    GElf_Phdr dyn = {0};
    int have_dyn = 0;
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr ph;
        gelf_getphdr(ld->elf, (int)i, &ph);
        if (ph.p_type == PT_LOAD) {
            struct vmr_segment *prev = img->n_segments ? &img->segments[img->n_segments - 1] : NULL;
            if ((rc = check_load(ld, img->n_segments, &ph, prev)) != 0)
                return rc;
            img->segments[img->n_segments++] = (struct vmr_segment){
                .vaddr = ph.p_vaddr,
                .memsz = ph.p_memsz,
                .filesz = ph.p_filesz,
                .offset = ph.p_offset,
                .align = ph.p_align,
                .prot = prot_of(ph.p_flags),
            };
        } else if (ph.p_type == PT_INTERP) {
            if ((rc = read_interp(ld, &ph)) != 0)
                return rc;
        } else if (ph.p_type == PT_DYNAMIC && !have_dyn) {
            dyn = ph;
            have_dyn = 1;
        }
    }
    /* after the segments: the string table is found through them */
    return have_dyn ? read_dynamic(ld, &dyn) : 0;
}

static int load_bytes(struct vmr_image *img, const char *name, const unsigned char *bytes,
                      uint64_t size, char *errbuf, size_t errbuf_len)
{
    struct loader ld = {.img = img,
                        .bytes = bytes,
                        .size = size,
                        .name = name,
                        .errbuf = errbuf,
                        .errlen = errbuf_len};
    int rc = load(&ld);
    if (ld.elf)
        elf_end(ld.elf);
    if (rc == VMR_ENOMEM)
        vmr_errf(errbuf, errbuf_len, "%s: out of memory", name);
    return rc;
}

int vmr_image_load_mem(struct vmr_image *img, const char *name, const void *data, size_t size,
                       char *errbuf, size_t errbuf_len)
{
    memset(img, 0, sizeof *img);
    if (!(img->path = vmr_strdup(name ? name : "")))
        return VMR_ENOMEM;
    /* libelf takes a writable pointer; give it a copy so `data` stays
     * untouched whatever it does */
    unsigned char *copy = malloc(size ? size : 1);
    if (!copy)
        return VMR_ENOMEM;
    if (size)
        memcpy(copy, data, size);
    int rc = load_bytes(img, img->path, copy, size, errbuf, errbuf_len);
    free(copy);
    return rc;
}

int vmr_image_load(struct vmr_image *img, const char *sysroot, const char *path, char *errbuf,
                   size_t errbuf_len)
{
    memset(img, 0, sizeof *img);
    char *host = NULL;
    int rc = vmr_sysroot_resolve(sysroot, path, NULL, &host, errbuf, errbuf_len);
    if (rc != 0)
        return rc;
    if (!(img->path = vmr_strdup(path))) {
        free(host);
        return VMR_ENOMEM;
    }
    int fd = open(host, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        vmr_errf(errbuf, errbuf_len, "%s: cannot open %s: %s", path, host, strerror(errno));
        rc = errno == ENOENT ? VMR_ENOTFOUND : VMR_EIO;
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        vmr_errf(errbuf, errbuf_len, "%s: not a regular file", path);
        rc = VMR_EFORMAT;
        goto out;
    }
    if (st.st_size == 0) {
        rc = load_bytes(img, path, (const unsigned char *)"", 0, errbuf, errbuf_len);
        goto out;
    }
    /* a private writable view: libelf may write to it, the file never changes */
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
        vmr_errf(errbuf, errbuf_len, "%s: cannot map %s: %s", path, host, strerror(errno));
        rc = VMR_EIO;
        goto out;
    }
    rc = load_bytes(img, path, map, (uint64_t)st.st_size, errbuf, errbuf_len);
    munmap(map, (size_t)st.st_size);
out:
    if (fd >= 0)
        close(fd);
    free(host);
    return rc;
}
