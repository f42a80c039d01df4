/*
 * record.c - `vmreplay record`: runs a program under Valgrind with our tool
 * (vmrtrace, built from src/record/vgtool when Valgrind's tool libraries
 * are installed) and turns what it saw into a trace.
 *
 * The tool writes one raw stream per process into a temporary directory;
 * when the program has ended (however it ended) the streams are merged
 * into OUT by vmr_import_valgrind_streams and the directory is removed.
 * With --backend lackey, lackey's logs go to that directory and are read
 * while the program runs (vmr_lackey_live_*). The
 * command exits with the program's status (128 + signal if it was killed),
 * or 1 if no trace could be written.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "vmreplay/import.h"

#ifndef VMR_VGTOOL_DIR
#define VMR_VGTOOL_DIR ""
#endif

static const char usage[] =
    "usage: vmreplay record -o OUT [options] -- PROGRAM [ARGS...]\n"
    "\n"
    "Runs PROGRAM under Valgrind and records every load, store and modify (and\n"
    "with --fetches every instruction fetch) and every memory system call\n"
    "(mmap, munmap, mprotect, mremap, brk, madvise, msync, fork/clone, execve,\n"
    "exit) of it and of the processes it starts, into the trace OUT (.vmt binary,\n"
    ".txt text). Consecutive accesses of one kind to one page are collapsed into\n"
    "one record with a repeat count. The initial image (program, interpreter,\n"
    "stack, break) is recorded as Valgrind placed it, as an 'exec ... mapped'\n"
    "record followed by its mmap and brk records.\n"
    "\n"
    "A program marks phases, without any library, by calling\n"
    "open(\"/vmreplay-marker/NAME\", O_RDONLY) (it fails harmlessly); the trace gets\n"
    "'mark NAME'. The command exits with the program's status; a program that is\n"
    "killed or crashes still leaves a trace of everything recorded.\n"
    "\n"
    "Options:\n"
    "  -o, --output OUT       the trace to write (required).\n"
    "      --fetches          also record instruction fetches (one record per run\n"
    "                         of instructions on one code page).\n"
    "      --backend NAME     vmrtrace (default: our Valgrind tool) or lackey\n"
    "                         (stock Valgrind lackey, 100x slower, its per-process\n"
    "                         logs read while it runs: accesses in synthesised\n"
    "                         areas, marks, exec and exit; no other system calls).\n"
    "      --tmpdir DIR       where the raw per-process streams go while the\n"
    "                         program runs (default $TMPDIR or /tmp).\n"
    "      --check            exit 0 if the recorder's Valgrind tool is available,\n"
    "                         1 (with the reason) if not.\n"
    "  -q, --quiet            no summary on standard error.\n"
    "  -h, --help             show this help.\n"
    "\n"
    "Examples:\n"
    "  vmreplay record -o ls.vmt -- ls -R /usr/include/linux\n"
    "  vmreplay record -o py.vmt --fetches -- python3 -c 'print(sum(range(10**6)))'\n";

/* The folder holding vmrtrace-amd64-linux (VALGRIND_LIB), or NULL with why. */
static const char *tool_dir(const char **why)
{
    static char path[PATH_MAX];
    const char *dir = getenv("VMREPLAY_VGTOOL_DIR");
    if (!dir || !*dir)
        dir = VMR_VGTOOL_DIR;
    if (!*dir) {
        *why = "vmreplay was built without its Valgrind tool (Valgrind's tool headers and "
               "libraries were missing: install Debian's valgrind package and rebuild)";
        return NULL;
    }
    if (snprintf(path, sizeof path, "%s/vmrtrace-amd64-linux", dir) >= (int)sizeof path ||
        access(path, X_OK) != 0) {
        *why = "the Valgrind tool vmrtrace-amd64-linux is not where the build put it "
               "(set VMREPLAY_VGTOOL_DIR)";
        return NULL;
    }
    return dir;
}

/* PROGRAM as an absolute or relative path, searched in PATH if it has no '/'. */
static const char *resolve_program(const char *prog)
{
    static char buf[PATH_MAX];
    if (strchr(prog, '/'))
        return prog;
    const char *p = getenv("PATH");
    if (!p)
        p = "/usr/local/bin:/usr/bin:/bin";
    while (*p) {
        const char *colon = strchr(p, ':');
        size_t n = colon ? (size_t)(colon - p) : strlen(p);
        if (snprintf(buf, sizeof buf, "%.*s/%s", (int)n, n ? p : ".", prog) < (int)sizeof buf &&
            access(buf, X_OK) == 0)
            return buf;
        p += n + (colon != NULL);
    }
    return prog;
}

static void valgrind_version(char *out, size_t len)
{
    snprintf(out, len, "unknown");
    FILE *fp = popen("valgrind --version 2>/dev/null", "r");
    if (!fp)
        return;
    if (fgets(out, (int)len, fp))
        out[strcspn(out, "\n")] = '\0';
    pclose(fp);
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *de;
        char path[PATH_MAX];
        while ((de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            if (snprintf(path, sizeof path, "%s/%s", dir, de->d_name) < (int)sizeof path)
                unlink(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

/* The program under Valgrind: started by start_program, reaped by
 * reap_program (blocking) or program_running (not). */
struct program {
    pid_t pid;
    int status; /* as a shell gives it; -1 while running */
    struct sigaction old_int, old_quit;
};

/* Starts argv, ignoring the terminal's SIGINT/SIGQUIT until it is reaped
 * (they reach the program, and we must survive to write its trace).
 * Returns 0, or -1 if it could not fork. */
static int start_program(struct program *pr, char **argv, const char *valgrind_lib)
{
    struct sigaction ign = {0};
    ign.sa_handler = SIG_IGN;
    sigaction(SIGINT, &ign, &pr->old_int);
    sigaction(SIGQUIT, &ign, &pr->old_quit);
    pr->status = -1;
    fflush(NULL);
    pr->pid = fork();
    if (pr->pid == 0) {
        sigaction(SIGINT, &pr->old_int, NULL);
        sigaction(SIGQUIT, &pr->old_quit, NULL);
        if (valgrind_lib)
            setenv("VALGRIND_LIB", valgrind_lib, 1);
        execvp(argv[0], argv);
        fprintf(stderr, "vmreplay: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    if (pr->pid < 0) {
        sigaction(SIGINT, &pr->old_int, NULL);
        sigaction(SIGQUIT, &pr->old_quit, NULL);
        return -1;
    }
    return 0;
}

static int reap(struct program *pr, int flags)
{
    int st;
    pid_t got;
    while ((got = waitpid(pr->pid, &st, flags)) < 0 && errno == EINTR)
        ;
    if (got != pr->pid)
        return 0;
    pr->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    sigaction(SIGINT, &pr->old_int, NULL);
    sigaction(SIGQUIT, &pr->old_quit, NULL);
    return 1;
}

/* For vmr_lackey_live_follow: 1 while the program runs. */
static int program_running(void *ctx)
{
    struct program *pr = ctx;
    return pr->status < 0 && !reap(pr, WNOHANG);
}

/* Waits for the program; returns its status. */
static int reap_program(struct program *pr)
{
    while (pr->status < 0 && !reap(pr, 0))
        ;
    return pr->status;
}

static int run(int argc, char **argv)
{
    enum { OPT_FETCHES = 256, OPT_BACKEND, OPT_TMPDIR, OPT_CHECK };
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"fetches", no_argument, NULL, OPT_FETCHES},
        {"backend", required_argument, NULL, OPT_BACKEND},
        {"tmpdir", required_argument, NULL, OPT_TMPDIR},
        {"check", no_argument, NULL, OPT_CHECK},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const struct vmr_cmd *cmd = &vmr_cmd_record;
    const char *out = NULL, *tmpdir = getenv("TMPDIR");
    int fetches = 0, lackey = 0, check = 0, quiet = 0, c;
    optind = 1;
    opterr = 0;
    /* '+': stop at the first non-option, which is PROGRAM */
    while ((c = getopt_long(argc, argv, "+:o:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            out = optarg;
            break;
        case OPT_FETCHES:
            fetches = 1;
            break;
        case OPT_BACKEND:
            if (strcmp(optarg, "lackey") == 0)
                lackey = 1;
            else if (strcmp(optarg, "vmrtrace") != 0)
                return cli_usage_error(cmd, "--backend '%s': expected vmrtrace or lackey", optarg);
            break;
        case OPT_TMPDIR:
            tmpdir = optarg;
            break;
        case OPT_CHECK:
            check = 1;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            return cli_print_usage(cmd);
        case ':':
            return cli_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
        default:
            return cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
        }
    }
    const char *why = NULL, *vglib = lackey ? NULL : tool_dir(&why);
    if (check) {
        if (!lackey && !vglib) {
            cli_error("%s", why);
            return CLI_FAIL;
        }
        return CLI_OK;
    }
    if (!out)
        return cli_usage_error(cmd, "-o OUT is required");
    if (optind >= argc)
        return cli_usage_error(cmd, "no PROGRAM to record (after '--')");
    if (!lackey && !vglib) {
        cli_error("%s", why);
        return CLI_FAIL;
    }
    if (lackey && fetches)
        return cli_usage_error(cmd, "lackey always records fetches; --fetches is for vmrtrace");

    char dir[PATH_MAX];
    if (snprintf(dir, sizeof dir, "%s/vmreplay-record-XXXXXX",
                 tmpdir && *tmpdir ? tmpdir : "/tmp") >= (int)sizeof dir - 64)
        return cli_usage_error(cmd, "--tmpdir: path too long");
    if (!mkdtemp(dir)) {
        cli_error("cannot create a directory in %s: %s", tmpdir && *tmpdir ? tmpdir : "/tmp",
                  strerror(errno));
        return CLI_FAIL;
    }
    /* valgrind -q --tool=... options -- PROGRAM ARGS */
    int n_prog = argc - optind;
    char **vargv = calloc((size_t)n_prog + 12, sizeof *vargv);
    char opt_dir[PATH_MAX + 16], opt_log[PATH_MAX + 32];
    if (!vargv) {
        cli_error("out of memory");
        remove_dir(dir);
        return CLI_FAIL;
    }
    int k = 0;
    vargv[k++] = "valgrind";
    vargv[k++] = "-q";
    vargv[k++] = "--trace-children=yes";
    if (lackey) {
        snprintf(opt_log, sizeof opt_log, "--log-file=%s/lk.%%p.%%n", dir);
        vargv[k++] = "--tool=lackey";
        vargv[k++] = "--trace-mem=yes";
        vargv[k++] = "--trace-syscalls=yes";
        vargv[k++] = opt_log;
    } else {
        snprintf(opt_dir, sizeof opt_dir, "--vmr-dir=%s", dir);
        vargv[k++] = "--tool=vmrtrace";
        vargv[k++] = opt_dir;
        vargv[k++] = fetches ? "--vmr-fetches=yes" : "--vmr-fetches=no";
    }
    vargv[k++] = "--";
    vargv[k++] = (char *)resolve_program(argv[optind]);
    for (int i = 1; i < n_prog; i++)
        vargv[k++] = argv[optind + i];

    long ps = sysconf(_SC_PAGESIZE);
    char err[1024];
    struct vmr_lackey_live *lv = NULL;
    int rc = lackey ? vmr_lackey_live_open(&lv, dir, (uint32_t)ps, err, sizeof err) : 0;
    if (rc != 0) {
        cli_error("%s", err);
        free(vargv);
        remove_dir(dir);
        return CLI_FAIL;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct program prog;
    if (start_program(&prog, vargv, vglib) != 0) {
        cli_error("cannot start valgrind: %s", strerror(errno));
        free(vargv);
        vmr_lackey_live_destroy(lv);
        remove_dir(dir);
        return CLI_FAIL;
    }
    free(vargv);
    /* lackey: its logs are read while it runs (a failure is reported once
     * the program has ended) */
    if (lackey)
        rc = vmr_lackey_live_follow(lv, program_running, &prog);
    int status = reap_program(&prog);
    clock_gettime(CLOCK_MONOTONIC, &t1);

    /* header: what was run, where, when, with what */
    char command[4096] = "", cwd[PATH_MAX] = "", date[32] = "", vgver[128], psz[16], options[64];
    for (int i = optind; i < argc; i++) {
        size_t l = strlen(command);
        snprintf(command + l, sizeof command - l, "%s%s", i > optind ? " " : "", argv[i]);
    }
    if (!getcwd(cwd, sizeof cwd))
        snprintf(cwd, sizeof cwd, "?");
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm))
        strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    valgrind_version(vgver, sizeof vgver);
    snprintf(psz, sizeof psz, "%ld", ps);
    snprintf(options, sizeof options, "backend=%s fetches=%s", lackey ? "lackey" : "vmrtrace",
             lackey || fetches ? "yes" : "no");
    struct vmr_trace_meta meta[] = {
        {"recorder", "vmreplay-record"},
        {"command", command},
        {"cwd", cwd},
        {"date", date},
        {"valgrind", vgver},
        {"page_size", psz},
        {"record.options", options},
    };
    struct vmr_trace_header hdr = {(uint32_t)ps, sizeof meta / sizeof meta[0], meta};
    struct vmr_trace_writer *w = NULL;
    /* Recorded accesses repeat at distances of megabytes (a program's loops
     * over its buffers): 16 MiB frames, each compressed with a window
     * spanning it, a larger hash table and shorter matches than level 3's
     * own (gzip of 1 MiB: 1.49 -> 1.21 bytes/access for ~5% more encoding
     * time; a 2^20 table reaches 1.11 for +80%). BENCHMARKS.md#recording. */
    struct vmr_trace_writer_options wopt = {
        .frame_bytes = 16u << 20, .zstd_hash_log = 18, .zstd_min_match = 4};
    if (rc == 0)
        rc = vmr_trace_writer_open(&w, out, &hdr, &wopt, err, sizeof err);
    struct vmr_import_valgrind_stats st = {0};
    struct vmr_lackey_live_stats lst = {0};
    if (rc == 0) {
        rc = lackey ? vmr_lackey_live_finish(lv, w, &lst)
                    : vmr_import_valgrind_streams(dir, (uint32_t)prog.pid, (uint32_t)ps, w, &st,
                                                  err, sizeof err);
        if (rc != 0)
            vmr_trace_writer_destroy(w);
        else
            rc = vmr_trace_writer_close(w, err, sizeof err);
    }
    vmr_lackey_live_destroy(lv);
    remove_dir(dir);
    if (rc != 0) {
        cli_error("%s", err);
        if (strcmp(out, "-") != 0)
            unlink(out);
        return CLI_FAIL;
    }
    struct stat sb;
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    long long bytes = stat(out, &sb) == 0 ? (long long)sb.st_size : -1;
    if (!quiet && lackey)
        fprintf(stderr,
                "vmreplay record: %llu accesses (%llu bytes of lackey log read live), "
                "%u processes, %u execs, %u marks in %.2f s; %lld bytes\n",
                (unsigned long long)lst.n_accesses, (unsigned long long)lst.log_bytes,
                (unsigned)lst.n_processes, (unsigned)lst.n_execs, (unsigned)lst.n_marks, secs,
                bytes);
    if (!quiet && !lackey) {
        fprintf(stderr,
                "vmreplay record: %llu accesses, %u processes, %u execs, %u marks in %.2f s; "
                "%lld bytes (%.3f bytes/access)%s\n",
                (unsigned long long)st.n_accesses, (unsigned)st.n_processes, (unsigned)st.n_execs,
                (unsigned)st.n_marks, secs, bytes,
                st.n_accesses ? (double)bytes / (double)st.n_accesses : 0.0,
                st.truncated_streams ? " (some processes were cut short)" : "");
    }
    return status;
}

const struct vmr_cmd vmr_cmd_record = {
    "record",
    "run a program under Valgrind and record its trace",
    usage,
    run,
};
