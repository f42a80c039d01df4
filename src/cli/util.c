/* util.c - helpers shared by the subcommands (cli.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "parse.h"
#include "vmreplay/trace.h"

void cli_error(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fputs("vmreplay: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_usage_error(const struct vmr_cmd *cmd, const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fprintf(stderr, "vmreplay %s: ", cmd->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'vmreplay help %s'.\n", cmd->name);
    return CLI_USAGE;
}

int cli_print_usage(const struct vmr_cmd *cmd)
{
    fputs(cmd->usage, stdout);
    return CLI_OK;
}

FILE *cli_open_out(const char *path)
{
    if (strcmp(path, "-") == 0)
        return stdout;
    FILE *fp = fopen(path, "w");
    if (!fp)
        cli_error("cannot create %s: %s", path, strerror(errno));
    return fp;
}

int cli_close_out(FILE *fp, const char *path)
{
    int bad = fflush(fp) != 0 || ferror(fp);
    int saved = errno;
    if (fp != stdout) {
        if (fclose(fp) != 0 && !bad) {
            bad = 1;
            saved = errno;
        }
    }
    if (bad) {
        cli_error("error writing %s: %s", strcmp(path, "-") ? path : "standard output",
                  strerror(saved ? saved : EIO));
        return CLI_FAIL;
    }
    return CLI_OK;
}

int cli_parse_size(const struct vmr_cmd *cmd, const char *opt, const char *arg, uint64_t *out)
{
    int rc = vmr_parse_size(arg, out);
    if (rc == VMR_ERANGE)
        return cli_usage_error(cmd, "%s: '%s' is too large", opt, arg);
    if (rc != 0)
        return cli_usage_error(cmd, "%s: '%s' is not a size (examples: 4096, 64K, 1.5G, 0x1000)",
                               opt, arg);
    return CLI_OK;
}

int cli_parse_u64(const struct vmr_cmd *cmd, const char *opt, const char *arg, uint64_t *out)
{
    int rc = vmr_parse_u64(arg, out);
    if (rc == VMR_ERANGE)
        return cli_usage_error(cmd, "%s: '%s' is too large", opt, arg);
    if (rc != 0)
        return cli_usage_error(cmd, "%s: '%s' is not a number", opt, arg);
    return CLI_OK;
}

int cli_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (strcmp(a, "-") == 0 || strcmp(b, "-") == 0)
        return 0;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

uint64_t cli_progress_total(const char *path)
{
    if (!isatty(STDERR_FILENO) || strcmp(path, "-") == 0)
        return 0;
    struct vmr_trace_reader *r;
    if (vmr_trace_reader_open(&r, path, VMR_FORM_AUTO, NULL, 0) != 0)
        return 0;
    const struct vmr_trace_info *info = vmr_trace_reader_info(r);
    uint64_t n = info->indexed ? info->n_records : 0;
    vmr_trace_reader_destroy(r);
    return n;
}

size_t cli_split_policies(const char *list, char **out, size_t max)
{
    size_t n = 0;
    const char *p = list;
    while (*p && n < max) {
        size_t len = strcspn(p, ",");
        int cont = n > 0 && memchr(p, '=', len) && !memchr(p, ':', len);
        if (cont) {
            size_t old = strlen(out[n - 1]);
            char *s = realloc(out[n - 1], old + len + 2);
            if (!s)
                return 0;
            s[old] = ',';
            memcpy(s + old + 1, p, len);
            s[old + len + 1] = 0;
            out[n - 1] = s;
        } else if (len > 0) {
            char *s = malloc(len + 1);
            if (!s)
                return 0;
            memcpy(s, p, len);
            s[len] = 0;
            out[n++] = s;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    return n;
}
