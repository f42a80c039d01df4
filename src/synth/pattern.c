/*
 * pattern.c - the --pattern spec: parsing it into a mixture of components
 * and building their tables (internal.h).
 *
 *   SPEC      := COMPONENT (',' COMPONENT)*
 *   COMPONENT := NAME [':' ARG] (':' KEY '=' VALUE)* ['@' WEIGHT]
 *
 * Owns the components and their tables; every error names the component,
 * the bad part and what was expected, since the spec is typed by hand.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"
#include "internal.h"
#include "parse.h"
#include "vec.h"
#include "vmreplay/common.h"

#define MAX_COMPONENTS 256

struct parse_ctx {
    const char *spec;
    const char *comp; /* the component being parsed, as typed */
    uint64_t n_pages;
    uint32_t page_size;
    char *err;
    size_t err_len;
};

static int fail(const struct parse_ctx *ctx, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(const struct parse_ctx *ctx, int rc, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (ctx->comp)
        vmr_errf(ctx->err, ctx->err_len, "--pattern '%s': component '%s': %s", ctx->spec, ctx->comp,
                 msg);
    else
        vmr_errf(ctx->err, ctx->err_len, "--pattern '%s': %s", ctx->spec, msg);
    return rc;
}

/* A byte size in the spec that must be a whole number of pages. */
static int parse_pages(const struct parse_ctx *ctx, const char *what, const char *s, int allow_zero,
                       uint64_t *pages)
{
    uint64_t bytes;
    int rc = vmr_parse_size(s, &bytes);
    if (rc != 0)
        return fail(ctx, rc == VMR_ERANGE ? VMR_ERANGE : VMR_EINVAL,
                    "%s '%s' is not a size (expected bytes with an optional K/M/G unit, "
                    "e.g. 64K)",
                    what, s);
    if (bytes % ctx->page_size != 0 || (!allow_zero && bytes == 0))
        return fail(ctx, VMR_EINVAL, "%s '%s' is not a %swhole number of %u-byte pages", what, s,
                    allow_zero ? "" : "positive ", ctx->page_size);
    *pages = bytes / ctx->page_size;
    return 0;
}

static int parse_component(const struct parse_ctx *ctx, char *text, struct synth_component *c)
{
    int rc;
    char *at = strrchr(text, '@');
    c->weight = 1;
    if (at) {
        *at = 0;
        if (vmr_parse_double(at + 1, &c->weight) != 0 || !(c->weight > 0) || !isfinite(c->weight))
            return fail(ctx, VMR_EINVAL,
                        "weight '%s' is not a positive number (expected @WEIGHT, "
                        "e.g. @3 or @0.5)",
                        at + 1);
    }

    /* fields separated by ':'; the first is the name */
    char *fields[32];
    size_t n_fields = 0;
    for (char *p = text;;) {
        if (n_fields == sizeof fields / sizeof fields[0])
            return fail(ctx, VMR_EINVAL, "too many ':' fields");
        fields[n_fields++] = p;
        char *colon = strchr(p, ':');
        if (!colon)
            break;
        *colon = 0;
        p = colon + 1;
    }
    const char *name = fields[0];
    size_t first_kv = 1;
    int takes_arg = 0;
    if (strcmp(name, "uniform") == 0) {
        c->kind = SYNTH_UNIFORM;
    } else if (strcmp(name, "zipf") == 0) {
        c->kind = SYNTH_ZIPF;
        takes_arg = 1;
    } else if (strcmp(name, "scan") == 0) {
        c->kind = SYNTH_SCAN;
    } else if (strcmp(name, "loop") == 0) {
        c->kind = SYNTH_LOOP;
        takes_arg = 1;
    } else {
        return fail(ctx, VMR_EINVAL,
                    "unknown component '%s' (expected uniform, zipf:ALPHA, scan "
                    "or loop:SIZE)",
                    name);
    }

    const char *arg = NULL;
    if (n_fields > 1 && !strchr(fields[1], '=')) {
        if (!takes_arg)
            return fail(ctx, VMR_EINVAL, "'%s' takes no argument, got '%s' (expected key=value)",
                        name, fields[1]);
        arg = fields[1];
        first_kv = 2;
    }
    if (takes_arg && !arg)
        return fail(ctx, VMR_EINVAL, "%s needs an argument (expected %s)", name,
                    c->kind == SYNTH_ZIPF ? "zipf:ALPHA, e.g. zipf:0.9"
                                          : "loop:SIZE, e.g. loop:1M");

    uint64_t start = 0, size = ctx->n_pages;
    int have_size = 0;
    c->order_rank = 0;
    for (size_t i = first_kv; i < n_fields; i++) {
        char *key = fields[i];
        char *eq = strchr(key, '=');
        if (!eq)
            return fail(ctx, VMR_EINVAL, "'%s' is not key=value (expected start=, size=%s)", key,
                        c->kind == SYNTH_ZIPF ? " or order=" : "");
        *eq = 0;
        const char *value = eq + 1;
        if (strcmp(key, "start") == 0) {
            if ((rc = parse_pages(ctx, "start", value, 1, &start)) != 0)
                return rc;
        } else if (strcmp(key, "size") == 0) {
            if ((rc = parse_pages(ctx, "size", value, 0, &size)) != 0)
                return rc;
            have_size = 1;
        } else if (strcmp(key, "order") == 0 && c->kind == SYNTH_ZIPF) {
            if (strcmp(value, "rank") == 0)
                c->order_rank = 1;
            else if (strcmp(value, "random") == 0)
                c->order_rank = 0;
            else
                return fail(ctx, VMR_EINVAL, "order '%s' (expected order=rank or order=random)",
                            value);
        } else {
            return fail(ctx, VMR_EINVAL,
                        "unknown key '%s' for %s (expected start=OFFSET, "
                        "size=SIZE%s)",
                        key, name, c->kind == SYNTH_ZIPF ? " or order=rank|random" : "");
        }
    }
    if (start >= ctx->n_pages)
        return fail(ctx, VMR_EINVAL,
                    "start is at or past the end of the footprint (%" PRIu64 " pages)",
                    ctx->n_pages);
    if (!have_size)
        size = ctx->n_pages - start;
    if (size > ctx->n_pages - start)
        return fail(ctx, VMR_EINVAL,
                    "start + size runs past the end of the footprint (%" PRIu64
                    " pages of %u bytes)",
                    ctx->n_pages, ctx->page_size);
    c->start_page = start;
    c->n_pages = size;
    c->pos = 0;
    c->window_pages = size;

    if (c->kind == SYNTH_ZIPF) {
        if (vmr_parse_double(arg, &c->alpha) != 0 || !(c->alpha >= 0) || c->alpha > 100)
            return fail(ctx, VMR_EINVAL,
                        "alpha '%s' is not a number in 0 ... 100 (expected "
                        "zipf:ALPHA, e.g. zipf:0.9)",
                        arg);
    } else if (c->kind == SYNTH_LOOP) {
        if ((rc = parse_pages(ctx, "loop SIZE", arg, 0, &c->window_pages)) != 0)
            return rc;
        if (c->window_pages > c->n_pages)
            return fail(ctx, VMR_EINVAL,
                        "loop SIZE '%s' is larger than its span (%" PRIu64 " pages)", arg,
                        c->n_pages);
    }
    return 0;
}

static int build_zipf(struct synth_component *c, uint64_t seed, size_t index)
{
    /* each component gets its own permutation, so two Zipf components over
     * the same span have different hot pages */
    synth_perm_init(&c->perm, c->n_pages, vmr_hash64(seed) ^ vmr_hash64(index + 1));
    if (c->alpha == 0)
        return 0;
    c->use_alias = c->n_pages <= SYNTH_ALIAS_MAX;
    uint64_t n_table = c->use_alias ? c->n_pages : SYNTH_ZIPF_HEAD;
    double *w = malloc(n_table * sizeof *w);
    if (!w)
        return VMR_ENOMEM;
    double head_mass = 0;
    /* smallest terms first, for an accurate sum */
    for (uint64_t k = n_table; k-- > 0;) {
        double p = pow((double)(k + 1), -c->alpha);
        head_mass += p;
        w[c->use_alias && !c->order_rank ? synth_perm_apply(&c->perm, k) : k] = p;
    }
    int rc = synth_alias_init(&c->alias, w, n_table);
    free(w);
    if (rc != 0 || c->use_alias)
        return rc;
    synth_zipf_ri_init(&c->ri, SYNTH_ZIPF_HEAD + 1, c->n_pages, c->alpha);
    double tail_mass = synth_zipf_tail_mass(SYNTH_ZIPF_HEAD + 1, c->n_pages, c->alpha);
    c->head_thresh = (uint64_t)(head_mass / (head_mass + tail_mass) * 0x1.0p53);
    return 0;
}

int synth_pattern_parse(struct synth_pattern *p, const char *spec, uint64_t n_pages,
                        uint32_t page_size, uint64_t seed, char *err, size_t err_len)
{
    struct parse_ctx ctx = {spec, NULL, n_pages, page_size, err, err_len};
    memset(p, 0, sizeof *p);
    size_t n = 1;
    for (const char *s = spec; *s; s++)
        n += *s == ',';
    if (n > MAX_COMPONENTS)
        return fail(&ctx, VMR_EINVAL, "more than %d components", MAX_COMPONENTS);
    char *copy = vmr_strdup(spec);
    char *shown = vmr_strdup(spec);
    p->comps = calloc(n, sizeof *p->comps);
    p->cum_weight = calloc(n, sizeof *p->cum_weight);
    int rc = VMR_ENOMEM;
    if (!copy || !shown || !p->comps || !p->cum_weight)
        goto out;
    char *text = copy, *shown_text = shown;
    for (size_t i = 0; i < n; i++) {
        char *comma = strchr(text, ',');
        if (comma) {
            *comma = 0;
            shown_text[comma - text] = 0;
        }
        ctx.comp = shown_text;
        if (*text == 0) {
            rc = fail(&ctx, VMR_EINVAL,
                      "empty component (expected NAME[:ARG][:key=value...]"
                      "[@WEIGHT] between commas)");
            goto out;
        }
        if ((rc = parse_component(&ctx, text, &p->comps[i])) != 0)
            goto out;
        p->n_comps = i + 1;
        if (p->comps[i].kind == SYNTH_ZIPF && (rc = build_zipf(&p->comps[i], seed, i)) != 0)
            goto out;
        if (comma) {
            text = comma + 1;
            shown_text = shown + (text - copy);
        }
    }
    double total = 0;
    for (size_t i = 0; i < n; i++)
        total += p->comps[i].weight;
    double acc = 0;
    for (size_t i = 0; i < n; i++) {
        acc += p->comps[i].weight;
        p->cum_weight[i] = acc / total;
    }
    p->cum_weight[n - 1] = 1; /* rounding must not leave a gap at the top */
    rc = 0;
out:
    if (rc == VMR_ENOMEM)
        vmr_errf(err, err_len, "--pattern '%s': out of memory building the tables", spec);
    free(copy);
    free(shown);
    if (rc != 0)
        synth_pattern_release(p);
    return rc;
}

void synth_pattern_release(struct synth_pattern *p)
{
    if (p->comps)
        for (size_t i = 0; i < p->n_comps; i++)
            synth_alias_release(&p->comps[i].alias);
    free(p->comps);
    free(p->cum_weight);
    memset(p, 0, sizeof *p);
}
