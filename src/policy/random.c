/*
 * random.c - RANDOM replacement: evict a uniformly chosen resident page.
 *
 * Definition: RAND in L. A. Belady, "A study of replacement algorithms for
 * a virtual-storage computer", IBM Systems Journal 5(2):78-101, 1966, the
 * baseline every other policy there is compared with. It needs neither hits
 * nor bits (hardware-realistic). The choice is drawn from xoshiro256**
 * seeded with the run's seed (--seed), so a run is reproducible.
 *
 * Owns a dense array of the resident frames, slot[0..n) and where[frame] =
 * its index there (FRAME_UNLINKED if not resident).
 * Invariants: where[slot[i]] == i for i < n; removal moves the last slot
 * into the hole. Pinned frames: up to 8 random probes, then a scan from a
 * random start, so the choice stays deterministic in the seed.
 */
#include <stdlib.h>

#include "builtin.h"
#include "rng.h"

struct rnd {
    uint8_t *bits;
    uint32_t n;
    uint32_t n_frames;
    uint32_t *slot;
    uint32_t *where;
    struct vmr_rng rng;
};

static void rnd_destroy(void *state)
{
    struct rnd *s = state;
    if (!s)
        return;
    free(s->slot);
    free(s->where);
    free(s);
}

static int rnd_create(const struct vmr_policy_config *cfg, void **state)
{
    int rc = vmr_policy_check_params(&vmr_policy_random, cfg);
    if (rc != 0)
        return rc;
    struct rnd *s = calloc(1, sizeof *s);
    if (!s)
        return VMR_ENOMEM;
    s->bits = cfg->frame_bits;
    s->n_frames = cfg->n_frames;
    s->slot = malloc((size_t)cfg->n_frames * sizeof *s->slot);
    s->where = malloc((size_t)cfg->n_frames * sizeof *s->where);
    if (!s->slot || !s->where) {
        rnd_destroy(s);
        return VMR_ENOMEM;
    }
    for (uint32_t i = 0; i < cfg->n_frames; i++)
        s->where[i] = FRAME_UNLINKED;
    vmr_rng_seed(&s->rng, cfg->seed);
    *state = s;
    return 0;
}

static void rnd_on_insert(void *state, vmr_pfn_t frame, const struct vmr_access *a)
{
    (void)a;
    struct rnd *s = state;
    assert(s->where[frame] == FRAME_UNLINKED);
    s->where[frame] = s->n;
    s->slot[s->n++] = frame;
}

static int rnd_select_victim(void *state, vmr_pfn_t *frame)
{
    struct rnd *s = state;
    if (s->n == 0)
        return VMR_ENOVICTIM;
    uint32_t i = (uint32_t)vmr_rng_below(&s->rng, s->n);
    for (int probe = 0; probe < 8; probe++) {
        if (!(s->bits[s->slot[i]] & VMR_FRAME_PINNED)) {
            *frame = s->slot[i];
            return 0;
        }
        i = (uint32_t)vmr_rng_below(&s->rng, s->n);
    }
    for (uint32_t k = 0; k < s->n; k++, i = i + 1 == s->n ? 0 : i + 1) {
        if (!(s->bits[s->slot[i]] & VMR_FRAME_PINNED)) {
            *frame = s->slot[i];
            return 0;
        }
    }
    return VMR_ENOVICTIM;
}

static void rnd_drop(void *state, vmr_pfn_t frame)
{
    struct rnd *s = state;
    uint32_t i = s->where[frame];
    assert(i != FRAME_UNLINKED);
    uint32_t last = s->slot[--s->n];
    s->slot[i] = last;
    s->where[last] = i;
    s->where[frame] = FRAME_UNLINKED;
}

static void rnd_on_evict(void *state, vmr_pfn_t frame, uint64_t key)
{
    (void)key;
    rnd_drop(state, frame);
}

/* The size does not enter the choice: only the arrays' lengths change. */
static int rnd_resize(void **state, uint32_t n_frames, uint8_t *frame_bits)
{
    struct rnd *s = *state;
    if (frame_array_resize(&s->slot, sizeof *s->slot, s->n_frames, n_frames, 0) != 0 ||
        frame_array_resize(&s->where, sizeof *s->where, s->n_frames, n_frames, 0xff) != 0)
        return VMR_ENOMEM;
    s->n_frames = n_frames;
    s->bits = frame_bits;
    return 0;
}

/* The frame the next choice draws, pins ignored (on a copy of the
 * generator, which stays untouched). */
static vmr_pfn_t rnd_peek_victim(const void *state)
{
    const struct rnd *s = state;
    if (s->n == 0)
        return VMR_PFN_NONE;
    struct vmr_rng r = s->rng;
    return s->slot[vmr_rng_below(&r, s->n)];
}

/* on_evict + on_insert in one call. Returns the frame the choice after the
 * next draws if no frame is pinned or freed by then: the next draw's frame
 * is replaced as this one was (the last slot moves into its place, the
 * replacing page takes the last slot). */
static vmr_pfn_t rnd_on_replace(void *state, vmr_pfn_t frame, uint64_t old_key,
                                const struct vmr_access *a)
{
    struct rnd *s = state;
    (void)old_key;
    rnd_drop(s, frame);
    rnd_on_insert(s, frame, a);
    const uint32_t n = s->n;
    struct vmr_rng r = s->rng;
    uint32_t i1 = (uint32_t)vmr_rng_below(&r, n);
    uint32_t i2 = (uint32_t)vmr_rng_below(&r, n);
    __builtin_prefetch(&s->where[s->slot[i1]]);
    uint32_t g = i2 == i1 ? s->slot[n - 1] : i2 == n - 1 ? s->slot[i1] : s->slot[i2];
    __builtin_prefetch(&s->where[g]);
    return g;
}

const struct vmr_policy_ops vmr_policy_random = {
    .abi_version = VMR_POLICY_ABI_VERSION,
    .flags = VMR_POLICY_PEEK | VMR_POLICY_REPLACE | VMR_POLICY_RESIZE,
    .name = "random",
    .summary = "evicts a uniformly random resident page, seeded by --seed (RAND, Belady 1966)",
    .params = NULL,
    .create = rnd_create,
    .destroy = rnd_destroy,
    .on_insert = rnd_on_insert,
    .select_victim = rnd_select_victim,
    .on_evict = rnd_on_evict,
    .on_remove = rnd_drop,
    .peek_victim = rnd_peek_victim,
    .on_replace = rnd_on_replace,
    .resize = rnd_resize,
};
