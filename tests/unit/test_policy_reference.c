/*
 * test_policy_reference.c - the built-in policies against deliberately
 * naive models of their definitions, fault for fault, on random strings.
 *
 * The models are written as the definitions read, with arrays and linear
 * scans, so a disagreement points at the optimised code:
 *   FIFO  a queue in load order; evict the head;
 *   LRU   last-use times; evict the smallest;
 *   CLOCK libCacheSim's Clock (cache/eviction/Clock.c, n-bit-counter=1):
 *         a queue with a one-bit counter per object, 0 on insert, 1 on a
 *         hit; to evict, while the oldest has its bit, clear it and move it
 *         to the newest end; evict the oldest; the new object goes to the
 *         newest end. This is the definition issue 4 compares with;
 *   OPT   evict the resident page with the farthest next use;
 *   GCLOCK with bits=0 (no counter) is CLOCK, the same model;
 *   SIEVE libCacheSim's Sieve (cache/eviction/Sieve.c): a queue with a
 *         visited bit, 0 on insert, 1 on a hit; the hand starts at the
 *         oldest (or where it stopped), clears visited bits moving towards
 *         the newest (wrapping), evicts the first unvisited one and stays
 *         on the next newer one; removal moves the hand the same way;
 *   ARC   Figure 4 of Megiddo & Modha (FAST 2003), written from the
 *         paper's cases as libCacheSim's ARC (cache/eviction/ARC.c) does:
 *         ghost hit -> adapt p, REPLACE, into T2; new key with a full cache
 *         -> case IV A/B deletions and REPLACE. p's step is the real
 *         quotient ("arc", the paper) or the truncated one ("arc:delta=int",
 *         libCacheSim). Compared only on strings without frees (the paper
 *         has none).
 * Half of the strings also free pages outright now and then (munmap): the
 * page just leaves the queue (libCacheSim's Clock_remove), and the harness
 * reuses the freed frames in its own order.
 */
#include <stdlib.h>

#include "policy_harness.h"
#include "testlib.h"

enum model { FIFO, LRU, CLOCK, OPT, SIEVE, GCLOCK0, ARC, ARC_INT };

static uint64_t model_faults(enum model m, uint32_t frames, const uint64_t *pages,
                             const uint64_t *next, const uint64_t *removed, size_t n)
{
    uint64_t res[64], meta[64]; /* resident pages in queue order; per-entry data */
    size_t used = 0;
    uint64_t faults = 0;
    for (size_t t = 0; t < n; t++) {
        size_t i = 0;
        if (removed) {
            while (i < used && res[i] != removed[t])
                i++;
            if (i < used) {
                memmove(res + i, res + i + 1, (used - i - 1) * sizeof res[0]);
                memmove(meta + i, meta + i + 1, (used - i - 1) * sizeof meta[0]);
                used--;
            }
            i = 0;
        }
        while (i < used && res[i] != pages[t])
            i++;
        if (i < used) {
            if (m == LRU)
                meta[i] = t;
            else if (m == CLOCK)
                meta[i] = 1;
            else if (m == OPT)
                meta[i] = next[t];
            continue;
        }
        faults++;
        if (used == frames) {
            size_t v = 0;
            if (m == LRU) {
                for (size_t j = 1; j < used; j++)
                    if (meta[j] < meta[v])
                        v = j;
            } else if (m == OPT) {
                for (size_t j = 1; j < used; j++)
                    if (meta[j] > meta[v])
                        v = j;
            } else if (m == CLOCK) {
                while (meta[0] == 1) {
                    uint64_t p = res[0];
                    memmove(res, res + 1, (used - 1) * sizeof res[0]);
                    memmove(meta, meta + 1, (used - 1) * sizeof meta[0]);
                    res[used - 1] = p;
                    meta[used - 1] = 0;
                }
            }
            memmove(res + v, res + v + 1, (used - v - 1) * sizeof res[0]);
            memmove(meta + v, meta + v + 1, (used - v - 1) * sizeof meta[0]);
            used--;
        }
        res[used] = pages[t];
        meta[used] = m == LRU ? t : m == OPT ? next[t] : 0;
        used++;
    }
    return faults;
}

/* SIEVE: res[] oldest first, meta[] the visited bit; hand = index or -1. */
static uint64_t sieve_faults(uint32_t frames, const uint64_t *pages, const uint64_t *removed,
                             size_t n)
{
    uint64_t res[64], vis[64];
    long used = 0, hand = -1;
    uint64_t faults = 0;
    for (size_t t = 0; t < n; t++) {
        long i;
        if (removed) {
            for (i = 0; i < used && res[i] != removed[t]; i++)
                ;
            if (i < used) {
                memmove(res + i, res + i + 1, (size_t)(used - i - 1) * sizeof res[0]);
                memmove(vis + i, vis + i + 1, (size_t)(used - i - 1) * sizeof vis[0]);
                used--;
                if (hand == i && i == used)
                    hand = -1; /* it was the newest: back to the oldest */
                else if (hand > i)
                    hand--;
            }
        }
        for (i = 0; i < used && res[i] != pages[t]; i++)
            ;
        if (i < used) {
            vis[i] = 1;
            continue;
        }
        faults++;
        if (used == (long)frames) {
            long v = hand >= 0 ? hand : 0;
            while (vis[v]) {
                vis[v] = 0;
                v = v + 1 == used ? 0 : v + 1;
            }
            memmove(res + v, res + v + 1, (size_t)(used - v - 1) * sizeof res[0]);
            memmove(vis + v, vis + v + 1, (size_t)(used - v - 1) * sizeof vis[0]);
            used--;
            hand = v == used ? -1 : v;
        }
        res[used] = pages[t];
        vis[used] = 0;
        used++;
    }
    return faults;
}

/* A list of keys, LRU first. */
struct klist {
    uint64_t k[128];
    long n;
};

static long kfind(const struct klist *l, uint64_t key)
{
    for (long i = 0; i < l->n; i++)
        if (l->k[i] == key)
            return i;
    return -1;
}

static void kdel(struct klist *l, long i)
{
    memmove(l->k + i, l->k + i + 1, (size_t)(l->n - i - 1) * sizeof l->k[0]);
    l->n--;
}

static void kpush(struct klist *l, uint64_t key)
{
    l->k[l->n++] = key;
}

static void arc_replace(struct klist *t1, struct klist *t2, struct klist *b1, struct klist *b2,
                        double p, int in_b2)
{
    if (t1->n > 0 && ((double)t1->n > p || ((double)t1->n == p && in_b2))) {
        kpush(b1, t1->k[0]);
        kdel(t1, 0);
    } else {
        kpush(b2, t2->k[0]);
        kdel(t2, 0);
    }
}

static uint64_t arc_faults(uint32_t c, const uint64_t *pages, size_t n, int int_delta)
{
    struct klist t1 = {0}, t2 = {0}, b1 = {0}, b2 = {0};
    double p = 0;
    uint64_t faults = 0;
    for (size_t t = 0; t < n; t++) {
        uint64_t x = pages[t];
        long i;
        if ((i = kfind(&t1, x)) >= 0) {
            kdel(&t1, i);
            kpush(&t2, x);
            continue;
        }
        if ((i = kfind(&t2, x)) >= 0) {
            kdel(&t2, i);
            kpush(&t2, x);
            continue;
        }
        faults++;
        long g1 = kfind(&b1, x), g2 = kfind(&b2, x);
        if (g1 >= 0) {
            double q = int_delta ? (double)(b2.n / b1.n) : (double)b2.n / (double)b1.n;
            double d = q > 1 ? q : 1;
            p = p + d < c ? p + d : c;
            arc_replace(&t1, &t2, &b1, &b2, p, 0);
            kdel(&b1, kfind(&b1, x));
            kpush(&t2, x);
            continue;
        }
        if (g2 >= 0) {
            double q = int_delta ? (double)(b1.n / b2.n) : (double)b1.n / (double)b2.n;
            double d = q > 1 ? q : 1;
            p = p - d > 0 ? p - d : 0;
            arc_replace(&t1, &t2, &b1, &b2, p, 1);
            kdel(&b2, kfind(&b2, x));
            kpush(&t2, x);
            continue;
        }
        if (t1.n + t2.n == (long)c) {
            if (t1.n + b1.n >= (long)c) {
                if (t1.n < (long)c) {
                    kdel(&b1, 0);
                    arc_replace(&t1, &t2, &b1, &b2, p, 0);
                } else {
                    kdel(&t1, 0);
                }
            } else {
                if (t1.n + t2.n + b1.n + b2.n >= 2 * (long)c)
                    kdel(&b2, 0);
                arc_replace(&t1, &t2, &b1, &b2, p, 0);
            }
        }
        kpush(&t1, x);
    }
    return faults;
}

/* vmr_ph_run with removed[t] (if not UINT64_MAX) freed before access t. */
static int run_with_removals(const char *spec, uint32_t frames, const uint64_t *pages,
                             const uint8_t *writes, const uint64_t *next, const uint64_t *removed,
                             size_t n, struct vmr_ph_stats *out)
{
    struct vmr_ph *h;
    char err[512] = "";
    if (vmr_ph_create(&h, spec, frames, 1, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    int rc = 0;
    for (size_t t = 0; t < n && rc >= 0; t++) {
        if (removed[t] != UINT64_MAX)
            rc = vmr_ph_remove(h, removed[t]);
        if (rc >= 0)
            rc = vmr_ph_access(h, pages[t], writes[t], next[t]);
    }
    if (rc < 0)
        fprintf(stderr, "%s\n", vmr_ph_error(h));
    *out = *vmr_ph_stats(h);
    vmr_ph_destroy(h);
    return rc < 0 ? -1 : 0;
}

int main(void)
{
    /* indexed by enum model */
    static const char *const spec[] = {
        "fifo", "lru", "clock", "opt", "sieve", "gclock:bits=0", "arc", "arc:delta=int",
    };
    _Static_assert(sizeof spec / sizeof spec[0] == ARC_INT + 1, "one spec per model");
    enum { N = 3000 };
    uint64_t *pages = malloc(N * sizeof *pages);
    uint8_t *writes = malloc(N);
    uint64_t *removed = malloc(N * sizeof *removed);
    for (uint64_t seed = 1; seed <= 80; seed++) {
        enum vmr_ph_shape shape = (enum vmr_ph_shape)(seed % VMR_PH_N_SHAPES);
        uint32_t n_pages = 5 + (uint32_t)(seed * 13 % 70);
        size_t n = 300 + (size_t)(seed * 977 % (N - 300));
        vmr_ph_random_string(seed * 7919, shape, n, n_pages, pages, writes);
        uint64_t *next;
        if (vmr_ph_next_use(pages, n, &next) != 0)
            break;
        int with_removals = seed % 2 == 0;
        for (size_t t = 0; t < n; t++)
            removed[t] =
                with_removals && (pages[t] * 31 + t) % 17 == 0 ? pages[(t * 7) % n] : UINT64_MAX;
        for (uint32_t frames = 1; frames <= 40; frames += 1 + frames / 4) {
            for (int m = FIFO; m <= ARC_INT; m++) {
                if (m >= ARC && with_removals)
                    continue;
                struct vmr_ph_stats st;
                char err[512] = "";
                int rc =
                    with_removals
                        ? run_with_removals(spec[m], frames, pages, writes, next, removed, n, &st)
                        : vmr_ph_run(spec[m], frames, pages, writes, n, seed, &st, err, sizeof err);
                if (rc != 0) {
                    fprintf(stderr, "%s\n", err);
                    vmr_test_failures++;
                    continue;
                }
                uint64_t want =
                    m == SIEVE ? sieve_faults(frames, pages, with_removals ? removed : NULL, n)
                    : m >= ARC ? arc_faults(frames, pages, n, m == ARC_INT)
                               : model_faults(m == GCLOCK0 ? CLOCK : (enum model)m, frames, pages,
                                              next, with_removals ? removed : NULL, n);
                if (st.faults != want)
                    fprintf(stderr, "seed %llu, %u frames: %s gives %llu faults, model %llu\n",
                            (unsigned long long)seed, (unsigned)frames, spec[m],
                            (unsigned long long)st.faults, (unsigned long long)want);
                CHECK_EQ_U64(st.faults, want);
            }
        }
        free(next);
    }
    free(pages);
    free(writes);
    free(removed);
    return vmr_test_done();
}
