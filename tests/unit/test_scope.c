/*
 * test_scope.c - local replacement scope (--scope local, src/kernel/scope.c):
 *   - the equal split, by hand, as processes fork, exec and exit, with and
 *     without fixed quotas, and with more processes than frames;
 *   - first-touch charging, hand-checked step by step: a process below its
 *     quota takes the surplus of the one furthest above its quota, a hit
 *     by another process on a shared page updates the owner's instance,
 *     what an exiting process leaves goes to the orphan pool, which is
 *     reclaimed first;
 *   - --quota parsing and the sum check;
 *   - for every built-in policy (OPT included, through vmr_replay_run):
 *     one process in local scope counts exactly as global scope, and with
 *     fixed quotas one process's faults do not depend on what another does.
 * (Local scope's memory bound: tests/cli/scope_memory.sh.)
 */

#include "rng.h"
#include "testlib.h"
#include "vmreplay/kernel.h"
#include "vmreplay/sim.h"

#define PAGE 4096u

static struct vmr_record rec(unsigned kind, uint32_t pid, uint64_t addr)
{
    struct vmr_record r = {0};
    r.kind = (uint8_t)kind;
    r.pid = pid;
    r.addr = addr;
    r.count = 1;
    r.size = 8;
    return r;
}

static struct vmr_record mmap_anon(uint32_t pid, uint64_t addr, uint64_t pages)
{
    struct vmr_record r = rec(VMR_REC_MMAP, pid, addr);
    r.len = pages * PAGE;
    r.prot = VMR_PROT_READ | VMR_PROT_WRITE;
    r.flags = VMR_MAP_PRIVATE | VMR_MAP_ANON;
    return r;
}

static struct vmr_record fork_rec(uint32_t pid, uint32_t child)
{
    struct vmr_record r = rec(VMR_REC_FORK, pid, 0);
    r.arg = child;
    return r;
}

static struct vmr_kernel *kernel(uint32_t frames, const char *quota)
{
    struct vmr_kernel_config cfg = {.page_size = PAGE,
                                    .n_frames = frames,
                                    .swap_pages = VMR_SWAP_UNLIMITED,
                                    .policy = "lru",
                                    .seed = 1,
                                    .scope = VMR_SCOPE_LOCAL,
                                    .quota = quota};
    struct vmr_kernel *k = NULL;
    char err[256];
    if (vmr_kernel_create(&k, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "create: %s\n", err);
        vmr_test_failures++;
    }
    return k;
}

static void run(struct vmr_kernel *k, struct vmr_record r)
{
    size_t failed;
    char err[512];
    if (vmr_kernel_run(k, &r, 1, &failed) != 0) {
        fprintf(stderr, "record kind %u pid %u: %s\n", r.kind, r.pid, vmr_kernel_error(k));
        vmr_test_failures++;
    }
    if (vmr_kernel_check(k, err, sizeof err) != 0) {
        fprintf(stderr, "after record kind %u pid %u: %s\n", r.kind, r.pid, err);
        vmr_test_failures++;
    }
}

static uint64_t quota_of(const struct vmr_kernel *k, vmr_pid_t pid)
{
    uint64_t c, q;
    return vmr_kernel_scope_usage(k, pid, &c, &q) == 0 ? q : UINT64_MAX;
}

static uint64_t charged(const struct vmr_kernel *k, vmr_pid_t pid)
{
    uint64_t c, q;
    return vmr_kernel_scope_usage(k, pid, &c, &q) == 0 ? c : UINT64_MAX;
}

static void test_equal_split(void)
{
    /* 10 frames: alone 10; two 5/5; three 10/3 = 3 rest 1, the oldest
     * gets it: 4/3/3; exec changes nothing; one exits: 5/5 */
    struct vmr_kernel *k = kernel(10, NULL);
    if (!k)
        return;
    run(k, mmap_anon(1, 0x10000, 4));
    CHECK_EQ_U64(quota_of(k, 1), 10);
    run(k, fork_rec(1, 2));
    CHECK_EQ_U64(quota_of(k, 1), 5);
    CHECK_EQ_U64(quota_of(k, 2), 5);
    run(k, fork_rec(1, 3));
    CHECK_EQ_U64(quota_of(k, 1), 4);
    CHECK_EQ_U64(quota_of(k, 2), 3);
    CHECK_EQ_U64(quota_of(k, 3), 3);
    struct vmr_record thread = rec(VMR_REC_THREAD, 3, 0);
    thread.arg = 7; /* a thread shares its process's quota */
    run(k, thread);
    CHECK_EQ_U64(quota_of(k, 3), 3);
    CHECK_EQ_U64(quota_of(k, 7), 3);
    run(k, rec(VMR_REC_EXIT, 2, 0));
    CHECK_EQ_U64(quota_of(k, 1), 5);
    CHECK_EQ_U64(quota_of(k, 3), 5);
    CHECK_EQ_U64(quota_of(k, 2), UINT64_MAX); /* not live */
    CHECK_EQ_U64(quota_of(k, 0), 0);          /* the orphan pool */
    vmr_kernel_destroy(k);

    /* fixed quota for pid 3, the rest (10 - 6) split among the others;
     * pid 3 not yet born reserves nothing */
    k = kernel(10, "3=6p");
    if (!k)
        return;
    run(k, mmap_anon(1, 0x10000, 4));
    run(k, fork_rec(1, 2));
    CHECK_EQ_U64(quota_of(k, 1), 5);
    CHECK_EQ_U64(quota_of(k, 2), 5);
    run(k, fork_rec(2, 3));
    CHECK_EQ_U64(quota_of(k, 1), 2);
    CHECK_EQ_U64(quota_of(k, 2), 2);
    CHECK_EQ_U64(quota_of(k, 3), 6);
    run(k, rec(VMR_REC_EXIT, 1, 0));
    CHECK_EQ_U64(quota_of(k, 2), 4);
    CHECK_EQ_U64(quota_of(k, 3), 6);
    vmr_kernel_destroy(k);

    /* more processes than frames: one frame each */
    k = kernel(2, NULL);
    if (!k)
        return;
    run(k, mmap_anon(1, 0x10000, 4));
    run(k, fork_rec(1, 2));
    run(k, fork_rec(1, 3));
    CHECK_EQ_U64(quota_of(k, 1), 1);
    CHECK_EQ_U64(quota_of(k, 2), 1);
    CHECK_EQ_U64(quota_of(k, 3), 1);
    vmr_kernel_destroy(k);
}

#define A 0x100000ULL /* pid 1's area, 6 pages, shared with pid 2 by fork */
#define C 0x200000ULL /* pid 2's own */
#define D 0x300000ULL /* pid 3's own */
#define E 0x400000ULL /* pid 2's second */

static void test_charging(void)
{
    struct vmr_kernel *k = kernel(9, NULL);
    if (!k)
        return;
    run(k, mmap_anon(1, A, 6));
    for (int i = 0; i < 6; i++)
        run(k, rec(VMR_REC_WRITE, 1, A + i * PAGE)); /* A0..A5 */
    CHECK_EQ_U64(charged(k, 1), 6);
    run(k, fork_rec(1, 2)); /* 5 / 4: pid 1 is one above, nothing moves */
    CHECK_EQ_U64(charged(k, 1), 6);
    CHECK_EQ_U64(charged(k, 2), 0);
    run(k, mmap_anon(2, C, 5));
    for (int i = 0; i < 3; i++)
        run(k, rec(VMR_REC_WRITE, 2, C + i * PAGE)); /* the 3 free frames */
    CHECK_EQ_U64(charged(k, 2), 3);
    /* no free frame, pid 2 below its quota: pid 1's surplus page goes (its
     * LRU, A0, mapped by both: to swap) */
    run(k, rec(VMR_REC_WRITE, 2, C + 3 * PAGE));
    CHECK_EQ_U64(charged(k, 1), 5);
    CHECK_EQ_U64(charged(k, 2), 4);
    /* at its quota: its own LRU (C0) */
    run(k, rec(VMR_REC_WRITE, 2, C + 4 * PAGE));
    CHECK_EQ_U64(charged(k, 1), 5);
    CHECK_EQ_U64(charged(k, 2), 4);
    /* pid 2 reads A1, shared and charged to pid 1: a hit, which makes A1
     * the most recent page of pid 1's instance; no charge moves */
    run(k, rec(VMR_REC_READ, 2, A + 1 * PAGE));
    CHECK_EQ_U64(charged(k, 1), 5);
    run(k, fork_rec(2, 3)); /* 3 / 3 / 3 */
    run(k, mmap_anon(3, D, 4));
    run(k, rec(VMR_REC_WRITE, 3, D)); /* pid 1 is 2 above: its LRU is A2 */
    CHECK_EQ_U64(charged(k, 1), 4);
    run(k, rec(VMR_REC_WRITE, 3, D + PAGE)); /* pids 1 and 2 one above: the older, A3 */
    CHECK_EQ_U64(charged(k, 1), 3);
    CHECK_EQ_U64(charged(k, 2), 4);
    run(k, rec(VMR_REC_WRITE, 3, D + 2 * PAGE)); /* pid 2's surplus, C1 */
    CHECK_EQ_U64(charged(k, 2), 3);
    run(k, rec(VMR_REC_WRITE, 3, D + 3 * PAGE)); /* at its quota: its own D0 */
    CHECK_EQ_U64(charged(k, 3), 3);
    struct vmr_counters t;
    vmr_kernel_totals(k, &t);
    CHECK_EQ_U64(t.evictions, 6);
    /* pid 1 holds A1, A4, A5: re-reading A1 is a hit, A0 a swap-in */
    run(k, rec(VMR_REC_READ, 1, A + 1 * PAGE));
    vmr_kernel_totals(k, &t);
    CHECK_EQ_U64(t.major_faults, 0);
    /* pid 3's pages are its own: freed at exit, nothing orphaned */
    run(k, rec(VMR_REC_EXIT, 3, 0));
    CHECK_EQ_U64(charged(k, 0), 0);
    CHECK_EQ_U64(quota_of(k, 1), 5);
    CHECK_EQ_U64(quota_of(k, 2), 4);
    /* pid 1's A1, A4, A5 are still mapped by pid 2: orphaned */
    run(k, rec(VMR_REC_EXIT, 1, 0));
    CHECK_EQ_U64(charged(k, 0), 3);
    CHECK_EQ_U64(charged(k, 2), 3);
    CHECK_EQ_U64(quota_of(k, 2), 9);
    run(k, mmap_anon(2, E, 4));
    for (int i = 0; i < 3; i++)
        run(k, rec(VMR_REC_WRITE, 2, E + i * PAGE)); /* 3 free frames */
    CHECK_EQ_U64(charged(k, 0), 3);
    run(k, rec(VMR_REC_WRITE, 2, E + 3 * PAGE)); /* the orphans go first */
    CHECK_EQ_U64(charged(k, 0), 2);
    CHECK_EQ_U64(charged(k, 2), 7);
    vmr_kernel_destroy(k);
}

static void test_quota_parse(void)
{
    static const char *const bad[] = {
        "", "1", "=5p", "1=", "x=5p", "1=0p", "1=5p,1=6p", "1=5q", "1=5p,", "1=100", "1=p", "-1=5p",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct vmr_quota *q = NULL;
        size_t n = 0;
        char err[256] = "";
        int rc = vmr_quota_parse(bad[i], PAGE, &q, &n, err, sizeof err);
        if (rc != VMR_EINVAL || !strstr(err, "--quota")) {
            fprintf(stderr, "quota '%s': rc %d, message '%s'\n", bad[i], rc, err);
            vmr_test_failures++;
        }
        free(q);
    }
    struct vmr_quota *q = NULL;
    size_t n = 0;
    char err[256];
    CHECK(vmr_quota_parse("1=5p,2=8K+30=1M", PAGE, &q, &n, err, sizeof err) == 0);
    CHECK_EQ_U64(n, 3);
    if (n == 3) {
        CHECK_EQ_U64(q[0].pid, 1);
        CHECK_EQ_U64(q[0].pages, 5);
        CHECK_EQ_U64(q[1].pid, 2);
        CHECK_EQ_U64(q[1].pages, 2);
        CHECK_EQ_U64(q[2].pid, 30);
        CHECK_EQ_U64(q[2].pages, 256);
    }
    free(q);
    /* quotas above memory are refused when the kernel is made */
    struct vmr_kernel_config cfg = {.page_size = PAGE,
                                    .n_frames = 10,
                                    .swap_pages = VMR_SWAP_UNLIMITED,
                                    .policy = "lru",
                                    .scope = VMR_SCOPE_LOCAL,
                                    .quota = "1=6p,2=5p"};
    struct vmr_kernel *k = NULL;
    CHECK(vmr_kernel_create(&k, &cfg, err, sizeof err) == VMR_EINVAL);
    CHECK(strstr(err, "11 pages") && strstr(err, "10"));
    CHECK(k == NULL);
    cfg.quota = "1=6p,2=4p"; /* exactly memory: fine */
    CHECK(vmr_kernel_create(&k, &cfg, err, sizeof err) == 0);
    vmr_kernel_destroy(k);
}

/* ---- every policy, through vmr_replay_run --------------------------------- */

#define N_TOUCH 6000

/* pid 1: a hot set, a loop and a scan over 64 pages; pid 2 (when `other`
 * is 1 or 2) touches, at the same moments, either 200 pages at random or
 * 3 pages over and over. Reads only, so evictions cost no write. */
static const char *make_trace(int other)
{
    size_t cap = 64 * (2 * N_TOUCH + 16), len = 0;
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
    len += (size_t)snprintf(buf + len, cap - len, "mmap 1 0x10000000 256K r-- private,anon\n");
    if (other)
        len += (size_t)snprintf(buf + len, cap - len, "mmap 2 0x20000000 800K r-- private,anon\n");
    struct vmr_rng g, h;
    vmr_rng_seed(&g, 7);
    vmr_rng_seed(&h, 11);
    for (size_t i = 0; i < N_TOUCH; i++) {
        uint64_t r = vmr_rng_below(&g, 10);
        uint64_t page = r < 5 ? vmr_rng_below(&g, 12) : r < 8 ? 12 + i % 30 : vmr_rng_below(&g, 64);
        len += (size_t)snprintf(buf + len, cap - len, "r 1 0x%llx\n",
                                (unsigned long long)(0x10000000ULL + page * PAGE));
        if (other) {
            uint64_t q = other == 1 ? vmr_rng_below(&h, 200) : i % 3;
            len += (size_t)snprintf(buf + len, cap - len, "r 2 0x%llx\n",
                                    (unsigned long long)(0x20000000ULL + q * PAGE));
        }
    }
    const char *path = vmr_test_write_tmp(".txt", buf);
    free(buf);
    return path;
}

static int replay(const char *trace, const char *policy, const char *memory, const char *scope,
                  const char *quota, struct vmr_counters *total, struct vmr_counters *pid1)
{
    struct vmr_replay_config cfg;
    vmr_replay_config_init(&cfg);
    char err[512];
    cfg.trace_path = trace;
    if (vmr_replay_config_set(&cfg, "policy", policy, err, sizeof err) != 0 ||
        vmr_replay_config_set(&cfg, "memory", memory, err, sizeof err) != 0 ||
        vmr_replay_config_set(&cfg, "scope", scope, err, sizeof err) != 0 ||
        (quota && vmr_replay_config_set(&cfg, "quota", quota, err, sizeof err) != 0)) {
        fprintf(stderr, "%s: %s\n", policy, err);
        return -1;
    }
    struct vmr_replay_result *res;
    if (vmr_replay_run(&cfg, &res, err, sizeof err) != 0) {
        fprintf(stderr, "%s %s: %s\n", policy, scope, err);
        return -1;
    }
    const struct vmr_run_report *rep = vmr_replay_report(res);
    *total = rep->total;
    memset(pid1, 0, sizeof *pid1);
    for (size_t i = 0; i < rep->n_procs; i++)
        if (rep->procs[i].pid == 1)
            *pid1 = rep->procs[i].c;
    vmr_replay_result_destroy(res);
    return 0;
}

static void test_policies(void)
{
    char alone[4096], thrash_path[4096], calm_path[4096];
    snprintf(alone, sizeof alone, "%s", make_trace(0));
    snprintf(thrash_path, sizeof thrash_path, "%s", make_trace(1));
    snprintf(calm_path, sizeof calm_path, "%s", make_trace(2));
    size_t n;
    const struct vmr_policy_ops *const *ops = vmr_policy_builtins(&n);
    for (size_t i = 0; i < n; i++) {
        const char *name = ops[i]->name;
        struct vmr_counters g, l, p1, t, c, tp1, cp1;
        /* one process: its instance is the only one, its quota all memory */
        if (replay(alone, name, "24p", "global", NULL, &g, &p1) != 0 ||
            replay(alone, name, "24p", "local", NULL, &l, &p1) != 0) {
            vmr_test_failures++;
            continue;
        }
        if (memcmp(&g, &l, sizeof g) != 0 || g.evictions == 0) {
            fprintf(stderr, "%s: one process: global %llu faults, local %llu\n", name,
                    (unsigned long long)(g.major_faults + g.minor_faults),
                    (unsigned long long)(l.major_faults + l.minor_faults));
            vmr_test_failures++;
        }
        /* two processes, 20 + 12 frames: pid 1's faults are the same
         * whether pid 2 thrashes or idles */
        if (replay(thrash_path, name, "32p", "local", "1=20p", &t, &tp1) != 0 ||
            replay(calm_path, name, "32p", "local", "1=20p", &c, &cp1) != 0) {
            vmr_test_failures++;
            continue;
        }
        if (memcmp(&tp1, &cp1, sizeof tp1) != 0 || t.evictions <= c.evictions ||
            tp1.evictions == 0) {
            fprintf(stderr,
                    "%s: pid 1 faults %llu (evictions %llu) beside a thrashing pid 2, %llu (%llu) "
                    "beside a calm one\n",
                    name, (unsigned long long)(tp1.major_faults + tp1.minor_faults),
                    (unsigned long long)tp1.evictions,
                    (unsigned long long)(cp1.major_faults + cp1.minor_faults),
                    (unsigned long long)cp1.evictions);
            vmr_test_failures++;
        }
    }
}

int main(void)
{
    test_equal_split();
    test_charging();
    test_quota_parse();
    test_policies();
    return vmr_test_done();
}
