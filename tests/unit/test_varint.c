/*
 * test_varint.c - the binary reader's varint decoders (src/trace/binary.h)
 * agree with each other and with the writer's put_varint: get_varint (bounds
 * checked), get_varint16 (the branch-free gather) and, where the CPU has
 * BMI2, get_varint16_pext, for values of every length from 1 to 10 bytes,
 * with any bytes after them, and for the malformed ones (11 bytes, or a
 * 10th byte above 1, i.e. past 2^64 - 1) which all refuse.
 */
#include "../../src/trace/binary.h"
#include "rng.h"
#include "testlib.h"

#ifdef VMR_VARINT_PEXT
__attribute__((target("bmi2"))) static const uint8_t *pext16(const uint8_t *p, uint64_t *v)
{
    return get_varint16_pext(p, v);
}
#endif

static int have_pext;

/* Decodes buf (16 readable bytes, the varint at its start) every way and
 * checks they agree: want_len bytes and value want, or refused (want_len 0). */
static void check_all(const uint8_t *buf, unsigned want_len, uint64_t want)
{
    uint64_t v = ~want;
    const uint8_t *e = get_varint(buf, buf + 16, &v);
    CHECK_EQ_U64(e ? (uint64_t)(e - buf) : 0, want_len);
    if (want_len)
        CHECK_EQ_U64(v, want);
    v = ~want;
    e = get_varint16(buf, &v);
    CHECK_EQ_U64(e ? (uint64_t)(e - buf) : 0, want_len);
    if (want_len)
        CHECK_EQ_U64(v, want);
#ifdef VMR_VARINT_PEXT
    if (have_pext) {
        v = ~want;
        e = pext16(buf, &v);
        CHECK_EQ_U64(e ? (uint64_t)(e - buf) : 0, want_len);
        if (want_len)
            CHECK_EQ_U64(v, want);
    }
#endif
}

/* put_varint's encoding of v, then `tail` filling the 16 bytes. */
static void check_value(uint64_t v, uint8_t tail)
{
    uint8_t buf[16];
    memset(buf, tail, sizeof buf);
    const uint8_t *end = put_varint(buf, v);
    check_all(buf, (unsigned)(end - buf), v);
}

int main(void)
{
#ifdef VMR_VARINT_PEXT
    __builtin_cpu_init();
    have_pext = __builtin_cpu_supports("bmi2");
#endif
    printf("# pext decoder: %s; the reader uses it: %s\n",
           have_pext ? "tested" : "not tested (no BMI2, or not an x86-64 build)",
           vmr_varint_pext_fast() ? "yes" : "no");

    /* every length, at its edges, with tails that do and do not end a
     * varint (a decoder must stop at the first byte below 0x80) */
    static const uint8_t tails[] = {0x00, 0x7f, 0x80, 0xff};
    for (unsigned bits = 0; bits <= 64; bits++) {
        const uint64_t top = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
        for (size_t t = 0; t < sizeof tails; t++) {
            check_value(top, tails[t]);
            if (bits < 64)
                check_value(top + 1, tails[t]);
            check_value(top >> 1, tails[t]);
        }
    }
    /* random values, spread over the lengths, random tails */
    struct vmr_rng rng;
    vmr_rng_seed(&rng, 12);
    for (int i = 0; i < 200000; i++) {
        const unsigned bits = (unsigned)vmr_rng_below(&rng, 65);
        uint64_t v = vmr_rng_next(&rng);
        v = bits == 64 ? v : v & ((UINT64_C(1) << bits) - 1);
        check_value(v, (uint8_t)vmr_rng_next(&rng));
    }
    /* non-minimal encodings decode to their value (0x80 0x00 is 0) */
    const uint8_t zero2[16] = {0x80, 0x00, 0xff};
    check_all(zero2, 2, 0);
    const uint8_t one9[16] = {0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
    check_all(one9, 9, 1);
    /* malformed: 10 bytes whose last is above 1 (past 2^64 - 1), and 11 */
    uint8_t bad[16];
    memset(bad, 0xff, sizeof bad);
    bad[9] = 0x02;
    check_all(bad, 0, 0);
    bad[9] = 0x01;
    check_all(bad, 10, UINT64_MAX);
    bad[9] = 0x81;
    bad[10] = 0x00;
    check_all(bad, 0, 0);
    return vmr_test_done();
}
