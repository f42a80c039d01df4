/*
 * example_policy.c - a policy plug-in as a user would write one, loaded by
 * the registry tests with `--policy PATH.so[:retries=N]`.
 *
 * RANDOM replacement: evicts a uniformly random resident frame (the RAND
 * policy of Belady 1966), seeded from cfg->seed so a run is reproducible.
 * It depends on vmreplay/policy.h and libc only, as a plug-in must.
 *
 * Owns a dense array of the resident frames (slot[0..n_resident)) and
 * where[frame] = its index there, or NONE; both stay consistent after every
 * callback. Parameter retries = how many random probes find an unpinned
 * frame before a linear scan does.
 *
 * The test build compiles this file several ways: as is; with
 * EXAMPLE_ABI_VERSION set to a foreign version (must be refused); with
 * EXAMPLE_NO_SYMBOL (not a plug-in at all); with EXAMPLE_FLAGS set to flags
 * whose ops or companion flags it lacks (must be refused).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "vmreplay/policy.h"

#ifndef EXAMPLE_FLAGS
#define EXAMPLE_FLAGS 0
#endif
#ifndef EXAMPLE_ABI_VERSION
#define EXAMPLE_ABI_VERSION VMR_POLICY_ABI_VERSION
#endif

#define NONE UINT32_MAX

struct rand_policy {
    uint8_t *bits;
    uint32_t n_frames;
    uint32_t n_resident;
    uint32_t retries;
    uint64_t rng;
    uint32_t *slot;
    uint32_t *where;
};

static uint64_t next_random(struct rand_policy *s)
{
    /* splitmix64: tiny, and good enough to pick a frame */
    uint64_t z = (s->rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void rand_destroy(void *state)
{
    struct rand_policy *s = state;
    if (!s)
        return;
    free(s->slot);
    free(s->where);
    free(s);
}

static int rand_create(const struct vmr_policy_config *cfg, void **state)
{
    unsigned long retries = 8;
    for (size_t i = 0; i < cfg->n_params; i++) {
        /* the registry has already rejected keys we do not list */
        char *end;
        errno = 0;
        retries = strtoul(cfg->params[i].value, &end, 10);
        if (errno || end == cfg->params[i].value || *end || retries > 1000) {
            if (cfg->errbuf && cfg->errbuf_len)
                snprintf(cfg->errbuf, cfg->errbuf_len,
                         "policy 'random': retries='%s' is not a number from 0 to 1000",
                         cfg->params[i].value);
            return VMR_EINVAL;
        }
    }
    struct rand_policy *s = calloc(1, sizeof *s);
    if (!s)
        return VMR_ENOMEM;
    size_t n = cfg->n_frames ? cfg->n_frames : 1;
    s->slot = malloc(n * sizeof *s->slot);
    s->where = malloc(n * sizeof *s->where);
    if (!s->slot || !s->where) {
        rand_destroy(s);
        return VMR_ENOMEM;
    }
    for (uint32_t i = 0; i < cfg->n_frames; i++)
        s->where[i] = NONE;
    s->bits = cfg->frame_bits;
    s->n_frames = cfg->n_frames;
    s->retries = (uint32_t)retries;
    s->rng = cfg->seed;
    *state = s;
    return 0;
}

static void rand_on_insert(void *state, vmr_pfn_t frame, const struct vmr_access *a)
{
    (void)a;
    struct rand_policy *s = state;
    s->where[frame] = s->n_resident;
    s->slot[s->n_resident++] = frame;
}

static int rand_select_victim(void *state, vmr_pfn_t *frame)
{
    struct rand_policy *s = state;
    if (s->n_resident == 0)
        return VMR_ENOVICTIM;
    for (uint32_t t = 0; t < s->retries; t++) {
        uint32_t f = s->slot[next_random(s) % s->n_resident];
        if (!(s->bits[f] & VMR_FRAME_PINNED)) {
            *frame = f;
            return 0;
        }
    }
    uint32_t start = (uint32_t)(next_random(s) % s->n_resident);
    for (uint32_t i = 0; i < s->n_resident; i++) {
        uint32_t f = s->slot[(start + i) % s->n_resident];
        if (!(s->bits[f] & VMR_FRAME_PINNED)) {
            *frame = f;
            return 0;
        }
    }
    return VMR_ENOVICTIM;
}

static void rand_forget(struct rand_policy *s, vmr_pfn_t frame)
{
    uint32_t i = s->where[frame];
    uint32_t last = s->slot[--s->n_resident];
    s->slot[i] = last;
    s->where[last] = i;
    s->where[frame] = NONE;
}

static void rand_on_evict(void *state, vmr_pfn_t frame, uint64_t key)
{
    (void)key;
    rand_forget(state, frame);
}

static void rand_on_remove(void *state, vmr_pfn_t frame)
{
    rand_forget(state, frame);
}

static const struct vmr_policy_param rand_params[] = {
    {"retries", "8", "random probes for an unpinned frame before a linear scan"},
    {NULL, NULL, NULL},
};

static const struct vmr_policy_ops rand_ops = {
    .abi_version = EXAMPLE_ABI_VERSION,
    .flags = EXAMPLE_FLAGS,
    .name = "random",
    .summary = "evicts a random resident page (RAND, Belady 1966); example plug-in",
    .params = rand_params,
    .create = rand_create,
    .destroy = rand_destroy,
    .on_insert = rand_on_insert,
    .on_hit = NULL,
    .select_victim = rand_select_victim,
    .on_evict = rand_on_evict,
    .on_remove = rand_on_remove,
    .report = NULL,
};

#ifndef EXAMPLE_NO_SYMBOL
const struct vmr_policy_ops *vmr_policy_plugin(void)
{
    return &rand_ops;
}
#else
/* keeps the table referenced so the build has no unused-variable warning */
const struct vmr_policy_ops *example_not_the_plugin_symbol(void);
const struct vmr_policy_ops *example_not_the_plugin_symbol(void)
{
    return &rand_ops;
}
#endif
