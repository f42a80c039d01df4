/*
 * pagetable.c - page tables: per address space, a map from leaf index
 * (vpn >> 9) to a leaf of 512 PTEs, with the last leaf cached in the mm.
 *
 * A hash of leaves rather than a fixed-depth radix tree keeps any 64-bit
 * address cheap (traces need not come from x86-64). In front of it sits a
 * direct-mapped cache of leaves indexed by the low bits of the leaf index,
 * sized to the number of leaves (a power of two, PT_TLB_MIN to PT_TLB_MAX):
 * the common translation is one compare and two loads, like a radix walk
 * whose upper levels are always cached. Invariant: a cache entry with a
 * non-NULL leaf holds a leaf that is in the map under that key, so a leaf
 * leaves the cache when it is freed.
 * Leaves come from a pool allocated in chunks and are never moved, so rmap
 * entries may point straight at a PTE.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "vec.h"

#define LEAVES_PER_CHUNK 64  /* the first chunk's; each next one doubles, */
#define LEAVES_HUGE      512 /* up to one huge page (2 MiB) */
#define PT_TLB_MIN       16
#define PT_TLB_MAX       2048

int pt_init(struct mm *mm)
{
    mm->ltlb = calloc(PT_TLB_MIN, sizeof *mm->ltlb);
    mm->ltlb_mask = PT_TLB_MIN - 1;
    if (!mm->ltlb || vmr_hashmap_init(&mm->leaves, 16) != 0) {
        free(mm->ltlb);
        mm->ltlb = NULL;
        return VMR_ENOMEM;
    }
    return 0;
}

void pt_release(struct mm *mm)
{
    vmr_hashmap_release(&mm->leaves);
    free(mm->ltlb);
    mm->ltlb = NULL;
}

uint64_t *pt_lookup_slow(struct mm *mm, uint64_t vpn)
{
    const uint64_t key = vpn >> LEAF_BITS;
    uint64_t *v = vmr_hashmap_find(&mm->leaves, key);
    if (!v)
        return NULL;
    struct leaf *l = (struct leaf *)(uintptr_t)*v;
    mm->ltlb[key & mm->ltlb_mask] = (struct leaf_tlb){key, l};
    return &l->pte[vpn & (LEAF_PTES - 1)];
}

/* Doubles the cache while it has fewer entries than there are leaves; a
 * failed allocation keeps the old one (it is only a cache). */
static void ltlb_fit(struct mm *mm)
{
    size_t size = (size_t)mm->ltlb_mask + 1;
    if (mm->leaves.n <= size || size >= PT_TLB_MAX)
        return;
    while (size < mm->leaves.n && size < PT_TLB_MAX)
        size *= 2;
    struct leaf_tlb *t = calloc(size, sizeof *t);
    if (!t)
        return;
    free(mm->ltlb);
    mm->ltlb = t;
    mm->ltlb_mask = (uint32_t)(size - 1);
}

static void ltlb_forget(struct mm *mm, uint64_t key)
{
    struct leaf_tlb *e = &mm->ltlb[key & mm->ltlb_mask];
    if (e->key == key)
        e->leaf = NULL;
}

static void leaf_free(struct vmr_kernel *k, struct leaf *l)
{
    l->pte[0] = (uint64_t)(uintptr_t)k->leaf_free;
    k->leaf_free = l;
    k->leaf_gen++;
}

static struct leaf *leaf_alloc(struct vmr_kernel *k)
{
    if (!k->leaf_free) {
        if (vmr_grow((void **)&k->leaf_chunks, &k->cap_leaf_chunks, k->n_leaf_chunks + 1,
                     sizeof *k->leaf_chunks) != 0)
            return NULL;
        /* Chunks grow to a huge page, aligned and advised as one: a large
         * footprint's PTEs then take a few TLB entries instead of one per
         * leaf (random PTE loads missed the TLB), while a small trace
         * still takes 256 KiB. */
        const size_t n =
            k->n_leaf_chunks < 3 ? (size_t)LEAVES_PER_CHUNK << k->n_leaf_chunks : LEAVES_HUGE;
        struct vmr_table *t = &k->leaf_chunks[k->n_leaf_chunks];
        if (vmr_table_alloc(t, n * sizeof(struct leaf), 1) != 0)
            return NULL;
        k->n_leaf_chunks++;
        struct leaf *chunk = t->base;
        for (size_t i = n; i-- > 0;)
            leaf_free(k, &chunk[i]);
    }
    struct leaf *l = k->leaf_free;
    k->leaf_free = (struct leaf *)(uintptr_t)l->pte[0];
    memset(l->pte, 0, sizeof l->pte);
    return l;
}

uint64_t *pt_lookup_alloc(struct vmr_kernel *k, struct mm *mm, uint64_t vpn)
{
    uint64_t *pte = pt_lookup(mm, vpn);
    if (pte)
        return pte;
    struct leaf *l = leaf_alloc(k);
    if (!l)
        return NULL;
    uint64_t key = vpn >> LEAF_BITS;
    if (vmr_hashmap_put(&mm->leaves, key, (uint64_t)(uintptr_t)l) != 0) {
        leaf_free(k, l);
        return NULL;
    }
    ltlb_fit(mm);
    mm->ltlb[key & mm->ltlb_mask] = (struct leaf_tlb){key, l};
    return &l->pte[vpn & (LEAF_PTES - 1)];
}

void pt_maybe_free_leaf(struct vmr_kernel *k, struct mm *mm, uint64_t vpn)
{
    uint64_t key = vpn >> LEAF_BITS;
    uint64_t *v = vmr_hashmap_find(&mm->leaves, key);
    if (!v)
        return;
    struct leaf *l = (struct leaf *)(uintptr_t)*v;
    for (size_t i = 0; i < LEAF_PTES; i++)
        if (l->pte[i])
            return;
    vmr_hashmap_remove(&mm->leaves, key);
    ltlb_forget(mm, key);
    leaf_free(k, l);
}

void pt_free_all(struct vmr_kernel *k, struct mm *mm)
{
    struct vmr_hashmap *m = &mm->leaves;
    if (m->keys) {
        for (size_t i = 0; i <= m->mask; i++)
            if (m->used[i])
                leaf_free(k, (struct leaf *)(uintptr_t)m->vals[i]);
    }
    vmr_hashmap_clear(m);
    memset(mm->ltlb, 0, ((size_t)mm->ltlb_mask + 1) * sizeof *mm->ltlb);
}

void pt_release_pool(struct vmr_kernel *k)
{
    for (size_t i = 0; i < k->n_leaf_chunks; i++)
        vmr_table_free(&k->leaf_chunks[i]);
    free(k->leaf_chunks);
    k->leaf_chunks = NULL;
    k->n_leaf_chunks = k->cap_leaf_chunks = 0;
    k->leaf_free = NULL;
}
