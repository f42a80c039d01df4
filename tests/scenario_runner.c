/*
 * scenario_runner.c - runs one scenario file: a text trace with directives
 * in comments.
 *
 *   # replay: --memory 3p --policy fifo      options as for `vmreplay replay`
 *   # expect: faults=15 major_faults=0       counts of the last replay
 *   # expect: pid2.cow_copies=500            a process's counts
 *   # expect: area:/data/f.file_reads=3      an area name's counts ([anon],
 *                                            [heap], [stack], [shmem], a path)
 *   # expect-error: undeclared file          the replay must fail so
 *
 * A relative `--sysroot DIR` is taken from the scenario file's directory.
 *
 * `faults` is minor_faults + major_faults. Every replay line runs the whole
 * trace again; each expect line checks the replay above it. A scenario
 * without any expectation fails, so a typo cannot make a test vacuous.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "vmreplay/sim.h"
#include "vmreplay/stats.h"

static int failures, checks;

static const struct vmr_counters *find_scope(const struct vmr_run_report *rep, const char *scope,
                                             size_t scope_len)
{
    if (scope_len == 0)
        return &rep->total;
    uint64_t pid;
    if (scope_len > 5 && memcmp(scope, "area:", 5) == 0) {
        for (size_t i = 0; i < rep->n_areas; i++)
            if (strlen(rep->areas[i].name) == scope_len - 5 &&
                memcmp(rep->areas[i].name, scope + 5, scope_len - 5) == 0)
                return &rep->areas[i].c;
        /* an area that counted nothing is not listed: all its counts are 0 */
        static const struct vmr_counters zero;
        return &zero;
    }
    if (scope_len > 3 && memcmp(scope, "pid", 3) == 0 &&
        vmr_parse_u64_n(scope + 3, scope_len - 3, &pid) == 0) {
        /* the last incarnation of that pid */
        for (size_t i = rep->n_procs; i-- > 0;)
            if (rep->procs[i].pid == pid)
                return &rep->procs[i].c;
    }
    return NULL;
}

static int counter_value(const struct vmr_counters *c, const char *name, uint64_t *out)
{
    if (strcmp(name, "faults") == 0) {
        *out = c->minor_faults + c->major_faults;
        return 0;
    }
    for (size_t i = 0; i < VMR_N_COUNTERS; i++)
        if (strcmp(vmr_counter_name(i), name) == 0) {
            *out = vmr_counter_get(c, i);
            return 0;
        }
    return -1;
}

static void check_expect(const char *file, int line, const struct vmr_run_report *rep, char *spec)
{
    for (char *tok = strtok(spec, " \t\r\n"); tok; tok = strtok(NULL, " \t\r\n")) {
        char *eq = strchr(tok, '=');
        uint64_t want, got;
        if (!eq || vmr_parse_u64(eq + 1, &want) != 0) {
            fprintf(stderr, "%s:%d: bad expectation '%s'\n", file, line, tok);
            failures++;
            continue;
        }
        *eq = 0;
        char *dot = strrchr(tok, '.'); /* area names may hold dots */
        const char *name = dot ? dot + 1 : tok;
        const struct vmr_counters *c = find_scope(rep, tok, dot ? (size_t)(dot - tok) : 0);
        checks++;
        if (!c || counter_value(c, name, &got) != 0) {
            fprintf(stderr, "%s:%d: no counter '%s'\n", file, line, tok);
            failures++;
        } else if (got != want) {
            fprintf(stderr, "%s:%d: %s = %" PRIu64 ", expected %" PRIu64 "\n", file, line, tok, got,
                    want);
            failures++;
        }
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: scenario_runner FILE\n");
        return 2;
    }
    const char *file = argv[1];
    FILE *fp = fopen(file, "r");
    if (!fp) {
        perror(file);
        return 1;
    }
    char line[4096];
    int lineno = 0, have_run = 0;
    struct vmr_replay_result *res = NULL;
    char err[1024] = "";
    int run_rc = 0;
    while (fgets(line, sizeof line, fp)) {
        lineno++;
        char *p = line;
        while (isspace((unsigned char)*p))
            p++;
        if (strncmp(p, "# replay:", 9) == 0) {
            vmr_replay_result_destroy(res);
            res = NULL;
            struct vmr_replay_config cfg;
            vmr_replay_config_init(&cfg);
            cfg.trace_path = file;
            char *save = NULL, *policy_copy = NULL, *sysroot = NULL;
            int bad = 0;
            for (char *opt = strtok_r(p + 9, " \t\r\n", &save); opt;
                 opt = strtok_r(NULL, " \t\r\n", &save)) {
                char *val = strtok_r(NULL, " \t\r\n", &save);
                if (strncmp(opt, "--", 2) != 0 || !val) {
                    fprintf(stderr, "%s:%d: bad replay option '%s'\n", file, lineno, opt);
                    bad = 1;
                    break;
                }
                if (strcmp(opt, "--policy") == 0)
                    val = policy_copy = strdup(val);
                if (strcmp(opt, "--sysroot") == 0 && val[0] != '/') {
                    /* relative to the scenario's directory, so the suite
                     * finds tests/data/sysroot from any build directory */
                    const char *slash = strrchr(file, '/');
                    int dir = slash ? (int)(slash - file) : 1;
                    free(sysroot);
                    sysroot = malloc((size_t)dir + strlen(val) + 2);
                    if (sysroot)
                        sprintf(sysroot, "%.*s/%s", dir, slash ? file : ".", val);
                    val = sysroot ? sysroot : val;
                }
                if (vmr_replay_config_set(&cfg, opt + 2, val, err, sizeof err) != 0) {
                    fprintf(stderr, "%s:%d: %s\n", file, lineno, err);
                    bad = 1;
                    break;
                }
            }
            if (bad) {
                free(policy_copy);
                free(sysroot);
                failures++;
                have_run = 0;
                continue;
            }
            err[0] = 0;
            run_rc = vmr_replay_run(&cfg, &res, err, sizeof err);
            free(policy_copy);
            free(sysroot);
            have_run = 1;
        } else if (strncmp(p, "# expect:", 9) == 0) {
            if (!have_run) {
                fprintf(stderr, "%s:%d: expect before any replay\n", file, lineno);
                failures++;
            } else if (run_rc != 0) {
                fprintf(stderr, "%s:%d: replay failed: %s\n", file, lineno, err);
                failures++;
            } else {
                check_expect(file, lineno, vmr_replay_report(res), p + 9);
            }
        } else if (strncmp(p, "# expect-error:", 15) == 0) {
            char *want = p + 15;
            while (isspace((unsigned char)*want))
                want++;
            want[strcspn(want, "\r\n")] = 0;
            checks++;
            if (!have_run || run_rc == 0 || !strstr(err, want)) {
                fprintf(stderr, "%s:%d: expected an error containing '%s', got: %s\n", file, lineno,
                        want, run_rc ? err : "success");
                failures++;
            }
        }
    }
    fclose(fp);
    vmr_replay_result_destroy(res);
    if (checks == 0) {
        fprintf(stderr, "%s: no expectations\n", file);
        return 1;
    }
    if (failures) {
        fprintf(stderr, "%s: %d of %d check(s) failed\n", file, failures, checks);
        return 1;
    }
    printf("%s: %d check(s) passed\n", file, checks);
    return 0;
}
