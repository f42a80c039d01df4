/*
 * test_text.c - the text trace form (FORMAT.md section 3): every record
 * kind parsed and printed in canonical form, strings (bare, quoted,
 * escapes), units, implicit exec files, the header, batching (a line that
 * yields two records, where(), rewind, string lifetime), long lines, and
 * every kind of malformed line reported with its file:line.
 */
#include "testlib.h"
#include "vmreplay/trace.h"

#define MAX_RECS 256

struct parsed {
    struct vmr_record recs[MAX_RECS];
    char strs[MAX_RECS][256];
    size_t n;
    int rc;
    char err[1024];
    uint32_t page_size;
    size_t n_meta;
};

/* Reads text in batches of `batch` records, copying strings (they are only
 * valid until the next call). */
static void parse_b(const char *text, size_t batch, struct parsed *p)
{
    memset(p, 0, sizeof *p);
    const char *path = vmr_test_write_tmp("t.txt", text);
    struct vmr_trace_reader *r;
    p->rc = vmr_trace_reader_open(&r, path, VMR_FORM_AUTO, p->err, sizeof p->err);
    if (p->rc != 0)
        return;
    const struct vmr_trace_info *info = vmr_trace_reader_info(r);
    p->page_size = info->page_size;
    p->n_meta = info->n_meta;
    CHECK(info->form == VMR_FORM_TEXT);
    CHECK(!info->indexed);
    struct vmr_record b[8];
    for (;;) {
        size_t n;
        p->rc = vmr_trace_reader_next(r, b, batch, &n);
        if (p->rc != 0) {
            snprintf(p->err, sizeof p->err, "%s", vmr_trace_reader_error(r));
            break;
        }
        if (n == 0)
            break;
        for (size_t i = 0; i < n && p->n < MAX_RECS; i++) {
            p->recs[p->n] = b[i];
            if (b[i].str) {
                snprintf(p->strs[p->n], sizeof p->strs[0], "%s", b[i].str);
                p->recs[p->n].str = p->strs[p->n];
            }
            p->n++;
        }
    }
    vmr_trace_reader_destroy(r);
}

static void parse(const char *text, struct parsed *p)
{
    parse_b(text, 8, p);
}

/* Writes records as text into memory; returns a malloc'd string or NULL
 * (and the writer's message in err). */
static char *print_recs(const struct vmr_trace_header *hdr, const struct vmr_record *recs, size_t n,
                        char *err, size_t errlen)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    struct vmr_trace_writer *w;
    struct vmr_trace_writer_options opt = {.form = VMR_FORM_TEXT};
    int rc = vmr_trace_writer_open_stream(&w, fp, "mem", hdr, &opt, err, errlen);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = vmr_trace_writer_put(w, &recs[i]);
        if (rc != 0) {
            snprintf(err, errlen, "%s", vmr_trace_writer_error(w));
            vmr_trace_writer_destroy(w);
        }
    }
    if (rc == 0)
        rc = vmr_trace_writer_close(w, err, errlen);
    fclose(fp);
    if (rc != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static const struct vmr_trace_header plain = {4096, 0, NULL};

/* cat: text -> records -> canonical text */
static char *canon(const char *text)
{
    struct parsed p;
    parse(text, &p);
    if (p.rc != 0) {
        fprintf(stderr, "canon: %s\n", p.err);
        return NULL;
    }
    char err[512];
    return print_recs(&plain, p.recs, p.n, err, sizeof err);
}

static void test_every_kind(void)
{
    const char *text = "file 7 /lib/libc.so size=2M\n"
                       "mmap 1 0x7f0000000000 64K r-x private fd=7 off=8K err=ENOMEM\n"
                       "mmap 1 0x10000 8K rw- private,anon,fixed,noreserve,populate,growsdown,"
                       "stack,fixed_noreplace\n"
                       "mmap 2 0x20000 4K --- shared,anon\n"
                       "munmap 1 0x10000 4K err=EINVAL\n"
                       "mprotect 1 0x10000 4K r-- err=13\n"
                       "brk 1 0x0 result=0x555000\n"
                       "brk 1 0x556000\n"
                       "fork 1 2\n"
                       "thread 1 11\n"
                       "exec 2 fd=7 err=ENOEXEC\n"
                       "exit 2 status=9\n"
                       "madvise 1 0x10000 4K willneed err=EAGAIN\n"
                       "madvise 1 0x10000 4K 99\n"
                       "msync 1 0x10000 4K async,invalidate\n"
                       "msync 1 0x10000 4K err=EIO\n"
                       "mark start pid=3\n"
                       "r 1 0x10008 8 *100\n"
                       "w 1 0x10010\n"
                       "x 3 0x400000 4 *2\n"
                       "r 1 0x10 *5\n";
    struct parsed p;
    parse(text, &p);
    CHECK_EQ_U64(p.rc, 0);
    CHECK_EQ_U64(p.n, 21);
    const struct vmr_record *r = p.recs;
    CHECK(r[0].kind == VMR_REC_FILE && r[0].arg == 7 && r[0].off == 2u << 20 && r[0].flags == 0);
    CHECK_STR(r[0].str, "/lib/libc.so");
    CHECK(r[1].kind == VMR_REC_MMAP && r[1].pid == 1 && r[1].addr == 0x7f0000000000 &&
          r[1].len == 65536 && r[1].prot == (VMR_PROT_READ | VMR_PROT_EXEC) &&
          r[1].flags == VMR_MAP_PRIVATE && r[1].arg == 7 && r[1].off == 8192 && r[1].err == 12);
    CHECK_EQ_U64(r[2].flags, VMR_MAP_KNOWN_FLAGS & ~VMR_MAP_SHARED);
    CHECK(r[2].prot == (VMR_PROT_READ | VMR_PROT_WRITE) && r[2].arg == 0);
    CHECK(r[3].prot == 0 && r[3].flags == (VMR_MAP_SHARED | VMR_MAP_ANON) && r[3].pid == 2);
    CHECK(r[4].kind == VMR_REC_MUNMAP && r[4].len == 4096 && r[4].err == 22);
    CHECK(r[5].kind == VMR_REC_MPROTECT && r[5].prot == VMR_PROT_READ && r[5].err == 13);
    CHECK(r[6].kind == VMR_REC_BRK && r[6].addr == 0 && r[6].off == 0x555000);
    CHECK(r[7].kind == VMR_REC_BRK && r[7].addr == 0x556000 && r[7].off == 0x556000);
    CHECK(r[8].kind == VMR_REC_FORK && r[8].pid == 1 && r[8].arg == 2);
    CHECK(r[9].kind == VMR_REC_THREAD && r[9].pid == 1 && r[9].arg == 11);
    CHECK(r[10].kind == VMR_REC_EXEC && r[10].pid == 2 && r[10].arg == 7 && r[10].err == 8);
    CHECK(r[11].kind == VMR_REC_EXIT && r[11].pid == 2 && r[11].arg == 9);
    CHECK(r[12].kind == VMR_REC_MADVISE && r[12].flags == 3 && r[12].err == 11);
    CHECK(r[13].kind == VMR_REC_MADVISE && r[13].flags == 99 && r[13].err == 0);
    CHECK(r[14].kind == VMR_REC_MSYNC && r[14].flags == (VMR_MS_ASYNC | VMR_MS_INVALIDATE));
    CHECK(r[15].kind == VMR_REC_MSYNC && r[15].flags == 0 && r[15].err == 5);
    CHECK(r[16].kind == VMR_REC_MARK && r[16].pid == 3);
    CHECK_STR(r[16].str, "start");
    CHECK(r[17].kind == VMR_REC_READ && r[17].pid == 1 && r[17].addr == 0x10008 &&
          r[17].size == 8 && r[17].count == 100);
    CHECK(r[18].kind == VMR_REC_WRITE && r[18].size == 1 && r[18].count == 1);
    CHECK(r[19].kind == VMR_REC_FETCH && r[19].pid == 3 && r[19].size == 4 && r[19].count == 2);
    CHECK(r[20].kind == VMR_REC_READ && r[20].size == 1 && r[20].count == 5);

    /* printed back: the same text, except numbers become names */
    char *out = canon(text);
    CHECK_STR(out, "file 7 /lib/libc.so size=2M\n"
                   "mmap 1 0x7f0000000000 64K r-x private fd=7 off=8K err=ENOMEM\n"
                   "mmap 1 0x10000 8K rw- private,anon,fixed,noreserve,populate,growsdown,"
                   "stack,fixed_noreplace\n"
                   "mmap 2 0x20000 4K --- shared,anon\n"
                   "munmap 1 0x10000 4K err=EINVAL\n"
                   "mprotect 1 0x10000 4K r-- err=EACCES\n"
                   "brk 1 0x0 result=0x555000\n"
                   "brk 1 0x556000\n"
                   "fork 1 2\n"
                   "thread 1 11\n"
                   "exec 2 /lib/libc.so err=ENOEXEC\n"
                   "exit 2 status=9\n"
                   "madvise 1 0x10000 4K willneed err=EAGAIN\n"
                   "madvise 1 0x10000 4K 99\n"
                   "msync 1 0x10000 4K async,invalidate\n"
                   "msync 1 0x10000 4K err=EIO\n"
                   "mark start pid=3\n"
                   "r 1 0x10008 8 *100\n"
                   "w 1 0x10010\n"
                   "x 3 0x400000 4 *2\n"
                   "r 1 0x10 *5\n");
    free(out);
}

static void test_canonical_forms(void)
{
    /* non-canonical spellings in, canonical out */
    char *out = canon("  r\t1   16 0x1 *0x1   # comment\n"
                      "\n"
                      "   # only a comment\n"
                      "mmap 1 0X10000 12288 rw- anon,private off=0 err=0\n"
                      "mmap 1 0x10000 1536 rw- private,anon\n"
                      "mmap 1 0x10000 1.5M rw- private,anon\n"
                      "mmap 1 0x10000 0x100000000 rw- private,anon\n"
                      "mmap 1 0x10000 1KiB rw- private,anon\n"
                      "mmap 1 0x10000 2T rw- private,anon\n"
                      "mmap 1 0x10000 1024P rw- private,anon\n"
                      "mmap 1 0x10000 0 rw- private,anon\n"
                      "brk 1 0x1000 result=4K\n"
                      "exit 1 status=0\n"
                      "msync 1 0x1000 4K -\n"
                      "msync 1 0x1000 4K invalidate,sync,async\n"
                      "madvise 1 0x1000 4K DontNeed err=enomem\n"
                      "mark \"\"\n"
                      "mark \"x\" pid=0\n"
                      "r 1 64K 4K\n"
                      "w 1 0xFFFFFFFFFFFFFFFF\n");
    CHECK_STR(out, "r 1 0x10\n"
                   "mmap 1 0x10000 12K rw- private,anon\n"
                   "mmap 1 0x10000 1536 rw- private,anon\n"
                   "mmap 1 0x10000 1536K rw- private,anon\n"
                   "mmap 1 0x10000 4G rw- private,anon\n"
                   "mmap 1 0x10000 1K rw- private,anon\n"
                   "mmap 1 0x10000 2T rw- private,anon\n"
                   "mmap 1 0x10000 1024P rw- private,anon\n"
                   "mmap 1 0x10000 0 rw- private,anon\n"
                   "brk 1 0x1000\n"
                   "exit 1\n"
                   "msync 1 0x1000 4K\n"
                   "msync 1 0x1000 4K async,sync,invalidate\n"
                   "madvise 1 0x1000 4K dontneed err=ENOMEM\n"
                   "mark \"\"\n"
                   "mark x\n"
                   "r 1 0x10000 4096\n"
                   "w 1 0xffffffffffffffff\n");
    free(out);

    /* every errno and advice name comes back as itself */
    const char *names = "munmap 1 0x0 1 err=EPERM\nmunmap 1 0x0 1 err=ENOENT\n"
                        "munmap 1 0x0 1 err=EINTR\nmunmap 1 0x0 1 err=EIO\n"
                        "munmap 1 0x0 1 err=EBADF\nmunmap 1 0x0 1 err=EAGAIN\n"
                        "munmap 1 0x0 1 err=ENOMEM\nmunmap 1 0x0 1 err=EACCES\n"
                        "munmap 1 0x0 1 err=EFAULT\nmunmap 1 0x0 1 err=EBUSY\n"
                        "munmap 1 0x0 1 err=EEXIST\nmunmap 1 0x0 1 err=ENODEV\n"
                        "munmap 1 0x0 1 err=EINVAL\nmunmap 1 0x0 1 err=ENFILE\n"
                        "munmap 1 0x0 1 err=EMFILE\nmunmap 1 0x0 1 err=ETXTBSY\n"
                        "munmap 1 0x0 1 err=EFBIG\nmunmap 1 0x0 1 err=ENOSPC\n"
                        "munmap 1 0x0 1 err=EOVERFLOW\nmunmap 1 0x0 1 err=ENOEXEC\n"
                        "munmap 1 0x0 1 err=E2BIG\nmunmap 1 0x0 1 err=ENOTSUP\n"
                        "munmap 1 0x0 1 err=1000\n"
                        "madvise 1 0x0 1 normal\nmadvise 1 0x0 1 random\n"
                        "madvise 1 0x0 1 sequential\nmadvise 1 0x0 1 willneed\n"
                        "madvise 1 0x0 1 dontneed\nmadvise 1 0x0 1 free\n"
                        "madvise 1 0x0 1 remove\nmadvise 1 0x0 1 dontfork\n"
                        "madvise 1 0x0 1 dofork\nmadvise 1 0x0 1 mergeable\n"
                        "madvise 1 0x0 1 unmergeable\nmadvise 1 0x0 1 hugepage\n"
                        "madvise 1 0x0 1 nohugepage\nmadvise 1 0x0 1 dontdump\n"
                        "madvise 1 0x0 1 dodump\nmadvise 1 0x0 1 cold\n"
                        "madvise 1 0x0 1 pageout\nmadvise 1 0x0 1 5\n";
    out = canon(names);
    CHECK_STR(out, names);
    free(out);
    struct parsed p;
    parse(names, &p);
    static const int32_t errs[] = {1,  2,  4,  5,  9,  11, 12, 13, 14, 16, 17,  19,
                                   22, 23, 24, 26, 27, 28, 75, 8,  7,  95, 1000};
    static const uint16_t adv[] = {0, 1, 2, 3, 4, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 20, 21, 5};
    CHECK_EQ_U64(p.n, 23 + 18);
    for (size_t i = 0; i < 23 && i < p.n; i++)
        CHECK_EQ_U64(p.recs[i].err, errs[i]);
    for (size_t i = 0; i < 18 && 23 + i < p.n; i++)
        CHECK_EQ_U64(p.recs[23 + i].flags, adv[i]);
}

static void test_strings(void)
{
    struct parsed p;
    parse("file 1 \"/a b/c\\\"d\\\\e\\n\\t\\r\\x41\\xff#\"   # comment \"\n"
          "file 2 /tmp/é#comment\n"
          "mark \"fd=3\"\n"
          "mark pid=4\n"
          "exec 1 \"fd=3\"\n",
          &p);
    CHECK_EQ_U64(p.rc, 0);
    CHECK_EQ_U64(p.n, 6);
    CHECK_STR(p.recs[0].str, "/a b/c\"d\\e\n\t\rA\xff#");
    CHECK_STR(p.recs[1].str, "/tmp/é");
    CHECK_STR(p.recs[2].str, "fd=3");
    CHECK(p.recs[3].kind == VMR_REC_MARK && p.recs[3].pid == 0);
    CHECK_STR(p.recs[3].str, "pid=4");
    CHECK(p.recs[4].kind == VMR_REC_FILE && p.recs[4].arg == UINT32_MAX);
    CHECK_STR(p.recs[4].str, "fd=3");

    /* the writer quotes exactly what needs it */
    struct vmr_record recs[] = {
        {.kind = VMR_REC_FILE, .arg = 1, .off = VMR_FILE_SIZE_UNKNOWN, .str = "/plain/é"},
        {.kind = VMR_REC_FILE, .arg = 2, .off = 0, .str = "a b"},
        {.kind = VMR_REC_FILE, .arg = 3, .off = 1, .str = "q\"b\\s#\n\t\r\x01\x7f"},
        {.kind = VMR_REC_FILE, .arg = 4, .off = 1, .str = "fd=4"},
        {.kind = VMR_REC_EXEC, .pid = 1, .arg = 4},
        {.kind = VMR_REC_MARK, .str = ""},
        {.kind = VMR_REC_MARK, .str = "pid=1", .pid = 2},
    };
    static const struct vmr_trace_meta meta[] = {{"recorder", "test text"}, {"k", ""}};
    static const struct vmr_trace_header hdr = {1u << 21, 2, meta};
    char err[512];
    char *out = print_recs(&hdr, recs, sizeof recs / sizeof recs[0], err, sizeof err);
    CHECK_STR(out, "pagesize 2M\n"
                   "meta recorder \"test text\"\n"
                   "meta k \"\"\n"
                   "file 1 /plain/é\n"
                   "file 2 \"a b\" size=0\n"
                   "file 3 \"q\\\"b\\\\s#\\n\\t\\r\\x01\\x7f\" size=1\n"
                   "file 4 fd=4 size=1\n"
                   "exec 1 \"fd=4\"\n"
                   "mark \"\"\n"
                   "mark pid=1 pid=2\n");
    /* and reads back as the same records and header */
    if (out) {
        parse(out, &p);
        CHECK_EQ_U64(p.rc, 0);
        CHECK_EQ_U64(p.page_size, 1u << 21);
        CHECK_EQ_U64(p.n_meta, 2);
        CHECK_EQ_U64(p.n, 7);
        for (size_t i = 0; i < p.n && i < 7; i++) {
            CHECK_EQ_U64(p.recs[i].kind, recs[i].kind);
            CHECK_EQ_U64(p.recs[i].arg, recs[i].arg);
            CHECK_EQ_U64(p.recs[i].pid, recs[i].pid);
            if (recs[i].str)
                CHECK_STR(p.recs[i].str, recs[i].str);
        }
    }
    free(out);
}

static void test_header(void)
{
    struct parsed p;
    const char *path = vmr_test_write_tmp("h.txt", "# a header\n"
                                                   "pagesize 64K\n"
                                                   "meta recorder synth\n"
                                                   "\n"
                                                   "meta \"a key\" \"a\\tvalue\"  # c\n"
                                                   "meta empty \"\"\n"
                                                   "r 1 0x1\n");
    struct vmr_trace_reader *r;
    char err[512];
    CHECK_EQ_U64(vmr_trace_reader_open(&r, path, VMR_FORM_AUTO, err, sizeof err), 0);
    const struct vmr_trace_info *info = vmr_trace_reader_info(r);
    CHECK_EQ_U64(info->page_size, 65536);
    CHECK_EQ_U64(info->n_meta, 3);
    CHECK_EQ_U64(info->version_major, 1);
    CHECK_EQ_U64(info->version_minor, 0);
    CHECK(info->form == VMR_FORM_TEXT);
    if (info->n_meta == 3) {
        CHECK_STR(info->meta[0].key, "recorder");
        CHECK_STR(info->meta[0].value, "synth");
        CHECK_STR(info->meta[1].key, "a key");
        CHECK_STR(info->meta[1].value, "a\tvalue");
        CHECK_STR(info->meta[2].value, "");
    }
    struct vmr_record rec;
    size_t n;
    CHECK_EQ_U64(vmr_trace_reader_next(r, &rec, 1, &n), 0);
    CHECK_EQ_U64(n, 1);
    char where[64];
    vmr_trace_reader_where(r, 0, where, sizeof where);
    char want[600];
    snprintf(want, sizeof want, "%s:7", path);
    CHECK_STR(where, want);
    vmr_trace_reader_destroy(r);

    /* an empty trace and a header-only trace */
    parse("", &p);
    CHECK(p.rc == 0 && p.n == 0 && p.page_size == 4096);
    parse("pagesize 1\nmeta a b\n", &p);
    CHECK(p.rc == 0 && p.n == 0 && p.page_size == 1 && p.n_meta == 1);

    /* header errors fail the open, naming the line */
    static const struct {
        const char *text, *want;
    } bad[] = {
        {"pagesize 4096\npagesize 4096\n", ":2: pagesize given twice"},
        {"pagesize 3000\n", ":1: page size must be a power of two"},
        {"pagesize 2G\n", ":1: page size must be a power of two"},
        {"pagesize\n", ":1: expected 'pagesize BYTES'"},
        {"meta k\n", ":1: expected 'meta KEY VALUE'"},
        {"meta \"\" v\n", ":1: meta key must be 1 to 255 bytes"},
        {"\n\nmeta k \"v\n", ":3: unterminated string"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        parse(bad[i].text, &p);
        CHECK_EQ_U64(p.rc, VMR_EFORMAT);
        if (!strstr(p.err, bad[i].want))
            fprintf(stderr, "header case %zu: '%s' lacks '%s'\n", i, p.err, bad[i].want);
        CHECK(strstr(p.err, bad[i].want) != NULL);
    }
}

static void test_implicit_exec(void)
{
    const char *text = "exec 1 /bin/sh\n"        /* implicit 4294967295 */
                       "exec 2 /bin/sh\n"        /* same file again */
                       "file 4294967294 /x\n"    /* takes the next id: skipped */
                       "exec 3 /bin/true\n"      /* implicit 4294967293 */
                       "file 5 /bin/sh\n"        /* a later declaration wins */
                       "exec 4 /bin/sh\n"        /* -> 5 */
                       "file 5 /other\n"         /* 5 re-declared: /bin/sh is the implicit again */
                       "exec 5 /bin/sh\n"        /* -> 4294967295 */
                       "exec 6 fd=4294967293\n"; /* implicit files are declared */
    struct parsed p;
    parse(text, &p);
    CHECK_EQ_U64(p.rc, 0);
    CHECK_EQ_U64(p.n, 11);
    const struct vmr_record *r = p.recs;
    CHECK(r[0].kind == VMR_REC_FILE && r[0].arg == 4294967295u && r[0].flags == VMR_FILE_IMPLICIT &&
          r[0].off == VMR_FILE_SIZE_UNKNOWN);
    CHECK_STR(r[0].str, "/bin/sh");
    CHECK(r[1].kind == VMR_REC_EXEC && r[1].pid == 1 && r[1].arg == 4294967295u);
    CHECK(r[2].kind == VMR_REC_EXEC && r[2].pid == 2 && r[2].arg == 4294967295u);
    CHECK(r[3].kind == VMR_REC_FILE && r[3].arg == 4294967294u && r[3].flags == 0);
    CHECK(r[4].kind == VMR_REC_FILE && r[4].arg == 4294967293u && r[4].flags == VMR_FILE_IMPLICIT);
    CHECK(r[5].kind == VMR_REC_EXEC && r[5].arg == 4294967293u);
    CHECK(r[7].kind == VMR_REC_EXEC && r[7].pid == 4 && r[7].arg == 5);
    CHECK(r[9].kind == VMR_REC_EXEC && r[9].pid == 5 && r[9].arg == 4294967295u);
    CHECK(r[10].kind == VMR_REC_EXEC && r[10].pid == 6 && r[10].arg == 4294967293u);

    /* the same with one record per call: the exec waits for the next call */
    struct parsed q;
    parse_b(text, 1, &q);
    CHECK_EQ_U64(q.n, 11);
    for (size_t i = 0; i < q.n && i < p.n; i++)
        CHECK(q.recs[i].kind == p.recs[i].kind && q.recs[i].arg == p.recs[i].arg);

    /* canonical: implicit files are not printed, their exec prints the path */
    char *out = canon(text);
    CHECK_STR(out, "exec 1 /bin/sh\n"
                   "exec 2 /bin/sh\n"
                   "file 4294967294 /x\n"
                   "exec 3 /bin/true\n"
                   "file 5 /bin/sh\n"
                   "exec 4 /bin/sh\n"
                   "file 5 /other\n"
                   "exec 5 /bin/sh\n"
                   "exec 6 /bin/true\n");
    free(out);

    /* an exec whose path resolves to another file prints fd= */
    out = canon("file 3 /a\nfile 4 /a\nexec 1 fd=3\nexec 1 fd=4\n");
    CHECK_STR(out, "file 3 /a\nfile 4 /a\nexec 1 fd=3\nexec 1 /a\n");
    free(out);

    /* implicit records that a reader would not recreate as they are */
    struct vmr_record recs[] = {
        {.kind = VMR_REC_FILE, .arg = 9, .off = 100, .flags = VMR_FILE_IMPLICIT, .str = "/s"},
        {.kind = VMR_REC_EXEC, .pid = 1, .arg = 9},
        {.kind = VMR_REC_FILE, .arg = 8, .off = VMR_FILE_SIZE_UNKNOWN, .flags = 1, .str = "/m"},
        {.kind = VMR_REC_MMAP, .pid = 1, .len = 4096, .flags = VMR_MAP_SHARED, .arg = 8},
        {.kind = VMR_REC_FILE, .arg = 7, .off = VMR_FILE_SIZE_UNKNOWN, .flags = 1, .str = "/u"},
        {.kind = VMR_REC_EXEC, .pid = 1, .arg = 6},
    };
    char err[512];
    out = print_recs(&plain, recs, 6, err, sizeof err);
    CHECK_STR(out, "file 9 /s size=100\n"
                   "exec 1 /s\n"
                   "file 8 /m\n"
                   "mmap 1 0x0 4K --- shared fd=8\n"
                   "exec 1 fd=6\n");
    free(out);

    /* what the text form cannot say is refused */
    struct vmr_record bad_mmap = {.kind = VMR_REC_MMAP, .pid = 1, .len = 4096, .flags = 0};
    out = print_recs(&plain, &bad_mmap, 1, err, sizeof err);
    CHECK(out == NULL && strstr(err, "exactly one of private and shared"));
    free(out);
}

static void test_batches_and_rewind(void)
{
    /* strings stay valid for the whole batch; where() names each line */
    const char *path = vmr_test_write_tmp("b.txt", "mark one\n"
                                                   "# comment\n"
                                                   "exec 1 /bin/a\n"
                                                   "mark three\n"
                                                   "bad line\n");
    struct vmr_trace_reader *r;
    char err[512], where[600], want[600];
    CHECK_EQ_U64(vmr_trace_reader_open(&r, path, VMR_FORM_AUTO, err, sizeof err), 0);
    for (int pass = 0; pass < 2; pass++) {
        struct vmr_record recs[8];
        size_t n;
        CHECK_EQ_U64(vmr_trace_reader_next(r, recs, 8, &n), 0);
        CHECK_EQ_U64(n, 4);
        if (n == 4) {
            CHECK_STR(recs[0].str, "one");
            CHECK_STR(recs[1].str, "/bin/a");
            CHECK_STR(recs[3].str, "three");
            static const int lines[] = {1, 3, 3, 4};
            for (int i = 0; i < 4; i++) {
                vmr_trace_reader_where(r, (size_t)i, where, sizeof where);
                snprintf(want, sizeof want, "%s:%d", path, lines[i]);
                CHECK_STR(where, want);
            }
        }
        /* the bad line comes after the good records, and stays */
        CHECK_EQ_U64(vmr_trace_reader_next(r, recs, 8, &n), VMR_EFORMAT);
        CHECK_EQ_U64(n, 0);
        snprintf(want, sizeof want, "%s:5: unknown record kind (near 'bad')", path);
        CHECK_STR(vmr_trace_reader_error(r), want);
        CHECK_EQ_U64(vmr_trace_reader_next(r, recs, 8, &n), VMR_EFORMAT);
        CHECK_EQ_U64(vmr_trace_reader_rewind(r), 0);
    }
    vmr_trace_reader_destroy(r);

    /* count + rewind give the totals and the same records again */
    path = vmr_test_write_tmp("c.txt", "meta a b\nr 1 0x0 *5\nw 1 0x0\nexec 1 /x\nx 2 0x1 *2\n");
    CHECK_EQ_U64(vmr_trace_reader_open(&r, path, VMR_FORM_AUTO, err, sizeof err), 0);
    CHECK_EQ_U64(vmr_trace_reader_count(r), 0);
    const struct vmr_trace_info *info = vmr_trace_reader_info(r);
    CHECK_EQ_U64(info->n_records, 5);
    CHECK_EQ_U64(info->n_access_records, 3);
    CHECK_EQ_U64(info->n_accesses, 8);
    struct vmr_record recs[8];
    size_t n;
    CHECK_EQ_U64(vmr_trace_reader_next(r, recs, 8, &n), 0);
    CHECK_EQ_U64(n, 5);
    CHECK(n == 5 && recs[2].kind == VMR_REC_FILE && recs[2].arg == UINT32_MAX);
    vmr_trace_reader_destroy(r);

    /* CRLF line ends and a last line without one */
    struct parsed p;
    parse("r 1 0x10\r\nw 1 0x20 # c\r\nx 1 0x30", &p);
    CHECK(p.rc == 0 && p.n == 3 && p.recs[2].addr == 0x30);
}

static void test_long_lines(void)
{
    size_t big = 70000;
    char *text = malloc(3 * big);
    /* a record line over 64 KiB is refused with its line number */
    strcpy(text, "r 1 0x1\nmark ");
    size_t o = strlen(text);
    memset(text + o, 'a', big);
    strcpy(text + o + big, "\n");
    struct parsed p;
    parse(text, &p);
    CHECK_EQ_U64(p.rc, VMR_EFORMAT);
    CHECK_EQ_U64(p.n, 1);
    CHECK(strstr(p.err, ":2: line longer than 65536 bytes") != NULL);

    /* the same as the first line, and as a comment in the header */
    parse(text + strlen("r 1 0x1\n"), &p);
    CHECK_EQ_U64(p.rc, VMR_EFORMAT);
    CHECK(strstr(p.err, ":1: line longer than 65536 bytes") != NULL);
    text[strlen("r 1 0x1\n")] = '#';
    parse(text, &p);
    CHECK_EQ_U64(p.rc, VMR_EFORMAT);
    CHECK(strstr(p.err, ":2: line longer than 65536 bytes") != NULL);

    /* a meta value may be longer (the binary form allows 1 MiB) */
    strcpy(text, "meta big ");
    o = strlen(text);
    memset(text + o, 'b', big);
    strcpy(text + o + big, "\nr 1 0x1\n");
    const char *path = vmr_test_write_tmp("m.txt", text);
    struct vmr_trace_reader *r;
    char err[512];
    CHECK_EQ_U64(vmr_trace_reader_open(&r, path, VMR_FORM_AUTO, err, sizeof err), 0);
    CHECK(strlen(vmr_trace_reader_info(r)->meta[0].value) == big);
    vmr_trace_reader_destroy(r);

    /* many strings: batches end early rather than grow without bound */
    size_t lines = 3000, len = 0;
    char *many = malloc(lines * 120);
    for (size_t i = 0; i < lines; i++)
        len += (size_t)sprintf(many + len, "mark %0100zu\n", i);
    path = vmr_test_write_tmp("many.txt", many);
    CHECK_EQ_U64(vmr_trace_reader_open(&r, path, VMR_FORM_AUTO, err, sizeof err), 0);
    struct vmr_record *recs = malloc(lines * sizeof *recs);
    size_t total = 0, n, calls = 0;
    while (vmr_trace_reader_next(r, recs, lines, &n) == 0 && n > 0) {
        for (size_t i = 0; i < n; i++) {
            char want[128];
            sprintf(want, "%0100zu", total + i);
            if (strcmp(recs[i].str, want) != 0) {
                CHECK_STR(recs[i].str, want);
                break;
            }
        }
        total += n;
        calls++;
    }
    CHECK_EQ_U64(total, lines);
    CHECK(calls >= 2);
    vmr_trace_reader_destroy(r);
    free(recs);
    free(many);
    free(text);
}

/* Every malformed-line case: the error names file:line and what was wrong,
 * the code is VMR_EFORMAT (VMR_ERANGE for overflow), and the records
 * before the bad line are delivered. */
static void test_malformed(void)
{
    static const struct {
        const char *line;
        int rc;
        const char *want;
    } cases[] = {
        {"foo 1 2", VMR_EFORMAT, "unknown record kind (near 'foo')"},
        {"\"r\" 1 0x0", VMR_EFORMAT, "unknown record kind"},
        {"pagesize 4096", VMR_EFORMAT, "pagesize must come before the first record"},
        {"meta a b", VMR_EFORMAT, "meta must come before the first record"},
        {"r", VMR_EFORMAT, "too few fields for r (expected 'r PID ADDR [SIZE] [*COUNT]')"},
        {"r 1", VMR_EFORMAT, "too few fields for r"},
        {"r x 0x10", VMR_EFORMAT, "bad pid: expected a decimal or 0x number (near 'x')"},
        {"r -1 0x10", VMR_EFORMAT, "bad pid"},
        {"r 1K 0x10", VMR_EFORMAT, "bad pid"},
        {"r 4294967296 0x10", VMR_ERANGE, "pid out of range (at most 4294967295)"},
        {"r 1 0xg", VMR_EFORMAT, "bad address"},
        {"r 1 0x10000000000000000", VMR_ERANGE, "address out of range"},
        {"r 1 17179869184P", VMR_ERANGE, "address out of range"},
        {"r 1 1.3K", VMR_EFORMAT, "bad address"},
        {"r 1 0x10 0", VMR_EFORMAT, "access with size 0"},
        {"r 1 0x10 4G", VMR_ERANGE, "access size out of range"},
        {"r 1 0x10 *0", VMR_EFORMAT, "access with count 0"},
        {"r 1 0x10 *", VMR_EFORMAT, "bad count"},
        {"r 1 0x10 *4294967296", VMR_ERANGE, "count out of range"},
        {"r 1 0x10 8 *3 9", VMR_EFORMAT, "unexpected field for r"},
        {"r 1 0x10 *3 8", VMR_EFORMAT, "unexpected field for r (expected"},
        {"r 1 0xffffffffffffffff 2", VMR_ERANGE, "runs past the end of the address space"},
        {"r 1 0x10 1 2 3 4 5 6 7 8 9 10 11 12", VMR_EFORMAT, "too many fields"},
        {"mmap 1 0x1000 4K rw-", VMR_EFORMAT, "too few fields for mmap (expected 'mmap PID"},
        {"mmap 1 0x1000 4K rw private", VMR_EFORMAT,
         "bad protection: expected three characters like rw- or r-x (near 'rw')"},
        {"mmap 1 0x1000 4K rwz private", VMR_EFORMAT, "bad protection"},
        {"mmap 1 0x1000 4K wr- private", VMR_EFORMAT, "bad protection"},
        {"mmap 1 0x1000 4K rw- anon", VMR_EFORMAT, "exactly one of private and shared"},
        {"mmap 1 0x1000 4K rw- -", VMR_EFORMAT, "exactly one of private and shared"},
        {"mmap 1 0x1000 4K rw- private,shared", VMR_EFORMAT, "exactly one of private and shared"},
        {"mmap 1 0x1000 4K rw- private,bogus", VMR_EFORMAT, "unknown mmap flag (near 'bogus')"},
        {"mmap 1 0x1000 4K rw- private,", VMR_EFORMAT, "unknown mmap flag"},
        {"mmap 1 0x1000 4K rw- shared fd=3", VMR_EFORMAT, "fd=3 names no declared file"},
        {"mmap 1 0x1000 4K rw- shared,anon fd=1", VMR_EFORMAT,
         "a file mapping (fd=) cannot be anon"},
        {"mmap 1 0x1000 4K rw- private err=EBOGUS", VMR_EFORMAT, "bad errno"},
        {"mmap 1 0x1000 4K rw- private err=-1", VMR_EFORMAT, "bad errno"},
        {"mmap 1 0x1000 4K rw- private err=2147483648", VMR_ERANGE, "errno out of range"},
        {"mmap 1 0x1000 4K rw- private err=1 err=2", VMR_EFORMAT, "err= given twice"},
        {"mmap 1 0x1000 4K rw- private off=x", VMR_EFORMAT, "bad offset"},
        {"mmap 1 0x1000 4K rw- private size=1", VMR_EFORMAT, "unexpected field for mmap"},
        {"mmap 1 0x1000 4K rw- private \"err=1\"", VMR_EFORMAT, "unexpected field"},
        {"munmap 1 0x1000", VMR_EFORMAT, "too few fields for munmap"},
        {"munmap 1 0x1000 x", VMR_EFORMAT, "bad length"},
        {"mprotect 1 0x1000 4K", VMR_EFORMAT, "too few fields for mprotect"},
        {"brk 1 0x10 result=", VMR_EFORMAT, "bad result"},
        {"brk 1 0x10 0x20", VMR_EFORMAT, "unexpected field for brk"},
        {"fork 1", VMR_EFORMAT, "too few fields for fork"},
        {"fork 1 2 3", VMR_EFORMAT, "unexpected field for fork"},
        {"thread 1 x", VMR_EFORMAT, "bad thread id"},
        {"exec 1", VMR_EFORMAT, "too few fields for exec"},
        {"exec 1 fd=9", VMR_EFORMAT, "fd=9 names no declared file (near 'fd=9')"},
        {"exec 1 fd=x", VMR_EFORMAT, "bad file id"},
        {"exec 1 \"\"", VMR_EFORMAT, "file path of 0 bytes"},
        {"exec 1 /a err=E", VMR_EFORMAT, "bad errno"},
        {"exit", VMR_EFORMAT, "too few fields for exit"},
        {"exit 1 status=x", VMR_EFORMAT, "bad status"},
        {"exit 1 status=4294967296", VMR_ERANGE, "status out of range"},
        {"exit 1 3", VMR_EFORMAT, "unexpected field for exit"},
        {"file 0 /x", VMR_EFORMAT, "file id 0 (file ids start at 1)"},
        {"file 1", VMR_EFORMAT, "too few fields for file"},
        {"file 1 /a size=1.5", VMR_EFORMAT, "bad size"},
        {"file 1 /a size=1 size=2", VMR_EFORMAT, "size= given twice"},
        {"madvise 1 0x1000 4K", VMR_EFORMAT, "too few fields for madvise"},
        {"madvise 1 0x1000 4K bogus", VMR_EFORMAT, "bad advice"},
        {"madvise 1 0x1000 4K 65536", VMR_ERANGE, "advice out of range"},
        {"msync 1 0x1000 4K bogus", VMR_EFORMAT, "unknown msync flag"},
        {"msync 1 0x1000 4K sync sync", VMR_EFORMAT, "unexpected field for msync"},
        {"mark", VMR_EFORMAT, "too few fields for mark"},
        {"mark a pid=x", VMR_EFORMAT, "bad pid"},
        {"mark a b", VMR_EFORMAT, "unexpected field for mark"},
        {"exec 1 \"unterminated", VMR_EFORMAT, "unterminated string"},
        {"exec 1 \"a\"b", VMR_EFORMAT, "text right after a closing quote"},
        {"exec 1 a\"b\"", VMR_EFORMAT, "'\"' inside an unquoted word"},
        {"exec 1 a\\b", VMR_EFORMAT, "'\\' inside an unquoted word"},
        {"exec 1 \"bad\\q\"", VMR_EFORMAT, "unknown escape"},
        {"exec 1 \"bad\\x0\"", VMR_EFORMAT, "\\x needs two hexadecimal digits"},
        {"exec 1 \"bad\\x\"", VMR_EFORMAT, "\\x needs two hexadecimal digits"},
        {"exec 1 \"nul\\x00\"", VMR_EFORMAT, "NUL byte in string"},
        {"exec 1 \"trailing\\\"", VMR_EFORMAT, "unterminated string"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[512];
        snprintf(text, sizeof text, "file 1 /f\nr 1 0x1\n\n%s\nr 1 0x2\n", cases[i].line);
        struct parsed p;
        parse(text, &p);
        int ok = p.rc == cases[i].rc && p.n == 2 && strstr(p.err, ":4: ") &&
                 strstr(p.err, cases[i].want);
        if (!ok)
            fprintf(stderr, "case '%s': rc %d, %zu records, '%s' (want %d, '%s')\n", cases[i].line,
                    p.rc, p.n, p.err, cases[i].rc, cases[i].want);
        CHECK(ok);
    }
    /* a NUL byte inside a line */
    const char nul[] = "r 1 0x1\nr 1 0x\0002\n";
    const char *path = vmr_test_tmp("nul.txt");
    FILE *fp = fopen(path, "wb");
    fwrite(nul, 1, sizeof nul - 1, fp);
    fclose(fp);
    struct vmr_trace_reader *r;
    char err[512];
    CHECK_EQ_U64(vmr_trace_reader_open(&r, path, VMR_FORM_AUTO, err, sizeof err), 0);
    struct vmr_record recs[4];
    size_t n;
    CHECK_EQ_U64(vmr_trace_reader_next(r, recs, 4, &n), 0);
    CHECK_EQ_U64(n, 1);
    CHECK_EQ_U64(vmr_trace_reader_next(r, recs, 4, &n), VMR_EFORMAT);
    CHECK(strstr(vmr_trace_reader_error(r), ":2: NUL byte") != NULL);
    vmr_trace_reader_destroy(r);
}

int main(void)
{
    test_every_kind();
    test_canonical_forms();
    test_strings();
    test_header();
    test_implicit_exec();
    test_batches_and_rewind();
    test_long_lines();
    test_malformed();
    return vmr_test_done();
}
