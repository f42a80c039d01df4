/*
 * bench_trace_bytes.c - where the bytes of a trace's access records go.
 *
 *   bench_trace_bytes TRACE
 *
 * Re-encodes the access records of TRACE (events are left out: they are a
 * few bytes in millions) and prints, per access (repeat counts included):
 *
 *   - how the records look: repeat counts, size changes, how far back (in
 *     distinct pages) the previous access to a record's page was;
 *   - the current encoding (FORMAT.md 2.3) split into its fields (tag,
 *     size, count, address delta), each field compressed on its own with
 *     zstd level 3 in 1 MiB pieces: which field the compressed bytes are;
 *   - the whole encoding compressed as the writer does it, with 1 MiB frames
 *     (the default) and with `vmreplay record`'s settings (16 MiB frames,
 *     window spanning the frame, hash log 18, minimum match 4);
 *   - a prototype encoding that the format does not have: the address is a
 *     delta from one of the last 4 distinct pages' last addresses (2 bits of
 *     the tag say which; each keeps its own last size), measured the same
 *     two ways. BENCHMARKS.md#trace-size has the figures.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "vmreplay/trace.h"

enum { SMALL_FRAME = 1 << 20, BIG_FRAME = 16 << 20, MRU = 4, RECENT = 8, MAX_PIDS = 256 };

/* Encoded bytes, compressed every BIG_FRAME bytes (so memory stays small):
 * in 1 MiB pieces (small) and, if `big`, as one piece with the recorder's
 * settings. */
struct buf {
    uint8_t *p;
    size_t len, cap;
    uint64_t raw, small, big;
    int want_big;
};

static ZSTD_CCtx *cc;

static void put8(struct buf *b, unsigned v)
{
    if (b->len == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 1 << 16;
        b->p = realloc(b->p, b->cap);
        if (!b->p) {
            fprintf(stderr, "out of memory\n");
            exit(1);
        }
    }
    b->p[b->len++] = (uint8_t)v;
}

static void putv(struct buf *b, uint64_t v)
{
    while (v >= 0x80) {
        put8(b, (unsigned)(v | 0x80));
        v >>= 7;
    }
    put8(b, (unsigned)v);
}

static uint64_t zigzag(uint64_t d)
{
    return (d << 1) ^ (uint64_t)((int64_t)d >> 63);
}

/* Compressed size of b in pieces of `frame` bytes, each alone, with the
 * writer's settings (window spanning the piece) plus hash_log/min_match. */
static uint64_t compressed(const struct buf *b, size_t frame, int hash_log, int min_match)
{
    static uint8_t *out;
    static size_t out_cap;
    size_t need = ZSTD_compressBound(frame);
    if (out_cap < need) {
        free(out);
        out = malloc(need);
        out_cap = need;
        if (!out) {
            fprintf(stderr, "out of memory\n");
            exit(1);
        }
    }
    int wlog = 10;
    while (wlog < 27 && ((size_t)1 << wlog) < frame)
        wlog++;
    uint64_t total = 0;
    for (size_t off = 0; off < b->len; off += frame) {
        size_t n = b->len - off < frame ? b->len - off : frame;
        ZSTD_CCtx_reset(cc, ZSTD_reset_session_and_parameters);
        ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, 3);
        ZSTD_CCtx_setParameter(cc, ZSTD_c_windowLog, wlog);
        if (hash_log)
            ZSTD_CCtx_setParameter(cc, ZSTD_c_hashLog, hash_log);
        if (min_match)
            ZSTD_CCtx_setParameter(cc, ZSTD_c_minMatch, min_match);
        size_t r = ZSTD_compress2(cc, out, out_cap, b->p + off, n);
        if (ZSTD_isError(r)) {
            fprintf(stderr, "zstd: %s\n", ZSTD_getErrorName(r));
            exit(1);
        }
        total += r + 32; /* and a frame header */
    }
    return total;
}

static void flush(struct buf *b)
{
    b->raw += b->len;
    b->small += compressed(b, SMALL_FRAME, 0, 0);
    if (b->want_big)
        b->big += compressed(b, BIG_FRAME, 18, 4);
    b->len = 0;
}

/* Per-pid encoder state of both encodings. */
struct pid_state {
    uint32_t pid;
    uint64_t prev;           /* current format: previous address */
    uint64_t mru_addr[MRU];  /* prototype: last address of the last pages */
    uint32_t mru_size[MRU];  /* and the size there */
    uint64_t recent[RECENT]; /* statistics: the last distinct pages */
};

struct enc {
    struct pid_state st[MAX_PIDS];
    size_t n_st;
    uint32_t cur_pid, last_size; /* current format */
    struct buf whole, field[4];  /* current format: all, and tag/size/count/delta */
    struct buf proto;            /* prototype */
    uint32_t proto_pid;
    /* statistics */
    uint64_t records, accesses, count1, size_changes, recent_pos[RECENT + 1];
};

static struct pid_state *state(struct enc *e, uint32_t pid)
{
    for (size_t i = 0; i < e->n_st; i++)
        if (e->st[i].pid == pid)
            return &e->st[i];
    struct pid_state *s = &e->st[e->n_st < MAX_PIDS ? e->n_st++ : 0];
    memset(s, 0, sizeof *s);
    s->pid = pid;
    for (int i = 0; i < MRU; i++)
        s->mru_size[i] = 1;
    return s;
}

static void encode(struct enc *e, const struct vmr_record *r)
{
    struct pid_state *s = state(e, r->pid);
    uint64_t page = r->addr >> 12;
    e->records++;
    e->accesses += r->count;
    e->count1 += r->count == 1;
    int pos = 0;
    while (pos < RECENT && s->recent[pos] != page + 1)
        pos++;
    e->recent_pos[pos]++;
    memmove(s->recent + 1, s->recent, (size_t)(pos < RECENT ? pos : RECENT - 1) * 8);
    s->recent[0] = page + 1;

    /* the current format (binary_writer.c) */
    unsigned tag = r->kind;
    if (r->pid != e->cur_pid)
        tag |= 4;
    if (r->size != e->last_size) {
        tag |= 8;
        e->size_changes++;
    }
    if (r->count != 1)
        tag |= 16;
    int64_t d = (int64_t)(r->addr - s->prev), sz = r->size;
    int short_form = d >= -3 * sz && d <= 3 * sz && d % sz == 0;
    if (short_form)
        tag |= (unsigned)(d / sz + 4) << 5;
    put8(&e->whole, tag);
    put8(&e->field[0], tag);
    if (tag & 4) {
        putv(&e->whole, r->pid);
        putv(&e->field[0], r->pid);
    }
    if (tag & 8) {
        putv(&e->whole, r->size);
        putv(&e->field[1], r->size);
    }
    if (tag & 16) {
        putv(&e->whole, r->count);
        putv(&e->field[2], r->count);
    }
    if (!short_form) {
        putv(&e->whole, zigzag((uint64_t)d));
        putv(&e->field[3], zigzag((uint64_t)d));
    }
    s->prev = r->addr;
    e->cur_pid = r->pid;
    e->last_size = r->size;

    /* the prototype: base j = the entry holding this page, else the last */
    int j = 0;
    while (j < MRU && (s->mru_addr[j] >> 12) != page)
        j++;
    int hit = j < MRU;
    if (!hit)
        j = 0;
    unsigned pt = r->kind | (unsigned)j << 2;
    if (r->pid != e->proto_pid)
        pt |= 1u << 4;
    if (r->size != s->mru_size[j])
        pt |= 1u << 5;
    if (r->count != 1)
        pt |= 1u << 6;
    int64_t pd = (int64_t)(r->addr - s->mru_addr[j]);
    int zero = pd == 0; /* the commonest delta once the page is right */
    if (zero)
        pt |= 1u << 7;
    put8(&e->proto, pt);
    if (pt & (1u << 4))
        putv(&e->proto, r->pid);
    if (pt & (1u << 5))
        putv(&e->proto, r->size);
    if (pt & (1u << 6))
        putv(&e->proto, r->count);
    if (!zero)
        putv(&e->proto, zigzag((uint64_t)pd));
    int from = hit ? j : MRU - 1;
    memmove(s->mru_addr + 1, s->mru_addr, (size_t)from * 8);
    memmove(s->mru_size + 1, s->mru_size, (size_t)from * 4);
    s->mru_addr[0] = r->addr;
    s->mru_size[0] = r->size;
    e->proto_pid = r->pid;
    if (e->whole.len >= BIG_FRAME)
        flush(&e->whole);
    if (e->proto.len >= BIG_FRAME)
        flush(&e->proto);
    for (int i = 0; i < 4; i++)
        if (e->field[i].len >= BIG_FRAME)
            flush(&e->field[i]);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bench_trace_bytes TRACE\n");
        return 2;
    }
    struct vmr_trace_reader *r;
    char err[512];
    if (vmr_trace_reader_open(&r, argv[1], VMR_FORM_AUTO, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    if (!(cc = ZSTD_createCCtx())) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    static struct enc e;
    e.whole.want_big = e.proto.want_big = 1;
    static struct vmr_record recs[4096];
    size_t n;
    int rc;
    while ((rc = vmr_trace_reader_next(r, recs, 4096, &n)) == 0 && n > 0)
        for (size_t i = 0; i < n; i++)
            if (vmr_rec_is_access(recs[i].kind))
                encode(&e, &recs[i]);
    if (rc != 0) {
        fprintf(stderr, "%s\n", vmr_trace_reader_error(r));
        return 1;
    }
    vmr_trace_reader_destroy(r);
    if (!e.accesses) {
        fprintf(stderr, "%s: no accesses\n", argv[1]);
        return 1;
    }
    double a = (double)e.accesses;
    flush(&e.whole);
    flush(&e.proto);
    for (int i = 0; i < 4; i++)
        flush(&e.field[i]);
    printf("# bench_trace_bytes %s\n", argv[1]);
    printf("access records %" PRIu64 ", accesses %" PRIu64 " (%.2f per record)\n", e.records,
           e.accesses, a / (double)e.records);
    printf("records with count 1: %.1f%%; records changing the size: %.1f%%\n",
           100.0 * (double)e.count1 / (double)e.records,
           100.0 * (double)e.size_changes / (double)e.records);
    printf("page of a record among the last distinct pages (0 = the previous record's):");
    for (int i = 0; i <= RECENT; i++)
        printf(" %s%.1f%%", i == RECENT ? "none " : "",
               100.0 * (double)e.recent_pos[i] / (double)e.records);
    printf("\n");
    static const char *const names[4] = {"tag", "size", "count", "delta"};
    printf("raw bytes per access:");
    for (int i = 0; i < 4; i++)
        printf(" %s %.3f", names[i], (double)e.field[i].raw / a);
    printf(" (all %.3f)\n", (double)e.whole.raw / a);
    printf("each field compressed alone (zstd 3, 1 MiB pieces), bytes per access:");
    for (int i = 0; i < 4; i++)
        printf(" %s %.3f", names[i], (double)e.field[i].small / a);
    printf("\n");
    printf("current format: %.3f bytes/access (1 MiB frames), %.3f (record's settings)\n",
           (double)e.whole.small / a, (double)e.whole.big / a);
    printf("prototype, deltas from the last %d pages: %.3f bytes/access (1 MiB frames), %.3f "
           "(record's settings)\n",
           MRU, (double)e.proto.small / a, (double)e.proto.big / a);
    ZSTD_freeCCtx(cc);
    return 0;
}
