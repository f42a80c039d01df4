/*
 * pinatrace.c - the memory trace of Intel Pin's pinatrace example tool:
 *
 *   0x7f1e2c3d4e5f: W 0x7ffd1234abcd [SIZE]
 *
 * the instruction's address (ignored: pinatrace traces data accesses only),
 * R or W, the data address, and an optional decimal size (newer versions
 * print it; default 1). Lines starting with '#' (pinatrace ends with "#eof")
 * and blank lines are skipped. One pid (--pid, default 1).
 */
#include <string.h>

#include "internal.h"
#include "parse.h"

int vmr_import_parse_pinatrace(struct vmr_import_in *in, const struct vmr_import_options *opt,
                               struct vmr_import_sink *sink)
{
    (void)opt;
    char *line, *f[5];
    size_t len;
    int rc;
    while ((rc = vmr_import_in_getline(in, &line, &len)) == 1) {
        size_t n = vmr_import_split(line, f, 4);
        if (n == 0 || f[0][0] == '#')
            continue;
        if (n < 3 || n > 4)
            return vmr_import_in_fail_line(in, "expected '0xPC: R|W 0xADDR [SIZE]'");
        size_t pl = strlen(f[0]);
        uint64_t pc, size = 1;
        struct vmr_record rec = {0};
        if (pl < 2 || f[0][pl - 1] != ':' || vmr_import_parse_hex(f[0], pl - 1, &pc) != 0)
            return vmr_import_in_fail_line(in, "'%s': expected the instruction address and ':'",
                                           f[0]);
        if (strcmp(f[1], "R") == 0)
            rec.kind = VMR_REC_READ;
        else if (strcmp(f[1], "W") == 0)
            rec.kind = VMR_REC_WRITE;
        else
            return vmr_import_in_fail_line(in, "'%s': expected R or W", f[1]);
        if (vmr_import_parse_hex(f[2], strlen(f[2]), &rec.addr) != 0)
            return vmr_import_in_fail_line(in, "address '%s': expected at most 16 hex digits",
                                           f[2]);
        if (n == 4 && (vmr_parse_u64(f[3], &size) != 0 || size == 0 || size > UINT32_MAX))
            return vmr_import_in_fail_line(in, "size '%s': expected 1 to 2^32-1", f[3]);
        if (rec.addr + (size - 1) < rec.addr)
            return vmr_import_in_fail_line(in, "access runs past the end of the address space");
        rec.size = (uint32_t)size;
        rec.count = 1;
        if ((rc = sink->access(sink, &rec)) != 0)
            return rc;
    }
    return rc;
}
