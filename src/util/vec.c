/* vec.c - see vec.h. */
#include "vec.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "vmreplay/common.h"

static int grow(void **ptr, size_t *cap, size_t need, size_t elem_size, int zero)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap < 16 ? 16 : *cap;
    while (n < need) {
        if (n > SIZE_MAX / 2)
            return VMR_ENOMEM;
        n *= 2;
    }
    if (n > SIZE_MAX / elem_size)
        return VMR_ENOMEM;
    void *p = realloc(*ptr, n * elem_size);
    if (!p)
        return VMR_ENOMEM;
    if (zero)
        memset((char *)p + *cap * elem_size, 0, (n - *cap) * elem_size);
    *ptr = p;
    *cap = n;
    return 0;
}

int vmr_grow(void **ptr, size_t *cap, size_t need, size_t elem_size)
{
    return grow(ptr, cap, need, elem_size, 0);
}

int vmr_grow_zero(void **ptr, size_t *cap, size_t need, size_t elem_size)
{
    return grow(ptr, cap, need, elem_size, 1);
}

void vmr_errf(char *buf, size_t len, const char *fmt, ...)
{
    if (!buf || len == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
}

char *vmr_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

#define TABLE_HUGE ((size_t)2 << 20)
#define TABLE_PAGE ((size_t)4096)

int vmr_table_alloc(struct vmr_table *t, size_t bytes, int whole)
{
    *t = (struct vmr_table){0};
    bytes = bytes ? bytes : 64;
    if (bytes < TABLE_HUGE) {
        /* from a page up, page-aligned (a page-table leaf is one page) */
        void *p = NULL;
        const size_t len = (bytes + 63) & ~(size_t)63;
        if (posix_memalign(&p, len >= TABLE_PAGE ? TABLE_PAGE : 64, len) != 0)
            return VMR_ENOMEM;
        *t = (struct vmr_table){memset(p, 0, len), len, 0};
        return 0;
    }
    const size_t len = whole ? (bytes + TABLE_HUGE - 1) & ~(TABLE_HUGE - 1)
                             : (bytes + TABLE_PAGE - 1) & ~(TABLE_PAGE - 1);
    if (len < bytes)
        return VMR_ENOMEM;
    /* map an extra 2 MiB to find an aligned start, give back the rest */
    char *m =
        mmap(NULL, len + TABLE_HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return VMR_ENOMEM;
    char *base = (char *)(((uintptr_t)m + TABLE_HUGE - 1) & ~(uintptr_t)(TABLE_HUGE - 1));
    if (base > m)
        munmap(m, (size_t)(base - m));
    if (m + len + TABLE_HUGE > base + len)
        munmap(base + len, (size_t)(m + len + TABLE_HUGE - (base + len)));
#ifdef MADV_HUGEPAGE
    (void)madvise(base, len & ~(TABLE_HUGE - 1), MADV_HUGEPAGE);
#endif
    *t = (struct vmr_table){base, len, 1};
    return 0;
}

int vmr_table_grow(struct vmr_table *t, size_t bytes, int whole)
{
    if (bytes <= t->len)
        return 0;
    struct vmr_table n;
    if (vmr_table_alloc(&n, bytes, whole) != 0)
        return VMR_ENOMEM;
    /* a mapping's pages move into the new one's start (its page tables
     * move; nothing is copied or faulted), else the contents are copied */
    if (!t->mapped || !n.mapped ||
        mremap(t->base, t->len, t->len, MREMAP_MAYMOVE | MREMAP_FIXED, n.base) == MAP_FAILED) {
        memcpy(n.base, t->base, t->len);
        vmr_table_free(t);
    }
    *t = n;
    return 0;
}

void vmr_table_free(struct vmr_table *t)
{
    if (t->mapped)
        munmap(t->base, t->len);
    else
        free(t->base);
    *t = (struct vmr_table){0};
}
