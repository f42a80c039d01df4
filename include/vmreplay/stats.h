/*
 * vmreplay/stats.h - the counters a replay produces, and their writers.
 *
 * The counter list is one X-macro so the struct, the JSON keys, the CSV
 * columns and the table rows can never disagree. Counts are in pages unless
 * the name says otherwise. SUM counters add up over processes; PEAK counters
 * are maxima over time (for the whole run: of the machine-wide quantity).
 *
 * minor_faults + major_faults is every resolved fault: zero-fill and COW
 * faults are minor; a fault that waited for a file read or a swap-in is
 * major. Segfaults are neither.
 */
#ifndef VMREPLAY_STATS_H
#define VMREPLAY_STATS_H

#include <stdio.h>

#include "vmreplay/common.h"

/* X(name, SUM|PEAK, help) */
#define VMR_COUNTERS(X)                                                                            \
    X(accesses, SUM, "memory accesses (reads + writes + fetches)")                                 \
    X(reads, SUM, "data reads")                                                                    \
    X(writes, SUM, "data writes")                                                                  \
    X(fetches, SUM, "instruction fetches")                                                         \
    X(minor_faults, SUM, "faults resolved without waiting for I/O")                                \
    X(major_faults, SUM, "faults that waited for a file read or a swap-in")                        \
    X(zero_fill, SUM, "demand-zero faults (a zeroed frame, no I/O)")                               \
    X(cow_copies, SUM, "copy-on-write faults that copied the page")                                \
    X(cow_reuses, SUM, "copy-on-write faults that reused a page with one user")                    \
    X(segv_unmapped, SUM, "accesses to unmapped addresses (SIGSEGV)")                              \
    X(segv_protection, SUM, "accesses violating an area's protection (SIGSEGV)")                   \
    X(file_reads, SUM, "pages read from files")                                                    \
    X(writebacks, SUM, "dirty file pages written back to their file")                              \
    X(swap_outs, SUM, "pages written to swap")                                                     \
    X(swap_ins, SUM, "pages read from swap")                                                       \
    X(evictions, SUM, "frames reclaimed by the replacement policy")                                \
    X(rss_peak_pages, PEAK, "peak resident pages (run: frames in use incl. page cache)")           \
    X(swap_peak_pages, PEAK, "peak swap slots in use")                                             \
    X(commit_peak_pages, PEAK, "peak committed pages")                                             \
    X(mmap_failures, SUM, "failed mmap/brk/fork (ENOMEM and other errors)")                        \
    X(oom_kills, SUM, "processes killed because memory and swap were full")                        \
    X(sigbus, SUM, "accesses to file pages wholly past the end of the file (linux mode)")

struct vmr_counters {
#define VMR_X_FIELD(name, kind, help) uint64_t name;
    VMR_COUNTERS(VMR_X_FIELD)
#undef VMR_X_FIELD
};

enum {
    VMR_N_COUNTERS = 0
#define VMR_X_COUNT(name, kind, help) +1
    VMR_COUNTERS(VMR_X_COUNT)
#undef VMR_X_COUNT
};

/* Name, help and value of counter i (0 <= i < VMR_N_COUNTERS) by index. */
const char *vmr_counter_name(size_t i);
const char *vmr_counter_help(size_t i);
int vmr_counter_is_peak(size_t i);
uint64_t vmr_counter_get(const struct vmr_counters *c, size_t i);

/* Adds SUM counters of `src` into `dst` and takes the max of PEAK ones. */
void vmr_counters_merge(struct vmr_counters *dst, const struct vmr_counters *src);

/* Why a process ended before its exit record. */
enum vmr_killed {
    VMR_KILLED_NONE = 0,
    VMR_KILLED_SEGV = 1,   /* SIGSEGV with --on-segv kill */
    VMR_KILLED_OOM = 2,    /* out-of-memory kill */
    VMR_KILLED_ENOMEM = 3, /* never ran: the fork that made it failed (commit
                              limit); the trace's later records are skipped */
    VMR_KILLED_SIGBUS = 4, /* SIGBUS (linux mode: past the end of a file) */
};

/* "segv", "oom", "enomem", "sigbus", or "" for VMR_KILLED_NONE. */
const char *vmr_killed_name(int killed);

/* One process (thread group) of a run. */
struct vmr_proc_report {
    uint32_t pid;
    uint32_t parent;  /* 0 if unknown */
    const char *comm; /* program path after exec, or NULL */
    int killed;       /* enum vmr_killed */
    struct vmr_counters c;
};

/* The areas of one name (a file's path, "[anon]", "[heap]", "[stack]",
 * "[shmem]") over the whole run; only some counters are kept per area
 * (vmr_kernel_area_stats in kernel.h says which), the others are 0. */
struct vmr_area_report {
    const char *name;
    struct vmr_counters c;
};

/* A key=value describing the run (policy, memory, trace...). */
struct vmr_kv {
    const char *key;
    const char *value;
};

/* Everything a run reports. The stats writers only read it. */
struct vmr_run_report {
    size_t n_config; /* run description, in output order */
    const struct vmr_kv *config;
    struct vmr_counters total;
    size_t n_procs;
    const struct vmr_proc_report *procs;
    size_t n_areas;
    const struct vmr_area_report *areas;
    size_t n_policy_counters; /* policy-specific, reported as policy.NAME */
    const char *const *policy_counter_names;
    const uint64_t *policy_counter_values;
};

/*
 * Writers. They return 0 or VMR_EIO if the stream reported an error (the
 * caller still owns and closes it).
 *   table: a human table (counter rows; total + processes columns).
 *   csv:   a header line, then one row per scope ("total", then one per
 *          process, then one per area): the config columns, scope, pid,
 *          parent, comm (an area's row: its name), killed, then every
 *          counter.
 *          `header` = 0 omits the header line (for appending runs).
 *   json:  one object {"config": {...}, "total": {...}, "processes": [...],
 *          "areas": [...], "policy": {...}}.
 */
int vmr_report_write_table(FILE *fp, const struct vmr_run_report *r);
int vmr_report_write_csv(FILE *fp, const struct vmr_run_report *r, int header);
int vmr_report_write_json(FILE *fp, const struct vmr_run_report *r);

#endif
