/*
 * oracle.c - the kernel's side of the OPT oracle: the copy-on-write
 * exceptions to next_use[time] (vmr_kernel_set_oracle_cow), consulted on
 * the fault path of write faults only, when exceptions were given; and
 * what the pre-pass needs of its kernel: frames that grow instead of
 * evicting (vmr_kernel_grow_frames) and a policy of its own that watches
 * every touch (vmr_kernel_watch).
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void vmr_kernel_set_oracle_cow(struct vmr_kernel *k, const struct vmr_oracle_cow *cow, size_t n)
{
    k->oracle_cow = cow;
    k->n_oracle_cow = n;
}

uint64_t oracle_cow_next(const struct vmr_kernel *k, uint64_t key)
{
    const uint64_t t = k->time;
    size_t lo = 0, hi = k->n_oracle_cow;
    while (lo < hi) { /* the first exception at t or later */
        size_t mid = lo + (hi - lo) / 2;
        if (k->oracle_cow[mid].time < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < k->n_oracle_cow && k->oracle_cow[lo].time == t; lo++)
        if (k->oracle_cow[lo].key == key)
            return k->oracle_cow[lo].next_use;
    return oracle_at(k, t);
}

int vmr_kernel_grow_frames(struct vmr_kernel *k, uint32_t n)
{
    const uint32_t old = k->n_frames;
    if (n <= old)
        return 0;
    if (n >= NIL || k->scope || !k->policy.ops->resize)
        return VMR_EINVAL;
    /* scratch arrays may grow alone; the others are swapped in at the end */
    uint32_t *skipped = realloc(k->skipped, (size_t)n * sizeof *skipped);
    if (skipped)
        k->skipped = skipped;
    uint32_t *stuck = realloc(k->stuck, (size_t)n * sizeof *stuck);
    if (stuck)
        k->stuck = stuck;
    uint8_t *bits = calloc(n, 1);
    /* the frame table grows in place of the old one (its pages move): a
     * longer table that the policy then refuses is harmless */
    int rc =
        !skipped || !stuck || !bits || frames_table_size(&k->frames_table, n) != 0 ? VMR_ENOMEM : 0;
    k->frames = k->frames_table.base;
    if (rc == 0) {
        memcpy(bits, k->frame_bits, old);
        rc = k->policy.ops->resize(&k->policy.state, n, bits);
    }
    if (rc != 0) {
        free(bits);
        return rc;
    }
    free(k->frame_bits);
    k->frame_bits = bits;
    k->policy.cfg.frame_bits = bits;
    k->policy.cfg.n_frames = n;
    /* the new frames, ascending, ahead of those already free */
    frames_chain_free(k->frames, old, n, k->free_head);
    k->free_head = old;
    k->n_frames = k->cfg.n_frames = n;
    return 0;
}

int vmr_kernel_watch(struct vmr_kernel *k, const struct vmr_policy_ops *ops, void *state)
{
    if (k->scope || k->frames_used)
        return VMR_EINVAL;
    struct vmr_policy_config cfg = k->policy.cfg;
    cfg.errbuf = NULL;
    cfg.errbuf_len = 0;
    vmr_policy_close(&k->policy);
    k->policy.ops = ops;
    k->policy.state = state;
    k->policy.cfg = cfg;
    k->policy.next_victim = VMR_PFN_NONE;
    kernel_policy_set(k);
    return 0;
}
