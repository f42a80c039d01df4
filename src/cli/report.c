/* report.c - `vmreplay report`: CSV outputs to an HTML page with figures. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "vmreplay/analysis.h"

#ifndef VMR_ANALYSIS_DIR
#define VMR_ANALYSIS_DIR "analysis"
#endif

static const char usage[] =
    "usage: vmreplay report CSV... -o DIR [options]\n"
    "\n"
    "Writes DIR/index.html, a self-contained page about the runs in the CSV files:\n"
    "what was run (trace metadata, options, versions), figures drawn by the gnuplot\n"
    "scripts of analysis/ (PNG in the page, SVG linked) and tables of the runs and\n"
    "their processes. DIR/data/ keeps the joined inputs. Each CSV is recognised\n"
    "by its header: runs (replay, compare, sweep or merge with --format csv), time\n"
    "series (--interval) and miss-ratio curves (mrc). The figures chosen: miss\n"
    "ratio against memory per policy (with the mrc curve when given) if there are\n"
    "several sizes, faults per policy and size, fault and I/O breakdowns (up to\n"
    "40 runs), faults and memory in use over time (the first 6 runs of the time\n"
    "series), or the mrc curve alone.\n"
    "\n"
    "Options:\n"
    "  -o, --output DIR      the report folder (created; required).\n"
    "      --scripts DIR     the gnuplot scripts (default: $VMREPLAY_ANALYSIS, else\n"
    "                        the source tree's analysis/ folder).\n"
    "      --gnuplot PROG    the gnuplot program (default gnuplot).\n"
    "  -h, --help            show this help.\n"
    "\n"
    "Example:\n"
    "  vmreplay compare traces/demo.vmt -p fifo,lru,clock,opt -m 1M,2M,4M,8M \\\n"
    "      -f csv -o runs.csv --interval 5000 --series series.csv\n"
    "  vmreplay mrc traces/demo.vmt -o mrc.csv\n"
    "  vmreplay report runs.csv series.csv mrc.csv -o report\n";

static int run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"scripts", required_argument, NULL, 'S'},
        {"gnuplot", required_argument, NULL, 'G'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const struct vmr_cmd *cmd = &vmr_cmd_report;
    struct vmr_report_config cfg = {0};
    const char *env = getenv("VMREPLAY_ANALYSIS");
    cfg.scripts_dir = env && *env ? env : VMR_ANALYSIS_DIR;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            cfg.out_dir = optarg;
            break;
        case 'S':
            cfg.scripts_dir = optarg;
            break;
        case 'G':
            cfg.gnuplot = optarg;
            break;
        case 'h':
            return cli_print_usage(cmd);
        case ':':
            return cli_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
        default:
            return cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (!cfg.out_dir)
        return cli_usage_error(cmd, "-o DIR is required");
    if (optind == argc)
        return cli_usage_error(cmd, "no CSV files given");
    char probe[4096];
    struct stat st;
    snprintf(probe, sizeof probe, "%s/common.gp", cfg.scripts_dir);
    if (stat(probe, &st) != 0) {
        cli_error("no gnuplot scripts in %s (give --scripts DIR or set VMREPLAY_ANALYSIS)",
                  cfg.scripts_dir);
        return CLI_FAIL;
    }
    cfg.inputs = (const char *const *)argv + optind;
    cfg.n_inputs = (size_t)(argc - optind);
    char err[1024];
    if (vmr_report_build(&cfg, err, sizeof err) != 0) {
        cli_error("%s", err);
        return CLI_FAIL;
    }
    printf("%s/index.html\n", cfg.out_dir);
    return CLI_OK;
}

const struct vmr_cmd vmr_cmd_report = {
    "report",
    "an HTML report (figures and tables) from replay, compare, sweep, mrc CSVs",
    usage,
    run,
};
