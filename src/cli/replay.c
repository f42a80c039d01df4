/* replay.c - `vmreplay replay`: one trace, one memory size, one policy. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "vmreplay/analysis.h"
#include "vmreplay/sim.h"

/* The help text, in two parts (ISO C caps a string literal's length) joined
 * at start-up into `usage`. */
static const char usage_options[] =
    "usage: vmreplay replay TRACE --memory SIZE [options]\n"
    "\n"
    "Replays TRACE (binary .vmt or text) through the simulated kernel with SIZE of\n"
    "RAM and prints the fault and I/O counts, for the whole run and per process.\n"
    "\n"
    "Options:\n"
    "  -m, --memory SIZE     physical memory: bytes with an optional unit (64M, 1.5G,\n"
    "                        4096) or a number of pages (3p). Required.\n"
    "  -p, --policy SPEC     replacement policy NAME[:key=value,...] or a plug-in\n"
    "                        PATH.so[:key=value,...] (default lru). 'vmreplay\n"
    "                        policies' lists them.\n" CLI_REPLAY_OPTIONS_HELP
    "      --dump-maps[=LABEL]  print every live process's areas in\n"
    "                        /proc/PID/maps format to standard output at each\n"
    "                        mark record (or each labelled LABEL) and at the end.\n";

static const char usage_rest[] =
    "  -f, --format FMT      table (default), csv or json.\n"
    "  -o, --output FILE     write the report to FILE instead of standard output.\n"
    "      --interval N      also record a time series: one CSV row each time the\n"
    "                        trace's accesses reach a multiple of N (after that\n"
    "                        record), plus one for the rest: the growth of every\n"
    "                        counter in the interval, rss_pages (frames in use)\n"
    "                        and swap_used_pages at its end (analysis/README.md).\n"
    "      --interval mark   the same with one row per phase: a row after each mark\n"
    "                        record (its label in the 'mark' column), so the row\n"
    "                        of mark B that follows mark A counts what happened\n"
    "                        between them.\n" CLI_OUTPUT_OPTIONS_HELP
    "  -h, --help            show this help.\n"
    "\n"
    "Counters (pages unless named otherwise): accesses, reads, writes, fetches;\n"
    "minor_faults + major_faults = every resolved fault (zero-fill and COW faults\n"
    "are minor; a fault that waited for a file read or swap-in is major);\n"
    "zero_fill, cow_copies, cow_reuses, segv_unmapped, segv_protection, file_reads,\n"
    "writebacks, swap_outs, swap_ins, evictions, rss_peak_pages (whole run: frames\n"
    "in use including the page cache; per process: resident pages),\n"
    "swap_peak_pages, commit_peak_pages (whole run: pages committed machine-wide;\n"
    "per process: its address space's charge), mmap_failures, oom_kills, sigbus.\n"
    "Besides the total and each process, CSV and JSON list each area name (a\n"
    "file, [anon], [heap], [stack], [shmem]) with the counts its faults made:\n"
    "faults, zero_fill, cow_copies, cow_reuses, file_reads, swap_ins,\n"
    "segv_protection, sigbus, writebacks (accesses, evictions and swap-outs are\n"
    "not counted per area). README.md describes the model.\n"
    "\n"
    "Examples:\n"
    "  vmreplay replay traces/demo.vmt --memory 16M\n"
    "  vmreplay replay t.vmt -m 1000p --policy clock --format csv -o run.csv\n"
    "  vmreplay replay hand.txt -m 64M --load-needed --dump-maps=start\n"
    "  vmreplay replay t.vmt -m 1G --swap 512M --mode linux --overcommit strict\n"
    "  vmreplay replay t.vmt -m 64M --scope local --quota 1=16M\n";

static char usage[sizeof usage_options + sizeof usage_rest];

__attribute__((constructor)) static void join_usage(void)
{
    snprintf(usage, sizeof usage, "%s%s", usage_options, usage_rest);
}

/* The batch hook: progress, and the time series if asked. */
struct hook {
    struct vmr_series *series;
    struct vmr_progress *progress;
    struct vmr_kernel *kernel;
};

static int run_batch(void *arg, struct vmr_kernel *k, const struct vmr_record *recs,
                     const uint64_t *words, size_t n, size_t *failed)
{
    struct hook *h = arg;
    h->kernel = k;
    vmr_progress_add(h->progress, n);
    return h->series ? vmr_series_run(h->series, k, recs, n, failed)
                     : vmr_kernel_run_words(k, recs, words, n, failed);
}

static int write_series(const struct hook *h, const struct vmr_run_report *rep, const char *path)
{
    size_t n = rep->n_config; /* the config columns but page_touches */
    if (n && strcmp(rep->config[n - 1].key, "page_touches") == 0)
        n--;
    if (h->kernel && vmr_series_finish(h->series, h->kernel) != 0) {
        cli_error("out of memory");
        return CLI_FAIL;
    }
    FILE *fp = cli_open_out(path);
    if (!fp)
        return CLI_FAIL;
    vmr_series_write_csv(fp, h->series, rep->config, n, 1);
    return cli_close_out(fp, path);
}

static int run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"memory", required_argument, NULL, 'm'},
        {"policy", required_argument, NULL, 'p'},
        {"dump-maps", optional_argument, NULL, 'D'},
        {"help", no_argument, NULL, 'h'},
        CLI_OUTPUT_OPTIONS,
        CLI_REPLAY_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    const struct vmr_cmd *cmd = &vmr_cmd_replay;
    struct vmr_replay_config cfg;
    vmr_replay_config_init(&cfg);
    struct cli_output out;
    cli_output_init(&out);
    int have_memory = 0, c, longindex = 0, rc;
    char err[1024];
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":m:s:p:f:o:qh", opts, &longindex)) != -1) {
        const char *value = optarg, *key = cli_replay_option(c, opts, longindex, &value);
        if (!key && (rc = cli_output_option(cmd, c, 1, &out)) >= 0) {
            if (rc != CLI_OK)
                return rc;
            continue;
        }
        switch (key ? 0 : c) {
        case 0: /* one of CLI_REPLAY_OPTIONS */
            break;
        case 'm':
            key = "memory";
            have_memory = 1;
            break;
        case 'p':
            key = "policy";
            break;
        case 'D':
            key = "dump-maps";
            value = optarg ? optarg : "";
            break;
        case 'h':
            return cli_print_usage(cmd);
        default:
            return cli_bad_option(cmd, c, argv);
        }
        if (vmr_replay_config_set(&cfg, key, value, err, sizeof err) != 0)
            return cli_usage_error(cmd, "%s", err);
    }
    if (optind + 1 != argc)
        return cli_usage_error(cmd,
                               optind == argc ? "no trace given" : "more than one trace given");
    if (!have_memory)
        return cli_usage_error(cmd, "--memory is required (for example --memory 64M)");
    if (cli_output_check(cmd, &out) != CLI_OK)
        return CLI_USAGE;
    cfg.trace_path = argv[optind];
    cfg.maps_out = stdout;

    struct hook hook = {0};
    if (out.interval && vmr_series_create(&hook.series, out.interval, out.per_process) != 0) {
        cli_error("out of memory");
        return CLI_FAIL;
    }
    hook.progress = vmr_progress_create(out.quiet ? NULL : stderr, 1, "replay",
                                        out.quiet ? 0 : cli_progress_total(cfg.trace_path));
    cfg.run_batch = run_batch;
    cfg.run_batch_arg = &hook;
    struct vmr_replay_result *res;
    rc = vmr_replay_run(&cfg, &res, err, sizeof err);
    vmr_progress_destroy(hook.progress);
    if (rc != 0) {
        vmr_series_destroy(hook.series);
        cli_error("%s", err);
        return CLI_FAIL;
    }
    FILE *fp = cli_open_out(out.output);
    if (!fp) {
        vmr_series_destroy(hook.series);
        vmr_replay_result_destroy(res);
        return CLI_FAIL;
    }
    const struct vmr_run_report *rep = vmr_replay_report(res);
    if (strcmp(out.format, "csv") == 0)
        vmr_report_write_csv(fp, rep, 1);
    else if (strcmp(out.format, "json") == 0)
        vmr_report_write_json(fp, rep);
    else
        vmr_report_write_table(fp, rep);
    int status = cli_close_out(fp, out.output);
    if (status == CLI_OK && hook.series)
        status = write_series(&hook, rep, out.series);
    vmr_series_destroy(hook.series);
    vmr_replay_result_destroy(res);
    return status;
}

const struct vmr_cmd vmr_cmd_replay = {
    "replay",
    "replay a trace under a memory size and policy; print fault and I/O counts",
    usage,
    run,
};
