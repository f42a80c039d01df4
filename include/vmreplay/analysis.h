/*
 * vmreplay/analysis.h - answering questions with many replays: compare
 * (many policies and sizes over one decoded trace, on all cores), time
 * series, miss-ratio curves, sweeps and the HTML report.
 *
 * Everything here drives the kernel through its public API (kernel.h) and
 * reads traces through trace.h; the rows it produces have the same columns
 * as `vmreplay replay --format csv`, so tables from replay, compare, sweep
 * and merge concatenate and plot alike (analysis/README.md lists them).
 */
#ifndef VMREPLAY_ANALYSIS_H
#define VMREPLAY_ANALYSIS_H

#include <stdio.h>

#include "vmreplay/kernel.h"
#include "vmreplay/sim.h"
#include "vmreplay/stats.h"

/* ---- progress (progress.c) ------------------------------------------- */

/* A progress line on a terminal: percentage, rate and ETA when the total is
 * known, else the count and rate. Redrawn at most 4 times a second. */
struct vmr_progress;

/* fp NULL (or not a terminal when only_tty) gives a progress that prints
 * nothing. total_records 0 = unknown. label is borrowed. */
struct vmr_progress *vmr_progress_create(FILE *fp, int only_tty, const char *label,
                                         uint64_t total_records);
void vmr_progress_add(struct vmr_progress *p, uint64_t records);
/* Clears the line. Accepts NULL. */
void vmr_progress_destroy(struct vmr_progress *p);

/* ---- time series (series.c) ------------------------------------------ */

/* Samples a kernel every `interval` accesses of the trace: feeds batches to
 * the kernel in pieces cut at interval boundaries (a record is never
 * split: a boundary falls after the record that reaches it) and records the
 * counters' growth and the memory in use at each boundary. */
struct vmr_series;

/* As the interval: cut after every mark record instead (phase counts). */
#define VMR_SERIES_AT_MARKS UINT64_MAX

int vmr_series_create(struct vmr_series **out, uint64_t interval, int per_process);
void vmr_series_destroy(struct vmr_series *s);

/* Drop-in for vmr_kernel_run (same contract). */
int vmr_series_run(struct vmr_series *s, struct vmr_kernel *k, const struct vmr_record *recs,
                   size_t n, size_t *failed);

/* Records the last, partial interval, if any. 0 or VMR_ENOMEM. */
int vmr_series_finish(struct vmr_series *s, const struct vmr_kernel *k);

/* CSV: the config columns of the run (keys and values), then interval,
 * end_access, end_touch, scope, pid, the growth of every SUM counter in the
 * interval, rss_pages, swap_used_pages, mark (the label of the mark that
 * closed the row, empty for other rows) (analysis/README.md). */
int vmr_series_write_csv(FILE *fp, const struct vmr_series *s, const struct vmr_kv *config,
                         size_t n_config, int header);

/* ---- compare (compare.c) --------------------------------------------- */

struct vmr_compare_config {
    const char *trace_path;
    const struct vmr_replay_config *runs; /* trace_path ignored; borrowed */
    size_t n_runs;
    unsigned threads;     /* worker threads; 0 = one per online core */
    size_t batch_records; /* 0 = default */
    uint64_t interval;    /* > 0: a time series per run */
    int interval_per_process;
    /* called by the decoding thread after each batch (may be NULL) */
    void (*on_batch)(void *arg, size_t records);
    void *on_batch_arg;
};

struct vmr_compare_result;

/* Decodes the trace once and replays every run from the same batches:
 * each worker thread owns a subset of the kernels, batches are shared
 * read-only in a small ring with reference counts. Each run's counts equal
 * those of vmr_replay_run with the same config. Errors: as vmr_replay_run,
 * the message naming the run. */
int vmr_compare_run(const struct vmr_compare_config *cfg, struct vmr_compare_result **out,
                    char *errbuf, size_t errbuf_len);
size_t vmr_compare_n_runs(const struct vmr_compare_result *res);
const struct vmr_run_report *vmr_compare_report(const struct vmr_compare_result *res, size_t i);
/* The run's time series, or NULL without an interval. */
const struct vmr_series *vmr_compare_series(const struct vmr_compare_result *res, size_t i);
void vmr_compare_result_destroy(struct vmr_compare_result *res);

/* ---- miss-ratio curves (mrc.c) --------------------------------------- */

/*
 * The LRU miss-ratio curve of a trace in one pass: the stack distance of
 * every page touch (pages keyed by address space and page number, as the
 * kernel and the OPT oracle see them; exit and exec drop an address space's
 * pages), with a Fenwick tree over last-touch times compacted to the live
 * pages, so O(N log M) for N touches and M distinct pages.
 *
 * Sampling (SHARDS, Waldspurger et al., FAST 2015): a page is tracked iff
 * hash(page) mod 2^24 < T. Fixed rate: T = rate * 2^24. Fixed size: at most
 * `max_pages` pages are tracked, T is lowered to evict the page with the
 * largest hash when that would be exceeded, and the counts so far are
 * rescaled to the new rate. Distances and counts are scaled by 1/rate.
 */
struct vmr_mrc_config {
    const char *trace_path;
    uint32_t page_size; /* 0: the trace's */
    double rate;        /* fixed-rate sampling, 0 < rate < 1; 0: off */
    uint64_t max_pages; /* fixed-size sampling; 0: off */
};

struct vmr_mrc {
    uint64_t n_touches; /* page touches of the trace (exact) */
    uint64_t n_pages;   /* distinct pages (address space, vpn); estimated if sampled */
    uint64_t n_sampled; /* page touches that were tracked */
    double final_rate;  /* 1 when exact */
    uint32_t page_size;
    double cold;    /* first touches of a page (estimated if sampled) */
    double *misses; /* misses[c]: faults of an LRU memory of c frames, c < n_sizes */
    size_t n_sizes; /* at c >= n_sizes - 1 only the cold misses remain */
};

int vmr_mrc_compute(const struct vmr_mrc_config *cfg, struct vmr_mrc *out, char *errbuf,
                    size_t errbuf_len);
/* Misses of an LRU memory of `frames` frames (misses[] or the cold misses). */
double vmr_mrc_misses(const struct vmr_mrc *m, uint64_t frames);
void vmr_mrc_release(struct vmr_mrc *m);

/* ---- sweeps (sweep.c) ------------------------------------------------ */

/*
 * A sweep: the cross product of traces and every option's values, e.g.
 * traces {a.vmt, b.vmt} x policy {lru, clock} x memory {16M, 32M}. Jobs are
 * ordered trace first, then the options in the order they were added, the
 * last one varying fastest.
 */
struct vmr_sweep;

int vmr_sweep_create(struct vmr_sweep **out);
void vmr_sweep_destroy(struct vmr_sweep *s);
int vmr_sweep_add_trace(struct vmr_sweep *s, const char *path);
/* key is a replay option (vmr_replay_config_set); values comma-separated.
 * Errors name the bad value. */
int vmr_sweep_add_option(struct vmr_sweep *s, const char *key, const char *values, char *errbuf,
                         size_t errbuf_len);
/*
 * Reads a spec file: one `key value,value,...` or `key = value,...` per
 * line; `trace PATH` (repeatable) for traces, `#` comments. Errors name the
 * file and line.
 */
int vmr_sweep_read_spec(struct vmr_sweep *s, const char *path, char *errbuf, size_t errbuf_len);

size_t vmr_sweep_n_jobs(const struct vmr_sweep *s);
/* The replay command line options of job i as argv words (key, value pairs
 * after the trace); *trace is its trace. Valid until the next call. */
size_t vmr_sweep_job(const struct vmr_sweep *s, size_t i, const char **trace,
                     const char *const **args);

/* Runs every job in process (each trace once through compare) and writes
 * the tidy CSV (header once) and/or JSON array (either may be NULL). */
int vmr_sweep_run(const struct vmr_sweep *s, unsigned threads, FILE *csv, FILE *json, char *errbuf,
                  size_t errbuf_len);

/* ---- report (report.c) ----------------------------------------------- */

struct vmr_report_config {
    const char *const *inputs; /* CSV files: runs, time series, curves */
    size_t n_inputs;
    const char *out_dir;
    const char *scripts_dir; /* the analysis/ folder holding the .gp scripts */
    const char *gnuplot;     /* program; NULL = "gnuplot" */
};

/* Classifies the inputs by their header, runs the scripts that apply
 * (PNG and SVG of each figure) and writes out_dir/index.html with the
 * tables, figures and what was run. Errors name the file. */
int vmr_report_build(const struct vmr_report_config *cfg, char *errbuf, size_t errbuf_len);

#endif
