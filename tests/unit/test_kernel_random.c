/*
 * test_kernel_random.c - drives the kernel with random record sequences
 * (mmap of every kind, munmap, mprotect, brk, madvise, msync, fork, thread,
 * exit, reads/writes/fetches) on a few frames and a small swap, and checks
 * every internal invariant (vmr_kernel_check) after each record, for several
 * policies and seeds, in the seeds' semantics and in linux mode (zero page,
 * fault-around, write-notify, swap read-ahead, fork copying anonymous
 * areas only, SIGBUS), under each overcommit mode. Also checks conservation
 * laws the counters must obey. Every policy also runs in local scope
 * (--scope local), where after each record each process's charge may have
 * grown only up to its quota. The same records in random batches must give
 * the same counts, with and without their page words.
 */
#include "page_words.h"
#include "rng.h"
#include "testlib.h"
#include "vmreplay/kernel.h"

#define PAGE       4096u
#define AREA_PAGES 24
#define N_PIDS     6

static struct vmr_record rec(unsigned kind, uint32_t pid)
{
    struct vmr_record r = {0};
    r.kind = (uint8_t)kind;
    r.pid = pid;
    r.count = 1;
    r.size = 1;
    return r;
}

/* Recent mmaps: most accesses go where something was mapped (by the pid
 * or, after a fork, by its parent), so faults dominate segfaults. */
static struct vmr_record recent[16];
static unsigned n_recent;

static struct vmr_record random_record(struct vmr_rng *g)
{
    uint32_t pid = 1 + (uint32_t)vmr_rng_below(g, N_PIDS);
    uint64_t base = 0x100000ULL * (1 + vmr_rng_below(g, 4));
    uint64_t page = vmr_rng_below(g, AREA_PAGES);
    uint64_t roll = vmr_rng_below(g, 1000);
    struct vmr_record r;
    if (roll < 800) {
        r = rec((unsigned)vmr_rng_below(g, 3), pid);
        r.addr = base + page * PAGE + vmr_rng_below(g, PAGE);
        if (n_recent && vmr_rng_below(g, 10) < 9) {
            const struct vmr_record *m = &recent[vmr_rng_below(g, n_recent < 16 ? n_recent : 16)];
            r.addr = m->addr + vmr_rng_below(g, m->len);
            if (vmr_rng_below(g, 2))
                r.pid = m->pid;
            if (vmr_rng_below(g, 4))
                r.kind = (uint8_t)vmr_rng_below(g, 2); /* fetches mostly segfault */
        }
        r.size = 1 + (uint32_t)vmr_rng_below(g, 16); /* some cross a page */
        r.count = 1 + (uint32_t)vmr_rng_below(g, 3);
        return r;
    }
    if (roll < 860) {
        r = rec(VMR_REC_MMAP, pid);
        r.addr = base + page * PAGE;
        r.len = (1 + vmr_rng_below(g, 8)) * PAGE;
        r.prot =
            (uint8_t)(vmr_rng_below(g, 4) ? VMR_PROT_READ | VMR_PROT_WRITE : vmr_rng_below(g, 8));
        recent[n_recent++ % 16] = r;
        switch (vmr_rng_below(g, 4)) {
        case 0:
            r.flags = VMR_MAP_PRIVATE | VMR_MAP_ANON;
            if (vmr_rng_below(g, 8) == 0)
                r.flags |= VMR_MAP_NORESERVE;
            break;
        case 1:
            r.flags = VMR_MAP_SHARED | VMR_MAP_ANON;
            break;
        case 2:
            r.flags = VMR_MAP_PRIVATE;
            r.arg = 1 + (uint32_t)vmr_rng_below(g, 2);
            r.off = vmr_rng_below(g, 4) * PAGE;
            break;
        default:
            r.flags = VMR_MAP_SHARED;
            r.arg = 1 + (uint32_t)vmr_rng_below(g, 2);
            r.off = vmr_rng_below(g, 4) * PAGE;
            break;
        }
        return r;
    }
    if (roll < 890) {
        r = rec(VMR_REC_MUNMAP, pid);
        r.addr = base + page * PAGE;
        r.len = (1 + vmr_rng_below(g, 6)) * PAGE;
        return r;
    }
    if (roll < 910) {
        r = rec(VMR_REC_MPROTECT, pid);
        r.addr = base + page * PAGE;
        r.len = (1 + vmr_rng_below(g, 6)) * PAGE;
        r.prot = (uint8_t)vmr_rng_below(g, 8);
        return r;
    }
    if (roll < 925) {
        r = rec(VMR_REC_MADVISE, pid);
        r.addr = base + page * PAGE;
        r.len = (1 + vmr_rng_below(g, 6)) * PAGE;
        static const uint32_t advice[] = {4, 4, 4, 0, 1, 2, 3}; /* mostly DONTNEED */
        r.flags = advice[vmr_rng_below(g, sizeof advice / sizeof advice[0])];
        return r;
    }
    if (roll < 935) {
        r = rec(VMR_REC_MSYNC, pid);
        r.addr = base;
        r.len = AREA_PAGES * PAGE;
        return r;
    }
    if (roll < 950) {
        r = rec(VMR_REC_BRK, pid);
        r.addr = 0x900000 + vmr_rng_below(g, 8 * PAGE);
        r.off = r.addr;
        return r;
    }
    if (roll < 965) {
        r = rec(VMR_REC_FORK, pid);
        r.arg = 1 + (uint32_t)vmr_rng_below(g, N_PIDS);
        return r;
    }
    if (roll < 975) {
        r = rec(VMR_REC_THREAD, pid);
        r.arg = 1 + (uint32_t)vmr_rng_below(g, N_PIDS);
        return r;
    }
    return rec(VMR_REC_EXIT, pid);
}

static struct vmr_counters all; /* summed over runs: every path was taken */

#define N_STEPS 4000

/* The same records replayed in batches of random sizes, as replay does,
 * must give the same counts as one record at a time: the batch loop's
 * look-ahead (PTEs looked up before earlier records of the batch ran, a
 * process killed in the middle of a batch) must not change anything. With
 * `words`, the batches go through vmr_kernel_run_words. */
static void check_batched(const struct vmr_kernel_config *cfg, const struct vmr_record *files,
                          const struct vmr_record *recs, const uint64_t *words, int n,
                          const struct vmr_counters *want, uint64_t seed)
{
    struct vmr_kernel *k;
    char err[512];
    if (vmr_kernel_create(&k, cfg, err, sizeof err) != 0) {
        vmr_test_failures++;
        return;
    }
    size_t failed;
    CHECK(vmr_kernel_run(k, files, 2, &failed) == 0);
    struct vmr_rng g;
    vmr_rng_seed(&g, seed ^ 0x5eed);
    for (int i = 0; i < n;) {
        size_t len = 1 + (size_t)vmr_rng_below(&g, 200);
        if (len > (size_t)(n - i))
            len = (size_t)(n - i);
        /* a record that fails (a fork onto a live pid) ends its batch, as
         * it ended its one-record call */
        if ((words ? vmr_kernel_run_words(k, &recs[i], &words[i], len, &failed)
                   : vmr_kernel_run(k, &recs[i], len, &failed)) != 0)
            len = failed + 1;
        i += (int)len;
    }
    struct vmr_counters got;
    vmr_kernel_totals(k, &got);
    if (memcmp(&got, want, sizeof got) != 0) {
        fprintf(stderr, "%s seed %llu: counts differ when replayed in batches%s\n", cfg->policy,
                (unsigned long long)seed, words ? " with page words" : "");
        vmr_test_failures++;
    }
    CHECK(vmr_kernel_check(k, err, sizeof err) == 0);
    vmr_kernel_destroy(k);
}

/* Local scope: a process's charge grows only while below its quota (it
 * may sit above a quota that shrank, or take a free frame when none of its
 * pages can leave memory, which needs a full swap). */
static uint64_t prev_charged[N_PIDS + 1];

static int check_quotas(const struct vmr_kernel *k, int swap_limited, char *err, size_t len)
{
    for (vmr_pid_t pid = 1; pid <= N_PIDS; pid++) {
        uint64_t charged = 0, quota = 0;
        if (vmr_kernel_scope_usage(k, pid, &charged, &quota) != 0)
            charged = 0; /* not a live process (or a thread's pid: its leader's) */
        if (!swap_limited && charged > prev_charged[pid] && charged > quota) {
            snprintf(err, len, "pid %u: charge grew from %llu to %llu, above its quota %llu",
                     (unsigned)pid, (unsigned long long)prev_charged[pid],
                     (unsigned long long)charged, (unsigned long long)quota);
            return 1;
        }
        prev_charged[pid] = charged;
    }
    return 0;
}

static void run_one(const char *policy, uint64_t seed, uint32_t frames, uint64_t swap,
                    int linux_mode, int local)
{
    struct vmr_kernel_config cfg = {.page_size = PAGE,
                                    .n_frames = frames,
                                    .swap_pages = swap,
                                    .policy = policy,
                                    .seed = seed,
                                    .on_segv = seed % 4 ? VMR_SEGV_IGNORE : VMR_SEGV_KILL,
                                    .overcommit = (enum vmr_overcommit)(seed % 3),
                                    .overcommit_ratio = 50 + (uint32_t)(seed % 5) * 100,
                                    .scope = local ? VMR_SCOPE_LOCAL : VMR_SCOPE_GLOBAL,
                                    .quota = local && seed % 2 ? "3=2p" : NULL};
    memset(prev_charged, 0, sizeof prev_charged);
    if (linux_mode) {
        cfg.zero_page = (seed & 1) == 0 || linux_mode == 2;
        cfg.fault_around = linux_mode == 2 ? 4 : 16;
        cfg.write_notify = 1;
        cfg.swap_readahead = linux_mode == 2 ? 2 : 8;
        cfg.fork_anon_only = 1;
        cfg.sigbus = seed % 5 != 0;
    }
    struct vmr_kernel *k;
    char err[512];
    if (vmr_kernel_create(&k, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "create %s: %s\n", policy, err);
        vmr_test_failures++;
        return;
    }
    struct vmr_record files[2] = {rec(VMR_REC_FILE, 0), rec(VMR_REC_FILE, 0)};
    files[0].arg = 1;
    files[0].off = 10 * PAGE; /* shorter than some mappings: pages past EOF */
    files[0].str = "/data/a";
    files[1].arg = 2;
    files[1].off = VMR_FILE_SIZE_UNKNOWN;
    files[1].str = "/data/b";
    size_t failed;
    CHECK(vmr_kernel_run(k, files, 2, &failed) == 0);
    struct vmr_rng g;
    vmr_rng_seed(&g, seed);
    n_recent = 0;
    static struct vmr_record recs[N_STEPS];
    int n_recs = 0;
    for (int i = 0; i < N_STEPS; i++) {
        struct vmr_record r = random_record(&g);
        recs[n_recs++] = r;
        int rc = vmr_kernel_run(k, &r, 1, &failed);
        if (rc != 0 && !(r.kind == VMR_REC_FORK || r.kind == VMR_REC_THREAD)) {
            fprintf(stderr, "%s seed %llu step %d: kind %u: %s\n", policy, (unsigned long long)seed,
                    i, r.kind, vmr_kernel_error(k));
            vmr_test_failures++;
            break;
        }
        if (vmr_kernel_check(k, err, sizeof err) != 0 ||
            (local && check_quotas(k, swap != VMR_SWAP_UNLIMITED, err, sizeof err))) {
            fprintf(stderr, "%s seed %llu step %d (kind %u pid %u): %s\n", policy,
                    (unsigned long long)seed, i, r.kind, r.pid, err);
            vmr_test_failures++;
            break;
        }
    }
    struct vmr_counters t;
    vmr_kernel_totals(k, &t);
    CHECK(t.rss_peak_pages <= frames);
    CHECK(swap == VMR_SWAP_UNLIMITED || t.swap_peak_pages <= swap);
    CHECK_EQ_U64(t.accesses, t.reads + t.writes + t.fetches);
    CHECK(t.zero_fill + t.cow_copies <= t.minor_faults + t.major_faults);
    CHECK(t.swap_ins + t.file_reads >= t.major_faults);
    CHECK(t.swap_outs <= t.evictions); /* every swap-out is part of an eviction */
    if (cfg.overcommit == VMR_OVERCOMMIT_STRICT && swap != VMR_SWAP_UNLIMITED) {
        /* only exec may charge beyond the limit, and this mix has none */
        CHECK(t.commit_peak_pages <= swap + (uint64_t)frames * cfg.overcommit_ratio / 100);
    }
    vmr_counters_merge(&all, &t);
    check_batched(&cfg, files, recs, NULL, n_recs, &t, seed);
    static uint64_t words[N_STEPS];
    struct ref_words st = {0};
    ref_page_words(&st, recs, (size_t)n_recs, 12, words);
    check_batched(&cfg, files, recs, words, n_recs, &t, seed);
    if (getenv("VERBOSE"))
        fprintf(stderr, "%s %llu: copies %llu reuses %llu faults %llu segv %llu oom %llu\n", policy,
                (unsigned long long)seed, (unsigned long long)t.cow_copies,
                (unsigned long long)t.cow_reuses,
                (unsigned long long)(t.minor_faults + t.major_faults),
                (unsigned long long)(t.segv_unmapped + t.segv_protection),
                (unsigned long long)t.oom_kills);
    vmr_kernel_destroy(k);
}

int main(void)
{
    static const char *policies[] = {"fifo", "lru", "clock"};
    for (size_t p = 0; p < sizeof policies / sizeof policies[0]; p++)
        for (uint64_t seed = 1; seed <= 12; seed++) {
            for (int lm = 0; lm <= 2; lm += seed % 2 ? 2 : 1) {
                run_one(policies[p], seed, 2 + (uint32_t)(seed % 7), seed % 3 ? 6 : 40, lm, 0);
                run_one(policies[p], seed * 101, 16, VMR_SWAP_UNLIMITED, lm, 0);
            }
        }
    /* every other registered policy, fewer seeds: the kernel's invariants
     * must hold whichever victims it is given */
    size_t n;
    const struct vmr_policy_ops *const *ops = vmr_policy_builtins(&n);
    for (size_t p = 0; p < n; p++) {
        if (strcmp(ops[p]->name, "fifo") == 0 || strcmp(ops[p]->name, "lru") == 0 ||
            strcmp(ops[p]->name, "clock") == 0)
            continue;
        for (uint64_t seed = 1; seed <= 3; seed++) {
            run_one(ops[p]->name, seed, 2 + (uint32_t)(seed % 7), seed % 3 ? 6 : 40, 0, 0);
            run_one(ops[p]->name, seed * 101, 16, VMR_SWAP_UNLIMITED, 0, 0);
        }
    }
    /* every policy in local scope: small memories and swaps (OOM kills,
     * pinned pages), linux mode (read-ahead allocating for the faulting
     * process), a fixed quota on odd seeds */
    for (size_t p = 0; p < n; p++) {
        for (uint64_t seed = 1; seed <= 2; seed++) {
            run_one(ops[p]->name, seed, 3 + (uint32_t)(seed % 7), seed == 1 ? 6 : 40,
                    seed == 2 ? 2 : 0, 1);
            run_one(ops[p]->name, seed * 101, 16, VMR_SWAP_UNLIMITED, seed == 1 ? 2 : 0, 1);
        }
    }
    /* the random mix must reach every path the invariants are about */
    for (size_t i = 0; i < VMR_N_COUNTERS; i++) {
        const char *name = vmr_counter_name(i);
        if (vmr_counter_get(&all, i) == 0) {
            fprintf(stderr, "no run produced any %s\n", name);
            vmr_test_failures++;
        }
    }
    return vmr_test_done();
}
