/*
 * replay.c - one replay: options, the batch loop from trace reader to
 * kernel, and the run report.
 *
 * The trace is decoded in batches into one array allocated at start; the
 * kernel consumes each batch with one call. A policy that needs the future
 * gets the oracle pass first (a full read of the trace, then a rewind).
 * Input errors name the trace and the position of the record that failed.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "runinfo.h"
#include "vec.h"
#include "vmreplay/sim.h"

/* Records per kernel call; the decoding thread runs up to 16 batches
 * ahead (4 buffers of 4). 8192 (7 MiB in flight) rather than 2048: the
 * decoder then rarely waits to be woken, and the replay thread never waits
 * for it (BENCHMARKS.md, "evening": +6-26% wall at 1% and 10%). */
#define DEFAULT_BATCH 8192

struct vmr_replay_result {
    struct vmr_kernel *kernel;
    struct vmr_kernel_config kc;
    struct vmr_run_report report;
    struct runinfo config;
    int all_columns;
    char *trace_path;
    struct vmr_policy_counter pc[32];
    const char *pc_names[32];
    uint64_t pc_values[32];
};

void vmr_replay_config_init(struct vmr_replay_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->policy = "lru";
    cfg->swap = VMR_SWAP_UNLIMITED;
    cfg->seed = 1;
    cfg->on_segv = VMR_SEGV_KILL;
    cfg->zero_page = cfg->write_notify = cfg->fork_anon_only = cfg->sigbus = -1;
    cfg->fault_around = cfg->page_cluster = -1;
    cfg->overcommit = -1;
    cfg->overcommit_ratio = 50;
}

static int parse_yes_no(const char *key, const char *value, int *out, char *errbuf,
                        size_t errbuf_len)
{
    if (strcmp(value, "yes") == 0 || strcmp(value, "1") == 0) {
        *out = 1;
    } else if (strcmp(value, "no") == 0 || strcmp(value, "0") == 0) {
        *out = 0;
    } else {
        vmr_errf(errbuf, errbuf_len, "--%s '%s': expected yes or no", key, value);
        return VMR_EINVAL;
    }
    return 0;
}

static int parse_small(const char *key, const char *value, uint64_t max, int *out, char *errbuf,
                       size_t errbuf_len)
{
    uint64_t v;
    if (vmr_parse_u64(value, &v) != 0 || v > max) {
        vmr_errf(errbuf, errbuf_len, "--%s '%s': expected a number from 0 to %llu", key, value,
                 (unsigned long long)max);
        return VMR_EINVAL;
    }
    *out = (int)v;
    return 0;
}

/* The semantics options (linux mode and its knobs, overcommit). */
static int set_semantics(struct vmr_replay_config *cfg, const char *key, const char *value,
                         char *errbuf, size_t errbuf_len)
{
    if (strcmp(key, "mode") == 0) {
        if (strcmp(value, "seeds") == 0)
            cfg->linux_mode = 0;
        else if (strcmp(value, "linux") == 0)
            cfg->linux_mode = 1;
        else {
            vmr_errf(errbuf, errbuf_len, "--mode '%s': expected seeds or linux", value);
            return VMR_EINVAL;
        }
        return 0;
    }
    if (strcmp(key, "overcommit") == 0) {
        if (strcmp(value, "heuristic") == 0 || strcmp(value, "0") == 0)
            cfg->overcommit = VMR_OVERCOMMIT_HEURISTIC;
        else if (strcmp(value, "always") == 0 || strcmp(value, "1") == 0)
            cfg->overcommit = VMR_OVERCOMMIT_ALWAYS;
        else if (strcmp(value, "strict") == 0 || strcmp(value, "2") == 0)
            cfg->overcommit = VMR_OVERCOMMIT_STRICT;
        else {
            vmr_errf(errbuf, errbuf_len,
                     "--overcommit '%s': expected heuristic, always or strict (0, 1, 2)", value);
            return VMR_EINVAL;
        }
        return 0;
    }
    if (strcmp(key, "overcommit-ratio") == 0) {
        int v;
        int rc = parse_small(key, value, 100000, &v, errbuf, errbuf_len);
        if (rc == 0)
            cfg->overcommit_ratio = (uint32_t)v;
        return rc;
    }
    if (strcmp(key, "zero-page") == 0)
        return parse_yes_no(key, value, &cfg->zero_page, errbuf, errbuf_len);
    if (strcmp(key, "write-notify") == 0)
        return parse_yes_no(key, value, &cfg->write_notify, errbuf, errbuf_len);
    if (strcmp(key, "sigbus") == 0)
        return parse_yes_no(key, value, &cfg->sigbus, errbuf, errbuf_len);
    if (strcmp(key, "fault-around") == 0)
        return parse_small(key, value, 512, &cfg->fault_around, errbuf, errbuf_len);
    if (strcmp(key, "page-cluster") == 0)
        return parse_small(key, value, 9, &cfg->page_cluster, errbuf, errbuf_len);
    if (strcmp(key, "fork-copy") == 0) {
        if (strcmp(value, "all") == 0)
            cfg->fork_anon_only = 0;
        else if (strcmp(value, "anon") == 0)
            cfg->fork_anon_only = 1;
        else {
            vmr_errf(errbuf, errbuf_len, "--fork-copy '%s': expected all or anon", value);
            return VMR_EINVAL;
        }
        return 0;
    }
    return VMR_ENOTFOUND;
}

/* "64M", "4096", or "16p" (pages). */
static int parse_amount(const char *value, uint64_t *out, int *in_pages)
{
    size_t n = strlen(value);
    if (n > 1 && (value[n - 1] == 'p' || value[n - 1] == 'P')) {
        *in_pages = 1;
        return vmr_parse_u64_n(value, n - 1, out);
    }
    *in_pages = 0;
    return vmr_parse_size(value, out);
}

int vmr_replay_config_set(struct vmr_replay_config *cfg, const char *key, const char *value,
                          char *errbuf, size_t errbuf_len)
{
    int rc;
    if (strcmp(key, "memory") == 0) {
        rc = parse_amount(value, &cfg->memory, &cfg->memory_in_pages);
        if (rc == 0 && cfg->memory == 0)
            rc = VMR_EINVAL;
        if (rc != 0)
            vmr_errf(errbuf, errbuf_len,
                     "--memory '%s': expected a size such as 64M, 4096 or 1.5G, or pages as 16p",
                     value);
        return rc;
    }
    if (strcmp(key, "swap") == 0) {
        if (strcmp(value, "unlimited") == 0) {
            cfg->swap = VMR_SWAP_UNLIMITED;
            cfg->swap_in_pages = 0;
            return 0;
        }
        rc = parse_amount(value, &cfg->swap, &cfg->swap_in_pages);
        if (rc != 0)
            vmr_errf(errbuf, errbuf_len,
                     "--swap '%s': expected a size (0, 256M...), pages (16p) or 'unlimited'",
                     value);
        return rc;
    }
    if (strcmp(key, "policy") == 0) {
        if (!*value) {
            vmr_errf(errbuf, errbuf_len, "--policy: empty name");
            return VMR_EINVAL;
        }
        cfg->policy = value;
        return 0;
    }
    if (strcmp(key, "page-size") == 0) {
        uint64_t v;
        rc = vmr_parse_size(value, &v);
        if (rc == 0 && (v == 0 || (v & (v - 1)) != 0 || v > (1u << 30)))
            rc = VMR_EINVAL;
        if (rc != 0) {
            vmr_errf(errbuf, errbuf_len, "--page-size '%s': expected a power of two up to 1G",
                     value);
            return rc;
        }
        cfg->page_size = (uint32_t)v;
        return 0;
    }
    if (strcmp(key, "seed") == 0) {
        rc = vmr_parse_u64(value, &cfg->seed);
        if (rc != 0)
            vmr_errf(errbuf, errbuf_len, "--seed '%s': expected a number", value);
        return rc;
    }
    if (strcmp(key, "columns") == 0) {
        if (strcmp(value, "all") == 0)
            cfg->all_columns = 1;
        else if (strcmp(value, "changed") == 0)
            cfg->all_columns = 0;
        else {
            vmr_errf(errbuf, errbuf_len, "--columns '%s': expected changed or all", value);
            return VMR_EINVAL;
        }
        return 0;
    }
    if (strcmp(key, "on-segv") == 0) {
        if (strcmp(value, "kill") == 0)
            cfg->on_segv = VMR_SEGV_KILL;
        else if (strcmp(value, "ignore") == 0)
            cfg->on_segv = VMR_SEGV_IGNORE;
        else {
            vmr_errf(errbuf, errbuf_len, "--on-segv '%s': expected kill or ignore", value);
            return VMR_EINVAL;
        }
        return 0;
    }
    if (strcmp(key, "sysroot") == 0) {
        if (!*value) {
            vmr_errf(errbuf, errbuf_len, "--sysroot: empty directory");
            return VMR_EINVAL;
        }
        cfg->sysroot = value;
        return 0;
    }
    if (strcmp(key, "load-needed") == 0) {
        if (strcmp(value, "yes") == 0 || strcmp(value, "1") == 0)
            cfg->load_needed = 1;
        else if (strcmp(value, "no") == 0 || strcmp(value, "0") == 0)
            cfg->load_needed = 0;
        else {
            vmr_errf(errbuf, errbuf_len, "--load-needed '%s': expected yes or no", value);
            return VMR_EINVAL;
        }
        return 0;
    }
    if (strcmp(key, "dump-maps") == 0) {
        cfg->dump_maps = value;
        return 0;
    }
    rc = set_semantics(cfg, key, value, errbuf, errbuf_len);
    if (rc == VMR_ENOTFOUND)
        rc = runinfo_set_scope(cfg, key, value, errbuf, errbuf_len);
    if (rc != VMR_ENOTFOUND)
        return rc;
    vmr_errf(errbuf, errbuf_len, "unknown option '%s'", key);
    return VMR_ENOTFOUND;
}

void vmr_replay_result_destroy(struct vmr_replay_result *res)
{
    if (!res)
        return;
    vmr_kernel_destroy(res->kernel);
    free(res->trace_path);
    free(res);
}

const struct vmr_run_report *vmr_replay_report(const struct vmr_replay_result *res)
{
    return &res->report;
}

static void build_report(struct vmr_replay_result *res)
{
    struct vmr_kernel *k = res->kernel;
    const struct vmr_policy *pol = vmr_kernel_policy(k);
    runinfo_fill(&res->config, res->trace_path, pol->spec, &res->kc, 1, vmr_kernel_time(k),
                 res->all_columns);
    res->report.config = res->config.kv;
    res->report.n_config = res->config.n;
    vmr_kernel_totals(k, &res->report.total);
    res->report.procs = vmr_kernel_procs(k, &res->report.n_procs);
    res->report.areas = vmr_kernel_area_stats(k, &res->report.n_areas);
    if (pol->ops->report) {
        size_t n = pol->ops->report(pol->state, res->pc, 32);
        if (n > 32)
            n = 32;
        for (size_t i = 0; i < n; i++) {
            res->pc_names[i] = res->pc[i].name;
            res->pc_values[i] = res->pc[i].value;
        }
        res->report.n_policy_counters = n;
        res->report.policy_counter_names = res->pc_names;
        res->report.policy_counter_values = res->pc_values;
    }
}

/* --dump-maps: the maps of every live process at the chosen marks. */
static int dump_at_mark(void *ctx, const struct vmr_kernel *k, const struct vmr_record *rec)
{
    const struct vmr_replay_config *cfg = ctx;
    const char *label = rec->str ? rec->str : "";
    if (cfg->dump_maps[0] && strcmp(cfg->dump_maps, label) != 0)
        return 0;
    FILE *fp = cfg->maps_out ? cfg->maps_out : stdout;
    fprintf(fp, "# maps at mark %s\n", label);
    return vmr_maps_write(fp, k, 0);
}

int vmr_replay_run(const struct vmr_replay_config *cfg, struct vmr_replay_result **out,
                   char *errbuf, size_t errbuf_len)
{
    *out = NULL;
    if (!cfg->trace_path) {
        vmr_errf(errbuf, errbuf_len, "no trace given");
        return VMR_EINVAL;
    }
    struct vmr_trace_reader *r = NULL;
    int rc = vmr_trace_reader_open(&r, cfg->trace_path, VMR_FORM_AUTO, errbuf, errbuf_len);
    if (rc != 0)
        return rc;
    const struct vmr_trace_info *info = vmr_trace_reader_info(r);
    struct vmr_replay_result *res = NULL;
    struct vmr_oracle oracle = {0};
    struct vmr_kernel_config kc;
    rc = runinfo_kernel_config(cfg, info->page_size, &kc, errbuf, errbuf_len);
    if (rc != 0)
        goto out;
    res = calloc(1, sizeof *res);
    size_t batch = cfg->batch_records ? cfg->batch_records : DEFAULT_BATCH;
    if (!res || !(res->trace_path = vmr_strdup(cfg->trace_path))) {
        rc = VMR_ENOMEM;
        vmr_errf(errbuf, errbuf_len, "out of memory");
        goto out;
    }
    res->kc = kc;
    res->all_columns = cfg->all_columns;
    rc = vmr_kernel_create(&res->kernel, &kc, errbuf, errbuf_len);
    if (rc != 0)
        goto out;
    /* decoding overlaps simulation on a second core (binary traces), in
     * buffers of a few batches so that hand-overs between threads are rare */
    if (!cfg->no_readahead && vmr_trace_reader_readahead(r, 4 * batch) == VMR_ENOMEM) {
        rc = VMR_ENOMEM;
        vmr_errf(errbuf, errbuf_len, "out of memory");
        goto out;
    }
    /* ... and says which records are one page of the same process touched
     * once, so that the kernel's loop reads 8 bytes of those (made in one
     * thread, they showed no gain beyond the noise: BENCHMARKS.md) */
    if (!cfg->no_readahead &&
        vmr_trace_reader_page_words(r, (unsigned)__builtin_ctz(kc.page_size)) == VMR_ENOMEM) {
        rc = VMR_ENOMEM;
        vmr_errf(errbuf, errbuf_len, "out of memory");
        goto out;
    }
    if (cfg->dump_maps)
        vmr_kernel_set_mark_hook(res->kernel, dump_at_mark, (void *)cfg);
    if (vmr_kernel_policy(res->kernel)->ops->flags & VMR_POLICY_NEEDS_FUTURE) {
        rc = vmr_oracle_compute(r, &kc, &oracle, errbuf, errbuf_len);
        if (rc == 0 && (rc = vmr_trace_reader_rewind(r)) != 0)
            vmr_errf(errbuf, errbuf_len, "%s", vmr_trace_reader_error(r));
        if (rc != 0)
            goto out;
        vmr_oracle_apply(res->kernel, &oracle);
    }
    for (;;) {
        size_t n, failed = 0;
        const struct vmr_record *recs; /* the reader's: no copy */
        const uint64_t *words;
        rc = vmr_trace_reader_next_words(r, &recs, &words, batch, &n);
        if (rc != 0) {
            vmr_errf(errbuf, errbuf_len, "%s", vmr_trace_reader_error(r));
            goto out;
        }
        if (n == 0)
            break;
        rc = cfg->run_batch
                 ? cfg->run_batch(cfg->run_batch_arg, res->kernel, recs, words, n, &failed)
                 : vmr_kernel_run_words(res->kernel, recs, words, n, &failed);
        if (rc != 0) {
            char where[512];
            vmr_trace_reader_where(r, failed, where, sizeof where);
            if (rc == VMR_EIO && !vmr_kernel_error(res->kernel)[0])
                vmr_errf(errbuf, errbuf_len, "%s: writing the maps failed", where);
            else
                vmr_errf(errbuf, errbuf_len, "%s: %s", where, vmr_kernel_error(res->kernel));
            goto out;
        }
    }
    if (cfg->dump_maps) {
        FILE *fp = cfg->maps_out ? cfg->maps_out : stdout;
        fprintf(fp, "# maps at the end of the trace\n");
        if ((rc = vmr_maps_write(fp, res->kernel, 0)) != 0) {
            vmr_errf(errbuf, errbuf_len, "writing the maps failed");
            goto out;
        }
    }
    vmr_kernel_set_mark_hook(res->kernel, NULL, NULL); /* cfg is borrowed */
    build_report(res);
out:
    vmr_oracle_release(&oracle);
    vmr_trace_reader_destroy(r);
    if (rc != 0) {
        vmr_replay_result_destroy(res);
        return rc;
    }
    *out = res;
    return 0;
}
