/*
 * text_reader.c - reads the text trace form (FORMAT.md section 3).
 *
 * The input is read through one buffer and cut into lines in place; a line
 * is split into at most MAX_TOKENS tokens (quoted strings are unescaped only
 * when a record needs them), then parsed by its keyword. Memory is bounded
 * per line: a record line may be at most TEXT_MAX_LINE bytes; `meta` lines,
 * whose values may reach 1 MiB as in the binary form, get more room.
 *
 * Invariants:
 *   - buf[pos, len) is the unread input; buf[0] is at file offset buf_off.
 *   - Strings of the last batch live in `arena`, which is reset (never moved
 *     while a string of the batch points into it) at each call of next.
 *   - `files` holds what the lines read so far have declared; rewind clears
 *     it and re-reads from the first record line (the header declares none).
 *   - An error is remembered in err_rc: the records parsed before the bad
 *     line are delivered first, then every call returns err_rc.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "parse.h"
#include "text.h"
#include "vec.h"

#define TEXT_MAX_LINE      (64u << 10)
#define TEXT_MAX_META_LINE (4u * TRACE_MAX_VALUE + 4096u) /* every byte may be \xHH */
#define TEXT_BUF_INIT      (256u << 10)
#define TEXT_ARENA         (256u << 10)
#define MAX_TOKENS         12

struct tok {
    const char *s; /* for a quoted string: the bytes between the quotes, raw */
    size_t n;
    int quoted;
};

struct tr {
    char *buf;
    size_t cap, pos, len;
    int eof;
    uint64_t buf_off;
    uint64_t line; /* number of the last line taken */
    uint64_t body_off, body_line;

    struct vmr_trace_meta *meta;
    size_t n_meta, cap_meta;

    struct text_files files;

    char *arena;
    size_t arena_len;
    uint64_t *lines; /* line of each record of the last batch */
    size_t cap_lines, n_batch;
    int has_pending;
    struct vmr_record pending;
    uint64_t pending_line;
    int err_rc;
};

/* ---- errors ------------------------------------------------------------ */

/* Appends a printable, bounded rendering of a token for "(near '...')". */
static void render_near(char *out, size_t len, const char *s, size_t n)
{
    size_t o = 0, shown = n > 40 ? 40 : n;
    for (size_t i = 0; i < shown && o + 5 < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\'')
            out[o++] = (char)c;
        else
            o += (size_t)snprintf(out + o, len - o, "\\x%02x", c);
    }
    if (shown < n && o + 4 < len) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o < len ? o : len - 1] = 0;
}

static int failv(struct vmr_trace_reader *r, int rc, const char *near, size_t near_n,
                 const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));
static int failv(struct vmr_trace_reader *r, int rc, const char *near, size_t near_n,
                 const char *fmt, va_list ap)
{
    struct tr *t = r->impl;
    char msg[512], tok[200];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (near) {
        render_near(tok, sizeof tok, near, near_n);
        trace_errf(r->err, "%s:%llu: %s (near '%s')", r->name, (unsigned long long)t->line, msg,
                   tok);
    } else {
        trace_errf(r->err, "%s:%llu: %s", r->name, (unsigned long long)t->line, msg);
    }
    return rc;
}

static int fail(struct vmr_trace_reader *r, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct vmr_trace_reader *r, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    failv(r, rc, NULL, 0, fmt, ap);
    va_end(ap);
    return rc;
}

static int fail_at(struct vmr_trace_reader *r, int rc, const struct tok *k, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail_at(struct vmr_trace_reader *r, int rc, const struct tok *k, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    failv(r, rc, k->s, k->n, fmt, ap);
    va_end(ap);
    return rc;
}

static int fail_oom(struct vmr_trace_reader *r)
{
    trace_errf(r->err, "%s: out of memory", r->name);
    return VMR_ENOMEM;
}

/* ---- lines and tokens -------------------------------------------------- */

/* Takes the next line (without its "\n" or "\r\n"). 1: a line, 0: end of
 * input, <0: error. */
static int get_line(struct vmr_trace_reader *r, size_t limit, const char **line, size_t *len)
{
    struct tr *t = r->impl;
    for (;;) {
        char *start = t->buf + t->pos;
        size_t avail = t->len - t->pos;
        char *nl = avail ? memchr(start, '\n', avail) : NULL;
        size_t n;
        if (nl || t->eof) {
            if (!nl && avail == 0)
                return 0;
            n = nl ? (size_t)(nl - start) : avail;
            t->pos += nl ? n + 1 : n;
            t->line++;
            if (n > limit)
                return fail(r, VMR_EFORMAT, "line longer than %zu bytes", limit);
            if (n && start[n - 1] == '\r')
                n--;
            *line = start;
            *len = n;
            return 1;
        }
        if (avail > limit) {
            t->line++;
            return fail(r, VMR_EFORMAT, "line longer than %zu bytes", limit);
        }
        if (t->pos) {
            memmove(t->buf, start, avail);
            t->buf_off += t->pos;
            t->pos = 0;
            t->len = avail;
        }
        if (t->len == t->cap) {
            size_t cap = t->cap * 2;
            char *nb = realloc(t->buf, cap);
            if (!nb)
                return fail_oom(r);
            t->buf = nb;
            t->cap = cap;
        }
        size_t got = fread(t->buf + t->len, 1, t->cap - t->len, r->fp);
        if (got == 0) {
            if (ferror(r->fp)) {
                trace_errf(r->err, "%s:%llu: read error: %s", r->name,
                           (unsigned long long)t->line + 1, strerror(errno));
                return VMR_EIO;
            }
            t->eof = 1;
        }
        t->len += got;
    }
}

/* Puts back the line just taken (the buffer has not moved since). */
static void unget_line(struct tr *t, size_t saved_pos)
{
    t->pos = saved_pos;
    t->line--;
}

static int tokenize(struct vmr_trace_reader *r, const char *s, size_t n, struct tok *tok, int *ntok)
{
    size_t i = 0;
    int k = 0;
    for (;;) {
        while (i < n && (s[i] == ' ' || s[i] == '\t'))
            i++;
        if (i == n || s[i] == '#')
            break;
        if (k == MAX_TOKENS) {
            struct tok rest = {s + i, n - i, 0};
            return fail_at(r, VMR_EFORMAT, &rest, "too many fields");
        }
        if (s[i] == '"') {
            size_t b = ++i;
            while (i < n && s[i] != '"') {
                if (s[i] == 0)
                    return fail(r, VMR_EFORMAT, "NUL byte in string");
                i += s[i] == '\\' ? 2 : 1;
            }
            if (i >= n) {
                struct tok bad = {s + b - 1, n - b + 1, 0};
                return fail_at(r, VMR_EFORMAT, &bad, "unterminated string");
            }
            tok[k] = (struct tok){s + b, i - b, 1};
            i++;
            if (i < n && s[i] != ' ' && s[i] != '\t' && s[i] != '#') {
                struct tok bad = {s + b - 1, i - b + 2, 0};
                return fail_at(r, VMR_EFORMAT, &bad, "text right after a closing quote");
            }
        } else {
            size_t b = i;
            while (i < n && s[i] != ' ' && s[i] != '\t' && s[i] != '#') {
                if (s[i] == 0)
                    return fail(r, VMR_EFORMAT, "NUL byte in line");
                if (s[i] == '"' || s[i] == '\\') {
                    struct tok bad = {s + b, i - b + 1, 0};
                    return fail_at(r, VMR_EFORMAT, &bad,
                                   "'%c' inside an unquoted word (quote the string)", s[i]);
                }
                i++;
            }
            tok[k] = (struct tok){s + b, i - b, 0};
        }
        k++;
    }
    *ntok = k;
    return 0;
}

static int tok_is(const struct tok *k, const char *word)
{
    size_t n = strlen(word);
    return !k->quoted && k->n == n && memcmp(k->s, word, n) == 0;
}

/* If k is the bare word "key=VALUE", points v at VALUE. */
static int tok_opt(const struct tok *k, const char *key, struct tok *v)
{
    size_t n = strlen(key);
    if (k->quoted || k->n <= n || memcmp(k->s, key, n) != 0 || k->s[n] != '=')
        return 0;
    *v = (struct tok){k->s + n + 1, k->n - n - 1, 0};
    return 1;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Writes the string a token stands for (unescaped) at out, NUL-terminated;
 * out has room for k->n + 1 bytes. */
static int unescape(struct vmr_trace_reader *r, const struct tok *k, char *out, size_t *out_n)
{
    size_t o = 0;
    for (size_t i = 0; i < k->n; i++) {
        char c = k->s[i];
        if (!k->quoted || c != '\\') {
            out[o++] = c;
            continue;
        }
        char e = k->s[++i]; /* the tokenizer saw the escaped byte inside the quotes */
        switch (e) {
        case '\\':
        case '"':
            out[o++] = e;
            break;
        case 'n':
            out[o++] = '\n';
            break;
        case 't':
            out[o++] = '\t';
            break;
        case 'r':
            out[o++] = '\r';
            break;
        case 'x': {
            int hi = i + 1 < k->n ? hexval((unsigned char)k->s[i + 1]) : -1;
            int lo = i + 2 < k->n ? hexval((unsigned char)k->s[i + 2]) : -1;
            struct tok bad = {k->s + i - 1, i + 3 <= k->n ? 4 : k->n - i + 1, 0};
            if (hi < 0 || lo < 0)
                return fail_at(r, VMR_EFORMAT, &bad, "\\x needs two hexadecimal digits");
            if (hi == 0 && lo == 0)
                return fail_at(r, VMR_EFORMAT, &bad, "NUL byte in string");
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
            break;
        }
        default: {
            struct tok bad = {k->s + i - 1, 2, 0};
            return fail_at(r, VMR_EFORMAT, &bad,
                           "unknown escape (use \\\\ \\\" \\n \\t \\r or \\xHH)");
        }
        }
    }
    out[o] = 0;
    *out_n = o;
    return 0;
}

/* A string field of the current record, copied into the batch arena (which
 * next() made large enough for the whole line). */
static int arena_string(struct vmr_trace_reader *r, const struct tok *k, const char **out)
{
    struct tr *t = r->impl;
    char *dst = t->arena + t->arena_len;
    size_t n;
    int rc = unescape(r, k, dst, &n);
    if (rc != 0)
        return rc;
    t->arena_len += n + 1;
    *out = dst;
    return 0;
}

/* ---- fields ------------------------------------------------------------ */

static int num_u32(struct vmr_trace_reader *r, const struct tok *k, const char *what, uint32_t *out)
{
    uint64_t v;
    int rc = k->quoted ? VMR_EINVAL : vmr_parse_u64_n(k->s, k->n, &v);
    if (rc == 0 && v > UINT32_MAX)
        rc = VMR_ERANGE;
    if (rc == VMR_ERANGE)
        return fail_at(r, VMR_ERANGE, k, "%s out of range (at most 4294967295)", what);
    if (rc != 0)
        return fail_at(r, VMR_EFORMAT, k, "bad %s: expected a decimal or 0x number", what);
    *out = (uint32_t)v;
    return 0;
}

static int num_size(struct vmr_trace_reader *r, const struct tok *k, const char *what,
                    uint64_t *out)
{
    int rc = k->quoted ? VMR_EINVAL : vmr_parse_size_n(k->s, k->n, out);
    if (rc == VMR_ERANGE)
        return fail_at(r, VMR_ERANGE, k, "%s out of range (above 2^64-1)", what);
    if (rc != 0)
        return fail_at(r, VMR_EFORMAT, k,
                       "bad %s: expected a number with an optional unit (4096, 0x1000, 64K)", what);
    return 0;
}

static int field_prot(struct vmr_trace_reader *r, const struct tok *k, uint8_t *out)
{
    static const char letters[3] = {'r', 'w', 'x'};
    uint8_t p = 0;
    if (k->quoted || k->n != 3)
        goto bad;
    for (int i = 0; i < 3; i++) {
        if (k->s[i] == letters[i])
            p |= (uint8_t)(1u << i);
        else if (k->s[i] != '-')
            goto bad;
    }
    *out = p;
    return 0;
bad:
    return fail_at(r, VMR_EFORMAT, k, "bad protection: expected three characters like rw- or r-x");
}

static int field_flags(struct vmr_trace_reader *r, const struct tok *k, const struct text_flag *tab,
                       size_t n_tab, const char *what, uint16_t *out)
{
    uint16_t f = 0;
    if (tok_is(k, "-")) {
        *out = 0;
        return 0;
    }
    if (k->quoted || k->n == 0)
        return fail_at(r, VMR_EFORMAT, k, "bad %s flags", what);
    size_t i = 0;
    for (;;) {
        const char *w = k->s + i;
        const char *comma = memchr(w, ',', k->n - i);
        size_t wn = comma ? (size_t)(comma - w) : k->n - i;
        size_t j;
        for (j = 0; j < n_tab; j++)
            if (strlen(tab[j].name) == wn && memcmp(tab[j].name, w, wn) == 0)
                break;
        if (j == n_tab) {
            struct tok bad = {w, wn, 0};
            return fail_at(r, VMR_EFORMAT, &bad, "unknown %s flag", what);
        }
        f |= tab[j].bit;
        if (!comma)
            break;
        i += wn + 1;
    }
    *out = f;
    return 0;
}

static int field_errno(struct vmr_trace_reader *r, const struct tok *v, int32_t *out)
{
    int named = text_errno_value(v->s, v->n);
    if (named >= 0) {
        *out = named;
        return 0;
    }
    uint64_t n;
    int rc = vmr_parse_u64_n(v->s, v->n, &n);
    if (rc == 0 && n > INT32_MAX)
        rc = VMR_ERANGE;
    if (rc == VMR_ERANGE)
        return fail_at(r, VMR_ERANGE, v, "errno out of range (at most 2147483647)");
    if (rc != 0)
        return fail_at(r, VMR_EFORMAT, v, "bad errno: expected a number or a name like ENOMEM");
    *out = (int32_t)n;
    return 0;
}

static int field_advice(struct vmr_trace_reader *r, const struct tok *k, uint16_t *out)
{
    int named = k->quoted ? -1 : text_advice_value(k->s, k->n);
    if (named >= 0) {
        *out = (uint16_t)named;
        return 0;
    }
    uint64_t n;
    int rc = k->quoted ? VMR_EINVAL : vmr_parse_u64_n(k->s, k->n, &n);
    if (rc == 0 && n > UINT16_MAX)
        rc = VMR_ERANGE;
    if (rc == VMR_ERANGE)
        return fail_at(r, VMR_ERANGE, k, "advice out of range (at most 65535)");
    if (rc != 0)
        return fail_at(r, VMR_EFORMAT, k,
                       "bad advice: expected a number or a name like dontneed or willneed");
    *out = (uint16_t)n;
    return 0;
}

/* ---- records ----------------------------------------------------------- */

/* The keyword's syntax, for "too few fields" messages. */
static const char *const syntax[VMR_REC_N_KINDS] = {
    [VMR_REC_READ] = "r PID ADDR [SIZE] [*COUNT]",
    [VMR_REC_WRITE] = "w PID ADDR [SIZE] [*COUNT]",
    [VMR_REC_FETCH] = "x PID ADDR [SIZE] [*COUNT]",
    [VMR_REC_MMAP] = "mmap PID ADDR LEN PROT FLAGS [fd=FID] [off=BYTES] [err=ERRNO]",
    [VMR_REC_MUNMAP] = "munmap PID ADDR LEN [err=ERRNO]",
    [VMR_REC_MPROTECT] = "mprotect PID ADDR LEN PROT [err=ERRNO]",
    [VMR_REC_BRK] = "brk PID ADDR [result=ADDR]",
    [VMR_REC_FORK] = "fork PID CHILD",
    [VMR_REC_THREAD] = "thread PID TID",
    [VMR_REC_EXEC] = "exec PID PATH|fd=FID [mapped] [err=ERRNO]",
    [VMR_REC_EXIT] = "exit PID [status=N]",
    [VMR_REC_FILE] = "file FID PATH [size=BYTES]",
    [VMR_REC_MADVISE] = "madvise PID ADDR LEN ADVICE [err=ERRNO]",
    [VMR_REC_MSYNC] = "msync PID ADDR LEN [FLAGS] [err=ERRNO]",
    [VMR_REC_MARK] = "mark LABEL [pid=PID]",
};

static int kind_of(const struct tok *k)
{
    if (k->quoted)
        return -1;
    if (k->n == 1) {
        switch (k->s[0]) {
        case 'r':
            return VMR_REC_READ;
        case 'w':
            return VMR_REC_WRITE;
        case 'x':
            return VMR_REC_FETCH;
        default:
            return -1;
        }
    }
    for (unsigned i = VMR_REC_MMAP; i < VMR_REC_N_KINDS; i++)
        if (tok_is(k, vmr_rec_kind_name(i)))
            return (int)i;
    return -1;
}

/* Optional key=value fields after the positional ones. */
enum { OPT_ERR, OPT_FD, OPT_OFF, OPT_SIZE, OPT_RESULT, OPT_STATUS, OPT_PID, N_OPTS };
static const char *const opt_names[N_OPTS] = {"err",    "fd",     "off", "size",
                                              "result", "status", "pid"};

struct opts {
    int seen[N_OPTS];
    struct tok val[N_OPTS];
    const struct tok *field[N_OPTS]; /* the whole key=value, for messages */
};

static int parse_opts(struct vmr_trace_reader *r, const struct tok *tok, int from, int ntok,
                      unsigned allowed, int kind, struct opts *o)
{
    memset(o->seen, 0, sizeof o->seen);
    for (int i = from; i < ntok; i++) {
        int j;
        struct tok v;
        for (j = 0; j < N_OPTS; j++)
            if ((allowed & (1u << j)) && tok_opt(&tok[i], opt_names[j], &v))
                break;
        if (j == N_OPTS)
            return fail_at(r, VMR_EFORMAT, &tok[i], "unexpected field for %s (expected '%s')",
                           vmr_rec_kind_name((unsigned)kind), syntax[kind]);
        if (o->seen[j])
            return fail_at(r, VMR_EFORMAT, &tok[i], "%s= given twice", opt_names[j]);
        o->seen[j] = 1;
        o->val[j] = v;
        o->field[j] = &tok[i];
    }
    return 0;
}

/* Parses one record line into out[0..*n) (two records for an exec that
 * declares its file implicitly). */
static int parse_record(struct vmr_trace_reader *r, struct tok *tok, int ntok,
                        struct vmr_record *out, int *n)
{
    struct tr *t = r->impl;
    int kind = kind_of(&tok[0]);
    if (kind < 0) {
        if (tok_is(&tok[0], "pagesize") || tok_is(&tok[0], "meta"))
            return fail_at(r, VMR_EFORMAT, &tok[0], "%.*s must come before the first record",
                           (int)tok[0].n, tok[0].s);
        return fail_at(r, VMR_EFORMAT, &tok[0], "unknown record kind");
    }
    /* positional fields each kind needs before its options */
    static const uint8_t n_pos[VMR_REC_N_KINDS] = {
        [VMR_REC_READ] = 2,    [VMR_REC_WRITE] = 2,    [VMR_REC_FETCH] = 2, [VMR_REC_MMAP] = 5,
        [VMR_REC_MUNMAP] = 3,  [VMR_REC_MPROTECT] = 4, [VMR_REC_BRK] = 2,   [VMR_REC_FORK] = 2,
        [VMR_REC_THREAD] = 2,  [VMR_REC_EXEC] = 2,     [VMR_REC_EXIT] = 1,  [VMR_REC_FILE] = 2,
        [VMR_REC_MADVISE] = 4, [VMR_REC_MSYNC] = 3,    [VMR_REC_MARK] = 1,
    };
    const char *kname = vmr_rec_kind_name((unsigned)kind);
    if (ntok < 1 + n_pos[kind])
        return fail(r, VMR_EFORMAT, "too few fields for %s (expected '%s')", kname, syntax[kind]);
    struct vmr_record *rec = &out[0];
    memset(rec, 0, sizeof *rec);
    rec->kind = (uint8_t)kind;
    *n = 1;
    struct opts o;
    int rc;
    /* Kinds with a pid first (all but file and mark). */
    if (kind != VMR_REC_FILE && kind != VMR_REC_MARK) {
        rc = num_u32(r, &tok[1], "pid", &rec->pid);
        if (rc != 0)
            return rc;
    }
    /* ADDR and LEN of the kinds that have them. */
    if (kind != VMR_REC_FORK && kind != VMR_REC_THREAD && kind != VMR_REC_EXEC &&
        kind != VMR_REC_EXIT && kind != VMR_REC_FILE && kind != VMR_REC_MARK) {
        rc = num_size(r, &tok[2], "address", &rec->addr);
        if (rc != 0)
            return rc;
        if (kind != VMR_REC_BRK && !vmr_rec_is_access((unsigned)kind)) {
            rc = num_size(r, &tok[3], "length", &rec->len);
            if (rc != 0)
                return rc;
        }
    }
    unsigned allowed = 0;
    int from = 1 + n_pos[kind];
    switch (kind) {
    case VMR_REC_READ:
    case VMR_REC_WRITE:
    case VMR_REC_FETCH: {
        int i = 3;
        rec->size = rec->count = 1;
        if (i < ntok && !(tok[i].n && tok[i].s[0] == '*' && !tok[i].quoted)) {
            uint64_t size;
            rc = num_size(r, &tok[i], "access size", &size);
            if (rc != 0)
                return rc;
            if (size > UINT32_MAX)
                return fail_at(r, VMR_ERANGE, &tok[i],
                               "access size out of range (at most 4294967295)");
            rec->size = (uint32_t)size;
            i++;
        }
        if (i < ntok && tok[i].n && tok[i].s[0] == '*' && !tok[i].quoted) {
            struct tok c = {tok[i].s + 1, tok[i].n - 1, 0};
            rc = num_u32(r, &c, "count", &rec->count);
            if (rc != 0)
                return rc;
            i++;
        }
        if (i < ntok)
            return fail_at(r, VMR_EFORMAT, &tok[i], "unexpected field for %s (expected '%s')",
                           kname, syntax[kind]);
        from = ntok;
        break;
    }
    case VMR_REC_MMAP:
        rc = field_prot(r, &tok[4], &rec->prot);
        if (rc == 0)
            rc = field_flags(r, &tok[5], text_mmap_flags, text_n_mmap_flags, "mmap", &rec->flags);
        if (rc != 0)
            return rc;
        allowed = 1u << OPT_ERR | 1u << OPT_FD | 1u << OPT_OFF;
        break;
    case VMR_REC_MPROTECT:
        rc = field_prot(r, &tok[4], &rec->prot);
        if (rc != 0)
            return rc;
        allowed = 1u << OPT_ERR;
        break;
    case VMR_REC_MUNMAP:
        allowed = 1u << OPT_ERR;
        break;
    case VMR_REC_MADVISE:
        rc = field_advice(r, &tok[4], &rec->flags);
        if (rc != 0)
            return rc;
        allowed = 1u << OPT_ERR;
        break;
    case VMR_REC_MSYNC:
        if (from < ntok && !tok_opt(&tok[from], "err", &(struct tok){0})) {
            rc = field_flags(r, &tok[from], text_msync_flags, text_n_msync_flags, "msync",
                             &rec->flags);
            if (rc != 0)
                return rc;
            from++;
        }
        allowed = 1u << OPT_ERR;
        break;
    case VMR_REC_BRK:
        allowed = 1u << OPT_RESULT;
        break;
    case VMR_REC_FORK:
    case VMR_REC_THREAD:
        rc = num_u32(r, &tok[2], kind == VMR_REC_FORK ? "child pid" : "thread id", &rec->arg);
        if (rc != 0)
            return rc;
        break;
    case VMR_REC_EXIT:
        allowed = 1u << OPT_STATUS;
        break;
    case VMR_REC_EXEC:
        if (from < ntok && tok_is(&tok[from], "mapped") && !tok[from].quoted) {
            rec->flags = VMR_EXEC_MAPPED;
            from++;
        }
        allowed = 1u << OPT_ERR;
        break;
    case VMR_REC_FILE:
        rc = num_u32(r, &tok[1], "file id", &rec->arg);
        if (rc == 0)
            rc = arena_string(r, &tok[2], &rec->str);
        if (rc != 0)
            return rc;
        allowed = 1u << OPT_SIZE;
        break;
    case VMR_REC_MARK:
        rc = arena_string(r, &tok[1], &rec->str);
        if (rc != 0)
            return rc;
        allowed = 1u << OPT_PID;
        break;
    }
    rc = parse_opts(r, tok, from, ntok, allowed, kind, &o);
    if (rc != 0)
        return rc;

    if (o.seen[OPT_ERR] && (rc = field_errno(r, &o.val[OPT_ERR], &rec->err)) != 0)
        return rc;
    if (o.seen[OPT_OFF] && (rc = num_size(r, &o.val[OPT_OFF], "offset", &rec->off)) != 0)
        return rc;
    if (o.seen[OPT_STATUS] && (rc = num_u32(r, &o.val[OPT_STATUS], "status", &rec->arg)) != 0)
        return rc;
    if (o.seen[OPT_PID] && (rc = num_u32(r, &o.val[OPT_PID], "pid", &rec->pid)) != 0)
        return rc;
    if (kind == VMR_REC_BRK) {
        rec->off = rec->addr;
        if (o.seen[OPT_RESULT] && (rc = num_size(r, &o.val[OPT_RESULT], "result", &rec->off)) != 0)
            return rc;
    }
    if (kind == VMR_REC_FILE) {
        rec->off = VMR_FILE_SIZE_UNKNOWN;
        if (o.seen[OPT_SIZE] && (rc = num_size(r, &o.val[OPT_SIZE], "size", &rec->off)) != 0)
            return rc;
    }
    if (o.seen[OPT_FD]) {
        rc = num_u32(r, &o.val[OPT_FD], "file id", &rec->arg);
        if (rc != 0)
            return rc;
        if (!text_files_by_fid(&t->files, rec->arg))
            return fail_at(r, VMR_EFORMAT, o.field[OPT_FD], "fd=%u names no declared file",
                           (unsigned)rec->arg);
    }
    if (kind == VMR_REC_MMAP) {
        unsigned ps = rec->flags & (VMR_MAP_PRIVATE | VMR_MAP_SHARED);
        if (ps == 0 || ps == (VMR_MAP_PRIVATE | VMR_MAP_SHARED))
            return fail_at(r, VMR_EFORMAT, &tok[5], "mmap needs exactly one of private and shared");
        if (o.seen[OPT_FD] && (rec->flags & VMR_MAP_ANON))
            return fail_at(r, VMR_EFORMAT, &tok[5], "a file mapping (fd=) cannot be anon");
    }
    if (kind == VMR_REC_EXEC) {
        struct tok fdv;
        if (tok_opt(&tok[2], "fd", &fdv)) {
            rc = num_u32(r, &fdv, "file id", &rec->arg);
            if (rc != 0)
                return rc;
            if (!text_files_by_fid(&t->files, rec->arg))
                return fail_at(r, VMR_EFORMAT, &tok[2], "fd=%u names no declared file",
                               (unsigned)rec->arg);
        } else {
            const char *path;
            rc = arena_string(r, &tok[2], &path);
            if (rc != 0)
                return rc;
            const struct text_file *f = text_files_by_path(&t->files, path, strlen(path));
            if (f) {
                rec->arg = f->fid;
            } else {
                /* declare the program's file first: out[0] = file, out[1] = exec */
                uint32_t fid = text_files_peek_implicit(&t->files);
                if (fid == 0)
                    return fail(r, VMR_ERANGE, "no file id left for an implicit declaration");
                out[1] = *rec;
                out[1].arg = fid;
                *rec = (struct vmr_record){.kind = VMR_REC_FILE,
                                           .arg = fid,
                                           .off = VMR_FILE_SIZE_UNKNOWN,
                                           .flags = VMR_FILE_IMPLICIT,
                                           .str = path};
                *n = 2;
            }
        }
    }
    for (int i = 0; i < *n; i++) {
        char msg[256];
        rc = trace_record_check(&out[i], msg, sizeof msg);
        if (rc != 0)
            return fail(r, rc == VMR_ERANGE ? VMR_ERANGE : VMR_EFORMAT, "%s", msg);
    }
    if (out[0].kind == VMR_REC_FILE) {
        if (text_files_declare(&t->files, out[0].arg, out[0].str, strlen(out[0].str), out[0].off,
                               out[0].flags) != 0)
            return fail_oom(r);
        if (out[0].flags & VMR_FILE_IMPLICIT)
            t->files.next_implicit = out[0].arg - 1;
    }
    return 0;
}

/* ---- header ------------------------------------------------------------ */

static int header_string(struct vmr_trace_reader *r, const struct tok *k, const char **out)
{
    char *s = malloc(k->n + 1);
    if (!s)
        return fail_oom(r);
    size_t n;
    int rc = unescape(r, k, s, &n);
    if (rc != 0) {
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

static int parse_header(struct vmr_trace_reader *r)
{
    struct tr *t = r->impl;
    int have_pagesize = 0;
    r->info.page_size = TRACE_DEFAULT_PAGE_SIZE;
    for (;;) {
        size_t saved = t->pos, n;
        uint64_t saved_off = t->buf_off;
        const char *line;
        int rc = get_line(r, TEXT_MAX_META_LINE, &line, &n);
        if (rc < 0)
            return rc;
        if (rc == 0)
            break;
        struct tok tok[MAX_TOKENS];
        int ntok;
        if (saved_off != t->buf_off) /* get_line moved the buffer: find the line again */
            saved = (size_t)(line - t->buf);
        rc = tokenize(r, line, n, tok, &ntok);
        if (rc != 0)
            return rc;
        if (n > TEXT_MAX_LINE && !(ntok > 0 && tok_is(&tok[0], "meta")))
            return fail(r, VMR_EFORMAT, "line longer than %u bytes", TEXT_MAX_LINE);
        if (ntok == 0)
            continue;
        if (tok_is(&tok[0], "pagesize")) {
            uint64_t ps;
            if (ntok != 2)
                return fail(r, VMR_EFORMAT, "expected 'pagesize BYTES'");
            if (have_pagesize)
                return fail(r, VMR_EFORMAT, "pagesize given twice");
            rc = num_size(r, &tok[1], "page size", &ps);
            if (rc != 0)
                return rc;
            if (ps == 0 || (ps & (ps - 1)) != 0 || ps > (1u << 30))
                return fail_at(r, VMR_EFORMAT, &tok[1],
                               "page size must be a power of two from 1 to 1G");
            r->info.page_size = (uint32_t)ps;
            have_pagesize = 1;
        } else if (tok_is(&tok[0], "meta")) {
            if (ntok != 3)
                return fail(r, VMR_EFORMAT,
                            "expected 'meta KEY VALUE' (quote a value with spaces)");
            if (t->n_meta == TRACE_MAX_META)
                return fail(r, VMR_EFORMAT, "more than %d meta lines", TRACE_MAX_META);
            if (vmr_grow((void **)&t->meta, &t->cap_meta, t->n_meta + 1, sizeof *t->meta) != 0)
                return fail_oom(r);
            struct vmr_trace_meta *m = &t->meta[t->n_meta];
            m->key = m->value = NULL;
            rc = header_string(r, &tok[1], &m->key);
            if (rc == 0)
                rc = header_string(r, &tok[2], &m->value);
            if (rc == 0 || m->key) /* counted so that destroy frees it */
                t->n_meta++;
            if (rc != 0)
                return rc;
            size_t kn = strlen(m->key), vn = strlen(m->value);
            if (kn == 0 || kn > TRACE_MAX_KEY)
                return fail_at(r, VMR_EFORMAT, &tok[1], "meta key must be 1 to %d bytes",
                               TRACE_MAX_KEY);
            if (vn > TRACE_MAX_VALUE)
                return fail(r, VMR_EFORMAT, "meta value longer than %u bytes", TRACE_MAX_VALUE);
        } else {
            unget_line(t, saved);
            break;
        }
    }
    t->body_off = t->buf_off + t->pos;
    t->body_line = t->line;
    r->info.n_meta = t->n_meta;
    r->info.meta = t->meta;
    return 0;
}

/* ---- ops --------------------------------------------------------------- */

static int tr_next(struct vmr_trace_reader *r, struct vmr_record *recs, size_t max, size_t *n)
{
    struct tr *t = r->impl;
    size_t k = 0;
    t->arena_len = 0;
    t->n_batch = 0;
    *n = 0;
    /* lines[] grows with the batch, not with max, which may be huge */
    if (t->has_pending) {
        recs[k] = t->pending;
        t->lines[k++] = t->pending_line;
        t->has_pending = 0;
    }
    while (k < max && !t->err_rc) {
        size_t saved = t->pos, len;
        uint64_t saved_off = t->buf_off;
        const char *line;
        int rc = get_line(r, TEXT_MAX_LINE, &line, &len);
        if (rc <= 0) {
            t->err_rc = rc;
            break;
        }
        if (saved_off != t->buf_off)
            saved = (size_t)(line - t->buf);
        if (TEXT_ARENA - t->arena_len < len + 1) {
            unget_line(t, saved); /* its strings might not fit: next batch */
            break;
        }
        if (k + 2 > t->cap_lines &&
            vmr_grow((void **)&t->lines, &t->cap_lines, k + 2, sizeof *t->lines) != 0) {
            t->err_rc = fail_oom(r);
            break;
        }
        struct tok tok[MAX_TOKENS];
        struct vmr_record out[2];
        int ntok, m = 0;
        rc = tokenize(r, line, len, tok, &ntok);
        if (rc == 0 && ntok > 0)
            rc = parse_record(r, tok, ntok, out, &m);
        if (rc != 0) {
            t->err_rc = rc;
            break;
        }
        for (int i = 0; i < m; i++) {
            if (k < max) {
                recs[k] = out[i];
                t->lines[k++] = t->line;
            } else {
                t->pending = out[i]; /* only ever the exec after its implicit file */
                t->pending_line = t->line;
                t->has_pending = 1;
            }
        }
    }
    t->n_batch = k;
    *n = k;
    return k == 0 ? t->err_rc : 0;
}

static int tr_rewind(struct vmr_trace_reader *r)
{
    struct tr *t = r->impl;
    clearerr(r->fp);
    if (fseeko(r->fp, (off_t)t->body_off, SEEK_SET) != 0) {
        trace_errf(r->err, "%s: cannot seek: %s", r->name, strerror(errno));
        return VMR_EIO;
    }
    t->pos = t->len = 0;
    t->eof = 0;
    t->buf_off = t->body_off;
    t->line = t->body_line;
    t->has_pending = 0;
    t->err_rc = 0;
    t->n_batch = 0;
    t->arena_len = 0;
    text_files_clear(&t->files);
    return 0;
}

static void tr_where(const struct vmr_trace_reader *r, size_t i, char *buf, size_t len)
{
    const struct tr *t = r->impl;
    if (i < t->n_batch)
        vmr_errf(buf, len, "%s:%llu", r->name, (unsigned long long)t->lines[i]);
    else
        vmr_errf(buf, len, "%s", r->name);
}

static void tr_destroy(struct vmr_trace_reader *r)
{
    struct tr *t = r->impl;
    if (!t)
        return;
    for (size_t i = 0; i < t->n_meta; i++) {
        free((void *)t->meta[i].key);
        free((void *)t->meta[i].value);
    }
    free(t->meta);
    text_files_release(&t->files);
    free(t->buf);
    free(t->arena);
    free(t->lines);
    free(t);
    r->impl = NULL;
}

static const struct reader_ops tr_ops = {
    .next = tr_next, .rewind = tr_rewind, .where = tr_where, .destroy = tr_destroy};

int text_reader_init(struct vmr_trace_reader *r)
{
    struct tr *t = calloc(1, sizeof *t);
    r->impl = t;
    r->ops = &tr_ops;
    if (!t || !(t->buf = malloc(TEXT_BUF_INIT)) || !(t->arena = malloc(TEXT_ARENA)) ||
        text_files_init(&t->files) != 0) {
        tr_destroy(r);
        return fail_oom(r);
    }
    t->cap = TEXT_BUF_INIT;
    r->info.form = VMR_FORM_TEXT;
    r->info.version_major = 1;
    r->info.version_minor = 0;
    r->info.indexed = 0;
    int rc = parse_header(r);
    if (rc != 0) {
        tr_destroy(r);
        return rc;
    }
    return 0;
}
