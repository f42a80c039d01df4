/*
 * clock.c - CLOCK (second chance) over the hardware referenced bit.
 *
 * Definition: F. J. Corbató, "A Paging Experiment with the Multics System",
 * MIT Project MAC report MAC-M-384, 1968 (in "In Honor of Philip M. Morse",
 * MIT Press, 1969): the frames form a ring swept by a hand; a frame whose
 * page was used since the hand last passed gets a second chance (its bit is
 * cleared and the hand moves on), the first one not used is replaced.
 *
 * The details follow libCacheSim's Clock (libCacheSim/cache/eviction/
 * Clock.c, default n-bit-counter=1, "FIFO-Reinsertion"), so that counts
 * match it exactly:
 *   - a newly loaded page starts unreferenced (libCacheSim: freq = 0 on
 *     insert) and takes the newest place, just behind the hand. Our kernel
 *     sets REFERENCED for the faulting access before on_insert, so on_insert
 *     clears it; only later accesses give the page its second chance;
 *   - to choose, the hand starts at the oldest page: referenced -> clear the
 *     bit and move on (libCacheSim moves the object to the queue head, which
 *     in a ring is the hand passing it); unreferenced -> the victim;
 *   - hits are not reported (hardware-realistic): the kernel sets
 *     REFERENCED in frame_bits as an MMU sets the accessed bit.
 * Pinned frames (not in libCacheSim) are passed by the hand without touching
 * their bit, so their use history survives the pin.
 *
 * Owns a ring of the resident frames and the hand.
 * Invariants: a frame is in the ring iff it is resident; the ring runs from
 * the hand (oldest position) to hand->prev (newest); hand == FRAME_UNLINKED
 * iff the ring is empty. A chosen victim stays in the ring, under the hand,
 * until on_evict: the kernel may pin it and ask again.
 * Cost: O(1) amortised per fault, since every bit the hand clears was set by
 * an access.
 */
#include <stdlib.h>

#include "builtin.h"

struct clock {
    uint8_t *bits;
    uint32_t n_frames;
    struct clock_ring ring;
    uint64_t second_chances;  /* referenced frames the hand cleared */
    struct victim_name named; /* the hand (VMR_POLICY_NEXT_VICTIM) */
    struct frame_link link[]; /* the ring, no sentinel */
};

/* After anything that may move the hand: select_victim stops at once on
 * the hand's frame if it is unreferenced (VMR_POLICY_NEXT_UNREF). */
static inline void clock_tell_victim(struct clock *s)
{
    victim_name_set(&s->named, s->ring.hand); /* FRAME_UNLINKED == VMR_PFN_NONE */
}

static int clock_create(const struct vmr_policy_config *cfg, void **state)
{
    int rc = vmr_policy_check_params(&vmr_policy_clock, cfg);
    if (rc != 0)
        return rc;
    struct clock *s = malloc(sizeof *s + (size_t)cfg->n_frames * sizeof s->link[0]);
    if (!s)
        return VMR_ENOMEM;
    s->bits = cfg->frame_bits;
    s->n_frames = cfg->n_frames;
    ring_init(&s->ring);
    s->second_chances = 0;
    victim_name_init(&s->named, cfg);
    clock_tell_victim(s);
    for (uint32_t i = 0; i < cfg->n_frames; i++)
        s->link[i].prev = s->link[i].next = FRAME_UNLINKED;
    *state = s;
    return 0;
}

static void clock_destroy(void *state)
{
    free(state);
}

static void clock_on_insert(void *state, vmr_pfn_t frame, const struct vmr_access *a)
{
    (void)a;
    struct clock *s = state;
    struct frame_link *l = s->link;
    s->bits[frame] &= (uint8_t)~VMR_FRAME_REFERENCED;
    ring_insert(&s->ring, l, frame);
    clock_tell_victim(s);
}

static int clock_select_victim(void *state, vmr_pfn_t *frame)
{
    struct clock *s = state;
    const struct frame_link *l = s->link;
    uint8_t *bits = s->bits;
    uint32_t f = s->ring.hand;
    /* Two turns are enough: the first clears every unpinned bit, so the
     * second stops at the first unpinned frame. Only all-pinned gets there. */
    uint64_t steps = 2 * (uint64_t)s->ring.n_resident;
    for (; steps > 0; steps--, f = l[f].next) {
        uint8_t b = bits[f];
        if (b & VMR_FRAME_PINNED)
            continue;
        if (b & VMR_FRAME_REFERENCED) {
            bits[f] = (uint8_t)(b & ~VMR_FRAME_REFERENCED);
            s->second_chances++;
            continue;
        }
        s->ring.hand = f;
        clock_tell_victim(s);
        *frame = f;
        return 0;
    }
    s->ring.hand = f;
    clock_tell_victim(s);
    return VMR_ENOVICTIM;
}

static void clock_unlink(struct clock *s, uint32_t frame)
{
    struct frame_link *l = s->link;
    ring_unlink(&s->ring, l, frame);
    clock_tell_victim(s);
}

static void clock_on_evict(void *state, vmr_pfn_t frame, uint64_t key)
{
    (void)key;
    clock_unlink(state, frame);
}

static void clock_on_remove(void *state, vmr_pfn_t frame)
{
    clock_unlink(state, frame);
}

/* Frames keep their numbers: only the array's length changes. */
static int clock_resize(void **state, uint32_t n_frames, uint8_t *frame_bits)
{
    struct clock *s = *state;
    struct clock *t = ring_state_resize(s, offsetof(struct clock, link), s->n_frames, n_frames);
    if (!t)
        return VMR_ENOMEM;
    t->n_frames = n_frames;
    t->bits = frame_bits;
    victim_name_moved(&t->named);
    *state = t;
    return 0;
}

/* The frame under the hand: the victim unless it is referenced or pinned. */
static vmr_pfn_t clock_peek_victim(const void *state)
{
    const struct clock *s = state;
    return ring_hand(&s->ring);
}

/* on_replace's rare case (the victim not under the hand, or alone), as
 * on_evict and on_insert; apart, so that the usual case keeps to few
 * registers. */
static __attribute__((noinline)) vmr_pfn_t
clock_replace_apart(struct clock *s, vmr_pfn_t frame, uint64_t old_key, const struct vmr_access *a)
{
    clock_on_evict(s, frame, old_key);
    clock_on_insert(s, frame, a);
    const uint32_t g = s->link[s->ring.hand].next;
    __builtin_prefetch(&s->link[g]);
    return g;
}

/* on_evict + on_insert in one call. The victim sits under the hand (the
 * kernel replaces what select_victim chose), so the new page takes its
 * place in the ring, which is where on_insert would put it (behind the
 * hand once the hand has moved on), and the hand moves on. Returns the
 * frame after the hand: the victim after the next if nothing is
 * referenced by then. */
static vmr_pfn_t clock_on_replace(void *state, vmr_pfn_t frame, uint64_t old_key,
                                  const struct vmr_access *a)
{
    struct clock *s = state;
    const struct frame_link *l = s->link;
    /* (the links read before the bit is cleared, which the compiler
     * could not otherwise keep in registers across) */
    const uint32_t nx = l[frame].next, next = l[nx].next;
    if (__builtin_expect(s->ring.hand != frame || nx == frame, 0))
        return clock_replace_apart(s, frame, old_key, a);
    s->ring.hand = nx;
    clock_tell_victim(s);
    s->bits[frame] &= (uint8_t)~VMR_FRAME_REFERENCED;
    __builtin_prefetch(&l[next]);
    return next;
}

static size_t clock_report(void *state, struct vmr_policy_counter *out, size_t max)
{
    const struct clock *s = state;
    if (max >= 1)
        out[0] = (struct vmr_policy_counter){"second_chances", s->second_chances};
    return 1;
}

const struct vmr_policy_ops vmr_policy_clock = {
    .abi_version = VMR_POLICY_ABI_VERSION,
    .flags = VMR_POLICY_PEEK | VMR_POLICY_REPLACE | VMR_POLICY_RESIZE | VMR_POLICY_NO_ACCESS |
             VMR_POLICY_NEXT_VICTIM | VMR_POLICY_NEXT_UNREF,
    .name = "clock",
    .summary = "second chance over the referenced bit (Corbato 1968), as libCacheSim's Clock",
    .params = NULL,
    .create = clock_create,
    .destroy = clock_destroy,
    .on_insert = clock_on_insert,
    .on_hit = NULL,
    .select_victim = clock_select_victim,
    .on_evict = clock_on_evict,
    .on_remove = clock_on_remove,
    .report = clock_report,
    .peek_victim = clock_peek_victim,
    .on_replace = clock_on_replace,
    .resize = clock_resize,
};
