/*
 * sieve.c - SIEVE: a FIFO queue with a visited bit and a hand that stays.
 *
 * Definition: Y. Zhang, J. Yang, Y. Yue, Y. Vigfusson and K. V. Rashmi,
 * "SIEVE is Simpler than LRU: an Efficient Turn-Key Eviction Algorithm for
 * Web Caches", NSDI 2024 (Algorithm 1). New pages go to the head, unvisited;
 * the hand starts at the tail (oldest) and moves towards the head: a
 * visited page has its bit cleared and stays where it is, the first
 * unvisited one is evicted, and the hand stays just newer than it; past the
 * head it wraps to the tail. Unlike CLOCK, survivors are not moved to the
 * head. Same as libCacheSim's Sieve (cache/eviction/Sieve.c), so counts
 * match it exactly.
 *
 * The visited bit is the hardware REFERENCED bit (hardware-realistic): the
 * kernel sets it on every access, on_insert clears it for the new page.
 * Pinned pages are passed without touching their bit.
 *
 * Owns the queue (head = newest) and the hand.
 * Invariants: a frame is in the queue iff resident; hand is a resident
 * frame or FRAME_UNLINKED (= start at the tail). A chosen victim stays in
 * the queue with the hand on it until on_evict.
 */
#include <stdlib.h>

#include "builtin.h"

struct sieve {
    uint8_t *bits;
    uint32_t n_frames; /* sentinel */
    uint32_t n_resident;
    uint32_t hand;
    struct victim_name named; /* where the hand starts (VMR_POLICY_NEXT_VICTIM) */
    struct frame_link link[];
};

/* Where the hand starts: select_victim's choice unless that frame is
 * referenced or pinned. */
static vmr_pfn_t sieve_peek_victim(const void *state)
{
    const struct sieve *s = state;
    uint32_t f = s->hand == FRAME_UNLINKED ? s->link[s->n_frames].prev : s->hand;
    return f == s->n_frames ? VMR_PFN_NONE : f;
}

/* After anything that may move the hand or the tail: select_victim stops
 * at once where the hand starts if that frame is unreferenced
 * (VMR_POLICY_NEXT_UNREF). */
static inline void sieve_tell_victim(struct sieve *s)
{
    victim_name_set(&s->named, sieve_peek_victim(s));
}

static int sieve_create(const struct vmr_policy_config *cfg, void **state)
{
    int rc = vmr_policy_check_params(&vmr_policy_sieve, cfg);
    if (rc != 0)
        return rc;
    struct sieve *s = malloc(sizeof *s + ((size_t)cfg->n_frames + 1) * sizeof s->link[0]);
    if (!s)
        return VMR_ENOMEM;
    s->bits = cfg->frame_bits;
    s->n_frames = cfg->n_frames;
    s->n_resident = 0;
    s->hand = FRAME_UNLINKED;
    victim_name_init(&s->named, cfg);
    flist_init(s->link, cfg->n_frames);
    sieve_tell_victim(s);
    *state = s;
    return 0;
}

static void sieve_destroy(void *state)
{
    free(state);
}

static void sieve_on_insert(void *state, vmr_pfn_t frame, const struct vmr_access *a)
{
    (void)a;
    struct sieve *s = state;
    s->bits[frame] &= (uint8_t)~VMR_FRAME_REFERENCED;
    flist_link_after(s->link, s->n_frames, frame);
    s->n_resident++;
    sieve_tell_victim(s);
}

static int sieve_select_victim(void *state, vmr_pfn_t *frame)
{
    struct sieve *s = state;
    const struct frame_link *l = s->link;
    const uint32_t end = s->n_frames;
    uint8_t *bits = s->bits;
    uint32_t f = s->hand == FRAME_UNLINKED ? l[end].prev : s->hand;
    /* two turns: the first clears every unpinned bit */
    for (uint64_t steps = 2 * (uint64_t)s->n_resident + 2; steps > 0; steps--) {
        if (f == end) {
            f = l[end].prev; /* wrap to the tail */
            continue;
        }
        uint8_t b = bits[f];
        if (!(b & VMR_FRAME_PINNED)) {
            if (!(b & VMR_FRAME_REFERENCED)) {
                s->hand = f;
                sieve_tell_victim(s);
                *frame = f;
                return 0;
            }
            bits[f] = (uint8_t)(b & ~VMR_FRAME_REFERENCED);
        }
        f = l[f].prev;
    }
    return VMR_ENOVICTIM;
}

static void sieve_drop(struct sieve *s, uint32_t frame)
{
    if (s->hand == frame) {
        uint32_t p = s->link[frame].prev;
        s->hand = p == s->n_frames ? FRAME_UNLINKED : p;
    }
    flist_unlink(s->link, frame);
    s->n_resident--;
    sieve_tell_victim(s);
}

static void sieve_on_evict(void *state, vmr_pfn_t frame, uint64_t key)
{
    (void)key;
    sieve_drop(state, frame);
}

static void sieve_on_remove(void *state, vmr_pfn_t frame)
{
    sieve_drop(state, frame);
}

/* on_evict + on_insert in one call; returns the frame the hand will look
 * at after the next eviction (the victim after the next if nothing is
 * referenced by then). */
static vmr_pfn_t sieve_on_replace(void *state, vmr_pfn_t frame, uint64_t old_key,
                                  const struct vmr_access *a)
{
    struct sieve *s = state;
    sieve_on_evict(state, frame, old_key);
    sieve_on_insert(state, frame, a);
    uint32_t f = sieve_peek_victim(state);
    if (f == VMR_PFN_NONE)
        return VMR_PFN_NONE;
    f = s->link[f].prev;
    if (f == s->n_frames)
        f = s->link[f].prev; /* the hand wraps to the tail */
    if (f == s->n_frames)
        return VMR_PFN_NONE;
    __builtin_prefetch(&s->link[f]);
    return f;
}

/* Frames keep their numbers; the sentinel moves to the new end. */
static int sieve_resize(void **state, uint32_t n_frames, uint8_t *frame_bits)
{
    struct sieve *s = *state;
    s = flist_state_resize(s, offsetof(struct sieve, link), s->n_frames, n_frames);
    if (!s)
        return VMR_ENOMEM;
    s->n_frames = n_frames;
    s->bits = frame_bits;
    victim_name_moved(&s->named);
    sieve_tell_victim(s);
    *state = s;
    return 0;
}

const struct vmr_policy_ops vmr_policy_sieve = {
    .abi_version = VMR_POLICY_ABI_VERSION,
    .flags = VMR_POLICY_PEEK | VMR_POLICY_REPLACE | VMR_POLICY_RESIZE | VMR_POLICY_NO_ACCESS |
             VMR_POLICY_NEXT_VICTIM | VMR_POLICY_NEXT_UNREF,
    .name = "sieve",
    .summary = "FIFO with a visited bit and a hand that stays (Zhang et al., NSDI 2024), as "
               "libCacheSim's Sieve",
    .params = NULL,
    .create = sieve_create,
    .destroy = sieve_destroy,
    .on_insert = sieve_on_insert,
    .select_victim = sieve_select_victim,
    .on_evict = sieve_on_evict,
    .on_remove = sieve_on_remove,
    .peek_victim = sieve_peek_victim,
    .on_replace = sieve_on_replace,
    .resize = sieve_resize,
};
