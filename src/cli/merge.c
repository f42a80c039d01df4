/* merge.c - `vmreplay merge`: joins CSVs with one header (sweep jobs, replay
 * and compare outputs) into one tidy CSV. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
    "usage: vmreplay merge FILE... [-o OUT]\n"
    "\n"
    "Joins CSV files that share one header (the outputs of 'sweep --emit-jobs'\n"
    "jobs, replay, compare or sweep) into one CSV, in the order given, keeping\n"
    "one header line. Merging the jobs of a sweep in job order gives the same\n"
    "file as running the sweep in process. A file whose header differs from the\n"
    "first one's is an error naming it; so is an empty or unreadable one.\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE  write to FILE instead of standard output.\n"
    "  -h, --help         show this help.\n"
    "\n"
    "Example:\n"
    "  vmreplay merge sweep-jobs/job-*.csv -o sweep.csv\n";

static int run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const struct vmr_cmd *cmd = &vmr_cmd_merge;
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
    if (optind == argc)
        return cli_usage_error(cmd, "no files given");
    for (int i = optind; i < argc; i++)
        if (cli_same_file(argv[i], output)) {
            cli_error("%s is both an input and the output", output);
            return CLI_FAIL;
        }
    FILE *out = cli_open_out(output);
    if (!out)
        return CLI_FAIL;
    char *header = NULL, *line = NULL;
    size_t cap = 0;
    int status = CLI_OK;
    for (int i = optind; i < argc && status == CLI_OK; i++) {
        FILE *fp = fopen(argv[i], "r");
        if (!fp) {
            cli_error("cannot open %s: %s", argv[i], strerror(errno));
            status = CLI_FAIL;
            break;
        }
        ssize_t n = getline(&line, &cap, fp);
        if (n <= 0) {
            cli_error("%s: empty (no header line)", argv[i]);
            status = CLI_FAIL;
        } else if (!header) {
            if (!(header = strdup(line))) {
                cli_error("out of memory");
                status = CLI_FAIL;
            } else {
                fputs(line, out);
            }
        } else if (strcmp(line, header) != 0) {
            cli_error("%s:1: header differs from %s's", argv[i], argv[optind]);
            status = CLI_FAIL;
        }
        while (status == CLI_OK && (n = getline(&line, &cap, fp)) > 0)
            fputs(line, out);
        if (ferror(fp)) {
            cli_error("error reading %s", argv[i]);
            status = CLI_FAIL;
        }
        fclose(fp);
    }
    free(header);
    free(line);
    if (cli_close_out(out, output) != CLI_OK)
        status = CLI_FAIL;
    return status;
}

const struct vmr_cmd vmr_cmd_merge = {
    "merge",
    "join CSV outputs (sweep jobs, replays) into one tidy CSV",
    usage,
    run,
};
