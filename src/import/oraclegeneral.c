/*
 * oraclegeneral.c - libCacheSim's oracleGeneral binary trace: packed
 * 24-byte little-endian records
 *
 *   u32 timestamp, u64 object id, u32 object size, i64 next access (vtime)
 *
 * Only the id and the size are used: object id k is page k of the imported
 * area (or, with --block-size B, pages k*M .. k*M + ceil(size/B) - 1 where M
 * is the most pages any object takes). A partial last record is an error at
 * its byte offset.
 */
#include "internal.h"

enum { REC_BYTES = 24, CHUNK = 2048 };

static uint64_t le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

int vmr_import_parse_oraclegeneral(struct vmr_import_in *in, const struct vmr_import_options *opt,
                                   struct vmr_import_sink *sink)
{
    unsigned char buf[CHUNK * REC_BYTES];
    for (;;) {
        uint64_t at = vmr_import_in_offset(in);
        size_t got;
        int rc = vmr_import_in_read(in, buf, sizeof buf, &got);
        if (rc)
            return rc;
        if (got % REC_BYTES)
            return vmr_import_in_fail_byte(in, at + got - got % REC_BYTES, VMR_ETRUNCATED,
                                           "partial record (%zu of %d bytes)", got % REC_BYTES,
                                           REC_BYTES);
        for (size_t i = 0; i < got; i += REC_BYTES) {
            uint64_t id = le(buf + i + 4, 8), size = le(buf + i + 12, 4);
            if ((rc = sink->object(sink, id, vmr_import_object_pages(opt, size))) != 0)
                return rc;
        }
        if (got < sizeof buf)
            return 0;
    }
}
