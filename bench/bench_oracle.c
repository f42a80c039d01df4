/*
 * bench_oracle.c - how long OPT's oracle pre-pass takes, and its memory.
 *
 *   bench_oracle TRACE [--repeat N]
 *
 * Runs vmr_oracle_compute over TRACE N times (default 3; seeds semantics,
 * 4 KiB pages unless the trace says otherwise, unlimited swap) and prints
 * the median time, page touches per second, the distinct pages and
 * copy-on-write exceptions it found, the frames of its kernel and the
 * passes made, and the process's peak RSS (the pass is all this program
 * does). Never asserts on time.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "benchutil.h"
#include "vmreplay/sim.h"

int main(int argc, char **argv)
{
    const char *path = NULL;
    int repeat = 3;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
            repeat = atoi(argv[++i]);
        else if (argv[i][0] != '-')
            path = argv[i];
        else {
            fprintf(stderr, "usage: bench_oracle TRACE [--repeat N]\n");
            return 2;
        }
    }
    if (!path || repeat < 1 || repeat > 100) {
        fprintf(stderr, "usage: bench_oracle TRACE [--repeat N]\n");
        return 2;
    }
    double t[100];
    struct vmr_oracle o = {0};
    for (int i = 0; i < repeat; i++) {
        struct vmr_trace_reader *r;
        char err[512];
        if (vmr_trace_reader_open(&r, path, VMR_FORM_AUTO, err, sizeof err) != 0) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        uint32_t ps = vmr_trace_reader_info(r)->page_size;
        const struct vmr_kernel_config kc = {.page_size = ps ? ps : 4096,
                                             .n_frames = 1,
                                             .swap_pages = VMR_SWAP_UNLIMITED,
                                             .policy = "opt"};
        vmr_oracle_release(&o);
        double t0 = bench_now();
        int rc = vmr_oracle_compute(r, &kc, &o, err, sizeof err);
        t[i] = bench_now() - t0;
        vmr_trace_reader_destroy(r);
        if (rc != 0) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
    }
    qsort(t, (size_t)repeat, sizeof t[0], bench_cmp_double);
    double med = t[repeat / 2];
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("bench_oracle %s --repeat %d\n", path, repeat);
    printf("median %.3f s, %.1f M touches/s; touches %" PRIu64 ", pages %" PRIu64
           ", cow exceptions %zu, kernel frames %" PRIu32 ", passes %u; peak RSS %ld MiB\n",
           med, (double)o.n_touches / med / 1e6, o.n_touches, o.n_pages, o.n_cow, o.frames,
           o.passes, ru.ru_maxrss / 1024);
    vmr_oracle_release(&o);
    return 0;
}
