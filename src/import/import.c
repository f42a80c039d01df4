/*
 * import.c - the importer driver: the table of formats, and the two passes.
 *
 * Pass 1 runs the format's parser with a sink that only measures: for
 * reference formats the highest object slot and the most pages an object
 * takes; for address formats the set of pages touched. Pass 2 runs the
 * parser again with a sink that writes: first the areas pass 1 sized, then
 * one access record per page reference, consecutive identical ones collapsed
 * into a repeat count.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"
#include "internal.h"
#include "vec.h"

enum { MAX_OBJECT_PAGES = 1 << 16 };

struct format {
    const char *name;
    int by_address; /* 1: lackey/din/pinatrace; 0: object references */
    vmr_import_parse_fn parse;
    const char *summary;
};

static const struct format formats[] = {
    {"lackey", 1, vmr_import_parse_lackey,
     "Valgrind lackey --trace-mem=yes log ('I  ADDR,SIZE', ' L|S|M ADDR,SIZE')"},
    {"oraclegeneral", 0, vmr_import_parse_oraclegeneral,
     "libCacheSim oracleGeneral: 24-byte records u32 time, u64 id, u32 size, i64 next"},
    {"csv", 0, vmr_import_parse_csv, "libCacheSim csv with a column spec (--csv)"},
    {"txt", 0, vmr_import_parse_txt, "libCacheSim txt: one object id per line"},
    {"arc", 0, vmr_import_parse_arc, "ARC paper .lis: 'START N_BLOCKS IGNORED REQUEST_NO'"},
    {"lirs", 0, vmr_import_parse_lirs, "LIRS traces: big-endian int32 block numbers"},
    {"din", 1, vmr_import_parse_din, "Dinero IV din: 'LABEL ADDR', 0 read 1 write 2 fetch"},
    {"pinatrace", 1, vmr_import_parse_pinatrace, "Intel Pin pinatrace: '0xPC: R|W 0xADDR'"},
};
#define N_FORMATS (sizeof formats / sizeof formats[0])

const char *const *vmr_import_formats(void)
{
    static const char *names[N_FORMATS + 1];
    for (size_t i = 0; i < N_FORMATS; i++)
        names[i] = formats[i].name;
    return names;
}

static const struct format *find_format(const char *name)
{
    for (size_t i = 0; i < N_FORMATS; i++)
        if (strcmp(formats[i].name, name) == 0)
            return &formats[i];
    return NULL;
}

const char *vmr_import_describe(const char *name)
{
    const struct format *f = find_format(name);
    return f ? f->summary : NULL;
}

uint64_t vmr_import_object_pages(const struct vmr_import_options *opt, uint64_t size)
{
    if (opt->block_size == 0 || size <= opt->block_size)
        return 1;
    return size / opt->block_size + (size % opt->block_size != 0);
}

/* ---- the sink of both passes ------------------------------------------ */

struct run {
    struct vmr_import_sink sink; /* first: the parser sees only this */
    const struct vmr_import_options *opt;
    struct vmr_import_in *in;
    unsigned shift;
    int writing; /* pass 2 */
    struct vmr_trace_writer *w;
    char *err;
    size_t err_len;
    /* reference formats */
    uint64_t max_slot, max_pages, n_slots;
    int any;
    struct vmr_hashmap dense; /* id -> slot with --dense */
    /* address formats: pages touched */
    struct vmr_hashmap pages;
    /* pass 2: the record being collapsed */
    struct vmr_record pending;
    int have_pending;
};

/* A sink error, placed at the parser's position in the input. */
static int sink_fail(struct run *r, int code, const char *msg)
{
    if (vmr_import_in_lineno(r->in))
        vmr_errf(r->err, r->err_len, "%s:%llu: %s", vmr_import_in_name(r->in),
                 (unsigned long long)vmr_import_in_lineno(r->in), msg);
    else
        vmr_errf(r->err, r->err_len, "%s: near byte %llu: %s", vmr_import_in_name(r->in),
                 (unsigned long long)vmr_import_in_offset(r->in), msg);
    return code;
}

static int flush_pending(struct run *r)
{
    if (!r->have_pending)
        return 0;
    r->have_pending = 0;
    int rc = vmr_trace_writer_put(r->w, &r->pending);
    return rc ? sink_fail(r, rc, vmr_trace_writer_error(r->w)) : 0;
}

static int put_access(struct run *r, const struct vmr_record *rec)
{
    struct vmr_record *p = &r->pending;
    if (r->have_pending && p->kind == rec->kind && p->pid == rec->pid && p->addr == rec->addr &&
        p->size == rec->size && p->count <= UINT32_MAX - rec->count) {
        p->count += rec->count;
        return 0;
    }
    int rc = flush_pending(r);
    if (rc)
        return rc;
    *p = *rec;
    r->have_pending = 1;
    return 0;
}

static int sink_object(struct vmr_import_sink *s, uint64_t id, uint64_t n_pages)
{
    struct run *r = (struct run *)s;
    uint64_t slot = id;
    if (r->opt->dense) {
        int ins;
        uint64_t *v = vmr_hashmap_upsert(&r->dense, id, r->n_slots, &ins);
        if (!v)
            return sink_fail(r, VMR_ENOMEM, "out of memory");
        if (ins)
            r->n_slots++;
        slot = *v;
    }
    if (!r->writing) {
        if (n_pages > MAX_OBJECT_PAGES) {
            char msg[256];
            snprintf(msg, sizeof msg,
                     "object %llu takes %llu pages (at most %d): use a larger --block-size",
                     (unsigned long long)id, (unsigned long long)n_pages, MAX_OBJECT_PAGES);
            return sink_fail(r, VMR_ERANGE, msg);
        }
        if (!r->any || slot > r->max_slot)
            r->max_slot = slot;
        if (n_pages > r->max_pages)
            r->max_pages = n_pages;
        r->any = 1;
        return 0;
    }
    uint64_t first = slot * r->max_pages; /* checked against overflow after pass 1 */
    for (uint64_t i = 0; i < n_pages; i++) {
        struct vmr_record rec = {0};
        rec.kind = VMR_REC_READ;
        rec.pid = r->opt->pid;
        rec.addr = VMR_IMPORT_AREA_BASE + ((first + i) << r->shift);
        rec.size = 1u << r->shift;
        rec.count = 1;
        int rc = put_access(r, &rec);
        if (rc)
            return rc;
    }
    return 0;
}

static int sink_access(struct vmr_import_sink *s, const struct vmr_record *in_rec)
{
    struct run *r = (struct run *)s;
    struct vmr_record rec = *in_rec;
    if (rec.pid == 0)
        rec.pid = r->opt->pid;
    if (r->writing)
        return put_access(r, &rec);
    uint64_t first = rec.addr >> r->shift, last = (rec.addr + (rec.size - 1)) >> r->shift;
    for (uint64_t p = first;; p++) {
        int ins;
        if (!vmr_hashmap_upsert(&r->pages, p, 0, &ins))
            return sink_fail(r, VMR_ENOMEM, "out of memory");
        if (p == last)
            break;
    }
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int put_area(struct run *r, uint64_t first_page, uint64_t n_pages, unsigned prot)
{
    struct vmr_record rec = {0};
    rec.kind = VMR_REC_MMAP;
    rec.pid = r->opt->pid;
    rec.addr = first_page << r->shift;
    rec.len = n_pages << r->shift;
    rec.prot = (uint8_t)prot;
    rec.flags = VMR_MAP_PRIVATE | VMR_MAP_ANON;
    int rc = vmr_trace_writer_put(r->w, &rec);
    if (rc)
        vmr_errf(r->err, r->err_len, "%s", vmr_trace_writer_error(r->w));
    return rc;
}

/* Address formats: one area per run of consecutive touched pages. */
static int put_address_areas(struct run *r)
{
    size_t n = 0;
    uint64_t *pages = malloc((r->pages.n ? r->pages.n : 1) * sizeof *pages);
    if (!pages) {
        vmr_errf(r->err, r->err_len, "out of memory");
        return VMR_ENOMEM;
    }
    for (size_t i = 0; r->pages.keys && i <= r->pages.mask; i++)
        if (r->pages.used[i])
            pages[n++] = r->pages.keys[i];
    qsort(pages, n, sizeof *pages, cmp_u64);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0;) {
        size_t j = i + 1;
        while (j < n && pages[j] == pages[j - 1] + 1)
            j++;
        rc = put_area(r, pages[i], j - i, VMR_PROT_READ | VMR_PROT_WRITE | VMR_PROT_EXEC);
        i = j;
    }
    free(pages);
    return rc;
}

/* Reference formats: one area holding every slot. */
static int put_reference_area(struct run *r, const char *name)
{
    if (!r->any)
        return 0;
    uint64_t limit_pages = (UINT64_MAX - VMR_IMPORT_AREA_BASE) >> r->shift;
    if (r->max_slot >= limit_pages / r->max_pages) {
        vmr_errf(r->err, r->err_len,
                 "%s: object id %llu is too large to be a page number (at %llu pages per "
                 "object); --dense renumbers ids in order of first use",
                 name, (unsigned long long)r->max_slot, (unsigned long long)r->max_pages);
        return VMR_ERANGE;
    }
    return put_area(r, VMR_IMPORT_AREA_BASE >> r->shift, (r->max_slot + 1) * r->max_pages,
                    VMR_PROT_READ | VMR_PROT_WRITE);
}

static int run_import(const struct format *f, struct vmr_import_in *in,
                      const struct vmr_import_options *user_opt, struct vmr_trace_writer *w,
                      char *errbuf, size_t errbuf_len)
{
    struct vmr_import_options opt = user_opt ? *user_opt : (struct vmr_import_options){0};
    if (!opt.page_size)
        opt.page_size = 4096;
    if (!opt.pid)
        opt.pid = 1;
    if ((opt.page_size & (opt.page_size - 1)) != 0 || opt.page_size > (1u << 30)) {
        vmr_errf(errbuf, errbuf_len, "page size %u is not a power of two", (unsigned)opt.page_size);
        return VMR_EINVAL;
    }
    struct run r;
    memset(&r, 0, sizeof r);
    r.sink.object = sink_object;
    r.sink.access = sink_access;
    r.opt = &opt;
    r.in = in;
    r.w = w;
    r.err = errbuf;
    r.err_len = errbuf_len;
    r.max_pages = 1;
    while ((1u << r.shift) < opt.page_size)
        r.shift++;
    int rc = vmr_hashmap_init(&r.dense, 0);
    if (rc == 0)
        rc = vmr_hashmap_init(&r.pages, 0);
    if (rc) {
        vmr_errf(errbuf, errbuf_len, "out of memory");
        goto out;
    }
    if (errbuf && errbuf_len)
        errbuf[0] = '\0';
    rc = f->parse(in, &opt, &r.sink);
    if (rc)
        goto parse_failed;
    rc = f->by_address ? put_address_areas(&r) : put_reference_area(&r, vmr_import_in_name(in));
    if (rc)
        goto out;
    if ((rc = vmr_import_in_rewind(in)) != 0)
        goto parse_failed;
    r.writing = 1;
    rc = f->parse(in, &opt, &r.sink);
    if (rc)
        goto parse_failed;
    rc = flush_pending(&r);
    goto out;
parse_failed:
    /* a sink error wrote errbuf already; a parser error is in the input */
    if (errbuf && errbuf_len && errbuf[0] == '\0')
        vmr_errf(errbuf, errbuf_len, "%s", vmr_import_in_error(in));
out:
    vmr_hashmap_release(&r.dense);
    vmr_hashmap_release(&r.pages);
    return rc;
}

int vmr_import_file(const char *format, const char *path, const struct vmr_import_options *opt,
                    struct vmr_trace_writer *w, char *errbuf, size_t errbuf_len)
{
    const struct format *f = find_format(format);
    if (!f) {
        vmr_errf(errbuf, errbuf_len, "no import format '%s'", format);
        return VMR_ENOTFOUND;
    }
    struct vmr_import_in *in;
    int rc = vmr_import_in_open_file(&in, path, errbuf, errbuf_len);
    if (rc)
        return rc;
    rc = run_import(f, in, opt, w, errbuf, errbuf_len);
    vmr_import_in_destroy(in);
    return rc;
}

int vmr_import_memory(const char *format, const void *data, size_t size, const char *name,
                      const struct vmr_import_options *opt, struct vmr_trace_writer *w,
                      char *errbuf, size_t errbuf_len)
{
    const struct format *f = find_format(format);
    if (!f) {
        vmr_errf(errbuf, errbuf_len, "no import format '%s'", format);
        return VMR_ENOTFOUND;
    }
    struct vmr_import_in *in;
    int rc = vmr_import_in_open_memory(&in, data, size, name, errbuf, errbuf_len);
    if (rc)
        return rc;
    rc = run_import(f, in, opt, w, errbuf, errbuf_len);
    vmr_import_in_destroy(in);
    return rc;
}
