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

/* ---- page identity (for the OPT pre-pass) ------------------------------ */

/* The address space of the live process pid, or NULL. */
static struct mm *live_mm(const struct vmr_kernel *k, uint32_t pid)
{
    const struct proc *p = k->cached_proc;
    if (!p || k->cached_pid != pid) {
        const uint64_t *idx = vmr_hashmap_find(&k->pid_to_proc, pid);
        p = idx ? k->procs[*idx] : NULL;
    }
    return p && p->state == PROC_ALIVE ? p->mm : NULL;
}

uint64_t vmr_kernel_page_key(const struct vmr_kernel *k, vmr_pid_t pid, vmr_vaddr_t addr,
                             unsigned op)
{
    static const uint8_t need[3] = {PTE_PRESENT | PTE_READ, PTE_PRESENT | PTE_WRITE,
                                    PTE_PRESENT | PTE_EXEC};
    struct mm *mm = live_mm(k, pid);
    const uint64_t *pte = mm && op < 3 ? pt_lookup(mm, addr >> k->page_shift) : NULL;
    if (!pte || (*pte & need[op]) != need[op])
        return VMR_KEY_UNKNOWN;
    return k->frames[pte_payload(*pte)].key;
}

uint64_t vmr_kernel_cow_source_key(const struct vmr_kernel *k, vmr_pid_t pid, vmr_vaddr_t addr)
{
    struct mm *mm = live_mm(k, pid);
    if (!mm)
        return VMR_KEY_UNKNOWN;
    const uint64_t vpn = addr >> k->page_shift;
    const uint64_t *pte = pt_lookup(mm, vpn);
    const uint64_t e = pte ? *pte : 0;
    if (e & PTE_PRESENT)
        return (e & PTE_WRITE) ? VMR_KEY_UNKNOWN : k->frames[pte_payload(e)].key;
    if (e & PTE_SWAP)
        return (e & PTE_SWAP_EXCL) ? pte_payload(e) : k->slots[pte_payload(e)].key;
    if (e)
        return VMR_KEY_UNKNOWN; /* the zero page */
    const struct vma *v = mm_find_vma(mm, vpn);
    if (!v || v->obj == NIL || v->shared)
        return VMR_KEY_UNKNOWN;
    const struct object *o = &k->objs[v->obj];
    const uint64_t index = v->pgoff + (vpn - v->start);
    if (index > KEY_MAX_INDEX ||
        (!o->shmem && o->size != VMR_FILE_SIZE_UNKNOWN &&
         index >= (o->size + (1ULL << k->page_shift) - 1) >> k->page_shift))
        return VMR_KEY_UNKNOWN; /* wholly past the end of the file: zero-filled */
    return key_obj_page(v->obj, index);
}

void vmr_kernel_prefetch_page(const struct vmr_kernel *k, vmr_pid_t pid, vmr_vaddr_t addr,
                              int frame)
{
    struct mm *mm = live_mm(k, pid);
    const uint64_t *pte = mm ? pt_lookup(mm, addr >> k->page_shift) : NULL;
    if (!pte)
        return;
    if (!frame) {
        __builtin_prefetch(pte);
    } else if (*pte & PTE_PRESENT) {
        __builtin_prefetch(&k->frames[pte_payload(*pte)]);
        __builtin_prefetch(&k->frame_bits[pte_payload(*pte)], 1);
    }
}
