/*
 * oracle.c - the pre-pass that gives OPT its knowledge of the future
 * (vmr_oracle in sim.h).
 *
 * Forward: the trace is replayed through a second kernel with the run's
 * semantics and frames that grow so that nothing is ever evicted
 * (vmr_kernel_grow_frames), and each page touch t is given the id of the
 * page it used, in use[t]. The id stands for the page's key, its identity,
 * so next use follows a page through fork, sharing, the page cache and
 * copy-on-write, and a page freed by munmap or exit is never confused with
 * the page mapped there next (anonymous serials are not reused; a file
 * page keeps its object and index, as in the page cache). Ids are 32-bit,
 * as times are, so that use[] costs 4 bytes a touch: an anonymous page's
 * id is its serial, a file page's is given at first sight from the top of
 * the range down (file_ids); the two must not meet (limit). A write that
 * copies a page also used the page it copied: a copy-on-write exception
 * (time, source key), whose next use the kernel looks up apart
 * (vmr_kernel_set_oracle_cow).
 *
 * Backward: one pass from the last touch to the first turns use[t] from an
 * id into the time of that page's next touch (VMR_NEXT_USE_NONE: none),
 * keeping per id the time of the touch after; an exception's next use is
 * the source's next touch after it. Exceptions are no touches: the touch
 * before one still gets the next touch as its next use.
 *
 * Which page each touch used comes from the kernel two ways. The fast
 * lane (fast_run) replays runs of one-page access records with the
 * kernel's own loop, the pass's policy (the watcher) being told of each
 * touch by on_hit or on_insert; when the reader makes page words of the
 * pass's page size (replay asks for them), the lane is chosen and run
 * from the words, and only a write that may copy needs its record. The
 * slow lane replays one record at a time and asks vmr_kernel_page_key
 * after it; it takes what the fast lane cannot (see fast_ok): records of
 * several pages, writes that copy, and anything while the kernel has
 * pages in swap.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "hashmap.h"
#include "vec.h"
#include "vmreplay/sim.h"

#define BATCH       4096
#define PTE_AHEAD   8
#define FRAME_AHEAD 4
#define POP_CHUNK   ((uint64_t)1 << 20) /* touches of use[] mapped at a time */
#define KEY_AHEAD   128 /* touches whose frames' ids, or ids' slots, are fetched ahead */
#define NO_PAGE     VMR_NEXT_USE_NONE /* use[t]: the touch used no page; after backward, never */

struct pass {
    struct vmr_kernel *k;
    uint32_t *use; /* per touch: its page's id (NO_PAGE: none), then its next use */
    size_t cap_use;
    uint64_t t; /* touches so far */
    /* at most `limit` touches, and anon_max + n_file at most `limit`, so
     * that the two ranges of ids do not meet and a slot of backward holds
     * a time + 2 (VMR_ORACLE_MAX_TOUCHES; less for the tests, see
     * oracle_limit); id_rc: VMR_ERANGE or VMR_ENOMEM once a touch or an
     * id could not be given */
    uint64_t limit;
    int id_rc;
    struct vmr_oracle_cow *cow;
    size_t n_cow, cap_cow;
    uint64_t *pre; /* scratch: copy sources of the pages of one write */
    size_t cap_pre;
    uint64_t anon_max;           /* the largest anonymous key seen: ids 1 .. anon_max */
    struct vmr_hashmap file_ids; /* file and shared keys -> j, of id NO_PAGE - j */
    uint32_t n_file;             /* j given so far: 1 .. n_file */
    /* the watcher (the pass kernel's policy): the id of each frame's
     * page; during a fast run, use[t] holds the frame touch t used, for
     * use[conv .. hi) still to be turned into ids (convert) */
    uint32_t *id_of;
    uint32_t n_id_of;
    int watching; /* a fast run is on */
    int full;     /* the kernel asked for a victim: memory ran out */
    uint64_t run_end, conv, hi;
    uint64_t pop, pop_end; /* use[0 .. pop) mapped ahead, up to pop_end (use_ahead) */
};

/* ---- forward: the fast lane ---------------------------------------------
 *
 * Where a touch makes at most one policy call, for the page it leaves
 * mapped, that call names the page vmr_kernel_page_key would after the
 * record: a hit, a fault that maps one page (zero-fill, the page cache, a
 * write-protect fault that keeps the page), or none (SIGSEGV, SIGBUS, the
 * zero page). Kept off the fast lane: writes that copy (the copy and maybe
 * the page copied are inserted: fork, private file pages), swap-ins (with
 * read-ahead, several pages per touch; none while nothing is in swap) and
 * records of several pages (one that kills its process half-way leaves
 * its first pages unknown to page_key). */

/* The id of the page with `key` (NO_PAGE for VMR_KEY_UNKNOWN), given now
 * if the page is new. NO_PAGE with id_rc set if there is none to give. */
static uint32_t id_for(struct pass *ps, uint64_t key)
{
    uint64_t id;
    if (key == VMR_KEY_UNKNOWN)
        return NO_PAGE;
    if (key <= VMR_KEY_ANON_MAX) {
        if (key > ps->anon_max)
            ps->anon_max = key;
        id = key;
    } else {
        int inserted;
        uint64_t *j = vmr_hashmap_upsert(&ps->file_ids, key, (uint64_t)ps->n_file + 1, &inserted);
        if (!j) {
            ps->id_rc = VMR_ENOMEM;
            return NO_PAGE;
        }
        ps->n_file += inserted;
        id = NO_PAGE - *j;
    }
    if (ps->anon_max + ps->n_file > ps->limit) {
        ps->id_rc = VMR_ERANGE;
        return NO_PAGE;
    }
    return (uint32_t)id;
}

/* use[conv .. upto) hold frames (or NO_PAGE): their pages' ids. */
static void convert(struct pass *ps, uint64_t upto)
{
    uint32_t *u = ps->use;
    for (uint64_t t = ps->conv; t < upto; t++) {
        if (t + KEY_AHEAD < upto && u[t + KEY_AHEAD] != NO_PAGE)
            __builtin_prefetch(&ps->id_of[u[t + KEY_AHEAD]]);
        if (u[t] != NO_PAGE)
            u[t] = ps->id_of[u[t]];
    }
    ps->conv = upto;
}

static void watch_touch(struct pass *ps, vmr_pfn_t frame, uint64_t t)
{
    if (t < ps->conv || t >= ps->run_end)
        return; /* cannot happen (one call per touch): fast_run will see it */
    ps->use[t] = frame;
    ps->hi = t + 1;
}

static void watch_insert(void *state, vmr_pfn_t frame, const struct vmr_access *a)
{
    struct pass *ps = state;
    ps->id_of[frame] = id_for(ps, a->key);
    if (ps->watching)
        watch_touch(ps, frame, a->time);
}

static void watch_hit(void *state, vmr_pfn_t frame, const struct vmr_access *a)
{
    struct pass *ps = state;
    if (ps->watching)
        watch_touch(ps, frame, a->time);
}

/* A frame that is freed may take another page: the touches recorded as
 * frame numbers become keys first. */
static void watch_remove(void *state, vmr_pfn_t frame)
{
    struct pass *ps = state;
    (void)frame;
    if (ps->watching)
        convert(ps, ps->hi);
}

static void watch_evict(void *state, vmr_pfn_t frame, uint64_t key)
{
    (void)key;
    watch_remove(state, frame);
}

static int watch_victim(void *state, vmr_pfn_t *frame)
{
    struct pass *ps = state;
    (void)frame;
    ps->full = 1;
    return VMR_ENOVICTIM;
}

static int watch_resize(void **state, uint32_t n_frames, uint8_t *frame_bits)
{
    struct pass *ps = *state;
    (void)frame_bits;
    if (n_frames > ps->n_id_of) {
        uint32_t *p = realloc(ps->id_of, (size_t)n_frames * sizeof *p);
        if (!p)
            return VMR_ENOMEM;
        ps->id_of = p;
        ps->n_id_of = n_frames;
    }
    return 0;
}

static int watch_create(const struct vmr_policy_config *cfg, void **state)
{
    (void)cfg;
    (void)state;
    return VMR_EINVAL; /* installed by vmr_kernel_watch only */
}

static void watch_destroy(void *state)
{
    (void)state; /* the pass's */
}

static const struct vmr_policy_ops watcher = {
    .abi_version = VMR_POLICY_ABI_VERSION,
    .flags = VMR_POLICY_NEEDS_HITS | VMR_POLICY_HIT_NO_KEY | VMR_POLICY_RESIZE,
    .name = "oracle-pass",
    .summary = "records the page of each touch for the OPT pre-pass",
    .create = watch_create,
    .destroy = watch_destroy,
    .on_insert = watch_insert,
    .on_hit = watch_hit,
    .select_victim = watch_victim,
    .on_evict = watch_evict,
    .on_remove = watch_remove,
    .resize = watch_resize,
};

/* Whether record rec may take the fast lane: an access to one page, and if
 * copies on write are possible (cow_risk), no write that would copy. */
static int fast_ok(const struct pass *ps, const struct vmr_record *rec, unsigned shift,
                   int cow_risk)
{
    if (!vmr_rec_is_access(rec->kind) || (rec->addr ^ (rec->addr + rec->size - 1)) >> shift)
        return 0;
    return !cow_risk || rec->kind != VMR_OP_WRITE ||
           vmr_kernel_cow_source_key(ps->k, rec->pid, rec->addr) == VMR_KEY_UNKNOWN;
}

/* The same for a record whose page word (from a reader asked for words of
 * the pass's page size) is w: one that is not special is an access to one
 * page, and only a write with copies possible needs a closer look. */
static inline int fast_ok_word(const struct pass *ps, const struct vmr_record *rec, uint64_t w,
                               unsigned shift, int cow_risk)
{
    if (vmr_page_word_special(w))
        return fast_ok(ps, rec, shift, cow_risk);
    return !cow_risk || (w & 3) != VMR_OP_WRITE ||
           vmr_kernel_cow_source_key(ps->k, rec->pid, rec->addr) == VMR_KEY_UNKNOWN;
}

/* Makes sure `need` more pages fit, with a sixteenth of the frames to
 * spare (for events, whose needs are not known before). The frames double
 * up to 2^20, then grow by a quarter: each frame costs 32 bytes of fresh,
 * zeroed memory in the pass's kernel, and a footprint just above a power
 * of 2 would leave half of them unused. */
static int room_for(struct pass *ps, uint32_t *frames, uint64_t need)
{
    uint64_t used, swapped;
    vmr_kernel_usage(ps->k, &used, &swapped, NULL, 0);
    uint64_t n = *frames;
    while (used + need + n / 16 >= n && n < (UINT32_MAX - 1) / 2)
        n = n < ((uint64_t)1 << 20) ? 2 * n : (n + n / 4 + 63) & ~(uint64_t)63;
    if (n == *frames)
        return 0;
    int rc = vmr_kernel_grow_frames(ps->k, (uint32_t)n);
    if (rc == 0)
        *frames = (uint32_t)n;
    return rc;
}

/* Maps the pages of [p, p + bytes) in one go (a hint: a fault per 4 KiB
 * page of the next-use array cost more than zeroing it). */
static void prefault(void *p, size_t bytes)
{
#ifdef MADV_POPULATE_WRITE
    const uintptr_t page = 4096;
    const uintptr_t lo = ((uintptr_t)p + page - 1) & ~(page - 1);
    const uintptr_t hi = ((uintptr_t)p + bytes) & ~(page - 1);
    if (hi > lo)
        (void)madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE);
#else
    (void)p;
    (void)bytes;
#endif
}

/* Before touches t .. t + n - 1 are written: use[] is mapped POP_CHUNK
 * touches at a time ahead of them (not all at once: the peak memory would
 * then add the pass kernel's frames while they grow). */
static void use_ahead(struct pass *ps, uint64_t n)
{
    const uint64_t want = ps->t + n;
    if (want <= ps->pop || ps->pop >= ps->pop_end)
        return;
    uint64_t to = want > ps->pop + POP_CHUNK ? want : ps->pop + POP_CHUNK;
    to = to < ps->pop_end ? to : ps->pop_end;
    if (to > ps->pop)
        prefault(ps->use + ps->pop, (to - ps->pop) * sizeof *ps->use);
    ps->pop = to;
}

/* Runs recs[0 .. n) (fast_ok each) through the kernel, watched, with
 * their page words if not NULL: touches t .. t + n - 1. */
static int fast_run(struct pass *ps, const struct vmr_record *recs, const uint64_t *words, size_t n,
                    size_t *failed)
{
    if (ps->t + n > ps->limit)
        return ps->id_rc = VMR_ERANGE;
    if (vmr_grow((void **)&ps->use, &ps->cap_use, ps->t + n, sizeof *ps->use) != 0)
        return VMR_ENOMEM;
    use_ahead(ps, n);
    memset(ps->use + ps->t, 0xff, n * sizeof *ps->use); /* NO_PAGE: no call */
    ps->conv = ps->hi = ps->t;
    ps->run_end = ps->t + n;
    ps->watching = 1;
    int rc = vmr_kernel_run_words(ps->k, recs, words, n, failed);
    ps->watching = 0;
    convert(ps, ps->hi);
    ps->t += n;
    return rc != 0 ? rc : ps->id_rc;
}

/* ---- forward: the slow lane -------------------------------------------- */

/* One access record: its pages are touches t .. t + n - 1. */
static int access_rec(struct pass *ps, const struct vmr_record *rec, unsigned shift)
{
    struct vmr_kernel *k = ps->k;
    const uint64_t first = rec->addr >> shift, last = (rec->addr + rec->size - 1) >> shift;
    const uint64_t n = last - first + 1;
    const int write = rec->kind == VMR_OP_WRITE;
    if (ps->t + n > ps->limit)
        return ps->id_rc = VMR_ERANGE;
    if (vmr_grow((void **)&ps->use, &ps->cap_use, ps->t + n, sizeof *ps->use) != 0 ||
        (write && vmr_grow((void **)&ps->pre, &ps->cap_pre, n, sizeof *ps->pre) != 0))
        return VMR_ENOMEM;
    for (uint64_t i = 0; write && i < n; i++)
        ps->pre[i] = vmr_kernel_cow_source_key(k, rec->pid, (first + i) << shift);
    size_t failed;
    int rc = vmr_kernel_run(k, rec, 1, &failed);
    if (rc != 0)
        return rc;
    for (uint64_t i = 0; i < n; i++) {
        const uint64_t t = ps->t + i;
        const uint64_t key = vmr_kernel_page_key(k, rec->pid, (first + i) << shift, rec->kind);
        ps->use[t] = id_for(ps, key);
        if (!write || ps->pre[i] == VMR_KEY_UNKNOWN || ps->pre[i] == key)
            continue;
        /* touch t copied page pre[i] (it used another): an exception, its
         * page given an id for backward */
        (void)id_for(ps, ps->pre[i]);
        if (vmr_grow((void **)&ps->cow, &ps->cap_cow, ps->n_cow + 1, sizeof *ps->cow) != 0)
            return VMR_ENOMEM;
        ps->cow[ps->n_cow++] =
            (struct vmr_oracle_cow){.time = t, .key = ps->pre[i], .next_use = UINT64_MAX};
    }
    ps->t += n;
    return ps->id_rc;
}

enum { PASS_DONE, PASS_FULL };

/* Whether event rec may make a later write copy a page (fork, exec, a
 * file mapping) or page out (madvise): then writes are checked before they
 * take the fast lane. */
static int event_cow_risk(const struct vmr_record *rec)
{
    switch (rec->kind) {
    case VMR_REC_FORK:
    case VMR_REC_EXEC:
    case VMR_REC_MADVISE:
        return 1;
    case VMR_REC_MMAP:
        return !(rec->flags & VMR_MAP_ANON) || rec->arg != 0;
    default:
        return 0;
    }
}

/* One pass over the trace from its start: PASS_DONE, PASS_FULL (memory
 * filled: a single record took all the room left) or an error. *frames
 * doubles whenever a record might not fit (room_for). */
static int run_pass(struct pass *ps, struct vmr_trace_reader *r, uint32_t *frames, unsigned shift,
                    char *errbuf, size_t errbuf_len)
{
    int rc = vmr_trace_reader_rewind(r);
    /* records after the last access change no touch's page (the exits
     * that end a trace would only tear its pages down): an indexed trace
     * says where to stop */
    const struct vmr_trace_info *info = vmr_trace_reader_info(r);
    uint64_t left = info->indexed ? info->n_access_records : UINT64_MAX;
    int cow_risk = 0;
    /* the reader's page words, if they are of this page size: the pass's
     * kernel sees every record in order, as they require */
    const int use_words = vmr_trace_reader_word_shift(r) == shift;
    while (left > 0) {
        const struct vmr_record *recs;
        const uint64_t *words = NULL;
        size_t n;
        if (rc == 0)
            rc = use_words ? vmr_trace_reader_next_words(r, &recs, &words, BATCH, &n)
                           : vmr_trace_reader_next_view(r, &recs, BATCH, &n);
        if (rc != 0) {
            vmr_errf(errbuf, errbuf_len, "%s", vmr_trace_reader_error(r));
            return rc;
        }
        if (n == 0)
            break;
        for (size_t i = 0; i < n && left > 0;) {
            uint64_t used, swapped;
            vmr_kernel_usage(ps->k, &used, &swapped, NULL, 0);
            size_t m = 0, at = i;
            if (swapped == 0 && words) {
                while (i + m < n && m < left &&
                       fast_ok_word(ps, &recs[i + m], words[i + m], shift, cow_risk))
                    m++;
            } else if (swapped == 0) {
                while (i + m < n && m < left && fast_ok(ps, &recs[i + m], shift, cow_risk))
                    m++;
            }
            if (m > 0) {
                if ((rc = room_for(ps, frames, 2 * (uint64_t)m)) == 0) {
                    size_t failed = 0;
                    rc = fast_run(ps, &recs[i], words ? &words[i] : NULL, m, &failed);
                    at = i + failed;
                }
                i += m;
                left -= m;
            } else {
                /* hints: the PTE of a record PTE_AHEAD on, the frame of one
                 * FRAME_AHEAD on (whose PTE was fetched meanwhile) */
                if (i + PTE_AHEAD < n && vmr_rec_is_access(recs[i + PTE_AHEAD].kind))
                    vmr_kernel_prefetch_page(ps->k, recs[i + PTE_AHEAD].pid,
                                             recs[i + PTE_AHEAD].addr, 0);
                if (i + FRAME_AHEAD < n && vmr_rec_is_access(recs[i + FRAME_AHEAD].kind))
                    vmr_kernel_prefetch_page(ps->k, recs[i + FRAME_AHEAD].pid,
                                             recs[i + FRAME_AHEAD].addr, 1);
                const struct vmr_record *rec = &recs[i];
                if (vmr_rec_is_access(rec->kind)) {
                    const uint64_t pages =
                        ((rec->addr + rec->size - 1) >> shift) - (rec->addr >> shift) + 1;
                    if ((rc = room_for(ps, frames, 2 * pages)) == 0)
                        rc = access_rec(ps, rec, shift);
                    left--;
                } else {
                    size_t failed;
                    cow_risk |= event_cow_risk(rec);
                    if ((rc = room_for(ps, frames, 0)) == 0)
                        rc = vmr_kernel_run(ps->k, rec, 1, &failed);
                }
                i++;
            }
            if (ps->id_rc == VMR_ERANGE) {
                vmr_errf(errbuf, errbuf_len,
                         "the oracle pass for OPT holds at most %llu page touches and as many "
                         "pages; this trace has more",
                         (unsigned long long)ps->limit);
                return VMR_ERANGE;
            }
            if (rc == VMR_ENOMEM && !vmr_kernel_error(ps->k)[0]) {
                vmr_errf(errbuf, errbuf_len, "out of memory in the oracle pass (%llu page touches)",
                         (unsigned long long)ps->t);
                return rc;
            }
            if (rc != 0) {
                char where[512];
                vmr_trace_reader_where(r, at, where, sizeof where);
                vmr_errf(errbuf, errbuf_len, "%s: %s", where, vmr_kernel_error(ps->k));
                return rc;
            }
            if (vmr_kernel_time(ps->k) != ps->t) {
                vmr_errf(errbuf, errbuf_len,
                         "oracle pass: the kernel counted %llu page touches, the pass %llu",
                         (unsigned long long)vmr_kernel_time(ps->k), (unsigned long long)ps->t);
                return VMR_EFORMAT;
            }
            vmr_kernel_usage(ps->k, &used, &swapped, NULL, 0);
            if (used >= *frames || ps->full)
                return PASS_FULL;
        }
    }
    struct vmr_counters c;
    vmr_kernel_totals(ps->k, &c);
    return c.evictions || ps->full ? PASS_FULL : PASS_DONE;
}

/* ---- backward ------------------------------------------------------------ */

/* Where backward keeps the page with id `id`: anonymous ids are their own
 * index, file ids follow them (NO_PAGE - j at anon_max + j). */
static inline uint64_t slot_of(uint64_t anon_max, uint32_t id)
{
    return id <= anon_max ? id : anon_max + (NO_PAGE - id);
}

/* The id id_for gave key (NO_PAGE if none). */
static uint32_t id_given(const struct pass *ps, uint64_t key)
{
    if (key <= VMR_KEY_ANON_MAX)
        return (uint32_t)key;
    const uint64_t *j = vmr_hashmap_find(&ps->file_ids, key);
    return j ? NO_PAGE - (uint32_t)*j : NO_PAGE;
}

/* use[t]: from the id of touch t to its next use; the exceptions' next
 * uses; *n_pages: the pages seen. Per page, a slot: 0 if not seen yet, 1
 * if seen with no touch after, else the time of the next touch + 2 (times
 * are below limit, so this fits). */
static int backward(struct pass *ps, uint64_t *n_pages)
{
    const uint64_t anon_max = ps->anon_max;
    uint32_t *next = calloc(anon_max + ps->n_file + 1, sizeof *next);
    if (!next)
        return VMR_ENOMEM;
    uint64_t pages = 0;
    uint32_t *u = ps->use;
    size_t c = ps->n_cow;
    for (uint64_t t = ps->t; t-- > 0;) {
        if (t >= KEY_AHEAD && u[t - KEY_AHEAD] != NO_PAGE)
            __builtin_prefetch(&next[slot_of(anon_max, u[t - KEY_AHEAD])], 1);
        for (; c > 0 && ps->cow[c - 1].time == t; c--) {
            const uint32_t id = id_given(ps, ps->cow[c - 1].key);
            if (id == NO_PAGE)
                continue; /* cannot happen: access_rec gave it one */
            uint32_t *s = &next[slot_of(anon_max, id)];
            pages += *s == 0;
            ps->cow[c - 1].next_use = *s >= 2 ? *s - 2 : UINT64_MAX;
            *s += *s == 0;
        }
        const uint32_t id = u[t];
        if (id == NO_PAGE)
            continue; /* no page: no next use */
        uint32_t *s = &next[slot_of(anon_max, id)];
        pages += *s == 0;
        u[t] = *s >= 2 ? *s - 2 : NO_PAGE;
        *s = (uint32_t)t + 2;
    }
    free(next);
    *n_pages = pages;
    return 0;
}

static void pass_reset(struct pass *ps)
{
    vmr_kernel_destroy(ps->k);
    ps->k = NULL;
    ps->t = 0;
    ps->n_cow = 0;
    ps->anon_max = 0;
    vmr_hashmap_clear(&ps->file_ids);
    ps->n_file = 0;
    ps->id_rc = 0;
    ps->full = ps->watching = 0;
}

/* Frames for the first pass: a quarter of the accesses of an indexed trace
 * (4096 to 2^20), else 2^14; they double as the pass goes. */
static uint32_t first_frames(const struct vmr_trace_info *info)
{
    uint64_t n = info->indexed ? info->n_access_records / 4 : 1u << 14;
    n = n < (1u << 12) ? 1u << 12 : n;
    return n > (1u << 20) ? 1u << 20 : (uint32_t)n;
}

/* VMR_ORACLE_MAX_TOUCHES, or less if VMREPLAY_ORACLE_MAX_TOUCHES says so
 * (for the tests of what happens past it). */
static uint64_t oracle_limit(void)
{
    const char *s = getenv("VMREPLAY_ORACLE_MAX_TOUCHES");
    char *end;
    if (s && *s) {
        unsigned long long v = strtoull(s, &end, 10);
        if (*end == '\0' && v < VMR_ORACLE_MAX_TOUCHES)
            return v;
    }
    return VMR_ORACLE_MAX_TOUCHES;
}

int vmr_oracle_compute(struct vmr_trace_reader *r, const struct vmr_kernel_config *kc,
                       struct vmr_oracle *o, char *errbuf, size_t errbuf_len)
{
    memset(o, 0, sizeof *o);
    unsigned shift = 0;
    while ((1u << shift) < kc->page_size)
        shift++;
    struct vmr_kernel_config pc = *kc;
    pc.policy = "fifo"; /* replaced by the watcher */
    /* page identity does not depend on who may evict whom */
    pc.scope = VMR_SCOPE_GLOBAL;
    pc.quota = NULL;
    pc.seed = 0;
    pc.commit_frames = kc->commit_frames ? kc->commit_frames : kc->n_frames;
    pc.n_frames = first_frames(vmr_trace_reader_info(r));
    struct pass ps = {.limit = oracle_limit()};
    /* a touch per access record at least */
    const struct vmr_trace_info *info = vmr_trace_reader_info(r);
    int rc = 0;
    if (info->indexed && info->n_access_records > ps.limit) {
        vmr_errf(errbuf, errbuf_len,
                 "the oracle pass for OPT holds at most %llu page touches; this trace has %llu "
                 "access records",
                 (unsigned long long)ps.limit, (unsigned long long)info->n_access_records);
        return VMR_ERANGE;
    }
    if (vmr_hashmap_init(&ps.file_ids, 1024) != 0) {
        vmr_errf(errbuf, errbuf_len, "out of memory in the oracle pass");
        return VMR_ENOMEM;
    }
    if (info->indexed && info->n_access_records > 0 &&
        vmr_grow((void **)&ps.use, &ps.cap_use, info->n_access_records, sizeof *ps.use) != 0) {
        vmr_errf(errbuf, errbuf_len, "out of memory in the oracle pass");
        rc = VMR_ENOMEM;
    }
    ps.pop_end = rc == 0 && ps.use ? info->n_access_records : 0;
    for (unsigned passes = 1; rc == 0; passes++) {
        rc = vmr_kernel_create(&ps.k, &pc, errbuf, errbuf_len);
        if (rc == 0) {
            void *st = &ps;
            rc = watch_resize(&st, pc.n_frames, NULL);
            if (rc == 0)
                rc = vmr_kernel_watch(ps.k, &watcher, &ps);
            if (rc != 0)
                vmr_errf(errbuf, errbuf_len, "out of memory in the oracle pass");
        }
        if (rc == 0)
            rc = run_pass(&ps, r, &pc.n_frames, shift, errbuf, errbuf_len);
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
    vmr_kernel_destroy(ps.k);
    ps.k = NULL;
    if (rc == 0 && (rc = backward(&ps, &o->n_pages)) != 0)
        vmr_errf(errbuf, errbuf_len, "out of memory in the oracle pass");
    if (rc == 0) {
        o->next_use = ps.use;
        o->n_touches = ps.t;
        o->cow = ps.cow;
        o->n_cow = ps.n_cow;
        o->frames = pc.n_frames;
        ps.use = NULL;
        ps.cow = NULL;
    }
    free(ps.use);
    free(ps.cow);
    free(ps.pre);
    free(ps.id_of);
    vmr_hashmap_release(&ps.file_ids);
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
