/*
 * test_roundtrip.c - the two forms carry the same records (FORMAT.md,
 * "Canonical text"): canonical text -> binary -> text is byte-identical, and
 * binary -> text -> binary gives the same records and header. Binary files
 * use small frames so the records cross many frame boundaries. Records are
 * random but stay inside what the text form can say: every kind, extreme
 * numbers, strings that need quoting, files re-declared, paths shared by
 * several files, and implicit exec declarations.
 */
#include "rng.h"
#include "testlib.h"
#include "vmreplay/trace.h"

struct recs {
    struct vmr_record *v;
    char **strs;
    size_t n, cap;
};

static void push(struct recs *rs, const struct vmr_record *rec)
{
    if (rs->n == rs->cap) {
        rs->cap = rs->cap ? 2 * rs->cap : 256;
        rs->v = realloc(rs->v, rs->cap * sizeof *rs->v);
        rs->strs = realloc(rs->strs, rs->cap * sizeof *rs->strs);
        if (!rs->v || !rs->strs)
            exit(1);
    }
    rs->v[rs->n] = *rec;
    rs->strs[rs->n] = NULL;
    if (rec->str) {
        rs->strs[rs->n] = malloc(strlen(rec->str) + 1);
        strcpy(rs->strs[rs->n], rec->str);
        rs->v[rs->n].str = rs->strs[rs->n];
    }
    rs->n++;
}

static void recs_free(struct recs *rs)
{
    for (size_t i = 0; i < rs->n; i++)
        free(rs->strs[i]);
    free(rs->v);
    free(rs->strs);
    memset(rs, 0, sizeof *rs);
}

static int same(const struct vmr_record *a, const struct vmr_record *b)
{
    return a->kind == b->kind && a->pid == b->pid && a->addr == b->addr && a->size == b->size &&
           a->count == b->count && a->prot == b->prot && a->flags == b->flags && a->len == b->len &&
           a->off == b->off && a->arg == b->arg && a->err == b->err &&
           (a->str == NULL) == (b->str == NULL) && (!a->str || strcmp(a->str, b->str) == 0);
}

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "%s: %s\n", what, msg);
    exit(1);
}

static void write_trace(const char *path, enum vmr_trace_form form, uint32_t frame_bytes,
                        const struct vmr_trace_header *hdr, const struct recs *rs)
{
    struct vmr_trace_writer *w;
    struct vmr_trace_writer_options opt = {.form = form, .frame_bytes = frame_bytes};
    char err[1024];
    if (vmr_trace_writer_open(&w, path, hdr, &opt, err, sizeof err) != 0)
        die("open for writing", err);
    for (size_t i = 0; i < rs->n; i++)
        if (vmr_trace_writer_put(w, &rs->v[i]) != 0)
            die("put", vmr_trace_writer_error(w));
    if (vmr_trace_writer_close(w, err, sizeof err) != 0)
        die("close", err);
}

/* Reads a trace in odd-sized batches; with hdr_out, copies the header. */
static void read_trace(const char *path, struct recs *rs, struct vmr_trace_info *info_out)
{
    struct vmr_trace_reader *r;
    char err[1024];
    memset(rs, 0, sizeof *rs);
    if (vmr_trace_reader_open(&r, path, VMR_FORM_AUTO, err, sizeof err) != 0)
        die("open for reading", err);
    struct vmr_record b[13];
    size_t n;
    int rc;
    while ((rc = vmr_trace_reader_next(r, b, 13, &n)) == 0 && n > 0)
        for (size_t i = 0; i < n; i++)
            push(rs, &b[i]);
    if (rc != 0)
        die("read", vmr_trace_reader_error(r));
    if (info_out) {
        *info_out = *vmr_trace_reader_info(r);
        info_out->meta = NULL; /* freed with the reader; compared by the caller below */
    }
    vmr_trace_reader_destroy(r);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        die("open", path);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (fread(buf, 1, (size_t)n, fp) != (size_t)n)
        die("read", path);
    buf[n] = 0;
    fclose(fp);
    *len = (size_t)n;
    return buf;
}

/* ---- random records ---------------------------------------------------- */

static const char *const paths[] = {
    "/bin/sh",
    "/lib/x86_64-linux-gnu/libc.so.6",
    "with space",
    "quote\"d",
    "back\\slash",
    "hash#tag",
    "new\nline",
    "tab\there",
    "fd=3",
    "pid=1",
    "\xc3\xa9t\xc3\xa9",
    "\x01\x7f",
    "size=9",
};
#define N_PATHS (sizeof paths / sizeof paths[0])

static uint64_t rand_u64(struct vmr_rng *g)
{
    switch (vmr_rng_below(g, 7)) {
    case 0:
        return 0;
    case 6:
        return (1 + vmr_rng_below(g, 15)) << 60; /* 1024P and up: no unit E in text */
    case 1:
        return UINT64_MAX - vmr_rng_below(g, 3);
    case 2:
        return vmr_rng_below(g, 1u << 20) << (10 * vmr_rng_below(g, 6)); /* unit multiples */
    case 3:
        return vmr_rng_below(g, 5000);
    default:
        return vmr_rng_next(g);
    }
}

static uint32_t rand_u32(struct vmr_rng *g)
{
    switch (vmr_rng_below(g, 4)) {
    case 0:
        return UINT32_MAX;
    case 1:
        return (uint32_t)vmr_rng_below(g, 10);
    default:
        return (uint32_t)vmr_rng_next(g);
    }
}

struct gen {
    struct vmr_rng g;
    int declared[51];      /* explicit fids 1..50 */
    uint32_t implicit[64]; /* implicit fids handed out so far */
    size_t n_implicit;
    uint32_t next_implicit;
};

static void gen_record(struct gen *G, struct recs *rs)
{
    struct vmr_rng *g = &G->g;
    struct vmr_record rec = {0};
    char label[64];
    unsigned kind = (unsigned)vmr_rng_below(g, VMR_REC_N_KINDS + 6);
    if (kind >= VMR_REC_N_KINDS)
        kind = (unsigned)vmr_rng_below(g, 3); /* more accesses */
    rec.kind = (uint8_t)kind;
    rec.pid = (uint32_t)vmr_rng_below(g, 4);
    if (vmr_rng_below(g, 20) == 0)
        rec.pid = rand_u32(g);
    rec.addr = rand_u64(g);
    rec.len = rand_u64(g);
    if (vmr_rng_below(g, 4) == 0)
        rec.err = (int32_t)(vmr_rng_below(g, 4) ? vmr_rng_below(g, 100) : INT32_MAX);
    switch (kind) {
    case VMR_REC_READ:
    case VMR_REC_WRITE:
    case VMR_REC_FETCH:
        rec.size = vmr_rng_below(g, 3) ? (uint32_t)(1u << vmr_rng_below(g, 4))
                                       : (uint32_t)(1 + vmr_rng_below(g, UINT32_MAX));
        rec.count = vmr_rng_below(g, 3) ? 1 : (uint32_t)(1 + vmr_rng_below(g, UINT32_MAX));
        if (rec.addr > UINT64_MAX - (rec.size - 1))
            rec.addr = UINT64_MAX - (rec.size - 1);
        if (vmr_rng_below(g, 2)) /* runs, for the short delta forms */
            rec.addr = 0x7f0000000000 + 8 * vmr_rng_below(g, 64);
        rec.len = rec.err = 0;
        break;
    case VMR_REC_MMAP: {
        rec.prot = (uint8_t)vmr_rng_below(g, 8);
        rec.flags = (uint16_t)(vmr_rng_below(g, VMR_MAP_KNOWN_FLAGS + 1) &
                               ~(VMR_MAP_PRIVATE | VMR_MAP_SHARED));
        rec.flags |= vmr_rng_below(g, 2) ? VMR_MAP_PRIVATE : VMR_MAP_SHARED;
        uint32_t fid = (uint32_t)(1 + vmr_rng_below(g, 50));
        if (G->declared[fid] && vmr_rng_below(g, 2)) {
            rec.arg = fid;
            rec.flags &= (uint16_t)~VMR_MAP_ANON;
        }
        rec.off = vmr_rng_below(g, 2) ? 0 : rand_u64(g);
        break;
    }
    case VMR_REC_MUNMAP:
        break;
    case VMR_REC_MPROTECT:
        rec.prot = (uint8_t)vmr_rng_below(g, 8);
        break;
    case VMR_REC_BRK:
        rec.off = vmr_rng_below(g, 2) ? rec.addr : rand_u64(g);
        rec.len = rec.err = 0;
        break;
    case VMR_REC_FORK:
    case VMR_REC_THREAD:
    case VMR_REC_EXIT:
        rec.arg = kind == VMR_REC_EXIT && vmr_rng_below(g, 2) ? 0 : rand_u32(g);
        rec.addr = rec.len = 0;
        rec.err = 0;
        break;
    case VMR_REC_EXEC: {
        rec.addr = rec.len = 0;
        uint32_t fid = (uint32_t)(1 + vmr_rng_below(g, 50));
        if (vmr_rng_below(g, 3) == 0 && G->n_implicit < 64) {
            /* a program with no file line: the reader declares it */
            snprintf(label, sizeof label, "/implicit/%zu %s", G->n_implicit,
                     paths[vmr_rng_below(g, N_PATHS)]);
            struct vmr_record f = {.kind = VMR_REC_FILE,
                                   .arg = G->next_implicit,
                                   .off = VMR_FILE_SIZE_UNKNOWN,
                                   .flags = VMR_FILE_IMPLICIT,
                                   .str = label};
            push(rs, &f);
            rec.arg = G->implicit[G->n_implicit++] = G->next_implicit--;
        } else if (G->n_implicit && vmr_rng_below(g, 2)) {
            rec.arg = G->implicit[vmr_rng_below(g, G->n_implicit)];
        } else if (G->declared[fid]) {
            rec.arg = fid;
        } else {
            return;
        }
        rec.flags = vmr_rng_below(g, 2) ? VMR_EXEC_MAPPED : 0;
        break;
    }
    case VMR_REC_FILE:
        rec.pid = 0;
        rec.addr = rec.len = 0;
        rec.err = 0;
        rec.arg = (uint32_t)(1 + vmr_rng_below(g, 50));
        G->declared[rec.arg] = 1;
        rec.off = vmr_rng_below(g, 3) ? VMR_FILE_SIZE_UNKNOWN : rand_u64(g);
        rec.str = paths[vmr_rng_below(g, N_PATHS)];
        break;
    case VMR_REC_MADVISE:
        rec.flags = (uint16_t)(vmr_rng_below(g, 2) ? vmr_rng_below(g, 25) : vmr_rng_next(g));
        break;
    case VMR_REC_MSYNC:
        rec.flags = (uint16_t)vmr_rng_below(g, 8);
        break;
    case VMR_REC_MARK:
        rec.addr = rec.len = 0;
        rec.err = 0;
        if (vmr_rng_below(g, 2))
            rec.pid = 0;
        rec.str = vmr_rng_below(g, 5) ? paths[vmr_rng_below(g, N_PATHS)] : "";
        break;
    }
    push(rs, &rec);
}

/* ---- tests ------------------------------------------------------------- */

static void check_same_records(const struct recs *a, const struct recs *b, const char *what)
{
    CHECK_EQ_U64(a->n, b->n);
    for (size_t i = 0; i < a->n && i < b->n; i++)
        if (!same(&a->v[i], &b->v[i])) {
            fprintf(stderr, "%s: record %zu differs (kind %u vs %u)\n", what, i,
                    (unsigned)a->v[i].kind, (unsigned)b->v[i].kind);
            CHECK(0);
            return;
        }
}

static const struct vmr_trace_meta meta[] = {
    {"recorder", "test_roundtrip"},
    {"command", "a \"quoted\" command\nwith a newline and a \\"},
    {"key with space", ""},
    {"date", "2024-01-01T00:00:00Z"},
};

static void random_roundtrip(uint64_t seed, uint32_t page_size, size_t n)
{
    struct gen G;
    memset(&G, 0, sizeof G);
    vmr_rng_seed(&G.g, seed);
    G.next_implicit = UINT32_MAX;
    struct recs orig = {0};
    while (orig.n < n)
        gen_record(&G, &orig);
    struct vmr_trace_header hdr = {page_size, sizeof meta / sizeof meta[0], meta};

    /* binary -> text -> binary: the same records */
    const char *b1 = vmr_test_tmp("b1.vmt"), *t1 = vmr_test_tmp("t1.txt");
    const char *b2 = vmr_test_tmp("b2.vmt"), *t2 = vmr_test_tmp("t2.txt");
    write_trace(b1, VMR_FORM_BINARY, 256, &hdr, &orig);
    struct recs r1, r2, r3;
    struct vmr_trace_info i1, i2;
    read_trace(b1, &r1, &i1);
    check_same_records(&orig, &r1, "binary");
    CHECK(i1.indexed && i1.n_frames > 10);
    write_trace(t1, VMR_FORM_TEXT, 0, &hdr, &r1);
    read_trace(t1, &r2, &i2);
    check_same_records(&orig, &r2, "binary -> text");
    CHECK_EQ_U64(i2.page_size, page_size);
    CHECK_EQ_U64(i2.n_meta, hdr.n_meta);
    write_trace(b2, VMR_FORM_BINARY, 300, &hdr, &r2);
    read_trace(b2, &r3, NULL);
    check_same_records(&orig, &r3, "binary -> text -> binary");

    /* canonical text -> binary -> text: byte-identical */
    write_trace(t2, VMR_FORM_TEXT, 0, &hdr, &r3);
    size_t l1, l2;
    char *s1 = slurp(t1, &l1), *s2 = slurp(t2, &l2);
    CHECK(l1 == l2 && memcmp(s1, s2, l1) == 0);
    free(s1);
    free(s2);
    recs_free(&orig);
    recs_free(&r1);
    recs_free(&r2);
    recs_free(&r3);
}

/* A hand-written canonical trace through binary and back, with the header
 * read back from the binary file. */
static void canonical_text_roundtrip(void)
{
    const char *text = "pagesize 16K\n"
                       "meta recorder \"hand written\"\n"
                       "meta \"odd key\" \"tab\\there\"\n"
                       "file 1 /data/input.bin size=64K\n"
                       "file 2 \"with space\"\n"
                       "file 3 /data/input.bin size=1536\n"
                       "mmap 1 0x7f0000000000 64K r-- shared fd=1\n"
                       "mmap 1 0x7f0000100000 1536 r-x private fd=3 off=1G err=EACCES\n"
                       "r 1 0x7f0000000000 8\n"
                       "fork 1 2\n"
                       "r 2 0x7f0000000010 8\n"
                       "r 2 0x7f0000000018 8\n"
                       "r 2 0x7f0000000008 8\n"
                       "mmap 1 0x10000 8K rw- private,anon\n"
                       "w 1 0x10000 8 *100\n"
                       "mark phase2\n"
                       "mark \"\" pid=4294967295\n"
                       "exec 2 /bin/true\n"
                       "exec 3 /bin/true err=ENOENT\n"
                       "exec 4 fd=1\n"
                       "exec 4 /data/input.bin\n"
                       "exec 5 \"with space\"\n"
                       "exec 6 /bin/true mapped\n"
                       "exec 7 fd=1 mapped err=ENOENT\n"
                       "madvise 1 0x10000 4K dontneed\n"
                       "madvise 1 0x10000 4K 65535 err=2147483647\n"
                       "msync 1 0x10000 4K sync,invalidate err=EINVAL\n"
                       "brk 1 0x0 result=0x555000\n"
                       "brk 1 0x556000\n"
                       "thread 1 11\n"
                       "munmap 1 0x10000 8K\n"
                       "mprotect 1 0x7f0000000000 4K r-x err=EACCES\n"
                       "x 11 0xfffffffffffffffc 4 *4294967295\n"
                       "exit 2\n"
                       "exit 1 status=3\n";
    const char *t0 = vmr_test_write_tmp("c0.txt", text);
    const char *b = vmr_test_tmp("c.vmt"), *t1 = vmr_test_tmp("c1.txt");
    struct recs rs;
    struct vmr_trace_reader *r;
    char err[1024];
    read_trace(t0, &rs, NULL);
    CHECK_EQ_U64(rs.n, 33); /* one implicit file */
    /* the header as the text reader gives it goes into the binary file */
    if (vmr_trace_reader_open(&r, t0, VMR_FORM_AUTO, err, sizeof err) != 0)
        die("open", err);
    const struct vmr_trace_info *info = vmr_trace_reader_info(r);
    struct vmr_trace_header hdr = {info->page_size, info->n_meta, info->meta};
    write_trace(b, VMR_FORM_BINARY, 64, &hdr, &rs);
    vmr_trace_reader_destroy(r);
    recs_free(&rs);

    if (vmr_trace_reader_open(&r, b, VMR_FORM_AUTO, err, sizeof err) != 0)
        die("open", err);
    info = vmr_trace_reader_info(r);
    CHECK(info->form == VMR_FORM_BINARY && info->n_frames > 3);
    struct vmr_trace_header hdr2 = {info->page_size, info->n_meta, info->meta};
    read_trace(b, &rs, NULL);
    write_trace(t1, VMR_FORM_TEXT, 0, &hdr2, &rs);
    vmr_trace_reader_destroy(r);
    recs_free(&rs);
    size_t len;
    char *back = slurp(t1, &len);
    CHECK_STR(back, text);
    free(back);
}

int main(void)
{
    canonical_text_roundtrip();
    random_roundtrip(1, 4096, 3000);
    random_roundtrip(2, 1, 3000);
    random_roundtrip(3, 1u << 30, 5000);
    for (uint64_t seed = 10; seed < 30; seed++)
        random_roundtrip(seed, 4096, 300);
    return vmr_test_done();
}
