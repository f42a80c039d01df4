/*
 * fault_fast.h - the part of the fault path that the replay loop inlines:
 * the fault that dominates large runs (fault_fast) and what it shares with
 * the general path in fault.c. Included by fault.c and kernel.c only.
 */
#ifndef VMREPLAY_KERNEL_FAULT_FAST_H
#define VMREPLAY_KERNEL_FAULT_FAST_H

#include "internal.h"

static const uint8_t op_prot[3] = {VMR_PROT_READ, VMR_PROT_WRITE, VMR_PROT_EXEC};

struct fault {
    struct vmr_kernel *k;
    struct proc *p;
    struct mm *mm;
    struct vma *v;
    struct vmr_counters *c;  /* the process's */
    struct vmr_counters *ac; /* the area's (area_counters) */
    uint64_t vpn;
    uint64_t *pte;
    unsigned op;
    uint32_t count;
    int major;
    uint32_t pf; /* the policy's flags (k->policy_flags), a constant in the
                    replay loop's specialised copies (kernel.c) */
};

/* What the general path does with the frame reclaim found: nothing if the
 * faulting process died meanwhile (an OOM kill), an OOM kill of the
 * faulting process if nothing could be freed. */
vmr_pfn_t fault_got_frame(struct fault *f, vmr_pfn_t pfn);

/* The oracle's next use of page `key` touched now: a write that copies
 * a page may load or touch the page it copies from, whose next use is an
 * exception (oracle_cow_next). */
static inline uint64_t oracle_next(const struct vmr_kernel *k, unsigned op, uint64_t key)
{
    if (!k->next_use || k->time >= k->n_next_use)
        return UINT64_MAX;
    if (op == VMR_OP_WRITE && k->n_oracle_cow)
        return oracle_cow_next(k, key);
    return oracle_at(k, k->time);
}

static inline __attribute__((always_inline)) struct vmr_access access_for(const struct fault *f,
                                                                          uint64_t key)
{
    const struct vmr_kernel *k = f->k;
    return (struct vmr_access){
        .time = k->time,
        .next_use = FLAGS_MAY_ORACLE(f->pf) && k->next_use != NULL ? oracle_next(k, f->op, key)
                                                                   : UINT64_MAX,
        .key = key,
        .pid = f->p->pid,
        .count = f->count,
        .op = (uint8_t)f->op,
    };
}

/* What VMR_POLICY_NO_ACCESS policies are handed: nothing filled in. */
static const struct vmr_access no_access;

/* Policies that ask are told of a miss of the page `key` before a frame is
 * found for it (their victim may depend on it). */
static inline __attribute__((always_inline)) void tell_miss(struct fault *f, uint64_t key)
{
    if (f->pf & VMR_POLICY_WANTS_MISS) {
        struct vmr_access a = access_for(f, key);
        f->k->policy.ops->on_miss(f->k->policy.state, &a);
    }
}

/* Hands the frame of a new private anonymous page with `key`, set up, to
 * the policy: as a new page (on_insert), or, if `replaced`, as the page
 * that replaces the one with old_key the frame held (on_replace; the frame
 * stayed counted as used). */
static inline __attribute__((always_inline)) void
anon_frame_give(struct fault *f, vmr_pfn_t pfn, uint64_t key, const int replaced, uint64_t old_key)
{
    struct vmr_kernel *k = f->k;
    struct vmr_access a;
    const struct vmr_access *ap = &no_access;
    if (!(f->pf & VMR_POLICY_NO_ACCESS)) {
        a = access_for(f, key);
        ap = &a;
    }
    if (replaced) {
        /* a two-stage prefetch: the frame guessed now (some evictions
         * ahead), and the PTE of the guess made lag calls ago, whose frame
         * that call fetched (reading it sooner would stall on it); no
         * guess fetches frame 0's, which costs nothing (a prefetch never
         * faults, pte1 may be NULL) */
        vmr_pfn_t ahead = k->policy.ops->on_replace(k->policy.state, pfn, old_key, ap);
        ahead = ahead < k->n_frames ? ahead : 0;
        const uint32_t j = k->ahead_i++ & k->ahead_mask;
        const vmr_pfn_t next = k->ahead_ring[j];
        k->ahead_ring[j] = ahead;
        __builtin_prefetch(&k->frames[ahead]);
        __builtin_prefetch(k->frames[next].pte1);
    } else {
        frame_insert(k, pfn, ap);
    }
}

/* Sets up a frame (from frame_get) for a new private anonymous page with
 * `key` and hands it to the policy. */
static inline __attribute__((always_inline)) void anon_frame_init(struct fault *f, vmr_pfn_t pfn,
                                                                  uint64_t key, uint8_t bits)
{
    frame_setup(f->k, pfn, FRAME_ANON, key, NIL, bits);
    anon_frame_give(f, pfn, key, 0, 0);
}

/* A private anonymous page with no other user: demand-zero if the PTE is
 * empty (initialised anonymous memory is swap-backed, so the new page counts
 * as dirty: seed rule 1.5), or a swap-in of the copy a PTE_SWAP_EXCL entry
 * holds, into frame pfn. A read swap-in keeps that copy for a clean eviction
 * later; a write makes it stale and frees it. These are the faults that
 * dominate large runs: one frame, one mapping, set up in one go, before the
 * policy hears of it. `replaced`: pfn held a page with old_key until now
 * (see anon_frame_give); `same_mm`: of this process's mm, so rss stays. */
static inline __attribute__((always_inline)) void anon_page_into(struct fault *f, uint64_t e,
                                                                 vmr_pfn_t pfn, const int replaced,
                                                                 uint64_t old_key, int same_mm)
{
    struct vmr_kernel *k = f->k;
    struct frame *fr = &k->frames[pfn];
    uint64_t key;
    uint8_t bits = VMR_FRAME_REFERENCED;
    unsigned excl = 0;
    if (!e) {
        key = ++k->anon_serial;
        bits |= VMR_FRAME_DIRTY;
        f->c->zero_fill++;
        f->ac->zero_fill++;
    } else {
        key = pte_payload(e);
        f->c->swap_ins++;
        f->ac->swap_ins++;
        f->major = 1;
        if (f->op == VMR_OP_WRITE) {
            k->swap_used--;
            bits |= VMR_FRAME_DIRTY;
        } else {
            excl = 1;
        }
    }
    fr->key = key;
    fr->pte1 = f->pte;
    fr->mm1 = f->mm->id;
    fr->swap_slot = NIL;
    fr->mapcount = 1;
    fr->type = FRAME_ANON;
    fr->swap_excl = excl;
    k->frame_bits[pfn] = bits;
    *f->pte = pte_make(pfn, (unsigned)mm_pte_bits(f->v, 1));
    if (!same_mm)
        mm_rss_inc(f->mm);
    anon_frame_give(f, pfn, key, replaced, old_key);
}

/* The fault that dominates large runs, without the general dispatch: in the
 * area the last lookup found, a private anonymous page whose PTE is empty
 * or holds its own swap copy, seed semantics; reclaim's usual victim is
 * evicted inline too (evict_fast). The same steps as the general path in
 * the same order; 0 (nothing done) for any other fault. */
static inline __attribute__((always_inline)) int fault_fast(struct vmr_kernel *k, struct proc *p,
                                                            uint64_t vpn, uint64_t *pte,
                                                            unsigned op, uint32_t count,
                                                            const uint32_t pf)
{
    const uint64_t e = *pte;
    struct mm *mm = p->mm;
    if ((e && !(e & PTE_SWAP_EXCL)) || (!(pf & FLAGS_LEAN) && k->general_faults) ||
        mm->last_vma >= mm->n_vmas)
        return 0;
    struct vma *v = &mm->vmas[mm->last_vma];
    if (vpn < v->start || vpn >= v->end || v->obj != NIL || !(v->prot & op_prot[op]))
        return 0;
    struct fault f = {.k = k,
                      .p = p,
                      .mm = mm,
                      .v = v,
                      .c = &p->leader->c,
                      .ac = v->ac,
                      .vpn = vpn,
                      .pte = pte,
                      .op = op,
                      .count = count,
                      .major = 0,
                      .pf = pf};
    tell_miss(&f, e ? pte_payload(e) : k->anon_serial + 1);
    vmr_pfn_t pfn = k->free_head;
    if (pfn != NIL) {
        pfn = frame_get(k, p);
    } else {
        reclaim_unpark_check(k);
        /* the victim the policy named, unless it is pinned (or, with
         * VMR_POLICY_NEXT_UNREF, referenced); else the policy is asked */
        vmr_pfn_t victim = k->policy.next_victim;
        int rc = 0;
        if (!(pf & VMR_POLICY_NEXT_VICTIM) || victim >= k->n_frames ||
            (k->frame_bits[victim] &
             ((pf & VMR_POLICY_NEXT_UNREF) ? VMR_FRAME_PINNED | VMR_FRAME_REFERENCED
                                           : VMR_FRAME_PINNED)))
            rc = k->policy.ops->select_victim(k->policy.state, &victim);
        if (rc == 0 && victim < k->n_frames && evict_fast_ok(k, victim)) {
            if (pf & VMR_POLICY_REPLACE) {
                /* the policy hears of the eviction and the new page at
                 * once; the frame goes from one page to the other without
                 * passing through FREE, and rss moves only between mms */
                const struct frame *vf = &k->frames[victim];
                const uint64_t old_key = vf->key;
                const uint32_t vmm = vf->mm1;
                evict_fast_swap_out(k, vf, victim, f.c);
                f.c->evictions++;
                if (vmm != mm->id)
                    k->mms[vmm]->rss--;
                anon_page_into(&f, e, victim, 1, old_key, vmm == mm->id);
                goto counted;
            }
            evict_fast(k, victim, f.c);
            reclaim_prefetch_next(k);
            pfn = victim;
        } else {
            /* (a copy, so that f's address does not escape and f stays in
             * registers on the fast lane) */
            struct fault g = f;
            pfn = fault_got_frame(&g, frame_reclaim_chosen(k, p, rc, victim));
            if (pfn == VMR_PFN_NONE)
                return 1;
        }
    }
    anon_page_into(&f, e, pfn, 0, 0, 0);
counted:
    if (f.major) {
        f.c->major_faults++;
        f.ac->major_faults++;
    } else {
        f.c->minor_faults++;
        f.ac->minor_faults++;
    }
    return 1;
}

#endif
