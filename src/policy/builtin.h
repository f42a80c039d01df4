/*
 * builtin.h - what the built-in policies share: their ops tables (for the
 * registry), parameter checking, and the index-linked frame list.
 *
 * A frame list is an array of struct frame_link indexed by frame number with
 * one extra element, index n_frames, as the sentinel: the list is circular
 * through it, so insertion and unlinking need no branches. A frame that is
 * in no list has prev == next == FRAME_UNLINKED; the callbacks assert it, so
 * a kernel that breaks the insert/evict protocol is caught in debug builds.
 */
#ifndef VMREPLAY_POLICY_BUILTIN_H
#define VMREPLAY_POLICY_BUILTIN_H

#include <assert.h>
#include <stdint.h>

#include "vmreplay/policy.h"

extern const struct vmr_policy_ops vmr_policy_fifo;
extern const struct vmr_policy_ops vmr_policy_lru;
extern const struct vmr_policy_ops vmr_policy_clock;
extern const struct vmr_policy_ops vmr_policy_opt;

/* Checks cfg->params against ops->params: VMR_EINVAL with a message in
 * cfg->errbuf for an unknown or repeated key. Built-ins call it in create
 * even though the registry already did, so create is safe to call directly. */
int vmr_policy_check_params(const struct vmr_policy_ops *ops, const struct vmr_policy_config *cfg);

#define FRAME_UNLINKED UINT32_MAX

struct frame_link {
    uint32_t prev, next;
};

/* l has n_frames + 1 elements; the sentinel is l[n_frames]. */
static inline void flist_init(struct frame_link *l, uint32_t n_frames)
{
    for (uint32_t i = 0; i < n_frames; i++)
        l[i].prev = l[i].next = FRAME_UNLINKED;
    l[n_frames].prev = l[n_frames].next = n_frames;
}

static inline int flist_linked(const struct frame_link *l, uint32_t f)
{
    return l[f].next != FRAME_UNLINKED;
}

/* Links f right after `at` (at may be the sentinel: f becomes the head). */
static inline void flist_link_after(struct frame_link *l, uint32_t at, uint32_t f)
{
    assert(!flist_linked(l, f));
    uint32_t nx = l[at].next;
    l[f].prev = at;
    l[f].next = nx;
    l[nx].prev = f;
    l[at].next = f;
}

/* Links f right before `at` (at = sentinel: f becomes the tail). */
static inline void flist_link_before(struct frame_link *l, uint32_t at, uint32_t f)
{
    flist_link_after(l, l[at].prev, f);
}

static inline void flist_unlink(struct frame_link *l, uint32_t f)
{
    assert(flist_linked(l, f));
    uint32_t p = l[f].prev, nx = l[f].next;
    l[p].next = nx;
    l[nx].prev = p;
    l[f].prev = l[f].next = FRAME_UNLINKED;
}

#endif
