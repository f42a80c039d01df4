/*
 * mm.c - address spaces: the sorted area (VMA) array and the operations on
 * ranges of it (SEMANTICS.md sections 1, 3 and 5).
 *
 * Areas are half-open page ranges [start, end), sorted and non-overlapping.
 * A new mapping replaces whatever it overlaps (a recorded trace stores where
 * the kernel put each area, so an overlap can only be a MAP_FIXED or page
 * rounding at a larger --page-size). Areas are split where an operation
 * covers part of one; they are not merged back.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "vec.h"

struct mm *mm_create(struct vmr_kernel *k)
{
    struct mm *mm = calloc(1, sizeof *mm);
    if (!mm || pt_init(mm) != 0) {
        free(mm);
        return NULL;
    }
    uint32_t id;
    if (k->n_free_mm_ids) {
        id = k->free_mm_ids[--k->n_free_mm_ids];
    } else {
        if (vmr_grow((void **)&k->mms, &k->cap_mms, k->n_mms + 1, sizeof *k->mms) != 0) {
            pt_release(mm);
            free(mm);
            return NULL;
        }
        id = (uint32_t)k->n_mms++;
    }
    k->mms[id] = mm;
    mm->id = id;
    mm->users = 1;
    return mm;
}

struct vma *mm_find_vma_slow(struct mm *mm, uint64_t vpn)
{
    size_t lo = 0, hi = mm->n_vmas;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (mm->vmas[mid].end <= vpn)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < mm->n_vmas && mm->vmas[lo].start <= vpn) {
        mm->last_vma = lo;
        return &mm->vmas[lo];
    }
    return NULL;
}

/* Index of the first area ending after vpn. */
static size_t first_after(const struct mm *mm, uint64_t vpn)
{
    size_t lo = 0, hi = mm->n_vmas;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (mm->vmas[mid].end <= vpn)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* ---- commit accounting (SEMANTICS.md 1.6) ---------------------------- */

int commit_allowed(const struct vmr_kernel *k, uint64_t pages)
{
    const uint64_t swap = k->cfg.swap_pages;
    const uint64_t ram = k->cfg.commit_frames ? k->cfg.commit_frames : k->n_frames;
    switch (k->cfg.overcommit) {
    case VMR_OVERCOMMIT_ALWAYS:
        return 1;
    case VMR_OVERCOMMIT_STRICT: {
        if (swap == VMR_SWAP_UNLIMITED)
            return 1;
        uint64_t limit = swap + ram * k->cfg.overcommit_ratio / 100;
        return k->committed <= limit && pages <= limit - k->committed;
    }
    default: /* heuristic: only an obviously impossible single charge */
        return swap == VMR_SWAP_UNLIMITED || pages <= ram + swap;
    }
}

void commit_charge(struct vmr_kernel *k, struct mm *mm, uint64_t pages)
{
    k->committed += pages;
    if (k->committed > k->commit_peak)
        k->commit_peak = k->committed;
    if (mm) {
        mm->commit += pages;
        if (mm->leader && mm->commit > mm->leader->commit_peak)
            mm->leader->commit_peak = mm->commit;
    }
}

void commit_uncharge(struct vmr_kernel *k, struct mm *mm, uint64_t pages)
{
    k->committed -= pages;
    if (mm)
        mm->commit -= pages;
}

uint64_t mm_charged_pages(const struct mm *mm, uint64_t start, uint64_t end)
{
    uint64_t n = 0;
    for (size_t i = first_after(mm, start); i < mm->n_vmas && mm->vmas[i].start < end; i++) {
        const struct vma *v = &mm->vmas[i];
        if (v->flags & VF_ACCOUNT)
            n += (v->end < end ? v->end : end) - (v->start > start ? v->start : start);
    }
    return n;
}

void vma_set_account(const struct vmr_kernel *k, struct vma *v, int noreserve)
{
    if (noreserve && k->cfg.overcommit == VMR_OVERCOMMIT_STRICT)
        noreserve = 0; /* strict mode ignores MAP_NORESERVE */
    if (!v->shared && (v->prot & VMR_PROT_WRITE) && !noreserve)
        v->flags |= VF_ACCOUNT;
    else
        v->flags &= (uint8_t)~VF_ACCOUNT;
}

static void obj_ref(struct vmr_kernel *k, const struct vma *v)
{
    if (v->obj != NIL)
        k->objs[v->obj].n_vmas++;
}

/* Frees the pages of a shared anonymous object no area maps any more. */
static void obj_unref(struct vmr_kernel *k, const struct vma *v)
{
    if (v->obj == NIL)
        return;
    struct object *o = &k->objs[v->obj];
    if (--o->n_vmas != 0 || !o->shmem)
        return;
    commit_uncharge(k, NULL, o->commit);
    o->commit = 0;
    for (int pass = 0; pass < 2; pass++) {
        struct vmr_hashmap *m = pass ? &k->shmem_swap : &k->page_cache;
        for (size_t i = 0; m->keys && i <= m->mask;) {
            if (m->used[i] && (m->keys[i] & KEY_OBJ_BIT) && key_obj(m->keys[i]) == v->obj) {
                uint64_t val = m->vals[i];
                if (pass) {
                    vmr_hashmap_remove(m, m->keys[i]);
                    slot_put(k, (uint32_t)val);
                } else {
                    frame_remove(k, (vmr_pfn_t)val); /* removes the cache entry */
                }
                continue; /* removal shifted a later entry into slot i */
            }
            i++;
        }
    }
}

static int insert_vma(struct mm *mm, size_t at, const struct vma *v)
{
    if (vmr_grow((void **)&mm->vmas, &mm->cap_vmas, mm->n_vmas + 1, sizeof *mm->vmas) != 0)
        return VMR_ENOMEM;
    memmove(&mm->vmas[at + 1], &mm->vmas[at], (mm->n_vmas - at) * sizeof *mm->vmas);
    mm->vmas[at] = *v;
    mm->n_vmas++;
    mm->last_vma = at;
    return 0;
}

static void remove_vma(struct mm *mm, size_t at)
{
    memmove(&mm->vmas[at], &mm->vmas[at + 1], (mm->n_vmas - at - 1) * sizeof *mm->vmas);
    mm->n_vmas--;
    mm->last_vma = 0;
}

/* ---- walking PTEs of a range ----------------------------------------- */

typedef void (*pte_fn)(struct vmr_kernel *k, struct mm *mm, const struct vma *v, uint64_t vpn,
                       uint64_t *pte, void *ctx);

/* Calls fn on every non-zero PTE of [start, end) within area v, visiting
 * only leaves that exist: by leaf index when the range is small, by the
 * leaf map when it is sparse (huge PROT_NONE reservations). */
static void walk_ptes(struct vmr_kernel *k, struct mm *mm, const struct vma *v, uint64_t start,
                      uint64_t end, pte_fn fn, void *ctx)
{
    if (start >= end)
        return;
    uint64_t first = start >> LEAF_BITS, last = (end - 1) >> LEAF_BITS;
    if (last - first < 4 * (uint64_t)mm->leaves.n + 16) {
        for (uint64_t lk = first; lk <= last; lk++) {
            uint64_t *lv = vmr_hashmap_find(&mm->leaves, lk);
            if (!lv)
                continue;
            struct leaf *l = (struct leaf *)(uintptr_t)*lv;
            uint64_t lo = lk << LEAF_BITS, hi = lo + LEAF_PTES;
            uint64_t s = start > lo ? start : lo, e = end < hi ? end : hi;
            for (uint64_t vpn = s; vpn < e; vpn++)
                if (l->pte[vpn - lo])
                    fn(k, mm, v, vpn, &l->pte[vpn - lo], ctx);
        }
        return;
    }
    struct vmr_hashmap *m = &mm->leaves;
    for (size_t i = 0; i <= m->mask; i++) {
        if (!m->used[i] || m->keys[i] < first || m->keys[i] > last)
            continue;
        struct leaf *l = (struct leaf *)(uintptr_t)m->vals[i];
        uint64_t lo = m->keys[i] << LEAF_BITS, hi = lo + LEAF_PTES;
        uint64_t s = start > lo ? start : lo, e = end < hi ? end : hi;
        for (uint64_t vpn = s; vpn < e; vpn++)
            if (l->pte[vpn - lo])
                fn(k, mm, v, vpn, &l->pte[vpn - lo], ctx);
    }
}

/* Frees the leaves of [start, end) whose PTEs are all 0. */
static void free_empty_leaves(struct vmr_kernel *k, struct mm *mm, uint64_t start, uint64_t end)
{
    if (start >= end)
        return;
    uint64_t first = start >> LEAF_BITS, last = (end - 1) >> LEAF_BITS;
    if (last - first < 4 * (uint64_t)mm->leaves.n + 16) {
        for (uint64_t lk = first; lk <= last; lk++)
            pt_maybe_free_leaf(k, mm, lk << LEAF_BITS);
        return;
    }
    struct vmr_hashmap *m = &mm->leaves;
    for (size_t i = 0; i <= m->mask;) {
        size_t before = m->n;
        if (m->used[i] && m->keys[i] >= first && m->keys[i] <= last)
            pt_maybe_free_leaf(k, mm, m->keys[i] << LEAF_BITS);
        if (m->n == before)
            i++; /* else an entry was shifted into slot i: look again */
    }
}

struct zap_ctx {
    struct proc *actor;
    int writeback_last; /* the mapping itself goes away (munmap, exit) */
};

static void zap_pte(struct vmr_kernel *k, struct mm *mm, const struct vma *v, uint64_t vpn,
                    uint64_t *pte, void *ctx_)
{
    struct zap_ctx *ctx = ctx_;
    uint64_t e = *pte;
    *pte = 0;
    (void)vpn;
    if (e & PTE_ZERO)
        return;
    if (e & PTE_SWAP) {
        if (e & PTE_SWAP_EXCL) {
            k->swap_used--;
        } else {
            uint32_t s = (uint32_t)pte_payload(e);
            slot_put(k, s);
            /* a page swap read-ahead brought in that nothing maps and only
             * the cache still refers to: free it with its copy */
            vmr_pfn_t c = k->slots[s].refs == 1 ? k->slots[s].cache_pfn : NIL;
            if (c != NIL && k->frames[c].mapcount == 0)
                frame_remove(k, c);
        }
        return;
    }
    vmr_pfn_t pfn = (vmr_pfn_t)pte_payload(e);
    struct frame *f = &k->frames[pfn];
    rmap_del(k, pfn, pte);
    mm_rss_dec(mm);
    if (f->mapcount != 0)
        return;
    if (f->type == FRAME_ANON) {
        frame_remove(k, pfn);
    } else if (ctx->writeback_last && v->shared && !k->objs[v->obj].shmem &&
               (k->frame_bits[pfn] & VMR_FRAME_DIRTY)) {
        /* the last mapping of a dirty shared file page goes away */
        ctx->actor->leader->c.writebacks++;
        k->objs[v->obj].c->writebacks++;
        frame_bits_clear(k, pfn, VMR_FRAME_DIRTY);
    }
}

int mm_unmap(struct vmr_kernel *k, struct proc *actor, struct mm *mm, uint64_t start, uint64_t end)
{
    struct zap_ctx ctx = {.actor = actor, .writeback_last = 1};
    size_t i = first_after(mm, start);
    while (i < mm->n_vmas && mm->vmas[i].start < end) {
        struct vma v = mm->vmas[i];
        uint64_t s = v.start > start ? v.start : start;
        uint64_t e = v.end < end ? v.end : end;
        walk_ptes(k, mm, &v, s, e, zap_pte, &ctx);
        if (v.flags & VF_ACCOUNT)
            commit_uncharge(k, mm, e - s);
        if (s == v.start && e == v.end) {
            remove_vma(mm, i);
            obj_unref(k, &v);
        } else if (s == v.start) {
            mm->vmas[i].pgoff += e - v.start;
            mm->vmas[i].start = e;
            i++;
        } else if (e == v.end) {
            mm->vmas[i].end = s;
            i++;
        } else {
            struct vma right = v;
            right.pgoff += e - v.start;
            right.start = e;
            mm->vmas[i].end = s;
            if (insert_vma(mm, i + 1, &right) != 0)
                return VMR_ENOMEM;
            obj_ref(k, &right);
            i += 2;
        }
    }
    free_empty_leaves(k, mm, start, end);
    return 0;
}

void mm_drop_range(struct vmr_kernel *k, struct proc *actor, struct mm *mm, uint64_t start,
                   uint64_t end)
{
    struct zap_ctx ctx = {.actor = actor, .writeback_last = 0};
    for (size_t i = first_after(mm, start); i < mm->n_vmas && mm->vmas[i].start < end; i++) {
        const struct vma *v = &mm->vmas[i];
        walk_ptes(k, mm, v, v->start > start ? v->start : start, v->end < end ? v->end : end,
                  zap_pte, &ctx);
    }
    free_empty_leaves(k, mm, start, end);
}

/* Clears write permission in every PTE mapping pfn (Linux's page_mkclean
 * after a write-back): the next write through any of them is a fault. */
static void write_protect(struct vmr_kernel *k, vmr_pfn_t pfn)
{
    const struct frame *f = &k->frames[pfn];
    if (f->pte1)
        *f->pte1 &= ~(uint64_t)PTE_WRITE;
    for (uint32_t e = f->rmap; e != NIL; e = k->rmap[e].next)
        *k->rmap[e].pte &= ~(uint64_t)PTE_WRITE;
}

void mm_sync_range(struct vmr_kernel *k, struct proc *actor, struct mm *mm, uint64_t start,
                   uint64_t end)
{
    /* msync writes back the file's dirty pages in the range, whoever
     * dirtied them: look them up in the page cache, not in this mm */
    for (size_t i = first_after(mm, start); i < mm->n_vmas && mm->vmas[i].start < end; i++) {
        const struct vma *v = &mm->vmas[i];
        if (!v->shared || v->obj == NIL || k->objs[v->obj].shmem)
            continue;
        uint64_t s = v->start > start ? v->start : start, e = v->end < end ? v->end : end;
        for (uint64_t vpn = s; vpn < e; vpn++) {
            uint64_t index = v->pgoff + (vpn - v->start);
            if (index > KEY_MAX_INDEX)
                break;
            uint64_t *pfn = vmr_hashmap_find(&k->page_cache, key_obj_page(v->obj, index));
            if (pfn && (k->frame_bits[*pfn] & VMR_FRAME_DIRTY)) {
                frame_bits_clear(k, (vmr_pfn_t)*pfn, VMR_FRAME_DIRTY);
                actor->leader->c.writebacks++;
                k->objs[v->obj].c->writebacks++;
                if (vma_write_notify(k, v))
                    write_protect(k, (vmr_pfn_t)*pfn);
            }
        }
    }
}

/* Splits the area containing vpn (strictly inside it) in two. */
static int split_at(struct vmr_kernel *k, struct mm *mm, uint64_t vpn)
{
    size_t i = first_after(mm, vpn);
    if (i >= mm->n_vmas || mm->vmas[i].start >= vpn)
        return 0;
    struct vma right = mm->vmas[i];
    right.pgoff += vpn - right.start;
    right.start = vpn;
    mm->vmas[i].end = vpn;
    obj_ref(k, &right);
    return insert_vma(mm, i + 1, &right);
}

static void reprotect_pte(struct vmr_kernel *k, struct mm *mm, const struct vma *v, uint64_t vpn,
                          uint64_t *pte, void *ctx)
{
    (void)mm;
    (void)vpn;
    (void)ctx;
    uint64_t e = *pte;
    if (!(e & PTE_PRESENT))
        return;
    vmr_pfn_t pfn = (vmr_pfn_t)pte_payload(e);
    const struct frame *f = &k->frames[pfn];
    /* write permission survives only where no copy-on-write is pending */
    int writable = v->shared ? !vma_write_notify(k, v) || (k->frame_bits[pfn] & VMR_FRAME_DIRTY)
                             : f->type == FRAME_ANON && f->mapcount == 1 &&
                                   (f->swap_slot == NIL || k->slots[f->swap_slot].refs == 1);
    *pte = pte_make(pfn, (unsigned)mm_pte_bits(v, writable));
}

/* A private area that becomes writable is charged then (Linux's
 * mprotect_fixup); one that was writable or is charged already is not. */
static int needs_charge(const struct vma *v, unsigned prot)
{
    return !v->shared && (prot & VMR_PROT_WRITE) && !(v->prot & VMR_PROT_WRITE) &&
           !(v->flags & VF_ACCOUNT);
}

int mm_protect(struct vmr_kernel *k, struct mm *mm, uint64_t start, uint64_t end, unsigned prot)
{
    uint64_t charge = 0;
    for (size_t i = first_after(mm, start); i < mm->n_vmas && mm->vmas[i].start < end; i++) {
        const struct vma *v = &mm->vmas[i];
        if (needs_charge(v, prot))
            charge += (v->end < end ? v->end : end) - (v->start > start ? v->start : start);
    }
    if (charge && !commit_allowed(k, charge))
        return 1; /* ENOMEM: nothing changes */
    int rc = split_at(k, mm, start);
    if (rc == 0)
        rc = split_at(k, mm, end);
    if (rc != 0)
        return rc;
    for (size_t i = first_after(mm, start); i < mm->n_vmas && mm->vmas[i].start < end; i++) {
        struct vma *v = &mm->vmas[i];
        if (needs_charge(v, prot)) {
            v->flags |= VF_ACCOUNT;
            commit_charge(k, mm, v->end - v->start);
        }
        v->prot = (uint8_t)prot;
        walk_ptes(k, mm, v, v->start, v->end, reprotect_pte, NULL);
    }
    return 0;
}

int mm_advise(struct vmr_kernel *k, struct mm *mm, uint64_t start, uint64_t end, unsigned advice)
{
    int rc = split_at(k, mm, start);
    if (rc == 0)
        rc = split_at(k, mm, end);
    if (rc != 0)
        return rc;
    for (size_t i = first_after(mm, start); i < mm->n_vmas && mm->vmas[i].start < end; i++) {
        struct vma *v = &mm->vmas[i];
        v->flags = (uint8_t)((v->flags & ~VF_ADVICE_MASK) | advice << VF_ADVICE_SHIFT);
    }
    return 0;
}

void mm_willneed(struct vmr_kernel *k, struct proc *actor, struct mm *mm, uint64_t start,
                 uint64_t end)
{
    /* Linux starts read-ahead of the file pages (force_page_cache_readahead):
     * they enter the page cache unmapped; later faults on them are minor.
     * Frames come from reclaim, never from an OOM kill. */
    for (size_t i = first_after(mm, start); i < mm->n_vmas && mm->vmas[i].start < end; i++) {
        const struct vma v = mm->vmas[i];
        if (v.obj == NIL || k->objs[v.obj].shmem)
            continue;
        const struct object *o = &k->objs[v.obj];
        uint64_t s = v.start > start ? v.start : start, e = v.end < end ? v.end : end;
        for (uint64_t vpn = s; vpn < e; vpn++) {
            uint64_t index = v.pgoff + (vpn - v.start);
            if (index > KEY_MAX_INDEX ||
                (o->size != VMR_FILE_SIZE_UNKNOWN &&
                 index >= (o->size + (1ULL << k->page_shift) - 1) >> k->page_shift))
                break;
            uint64_t key = key_obj_page(v.obj, index);
            if (vmr_hashmap_find(&k->page_cache, key))
                continue;
            k->no_oom = 1;
            vmr_pfn_t pfn = frame_get(k, actor);
            k->no_oom = 0;
            if (pfn == VMR_PFN_NONE)
                return;
            if (vmr_hashmap_put(&k->page_cache, key, pfn) != 0) {
                frame_unused(k, pfn);
                return;
            }
            frame_setup(k, pfn, FRAME_FILE, key, NIL, 0);
            struct vmr_access a = {.time = k->time,
                                   .next_use = UINT64_MAX,
                                   .key = key,
                                   .pid = actor->pid,
                                   .count = 1,
                                   .op = VMR_OP_READ};
            frame_insert(k, pfn, &a);
            actor->leader->c.file_reads++;
            k->objs[v.obj].c->file_reads++;
            if (actor->state != PROC_ALIVE || mm->n_vmas <= i)
                return;
        }
    }
}

int mm_add_vma(struct vmr_kernel *k, struct mm *mm, const struct vma *v)
{
    size_t at = first_after(mm, v->start);
    int rc = insert_vma(mm, at, v);
    if (rc == 0) {
        mm->vmas[at].ac = area_counters(k, v);
        obj_ref(k, v);
        if (v->flags & VF_ACCOUNT)
            commit_charge(k, mm, v->end - v->start);
    }
    return rc;
}

struct fork_ctx {
    struct mm *child;
    int failed;
};

static void fork_pte(struct vmr_kernel *k, struct mm *mm, const struct vma *v, uint64_t vpn,
                     uint64_t *pte, void *ctx_)
{
    struct fork_ctx *ctx = ctx_;
    (void)mm;
    uint64_t *cpte = pt_lookup_alloc(k, ctx->child, vpn);
    if (!cpte) {
        ctx->failed = 1;
        return;
    }
    if (*pte & PTE_ZERO) {
        *cpte = *pte;
        return;
    }
    if (*pte & PTE_SWAP) {
        if (*pte & PTE_SWAP_EXCL) {
            /* two PTEs will share the copy: it needs a slot that counts them */
            uint32_t s = slot_new(k, pte_payload(*pte));
            if (s == NIL) {
                ctx->failed = 1;
                return;
            }
            k->slots[s].refs = 1; /* this PTE's */
            *pte = pte_make(s, PTE_SWAP);
        }
        k->slots[pte_payload(*pte)].refs++;
        *cpte = *pte;
        return;
    }
    if (!v->shared)
        *pte &= ~(uint64_t)PTE_WRITE; /* both sides copy on their next write */
    *cpte = *pte;
    if (rmap_add(k, (vmr_pfn_t)pte_payload(*pte), ctx->child, cpte) != 0)
        ctx->failed = 1;
    mm_rss_inc(ctx->child);
}

int mm_fork_allowed(const struct vmr_kernel *k, const struct mm *parent)
{
    if (k->cfg.overcommit == VMR_OVERCOMMIT_STRICT)
        return commit_allowed(k, parent->commit);
    /* the other modes judge each area's charge alone, as dup_mmap does */
    for (size_t i = 0; i < parent->n_vmas; i++) {
        const struct vma *v = &parent->vmas[i];
        if ((v->flags & VF_ACCOUNT) && !commit_allowed(k, v->end - v->start))
            return 0;
    }
    return 1;
}

int mm_fork(struct vmr_kernel *k, struct mm *parent, struct mm *child)
{
    struct fork_ctx ctx = {.child = child};
    child->heap_start = parent->heap_start;
    child->brk = parent->brk;
    for (size_t i = 0; i < parent->n_vmas; i++) {
        const struct vma *v = &parent->vmas[i];
        if (mm_add_vma(k, child, v) != 0)
            return VMR_ENOMEM;
        /* Linux copies the page tables of areas with anonymous pages only;
         * the child faults the others in again from the page cache */
        if (k->cfg.fork_anon_only && !(v->flags & VF_ANON_VMA))
            continue;
        walk_ptes(k, parent, v, v->start, v->end, fork_pte, &ctx);
        if (ctx.failed)
            return VMR_ENOMEM;
    }
    return 0;
}

void mm_put(struct vmr_kernel *k, struct mm *mm, struct proc *actor)
{
    if (--mm->users != 0)
        return;
    mm_unmap(k, actor, mm, 0, UINT64_MAX);
    pt_free_all(k, mm);
    pt_release(mm);
    free(mm->vmas);
    k->mms[mm->id] = NULL;
    if (vmr_grow((void **)&k->free_mm_ids, &k->cap_free_mm_ids, k->n_free_mm_ids + 1,
                 sizeof *k->free_mm_ids) == 0)
        k->free_mm_ids[k->n_free_mm_ids++] = mm->id;
    free(mm);
}

int mm_brk(struct vmr_kernel *k, struct proc *actor, struct mm *mm, uint64_t new_brk)
{
    unsigned shift = k->page_shift;
    uint64_t page_mask = (1ULL << shift) - 1;
    uint64_t old_end = (mm->brk >> shift) + ((mm->brk & page_mask) != 0);
    uint64_t new_end = (new_brk >> shift) + ((new_brk & page_mask) != 0);
    if (new_end > old_end && !commit_allowed(k, new_end - old_end))
        return 1; /* ENOMEM: the break stays */
    mm->brk = new_brk;
    if (new_end < old_end)
        return mm_unmap(k, actor, mm, new_end, old_end);
    if (new_end == old_end)
        return 0;
    int rc = mm_unmap(k, actor, mm, old_end, new_end);
    if (rc != 0)
        return rc;
    size_t i = first_after(mm, old_end - 1);
    if (old_end > 0 && i < mm->n_vmas && mm->vmas[i].end == old_end &&
        mm->vmas[i].kind == VMA_HEAP) {
        mm->vmas[i].end = new_end;
        if (mm->vmas[i].flags & VF_ACCOUNT)
            commit_charge(k, mm, new_end - old_end);
        return 0;
    }
    struct vma heap = {.start = old_end,
                       .end = new_end,
                       .obj = NIL,
                       .prot = VMR_PROT_READ | VMR_PROT_WRITE,
                       .kind = VMA_HEAP};
    vma_set_account(k, &heap, 0);
    return mm_add_vma(k, mm, &heap);
}
