/*
 * text.h - what the text reader and writer (FORMAT.md section 3) share: the
 * vocabulary of names (errno, madvise advice, mmap and msync flags) and the
 * table of declared files.
 *
 * The writer keeps a copy of the reader's file table as it would stand after
 * reading what has been written so far; it prints `exec PID PATH` only when
 * that table resolves PATH to the same file id, so canonical text round-trips
 * through the binary form byte for byte.
 */
#ifndef VMREPLAY_TRACE_TEXT_H
#define VMREPLAY_TRACE_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "hashmap.h"

/* Bare numbers that the text form spells by name. NULL / -1 when unknown. */
const char *text_errno_name(uint32_t err);
int text_errno_value(const char *s, size_t n);
const char *text_advice_name(uint32_t advice);
int text_advice_value(const char *s, size_t n);

/* Flag words, in the canonical order (FORMAT.md section 3). */
struct text_flag {
    const char *name;
    uint16_t bit;
};
extern const struct text_flag text_mmap_flags[];
extern const size_t text_n_mmap_flags;
extern const struct text_flag text_msync_flags[];
extern const size_t text_n_msync_flags;

/*
 * Declared files. Each fid has at most one live entry; entries with the same
 * path hash are chained most recent first, so the lookup by path finds the
 * latest declaration of that path that has not been superseded by a
 * re-declaration of its fid. Memory is O(live files).
 */
struct text_file {
    char *path;
    uint64_t size;
    uint64_t hash;
    uint32_t fid;
    uint32_t flags;
    int32_t prev, next; /* path-hash chain (slot indexes, -1 = none) */
};

struct text_files {
    struct text_file *slots;
    size_t n_slots, cap_slots;
    int32_t free_head;          /* unused slots, linked through next */
    struct vmr_hashmap by_fid;  /* fid -> slot */
    struct vmr_hashmap by_hash; /* path hash -> most recent slot */
    uint32_t next_implicit;     /* implicit ids count down from here */
};

int text_files_init(struct text_files *t);
void text_files_release(struct text_files *t);
void text_files_clear(struct text_files *t);
const struct text_file *text_files_by_fid(const struct text_files *t, uint32_t fid);
const struct text_file *text_files_by_path(const struct text_files *t, const char *path,
                                           size_t len);
/* Declares (or re-declares) fid; copies path. 0 or VMR_ENOMEM. */
int text_files_declare(struct text_files *t, uint32_t fid, const char *path, size_t len,
                       uint64_t size, uint32_t flags);
void text_files_remove(struct text_files *t, uint32_t fid);
/* The id the next implicit declaration takes: the highest undeclared id at
 * or below next_implicit; 0 when none is left. Does not consume it. */
uint32_t text_files_peek_implicit(const struct text_files *t);

#endif
