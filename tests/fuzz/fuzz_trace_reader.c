/*
 * fuzz_trace_reader.c - any bytes, read as a trace (the binary form when
 * they start with its magic): open, read everything in odd-sized batches,
 * count, rewind and read again, then once more through the read-ahead
 * thread with page words. Errors are expected; crashes, leaks, undefined
 * behaviour and unbounded allocations are not.
 */
#include <stdint.h>
#include <stdio.h>

#include "vmreplay/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void drain(struct vmr_trace_reader *r)
{
    struct vmr_record recs[5];
    size_t n;
    for (int guard = 0; guard < 1000000; guard++) {
        if (vmr_trace_reader_next(r, recs, 5, &n) != 0 || n == 0)
            return;
        char where[128];
        vmr_trace_reader_where(r, n - 1, where, sizeof where);
    }
}

/* Through the read-ahead thread, records with their page words. */
static void drain_words(struct vmr_trace_reader *r)
{
    const struct vmr_record *recs;
    const uint64_t *words;
    size_t n;
    uint64_t sum = 0;
    for (int guard = 0; guard < 1000000; guard++) {
        if (vmr_trace_reader_next_words(r, &recs, &words, 5, &n) != 0 || n == 0)
            break;
        for (size_t i = 0; words && i < n; i++)
            sum += words[i] ^ recs[i].addr;
    }
    if (sum == 1) /* keep the reads */
        fputc(0, stderr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    FILE *fp = fmemopen((void *)data, size, "rb");
    if (!fp)
        return 0;
    struct vmr_trace_reader *r;
    char err[256];
    if (vmr_trace_reader_open_stream(&r, fp, "fuzz", VMR_FORM_AUTO, err, sizeof err) == 0) {
        drain(r);
        if (vmr_trace_reader_rewind(r) == 0 && vmr_trace_reader_count(r) == 0)
            drain(r);
        if (vmr_trace_reader_rewind(r) == 0 && vmr_trace_reader_readahead(r, 7) == 0 &&
            vmr_trace_reader_page_words(r, 12) == 0)
            drain_words(r);
        vmr_trace_reader_destroy(r);
    }
    fclose(fp);
    return 0;
}
