/*
 * areas.c - looking at address spaces from outside the kernel: the area
 * list of live processes (what /proc/PID/maps shows) and the hook called at
 * mark records, so that a caller can look at chosen points of a replay.
 * Read-only: nothing here changes the kernel's state.
 */
#include <string.h>

#include "internal.h"

void vmr_kernel_set_mark_hook(struct vmr_kernel *k, vmr_mark_fn fn, void *ctx)
{
    k->mark_fn = fn;
    k->mark_ctx = ctx;
}

static int list_proc(const struct vmr_kernel *k, const struct proc *p, vmr_area_fn fn, void *ctx)
{
    const struct mm *mm = p->mm;
    const unsigned shift = k->page_shift;
    struct vmr_proc_layout pl = {
        .pid = p->pid,
        .comm = p->comm,
        .entry = mm->entry,
        .start = mm->start_pc,
        .brk_start = mm->heap_start,
        .brk = mm->brk,
        .n_areas = mm->n_vmas,
    };
    int rc = fn(ctx, &pl, NULL);
    for (size_t i = 0; rc == 0 && i < mm->n_vmas; i++) {
        const struct vma *v = &mm->vmas[i];
        struct vmr_area a = {
            .start = v->start << shift,
            .end = v->end << shift,
            .prot = v->prot,
            .shared = v->shared,
        };
        if (v->obj != NIL) {
            const struct object *o = &k->objs[v->obj];
            a.offset = v->pgoff << shift;
            a.path = o->path;
            if (o->shmem)
                a.name = "/dev/zero (deleted)";
        } else if (v->kind == VMA_HEAP) {
            a.name = "[heap]";
        } else if (v->kind == VMA_STACK) {
            a.name = "[stack]";
        }
        rc = fn(ctx, &pl, &a);
    }
    return rc;
}

int vmr_kernel_areas(const struct vmr_kernel *k, vmr_pid_t pid, vmr_area_fn fn, void *ctx)
{
    int found = 0;
    for (size_t i = 0; i < k->n_procs; i++) {
        const struct proc *p = k->procs[i];
        /* a thread group is listed once, by its leader */
        if (p->leader != p || p->state != PROC_ALIVE || !p->mm || (pid && p->pid != pid))
            continue;
        found = 1;
        int rc = list_proc(k, p, fn, ctx);
        if (rc != 0)
            return rc;
    }
    return found || pid == 0 ? 0 : VMR_ENOTFOUND;
}
