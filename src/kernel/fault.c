/*
 * fault.c - the page-fault paths (SEMANTICS.md sections 1, 2 and 5.3).
 *
 * Called when an access finds no PTE allowing it. Like Linux's
 * handle_pte_fault, it dispatches on the PTE: none -> anonymous zero-fill or
 * object (file / shared anonymous) page; swap entry -> swap-in; present but
 * not writable -> write-protect fault (copy-on-write: copy, or reuse when
 * the writer is the only user). One call resolves one fault, counted once:
 * major if it waited for a file read or a swap-in, minor otherwise.
 *
 * Frame bits are set before the policy's on_insert/on_hit, so a policy sees
 * the state the access leaves (and may clear REFERENCED on insert).
 */
#include "fault_fast.h"

static uint8_t access_bits(unsigned op)
{
    return op == VMR_OP_WRITE ? VMR_FRAME_REFERENCED | VMR_FRAME_DIRTY : VMR_FRAME_REFERENCED;
}

/* The access touched a page that was already resident (a minor fault that
 * found it in the page or swap cache): tell the policy as for a hit. `bits`
 * are what the access sets on this frame (no DIRTY when a private write is
 * about to go to a copy). */
static void touch_resident(struct fault *f, vmr_pfn_t pfn, uint8_t bits)
{
    struct vmr_kernel *k = f->k;
    k->frame_bits[pfn] |= bits;
    if ((k->policy_flags & VMR_POLICY_NEEDS_HITS) && !(k->frame_bits[pfn] & FRAME_PARKED)) {
        struct vmr_access a = access_for(f, k->frames[pfn].key);
        k->policy.ops->on_hit(k->policy.state, pfn, &a);
    }
}

vmr_pfn_t fault_got_frame(struct fault *f, vmr_pfn_t pfn)
{
    if (f->p->state != PROC_ALIVE) {
        if (pfn != VMR_PFN_NONE)
            frame_unused(f->k, pfn);
        return VMR_PFN_NONE;
    }
    if (pfn == VMR_PFN_NONE && !f->k->broken)
        proc_kill(f->k, f->p, VMR_KILLED_OOM); /* nothing could be freed: this process dies */
    return pfn;
}

/* A frame for the new page `key`, or VMR_PFN_NONE if the faulting process
 * died while memory was found (OOM kill) or none could be found. */
static inline __attribute__((always_inline)) vmr_pfn_t get_frame(struct fault *f, uint64_t key)
{
    tell_miss(f, key);
    if (__builtin_expect(f->k->scope != NULL, 0)) /* local scope may reclaim with frames free */
        return fault_got_frame(f, frame_get(f->k, f->p));
    vmr_pfn_t pfn = f->k->free_head;
    if (pfn != NIL)
        return frame_get(f->k, f->p); /* no reclaim: nobody can have died */
    return fault_got_frame(f, frame_reclaim(f->k, f->p));
}

static void map_pte(struct fault *f, vmr_pfn_t pfn, int writable)
{
    *f->pte = pte_make(pfn, (unsigned)mm_pte_bits(f->v, writable));
    if (rmap_add(f->k, pfn, f->mm, f->pte) != 0) {
        kernel_set_error(f->k, "out of memory");
        f->k->broken = 1;
    }
    mm_rss_inc(f->mm);
}

static vmr_pfn_t new_anon_page(struct fault *f, uint8_t bits)
{
    vmr_pfn_t pfn = get_frame(f, f->k->anon_serial + 1);
    if (pfn != VMR_PFN_NONE)
        anon_frame_init(f, pfn, ++f->k->anon_serial, bits);
    return pfn;
}

static inline __attribute__((always_inline)) int do_anon_page(struct fault *f, uint64_t e)
{
    vmr_pfn_t pfn = get_frame(f, e ? pte_payload(e) : f->k->anon_serial + 1);
    if (pfn == VMR_PFN_NONE)
        return 0;
    anon_page_into(f, e, pfn, 0, 0, 0);
    return 1;
}

/* Copy-on-write: the PTE (if present) stops mapping `old`, and a private
 * copy is mapped writable. `old` is pinned while the copy's frame is found. */
static int cow_copy(struct fault *f, vmr_pfn_t old)
{
    struct vmr_kernel *k = f->k;
    frame_bits_set(k, old, VMR_FRAME_PINNED);
    vmr_pfn_t pfn = new_anon_page(f, VMR_FRAME_REFERENCED | VMR_FRAME_DIRTY);
    frame_bits_clear(k, old, VMR_FRAME_PINNED);
    if (pfn == VMR_PFN_NONE)
        return 0;
    struct frame *of = &k->frames[old];
    if (*f->pte & PTE_PRESENT) {
        rmap_del(k, old, f->pte);
        mm_rss_dec(f->mm);
    }
    map_pte(f, pfn, 1);
    f->v->flags |= VF_ANON_VMA;
    f->c->cow_copies++;
    f->ac->cow_copies++;
    if (of->mapcount == 0 && of->type == FRAME_ANON)
        frame_remove(k, old);
    return 1;
}

/* Exclusive: no other PTE maps the page or holds its swap copy, so a write
 * may change it in place. */
static int anon_exclusive(const struct vmr_kernel *k, const struct frame *fr)
{
    return fr->mapcount == 1 && (fr->swap_slot == NIL || k->slots[fr->swap_slot].refs == 1);
}

/* Write to a present page whose PTE withholds write permission. */
static int do_wp_page(struct fault *f)
{
    struct vmr_kernel *k = f->k;
    vmr_pfn_t pfn = (vmr_pfn_t)pte_payload(*f->pte);
    struct frame *fr = &k->frames[pfn];
    if (f->v->shared) {
        *f->pte |= PTE_WRITE;
        touch_resident(f, pfn, access_bits(f->op));
        return 1;
    }
    if (fr->type == FRAME_ANON && anon_exclusive(k, fr)) {
        *f->pte |= PTE_WRITE;
        uncache_slot(k, fr); /* the swap copy is about to be stale */
        touch_resident(f, pfn, access_bits(f->op));
        f->c->cow_reuses++;
        f->ac->cow_reuses++;
        return 1;
    }
    return cow_copy(f, pfn);
}

static int do_swap_page(struct fault *f)
{
    struct vmr_kernel *k = f->k;
    uint32_t s = (uint32_t)pte_payload(*f->pte);
    vmr_pfn_t pfn = k->slots[s].cache_pfn;
    if (pfn != VMR_PFN_NONE) {
        touch_resident(f, pfn, VMR_FRAME_REFERENCED); /* still in the swap cache: minor */
    } else {
        pfn = get_frame(f, k->slots[s].key);
        if (pfn == VMR_PFN_NONE)
            return 0;
        frame_setup(k, pfn, FRAME_ANON, k->slots[s].key, s,
                    access_bits(f->op) & VMR_FRAME_REFERENCED);
        k->slots[s].cache_pfn = pfn;
        k->slots[s].refs++;
        struct vmr_access a = access_for(f, k->slots[s].key);
        frame_insert(k, pfn, &a);
        f->c->swap_ins++;
        f->ac->swap_ins++;
        f->major = 1;
    }
    slot_put(k, s); /* the PTE's reference; the cache keeps the slot */
    struct frame *fr = &k->frames[pfn];
    int exclusive = fr->mapcount == 0 && k->slots[s].refs == 1;
    if (exclusive)
        slot_make_excl(k, fr); /* back on the fast path for its next eviction */
    *f->pte = 0;
    map_pte(f, pfn, exclusive);
    if (f->op != VMR_OP_WRITE)
        return 1;
    if (exclusive) {
        uncache_slot(k, fr);
        k->frame_bits[pfn] |= VMR_FRAME_DIRTY;
        return 1;
    }
    return cow_copy(f, pfn);
}

/* Pages of object o's file: the first page index wholly past its end. */
static uint64_t file_pages(const struct vmr_kernel *k, const struct object *o)
{
    if (o->shmem || o->size == VMR_FILE_SIZE_UNKNOWN)
        return UINT64_MAX;
    return (o->size + (1ULL << k->page_shift) - 1) >> k->page_shift;
}

/* linux mode: a read fault on an object area also maps the pages around
 * it that are in the page cache (Linux's do_fault_around with
 * fault_around_bytes / page size pages): the window is aligned to that many
 * virtual pages, clipped to the area, to the 512-entry page-table page and
 * to the file; only empty PTEs are filled, read-only unless the area is
 * shared without write-notify. No access, so no frame bit changes. */
static void fault_around(struct fault *f)
{
    struct vmr_kernel *k = f->k;
    const struct vma *v = f->v;
    const uint64_t n = k->cfg.fault_around;
    const uint64_t leaf0 = f->vpn & ~(uint64_t)(LEAF_PTES - 1);
    uint64_t from = f->vpn - f->vpn % n, to;
    from = from > v->start ? from : v->start;
    from = from > leaf0 ? from : leaf0;
    to = from + n;
    to = to < leaf0 + LEAF_PTES ? to : leaf0 + LEAF_PTES;
    to = to < v->end ? to : v->end;
    const uint64_t eof = file_pages(k, &k->objs[v->obj]);
    const uint64_t bits = mm_pte_bits(v, v->shared && !vma_write_notify(k, v));
    uint64_t *leaf = f->pte - (f->vpn - leaf0);
    for (uint64_t vpn = from; vpn < to; vpn++) {
        uint64_t *pte = &leaf[vpn - leaf0];
        uint64_t index = v->pgoff + (vpn - v->start);
        if (vpn == f->vpn || *pte)
            continue;
        if (index >= eof || index > KEY_MAX_INDEX)
            break;
        uint64_t *cached = vmr_hashmap_find(&k->page_cache, key_obj_page(v->obj, index));
        if (!cached)
            continue;
        *pte = pte_make(*cached, (unsigned)bits);
        if (rmap_add(k, (vmr_pfn_t)*cached, f->mm, pte) != 0) {
            *pte = 0;
            kernel_set_error(k, "out of memory");
            k->broken = 1;
            return;
        }
        mm_rss_inc(f->mm);
    }
}

/* linux mode: after a swap-in, the other swapped-out pages of the window
 * of cfg.swap_readahead virtual pages aligned around the fault (clipped to
 * the area and the page-table page) are read into the swap cache too
 * (Linux's swap_vma_readahead with a fixed window of 2^page_cluster pages;
 * the kernel adapts it to the hit rate). They stay unmapped; touching one
 * later is a minor fault. Frames come from reclaim, never an OOM kill; the
 * faulting page is pinned meanwhile. */
static void swap_readahead(struct fault *f)
{
    struct vmr_kernel *k = f->k;
    const struct vma *v = f->v;
    const uint64_t n = k->cfg.swap_readahead;
    const uint64_t leaf0 = f->vpn & ~(uint64_t)(LEAF_PTES - 1);
    uint64_t from = f->vpn - f->vpn % n, to = from + n;
    from = from > v->start ? from : v->start;
    from = from > leaf0 ? from : leaf0;
    to = to < leaf0 + LEAF_PTES ? to : leaf0 + LEAF_PTES;
    to = to < v->end ? to : v->end;
    if (!(*f->pte & PTE_PRESENT))
        return;
    const vmr_pfn_t pinned = (vmr_pfn_t)pte_payload(*f->pte);
    uint64_t *leaf = f->pte - (f->vpn - leaf0);
    frame_bits_set(k, pinned, VMR_FRAME_PINNED);
    k->no_oom = 1;
    for (uint64_t vpn = from; vpn < to; vpn++) {
        uint64_t *pte = &leaf[vpn - leaf0];
        const uint64_t e = *pte;
        if (vpn == f->vpn || !(e & PTE_SWAP))
            continue;
        uint32_t s;
        if (e & PTE_SWAP_EXCL) {
            /* the swap cache needs a slot that counts the PTE and itself */
            s = slot_new(k, pte_payload(e));
            if (s == NIL)
                break;
            k->slots[s].refs = 1;
            *pte = pte_make(s, PTE_SWAP);
        } else {
            s = (uint32_t)pte_payload(e);
            if (k->slots[s].cache_pfn != NIL)
                continue;
        }
        vmr_pfn_t pfn = frame_get(k, f->p);
        if (pfn == VMR_PFN_NONE)
            break;
        frame_setup(k, pfn, FRAME_ANON, k->slots[s].key, s, 0);
        k->slots[s].cache_pfn = pfn;
        k->slots[s].refs++;
        struct vmr_access a = access_for(f, k->slots[s].key);
        frame_insert(k, pfn, &a);
        f->c->swap_ins++;
        f->ac->swap_ins++;
    }
    k->no_oom = 0;
    frame_bits_clear(k, pinned, VMR_FRAME_PINNED);
}

static void sigbus(struct vmr_kernel *k, struct proc *p)
{
    if (k->cfg.on_segv == VMR_SEGV_KILL)
        proc_kill(k, p, VMR_KILLED_SIGBUS);
}

/* A page of the area's object: a file, or shared anonymous memory. */
static int do_object_page(struct fault *f)
{
    struct vmr_kernel *k = f->k;
    struct vma *v = f->v;
    const struct object *o = &k->objs[v->obj];
    uint64_t index = v->pgoff + (f->vpn - v->start);
    if (index >= file_pages(k, o)) {
        if (k->cfg.sigbus) { /* linux mode: SIGBUS, not a fault */
            f->c->sigbus++;
            f->ac->sigbus++;
            sigbus(k, f->p);
            return 0;
        }
        v->flags |= VF_ANON_VMA;
        return do_anon_page(f, 0); /* wholly past the end of the file: zero-filled */
    }
    if (f->op != VMR_OP_WRITE && k->cfg.fault_around > 1) {
        fault_around(f);
        if (k->broken)
            return 0;
    }
    if (index > KEY_MAX_INDEX) {
        kernel_set_error(k, "file offset beyond 2^%d pages", KEY_INDEX_BITS);
        k->broken = 1;
        return 0;
    }
    uint64_t key = key_obj_page(v->obj, index);
    uint64_t *cached = vmr_hashmap_find(&k->page_cache, key);
    vmr_pfn_t pfn;
    if (cached) {
        pfn = (vmr_pfn_t)*cached;
        touch_resident(f, pfn, v->shared ? access_bits(f->op) : VMR_FRAME_REFERENCED);
    } else {
        pfn = get_frame(f, key);
        if (pfn == VMR_PFN_NONE)
            return 0;
        struct frame *fr = &k->frames[pfn];
        frame_setup(k, pfn, FRAME_FILE, key, NIL, 0);
        uint8_t bits = access_bits(f->op);
        uint64_t *slot = o->shmem ? vmr_hashmap_find(&k->shmem_swap, key) : NULL;
        if (slot) {
            uint32_t s = (uint32_t)*slot;
            vmr_hashmap_remove(&k->shmem_swap, key); /* its reference moves to the cache */
            fr->swap_slot = s;
            k->slots[s].cache_pfn = pfn;
            f->c->swap_ins++;
            f->ac->swap_ins++;
            f->major = 1;
        } else if (o->shmem) {
            bits |= VMR_FRAME_DIRTY;
            f->c->zero_fill++;
            f->ac->zero_fill++;
        } else {
            f->c->file_reads++;
            f->ac->file_reads++;
            f->major = 1;
        }
        if (vmr_hashmap_put(&k->page_cache, key, pfn) != 0) {
            kernel_set_error(k, "out of memory");
            k->broken = 1;
            return 0;
        }
        if (!v->shared)
            bits &= (uint8_t)~VMR_FRAME_DIRTY; /* a private write dirties the copy */
        k->frame_bits[pfn] = bits;
        struct vmr_access a = access_for(f, key);
        frame_insert(k, pfn, &a);
    }
    if (v->shared) {
        /* write-notify: a clean page is mapped read-only */
        map_pte(f, pfn, f->op == VMR_OP_WRITE || !vma_write_notify(k, v));
        return 1;
    }
    if (f->op == VMR_OP_WRITE)
        return cow_copy(f, pfn); /* private write: the file page stays clean in the cache */
    map_pte(f, pfn, 0);
    return 1;
}

static void segv(struct vmr_kernel *k, struct proc *p)
{
    if (k->cfg.on_segv == VMR_SEGV_KILL)
        proc_kill(k, p, VMR_KILLED_SEGV);
}

/* The fault path, in two copies: `lm` is whether any linux-mode knob that
 * acts on the common faults is on (zero page, swap read-ahead, fork copying
 * only areas with anonymous pages, which needs VF_ANON_VMA kept), so the
 * seeds' semantics pay nothing for them. */
static inline __attribute__((always_inline)) void fault_common(struct vmr_kernel *k, struct proc *p,
                                                               uint64_t vpn, uint64_t *pte,
                                                               unsigned op, uint32_t count,
                                                               const int lm)
{
    struct fault f;
    f.k = k;
    f.p = p;
    f.mm = p->mm;
    f.c = &p->leader->c;
    f.vpn = vpn;
    f.op = op;
    f.count = count;
    f.major = 0;
    f.pf = k->policy_flags;
    f.v = mm_find_vma(f.mm, vpn);
    if (!f.v) {
        f.c->segv_unmapped++;
        segv(k, p);
        return;
    }
    f.ac = f.v->ac;
    if (!(f.v->prot & op_prot[op])) {
        f.c->segv_protection++;
        f.ac->segv_protection++;
        segv(k, p);
        return;
    }
    f.pte = pte ? pte : pt_lookup_alloc(k, f.mm, vpn);
    if (!f.pte) {
        kernel_set_error(k, "out of memory");
        k->broken = 1;
        return;
    }
    uint64_t e = *f.pte;
    int done;
    if (e & PTE_PRESENT) {
        if (op == VMR_OP_WRITE) {
            done = do_wp_page(&f);
        } else {
            /* the area allows it but the PTE lagged behind (e.g. after
             * mprotect): refresh its bits */
            *f.pte = (e & ~(uint64_t)(PTE_READ | PTE_EXEC)) |
                     (mm_pte_bits(f.v, 0) & (PTE_READ | PTE_EXEC));
            touch_resident(&f, (vmr_pfn_t)pte_payload(e), VMR_FRAME_REFERENCED);
            done = 1;
        }
    } else if (e & PTE_SWAP_EXCL || (!e && f.v->obj == NIL)) {
        if (lm && k->cfg.zero_page && !e && op != VMR_OP_WRITE) {
            *f.pte = PTE_ZERO; /* map the shared zero page: no anon_vma yet */
            done = 1;
        } else {
            done = do_anon_page(&f, e);
            if (lm && done)
                f.v->flags |= VF_ANON_VMA;
        }
    } else if (lm && (e & PTE_ZERO)) {
        if (op != VMR_OP_WRITE)
            return; /* reading the zero page is no fault (the PTE has no frame) */
        *f.pte = 0;
        done = do_anon_page(&f, 0);
        if (done)
            f.v->flags |= VF_ANON_VMA;
    } else if (e & PTE_SWAP) {
        done = do_swap_page(&f);
    } else {
        done = do_object_page(&f);
    }
    if (!done)
        return;
    if (f.major) {
        f.c->major_faults++;
        f.ac->major_faults++;
        if (lm && k->cfg.swap_readahead > 1 && (e & PTE_SWAP) && p->state == PROC_ALIVE)
            swap_readahead(&f);
    } else {
        f.c->minor_faults++;
        f.ac->minor_faults++;
    }
}

void fault_handle(struct vmr_kernel *k, struct proc *p, uint64_t vpn, uint64_t *pte, unsigned op,
                  uint32_t count)
{
    if (!pte || !fault_fast(k, p, vpn, pte, op, count, k->policy_flags))
        fault_general(k, p, vpn, pte, op, count);
}

void fault_general(struct vmr_kernel *k, struct proc *p, uint64_t vpn, uint64_t *pte, unsigned op,
                   uint32_t count)
{
    if (k->linux_faults)
        fault_common(k, p, vpn, pte, op, count, 1);
    else
        fault_common(k, p, vpn, pte, op, count, 0);
}
