/*
 * test_elf.c - the ELF loader and exec against what the ELF headers say.
 *
 * Real programs built by the suite (tests/elfprog/hello.c, static with
 * libc.a and dynamic PIE) are read twice: by vmr_image_load, and here
 * independently with libelf; the image must agree with the headers, and
 * the areas an exec maps must follow from them (permissions, sizes, file
 * offsets, bss, interpreter, stack, entry, brk). Also: the serialised form
 * round-trips and refuses every truncation, malformed files are errors with
 * the file's name, and the library search follows ld.so's order on the
 * checked-in tiny sysroot (tests/data/sysroot).
 */
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"
#include "vmreplay/elf.h"
#include "vmreplay/kernel.h"

#define PAGE      4096ULL
#define STACK_TOP 0x7ffffffff000ULL
#define MMAP_BASE 0x7ffff7fff000ULL
#define DYN_BASE  0x555555554aaaULL
#define MAX_PHDRS 64
#define MAX_AREAS 256

static uint64_t pdown(uint64_t a)
{
    return a & ~(PAGE - 1);
}

static uint64_t pup(uint64_t a)
{
    return (a + PAGE - 1) & ~(PAGE - 1);
}

/* The headers as libelf reads them, independently of src/elf. */
struct headers {
    unsigned type;
    uint64_t entry;
    GElf_Phdr load[MAX_PHDRS];
    size_t n_load;
    char interp[PATH_MAX];
};

static int read_headers(const char *path, struct headers *h)
{
    memset(h, 0, sizeof *h);
    elf_version(EV_CURRENT);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    Elf *e = elf_begin(fd, ELF_C_READ, NULL);
    GElf_Ehdr eh;
    size_t n = 0;
    if (!e || !gelf_getehdr(e, &eh) || elf_getphdrnum(e, &n) != 0) {
        close(fd);
        return -1;
    }
    h->type = eh.e_type;
    h->entry = eh.e_entry;
    for (size_t i = 0; i < n; i++) {
        GElf_Phdr ph;
        gelf_getphdr(e, (int)i, &ph);
        if (ph.p_type == PT_LOAD && h->n_load < MAX_PHDRS)
            h->load[h->n_load++] = ph;
        if (ph.p_type == PT_INTERP && ph.p_filesz < sizeof h->interp)
            CHECK(pread(fd, h->interp, ph.p_filesz, (off_t)ph.p_offset) == (ssize_t)ph.p_filesz);
    }
    elf_end(e);
    close(fd);
    return 0;
}

static unsigned prot_of(uint32_t f)
{
    return (f & PF_R ? VMR_PROT_READ : 0) | (f & PF_W ? VMR_PROT_WRITE : 0) |
           (f & PF_X ? VMR_PROT_EXEC : 0);
}

static void check_image(const char *path)
{
    struct headers h;
    struct vmr_image img;
    char err[512];
    CHECK(read_headers(path, &h) == 0);
    int rc = vmr_image_load(&img, NULL, path, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "%s\n", err);
    CHECK_EQ_U64(rc, 0);
    CHECK_EQ_U64(img.type, h.type);
    CHECK_EQ_U64(img.entry, h.entry);
    CHECK_EQ_U64(img.elf_class, 64);
    CHECK_EQ_U64(img.machine, VMR_ELF_MACHINE_X86_64);
    CHECK_EQ_U64(img.n_segments, h.n_load);
    for (size_t i = 0; i < h.n_load && i < img.n_segments; i++) {
        CHECK_EQ_U64(img.segments[i].vaddr, h.load[i].p_vaddr);
        CHECK_EQ_U64(img.segments[i].memsz, h.load[i].p_memsz);
        CHECK_EQ_U64(img.segments[i].filesz, h.load[i].p_filesz);
        CHECK_EQ_U64(img.segments[i].offset, h.load[i].p_offset);
        CHECK_EQ_U64(img.segments[i].align, h.load[i].p_align);
        CHECK_EQ_U64(img.segments[i].prot, prot_of(h.load[i].p_flags));
    }
    if (h.interp[0]) {
        CHECK_STR(img.interp, h.interp);
        int has_libc = 0;
        for (size_t i = 0; i < img.n_needed; i++)
            has_libc |= strcmp(img.needed[i], "libc.so.6") == 0;
        CHECK(has_libc);
    } else {
        CHECK(img.interp == NULL);
        CHECK_EQ_U64(img.n_needed, 0);
    }
    vmr_image_release(&img);
}

/* ---- exec through the kernel ------------------------------------------ */

struct areas {
    struct vmr_area a[MAX_AREAS];
    char paths[MAX_AREAS][PATH_MAX];
    size_t n;
    struct vmr_proc_layout pl;
};

static int collect(void *ctx, const struct vmr_proc_layout *pl, const struct vmr_area *a)
{
    struct areas *as = ctx;
    if (!a) {
        as->pl = *pl;
        return 0;
    }
    if (as->n < MAX_AREAS) {
        as->a[as->n] = *a;
        if (a->path) {
            snprintf(as->paths[as->n], PATH_MAX, "%s", a->path);
            as->a[as->n].path = as->paths[as->n];
        }
        as->n++;
    }
    return 0;
}

static const struct vmr_area *area_at(const struct areas *as, uint64_t addr)
{
    for (size_t i = 0; i < as->n; i++)
        if (addr >= as->a[i].start && addr < as->a[i].end)
            return &as->a[i];
    return NULL;
}

/* Checks the areas of one image mapped at `bias`; returns the number of
 * partial pages the kernel had to zero (writable segments with bss whose
 * file bytes end inside a page). */
static int check_segments(const struct areas *as, const struct headers *h, uint64_t bias,
                          const char *canon)
{
    int pads = 0;
    for (size_t i = 0; i < h->n_load; i++) {
        const GElf_Phdr *ph = &h->load[i];
        uint64_t start = bias + ph->p_vaddr, file_end = start + ph->p_filesz;
        uint64_t mem_end = start + ph->p_memsz;
        const struct vmr_area *a = area_at(as, start);
        CHECK(a != NULL);
        if (!a)
            continue;
        if (ph->p_filesz) {
            CHECK_EQ_U64(a->start, pdown(start));
            CHECK_EQ_U64(a->end, pup(file_end));
            CHECK_EQ_U64(a->offset, pdown(ph->p_offset));
            CHECK_EQ_U64(a->prot, prot_of(ph->p_flags));
            CHECK_STR(a->path, canon);
            CHECK(!a->shared);
        }
        if (pup(mem_end) > pup(file_end)) {
            const struct vmr_area *b = area_at(as, pup(file_end));
            CHECK(b != NULL);
            if (b) {
                CHECK_EQ_U64(b->start, ph->p_filesz ? pup(file_end) : pdown(start));
                CHECK_EQ_U64(b->end, pup(mem_end));
                CHECK(b->path == NULL);
                CHECK_EQ_U64(b->prot, prot_of(ph->p_flags));
            }
        }
        if (ph->p_memsz > ph->p_filesz && ph->p_filesz && (ph->p_flags & PF_W) &&
            (file_end & (PAGE - 1)))
            pads++;
    }
    return pads;
}

static void check_exec(const char *path, int load_needed)
{
    struct headers h, ih;
    CHECK(read_headers(path, &h) == 0);
    char canon[PATH_MAX], icanon[PATH_MAX];
    CHECK(realpath(path, canon) != NULL);
    struct vmr_kernel_config cfg = {.page_size = 4096,
                                    .n_frames = 4096,
                                    .swap_pages = VMR_SWAP_UNLIMITED,
                                    .policy = "lru",
                                    .seed = 1,
                                    .load_needed = load_needed};
    struct vmr_kernel *k;
    char err[512];
    CHECK_EQ_U64(vmr_kernel_create(&k, &cfg, err, sizeof err), 0);
    struct vmr_record recs[2] = {
        {.kind = VMR_REC_FILE, .arg = 1, .off = VMR_FILE_SIZE_UNKNOWN, .str = path},
        {.kind = VMR_REC_EXEC, .pid = 1, .arg = 1},
    };
    size_t failed;
    int rc = vmr_kernel_run(k, recs, 2, &failed);
    if (rc != 0)
        fprintf(stderr, "%s: %s\n", path, vmr_kernel_error(k));
    CHECK_EQ_U64(rc, 0);
    static struct areas as;
    memset(&as, 0, sizeof as);
    CHECK_EQ_U64(vmr_kernel_areas(k, 1, collect, &as), 0);

    /* the program */
    uint64_t bias = 0;
    if (h.type == ET_DYN) {
        uint64_t align = PAGE;
        for (size_t i = 0; i < h.n_load; i++)
            if (h.load[i].p_align > align)
                align = h.load[i].p_align;
        bias = pdown((DYN_BASE & ~(align - 1)) - h.load[0].p_vaddr);
    }
    int pads = check_segments(&as, &h, bias, canon);
    CHECK_EQ_U64(as.pl.entry, bias + h.entry);
    const GElf_Phdr *last = &h.load[h.n_load - 1];
    CHECK_EQ_U64(as.pl.brk_start, pup(bias + last->p_vaddr + last->p_memsz));
    CHECK_EQ_U64(as.pl.brk, as.pl.brk_start);

    /* the stack */
    const struct vmr_area *st = area_at(&as, STACK_TOP - 1);
    CHECK(st && st->start == STACK_TOP - 132 * 1024 && st->end == STACK_TOP);
    CHECK(st && st->name && strcmp(st->name, "[stack]") == 0);

    /* the interpreter, just below the mmap base */
    if (h.interp[0]) {
        CHECK(realpath(h.interp, icanon) != NULL);
        CHECK(read_headers(icanon, &ih) == 0);
        uint64_t lo = pdown(ih.load[0].p_vaddr);
        uint64_t hi = pup(ih.load[ih.n_load - 1].p_vaddr + ih.load[ih.n_load - 1].p_memsz);
        uint64_t ibias = MMAP_BASE - (hi - lo) - lo;
        const struct vmr_area *first = area_at(&as, ibias + ih.load[0].p_vaddr);
        CHECK(first && first->path && strcmp(first->path, icanon) == 0);
        pads += check_segments(&as, &ih, ibias, icanon);
        CHECK_EQ_U64(as.pl.start, ibias + ih.entry);
    } else {
        CHECK_EQ_U64(as.pl.start, as.pl.entry);
    }
    if (load_needed) {
        int libc = 0;
        for (size_t i = 0; i < as.n; i++) {
            const char *p = as.a[i].path;
            size_t n = p ? strlen(p) : 0;
            if (n >= 10 && strcmp(p + n - 10, "/libc.so.6") == 0 &&
                as.a[i].prot == (VMR_PROT_READ | VMR_PROT_EXEC))
                libc = 1;
        }
        CHECK(libc);
    }

    /* faults so far: the stack's top page, and each zeroed partial page
     * (read from the file, then copied) */
    struct vmr_counters c;
    vmr_kernel_totals(k, &c);
    if (!load_needed) {
        CHECK_EQ_U64(c.minor_faults + c.major_faults, 1 + (uint64_t)pads);
        CHECK_EQ_U64(c.cow_copies, pads);
    }
    CHECK(c.zero_fill >= 1);

    /* the first instruction faults its text page in */
    uint64_t before = c.minor_faults + c.major_faults;
    struct vmr_record x = {
        .kind = VMR_REC_FETCH, .pid = 1, .addr = as.pl.start, .size = 1, .count = 1};
    CHECK_EQ_U64(vmr_kernel_run(k, &x, 1, &failed), 0);
    vmr_kernel_totals(k, &c);
    CHECK_EQ_U64(c.minor_faults + c.major_faults, before + 1);
    CHECK_EQ_U64(c.segv_unmapped + c.segv_protection, 0);
    CHECK_EQ_U64(vmr_kernel_check(k, err, sizeof err), 0);
    vmr_kernel_destroy(k);
}

/* ---- serialised form -------------------------------------------------- */

static void check_roundtrip(const char *sysroot, const char *path)
{
    struct vmr_image a, b;
    char err[512];
    CHECK_EQ_U64(vmr_image_load(&a, sysroot, path, err, sizeof err), 0);
    uint8_t *buf = NULL, *buf2 = NULL;
    size_t len = 0, len2 = 0;
    CHECK_EQ_U64(vmr_image_serialize(&a, &buf, &len), 0);
    CHECK_EQ_U64(vmr_image_parse(&b, buf, len, err, sizeof err), 0);
    CHECK_STR(b.path, a.path);
    CHECK_EQ_U64(b.type, a.type);
    CHECK_EQ_U64(b.entry, a.entry);
    CHECK_EQ_U64(b.file_size, a.file_size);
    CHECK_EQ_U64(b.n_segments, a.n_segments);
    CHECK(b.n_segments == a.n_segments &&
          memcmp(b.segments, a.segments, a.n_segments * sizeof *a.segments) == 0);
    CHECK((a.interp == NULL) == (b.interp == NULL));
    if (a.interp)
        CHECK_STR(b.interp, a.interp);
    CHECK((a.runpath == NULL) == (b.runpath == NULL));
    CHECK_EQ_U64(b.n_needed, a.n_needed);
    for (size_t i = 0; i < a.n_needed && i < b.n_needed; i++)
        CHECK_STR(b.needed[i], a.needed[i]);
    CHECK_EQ_U64(vmr_image_serialize(&b, &buf2, &len2), 0);
    CHECK(len2 == len && memcmp(buf, buf2, len) == 0);
    vmr_image_release(&b);
    /* every truncation is refused */
    for (size_t n = 0; n < len; n++) {
        int rc = vmr_image_parse(&b, buf, n, err, sizeof err);
        CHECK(rc == VMR_ETRUNCATED || rc == VMR_EFORMAT);
        vmr_image_release(&b);
    }
    /* another major version is refused; a later minor may append */
    buf[4] = 2;
    CHECK_EQ_U64(vmr_image_parse(&b, buf, len, err, sizeof err), VMR_EVERSION);
    vmr_image_release(&b);
    buf[4] = 1;
    uint8_t *longer = malloc(len + 3);
    memcpy(longer, buf, len);
    memcpy(longer + len, "xyz", 3);
    CHECK_EQ_U64(vmr_image_parse(&b, longer, len + 3, err, sizeof err), VMR_EFORMAT);
    vmr_image_release(&b);
    longer[6] = 7; /* minor 7 */
    CHECK_EQ_U64(vmr_image_parse(&b, longer, len + 3, err, sizeof err), 0);
    vmr_image_release(&b);
    free(longer);
    free(buf);
    free(buf2);
    vmr_image_release(&a);
}

/* ---- malformed files --------------------------------------------------- */

static void check_errors(void)
{
    struct vmr_image img;
    char err[512];
    CHECK_EQ_U64(vmr_image_load(&img, TINY_SYSROOT, "/bin/missing", err, sizeof err),
                 VMR_ENOTFOUND);
    CHECK(strstr(err, "/bin/missing") != NULL);
    vmr_image_release(&img);
    CHECK_EQ_U64(vmr_image_load(&img, TINY_SYSROOT, "/bin/not-elf", err, sizeof err), VMR_EFORMAT);
    CHECK(strstr(err, "/bin/not-elf: not an ELF file") != NULL);
    vmr_image_release(&img);
    CHECK_EQ_U64(vmr_image_load(&img, TINY_SYSROOT, "/bin/truncated", err, sizeof err),
                 VMR_ETRUNCATED);
    CHECK(strstr(err, "/bin/truncated: truncated") != NULL);
    vmr_image_release(&img);
    CHECK_EQ_U64(vmr_image_load(&img, TINY_SYSROOT, "bin/tiny-static", err, sizeof err),
                 VMR_EINVAL);
    vmr_image_release(&img);
    CHECK_EQ_U64(vmr_image_load(&img, TINY_SYSROOT, "/bin", err, sizeof err), VMR_EFORMAT);
    vmr_image_release(&img);

    /* a real file cut short, and with header bytes corrupted */
    FILE *fp = fopen(TINY_SYSROOT "/bin/tiny-dyn", "rb");
    CHECK(fp != NULL);
    if (!fp)
        return;
    static uint8_t buf[65536];
    size_t len = fread(buf, 1, sizeof buf, fp);
    fclose(fp);
    CHECK_EQ_U64(vmr_image_load_mem(&img, "tiny-dyn", buf, len, err, sizeof err), 0);
    uint64_t phend = 64 + 56 * (uint64_t)(buf[56] | buf[57] << 8);
    vmr_image_release(&img);
    for (size_t n = 0; n < len; n++) {
        int rc = vmr_image_load_mem(&img, "cut", buf, n, err, sizeof err);
        if (n < phend)
            CHECK(rc == VMR_ETRUNCATED || rc == VMR_EFORMAT);
        vmr_image_release(&img);
    }
    uint8_t copy[1024];
    for (size_t i = 0; i < phend && i < sizeof copy; i++) {
        memcpy(copy, buf, sizeof copy);
        copy[i] ^= 0xff;
        vmr_image_load_mem(&img, "corrupt", copy, sizeof copy, err, sizeof err);
        vmr_image_release(&img);
    }
    memcpy(copy, buf, sizeof copy);
    copy[4] = 3; /* EI_CLASS */
    CHECK_EQ_U64(vmr_image_load_mem(&img, "class3", copy, sizeof copy, err, sizeof err),
                 VMR_EUNSUPPORTED);
    CHECK(strstr(err, "class3: unsupported ELF class 3") != NULL);
    vmr_image_release(&img);
}

/* ---- paths and the library search -------------------------------------- */

static void check_sysroot(void)
{
    char *canon, *host, err[512];
    CHECK_EQ_U64(
        vmr_sysroot_resolve(TINY_SYSROOT, "/lib64/ld-tiny.so.2", &canon, &host, err, sizeof err),
        0);
    CHECK_STR(canon, "/lib/x86_64-linux-gnu/ld-tiny.so.2");
    CHECK(host && strncmp(host, TINY_SYSROOT, strlen(TINY_SYSROOT)) == 0);
    free(canon);
    free(host);
    CHECK_EQ_U64(vmr_sysroot_resolve(TINY_SYSROOT "/", "/../../bin/./tiny-static", &canon, NULL,
                                     err, sizeof err),
                 0);
    CHECK_STR(canon, "/bin/tiny-static");
    free(canon);
    CHECK_EQ_U64(
        vmr_sysroot_resolve(TINY_SYSROOT, "/bin/tiny-static/x", &canon, NULL, err, sizeof err),
        VMR_ENOTFOUND);
}

static void check_resolver(void)
{
    struct vmr_lib_resolver *r;
    char err[2048], *path = NULL;
    struct vmr_image dyn, tiny;
    CHECK_EQ_U64(vmr_lib_resolver_create(&r, TINY_SYSROOT, err, sizeof err), 0);
    CHECK_EQ_U64(vmr_image_load(&dyn, TINY_SYSROOT, "/bin/tiny-dyn", err, sizeof err), 0);
    /* RUNPATH $ORIGIN/../lib/tiny */
    CHECK_EQ_U64(vmr_lib_resolve(r, "libtiny.so.1", &dyn, &dyn, &path, err, sizeof err), 0);
    CHECK_STR(path, "/bin/../lib/tiny/libtiny.so.1");
    CHECK_EQ_U64(vmr_image_load(&tiny, TINY_SYSROOT, path, err, sizeof err), 0);
    free(path);
    /* etc/ld.so.conf includes ld.so.conf.d/tiny.conf: /opt/tiny */
    CHECK_EQ_U64(vmr_lib_resolve(r, "libdep.so.1", &tiny, &dyn, &path, err, sizeof err), 0);
    CHECK_STR(path, "/opt/tiny/libdep.so.1");
    free(path);
    /* default directories */
    CHECK_EQ_U64(vmr_lib_resolve(r, "ld-tiny.so.2", &tiny, &dyn, &path, err, sizeof err), 0);
    CHECK_STR(path, "/lib/x86_64-linux-gnu/ld-tiny.so.2");
    free(path);
    /* a DT_RUNPATH hides DT_RPATH; braced variables */
    struct vmr_image fake = dyn;
    fake.rpath = "/nonexistent";
    fake.runpath = "${ORIGIN}/../lib/tiny";
    CHECK_EQ_U64(vmr_lib_resolve(r, "libtiny.so.1", &fake, &fake, &path, err, sizeof err), 0);
    free(path);
    CHECK_EQ_U64(vmr_lib_resolve(r, "libnothere.so", &fake, &fake, &path, err, sizeof err),
                 VMR_ENOTFOUND);
    CHECK(strstr(err, "libnothere.so") && strstr(err, "/bin/../lib/tiny/libnothere.so"));
    CHECK(strstr(err, "/nonexistent") == NULL);
    fake.runpath = NULL; /* now the RPATH is searched, first */
    CHECK_EQ_U64(vmr_lib_resolve(r, "libnothere.so", &fake, &fake, &path, err, sizeof err),
                 VMR_ENOTFOUND);
    CHECK(strstr(err, "tried /nonexistent/libnothere.so") != NULL);
    /* a library of another machine is skipped */
    fake.machine = 183; /* EM_AARCH64 */
    CHECK_EQ_U64(vmr_lib_resolve(r, "libdep.so.1", &fake, &fake, &path, err, sizeof err),
                 VMR_ENOTFOUND);
    vmr_image_release(&tiny);
    vmr_image_release(&dyn);
    vmr_lib_resolver_destroy(r);

    /* the host's libc, through /etc/ld.so.cache */
    struct vmr_image prog, libc;
    CHECK_EQ_U64(vmr_lib_resolver_create(&r, "/", err, sizeof err), 0);
    CHECK_EQ_U64(vmr_image_load(&prog, NULL, ELFPROG_DYNAMIC, err, sizeof err), 0);
    CHECK_EQ_U64(vmr_lib_resolve(r, "libc.so.6", &prog, &prog, &path, err, sizeof err), 0);
    CHECK_EQ_U64(vmr_image_load(&libc, NULL, path ? path : "/", err, sizeof err), 0);
    CHECK_STR(libc.soname, "libc.so.6");
    free(path);
    vmr_image_release(&libc);
    vmr_image_release(&prog);
    vmr_lib_resolver_destroy(r);
}

/* An exec marked VMR_EXEC_MAPPED loads nothing (the trace carries the
 * areas), so a program missing here is no error. */
static void check_exec_mapped(void)
{
    struct vmr_kernel_config cfg = {.page_size = 4096,
                                    .n_frames = 16,
                                    .swap_pages = VMR_SWAP_UNLIMITED,
                                    .policy = "lru",
                                    .seed = 1,
                                    .sysroot = TINY_SYSROOT};
    struct vmr_kernel *k;
    char err[512];
    CHECK_EQ_U64(vmr_kernel_create(&k, &cfg, err, sizeof err), 0);
    struct vmr_record recs[3] = {
        {.kind = VMR_REC_FILE, .arg = 1, .off = VMR_FILE_SIZE_UNKNOWN, .str = "/bin/recorded"},
        {.kind = VMR_REC_EXEC, .pid = 1, .arg = 1, .flags = VMR_EXEC_MAPPED},
        {.kind = VMR_REC_EXEC, .pid = 2, .arg = 1},
    };
    size_t failed = 99;
    CHECK_EQ_U64(vmr_kernel_run(k, recs, 2, &failed), 0);
    static struct areas as;
    memset(&as, 0, sizeof as);
    CHECK_EQ_U64(vmr_kernel_areas(k, 1, collect, &as), 0);
    CHECK_EQ_U64(as.n, 0);
    CHECK_STR(as.pl.comm, "/bin/recorded");
    CHECK_EQ_U64(vmr_kernel_areas(k, 7, collect, &as), VMR_ENOTFOUND);
    /* without the flag the same exec needs the file */
    CHECK_EQ_U64(vmr_kernel_run(k, recs + 2, 1, &failed), VMR_ENOTFOUND);
    CHECK(strstr(vmr_kernel_error(k), "exec /bin/recorded") != NULL);
    vmr_kernel_destroy(k);
}

/* Writes bin/tiny-static with `patch` applied into a temporary sysroot and
 * execs it: the replay must fail with `want_rc` and a message containing
 * `want`. */
static void exec_patched(void (*patch)(uint8_t *), int want_rc, const char *want)
{
    char dir[] = "/tmp/vmr-test-elf-XXXXXX", path[256], err[512];
    static uint8_t buf[4096];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/prog", dir);
    FILE *fp = fopen(TINY_SYSROOT "/bin/tiny-static", "rb");
    size_t len = fp ? fread(buf, 1, sizeof buf, fp) : 0;
    if (fp)
        fclose(fp);
    CHECK(len > 64 + 2 * 56);
    patch(buf);
    fp = fopen(path, "wb");
    CHECK(fp && fwrite(buf, 1, len, fp) == len);
    if (fp)
        fclose(fp);
    struct vmr_kernel_config cfg = {
        .page_size = 4096, .n_frames = 16, .swap_pages = 0, .policy = "lru", .sysroot = dir};
    struct vmr_kernel *k;
    CHECK_EQ_U64(vmr_kernel_create(&k, &cfg, err, sizeof err), 0);
    struct vmr_record recs[2] = {
        {.kind = VMR_REC_FILE, .arg = 1, .off = VMR_FILE_SIZE_UNKNOWN, .str = "/prog"},
        {.kind = VMR_REC_EXEC, .pid = 1, .arg = 1},
    };
    size_t failed;
    CHECK_EQ_U64(vmr_kernel_run(k, recs, 2, &failed), want_rc);
    if (!strstr(vmr_kernel_error(k), want)) {
        fprintf(stderr, "expected '%s' in: %s\n", want, vmr_kernel_error(k));
        vmr_test_failures++;
    }
    vmr_kernel_destroy(k);
    remove(path);
    rmdir(dir);
}

/* Both PT_LOADs above the user address space (p_vaddr, p_paddr). */
static void patch_high(uint8_t *buf)
{
    uint64_t high[2] = {0x7ffffffff000ULL, 0x80000000110cULL};
    for (int i = 0; i < 2; i++)
        for (int b = 0; b < 8; b++)
            buf[64 + 56 * i + 16 + b] = buf[64 + 56 * i + 24 + b] = (uint8_t)(high[i] >> (8 * b));
}

static void patch_machine(uint8_t *buf)
{
    buf[18] = 183; /* e_machine = EM_AARCH64 */
    buf[19] = 0;
}

static void patch_overlap(uint8_t *buf)
{
    buf[64 + 40 + 0] = 0x00; /* first p_memsz 0x10b -> 0x2000: over the second */
    buf[64 + 40 + 1] = 0x20;
}

static void patch_type(uint8_t *buf)
{
    buf[16] = 1; /* ET_REL */
}

static void check_exec_errors(void)
{
    exec_patched(patch_high, VMR_EFORMAT, "/prog: segments [0x7ffffffff000");
    exec_patched(patch_machine, VMR_EUNSUPPORTED, "machine 183: only x86-64");
    exec_patched(patch_overlap, VMR_EFORMAT, "/prog: segment 1 at 0x40110c overlaps");
    exec_patched(patch_type, VMR_EFORMAT, "/prog: ELF type 1 is not an executable");
}

int main(void)
{
    check_exec_mapped();
    check_exec_errors();
    check_image(ELFPROG_STATIC);
    check_image(ELFPROG_DYNAMIC);
    check_exec(ELFPROG_STATIC, 0);
    check_exec(ELFPROG_DYNAMIC, 0);
    check_exec(ELFPROG_DYNAMIC, 1);
    check_roundtrip(NULL, ELFPROG_STATIC);
    check_roundtrip(NULL, ELFPROG_DYNAMIC);
    check_roundtrip(TINY_SYSROOT, "/lib/tiny/libtiny.so.1");
    check_errors();
    check_sysroot();
    check_resolver();
    return vmr_test_failures ? 1 : 0;
}
