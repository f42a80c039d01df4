/*
 * records.c - what both trace forms share about records: kind names, the
 * validity rules of FORMAT.md section 1, and error formatting.
 *
 * trace_record_check is the one definition of a valid record: the writers
 * refuse what it refuses and the readers report it as malformed, so that
 * whatever a reader delivers can be written again in either form.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "vec.h"

const unsigned char trace_magic[8] = {0x89, 'V', 'M', 'T', '\r', '\n', 0x1a, '\n'};

static const char *const kind_names[VMR_REC_N_KINDS] = {
    "r",      "w",    "x",    "mmap", "munmap",  "mprotect", "brk",  "fork",
    "thread", "exec", "exit", "file", "madvise", "msync",    "mark",
};

const char *vmr_rec_kind_name(unsigned kind)
{
    return kind < VMR_REC_N_KINDS ? kind_names[kind] : "?";
}

void trace_errf(char *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, TRACE_ERR_LEN, fmt, ap);
    va_end(ap);
}

#define PROT_ALL (VMR_PROT_READ | VMR_PROT_WRITE | VMR_PROT_EXEC)
#define MS_ALL   (VMR_MS_ASYNC | VMR_MS_SYNC | VMR_MS_INVALIDATE)

static int check_string(const char *s, size_t min, const char *what, char *err, size_t len)
{
    if (!s) {
        vmr_errf(err, len, "%s missing", what);
        return VMR_EINVAL;
    }
    size_t n = strlen(s);
    if (n < min || n > TRACE_MAX_STRING) {
        vmr_errf(err, len, "%s of %zu bytes (must be %zu to %d)", what, n, min, TRACE_MAX_STRING);
        return VMR_EINVAL;
    }
    return 0;
}

int trace_record_check(const struct vmr_record *rec, char *err, size_t len)
{
    if (rec->kind >= VMR_REC_N_KINDS) {
        vmr_errf(err, len, "unknown record kind %u", rec->kind);
        return VMR_EINVAL;
    }
    if (rec->err < 0) {
        vmr_errf(err, len, "negative errno %d", (int)rec->err);
        return VMR_EINVAL;
    }
    switch (rec->kind) {
    case VMR_REC_READ:
    case VMR_REC_WRITE:
    case VMR_REC_FETCH:
        if (rec->size == 0 || rec->count == 0) {
            vmr_errf(err, len, "access with %s 0", rec->size == 0 ? "size" : "count");
            return VMR_EINVAL;
        }
        if (rec->addr + (rec->size - 1) < rec->addr) {
            vmr_errf(err, len,
                     "access at 0x%llx of %u bytes runs past the end of the address space",
                     (unsigned long long)rec->addr, (unsigned)rec->size);
            return VMR_ERANGE;
        }
        return 0;
    case VMR_REC_MMAP:
        if (rec->flags & ~VMR_MAP_KNOWN_FLAGS) {
            vmr_errf(err, len, "unknown mmap flags 0x%x", rec->flags & ~VMR_MAP_KNOWN_FLAGS);
            return VMR_EINVAL;
        }
        /* fallthrough */
    case VMR_REC_MPROTECT:
        if (rec->prot & ~PROT_ALL) {
            vmr_errf(err, len, "unknown protection bits 0x%x", rec->prot);
            return VMR_EINVAL;
        }
        return 0;
    case VMR_REC_MSYNC:
        if (rec->flags & ~MS_ALL) {
            vmr_errf(err, len, "unknown msync flags 0x%x", rec->flags);
            return VMR_EINVAL;
        }
        return 0;
    case VMR_REC_EXEC:
        if (rec->flags & ~VMR_EXEC_MAPPED) {
            vmr_errf(err, len, "unknown exec flags 0x%x", rec->flags & ~VMR_EXEC_MAPPED);
            return VMR_EINVAL;
        }
        return 0;
    case VMR_REC_FILE:
        if (rec->arg == VMR_FID_NONE) {
            vmr_errf(err, len, "file id 0 (file ids start at 1)");
            return VMR_EINVAL;
        }
        if (rec->flags & ~VMR_FILE_IMPLICIT) {
            vmr_errf(err, len, "unknown file flags 0x%x", rec->flags);
            return VMR_EINVAL;
        }
        return check_string(rec->str, 1, "file path", err, len);
    case VMR_REC_MARK:
        return check_string(rec->str, 0, "mark label", err, len);
    default:
        return 0;
    }
}

int trace_header_check(const struct vmr_trace_header *hdr, char *err, size_t len)
{
    uint32_t ps = hdr->page_size;
    if (ps == 0 || (ps & (ps - 1)) != 0 || ps > (1u << 30)) {
        vmr_errf(err, len, "page size %u is not a power of two from 1 to 1G", (unsigned)ps);
        return VMR_EINVAL;
    }
    if (hdr->n_meta > TRACE_MAX_META) {
        vmr_errf(err, len, "%zu metadata entries (at most %d)", hdr->n_meta, TRACE_MAX_META);
        return VMR_EINVAL;
    }
    for (size_t i = 0; i < hdr->n_meta; i++) {
        const char *k = hdr->meta[i].key, *v = hdr->meta[i].value;
        if (!k || !v || !*k || strlen(k) > TRACE_MAX_KEY || strlen(v) > TRACE_MAX_VALUE) {
            vmr_errf(err, len, "metadata entry %zu: key must be 1 to %d bytes, value at most %u", i,
                     TRACE_MAX_KEY, TRACE_MAX_VALUE);
            return VMR_EINVAL;
        }
    }
    return 0;
}
