/*
 * resolve.c - finding a DT_NEEDED library as glibc's ld.so does on Debian
 * (the order is documented at vmr_lib_resolve in vmreplay/elf.h).
 *
 * /etc/ld.so.cache is read in its "glibc-ld.so.cache1.1" form (the only one
 * ldconfig writes since glibc 2.32; an old "ld.so-1.7.0" table in front of
 * it is skipped): a header of 48 bytes, then entries of 24 bytes {i32 flags,
 * u32 key, u32 value, u32 osversion, u64 hwcap}, key and value being
 * offsets of the soname and the path from the start of that header. Only
 * entries flagged 0x0303 (libc6, x86-64) without a hwcap subdirectory are
 * used. A sysroot without a cache gets the directories its /etc/ld.so.conf
 * lists (with `include` globs), which is what ldconfig would have cached.
 * Every path stays inside the sysroot.
 */
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vec.h"
#include "vmreplay/elf.h"

#define CACHE_MAGIC     "glibc-ld.so.cache"
#define CACHE_VERSION   "1.1"
#define OLD_MAGIC       "ld.so-1.7.0"
#define CACHE_X86_64    0x0303
#define MAX_CACHE_BYTES (64u << 20)
#define MAX_CONF_DEPTH  8
#define MAX_PATH        4096

static const char *const default_dirs[] = {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
                                           "/lib", "/usr/lib"};

struct cache_entry {
    char *name;
    char *path;
};

struct vmr_lib_resolver {
    char *sysroot;
    struct cache_entry *cache; /* in cache order: the first match wins */
    size_t n_cache, cap_cache;
    int have_cache;
    char **conf_dirs; /* without a cache: ld.so.conf directories */
    size_t n_conf_dirs, cap_conf_dirs;
};

/* A file of the sysroot read whole, or NULL. */
static unsigned char *read_file(const char *sysroot, const char *path, size_t max, size_t *len)
{
    char *host = NULL;
    unsigned char *data = NULL;
    if (vmr_sysroot_resolve(sysroot, path, NULL, &host, NULL, 0) != 0)
        return NULL;
    FILE *fp = fopen(host, "rb");
    free(host);
    if (!fp)
        return NULL;
    struct stat st;
    if (fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size <= max &&
        (data = malloc((size_t)st.st_size + 1)) != NULL) {
        *len = fread(data, 1, (size_t)st.st_size, fp);
        data[*len] = 0;
    }
    fclose(fp);
    return data;
}

static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static const char *cache_string(const unsigned char *base, size_t size, uint32_t off)
{
    if (off >= size || !memchr(base + off, 0, size - off))
        return NULL;
    return (const char *)base + off;
}

/* Fills r->cache from the sysroot's cache; a missing or malformed cache is
 * treated as absent, as ld.so does. */
static int load_cache(struct vmr_lib_resolver *r)
{
    size_t len = 0;
    unsigned char *data = read_file(r->sysroot, "/etc/ld.so.cache", MAX_CACHE_BYTES, &len);
    if (!data)
        return 0;
    const unsigned char *p = data;
    size_t size = len;
    if (size >= 16 && memcmp(p, OLD_MAGIC, sizeof OLD_MAGIC - 1) == 0) {
        uint64_t skip = 16 + (uint64_t)rd32(p + 12) * 12;
        skip = (skip + 7) & ~(uint64_t)7;
        if (skip >= size) {
            free(data);
            return 0;
        }
        p += skip;
        size -= (size_t)skip;
    }
    int rc = 0;
    if (size >= 48 && memcmp(p, CACHE_MAGIC CACHE_VERSION, 20) == 0) {
        uint32_t n = rd32(p + 20);
        if ((uint64_t)n * 24 <= size - 48) {
            r->have_cache = 1;
            for (uint32_t i = 0; i < n && rc == 0; i++) {
                const unsigned char *e = p + 48 + (size_t)i * 24;
                uint64_t hwcap = rd32(e + 16) | (uint64_t)rd32(e + 20) << 32;
                const char *name = cache_string(p, size, rd32(e + 4));
                const char *path = cache_string(p, size, rd32(e + 8));
                if (rd32(e) != CACHE_X86_64 || hwcap != 0 || !name || !path)
                    continue;
                if (vmr_grow((void **)&r->cache, &r->cap_cache, r->n_cache + 1, sizeof *r->cache) !=
                    0) {
                    rc = VMR_ENOMEM;
                    break;
                }
                struct cache_entry *ce = &r->cache[r->n_cache];
                ce->name = vmr_strdup(name);
                ce->path = vmr_strdup(path);
                r->n_cache++;
                if (!ce->name || !ce->path)
                    rc = VMR_ENOMEM;
            }
        }
    }
    free(data);
    return rc;
}

static int add_conf_dir(struct vmr_lib_resolver *r, const char *dir, size_t n)
{
    while (n > 1 && dir[n - 1] == '/')
        n--;
    if (n == 0 || dir[0] != '/')
        return 0;
    for (size_t i = 0; i < r->n_conf_dirs; i++)
        if (strlen(r->conf_dirs[i]) == n && memcmp(r->conf_dirs[i], dir, n) == 0)
            return 0;
    if (vmr_grow((void **)&r->conf_dirs, &r->cap_conf_dirs, r->n_conf_dirs + 1,
                 sizeof *r->conf_dirs) != 0)
        return VMR_ENOMEM;
    char *d = malloc(n + 1);
    if (!d)
        return VMR_ENOMEM;
    memcpy(d, dir, n);
    d[n] = 0;
    r->conf_dirs[r->n_conf_dirs++] = d;
    return 0;
}

static int read_conf(struct vmr_lib_resolver *r, const char *path, int depth)
{
    size_t len;
    char *text = (char *)read_file(r->sysroot, path, 1u << 20, &len);
    if (!text || depth > MAX_CONF_DEPTH) {
        free(text);
        return 0;
    }
    int rc = 0;
    for (char *line = text, *next; line && rc == 0; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = 0;
        line += strspn(line, " \t\r");
        size_t n = strcspn(line, " \t\r");
        if (n == 7 && strncmp(line, "include", 7) == 0) {
            char *pat = line + 7;
            pat += strspn(pat, " \t");
            pat[strcspn(pat, " \t\r")] = 0;
            if (!*pat)
                continue;
            /* relative patterns are relative to the including file's directory */
            char full[MAX_PATH];
            const char *slash = strrchr(path, '/');
            if (pat[0] == '/')
                snprintf(full, sizeof full, "%s%s", r->sysroot, pat);
            else
                snprintf(full, sizeof full, "%s%.*s/%s", r->sysroot, (int)(slash - path), path,
                         pat);
            glob_t g;
            if (glob(full, 0, NULL, &g) == 0) {
                size_t rl = strlen(r->sysroot);
                for (size_t i = 0; i < g.gl_pathc && rc == 0; i++)
                    rc = read_conf(r, g.gl_pathv[i] + rl, depth + 1);
                globfree(&g);
            }
        } else if (n == 5 && strncmp(line, "hwcap", 5) == 0) {
            continue;
        } else if (n > 0) {
            rc = add_conf_dir(r, line, n);
        }
    }
    free(text);
    return rc;
}

void vmr_lib_resolver_destroy(struct vmr_lib_resolver *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_cache; i++) {
        free(r->cache[i].name);
        free(r->cache[i].path);
    }
    free(r->cache);
    for (size_t i = 0; i < r->n_conf_dirs; i++)
        free(r->conf_dirs[i]);
    free(r->conf_dirs);
    free(r->sysroot);
    free(r);
}

int vmr_lib_resolver_create(struct vmr_lib_resolver **out, const char *sysroot, char *errbuf,
                            size_t errbuf_len)
{
    *out = NULL;
    struct vmr_lib_resolver *r = calloc(1, sizeof *r);
    size_t n = sysroot ? strlen(sysroot) : 0;
    while (n > 0 && sysroot[n - 1] == '/')
        n--;
    if (!r || !(r->sysroot = malloc(n + 1))) {
        free(r);
        vmr_errf(errbuf, errbuf_len, "out of memory");
        return VMR_ENOMEM;
    }
    if (n)
        memcpy(r->sysroot, sysroot, n);
    r->sysroot[n] = 0;
    int rc = load_cache(r);
    if (rc == 0 && !r->have_cache)
        rc = read_conf(r, "/etc/ld.so.conf", 0);
    if (rc != 0) {
        vmr_lib_resolver_destroy(r);
        vmr_errf(errbuf, errbuf_len, "out of memory");
        return rc;
    }
    *out = r;
    return 0;
}

/* ---- searching ---------------------------------------------------------- */

struct search {
    struct vmr_lib_resolver *r;
    const char *name;
    const struct vmr_image *want; /* class and machine to match */
    char *found;
    char *tried; /* for the error message */
    size_t tried_len, tried_cap;
    int rc;
};

static void note_tried(struct search *s, const char *what)
{
    size_t n = strlen(what);
    if (s->tried_len > 1500)
        return;
    if (vmr_grow((void **)&s->tried, &s->tried_cap, s->tried_len + n + 3, 1) != 0)
        return;
    if (s->tried_len)
        s->tried[s->tried_len++] = ',', s->tried[s->tried_len++] = ' ';
    memcpy(s->tried + s->tried_len, what, n);
    s->tried_len += n;
    s->tried[s->tried_len] = 0;
}

/* 1 if `path` (inside the sysroot) is an ELF file of the wanted class and
 * machine, reading only its header. */
static int matches(struct search *s, const char *path)
{
    char *host = NULL;
    if (vmr_sysroot_resolve(s->r->sysroot, path, NULL, &host, NULL, 0) != 0)
        return 0;
    unsigned char h[20];
    int fd = open(host, O_RDONLY | O_CLOEXEC);
    free(host);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, h, sizeof h);
    close(fd);
    if (n != (ssize_t)sizeof h || memcmp(h,
                                         "\x7f"
                                         "ELF",
                                         4) != 0)
        return 0;
    unsigned cls = h[4] == 2 ? 64 : h[4] == 1 ? 32 : 0;
    unsigned machine = h[5] == 2 ? (unsigned)(h[18] << 8 | h[19]) : (unsigned)(h[19] << 8 | h[18]);
    return cls == s->want->elf_class && machine == s->want->machine;
}

/* Tries dir/name; 1 when found (s->found set), 0 to go on, -1 on error. */
static int try_dir(struct search *s, const char *dir, size_t dir_len)
{
    char path[MAX_PATH];
    while (dir_len > 1 && dir[dir_len - 1] == '/')
        dir_len--;
    if (dir_len == 0) {
        dir = "/"; /* an empty entry: the current directory, "/" here */
        dir_len = 1;
    }
    int n = snprintf(path, sizeof path, "%s%.*s/%s", dir[0] == '/' ? "" : "/", (int)dir_len, dir,
                     s->name);
    if (n < 0 || (size_t)n >= sizeof path)
        return 0;
    if (path[0] == '/' && path[1] == '/')
        memmove(path, path + 1, strlen(path));
    note_tried(s, path);
    if (!matches(s, path))
        return 0;
    if (!(s->found = vmr_strdup(path))) {
        s->rc = VMR_ENOMEM;
        return -1;
    }
    return 1;
}

/* Expands $ORIGIN, $LIB, $PLATFORM in one list entry; like ld.so, an
 * unbraced name must end the entry or be followed by '/'. */
static int expand(const char *entry, size_t n, const char *origin, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        const char *sub = NULL;
        size_t skip = 0;
        static const struct {
            const char *name, *value;
        } vars[] = {{"ORIGIN", NULL}, {"LIB", "lib/x86_64-linux-gnu"}, {"PLATFORM", "x86_64"}};
        if (entry[i] == '$') {
            for (size_t v = 0; v < 3 && !sub; v++) {
                size_t vl = strlen(vars[v].name);
                const char *val = vars[v].value ? vars[v].value : origin;
                if (i + 1 + vl <= n && memcmp(entry + i + 1, vars[v].name, vl) == 0 &&
                    (i + 1 + vl == n || entry[i + 1 + vl] == '/')) {
                    sub = val;
                    skip = 1 + vl;
                } else if (i + 3 + vl <= n && entry[i + 1] == '{' &&
                           memcmp(entry + i + 2, vars[v].name, vl) == 0 &&
                           entry[i + 2 + vl] == '}') {
                    sub = val;
                    skip = 3 + vl;
                }
            }
        }
        if (sub) {
            size_t sl = strlen(sub);
            if (o + sl >= cap)
                return -1;
            memcpy(out + o, sub, sl);
            o += sl;
            i += skip;
        } else {
            if (o + 1 >= cap)
                return -1;
            out[o++] = entry[i++];
        }
    }
    out[o] = 0;
    return 0;
}

/* Searches a colon list of directories (RPATH/RUNPATH) of object `obj`. */
static int try_list(struct search *s, const char *list, const struct vmr_image *obj)
{
    char origin[MAX_PATH];
    const char *path = obj->path ? obj->path : "";
    const char *slash = strrchr(path, '/');
    size_t ol = slash ? (size_t)(slash - path) : 0;
    snprintf(origin, sizeof origin, "%.*s", (int)ol, path);
    if (!origin[0])
        strcpy(origin, "/");
    for (const char *p = list;;) {
        size_t n = strcspn(p, ":");
        char dir[MAX_PATH];
        if (expand(p, n, origin, dir, sizeof dir) == 0) {
            int rc = try_dir(s, dir, strlen(dir));
            if (rc != 0)
                return rc;
        }
        if (!p[n])
            return 0;
        p += n + 1;
    }
}

int vmr_lib_resolve(struct vmr_lib_resolver *r, const char *name, const struct vmr_image *requester,
                    const struct vmr_image *main, char **path, char *errbuf, size_t errbuf_len)
{
    struct search s = {.r = r, .name = name, .want = requester};
    *path = NULL;
    int rc = 0;
    if (!name[0] || strlen(name) >= MAX_PATH / 2) {
        vmr_errf(errbuf, errbuf_len, "bad library name of %zu bytes", strlen(name));
        return VMR_ENOTFOUND;
    }
    if (strchr(name, '/')) {
        /* a path: used as is, relative ones from the root */
        char p[MAX_PATH];
        snprintf(p, sizeof p, "%s%s", name[0] == '/' ? "" : "/", name);
        s.name = strrchr(p, '/') + 1;
        rc = try_dir(&s, p, (size_t)(s.name - 1 - p));
        goto done;
    }
    if (!requester->runpath) {
        if (requester->rpath && (rc = try_list(&s, requester->rpath, requester)) != 0)
            goto done;
        if (main && main != requester && !main->runpath && main->rpath &&
            (rc = try_list(&s, main->rpath, main)) != 0)
            goto done;
    }
    if (requester->runpath && (rc = try_list(&s, requester->runpath, requester)) != 0)
        goto done;
    if (r->have_cache && requester->elf_class == 64 &&
        requester->machine == VMR_ELF_MACHINE_X86_64) {
        for (size_t i = 0; i < r->n_cache; i++) {
            if (strcmp(r->cache[i].name, name) != 0)
                continue;
            note_tried(&s, "ld.so.cache");
            if (matches(&s, r->cache[i].path)) {
                if (!(s.found = vmr_strdup(r->cache[i].path)))
                    s.rc = VMR_ENOMEM;
                rc = 1;
                goto done;
            }
        }
    }
    for (size_t i = 0; i < r->n_conf_dirs; i++)
        if ((rc = try_dir(&s, r->conf_dirs[i], strlen(r->conf_dirs[i]))) != 0)
            goto done;
    for (size_t i = 0; i < sizeof default_dirs / sizeof *default_dirs; i++)
        if ((rc = try_dir(&s, default_dirs[i], strlen(default_dirs[i]))) != 0)
            goto done;
done:
    if (s.rc == 0 && s.found) {
        *path = s.found;
        free(s.tried);
        return 0;
    }
    free(s.found);
    if (s.rc == VMR_ENOMEM)
        vmr_errf(errbuf, errbuf_len, "%s: out of memory", name);
    else
        vmr_errf(errbuf, errbuf_len,
                 "library %s (needed by %s) not found for ELF class %u machine %u; tried %s", name,
                 requester->path && requester->path[0] ? requester->path : "the program",
                 requester->elf_class, requester->machine, s.tried ? s.tried : "nothing");
    free(s.tried);
    return s.rc ? s.rc : VMR_ENOTFOUND;
}
