/*
 * builtin.h - what the built-in policies share: their ops tables (for the
 * registry), parameter checking, and the index-linked frame list.
 *
 * A frame list is an array of struct frame_link indexed by frame number with
 * one extra element, index n_frames, as the sentinel: the list is circular
 * through it, so insertion and unlinking need no branches. A frame that is
 * in no list has prev == next == FRAME_UNLINKED; the callbacks assert it, so
 * a kernel that breaks the insert/evict protocol is caught in debug builds.
 */
#ifndef VMREPLAY_POLICY_BUILTIN_H
#define VMREPLAY_POLICY_BUILTIN_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vec.h"
#include "vmreplay/policy.h"

extern const struct vmr_policy_ops vmr_policy_fifo;
extern const struct vmr_policy_ops vmr_policy_lru;
extern const struct vmr_policy_ops vmr_policy_clock;
extern const struct vmr_policy_ops vmr_policy_opt;
extern const struct vmr_policy_ops vmr_policy_random;
extern const struct vmr_policy_ops vmr_policy_gclock;
extern const struct vmr_policy_ops vmr_policy_nru;
extern const struct vmr_policy_ops vmr_policy_aging;
extern const struct vmr_policy_ops vmr_policy_lfu;
extern const struct vmr_policy_ops vmr_policy_2q;
extern const struct vmr_policy_ops vmr_policy_slru;
extern const struct vmr_policy_ops vmr_policy_arc;
extern const struct vmr_policy_ops vmr_policy_car;
extern const struct vmr_policy_ops vmr_policy_lirs;
extern const struct vmr_policy_ops vmr_policy_clockpro;
extern const struct vmr_policy_ops vmr_policy_sieve;
extern const struct vmr_policy_ops vmr_policy_s3fifo;
extern const struct vmr_policy_ops vmr_policy_wsclock;
extern const struct vmr_policy_ops vmr_policy_linux;

/* Checks cfg->params against ops->params: VMR_EINVAL with a message in
 * cfg->errbuf for an unknown or repeated key. Built-ins call it in create
 * even though the registry already did, so create is safe to call directly. */
int vmr_policy_check_params(const struct vmr_policy_ops *ops, const struct vmr_policy_config *cfg);

/* The value of parameter `name` as a number in [min, max], or `def` if it
 * was not given; VMR_EINVAL with a message in cfg->errbuf otherwise. */
int vmr_policy_param_u64(const struct vmr_policy_ops *ops, const struct vmr_policy_config *cfg,
                         const char *name, uint64_t def, uint64_t min, uint64_t max, uint64_t *out);
int vmr_policy_param_double(const struct vmr_policy_ops *ops, const struct vmr_policy_config *cfg,
                            const char *name, double def, double min, double max, double *out);

/* For a callback's body that on_replace inlines too (on_evict then
 * on_insert in one call without two calls' overhead). */
#define POLICY_INLINE static inline __attribute__((always_inline))

/* A fraction of the frame count, rounded, clamped to [lo, hi]. */
static inline uint32_t frac_frames(uint32_t n_frames, double f, uint32_t lo, uint32_t hi)
{
    double v = (double)n_frames * f + 0.5;
    uint32_t r = v >= (double)UINT32_MAX ? UINT32_MAX : (uint32_t)v;
    if (r < lo)
        r = lo;
    if (r > hi)
        r = hi;
    return r;
}

/* resize's helper for an array of n elements of `size` bytes indexed by
 * frame: reallocated for `want` elements, the new ones filled with byte
 * `fill`. 0, or VMR_ENOMEM with *p unchanged (shrinking never fails: the
 * larger block then serves). */
static inline int frame_array_resize(void *p, size_t size, uint32_t n, uint32_t want, int fill)
{
    void **pp = p;
    void *q = realloc(*pp, (size_t)(want ? want : 1) * size);
    if (!q)
        return want > n ? VMR_ENOMEM : 0;
    if (want > n)
        memset((char *)q + (size_t)n * size, fill, (size_t)(want - n) * size);
    *pp = q;
    return 0;
}

/*
 * A policy's arrays in one block (an arena, a vmr_table), each 64-byte
 * aligned and zeroed, freed together. A block of 2 MiB or more is mapped
 * 2 MiB-aligned and its whole 2 MiB pages are advised for transparent huge
 * pages (MADV_HUGEPAGE): a ghost policy reads ~7 MiB of lists and map at
 * random at 10% of the benchmark's footprint, and on 4 KiB pages most of
 * those reads also miss the TLB. The partial last 2 MiB stays on small
 * pages, so nothing is allocated beyond the arrays.
 */
struct parena_req {
    void **ptr;   /* where the array's address goes */
    size_t bytes; /* its size (0: *ptr gets a valid, empty array) */
};

struct parena {
    struct vmr_table t;
};

/* Allocates req[0..n-1] (in that order: put the arrays read most at
 * random first, they get the huge pages). 0, or VMR_ENOMEM with every
 * *ptr untouched and a released (zero) arena. */
int parena_alloc(struct parena *a, const struct parena_req *req, size_t n);
/* Frees the block; accepts a zeroed arena. */
void parena_release(struct parena *a);

#define FRAME_UNLINKED UINT32_MAX

struct frame_link {
    uint32_t prev, next;
};

/* l has n_frames + 1 elements; the sentinel is l[n_frames]. */
static inline void flist_init(struct frame_link *l, uint32_t n_frames)
{
    for (uint32_t i = 0; i < n_frames; i++)
        l[i].prev = l[i].next = FRAME_UNLINKED;
    l[n_frames].prev = l[n_frames].next = n_frames;
}

static inline int flist_linked(const struct frame_link *l, uint32_t f)
{
    return l[f].next != FRAME_UNLINKED;
}

/* Links f right after `at` (at may be the sentinel: f becomes the head). */
static inline void flist_link_after(struct frame_link *l, uint32_t at, uint32_t f)
{
    assert(!flist_linked(l, f));
    uint32_t nx = l[at].next;
    l[f].prev = at;
    l[f].next = nx;
    l[nx].prev = f;
    l[at].next = f;
}

/* Links f right before `at` (at = sentinel: f becomes the tail). */
static inline void flist_link_before(struct frame_link *l, uint32_t at, uint32_t f)
{
    flist_link_after(l, l[at].prev, f);
}

static inline void flist_unlink(struct frame_link *l, uint32_t f)
{
    assert(flist_linked(l, f));
    uint32_t p = l[f].prev, nx = l[f].next;
    l[p].next = nx;
    l[nx].prev = p;
    l[f].prev = l[f].next = FRAME_UNLINKED;
}

/* Moves linked node f (its neighbours p and nx) between the linked nodes
 * a and b = l[a].next, neither of which is f, in one go: the move a hit
 * makes to the newest end of its list. */
static inline void flist_relink(struct frame_link *l, uint32_t f, uint32_t p, uint32_t nx,
                                uint32_t a, uint32_t b)
{
    l[p].next = nx;
    l[nx].prev = p;
    l[f].prev = a;
    l[f].next = b;
    l[a].next = f;
    l[b].prev = f;
}

/* Linked node f's place, in one go, goes to the unlinked node x (f alone
 * in a ring: x alone); f is left unlinked. */
static inline void flist_replace(struct frame_link *l, uint32_t f, uint32_t x)
{
    const uint32_t p = l[f].prev, nx = l[f].next;
    if (nx == f) {
        l[x].prev = l[x].next = x;
    } else {
        l[x].prev = p;
        l[x].next = nx;
        l[p].next = x;
        l[nx].prev = x;
    }
    l[f].prev = l[f].next = FRAME_UNLINKED;
}

/* Where a VMR_POLICY_NEXT_VICTIM built-in names its next victim: `at`,
 * the kernel's cfg->next_victim, or, for a caller that passed none, `own`.
 * A state holding one that moves (realloc in resize) calls
 * victim_name_moved, so that `at` follows its `own`. */
struct victim_name {
    vmr_pfn_t *at;
    vmr_pfn_t *shared;
    vmr_pfn_t own;
};

static inline void victim_name_moved(struct victim_name *v)
{
    v->at = v->shared ? v->shared : &v->own;
}

static inline void victim_name_init(struct victim_name *v, const struct vmr_policy_config *cfg)
{
    v->shared = cfg->next_victim;
    v->own = VMR_PFN_NONE;
    victim_name_moved(v);
}

static inline void victim_name_set(struct victim_name *v, vmr_pfn_t f)
{
    *v->at = f;
}

static inline uint32_t flist_head(const struct frame_link *l, uint32_t sentinel)
{
    return l[sentinel].next;
}

static inline uint32_t flist_tail(const struct frame_link *l, uint32_t sentinel)
{
    return l[sentinel].prev;
}

/* Moves the sentinel at index `from` to index `to` (an unlinked node),
 * with its list: for a resize that shifts the sentinels past the frames.
 * `from` is left unlinked. */
static inline void flist_move_sentinel(struct frame_link *l, uint32_t from, uint32_t to)
{
    if (l[from].next == from) {
        l[to].prev = l[to].next = to;
    } else {
        l[to] = l[from];
        l[l[to].next].prev = to;
        l[l[to].prev].next = to;
    }
    l[from].prev = l[from].next = FRAME_UNLINKED;
}

/* A list policy's on_replace guess, two evictions ahead: the frame after
 * f (its next victim) in f's list, or f itself when f is the list's last
 * (its successor a sentinel, numbered n or more); its node is fetched. */
static inline uint32_t flist_guess_after(const struct frame_link *l, uint32_t f, uint32_t n)
{
    uint32_t nx = l[f].next;
    if (nx >= n)
        nx = f;
    __builtin_prefetch(&l[nx]);
    return nx;
}

/* For a resize by re-creation: a new instance of the policy `create`
 * makes, with the parameters and seed of cfg (the existing instance's
 * config) but n_frames frames reading frame_bits. */
static inline int policy_create_sized(const struct vmr_policy_config *cfg, uint32_t n_frames,
                                      uint8_t *frame_bits,
                                      int (*create)(const struct vmr_policy_config *, void **),
                                      void **out)
{
    char err[128];
    struct vmr_policy_config c = *cfg;
    c.n_frames = n_frames;
    c.frame_bits = frame_bits;
    c.errbuf = err;
    c.errbuf_len = sizeof err;
    return create(&c, out);
}

/* Moves the n sentinels at from.. to to.. (see flist_move_sentinel), in
 * the order that never overwrites one not yet moved. */
static inline void flist_move_sentinels(struct frame_link *l, uint32_t from, uint32_t to,
                                        uint32_t n)
{
    if (to > from)
        for (uint32_t i = n; i-- > 0;)
            flist_move_sentinel(l, from + i, to + i);
    else if (to < from)
        for (uint32_t i = 0; i < n; i++)
            flist_move_sentinel(l, from + i, to + i);
}

/* Initialises `n` sentinels starting at index `first` (empty lists). */
static inline void flist_init_sentinels(struct frame_link *l, uint32_t first, uint32_t n)
{
    for (uint32_t i = first; i < first + n; i++)
        l[i].prev = l[i].next = i;
}

static inline void flist_init_nodes(struct frame_link *l, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        l[i].prev = l[i].next = FRAME_UNLINKED;
}

/* Resizes a policy state that ends in the nodes of a frame ring with no
 * sentinel (clock_ring: FIFO/LRU, SIEVE, CLOCK, GCLOCK): `link_off` bytes, then old
 * nodes, to n; frames keep their numbers, new ones are unlinked. Returns
 * the state (perhaps moved), or NULL if growing failed (the state is
 * untouched). */
static inline void *ring_state_resize(void *s, size_t link_off, uint32_t old, uint32_t n)
{
    void *t = realloc(s, link_off + (size_t)n * sizeof(struct frame_link));
    if (!t) {
        if (n > old)
            return NULL;
        t = s; /* shrinking: the larger block serves */
    }
    if (n > old)
        flist_init_nodes((struct frame_link *)((char *)t + link_off) + old, n - old);
    return t;
}

/*
 * A fixed-capacity map from page key to a ghost node number, for the
 * policies that remember evicted pages (2Q, ARC, CAR, LIRS, CLOCK-Pro,
 * S3-FIFO). The map owns the nodes' keys: node v (base <= v < base + max)
 * has key keys[v - base] while it is in the map.
 *
 * Open addressing with linear probing and backward-shift deletion,
 * allocated once (the table is kept at most half full), so the callbacks
 * never allocate. A slot is 8 bytes, eight to a cache line: the high 32
 * bits of the key's hash (its fingerprint, whose top bits are the home
 * slot, so deletion never rehashes) above the node number; a fingerprint
 * match is confirmed against keys[], which only a real match or a 1 in
 * 2^(32 - log2 slots) accident reads.
 * Most lookups are of keys that are not there (a miss of a page that is
 * not a ghost), and the slots (2 MiB at 10% of the benchmark's footprint)
 * do not stay in cache: a byte per slot, its tag (the fingerprint's low 8
 * bits, 0 = empty; 1/8 of the slots' size), is probed first, and a slot is
 * read only where its tag matches (the key's, or about 1 in 255 others).
 * Putting a key needs only the tags to find its slot, which it then writes.
 * Invariants: every stored node is reachable from its home slot without
 * crossing an empty slot (GMAP_EMPTY); tags[i] == 0 iff slots[i] is empty,
 * else it is the tag of slots[i]'s fingerprint.
 */
#define GMAP_NONE  UINT32_MAX
#define GMAP_EMPTY UINT64_MAX

struct gmap {
    uint64_t *slots; /* fingerprint << 32 | node, or GMAP_EMPTY */
    size_t n_slots;
    uint8_t *tags;  /* slot -> gmap_tag of its fingerprint, 0 if empty */
    uint64_t *keys; /* node - base -> key */
    uint32_t mask;
    uint32_t fp_shift; /* fingerprint >> fp_shift = home slot */
    uint32_t base;
};

/* An empty map for nodes base .. base + max - 1 and the policy's other
 * arrays more[0 .. n_more) (at most GMAP_MORE_MAX), in one arena: the
 * map's arrays first (read most at random), then the others in order.
 * Returns 0, or VMR_ENOMEM (max too large, or no memory) with the arena
 * released. */
#define GMAP_MORE_MAX 8
int gmap_arena_alloc(struct parena *a, struct gmap *g, uint32_t max, uint32_t base,
                     const struct parena_req *more, size_t n_more);

static inline uint32_t gmap_fp(uint64_t key)
{
    return (uint32_t)((key * 0x9e3779b97f4a7c15ULL) >> 32);
}

/* A slot's tag: the fingerprint's low byte, never 0 (which marks empty). */
static inline uint8_t gmap_tag(uint32_t fp)
{
    return (uint8_t)fp ? (uint8_t)fp : 1;
}

/* The key of node v (valid while v is in the map). */
static inline uint64_t gmap_key(const struct gmap *g, uint32_t v)
{
    return g->keys[v - g->base];
}

/* The node for key, or GMAP_NONE. */
static inline uint32_t gmap_find(const struct gmap *g, uint64_t key)
{
    const uint32_t fp = gmap_fp(key);
    const uint8_t tag = gmap_tag(fp);
    for (uint32_t i = fp >> g->fp_shift;; i = (i + 1) & g->mask) {
        const uint8_t t = g->tags[i];
        if (t == 0)
            return GMAP_NONE;
        if (t != tag)
            continue;
        const uint64_t e = g->slots[i];
        if ((uint32_t)(e >> 32) == fp && g->keys[(uint32_t)e - g->base] == key)
            return (uint32_t)e;
    }
}

/* Adds key (which must be absent) as node v (not in the map). */
static inline void gmap_put(struct gmap *g, uint64_t key, uint32_t v)
{
    const uint32_t fp = gmap_fp(key);
    uint32_t i = fp >> g->fp_shift;
    while (g->tags[i] != 0)
        i = (i + 1) & g->mask;
    g->slots[i] = (uint64_t)fp << 32 | v;
    g->tags[i] = gmap_tag(fp);
    g->keys[v - g->base] = key;
}

/*
 * The prefetch helpers are always_inline: GCC 12 finds a plain inline one
 * that loads memory to compute its address free of side effects (a
 * prefetch has none), marks it pure and deletes the call before inlining
 * it, so the prefetch silently disappears from the binary.
 */
#define GMAP_PREFETCH_FN static inline __attribute__((always_inline)) void

/* Prefetches the tag where looking key up starts. */
GMAP_PREFETCH_FN gmap_prefetch_find(const struct gmap *g, uint64_t key)
{
    __builtin_prefetch(&g->tags[gmap_fp(key) >> g->fp_shift]);
}

/* Prefetches the slot and tag where deleting node v (in the map) starts:
 * its key is read now, so it should be in cache already. */
GMAP_PREFETCH_FN gmap_prefetch_del(const struct gmap *g, uint32_t v)
{
    uint32_t i = gmap_fp(g->keys[v - g->base]) >> g->fp_shift;
    __builtin_prefetch(&g->slots[i], 1);
    __builtin_prefetch(&g->tags[i], 1);
}

/*
 * A queue of ghosts dropped from its oldest end (an LRU or FIFO ghost list)
 * costs three cache misses per drop on a large memory, each needing the one
 * before: the link that names the next oldest, that ghost's key, and the
 * key's map slot. Called once per miss, after the miss is handled, this
 * keeps them in flight a miss or two ahead: the slot of the oldest ghost x0
 * (whose key the call before fetched), the key of the next x1 (whose link
 * it fetched), and the link of the one after. Ghost nodes are lo .. hi-1
 * (anything else ends the queue); node x's link is l[x - off]. Changes
 * nothing.
 */
GMAP_PREFETCH_FN gmap_prefetch_queue(const struct gmap *m, const struct frame_link *l, uint32_t off,
                                     uint32_t x0, uint32_t lo, uint32_t hi)
{
    if (x0 < lo || x0 >= hi)
        return;
    gmap_prefetch_del(m, x0);
    uint32_t x1 = l[x0 - off].next + off;
    if (x1 < lo || x1 >= hi)
        return;
    __builtin_prefetch(&m->keys[x1 - m->base]);
    __builtin_prefetch(&l[l[x1 - off].next]);
}

/* After a replacement, with v1 the likely next victim and v2 the one
 * after (frames below n; fkey[frame] is the key of its page): fetches the
 * map slot where v1's key will be put as a ghost (its key was fetched by
 * the call before, as v2's) and v2's key. Changes nothing; a wrong guess
 * costs only the fetches. */
GMAP_PREFETCH_FN gmap_prefetch_put(const struct gmap *m, const uint64_t *fkey, uint32_t n,
                                   uint32_t v1, uint32_t v2)
{
    if (v1 < n) {
        uint32_t i = gmap_fp(fkey[v1]) >> m->fp_shift;
        __builtin_prefetch(&m->tags[i], 1);
        __builtin_prefetch(&m->slots[i], 1);
    }
    if (v2 < n)
        __builtin_prefetch(&fkey[v2]);
}

/* Removes node v, which must be in the map. */
void gmap_del(struct gmap *g, uint32_t v);

/* A clock's ring: the resident frames in a circular list (no sentinel),
 * oldest at the hand (FRAME_UNLINKED when empty). New frames go just
 * behind the hand, so they are the last it reaches; a frame that leaves
 * moves the hand on to its successor, which keeps its turn. */
struct clock_ring {
    uint32_t hand, n_resident;
};

_Static_assert(FRAME_UNLINKED == VMR_PFN_NONE, "an empty ring's hand names no frame");

static inline void ring_init(struct clock_ring *r)
{
    r->hand = FRAME_UNLINKED;
    r->n_resident = 0;
}

/* The frame under the hand, VMR_PFN_NONE if the ring is empty. */
static inline vmr_pfn_t ring_hand(const struct clock_ring *r)
{
    return r->hand;
}

/* on_replace's usual case in a clock's ring: the victim f is the frame
 * under the hand and not alone, so the new page keeps f's place (where
 * on_insert would put it: behind the hand once it has moved on) and the
 * hand moves on; 1. Otherwise 0: the caller evicts and inserts. */
static inline int ring_replace_at_hand(struct clock_ring *r, const struct frame_link *l, uint32_t f)
{
    if (r->hand != f || l[f].next == f)
        return 0;
    r->hand = l[f].next;
    return 1;
}

static inline void ring_insert(struct clock_ring *r, struct frame_link *l, uint32_t f)
{
    assert(l[f].next == FRAME_UNLINKED);
    r->n_resident++;
    uint32_t h = r->hand;
    if (h == FRAME_UNLINKED) {
        l[f].prev = l[f].next = f;
        r->hand = f;
        return;
    }
    uint32_t newest = l[h].prev;
    l[f].prev = newest;
    l[f].next = h;
    l[newest].next = f;
    l[h].prev = f;
}

static inline void ring_unlink(struct clock_ring *r, struct frame_link *l, uint32_t f)
{
    assert(l[f].next != FRAME_UNLINKED);
    uint32_t p = l[f].prev, nx = l[f].next;
    r->n_resident--;
    if (nx == f) {
        r->hand = FRAME_UNLINKED;
    } else {
        l[p].next = nx;
        l[nx].prev = p;
        if (r->hand == f)
            r->hand = nx;
    }
    l[f].prev = l[f].next = FRAME_UNLINKED;
}

/* FIFO and LRU: the resident frames in a clock's ring (see above), the
 * oldest (FIFO) or least recently used (LRU) at the hand, the newest just
 * behind it; the victim is the unpinned frame nearest the hand (fifo.c;
 * LRU adds its on_hit). Replacing the hand's frame is then only moving the
 * hand on: the new page takes the newest place, which the old one held. */
struct tail_list {
    uint8_t *bits;
    uint32_t n_frames;
    uint32_t ahead;           /* on_replace's guess: the frame about TLIST_AHEAD
                                 from the hand, or FRAME_UNLINKED (walk to it again) */
    struct clock_ring ring;   /* hand = the victim unless pinned */
    struct victim_name named; /* the hand (VMR_POLICY_NEXT_VICTIM) */
    struct frame_link link[]; /* the ring, no sentinel */
};

/* How far from the hand on_replace's guess lies (the victim that many
 * evictions from now, when nothing is hit meanwhile): deep enough that the
 * kernel's prefetch of the frame, then of its PTE, arrives before the
 * eviction needs them. Each replacement moves the hand and the guess one
 * frame on; LRU hits between them bring the guess nearer, so it is walked
 * to again now and then (see tlist_on_replace). */
#define TLIST_AHEAD       8u
#define TLIST_REWALK_MASK 63u

/* After any move of the hand: it is the next victim unless it is pinned
 * (VMR_POLICY_NEXT_VICTIM; FRAME_UNLINKED == VMR_PFN_NONE). */
static inline void tlist_tell_victim(struct tail_list *s)
{
    victim_name_set(&s->named, s->ring.hand);
}

int tlist_create(const struct vmr_policy_ops *ops, const struct vmr_policy_config *cfg,
                 void **state);
void tlist_destroy(void *state);
void tlist_on_insert(void *state, vmr_pfn_t frame, const struct vmr_access *a);
int tlist_select_victim(void *state, vmr_pfn_t *frame);
vmr_pfn_t tlist_peek_victim(const void *state);
void tlist_on_evict(void *state, vmr_pfn_t frame, uint64_t key);
void tlist_on_remove(void *state, vmr_pfn_t frame);
vmr_pfn_t tlist_on_replace(void *state, vmr_pfn_t frame, uint64_t old_key,
                           const struct vmr_access *a);
int tlist_resize(void **state, uint32_t n_frames, uint8_t *frame_bits);

#endif
