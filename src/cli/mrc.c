/* mrc.c - `vmreplay mrc`: the LRU miss-ratio curve of a trace in one pass,
 * exact or SHARDS-sampled. */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "parse.h"
#include "vmreplay/analysis.h"

static const char usage[] =
    "usage: vmreplay mrc TRACE [options]\n"
    "\n"
    "Computes the LRU miss-ratio curve of TRACE in one pass: for every memory\n"
    "size, the page faults an LRU memory of that many frames takes (the same as\n"
    "'vmreplay replay --policy lru' for a single process's private memory; with\n"
    "fork or shared pages it is the curve of the pages each address space\n"
    "touches). Exact stack distances cost O(N log M) time and O(M) memory for N\n"
    "page touches and M distinct pages; for traces too large for that, SHARDS\n"
    "sampling tracks only the pages whose hash falls under a threshold.\n"
    "The OPT curve is not computed here: use 'vmreplay compare -p opt'.\n"
    "\n"
    "Options:\n"
    "      --rate R          SHARDS at a fixed sampling rate R (0 < R < 1, e.g.\n"
    "                        0.01).\n"
    "      --max-pages N     SHARDS with at most N tracked pages (fixed memory; the\n"
    "                        rate adapts). Not with --rate.\n"
    "      --points N        rows: every size up to the largest distance when it is\n"
    "                        at most N, else N sizes evenly spaced (default 500;\n"
    "                        0 = every size).\n"
    "  -m, --memory LIST     only these sizes (16M,32M or 100p,200p).\n"
    "      --page-size N     page size (default: the trace's).\n"
    "  -o, --output FILE     write the CSV to FILE instead of standard output.\n"
    "  -h, --help            show this help.\n"
    "\n"
    "Output (CSV): trace, method (exact, shards-rate, shards-size), rate (the\n"
    "final sampling rate; 1 when exact), page_size, memory_pages, memory,\n"
    "page_touches, distinct_pages (estimated when sampled), faults (estimated\n"
    "when sampled, rounded), miss_ratio (faults / page_touches).\n"
    "\n"
    "Examples:\n"
    "  vmreplay mrc traces/demo.vmt -o mrc.csv\n"
    "  vmreplay mrc big.vmt --rate 0.01 -m 64M,128M,256M\n";

#define MAX_SIZES 4096

static void row(FILE *fp, const char *trace, const char *method, const struct vmr_mrc *m,
                uint64_t frames)
{
    char size[32];
    vmr_format_size(frames * m->page_size, size, sizeof size);
    double f = vmr_mrc_misses(m, frames);
    fputs(trace, fp);
    fprintf(fp, ",%s,%.6g,%" PRIu32 ",%" PRIu64 ",%s,%" PRIu64 ",%" PRIu64 ",%.0f,%.6f\n", method,
            m->final_rate, m->page_size, frames, size, m->n_touches, m->n_pages, f,
            m->n_touches ? f / (double)m->n_touches : 0.0);
}

static int run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"rate", required_argument, NULL, 'R'},
        {"max-pages", required_argument, NULL, 'M'},
        {"points", required_argument, NULL, 'n'},
        {"memory", required_argument, NULL, 'm'},
        {"page-size", required_argument, NULL, 'P'},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const struct vmr_cmd *cmd = &vmr_cmd_mrc;
    struct vmr_mrc_config cfg = {0};
    const char *output = "-", *sizes = NULL;
    uint64_t points = 500, v;
    char *end;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":m:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'R':
            cfg.rate = strtod(optarg, &end);
            if (*end || !(cfg.rate > 0 && cfg.rate < 1))
                return cli_usage_error(cmd, "--rate '%s': expected a number in (0, 1)", optarg);
            break;
        case 'M':
            if (cli_parse_u64(cmd, "--max-pages", optarg, &cfg.max_pages) != CLI_OK)
                return CLI_USAGE;
            if (cfg.max_pages == 0)
                return cli_usage_error(cmd, "--max-pages must be at least 1");
            break;
        case 'n':
            if (cli_parse_u64(cmd, "--points", optarg, &points) != CLI_OK)
                return CLI_USAGE;
            break;
        case 'm':
            sizes = optarg;
            break;
        case 'P':
            if (cli_parse_size(cmd, "--page-size", optarg, &v) != CLI_OK)
                return CLI_USAGE;
            if (v == 0 || (v & (v - 1)) || v > (1u << 30))
                return cli_usage_error(cmd, "--page-size '%s': expected a power of two", optarg);
            cfg.page_size = (uint32_t)v;
            break;
        case 'o':
            output = optarg;
            break;
        case 'h':
            return cli_print_usage(cmd);
        case ':':
            return cli_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
        default:
            return cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind + 1 != argc)
        return cli_usage_error(cmd,
                               optind == argc ? "no trace given" : "more than one trace given");
    if (cfg.rate > 0 && cfg.max_pages)
        return cli_usage_error(cmd, "--rate and --max-pages exclude each other");
    cfg.trace_path = argv[optind];
    const char *method = cfg.rate > 0 ? "shards-rate" : cfg.max_pages ? "shards-size" : "exact";
    struct vmr_mrc m;
    char err[1024];
    if (vmr_mrc_compute(&cfg, &m, err, sizeof err) != 0) {
        cli_error("%s", err);
        return CLI_FAIL;
    }
    uint64_t list[MAX_SIZES];
    size_t n = 0;
    if (sizes) {
        char *copy = strdup(sizes);
        for (char *tok = copy ? strtok(copy, ",") : NULL; tok && n < MAX_SIZES;
             tok = strtok(NULL, ",")) {
            size_t len = strlen(tok);
            int rc = len > 1 && tok[len - 1] == 'p' ? vmr_parse_u64_n(tok, len - 1, &v)
                                                    : vmr_parse_size(tok, &v);
            if (rc == 0 && tok[len - 1] != 'p')
                v /= m.page_size;
            if (rc != 0 || v == 0) {
                free(copy);
                vmr_mrc_release(&m);
                return cli_usage_error(cmd, "--memory '%s': expected sizes such as 16M or 100p",
                                       sizes);
            }
            list[n++] = v;
        }
        free(copy);
    } else {
        uint64_t top = m.n_sizes > 1 ? m.n_sizes - 1 : 1; /* the largest distance */
        uint64_t want = points == 0 || points > MAX_SIZES ? MAX_SIZES : points;
        if (top <= want) {
            for (uint64_t s = 1; s <= top; s++)
                list[n++] = s;
        } else {
            for (uint64_t i = 1; i <= want; i++) {
                uint64_t s = (top * i + want - 1) / want;
                if (n == 0 || s != list[n - 1])
                    list[n++] = s;
            }
        }
    }
    FILE *fp = cli_open_out(output);
    if (!fp) {
        vmr_mrc_release(&m);
        return CLI_FAIL;
    }
    fputs("trace,method,rate,page_size,memory_pages,memory,page_touches,distinct_pages,faults,"
          "miss_ratio\n",
          fp);
    for (size_t i = 0; i < n; i++)
        row(fp, cfg.trace_path, method, &m, list[i]);
    vmr_mrc_release(&m);
    return cli_close_out(fp, output);
}

const struct vmr_cmd vmr_cmd_mrc = {
    "mrc",
    "LRU miss-ratio curve of a trace in one pass (exact or SHARDS-sampled)",
    usage,
    run,
};
