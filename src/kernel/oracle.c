/*
 * oracle.c - the kernel's side of the OPT oracle: the copy-on-write
 * exceptions to next_use[time] (vmr_kernel_set_oracle_cow). Consulted on
 * the fault path of write faults only, when exceptions were given.
 */
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
    return k->next_use[t];
}
