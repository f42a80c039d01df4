/*
 * zipf.c - the samplers behind the synth components (internal.h): the keyed
 * page permutation, Vose's alias table and Hörmann-Derflinger
 * rejection-inversion for Zipf. Only the init functions allocate.
 */
#include <math.h>
#include <stdlib.h>

#include "internal.h"
#include "vmreplay/common.h"

void synth_perm_init(struct synth_perm *p, uint64_t n, uint64_t seed)
{
    unsigned b = 0;
    while (b < 64 && (n - 1) >> b != 0)
        b++;
    p->n = n;
    p->mask = b == 64 ? UINT64_MAX : (UINT64_C(1) << b) - 1;
    /* half the width mixes high bits (which the multiply fills) into low */
    p->shift = b / 2 > 0 ? b / 2 : 1;
    uint64_t x = seed ^ 0x5ca1ab1e0ddba11ULL;
    for (int i = 0; i < 3; i++)
        p->key[i] = vmr_splitmix64(&x) & p->mask;
}

int synth_alias_init(struct synth_alias *a, const double *weights, uint64_t n)
{
    int rc = VMR_ENOMEM;
    double *scaled = malloc(n * sizeof *scaled);
    uint32_t *work = malloc(n * sizeof *work); /* small from the front, large from the back */
    a->n = n;
    a->e = malloc(n * sizeof *a->e);
    if (!scaled || !work || !a->e)
        goto out;

    double sum = 0;
    for (uint64_t i = 0; i < n; i++)
        sum += weights[i];
    uint64_t n_small = 0, n_large = 0;
    for (uint64_t i = 0; i < n; i++) {
        scaled[i] = weights[i] * (double)n / sum;
        if (scaled[i] < 1)
            work[n_small++] = (uint32_t)i;
        else
            work[n - 1 - n_large++] = (uint32_t)i;
    }
    /* Vose: pair each small column with a large one that tops it up to 1. */
    while (n_small > 0 && n_large > 0) {
        uint32_t s = work[--n_small];
        uint32_t l = work[n - n_large];
        a->e[s].threshold = (uint32_t)(scaled[s] * 4294967296.0);
        a->e[s].alias = l;
        scaled[l] = (scaled[l] + scaled[s]) - 1;
        if (scaled[l] < 1) {
            n_large--;
            work[n_small++] = l;
        }
    }
    /* What is left is 1 up to rounding: always keep it. */
    while (n_large > 0) {
        uint32_t l = work[n - n_large--];
        a->e[l].threshold = UINT32_MAX;
        a->e[l].alias = l;
    }
    while (n_small > 0) {
        uint32_t s = work[--n_small];
        a->e[s].threshold = UINT32_MAX;
        a->e[s].alias = s;
    }
    rc = 0;
out:
    free(scaled);
    free(work);
    if (rc != 0)
        synth_alias_release(a);
    return rc;
}

void synth_alias_release(struct synth_alias *a)
{
    free(a->e);
    a->e = NULL;
}

/*
 * Rejection-inversion (Hörmann and Derflinger 1996) with the hat function
 * h(x) = x^-alpha over ranks 1 .. n. H is an antiderivative of h written so
 * alpha = 1 needs no special case: H(x) = (x^(1-alpha) - 1) / (1 - alpha)
 * = log(x) * expm1((1-alpha) log x) / ((1-alpha) log x), which tends to
 * log(x) as alpha -> 1.
 */
static double helper_expm1_div(double x) /* expm1(x) / x, 1 at 0 */
{
    return fabs(x) > 1e-8 ? expm1(x) / x : 1 + x * 0.5 * (1 + x / 3 * (1 + 0.25 * x));
}

static double helper_log1p_div(double x) /* log1p(x) / x, 1 at 0 */
{
    return fabs(x) > 1e-8 ? log1p(x) / x : 1 - x * (0.5 - x * (1.0 / 3 - 0.25 * x));
}

static double zipf_h(double alpha, double x)
{
    return exp(-alpha * log(x));
}

static double zipf_H(double alpha, double x)
{
    double lx = log(x);
    return helper_expm1_div((1 - alpha) * lx) * lx;
}

static double zipf_H_inv(double alpha, double x)
{
    double t = x * (1 - alpha);
    if (t < -1) /* only reachable through rounding */
        t = -1;
    return exp(helper_log1p_div(t) * x);
}

/* The hat's area is [H(first - 0.5), H(n + 0.5)] with the first rank's
 * slice cut to exactly h(first), so that rank is always accepted; with
 * first = 1 this is the paper's H(1.5) - 1. Rejection-inversion only needs h
 * decreasing and convex over the range, so a range not starting at 1 works
 * unchanged. */
void synth_zipf_ri_init(struct synth_zipf_ri *z, uint64_t first, uint64_t n, double alpha)
{
    z->first = first;
    z->n = n;
    z->alpha = alpha;
    z->h_integral_first = zipf_H(alpha, (double)first + 0.5) - zipf_h(alpha, (double)first);
    z->h_integral_n = zipf_H(alpha, (double)n + 0.5);
    /* ranks k with k - x <= s are accepted without evaluating h */
    z->s = 2 - zipf_H_inv(alpha, zipf_H(alpha, 2.5) - zipf_h(alpha, 2));
}

uint64_t synth_zipf_ri_sample(const struct synth_zipf_ri *z, struct vmr_rng *rng)
{
    for (;;) {
        double u = z->h_integral_n + vmr_rng_double(rng) * (z->h_integral_first - z->h_integral_n);
        double x = zipf_H_inv(z->alpha, u);
        double kd = floor(x + 0.5);
        uint64_t k;
        if (!(kd >= (double)z->first))
            k = z->first;
        else if (kd >= (double)z->n)
            k = z->n;
        else
            k = (uint64_t)kd;
        double kf = (double)k;
        if (kf - x <= z->s || u >= zipf_H(z->alpha, kf + 0.5) - zipf_h(z->alpha, kf))
            return k - 1;
    }
}

double synth_zipf_tail_mass(uint64_t first, uint64_t n, double alpha)
{
    return zipf_H(alpha, (double)n + 0.5) - zipf_H(alpha, (double)first - 0.5);
}
