/*
 * s3fifo.c - S3-FIFO: a small FIFO, a main FIFO and a ghost FIFO.
 *
 * Definition: J. Yang, Y. Zhang, Z. Qiu, Y. Yue and K. V. Rashmi, "FIFO
 * queues are all you need for cache eviction", SOSP 2023 (Algorithm 1),
 * with the defaults of its reference implementation (libCacheSim
 * S3FIFO.c: small-size-ratio=0.10, ghost-size-ratio=0.90,
 * move-to-main-threshold=2, 2-bit counters). A missed page enters the small
 * queue S, or the main queue M if its key is in the ghost queue G; a hit
 * raises its counter (at most 3). To evict: if M holds more than its share
 * (c - |S|'s target) or S is empty, M's oldest page is reinserted at M's
 * tail with its counter minus one while the counter is non-zero, else it is
 * the victim; otherwise S's oldest page moves to M if its counter reached
 * the threshold (counter reset), else it is the victim and its key enters
 * G (G drops its oldest key beyond its size). This is the paper's original
 * algorithm (libCacheSim S3FIFOv0.c); the counters count every hit, so it
 * is an oracle policy here.
 *
 * Pinned pages are rotated to the tail of their queue untouched; when a
 * queue is all pinned the other one is swept.
 *
 * Owns the queues S, M (frames) and G (ghost nodes) as clock rings (the
 * oldest at the hand, so sending it to the tail is moving the hand), the
 * counters and a key -> ghost map. Invariants: a resident frame is in S or
 * M; |G| <= ghost size; the map holds exactly G's keys.
 */
#include <stdlib.h>

#include "builtin.h"

enum { S3_S, S3_M, S3_G, S3_NLISTS };

struct s3fifo {
    const struct vmr_policy_config *cfg; /* for resize */
    uint8_t *bits;
    uint8_t *where; /* frame -> S3_S / S3_M */
    uint8_t *freq;
    uint32_t c, small_cap, main_cap, ghost_cap, threshold, base;
    struct clock_ring q[S3_NLISTS]; /* S, M, G as rings, the oldest at the hand */
    uint32_t n_free_ghosts;
    uint32_t *free_ghosts;
    uint64_t *fkey; /* frame -> its page's key (for prefetching) */
    uint64_t ghost_hits, promotions;
    struct gmap map;
    struct frame_link *link;
    struct parena arena; /* every array above and the map's */
};

static const struct vmr_policy_param s3fifo_params[] = {
    {"small", "0.1", "small queue size, as a fraction of the frames"},
    {"ghost", "0.9", "ghost queue size, as a fraction of the frames"},
    {"threshold", "2", "hits in the small queue that move a page to the main queue (1..3)"},
    {NULL, NULL, NULL},
};

static void s3_destroy(void *state)
{
    struct s3fifo *s = state;
    if (!s)
        return;
    parena_release(&s->arena);
    free(s);
}

static int s3_create(const struct vmr_policy_config *cfg, void **state)
{
    const struct vmr_policy_ops *ops = &vmr_policy_s3fifo;
    double small = 0.1, ghost = 0.9;
    uint64_t threshold = 2;
    int rc = vmr_policy_check_params(ops, cfg);
    if (rc == 0)
        rc = vmr_policy_param_double(ops, cfg, "small", 0.1, 0.0, 1.0, &small);
    if (rc == 0)
        rc = vmr_policy_param_double(ops, cfg, "ghost", 0.9, 0.0, 8.0, &ghost);
    if (rc == 0)
        rc = vmr_policy_param_u64(ops, cfg, "threshold", 2, 1, 3, &threshold);
    if (rc != 0)
        return rc;
    struct s3fifo *s = calloc(1, sizeof *s);
    if (!s)
        return VMR_ENOMEM;
    uint32_t c = cfg->n_frames;
    s->cfg = cfg;
    s->bits = cfg->frame_bits;
    s->c = c;
    s->small_cap = frac_frames(c, small, 0, c);
    s->main_cap = c - s->small_cap;
    s->ghost_cap = frac_frames(c, ghost, 1, 8 * c + 1);
    s->threshold = (uint32_t)threshold;
    s->base = c + s->ghost_cap;
    const struct parena_req more[] = {
        {(void **)&s->link, (size_t)s->base * sizeof *s->link},
        {(void **)&s->fkey, (size_t)c * sizeof *s->fkey},
        {(void **)&s->freq, c},
        {(void **)&s->where, c},
        {(void **)&s->free_ghosts, (size_t)s->ghost_cap * sizeof *s->free_ghosts},
    };
    if (gmap_arena_alloc(&s->arena, &s->map, s->ghost_cap, s->c, more,
                         sizeof more / sizeof more[0]) != 0) {
        s3_destroy(s);
        return VMR_ENOMEM;
    }
    flist_init_nodes(s->link, s->base);
    for (int l = 0; l < S3_NLISTS; l++)
        ring_init(&s->q[l]);
    for (uint32_t i = 0; i < s->ghost_cap; i++)
        s->free_ghosts[i] = s->base - 1 - i;
    s->n_free_ghosts = s->ghost_cap;
    *state = s;
    return 0;
}

static void s3_push(struct s3fifo *s, uint32_t x, int l)
{
    if (x < s->c)
        s->where[x] = (uint8_t)l;
    ring_insert(&s->q[l], s->link, x);
}

static void s3_pull(struct s3fifo *s, uint32_t x, int l)
{
    ring_unlink(&s->q[l], s->link, x);
}

static void s3_drop_ghost(struct s3fifo *s, uint32_t g)
{
    gmap_del(&s->map, g);
    s3_pull(s, g, S3_G);
    s->free_ghosts[s->n_free_ghosts++] = g;
}

/* A new page with `key` in frame: its counter starts at 0, and its key
 * leaves G if there (returns 1: the page goes to M, else to S). */
POLICY_INLINE int s3_new_page(struct s3fifo *s, vmr_pfn_t frame, uint64_t key)
{
    s->fkey[frame] = key;
    s->freq[frame] = 0;
    const uint32_t g = gmap_find(&s->map, key);
    if (g == GMAP_NONE)
        return 0;
    s3_drop_ghost(s, g);
    s->ghost_hits++;
    return 1;
}

POLICY_INLINE void s3_on_insert(void *state, vmr_pfn_t frame, const struct vmr_access *a)
{
    struct s3fifo *s = state;
    s3_push(s, frame, s3_new_page(s, frame, a->key) ? S3_M : S3_S);
    /* for the eviction that drops the oldest ghost */
    gmap_prefetch_queue(&s->map, s->link, 0, s->q[S3_G].hand, s->c, s->base);
}

/* Fetches the key's map slot, which on_insert reads. */
static void s3_on_miss(void *state, const struct vmr_access *a)
{
    struct s3fifo *s = state;
    gmap_prefetch_find(&s->map, a->key);
}

static void s3_on_hit(void *state, vmr_pfn_t frame, const struct vmr_access *a)
{
    (void)a;
    struct s3fifo *s = state;
    if (s->freq[frame] < 3)
        s->freq[frame]++;
}

static int s3_select_victim(void *state, vmr_pfn_t *frame)
{
    struct s3fifo *s = state;
    uint32_t pinned_run = 0;
    int forced = -1, switches = 0;
    while (s->q[S3_S].n_resident + s->q[S3_M].n_resident > 0) {
        int l = forced >= 0                                                         ? forced
                : s->q[S3_M].n_resident > s->main_cap || s->q[S3_S].n_resident == 0 ? S3_M
                                                                                    : S3_S;
        if (s->q[l].n_resident == 0)
            l = l == S3_S ? S3_M : S3_S;
        uint32_t f = s->q[l].hand;
        if (s->bits[f] & VMR_FRAME_PINNED) {
            s->q[l].hand = s->link[f].next; /* to the tail */
            if (++pinned_run >= s->q[l].n_resident) {
                int other = l == S3_S ? S3_M : S3_S;
                if (switches > 0 || s->q[other].n_resident == 0)
                    return VMR_ENOVICTIM;
                forced = other;
                switches++;
                pinned_run = 0;
            }
            continue;
        }
        pinned_run = 0;
        switches = 0;
        if (l == S3_M) {
            if (s->freq[f] == 0) {
                *frame = f;
                return 0;
            }
            s->freq[f]--;
            s->q[S3_M].hand = s->link[f].next; /* to the tail */
        } else {
            if (s->freq[f] < s->threshold) {
                *frame = f;
                return 0;
            }
            s->freq[f] = 0;
            s->promotions++;
            s3_pull(s, f, S3_S);
            s3_push(s, f, S3_M);
        }
    }
    return VMR_ENOVICTIM;
}

/* The key of a page evicted from S enters G (G drops its oldest key
 * beyond its size). */
POLICY_INLINE void s3_ghost_in(struct s3fifo *s, uint64_t key)
{
    /* a resident page's key is never a ghost (on_insert took it out) */
    assert(gmap_find(&s->map, key) == GMAP_NONE);
    if (s->q[S3_G].n_resident == s->ghost_cap)
        s3_drop_ghost(s, s->q[S3_G].hand);
    uint32_t g = s->free_ghosts[--s->n_free_ghosts];
    gmap_put(&s->map, key, g);
    s3_push(s, g, S3_G);
}

POLICY_INLINE void s3_on_evict(void *state, vmr_pfn_t frame, uint64_t key)
{
    struct s3fifo *s = state;
    int l = s->where[frame];
    s3_pull(s, frame, l);
    if (l == S3_S)
        s3_ghost_in(s, key);
}

static void s3_on_remove(void *state, vmr_pfn_t frame)
{
    struct s3fifo *s = state;
    s3_pull(s, frame, s->where[frame]);
}

/* The page under the hand of the queue the next choice starts on: the
 * victim unless its counter sends it on. */
static vmr_pfn_t s3_peek_victim(const void *state)
{
    const struct s3fifo *s = state;
    int l = s->q[S3_M].n_resident > s->main_cap || s->q[S3_S].n_resident == 0 ? S3_M : S3_S;
    if (s->q[l].n_resident == 0)
        l = l == S3_S ? S3_M : S3_S;
    uint32_t f = s->q[l].hand;
    return f < s->c ? f : VMR_PFN_NONE;
}

/* on_evict + on_insert in one call. Returns the page after that one in
 * its queue. */
static vmr_pfn_t s3_on_replace(void *state, vmr_pfn_t frame, uint64_t old_key,
                               const struct vmr_access *a)
{
    struct s3fifo *s = state;
    if (s->where[frame] == S3_S && s->q[S3_S].hand == frame) {
        /* the usual victim, S's oldest: its key enters G, and a new page
         * that is no ghost becomes S's newest, which is the place the
         * frame has once S's hand moves on (as on_evict, on_insert) */
        s3_ghost_in(s, old_key);
        if (s3_new_page(s, frame, a->key)) {
            s3_pull(s, frame, S3_S);
            s3_push(s, frame, S3_M);
        } else {
            s->q[S3_S].hand = s->link[frame].next;
        }
        gmap_prefetch_queue(&s->map, s->link, 0, s->q[S3_G].hand, s->c, s->base);
    } else {
        s3_on_evict(state, frame, old_key);
        s3_on_insert(state, frame, a);
    }
    uint32_t f = s3_peek_victim(s);
    if (f == VMR_PFN_NONE)
        return VMR_PFN_NONE;
    uint32_t nx = s->link[f].next;
    __builtin_prefetch(&s->link[nx]);
    if (s->where[f] == S3_S) /* its key will become a ghost */
        gmap_prefetch_put(&s->map, s->fkey, s->c, f, nx);
    return nx;
}

static size_t s3_report(void *state, struct vmr_policy_counter *out, size_t max)
{
    const struct s3fifo *s = state;
    const struct vmr_policy_counter c[] = {
        {"ghost_hits", s->ghost_hits},
        {"promotions", s->promotions},
        {"ghosts", s->q[S3_G].n_resident},
    };
    size_t n = sizeof c / sizeof c[0];
    for (size_t i = 0; i < n && i < max; i++)
        out[i] = c[i];
    return n;
}

/* A new instance for n_frames (queue sizes from the parameters) takes the
 * queues in order, the counters and the newest ghosts it has room for. */
static int s3_resize(void **state, uint32_t n_frames, uint8_t *frame_bits)
{
    struct s3fifo *s = *state, *t;
    int rc = policy_create_sized(s->cfg, n_frames, frame_bits, s3_create, (void **)&t);
    if (rc != 0)
        return rc;
    t->cfg = s->cfg;
    for (int l = S3_S; l <= S3_M; l++) {
        uint32_t x = s->q[l].hand;
        for (uint32_t i = 0; i < s->q[l].n_resident; i++, x = s->link[x].next) {
            s3_push(t, x, l);
            t->freq[x] = s->freq[x];
        }
    }
    const uint32_t n_g = s->q[S3_G].n_resident;
    uint32_t skip = n_g > t->ghost_cap ? n_g - t->ghost_cap : 0;
    uint32_t g = s->q[S3_G].hand;
    for (uint32_t i = 0; i < n_g; i++, g = s->link[g].next) {
        if (skip > 0) {
            skip--;
            continue;
        }
        uint32_t x = t->free_ghosts[--t->n_free_ghosts];
        gmap_put(&t->map, gmap_key(&s->map, g), x);
        s3_push(t, x, S3_G);
    }
    t->ghost_hits = s->ghost_hits;
    t->promotions = s->promotions;
    s3_destroy(s);
    *state = t;
    return 0;
}

const struct vmr_policy_ops vmr_policy_s3fifo = {
    .abi_version = VMR_POLICY_ABI_VERSION,
    .flags = VMR_POLICY_NEEDS_HITS | VMR_POLICY_HIT_NO_KEY | VMR_POLICY_WANTS_MISS |
             VMR_POLICY_PEEK | VMR_POLICY_REPLACE | VMR_POLICY_RESIZE,
    .name = "s3fifo",
    .summary = "S3-FIFO: small, main and ghost FIFO queues with 2-bit counters (Yang et al., "
               "SOSP 2023)",
    .params = s3fifo_params,
    .create = s3_create,
    .destroy = s3_destroy,
    .on_insert = s3_on_insert,
    .on_hit = s3_on_hit,
    .select_victim = s3_select_victim,
    .on_evict = s3_on_evict,
    .on_remove = s3_on_remove,
    .report = s3_report,
    .on_miss = s3_on_miss,
    .peek_victim = s3_peek_victim,
    .on_replace = s3_on_replace,
    .resize = s3_resize,
};
