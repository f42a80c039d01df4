/*
 * parse.h - strict number parsing shared by the text trace parser, the
 * synthetic workload spec and the command line.
 *
 * Every function consumes the whole string (no trailing junk), rejects
 * empty input and signs, and reports overflow as VMR_ERANGE rather than
 * wrapping or clamping.
 */
#ifndef VMREPLAY_UTIL_PARSE_H
#define VMREPLAY_UTIL_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* Decimal, or hexadecimal with a 0x/0X prefix. */
int vmr_parse_u64(const char *s, uint64_t *out);

/* Like vmr_parse_u64 over the n bytes at s (no NUL needed). */
int vmr_parse_u64_n(const char *s, size_t n, uint64_t *out);

/* A number as above with an optional binary-unit suffix: K, M, G, T, P
 * (x 2^10 ...), also accepted as KB/KiB etc. in either case.
 * Example: "4096", "0x1000", "64K", "1.5G" (decimals allowed with a
 * suffix when the result is a whole number of bytes). */
int vmr_parse_size(const char *s, uint64_t *out);
int vmr_parse_size_n(const char *s, size_t n, uint64_t *out);

/* A finite double ("0.9", "1e-3"); rejects nan/inf. */
int vmr_parse_double(const char *s, double *out);

/* Formats bytes for humans with a binary suffix ("64K", "1.5G", "4095"). */
void vmr_format_size(uint64_t bytes, char *buf, size_t len);

#endif
