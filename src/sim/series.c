/*
 * series.c - time series of a run (analysis.h): the kernel is fed in pieces
 * cut after the record that reaches each multiple of the interval (counted
 * in trace accesses, repeat counts included, so every run of a trace cuts
 * at the same records), and between pieces the counters are read through
 * the public API. Rows are kept in memory (one per interval and scope) and
 * written at the end, so runs on different threads never interleave. With
 * VMR_SERIES_AT_MARKS the cuts fall after every mark record instead, and
 * each row names the mark that closed it: the counts of a phase.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "vec.h"
#include "vmreplay/analysis.h"

struct row {
    uint64_t interval, end_access, end_touch;
    uint64_t rss, swap;
    uint32_t pid; /* 0 with is_proc == 0: the whole run */
    int is_proc;
    char *mark; /* the label of the mark that closed the row, or NULL */
    struct vmr_counters d;
};

struct vmr_series {
    uint64_t interval, next_boundary, accesses, n_intervals;
    int per_process;
    int pending; /* accesses replayed since the last row */
    struct row *rows;
    size_t n_rows, cap_rows;
    struct vmr_counters prev_total;
    struct vmr_counters *prev_procs; /* by vmr_kernel_procs index */
    size_t cap_prev;
    uint64_t *rss;
    size_t cap_rss;
};

int vmr_series_create(struct vmr_series **out, uint64_t interval, int per_process)
{
    *out = NULL;
    if (interval == 0)
        return VMR_EINVAL;
    struct vmr_series *s = calloc(1, sizeof *s);
    if (!s)
        return VMR_ENOMEM;
    s->interval = interval;
    s->next_boundary = interval; /* never reached with VMR_SERIES_AT_MARKS */
    s->per_process = per_process;
    *out = s;
    return 0;
}

void vmr_series_destroy(struct vmr_series *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_rows; i++)
        free(s->rows[i].mark);
    free(s->rows);
    free(s->prev_procs);
    free(s->rss);
    free(s);
}

static void delta(struct vmr_counters *d, const struct vmr_counters *now,
                  const struct vmr_counters *prev)
{
    memset(d, 0, sizeof *d);
    for (size_t i = 0; i < VMR_N_COUNTERS; i++) {
        if (vmr_counter_is_peak(i))
            continue;
        /* struct vmr_counters is VMR_COUNTERS' uint64_t fields in order */
        ((uint64_t *)d)[i] = vmr_counter_get(now, i) - vmr_counter_get(prev, i);
    }
}

static struct row *new_row(struct vmr_series *s)
{
    if (vmr_grow((void **)&s->rows, &s->cap_rows, s->n_rows + 1, sizeof *s->rows) != 0)
        return NULL;
    struct row *r = &s->rows[s->n_rows++];
    memset(r, 0, sizeof *r);
    r->interval = s->n_intervals;
    r->end_access = s->accesses;
    return r;
}

static int sample(struct vmr_series *s, const struct vmr_kernel *k, const char *mark)
{
    s->n_intervals++;
    s->pending = 0;
    struct vmr_counters now;
    vmr_kernel_totals(k, &now);
    size_t n_procs = 0;
    const struct vmr_proc_report *procs = NULL;
    if (s->per_process) {
        procs = vmr_kernel_procs(k, &n_procs);
        if ((n_procs && !procs) ||
            vmr_grow_zero((void **)&s->prev_procs, &s->cap_prev, n_procs + 1,
                          sizeof *s->prev_procs) != 0 ||
            vmr_grow((void **)&s->rss, &s->cap_rss, n_procs + 1, sizeof *s->rss) != 0)
            return VMR_ENOMEM;
    }
    struct row *r = new_row(s);
    if (!r)
        return VMR_ENOMEM;
    r->end_touch = vmr_kernel_time(k);
    if (mark && !(r->mark = vmr_strdup(mark)))
        return VMR_ENOMEM;
    vmr_kernel_usage(k, &r->rss, &r->swap, s->rss, n_procs);
    delta(&r->d, &now, &s->prev_total);
    s->prev_total = now;
    for (size_t i = 0; i < n_procs; i++) {
        struct row *p = new_row(s);
        if (!p)
            return VMR_ENOMEM;
        p->end_touch = vmr_kernel_time(k);
        p->is_proc = 1;
        p->pid = procs[i].pid;
        p->rss = s->rss[i];
        if (mark && !(p->mark = vmr_strdup(mark)))
            return VMR_ENOMEM;
        delta(&p->d, &procs[i].c, &s->prev_procs[i]);
        s->prev_procs[i] = procs[i].c;
    }
    return 0;
}

int vmr_series_run(struct vmr_series *s, struct vmr_kernel *k, const struct vmr_record *recs,
                   size_t n, size_t *failed)
{
    size_t start = 0;
    int at_marks = s->interval == VMR_SERIES_AT_MARKS;
    for (size_t i = 0; i < n; i++) {
        if (at_marks && recs[i].kind == VMR_REC_MARK) {
            int rc = vmr_kernel_run(k, recs + start, i + 1 - start, failed);
            if (rc != 0) {
                *failed += start;
                return rc;
            }
            start = i + 1;
            if (sample(s, k, recs[i].str ? recs[i].str : "") != 0) {
                *failed = i;
                return VMR_ENOMEM;
            }
            continue;
        }
        if (!vmr_rec_is_access(recs[i].kind))
            continue;
        s->accesses += recs[i].count;
        s->pending = 1;
        if (s->accesses < s->next_boundary)
            continue;
        int rc = vmr_kernel_run(k, recs + start, i + 1 - start, failed);
        if (rc != 0) {
            *failed += start;
            return rc;
        }
        start = i + 1;
        s->next_boundary = (s->accesses / s->interval + 1) * s->interval;
        if (sample(s, k, NULL) != 0) {
            *failed = i;
            return VMR_ENOMEM;
        }
    }
    int rc = start < n ? vmr_kernel_run(k, recs + start, n - start, failed) : 0;
    if (rc != 0)
        *failed += start;
    return rc;
}

int vmr_series_finish(struct vmr_series *s, const struct vmr_kernel *k)
{
    return s->pending ? sample(s, k, NULL) : 0;
}

static void put_csv_field(FILE *fp, const char *v)
{
    if (!strpbrk(v, ",\"\n\r")) {
        fputs(v, fp);
        return;
    }
    fputc('"', fp);
    for (; *v; v++) {
        if (*v == '"')
            fputc('"', fp);
        fputc(*v, fp);
    }
    fputc('"', fp);
}

int vmr_series_write_csv(FILE *fp, const struct vmr_series *s, const struct vmr_kv *config,
                         size_t n_config, int header)
{
    if (header) {
        for (size_t i = 0; i < n_config; i++)
            fprintf(fp, "%s,", config[i].key);
        fputs("interval,end_access,end_touch,scope,pid", fp);
        for (size_t i = 0; i < VMR_N_COUNTERS; i++)
            if (!vmr_counter_is_peak(i))
                fprintf(fp, ",%s", vmr_counter_name(i));
        fputs(",rss_pages,swap_used_pages,mark\n", fp);
    }
    for (size_t r = 0; r < s->n_rows; r++) {
        const struct row *row = &s->rows[r];
        for (size_t i = 0; i < n_config; i++) {
            put_csv_field(fp, config[i].value);
            fputc(',', fp);
        }
        fprintf(fp, "%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",", row->interval, row->end_access,
                row->end_touch);
        if (row->is_proc)
            fprintf(fp, "process,%" PRIu32, row->pid);
        else
            fputs("total,", fp);
        for (size_t i = 0; i < VMR_N_COUNTERS; i++)
            if (!vmr_counter_is_peak(i))
                fprintf(fp, ",%" PRIu64, vmr_counter_get(&row->d, i));
        if (row->is_proc)
            fprintf(fp, ",%" PRIu64 ",,", row->rss);
        else
            fprintf(fp, ",%" PRIu64 ",%" PRIu64 ",", row->rss, row->swap);
        if (row->mark)
            put_csv_field(fp, row->mark);
        fputc('\n', fp);
    }
    return ferror(fp) ? VMR_EIO : 0;
}
