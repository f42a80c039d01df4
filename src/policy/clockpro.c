/*
 * clockpro.c - CLOCK-Pro over the hardware referenced bit.
 *
 * Definition: S. Jiang, F. Chen and X. Zhang, "CLOCK-Pro: An Effective
 * Improvement of the CLOCK Replacement", USENIX ATC 2005 (section 4). One
 * clock holds hot pages, resident cold pages and non-resident cold pages
 * still in their test period; three hands sweep it:
 *   - HAND_cold, at a fault, looks for a victim among resident cold pages:
 *     unreferenced -> evicted (kept as a non-resident entry if in its test
 *     period); referenced and in its test period -> becomes hot (the cold
 *     target mc grows by one, and HAND_hot runs while there are more than
 *     c - mc hot pages); referenced, not in test -> bit cleared, a test
 *     period starts and the page moves to the clock's head;
 *   - HAND_hot demotes the first unreferenced hot page to cold (clearing
 *     the bits of referenced ones) and ends the test period of the cold
 *     pages it passes (a non-resident one leaves the clock): a test period
 *     that ends without a re-access shrinks mc by one;
 *   - HAND_test runs when more than c non-resident entries exist, ending
 *     test periods the same way until one non-resident entry is gone.
 * A missed page with a non-resident entry becomes hot at once (mc + 1);
 * otherwise it enters as a resident cold page in its test period, at the
 * head (just behind HAND_hot), with its bit clear. mc stays in [1, c],
 * starting at `cold` x c (default 1, as libCacheSim's ClockPro
 * init-ratio-cold=1; the paper adapts it from any start).
 * Hardware-realistic: the reference bit is the MMU's REFERENCED bit; hits
 * are not reported.
 *
 * HAND_cold sweeps the resident cold pages only, kept in a ring of their
 * own in the order they became cold (a new page, a demoted hot page, and a
 * cold page starting its test period take the newest place, just behind
 * HAND_cold), so that finding a victim never walks over hot pages and
 * non-resident entries: with a small cold target, the single clock of the
 * paper would make every fault walk most of the clock. The other two hands
 * sweep the whole clock as in the paper.
 *
 * Pinned pages are passed by every hand untouched. If HAND_cold finds no
 * resident cold unpinned page within a few turns, HAND_hot is forced to
 * demote one; as a last resort any unpinned resident page is taken.
 * The page under HAND_cold is named as the next victim
 * (VMR_POLICY_NEXT_VICTIM with VMR_POLICY_NEXT_UNREF): the kernel takes it
 * when it is neither referenced nor pinned, without calling select_victim,
 * whose first step would take it.
 *
 * Nodes: frames 0..n-1, non-resident entries n..2n-1, in one ring without a
 * sentinel. Invariants: every resident frame and every non-resident entry
 * is in the ring; n_test <= c after every callback; each hand is a node of
 * the ring, or FRAME_UNLINKED when it is empty.
 */
#include <stdlib.h>
#include <string.h>

#include "builtin.h"

enum { CP_COLD = 0, CP_HOT = 1 };

struct clockpro {
    const struct vmr_policy_config *cfg; /* for resize */
    uint8_t *bits;
    uint8_t *hot, *in_test; /* frames */
    uint32_t c, n_hot, n_cold, n_test, mc;
    uint32_t hand_test;
    struct clock_ring ring; /* the clock; its hand is HAND_hot */
    struct clock_ring cold; /* the resident cold frames in `cl`; its hand is HAND_cold */
    struct frame_link *cl;  /* ring of the resident cold frames, HAND_cold on it */
    uint32_t n_free_ghosts;
    uint32_t *free_ghosts;
    struct gmap map;
    uint64_t promotions, demotions, test_hits;
    struct victim_name named; /* the page under HAND_cold (VMR_POLICY_NEXT_VICTIM) */
    struct frame_link *link;  /* the ring */
    struct parena arena;      /* every array above and the map's */
};

static const struct vmr_policy_param clockpro_params[] = {
    {"cold", "1", "initial cold target mc, as a fraction of the frames"},
    {NULL, NULL, NULL},
};

static void cp_destroy(void *state)
{
    struct clockpro *s = state;
    if (!s)
        return;
    parena_release(&s->arena);
    free(s);
}

static int cp_create(const struct vmr_policy_config *cfg, void **state)
{
    double cold = 1.0;
    int rc = vmr_policy_check_params(&vmr_policy_clockpro, cfg);
    if (rc == 0)
        rc = vmr_policy_param_double(&vmr_policy_clockpro, cfg, "cold", 1.0, 0.0, 1.0, &cold);
    if (rc != 0)
        return rc;
    struct clockpro *s = calloc(1, sizeof *s);
    if (!s)
        return VMR_ENOMEM;
    uint32_t c = cfg->n_frames;
    s->cfg = cfg;
    s->bits = cfg->frame_bits;
    victim_name_init(&s->named, cfg);
    s->c = c;
    s->mc = frac_frames(c, cold, 1, c);
    s->ring.hand = s->cold.hand = s->hand_test = FRAME_UNLINKED;
    const struct parena_req more[] = {
        {(void **)&s->link, 2 * (size_t)c * sizeof *s->link},
        {(void **)&s->cl, (size_t)c * sizeof *s->cl},
        {(void **)&s->hot, c},
        {(void **)&s->in_test, c},
        {(void **)&s->free_ghosts, (size_t)c * sizeof *s->free_ghosts},
    };
    if (gmap_arena_alloc(&s->arena, &s->map, c, s->c, more, sizeof more / sizeof more[0]) != 0) {
        cp_destroy(s);
        return VMR_ENOMEM;
    }
    flist_init_nodes(s->link, 2 * c);
    flist_init_nodes(s->cl, c);
    for (uint32_t i = 0; i < c; i++)
        s->free_ghosts[i] = 2 * c - 1 - i;
    s->n_free_ghosts = c;
    victim_name_set(&s->named, VMR_PFN_NONE);
    *state = s;
    return 0;
}

/* The cold page under HAND_cold: the victim unless it is referenced or
 * pinned. */
static vmr_pfn_t cp_peek_victim(const void *state)
{
    const struct clockpro *s = state;
    return s->cold.hand < s->c ? s->cold.hand : VMR_PFN_NONE;
}

/* Names it as the next victim: select_victim's first step takes it when
 * it is neither referenced (VMR_POLICY_NEXT_UNREF) nor pinned. */
static inline void cp_name(struct clockpro *s)
{
    victim_name_set(&s->named, cp_peek_victim(s));
}

/* Links x into the ring at the head, just behind HAND_hot. */
static void cp_link_head(struct clockpro *s, uint32_t x)
{
    int was_empty = s->ring.hand == FRAME_UNLINKED;
    ring_insert(&s->ring, s->link, x);
    if (was_empty)
        s->hand_test = x;
}

static void cp_unlink(struct clockpro *s, uint32_t x)
{
    if (s->hand_test == x) {
        uint32_t nx = s->link[x].next;
        s->hand_test = nx == x ? FRAME_UNLINKED : nx;
    }
    ring_unlink(&s->ring, s->link, x);
}

static void cp_to_head(struct clockpro *s, uint32_t x)
{
    cp_unlink(s, x);
    cp_link_head(s, x);
}

/* The cold ring: f takes the newest place, just behind HAND_cold. */
static void cold_link(struct clockpro *s, uint32_t f)
{
    ring_insert(&s->cold, s->cl, f);
}

static void cold_unlink(struct clockpro *s, uint32_t f)
{
    ring_unlink(&s->cold, s->cl, f);
}

static void cp_drop_ghost(struct clockpro *s, uint32_t g)
{
    gmap_del(&s->map, g);
    cp_unlink(s, g);
    s->free_ghosts[s->n_free_ghosts++] = g;
    s->n_test--;
}

static void cp_shrink_mc(struct clockpro *s)
{
    if (s->mc > 1)
        s->mc--;
}

/* HAND_hot or HAND_test ending the test period of node x; returns 1 if x
 * was a non-resident entry (now gone). */
static int cp_end_test(struct clockpro *s, uint32_t x)
{
    if (x >= s->c) {
        cp_drop_ghost(s, x);
        cp_shrink_mc(s);
        return 1;
    }
    if (!s->hot[x] && s->in_test[x]) {
        s->in_test[x] = 0;
        cp_shrink_mc(s);
    }
    return 0;
}

/* One step of HAND_hot; returns 1 if it demoted a hot page. */
static int cp_hot_step(struct clockpro *s)
{
    uint32_t x = s->ring.hand;
    if (x == FRAME_UNLINKED)
        return 0;
    if (x >= s->c || !s->hot[x]) {
        uint32_t nx = s->link[x].next;
        if (!cp_end_test(s, x))
            s->ring.hand = nx;
        /* else the unlink moved the hand on */
        return 0;
    }
    s->ring.hand = s->link[x].next;
    uint8_t b = s->bits[x];
    if (b & VMR_FRAME_PINNED)
        return 0;
    if (b & VMR_FRAME_REFERENCED) {
        s->bits[x] = (uint8_t)(b & ~VMR_FRAME_REFERENCED);
        return 0;
    }
    s->hot[x] = 0;
    s->in_test[x] = 0;
    s->n_hot--;
    s->n_cold++;
    s->demotions++;
    cold_link(s, x);
    return 1;
}

/* HAND_hot runs while there are more hot pages than c - mc. */
static void cp_run_hot(struct clockpro *s, int force)
{
    uint64_t guard = 3 * (uint64_t)s->c + 3 * (uint64_t)s->n_test + 8;
    while ((force || s->n_hot > s->c - s->mc) && s->n_hot > 0 && guard-- > 0)
        if (cp_hot_step(s) && force)
            return;
}

/* HAND_test: until at most c non-resident entries remain. */
static void cp_run_test(struct clockpro *s)
{
    while (s->n_test > s->c) {
        uint32_t x = s->hand_test;
        uint32_t nx = s->link[x].next;
        if (!cp_end_test(s, x))
            s->hand_test = nx;
    }
}

static void cp_promote(struct clockpro *s, uint32_t f)
{
    s->hot[f] = 1;
    s->in_test[f] = 0;
    s->n_hot++;
    s->promotions++;
    cp_to_head(s, f);
    cp_run_hot(s, 0);
}

/* Fetches the missed key's map slot for on_insert. */
static void cp_on_miss(void *state, const struct vmr_access *a)
{
    struct clockpro *s = state;
    gmap_prefetch_find(&s->map, a->key);
}

POLICY_INLINE void cp_insert(struct clockpro *s, vmr_pfn_t frame, const struct vmr_access *a)
{
    s->bits[frame] &= (uint8_t)~VMR_FRAME_REFERENCED;
    uint32_t g = gmap_find(&s->map, a->key);
    if (g != GMAP_NONE) {
        /* re-accessed in its test period: hot, and more room for cold */
        cp_drop_ghost(s, g);
        s->test_hits++;
        if (s->mc < s->c)
            s->mc++;
        s->hot[frame] = 1;
        s->in_test[frame] = 0;
        s->n_hot++;
        s->promotions++;
        cp_link_head(s, frame);
        cp_run_hot(s, 0);
        return;
    }
    s->hot[frame] = 0;
    s->in_test[frame] = 1;
    s->n_cold++;
    cp_link_head(s, frame);
    cold_link(s, frame);
}

static int cp_choose(struct clockpro *s, vmr_pfn_t *frame)
{
    for (int attempt = 0; attempt < 4; attempt++) {
        /* each step clears a bit or finds the victim; pinned pages are
         * passed, at most one turn of them */
        uint32_t pinned_run = 0;
        while (s->n_cold > 0 && pinned_run < s->n_cold) {
            uint32_t x = s->cold.hand;
            uint8_t b = s->bits[x];
            if (b & VMR_FRAME_PINNED) {
                s->cold.hand = s->cl[x].next;
                pinned_run++;
                continue;
            }
            pinned_run = 0;
            if (!(b & VMR_FRAME_REFERENCED)) {
                *frame = x;
                return 0;
            }
            s->bits[x] = (uint8_t)(b & ~VMR_FRAME_REFERENCED);
            if (s->in_test[x]) {
                /* re-accessed in its test period: hot */
                if (s->mc < s->c)
                    s->mc++;
                s->n_cold--;
                cold_unlink(s, x);
                cp_promote(s, x);
            } else {
                /* a new test period, from the head */
                s->in_test[x] = 1;
                cp_to_head(s, x);
                s->cold.hand = s->cl[x].next; /* x is now the newest */
            }
        }
        /* no cold victim: make one */
        cp_run_hot(s, 1);
    }
    /* last resort: any unpinned resident page */
    for (uint32_t x = 0; x < s->c; x++)
        if (s->link[x].next != FRAME_UNLINKED && !(s->bits[x] & VMR_FRAME_PINNED)) {
            *frame = x;
            return 0;
        }
    return VMR_ENOVICTIM;
}

POLICY_INLINE void cp_evict(struct clockpro *s, vmr_pfn_t frame, uint64_t key)
{
    int keep = !s->hot[frame] && s->in_test[frame];
    if (s->hot[frame]) {
        s->n_hot--;
    } else {
        s->n_cold--;
        cold_unlink(s, frame);
    }
    s->hot[frame] = s->in_test[frame] = 0;
    if (!keep) {
        cp_unlink(s, frame);
        return;
    }
    /* a resident page's key is never a ghost (on_insert took it out) */
    assert(gmap_find(&s->map, key) == GMAP_NONE);
    if (s->n_free_ghosts == 0) { /* cannot happen with n_test <= c kept below */
        cp_unlink(s, frame);
        return;
    }
    /* the non-resident entry takes the frame's place in the clock */
    uint32_t g = s->free_ghosts[--s->n_free_ghosts];
    gmap_put(&s->map, key, g);
    flist_replace(s->link, frame, g);
    if (s->ring.hand == frame)
        s->ring.hand = g;
    if (s->hand_test == frame)
        s->hand_test = g;
    s->n_test++;
    cp_run_test(s);
}

static void cp_on_remove(void *state, vmr_pfn_t frame)
{
    struct clockpro *s = state;
    if (s->hot[frame]) {
        s->n_hot--;
    } else {
        s->n_cold--;
        cold_unlink(s, frame);
    }
    s->hot[frame] = s->in_test[frame] = 0;
    cp_unlink(s, frame);
    cp_name(s);
}

static void cp_on_insert(void *state, vmr_pfn_t frame, const struct vmr_access *a)
{
    cp_insert(state, frame, a);
    cp_name(state);
}

static int cp_select_victim(void *state, vmr_pfn_t *frame)
{
    int rc = cp_choose(state, frame);
    cp_name(state);
    return rc;
}

static void cp_on_evict(void *state, vmr_pfn_t frame, uint64_t key)
{
    cp_evict(state, frame, key);
    cp_name(state);
}

/* on_evict + on_insert in one call. Returns the cold page after HAND_cold
 * (the page under it if it is alone). */
static vmr_pfn_t cp_on_replace(void *state, vmr_pfn_t frame, uint64_t old_key,
                               const struct vmr_access *a)
{
    struct clockpro *s = state;
    cp_evict(s, frame, old_key);
    cp_insert(s, frame, a);
    cp_name(s);
    uint32_t f = s->cold.hand;
    if (f >= s->c)
        return VMR_PFN_NONE;
    uint32_t nx = s->cl[f].next;
    __builtin_prefetch(&s->cl[nx]);
    return nx;
}

static size_t cp_report(void *state, struct vmr_policy_counter *out, size_t max)
{
    const struct clockpro *s = state;
    const struct vmr_policy_counter c[] = {
        {"cold_target", s->mc},        {"hot", s->n_hot},
        {"ghosts", s->n_test},         {"test_hits", s->test_hits},
        {"promotions", s->promotions}, {"demotions", s->demotions},
    };
    size_t n = sizeof c / sizeof c[0];
    for (size_t i = 0; i < n && i < max; i++)
        out[i] = c[i];
    return n;
}

/* A new instance for n_frames takes the clock in order with its hands,
 * the cold ring, the pages' states and mc in proportion. Non-resident
 * entries beyond the new bound end their test first from HAND_test, as
 * HAND_test would end them (each shrinking mc); then HAND_hot runs if
 * there are too many hot pages for the new size. */
static int cp_resize(void **state, uint32_t n_frames, uint8_t *frame_bits)
{
    struct clockpro *s = *state, *t;
    uint32_t *renum = malloc(((size_t)s->c + 1) * sizeof *renum); /* ghost - c -> new node */
    int rc = renum ? policy_create_sized(s->cfg, n_frames, frame_bits, cp_create, (void **)&t)
                   : VMR_ENOMEM;
    if (rc != 0) {
        free(renum);
        return rc;
    }
    t->cfg = s->cfg;
    const uint32_t n = s->ring.n_resident;
    for (uint32_t i = 0, x = s->ring.hand; i < n; i++, x = s->link[x].next)
        if (x >= s->c)
            renum[x - s->c] = 0; /* kept, numbered below */
    uint32_t drop = s->n_test > n_frames ? s->n_test - n_frames : 0, mc = s->mc;
    for (uint32_t i = 0, x = s->hand_test; drop > 0 && i < n; i++, x = s->link[x].next)
        if (x >= s->c) {
            renum[x - s->c] = GMAP_NONE;
            drop--;
            if (mc > 1)
                mc--;
        }
    for (uint32_t i = 0, x = s->ring.hand; i < n; i++, x = s->link[x].next) {
        uint32_t y = x;
        if (x >= s->c) {
            if (renum[x - s->c] == GMAP_NONE)
                continue;
            y = t->free_ghosts[--t->n_free_ghosts];
            gmap_put(&t->map, gmap_key(&s->map, x), y);
            renum[x - s->c] = y;
            t->n_test++;
        }
        ring_insert(&t->ring, t->link, y);
    }
    /* HAND_test: on its node, or the next one kept */
    for (uint32_t i = 0, x = s->hand_test; i < n && t->ring.hand != FRAME_UNLINKED;
         i++, x = s->link[x].next)
        if (x < s->c || renum[x - s->c] != GMAP_NONE) {
            t->hand_test = x < s->c ? x : renum[x - s->c];
            break;
        }
    for (uint32_t i = 0, x = s->cold.hand; i < s->cold.n_resident; i++, x = s->cl[x].next)
        ring_insert(&t->cold, t->cl, x);
    const uint32_t keep = s->c < n_frames ? s->c : n_frames;
    memcpy(t->hot, s->hot, keep);
    memcpy(t->in_test, s->in_test, keep);
    t->n_hot = s->n_hot;
    t->n_cold = s->n_cold;
    uint64_t m = (uint64_t)mc * n_frames / s->c;
    t->mc = m < 1 ? 1 : m > n_frames ? n_frames : (uint32_t)m;
    t->promotions = s->promotions;
    t->demotions = s->demotions;
    t->test_hits = s->test_hits;
    free(renum);
    cp_destroy(s);
    cp_run_hot(t, 0);
    cp_name(t);
    *state = t;
    return 0;
}

const struct vmr_policy_ops vmr_policy_clockpro = {
    .abi_version = VMR_POLICY_ABI_VERSION,
    .flags = VMR_POLICY_WANTS_MISS | VMR_POLICY_PEEK | VMR_POLICY_REPLACE | VMR_POLICY_RESIZE |
             VMR_POLICY_NEXT_VICTIM | VMR_POLICY_NEXT_UNREF,
    .name = "clockpro",
    .summary = "CLOCK-Pro: hot/cold pages and non-resident test entries on one clock with three "
               "hands (Jiang, Chen & Zhang, USENIX ATC 2005)",
    .params = clockpro_params,
    .create = cp_create,
    .destroy = cp_destroy,
    .on_insert = cp_on_insert,
    .select_victim = cp_select_victim,
    .on_evict = cp_on_evict,
    .on_remove = cp_on_remove,
    .report = cp_report,
    .on_miss = cp_on_miss,
    .peek_victim = cp_peek_victim,
    .on_replace = cp_on_replace,
    .resize = cp_resize,
};
