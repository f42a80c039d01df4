/*
 * linux.c - a Linux-like two-list policy: active and inactive lists driven
 * only by the hardware referenced bit and a software "referenced" flag.
 *
 * Definition: the page replacement of Linux 2.6 (mm/vmscan.c before the
 * split LRU of 2.6.28), as described by M. Gorman, "Understanding the
 * Linux Virtual Memory Manager", Prentice Hall 2004, chapter 10, with the
 * two-touch activation of page_check_references(). New pages go to the
 * newest end of the inactive list with the flag clear (the fault leaves
 * the referenced bit set, as a freshly mapped PTE is young). To reclaim:
 *   - while the inactive list is smaller than active / inactive_ratio,
 *     `batch` pages are taken from the oldest end of the active list: a
 *     referenced one has its bit cleared and goes back to the newest end
 *     of the active list, an unreferenced one moves to the newest end of
 *     the inactive list (flag clear);
 *   - then the oldest inactive page: referenced and flagged -> activated
 *     (bit cleared); referenced, not flagged -> bit cleared, flagged, back
 *     to the newest end of the inactive list; not referenced -> the victim.
 * Defaults from the kernel: inactive_ratio=1 (what Linux uses below 1 GB
 * of memory), batch=32 (SWAP_CLUSTER_MAX). Hardware-realistic: hits are not
 * reported. It does not distinguish anonymous from file pages (the kernel
 * activates a referenced anonymous page at once); the policy interface
 * does not say which a page is.
 *
 * Pinned pages are rotated untouched. If the inactive list is all pinned
 * (or the scan runs for more than a few turns), the oldest unpinned page of
 * either list is taken.
 * When no refill is due, the oldest inactive page is named as the next
 * victim (VMR_POLICY_NEXT_VICTIM with VMR_POLICY_NEXT_UNREF): the kernel
 * takes it when it is neither referenced nor pinned, without calling
 * select_victim, whose first step would take it; with a refill due it
 * names none, so the refill is never skipped.
 *
 * Owns the two lists (head = oldest) and per-frame list and flag.
 */
#include <stdlib.h>

#include "builtin.h"

enum { LX_INACTIVE, LX_ACTIVE };

struct linux_lists {
    uint8_t *bits;
    uint8_t *where;
    uint8_t *flag; /* PG_referenced */
    uint32_t n, s_inactive, s_active;
    uint32_t n_inactive, n_active;
    uint32_t ratio, batch;
    uint64_t activations, deactivations;
    struct victim_name named; /* select_victim's first page, if no refill is due (NEXT_VICTIM) */
    struct frame_link link[];
};

static const struct vmr_policy_param linux_params[] = {
    {"inactive_ratio", "1", "keep the inactive list at least active/ratio long"},
    {"batch", "32", "active pages scanned per refill (SWAP_CLUSTER_MAX)"},
    {NULL, NULL, NULL},
};

static void lx_destroy(void *state)
{
    struct linux_lists *s = state;
    if (!s)
        return;
    free(s->where);
    free(s->flag);
    free(s);
}

static int lx_create(const struct vmr_policy_config *cfg, void **state)
{
    const struct vmr_policy_ops *ops = &vmr_policy_linux;
    uint64_t ratio = 1, batch = 32;
    int rc = vmr_policy_check_params(ops, cfg);
    if (rc == 0)
        rc = vmr_policy_param_u64(ops, cfg, "inactive_ratio", 1, 1, 1000, &ratio);
    if (rc == 0)
        rc = vmr_policy_param_u64(ops, cfg, "batch", 32, 1, UINT32_MAX, &batch);
    if (rc != 0)
        return rc;
    uint32_t n = cfg->n_frames;
    struct linux_lists *s = calloc(1, sizeof *s + ((size_t)n + 2) * sizeof s->link[0]);
    if (!s)
        return VMR_ENOMEM;
    s->where = malloc(n);
    s->flag = calloc(n, 1);
    if (!s->where || !s->flag) {
        lx_destroy(s);
        return VMR_ENOMEM;
    }
    s->bits = cfg->frame_bits;
    victim_name_init(&s->named, cfg);
    victim_name_set(&s->named, VMR_PFN_NONE);
    s->n = n;
    s->s_inactive = n;
    s->s_active = n + 1;
    s->ratio = (uint32_t)ratio;
    s->batch = (uint32_t)batch;
    flist_init_nodes(s->link, n);
    flist_init_sentinels(s->link, n, 2);
    *state = s;
    return 0;
}

static void lx_push(struct linux_lists *s, uint32_t f, int l)
{
    s->where[f] = (uint8_t)l;
    flist_link_before(s->link, l == LX_ACTIVE ? s->s_active : s->s_inactive, f);
    if (l == LX_ACTIVE)
        s->n_active++;
    else
        s->n_inactive++;
}

static void lx_pull(struct linux_lists *s, uint32_t f)
{
    flist_unlink(s->link, f);
    if (s->where[f] == LX_ACTIVE)
        s->n_active--;
    else
        s->n_inactive--;
}

/* Names the oldest inactive page when select_victim would look at it
 * first (no refill due): it takes it unless it is referenced
 * (VMR_POLICY_NEXT_UNREF) or pinned. */
static void lx_name(struct linux_lists *s)
{
    const uint32_t f = s->link[s->s_inactive].next;
    const int first = f < s->n && (uint64_t)s->n_inactive * s->ratio >= s->n_active;
    victim_name_set(&s->named, first ? f : VMR_PFN_NONE);
}

static void lx_insert(struct linux_lists *s, vmr_pfn_t frame)
{
    s->flag[frame] = 0;
    lx_push(s, frame, LX_INACTIVE);
}

static void lx_on_insert(void *state, vmr_pfn_t frame, const struct vmr_access *a)
{
    (void)a;
    lx_insert(state, frame);
    lx_name(state);
}

static void lx_refill(struct linux_lists *s)
{
    for (uint32_t i = 0; i < s->batch && s->n_active > 0; i++) {
        uint32_t f = s->link[s->s_active].next;
        uint8_t b = s->bits[f];
        lx_pull(s, f);
        if (b & VMR_FRAME_PINNED) {
            lx_push(s, f, LX_ACTIVE);
        } else if (b & VMR_FRAME_REFERENCED) {
            s->bits[f] = (uint8_t)(b & ~VMR_FRAME_REFERENCED);
            lx_push(s, f, LX_ACTIVE);
        } else {
            s->flag[f] = 0;
            lx_push(s, f, LX_INACTIVE);
            s->deactivations++;
        }
    }
}

static int lx_oldest_unpinned(const struct linux_lists *s, uint32_t sent, vmr_pfn_t *frame)
{
    for (uint32_t f = s->link[sent].next; f != sent; f = s->link[f].next)
        if (!(s->bits[f] & VMR_FRAME_PINNED)) {
            *frame = f;
            return 1;
        }
    return 0;
}

static int lx_choose(struct linux_lists *s, vmr_pfn_t *frame)
{
    uint64_t guard = 4 * ((uint64_t)s->n_active + s->n_inactive) + 64;
    uint32_t pinned_run = 0;
    while (guard-- > 0) {
        if ((uint64_t)s->n_inactive * s->ratio < s->n_active)
            lx_refill(s);
        if (s->n_inactive == 0) {
            if (s->n_active == 0)
                return VMR_ENOVICTIM;
            continue;
        }
        uint32_t f = s->link[s->s_inactive].next;
        uint8_t b = s->bits[f];
        if (b & VMR_FRAME_PINNED) {
            lx_pull(s, f);
            lx_push(s, f, LX_INACTIVE);
            if (++pinned_run >= s->n_inactive)
                break;
            continue;
        }
        pinned_run = 0;
        if (!(b & VMR_FRAME_REFERENCED)) {
            *frame = f;
            return 0;
        }
        s->bits[f] = (uint8_t)(b & ~VMR_FRAME_REFERENCED);
        lx_pull(s, f);
        if (s->flag[f]) {
            s->flag[f] = 0;
            lx_push(s, f, LX_ACTIVE);
            s->activations++;
        } else {
            s->flag[f] = 1;
            lx_push(s, f, LX_INACTIVE);
        }
    }
    if (lx_oldest_unpinned(s, s->s_inactive, frame) || lx_oldest_unpinned(s, s->s_active, frame))
        return 0;
    return VMR_ENOVICTIM;
}

static int lx_select_victim(void *state, vmr_pfn_t *frame)
{
    int rc = lx_choose(state, frame);
    lx_name(state);
    return rc;
}

static void lx_on_remove(void *state, vmr_pfn_t frame)
{
    lx_pull(state, frame);
    lx_name(state);
}

static void lx_on_evict(void *state, vmr_pfn_t frame, uint64_t key)
{
    (void)key;
    lx_pull(state, frame);
    lx_name(state);
}

/* The oldest inactive page: the victim unless it is referenced or pinned
 * (or a refill comes first). */
static vmr_pfn_t lx_peek_victim(const void *state)
{
    const struct linux_lists *s = state;
    uint32_t f = s->link[s->s_inactive].next;
    return f < s->n ? f : VMR_PFN_NONE;
}

/* on_evict + on_insert in one call. Returns the inactive page after the
 * oldest if neither is referenced (the victims after the next are then
 * those two); no guess otherwise (a new page starts referenced, so the
 * oldest is often passed). */
static vmr_pfn_t lx_on_replace(void *state, vmr_pfn_t frame, uint64_t old_key,
                               const struct vmr_access *a)
{
    (void)old_key;
    (void)a;
    struct linux_lists *s = state;
    lx_pull(s, frame);
    lx_insert(s, frame);
    lx_name(s);
    uint32_t f = s->link[s->s_inactive].next;
    if (f >= s->n)
        return VMR_PFN_NONE;
    const uint32_t nx = flist_guess_after(s->link, f, s->n);
    return (s->bits[f] | s->bits[nx]) & VMR_FRAME_REFERENCED ? VMR_PFN_NONE : nx;
}

static size_t lx_report(void *state, struct vmr_policy_counter *out, size_t max)
{
    const struct linux_lists *s = state;
    const struct vmr_policy_counter c[] = {
        {"activations", s->activations},
        {"deactivations", s->deactivations},
        {"active", s->n_active},
    };
    size_t n = sizeof c / sizeof c[0];
    for (size_t i = 0; i < n && i < max; i++)
        out[i] = c[i];
    return n;
}

/* The size does not enter the choice (the lists' balance is a ratio of
 * their lengths): the arrays change length, the sentinels move. */
static int lx_resize(void **state, uint32_t n_frames, uint8_t *frame_bits)
{
    struct linux_lists *s = *state;
    const uint32_t n = s->n;
    if (frame_array_resize(&s->where, 1, n, n_frames, 0) != 0 ||
        frame_array_resize(&s->flag, 1, n, n_frames, 0) != 0)
        return VMR_ENOMEM; /* what grew is harmless */
    const size_t bytes = sizeof *s + ((size_t)n_frames + 2) * sizeof s->link[0];
    if (n_frames > n) {
        struct linux_lists *t = realloc(s, bytes);
        if (!t)
            return VMR_ENOMEM;
        s = t;
        flist_init_nodes(s->link + n + 2, n_frames - n);
    }
    flist_move_sentinels(s->link, n, n_frames, 2);
    if (n_frames < n) {
        struct linux_lists *t = realloc(s, bytes);
        if (t)
            s = t;
    }
    s->n = n_frames;
    s->s_inactive = n_frames;
    s->s_active = n_frames + 1;
    s->bits = frame_bits;
    victim_name_moved(&s->named);
    lx_name(s);
    *state = s;
    return 0;
}

const struct vmr_policy_ops vmr_policy_linux = {
    .abi_version = VMR_POLICY_ABI_VERSION,
    .flags = VMR_POLICY_PEEK | VMR_POLICY_REPLACE | VMR_POLICY_RESIZE | VMR_POLICY_NO_ACCESS |
             VMR_POLICY_NEXT_VICTIM | VMR_POLICY_NEXT_UNREF,
    .name = "linux",
    .summary = "Linux 2.6-like active/inactive lists over referenced bits, two-touch activation "
               "(Gorman 2004, mm/vmscan.c)",
    .params = linux_params,
    .create = lx_create,
    .destroy = lx_destroy,
    .on_insert = lx_on_insert,
    .select_victim = lx_select_victim,
    .on_evict = lx_on_evict,
    .on_remove = lx_on_remove,
    .report = lx_report,
    .peek_victim = lx_peek_victim,
    .on_replace = lx_on_replace,
    .resize = lx_resize,
};
