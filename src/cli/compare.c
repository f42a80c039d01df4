/* compare.c - `vmreplay compare`: one trace, many policies and sizes, one
 * decoding, all cores. */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "vmreplay/analysis.h"

#define MAX_RUNS 1024

static const char usage[] =
    "usage: vmreplay compare TRACE --policies LIST --memory LIST [options]\n"
    "\n"
    "Replays TRACE under every policy of LIST and every memory size of LIST\n"
    "(policies x sizes runs), decoding the trace once and spreading the runs over\n"
    "all cores. Each run's counts equal those of the same 'vmreplay replay'.\n"
    "Prints one row per run: a table on the terminal, or CSV/JSON whose rows have\n"
    "the columns of 'replay --format csv' (a 'total' row per run, then one per\n"
    "process), so outputs concatenate and plot alike (analysis/README.md).\n"
    "\n"
    "Options:\n"
    "  -p, --policies LIST   policy specs, comma-separated (default lru); a piece\n"
    "                        with '=' and no ':' is a parameter of the one before\n"
    "                        (arc:p=1,q=2,lru is two policies). Repeatable.\n"
    "  -m, --memory LIST     memory sizes, comma-separated (16M,32M,64M or 100p,\n"
    "                        200p). Required. Repeatable.\n" CLI_REPLAY_OPTIONS_HELP
    "  -j, --jobs N          worker threads (default: one per core).\n"
    "  -f, --format FMT      table (default), csv or json (an array of replay's\n"
    "                        JSON objects).\n"
    "  -o, --output FILE     write the runs to FILE instead of standard output.\n"
    "      --interval N      also record a time series every N accesses (see\n"
    "                        'vmreplay help replay'), all runs in one "
    "CSV.\n" CLI_OUTPUT_OPTIONS_HELP "  -h, --help            show this help.\n"
    "\n"
    "Examples:\n"
    "  vmreplay compare traces/demo.vmt -p fifo,lru,clock,opt -m 1M,2M,4M,8M\n"
    "  vmreplay compare t.vmt -p lru,clock -m 16M,32M -f csv -o runs.csv \\\n"
    "      --interval 100000 --series series.csv\n";

static void on_batch(void *arg, size_t n)
{
    vmr_progress_add(arg, n);
}

static void print_table(FILE *fp, const struct vmr_compare_result *res)
{
    fprintf(fp, "%-16s %10s %12s %12s %12s %10s %10s %10s %10s %10s %8s\n", "policy", "memory",
            "faults", "major", "minor", "zero_fill", "file_reads", "writebacks", "swap_outs",
            "swap_ins", "miss%");
    for (size_t i = 0; i < vmr_compare_n_runs(res); i++) {
        const struct vmr_run_report *r = vmr_compare_report(res, i);
        const char *policy = "", *memory = "", *touches = "0";
        for (size_t c = 0; c < r->n_config; c++) {
            if (strcmp(r->config[c].key, "policy") == 0)
                policy = r->config[c].value;
            else if (strcmp(r->config[c].key, "memory") == 0)
                memory = r->config[c].value;
            else if (strcmp(r->config[c].key, "page_touches") == 0)
                touches = r->config[c].value;
        }
        const struct vmr_counters *t = &r->total;
        uint64_t faults = t->minor_faults + t->major_faults;
        double n = strtod(touches, NULL);
        fprintf(fp,
                "%-16s %10s %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %10" PRIu64 " %10" PRIu64
                " %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %8.3f\n",
                policy, memory, faults, t->major_faults, t->minor_faults, t->zero_fill,
                t->file_reads, t->writebacks, t->swap_outs, t->swap_ins,
                n > 0 ? 100.0 * (double)faults / n : 0.0);
    }
}

/* Without page_touches: the time-series config columns. */
static size_t series_columns(const struct vmr_run_report *r)
{
    size_t n = r->n_config;
    return n && strcmp(r->config[n - 1].key, "page_touches") == 0 ? n - 1 : n;
}

static int write_outputs(const struct vmr_compare_result *res, const struct cli_output *o)
{
    const char *format = o->format, *output = o->output, *series_out = o->series;
    FILE *fp = cli_open_out(output);
    if (!fp)
        return CLI_FAIL;
    size_t n = vmr_compare_n_runs(res);
    if (strcmp(format, "csv") == 0) {
        for (size_t i = 0; i < n; i++)
            vmr_report_write_csv(fp, vmr_compare_report(res, i), i == 0);
    } else if (strcmp(format, "json") == 0) {
        fputs("[\n", fp);
        for (size_t i = 0; i < n; i++) {
            if (i)
                fputs(",\n", fp);
            vmr_report_write_json(fp, vmr_compare_report(res, i));
        }
        fputs("]\n", fp);
    } else {
        print_table(fp, res);
    }
    int status = cli_close_out(fp, output);
    if (status != CLI_OK || !series_out)
        return status;
    if (!(fp = cli_open_out(series_out)))
        return CLI_FAIL;
    for (size_t i = 0; i < n; i++) {
        const struct vmr_run_report *r = vmr_compare_report(res, i);
        vmr_series_write_csv(fp, vmr_compare_series(res, i), r->config, series_columns(r), i == 0);
    }
    return cli_close_out(fp, series_out);
}

static int run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"policies", required_argument, NULL, 'p'},
        {"memory", required_argument, NULL, 'm'},
        {"jobs", required_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        CLI_OUTPUT_OPTIONS,
        CLI_REPLAY_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    const struct vmr_cmd *cmd = &vmr_cmd_compare;
    struct vmr_replay_config base;
    vmr_replay_config_init(&base);
    struct cli_output out;
    cli_output_init(&out);
    char *policies[MAX_RUNS];
    size_t n_policies = 0;
    const char *memories[MAX_RUNS];
    size_t n_memories = 0;
    uint64_t jobs = 0;
    int c, status = CLI_USAGE;
    char err[1024];
    struct vmr_replay_config *runs = NULL;
    optind = 1;
    opterr = 0;
    int longindex = 0;
    while ((c = getopt_long(argc, argv, ":p:m:s:j:f:o:qh", opts, &longindex)) != -1) {
        const char *value, *key = cli_replay_option(c, opts, longindex, &value);
        if (key) {
            if (vmr_replay_config_set(&base, key, value, err, sizeof err) != 0) {
                cli_usage_error(cmd, "%s", err);
                goto out;
            }
            continue;
        }
        int taken = cli_output_option(cmd, c, 0, &out);
        if (taken == CLI_USAGE)
            goto out;
        if (taken == CLI_OK)
            continue;
        switch (c) {
        case 'p': {
            size_t got = cli_split_policies(optarg, policies + n_policies, MAX_RUNS - n_policies);
            if (got == 0) {
                cli_usage_error(cmd, "--policies '%s': no policy", optarg);
                goto out;
            }
            n_policies += got;
            continue;
        }
        case 'm':
            for (char *tok = strtok(optarg, ","); tok && n_memories < MAX_RUNS;
                 tok = strtok(NULL, ","))
                memories[n_memories++] = tok;
            continue;
        case 'j':
            if (cli_parse_u64(cmd, "--jobs", optarg, &jobs) != CLI_OK)
                goto out;
            continue;
        case 'h':
            status = cli_print_usage(cmd);
            goto out;
        default:
            cli_bad_option(cmd, c, argv);
            goto out;
        }
    }
    if (optind + 1 != argc) {
        cli_usage_error(cmd, optind == argc ? "no trace given" : "more than one trace given");
        goto out;
    }
    if (n_memories == 0) {
        cli_usage_error(cmd, "--memory is required (for example --memory 16M,32M)");
        goto out;
    }
    if (cli_output_check(cmd, &out) != CLI_OK)
        goto out;
    if (n_policies == 0) {
        if (!(policies[0] = malloc(sizeof "lru"))) {
            cli_error("out of memory");
            status = CLI_FAIL;
            goto out;
        }
        memcpy(policies[n_policies++], "lru", sizeof "lru");
    }
    size_t n_runs = n_policies * n_memories;
    runs = calloc(n_runs, sizeof *runs);
    if (!runs) {
        cli_error("out of memory");
        status = CLI_FAIL;
        goto out;
    }
    for (size_t p = 0; p < n_policies; p++)
        for (size_t m = 0; m < n_memories; m++) {
            struct vmr_replay_config *rc = &runs[p * n_memories + m];
            *rc = base;
            rc->trace_path = argv[optind];
            if (vmr_replay_config_set(rc, "policy", policies[p], err, sizeof err) != 0 ||
                vmr_replay_config_set(rc, "memory", memories[m], err, sizeof err) != 0) {
                cli_usage_error(cmd, "%s", err);
                goto out;
            }
        }
    struct vmr_progress *prog = vmr_progress_create(
        out.quiet ? NULL : stderr, 1, "compare", out.quiet ? 0 : cli_progress_total(argv[optind]));
    struct vmr_compare_config cc = {
        .trace_path = argv[optind],
        .runs = runs,
        .n_runs = n_runs,
        .threads = (unsigned)jobs,
        .interval = out.interval,
        .interval_per_process = out.per_process,
        .on_batch = on_batch,
        .on_batch_arg = prog,
    };
    struct vmr_compare_result *res;
    int rc = vmr_compare_run(&cc, &res, err, sizeof err);
    vmr_progress_destroy(prog);
    if (rc != 0) {
        cli_error("%s", err);
        status = CLI_FAIL;
        goto out;
    }
    status = write_outputs(res, &out);
    vmr_compare_result_destroy(res);
out:
    for (size_t i = 0; i < n_policies; i++)
        free(policies[i]);
    free(runs);
    return status;
}

const struct vmr_cmd vmr_cmd_compare = {
    "compare",
    "replay one trace under many policies and memory sizes at once (all cores)",
    usage,
    run,
};
