/*
 * readahead.c - decoding a trace ahead of its reader, in a second thread.
 *
 * Replay is decode + simulation; with two cores the decoding (zstd and the
 * record codec) can run while the caller simulates the previous batch. A
 * worker thread calls the form's own `next` into a ring of RA_BUFS batch
 * buffers; vmr_trace_reader_next then copies records out of the oldest one
 * (vmr_trace_reader_next_view hands them out in place).
 * If asked (vmr_trace_reader_page_words), the worker has the form describe
 * each record in one page word (trace.h) as it decodes it: the caller's hot
 * loop then reads 8 bytes a record.
 * Nothing a caller sees changes: the same records in the same order, the
 * same errors after the same records, the same positions from `where` (each
 * buffer keeps the form's snapshot of where its batch came from), strings
 * valid until the next call (each buffer keeps its own copy).
 *
 * Ownership: while the worker runs, it alone touches the form's state
 * (r->impl, r->fp, r->err); the caller touches only the buffers it was
 * handed. The worker stops after the end of the trace or an error, and on
 * rewind or destroy. Buffers pass between them under one mutex: `produced`
 * and `consumed` count buffers; the worker fills buffer produced % RA_BUFS
 * while produced - consumed < RA_BUFS.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "vec.h"

#define RA_BUFS 4

struct ra_buf {
    struct vmr_record *recs;
    uint64_t *words; /* page words, if asked for */
    size_t n;
    int rc; /* the form's error, after the records of earlier buffers */
    char *strings;
    size_t strings_cap;
    struct trace_snap snap;
};

struct readahead {
    size_t batch;
    struct ra_buf buf[RA_BUFS];
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    int running;
    int stop;
    uint64_t produced, consumed;
    /* caller side */
    struct ra_buf *cur; /* being handed out, NULL before the first */
    size_t pos;         /* next record of cur */
    size_t call_first;  /* first record of cur handed out by the last call */
};

/* Gives the batch's strings their own storage in b: the form's are only
 * valid until its next call. */
static int keep_strings(struct ra_buf *b)
{
    size_t need = 0;
    for (size_t i = 0; i < b->n; i++)
        if (b->recs[i].str)
            need += strlen(b->recs[i].str) + 1;
    if (need == 0)
        return 0;
    if (vmr_grow((void **)&b->strings, &b->strings_cap, need, 1) != 0)
        return VMR_ENOMEM;
    char *p = b->strings;
    for (size_t i = 0; i < b->n; i++) {
        if (!b->recs[i].str)
            continue;
        size_t len = strlen(b->recs[i].str) + 1;
        memcpy(p, b->recs[i].str, len);
        b->recs[i].str = p;
        p += len;
    }
    return 0;
}

static void *worker(void *arg)
{
    struct vmr_trace_reader *r = arg;
    struct readahead *ra = r->ra;
    pthread_mutex_lock(&ra->mu);
    for (;;) {
        while (!ra->stop && ra->produced - ra->consumed == RA_BUFS)
            pthread_cond_wait(&ra->cv, &ra->mu);
        if (ra->stop)
            break;
        struct ra_buf *b = &ra->buf[ra->produced % RA_BUFS];
        pthread_mutex_unlock(&ra->mu);
        b->n = 0;
        int strings = 1; /* unless the form says the batch has none */
        b->rc = r->ops->next_words ? r->ops->next_words(r, b->recs, b->words, r->word_shift,
                                                        ra->batch, &b->n, &strings)
                                   : r->ops->next(r, b->recs, ra->batch, &b->n);
        if (b->rc == 0) {
            r->ops->snap(r, &b->snap);
            if (strings && keep_strings(b) != 0) {
                b->rc = VMR_ENOMEM;
                vmr_errf(r->err, sizeof r->err, "%s: out of memory", r->name);
            }
        }
        if (b->rc != 0)
            b->n = 0;
        const int last = b->rc != 0 || b->n == 0;
        pthread_mutex_lock(&ra->mu);
        ra->produced++;
        pthread_cond_broadcast(&ra->cv);
        if (last)
            break;
    }
    pthread_mutex_unlock(&ra->mu);
    return NULL;
}

static void stop_worker(struct readahead *ra)
{
    if (!ra->running)
        return;
    pthread_mutex_lock(&ra->mu);
    ra->stop = 1;
    pthread_cond_broadcast(&ra->cv);
    pthread_mutex_unlock(&ra->mu);
    pthread_join(ra->thread, NULL);
    ra->running = 0;
    ra->stop = 0;
    ra->produced = ra->consumed = 0;
    ra->cur = NULL;
    ra->pos = ra->call_first = 0;
}

int vmr_trace_reader_readahead(struct vmr_trace_reader *r, size_t batch_records)
{
    if (r->ra)
        return 0;
    if (!r->ops->snap || !r->ops->where_snap)
        return VMR_EUNSUPPORTED;
    struct readahead *ra = calloc(1, sizeof *ra);
    if (!ra)
        return VMR_ENOMEM;
    ra->batch = batch_records ? batch_records : 4096;
    for (size_t i = 0; i < RA_BUFS; i++) {
        ra->buf[i].recs = malloc(ra->batch * sizeof *ra->buf[i].recs);
        if (!ra->buf[i].recs) {
            for (size_t j = 0; j < i; j++)
                free(ra->buf[j].recs);
            free(ra);
            return VMR_ENOMEM;
        }
    }
    pthread_mutex_init(&ra->mu, NULL);
    pthread_cond_init(&ra->cv, NULL);
    r->ra = ra;
    /* words asked for before: the thread makes them from now on */
    return r->word_shift ? vmr_trace_reader_page_words(r, r->word_shift) : 0;
}

/* Words buffers for the read-ahead ring (page words asked for), unless
 * it has them. */
static int ra_words_alloc(struct readahead *ra)
{
    if (ra->buf[0].words)
        return 0;
    for (size_t i = 0; i < RA_BUFS; i++) {
        if (!(ra->buf[i].words = malloc(ra->batch * sizeof *ra->buf[i].words))) {
            for (size_t j = 0; j < i; j++) {
                free(ra->buf[j].words);
                ra->buf[j].words = NULL;
            }
            return VMR_ENOMEM;
        }
    }
    return 0;
}

int vmr_trace_reader_page_words(struct vmr_trace_reader *r, unsigned page_shift)
{
    struct readahead *ra = r->ra;
    if (!r->ops->next_words)
        return VMR_EUNSUPPORTED;
    if (page_shift < 3 || page_shift > 30)
        return VMR_EINVAL;
    /* without read-ahead, made by the caller's thread as it reads (the
     * form starts them afresh, NEWPID, after records read without); with
     * it, by the thread, which must not have started */
    if ((ra && (ra->running || ra->cur)) || (r->word_shift && r->word_shift != page_shift))
        return VMR_EINVAL;
    if (ra && ra_words_alloc(ra) != 0)
        return VMR_ENOMEM;
    r->word_shift = page_shift;
    return 0;
}

int readahead_words(struct vmr_trace_reader *r, const struct vmr_record **recs,
                    const uint64_t **words, size_t max, size_t *n)
{
    struct readahead *ra = r->ra;
    *words = NULL;
    if (ra->cur && ra->pos == ra->cur->n && ra->cur->n != 0 && ra->cur->rc == 0) {
        /* the caller is done with the strings of the last call: free the
         * buffer for the worker */
        pthread_mutex_lock(&ra->mu);
        ra->consumed++;
        pthread_cond_broadcast(&ra->cv);
        pthread_mutex_unlock(&ra->mu);
        ra->cur = NULL;
    }
    if (!ra->cur) {
        if (!ra->running) {
            if (pthread_create(&ra->thread, NULL, worker, r) != 0) {
                /* no thread: decode in line, into the first buffer */
                if (max > ra->batch)
                    max = ra->batch;
                *recs = ra->buf[0].recs;
                return r->ops->next(r, ra->buf[0].recs, max, n); /* no words */
            }
            ra->running = 1;
        }
        pthread_mutex_lock(&ra->mu);
        while (ra->produced == ra->consumed)
            pthread_cond_wait(&ra->cv, &ra->mu);
        ra->cur = &ra->buf[ra->consumed % RA_BUFS];
        pthread_mutex_unlock(&ra->mu);
        ra->pos = 0;
    }
    /* the end and errors stay: every later call gives them again */
    if (ra->cur->rc != 0)
        return ra->cur->rc;
    size_t m = ra->cur->n - ra->pos;
    if (m > max)
        m = max;
    *recs = ra->cur->recs + ra->pos;
    if (ra->cur->words)
        *words = ra->cur->words + ra->pos;
    ra->call_first = ra->pos;
    ra->pos += m;
    *n = m;
    return 0;
}

int readahead_view(struct vmr_trace_reader *r, const struct vmr_record **recs, size_t max,
                   size_t *n)
{
    const uint64_t *words;
    return readahead_words(r, recs, &words, max, n);
}

int readahead_next(struct vmr_trace_reader *r, struct vmr_record *recs, size_t max, size_t *n)
{
    const struct vmr_record *view;
    int rc = readahead_view(r, &view, max, n);
    if (rc == 0)
        memcpy(recs, view, *n * sizeof *recs);
    return rc;
}

int readahead_rewind(struct vmr_trace_reader *r)
{
    stop_worker(r->ra);
    return r->ops->rewind(r);
}

void readahead_where(const struct vmr_trace_reader *r, size_t i, char *buf, size_t len)
{
    const struct readahead *ra = r->ra;
    if (!ra->cur) {
        r->ops->where(r, i, buf, len);
        return;
    }
    r->ops->where_snap(r, &ra->cur->snap, ra->call_first + i, buf, len);
}

void readahead_destroy(struct vmr_trace_reader *r)
{
    struct readahead *ra = r->ra;
    if (!ra)
        return;
    stop_worker(ra);
    for (size_t i = 0; i < RA_BUFS; i++) {
        free(ra->buf[i].recs);
        free(ra->buf[i].words);
        free(ra->buf[i].strings);
    }
    pthread_mutex_destroy(&ra->mu);
    pthread_cond_destroy(&ra->cv);
    free(ra);
    r->ra = NULL;
}
