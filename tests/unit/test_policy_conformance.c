/*
 * test_policy_conformance.c - the protocol every registered policy (and the
 * example plug-in) must keep, whatever its algorithm:
 *   - select_victim returns a resident, unpinned frame, or VMR_ENOVICTIM
 *     exactly when every resident frame is pinned;
 *   - on_remove, or on_evict of a frame it did not choose (kernel
 *     reclaim), of any resident frame at any time, and reuse of freed
 *     frames in any order, keep it consistent;
 *   - a victim refused by the kernel (pinned, asked again) is not lost;
 *   - only REFERENCED may be changed in frame_bits, only cleared, and only
 *     on frames the policy holds (free frames carry foreign bits, as other
 *     processes' frames do in local scope);
 *   - the same seed gives the same victims (and a VMR_POLICY_NO_ACCESS
 *     policy the same when its accesses carry garbage); the frame count is respected
 *     (frame n-1 is used; ASan checks the arrays are sized by n_frames);
 *   - ghost lists stay bounded: a policy that keeps ghosts reports their
 *     number as the counter "ghosts", at most 2 x frames + 2 with the
 *     default parameters, after every operation.
 * The harness checks the protocol on every call (paranoid mode).
 */
#include <stdlib.h>
#include <string.h>

#include "policy_harness.h"
#include "rng.h"
#include "testlib.h"

static const uint32_t frame_counts[] = {1, 2, 3, 7, 16, 61};
#define N_COUNTS (sizeof frame_counts / sizeof frame_counts[0])

struct op {
    uint8_t kind; /* 0 access, 1 remove, 2 pin, 3 unpin, 4 refuse, 5 reclaim */
    uint8_t write;
    uint64_t page;
};

/* A random mix of operations; next_use is over the accesses only. */
static struct op *make_ops(uint64_t seed, size_t n, uint32_t n_pages, uint64_t **next_out)
{
    struct vmr_rng r;
    vmr_rng_seed(&r, seed);
    struct op *ops = malloc(n * sizeof *ops);
    uint64_t *next = malloc(n * sizeof *next);
    uint64_t *last = malloc(n_pages * sizeof *last);
    for (size_t i = 0; i < n; i++) {
        uint64_t x = vmr_rng_below(&r, 100);
        ops[i].kind = x < 80 ? 0 : x < 85 ? 1 : x < 91 ? 2 : x < 96 ? 3 : x < 98 ? 4 : 5;
        ops[i].write = vmr_rng_below(&r, 3) == 0;
        ops[i].page = vmr_rng_below(&r, n_pages);
    }
    for (uint32_t p = 0; p < n_pages; p++)
        last[p] = UINT64_MAX;
    for (size_t i = n; i-- > 0;) {
        if (ops[i].kind != 0)
            continue;
        next[i] = last[ops[i].page];
        last[ops[i].page] = i;
    }
    /* times count accesses only, as the harness's clock does */
    uint64_t *time_of = malloc(n * sizeof *time_of);
    uint64_t t = 0;
    for (size_t i = 0; i < n; i++)
        time_of[i] = ops[i].kind == 0 ? t++ : UINT64_MAX;
    for (size_t i = 0; i < n; i++)
        if (ops[i].kind == 0 && next[i] != UINT64_MAX)
            next[i] = time_of[next[i]];
    free(time_of);
    free(last);
    *next_out = next;
    return ops;
}

/* Replays the mix; returns the stats, or fails the test. */
static int replay(const char *spec, uint32_t frames, uint64_t seed, int scramble,
                  struct vmr_ph_stats *out)
{
    enum { N = 4000 };
    uint32_t n_pages = frames * 2 + 3;
    uint64_t *next;
    struct op *ops = make_ops(seed, N, n_pages, &next);
    struct vmr_ph *h;
    char err[512];
    int rc = vmr_ph_create(&h, spec, frames, seed, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", spec, err);
        free(ops);
        free(next);
        return rc;
    }
    vmr_ph_set_paranoid(h, 1);
    vmr_ph_set_scramble(h, scramble);
    uint32_t max_frame = 0;
    for (size_t i = 0; i < N && rc >= 0; i++) {
        const struct op *o = &ops[i];
        switch (o->kind) {
        case 0: {
            rc = vmr_ph_access(h, o->page, o->write, next[i]);
            if (rc == VMR_ENOVICTIM)
                rc = 0; /* the harness has checked that all are pinned */
            int64_t f = vmr_ph_frame_of(h, o->page);
            if (f > (int64_t)max_frame)
                max_frame = (uint32_t)f;
            break;
        }
        case 1:
            rc = vmr_ph_remove(h, o->page);
            break;
        case 2:
        case 3:
            vmr_ph_pin(h, o->page, o->kind == 2);
            break;
        case 4:
            vmr_ph_refuse(h, 1 + (uint32_t)(o->page % 3));
            break;
        default:
            rc = vmr_ph_reclaim(h, o->page);
            break;
        }
        const struct vmr_policy *pol = vmr_ph_policy(h);
        if (pol->ops->report) {
            struct vmr_policy_counter c[16];
            size_t nc = pol->ops->report(pol->state, c, 16);
            for (size_t j = 0; j < nc && j < 16; j++)
                if (strcmp(c[j].name, "ghosts") == 0 && c[j].value > 2 * (uint64_t)frames + 2) {
                    fprintf(stderr, "%s: %llu ghosts with %u frames\n", spec,
                            (unsigned long long)c[j].value, (unsigned)frames);
                    rc = VMR_EINVAL;
                }
        }
        if (vmr_ph_n_resident(h) > frames) {
            fprintf(stderr, "%s: %u resident > %u frames\n", spec, vmr_ph_n_resident(h),
                    (unsigned)frames);
            rc = VMR_EINVAL;
        }
    }
    if (rc < 0)
        fprintf(stderr, "%s, %u frames, seed %llu: %s\n", spec, (unsigned)frames,
                (unsigned long long)seed, vmr_ph_error(h));
    CHECK(rc >= 0);
    CHECK(frames == 1 || max_frame == frames - 1);
    *out = *vmr_ph_stats(h);
    vmr_ph_destroy(h);
    free(ops);
    free(next);
    return rc < 0 ? rc : 0;
}

static void test_random_protocol(const char *spec)
{
    for (size_t k = 0; k < N_COUNTS; k++) {
        for (uint64_t seed = 1; seed <= 4; seed++) {
            struct vmr_ph_stats a, b;
            if (replay(spec, frame_counts[k], seed, 0, &a) != 0)
                return;
            CHECK(a.evictions > 0 && a.removes > 0);
            /* deterministic for a given seed; a VMR_POLICY_NO_ACCESS policy
             * chooses the same victims when its accesses carry garbage */
            if (replay(spec, frame_counts[k], seed, 1, &b) != 0)
                return;
            CHECK_EQ_U64(a.faults, b.faults);
            CHECK_EQ_U64(a.evictions, b.evictions);
            CHECK_EQ_U64(a.victim_hash, b.victim_hash);
        }
    }
}

/* All pinned -> VMR_ENOVICTIM; unpin one -> that one is the victim. */
static void test_all_pinned(const char *spec)
{
    for (size_t k = 0; k < N_COUNTS; k++) {
        uint32_t frames = frame_counts[k];
        struct vmr_ph *h;
        char err[512];
        if (vmr_ph_create(&h, spec, frames, 7, err, sizeof err) != 0) {
            fprintf(stderr, "%s: %s\n", spec, err);
            vmr_test_failures++;
            return;
        }
        vmr_ph_set_paranoid(h, 1);
        for (uint64_t p = 0; p < frames; p++) {
            /* the future: pages come back in order, the new one never */
            CHECK(vmr_ph_access(h, p, p & 1, 1000 + p) == 1);
            CHECK(vmr_ph_pin(h, p, 1) == 0);
        }
        CHECK(vmr_ph_access(h, 0, 0, 2000) == 0); /* a hit needs no frame */
        CHECK(vmr_ph_access(h, frames, 0, UINT64_MAX) == VMR_ENOVICTIM);
        CHECK(vmr_ph_frame_of(h, frames) < 0);
        CHECK_EQ_U64(vmr_ph_n_resident(h), frames);
        uint64_t loose = frames / 2;
        CHECK(vmr_ph_pin(h, loose, 0) == 0);
        CHECK(vmr_ph_access(h, frames, 0, UINT64_MAX) == 1);
        CHECK(vmr_ph_frame_of(h, loose) < 0);
        for (uint64_t p = 0; p < frames; p++)
            if (p != loose)
                CHECK(vmr_ph_frame_of(h, p) >= 0);
        /* the kernel refuses the only candidate: nothing else is left */
        vmr_ph_refuse(h, 1);
        CHECK(vmr_ph_access(h, frames + 1, 0, UINT64_MAX) == VMR_ENOVICTIM);
        CHECK(vmr_ph_frame_of(h, frames) >= 0);
        CHECK(vmr_ph_access(h, frames + 1, 0, UINT64_MAX) == 1);
        CHECK(vmr_ph_frame_of(h, frames) < 0);
        CHECK(strcmp(vmr_ph_error(h), "") == 0);
        vmr_ph_destroy(h);
    }
}

/* Remove every page in a scrambled order at various fill levels, then
 * refill from the freed frames (in LIFO order, not the policy's). */
static void test_remove_any(const char *spec)
{
    const uint32_t frames = 16;
    struct vmr_rng r;
    vmr_rng_seed(&r, 99);
    struct vmr_ph *h;
    char err[512];
    if (vmr_ph_create(&h, spec, frames, 3, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", spec, err);
        vmr_test_failures++;
        return;
    }
    vmr_ph_set_paranoid(h, 1);
    uint64_t page = 0;
    for (int round = 0; round < 200; round++) {
        uint32_t fill = (uint32_t)vmr_rng_below(&r, frames * 2);
        for (uint32_t i = 0; i < fill; i++) {
            /* a few hits, so CLOCK has set bits and LRU reorders */
            uint64_t p =
                vmr_rng_below(&r, 4) == 0 && page > 0 ? page - 1 - vmr_rng_below(&r, 3) : page++;
            CHECK(vmr_ph_access(h, p, 0, UINT64_MAX) >= 0);
        }
        uint32_t drop = (uint32_t)vmr_rng_below(&r, frames + 1);
        for (uint32_t i = 0; i < drop; i++) {
            uint64_t p = page > 0 ? vmr_rng_below(&r, page) : 0;
            CHECK(vmr_ph_remove(h, p) >= 0);
        }
        if (round % 50 == 49) {
            for (uint64_t p = 0; p < page; p++)
                CHECK(vmr_ph_remove(h, p) >= 0);
            CHECK_EQ_U64(vmr_ph_n_resident(h), 0);
            /* an empty policy has no victim; the harness never asks it then,
             * so ask directly */
            const struct vmr_policy *pol = vmr_ph_policy(h);
            vmr_pfn_t v;
            CHECK(pol->ops->select_victim(pol->state, &v) == VMR_ENOVICTIM);
        }
    }
    if (vmr_ph_error(h)[0])
        fprintf(stderr, "%s\n", vmr_ph_error(h));
    CHECK(vmr_ph_error(h)[0] == '\0');
    vmr_ph_destroy(h);
}

static void test_flags(const struct vmr_policy_ops *ops)
{
    CHECK_EQ_U64(ops->abi_version, VMR_POLICY_ABI_VERSION);
    CHECK(ops->name && ops->summary && ops->create && ops->destroy && ops->on_insert &&
          ops->select_victim && ops->on_evict && ops->on_remove);
    CHECK(!(ops->flags & VMR_POLICY_NEEDS_HITS) == !ops->on_hit);
    if (ops->flags & VMR_POLICY_NEEDS_FUTURE)
        CHECK(ops->flags & VMR_POLICY_NEEDS_HITS);
    ops->destroy(NULL);
}

static void check_policy(const char *spec)
{
    fprintf(stderr, "conformance: %s\n", spec);
    int before = vmr_test_failures;
    test_random_protocol(spec);
    test_all_pinned(spec);
    test_remove_any(spec);
    if (vmr_test_failures != before)
        fprintf(stderr, "conformance: %s FAILED\n", spec);
}

int main(void)
{
    size_t n;
    const struct vmr_policy_ops *const *ops = vmr_policy_builtins(&n);
    CHECK(n >= 19);
    size_t with_ghosts = 0;
    for (size_t i = 0; i < n; i++) {
        /* the policies that keep ghosts must say how many */
        struct vmr_ph *h;
        char err[512];
        if (vmr_ph_create(&h, ops[i]->name, 4, 1, err, sizeof err) == 0) {
            const struct vmr_policy *pol = vmr_ph_policy(h);
            struct vmr_policy_counter c[16];
            size_t nc = pol->ops->report ? pol->ops->report(pol->state, c, 16) : 0;
            for (size_t j = 0; j < nc && j < 16; j++)
                with_ghosts += strcmp(c[j].name, "ghosts") == 0;
            vmr_ph_destroy(h);
        }
        test_flags(ops[i]);
        check_policy(ops[i]->name);
    }
    CHECK_EQ_U64(with_ghosts, 6); /* 2q arc car lirs clockpro s3fifo */
#ifdef VMR_PLUGIN_EXAMPLE
    check_policy(VMR_PLUGIN_EXAMPLE);
    check_policy(VMR_PLUGIN_EXAMPLE ":retries=0");
#endif
    return vmr_test_done();
}
