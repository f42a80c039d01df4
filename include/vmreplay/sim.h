/*
 * vmreplay/sim.h - replaying a trace through the simulated kernel.
 *
 * vmr_replay_run reads the trace in batches and feeds them to a kernel
 * configured from struct vmr_replay_config; for policies that need the
 * future (OPT) it first makes the oracle pass. The result holds the run
 * report that the stats writers print.
 */
#ifndef VMREPLAY_SIM_H
#define VMREPLAY_SIM_H

#include "vmreplay/kernel.h"
#include "vmreplay/stats.h"
#include "vmreplay/trace.h"

struct vmr_replay_config {
    const char *trace_path;
    const char *policy; /* default "lru" (borrowed) */
    uint64_t memory;    /* RAM, in bytes, or in pages if memory_in_pages */
    int memory_in_pages;
    uint64_t swap; /* VMR_SWAP_UNLIMITED (the default) for no limit */
    int swap_in_pages;
    uint32_t page_size; /* 0: the trace's page size */
    uint64_t seed;
    enum vmr_segv_action on_segv;
    size_t batch_records; /* 0: default */
    int no_readahead;     /* decode in the calling thread only (for
                             measurements; the results are the same) */
    /* If set, called instead of vmr_kernel_run_words for each decoded
     * batch, with its contract (words may be NULL); for time series and
     * progress (analysis.h). */
    int (*run_batch)(void *arg, struct vmr_kernel *k, const struct vmr_record *recs,
                     const uint64_t *words, size_t n, size_t *failed);
    void *run_batch_arg;
    const char *sysroot; /* ELF files for exec; NULL = "/" (borrowed) */
    int load_needed;     /* exec also maps DT_NEEDED libraries */
    /* NULL: off; "": print the maps of every live process at every mark and
     * at the end; else only at marks with this label, and at the end */
    const char *dump_maps;
    FILE *maps_out; /* where dump_maps prints (borrowed; NULL = stdout) */
    /* kernel semantics: the seeds' (0, the default) or linux mode (1),
     * whose knobs are set to Linux's defaults unless given (-1 = the mode's
     * default; README.md) */
    int linux_mode;
    int zero_page, write_notify, fork_anon_only, sigbus;
    int fault_around;          /* pages */
    int page_cluster;          /* swap-in read-ahead of 2^page_cluster pages */
    int overcommit;            /* enum vmr_overcommit, or -1 for the mode's
                                  default: always in the seeds' semantics
                                  (nothing refused), heuristic (the
                                  kernel's default) in linux mode */
    uint32_t overcommit_ratio; /* percent, default 50 */
    enum vmr_scope scope;      /* replacement scope, default global */
    const char *quota;         /* local scope: "PID=SIZE,..." (borrowed) */
    int all_columns;           /* reports describe every setting of the run, not
                                  only those that differ from the defaults
                                  (sysroot, load_needed, mode, overcommit,
                                  replacement, quota): key "columns", all or
                                  changed (the default); sweeps use all */
};

/* Sets the defaults: lru, no memory (must be set), unlimited swap, the
 * trace's page size, seed 1, segfaults kill, the seeds' semantics,
 * the mode's overcommit default with ratio 50. */
void vmr_replay_config_init(struct vmr_replay_config *cfg);

/*
 * Sets one option from its command-line spelling, so the CLI, scenario tests
 * and sweep specs parse options the same way. Keys (values):
 *   memory    SIZE (bytes, with K/M/G...) or Np (N pages)
 *   swap      SIZE, Np, or "unlimited"
 *   policy    NAME[:k=v,...] or PATH.so[:k=v,...]  (the string is borrowed)
 *   page-size SIZE, a power of two
 *   seed      N
 *   on-segv   kill | ignore
 *   sysroot   DIR: where exec finds ELF files (default /)
 *   load-needed  yes | no: exec maps the DT_NEEDED libraries too
 *   dump-maps LABEL: print /proc/PID/maps-style areas at marks with that
 *             label ("" = every mark) and at the end
 *   mode      seeds | linux
 *   overcommit  heuristic | always | strict (or 0, 1, 2)
 *   overcommit-ratio  N (percent of RAM in strict mode)
 *   zero-page, write-notify, sigbus  yes | no
 *   fault-around  N (pages; 0 or 1 = off)
 *   page-cluster  N (swap-in read-ahead of 2^N pages; 0 = off)
 *   fork-copy all | anon
 *   scope     global | local: one policy instance over all frames, or a
 *             quota and an instance per process (README.md)
 *   quota     PID=SIZE[,PID=SIZE...] ('+' also separates): fixed quotas of
 *             local scope (SIZE as memory); requires scope local
 * Returns 0, VMR_ENOTFOUND for an unknown key, or VMR_EINVAL/VMR_ERANGE with
 * a message in errbuf.
 */
int vmr_replay_config_set(struct vmr_replay_config *cfg, const char *key, const char *value,
                          char *errbuf, size_t errbuf_len);

struct vmr_replay_result;

/* Runs the replay. Errors (unreadable or malformed trace, bad options, a
 * record the kernel cannot apply) return VMR_E* with a message in errbuf
 * naming the trace and the record's position. */
int vmr_replay_run(const struct vmr_replay_config *cfg, struct vmr_replay_result **out,
                   char *errbuf, size_t errbuf_len);

/* Prints the areas of live process pid (0 = every live process) in
 * /proc/PID/maps format, each process after a "# pid ..." comment line.
 * Returns 0, VMR_ENOTFOUND (no such live process) or VMR_EIO. */
int vmr_maps_write(FILE *fp, const struct vmr_kernel *k, vmr_pid_t pid);

const struct vmr_run_report *vmr_replay_report(const struct vmr_replay_result *res);
void vmr_replay_result_destroy(struct vmr_replay_result *res);

/*
 * The oracle pass, for OPT: next_use[t], for every page touch t (the pages
 * each access covers, in trace order: the kernel's virtual clock), is the
 * time of the next touch of the same page, or VMR_NEXT_USE_NONE (kernel.h).
 * "The same page"
 * is the kernel's page identity, not an address: the pass replays the trace
 * through a second kernel with the run's configuration but memory enough
 * that nothing is evicted, and asks it which page each touch used. So a
 * page shared after fork, a MAP_SHARED page or a file's page-cache page
 * mapped by several processes is one page however many processes touch it;
 * a copy-on-write copy, or anonymous memory mapped again after munmap, is a
 * new one. Touches that use no page (a segfault, the zero page, a dead
 * process) get VMR_NEXT_USE_NONE and end no chain.
 *
 * cow lists, sorted by time, the touches that copied a page, with the next
 * use of the page copied from (vmr_kernel_set_oracle_cow).
 *
 * Memory: 4 bytes per touch, 24 per copy, 4 per distinct page (and a map
 * entry per file page), plus the second kernel (frames and page tables for
 * the pages resident at once). If its memory fills, the pass starts again
 * with four times as many frames (passes says how many were made). Times
 * and pages are 32-bit: a trace of more than VMR_ORACLE_MAX_TOUCHES page
 * touches, or of as many distinct pages, fails with VMR_ERANGE.
 */
#define VMR_ORACLE_MAX_TOUCHES ((uint64_t)UINT32_MAX - 1)
struct vmr_oracle {
    uint32_t *next_use;
    uint64_t n_touches;
    struct vmr_oracle_cow *cow;
    size_t n_cow;
    uint64_t n_pages; /* distinct page identities touched */
    uint32_t frames;  /* frames of the pass's kernel */
    unsigned passes;
};

/* Reads the trace from its start (rewinding it, so it must be seekable)
 * up to its last access at least, and leaves it anywhere: rewind it after.
 * kc is the configuration of the run the oracle is for (its policy, seed
 * and, when they cannot change a commit charge, memory and swap size are
 * ignored). Errors: those of the
 * reader and of the kernel (an input error names the record), VMR_ENOMEM,
 * VMR_ERANGE (past VMR_ORACLE_MAX_TOUCHES). */
int vmr_oracle_compute(struct vmr_trace_reader *r, const struct vmr_kernel_config *kc,
                       struct vmr_oracle *o, char *errbuf, size_t errbuf_len);
/* Hands the oracle to a kernel (borrowed: o must outlive the run). */
void vmr_oracle_apply(struct vmr_kernel *k, const struct vmr_oracle *o);
void vmr_oracle_release(struct vmr_oracle *o);
/* Whether one oracle serves runs of both configurations: they agree on
 * everything that decides page identity (page size, semantics, commit
 * limits, segfault handling, exec). */
int vmr_oracle_shareable(const struct vmr_kernel_config *a, const struct vmr_kernel_config *b);

#endif
