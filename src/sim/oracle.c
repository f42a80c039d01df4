/*
 * oracle.c - the pre-pass that gives OPT its knowledge of the future.
 *
 * For every page touch t (each page an access record covers, in trace
 * order: the kernel's virtual clock) it finds the time of the next touch of
 * the same page of the same address space. Address spaces are tracked as the
 * kernel does (asid.h). Memory: 8 bytes per touch for the result, plus one
 * map entry per distinct page.
 */
#include <stdlib.h>
#include <string.h>

#include "asid.h"
#include "hashmap.h"
#include "vec.h"
#include "vmreplay/sim.h"

struct oracle {
    struct asids as;
    struct vmr_hashmap *pages; /* per address space: vpn -> last touch */
    size_t n_pages, cap_pages;
};

/* The page map of asid, creating the maps up to it. */
static struct vmr_hashmap *pages_of(struct oracle *o, uint64_t asid)
{
    while (o->n_pages <= asid) {
        if (vmr_grow((void **)&o->pages, &o->cap_pages, o->n_pages + 1, sizeof *o->pages) != 0 ||
            vmr_hashmap_init(&o->pages[o->n_pages], 64) != 0)
            return NULL;
        o->n_pages++;
    }
    return &o->pages[asid];
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
    int rc = recs ? asids_init(&o.as) : VMR_ENOMEM;
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
            uint64_t asid;
            if (!vmr_rec_is_access(rec->kind)) {
                rc = asids_event(&o.as, rec, &asid);
                continue;
            }
            rc = asids_of(&o.as, rec->pid, &asid);
            struct vmr_hashmap *pages = rc == 0 ? pages_of(&o, asid) : NULL;
            if (!pages)
                rc = VMR_ENOMEM;
            uint64_t first = rec->addr >> page_shift;
            uint64_t last = (rec->addr + rec->size - 1) >> page_shift;
            if (rc == 0 && t + (last - first + 1) > cap &&
                vmr_grow((void **)&next, &cap, t + (last - first + 1), sizeof *next) != 0)
                rc = VMR_ENOMEM;
            for (uint64_t vpn = first; rc == 0; vpn++) {
                int inserted;
                uint64_t *prev = vmr_hashmap_upsert(pages, vpn, t, &inserted);
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
    for (size_t i = 0; i < o.n_pages; i++)
        vmr_hashmap_release(&o.pages[i]);
    free(o.pages);
    asids_release(&o.as);
    free(recs);
    if (rc != 0) {
        free(next);
        return rc;
    }
    *next_use = next;
    *n_touches = t;
    return 0;
}
