/*
 * test_policy_traces.c - OPT on the LIRS paper's traces (Jiang & Zhang,
 * SIGMETRICS 2002, as packaged by cache2k) must give exactly the published
 * hit counts (../shared/traces/README.md; cache2k asserts the same). These
 * counts do not depend on OPT's tie rule. Skipped (77) if the shared traces
 * are not there. Every other built-in policy must hit at most as often as
 * OPT at the same sizes; their hits are printed for reference.
 */
#include <stdlib.h>
#include <string.h>

#include "policy_harness.h"
#include "testlib.h"

struct point {
    uint32_t frames;
    uint64_t opt_hits;
};

struct trace {
    const char *file;
    size_t accesses;
    struct point points[8];
};

static const struct trace traces[] = {
    {"trace-cpp.trc.bin.gz",
     9047,
     {{20, 2392}, {35, 4205}, {50, 5678}, {80, 7156}, {100, 7465}, {300, 7824}}},
    {"trace-glimpse.trc.bin.gz", 6015, {{100, 461}}},
    {"trace-multi2.trc.bin.gz", 26311, {{100, 9311}, {600, 14604}, {1800, 19240}}},
    {"trace-sprite.trc.bin.gz",
     133996,
     {{100, 68067}, {200, 92270}, {400, 113302}, {600, 120527}, {800, 123527}, {1000, 124936}}},
};

int main(void)
{
    int found = 0;
    for (size_t t = 0; t < sizeof traces / sizeof traces[0]; t++) {
        const struct trace *tr = &traces[t];
        char path[1024];
        snprintf(path, sizeof path, "%s/lirs/%s", VMR_SHARED_TRACES, tr->file);
        uint64_t *pages;
        size_t n;
        int rc = vmr_ph_load_trc_gz(path, &pages, &n);
        if (rc == VMR_ENOTFOUND) {
            fprintf(stderr, "%s: not found\n", path);
            continue;
        }
        found++;
        if (rc != 0) {
            fprintf(stderr, "%s: cannot read: %s\n", path, vmr_strerror(rc));
            vmr_test_failures++;
            continue;
        }
        CHECK_EQ_U64(n, tr->accesses);
        for (const struct point *p = tr->points; p->frames; p++) {
            struct vmr_ph_stats st;
            char err[512] = "";
            rc = vmr_ph_run("opt", p->frames, pages, NULL, n, 1, &st, err, sizeof err);
            if (rc != 0) {
                fprintf(stderr, "%s: %s\n", tr->file, err);
                vmr_test_failures++;
                continue;
            }
            if (st.hits != p->opt_hits)
                fprintf(stderr, "%s at %u frames: OPT %llu hits, published %llu\n", tr->file,
                        (unsigned)p->frames, (unsigned long long)st.hits,
                        (unsigned long long)p->opt_hits);
            CHECK_EQ_U64(st.hits, p->opt_hits);
            printf("%-26s %5u frames: opt %6llu hits", tr->file, (unsigned)p->frames,
                   (unsigned long long)st.hits);
            size_t n_ops;
            const struct vmr_policy_ops *const *ops = vmr_policy_builtins(&n_ops);
            for (size_t o = 0; o < n_ops; o++) {
                struct vmr_ph_stats so;
                if (strcmp(ops[o]->name, "opt") == 0)
                    continue;
                if (vmr_ph_run(ops[o]->name, p->frames, pages, NULL, n, 1, &so, err, sizeof err)) {
                    fprintf(stderr, "%s\n", err);
                    vmr_test_failures++;
                    continue;
                }
                if (so.hits > st.hits)
                    fprintf(stderr, "%s at %u frames: %s %llu hits > OPT\n", tr->file,
                            (unsigned)p->frames, ops[o]->name, (unsigned long long)so.hits);
                CHECK(so.hits <= st.hits);
                printf(", %s %llu", ops[o]->name, (unsigned long long)so.hits);
            }
            printf("\n");
        }
        free(pages);
    }
    if (!found) {
        fprintf(stderr, "no shared traces under %s: skipped\n", VMR_SHARED_TRACES);
        return 77;
    }
    return vmr_test_done();
}
