/* cat.c - `vmreplay cat`: any trace printed as canonical text. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "vmreplay/trace.h"

static const char usage[] =
    "usage: vmreplay cat TRACE [-o FILE]\n"
    "\n"
    "Prints TRACE (binary .vmt or text; '-' reads standard input) in the canonical\n"
    "text form of traces/FORMAT.md: one record per line, addresses in hexadecimal,\n"
    "lengths with units (64K), optional fields only when not at their default.\n"
    "Converting the output back to binary gives the same records.\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE   write to FILE instead of standard output.\n"
    "  -h, --help          show this help.\n"
    "\n"
    "Examples:\n"
    "  vmreplay cat t.vmt | less\n"
    "  vmreplay cat t.vmt -o t.txt\n";

enum { BATCH = 4096 };

static int run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const struct vmr_cmd *cmd = &vmr_cmd_cat;
    const char *output = "-";
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        switch (c) {
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
    if (cli_same_file(argv[optind], output))
        return cli_usage_error(cmd, "the output is the trace itself");

    char err[1024];
    struct vmr_trace_reader *r = NULL;
    struct vmr_trace_writer *w = NULL;
    struct vmr_record *recs = NULL;
    int status = CLI_FAIL;
    if (vmr_trace_reader_open(&r, argv[optind], VMR_FORM_AUTO, err, sizeof err) != 0) {
        cli_error("%s", err);
        return CLI_FAIL;
    }
    const struct vmr_trace_info *info = vmr_trace_reader_info(r);
    struct vmr_trace_header hdr = {info->page_size, info->n_meta, info->meta};
    struct vmr_trace_writer_options wopt = {.form = VMR_FORM_TEXT};
    if (vmr_trace_writer_open(&w, output, &hdr, &wopt, err, sizeof err) != 0) {
        cli_error("%s", err);
        goto out;
    }
    if (!(recs = malloc(BATCH * sizeof *recs))) {
        cli_error("out of memory");
        goto out;
    }
    for (;;) {
        size_t n;
        if (vmr_trace_reader_next(r, recs, BATCH, &n) != 0) {
            cli_error("%s", vmr_trace_reader_error(r));
            goto out;
        }
        if (n == 0)
            break;
        if (vmr_trace_writer_put_batch(w, recs, n) != 0) {
            cli_error("%s", vmr_trace_writer_error(w));
            goto out;
        }
    }
    int rc = vmr_trace_writer_close(w, err, sizeof err);
    w = NULL;
    if (rc != 0) {
        cli_error("%s", err);
        goto out;
    }
    status = CLI_OK;
out:
    vmr_trace_writer_destroy(w);
    vmr_trace_reader_destroy(r);
    free(recs);
    return status;
}

const struct vmr_cmd vmr_cmd_cat = {
    "cat",
    "print a trace as canonical text",
    usage,
    run,
};
