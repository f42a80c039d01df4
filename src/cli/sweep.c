/* sweep.c - `vmreplay sweep`: traces x policies x sizes x options, in
 * process or as one command per job for GNU parallel or Slurm. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "vmreplay/analysis.h"

static const char usage[] =
    "usage: vmreplay sweep [TRACE...] [--spec FILE] [options]\n"
    "\n"
    "Replays every trace under every combination of the options' values (each\n"
    "option takes a comma-separated list) and writes one tidy CSV (and JSON):\n"
    "the rows of 'replay --format csv' for each run, in job order (trace first,\n"
    "then the options in the order given, the last varying fastest). Each trace\n"
    "is decoded once for all of its runs, which share the cores (as compare).\n"
    "\n"
    "Options (lists):\n"
    "  -p, --policy LIST     policy specs (default lru)\n"
    "  -m, --memory LIST     memory sizes (required, here or in the spec)\n"
    "      --spec FILE       read traces and lists from FILE: one 'KEY VALUE,...'\n"
    "                        (or 'KEY = VALUE,...') per line, KEY a long option\n"
    "                        of this list or of the replay options below, without\n"
    "                        '--', or 'trace' (one path per line, repeatable); '#'\n"
    "                        starts a comment. Options given on the command line\n"
    "                        add to it.\n"
    "\n"
    "Replay options, as in 'vmreplay replay' but each a comma-separated list of\n"
    "values (a --quota value joins its entries with '+': 1=16M+2=8M; a bare\n"
    "--load-needed is yes, --load-needed=yes,no sweeps both):\n" CLI_REPLAY_OPTIONS_HELP "\n"
    "Output:\n"
    "  -o, --output FILE     the CSV (default standard output).\n"
    "      --json FILE       also an array of replay's JSON objects.\n"
    "  -j, --jobs N          worker threads (default: one per core).\n"
    "\n"
    "Instead of running, for clusters:\n"
    "      --emit-jobs FILE  write one self-contained shell command per job to\n"
    "                        FILE (cd to this directory, create DIR, run\n"
    "                        'vmreplay replay ... -f csv -o DIR/job-NNNNNN.csv'),\n"
    "                        for GNU parallel or a Slurm job array; then join the\n"
    "                        outputs with 'vmreplay merge DIR/job-*.csv'. Paths\n"
    "                        are used as given: a shared file system is assumed.\n"
    "      --jobs-dir DIR    where the jobs write (default sweep-jobs).\n"
    "      --vmreplay CMD    the program the jobs run (default: this vmreplay's\n"
    "                        absolute path; 'vmreplay' to take it from PATH).\n"
    "  -q, --quiet           no progress on stderr.\n"
    "  -h, --help            show this help.\n"
    "\n"
    "Examples:\n"
    "  vmreplay sweep a.vmt b.vmt -p lru,clock,opt -m 16M,32M,64M -o sweep.csv\n"
    "  vmreplay sweep --spec sweep.txt --emit-jobs jobs.txt\n"
    "  parallel --will-cite --sshloginfile nodes.txt < jobs.txt   # GNU parallel\n"
    "  sbatch --array=1-$(wc -l < jobs.txt) --wrap 'sed -n \"${SLURM_ARRAY_TASK_ID}p\" jobs.txt | "
    "sh'\n"
    "  vmreplay merge sweep-jobs/job-*.csv -o sweep.csv\n";

/* Single-quotes s for sh. */
static void sh_quote(FILE *fp, const char *s)
{
    fputc('\'', fp);
    for (; *s; s++) {
        if (*s == '\'')
            fputs("'\\''", fp);
        else
            fputc(*s, fp);
    }
    fputc('\'', fp);
}

/* Whether replay takes KEY's value only as --KEY=VALUE: the options whose
 * value is optional (--load-needed, --dump-maps). */
static int value_attached(const char *key)
{
    static const struct option replay_opts[] = {
        CLI_REPLAY_OPTIONS,
        {"dump-maps", optional_argument, NULL, 'D'},
        {NULL, 0, NULL, 0},
    };
    for (const struct option *o = replay_opts; o->name; o++)
        if (strcmp(o->name, key) == 0)
            return o->has_arg == optional_argument;
    return 0;
}

static int emit_jobs(const struct vmr_sweep *s, const char *path, const char *dir,
                     const char *program)
{
    char cwd[PATH_MAX], self[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) {
        cli_error("cannot get the current directory: %s", strerror(errno));
        return CLI_FAIL;
    }
    if (!program) {
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n <= 0) {
            cli_error("cannot find this program's path; give --vmreplay");
            return CLI_FAIL;
        }
        self[n] = 0;
        program = self;
    }
    FILE *fp = cli_open_out(path);
    if (!fp)
        return CLI_FAIL;
    size_t n = vmr_sweep_n_jobs(s);
    for (size_t i = 0; i < n; i++) {
        const char *trace;
        const char *const *args;
        size_t n_args = vmr_sweep_job(s, i, &trace, &args);
        fputs("cd ", fp);
        sh_quote(fp, cwd);
        fputs(" && mkdir -p ", fp);
        sh_quote(fp, dir);
        fputs(" && ", fp);
        sh_quote(fp, program);
        fputs(" replay ", fp);
        sh_quote(fp, trace);
        for (size_t a = 0; a < n_args; a += 2) {
            fprintf(fp, value_attached(args[a]) ? " --%s=" : " --%s ", args[a]);
            sh_quote(fp, args[a + 1]);
        }
        fputs(" --columns all -q -f csv -o ", fp);
        char out[PATH_MAX];
        snprintf(out, sizeof out, "%s/job-%06zu.csv", dir, i + 1);
        sh_quote(fp, out);
        fputc('\n', fp);
    }
    return cli_close_out(fp, path);
}

static int run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"policy", required_argument, NULL, 'p'},
        {"memory", required_argument, NULL, 'm'},
        {"spec", required_argument, NULL, 'F'},
        {"output", required_argument, NULL, 'o'},
        {"json", required_argument, NULL, 'J'},
        {"jobs", required_argument, NULL, 'j'},
        {"emit-jobs", required_argument, NULL, 'E'},
        {"jobs-dir", required_argument, NULL, 'D'},
        {"vmreplay", required_argument, NULL, 'V'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        CLI_REPLAY_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    const struct vmr_cmd *cmd = &vmr_cmd_sweep;
    const char *output = "-", *json = NULL, *emit = NULL, *dir = "sweep-jobs", *program = NULL;
    uint64_t jobs = 0;
    char err[1024];
    int c, status = CLI_USAGE;
    struct vmr_sweep *s;
    if (vmr_sweep_create(&s) != 0) {
        cli_error("out of memory");
        return CLI_FAIL;
    }
    optind = 1;
    opterr = 0;
    int longindex = 0;
    while ((c = getopt_long(argc, argv, ":p:m:s:o:j:qh", opts, &longindex)) != -1) {
        const char *value = optarg, *key = cli_replay_option(c, opts, longindex, &value);
        switch (key ? 0 : c) {
        case 0: /* one of CLI_REPLAY_OPTIONS */
            break;
        case 'p':
            key = "policy";
            break;
        case 'm':
            key = "memory";
            break;
        case 'F':
            if (vmr_sweep_read_spec(s, optarg, err, sizeof err) != 0) {
                cli_error("%s", err);
                status = CLI_FAIL;
                goto out;
            }
            continue;
        case 'o':
            output = optarg;
            continue;
        case 'J':
            json = optarg;
            continue;
        case 'j':
            if (cli_parse_u64(cmd, "--jobs", optarg, &jobs) != CLI_OK)
                goto out;
            continue;
        case 'E':
            emit = optarg;
            continue;
        case 'D':
            dir = optarg;
            continue;
        case 'V':
            program = optarg;
            continue;
        case 'q':
            continue; /* a sweep prints no progress yet; accepted for scripts */
        case 'h':
            status = cli_print_usage(cmd);
            goto out;
        default:
            cli_bad_option(cmd, c, argv);
            goto out;
        }
        if (vmr_sweep_add_option(s, key, value, err, sizeof err) != 0) {
            cli_usage_error(cmd, "%s", err);
            goto out;
        }
    }
    for (int i = optind; i < argc; i++)
        if (vmr_sweep_add_trace(s, argv[i]) != 0) {
            cli_error("out of memory");
            status = CLI_FAIL;
            goto out;
        }
    if (vmr_sweep_n_jobs(s) == 0) {
        cli_usage_error(cmd, "no jobs: give traces (arguments or 'trace' lines) and --memory");
        goto out;
    }
    if (emit) {
        status = emit_jobs(s, emit, dir, program);
        goto out;
    }
    FILE *csv = cli_open_out(output), *js = NULL;
    if (!csv || (json && !(js = cli_open_out(json)))) {
        if (csv)
            cli_close_out(csv, output);
        status = CLI_FAIL;
        goto out;
    }
    status = CLI_OK;
    if (vmr_sweep_run(s, (unsigned)jobs, csv, js, err, sizeof err) != 0) {
        cli_error("%s", err);
        status = CLI_FAIL;
    }
    if (cli_close_out(csv, output) != CLI_OK)
        status = CLI_FAIL;
    if (js && cli_close_out(js, json) != CLI_OK)
        status = CLI_FAIL;
out:
    vmr_sweep_destroy(s);
    return status;
}

const struct vmr_cmd vmr_cmd_sweep = {
    "sweep",
    "replay traces x policies x sizes x options; one tidy CSV, or jobs for a cluster",
    usage,
    run,
};
