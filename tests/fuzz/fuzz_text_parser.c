/*
 * fuzz_text_parser.c - any bytes, read as a text trace in batches of a size
 * taken from the input, then printed through the text writer into memory.
 * Errors are expected; crashes, leaks and undefined behaviour are not, and
 * neither is a broken round trip, which aborts:
 *   - every record the reader delivers is accepted by the writer;
 *   - reading the printed text gives the same header and records, with no
 *     error, and printing those again gives the same bytes;
 *   - a rewind reads the same number of records again.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmreplay/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_RECS 200000

struct recs {
    struct vmr_record *v;
    size_t n, cap;
    uint32_t page_size;
    size_t n_meta;
    struct vmr_trace_meta *meta;
    int rc;
};

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (!d)
        abort();
    return memcpy(d, s, n);
}

static void recs_free(struct recs *rs)
{
    for (size_t i = 0; i < rs->n; i++)
        free((void *)rs->v[i].str);
    for (size_t i = 0; i < rs->n_meta; i++) {
        free((void *)rs->meta[i].key);
        free((void *)rs->meta[i].value);
    }
    free(rs->meta);
    free(rs->v);
}

/* Reads everything; rs->rc is the open or read status. Returns the reader's
 * record count after a rewind (or 0). */
static size_t read_all(const void *buf, size_t len, size_t batch, struct recs *rs)
{
    memset(rs, 0, sizeof *rs);
    /* fmemopen refuses a zero size: give it one byte it will not read */
    FILE *fp = fmemopen((void *)(len ? buf : "\n"), len ? len : 1, "rb");
    if (!fp)
        abort();
    struct vmr_trace_reader *r;
    char err[256];
    rs->rc = vmr_trace_reader_open_stream(&r, fp, "fuzz", VMR_FORM_TEXT, err, sizeof err);
    if (rs->rc != 0) {
        fclose(fp);
        return 0;
    }
    const struct vmr_trace_info *info = vmr_trace_reader_info(r);
    rs->page_size = info->page_size;
    rs->n_meta = info->n_meta;
    rs->meta = calloc(info->n_meta + 1, sizeof *rs->meta);
    for (size_t i = 0; i < info->n_meta; i++) {
        rs->meta[i].key = dup_str(info->meta[i].key);
        rs->meta[i].value = dup_str(info->meta[i].value);
    }
    struct vmr_record b[8];
    size_t n;
    while ((rs->rc = vmr_trace_reader_next(r, b, batch, &n)) == 0 && n > 0) {
        char where[64];
        vmr_trace_reader_where(r, n - 1, where, sizeof where);
        for (size_t i = 0; i < n && rs->n < MAX_RECS; i++) {
            if (rs->n == rs->cap) {
                rs->cap = rs->cap ? 2 * rs->cap : 64;
                rs->v = realloc(rs->v, rs->cap * sizeof *rs->v);
                if (!rs->v)
                    abort();
            }
            rs->v[rs->n] = b[i];
            if (b[i].str)
                rs->v[rs->n].str = dup_str(b[i].str);
            rs->n++;
        }
    }
    size_t again = 0;
    if (vmr_trace_reader_rewind(r) == 0)
        while (vmr_trace_reader_next(r, b, 8, &n) == 0 && n > 0)
            again += n;
    vmr_trace_reader_destroy(r);
    fclose(fp);
    return again;
}

static char *print_all(const struct recs *rs, size_t *len)
{
    char *buf = NULL;
    FILE *fp = open_memstream(&buf, len);
    if (!fp)
        abort();
    struct vmr_trace_writer *w;
    struct vmr_trace_writer_options opt = {.form = VMR_FORM_TEXT};
    struct vmr_trace_header hdr = {rs->page_size, rs->n_meta, rs->meta};
    char err[256];
    if (vmr_trace_writer_open_stream(&w, fp, "mem", &hdr, &opt, err, sizeof err) != 0)
        abort(); /* the header came from a reader: it is valid */
    for (size_t i = 0; i < rs->n; i++)
        if (vmr_trace_writer_put(w, &rs->v[i]) != 0) {
            fprintf(stderr, "writer refused record %zu: %s\n", i, vmr_trace_writer_error(w));
            abort();
        }
    if (vmr_trace_writer_close(w, err, sizeof err) != 0)
        abort();
    fclose(fp);
    return buf;
}

static int same(const struct vmr_record *a, const struct vmr_record *b)
{
    return a->kind == b->kind && a->pid == b->pid && a->addr == b->addr && a->size == b->size &&
           a->count == b->count && a->prot == b->prot && a->flags == b->flags && a->len == b->len &&
           a->off == b->off && a->arg == b->arg && a->err == b->err &&
           (a->str == NULL) == (b->str == NULL) && (!a->str || strcmp(a->str, b->str) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t batch = size ? 1 + data[0] % 8 : 1;
    struct recs a, b;
    size_t again = read_all(data, size, batch, &a);
    if (a.page_size == 0) { /* the open failed */
        recs_free(&a);
        return 0;
    }
    if (a.rc == 0 && a.n < MAX_RECS && again != a.n) {
        fprintf(stderr, "rewind read %zu records, first pass %zu\n", again, a.n);
        abort();
    }
    size_t len1, len2;
    char *text1 = print_all(&a, &len1);
    read_all(text1, len1, 8, &b);
    if (b.rc != 0 || b.n != a.n || b.page_size != a.page_size || b.n_meta != a.n_meta) {
        fprintf(stderr, "canonical text does not read back (rc %d, %zu of %zu records)\n", b.rc,
                b.n, a.n);
        abort();
    }
    for (size_t i = 0; i < a.n_meta; i++)
        if (strcmp(a.meta[i].key, b.meta[i].key) || strcmp(a.meta[i].value, b.meta[i].value))
            abort();
    for (size_t i = 0; i < a.n; i++)
        if (!same(&a.v[i], &b.v[i])) {
            fprintf(stderr, "record %zu changed through text\n", i);
            abort();
        }
    char *text2 = print_all(&b, &len2);
    if (len1 != len2 || memcmp(text1, text2, len1) != 0) {
        fprintf(stderr, "canonical text is not stable\n");
        abort();
    }
    free(text1);
    free(text2);
    recs_free(&a);
    recs_free(&b);
    return 0;
}
