/*
 * bench_policy.c - policy-only throughput: each replacement policy driven
 * over the page stream of a trace through its ops table, as the kernel
 * drives it, with nothing else around it:
 *   hit  -> set REFERENCED (and DIRTY for a write) in frame_bits; on_hit
 *           for oracle policies (VMR_POLICY_NEEDS_HITS);
 *   miss -> on_miss (VMR_POLICY_WANTS_MISS); a free frame and on_insert,
 *           or select_victim and then, as the kernel's usual fault does,
 *           on_replace (VMR_POLICY_REPLACE) or on_evict, peek_victim
 *           (VMR_POLICY_PEEK) and on_insert.
 * The page stream (dense page numbers with a write flag) is decoded once,
 * before any timing; the page -> frame table is a flat array. OPT's next
 * uses are computed in its child before the clock starts (the oracle
 * pre-pass is not the policy's cost). Every policy/memory pair runs in its
 * own child process, `repeat` times; the row gives the median rate and the
 * largest peak RSS, and how much of it the policy added (RSS after
 * vmr_policy_open and the run, minus RSS just before). Rates are page
 * touches per second of the child's CPU time in the loop. Never asserts on
 * time.
 *
 * usage: bench_policy TRACE [--policies all|LIST] [--memory 1%,10%] [--repeat N]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"
#include "hashmap.h"
#include "vmreplay/policy.h"
#include "vmreplay/trace.h"

#define WRITE_BIT (1u << 31)
#define NONE      UINT32_MAX

/* CPU time of this process: the machine is shared, and a policy's loop is
 * single-threaded, so CPU time is less disturbed by other tenants than
 * wall time (caches are still shared). */
static double now(void)
{
    return bench_clock(CLOCK_PROCESS_CPUTIME_ID);
}

static long rss_kib(void)
{
    FILE *fp = fopen("/proc/self/statm", "r");
    long pages = 0, res = 0;
    if (fp) {
        if (fscanf(fp, "%ld %ld", &pages, &res) != 2)
            res = 0;
        fclose(fp);
    }
    return res * (sysconf(_SC_PAGESIZE) / 1024);
}

struct result {
    double seconds;
    uint64_t faults, writebacks;
    long peak_kib, policy_kib;
    int ok;
};

static struct result run(const uint32_t *s, uint64_t n, uint64_t pages, const char *spec,
                         uint32_t frames)
{
    struct result res = {0};
    uint32_t *pt = malloc(pages * sizeof *pt);
    uint32_t *owner = malloc((size_t)frames * sizeof *owner);
    uint8_t *bits = calloc(frames, 1);
    memset(pt, 0xff, pages * sizeof *pt);
    memset(owner, 0xff, (size_t)frames * sizeof *owner);
    /* touch the stream so the baseline RSS includes it */
    volatile uint64_t sum = 0;
    for (uint64_t i = 0; i < n; i += 1024)
        sum += s[i];
    char err[512];
    struct vmr_policy pol = {0};
    uint64_t *next = NULL;
    const struct vmr_policy_ops *ops = vmr_policy_find(spec);
    if (ops && (ops->flags & VMR_POLICY_NEEDS_FUTURE)) {
        next = malloc(n * sizeof *next);
        uint64_t *last = malloc(pages * sizeof *last);
        memset(last, 0xff, pages * sizeof *last);
        for (uint64_t i = n; i-- > 0;) {
            uint32_t p = s[i] & ~WRITE_BIT;
            next[i] = last[p];
            last[p] = i;
        }
        free(last);
    }
    long base = rss_kib();
    if (vmr_policy_open(&pol, spec, frames, bits, 1, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", spec, err);
        return res;
    }
    ops = pol.ops;
    void *st = pol.state;
    const int hits = (ops->flags & VMR_POLICY_NEEDS_HITS) != 0;
    const int miss = (ops->flags & VMR_POLICY_WANTS_MISS) != 0;
    const int peek = (ops->flags & VMR_POLICY_PEEK) != 0;
    const int replace = (ops->flags & VMR_POLICY_REPLACE) != 0;
    uint32_t used = 0;
    uint64_t faults = 0, writebacks = 0;
    struct vmr_access a = {.next_use = UINT64_MAX, .pid = 1, .count = 1};
    double t0 = now();
    for (uint64_t i = 0; i < n; i++) {
        uint32_t p = s[i] & ~WRITE_BIT;
        uint8_t touch =
            (s[i] & WRITE_BIT) ? VMR_FRAME_REFERENCED | VMR_FRAME_DIRTY : VMR_FRAME_REFERENCED;
        uint32_t f = pt[p];
        if (f != NONE) {
            bits[f] |= touch;
            if (hits) {
                a.time = i;
                a.key = p;
                a.op = (s[i] & WRITE_BIT) ? VMR_OP_WRITE : VMR_OP_READ;
                if (next)
                    a.next_use = next[i];
                ops->on_hit(st, f, &a);
            }
            continue;
        }
        faults++;
        a.time = i;
        a.key = p;
        a.op = (s[i] & WRITE_BIT) ? VMR_OP_WRITE : VMR_OP_READ;
        if (next)
            a.next_use = next[i];
        if (miss)
            ops->on_miss(st, &a);
        if (used < frames) {
            f = used++;
        } else {
            vmr_pfn_t v;
            if (ops->select_victim(st, &v) != 0 || v >= frames || owner[v] == NONE) {
                fprintf(stderr, "%s: bad victim at access %" PRIu64 "\n", spec, i);
                vmr_policy_close(&pol);
                return res;
            }
            f = (uint32_t)v;
            if (bits[f] & VMR_FRAME_DIRTY)
                writebacks++;
            pt[owner[f]] = NONE;
            if (replace) {
                /* as the kernel does: one call for the eviction and the load */
                uint64_t old = owner[f];
                owner[f] = p;
                pt[p] = f;
                bits[f] = touch;
                (void)ops->on_replace(st, f, old, &a);
                continue;
            }
            ops->on_evict(st, f, owner[f]);
            if (peek)
                (void)ops->peek_victim(st);
        }
        owner[f] = p;
        pt[p] = f;
        bits[f] = touch;
        ops->on_insert(st, f, &a);
    }
    res.seconds = now() - t0;
    res.faults = faults;
    res.writebacks = writebacks;
    res.policy_kib = rss_kib() - base;
    res.peak_kib = bench_peak_rss_kib();
    res.ok = 1;
    vmr_policy_close(&pol);
    free(next);
    free(pt);
    free(owner);
    free(bits);
    return res;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s TRACE [--policies all|LIST] [--memory 1%%,10%%] [--repeat N]\n",
                argv[0]);
        return 2;
    }
    const char *trace = argv[1], *policies = "all", *memory = "1%,10%";
    int repeat = 1;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--policies") == 0)
            policies = argv[i + 1];
        else if (strcmp(argv[i], "--memory") == 0)
            memory = argv[i + 1];
        else if (strcmp(argv[i], "--repeat") == 0)
            repeat = atoi(argv[i + 1]);
    }
    if (repeat < 1 || repeat > 99)
        repeat = 1;
    printf("# command:");
    for (int i = 0; i < argc; i++)
        printf(" %s", argv[i]);
    printf("\n");
    uint32_t *stream;
    uint64_t n, distinct;
    if (bench_load_pages(trace, WRITE_BIT, &stream, &n, &distinct) != 0)
        return 1;
    printf("# %" PRIu64 " page touches, %" PRIu64 " distinct pages; median of %d run(s)\n", n,
           distinct, repeat);
    printf("%-9s %-6s %8s %9s %8s %8s %10s %9s %10s\n", "policy", "memory", "frames", "M acc/s",
           "min", "max", "fault%", "rss_MiB", "policy_KiB");
    char all[1024] = "";
    if (strcmp(policies, "all") == 0) {
        size_t nb;
        const struct vmr_policy_ops *const *b = vmr_policy_builtins(&nb);
        for (size_t i = 0; i < nb; i++)
            snprintf(all + strlen(all), sizeof all - strlen(all), "%s%s", i ? "," : "", b[i]->name);
        policies = all;
    }
    char mem_list[256];
    snprintf(mem_list, sizeof mem_list, "%s", memory);
    for (char *save1 = NULL, *m = strtok_r(mem_list, ",", &save1); m;
         m = strtok_r(NULL, ",", &save1)) {
        uint64_t frames = (uint64_t)((double)distinct * atof(m) / 100.0);
        if (frames == 0)
            frames = 1;
        char pol_list[1024];
        snprintf(pol_list, sizeof pol_list, "%s", policies);
        for (char *save2 = NULL, *p = strtok_r(pol_list, ",", &save2); p;
             p = strtok_r(NULL, ",", &save2)) {
            double rate[99];
            struct result last = {0};
            long peak = 0, pol_kib = 0;
            int ok = 1;
            for (int rep = 0; rep < repeat && ok; rep++) {
                int fd[2];
                if (pipe(fd) != 0)
                    return 1;
                fflush(stdout);
                pid_t pid = fork();
                if (pid == 0) {
                    close(fd[0]);
                    struct result r = run(stream, n, distinct, p, (uint32_t)frames);
                    ssize_t w = write(fd[1], &r, sizeof r);
                    _exit(w == (ssize_t)sizeof r ? 0 : 1);
                }
                close(fd[1]);
                struct result r = {0};
                ssize_t got = read(fd[0], &r, sizeof r);
                close(fd[0]);
                int status;
                waitpid(pid, &status, 0);
                if (got != (ssize_t)sizeof r || !r.ok) {
                    ok = 0;
                    break;
                }
                rate[rep] = (double)n / r.seconds / 1e6;
                if (r.peak_kib > peak)
                    peak = r.peak_kib;
                if (r.policy_kib > pol_kib)
                    pol_kib = r.policy_kib;
                last = r;
            }
            if (!ok) {
                printf("%-9s %-6s %8" PRIu64 " failed\n", p, m, frames);
                continue;
            }
            qsort(rate, (size_t)repeat, sizeof rate[0], bench_cmp_double);
            printf("%-9s %-6s %8" PRIu64 " %9.1f %8.1f %8.1f %10.2f %9ld %10ld\n", p, m, frames,
                   rate[repeat / 2], rate[0], rate[repeat - 1],
                   100.0 * (double)last.faults / (double)n, peak / 1024, pol_kib);
        }
    }
    free(stream);
    return 0;
}
