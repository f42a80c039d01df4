/*
 * aging.c - Aging (NFU with shift) over the hardware referenced bit.
 *
 * Definition: A. S. Tanenbaum and H. Bos, "Modern Operating Systems", 4th
 * ed., section 3.4.7: each page has a software counter; at every clock tick
 * the counter is shifted right by one and the referenced bit is put into
 * its leftmost bit, then cleared; the victim is the page with the lowest
 * counter. A new page starts at 0 (its first use enters at the next tick).
 * Hardware-realistic: reads and clears REFERENCED only.
 *
 * Parameters: bits (default 8, the book's 8-bit counters), period (page
 * touches between ticks; 0, the default, means one tick per n_frames
 * touches: the book says "each clock tick" without a number).
 * Time: the tick happens at the first fault (on_insert, vmr_access.time) at
 * or after each period boundary, since hits are not reported.
 *
 * Tie rule: among pages with the same counter, the one that entered that
 * counter value first (pages aged at the same tick in frame-number order,
 * then pages loaded since, in load order).
 *
 * Owns one list per counter value (the frames with that counter, oldest
 * first) and a bitmap of the non-empty ones, so choosing is O(1) plus pinned
 * pages passed; a tick is O(frames).
 */
#include <stdlib.h>
#include <string.h>

#include "builtin.h"

#define AGING_MAX_BUCKETS 256

struct aging {
    uint8_t *bits;
    uint8_t *counter;
    uint32_t n_frames, n_buckets;
    uint8_t top; /* the bit a reference shifts in */
    uint64_t period, next_tick, ticks;
    uint64_t period_param; /* 0: the frame count */
    uint32_t count[AGING_MAX_BUCKETS];
    uint64_t nonempty[AGING_MAX_BUCKETS / 64];
    struct frame_link *link; /* frames, then one sentinel per counter value */
};

static const struct vmr_policy_param aging_params[] = {
    {"bits", "8", "counter width in bits (1..8)"},
    {"period", "0", "page touches between ticks (0 = the number of frames)"},
    {NULL, NULL, NULL},
};

static void aging_destroy(void *state)
{
    struct aging *s = state;
    if (!s)
        return;
    free(s->counter);
    free(s->link);
    free(s);
}

static int aging_create(const struct vmr_policy_config *cfg, void **state)
{
    int rc = vmr_policy_check_params(&vmr_policy_aging, cfg);
    uint64_t nbits = 8, period = 0;
    if (rc == 0)
        rc = vmr_policy_param_u64(&vmr_policy_aging, cfg, "bits", 8, 1, 8, &nbits);
    if (rc == 0)
        rc = vmr_policy_param_u64(&vmr_policy_aging, cfg, "period", 0, 0, UINT64_MAX / 2, &period);
    if (rc != 0)
        return rc;
    struct aging *s = calloc(1, sizeof *s);
    if (!s)
        return VMR_ENOMEM;
    s->n_frames = cfg->n_frames;
    s->n_buckets = 1u << nbits;
    s->counter = calloc(cfg->n_frames, 1);
    s->link = malloc(((size_t)cfg->n_frames + s->n_buckets) * sizeof *s->link);
    if (!s->counter || !s->link) {
        aging_destroy(s);
        return VMR_ENOMEM;
    }
    s->bits = cfg->frame_bits;
    s->top = (uint8_t)(1u << (nbits - 1));
    s->period_param = period;
    s->period = period ? period : cfg->n_frames;
    s->next_tick = s->period;
    flist_init_nodes(s->link, cfg->n_frames);
    flist_init_sentinels(s->link, cfg->n_frames, s->n_buckets);
    *state = s;
    return 0;
}

static void aging_link(struct aging *s, uint32_t f, uint8_t c)
{
    s->counter[f] = c;
    flist_link_before(s->link, s->n_frames + c, f);
    if (s->count[c]++ == 0)
        s->nonempty[c / 64] |= 1ULL << (c % 64);
}

static void aging_unlink(struct aging *s, uint32_t f)
{
    uint8_t c = s->counter[f];
    flist_unlink(s->link, f);
    if (--s->count[c] == 0)
        s->nonempty[c / 64] &= ~(1ULL << (c % 64));
}

/* Every resident frame's counter shifts right, its referenced bit entering
 * at the top. Each frame goes to the tail of its new counter's list in
 * frame order, so afterwards every list holds its frames in frame order:
 * the lists are rebuilt from empty in one sequential pass (rather than
 * unlinking each frame from neighbours scattered over the array). */
static void aging_tick(struct aging *s)
{
    uint8_t *bits = s->bits;
    struct frame_link *l = s->link;
    flist_init_sentinels(l, s->n_frames, s->n_buckets);
    memset(s->count, 0, sizeof s->count);
    memset(s->nonempty, 0, sizeof s->nonempty);
    for (uint32_t f = 0; f < s->n_frames; f++) {
        /* f's old links are stale (only frames before f were relinked) */
        if (!flist_linked(l, f))
            continue;
        uint8_t c = (uint8_t)(s->counter[f] >> 1);
        if (bits[f] & VMR_FRAME_REFERENCED) {
            c |= s->top;
            bits[f] &= (uint8_t)~VMR_FRAME_REFERENCED;
        }
        l[f].prev = l[f].next = FRAME_UNLINKED;
        aging_link(s, f, c);
    }
    s->ticks++;
}

static void aging_on_insert(void *state, vmr_pfn_t frame, const struct vmr_access *a)
{
    struct aging *s = state;
    if (a->time >= s->next_tick) {
        aging_tick(s);
        s->next_tick = a->time + s->period;
    }
    aging_link(s, frame, 0);
}

static int aging_select_victim(void *state, vmr_pfn_t *frame)
{
    struct aging *s = state;
    for (uint32_t w = 0; w < s->n_buckets / 64 + (s->n_buckets < 64); w++) {
        uint64_t m = s->nonempty[w];
        while (m) {
            uint32_t c = w * 64 + (uint32_t)__builtin_ctzll(m);
            m &= m - 1;
            const uint32_t end = s->n_frames + c;
            for (uint32_t f = s->link[end].next; f != end; f = s->link[f].next) {
                if (!(s->bits[f] & VMR_FRAME_PINNED)) {
                    *frame = f;
                    return 0;
                }
            }
        }
    }
    return VMR_ENOVICTIM;
}

static void aging_on_evict(void *state, vmr_pfn_t frame, uint64_t key)
{
    (void)key;
    aging_unlink(state, frame);
}

static void aging_on_remove(void *state, vmr_pfn_t frame)
{
    aging_unlink(state, frame);
}

/* The oldest frame with the lowest counter, pins ignored. */
static vmr_pfn_t aging_peek_victim(const void *state)
{
    const struct aging *s = state;
    for (uint32_t w = 0; w < s->n_buckets / 64 + (s->n_buckets < 64); w++)
        if (s->nonempty[w]) {
            uint32_t c = w * 64 + (uint32_t)__builtin_ctzll(s->nonempty[w]);
            return s->link[s->n_frames + c].next;
        }
    return VMR_PFN_NONE;
}

/* on_evict + on_insert in one call. Returns the frame after the next
 * victim in its list, or no guess if the next load may tick (which
 * reorders the lists). */
static vmr_pfn_t aging_on_replace(void *state, vmr_pfn_t frame, uint64_t old_key,
                                  const struct vmr_access *a)
{
    struct aging *s = state;
    aging_on_evict(state, frame, old_key);
    aging_on_insert(state, frame, a);
    uint32_t f = aging_peek_victim(s);
    if (f == VMR_PFN_NONE || a->time + 1 >= s->next_tick)
        return VMR_PFN_NONE;
    uint32_t nx = s->link[f].next;
    if (nx >= s->n_frames)
        nx = f;
    __builtin_prefetch(&s->link[nx]);
    return nx;
}

static size_t aging_report(void *state, struct vmr_policy_counter *out, size_t max)
{
    const struct aging *s = state;
    if (max >= 1)
        out[0] = (struct vmr_policy_counter){"ticks", s->ticks};
    return 1;
}

/* The default tick period follows the frame count; the counter lists'
 * sentinels move past the frames. */
static int aging_resize(void **state, uint32_t n_frames, uint8_t *frame_bits)
{
    struct aging *s = *state;
    const uint32_t n = s->n_frames;
    if (frame_array_resize(&s->counter, 1, n, n_frames, 0) != 0)
        return VMR_ENOMEM;
    if (n_frames > n) {
        struct frame_link *l =
            realloc(s->link, ((size_t)n_frames + s->n_buckets) * sizeof *s->link);
        if (!l)
            return VMR_ENOMEM; /* counter is longer: harmless */
        s->link = l;
        flist_init_nodes(s->link + n + s->n_buckets, n_frames - n);
    }
    flist_move_sentinels(s->link, n, n_frames, s->n_buckets);
    if (n_frames < n) {
        flist_init_nodes(s->link + n_frames + s->n_buckets, n - n_frames);
        struct frame_link *l =
            realloc(s->link, ((size_t)n_frames + s->n_buckets) * sizeof *s->link);
        if (l)
            s->link = l;
    }
    if (!s->period_param) {
        s->next_tick = s->next_tick - s->period + n_frames;
        s->period = n_frames;
    }
    s->n_frames = n_frames;
    s->bits = frame_bits;
    return 0;
}

const struct vmr_policy_ops vmr_policy_aging = {
    .abi_version = VMR_POLICY_ABI_VERSION,
    .flags = VMR_POLICY_PEEK | VMR_POLICY_REPLACE | VMR_POLICY_RESIZE,
    .name = "aging",
    .summary = "NFU with shift: referenced bits shifted into a per-page counter each tick, "
               "lowest counter evicted (Tanenbaum, MOS 3.4.7)",
    .params = aging_params,
    .create = aging_create,
    .destroy = aging_destroy,
    .on_insert = aging_on_insert,
    .select_victim = aging_select_victim,
    .on_evict = aging_on_evict,
    .on_remove = aging_on_remove,
    .report = aging_report,
    .peek_victim = aging_peek_victim,
    .on_replace = aging_on_replace,
    .resize = aging_resize,
};
