/*
 * vmreplay/kernel.h - the simulated kernel.
 *
 * It owns processes, address spaces (areas and page tables), the physical
 * frames, the page cache and swap, and applies trace records to them: an
 * access either hits a present page-table entry or takes the fault path
 * (SEMANTICS.md), which may ask the replacement policy for a victim. It
 * counts outcomes in struct vmr_counters and never prints.
 *
 * Input errors (a record the kernel cannot apply, such as an mmap naming an
 * undeclared file) stop vmr_kernel_run with VMR_EFORMAT and a message;
 * simulated failures (segfaults, ENOMEM) are counted, not errors.
 */
#ifndef VMREPLAY_KERNEL_H
#define VMREPLAY_KERNEL_H

#include "vmreplay/common.h"
#include "vmreplay/policy.h"
#include "vmreplay/stats.h"
#include "vmreplay/trace.h"

#define VMR_SWAP_UNLIMITED UINT64_MAX

enum vmr_segv_action {
    VMR_SEGV_KILL = 0, /* the process dies; its later records are skipped */
    VMR_SEGV_IGNORE,   /* counted; the process goes on */
};

/* vm.overcommit_memory: the kernel's mode numbers (SEMANTICS.md 1.6) */
enum vmr_overcommit {
    VMR_OVERCOMMIT_HEURISTIC = 0, /* refuse one charge larger than RAM + swap */
    VMR_OVERCOMMIT_ALWAYS = 1,    /* never refuse */
    VMR_OVERCOMMIT_STRICT = 2,    /* refuse beyond swap + RAM x ratio / 100 */
};

enum vmr_scope {
    VMR_SCOPE_GLOBAL = 0, /* one policy instance chooses among all frames */
    VMR_SCOPE_LOCAL,      /* per-process quotas and policy instances */
};

struct vmr_kernel_config {
    uint32_t page_size;  /* power of two */
    uint32_t n_frames;   /* physical frames, >= 1 */
    uint64_t swap_pages; /* swap slots; VMR_SWAP_UNLIMITED for no limit */
    const char *policy;  /* policy spec: "lru", "clock", "./mine.so:k=v" */
    uint64_t seed;       /* for randomised policies */
    enum vmr_segv_action on_segv;
    /* execve: ELF files are looked up under this directory (NULL or "" =
     * "/"); borrowed, must stay valid while records are applied */
    const char *sysroot;
    /* execve of a program whose areas the trace does not carry also maps
     * its DT_NEEDED libraries, resolved as ld.so would (hand-written
     * traces; recorded ones carry them as mmap records) */
    int load_needed;
    /* commit accounting: mmap/brk/fork/mprotect that would commit more
     * than the mode allows fail with ENOMEM (mmap_failures) */
    enum vmr_overcommit overcommit;
    uint32_t overcommit_ratio; /* percent of RAM, strict mode (kernel: 50) */
    /* linux mode's knobs (README.md; all 0 in the seeds semantics): */
    int zero_page;           /* anonymous read faults map the zero page */
    uint32_t fault_around;   /* read faults on object areas map up to this
                                many cached pages around (0, 1: off) */
    int write_notify;        /* clean shared file pages mapped read-only */
    uint32_t swap_readahead; /* swap-in reads up to this many pages of the
                                aligned window around the fault (0, 1: off) */
    int fork_anon_only;      /* fork copies PTEs only of areas with
                                anonymous pages (the rest fault again) */
    int sigbus;              /* a page wholly past EOF raises SIGBUS */
    /* replacement scope (README.md, "Local replacement"): global (one
     * policy instance over every frame) or local (each process has a quota
     * of frames and its own instance of the policy over them) */
    enum vmr_scope scope;
    /* local scope: fixed quotas "PID=SIZE,..." (see vmr_quota_parse); the
     * other processes share the rest equally. NULL or "" = none. Borrowed. */
    const char *quota;
    /* RAM the commit limits assume, in pages (0: n_frames). The OPT
     * pre-pass runs a kernel with more frames than the run it prepares and
     * gives it the run's RAM here, so mmap/brk/fork succeed or fail alike. */
    uint32_t commit_frames;
};

struct vmr_kernel;

/* A fixed quota of local scope: the process pid (every incarnation of the
 * pid) gets `pages` frames. */
struct vmr_quota {
    vmr_pid_t pid;
    uint64_t pages;
};

/* Parses a quota list "PID=SIZE[,PID=SIZE...]" (',' or '+' between entries)
 * where SIZE is bytes with an optional binary unit (64M, 1.5G, 4096; rounded
 * down to whole pages of page_size) or pages (300p). Sets *out (malloc'ed,
 * the caller frees it) and *n. Errors: VMR_EINVAL with a message (malformed
 * entry, a quota under one page, a pid given twice), VMR_ENOMEM. */
int vmr_quota_parse(const char *spec, uint32_t page_size, struct vmr_quota **out, size_t *n,
                    char *errbuf, size_t errbuf_len);

/* Creates the kernel and its policy. Errors: VMR_EINVAL (bad config or
 * policy spec, message in errbuf), VMR_ENOMEM, plug-in errors. */
int vmr_kernel_create(struct vmr_kernel **out, const struct vmr_kernel_config *cfg, char *errbuf,
                      size_t errbuf_len);
void vmr_kernel_destroy(struct vmr_kernel *k);

/* The policy, e.g. to check VMR_POLICY_NEEDS_FUTURE before running. */
const struct vmr_policy *vmr_kernel_policy(const struct vmr_kernel *k);

/* For VMR_POLICY_NEEDS_FUTURE: next_use[t] is the time of the next touch of
 * the page touched at time t (VMR_NEXT_USE_NONE: none), for every page touch
 * of the trace in order (see vmr_oracle in sim.h); so a trace with an oracle
 * has fewer than VMR_NEXT_USE_NONE touches. Policies are told the time as
 * vmr_access.next_use, with UINT64_MAX for none. Borrowed; must outlive the
 * run. */
#define VMR_NEXT_USE_NONE UINT32_MAX
void vmr_kernel_set_oracle(struct vmr_kernel *k, const uint32_t *next_use, uint64_t n);

/* A touch that copied a page (copy-on-write): the page it copied from,
 * `key`, is not the page the touch used, so its next use is not
 * next_use[time]. When the fault at `time` loads or touches page `key`
 * (a swap-in or file read of the source before the copy), the policy is
 * given this next_use instead. */
struct vmr_oracle_cow {
    uint64_t time;
    uint64_t key;
    uint64_t next_use;
};

/* The copy-on-write exceptions of the oracle, sorted by time (see
 * vmr_oracle in sim.h). Borrowed; must outlive the run. */
void vmr_kernel_set_oracle_cow(struct vmr_kernel *k, const struct vmr_oracle_cow *cow, size_t n);

/* Applies n records in order. On error returns VMR_E*, sets *failed to the
 * index of the record that failed, and vmr_kernel_error() says why. */
int vmr_kernel_run(struct vmr_kernel *k, const struct vmr_record *recs, size_t n, size_t *failed);

/* The same, with the records' page words (vmr_trace_reader_next_words, for
 * this kernel's page size), which spare the hot loop most record reads.
 * The words must come from the trace whose records the kernel has been
 * given so far, in order; `words` NULL is vmr_kernel_run. */
int vmr_kernel_run_words(struct vmr_kernel *k, const struct vmr_record *recs, const uint64_t *words,
                         size_t n, size_t *failed);

const char *vmr_kernel_error(const struct vmr_kernel *k);

/* Machine-wide counters (sums over processes, machine-wide peaks). */
void vmr_kernel_totals(const struct vmr_kernel *k, struct vmr_counters *out);

/* Every process (thread group) the run has seen, in creation order,
 * including those that exited. Valid until the next call on k. */
const struct vmr_proc_report *vmr_kernel_procs(const struct vmr_kernel *k, size_t *n);

/* Per-area statistics (src/kernel/usage.c): one entry per area name - a
 * file's path, "[anon]", "[heap]", "[stack]", "[shmem]" - that counted
 * something, summed over every process and area of that name. Only what
 * the fault path and the write-back paths see is counted per area: faults
 * (minor, major, zero_fill, cow_copies, cow_reuses), file_reads, swap_ins,
 * segv_protection, sigbus and writebacks; accesses, evictions and swap_outs
 * are not. Valid until the next call on k. */
const struct vmr_area_report *vmr_kernel_area_stats(const struct vmr_kernel *k, size_t *n);

/* What is in use now (src/kernel/usage.c): *frames_used frames (page cache
 * included) and *swap_used swap slots; if rss is not NULL, rss[i] is the
 * number of pages resident now for process i of vmr_kernel_procs' order (0
 * once it exited), for i < n. For time series between vmr_kernel_run calls. */
void vmr_kernel_usage(const struct vmr_kernel *k, uint64_t *frames_used, uint64_t *swap_used,
                      uint64_t *rss, size_t n);

/* For the OPT pre-pass (src/kernel/oracle.c), between vmr_kernel_run
 * calls. vmr_kernel_grow_frames: gives k n frames instead of its n_frames
 * (no change if n is not more): the new frames are free, nothing resident
 * moves, so a kernel that must never evict need not start again. Needs
 * global scope and a policy with resize (VMR_POLICY_RESIZE; else
 * VMR_EINVAL); on VMR_ENOMEM the kernel is unchanged.
 * vmr_kernel_watch: replaces k's policy, before anything is resident, by
 * ops over the caller's state (ops->destroy is called on it when k is
 * destroyed), which is then told of every page touch: global scope only
 * (else VMR_EINVAL). */
int vmr_kernel_grow_frames(struct vmr_kernel *k, uint32_t n);
int vmr_kernel_watch(struct vmr_kernel *k, const struct vmr_policy_ops *ops, void *state);

/* Page touches so far (the virtual clock). */
uint64_t vmr_kernel_time(const struct vmr_kernel *k);

/* Page identity, for the OPT pre-pass (src/kernel/usage.c). Keys are the
 * kernel's (vmr_access.key): a file or shared-anonymous page is its object
 * and page index (keys above VMR_KEY_ANON_MAX), a private anonymous page a
 * serial number 1, 2, 3... that is never reused, kept through swap-out and
 * fork; a copy-on-write copy is a new page.
 *
 * vmr_kernel_page_key: the key of the page that address addr of the live
 * process pid maps now, if its PTE is present and allows access op
 * (VMR_OP_READ, _WRITE or _FETCH) - after an access, the page it used -
 * else VMR_KEY_UNKNOWN. Does not fault or change the kernel's state.
 *
 * vmr_kernel_cow_source_key: the page a write to addr would copy from if
 * it needs a copy: the page a read-only PTE maps or a PTE holds in swap,
 * or for a private file area with no PTE yet, the file's page;
 * VMR_KEY_UNKNOWN if none (a writable PTE: no copy). */
#define VMR_KEY_ANON_MAX ((1ULL << 63) - 1)
uint64_t vmr_kernel_page_key(const struct vmr_kernel *k, vmr_pid_t pid, vmr_vaddr_t addr,
                             unsigned op);
uint64_t vmr_kernel_cow_source_key(const struct vmr_kernel *k, vmr_pid_t pid, vmr_vaddr_t addr);
/* A hint for a pass that will look at addr of pid soon: starts fetching
 * its PTE, or with `frame` set, the frame the PTE maps now. No effect on
 * results. */
void vmr_kernel_prefetch_page(const struct vmr_kernel *k, vmr_pid_t pid, vmr_vaddr_t addr,
                              int frame);

/* ---- looking at address spaces ------------------------------------------ */

/* One area of a process, as /proc/PID/maps shows it. */
struct vmr_area {
    vmr_vaddr_t start, end; /* bytes, half-open, page aligned */
    uint32_t prot;          /* VMR_PROT_* */
    int shared;             /* MAP_SHARED (maps shows 's', else 'p') */
    uint64_t offset;        /* bytes: file offset of start (file and shared
                               anonymous areas), else 0 */
    const char *path;       /* the file of a file area, else NULL */
    const char *name;       /* "[heap]", "[stack]", "/dev/zero (deleted)"
                               for shared anonymous memory, else NULL */
};

/* A process whose areas are being listed. Addresses are 0 when unknown
 * (no exec loaded an ELF, no brk seen). */
struct vmr_proc_layout {
    vmr_pid_t pid;
    const char *comm;  /* the program last exec'd, or NULL */
    vmr_vaddr_t entry; /* the program's entry point (AT_ENTRY) */
    vmr_vaddr_t start; /* first instruction: the interpreter's entry for a
                          dynamic program, else the entry point */
    vmr_vaddr_t brk_start, brk;
    size_t n_areas;
};

/* Called once per process with area NULL, then once per area in address
 * order. A non-zero return stops the walk and is returned. */
typedef int (*vmr_area_fn)(void *ctx, const struct vmr_proc_layout *proc,
                           const struct vmr_area *area);

/* Lists the areas of the live process pid (0: of every live process, in
 * creation order; threads are listed with their process). Returns 0,
 * VMR_ENOTFOUND if pid is not a live process, or fn's non-zero value. */
int vmr_kernel_areas(const struct vmr_kernel *k, vmr_pid_t pid, vmr_area_fn fn, void *ctx);

/* Called for every mark record, at its place in the trace, with the kernel
 * state the records before it left. A non-zero return stops the run with
 * that error. fn NULL removes the hook. */
typedef int (*vmr_mark_fn)(void *ctx, const struct vmr_kernel *k, const struct vmr_record *rec);
void vmr_kernel_set_mark_hook(struct vmr_kernel *k, vmr_mark_fn fn, void *ctx);

/* Checks the kernel's internal invariants (frames, reverse maps, swap slot
 * references, page tables, areas): 0 if they hold, else VMR_EFORMAT with
 * the first violation in errbuf. O(memory); for tests and debugging. */
int vmr_kernel_check(const struct vmr_kernel *k, char *errbuf, size_t errbuf_len);

/* Local scope: the frames charged now to the live process pid (the pages it
 * brought into memory that are still there; see README.md) and its quota
 * now. pid 0 names the pool of orphaned frames (quota 0). Returns 0, or
 * VMR_ENOTFOUND in global scope or if pid is not a live process. */
int vmr_kernel_scope_usage(const struct vmr_kernel *k, vmr_pid_t pid, uint64_t *charged,
                           uint64_t *quota);

#endif
