/*
 * usage.c - the kernel's current occupancy (frames, swap slots, resident
 * pages per process), read between runs for time series. Read-only.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "vec.h"

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

static int any_counted(const struct vmr_counters *c)
{
    for (size_t i = 0; i < VMR_N_COUNTERS; i++)
        if (vmr_counter_get(c, i))
            return 1;
    return 0;
}

const struct vmr_area_report *vmr_kernel_area_stats(const struct vmr_kernel *k_, size_t *n)
{
    static const char *const kind_name[VMA_N_KINDS] = {"[anon]", NULL, "[heap]", "[stack]"};
    struct vmr_kernel *k = (struct vmr_kernel *)k_;
    *n = 0;
    if (vmr_grow((void **)&k->area_report, &k->cap_area_report, k->n_objs + VMA_N_KINDS + 1,
                 sizeof *k->area_report) != 0)
        return NULL;
    size_t m = 0;
    for (int kind = 0; kind < VMA_N_KINDS; kind++)
        if (kind_name[kind] && any_counted(&k->kind_c[kind]))
            k->area_report[m++] = (struct vmr_area_report){kind_name[kind], k->kind_c[kind]};
    /* shared anonymous objects are many and nameless: one [shmem] entry */
    struct vmr_area_report shm = {"[shmem]", {0}};
    for (size_t i = 0; i < k->n_objs; i++)
        if (k->objs[i].shmem)
            vmr_counters_merge(&shm.c, k->objs[i].c);
    if (any_counted(&shm.c))
        k->area_report[m++] = shm;
    /* file objects are one per path (declare_file) */
    for (size_t i = 0; i < k->n_objs; i++)
        if (!k->objs[i].shmem && any_counted(k->objs[i].c))
            k->area_report[m++] = (struct vmr_area_report){k->objs[i].path, *k->objs[i].c};
    *n = m;
    return k->area_report;
}
