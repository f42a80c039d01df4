/*
 * test_policy_opt_identity.c - OPT in the kernel is optimal on traces where
 * several processes share pages (issue 4): on small random traces with
 * fork, exit, a file mapped privately and shared, shared anonymous memory
 * and anonymous memory mapped again, OPT's page loads equal the optimum
 * found by exhaustive search over eviction choices, and no built-in policy
 * does better than that optimum.
 *
 * The search runs on the page string the oracle pass extracts (its next-use
 * chains: one page per chain). Private areas are only read, so no page is
 * copied and the kernel behaves as a demand-paged cache over that string:
 * each load is a miss, freed pages are pages never used again. The oracle
 * deriving that string is checked too: a string that merged or split pages
 * wrongly would give an optimum some policy's real loads beat, or that OPT
 * does not reach.
 *
 * Also the oracle's output on hand-made traces: touches that use no page,
 * a copy-on-write exception, a pass whose memory grows, and one that
 * starts again with more memory.
 */
#include <stdlib.h>

#include "hashmap.h"
#include "random_trace.h"
#include "testlib.h"
#include "vmreplay/sim.h"

#define MAX_TOUCHES 64

struct search {
    const uint8_t *page; /* page of each touch */
    size_t n;
    uint32_t frames;
    struct vmr_hashmap memo[MAX_TOUCHES + 1]; /* per time: resident set -> misses + 1 */
};

/* The fewest misses from touch t on with resident set `set`. */
static uint64_t best(struct search *s, size_t t, uint64_t set)
{
    if (t == s->n)
        return 0;
    uint64_t *m = vmr_hashmap_find(&s->memo[t], set);
    if (m)
        return *m - 1;
    const uint64_t p = 1ULL << s->page[t];
    uint64_t r;
    if (set & p) {
        r = best(s, t + 1, set);
    } else if ((uint32_t)__builtin_popcountll(set) < s->frames) {
        r = 1 + best(s, t + 1, set | p);
    } else {
        r = UINT64_MAX;
        for (uint64_t rest = set; rest; rest &= rest - 1) {
            uint64_t v = best(s, t + 1, (set & ~(rest & -rest)) | p);
            r = v < r ? v : r;
        }
        r++;
    }
    if (vmr_hashmap_put(&s->memo[t], set, r + 1) != 0)
        abort();
    return r;
}

/* The page string of the trace at path: one page per next-use chain. */
static size_t page_string(const char *path, uint8_t *page, size_t max)
{
    struct vmr_trace_reader *r;
    char err[512];
    struct vmr_oracle o;
    const struct vmr_kernel_config kc = {.page_size = 4096,
                                         .n_frames = 1,
                                         .swap_pages = VMR_SWAP_UNLIMITED,
                                         .policy = "opt",
                                         .seed = 1};
    if (vmr_trace_reader_open(&r, path, VMR_FORM_AUTO, err, sizeof err) != 0 ||
        vmr_oracle_compute(r, &kc, &o, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", path, err);
        vmr_test_failures++;
        return 0;
    }
    vmr_trace_reader_destroy(r);
    CHECK_EQ_U64(o.n_cow, 0);
    size_t n = o.n_touches < max ? (size_t)o.n_touches : max;
    CHECK_EQ_U64(o.n_touches, n);
    uint8_t n_pages = 0;
    for (size_t t = 0; t < n; t++)
        page[t] = UINT8_MAX;
    for (size_t t = 0; t < n; t++) {
        if (page[t] != UINT8_MAX)
            continue;
        for (uint64_t u = t; u < n; u = o.next_use[u]) {
            CHECK(page[u] == UINT8_MAX);
            page[u] = n_pages;
        }
        n_pages++;
    }
    CHECK(n_pages <= 64);
    CHECK_EQ_U64(o.n_pages, n_pages);
    vmr_oracle_release(&o);
    return n_pages <= 64 ? n : 0;
}

/* The oracle of the trace `text`: its rc, the message in err. */
static int oracle_rc(const char *text, struct vmr_oracle *o, char *err, size_t err_len)
{
    const char *path = vmr_test_write_tmp("oracle.txt", text);
    struct vmr_trace_reader *r;
    const struct vmr_kernel_config kc = {.page_size = 4096,
                                         .n_frames = 4,
                                         .swap_pages = VMR_SWAP_UNLIMITED,
                                         .policy = "opt",
                                         .seed = 1};
    int rc = vmr_trace_reader_open(&r, path, VMR_FORM_AUTO, err, err_len);
    if (rc == 0) {
        rc = vmr_oracle_compute(r, &kc, o, err, err_len);
        vmr_trace_reader_destroy(r);
    }
    return rc;
}

static int oracle_of(const char *text, struct vmr_oracle *o)
{
    const char *path = vmr_test_write_tmp("oracle.txt", text);
    struct vmr_trace_reader *r;
    char err[512];
    const struct vmr_kernel_config kc = {.page_size = 4096,
                                         .n_frames = 4,
                                         .swap_pages = VMR_SWAP_UNLIMITED,
                                         .policy = "opt",
                                         .seed = 1};
    int rc = vmr_trace_reader_open(&r, path, VMR_FORM_AUTO, err, sizeof err);
    if (rc == 0) {
        rc = vmr_oracle_compute(r, &kc, o, err, sizeof err);
        vmr_trace_reader_destroy(r);
    }
    if (rc != 0)
        fprintf(stderr, "%s: %s\n", path, err);
    CHECK(rc == 0);
    return rc;
}

static void check_next(const struct vmr_oracle *o, const uint64_t *want, size_t n)
{
    CHECK_EQ_U64(o->n_touches, n);
    for (size_t t = 0; t < n && t < o->n_touches; t++)
        if (o->next_use[t] != want[t]) {
            fprintf(stderr, "touch %zu: next use %llu, expected %llu\n", t,
                    (unsigned long long)o->next_use[t], (unsigned long long)want[t]);
            vmr_test_failures++;
        }
}

/* A segfault and a dead process's touches use no page and end no chain; a
 * touch of two pages is two touches; the child's read continues the
 * parent's chain of the same page-cache page. */
static void test_chains(void)
{
    struct vmr_oracle o;
    if (oracle_of("file 1 /data/f size=8K\n"
                  "mmap 1 0x10000 8K r-- private fd=1\n"
                  "fork 1 2\n"
                  "r 1 0x10000\n"     /* 0 */
                  "w 2 0x50000\n"     /* 1: unmapped: 2 dies */
                  "r 1 0x10000\n"     /* 2 */
                  "r 2 0x10000\n"     /* 3: dead */
                  "r 1 0x10ff8 16\n", /* 4, 5 */
                  &o) != 0)
        return;
    const uint64_t never = VMR_NEXT_USE_NONE;
    const uint64_t want[] = {2, never, 4, never, never, never};
    check_next(&o, want, 6);
    CHECK_EQ_U64(o.n_cow, 0);
    CHECK_EQ_U64(o.n_pages, 2);
    vmr_oracle_release(&o);
}

/* The parent's write copies P (anonymous serial 1): it uses the copy, and
 * P's next use from the copy on is the child's read. */
static void test_cow_exception(void)
{
    struct vmr_oracle o;
    if (oracle_of("mmap 1 0x30000 4K rw- private,anon\n"
                  "w 1 0x30000\n" /* 0: P */
                  "fork 1 2\n"
                  "w 1 0x30000\n"  /* 1: copies P to Q */
                  "r 2 0x30000\n"  /* 2: P */
                  "r 1 0x30000\n", /* 3: Q */
                  &o) != 0)
        return;
    const uint64_t never = VMR_NEXT_USE_NONE;
    const uint64_t want[] = {2, 3, never, never};
    check_next(&o, want, 4);
    CHECK_EQ_U64(o.n_cow, 1);
    if (o.n_cow == 1) {
        CHECK_EQ_U64(o.cow[0].time, 1);
        CHECK_EQ_U64(o.cow[0].key, 1);
        CHECK_EQ_U64(o.cow[0].next_use, 2);
    }
    vmr_oracle_release(&o);
}

/* Anonymous and file pages in turn: their ids come from the two ends of
 * one range (oracle.c), and each chain stays its own page's. */
static void test_mixed_ids(void)
{
    struct vmr_oracle o;
    if (oracle_of("file 1 /data/f size=16K\n"
                  "mmap 1 0x10000 16K r-- private fd=1\n"
                  "mmap 1 0x40000 8K rw- private,anon\n"
                  "r 1 0x10000\n"  /* 0: F0 */
                  "w 1 0x40000\n"  /* 1: A1 */
                  "r 1 0x11000\n"  /* 2: F1 */
                  "w 1 0x41000\n"  /* 3: A2 */
                  "r 1 0x10000\n"  /* 4: F0 */
                  "r 1 0x40000\n"  /* 5: A1 */
                  "r 1 0x11000\n"  /* 6: F1 */
                  "r 1 0x41000\n"  /* 7: A2 */
                  "r 1 0x12000\n"  /* 8: F2 */
                  "r 1 0x10000\n", /* 9: F0 */
                  &o) != 0)
        return;
    const uint64_t never = VMR_NEXT_USE_NONE;
    const uint64_t want[] = {4, 5, 6, 7, 9, never, never, never, never, never};
    check_next(&o, want, 10);
    CHECK_EQ_U64(o.n_pages, 5);
    vmr_oracle_release(&o);
}

/* Past the pass's limits (lowered for the test: the real ones are 2^32 - 2
 * touches and pages): a clear error, VMR_ERANGE, for too many touches and
 * for too many pages (a madvise reads 16 file pages that no touch uses). */
static void test_limits(void)
{
    struct vmr_oracle o;
    char err[512];
    setenv("VMREPLAY_ORACLE_MAX_TOUCHES", "5", 1);
    int rc = oracle_rc("mmap 1 0x40000 64K rw- private,anon\n"
                       "w 1 0x40000\nw 1 0x41000\nw 1 0x42000\n"
                       "r 1 0x40000\nr 1 0x41000\nr 1 0x42000\n",
                       &o, err, sizeof err);
    CHECK_EQ_U64((uint64_t)(int64_t)rc, (uint64_t)(int64_t)VMR_ERANGE);
    CHECK(strstr(err, "at most 5 page touches") != NULL);
    rc = oracle_rc("mmap 1 0x40000 64K rw- private,anon\n"
                   "w 1 0x40000 20K\n",
                   &o, err, sizeof err);
    CHECK_EQ_U64((uint64_t)(int64_t)rc, 0);
    if (rc == 0) {
        CHECK_EQ_U64(o.n_touches, 5);
        vmr_oracle_release(&o);
    }
    setenv("VMREPLAY_ORACLE_MAX_TOUCHES", "10", 1);
    rc = oracle_rc("file 3 /data/64k.bin size=64K\n"
                   "mmap 1 0x10000000 64K r-- shared fd=3\n"
                   "madvise 1 0x10000000 64K willneed\n"
                   "r 1 0x10000000 8\n"
                   "r 1 0x10001000 8\n",
                   &o, err, sizeof err);
    CHECK_EQ_U64((uint64_t)(int64_t)rc, (uint64_t)(int64_t)VMR_ERANGE);
    CHECK(strstr(err, "at most 10 page touches and as many pages") != NULL);
    unsetenv("VMREPLAY_ORACLE_MAX_TOUCHES");
}

/* What the three pass tests expect of an oracle: the passes it took, its
 * frames at the end, its touches and pages, and that the first touch's
 * page comes back at touch first_next while touch 1's and the last one's
 * never do. */
static void check_pass(const struct vmr_oracle *o, uint64_t passes, uint64_t frames,
                       uint64_t touches, uint64_t pages, uint64_t first_next)
{
    CHECK_EQ_U64(o->passes, passes);
    CHECK_EQ_U64(o->frames, frames);
    CHECK_EQ_U64(o->n_touches, touches);
    CHECK_EQ_U64(o->n_pages, pages);
    if (o->n_touches == touches) {
        CHECK_EQ_U64(o->next_use[0], first_next);
        CHECK_EQ_U64(o->next_use[1], VMR_NEXT_USE_NONE);
        CHECK_EQ_U64(o->next_use[touches - 1], VMR_NEXT_USE_NONE);
    }
}

/* More pages resident at once than the first pass's memory (2^14 frames
 * for a text trace): its frames grow before the record that needs them,
 * and the pass runs once. */
static void test_grow(void)
{
    struct vmr_oracle o;
    if (oracle_of("mmap 1 0x10000000 400M rw- private,anon\n"
                  "r 1 0x10000000 300M\n"
                  "r 1 0x10000000 8\n",
                  &o) != 0)
        return;
    check_pass(&o, 1, 1u << 18, 76801, 76800, 76800);
    vmr_oracle_release(&o);
}

/* The same pages one by one (the fast lane): the frames double as they
 * fill, with no second pass. */
static void test_grow_fast(void)
{
    enum { PAGES = 40000 };
    size_t cap = 64 + (size_t)(PAGES + 1) * 32, len = 0;
    char *text = malloc(cap);
    if (!text) {
        CHECK(text != NULL);
        return;
    }
    len += (size_t)snprintf(text + len, cap - len, "mmap 1 0x10000000 400M rw- private,anon\n");
    for (unsigned i = 0; i < PAGES; i++)
        len += (size_t)snprintf(text + len, cap - len, "%c 1 0x%x\n", i % 3 ? 'r' : 'w',
                                0x10000000u + i * 4096u);
    snprintf(text + len, cap - len, "r 1 0x10000000\n");
    struct vmr_oracle o;
    int rc = oracle_of(text, &o);
    free(text);
    if (rc != 0)
        return;
    check_pass(&o, 1, 1u << 16, PAGES + 1, PAGES, PAGES);
    vmr_oracle_release(&o);
}

/* A record whose pages are not known before it runs (madvise WILLNEED
 * reading a file into the page cache) fills the memory: the pass starts
 * again with four times as many frames, twice. */
static void test_restart(void)
{
    struct vmr_oracle o;
    if (oracle_of("file 3 /data/300m.bin size=300M\n"
                  "mmap 1 0x10000000 300M r-- shared fd=3\n"
                  "madvise 1 0x10000000 300M willneed\n"
                  "r 1 0x10000000 8\n"
                  "r 1 0x10001000 8\n"
                  "r 1 0x10000000 8\n",
                  &o) != 0)
        return;
    check_pass(&o, 3, 1u << 18, 3, 2, 2);
    vmr_oracle_release(&o);
}

int main(void)
{
    test_chains();
    test_cow_exception();
    test_grow();
    test_grow_fast();
    test_restart();
    test_mixed_ids();
    test_limits();
    size_t n_builtins;
    const struct vmr_policy_ops *const *ops = vmr_policy_builtins(&n_builtins);
    static const uint32_t frames[] = {1, 2, 3, 4};
    for (uint64_t seed = 1; seed <= 60; seed++) {
        const char *tmp = vmr_rt_write(seed, 24 + seed % 12, 0);
        char path[512];
        snprintf(path, sizeof path, "%s", tmp);
        uint8_t page[MAX_TOUCHES];
        size_t n = page_string(path, page, MAX_TOUCHES);
        if (n == 0)
            continue;
        for (size_t f = 0; f < sizeof frames / sizeof frames[0]; f++) {
            struct search s = {.page = page, .n = n, .frames = frames[f]};
            for (size_t t = 0; t <= n; t++)
                if (vmr_hashmap_init(&s.memo[t], 16) != 0)
                    abort();
            uint64_t optimum = best(&s, 0, 0);
            for (size_t t = 0; t <= n; t++)
                vmr_hashmap_release(&s.memo[t]);
            for (size_t p = 0; p < n_builtins; p++) {
                uint64_t loads;
                if (vmr_rt_replay(path, ops[p]->name, frames[f], NULL, &loads) != 0) {
                    vmr_test_failures++;
                    continue;
                }
                int opt = (ops[p]->flags & VMR_POLICY_NEEDS_FUTURE) != 0;
                if (opt ? loads != optimum : loads < optimum) {
                    fprintf(stderr, "seed %llu, %u frames: %s loads %llu, optimum %llu\n",
                            (unsigned long long)seed, (unsigned)frames[f], ops[p]->name,
                            (unsigned long long)loads, (unsigned long long)optimum);
                    vmr_test_failures++;
                }
            }
        }
    }
    return vmr_test_done();
}
