/*
 * lru.c - exact LRU replacement: evict the page unused for the longest time.
 *
 * Definition: the textbook LRU algorithm (Silberschatz, Galvin & Gagne,
 * "Operating System Concepts", 10th ed., section 10.4.4); as a stack
 * algorithm, its faults never increase with more frames (Mattson, Gecsei,
 * Slutz & Traiger, "Evaluation techniques for storage hierarchies", IBM
 * Systems Journal 9(2), 1970). Same as libCacheSim's LRU. Exact recency
 * needs every hit, which an MMU does not report: an oracle policy.
 *
 * Owns one recency list of the resident frames.
 * Invariants: a frame is in the list iff it is resident; head = most
 * recently used (inserted or hit), tail = least. The victim is the least
 * recently used unpinned frame; pinned frames keep their place.
 */
#include <stdlib.h>

#include "builtin.h"

struct lru {
    uint8_t *bits;
    uint32_t n_frames; /* also the sentinel's index */
    struct frame_link link[];
};

static int lru_create(const struct vmr_policy_config *cfg, void **state)
{
    int rc = vmr_policy_check_params(&vmr_policy_lru, cfg);
    if (rc != 0)
        return rc;
    struct lru *s = malloc(sizeof *s + ((size_t)cfg->n_frames + 1) * sizeof s->link[0]);
    if (!s)
        return VMR_ENOMEM;
    s->bits = cfg->frame_bits;
    s->n_frames = cfg->n_frames;
    flist_init(s->link, cfg->n_frames);
    *state = s;
    return 0;
}

static void lru_destroy(void *state)
{
    free(state);
}

static void lru_on_insert(void *state, vmr_pfn_t frame, const struct vmr_access *a)
{
    (void)a;
    struct lru *s = state;
    flist_link_after(s->link, s->n_frames, frame);
}

static void lru_on_hit(void *state, vmr_pfn_t frame, const struct vmr_access *a)
{
    (void)a;
    struct lru *s = state;
    struct frame_link *l = s->link;
    const uint32_t head = s->n_frames;
    /* loops hit the same page over and over: skip the relinking then */
    if (l[head].next == frame)
        return;
    flist_unlink(l, frame);
    flist_link_after(l, head, frame);
}

static int lru_select_victim(void *state, vmr_pfn_t *frame)
{
    struct lru *s = state;
    const uint32_t end = s->n_frames;
    for (uint32_t f = s->link[end].prev; f != end; f = s->link[f].prev) {
        if (!(s->bits[f] & VMR_FRAME_PINNED)) {
            *frame = f;
            return 0;
        }
    }
    return VMR_ENOVICTIM;
}

/* The least recently used frame: select_victim's choice unless it is pinned. */
static vmr_pfn_t lru_peek_victim(const void *state)
{
    const struct lru *s = state;
    uint32_t f = s->link[s->n_frames].prev;
    return f == s->n_frames ? VMR_PFN_NONE : f;
}

static void lru_on_evict(void *state, vmr_pfn_t frame, uint64_t key)
{
    (void)key;
    struct lru *s = state;
    flist_unlink(s->link, frame);
}

/* on_evict + on_insert in one call: the frame leaves the list and comes
 * back at its head. */
static vmr_pfn_t lru_on_replace(void *state, vmr_pfn_t frame, uint64_t old_key,
                                const struct vmr_access *a)
{
    (void)old_key;
    (void)a;
    struct lru *s = state;
    return flist_replace_at_head(s->link, s->n_frames, frame);
}

static void lru_on_remove(void *state, vmr_pfn_t frame)
{
    struct lru *s = state;
    flist_unlink(s->link, frame);
}

const struct vmr_policy_ops vmr_policy_lru = {
    .abi_version = VMR_POLICY_ABI_VERSION,
    .flags = VMR_POLICY_NEEDS_HITS | VMR_POLICY_HIT_NO_KEY | VMR_POLICY_PEEK | VMR_POLICY_REPLACE,
    .name = "lru",
    .summary = "least recently used: evicts the page untouched longest (exact LRU; Mattson et "
               "al. 1970)",
    .params = NULL,
    .create = lru_create,
    .destroy = lru_destroy,
    .on_insert = lru_on_insert,
    .on_hit = lru_on_hit,
    .select_victim = lru_select_victim,
    .on_evict = lru_on_evict,
    .on_remove = lru_on_remove,
    .report = NULL,
    .peek_victim = lru_peek_victim,
    .on_replace = lru_on_replace,
};
