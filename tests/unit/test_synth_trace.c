/*
 * test_synth_trace.c - synth through the real trace writers and readers:
 * what vmr_synth_write puts in a .vmt (and a .txt) reads back as exactly the
 * records and header the generator produces, with the index counting every
 * access, and writing twice gives byte-identical files.
 */
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "vmreplay/synth.h"
#include "vmreplay/trace.h"

static const char *const opts[] = {
    "pattern",     "zipf:1.1@4,uniform:start=1M:size=1M,scan,loop:64K:start=2M",
    "footprint",   "4M",
    "accesses",    "300k",
    "processes",   "4",
    "backing",     "file",
    "collapse",    "1",
    "seed",        "77",
    "access-size", "16",
    NULL};

static struct vmr_synth *make(void)
{
    struct vmr_synth_config cfg;
    vmr_synth_config_init(&cfg);
    char err[512];
    for (size_t i = 0; opts[i]; i += 2)
        if (vmr_synth_config_set(&cfg, opts[i], opts[i + 1], err, sizeof err) != 0) {
            fprintf(stderr, "%s\n", err);
            exit(1);
        }
    struct vmr_synth *s;
    if (vmr_synth_create(&s, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
    return s;
}

static int write_trace(const char *path)
{
    struct vmr_synth *s = make();
    struct vmr_trace_writer *w;
    char err[512];
    int rc = vmr_trace_writer_open(&w, path, vmr_synth_header(s), NULL, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "%s\n", err);
        vmr_synth_destroy(s);
        return rc;
    }
    rc = vmr_synth_write(s, w);
    CHECK(rc == 0);
    vmr_synth_destroy(s);
    if (rc != 0) {
        vmr_trace_writer_destroy(w);
        return rc;
    }
    rc = vmr_trace_writer_close(w, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "%s\n", err);
    return rc;
}

static int same(const struct vmr_record *x, const struct vmr_record *y)
{
    return x->addr == y->addr && x->pid == y->pid && x->size == y->size && x->count == y->count &&
           x->kind == y->kind && x->prot == y->prot && x->flags == y->flags && x->len == y->len &&
           x->off == y->off && x->arg == y->arg && x->err == y->err &&
           (x->str == NULL) == (y->str == NULL) && (!x->str || strcmp(x->str, y->str) == 0);
}

static void check_read_back(const char *path, int binary)
{
    struct vmr_trace_reader *r;
    char err[512];
    if (vmr_trace_reader_open(&r, path, VMR_FORM_AUTO, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        vmr_test_failures++;
        return;
    }
    struct vmr_synth *s = make();
    const struct vmr_trace_header *h = vmr_synth_header(s);
    const struct vmr_trace_info *info = vmr_trace_reader_info(r);
    CHECK_EQ_U64(info->page_size, h->page_size);
    CHECK_EQ_U64(info->n_meta, h->n_meta);
    for (size_t i = 0; i < h->n_meta && i < info->n_meta; i++) {
        CHECK_STR(info->meta[i].key, h->meta[i].key);
        CHECK_STR(info->meta[i].value, h->meta[i].value);
    }
    static struct vmr_record got[500], want[500];
    uint64_t n_recs = 0, n_acc = 0, mismatches = 0;
    size_t n_got, n_want;
    for (;;) {
        /* reads in its own batch sizes; compare record by record */
        if (vmr_trace_reader_next(r, got, 500, &n_got) != 0) {
            fprintf(stderr, "%s\n", vmr_trace_reader_error(r));
            vmr_test_failures++;
            break;
        }
        size_t i = 0;
        while (i < n_got) {
            vmr_synth_next(s, want, n_got - i, &n_want);
            if (n_want == 0)
                break;
            for (size_t j = 0; j < n_want; j++, i++) {
                mismatches += !same(&got[i], &want[j]);
                if (vmr_rec_is_access(got[i].kind))
                    n_acc += got[i].count;
            }
        }
        if (i < n_got) {
            fprintf(stderr, "%s: more records than generated\n", path);
            vmr_test_failures++;
            break;
        }
        n_recs += n_got;
        if (n_got == 0)
            break;
    }
    vmr_synth_next(s, want, 1, &n_want);
    CHECK_EQ_U64(n_want, 0); /* nothing generated is missing */
    CHECK_EQ_U64(mismatches, 0);
    CHECK_EQ_U64(n_acc, 300000);
    if (binary) {
        CHECK(info->indexed);
        CHECK_EQ_U64(info->n_accesses, 300000);
        CHECK_EQ_U64(info->n_records, n_recs);
    }
    vmr_synth_destroy(s);
    vmr_trace_reader_destroy(r);
}

static int same_file(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int ok = fa && fb;
    while (ok) {
        int ca = getc(fa), cb = getc(fb);
        if (ca != cb)
            ok = 0;
        if (ca == EOF || cb == EOF)
            break;
    }
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    return ok;
}

int main(void)
{
    const char *a = vmr_test_tmp("a.vmt"), *b = vmr_test_tmp("b.vmt");
    CHECK(write_trace(a) == 0);
    CHECK(write_trace(b) == 0);
    CHECK(same_file(a, b));
    check_read_back(a, 1);
    remove(a);
    remove(b);

    const char *t = vmr_test_tmp("t.txt"), *u = vmr_test_tmp("u.txt");
    CHECK(write_trace(t) == 0);
    CHECK(write_trace(u) == 0);
    CHECK(same_file(t, u));
    check_read_back(t, 0);
    remove(t);
    remove(u);
    return vmr_test_done();
}
