/*
 * internal.h - data structures of the simulated kernel, shared by the files
 * of src/kernel/ and by nothing else.
 *
 * Objects and their links:
 *
 *   proc --mm--> mm --vmas[]--> vma (sorted, non-overlapping, half-open)
 *                  \--leaves--> leaf (512 PTEs covering 512 virtual pages)
 *   PTE --pfn--> frame --rmap--> rmap entries (mm, vpn, PTE pointer)
 *   PTE --slot--> swap slot (an anonymous page that is out)
 *   page cache: page key --> frame, for file and shared-anonymous pages
 *
 * Invariants (checked by vmr_kernel_check in debug builds and tests):
 *   - a frame is FREE (on the free list, unknown to the policy) or holds one
 *     page and has been on_insert'ed into the policy exactly once;
 *   - frame.mapcount equals its mappings (pte1, then the rmap list), and
 *     every one of those PTEs is present and points back at the frame;
 *   - a FILE frame is in the page cache under its key; an ANON frame is not;
 *   - slot.refs = (PTEs holding the slot) + (1 if a frame caches it);
 *   - swap_used = slots with refs + PTE_SWAP_EXCL PTEs + frames with
 *     swap_excl (each of those is one swap copy without a slot structure);
 *   - mm->rss is the number of present PTEs of the mm.
 */
#ifndef VMREPLAY_KERNEL_INTERNAL_H
#define VMREPLAY_KERNEL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hashmap.h"
#include "vec.h"
#include "vmreplay/kernel.h"

#define NIL UINT32_MAX

/* ---- page-table entries ------------------------------------------------ */

/* A PTE is 0 (nothing), present (PTE_PRESENT, payload = pfn) or swapped out
 * (PTE_SWAP). A swapped-out page whose swap copy only this PTE refers to -
 * the common case, a private anonymous page with one mapping - needs no slot
 * structure: PTE_SWAP | PTE_SWAP_EXCL, payload = the page's key. Otherwise
 * (after fork, or a page several PTEs map) the payload is a slot of
 * k->slots, which counts its references. The R/W/X bits of a present PTE are
 * what the "hardware" allows without a fault: W is withheld for
 * copy-on-write. */
enum {
    PTE_PRESENT = 1u << 0,
    PTE_READ = 1u << 1,
    PTE_WRITE = 1u << 2,
    PTE_EXEC = 1u << 3,
    PTE_SWAP = 1u << 4,
    PTE_SWAP_EXCL = 1u << 5,
    /* linux mode's shared zero page: a private anonymous page read before
     * any write. Not present (no frame, not in rss): a read or fetch of it
     * goes to fault_handle, which lets it pass without counting a fault; a
     * write is a zero-fill fault. */
    PTE_ZERO = 1u << 6,
};
#define PTE_PAYLOAD_SHIFT 8

static inline uint64_t pte_payload(uint64_t pte)
{
    return pte >> PTE_PAYLOAD_SHIFT;
}

static inline uint64_t pte_make(uint64_t payload, unsigned bits)
{
    return payload << PTE_PAYLOAD_SHIFT | bits;
}

#define LEAF_BITS 9
#define LEAF_PTES (1u << LEAF_BITS)

/* One page-table page: 4 KiB, page-aligned, so a PTE miss costs one cache
 * line and one TLB entry. A free leaf links the pool through pte[0]. */
struct leaf {
    uint64_t pte[LEAF_PTES];
};

/* ---- areas and address spaces ----------------------------------------- */

enum vma_kind { VMA_ANON, VMA_FILE, VMA_HEAP, VMA_STACK, VMA_N_KINDS };

/* vma.flags */
enum {
    VF_ACCOUNT = 1u << 0,  /* charged to the commit (Linux's VM_ACCOUNT) */
    VF_ANON_VMA = 1u << 1, /* has had anonymous pages (Linux's anon_vma);
                              kept only when k->linux_faults */
    VF_ADVICE_SHIFT = 2,   /* 2 bits: enum vma_advice */
    VF_ADVICE_MASK = 3u << VF_ADVICE_SHIFT,
};

/* madvise advice kept on an area (Linux's VM_RAND_READ / VM_SEQ_READ) */
enum vma_advice { ADV_NORMAL, ADV_RANDOM, ADV_SEQUENTIAL };

struct vma {
    uint64_t start; /* first vpn */
    uint64_t end;   /* one past the last vpn */
    uint64_t pgoff; /* FILE/shared anon: object page index of `start` */
    uint32_t obj;   /* file object, or NIL for private anonymous memory */
    uint8_t prot;   /* VMR_PROT_* */
    uint8_t shared; /* MAP_SHARED: writes go to the object, no COW */
    uint8_t kind;   /* enum vma_kind */
    uint8_t flags;  /* VF_* */
    /* its per-area statistics (area_counters), set by mm_add_vma */
    struct vmr_counters *ac;
};

struct mm {
    uint32_t id;    /* index in kernel.mms, named by rmap entries */
    uint32_t users; /* processes/threads using it */
    struct vma *vmas;
    size_t n_vmas, cap_vmas;
    size_t last_vma;
    /* page table: leaf index (vpn >> LEAF_BITS) -> struct leaf *, with a
     * direct-mapped cache of leaves in front (pagetable.c) */
    struct vmr_hashmap leaves;
    struct leaf_tlb *ltlb; /* ltlb_mask + 1 entries */
    uint32_t ltlb_mask;
    uint64_t rss;
    uint64_t heap_start, brk; /* byte addresses; heap_start 0 = unknown */
    struct proc *leader;      /* thread group that owns the counters */
    uint64_t entry, start_pc; /* byte addresses set by an ELF exec, else 0 */
    uint64_t commit;          /* pages of its VF_ACCOUNT areas */
};

/* ---- processes -------------------------------------------------------- */

enum proc_state { PROC_ALIVE, PROC_EXITED, PROC_KILLED };

struct proc {
    uint32_t pid;
    uint32_t parent;
    uint8_t state;
    uint8_t is_thread;
    uint8_t killed_by; /* 0 or enum vmr_killed */
    struct mm *mm;     /* NULL once exited */
    struct proc *leader;
    char *comm;
    struct vmr_counters c; /* only on leaders */
    uint64_t rss_peak;
    uint64_t commit_peak; /* most pages its address space had committed */
    uint32_t scope_owner; /* local scope, leaders: its owner in k->scope (0: none) */
};

/* ---- frames ----------------------------------------------------------- */

enum frame_type { FRAME_FREE, FRAME_ANON, FRAME_FILE };

/* Keys: bit 63 set for pages of an object (file or shared anonymous
 * memory): object << 40 | page index; otherwise an anonymous page serial. */
#define KEY_OBJ_BIT    (1ULL << 63)
#define KEY_INDEX_BITS 40
#define KEY_MAX_INDEX  ((1ULL << KEY_INDEX_BITS) - 1)

static inline uint64_t key_obj_page(uint32_t obj, uint64_t index)
{
    return KEY_OBJ_BIT | (uint64_t)obj << KEY_INDEX_BITS | index;
}

static inline uint32_t key_obj(uint64_t key)
{
    return (uint32_t)((key & ~KEY_OBJ_BIT) >> KEY_INDEX_BITS);
}

/* The reverse map of a frame is its first mapping, kept in the frame (most
 * pages have one, and eviction then touches one frame and one PTE), then a
 * list of rmap entries for the others. */
/* 32 bytes, aligned: two frames per cache line, none straddling two (the
 * victim's frame is a cache miss on large memories; one line, prefetched). */
#define FRAME_MAX_MAPCOUNT ((1u << 29) - 1)
struct frame {
    uint64_t key;
    uint64_t *pte1;         /* the first mapping's PTE, or NULL if unmapped */
    uint32_t mm1;           /* and its mm */
    uint32_t rmap;          /* head of the list of further mappings (NIL if none);
                               free-list link while the frame is FREE */
    uint32_t swap_slot;     /* ANON: slot holding a clean copy, or NIL */
    uint32_t mapcount : 29; /* mappings in all: (pte1 != NULL) + list length */
    uint32_t type : 2;      /* enum frame_type */
    uint32_t swap_excl : 1; /* ANON: holds a clean swap copy that nothing else
                               refers to and that has no slot (swap_slot NIL) */
};
_Static_assert(sizeof(struct frame) == 32, "frames pack two to a cache line");
/* swap_slot and the bit-fields after it, read as one word (evict_fast_lane) */
#define FRAME_LANE_OFF 24
_Static_assert(offsetof(struct frame, swap_slot) == FRAME_LANE_OFF, "lane word follows swap_slot");

struct rmap_entry {
    uint64_t *pte;
    uint32_t mm;
    uint32_t next;
};

/* ---- swap and objects ------------------------------------------------- */

struct swap_slot {
    uint64_t key;       /* the page it holds; free-list link while refs == 0 */
    uint32_t refs;      /* 0 = free */
    uint32_t cache_pfn; /* frame holding the same content, or NIL */
};

struct object {
    char *path;      /* NULL for shared anonymous memory */
    uint64_t size;   /* bytes, VMR_FILE_SIZE_UNKNOWN if unknown */
    uint64_t n_vmas; /* areas mapping it; shared anonymous memory dies at 0 */
    uint8_t shmem;   /* shared anonymous: pages go to swap, not to a file */
    uint64_t commit; /* shmem: pages charged to the commit while it lives */
    /* per-area statistics of the areas mapping it (fault path only);
     * allocated apart so that areas may point at it (vma.ac) */
    struct vmr_counters *c;
};

/* ---- the kernel ------------------------------------------------------- */

struct vmr_kernel {
    struct vmr_kernel_config cfg;
    unsigned page_shift;
    struct vmr_policy policy;
    uint32_t policy_flags;

    /* frames */
    uint32_t n_frames;
    uint8_t *frame_bits;
    struct frame *frames; /* frames_table.base */
    struct vmr_table frames_table;
    uint32_t free_head;
    uint32_t n_free;

    struct rmap_entry *rmap;
    size_t n_rmap, cap_rmap;
    uint32_t rmap_free;

    struct vmr_table *leaf_chunks; /* leaves are allocated in chunks and reused */
    size_t n_leaf_chunks, cap_leaf_chunks;
    struct leaf *leaf_free;
    uint64_t leaf_gen; /* bumped whenever a leaf is freed: PTE pointers
                          taken before a change of it may be stale */

    struct swap_slot *slots;
    size_t n_slots, cap_slots; /* slots ever created */
    uint32_t slot_free;
    uint64_t swap_used, swap_peak;

    uint32_t *skipped; /* frames pinned during one reclaim (n_frames) */
    /* parked frames, oldest first (stuck[stuck_head .. n_stuck)): pages
     * reclaim found unable to leave (they need swap and swap is full),
     * taken out of the policy (on_remove) and marked FRAME_PARKED until
     * swap has room for them. Entries whose frame lost the mark are stale. */
    uint32_t *stuck;
    uint32_t stuck_head, n_stuck;
    /* on_replace's last guesses (prefetch hints only, a frame number
     * always: 0 stands for none), by call number mod the lag; the PTE of
     * the one made lag calls ago (4 with VMR_POLICY_FAR_GUESS, else 1) is
     * fetched when its slot is reused. ahead_mask = lag - 1. */
    uint32_t ahead_ring[4];
    uint32_t ahead_i, ahead_mask;
    /* kernel_policy_set: which specialised copy of the replay loop runs */
    uint32_t lean;
    /* the lane word (FRAME_LANE_OFF) of a fast-lane frame, masked: swap_slot
     * NIL, FRAME_ANON, mapcount 1, any swap_excl (frames_init) */
    uint64_t lane_mask, lane_want;
    int broken;         /* a fatal error was set: stop the run */
    int no_oom;         /* reclaim fails instead of OOM-killing (read-ahead) */
    int general_faults; /* linux_faults or local scope: no fault_fast */
    int linux_faults;   /* a linux-mode knob of the common faults is on: the
                           zero page, swap read-ahead or fork_anon_only (which
                           needs VF_ANON_VMA; it is kept only then) */

    struct vmr_hashmap page_cache; /* key -> pfn */
    struct vmr_hashmap shmem_swap; /* shmem key -> slot, for pages out */

    struct object *objs;
    size_t n_objs, cap_objs;
    struct vmr_hashmap fid_to_obj;  /* trace file id -> object */
    struct vmr_hashmap path_to_obj; /* hash of the path -> object */

    struct mm **mms; /* by id; NULL when destroyed (id reused) */
    size_t n_mms, cap_mms;
    uint32_t *free_mm_ids;
    size_t n_free_mm_ids, cap_free_mm_ids;

    struct proc **procs; /* creation order, never freed before destroy */
    size_t n_procs, cap_procs;
    struct vmr_hashmap pid_to_proc; /* live (or last) incarnation -> index */
    uint32_t cached_pid;
    struct proc *cached_proc;

    uint64_t anon_serial;
    uint64_t time;
    const uint32_t *next_use; /* VMR_NEXT_USE_NONE: none (oracle_at) */
    uint64_t n_next_use;
    const struct vmr_oracle_cow *oracle_cow; /* sorted by time */
    size_t n_oracle_cow;

    uint64_t frames_used, frames_peak;
    uint64_t committed, commit_peak; /* pages, machine-wide */
    /* per-area statistics of private anonymous areas, by enum vma_kind
     * (VMA_FILE unused); file and shared anonymous areas count in their
     * object */
    struct vmr_counters kind_c[VMA_N_KINDS];
    struct vmr_area_report *area_report; /* built by vmr_kernel_area_stats */
    size_t cap_area_report;
    struct vmr_proc_report *report; /* built by vmr_kernel_procs */
    size_t cap_report;
    char err[512];
    vmr_mark_fn mark_fn; /* vmr_kernel_set_mark_hook */
    void *mark_ctx;
    struct scope *scope; /* local replacement scope (scope.c); NULL: global */
};

/* scope.c: local replacement scope (README.md). k->policy is then a
 * dispatcher over one policy instance per process, and every frame
 * allocation goes through scope_frame_get. */
struct scope;
/* Sets local scope up over the policy vmr_kernel_create opened. */
int scope_init(struct vmr_kernel *k, char *errbuf, size_t errbuf_len);
/* frame_get in local scope: a frame charged to `faulting`'s process. */
vmr_pfn_t scope_frame_get(struct vmr_kernel *k, struct proc *faulting);
/* A new process (leader) / a process whose every task has ended. */
int scope_proc_new(struct vmr_kernel *k, struct proc *leader);
void scope_proc_exit(struct vmr_kernel *k, struct proc *leader);
/* Local scope: frame_bits[pfn] changed outside a policy callback. */
void scope_bits_changed(struct vmr_kernel *k, vmr_pfn_t pfn);
/* Sets or clears bits (PINNED, DIRTY) of a frame outside a policy
 * callback; local scope's instances, which read their own copy of the
 * bits, see the change too. */
static inline void frame_bits_set(struct vmr_kernel *k, vmr_pfn_t pfn, uint8_t bits)
{
    k->frame_bits[pfn] |= bits;
    if (k->scope)
        scope_bits_changed(k, pfn);
}
static inline void frame_bits_clear(struct vmr_kernel *k, vmr_pfn_t pfn, uint8_t bits)
{
    k->frame_bits[pfn] &= (uint8_t)~bits;
    if (k->scope)
        scope_bits_changed(k, pfn);
}
/* vmr_kernel_check's part for local scope. */
int scope_check(const struct vmr_kernel *k, char *errbuf, size_t errbuf_len);

/* Not policy flags: in the flags the replay loop's specialised copies
 * pass down (struct fault.pf), FLAGS_LEAN is "no local scope, no
 * Linux-mode faults, no oracle" (kernel_policy_set), and with it
 * FLAGS_ORACLE "but maybe an oracle" (the copy for OPT). */
#define FLAGS_LEAN   (1u << 31)
#define FLAGS_ORACLE (1u << 30)
/* Whether the copy with flags pf may have an oracle to read next uses
 * from (a constant in the specialised copies). */
#define FLAGS_MAY_ORACLE(pf) (!((pf)&FLAGS_LEAN) || ((pf)&FLAGS_ORACLE))

/* The oracle's next use for touch t (< n_next_use) as policies are told
 * it: UINT64_MAX for none. */
static inline uint64_t oracle_at(const struct vmr_kernel *k, uint64_t t)
{
    const uint32_t u = k->next_use[t];
    return u == VMR_NEXT_USE_NONE ? UINT64_MAX : u;
}
/* What follows from the policy's flags (k->policy.ops): policy_flags,
 * ahead_mask and lean (FLAGS_LEAN | the flags if the replay loop has a
 * copy for them and this run, else 0). At create, and when the policy is
 * swapped (vmr_kernel_watch). */
void kernel_policy_set(struct vmr_kernel *k);

/* frame_bits: a parked frame (kernel-private; the policy does not hold it) */
#define FRAME_PARKED 0x40u

/* frames.c */

/* Makes *t a zeroed frame table for n frames, or grows it to n frames
 * keeping the frames it has (a vmr_table: on whole huge pages from 2 MiB
 * up, read at random). 0 or VMR_ENOMEM (t unchanged). */
int frames_table_size(struct vmr_table *t, uint32_t n);
/* Frames from .. n - 1 become free, chained in ascending order ahead of
 * the free list `rest` (NIL: none). */
void frames_chain_free(struct frame *frames, uint32_t from, uint32_t n, uint32_t rest);

/* Parked frames go back to the policy (on_insert, as if just loaded), as
 * many as swap has room for. */
void reclaim_unpark(struct vmr_kernel *k);
static inline void reclaim_unpark_check(struct vmr_kernel *k)
{
    if (__builtin_expect(k->n_stuck != k->stuck_head, 0) && k->swap_used < k->cfg.swap_pages)
        reclaim_unpark(k);
}

/* Evicts pfn, which a policy instance chose, on behalf of actor (local
 * scope's own reclaim): 0, 1 if the page cannot leave memory now (swap
 * full), -1 if pfn is no valid victim (the kernel is then broken). */
int frame_evict(struct vmr_kernel *k, vmr_pfn_t pfn, struct proc *actor);

/* frame_get when no frame is free: evicts the policy's victim (OOM-killing
 * if nothing can be evicted) and returns the frame; VMR_PFN_NONE if memory
 * and swap are exhausted even after an OOM kill. */
vmr_pfn_t frame_reclaim(struct vmr_kernel *k, struct proc *faulting);
/* The same after the caller asked the policy itself: select_victim returned
 * rc and chose v (the caller found v unfit for evict_fast). */
vmr_pfn_t frame_reclaim_chosen(struct vmr_kernel *k, struct proc *faulting, int rc, vmr_pfn_t v);
int rmap_add_slow(struct vmr_kernel *k, vmr_pfn_t pfn, struct mm *mm, uint64_t *pte);

/* A free frame for a new page, reclaiming one if needed; VMR_PFN_NONE if
 * memory and swap are exhausted even after an OOM kill. `faulting` is the
 * process on whose behalf the frame is needed (charged for evictions). The
 * frame comes with no mapping (pte1 NULL, rmap NIL). */
static inline vmr_pfn_t frame_get(struct vmr_kernel *k, struct proc *faulting)
{
    if (__builtin_expect(k->scope != NULL, 0))
        return scope_frame_get(k, faulting);
    vmr_pfn_t pfn = k->free_head;
    if (pfn == NIL)
        return frame_reclaim(k, faulting);
    k->free_head = k->frames[pfn].rmap;
    k->frames[pfn].rmap = NIL;
    k->frames[pfn].pte1 = NULL;
    return pfn;
}

/* Sets up a frame from frame_get (no mapping yet) for a new page: its
 * type, key, the swap slot it caches (or NIL) and its frame bits. */
static inline void frame_setup(struct vmr_kernel *k, vmr_pfn_t pfn, enum frame_type type,
                               uint64_t key, uint32_t slot, uint8_t bits)
{
    struct frame *fr = &k->frames[pfn];
    fr->type = type;
    fr->key = key;
    fr->swap_slot = slot;
    fr->swap_excl = 0;
    fr->mapcount = 0;
    k->frame_bits[pfn] = bits;
}

/* Gives a frame holding a page to the policy and accounts it as used. */
static inline void frame_insert(struct vmr_kernel *k, vmr_pfn_t pfn, const struct vmr_access *a)
{
    if (++k->frames_used > k->frames_peak)
        k->frames_peak = k->frames_used;
    k->policy.ops->on_insert(k->policy.state, pfn, a);
}

/* Records that pte maps pfn. Returns 0 or VMR_ENOMEM (rmap pool). */
static inline int rmap_add(struct vmr_kernel *k, vmr_pfn_t pfn, struct mm *mm, uint64_t *pte)
{
    struct frame *f = &k->frames[pfn];
    if (f->pte1)
        return rmap_add_slow(k, pfn, mm, pte);
    f->mapcount++;
    f->pte1 = pte;
    f->mm1 = mm->id;
    return 0;
}

/* Reclaim's fast lane: a private anonymous page with one mapping whose
 * swap copy, if any, only it refers to (no slot structure). One load and
 * compare for what are three fields. */
static inline int evict_fast_lane(const struct vmr_kernel *k, const struct frame *f)
{
    uint64_t w;
    memcpy(&w, (const unsigned char *)f + FRAME_LANE_OFF, sizeof w);
    return (w & k->lane_mask) == k->lane_want;
}

/* Whether such a page has swap to go to. */
static inline int evict_fast_room(const struct vmr_kernel *k, const struct frame *f)
{
    return f->swap_excl || k->swap_used < k->cfg.swap_pages;
}

/* Whether the policy's choice pfn takes the fast lane now: on it, not
 * pinned, with swap to hold it. */
static inline int evict_fast_ok(const struct vmr_kernel *k, vmr_pfn_t pfn)
{
    const struct frame *f = &k->frames[pfn];
    return evict_fast_lane(k, f) && !(k->frame_bits[pfn] & VMR_FRAME_PINNED) &&
           evict_fast_room(k, f);
}

/* What every eviction ends with: counted to c, the policy told, the frame
 * left FREE but off the free list (the caller reuses it). */
static inline void evict_finish(struct vmr_kernel *k, vmr_pfn_t pfn, struct vmr_counters *c)
{
    struct frame *f = &k->frames[pfn];
    c->evictions++;
    k->policy.ops->on_evict(k->policy.state, pfn, f->key);
    k->frames_used--;
    f->type = FRAME_FREE;
    f->swap_slot = NIL;
    f->rmap = NIL;
    f->pte1 = NULL;
    k->frame_bits[pfn] = 0;
}

/* One more unit of swap in use; the caller knows there is room. */
static inline void swap_take(struct vmr_kernel *k)
{
    if (++k->swap_used > k->swap_peak)
        k->swap_peak = k->swap_used;
}

/* Writes a page evict_fast_ok accepted out, on behalf of counters c: its
 * PTE takes the swap copy over, by key (PTE_SWAP_EXCL). The frame is left
 * as it was (evict_fast and the replacing fault rewrite it). */
static inline void evict_fast_swap_out(struct vmr_kernel *k, const struct frame *f, vmr_pfn_t pfn,
                                       struct vmr_counters *c)
{
    if (!f->swap_excl) {
        swap_take(k);
        c->swap_outs++;
    } else if (k->frame_bits[pfn] & VMR_FRAME_DIRTY) {
        c->swap_outs++; /* the copy is stale: write it again */
    }
    *f->pte1 = pte_make(f->key, PTE_SWAP | PTE_SWAP_EXCL);
}

/* Evicts a page evict_fast_ok accepted, on behalf of counters c. */
static inline void evict_fast(struct vmr_kernel *k, vmr_pfn_t pfn, struct vmr_counters *c)
{
    struct frame *f = &k->frames[pfn];
    evict_fast_swap_out(k, f, pfn, c);
    k->mms[f->mm1]->rss--;
    f->mapcount = 0;
    f->swap_excl = 0;
    evict_finish(k, pfn, c);
}

/* After a reclaim: policies that can tell name their next victim, whose
 * frame is fetched now so that the miss is over by the next eviction. */
static inline void reclaim_prefetch_next(const struct vmr_kernel *k)
{
    if (k->policy_flags & VMR_POLICY_PEEK) {
        vmr_pfn_t next = k->policy.ops->peek_victim(k->policy.state);
        if (next < k->n_frames)
            __builtin_prefetch(&k->frames[next]);
    }
}

int frames_init(struct vmr_kernel *k);
void frames_release(struct vmr_kernel *k);
/* Returns a frame from frame_get that ended up unused to the free list. */
void frame_unused(struct vmr_kernel *k, vmr_pfn_t pfn);
/* Takes one unit of swap for a new copy: 1, or 0 if swap is full. */
int swap_charge(struct vmr_kernel *k);
/* A slot structure holding `key` with no references, for a copy already
 * charged to swap; NIL when out of memory. */
uint32_t slot_new(struct vmr_kernel *k, uint64_t key);
/* swap_charge + slot_new: NIL if swap is full (or out of memory). */
uint32_t slot_alloc(struct vmr_kernel *k, uint64_t key);
/* Drops the frame's claim on the swap copy it caches, if any (its slot's
 * reference, or its exclusive copy). */
void uncache_slot(struct vmr_kernel *k, struct frame *f);

/* Frees an unmapped frame that is not being replaced (munmap, exit). */
void frame_remove(struct vmr_kernel *k, vmr_pfn_t pfn);
void rmap_del(struct vmr_kernel *k, vmr_pfn_t pfn, const uint64_t *pte);
void slot_put(struct vmr_kernel *k, uint32_t slot);
/* The frame caches slot f->swap_slot and is its only reference: the copy
 * becomes the frame's exclusive copy and the slot structure is freed. */
void slot_make_excl(struct vmr_kernel *k, struct frame *f);

/* pagetable.c */
/* One entry of an mm's leaf cache: the leaf of index `key`, or leaf NULL. */
struct leaf_tlb {
    uint64_t key;
    struct leaf *leaf;
};

/* Sets up and frees an mm's page table (its leaves must be freed first). */
int pt_init(struct mm *mm);
void pt_release(struct mm *mm);
/* The PTE of vpn through the leaf map, filling the cache; out of line. */
uint64_t *pt_lookup_slow(struct mm *mm, uint64_t vpn);

/* The PTE of vpn, or NULL if its leaf does not exist (then the PTE is 0).
 * The leaf cache is indexed by the low bits of the leaf index and grows
 * with the number of leaves (up to PT_TLB_MAX entries), so an address space
 * of up to PT_TLB_MAX contiguous leaves (4 GiB of 4 KiB pages) translates
 * without touching the hash map. */
static inline uint64_t *pt_lookup(struct mm *mm, uint64_t vpn)
{
    const uint64_t key = vpn >> LEAF_BITS;
    const struct leaf_tlb *e = &mm->ltlb[key & mm->ltlb_mask];
    if (e->key == key && e->leaf)
        return &e->leaf->pte[vpn & (LEAF_PTES - 1)];
    return pt_lookup_slow(mm, vpn);
}
/* Same, creating the leaf; NULL only when out of memory. */
uint64_t *pt_lookup_alloc(struct vmr_kernel *k, struct mm *mm, uint64_t vpn);
/* Frees the leaf covering vpn if all its PTEs are 0. */
void pt_maybe_free_leaf(struct vmr_kernel *k, struct mm *mm, uint64_t vpn);
/* Frees every leaf of mm (all PTEs must already be 0). */
void pt_free_all(struct vmr_kernel *k, struct mm *mm);
void pt_release_pool(struct vmr_kernel *k);

static inline void mm_rss_inc(struct mm *mm)
{
    if (++mm->rss > mm->leader->rss_peak)
        mm->leader->rss_peak = mm->rss;
}

static inline void mm_rss_dec(struct mm *mm)
{
    mm->rss--;
}

/* mm.c */
struct mm *mm_create(struct vmr_kernel *k);
/* Drops one user; the last one unmaps everything and frees the mm. */
void mm_put(struct vmr_kernel *k, struct mm *mm, struct proc *actor);
struct vma *mm_find_vma_slow(struct mm *mm, uint64_t vpn);
/* The area containing vpn, or NULL; the last one found is tried first. */
static inline struct vma *mm_find_vma(struct mm *mm, uint64_t vpn)
{
    if (mm->last_vma < mm->n_vmas) {
        struct vma *v = &mm->vmas[mm->last_vma];
        if (vpn >= v->start && vpn < v->end)
            return v;
    }
    return mm_find_vma_slow(mm, vpn);
}
/* Inserts an area into the gap it fits (the range must be unmapped). */
int mm_add_vma(struct vmr_kernel *k, struct mm *mm, const struct vma *v);
/* munmap of the page range [start, end): splits straddling areas. */
int mm_unmap(struct vmr_kernel *k, struct proc *actor, struct mm *mm, uint64_t start, uint64_t end);
/* mprotect; 1 (nothing changed) if the commit charge is refused. */
int mm_protect(struct vmr_kernel *k, struct mm *mm, uint64_t start, uint64_t end, unsigned prot);
/* Moves the program break to new_brk (bytes), mapping or unmapping heap;
 * 1 (nothing changed) if the commit charge is refused. */
int mm_brk(struct vmr_kernel *k, struct proc *actor, struct mm *mm, uint64_t new_brk);
/* Whether fork's commit charge (parent's charged areas) is allowed. */
int mm_fork_allowed(const struct vmr_kernel *k, const struct mm *parent);
/* Copies parent's areas and page tables into the empty child (fork). */
int mm_fork(struct vmr_kernel *k, struct mm *parent, struct mm *child);
/* madvise(DONTNEED): drops the pages, keeps the areas. */
void mm_drop_range(struct vmr_kernel *k, struct proc *actor, struct mm *mm, uint64_t start,
                   uint64_t end);
/* msync: writes back dirty pages of shared file areas in the range. */
void mm_sync_range(struct vmr_kernel *k, struct proc *actor, struct mm *mm, uint64_t start,
                   uint64_t end);
/* The bits of a present PTE of area v: what its protection allows, less
 * write permission unless `writable` (copy-on-write withholds it). */
#define PTE_BITS_OF(prot, w)                                                                       \
    (PTE_PRESENT | ((prot)&VMR_PROT_READ ? PTE_READ : 0) | ((prot)&VMR_PROT_EXEC ? PTE_EXEC : 0) | \
     ((w) && ((prot)&VMR_PROT_WRITE) ? PTE_WRITE : 0))
#define PTE_BITS_ROW(w)                                                                            \
    {                                                                                              \
        PTE_BITS_OF(0, w), PTE_BITS_OF(1, w), PTE_BITS_OF(2, w), PTE_BITS_OF(3, w),                \
            PTE_BITS_OF(4, w), PTE_BITS_OF(5, w), PTE_BITS_OF(6, w), PTE_BITS_OF(7, w)             \
    }
static inline uint64_t mm_pte_bits(const struct vma *v, int writable)
{
    /* by [writable][prot]: a table, as this runs on every fault */
    static const uint8_t bits[2][8] = {PTE_BITS_ROW(0), PTE_BITS_ROW(1)};
    _Static_assert((VMR_PROT_READ | VMR_PROT_WRITE | VMR_PROT_EXEC) == 7,
                   "prot bits index the table");
    return bits[writable != 0][v->prot & 7];
}
#undef PTE_BITS_ROW
#undef PTE_BITS_OF

/* The per-area counters of area v, by name: its object's, or those of
 * its kind of private anonymous memory. Areas keep the pointer (vma.ac). */
static inline struct vmr_counters *area_counters(struct vmr_kernel *k, const struct vma *v)
{
    return v->obj != NIL ? k->objs[v->obj].c : &k->kind_c[v->kind];
}

/* Commit accounting (mm.c, SEMANTICS.md 1.6). commit_allowed: whether
 * `pages` more may be committed under cfg.overcommit; commit_charge and
 * commit_uncharge move the machine-wide count and, if mm is not NULL, the
 * address space's (and its process's peak). */
int commit_allowed(const struct vmr_kernel *k, uint64_t pages);
void commit_charge(struct vmr_kernel *k, struct mm *mm, uint64_t pages);
void commit_uncharge(struct vmr_kernel *k, struct mm *mm, uint64_t pages);
/* Pages of mm's charged areas within [start, end). */
uint64_t mm_charged_pages(const struct mm *mm, uint64_t start, uint64_t end);
/* Sets VF_ACCOUNT on a new area as Linux's accountable_mapping does: a
 * private writable mapping, unless MAP_NORESERVE outside strict mode. */
void vma_set_account(const struct vmr_kernel *k, struct vma *v, int noreserve);
/* madvise(WILLNEED): reads the range's file pages into the page cache. */
void mm_willneed(struct vmr_kernel *k, struct proc *actor, struct mm *mm, uint64_t start,
                 uint64_t end);
/* madvise(RANDOM/SEQUENTIAL/NORMAL): splits and stores the advice. */
int mm_advise(struct vmr_kernel *k, struct mm *mm, uint64_t start, uint64_t end, unsigned advice);
/* Whether shared file area v gets write-notify: its clean pages are mapped
 * read-only so the first write is a fault. */
static inline int vma_write_notify(const struct vmr_kernel *k, const struct vma *v)
{
    return k->cfg.write_notify && v->shared && v->obj != NIL && !k->objs[v->obj].shmem;
}

/* syscall.c: records that act on an address space */
int sys_mm_record(struct vmr_kernel *k, struct proc *p, const struct vmr_record *rec);

/* fault.c */
/* Resolves the fault of an access by p to vpn; `pte` is its PTE if the leaf
 * exists (the caller just looked it up), else NULL. */
void fault_handle(struct vmr_kernel *k, struct proc *p, uint64_t vpn, uint64_t *pte, unsigned op,
                  uint32_t count);
/* The same without trying fault_fast first (the replay loop tried it). */
void fault_general(struct vmr_kernel *k, struct proc *p, uint64_t vpn, uint64_t *pte, unsigned op,
                   uint32_t count);

/* proc.c */
/* The process or thread named pid, created (with an empty address space) if
 * the trace has not introduced it or it exited; NULL when out of memory. */
struct proc *proc_get(struct vmr_kernel *k, uint32_t pid);
/* fork, thread, exec, exit. */
int proc_event(struct vmr_kernel *k, const struct vmr_record *rec);
/* Kills p's whole thread group: why is an enum vmr_killed. */
void proc_kill(struct vmr_kernel *k, struct proc *p, int why);

/* exec.c: loading the program of an exec record (SEMANTICS.md 4) */
struct exec_plan;
/* Reads the ELF files exec'ing object obj needs (program, interpreter and,
 * with cfg.load_needed, libraries) before anything changes; an input error
 * (missing or malformed file) sets the kernel error and returns VMR_E*. */
int exec_prepare(struct vmr_kernel *k, uint32_t obj, struct exec_plan **out);
/* Maps the plan into p's new, empty mm and frees the plan. */
int exec_map(struct vmr_kernel *k, struct proc *p, struct exec_plan *plan);
void exec_plan_free(struct exec_plan *plan);

/* kernel.c */
uint64_t path_hash(const char *s);
uint32_t obj_new(struct vmr_kernel *k, const char *path, uint64_t size, int shmem);
uint32_t obj_for_fid(struct vmr_kernel *k, uint32_t fid);
uint32_t obj_new_shmem(struct vmr_kernel *k);
void kernel_set_error(struct vmr_kernel *k, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* oracle.c */
/* The oracle's next use for page `key` touched now by a write: its
 * copy-on-write exception if it is the page the touch copies from, else
 * next_use[time] (which must exist). */
uint64_t oracle_cow_next(const struct vmr_kernel *k, uint64_t key);

#endif
