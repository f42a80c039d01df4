/*
 * internal.h - the trace layer's private interface: the generic reader and
 * writer objects (reader.c, writer.c) and the two forms behind them
 * (binary_*.c for .vmt, text_*.c for the text form).
 *
 * The generic object owns the stream, the name used in messages, the info
 * and the error message; a form's init fills info and sets ops/impl. A form
 * reports errors by writing r->err / w->err (via trace_errf) and returning a
 * VMR_E* code; messages start with the trace's name ("t.vmt: byte 12: ...",
 * "t.txt:3: ...").
 *
 * A stream that cannot seek (a pipe, standard input) is read strictly in
 * sequence: the bytes sniffed to tell the forms apart are kept in `head`
 * and handed out again first by trace_read. A seekable stream is read from
 * its position at open (`base`), which the forms add to their offsets.
 */
#ifndef VMREPLAY_TRACE_INTERNAL_H
#define VMREPLAY_TRACE_INTERNAL_H

#include <stdio.h>

#include "vmreplay/trace.h"

#define TRACE_ERR_LEN 1024

/* Limits shared by both forms (FORMAT.md). */
#define TRACE_MAX_STRING        4096       /* path or label bytes */
#define TRACE_MAX_META          4096       /* metadata entries */
#define TRACE_MAX_KEY           255        /* metadata key bytes */
#define TRACE_MAX_VALUE         (1u << 20) /* metadata value bytes */
#define TRACE_DEFAULT_PAGE_SIZE 4096u

/* Where a batch came from, saved so its records can be named after the
 * reader has moved on (read-ahead); the form decides what the fields mean. */
struct trace_snap {
    uint64_t v[3];
};

struct reader_ops {
    /* as vmr_trace_reader_next; may deliver fewer than max before the end */
    int (*next)(struct vmr_trace_reader *r, struct vmr_record *recs, size_t max, size_t *n);
    int (*rewind)(struct vmr_trace_reader *r);
    /* position of record i of the last batch, e.g. "t.txt:12" */
    void (*where)(const struct vmr_trace_reader *r, size_t i, char *buf, size_t len);
    void (*destroy)(struct vmr_trace_reader *r); /* frees impl only */
    /* Optional, for read-ahead: saves where the last batch came from, and
     * names record i of a saved batch as `where` would have. */
    void (*snap)(const struct vmr_trace_reader *r, struct trace_snap *s);
    void (*where_snap)(const struct vmr_trace_reader *r, const struct trace_snap *s, size_t i,
                       char *buf, size_t len);
    /* Optional, for read-ahead: as next, and the records' page words
     * (trace.h) for page size 1 << shift into words[] (if not NULL); after
     * records read by `next`, the first access record's word is NEWPID.
     * *strings is 0 if no record delivered has a string. */
    int (*next_words)(struct vmr_trace_reader *r, struct vmr_record *recs, uint64_t *words,
                      unsigned shift, size_t max, size_t *n, int *strings);
};

/* readahead.c: the reader's calls while a read-ahead thread runs */
struct readahead;
int readahead_next(struct vmr_trace_reader *r, struct vmr_record *recs, size_t max, size_t *n);
int readahead_view(struct vmr_trace_reader *r, const struct vmr_record **recs, size_t max,
                   size_t *n);
int readahead_words(struct vmr_trace_reader *r, const struct vmr_record **recs,
                    const uint64_t **words, size_t max, size_t *n);
int readahead_rewind(struct vmr_trace_reader *r);
void readahead_where(const struct vmr_trace_reader *r, size_t i, char *buf, size_t len);
void readahead_destroy(struct vmr_trace_reader *r); /* accepts r->ra == NULL */

struct vmr_trace_reader {
    const struct reader_ops *ops;
    void *impl;
    FILE *fp;
    int own_fp;
    int seekable;
    uint64_t base; /* stream offset of the trace's first byte, if seekable */
    unsigned char head[8];
    size_t head_len, head_pos;
    uint64_t n_frames_read; /* frames the binary form finished, for count */
    char *name;
    struct vmr_trace_info info; /* info.meta points into storage the form owns */
    char err[TRACE_ERR_LEN];
    struct readahead *ra;    /* read-ahead thread (readahead.c), or NULL */
    struct vmr_record *view; /* next_view's buffer without read-ahead */
    size_t view_cap;
    /* page words: their shift (0 = not asked for), and next_words' buffer
     * without read-ahead */
    unsigned word_shift;
    uint64_t *words;
    size_t words_cap;
};

/* fread for the forms: the sniffed head bytes first, then the stream. */
size_t trace_read(struct vmr_trace_reader *r, void *buf, size_t n);

/* The message of a form that cannot go back on this stream. */
int trace_no_rewind(struct vmr_trace_reader *r);

struct writer_ops {
    int (*put)(struct vmr_trace_writer *w, const struct vmr_record *rec); /* rec is valid */
    int (*finish)(struct vmr_trace_writer *w);   /* last frame, index; no fclose */
    void (*destroy)(struct vmr_trace_writer *w); /* frees impl only */
};

struct bw;

struct vmr_trace_writer {
    const struct writer_ops *ops;
    void *impl;
    struct bw *bin; /* impl when the form is binary: accesses skip ops */
    FILE *fp;
    int own_fp;
    char *name;
    int failed; /* a write failed: later calls return VMR_EIO */
    char err[TRACE_ERR_LEN];
};

/* Form initialisers. The reader's fp is at offset 0; binary_reader_init is
 * called when the first 8 bytes are the binary magic. On error they leave a
 * message in r->err / w->err and return VMR_E*, with impl freed. */
int binary_reader_init(struct vmr_trace_reader *r);
int text_reader_init(struct vmr_trace_reader *r);
int binary_writer_init(struct vmr_trace_writer *w, const struct vmr_trace_header *hdr,
                       const struct vmr_trace_writer_options *opt);
int text_writer_init(struct vmr_trace_writer *w, const struct vmr_trace_header *hdr);

/* Appends one access record that passed the checks of vmr_trace_writer_put
 * (binary_writer.c); called directly, it is the writer's hot path. */
int binary_put_access(struct vmr_trace_writer *w, const struct vmr_record *rec);

/* The binary magic (FORMAT.md 2.1). */
extern const unsigned char trace_magic[8];

/* Checks a record against FORMAT.md's rules (kinds, ranges, flag bits,
 * strings). 0 or VMR_EINVAL with a message (without the trace name). */
int trace_record_check(const struct vmr_record *rec, char *err, size_t len);

/* Checks header fields (page size, metadata keys and values). */
int trace_header_check(const struct vmr_trace_header *hdr, char *err, size_t len);

void trace_errf(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
