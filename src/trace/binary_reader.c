/*
 * binary_reader.c - reads the binary trace form (FORMAT.md section 2).
 *
 * Open reads and checks the header and, if the file ends with a trailer,
 * the index (which gives the totals without decompressing anything);
 * otherwise frames are found by walking their headers. Frames are
 * decompressed one at a time into a buffer reused for the whole trace, and
 * decoded into the caller's batch. A batch never spans two frames (a call
 * may return fewer records than asked before the end), so strings decoded
 * into the per-frame arena stay put until the next call.
 *
 * Every count, size and offset read from the file is checked before it is
 * used to allocate, seek or index: bad input ends in an error naming the
 * file, the frame's byte offset and the record number, never in a crash.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#ifdef __x86_64__
#include <cpuid.h>
#endif

#include "binary.h"
#include "hashmap.h"
#include "internal.h"
#include "pidtab.h"
#include "vec.h"

struct frame_info {
    uint64_t offset;
    uint32_t n_records, n_access_records;
    uint64_t n_accesses;
    uint32_t raw_bytes, comp_bytes;
};

struct br {
    uint64_t file_size;
    uint64_t data_start; /* first frame */
    uint64_t data_end;   /* index offset, or the file size without one */
    char *meta_store;
    struct vmr_trace_meta *meta;
    struct frame_info *index; /* NULL if the file has none (info.indexed may
                                 still be set by a count) */
    ZSTD_DCtx *dctx;
    uint8_t *comp, *raw;
    size_t comp_cap, raw_cap;
    char *arena;
    size_t arena_len, arena_cap;
    /* the current frame */
    struct frame_info fr;
    uint64_t frame_no; /* of the current frame, 0-based */
    uint64_t next_off; /* header offset of the next frame */
    int in_frame;
    const uint8_t *p, *end;
    uint32_t done_records, done_access_records;
    uint64_t done_accesses;
    int pext; /* decode with pext (vmr_varint_pext_fast) */
    /* decoder state, reset per frame */
    unsigned minor;   /* the header's; picks the access encoding */
    uint32_t cur_pid; /* both encodings */
    /* page words (trace.h), if asked for: the pid of the last access record
     * described, UINT64_MAX before the first */
    uint64_t word_pid;
    /* 1.1: cur_pid's bases, the other pids' */
    struct acc_bases cur;
    struct pidtab pids;
    /* 1.0: last size, cur_pid's previous address, the other pids' */
    uint32_t last_size;
    uint64_t cur_prev;
    struct vmr_hashmap prev;
    /* for where(): the first record of the last batch */
    uint64_t records_before; /* records delivered before the current batch */
    uint64_t batch_first;
    uint64_t batch_frame, batch_frame_off;
};

static int fail(struct vmr_trace_reader *r, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct vmr_trace_reader *r, int rc, const char *fmt, ...)
{
    char msg[TRACE_ERR_LEN - 64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    trace_errf(r->err, "%s: %s", r->name, msg);
    return rc;
}

static int read_at(struct vmr_trace_reader *r, uint64_t off, void *buf, size_t n)
{
    if (fseeko(r->fp, (off_t)off, SEEK_SET) != 0 || fread(buf, 1, n, r->fp) != n) {
        if (ferror(r->fp))
            return fail(r, VMR_EIO, "byte %" PRIu64 ": read error: %s", off, strerror(errno));
        return fail(r, VMR_ETRUNCATED, "byte %" PRIu64 ": file ends early", off);
    }
    return 0;
}

static int parse_header(struct vmr_trace_reader *r, struct br *b)
{
    uint8_t h[BIN_HEADER_FIXED];
    int rc = read_at(r, 0, h, sizeof h);
    if (rc != 0)
        return rc == VMR_ETRUNCATED ? fail(r, rc, "truncated header") : rc;
    if (memcmp(h, trace_magic, 8) != 0)
        return fail(r, VMR_EFORMAT, "not a vmreplay binary trace (bad magic)");
    uint16_t major = get_le16(h + 8), minor = get_le16(h + 10);
    if (major != 1)
        return fail(r, VMR_EVERSION, "format version %u.%u; this vmreplay reads 1.x", major, minor);
    uint32_t header_bytes = get_le32(h + 12), page_size = get_le32(h + 16);
    uint32_t n_meta = get_le32(h + 20);
    if (header_bytes < BIN_HEADER_FIXED || header_bytes > BIN_MAX_HEADER ||
        header_bytes > b->file_size)
        return fail(r, VMR_EFORMAT, "byte 12: header size %" PRIu32 " is impossible", header_bytes);
    if (page_size == 0 || (page_size & (page_size - 1)) || page_size > (1u << 30))
        return fail(r, VMR_EFORMAT, "byte 16: page size %" PRIu32 " is not a power of two",
                    page_size);
    if (n_meta > TRACE_MAX_META)
        return fail(r, VMR_EFORMAT, "byte 20: %" PRIu32 " metadata entries (at most %d)", n_meta,
                    TRACE_MAX_META);
    size_t meta_bytes = header_bytes - BIN_HEADER_FIXED;
    uint8_t *m = malloc(meta_bytes + 1);
    /* every string gets a NUL: at most meta_bytes + 2 per entry */
    b->meta_store = malloc(meta_bytes + 2 * (size_t)n_meta + 1);
    b->meta = calloc(n_meta + 1, sizeof *b->meta);
    if (!m || !b->meta_store || !b->meta) {
        free(m);
        return fail(r, VMR_ENOMEM, "out of memory for the header");
    }
    rc = read_at(r, BIN_HEADER_FIXED, m, meta_bytes);
    const uint8_t *p = m, *end = m + meta_bytes;
    char *out = b->meta_store;
    for (uint32_t i = 0; rc == 0 && i < n_meta; i++) {
        uint64_t at = BIN_HEADER_FIXED + (uint64_t)(p - m);
        if (end - p < 2) {
            rc = fail(r, VMR_EFORMAT,
                      "byte %" PRIu64 ": metadata entry %" PRIu32 " runs past the header", at, i);
            break;
        }
        size_t kl = get_le16(p);
        p += 2;
        if (kl == 0 || kl > TRACE_MAX_KEY || (size_t)(end - p) < kl + 4 || memchr(p, 0, kl)) {
            rc = fail(r, VMR_EFORMAT, "byte %" PRIu64 ": bad metadata key %" PRIu32, at, i);
            break;
        }
        const uint8_t *key = p;
        p += kl;
        size_t vl = get_le32(p);
        p += 4;
        if (vl > TRACE_MAX_VALUE || (size_t)(end - p) < vl || memchr(p, 0, vl)) {
            rc = fail(r, VMR_EFORMAT, "byte %" PRIu64 ": bad metadata value %" PRIu32, at, i);
            break;
        }
        b->meta[i].key = out;
        memcpy(out, key, kl);
        out[kl] = 0;
        out += kl + 1;
        b->meta[i].value = out;
        memcpy(out, p, vl);
        out[vl] = 0;
        out += vl + 1;
        p += vl;
    }
    free(m);
    if (rc != 0)
        return rc;
    r->info.version_major = major;
    r->info.version_minor = minor;
    b->minor = minor;
    r->info.page_size = page_size;
    r->info.n_meta = n_meta;
    r->info.meta = b->meta;
    b->data_start = header_bytes;
    return 0;
}

static int check_frame_fields(struct vmr_trace_reader *r, uint64_t off, const struct frame_info *f)
{
    if (f->raw_bytes == 0 || f->raw_bytes > BIN_MAX_RAW || f->n_records == 0 ||
        f->n_records > f->raw_bytes || f->n_access_records > f->n_records ||
        f->n_accesses < f->n_access_records ||
        f->n_accesses > (uint64_t)f->n_access_records * UINT32_MAX ||
        f->comp_bytes > ZSTD_compressBound(f->raw_bytes))
        return fail(r, VMR_EFORMAT,
                    "byte %" PRIu64 ": frame header with impossible sizes or counts", off);
    return 0;
}

/* Reads the trailer and index if the file has them; 0 with info.indexed
 * unset if it has none. */
static int parse_index(struct vmr_trace_reader *r, struct br *b)
{
    b->data_end = b->file_size;
    if (b->file_size < b->data_start + BIN_TRAILER + 16)
        return 0;
    uint8_t t[BIN_TRAILER];
    int rc = read_at(r, b->file_size - BIN_TRAILER, t, sizeof t);
    if (rc != 0)
        return rc;
    if (memcmp(t + 8, trailer_magic, 8) != 0)
        return 0;
    uint64_t index_off = get_le64(t);
    uint64_t avail = b->file_size - BIN_TRAILER;
    if (index_off < b->data_start || index_off > avail - 16)
        return fail(r, VMR_EFORMAT, "byte %" PRIu64 ": index offset %" PRIu64 " is impossible",
                    b->file_size - BIN_TRAILER, index_off);
    uint8_t h[16];
    if ((rc = read_at(r, index_off, h, sizeof h)) != 0)
        return rc;
    uint64_t n = get_le64(h + 8);
    if (memcmp(h, index_magic, 4) != 0 || get_le32(h + 4) != 0 ||
        n != (avail - index_off - 16) / BIN_INDEX_ENTRY ||
        (avail - index_off - 16) % BIN_INDEX_ENTRY != 0)
        return fail(r, VMR_EFORMAT, "byte %" PRIu64 ": malformed frame index", index_off);
    b->index = malloc((n ? n : 1) * sizeof *b->index);
    uint8_t *raw = malloc(n ? n * BIN_INDEX_ENTRY : 1);
    if (!b->index || !raw) {
        free(raw);
        return fail(r, VMR_ENOMEM, "out of memory for an index of %" PRIu64 " frames", n);
    }
    rc = read_at(r, index_off + 16, raw, n * BIN_INDEX_ENTRY);
    uint64_t expect = b->data_start, recs = 0, acc_recs = 0, acc = 0;
    for (uint64_t i = 0; rc == 0 && i < n; i++) {
        const uint8_t *x = raw + i * BIN_INDEX_ENTRY;
        struct frame_info *f = &b->index[i];
        *f = (struct frame_info){.offset = get_le64(x),
                                 .n_records = get_le32(x + 8),
                                 .n_access_records = get_le32(x + 12),
                                 .n_accesses = get_le64(x + 16),
                                 .raw_bytes = get_le32(x + 24),
                                 .comp_bytes = get_le32(x + 28)};
        if (f->offset != expect || index_off - f->offset < BIN_FRAME_HEADER ||
            index_off - f->offset - BIN_FRAME_HEADER < f->comp_bytes)
            rc = fail(r, VMR_EFORMAT,
                      "byte %" PRIu64 ": index entry %" PRIu64 " does not match the frames",
                      index_off + 16 + i * BIN_INDEX_ENTRY, i);
        else
            rc = check_frame_fields(r, f->offset, f);
        expect = f->offset + BIN_FRAME_HEADER + f->comp_bytes;
        recs += f->n_records;
        acc_recs += f->n_access_records;
        acc += f->n_accesses;
    }
    free(raw);
    if (rc == 0 && expect != index_off)
        rc = fail(r, VMR_EFORMAT, "byte %" PRIu64 ": the index does not cover the frames",
                  index_off);
    if (rc != 0)
        return rc;
    b->data_end = index_off;
    r->info.indexed = 1;
    r->info.n_frames = n;
    r->info.n_records = recs;
    r->info.n_access_records = acc_recs;
    r->info.n_accesses = acc;
    return 0;
}

static void reset_state(struct br *b)
{
    b->cur_pid = 0;
    bases_init(&b->cur);
    pidtab_reset(&b->pids);
    b->last_size = 1;
    b->cur_prev = 0;
    vmr_hashmap_clear(&b->prev);
}

/* Loads the next frame; returns 0 with in_frame unset at the end. */
static int load_frame(struct vmr_trace_reader *r, struct br *b)
{
    uint64_t off = b->next_off;
    if (off >= b->data_end)
        return 0;
    if (b->data_end - off < BIN_FRAME_HEADER)
        return fail(r, VMR_ETRUNCATED, "byte %" PRIu64 ": truncated frame header", off);
    uint8_t h[BIN_FRAME_HEADER];
    int rc = read_at(r, off, h, sizeof h);
    if (rc != 0)
        return rc;
    if (!b->index && memcmp(h, index_magic, 4) == 0)
        return 0; /* an index whose trailer was never written: the frames end here */
    const char *magic = b->minor ? frame_magic_11 : frame_magic_10;
    if (memcmp(h, magic, 4) != 0) {
        if (memcmp(h, "VMF", 3) == 0 && h[3] > '2' && h[3] <= '9')
            return fail(r, VMR_EVERSION,
                        "byte %" PRIu64 ": frame magic VMF%c: an access encoding newer than this "
                        "reader's (format 1.0 and 1.1)",
                        off, h[3]);
        if (memcmp(h, "VMF", 3) == 0 && (h[3] == '1' || h[3] == '2'))
            return fail(r, VMR_EFORMAT,
                        "byte %" PRIu64 ": frame magic VMF%c disagrees with format version 1.%u",
                        off, h[3], b->minor);
        return fail(r, VMR_EFORMAT, "byte %" PRIu64 ": expected a frame header (%.4s)", off, magic);
    }
    struct frame_info f = {.offset = off,
                           .comp_bytes = get_le32(h + 4),
                           .raw_bytes = get_le32(h + 8),
                           .n_records = get_le32(h + 12),
                           .n_access_records = get_le32(h + 16),
                           .n_accesses = get_le64(h + 24)};
    if (get_le32(h + 20) != 0)
        return fail(r, VMR_EFORMAT, "byte %" PRIu64 ": reserved frame field is not 0", off);
    if ((rc = check_frame_fields(r, off, &f)) != 0)
        return rc;
    if (b->index && memcmp(&f, &b->index[b->frame_no], sizeof f) != 0)
        return fail(r, VMR_EFORMAT, "byte %" PRIu64 ": frame header disagrees with the index", off);
    if (b->data_end - off - BIN_FRAME_HEADER < f.comp_bytes)
        return fail(r, VMR_ETRUNCATED,
                    "byte %" PRIu64 ": truncated frame (%" PRIu32 " compressed bytes, %" PRIu64
                    " left in the file)",
                    off, f.comp_bytes, b->data_end - off - BIN_FRAME_HEADER);
    if (vmr_grow((void **)&b->comp, &b->comp_cap, f.comp_bytes, 1) != 0 ||
        vmr_grow((void **)&b->raw, &b->raw_cap, f.raw_bytes, 1) != 0)
        return fail(r, VMR_ENOMEM, "out of memory for a frame of %" PRIu32 " bytes", f.raw_bytes);
    if (fread(b->comp, 1, f.comp_bytes, r->fp) != f.comp_bytes)
        return fail(r, ferror(r->fp) ? VMR_EIO : VMR_ETRUNCATED,
                    "byte %" PRIu64 ": cannot read the frame", off);
    unsigned long long content = ZSTD_getFrameContentSize(b->comp, f.comp_bytes);
    if (content != f.raw_bytes ||
        ZSTD_findFrameCompressedSize(b->comp, f.comp_bytes) != f.comp_bytes)
        return fail(r, VMR_EFORMAT,
                    "byte %" PRIu64 ": frame is not one zstd frame of %" PRIu32 " bytes", off,
                    f.raw_bytes);
    size_t got = ZSTD_decompressDCtx(b->dctx, b->raw, f.raw_bytes, b->comp, f.comp_bytes);
    if (ZSTD_isError(got))
        return fail(r, VMR_EFORMAT, "byte %" PRIu64 ": corrupt frame: %s", off,
                    ZSTD_getErrorName(got));
    if (got != f.raw_bytes)
        return fail(r, VMR_EFORMAT,
                    "byte %" PRIu64 ": frame decompresses to %zu bytes, not %" PRIu32, off, got,
                    f.raw_bytes);
    b->fr = f;
    b->in_frame = 1;
    b->p = b->raw;
    b->end = b->raw + f.raw_bytes;
    b->done_records = b->done_access_records = 0;
    b->done_accesses = 0;
    b->arena_len = 0;
    b->next_off = off + BIN_FRAME_HEADER + f.comp_bytes;
    reset_state(b);
    return 0;
}

static int bad_record(struct vmr_trace_reader *r, struct br *b, const char *what)
{
    return fail(r, VMR_EFORMAT, "record %" PRIu64 " (frame %" PRIu64 " at byte %" PRIu64 "): %s",
                b->records_before + b->done_records + 1, b->frame_no, b->fr.offset, what);
}

/* The same for the record after the `i` a decode loop has made and not yet
 * counted in done_records. */
static int bad_record_at(struct vmr_trace_reader *r, struct br *b, size_t i, const char *what)
{
    b->done_records += (uint32_t)i;
    int rc = bad_record(r, b, what);
    b->done_records -= (uint32_t)i;
    return rc;
}

/* A string of len bytes at p, copied NUL-terminated into the arena. */
static const char *take_string(struct br *b, const uint8_t *p, size_t len)
{
    if (b->arena_len + len + 1 > b->arena_cap) {
        /* strings of one frame total less than raw + one NUL per record:
         * sized once per frame, the arena never moves under a batch */
        size_t need = (size_t)b->fr.raw_bytes + b->fr.n_records + 1;
        if (b->arena_len != 0 || vmr_grow((void **)&b->arena, &b->arena_cap, need, 1) != 0)
            return NULL;
    }
    char *s = b->arena + b->arena_len;
    memcpy(s, p, len);
    s[len] = 0;
    b->arena_len += len + 1;
    return s;
}

#define GET(v)                                                                                     \
    do {                                                                                           \
        if (!(q = get_varint(q, qend, &(v))))                                                      \
            return bad_record(r, b, "field runs past the end of its event");                       \
    } while (0)
#define GET32(v, what)                                                                             \
    do {                                                                                           \
        uint64_t t_;                                                                               \
        GET(t_);                                                                                   \
        if (t_ > UINT32_MAX)                                                                       \
            return bad_record(r, b, what " does not fit in 32 bits");                              \
        (v) = (uint32_t)t_;                                                                        \
    } while (0)

/* Decodes the event at b->p (tag already read) into rec; *skip set if the
 * event is of a kind this reader does not know. */
static int decode_event(struct vmr_trace_reader *r, struct br *b, unsigned code,
                        struct vmr_record *rec, int *skip)
{
    uint64_t len;
    const uint8_t *q = get_varint(b->p, b->end, &len);
    if (!q || len > (uint64_t)(b->end - q))
        return bad_record(r, b, "event runs past the end of the frame");
    const uint8_t *qend = q + len;
    b->p = qend;
    *skip = 0;
    memset(rec, 0, sizeof *rec);
    uint32_t u32, err = 0;
    uint64_t slen;
    switch (code) {
    case 0:
        return bad_record(r, b, "reserved event code 0");
    case EV_MMAP:
    case EV_MUNMAP:
    case EV_MPROTECT:
        rec->kind = code == EV_MMAP     ? VMR_REC_MMAP
                    : code == EV_MUNMAP ? VMR_REC_MUNMAP
                                        : VMR_REC_MPROTECT;
        GET32(rec->pid, "pid");
        GET(rec->addr);
        GET(rec->len);
        if (code != EV_MUNMAP) {
            if (q >= qend)
                return bad_record(r, b, "field runs past the end of its event");
            rec->prot = *q++;
        }
        if (code == EV_MMAP) {
            GET32(u32, "mmap flags");
            if (u32 > UINT16_MAX)
                return bad_record(r, b, "unknown mmap flags");
            rec->flags = (uint16_t)u32;
            GET32(rec->arg, "file id");
            GET(rec->off);
        }
        GET32(err, "errno");
        break;
    case EV_BRK:
        rec->kind = VMR_REC_BRK;
        GET32(rec->pid, "pid");
        GET(rec->addr);
        GET(rec->off);
        break;
    case EV_FORK:
    case EV_THREAD:
    case EV_EXIT:
        rec->kind = code == EV_FORK     ? VMR_REC_FORK
                    : code == EV_THREAD ? VMR_REC_THREAD
                                        : VMR_REC_EXIT;
        GET32(rec->pid, "pid");
        GET32(rec->arg, code == EV_EXIT ? "exit status" : "child id");
        break;
    case EV_EXEC:
        rec->kind = VMR_REC_EXEC;
        GET32(rec->pid, "pid");
        GET32(rec->arg, "file id");
        GET32(err, "errno");
        if (q < qend) { /* optional flags; range checked by trace_record_check */
            GET32(u32, "exec flags");
            rec->flags = (uint16_t)(u32 > UINT16_MAX ? UINT16_MAX : u32);
        }
        break;
    case EV_FILE:
        rec->kind = VMR_REC_FILE;
        GET32(rec->arg, "file id");
        GET(rec->off);
        GET32(u32, "file flags");
        if (u32 > UINT16_MAX)
            return bad_record(r, b, "unknown file flags");
        rec->flags = (uint16_t)u32;
        goto string;
    case EV_MADVISE:
    case EV_MSYNC:
        rec->kind = code == EV_MADVISE ? VMR_REC_MADVISE : VMR_REC_MSYNC;
        GET32(rec->pid, "pid");
        GET(rec->addr);
        GET(rec->len);
        GET32(u32, code == EV_MADVISE ? "advice" : "msync flags");
        if (u32 > UINT16_MAX)
            return bad_record(r, b, "advice or flags above 65535");
        rec->flags = (uint16_t)u32;
        GET32(err, "errno");
        break;
    case EV_MARK:
        rec->kind = VMR_REC_MARK;
        GET32(rec->pid, "pid");
        goto string;
    default:
        *skip = 1; /* a later minor version's event */
        return 0;
    }
    goto check;
string:
    GET(slen);
    if (slen > TRACE_MAX_STRING || slen > (uint64_t)(qend - q))
        return bad_record(r, b, "string too long or past the end of its event");
    if (memchr(q, 0, slen))
        return bad_record(r, b, "string with a NUL byte");
    if (!(rec->str = take_string(b, q, slen)))
        return fail(r, VMR_ENOMEM, "out of memory");
check:
    if (err > INT32_MAX)
        return bad_record(r, b, "errno out of range");
    rec->err = (int32_t)err;
    char msg[256];
    if (trace_record_check(rec, msg, sizeof msg) != 0)
        return bad_record(r, b, msg);
    return 0;
}

/* The event record whose tag (kind) a decode loop, with `i` records made
 * and not yet counted, has just read at *p: decoded into *out, *p moved
 * past it. *delivered says whether *out holds it (a skipped record is
 * counted in the frame here). Returns 0 or an error. */
static int decode_loop_event(struct vmr_trace_reader *r, struct br *b, const uint8_t **p,
                             unsigned kind, size_t i, struct vmr_record *out, int *delivered)
{
    int skip;
    b->p = *p;
    b->done_records += (uint32_t)i;
    int rc = decode_event(r, b, kind, out, &skip);
    b->done_records -= (uint32_t)i;
    *p = b->p;
    *delivered = rc == 0 && !skip;
    if (rc == 0 && skip)
        b->done_records++; /* counted in the frame, not delivered */
    return rc;
}

/* The page word of an access record (trace.h) for pages of 1 << shift
 * bytes, page_hi = ~(page size - 1); *wpid is the pid of the access record
 * before it. */
static inline uint64_t access_word(uint64_t *wpid, uint32_t pid, uint64_t addr, uint32_t size,
                                   uint32_t count, unsigned kind, unsigned shift, uint64_t page_hi)
{
    if (pid != *wpid) {
        *wpid = pid;
        return VMR_PAGE_WORD_NEWPID;
    }
    if (count != 1 || ((addr ^ (addr + (size - 1))) & page_hi))
        return VMR_PAGE_WORD_OTHER;
    return (addr >> shift) << 2 | kind;
}

int vmr_varint_pext_fast(void)
{
    static atomic_int cached = -1;
    int fast = atomic_load_explicit(&cached, memory_order_relaxed);
    if (fast >= 0)
        return fast;
    fast = 0;
#ifdef VMR_VARINT_PEXT
    unsigned a, b, c, d;
    __builtin_cpu_init();
    if (!getenv("VMREPLAY_NO_PEXT") && __builtin_cpu_supports("bmi2") &&
        __get_cpuid(0, &a, &b, &c, &d)) {
        /* AMD's and Hygon's pext is microcoded before family 19h (Zen 3) */
        const int amd =
            b == 0x68747541u /* "Auth"enticAMD */ || b == 0x6f677948u /* "Hygo"nGenuine */;
        unsigned family = 0;
        if (__get_cpuid(1, &a, &b, &c, &d)) {
            family = a >> 8 & 0xf;
            if (family == 0xf)
                family += a >> 20 & 0xff;
        }
        fast = !amd || family >= 0x19;
    }
#endif
    atomic_store_explicit(&cached, fast, memory_order_relaxed);
    return fast;
}

/* A decode loop's varint of an access field, 16 bytes readable: with pext
 * in the copies compiled for bmi2 (`pext`, a constant). */
#ifdef VMR_VARINT_PEXT
#define VARINT16(p, v) (pext ? get_varint16_pext(p, v) : get_varint16(p, v))
#else
#define VARINT16(p, v) ((void)pext, get_varint16(p, v))
#endif

/* Decodes up to max records of the current frame, 1.0 accesses; and their
 * page words into words[] if `with_words` (a constant: two copies). */
static inline __attribute__((always_inline)) int
decode10_body(struct vmr_trace_reader *r, struct br *b, struct vmr_record *out, uint64_t *words,
              unsigned shift, size_t max, size_t *n, const int with_words, const int pext)
{
    uint64_t wpid = b->word_pid;
    const uint64_t page_hi = ~((UINT64_C(1) << shift) - 1);
    const uint8_t *p = b->p, *const end = b->end;
    uint32_t pid = b->cur_pid, size = b->last_size;
    uint64_t prev = b->cur_prev;
    size_t i = 0;
    uint32_t n_acc_rec = 0;
    uint64_t n_acc = 0;
    int rc = 0;
    while (i < max && p < end) {
        const unsigned tag = *p++;
        if ((tag & 3) != 3) {
            uint64_t v;
            uint32_t count = 1;
            /* away from the end of the frame, fields need no bounds checks */
            const int roomy = end - p >= (ptrdiff_t)(BIN_MAX_ACCESS + 16);
#define FIELD(v) (roomy ? VARINT16(p, &(v)) : get_varint(p, end, &(v)))
            if (tag & TAG_P) {
                if (!(p = FIELD(v)) || v > UINT32_MAX)
                    goto bad_access;
                if (prev != 0 || vmr_hashmap_find(&b->prev, pid))
                    vmr_hashmap_put(&b->prev, pid, prev);
                pid = (uint32_t)v;
                const uint64_t *pv = vmr_hashmap_find(&b->prev, pid);
                prev = pv ? *pv : 0;
            }
            if (tag & TAG_S) {
                if (!(p = FIELD(v)) || v == 0 || v > UINT32_MAX)
                    goto bad_access;
                size = (uint32_t)v;
            }
            if (tag & TAG_C) {
                if (!(p = FIELD(v)) || v < 2 || v > UINT32_MAX)
                    goto bad_access;
                count = (uint32_t)v;
            }
            const unsigned d = tag >> TAG_D_SHIFT;
            if (d) {
                prev += (uint64_t)((int64_t)d - 4) * size;
            } else {
                if (!(p = FIELD(v)))
                    goto bad_access;
                prev += unzigzag(v);
            }
            if (prev + (size - 1) < prev) {
                rc = bad_record_at(r, b, i, "access runs past the end of the address space");
                goto out;
            }
            if (with_words)
                words[i] = access_word(&wpid, pid, prev, size, count, tag & 3, shift, page_hi);
            out[i++] = (struct vmr_record){
                .addr = prev, .pid = pid, .size = size, .count = count, .kind = (uint8_t)(tag & 3)};
            n_acc_rec++;
            n_acc += count;
            continue;
#undef FIELD
        bad_access:
            rc = bad_record_at(r, b, i, "malformed access (bad or truncated field)");
            goto out;
        }
        int delivered;
        if ((rc = decode_loop_event(r, b, &p, tag >> 2, i, &out[i], &delivered)) != 0)
            goto out;
        if (with_words)
            words[i] = VMR_PAGE_WORD_EVENT;
        i += delivered;
    }
out:
    b->word_pid = with_words ? wpid : UINT64_MAX; /* unknown after records without */
    b->p = p;
    b->cur_pid = pid;
    b->last_size = size;
    b->cur_prev = prev;
    b->done_records += (uint32_t)i;
    b->done_access_records += n_acc_rec;
    b->done_accesses += n_acc;
    *n = i;
    return rc;
}

/* Writes an access record at *o and, if with_words, its page word at *w;
 * moves both on. */
static inline __attribute__((always_inline)) void
put_access(struct vmr_record **o, uint64_t **w, uint64_t *wpid, const int with_words, uint32_t pid,
           uint64_t addr, uint32_t size, uint32_t count, unsigned kind, unsigned shift,
           uint64_t page_hi)
{
    if (with_words)
        *(*w)++ = access_word(wpid, pid, addr, size, count, kind, shift, page_hi);
    *(*o)++ = (struct vmr_record){
        .addr = addr, .pid = pid, .size = size, .count = count, .kind = (uint8_t)kind};
}

/* Decodes up to max records of the current frame, 1.1 accesses (FORMAT.md
 * 2.3.1), with page words as decode10_body. The current pid's bases live in
 * a local; other pids' in the pidtab, touched only when the pid changes. */
static inline __attribute__((always_inline)) int
decode11_body(struct vmr_trace_reader *r, struct br *b, struct vmr_record *out, uint64_t *words,
              unsigned shift, size_t max, size_t *n, const int with_words, const int pext)
{
    uint64_t wpid = b->word_pid;
    const uint64_t page_hi = ~((UINT64_C(1) << shift) - 1);
    const uint8_t *p = b->p, *const end = b->end;
    uint32_t pid = b->cur_pid;
    struct acc_bases B = b->cur;
    unsigned head = B.head; /* B.head is stale meanwhile */
    /* the next record and word to write; o - out records made */
    struct vmr_record *o = out, *const o_end = out + max;
    uint64_t *w = words;
    /* an access whose tag is at p - 1 has its fields away from the end of
     * the frame (no bounds checks) if p <= roomy_to */
    const uint8_t *const roomy_to =
        end - p >= (ptrdiff_t)(BIN_MAX_ACCESS + 16) + 1 ? end - (BIN_MAX_ACCESS + 16) : p;
    /* access records are the records delivered but events; accesses are
     * those plus the counts' excess, so the common access counts nothing */
    uint32_t n_events = 0;
    uint64_t n_extra = 0;
    int rc = 0;
    const char *what = NULL;
    while (o < o_end && p < end) {
        /* the commonest records first, in a loop of their own with little
         * live state: plain accesses (no P, S or C field) whose fields are
         * away from the end of the frame (tag at p < roomy_to). Any other
         * record, or a field the general path must judge, leaves the loop
         * at its tag. */
        while (o < o_end && p < roomy_to) {
            const unsigned tag = *p;
            if ((tag & 3) == 3 || (tag & (TAG11_P | TAG11_S | TAG11_C)))
                break;
            const unsigned j = tag >> TAG11_J_SHIFT & 3;
            const uint32_t size = base_at_head(&B, head, j)->size;
            uint64_t addr = base_at_head(&B, head, j)->addr;
            const uint8_t *q = p + 1;
            if (!(tag & TAG11_Z)) {
                uint64_t v;
                if (!(q = VARINT16(q, &v)))
                    break;
                addr += unzigzag(v);
            }
            if (addr + (size - 1) < addr)
                break;
            p = q;
            bases_update_head(&B, &head, j, addr, size);
            put_access(&o, &w, &wpid, with_words, pid, addr, size, 1, tag & 3, shift, page_hi);
        }
        if (o >= o_end || p >= end)
            break;
        const unsigned tag = *p++;
        if ((tag & 3) != 3) {
            uint64_t v;
            uint32_t count = 1;
            const int roomy = p <= roomy_to;
#define FIELD(v) (roomy ? VARINT16(p, &(v)) : get_varint(p, end, &(v)))
            if (__builtin_expect(tag & TAG11_P, 0)) {
                if (!(p = FIELD(v)) || v > UINT32_MAX)
                    goto bad_access;
                struct pid_slot *slot = pidtab_get(&b->pids, pid);
                if (slot) {
                    B.head = head;
                    slot->bases = B;
                    slot = pidtab_get(&b->pids, (uint32_t)v);
                }
                if (!slot) {
                    what = "out of memory for the pids of a frame";
                    goto bad;
                }
                B = slot->bases;
                head = B.head;
                pid = (uint32_t)v;
            }
            const unsigned j = tag >> TAG11_J_SHIFT & 3;
            uint32_t size = base_at_head(&B, head, j)->size;
            uint64_t addr = base_at_head(&B, head, j)->addr;
            if (__builtin_expect(tag & (TAG11_S | TAG11_C), 0)) { /* one test for both */
                if (tag & TAG11_S) {
                    if (!(p = FIELD(v)) || v == 0 || v > UINT32_MAX)
                        goto bad_access;
                    size = (uint32_t)v;
                }
                if (tag & TAG11_C) {
                    if (!(p = FIELD(v)) || v < 2 || v > UINT32_MAX)
                        goto bad_access;
                    count = (uint32_t)v;
                    n_extra += count - 1;
                }
            }
            if (!(tag & TAG11_Z)) {
                if (!(p = FIELD(v)))
                    goto bad_access;
                addr += unzigzag(v);
            }
#undef FIELD
            if (addr + (size - 1) < addr) {
                what = "access runs past the end of the address space";
                goto bad;
            }
            bases_update_head(&B, &head, j, addr, size);
            put_access(&o, &w, &wpid, with_words, pid, addr, size, count, tag & 3, shift, page_hi);
            continue;
        bad_access:
            what = "malformed access (bad or truncated field)";
        bad:
            rc = bad_record_at(r, b, (size_t)(o - out), what);
            goto out;
        }
        int delivered;
        if ((rc = decode_loop_event(r, b, &p, tag >> 2, (size_t)(o - out), o, &delivered)) != 0)
            goto out;
        if (with_words) {
            *w = VMR_PAGE_WORD_EVENT;
            w += delivered;
        }
        o += delivered;
        n_events += delivered;
    }
out:;
    const size_t i = (size_t)(o - out);
    b->word_pid = with_words ? wpid : UINT64_MAX; /* unknown after records without */
    b->p = p;
    b->cur_pid = pid;
    B.head = head;
    b->cur = B;
    b->done_records += (uint32_t)i;
    b->done_access_records += (uint32_t)i - n_events;
    b->done_accesses += (uint32_t)i - n_events + n_extra;
    *n = i;
    return rc;
}

/* A copy of decode body `body` (10 or 11) with or without pext, and the
 * function attributes `attr` (may be empty): two copies inside, with and
 * without page words. */
#define DECODE_COPY(name, body, pext, attr)                                                        \
    attr static int name(struct vmr_trace_reader *r, struct br *b, struct vmr_record *out,         \
                         uint64_t *words, unsigned shift, size_t max, size_t *n)                   \
    {                                                                                              \
        return words ? body(r, b, out, words, shift, max, n, 1, pext)                              \
                     : body(r, b, out, NULL, 0, max, n, 0, pext);                                  \
    }
DECODE_COPY(decode10, decode10_body, 0, )
DECODE_COPY(decode11, decode11_body, 0, )
#ifdef VMR_VARINT_PEXT
/* The same, compiled for bmi2, with pext gathering varints (binary.h). */
DECODE_COPY(decode10_pext, decode10_body, 1, __attribute__((target("bmi2"))))
DECODE_COPY(decode11_pext, decode11_body, 1, __attribute__((target("bmi2"))))
#endif
#undef DECODE_COPY

/* The fastest decoder of the current frame's encoding that this CPU runs. */
static int decode(struct vmr_trace_reader *r, struct br *b, struct vmr_record *out, uint64_t *words,
                  unsigned shift, size_t max, size_t *n)
{
#ifdef VMR_VARINT_PEXT
    if (b->pext)
        return b->minor ? decode11_pext(r, b, out, words, shift, max, n)
                        : decode10_pext(r, b, out, words, shift, max, n);
#endif
    return b->minor ? decode11(r, b, out, words, shift, max, n)
                    : decode10(r, b, out, words, shift, max, n);
}

static int br_next_words(struct vmr_trace_reader *r, struct vmr_record *recs, uint64_t *words,
                         unsigned shift, size_t max, size_t *n, int *strings)
{
    struct br *b = r->impl;
    *n = 0;
    *strings = 0;
    if (!b->in_frame) {
        int rc = load_frame(r, b);
        if (rc != 0 || !b->in_frame)
            return rc;
    }
    const size_t arena_before = b->arena_len; /* the call's strings go after it */
    b->batch_first = b->records_before + b->done_records;
    b->batch_frame = b->frame_no;
    b->batch_frame_off = b->fr.offset;
    int rc = decode(r, b, recs, words, shift, max, n);
    *strings = b->arena_len != arena_before;
    if (rc != 0)
        return rc;
    if (b->p == b->end) {
        if (b->done_records != b->fr.n_records ||
            b->done_access_records != b->fr.n_access_records ||
            b->done_accesses != b->fr.n_accesses)
            return fail(r, VMR_EFORMAT,
                        "frame %" PRIu64 " at byte %" PRIu64 ": holds %" PRIu32 " records, %" PRIu32
                        " accesses records and %" PRIu64 " accesses; its header says %" PRIu32
                        ", %" PRIu32 " and %" PRIu64,
                        b->frame_no, b->fr.offset, b->done_records, b->done_access_records,
                        b->done_accesses, b->fr.n_records, b->fr.n_access_records,
                        b->fr.n_accesses);
        b->in_frame = 0;
        b->records_before += b->done_records;
        b->frame_no++;
    } else if (b->done_records >= b->fr.n_records) {
        return fail(r, VMR_EFORMAT,
                    "frame %" PRIu64 " at byte %" PRIu64 ": more records than its header says",
                    b->frame_no, b->fr.offset);
    }
    return 0;
}

static int br_next(struct vmr_trace_reader *r, struct vmr_record *recs, size_t max, size_t *n)
{
    int strings;
    return br_next_words(r, recs, NULL, 0, max, n, &strings);
}

static int br_rewind(struct vmr_trace_reader *r)
{
    struct br *b = r->impl;
    b->word_pid = UINT64_MAX;
    b->in_frame = 0;
    b->frame_no = 0;
    b->records_before = 0;
    b->next_off = b->data_start;
    return 0;
}

static void br_snap(const struct vmr_trace_reader *r, struct trace_snap *s)
{
    const struct br *b = r->impl;
    *s = (struct trace_snap){{b->batch_first, b->batch_frame, b->batch_frame_off}};
}

static void br_where_snap(const struct vmr_trace_reader *r, const struct trace_snap *s, size_t i,
                          char *buf, size_t len)
{
    vmr_errf(buf, len, "%s: record %" PRIu64 " (frame %" PRIu64 " at byte %" PRIu64 ")", r->name,
             s->v[0] + i + 1, s->v[1], s->v[2]);
}

static void br_where(const struct vmr_trace_reader *r, size_t i, char *buf, size_t len)
{
    struct trace_snap s;
    br_snap(r, &s);
    br_where_snap(r, &s, i, buf, len);
}

static void br_destroy(struct vmr_trace_reader *r)
{
    struct br *b = r->impl;
    if (!b)
        return;
    free(b->meta_store);
    free(b->meta);
    free(b->index);
    free(b->comp);
    free(b->raw);
    free(b->arena);
    ZSTD_freeDCtx(b->dctx);
    vmr_hashmap_release(&b->prev);
    pidtab_release(&b->pids);
    free(b);
    r->impl = NULL;
}

static const struct reader_ops br_ops = {.next = br_next,
                                         .rewind = br_rewind,
                                         .where = br_where,
                                         .destroy = br_destroy,
                                         .snap = br_snap,
                                         .where_snap = br_where_snap,
                                         .next_words = br_next_words};

int binary_reader_init(struct vmr_trace_reader *r)
{
    struct br *b = calloc(1, sizeof *b);
    r->impl = b;
    r->ops = &br_ops;
    if (!b || !(b->dctx = ZSTD_createDCtx()) || vmr_hashmap_init(&b->prev, 16) != 0 ||
        pidtab_init(&b->pids) != 0) {
        br_destroy(r);
        return fail(r, VMR_ENOMEM, "out of memory");
    }
    off_t size;
    if (fseeko(r->fp, 0, SEEK_END) != 0 || (size = ftello(r->fp)) < 0) {
        br_destroy(r);
        return fail(r, VMR_EIO, "cannot seek: %s", strerror(errno));
    }
    b->file_size = (uint64_t)size;
    int rc = parse_header(r, b);
    if (rc == 0)
        rc = parse_index(r, b);
    if (rc != 0) {
        br_destroy(r);
        return rc;
    }
    r->info.form = VMR_FORM_BINARY;
    b->next_off = b->data_start;
    b->word_pid = UINT64_MAX;
    b->pext = vmr_varint_pext_fast();
    return 0;
}
