/*
 * test_page_words.c - the page words a reader with read-ahead hands out
 * beside its records (vmr_trace_reader_next_words) are those the contract
 * in trace.h gives for the records delivered: for both binary encodings
 * (1.0 and 1.1), several page sizes, thread batches and caller batches that
 * do not divide the frames, and again after a rewind; and the same words
 * made in the caller's thread without read-ahead. Also the refusals of
 * vmr_trace_reader_page_words.
 */
#include "page_words.h"
#include "testlib.h"

#define N_RECORDS 40000

/* Runs of accesses by one pid (some with counts, some over two pages),
 * events between them (some between two accesses of the same pid), and
 * frames of 4 KiB, so that runs cross frames. */
static const char *make_trace(unsigned version)
{
    const char *path = vmr_test_tmp(version == 10 ? "w10.vmt" : "w11.vmt");
    char err[512];
    struct vmr_trace_writer *w;
    struct vmr_trace_writer_options opt = {.frame_bytes = 4096, .format_version = version};
    struct vmr_trace_header hdr = {.page_size = 4096};
    CHECK(vmr_trace_writer_open(&w, path, &hdr, &opt, err, sizeof err) == 0);
    uint32_t pid = 1;
    uint64_t x = 88172645463325252ULL; /* xorshift */
    for (uint32_t i = 0; i < N_RECORDS; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        struct vmr_record r = {0};
        if (i == 0 || x % 97 == 0) {
            r.kind = VMR_REC_MARK;
            r.pid = pid;
            r.str = "phase";
        } else if (x % 89 == 0) {
            r.kind = VMR_REC_MMAP;
            r.pid = pid;
            r.addr = 0x10000000ULL;
            r.len = 1 << 20;
            r.prot = 3;
            r.flags = VMR_MAP_PRIVATE | VMR_MAP_ANON;
        } else {
            if (x % 31 == 0)
                pid = 1 + (uint32_t)(x >> 32) % 3; /* sometimes the same again */
            r.kind = (uint8_t)(x >> 8) % 3;
            r.pid = pid;
            r.addr = 0x7f0000000000ULL + (x >> 16) % (1u << 22);
            r.size = x % 13 == 0 ? 8192 : x % 7 == 0 ? 64 : 8;
            r.count = x % 11 == 0 ? 2 + (uint32_t)(x % 5) : 1;
        }
        CHECK(vmr_trace_writer_put(w, &r) == 0);
    }
    CHECK(vmr_trace_writer_close(w, err, sizeof err) == 0);
    return path;
}

/* Reads the whole trace through next_words in calls of `max` and checks
 * each batch's words against the plain computation; counts the kinds. */
static void read_check(struct vmr_trace_reader *r, unsigned shift, size_t max, uint64_t seen[4])
{
    struct ref_words st = {0};
    uint64_t *want = malloc(max * sizeof *want);
    size_t total = 0, bad = 0;
    for (;;) {
        const struct vmr_record *recs;
        const uint64_t *words;
        size_t n;
        int rc = vmr_trace_reader_next_words(r, &recs, &words, max, &n);
        CHECK(rc == 0);
        if (rc != 0 || n == 0)
            break;
        CHECK(words != NULL);
        if (!words)
            break;
        ref_page_words(&st, recs, n, shift, want);
        for (size_t i = 0; i < n; i++) {
            if (words[i] != want[i] && bad++ < 5)
                fprintf(stderr, "shift %u record %zu: word %#" PRIx64 ", want %#" PRIx64 "\n",
                        shift, total + i, words[i], want[i]);
            seen[!vmr_page_word_special(want[i]) ? 0 : want[i] - VMR_PAGE_WORD_OTHER + 1]++;
        }
        total += n;
    }
    CHECK_EQ_U64(total, N_RECORDS);
    CHECK(bad == 0);
    free(want);
}

#define NO_READAHEAD SIZE_MAX

/* ra_batch NO_READAHEAD: the words made in the caller's thread. */
static void check_trace(const char *path, unsigned shift, size_t ra_batch, size_t max)
{
    char err[512];
    struct vmr_trace_reader *r;
    CHECK(vmr_trace_reader_open(&r, path, VMR_FORM_AUTO, err, sizeof err) == 0);
    if (ra_batch != NO_READAHEAD)
        CHECK(vmr_trace_reader_readahead(r, ra_batch) == 0);
    CHECK(vmr_trace_reader_page_words(r, 2) == VMR_EINVAL);
    CHECK(vmr_trace_reader_page_words(r, 31) == VMR_EINVAL);
    CHECK(vmr_trace_reader_page_words(r, shift) == 0);
    CHECK(vmr_trace_reader_page_words(r, shift) == 0);              /* again: the same */
    CHECK(vmr_trace_reader_page_words(r, shift + 1) == VMR_EINVAL); /* another */
    uint64_t seen[4] = {0};
    read_check(r, shift, max, seen);
    /* every kind of word occurs: one page, OTHER, NEWPID, EVENT */
    for (int i = 0; i < 4; i++)
        CHECK(seen[i] > 100);
    CHECK(vmr_trace_reader_rewind(r) == 0);
    uint64_t again[4] = {0};
    read_check(r, shift, max, again);
    CHECK(memcmp(seen, again, sizeof seen) == 0);
    vmr_trace_reader_destroy(r);
}

int main(void)
{
    static const unsigned versions[] = {10, 11};
    for (size_t v = 0; v < 2; v++) {
        const char *path = make_trace(versions[v]);
        check_trace(path, 12, 0, 2048);
        check_trace(path, 12, 333, 1000);
        check_trace(path, 3, 100, 37);
        check_trace(path, 16, 1, 5);
        check_trace(path, 12, NO_READAHEAD, 1000);
        check_trace(path, 3, NO_READAHEAD, 37);
        /* without read-ahead, words may be asked for after records were
         * read: the first access after is NEWPID, and all are right */
        {
            char err[512];
            struct vmr_trace_reader *r;
            CHECK(vmr_trace_reader_open(&r, path, VMR_FORM_AUTO, err, sizeof err) == 0);
            const struct vmr_record *recs;
            const uint64_t *words;
            size_t n;
            CHECK(vmr_trace_reader_next_view(r, &recs, 1234, &n) == 0 && n > 0);
            const size_t first = n; /* (a call stops at the end of a frame) */
            CHECK(vmr_trace_reader_page_words(r, 12) == 0);
            struct ref_words st = {0};
            size_t total = 0, bad = 0;
            while (vmr_trace_reader_next_words(r, &recs, &words, 999, &n) == 0 && n > 0 && words) {
                uint64_t want[999];
                ref_page_words(&st, recs, n, 12, want);
                for (size_t i = 0; i < n; i++)
                    bad += words[i] != want[i];
                total += n;
            }
            CHECK_EQ_U64(total, N_RECORDS - first);
            CHECK(bad == 0);
            vmr_trace_reader_destroy(r);
        }
        /* words asked for before read-ahead is: the thread makes them */
        {
            char err[512];
            struct vmr_trace_reader *r;
            CHECK(vmr_trace_reader_open(&r, path, VMR_FORM_AUTO, err, sizeof err) == 0);
            CHECK(vmr_trace_reader_page_words(r, 12) == 0);
            CHECK(vmr_trace_reader_readahead(r, 100) == 0);
            uint64_t seen[4] = {0};
            read_check(r, 12, 1000, seen);
            CHECK(seen[0] > 100);
            vmr_trace_reader_destroy(r);
        }
        /* with read-ahead, once records are read, words would not know
         * the pid before */
        char err[512];
        struct vmr_trace_reader *r;
        CHECK(vmr_trace_reader_open(&r, path, VMR_FORM_AUTO, err, sizeof err) == 0);
        CHECK(vmr_trace_reader_readahead(r, 100) == 0);
        const struct vmr_record *recs;
        size_t n;
        CHECK(vmr_trace_reader_next_view(r, &recs, 10, &n) == 0 && n == 10);
        CHECK(vmr_trace_reader_page_words(r, 12) == VMR_EINVAL);
        const uint64_t *words = (const uint64_t *)recs; /* not NULL: must be set */
        CHECK(vmr_trace_reader_next_words(r, &recs, &words, 10, &n) == 0 && n == 10);
        CHECK(words == NULL); /* not asked for */
        vmr_trace_reader_destroy(r);
        remove(path);
    }
    /* the text form makes no words */
    const char *txt = vmr_test_write_tmp("w.txt", "r 1 0x1000\n");
    char err[512];
    struct vmr_trace_reader *r;
    CHECK(vmr_trace_reader_open(&r, txt, VMR_FORM_AUTO, err, sizeof err) == 0);
    CHECK(vmr_trace_reader_page_words(r, 12) == VMR_EUNSUPPORTED);
    const struct vmr_record *recs;
    const uint64_t *words;
    size_t n;
    CHECK(vmr_trace_reader_next_words(r, &recs, &words, 10, &n) == 0 && n == 1 && !words);
    vmr_trace_reader_destroy(r);
    return vmr_test_done();
}
