/*
 * vec.h - geometric growth for caller-managed arrays, large tables on huge
 * pages, and a checked formatter for error messages.
 *
 *   struct foo *items = NULL; size_t cap = 0;
 *   if (vmr_grow((void **)&items, &cap, n + 1, sizeof *items) != 0) ...
 */
#ifndef VMREPLAY_UTIL_VEC_H
#define VMREPLAY_UTIL_VEC_H

#include <stdarg.h>
#include <stddef.h>

/* Ensures *cap >= need, doubling (at least 16 elements). Existing contents
 * are kept; new elements are uninitialised. Returns 0 or VMR_ENOMEM (the
 * array is then unchanged). */
int vmr_grow(void **ptr, size_t *cap, size_t need, size_t elem_size);

/* Same, zero-filling the new elements. */
int vmr_grow_zero(void **ptr, size_t *cap, size_t need, size_t elem_size);

/* A block for a table read at random (free() it), not zeroed: `bytes`
 * aligned on `align`, or, from 2 MiB up, rounded up to whole 2 MiB pages,
 * aligned on one and advised as transparent huge pages (a hint: one TLB
 * entry instead of 512). *rounded (if not NULL) gets the size allocated.
 * NULL if out of memory. */
void *vmr_alloc_table(size_t bytes, size_t align, size_t *rounded);

/* snprintf into an optional buffer (buf may be NULL or len 0). */
void vmr_errf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* strdup that returns NULL on failure (C11 lacks strdup). */
char *vmr_strdup(const char *s);

#endif
