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
    "  -s, --swap SIZE       swap space, same units, or 'unlimited' (default).\n"
    "                        With a finite swap, anonymous pages that cannot go to\n"
    "                        swap stay in memory; when nothing can be evicted the\n"
    "                        largest process is killed (oom_kills).\n"
    "  -p, --policy SPEC     replacement policy NAME[:key=value,...] or a plug-in\n"
    "                        PATH.so[:key=value,...] (default lru). 'vmreplay\n"
    "                        policies' lists them.\n"
    "      --page-size N     page size of the simulated machine, a power of two\n"
    "                        (default: the trace's, normally 4096).\n"
    "      --on-segv ACTION  kill (default: the process dies, as with SIGSEGV) or\n"
    "                        ignore (count it and go on).\n"
    "      --seed N          seed for randomised policies (default 1).\n"
    "      --sysroot DIR     exec loads ELF programs and their interpreter from\n"
    "                        under DIR, symbolic links resolved inside it\n"
    "                        (default /). A missing or malformed ELF file stops\n"
    "                        the replay with an error naming it.\n"
    "      --load-needed     exec also maps the program's DT_NEEDED libraries,\n"
    "                        found as ld.so would (RPATH/RUNPATH, ld.so.cache,\n"
    "                        default directories): for hand-written traces.\n"
    "      --dump-maps[=LABEL]  print every live process's areas in\n"
    "                        /proc/PID/maps format to standard output at each\n"
    "                        mark record (or each labelled LABEL) and at the end.\n";

static const char usage_semantics[] =
    "      --overcommit MODE  commit accounting as vm.overcommit_memory:\n"
    "                        heuristic (0, the kernel's default and linux mode's:\n"
    "                        refuse one mapping larger than RAM + swap), always\n"
    "                        (1, the seeds' default: never refuse) or strict (2:\n"
    "                        refuse beyond swap + RAM x ratio / 100). Private writable mappings, "
    "brk, fork's\n"
    "                        copies and shared anonymous memory are charged,\n"
    "                        shared file mappings not; a refused mmap, brk,\n"
    "                        mprotect or fork fails with ENOMEM (mmap_failures;\n"
    "                        the child of a failed fork never runs, killed\n"
    "                        'enomem'). With unlimited swap nothing is refused.\n"
    "      --overcommit-ratio N  vm.overcommit_ratio, percent (default 50).\n"
    "      --mode MODE       seeds (default: SEMANTICS.md as the seed notes say)\n"
    "                        or linux (counts comparable with getrusage on Linux\n"
    "                        6.x, THP off). Linux mode sets the knobs below,\n"
    "                        and --overcommit, to the kernel's defaults; each\n"
    "                        can be set in either mode:\n"
    "      --zero-page yes|no  a read fault on untouched private anonymous memory\n"
    "                        maps the shared zero page (no frame); the first write\n"
    "                        is a second fault (linux: yes; some patched kernels\n"
    "                        turn it off).\n"
    "      --fault-around N  a read fault on a file or shared-memory area also\n"
    "                        maps up to N cached pages around it (window aligned\n"
    "                        to N pages, within the area, the 512-entry page\n"
    "                        table and the file), a power of two up to 512\n"
    "                        (linux: 16, fault_around_bytes 65536; 0 or 1: off).\n"
    "      --write-notify yes|no  clean pages of shared file mappings are mapped\n"
    "                        read-only, so the first write after a read or an\n"
    "                        msync is a fault (linux: yes, as on ext4).\n"
    "      --page-cluster N  a swap-in also reads the other swapped-out pages of\n"
    "                        the aligned window of 2^N pages into the swap cache;\n"
    "                        touching one later is a minor fault (linux: 3,\n"
    "                        vm.page-cluster; 0: off).\n"
    "      --fork-copy all|anon  fork copies the page tables of every area, or\n"
    "                        (linux: anon) only of areas that have had anonymous\n"
    "                        pages; the child faults the others in again.\n"
    "      --sigbus yes|no   an access to a file page wholly past the end of the\n"
    "                        file raises SIGBUS (counted in sigbus, handled as\n"
    "                        --on-segv says) instead of reading zeros (linux: yes).\n";

static const char usage_scope[] =
    "      --scope SCOPE     global (default: one policy instance chooses among all\n"
    "                        frames) or local: each process (thread group) has a\n"
    "                        quota of frames and its own instance of the policy,\n"
    "                        and a fault of a process at its quota evicts one of\n"
    "                        its own pages. A frame is charged to the process that\n"
    "                        brought its page in (first touch; shared pages stay\n"
    "                        charged to it); those of a process that ends go to an\n"
    "                        orphan pool, reclaimed first. Quotas: the frames not\n"
    "                        fixed by --quota split equally among the live\n"
    "                        processes (oldest get the remainder, at least 1),\n"
    "                        recomputed at every fork and exit; a process above a\n"
    "                        shrunken quota gives pages back when another needs a\n"
    "                        frame and none is free. README.md has the rules.\n"
    "      --quota LIST      local scope: fixed quotas PID=SIZE,... (',' or '+'\n"
    "                        between entries, SIZE as --memory: 16M or 300p), for\n"
    "                        every process with that pid; they may add up to at\n"
    "                        most --memory.\n";

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
    "                        between them.\n"
    "      --per-process     add one time-series row per process and interval.\n"
    "      --series FILE     where the time series goes (default standard output,\n"
    "                        allowed only when -o is given).\n"
    "  -q, --quiet           no progress line on stderr (shown on a terminal).\n"
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

static char
    usage[sizeof usage_options + sizeof usage_semantics + sizeof usage_scope + sizeof usage_rest];

__attribute__((constructor)) static void join_usage(void)
{
    snprintf(usage, sizeof usage, "%s%s%s%s", usage_options, usage_semantics, usage_scope,
             usage_rest);
}

/* The batch hook: progress, and the time series if asked. */
struct hook {
    struct vmr_series *series;
    struct vmr_progress *progress;
    struct vmr_kernel *kernel;
};

static int run_batch(void *arg, struct vmr_kernel *k, const struct vmr_record *recs, size_t n,
                     size_t *failed)
{
    struct hook *h = arg;
    h->kernel = k;
    vmr_progress_add(h->progress, n);
    return h->series ? vmr_series_run(h->series, k, recs, n, failed)
                     : vmr_kernel_run(k, recs, n, failed);
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
        {"swap", required_argument, NULL, 's'},
        {"policy", required_argument, NULL, 'p'},
        {"page-size", required_argument, NULL, 'P'},
        {"on-segv", required_argument, NULL, 'S'},
        {"seed", required_argument, NULL, 'r'},
        {"format", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'},
        {"sysroot", required_argument, NULL, 'R'},
        {"load-needed", no_argument, NULL, 'L'},
        {"dump-maps", optional_argument, NULL, 'D'},
        {"interval", required_argument, NULL, 'i'},
        {"per-process", no_argument, NULL, 'I'},
        {"series", required_argument, NULL, 'T'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        /* semantics options: the long name is the vmr_replay_config_set key */
        {"mode", required_argument, NULL, 1},
        {"overcommit", required_argument, NULL, 1},
        {"overcommit-ratio", required_argument, NULL, 1},
        {"zero-page", required_argument, NULL, 1},
        {"fault-around", required_argument, NULL, 1},
        {"write-notify", required_argument, NULL, 1},
        {"page-cluster", required_argument, NULL, 1},
        {"fork-copy", required_argument, NULL, 1},
        {"sigbus", required_argument, NULL, 1},
        {"scope", required_argument, NULL, 1},
        {"quota", required_argument, NULL, 1},
        {NULL, 0, NULL, 0},
    };
    const struct vmr_cmd *cmd = &vmr_cmd_replay;
    struct vmr_replay_config cfg;
    vmr_replay_config_init(&cfg);
    const char *format = "table", *output = "-", *series_out = NULL;
    int have_memory = 0, c, per_process = 0, quiet = 0, longindex = 0;
    uint64_t interval = 0;
    char err[1024];
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":m:s:p:f:o:qh", opts, &longindex)) != -1) {
        const char *key = NULL;
        switch (c) {
        case 1:
            key = opts[longindex].name;
            break;
        case 'm':
            key = "memory";
            have_memory = 1;
            break;
        case 's':
            key = "swap";
            break;
        case 'p':
            key = "policy";
            break;
        case 'P':
            key = "page-size";
            break;
        case 'S':
            key = "on-segv";
            break;
        case 'r':
            key = "seed";
            break;
        case 'R':
            key = "sysroot";
            break;
        case 'L':
            key = "load-needed";
            optarg = (char *)"yes";
            break;
        case 'D':
            key = "dump-maps";
            optarg = optarg ? optarg : (char *)"";
            break;
        case 'f':
            format = optarg;
            continue;
        case 'o':
            output = optarg;
            continue;
        case 'i':
            if (strcmp(optarg, "mark") == 0) {
                interval = VMR_SERIES_AT_MARKS;
                continue;
            }
            if (cli_parse_u64(cmd, "--interval", optarg, &interval) != CLI_OK)
                return CLI_USAGE;
            if (interval == 0)
                return cli_usage_error(cmd, "--interval must be at least 1");
            continue;
        case 'I':
            per_process = 1;
            continue;
        case 'T':
            series_out = optarg;
            continue;
        case 'q':
            quiet = 1;
            continue;
        case 'h':
            return cli_print_usage(cmd);
        case ':':
            return cli_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
        default:
            return cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
        }
        if (vmr_replay_config_set(&cfg, key, optarg, err, sizeof err) != 0)
            return cli_usage_error(cmd, "%s", err);
    }
    if (optind + 1 != argc)
        return cli_usage_error(cmd,
                               optind == argc ? "no trace given" : "more than one trace given");
    if (!have_memory)
        return cli_usage_error(cmd, "--memory is required (for example --memory 64M)");
    if (strcmp(format, "table") && strcmp(format, "csv") && strcmp(format, "json"))
        return cli_usage_error(cmd, "--format '%s': expected table, csv or json", format);
    if (interval && !series_out) {
        if (strcmp(output, "-") == 0)
            return cli_usage_error(cmd, "--interval: give --series FILE or -o FILE (both would "
                                        "go to standard output)");
        series_out = "-";
    }
    if (series_out && !interval)
        return cli_usage_error(cmd, "--series needs --interval N");
    cfg.trace_path = argv[optind];
    cfg.maps_out = stdout;

    struct hook hook = {0};
    if (interval && vmr_series_create(&hook.series, interval, per_process) != 0) {
        cli_error("out of memory");
        return CLI_FAIL;
    }
    hook.progress = vmr_progress_create(quiet ? NULL : stderr, 1, "replay",
                                        quiet ? 0 : cli_progress_total(cfg.trace_path));
    cfg.run_batch = run_batch;
    cfg.run_batch_arg = &hook;
    struct vmr_replay_result *res;
    int rc = vmr_replay_run(&cfg, &res, err, sizeof err);
    vmr_progress_destroy(hook.progress);
    if (rc != 0) {
        vmr_series_destroy(hook.series);
        cli_error("%s", err);
        return CLI_FAIL;
    }
    FILE *fp = cli_open_out(output);
    if (!fp) {
        vmr_series_destroy(hook.series);
        vmr_replay_result_destroy(res);
        return CLI_FAIL;
    }
    const struct vmr_run_report *rep = vmr_replay_report(res);
    if (strcmp(format, "csv") == 0)
        vmr_report_write_csv(fp, rep, 1);
    else if (strcmp(format, "json") == 0)
        vmr_report_write_json(fp, rep);
    else
        vmr_report_write_table(fp, rep);
    int status = cli_close_out(fp, output);
    if (status == CLI_OK && hook.series)
        status = write_series(&hook, rep, series_out);
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
