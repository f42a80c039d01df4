/* parse.c - see parse.h. */
#include "parse.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmreplay/common.h"

int vmr_parse_u64_n(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    size_t i = 0;
    unsigned base = 10;
    if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        i = 2;
    }
    if (i == n)
        return VMR_EINVAL;
    for (; i < n; i++) {
        unsigned c = (unsigned char)s[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (base == 16 && c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (base == 16 && c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return VMR_EINVAL;
        if (v > (UINT64_MAX - d) / base)
            return VMR_ERANGE;
        v = v * base + d;
    }
    *out = v;
    return 0;
}

int vmr_parse_u64(const char *s, uint64_t *out)
{
    return vmr_parse_u64_n(s, strlen(s), out);
}

static int suffix_shift(const char *s, size_t n, unsigned *shift)
{
    static const char units[] = "KMGTP";
    if (n == 0) {
        *shift = 0;
        return 0;
    }
    const char *u = strchr(units, s[0] >= 'a' ? s[0] - 'a' + 'A' : s[0]);
    if (!u || s[0] == 0)
        return VMR_EINVAL;
    *shift = 10 * (unsigned)(u - units + 1);
    /* optional "B" or "iB" */
    if (n == 1)
        return 0;
    if (n == 2 && (s[1] == 'B' || s[1] == 'b'))
        return 0;
    if (n == 3 && (s[1] == 'i' || s[1] == 'I') && (s[2] == 'B' || s[2] == 'b'))
        return 0;
    return VMR_EINVAL;
}

int vmr_parse_size_n(const char *s, size_t n, uint64_t *out)
{
    size_t digits = 0;
    int hex = n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    if (hex) {
        digits = 2;
        while (digits < n && strchr("0123456789abcdefABCDEF", s[digits]) && s[digits])
            digits++;
    } else {
        while (digits < n && ((s[digits] >= '0' && s[digits] <= '9') || s[digits] == '.'))
            digits++;
    }
    unsigned shift;
    int rc = suffix_shift(s + digits, n - digits, &shift);
    if (rc != 0)
        return rc;
    if (!hex && memchr(s, '.', digits)) {
        /* decimal fraction: only with a unit, and only if the product is whole */
        char tmp[64];
        if (shift == 0 || digits >= sizeof tmp)
            return VMR_EINVAL;
        memcpy(tmp, s, digits);
        tmp[digits] = 0;
        double d;
        if (vmr_parse_double(tmp, &d) != 0 || tmp[0] == '.' || tmp[digits - 1] == '.')
            return VMR_EINVAL;
        double bytes = ldexp(d, (int)shift);
        if (bytes >= 18446744073709551616.0)
            return VMR_ERANGE;
        if (bytes != floor(bytes))
            return VMR_EINVAL;
        *out = (uint64_t)bytes;
        return 0;
    }
    uint64_t v;
    rc = vmr_parse_u64_n(s, digits, &v);
    if (rc != 0)
        return rc;
    if (shift && v > (UINT64_MAX >> shift))
        return VMR_ERANGE;
    *out = v << shift;
    return 0;
}

int vmr_parse_size(const char *s, uint64_t *out)
{
    return vmr_parse_size_n(s, strlen(s), out);
}

int vmr_parse_double(const char *s, double *out)
{
    if (!*s || strchr(" \t\n", s[0]))
        return VMR_EINVAL;
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (*end || end == s)
        return VMR_EINVAL;
    if (errno == ERANGE || !isfinite(d))
        return VMR_ERANGE;
    *out = d;
    return 0;
}

void vmr_format_size(uint64_t bytes, char *buf, size_t len)
{
    static const char units[] = "KMGTPE";
    if (bytes < 1024 || (bytes & 1023) != 0) {
        snprintf(buf, len, "%llu", (unsigned long long)bytes);
        return;
    }
    int u = -1;
    uint64_t v = bytes;
    while (v >= 1024 && (v & 1023) == 0 && u < 5) {
        v >>= 10;
        u++;
    }
    snprintf(buf, len, "%llu%c", (unsigned long long)v, units[u]);
}
