/*
 * registry.c - the built-in policies, policy specs and plug-in loading.
 *
 * Owns the table of built-ins (in display order), the parsing of a spec
 * "NAME[:k=v,...]" / "PATH[:k=v,...]" into struct vmr_policy, and the
 * dlopen life of plug-ins.
 * Invariants: a struct vmr_policy is either all zero or fully open: ops and
 * state set, cfg.params pointing into its own kv[] and buf[], dl_handle set
 * iff the ops came from a plug-in (and stays loaded until close, since ops
 * and its strings live in the plug-in). Every error leaves *out untouched
 * and says in errbuf which part of the spec is wrong.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "builtin.h"
#include "vec.h"

static const struct vmr_policy_ops *const builtins[] = {
    &vmr_policy_fifo,   &vmr_policy_lru,     &vmr_policy_clock,    &vmr_policy_opt,
    &vmr_policy_random, &vmr_policy_gclock,  &vmr_policy_nru,      &vmr_policy_aging,
    &vmr_policy_lfu,    &vmr_policy_2q,      &vmr_policy_slru,     &vmr_policy_arc,
    &vmr_policy_car,    &vmr_policy_lirs,    &vmr_policy_clockpro, &vmr_policy_sieve,
    &vmr_policy_s3fifo, &vmr_policy_wsclock, &vmr_policy_linux,
};
#define N_BUILTINS (sizeof builtins / sizeof builtins[0])

const struct vmr_policy_ops *const *vmr_policy_builtins(size_t *n)
{
    *n = N_BUILTINS;
    return builtins;
}

const struct vmr_policy_ops *vmr_policy_find(const char *name)
{
    for (size_t i = 0; i < N_BUILTINS; i++)
        if (strcasecmp(builtins[i]->name, name) == 0)
            return builtins[i];
    return NULL;
}

int vmr_policy_check_params(const struct vmr_policy_ops *ops, const struct vmr_policy_config *cfg)
{
    for (size_t i = 0; i < cfg->n_params; i++) {
        const char *key = cfg->params[i].key;
        for (size_t j = 0; j < i; j++) {
            if (strcmp(cfg->params[j].key, key) == 0) {
                vmr_errf(cfg->errbuf, cfg->errbuf_len, "policy '%s': parameter '%s' given twice",
                         ops->name, key);
                return VMR_EINVAL;
            }
        }
        const struct vmr_policy_param *p = ops->params;
        while (p && p->name && strcmp(p->name, key) != 0)
            p++;
        if (p && p->name)
            continue;
        if (!ops->params || !ops->params[0].name) {
            vmr_errf(cfg->errbuf, cfg->errbuf_len,
                     "policy '%s' has no parameter '%s' (it takes none)", ops->name, key);
            return VMR_EINVAL;
        }
        char known[160] = "";
        size_t len = 0;
        for (p = ops->params; p->name && len < sizeof known; p++) {
            int w = snprintf(known + len, sizeof known - len, "%s%s", len ? ", " : "", p->name);
            if (w < 0)
                break;
            len += (size_t)w;
        }
        vmr_errf(cfg->errbuf, cfg->errbuf_len, "policy '%s' has no parameter '%s' (known: %s)",
                 ops->name, key, known);
        return VMR_EINVAL;
    }
    return 0;
}

static const char *param_value(const struct vmr_policy_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n_params; i++)
        if (strcmp(cfg->params[i].key, name) == 0)
            return cfg->params[i].value;
    return NULL;
}

int vmr_policy_param_u64(const struct vmr_policy_ops *ops, const struct vmr_policy_config *cfg,
                         const char *name, uint64_t def, uint64_t min, uint64_t max, uint64_t *out)
{
    const char *v = param_value(cfg, name);
    if (!v) {
        *out = def;
        return 0;
    }
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (!*v || *end || errno || v[0] == '-' || x < min || x > max) {
        vmr_errf(cfg->errbuf, cfg->errbuf_len,
                 "policy '%s': %s=%s is not a whole number in [%llu, %llu]", ops->name, name, v,
                 (unsigned long long)min, (unsigned long long)max);
        return VMR_EINVAL;
    }
    *out = x;
    return 0;
}

int vmr_policy_param_double(const struct vmr_policy_ops *ops, const struct vmr_policy_config *cfg,
                            const char *name, double def, double min, double max, double *out)
{
    const char *v = param_value(cfg, name);
    if (!v) {
        *out = def;
        return 0;
    }
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (!*v || *end || errno || !(x >= min && x <= max)) {
        vmr_errf(cfg->errbuf, cfg->errbuf_len, "policy '%s': %s=%s is not a number in [%g, %g]",
                 ops->name, name, v, min, max);
        return VMR_EINVAL;
    }
    *out = x;
    return 0;
}

int parena_alloc(struct parena *a, const struct parena_req *req, size_t n)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += (req[i].bytes + 63) & ~(size_t)63;
    if (vmr_table_alloc(&a->t, len, 0) != 0)
        return VMR_ENOMEM;
    char *base = a->t.base;
    for (size_t i = 0; i < n; i++) {
        *req[i].ptr = base;
        base += (req[i].bytes + 63) & ~(size_t)63;
    }
    return 0;
}

void parena_release(struct parena *a)
{
    vmr_table_free(&a->t);
}

#define GMAP_NREQ 3

/* Sets the map up for nodes base .. base + max - 1 and writes the requests
 * for its GMAP_NREQ arrays to req; VMR_ENOMEM if max is too large. */
static int gmap_layout(struct gmap *g, uint32_t max, uint32_t base, struct parena_req *req)
{
    uint32_t cap = 16, bits = 4;
    while (cap < 2 * (uint64_t)max + 2) {
        if (bits == 31)
            return VMR_ENOMEM;
        cap *= 2;
        bits++;
    }
    g->mask = cap - 1;
    g->fp_shift = 32 - bits;
    g->base = base;
    g->n_slots = cap;
    req[0] = (struct parena_req){(void **)&g->tags, cap};
    req[1] = (struct parena_req){(void **)&g->slots, (size_t)cap * sizeof *g->slots};
    req[2] = (struct parena_req){(void **)&g->keys, ((size_t)max + 1) * sizeof *g->keys};
    return 0;
}

int gmap_arena_alloc(struct parena *a, struct gmap *g, uint32_t max, uint32_t base,
                     const struct parena_req *more, size_t n_more)
{
    struct parena_req req[GMAP_NREQ + GMAP_MORE_MAX];
    *a = (struct parena){0};
    if (n_more > GMAP_MORE_MAX || gmap_layout(g, max, base, req) != 0)
        return VMR_ENOMEM;
    memcpy(req + GMAP_NREQ, more, n_more * sizeof *more);
    if (parena_alloc(a, req, GMAP_NREQ + n_more) != 0)
        return VMR_ENOMEM;
    memset(g->slots, 0xff, g->n_slots * sizeof *g->slots); /* empty */
    return 0;
}

void gmap_del(struct gmap *g, uint32_t v)
{
    uint64_t *t = g->slots;
    uint8_t *tag = g->tags;
    const uint32_t mask = g->mask, shift = g->fp_shift;
    uint32_t i = gmap_fp(g->keys[v - g->base]) >> shift;
    while ((uint32_t)t[i] != v) {
        assert(tag[i] != 0);
        i = (i + 1) & mask;
    }
    /* backward shift: move later entries of the run into the hole when
     * their home does not lie (cyclically) in (hole, j] */
    uint32_t hole = i;
    for (uint32_t j = (i + 1) & mask; tag[j] != 0; j = (j + 1) & mask) {
        uint32_t h = (uint32_t)(t[j] >> 32) >> shift;
        if (((j - h) & mask) >= ((j - hole) & mask)) {
            t[hole] = t[j];
            tag[hole] = tag[j];
            hole = j;
        }
    }
    t[hole] = GMAP_EMPTY;
    tag[hole] = 0;
}

/* Splits "k=v,k=v" in place (buf) into kv[]; the message names the spec. */
static int parse_params(char *buf, struct vmr_policy_kv *kv, size_t *n_kv, const char *spec,
                        char *errbuf, size_t errbuf_len)
{
    size_t n = 0;
    char *item = buf;
    for (;;) {
        char *comma = strchr(item, ',');
        if (comma)
            *comma = '\0';
        char *eq = strchr(item, '=');
        if (!eq || eq == item) {
            vmr_errf(errbuf, errbuf_len, "policy spec '%s': expected key=value, got '%s'", spec,
                     item);
            return VMR_EINVAL;
        }
        if (n == VMR_POLICY_MAX_PARAMS) {
            vmr_errf(errbuf, errbuf_len, "policy spec '%s': more than %d parameters", spec,
                     VMR_POLICY_MAX_PARAMS);
            return VMR_EINVAL;
        }
        *eq = '\0';
        kv[n].key = item;
        kv[n].value = eq + 1;
        n++;
        if (!comma)
            break;
        item = comma + 1;
    }
    *n_kv = n;
    return 0;
}

static int check_ops(const struct vmr_policy_ops *ops, const char *path, char *errbuf,
                     size_t errbuf_len)
{
    const char *missing =
        !ops->name            ? "name"
        : !ops->create        ? "create"
        : !ops->destroy       ? "destroy"
        : !ops->on_insert     ? "on_insert"
        : !ops->select_victim ? "select_victim"
        : !ops->on_evict      ? "on_evict"
        : !ops->on_remove     ? "on_remove"
        : (ops->flags & VMR_POLICY_NEEDS_HITS) && !ops->on_hit
            ? "on_hit (required by VMR_POLICY_NEEDS_HITS)"
        : (ops->flags & VMR_POLICY_WANTS_MISS) && !ops->on_miss
            ? "on_miss (required by VMR_POLICY_WANTS_MISS)"
        : (ops->flags & VMR_POLICY_PEEK) && !ops->peek_victim
            ? "peek_victim (required by VMR_POLICY_PEEK)"
        : (ops->flags & VMR_POLICY_REPLACE) && !ops->on_replace
            ? "on_replace (required by VMR_POLICY_REPLACE)"
        : (ops->flags & VMR_POLICY_REPLACE) && !(ops->flags & VMR_POLICY_PEEK)
            ? "VMR_POLICY_PEEK (required by VMR_POLICY_REPLACE)"
        : (ops->flags & VMR_POLICY_FAR_GUESS) && !(ops->flags & VMR_POLICY_REPLACE)
            ? "VMR_POLICY_REPLACE (required by VMR_POLICY_FAR_GUESS)"
        : (ops->flags & VMR_POLICY_NEXT_UNREF) && !(ops->flags & VMR_POLICY_NEXT_VICTIM)
            ? "VMR_POLICY_NEXT_VICTIM (required by VMR_POLICY_NEXT_UNREF)"
        : (ops->flags & VMR_POLICY_RESIZE) && !ops->resize
            ? "resize (required by VMR_POLICY_RESIZE)"
            : NULL;
    if (missing) {
        vmr_errf(errbuf, errbuf_len, "%s: the policy's ops table has no %s", path, missing);
        return VMR_EINVAL;
    }
    uint32_t known = VMR_POLICY_NEEDS_HITS | VMR_POLICY_NEEDS_FUTURE | VMR_POLICY_WANTS_MISS |
                     VMR_POLICY_HIT_NO_KEY | VMR_POLICY_PEEK | VMR_POLICY_REPLACE |
                     VMR_POLICY_FAR_GUESS | VMR_POLICY_RESIZE | VMR_POLICY_NO_ACCESS |
                     VMR_POLICY_NEXT_VICTIM | VMR_POLICY_NEXT_UNREF;
    if (ops->flags & ~known) {
        vmr_errf(errbuf, errbuf_len, "%s: unknown policy flags 0x%x", path,
                 (unsigned)(ops->flags & ~known));
        return VMR_EINVAL;
    }
    return 0;
}

static int load_plugin(const char *path, void **handle, const struct vmr_policy_ops **ops,
                       char *errbuf, size_t errbuf_len)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        vmr_errf(errbuf, errbuf_len, "cannot load policy plug-in: %s", e ? e : path);
        return VMR_ENOTFOUND;
    }
    dlerror();
    void *sym = dlsym(h, VMR_POLICY_PLUGIN_SYMBOL);
    const char *e = dlerror();
    if (e || !sym) {
        vmr_errf(errbuf, errbuf_len, "%s: not a vmreplay policy plug-in (%s)", path,
                 e ? e : "symbol " VMR_POLICY_PLUGIN_SYMBOL " is null");
        dlclose(h);
        return VMR_ENOTFOUND;
    }
    /* ISO C has no object-to-function pointer conversion; POSIX guarantees
     * the representation is the same, so copy the bits. */
    vmr_policy_plugin_fn fn;
    memcpy(&fn, &sym, sizeof fn);
    const struct vmr_policy_ops *o = fn();
    int rc = 0;
    if (!o) {
        vmr_errf(errbuf, errbuf_len, "%s: %s() returned no ops table", path,
                 VMR_POLICY_PLUGIN_SYMBOL);
        rc = VMR_EINVAL;
    } else if (o->abi_version != VMR_POLICY_ABI_VERSION) {
        /* only abi_version is read before this check: the rest of the
         * table may have another layout */
        vmr_errf(errbuf, errbuf_len, "%s: policy ABI version %u, this vmreplay supports %u", path,
                 (unsigned)o->abi_version, (unsigned)VMR_POLICY_ABI_VERSION);
        rc = VMR_EABI;
    } else {
        rc = check_ops(o, path, errbuf, errbuf_len);
    }
    if (rc != 0) {
        dlclose(h);
        return rc;
    }
    *handle = h;
    *ops = o;
    return 0;
}

int vmr_policy_open(struct vmr_policy *out, const char *spec, uint32_t n_frames,
                    uint8_t *frame_bits, uint64_t seed, char *errbuf, size_t errbuf_len)
{
    if (!spec || !*spec) {
        vmr_errf(errbuf, errbuf_len, "empty policy spec; 'vmreplay policies' lists the policies");
        return VMR_EINVAL;
    }
    if (n_frames == 0 || !frame_bits) {
        vmr_errf(errbuf, errbuf_len, "policy '%s': needs at least one frame", spec);
        return VMR_EINVAL;
    }
    size_t len = strlen(spec);
    if (len >= sizeof out->spec) {
        vmr_errf(errbuf, errbuf_len, "policy spec too long (%zu bytes, at most %zu)", len,
                 sizeof out->spec - 1);
        return VMR_EINVAL;
    }

    /* Everything is built in a copy so that a failure leaves *out alone;
     * only create needs the final addresses, so it runs on *out itself
     * with the old contents saved. */
    static const struct vmr_policy zero;
    struct vmr_policy p = zero;
    memcpy(p.spec, spec, len + 1);
    char name[sizeof p.spec];
    memcpy(name, spec, len + 1);
    /* A '/' in a parameter value ("lru:file=/tmp/x") does not make a path:
     * only a '/' before the first '=' does, and the parameters start at the
     * first ':' after the last such '/' (so "./a:b/x.so:k=v" works too). */
    const char *slash = NULL;
    for (const char *c = name; *c && *c != '='; c++)
        if (*c == '/')
            slash = c;
    char *colon = strchr(slash ? slash : name, ':');
    size_t n_kv = 0;
    if (colon) {
        *colon = '\0';
        memcpy(p.buf, colon + 1, strlen(colon + 1) + 1);
        int rc = parse_params(p.buf, p.kv, &n_kv, spec, errbuf, errbuf_len);
        if (rc != 0)
            return rc;
    }
    if (!name[0]) {
        vmr_errf(errbuf, errbuf_len, "policy spec '%s': empty policy name", spec);
        return VMR_EINVAL;
    }

    if (slash) {
        int rc = load_plugin(name, &p.dl_handle, &p.ops, errbuf, errbuf_len);
        if (rc != 0)
            return rc;
    } else {
        p.ops = vmr_policy_find(name);
        if (!p.ops) {
            size_t nl = strlen(name);
            int looks_like_file = nl > 3 && strcmp(name + nl - 3, ".so") == 0;
            vmr_errf(errbuf, errbuf_len, "no policy '%s'; 'vmreplay policies' lists them%s", name,
                     looks_like_file ? " (a plug-in path needs a '/', as in ./NAME.so)" : "");
            return VMR_ENOTFOUND;
        }
    }

    struct vmr_policy saved = *out;
    *out = p;
    char ebuf[256] = "";
    out->cfg = (struct vmr_policy_config){
        .n_frames = n_frames,
        .frame_bits = frame_bits,
        .seed = seed,
        .n_params = n_kv,
        .params = out->kv,
        .errbuf = ebuf,
        .errbuf_len = sizeof ebuf,
        .next_victim = &out->next_victim,
    };
    out->next_victim = VMR_PFN_NONE;
    /* p.kv points into p.buf: move the pointers to out->buf */
    for (size_t i = 0; i < n_kv; i++) {
        out->kv[i].key = out->buf + (p.kv[i].key - p.buf);
        out->kv[i].value = out->buf + (p.kv[i].value - p.buf);
    }
    int rc = vmr_policy_check_params(out->ops, &out->cfg);
    if (rc == 0) {
        rc = out->ops->create(&out->cfg, &out->state);
        if (rc != 0 && !ebuf[0])
            vmr_errf(ebuf, sizeof ebuf, "policy '%s': %s", out->ops->name, vmr_strerror(rc));
    }
    out->cfg.errbuf = NULL;
    out->cfg.errbuf_len = 0;
    if (rc != 0) {
        vmr_errf(errbuf, errbuf_len, "%s", ebuf);
        if (out->dl_handle)
            dlclose(out->dl_handle);
        *out = saved;
        return rc < 0 ? rc : VMR_EINVAL;
    }
    return 0;
}

void vmr_policy_close(struct vmr_policy *p)
{
    if (p->ops)
        p->ops->destroy(p->state);
    if (p->dl_handle)
        dlclose(p->dl_handle);
    static const struct vmr_policy zero;
    *p = zero;
}
