/*
 * binary_writer.c - writes the binary trace form (FORMAT.md section 2).
 *
 * Records are encoded into a raw buffer; when it reaches frame_bytes it is
 * compressed as one zstd frame (its window spanning the whole frame) and
 * written with its frame header. close
 * adds the index and trailer. The buffer has room for frame_bytes plus the
 * largest record, so a record never spans two frames.
 *
 * Encoder state (reset at every frame start, as the reader's): the current
 * pid and, for format 1.1, its four delta bases (kept in fields for the
 * common case of no pid change), the other pids' bases in a pidtab; for
 * format 1.0 (written on request), the current pid's previous address, the
 * other pids' in a map, and the last access size.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "binary.h"
#include "hashmap.h"
#include "internal.h"
#include "pidtab.h"
#include "vec.h"

struct index_entry {
    uint64_t offset;
    uint32_t n_records, n_access_records;
    uint64_t n_accesses;
    uint32_t raw_bytes, comp_bytes;
};

struct bw {
    uint8_t *raw;
    size_t raw_len;
    uint32_t frame_bytes;
    int level;
    ZSTD_CCtx *cctx;
    uint8_t *comp;
    size_t comp_cap;
    uint64_t offset; /* bytes written to the file so far */
    /* the frame being filled */
    uint32_t n_records, n_access_records;
    uint64_t n_accesses;
    uint32_t cur_pid;
    unsigned minor; /* format 1.minor: 0 or 1 */
    /* 1.1 */
    struct acc_bases cur; /* cur_pid's */
    struct pidtab pids;   /* other pids' */
    /* 1.0 */
    uint32_t last_size;
    uint64_t cur_prev;
    struct vmr_hashmap prev; /* pid -> previous address, other pids */
    struct index_entry *index;
    size_t n_frames, cap_index;
};

static int write_bytes(struct vmr_trace_writer *w, struct bw *b, const void *p, size_t n)
{
    if (n && fwrite(p, 1, n, w->fp) != n) {
        trace_errf(w->err, "%s: write error: %s", w->name, strerror(errno));
        return VMR_EIO;
    }
    b->offset += n;
    return 0;
}

static int flush_frame(struct vmr_trace_writer *w, struct bw *b)
{
    if (b->raw_len == 0)
        return 0;
    size_t rc = ZSTD_CCtx_reset(b->cctx, ZSTD_reset_session_only);
    if (!ZSTD_isError(rc))
        rc = ZSTD_CCtx_setPledgedSrcSize(b->cctx, b->raw_len);
    if (!ZSTD_isError(rc))
        rc = ZSTD_compress2(b->cctx, b->comp, b->comp_cap, b->raw, b->raw_len);
    if (ZSTD_isError(rc)) {
        trace_errf(w->err, "%s: zstd: %s", w->name, ZSTD_getErrorName(rc));
        return VMR_ECOMPRESS;
    }
    if (vmr_grow((void **)&b->index, &b->cap_index, b->n_frames + 1, sizeof *b->index) != 0) {
        trace_errf(w->err, "%s: out of memory", w->name);
        return VMR_ENOMEM;
    }
    struct index_entry *e = &b->index[b->n_frames++];
    *e = (struct index_entry){.offset = b->offset,
                              .n_records = b->n_records,
                              .n_access_records = b->n_access_records,
                              .n_accesses = b->n_accesses,
                              .raw_bytes = (uint32_t)b->raw_len,
                              .comp_bytes = (uint32_t)rc};
    uint8_t h[BIN_FRAME_HEADER];
    memcpy(h, b->minor ? frame_magic_11 : frame_magic_10, 4);
    put_le32(h + 4, e->comp_bytes);
    put_le32(h + 8, e->raw_bytes);
    put_le32(h + 12, e->n_records);
    put_le32(h + 16, e->n_access_records);
    put_le32(h + 20, 0);
    put_le64(h + 24, e->n_accesses);
    int err = write_bytes(w, b, h, sizeof h);
    if (err == 0)
        err = write_bytes(w, b, b->comp, rc);
    b->raw_len = 0;
    b->n_records = b->n_access_records = 0;
    b->n_accesses = 0;
    b->cur_pid = 0;
    bases_init(&b->cur);
    pidtab_reset(&b->pids);
    b->last_size = 1;
    b->cur_prev = 0;
    vmr_hashmap_clear(&b->prev);
    return err;
}

/* An access in the 1.1 encoding (FORMAT.md 2.3.1). Base: the first on the
 * access's 4 KiB block, else base 0. NULL only if out of memory (a new pid
 * grew the table). */
static uint8_t *put_access11(struct bw *b, uint8_t *p, const struct vmr_record *r)
{
    unsigned tag = r->kind;
    if (r->pid != b->cur_pid) {
        tag |= TAG11_P;
        struct pid_slot *s = pidtab_get(&b->pids, b->cur_pid);
        if (!s)
            return NULL;
        s->bases = b->cur;
        if (!(s = pidtab_get(&b->pids, r->pid)))
            return NULL;
        b->cur = s->bases;
        b->cur_pid = r->pid;
    }
    struct acc_bases *B = &b->cur;
    const uint64_t blk = r->addr >> BASE_BLOCK_SHIFT;
    const unsigned j = (base_at(B, 0)->addr >> BASE_BLOCK_SHIFT) == blk   ? 0
                       : (base_at(B, 1)->addr >> BASE_BLOCK_SHIFT) == blk ? 1
                       : (base_at(B, 2)->addr >> BASE_BLOCK_SHIFT) == blk ? 2
                       : (base_at(B, 3)->addr >> BASE_BLOCK_SHIFT) == blk ? 3
                                                                          : 0;
    tag |= j << TAG11_J_SHIFT;
    if (r->size != base_at(B, j)->size)
        tag |= TAG11_S;
    if (r->count != 1)
        tag |= TAG11_C;
    const uint64_t delta = r->addr - base_at(B, j)->addr;
    if (delta == 0)
        tag |= TAG11_Z;
    *p++ = (uint8_t)tag;
    if (tag & TAG11_P)
        p = put_varint(p, r->pid);
    if (tag & TAG11_S)
        p = put_varint(p, r->size);
    if (tag & TAG11_C)
        p = put_varint(p, r->count);
    if (delta != 0)
        p = put_varint(p, zigzag(delta));
    bases_update(B, j, r->addr, r->size);
    return p;
}

static uint8_t *put_access(struct bw *b, uint8_t *p, const struct vmr_record *r)
{
    unsigned tag = r->kind;
    if (r->pid != b->cur_pid) {
        tag |= TAG_P;
        if (b->cur_prev != 0 || vmr_hashmap_find(&b->prev, b->cur_pid))
            vmr_hashmap_put(&b->prev, b->cur_pid, b->cur_prev);
        uint64_t *v = vmr_hashmap_find(&b->prev, r->pid);
        b->cur_prev = v ? *v : 0;
        b->cur_pid = r->pid;
    }
    if (r->size != b->last_size) {
        tag |= TAG_S;
        b->last_size = r->size;
    }
    if (r->count != 1)
        tag |= TAG_C;
    uint64_t delta = r->addr - b->cur_prev;
    int64_t d = (int64_t)delta, sz = (int64_t)r->size;
    int short_form = d >= -3 * sz && d <= 3 * sz && d % sz == 0;
    if (short_form)
        tag |= (unsigned)(d / sz + 4) << TAG_D_SHIFT;
    *p++ = (uint8_t)tag;
    if (tag & TAG_P)
        p = put_varint(p, r->pid);
    if (tag & TAG_S)
        p = put_varint(p, r->size);
    if (tag & TAG_C)
        p = put_varint(p, r->count);
    if (!short_form)
        p = put_varint(p, zigzag(delta));
    b->cur_prev = r->addr;
    return p;
}

static uint8_t *put_string(uint8_t *p, const char *s)
{
    size_t n = strlen(s);
    p = put_varint(p, n);
    memcpy(p, s, n);
    return p + n;
}

/* The payload of an event into buf; returns its end. */
static uint8_t *put_event_payload(uint8_t *p, const struct vmr_record *r, unsigned *code)
{
    switch (r->kind) {
    case VMR_REC_MMAP:
        *code = EV_MMAP;
        p = put_varint(p, r->pid);
        p = put_varint(p, r->addr);
        p = put_varint(p, r->len);
        *p++ = r->prot;
        p = put_varint(p, r->flags);
        p = put_varint(p, r->arg);
        p = put_varint(p, r->off);
        return put_varint(p, (uint32_t)r->err);
    case VMR_REC_MUNMAP:
        *code = EV_MUNMAP;
        p = put_varint(p, r->pid);
        p = put_varint(p, r->addr);
        p = put_varint(p, r->len);
        return put_varint(p, (uint32_t)r->err);
    case VMR_REC_MPROTECT:
        *code = EV_MPROTECT;
        p = put_varint(p, r->pid);
        p = put_varint(p, r->addr);
        p = put_varint(p, r->len);
        *p++ = r->prot;
        return put_varint(p, (uint32_t)r->err);
    case VMR_REC_BRK:
        *code = EV_BRK;
        p = put_varint(p, r->pid);
        p = put_varint(p, r->addr);
        return put_varint(p, r->off);
    case VMR_REC_FORK:
    case VMR_REC_THREAD:
    case VMR_REC_EXIT:
        *code = r->kind == VMR_REC_FORK ? EV_FORK : r->kind == VMR_REC_THREAD ? EV_THREAD : EV_EXIT;
        p = put_varint(p, r->pid);
        return put_varint(p, r->arg);
    case VMR_REC_EXEC:
        *code = EV_EXEC;
        p = put_varint(p, r->pid);
        p = put_varint(p, r->arg);
        p = put_varint(p, (uint32_t)r->err);
        /* flags are an optional trailing field: absent means 0 (FORMAT.md) */
        return r->flags ? put_varint(p, r->flags) : p;
    case VMR_REC_FILE:
        *code = EV_FILE;
        p = put_varint(p, r->arg);
        p = put_varint(p, r->off);
        p = put_varint(p, r->flags);
        return put_string(p, r->str);
    case VMR_REC_MADVISE:
    case VMR_REC_MSYNC:
        *code = r->kind == VMR_REC_MADVISE ? EV_MADVISE : EV_MSYNC;
        p = put_varint(p, r->pid);
        p = put_varint(p, r->addr);
        p = put_varint(p, r->len);
        p = put_varint(p, r->flags);
        return put_varint(p, (uint32_t)r->err);
    default: /* VMR_REC_MARK */
        *code = EV_MARK;
        p = put_varint(p, r->pid);
        return put_string(p, r->str ? r->str : "");
    }
}

static int bw_put(struct vmr_trace_writer *w, const struct vmr_record *r)
{
    struct bw *b = w->impl;
    uint8_t *p = b->raw + b->raw_len;
    if (vmr_rec_is_access(r->kind)) {
        p = b->minor ? put_access11(b, p, r) : put_access(b, p, r);
        if (!p) {
            trace_errf(w->err, "%s: out of memory", w->name);
            return VMR_ENOMEM;
        }
        b->n_access_records++;
        b->n_accesses += r->count;
    } else {
        uint8_t payload[BIN_MAX_RECORD];
        unsigned code;
        uint8_t *end = put_event_payload(payload, r, &code);
        size_t len = (size_t)(end - payload);
        *p++ = (uint8_t)(3u | code << 2);
        p = put_varint(p, len);
        memcpy(p, payload, len);
        p += len;
    }
    b->n_records++;
    b->raw_len = (size_t)(p - b->raw);
    return b->raw_len >= b->frame_bytes ? flush_frame(w, b) : 0;
}

static int bw_finish(struct vmr_trace_writer *w)
{
    struct bw *b = w->impl;
    int rc = flush_frame(w, b);
    if (rc != 0)
        return rc;
    uint64_t index_offset = b->offset;
    uint8_t h[16];
    memcpy(h, index_magic, 4);
    put_le32(h + 4, 0);
    put_le64(h + 8, b->n_frames);
    rc = write_bytes(w, b, h, sizeof h);
    for (size_t i = 0; rc == 0 && i < b->n_frames; i++) {
        const struct index_entry *e = &b->index[i];
        uint8_t x[BIN_INDEX_ENTRY];
        put_le64(x, e->offset);
        put_le32(x + 8, e->n_records);
        put_le32(x + 12, e->n_access_records);
        put_le64(x + 16, e->n_accesses);
        put_le32(x + 24, e->raw_bytes);
        put_le32(x + 28, e->comp_bytes);
        rc = write_bytes(w, b, x, sizeof x);
    }
    if (rc == 0) {
        uint8_t t[BIN_TRAILER];
        put_le64(t, index_offset);
        memcpy(t + 8, trailer_magic, 8);
        rc = write_bytes(w, b, t, sizeof t);
    }
    return rc;
}

static void bw_destroy(struct vmr_trace_writer *w)
{
    struct bw *b = w->impl;
    if (!b)
        return;
    free(b->raw);
    free(b->comp);
    free(b->index);
    ZSTD_freeCCtx(b->cctx);
    vmr_hashmap_release(&b->prev);
    pidtab_release(&b->pids);
    free(b);
    w->impl = NULL;
}

static const struct writer_ops bw_ops = {bw_put, bw_finish, bw_destroy};

static int write_header(struct vmr_trace_writer *w, struct bw *b,
                        const struct vmr_trace_header *hdr)
{
    size_t size = BIN_HEADER_FIXED;
    for (size_t i = 0; i < hdr->n_meta; i++)
        size += 2 + strlen(hdr->meta[i].key) + 4 + strlen(hdr->meta[i].value);
    if (size > BIN_MAX_HEADER) {
        trace_errf(w->err, "%s: metadata of %zu bytes is too large", w->name, size);
        return VMR_EINVAL;
    }
    uint8_t *h = malloc(size), *p = h + BIN_HEADER_FIXED;
    if (!h) {
        trace_errf(w->err, "%s: out of memory", w->name);
        return VMR_ENOMEM;
    }
    memcpy(h, trace_magic, 8);
    put_le16(h + 8, 1);
    put_le16(h + 10, (uint16_t)b->minor);
    put_le32(h + 12, (uint32_t)size);
    put_le32(h + 16, hdr->page_size);
    put_le32(h + 20, (uint32_t)hdr->n_meta);
    for (size_t i = 0; i < hdr->n_meta; i++) {
        size_t kl = strlen(hdr->meta[i].key), vl = strlen(hdr->meta[i].value);
        put_le16(p, (uint16_t)kl);
        memcpy(p + 2, hdr->meta[i].key, kl);
        p += 2 + kl;
        put_le32(p, (uint32_t)vl);
        memcpy(p + 4, hdr->meta[i].value, vl);
        p += 4 + vl;
    }
    int rc = write_bytes(w, b, h, size);
    free(h);
    return rc;
}

/* A window spanning the whole frame: a frame is compressed alone, and a
 * trace's access patterns repeat at distances of megabytes (a program's
 * loops), beyond the window a level picks by itself (2 MiB at level 3). */
static int window_log(uint32_t frame)
{
    int log = 10; /* zstd's smallest */
    while (log < 27 && ((size_t)1 << log) < (size_t)frame + BIN_MAX_RECORD)
        log++;
    return log;
}

int binary_writer_init(struct vmr_trace_writer *w, const struct vmr_trace_header *hdr,
                       const struct vmr_trace_writer_options *opt)
{
    uint32_t frame = opt && opt->frame_bytes ? opt->frame_bytes : BIN_DEFAULT_FRAME;
    int level = opt && opt->zstd_level ? opt->zstd_level : 3;
    if (frame < BIN_MIN_FRAME || frame > BIN_MAX_RAW - BIN_MAX_RECORD) {
        trace_errf(w->err, "%s: frame size %u out of range (%u to %u bytes)", w->name,
                   (unsigned)frame, BIN_MIN_FRAME, BIN_MAX_RAW - BIN_MAX_RECORD);
        return VMR_EINVAL;
    }
    if (level < ZSTD_minCLevel() || level > ZSTD_maxCLevel()) {
        trace_errf(w->err, "%s: zstd level %d out of range (%d to %d)", w->name, level,
                   ZSTD_minCLevel(), ZSTD_maxCLevel());
        return VMR_EINVAL;
    }
    unsigned version = opt ? opt->format_version : 0;
    if (version != 0 && version != 10 && version != 11) {
        trace_errf(w->err, "%s: format version %u.%u: this vmreplay writes 1.0 and 1.1", w->name,
                   version / 10, version % 10);
        return VMR_EINVAL;
    }
    struct bw *b = calloc(1, sizeof *b);
    w->impl = b;
    w->ops = &bw_ops;
    if (b) {
        b->frame_bytes = frame;
        b->level = level;
        b->minor = version == 10 ? 0 : BIN_MINOR_LATEST;
        b->last_size = 1;
        bases_init(&b->cur);
        b->comp_cap = ZSTD_compressBound(frame + BIN_MAX_RECORD);
        b->raw = malloc(frame + BIN_MAX_RECORD);
        b->comp = malloc(b->comp_cap);
        b->cctx = ZSTD_createCCtx();
    }
    if (!b || !b->raw || !b->comp || !b->cctx || vmr_hashmap_init(&b->prev, 16) != 0 ||
        pidtab_init(&b->pids) != 0) {
        trace_errf(w->err, "%s: out of memory", w->name);
        bw_destroy(w);
        return VMR_ENOMEM;
    }
    if (ZSTD_isError(ZSTD_CCtx_setParameter(b->cctx, ZSTD_c_compressionLevel, level)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(b->cctx, ZSTD_c_checksumFlag, 1)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(b->cctx, ZSTD_c_contentSizeFlag, 1)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(b->cctx, ZSTD_c_windowLog, window_log(frame))) ||
        (opt && opt->zstd_hash_log &&
         ZSTD_isError(ZSTD_CCtx_setParameter(b->cctx, ZSTD_c_hashLog, (int)opt->zstd_hash_log))) ||
        (opt && opt->zstd_min_match &&
         ZSTD_isError(
             ZSTD_CCtx_setParameter(b->cctx, ZSTD_c_minMatch, (int)opt->zstd_min_match)))) {
        trace_errf(w->err, "%s: cannot configure zstd (hash log or minimum match out of range)",
                   w->name);
        bw_destroy(w);
        return VMR_ECOMPRESS;
    }
    if (w->own_fp)
        setvbuf(w->fp, NULL, _IOFBF, 1 << 20);
    int rc = write_header(w, b, hdr);
    if (rc != 0)
        bw_destroy(w);
    return rc;
}
