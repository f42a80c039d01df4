/*
 * vmreplay/synth.h - synthetic traces: a seeded generator of memory accesses
 * over one mapped region, for experiments that need a known access pattern.
 *
 * A generated trace is, in order:
 *   - with a file backing, a `file 1 synth.dat size=FOOTPRINT` declaration;
 *   - `mmap 1 BASE FOOTPRINT rw-` (private anonymous, private file or shared
 *     file, per the backing);
 *   - `fork 1 K` for K = 2 .. n_processes;
 *   - n_accesses reads and writes inside [BASE, BASE + FOOTPRINT), each by a
 *     process drawn uniformly, to a page drawn from the pattern, at a random
 *     offset in the page aligned to the access size;
 *   - `exit K` for K = 2 .. n_processes, then `exit 1`.
 *
 * The output is a pure function of the configuration: same configuration,
 * same records and header, on any machine whose libm pow/exp/log agree (they
 * are used only to build Zipf tables). The generator allocates only in
 * vmr_synth_create; producing records never allocates.
 */
#ifndef VMREPLAY_SYNTH_H
#define VMREPLAY_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "vmreplay/common.h"
#include "vmreplay/trace.h"

/* Where the region lives: BASE is aligned to every allowed page size. */
#define VMR_SYNTH_BASE 0x7f0000000000ULL
/* The declared file of the file-backed forms. */
#define VMR_SYNTH_FILE_ID   1u
#define VMR_SYNTH_FILE_PATH "synth.dat"
/* Bumped whenever the same configuration would produce different records. */
#define VMR_SYNTH_VERSION 1

enum vmr_synth_backing {
    VMR_SYNTH_ANON = 0, /* private anonymous */
    VMR_SYNTH_FILE,     /* private mapping of the declared file */
    VMR_SYNTH_SHARED,   /* shared mapping of the declared file */
};

struct vmr_synth_config {
    const char *pattern;      /* component spec (see vmr_synth_config_set); borrowed */
    uint64_t footprint_bytes; /* region size, a multiple of page_size */
    uint64_t n_accesses;      /* accesses in total (sum of record counts) */
    double write_fraction;    /* probability that an access is a write, 0 ... 1 */
    uint32_t access_size;     /* bytes per access: a power of two <= page_size */
    uint32_t page_size;       /* power of two, 1 ... 2^30; written in the header */
    uint64_t seed;
    uint32_t n_processes; /* >= 1 */
    enum vmr_synth_backing backing;
    int collapse; /* merge consecutive same-page, same-pid, same-op accesses */
};

/* Defaults: zipf:0.9, 64M, 1M accesses, 0.3 writes, 8-byte accesses, 4096-byte
 * pages, seed 1, one process, anonymous, no collapsing. */
void vmr_synth_config_init(struct vmr_synth_config *cfg);

/*
 * Sets one option from its command-line spelling. `key` is the long option
 * name without dashes: pattern, footprint, accesses, write-fraction,
 * access-size, page-size, seed, processes, backing, collapse ("1"/"0").
 * `value` is borrowed (pattern keeps pointing to it). Returns 0, or
 * VMR_EINVAL / VMR_ERANGE with a message in err naming the option, the bad
 * value and what is expected. Checks that involve several options (and the
 * pattern itself) are left to vmr_synth_create.
 */
int vmr_synth_config_set(struct vmr_synth_config *cfg, const char *key, const char *value,
                         char *err, size_t err_len);

/*
 * Parses a count: decimal digits with an optional decimal suffix k/K (10^3),
 * M (10^6) or G (10^9); a fraction is allowed with a suffix when the result
 * is whole ("1.5M"). 0, VMR_EINVAL or VMR_ERANGE.
 */
int vmr_synth_parse_count(const char *s, uint64_t *out);

struct vmr_synth;

/*
 * Validates the configuration, parses the pattern and builds the sampling
 * tables. On failure returns VMR_EINVAL/VMR_ERANGE (a bad option or pattern;
 * err names the option, the bad part and what is expected) or VMR_ENOMEM.
 * The configuration is copied; cfg->pattern need not outlive the call.
 */
int vmr_synth_create(struct vmr_synth **out, const struct vmr_synth_config *cfg, char *err,
                     size_t err_len);

/* The header to write: page size and the metadata (recorder=synth, command,
 * and synth.* keys recording every option). Owned by s. */
const struct vmr_trace_header *vmr_synth_header(const struct vmr_synth *s);

/*
 * Produces up to `max` (>= 1) next records into recs and sets *n; *n == 0
 * means the trace is complete. Strings in records are owned by s. Never
 * fails; returns 0.
 */
int vmr_synth_next(struct vmr_synth *s, struct vmr_record *recs, size_t max, size_t *n);

/* Produces every remaining record into w. Returns 0 or the writer's error
 * (vmr_trace_writer_error(w) has the message). */
int vmr_synth_write(struct vmr_synth *s, struct vmr_trace_writer *w);

void vmr_synth_destroy(struct vmr_synth *s);

#endif
