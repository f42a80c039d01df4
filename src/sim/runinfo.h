/*
 * runinfo.h - one run's kernel configuration from a replay config, and the
 * config columns of its rows (trace, policy, page_size, memory_pages,
 * memory, swap_pages, seed, on_segv, sysroot and load_needed when not the
 * default, page_touches), shared by replay, compare, series and sweep so
 * their rows line up.
 */
#ifndef VMREPLAY_SIM_RUNINFO_H
#define VMREPLAY_SIM_RUNINFO_H

#include "vmreplay/kernel.h"
#include "vmreplay/sim.h"

#define RUNINFO_MAX 16

struct runinfo {
    struct vmr_kv kv[RUNINFO_MAX];
    char val[RUNINFO_MAX][64];
    size_t n;
};

/* The kernel config of cfg for a trace whose page size is trace_page_size
 * (0 = unknown). VMR_EINVAL with a message for a memory size out of range. */
int runinfo_kernel_config(const struct vmr_replay_config *cfg, uint32_t trace_page_size,
                          struct vmr_kernel_config *kc, char *errbuf, size_t errbuf_len);

/* The "scope" and "quota" options of vmr_replay_config_set; VMR_ENOTFOUND
 * for other keys. */
int runinfo_set_scope(struct vmr_replay_config *cfg, const char *key, const char *value,
                      char *errbuf, size_t errbuf_len);

/* Sets kc's semantics fields (linux mode knobs, overcommit) from cfg. */
void runinfo_semantics(const struct vmr_replay_config *cfg, struct vmr_kernel_config *kc);

/* The "mode" column: 0 for the seeds' semantics (no column), else 1 and
 * "linux" or a base mode with the knobs that differ ("linux,zero_page=no"). */
int runinfo_describe_mode(const struct vmr_kernel_config *kc, char *buf, size_t len);
/* The "overcommit" column: 0 for the mode's default (no column: always in
 * the seeds' semantics, heuristic in linux mode), else 1 and "heuristic",
 * "always" or "strict:RATIO". */
int runinfo_describe_overcommit(const struct vmr_kernel_config *kc, char *buf, size_t len);

/* Fills the columns; trace and policy_spec are borrowed. page_touches is
 * left out when with_touches is 0 (time series rows). */
void runinfo_fill(struct runinfo *ri, const char *trace, const char *policy_spec,
                  const struct vmr_kernel_config *kc, int with_touches, uint64_t page_touches,
                  int all_columns);

#endif
