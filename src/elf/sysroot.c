/*
 * sysroot.c - paths of the simulated machine looked up under a host
 * directory, the way a chroot sees them.
 *
 * The path is walked one component at a time; a symbolic link is read and
 * its target spliced into the rest of the path (an absolute target restarts
 * at the sysroot), so that a sysroot copied from another machine, whose
 * links are absolute (/lib64/ld-linux-x86-64.so.2 -> /lib/...), never
 * reaches into the host's own files. ".." stops at the sysroot's root.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vec.h"
#include "vmreplay/elf.h"

#define MAX_LINKS 40 /* as Linux's MAXSYMLINKS */
#define MAX_PATH  4096

/* The sysroot without trailing slashes; "" for the host's root. */
static size_t root_len(const char *sysroot)
{
    size_t n = sysroot ? strlen(sysroot) : 0;
    while (n > 0 && sysroot[n - 1] == '/')
        n--;
    return n;
}

int vmr_sysroot_resolve(const char *sysroot, const char *path, char **canonical, char **host,
                        char *errbuf, size_t errbuf_len)
{
    if (canonical)
        *canonical = NULL;
    if (host)
        *host = NULL;
    if (!path || path[0] != '/') {
        vmr_errf(errbuf, errbuf_len, "%s: not an absolute path", path ? path : "(null)");
        return VMR_EINVAL;
    }
    size_t rl = root_len(sysroot);
    if (strlen(path) >= MAX_PATH) {
        vmr_errf(errbuf, errbuf_len, "%.64s...: path too long", path);
        return VMR_ENOTFOUND;
    }
    /* buf = sysroot + resolved part; rest = what is left to walk */
    char *buf = malloc(rl + MAX_PATH + 2), *rest = malloc(2 * MAX_PATH + 2),
         *tmp = malloc(2 * MAX_PATH + 2);
    int rc = 0, links = 0;
    if (!buf || !rest || !tmp) {
        rc = VMR_ENOMEM;
        goto out;
    }
    if (rl)
        memcpy(buf, sysroot, rl);
    size_t len = rl; /* resolved part: buf[rl, len), "" = the root */
    strcpy(rest, path);
    char *p = rest;
    for (;;) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 1 && p[0] == '.') {
            p += n;
            continue;
        }
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            while (len > rl && buf[len - 1] != '/')
                len--;
            if (len > rl)
                len--;
            p += n;
            continue;
        }
        if (len - rl + 1 + n >= MAX_PATH) {
            vmr_errf(errbuf, errbuf_len, "%s: path too long", path);
            rc = VMR_ENOTFOUND;
            goto out;
        }
        size_t before = len;
        buf[len++] = '/';
        memcpy(buf + len, p, n);
        len += n;
        buf[len] = 0;
        p += n;
        struct stat st;
        if (lstat(buf, &st) != 0) {
            vmr_errf(errbuf, errbuf_len, "%s: no such file (looked for %s: %s)", path, buf,
                     strerror(errno));
            rc = errno == ENOMEM ? VMR_ENOMEM : VMR_ENOTFOUND;
            goto out;
        }
        if (S_ISLNK(st.st_mode)) {
            if (++links > MAX_LINKS) {
                vmr_errf(errbuf, errbuf_len, "%s: too many levels of symbolic links", path);
                rc = VMR_ENOTFOUND;
                goto out;
            }
            ssize_t t = readlink(buf, tmp, MAX_PATH);
            if (t <= 0 || t >= MAX_PATH) {
                vmr_errf(errbuf, errbuf_len, "%s: unreadable symbolic link %s", path, buf);
                rc = VMR_ENOTFOUND;
                goto out;
            }
            tmp[t] = 0;
            if (strlen(p) + (size_t)t + 2 >= 2 * MAX_PATH) {
                vmr_errf(errbuf, errbuf_len, "%s: path too long", path);
                rc = VMR_ENOTFOUND;
                goto out;
            }
            strcat(tmp, "/");
            strcat(tmp, p);
            strcpy(rest, tmp);
            p = rest;
            len = tmp[0] == '/' ? rl : before;
            continue;
        }
        while (*p == '/')
            p++;
        if (*p && !S_ISDIR(st.st_mode)) {
            vmr_errf(errbuf, errbuf_len, "%s: no such file (%s is not a directory)", path, buf);
            rc = VMR_ENOTFOUND;
            goto out;
        }
    }
    buf[len] = 0;
    if (canonical && !(*canonical = vmr_strdup(len > rl ? buf + rl : "/")))
        rc = VMR_ENOMEM;
    if (rc == 0 && host && !(*host = vmr_strdup(len > 0 ? buf : "/")))
        rc = VMR_ENOMEM;
    if (rc != 0 && canonical) {
        free(*canonical);
        *canonical = NULL;
    }
out:
    if (rc == VMR_ENOMEM)
        vmr_errf(errbuf, errbuf_len, "%s: out of memory", path);
    free(buf);
    free(rest);
    free(tmp);
    return rc;
}
