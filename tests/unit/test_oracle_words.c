/*
 * test_oracle_words.c - OPT's pre-pass (vmr_oracle_compute) gives the same
 * next uses, copy-on-write exceptions and page count whether it reads
 * records only or takes the reader's page words for its fast lane: words
 * made in the caller's thread, by a read-ahead thread, and words of another
 * page size than the pass's (which it must not use). On random traces with
 * fork, exit, areas mapped again, a file mapped privately and shared, and
 * private areas written (copies on write) or only read, several batches
 * long; and on a trace whose pass starts again with more memory (a rewind
 * of a reader that makes words) and one whose frames grow as it runs.
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
    int same = a->n_touches == b->n_touches && a->n_pages == b->n_pages && a->n_cow == b->n_cow &&
               a->passes == b->passes && a->frames == b->frames;
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

/* Every way against the records-only pass on text trace `text`, whose
 * pass must take `passes` passes or more. */
static void check_text(const char *name, const char *text, unsigned passes)
{
    const char *path = to_binary(vmr_test_write_tmp("ow.txt", text));
    struct vmr_oracle want, got;
    if (!path || oracle_by(path, RECORDS, 4096, &want) != 0) {
        vmr_test_failures++;
        return;
    }
    CHECK(want.passes >= passes);
    static const enum way ways[] = {WORDS_CALLER, WORDS_THREAD};
    for (size_t w = 0; w < 2; w++) {
        char what[96];
        snprintf(what, sizeof what, "%s, way %d", name, (int)ways[w]);
        if (oracle_by(path, ways[w], 4096, &got) != 0) {
            vmr_test_failures++;
            continue;
        }
        check_same(&want, &got, what);
        vmr_oracle_release(&got);
    }
    vmr_oracle_release(&want);
}

int main(void)
{
    /* madvise WILLNEED fills the pass's memory: it starts again */
    check_text("restart",
               "file 3 /data/300m.bin size=300M\n"
               "mmap 1 0x10000000 300M r-- shared fd=3\n"
               "r 1 0x10000000 8\n"
               "madvise 1 0x10000000 300M willneed\n"
               "r 1 0x10000000 8\n"
               "r 1 0x10001000 8\n"
               "w 1 0x10000000 8\n",
               2);
    /* 20000 pages one by one: the frames grow between fast runs */
    {
        enum { PAGES = 20000 };
        size_t cap = 64 + (size_t)(PAGES + 1) * 32, len = 0;
        char *text = malloc(cap);
        CHECK(text != NULL);
        if (text) {
            len += (size_t)snprintf(text + len, cap - len,
                                    "mmap 1 0x10000000 400M rw- private,anon\n");
            for (unsigned i = 0; i < PAGES; i++)
                len += (size_t)snprintf(text + len, cap - len, "%c 1 0x%x\n", i % 3 ? 'r' : 'w',
                                        0x10000000u + (i * 7919u % PAGES) * 4096u);
            snprintf(text + len, cap - len, "r 1 0x10000000\n");
            check_text("grow", text, 1);
            free(text);
        }
    }
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
