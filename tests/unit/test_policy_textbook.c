/*
 * test_policy_textbook.c - fault counts of FIFO, LRU, OPT and CLOCK on the
 * reference strings of the textbooks; CLOCK, LFU and ARC step by step on
 * strings checked by hand; LIRS on the worked example of its paper.
 */
#include <string.h>

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

/* Replays s through `spec` on `frames` frames, checking after each step
 * the fault flag and the resident set (a bit mask over pages 0..31).
 * Returns the harness for further checks (or NULL after a failure). */
static struct vmr_ph *steps(const char *spec, uint32_t frames, const uint64_t *s, const int *fault,
                            const unsigned *resident, size_t n)
{
    struct vmr_ph *h;
    char err[512];
    if (vmr_ph_create(&h, spec, frames, 1, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", spec, err);
        vmr_test_failures++;
        return NULL;
    }
    vmr_ph_set_paranoid(h, 1);
    for (size_t t = 0; t < n; t++) {
        int rc = vmr_ph_access(h, s[t], 0, UINT64_MAX);
        if (rc < 0) {
            fprintf(stderr, "%s: %s\n", spec, vmr_ph_error(h));
            vmr_test_failures++;
            vmr_ph_destroy(h);
            return NULL;
        }
        unsigned got = 0;
        for (uint64_t p = 0; p < 32; p++)
            if (vmr_ph_frame_of(h, p) >= 0)
                got |= 1u << p;
        if (rc != fault[t] || got != resident[t])
            fprintf(stderr, "%s step t%zu (page %llu): fault %d resident 0x%x, expected %d 0x%x\n",
                    spec, t, (unsigned long long)s[t], rc, got, fault[t], resident[t]);
        CHECK_EQ_U64(rc, fault[t]);
        CHECK_EQ_U64(got, resident[t]);
    }
    return h;
}

static uint64_t counter(const struct vmr_ph *h, const char *name)
{
    const struct vmr_policy *pol = vmr_ph_policy(h);
    struct vmr_policy_counter c[16];
    size_t n = pol->ops->report ? pol->ops->report(pol->state, c, 16) : 0;
    for (size_t i = 0; i < n && i < 16; i++)
        if (strcmp(c[i].name, name) == 0)
            return c[i].value;
    fprintf(stderr, "no counter %s\n", name);
    vmr_test_failures++;
    return UINT64_MAX;
}

#define B(p) (1u << (p))

/*
 * LFU, 3 frames; counts in brackets, ties to the page that reached its
 * count first (the least recently used of them):
 *   t0-2  1 2 3 miss                  1[1] 2[1] 3[1]
 *   t3-5  1 1 2 hit                   1[3] 2[2] 3[1]
 *   t6    4 miss, 3 (count 1) goes    1[3] 2[2] 4[1]
 *   t7    5 miss, 4 goes              1[3] 2[2] 5[1]
 *   t8    2 hit                       1[3] 2[3] 5[1]
 *   t9    4 miss, 5 goes              1[3] 2[3] 4[1]
 *   t10   2 hit: 2 reaches 4 first    1[3] 2[4] 4[1]
 *   t11   3 miss, 4 goes; t12 5 miss, 3 goes
 *   t13   1 hit: 1 reaches 4          1[4] 2[4] 5[1]
 *   t14   4 miss, 5 goes; t15 6 miss, 4 goes
 *   t16-18 6 6 6 hit: 6 reaches 4 last
 *   t19   7 miss: 1, 2, 6 all at 4; 2 got there first and goes (the lowest
 *         frame would be 1's, the most recent 6)
 *   t20   2 miss, 7 (count 1) goes: 2's old count was forgotten
 *   t21   7 miss, 2 (count 1 again) goes
 */
static void test_lfu_by_hand(void)
{
    static const uint64_t s[] = {1, 2, 3, 1, 1, 2, 4, 5, 2, 4, 2, 3, 5, 1, 4, 6, 6, 6, 6, 7, 2, 7};
    static const int fault[] = {1, 1, 1, 0, 0, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 1, 0, 0, 0, 1, 1, 1};
    static const unsigned resident[] = {
        B(1),
        B(1) | B(2),
        B(1) | B(2) | B(3),
        B(1) | B(2) | B(3),
        B(1) | B(2) | B(3),
        B(1) | B(2) | B(3),
        B(1) | B(2) | B(4),
        B(1) | B(2) | B(5),
        B(1) | B(2) | B(5),
        B(1) | B(2) | B(4),
        B(1) | B(2) | B(4),
        B(1) | B(2) | B(3),
        B(1) | B(2) | B(5),
        B(1) | B(2) | B(5),
        B(1) | B(2) | B(4),
        B(1) | B(2) | B(6),
        B(1) | B(2) | B(6),
        B(1) | B(2) | B(6),
        B(1) | B(2) | B(6),
        B(1) | B(6) | B(7),
        B(1) | B(6) | B(2),
        B(1) | B(6) | B(7),
    };
    struct vmr_ph *h = steps("lfu", 3, s, fault, resident, N(s));
    if (h) {
        CHECK_EQ_U64(vmr_ph_stats(h)->faults, 13);
        vmr_ph_destroy(h);
    }
}

/*
 * ARC (Megiddo & Modha, FAST 2003, Figure 4), c = 2. The paper gives no
 * worked example, so this one follows its cases by hand (lists LRU first):
 *   t0 1 miss (IV)               T1 [1]
 *   t1 1 hit                     T2 [1]
 *   t2 2 miss (IV)               T1 [2]  T2 [1]
 *   t3 3 miss (IV.B): REPLACE, |T1| = 1 > p = 0: 2 -> B1
 *                                T1 [3]  T2 [1]  B1 [2]
 *   t4 2 miss in B1 (II): p = 1; REPLACE, |T1| = 1 = p, 2 not in B2: T2's 1 -> B2
 *                                T1 [3]  T2 [2]  B2 [1]
 *   t5 1 miss in B2 (III): p = 0; REPLACE, |T1| = 1 > 0: 3 -> B1
 *                                T2 [2 1]  B1 [3]
 *   t6 3 miss in B1 (II): p = 1; REPLACE, |T1| = 0: T2's 2 -> B2
 *                                T2 [1 3]  B2 [2]
 *   t7 4 miss (IV.B): REPLACE, |T1| = 0: T2's 1 -> B2
 *                                T1 [4]  T2 [3]  B2 [2 1]
 *   t8 2 miss in B2 (III): p = 1 - max(0/2, 1) = 0; REPLACE, |T1| = 1 > 0: 4 -> B1
 *                                T2 [3 2]  B1 [4]  B2 [1]
 */
static void test_arc_by_hand(void)
{
    static const uint64_t s[] = {1, 1, 2, 3, 2, 1, 3, 4, 2};
    static const int fault[] = {1, 0, 1, 1, 1, 1, 1, 1, 1};
    static const unsigned resident[] = {
        B(1),        B(1),        B(1) | B(2), B(1) | B(3), B(3) | B(2),
        B(2) | B(1), B(1) | B(3), B(3) | B(4), B(3) | B(2),
    };
    static const uint64_t p_after[] = {0, 0, 0, 0, 1, 0, 1, 1, 0};
    struct vmr_ph *h;
    char err[512];
    if (vmr_ph_create(&h, "arc", 2, 1, err, sizeof err) != 0) {
        fprintf(stderr, "arc: %s\n", err);
        vmr_test_failures++;
        return;
    }
    vmr_ph_set_paranoid(h, 1);
    for (size_t t = 0; t < N(s); t++) {
        int rc = vmr_ph_access(h, s[t], 0, UINT64_MAX);
        unsigned got = 0;
        for (uint64_t p = 0; p < 8; p++)
            if (vmr_ph_frame_of(h, p) >= 0)
                got |= 1u << p;
        uint64_t p = counter(h, "p");
        if (rc != fault[t] || got != resident[t] || p != p_after[t])
            fprintf(stderr, "arc t%zu: fault %d resident 0x%x p %llu\n", t, rc, got,
                    (unsigned long long)p);
        CHECK_EQ_U64(rc, fault[t]);
        CHECK_EQ_U64(got, resident[t]);
        CHECK_EQ_U64(p, p_after[t]);
    }
    CHECK_EQ_U64(counter(h, "b1_hits"), 2);
    CHECK_EQ_U64(counter(h, "b2_hits"), 2);
    CHECK_EQ_U64(counter(h, "ghosts"), 2);
    vmr_ph_destroy(h);
}

/*
 * LIRS, the worked example of Jiang & Zhang (SIGMETRICS 2002, Table 1 and
 * Figure 3): Llirs = 2, Lhirs = 1 (3 frames: 1% of 3 rounds to 0, and Lhirs
 * is at least 1). Blocks A..F are pages 1..6. The prefix A B C B D A E
 * reaches the paper's state (a): S (bottom to top) = B(LIR) D(HIR,
 * non-resident) A(LIR) E(HIR, resident), Q = [E], C out of S:
 *   A, B miss: both LIR (fewer than Llirs LIR blocks); C miss: resident HIR;
 *   B hit (LIR); D miss: C (Q's front) evicted, stays in S non-resident;
 *   A hit at the bottom: moved up, S pruned (C leaves); E miss: D evicted,
 *   stays in S non-resident.
 * From (a), the paper's four cases, each followed by a miss on F that
 * evicts Q's front, which tells which block was the resident HIR one:
 *   (b) B (LIR) hit: Q still [E]              -> F evicts E: {A B F}
 *   (c) E (resident HIR, in S) hit: E becomes LIR, B goes to Q
 *                                             -> F evicts B: {A E F}
 *   (d) D (non-resident, in S) miss: E evicted; D becomes LIR, B goes to Q
 *                                             -> F evicts B: {A D F}
 *   (e) C (not in S) miss: E evicted; C becomes resident HIR
 *                                             -> F evicts C: {A B F}
 * (LRU would end (d) with {D E F}: it evicts A, then B.)
 */
static void test_lirs_paper(void)
{
    static const uint64_t prefix[] = {1, 2, 3, 2, 4, 1, 5};
    static const int prefix_fault[] = {1, 1, 1, 0, 1, 0, 1};
    static const unsigned prefix_res[] = {
        B(1),
        B(1) | B(2),
        B(1) | B(2) | B(3),
        B(1) | B(2) | B(3),
        B(1) | B(2) | B(4),
        B(1) | B(2) | B(4),
        B(1) | B(2) | B(5),
    };
    struct {
        uint64_t page;
        int fault;
        unsigned after, after_f;
    } cases[] = {
        {2, 0, B(1) | B(2) | B(5), B(1) | B(2) | B(6)}, /* (b) */
        {5, 0, B(1) | B(2) | B(5), B(1) | B(5) | B(6)}, /* (c) */
        {4, 1, B(1) | B(2) | B(4), B(1) | B(4) | B(6)}, /* (d) */
        {3, 1, B(1) | B(2) | B(3), B(1) | B(2) | B(6)}, /* (e) */
    };
    for (size_t c = 0; c < N(cases); c++) {
        uint64_t s[N(prefix) + 2];
        int fault[N(prefix) + 2];
        unsigned res[N(prefix) + 2];
        for (size_t i = 0; i < N(prefix); i++) {
            s[i] = prefix[i];
            fault[i] = prefix_fault[i];
            res[i] = prefix_res[i];
        }
        s[N(prefix)] = cases[c].page;
        fault[N(prefix)] = cases[c].fault;
        res[N(prefix)] = cases[c].after;
        s[N(prefix) + 1] = 6;
        fault[N(prefix) + 1] = 1;
        res[N(prefix) + 1] = cases[c].after_f;
        struct vmr_ph *h = steps("lirs", 3, s, fault, res, N(s));
        if (!h)
            continue;
        CHECK_EQ_U64(counter(h, "lir"), 2);
        vmr_ph_destroy(h);
    }
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
    test_lfu_by_hand();
    test_arc_by_hand();
    test_lirs_paper();
    test_writebacks();
    return vmr_test_done();
}
