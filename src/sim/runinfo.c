/*
 * runinfo.c - replay options to a kernel config, and the config columns of
 * a run's rows (runinfo.h), for every command that writes runs.
 */
#include "runinfo.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "parse.h"
#include "vec.h"

static uint64_t to_pages(uint64_t amount, int in_pages, uint32_t page_size)
{
    return in_pages ? amount : amount / page_size;
}

int runinfo_kernel_config(const struct vmr_replay_config *cfg, uint32_t trace_page_size,
                          struct vmr_kernel_config *kc, char *errbuf, size_t errbuf_len)
{
    uint32_t page_size = cfg->page_size ? cfg->page_size : trace_page_size ? trace_page_size : 4096;
    uint64_t frames = to_pages(cfg->memory, cfg->memory_in_pages, page_size);
    if (cfg->memory == 0) {
        vmr_errf(errbuf, errbuf_len, "no memory size given (--memory)");
        return VMR_EINVAL;
    }
    if (frames == 0 || frames >= UINT32_MAX) {
        vmr_errf(errbuf, errbuf_len,
                 "memory of %" PRIu64 " pages of %" PRIu32 " bytes: must be 1 to 4294967294 pages",
                 frames, page_size);
        return VMR_EINVAL;
    }
    kc->page_size = page_size;
    kc->n_frames = (uint32_t)frames;
    kc->swap_pages = cfg->swap == VMR_SWAP_UNLIMITED
                         ? VMR_SWAP_UNLIMITED
                         : to_pages(cfg->swap, cfg->swap_in_pages, page_size);
    kc->policy = cfg->policy;
    kc->seed = cfg->seed;
    kc->on_segv = cfg->on_segv;
    kc->sysroot = cfg->sysroot;
    kc->load_needed = cfg->load_needed;
    return 0;
}

static void put(struct runinfo *ri, const char *key, const char *value)
{
    size_t i = ri->n++;
    ri->kv[i].key = key;
    ri->kv[i].value = value;
}

static void putf(struct runinfo *ri, const char *key, uint64_t v)
{
    snprintf(ri->val[ri->n], sizeof ri->val[ri->n], "%" PRIu64, v);
    put(ri, key, ri->val[ri->n]);
}

void runinfo_fill(struct runinfo *ri, const char *trace, const char *policy_spec,
                  const struct vmr_kernel_config *kc, int with_touches, uint64_t page_touches)
{
    ri->n = 0;
    put(ri, "trace", trace);
    put(ri, "policy", policy_spec);
    putf(ri, "page_size", kc->page_size);
    putf(ri, "memory_pages", kc->n_frames);
    vmr_format_size((uint64_t)kc->n_frames * kc->page_size, ri->val[ri->n], sizeof ri->val[0]);
    put(ri, "memory", ri->val[ri->n]);
    if (kc->swap_pages == VMR_SWAP_UNLIMITED)
        put(ri, "swap_pages", "unlimited");
    else
        putf(ri, "swap_pages", kc->swap_pages);
    putf(ri, "seed", kc->seed);
    put(ri, "on_segv", kc->on_segv == VMR_SEGV_KILL ? "kill" : "ignore");
    if (kc->sysroot && strcmp(kc->sysroot, "/") != 0)
        put(ri, "sysroot", kc->sysroot);
    if (kc->load_needed)
        put(ri, "load_needed", "yes");
    if (with_touches)
        putf(ri, "page_touches", page_touches);
}
