/*
 * lirs.c - LIRS: Low Inter-reference Recency Set.
 *
 * Definition: S. Jiang and X. Zhang, "LIRS: An Efficient Low
 * Inter-reference Recency Set Replacement Policy to Improve Buffer Cache
 * Performance", SIGMETRICS 2002 (section 3.3). Blocks are LIR (kept
 * resident, Llirs of the c frames) or HIR (Lhirs = 1% of the frames, the
 * paper's setting, at least 1). The stack S holds recently referenced
 * blocks (LIR, resident HIR and non-resident HIR) in recency order with an
 * LIR block always at the bottom ("pruning" removes the HIR blocks below
 * the lowest LIR one); the queue Q holds the resident HIR blocks, and its
 * front is the victim. On a reference to:
 *   - an LIR block: it moves to the top of S (and S is pruned);
 *   - a resident HIR block in S: it becomes LIR at the top, and the bottom
 *     LIR block becomes HIR at the end of Q (prune); not in S: it moves to
 *     the top of S and to the end of Q;
 *   - a missed block: the front of Q is evicted (staying in S as
 *     non-resident HIR if it was there); if the block was in S it becomes
 *     LIR (the bottom LIR block goes to Q, prune), else resident HIR at the
 *     top of S and the end of Q. Until Llirs blocks are LIR, a missed block
 *     becomes LIR.
 * Exact recency needs every hit: an oracle policy.
 *
 * Non-resident HIR blocks are bounded by `ghosts` x frames (default 1, so
 * that resident and non-resident entries together are at most 2c, ARC's
 * and CAR's directory size): the paper leaves S unbounded. As in Caffeine's
 * simulator they also sit in a FIFO by the time they became non-resident,
 * and the oldest is dropped from S when the bound is reached. (On the
 * benchmark trace at 10% memory, ghosts=2 faults slightly more, 38.50% vs
 * 37.57%, and runs at half the speed.)
 * Pinned pages: the victim is the first unpinned block of Q; if there is
 * none, the lowest unpinned LIR block of S (which then leaves S).
 *
 * Node numbers: frames 0..n-1, non-resident entries n..n+G-1. Lists: S over
 * all nodes (head = bottom), Q over frames (head = front), and the ghost
 * FIFO. Invariants: S's bottom is LIR (S is empty if no block is LIR);
 * every resident HIR frame is in Q; n_lir <= Llirs after every callback;
 * the map holds exactly the non-resident entries' keys.
 */
#include <stdlib.h>
#include <string.h>

#include "builtin.h"

struct lirs {
    const struct vmr_policy_config *cfg; /* for resize */
    uint8_t *bits;
    uint8_t *lir; /* frame -> LIR */
    uint32_t c, G, n_lir, lir_cap;
    uint32_t s_sent, q_sent, g_sent; /* sentinels of S (in sl), Q (in ql), FIFO (in gl) */
    uint32_t n_ghosts, n_free_ghosts;
    uint32_t *free_ghosts;
    uint64_t *fkey; /* frame -> its page's key (for prefetching) */
    struct gmap map;
    uint64_t ghost_hits;
    struct frame_link *sl;    /* S: n + G nodes + sentinel */
    struct frame_link *ql;    /* Q: n frames + sentinel */
    struct frame_link *gl;    /* ghost FIFO: G nodes (index g - n) + sentinel */
    struct parena arena;      /* every array above and the map's */
    struct victim_name named; /* Q's front (VMR_POLICY_NEXT_VICTIM) */
};

/* After any change of Q: its front is the next victim unless it is pinned
 * (VMR_POLICY_NEXT_VICTIM; with Q empty, select_victim looks in S: none
 * named). */
static inline vmr_pfn_t lirs_q_front(const struct lirs *s)
{
    const uint32_t f = s->ql[s->q_sent].next;
    return f < s->c ? f : VMR_PFN_NONE;
}

static inline void lirs_tell_victim(struct lirs *s)
{
    victim_name_set(&s->named, lirs_q_front(s));
}

static const struct vmr_policy_param lirs_params[] = {
    {"hir", "0.01", "Lhirs, the resident HIR share of the frames (at least one frame)"},
    {"ghosts", "1", "non-resident HIR entries kept, as a multiple of the frames"},
    {NULL, NULL, NULL},
};

static void lirs_destroy(void *state)
{
    struct lirs *s = state;
    if (!s)
        return;
    parena_release(&s->arena);
    free(s);
}

static int lirs_create(const struct vmr_policy_config *cfg, void **state)
{
    const struct vmr_policy_ops *ops = &vmr_policy_lirs;
    double hir = 0.01, ghosts = 1.0;
    int rc = vmr_policy_check_params(ops, cfg);
    if (rc == 0)
        rc = vmr_policy_param_double(ops, cfg, "hir", 0.01, 0.0, 1.0, &hir);
    if (rc == 0)
        rc = vmr_policy_param_double(ops, cfg, "ghosts", 1.0, 0.0, 16.0, &ghosts);
    if (rc != 0)
        return rc;
    struct lirs *s = calloc(1, sizeof *s);
    if (!s)
        return VMR_ENOMEM;
    uint32_t c = cfg->n_frames;
    s->cfg = cfg;
    s->bits = cfg->frame_bits;
    s->c = c;
    s->lir_cap = c - frac_frames(c, hir, 1, c);
    s->G = frac_frames(c, ghosts, 1, 16 * c + 1);
    s->s_sent = c + s->G;
    s->q_sent = c;
    s->g_sent = s->G;
    const struct parena_req more[] = {
        {(void **)&s->sl, ((size_t)c + s->G + 1) * sizeof *s->sl},
        {(void **)&s->ql, ((size_t)c + 1) * sizeof *s->ql},
        {(void **)&s->fkey, (size_t)c * sizeof *s->fkey},
        {(void **)&s->gl, ((size_t)s->G + 1) * sizeof *s->gl},
        {(void **)&s->lir, c},
        {(void **)&s->free_ghosts, (size_t)s->G * sizeof *s->free_ghosts},
    };
    if (gmap_arena_alloc(&s->arena, &s->map, s->G, s->c, more, sizeof more / sizeof more[0]) != 0) {
        lirs_destroy(s);
        return VMR_ENOMEM;
    }
    flist_init(s->sl, c + s->G);
    flist_init(s->ql, c);
    flist_init(s->gl, s->G);
    for (uint32_t i = 0; i < s->G; i++)
        s->free_ghosts[i] = c + s->G - 1 - i;
    s->n_free_ghosts = s->G;
    victim_name_init(&s->named, cfg);
    lirs_tell_victim(s);
    *state = s;
    return 0;
}

static inline int in_s(const struct lirs *s, uint32_t x)
{
    return flist_linked(s->sl, x);
}

POLICY_INLINE void lirs_free_ghost(struct lirs *s, uint32_t g)
{
    gmap_del(&s->map, g);
    if (in_s(s, g))
        flist_unlink(s->sl, g);
    flist_unlink(s->gl, g - s->c);
    s->free_ghosts[s->n_free_ghosts++] = g;
    s->n_ghosts--;
}

/* Removes HIR entries from the bottom of S until an LIR one is there. */
static void lirs_prune(struct lirs *s)
{
    for (;;) {
        uint32_t b = s->sl[s->s_sent].next;
        if (b == s->s_sent)
            return;
        if (b >= s->c) {
            lirs_free_ghost(s, b);
            continue;
        }
        if (s->lir[b])
            return;
        flist_unlink(s->sl, b); /* a resident HIR block: stays in Q */
    }
}

static void lirs_to_top(struct lirs *s, uint32_t x)
{
    if (in_s(s, x)) {
        if (s->sl[s->s_sent].prev == x)
            return;
        flist_unlink(s->sl, x);
    }
    flist_link_before(s->sl, s->s_sent, x);
}

/* Too many LIR blocks: the bottom one of S becomes resident HIR. */
static void lirs_demote_bottom(struct lirs *s)
{
    while (s->n_lir > s->lir_cap) {
        uint32_t b = s->sl[s->s_sent].next;
        assert(b < s->c && s->lir[b]);
        flist_unlink(s->sl, b);
        s->lir[b] = 0;
        s->n_lir--;
        flist_link_before(s->ql, s->q_sent, b);
        lirs_prune(s);
    }
}

POLICY_INLINE void lirs_insert(struct lirs *s, vmr_pfn_t frame, const struct vmr_access *a)
{
    uint32_t g = gmap_find(&s->map, a->key);
    if (g != GMAP_NONE) {
        /* a non-resident HIR block still in S: its IRR is small, it
         * becomes LIR at the top (its old entry goes) */
        s->ghost_hits++;
        int was_in_s = in_s(s, g);
        lirs_free_ghost(s, g);
        if (was_in_s) {
            s->lir[frame] = 1;
            s->n_lir++;
            flist_link_before(s->sl, s->s_sent, frame);
            lirs_demote_bottom(s);
            lirs_prune(s);
            return;
        }
    }
    if (s->n_lir < s->lir_cap) {
        s->lir[frame] = 1;
        s->n_lir++;
        flist_link_before(s->sl, s->s_sent, frame);
        return;
    }
    s->lir[frame] = 0;
    if (s->n_lir > 0) /* with no LIR block S must stay empty */
        flist_link_before(s->sl, s->s_sent, frame);
    flist_link_before(s->ql, s->q_sent, frame);
}

/* Loads the page: lirs_insert, then the fetches ahead of the next drop of
 * the oldest non-resident entry. */
POLICY_INLINE void lirs_on_insert(void *state, vmr_pfn_t frame, const struct vmr_access *a)
{
    struct lirs *s = state;
    s->fkey[frame] = a->key;
    lirs_insert(s, frame, a);
    if (s->n_free_ghosts <= 1) /* the bound is near: the next eviction may drop */
        gmap_prefetch_queue(&s->map, s->gl, s->c, s->c + s->gl[s->g_sent].next, s->c, s->c + s->G);
}

static void lirs_on_insert_op(void *state, vmr_pfn_t frame, const struct vmr_access *a)
{
    lirs_on_insert(state, frame, a);
    lirs_tell_victim(state);
}

/* Fetches the missed key's map slot for on_insert. */
static void lirs_on_miss(void *state, const struct vmr_access *a)
{
    struct lirs *s = state;
    gmap_prefetch_find(&s->map, a->key);
}

static void lirs_on_hit(void *state, vmr_pfn_t frame, const struct vmr_access *a)
{
    (void)a;
    struct lirs *s = state;
    if (s->lir[frame]) {
        /* most hits, at any size: an LIR block, always in S, moves to
         * the top in one go (as LRU's hit), and S is pruned if it was the
         * bottom */
        struct frame_link *sl = s->sl;
        const uint32_t top_sent = s->s_sent, top = sl[top_sent].prev;
        if (top == frame)
            return;
        const uint32_t p = sl[frame].prev;
        flist_relink(sl, frame, p, sl[frame].next, top, top_sent);
        if (p == top_sent)
            lirs_prune(s);
        return;
    }
    if (in_s(s, frame)) {
        s->lir[frame] = 1;
        s->n_lir++;
        flist_unlink(s->ql, frame);
        lirs_to_top(s, frame);
        lirs_demote_bottom(s);
        lirs_prune(s);
        lirs_tell_victim(s);
        return;
    }
    if (s->n_lir > 0)
        flist_link_before(s->sl, s->s_sent, frame);
    flist_unlink(s->ql, frame);
    flist_link_before(s->ql, s->q_sent, frame);
    lirs_tell_victim(s);
}

static int lirs_select_victim(void *state, vmr_pfn_t *frame)
{
    struct lirs *s = state;
    for (uint32_t f = s->ql[s->q_sent].next; f != s->q_sent; f = s->ql[f].next)
        if (!(s->bits[f] & VMR_FRAME_PINNED)) {
            *frame = f;
            return 0;
        }
    for (uint32_t x = s->sl[s->s_sent].next; x != s->s_sent; x = s->sl[x].next)
        if (x < s->c && s->lir[x] && !(s->bits[x] & VMR_FRAME_PINNED)) {
            *frame = x;
            return 0;
        }
    return VMR_ENOVICTIM;
}

POLICY_INLINE void lirs_leave(struct lirs *s, uint32_t frame, int keep_ghost, uint64_t key)
{
    if (s->lir[frame]) {
        s->lir[frame] = 0;
        s->n_lir--;
        flist_unlink(s->sl, frame);
        lirs_prune(s);
        return;
    }
    flist_unlink(s->ql, frame);
    if (!in_s(s, frame))
        return;
    if (!keep_ghost) {
        flist_unlink(s->sl, frame);
        return;
    }
    /* a resident page's key is never a ghost (on_insert took it out) */
    assert(gmap_find(&s->map, key) == GMAP_NONE);
    if (s->n_free_ghosts == 0) /* the bound: the oldest non-resident entry goes */
        lirs_free_ghost(s, s->c + s->gl[s->g_sent].next);
    uint32_t g = s->free_ghosts[--s->n_free_ghosts];
    gmap_put(&s->map, key, g);
    flist_replace(s->sl, frame, g); /* the ghost takes the frame's place in S */
    flist_link_before(s->gl, s->g_sent, g - s->c);
    s->n_ghosts++;
}

static void lirs_on_evict(void *state, vmr_pfn_t frame, uint64_t key)
{
    lirs_leave(state, frame, 1, key);
    lirs_tell_victim(state);
}

static void lirs_on_remove(void *state, vmr_pfn_t frame)
{
    lirs_leave(state, frame, 0, 0);
    lirs_tell_victim(state);
}

/* The front of Q: the victim unless it is pinned. */
static vmr_pfn_t lirs_peek_victim(const void *state)
{
    return lirs_q_front(state);
}

/* on_evict + on_insert in one call. Returns the block behind Q's front,
 * or the front itself when it is alone in Q (the page loaded into the
 * next victim's frame is then likely the one after). */
static vmr_pfn_t lirs_on_replace(void *state, vmr_pfn_t frame, uint64_t old_key,
                                 const struct vmr_access *a)
{
    struct lirs *s = state;
    lirs_leave(s, frame, 1, old_key);
    lirs_on_insert(state, frame, a);
    const vmr_pfn_t f = lirs_q_front(s);
    victim_name_set(&s->named, f);
    if (f == VMR_PFN_NONE)
        return VMR_PFN_NONE;
    const uint32_t nx = flist_guess_after(s->ql, f, s->c);
    gmap_prefetch_put(&s->map, s->fkey, s->c, f, nx);
    return nx;
}

static size_t lirs_report(void *state, struct vmr_policy_counter *out, size_t max)
{
    const struct lirs *s = state;
    const struct vmr_policy_counter c[] = {
        {"lir", s->n_lir},
        {"ghosts", s->n_ghosts},
        {"ghost_hits", s->ghost_hits},
    };
    size_t n = sizeof c / sizeof c[0];
    for (size_t i = 0; i < n && i < max; i++)
        out[i] = c[i];
    return n;
}

/* A new instance for n_frames (Llirs, the ghost bound from the
 * parameters) takes S, Q and the LIR set in order, and the newest
 * non-resident entries it has room for (renumbered); if the LIR set is
 * now too large its bottom blocks become HIR, as after a hit. */
static int lirs_resize(void **state, uint32_t n_frames, uint8_t *frame_bits)
{
    struct lirs *s = *state, *t;
    uint32_t *renum = malloc(((size_t)s->G + 1) * sizeof *renum);
    int rc = renum ? policy_create_sized(s->cfg, n_frames, frame_bits, lirs_create, (void **)&t)
                   : VMR_ENOMEM;
    if (rc != 0) {
        free(renum);
        return rc;
    }
    t->cfg = s->cfg;
    uint32_t skip = s->n_ghosts > t->G ? s->n_ghosts - t->G : 0;
    for (uint32_t i = s->gl[s->g_sent].next; i != s->g_sent; i = s->gl[i].next) {
        renum[i] = GMAP_NONE;
        if (skip > 0) {
            skip--;
            continue;
        }
        uint32_t x = t->free_ghosts[--t->n_free_ghosts];
        gmap_put(&t->map, gmap_key(&s->map, s->c + i), x);
        flist_link_before(t->gl, t->g_sent, x - t->c);
        t->n_ghosts++;
        renum[i] = x;
    }
    for (uint32_t x = s->sl[s->s_sent].next; x != s->s_sent; x = s->sl[x].next) {
        uint32_t y = x < s->c ? x : renum[x - s->c];
        if (y != GMAP_NONE)
            flist_link_before(t->sl, t->s_sent, y);
    }
    for (uint32_t f = s->ql[s->q_sent].next; f != s->q_sent; f = s->ql[f].next)
        flist_link_before(t->ql, t->q_sent, f);
    memcpy(t->lir, s->lir, s->c < n_frames ? s->c : n_frames);
    t->n_lir = s->n_lir;
    t->ghost_hits = s->ghost_hits;
    free(renum);
    lirs_destroy(s);
    lirs_demote_bottom(t);
    lirs_prune(t);
    lirs_tell_victim(t);
    *state = t;
    return 0;
}

const struct vmr_policy_ops vmr_policy_lirs = {
    .abi_version = VMR_POLICY_ABI_VERSION,
    .flags = VMR_POLICY_NEEDS_HITS | VMR_POLICY_HIT_NO_KEY | VMR_POLICY_WANTS_MISS |
             VMR_POLICY_PEEK | VMR_POLICY_REPLACE | VMR_POLICY_RESIZE | VMR_POLICY_NEXT_VICTIM,
    .name = "lirs",
    .summary = "low inter-reference recency set: LIR blocks kept, HIR blocks cycled through a "
               "1% queue (Jiang & Zhang, SIGMETRICS 2002)",
    .params = lirs_params,
    .create = lirs_create,
    .destroy = lirs_destroy,
    .on_insert = lirs_on_insert_op,
    .on_hit = lirs_on_hit,
    .select_victim = lirs_select_victim,
    .on_evict = lirs_on_evict,
    .on_remove = lirs_on_remove,
    .report = lirs_report,
    .on_miss = lirs_on_miss,
    .peek_victim = lirs_peek_victim,
    .on_replace = lirs_on_replace,
    .resize = lirs_resize,
};
