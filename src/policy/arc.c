/*
 * arc.c - ARC: Adaptive Replacement Cache.
 *
 * Definition: N. Megiddo and D. S. Modha, "ARC: A Self-Tuning, Low Overhead
 * Replacement Cache", FAST 2003 (Figure 4). T1 holds pages seen once
 * recently, T2 pages seen at least twice, each LRU; the ghost lists B1 and
 * B2 remember the keys last evicted from them. A miss whose key is in B1
 * raises the target size p of T1 by max(|B2|/|B1|, 1), one in B2 lowers it
 * by max(|B1|/|B2|, 1); REPLACE
 * evicts T1's LRU page into B1 if |T1| > p, or |T1| == p and the missed key
 * is in B2, else T2's LRU page into B2. |T1|+|B1| <= c and
 * |T1|+|T2|+|B1|+|B2| <= 2c (c = frames). Exact recency needs every hit:
 * an oracle policy, with no parameters (ARC has none).
 *
 * Parameter delta: "real" (default) takes the quotients as real numbers, as
 * the paper's Figure 4 writes them; it reproduces the paper's Table IV
 * (OLTP) to its two decimals at 4 of 5 sizes (tests/unit/
 * test_policy_arc_traces.c). "int" truncates them, as libCacheSim's ARC
 * (cache/eviction/ARC.c) does; with it the counts match libCacheSim exactly
 * on runs without frees. Both need the kernel to call on_miss
 * (VMR_POLICY_WANTS_MISS) before choosing a victim, as the paper adapts p
 * before REPLACE. Without
 * that call the adaptation is done late, in on_insert, and the "key in B2"
 * tie rule cannot apply: choices may then differ slightly from the paper.
 * The paper's deletions of B1's or B2's LRU entry on a new key (its case
 * IV) are done in on_insert, after the victim became a ghost at the MRU
 * end: the same entries go. With frees (on_remove) ARC never evicts into
 * a free frame (the paper would REPLACE on a ghost hit anyway).
 *
 * Pinned pages are passed: the victim is the least recent unpinned page of
 * the list REPLACE names, else of the other one.
 *
 * Owns T1/T2 (frames), B1/B2 (ghost nodes n..n+c+1), a key -> ghost map.
 * Invariants: every resident frame is in T1 or T2; the map holds exactly
 * the keys in B1 and B2; |B1|+|B2| <= c+1, back to <= c (and the bounds
 * above) after every on_insert.
 */
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "ghostlists.h"
#include "vec.h"

enum { MISS_NONE, MISS_NEW, MISS_B1, MISS_B2 };

struct arc {
    uint8_t *bits;
    struct ghost_lists gl;
    double p;
    int int_delta;
    int pending;
    uint32_t pending_ghost; /* the missed key's ghost node, if any */
    uint64_t pending_key, pending_time;
    uint64_t b1_hits, b2_hits;
    struct victim_name named; /* REPLACE's choice, after on_miss (VMR_POLICY_NEXT_VICTIM) */
};

static const struct vmr_policy_param arc_params[] = {
    {"delta", "real", "p's step max(|B2|/|B1|, 1): real (the paper) or int (libCacheSim)"},
    {NULL, NULL, NULL},
};

static void arc_destroy(void *state)
{
    struct arc *s = state;
    if (!s)
        return;
    gl_release(&s->gl);
    free(s);
}

static int arc_create(const struct vmr_policy_config *cfg, void **state)
{
    int rc = vmr_policy_check_params(&vmr_policy_arc, cfg);
    if (rc != 0)
        return rc;
    int int_delta = 0;
    for (size_t i = 0; i < cfg->n_params; i++) {
        if (strcmp(cfg->params[i].key, "delta") != 0)
            continue;
        if (strcmp(cfg->params[i].value, "int") == 0) {
            int_delta = 1;
        } else if (strcmp(cfg->params[i].value, "real") != 0) {
            vmr_errf(cfg->errbuf, cfg->errbuf_len, "policy 'arc': delta=%s is not real or int",
                     cfg->params[i].value);
            return VMR_EINVAL;
        }
    }
    struct arc *s = calloc(1, sizeof *s);
    if (!s)
        return VMR_ENOMEM;
    s->int_delta = int_delta;
    s->bits = cfg->frame_bits;
    victim_name_init(&s->named, cfg);
    if (gl_init(&s->gl, cfg->n_frames) != 0) {
        arc_destroy(s);
        return VMR_ENOMEM;
    }
    *state = s;
    return 0;
}

/* The paper's miss handling up to REPLACE: which case, and p's adaptation. */
static void arc_miss(struct arc *s, const struct vmr_access *a)
{
    uint32_t g = gmap_find(&s->gl.map, a->key);
    s->pending_key = a->key;
    s->pending_time = a->time;
    s->pending_ghost = g;
    if (g == GMAP_NONE) {
        s->pending = MISS_NEW;
        return;
    }
    /* on_insert unlinks the ghost: its node's neighbours are found there */
    __builtin_prefetch(&s->gl.link[g], 1);
    uint32_t b1 = s->gl.size[GL_B1], b2 = s->gl.size[GL_B2];
    if (s->gl.where[g] == GL_B1) {
        double q = s->int_delta ? (double)(b2 / b1) : (double)b2 / b1;
        double delta = q > 1 ? q : 1;
        s->p = s->p + delta < s->gl.c ? s->p + delta : s->gl.c;
        s->pending = MISS_B1;
        s->b1_hits++;
    } else {
        double q = s->int_delta ? (double)(b1 / b2) : (double)b1 / b2;
        double delta = q > 1 ? q : 1;
        s->p = s->p - delta > 0 ? s->p - delta : 0;
        s->pending = MISS_B2;
        s->b2_hits++;
    }
}

/* The list REPLACE takes from now: T1 if |T1| > p, or |T1| == p and the
 * missed key is in B2; else T2. */
static inline int arc_from_t1(const struct arc *s)
{
    double t1 = s->gl.size[GL_T1];
    return t1 > 0 && (t1 > s->p || (t1 == s->p && s->pending == MISS_B2));
}

/* The LRU page of list `first` (T1 or T2), or of the other if that one is
 * empty; pins ignored. VMR_PFN_NONE if both are empty. */
static inline vmr_pfn_t arc_lru_either(const struct arc *s, int first)
{
    uint32_t f = gl_lru(&s->gl, first);
    if (f >= s->gl.c)
        f = gl_lru(&s->gl, first == GL_T1 ? GL_T2 : GL_T1);
    return f < s->gl.c ? f : VMR_PFN_NONE;
}

/* VMR_POLICY_NEXT_VICTIM: the kernel asks for a victim right after
 * on_miss, so the choice is named there, where p has been adapted; every
 * other callback that may change it names none (the kernel then calls
 * select_victim, as for a fault that finds no miss call). */
static inline void arc_name_none(struct arc *s)
{
    victim_name_set(&s->named, VMR_PFN_NONE);
}

static void arc_on_miss(void *state, const struct vmr_access *a)
{
    struct arc *s = state;
    /* a fault that found no frame is retried: adapt once */
    if (s->pending == MISS_NONE || s->pending_key != a->key || s->pending_time != a->time)
        arc_miss(s, a);
    /* select_victim's choice, pins aside */
    victim_name_set(&s->named, arc_lru_either(s, arc_from_t1(s) ? GL_T1 : GL_T2));
}

/* on_insert's work; inlined into on_replace too. */
static inline __attribute__((always_inline)) void arc_insert(struct arc *s, vmr_pfn_t frame,
                                                             const struct vmr_access *a)
{
    s->gl.fkey[frame] = a->key;
    if (s->pending == MISS_NONE || s->pending_key != a->key || s->pending_time != a->time)
        arc_miss(s, a); /* no on_miss came: adapt now */
    int kind = s->pending;
    s->pending = MISS_NONE;
    if (kind != MISS_NEW) {
        /* the ghost found at the miss, unless trimmed since (then reused) */
        uint32_t g = s->pending_ghost;
        if (!flist_linked(s->gl.link, g) || gmap_key(&s->gl.map, g) != a->key)
            g = gmap_find(&s->gl.map, a->key);
        if (g != GMAP_NONE)
            gl_drop_ghost(&s->gl, g);
        gl_push(&s->gl, frame, GL_T2);
        gl_prefetch_next_drop(&s->gl);
        return;
    }
    gl_push(&s->gl, frame, GL_T1);
    if (s->gl.size[GL_T1] + s->gl.size[GL_B1] > s->gl.c && s->gl.size[GL_B1] > 0)
        gl_drop_lru_ghost(&s->gl, GL_B1);
    uint32_t total = s->gl.size[GL_T1] + s->gl.size[GL_T2] + s->gl.size[GL_B1] + s->gl.size[GL_B2];
    if (total > 2 * s->gl.c && s->gl.size[GL_B1] + s->gl.size[GL_B2] > 0)
        gl_drop_lru_ghost(&s->gl, GL_B2);
    gl_prefetch_next_drop(&s->gl);
}

static void arc_on_insert(void *state, vmr_pfn_t frame, const struct vmr_access *a)
{
    arc_insert(state, frame, a);
    arc_name_none(state);
}

/* The frame hit goes to T2's MRU end, from T1 or from inside T2, in one
 * relink (most accesses are hits at large memories). */
static void arc_on_hit(void *state, vmr_pfn_t frame, const struct vmr_access *a)
{
    (void)a;
    struct arc *s = state;
    struct ghost_lists *g = &s->gl;
    struct frame_link *l = g->link;
    const uint32_t sent = g->base + GL_T2, mru = l[sent].prev;
    if (mru != frame) { /* (T2's MRU page is in T2) */
        const int from = g->where[frame];
        flist_relink(l, frame, l[frame].prev, l[frame].next, mru, sent);
        if (from != GL_T2) {
            g->where[frame] = GL_T2;
            g->size[from]--;
            g->size[GL_T2]++;
        }
    }
    arc_name_none(s);
}

static int arc_lru_unpinned(const struct arc *s, int l, vmr_pfn_t *frame)
{
    const uint32_t sent = s->gl.base + (uint32_t)l;
    for (uint32_t f = s->gl.link[sent].next; f != sent; f = s->gl.link[f].next)
        if (!(s->bits[f] & VMR_FRAME_PINNED)) {
            *frame = f;
            return 1;
        }
    return 0;
}

static int arc_select_victim(void *state, vmr_pfn_t *frame)
{
    struct arc *s = state;
    const int from_t1 = arc_from_t1(s);
    int first = from_t1 ? GL_T1 : GL_T2, second = from_t1 ? GL_T2 : GL_T1;
    if (arc_lru_unpinned(s, first, frame) || arc_lru_unpinned(s, second, frame))
        return 0;
    return VMR_ENOVICTIM;
}

/* REPLACE's choice as the next miss will likely see it (before that miss
 * adapts p): the LRU page of T1 or T2, pins ignored. */
static vmr_pfn_t arc_peek_victim(const void *state)
{
    const struct arc *s = state;
    double t1 = s->gl.size[GL_T1];
    return arc_lru_either(s, t1 > 0 && t1 > s->p ? GL_T1 : GL_T2);
}

/* on_evict's work; inlined into on_replace too. */
static inline __attribute__((always_inline)) void arc_evict(struct arc *s, vmr_pfn_t frame,
                                                            uint64_t key)
{
    const int from = s->gl.where[frame];
    const int ghost = from == GL_T1 ? GL_B1 : GL_B2;
    gl_pull_from(&s->gl, frame, from);
    /* a resident page's key is never a ghost (on_insert took it out) */
    assert(gmap_find(&s->gl.map, key) == GMAP_NONE);
    /* keep within the pool; in a normal evict-then-insert this never
     * fires, on_insert trims to the paper's bounds */
    if (s->gl.size[GL_B1] + s->gl.size[GL_B2] >= s->gl.c + 1)
        gl_drop_lru_ghost(&s->gl, ghost == GL_B1 && s->gl.size[GL_T1] + s->gl.size[GL_B1] > s->gl.c
                                      ? GL_B1
                                      : GL_B2);
    gl_add_ghost(&s->gl, key, ghost);
}

static void arc_on_evict(void *state, vmr_pfn_t frame, uint64_t key)
{
    arc_evict(state, frame, key);
    arc_name_none(state);
}

static void arc_on_remove(void *state, vmr_pfn_t frame)
{
    gl_pull(&((struct arc *)state)->gl, frame);
    arc_name_none(state);
}

/* c follows the size; p keeps its share of c. */
static int arc_resize(void **state, uint32_t n_frames, uint8_t *frame_bits)
{
    struct arc *s = *state;
    const uint32_t old = s->gl.c;
    if (gl_resize(&s->gl, n_frames) != 0)
        return VMR_ENOMEM;
    s->bits = frame_bits;
    s->p = s->p * n_frames / old;
    arc_name_none(s);
    if (s->pending == MISS_B1 || s->pending == MISS_B2) {
        /* the ghost found at the miss has a new node (or is gone: then any
         * ghost node, whose key differs, makes on_insert look it up) */
        uint32_t g = gmap_find(&s->gl.map, s->pending_key);
        s->pending_ghost = g != GMAP_NONE ? g : s->gl.base - 1;
    }
    return 0;
}

/* on_evict + on_insert in one call. Returns the page REPLACE would take
 * after the next one if nothing changes: the successor of the LRU page of
 * the list peek_victim names (a new page refills the list it left). */
static vmr_pfn_t arc_on_replace(void *state, vmr_pfn_t frame, uint64_t old_key,
                                const struct vmr_access *a)
{
    struct arc *s = state;
    arc_evict(s, frame, old_key);
    arc_insert(s, frame, a);
    arc_name_none(s);
    uint32_t f = arc_peek_victim(s);
    if (f == VMR_PFN_NONE)
        return VMR_PFN_NONE;
    uint32_t nx = s->gl.link[f].next;
    if (nx >= s->gl.c)
        nx = gl_lru(&s->gl, s->gl.where[f] == GL_T1 ? GL_T2 : GL_T1);
    if (nx >= s->gl.c)
        return VMR_PFN_NONE;
    __builtin_prefetch(&s->gl.link[nx]);
    gl_prefetch_put(&s->gl, f, nx);
    return nx;
}

static size_t arc_report(void *state, struct vmr_policy_counter *out, size_t max)
{
    const struct arc *s = state;
    const struct vmr_policy_counter c[] = {
        {"p", (uint64_t)(s->p + 0.5)},
        {"b1_hits", s->b1_hits},
        {"b2_hits", s->b2_hits},
        {"ghosts", s->gl.size[GL_B1] + s->gl.size[GL_B2]},
    };
    size_t n = sizeof c / sizeof c[0];
    for (size_t i = 0; i < n && i < max; i++)
        out[i] = c[i];
    return n;
}

const struct vmr_policy_ops vmr_policy_arc = {
    .abi_version = VMR_POLICY_ABI_VERSION,
    .flags = VMR_POLICY_NEEDS_HITS | VMR_POLICY_WANTS_MISS | VMR_POLICY_HIT_NO_KEY |
             VMR_POLICY_PEEK | VMR_POLICY_REPLACE | VMR_POLICY_RESIZE | VMR_POLICY_NEXT_VICTIM,
    .name = "arc",
    .summary = "adaptive replacement cache: T1/T2 LRU lists with B1/B2 ghosts and an adaptive "
               "target (Megiddo & Modha, FAST 2003), as libCacheSim's ARC",
    .params = arc_params,
    .create = arc_create,
    .destroy = arc_destroy,
    .on_insert = arc_on_insert,
    .on_hit = arc_on_hit,
    .select_victim = arc_select_victim,
    .on_evict = arc_on_evict,
    .on_remove = arc_on_remove,
    .report = arc_report,
    .on_miss = arc_on_miss,
    .peek_victim = arc_peek_victim,
    .on_replace = arc_on_replace,
    .resize = arc_resize,
};
