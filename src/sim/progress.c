/*
 * progress.c - a one-line progress meter on a terminal (analysis.h):
 * records done, percentage and ETA when the total is known, and the rate.
 * Drawn at the first batch, then at most every 250 ms so it costs nothing
 * next to a replay.
 */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "vmreplay/analysis.h"

struct vmr_progress {
    FILE *fp;
    const char *label;
    uint64_t total, done;
    double start, last;
    int drawn;
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct vmr_progress *vmr_progress_create(FILE *fp, int only_tty, const char *label,
                                         uint64_t total_records)
{
    struct vmr_progress *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    if (fp && (!only_tty || isatty(fileno(fp))))
        p->fp = fp;
    p->label = label ? label : "";
    p->total = total_records;
    p->start = p->last = now_seconds();
    return p;
}

static void draw(struct vmr_progress *p, double t)
{
    double elapsed = t - p->start;
    double rate = elapsed > 0 ? (double)p->done / elapsed : 0;
    if (p->total) {
        double frac = (double)p->done / (double)p->total;
        double eta =
            rate > 0 ? (double)(p->total - (p->done < p->total ? p->done : p->total)) / rate : 0;
        fprintf(p->fp, "\r%s %5.1f%%  %.2f M records/s  ETA %02d:%02d ", p->label, 100 * frac,
                rate / 1e6, (int)(eta / 60), (int)eta % 60);
    } else {
        fprintf(p->fp, "\r%s %.1f M records  %.2f M records/s ", p->label, (double)p->done / 1e6,
                rate / 1e6);
    }
    fflush(p->fp);
    p->drawn = 1;
}

void vmr_progress_add(struct vmr_progress *p, uint64_t records)
{
    if (!p)
        return;
    p->done += records;
    if (!p->fp)
        return;
    double t = now_seconds();
    if (p->drawn && t - p->last < 0.25)
        return;
    p->last = t;
    draw(p, t);
}

void vmr_progress_destroy(struct vmr_progress *p)
{
    if (!p)
        return;
    if (p->fp && p->drawn) {
        fputs("\r\033[K", p->fp);
        fflush(p->fp);
    }
    free(p);
}
