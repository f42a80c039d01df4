/*
 * lackey_live.c - `vmreplay record --backend lackey`: stock lackey's logs
 * read while the program runs.
 *
 * Valgrind runs with --log-file=DIR/lk.%p.%n: every process image writes
 * its own log (a forked child reopens the log under its own pid in the
 * child; an exec'd image opens a new one). Two hazards of those names, both
 * observed with Valgrind 3.19:
 *
 *   - a forked child's pre-exec log is lk.CHILD.2 (the parent's sequence
 *     counter, inherited, plus one) while the image it execs, starting
 *     afresh, writes lk.CHILD.1: the numbers do not give the order;
 *   - an image that execs again in the same pid reopens lk.PID.1 with
 *     O_TRUNC, wiping the first image's log.
 *
 * So the follower watches DIR with inotify and claims each log the moment
 * it is created (without inotify it lists DIR every round, 20 ms, and
 * orders the logs of one pid found together by falling N): it renames it to s.K (K = order
 * of creation), which the writer does not notice (it writes through its descriptor) and which frees
 * the name, so a later image that reopens it creates a new file instead of
 * truncating ours. Logs are then read as they grow. Each log is one process
 * image's accesses in their exact order; when a newer log of the same pid
 * appears, the older image has exec'd (or exited), so once read to its end
 * it is closed and deleted. Consumed bytes are punched out of the log
 * (fallocate PUNCH_HOLE, where the file system has it), so lackey's text
 * (~14 bytes an access) never piles up on disk: what grows is the spool,
 * the accesses re-encoded in vmreplay's binary form (under 1 byte an
 * access).
 *
 * The spool carries a stream number in place of the pid. The areas of an
 * image are unknown until it ends (lackey says nothing of mappings), so
 * finishing copies the spool into the output and, before the first record
 * of each image, declares its areas: one anonymous private rwx area per run
 * of consecutive pages it touched, as `vmreplay import lackey` does. A
 * second image of a pid is preceded by `exec PID PATH mapped` (PATH from the
 * previous image's last execve line); an image that follows an exit_group of
 * the same pid (pid reuse) starts a new process. Marks come from the
 * marker opens in --trace-syscalls=yes lines, exits from exit_group lines.
 * Between processes, records appear in the order the follower read them:
 * it reads each log to its current end, in order of creation, then waits
 * (up to 20 ms) for more, so processes interleave at that granularity.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hashmap.h"
#include "internal.h"
#include "vec.h"

enum {
    READ_BYTES = 1 << 18,  /* read() size; also the longest line kept */
    PUNCH_BYTES = 4 << 20, /* punch once this much has been consumed */
    IDLE_WAIT_MS = 20,     /* sleep when no log grew */
    SPOOL_FRAME = 1 << 20, /* spool frames: the default */
};

struct stream {
    char name[48]; /* the log's original name, for messages */
    uint32_t pid;
    int fd; /* -1 once read to the end and closed */
    uint64_t off, punched, lineno;
    char *buf;
    size_t have;     /* bytes in buf not yet parsed (a partial line) */
    int superseded;  /* a newer log of this pid exists: this one is complete */
    int exited;      /* saw its exit_group */
    int after_exec;  /* 1: the previous image of this pid exec'd into this one */
    char *exec_path; /* last execve path seen in this stream */
    size_t prev;     /* 1 + index of the previous image of this pid, or 0 */
    int emitted;     /* its areas are in the output */
    struct vmr_hashmap pages;
    struct vmr_record pending;
    int have_pending;
};

struct vmr_lackey_live {
    char *dir;
    int ino;
    unsigned shift;
    uint32_t page_size;
    int no_punch;
    struct stream **s;
    size_t n, cap;
    char *spool_path;
    struct vmr_trace_writer *spool;
    struct vmr_lackey_live_stats st;
    char *err;
    size_t err_len;
};

static int oom(struct vmr_lackey_live *lv)
{
    vmr_errf(lv->err, lv->err_len, "out of memory");
    return VMR_ENOMEM;
}

static int spool_put(struct vmr_lackey_live *lv, const struct vmr_record *rec)
{
    int rc = vmr_trace_writer_put(lv->spool, rec);
    if (rc)
        vmr_errf(lv->err, lv->err_len, "%s", vmr_trace_writer_error(lv->spool));
    return rc;
}

static int flush_pending(struct vmr_lackey_live *lv, struct stream *s)
{
    if (!s->have_pending)
        return 0;
    s->have_pending = 0;
    return spool_put(lv, &s->pending);
}

/* The newest stream of pid, or NULL. */
static struct stream *latest_of(struct vmr_lackey_live *lv, uint32_t pid)
{
    for (size_t i = lv->n; i-- > 0;)
        if (lv->s[i]->pid == pid)
            return lv->s[i];
    return NULL;
}

/* Takes the log `name` (lk.PID.N) out of the way and starts following it. */
static int claim(struct vmr_lackey_live *lv, const char *name)
{
    unsigned pid, seq;
    char tail;
    if (sscanf(name, "lk.%u.%u%c", &pid, &seq, &tail) != 2)
        return 0;
    char from[4096], to[4096];
    snprintf(from, sizeof from, "%s/%s", lv->dir, name);
    snprintf(to, sizeof to, "%s/s.%zu", lv->dir, lv->n + 1);
    if (rename(from, to) != 0)
        return 0; /* gone already (claimed through an earlier event) */
    if (vmr_grow((void **)&lv->s, &lv->cap, lv->n + 1, sizeof *lv->s) != 0)
        return oom(lv);
    struct stream *s = calloc(1, sizeof *s);
    if (!s || !(s->buf = malloc(READ_BYTES + 1)) || vmr_hashmap_init(&s->pages, 0) != 0) {
        if (s)
            free(s->buf);
        free(s);
        return oom(lv);
    }
    snprintf(s->name, sizeof s->name, "%s", name);
    s->pid = pid;
    s->fd = open(to, O_RDWR | O_CLOEXEC); /* RDWR: punching needs it */
    if (s->fd < 0)
        s->fd = open(to, O_RDONLY | O_CLOEXEC);
    if (s->fd < 0) {
        vmr_errf(lv->err, lv->err_len, "%s: %s", to, strerror(errno));
        vmr_hashmap_release(&s->pages);
        free(s->buf);
        free(s);
        return VMR_EIO;
    }
    struct stream *prev = latest_of(lv, pid);
    if (prev) {
        prev->superseded = 1;
        if (!prev->exited) {
            s->after_exec = 1;
            for (size_t i = lv->n; i-- > 0;)
                if (lv->s[i] == prev)
                    s->prev = i + 1;
        }
    } else {
        lv->st.n_processes++;
    }
    lv->s[lv->n++] = s;
    lv->st.n_images++;
    return 0;
}

/* lk.PID.N by pid, then N descending: when creation order is lost, a
 * forked child's pre-exec log (N >= 2, its parent's counter plus one) comes
 * before the log of the image it execs (N = 1, a fresh counter). */
static int cmp_names(const void *a, const void *b)
{
    unsigned pa = 0, na = 0, pb = 0, nb = 0;
    sscanf(*(char *const *)a, "lk.%u.%u", &pa, &na);
    sscanf(*(char *const *)b, "lk.%u.%u", &pb, &nb);
    if (pa != pb)
        return pa < pb ? -1 : 1;
    return na == nb ? 0 : na > nb ? -1 : 1;
}

/* Claims every lk.* still in the directory (without inotify, after an
 * inotify overflow, and at the end), in cmp_names order. */
static int rescan(struct vmr_lackey_live *lv)
{
    DIR *d = opendir(lv->dir);
    if (!d) {
        vmr_errf(lv->err, lv->err_len, "%s: %s", lv->dir, strerror(errno));
        return VMR_EIO;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && rc == 0)
        if (strncmp(de->d_name, "lk.", 3) == 0) {
            if (vmr_grow((void **)&names, &cap, n + 1, sizeof *names) != 0 ||
                !(names[n] = vmr_strdup(de->d_name)))
                rc = oom(lv);
            else
                n++;
        }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, cmp_names);
    for (size_t i = 0; i < n; i++) {
        if (rc == 0)
            rc = claim(lv, names[i]);
        free(names[i]);
    }
    free(names);
    return rc;
}

/* Reads pending inotify events and claims the new logs, in order. */
static int take_events(struct vmr_lackey_live *lv)
{
    if (lv->ino < 0)
        return rescan(lv);
    char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        ssize_t got = read(lv->ino, buf, sizeof buf);
        if (got <= 0)
            return 0; /* EAGAIN: nothing more */
        for (char *p = buf; p < buf + got;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            int rc = 0;
            if (ev->mask & IN_Q_OVERFLOW)
                rc = rescan(lv);
            else if ((ev->mask & IN_CREATE) && ev->len)
                rc = claim(lv, ev->name);
            if (rc)
                return rc;
            p += sizeof *ev + ev->len;
        }
    }
}

/* SYSCALL[PID,TID](NR) lines: marks, execve paths, exit_group. */
static int syscall_line(struct vmr_lackey_live *lv, struct stream *s, size_t id, char *line)
{
    struct vmr_record rec = {0};
    rec.pid = (uint32_t)id;
    char *p;
    if ((p = strstr(line, " sys_open")) && (p = strstr(p, "(/vmreplay-marker/"))) {
        char *label = p + strlen("(/vmreplay-marker/"), *end = strchr(label, ')');
        if (!end || end == label)
            return 0;
        *end = '\0';
        rec.kind = VMR_REC_MARK;
        rec.str = label;
        lv->st.n_marks++;
    } else if ((p = strstr(line, " sys_execve ( "))) {
        char *path = strchr(p + 14, '('), *end = path ? strchr(path, ')') : NULL;
        if (!end)
            return 0;
        *end = '\0';
        free(s->exec_path);
        if (!(s->exec_path = vmr_strdup(path + 1)))
            return oom(lv);
        return 0;
    } else if ((p = strstr(line, " exit_group( "))) {
        rec.kind = VMR_REC_EXIT;
        rec.arg = (uint32_t)strtoul(p + 13, NULL, 10);
        s->exited = 1;
    } else {
        return 0;
    }
    int rc = flush_pending(lv, s);
    return rc ? rc : spool_put(lv, &rec);
}

static int take_line(struct vmr_lackey_live *lv, struct stream *s, size_t id, char *line,
                     size_t len)
{
    s->lineno++;
    if (len >= 8 && strncmp(line, "SYSCALL[", 8) == 0)
        return syscall_line(lv, s, id, line);
    struct vmr_record rec;
    char msg[256];
    int rc = vmr_import_lackey_line(line, len, &rec, msg, sizeof msg);
    if (rc <= 0) {
        if (rc < 0)
            vmr_errf(lv->err, lv->err_len, "%s:%llu: %s", s->name, (unsigned long long)s->lineno,
                     msg);
        return rc;
    }
    rec.pid = (uint32_t)id;
    uint64_t first = rec.addr >> lv->shift, last = (rec.addr + (rec.size - 1)) >> lv->shift;
    for (uint64_t pg = first;; pg++) {
        int ins;
        if (!vmr_hashmap_upsert(&s->pages, pg, 0, &ins))
            return oom(lv);
        if (pg == last)
            break;
    }
    lv->st.n_accesses++;
    struct vmr_record *p = &s->pending;
    if (s->have_pending && p->kind == rec.kind && p->addr == rec.addr && p->size == rec.size &&
        p->count < UINT32_MAX) {
        p->count++;
        return 0;
    }
    if ((rc = flush_pending(lv, s)) != 0)
        return rc;
    *p = rec;
    s->have_pending = 1;
    return 0;
}

/* Reads what stream `id` has now: to its current end with `all`, else at
 * most 16 reads. Returns 0 or VMR_E*; *progress is set when bytes were
 * read. */
static int pump(struct vmr_lackey_live *lv, size_t id, int all, int *progress)
{
    struct stream *s = lv->s[id - 1];
    if (s->fd < 0)
        return 0;
    int rc = 0;
    for (int rounds = 0; all || rounds < 16; rounds++) {
        ssize_t got = read(s->fd, s->buf + s->have, READ_BYTES - s->have);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        *progress = 1;
        s->off += (uint64_t)got;
        lv->st.log_bytes += (uint64_t)got;
        s->have += (size_t)got;
        char *p = s->buf, *end = s->buf + s->have, *nl;
        while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
            *nl = '\0';
            if ((rc = take_line(lv, s, id, p, (size_t)(nl - p))) != 0)
                return rc;
            p = nl + 1;
        }
        s->have = (size_t)(end - p);
        if (s->have == READ_BYTES) {
            vmr_errf(lv->err, lv->err_len, "%s:%llu: line longer than %d bytes", s->name,
                     (unsigned long long)s->lineno + 1, READ_BYTES);
            return VMR_EFORMAT;
        }
        memmove(s->buf, p, s->have);
    }
    if ((rc = flush_pending(lv, s)) != 0)
        return rc;
    uint64_t done = (s->off - s->have) & ~(uint64_t)4095;
    if (!lv->no_punch && done - s->punched >= PUNCH_BYTES) {
        if (fallocate(s->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)s->punched,
                      (off_t)(done - s->punched)) == 0)
            s->punched = done;
        else
            lv->no_punch = 1; /* EOPNOTSUPP, or opened read-only */
    }
    return 0;
}

/* A stream at its end: the last line may lack its newline (a process
 * killed mid-line, or a syscall line whose result never came). */
static int finish_stream(struct vmr_lackey_live *lv, size_t id)
{
    struct stream *s = lv->s[id - 1];
    if (s->fd < 0)
        return 0;
    int rc = 0;
    if (s->have) {
        s->buf[s->have] = '\0';
        if (s->have < READ_BYTES && strncmp(s->buf, "SYSCALL[", 8) == 0)
            rc = take_line(lv, s, id, s->buf, s->have);
        /* a cut-short access line is dropped */
        s->have = 0;
    }
    if (rc == 0)
        rc = flush_pending(lv, s);
    close(s->fd);
    s->fd = -1;
    char path[4096];
    snprintf(path, sizeof path, "%s/s.%zu", lv->dir, id);
    unlink(path);
    return rc;
}

int vmr_lackey_live_open(struct vmr_lackey_live **out, const char *dir, uint32_t page_size,
                         char *errbuf, size_t errbuf_len)
{
    *out = NULL;
    struct vmr_lackey_live *lv = calloc(1, sizeof *lv);
    if (!lv || !(lv->dir = vmr_strdup(dir))) {
        free(lv);
        vmr_errf(errbuf, errbuf_len, "out of memory");
        return VMR_ENOMEM;
    }
    lv->ino = -1;
    lv->err = errbuf;
    lv->err_len = errbuf_len;
    lv->page_size = page_size ? page_size : 4096;
    while ((1u << lv->shift) < lv->page_size)
        lv->shift++;
    /* without inotify (none left, or not supported), the folder is listed
     * every round instead: logs created within one round are then taken in
     * name order */
    lv->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (lv->ino >= 0 && inotify_add_watch(lv->ino, dir, IN_CREATE) < 0) {
        close(lv->ino);
        lv->ino = -1;
    }
    size_t n = strlen(dir) + 16;
    lv->spool_path = malloc(n);
    if (!lv->spool_path) {
        vmr_lackey_live_destroy(lv);
        vmr_errf(errbuf, errbuf_len, "out of memory");
        return VMR_ENOMEM;
    }
    snprintf(lv->spool_path, n, "%s/spool.vmt", dir);
    struct vmr_trace_header hdr = {lv->page_size, 0, NULL};
    struct vmr_trace_writer_options wo = {.form = VMR_FORM_BINARY, .frame_bytes = SPOOL_FRAME};
    int rc = vmr_trace_writer_open(&lv->spool, lv->spool_path, &hdr, &wo, errbuf, errbuf_len);
    if (rc) {
        vmr_lackey_live_destroy(lv);
        return rc;
    }
    *out = lv;
    return 0;
}

int vmr_lackey_live_follow(struct vmr_lackey_live *lv, int (*running)(void *ctx), void *ctx)
{
    for (;;) {
        int alive = running(ctx), progress = 0, rc;
        if ((rc = take_events(lv)) != 0)
            return rc;
        if (!alive) {
            /* every writer is gone (or orphaned): read everything there is */
            if ((rc = rescan(lv)) != 0)
                return rc;
            for (size_t id = 1; id <= lv->n; id++)
                if ((rc = pump(lv, id, 1, &progress)) != 0 || (rc = finish_stream(lv, id)) != 0)
                    return rc;
            return 0;
        }
        for (size_t id = 1; id <= lv->n; id++) {
            struct stream *s = lv->s[id - 1];
            if (s->fd < 0)
                continue;
            /* each round reads every log to its current end, so no log lags
             * behind the others by more than a round; a superseded log is
             * complete, and dropped once read */
            if ((rc = pump(lv, id, 1, &progress)) != 0)
                return rc;
            if (s->superseded && (rc = finish_stream(lv, id)) != 0)
                return rc;
        }
        if (!progress) {
            struct pollfd pfd = {lv->ino, POLLIN, 0};
            poll(&pfd, lv->ino >= 0, IDLE_WAIT_MS); /* a plain sleep without inotify */
        }
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int put_out(struct vmr_lackey_live *lv, struct vmr_trace_writer *w,
                   const struct vmr_record *rec)
{
    int rc = vmr_trace_writer_put(w, rec);
    if (rc)
        vmr_errf(lv->err, lv->err_len, "%s", vmr_trace_writer_error(w));
    return rc;
}

/* Before the first record of an image: its exec (if any) and its areas. */
static int start_image(struct vmr_lackey_live *lv, struct stream *s, struct vmr_trace_writer *w,
                       uint32_t *next_fid)
{
    int rc = 0;
    s->emitted = 1;
    if (s->after_exec) {
        uint32_t fid = (*next_fid)++;
        struct vmr_record f = {0}, ex = {0};
        f.kind = VMR_REC_FILE;
        f.arg = fid;
        f.off = VMR_FILE_SIZE_UNKNOWN;
        /* the path of the previous image's last execve, read by now */
        const char *path = s->prev ? lv->s[s->prev - 1]->exec_path : NULL;
        f.str = path ? path : "?";
        ex.kind = VMR_REC_EXEC;
        ex.pid = s->pid;
        ex.arg = fid;
        ex.flags = VMR_EXEC_MAPPED;
        if ((rc = put_out(lv, w, &f)) != 0 || (rc = put_out(lv, w, &ex)) != 0)
            return rc;
        lv->st.n_execs++;
    }
    size_t n = 0;
    uint64_t *pages = malloc((s->pages.n ? s->pages.n : 1) * sizeof *pages);
    if (!pages)
        return oom(lv);
    for (size_t i = 0; s->pages.keys && i <= s->pages.mask; i++)
        if (s->pages.used[i])
            pages[n++] = s->pages.keys[i];
    qsort(pages, n, sizeof *pages, cmp_u64);
    for (size_t i = 0; i < n && rc == 0;) {
        size_t j = i + 1;
        while (j < n && pages[j] == pages[j - 1] + 1)
            j++;
        struct vmr_record a = {0};
        a.kind = VMR_REC_MMAP;
        a.pid = s->pid;
        a.addr = pages[i] << lv->shift;
        a.len = (uint64_t)(j - i) << lv->shift;
        a.prot = VMR_PROT_READ | VMR_PROT_WRITE | VMR_PROT_EXEC;
        a.flags = VMR_MAP_PRIVATE | VMR_MAP_ANON;
        rc = put_out(lv, w, &a);
        i = j;
    }
    free(pages);
    vmr_hashmap_release(&s->pages);
    return rc;
}

int vmr_lackey_live_finish(struct vmr_lackey_live *lv, struct vmr_trace_writer *w,
                           struct vmr_lackey_live_stats *stats)
{
    for (size_t id = 1; id <= lv->n; id++) {
        int rc = finish_stream(lv, id);
        if (rc)
            return rc;
    }
    int rc = vmr_trace_writer_close(lv->spool, lv->err, lv->err_len);
    lv->spool = NULL;
    if (rc)
        return rc;
    struct vmr_trace_reader *r;
    if ((rc = vmr_trace_reader_open(&r, lv->spool_path, VMR_FORM_BINARY, lv->err, lv->err_len)))
        return rc;
    uint32_t next_fid = 1;
    struct vmr_record recs[1024];
    size_t n;
    for (;;) {
        if ((rc = vmr_trace_reader_next(r, recs, 1024, &n)) != 0) {
            vmr_errf(lv->err, lv->err_len, "%s", vmr_trace_reader_error(r));
            break;
        }
        if (n == 0)
            break;
        for (size_t i = 0; i < n && rc == 0; i++) {
            struct vmr_record rec = recs[i];
            if (rec.pid == 0 || rec.pid > lv->n) {
                vmr_errf(lv->err, lv->err_len, "%s: bad stream %u", lv->spool_path,
                         (unsigned)rec.pid);
                rc = VMR_EFORMAT;
                break;
            }
            struct stream *s = lv->s[rec.pid - 1];
            if (!s->emitted && (rc = start_image(lv, s, w, &next_fid)) != 0)
                break;
            rec.pid = s->pid;
            rc = put_out(lv, w, &rec);
        }
        if (rc)
            break;
    }
    vmr_trace_reader_destroy(r);
    if (stats)
        *stats = lv->st;
    return rc;
}

void vmr_lackey_live_destroy(struct vmr_lackey_live *lv)
{
    if (!lv)
        return;
    for (size_t i = 0; i < lv->n; i++) {
        struct stream *s = lv->s[i];
        if (s->fd >= 0)
            close(s->fd);
        vmr_hashmap_release(&s->pages);
        free(s->buf);
        free(s->exec_path);
        free(s);
    }
    free(lv->s);
    vmr_trace_writer_destroy(lv->spool);
    if (lv->spool_path)
        unlink(lv->spool_path);
    free(lv->spool_path);
    if (lv->ino >= 0)
        close(lv->ino);
    free(lv->dir);
    free(lv);
}
