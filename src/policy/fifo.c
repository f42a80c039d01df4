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
 * Owns one list of the resident frames in load order. The list code is
 * shared with LRU, which also moves a hit frame to the head (tlist_*,
 * declared in builtin.h).
 * Invariants: a frame is in the list iff it is resident (inserted and
 * neither evicted nor removed); head = newest load, tail = oldest. The
 * victim is the oldest unpinned frame; pinned frames keep their place.
 */
#include <stdlib.h>

#include "builtin.h"

int tlist_create(const struct vmr_policy_ops *ops, const struct vmr_policy_config *cfg,
                 void **state)
{
    int rc = vmr_policy_check_params(ops, cfg);
    if (rc != 0)
        return rc;
    struct tail_list *s = malloc(sizeof *s + ((size_t)cfg->n_frames + 1) * sizeof s->link[0]);
    if (!s)
        return VMR_ENOMEM;
    s->bits = cfg->frame_bits;
    s->n_frames = cfg->n_frames;
    s->ahead = cfg->n_frames;
    s->ahead_age = 0;
    victim_name_init(&s->named, cfg);
    flist_init(s->link, cfg->n_frames);
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
    flist_link_after(s->link, s->n_frames, frame);
    tlist_tell_victim(s);
}

int tlist_select_victim(void *state, vmr_pfn_t *frame)
{
    struct tail_list *s = state;
    const uint32_t end = s->n_frames;
    for (uint32_t f = s->link[end].prev; f != end; f = s->link[f].prev) {
        if (!(s->bits[f] & VMR_FRAME_PINNED)) {
            *frame = f;
            return 0;
        }
    }
    return VMR_ENOVICTIM;
}

vmr_pfn_t tlist_peek_victim(const void *state)
{
    return tlist_tail(state);
}

void tlist_on_evict(void *state, vmr_pfn_t frame, uint64_t key)
{
    (void)key;
    struct tail_list *s = state;
    tlist_ahead_leave(s, frame);
    flist_unlink(s->link, frame);
    tlist_tell_victim(s);
}

void tlist_on_remove(void *state, vmr_pfn_t frame)
{
    struct tail_list *s = state;
    tlist_ahead_leave(s, frame);
    flist_unlink(s->link, frame);
    tlist_tell_victim(s);
}

/* on_evict + on_insert in one call: the frame leaves the list and comes
 * back at its head. The guess returned is kept as a cursor about
 * TLIST_AHEAD frames from the tail: each replacement takes one frame from
 * behind it, so it steps one frame toward the head; it is walked to again
 * from the tail when lost, and every TLIST_AHEAD_REWALK calls. */
vmr_pfn_t tlist_on_replace(void *state, vmr_pfn_t frame, uint64_t old_key,
                           const struct vmr_access *a)
{
    (void)old_key;
    (void)a;
    struct tail_list *s = state;
    struct frame_link *l = s->link;
    const uint32_t head = s->n_frames;
    tlist_ahead_leave(s, frame);
    if (l[head].next != frame) {
        flist_unlink(l, frame);
        flist_link_after(l, head, frame);
    }
    tlist_tell_victim(s);
    uint32_t t = s->ahead;
    if (t != head && ++s->ahead_age < TLIST_AHEAD_REWALK) {
        t = l[t].prev;
    } else {
        s->ahead_age = 0;
        t = l[head].prev;
        for (unsigned d = 1; d < TLIST_AHEAD && t != head; d++)
            t = l[t].prev;
    }
    s->ahead = t;
    if (t == head)
        return VMR_PFN_NONE;
    __builtin_prefetch(&l[t]);
    return t;
}

/* Frames keep their numbers; the sentinel moves to the new end. */
int tlist_resize(void **state, uint32_t n_frames, uint8_t *frame_bits)
{
    struct tail_list *s = *state;
    s = flist_state_resize(s, offsetof(struct tail_list, link), s->n_frames, n_frames);
    if (!s)
        return VMR_ENOMEM;
    s->n_frames = n_frames;
    s->bits = frame_bits;
    s->ahead = n_frames; /* (named the old sentinel maybe): walk again */
    tlist_tell_victim(s);
    *state = s;
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
