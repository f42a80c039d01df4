/*
 * runinfo.c - replay options to a kernel config, and the config columns of
 * a run's rows (runinfo.h), for every command that writes runs.
 */
#include "runinfo.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
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
    memset(kc, 0, sizeof *kc); /* fields not set here are 0 (their defaults) */
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
    runinfo_semantics(cfg, kc);
    if (cfg->quota && cfg->scope != VMR_SCOPE_LOCAL) {
        vmr_errf(errbuf, errbuf_len, "--quota needs --scope local");
        return VMR_EINVAL;
    }
    kc->scope = cfg->scope;
    kc->quota = cfg->quota;
    return 0;
}

int runinfo_set_scope(struct vmr_replay_config *cfg, const char *key, const char *value,
                      char *errbuf, size_t errbuf_len)
{
    if (strcmp(key, "scope") == 0) {
        if (strcmp(value, "global") == 0) {
            cfg->scope = VMR_SCOPE_GLOBAL;
        } else if (strcmp(value, "local") == 0) {
            cfg->scope = VMR_SCOPE_LOCAL;
        } else {
            vmr_errf(errbuf, errbuf_len, "--scope '%s': expected global or local", value);
            return VMR_EINVAL;
        }
        return 0;
    }
    if (strcmp(key, "quota") == 0) {
        /* the syntax now; the sizes in pages and their sum once the page
         * size and memory are known (vmr_kernel_create) */
        struct vmr_quota *q;
        size_t n;
        int rc = vmr_quota_parse(value, 1, &q, &n, errbuf, errbuf_len);
        if (rc == 0) {
            free(q);
            cfg->quota = value;
        }
        return rc;
    }
    return VMR_ENOTFOUND;
}

/* Linux's defaults for the linux-mode knobs (README.md): the zero page,
 * fault_around_bytes 65536 (16 pages), write-notify as on ext4,
 * vm.page-cluster 3 (8 pages), page tables copied only for areas with
 * anonymous pages, SIGBUS past the end of a file. */
static const struct vmr_kernel_config linux_knobs = {
    .zero_page = 1,
    .fault_around = 16,
    .write_notify = 1,
    .swap_readahead = 8,
    .fork_anon_only = 1,
    .sigbus = 1,
};

void runinfo_semantics(const struct vmr_replay_config *cfg, struct vmr_kernel_config *kc)
{
    const int lm = cfg->linux_mode;
    kc->zero_page = cfg->zero_page >= 0 ? cfg->zero_page : lm ? linux_knobs.zero_page : 0;
    kc->write_notify = cfg->write_notify >= 0 ? cfg->write_notify
                       : lm                   ? linux_knobs.write_notify
                                              : 0;
    kc->fork_anon_only = cfg->fork_anon_only >= 0 ? cfg->fork_anon_only
                         : lm                     ? linux_knobs.fork_anon_only
                                                  : 0;
    kc->sigbus = cfg->sigbus >= 0 ? cfg->sigbus : lm ? linux_knobs.sigbus : 0;
    kc->fault_around = cfg->fault_around >= 0 ? (uint32_t)cfg->fault_around
                       : lm                   ? linux_knobs.fault_around
                                              : 0;
    kc->swap_readahead = cfg->page_cluster >= 0 ? 1u << cfg->page_cluster
                         : lm                   ? linux_knobs.swap_readahead
                                                : 0;
    kc->overcommit = cfg->overcommit >= 0 ? (enum vmr_overcommit)cfg->overcommit
                     : lm                 ? VMR_OVERCOMMIT_HEURISTIC
                                          : VMR_OVERCOMMIT_ALWAYS;
    kc->overcommit_ratio = cfg->overcommit_ratio;
}

/* Whether kc's knobs are closer to linux mode's than to the seeds' (0 if
 * all off); with buf, writes the mode and the knobs that differ from it. */
static int linux_like(const struct vmr_kernel_config *kc, char *buf, size_t len)
{
    const struct {
        const char *name;
        uint32_t have, linux_value;
    } knobs[] = {
        {"zero_page", (uint32_t)kc->zero_page, 1},
        {"fault_around", kc->fault_around > 1 ? kc->fault_around : 0, linux_knobs.fault_around},
        {"write_notify", (uint32_t)kc->write_notify, 1},
        {"swap_readahead", kc->swap_readahead > 1 ? kc->swap_readahead : 0,
         linux_knobs.swap_readahead},
        {"fork_anon_only", (uint32_t)kc->fork_anon_only, 1},
        {"sigbus", (uint32_t)kc->sigbus, 1},
    };
    const size_t n = sizeof knobs / sizeof knobs[0];
    size_t off_seeds = 0, off_linux = 0;
    for (size_t i = 0; i < n; i++) {
        off_seeds += knobs[i].have != 0;
        off_linux += knobs[i].have != knobs[i].linux_value;
    }
    if (off_seeds == 0)
        return 0;
    int is_linux = off_linux <= off_seeds;
    if (!buf)
        return is_linux;
    size_t used = (size_t)snprintf(buf, len, "%s", is_linux ? "linux" : "seeds");
    for (size_t i = 0; i < n && used < len; i++) {
        uint32_t base = is_linux ? knobs[i].linux_value : 0;
        if (knobs[i].have != base)
            used += (size_t)snprintf(buf + used, len - used, ",%s=%u", knobs[i].name,
                                     (unsigned)knobs[i].have);
    }
    return is_linux;
}

int runinfo_describe_mode(const struct vmr_kernel_config *kc, char *buf, size_t len)
{
    buf[0] = 0;
    linux_like(kc, buf, len);
    return buf[0] != 0;
}

int runinfo_describe_overcommit(const struct vmr_kernel_config *kc, char *buf, size_t len)
{
    enum vmr_overcommit dflt =
        linux_like(kc, NULL, 0) ? VMR_OVERCOMMIT_HEURISTIC : VMR_OVERCOMMIT_ALWAYS;
    if (kc->overcommit == dflt)
        return 0;
    if (kc->overcommit == VMR_OVERCOMMIT_HEURISTIC)
        snprintf(buf, len, "heuristic");
    else if (kc->overcommit == VMR_OVERCOMMIT_ALWAYS)
        snprintf(buf, len, "always");
    else
        snprintf(buf, len, "strict:%u", (unsigned)kc->overcommit_ratio);
    return 1;
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
                  const struct vmr_kernel_config *kc, int with_touches, uint64_t page_touches,
                  int all)
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
    /* the settings below appear only where they differ from the defaults,
     * unless `all` (every run of a sweep has the same columns) */
    const int rooted = kc->sysroot && strcmp(kc->sysroot, "/") != 0;
    if (rooted || all)
        put(ri, "sysroot", rooted ? kc->sysroot : "/");
    if (kc->load_needed || all)
        put(ri, "load_needed", kc->load_needed ? "yes" : "no");
    if (runinfo_describe_mode(kc, ri->val[ri->n], sizeof ri->val[0]))
        put(ri, "mode", ri->val[ri->n]);
    else if (all)
        put(ri, "mode", "seeds");
    if (runinfo_describe_overcommit(kc, ri->val[ri->n], sizeof ri->val[0]))
        put(ri, "overcommit", ri->val[ri->n]);
    else if (all)
        put(ri, "overcommit", kc->overcommit == VMR_OVERCOMMIT_HEURISTIC ? "heuristic" : "always");
    if (kc->scope == VMR_SCOPE_LOCAL || all)
        put(ri, "replacement", kc->scope == VMR_SCOPE_LOCAL ? "local" : "global");
    const int quota = kc->scope == VMR_SCOPE_LOCAL && kc->quota && *kc->quota;
    if (quota || all)
        put(ri, "quota", quota ? kc->quota : "equal");
    if (with_touches)
        putf(ri, "page_touches", page_touches);
}
