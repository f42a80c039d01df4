/*
 * import_fuzz.h - the body every fuzz_import_NAME.c target shares: any
 * bytes imported as format IMPORT_FORMAT into a binary trace in memory.
 * Errors are expected; crashes, leaks and undefined behaviour are not, and
 * neither is output that does not read back, which aborts: a successful
 * import must give a trace the reader accepts whole, with every access
 * inside an area the importer declared.
 *
 * The first input byte picks options (bit 0 --dense, bit 1 a 4K block size,
 * bit 2 an 8K page size); for csv the first line after it is the column spec.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmreplay/import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_output(const char *buf, size_t len)
{
    FILE *fp = fmemopen((void *)buf, len, "rb");
    if (!fp)
        abort();
    struct vmr_trace_reader *r;
    char err[256];
    if (vmr_trace_reader_open_stream(&r, fp, "out", VMR_FORM_BINARY, err, sizeof err) != 0) {
        fprintf(stderr, "imported trace does not open: %s\n", err);
        abort();
    }
    struct vmr_record recs[64];
    size_t n;
    uint64_t lo[256], len_[256];
    size_t n_areas = 0;
    int rc;
    while ((rc = vmr_trace_reader_next(r, recs, 64, &n)) == 0 && n > 0)
        for (size_t i = 0; i < n; i++) {
            const struct vmr_record *rec = &recs[i];
            if (rec->kind == VMR_REC_MMAP && n_areas < 256) {
                lo[n_areas] = rec->addr;
                len_[n_areas++] = rec->len;
            } else if (vmr_rec_is_access(rec->kind) && n_areas < 256) {
                /* an access may straddle two adjacent areas: its first byte
                 * must be in one */
                int inside = 0;
                for (size_t a = 0; a < n_areas && !inside; a++)
                    inside = rec->addr >= lo[a] && rec->addr - lo[a] < len_[a];
                if (!inside) {
                    fprintf(stderr, "access at 0x%llx outside every area\n",
                            (unsigned long long)rec->addr);
                    abort();
                }
            }
        }
    if (rc != 0) {
        fprintf(stderr, "imported trace does not read back: %s\n", vmr_trace_reader_error(r));
        abort();
    }
    vmr_trace_reader_destroy(r);
    fclose(fp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vmr_import_options opt = {0};
    char spec[256];
    if (size > 0) {
        opt.dense = data[0] & 1;
        opt.block_size = (data[0] & 2) ? 4096 : 0;
        opt.page_size = (data[0] & 4) ? 8192 : 4096;
        data++;
        size--;
    }
    if (strcmp(IMPORT_FORMAT, "csv") == 0) {
        const uint8_t *nl = memchr(data, '\n', size < sizeof spec ? size : sizeof spec);
        size_t l = nl ? (size_t)(nl - data) : 0;
        memcpy(spec, data, l);
        spec[l] = '\0';
        if (memchr(spec, '\0', l) == NULL && l > 0)
            opt.csv_spec = spec;
        if (nl) {
            data += l + 1;
            size -= l + 1;
        }
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    if (!fp)
        abort();
    struct vmr_trace_header hdr = {opt.page_size ? opt.page_size : 4096, 0, NULL};
    struct vmr_trace_writer_options wopt = {
        .form = VMR_FORM_BINARY, .zstd_level = 1, .frame_bytes = 4096};
    struct vmr_trace_writer *w;
    char err[512];
    if (vmr_trace_writer_open_stream(&w, fp, "out", &hdr, &wopt, err, sizeof err) != 0)
        abort();
    int rc = vmr_import_memory(IMPORT_FORMAT, data, size, "fuzz", &opt, w, err, sizeof err);
    if (rc == 0) {
        if (vmr_trace_writer_close(w, err, sizeof err) != 0)
            abort();
        fclose(fp);
        check_output(buf, len);
    } else {
        if (!err[0] || !strstr(err, "fuzz")) {
            fprintf(stderr, "error without the input's name: '%s'\n", err);
            abort();
        }
        vmr_trace_writer_destroy(w);
        fclose(fp);
    }
    free(buf);
    return 0;
}
