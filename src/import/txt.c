/*
 * txt.c - libCacheSim's plain-text trace: one object id per line (decimal,
 * or 0x hexadecimal). Blank lines and lines starting with '#' are skipped.
 * Object id k is page k of the imported area.
 */
#include "internal.h"
#include "parse.h"

int vmr_import_parse_txt(struct vmr_import_in *in, const struct vmr_import_options *opt,
                         struct vmr_import_sink *sink)
{
    (void)opt;
    char *line, *f[2];
    size_t len;
    int rc;
    while ((rc = vmr_import_in_getline(in, &line, &len)) == 1) {
        size_t n = vmr_import_split(line, f, 1);
        if (n == 0 || f[0][0] == '#')
            continue;
        uint64_t id;
        if (n > 1 || vmr_parse_u64(f[0], &id) != 0)
            return vmr_import_in_fail_line(in, "expected one object id (an unsigned number)");
        if ((rc = sink->object(sink, id, 1)) != 0)
            return rc;
    }
    return rc;
}
