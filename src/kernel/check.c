/*
 * check.c - vmr_kernel_check: recomputes, from scratch, every count the
 * kernel maintains incrementally (mapcounts, rss, slot references, frames in
 * use, commit charges, per-area counters) and compares. Tests call it after
 * random operation sequences.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "vec.h"

struct check {
    const struct vmr_kernel *k;
    uint32_t *mapcount; /* per frame, from PTEs */
    uint32_t *slot_refs;
    uint64_t excl_copies; /* swap copies without a slot (PTEs and frames) */
    uint64_t committed;   /* charges found */
    char *buf;
    size_t len;
    int bad;
};

#define FAIL(ch, ...)                                                                              \
    do {                                                                                           \
        if (!(ch)->bad)                                                                            \
            vmr_errf((ch)->buf, (ch)->len, __VA_ARGS__);                                           \
        (ch)->bad = 1;                                                                             \
    } while (0)

static int has_rmap(const struct vmr_kernel *k, vmr_pfn_t pfn, const uint64_t *pte)
{
    if (k->frames[pfn].pte1 == pte)
        return 1;
    for (uint32_t e = k->frames[pfn].rmap; e != NIL; e = k->rmap[e].next)
        if (k->rmap[e].pte == pte)
            return 1;
    return 0;
}

static void check_mm(struct check *ch, struct mm *mm)
{
    const struct vmr_kernel *k = ch->k;
    uint64_t commit = 0;
    for (size_t i = 0; i < mm->n_vmas; i++) {
        const struct vma *v = &mm->vmas[i];
        if (v->start >= v->end)
            FAIL(ch, "mm %u: empty area %zu", mm->id, i);
        if (i > 0 && mm->vmas[i - 1].end > v->start)
            FAIL(ch, "mm %u: areas %zu and %zu overlap or are unsorted", mm->id, i - 1, i);
        if (v->ac != area_counters((struct vmr_kernel *)k, v))
            FAIL(ch, "mm %u: area %zu counts in the wrong place", mm->id, i);
        if (v->flags & VF_ACCOUNT) {
            commit += v->end - v->start;
            if (v->shared)
                FAIL(ch, "mm %u: shared area %zu is charged to the commit", mm->id, i);
        }
    }
    if (commit != mm->commit)
        FAIL(ch, "mm %u: commit %llu but its charged areas have %llu pages", mm->id,
             (unsigned long long)mm->commit, (unsigned long long)commit);
    ch->committed += commit;
    uint64_t rss = 0;
    const struct vmr_hashmap *m = &mm->leaves;
    for (size_t i = 0; m->keys && i <= m->mask; i++) {
        if (!m->used[i])
            continue;
        struct leaf *l = (struct leaf *)(uintptr_t)m->vals[i];
        for (size_t j = 0; j < LEAF_PTES; j++) {
            uint64_t e = l->pte[j];
            if (!e)
                continue;
            uint64_t vpn = m->keys[i] << LEAF_BITS | j;
            struct vma *v = mm_find_vma(mm, vpn);
            if (!v) {
                FAIL(ch, "mm %u: PTE of vpn 0x%llx outside every area", mm->id,
                     (unsigned long long)vpn);
                continue;
            }
            if (e & PTE_ZERO) {
                if (e != PTE_ZERO || v->obj != NIL || v->shared)
                    FAIL(ch, "mm %u vpn 0x%llx: zero page outside private anonymous memory", mm->id,
                         (unsigned long long)vpn);
                continue;
            }
            if (e & PTE_SWAP_EXCL) {
                ch->excl_copies++;
                continue;
            }
            if (e & PTE_SWAP) {
                uint64_t s = pte_payload(e);
                if (s >= k->n_slots)
                    FAIL(ch, "mm %u vpn 0x%llx: bad slot", mm->id, (unsigned long long)vpn);
                else
                    ch->slot_refs[s]++;
                continue;
            }
            vmr_pfn_t pfn = (vmr_pfn_t)pte_payload(e);
            if (pfn >= k->n_frames || k->frames[pfn].type == FRAME_FREE) {
                FAIL(ch, "mm %u vpn 0x%llx: maps a free or bad frame", mm->id,
                     (unsigned long long)vpn);
                continue;
            }
            if ((e & PTE_WRITE) && !(v->prot & VMR_PROT_WRITE))
                FAIL(ch, "mm %u vpn 0x%llx: writable PTE in a read-only area", mm->id,
                     (unsigned long long)vpn);
            if (!has_rmap(k, pfn, &l->pte[j]))
                FAIL(ch, "mm %u vpn 0x%llx: no rmap entry", mm->id, (unsigned long long)vpn);
            ch->mapcount[pfn]++;
            rss++;
        }
    }
    if (rss != mm->rss)
        FAIL(ch, "mm %u: rss %llu but %llu present PTEs", mm->id, (unsigned long long)mm->rss,
             (unsigned long long)rss);
}

/* The machine-wide commit is the areas' charges plus the live shared
 * anonymous objects'; the per-area counters add up to the processes'. */
static void check_commit_and_areas(struct check *ch)
{
    const struct vmr_kernel *k = ch->k;
    struct vmr_counters areas = {0}, procs = {0};
    for (size_t i = 0; i < k->n_objs; i++) {
        const struct object *o = &k->objs[i];
        if (o->commit && (!o->shmem || o->n_vmas == 0))
            FAIL(ch, "object %zu: commit %llu but it is not live shared anonymous memory", i,
                 (unsigned long long)o->commit);
        ch->committed += o->commit;
        vmr_counters_merge(&areas, o->c);
    }
    if (ch->committed != k->committed)
        FAIL(ch, "commit: %llu pages charged, counter says %llu", (unsigned long long)ch->committed,
             (unsigned long long)k->committed);
    if (k->committed > k->commit_peak)
        FAIL(ch, "commit: %llu above its peak %llu", (unsigned long long)k->committed,
             (unsigned long long)k->commit_peak);
    for (int kind = 0; kind < VMA_N_KINDS; kind++)
        vmr_counters_merge(&areas, &k->kind_c[kind]);
    for (size_t i = 0; i < k->n_procs; i++)
        if (k->procs[i]->leader == k->procs[i])
            vmr_counters_merge(&procs, &k->procs[i]->c);
    static const size_t per_area[] = {
        offsetof(struct vmr_counters, minor_faults), offsetof(struct vmr_counters, major_faults),
        offsetof(struct vmr_counters, zero_fill),    offsetof(struct vmr_counters, cow_copies),
        offsetof(struct vmr_counters, cow_reuses),   offsetof(struct vmr_counters, segv_protection),
        offsetof(struct vmr_counters, sigbus),       offsetof(struct vmr_counters, file_reads),
        offsetof(struct vmr_counters, writebacks),   offsetof(struct vmr_counters, swap_ins),
    };
    for (size_t i = 0; i < sizeof per_area / sizeof per_area[0]; i++) {
        uint64_t a = *(const uint64_t *)((const char *)&areas + per_area[i]);
        uint64_t p = *(const uint64_t *)((const char *)&procs + per_area[i]);
        if (a != p)
            FAIL(ch, "per-area counter at offset %zu: areas sum to %llu, processes to %llu",
                 per_area[i], (unsigned long long)a, (unsigned long long)p);
    }
    if (areas.accesses || areas.evictions || areas.swap_outs)
        FAIL(ch, "per-area counters hold accesses, evictions or swap-outs");
}

int vmr_kernel_check(const struct vmr_kernel *k, char *errbuf, size_t errbuf_len)
{
    struct check ch = {.k = k, .buf = errbuf, .len = errbuf_len};
    ch.mapcount = calloc(k->n_frames, sizeof *ch.mapcount);
    ch.slot_refs = calloc(k->n_slots + 1, sizeof *ch.slot_refs);
    if (!ch.mapcount || !ch.slot_refs) {
        free(ch.mapcount);
        free(ch.slot_refs);
        return VMR_ENOMEM;
    }
    for (size_t i = 0; i < k->n_mms; i++)
        if (k->mms[i])
            check_mm(&ch, k->mms[i]);
    uint64_t used = 0, n_free = 0;
    for (uint32_t f = k->free_head; f != NIL && n_free <= k->n_frames; f = k->frames[f].rmap)
        n_free++;
    for (vmr_pfn_t pfn = 0; pfn < k->n_frames; pfn++) {
        const struct frame *f = &k->frames[pfn];
        if (f->type == FRAME_FREE)
            continue;
        used++;
        if (f->mapcount != ch.mapcount[pfn])
            FAIL(&ch, "frame %u: mapcount %u but %u PTEs map it", pfn, f->mapcount,
                 ch.mapcount[pfn]);
        if (f->type == FRAME_FILE) {
            uint64_t *c = vmr_hashmap_find(&k->page_cache, f->key);
            if (!c || *c != pfn)
                FAIL(&ch, "frame %u: file page not in the page cache", pfn);
        } else if (f->mapcount == 0 && f->swap_slot == NIL) {
            /* (swap read-ahead leaves unmapped pages in the swap cache) */
            FAIL(&ch, "frame %u: anonymous page mapped by nobody", pfn);
        }
        if (f->swap_excl) {
            if (f->type != FRAME_ANON || f->swap_slot != NIL)
                FAIL(&ch, "frame %u: exclusive swap copy on a frame that cannot have one", pfn);
            ch.excl_copies++;
        }
        if (f->swap_slot != NIL) {
            if (f->swap_slot >= k->n_slots || k->slots[f->swap_slot].cache_pfn != pfn)
                FAIL(&ch, "frame %u: swap cache link broken", pfn);
            else
                ch.slot_refs[f->swap_slot]++;
        }
    }
    if (used != k->frames_used || used + n_free != k->n_frames)
        FAIL(&ch, "frames: %llu used, %llu free, counters say %llu used of %u",
             (unsigned long long)used, (unsigned long long)n_free,
             (unsigned long long)k->frames_used, k->n_frames);
    const struct vmr_hashmap *sm = &k->shmem_swap;
    for (size_t i = 0; sm->keys && i <= sm->mask; i++)
        if (sm->used[i] && sm->vals[i] < k->n_slots)
            ch.slot_refs[sm->vals[i]]++;
    uint64_t slots_used = 0;
    for (size_t s = 0; s < k->n_slots; s++) {
        if (k->slots[s].refs != ch.slot_refs[s])
            FAIL(&ch, "swap slot %zu: refs %u but %u references found", s, k->slots[s].refs,
                 ch.slot_refs[s]);
        if (k->slots[s].refs)
            slots_used++;
    }
    if (slots_used + ch.excl_copies != k->swap_used)
        FAIL(&ch, "swap: %llu slots referenced and %llu copies without a slot, counter says %llu",
             (unsigned long long)slots_used, (unsigned long long)ch.excl_copies,
             (unsigned long long)k->swap_used);
    check_commit_and_areas(&ch);
    free(ch.mapcount);
    free(ch.slot_refs);
    if (!ch.bad && k->scope)
        return scope_check(k, errbuf, errbuf_len);
    return ch.bad ? VMR_EFORMAT : 0;
}
