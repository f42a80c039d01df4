/*
 * bench_decode.c - how fast a trace decodes, against zstd alone.
 *
 *   bench_decode TRACE [--repeat N] [--zst OUT.zst]
 *
 * Decodes TRACE N times (default 5) through vmr_trace_reader_next and prints
 * the median time as records/s, accesses/s, and MB/s of compressed file and
 * of raw record bytes. --zst writes the trace's compressed frames, end to
 * end, as a plain multi-frame .zst file holding exactly the same compressed
 * bytes, so that `zstd -d -c OUT.zst > /dev/null` (e.g. under hyperfine) is
 * the baseline for the same work minus our record decoding. Binary traces
 * only. Never asserts on time.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "benchutil.h"
#include "vmreplay/trace.h"

int vmr_varint_pext_fast(void); /* src/trace/binary.h */

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Copies the zstd payloads of every frame to out; returns raw bytes total. */
static uint64_t extract_frames(const char *path, const char *out)
{
    FILE *in = fopen(path, "rb"), *o = out ? fopen(out, "wb") : NULL;
    if (!in || (out && !o)) {
        perror(out ? out : path);
        exit(1);
    }
    unsigned char h[32];
    if (fread(h, 1, 24, in) != 24)
        exit(1);
    uint64_t raw = 0;
    fseek(in, (long)le32(h + 12), SEEK_SET);
    while (fread(h, 1, 32, in) == 32 && (memcmp(h, "VMF1", 4) == 0 || memcmp(h, "VMF2", 4) == 0)) {
        uint32_t comp = le32(h + 4);
        raw += le32(h + 8);
        unsigned char *buf = malloc(comp);
        if (fread(buf, 1, comp, in) != comp)
            exit(1);
        if (o && fwrite(buf, 1, comp, o) != comp)
            exit(1);
        free(buf);
    }
    fclose(in);
    if (o && fclose(o) != 0)
        exit(1);
    return raw;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s TRACE [--repeat N] [--zst OUT.zst]\n", argv[0]);
        return 2;
    }
    const char *path = argv[1], *zst = NULL;
    int repeat = 5;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--repeat") == 0)
            repeat = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--zst") == 0)
            zst = argv[i + 1];
    }
    if (repeat < 1 || repeat > 99)
        repeat = 5;
    uint64_t raw = extract_frames(path, zst);
    FILE *fp = fopen(path, "rb");
    fseek(fp, 0, SEEK_END);
    double file_mb = (double)ftell(fp) / 1e6;
    fclose(fp);
    enum { BATCH = 2048 };
    struct vmr_record *recs = malloc(BATCH * sizeof *recs);
    double times[99];
    uint64_t records = 0, accesses = 0;
    for (int rep = 0; rep < repeat; rep++) {
        char err[512];
        struct vmr_trace_reader *r;
        if (vmr_trace_reader_open(&r, path, VMR_FORM_AUTO, err, sizeof err) != 0) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        records = accesses = 0;
        double t0 = bench_now();
        size_t n;
        while (vmr_trace_reader_next(r, recs, BATCH, &n) == 0 && n > 0) {
            records += n;
            for (size_t i = 0; i < n; i++)
                accesses += recs[i].count;
        }
        times[rep] = bench_now() - t0;
        vmr_trace_reader_destroy(r);
    }
    qsort(times, (size_t)repeat, sizeof times[0], bench_cmp_double);
    double t = times[repeat / 2];
    printf("# command:");
    for (int i = 0; i < argc; i++)
        printf(" %s", argv[i]);
    printf("\n# median of %d runs; varints gathered with %s\n", repeat,
           vmr_varint_pext_fast() ? "pext (VMREPLAY_NO_PEXT=1 for the portable decoder)"
                                  : "the portable decoder");
    printf("records      %" PRIu64 "\naccesses     %" PRIu64 "\nseconds      %.3f\n", records,
           accesses, t);
    printf("records/s    %.1f M\naccesses/s   %.1f M\n", records / t / 1e6, accesses / t / 1e6);
    printf("file MB/s    %.1f (%.1f MB)\nraw MB/s     %.1f (%.1f MB of records, %.2f bytes each)\n",
           file_mb / t, file_mb, raw / t / 1e6, raw / 1e6, (double)raw / (double)records);
    free(recs);
    return 0;
}
