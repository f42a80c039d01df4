/*
 * input.c - the bytes of a foreign trace, whatever their compression.
 *
 * The source is a file or a memory buffer; gzip (1f 8b, possibly several
 * members, as `gzip -c a b` writes) and zstd (28 b5 2f fd, possibly several
 * frames) are undone on the fly, anything else is read as is. Offsets and
 * line numbers count decompressed bytes, which is what a user sees with
 * `zcat`. Memory is constant: one raw and one decompressed buffer and a line
 * buffer of at most MAX_LINE bytes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "internal.h"
#include "vec.h"

enum { RAW_BYTES = 1 << 16, OUT_BYTES = 1 << 18, MAX_LINE = 1 << 16 };
enum comp { COMP_NONE, COMP_GZIP, COMP_ZSTD };

struct vmr_import_in {
    char *name;
    FILE *fp; /* NULL for memory */
    const unsigned char *mem;
    size_t mem_size, mem_pos;
    enum comp comp;
    z_stream z;
    int z_ready;
    int z_member_done; /* the last gzip member ended exactly here */
    ZSTD_DCtx *zd;
    size_t zstd_hint; /* last ZSTD_decompressStream result: 0 at a frame end */
    unsigned char raw[RAW_BYTES];
    size_t raw_pos, raw_len;
    int raw_eof;
    unsigned char out[OUT_BYTES];
    size_t out_pos, out_len;
    int eof;
    uint64_t offset, lineno;
    char line[MAX_LINE + 1];
    char err[1024];
};

const char *vmr_import_in_name(const struct vmr_import_in *in)
{
    return in->name;
}
uint64_t vmr_import_in_lineno(const struct vmr_import_in *in)
{
    return in->lineno;
}
uint64_t vmr_import_in_offset(const struct vmr_import_in *in)
{
    return in->offset;
}
const char *vmr_import_in_error(const struct vmr_import_in *in)
{
    return in->err;
}

int vmr_import_in_fail_line(struct vmr_import_in *in, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(in->err, sizeof in->err, "%s:%llu: %s", in->name, (unsigned long long)in->lineno, msg);
    return VMR_EFORMAT;
}

int vmr_import_in_fail_byte(struct vmr_import_in *in, uint64_t offset, int code, const char *fmt,
                            ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(in->err, sizeof in->err, "%s: byte %llu: %s", in->name, (unsigned long long)offset,
             msg);
    return code;
}

/* Refills raw[] from the source; sets raw_eof at its end. */
static int raw_fill(struct vmr_import_in *in)
{
    if (in->raw_pos < in->raw_len || in->raw_eof)
        return 0;
    size_t n;
    if (in->fp) {
        n = fread(in->raw, 1, RAW_BYTES, in->fp);
        if (n < RAW_BYTES && ferror(in->fp)) {
            snprintf(in->err, sizeof in->err, "%s: read error: %s", in->name, strerror(errno));
            return VMR_EIO;
        }
    } else {
        n = in->mem_size - in->mem_pos;
        if (n > RAW_BYTES)
            n = RAW_BYTES;
        memcpy(in->raw, in->mem + in->mem_pos, n);
        in->mem_pos += n;
    }
    in->raw_pos = 0;
    in->raw_len = n;
    if (n == 0)
        in->raw_eof = 1;
    return 0;
}

static int fill_gzip(struct vmr_import_in *in)
{
    while (in->out_len == 0) {
        int rc = raw_fill(in);
        if (rc)
            return rc;
        if (in->raw_eof && in->raw_pos == in->raw_len) {
            if (!in->z_member_done)
                return vmr_import_in_fail_byte(in, in->offset, VMR_ETRUNCATED,
                                               "gzip data ends in the middle of a stream");
            in->eof = 1;
            return 0;
        }
        if (in->z_member_done) { /* another member follows */
            inflateReset(&in->z);
            in->z_member_done = 0;
        }
        in->z.next_in = in->raw + in->raw_pos;
        in->z.avail_in = (uInt)(in->raw_len - in->raw_pos);
        in->z.next_out = in->out;
        in->z.avail_out = OUT_BYTES;
        rc = inflate(&in->z, Z_NO_FLUSH);
        in->raw_pos = in->raw_len - in->z.avail_in;
        in->out_len = OUT_BYTES - in->z.avail_out;
        if (rc == Z_STREAM_END)
            in->z_member_done = 1;
        else if (rc != Z_OK && !(rc == Z_BUF_ERROR && in->out_len == 0 && in->z.avail_in == 0))
            return vmr_import_in_fail_byte(in, in->offset + in->out_len, VMR_EFORMAT,
                                           "corrupt gzip data (%s)",
                                           in->z.msg ? in->z.msg : "inflate failed");
    }
    return 0;
}

static int fill_zstd(struct vmr_import_in *in)
{
    while (in->out_len == 0) {
        int rc = raw_fill(in);
        if (rc)
            return rc;
        if (in->raw_eof && in->raw_pos == in->raw_len) {
            if (in->zstd_hint != 0)
                return vmr_import_in_fail_byte(in, in->offset, VMR_ETRUNCATED,
                                               "zstd data ends in the middle of a frame");
            in->eof = 1;
            return 0;
        }
        ZSTD_inBuffer ib = {in->raw, in->raw_len, in->raw_pos};
        ZSTD_outBuffer ob = {in->out, OUT_BYTES, 0};
        size_t r = ZSTD_decompressStream(in->zd, &ob, &ib);
        if (ZSTD_isError(r))
            return vmr_import_in_fail_byte(in, in->offset, VMR_EFORMAT, "corrupt zstd data (%s)",
                                           ZSTD_getErrorName(r));
        in->zstd_hint = r;
        in->raw_pos = ib.pos;
        in->out_len = ob.pos;
    }
    return 0;
}

/* Makes out[] non-empty, or sets eof. */
static int fill(struct vmr_import_in *in)
{
    if (in->out_pos < in->out_len || in->eof)
        return 0;
    in->out_pos = in->out_len = 0;
    int rc;
    switch (in->comp) {
    case COMP_GZIP:
        return fill_gzip(in);
    case COMP_ZSTD:
        return fill_zstd(in);
    default:
        if ((rc = raw_fill(in)) != 0)
            return rc;
        if (in->raw_eof) {
            in->eof = 1;
            return 0;
        }
        memcpy(in->out, in->raw + in->raw_pos, in->raw_len - in->raw_pos);
        in->out_len = in->raw_len - in->raw_pos;
        in->raw_pos = in->raw_len;
        return 0;
    }
}

/* Looks at the first bytes to choose the decompressor, and sets it up. */
static int start(struct vmr_import_in *in)
{
    int rc = raw_fill(in);
    if (rc)
        return rc;
    /* a magic split across a 64 KiB read cannot happen: raw_fill reads a
     * full buffer unless the input is shorter */
    const unsigned char *p = in->raw;
    size_t n = in->raw_len;
    in->comp = COMP_NONE;
    if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
        in->comp = COMP_GZIP;
    else if (n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd)
        in->comp = COMP_ZSTD;
    if (in->comp == COMP_GZIP) {
        if (in->z_ready)
            inflateEnd(&in->z);
        memset(&in->z, 0, sizeof in->z);
        if (inflateInit2(&in->z, 15 + 16) != Z_OK) {
            snprintf(in->err, sizeof in->err, "%s: cannot start gzip decoding", in->name);
            return VMR_ENOMEM;
        }
        in->z_ready = 1;
        in->z_member_done = 0;
    } else if (in->comp == COMP_ZSTD) {
        if (!in->zd && !(in->zd = ZSTD_createDCtx())) {
            snprintf(in->err, sizeof in->err, "%s: out of memory", in->name);
            return VMR_ENOMEM;
        }
        ZSTD_DCtx_reset(in->zd, ZSTD_reset_session_only);
        in->zstd_hint = 0;
    }
    return 0;
}

static struct vmr_import_in *alloc_in(const char *name)
{
    struct vmr_import_in *in = calloc(1, sizeof *in);
    if (!in)
        return NULL;
    if (!(in->name = vmr_strdup(name))) {
        free(in);
        return NULL;
    }
    return in;
}

int vmr_import_in_open_file(struct vmr_import_in **out, const char *path, char *errbuf,
                            size_t errbuf_len)
{
    *out = NULL;
    struct vmr_import_in *in = alloc_in(path);
    if (!in) {
        vmr_errf(errbuf, errbuf_len, "%s: out of memory", path);
        return VMR_ENOMEM;
    }
    if (!(in->fp = fopen(path, "rb"))) {
        vmr_errf(errbuf, errbuf_len, "%s: %s", path, strerror(errno));
        vmr_import_in_destroy(in);
        return errno == ENOENT ? VMR_ENOTFOUND : VMR_EIO;
    }
    int rc = start(in);
    if (rc) {
        vmr_errf(errbuf, errbuf_len, "%s", in->err);
        vmr_import_in_destroy(in);
        return rc;
    }
    *out = in;
    return 0;
}

int vmr_import_in_open_memory(struct vmr_import_in **out, const void *data, size_t size,
                              const char *name, char *errbuf, size_t errbuf_len)
{
    *out = NULL;
    struct vmr_import_in *in = alloc_in(name);
    if (!in) {
        vmr_errf(errbuf, errbuf_len, "%s: out of memory", name);
        return VMR_ENOMEM;
    }
    in->mem = data;
    in->mem_size = size;
    int rc = start(in);
    if (rc) {
        vmr_errf(errbuf, errbuf_len, "%s", in->err);
        vmr_import_in_destroy(in);
        return rc;
    }
    *out = in;
    return 0;
}

void vmr_import_in_destroy(struct vmr_import_in *in)
{
    if (!in)
        return;
    if (in->fp)
        fclose(in->fp);
    if (in->z_ready)
        inflateEnd(&in->z);
    ZSTD_freeDCtx(in->zd);
    free(in->name);
    free(in);
}

int vmr_import_in_rewind(struct vmr_import_in *in)
{
    if (in->fp) {
        if (fseek(in->fp, 0, SEEK_SET) != 0) {
            snprintf(in->err, sizeof in->err, "%s: cannot read it twice (not a regular file?)",
                     in->name);
            return VMR_EIO;
        }
        clearerr(in->fp);
    }
    in->mem_pos = 0;
    in->raw_pos = in->raw_len = 0;
    in->raw_eof = 0;
    in->out_pos = in->out_len = 0;
    in->eof = 0;
    in->offset = in->lineno = 0;
    return start(in);
}

int vmr_import_in_read(struct vmr_import_in *in, void *buf, size_t n, size_t *got)
{
    unsigned char *dst = buf;
    size_t done = 0;
    while (done < n) {
        int rc = fill(in);
        if (rc)
            return rc;
        if (in->eof)
            break;
        size_t k = in->out_len - in->out_pos;
        if (k > n - done)
            k = n - done;
        memcpy(dst + done, in->out + in->out_pos, k);
        in->out_pos += k;
        done += k;
    }
    in->offset += done;
    *got = done;
    return 0;
}

int vmr_import_in_getline(struct vmr_import_in *in, char **line, size_t *len)
{
    size_t n = 0;
    int any = 0;
    for (;;) {
        int rc = fill(in);
        if (rc)
            return rc;
        if (in->eof)
            break;
        any = 1;
        const unsigned char *p = in->out + in->out_pos;
        size_t avail = in->out_len - in->out_pos;
        const unsigned char *nl = memchr(p, '\n', avail);
        size_t k = nl ? (size_t)(nl - p) : avail;
        if (n + k > MAX_LINE) {
            in->lineno++;
            return vmr_import_in_fail_line(in, "line longer than %d bytes", MAX_LINE);
        }
        memcpy(in->line + n, p, k);
        n += k;
        in->out_pos += k + (nl != NULL);
        in->offset += k + (nl != NULL);
        if (nl)
            break;
    }
    if (!any && n == 0)
        return 0;
    if (n > 0 && in->line[n - 1] == '\r')
        n--;
    in->line[n] = '\0';
    in->lineno++;
    if (memchr(in->line, '\0', n))
        return vmr_import_in_fail_line(in, "NUL byte in a text line");
    *line = in->line;
    *len = n;
    return 1;
}

size_t vmr_import_split(char *line, char **fields, size_t max)
{
    size_t n = 0;
    char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            return n;
        if (n == max)
            return n + 1;
        fields[n++] = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        if (*p)
            *p++ = '\0';
    }
}

int vmr_import_parse_hex(const char *s, size_t n, uint64_t *out)
{
    if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
        n -= 2;
    }
    if (n == 0 || n > 16)
        return n == 0 ? VMR_EFORMAT : VMR_ERANGE;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned c = (unsigned char)s[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return VMR_EFORMAT;
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}
