/*
 * valgrind.c - the raw streams of our Valgrind tool (vgraw.h), one per
 * process, merged into one trace. This is the encoding half of
 * `vmreplay record`; the CLI runs Valgrind, then calls
 * vmr_import_valgrind_streams on the directory the tool wrote.
 *
 * Ordering rule (also in README.md): each process's records keep their own
 * order exactly. A stream is cut into segments at every system call the
 * process makes (recorded or not): a segment is the accesses since the
 * previous call plus the next one, and starts when the previous call
 * returned (or when the process started).
 * The merge repeatedly emits, whole, the segment that started earliest
 * among the processes that may run (ties: lower pid); a forked child may
 * run once its parent's fork record has been emitted, so a child never
 * appears before its fork.
 *
 * What is translated, and how:
 *   - a tool start with an image (the first program, and every successful
 *     execve) becomes `file` + `exec PID FID mapped`, one mmap per client
 *     segment Valgrind mapped (file segments private, the stack private,
 *     anon, growsdown, stack, with the reservation below it), and
 *     `brk PID 0 result=BREAK` for the initial break;
 *   - a failed execve becomes `exec PID FID err=ERRNO`;
 *   - mmap file descriptors are resolved through a per-process table kept
 *     from open/openat/close/dup/dup2/dup3/fcntl(F_DUPFD), copied at fork;
 *     a descriptor it does not know (inherited) is named "fd:N";
 *   - Valgrind's preload objects (paths containing "/vgpreload_") are not
 *     the program's: their mmaps, and accesses and mprotects inside them,
 *     are left out, and so are the segments of our tool itself (the page
 *     holding the signal-return trampoline);
 *   - mremap becomes munmap of the old range and an anonymous private mmap
 *     of the new one (the trace format has no mremap).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hashmap.h"
#include "vec.h"
#include "vgraw.h"
#include "vmreplay/import.h"

enum { MAX_STR = 4096 };

struct range {
    uint64_t start, end;
};

struct fdent {
    int fd;
    char *path;
};

enum { STREAM_BUF = 1 << 16 };

struct stream {
    uint32_t pid;
    FILE *fp;
    unsigned char *buf; /* read buffer: bytes [pos, len) not yet decoded */
    size_t pos, len;
    char *name;
    int active, done, started;
    uint64_t seg_time;
    uint64_t prev_addr, prev_size;
    uint32_t tid;
    char *pending_exec; /* path of an execve in flight */
    struct fdent *fds;
    size_t n_fds, cap_fds;
    struct range *hidden; /* Valgrind's preload areas */
    size_t n_hidden, cap_hidden;
};

struct merge {
    struct stream *s;
    size_t n, cap;
    struct vmr_trace_writer *w;
    struct vmr_hashmap by_pid; /* pid -> index + 1 */
    /* files declared: path -> fid, with the size declared */
    char **paths;
    uint64_t *sizes;
    size_t n_files, cap_files, cap_sizes;
    unsigned page_shift;
    struct vmr_import_valgrind_stats *st;
    char *err;
    size_t err_len;
};

/* ---- reading a stream ------------------------------------------------------ */

/* Next byte of the stream, or EOF. */
static int get_byte(struct stream *s)
{
    if (s->pos == s->len) {
        s->pos = 0;
        s->len = fread(s->buf, 1, STREAM_BUF, s->fp);
        if (s->len == 0)
            return EOF;
    }
    return s->buf[s->pos++];
}

/* Returns 1 with *v, -1 at a truncated end. */
static int get_varint(struct stream *s, uint64_t *v)
{
    if (s->len - s->pos >= 10) { /* fast path: the whole varint is buffered */
        const unsigned char *p = s->buf + s->pos;
        uint64_t x = 0;
        for (int i = 0; i < 10; i++) {
            x |= (uint64_t)(p[i] & 0x7f) << (7 * i);
            if (!(p[i] & 0x80)) {
                s->pos += (size_t)i + 1;
                *v = x;
                return 1;
            }
        }
        return -1;
    }
    uint64_t x = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        int c = get_byte(s);
        if (c == EOF)
            return -1;
        x |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *v = x;
            return 1;
        }
    }
    return -1;
}

static int get_string(struct stream *s, char *out)
{
    uint64_t n;
    if (get_varint(s, &n) != 1 || n > MAX_STR)
        return -1;
    for (uint64_t i = 0; i < n; i++) {
        int c = get_byte(s);
        if (c == EOF)
            return -1;
        out[i] = (char)c;
    }
    out[n] = '\0';
    return memchr(out, '\0', (size_t)n) ? -1 : 1;
}

static int fail(struct merge *m, int code, const char *fmt, const char *a)
    __attribute__((format(printf, 3, 0)));
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static int fail(struct merge *m, int code, const char *fmt, const char *a)
{
    vmr_errf(m->err, m->err_len, fmt, a);
    return code;
}
#pragma GCC diagnostic pop

static int put(struct merge *m, const struct vmr_record *rec)
{
    int rc = vmr_trace_writer_put(m->w, rec);
    if (rc)
        vmr_errf(m->err, m->err_len, "%s", vmr_trace_writer_error(m->w));
    return rc;
}

/* ---- files and descriptors --------------------------------------------------- */

/* The fid of path, declaring it (again, if its size changed). */
static int file_id(struct merge *m, const char *path, uint64_t size, uint32_t *fid)
{
    size_t i;
    for (i = 0; i < m->n_files; i++)
        if (strcmp(m->paths[i], path) == 0)
            break;
    if (i < m->n_files && (m->sizes[i] == size || size == VMR_FILE_SIZE_UNKNOWN)) {
        *fid = (uint32_t)(i + 1);
        return 0;
    }
    if (i == m->n_files) {
        if (vmr_grow((void **)&m->paths, &m->cap_files, i + 1, sizeof *m->paths) ||
            vmr_grow((void **)&m->sizes, &m->cap_sizes, i + 1, sizeof *m->sizes) ||
            !(m->paths[i] = vmr_strdup(path)))
            return fail(m, VMR_ENOMEM, "%s", "out of memory");
        m->n_files++;
    }
    m->sizes[i] = size;
    *fid = (uint32_t)(i + 1);
    struct vmr_record rec = {.kind = VMR_REC_FILE, .arg = *fid, .off = size, .str = path};
    return put(m, &rec);
}

static uint64_t stat_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size
                                                       : VMR_FILE_SIZE_UNKNOWN;
}

static struct fdent *fd_find(struct stream *s, int fd)
{
    for (size_t i = 0; i < s->n_fds; i++)
        if (s->fds[i].fd == fd)
            return &s->fds[i];
    return NULL;
}

static void fd_close(struct stream *s, int fd)
{
    struct fdent *e = fd_find(s, fd);
    if (e) {
        free(e->path);
        *e = s->fds[--s->n_fds];
    }
}

static int fd_assign(struct stream *s, int fd, const char *path)
{
    fd_close(s, fd);
    if (vmr_grow((void **)&s->fds, &s->cap_fds, s->n_fds + 1, sizeof *s->fds))
        return VMR_ENOMEM;
    char *p = vmr_strdup(path);
    if (!p)
        return VMR_ENOMEM;
    s->fds[s->n_fds].fd = fd;
    s->fds[s->n_fds++].path = p;
    return 0;
}

/* Valgrind's own objects in the client's address space: its preload
 * libraries, and the page of our tool holding the signal-return trampoline. */
static int is_hidden_path(const char *path)
{
    return strstr(path, "/vgpreload_") != NULL || strstr(path, "/vmrtrace-amd64-linux") != NULL;
}

static int hidden(const struct stream *s, uint64_t addr)
{
    for (size_t i = 0; i < s->n_hidden; i++)
        if (addr >= s->hidden[i].start && addr < s->hidden[i].end)
            return 1;
    return 0;
}

static int hide(struct stream *s, uint64_t start, uint64_t len)
{
    if (vmr_grow((void **)&s->hidden, &s->cap_hidden, s->n_hidden + 1, sizeof *s->hidden))
        return VMR_ENOMEM;
    s->hidden[s->n_hidden].start = start;
    s->hidden[s->n_hidden++].end = start + len;
    return 0;
}

/* ---- translation of events ---------------------------------------------------- */

static uint64_t page_up(const struct merge *m, uint64_t len)
{
    uint64_t mask = ((uint64_t)1 << m->page_shift) - 1;
    return len > UINT64_MAX - mask ? len : (len + mask) & ~mask;
}

static uint16_t linux_map_flags(uint64_t f)
{
    uint16_t v = 0;
    if ((f & 3) == 2)
        v |= VMR_MAP_PRIVATE;
    else
        v |= VMR_MAP_SHARED; /* MAP_SHARED, MAP_SHARED_VALIDATE */
    if (f & 0x10)
        v |= VMR_MAP_FIXED;
    if (f & 0x20)
        v |= VMR_MAP_ANON;
    if (f & 0x100)
        v |= VMR_MAP_GROWSDOWN;
    if (f & 0x4000)
        v |= VMR_MAP_NORESERVE;
    if (f & 0x8000)
        v |= VMR_MAP_POPULATE;
    if (f & 0x20000)
        v |= VMR_MAP_STACK;
    if (f & 0x100000)
        v |= VMR_MAP_FIXED_NOREPLACE;
    return v;
}

static struct stream *stream_of(struct merge *m, uint32_t pid)
{
    uint64_t *v = vmr_hashmap_find(&m->by_pid, pid);
    return v ? &m->s[*v - 1] : NULL;
}

/* A child's stream may run from now on; it inherits the parent's fds. */
static int start_child(struct merge *m, struct stream *parent, uint32_t child, uint64_t t)
{
    struct stream *c = stream_of(m, child);
    if (!c)
        return 0; /* not traced (or it wrote nothing) */
    c->active = 1;
    c->seg_time = t > c->seg_time ? t : c->seg_time;
    for (size_t i = 0; i < parent->n_fds; i++)
        if (fd_assign(c, parent->fds[i].fd, parent->fds[i].path))
            return fail(m, VMR_ENOMEM, "%s", "out of memory");
    for (size_t i = 0; i < parent->n_hidden; i++)
        if (hide(c, parent->hidden[i].start, parent->hidden[i].end - parent->hidden[i].start))
            return fail(m, VMR_ENOMEM, "%s", "out of memory");
    return 0;
}

#define GETV(x)                                                                                    \
    do {                                                                                           \
        if (get_varint(s, &(x)) != 1)                                                              \
            return 1;                                                                              \
    } while (0)

/* The image after a tool start: segments up to RAW_IMAGE_END. Returns 0, 1
 * for a truncated stream, or VMR_E*. */
static int read_image(struct merge *m, struct stream *s, const char *exe)
{
    static char path[MAX_STR + 1];
    uint32_t fid;
    const char *prog = s->pending_exec ? s->pending_exec : exe;
    char real[PATH_MAX];
    if (realpath(prog, real)) /* the name Valgrind gives the program's segments */
        prog = real;
    int rc = file_id(m, prog, stat_size(prog), &fid);
    if (rc)
        return rc;
    struct vmr_record ex = {
        .kind = VMR_REC_EXEC, .pid = s->pid, .arg = fid, .flags = VMR_EXEC_MAPPED};
    if ((rc = put(m, &ex)) != 0)
        return rc;
    free(s->pending_exec);
    s->pending_exec = NULL;
    s->n_hidden = 0;
    m->st->n_execs++;
    for (;;) {
        int tag = get_byte(s);
        uint64_t t, tid, start, len, prot, kind, off;
        if (tag == EOF)
            return 1;
        GETV(t);
        GETV(tid);
        if (tag == (0x80 | RAW_IMAGE_END)) {
            uint64_t brk;
            GETV(brk);
            if (brk) {
                struct vmr_record b = {.kind = VMR_REC_BRK, .pid = s->pid, .off = brk};
                if ((rc = put(m, &b)) != 0)
                    return rc;
            }
            s->seg_time = t;
            return 0;
        }
        if (tag != (0x80 | RAW_SEG))
            return fail(m, VMR_EFORMAT, "%s: unexpected record in the initial image", s->name);
        GETV(start);
        GETV(len);
        GETV(prot);
        GETV(kind);
        GETV(off);
        if (get_string(s, path) != 1)
            return 1;
        struct vmr_record mm = {.kind = VMR_REC_MMAP,
                                .pid = s->pid,
                                .addr = start,
                                .len = len,
                                .prot = (uint8_t)(prot & 7),
                                .flags = VMR_MAP_PRIVATE | VMR_MAP_ANON};
        if (kind == 1 && is_hidden_path(path)) {
            if (hide(s, start, len))
                return fail(m, VMR_ENOMEM, "%s", "out of memory");
            continue;
        }
        if (kind == 1) {
            if ((rc = file_id(m, path, stat_size(path), &fid)) != 0)
                return rc;
            mm.flags = VMR_MAP_PRIVATE;
            mm.arg = fid;
            mm.off = off;
        } else if (kind == 2) {
            mm.flags |= VMR_MAP_GROWSDOWN | VMR_MAP_STACK;
        }
        if ((rc = put(m, &mm)) != 0)
            return rc;
    }
}

/* Handles one event (tag read). Returns 0, 1 at a truncated end, or VMR_E*. */
static int do_event(struct merge *m, struct stream *s, unsigned code)
{
    static char str[MAX_STR + 1];
    uint64_t t, tid, a[8];
    int rc = 0;
    GETV(t);
    GETV(tid);
    struct vmr_record rec = {.pid = s->tid};
    switch (code) {
    case RAW_START:
        GETV(a[0]);
        GETV(a[1]);
        GETV(a[2]);
        if (get_string(s, str) != 1)
            return 1;
        if (a[0] != VGRAW_VERSION)
            return fail(m, VMR_EVERSION, "%s: raw stream of another tool version", s->name);
        s->tid = s->pid;
        s->started = 1;
        s->prev_addr = 0;
        s->prev_size = 1;
        if (str[0] == '\0') /* a forked child: its image is the parent's */
            break;
        rc = read_image(m, s, str);
        break;
    case RAW_THREAD:
        s->tid = (uint32_t)tid;
        break;
    case RAW_TICK:
        break;
    case RAW_MMAP: {
        for (int i = 0; i < 8; i++)
            GETV(a[i]);
        rec.kind = VMR_REC_MMAP;
        rec.addr = a[0];
        rec.len = page_up(m, a[1]);
        rec.prot = (uint8_t)(a[2] & 7);
        rec.flags = linux_map_flags(a[3]);
        rec.err = (int32_t)(a[6] & 0x7fffffff);
        if (!(rec.flags & VMR_MAP_ANON)) {
            int fd = (int)a[4] - 1;
            struct fdent *e = fd_find(s, fd);
            char name[32];
            const char *path = e ? e->path : name;
            snprintf(name, sizeof name, "fd:%d", fd);
            if (is_hidden_path(path)) {
                if (!rec.err && hide(s, rec.addr, rec.len))
                    return fail(m, VMR_ENOMEM, "%s", "out of memory");
                return 0;
            }
            if (!rec.err) {
                uint32_t fid;
                if ((rc = file_id(m, path, a[7] ? a[7] - 1 : VMR_FILE_SIZE_UNKNOWN, &fid)) != 0)
                    return rc;
                rec.arg = fid;
                rec.off = a[5];
            } else {
                rec.flags |= VMR_MAP_ANON; /* a failed call maps nothing */
                rec.flags &= (uint16_t)~VMR_MAP_SHARED;
                rec.flags |= VMR_MAP_PRIVATE;
            }
        }
        rc = put(m, &rec);
        break;
    }
    case RAW_MUNMAP:
    case RAW_MPROTECT:
    case RAW_MADVISE:
    case RAW_MSYNC: {
        int n = code == RAW_MUNMAP ? 3 : 4;
        for (int i = 0; i < n; i++)
            GETV(a[i]);
        if (hidden(s, a[0]))
            return 0;
        rec.addr = a[0];
        rec.len = page_up(m, a[1]);
        rec.err = (int32_t)(a[n - 1] & 0x7fffffff);
        if (code == RAW_MUNMAP) {
            rec.kind = VMR_REC_MUNMAP;
        } else if (code == RAW_MPROTECT) {
            rec.kind = VMR_REC_MPROTECT;
            rec.prot = (uint8_t)(a[2] & 7);
        } else if (code == RAW_MADVISE) {
            rec.kind = VMR_REC_MADVISE;
            rec.flags = (uint16_t)(a[2] > 0xffff ? 0xffff : a[2]);
        } else {
            rec.kind = VMR_REC_MSYNC;
            rec.flags =
                (uint16_t)(((a[2] & 1) ? VMR_MS_ASYNC : 0) | ((a[2] & 4) ? VMR_MS_SYNC : 0) |
                           ((a[2] & 2) ? VMR_MS_INVALIDATE : 0));
        }
        rc = put(m, &rec);
        break;
    }
    case RAW_MREMAP:
        for (int i = 0; i < 5; i++)
            GETV(a[i]);
        if (a[4] || hidden(s, a[0]))
            return 0;
        rec.kind = VMR_REC_MUNMAP;
        rec.addr = a[0];
        rec.len = page_up(m, a[1]);
        if ((rc = put(m, &rec)) != 0)
            return rc;
        rec.kind = VMR_REC_MMAP;
        rec.addr = a[2];
        rec.len = page_up(m, a[3]);
        rec.prot = VMR_PROT_READ | VMR_PROT_WRITE;
        rec.flags = VMR_MAP_PRIVATE | VMR_MAP_ANON;
        rc = put(m, &rec);
        break;
    case RAW_BRK:
        GETV(a[0]);
        GETV(a[1]);
        rec.kind = VMR_REC_BRK;
        rec.addr = a[0];
        rec.off = a[1];
        rc = put(m, &rec);
        break;
    case RAW_OPEN:
        GETV(a[0]);
        if (get_string(s, str) != 1)
            return 1;
        if (fd_assign(s, (int)a[0], str))
            return fail(m, VMR_ENOMEM, "%s", "out of memory");
        break;
    case RAW_CLOSE:
        GETV(a[0]);
        fd_close(s, (int)a[0]);
        break;
    case RAW_DUP: {
        GETV(a[0]);
        GETV(a[1]);
        struct fdent *e = fd_find(s, (int)a[0]);
        if (!e) {
            fd_close(s, (int)a[1]);
        } else {
            char *p = vmr_strdup(e->path);
            if (!p || fd_assign(s, (int)a[1], p)) {
                free(p);
                return fail(m, VMR_ENOMEM, "%s", "out of memory");
            }
            free(p);
        }
        break;
    }
    case RAW_FORK:
    case RAW_CLONE_THREAD:
        GETV(a[0]);
        rec.kind = code == RAW_FORK ? VMR_REC_FORK : VMR_REC_THREAD;
        rec.arg = (uint32_t)a[0];
        if ((rc = put(m, &rec)) != 0)
            return rc;
        if (code == RAW_FORK)
            rc = start_child(m, s, (uint32_t)a[0], t);
        else
            m->st->n_threads++;
        break;
    case RAW_EXEC:
        if (get_string(s, str) != 1)
            return 1;
        free(s->pending_exec);
        if (!(s->pending_exec = vmr_strdup(str)))
            return fail(m, VMR_ENOMEM, "%s", "out of memory");
        break;
    case RAW_EXEC_FAIL: {
        GETV(a[0]);
        uint32_t fid;
        const char *prog = s->pending_exec ? s->pending_exec : "?";
        if ((rc = file_id(m, prog, stat_size(prog), &fid)) != 0)
            return rc;
        rec.kind = VMR_REC_EXEC;
        rec.pid = s->pid;
        rec.arg = fid;
        rec.err = (int32_t)(a[0] ? a[0] & 0x7fffffff : 1);
        free(s->pending_exec);
        s->pending_exec = NULL;
        rc = put(m, &rec);
        break;
    }
    case RAW_EXIT:
        GETV(a[0]);
        GETV(a[1]);
        rec.kind = VMR_REC_EXIT;
        rec.pid = a[1] ? s->pid : (uint32_t)tid;
        rec.arg = (uint32_t)a[0];
        rc = put(m, &rec);
        break;
    case RAW_MARK:
        if (get_string(s, str) != 1)
            return 1;
        rec.kind = VMR_REC_MARK;
        rec.str = str;
        m->st->n_marks++;
        rc = put(m, &rec);
        break;
    default:
        return fail(m, VMR_EFORMAT, "%s: unknown raw event", s->name);
    }
    if (rc == 0)
        s->seg_time = t;
    return rc;
}

static int run_segment_open(struct merge *m, struct stream *s)
{
    struct vmr_record rec = {0};
    for (;;) {
        int tag = get_byte(s);
        if (tag == EOF) {
            s->done = 1;
            return 0;
        }
        if (tag & 0x80) {
            int rc = do_event(m, s, (unsigned)tag & 0x7f);
            if (rc == 1) { /* truncated: the process was killed mid-write */
                m->st->truncated_streams++;
                s->done = 1;
                return 0;
            }
            return rc;
        }
        uint64_t size = s->prev_size, count = 1, zz;
        if ((tag & 4) && get_varint(s, &size) != 1)
            goto truncated;
        if ((tag & 8) && get_varint(s, &count) != 1)
            goto truncated;
        if (get_varint(s, &zz) != 1)
            goto truncated;
        uint64_t addr = s->prev_addr + ((zz >> 1) ^ (0 - (zz & 1)));
        s->prev_addr = addr;
        s->prev_size = size;
        if ((tag & 3) == 3 || size == 0 || size > UINT32_MAX || count == 0 || count > UINT32_MAX)
            return fail(m, VMR_EFORMAT, "%s: malformed access", s->name);
        if (addr + (size - 1) < addr || (s->n_hidden && hidden(s, addr))) {
            m->st->n_dropped += count;
            continue;
        }
        rec.kind = (uint8_t)(tag & 3);
        rec.pid = s->tid;
        rec.addr = addr;
        rec.size = (uint32_t)size;
        rec.count = (uint32_t)count;
        m->st->n_accesses += count;
        int rc = vmr_trace_writer_put(m->w, &rec);
        if (rc)
            return fail(m, rc, "%s", vmr_trace_writer_error(m->w));
    }
truncated:
    m->st->truncated_streams++;
    s->done = 1;
    return 0;
}

/* Emits one segment of s: accesses up to and including the next event. */
static int run_segment(struct merge *m, struct stream *s)
{
    if (!s->fp) { /* opened when it first runs, closed when done: only the
                   * processes alive together hold a descriptor */
        if (!(s->buf = malloc(STREAM_BUF)))
            return fail(m, VMR_ENOMEM, "%s", "out of memory");
        if (!(s->fp = fopen(s->name, "rb")))
            return fail(m, VMR_EIO, "%s: cannot open", s->name);
    }
    int rc = run_segment_open(m, s);
    if (s->done) {
        fclose(s->fp);
        s->fp = NULL;
        free(s->buf);
        s->buf = NULL;
    }
    return rc;
}

static int open_streams(struct merge *m, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return fail(m, VMR_EIO, "%s: cannot read the tool's output directory", dir);
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d)) != NULL && rc == 0) {
        char *end;
        unsigned long pid = strtoul(de->d_name, &end, 10);
        if (end == de->d_name || strcmp(end, ".raw") != 0 || pid == 0 || pid > UINT32_MAX)
            continue;
        if (vmr_grow((void **)&m->s, &m->cap, m->n + 1, sizeof *m->s)) {
            rc = fail(m, VMR_ENOMEM, "%s", "out of memory");
            break;
        }
        struct stream *s = &m->s[m->n];
        memset(s, 0, sizeof *s);
        s->pid = (uint32_t)pid;
        s->prev_size = 1;
        size_t l = strlen(dir) + strlen(de->d_name) + 2;
        if (!(s->name = malloc(l))) {
            rc = fail(m, VMR_ENOMEM, "%s", "out of memory");
            break;
        }
        snprintf(s->name, l, "%s/%s", dir, de->d_name);
        m->n++;
        if (vmr_hashmap_put(&m->by_pid, pid, m->n))
            rc = fail(m, VMR_ENOMEM, "%s", "out of memory");
        struct stat st;
        if (stat(s->name, &st) == 0)
            m->st->raw_bytes += (uint64_t)st.st_size;
    }
    closedir(d);
    return rc;
}

int vmr_import_valgrind_streams(const char *dir, uint32_t root_pid, uint32_t page_size,
                                struct vmr_trace_writer *w, struct vmr_import_valgrind_stats *stats,
                                char *errbuf, size_t errbuf_len)
{
    struct merge m;
    memset(&m, 0, sizeof m);
    memset(stats, 0, sizeof *stats);
    m.w = w;
    m.st = stats;
    m.err = errbuf;
    m.err_len = errbuf_len;
    while (((uint64_t)1 << m.page_shift) < page_size)
        m.page_shift++;
    int rc = vmr_hashmap_init(&m.by_pid, 16);
    if (rc == 0)
        rc = open_streams(&m, dir);
    struct stream *root = rc == 0 ? stream_of(&m, root_pid) : NULL;
    if (rc == 0 && !root)
        rc =
            fail(&m, VMR_ENOTFOUND, "%s: the program wrote no trace (did Valgrind start it?)", dir);
    if (rc == 0)
        root->active = 1;
    while (rc == 0) {
        struct stream *best = NULL;
        for (size_t i = 0; i < m.n; i++) {
            struct stream *s = &m.s[i];
            if (!s->active || s->done)
                continue;
            if (!best || s->seg_time < best->seg_time ||
                (s->seg_time == best->seg_time && s->pid < best->pid))
                best = s;
        }
        if (!best) {
            /* streams whose fork record never came (the parent was killed
             * before it flushed): appended in pid order */
            for (size_t i = 0; i < m.n && !best; i++)
                if (!m.s[i].done) {
                    best = &m.s[i];
                    best->active = 1;
                }
            if (!best)
                break;
        }
        rc = run_segment(&m, best);
    }
    for (size_t i = 0; i < m.n; i++) {
        struct stream *s = &m.s[i];
        stats->n_processes += s->started;
        if (s->fp)
            fclose(s->fp);
        free(s->buf);
        free(s->name);
        free(s->pending_exec);
        for (size_t j = 0; j < s->n_fds; j++)
            free(s->fds[j].path);
        free(s->fds);
        free(s->hidden);
    }
    for (size_t i = 0; i < m.n_files; i++)
        free(m.paths[i]);
    free(m.paths);
    free(m.sizes);
    free(m.s);
    vmr_hashmap_release(&m.by_pid);
    return rc;
}
