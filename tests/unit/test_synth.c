/*
 * test_synth.c - the synthetic trace generator through its public API
 * (vmreplay/synth.h): determinism, exact scan and loop sequences, the shape
 * of Zipf and uniform draws, mixture weights, write fraction, access
 * alignment, the prologue and epilogue per backing, collapsing, metadata,
 * and every kind of bad option. No trace writer involved.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "vmreplay/synth.h"

#define BASE VMR_SYNTH_BASE

struct recs {
    struct vmr_record *v;
    size_t n;
};

/* Generates the whole trace for options given as "key", "value" pairs
 * (NULL-terminated), reading it in batches of `batch` records. */
static struct recs gen_batch(size_t batch, const char *const *opts)
{
    struct vmr_synth_config cfg;
    vmr_synth_config_init(&cfg);
    char err[512];
    for (size_t i = 0; opts[i]; i += 2) {
        int rc = vmr_synth_config_set(&cfg, opts[i], opts[i + 1], err, sizeof err);
        if (rc != 0) {
            fprintf(stderr, "set %s=%s: %s\n", opts[i], opts[i + 1], err);
            exit(1);
        }
    }
    struct vmr_synth *s;
    if (vmr_synth_create(&s, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "create: %s\n", err);
        exit(1);
    }
    struct recs r = {NULL, 0};
    size_t cap = 0;
    for (;;) {
        if (r.n + batch > cap) {
            cap = (r.n + batch) * 2;
            r.v = realloc(r.v, cap * sizeof *r.v);
            if (!r.v)
                exit(1);
        }
        size_t n;
        CHECK(vmr_synth_next(s, r.v + r.n, batch, &n) == 0);
        CHECK(n <= batch);
        if (n == 0)
            break;
        r.n += n;
    }
    vmr_synth_destroy(s);
    return r;
}

static struct recs gen(const char *const *opts)
{
    return gen_batch(1000, opts);
}

static int same_records(struct recs a, struct recs b)
{
    if (a.n != b.n)
        return 0;
    for (size_t i = 0; i < a.n; i++) {
        const struct vmr_record *x = &a.v[i], *y = &b.v[i];
        if (x->addr != y->addr || x->pid != y->pid || x->size != y->size || x->count != y->count ||
            x->kind != y->kind || x->prot != y->prot || x->flags != y->flags || x->len != y->len ||
            x->off != y->off || x->arg != y->arg || x->err != y->err ||
            (x->str == NULL) != (y->str == NULL) || (x->str && strcmp(x->str, y->str) != 0))
            return 0;
    }
    return 1;
}

/* Index of the first access record. */
static size_t first_access(struct recs r)
{
    size_t i = 0;
    while (i < r.n && !vmr_rec_is_access(r.v[i].kind))
        i++;
    return i;
}

static uint64_t page_of(const struct vmr_record *r, uint64_t page_size)
{
    return (r->addr - BASE) / page_size;
}

static void test_determinism(void)
{
    const char *a[] = {"pattern",   "zipf:0.9,uniform@0.5,scan:size=64K",
                       "accesses",  "20000",
                       "processes", "3",
                       "seed",      "42",
                       NULL};
    const char *b[] = {"pattern",   "zipf:0.9,uniform@0.5,scan:size=64K",
                       "accesses",  "20000",
                       "processes", "3",
                       "seed",      "43",
                       NULL};
    struct recs x = gen(a), y = gen(a), z = gen(b), w = gen_batch(1, a), v = gen_batch(7, a);
    CHECK(same_records(x, y));
    CHECK(same_records(x, w)); /* batch size does not matter */
    CHECK(same_records(x, v));
    CHECK(!same_records(x, z));
    /* and not by a hair: most accesses differ */
    size_t differ = 0;
    for (size_t i = 0; i < x.n && i < z.n; i++)
        differ += x.v[i].addr != z.v[i].addr;
    CHECK(differ > x.n / 2);
    free(x.v), free(y.v), free(z.v), free(w.v), free(v.v);

    const char *c[] = {"pattern",  "zipf:2", "footprint", "64K", "accesses", "5000",
                       "collapse", "1",      "processes", "2",   NULL};
    x = gen(c), y = gen_batch(1, c), z = gen_batch(3, c);
    CHECK(same_records(x, y));
    CHECK(same_records(x, z));
    free(x.v), free(y.v), free(z.v);
}

static void test_scan_loop_sequences(void)
{
    /* scan over 8 pages, one access per page, wrapping */
    const char *a[] = {"pattern",     "scan", "footprint",      "32K", "accesses", "20",
                       "access-size", "4096", "write-fraction", "0",   NULL};
    struct recs r = gen(a);
    size_t f = first_access(r);
    CHECK_EQ_U64(r.n - f, 21); /* 20 accesses and exit 1 */
    for (size_t i = 0; i < 20; i++) {
        CHECK_EQ_U64(r.v[f + i].addr, BASE + (i % 8) * 4096);
        CHECK_EQ_U64(r.v[f + i].kind, VMR_REC_READ);
        CHECK_EQ_U64(r.v[f + i].size, 4096);
    }
    free(r.v);

    /* scan restricted to pages 2..4 */
    const char *b[] = {"pattern",     "scan:start=8K:size=12K",
                       "footprint",   "32K",
                       "accesses",    "7",
                       "access-size", "4K",
                       NULL};
    static const uint64_t want_b[] = {2, 3, 4, 2, 3, 4, 2};
    r = gen(b);
    f = first_access(r);
    for (size_t i = 0; i < 7; i++)
        CHECK_EQ_U64(page_of(&r.v[f + i], 4096), want_b[i]);
    free(r.v);

    /* loop over a 3-page window starting at page 1 of a 16-page footprint */
    const char *c[] = {"pattern", "loop:12K:start=4K", "footprint", "64K", "accesses",
                       "8",       "access-size",       "4K",        NULL};
    static const uint64_t want_c[] = {1, 2, 3, 1, 2, 3, 1, 2};
    r = gen(c);
    f = first_access(r);
    for (size_t i = 0; i < 8; i++)
        CHECK_EQ_U64(page_of(&r.v[f + i], 4096), want_c[i]);
    free(r.v);

    /* two sequential components keep their own positions */
    const char *d[] = {"pattern",     "scan:size=8K,loop:4K:start=8K@1000000",
                       "footprint",   "16K",
                       "accesses",    "2000",
                       "access-size", "4K",
                       NULL};
    r = gen(d);
    f = first_access(r);
    uint64_t expect_scan = 0;
    for (size_t i = f; i < r.n && vmr_rec_is_access(r.v[i].kind); i++) {
        uint64_t p = page_of(&r.v[i], 4096);
        if (p < 2) {
            CHECK_EQ_U64(p, expect_scan);
            expect_scan ^= 1;
        } else {
            CHECK_EQ_U64(p, 2);
        }
    }
    free(r.v);
}

static int cmp_desc(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Draws n_samples pages and returns their counts per page (n_pages). */
static uint64_t *page_counts(const char *pattern, uint64_t n_pages, const char *samples,
                             const char *seed)
{
    char fp[32];
    snprintf(fp, sizeof fp, "%" PRIu64, n_pages * 4096);
    const char *o[] = {"pattern", pattern, "footprint", fp,  "accesses",
                       samples,   "seed",  seed,        NULL};
    struct recs r = gen(o);
    uint64_t *cnt = calloc(n_pages, sizeof *cnt);
    for (size_t i = 0; i < r.n; i++) {
        if (!vmr_rec_is_access(r.v[i].kind))
            continue;
        uint64_t p = page_of(&r.v[i], 4096);
        CHECK(p < n_pages);
        if (p < n_pages)
            cnt[p] += r.v[i].count;
    }
    free(r.v);
    return cnt;
}

/* Zipf alpha over n ranks: checks rank1/rank2 ~ 2^alpha and the total
 * variation distance from the theoretical distribution. */
static void check_zipf_counts(uint64_t *cnt, uint64_t n, double alpha, double samples)
{
    double h = 0;
    for (uint64_t k = 1; k <= n; k++)
        h += pow((double)k, -alpha);
    double ratio = (double)cnt[0] / (double)cnt[1];
    double want = pow(2, alpha);
    if (fabs(ratio / want - 1) > 0.03) {
        fprintf(stderr, "zipf %.2f: rank1/rank2 = %.4f, expected %.4f\n", alpha, ratio, want);
        vmr_test_failures++;
    }
    /* the TV distance sampling noise alone gives: E|q - p| = sqrt(2 p (1-p)
     * / (pi N)) per rank; a wrong sampler is far above it */
    double tv = 0, noise = 0, max_rel_top = 0;
    for (uint64_t k = 0; k < n; k++) {
        double p = pow((double)(k + 1), -alpha) / h, q = (double)cnt[k] / samples;
        tv += fabs(p - q) / 2;
        noise += sqrt(2 * p * (1 - p) / (M_PI * samples)) / 2;
        if (k < 10 && fabs(q / p - 1) > max_rel_top)
            max_rel_top = fabs(q / p - 1);
    }
    if (tv > 1.2 * noise || max_rel_top > 0.02) {
        fprintf(stderr,
                "zipf %.2f: TV distance %.4f (noise %.4f), worst top-10 relative error "
                "%.4f\n",
                alpha, tv, noise, max_rel_top);
        vmr_test_failures++;
    }
}

static void test_zipf_shape(void)
{
    /* rank order: page k is rank k+1 */
    uint64_t *cnt = page_counts("zipf:1:order=rank", 1000, "1M", "7");
    check_zipf_counts(cnt, 1000, 1.0, 1e6);
    free(cnt);
    cnt = page_counts("zipf:0.6:order=rank", 1000, "1M", "8");
    check_zipf_counts(cnt, 1000, 0.6, 1e6);
    free(cnt);

    /* scattered (the default): the same shape once sorted, but the hot pages
     * are not the first pages */
    cnt = page_counts("zipf:1", 1000, "1M", "7");
    uint64_t top_in_first_10 = 0;
    for (int k = 0; k < 10; k++)
        top_in_first_10 += cnt[k] > 10000; /* rank 10 alone has ~13k */
    CHECK(top_in_first_10 < 5);
    qsort(cnt, 1000, sizeof *cnt, cmp_desc);
    check_zipf_counts(cnt, 1000, 1.0, 1e6);
    free(cnt);

    /* another seed scatters differently */
    uint64_t *a = page_counts("zipf:1.5", 1000, "10000", "1");
    uint64_t *b = page_counts("zipf:1.5", 1000, "10000", "2");
    uint64_t hot_a = 0, hot_b = 0;
    for (uint64_t k = 1; k < 1000; k++) {
        hot_a = a[k] > a[hot_a] ? k : hot_a;
        hot_b = b[k] > b[hot_b] ? k : hot_b;
    }
    CHECK(hot_a != hot_b);
    free(a), free(b);

    /* alpha 0 is uniform: every page about equally likely */
    cnt = page_counts("zipf:0", 10, "100000", "3");
    for (int k = 0; k < 10; k++)
        CHECK(cnt[k] > 9500 && cnt[k] < 10500);
    free(cnt);
}

static void test_zipf_large_span(void)
{
    /* 2^23 pages: beyond the whole-span alias table; head ranks from a
     * table, the tail by rejection-inversion, then the permutation */
    const char *o[] = {
        "pattern", "zipf:1.1:order=rank", "footprint", "32G", "accesses", "200000", "seed", "5",
        NULL};
    struct recs r = gen(o);
    uint64_t n_pages = UINT64_C(1) << 23, c1 = 0, c2 = 0, total = 0, tail = 0, far = 0;
    for (size_t i = 0; i < r.n; i++) {
        if (!vmr_rec_is_access(r.v[i].kind))
            continue;
        uint64_t p = page_of(&r.v[i], 4096);
        CHECK(p < n_pages);
        c1 += p == 0;
        c2 += p == 1;
        tail += p >= (1u << 20);
        far += p >= (1u << 22);
        total++;
    }
    double h = 0, h_tail = 0, h_far = 0;
    for (uint64_t k = n_pages; k >= 1; k--) {
        double p = pow((double)k, -1.1);
        h += p;
        h_tail += k > (1u << 20) ? p : 0;
        h_far += k > (1u << 22) ? p : 0;
    }
    double p1 = 1 / h;
    /* the head/tail split is weighted right, and the tail has its shape */
    CHECK(fabs((double)tail / (double)total / (h_tail / h) - 1) < 0.03);
    CHECK(fabs((double)far / (double)total / (h_far / h) - 1) < 0.05);
    CHECK(fabs((double)c1 / (double)total / p1 - 1) < 0.03);
    CHECK(fabs((double)c1 / (double)c2 / pow(2, 1.1) - 1) < 0.05);
    free(r.v);

    const char *s[] = {"pattern", "zipf:1.1", "footprint", "32G", "accesses", "100000", NULL};
    r = gen(s);
    uint64_t low = 0;
    for (size_t i = 0; i < r.n; i++)
        if (vmr_rec_is_access(r.v[i].kind)) {
            uint64_t p = page_of(&r.v[i], 4096);
            CHECK(p < n_pages);
            low += p < 16;
        }
    CHECK(low < 1000); /* the hot ranks were moved away from the start */
    free(r.v);
}

static void test_uniform_chi_square(void)
{
    uint64_t *cnt = page_counts("uniform", 100, "1M", "11");
    double e = 1e6 / 100, chi2 = 0;
    for (int k = 0; k < 100; k++)
        chi2 += ((double)cnt[k] - e) * ((double)cnt[k] - e) / e;
    /* 99 degrees of freedom: mean 99, sd 14; 200 is beyond p = 1e-8 */
    if (!(chi2 < 200)) {
        fprintf(stderr, "uniform chi-square %.1f\n", chi2);
        vmr_test_failures++;
    }
    CHECK(chi2 > 20); /* too perfect is suspicious too */
    free(cnt);

    /* a restricted uniform stays inside its span */
    cnt = page_counts("uniform:start=40K:size=20K", 100, "10000", "1");
    for (int k = 0; k < 100; k++)
        CHECK((k >= 10 && k < 15) ? cnt[k] > 1500 : cnt[k] == 0);
    free(cnt);
}

static void test_mixture_weights(void)
{
    /* page 0 only from the scan component (weight 3), pages 1..15 only from
     * the uniform one (weight 1) */
    uint64_t *cnt = page_counts("scan:size=4K@3,uniform:start=4K", 16, "400000", "9");
    double frac0 = (double)cnt[0] / 400000;
    CHECK(fabs(frac0 - 0.75) < 0.005);
    free(cnt);
    cnt = page_counts("uniform:size=4K@0.5,uniform:start=4K:size=4K@1.5,uniform:start=8K@2", 16,
                      "400000", "10");
    CHECK(fabs((double)cnt[0] / 400000 - 0.125) < 0.004);
    CHECK(fabs((double)cnt[1] / 400000 - 0.375) < 0.004);
    free(cnt);
}

static void test_write_fraction(void)
{
    const char *wf[] = {"0", "0.3", "1", "0.999"};
    double want[] = {0, 0.3, 1, 0.999};
    for (int t = 0; t < 4; t++) {
        const char *o[] = {"write-fraction", wf[t], "accesses", "200000", NULL};
        struct recs r = gen(o);
        uint64_t w = 0, n = 0;
        for (size_t i = 0; i < r.n; i++)
            if (vmr_rec_is_access(r.v[i].kind)) {
                CHECK(r.v[i].kind == VMR_REC_READ || r.v[i].kind == VMR_REC_WRITE);
                w += r.v[i].kind == VMR_REC_WRITE;
                n++;
            }
        CHECK_EQ_U64(n, 200000);
        double got = (double)w / (double)n;
        if (want[t] == 0 || want[t] == 1)
            CHECK(got == want[t]);
        else
            CHECK(fabs(got - want[t]) < 0.004);
        free(r.v);
    }
}

static void test_access_size(void)
{
    const char *sizes[] = {"1", "8", "64", "4096"};
    for (int t = 0; t < 4; t++) {
        uint64_t size = strtoull(sizes[t], NULL, 10);
        const char *o[] = {"access-size", sizes[t], "footprint", "1M",
                           "accesses",    "50000",  "pattern",   "uniform,zipf:1.2,scan,loop:64K",
                           NULL};
        struct recs r = gen(o);
        uint64_t offsets_seen[64] = {0};
        for (size_t i = 0; i < r.n; i++) {
            const struct vmr_record *a = &r.v[i];
            if (!vmr_rec_is_access(a->kind))
                continue;
            CHECK_EQ_U64(a->size, size);
            CHECK_EQ_U64(a->count, 1);
            CHECK(a->addr >= BASE && a->addr + a->size <= BASE + (1u << 20));
            CHECK(a->addr % size == 0);
            offsets_seen[((a->addr - BASE) % 4096) / size % 64] = 1;
        }
        uint64_t distinct = 0;
        for (int k = 0; k < 64; k++)
            distinct += offsets_seen[k];
        /* offsets within the page are random: all 64 buckets hit, or the
         * only one there is */
        CHECK_EQ_U64(distinct, size == 4096 ? 1 : 64);
        free(r.v);
    }
    /* a page size other than 4096 */
    const char *o[] = {"page-size", "64K",  "access-size", "16K",  "footprint", "1M",
                       "accesses",  "1000", "pattern",     "scan", NULL};
    struct recs r = gen(o);
    size_t f = first_access(r);
    for (size_t i = 0; i < 20; i++) {
        CHECK_EQ_U64((r.v[f + i].addr - BASE) >> 16, i % 16);
        CHECK(r.v[f + i].addr % 16384 == 0);
    }
    free(r.v);
}

static void check_prologue(const char *backing, unsigned nproc)
{
    char np[16];
    snprintf(np, sizeof np, "%u", nproc);
    const char *o[] = {"backing", backing,    "processes", np,  "footprint",
                       "256K",    "accesses", "30000",     NULL};
    struct recs r = gen(o);
    size_t i = 0;
    int file = strcmp(backing, "anon") != 0;
    if (file) {
        CHECK_EQ_U64(r.v[0].kind, VMR_REC_FILE);
        CHECK_EQ_U64(r.v[0].arg, VMR_SYNTH_FILE_ID);
        CHECK_EQ_U64(r.v[0].off, 256 * 1024);
        CHECK_STR(r.v[0].str, VMR_SYNTH_FILE_PATH);
        i = 1;
    }
    const struct vmr_record *m = &r.v[i++];
    CHECK_EQ_U64(m->kind, VMR_REC_MMAP);
    CHECK_EQ_U64(m->pid, 1);
    CHECK_EQ_U64(m->addr, BASE);
    CHECK_EQ_U64(m->len, 256 * 1024);
    CHECK_EQ_U64(m->prot, VMR_PROT_READ | VMR_PROT_WRITE);
    CHECK_EQ_U64(m->off, 0);
    CHECK_EQ_U64(m->err, 0);
    if (strcmp(backing, "anon") == 0) {
        CHECK_EQ_U64(m->flags, VMR_MAP_PRIVATE | VMR_MAP_ANON);
        CHECK_EQ_U64(m->arg, 0);
    } else {
        CHECK_EQ_U64(m->flags, strcmp(backing, "shared") == 0 ? VMR_MAP_SHARED : VMR_MAP_PRIVATE);
        CHECK_EQ_U64(m->arg, VMR_SYNTH_FILE_ID);
    }
    for (unsigned k = 2; k <= nproc; k++, i++) {
        CHECK_EQ_U64(r.v[i].kind, VMR_REC_FORK);
        CHECK_EQ_U64(r.v[i].pid, 1);
        CHECK_EQ_U64(r.v[i].arg, k);
    }
    uint64_t per_pid[8] = {0};
    size_t n_acc = 0;
    for (; i < r.n && vmr_rec_is_access(r.v[i].kind); i++, n_acc++) {
        CHECK(r.v[i].pid >= 1 && r.v[i].pid <= nproc);
        if (r.v[i].pid < 8)
            per_pid[r.v[i].pid]++;
    }
    CHECK_EQ_U64(n_acc, 30000);
    for (unsigned k = 1; k <= nproc && k < 8; k++) /* pids drawn uniformly */
        CHECK(fabs((double)per_pid[k] / 30000 - 1.0 / nproc) < 0.02);
    for (unsigned k = 2; k <= nproc; k++, i++) {
        CHECK_EQ_U64(r.v[i].kind, VMR_REC_EXIT);
        CHECK_EQ_U64(r.v[i].pid, k);
    }
    CHECK(i < r.n);
    if (i < r.n) {
        CHECK_EQ_U64(r.v[i].kind, VMR_REC_EXIT);
        CHECK_EQ_U64(r.v[i].pid, 1);
        CHECK_EQ_U64(r.v[i].arg, 0);
    }
    CHECK_EQ_U64(r.n, i + 1);
    free(r.v);
}

static void test_processes_backing(void)
{
    check_prologue("anon", 1);
    check_prologue("anon", 3);
    check_prologue("file", 1);
    check_prologue("file", 4);
    check_prologue("shared", 2);
    /* zero accesses still gives a well-formed trace */
    const char *o[] = {"accesses", "0", "processes", "2", NULL};
    struct recs r = gen(o);
    CHECK_EQ_U64(r.n, 4); /* mmap, fork, exit 2, exit 1 */
    free(r.v);
}

static void test_collapse(void)
{
    const char *plain[] = {"pattern",   "zipf:2.5", "footprint",      "64K", "accesses", "100000",
                           "processes", "2",        "write-fraction", "0.1", "seed",     "3",
                           NULL};
    const char *coll[] = {
        "pattern",        "zipf:2.5", "footprint", "64K", "accesses", "100000", "processes", "2",
        "write-fraction", "0.1",      "seed",      "3",   "collapse", "1",      NULL};
    struct recs p = gen(plain), c = gen(coll);
    CHECK(c.n < p.n * 9 / 10); /* P(merge) = P(same pid, op, page) ~ 0.25 here */
    /* expanding the collapsed trace gives the same pages, pids and ops */
    size_t i = first_access(p), j = first_access(c);
    uint64_t total = 0;
    const struct vmr_record *prev = NULL;
    for (; j < c.n && vmr_rec_is_access(c.v[j].kind); j++) {
        const struct vmr_record *a = &c.v[j];
        CHECK(a->count >= 1);
        total += a->count;
        if (prev) /* maximal: the next record could not have been merged */
            CHECK(prev->pid != a->pid || prev->kind != a->kind ||
                  page_of(prev, 4096) != page_of(a, 4096));
        CHECK_EQ_U64(a->addr, p.v[i].addr); /* keeps the first address */
        for (uint32_t k = 0; k < a->count; k++, i++) {
            CHECK_EQ_U64(page_of(&p.v[i], 4096), page_of(a, 4096));
            CHECK_EQ_U64(p.v[i].pid, a->pid);
            CHECK_EQ_U64(p.v[i].kind, a->kind);
        }
        prev = a;
    }
    CHECK_EQ_U64(total, 100000);
    CHECK_EQ_U64(c.n - j, p.n - i); /* the same epilogue */
    free(p.v), free(c.v);
}

static const char *meta_get(const struct vmr_trace_header *h, const char *key)
{
    for (size_t i = 0; i < h->n_meta; i++)
        if (strcmp(h->meta[i].key, key) == 0)
            return h->meta[i].value;
    return NULL;
}

static void test_metadata(void)
{
    struct vmr_synth_config cfg;
    vmr_synth_config_init(&cfg);
    char err[512];
    struct vmr_synth *s;
    CHECK(vmr_synth_create(&s, &cfg, err, sizeof err) == 0);
    const struct vmr_trace_header *h = vmr_synth_header(s);
    CHECK_EQ_U64(h->page_size, 4096);
    CHECK_STR(meta_get(h, "recorder"), "synth");
    CHECK_STR(meta_get(h, "synth.pattern"), "zipf:0.9");
    CHECK_STR(meta_get(h, "synth.footprint"), "67108864");
    CHECK_STR(meta_get(h, "synth.accesses"), "1000000");
    CHECK_STR(meta_get(h, "synth.write-fraction"), "0.3");
    CHECK_STR(meta_get(h, "synth.access-size"), "8");
    CHECK_STR(meta_get(h, "synth.page-size"), "4096");
    CHECK_STR(meta_get(h, "synth.seed"), "1");
    CHECK_STR(meta_get(h, "synth.processes"), "1");
    CHECK_STR(meta_get(h, "synth.backing"), "anon");
    CHECK_STR(meta_get(h, "synth.collapse"), "0");
    CHECK_STR(meta_get(h, "synth.version"), "1");
    CHECK_STR(meta_get(h, "command"),
              "vmreplay synth --pattern 'zipf:0.9' --footprint 67108864 --accesses 1000000 "
              "--write-fraction 0.3 --access-size 8 --page-size 4096 --seed 1 --processes 1 "
              "--backing anon");
    vmr_synth_destroy(s);

    static char pattern[] = "uniform@2,zipf:1.25:start=64K:order=rank";
    const char *o[][2] = {{"pattern", pattern},  {"footprint", "1M"},
                          {"accesses", "2.5k"},  {"write-fraction", "0.125"},
                          {"access-size", "64"}, {"page-size", "8K"},
                          {"seed", "0x10"},      {"processes", "3"},
                          {"backing", "shared"}, {"collapse", "1"}};
    for (size_t i = 0; i < sizeof o / sizeof o[0]; i++)
        CHECK(vmr_synth_config_set(&cfg, o[i][0], o[i][1], err, sizeof err) == 0);
    CHECK(vmr_synth_create(&s, &cfg, err, sizeof err) == 0);
    memset(pattern, 'X', sizeof pattern - 1); /* the generator keeps its own copy */
    h = vmr_synth_header(s);
    CHECK_EQ_U64(h->page_size, 8192);
    CHECK_STR(meta_get(h, "synth.pattern"), "uniform@2,zipf:1.25:start=64K:order=rank");
    CHECK_STR(meta_get(h, "synth.footprint"), "1048576");
    CHECK_STR(meta_get(h, "synth.accesses"), "2500");
    CHECK_STR(meta_get(h, "synth.write-fraction"), "0.125");
    CHECK_STR(meta_get(h, "synth.access-size"), "64");
    CHECK_STR(meta_get(h, "synth.page-size"), "8192");
    CHECK_STR(meta_get(h, "synth.seed"), "16");
    CHECK_STR(meta_get(h, "synth.processes"), "3");
    CHECK_STR(meta_get(h, "synth.backing"), "shared");
    CHECK_STR(meta_get(h, "synth.collapse"), "1");
    CHECK_STR(meta_get(h, "command"),
              "vmreplay synth --pattern 'uniform@2,zipf:1.25:start=64K:order=rank' --footprint "
              "1048576 --accesses 2500 --write-fraction 0.125 --access-size 64 --page-size 8192 "
              "--seed 16 --processes 3 --backing shared --collapse");
    vmr_synth_destroy(s);
}

/* key=value must fail with rc and a message containing every `want`. */
static void check_set_error(const char *key, const char *value, int rc_want, const char *want1,
                            const char *want2)
{
    struct vmr_synth_config cfg;
    vmr_synth_config_init(&cfg);
    char err[512] = "";
    int rc = vmr_synth_config_set(&cfg, key, value, err, sizeof err);
    if (rc != rc_want || !strstr(err, want1) || (want2 && !strstr(err, want2))) {
        fprintf(stderr, "set %s '%s': rc %d, message '%s'\n", key, value, rc, err);
        vmr_test_failures++;
    }
}

/* Options that are each valid but fail together, or a bad pattern. */
static void check_create_error(const char *const *opts, const char *want1, const char *want2)
{
    struct vmr_synth_config cfg;
    vmr_synth_config_init(&cfg);
    char err[512] = "";
    for (size_t i = 0; opts[i]; i += 2)
        CHECK(vmr_synth_config_set(&cfg, opts[i], opts[i + 1], err, sizeof err) == 0);
    struct vmr_synth *s = NULL;
    int rc = vmr_synth_create(&s, &cfg, err, sizeof err);
    if (rc != VMR_EINVAL || s != NULL || !strstr(err, want1) || (want2 && !strstr(err, want2))) {
        fprintf(stderr, "create: rc %d, message '%s' (wanted '%s')\n", rc, err, want1);
        vmr_test_failures++;
    }
    vmr_synth_destroy(s);
}

static void test_errors(void)
{
    check_set_error("footprint", "12Q", VMR_EINVAL, "--footprint '12Q'", "K/M/G");
    check_set_error("footprint", "0", VMR_ERANGE, "--footprint '0'", "at least one page");
    check_set_error("footprint", "128T", VMR_ERANGE, "--footprint '128T'", "64T");
    check_set_error("accesses", "1.5", VMR_EINVAL, "--accesses '1.5'", "10^3");
    check_set_error("accesses", "-3", VMR_EINVAL, "--accesses '-3'", NULL);
    check_set_error("accesses", "99999999999G", VMR_ERANGE, "too large", NULL);
    check_set_error("write-fraction", "1.5", VMR_EINVAL, "--write-fraction '1.5'", "0 to 1");
    check_set_error("write-fraction", "nan", VMR_EINVAL, "--write-fraction 'nan'", NULL);
    check_set_error("access-size", "12", VMR_EINVAL, "--access-size '12'", "power of two");
    check_set_error("page-size", "3000", VMR_EINVAL, "--page-size '3000'", "power of two");
    check_set_error("page-size", "2G", VMR_EINVAL, "--page-size '2G'", NULL);
    check_set_error("seed", "x", VMR_EINVAL, "--seed 'x'", NULL);
    check_set_error("processes", "0", VMR_ERANGE, "--processes '0'", "from 1");
    check_set_error("backing", "swap", VMR_EINVAL, "--backing 'swap'", "anon, file or shared");
    check_set_error("pattern", "", VMR_EINVAL, "--pattern ''", "NAME");
    check_set_error("colour", "red", VMR_EINVAL, "unknown synth option 'colour'", NULL);

    const char *a[] = {"footprint", "10000", NULL};
    check_create_error(a, "--footprint 10000", "--page-size 4096");
    const char *b[] = {"access-size", "8K", NULL};
    check_create_error(b, "--access-size 8192", "--page-size 4096");

    struct {
        const char *spec, *want1, *want2;
    } bad[] = {
        {"zipf", "component 'zipf'", "zipf:ALPHA"},
        {"zipf:x", "alpha 'x'", "zipf:0.9"},
        {"zipf:-1", "alpha '-1'", NULL},
        {"zipfian:1", "unknown component 'zipfian'", "uniform, zipf:ALPHA, scan or loop:SIZE"},
        {"uniform:3", "'uniform' takes no argument", NULL},
        {"loop", "loop needs an argument", "loop:SIZE"},
        {"loop:3000", "loop SIZE '3000'", "4096-byte pages"},
        {"loop:1G", "loop SIZE '1G' is larger than its span", NULL},
        {"loop:8K:size=4K", "larger than its span", NULL},
        {"scan:start=64M", "start is at or past the end", NULL},
        {"scan:start=1000", "start '1000'", "whole number"},
        {"uniform:start=32M:size=64M", "runs past the end", NULL},
        {"uniform:size=0", "size '0'", "positive"},
        {"uniform:speed=3", "unknown key 'speed'", "start=OFFSET"},
        {"scan:order=rank", "unknown key 'order'", NULL},
        {"zipf:1:order=hot", "order 'hot'", "order=rank"},
        {"zipf:1:start", "'start' is not key=value", NULL},
        {"uniform@0", "weight '0'", "@WEIGHT"},
        {"uniform@x", "weight 'x'", NULL},
        {"uniform,,scan", "empty component", NULL},
        {"uniform,", "empty component", NULL},
        {"uniform,zipf:q@2", "component 'zipf:q@2'", "alpha 'q'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *o[] = {"pattern", bad[i].spec, NULL};
        check_create_error(o, bad[i].want1, bad[i].want2);
        char pre[256];
        snprintf(pre, sizeof pre, "--pattern '%s'", bad[i].spec);
        check_create_error(o, pre, NULL);
    }
}

static void test_parse_count(void)
{
    struct {
        const char *s;
        int rc;
        uint64_t v;
    } cases[] = {
        {"0", 0, 0},
        {"12345", 0, 12345},
        {"1k", 0, 1000},
        {"1K", 0, 1000},
        {"2.5k", 0, 2500},
        {"1M", 0, 1000000},
        {"1.000001M", 0, 1000001},
        {"1.50M", 0, 1500000},
        {"100M", 0, 100000000},
        {"3G", 0, 3000000000},
        {"18446744073709551615", 0, UINT64_MAX},
        {"18446744073G", 0, UINT64_C(18446744073000000000)},
        {"18446744074G", VMR_ERANGE, 0},
        {"18446744073709551616", VMR_ERANGE, 0},
        {"1.0001k", VMR_EINVAL, 0},
        {"1.5", VMR_EINVAL, 0},
        {"", VMR_EINVAL, 0},
        {"k", VMR_EINVAL, 0},
        {".5k", VMR_EINVAL, 0},
        {"1.k", VMR_EINVAL, 0},
        {"1m", VMR_EINVAL, 0},
        {"1Ki", VMR_EINVAL, 0},
        {"-1", VMR_EINVAL, 0},
        {"0x10k", VMR_EINVAL, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t v = 777;
        int rc = vmr_synth_parse_count(cases[i].s, &v);
        if (rc != cases[i].rc || (rc == 0 && v != cases[i].v)) {
            fprintf(stderr, "parse_count '%s': rc %d value %" PRIu64 "\n", cases[i].s, rc, v);
            vmr_test_failures++;
        }
    }
}

int main(void)
{
    test_parse_count();
    test_determinism();
    test_scan_loop_sequences();
    test_zipf_shape();
    test_zipf_large_span();
    test_uniform_chi_square();
    test_mixture_weights();
    test_write_fraction();
    test_access_size();
    test_processes_backing();
    test_collapse();
    test_metadata();
    test_errors();
    return vmr_test_done();
}
