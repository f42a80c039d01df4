/*
 * vmreplay/trace.h - trace records, and reading and writing them.
 *
 * A trace is a sequence of records: memory accesses and memory-related
 * system calls of one or more processes. It exists in two forms, described
 * byte by byte in traces/FORMAT.md:
 *   - binary (.vmt): a header, then zstd-compressed frames with an index;
 *   - text (.txt, .vmtxt): one record per line, for hand-written traces.
 * Readers and writers handle both forms behind one interface. Nothing here
 * knows about the simulator.
 *
 * Reading is batched into a caller-owned array, in constant memory whatever
 * the trace length. Strings a record points to (file paths, marker labels)
 * stay valid until the next call on the same reader.
 */
#ifndef VMREPLAY_TRACE_H
#define VMREPLAY_TRACE_H

#include <stdio.h>

#include "vmreplay/common.h"

/* Record kinds. The three access kinds equal enum vmr_op. */
enum vmr_rec_kind {
    VMR_REC_READ = 0,
    VMR_REC_WRITE = 1,
    VMR_REC_FETCH = 2,
    VMR_REC_MMAP,
    VMR_REC_MUNMAP,
    VMR_REC_MPROTECT,
    VMR_REC_BRK,
    VMR_REC_FORK,
    VMR_REC_THREAD,
    VMR_REC_EXEC,
    VMR_REC_EXIT,
    VMR_REC_FILE,
    VMR_REC_MADVISE,
    VMR_REC_MSYNC,
    VMR_REC_MARK,
    VMR_REC_N_KINDS
};

static inline int vmr_rec_is_access(unsigned kind)
{
    return kind <= VMR_REC_FETCH;
}

/* Name of a kind as the text form spells it ("r", "mmap", ...); "?" if unknown. */
const char *vmr_rec_kind_name(unsigned kind);

/* file records: flags */
enum {
    /* Declared by the text parser for an `exec PID PATH` whose path had no
     * `file` line; the text writer leaves it out so text round-trips. */
    VMR_FILE_IMPLICIT = 1u << 0,
};

#define VMR_FILE_SIZE_UNKNOWN UINT64_MAX
#define VMR_FID_NONE          0u

/* msync flags */
enum {
    VMR_MS_ASYNC = 1u << 0,
    VMR_MS_SYNC = 1u << 1,
    VMR_MS_INVALIDATE = 1u << 2,
};

/* exec flags */
enum {
    VMR_EXEC_MAPPED = 1u << 0, /* exec: the trace carries this program's areas as mmap/brk records;
                                  do not load the ELF */
};

/*
 * One decoded record. Fields not listed for a kind are zero.
 *
 *   kind       fields
 *   r/w/x      pid, addr, size (bytes, >= 1), count (repeats collapsed, >= 1)
 *   mmap       pid, addr (where the area is, or the hint if it failed), len,
 *              prot, flags (VMR_MAP_*), arg = file id (0 = none), off = file
 *              offset, err (0 or a Linux errno)
 *   munmap     pid, addr, len, err
 *   mprotect   pid, addr, len, prot, err
 *   brk        pid, addr = requested break (0 = query), off = resulting break
 *   fork       pid = parent, arg = child
 *   thread     pid = creating process, arg = new thread id (shares the mm)
 *   exec       pid, arg = file id of the program, flags (VMR_EXEC_*), err
 *   exit       pid, arg = exit status
 *   file       arg = file id (>= 1), off = size in bytes or
 *              VMR_FILE_SIZE_UNKNOWN, flags (VMR_FILE_*), str = path
 *   madvise    pid, addr, len, flags = advice (Linux MADV_* number), err
 *   msync      pid, addr, len, flags (VMR_MS_*), err
 *   mark       pid (0 = not tied to a process), str = label
 *
 * Access fields come first so the hot loop touches one cache line.
 */
struct vmr_record {
    uint64_t addr;
    uint32_t pid;
    uint32_t size;
    uint32_t count;
    uint8_t kind;
    uint8_t prot;
    uint16_t flags;
    uint64_t len;
    uint64_t off;
    uint32_t arg;
    int32_t err;
    const char *str;
};

/* Trace metadata: free-form key/value pairs (recorder, command, date...). */
struct vmr_trace_meta {
    const char *key;
    const char *value;
};

/* What a writer puts in the header. */
struct vmr_trace_header {
    uint32_t page_size; /* page size of the recording machine, a power of two */
    size_t n_meta;
    const struct vmr_trace_meta *meta;
};

enum vmr_trace_form {
    VMR_FORM_AUTO = 0, /* reading: by magic; writing: by extension (.vmt = binary) */
    VMR_FORM_BINARY,
    VMR_FORM_TEXT,
};

/* What a reader knows of an open trace. Counts are exact when `indexed`
 * (binary trace closed properly, or counted by a scan); otherwise 0. */
struct vmr_trace_info {
    enum vmr_trace_form form;
    uint16_t version_major;
    uint16_t version_minor;
    uint32_t page_size;
    size_t n_meta;
    const struct vmr_trace_meta *meta;
    int indexed;
    uint64_t n_frames;
    uint64_t n_records;
    uint64_t n_access_records;
    uint64_t n_accesses; /* sum of repeat counts */
};

/* ---- reading ---------------------------------------------------------- */

struct vmr_trace_reader;

/*
 * Opens `path` ("-" = standard input, sequential only) in the given form.
 * On failure returns a VMR_E* code and, if `errbuf` is not NULL, writes a
 * message naming the file and what was wrong. *out is NULL on failure.
 */
int vmr_trace_reader_open(struct vmr_trace_reader **out, const char *path, enum vmr_trace_form form,
                          char *errbuf, size_t errbuf_len);

/* Same, over an open stream (borrowed: not closed by the reader). `name` is
 * used in messages. Rewind needs a seekable stream. */
int vmr_trace_reader_open_stream(struct vmr_trace_reader **out, FILE *fp, const char *name,
                                 enum vmr_trace_form form, char *errbuf, size_t errbuf_len);

/*
 * Decodes up to `max` records into `recs` and sets *n to how many. *n == 0
 * with return 0 means the end of the trace. On error returns VMR_E* (the
 * records before the bad one have been delivered by earlier calls) and
 * vmr_trace_reader_error() says where and what.
 */
int vmr_trace_reader_next(struct vmr_trace_reader *r, struct vmr_record *recs, size_t max,
                          size_t *n);

/*
 * Decodes ahead in a background thread: from now on each batch is decoded
 * (decompression and record codec) while the caller works on the previous
 * ones, in batches of `batch_records` (0 = default), a few batches ahead.
 * What the caller sees does not change: the same records, errors, positions
 * (vmr_trace_reader_where) and string lifetimes. Worth it when the caller's
 * work per record is comparable to decoding, as in replay. Returns 0,
 * VMR_EUNSUPPORTED (the text form: reading goes on as before) or
 * VMR_ENOMEM. The thread ends at the end of the trace, on an error, on
 * rewind and on destroy. Page words asked for before (see below) are made
 * by the thread from then on.
 */
int vmr_trace_reader_readahead(struct vmr_trace_reader *r, size_t batch_records);

/* Like vmr_trace_reader_next without the copy: *recs points to the *n
 * records, in storage the reader owns, valid until the next call on r. */
int vmr_trace_reader_next_view(struct vmr_trace_reader *r, const struct vmr_record **recs,
                               size_t max, size_t *n);

/*
 * Page words: one 64-bit word per record beside each batch, made by the
 * decoder in the read-ahead thread, so that a replay can take its common
 * record - one page, touched once, by the same process as the access
 * before - from 8 bytes instead of a whole struct vmr_record. For page size
 * 1 << shift (shift 3 to 30):
 *   (addr >> shift) << 2 | kind
 *                          a read, write or fetch (kind 0, 1, 2) of count 1
 *                          within one page, by the pid of the access record
 *                          before it in the trace;
 *   VMR_PAGE_WORD_NEWPID   an access record by another pid than the access
 *                          record before it (or the first);
 *   VMR_PAGE_WORD_OTHER    any other access record (over several pages, or
 *                          with a count);
 *   VMR_PAGE_WORD_EVENT    any other record.
 * The first kind is below 2^63 (the page number has at most 61 bits), the
 * last three have the top bit set (vmr_page_word_special). "Before" runs
 * over the whole trace (from the start or the last rewind), across
 * batches.
 */
#define VMR_PAGE_WORD_OTHER  (UINT64_MAX - 2)
#define VMR_PAGE_WORD_NEWPID (UINT64_MAX - 1)
#define VMR_PAGE_WORD_EVENT  UINT64_MAX

static inline int vmr_page_word_special(uint64_t w)
{
    return w >> 63;
}

/* Asks for page words of page size 1 << page_shift (3..30). With
 * read-ahead the decoding thread makes them, and they must be asked for
 * before the first record is read (or after a rewind); without, the
 * caller's thread makes them as vmr_trace_reader_next_words reads, from
 * any point on. Returns 0, VMR_EUNSUPPORTED (the text form), VMR_EINVAL
 * (bad shift, another shift than before, or records already read with
 * read-ahead) or VMR_ENOMEM. */
int vmr_trace_reader_page_words(struct vmr_trace_reader *r, unsigned page_shift);

/* The page shift page words were asked for with, 0 if none: a reader of
 * the records (such as OPT's pre-pass) can tell whether the words fit its
 * page size. */
unsigned vmr_trace_reader_word_shift(const struct vmr_trace_reader *r);

/* Like vmr_trace_reader_next_view, and *words points to the records' page
 * words, or is NULL when this batch has none (not asked for, or, with
 * read-ahead, decoded in the caller's thread because no thread could be
 * started). */
int vmr_trace_reader_next_words(struct vmr_trace_reader *r, const struct vmr_record **recs,
                                const uint64_t **words, size_t max, size_t *n);

/* Back to the first record (for a second pass). */
int vmr_trace_reader_rewind(struct vmr_trace_reader *r);

const struct vmr_trace_info *vmr_trace_reader_info(const struct vmr_trace_reader *r);

/* Detail of the last failure: "FILE: byte N: ..." or "FILE:LINE: ...". */
const char *vmr_trace_reader_error(const struct vmr_trace_reader *r);

/* Writes where record `i` of the last batch came from ("t.txt:12",
 * "t.vmt: record 1234 (frame 3)") into buf. */
void vmr_trace_reader_where(const struct vmr_trace_reader *r, size_t i, char *buf, size_t buf_len);

/* Counts records and accesses by reading to the end if the trace has no
 * index, then rewinds; afterwards info->indexed is 1. */
int vmr_trace_reader_count(struct vmr_trace_reader *r);

void vmr_trace_reader_destroy(struct vmr_trace_reader *r);

/* ---- writing ---------------------------------------------------------- */

struct vmr_trace_writer_options {
    enum vmr_trace_form form; /* AUTO: by extension of the path */
    int zstd_level;           /* 0 = default (3) */
    uint32_t frame_bytes;     /* uncompressed bytes per frame; 0 = default (1 MiB) */
    /* zstd's match finder, 0 = the level's own: hash table (log2 entries,
     * 6 to 30) and shortest match (3 to 7). The window always spans the
     * whole frame. Readers need nothing: frames are decoded whole. */
    unsigned zstd_hash_log, zstd_min_match;
    /* binary format version: 0 = the latest (1.1); 10 writes 1.0 (for
     * readers older than 1.1, and tests), 11 writes 1.1 */
    unsigned format_version;
};

struct vmr_trace_writer;

/*
 * Creates `path` ("-" = standard output) and writes the header. `opt` may be
 * NULL for defaults. Errors as for vmr_trace_reader_open.
 */
int vmr_trace_writer_open(struct vmr_trace_writer **out, const char *path,
                          const struct vmr_trace_header *hdr,
                          const struct vmr_trace_writer_options *opt, char *errbuf,
                          size_t errbuf_len);

/* Same over an open stream (borrowed; flushed, not closed, by close). */
int vmr_trace_writer_open_stream(struct vmr_trace_writer **out, FILE *fp, const char *name,
                                 const struct vmr_trace_header *hdr,
                                 const struct vmr_trace_writer_options *opt, char *errbuf,
                                 size_t errbuf_len);

/* Appends records. Invalid records (size 0, count 0, address overflow, path
 * with a newline in text form...) are refused with VMR_EINVAL. */
int vmr_trace_writer_put(struct vmr_trace_writer *w, const struct vmr_record *rec);
int vmr_trace_writer_put_batch(struct vmr_trace_writer *w, const struct vmr_record *recs, size_t n);

/* Flushes the last frame, writes the index and closes the file, checking
 * every write, fflush and fclose. Frees w in every case. */
int vmr_trace_writer_close(struct vmr_trace_writer *w, char *errbuf, size_t errbuf_len);

/* Abandons the writer: frees it without writing an index (what was written
 * stays readable by a scan). Accepts NULL. */
void vmr_trace_writer_destroy(struct vmr_trace_writer *w);

const char *vmr_trace_writer_error(const struct vmr_trace_writer *w);

#endif
