/*
 * bench_trace_bytes.c - how many bytes a trace's accesses take in each
 * binary format version, written by the real writer.
 *
 *   bench_trace_bytes TRACE
 *
 * Reads TRACE once and writes every record again, with vmreplay's writer,
 * four ways: format 1.0 and 1.1 (traces/FORMAT.md 2.3), each with the
 * writer's defaults (1 MiB frames, zstd level 3) and with `vmreplay
 * record`'s settings (16 MiB frames, window spanning the frame, hash log
 * 18, minimum match 4). The files go to $TMPDIR (default /tmp) and are
 * removed. Prints, per access (repeat counts included):
 *
 *   - how the records look: repeat counts, size changes, how far back (in
 *     distinct pages of the same pid) the previous access to a record's
 *     page was, which is what 1.1's four bases exploit;
 *   - for each way: the file's bytes and the records' raw bytes (before
 *     zstd) per access, and the CPU seconds the writer took (encoding and
 *     compression; the reader's time is not counted).
 *
 * BENCHMARKS.md#trace-size has the figures.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "benchutil.h"
#include "vmreplay/trace.h"

enum { RECENT = 8, MAX_PIDS = 256, BATCH = 4096, WAYS = 4 };

struct pid_pages {
    uint32_t pid;
    uint64_t recent[RECENT]; /* the last distinct pages, + 1 (0 = none) */
};

static struct pid_pages pids[MAX_PIDS];
static size_t n_pids;

static struct pid_pages *pages_of(uint32_t pid)
{
    for (size_t i = 0; i < n_pids; i++)
        if (pids[i].pid == pid)
            return &pids[i];
    struct pid_pages *s = &pids[n_pids < MAX_PIDS ? n_pids++ : 0];
    memset(s, 0, sizeof *s);
    s->pid = pid;
    return s;
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The records' raw bytes: the sum of the frame headers' raw_bytes. */
static uint64_t raw_bytes(const char *path)
{
    FILE *in = fopen(path, "rb");
    unsigned char h[32];
    uint64_t raw = 0;
    if (!in || fread(h, 1, 24, in) != 24) {
        perror(path);
        exit(1);
    }
    fseeko(in, (off_t)le32(h + 12), SEEK_SET);
    while (fread(h, 1, 32, in) == 32 && memcmp(h, "VMF", 3) == 0) {
        raw += le32(h + 8);
        fseeko(in, (off_t)le32(h + 4), SEEK_CUR);
    }
    fclose(in);
    return raw;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bench_trace_bytes TRACE\n");
        return 2;
    }
    struct vmr_trace_reader *r;
    char err[512];
    if (vmr_trace_reader_open(&r, argv[1], VMR_FORM_AUTO, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    const struct vmr_trace_info *info = vmr_trace_reader_info(r);
    struct vmr_trace_header hdr = {info->page_size, info->n_meta, info->meta};
    static const char *const names[WAYS] = {"1.0, 1 MiB frames", "1.0, record's settings",
                                            "1.1, 1 MiB frames", "1.1, record's settings"};
    struct vmr_trace_writer *w[WAYS];
    char path[WAYS][512];
    double cpu[WAYS] = {0};
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    for (int k = 0; k < WAYS; k++) {
        struct vmr_trace_writer_options o = {.form = VMR_FORM_BINARY,
                                             .format_version = k < 2 ? 10 : 11};
        if (k % 2) {
            o.frame_bytes = 16u << 20;
            o.zstd_hash_log = 18;
            o.zstd_min_match = 4;
        }
        snprintf(path[k], sizeof path[k], "%s/bench_trace_bytes.%ld.%d.vmt", tmp, (long)getpid(),
                 k);
        if (vmr_trace_writer_open(&w[k], path[k], &hdr, &o, err, sizeof err) != 0) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
    }
    uint64_t records = 0, accesses = 0, count1 = 0, size_changes = 0, recent_pos[RECENT + 1] = {0};
    uint32_t last_size = 1;
    static struct vmr_record recs[BATCH];
    size_t n;
    int rc;
    while ((rc = vmr_trace_reader_next(r, recs, BATCH, &n)) == 0 && n > 0) {
        for (int k = 0; k < WAYS; k++) {
            double t0 = bench_thread_cpu();
            if (vmr_trace_writer_put_batch(w[k], recs, n) != 0) {
                fprintf(stderr, "%s\n", vmr_trace_writer_error(w[k]));
                return 1;
            }
            cpu[k] += bench_thread_cpu() - t0;
        }
        for (size_t i = 0; i < n; i++) {
            const struct vmr_record *a = &recs[i];
            if (!vmr_rec_is_access(a->kind))
                continue;
            records++;
            accesses += a->count;
            count1 += a->count == 1;
            size_changes += a->size != last_size;
            last_size = a->size;
            struct pid_pages *s = pages_of(a->pid);
            uint64_t page = (a->addr >> 12) + 1;
            int pos = 0;
            while (pos < RECENT && s->recent[pos] != page)
                pos++;
            recent_pos[pos]++;
            memmove(s->recent + 1, s->recent, (size_t)(pos < RECENT ? pos : RECENT - 1) * 8);
            s->recent[0] = page;
        }
    }
    if (rc != 0) {
        fprintf(stderr, "%s\n", vmr_trace_reader_error(r));
        return 1;
    }
    vmr_trace_reader_destroy(r);
    for (int k = 0; k < WAYS; k++) {
        double t0 = bench_thread_cpu();
        if (vmr_trace_writer_close(w[k], err, sizeof err) != 0) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        cpu[k] += bench_thread_cpu() - t0;
    }
    if (!accesses) {
        fprintf(stderr, "%s: no accesses\n", argv[1]);
        return 1;
    }
    double a = (double)accesses;
    printf("# bench_trace_bytes %s\n", argv[1]);
    printf("access records %" PRIu64 ", accesses %" PRIu64 " (%.2f per record)\n", records,
           accesses, a / (double)records);
    printf("records with count 1: %.1f%%; records changing the size: %.1f%%\n",
           100.0 * (double)count1 / (double)records,
           100.0 * (double)size_changes / (double)records);
    printf("page of a record among its pid's last distinct pages (0 = the previous one's):");
    for (int i = 0; i <= RECENT; i++)
        printf(" %s%.1f%%", i == RECENT ? "none " : "",
               100.0 * (double)recent_pos[i] / (double)records);
    printf("\n");
    printf("| format, settings | bytes / access | raw bytes / access | writer CPU s |\n");
    printf("|---|---|---|---|\n");
    for (int k = 0; k < WAYS; k++) {
        FILE *fp = fopen(path[k], "rb");
        if (!fp || fseeko(fp, 0, SEEK_END) != 0) {
            perror(path[k]);
            return 1;
        }
        double size = (double)ftello(fp);
        fclose(fp);
        printf("| %s | %.3f | %.3f | %.2f |\n", names[k], size / a, (double)raw_bytes(path[k]) / a,
               cpu[k]);
        unlink(path[k]);
    }
    return 0;
}
