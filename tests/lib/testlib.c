/* testlib.c - see testlib.h. */
#include "testlib.h"

#include <unistd.h>

int vmr_test_failures;

int vmr_test_done(void)
{
    if (vmr_test_failures) {
        fprintf(stderr, "%d check(s) failed\n", vmr_test_failures);
        return 1;
    }
    return 0;
}

/* Every path handed out, removed at exit so a test run leaves no files
 * behind (a fuzz-corpus test alone hands out thousands). */
static char **made;
static size_t n_made, cap_made;
static pid_t made_by;

static void remove_made(void)
{
    if (getpid() != made_by) /* a forked child must not remove its parent's files */
        return;
    for (size_t i = 0; i < n_made; i++) {
        unlink(made[i]);
        free(made[i]);
    }
    free(made);
    made = NULL;
    n_made = cap_made = 0;
}

const char *vmr_test_tmp(const char *suffix)
{
    static char paths[16][512];
    static unsigned next;
    const char *dir = getenv("TMPDIR");
    char *p = paths[next % 16];
    snprintf(p, sizeof paths[0], "%s/vmr-test-%ld-%u-%s", dir && *dir ? dir : "/tmp",
             (long)getpid(), next, suffix);
    next++;
    if (!made_by) {
        made_by = getpid();
        atexit(remove_made);
    }
    if (n_made == cap_made) {
        cap_made = cap_made ? 2 * cap_made : 64;
        char **grown = realloc(made, cap_made * sizeof *made);
        if (!grown) {
            fprintf(stderr, "out of memory\n");
            exit(1);
        }
        made = grown;
    }
    if (!(made[n_made++] = strdup(p))) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return p;
}

const char *vmr_test_write_tmp(const char *suffix, const char *text)
{
    const char *p = vmr_test_tmp(suffix);
    FILE *fp = fopen(p, "w");
    if (!fp || fputs(text, fp) == EOF || fclose(fp) != 0) {
        fprintf(stderr, "cannot write %s\n", p);
        exit(1);
    }
    return p;
}
