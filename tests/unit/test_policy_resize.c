/*
 * test_policy_resize.c - the optional resize op (VMR_POLICY_RESIZE), which
 * local scope uses to size each process's instance by its quota:
 *   - every built-in that sets the flag has the op;
 *   - grown, an instance goes on as one created at the larger size: for
 *     every resizable policy after a prefix without evictions (ARC's and
 *     CAR's p and ghosts are then those of any size);
 *   - shrunk (every held frame below the new size) and used again, FIFO,
 *     LRU, CLOCK, SIEVE, RANDOM, GCLOCK, OPT, Linux and LFU, whose choices do not
 *     depend on the size, choose as an instance that was never resized;
 *   - the others (ARC, CAR, 2Q, S3-FIFO, LIRS, SLRU, NRU, WSClock, Aging,
 *     CLOCK-Pro) shrunk
 *     keep their ghosts within the bounds of the new size (ARC's and CAR's
 *     p within it too), and go on running, grown again too (their asserts
 *     check the lists).
 * The driver below plays the kernel: pages in frames, the lowest free
 * frame first, referenced/dirty bits set on every access.
 */
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "testlib.h"
#include "vmreplay/policy.h"

#define MAXF 256u

struct drv {
    const struct vmr_policy_ops *ops;
    void *state;
    uint8_t *bits;
    uint32_t size;   /* the instance's frame count */
    uint32_t usable; /* frames the driver fills before evicting */
    uint64_t page[MAXF];
    uint64_t time;
    uint64_t victims; /* a hash of the victims, in order */
    uint64_t n_evictions;
    struct vmr_policy_config cfg; /* outlives the state, as the ABI asks */
    char err[256];
};

static int drv_open(struct drv *d, const struct vmr_policy_ops *ops, uint32_t size)
{
    memset(d, 0, sizeof *d);
    d->ops = ops;
    d->size = d->usable = size;
    d->bits = calloc(MAXF, 1);
    d->cfg = (struct vmr_policy_config){.n_frames = size,
                                        .frame_bits = d->bits,
                                        .seed = 1,
                                        .errbuf = d->err,
                                        .errbuf_len = sizeof d->err};
    for (uint32_t f = 0; f < MAXF; f++)
        d->page[f] = UINT64_MAX;
    if (!d->bits || ops->create(&d->cfg, &d->state) != 0) {
        fprintf(stderr, "%s: create(%u) failed\n", ops->name, (unsigned)size);
        vmr_test_failures++;
        return -1;
    }
    return 0;
}

static void drv_close(struct drv *d)
{
    d->ops->destroy(d->state);
    free(d->bits);
}

/* Resizes the instance to `size` frames (bits copied into a new array). */
static int drv_resize(struct drv *d, uint32_t size)
{
    uint8_t *nb = calloc(MAXF, 1);
    if (!nb)
        return -1;
    memcpy(nb, d->bits, d->size < size ? d->size : size);
    if (d->ops->resize(&d->state, size, nb) != 0) {
        free(nb);
        fprintf(stderr, "%s: resize(%u) failed\n", d->ops->name, (unsigned)size);
        vmr_test_failures++;
        return -1;
    }
    free(d->bits);
    d->bits = nb;
    d->size = size;
    return 0;
}

static void drv_access(struct drv *d, uint64_t page, int write)
{
    const uint8_t set = VMR_FRAME_REFERENCED | (write ? VMR_FRAME_DIRTY : 0);
    struct vmr_access a = {.time = d->time++,
                           .next_use = UINT64_MAX,
                           .key = page,
                           .pid = 1,
                           .count = 1,
                           .op = write ? VMR_OP_WRITE : VMR_OP_READ};
    uint32_t f, free_f = UINT32_MAX;
    for (f = 0; f < d->usable; f++) {
        if (d->page[f] == page)
            break;
        if (d->page[f] == UINT64_MAX && free_f == UINT32_MAX)
            free_f = f;
    }
    if (f < d->usable) {
        d->bits[f] |= set;
        if (d->ops->on_hit)
            d->ops->on_hit(d->state, f, &a);
        return;
    }
    if (d->ops->flags & VMR_POLICY_WANTS_MISS)
        d->ops->on_miss(d->state, &a);
    if (free_f == UINT32_MAX) {
        vmr_pfn_t v;
        if (d->ops->select_victim(d->state, &v) != 0 || v >= d->usable ||
            d->page[v] == UINT64_MAX) {
            fprintf(stderr, "%s: bad victim\n", d->ops->name);
            vmr_test_failures++;
            return;
        }
        d->ops->on_evict(d->state, v, d->page[v]);
        d->victims = d->victims * 1000003u + v * 31u + d->page[v];
        d->n_evictions++;
        d->page[v] = UINT64_MAX;
        free_f = v;
    }
    d->page[free_f] = page;
    d->bits[free_f] = set;
    d->ops->on_insert(d->state, free_f, &a);
}

/* Accesses n pages drawn from `pages` distinct ones (a skewed mix). */
static void drv_run(struct drv *d, struct vmr_rng *r, size_t n, uint64_t pages)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t x = vmr_rng_below(r, pages);
        if (vmr_rng_below(r, 2))
            x = x % (pages / 4 + 1);
        drv_access(d, x, vmr_rng_below(r, 4) == 0);
    }
}

static int size_free(const char *name)
{
    static const char *const names[] = {"fifo",   "lru",    "clock", "sieve",
                                        "random", "gclock", "opt",   "linux"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i]) == 0)
            return 1;
    return 0;
}

static void test_grow(const struct vmr_policy_ops *ops)
{
    /* a prefix without evictions (12 pages in 16 frames), then 64 frames */
    struct drv a, b;
    if (drv_open(&a, ops, 16) != 0 || drv_open(&b, ops, 64) != 0)
        return;
    struct vmr_rng ra, rb;
    vmr_rng_seed(&ra, 7);
    vmr_rng_seed(&rb, 7);
    drv_run(&a, &ra, 200, 12);
    drv_run(&b, &rb, 200, 12);
    CHECK_EQ_U64(a.n_evictions, 0);
    if (drv_resize(&a, 64) == 0) {
        a.usable = 64;
        drv_run(&a, &ra, 5000, 200);
        drv_run(&b, &rb, 5000, 200);
        CHECK(a.n_evictions > 1000);
        if (a.victims != b.victims) {
            fprintf(stderr, "%s: grown from 16 to 64 frames, chooses unlike one created at 64\n",
                    ops->name);
            vmr_test_failures++;
        }
    }
    drv_close(&a);
    drv_close(&b);
}

static void test_size_free(const struct vmr_policy_ops *ops)
{
    /* 16 frames used all along: a resized 16 -> 64 -> 16 (with evictions
     * before each resize), b created at 64 */
    struct drv a, b;
    if (drv_open(&a, ops, 16) != 0 || drv_open(&b, ops, 64) != 0)
        return;
    b.usable = 16;
    struct vmr_rng ra, rb;
    vmr_rng_seed(&ra, 11);
    vmr_rng_seed(&rb, 11);
    drv_run(&a, &ra, 2000, 60);
    drv_run(&b, &rb, 2000, 60);
    if (drv_resize(&a, 64) == 0) {
        drv_run(&a, &ra, 2000, 60);
        drv_run(&b, &rb, 2000, 60);
        if (drv_resize(&a, 16) == 0) {
            drv_run(&a, &ra, 2000, 60);
            drv_run(&b, &rb, 2000, 60);
        }
    }
    CHECK(a.n_evictions > 1000);
    if (a.victims != b.victims || a.n_evictions != b.n_evictions) {
        fprintf(stderr, "%s: resized 16 -> 64 -> 16, chooses unlike one never resized\n",
                ops->name);
        vmr_test_failures++;
    }
    drv_close(&a);
    drv_close(&b);
}

/* Policies with ghosts, shrunk with many: the bounds of the smaller size
 * hold. */
static void test_shrink_ghosts(const struct vmr_policy_ops *ops)
{
    struct drv a;
    if (drv_open(&a, ops, 64) != 0)
        return;
    struct vmr_rng r;
    vmr_rng_seed(&r, 3);
    drv_run(&a, &r, 5000, 300);
    /* free every frame from 16 up, as pages unmapped */
    for (uint32_t f = 16; f < 64; f++)
        if (a.page[f] != UINT64_MAX) {
            a.ops->on_remove(a.state, f);
            a.page[f] = UINT64_MAX;
        }
    if (drv_resize(&a, 16) == 0) {
        a.usable = 16;
        struct vmr_policy_counter c[16];
        size_t n = ops->report ? ops->report(a.state, c, 16) : 0;
        for (size_t i = 0; i < n && i < 16; i++) {
            if (strcmp(c[i].name, "ghosts") == 0 && c[i].value > 16) {
                fprintf(stderr, "%s: %llu ghosts after shrinking to 16 frames\n", ops->name,
                        (unsigned long long)c[i].value);
                vmr_test_failures++;
            }
            if (strcmp(c[i].name, "p") == 0)
                CHECK(c[i].value <= 16);
        }
        uint64_t before = a.n_evictions;
        drv_run(&a, &r, 3000, 300);
        CHECK(a.n_evictions > before + 1000);
        if (drv_resize(&a, 40) == 0) { /* and up again */
            a.usable = 40;
            drv_run(&a, &r, 3000, 300);
        }
    }
    drv_close(&a);
}

int main(void)
{
    size_t n;
    const struct vmr_policy_ops *const *ops = vmr_policy_builtins(&n);
    int resizable = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(ops[i]->flags & VMR_POLICY_RESIZE))
            continue;
        resizable++;
        if (!ops[i]->resize) {
            fprintf(stderr, "%s: VMR_POLICY_RESIZE without resize\n", ops[i]->name);
            vmr_test_failures++;
            continue;
        }
        test_grow(ops[i]);
        if (size_free(ops[i]->name))
            test_size_free(ops[i]);
        else
            test_shrink_ghosts(ops[i]);
    }
    CHECK_EQ_U64(resizable, n); /* every built-in */
    return vmr_test_done();
}
