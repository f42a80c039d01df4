/*
 * test_binary.c - the binary trace form: lossless round trips of every
 * record kind at extreme values across many frames, the short delta forms,
 * reading without the index, and malformed input (every prefix, every
 * flipped byte, hand-made frames with unknown events, trailing payload,
 * wrapping addresses, another major version).
 */
#include <zstd.h>

#include "rng.h"
#include "testlib.h"
#include "vmreplay/trace.h"

static const struct vmr_trace_meta meta[] = {{"recorder", "test_binary"}, {"empty", ""}};
static const struct vmr_trace_header header = {4096, 2, meta};

static const char *write_trace_opt(const struct vmr_record *recs, size_t n,
                                   const struct vmr_trace_writer_options *opt)
{
    const char *path = vmr_test_tmp("t.vmt");
    struct vmr_trace_writer *w;
    char err[512];
    if (vmr_trace_writer_open(&w, path, &header, opt, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
    for (size_t i = 0; i < n; i++)
        if (vmr_trace_writer_put(w, &recs[i]) != 0) {
            fprintf(stderr, "put %zu: %s\n", i, vmr_trace_writer_error(w));
            exit(1);
        }
    if (vmr_trace_writer_close(w, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
    return path;
}

/* the format version write_trace writes: 0 (the latest, 1.1) or 10 (1.0) */
static unsigned version;

static const char *write_trace(const struct vmr_record *recs, size_t n, uint32_t frame_bytes)
{
    struct vmr_trace_writer_options opt = {
        .form = VMR_FORM_BINARY, .frame_bytes = frame_bytes, .format_version = version};
    return write_trace_opt(recs, n, &opt);
}

static int same(const struct vmr_record *a, const struct vmr_record *b)
{
    return a->kind == b->kind && a->pid == b->pid && a->addr == b->addr && a->size == b->size &&
           a->count == b->count && a->prot == b->prot && a->flags == b->flags && a->len == b->len &&
           a->off == b->off && a->arg == b->arg && a->err == b->err &&
           (a->str == NULL) == (b->str == NULL) && (!a->str || strcmp(a->str, b->str) == 0);
}

/* Reads everything; returns the reader's rc, sets *n. Compares with want if
 * given. */
static int read_all(const char *path, const struct vmr_record *want, size_t n_want, size_t *n,
                    char *err, size_t errlen)
{
    struct vmr_trace_reader *r;
    *n = 0;
    int rc = vmr_trace_reader_open(&r, path, VMR_FORM_AUTO, err, errlen);
    if (rc != 0)
        return rc;
    struct vmr_record batch[7];
    for (;;) {
        size_t got;
        rc = vmr_trace_reader_next(r, batch, 7, &got);
        if (rc != 0) {
            snprintf(err, errlen, "%s", vmr_trace_reader_error(r));
            break;
        }
        if (got == 0)
            break;
        for (size_t i = 0; i < got; i++, (*n)++)
            if (want && (*n >= n_want || !same(&batch[i], &want[*n]))) {
                fprintf(stderr, "record %zu differs (kind %u)\n", *n, batch[i].kind);
                vmr_test_failures++;
                want = NULL;
            }
    }
    vmr_trace_reader_destroy(r);
    return rc;
}

static struct vmr_record random_record(struct vmr_rng *g, uint64_t *addr)
{
    static const char *strs[] = {"/bin/ls", "a b \"c\"\n", "/x", "\xc3\xa9t\xc3\xa9"};
    struct vmr_record r = {0};
    uint64_t roll = vmr_rng_below(g, 100);
    r.pid = vmr_rng_below(g, 8) == 0 ? UINT32_MAX - (uint32_t)vmr_rng_below(g, 3)
                                     : 1 + (uint32_t)vmr_rng_below(g, 4);
    if (roll < 70) {
        r.kind = (uint8_t)vmr_rng_below(g, 3);
        r.size = vmr_rng_below(g, 4) ? 8 : 1 + (uint32_t)vmr_rng_below(g, 64);
        r.count = vmr_rng_below(g, 5) ? 1 : 1 + (uint32_t)vmr_rng_below(g, UINT32_MAX);
        switch (vmr_rng_below(g, 4)) {
        case 0:
            *addr += 8;
            break;
        case 1:
            *addr = vmr_rng_next(g) & ~7ULL;
            break;
        case 2:
            *addr -= 16;
            break;
        default:
            break;
        }
        r.addr = *addr;
        if (r.addr + (r.size - 1) < r.addr)
            r.addr = UINT64_MAX - r.size + 1;
        if (vmr_rng_below(g, 50) == 0) {
            r.addr = UINT64_MAX;
            r.size = 1;
        }
        return r;
    }
    r.kind = (uint8_t)(VMR_REC_MMAP + vmr_rng_below(g, VMR_REC_N_KINDS - VMR_REC_MMAP));
    r.addr = vmr_rng_next(g);
    r.len = vmr_rng_below(g, 2) ? UINT64_MAX : vmr_rng_below(g, 1 << 20);
    switch (r.kind) {
    case VMR_REC_MMAP:
        r.prot = (uint8_t)vmr_rng_below(g, 8);
        r.flags = (uint16_t)vmr_rng_below(g, VMR_MAP_KNOWN_FLAGS + 1);
        r.arg = (uint32_t)vmr_rng_below(g, 3) ? UINT32_MAX : 0;
        r.off = vmr_rng_next(g);
        r.err = (int32_t)vmr_rng_below(g, 2) * 12;
        break;
    case VMR_REC_MUNMAP:
        r.err = 22;
        break;
    case VMR_REC_MPROTECT:
        r.prot = (uint8_t)vmr_rng_below(g, 8);
        break;
    case VMR_REC_BRK:
        r.len = 0;
        r.off = vmr_rng_next(g);
        break;
    case VMR_REC_FORK:
    case VMR_REC_THREAD:
    case VMR_REC_EXIT:
    case VMR_REC_EXEC:
        r.addr = r.len = 0;
        r.arg = (uint32_t)vmr_rng_next(g);
        r.err = r.kind == VMR_REC_EXEC ? 2 : 0;
        r.flags = r.kind == VMR_REC_EXEC && (r.arg & 1) ? VMR_EXEC_MAPPED : 0;
        break;
    case VMR_REC_FILE:
        r.addr = r.len = 0;
        r.pid = 0;
        r.arg = 1 + (uint32_t)vmr_rng_below(g, UINT32_MAX);
        r.off = vmr_rng_below(g, 2) ? VMR_FILE_SIZE_UNKNOWN : vmr_rng_below(g, 1 << 30);
        r.flags = (uint16_t)vmr_rng_below(g, 2);
        r.str = strs[vmr_rng_below(g, 4)];
        break;
    case VMR_REC_MADVISE:
        r.flags = (uint16_t)vmr_rng_below(g, 22);
        break;
    case VMR_REC_MSYNC:
        r.flags = (uint16_t)vmr_rng_below(g, 8);
        break;
    case VMR_REC_MARK:
        r.addr = r.len = 0;
        r.str = vmr_rng_below(g, 3) ? strs[vmr_rng_below(g, 4)] : "";
        break;
    default:
        break;
    }
    return r;
}

static long file_size(const char *path)
{
    FILE *fp = fopen(path, "rb");
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fclose(fp);
    return n;
}

static unsigned char *slurp(const char *path, long *n)
{
    *n = file_size(path);
    unsigned char *buf = malloc((size_t)*n);
    FILE *fp = fopen(path, "rb");
    if (fread(buf, 1, (size_t)*n, fp) != (size_t)*n)
        exit(1);
    fclose(fp);
    return buf;
}

static const char *dump(const unsigned char *buf, long n)
{
    const char *path = vmr_test_tmp("mut.vmt");
    FILE *fp = fopen(path, "wb");
    fwrite(buf, 1, (size_t)n, fp);
    fclose(fp);
    return path;
}

static void test_round_trip(void)
{
    enum { N = 6000 };
    static struct vmr_record recs[N];
    struct vmr_rng g;
    vmr_rng_seed(&g, 42);
    uint64_t addr = 0x10000;
    for (size_t i = 0; i < N; i++)
        recs[i] = random_record(&g, &addr);
    for (uint32_t frame = 64; frame <= (1u << 20); frame *= 128) {
        const char *path = write_trace(recs, N, frame);
        size_t n;
        char err[512];
        CHECK(read_all(path, recs, N, &n, err, sizeof err) == 0);
        CHECK_EQ_U64(n, N);
        struct vmr_trace_reader *r;
        CHECK(vmr_trace_reader_open(&r, path, VMR_FORM_AUTO, err, sizeof err) == 0);
        const struct vmr_trace_info *info = vmr_trace_reader_info(r);
        CHECK(info->form == VMR_FORM_BINARY && info->indexed);
        CHECK_EQ_U64(info->n_records, N);
        CHECK(frame > 64 || info->n_frames > 100);
        CHECK_EQ_U64(info->page_size, 4096);
        CHECK_EQ_U64(info->n_meta, 2);
        CHECK_STR(info->meta[0].key, "recorder");
        CHECK_STR(info->meta[1].value, "");
        uint64_t acc = 0, acc_recs = 0;
        for (size_t i = 0; i < N; i++)
            if (vmr_rec_is_access(recs[i].kind)) {
                acc += recs[i].count;
                acc_recs++;
            }
        CHECK_EQ_U64(info->n_accesses, acc);
        CHECK_EQ_U64(info->n_access_records, acc_recs);
        /* a second pass after rewind gives the same records */
        struct vmr_record a[N < 100 ? N : 100];
        size_t got;
        CHECK(vmr_trace_reader_next(r, a, 100, &got) == 0 && got > 0);
        CHECK(vmr_trace_reader_rewind(r) == 0);
        CHECK(vmr_trace_reader_next(r, a, 1, &got) == 0 && got == 1 && same(&a[0], &recs[0]));
        char where[256];
        vmr_trace_reader_where(r, 0, where, sizeof where);
        CHECK(strstr(where, "record 1 (frame 0") != NULL);
        vmr_trace_reader_destroy(r);
    }
}

static uint32_t raw_bytes_of_first_frame(const char *path)
{
    long n;
    unsigned char *buf = slurp(path, &n);
    uint32_t hdr_len = (uint32_t)buf[12] | (uint32_t)buf[13] << 8;
    uint32_t raw =
        buf[hdr_len + 8] | (uint32_t)buf[hdr_len + 9] << 8 | (uint32_t)buf[hdr_len + 10] << 16;
    free(buf);
    return raw;
}

/* A word-stride scan costs one byte per access before compression in 1.0
 * (short forms), two in 1.1 (tag and delta); repeats of one address one
 * byte in 1.1 (delta 0 is a tag bit). */
static void test_short_deltas(void)
{
    enum { N = 10000 };
    static struct vmr_record recs[N];
    for (size_t i = 0; i < N; i++)
        recs[i] = (struct vmr_record){
            .kind = VMR_REC_READ, .pid = 1, .addr = 0x1000 + 8 * i, .size = 8, .count = 1};
    uint32_t raw = raw_bytes_of_first_frame(write_trace(recs, N, 1 << 20));
    /* first record carries pid, size, address */
    CHECK(version == 10 ? raw <= N + 16 : raw <= 2 * N + 16);
    for (size_t i = 0; i < N; i++)
        recs[i].addr = 0x1000 + 8 * (i / 2);
    raw = raw_bytes_of_first_frame(write_trace(recs, N, 1 << 20));
    CHECK(version == 10 ? raw <= N + 16 : raw <= N + N / 2 + 16);
}

/* 1.1's bases: accesses that alternate between a few pages per pid, pids
 * interleaved (more than the pid table's first size in one frame), round
 * trip in both versions, and 1.1 is the smaller. */
static void test_bases(void)
{
    enum { N = 60000, PIDS = 150 };
    static struct vmr_record recs[N];
    struct vmr_rng g;
    vmr_rng_seed(&g, 11);
    uint64_t cursor[9] = {0}; /* each page is walked word by word */
    for (size_t i = 0; i < N; i++) {
        uint32_t pid = (i / 64) % 7 == 0 ? 1 + (uint32_t)vmr_rng_below(&g, PIDS) : 3;
        uint64_t k = vmr_rng_below(&g, i % 1000 < 500 ? 4 : 9);
        cursor[k] = (cursor[k] + 8) % 4096;
        recs[i] = (struct vmr_record){.kind = (uint8_t)vmr_rng_below(&g, 3),
                                      .pid = pid,
                                      .addr = 0x7f0000000000 + 0x1000 * k + cursor[k],
                                      .size = vmr_rng_below(&g, 6) ? 8 : 4,
                                      .count = vmr_rng_below(&g, 8) ? 1 : 3};
        if (vmr_rng_below(&g, 1000) == 0) /* a block straddling the top */
            recs[i].addr = UINT64_MAX - 7;
    }
    long sizes[2];
    for (int v = 0; v < 2; v++)
        for (uint32_t frame = 512; frame <= (1u << 20); frame *= 2048) {
            struct vmr_trace_writer_options opt = {
                .form = VMR_FORM_BINARY, .frame_bytes = frame, .format_version = v ? 11 : 10};
            const char *path = write_trace_opt(recs, N, &opt);
            size_t n;
            char err[512];
            CHECK(read_all(path, recs, N, &n, err, sizeof err) == 0);
            CHECK_EQ_U64(n, N);
            struct vmr_trace_reader *r;
            CHECK(vmr_trace_reader_open(&r, path, VMR_FORM_AUTO, err, sizeof err) == 0);
            CHECK_EQ_U64(vmr_trace_reader_info(r)->version_minor, (uint64_t)v);
            vmr_trace_reader_destroy(r);
            sizes[v] = file_size(path);
        }
    CHECK(sizes[1] * 10 < sizes[0] * 9);
    printf("test_bases: 1 MiB frames: %ld bytes in 1.0, %ld in 1.1\n", sizes[0], sizes[1]);
}

static void test_no_index_and_prefixes(void)
{
    enum { N = 400 };
    struct vmr_record recs[N];
    struct vmr_rng g;
    vmr_rng_seed(&g, 7);
    uint64_t addr = 0x5000;
    for (size_t i = 0; i < N; i++)
        recs[i] = random_record(&g, &addr);
    const char *path = write_trace(recs, N, 256);
    long n;
    unsigned char *buf = slurp(path, &n);
    /* without the trailer: read by walking the frames, same records */
    const char *cut = dump(buf, n - 16);
    size_t got;
    char err[512];
    CHECK(read_all(cut, recs, N, &got, err, sizeof err) == 0);
    CHECK_EQ_U64(got, N);
    struct vmr_trace_reader *r;
    CHECK(vmr_trace_reader_open(&r, cut, VMR_FORM_AUTO, err, sizeof err) == 0);
    CHECK(!vmr_trace_reader_info(r)->indexed);
    CHECK(vmr_trace_reader_count(r) == 0);
    CHECK_EQ_U64(vmr_trace_reader_info(r)->n_records, N);
    /* counted is not indexed: reading after a count walks the frames again */
    struct vmr_record one[64];
    size_t total = 0, got1;
    while (vmr_trace_reader_next(r, one, 64, &got1) == 0 && got1 > 0)
        total += got1;
    CHECK_EQ_U64(total, N);
    vmr_trace_reader_destroy(r);
    /* every prefix: a clean error or success, and never more records than
     * were written; a prefix ending at a frame boundary reads cleanly */
    int clean = 0, failed = 0;
    for (long len = 0; len < n; len++) {
        const char *p = dump(buf, len);
        int rc = read_all(p, recs, N, &got, err, sizeof err);
        if (rc == 0)
            clean++;
        else {
            failed++;
            CHECK(strstr(err, "vmt") != NULL); /* names the file */
        }
        CHECK(got <= N);
    }
    CHECK(clean > 5 && failed > n / 2);
    free(buf);
}

static void test_flipped_bytes(void)
{
    enum { N = 120 };
    struct vmr_record recs[N];
    struct vmr_rng g;
    vmr_rng_seed(&g, 9);
    uint64_t addr = 0;
    for (size_t i = 0; i < N; i++)
        recs[i] = random_record(&g, &addr);
    const char *path = write_trace(recs, N, 512);
    long n;
    unsigned char *buf = slurp(path, &n);
    int errors = 0;
    for (long i = 0; i < n; i++) {
        buf[i] ^= 0xff;
        size_t got;
        char err[512];
        if (read_all(dump(buf, n), NULL, 0, &got, err, sizeof err) != 0)
            errors++;
        buf[i] ^= 0xff;
    }
    CHECK(errors > n * 9 / 10); /* checksums and counts catch nearly all */
    free(buf);
}

/* A hand-made trace: header, then one unindexed frame of raw records. */
static const char *handmade_magic(uint16_t major, uint16_t minor, const char *magic,
                                  const unsigned char *raw, size_t len, uint32_t n_records,
                                  uint32_t n_access, uint64_t n_accesses)
{
    static unsigned char file[4096];
    unsigned char comp[1024];
    size_t c = ZSTD_compress(comp, sizeof comp, raw, len, 3);
    unsigned char h[24] = {0x89, 'V', 'M', 'T', '\r', '\n', 0x1a, '\n'};
    h[8] = (unsigned char)major;
    h[10] = (unsigned char)minor;
    h[12] = 24;
    h[17] = 0x10; /* page size 4096 */
    memcpy(file, h, 24);
    unsigned char *f = file + 24;
    memcpy(f, magic, 4);
    uint32_t v[4] = {(uint32_t)c, (uint32_t)len, n_records, n_access};
    for (int k = 0; k < 4; k++)
        for (int j = 0; j < 4; j++)
            f[4 + 4 * k + j] = (unsigned char)(v[k] >> (8 * j));
    memset(f + 20, 0, 12);
    for (int j = 0; j < 8; j++)
        f[24 + j] = (unsigned char)(n_accesses >> (8 * j));
    memcpy(f + 32, comp, c);
    return dump(file, (long)(24 + 32 + c));
}

/* The same with the frame magic of the version: VMF1 for 1.0, else VMF2. */
static const char *handmade(uint16_t major, uint16_t minor, const unsigned char *raw, size_t len,
                            uint32_t n_records, uint32_t n_access, uint64_t n_accesses)
{
    return handmade_magic(major, minor, minor ? "VMF2" : "VMF1", raw, len, n_records, n_access,
                          n_accesses);
}

static void test_handmade(void)
{
    size_t n;
    char err[512];
    /* read pid 1 size 8 at 16; an event of unknown code 40 with 3 bytes; an
     * mmap with 3 bytes after its fields; a write at +8 (short form D=5) */
    const unsigned char ok[] = {0x0c, 1,          8,  0x20, 3 | 40 << 2, 3,    1,    2,
                                3,    3 | 1 << 2, 12, 1,    0x80,        0x20, 0x10, 3,
                                6,    0,          0,  0,    0,           0xaa, 0xbb, 0x01 | 5 << 5};
    struct vmr_record want[3] = {
        {.kind = VMR_REC_READ, .pid = 1, .addr = 16, .size = 8, .count = 1},
        {.kind = VMR_REC_MMAP, .pid = 1, .addr = 0x1000, .len = 16, .prot = 3, .flags = 6},
        {.kind = VMR_REC_WRITE, .pid = 1, .addr = 24, .size = 8, .count = 1},
    };
    CHECK(read_all(handmade(1, 0, ok, sizeof ok, 4, 2, 2), want, 3, &n, err, sizeof err) == 0);
    CHECK_EQ_U64(n, 3);
    /* the same records in 1.1: read (j 0, P, S, delta 32 = +16); the
     * event and mmap; write, j 0, delta +8 (16) */
    const unsigned char ok11[] = {0x30,       1,  8, 0x20, 3 | 40 << 2, 3,    1,   2, 3,
                                  3 | 1 << 2, 12, 1, 0x80, 0x20,        0x10, 3,   6, 0,
                                  0,          0,  0, 0xaa, 0xbb,        0x01, 0x10};
    CHECK(read_all(handmade(1, 1, ok11, sizeof ok11, 4, 2, 2), want, 3, &n, err, sizeof err) == 0);
    CHECK_EQ_U64(n, 3);
    /* a later minor version with 1.1 frames is read as 1.1 */
    CHECK(read_all(handmade(1, 7, ok11, sizeof ok11, 4, 2, 2), want, 3, &n, err, sizeof err) == 0);
    /* frames whose magic disagrees with the header, or a newer encoding */
    CHECK(read_all(handmade_magic(1, 0, "VMF2", ok11, sizeof ok11, 4, 2, 2), NULL, 0, &n, err,
                   sizeof err) == VMR_EFORMAT);
    CHECK(strstr(err, "byte 24: frame magic VMF2 disagrees with format version 1.0") != NULL);
    CHECK(read_all(handmade_magic(1, 1, "VMF1", ok, sizeof ok, 4, 2, 2), NULL, 0, &n, err,
                   sizeof err) == VMR_EFORMAT);
    CHECK(strstr(err, "byte 24: frame magic VMF1 disagrees with format version 1.1") != NULL);
    CHECK(read_all(handmade_magic(1, 2, "VMF3", ok11, sizeof ok11, 4, 2, 2), NULL, 0, &n, err,
                   sizeof err) == VMR_EVERSION);
    CHECK(strstr(err, "byte 24: frame magic VMF3: an access encoding newer") != NULL);
    /* another major version is refused */
    CHECK(read_all(handmade(2, 0, ok, sizeof ok, 4, 2, 2), NULL, 0, &n, err, sizeof err) ==
          VMR_EVERSION);
    CHECK(strstr(err, "version 2.0") != NULL);
    /* counts that disagree with the header */
    CHECK(read_all(handmade(1, 0, ok, sizeof ok, 4, 2, 3), NULL, 0, &n, err, sizeof err) ==
          VMR_EFORMAT);
    CHECK(strstr(err, "header says") != NULL);
    /* an access that wraps past 2^64 */
    const unsigned char wrap[] = {0x0c, 1, 16, 0x01}; /* size 16 at -1 (zigzag 1) */
    CHECK(read_all(handmade(1, 0, wrap, sizeof wrap, 1, 1, 1), NULL, 0, &n, err, sizeof err) ==
          VMR_EFORMAT);
    CHECK(strstr(err, "end of the address space") && strstr(err, "record 1"));
    /* event 0 is reserved; an event longer than the frame */
    const unsigned char ev0[] = {3, 0};
    CHECK(read_all(handmade(1, 0, ev0, sizeof ev0, 1, 0, 0), NULL, 0, &n, err, sizeof err) ==
          VMR_EFORMAT);
    const unsigned char evlong[] = {3 | 5 << 2, 9, 1};
    CHECK(read_all(handmade(1, 0, evlong, sizeof evlong, 1, 0, 0), NULL, 0, &n, err, sizeof err) ==
          VMR_EFORMAT);
    /* an 11-byte varint */
    const unsigned char vlong[] = {0x04, 0x80, 0x80, 0x80, 0x80, 0x80,
                                   0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
    CHECK(read_all(handmade(1, 0, vlong, sizeof vlong, 1, 1, 1), NULL, 0, &n, err, sizeof err) ==
          VMR_EFORMAT);
    /* a text file is not taken for binary; junk after the magic is */
    unsigned char junk[40] = {0x89, 'V', 'M', 'T', '\r', '\n', 0x1a, '\n', 1, 0, 200};
    CHECK(read_all(dump(junk, sizeof junk), NULL, 0, &n, err, sizeof err) == VMR_EFORMAT);
}

/* The 1.1 access encoding byte by byte (FORMAT.md 2.3.1): bases chosen by
 * the tag, moved to the front on their block, pushed on a miss, sizes kept
 * per base, per-pid bases across a pid change; and its malformed accesses,
 * named by file, record and frame offset. Every base index is valid (the
 * four bases exist from the frame start), so there is no bad index. */
static void test_handmade11(void)
{
    const unsigned char ok[] = {
        0x30, 1,    8,    0x20,       /* r pid 1 size 8, j 0 (0,1) + 16: hit, B = 16 */
        0x01, 0xe0, 0xbf, 0x02,       /* w j 0 + 0x4ff0: miss, B = 0x5000 16 0 0 */
        0x04, 0x10,                   /* r j 1 (16) + 8: hit, B = 24 0x5000 0 0 */
        0x86,                         /* x j 1, delta 0: B = 0x5000 24 0 0 */
        0xc0, 5,                      /* r j 0, delta 0, count 5 */
        0xa3, 3,    1,    2,    3,    /* an unknown event */
        0x38, 2,    4,    0x80, 0x04, /* r pid 2 size 4, j 2 + 0x100: pid 2's fresh bases */
        0x95, 1,                      /* w pid 1 j 1, delta 0: 24 (pid 1's bases kept) */
        0x2c, 2,    0x60,             /* r j 3 (0) size 2 + 0x30: B = 0x30 24 0x5000 0 */
        0x88,                         /* r j 2, delta 0: 0x5000, size 8 (base 2's) */
    };
    const struct vmr_record want[] = {
        {.kind = VMR_REC_READ, .pid = 1, .addr = 16, .size = 8, .count = 1},
        {.kind = VMR_REC_WRITE, .pid = 1, .addr = 0x5000, .size = 8, .count = 1},
        {.kind = VMR_REC_READ, .pid = 1, .addr = 24, .size = 8, .count = 1},
        {.kind = VMR_REC_FETCH, .pid = 1, .addr = 0x5000, .size = 8, .count = 1},
        {.kind = VMR_REC_READ, .pid = 1, .addr = 0x5000, .size = 8, .count = 5},
        {.kind = VMR_REC_READ, .pid = 2, .addr = 0x100, .size = 4, .count = 1},
        {.kind = VMR_REC_WRITE, .pid = 1, .addr = 24, .size = 8, .count = 1},
        {.kind = VMR_REC_READ, .pid = 1, .addr = 0x30, .size = 2, .count = 1},
        {.kind = VMR_REC_READ, .pid = 1, .addr = 0x5000, .size = 8, .count = 1},
    };
    size_t n;
    char err[512];
    CHECK(read_all(handmade(1, 1, ok, sizeof ok, 10, 9, 13), want, 9, &n, err, sizeof err) == 0);
    CHECK_EQ_U64(n, 9);
    /* the writer makes exactly these bytes for these records (its base
     * choice: the first on the block, else base 0), bar the event */
    static const struct vmr_record rewrite[] = {
        {.kind = VMR_REC_READ, .pid = 1, .addr = 16, .size = 8, .count = 1},
        {.kind = VMR_REC_WRITE, .pid = 1, .addr = 0x5000, .size = 8, .count = 1},
        {.kind = VMR_REC_READ, .pid = 1, .addr = 24, .size = 8, .count = 1},
        {.kind = VMR_REC_FETCH, .pid = 1, .addr = 0x5000, .size = 8, .count = 1},
        {.kind = VMR_REC_READ, .pid = 1, .addr = 0x5000, .size = 8, .count = 5},
    };
    uint32_t raw = raw_bytes_of_first_frame(
        write_trace_opt(rewrite, 5, &(struct vmr_trace_writer_options){.form = VMR_FORM_BINARY}));
    CHECK_EQ_U64(raw, 13);
    struct {
        const unsigned char *b;
        size_t len;
        uint32_t records;
        const char *msg;
    } bad[] = {
        {(const unsigned char[]){0x30, 1}, 2, 1, "record 1 (frame 0 at byte 24): malformed access"},
        {(const unsigned char[]){0x20, 0, 0x10}, 3, 1, "record 1 (frame 0 at byte 24): malformed"},
        {(const unsigned char[]){0x40, 1, 0x10}, 3, 1, "record 1 (frame 0 at byte 24): malformed"},
        {(const unsigned char[]){0x10, 0x80, 0x80, 0x80, 0x80, 0x10, 0x10}, 7, 1,
         "record 1 (frame 0 at byte 24): malformed"},
        {(const unsigned char[]){0x20, 16, 0x01}, 3, 1,
         "record 1 (frame 0 at byte 24): access runs past the end of the address space"},
        {(const unsigned char[]){0x80, 0x01}, 2, 2, "record 2 (frame 0 at byte 24): malformed"},
        {(const unsigned char[]){0x00, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                                 0x01},
         12, 1, "record 1 (frame 0 at byte 24): malformed"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *path =
            handmade(1, 1, bad[i].b, bad[i].len, bad[i].records, bad[i].records, bad[i].records);
        CHECK(read_all(path, NULL, 0, &n, err, sizeof err) == VMR_EFORMAT);
        if (!strstr(err, bad[i].msg) || !strstr(err, "mut.vmt")) {
            fprintf(stderr, "case %zu: %s\n", i, err);
            vmr_test_failures++;
        }
    }
}

/* exec flags are an optional trailing varint: a 1.0 payload without them
 * reads as flags 0, with 1 as mapped (plus ignored later fields), any other
 * bit is malformed; the writer leaves them out when 0. */
static void test_exec_flags(void)
{
    size_t n;
    char err[512];
    const unsigned char old[] = {3 | 7 << 2, 3, 5, 9, 0};
    const unsigned char mapped[] = {3 | 7 << 2, 5, 5, 9, 2, 1, 0x77};
    const unsigned char unknown[] = {3 | 7 << 2, 4, 5, 9, 0, 2};
    struct vmr_record want = {.kind = VMR_REC_EXEC, .pid = 5, .arg = 9};
    CHECK(read_all(handmade(1, 0, old, sizeof old, 1, 0, 0), &want, 1, &n, err, sizeof err) == 0);
    want.flags = VMR_EXEC_MAPPED;
    want.err = 2;
    CHECK(read_all(handmade(1, 0, mapped, sizeof mapped, 1, 0, 0), &want, 1, &n, err, sizeof err) ==
          0);
    CHECK_EQ_U64(n, 1);
    CHECK(read_all(handmade(1, 0, unknown, sizeof unknown, 1, 0, 0), NULL, 0, &n, err,
                   sizeof err) == VMR_EFORMAT);
    CHECK(strstr(err, "exec flags") != NULL);
    /* the writer: same bytes as 1.0 without the flag, one more byte with it */
    struct vmr_record e = {.kind = VMR_REC_EXEC, .pid = 5, .arg = 9};
    long plain = file_size(write_trace(&e, 1, 0));
    e.flags = VMR_EXEC_MAPPED;
    const char *path = write_trace(&e, 1, 0);
    CHECK(file_size(path) > plain);
    CHECK(read_all(path, &e, 1, &n, err, sizeof err) == 0);
}

/* The match finder's options: records read back unchanged, a repeat
 * megabytes away costs next to nothing in a large frame (the window spans
 * the frame), and values zstd refuses are refused. */
static void test_match_finder(void)
{
    enum { HALF = 500000, N = 2 * HALF };
    static struct vmr_record recs[N];
    struct vmr_rng g;
    vmr_rng_seed(&g, 7);
    for (size_t i = 0; i < HALF; i++) {
        recs[i] = (struct vmr_record){.kind = (uint8_t)(vmr_rng_next(&g) % 2),
                                      .pid = 1,
                                      .addr = 0x10000000 + (vmr_rng_next(&g) % (1u << 24)),
                                      .size = 1u << (vmr_rng_next(&g) % 4),
                                      .count = 1};
        recs[HALF + i] = recs[i];
    }
    struct vmr_trace_writer_options big = {.form = VMR_FORM_BINARY,
                                           .frame_bytes = 16u << 20,
                                           .zstd_hash_log = 18,
                                           .zstd_min_match = 4};
    const char *path = write_trace_opt(recs, N, &big);
    size_t n;
    char err[512];
    CHECK(read_all(path, recs, N, &n, err, sizeof err) == 0);
    CHECK_EQ_U64(n, N);
    long size_big = file_size(path);
    path = write_trace(recs, N, 1u << 20);
    long size_small = file_size(path);
    /* several MiB of records: 1 MiB frames see the repeat in no window */
    CHECK(size_big * 10 < size_small * 6);
    struct vmr_trace_writer *w;
    struct vmr_trace_writer_options bad = {.form = VMR_FORM_BINARY, .zstd_hash_log = 99};
    CHECK(vmr_trace_writer_open(&w, path, &header, &bad, err, sizeof err) == VMR_ECOMPRESS);
    bad = (struct vmr_trace_writer_options){.form = VMR_FORM_BINARY, .zstd_min_match = 1};
    CHECK(vmr_trace_writer_open(&w, path, &header, &bad, err, sizeof err) == VMR_ECOMPRESS);
    CHECK(strstr(err, "out of range") != NULL);
}

static void test_writer_refuses(void)
{
    const char *path = vmr_test_tmp("bad.vmt");
    struct vmr_trace_writer *w;
    char err[512];
    CHECK(vmr_trace_writer_open(&w, path, &header, NULL, err, sizeof err) == 0);
    struct vmr_record r = {
        .kind = VMR_REC_READ, .pid = 1, .addr = UINT64_MAX - 2, .size = 8, .count = 1};
    CHECK(vmr_trace_writer_put(w, &r) == VMR_ERANGE);
    r.addr = 0;
    r.count = 0;
    CHECK(vmr_trace_writer_put(w, &r) == VMR_EINVAL);
    struct vmr_record f = {.kind = VMR_REC_FILE, .arg = 0, .str = "/x"};
    CHECK(vmr_trace_writer_put(w, &f) == VMR_EINVAL);
    CHECK(strstr(vmr_trace_writer_error(w), "file id 0") != NULL);
    struct vmr_record m = {.kind = VMR_REC_MMAP, .flags = 1u << 12};
    CHECK(vmr_trace_writer_put(w, &m) == VMR_EINVAL);
    CHECK(vmr_trace_writer_close(w, err, sizeof err) == 0);
    struct vmr_trace_header bad = {3000, 0, NULL};
    CHECK(vmr_trace_writer_open(&w, path, &bad, NULL, err, sizeof err) == VMR_EINVAL);
    CHECK(strstr(err, "page size 3000") != NULL);
    CHECK(vmr_trace_writer_open(&w, "/nonexistent-dir/x.vmt", &header, NULL, err, sizeof err) ==
          VMR_EIO);
    CHECK(strstr(err, "/nonexistent-dir/x.vmt") != NULL);
}

int main(void)
{
    for (int v = 0; v < 2; v++) {
        version = v ? 10 : 0; /* the latest (1.1), then 1.0 */
        test_round_trip();
        test_short_deltas();
        test_no_index_and_prefixes();
        test_flipped_bytes();
    }
    test_bases();
    test_handmade();
    test_handmade11();
    test_exec_flags();
    test_match_finder();
    test_writer_refuses();
    return vmr_test_done();
}
