/*
 * wsclock.c - WSClock: CLOCK with a working-set window.
 *
 * Definition: R. W. Carr and J. L. Hennessy, "WSCLOCK - a simple and
 * effective algorithm for virtual memory management", SOSP 1981; as told
 * in Tanenbaum & Bos, "Modern Operating Systems", 4th ed., 3.4.9. The
 * frames form a ring swept by a hand, each with the virtual time of its
 * last known use. At the hand: referenced -> clear the bit, last use :=
 * now, move on; not referenced and older than the window tau -> if clean,
 * the victim; if dirty, a write-back would be scheduled and the hand moves
 * on; not referenced but within tau -> in the working set, move on. After
 * a full turn with no clean old page, the first old dirty page is taken,
 * else the page with the oldest last use (the book: "any page").
 * Hardware-realistic: reads and clears REFERENCED, reads DIRTY.
 *
 * Write-backs: a policy cannot clean a page here (the kernel writes it when
 * it is evicted), so "schedule a write" is modelled by marking the page:
 * when the hand comes back to a marked page that is still old and unused,
 * its write is taken as done and it is the victim (the write-back is
 * counted then, once, as the scheduled write would have been). A use
 * clears the mark. So the hand passes a dirty page at most twice, instead
 * of on every fault.
 *
 * Time: "now" is the virtual clock (page touches) of the fault being
 * served, from on_miss (VMR_POLICY_WANTS_MISS) or, when the kernel does not
 * call it, of the previous fault (on_insert); a new page's last use is the
 * time of its loading access. Parameter tau in page touches; 0, the
 * default, means n_frames touches (the paper studies a range of windows and
 * fixes none).
 *
 * Owns the ring (hand = oldest position; new pages just behind it) and
 * last_use[]. Invariants: as clock.c. Cost: at most one turn per fault.
 */
#include <stdlib.h>

#include "builtin.h"

struct wsclock {
    uint8_t *bits;
    uint8_t *scheduled; /* write-back "scheduled" by the hand */
    uint64_t *last_use;
    uint64_t now, tau;
    uint64_t tau_param; /* 0: the frame count */
    uint32_t n_frames;
    struct clock_ring ring;
    uint64_t dirty_taken, oldest_taken;
    struct frame_link *link;
};

static const struct vmr_policy_param wsclock_params[] = {
    {"tau", "0", "working-set window in page touches (0 = the number of frames)"},
    {NULL, NULL, NULL},
};

static void ws_destroy(void *state)
{
    struct wsclock *s = state;
    if (!s)
        return;
    free(s->last_use);
    free(s->scheduled);
    free(s->link);
    free(s);
}

static int ws_create(const struct vmr_policy_config *cfg, void **state)
{
    uint64_t tau = 0;
    int rc = vmr_policy_check_params(&vmr_policy_wsclock, cfg);
    if (rc == 0)
        rc = vmr_policy_param_u64(&vmr_policy_wsclock, cfg, "tau", 0, 0, UINT64_MAX / 2, &tau);
    if (rc != 0)
        return rc;
    struct wsclock *s = calloc(1, sizeof *s);
    if (!s)
        return VMR_ENOMEM;
    s->bits = cfg->frame_bits;
    s->tau_param = tau;
    s->n_frames = cfg->n_frames;
    s->tau = tau ? tau : cfg->n_frames;
    ring_init(&s->ring);
    s->last_use = calloc(cfg->n_frames, sizeof *s->last_use);
    s->link = malloc((size_t)cfg->n_frames * sizeof *s->link);
    s->scheduled = calloc(cfg->n_frames, 1);
    if (!s->last_use || !s->link || !s->scheduled) {
        ws_destroy(s);
        return VMR_ENOMEM;
    }
    flist_init_nodes(s->link, cfg->n_frames);
    *state = s;
    return 0;
}

static void ws_on_miss(void *state, const struct vmr_access *a)
{
    struct wsclock *s = state;
    s->now = a->time;
}

static void ws_on_insert(void *state, vmr_pfn_t frame, const struct vmr_access *a)
{
    struct wsclock *s = state;
    struct frame_link *l = s->link;
    s->now = a->time;
    s->last_use[frame] = a->time;
    s->scheduled[frame] = 0;
    s->bits[frame] &= (uint8_t)~VMR_FRAME_REFERENCED;
    ring_insert(&s->ring, l, frame);
}

static int ws_select_victim(void *state, vmr_pfn_t *frame)
{
    struct wsclock *s = state;
    const struct frame_link *l = s->link;
    uint8_t *bits = s->bits;
    uint32_t f = s->ring.hand, old_dirty = FRAME_UNLINKED, oldest = FRAME_UNLINKED;
    const uint64_t now = s->now;
    for (uint32_t steps = s->ring.n_resident; steps > 0; steps--, f = l[f].next) {
        uint8_t b = bits[f];
        if (b & VMR_FRAME_PINNED)
            continue;
        if (b & VMR_FRAME_REFERENCED) {
            bits[f] = (uint8_t)(b & ~VMR_FRAME_REFERENCED);
            s->last_use[f] = now;
            s->scheduled[f] = 0;
        } else if (now - s->last_use[f] > s->tau) {
            if (!(b & VMR_FRAME_DIRTY) || s->scheduled[f]) {
                s->ring.hand = f;
                *frame = f;
                return 0;
            }
            s->scheduled[f] = 1;
            if (old_dirty == FRAME_UNLINKED)
                old_dirty = f;
        }
        if (oldest == FRAME_UNLINKED || s->last_use[f] < s->last_use[oldest])
            oldest = f;
    }
    uint32_t v = old_dirty != FRAME_UNLINKED ? old_dirty : oldest;
    if (v == FRAME_UNLINKED)
        return VMR_ENOVICTIM;
    if (v == old_dirty)
        s->dirty_taken++;
    else
        s->oldest_taken++;
    s->ring.hand = v;
    *frame = v;
    return 0;
}

static void ws_drop(struct wsclock *s, uint32_t frame)
{
    struct frame_link *l = s->link;
    ring_unlink(&s->ring, l, frame);
}

static void ws_on_evict(void *state, vmr_pfn_t frame, uint64_t key)
{
    (void)key;
    ws_drop(state, frame);
}

static void ws_on_remove(void *state, vmr_pfn_t frame)
{
    ws_drop(state, frame);
}

static size_t ws_report(void *state, struct vmr_policy_counter *out, size_t max)
{
    const struct wsclock *s = state;
    const struct vmr_policy_counter c[] = {
        {"old_dirty_taken", s->dirty_taken},
        {"no_old_page", s->oldest_taken},
    };
    size_t n = sizeof c / sizeof c[0];
    for (size_t i = 0; i < n && i < max; i++)
        out[i] = c[i];
    return n;
}

/* The frame under the hand: the victim if it is clean, old and unused. */
static vmr_pfn_t ws_peek_victim(const void *state)
{
    const struct wsclock *s = state;
    return ring_hand(&s->ring);
}

/* on_evict + on_insert in one call, usually in place (the victim sits
 * under the hand: ring_replace_at_hand). Returns the frame after the
 * hand. */
static vmr_pfn_t ws_on_replace(void *state, vmr_pfn_t frame, uint64_t old_key,
                               const struct vmr_access *a)
{
    struct wsclock *s = state;
    const struct frame_link *l = s->link;
    if (ring_replace_at_hand(&s->ring, l, frame)) {
        s->now = a->time;
        s->last_use[frame] = a->time;
        s->scheduled[frame] = 0;
        s->bits[frame] &= (uint8_t)~VMR_FRAME_REFERENCED;
    } else {
        ws_on_evict(state, frame, old_key);
        ws_on_insert(state, frame, a);
    }
    uint32_t next = l[s->ring.hand].next;
    __builtin_prefetch(&l[next]);
    __builtin_prefetch(&s->last_use[next]);
    return next;
}

/* The default window follows the frame count. */
static int ws_resize(void **state, uint32_t n_frames, uint8_t *frame_bits)
{
    struct wsclock *s = *state;
    const uint32_t n = s->n_frames;
    if (frame_array_resize(&s->last_use, sizeof *s->last_use, n, n_frames, 0) != 0 ||
        frame_array_resize(&s->link, sizeof *s->link, n, n_frames, 0xff) != 0 ||
        frame_array_resize(&s->scheduled, 1, n, n_frames, 0) != 0)
        return VMR_ENOMEM; /* what grew is harmless */
    if (!s->tau_param)
        s->tau = n_frames;
    s->n_frames = n_frames;
    s->bits = frame_bits;
    return 0;
}

const struct vmr_policy_ops vmr_policy_wsclock = {
    .abi_version = VMR_POLICY_ABI_VERSION,
    .flags = VMR_POLICY_WANTS_MISS | VMR_POLICY_PEEK | VMR_POLICY_REPLACE | VMR_POLICY_RESIZE,
    .name = "wsclock",
    .summary = "WSClock: a clock of last-use times, evicting clean pages outside the working-set "
               "window tau (Carr & Hennessy, SOSP 1981)",
    .params = wsclock_params,
    .create = ws_create,
    .destroy = ws_destroy,
    .on_insert = ws_on_insert,
    .select_victim = ws_select_victim,
    .on_evict = ws_on_evict,
    .on_remove = ws_on_remove,
    .report = ws_report,
    .on_miss = ws_on_miss,
    .peek_victim = ws_peek_victim,
    .on_replace = ws_on_replace,
    .resize = ws_resize,
};
