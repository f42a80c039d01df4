/*
 * internal.h - what the importers share: an input that undoes gzip or zstd
 * and tracks the line and byte offset for messages, and the sink a parser
 * hands its references to.
 *
 * A parser (one per format file) reads the whole input once and calls the
 * sink for every reference; the driver (import.c) runs it twice: a first
 * pass that sizes the areas, a second that writes records.
 */
#ifndef VMREPLAY_IMPORT_INTERNAL_H
#define VMREPLAY_IMPORT_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include "vmreplay/import.h"

struct vmr_import_in;

/* Opens a file or a memory buffer. The compression is told by magic. */
int vmr_import_in_open_file(struct vmr_import_in **out, const char *path, char *errbuf,
                            size_t errbuf_len);
int vmr_import_in_open_memory(struct vmr_import_in **out, const void *data, size_t size,
                              const char *name, char *errbuf, size_t errbuf_len);
void vmr_import_in_destroy(struct vmr_import_in *in);

/* Back to the first byte (line 0, offset 0). */
int vmr_import_in_rewind(struct vmr_import_in *in);

/* Reads up to n decompressed bytes; *got < n only at the end of input. */
int vmr_import_in_read(struct vmr_import_in *in, void *buf, size_t n, size_t *got);

/* Next line without its "\n" (and "\r\n"), NUL-terminated in the input's
 * buffer, valid until the next call. Returns 1, 0 at the end, or VMR_E*.
 * A line longer than 64 KiB is an error. */
int vmr_import_in_getline(struct vmr_import_in *in, char **line, size_t *len);

/* Current line number (1 = first line read) and decompressed byte offset. */
uint64_t vmr_import_in_lineno(const struct vmr_import_in *in);
uint64_t vmr_import_in_offset(const struct vmr_import_in *in);
const char *vmr_import_in_name(const struct vmr_import_in *in);

/* Sets the input's error "NAME:LINE: msg" (for line formats) or
 * "NAME: byte N: msg" and returns VMR_EFORMAT. */
int vmr_import_in_fail_line(struct vmr_import_in *in, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int vmr_import_in_fail_byte(struct vmr_import_in *in, uint64_t offset, int code, const char *fmt,
                            ...) __attribute__((format(printf, 4, 5)));
const char *vmr_import_in_error(const struct vmr_import_in *in);

/* What a parser emits: a reference to n_pages pages of object `id`
 * (reference formats), or an access (address formats; pid 0 = default). */
struct vmr_import_sink {
    int (*object)(struct vmr_import_sink *s, uint64_t id, uint64_t n_pages);
    int (*access)(struct vmr_import_sink *s, const struct vmr_record *rec);
};

/* A parser: reads `in` to the end, calling the sink. Returns 0 or VMR_E*
 * (with the input's error set, or the sink's code passed through). */
typedef int (*vmr_import_parse_fn)(struct vmr_import_in *in, const struct vmr_import_options *opt,
                                   struct vmr_import_sink *sink);

/* Pages an object of `size` bytes takes under opt->block_size (>= 1). */
uint64_t vmr_import_object_pages(const struct vmr_import_options *opt, uint64_t size);

/* Hexadecimal digits, with or without 0x, over n bytes; at most 64 bits.
 * Returns 0, VMR_EFORMAT or VMR_ERANGE. */
int vmr_import_parse_hex(const char *s, size_t n, uint64_t *out);

/* Splits a line into at most max whitespace-separated fields (in place);
 * returns how many there were (may exceed max: the rest is not split). */
size_t vmr_import_split(char *line, char **fields, size_t max);

int vmr_import_parse_lackey(struct vmr_import_in *, const struct vmr_import_options *,
                            struct vmr_import_sink *);
int vmr_import_parse_oraclegeneral(struct vmr_import_in *, const struct vmr_import_options *,
                                   struct vmr_import_sink *);
int vmr_import_parse_csv(struct vmr_import_in *, const struct vmr_import_options *,
                         struct vmr_import_sink *);
int vmr_import_parse_txt(struct vmr_import_in *, const struct vmr_import_options *,
                         struct vmr_import_sink *);
int vmr_import_parse_arc(struct vmr_import_in *, const struct vmr_import_options *,
                         struct vmr_import_sink *);
int vmr_import_parse_lirs(struct vmr_import_in *, const struct vmr_import_options *,
                          struct vmr_import_sink *);
int vmr_import_parse_din(struct vmr_import_in *, const struct vmr_import_options *,
                         struct vmr_import_sink *);
int vmr_import_parse_pinatrace(struct vmr_import_in *, const struct vmr_import_options *,
                               struct vmr_import_sink *);

#endif
