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

/*
 * A table read at random (the kernel's frames and page-table leaves, a
 * policy's arena), zero-filled, 64-byte aligned (page-aligned from a page
 * up). From 2 MiB up it is a
 * mapping of its own: 2 MiB-aligned, its whole 2 MiB pages advised as
 * transparent huge pages (a hint: one TLB entry instead of 512; the
 * partial last 2 MiB stays on small pages unless `whole`, which rounds the
 * table up to whole 2 MiB pages), zeroed by the system as its pages are
 * first written, and grown by moving its pages, not copying them. Smaller
 * tables come from malloc (where AddressSanitizer sees them).
 */
struct vmr_table {
    void *base;
    size_t len; /* bytes usable (mapped: whole small pages) */
    int mapped; /* base came from mmap (else malloc) */
};
/* 0, or VMR_ENOMEM with *t zeroed. */
int vmr_table_alloc(struct vmr_table *t, size_t bytes, int whole);
/* Makes t at least `bytes` long, its contents kept and the rest zero
 * (base may move). 0, or VMR_ENOMEM with t unchanged. */
int vmr_table_grow(struct vmr_table *t, size_t bytes, int whole);
/* Frees t (a zeroed one too) and zeroes it. */
void vmr_table_free(struct vmr_table *t);

/* snprintf into an optional buffer (buf may be NULL or len 0). */
void vmr_errf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* strdup that returns NULL on failure (C11 lacks strdup). */
char *vmr_strdup(const char *s);

#endif
