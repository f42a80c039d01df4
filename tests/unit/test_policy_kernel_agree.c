/*
 * test_policy_kernel_agree.c - a policy sees the same protocol through the
 * simulated kernel as through the policy harness: on a page string of one
 * process's private anonymous area (reads only, so no page is ever dirty
 * and every fault is exactly one load), every built-in policy gives the
 * same number of faults both ways. This catches a kernel that forgets a
 * callback the harness makes (on_miss for ARC and WSClock, on_hit, the
 * order of select_victim / on_evict / on_insert) or passes other keys.
 * OPT is left out: the kernel's oracle counts page touches of the whole
 * trace, the harness its own string; test_policy_traces covers OPT.
 */
#include "policy_harness.h"
#include "rng.h"
#include "testlib.h"
#include "vmreplay/kernel.h"

#define PAGE    4096u
#define N_PAGES 400
#define N_TOUCH 20000
#define BASE    0x10000000ULL

static uint64_t pages[N_TOUCH];

static uint64_t faults_harness(const char *spec, uint32_t frames)
{
    struct vmr_ph *h;
    char err[256];
    if (vmr_ph_create(&h, spec, frames, 1, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", spec, err);
        vmr_test_failures++;
        return 0;
    }
    for (size_t i = 0; i < N_TOUCH; i++)
        CHECK(vmr_ph_access(h, pages[i], 0, UINT64_MAX) >= 0);
    uint64_t f = vmr_ph_stats(h)->faults;
    vmr_ph_destroy(h);
    return f;
}

static uint64_t faults_kernel(const char *spec, uint32_t frames)
{
    struct vmr_kernel_config cfg = {.page_size = PAGE,
                                    .n_frames = frames,
                                    .swap_pages = VMR_SWAP_UNLIMITED,
                                    .policy = spec,
                                    .seed = 1};
    struct vmr_kernel *k;
    char err[256];
    if (vmr_kernel_create(&k, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", spec, err);
        vmr_test_failures++;
        return 0;
    }
    struct vmr_record setup[2] = {
        {.kind = VMR_REC_FILE, .arg = 1, .off = (uint64_t)N_PAGES * PAGE, .str = "/data/f"},
        {.kind = VMR_REC_MMAP,
         .pid = 1,
         .addr = BASE,
         .len = (uint64_t)N_PAGES * PAGE,
         .prot = VMR_PROT_READ,
         .flags = VMR_MAP_PRIVATE,
         .arg = 1}};
    size_t failed;
    CHECK(vmr_kernel_run(k, setup, 2, &failed) == 0);
    static struct vmr_record recs[N_TOUCH];
    for (size_t i = 0; i < N_TOUCH; i++)
        recs[i] = (struct vmr_record){
            .kind = VMR_REC_READ, .pid = 1, .addr = BASE + pages[i] * PAGE, .size = 8, .count = 1};
    CHECK(vmr_kernel_run(k, recs, N_TOUCH, &failed) == 0);
    struct vmr_counters c;
    vmr_kernel_totals(k, &c);
    vmr_kernel_destroy(k);
    CHECK_EQ_U64(c.minor_faults, 0);
    return c.major_faults;
}

int main(void)
{
    /* a skewed mix of a hot set, a loop and scans: every policy differs */
    struct vmr_rng g;
    vmr_rng_seed(&g, 42);
    for (size_t i = 0; i < N_TOUCH; i++) {
        uint64_t r = vmr_rng_below(&g, 10);
        pages[i] = r < 5   ? vmr_rng_below(&g, 40)
                   : r < 8 ? 40 + i % 120
                           : vmr_rng_below(&g, N_PAGES);
    }
    size_t n;
    const struct vmr_policy_ops *const *ops = vmr_policy_builtins(&n);
    for (size_t i = 0; i < n; i++) {
        if (ops[i]->flags & VMR_POLICY_NEEDS_FUTURE)
            continue;
        static const uint32_t sizes[] = {16, 64, 150};
        for (size_t j = 0; j < 3; j++) {
            uint64_t a = faults_harness(ops[i]->name, sizes[j]);
            uint64_t b = faults_kernel(ops[i]->name, sizes[j]);
            if (a != b) {
                fprintf(stderr, "%s with %u frames: harness %llu faults, kernel %llu\n",
                        ops[i]->name, (unsigned)sizes[j], (unsigned long long)a,
                        (unsigned long long)b);
                vmr_test_failures++;
            }
        }
    }
    return vmr_test_done();
}
