/*
 * usage.c - the kernel's current occupancy (frames, swap slots, resident
 * pages per process), read between runs for time series. Read-only.
 */
#include "internal.h"

void vmr_kernel_usage(const struct vmr_kernel *k, uint64_t *frames_used, uint64_t *swap_used,
                      uint64_t *rss, size_t n)
{
    *frames_used = k->frames_used;
    *swap_used = k->swap_used;
    if (!rss)
        return;
    size_t m = 0;
    for (size_t i = 0; i < k->n_procs && m < n; i++) {
        const struct proc *p = k->procs[i];
        if (p->leader != p)
            continue;
        rss[m++] = p->mm && p->state == PROC_ALIVE ? p->mm->rss : 0;
    }
}
