/*
 * asid.c - address spaces from the trace's fork/thread/exec/exit records
 * (asid.h). Memory: one map entry per live pid, 4 bytes per address space.
 */
#include "asid.h"

#include <stdlib.h>

#include "vec.h"

int asids_init(struct asids *a)
{
    a->owner = NULL;
    a->n = a->cap = 0;
    return vmr_hashmap_init(&a->pid_asid, 16);
}

void asids_release(struct asids *a)
{
    vmr_hashmap_release(&a->pid_asid);
    free(a->owner);
    a->owner = NULL;
}

static int new_asid(struct asids *a, uint32_t pid, uint64_t *asid)
{
    if (vmr_grow((void **)&a->owner, &a->cap, a->n + 1, sizeof *a->owner) != 0)
        return VMR_ENOMEM;
    a->owner[a->n] = pid;
    *asid = a->n++;
    return vmr_hashmap_put(&a->pid_asid, pid, *asid);
}

int asids_of(struct asids *a, uint32_t pid, uint64_t *asid)
{
    uint64_t *v = vmr_hashmap_find(&a->pid_asid, pid);
    if (v) {
        *asid = *v;
        return 0;
    }
    return new_asid(a, pid, asid);
}

/* An exit: a thread leaves alone; the owner takes every pid sharing it. */
static uint64_t end_of(struct asids *a, uint32_t pid)
{
    uint64_t *v = vmr_hashmap_find(&a->pid_asid, pid);
    if (!v)
        return ASID_NONE;
    uint64_t asid = *v;
    if (a->owner[asid] != pid) {
        vmr_hashmap_remove(&a->pid_asid, pid);
        return ASID_NONE;
    }
    struct vmr_hashmap *m = &a->pid_asid;
    for (size_t i = 0; i <= m->mask;) {
        if (m->used[i] && m->vals[i] == asid) {
            vmr_hashmap_remove(m, m->keys[i]);
            continue;
        }
        i++;
    }
    return asid;
}

int asids_event(struct asids *a, const struct vmr_record *r, uint64_t *ended)
{
    uint64_t asid, *old;
    *ended = ASID_NONE;
    switch (r->kind) {
    case VMR_REC_FORK:
        if (asids_of(a, r->pid, &asid) != 0)
            return VMR_ENOMEM;
        return new_asid(a, r->arg, &asid);
    case VMR_REC_THREAD:
        if (asids_of(a, r->pid, &asid) != 0)
            return VMR_ENOMEM;
        return vmr_hashmap_put(&a->pid_asid, r->arg, asid);
    case VMR_REC_EXEC:
        if (r->err)
            return 0;
        old = vmr_hashmap_find(&a->pid_asid, r->pid);
        if (old && a->owner[*old] == r->pid)
            *ended = *old;
        return new_asid(a, r->pid, &asid);
    case VMR_REC_EXIT:
        *ended = end_of(a, r->pid);
        return 0;
    default:
        return 0;
    }
}
