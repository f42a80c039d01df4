/*
 * binary.h - byte-level helpers and constants of the binary trace form
 * (FORMAT.md section 2), shared by binary_writer.c and binary_reader.c.
 */
#ifndef VMREPLAY_TRACE_BINARY_H
#define VMREPLAY_TRACE_BINARY_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define BIN_HEADER_FIXED  24u
#define BIN_MAX_HEADER    (16u << 20)
#define BIN_FRAME_HEADER  32u
#define BIN_INDEX_ENTRY   32u
#define BIN_TRAILER       16u
#define BIN_MAX_RAW       (64u << 20)
#define BIN_DEFAULT_FRAME (1u << 20)
#define BIN_MIN_FRAME     64u
/* the largest record the writer makes: an event with a 4096-byte string and
 * every field at its widest, with room to spare */
#define BIN_MAX_RECORD 4400u
/* the largest access a reader may meet: a tag and four 10-byte varints
 * (non-minimal encodings are valid) */
#define BIN_MAX_ACCESS 41u

/* access tag bits, version 1.0 (FORMAT.md 2.3.2) */
#define TAG_P       0x04u
#define TAG_S       0x08u
#define TAG_C       0x10u
#define TAG_D_SHIFT 5

/* access tag bits, version 1.1 (FORMAT.md 2.3.1) */
#define TAG11_J_SHIFT 2
#define TAG11_P       0x10u
#define TAG11_S       0x20u
#define TAG11_C       0x40u
#define TAG11_Z       0x80u

/* The minor version writers write by default. */
#define BIN_MINOR_LATEST 1u

/* A pid's four delta bases of the 1.1 encoding, most recent first: base j
 * is b[(head + j) % 4], a ring, so that pushing a new front base (an access
 * off its base's block, the commonest case on scattered traces) is one
 * store. A base is 16 bytes: moving one is one load and one store. */
enum { N_BASES = 4, BASE_BLOCK_SHIFT = 12 };
struct acc_base {
    uint64_t addr;
    uint32_t size;
    uint32_t unused;
};
struct acc_bases {
    struct acc_base b[N_BASES];
    unsigned head;
};

static inline void bases_init(struct acc_bases *b)
{
    for (int i = 0; i < N_BASES; i++)
        b->b[i] = (struct acc_base){0, 1, 0};
    b->head = 0;
}

/* Base j (0 = the most recent) of ring b whose head is `head` (a decode
 * loop keeps the head in a local). */
static inline struct acc_base *base_at_head(struct acc_bases *b, unsigned head, unsigned j)
{
    return &b->b[(head + j) & (N_BASES - 1)];
}

/* Base j (0 = the most recent). */
static inline struct acc_base *base_at(struct acc_bases *b, unsigned j)
{
    return base_at_head(b, b->head, j);
}

/* After an access (addr, size) relative to base j (FORMAT.md 2.3.1): the
 * base in the access's block moves to the front with the new address and
 * size; an access outside its base's block pushes a new front base and
 * drops the last (as does a hit on base 3: the ring turns). The ring's
 * head is *head. */
static inline void bases_update_head(struct acc_bases *b, unsigned *head, unsigned j, uint64_t addr,
                                     uint32_t size)
{
    unsigned h = *head;
    const unsigned k =
        ((addr ^ base_at_head(b, h, j)->addr) >> BASE_BLOCK_SHIFT) == 0 ? j : N_BASES - 1;
    if (k == N_BASES - 1) {
        h = (h - 1) & (N_BASES - 1);
        *head = h;
    } else if (k) {
        if (k == 2)
            b->b[(h + 2) & 3] = b->b[(h + 1) & 3];
        b->b[(h + 1) & 3] = b->b[h];
    }
    b->b[h].addr = addr; /* (unused is left as it is: nothing reads it) */
    b->b[h].size = size;
}

static inline void bases_update(struct acc_bases *b, unsigned j, uint64_t addr, uint32_t size)
{
    bases_update_head(b, &b->head, j, addr, size);
}

/* event codes */
enum {
    EV_MMAP = 1,
    EV_MUNMAP,
    EV_MPROTECT,
    EV_BRK,
    EV_FORK,
    EV_THREAD,
    EV_EXEC,
    EV_EXIT,
    EV_FILE,
    EV_MADVISE,
    EV_MSYNC,
    EV_MARK,
};

/* frame magic: the 1.0 access encoding, and 1.1's */
static const char frame_magic_10[4] = {'V', 'M', 'F', '1'};
static const char frame_magic_11[4] = {'V', 'M', 'F', '2'};
static const char index_magic[4] = {'V', 'M', 'I', 'X'};
static const char trailer_magic[8] = {'V', 'M', 'T', 'I', 'N', 'D', 'E', 'X'};

static inline void put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline void put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint16_t get_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t get_le64(const uint8_t *p)
{
    return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

static inline uint8_t *put_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

static inline uint64_t zigzag(uint64_t delta)
{
    return (delta << 1) ^ (uint64_t)((int64_t)delta >> 63);
}

static inline uint64_t unzigzag(uint64_t z)
{
    return (z >> 1) ^ (0 - (z & 1));
}

/* Decodes a varint at p (before end). Returns the byte after it, or NULL if
 * it is truncated, longer than 10 bytes, or above 2^64 - 1. */
static inline const uint8_t *get_varint(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
    if (p < end && *p < 0x80) {
        *v = *p;
        return p + 1;
    }
    uint64_t r = 0;
    for (unsigned i = 0; i < 10; i++) {
        if (p >= end)
            return NULL;
        uint8_t b = *p++;
        if (i == 9 && b > 1)
            return NULL;
        r |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *v = r;
            return p;
        }
    }
    return NULL;
}

/* The same where the caller knows that 10 bytes are readable at p, so no
 * byte needs a bounds check. */
static inline const uint8_t *get_varint10(const uint8_t *p, uint64_t *v)
{
    uint64_t b = p[0];
    if (b < 0x80) {
        *v = b;
        return p + 1;
    }
    uint64_t r = b & 0x7f;
    for (unsigned i = 1; i < 10; i++) {
        b = p[i];
        r |= (b & 0x7f) << (7 * i);
        if (b < 0x80) {
            if (i == 9 && b > 1)
                return NULL;
            *v = r;
            return p + i + 1;
        }
    }
    return NULL;
}

/* The 8 bytes at p as a little-endian word in *x, and the high bits of
 * its bytes that end a varint (0: the varint there is longer than 8). */
static inline uint64_t varint8_stops(const uint8_t *p, uint64_t *x)
{
    memcpy(x, p, sizeof *x);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    *x = __builtin_bswap64(*x);
#endif
    return ~*x & 0x8080808080808080ULL;
}

/* The same where the caller knows that 16 bytes are readable at p: varints
 * of up to 8 bytes (every field of an ordinary access) decode without a
 * loop or a data-dependent branch, from one unaligned 8-byte load. */
static inline const uint8_t *get_varint16(const uint8_t *p, uint64_t *v)
{
    uint64_t x;
    const uint64_t stop = varint8_stops(p, &x);
    if (!stop)
        return get_varint10(p, v);
    const unsigned bits = (unsigned)__builtin_ctzll(stop) + 1; /* 8 x length */
    if (bits < 64)
        x &= (1ULL << bits) - 1;
    /* gather the 7-bit groups pairwise: 14 bits per 16-bit lane, 28 per
     * 32-bit lane, 56 in all (the continuation bits fall out at once) */
    x = (x & 0x007f007f007f007fULL) | (x >> 1 & 0x3f803f803f803f80ULL);
    x = (x & 0x00003fff00003fffULL) | (x >> 2 & 0x0fffc0000fffc000ULL);
    *v = (x & 0x000000000fffffffULL) | (x >> 4 & 0x00fffffff0000000ULL);
    return p + bits / 8;
}

/*
 * get_varint16 with BMI2's pext, which gathers the 7-bit groups in one
 * instruction: for functions compiled for bmi2 (target("bmi2")) and called
 * only where the CPU has a fast pext (vmr_varint_pext_fast: 3 cycles on
 * Intel since Haswell and AMD since Zen 3; Zen 1 and 2 microcode it into
 * hundreds). The reader picks its copy of the decode loop once.
 */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define VMR_VARINT_PEXT 1
#include <immintrin.h>

__attribute__((target("bmi2"))) static inline const uint8_t *get_varint16_pext(const uint8_t *p,
                                                                               uint64_t *v)
{
    uint64_t x;
    const uint64_t stop = varint8_stops(p, &x);
    if (!stop)
        return get_varint10(p, v);
    const unsigned bits = (unsigned)__builtin_ctzll(stop) + 1; /* 8 x length */
    *v = _pext_u64(x, 0x7f7f7f7f7f7f7f7fULL >> (64 - bits));
    return p + bits / 8;
}
#endif

/* Whether this CPU runs pext fast (and VMREPLAY_NO_PEXT is not set in the
 * environment, which tests use to run the portable copy). Cached. */
int vmr_varint_pext_fast(void);

#endif
