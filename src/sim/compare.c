/*
 * compare.c - many runs (policy x memory x options) over one decoding of a
 * trace, on all cores (analysis.h).
 *
 * The calling thread decodes batches into a ring of RING slots; each slot
 * is handed to every worker and counted down as they finish it, and the
 * decoder refills a slot only once its count is back to zero. A worker owns
 * a fixed subset of the kernels (round robin), so each kernel sees every
 * batch in order, on one thread. Record strings (file paths, marks) are
 * copied into the slot, because the reader reuses its string storage on the
 * next call. Policies that need the future share one oracle array per page
 * size, computed before the replay starts. The decoder also makes the
 * records' page words (trace.h) for the first run's page size, which every
 * run of that page size without a time series replays from.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runinfo.h"
#include "vec.h"
#include "vmreplay/analysis.h"

#define DEFAULT_BATCH 65536
#define RING          4

struct slot {
    struct vmr_record *recs;
    uint64_t *words; /* the records' page words, if has_words */
    int has_words;
    size_t n;
    uint64_t first; /* index in the trace of recs[0] */
    char *strs;
    size_t cap_strs;
    unsigned refs;
};

struct run {
    struct vmr_kernel_config kc;
    int all_columns; /* vmr_replay_config's */
    struct vmr_kernel *kernel;
    struct vmr_series *series;
    int use_words; /* of the page size the words are made for */
    int failed;
    uint64_t failed_at;
    struct runinfo info;
    struct vmr_run_report report;
    struct vmr_policy_counter pc[32];
    const char *pc_names[32];
    uint64_t pc_values[32];
    char err[512];
};

struct oracle {
    struct vmr_kernel_config kc; /* of the run it was made for */
    struct vmr_oracle o;
};

struct vmr_compare_result {
    char *trace_path;
    struct run *runs;
    size_t n_runs;
    struct oracle *oracles; /* one per way of deciding page identity */
    size_t n_oracles, cap_oracles;
};

struct shared {
    pthread_mutex_t mu;
    pthread_cond_t filled, drained;
    struct slot slots[RING];
    uint64_t produced; /* batches published */
    int done;          /* no more batches */
    struct vmr_compare_result *res;
    unsigned n_workers;
};

struct worker {
    struct shared *sh;
    unsigned id;
};

static void apply(struct run *run, const struct slot *sl)
{
    if (run->failed)
        return;
    size_t failed = 0;
    int rc = run->series ? vmr_series_run(run->series, run->kernel, sl->recs, sl->n, &failed)
                         : vmr_kernel_run_words(run->kernel, sl->recs,
                                                run->use_words && sl->has_words ? sl->words : NULL,
                                                sl->n, &failed);
    if (rc != 0) {
        run->failed = rc;
        run->failed_at = sl->first + failed;
        snprintf(run->err, sizeof run->err, "%s", vmr_kernel_error(run->kernel));
    }
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct shared *sh = w->sh;
    struct vmr_compare_result *res = sh->res;
    for (uint64_t b = 0;; b++) {
        pthread_mutex_lock(&sh->mu);
        while (sh->produced <= b && !sh->done)
            pthread_cond_wait(&sh->filled, &sh->mu);
        int have = sh->produced > b;
        pthread_mutex_unlock(&sh->mu);
        if (!have)
            return NULL;
        struct slot *sl = &sh->slots[b % RING];
        for (size_t i = w->id; i < res->n_runs; i += sh->n_workers)
            apply(&res->runs[i], sl);
        pthread_mutex_lock(&sh->mu);
        if (--sl->refs == 0)
            pthread_cond_signal(&sh->drained);
        pthread_mutex_unlock(&sh->mu);
    }
}

/* Moves the strings records point to into the slot's own storage. */
static int keep_strings(struct slot *sl)
{
    size_t need = 0;
    for (size_t i = 0; i < sl->n; i++)
        if (sl->recs[i].str)
            need += strlen(sl->recs[i].str) + 1;
    if (need == 0)
        return 0;
    if (vmr_grow((void **)&sl->strs, &sl->cap_strs, need, 1) != 0)
        return VMR_ENOMEM;
    char *p = sl->strs;
    for (size_t i = 0; i < sl->n; i++) {
        if (!sl->recs[i].str)
            continue;
        size_t len = strlen(sl->recs[i].str) + 1;
        memcpy(p, sl->recs[i].str, len);
        sl->recs[i].str = p;
        p += len;
    }
    return 0;
}

void vmr_compare_result_destroy(struct vmr_compare_result *res)
{
    if (!res)
        return;
    for (size_t i = 0; i < res->n_runs; i++) {
        vmr_kernel_destroy(res->runs[i].kernel);
        vmr_series_destroy(res->runs[i].series);
    }
    for (size_t i = 0; i < res->n_oracles; i++)
        vmr_oracle_release(&res->oracles[i].o);
    free(res->oracles);
    free(res->runs);
    free(res->trace_path);
    free(res);
}

size_t vmr_compare_n_runs(const struct vmr_compare_result *res)
{
    return res->n_runs;
}

const struct vmr_run_report *vmr_compare_report(const struct vmr_compare_result *res, size_t i)
{
    return &res->runs[i].report;
}

const struct vmr_series *vmr_compare_series(const struct vmr_compare_result *res, size_t i)
{
    return res->runs[i].series;
}

static void build_report(struct vmr_compare_result *res, struct run *run)
{
    const struct vmr_policy *pol = vmr_kernel_policy(run->kernel);
    runinfo_fill(&run->info, res->trace_path, pol->spec, &run->kc, 1, vmr_kernel_time(run->kernel),
                 run->all_columns);
    run->report.n_config = run->info.n;
    run->report.config = run->info.kv;
    vmr_kernel_totals(run->kernel, &run->report.total);
    run->report.procs = vmr_kernel_procs(run->kernel, &run->report.n_procs);
    run->report.areas = vmr_kernel_area_stats(run->kernel, &run->report.n_areas);
    if (pol->ops->report) {
        size_t n = pol->ops->report(pol->state, run->pc, 32);
        if (n > 32)
            n = 32;
        for (size_t i = 0; i < n; i++) {
            run->pc_names[i] = run->pc[i].name;
            run->pc_values[i] = run->pc[i].value;
        }
        run->report.n_policy_counters = n;
        run->report.policy_counter_names = run->pc_names;
        run->report.policy_counter_values = run->pc_values;
    }
}

/* An oracle for a run of configuration kc, computing it unless one made
 * for a run that decides page identity alike exists. */
static int oracle_for(struct vmr_compare_result *res, struct vmr_trace_reader *r,
                      const struct vmr_kernel_config *kc, const struct vmr_oracle **out,
                      char *errbuf, size_t errbuf_len)
{
    for (size_t i = 0; i < res->n_oracles; i++)
        if (vmr_oracle_shareable(&res->oracles[i].kc, kc)) {
            *out = &res->oracles[i].o;
            return 0;
        }
    if (vmr_grow((void **)&res->oracles, &res->cap_oracles, res->n_oracles + 1,
                 sizeof *res->oracles) != 0) {
        vmr_errf(errbuf, errbuf_len, "out of memory");
        return VMR_ENOMEM;
    }
    struct oracle *o = &res->oracles[res->n_oracles];
    o->kc = *kc;
    int rc = vmr_oracle_compute(r, kc, &o->o, errbuf, errbuf_len);
    if (rc == 0) {
        res->n_oracles++;
        if ((rc = vmr_trace_reader_rewind(r)) != 0)
            vmr_errf(errbuf, errbuf_len, "%s", vmr_trace_reader_error(r));
    }
    *out = &o->o;
    return rc;
}

static int setup_runs(const struct vmr_compare_config *cfg, struct vmr_compare_result *res,
                      struct vmr_trace_reader *r, char *errbuf, size_t errbuf_len)
{
    const struct vmr_trace_info *info = vmr_trace_reader_info(r);
    for (size_t i = 0; i < cfg->n_runs; i++) {
        struct run *run = &res->runs[i];
        int rc =
            runinfo_kernel_config(&cfg->runs[i], info->page_size, &run->kc, errbuf, errbuf_len);
        run->all_columns = cfg->runs[i].all_columns;
        if (rc == 0)
            rc = vmr_kernel_create(&run->kernel, &run->kc, errbuf, errbuf_len);
        if (rc == 0 && cfg->interval)
            rc = vmr_series_create(&run->series, cfg->interval, cfg->interval_per_process);
        if (rc != 0)
            return rc;
        if (vmr_kernel_policy(run->kernel)->ops->flags & VMR_POLICY_NEEDS_FUTURE) {
            const struct vmr_oracle *o;
            rc = oracle_for(res, r, &run->kc, &o, errbuf, errbuf_len);
            if (rc != 0)
                return rc;
            vmr_oracle_apply(run->kernel, o);
        }
    }
    return 0;
}

/* Decodes the trace into the ring until the end, an error, or all runs
 * failed. Runs with n_workers == 0 apply each batch inline. */
static int produce(const struct vmr_compare_config *cfg, struct shared *sh,
                   struct vmr_trace_reader *r, size_t batch, char *errbuf, size_t errbuf_len)
{
    int rc = 0;
    uint64_t first = 0;
    for (uint64_t b = 0;; b++) {
        struct slot *sl = &sh->slots[b % RING];
        pthread_mutex_lock(&sh->mu);
        while (sl->refs > 0)
            pthread_cond_wait(&sh->drained, &sh->mu);
        pthread_mutex_unlock(&sh->mu);
        size_t n;
        const struct vmr_record *recs;
        const uint64_t *words;
        rc = vmr_trace_reader_next_words(r, &recs, &words, batch, &n);
        if (rc != 0) {
            vmr_errf(errbuf, errbuf_len, "%s", vmr_trace_reader_error(r));
            break;
        }
        if (n == 0)
            break;
        memcpy(sl->recs, recs, n * sizeof *recs);
        sl->has_words = words != NULL;
        if (words)
            memcpy(sl->words, words, n * sizeof *words);
        sl->n = n;
        sl->first = first;
        first += n;
        if ((rc = keep_strings(sl)) != 0) {
            vmr_errf(errbuf, errbuf_len, "out of memory");
            break;
        }
        if (sh->n_workers == 0) {
            for (size_t i = 0; i < sh->res->n_runs; i++)
                apply(&sh->res->runs[i], sl);
        } else {
            pthread_mutex_lock(&sh->mu);
            sl->refs = sh->n_workers;
            sh->produced = b + 1;
            pthread_cond_broadcast(&sh->filled);
            pthread_mutex_unlock(&sh->mu);
        }
        if (cfg->on_batch)
            cfg->on_batch(cfg->on_batch_arg, n);
    }
    pthread_mutex_lock(&sh->mu);
    sh->done = 1;
    pthread_cond_broadcast(&sh->filled);
    pthread_mutex_unlock(&sh->mu);
    return rc;
}

int vmr_compare_run(const struct vmr_compare_config *cfg, struct vmr_compare_result **out,
                    char *errbuf, size_t errbuf_len)
{
    *out = NULL;
    if (!cfg->trace_path || cfg->n_runs == 0) {
        vmr_errf(errbuf, errbuf_len, cfg->trace_path ? "compare: no runs" : "no trace given");
        return VMR_EINVAL;
    }
    struct vmr_trace_reader *r = NULL;
    int rc = vmr_trace_reader_open(&r, cfg->trace_path, VMR_FORM_AUTO, errbuf, errbuf_len);
    if (rc != 0)
        return rc;
    struct shared sh;
    memset(&sh, 0, sizeof sh);
    struct vmr_compare_result *res = calloc(1, sizeof *res);
    size_t batch = cfg->batch_records ? cfg->batch_records : DEFAULT_BATCH;
    pthread_t *threads = NULL;
    struct worker *workers = NULL;
    unsigned n_started = 0;
    int sync_ready = 0;
    if (!res || !(res->runs = calloc(cfg->n_runs, sizeof *res->runs)) ||
        !(res->trace_path = vmr_strdup(cfg->trace_path))) {
        rc = VMR_ENOMEM;
        vmr_errf(errbuf, errbuf_len, "out of memory");
        goto out;
    }
    res->n_runs = cfg->n_runs;
    if ((rc = setup_runs(cfg, res, r, errbuf, errbuf_len)) != 0)
        goto out;
    /* page words for the first run's page size (after the oracles' passes,
     * which read whole records) */
    const uint32_t word_page = res->runs[0].kc.page_size;
    rc = vmr_trace_reader_page_words(r, (unsigned)__builtin_ctz(word_page));
    if (rc == VMR_ENOMEM) {
        vmr_errf(errbuf, errbuf_len, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < res->n_runs; i++)
        res->runs[i].use_words = rc == 0 && res->runs[i].kc.page_size == word_page;
    rc = 0;
    for (size_t i = 0; i < RING; i++)
        if (!(sh.slots[i].recs = malloc(batch * sizeof *sh.slots[i].recs)) ||
            !(sh.slots[i].words = malloc(batch * sizeof *sh.slots[i].words))) {
            rc = VMR_ENOMEM;
            vmr_errf(errbuf, errbuf_len, "out of memory");
            goto out;
        }
    unsigned n_threads = cfg->threads;
    if (n_threads == 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        n_threads = cores > 0 ? (unsigned)cores : 1;
    }
    if (n_threads > cfg->n_runs)
        n_threads = (unsigned)cfg->n_runs;
    sh.res = res;
    sh.n_workers = n_threads > 1 ? n_threads : 0;
    pthread_mutex_init(&sh.mu, NULL);
    pthread_cond_init(&sh.filled, NULL);
    pthread_cond_init(&sh.drained, NULL);
    sync_ready = 1;
    if (sh.n_workers) {
        threads = calloc(sh.n_workers, sizeof *threads);
        workers = calloc(sh.n_workers, sizeof *workers);
        if (!threads || !workers) {
            rc = VMR_ENOMEM;
            vmr_errf(errbuf, errbuf_len, "out of memory");
            goto out;
        }
        for (; n_started < sh.n_workers; n_started++) {
            workers[n_started] = (struct worker){&sh, n_started};
            if (pthread_create(&threads[n_started], NULL, worker_main, &workers[n_started]) != 0)
                break;
        }
        if (n_started < sh.n_workers) { /* fewer threads: let the others share */
            sh.n_workers = n_started;
            if (n_started == 0) {
                rc = VMR_ENOMEM;
                vmr_errf(errbuf, errbuf_len, "cannot start threads");
                goto out;
            }
        }
    }
    rc = produce(cfg, &sh, r, batch, errbuf, errbuf_len);
    for (unsigned i = 0; i < n_started; i++)
        pthread_join(threads[i], NULL);
    n_started = 0;
    if (rc != 0)
        goto out;
    for (size_t i = 0; i < res->n_runs; i++) {
        struct run *run = &res->runs[i];
        if (run->failed) {
            rc = run->failed;
            vmr_errf(errbuf, errbuf_len, "%s: record %" PRIu64 " (run %s, %" PRIu32 " frames): %s",
                     cfg->trace_path, run->failed_at, run->kc.policy, run->kc.n_frames, run->err);
            goto out;
        }
        if (run->series && vmr_series_finish(run->series, run->kernel) != 0) {
            rc = VMR_ENOMEM;
            vmr_errf(errbuf, errbuf_len, "out of memory");
            goto out;
        }
        build_report(res, run);
    }
out:
    if (n_started) { /* an error before produce: wake the workers to exit */
        pthread_mutex_lock(&sh.mu);
        sh.done = 1;
        pthread_cond_broadcast(&sh.filled);
        pthread_mutex_unlock(&sh.mu);
        for (unsigned i = 0; i < n_started; i++)
            pthread_join(threads[i], NULL);
    }
    if (sync_ready) {
        pthread_mutex_destroy(&sh.mu);
        pthread_cond_destroy(&sh.filled);
        pthread_cond_destroy(&sh.drained);
    }
    for (size_t i = 0; i < RING; i++) {
        free(sh.slots[i].recs);
        free(sh.slots[i].words);
        free(sh.slots[i].strs);
    }
    free(threads);
    free(workers);
    vmr_trace_reader_destroy(r);
    if (rc != 0) {
        vmr_compare_result_destroy(res);
        return rc;
    }
    *out = res;
    return 0;
}
