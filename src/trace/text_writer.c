/*
 * text_writer.c - writes the canonical text form (FORMAT.md section 3,
 * "Canonical text").
 *
 * Each record is formatted into `line` and written with one fwrite. Every
 * line written can be read back into the same record: what the text form
 * cannot say (an mmap with neither or both of private and shared, a file
 * mapping marked anon) is refused with VMR_EINVAL rather than printed.
 *
 * Files: `decl` is the reader's file table as it will stand after reading
 * what has been written so far; `pending` holds implicit declarations
 * (VMR_FILE_IMPLICIT), which are not printed. An exec of a pending file
 * prints its path when reading it back declares the same id implicitly
 * again; otherwise the file is printed as an explicit `file` line first
 * (losing only the implicit flag). An exec prints `fd=FID` when its path
 * would resolve to another file, or when the file was never declared.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "text.h"
#include "vec.h"

struct tw {
    struct text_files decl;
    struct text_files pending;
    char *line;
    size_t len, cap;
};

static int reserve(struct vmr_trace_writer *w, size_t more)
{
    struct tw *t = w->impl;
    if (t->cap - t->len >= more)
        return 0;
    if (vmr_grow((void **)&t->line, &t->cap, t->len + more, 1) != 0) {
        trace_errf(w->err, "%s: out of memory", w->name);
        return VMR_ENOMEM;
    }
    return 0;
}

/* The appenders below need room reserved by the caller. */
static void put_raw(struct tw *t, const char *s, size_t n)
{
    memcpy(t->line + t->len, s, n);
    t->len += n;
}

static void put_s(struct tw *t, const char *s)
{
    put_raw(t, s, strlen(s));
}

static void put_c(struct tw *t, char c)
{
    t->line[t->len++] = c;
}

static void put_u64(struct tw *t, uint64_t v)
{
    char tmp[20];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        t->line[t->len++] = tmp[--n];
}

static void put_hex(struct tw *t, uint64_t v)
{
    static const char digits[] = "0123456789abcdef";
    char tmp[16];
    int n = 0;
    do {
        tmp[n++] = digits[v & 15];
        v >>= 4;
    } while (v);
    put_raw(t, "0x", 2);
    while (n)
        t->line[t->len++] = tmp[--n];
}

/* Decimal with the largest of the units section 3 reads (K ... P) that
 * divides the value: 12288 -> 12K. (vmr_format_size would also use E,
 * which the text form does not read, and fractions.) */
static void put_size(struct tw *t, uint64_t v)
{
    static const char units[] = "KMGTP";
    int u = 0;
    while (v && (v & 1023) == 0 && u < 5) {
        v >>= 10;
        u++;
    }
    put_u64(t, v);
    if (u)
        put_c(t, units[u - 1]);
}

/* A string as a bare word when the reader would take it back unchanged,
 * else quoted. `fd=` starts a file reference where exec expects a path. */
static void put_string(struct tw *t, const char *s, int is_exec_path)
{
    static const char hex[] = "0123456789abcdef";
    int bare = *s && !(is_exec_path && strncmp(s, "fd=", 3) == 0);
    for (const unsigned char *p = (const unsigned char *)s; bare && *p; p++)
        if (*p <= ' ' || *p == 0x7f || *p == '"' || *p == '#' || *p == '\\')
            bare = 0;
    if (bare) {
        put_s(t, s);
        return;
    }
    put_c(t, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '\\':
            put_raw(t, "\\\\", 2);
            break;
        case '"':
            put_raw(t, "\\\"", 2);
            break;
        case '\n':
            put_raw(t, "\\n", 2);
            break;
        case '\t':
            put_raw(t, "\\t", 2);
            break;
        case '\r':
            put_raw(t, "\\r", 2);
            break;
        default:
            if (*p < ' ' || *p == 0x7f) {
                put_raw(t, "\\x", 2);
                put_c(t, hex[*p >> 4]);
                put_c(t, hex[*p & 15]);
            } else {
                put_c(t, (char)*p);
            }
        }
    }
    put_c(t, '"');
}

/* Room a string takes at most once quoted and escaped. */
static size_t string_room(const char *s)
{
    return 4 * strlen(s) + 3;
}

static void put_prot(struct tw *t, unsigned prot)
{
    put_c(t, prot & VMR_PROT_READ ? 'r' : '-');
    put_c(t, prot & VMR_PROT_WRITE ? 'w' : '-');
    put_c(t, prot & VMR_PROT_EXEC ? 'x' : '-');
}

static void put_flags(struct tw *t, unsigned flags, const struct text_flag *tab, size_t n)
{
    int first = 1;
    for (size_t i = 0; i < n; i++)
        if (flags & tab[i].bit) {
            if (!first)
                put_c(t, ',');
            put_s(t, tab[i].name);
            first = 0;
        }
    if (first)
        put_c(t, '-');
}

static void put_err(struct tw *t, int32_t err)
{
    if (err == 0)
        return;
    const char *name = text_errno_name((uint32_t)err);
    put_s(t, " err=");
    if (name)
        put_s(t, name);
    else
        put_u64(t, (uint64_t)err);
}

static void put_pid_addr(struct tw *t, const char *kind, const struct vmr_record *rec)
{
    put_s(t, kind);
    put_c(t, ' ');
    put_u64(t, rec->pid);
    put_c(t, ' ');
    put_hex(t, rec->addr);
}

static int flush_line(struct vmr_trace_writer *w)
{
    struct tw *t = w->impl;
    put_c(t, '\n');
    size_t n = t->len;
    t->len = 0;
    if (fwrite(t->line, 1, n, w->fp) != n) {
        trace_errf(w->err, "%s: write error: %s", w->name, strerror(errno));
        return VMR_EIO;
    }
    return 0;
}

static int write_file_line(struct vmr_trace_writer *w, uint32_t fid, const char *path,
                           uint64_t size)
{
    struct tw *t = w->impl;
    int rc = reserve(w, 64 + string_room(path));
    if (rc != 0)
        return rc;
    put_s(t, "file ");
    put_u64(t, fid);
    put_c(t, ' ');
    put_string(t, path, 0);
    if (size != VMR_FILE_SIZE_UNKNOWN) {
        put_s(t, " size=");
        put_size(t, size);
    }
    rc = flush_line(w);
    if (rc == 0 && text_files_declare(&t->decl, fid, path, strlen(path), size, 0) != 0) {
        trace_errf(w->err, "%s: out of memory", w->name);
        rc = VMR_ENOMEM;
    }
    return rc;
}

/* Prints a pending implicit file as an explicit declaration, for a record
 * that refers to it where an implicit one would not come back the same. */
static int materialize(struct vmr_trace_writer *w, uint32_t fid)
{
    struct tw *t = w->impl;
    const struct text_file *p = text_files_by_fid(&t->pending, fid);
    if (!p)
        return 0;
    int rc = write_file_line(w, fid, p->path, p->size);
    text_files_remove(&t->pending, fid);
    return rc;
}

static int put_exec(struct vmr_trace_writer *w, const struct vmr_record *rec)
{
    struct tw *t = w->impl;
    uint32_t fid = rec->arg;
    const struct text_file *p = text_files_by_fid(&t->pending, fid);
    int rc;
    if (p) {
        if (p->size == VMR_FILE_SIZE_UNKNOWN &&
            !text_files_by_path(&t->decl, p->path, strlen(p->path)) &&
            text_files_peek_implicit(&t->decl) == fid) {
            /* reading `exec PID PATH` back declares the same file again */
            if ((rc = reserve(w, 64 + string_room(p->path))) != 0)
                return rc;
            put_s(t, "exec ");
            put_u64(t, rec->pid);
            put_c(t, ' ');
            put_string(t, p->path, 1);
            if (rec->flags & VMR_EXEC_MAPPED)
                put_s(t, " mapped");
            put_err(t, rec->err);
            if (text_files_declare(&t->decl, fid, p->path, strlen(p->path), VMR_FILE_SIZE_UNKNOWN,
                                   VMR_FILE_IMPLICIT) != 0) {
                trace_errf(w->err, "%s: out of memory", w->name);
                return VMR_ENOMEM;
            }
            t->decl.next_implicit = fid - 1;
            text_files_remove(&t->pending, fid);
            return flush_line(w);
        }
        if ((rc = materialize(w, fid)) != 0)
            return rc;
    }
    const struct text_file *f = text_files_by_fid(&t->decl, fid);
    int by_path = f && text_files_by_path(&t->decl, f->path, strlen(f->path)) == f;
    if ((rc = reserve(w, 64 + (by_path ? string_room(f->path) : 0))) != 0)
        return rc;
    put_s(t, "exec ");
    put_u64(t, rec->pid);
    put_c(t, ' ');
    if (by_path) {
        put_string(t, f->path, 1);
    } else {
        put_s(t, "fd=");
        put_u64(t, fid);
    }
    if (rec->flags & VMR_EXEC_MAPPED)
        put_s(t, " mapped");
    put_err(t, rec->err);
    return flush_line(w);
}

static int tw_put(struct vmr_trace_writer *w, const struct vmr_record *rec)
{
    struct tw *t = w->impl;
    int rc;
    switch (rec->kind) {
    case VMR_REC_FILE:
        if (rec->flags & VMR_FILE_IMPLICIT) {
            if (text_files_declare(&t->pending, rec->arg, rec->str, strlen(rec->str), rec->off,
                                   rec->flags) != 0) {
                trace_errf(w->err, "%s: out of memory", w->name);
                return VMR_ENOMEM;
            }
            return 0;
        }
        text_files_remove(&t->pending, rec->arg);
        return write_file_line(w, rec->arg, rec->str, rec->off);
    case VMR_REC_EXEC:
        return put_exec(w, rec);
    case VMR_REC_MMAP: {
        unsigned ps = rec->flags & (VMR_MAP_PRIVATE | VMR_MAP_SHARED);
        if (ps == 0 || ps == (VMR_MAP_PRIVATE | VMR_MAP_SHARED) ||
            (rec->arg && (rec->flags & VMR_MAP_ANON))) {
            trace_errf(w->err,
                       "%s: mmap record: the text form needs exactly one of private and shared, "
                       "and no anon with a file",
                       w->name);
            return VMR_EINVAL;
        }
        if (rec->arg && (rc = materialize(w, rec->arg)) != 0)
            return rc;
        break;
    }
    default:
        break;
    }
    if ((rc = reserve(w, 256 + (rec->str ? string_room(rec->str) : 0))) != 0)
        return rc;
    const char *kind = vmr_rec_kind_name(rec->kind);
    switch (rec->kind) {
    case VMR_REC_READ:
    case VMR_REC_WRITE:
    case VMR_REC_FETCH:
        put_pid_addr(t, kind, rec);
        if (rec->size != 1) {
            put_c(t, ' ');
            put_u64(t, rec->size);
        }
        if (rec->count != 1) {
            put_s(t, " *");
            put_u64(t, rec->count);
        }
        break;
    case VMR_REC_MMAP:
        put_pid_addr(t, kind, rec);
        put_c(t, ' ');
        put_size(t, rec->len);
        put_c(t, ' ');
        put_prot(t, rec->prot);
        put_c(t, ' ');
        put_flags(t, rec->flags, text_mmap_flags, text_n_mmap_flags);
        if (rec->arg) {
            put_s(t, " fd=");
            put_u64(t, rec->arg);
        }
        if (rec->off) {
            put_s(t, " off=");
            put_size(t, rec->off);
        }
        put_err(t, rec->err);
        break;
    case VMR_REC_MUNMAP:
    case VMR_REC_MPROTECT:
    case VMR_REC_MADVISE:
    case VMR_REC_MSYNC:
        put_pid_addr(t, kind, rec);
        put_c(t, ' ');
        put_size(t, rec->len);
        if (rec->kind == VMR_REC_MPROTECT) {
            put_c(t, ' ');
            put_prot(t, rec->prot);
        } else if (rec->kind == VMR_REC_MADVISE) {
            const char *name = text_advice_name(rec->flags);
            put_c(t, ' ');
            if (name)
                put_s(t, name);
            else
                put_u64(t, rec->flags);
        } else if (rec->kind == VMR_REC_MSYNC && rec->flags) {
            put_c(t, ' ');
            put_flags(t, rec->flags, text_msync_flags, text_n_msync_flags);
        }
        put_err(t, rec->err);
        break;
    case VMR_REC_BRK:
        put_pid_addr(t, kind, rec);
        if (rec->off != rec->addr) {
            put_s(t, " result=");
            put_hex(t, rec->off);
        }
        break;
    case VMR_REC_FORK:
    case VMR_REC_THREAD:
        put_s(t, kind);
        put_c(t, ' ');
        put_u64(t, rec->pid);
        put_c(t, ' ');
        put_u64(t, rec->arg);
        break;
    case VMR_REC_EXIT:
        put_s(t, "exit ");
        put_u64(t, rec->pid);
        if (rec->arg) {
            put_s(t, " status=");
            put_u64(t, rec->arg);
        }
        break;
    case VMR_REC_MARK:
        put_s(t, "mark ");
        put_string(t, rec->str, 0);
        if (rec->pid) {
            put_s(t, " pid=");
            put_u64(t, rec->pid);
        }
        break;
    default:
        trace_errf(w->err, "%s: unknown record kind %u", w->name, (unsigned)rec->kind);
        return VMR_EINVAL;
    }
    return flush_line(w);
}

static int tw_finish(struct vmr_trace_writer *w)
{
    (void)w; /* nothing buffered beyond stdio's */
    return 0;
}

static void tw_destroy(struct vmr_trace_writer *w)
{
    struct tw *t = w->impl;
    if (!t)
        return;
    text_files_release(&t->decl);
    text_files_release(&t->pending);
    free(t->line);
    free(t);
    w->impl = NULL;
}

static const struct writer_ops tw_ops = {tw_put, tw_finish, tw_destroy};

static int write_header(struct vmr_trace_writer *w, const struct vmr_trace_header *hdr)
{
    struct tw *t = w->impl;
    int rc;
    if (hdr->page_size != TRACE_DEFAULT_PAGE_SIZE) {
        if ((rc = reserve(w, 64)) != 0)
            return rc;
        put_s(t, "pagesize ");
        put_size(t, hdr->page_size);
        if ((rc = flush_line(w)) != 0)
            return rc;
    }
    for (size_t i = 0; i < hdr->n_meta; i++) {
        const struct vmr_trace_meta *m = &hdr->meta[i];
        if ((rc = reserve(w, 16 + string_room(m->key) + string_room(m->value))) != 0)
            return rc;
        put_s(t, "meta ");
        put_string(t, m->key, 0);
        put_c(t, ' ');
        put_string(t, m->value, 0);
        if ((rc = flush_line(w)) != 0)
            return rc;
    }
    return 0;
}

int text_writer_init(struct vmr_trace_writer *w, const struct vmr_trace_header *hdr)
{
    struct tw *t = calloc(1, sizeof *t);
    w->impl = t;
    w->ops = &tw_ops;
    int ok = t != NULL;
    if (ok && text_files_init(&t->decl) != 0)
        ok = 0;
    if (ok && text_files_init(&t->pending) != 0)
        ok = 0;
    if (ok && vmr_grow((void **)&t->line, &t->cap, 4096, 1) != 0)
        ok = 0;
    if (!ok) {
        trace_errf(w->err, "%s: out of memory", w->name);
        tw_destroy(w);
        return VMR_ENOMEM;
    }
    if (w->own_fp)
        setvbuf(w->fp, NULL, _IOFBF, 1 << 16);
    int rc = write_header(w, hdr);
    if (rc != 0)
        tw_destroy(w);
    return rc;
}
