/*
 * test_oracle_words.c - OPT's pre-pass (vmr_oracle_compute) gives the same
 * next uses, copy-on-write exceptions and page count whether it reads
 * records only or takes the reader's page words for its fast lane: words
 * made in the caller's thread, by a read-ahead thread, and words of another
 * page size than the pass's (which it must not use). On random traces with
 * fork, exit, areas mapped again, a file mapped privately and shared, and
 * private areas written (copies on write) or only read, several batches
 * long.
 */
#include <stdlib.h>
#include <string.h>

#include "random_trace.h"
#include "testlib.h"
#include "vmreplay/sim.h"

enum way { RECORDS, WORDS_CALLER, WORDS_THREAD, WORDS_OTHER_SIZE };

/* The binary form of text trace `text_path`, in a temporary file. */
static const char *to_binary(const char *text_path)
{
    const char *path = vmr_test_tmp("ow.vmt");
    char err[512];
    struct vmr_trace_reader *r;
    struct vmr_trace_writer *w;
    struct vmr_trace_writer_options opt = {.frame_bytes = 4096};
    struct vmr_trace_header hdr = {.page_size = 4096};
    if (vmr_trace_reader_open(&r, text_path, VMR_FORM_AUTO, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", text_path, err);
        vmr_test_failures++;
        return NULL;
    }
    CHECK(vmr_trace_writer_open(&w, path, &hdr, &opt, err, sizeof err) == 0);
    for (;;) {
        const struct vmr_record *recs;
        size_t n;
        CHECK(vmr_trace_reader_next_view(r, &recs, 512, &n) == 0);
        if (n == 0)
            break;
        for (size_t i = 0; i < n; i++)
            CHECK(vmr_trace_writer_put(w, &recs[i]) == 0);
    }
    CHECK(vmr_trace_writer_close(w, err, sizeof err) == 0);
    vmr_trace_reader_destroy(r);
    return path;
}

static int oracle_by(const char *path, enum way way, uint32_t page_size, struct vmr_oracle *o)
{
    char err[512];
    struct vmr_trace_reader *r;
    const struct vmr_kernel_config kc = {.page_size = page_size,
                                         .n_frames = 4,
                                         .swap_pages = VMR_SWAP_UNLIMITED,
                                         .policy = "opt",
                                         .seed = 1};
    int rc = vmr_trace_reader_open(&r, path, VMR_FORM_AUTO, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", path, err);
        return rc;
    }
    if (way == WORDS_THREAD)
        CHECK(vmr_trace_reader_readahead(r, 1000) == 0);
    if (way != RECORDS) {
        const unsigned shift = way == WORDS_OTHER_SIZE ? 12 : (unsigned)__builtin_ctz(page_size);
        CHECK(vmr_trace_reader_page_words(r, shift) == 0);
        CHECK_EQ_U64(vmr_trace_reader_word_shift(r), shift);
    } else {
        CHECK_EQ_U64(vmr_trace_reader_word_shift(r), 0);
    }
    rc = vmr_oracle_compute(r, &kc, o, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "%s: %s\n", path, err);
    vmr_trace_reader_destroy(r);
    return rc;
}

static void check_same(const struct vmr_oracle *a, const struct vmr_oracle *b, const char *what)
{
    int same = a->n_touches == b->n_touches && a->n_pages == b->n_pages && a->n_cow == b->n_cow;
    for (uint64_t t = 0; same && t < a->n_touches; t++)
        same = a->next_use[t] == b->next_use[t];
    for (size_t i = 0; same && i < a->n_cow; i++)
        same = a->cow[i].time == b->cow[i].time && a->cow[i].key == b->cow[i].key &&
               a->cow[i].next_use == b->cow[i].next_use;
    if (!same) {
        fprintf(stderr, "%s: the oracle differs from the records-only one\n", what);
        vmr_test_failures++;
    }
}

int main(void)
{
    uint64_t cows = 0;
    for (uint64_t seed = 1; seed <= 24; seed++) {
        const int cow = seed % 2;
        /* a few traces longer than the pass's batch of 4096 records */
        const size_t n_access = seed % 6 == 0 ? 12000 : 300 + 40 * seed;
        const char *path = to_binary(vmr_rt_write(seed, n_access, cow));
        if (!path)
            continue;
        static const uint32_t sizes[] = {4096, 8192};
        for (size_t s = 0; s < 2; s++) {
            struct vmr_oracle want, got;
            if (oracle_by(path, RECORDS, sizes[s], &want) != 0) {
                vmr_test_failures++;
                continue;
            }
            CHECK(want.n_touches >= n_access);
            cows += want.n_cow;
            static const enum way ways[] = {WORDS_CALLER, WORDS_THREAD, WORDS_OTHER_SIZE};
            for (size_t w = 0; w < 3; w++) {
                if (ways[w] == WORDS_OTHER_SIZE && sizes[s] == 4096)
                    continue;
                char what[96];
                snprintf(what, sizeof what, "seed %llu, page %u, way %d", (unsigned long long)seed,
                         (unsigned)sizes[s], (int)ways[w]);
                if (oracle_by(path, ways[w], sizes[s], &got) != 0) {
                    vmr_test_failures++;
                    continue;
                }
                check_same(&want, &got, what);
                vmr_oracle_release(&got);
            }
            vmr_oracle_release(&want);
        }
    }
    /* the traces that write private pages must copy some, or the
     * fast lane's check of writes went untested */
    CHECK(cows > 0);
    return vmr_test_done();
}
