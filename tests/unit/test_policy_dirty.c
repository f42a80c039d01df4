/*
 * test_policy_dirty.c - through the real simulated kernel, for every
 * registered policy: a dirty page costs exactly one write when its frame is
 * reclaimed (a swap-out for anonymous memory, a write-back for a shared
 * file mapping), and a clean page costs none, whichever page the policy
 * picks. Each run touches pages of one kind in a seeded random order with
 * repeats, on fewer frames than pages, so every policy evicts:
 *   - anonymous, every access a write: every evicted page is dirty, so
 *     swap_outs == evictions;
 *   - private file mapping, reads only: clean, so no swap-out and no
 *     write-back, however many evictions;
 *   - shared file mapping, every access a write: writebacks == evictions.
 */
#include "rng.h"
#include "testlib.h"
#include "vmreplay/kernel.h"

#define PAGE  4096u
#define PAGES 64u
#define BASE  0x100000ULL

enum shape { ANON_WRITES, FILE_READS, SHARED_WRITES };

static struct vmr_record rec(unsigned kind)
{
    struct vmr_record r = {0};
    r.kind = (uint8_t)kind;
    r.pid = 1;
    r.count = 1;
    r.size = 1;
    return r;
}

static void run(const char *policy, enum shape shape, uint32_t frames, uint64_t seed)
{
    struct vmr_kernel_config cfg = {.page_size = PAGE,
                                    .n_frames = frames,
                                    .swap_pages = VMR_SWAP_UNLIMITED,
                                    .policy = policy,
                                    .seed = seed,
                                    .on_segv = VMR_SEGV_IGNORE};
    struct vmr_kernel *k;
    char err[512];
    if (vmr_kernel_create(&k, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", policy, err);
        vmr_test_failures++;
        return;
    }
    struct vmr_record setup[2] = {rec(VMR_REC_FILE), rec(VMR_REC_MMAP)};
    setup[0].pid = 0;
    setup[0].arg = 1;
    setup[0].off = PAGES * PAGE;
    setup[0].str = "/data/f";
    setup[1].addr = BASE;
    setup[1].len = PAGES * PAGE;
    setup[1].prot = VMR_PROT_READ | VMR_PROT_WRITE;
    setup[1].flags = shape == ANON_WRITES  ? VMR_MAP_PRIVATE | VMR_MAP_ANON
                     : shape == FILE_READS ? VMR_MAP_PRIVATE
                                           : VMR_MAP_SHARED;
    setup[1].arg = shape == ANON_WRITES ? 0 : 1;
    size_t failed;
    CHECK(vmr_kernel_run(k, setup, 2, &failed) == 0);
    struct vmr_rng g;
    vmr_rng_seed(&g, seed);
    uint64_t hot = 0;
    for (int i = 0; i < 3000; i++) {
        struct vmr_record r = rec(shape == FILE_READS ? VMR_REC_READ : VMR_REC_WRITE);
        /* some locality, so policies that keep hot pages have something
         * to keep, and many misses */
        uint64_t page = vmr_rng_below(&g, 3) ? (hot + vmr_rng_below(&g, frames)) % PAGES
                                             : vmr_rng_below(&g, PAGES);
        if (i % 97 == 0)
            hot = vmr_rng_below(&g, PAGES);
        r.addr = BASE + page * PAGE + vmr_rng_below(&g, PAGE);
        if (vmr_kernel_run(k, &r, 1, &failed) != 0) {
            fprintf(stderr, "%s: %s\n", policy, vmr_kernel_error(k));
            vmr_test_failures++;
            break;
        }
    }
    if (vmr_kernel_check(k, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", policy, err);
        vmr_test_failures++;
    }
    struct vmr_counters t;
    vmr_kernel_totals(k, &t);
    int before = vmr_test_failures;
    CHECK(t.evictions > 100);
    switch (shape) {
    case ANON_WRITES:
        CHECK_EQ_U64(t.swap_outs, t.evictions);
        CHECK_EQ_U64(t.writebacks, 0);
        break;
    case FILE_READS:
        CHECK_EQ_U64(t.swap_outs, 0);
        CHECK_EQ_U64(t.writebacks, 0);
        break;
    case SHARED_WRITES:
        CHECK_EQ_U64(t.writebacks, t.evictions);
        CHECK_EQ_U64(t.swap_outs, 0);
        break;
    }
    if (vmr_test_failures != before)
        fprintf(stderr,
                "policy %s, shape %d, %u frames, seed %llu: evictions %llu swap_outs "
                "%llu writebacks %llu\n",
                policy, (int)shape, (unsigned)frames, (unsigned long long)seed,
                (unsigned long long)t.evictions, (unsigned long long)t.swap_outs,
                (unsigned long long)t.writebacks);
    vmr_kernel_destroy(k);
}

int main(void)
{
    size_t n;
    const struct vmr_policy_ops *const *ops = vmr_policy_builtins(&n);
    for (size_t i = 0; i < n; i++)
        for (uint64_t seed = 1; seed <= 3; seed++)
            for (int shape = ANON_WRITES; shape <= SHARED_WRITES; shape++)
                run(ops[i]->name, (enum shape)shape, 5 + 7 * (uint32_t)seed, seed);
    return vmr_test_done();
}
