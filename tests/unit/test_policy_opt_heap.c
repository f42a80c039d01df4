/*
 * test_policy_opt_heap.c - OPT's choice under any next uses, against a
 * brute-force search: the victim is the unpinned resident frame with the
 * largest next use, the lowest frame among equal ones. OPT keeps its
 * frames in a narrow heap (next uses below 2^32 - 1) and widens it for
 * good at the first larger one, and holds a hit until its next callback;
 * random operations (inserts, hits, replacements, evictions, removals,
 * pinned frames) over next uses that are distinct times, that repeat, that
 * are UINT64_MAX (never), and that cross 2^32 - 1 at a random point, check
 * every select_victim of both heaps and the change between them, and the
 * frame named in next_victim (VMR_POLICY_NEXT_VICTIM) before each.
 */
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "testlib.h"
#include "vmreplay/policy.h"

#define MAXF 64u

struct ref {
    int resident[MAXF];
    uint64_t next_use[MAXF];
};

/* The victim by definition, or VMR_PFN_NONE. */
static vmr_pfn_t ref_victim(const struct ref *r, const uint8_t *bits, uint32_t n)
{
    vmr_pfn_t best = VMR_PFN_NONE;
    for (uint32_t f = 0; f < n; f++) {
        if (!r->resident[f] || (bits[f] & VMR_FRAME_PINNED))
            continue;
        if (best == VMR_PFN_NONE || r->next_use[f] > r->next_use[best])
            best = f;
    }
    return best;
}

/* A next use for mode m; `wide` (once set) lets values of 2^32 - 1 and
 * more in. */
static uint64_t draw(struct vmr_rng *g, int m, int wide, uint64_t *clock)
{
    uint64_t x = vmr_rng_next(g) % 16;
    if (x == 0)
        return UINT64_MAX;
    if (wide && x <= 3) {
        static const uint64_t big[] = {UINT32_MAX, (uint64_t)UINT32_MAX + 1, UINT64_MAX - 1};
        return big[x - 1] + (x == 2 ? vmr_rng_next(g) % 1000 : 0);
    }
    if (x == 4)
        return UINT32_MAX - 1; /* the narrow heap's largest time */
    switch (m) {
    case 0:
        return *clock += 1 + vmr_rng_next(g) % 8; /* distinct, growing */
    case 1:
        return vmr_rng_next(g) % 40; /* repeats */
    default:
        return vmr_rng_next(g) % ((uint64_t)1 << 33) / (x + 1); /* anything */
    }
}

static void run(uint64_t seed, uint64_t *checks)
{
    struct vmr_rng g;
    vmr_rng_seed(&g, seed);
    const struct vmr_policy_ops *ops = vmr_policy_find("opt");
    CHECK(ops != NULL);
    if (!ops)
        return;
    const uint32_t n = 1 + (uint32_t)(vmr_rng_next(&g) % MAXF);
    const int mode = (int)(seed % 3);
    const uint64_t widen_at = vmr_rng_next(&g) % 3000; /* after the run when >= 2000 */
    uint8_t bits[MAXF] = {0};
    char err[128];
    vmr_pfn_t named = VMR_PFN_NONE; /* VMR_POLICY_NEXT_VICTIM */
    struct vmr_policy_config cfg = {.n_frames = n,
                                    .frame_bits = bits,
                                    .seed = 1,
                                    .errbuf = err,
                                    .errbuf_len = sizeof err,
                                    .next_victim = &named};
    void *st;
    CHECK(ops->create(&cfg, &st) == 0);
    struct ref r = {0};
    uint64_t clock = 0;
    for (uint64_t step = 0; step < 2000; step++) {
        const int wide = step >= widen_at;
        struct vmr_access a = {.time = step, .count = 1};
        a.next_use = draw(&g, mode, wide, &clock);
        uint32_t used = 0, free_f = n;
        for (uint32_t f = 0; f < n; f++) {
            used += r.resident[f] != 0;
            if (!r.resident[f] && free_f == n)
                free_f = f;
        }
        const uint64_t op = vmr_rng_next(&g) % 10;
        if (free_f < n && (op < 3 || used == 0)) {
            ops->on_insert(st, free_f, &a);
            r.resident[free_f] = 1;
            r.next_use[free_f] = a.next_use;
            continue;
        }
        if (op < 7 && used > 0) { /* a hit on a random resident frame */
            uint32_t f = (uint32_t)(vmr_rng_next(&g) % n);
            while (!r.resident[f])
                f = (f + 1) % n;
            ops->on_hit(st, f, &a);
            r.next_use[f] = a.next_use;
            continue;
        }
        if (op == 7 && used > 0) { /* a page freed outright */
            uint32_t f = (uint32_t)(vmr_rng_next(&g) % n);
            while (!r.resident[f])
                f = (f + 1) % n;
            ops->on_remove(st, f);
            r.resident[f] = 0;
            continue;
        }
        /* an eviction, some frames pinned */
        if (vmr_rng_next(&g) % 4 == 0)
            for (uint32_t f = 0; f < n; f++)
                if (r.resident[f] && vmr_rng_next(&g) % 2)
                    bits[f] |= VMR_FRAME_PINNED;
        const vmr_pfn_t want = ref_victim(&r, bits, n);
        if (named != VMR_PFN_NONE && !(bits[named] & VMR_FRAME_PINNED) && named != want) {
            fprintf(stderr, "seed %llu step %llu: next_victim %u, want %u\n",
                    (unsigned long long)seed, (unsigned long long)step, (unsigned)named,
                    (unsigned)want);
            vmr_test_failures++;
            break;
        }
        vmr_pfn_t v = VMR_PFN_NONE;
        const int rc = ops->select_victim(st, &v);
        (*checks)++;
        if (want == VMR_PFN_NONE)
            CHECK(rc == VMR_ENOVICTIM);
        else if (rc != 0 || v != want) {
            fprintf(stderr, "seed %llu step %llu: victim %u, want %u (rc %d)\n",
                    (unsigned long long)seed, (unsigned long long)step, (unsigned)v, (unsigned)want,
                    rc);
            vmr_test_failures++;
            break;
        }
        for (uint32_t f = 0; f < n; f++)
            bits[f] &= (uint8_t)~VMR_FRAME_PINNED;
        if (want == VMR_PFN_NONE)
            continue;
        if (op % 2) {
            (void)ops->on_replace(st, v, v, &a);
            r.next_use[v] = a.next_use;
        } else {
            ops->on_evict(st, v, v);
            r.resident[v] = 0;
        }
    }
    ops->destroy(st);
}

int main(void)
{
    uint64_t checks = 0;
    for (uint64_t seed = 1; seed <= 300; seed++)
        run(seed, &checks);
    CHECK(checks > 10000);
    return vmr_test_done();
}
