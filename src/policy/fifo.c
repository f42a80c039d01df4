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
 * Owns one list of the resident frames in load order.
 * Invariants: a frame is in the list iff it is resident (inserted and
 * neither evicted nor removed); head = newest load, tail = oldest. The
 * victim is the oldest unpinned frame; pinned frames keep their place.
 */
#include <stdlib.h>

#include "builtin.h"

struct fifo {
    uint8_t *bits;
    uint32_t n_frames; /* also the sentinel's index */
    struct frame_link link[];
};

static int fifo_create(const struct vmr_policy_config *cfg, void **state)
{
    int rc = vmr_policy_check_params(&vmr_policy_fifo, cfg);
    if (rc != 0)
        return rc;
    struct fifo *s = malloc(sizeof *s + ((size_t)cfg->n_frames + 1) * sizeof s->link[0]);
    if (!s)
        return VMR_ENOMEM;
    s->bits = cfg->frame_bits;
    s->n_frames = cfg->n_frames;
    flist_init(s->link, cfg->n_frames);
    *state = s;
    return 0;
}

static void fifo_destroy(void *state)
{
    free(state);
}

static void fifo_on_insert(void *state, vmr_pfn_t frame, const struct vmr_access *a)
{
    (void)a;
    struct fifo *s = state;
    flist_link_after(s->link, s->n_frames, frame);
}

static int fifo_select_victim(void *state, vmr_pfn_t *frame)
{
    struct fifo *s = state;
    const uint32_t end = s->n_frames;
    for (uint32_t f = s->link[end].prev; f != end; f = s->link[f].prev) {
        if (!(s->bits[f] & VMR_FRAME_PINNED)) {
            *frame = f;
            return 0;
        }
    }
    return VMR_ENOVICTIM;
}

/* The least recently loaded frame: select_victim's choice unless it is pinned. */
static vmr_pfn_t fifo_peek_victim(const void *state)
{
    const struct fifo *s = state;
    uint32_t f = s->link[s->n_frames].prev;
    return f == s->n_frames ? VMR_PFN_NONE : f;
}

static void fifo_on_evict(void *state, vmr_pfn_t frame, uint64_t key)
{
    (void)key;
    struct fifo *s = state;
    flist_unlink(s->link, frame);
}

/* on_evict + on_insert in one call: the frame leaves the list and comes
 * back at its head. */
static vmr_pfn_t fifo_on_replace(void *state, vmr_pfn_t frame, uint64_t old_key,
                                 const struct vmr_access *a)
{
    (void)old_key;
    (void)a;
    struct fifo *s = state;
    return flist_replace_at_head(s->link, s->n_frames, frame);
}

static void fifo_on_remove(void *state, vmr_pfn_t frame)
{
    struct fifo *s = state;
    flist_unlink(s->link, frame);
}

const struct vmr_policy_ops vmr_policy_fifo = {
    .abi_version = VMR_POLICY_ABI_VERSION,
    .flags = VMR_POLICY_PEEK | VMR_POLICY_REPLACE,
    .name = "fifo",
    .summary = "first in, first out: evicts the page loaded longest ago (textbook FIFO)",
    .params = NULL,
    .create = fifo_create,
    .destroy = fifo_destroy,
    .on_insert = fifo_on_insert,
    .on_hit = NULL,
    .select_victim = fifo_select_victim,
    .on_evict = fifo_on_evict,
    .on_remove = fifo_on_remove,
    .report = NULL,
    .peek_victim = fifo_peek_victim,
    .on_replace = fifo_on_replace,
};
