/*
 * lackey.c - Valgrind lackey's --trace-mem=yes log.
 *
 *   I  0400d7d4,8      instruction fetch of 8 bytes (two spaces after I)
 *    L 1ffefff6a8,8    load
 *    S 1ffefff6a0,8    store
 *    M 0421ed08,4      modify: load then store, recorded as one write
 *
 * Addresses are hexadecimal without 0x, sizes decimal. Valgrind's own lines
 * ("==PID== ...", "--PID-- ...", "**PID** ...") and the core's
 * --trace-syscalls=yes lines ("SYSCALL[PID,TID](N) ..." and their
 * continuation " --> ...") are skipped: the
 * log says nothing reliable about the areas, which the driver synthesises.
 * Every access goes to one pid (--pid, default 1).
 */
#include <string.h>

#include "internal.h"
#include "parse.h"
#include "vec.h"

static int skipped_line(const char *line, size_t len)
{
    if (len == 0)
        return 1;
    if (len >= 2 && ((line[0] == '=' && line[1] == '=') || (line[0] == '-' && line[1] == '-') ||
                     (line[0] == '*' && line[1] == '*')))
        return 1;
    return strncmp(line, "SYSCALL[", 8) == 0 || (len >= 4 && strncmp(line, " -->", 4) == 0);
}

int vmr_import_lackey_line(const char *line, size_t len, struct vmr_record *rec, char *errbuf,
                           size_t errbuf_len)
{
    if (skipped_line(line, len))
        return 0;
    const char *p;
    memset(rec, 0, sizeof *rec);
    if (len >= 3 && line[0] == 'I' && line[1] == ' ' && line[2] == ' ') {
        rec->kind = VMR_REC_FETCH;
        p = line + 3;
    } else if (len >= 3 && line[0] == ' ' && line[2] == ' ' &&
               (line[1] == 'L' || line[1] == 'S' || line[1] == 'M')) {
        rec->kind = line[1] == 'L' ? VMR_REC_READ : VMR_REC_WRITE;
        p = line + 3;
    } else {
        vmr_errf(errbuf, errbuf_len, "expected 'I  ADDR,SIZE' or ' L|S|M ADDR,SIZE'");
        return VMR_EFORMAT;
    }
    const char *end = line + len, *comma = memchr(p, ',', (size_t)(end - p));
    uint64_t addr, size;
    if (!comma || vmr_import_parse_hex(p, (size_t)(comma - p), &addr) != 0) {
        vmr_errf(errbuf, errbuf_len, "bad address (expected hexadecimal digits, then ',SIZE')");
        return VMR_EFORMAT;
    }
    if (vmr_parse_u64_n(comma + 1, (size_t)(end - comma - 1), &size) != 0 || size == 0 ||
        size > UINT32_MAX) {
        vmr_errf(errbuf, errbuf_len, "bad size (expected a decimal number from 1 to 2^32-1)");
        return VMR_EFORMAT;
    }
    if (addr + (size - 1) < addr) {
        vmr_errf(errbuf, errbuf_len, "access runs past the end of the address space");
        return VMR_EFORMAT;
    }
    rec->addr = addr;
    rec->size = (uint32_t)size;
    rec->count = 1;
    return 1;
}

int vmr_import_parse_lackey(struct vmr_import_in *in, const struct vmr_import_options *opt,
                            struct vmr_import_sink *sink)
{
    (void)opt;
    char *line;
    size_t len;
    int rc;
    while ((rc = vmr_import_in_getline(in, &line, &len)) == 1) {
        struct vmr_record rec;
        char msg[256];
        rc = vmr_import_lackey_line(line, len, &rec, msg, sizeof msg);
        if (rc < 0)
            return vmr_import_in_fail_line(in, "%s", msg);
        if (rc == 1 && (rc = sink->access(sink, &rec)) != 0)
            return rc;
    }
    return rc;
}
