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
 * Owns a 4-ary max-heap of the resident frames ordered by (next_use
 * larger, then frame smaller), with pos[frame] = index in the heap.
 * Invariants: a frame is in the heap iff it is resident, pos[heap[i].frame]
 * == i, pos[f] == FRAME_UNLINKED for non-resident f; every entry comes
 * before its children in that total order, so the root is the victim
 * unless pinned. With pinned frames the victim is the best unpinned entry
 * below a pinned path from the root: found without changing the heap,
 * visiting only pinned entries and their children.
 * Layout: entries are 16 bytes and the four children of an entry fill one
 * cache line (the array starts 3 entries into a line-aligned block), so a
 * level costs one line: half the lines of a binary heap's 2 per level.
 * Cost: O(log n) per insert, hit and removal, and per replacement
 * (on_replace: the victim's entry takes the new page and sinks, instead of
 * a removal and an insert); O(1) to choose when nothing is pinned.
 */
#include <stdlib.h>
#include <string.h>

#include "builtin.h"

#define ARITY 4
#define SKEW  3 /* entries before the root in its line: children lines align */

struct opt_entry {
    uint64_t next_use;
    uint32_t frame;
};

struct opt {
    uint8_t *bits;
    uint32_t n; /* entries in the heap */
    uint32_t n_frames;
    struct opt_entry *block; /* SKEW + n_frames entries, 64-byte aligned */
    struct opt_entry *heap;  /* block + SKEW */
    uint32_t *pos;           /* n_frames: heap index of each frame */
    uint32_t *stack;         /* n_frames: scratch for the pinned search */
};

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

/* A line-aligned block for SKEW + n entries, the first old + SKEW copied
 * from `from` (may be NULL). */
static struct opt_entry *opt_block(const struct opt_entry *from, uint32_t old, uint32_t n)
{
    size_t bytes = ((SKEW + (size_t)n) * sizeof(struct opt_entry) + 63) & ~(size_t)63;
    struct opt_entry *b = aligned_alloc(64, bytes);
    if (b && from)
        memcpy(b, from, (SKEW + (size_t)old) * sizeof *b);
    return b;
}

static void opt_destroy(void *state)
{
    struct opt *s = state;
    if (!s)
        return;
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
    s->block = opt_block(NULL, 0, (uint32_t)n);
    s->heap = s->block ? s->block + SKEW : NULL;
    s->pos = malloc(n * sizeof *s->pos);
    s->stack = malloc(n * sizeof *s->stack);
    if (!s->block || !s->pos || !s->stack) {
        opt_destroy(s);
        return VMR_ENOMEM;
    }
    for (uint32_t i = 0; i < cfg->n_frames; i++)
        s->pos[i] = FRAME_UNLINKED;
    *state = s;
    return 0;
}

static void opt_on_insert(void *state, vmr_pfn_t frame, const struct vmr_access *a)
{
    struct opt *s = state;
    assert(s->pos[frame] == FRAME_UNLINKED);
    uint32_t i = s->n++;
    opt_place(s, i, (struct opt_entry){a->next_use, frame});
    opt_sift_up(s, i);
}

static void opt_on_hit(void *state, vmr_pfn_t frame, const struct vmr_access *a)
{
    struct opt *s = state;
    uint32_t i = s->pos[frame];
    assert(i != FRAME_UNLINKED);
    /* the next use only moves later in a normal run, which makes the page a
     * better victim; an oracle that lost track can move it either way */
    opt_fix(s, i, (struct opt_entry){a->next_use, frame});
}

static int opt_select_victim(void *state, vmr_pfn_t *frame)
{
    struct opt *s = state;
    if (s->n == 0)
        return VMR_ENOVICTIM;
    const struct opt_entry *h = s->heap;
    if (!(s->bits[h[0].frame] & VMR_FRAME_PINNED)) {
        *frame = h[0].frame;
        return 0;
    }
    /* An unpinned entry beats all its descendants, so the search stops at
     * each one and descends only through pinned entries. */
    uint32_t best = FRAME_UNLINKED, top = 0;
    s->stack[top++] = 0;
    while (top > 0) {
        uint32_t i = s->stack[--top];
        if (!(s->bits[h[i].frame] & VMR_FRAME_PINNED)) {
            if (best == FRAME_UNLINKED || opt_before(&h[i], &h[best]))
                best = i;
            continue;
        }
        for (uint32_t c = ARITY * i + 1; c <= ARITY * i + ARITY && c < s->n; c++)
            s->stack[top++] = c;
    }
    if (best == FRAME_UNLINKED)
        return VMR_ENOVICTIM;
    *frame = h[best].frame;
    return 0;
}

static void opt_delete(struct opt *s, uint32_t frame)
{
    uint32_t i = s->pos[frame];
    assert(i != FRAME_UNLINKED);
    s->pos[frame] = FRAME_UNLINKED;
    uint32_t last = --s->n;
    if (i == last)
        return;
    opt_fix(s, i, s->heap[last]);
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

static vmr_pfn_t opt_peek_victim(const void *state)
{
    const struct opt *s = state;
    return s->n ? s->heap[0].frame : VMR_PFN_NONE;
}

/* The victim's entry takes the new page in place: one sift instead of a
 * removal's and an insert's. The guess is the root: the victim after this
 * one unless a hit moves a page above it (then only a prefetch is lost). */
static vmr_pfn_t opt_on_replace(void *state, vmr_pfn_t frame, uint64_t old_key,
                                const struct vmr_access *a)
{
    struct opt *s = state;
    (void)old_key;
    uint32_t i = s->pos[frame];
    assert(i != FRAME_UNLINKED);
    opt_fix(s, i, (struct opt_entry){a->next_use, frame});
    return s->heap[0].frame; /* the next victim unless hits change it */
}

/* The size does not enter the choice: only the arrays' lengths change. */
static int opt_resize(void **state, uint32_t n_frames, uint8_t *frame_bits)
{
    struct opt *s = *state;
    const uint32_t n = s->n_frames;
    /* the heap holds s->n <= min(n, n_frames) entries */
    struct opt_entry *b = opt_block(s->block, s->n, n_frames);
    if (!b || frame_array_resize(&s->pos, sizeof *s->pos, n, n_frames, 0xff) != 0 ||
        frame_array_resize(&s->stack, sizeof *s->stack, n, n_frames, 0) != 0) {
        free(b);
        return VMR_ENOMEM; /* what grew is harmless */
    }
    free(s->block);
    s->block = b;
    s->heap = b + SKEW;
    s->n_frames = n_frames;
    s->bits = frame_bits;
    return 0;
}

const struct vmr_policy_ops vmr_policy_opt = {
    .abi_version = VMR_POLICY_ABI_VERSION,
    .flags = VMR_POLICY_NEEDS_HITS | VMR_POLICY_NEEDS_FUTURE | VMR_POLICY_RESIZE |
             VMR_POLICY_HIT_NO_KEY | VMR_POLICY_PEEK | VMR_POLICY_REPLACE,
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
