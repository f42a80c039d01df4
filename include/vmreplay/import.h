/*
 * vmreplay/import.h - traces of other tools turned into vmreplay traces.
 *
 * One importer per foreign format (src/import/FORMAT.c). Each reads its
 * input (plain, gzip or zstd: told apart by the first bytes) and writes
 * through a trace writer the caller opened. Formats are of two families:
 *
 *   - object/block references (oraclegeneral, csv, txt, arc, lirs): object
 *     or block id k becomes page k of one anonymous private area of one
 *     process, so page faults equal cache misses. The area is placed at
 *     VMR_IMPORT_AREA_BASE and sized from a first pass over the input.
 *   - address traces (lackey, din, pinatrace): byte addresses of loads,
 *     stores and fetches. The real mappings are unknown, so the importer
 *     declares one anonymous private rwx area per run of consecutive pages
 *     the trace touches (found by a first pass), then the accesses.
 *
 * Both families read the input twice, so IN must be a file (or a memory
 * buffer), not a pipe. Bad input gives VMR_EFORMAT (or VMR_ETRUNCATED) and a
 * message naming the input and the line or byte offset.
 */
#ifndef VMREPLAY_IMPORT_H
#define VMREPLAY_IMPORT_H

#include "vmreplay/trace.h"

/* Where the area of a reference trace starts (page k is at BASE + k pages). */
#define VMR_IMPORT_AREA_BASE 0x100000000ull

struct vmr_import_options {
    uint32_t page_size;   /* page size of the output trace; 0 = 4096 */
    uint64_t block_size;  /* oraclegeneral, csv: bytes per page of an object;
                           * 0 = every object is one page whatever its size */
    const char *csv_spec; /* csv: column spec (see vmr_import_csv_help); NULL = "obj-id-col=1" */
    vmr_pid_t pid;        /* pid of formats that name none; 0 = 1 */
    int dense;            /* renumber object ids 0, 1, 2... in order of first use */
};

/* Names of the formats, NULL-terminated. */
const char *const *vmr_import_formats(void);

/* One line describing format `name`, or NULL if there is no such format. */
const char *vmr_import_describe(const char *name);

/*
 * Converts the file `path` in format `format` and appends the records to w
 * (whose header the caller wrote). Returns 0 or VMR_E*, with a message in
 * errbuf naming the file and the line or byte offset. On error, records
 * already written stay in w; the caller discards the output.
 */
int vmr_import_file(const char *format, const char *path, const struct vmr_import_options *opt,
                    struct vmr_trace_writer *w, char *errbuf, size_t errbuf_len);

/* Same over `size` bytes at `data` (borrowed), called `name` in messages. */
int vmr_import_memory(const char *format, const void *data, size_t size, const char *name,
                      const struct vmr_import_options *opt, struct vmr_trace_writer *w,
                      char *errbuf, size_t errbuf_len);

/* ---- the lackey parser, shared with `vmreplay record --backend lackey` -- */

/* One parsed lackey line: an access, or nothing (comments, syscall lines).
 * Returns 1 with *rec filled (pid left 0), 0 for a line that carries no
 * access, or VMR_EFORMAT with a message (no file or line: the caller adds
 * them). M (modify) becomes a write: a read-modify-write instruction faults
 * as a write. */
int vmr_import_lackey_line(const char *line, size_t len, struct vmr_record *rec, char *errbuf,
                           size_t errbuf_len);

/* ---- `vmreplay record --backend lackey`: lackey's logs, read live ----- */

struct vmr_lackey_live;

struct vmr_lackey_live_stats {
    uint64_t log_bytes;  /* lackey text read */
    uint64_t n_accesses; /* access lines (before collapsing) */
    uint32_t n_processes, n_images, n_execs, n_marks;
};

/*
 * Follows the logs Valgrind writes into `dir` with --log-file=DIR/lk.%p.%n
 * while the program runs (src/import/lackey_live.c says how and why).
 * open: starts watching dir (call it before starting Valgrind) and creates
 * the spool there. follow: reads the logs as they grow until running(ctx)
 * returns 0 (the program has ended), then reads them to their end. finish:
 * appends to w (whose header the caller wrote) each image's areas and its
 * records. Each returns 0 or VMR_E* with a message in errbuf (the buffer
 * given to open, which must outlive lv). destroy removes the spool.
 */
int vmr_lackey_live_open(struct vmr_lackey_live **out, const char *dir, uint32_t page_size,
                         char *errbuf, size_t errbuf_len);
int vmr_lackey_live_follow(struct vmr_lackey_live *lv, int (*running)(void *ctx), void *ctx);
int vmr_lackey_live_finish(struct vmr_lackey_live *lv, struct vmr_trace_writer *w,
                           struct vmr_lackey_live_stats *stats);
void vmr_lackey_live_destroy(struct vmr_lackey_live *lv);

/* ---- `vmreplay record`: the streams of our Valgrind tool -------------- */

struct vmr_import_valgrind_stats {
    uint64_t raw_bytes;  /* size of the tool's streams */
    uint64_t n_accesses; /* accesses written (repeat counts summed) */
    uint64_t n_dropped;  /* accesses inside Valgrind's preload objects */
    uint32_t n_processes, n_threads, n_execs, n_marks;
    uint32_t truncated_streams; /* processes killed in the middle of a write */
};

/*
 * Merges the per-process raw streams the tool (src/record/vgtool) wrote
 * into `dir` (PID.raw) and appends the records to w; `root_pid` is the
 * process Valgrind started. The ordering rule and the translation are
 * described at the top of src/import/valgrind.c and in README.md. A stream
 * cut short (a killed process) ends at its last complete record.
 */
int vmr_import_valgrind_streams(const char *dir, uint32_t root_pid, uint32_t page_size,
                                struct vmr_trace_writer *w, struct vmr_import_valgrind_stats *stats,
                                char *errbuf, size_t errbuf_len);

#endif
