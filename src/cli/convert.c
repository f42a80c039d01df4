/* convert.c - `vmreplay convert`: a trace from one form to the other. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "vmreplay/trace.h"

static const char usage[] =
    "usage: vmreplay convert IN OUT [options]\n"
    "\n"
    "Converts the trace IN (binary or text, told apart by content; '-' reads\n"
    "standard input) into OUT, keeping every record and the metadata. The form of\n"
    "OUT follows its extension (.vmt binary, .txt or .vmtxt text) unless --to says;\n"
    "'-' writes text to standard output. Text output is canonical (as 'vmreplay\n"
    "cat' prints it). On failure OUT is removed.\n"
    "\n"
    "Options:\n"
    "  -t, --to FORM          binary or text.\n"
    "  -l, --level N          zstd compression level of binary output (default 3;\n"
    "                         higher is smaller and slower, up to 22).\n"
    "      --frame-size SIZE  uncompressed bytes per frame of binary output\n"
    "                         (default 1M; from 64 bytes to 63M). Smaller frames\n"
    "                         cost a little space and allow finer seeking.\n"
    "      --format-version V binary format of the output: 1.1 (default) or 1.0,\n"
    "                         for vmreplay releases older than format 1.1\n"
    "                         (1.1 traces are about half the size).\n"
    "  -h, --help             show this help.\n"
    "\n"
    "Examples:\n"
    "  vmreplay convert t.txt t.vmt\n"
    "  vmreplay convert big.vmt - | head\n"
    "  vmreplay convert t.vmt t.small.vmt --level 19\n";

enum { BATCH = 4096 };

static int copy_records(struct vmr_trace_reader *r, struct vmr_trace_writer *w)
{
    struct vmr_record *recs = malloc(BATCH * sizeof *recs);
    if (!recs) {
        cli_error("out of memory");
        return CLI_FAIL;
    }
    int status = CLI_OK;
    for (;;) {
        size_t n;
        if (vmr_trace_reader_next(r, recs, BATCH, &n) != 0) {
            cli_error("%s", vmr_trace_reader_error(r));
            status = CLI_FAIL;
            break;
        }
        if (n == 0)
            break;
        for (size_t i = 0; i < n && status == CLI_OK; i++)
            if (vmr_trace_writer_put(w, &recs[i]) != 0) {
                char where[512];
                vmr_trace_reader_where(r, i, where, sizeof where);
                cli_error("%s (record from %s)", vmr_trace_writer_error(w), where);
                status = CLI_FAIL;
            }
        if (status != CLI_OK)
            break;
    }
    free(recs);
    return status;
}

static int run(int argc, char **argv)
{
    enum { OPT_FRAME = 256, OPT_VERSION };
    static const struct option opts[] = {
        {"to", required_argument, NULL, 't'},
        {"level", required_argument, NULL, 'l'},
        {"frame-size", required_argument, NULL, OPT_FRAME},
        {"format-version", required_argument, NULL, OPT_VERSION},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const struct vmr_cmd *cmd = &vmr_cmd_convert;
    struct vmr_trace_writer_options wopt = {0};
    int have_level = 0, have_frame = 0, have_version = 0, c, rc;
    uint64_t v;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":t:l:h", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            if (strcmp(optarg, "binary") == 0)
                wopt.form = VMR_FORM_BINARY;
            else if (strcmp(optarg, "text") == 0)
                wopt.form = VMR_FORM_TEXT;
            else
                return cli_usage_error(cmd, "--to '%s': expected binary or text", optarg);
            break;
        case 'l': {
            char *end;
            errno = 0;
            long level = strtol(optarg, &end, 10);
            if (!*optarg || *end || errno || level < 1 || level > 22)
                return cli_usage_error(cmd, "--level '%s': expected a number from 1 to 22", optarg);
            wopt.zstd_level = (int)level;
            have_level = 1;
            break;
        }
        case OPT_FRAME:
            if ((rc = cli_parse_size(cmd, "--frame-size", optarg, &v)) != CLI_OK)
                return rc;
            if (v < 64 || v > UINT32_MAX)
                return cli_usage_error(cmd, "--frame-size '%s': expected 64 bytes to 63M", optarg);
            wopt.frame_bytes = (uint32_t)v;
            have_frame = 1;
            break;
        case OPT_VERSION:
            if (strcmp(optarg, "1.0") == 0)
                wopt.format_version = 10;
            else if (strcmp(optarg, "1.1") == 0)
                wopt.format_version = 11;
            else
                return cli_usage_error(cmd, "--format-version '%s': expected 1.0 or 1.1", optarg);
            have_version = 1;
            break;
        case 'h':
            return cli_print_usage(cmd);
        case ':':
            return cli_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
        default:
            return cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 2)
        return cli_usage_error(cmd, argc - optind < 2 ? "expected IN and OUT"
                                                      : "too many arguments (expected IN OUT)");
    const char *in = argv[optind], *out = argv[optind + 1];
    enum vmr_trace_form to = wopt.form;
    if (to == VMR_FORM_AUTO) {
        const char *dot = strrchr(out, '.'), *slash = strrchr(out, '/');
        if (strcmp(out, "-") == 0)
            to = VMR_FORM_TEXT;
        else if (dot && (!slash || dot > slash) && strcmp(dot, ".vmt") == 0)
            to = VMR_FORM_BINARY;
        else if (dot && (!slash || dot > slash) &&
                 (strcmp(dot, ".txt") == 0 || strcmp(dot, ".vmtxt") == 0))
            to = VMR_FORM_TEXT;
        else
            return cli_usage_error(cmd,
                                   "cannot tell the form of '%s' from its name: use --to binary "
                                   "or --to text (or name it .vmt, .txt)",
                                   out);
        wopt.form = to;
    }
    if (to == VMR_FORM_TEXT && (have_level || have_frame || have_version))
        return cli_usage_error(cmd, "%s applies to binary output only",
                               have_level   ? "--level"
                               : have_frame ? "--frame-size"
                                            : "--format-version");
    if (cli_same_file(in, out))
        return cli_usage_error(cmd, "IN and OUT are the same file");

    char err[1024];
    struct vmr_trace_reader *r;
    if (vmr_trace_reader_open(&r, in, VMR_FORM_AUTO, err, sizeof err) != 0) {
        cli_error("%s", err);
        return CLI_FAIL;
    }
    const struct vmr_trace_info *info = vmr_trace_reader_info(r);
    struct vmr_trace_header hdr = {info->page_size, info->n_meta, info->meta};
    struct vmr_trace_writer *w;
    if (vmr_trace_writer_open(&w, out, &hdr, &wopt, err, sizeof err) != 0) {
        cli_error("%s", err);
        vmr_trace_reader_destroy(r);
        if (strcmp(out, "-") != 0)
            unlink(out);
        return CLI_FAIL;
    }
    int status = copy_records(r, w);
    vmr_trace_reader_destroy(r);
    if (status != CLI_OK) {
        vmr_trace_writer_destroy(w);
    } else if (vmr_trace_writer_close(w, err, sizeof err) != 0) {
        cli_error("%s", err);
        status = CLI_FAIL;
    }
    if (status != CLI_OK && strcmp(out, "-") != 0)
        unlink(out);
    return status;
}

const struct vmr_cmd vmr_cmd_convert = {
    "convert",
    "convert a trace between the binary and text forms",
    usage,
    run,
};
