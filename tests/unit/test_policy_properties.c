/*
 * test_policy_properties.c - properties every correct implementation has,
 * over many seeded random reference strings:
 *   - OPT faults <= every other built-in policy's (Belady 1966);
 *   - LRU and OPT are stack algorithms (Mattson et al. 1970): faults never
 *     increase with more frames, and LRU's resident set with k frames is
 *     contained in its set with k+1 frames at every step;
 *   - faults >= distinct pages, with equality when all pages fit;
 *   - through the kernel, on random traces of processes that fork, exit,
 *     write private pages (copy-on-write) and share file and anonymous
 *     pages, OPT's page loads <= every other built-in policy's, in the
 *     seeds' semantics and in linux mode (zero page, fault-around,
 *     write-notify, fork copying only anonymous areas' PTEs).
 */
#include <stdlib.h>

#include "policy_harness.h"
#include "random_trace.h"
#include "testlib.h"

static const uint32_t frame_counts[] = {1, 2, 3, 4, 5, 6, 8, 11, 16, 23, 32, 48};
#define N_COUNTS (sizeof frame_counts / sizeof frame_counts[0])

static uint64_t run(const char *spec, uint32_t frames, const uint64_t *pages, const uint8_t *w,
                    size_t n, uint64_t seed)
{
    struct vmr_ph_stats st;
    char err[512] = "";
    if (vmr_ph_run(spec, frames, pages, w, n, seed, &st, err, sizeof err) != 0) {
        fprintf(stderr, "%s, %u frames, seed %llu: %s\n", spec, (unsigned)frames,
                (unsigned long long)seed, err);
        vmr_test_failures++;
        return UINT64_MAX;
    }
    return st.faults;
}

static size_t distinct(const uint64_t *pages, size_t n, uint32_t n_pages)
{
    uint8_t *seen = calloc(n_pages, 1);
    size_t d = 0;
    for (size_t i = 0; i < n; i++)
        if (!seen[pages[i]]) {
            seen[pages[i]] = 1;
            d++;
        }
    free(seen);
    return d;
}

static void test_random_strings(void)
{
    size_t n_builtins;
    const struct vmr_policy_ops *const *ops = vmr_policy_builtins(&n_builtins);
    uint64_t *pages = malloc(2000 * sizeof *pages);
    uint8_t *writes = malloc(2000);
    uint64_t *f = malloc(n_builtins * N_COUNTS * sizeof *f);
    size_t opt = n_builtins;
    for (size_t p = 0; p < n_builtins; p++)
        if (strcmp(ops[p]->name, "opt") == 0)
            opt = p;
    CHECK(opt < n_builtins);
    size_t lru = 0;
    for (size_t p = 0; p < n_builtins; p++)
        if (strcmp(ops[p]->name, "lru") == 0)
            lru = p;

    for (uint64_t seed = 1; seed <= 120 && opt < n_builtins; seed++) {
        enum vmr_ph_shape shape = (enum vmr_ph_shape)(seed % VMR_PH_N_SHAPES);
        uint32_t n_pages = 8 + (uint32_t)(seed * 7 % 57);
        size_t n = 500 + (size_t)(seed * 131 % 1500);
        vmr_ph_random_string(seed, shape, n, n_pages, pages, writes);
        size_t d = distinct(pages, n, n_pages);
        /* OPT and LRU on every string, the others on every third (time) */
        int all = seed % 3 == 0;
        for (size_t p = 0; p < n_builtins; p++)
            for (size_t k = 0; k < N_COUNTS; k++)
                f[p * N_COUNTS + k] =
                    all || p == opt || p == lru
                        ? run(ops[p]->name, frame_counts[k], pages, writes, n, seed)
                        : UINT64_MAX;
        for (size_t k = 0; k < N_COUNTS; k++) {
            uint64_t fo = f[opt * N_COUNTS + k];
            for (size_t p = 0; p < n_builtins; p++) {
                uint64_t fp = f[p * N_COUNTS + k];
                if (fp == UINT64_MAX)
                    continue;
                if (fo > fp)
                    fprintf(stderr, "seed %llu, %u frames: opt %llu > %s %llu\n",
                            (unsigned long long)seed, (unsigned)frame_counts[k],
                            (unsigned long long)fo, ops[p]->name, (unsigned long long)fp);
                CHECK(fo <= fp);
                CHECK(fp >= d);
                if (frame_counts[k] >= d)
                    CHECK_EQ_U64(fp, d);
            }
            if (k == 0)
                continue;
            size_t stack[] = {lru, opt};
            for (size_t j = 0; j < 2; j++) {
                uint64_t more = f[stack[j] * N_COUNTS + k], fewer = f[stack[j] * N_COUNTS + k - 1];
                if (more > fewer)
                    fprintf(stderr, "seed %llu: %s %llu faults with %u frames, %llu with %u\n",
                            (unsigned long long)seed, ops[stack[j]]->name, (unsigned long long)more,
                            (unsigned)frame_counts[k], (unsigned long long)fewer,
                            (unsigned)frame_counts[k - 1]);
                CHECK(more <= fewer);
            }
        }
    }
    free(pages);
    free(writes);
    free(f);
}

/* LRU's inclusion property, checked after every access. */
static void test_lru_inclusion(void)
{
    enum { N = 3000, PAGES = 40 };
    uint64_t *pages = malloc(N * sizeof *pages);
    for (uint64_t seed = 1; seed <= 8; seed++) {
        vmr_ph_random_string(seed, (enum vmr_ph_shape)(seed % VMR_PH_N_SHAPES), N, PAGES, pages,
                             NULL);
        for (uint32_t k = 1; k < 24; k += 3) {
            struct vmr_ph *small, *big;
            char err[512];
            if (vmr_ph_create(&small, "lru", k, seed, err, sizeof err) != 0 ||
                vmr_ph_create(&big, "lru", k + 1, seed, err, sizeof err) != 0) {
                fprintf(stderr, "%s\n", err);
                vmr_test_failures++;
                free(pages);
                return;
            }
            int ok = 1;
            for (size_t i = 0; i < N && ok; i++) {
                ok = vmr_ph_access(small, pages[i], 0, UINT64_MAX) >= 0 &&
                     vmr_ph_access(big, pages[i], 0, UINT64_MAX) >= 0;
                for (uint64_t p = 0; p < PAGES && ok; p++)
                    if (vmr_ph_frame_of(small, p) >= 0 && vmr_ph_frame_of(big, p) < 0) {
                        fprintf(stderr,
                                "lru seed %llu step %zu: page %llu in %u frames, "
                                "not in %u\n",
                                (unsigned long long)seed, i, (unsigned long long)p, (unsigned)k,
                                (unsigned)k + 1);
                        ok = 0;
                    }
            }
            CHECK(ok);
            vmr_ph_destroy(small);
            vmr_ph_destroy(big);
        }
    }
    free(pages);
}

/* OPT's next use follows the kernel's pages through fork, sharing and
 * copy-on-write: it loads no more pages than any other policy. */
static void test_random_processes(void)
{
    size_t n_builtins;
    const struct vmr_policy_ops *const *ops = vmr_policy_builtins(&n_builtins);
    /* the seeds' semantics, and linux mode without swap read-ahead (whose
     * pages come in untouched, with no next use of their own: OPT can lose
     * to LIRS with it) */
    static const char *const seeds[] = {NULL};
    static const char *const linux_mode[] = {"mode", "linux", "page-cluster", "0", NULL};
    static const char *const *const modes[] = {seeds, linux_mode};
    for (uint64_t seed = 1; seed <= 40; seed++) {
        char path[512];
        snprintf(path, sizeof path, "%s", vmr_rt_write(seed, 100 + seed * 7 % 100, 1));
        const size_t m = seed % 2;
        for (uint32_t frames = 1; frames <= 8; frames++) {
            uint64_t opt = UINT64_MAX, loads[64];
            for (size_t p = 0; p < n_builtins && p < 64; p++) {
                loads[p] = UINT64_MAX;
                if (vmr_rt_replay(path, ops[p]->name, frames, modes[m], &loads[p]) != 0)
                    vmr_test_failures++;
                else if (ops[p]->flags & VMR_POLICY_NEEDS_FUTURE)
                    opt = loads[p];
            }
            CHECK(opt != UINT64_MAX);
            for (size_t p = 0; p < n_builtins && p < 64; p++) {
                if (loads[p] == UINT64_MAX)
                    continue;
                if (opt > loads[p])
                    fprintf(stderr, "seed %llu (%s), %u frames: opt loads %llu > %s %llu\n",
                            (unsigned long long)seed, m ? "linux" : "seeds", (unsigned)frames,
                            (unsigned long long)opt, ops[p]->name, (unsigned long long)loads[p]);
                CHECK(opt <= loads[p]);
            }
        }
    }
}

int main(void)
{
    test_random_strings();
    test_lru_inclusion();
    test_random_processes();
    return vmr_test_done();
}
