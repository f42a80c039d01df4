/*
 * bench_memlat.c - how long one load takes when it depends on the one
 * before (a pointer chase through a random cycle of cache lines), for
 * tables of several sizes: where a random read leaves the caches on this
 * machine. The replay's random tables (page-table leaves, the frame table,
 * a policy's lists and maps) fall on one side or the other of that cliff,
 * which explains much of the difference between memory sizes and between
 * hours on a shared host (BENCHMARKS.md). Tables come from vmr_table, as
 * the kernel's do (huge pages from 2 MiB up). Prints one row per size:
 * the median of the repeats, in ns per load. Never asserts on time.
 *
 * usage: bench_memlat [--sizes 1,2,4,6,8,12,16,32,64] [--loads N] [--repeat N]
 * Sizes in MiB.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchutil.h"
#include "rng.h"
#include "vec.h"

#define LINE 64

/* ns per load of a chase of `loads` through a random cycle of the lines of
 * a table of `bytes`, or a negative number if out of memory. */
static double chase(size_t bytes, uint64_t loads, uint64_t seed)
{
    const size_t n = bytes / LINE;
    struct vmr_table t;
    uint32_t *order = malloc(n * sizeof *order);
    if (n < 2 || !order || vmr_table_alloc(&t, bytes, 1) != 0) {
        free(order);
        return -1;
    }
    /* Sattolo's shuffle: one cycle through every line */
    struct vmr_rng r;
    vmr_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++)
        order[i] = (uint32_t)i;
    for (size_t i = n - 1; i > 0; i--) {
        const size_t j = (size_t)vmr_rng_below(&r, i);
        const uint32_t x = order[i];
        order[i] = order[j];
        order[j] = x;
    }
    uint64_t *line = t.base;
    for (size_t i = 0; i < n; i++)
        line[(size_t)i * (LINE / 8)] = (uint64_t)order[i] * (LINE / 8);
    free(order);
    uint64_t p = 0;
    for (size_t i = 0; i < n; i++) /* once round, to map and warm it */
        p = line[p];
    const double t0 = bench_now();
    for (uint64_t i = 0; i < loads; i++)
        p = line[p];
    const double s = bench_now() - t0;
    volatile uint64_t sink = p; /* the chase must not be optimised away */
    (void)sink;
    vmr_table_free(&t);
    return s / (double)loads * 1e9;
}

int main(int argc, char **argv)
{
    const char *sizes = "1,2,4,6,8,12,16,32,64";
    uint64_t loads = 10000000;
    int repeat = 3;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--sizes") == 0 && i + 1 < argc) {
            sizes = argv[++i];
        } else if (strcmp(argv[i], "--loads") == 0 && i + 1 < argc) {
            loads = strtoull(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) {
            repeat = atoi(argv[++i]);
        } else {
            fprintf(stderr, "usage: %s [--sizes 1,2,4,...] [--loads N] [--repeat N] (MiB)\n",
                    argv[0]);
            return 2;
        }
    }
    if (repeat < 1 || repeat > 99 || loads == 0) {
        fprintf(stderr, "%s: --repeat takes 1 to 99, --loads at least 1\n", argv[0]);
        return 2;
    }
    printf("# command:");
    for (int i = 0; i < argc; i++)
        printf(" %s", argv[i]);
    printf("\n%-8s %12s %12s %12s\n", "MiB", "ns/load", "lowest", "highest");
    const char *s = sizes;
    while (*s) {
        char *end;
        const unsigned long mib = strtoul(s, &end, 10);
        if (end == s || mib == 0 || mib > 65536 || (*end && *end != ',')) {
            fprintf(stderr, "%s: bad size list '%s'\n", argv[0], sizes);
            return 2;
        }
        double ns[99];
        for (int r = 0; r < repeat; r++) {
            ns[r] = chase((size_t)mib << 20, loads, (uint64_t)r + 1);
            if (ns[r] < 0) {
                fprintf(stderr, "%s: out of memory at %lu MiB\n", argv[0], mib);
                return 1;
            }
        }
        qsort(ns, (size_t)repeat, sizeof ns[0], bench_cmp_double);
        printf("%-8lu %12.1f %12.1f %12.1f\n", mib, ns[(repeat - 1) / 2], ns[0], ns[repeat - 1]);
        fflush(stdout);
        s = *end ? end + 1 : end;
    }
    return 0;
}
