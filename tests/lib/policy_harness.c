/*
 * policy_harness.c - see policy_harness.h.
 *
 * Owns the frame table (page of each frame, a free stack), the page -> frame
 * map and the frame_bits array the policy sees.
 * Invariants: a page is in `map` iff it is resident; frame_page[f] is valid
 * iff resident[f]; free frames are exactly those not resident, all on the
 * free stack; PINNED is only ever set by the harness.
 */
#include "policy_harness.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hashmap.h"
#include "rng.h"
#include "vec.h"

struct vmr_ph {
    struct vmr_policy pol;
    const struct vmr_policy_ops *ops;
    uint32_t n_frames;
    uint8_t *bits;
    uint8_t *shadow; /* paranoid mode: the bits as the harness left them */
    uint8_t *resident;
    uint64_t *frame_page;
    uint32_t *free_stack; /* top = next frame handed out */
    uint32_t n_free;
    uint32_t *refused;
    uint32_t n_refused;
    uint32_t refuse;
    int paranoid;
    int scramble;
    struct vmr_rng junk;
    uint64_t time;
    struct vmr_hashmap map;
    struct vmr_ph_stats st;
    char err[512];
};

static int fail(struct vmr_ph *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct vmr_ph *h, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(h->err, sizeof h->err, "policy '%s', time %llu: ", h->pol.spec,
                     (unsigned long long)h->time);
    if (n < 0 || (size_t)n >= sizeof h->err)
        n = 0;
    va_start(ap, fmt);
    vsnprintf(h->err + n, sizeof h->err - (size_t)n, fmt, ap);
    va_end(ap);
    return VMR_EINVAL;
}

void vmr_ph_destroy(struct vmr_ph *h)
{
    if (!h)
        return;
    vmr_policy_close(&h->pol);
    free(h->bits);
    free(h->shadow);
    free(h->resident);
    free(h->frame_page);
    free(h->free_stack);
    free(h->refused);
    vmr_hashmap_release(&h->map);
    free(h);
}

int vmr_ph_create(struct vmr_ph **out, const char *spec, uint32_t n_frames, uint64_t seed,
                  char *err, size_t err_len)
{
    struct vmr_ph *h = calloc(1, sizeof *h);
    if (!h)
        return VMR_ENOMEM;
    size_t n = n_frames ? n_frames : 1;
    h->n_frames = n_frames;
    h->bits = calloc(n, 1);
    h->shadow = calloc(n, 1);
    h->resident = calloc(n, 1);
    h->frame_page = calloc(n, sizeof *h->frame_page);
    h->free_stack = calloc(n, sizeof *h->free_stack);
    h->refused = calloc(n, sizeof *h->refused);
    if (!h->bits || !h->shadow || !h->resident || !h->frame_page || !h->free_stack || !h->refused ||
        vmr_hashmap_init(&h->map, n) != 0) {
        vmr_ph_destroy(h);
        vmr_errf(err, err_len, "out of memory");
        return VMR_ENOMEM;
    }
    for (uint32_t i = 0; i < n_frames; i++)
        h->free_stack[i] = n_frames - 1 - i; /* frame 0 on top */
    h->n_free = n_frames;
    int rc = vmr_policy_open(&h->pol, spec, n_frames, h->bits, seed, err, err_len);
    if (rc != 0) {
        vmr_ph_destroy(h);
        return rc;
    }
    h->ops = h->pol.ops;
    *out = h;
    return 0;
}

/* Paranoid mode: free frames carry these bits, as frames of another
 * process's instance do in local scope (they share frame_bits). */
#define FOREIGN_BITS (VMR_FRAME_REFERENCED | VMR_FRAME_DIRTY)

void vmr_ph_set_scramble(struct vmr_ph *h, int on)
{
    h->scramble = on && (h->ops->flags & VMR_POLICY_NO_ACCESS);
    vmr_rng_seed(&h->junk, 0x5eed);
}

void vmr_ph_set_paranoid(struct vmr_ph *h, int on)
{
    h->paranoid = on;
    for (uint32_t f = 0; f < h->n_frames; f++)
        if (!h->resident[f])
            h->bits[f] = on ? FOREIGN_BITS : 0;
    memcpy(h->shadow, h->bits, h->n_frames);
}

void vmr_ph_refuse(struct vmr_ph *h, uint32_t n)
{
    h->refuse = n;
}

/* Paranoid mode: the policy may only clear REFERENCED, and only on frames
 * it holds. */
static int check_bits(struct vmr_ph *h, const char *after)
{
    if (!h->paranoid)
        return 0;
    for (uint32_t f = 0; f < h->n_frames; f++) {
        uint8_t was = h->shadow[f], now = h->bits[f];
        if (!h->resident[f] && was != now)
            return fail(h, "%s changed the bits of frame %u, which it does not hold", after,
                        (unsigned)f);
        if ((was & ~VMR_FRAME_REFERENCED) != (now & ~VMR_FRAME_REFERENCED) ||
            (now & ~was & VMR_FRAME_REFERENCED))
            return fail(h, "%s changed frame %u bits from 0x%x to 0x%x", after, (unsigned)f,
                        (unsigned)was, (unsigned)now);
    }
    memcpy(h->shadow, h->bits, h->n_frames); /* what it cleared stays cleared */
    return 0;
}

/* The harness itself changed bits: keep the shadow in step. */
static void set_bits(struct vmr_ph *h, uint32_t f, uint8_t v)
{
    h->bits[f] = v;
    h->shadow[f] = v;
}

static void unpin_refused(struct vmr_ph *h)
{
    for (uint32_t i = 0; i < h->n_refused; i++) {
        uint32_t f = h->refused[i];
        set_bits(h, f, (uint8_t)(h->bits[f] & ~VMR_FRAME_PINNED));
    }
    h->n_refused = 0;
}

/* A frame for a new page: a free one, else a victim evicted. Returns 0 with
 * *frame set, VMR_ENOVICTIM or VMR_EINVAL. */
static int get_frame(struct vmr_ph *h, uint32_t *frame)
{
    if (h->n_free > 0) {
        *frame = h->free_stack[--h->n_free];
        return 0;
    }
    for (;;) {
        vmr_pfn_t v = VMR_PFN_NONE;
        /* what a VMR_POLICY_NEXT_VICTIM policy named after its last call */
        const vmr_pfn_t named = h->pol.next_victim;
        const uint8_t named_bits = named < h->n_frames ? h->bits[named] : 0;
        int rc = h->ops->select_victim(h->pol.state, &v);
        if (check_bits(h, "select_victim") != 0)
            return VMR_EINVAL;
        const uint8_t stop = (h->ops->flags & VMR_POLICY_NEXT_UNREF)
                                 ? VMR_FRAME_PINNED | VMR_FRAME_REFERENCED
                                 : VMR_FRAME_PINNED;
        if ((h->ops->flags & VMR_POLICY_NEXT_VICTIM) && named != VMR_PFN_NONE &&
            (named >= h->n_frames || !h->resident[named] ||
             (!(named_bits & stop) && (rc != 0 || v != named))))
            return fail(h, "next_victim named frame %u, select_victim chose %u (rc %d)",
                        (unsigned)named, (unsigned)v, rc);
        if (rc == VMR_ENOVICTIM) {
            for (uint32_t f = 0; f < h->n_frames; f++)
                if (h->resident[f] && !(h->bits[f] & VMR_FRAME_PINNED))
                    return fail(h,
                                "select_victim returned VMR_ENOVICTIM but frame %u is resident "
                                "and unpinned",
                                (unsigned)f);
            unpin_refused(h);
            return VMR_ENOVICTIM;
        }
        if (rc != 0)
            return fail(h, "select_victim returned %d", rc);
        if (v >= h->n_frames)
            return fail(h, "select_victim chose frame %u of %u", (unsigned)v,
                        (unsigned)h->n_frames);
        if (!h->resident[v])
            return fail(h, "select_victim chose free frame %u", (unsigned)v);
        if (h->bits[v] & VMR_FRAME_PINNED)
            return fail(h, "select_victim chose pinned frame %u", (unsigned)v);
        if (h->refuse > 0) {
            h->refuse--;
            h->refused[h->n_refused++] = v;
            set_bits(h, v, (uint8_t)(h->bits[v] | VMR_FRAME_PINNED));
            continue;
        }
        unpin_refused(h);
        uint64_t page = h->frame_page[v];
        if (h->bits[v] & VMR_FRAME_DIRTY)
            h->st.writebacks++;
        h->st.evictions++;
        h->st.victim_hash = (h->st.victim_hash ^ v) * 0x100000001b3ULL;
        vmr_hashmap_remove(&h->map, page);
        h->resident[v] = 0;
        h->ops->on_evict(h->pol.state, v, page);
        if (check_bits(h, "on_evict") != 0)
            return VMR_EINVAL;
        set_bits(h, v, 0);
        *frame = v;
        return 0;
    }
}

int vmr_ph_access(struct vmr_ph *h, uint64_t page, int write, uint64_t next_use)
{
    const uint8_t touch = write ? VMR_FRAME_REFERENCED | VMR_FRAME_DIRTY : VMR_FRAME_REFERENCED;
    struct vmr_access a = {
        .time = h->time,
        .next_use = (h->ops->flags & VMR_POLICY_NEEDS_FUTURE) ? next_use : UINT64_MAX,
        .key = page,
        .pid = 1,
        .count = 1,
        .op = write ? VMR_OP_WRITE : VMR_OP_READ,
    };
    /* what on_insert and on_hit get (on_miss always gets a) */
    struct vmr_access g = a;
    if (h->scramble) {
        g.time = vmr_rng_next(&h->junk);
        g.next_use = vmr_rng_next(&h->junk);
        g.key = vmr_rng_next(&h->junk);
        g.pid = (uint32_t)vmr_rng_next(&h->junk);
        g.count = (uint32_t)vmr_rng_next(&h->junk);
        g.op = (uint8_t)vmr_rng_next(&h->junk);
    }
    const uint64_t *slot = vmr_hashmap_find(&h->map, page);
    if (slot) {
        uint32_t f = (uint32_t)*slot;
        set_bits(h, f, (uint8_t)(h->bits[f] | touch));
        if (h->ops->flags & VMR_POLICY_NEEDS_HITS) {
            h->ops->on_hit(h->pol.state, f, &g);
            if (check_bits(h, "on_hit") != 0)
                return VMR_EINVAL;
        }
        h->st.accesses++;
        h->st.hits++;
        h->time++;
        return 0;
    }
    if (h->ops->flags & VMR_POLICY_WANTS_MISS) {
        h->ops->on_miss(h->pol.state, &a);
        if (check_bits(h, "on_miss") != 0)
            return VMR_EINVAL;
    }
    uint32_t f = 0;
    int rc = get_frame(h, &f);
    if (rc != 0)
        return rc;
    if (vmr_hashmap_put(&h->map, page, f) != 0)
        return fail(h, "out of memory");
    h->resident[f] = 1;
    h->frame_page[f] = page;
    set_bits(h, f, touch);
    h->ops->on_insert(h->pol.state, f, &g);
    if (check_bits(h, "on_insert") != 0)
        return VMR_EINVAL;
    h->st.accesses++;
    h->st.faults++;
    h->time++;
    return 1;
}

int vmr_ph_remove(struct vmr_ph *h, uint64_t page)
{
    const uint64_t *slot = vmr_hashmap_find(&h->map, page);
    if (!slot)
        return 0;
    uint32_t f = (uint32_t)*slot;
    vmr_hashmap_remove(&h->map, page);
    h->resident[f] = 0;
    h->ops->on_remove(h->pol.state, f);
    if (check_bits(h, "on_remove") != 0)
        return VMR_EINVAL;
    set_bits(h, f, h->paranoid ? FOREIGN_BITS : 0);
    h->free_stack[h->n_free++] = f;
    h->st.removes++;
    return 1;
}

int vmr_ph_reclaim(struct vmr_ph *h, uint64_t page)
{
    const uint64_t *slot = vmr_hashmap_find(&h->map, page);
    if (!slot)
        return 0;
    uint32_t f = (uint32_t)*slot;
    vmr_hashmap_remove(&h->map, page);
    h->resident[f] = 0;
    if (h->bits[f] & VMR_FRAME_DIRTY)
        h->st.writebacks++;
    h->st.evictions++;
    h->ops->on_evict(h->pol.state, f, page);
    if (check_bits(h, "on_evict") != 0)
        return VMR_EINVAL;
    set_bits(h, f, h->paranoid ? FOREIGN_BITS : 0);
    h->free_stack[h->n_free++] = f;
    return 1;
}

int vmr_ph_pin(struct vmr_ph *h, uint64_t page, int pinned)
{
    const uint64_t *slot = vmr_hashmap_find(&h->map, page);
    if (!slot)
        return VMR_ENOTFOUND;
    uint32_t f = (uint32_t)*slot;
    uint8_t b = pinned ? (uint8_t)(h->bits[f] | VMR_FRAME_PINNED)
                       : (uint8_t)(h->bits[f] & ~VMR_FRAME_PINNED);
    set_bits(h, f, b);
    return 0;
}

int64_t vmr_ph_frame_of(const struct vmr_ph *h, uint64_t page)
{
    const uint64_t *slot = vmr_hashmap_find(&h->map, page);
    return slot ? (int64_t)*slot : -1;
}

uint32_t vmr_ph_n_resident(const struct vmr_ph *h)
{
    return h->n_frames - h->n_free;
}

const struct vmr_ph_stats *vmr_ph_stats(const struct vmr_ph *h)
{
    return &h->st;
}

const struct vmr_policy *vmr_ph_policy(const struct vmr_ph *h)
{
    return &h->pol;
}

const char *vmr_ph_error(const struct vmr_ph *h)
{
    return h->err;
}

int vmr_ph_next_use(const uint64_t *pages, size_t n, uint64_t **out)
{
    uint64_t *next = malloc((n ? n : 1) * sizeof *next);
    struct vmr_hashmap last;
    if (!next || vmr_hashmap_init(&last, 1024) != 0) {
        free(next);
        return VMR_ENOMEM;
    }
    for (size_t i = n; i-- > 0;) {
        int inserted;
        uint64_t *slot = vmr_hashmap_upsert(&last, pages[i], UINT64_MAX, &inserted);
        if (!slot) {
            vmr_hashmap_release(&last);
            free(next);
            return VMR_ENOMEM;
        }
        next[i] = *slot;
        *slot = i;
    }
    vmr_hashmap_release(&last);
    *out = next;
    return 0;
}

int vmr_ph_run(const char *spec, uint32_t n_frames, const uint64_t *pages, const uint8_t *writes,
               size_t n, uint64_t seed, struct vmr_ph_stats *out, char *err, size_t err_len)
{
    struct vmr_ph *h;
    int rc = vmr_ph_create(&h, spec, n_frames, seed, err, err_len);
    if (rc != 0)
        return rc;
    uint64_t *next = NULL;
    if (h->ops->flags & VMR_POLICY_NEEDS_FUTURE) {
        rc = vmr_ph_next_use(pages, n, &next);
        if (rc != 0) {
            vmr_errf(err, err_len, "out of memory");
            goto out;
        }
    }
    for (size_t i = 0; i < n; i++) {
        rc = vmr_ph_access(h, pages[i], writes ? writes[i] : 0, next ? next[i] : UINT64_MAX);
        if (rc < 0) {
            if (rc == VMR_ENOVICTIM)
                fail(h, "no victim with nothing pinned");
            vmr_errf(err, err_len, "%s", h->err);
            goto out;
        }
    }
    rc = 0;
    *out = h->st;
out:
    free(next);
    vmr_ph_destroy(h);
    return rc;
}

int vmr_ph_load_trc_gz(const char *path, uint64_t **pages, size_t *n)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return VMR_ENOTFOUND;
    /* the path comes from the test itself; quote it anyway */
    if (strchr(path, '\''))
        return VMR_EINVAL;
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "gzip -dc '%s'", path);
    FILE *fp = popen(cmd, "r");
    if (!fp)
        return VMR_EIO;
    uint64_t *v = NULL;
    size_t cap = 0, len = 0;
    unsigned char b[4];
    size_t got;
    int rc = 0;
    while ((got = fread(b, 1, 4, fp)) == 4) {
        if (vmr_grow((void **)&v, &cap, len + 1, sizeof *v) != 0) {
            rc = VMR_ENOMEM;
            break;
        }
        v[len++] = (uint64_t)(((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) |
                              ((uint32_t)b[2] << 8) | b[3]);
    }
    if (rc == 0 && got != 0)
        rc = VMR_EFORMAT;
    int status = pclose(fp);
    if (rc == 0 && status != 0)
        rc = VMR_EIO;
    if (rc != 0) {
        free(v);
        return rc;
    }
    *pages = v;
    *n = len;
    return 0;
}

void vmr_ph_random_string(uint64_t seed, enum vmr_ph_shape shape, size_t n, uint32_t n_pages,
                          uint64_t *pages, uint8_t *writes)
{
    struct vmr_rng r;
    vmr_rng_seed(&r, seed);
    if (n_pages == 0)
        n_pages = 1;
    uint64_t cursor = 0, base = 0;
    uint32_t set = n_pages / 4 ? n_pages / 4 : 1;
    for (size_t i = 0; i < n; i++) {
        uint64_t p;
        switch (shape) {
        case VMR_PH_SKEWED: {
            double u = vmr_rng_double(&r);
            p = (uint64_t)(u * u * u * n_pages);
            break;
        }
        case VMR_PH_LOOP:
            if (vmr_rng_below(&r, 10) == 0)
                p = vmr_rng_below(&r, n_pages);
            else
                p = cursor++ % n_pages;
            break;
        case VMR_PH_PHASES:
            if (i % 300 == 0)
                base = vmr_rng_below(&r, n_pages);
            p = (base + vmr_rng_below(&r, set)) % n_pages;
            break;
        case VMR_PH_UNIFORM:
        case VMR_PH_N_SHAPES:
        default:
            p = vmr_rng_below(&r, n_pages);
            break;
        }
        pages[i] = p < n_pages ? p : n_pages - 1;
        if (writes)
            writes[i] = vmr_rng_below(&r, 10) < 3;
    }
}
