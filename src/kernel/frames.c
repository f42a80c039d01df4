/*
 * frames.c - physical frames, reverse mappings, swap slots, and reclaim.
 *
 * Owns the frame table, the free list, the rmap pool and the swap slots.
 * Reclaim asks the policy for a victim and evicts it: an anonymous (or
 * shared-anonymous) page goes to swap unless it is clean and already has a
 * copy there; a file page is dropped, after a write-back if dirty. A page
 * that cannot go anywhere (anonymous, swap full) is pinned for the rest of
 * this reclaim so the policy picks another; if none can be evicted, the
 * largest process is killed (OOM) and reclaim tries again.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "vec.h"

int frames_table_size(struct vmr_table *t, uint32_t n)
{
    /* on whole huge pages from 2 MiB up: victims' frames are read at
     * random, and on 4 KiB pages most of those reads missed the TLB */
    const size_t bytes = (size_t)n * sizeof(struct frame);
    return t->base ? vmr_table_grow(t, bytes, 1) : vmr_table_alloc(t, bytes, 1);
}

void frames_chain_free(struct frame *frames, uint32_t from, uint32_t n, uint32_t rest)
{
    for (uint32_t i = from; i < n; i++) {
        frames[i].type = FRAME_FREE;
        frames[i].rmap = i + 1 < n ? i + 1 : rest;
        frames[i].swap_slot = NIL;
    }
}

int frames_init(struct vmr_kernel *k)
{
    uint32_t n = k->n_frames;
    k->frame_bits = calloc(n, 1);
    k->frames = frames_table_size(&k->frames_table, n) == 0 ? k->frames_table.base : NULL;
    k->skipped = malloc((size_t)n * sizeof *k->skipped);
    k->stuck = malloc((size_t)n * sizeof *k->stuck);
    if (!k->frame_bits || !k->frames || !k->skipped || !k->stuck)
        return VMR_ENOMEM;
    /* free list in ascending order: the first fault gets frame 0 */
    frames_chain_free(k->frames, 0, n, NIL);
    k->free_head = 0;
    for (size_t i = 0; i < sizeof k->ahead_ring / sizeof k->ahead_ring[0]; i++)
        k->ahead_ring[i] = 0;
    /* the lane word's mask and wanted value, from the fields themselves
     * (the bit-fields' layout is the compiler's) */
    struct frame m = {.swap_slot = UINT32_MAX, .mapcount = (1u << 29) - 1, .type = 3},
                 w = {.swap_slot = NIL, .mapcount = 1, .type = FRAME_ANON};
    memcpy(&k->lane_mask, (const unsigned char *)&m + FRAME_LANE_OFF, sizeof k->lane_mask);
    memcpy(&k->lane_want, (const unsigned char *)&w + FRAME_LANE_OFF, sizeof k->lane_want);
    k->rmap_free = NIL;
    k->slot_free = NIL;
    return 0;
}

void frames_release(struct vmr_kernel *k)
{
    free(k->frame_bits);
    vmr_table_free(&k->frames_table);
    k->frames = NULL;
    free(k->skipped);
    free(k->stuck);
    free(k->rmap);
    free(k->slots);
}

/* ---- reverse mappings ------------------------------------------------- */

int rmap_add_slow(struct vmr_kernel *k, vmr_pfn_t pfn, struct mm *mm, uint64_t *pte)
{
    struct frame *f = &k->frames[pfn];
    if (f->mapcount == FRAME_MAX_MAPCOUNT)
        return VMR_ENOMEM; /* 2^29 mappings of one page: the rmap pool would be 8 GiB */
    f->mapcount++;
    uint32_t e = k->rmap_free;
    if (e != NIL) {
        k->rmap_free = k->rmap[e].next;
    } else {
        if (k->n_rmap >= NIL - 1 ||
            vmr_grow((void **)&k->rmap, &k->cap_rmap, k->n_rmap + 1, sizeof *k->rmap) != 0) {
            f->mapcount--;
            return VMR_ENOMEM;
        }
        e = (uint32_t)k->n_rmap++;
    }
    k->rmap[e] = (struct rmap_entry){.pte = pte, .mm = mm->id, .next = f->rmap};
    f->rmap = e;
    return 0;
}

void rmap_del(struct vmr_kernel *k, vmr_pfn_t pfn, const uint64_t *pte)
{
    struct frame *f = &k->frames[pfn];
    uint32_t *link = &f->rmap;
    if (f->pte1 == pte) {
        f->mapcount--;
        uint32_t e = f->rmap;
        if (e == NIL) {
            f->pte1 = NULL;
            return;
        }
        /* the first list entry becomes the inline mapping */
        f->pte1 = k->rmap[e].pte;
        f->mm1 = k->rmap[e].mm;
        pte = k->rmap[e].pte;
    }
    while (*link != NIL) {
        uint32_t e = *link;
        if (k->rmap[e].pte == pte) {
            *link = k->rmap[e].next;
            k->rmap[e].next = k->rmap_free;
            k->rmap_free = e;
            if (pte != f->pte1)
                f->mapcount--;
            return;
        }
        link = &k->rmap[e].next;
    }
}

/* ---- swap slots ------------------------------------------------------- */

int swap_charge(struct vmr_kernel *k)
{
    if (k->swap_used >= k->cfg.swap_pages)
        return 0;
    swap_take(k);
    return 1;
}

uint32_t slot_new(struct vmr_kernel *k, uint64_t key)
{
    uint32_t s = k->slot_free;
    if (s != NIL) {
        k->slot_free = (uint32_t)k->slots[s].key;
    } else {
        if (k->n_slots >= NIL - 1 ||
            vmr_grow((void **)&k->slots, &k->cap_slots, k->n_slots + 1, sizeof *k->slots) != 0)
            return NIL;
        s = (uint32_t)k->n_slots++;
    }
    k->slots[s] = (struct swap_slot){.key = key, .refs = 0, .cache_pfn = NIL};
    return s;
}

uint32_t slot_alloc(struct vmr_kernel *k, uint64_t key)
{
    if (!swap_charge(k))
        return NIL;
    uint32_t s = slot_new(k, key);
    if (s == NIL)
        k->swap_used--;
    return s;
}

void slot_put(struct vmr_kernel *k, uint32_t s)
{
    struct swap_slot *sl = &k->slots[s];
    if (--sl->refs != 0)
        return;
    if (sl->cache_pfn != NIL)
        k->frames[sl->cache_pfn].swap_slot = NIL;
    sl->cache_pfn = NIL;
    sl->key = k->slot_free;
    k->slot_free = s;
    k->swap_used--;
}

/* ---- frames ----------------------------------------------------------- */

static void free_list_push(struct vmr_kernel *k, vmr_pfn_t pfn)
{
    struct frame *f = &k->frames[pfn];
    f->type = FRAME_FREE;
    f->mapcount = 0;
    f->swap_slot = NIL;
    f->swap_excl = 0;
    f->pte1 = NULL;
    f->rmap = k->free_head;
    k->free_head = pfn;
    k->frame_bits[pfn] = 0;
}

void frame_unused(struct vmr_kernel *k, vmr_pfn_t pfn)
{
    free_list_push(k, pfn);
}

void uncache_slot(struct vmr_kernel *k, struct frame *f)
{
    if (f->swap_excl) {
        f->swap_excl = 0;
        k->swap_used--;
        return;
    }
    uint32_t s = f->swap_slot;
    if (s == NIL)
        return;
    f->swap_slot = NIL;
    k->slots[s].cache_pfn = NIL;
    slot_put(k, s);
}

void slot_make_excl(struct vmr_kernel *k, struct frame *f)
{
    uint32_t s = f->swap_slot;
    f->swap_slot = NIL;
    k->slots[s].cache_pfn = NIL;
    slot_put(k, s); /* frees the structure, and its unit of swap... */
    f->swap_excl = 1;
    k->swap_used++; /* ...which the copy keeps */
}

void frame_remove(struct vmr_kernel *k, vmr_pfn_t pfn)
{
    struct frame *f = &k->frames[pfn];
    if (f->type == FRAME_FILE)
        vmr_hashmap_remove(&k->page_cache, f->key);
    uncache_slot(k, f);
    if (!(k->frame_bits[pfn] & FRAME_PARKED)) /* a parked page is not the policy's */
        k->policy.ops->on_remove(k->policy.state, pfn);
    k->frames_used--;
    free_list_push(k, pfn);
}

/* Unmaps every PTE of the frame, setting each to `pte_val`. */
static void unmap_all(struct vmr_kernel *k, struct frame *f, uint64_t pte_val)
{
    if (f->pte1) {
        *f->pte1 = pte_val;
        k->mms[f->mm1]->rss--;
        f->pte1 = NULL;
    }
    uint32_t e = f->rmap;
    while (e != NIL) {
        struct rmap_entry *r = &k->rmap[e];
        *r->pte = pte_val;
        k->mms[r->mm]->rss--;
        uint32_t next = r->next;
        r->next = k->rmap_free;
        k->rmap_free = e;
        e = next;
    }
    f->rmap = NIL;
    f->mapcount = 0;
}

/* Evicts a page that is not the common case below: shared or swapped-in
 * from a shared slot (needs a slot that counts its mappings), shared
 * anonymous memory, or a file page. Returns 0, or -1 if it cannot leave
 * memory now (it needs swap and swap is full). */
static int evict_slow(struct vmr_kernel *k, vmr_pfn_t pfn, struct vmr_counters *c, int dirty)
{
    struct frame *f = &k->frames[pfn];
    int shmem = f->type == FRAME_FILE && k->objs[key_obj(f->key)].shmem;
    if (f->type == FRAME_ANON || shmem) {
        uint32_t s = f->swap_slot;
        if (f->swap_excl) {
            /* several mappings now share the exclusive copy: give it a slot */
            s = slot_new(k, f->key);
            if (s == NIL)
                return -1;
            f->swap_excl = 0;
            k->slots[s].refs = 1;
            f->swap_slot = s;
            k->slots[s].cache_pfn = pfn;
            if (dirty)
                c->swap_outs++;
        } else if (s == NIL) {
            s = slot_alloc(k, f->key);
            if (s == NIL)
                return -1;
            k->slots[s].refs = 1; /* held by the frame until it goes */
            f->swap_slot = s;
            k->slots[s].cache_pfn = pfn;
            c->swap_outs++;
        } else if (dirty) {
            c->swap_outs++; /* the copy is stale: write it again */
        }
        if (shmem) {
            /* the object's swap map takes over the frame's reference */
            vmr_hashmap_remove(&k->page_cache, f->key);
            vmr_hashmap_put(&k->shmem_swap, f->key, s);
            unmap_all(k, f, 0);
            f->swap_slot = NIL;
            k->slots[s].cache_pfn = NIL;
        } else {
            k->slots[s].refs += f->mapcount;
            unmap_all(k, f, pte_make(s, PTE_SWAP));
            uncache_slot(k, f);
        }
    } else {
        if (dirty) {
            c->writebacks++;
            k->objs[key_obj(f->key)].c->writebacks++;
        }
        unmap_all(k, f, 0);
        vmr_hashmap_remove(&k->page_cache, f->key);
    }
    return 0;
}

/* Evicts the page in pfn on behalf of `actor`. Returns 0, or -1 if the page
 * cannot leave memory now (it needs swap and swap is full). The common case
 * is inline (evict_fast). */
static inline int evict(struct vmr_kernel *k, vmr_pfn_t pfn, struct proc *actor)
{
    struct frame *f = &k->frames[pfn];
    struct vmr_counters *c = &actor->leader->c;
    if (evict_fast_lane(k, f)) {
        if (!evict_fast_room(k, f))
            return -1;
        evict_fast(k, pfn, c);
        return 0;
    }
    if (evict_slow(k, pfn, c, k->frame_bits[pfn] & VMR_FRAME_DIRTY) != 0)
        return -1;
    evict_finish(k, pfn, c);
    return 0;
}

/* Kills the alive process with the largest resident set; 0 if there is
 * none with resident pages. */
static int oom_kill(struct vmr_kernel *k)
{
    struct proc *worst = NULL;
    for (size_t i = 0; i < k->n_procs; i++) {
        struct proc *p = k->procs[i];
        if (p->state != PROC_ALIVE || p->leader != p || !p->mm)
            continue;
        if (!worst || p->mm->rss > worst->mm->rss)
            worst = p;
    }
    if (!worst || worst->mm->rss == 0)
        return 0;
    proc_kill(k, worst, VMR_KILLED_OOM);
    return 1;
}

static int bad_victim(struct vmr_kernel *k, vmr_pfn_t v)
{
    if (v < k->n_frames && k->frames[v].type != FRAME_FREE &&
        !(k->frame_bits[v] & VMR_FRAME_PINNED))
        return 0;
    kernel_set_error(k, "policy '%s' chose frame %u, which is %s", k->policy.spec, (unsigned)v,
                     v >= k->n_frames                  ? "out of range"
                     : k->frames[v].type == FRAME_FREE ? "free"
                                                       : "pinned");
    k->broken = 1;
    return 1;
}

int frame_evict(struct vmr_kernel *k, vmr_pfn_t pfn, struct proc *actor)
{
    if (bad_victim(k, pfn))
        return -1;
    if (evict(k, pfn, actor) != 0)
        return 1;
    k->frames[pfn].rmap = NIL;
    k->frames[pfn].pte1 = NULL;
    return 0;
}

void reclaim_unpark(struct vmr_kernel *k)
{
    uint64_t room = k->cfg.swap_pages - k->swap_used;
    while (room > 0 && k->stuck_head < k->n_stuck) {
        uint32_t f = k->stuck[k->stuck_head++];
        if (!(k->frame_bits[f] & FRAME_PARKED))
            continue; /* freed since */
        k->frame_bits[f] &= (uint8_t)~FRAME_PARKED;
        struct vmr_access a = {.time = k->time,
                               .next_use = UINT64_MAX, /* the oracle's was for its last touch */
                               .key = k->frames[f].key,
                               .count = 1,
                               .op = VMR_OP_READ};
        k->policy.ops->on_insert(k->policy.state, f, &a);
        room--;
    }
    if (k->stuck_head == k->n_stuck)
        k->stuck_head = k->n_stuck = 0;
}

/* Parks frame v: reclaim could not evict it (it needs swap and swap is
 * full), so the policy forgets it (on_remove) until swap has room. The
 * queue holds each parked frame once; entries of frames freed since are
 * dropped when it reaches its end. */
static void park(struct vmr_kernel *k, vmr_pfn_t v)
{
    if (k->n_stuck == k->n_frames) {
        /* keep each parked frame once (a frame freed and parked again has
         * two entries), in order: fewer than n_frames remain, as v is not
         * parked yet */
        uint32_t m = 0;
        for (uint32_t i = k->stuck_head; i < k->n_stuck; i++) {
            uint32_t f = k->stuck[i];
            if (k->frame_bits[f] & FRAME_PARKED) {
                k->frame_bits[f] &= (uint8_t)~FRAME_PARKED;
                k->stuck[m++] = f;
            }
        }
        for (uint32_t i = 0; i < m; i++)
            k->frame_bits[k->stuck[i]] |= FRAME_PARKED;
        k->stuck_head = 0;
        k->n_stuck = m;
    }
    k->policy.ops->on_remove(k->policy.state, v);
    k->frame_bits[v] |= FRAME_PARKED;
    k->stuck[k->n_stuck++] = v;
}

/* The general reclaim: a page that cannot leave memory (it needs swap and
 * swap is full) is parked (global scope) - taken out of the policy until swap has room
 * for it, as Linux stops scanning anonymous pages without swap - and the
 * policy asked again; if none can leave, the largest process is killed and
 * reclaim starts over. (Pinning such pages for one reclaim, as before,
 * made the policy skip k of them k times per fault once swap was full.) */
static vmr_pfn_t reclaim_slow(struct vmr_kernel *k, struct proc *actor)
{
    for (;;) {
        if (k->free_head != NIL) /* an OOM kill freed some */
            return frame_get(k, actor);
        reclaim_unpark_check(k);
        /* local scope pins such pages for this reclaim only: a parked page
         * would leave its owner's charge (scope.c) */
        size_t n_skipped = 0;
        vmr_pfn_t got = VMR_PFN_NONE;
        for (;;) {
            vmr_pfn_t v;
            if (k->policy.ops->select_victim(k->policy.state, &v) != 0 || bad_victim(k, v))
                break;
            if (evict(k, v, actor) == 0) {
                got = v;
                break;
            }
            if (k->scope) {
                k->frame_bits[v] |= VMR_FRAME_PINNED;
                k->skipped[n_skipped++] = v;
            } else {
                park(k, v);
            }
        }
        for (size_t i = 0; i < n_skipped; i++)
            k->frame_bits[k->skipped[i]] &= (uint8_t)~VMR_FRAME_PINNED;
        if (got != VMR_PFN_NONE)
            return got;
        if (k->broken || k->no_oom || !oom_kill(k))
            return VMR_PFN_NONE;
    }
}

vmr_pfn_t frame_reclaim_chosen(struct vmr_kernel *k, struct proc *actor, int rc, vmr_pfn_t v)
{
    /* the policy's first choice leaves memory: the usual case, kept short.
     * Otherwise the general loop asks again (the same choice comes back
     * first and is pinned there). */
    if (rc != 0 || bad_victim(k, v) || evict(k, v, actor) != 0)
        return k->broken ? VMR_PFN_NONE : reclaim_slow(k, actor);
    reclaim_prefetch_next(k);
    return v;
}

vmr_pfn_t frame_reclaim(struct vmr_kernel *k, struct proc *actor)
{
    reclaim_unpark_check(k);
    vmr_pfn_t v;
    int rc = k->policy.ops->select_victim(k->policy.state, &v);
    return frame_reclaim_chosen(k, actor, rc, v);
}
