/*
 * kernel.c - the kernel object: creation, the record loop (the replay hot
 * path), file objects, and reporting.
 *
 * Hot path: an access record names a pid (one-entry cache in front of the
 * pid map) and covers one or more pages; each page touch looks its PTE up
 * (one-entry leaf cache in front of the leaf map) and either hits - sets the
 * frame's referenced/dirty bits, plus one indirect call for policies that
 * need every hit - or calls the fault path. No allocation on a hit; the
 * fault path allocates only when a structure grows past its high-water mark.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault_fast.h"
#include "vec.h"

void kernel_set_error(struct vmr_kernel *k, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(k->err, sizeof k->err, fmt, ap);
    va_end(ap);
}

const char *vmr_kernel_error(const struct vmr_kernel *k)
{
    return k->err;
}

int vmr_kernel_create(struct vmr_kernel **out, const struct vmr_kernel_config *cfg, char *errbuf,
                      size_t errbuf_len)
{
    *out = NULL;
    if (cfg->page_size == 0 || (cfg->page_size & (cfg->page_size - 1)) != 0 ||
        cfg->page_size > (1u << 30)) {
        vmr_errf(errbuf, errbuf_len, "page size %u is not a power of two up to 1G",
                 (unsigned)cfg->page_size);
        return VMR_EINVAL;
    }
    if (cfg->n_frames == 0 || cfg->n_frames >= NIL) {
        vmr_errf(errbuf, errbuf_len, "memory must be between 1 and %u pages", (unsigned)(NIL - 1));
        return VMR_EINVAL;
    }
    struct vmr_kernel *k = calloc(1, sizeof *k);
    if (!k)
        return VMR_ENOMEM;
    k->cfg = *cfg;
    k->cfg.policy = NULL; /* borrowed string: not kept */
    /* windows are powers of two within one page-table page, as in Linux */
    uint32_t *win[2] = {&k->cfg.fault_around, &k->cfg.swap_readahead};
    for (int i = 0; i < 2; i++) {
        uint32_t w = *win[i] > LEAF_PTES ? LEAF_PTES : *win[i];
        while (w & (w - 1))
            w &= w - 1;
        *win[i] = w;
    }
    k->linux_faults =
        k->cfg.zero_page || k->cfg.swap_readahead > 1 || k->cfg.fork_anon_only ? 1 : 0;
    while ((1u << k->page_shift) < cfg->page_size)
        k->page_shift++;
    k->n_frames = cfg->n_frames;
    k->cached_proc = NULL;
    int rc = frames_init(k);
    if (rc == 0)
        rc = vmr_hashmap_init(&k->page_cache, 1024);
    if (rc == 0)
        rc = vmr_hashmap_init(&k->shmem_swap, 16);
    if (rc == 0)
        rc = vmr_hashmap_init(&k->fid_to_obj, 16);
    if (rc == 0)
        rc = vmr_hashmap_init(&k->path_to_obj, 16);
    if (rc == 0)
        rc = vmr_hashmap_init(&k->pid_to_proc, 16);
    if (rc != 0) {
        vmr_errf(errbuf, errbuf_len, "out of memory for %u frames", (unsigned)cfg->n_frames);
        vmr_kernel_destroy(k);
        return rc;
    }
    rc = vmr_policy_open(&k->policy, cfg->policy ? cfg->policy : "lru", k->n_frames, k->frame_bits,
                         cfg->seed, errbuf, errbuf_len);
    if (rc == 0 && cfg->scope == VMR_SCOPE_LOCAL)
        rc = scope_init(k, errbuf, errbuf_len);
    if (rc != 0) {
        vmr_kernel_destroy(k);
        return rc;
    }
    k->general_faults = k->linux_faults || k->scope;
    kernel_policy_set(k);
    *out = k;
    return 0;
}

void vmr_kernel_destroy(struct vmr_kernel *k)
{
    if (!k)
        return;
    for (size_t i = 0; i < k->n_mms; i++) {
        struct mm *mm = k->mms[i];
        if (!mm)
            continue;
        pt_release(mm);
        free(mm->vmas);
        free(mm);
    }
    free(k->mms);
    free(k->free_mm_ids);
    for (size_t i = 0; i < k->n_procs; i++) {
        free(k->procs[i]->comm);
        free(k->procs[i]);
    }
    free(k->procs);
    for (size_t i = 0; i < k->n_objs; i++) {
        free(k->objs[i].path);
        free(k->objs[i].c);
    }
    free(k->objs);
    vmr_policy_close(&k->policy);
    pt_release_pool(k);
    frames_release(k);
    vmr_hashmap_release(&k->page_cache);
    vmr_hashmap_release(&k->shmem_swap);
    vmr_hashmap_release(&k->fid_to_obj);
    vmr_hashmap_release(&k->path_to_obj);
    vmr_hashmap_release(&k->pid_to_proc);
    free(k->report);
    free(k->area_report);
    free(k);
}

const struct vmr_policy *vmr_kernel_policy(const struct vmr_kernel *k)
{
    return &k->policy;
}

void vmr_kernel_set_oracle(struct vmr_kernel *k, const uint32_t *next_use, uint64_t n)
{
    k->next_use = next_use;
    k->n_next_use = n;
}

uint64_t vmr_kernel_time(const struct vmr_kernel *k)
{
    return k->time;
}

/* ---- objects ---------------------------------------------------------- */

uint64_t path_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

uint32_t obj_new(struct vmr_kernel *k, const char *path, uint64_t size, int shmem)
{
    if (k->n_objs >= (1u << 23) ||
        vmr_grow((void **)&k->objs, &k->cap_objs, k->n_objs + 1, sizeof *k->objs) != 0)
        return NIL;
    char *copy = NULL;
    if (path && !(copy = vmr_strdup(path)))
        return NIL;
    struct vmr_counters *c = calloc(1, sizeof *c);
    if (!c) {
        free(copy);
        return NIL;
    }
    k->objs[k->n_objs] =
        (struct object){.path = copy, .size = size, .shmem = (uint8_t)shmem, .c = c};
    return (uint32_t)k->n_objs++;
}

uint32_t obj_new_shmem(struct vmr_kernel *k)
{
    return obj_new(k, NULL, VMR_FILE_SIZE_UNKNOWN, 1);
}

uint32_t obj_for_fid(struct vmr_kernel *k, uint32_t fid)
{
    uint64_t *o = vmr_hashmap_find(&k->fid_to_obj, fid);
    return o ? (uint32_t)*o : NIL;
}

/* A file record: files are identified by path, so two ids (or two
 * declarations) of one path share their page-cache pages. */
static int declare_file(struct vmr_kernel *k, const struct vmr_record *rec)
{
    const char *path = rec->str ? rec->str : "";
    uint64_t h = path_hash(path);
    uint64_t *o = vmr_hashmap_find(&k->path_to_obj, h);
    uint32_t obj;
    if (o && strcmp(k->objs[*o].path, path) == 0) {
        obj = (uint32_t)*o;
        k->objs[obj].size = rec->off;
    } else {
        obj = obj_new(k, path, rec->off, 0);
        if (obj == NIL || vmr_hashmap_put(&k->path_to_obj, h, obj) != 0) {
            kernel_set_error(k, "too many files");
            return VMR_ENOMEM;
        }
    }
    return vmr_hashmap_put(&k->fid_to_obj, rec->arg, obj);
}

/* ---- the record loop -------------------------------------------------- */

static int do_event(struct vmr_kernel *k, const struct vmr_record *rec)
{
    switch (rec->kind) {
    case VMR_REC_MMAP:
    case VMR_REC_MUNMAP:
    case VMR_REC_MPROTECT:
    case VMR_REC_BRK:
    case VMR_REC_MADVISE:
    case VMR_REC_MSYNC: {
        struct proc *p = proc_get(k, rec->pid);
        if (!p)
            return VMR_ENOMEM;
        return p->state == PROC_ALIVE ? sys_mm_record(k, p, rec) : 0;
    }
    case VMR_REC_FORK:
    case VMR_REC_THREAD:
    case VMR_REC_EXEC:
    case VMR_REC_EXIT:
        return proc_event(k, rec);
    case VMR_REC_FILE:
        return declare_file(k, rec);
    case VMR_REC_MARK:
        return k->mark_fn ? k->mark_fn(k->mark_ctx, k, rec) : 0;
    default:
        return 0; /* kinds this kernel ignores */
    }
}

static const uint8_t pte_need[3] = {PTE_PRESENT | PTE_READ, PTE_PRESENT | PTE_WRITE,
                                    PTE_PRESENT | PTE_EXEC};
static const uint8_t hit_bits[3] = {VMR_FRAME_REFERENCED, VMR_FRAME_REFERENCED | VMR_FRAME_DIRTY,
                                    VMR_FRAME_REFERENCED};
/* reads, writes and fetches are counted as (&c->reads)[op] */
_Static_assert(offsetof(struct vmr_counters, writes) ==
                       offsetof(struct vmr_counters, reads) + sizeof(uint64_t) &&
                   offsetof(struct vmr_counters, fetches) ==
                       offsetof(struct vmr_counters, reads) + 2 * sizeof(uint64_t) &&
                   VMR_REC_READ == 0 && VMR_REC_WRITE == 1 && VMR_REC_FETCH == 2,
               "per-operation counters follow the record kinds");

/* Access records are replayed in chunks of up to CHUNK: first the PTE of
 * each record's first page is looked up and requested from memory (the
 * page-table leaves of a large footprint are cache misses), then the
 * records are replayed, by which time those PTEs have arrived. */
#define CHUNK 64

/* The address space PTEs are looked up in ahead: the cached process's. */
static inline struct mm *peek_mm(const struct vmr_kernel *k)
{
    return k->cached_proc && k->cached_proc->state == PROC_ALIVE ? k->cached_proc->mm : NULL;
}

/* Events (records other than accesses). */
static int run_event(struct vmr_kernel *k, const struct vmr_record *r)
{
    int rc = do_event(k, r);
    if (rc == 0 && k->broken)
        rc = VMR_EFORMAT;
    if (rc == VMR_ENOMEM && !k->err[0])
        kernel_set_error(k, "out of memory");
    return rc;
}

/* A page touch that hits: the MMU's referenced/dirty bits, and on_hit for
 * policies told of every access. */
static inline __attribute__((always_inline)) void hit(struct vmr_kernel *k, vmr_pfn_t pfn,
                                                      uint32_t pid, uint32_t count, unsigned op,
                                                      const uint32_t pf)
{
    const uint8_t bits = k->frame_bits[pfn] |= hit_bits[op];
    if ((pf & VMR_POLICY_NEEDS_HITS) && !(bits & FRAME_PARKED)) {
        if (pf & VMR_POLICY_NO_ACCESS) {
            k->policy.ops->on_hit(k->policy.state, pfn, &no_access);
            return;
        }
        const uint64_t t = k->time;
        struct vmr_access a = {
            .time = t,
            .next_use = FLAGS_MAY_ORACLE(pf) && k->next_use && t < k->n_next_use ? oracle_at(k, t)
                                                                                 : UINT64_MAX,
            .key = (pf & VMR_POLICY_HIT_NO_KEY) ? VMR_KEY_UNKNOWN : k->frames[pfn].key,
            .pid = pid,
            .count = count,
            .op = (uint8_t)op,
        };
        k->policy.ops->on_hit(k->policy.state, pfn, &a);
    }
}

/* Any access record: by any process, over any number of pages. `pte` is
 * the first page's PTE if the caller looked it up in the cached process. */
static int access_record(struct vmr_kernel *k, const struct vmr_record *r, uint64_t *pte)
{
    struct proc *p = k->cached_proc;
    if (!p || k->cached_pid != r->pid || p->state == PROC_EXITED) {
        p = proc_get(k, r->pid);
        if (!p) {
            kernel_set_error(k, "out of memory");
            return VMR_ENOMEM;
        }
        k->cached_pid = r->pid;
        k->cached_proc = p;
        pte = NULL;
    }
    const unsigned shift = k->page_shift;
    uint64_t vpn = r->addr >> shift;
    const uint64_t last = (r->addr + r->size - 1) >> shift;
    if (p->state != PROC_ALIVE) {
        k->time += last - vpn + 1; /* the clock counts every touch */
        return 0;
    }
    const unsigned op = r->kind;
    struct vmr_counters *c = &p->leader->c;
    (&c->reads)[op] += r->count; /* accesses: their sum (counters_close) */
    if (!pte)
        pte = pt_lookup(p->mm, vpn);
    for (;;) {
        const uint64_t e = pte ? *pte : 0;
        if ((e & pte_need[op]) == pte_need[op]) {
            hit(k, (vmr_pfn_t)pte_payload(e), r->pid, r->count, op, k->policy_flags);
        } else {
            fault_handle(k, p, vpn, pte, op, r->count);
            if (k->broken)
                return VMR_EFORMAT;
        }
        k->time++;
        if (vpn == last)
            return 0;
        vpn++;
        if (p->state != PROC_ALIVE) {
            k->time += last - vpn + 1;
            return 0;
        }
        pte = pt_lookup(p->mm, vpn);
    }
}

/*
 * The replay hot path. Runs of access records are cut into chunks; for a
 * chunk, the first-page PTEs of the records of the cached process are
 * looked up and prefetched, then each record is replayed: one page of the
 * cached process is the fast lane (counters, then hit or fault), anything
 * else goes through access_record. A fault that kills a process frees
 * leaves (leaf_gen): the chunk's remaining PTEs are dropped then.
 *
 * With page words (`paged`, vmr_kernel_run_words), the fast lane reads a
 * record's word only: the reader has already said it is one page of the
 * cached process (the pid of the access before it, which access_record
 * made the cached one), touched once. A word that names a new pid ends the
 * chunk's look-ups, as the records after it are another process's.
 */
static inline __attribute__((always_inline)) int
run_records(struct vmr_kernel *k, const struct vmr_record *recs, const uint64_t *words, size_t n,
            size_t *failed, const uint32_t pf, const int paged)
{
    const unsigned shift = k->page_shift;
    uint64_t *ptes[CHUNK];
    size_t i = 0;
    while (i < n) {
        if (paged ? words[i] == VMR_PAGE_WORD_EVENT : recs[i].kind > VMR_REC_FETCH) {
            int rc = run_event(k, &recs[i]);
            if (rc != 0) {
                *failed = i;
                return rc;
            }
            i++;
            continue;
        }
        /* look the chunk's PTEs up, and start fetching them */
        const uint32_t pid = k->cached_pid;
        struct mm *const mm = peek_mm(k);
        const struct vmr_record *const chunk = &recs[i];
        const uint64_t *const cw = paged ? &words[i] : NULL;
        const size_t lim = n - i < CHUNK ? n - i : CHUNK;
        size_t m = 0;
        if (paged) {
            /* a word not special is a one-page record of the cached
             * process; OTHER and NEWPID take access_record */
            for (; m < lim && cw[m] != VMR_PAGE_WORD_EVENT; m++) {
                uint64_t *pte = NULL;
                if (!vmr_page_word_special(cw[m])) {
                    if (mm && (pte = pt_lookup(mm, cw[m] >> 2)))
                        __builtin_prefetch(pte);
                } else if (cw[m] == VMR_PAGE_WORD_NEWPID) {
                    ptes[m++] = NULL;
                    break;
                }
                ptes[m] = pte;
            }
        } else if (mm) {
            /* only one-page records of the cached process get a PTE: the
             * others take access_record */
            for (; m < lim && chunk[m].kind <= VMR_REC_FETCH; m++) {
                uint64_t *pte = NULL;
                const uint64_t vpn = chunk[m].addr >> shift;
                if (chunk[m].pid == pid && (chunk[m].addr + chunk[m].size - 1) >> shift == vpn) {
                    pte = pt_lookup(mm, vpn);
                    if (pte)
                        __builtin_prefetch(pte);
                }
                ptes[m] = pte;
            }
        } else {
            for (; m < lim && chunk[m].kind <= VMR_REC_FETCH; m++)
                ptes[m] = NULL;
        }
        /* replay them */
        const uint64_t gen = k->leaf_gen;
        struct proc *p = k->cached_proc;
        struct vmr_counters *c = p ? &p->leader->c : NULL;
        for (size_t j = 0; j < m; j++) {
            uint64_t *pte = ptes[j];
            if (__builtin_expect(!pte || p->state != PROC_ALIVE, 0)) {
                int rc = access_record(k, &chunk[j], pte);
                if (rc != 0) {
                    *failed = i + j;
                    return rc;
                }
                if (__builtin_expect(k->leaf_gen != gen || k->cached_proc != p, 0)) {
                    /* leaves were freed, or the rest's PTEs are of another
                     * process: look them up again */
                    m = j + 1;
                    break;
                }
                continue;
            }
            uint64_t vpn;
            unsigned op;
            uint32_t count;
            if (paged) {
                vpn = cw[j] >> 2;
                op = cw[j] & 3;
                count = 1;
            } else {
                vpn = chunk[j].addr >> shift;
                op = chunk[j].kind;
                count = chunk[j].count;
            }
            (&c->reads)[op] += count;
            const uint64_t e = *pte;
            if ((e & pte_need[op]) == pte_need[op]) {
                hit(k, (vmr_pfn_t)pte_payload(e), pid, count, op, pf);
                k->time++;
                continue;
            }
            if (!fault_fast(k, p, vpn, pte, op, count, pf))
                fault_general(k, p, vpn, pte, op, count);
            if (k->broken) {
                *failed = i + j;
                return VMR_EFORMAT;
            }
            k->time++;
            if (__builtin_expect(k->leaf_gen != gen, 0)) {
                m = j + 1; /* a process was killed and its leaves freed */
                break;
            }
        }
        i += m;
    }
    return 0;
}

/* The policy flags the fast path tests. A run whose policy has one of the
 * combinations below (every built-in's) and no local scope or Linux-mode
 * faults (FLAGS_LEAN) runs a copy of the loop in which they are constants;
 * only the copy for OPT's reads an oracle's next uses (FLAGS_ORACLE, set
 * for policies with VMR_POLICY_NEEDS_FUTURE). */
#define FLAGS_FAST                                                                                 \
    (VMR_POLICY_NEEDS_HITS | VMR_POLICY_HIT_NO_KEY | VMR_POLICY_WANTS_MISS | VMR_POLICY_REPLACE |  \
     VMR_POLICY_NO_ACCESS | VMR_POLICY_NEXT_VICTIM | VMR_POLICY_NEXT_UNREF)
/* LRU; FIFO; CLOCK, SIEVE, Linux */
#define LEAN_RECENCY                                                                               \
    (VMR_POLICY_NEEDS_HITS | VMR_POLICY_HIT_NO_KEY | VMR_POLICY_REPLACE | VMR_POLICY_NO_ACCESS |   \
     VMR_POLICY_NEXT_VICTIM)
#define LEAN_ORDER (VMR_POLICY_REPLACE | VMR_POLICY_NO_ACCESS | VMR_POLICY_NEXT_VICTIM)
#define LEAN_BITS                                                                                  \
    (VMR_POLICY_REPLACE | VMR_POLICY_NO_ACCESS | VMR_POLICY_NEXT_VICTIM | VMR_POLICY_NEXT_UNREF)
/* 2Q, S3-FIFO; WSClock; SLRU, LFU; Aging, RANDOM, GCLOCK; NRU (and
 * plug-ins without fast-path flags) */
#define LEAN_GHOST                                                                                 \
    (VMR_POLICY_NEEDS_HITS | VMR_POLICY_HIT_NO_KEY | VMR_POLICY_WANTS_MISS | VMR_POLICY_REPLACE)
#define LEAN_MISS    (VMR_POLICY_WANTS_MISS | VMR_POLICY_REPLACE)
#define LEAN_HITS    (VMR_POLICY_NEEDS_HITS | VMR_POLICY_HIT_NO_KEY | VMR_POLICY_REPLACE)
#define LEAN_REPLACE VMR_POLICY_REPLACE
#define LEAN_PLAIN   0u
/* OPT's pre-pass watcher (src/sim/oracle.c) */
#define LEAN_WATCH (VMR_POLICY_NEEDS_HITS | VMR_POLICY_HIT_NO_KEY)
/* ARC, LIRS (name their next victim) */
#define LEAN_GHOST_NAMED (LEAN_GHOST | VMR_POLICY_NEXT_VICTIM)
/* CAR, CLOCK-Pro (name the page their clock looks at first, unless it is
 * referenced) */
#define LEAN_MISS_UNREF (LEAN_MISS | VMR_POLICY_NEXT_VICTIM | VMR_POLICY_NEXT_UNREF)
/* OPT, told the next uses its oracle gives */
#define LEAN_FUTURE (LEAN_HITS | VMR_POLICY_NEXT_VICTIM | FLAGS_ORACLE)

/* The copies, in one list for kernel_policy_set and vmr_kernel_run. */
// clang-format off
#define LEAN_COPIES(X)                                                                             \
    X(LEAN_RECENCY) X(LEAN_ORDER) X(LEAN_BITS)                                                     \
    X(LEAN_GHOST) X(LEAN_GHOST_NAMED) X(LEAN_MISS) X(LEAN_MISS_UNREF) X(LEAN_HITS) X(LEAN_REPLACE) \
    X(LEAN_WATCH) X(LEAN_FUTURE) X(LEAN_PLAIN)
// clang-format on

void kernel_policy_set(struct vmr_kernel *k)
{
    k->policy_flags = k->policy.ops->flags;
    /* VMREPLAY_NO_NAMED_VICTIM (any value): select_victim at every
     * replacement, as if no policy named its next victim, so that tests can
     * check a named victim is taken only where select_victim would take it
     * with no other effect (tests/cli/lean_loop.sh) */
    if (getenv("VMREPLAY_NO_NAMED_VICTIM"))
        k->policy_flags &= ~(uint32_t)(VMR_POLICY_NEXT_VICTIM | VMR_POLICY_NEXT_UNREF);
    k->ahead_mask = (k->policy_flags & VMR_POLICY_FAR_GUESS) ? 3 : 0;
    k->lean = 0;
    /* VMREPLAY_GENERIC_LOOP (any value): the general copy always, so that
     * tests can check the copies give the same results (tests/cli/lean_loop.sh) */
    if (k->general_faults || getenv("VMREPLAY_GENERIC_LOOP"))
        return;
    const uint32_t f = (k->policy_flags & FLAGS_FAST) |
                       (k->policy_flags & VMR_POLICY_NEEDS_FUTURE ? FLAGS_ORACLE : 0);
#define LEAN_IF(c)                                                                                 \
    if (f == (c))                                                                                  \
        k->lean = f | FLAGS_LEAN;
    LEAN_COPIES(LEAN_IF)
#undef LEAN_IF
}

/* The copy of the loop for the run's policy flags, with or without words. */
static int run_copy(struct vmr_kernel *k, const struct vmr_record *recs, const uint64_t *words,
                    size_t n, size_t *failed)
{
#define RUN_COPY(c)                                                                                \
    case (c) | FLAGS_LEAN:                                                                         \
        return words ? run_records(k, recs, words, n, failed, (c) | FLAGS_LEAN, 1)                 \
                     : run_records(k, recs, NULL, n, failed, (c) | FLAGS_LEAN, 0);
    switch (k->lean) {
        LEAN_COPIES(RUN_COPY)
    default:
        return words ? run_records(k, recs, words, n, failed, k->policy_flags, 1)
                     : run_records(k, recs, NULL, n, failed, k->policy_flags, 0);
    }
#undef RUN_COPY
}

int vmr_kernel_run(struct vmr_kernel *k, const struct vmr_record *recs, size_t n, size_t *failed)
{
    return run_copy(k, recs, NULL, n, failed);
}

int vmr_kernel_run_words(struct vmr_kernel *k, const struct vmr_record *recs, const uint64_t *words,
                         size_t n, size_t *failed)
{
    return run_copy(k, recs, words, n, failed);
}

/* ---- reporting -------------------------------------------------------- */

/* The replay loop counts reads, writes and fetches only: accesses is
 * their sum, filled in where counters leave the kernel. */
static void counters_close(struct vmr_counters *c)
{
    c->accesses = c->reads + c->writes + c->fetches;
}

void vmr_kernel_totals(const struct vmr_kernel *k, struct vmr_counters *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < k->n_procs; i++) {
        const struct proc *p = k->procs[i];
        if (p->leader == p)
            vmr_counters_merge(out, &p->c);
    }
    counters_close(out);
    out->rss_peak_pages = k->frames_peak;
    out->swap_peak_pages = k->swap_peak;
    out->commit_peak_pages = k->commit_peak;
}

const struct vmr_proc_report *vmr_kernel_procs(const struct vmr_kernel *k_, size_t *n)
{
    struct vmr_kernel *k = (struct vmr_kernel *)k_;
    size_t m = 0;
    if (vmr_grow((void **)&k->report, &k->cap_report, k->n_procs + 1, sizeof *k->report) != 0) {
        *n = 0;
        return NULL;
    }
    for (size_t i = 0; i < k->n_procs; i++) {
        const struct proc *p = k->procs[i];
        if (p->leader != p)
            continue;
        struct vmr_proc_report *r = &k->report[m++];
        r->pid = p->pid;
        r->parent = p->parent;
        r->comm = p->comm;
        r->killed = p->killed_by;
        r->c = p->c;
        counters_close(&r->c);
        r->c.rss_peak_pages = p->rss_peak;
        r->c.commit_peak_pages = p->commit_peak;
    }
    *n = m;
    return k->report;
}
