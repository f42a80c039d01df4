/*
 * rng.h - small, fast, seedable pseudo-random numbers (xoshiro256**,
 * seeded through splitmix64). Deterministic across machines: the same seed
 * gives the same stream, which synth and randomised policies rely on.
 */
#ifndef VMREPLAY_UTIL_RNG_H
#define VMREPLAY_UTIL_RNG_H

#include <stdint.h>

__extension__ typedef unsigned __int128 vmr_u128;

struct vmr_rng {
    uint64_t s[4];
};

static inline uint64_t vmr_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline void vmr_rng_seed(struct vmr_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = vmr_splitmix64(&x);
}

static inline uint64_t vmr_rng_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t vmr_rng_next(struct vmr_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = vmr_rng_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = vmr_rng_rotl(s[3], 45);
    return result;
}

/* Uniform double in [0, 1) with 53 random bits. */
static inline double vmr_rng_double(struct vmr_rng *r)
{
    return (double)(vmr_rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform integer in [0, n), n >= 1, unbiased (Lemire's method). */
static inline uint64_t vmr_rng_below(struct vmr_rng *r, uint64_t n)
{
    vmr_u128 m = (vmr_u128)vmr_rng_next(r) * n;
    uint64_t lo = (uint64_t)m;
    if (lo < n) {
        uint64_t threshold = -n % n;
        while (lo < threshold) {
            m = (vmr_u128)vmr_rng_next(r) * n;
            lo = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

#endif
