/*
 * arc.c - the ARC paper's traces (Megiddo & Modha, FAST 2003), ".lis":
 *
 *   START_BLOCK N_BLOCKS IGNORED REQUEST_NO
 *
 * a request for blocks START .. START+N-1, each block one page (block k is
 * page k of the imported area), all reads. N is 1 to 2^20. Blank
 * lines are skipped.
 */
#include "internal.h"
#include "parse.h"

enum { MAX_BLOCKS = 1 << 20 }; /* per request; the published traces stay far below */

int vmr_import_parse_arc(struct vmr_import_in *in, const struct vmr_import_options *opt,
                         struct vmr_import_sink *sink)
{
    (void)opt;
    char *line, *f[5];
    size_t len;
    int rc;
    while ((rc = vmr_import_in_getline(in, &line, &len)) == 1) {
        size_t n = vmr_import_split(line, f, 4);
        if (n == 0)
            continue;
        uint64_t start, count, ignored;
        if (n != 4)
            return vmr_import_in_fail_line(in,
                                           "expected 'START_BLOCK N_BLOCKS IGNORED REQUEST_NO'");
        if (vmr_parse_u64(f[0], &start) != 0)
            return vmr_import_in_fail_line(in, "start block '%s': expected a number", f[0]);
        if (vmr_parse_u64(f[1], &count) != 0 || count == 0 || count > MAX_BLOCKS)
            return vmr_import_in_fail_line(in, "block count '%s': expected 1 to %d", f[1],
                                           MAX_BLOCKS);
        if (vmr_parse_u64(f[2], &ignored) != 0 || vmr_parse_u64(f[3], &ignored) != 0)
            return vmr_import_in_fail_line(in, "fields 3 and 4 must be numbers");
        if (start + (count - 1) < start)
            return vmr_import_in_fail_line(in, "blocks run past 2^64");
        for (uint64_t b = 0; b < count; b++)
            if ((rc = sink->object(sink, start + b, 1)) != 0)
                return rc;
    }
    return rc;
}
