/*
 * test_policy_textbook.c - fault counts of FIFO, LRU, OPT and CLOCK on the
 * reference strings of the textbooks, and CLOCK step by step on a string
 * checked by hand.
 */
#include "policy_harness.h"
#include "testlib.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t faults(const char *spec, uint32_t frames, const uint64_t *pages, size_t n)
{
    struct vmr_ph_stats st;
    char err[512] = "";
    int rc = vmr_ph_run(spec, frames, pages, NULL, n, 1, &st, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "%s with %u frames: %s\n", spec, (unsigned)frames, err);
        vmr_test_failures++;
        return UINT64_MAX;
    }
    CHECK_EQ_U64(st.faults + st.hits, n);
    return st.faults;
}

/* Silberschatz et al., "Operating System Concepts", section 10.4. */
static void test_silberschatz(void)
{
    static const uint64_t s[] = {7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1};
    CHECK_EQ_U64(faults("fifo", 3, s, N(s)), 15);
    CHECK_EQ_U64(faults("lru", 3, s, N(s)), 12);
    CHECK_EQ_U64(faults("opt", 3, s, N(s)), 9);
    /* every policy faults exactly once per page when all pages fit */
    CHECK_EQ_U64(faults("fifo", 6, s, N(s)), 6);
    CHECK_EQ_U64(faults("lru", 6, s, N(s)), 6);
    CHECK_EQ_U64(faults("clock", 6, s, N(s)), 6);
    CHECK_EQ_U64(faults("opt", 6, s, N(s)), 6);
    /* one frame: every change of page faults */
    CHECK_EQ_U64(faults("clock", 1, s, N(s)), 20);
    CHECK_EQ_U64(faults("opt", 1, s, N(s)), 20);
}

/* Belady, Nelson & Shedler 1969: FIFO faults more with more frames. */
static void test_belady_anomaly(void)
{
    static const uint64_t s[] = {1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5};
    CHECK_EQ_U64(faults("fifo", 3, s, N(s)), 9);
    CHECK_EQ_U64(faults("fifo", 4, s, N(s)), 10);
    /* stack algorithms do not show it */
    CHECK_EQ_U64(faults("lru", 3, s, N(s)), 10);
    CHECK_EQ_U64(faults("lru", 4, s, N(s)), 8);
    CHECK_EQ_U64(faults("opt", 3, s, N(s)), 7);
    CHECK_EQ_U64(faults("opt", 4, s, N(s)), 6);
}

/*
 * CLOCK, 3 frames, 1 2 3 2 4 1 5 2 3 4. The ring is written oldest first
 * (the hand is on the first), with each page's referenced bit; a loaded
 * page starts with bit 0 (libCacheSim's Clock: freq = 0 on insert).
 *
 *   t0 1 miss  [1:0]
 *   t1 2 miss  [1:0 2:0]
 *   t2 3 miss  [1:0 2:0 3:0]
 *   t3 2 hit   [1:0 2:1 3:0]
 *   t4 4 miss  1:0 is the victim                     -> [2:1 3:0 4:0]
 *   t5 1 miss  2:1 cleared and passed, 3:0 victim    -> [4:0 2:0 1:0]
 *   t6 5 miss  4:0 victim                            -> [2:0 1:0 5:0]
 *   t7 2 hit                                         -> [2:1 1:0 5:0]
 *   t8 3 miss  2:1 cleared and passed, 1:0 victim    -> [5:0 2:0 3:0]
 *   t9 4 miss  5:0 victim                            -> [2:0 3:0 4:0]
 *
 * 8 faults. A CLOCK whose new pages start referenced gives 9 here (its t4
 * clears all three bits and evicts 1, then evicts 2 at t5), and so do FIFO
 * and LRU.
 */
static void test_clock_by_hand(void)
{
    static const uint64_t s[] = {1, 2, 3, 2, 4, 1, 5, 2, 3, 4};
    static const int fault[] = {1, 1, 1, 0, 1, 1, 1, 0, 1, 1};
    /* resident pages after each step, as a bit mask over pages 1..5 */
    static const unsigned resident[] = {
        1u << 1,
        1u << 1 | 1u << 2,
        1u << 1 | 1u << 2 | 1u << 3,
        1u << 1 | 1u << 2 | 1u << 3,
        1u << 2 | 1u << 3 | 1u << 4,
        1u << 4 | 1u << 2 | 1u << 1,
        1u << 2 | 1u << 1 | 1u << 5,
        1u << 2 | 1u << 1 | 1u << 5,
        1u << 5 | 1u << 2 | 1u << 3,
        1u << 2 | 1u << 3 | 1u << 4,
    };
    struct vmr_ph *h;
    char err[512];
    int rc = vmr_ph_create(&h, "clock", 3, 1, err, sizeof err);
    CHECK(rc == 0);
    if (rc != 0)
        return;
    vmr_ph_set_paranoid(h, 1);
    for (size_t t = 0; t < N(s); t++) {
        rc = vmr_ph_access(h, s[t], 0, UINT64_MAX);
        if (rc < 0) {
            fprintf(stderr, "%s\n", vmr_ph_error(h));
            vmr_test_failures++;
            break;
        }
        if (rc != fault[t])
            fprintf(stderr, "clock step t%zu (page %llu)\n", t, (unsigned long long)s[t]);
        CHECK_EQ_U64(rc, fault[t]);
        unsigned got = 0;
        for (uint64_t p = 1; p <= 5; p++)
            if (vmr_ph_frame_of(h, p) >= 0)
                got |= 1u << p;
        if (got != resident[t])
            fprintf(stderr, "clock step t%zu: resident 0x%x, expected 0x%x\n", t, got, resident[t]);
        CHECK_EQ_U64(got, resident[t]);
    }
    CHECK_EQ_U64(vmr_ph_stats(h)->faults, 8);
    /* the hand cleared a bit at t5 and at t8 */
    const struct vmr_policy *pol = vmr_ph_policy(h);
    struct vmr_policy_counter c[4];
    CHECK(pol->ops->report && pol->ops->report(pol->state, c, 4) == 1);
    CHECK_STR(c[0].name, "second_chances");
    CHECK_EQ_U64(c[0].value, 2);
    vmr_ph_destroy(h);
    CHECK_EQ_U64(faults("clock", 3, s, N(s)), 8);
    CHECK_EQ_U64(faults("fifo", 3, s, N(s)), 9);
    CHECK_EQ_U64(faults("lru", 3, s, N(s)), 9);
}

/* Writes only make pages dirty: the victims, and so the faults, stay the
 * same, and each dirty victim counts one write-back. */
static void test_writebacks(void)
{
    static const uint64_t s[] = {1, 2, 3, 1, 4, 5};
    static const uint8_t w[] = {1, 0, 1, 0, 0, 0};
    struct vmr_ph_stats st;
    char err[512];
    CHECK(vmr_ph_run("lru", 3, s, w, N(s), 1, &st, err, sizeof err) == 0);
    /* LRU evicts 2 (clean) for 4, then 3 (dirty) for 5 */
    CHECK_EQ_U64(st.faults, 5);
    CHECK_EQ_U64(st.evictions, 2);
    CHECK_EQ_U64(st.writebacks, 1);
    CHECK(vmr_ph_run("fifo", 3, s, w, N(s), 1, &st, err, sizeof err) == 0);
    /* FIFO evicts 1 (dirty) then 2 (clean) */
    CHECK_EQ_U64(st.faults, 5);
    CHECK_EQ_U64(st.writebacks, 1);
}

int main(void)
{
    test_silberschatz();
    test_belady_anomaly();
    test_clock_by_hand();
    test_writebacks();
    return vmr_test_done();
}
