/*
 * test_synth_samplers.c - the synth layer's private samplers
 * (src/synth/internal.h): the keyed permutation is a bijection, and the
 * alias table and rejection-inversion both give the Zipf distribution (and
 * agree with each other) for several exponents, including alpha = 1 where
 * rejection-inversion's H has its removable singularity.
 */
#include <math.h>
#include <stdlib.h>

#include "../../src/synth/internal.h"
#include "testlib.h"

static void test_perm_bijection(void)
{
    static const uint64_t sizes[] = {1, 2, 3, 4, 5, 7, 8, 9, 1000, 1024, 1025, 65537};
    for (size_t t = 0; t < sizeof sizes / sizeof sizes[0]; t++) {
        uint64_t n = sizes[t];
        for (uint64_t seed = 1; seed <= 3; seed++) {
            struct synth_perm p;
            synth_perm_init(&p, n, seed);
            unsigned char *seen = calloc(n, 1);
            uint64_t fixed = 0;
            for (uint64_t i = 0; i < n; i++) {
                uint64_t y = synth_perm_apply(&p, i);
                CHECK(y < n);
                if (y < n) {
                    CHECK(!seen[y]);
                    seen[y] = 1;
                }
                fixed += y == i;
            }
            if (n >= 1000) /* it actually moves things */
                CHECK(fixed < n / 50);
            free(seen);
        }
    }
    /* different seeds, different permutations */
    struct synth_perm a, b;
    synth_perm_init(&a, 1000, 1);
    synth_perm_init(&b, 1000, 2);
    uint64_t same = 0;
    for (uint64_t i = 0; i < 1000; i++)
        same += synth_perm_apply(&a, i) == synth_perm_apply(&b, i);
    CHECK(same < 20);
    /* the largest domain does not loop forever or overflow */
    synth_perm_init(&a, UINT64_MAX, 9);
    CHECK(synth_perm_apply(&a, 12345) < UINT64_MAX);
}

/* Total variation distance from Zipf(alpha) over n ranks, divided by what
 * sampling noise alone gives on average (E|q - p| = sqrt(2 p (1-p) / (pi N))
 * per rank): about 1 for a correct sampler. */
static double tv_from_zipf(const uint64_t *cnt, uint64_t n, double alpha, double samples)
{
    double h = 0, tv = 0, noise = 0;
    for (uint64_t k = 1; k <= n; k++)
        h += pow((double)k, -alpha);
    for (uint64_t k = 0; k < n; k++) {
        double p = pow((double)(k + 1), -alpha) / h;
        tv += fabs(p - (double)cnt[k] / samples) / 2;
        noise += sqrt(2 * p * (1 - p) / (M_PI * samples)) / 2;
    }
    return tv / noise;
}

static void test_zipf_samplers(void)
{
    static const double alphas[] = {0.3, 0.9, 1.0, 1.0000001, 1.5, 3.0};
    const uint64_t n = 500, samples = 500000;
    for (size_t t = 0; t < sizeof alphas / sizeof alphas[0]; t++) {
        double alpha = alphas[t];
        uint64_t *ri_cnt = calloc(n, sizeof *ri_cnt), *al_cnt = calloc(n, sizeof *al_cnt);
        double *w = malloc(n * sizeof *w);
        struct synth_zipf_ri z;
        struct synth_alias al;
        struct vmr_rng rng;
        synth_zipf_ri_init(&z, 1, n, alpha);
        for (uint64_t k = 0; k < n; k++)
            w[k] = pow((double)(k + 1), -alpha);
        CHECK(synth_alias_init(&al, w, n) == 0);
        vmr_rng_seed(&rng, 100 + t);
        for (uint64_t i = 0; i < samples; i++) {
            uint64_t k = synth_zipf_ri_sample(&z, &rng);
            CHECK(k < n);
            ri_cnt[k < n ? k : 0]++;
            k = synth_alias_sample(&al, &rng);
            CHECK(k < n);
            al_cnt[k < n ? k : 0]++;
        }
        double tv_ri = tv_from_zipf(ri_cnt, n, alpha, (double)samples);
        double tv_al = tv_from_zipf(al_cnt, n, alpha, (double)samples);
        if (tv_ri > 1.2 || tv_al > 1.2) {
            fprintf(stderr, "alpha %g: TV distance / noise: rejection-inversion %.3f, alias %.3f\n",
                    alpha, tv_ri, tv_al);
            vmr_test_failures++;
        }
        free(ri_cnt), free(al_cnt), free(w);
        synth_alias_release(&al);
    }

    /* n = 1: always rank 0 */
    struct synth_zipf_ri z;
    struct vmr_rng rng;
    vmr_rng_seed(&rng, 1);
    synth_zipf_ri_init(&z, 1, 1, 1.2);
    for (int i = 0; i < 1000; i++)
        CHECK(synth_zipf_ri_sample(&z, &rng) == 0);

    /* an alias table with zero weights never returns them */
    double w[5] = {0, 1, 0, 3, 0};
    struct synth_alias al;
    CHECK(synth_alias_init(&al, w, 5) == 0);
    uint64_t c[5] = {0};
    for (int i = 0; i < 100000; i++)
        c[synth_alias_sample(&al, &rng)]++;
    CHECK(c[0] == 0 && c[2] == 0 && c[4] == 0);
    CHECK(fabs((double)c[3] / 100000 - 0.75) < 0.01);
    synth_alias_release(&al);
}

/* Rejection-inversion over ranks first..n (the tail of the large-span
 * sampler) and the midpoint-rule mass that weighs it against the head. */
static void test_zipf_tail(void)
{
    static const double alphas[] = {0.5, 1.0, 2.0};
    const uint64_t first = 200, n = 1200, samples = 400000;
    for (size_t t = 0; t < sizeof alphas / sizeof alphas[0]; t++) {
        double alpha = alphas[t], mass = 0;
        for (uint64_t k = first; k <= n; k++)
            mass += pow((double)k, -alpha);
        double approx = synth_zipf_tail_mass(first, n, alpha);
        CHECK(fabs(approx / mass - 1) < 1e-5); /* alpha^2/(24 first^2) and below */
        struct synth_zipf_ri z;
        struct vmr_rng rng;
        synth_zipf_ri_init(&z, first, n, alpha);
        vmr_rng_seed(&rng, 50 + t);
        uint64_t *cnt = calloc(n, sizeof *cnt);
        for (uint64_t i = 0; i < samples; i++) {
            uint64_t k = synth_zipf_ri_sample(&z, &rng);
            CHECK(k >= first - 1 && k < n);
            cnt[k < n ? k : 0]++;
        }
        double tv = 0, noise = 0;
        for (uint64_t k = first; k <= n; k++) {
            double p = pow((double)k, -alpha) / mass;
            tv += fabs(p - (double)cnt[k - 1] / (double)samples) / 2;
            noise += sqrt(2 * p * (1 - p) / (M_PI * (double)samples)) / 2;
        }
        if (tv > 1.2 * noise) {
            fprintf(stderr, "tail alpha %g: TV distance %.4f, noise %.4f\n", alpha, tv, noise);
            vmr_test_failures++;
        }
        free(cnt);
    }
    /* the midpoint rule is exact enough where it is used */
    double far = 0;
    for (uint64_t k = 1u << 20; k <= (1u << 20) + 100000; k++)
        far += pow((double)k, -0.9);
    CHECK(fabs(synth_zipf_tail_mass(1u << 20, (1u << 20) + 100000, 0.9) / far - 1) < 1e-12);
}

int main(void)
{
    test_perm_bijection();
    test_zipf_samplers();
    test_zipf_tail();
    return vmr_test_done();
}
