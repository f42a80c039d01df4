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
 * Owns the queue and the hand. The queue is a clock's ring (builtin.h)
 * whose hand is the tail (oldest), with the head (newest) just behind it:
 * a new page goes between them, and the hand moving past the head is at
 * the tail, which is the paper's wrap.
 * Invariants: a frame is in the queue iff resident; hand is a resident
 * frame, FRAME_UNLINKED iff the queue is empty. A chosen victim stays in
 * the queue with the hand on it until on_evict.
 */
#include <stdlib.h>

#include "builtin.h"

struct sieve {
    uint8_t *bits;
    uint32_t n_frames;
    uint32_t hand;            /* where the hand starts, FRAME_UNLINKED iff empty */
    struct clock_ring ring;   /* the queue as a ring: its hand is the tail */
    struct victim_name named; /* the hand (VMR_POLICY_NEXT_VICTIM) */
    struct frame_link link[]; /* the ring, no sentinel: next = newer */
};

/* Where the hand starts: select_victim's choice unless that frame is
 * referenced or pinned. */
static vmr_pfn_t sieve_peek_victim(const void *state)
{
    const struct sieve *s = state;
    return s->hand; /* FRAME_UNLINKED == VMR_PFN_NONE */
}

/* After anything that may move the hand: select_victim stops at once
 * where the hand starts if that frame is unreferenced
 * (VMR_POLICY_NEXT_UNREF). */
static inline void sieve_tell_victim(struct sieve *s)
{
    victim_name_set(&s->named, s->hand);
}

static int sieve_create(const struct vmr_policy_config *cfg, void **state)
{
    int rc = vmr_policy_check_params(&vmr_policy_sieve, cfg);
    if (rc != 0)
        return rc;
    struct sieve *s = malloc(sizeof *s + (size_t)cfg->n_frames * sizeof s->link[0]);
    if (!s)
        return VMR_ENOMEM;
    s->bits = cfg->frame_bits;
    s->n_frames = cfg->n_frames;
    s->hand = FRAME_UNLINKED;
    ring_init(&s->ring);
    victim_name_init(&s->named, cfg);
    flist_init_nodes(s->link, cfg->n_frames);
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
    ring_insert(&s->ring, s->link, frame); /* the head: just behind the tail */
    if (s->hand == FRAME_UNLINKED)
        s->hand = frame;
    sieve_tell_victim(s);
}

static int sieve_select_victim(void *state, vmr_pfn_t *frame)
{
    struct sieve *s = state;
    const struct frame_link *l = s->link;
    uint8_t *bits = s->bits;
    uint32_t f = s->hand;
    /* two turns: the first clears every unpinned bit */
    for (uint64_t steps = 2 * (uint64_t)s->ring.n_resident; steps > 0; steps--) {
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
        f = l[f].next; /* past the head: the tail */
    }
    return VMR_ENOVICTIM;
}

/* The frame leaves; a hand on it moves to the next newer one (past the
 * head: the tail). */
static void sieve_drop(struct sieve *s, uint32_t frame)
{
    if (s->hand == frame)
        s->hand = s->ring.n_resident > 1 ? s->link[frame].next : FRAME_UNLINKED;
    ring_unlink(&s->ring, s->link, frame);
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

/* on_replace's rare case (the victim not under the hand), as on_evict
 * and on_insert; apart, so that the usual case keeps to few registers. */
static __attribute__((noinline)) vmr_pfn_t
sieve_replace_apart(struct sieve *s, vmr_pfn_t frame, uint64_t old_key, const struct vmr_access *a)
{
    sieve_on_evict(s, frame, old_key);
    sieve_on_insert(s, frame, a);
    const uint32_t g = s->link[s->hand].next;
    __builtin_prefetch(&s->link[g]);
    return g;
}

/* on_evict + on_insert in one call. The victim is the hand's frame: the
 * hand moves to the next newer frame and the victim's frame becomes the
 * head; the tail's frame only by moving the tail on. Returns the frame
 * after the hand (the victim after the next if nothing is referenced by
 * then). */
static vmr_pfn_t sieve_on_replace(void *state, vmr_pfn_t frame, uint64_t old_key,
                                  const struct vmr_access *a)
{
    struct sieve *s = state;
    struct frame_link *l = s->link;
    if (__builtin_expect(frame != s->hand, 0))
        return sieve_replace_apart(s, frame, old_key, a);
    const uint32_t tail = s->ring.hand;
    const uint32_t p = l[frame].prev, nx = l[frame].next;
    s->hand = nx;
    victim_name_set(&s->named, nx);
    if (frame == tail) {
        s->ring.hand = nx; /* the old tail's place is the head's */
    } else if (nx != tail) {
        /* unlink, and link as the head (behind the tail), which is not p
         * since the frame was not the head */
        flist_relink(l, frame, p, nx, l[tail].prev, tail);
    } /* else the head already: it stays, the hand wraps to the tail */
    s->bits[frame] &= (uint8_t)~VMR_FRAME_REFERENCED;
    const uint32_t g = l[nx].next;
    __builtin_prefetch(&l[g]);
    return g;
}

/* Frames keep their numbers: only the array's length changes. */
static int sieve_resize(void **state, uint32_t n_frames, uint8_t *frame_bits)
{
    struct sieve *s = *state;
    struct sieve *t = ring_state_resize(s, offsetof(struct sieve, link), s->n_frames, n_frames);
    if (!t)
        return VMR_ENOMEM;
    t->n_frames = n_frames;
    t->bits = frame_bits;
    victim_name_moved(&t->named);
    sieve_tell_victim(t);
    *state = t;
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
