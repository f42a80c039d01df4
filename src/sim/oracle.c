/*
 * oracle.c - the pre-pass that gives OPT its knowledge of the future.
 *
 * For every page touch t (each page an access record covers, in trace
 * order: the kernel's virtual clock) it finds the time of the next touch of
 * the same page of the same address space. Address spaces are tracked as the
 * kernel does: a thread shares its creator's; fork, exec and a pid first
 * seen (or seen again after it exited) start new ones. Memory: 8 bytes per
 * touch for the result, plus one map entry per distinct page.
 */
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"
#include "vec.h"
#include "vmreplay/sim.h"

struct oracle {
    struct vmr_hashmap pid_asid; /* pid -> address space */
    struct vmr_hashmap *pages;   /* per address space: vpn -> last touch */
    uint32_t *asid_owner;        /* pid whose exit ends the address space */
    size_t n_asids, cap_pages, cap_owner;
};

static int new_asid(struct oracle *o, uint32_t pid, uint64_t *asid)
{
    if (vmr_grow((void **)&o->pages, &o->cap_pages, o->n_asids + 1, sizeof *o->pages) != 0 ||
        vmr_grow((void **)&o->asid_owner, &o->cap_owner, o->n_asids + 1, sizeof *o->asid_owner) !=
            0 ||
        vmr_hashmap_init(&o->pages[o->n_asids], 64) != 0)
        return VMR_ENOMEM;
    o->asid_owner[o->n_asids] = pid;
    *asid = o->n_asids++;
    return vmr_hashmap_put(&o->pid_asid, pid, *asid);
}

static int asid_of(struct oracle *o, uint32_t pid, uint64_t *asid)
{
    uint64_t *a = vmr_hashmap_find(&o->pid_asid, pid);
    if (a) {
        *asid = *a;
        return 0;
    }
    return new_asid(o, pid, asid);
}

static void end_asid_of(struct oracle *o, uint32_t pid)
{
    uint64_t *a = vmr_hashmap_find(&o->pid_asid, pid);
    if (!a)
        return;
    uint64_t asid = *a;
    if (o->asid_owner[asid] != pid) {
        vmr_hashmap_remove(&o->pid_asid, pid); /* a thread: only itself */
        return;
    }
    struct vmr_hashmap *m = &o->pid_asid; /* the group: every pid sharing it */
    for (size_t i = 0; i <= m->mask;) {
        if (m->used[i] && m->vals[i] == asid) {
            vmr_hashmap_remove(m, m->keys[i]);
            continue;
        }
        i++;
    }
}

static int event(struct oracle *o, const struct vmr_record *r)
{
    uint64_t asid;
    switch (r->kind) {
    case VMR_REC_FORK:
        if (asid_of(o, r->pid, &asid) != 0)
            return VMR_ENOMEM;
        return new_asid(o, r->arg, &asid);
    case VMR_REC_THREAD:
        if (asid_of(o, r->pid, &asid) != 0)
            return VMR_ENOMEM;
        return vmr_hashmap_put(&o->pid_asid, r->arg, asid);
    case VMR_REC_EXEC:
        if (r->err)
            return 0;
        return new_asid(o, r->pid, &asid);
    case VMR_REC_EXIT:
        end_asid_of(o, r->pid);
        return 0;
    default:
        return 0;
    }
}

int vmr_oracle_compute(struct vmr_trace_reader *r, unsigned page_shift, uint64_t **next_use,
                       uint64_t *n_touches, char *errbuf, size_t errbuf_len)
{
    enum { BATCH = 4096 };
    struct oracle o = {0};
    struct vmr_record *recs = malloc(BATCH * sizeof *recs);
    uint64_t *next = NULL;
    size_t cap = 0;
    uint64_t t = 0;
    int rc = recs ? vmr_hashmap_init(&o.pid_asid, 16) : VMR_ENOMEM;
    while (rc == 0) {
        size_t n;
        rc = vmr_trace_reader_next(r, recs, BATCH, &n);
        if (rc != 0) {
            vmr_errf(errbuf, errbuf_len, "%s", vmr_trace_reader_error(r));
            break;
        }
        if (n == 0)
            break;
        for (size_t i = 0; i < n && rc == 0; i++) {
            const struct vmr_record *rec = &recs[i];
            if (!vmr_rec_is_access(rec->kind)) {
                rc = event(&o, rec);
                continue;
            }
            uint64_t asid;
            rc = asid_of(&o, rec->pid, &asid);
            uint64_t first = rec->addr >> page_shift;
            uint64_t last = (rec->addr + rec->size - 1) >> page_shift;
            if (rc == 0 && t + (last - first + 1) > cap &&
                vmr_grow((void **)&next, &cap, t + (last - first + 1), sizeof *next) != 0)
                rc = VMR_ENOMEM;
            for (uint64_t vpn = first; rc == 0; vpn++) {
                int inserted;
                uint64_t *prev = vmr_hashmap_upsert(&o.pages[asid], vpn, t, &inserted);
                if (!prev) {
                    rc = VMR_ENOMEM;
                    break;
                }
                if (!inserted)
                    next[*prev] = t;
                *prev = t;
                next[t++] = UINT64_MAX;
                if (vpn == last)
                    break;
            }
        }
        if (rc == VMR_ENOMEM)
            vmr_errf(errbuf, errbuf_len, "out of memory in the oracle pass (%llu page touches)",
                     (unsigned long long)t);
    }
    for (size_t i = 0; i < o.n_asids; i++)
        vmr_hashmap_release(&o.pages[i]);
    free(o.pages);
    free(o.asid_owner);
    vmr_hashmap_release(&o.pid_asid);
    free(recs);
    if (rc != 0) {
        free(next);
        return rc;
    }
    *next_use = next;
    *n_touches = t;
    return 0;
}
