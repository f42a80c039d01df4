/*
 * test_mrc.c - miss-ratio curves against the simulator itself.
 *
 * Exact: for traces whose frames hold only unshared private pages, the
 * curve's misses at c frames equal the fault count of `replay --policy lru`
 * with c frames (every page touch of an access record counts, the README's
 * rule), for every c from 1 to past the largest stack distance. The traces:
 * two synth workloads (one process, anonymous memory), and a generated text
 * trace with two independent processes, a thread, munmap and re-mmap, and an
 * exit, which exercise the address-space bookkeeping and the tree's
 * compaction (thousands of touches over few pages).
 *
 * SHARDS: on a larger synth trace the sampled curves stay within a stated
 * distance of the exact one (mean and maximum absolute miss-ratio error over
 * 40 sizes); the errors are printed.
 */
#include <math.h>
#include <stdlib.h>

#include "testlib.h"
#include "vmreplay/analysis.h"
#include "vmreplay/synth.h"

static const char *synth(const char *suffix, const char *const *opts)
{
    const char *path = vmr_test_tmp(suffix);
    struct vmr_synth_config cfg;
    vmr_synth_config_init(&cfg);
    char err[512];
    for (size_t i = 0; opts[i]; i += 2)
        if (vmr_synth_config_set(&cfg, opts[i], opts[i + 1], err, sizeof err) != 0) {
            fprintf(stderr, "%s\n", err);
            exit(1);
        }
    struct vmr_synth *s;
    struct vmr_trace_writer *w;
    if (vmr_synth_create(&s, &cfg, err, sizeof err) != 0 ||
        vmr_trace_writer_open(&w, path, vmr_synth_header(s), NULL, err, sizeof err) != 0 ||
        vmr_synth_write(s, w) != 0 || vmr_trace_writer_close(w, err, sizeof err) != 0) {
        fprintf(stderr, "synth: %s\n", err);
        exit(1);
    }
    vmr_synth_destroy(s);
    return path;
}

/* Two processes and a thread of the first over 40 pages each, with an
 * munmap and re-mmap in the middle and the second process exiting. */
static const char *text_trace(void)
{
    const char *path = vmr_test_tmp("mix.txt");
    FILE *fp = fopen(path, "w");
    if (!fp)
        exit(1);
    fputs("mmap 1 0x10000 160K rw- private,anon\nmmap 2 0x10000 160K rw- private,anon\n"
          "thread 1 3\n",
          fp);
    uint64_t x = 12345;
    for (int i = 0; i < 6000; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        unsigned pid = (unsigned)(x >> 60) % 3 + 1;
        unsigned page = (unsigned)((x >> 33) % 40);
        if (i > 3000 && pid == 2)
            pid = 1;
        if ((x >> 20) % 4 == 0)
            page %= 6; /* a hot set */
        fprintf(fp, "%c %u 0x%x 8\n", (x >> 10) % 3 ? 'r' : 'w', pid, 0x10000 + page * 4096);
        if (i == 2000)
            fputs("munmap 1 0x20000 32K\nmmap 1 0x20000 32K rw- private,anon,fixed\n", fp);
        if (i == 3000)
            fputs("exit 2\n", fp);
    }
    fclose(fp);
    return path;
}

static uint64_t lru_faults(const char *trace, uint64_t frames)
{
    struct vmr_replay_config cfg;
    vmr_replay_config_init(&cfg);
    cfg.trace_path = trace;
    cfg.memory = frames;
    cfg.memory_in_pages = 1;
    struct vmr_replay_result *res;
    char err[512];
    if (vmr_replay_run(&cfg, &res, err, sizeof err) != 0) {
        fprintf(stderr, "replay: %s\n", err);
        exit(1);
    }
    const struct vmr_counters *t = &vmr_replay_report(res)->total;
    uint64_t f = t->minor_faults + t->major_faults;
    vmr_replay_result_destroy(res);
    return f;
}

static void check_exact(const char *trace)
{
    struct vmr_mrc_config cfg = {.trace_path = trace};
    struct vmr_mrc m;
    char err[512];
    if (vmr_mrc_compute(&cfg, &m, err, sizeof err) != 0) {
        fprintf(stderr, "mrc: %s\n", err);
        exit(1);
    }
    CHECK(m.n_sizes > 2);
    uint64_t step = m.n_sizes > 30 ? m.n_sizes / 30 : 1;
    for (uint64_t c = 1; c <= m.n_sizes + 1; c += (c < 8 ? 1 : step)) {
        double got = vmr_mrc_misses(&m, c);
        uint64_t want = lru_faults(trace, c);
        if (got != (double)want)
            fprintf(stderr, "%s: %llu frames: curve %.0f, replay %llu\n", trace,
                    (unsigned long long)c, got, (unsigned long long)want);
        CHECK_EQ_U64((uint64_t)got, want);
    }
    /* monotone, and the cold misses are the distinct pages */
    for (size_t c = 1; c < m.n_sizes; c++)
        CHECK(m.misses[c] <= m.misses[c - 1]);
    CHECK_EQ_U64((uint64_t)m.cold, m.n_pages);
    vmr_mrc_release(&m);
}

static void shards_error(const char *trace, const struct vmr_mrc *exact, double rate,
                         uint64_t max_pages, double mean_bound, double max_bound)
{
    struct vmr_mrc_config cfg = {.trace_path = trace, .rate = rate, .max_pages = max_pages};
    struct vmr_mrc m;
    char err[512];
    if (vmr_mrc_compute(&cfg, &m, err, sizeof err) != 0) {
        fprintf(stderr, "mrc: %s\n", err);
        exit(1);
    }
    double sum = 0, worst = 0, n = (double)exact->n_touches;
    uint64_t top = exact->n_sizes;
    for (uint64_t i = 1; i <= 40; i++) {
        uint64_t c = top * i / 40;
        double e = fabs(vmr_mrc_misses(&m, c) - vmr_mrc_misses(exact, c)) / n;
        sum += e;
        worst = e > worst ? e : worst;
    }
    printf("SHARDS %s %g: final rate %.4f, %llu of %llu touches sampled: miss-ratio error "
           "mean %.4f, max %.4f\n",
           rate > 0 ? "rate" : "max-pages", rate > 0 ? rate : (double)max_pages, m.final_rate,
           (unsigned long long)m.n_sampled, (unsigned long long)m.n_touches, sum / 40, worst);
    CHECK(sum / 40 < mean_bound);
    CHECK(worst < max_bound);
    if (max_pages)
        CHECK(m.final_rate < 1);
    vmr_mrc_release(&m);
}

int main(void)
{
    static const char *const zipf[] = {
        "pattern", "zipf:0.9@3,scan,loop:200K", "footprint", "1M", "accesses", "20k", "seed", "3",
        NULL};
    static const char *const loops[] = {
        "pattern", "loop:300K@2,uniform", "footprint", "512K", "accesses",
        "10k",     "access-size",         "64",        "seed", "9",
        NULL};
    check_exact(synth("zipf.vmt", zipf));
    check_exact(synth("loops.vmt", loops));
    check_exact(text_trace());

    static const char *const big[] = {
        "pattern", "zipf:0.8@3,scan,loop:8M", "footprint", "64M", "accesses", "300k", "seed", "11",
        NULL};
    const char *trace = synth("big.vmt", big);
    struct vmr_mrc_config cfg = {.trace_path = trace};
    struct vmr_mrc exact;
    char err[512];
    if (vmr_mrc_compute(&cfg, &exact, err, sizeof err) != 0) {
        fprintf(stderr, "mrc: %s\n", err);
        return 1;
    }
    shards_error(trace, &exact, 0.1, 0, 0.02, 0.05);
    shards_error(trace, &exact, 0.01, 0, 0.05, 0.12);
    shards_error(trace, &exact, 0, 2000, 0.03, 0.08);
    vmr_mrc_release(&exact);
    return vmr_test_done();
}
