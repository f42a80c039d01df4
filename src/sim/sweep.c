/*
 * sweep.c - the cross product of traces and replay options (analysis.h),
 * its spec file, and running it in process through compare.
 *
 * Job order: trace first, then each option in the order it was added, the
 * last varying fastest; `vmreplay sweep --emit-jobs` numbers its commands in
 * the same order, so merging their outputs by job number gives the rows the
 * in-process sweep writes.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vec.h"
#include "vmreplay/analysis.h"

#define MAX_OPTIONS 32 /* at least the keys of vmr_replay_config_set */

struct option_values {
    char *key;
    char **values;
    size_t n;
};

struct vmr_sweep {
    char **traces;
    size_t n_traces, cap_traces;
    struct option_values opts[MAX_OPTIONS];
    size_t n_opts;
    /* vmr_sweep_job's answer */
    const char *args[2 * MAX_OPTIONS];
};

int vmr_sweep_create(struct vmr_sweep **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? 0 : VMR_ENOMEM;
}

void vmr_sweep_destroy(struct vmr_sweep *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_traces; i++)
        free(s->traces[i]);
    free(s->traces);
    for (size_t i = 0; i < s->n_opts; i++) {
        for (size_t j = 0; j < s->opts[i].n; j++)
            free(s->opts[i].values[j]);
        free(s->opts[i].values);
        free(s->opts[i].key);
    }
    free(s);
}

int vmr_sweep_add_trace(struct vmr_sweep *s, const char *path)
{
    char *p = vmr_strdup(path);
    if (!p ||
        vmr_grow((void **)&s->traces, &s->cap_traces, s->n_traces + 1, sizeof *s->traces) != 0) {
        free(p);
        return VMR_ENOMEM;
    }
    s->traces[s->n_traces++] = p;
    return 0;
}

static int add_value(struct option_values *o, const char *v, size_t len)
{
    char *copy = malloc(len + 1);
    char **vals = realloc(o->values, (o->n + 1) * sizeof *vals);
    if (!copy || !vals) {
        free(copy);
        if (vals)
            o->values = vals;
        return VMR_ENOMEM;
    }
    memcpy(copy, v, len);
    copy[len] = 0;
    o->values = vals;
    o->values[o->n++] = copy;
    return 0;
}

/* Splits on commas; for policies a piece with '=' and no ':' continues the
 * previous spec's parameters (arc:p=1,q=2 is one policy). */
static int split(struct option_values *o, const char *list)
{
    int policy = strcmp(o->key, "policy") == 0;
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        if (policy && o->n > 0 && memchr(p, '=', len) && !memchr(p, ':', len)) {
            char **last = &o->values[o->n - 1];
            size_t old = strlen(*last);
            char *grown = realloc(*last, old + len + 2);
            if (!grown)
                return VMR_ENOMEM;
            grown[old] = ',';
            memcpy(grown + old + 1, p, len);
            grown[old + len + 1] = 0;
            *last = grown;
        } else if (len > 0 && add_value(o, p, len) != 0) {
            return VMR_ENOMEM;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    return 0;
}

int vmr_sweep_add_option(struct vmr_sweep *s, const char *key, const char *values, char *errbuf,
                         size_t errbuf_len)
{
    struct vmr_replay_config probe;
    vmr_replay_config_init(&probe);
    struct option_values *o = NULL;
    for (size_t i = 0; i < s->n_opts; i++)
        if (strcmp(s->opts[i].key, key) == 0)
            o = &s->opts[i]; /* given twice: the values add up */
    if (!o) {
        if (s->n_opts == MAX_OPTIONS) {
            vmr_errf(errbuf, errbuf_len, "too many sweep options");
            return VMR_EINVAL;
        }
        o = &s->opts[s->n_opts];
        if (!(o->key = vmr_strdup(key))) {
            vmr_errf(errbuf, errbuf_len, "out of memory");
            return VMR_ENOMEM;
        }
        s->n_opts++;
    }
    size_t before = o->n;
    if (split(o, values) != 0) {
        vmr_errf(errbuf, errbuf_len, "out of memory");
        return VMR_ENOMEM;
    }
    if (o->n == before) {
        vmr_errf(errbuf, errbuf_len, "%s: no value", key);
        return VMR_EINVAL;
    }
    for (size_t i = before; i < o->n; i++) {
        int rc = vmr_replay_config_set(&probe, key, o->values[i], errbuf, errbuf_len);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static char *trim(char *p)
{
    while (isspace((unsigned char)*p))
        p++;
    size_t n = strlen(p);
    while (n > 0 && isspace((unsigned char)p[n - 1]))
        p[--n] = 0;
    return p;
}

int vmr_sweep_read_spec(struct vmr_sweep *s, const char *path, char *errbuf, size_t errbuf_len)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        vmr_errf(errbuf, errbuf_len, "cannot open %s: %s", path, strerror(errno));
        return VMR_EIO;
    }
    char line[4096], msg[512];
    int rc = 0;
    for (unsigned no = 1; rc == 0 && fgets(line, sizeof line, fp); no++) {
        char *hash = strchr(line, '#');
        if (hash)
            *hash = 0;
        char *p = trim(line);
        if (!*p)
            continue;
        size_t klen = strcspn(p, " \t=");
        char *value = p + klen;
        if (*value)
            *value++ = 0;
        value = trim(value);
        if (*value == '=')
            value = trim(value + 1);
        if (!*value) {
            vmr_errf(errbuf, errbuf_len, "%s:%u: '%s' has no value (expected KEY VALUE,...)", path,
                     no, p);
            rc = VMR_EFORMAT;
        } else if (strcmp(p, "trace") == 0) {
            rc = vmr_sweep_add_trace(s, value);
            if (rc != 0)
                vmr_errf(errbuf, errbuf_len, "out of memory");
        } else {
            rc = vmr_sweep_add_option(s, p, value, msg, sizeof msg);
            if (rc != 0) {
                vmr_errf(errbuf, errbuf_len, "%s:%u: %s", path, no, msg);
                rc = VMR_EFORMAT;
            }
        }
    }
    if (rc == 0 && ferror(fp)) {
        vmr_errf(errbuf, errbuf_len, "error reading %s", path);
        rc = VMR_EIO;
    }
    fclose(fp);
    return rc;
}

static size_t n_combos(const struct vmr_sweep *s)
{
    size_t n = 1;
    for (size_t i = 0; i < s->n_opts; i++)
        n *= s->opts[i].n;
    return n;
}

size_t vmr_sweep_n_jobs(const struct vmr_sweep *s)
{
    return s->n_traces * n_combos(s);
}

/* The option values of combination `combo`, the last option fastest. */
static size_t combo_args(const struct vmr_sweep *s, size_t combo, const char **args)
{
    for (size_t i = s->n_opts; i-- > 0;) {
        args[2 * i] = s->opts[i].key;
        args[2 * i + 1] = s->opts[i].values[combo % s->opts[i].n];
        combo /= s->opts[i].n;
    }
    return 2 * s->n_opts;
}

size_t vmr_sweep_job(const struct vmr_sweep *s, size_t i, const char **trace,
                     const char *const **args)
{
    struct vmr_sweep *m = (struct vmr_sweep *)s;
    size_t per = n_combos(s);
    *trace = s->traces[i / per];
    *args = m->args;
    return combo_args(s, i % per, m->args);
}

int vmr_sweep_run(const struct vmr_sweep *s, unsigned threads, FILE *csv, FILE *json, char *errbuf,
                  size_t errbuf_len)
{
    int have_memory = 0;
    for (size_t i = 0; i < s->n_opts; i++)
        have_memory |= strcmp(s->opts[i].key, "memory") == 0;
    if (!have_memory || s->n_traces == 0) {
        vmr_errf(errbuf, errbuf_len, have_memory ? "sweep: no trace" : "sweep: no memory sizes");
        return VMR_EINVAL;
    }
    size_t per = n_combos(s);
    struct vmr_replay_config *runs = calloc(per, sizeof *runs);
    if (!runs) {
        vmr_errf(errbuf, errbuf_len, "out of memory");
        return VMR_ENOMEM;
    }
    const char *args[2 * MAX_OPTIONS];
    int rc = 0, first = 1;
    if (json)
        fputs("[\n", json);
    for (size_t t = 0; t < s->n_traces && rc == 0; t++) {
        for (size_t c = 0; c < per && rc == 0; c++) {
            vmr_replay_config_init(&runs[c]);
            runs[c].all_columns = 1; /* the same columns in every row */
            size_t n = combo_args(s, c, args);
            for (size_t a = 0; a < n && rc == 0; a += 2)
                rc = vmr_replay_config_set(&runs[c], args[a], args[a + 1], errbuf, errbuf_len);
        }
        if (rc != 0)
            break;
        struct vmr_compare_config cc = {
            .trace_path = s->traces[t],
            .runs = runs,
            .n_runs = per,
            .threads = threads,
        };
        struct vmr_compare_result *res;
        if ((rc = vmr_compare_run(&cc, &res, errbuf, errbuf_len)) != 0)
            break;
        for (size_t i = 0; i < per; i++) {
            const struct vmr_run_report *r = vmr_compare_report(res, i);
            if (csv)
                vmr_report_write_csv(csv, r, first);
            if (json) {
                if (!first)
                    fputs(",\n", json);
                vmr_report_write_json(json, r);
            }
            first = 0;
        }
        vmr_compare_result_destroy(res);
    }
    if (json)
        fputs("]\n", json);
    free(runs);
    return rc;
}
