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

const char *vmr_test_tmp(const char *suffix)
{
    static char paths[16][512];
    static unsigned next;
    const char *dir = getenv("TMPDIR");
    char *p = paths[next % 16];
    snprintf(p, sizeof paths[0], "%s/vmr-test-%ld-%u-%s", dir && *dir ? dir : "/tmp",
             (long)getpid(), next, suffix);
    next++;
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
