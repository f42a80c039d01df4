/*
 * lfu.c - LFU: evict the resident page with the fewest uses.
 *
 * Definition: least frequently used, as in E. G. Coffman and P. J.
 * Denning, "Operating Systems Theory", Prentice-Hall 1973, section 7.3;
 * the O(1) structure is K. Shah, A. Mitra and D. Matani, "An O(1)
 * algorithm for implementing the LFU cache eviction scheme", 2010. Counts
 * are of accesses while resident ("in-cache" LFU): a page starts at 1 when
 * loaded and its count is forgotten when it leaves. Exact counts need every
 * hit: an oracle policy.
 *
 * Tie rule: among the pages with the lowest count, the one that reached
 * that count first, which is the least recently used of them (a page's
 * last access is the one that gave it its count).
 *
 * Owns a list of count classes in increasing count (each a node with its
 * count and a list of frames, oldest arrival first) and the node of each
 * frame. Invariants: no empty class is kept; the classes' counts strictly
 * increase; at most n_frames classes exist (each holds a frame).
 * Cost: O(1) per insert, hit and removal; choosing passes only pinned pages.
 */
#include <stdlib.h>

#include "builtin.h"

struct lfu {
    uint8_t *bits;
    uint32_t n_frames;
    uint32_t n_free_nodes;
    uint32_t *node_of;        /* frame -> class node */
    uint64_t *count;          /* node -> count */
    uint32_t *free_nodes;     /* stack of unused nodes */
    struct frame_link *flink; /* frames, then one sentinel per node (n + node) */
    struct frame_link *nlink; /* nodes in increasing count, sentinel n_frames */
};

static void lfu_destroy(void *state)
{
    struct lfu *s = state;
    if (!s)
        return;
    free(s->node_of);
    free(s->count);
    free(s->free_nodes);
    free(s->flink);
    free(s->nlink);
    free(s);
}

static int lfu_create(const struct vmr_policy_config *cfg, void **state)
{
    int rc = vmr_policy_check_params(&vmr_policy_lfu, cfg);
    if (rc != 0)
        return rc;
    struct lfu *s = calloc(1, sizeof *s);
    if (!s)
        return VMR_ENOMEM;
    size_t n = cfg->n_frames;
    s->bits = cfg->frame_bits;
    s->n_frames = cfg->n_frames;
    s->node_of = malloc(n * sizeof *s->node_of);
    s->count = malloc(n * sizeof *s->count);
    s->free_nodes = malloc(n * sizeof *s->free_nodes);
    s->flink = malloc(2 * n * sizeof *s->flink);
    s->nlink = malloc((n + 1) * sizeof *s->nlink);
    if (!s->node_of || !s->count || !s->free_nodes || !s->flink || !s->nlink) {
        lfu_destroy(s);
        return VMR_ENOMEM;
    }
    flist_init_nodes(s->flink, cfg->n_frames);
    flist_init_sentinels(s->flink, cfg->n_frames, cfg->n_frames);
    flist_init(s->nlink, cfg->n_frames);
    for (uint32_t i = 0; i < cfg->n_frames; i++)
        s->free_nodes[i] = cfg->n_frames - 1 - i;
    s->n_free_nodes = cfg->n_frames;
    *state = s;
    return 0;
}

/* A new class with count c, linked right after node `at` (or the sentinel). */
static uint32_t lfu_new_node(struct lfu *s, uint32_t at, uint64_t c)
{
    assert(s->n_free_nodes > 0);
    uint32_t x = s->free_nodes[--s->n_free_nodes];
    s->count[x] = c;
    flist_link_after(s->nlink, at, x);
    return x;
}

static void lfu_leave(struct lfu *s, uint32_t frame)
{
    uint32_t x = s->node_of[frame];
    flist_unlink(s->flink, frame);
    uint32_t sent = s->n_frames + x;
    if (s->flink[sent].next == sent) {
        flist_unlink(s->nlink, x);
        s->free_nodes[s->n_free_nodes++] = x;
    }
}

static void lfu_on_insert(void *state, vmr_pfn_t frame, const struct vmr_access *a)
{
    struct lfu *s = state;
    const uint32_t end = s->n_frames;
    uint32_t first = s->nlink[end].next;
    uint32_t c = a->count ? a->count : 1;
    uint32_t x;
    if (first != end && s->count[first] == c) {
        x = first;
    } else {
        /* the new class goes before the first with a larger count */
        uint32_t at = end;
        while (s->nlink[at].next != end && s->count[s->nlink[at].next] < c)
            at = s->nlink[at].next;
        x = at != end && s->count[at] == c ? at : lfu_new_node(s, at, c);
    }
    s->node_of[frame] = x;
    flist_link_before(s->flink, s->n_frames + x, frame);
}

static void lfu_on_hit(void *state, vmr_pfn_t frame, const struct vmr_access *a)
{
    struct lfu *s = state;
    uint32_t x = s->node_of[frame];
    uint64_t c = s->count[x] + (a->count ? a->count : 1);
    /* the target class is at or after x's successor: find it */
    uint32_t at = x, nx = s->nlink[x].next;
    while (nx != s->n_frames && s->count[nx] < c) {
        at = nx;
        nx = s->nlink[nx].next;
    }
    uint32_t sent = s->n_frames + x;
    int x_dies = s->flink[sent].next == frame && s->flink[sent].prev == frame;
    uint32_t y;
    if (nx != s->n_frames && s->count[nx] == c) {
        y = nx;
    } else if (x_dies) {
        /* the only member moves up alone: its class moves with it */
        s->count[x] = c;
        if (at != x) {
            flist_unlink(s->nlink, x);
            flist_link_after(s->nlink, at, x);
        }
        return;
    } else {
        y = lfu_new_node(s, at, c);
    }
    lfu_leave(s, frame);
    s->node_of[frame] = y;
    flist_link_before(s->flink, s->n_frames + y, frame);
}

static int lfu_select_victim(void *state, vmr_pfn_t *frame)
{
    struct lfu *s = state;
    const uint32_t end = s->n_frames;
    for (uint32_t x = s->nlink[end].next; x != end; x = s->nlink[x].next) {
        uint32_t sent = end + x;
        for (uint32_t f = s->flink[sent].next; f != sent; f = s->flink[f].next) {
            if (!(s->bits[f] & VMR_FRAME_PINNED)) {
                *frame = f;
                return 0;
            }
        }
    }
    return VMR_ENOVICTIM;
}

static void lfu_on_evict(void *state, vmr_pfn_t frame, uint64_t key)
{
    (void)key;
    lfu_leave(state, frame);
}

static void lfu_on_remove(void *state, vmr_pfn_t frame)
{
    lfu_leave(state, frame);
}

/* The oldest frame of the lowest class: the victim unless pinned. */
static vmr_pfn_t lfu_peek_victim(const void *state)
{
    const struct lfu *s = state;
    const uint32_t end = s->n_frames, x = s->nlink[end].next;
    if (x == end)
        return VMR_PFN_NONE;
    const uint32_t f = s->flink[end + x].next;
    return f < end ? f : VMR_PFN_NONE;
}

/* on_evict + on_insert in one call. Returns the frame after the next
 * victim in its class (the new page joins a class at its newest end). */
static vmr_pfn_t lfu_on_replace(void *state, vmr_pfn_t frame, uint64_t old_key,
                                const struct vmr_access *a)
{
    struct lfu *s = state;
    (void)old_key;
    lfu_leave(s, frame);
    lfu_on_insert(state, frame, a);
    const uint32_t f = lfu_peek_victim(s);
    if (f == VMR_PFN_NONE)
        return VMR_PFN_NONE;
    return flist_guess_after(s->flink, f, s->n_frames);
}

/* The size does not enter the choice: a new instance for n_frames takes
 * the classes in order (renumbered), each with its frames in order. */
static int lfu_resize(void **state, uint32_t n_frames, uint8_t *frame_bits)
{
    struct lfu *s = *state, *t;
    struct vmr_policy_config c = {.n_frames = n_frames, .frame_bits = frame_bits};
    int rc = lfu_create(&c, (void **)&t);
    if (rc != 0)
        return rc;
    uint32_t at = t->n_frames;
    for (uint32_t x = s->nlink[s->n_frames].next; x != s->n_frames; x = s->nlink[x].next) {
        at = lfu_new_node(t, at, s->count[x]);
        const uint32_t sent = s->n_frames + x;
        for (uint32_t f = s->flink[sent].next; f != sent; f = s->flink[f].next) {
            t->node_of[f] = at;
            flist_link_before(t->flink, t->n_frames + at, f);
        }
    }
    lfu_destroy(s);
    *state = t;
    return 0;
}

const struct vmr_policy_ops vmr_policy_lfu = {
    .abi_version = VMR_POLICY_ABI_VERSION,
    .flags = VMR_POLICY_NEEDS_HITS | VMR_POLICY_HIT_NO_KEY | VMR_POLICY_PEEK | VMR_POLICY_REPLACE |
             VMR_POLICY_RESIZE,
    .name = "lfu",
    .summary = "least frequently used (in-cache counts), ties to the least recently used "
               "(O(1) LFU, Shah et al. 2010)",
    .params = NULL,
    .create = lfu_create,
    .destroy = lfu_destroy,
    .on_insert = lfu_on_insert,
    .on_hit = lfu_on_hit,
    .select_victim = lfu_select_victim,
    .on_evict = lfu_on_evict,
    .on_remove = lfu_on_remove,
    .peek_victim = lfu_peek_victim,
    .on_replace = lfu_on_replace,
    .resize = lfu_resize,
};
