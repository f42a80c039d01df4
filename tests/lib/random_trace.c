/*
 * random_trace.c - see random_trace.h.
 */
#include "random_trace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "testlib.h"

#define MAX_PROCS 4

struct gen {
    char *buf;
    size_t len, cap;
};

static void put(struct gen *g, const char *line)
{
    size_t n = strlen(line);
    if (g->len + n + 1 > g->cap) {
        g->cap = (g->len + n + 1) * 2;
        g->buf = realloc(g->buf, g->cap);
        if (!g->buf)
            abort();
    }
    memcpy(g->buf + g->len, line, n + 1);
    g->len += n;
}

/* the areas every live process has: start, pages, shared, file-backed */
static const struct {
    uint64_t start;
    unsigned pages;
    int shared, file;
} areas[] = {
    {0x10000, 3, 0, 1}, /* the file, private */
    {0x20000, 3, 1, 1}, /* the file, shared */
    {0x30000, 2, 0, 0}, /* private anonymous (mapped again at times) */
    {0x40000, 2, 1, 0}, /* shared anonymous */
};

const char *vmr_rt_write(uint64_t seed, size_t n_access, int cow)
{
    struct vmr_rng r;
    vmr_rng_seed(&r, seed);
    struct gen g = {0};
    char line[128];
    put(&g, "file 1 /data/f size=12K\n");
    put(&g,
        cow ? "mmap 1 0x10000 12K rw- private fd=1\n" : "mmap 1 0x10000 12K r-- private fd=1\n");
    put(&g, "mmap 1 0x20000 12K rw- shared fd=1\n");
    put(&g, "mmap 1 0x30000 8K rw- private,anon\n");
    put(&g, "mmap 1 0x40000 8K rw- shared,anon\n");
    uint32_t live[MAX_PROCS] = {1}, n_live = 1, next_pid = 2;
    for (size_t i = 0; i < n_access;) {
        uint64_t what = vmr_rng_below(&r, 100);
        uint32_t p = live[vmr_rng_below(&r, n_live)];
        if (what < 8 && n_live < MAX_PROCS) {
            snprintf(line, sizeof line, "fork %u %u\n", (unsigned)p, (unsigned)next_pid);
            live[n_live++] = next_pid++;
        } else if (what < 14) {
            snprintf(line, sizeof line,
                     "munmap %u 0x30000 8K\nmmap %u 0x30000 8K rw- private,anon\n", (unsigned)p,
                     (unsigned)p);
        } else if (what < 17 && n_live > 1 && p != 1) {
            snprintf(line, sizeof line, "exit %u\n", (unsigned)p);
            for (uint32_t j = 0; j < n_live; j++)
                if (live[j] == p)
                    live[j] = live[--n_live];
        } else {
            unsigned a = (unsigned)vmr_rng_below(&r, 4);
            uint64_t addr = areas[a].start + vmr_rng_below(&r, areas[a].pages) * 4096;
            int w = (areas[a].shared || cow) && vmr_rng_below(&r, 3) == 0;
            snprintf(line, sizeof line, "%c %u 0x%llx 8\n", w ? 'w' : 'r', (unsigned)p,
                     (unsigned long long)addr);
            i++;
        }
        put(&g, line);
    }
    char suffix[64];
    snprintf(suffix, sizeof suffix, "rt%llu.txt", (unsigned long long)seed);
    const char *path = vmr_test_write_tmp(suffix, g.buf);
    free(g.buf);
    return path;
}

int vmr_rt_replay(const char *path, const char *spec, uint32_t frames, const char *const *opts,
                  uint64_t *loads)
{
    struct vmr_replay_config cfg;
    vmr_replay_config_init(&cfg);
    cfg.trace_path = path;
    cfg.policy = spec;
    cfg.memory = frames;
    cfg.memory_in_pages = 1;
    cfg.no_readahead = 1;
    struct vmr_replay_result *res;
    char err[512];
    int rc = 0;
    for (size_t i = 0; opts && opts[i] && rc == 0; i += 2)
        rc = vmr_replay_config_set(&cfg, opts[i], opts[i + 1], err, sizeof err);
    if (rc == 0)
        rc = vmr_replay_run(&cfg, &res, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "%s, %s, %u frames: %s\n", path, spec, (unsigned)frames, err);
        return rc;
    }
    const struct vmr_counters *c = &vmr_replay_report(res)->total;
    *loads = c->zero_fill + c->file_reads + c->swap_ins + c->cow_copies;
    vmr_replay_result_destroy(res);
    return 0;
}
