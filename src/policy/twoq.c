/*
 * twoq.c - 2Q (full version): a FIFO for pages seen once, an LRU for pages
 * seen again, and a ghost FIFO that remembers what the first one dropped.
 *
 * Definition: T. Johnson and D. Shasha, "2Q: A Low Overhead High
 * Performance Buffer Management Replacement Algorithm", VLDB 1994, the
 * "full version" (section 2.2): a missed page goes to A1in (FIFO) unless
 * its key is in A1out (ghost FIFO), in which case it goes to Am (LRU); a
 * hit in Am makes it most recent, a hit in A1in changes nothing; to free a
 * frame, if |A1in| > Kin the oldest of A1in is paged out and its key put in
 * A1out (dropping A1out's oldest beyond Kout), else the LRU page of Am.
 * Defaults from the paper: Kin = 25% and Kout = 50% of the page slots.
 * Am is an LRU list, so hits are needed: an oracle policy.
 *
 * Pinned pages are passed; if the list chosen has no unpinned page the
 * other one gives the victim. A page evicted from A1in becomes a ghost,
 * from Am not, whoever chose it.
 *
 * Owns the lists A1in, Am (frames) and A1out (ghost nodes n..n+kout-1), a
 * key -> ghost map and the ghosts' free stack.
 * Invariants: every resident frame is in exactly one of A1in/Am; |A1out|
 * <= kout; the map holds exactly the keys in A1out.
 */
#include <stdlib.h>

#include "builtin.h"

enum { Q_A1IN, Q_AM };

struct twoq {
    const struct vmr_policy_config *cfg; /* for resize */
    uint8_t *bits;
    uint8_t *list; /* frame -> Q_A1IN / Q_AM */
    uint32_t n, kin, kout;
    uint32_t s_a1in, s_am, s_a1out; /* sentinels */
    uint32_t n_a1in, n_am, n_a1out;
    uint32_t n_free_ghosts;
    uint32_t *free_ghosts;
    uint64_t *fkey; /* frame -> its page's key (for prefetching) */
    uint64_t ghost_hits;
    struct gmap map;
    struct frame_link *link;
    struct parena arena; /* every array above and the map's */
};

static const struct vmr_policy_param twoq_params[] = {
    {"kin", "0.25", "A1in (first-use FIFO) size, as a fraction of the frames"},
    {"kout", "0.5", "A1out (ghost FIFO) size, as a fraction of the frames"},
    {NULL, NULL, NULL},
};

static void twoq_destroy(void *state)
{
    struct twoq *s = state;
    if (!s)
        return;
    parena_release(&s->arena);
    free(s);
}

static int twoq_create(const struct vmr_policy_config *cfg, void **state)
{
    const struct vmr_policy_ops *ops = &vmr_policy_2q;
    double kin = 0.25, kout = 0.5;
    int rc = vmr_policy_check_params(ops, cfg);
    if (rc == 0)
        rc = vmr_policy_param_double(ops, cfg, "kin", 0.25, 0.0, 1.0, &kin);
    if (rc == 0)
        rc = vmr_policy_param_double(ops, cfg, "kout", 0.5, 0.0, 8.0, &kout);
    if (rc != 0)
        return rc;
    struct twoq *s = calloc(1, sizeof *s);
    if (!s)
        return VMR_ENOMEM;
    uint32_t n = cfg->n_frames;
    s->cfg = cfg;
    s->bits = cfg->frame_bits;
    s->n = n;
    s->kin = frac_frames(n, kin, 0, n);
    s->kout = frac_frames(n, kout, 1, 8 * n + 1);
    s->s_a1in = n + s->kout;
    s->s_am = s->s_a1in + 1;
    s->s_a1out = s->s_a1in + 2;
    const struct parena_req more[] = {
        {(void **)&s->link, ((size_t)n + s->kout + 3) * sizeof *s->link},
        {(void **)&s->fkey, (size_t)n * sizeof *s->fkey},
        {(void **)&s->list, n},
        {(void **)&s->free_ghosts, (size_t)s->kout * sizeof *s->free_ghosts},
    };
    if (gmap_arena_alloc(&s->arena, &s->map, s->kout, s->n, more, sizeof more / sizeof more[0]) !=
        0) {
        twoq_destroy(s);
        return VMR_ENOMEM;
    }
    flist_init_nodes(s->link, n + s->kout);
    flist_init_sentinels(s->link, s->s_a1in, 3);
    for (uint32_t i = 0; i < s->kout; i++)
        s->free_ghosts[i] = n + s->kout - 1 - i;
    s->n_free_ghosts = s->kout;
    *state = s;
    return 0;
}

static void twoq_drop_ghost(struct twoq *s, uint32_t g)
{
    gmap_del(&s->map, g);
    flist_unlink(s->link, g);
    s->free_ghosts[s->n_free_ghosts++] = g;
    s->n_a1out--;
}

POLICY_INLINE void twoq_on_insert(void *state, vmr_pfn_t frame, const struct vmr_access *a)
{
    struct twoq *s = state;
    s->fkey[frame] = a->key;
    uint32_t g = gmap_find(&s->map, a->key);
    if (g != GMAP_NONE) {
        twoq_drop_ghost(s, g);
        s->ghost_hits++;
        s->list[frame] = Q_AM;
        flist_link_before(s->link, s->s_am, frame);
        s->n_am++;
    } else {
        s->list[frame] = Q_A1IN;
        flist_link_before(s->link, s->s_a1in, frame);
        s->n_a1in++;
    }
    /* for the eviction that drops the oldest A1out ghost */
    gmap_prefetch_queue(&s->map, s->link, 0, s->link[s->s_a1out].next, s->n, s->n + s->kout);
}

/* Fetches the key's map slot, which on_insert reads. */
static void twoq_on_miss(void *state, const struct vmr_access *a)
{
    struct twoq *s = state;
    gmap_prefetch_find(&s->map, a->key);
}

static void twoq_on_hit(void *state, vmr_pfn_t frame, const struct vmr_access *a)
{
    (void)a;
    struct twoq *s = state;
    if (s->list[frame] != Q_AM || s->link[s->s_am].prev == frame)
        return;
    flist_unlink(s->link, frame);
    flist_link_before(s->link, s->s_am, frame);
}

static int twoq_oldest_unpinned(const struct twoq *s, uint32_t sent, vmr_pfn_t *frame)
{
    for (uint32_t f = s->link[sent].next; f != sent; f = s->link[f].next) {
        if (!(s->bits[f] & VMR_FRAME_PINNED)) {
            *frame = f;
            return 1;
        }
    }
    return 0;
}

static int twoq_select_victim(void *state, vmr_pfn_t *frame)
{
    struct twoq *s = state;
    int a1in_first = s->n_a1in > s->kin || s->n_am == 0;
    uint32_t first = a1in_first ? s->s_a1in : s->s_am;
    uint32_t second = a1in_first ? s->s_am : s->s_a1in;
    if (twoq_oldest_unpinned(s, first, frame) || twoq_oldest_unpinned(s, second, frame))
        return 0;
    return VMR_ENOVICTIM;
}

POLICY_INLINE void twoq_leave(struct twoq *s, uint32_t frame)
{
    flist_unlink(s->link, frame);
    if (s->list[frame] == Q_A1IN)
        s->n_a1in--;
    else
        s->n_am--;
}

POLICY_INLINE void twoq_on_evict(void *state, vmr_pfn_t frame, uint64_t key)
{
    struct twoq *s = state;
    int was_a1in = s->list[frame] == Q_A1IN;
    twoq_leave(s, frame);
    if (!was_a1in)
        return;
    /* a resident page's key is never a ghost (on_insert took it out) */
    assert(gmap_find(&s->map, key) == GMAP_NONE);
    if (s->n_a1out == s->kout)
        twoq_drop_ghost(s, s->link[s->s_a1out].next);
    uint32_t g = s->free_ghosts[--s->n_free_ghosts];
    gmap_put(&s->map, key, g);
    flist_link_before(s->link, s->s_a1out, g);
    s->n_a1out++;
}

static void twoq_on_remove(void *state, vmr_pfn_t frame)
{
    twoq_leave(state, frame);
}

/* select_victim's list and its oldest page, pins ignored. */
static vmr_pfn_t twoq_peek_victim(const void *state)
{
    const struct twoq *s = state;
    int a1in_first = s->n_a1in > s->kin || s->n_am == 0;
    uint32_t f = s->link[a1in_first ? s->s_a1in : s->s_am].next;
    if (f >= s->n)
        f = s->link[a1in_first ? s->s_am : s->s_a1in].next;
    return f < s->n ? f : VMR_PFN_NONE;
}

/* on_evict + on_insert in one call. Returns the page after the next
 * victim in its list (the one after the next if the list stays chosen). */
static vmr_pfn_t twoq_on_replace(void *state, vmr_pfn_t frame, uint64_t old_key,
                                 const struct vmr_access *a)
{
    struct twoq *s = state;
    twoq_on_evict(state, frame, old_key);
    twoq_on_insert(state, frame, a);
    uint32_t f = twoq_peek_victim(s);
    if (f == VMR_PFN_NONE)
        return VMR_PFN_NONE;
    const uint32_t nx = flist_guess_after(s->link, f, s->n);
    if (s->list[f] == Q_A1IN) /* its key will become a ghost */
        gmap_prefetch_put(&s->map, s->fkey, s->n, f, nx);
    return nx;
}

static size_t twoq_report(void *state, struct vmr_policy_counter *out, size_t max)
{
    const struct twoq *s = state;
    if (max >= 1)
        out[0] = (struct vmr_policy_counter){"ghost_hits", s->ghost_hits};
    if (max >= 2)
        out[1] = (struct vmr_policy_counter){"ghosts", s->n_a1out};
    return 2;
}

/* A new instance for n_frames (Kin, Kout from the parameters) takes the
 * lists in order and the newest Kout ghosts. */
static int twoq_resize(void **state, uint32_t n_frames, uint8_t *frame_bits)
{
    struct twoq *s = *state, *t;
    int rc = policy_create_sized(s->cfg, n_frames, frame_bits, twoq_create, (void **)&t);
    if (rc != 0)
        return rc;
    t->cfg = s->cfg;
    for (uint32_t f = s->link[s->s_a1in].next; f != s->s_a1in; f = s->link[f].next) {
        t->list[f] = Q_A1IN;
        flist_link_before(t->link, t->s_a1in, f);
        t->n_a1in++;
    }
    for (uint32_t f = s->link[s->s_am].next; f != s->s_am; f = s->link[f].next) {
        t->list[f] = Q_AM;
        flist_link_before(t->link, t->s_am, f);
        t->n_am++;
    }
    uint32_t skip = s->n_a1out > t->kout ? s->n_a1out - t->kout : 0;
    for (uint32_t g = s->link[s->s_a1out].next; g != s->s_a1out; g = s->link[g].next) {
        if (skip > 0) {
            skip--;
            continue;
        }
        uint32_t x = t->free_ghosts[--t->n_free_ghosts];
        gmap_put(&t->map, gmap_key(&s->map, g), x);
        flist_link_before(t->link, t->s_a1out, x);
        t->n_a1out++;
    }
    t->ghost_hits = s->ghost_hits;
    twoq_destroy(s);
    *state = t;
    return 0;
}

const struct vmr_policy_ops vmr_policy_2q = {
    .abi_version = VMR_POLICY_ABI_VERSION,
    .flags = VMR_POLICY_NEEDS_HITS | VMR_POLICY_HIT_NO_KEY | VMR_POLICY_WANTS_MISS |
             VMR_POLICY_PEEK | VMR_POLICY_REPLACE | VMR_POLICY_RESIZE,
    .name = "2q",
    .summary = "2Q full version: FIFO A1in, LRU Am, ghost FIFO A1out (Johnson & Shasha, VLDB "
               "1994)",
    .params = twoq_params,
    .create = twoq_create,
    .destroy = twoq_destroy,
    .on_insert = twoq_on_insert,
    .on_hit = twoq_on_hit,
    .select_victim = twoq_select_victim,
    .on_evict = twoq_on_evict,
    .on_remove = twoq_on_remove,
    .report = twoq_report,
    .on_miss = twoq_on_miss,
    .peek_victim = twoq_peek_victim,
    .on_replace = twoq_on_replace,
    .resize = twoq_resize,
};
