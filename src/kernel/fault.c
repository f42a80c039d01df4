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
#include "internal.h"

static const uint8_t op_prot[3] = {VMR_PROT_READ, VMR_PROT_WRITE, VMR_PROT_EXEC};

struct fault {
    struct vmr_kernel *k;
    struct proc *p;
    struct mm *mm;
    struct vma *v;
    struct vmr_counters *c;
    uint64_t vpn;
    uint64_t *pte;
    unsigned op;
    uint32_t count;
    int major;
};

static inline __attribute__((always_inline)) struct vmr_access access_for(const struct fault *f,
                                                                          uint64_t key)
{
    const struct vmr_kernel *k = f->k;
    return (struct vmr_access){
        .time = k->time,
        .next_use = k->next_use && k->time < k->n_next_use ? k->next_use[k->time] : UINT64_MAX,
        .key = key,
        .pid = f->p->pid,
        .count = f->count,
        .op = (uint8_t)f->op,
    };
}

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
    if (k->policy_flags & VMR_POLICY_NEEDS_HITS) {
        struct vmr_access a = access_for(f, k->frames[pfn].key);
        k->policy.ops->on_hit(k->policy.state, pfn, &a);
    }
}

/* A frame for a new page, or VMR_PFN_NONE if the faulting process died
 * while memory was found (OOM kill) or none could be found. */
static inline __attribute__((always_inline)) vmr_pfn_t get_frame(struct fault *f)
{
    vmr_pfn_t pfn = frame_get(f->k, f->p);
    if (f->p->state != PROC_ALIVE) {
        if (pfn != VMR_PFN_NONE)
            frame_unused(f->k, pfn);
        return VMR_PFN_NONE;
    }
    if (pfn == VMR_PFN_NONE && !f->k->broken)
        proc_kill(f->k, f->p, 2); /* nothing could be freed: this process dies */
    return pfn;
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

/* Sets up a frame from get_frame for a private anonymous page with `key`
 * and hands it to the policy. */
static inline __attribute__((always_inline)) void anon_frame_init(struct fault *f, vmr_pfn_t pfn,
                                                                  uint64_t key, uint8_t bits)
{
    struct vmr_kernel *k = f->k;
    struct frame *fr = &k->frames[pfn];
    fr->type = FRAME_ANON;
    fr->key = key;
    fr->swap_slot = NIL;
    fr->swap_excl = 0;
    fr->mapcount = 0;
    k->frame_bits[pfn] = bits;
    struct vmr_access a = access_for(f, key);
    frame_insert(k, pfn, &a);
}

static vmr_pfn_t new_anon_page(struct fault *f, uint8_t bits)
{
    vmr_pfn_t pfn = get_frame(f);
    if (pfn != VMR_PFN_NONE)
        anon_frame_init(f, pfn, ++f->k->anon_serial, bits);
    return pfn;
}

/* A private anonymous page with no other user: demand-zero if the PTE is
 * empty (initialised anonymous memory is swap-backed, so the new page counts
 * as dirty: seed rule 1.5), or a swap-in of the copy a PTE_SWAP_EXCL entry
 * holds. A read swap-in keeps that copy for a clean eviction later; a write
 * makes it stale and frees it. These are the faults that dominate large
 * runs: one frame, one mapping, set up in one go. */
static inline __attribute__((always_inline)) int do_anon_page(struct fault *f, uint64_t e)
{
    struct vmr_kernel *k = f->k;
    vmr_pfn_t pfn = get_frame(f);
    if (pfn == VMR_PFN_NONE)
        return 0;
    struct frame *fr = &k->frames[pfn];
    if (!e) {
        anon_frame_init(f, pfn, ++k->anon_serial, VMR_FRAME_REFERENCED | VMR_FRAME_DIRTY);
        f->c->zero_fill++;
    } else {
        anon_frame_init(f, pfn, pte_payload(e), VMR_FRAME_REFERENCED);
        f->c->swap_ins++;
        f->major = 1;
        if (f->op == VMR_OP_WRITE) {
            k->swap_used--;
            k->frame_bits[pfn] |= VMR_FRAME_DIRTY;
        } else {
            fr->swap_excl = 1;
        }
    }
    fr->mapcount = 1;
    fr->pte1 = f->pte;
    fr->mm1 = f->mm->id;
    *f->pte = pte_make(pfn, (unsigned)mm_pte_bits(f->v, 1));
    mm_rss_inc(f->mm);
    return 1;
}

/* Copy-on-write: the PTE (if present) stops mapping `old`, and a private
 * copy is mapped writable. `old` is pinned while the copy's frame is found. */
static int cow_copy(struct fault *f, vmr_pfn_t old)
{
    struct vmr_kernel *k = f->k;
    k->frame_bits[old] |= VMR_FRAME_PINNED;
    vmr_pfn_t pfn = new_anon_page(f, VMR_FRAME_REFERENCED | VMR_FRAME_DIRTY);
    k->frame_bits[old] &= (uint8_t)~VMR_FRAME_PINNED;
    if (pfn == VMR_PFN_NONE)
        return 0;
    struct frame *of = &k->frames[old];
    if (*f->pte & PTE_PRESENT) {
        rmap_del(k, old, f->pte);
        mm_rss_dec(f->mm);
    }
    map_pte(f, pfn, 1);
    f->c->cow_copies++;
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
        pfn = get_frame(f);
        if (pfn == VMR_PFN_NONE)
            return 0;
        struct frame *fr = &k->frames[pfn];
        fr->type = FRAME_ANON;
        fr->key = k->slots[s].key;
        fr->swap_slot = s;
        fr->mapcount = 0;
        fr->rmap = NIL;
        fr->pte1 = NULL;
        k->slots[s].cache_pfn = pfn;
        k->slots[s].refs++;
        k->frame_bits[pfn] = access_bits(f->op) & VMR_FRAME_REFERENCED;
        struct vmr_access a = access_for(f, fr->key);
        frame_insert(k, pfn, &a);
        f->c->swap_ins++;
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

/* A page of the area's object: a file, or shared anonymous memory. */
static int do_object_page(struct fault *f)
{
    struct vmr_kernel *k = f->k;
    struct vma *v = f->v;
    const struct object *o = &k->objs[v->obj];
    uint64_t index = v->pgoff + (f->vpn - v->start);
    if (!o->shmem && o->size != VMR_FILE_SIZE_UNKNOWN &&
        index >= (o->size + (1ULL << k->page_shift) - 1) >> k->page_shift)
        return do_anon_page(f, 0); /* wholly past the end of the file: zero-filled */
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
        pfn = get_frame(f);
        if (pfn == VMR_PFN_NONE)
            return 0;
        struct frame *fr = &k->frames[pfn];
        fr->type = FRAME_FILE;
        fr->key = key;
        fr->swap_slot = NIL;
        fr->mapcount = 0;
        fr->rmap = NIL;
        fr->pte1 = NULL;
        uint8_t bits = access_bits(f->op);
        uint64_t *slot = o->shmem ? vmr_hashmap_find(&k->shmem_swap, key) : NULL;
        if (slot) {
            uint32_t s = (uint32_t)*slot;
            vmr_hashmap_remove(&k->shmem_swap, key); /* its reference moves to the cache */
            fr->swap_slot = s;
            k->slots[s].cache_pfn = pfn;
            f->c->swap_ins++;
            f->major = 1;
        } else if (o->shmem) {
            bits |= VMR_FRAME_DIRTY;
            f->c->zero_fill++;
        } else {
            f->c->file_reads++;
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
        map_pte(f, pfn, 1);
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
        proc_kill(k, p, 1);
}

/* Every fault but the common one, which fault_handle resolves itself. */
static void __attribute__((noinline)) fault_general(struct fault *f)
{
    struct vmr_kernel *k = f->k;
    if (!f->v) {
        f->c->segv_unmapped++;
        segv(k, f->p);
        return;
    }
    if (!(f->v->prot & op_prot[f->op])) {
        f->c->segv_protection++;
        segv(k, f->p);
        return;
    }
    if (!f->pte && !(f->pte = pt_lookup_alloc(k, f->mm, f->vpn))) {
        kernel_set_error(k, "out of memory");
        k->broken = 1;
        return;
    }
    uint64_t e = *f->pte;
    int done;
    if (e & PTE_PRESENT) {
        if (f->op == VMR_OP_WRITE) {
            done = do_wp_page(f);
        } else {
            /* the area allows it but the PTE lagged behind (e.g. after
             * mprotect): refresh its bits */
            *f->pte = (e & ~(uint64_t)(PTE_READ | PTE_EXEC)) |
                      (mm_pte_bits(f->v, 0) & (PTE_READ | PTE_EXEC));
            touch_resident(f, (vmr_pfn_t)pte_payload(e), VMR_FRAME_REFERENCED);
            done = 1;
        }
    } else if (e & PTE_SWAP_EXCL || (!e && f->v->obj == NIL)) {
        done = do_anon_page(f, e);
    } else if (e & PTE_SWAP) {
        done = do_swap_page(f);
    } else {
        done = do_object_page(f);
    }
    if (!done)
        return;
    if (f->major)
        f->c->major_faults++;
    else
        f->c->minor_faults++;
}

void fault_handle(struct vmr_kernel *k, struct proc *p, uint64_t vpn, uint64_t *pte, unsigned op,
                  uint32_t count)
{
    struct fault f = {.k = k,
                      .p = p,
                      .mm = p->mm,
                      .c = &p->leader->c,
                      .vpn = vpn,
                      .pte = pte,
                      .op = op,
                      .count = count};
    f.v = mm_find_vma(f.mm, vpn);
    /* the common fault, resolved here without a call: a private anonymous
     * page touched for the first time or coming back from its own swap
     * copy, in an area that allows the access */
    const uint64_t e = pte ? *pte : 1;
    if (f.v && (f.v->prot & op_prot[op]) && ((e & PTE_SWAP_EXCL) || (e == 0 && f.v->obj == NIL))) {
        if (do_anon_page(&f, e)) {
            if (f.major)
                f.c->major_faults++;
            else
                f.c->minor_faults++;
        }
        return;
    }
    fault_general(&f);
}
