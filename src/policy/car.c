/*
 * car.c - CAR: CLOCK with Adaptive Replacement.
 *
 * Definition: S. Bansal and D. S. Modha, "CAR: Clock with Adaptive
 * Replacement", FAST 2004 (Figure 2). Two clocks T1 (pages seen once
 * recently) and T2 (seen again), each page with a reference bit, and ghost
 * LRU lists B1, B2 as in ARC; p is the target size of T1. replace():
 * while no victim, if |T1| >= max(1, p): T1's head with bit 0 is demoted to
 * B1 (the victim), with bit 1 it goes to T2's tail with the bit cleared;
 * else T2's head with bit 0 goes to B2 (the victim), with bit 1 it goes to
 * T2's tail with the bit cleared. A missed page in neither ghost list goes
 * to T1's tail (and B1's or B2's LRU entry is discarded if |T1|+|B1| = c,
 * or the directory holds 2c); one in B1 raises p by max(1, |B2|/|B1|), one
 * in B2 lowers it by max(1, |B1|/|B2|), and goes to T2's tail; new pages
 * start with the bit clear. No parameters.
 *
 * Hardware-realistic: the page reference bit is the MMU's REFERENCED bit,
 * which the kernel sets on every access (on_insert clears it for the new
 * page) and replace() reads and clears; hits are not reported.
 *
 * Pinned pages are rotated to the tail of their own clock without touching
 * their bit; if a whole clock is pinned the other one is swept.
 *
 * Names the head replace() looks at first as its next victim
 * (VMR_POLICY_NEXT_VICTIM with VMR_POLICY_NEXT_UNREF): when that page is
 * neither referenced nor pinned the kernel takes it without calling
 * select_victim, which would take it at its first step.
 *
 * Owns T1/T2 (frames, head = the clock hand), B1/B2 (ghost nodes n..n+c+1,
 * head = LRU), a key -> ghost map.
 * Invariants: |B1|+|B2| <= c+1 at all times, and the paper's bounds
 * |T1|+|B1| <= c, |T1|+|T2|+|B1|+|B2| <= 2c after every on_insert.
 */
#include <stdlib.h>

#include "builtin.h"
#include "ghostlists.h"

/* fmax and fmin for values that are never NaN (p, and quotients of list
 * sizes that are not 0): inline compares instead of libm calls. */
static inline double dmax(double x, double y)
{
    return x > y ? x : y;
}

static inline double dmin(double x, double y)
{
    return x < y ? x : y;
}

struct car {
    uint8_t *bits;
    struct ghost_lists gl;
    double p;
    uint64_t b1_hits, b2_hits;
    struct victim_name named; /* the head replace() looks at first (VMR_POLICY_NEXT_VICTIM) */
};

static vmr_pfn_t car_peek_victim(const void *state);

/* Names the head replace() looks at first: the victim unless it is
 * referenced (the kernel checks, VMR_POLICY_NEXT_UNREF) or pinned. */
static inline void car_name(struct car *s)
{
    victim_name_set(&s->named, car_peek_victim(s));
}

static void car_destroy(void *state)
{
    struct car *s = state;
    if (!s)
        return;
    gl_release(&s->gl);
    free(s);
}

static int car_create(const struct vmr_policy_config *cfg, void **state)
{
    int rc = vmr_policy_check_params(&vmr_policy_car, cfg);
    if (rc != 0)
        return rc;
    struct car *s = calloc(1, sizeof *s);
    if (!s)
        return VMR_ENOMEM;
    s->bits = cfg->frame_bits;
    victim_name_init(&s->named, cfg);
    if (gl_init(&s->gl, cfg->n_frames) != 0) {
        car_destroy(s);
        return VMR_ENOMEM;
    }
    car_name(s);
    *state = s;
    return 0;
}

POLICY_INLINE void car_insert(struct car *s, vmr_pfn_t frame, const struct vmr_access *a)
{
    s->gl.fkey[frame] = a->key;
    s->bits[frame] &= (uint8_t)~VMR_FRAME_REFERENCED;
    uint32_t g = gmap_find(&s->gl.map, a->key);
    if (g == GMAP_NONE) {
        if (s->gl.size[GL_T1] + s->gl.size[GL_B1] >= s->gl.c && s->gl.size[GL_B1] > 0)
            gl_drop_lru_ghost(&s->gl, GL_B1);
        else if (s->gl.size[GL_T1] + s->gl.size[GL_T2] + s->gl.size[GL_B1] + s->gl.size[GL_B2] >=
                     2 * s->gl.c &&
                 s->gl.size[GL_B1] + s->gl.size[GL_B2] > 0)
            gl_drop_lru_ghost(&s->gl, GL_B2);
        gl_push(&s->gl, frame, GL_T1);
        gl_prefetch_next_drop(&s->gl);
        return;
    }
    double b1 = s->gl.size[GL_B1], b2 = s->gl.size[GL_B2];
    if (s->gl.where[g] == GL_B1) {
        s->p = dmin(s->p + dmax(1.0, b2 / b1), s->gl.c);
        s->b1_hits++;
    } else {
        s->p = dmax(s->p - dmax(1.0, b1 / b2), 0.0);
        s->b2_hits++;
    }
    gl_drop_ghost(&s->gl, g);
    gl_push(&s->gl, frame, GL_T2);
    gl_prefetch_next_drop(&s->gl);
}

/* Fetches the missed key's map slot, which on_insert will read. */
static void car_on_miss(void *state, const struct vmr_access *a)
{
    struct car *s = state;
    gmap_prefetch_find(&s->gl.map, a->key);
}

/* One step of the hand of clock l: 1 and *frame if its head is the victim,
 * 0 if the head moved on, -1 if the clock is empty. */
static int car_step(struct car *s, int l, vmr_pfn_t *frame)
{
    const uint32_t sent = s->gl.base + (uint32_t)l;
    uint32_t f = s->gl.link[sent].next;
    if (f == sent)
        return -1;
    uint8_t b = s->bits[f];
    if (b & VMR_FRAME_PINNED) {
        gl_pull_from(&s->gl, f, l);
        gl_push(&s->gl, f, l);
        return 0;
    }
    if (!(b & VMR_FRAME_REFERENCED)) {
        *frame = f;
        return 1;
    }
    s->bits[f] = (uint8_t)(b & ~VMR_FRAME_REFERENCED);
    gl_pull_from(&s->gl, f, l);
    gl_push(&s->gl, f, GL_T2);
    return 0;
}

static int car_choose(struct car *s, vmr_pfn_t *frame)
{
    uint32_t resident = s->gl.size[GL_T1] + s->gl.size[GL_T2];
    /* every step clears a bit, moves T1 -> T2, or rotates a pinned page;
     * pinned_run counts the rotations since the last other step */
    uint32_t pinned_run = 0;
    int forced = -1;  /* a clock that is all pinned makes us sweep the other */
    int switches = 0; /* switches since the last step that was not a pinned rotation */
    while (resident > 0) {
        int l;
        if (forced >= 0)
            l = forced;
        else
            l = (double)s->gl.size[GL_T1] >= dmax(1.0, s->p) ? GL_T1 : GL_T2;
        if (s->gl.size[l] == 0)
            l = l == GL_T1 ? GL_T2 : GL_T1;
        uint32_t head = s->gl.link[s->gl.base + (uint32_t)l].next;
        int pinned = (s->bits[head] & VMR_FRAME_PINNED) != 0;
        int r = car_step(s, l, frame);
        if (r == 1)
            return 0;
        if (!pinned) {
            pinned_run = 0;
            switches = 0;
            continue;
        }
        if (++pinned_run >= s->gl.size[l]) {
            /* a full turn of this clock found only pinned pages */
            int other = l == GL_T1 ? GL_T2 : GL_T1;
            if (switches > 0 || s->gl.size[other] == 0)
                return VMR_ENOVICTIM;
            forced = other;
            switches++;
            pinned_run = 0;
        }
    }
    return VMR_ENOVICTIM;
}

POLICY_INLINE void car_evict(struct car *s, vmr_pfn_t frame, uint64_t key)
{
    int ghost = s->gl.where[frame] == GL_T1 ? GL_B1 : GL_B2;
    gl_pull(&s->gl, frame);
    /* a resident page's key is never a ghost (on_insert took it out) */
    assert(gmap_find(&s->gl.map, key) == GMAP_NONE);
    if (s->gl.size[GL_B1] + s->gl.size[GL_B2] >= s->gl.c + 1)
        gl_drop_lru_ghost(&s->gl, GL_B2);
    gl_add_ghost(&s->gl, key, ghost);
}

static void car_on_insert(void *state, vmr_pfn_t frame, const struct vmr_access *a)
{
    car_insert(state, frame, a);
    car_name(state);
}

static int car_select_victim(void *state, vmr_pfn_t *frame)
{
    int rc = car_choose(state, frame);
    car_name(state);
    return rc;
}

static void car_on_evict(void *state, vmr_pfn_t frame, uint64_t key)
{
    car_evict(state, frame, key);
    car_name(state);
}

static void car_on_remove(void *state, vmr_pfn_t frame)
{
    gl_pull(&((struct car *)state)->gl, frame);
    car_name(state);
}

/* The head of the clock the next choice starts on, bits ignored: the
 * victim unless it is referenced or pinned. */
static vmr_pfn_t car_peek_victim(const void *state)
{
    const struct car *s = state;
    int l = (double)s->gl.size[GL_T1] >= dmax(1.0, s->p) ? GL_T1 : GL_T2;
    if (s->gl.size[l] == 0)
        l = l == GL_T1 ? GL_T2 : GL_T1;
    uint32_t f = gl_lru(&s->gl, l);
    return f < s->gl.c ? f : VMR_PFN_NONE;
}

/* on_evict + on_insert in one call. Returns the frame after that head
 * (the next victim's successor if no bit is set by then). */
static vmr_pfn_t car_on_replace(void *state, vmr_pfn_t frame, uint64_t old_key,
                                const struct vmr_access *a)
{
    struct car *s = state;
    car_evict(s, frame, old_key);
    car_insert(s, frame, a);
    uint32_t f = car_peek_victim(s);
    victim_name_set(&s->named, f);
    if (f == VMR_PFN_NONE)
        return VMR_PFN_NONE;
    const uint32_t nx = flist_guess_after(s->gl.link, f, s->gl.c);
    gl_prefetch_put(&s->gl, f, nx);
    return nx;
}

static size_t car_report(void *state, struct vmr_policy_counter *out, size_t max)
{
    const struct car *s = state;
    const struct vmr_policy_counter c[] = {
        {"p", (uint64_t)s->p},
        {"b1_hits", s->b1_hits},
        {"b2_hits", s->b2_hits},
        {"ghosts", s->gl.size[GL_B1] + s->gl.size[GL_B2]},
    };
    size_t n = sizeof c / sizeof c[0];
    for (size_t i = 0; i < n && i < max; i++)
        out[i] = c[i];
    return n;
}

/* c follows the size; p keeps its share of c. */
static int car_resize(void **state, uint32_t n_frames, uint8_t *frame_bits)
{
    struct car *s = *state;
    const uint32_t old = s->gl.c;
    if (gl_resize(&s->gl, n_frames) != 0)
        return VMR_ENOMEM;
    s->bits = frame_bits;
    s->p = s->p * n_frames / old;
    car_name(s);
    return 0;
}

const struct vmr_policy_ops vmr_policy_car = {
    .abi_version = VMR_POLICY_ABI_VERSION,
    .flags = VMR_POLICY_WANTS_MISS | VMR_POLICY_PEEK | VMR_POLICY_REPLACE | VMR_POLICY_RESIZE |
             VMR_POLICY_NEXT_VICTIM | VMR_POLICY_NEXT_UNREF,
    .name = "car",
    .summary = "CLOCK with adaptive replacement: ARC's adaptation over two clocks of "
               "referenced bits (Bansal & Modha, FAST 2004)",
    .params = NULL,
    .create = car_create,
    .destroy = car_destroy,
    .on_insert = car_on_insert,
    .select_victim = car_select_victim,
    .on_evict = car_on_evict,
    .on_remove = car_on_remove,
    .report = car_report,
    .on_miss = car_on_miss,
    .peek_victim = car_peek_victim,
    .on_replace = car_on_replace,
    .resize = car_resize,
};
