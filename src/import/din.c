/*
 * din.c - Dinero IV's "din" input format: one reference per line,
 *
 *   LABEL ADDRESS [ignored...]
 *
 * LABEL 0 read, 1 write, 2 instruction fetch; 3 (escape) and 4 (cache flush)
 * carry no access and are skipped. ADDRESS is hexadecimal, with or without
 * 0x. Each reference is one byte (din gives no size). Blank lines and lines
 * starting with '#' are skipped. One pid (--pid, default 1).
 */
#include <string.h>

#include "internal.h"

int vmr_import_parse_din(struct vmr_import_in *in, const struct vmr_import_options *opt,
                         struct vmr_import_sink *sink)
{
    (void)opt;
    char *line, *f[3];
    size_t len;
    int rc;
    while ((rc = vmr_import_in_getline(in, &line, &len)) == 1) {
        size_t n = vmr_import_split(line, f, 2);
        if (n == 0 || f[0][0] == '#')
            continue;
        if (n < 2)
            return vmr_import_in_fail_line(in, "expected 'LABEL ADDRESS'");
        if (strlen(f[0]) != 1 || f[0][0] < '0' || f[0][0] > '4')
            return vmr_import_in_fail_line(in,
                                           "label '%s': expected 0 (read), 1 (write), 2 "
                                           "(fetch), 3 or 4",
                                           f[0]);
        struct vmr_record rec = {0};
        if (vmr_import_parse_hex(f[1], strlen(f[1]), &rec.addr) != 0)
            return vmr_import_in_fail_line(in, "address '%s': expected at most 16 hex digits",
                                           f[1]);
        if (f[0][0] >= '3')
            continue;
        rec.kind = (uint8_t)(f[0][0] - '0'); /* 0, 1, 2 = r, w, x as the format encodes */
        rec.size = 1;
        rec.count = 1;
        if ((rc = sink->access(sink, &rec)) != 0)
            return rc;
    }
    return rc;
}
