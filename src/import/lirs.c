/*
 * lirs.c - the LIRS paper's traces (Jiang & Zhang, SIGMETRICS 2002) as the
 * cache2k benchmarks package them: a stream of big-endian 32-bit signed
 * block numbers, one per access (usually gzip-compressed). Block k is page
 * k of the imported area. A negative number or a partial last record is an
 * error at its byte offset.
 */
#include "internal.h"

enum { CHUNK = 4096 };

int vmr_import_parse_lirs(struct vmr_import_in *in, const struct vmr_import_options *opt,
                          struct vmr_import_sink *sink)
{
    (void)opt;
    unsigned char buf[CHUNK * 4];
    for (;;) {
        uint64_t at = vmr_import_in_offset(in);
        size_t got;
        int rc = vmr_import_in_read(in, buf, sizeof buf, &got);
        if (rc)
            return rc;
        if (got % 4)
            return vmr_import_in_fail_byte(in, at + got - got % 4, VMR_ETRUNCATED,
                                           "partial record (%zu of 4 bytes)", got % 4);
        for (size_t i = 0; i < got; i += 4) {
            uint32_t v = (uint32_t)buf[i] << 24 | (uint32_t)buf[i + 1] << 16 |
                         (uint32_t)buf[i + 2] << 8 | buf[i + 3];
            if (v >> 31)
                return vmr_import_in_fail_byte(in, at + i, VMR_EFORMAT, "negative block number %d",
                                               (int)(v - (1ull << 32)));
            if ((rc = sink->object(sink, v, 1)) != 0)
                return rc;
        }
        if (got < sizeof buf)
            return 0;
    }
}
