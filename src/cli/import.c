/* import.c - `vmreplay import`: a foreign trace into a vmreplay trace. */
#include <getopt.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "vmreplay/import.h"

static const char usage[] =
    "usage: vmreplay import FORMAT IN -o OUT [options]\n"
    "\n"
    "Converts the trace IN, written by another tool in FORMAT, into the vmreplay\n"
    "trace OUT (.vmt binary, .txt text). IN may be gzip- or zstd-compressed (told\n"
    "by its first bytes); it is read twice, so it must be a file, not a pipe.\n"
    "\n"
    "Formats:\n"
    "  lackey         Valgrind lackey --trace-mem=yes log (syscall lines skipped)\n"
    "  din            Dinero IV 'LABEL ADDR': 0 read, 1 write, 2 fetch (3, 4 skipped)\n"
    "  pinatrace      Intel Pin pinatrace '0xPC: R|W 0xADDR [SIZE]'\n"
    "  oraclegeneral  libCacheSim binary: 24-byte records u32 time, u64 id, u32 size,\n"
    "                 i64 next access (little-endian)\n"
    "  csv            libCacheSim csv, columns given by --csv\n"
    "  txt            libCacheSim txt: one object id per line\n"
    "  arc            ARC paper .lis: 'START N_BLOCKS IGNORED REQUEST_NO'\n"
    "  lirs           LIRS traces (cache2k): big-endian int32 block numbers\n"
    "\n"
    "Address formats (lackey, din, pinatrace) keep their addresses; as they say\n"
    "nothing of the mappings, OUT first declares one anonymous private rwx area per\n"
    "run of consecutive pages the trace touches. A lackey M (modify) is a write.\n"
    "Reference formats (the others) turn object or block id k into page k of one\n"
    "anonymous private area at 0x100000000 of one process, one read per page, so\n"
    "page faults equal cache misses. Consecutive identical references are\n"
    "collapsed into one record with a repeat count.\n"
    "\n"
    "Options:\n"
    "  -o, --output OUT       the trace to write (required).\n"
    "      --block-size SIZE  oraclegeneral, csv: an object of S bytes takes\n"
    "                         ceil(S/SIZE) pages (object k starts at page k*M, M the\n"
    "                         most pages of any object). Default: one page each.\n"
    "      --csv SPEC         csv columns, libCacheSim style, e.g.\n"
    "                         'obj-id-col=2,obj-size-col=3,delimiter=,,has-header=true'\n"
    "                         (keys obj-id-col, obj-size-col, time-col, delimiter,\n"
    "                         has-header; default obj-id-col=1, comma, no header).\n"
    "      --dense            renumber object ids 0, 1, 2... in order of first use\n"
    "                         (for hashed 64-bit ids too large to be page numbers).\n"
    "      --pid PID          the process id to use (default 1).\n"
    "      --page-size SIZE   page size of OUT (default 4096).\n"
    "  -h, --help             show this help.\n"
    "\n"
    "Bad input is reported with the file and line (or byte offset); exit status 1.\n"
    "\n"
    "Examples:\n"
    "  vmreplay import arc OLTP.lis.zst -o oltp.vmt\n"
    "  vmreplay import lirs trace-cpp.trc.bin.gz -o cpp.vmt\n"
    "  vmreplay import lackey lackey.log -o ls.vmt\n"
    "  vmreplay import csv t.csv --csv 'obj-id-col=2,has-header=true' -o t.vmt\n";

static int run(int argc, char **argv)
{
    enum { OPT_BLOCK = 256, OPT_CSV, OPT_DENSE, OPT_PID, OPT_PAGE };
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"block-size", required_argument, NULL, OPT_BLOCK},
        {"csv", required_argument, NULL, OPT_CSV},
        {"dense", no_argument, NULL, OPT_DENSE},
        {"pid", required_argument, NULL, OPT_PID},
        {"page-size", required_argument, NULL, OPT_PAGE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const struct vmr_cmd *cmd = &vmr_cmd_import;
    struct vmr_import_options iopt = {0};
    const char *out = NULL;
    uint64_t v;
    int c, rc;
    char command[2048] = "vmreplay"; /* before getopt permutes argv */
    for (int i = 0; i < argc; i++) {
        size_t l = strlen(command);
        snprintf(command + l, sizeof command - l, " %s", argv[i]);
    }
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            out = optarg;
            break;
        case OPT_BLOCK:
            if ((rc = cli_parse_size(cmd, "--block-size", optarg, &v)) != CLI_OK)
                return rc;
            if (v == 0)
                return cli_usage_error(cmd, "--block-size must be at least 1 byte");
            iopt.block_size = v;
            break;
        case OPT_CSV:
            iopt.csv_spec = optarg;
            break;
        case OPT_DENSE:
            iopt.dense = 1;
            break;
        case OPT_PID:
            if ((rc = cli_parse_u64(cmd, "--pid", optarg, &v)) != CLI_OK)
                return rc;
            if (v == 0 || v > UINT32_MAX)
                return cli_usage_error(cmd, "--pid must be from 1 to 4294967295");
            iopt.pid = (vmr_pid_t)v;
            break;
        case OPT_PAGE:
            if ((rc = cli_parse_size(cmd, "--page-size", optarg, &v)) != CLI_OK)
                return rc;
            if (v == 0 || (v & (v - 1)) || v > (1u << 30))
                return cli_usage_error(cmd, "--page-size must be a power of two up to 1G");
            iopt.page_size = (uint32_t)v;
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
        return cli_usage_error(cmd, argc - optind < 2 ? "expected FORMAT and IN"
                                                      : "too many arguments (expected FORMAT IN)");
    const char *format = argv[optind], *in = argv[optind + 1];
    if (!vmr_import_describe(format))
        return cli_usage_error(cmd, "no format '%s' (see the list in 'vmreplay help import')",
                               format);
    if (!out)
        return cli_usage_error(cmd, "-o OUT is required");
    if (iopt.csv_spec && strcmp(format, "csv") != 0)
        return cli_usage_error(cmd, "--csv applies to the csv format only");
    if (strcmp(in, "-") == 0)
        return cli_usage_error(cmd, "IN must be a file: it is read twice");
    if (cli_same_file(in, out))
        return cli_usage_error(cmd, "IN and OUT are the same file");

    char recorder[64], date[32];
    snprintf(recorder, sizeof recorder, "import:%s", format);
    time_t now = time(NULL);
    struct tm tm;
    if (!gmtime_r(&now, &tm) || !strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm))
        date[0] = '\0';
    struct vmr_trace_meta meta[] = {
        {"recorder", recorder}, {"source", in}, {"command", command}, {"date", date}};
    struct vmr_trace_header hdr = {iopt.page_size ? iopt.page_size : 4096, date[0] ? 4 : 3, meta};
    char err[1024];
    struct vmr_trace_writer *w;
    if (vmr_trace_writer_open(&w, out, &hdr, NULL, err, sizeof err) != 0) {
        cli_error("%s", err);
        return CLI_FAIL;
    }
    int status = CLI_OK;
    if (vmr_import_file(format, in, &iopt, w, err, sizeof err) != 0) {
        cli_error("%s", err);
        vmr_trace_writer_destroy(w);
        status = CLI_FAIL;
    } else if (vmr_trace_writer_close(w, err, sizeof err) != 0) {
        cli_error("%s", err);
        status = CLI_FAIL;
    }
    if (status != CLI_OK && strcmp(out, "-") != 0)
        unlink(out);
    return status;
}

const struct vmr_cmd vmr_cmd_import = {
    "import",
    "convert a trace of another tool (lackey, libCacheSim, ARC, LIRS, din...)",
    usage,
    run,
};
