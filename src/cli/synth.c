/* synth.c - `vmreplay synth`: writes a synthetic trace (vmreplay/synth.h). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "vmreplay/synth.h"
#include "vmreplay/trace.h"

static const char usage[] =
    "usage: vmreplay synth -o OUT [options]\n"
    "\n"
    "Writes a synthetic trace to OUT: binary if it ends in .vmt, text if it ends in\n"
    ".txt or .vmtxt, text on standard output if OUT is '-'. Process 1 maps the\n"
    "footprint at 0x7f0000000000 (read-write), forks processes 2..N, then makes\n"
    "the accesses, each by a process drawn uniformly, to a page drawn from the\n"
    "pattern, at a random offset in the page aligned to the access size; at the\n"
    "end every process exits, children first. The same options always give the\n"
    "same bytes; the header records them all (synth.* keys and 'command').\n"
    "\n"
    "Options:\n"
    "  -o, --output OUT        the trace to write. Required.\n"
    "  -p, --pattern SPEC      which pages are accessed (default zipf:0.9), see below.\n"
    "  -f, --footprint SIZE    bytes mapped, whole pages, at most 64T (default 64M).\n"
    "                          SIZE is bytes with an optional binary unit: 4096, 64K,\n"
    "                          1.5G, 0x1000 (K/M/G/T = 2^10/2^20/2^30/2^40).\n"
    "  -n, --accesses N        number of accesses (default 1M). N may end in k, M or\n"
    "                          G, which are DECIMAL here: 10^3, 10^6, 10^9 (2.5k = 2500).\n"
    "  -w, --write-fraction F  probability that an access is a write, 0 to 1\n"
    "                          (default 0.3); the others are reads.\n"
    "      --access-size N     bytes per access, a power of two up to the page size\n"
    "                          (default 8).\n"
    "      --page-size N       page size written in the header, a power of two up to\n"
    "                          1G (default 4096). The footprint and every size in the\n"
    "                          pattern must be whole numbers of pages.\n"
    "  -s, --seed N            seed of every random choice (default 1).\n"
    "  -P, --processes N       processes, 1 to 1048576 (default 1).\n"
    "  -b, --backing KIND      anon: private anonymous memory (default);\n"
    "                          file: private mapping of a file 'synth.dat' (file id\n"
    "                          1) of the footprint's size, declared in the trace;\n"
    "                          shared: shared mapping of that file.\n"
    "  -c, --collapse          merge consecutive accesses by the same process of the\n"
    "                          same kind to the same page into one record with a\n"
    "                          count, as a recorder does (the record keeps the first\n"
    "                          access's address). --accesses still counts accesses.\n"
    "  -h, --help              show this help.\n"
    "\n"
    "Pattern: components separated by ',', each\n"
    "    NAME[:ARG][:key=value...][@WEIGHT]\n"
    "Each access picks a component with probability proportional to its WEIGHT (a\n"
    "positive number, default 1); each component keeps its own state.\n"
    "  uniform         every page of the span equally likely.\n"
    "  zipf:ALPHA      Zipf with exponent ALPHA (0 to 100; 0 is uniform): the page\n"
    "                  of rank k is drawn with probability proportional to 1/k^ALPHA.\n"
    "                  Ranks go to pages through a permutation chosen by the seed,\n"
    "                  so hot pages are scattered; order=rank makes rank k the k-th\n"
    "                  page of the span instead.\n"
    "  scan            the pages of the span in order, one access each, wrapping.\n"
    "  loop:SIZE       the same over a window of SIZE bytes at the start of the\n"
    "                  span: a cyclic working set.\n"
    "Keys (sizes as for --footprint, whole numbers of pages):\n"
    "  start=OFFSET    the span begins OFFSET bytes into the footprint (default 0).\n"
    "  size=SIZE       the span is SIZE bytes (default: to the end of the footprint).\n"
    "  order=rank|random  zipf only (default random).\n"
    "\n"
    "Exit status: 0 success, 1 write error, 2 bad option or pattern.\n"
    "\n"
    "Examples:\n"
    "  vmreplay synth -o t.vmt\n"
    "  vmreplay synth -o t.vmt --pattern 'zipf:1.1@9,scan' --accesses 100M --footprint 1G\n"
    "  vmreplay synth -o t.vmt -p 'loop:8M,uniform:start=32M:size=32M@0.1' -P 4 -b shared\n"
    "  vmreplay synth -o - -n 20 -p scan -f 64K --access-size 4K | less\n";

static int run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"pattern", required_argument, NULL, 'p'},
        {"footprint", required_argument, NULL, 'f'},
        {"accesses", required_argument, NULL, 'n'},
        {"write-fraction", required_argument, NULL, 'w'},
        {"access-size", required_argument, NULL, 'A'},
        {"page-size", required_argument, NULL, 'S'},
        {"seed", required_argument, NULL, 's'},
        {"processes", required_argument, NULL, 'P'},
        {"backing", required_argument, NULL, 'b'},
        {"collapse", no_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const struct vmr_cmd *cmd = &vmr_cmd_synth;
    struct vmr_synth_config cfg;
    vmr_synth_config_init(&cfg);
    const char *output = NULL;
    char err[1024];
    int c, idx;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:p:f:n:w:s:P:b:ch", opts, &idx)) != -1) {
        const char *key = NULL, *value = optarg;
        switch (c) {
        case 'o':
            output = optarg;
            continue;
        case 'h':
            return cli_print_usage(cmd);
        case 'c':
            key = "collapse";
            value = "1";
            break;
        case ':':
            return cli_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
        case '?':
            return cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
        default:
            /* every other option is named after its vmr_synth_config_set key */
            for (const struct option *o = opts; o->name; o++)
                if (o->val == c)
                    key = o->name;
            break;
        }
        if (vmr_synth_config_set(&cfg, key, value, err, sizeof err) != 0)
            return cli_usage_error(cmd, "%s", err);
    }
    if (optind != argc)
        return cli_usage_error(cmd, "unexpected argument '%s' (the output goes after -o)",
                               argv[optind]);
    if (!output)
        return cli_usage_error(cmd, "-o OUT is required (OUT.vmt binary, OUT.txt text, - for "
                                    "text on standard output)");

    const char *dot = strrchr(output, '.');
    if (strcmp(output, "-") != 0 &&
        (!dot || strchr(dot, '/') ||
         (strcmp(dot, ".vmt") && strcmp(dot, ".txt") && strcmp(dot, ".vmtxt"))))
        return cli_usage_error(cmd,
                               "-o '%s': expected a name ending in .vmt (binary), .txt or "
                               ".vmtxt (text), or - (text on standard output)",
                               output);

    struct vmr_synth *s;
    int rc = vmr_synth_create(&s, &cfg, err, sizeof err);
    if (rc == VMR_ENOMEM) {
        cli_error("%s", err);
        return CLI_FAIL;
    }
    if (rc != 0)
        return cli_usage_error(cmd, "%s", err);

    struct vmr_trace_writer *w;
    rc = vmr_trace_writer_open(&w, output, vmr_synth_header(s), NULL, err, sizeof err);
    if (rc != 0) {
        vmr_synth_destroy(s);
        cli_error("%s", err);
        return CLI_FAIL;
    }
    rc = vmr_synth_write(s, w);
    vmr_synth_destroy(s);
    if (rc != 0) {
        cli_error("%s", vmr_trace_writer_error(w));
        vmr_trace_writer_destroy(w);
        return CLI_FAIL;
    }
    if (vmr_trace_writer_close(w, err, sizeof err) != 0) {
        cli_error("%s", err);
        return CLI_FAIL;
    }
    return CLI_OK;
}

const struct vmr_cmd vmr_cmd_synth = {
    "synth",
    "write a synthetic trace: Zipf, uniform, scan and loop mixtures, several processes",
    usage,
    run,
};
