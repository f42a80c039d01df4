/*
 * gclock.c - GCLOCK / n-bit CLOCK over the hardware referenced bit.
 *
 * Definition: GCLOCK, A. J. Smith, "Sequentiality and prefetching in
 * database systems", ACM TODS 3(3):223-247, 1978, analysed by V. F. Nicola,
 * A. Dan and D. M. Dias, "Analysis of the generalized clock buffer
 * replacement scheme for database transaction processing", SIGMETRICS 1992:
 * each frame has a reference counter; the sweeping hand decrements it and
 * replaces the first frame whose counter is zero.
 *
 * Hardware-realistic variant: a kernel learns of references only through
 * the referenced bit, so the counter grows by one each time the hand finds
 * the bit set (saturating at 2^bits - 1) instead of on every hit. At the
 * hand: referenced -> clear the bit, counter + 1, move on; unreferenced
 * with a counter above 0 -> counter - 1, move on; unreferenced at 0 -> the
 * victim. A page used in every sweep thus builds up credit, and leaves only
 * after counter + 1 sweeps without use. A new page starts with counter
 * `init` and its bit cleared, in the newest place just behind the hand (as
 * clock.c; bits=0 stores nothing and is exactly CLOCK).
 * Parameters: bits (default 2: libCacheSim's n-bit Clock and the main queue
 * of S3-FIFO use 2-bit counters; GCLOCK's papers leave the weight open),
 * init (default 0, the counter of a newly loaded page).
 *
 * Owns the ring of resident frames (oldest at the hand) and the counters.
 * Invariants: as clock.c; count[f] <= max for every frame.
 * Cost: a sweep clears every bit it meets and decrements every other
 * counter, so a victim is found within max + 2 turns; amortised O(max) per
 * fault.
 */
#include <stdlib.h>

#include "builtin.h"

struct gclock {
    uint8_t *bits;
    uint8_t *count;
    uint8_t max, init;
    uint32_t n_frames;
    struct clock_ring ring;
    struct frame_link link[]; /* the ring, no sentinel */
};

static const struct vmr_policy_param gclock_params[] = {
    {"bits", "2", "counter width in bits (0..7); bits=0 is CLOCK"},
    {"init", "0", "counter of a newly loaded page"},
    {NULL, NULL, NULL},
};

static void gclock_destroy(void *state)
{
    struct gclock *s = state;
    if (!s)
        return;
    free(s->count);
    free(s);
}

static int gclock_create(const struct vmr_policy_config *cfg, void **state)
{
    int rc = vmr_policy_check_params(&vmr_policy_gclock, cfg);
    uint64_t nbits = 0, init = 0;
    if (rc == 0)
        rc = vmr_policy_param_u64(&vmr_policy_gclock, cfg, "bits", 2, 0, 7, &nbits);
    if (rc == 0)
        rc = vmr_policy_param_u64(&vmr_policy_gclock, cfg, "init", 0, 0, (1u << nbits) - 1, &init);
    if (rc != 0)
        return rc;
    struct gclock *s = malloc(sizeof *s + (size_t)cfg->n_frames * sizeof s->link[0]);
    if (!s)
        return VMR_ENOMEM;
    s->count = calloc(cfg->n_frames, 1);
    if (!s->count) {
        free(s);
        return VMR_ENOMEM;
    }
    s->bits = cfg->frame_bits;
    s->max = (uint8_t)((1u << nbits) - 1);
    s->init = (uint8_t)init;
    s->n_frames = cfg->n_frames;
    ring_init(&s->ring);
    flist_init_nodes(s->link, cfg->n_frames);
    *state = s;
    return 0;
}

static void gclock_on_insert(void *state, vmr_pfn_t frame, const struct vmr_access *a)
{
    (void)a;
    struct gclock *s = state;
    struct frame_link *l = s->link;
    s->bits[frame] &= (uint8_t)~VMR_FRAME_REFERENCED;
    s->count[frame] = s->init;
    ring_insert(&s->ring, l, frame);
}

static int gclock_select_victim(void *state, vmr_pfn_t *frame)
{
    struct gclock *s = state;
    const struct frame_link *l = s->link;
    uint8_t *bits = s->bits, *count = s->count;
    uint32_t f = s->ring.hand;
    uint64_t steps = ((uint64_t)s->max + 2) * s->ring.n_resident;
    for (; steps > 0; steps--, f = l[f].next) {
        uint8_t b = bits[f];
        if (b & VMR_FRAME_PINNED)
            continue;
        uint8_t c = count[f];
        if (b & VMR_FRAME_REFERENCED) {
            bits[f] = (uint8_t)(b & ~VMR_FRAME_REFERENCED);
            if (c < s->max)
                count[f] = (uint8_t)(c + 1);
            continue;
        }
        if (c > 0) {
            count[f] = (uint8_t)(c - 1);
            continue;
        }
        s->ring.hand = f;
        *frame = f;
        return 0;
    }
    s->ring.hand = f;
    return VMR_ENOVICTIM;
}

static void gclock_drop(struct gclock *s, uint32_t frame)
{
    struct frame_link *l = s->link;
    ring_unlink(&s->ring, l, frame);
}

static void gclock_on_evict(void *state, vmr_pfn_t frame, uint64_t key)
{
    (void)key;
    gclock_drop(state, frame);
}

static void gclock_on_remove(void *state, vmr_pfn_t frame)
{
    gclock_drop(state, frame);
}

/* The frame under the hand: the victim unless referenced, counted or
 * pinned. */
static vmr_pfn_t gclock_peek_victim(const void *state)
{
    const struct gclock *s = state;
    return ring_hand(&s->ring);
}

/* on_evict + on_insert in one call, usually in place (the victim sits
 * under the hand: ring_replace_at_hand). Returns the frame after the hand:
 * the victim after the next if nothing is referenced or counted by then. */
static vmr_pfn_t gclock_on_replace(void *state, vmr_pfn_t frame, uint64_t old_key,
                                   const struct vmr_access *a)
{
    struct gclock *s = state;
    const struct frame_link *l = s->link;
    if (ring_replace_at_hand(&s->ring, l, frame)) {
        s->bits[frame] &= (uint8_t)~VMR_FRAME_REFERENCED;
        s->count[frame] = s->init;
    } else {
        gclock_on_evict(state, frame, old_key);
        gclock_on_insert(state, frame, a);
    }
    uint32_t next = l[s->ring.hand].next;
    __builtin_prefetch(&l[next]);
    __builtin_prefetch(&s->count[next]);
    return next;
}

/* The size does not enter the choice: only the arrays' lengths change. */
static int gclock_resize(void **state, uint32_t n_frames, uint8_t *frame_bits)
{
    struct gclock *s = *state;
    if (frame_array_resize(&s->count, 1, s->n_frames, n_frames, 0) != 0)
        return VMR_ENOMEM;
    struct gclock *t = ring_state_resize(s, offsetof(struct gclock, link), s->n_frames, n_frames);
    if (!t)
        return VMR_ENOMEM; /* count is longer: harmless */
    t->n_frames = n_frames;
    t->bits = frame_bits;
    *state = t;
    return 0;
}

const struct vmr_policy_ops vmr_policy_gclock = {
    .abi_version = VMR_POLICY_ABI_VERSION,
    .flags = VMR_POLICY_PEEK | VMR_POLICY_REPLACE | VMR_POLICY_RESIZE,
    .name = "gclock",
    .summary = "generalized / n-bit CLOCK: a saturating use counter per frame fed by the "
               "referenced bit (Smith 1978; Nicola et al. 1992)",
    .params = gclock_params,
    .create = gclock_create,
    .destroy = gclock_destroy,
    .on_insert = gclock_on_insert,
    .select_victim = gclock_select_victim,
    .on_evict = gclock_on_evict,
    .on_remove = gclock_on_remove,
    .peek_victim = gclock_peek_victim,
    .on_replace = gclock_on_replace,
    .resize = gclock_resize,
};
