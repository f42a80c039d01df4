/*
 * scope.c - local replacement scope (`--scope local`, README.md "Local
 * replacement").
 *
 * In global scope one policy instance chooses among every frame. In local
 * scope each process (thread group: its threads share it) has a quota of
 * frames and its own instance of the policy, and a fault of a process at its
 * quota replaces one of that process's own pages, chosen by its instance.
 *
 * Charging. A frame is charged to the process on whose behalf it was
 * allocated (first touch, as Linux's memory cgroups charge): the one that
 * faulted the page in, read it ahead or copied it on write. Sharing moves no
 * charge: a page-cache page another process maps, or an anonymous page a
 * fork shares, stays charged to the process that brought it in, and a
 * process's charge is not its rss. When a process ends, the frames still
 * charged to it (page-cache pages, pages its children still map, swap
 * cache) move to the orphan pool (owner 0), as memcg reparents the pages of
 * a removed group; the pool has quota 0 and is reclaimed first.
 *
 * Quotas. `--quota PID=SIZE,...` fixes some; the frames left over are split
 * equally among the other live processes, recomputed whenever a process
 * starts or ends (exec changes nothing): share = left / n, the oldest
 * (left mod n) processes getting one more, and never less than 1 frame.
 *
 * Allocation (scope_frame_get), for process P:
 *   1. P at or above its quota: P's instance chooses one of P's pages,
 *      which is evicted and its frame reused. P's charge never grows at its
 *      quota. (Only if none of P's pages can leave memory now - swap full -
 *      does P go on to 2.)
 *   2. a free frame, if any;
 *   3. otherwise a page of another owner: the orphan pool first, then the
 *      process furthest above its quota (a quota that shrank when a process
 *      started is so given back lazily, when memory is needed), through the
 *      kernel's reclaim (pinning, OOM kill as in global scope).
 *
 * The policy seen by the kernel (k->policy) becomes a dispatcher whose ops
 * forward each callback to the instance owning the frame; global scope
 * pays nothing.
 *
 * Instance sizes. A policy with resize (VMR_POLICY_RESIZE: every built-in)
 * gets instances sized by what the process can hold,
 * max(quota, charge) (at least 1), so its size-derived parameters
 * (ARC's c, LIRS's LIR set, 2Q's Kin/Kout, S3-FIFO's queues...) follow the
 * quota, and all instances together need O(frames + processes) memory. An
 * instance numbers its frames 0..cap-1 (slots): slot_of[pfn] and the
 * owner's pfn_of[slot] translate; a freed slot is kept aside (spare) for
 * the next page of the same owner, else goes to a min-heap of free slots
 * that gives the lowest (so that, after a quota shrank, the highest slots
 * drain and the instance can shrink). An instance
 * is resized (keeping its state) when it needs a slot and has none (by an
 * eighth above its quota), when its quota grows, and down to
 * max(target, highest held slot + 1) when its quota shrank (tried at its
 * faults, at most once every (cap - target) / 4 + SHRINK_WAIT charges, since
 * each try scans). The orphan pool reuses the kernel's instance, resized.
 *
 * Frame bits. An instance reads its own bits array (by slot), kept equal
 * to what it would have read in the shared one: REFERENCED is set by every
 * access (the dispatcher asks for every hit, with HIT_NO_KEY for a
 * hardware-realistic policy, and the instance clears it as before; the
 * kernel never reads REFERENCED), DIRTY is copied at each insert and hit,
 * for the last frame touched again before the next callback (a write can
 * follow a swap-in in the same fault), and by scope_bits_changed (called
 * by frame_bits_set/clear) when the kernel cleans a page (mm.c); PINNED is
 * copied the same way for
 * the fault's own page (copy-on-write source, swap read-ahead anchor:
 * fault.c) and, around each select_victim, for the victims that could not
 * leave in this allocation (sel[]), which reclaim pins and asks again. A
 * pinned victim nobody reported is pinned then and asked again. So the
 * policies whose choice does not depend on their size (FIFO, LRU, CLOCK,
 * SIEVE, RANDOM, GCLOCK, LFU, OPT, the Linux-like lists) count exactly as
 * with full-size instances.
 *
 * A policy without resize (a plug-in) keeps the scheme before: each
 * instance has the full frame count and the shared frame_bits array,
 * frames keeping their numbers, at O(frames) memory per process that has
 * faulted (the instance is created at its first fault and freed when it
 * ends).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "parse.h"
#include "vec.h"

#define MAX_COUNTERS 32

struct owner {
    /* its policy instance: the kernel's original one for the orphan pool,
     * else `own`, opened at the first fault (ops NULL until then) */
    const struct vmr_policy_ops *ops;
    void *state;
    struct vmr_policy *own;
    struct proc *proc; /* the leader; NULL for the orphan pool */
    uint64_t charged;  /* frames charged to it */
    uint64_t quota;
    uint64_t fixed; /* from --quota, else 0 (equal share) */
    uint64_t seq;   /* creation order, for ties */
    uint32_t head;  /* its frames, linked through scope.next/prev */
    uint32_t id;
    uint32_t stamp; /* select_victim: already asked in this call */
    /* local frame numbers (s->local; file comment): the instance has cap
     * slots, pfn_of[slot] the frame in it (NIL: free), bits[slot] what it
     * reads as frame_bits; free slots in a min-heap */
    uint32_t cap;
    uint32_t *pfn_of;
    uint8_t *bits;
    uint32_t *heap;
    uint32_t n_heap;
    uint32_t spare;       /* a free slot kept out of the heap (NIL: none) */
    uint32_t shrink_wait; /* charges before the next try to shrink */
};

struct scope {
    struct vmr_kernel *k;
    struct vmr_policy_ops ops; /* the dispatcher the kernel calls */
    struct owner **owners;     /* by id; NULL = free id; 0 = orphan pool */
    size_t n_owners, cap_owners;
    struct owner **live; /* live processes, oldest first */
    size_t n_live, cap_live;
    uint32_t *owner_of; /* per frame: its owner's id, NIL when free */
    uint32_t *next, *prev;
    uint64_t *next_use; /* NEEDS_FUTURE policies: per frame, the last
                           next_use told, to move it to the orphan pool */
    struct vmr_quota *quotas;
    size_t n_quotas;
    uint32_t pending; /* owner of the frame being allocated */
    int dirty;        /* quotas to recompute */
    int have_miss;    /* on_miss came: forward it to the faulting process */
    struct vmr_access miss;
    int local;         /* the policy has resize: instances use local slots */
    uint32_t *slot_of; /* local: per frame, its slot in its owner's instance */
    uint32_t last;     /* local: the frame last inserted or hit (DIRTY may follow) */
    uint32_t *sel;     /* local: victims chosen since this allocation began */
    uint32_t n_sel;
    uint64_t seq;
    uint32_t stamp;
    /* counters of instances already closed, summed by name */
    struct vmr_policy_counter retired[MAX_COUNTERS];
    size_t n_retired;
};

/* ---- quota lists ------------------------------------------------------ */

int vmr_quota_parse(const char *spec, uint32_t page_size, struct vmr_quota **out, size_t *n,
                    char *errbuf, size_t errbuf_len)
{
    *out = NULL;
    *n = 0;
    size_t cap = 0, len = strlen(spec);
    struct vmr_quota *q = NULL;
    const char *p = spec, *end = spec + len;
    if (len == 0) {
        vmr_errf(errbuf, errbuf_len, "--quota: empty list (expected PID=SIZE[,PID=SIZE...])");
        return VMR_EINVAL;
    }
    while (p <= end) {
        const char *e = p;
        while (e < end && *e != ',' && *e != '+')
            e++;
        const char *eq = memchr(p, '=', (size_t)(e - p));
        uint64_t pid, amount;
        int rc = VMR_EINVAL;
        if (eq && eq > p && eq + 1 < e && vmr_parse_u64_n(p, (size_t)(eq - p), &pid) == 0 &&
            pid <= UINT32_MAX) {
            const char *v = eq + 1;
            size_t vn = (size_t)(e - v);
            if (v[vn - 1] == 'p' || v[vn - 1] == 'P')
                rc = vn > 1 ? vmr_parse_u64_n(v, vn - 1, &amount) : VMR_EINVAL;
            else if ((rc = vmr_parse_size_n(v, vn, &amount)) == 0)
                amount /= page_size;
        }
        if (rc != 0) {
            vmr_errf(errbuf, errbuf_len,
                     "--quota '%s': entry '%.*s' is not PID=SIZE (SIZE as 64M, 4096 or 300p)", spec,
                     (int)(e - p), p);
            free(q);
            return VMR_EINVAL;
        }
        if (amount == 0) {
            vmr_errf(errbuf, errbuf_len, "--quota '%s': pid %llu gets less than one page", spec,
                     (unsigned long long)pid);
            free(q);
            return VMR_EINVAL;
        }
        for (size_t i = 0; i < *n; i++)
            if (q[i].pid == pid) {
                vmr_errf(errbuf, errbuf_len, "--quota '%s': pid %llu is given twice", spec,
                         (unsigned long long)pid);
                free(q);
                return VMR_EINVAL;
            }
        if (vmr_grow((void **)&q, &cap, *n + 1, sizeof *q) != 0) {
            free(q);
            return VMR_ENOMEM;
        }
        q[(*n)++] = (struct vmr_quota){.pid = (vmr_pid_t)pid, .pages = amount};
        p = e + 1;
    }
    *out = q;
    return 0;
}

/* ---- owners and charges ----------------------------------------------- */

static void charge(struct scope *s, struct owner *o, vmr_pfn_t pfn)
{
    s->owner_of[pfn] = o->id;
    s->prev[pfn] = NIL;
    s->next[pfn] = o->head;
    if (o->head != NIL)
        s->prev[o->head] = pfn;
    o->head = pfn;
    o->charged++;
}

/* Uncharges pfn; returns its former owner. */
static struct owner *uncharge(struct scope *s, vmr_pfn_t pfn)
{
    struct owner *o = s->owners[s->owner_of[pfn]];
    if (s->prev[pfn] != NIL)
        s->next[s->prev[pfn]] = s->next[pfn];
    else
        o->head = s->next[pfn];
    if (s->next[pfn] != NIL)
        s->prev[s->next[pfn]] = s->prev[pfn];
    s->owner_of[pfn] = NIL;
    o->charged--;
    return o;
}

static struct owner *owner_of(const struct scope *s, vmr_pfn_t pfn)
{
    return s->owners[s->owner_of[pfn]];
}

/* ---- local slots (s->local) ------------------------------------------- */

#define SHRINK_WAIT 8u

static void heap_push(struct owner *o, uint32_t slot)
{
    uint32_t *h = o->heap, i = o->n_heap++;
    while (i > 0 && h[(i - 1) / 2] > slot) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = slot;
}

static uint32_t heap_pop(struct owner *o)
{
    uint32_t *h = o->heap, top = h[0], x = h[--o->n_heap], i = 0, n = o->n_heap;
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && h[c + 1] < h[c])
            c++;
        if (h[c] >= x)
            break;
        h[i] = h[c];
        i = c;
    }
    if (n)
        h[i] = x;
    return top;
}

/* Resizes o's instance to cap slots (every held slot below cap); 0 or
 * VMR_ENOMEM with nothing changed. */
static int owner_resize(struct scope *s, struct owner *o, uint32_t cap)
{
    if (cap == o->cap)
        return 0;
    const uint32_t old = o->cap;
    uint32_t *pfn_of = malloc((size_t)cap * sizeof *pfn_of);
    uint8_t *bits = malloc(cap);
    uint32_t *heap = malloc((size_t)cap * sizeof *heap);
    int rc = pfn_of && bits && heap ? 0 : VMR_ENOMEM;
    if (rc == 0) {
        const uint32_t keep = old < cap ? old : cap;
        if (keep) {
            memcpy(pfn_of, o->pfn_of, (size_t)keep * sizeof *pfn_of);
            memcpy(bits, o->bits, keep);
        }
        memset(pfn_of + keep, 0xff, (size_t)(cap - keep) * sizeof *pfn_of);
        memset(bits + keep, 0, cap - keep);
        if (o->ops)
            rc = o->ops->resize(&o->state, cap, bits);
        if (o->own)
            o->own->state = o->state;
    }
    if (rc != 0) {
        free(pfn_of);
        free(bits);
        free(heap);
        return rc;
    }
    free(o->pfn_of);
    free(o->bits);
    free(o->heap);
    o->pfn_of = pfn_of;
    o->bits = bits;
    o->heap = heap;
    o->cap = cap;
    /* the free slots in increasing order: a sorted array is a min-heap */
    o->n_heap = 0;
    o->spare = NIL;
    for (uint32_t i = 0; i < cap; i++)
        if (pfn_of[i] == NIL)
            heap[o->n_heap++] = i;
    (void)s;
    return 0;
}

/* What o's instance should hold now: its quota, or its charge above it. */
static uint32_t owner_target(const struct owner *o)
{
    uint64_t t = o->quota > o->charged ? o->quota : o->charged;
    return t < 1 ? 1 : t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

/* Brings o's size to its target when it is below (must) or above (when
 * the slots held allow, at most once in a while: each try scans). */
static int owner_fit(struct scope *s, struct owner *o)
{
    const uint32_t t = owner_target(o);
    if (o->cap < t)
        return owner_resize(s, o, t);
    if (o->cap == t || o->shrink_wait > 0)
        return 0;
    uint32_t top = o->cap;
    while (top > t && o->pfn_of[top - 1] == NIL)
        top--;
    o->shrink_wait = (o->cap - t) / 4 + SHRINK_WAIT;
    return top < o->cap ? owner_resize(s, o, top) : 0;
}

/* Gives pfn a slot in o's instance, growing it if full: above its quota by
 * an eighth at a time. */
static int slot_take(struct scope *s, struct owner *o, vmr_pfn_t pfn)
{
    uint32_t slot = o->spare;
    if (slot != NIL) {
        o->spare = NIL;
    } else {
        if (o->n_heap == 0) {
            uint64_t want = (uint64_t)o->cap + o->cap / 8 + 1;
            if (want < o->quota)
                want = o->quota;
            int rc = owner_resize(s, o, want > UINT32_MAX ? UINT32_MAX : (uint32_t)want);
            if (rc != 0)
                return rc;
        }
        slot = heap_pop(o);
        if (o->shrink_wait > 0)
            o->shrink_wait--;
    }
    o->pfn_of[slot] = pfn;
    /* what the access path set; PINNED is mirrored only while choosing */
    o->bits[slot] = s->k->frame_bits[pfn] & (uint8_t)~VMR_FRAME_PINNED;
    s->slot_of[pfn] = slot;
    return 0;
}

static void slot_give(struct scope *s, struct owner *o, vmr_pfn_t pfn)
{
    const uint32_t slot = s->slot_of[pfn];
    o->pfn_of[slot] = NIL;
    o->bits[slot] = 0;
    s->slot_of[pfn] = NIL;
    /* the common case, a page replacing one of its owner's own, reuses the
     * slot without the heap; not while the instance should shrink, when
     * the lowest free slots are taken so the highest drain */
    if (o->spare == NIL && o->cap <= owner_target(o)) {
        o->spare = slot;
        return;
    }
    heap_push(o, slot);
}

/* The number o's instance knows pfn by. */
static inline vmr_pfn_t slot(const struct scope *s, vmr_pfn_t pfn)
{
    return s->local ? s->slot_of[pfn] : pfn;
}

/* DIRTY of the frame last touched may have been set after its callback
 * (a write that follows a swap-in in the same fault): copied before the
 * policy looks again. */
static inline void sync_last(struct scope *s)
{
    const vmr_pfn_t f = s->last;
    if (f == NIL || s->owner_of[f] == NIL)
        return;
    uint8_t *b = &s->owners[s->owner_of[f]]->bits[s->slot_of[f]];
    *b = (uint8_t)((*b & ~VMR_FRAME_DIRTY) | (s->k->frame_bits[f] & VMR_FRAME_DIRTY));
}

void scope_bits_changed(struct vmr_kernel *k, vmr_pfn_t pfn)
{
    struct scope *s = k->scope;
    if (!s->local || s->owner_of[pfn] == NIL)
        return;
    uint8_t *b = &s->owners[s->owner_of[pfn]]->bits[s->slot_of[pfn]];
    *b = (uint8_t)((*b & VMR_FRAME_REFERENCED) |
                   (k->frame_bits[pfn] & (VMR_FRAME_DIRTY | VMR_FRAME_PINNED)));
}

/* Adds the policy counters of an instance to out[0..*n). */
static void sum_counters(const struct owner *o, struct vmr_policy_counter *out, size_t *n)
{
    if (!o->ops || !o->ops->report)
        return;
    struct vmr_policy_counter c[MAX_COUNTERS];
    size_t m = o->ops->report(o->state, c, MAX_COUNTERS);
    if (m > MAX_COUNTERS)
        m = MAX_COUNTERS;
    for (size_t i = 0; i < m; i++) {
        size_t j = 0;
        while (j < *n && strcmp(out[j].name, c[i].name) != 0)
            j++;
        if (j == *n) {
            if (*n == MAX_COUNTERS)
                continue;
            out[(*n)++] = (struct vmr_policy_counter){.name = c[i].name, .value = 0};
        }
        out[j].value += c[i].value;
    }
}

static void owner_close(struct scope *s, struct owner *o)
{
    if (o->own) {
        sum_counters(o, s->retired, &s->n_retired);
        vmr_policy_close(o->own);
        free(o->own);
    }
    free(o->pfn_of);
    free(o->bits);
    free(o->heap);
    free(o);
}

/* Opens the owner's instance if it has none yet; 0 or VMR_E* (kernel
 * error set). */
static int owner_open(struct scope *s, struct owner *o)
{
    if (o->ops)
        return 0;
    struct vmr_kernel *k = s->k;
    char err[256];
    int rc = s->local ? owner_resize(s, o, owner_target(o)) : 0;
    o->own = rc == 0 ? calloc(1, sizeof *o->own) : NULL;
    if (rc == 0)
        rc = o->own
                 ? vmr_policy_open(o->own, k->policy.spec, s->local ? o->cap : k->n_frames,
                                   s->local ? o->bits : k->frame_bits, k->cfg.seed, err, sizeof err)
                 : VMR_ENOMEM;
    if (rc != 0) {
        free(o->own);
        o->own = NULL;
        kernel_set_error(k, "local scope: policy instance for pid %u: %s",
                         o->proc ? (unsigned)o->proc->pid : 0u,
                         rc == VMR_ENOMEM ? "out of memory" : err);
        k->broken = 1;
        return rc;
    }
    o->ops = o->own->ops;
    o->state = o->own->state;
    return 0;
}

/* The equal split (file comment). */
static void recompute(struct scope *s)
{
    const uint64_t n_frames = s->k->n_frames;
    uint64_t fixed = 0, n_eq = 0;
    for (size_t i = 0; i < s->n_live; i++) {
        if (s->live[i]->fixed)
            fixed += s->live[i]->fixed;
        else
            n_eq++;
    }
    const uint64_t left = n_frames > fixed ? n_frames - fixed : 0;
    const uint64_t share = n_eq ? left / n_eq : 0, extra = n_eq ? left % n_eq : 0;
    uint64_t i_eq = 0;
    for (size_t i = 0; i < s->n_live; i++) {
        struct owner *o = s->live[i];
        if (o->fixed) {
            o->quota = o->fixed;
            continue;
        }
        o->quota = share + (i_eq++ < extra ? 1 : 0);
        if (o->quota == 0)
            o->quota = 1;
    }
    s->dirty = 0;
}

int scope_proc_new(struct vmr_kernel *k, struct proc *leader)
{
    struct scope *s = k->scope;
    uint32_t id = 1;
    while (id < s->n_owners && s->owners[id])
        id++;
    if (id == s->n_owners &&
        vmr_grow((void **)&s->owners, &s->cap_owners, s->n_owners + 1, sizeof *s->owners) != 0)
        return VMR_ENOMEM;
    if (vmr_grow((void **)&s->live, &s->cap_live, s->n_live + 1, sizeof *s->live) != 0)
        return VMR_ENOMEM;
    struct owner *o = calloc(1, sizeof *o);
    if (!o)
        return VMR_ENOMEM;
    o->proc = leader;
    o->id = id;
    o->head = NIL;
    o->spare = NIL;
    o->seq = ++s->seq;
    for (size_t i = 0; i < s->n_quotas; i++)
        if (s->quotas[i].pid == leader->pid)
            o->fixed = s->quotas[i].pages;
    if (id == s->n_owners)
        s->n_owners++;
    s->owners[id] = o;
    s->live[s->n_live++] = o;
    leader->scope_owner = id;
    s->dirty = 1;
    return 0;
}

void scope_proc_exit(struct vmr_kernel *k, struct proc *leader)
{
    struct scope *s = k->scope;
    const uint32_t id = leader->scope_owner;
    if (id == 0)
        return;
    struct owner *o = s->owners[id], *pool = s->owners[0];
    if (s->local && pool->cap < pool->charged + o->charged &&
        owner_resize(s, pool, (uint32_t)(pool->charged + o->charged)) != 0) {
        kernel_set_error(k, "local scope: out of memory for the orphan pool");
        k->broken = 1;
        return;
    }
    /* what is still charged to it moves to the orphan pool, as if just
     * loaded there (an OPT instance keeps the page's next use) */
    while (o->head != NIL) {
        vmr_pfn_t pfn = o->head;
        o->ops->on_remove(o->state, slot(s, pfn));
        if (s->local)
            slot_give(s, o, pfn);
        uncharge(s, pfn);
        charge(s, pool, pfn);
        if (s->local)
            slot_take(s, pool, pfn); /* room made above */
        struct vmr_access a = {
            .time = k->time,
            .next_use = s->next_use ? s->next_use[pfn] : UINT64_MAX,
            .key = k->frames[pfn].key,
            .pid = leader->pid,
            .count = 1,
            .op = VMR_OP_READ,
        };
        pool->ops->on_insert(pool->state, slot(s, pfn), &a);
    }
    if (s->last != NIL && s->owner_of[s->last] == NIL)
        s->last = NIL;
    size_t i = 0;
    while (s->live[i] != o)
        i++;
    memmove(&s->live[i], &s->live[i + 1], (s->n_live - i - 1) * sizeof *s->live);
    s->n_live--;
    s->owners[id] = NULL;
    if (s->pending == id)
        s->pending = 0;
    leader->scope_owner = 0;
    owner_close(s, o);
    s->dirty = 1;
}

/* ---- the dispatcher (k->policy) --------------------------------------- */

static void d_insert(void *st, vmr_pfn_t pfn, const struct vmr_access *a)
{
    struct scope *s = st;
    struct owner *o = s->owners[s->pending];
    if (s->local) {
        sync_last(s);
        if (slot_take(s, o, pfn) != 0) {
            kernel_set_error(s->k, "local scope: out of memory for pid %u's policy instance",
                             o->proc ? (unsigned)o->proc->pid : 0u);
            s->k->broken = 1;
            return;
        }
        s->last = pfn;
    }
    charge(s, o, pfn);
    if (s->next_use)
        s->next_use[pfn] = a->next_use;
    o->ops->on_insert(o->state, slot(s, pfn), a);
}

static void d_hit(void *st, vmr_pfn_t pfn, const struct vmr_access *a)
{
    struct scope *s = st;
    struct owner *o = owner_of(s, pfn);
    if (s->next_use)
        s->next_use[pfn] = a->next_use;
    if (!s->local) {
        o->ops->on_hit(o->state, pfn, a);
        return;
    }
    sync_last(s);
    const uint32_t sl = s->slot_of[pfn];
    o->bits[sl] = (uint8_t)((o->bits[sl] & ~VMR_FRAME_DIRTY) |
                            (s->k->frame_bits[pfn] & (VMR_FRAME_REFERENCED | VMR_FRAME_DIRTY)));
    s->last = pfn;
    if (o->ops->on_hit)
        o->ops->on_hit(o->state, sl, a);
}

static void d_miss(void *st, const struct vmr_access *a)
{
    struct scope *s = st;
    s->miss = *a;
    s->have_miss = 1;
}

static void d_evict(void *st, vmr_pfn_t pfn, uint64_t key)
{
    struct scope *s = st;
    struct owner *o = owner_of(s, pfn);
    if (s->local) {
        sync_last(s);
        o->ops->on_evict(o->state, s->slot_of[pfn], key);
        slot_give(s, o, pfn);
    } else {
        o->ops->on_evict(o->state, pfn, key);
    }
    uncharge(s, pfn);
}

static void d_remove(void *st, vmr_pfn_t pfn)
{
    struct scope *s = st;
    struct owner *o = owner_of(s, pfn);
    if (s->local) {
        sync_last(s);
        o->ops->on_remove(o->state, s->slot_of[pfn]);
        slot_give(s, o, pfn);
    } else {
        o->ops->on_remove(o->state, pfn);
    }
    uncharge(s, pfn);
}

/* Local: the instance reads PINNED from its own bits, but the kernel pins
 * frames in the shared array: the fault's own page (copy-on-write source,
 * swap read-ahead anchor), whose pin the fault reports
 * (scope_bits_changed), and the victims that could not leave in this
 * allocation (sel[]), pinned by the reclaim that asks again. PINNED of
 * the latter is copied in before select_victim and cleared after (on = 1,
 * then 0). */
static void mirror_pins(struct scope *s, struct owner *o, int on)
{
    const uint8_t *g = s->k->frame_bits;
    for (uint32_t i = 0; i < s->n_sel; i++) {
        const vmr_pfn_t f = s->sel[i];
        if (s->owner_of[f] != o->id)
            continue;
        uint8_t *b = &o->bits[s->slot_of[f]];
        *b = (uint8_t)((*b & ~VMR_FRAME_PINNED) | (on ? g[f] & VMR_FRAME_PINNED : 0));
    }
}

/* Asks o's instance for a victim, checking that it is one of o's frames;
 * *v is then the frame's number. */
static int ask(struct scope *s, struct owner *o, vmr_pfn_t *v)
{
    o->stamp = s->stamp;
    if (!o->ops || o->charged == 0)
        return VMR_ENOVICTIM;
    if (!s->local) {
        if (o->ops->select_victim(o->state, v) != 0)
            return VMR_ENOVICTIM;
        if (*v < s->k->n_frames && s->owner_of[*v] != o->id) {
            kernel_set_error(
                s->k, "policy '%s' (pid %u's instance) chose frame %u, not one of its own",
                s->k->policy.spec, o->proc ? (unsigned)o->proc->pid : 0u, (unsigned)*v);
            s->k->broken = 1;
        }
        return 0; /* the kernel checks the rest (free, pinned, range) */
    }
    sync_last(s);
    for (;;) {
        mirror_pins(s, o, 1);
        vmr_pfn_t sl;
        int rc = o->ops->select_victim(o->state, &sl);
        mirror_pins(s, o, 0);
        if (rc != 0)
            return VMR_ENOVICTIM;
        if (sl >= o->cap || o->pfn_of[sl] == NIL) {
            kernel_set_error(s->k,
                             "policy '%s' (pid %u's instance) chose frame %u, which it does not "
                             "hold (it has %u)",
                             s->k->policy.spec, o->proc ? (unsigned)o->proc->pid : 0u, (unsigned)sl,
                             (unsigned)o->cap);
            s->k->broken = 1;
            return VMR_ENOVICTIM;
        }
        *v = o->pfn_of[sl];
        uint32_t i = 0;
        while (i < s->n_sel && s->sel[i] != *v)
            i++;
        if (i == s->n_sel) /* distinct frames: at most n_frames */
            s->sel[s->n_sel++] = *v;
        /* a pin not mirrored (none known): mirrored now, asked again */
        if (!(s->k->frame_bits[*v] & VMR_FRAME_PINNED))
            return 0;
    }
}

/* The kernel's reclaim, in step 3 (file comment): the orphan pool, then the
 * processes by how far they are above their quota (oldest first on ties);
 * one whose pages are all pinned passes to the next. */
static int d_select(void *st, vmr_pfn_t *v)
{
    struct scope *s = st;
    s->stamp++;
    if (ask(s, s->owners[0], v) == 0)
        return 0;
    for (;;) {
        struct owner *best = NULL;
        for (size_t i = 0; i < s->n_live; i++) {
            struct owner *o = s->live[i];
            if (o->stamp == s->stamp || o->charged == 0)
                continue;
            if (!best || (int64_t)(o->charged - o->quota) > (int64_t)(best->charged - best->quota))
                best = o;
        }
        if (!best)
            return VMR_ENOVICTIM;
        if (ask(s, best, v) == 0)
            return 0;
    }
}

static size_t d_report(void *st, struct vmr_policy_counter *out, size_t max)
{
    struct scope *s = st;
    struct vmr_policy_counter c[MAX_COUNTERS];
    size_t n = s->n_retired;
    memcpy(c, s->retired, n * sizeof *c);
    for (size_t i = 0; i < s->n_owners; i++)
        if (s->owners[i])
            sum_counters(s->owners[i], c, &n);
    memcpy(out, c, (n < max ? n : max) * sizeof *c);
    return n;
}

static void d_destroy(void *st)
{
    struct scope *s = st;
    if (!s)
        return;
    for (size_t i = 1; i < s->n_owners; i++)
        if (s->owners[i])
            owner_close(s, s->owners[i]);
    if (s->n_owners) {
        /* the kernel's own instance: vmr_policy_close unloads a plug-in after */
        s->owners[0]->ops->destroy(s->owners[0]->state);
        s->owners[0]->ops = NULL;
        owner_close(s, s->owners[0]);
    }
    free(s->owners);
    free(s->live);
    free(s->owner_of);
    free(s->next);
    free(s->prev);
    free(s->next_use);
    free(s->slot_of);
    free(s->sel);
    free(s->quotas);
    free(s);
}

int scope_init(struct vmr_kernel *k, char *errbuf, size_t errbuf_len)
{
    const uint32_t n = k->n_frames;
    struct scope *s = calloc(1, sizeof *s);
    if (!s)
        return VMR_ENOMEM;
    s->k = k;
    int rc = 0;
    const char *quota = k->cfg.quota;
    k->cfg.quota = NULL; /* borrowed: not kept */
    if (quota && *quota)
        rc = vmr_quota_parse(quota, k->cfg.page_size, &s->quotas, &s->n_quotas, errbuf, errbuf_len);
    if (rc != 0) {
        free(s);
        return rc;
    }
    uint64_t sum = 0;
    for (size_t i = 0; i < s->n_quotas; i++)
        sum += s->quotas[i].pages;
    if (sum > n) {
        vmr_errf(errbuf, errbuf_len,
                 "--quota: the quotas add up to %llu pages, more than the %u of --memory",
                 (unsigned long long)sum, (unsigned)n);
        free(s->quotas);
        free(s);
        return VMR_EINVAL;
    }
    s->owner_of = malloc((size_t)n * sizeof *s->owner_of);
    s->next = malloc((size_t)n * sizeof *s->next);
    s->prev = malloc((size_t)n * sizeof *s->prev);
    if (k->policy.ops->flags & VMR_POLICY_NEEDS_FUTURE)
        s->next_use = malloc((size_t)n * sizeof *s->next_use);
    struct owner *pool = calloc(1, sizeof *pool);
    if (!s->owner_of || !s->next || !s->prev ||
        ((k->policy.ops->flags & VMR_POLICY_NEEDS_FUTURE) && !s->next_use) || !pool ||
        vmr_grow((void **)&s->owners, &s->cap_owners, 1, sizeof *s->owners) != 0) {
        free(pool);
        d_destroy(s);
        vmr_errf(errbuf, errbuf_len, "out of memory for %u frames", (unsigned)n);
        return VMR_ENOMEM;
    }
    memset(s->owner_of, 0xff, (size_t)n * sizeof *s->owner_of);
    /* the instance the kernel opened becomes the orphan pool's */
    pool->ops = k->policy.ops;
    pool->state = k->policy.state;
    pool->head = NIL;
    pool->spare = NIL;
    s->owners[0] = pool;
    s->n_owners = 1;
    s->last = NIL;
    if (k->policy.ops->flags & VMR_POLICY_RESIZE) {
        /* local slots (file comment); the pool starts small */
        s->local = 1;
        s->slot_of = malloc((size_t)n * sizeof *s->slot_of);
        s->sel = malloc((size_t)n * sizeof *s->sel);
        if (!s->slot_of || !s->sel || owner_resize(s, pool, 1) != 0) {
            /* the kernel's instance is still the kernel's */
            free(pool->pfn_of);
            free(pool->bits);
            free(pool->heap);
            free(pool);
            s->n_owners = 0;
            d_destroy(s);
            vmr_errf(errbuf, errbuf_len, "out of memory for %u frames", (unsigned)n);
            return VMR_ENOMEM;
        }
        memset(s->slot_of, 0xff, (size_t)n * sizeof *s->slot_of);
    }
    s->ops = *k->policy.ops;
    s->ops.flags &= ~(uint32_t)(VMR_POLICY_PEEK | VMR_POLICY_REPLACE | VMR_POLICY_FAR_GUESS |
                                VMR_POLICY_RESIZE | VMR_POLICY_NO_ACCESS | VMR_POLICY_NEXT_VICTIM |
                                VMR_POLICY_NEXT_UNREF);
    s->ops.peek_victim = NULL;
    s->ops.on_replace = NULL;
    s->ops.resize = NULL;
    if (s->local && !(s->ops.flags & VMR_POLICY_NEEDS_HITS))
        /* every access sets REFERENCED in the instance's own bits */
        s->ops.flags |= VMR_POLICY_NEEDS_HITS | VMR_POLICY_HIT_NO_KEY;
    s->ops.destroy = d_destroy;
    s->ops.on_insert = d_insert;
    s->ops.on_hit = k->policy.ops->on_hit || s->local ? d_hit : NULL;
    s->ops.on_miss = k->policy.ops->on_miss ? d_miss : NULL;
    s->ops.select_victim = d_select;
    s->ops.on_evict = d_evict;
    s->ops.on_remove = d_remove;
    s->ops.report = d_report;
    k->policy.ops = &s->ops;
    k->policy.state = s;
    k->scope = s;
    return 0;
}

/* ---- allocation ------------------------------------------------------- */

static vmr_pfn_t pop_free(struct vmr_kernel *k)
{
    vmr_pfn_t pfn = k->free_head;
    k->free_head = k->frames[pfn].rmap;
    k->frames[pfn].rmap = NIL;
    k->frames[pfn].pte1 = NULL;
    return pfn;
}

/* Step 1: evicts one of o's pages for actor. Pages that cannot leave now
 * are pinned meanwhile so that the instance picks another. */
static vmr_pfn_t evict_own(struct vmr_kernel *k, struct scope *s, struct owner *o,
                           struct proc *actor)
{
    size_t n_skipped = 0;
    vmr_pfn_t got = VMR_PFN_NONE;
    for (;;) {
        vmr_pfn_t v;
        s->stamp++;
        if (ask(s, o, &v) != 0 || k->broken)
            break;
        int rc = frame_evict(k, v, actor);
        if (rc == 0) {
            got = v;
            break;
        }
        if (rc < 0)
            break;
        k->frame_bits[v] |= VMR_FRAME_PINNED;
        k->skipped[n_skipped++] = v;
    }
    for (size_t i = 0; i < n_skipped; i++)
        k->frame_bits[k->skipped[i]] &= (uint8_t)~VMR_FRAME_PINNED;
    return got;
}

vmr_pfn_t scope_frame_get(struct vmr_kernel *k, struct proc *faulting)
{
    struct scope *s = k->scope;
    if (s->dirty)
        recompute(s);
    struct proc *leader = faulting->leader;
    struct owner *o = s->owners[leader->scope_owner]; /* 0 (pool) if it ended */
    if (o->proc && owner_open(s, o) != 0)
        return VMR_PFN_NONE;
    if (s->local) {
        s->n_sel = 0;
        if (owner_fit(s, o) != 0) {
            kernel_set_error(k, "local scope: out of memory for pid %u's policy instance",
                             o->proc ? (unsigned)o->proc->pid : 0u);
            k->broken = 1;
            return VMR_PFN_NONE;
        }
    }
    s->pending = o->id;
    if (s->have_miss) {
        s->have_miss = 0;
        o->ops->on_miss(o->state, &s->miss);
    }
    if (o->proc && o->charged >= o->quota) {
        vmr_pfn_t v = evict_own(k, s, o, faulting);
        if (v != VMR_PFN_NONE || k->broken)
            return v;
    }
    if (k->free_head != NIL)
        return pop_free(k);
    vmr_pfn_t v = frame_reclaim(k, faulting);
    /* an OOM kill may have ended the faulting process meanwhile */
    s->pending = leader->scope_owner;
    return v;
}

/* ---- inspection ------------------------------------------------------- */

int vmr_kernel_scope_usage(const struct vmr_kernel *k, vmr_pid_t pid, uint64_t *charged,
                           uint64_t *quota)
{
    struct scope *s = k->scope;
    if (!s)
        return VMR_ENOTFOUND;
    const struct owner *o = NULL;
    if (pid == 0) {
        o = s->owners[0];
    } else {
        uint64_t *idx = vmr_hashmap_find((struct vmr_hashmap *)&k->pid_to_proc, pid);
        const struct proc *p = idx ? k->procs[*idx] : NULL;
        if (!p || p->state != PROC_ALIVE || !p->leader->scope_owner)
            return VMR_ENOTFOUND;
        o = s->owners[p->leader->scope_owner];
    }
    if (s->dirty)
        recompute(s);
    *charged = o->charged;
    *quota = o->quota;
    return 0;
}

#define SFAIL(...)                                                                                 \
    do {                                                                                           \
        vmr_errf(errbuf, errbuf_len, __VA_ARGS__);                                                 \
        return VMR_EFORMAT;                                                                        \
    } while (0)

int scope_check(const struct vmr_kernel *k, char *errbuf, size_t errbuf_len)
{
    const struct scope *s = k->scope;
    uint64_t total = 0, quotas = 0, fixed = 0, n_eq = 0;
    for (size_t i = 0; i < s->n_owners; i++) {
        const struct owner *o = s->owners[i];
        if (!o)
            continue;
        if ((i == 0) != (o->proc == NULL))
            SFAIL("scope: owner %zu has %s process", i, o->proc ? "a" : "no");
        if (o->proc && (o->proc->state != PROC_ALIVE || o->proc->scope_owner != i))
            SFAIL("scope: owner %zu is not its live process's", i);
        uint64_t n = 0;
        uint32_t prev = NIL;
        for (uint32_t f = o->head; f != NIL && n <= k->n_frames; f = s->next[f], n++) {
            if (s->owner_of[f] != i || s->prev[f] != prev)
                SFAIL("scope: frame %u is on owner %zu's list but not linked to it", f, i);
            if (k->frames[f].type == FRAME_FREE)
                SFAIL("scope: free frame %u is charged to owner %zu", f, i);
            if (s->local && (s->slot_of[f] >= o->cap || o->pfn_of[s->slot_of[f]] != f))
                SFAIL("scope: frame %u of owner %zu has slot %u, which does not hold it", f, i,
                      s->slot_of[f]);
            prev = f;
        }
        if (n != o->charged)
            SFAIL("scope: owner %zu has %llu frames charged but %llu on its list", i,
                  (unsigned long long)o->charged, (unsigned long long)n);
        if (s->local && o->n_heap + (o->spare != NIL) != o->cap - n)
            SFAIL("scope: owner %zu has %u slots, %llu frames and %u free slots", i, o->cap,
                  (unsigned long long)n, o->n_heap);
        total += n;
        if (o->proc) {
            quotas += o->quota;
            fixed += o->fixed;
            n_eq += !o->fixed;
        }
    }
    if (total != k->frames_used)
        SFAIL("scope: %llu frames charged but %llu in use", (unsigned long long)total,
              (unsigned long long)k->frames_used);
    /* the equal shares add up to what the fixed quotas leave, or to one
     * frame each if there are more processes than that */
    const uint64_t left = k->n_frames > fixed ? k->n_frames - fixed : 0;
    const uint64_t want = fixed + (n_eq == 0 ? 0 : left > n_eq ? left : n_eq);
    if (!s->dirty && quotas != want)
        SFAIL("scope: quotas add up to %llu, not %llu (%u frames, %llu fixed, %llu shares)",
              (unsigned long long)quotas, (unsigned long long)want, (unsigned)k->n_frames,
              (unsigned long long)fixed, (unsigned long long)n_eq);
    for (vmr_pfn_t pfn = 0; pfn < k->n_frames; pfn++)
        if ((k->frames[pfn].type == FRAME_FREE) != (s->owner_of[pfn] == NIL))
            SFAIL("scope: frame %u is %s but %s", pfn,
                  k->frames[pfn].type == FRAME_FREE ? "free" : "in use",
                  s->owner_of[pfn] == NIL ? "charged to nobody" : "charged");
    return 0;
}
