/* util.c - helpers shared by the subcommands (cli.h). */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "parse.h"
#include "vmreplay/analysis.h"
#include "vmreplay/trace.h"

void cli_error(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fputs("vmreplay: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_usage_error(const struct vmr_cmd *cmd, const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fprintf(stderr, "vmreplay %s: ", cmd->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'vmreplay help %s'.\n", cmd->name);
    return CLI_USAGE;
}

/* The help of CLI_REPLAY_OPTIONS, in parts (ISO C caps a string literal's
 * length). */
static const char help_run[] =
    "  -s, --swap SIZE       swap space: bytes with an optional unit (256M, 1.5G,\n"
    "                        4096), a number of pages (300p), or 'unlimited'\n"
    "                        (default). With a finite swap, anonymous pages that\n"
    "                        cannot go to swap stay in memory; when nothing can be\n"
    "                        evicted the largest process is killed (oom_kills).\n"
    "      --page-size N     page size of the simulated machine, a power of two\n"
    "                        (default: the trace's, normally 4096).\n"
    "      --on-segv ACTION  kill (default: the process dies, as with SIGSEGV) or\n"
    "                        ignore (count it and go on).\n"
    "      --seed N          seed for randomised policies (default 1).\n"
    "      --sysroot DIR     exec loads ELF programs and their interpreter from\n"
    "                        under DIR, symbolic links resolved inside it\n"
    "                        (default /). A missing or malformed ELF file stops\n"
    "                        the replay with an error naming it.\n"
    "      --load-needed[=yes|no]  exec also maps the program's DT_NEEDED\n"
    "                        libraries, found as ld.so would (RPATH/RUNPATH,\n"
    "                        ld.so.cache, default directories): for hand-written\n"
    "                        traces.\n";

static const char help_semantics[] =
    "      --overcommit MODE  commit accounting as vm.overcommit_memory:\n"
    "                        heuristic (0, the kernel's default and linux mode's:\n"
    "                        refuse one mapping larger than RAM + swap), always\n"
    "                        (1, the seeds' default: never refuse) or strict (2:\n"
    "                        refuse beyond swap + RAM x ratio / 100). Private\n"
    "                        writable mappings, brk, fork's copies and shared\n"
    "                        anonymous memory are charged, shared file mappings\n"
    "                        not; a refused mmap, brk, mprotect or fork fails with\n"
    "                        ENOMEM (mmap_failures; the child of a failed fork\n"
    "                        never runs, killed 'enomem'). With unlimited swap\n"
    "                        nothing is refused.\n"
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

static const char help_scope[] =
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

static const char help_output[] =
    "      --per-process     add one time-series row per process and interval.\n"
    "      --series FILE     where the time series goes (default standard output,\n"
    "                        allowed only when -o is given).\n"
    "      --columns WHICH   changed (default): the run's description (CSV\n"
    "                        columns, JSON keys) holds sysroot, load_needed,\n"
    "                        mode, overcommit, replacement and quota only where\n"
    "                        they differ from the defaults; all: always (what\n"
    "                        sweep writes, so that its rows share one header).\n"
    "  -q, --quiet           no progress line on stderr (shown on a terminal).\n";

/* What cli_print_usage prints for each placeholder line. */
static const struct {
    const char *line;
    const char *parts[3];
} help_inserts[] = {
    {CLI_REPLAY_OPTIONS_HELP, {help_run, help_semantics, help_scope}},
    {CLI_OUTPUT_OPTIONS_HELP, {help_output, "", ""}},
};

int cli_print_usage(const struct vmr_cmd *cmd)
{
    const char *text = cmd->usage;
    for (;;) {
        const char *at = NULL;
        size_t which = 0;
        for (size_t i = 0; i < sizeof help_inserts / sizeof help_inserts[0]; i++) {
            const char *p = strstr(text, help_inserts[i].line);
            if (p && (!at || p < at)) {
                at = p;
                which = i;
            }
        }
        if (!at)
            break;
        fwrite(text, 1, (size_t)(at - text), stdout);
        for (size_t k = 0; k < 3; k++)
            fputs(help_inserts[which].parts[k], stdout);
        text = at + strlen(help_inserts[which].line);
    }
    fputs(text, stdout);
    return CLI_OK;
}

const char *cli_replay_option(int c, const struct option *opts, int longindex, const char **value)
{
    if (c == 's') { /* -s or --swap */
        *value = optarg;
        return "swap";
    }
    if (c != CLI_OPT_REPLAY)
        return NULL;
    *value = optarg ? optarg : "yes";
    return opts[longindex].name;
}

FILE *cli_open_out(const char *path)
{
    if (strcmp(path, "-") == 0)
        return stdout;
    FILE *fp = fopen(path, "w");
    if (!fp)
        cli_error("cannot create %s: %s", path, strerror(errno));
    return fp;
}

int cli_close_out(FILE *fp, const char *path)
{
    int bad = fflush(fp) != 0 || ferror(fp);
    int saved = errno;
    if (fp != stdout) {
        if (fclose(fp) != 0 && !bad) {
            bad = 1;
            saved = errno;
        }
    }
    if (bad) {
        cli_error("error writing %s: %s", strcmp(path, "-") ? path : "standard output",
                  strerror(saved ? saved : EIO));
        return CLI_FAIL;
    }
    return CLI_OK;
}

int cli_parse_size(const struct vmr_cmd *cmd, const char *opt, const char *arg, uint64_t *out)
{
    int rc = vmr_parse_size(arg, out);
    if (rc == VMR_ERANGE)
        return cli_usage_error(cmd, "%s: '%s' is too large", opt, arg);
    if (rc != 0)
        return cli_usage_error(cmd, "%s: '%s' is not a size (examples: 4096, 64K, 1.5G, 0x1000)",
                               opt, arg);
    return CLI_OK;
}

int cli_parse_u64(const struct vmr_cmd *cmd, const char *opt, const char *arg, uint64_t *out)
{
    int rc = vmr_parse_u64(arg, out);
    if (rc == VMR_ERANGE)
        return cli_usage_error(cmd, "%s: '%s' is too large", opt, arg);
    if (rc != 0)
        return cli_usage_error(cmd, "%s: '%s' is not a number", opt, arg);
    return CLI_OK;
}

int cli_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (strcmp(a, "-") == 0 || strcmp(b, "-") == 0)
        return 0;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

uint64_t cli_progress_total(const char *path)
{
    if (!isatty(STDERR_FILENO) || strcmp(path, "-") == 0)
        return 0;
    struct vmr_trace_reader *r;
    if (vmr_trace_reader_open(&r, path, VMR_FORM_AUTO, NULL, 0) != 0)
        return 0;
    const struct vmr_trace_info *info = vmr_trace_reader_info(r);
    uint64_t n = info->indexed ? info->n_records : 0;
    vmr_trace_reader_destroy(r);
    return n;
}

size_t cli_split_policies(const char *list, char **out, size_t max)
{
    size_t n = 0;
    const char *p = list;
    while (*p && n < max) {
        size_t len = strcspn(p, ",");
        int cont = n > 0 && memchr(p, '=', len) && !memchr(p, ':', len);
        if (cont) {
            size_t old = strlen(out[n - 1]);
            char *s = realloc(out[n - 1], old + len + 2);
            if (!s)
                return 0;
            s[old] = ',';
            memcpy(s + old + 1, p, len);
            s[old + len + 1] = 0;
            out[n - 1] = s;
        } else if (len > 0) {
            char *s = malloc(len + 1);
            if (!s)
                return 0;
            memcpy(s, p, len);
            s[len] = 0;
            out[n++] = s;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    return n;
}

int cli_bad_option(const struct vmr_cmd *cmd, int c, char *const *argv)
{
    if (c == ':')
        return cli_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
    return cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
}

void cli_output_init(struct cli_output *o)
{
    *o = (struct cli_output){.format = "table", .output = "-"};
}

int cli_output_option(const struct vmr_cmd *cmd, int c, int at_marks, struct cli_output *o)
{
    switch (c) {
    case 'f':
        o->format = optarg;
        return CLI_OK;
    case 'o':
        o->output = optarg;
        return CLI_OK;
    case 'i':
        if (at_marks && strcmp(optarg, "mark") == 0) {
            o->interval = VMR_SERIES_AT_MARKS;
            return CLI_OK;
        }
        if (cli_parse_u64(cmd, "--interval", optarg, &o->interval) != CLI_OK)
            return CLI_USAGE;
        if (o->interval == 0)
            return cli_usage_error(cmd, "--interval must be at least 1");
        return CLI_OK;
    case 'I':
        o->per_process = 1;
        return CLI_OK;
    case 'T':
        o->series = optarg;
        return CLI_OK;
    case 'q':
        o->quiet = 1;
        return CLI_OK;
    default:
        return -1;
    }
}

int cli_output_check(const struct vmr_cmd *cmd, struct cli_output *o)
{
    if (strcmp(o->format, "table") && strcmp(o->format, "csv") && strcmp(o->format, "json"))
        return cli_usage_error(cmd, "--format '%s': expected table, csv or json", o->format);
    if (o->interval && !o->series) {
        if (strcmp(o->output, "-") == 0)
            return cli_usage_error(cmd, "--interval: give --series FILE or -o FILE (both would "
                                        "go to standard output)");
        o->series = "-";
    }
    if (o->series && !o->interval)
        return cli_usage_error(cmd, "--series needs --interval N");
    return CLI_OK;
}
