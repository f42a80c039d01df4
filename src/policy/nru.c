/*
 * nru.c - NRU (not recently used) over the referenced and dirty bits.
 *
 * Definition: A. S. Tanenbaum and H. Bos, "Modern Operating Systems", 4th
 * ed., section 3.4.2 (the algorithm goes back to the Atlas/Multics era): a
 * page is in class 0 (not referenced, clean), 1 (not referenced, dirty),
 * 2 (referenced, clean) or 3 (referenced, dirty); the victim is a page of
 * the lowest non-empty class; the referenced bits are cleared periodically
 * (on a clock interrupt) so that class means "not used lately".
 * Hardware-realistic: it reads REFERENCED and DIRTY, clears REFERENCED.
 *
 * Time: the reset period is in page touches of the virtual clock, read from
 * vmr_access.time at on_insert (hits are not reported): the reset happens at
 * the first fault at or after each period boundary (period=0, the default,
 * means one period per n_frames touches; the book gives only "each clock
 * tick", not a number). When classes 0 and 1 are both empty (every
 * resident page used since the last reset) the reset happens early: after
 * it, old classes 2 and 3 become 0 and 1, so the choice is the same as
 * picking from class 2 or 3, and a search never needs more than one turn.
 *
 * Tie rule: within a class, the lowest frame number at or after a cursor
 * that moves up through the frames during a period (the book picks at
 * random; a cursor is deterministic and fair). Between resets a page can
 * only leave classes 0 and 1 (a touch sets REFERENCED), never enter them,
 * so the cursors never need to look back: amortised O(1) per touch.
 *
 * Owns resident[] and the two cursors. Invariants: frames below cursor0
 * (cursor1) hold no resident unpinned page of class 0 (1), unless pinned
 * when passed.
 */
#include <stdlib.h>
#include <string.h>

#include "builtin.h"

struct nru {
    uint8_t *bits;
    uint8_t *resident;
    uint32_t n_frames;
    uint32_t cursor[2];
    uint64_t period, next_reset;
    uint64_t period_param; /* 0: the frame count */
    uint64_t resets, early_resets;
};

static const struct vmr_policy_param nru_params[] = {
    {"period", "0", "page touches between reference-bit resets (0 = the number of frames)"},
    {NULL, NULL, NULL},
};

static void nru_destroy(void *state)
{
    struct nru *s = state;
    if (!s)
        return;
    free(s->resident);
    free(s);
}

static int nru_create(const struct vmr_policy_config *cfg, void **state)
{
    int rc = vmr_policy_check_params(&vmr_policy_nru, cfg);
    uint64_t period = 0;
    if (rc == 0)
        rc = vmr_policy_param_u64(&vmr_policy_nru, cfg, "period", 0, 0, UINT64_MAX / 2, &period);
    if (rc != 0)
        return rc;
    struct nru *s = calloc(1, sizeof *s);
    if (!s)
        return VMR_ENOMEM;
    s->resident = calloc(cfg->n_frames, 1);
    if (!s->resident) {
        free(s);
        return VMR_ENOMEM;
    }
    s->bits = cfg->frame_bits;
    s->n_frames = cfg->n_frames;
    s->period_param = period;
    s->period = period ? period : cfg->n_frames;
    s->next_reset = s->period;
    *state = s;
    return 0;
}

/* Clears the referenced bits of its own pages only: in local scope other
 * instances hold the other frames of the shared frame_bits. */
static void nru_reset(struct nru *s)
{
    uint8_t *bits = s->bits;
    for (uint32_t f = 0; f < s->n_frames; f++)
        if (s->resident[f])
            bits[f] &= (uint8_t)~VMR_FRAME_REFERENCED;
    s->cursor[0] = s->cursor[1] = 0;
    s->resets++;
}

static void nru_on_insert(void *state, vmr_pfn_t frame, const struct vmr_access *a)
{
    struct nru *s = state;
    assert(!s->resident[frame]);
    if (a->time >= s->next_reset) {
        /* the new page keeps the bit of the access that loaded it */
        uint8_t keep = s->bits[frame] & VMR_FRAME_REFERENCED;
        nru_reset(s);
        s->bits[frame] |= keep;
        s->next_reset = a->time + s->period;
    }
    s->resident[frame] = 1;
}

/* The first resident unpinned frame of class c at or after cursor[c]. */
static int nru_find(struct nru *s, int c, vmr_pfn_t *frame)
{
    const uint8_t want = c == 0 ? 0 : VMR_FRAME_DIRTY;
    const uint8_t mask = VMR_FRAME_REFERENCED | VMR_FRAME_DIRTY | VMR_FRAME_PINNED;
    for (uint32_t f = s->cursor[c]; f < s->n_frames; f++) {
        if (s->resident[f] && (s->bits[f] & mask) == want) {
            s->cursor[c] = f;
            *frame = f;
            return 1;
        }
    }
    s->cursor[c] = s->n_frames;
    return 0;
}

static int nru_select_victim(void *state, vmr_pfn_t *frame)
{
    struct nru *s = state;
    for (int round = 0; round < 2; round++) {
        if (nru_find(s, 0, frame) || nru_find(s, 1, frame))
            return 0;
        if (round == 0) {
            nru_reset(s);
            s->early_resets++;
        }
    }
    return VMR_ENOVICTIM;
}

static void nru_on_evict(void *state, vmr_pfn_t frame, uint64_t key)
{
    (void)key;
    struct nru *s = state;
    assert(s->resident[frame]);
    s->resident[frame] = 0;
}

static void nru_on_remove(void *state, vmr_pfn_t frame)
{
    nru_on_evict(state, frame, 0);
}

static size_t nru_report(void *state, struct vmr_policy_counter *out, size_t max)
{
    const struct nru *s = state;
    if (max >= 1)
        out[0] = (struct vmr_policy_counter){"resets", s->resets};
    if (max >= 2)
        out[1] = (struct vmr_policy_counter){"early_resets", s->early_resets};
    return 2;
}

/* The default period follows the frame count; scans restart within it. */
static int nru_resize(void **state, uint32_t n_frames, uint8_t *frame_bits)
{
    struct nru *s = *state;
    if (frame_array_resize(&s->resident, 1, s->n_frames, n_frames, 0) != 0)
        return VMR_ENOMEM;
    if (!s->period_param) {
        s->next_reset = s->next_reset - s->period + n_frames;
        s->period = n_frames;
    }
    for (int c = 0; c < 2; c++)
        if (s->cursor[c] > n_frames)
            s->cursor[c] = n_frames;
    s->n_frames = n_frames;
    s->bits = frame_bits;
    return 0;
}

const struct vmr_policy_ops vmr_policy_nru = {
    .abi_version = VMR_POLICY_ABI_VERSION,
    .flags = VMR_POLICY_RESIZE,
    .name = "nru",
    .summary = "not recently used: lowest (referenced, dirty) class first, bits reset "
               "periodically (Tanenbaum, MOS 3.4.2)",
    .params = nru_params,
    .create = nru_create,
    .destroy = nru_destroy,
    .on_insert = nru_on_insert,
    .select_victim = nru_select_victim,
    .on_evict = nru_on_evict,
    .on_remove = nru_on_remove,
    .report = nru_report,
    .resize = nru_resize,
};
