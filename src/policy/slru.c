/*
 * slru.c - Segmented LRU: a probationary and a protected LRU segment.
 *
 * Definition: R. Karedla, J. S. Love and B. G. Wherry, "Caching strategies
 * to improve disk system performance", IEEE Computer 27(3):38-46, 1994: a
 * missed page enters the probationary segment at its most recent end; a hit
 * (in either segment) moves the page to the most recent end of the
 * protected segment; when the protected segment exceeds its limit, its
 * least recent page moves back to the most recent end of the probationary
 * segment; victims come from the least recent end of the probationary
 * segment (of the protected one if the probationary segment is empty).
 * The paper leaves the protected limit to the workload; the default here,
 * protected=0.8 of the frames, is the split used by Caffeine's W-TinyLFU
 * main space (Einziger et al., ACM TOS 2017). Exact recency needs every
 * hit: an oracle policy.
 *
 * Pinned pages are passed (the victim is the least recent unpinned page of
 * the probationary segment, then of the protected one).
 *
 * Owns the two lists (head = least recent). Invariants: a resident frame is
 * in exactly one; n_prot <= protected limit after every callback.
 */
#include <stdlib.h>

#include "builtin.h"

struct slru {
    uint8_t *bits;
    uint8_t *prot; /* frame -> in the protected segment */
    uint32_t n, limit, n_prot;
    double fraction; /* the protected segment's share */
    uint32_t s_prob, s_prot;
    struct frame_link link[];
};

static const struct vmr_policy_param slru_params[] = {
    {"protected", "0.8", "protected segment limit, as a fraction of the frames"},
    {NULL, NULL, NULL},
};

static void slru_destroy(void *state)
{
    struct slru *s = state;
    if (!s)
        return;
    free(s->prot);
    free(s);
}

static int slru_create(const struct vmr_policy_config *cfg, void **state)
{
    double prot = 0.8;
    int rc = vmr_policy_check_params(&vmr_policy_slru, cfg);
    if (rc == 0)
        rc = vmr_policy_param_double(&vmr_policy_slru, cfg, "protected", 0.8, 0.0, 1.0, &prot);
    if (rc != 0)
        return rc;
    uint32_t n = cfg->n_frames;
    struct slru *s = malloc(sizeof *s + ((size_t)n + 2) * sizeof s->link[0]);
    if (!s)
        return VMR_ENOMEM;
    s->prot = calloc(n, 1);
    if (!s->prot) {
        free(s);
        return VMR_ENOMEM;
    }
    s->bits = cfg->frame_bits;
    s->n = n;
    s->fraction = prot;
    s->limit = frac_frames(n, prot, 0, n);
    s->n_prot = 0;
    s->s_prob = n;
    s->s_prot = n + 1;
    flist_init_nodes(s->link, n);
    flist_init_sentinels(s->link, n, 2);
    *state = s;
    return 0;
}

static void slru_on_insert(void *state, vmr_pfn_t frame, const struct vmr_access *a)
{
    (void)a;
    struct slru *s = state;
    s->prot[frame] = 0;
    flist_link_before(s->link, s->s_prob, frame);
}

static void slru_on_hit(void *state, vmr_pfn_t frame, const struct vmr_access *a)
{
    (void)a;
    struct slru *s = state;
    struct frame_link *l = s->link;
    if (s->prot[frame]) {
        if (l[s->s_prot].prev != frame) {
            flist_unlink(l, frame);
            flist_link_before(l, s->s_prot, frame);
        }
        return;
    }
    if (s->limit == 0) { /* no protected segment: plain LRU */
        flist_unlink(l, frame);
        flist_link_before(l, s->s_prob, frame);
        return;
    }
    flist_unlink(l, frame);
    flist_link_before(l, s->s_prot, frame);
    s->prot[frame] = 1;
    if (++s->n_prot > s->limit) {
        uint32_t old = l[s->s_prot].next;
        flist_unlink(l, old);
        s->prot[old] = 0;
        s->n_prot--;
        flist_link_before(l, s->s_prob, old);
    }
}

static int slru_select_victim(void *state, vmr_pfn_t *frame)
{
    struct slru *s = state;
    const uint32_t sents[2] = {s->s_prob, s->s_prot};
    for (int i = 0; i < 2; i++)
        for (uint32_t f = s->link[sents[i]].next; f != sents[i]; f = s->link[f].next)
            if (!(s->bits[f] & VMR_FRAME_PINNED)) {
                *frame = f;
                return 0;
            }
    return VMR_ENOVICTIM;
}

static void slru_on_remove(void *state, vmr_pfn_t frame)
{
    struct slru *s = state;
    flist_unlink(s->link, frame);
    if (s->prot[frame]) {
        s->prot[frame] = 0;
        s->n_prot--;
    }
}

static void slru_on_evict(void *state, vmr_pfn_t frame, uint64_t key)
{
    (void)key;
    slru_on_remove(state, frame);
}

/* The protected segment's size follows the frame count: if it shrinks,
 * its oldest pages go back to the probationary segment (newest end), as
 * when a hit overfills it. */
static int slru_resize(void **state, uint32_t n_frames, uint8_t *frame_bits)
{
    struct slru *s = *state;
    const uint32_t n = s->n;
    if (frame_array_resize(&s->prot, 1, n, n_frames, 0) != 0)
        return VMR_ENOMEM;
    const size_t bytes = sizeof *s + ((size_t)n_frames + 2) * sizeof s->link[0];
    if (n_frames > n) {
        struct slru *t = realloc(s, bytes);
        if (!t)
            return VMR_ENOMEM; /* prot is longer: harmless */
        s = t;
        flist_init_nodes(s->link + n + 2, n_frames - n);
        flist_move_sentinel(s->link, n + 1, n_frames + 1);
        flist_move_sentinel(s->link, n, n_frames);
    } else if (n_frames < n) {
        flist_move_sentinel(s->link, n, n_frames);
        flist_move_sentinel(s->link, n + 1, n_frames + 1);
        struct slru *t = realloc(s, bytes);
        if (t)
            s = t;
    }
    s->n = n_frames;
    s->s_prob = n_frames;
    s->s_prot = n_frames + 1;
    s->bits = frame_bits;
    s->limit = frac_frames(n_frames, s->fraction, 0, n_frames);
    struct frame_link *l = s->link;
    while (s->n_prot > s->limit) {
        uint32_t old = l[s->s_prot].next;
        flist_unlink(l, old);
        s->prot[old] = 0;
        s->n_prot--;
        flist_link_before(l, s->s_prob, old);
    }
    *state = s;
    return 0;
}

/* The least recent probationary page (protected if there is none). */
static vmr_pfn_t slru_peek_victim(const void *state)
{
    const struct slru *s = state;
    uint32_t f = s->link[s->s_prob].next;
    if (f >= s->n)
        f = s->link[s->s_prot].next;
    return f < s->n ? f : VMR_PFN_NONE;
}

/* on_evict + on_insert in one call. Returns the page after the next
 * victim in its segment. */
static vmr_pfn_t slru_on_replace(void *state, vmr_pfn_t frame, uint64_t old_key,
                                 const struct vmr_access *a)
{
    struct slru *s = state;
    slru_on_evict(state, frame, old_key);
    slru_on_insert(state, frame, a);
    uint32_t f = slru_peek_victim(s);
    if (f == VMR_PFN_NONE)
        return VMR_PFN_NONE;
    return flist_guess_after(s->link, f, s->n);
}

const struct vmr_policy_ops vmr_policy_slru = {
    .abi_version = VMR_POLICY_ABI_VERSION,
    .flags = VMR_POLICY_NEEDS_HITS | VMR_POLICY_HIT_NO_KEY | VMR_POLICY_PEEK | VMR_POLICY_REPLACE |
             VMR_POLICY_RESIZE,
    .name = "slru",
    .summary = "segmented LRU: probationary and protected LRU segments (Karedla, Love & "
               "Wherry 1994)",
    .params = slru_params,
    .create = slru_create,
    .destroy = slru_destroy,
    .on_insert = slru_on_insert,
    .on_hit = slru_on_hit,
    .select_victim = slru_select_victim,
    .on_evict = slru_on_evict,
    .on_remove = slru_on_remove,
    .peek_victim = slru_peek_victim,
    .on_replace = slru_on_replace,
    .resize = slru_resize,
};
