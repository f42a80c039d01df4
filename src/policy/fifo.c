/*
 * fifo.c - FIFO replacement: evict the page that has been resident longest.
 *
 * Definition: the textbook FIFO algorithm (Silberschatz, Galvin & Gagne,
 * "Operating System Concepts", 10th ed., section 10.4.2); its anomaly, more
 * frames giving more faults, is Belady, Nelson & Shedler, "An anomaly in
 * space-time characteristics of certain programs running in a paging
 * machine", CACM 12(6), 1969. Same as libCacheSim's FIFO: hits change
 * nothing, so the policy needs no hits and no bits (hardware-realistic).
 *
 * Owns a ring of the resident frames in load order, the oldest at the
 * hand. The code is shared with LRU, which also moves a hit frame to the
 * newest place (tlist_*, declared in builtin.h).
 * Invariants: a frame is in the ring iff it is resident (inserted and
 * neither evicted nor removed); from the hand, the oldest load, to just
 * behind it, the newest. The victim is the oldest unpinned frame; pinned
 * frames keep their place.
 */
#include <stdlib.h>

#include "builtin.h"

int tlist_create(const struct vmr_policy_ops *ops, const struct vmr_policy_config *cfg,
                 void **state)
{
    int rc = vmr_policy_check_params(ops, cfg);
    if (rc != 0)
        return rc;
    struct tail_list *s = malloc(sizeof *s + (size_t)cfg->n_frames * sizeof s->link[0]);
    if (!s)
        return VMR_ENOMEM;
    s->bits = cfg->frame_bits;
    s->n_frames = cfg->n_frames;
    s->ahead = FRAME_UNLINKED;
    ring_init(&s->ring);
    victim_name_init(&s->named, cfg);
    flist_init_nodes(s->link, cfg->n_frames);
    tlist_tell_victim(s);
    *state = s;
    return 0;
}

void tlist_destroy(void *state)
{
    free(state);
}

void tlist_on_insert(void *state, vmr_pfn_t frame, const struct vmr_access *a)
{
    (void)a;
    struct tail_list *s = state;
    ring_insert(&s->ring, s->link, frame);
    tlist_tell_victim(s);
}

int tlist_select_victim(void *state, vmr_pfn_t *frame)
{
    struct tail_list *s = state;
    uint32_t f = s->ring.hand;
    for (uint32_t i = 0; i < s->ring.n_resident; i++, f = s->link[f].next) {
        if (!(s->bits[f] & VMR_FRAME_PINNED)) {
            *frame = f;
            return 0;
        }
    }
    return VMR_ENOVICTIM;
}

vmr_pfn_t tlist_peek_victim(const void *state)
{
    const struct tail_list *s = state;
    return ring_hand(&s->ring);
}

/* The frame leaves the ring (the guess must not stay on it). */
static void tlist_drop(struct tail_list *s, uint32_t frame)
{
    if (frame == s->ahead)
        s->ahead = FRAME_UNLINKED;
    ring_unlink(&s->ring, s->link, frame);
    tlist_tell_victim(s);
}

void tlist_on_evict(void *state, vmr_pfn_t frame, uint64_t key)
{
    (void)key;
    tlist_drop(state, frame);
}

void tlist_on_remove(void *state, vmr_pfn_t frame)
{
    tlist_drop(state, frame);
}

/* on_evict + on_insert in one call: the frame leaves its place and comes
 * back as the newest. The usual victim is the hand's frame, which is then
 * the newest once the hand moves on. The guess returned is kept as a
 * cursor TLIST_AHEAD - 1 frames past the hand, which moves on with it; it
 * is walked to again when lost (hits brought it down to the victim, or its
 * frame left the ring or was hit) and when the victim's number is a
 * multiple of TLIST_REWALK_MASK + 1 (about that often, with no counter to
 * keep), as hits between the hand and the guess bring it nearer. */
vmr_pfn_t tlist_on_replace(void *state, vmr_pfn_t frame, uint64_t old_key,
                           const struct vmr_access *a)
{
    (void)old_key;
    (void)a;
    struct tail_list *s = state;
    struct frame_link *l = s->link;
    uint32_t h = s->ring.hand;
    if (__builtin_expect(frame == h, 1)) {
        h = l[h].next;
        s->ring.hand = h;
    } else {
        /* a pinned frame was passed: this one moves to the newest place */
        ring_unlink(&s->ring, l, frame);
        ring_insert(&s->ring, l, frame);
        h = s->ring.hand;
    }
    victim_name_set(&s->named, h);
    uint32_t t = s->ahead;
    if (__builtin_expect(t != frame && t != FRAME_UNLINKED && (frame & TLIST_REWALK_MASK), 1)) {
        t = l[t].next;
    } else {
        t = h;
        for (unsigned d = 1; d < TLIST_AHEAD; d++)
            t = l[t].next;
    }
    s->ahead = t;
    __builtin_prefetch(&l[t]);
    return t;
}

/* Frames keep their numbers: only the array's length changes. */
int tlist_resize(void **state, uint32_t n_frames, uint8_t *frame_bits)
{
    struct tail_list *s = *state;
    struct tail_list *t =
        ring_state_resize(s, offsetof(struct tail_list, link), s->n_frames, n_frames);
    if (!t)
        return VMR_ENOMEM;
    t->n_frames = n_frames;
    t->bits = frame_bits;
    t->ahead = FRAME_UNLINKED;
    victim_name_moved(&t->named);
    tlist_tell_victim(t);
    *state = t;
    return 0;
}

static int fifo_create(const struct vmr_policy_config *cfg, void **state)
{
    return tlist_create(&vmr_policy_fifo, cfg, state);
}

const struct vmr_policy_ops vmr_policy_fifo = {
    .abi_version = VMR_POLICY_ABI_VERSION,
    .flags = VMR_POLICY_PEEK | VMR_POLICY_REPLACE | VMR_POLICY_FAR_GUESS | VMR_POLICY_RESIZE |
             VMR_POLICY_NO_ACCESS | VMR_POLICY_NEXT_VICTIM,
    .name = "fifo",
    .summary = "first in, first out: evicts the page loaded longest ago (textbook FIFO)",
    .params = NULL,
    .create = fifo_create,
    .destroy = tlist_destroy,
    .on_insert = tlist_on_insert,
    .on_hit = NULL,
    .select_victim = tlist_select_victim,
    .on_evict = tlist_on_evict,
    .on_remove = tlist_on_remove,
    .report = NULL,
    .peek_victim = tlist_peek_victim,
    .on_replace = tlist_on_replace,
    .resize = tlist_resize,
};
