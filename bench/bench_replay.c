/*
 * bench_replay.c - replay throughput per policy and memory size, with peak
 * RSS, next to two baselines measured in the same run:
 *   decode  - reading the trace only (vmr_trace_reader_next);
 *   bare    - the page stream pre-decoded into an array, replayed by a bare
 *             LRU loop (flat page table, uint32 prev/next lists, no kernel),
 *             the upper bound the issue quotes (~100 M/s at 1%);
 *   bare-vm - the same loop with the bookkeeping of the VM path for this
 *             kind of trace (dirty bits, zero-fill and swap-in faults,
 *             swap-outs and swap slots, the report's counters): what LRU
 *             through a minimal VM costs, without the kernel's generality
 *             (processes, areas, sparse page tables, pluggable policies).
 * Each configuration runs in a child process (fork) so its peak RSS is its
 * own. Prints one row per run and the command line that produced it. Never
 * asserts on time.
 *
 * usage: bench_replay TRACE [--policies fifo,lru,clock,opt] [--memory 1%,10%]
 *                           [--repeat N]
 * Memory is a percentage of the trace footprint (distinct pages) or a size.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hashmap.h"
#include "benchutil.h"
#include "vmreplay/sim.h"

/* The trace's access count, and how long decoding it alone takes. */
static int decode_pass(const char *path, uint64_t *accesses, double *decode_s)
{
    char err[512];
    struct vmr_trace_reader *r;
    if (vmr_trace_reader_open(&r, path, VMR_FORM_AUTO, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    struct vmr_record *recs = malloc(2048 * sizeof *recs);
    if (!recs) {
        vmr_trace_reader_destroy(r);
        return -1;
    }
    size_t got;
    uint64_t acc = 0;
    double t0 = bench_now();
    while (vmr_trace_reader_next(r, recs, 2048, &got) == 0 && got > 0)
        for (size_t i = 0; i < got; i++)
            acc += recs[i].count;
    *decode_s = bench_now() - t0;
    *accesses = acc;
    free(recs);
    vmr_trace_reader_destroy(r);
    return 0;
}

/* The bare loops' LRU list: frames in uint32 prev/next arrays, head the
 * most recently used, UINT32_MAX for none. */
struct bare_list {
    uint32_t *prev, *next;
    uint32_t head, tail;
};

/* Frame f, not in the list, becomes its head. */
static inline void bare_push(struct bare_list *q, uint32_t f)
{
    q->prev[f] = UINT32_MAX;
    q->next[f] = q->head;
    if (q->head == UINT32_MAX)
        q->tail = f;
    else
        q->prev[q->head] = f;
    q->head = f;
}

/* Frame f, in the list, becomes its head. */
static inline void bare_to_head(struct bare_list *q, uint32_t f)
{
    if (f == q->head)
        return;
    q->next[q->prev[f]] = q->next[f];
    if (q->next[f] != UINT32_MAX)
        q->prev[q->next[f]] = q->prev[f];
    else
        q->tail = q->prev[f];
    q->prev[f] = UINT32_MAX;
    q->next[f] = q->head;
    q->prev[q->head] = f;
    q->head = f;
}

/* The tail (the list holds two frames or more) leaves it: the victim. */
static inline uint32_t bare_pop_tail(struct bare_list *q)
{
    const uint32_t f = q->tail;
    q->tail = q->prev[f];
    q->next[q->tail] = UINT32_MAX;
    return f;
}

/* What both bare loops keep: a flat page table (page -> frame, or
 * UINT32_MAX), each frame's page, and the LRU list. */
struct bare_tables {
    uint32_t *pt, *owner;
    struct bare_list q;
};

static void bare_tables_init(struct bare_tables *t, uint64_t pages, uint32_t frames)
{
    t->pt = malloc(pages * sizeof *t->pt);
    t->owner = malloc(frames * sizeof *t->owner);
    t->q = (struct bare_list){malloc(frames * sizeof *t->q.prev),
                              malloc(frames * sizeof *t->q.next), UINT32_MAX, UINT32_MAX};
    if (!t->pt || !t->owner || !t->q.prev || !t->q.next) {
        fprintf(stderr, "bench_replay: out of memory\n");
        exit(1);
    }
    memset(t->pt, 0xff, pages * sizeof *t->pt);
}

static void bare_tables_free(struct bare_tables *t)
{
    free(t->pt);
    free(t->owner);
    free(t->q.prev);
    free(t->q.next);
}

/* The bare loop: what LRU replay costs with nothing else around it. */
static uint64_t bare_lru(const uint32_t *s, uint64_t n, uint64_t pages, uint32_t frames)
{
    struct bare_tables t;
    bare_tables_init(&t, pages, frames);
    uint32_t *const pt = t.pt, *const owner = t.owner;
    struct bare_list q = t.q;
    uint32_t used = 0;
    uint64_t faults = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint32_t p = s[i] & ~(1u << 31), f = pt[p]; /* (without the write bit) */
        if (f != UINT32_MAX) {
            bare_to_head(&q, f);
            continue;
        }
        faults++;
        if (used < frames) {
            f = used++;
        } else {
            f = bare_pop_tail(&q);
            pt[owner[f]] = UINT32_MAX;
        }
        owner[f] = p;
        pt[p] = f;
        bare_push(&q, f);
    }
    bare_tables_free(&t);
    return faults;
}

/* What bare_vm counts, as the kernel reports it. */
struct bare_counts {
    uint64_t reads, writes, minor, major, zero_fill, swap_ins, swap_outs, evictions, swap_peak;
};

#define BV_NONE    UINT32_MAX  /* pte: never touched */
#define BV_SWAPPED 0x80000000u /* pte: the page is in swap only */
#define BV_DIRTY   1u          /* frame: written since its copy in swap (if any) */
#define BV_COPY    2u          /* frame: swap holds a copy of its page (its slot) */

/* LRU through a minimal VM for a one-process trace of private anonymous
 * pages with unlimited swap, the semantics the kernel gives that trace:
 * a first touch is a zero-fill minor fault (the new page is dirty: seed
 * rule 1.5); a read swap-in keeps the page's slot (clean copy), a write
 * swap-in frees it; a victim without a slot is swapped out to a new one,
 * a dirty one with a slot is written to it again, a clean one just leaves.
 * Stream entries: page | 1u << 31 for writes. */
static void bare_vm(const uint32_t *s, uint64_t n, uint64_t pages, uint32_t frames,
                    struct bare_counts *c)
{
    struct bare_tables t;
    bare_tables_init(&t, pages, frames);
    uint32_t *const pt = t.pt, *const owner = t.owner;
    struct bare_list q = t.q;
    uint8_t *flags = malloc(frames);
    memset(c, 0, sizeof *c);
    uint32_t used = 0;
    uint64_t swap_used = 0;
    for (uint64_t i = 0; i < n; i++) {
        const uint32_t p = s[i] & ~(1u << 31), w = s[i] >> 31;
        (&c->reads)[w]++;
        uint32_t f = pt[p];
        if (f < BV_SWAPPED) {
            flags[f] |= (uint8_t)w; /* BV_DIRTY */
            bare_to_head(&q, f);
            continue;
        }
        uint8_t fl;
        const int freed = f != BV_NONE && w; /* a write swap-in frees its slot */
        if (f == BV_NONE) {
            c->zero_fill++;
            c->minor++;
            fl = BV_DIRTY;
        } else {
            c->swap_ins++;
            c->major++;
            fl = w ? BV_DIRTY : BV_COPY;
        }
        if (used < frames) {
            f = used++;
        } else {
            f = bare_pop_tail(&q);
            c->evictions++;
            if (!(flags[f] & BV_COPY)) {
                c->swap_outs++;
                if (++swap_used > c->swap_peak)
                    c->swap_peak = swap_used;
            } else if (flags[f] & BV_DIRTY) {
                c->swap_outs++;
            }
            pt[owner[f]] = BV_SWAPPED;
        }
        swap_used -= freed; /* once the page is in: after the victim went out */
        owner[f] = p;
        flags[f] = fl;
        pt[p] = f;
        bare_push(&q, f);
    }
    bare_tables_free(&t);
    free(flags);
}

/* --threads 1: decode in the replay thread (no read-ahead), the one-core
 * figure; 2 (default): decoding in a second thread, as replay does. */
static int one_thread;

static void run_child(const char *trace, const char *policy, uint64_t frames, uint64_t accesses,
                      const char *label)
{
    struct vmr_replay_config cfg;
    vmr_replay_config_init(&cfg);
    cfg.trace_path = trace;
    cfg.policy = policy;
    cfg.memory = frames;
    cfg.memory_in_pages = 1;
    cfg.no_readahead = one_thread;
    char err[1024];
    struct vmr_replay_result *res;
    double t0 = bench_now(), c0 = bench_thread_cpu();
    if (vmr_replay_run(&cfg, &res, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", policy, err);
        _exit(1);
    }
    double dt = bench_now() - t0, dc = bench_thread_cpu() - c0;
    const struct vmr_counters *c = &vmr_replay_report(res)->total;
    printf("%-8s %-6s %10" PRIu64 " %10.3f %10.2f %12" PRIu64 " %8.4f %9ld %10.2f\n", policy, label,
           frames, dt, (double)accesses / dt / 1e6, c->minor_faults + c->major_faults,
           (double)(c->minor_faults + c->major_faults) / (double)accesses,
           bench_peak_rss_kib() / 1024, (double)accesses / dc / 1e6);
    fflush(stdout);
    vmr_replay_result_destroy(res);
    _exit(0);
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fprintf(stderr,
                "usage: %s TRACE [--policies LIST] [--memory LIST] [--repeat N] [--threads 1|2]\n",
                argv[0]);
        return 2;
    }
    const char *trace = argv[1], *policies = "fifo,lru,clock,opt", *memory = "1%,10%";
    int repeat = 1;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--policies") == 0)
            policies = argv[i + 1];
        else if (strcmp(argv[i], "--memory") == 0)
            memory = argv[i + 1];
        else if (strcmp(argv[i], "--repeat") == 0)
            repeat = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--threads") == 0)
            one_thread = atoi(argv[i + 1]) == 1;
    }
    printf("# command:");
    for (int i = 0; i < argc; i++)
        printf(" %s", argv[i]);
    printf("\n");
    uint32_t *stream;
    uint64_t n, distinct, accesses;
    double decode_s;
    if (decode_pass(trace, &accesses, &decode_s) != 0 ||
        bench_load_pages(trace, 1u << 31, &stream, &n, &distinct) != 0)
        return 1;
    printf("# %" PRIu64 " accesses, %" PRIu64 " page touches, %" PRIu64
           " distinct pages; decode only: %.3f s = %.1f M accesses/s\n",
           accesses, n, distinct, decode_s, (double)accesses / decode_s / 1e6);
    /* sim_M/s: accesses per CPU second of the replay thread alone (with
     * --threads 1 that thread also decodes) */
    printf("%-8s %-6s %10s %10s %10s %12s %8s %9s %10s\n", "policy", "memory", "frames", "seconds",
           "M acc/s", "faults", "ratio", "rss_MiB", "sim_M/s");
    char mem_list[256];
    snprintf(mem_list, sizeof mem_list, "%s", memory);
    for (char *save1 = NULL, *m = strtok_r(mem_list, ",", &save1); m;
         m = strtok_r(NULL, ",", &save1)) {
        uint64_t frames = (uint64_t)((double)distinct * atof(m) / 100.0);
        if (frames == 0)
            frames = 1;
        for (int rep = 0; rep < repeat; rep++) {
            double t0 = bench_now();
            uint64_t f = bare_lru(stream, n, distinct, (uint32_t)frames);
            double dt = bench_now() - t0;
            printf("%-8s %-6s %10" PRIu64 " %10.3f %10.2f %12" PRIu64 " %8.4f %9s\n", "bare-lru", m,
                   frames, dt, (double)n / dt / 1e6, f, (double)f / (double)n, "-");
            struct bare_counts bc;
            t0 = bench_now();
            bare_vm(stream, n, distinct, (uint32_t)frames, &bc);
            dt = bench_now() - t0;
            f = bc.minor + bc.major;
            printf("%-8s %-6s %10" PRIu64 " %10.3f %10.2f %12" PRIu64 " %8.4f %9s\n", "bare-vm", m,
                   frames, dt, (double)n / dt / 1e6, f, (double)f / (double)n, "-");
            if (getenv("BENCH_BARE_VM_COUNTS"))
                printf("# bare-vm %s: reads %" PRIu64 " writes %" PRIu64 " minor %" PRIu64
                       " major %" PRIu64 " zero_fill %" PRIu64 " swap_ins %" PRIu64
                       " swap_outs %" PRIu64 " evictions %" PRIu64 " swap_peak %" PRIu64 "\n",
                       m, bc.reads, bc.writes, bc.minor, bc.major, bc.zero_fill, bc.swap_ins,
                       bc.swap_outs, bc.evictions, bc.swap_peak);
            char pol_list[256];
            snprintf(pol_list, sizeof pol_list, "%s", policies);
            for (char *save2 = NULL, *p = strtok_r(pol_list, ",", &save2); p;
                 p = strtok_r(NULL, ",", &save2)) {
                fflush(stdout);
                pid_t pid = fork();
                if (pid == 0)
                    run_child(trace, p, frames, accesses, m);
                int st;
                waitpid(pid, &st, 0);
            }
        }
    }
    free(stream);
    return 0;
}
