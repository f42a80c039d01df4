/*
 * benchutil.h - what the benchmark programs share: clocks, peak RSS, a
 * median's comparison, and the trace's page stream renumbered densely.
 * Header only: bench/CMakeLists.txt builds one program per .c file.
 */
#ifndef VMREPLAY_BENCHUTIL_H
#define VMREPLAY_BENCHUTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "hashmap.h"
#include "vmreplay/trace.h"

static inline double bench_clock(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Wall time. */
static inline double bench_now(void)
{
    return bench_clock(CLOCK_MONOTONIC);
}

/* CPU time of the calling thread (the replay thread's own work, which
 * other tenants of a shared machine disturb less than the wall clock). */
static inline double bench_thread_cpu(void)
{
    return bench_clock(CLOCK_THREAD_CPUTIME_ID);
}

static inline long bench_peak_rss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* For qsort of doubles (medians). */
static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The trace's page touches as dense page numbers 0..distinct-1 (one per
 * access record's first page; pages of different processes differ), each
 * ORed with write_bit if the record is a write. Returns 0, or -1 with a
 * message on stderr. */
static inline int bench_load_pages(const char *path, uint32_t write_bit, uint32_t **stream,
                                   uint64_t *n, uint64_t *distinct)
{
    char err[512];
    struct vmr_trace_reader *r;
    if (vmr_trace_reader_open(&r, path, VMR_FORM_AUTO, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    unsigned shift = 0;
    while ((1u << shift) < vmr_trace_reader_info(r)->page_size)
        shift++;
    struct vmr_record *recs = malloc(2048 * sizeof *recs);
    struct vmr_hashmap ids;
    size_t cap = 1 << 20, got;
    uint32_t *s = malloc(cap * sizeof *s);
    uint64_t count = 0;
    const int have_ids = vmr_hashmap_init(&ids, 1 << 20) == 0;
    int rc = recs && s && have_ids ? 0 : -1;
    while (rc == 0 && vmr_trace_reader_next(r, recs, 2048, &got) == 0 && got > 0) {
        for (size_t i = 0; i < got && rc == 0; i++) {
            if (!vmr_rec_is_access(recs[i].kind))
                continue;
            uint64_t key = (uint64_t)recs[i].pid << 44 ^ recs[i].addr >> shift;
            int ins;
            uint64_t *id = vmr_hashmap_upsert(&ids, key, ids.n, &ins);
            uint32_t *grown = count == cap ? realloc(s, (cap *= 2) * sizeof *s) : s;
            if (!id || !grown) {
                rc = -1;
                break;
            }
            s = grown;
            s[count++] = (uint32_t)*id | (recs[i].kind == VMR_REC_WRITE ? write_bit : 0);
        }
    }
    if (have_ids) {
        *distinct = ids.n;
        vmr_hashmap_release(&ids);
    }
    free(recs);
    vmr_trace_reader_destroy(r);
    if (rc != 0) {
        fprintf(stderr, "%s: out of memory\n", path);
        free(s);
        return -1;
    }
    *stream = s;
    *n = count;
    return 0;
}

#endif
