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

void *vmr_alloc_table(size_t bytes, size_t align, size_t *rounded)
{
    const size_t huge = (size_t)2 << 20;
    const int is_huge = bytes >= huge;
    if (is_huge) {
        bytes = (bytes + huge - 1) & ~(huge - 1);
        align = huge;
    } else {
        bytes = (bytes + align - 1) & ~(align - 1); /* aligned_alloc wants a multiple */
    }
    void *p = aligned_alloc(align, bytes);
#ifdef MADV_HUGEPAGE
    if (p && is_huge)
        (void)madvise(p, bytes, MADV_HUGEPAGE);
#endif
    if (rounded)
        *rounded = bytes;
    return p;
}
