/* util.c - helpers shared by the subcommands (cli.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "parse.h"
#include "vmreplay/common.h"

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
