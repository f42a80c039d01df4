/*
 * internal.h - the synth layer's private pieces: the pattern (a weighted
 * mixture of components parsed from the --pattern spec, pattern.c), the
 * samplers they use (zipf.c) and a keyed permutation of page numbers.
 *
 * Invariants: every component's span [start_page, start_page + n_pages)
 * lies inside the footprint and n_pages >= 1; a loop window has
 * 1 <= window_pages <= n_pages. Sampling functions never allocate.
 */
#ifndef VMREPLAY_SYNTH_INTERNAL_H
#define VMREPLAY_SYNTH_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "rng.h"

/*
 * A bijection of [0, n) chosen by a key: an invertible mixing function on
 * the smallest power-of-two domain 2^b >= n (xor with a key, multiply by an
 * odd constant, xor-shift: each step is a bijection mod 2^b), restricted to
 * [0, n) by cycle walking (Black and Rogaway, "Ciphers with arbitrary finite
 * domains", CT-RSA 2002). Since 2^b < 2n, fewer than 2 rounds are expected.
 */
struct synth_perm {
    uint64_t n;
    uint64_t mask; /* 2^b - 1 */
    unsigned shift;
    uint64_t key[3];
};

void synth_perm_init(struct synth_perm *p, uint64_t n, uint64_t seed);

static inline uint64_t synth_perm_round(const struct synth_perm *p, uint64_t x)
{
    for (int i = 0; i < 3; i++) {
        x = ((x ^ p->key[i]) * 0x9e3779b97f4a7c15ULL) & p->mask;
        x ^= x >> p->shift;
    }
    return x;
}

static inline uint64_t synth_perm_apply(const struct synth_perm *p, uint64_t x)
{
    do
        x = synth_perm_round(p, x);
    while (x >= p->n);
    return x;
}

/*
 * Zipf over ranks 0 .. n-1 with P(rank k) proportional to 1/(k+1)^alpha.
 *
 * Up to SYNTH_ALIAS_MAX values, an alias table (Walker 1977; Vose, "A linear
 * algorithm for generating random numbers with a given distribution", IEEE
 * TSE 17(9), 1991) built once over *pages*, the rank-to-page permutation
 * folded in: one table probe per sample. Beyond that a table of every page
 * would cost too much memory, so the distribution is split: the first
 * SYNTH_ZIPF_HEAD ranks (which carry most of the mass when alpha is near 1
 * or above) come from an alias table over ranks, the tail from
 * rejection-inversion (Hörmann and Derflinger, "Rejection-inversion to
 * generate variates from monotone discrete distributions", ACM TOMACS 6(3),
 * 1996; O(1) expected time and memory, but a few exp/log per sample), and
 * the permutation is applied per sample.
 */
/* An 8 MiB table. Measured, a 32 MiB one (4M pages) was half the speed of
 * the head/tail split below, nearly every probe missing the cache. */
#define SYNTH_ALIAS_MAX (1u << 20)
/* 512 KiB of table stays in L2; measured, a 2^18 or 2^20 head is slower
 * than rejection-inversion itself, its probes missing the cache. */
#define SYNTH_ZIPF_HEAD (1u << 16)

struct synth_alias_entry {
    uint32_t threshold; /* keep i when 32 random bits < threshold */
    uint32_t alias;
};

struct synth_alias {
    uint64_t n;
    struct synth_alias_entry *e; /* one cache line holds both halves of a probe */
};

/* weights[i] >= 0, not all 0. 0 or VMR_ENOMEM. */
int synth_alias_init(struct synth_alias *a, const double *weights, uint64_t n);
void synth_alias_release(struct synth_alias *a);

static inline uint64_t synth_alias_sample(const struct synth_alias *a, struct vmr_rng *rng)
{
    uint64_t i = vmr_rng_below(rng, a->n);
    const struct synth_alias_entry *e = &a->e[i];
    return (uint32_t)(vmr_rng_next(rng) >> 32) < e->threshold ? i : e->alias;
}

struct synth_zipf_ri {
    uint64_t first, n; /* 1-based ranks first .. n */
    double alpha;
    double h_integral_first, h_integral_n, s;
};

/* Zipf restricted to the 1-based ranks first .. n: alpha > 0,
 * 1 <= first <= n. */
void synth_zipf_ri_init(struct synth_zipf_ri *z, uint64_t first, uint64_t n, double alpha);
/* sum of k^-alpha over first <= k <= n, for first large enough that the
 * midpoint rule is exact to double precision (error ~ alpha^2 / 24 first^2) */
double synth_zipf_tail_mass(uint64_t first, uint64_t n, double alpha);
/* A 0-based rank in [first - 1, n). */
uint64_t synth_zipf_ri_sample(const struct synth_zipf_ri *z, struct vmr_rng *rng);

enum synth_kind { SYNTH_UNIFORM, SYNTH_ZIPF, SYNTH_SCAN, SYNTH_LOOP };

struct synth_component {
    enum synth_kind kind;
    double weight;
    uint64_t start_page, n_pages; /* the span */
    /* zipf */
    double alpha;
    int order_rank; /* rank k is page k of the span (no permutation) */
    int use_alias;  /* whole span in `alias`, indexed by span page */
    /* else (alpha > 0): `alias` over the head ranks, `ri` for the tail */
    uint64_t head_thresh; /* head when 53 random bits < this */
    struct synth_alias alias;
    struct synth_zipf_ri ri;
    struct synth_perm perm;
    /* scan, loop: next page (span-relative) and the window */
    uint64_t pos, window_pages;
};

struct synth_pattern {
    struct synth_component *comps;
    size_t n_comps;
    double *cum_weight; /* cum_weight[i] = weight of comps[0..i], normalised to 1 */
};

/*
 * Parses `spec` for a footprint of n_pages pages of page_size bytes and
 * builds every table; `seed` keys the Zipf permutations. Errors:
 * VMR_EINVAL/VMR_ERANGE with a message "--pattern 'SPEC': ..." naming the
 * component and what is expected; VMR_ENOMEM.
 */
int synth_pattern_parse(struct synth_pattern *p, const char *spec, uint64_t n_pages,
                        uint32_t page_size, uint64_t seed, char *err, size_t err_len);
void synth_pattern_release(struct synth_pattern *p);

/* The next page of component c, relative to the footprint. */
static inline uint64_t synth_component_next(struct synth_component *c, struct vmr_rng *rng)
{
    uint64_t page;
    switch (c->kind) {
    case SYNTH_ZIPF:
        if (c->use_alias)
            return c->start_page + synth_alias_sample(&c->alias, rng);
        if (c->alpha == 0)
            return c->start_page + vmr_rng_below(rng, c->n_pages);
        if ((vmr_rng_next(rng) >> 11) < c->head_thresh)
            page = synth_alias_sample(&c->alias, rng);
        else
            page = synth_zipf_ri_sample(&c->ri, rng);
        if (!c->order_rank)
            page = synth_perm_apply(&c->perm, page);
        return c->start_page + page;
    case SYNTH_SCAN:
    case SYNTH_LOOP:
        page = c->pos;
        if (++c->pos == c->window_pages)
            c->pos = 0;
        return c->start_page + page;
    case SYNTH_UNIFORM:
    default:
        return c->start_page + vmr_rng_below(rng, c->n_pages);
    }
}

#endif
