/*
 * bench_oracle.c - how long OPT's oracle pre-pass takes, and its memory.
 *
 *   bench_oracle TRACE [--repeat N] [--threads 1|2]
 *
 * Runs vmr_oracle_compute over TRACE N times (default 3; seeds semantics,
 * 4 KiB pages unless the trace says otherwise, unlimited swap) and prints
 * the median time, page touches per second, the distinct pages and
 * copy-on-write exceptions it found, the frames of its kernel and the
 * passes made, and the process's peak RSS (the pass is all this program
 * does). With --threads 2 the trace is decoded by a read-ahead thread that
 * also makes page words, as `vmreplay replay` runs the pass; by default it
 * is decoded in the pass's thread. Never asserts on time.
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
    int repeat = 3, threads = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
            repeat = atoi(argv[++i]);
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (argv[i][0] != '-')
            path = argv[i];
        else {
            fprintf(stderr, "usage: bench_oracle TRACE [--repeat N] [--threads 1|2]\n");
            return 2;
        }
    }
    if (!path || repeat < 1 || repeat > 100 || threads < 1 || threads > 2) {
        fprintf(stderr, "usage: bench_oracle TRACE [--repeat N] [--threads 1|2]\n");
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
        /* as replay.c sets its reader up (its batch of 8192 records) */
        if (threads == 2 &&
            (vmr_trace_reader_readahead(r, 4 * 8192) != 0 ||
             vmr_trace_reader_page_words(r, (unsigned)__builtin_ctz(kc.page_size)) != 0)) {
            fprintf(stderr, "%s: no read-ahead with page words\n", path);
            return 1;
        }
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
    printf("bench_oracle %s --repeat %d --threads %d\n", path, repeat, threads);
    printf("median %.3f s, %.1f M touches/s; touches %" PRIu64 ", pages %" PRIu64
           ", cow exceptions %zu, kernel frames %" PRIu32 ", passes %u; peak RSS %ld MiB\n",
           med, (double)o.n_touches / med / 1e6, o.n_touches, o.n_pages, o.n_cow, o.frames,
           o.passes, ru.ru_maxrss / 1024);
    vmr_oracle_release(&o);
    return 0;
}
