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
#include "vec.h"

enum { ARC_T1, ARC_T2, ARC_B1, ARC_B2, ARC_NLISTS };
enum { MISS_NONE, MISS_NEW, MISS_B1, MISS_B2 };

struct arc {
    uint8_t *bits;
    uint8_t *where; /* node -> list */
    uint32_t c, n_ghost_nodes, base;
    uint32_t size[ARC_NLISTS];
    double p;
    int int_delta;
    uint32_t n_free_ghosts;
    uint32_t *free_ghosts;
    uint64_t *gkey;
    struct gmap map;
    int pending;
    uint32_t pending_ghost; /* the missed key's ghost node, if any */
    uint64_t pending_key, pending_time;
    uint64_t b1_hits, b2_hits;
    struct frame_link *link;
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
    free(s->where);
    free(s->free_ghosts);
    free(s->gkey);
    free(s->link);
    gmap_release(&s->map);
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
    uint32_t c = cfg->n_frames;
    s->bits = cfg->frame_bits;
    s->c = c;
    s->n_ghost_nodes = c + 2;
    s->base = c + s->n_ghost_nodes;
    size_t nodes = (size_t)c + s->n_ghost_nodes;
    s->where = malloc(nodes);
    s->free_ghosts = malloc(s->n_ghost_nodes * sizeof *s->free_ghosts);
    s->gkey = malloc(s->n_ghost_nodes * sizeof *s->gkey);
    s->link = malloc((nodes + ARC_NLISTS) * sizeof *s->link);
    if (!s->where || !s->free_ghosts || !s->gkey || !s->link ||
        gmap_init(&s->map, s->n_ghost_nodes) != 0) {
        arc_destroy(s);
        return VMR_ENOMEM;
    }
    flist_init_nodes(s->link, (uint32_t)nodes);
    flist_init_sentinels(s->link, s->base, ARC_NLISTS);
    for (uint32_t i = 0; i < s->n_ghost_nodes; i++)
        s->free_ghosts[i] = c + s->n_ghost_nodes - 1 - i;
    s->n_free_ghosts = s->n_ghost_nodes;
    *state = s;
    return 0;
}

/* Appends node x at the MRU end of list l. */
static void arc_push(struct arc *s, uint32_t x, int l)
{
    s->where[x] = (uint8_t)l;
    flist_link_before(s->link, s->base + (uint32_t)l, x);
    s->size[l]++;
}

static void arc_pull(struct arc *s, uint32_t x)
{
    flist_unlink(s->link, x);
    s->size[s->where[x]]--;
}

static void arc_drop_ghost(struct arc *s, uint32_t g)
{
    gmap_del(&s->map, s->gkey[g - s->c]);
    arc_pull(s, g);
    s->free_ghosts[s->n_free_ghosts++] = g;
}

/* Drops the LRU entry of ghost list l (of the other one if l is empty). */
static void arc_drop_lru_ghost(struct arc *s, int l)
{
    if (s->size[l] == 0)
        l = l == ARC_B1 ? ARC_B2 : ARC_B1;
    arc_drop_ghost(s, s->link[s->base + (uint32_t)l].next);
}

/* The paper's miss handling up to REPLACE: which case, and p's adaptation. */
static void arc_miss(struct arc *s, const struct vmr_access *a)
{
    uint32_t g = gmap_find(&s->map, a->key);
    s->pending_key = a->key;
    s->pending_time = a->time;
    s->pending_ghost = g;
    if (g == GMAP_NONE) {
        s->pending = MISS_NEW;
        return;
    }
    uint32_t b1 = s->size[ARC_B1], b2 = s->size[ARC_B2];
    if (s->where[g] == ARC_B1) {
        double q = s->int_delta ? (double)(b2 / b1) : (double)b2 / b1;
        double delta = q > 1 ? q : 1;
        s->p = s->p + delta < s->c ? s->p + delta : s->c;
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

static void arc_on_miss(void *state, const struct vmr_access *a)
{
    struct arc *s = state;
    /* a fault that found no frame is retried: adapt once */
    if (s->pending != MISS_NONE && s->pending_key == a->key && s->pending_time == a->time)
        return;
    arc_miss(s, a);
}

static void arc_on_insert(void *state, vmr_pfn_t frame, const struct vmr_access *a)
{
    struct arc *s = state;
    if (s->pending == MISS_NONE || s->pending_key != a->key || s->pending_time != a->time)
        arc_miss(s, a); /* no on_miss came: adapt now */
    int kind = s->pending;
    s->pending = MISS_NONE;
    if (kind != MISS_NEW) {
        /* the ghost found at the miss, unless trimmed since (then reused) */
        uint32_t g = s->pending_ghost;
        if (!flist_linked(s->link, g) || s->gkey[g - s->c] != a->key)
            g = gmap_find(&s->map, a->key);
        if (g != GMAP_NONE)
            arc_drop_ghost(s, g);
        arc_push(s, frame, ARC_T2);
        return;
    }
    arc_push(s, frame, ARC_T1);
    if (s->size[ARC_T1] + s->size[ARC_B1] > s->c && s->size[ARC_B1] > 0)
        arc_drop_lru_ghost(s, ARC_B1);
    uint32_t total = s->size[ARC_T1] + s->size[ARC_T2] + s->size[ARC_B1] + s->size[ARC_B2];
    if (total > 2 * s->c && s->size[ARC_B1] + s->size[ARC_B2] > 0)
        arc_drop_lru_ghost(s, ARC_B2);
}

static void arc_on_hit(void *state, vmr_pfn_t frame, const struct vmr_access *a)
{
    (void)a;
    struct arc *s = state;
    if (s->where[frame] == ARC_T2 && s->link[s->base + ARC_T2].prev == frame)
        return;
    arc_pull(s, frame);
    arc_push(s, frame, ARC_T2);
}

static int arc_lru_unpinned(const struct arc *s, int l, vmr_pfn_t *frame)
{
    const uint32_t sent = s->base + (uint32_t)l;
    for (uint32_t f = s->link[sent].next; f != sent; f = s->link[f].next)
        if (!(s->bits[f] & VMR_FRAME_PINNED)) {
            *frame = f;
            return 1;
        }
    return 0;
}

static int arc_select_victim(void *state, vmr_pfn_t *frame)
{
    struct arc *s = state;
    double t1 = s->size[ARC_T1];
    int from_t1 = t1 > 0 && (t1 > s->p || (t1 == s->p && s->pending == MISS_B2));
    int first = from_t1 ? ARC_T1 : ARC_T2, second = from_t1 ? ARC_T2 : ARC_T1;
    if (arc_lru_unpinned(s, first, frame) || arc_lru_unpinned(s, second, frame))
        return 0;
    return VMR_ENOVICTIM;
}

static void arc_on_evict(void *state, vmr_pfn_t frame, uint64_t key)
{
    struct arc *s = state;
    int ghost = s->where[frame] == ARC_T1 ? ARC_B1 : ARC_B2;
    arc_pull(s, frame);
    /* a resident page's key is never a ghost (on_insert took it out) */
    assert(gmap_find(&s->map, key) == GMAP_NONE);
    /* keep within the pool; in a normal evict-then-insert this never
     * fires, on_insert trims to the paper's bounds */
    if (s->size[ARC_B1] + s->size[ARC_B2] >= s->c + 1)
        arc_drop_lru_ghost(s, ghost == ARC_B1 && s->size[ARC_T1] + s->size[ARC_B1] > s->c ? ARC_B1
                                                                                          : ARC_B2);
    uint32_t g = s->free_ghosts[--s->n_free_ghosts];
    s->gkey[g - s->c] = key;
    gmap_put(&s->map, key, g);
    arc_push(s, g, ghost);
}

static void arc_on_remove(void *state, vmr_pfn_t frame)
{
    arc_pull(state, frame);
}

static size_t arc_report(void *state, struct vmr_policy_counter *out, size_t max)
{
    const struct arc *s = state;
    const struct vmr_policy_counter c[] = {
        {"p", (uint64_t)(s->p + 0.5)},
        {"b1_hits", s->b1_hits},
        {"b2_hits", s->b2_hits},
        {"ghosts", s->size[ARC_B1] + s->size[ARC_B2]},
    };
    size_t n = sizeof c / sizeof c[0];
    for (size_t i = 0; i < n && i < max; i++)
        out[i] = c[i];
    return n;
}

const struct vmr_policy_ops vmr_policy_arc = {
    .abi_version = VMR_POLICY_ABI_VERSION,
    .flags = VMR_POLICY_NEEDS_HITS | VMR_POLICY_WANTS_MISS,
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
};
