/*
 * synth.c - the synthetic trace generator (vmreplay/synth.h): options, the
 * header metadata, and the record stream.
 *
 * Owns a copy of the configuration, the pattern tables, the metadata strings
 *, all allocated in vmr_synth_create. The stream is a
 * small state machine (prologue, accesses, epilogue) so vmr_synth_next can
 * stop after any record and resume; with collapsing, the access being merged
 * into is held in `pending` across calls. Every random draw comes from one
 * xoshiro256** stream seeded from cfg.seed, in a fixed order per access
 * (component, page, op, pid, offset), which is what makes output a function
 * of the configuration alone.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "parse.h"
#include "vec.h"
#include "vmreplay/synth.h"

#define MAX_FOOTPRINT (UINT64_C(1) << 46) /* 64 TiB: BASE + footprint stays canonical */
#define MAX_PROCESSES (1u << 20)
#define MAX_PAGE_SIZE (1u << 30)

enum phase { PH_FILE, PH_MMAP, PH_FORK, PH_ACCESS, PH_EXIT, PH_DONE };

enum {
    META_RECORDER,
    META_COMMAND,
    META_VERSION,
    META_PATTERN,
    META_FOOTPRINT,
    META_ACCESSES,
    META_WRITE_FRACTION,
    META_ACCESS_SIZE,
    META_PAGE_SIZE,
    META_SEED,
    META_PROCESSES,
    META_BACKING,
    META_COLLAPSE,
    N_META
};

struct vmr_synth {
    struct vmr_synth_config cfg; /* cfg.pattern points to `pattern` */
    char *pattern;
    struct synth_pattern pat;
    struct vmr_rng rng;

    struct vmr_trace_header hdr;
    struct vmr_trace_meta meta[N_META];
    char *meta_values[N_META];

    /* derived once */
    unsigned page_shift, size_shift;
    unsigned slot_bits;    /* log2(page_size / access_size) */
    uint64_t write_thresh; /* write when 53 random bits < this */
    int draw_op;           /* 0 < write_fraction < 1 */

    enum phase phase;
    uint32_t next_pid; /* fork and exit phases */
    uint64_t left;     /* accesses still to produce */
    struct vmr_record pending;
    int have_pending;
};

static const char *const backing_names[] = {"anon", "file", "shared"};

void vmr_synth_config_init(struct vmr_synth_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->pattern = "zipf:0.9";
    cfg->footprint_bytes = UINT64_C(64) << 20;
    cfg->n_accesses = 1000000;
    cfg->write_fraction = 0.3;
    cfg->access_size = 8;
    cfg->page_size = 4096;
    cfg->seed = 1;
    cfg->n_processes = 1;
    cfg->backing = VMR_SYNTH_ANON;
    cfg->collapse = 0;
}

static int is_pow2(uint64_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

static unsigned log2_u64(uint64_t x)
{
    unsigned r = 0;
    while (x >>= 1)
        r++;
    return r;
}

int vmr_synth_parse_count(const char *s, uint64_t *out)
{
    size_t len = strlen(s);
    if (len == 0)
        return VMR_EINVAL;
    unsigned exp10;
    switch (s[len - 1]) {
    case 'k':
    case 'K':
        exp10 = 3;
        break;
    case 'M':
        exp10 = 6;
        break;
    case 'G':
        exp10 = 9;
        break;
    default:
        return vmr_parse_u64(s, out);
    }
    len--;
    /* DIGITS[.DIGITS] then the suffix, done in integers so 1.1M is exact */
    size_t n_int = 0;
    while (n_int < len && s[n_int] >= '0' && s[n_int] <= '9')
        n_int++;
    const char *frac = s + n_int;
    size_t n_frac = 0;
    if (n_int < len) {
        if (s[n_int] != '.')
            return VMR_EINVAL;
        frac++;
        n_frac = len - n_int - 1;
        for (size_t i = 0; i < n_frac; i++)
            if (frac[i] < '0' || frac[i] > '9')
                return VMR_EINVAL;
        if (n_frac == 0)
            return VMR_EINVAL;
    }
    if (n_int == 0)
        return VMR_EINVAL;
    uint64_t mult = 1, v;
    for (unsigned i = 0; i < exp10; i++)
        mult *= 10;
    int rc = vmr_parse_u64_n(s, n_int, &v);
    if (rc != 0)
        return rc;
    if (v > UINT64_MAX / mult)
        return VMR_ERANGE;
    v *= mult;
    uint64_t scale = mult;
    for (size_t i = 0; i < n_frac; i++) {
        unsigned d = (unsigned)(frac[i] - '0');
        scale /= 10;
        if (scale == 0) {
            if (d != 0)
                return VMR_EINVAL; /* not a whole number */
            continue;
        }
        if (v > UINT64_MAX - d * scale)
            return VMR_ERANGE;
        v += d * scale;
    }
    *out = v;
    return 0;
}

static int bad_value(char *err, size_t err_len, int rc, const char *key, const char *value,
                     const char *expected)
{
    if (rc == VMR_ERANGE)
        vmr_errf(err, err_len, "--%s '%s': too large (expected %s)", key, value, expected);
    else
        vmr_errf(err, err_len, "--%s '%s': expected %s", key, value, expected);
    return rc == VMR_ERANGE ? VMR_ERANGE : VMR_EINVAL;
}

int vmr_synth_config_set(struct vmr_synth_config *cfg, const char *key, const char *value,
                         char *err, size_t err_len)
{
    uint64_t v;
    int rc;
    if (strcmp(key, "pattern") == 0) {
        if (*value == 0)
            return bad_value(err, err_len, VMR_EINVAL, key, value,
                             "components NAME[:ARG][:key=value...][@WEIGHT] separated by ','");
        cfg->pattern = value;
    } else if (strcmp(key, "footprint") == 0) {
        static const char what[] = "a size of at least one page and at most 64T, in bytes with an "
                                   "optional K/M/G/T unit (e.g. 64M)";
        if ((rc = vmr_parse_size(value, &v)) != 0)
            return bad_value(err, err_len, rc, key, value, what);
        if (v == 0 || v > MAX_FOOTPRINT)
            return bad_value(err, err_len, VMR_ERANGE, key, value, what);
        cfg->footprint_bytes = v;
    } else if (strcmp(key, "accesses") == 0) {
        static const char what[] = "a count, with an optional k/M/G suffix meaning 10^3/10^6/10^9 "
                                   "(e.g. 1M, 2.5k, 100000000)";
        if ((rc = vmr_synth_parse_count(value, &v)) != 0)
            return bad_value(err, err_len, rc, key, value, what);
        cfg->n_accesses = v;
    } else if (strcmp(key, "write-fraction") == 0) {
        double d;
        if (vmr_parse_double(value, &d) != 0 || !(d >= 0 && d <= 1))
            return bad_value(err, err_len, VMR_EINVAL, key, value, "a number from 0 to 1");
        cfg->write_fraction = d;
    } else if (strcmp(key, "access-size") == 0 || strcmp(key, "page-size") == 0) {
        static const char what[] = "a power of two from 1 to 1G, in bytes with an optional "
                                   "K/M/G unit";
        if ((rc = vmr_parse_size(value, &v)) != 0)
            return bad_value(err, err_len, rc, key, value, what);
        if (!is_pow2(v) || v > MAX_PAGE_SIZE)
            return bad_value(err, err_len, VMR_EINVAL, key, value, what);
        if (key[1] == 'c')
            cfg->access_size = (uint32_t)v;
        else
            cfg->page_size = (uint32_t)v;
    } else if (strcmp(key, "seed") == 0) {
        if ((rc = vmr_parse_u64(value, &v)) != 0)
            return bad_value(err, err_len, rc, key, value,
                             "an unsigned 64-bit number (decimal or 0x hex)");
        cfg->seed = v;
    } else if (strcmp(key, "processes") == 0) {
        static const char what[] = "a number of processes from 1 to 1048576";
        if ((rc = vmr_parse_u64(value, &v)) != 0)
            return bad_value(err, err_len, rc, key, value, what);
        if (v == 0 || v > MAX_PROCESSES)
            return bad_value(err, err_len, VMR_ERANGE, key, value, what);
        cfg->n_processes = (uint32_t)v;
    } else if (strcmp(key, "backing") == 0) {
        size_t i;
        for (i = 0; i < 3; i++)
            if (strcmp(value, backing_names[i]) == 0)
                break;
        if (i == 3)
            return bad_value(err, err_len, VMR_EINVAL, key, value, "anon, file or shared");
        cfg->backing = (enum vmr_synth_backing)i;
    } else if (strcmp(key, "collapse") == 0) {
        if (strcmp(value, "0") && strcmp(value, "1"))
            return bad_value(err, err_len, VMR_EINVAL, key, value, "0 or 1");
        cfg->collapse = value[0] == '1';
    } else {
        vmr_errf(err, err_len, "unknown synth option '%s'", key);
        return VMR_EINVAL;
    }
    return 0;
}

/* Shortest "%g" that reads back as the same double, so 0.3 stays "0.3". */
static void format_double(char *buf, size_t len, double d)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            return;
    }
}

/* The pattern in single quotes for a shell ('\'' for a quote). */
static size_t shell_quote(char *out, const char *s)
{
    size_t n = 0;
    out[n++] = '\'';
    for (; *s; s++) {
        if (*s == '\'') {
            memcpy(out + n, "'\\''", 4);
            n += 4;
        } else {
            out[n++] = *s;
        }
    }
    out[n++] = '\'';
    out[n] = 0;
    return n;
}

static int build_meta(struct vmr_synth *s)
{
    const struct vmr_synth_config *c = &s->cfg;
    static const char *const keys[N_META] = {
        "recorder",        "command",        "synth.version",        "synth.pattern",
        "synth.footprint", "synth.accesses", "synth.write-fraction", "synth.access-size",
        "synth.page-size", "synth.seed",     "synth.processes",      "synth.backing",
        "synth.collapse",
    };
    char num[N_META][32];
    snprintf(num[META_VERSION], 32, "%d", VMR_SYNTH_VERSION);
    snprintf(num[META_FOOTPRINT], 32, "%" PRIu64, c->footprint_bytes);
    snprintf(num[META_ACCESSES], 32, "%" PRIu64, c->n_accesses);
    format_double(num[META_WRITE_FRACTION], 32, c->write_fraction);
    snprintf(num[META_ACCESS_SIZE], 32, "%" PRIu32, c->access_size);
    snprintf(num[META_PAGE_SIZE], 32, "%" PRIu32, c->page_size);
    snprintf(num[META_SEED], 32, "%" PRIu64, c->seed);
    snprintf(num[META_PROCESSES], 32, "%" PRIu32, c->n_processes);
    snprintf(num[META_COLLAPSE], 32, "%d", c->collapse);

    size_t cmd_len = 4 * strlen(c->pattern) + 512;
    char *cmd = malloc(cmd_len);
    if (!cmd)
        return VMR_ENOMEM;
    size_t n = (size_t)snprintf(cmd, cmd_len, "vmreplay synth --pattern ");
    n += shell_quote(cmd + n, c->pattern);
    snprintf(cmd + n, cmd_len - n,
             " --footprint %s --accesses %s --write-fraction %s --access-size %s"
             " --page-size %s --seed %s --processes %s --backing %s%s",
             num[META_FOOTPRINT], num[META_ACCESSES], num[META_WRITE_FRACTION],
             num[META_ACCESS_SIZE], num[META_PAGE_SIZE], num[META_SEED], num[META_PROCESSES],
             backing_names[c->backing], c->collapse ? " --collapse" : "");
    s->meta_values[META_COMMAND] = cmd;

    for (int i = 0; i < N_META; i++) {
        if (i == META_COMMAND)
            continue;
        const char *v = i == META_RECORDER  ? "synth"
                        : i == META_PATTERN ? c->pattern
                        : i == META_BACKING ? backing_names[c->backing]
                                            : num[i];
        if (!(s->meta_values[i] = vmr_strdup(v)))
            return VMR_ENOMEM;
    }
    for (int i = 0; i < N_META; i++) {
        s->meta[i].key = keys[i];
        s->meta[i].value = s->meta_values[i];
    }
    s->hdr.page_size = c->page_size;
    s->hdr.n_meta = N_META;
    s->hdr.meta = s->meta;
    return 0;
}

int vmr_synth_create(struct vmr_synth **out, const struct vmr_synth_config *cfg, char *err,
                     size_t err_len)
{
    *out = NULL;
    const struct vmr_synth_config *c = cfg;
    if (c->footprint_bytes == 0 || c->footprint_bytes > MAX_FOOTPRINT || c->n_processes == 0 ||
        !is_pow2(c->page_size) || !is_pow2(c->access_size) || !(c->write_fraction >= 0) ||
        !(c->write_fraction <= 1) || !c->pattern) {
        vmr_errf(err, err_len, "synth: invalid configuration");
        return VMR_EINVAL;
    }
    if (c->footprint_bytes % c->page_size != 0) {
        vmr_errf(err, err_len,
                 "--footprint %" PRIu64 " is not a whole number of pages of --page-size %" PRIu32,
                 c->footprint_bytes, c->page_size);
        return VMR_EINVAL;
    }
    if (c->access_size > c->page_size) {
        vmr_errf(err, err_len, "--access-size %" PRIu32 " is larger than --page-size %" PRIu32,
                 c->access_size, c->page_size);
        return VMR_EINVAL;
    }

    struct vmr_synth *s = calloc(1, sizeof *s);
    if (!s)
        goto nomem;
    s->cfg = *c;
    if (!(s->pattern = vmr_strdup(c->pattern)))
        goto nomem;
    s->cfg.pattern = s->pattern;
    s->page_shift = log2_u64(c->page_size);
    s->size_shift = log2_u64(c->access_size);
    s->slot_bits = s->page_shift - s->size_shift;
    int rc = synth_pattern_parse(&s->pat, s->pattern, c->footprint_bytes >> s->page_shift,
                                 c->page_size, c->seed, err, err_len);
    if (rc != 0) {
        vmr_synth_destroy(s);
        return rc;
    }
    if (build_meta(s) != 0)
        goto nomem;

    s->draw_op = c->write_fraction > 0 && c->write_fraction < 1;
    s->write_thresh = (uint64_t)(c->write_fraction * 0x1.0p53);
    /* the pattern's permutations used the seed directly: decorrelate */
    vmr_rng_seed(&s->rng, c->seed ^ 0x73796e7468ULL);
    s->phase = c->backing == VMR_SYNTH_ANON ? PH_MMAP : PH_FILE;
    s->next_pid = 2;
    s->left = c->n_accesses;
    *out = s;
    return 0;
nomem:
    vmr_synth_destroy(s);
    vmr_errf(err, err_len, "synth: out of memory");
    return VMR_ENOMEM;
}

const struct vmr_trace_header *vmr_synth_header(const struct vmr_synth *s)
{
    return &s->hdr;
}

static inline void gen_access(struct vmr_synth *s, struct vmr_record *r)
{
    struct synth_pattern *p = &s->pat;
    size_t ci = 0;
    if (p->n_comps > 1) {
        double u = vmr_rng_double(&s->rng);
        while (u >= p->cum_weight[ci]) /* cum_weight[last] == 1 > u */
            ci++;
    }
    uint64_t page = synth_component_next(&p->comps[ci], &s->rng);
    unsigned op;
    if (s->draw_op)
        op = (vmr_rng_next(&s->rng) >> 11) < s->write_thresh ? VMR_REC_WRITE : VMR_REC_READ;
    else
        op = s->cfg.write_fraction > 0 ? VMR_REC_WRITE : VMR_REC_READ;
    uint32_t pid = 1;
    if (s->cfg.n_processes > 1)
        pid += (uint32_t)vmr_rng_below(&s->rng, s->cfg.n_processes);
    uint64_t off = 0;
    if (s->slot_bits)
        off = (vmr_rng_next(&s->rng) >> (64 - s->slot_bits)) << s->size_shift;
    *r = (struct vmr_record){
        .addr = VMR_SYNTH_BASE + (page << s->page_shift) + off,
        .pid = pid,
        .size = s->cfg.access_size,
        .count = 1,
        .kind = (uint8_t)op,
    };
}

static size_t gen_accesses(struct vmr_synth *s, struct vmr_record *recs, size_t room)
{
    if (!s->cfg.collapse) {
        size_t k = room < s->left ? room : (size_t)s->left;
        for (size_t i = 0; i < k; i++)
            gen_access(s, &recs[i]);
        s->left -= k;
        return k;
    }
    size_t n = 0;
    while (n < room) {
        if (s->left == 0) {
            if (s->have_pending) {
                recs[n++] = s->pending;
                s->have_pending = 0;
            }
            break;
        }
        struct vmr_record r;
        gen_access(s, &r);
        s->left--;
        struct vmr_record *q = &s->pending;
        if (s->have_pending && q->pid == r.pid && q->kind == r.kind &&
            q->addr >> s->page_shift == r.addr >> s->page_shift && q->count < UINT32_MAX) {
            /* as a recorder does: the merged record keeps the first address */
            q->count++;
        } else {
            if (s->have_pending)
                recs[n++] = *q;
            *q = r;
            s->have_pending = 1;
        }
    }
    return n;
}

int vmr_synth_next(struct vmr_synth *s, struct vmr_record *recs, size_t max, size_t *n_out)
{
    const struct vmr_synth_config *c = &s->cfg;
    size_t n = 0;
    while (n < max && s->phase != PH_DONE) {
        switch (s->phase) {
        case PH_FILE:
            recs[n++] = (struct vmr_record){.kind = VMR_REC_FILE,
                                            .arg = VMR_SYNTH_FILE_ID,
                                            .off = c->footprint_bytes,
                                            .str = VMR_SYNTH_FILE_PATH};
            s->phase = PH_MMAP;
            break;
        case PH_MMAP: {
            uint16_t flags = c->backing == VMR_SYNTH_ANON     ? VMR_MAP_PRIVATE | VMR_MAP_ANON
                             : c->backing == VMR_SYNTH_SHARED ? VMR_MAP_SHARED
                                                              : VMR_MAP_PRIVATE;
            recs[n++] = (struct vmr_record){
                .kind = VMR_REC_MMAP,
                .pid = 1,
                .addr = VMR_SYNTH_BASE,
                .len = c->footprint_bytes,
                .prot = VMR_PROT_READ | VMR_PROT_WRITE,
                .flags = flags,
                .arg = c->backing == VMR_SYNTH_ANON ? VMR_FID_NONE : VMR_SYNTH_FILE_ID,
            };
            s->phase = PH_FORK;
            break;
        }
        case PH_FORK:
            if (s->next_pid > c->n_processes) {
                s->phase = PH_ACCESS;
                break;
            }
            recs[n++] = (struct vmr_record){.kind = VMR_REC_FORK, .pid = 1, .arg = s->next_pid++};
            break;
        case PH_ACCESS:
            n += gen_accesses(s, recs + n, max - n);
            if (s->left == 0 && !s->have_pending) {
                s->phase = PH_EXIT;
                s->next_pid = 2;
            }
            break;
        case PH_EXIT:
            /* children first, so no child outlives its parent */
            if (s->next_pid > c->n_processes) {
                recs[n++] = (struct vmr_record){.kind = VMR_REC_EXIT, .pid = 1};
                s->phase = PH_DONE;
            } else {
                recs[n++] = (struct vmr_record){.kind = VMR_REC_EXIT, .pid = s->next_pid++};
            }
            break;
        case PH_DONE:
            break;
        }
    }
    *n_out = n;
    return 0;
}

void vmr_synth_destroy(struct vmr_synth *s)
{
    if (!s)
        return;
    synth_pattern_release(&s->pat);
    for (int i = 0; i < N_META; i++)
        free(s->meta_values[i]);
    free(s->pattern);
    free(s);
}
