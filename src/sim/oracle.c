/*
 * oracle.c - the pre-pass that gives OPT its knowledge of the future
 * (vmr_oracle in sim.h).
 *
 * The trace is replayed, one record at a time, through a second kernel with
 * the run's semantics and enough frames that nothing is evicted (policy
 * FIFO, never asked for a victim). After each access record the kernel is
 * asked which page each touch used (vmr_kernel_page_key): that key is the
 * page's identity, so next use follows a page through fork, sharing, the
 * page cache and copy-on-write, and a page freed by munmap or exit is never
 * confused with the page mapped there next (anonymous serials are not
 * reused; a file page keeps its object and index, as in the page cache).
 *
 * Chains: each key's slot holds its latest touch t (next_use[t] is filled
 * when the key is touched again) or its latest copy-on-write exception
 * (COW_LINK | index into cow, whose next_use field holds the previous link
 * until it is resolved). Slots of anonymous pages, whose keys are dense
 * serials, are an array; those of object pages a map. A touch of the key
 * resolves the whole chain of pending exceptions and the touch before
 * them: from all of them, the page's next use is this touch.
 *
 * The identity is defined with nothing evicted: if the kernel's memory
 * fills, the pass starts again with four times as many frames.
 */
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"
#include "vec.h"
#include "vmreplay/sim.h"

#define COW_LINK    (1ULL << 63)
#define LINK_NONE   UINT64_MAX
#define BATCH       4096
#define PTE_AHEAD   8
#define FRAME_AHEAD 4
#define PIPE        8 /* anonymous touches and stores in flight */

struct pass {
    struct vmr_kernel *k;
    /* per page key, its latest link + 1 (0: not seen): anonymous serials
     * (dense) in an array, object pages in a map */
    uint64_t *anon;
    size_t cap_anon;
    struct vmr_hashmap objs;
    uint64_t n_pages;
    uint64_t *next;
    size_t cap_next;
    uint64_t t;
    struct vmr_oracle_cow *cow;
    size_t n_cow, cap_cow;
    uint64_t *pre; /* scratch: copy sources of the pages of one write */
    size_t cap_pre;
    /* software pipeline of anonymous touches (see touch): touches whose
     * slots are being fetched, and next_use stores whose lines are */
    struct {
        uint64_t key, t;
    } pend[PIPE];
    struct {
        uint64_t at, val;
    } store[PIPE];
    unsigned n_pend, pend_head, n_store, store_head;
};

/* Every pending link of chain v gets next use `t`. */
static void resolve(struct pass *ps, uint64_t v, uint64_t t)
{
    while (v != LINK_NONE && (v & COW_LINK)) {
        struct vmr_oracle_cow *c = &ps->cow[v & ~COW_LINK];
        v = c->next_use;
        c->next_use = t;
    }
    if (v != LINK_NONE)
        ps->next[v] = t;
}

/* The slot of page key (its latest link + 1, or 0); NULL if out of memory. */
static uint64_t *slot_of(struct pass *ps, uint64_t key)
{
    uint64_t *s;
    if (key <= VMR_KEY_ANON_MAX) {
        if (key >= ps->cap_anon &&
            vmr_grow_zero((void **)&ps->anon, &ps->cap_anon, key + 1, sizeof *ps->anon) != 0)
            return NULL;
        s = &ps->anon[key];
    } else {
        int inserted;
        s = vmr_hashmap_upsert(&ps->objs, key, 0, &inserted);
    }
    if (s && *s == 0)
        ps->n_pages++;
    return s;
}

/* Applies the oldest pending next_use store. */
static void apply_store(struct pass *ps)
{
    const unsigned i = ps->store_head;
    ps->next[ps->store[i].at] = ps->store[i].val;
    ps->store_head = (i + 1) % PIPE;
    ps->n_store--;
}

/* Applies the oldest pending anonymous touch: its slot (prefetched) is
 * read and set, and the touch before it gets its next use - through a
 * store that waits for its line in turn. */
static void apply_pend(struct pass *ps)
{
    const unsigned i = ps->pend_head;
    const uint64_t t = ps->pend[i].t;
    uint64_t *s = &ps->anon[ps->pend[i].key];
    ps->pend_head = (i + 1) % PIPE;
    ps->n_pend--;
    const uint64_t v = *s - 1;
    ps->n_pages += *s == 0;
    *s = t + 1;
    if (v == LINK_NONE)
        return;
    if (v & COW_LINK) {
        resolve(ps, v, t);
        return;
    }
    if (ps->n_store == PIPE)
        apply_store(ps);
    __builtin_prefetch(&ps->next[v], 1);
    const unsigned j = (ps->store_head + ps->n_store++) % PIPE;
    ps->store[j].at = v;
    ps->store[j].val = t;
}

static void flush(struct pass *ps)
{
    while (ps->n_pend)
        apply_pend(ps);
    while (ps->n_store)
        apply_store(ps);
}

/* Page `key` was used by touch t. The page maps are cache misses on large
 * traces, one after the other (slot, then the previous touch's next_use):
 * for anonymous pages, which have an array of slots, both are fetched
 * ahead and applied up to PIPE touches later. Only the order of one page's touches
 * matters, and anonymous and object keys never meet. */
static int touch(struct pass *ps, uint64_t key, uint64_t t)
{
    if (key > VMR_KEY_ANON_MAX) {
        uint64_t *s = slot_of(ps, key);
        if (!s)
            return VMR_ENOMEM;
        resolve(ps, *s - 1, t);
        *s = t + 1;
        return 0;
    }
    if (key >= ps->cap_anon &&
        vmr_grow_zero((void **)&ps->anon, &ps->cap_anon, key + 1, sizeof *ps->anon) != 0)
        return VMR_ENOMEM;
    __builtin_prefetch(&ps->anon[key], 1);
    if (ps->n_pend == PIPE)
        apply_pend(ps);
    const unsigned j = (ps->pend_head + ps->n_pend++) % PIPE;
    ps->pend[j].key = key;
    ps->pend[j].t = t;
    return 0;
}

/* Touch t copied page `key` (it used another): an exception. */
static int copied(struct pass *ps, uint64_t key, uint64_t t)
{
    flush(ps);
    if (vmr_grow((void **)&ps->cow, &ps->cap_cow, ps->n_cow + 1, sizeof *ps->cow) != 0)
        return VMR_ENOMEM;
    uint64_t *s = slot_of(ps, key);
    if (!s)
        return VMR_ENOMEM;
    ps->cow[ps->n_cow] = (struct vmr_oracle_cow){.time = t, .key = key, .next_use = *s - 1};
    *s = (COW_LINK | ps->n_cow++) + 1;
    return 0;
}

/* One access record: its pages are touches t .. t + n - 1. */
static int access_rec(struct pass *ps, const struct vmr_record *rec, unsigned shift)
{
    struct vmr_kernel *k = ps->k;
    const uint64_t first = rec->addr >> shift, last = (rec->addr + rec->size - 1) >> shift;
    const uint64_t n = last - first + 1;
    const int write = rec->kind == VMR_OP_WRITE;
    if (vmr_grow((void **)&ps->next, &ps->cap_next, ps->t + n, sizeof *ps->next) != 0 ||
        (write && vmr_grow((void **)&ps->pre, &ps->cap_pre, n, sizeof *ps->pre) != 0))
        return VMR_ENOMEM;
    for (uint64_t i = 0; write && i < n; i++)
        ps->pre[i] = vmr_kernel_cow_source_key(k, rec->pid, (first + i) << shift);
    size_t failed;
    int rc = vmr_kernel_run(k, rec, 1, &failed);
    if (rc != 0)
        return rc;
    for (uint64_t i = 0; i < n && rc == 0; i++) {
        const uint64_t t = ps->t + i;
        const uint64_t key = vmr_kernel_page_key(k, rec->pid, (first + i) << shift, rec->kind);
        ps->next[t] = UINT64_MAX;
        if (key != VMR_KEY_UNKNOWN)
            rc = touch(ps, key, t);
        if (rc == 0 && write && ps->pre[i] != VMR_KEY_UNKNOWN && ps->pre[i] != key)
            rc = copied(ps, ps->pre[i], t);
    }
    ps->t += n;
    return rc;
}

enum { PASS_DONE, PASS_FULL };

/* One pass over the trace from its start: PASS_DONE, PASS_FULL (memory
 * filled) or an error. */
static int run_pass(struct pass *ps, struct vmr_trace_reader *r, uint32_t frames, unsigned shift,
                    char *errbuf, size_t errbuf_len)
{
    int rc = vmr_trace_reader_rewind(r);
    /* records after the last access change no touch's page (the exits
     * that end a trace would only tear its pages down): an indexed trace
     * says where to stop */
    const struct vmr_trace_info *info = vmr_trace_reader_info(r);
    uint64_t left = info->indexed ? info->n_access_records : UINT64_MAX;
    while (left > 0) {
        const struct vmr_record *recs;
        size_t n;
        if (rc == 0)
            rc = vmr_trace_reader_next_view(r, &recs, BATCH, &n);
        if (rc != 0) {
            vmr_errf(errbuf, errbuf_len, "%s", vmr_trace_reader_error(r));
            return rc;
        }
        if (n == 0)
            break;
        for (size_t i = 0; i < n && left > 0; i++) {
            /* hints: the PTE of a record PTE_AHEAD on, the frame of one
             * FRAME_AHEAD on (whose PTE was fetched meanwhile) */
            if (i + PTE_AHEAD < n && vmr_rec_is_access(recs[i + PTE_AHEAD].kind))
                vmr_kernel_prefetch_page(ps->k, recs[i + PTE_AHEAD].pid, recs[i + PTE_AHEAD].addr,
                                         0);
            if (i + FRAME_AHEAD < n && vmr_rec_is_access(recs[i + FRAME_AHEAD].kind))
                vmr_kernel_prefetch_page(ps->k, recs[i + FRAME_AHEAD].pid,
                                         recs[i + FRAME_AHEAD].addr, 1);
            size_t failed;
            if (vmr_rec_is_access(recs[i].kind)) {
                rc = access_rec(ps, &recs[i], shift);
                left--;
            } else {
                rc = vmr_kernel_run(ps->k, &recs[i], 1, &failed);
            }
            if (rc == VMR_ENOMEM && !vmr_kernel_error(ps->k)[0]) {
                vmr_errf(errbuf, errbuf_len, "out of memory in the oracle pass (%llu page touches)",
                         (unsigned long long)ps->t);
                return rc;
            }
            if (rc != 0) {
                char where[512];
                vmr_trace_reader_where(r, i, where, sizeof where);
                vmr_errf(errbuf, errbuf_len, "%s: %s", where, vmr_kernel_error(ps->k));
                return rc;
            }
            if (vmr_kernel_time(ps->k) != ps->t) {
                vmr_errf(errbuf, errbuf_len,
                         "oracle pass: the kernel counted %llu page touches, the pass %llu",
                         (unsigned long long)vmr_kernel_time(ps->k), (unsigned long long)ps->t);
                return VMR_EFORMAT;
            }
            uint64_t used, swapped;
            vmr_kernel_usage(ps->k, &used, &swapped, NULL, 0);
            if (used >= frames)
                return PASS_FULL;
        }
    }
    struct vmr_counters c;
    vmr_kernel_totals(ps->k, &c);
    return c.evictions ? PASS_FULL : PASS_DONE;
}

static void pass_reset(struct pass *ps)
{
    vmr_kernel_destroy(ps->k);
    ps->k = NULL;
    ps->n_pend = ps->n_store = 0;
    vmr_hashmap_clear(&ps->objs);
    if (ps->anon)
        memset(ps->anon, 0, ps->cap_anon * sizeof *ps->anon);
    ps->n_pages = 0;
    ps->t = 0;
    ps->n_cow = 0;
}

/* Frames for the first pass: a quarter of the accesses of an indexed trace
 * (4096 to 2^20), else 2^14. */
static uint32_t first_frames(const struct vmr_trace_info *info)
{
    uint64_t n = info->indexed ? info->n_access_records / 4 : 1u << 14;
    n = n < (1u << 12) ? 1u << 12 : n;
    return n > (1u << 20) ? 1u << 20 : (uint32_t)n;
}

int vmr_oracle_compute(struct vmr_trace_reader *r, const struct vmr_kernel_config *kc,
                       struct vmr_oracle *o, char *errbuf, size_t errbuf_len)
{
    memset(o, 0, sizeof *o);
    unsigned shift = 0;
    while ((1u << shift) < kc->page_size)
        shift++;
    struct vmr_kernel_config pc = *kc;
    pc.policy = "fifo";
    /* page identity does not depend on who may evict whom */
    pc.scope = VMR_SCOPE_GLOBAL;
    pc.quota = NULL;
    pc.seed = 0;
    pc.commit_frames = kc->commit_frames ? kc->commit_frames : kc->n_frames;
    pc.n_frames = first_frames(vmr_trace_reader_info(r));
    struct pass ps = {0};
    int rc = vmr_hashmap_init(&ps.objs, 1024);
    if (rc != 0)
        vmr_errf(errbuf, errbuf_len, "out of memory in the oracle pass");
    for (unsigned passes = 1; rc == 0; passes++) {
        rc = vmr_kernel_create(&ps.k, &pc, errbuf, errbuf_len);
        if (rc == 0)
            rc = run_pass(&ps, r, pc.n_frames, shift, errbuf, errbuf_len);
        if (rc == PASS_DONE) {
            o->passes = passes;
            break;
        }
        if (rc == PASS_FULL) {
            pass_reset(&ps);
            if (pc.n_frames == UINT32_MAX - 1) {
                vmr_errf(errbuf, errbuf_len, "oracle pass: more than 2^32 pages resident");
                rc = VMR_ENOMEM;
            } else {
                pc.n_frames =
                    pc.n_frames >= (UINT32_MAX - 1) / 4 ? UINT32_MAX - 1 : pc.n_frames * 4;
                rc = 0;
            }
        }
    }
    if (rc == 0) {
        flush(&ps);
        /* the chains still open end with no next use */
        const struct vmr_hashmap *m = &ps.objs;
        for (size_t i = 0; i <= m->mask && m->keys; i++)
            if (m->used[i])
                resolve(&ps, m->vals[i] - 1, UINT64_MAX);
        for (size_t i = 0; i < ps.cap_anon; i++)
            if (ps.anon[i])
                resolve(&ps, ps.anon[i] - 1, UINT64_MAX);
        o->next_use = ps.next;
        o->n_touches = ps.t;
        o->cow = ps.cow;
        o->n_cow = ps.n_cow;
        o->n_pages = ps.n_pages;
        o->frames = pc.n_frames;
        ps.next = NULL;
        ps.cow = NULL;
    }
    vmr_kernel_destroy(ps.k);
    vmr_hashmap_release(&ps.objs);
    free(ps.anon);
    free(ps.next);
    free(ps.cow);
    free(ps.pre);
    return rc;
}

void vmr_oracle_apply(struct vmr_kernel *k, const struct vmr_oracle *o)
{
    vmr_kernel_set_oracle(k, o->next_use, o->n_touches);
    vmr_kernel_set_oracle_cow(k, o->cow, o->n_cow);
}

void vmr_oracle_release(struct vmr_oracle *o)
{
    free(o->next_use);
    free(o->cow);
    memset(o, 0, sizeof *o);
}

static int same_str(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

int vmr_oracle_shareable(const struct vmr_kernel_config *a, const struct vmr_kernel_config *b)
{
    /* memory and swap size matter only to commit limits, which are off in
     * mode "always" and with unlimited swap */
    int commit = a->overcommit != VMR_OVERCOMMIT_ALWAYS &&
                 (a->swap_pages != VMR_SWAP_UNLIMITED || b->swap_pages != VMR_SWAP_UNLIMITED);
    uint32_t ra = a->commit_frames ? a->commit_frames : a->n_frames;
    uint32_t rb = b->commit_frames ? b->commit_frames : b->n_frames;
    return a->page_size == b->page_size && a->on_segv == b->on_segv &&
           same_str(a->sysroot, b->sysroot) && a->load_needed == b->load_needed &&
           a->overcommit == b->overcommit && a->overcommit_ratio == b->overcommit_ratio &&
           a->zero_page == b->zero_page && a->fault_around == b->fault_around &&
           a->write_notify == b->write_notify && a->swap_readahead == b->swap_readahead &&
           a->fork_anon_only == b->fork_anon_only && a->sigbus == b->sigbus &&
           (!commit || (ra == rb && a->swap_pages == b->swap_pages));
}
