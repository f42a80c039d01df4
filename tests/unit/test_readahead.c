/*
 * test_readahead.c - reading with a read-ahead thread gives exactly what
 * reading without one gives: the same records and strings, the same
 * positions from vmr_trace_reader_where, the same error after the same
 * records, and the same again after a rewind, with records copied out
 * (next) or handed out in place (next_view). Batch sizes that do not
 * divide the frames, a caller's max smaller and larger than the thread's
 * batch, and a corrupt frame in the middle are covered.
 */
#include "testlib.h"
#include "vmreplay/trace.h"

#define N_RECORDS 50000

/* A trace of accesses by three pids with file declarations and markers
 * sprinkled in, in frames of 4 KiB so there are many. */
static const char *make_trace(void)
{
    const char *path = vmr_test_tmp("ra.vmt");
    char err[512];
    struct vmr_trace_writer *w;
    struct vmr_trace_writer_options opt = {.frame_bytes = 4096};
    struct vmr_trace_header hdr = {.page_size = 4096};
    CHECK(vmr_trace_writer_open(&w, path, &hdr, &opt, err, sizeof err) == 0);
    char label[32];
    for (uint32_t i = 0; i < N_RECORDS; i++) {
        struct vmr_record r = {0};
        if (i % 997 == 0) {
            snprintf(label, sizeof label, "phase-%u", (unsigned)i);
            r.kind = VMR_REC_MARK;
            r.str = label;
        } else if (i % 1499 == 0) {
            snprintf(label, sizeof label, "/data/file-%u", (unsigned)i);
            r.kind = VMR_REC_FILE;
            r.arg = 1 + i;
            r.off = 4096u * i;
            r.str = label;
        } else {
            r.kind = (uint8_t)(i % 3);
            r.pid = 1 + i % 3;
            r.addr = 0x7f0000000000ULL + (uint64_t)(i * 2654435761u % 65536u) * 8;
            r.size = 8;
            r.count = 1 + i % 4;
        }
        CHECK(vmr_trace_writer_put(w, &r) == 0);
    }
    CHECK(vmr_trace_writer_close(w, err, sizeof err) == 0);
    return path;
}

struct seen {
    struct vmr_record *recs;
    char **strs;
    char **where;
    size_t n;
    int rc;
    char err[1024];
};

static void seen_free(struct seen *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->strs[i]);
        free(s->where[i]);
    }
    free(s->recs);
    free(s->strs);
    free(s->where);
}

/* Reads the whole trace in calls of `max` records, keeping every record,
 * its string and its position, then the final status. */
static void read_all(struct vmr_trace_reader *r, size_t max, struct seen *s, int view)
{
    memset(s, 0, sizeof *s);
    size_t cap = N_RECORDS + 16;
    s->recs = calloc(cap, sizeof *s->recs);
    s->strs = calloc(cap, sizeof *s->strs);
    s->where = calloc(cap, sizeof *s->where);
    struct vmr_record *batch = calloc(max, sizeof *batch);
    for (;;) {
        size_t n;
        const struct vmr_record *got = batch;
        s->rc = view ? vmr_trace_reader_next_view(r, &got, max, &n)
                     : vmr_trace_reader_next(r, batch, max, &n);
        if (s->rc != 0) {
            snprintf(s->err, sizeof s->err, "%s", vmr_trace_reader_error(r));
            break;
        }
        if (n == 0)
            break;
        for (size_t i = 0; i < n && s->n < cap; i++) {
            char where[256];
            vmr_trace_reader_where(r, i, where, sizeof where);
            s->recs[s->n] = got[i];
            s->strs[s->n] = got[i].str ? strdup(got[i].str) : NULL;
            s->recs[s->n].str = NULL;
            s->where[s->n] = strdup(where);
            s->n++;
        }
    }
    free(batch);
}

static void check_same(const struct seen *a, const struct seen *b)
{
    CHECK_EQ_U64(a->n, b->n);
    CHECK_EQ_U64((uint64_t)(int64_t)a->rc, (uint64_t)(int64_t)b->rc);
    if (a->rc)
        CHECK_STR(a->err, b->err);
    size_t n = a->n < b->n ? a->n : b->n;
    size_t bad = 0;
    for (size_t i = 0; i < n && bad < 5; i++) {
        const struct vmr_record *x = &a->recs[i], *y = &b->recs[i];
        int same = x->kind == y->kind && x->pid == y->pid && x->addr == y->addr &&
                   x->size == y->size && x->count == y->count && x->arg == y->arg &&
                   x->off == y->off && strcmp(a->where[i], b->where[i]) == 0 &&
                   (!a->strs[i] == !b->strs[i]) && (!a->strs[i] || !strcmp(a->strs[i], b->strs[i]));
        if (!same) {
            fprintf(stderr, "record %zu differs (%s vs %s)\n", i, a->where[i], b->where[i]);
            bad++;
        }
    }
    CHECK(bad == 0);
}

static void compare(const char *path, size_t ra_batch, size_t max, int expect_error)
{
    char err[512];
    struct vmr_trace_reader *plain, *ahead;
    CHECK(vmr_trace_reader_open(&plain, path, VMR_FORM_AUTO, err, sizeof err) == 0);
    CHECK(vmr_trace_reader_open(&ahead, path, VMR_FORM_AUTO, err, sizeof err) == 0);
    CHECK(vmr_trace_reader_readahead(ahead, ra_batch) == 0);
    struct seen a, b;
    read_all(plain, max, &a, 0);
    read_all(ahead, max, &b, 0);
    check_same(&a, &b);
    CHECK(!a.rc == !expect_error);
    CHECK(a.n > 1000); /* an error comes after many good records */
    seen_free(&b);
    /* a second pass after rewinding, and the same end or error */
    CHECK(vmr_trace_reader_rewind(ahead) == 0);
    read_all(ahead, max, &b, 0);
    check_same(&a, &b);
    seen_free(&b);
    /* in place, with and without read-ahead */
    CHECK(vmr_trace_reader_rewind(ahead) == 0);
    read_all(ahead, max, &b, 1);
    check_same(&a, &b);
    seen_free(&b);
    CHECK(vmr_trace_reader_rewind(plain) == 0);
    read_all(plain, max, &b, 1);
    check_same(&a, &b);
    seen_free(&a);
    seen_free(&b);
    vmr_trace_reader_destroy(plain);
    vmr_trace_reader_destroy(ahead);
}

/* Flips a byte in the middle of the compressed data of a frame. */
static const char *corrupt_copy(const char *path)
{
    FILE *in = fopen(path, "rb");
    CHECK(in != NULL);
    fseek(in, 0, SEEK_END);
    long size = ftell(in);
    fseek(in, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)size);
    CHECK(fread(buf, 1, (size_t)size, in) == (size_t)size);
    fclose(in);
    buf[size / 2] ^= 0x5a;
    const char *out = vmr_test_tmp("ra-bad.vmt");
    FILE *fo = fopen(out, "wb");
    CHECK(fwrite(buf, 1, (size_t)size, fo) == (size_t)size);
    fclose(fo);
    free(buf);
    return out;
}

int main(void)
{
    const char *path = make_trace();
    compare(path, 0, 2048, 0);
    compare(path, 100, 37, 0);
    compare(path, 333, 1000, 0);
    compare(path, 1, 5, 0);

    const char *bad = corrupt_copy(path);
    compare(bad, 0, 2048, 1);
    compare(bad, 7, 64, 1);

    /* the text form has no read-ahead, and says so */
    const char *txt = vmr_test_write_tmp("ra.txt", "r 1 0x1000\n");
    char err[512];
    struct vmr_trace_reader *r;
    CHECK(vmr_trace_reader_open(&r, txt, VMR_FORM_AUTO, err, sizeof err) == 0);
    CHECK(vmr_trace_reader_readahead(r, 0) == VMR_EUNSUPPORTED);
    vmr_trace_reader_destroy(r);
    remove(path);
    remove(bad);
    return vmr_test_done();
}
