/*
 * opt.c - OPT (Belady's MIN): evict the page whose next use is farthest.
 *
 * Definition: L. A. Belady, "A study of replacement algorithms for a
 * virtual-storage computer", IBM Systems Journal 5(2):78-101, 1966 (MIN);
 * optimal in faults for demand paging and a stack algorithm (Mattson,
 * Gecsei, Slutz & Traiger, IBM Systems Journal 9(2), 1970). It needs the
 * future: the kernel's oracle pre-pass gives each access the time of the
 * page's next touch (vmr_access.next_use, UINT64_MAX = never again), on
 * insert and on every hit, so this is an oracle policy. "The page" is the
 * kernel's page, not an address (src/sim/oracle.c): one page shared by
 * several processes has one next use, and a copy-on-write copy is a page
 * of its own.
 *
 * Tie rule: pages never used again all have next_use UINT64_MAX and are
 * evicted first; among them (the only possible tie, as one virtual time
 * touches one page) the lowest frame number goes first. Which dead page
 * goes does not change any fault count, only which frame is reused.
 *
 * Owns a max-heap of the resident frames ordered by (next_use larger, then
 * frame smaller), with pos[frame] = index in the heap. Invariants: a frame
 * is in the heap iff it is resident, pos[frame of heap[i]] == i, pos[f] ==
 * FRAME_UNLINKED for non-resident f; every entry comes before its children
 * in that total order, so the root is the victim unless pinned. With
 * pinned frames the victim is the best unpinned entry below a pinned path
 * from the root: found without changing the heap, visiting only pinned
 * entries and their children (the best unpinned entry has only pinned
 * ancestors, so which heap holds the frames does not change the choice).
 *
 * Two layouts of that heap, the second for good once needed:
 * - narrow (the normal case): 8-ary, an entry is one 64-bit word, the
 *   next use in the high half (UINT32_MAX for never) and the complement of
 *   the frame in the low half, so that one unsigned comparison is the
 *   order and the eight children of an entry fill one cache line (the
 *   array starts 7 words into a line-aligned block). A replacement sinks
 *   the new page from the root through log_8 n lines instead of log_4 n,
 *   choosing among the children without branches; a hit's entry is half
 *   the bytes, so more of the heap stays in cache. It holds next uses
 *   below 2^32 - 1, as a trace's times are unless it has 4 G page touches.
 * - wide: 4-ary, 16-byte entries (next use, frame), the children of an
 *   entry in one line; any next use. The first next use the narrow heap
 *   cannot hold rebuilds the heap wide.
 * Cost: O(log n) per insert, hit and removal, and per replacement
 * (on_replace: the victim's entry takes the new page and sinks, instead of
 * a removal and an insert); O(1) to choose when nothing is pinned.
 * A hit in the narrow heap is held until the next callback (on_hit fetches
 * its entry, a cache miss on large memories, and the next callback moves
 * it; every other callback places it first), and the root, or the held
 * hit that will replace it, is named in cfg->next_victim
 * (VMR_POLICY_NEXT_VICTIM), so the kernel asks select_victim only when
 * that frame is pinned.
 */
#include <stdlib.h>
#include <string.h>

#include "builtin.h"

#define ARITY  4
#define SKEW   3 /* entries before the root in its line: children lines align */
#define ARITY8 8
#define SKEW8  7
#define NEVER8 UINT32_MAX /* the narrow heap's next use for never */

struct opt_entry {
    uint64_t next_use;
    uint32_t frame;
};

struct opt {
    uint8_t *bits;
    uint32_t n; /* entries in the heap */
    uint32_t n_frames;
    int wide;                 /* the wide heap serves (else the narrow one) */
    uint64_t held;            /* narrow: a hit's new entry not placed yet, or 0 */
    struct victim_name named; /* the root, or the held hit that will be (NEXT_VICTIM) */
    uint64_t *block8;         /* narrow: SKEW8 + n_frames words, 64-byte aligned */
    uint64_t *heap8;          /* block8 + SKEW8 */
    struct opt_entry *block;  /* wide: SKEW + n_frames entries, 64-byte aligned */
    struct opt_entry *heap;   /* block + SKEW */
    uint32_t *pos;            /* n_frames: heap index of each frame */
    uint32_t *stack;          /* n_frames: scratch for the pinned search */
};

/* ---- the narrow heap ------------------------------------------------------ */

/* The narrow entry of (next_use, frame): larger is the better victim. */
static inline uint64_t pack8(uint64_t next_use, uint32_t frame)
{
    const uint64_t t = next_use == UINT64_MAX ? NEVER8 : next_use;
    return t << 32 | (uint32_t)~frame;
}

static inline uint32_t frame8(uint64_t e)
{
    return ~(uint32_t)e;
}

static inline void place8(struct opt *s, uint32_t i, uint64_t e)
{
    s->heap8[i] = e;
    s->pos[frame8(e)] = i;
}

static void sift_up8(struct opt *s, uint32_t i, uint64_t e)
{
    while (i > 0) {
        const uint32_t parent = (i - 1) / ARITY8;
        const uint64_t p = s->heap8[parent];
        if (e <= p)
            break;
        place8(s, i, p);
        i = parent;
    }
    place8(s, i, e);
}

/* e goes to hole i or below it. */
static void sift_down8(struct opt *s, uint32_t i, uint64_t e)
{
    const uint64_t *h = s->heap8;
    const uint32_t n = s->n;
    for (;;) {
        const uint32_t first = ARITY8 * i + 1;
        if (first + ARITY8 <= n) {
            /* a full line of children: the largest without branches */
            uint64_t best = h[first];
            uint32_t c = first;
            for (uint32_t j = 1; j < ARITY8; j++) {
                const uint64_t v = h[first + j];
                const int more = v > best;
                best = more ? v : best;
                c = more ? first + j : c;
            }
            if (best <= e)
                break;
            place8(s, i, best);
            i = c;
            continue;
        }
        if (first >= n)
            break;
        uint32_t c = first;
        for (uint32_t j = first + 1; j < n; j++)
            if (h[j] > h[c])
                c = j;
        if (h[c] <= e)
            break;
        place8(s, i, h[c]);
        i = c;
    }
    place8(s, i, e);
}

/* Entry i changed to e: moves it to its place. */
static inline void fix8(struct opt *s, uint32_t i, uint64_t e)
{
    if (e > s->heap8[i])
        sift_up8(s, i, e);
    else
        sift_down8(s, i, e);
}

/* Places the held hit's entry: every callback but on_hit does this first,
 * so that a hit is held only until the next callback. */
static inline void flush8(struct opt *s)
{
    const uint64_t h = s->held;
    if (h) {
        s->held = 0;
        fix8(s, s->pos[frame8(h)], h);
    }
}

/* ---- the wide heap -------------------------------------------------------- */

/* The total order of the heap: a is a better victim than b. */
static inline int opt_before(const struct opt_entry *a, const struct opt_entry *b)
{
    return a->next_use > b->next_use || (a->next_use == b->next_use && a->frame < b->frame);
}

static inline void opt_place(struct opt *s, uint32_t i, struct opt_entry e)
{
    s->heap[i] = e;
    s->pos[e.frame] = i;
}

static void opt_sift_up(struct opt *s, uint32_t i)
{
    struct opt_entry e = s->heap[i];
    while (i > 0) {
        uint32_t parent = (i - 1) / ARITY;
        if (!opt_before(&e, &s->heap[parent]))
            break;
        opt_place(s, i, s->heap[parent]);
        i = parent;
    }
    opt_place(s, i, e);
}

static void opt_sift_down(struct opt *s, uint32_t i)
{
    struct opt_entry e = s->heap[i];
    const uint32_t n = s->n;
    for (;;) {
        const uint32_t first = ARITY * i + 1;
        if (first >= n)
            break;
        const uint32_t end = first + ARITY < n ? first + ARITY : n;
        uint32_t c = first;
        for (uint32_t j = first + 1; j < end; j++)
            if (opt_before(&s->heap[j], &s->heap[c]))
                c = j;
        if (!opt_before(&s->heap[c], &e))
            break;
        opt_place(s, i, s->heap[c]);
        i = c;
    }
    opt_place(s, i, e);
}

/* Entry i changed to e: moves it to its place. */
static void opt_fix(struct opt *s, uint32_t i, struct opt_entry e)
{
    const int up = opt_before(&e, &s->heap[i]);
    opt_place(s, i, e);
    if (up)
        opt_sift_up(s, i);
    else
        opt_sift_down(s, i);
}

/* A line-aligned block for `skew` + n elements of `size` bytes, the first
 * skew + old copied from `from` (may be NULL). */
static void *opt_block(const void *from, size_t size, size_t skew, uint32_t old, uint32_t n)
{
    size_t bytes = ((skew + (size_t)n) * size + 63) & ~(size_t)63;
    void *b = aligned_alloc(64, bytes);
    if (b && from)
        memcpy(b, from, (skew + (size_t)old) * size);
    return b;
}

/* The narrow heap's entries go into the wide one, which serves from now
 * on (its block is allocated from the start, so this cannot fail). */
static void opt_widen(struct opt *s)
{
    for (uint32_t i = 0; i < s->n; i++) {
        const uint64_t e = s->heap8[i];
        const uint64_t t = e >> 32;
        opt_place(s, i, (struct opt_entry){t == NEVER8 ? UINT64_MAX : t, frame8(e)});
    }
    for (uint32_t i = s->n / ARITY + 1; i-- > 0;)
        if (i < s->n)
            opt_sift_down(s, i);
    s->wide = 1;
}

/* Makes the heap that serves able to hold next_use: the narrow heap is
 * widened for one it cannot hold. */
static inline void opt_fit(struct opt *s, uint64_t next_use)
{
    flush8(s);
    if (!s->wide && next_use >= NEVER8 && next_use != UINT64_MAX)
        opt_widen(s);
}

/* The frame of heap entry i, of whichever heap serves. */
static inline uint32_t opt_frame_at(const struct opt *s, uint32_t i)
{
    return s->wide ? s->heap[i].frame : frame8(s->heap8[i]);
}

/* VMR_POLICY_NEXT_VICTIM: the root, after every callback (a held hit is
 * placed by then, or named by on_hit). */
static inline void name_next(struct opt *s)
{
    victim_name_set(&s->named, s->n ? opt_frame_at(s, 0) : VMR_PFN_NONE);
}

static inline int opt_better(const struct opt *s, uint32_t i, uint32_t j)
{
    return s->wide ? opt_before(&s->heap[i], &s->heap[j]) : s->heap8[i] > s->heap8[j];
}

static void opt_destroy(void *state)
{
    struct opt *s = state;
    if (!s)
        return;
    free(s->block8);
    free(s->block);
    free(s->pos);
    free(s->stack);
    free(s);
}

static int opt_create(const struct vmr_policy_config *cfg, void **state)
{
    int rc = vmr_policy_check_params(&vmr_policy_opt, cfg);
    if (rc != 0)
        return rc;
    struct opt *s = calloc(1, sizeof *s);
    if (!s)
        return VMR_ENOMEM;
    size_t n = cfg->n_frames ? cfg->n_frames : 1;
    s->bits = cfg->frame_bits;
    s->n_frames = (uint32_t)n;
    s->block8 = opt_block(NULL, sizeof *s->block8, SKEW8, 0, (uint32_t)n);
    s->heap8 = s->block8 ? s->block8 + SKEW8 : NULL;
    /* the wide heap's block too: its pages are not touched unless needed */
    s->block = opt_block(NULL, sizeof *s->block, SKEW, 0, (uint32_t)n);
    s->heap = s->block ? s->block + SKEW : NULL;
    s->pos = malloc(n * sizeof *s->pos);
    s->stack = malloc(n * sizeof *s->stack);
    if (!s->block8 || !s->block || !s->pos || !s->stack) {
        opt_destroy(s);
        return VMR_ENOMEM;
    }
    for (uint32_t i = 0; i < cfg->n_frames; i++)
        s->pos[i] = FRAME_UNLINKED;
    victim_name_init(&s->named, cfg);
    victim_name_set(&s->named, VMR_PFN_NONE);
    *state = s;
    return 0;
}

static void opt_on_insert(void *state, vmr_pfn_t frame, const struct vmr_access *a)
{
    struct opt *s = state;
    assert(s->pos[frame] == FRAME_UNLINKED);
    opt_fit(s, a->next_use);
    uint32_t i = s->n++;
    if (!s->wide) {
        sift_up8(s, i, pack8(a->next_use, frame));
    } else {
        opt_place(s, i, (struct opt_entry){a->next_use, frame});
        opt_sift_up(s, i);
    }
    name_next(s);
}

/* A hit is held until the next callback: its heap entry, a cache miss on
 * large memories, is fetched now and moved then (the callbacks between
 * the kernel's accesses are that far apart). Every other callback places
 * it first (flush8), so no choice sees the heap without it. */
static void opt_on_hit(void *state, vmr_pfn_t frame, const struct vmr_access *a)
{
    struct opt *s = state;
    assert(s->pos[frame] != FRAME_UNLINKED);
    /* the next use only moves later in a normal run, which makes the page a
     * better victim; an oracle that lost track can move it either way */
    if (!s->wide && (a->next_use < NEVER8 || a->next_use == UINT64_MAX)) {
        flush8(s);
        const uint32_t i = s->pos[frame];
        __builtin_prefetch(&s->heap8[i]);
        const uint64_t e = pack8(a->next_use, frame), root = s->heap8[0];
        s->held = e;
        /* the root after placing e: e if it beats the root; the root if it
         * is another frame's; unknown without sifting if e sinks from it */
        victim_name_set(&s->named, e > root ? frame : i != 0 ? frame8(root) : VMR_PFN_NONE);
        return;
    }
    opt_fit(s, a->next_use);
    const uint32_t i = s->pos[frame];
    if (!s->wide)
        fix8(s, i, pack8(a->next_use, frame));
    else
        opt_fix(s, i, (struct opt_entry){a->next_use, frame});
    name_next(s);
}

static int opt_select_victim(void *state, vmr_pfn_t *frame)
{
    struct opt *s = state;
    flush8(s);
    name_next(s);
    if (s->n == 0)
        return VMR_ENOVICTIM;
    if (!(s->bits[opt_frame_at(s, 0)] & VMR_FRAME_PINNED)) {
        *frame = opt_frame_at(s, 0);
        return 0;
    }
    /* An unpinned entry beats all its descendants, so the search stops at
     * each one and descends only through pinned entries. */
    const uint32_t arity = s->wide ? ARITY : ARITY8;
    uint32_t best = FRAME_UNLINKED, top = 0;
    s->stack[top++] = 0;
    while (top > 0) {
        uint32_t i = s->stack[--top];
        if (!(s->bits[opt_frame_at(s, i)] & VMR_FRAME_PINNED)) {
            if (best == FRAME_UNLINKED || opt_better(s, i, best))
                best = i;
            continue;
        }
        for (uint32_t c = arity * i + 1; c <= arity * i + arity && c < s->n; c++)
            s->stack[top++] = c;
    }
    if (best == FRAME_UNLINKED)
        return VMR_ENOVICTIM;
    *frame = opt_frame_at(s, best);
    return 0;
}

static void opt_delete(struct opt *s, uint32_t frame)
{
    flush8(s);
    uint32_t i = s->pos[frame];
    assert(i != FRAME_UNLINKED);
    s->pos[frame] = FRAME_UNLINKED;
    uint32_t last = --s->n;
    if (i != last && !s->wide)
        fix8(s, i, s->heap8[last]);
    else if (i != last)
        opt_fix(s, i, s->heap[last]);
    name_next(s);
}

static void opt_on_evict(void *state, vmr_pfn_t frame, uint64_t key)
{
    (void)key;
    opt_delete(state, frame);
}

static void opt_on_remove(void *state, vmr_pfn_t frame)
{
    opt_delete(state, frame);
}

/* A guess only (as peek_victim may be): a held hit is not looked at. */
static vmr_pfn_t opt_peek_victim(const void *state)
{
    const struct opt *s = state;
    return s->n ? opt_frame_at(s, 0) : VMR_PFN_NONE;
}

/* The victim's entry takes the new page in place: one sift instead of a
 * removal's and an insert's. The guess is the root: the victim after this
 * one unless a hit moves a page above it (then only a prefetch is lost). */
static vmr_pfn_t opt_on_replace(void *state, vmr_pfn_t frame, uint64_t old_key,
                                const struct vmr_access *a)
{
    struct opt *s = state;
    (void)old_key;
    flush8(s);
    uint32_t i = s->pos[frame];
    assert(i != FRAME_UNLINKED);
    if (!s->wide && a->next_use < NEVER8) {
        fix8(s, i, pack8(a->next_use, frame));
        const vmr_pfn_t root = frame8(s->heap8[0]);
        victim_name_set(&s->named, root);
        return root;
    }
    opt_fit(s, a->next_use);
    if (!s->wide)
        fix8(s, i, pack8(a->next_use, frame));
    else
        opt_fix(s, i, (struct opt_entry){a->next_use, frame});
    name_next(s);
    return *s->named.at; /* the next victim unless hits change it */
}

/* The size does not enter the choice: only the arrays' lengths change. */
static int opt_resize(void **state, uint32_t n_frames, uint8_t *frame_bits)
{
    struct opt *s = *state;
    const uint32_t n = s->n_frames;
    flush8(s);
    /* the heap holds s->n <= min(n, n_frames) entries */
    const uint32_t n8 = s->wide ? 0 : s->n, nw = s->wide ? s->n : 0;
    uint64_t *b8 = opt_block(s->block8, sizeof *s->block8, SKEW8, n8, n_frames);
    struct opt_entry *bw = opt_block(s->block, sizeof *s->block, SKEW, nw, n_frames);
    if (!b8 || !bw || frame_array_resize(&s->pos, sizeof *s->pos, n, n_frames, 0xff) != 0 ||
        frame_array_resize(&s->stack, sizeof *s->stack, n, n_frames, 0) != 0) {
        free(b8);
        free(bw);
        return VMR_ENOMEM; /* what grew is harmless */
    }
    free(s->block8);
    free(s->block);
    s->block8 = b8;
    s->heap8 = b8 + SKEW8;
    s->block = bw;
    s->heap = bw + SKEW;
    s->n_frames = n_frames;
    s->bits = frame_bits;
    name_next(s);
    return 0;
}

const struct vmr_policy_ops vmr_policy_opt = {
    .abi_version = VMR_POLICY_ABI_VERSION,
    .flags = VMR_POLICY_NEEDS_HITS | VMR_POLICY_NEEDS_FUTURE | VMR_POLICY_RESIZE |
             VMR_POLICY_HIT_NO_KEY | VMR_POLICY_PEEK | VMR_POLICY_REPLACE | VMR_POLICY_NEXT_VICTIM,
    .name = "opt",
    .summary = "Belady's MIN: evicts the page whose next use is farthest, pages as the kernel "
               "knows them (shared after fork, copied on write); optimal (Belady 1966)",
    .params = NULL,
    .create = opt_create,
    .destroy = opt_destroy,
    .on_insert = opt_on_insert,
    .on_hit = opt_on_hit,
    .select_victim = opt_select_victim,
    .on_evict = opt_on_evict,
    .on_remove = opt_on_remove,
    .report = NULL,
    .resize = opt_resize,
    .peek_victim = opt_peek_victim,
    .on_replace = opt_on_replace,
};
