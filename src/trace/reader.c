/*
 * reader.c - the generic trace reader: opens the stream, tells the binary
 * form from the text form by the magic, and forwards to the form.
 *
 * A stream that cannot seek (standard input, a pipe) is first copied to an
 * anonymous temporary file, so both forms may sniff, seek and rewind.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "vec.h"

static int spool(FILE *in, FILE **out)
{
    FILE *tmp = tmpfile();
    if (!tmp)
        return VMR_EIO;
    char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, tmp) != n) {
            fclose(tmp);
            return VMR_EIO;
        }
    if (ferror(in) || fflush(tmp) != 0 || fseeko(tmp, 0, SEEK_SET) != 0) {
        fclose(tmp);
        return VMR_EIO;
    }
    *out = tmp;
    return 0;
}

static int open_common(struct vmr_trace_reader **out, FILE *fp, int own_fp, const char *name,
                       enum vmr_trace_form form, char *errbuf, size_t errbuf_len)
{
    *out = NULL;
    struct vmr_trace_reader *r = calloc(1, sizeof *r);
    if (!r || !(r->name = vmr_strdup(name))) {
        free(r);
        if (own_fp)
            fclose(fp);
        vmr_errf(errbuf, errbuf_len, "%s: out of memory", name);
        return VMR_ENOMEM;
    }
    r->fp = fp;
    r->own_fp = own_fp;
    if (fseeko(fp, 0, SEEK_CUR) != 0) {
        FILE *tmp;
        if (spool(fp, &tmp) != 0) {
            vmr_errf(errbuf, errbuf_len, "%s: cannot read: %s", name, strerror(errno));
            vmr_trace_reader_destroy(r);
            return VMR_EIO;
        }
        if (own_fp)
            fclose(fp);
        r->fp = tmp;
        r->own_fp = 1;
    }
    if (form == VMR_FORM_AUTO) {
        unsigned char head[8];
        size_t got = fread(head, 1, sizeof head, r->fp);
        form = got == sizeof head && memcmp(head, trace_magic, sizeof head) == 0 ? VMR_FORM_BINARY
                                                                                 : VMR_FORM_TEXT;
        if (fseeko(r->fp, 0, SEEK_SET) != 0) {
            vmr_errf(errbuf, errbuf_len, "%s: cannot seek: %s", name, strerror(errno));
            vmr_trace_reader_destroy(r);
            return VMR_EIO;
        }
    }
    r->info.form = form;
    int rc = form == VMR_FORM_BINARY ? binary_reader_init(r) : text_reader_init(r);
    if (rc != 0) {
        vmr_errf(errbuf, errbuf_len, "%s", r->err);
        r->ops = NULL;
        vmr_trace_reader_destroy(r);
        return rc;
    }
    *out = r;
    return 0;
}

int vmr_trace_reader_open(struct vmr_trace_reader **out, const char *path, enum vmr_trace_form form,
                          char *errbuf, size_t errbuf_len)
{
    if (strcmp(path, "-") == 0)
        return open_common(out, stdin, 0, "standard input", form, errbuf, errbuf_len);
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        *out = NULL;
        vmr_errf(errbuf, errbuf_len, "%s: cannot open: %s", path, strerror(errno));
        return errno == ENOENT ? VMR_ENOTFOUND : VMR_EIO;
    }
    return open_common(out, fp, 1, path, form, errbuf, errbuf_len);
}

int vmr_trace_reader_open_stream(struct vmr_trace_reader **out, FILE *fp, const char *name,
                                 enum vmr_trace_form form, char *errbuf, size_t errbuf_len)
{
    return open_common(out, fp, 0, name, form, errbuf, errbuf_len);
}

int vmr_trace_reader_next(struct vmr_trace_reader *r, struct vmr_record *recs, size_t max,
                          size_t *n)
{
    *n = 0;
    if (max == 0)
        return 0;
    return r->ra ? readahead_next(r, recs, max, n) : r->ops->next(r, recs, max, n);
}

int vmr_trace_reader_next_view(struct vmr_trace_reader *r, const struct vmr_record **recs,
                               size_t max, size_t *n)
{
    *n = 0;
    *recs = r->view;
    if (max == 0)
        return 0;
    if (r->ra)
        return readahead_view(r, recs, max, n);
    if (vmr_grow((void **)&r->view, &r->view_cap, max, sizeof *r->view) != 0)
        return VMR_ENOMEM;
    *recs = r->view;
    return r->ops->next(r, r->view, max, n);
}

int vmr_trace_reader_next_words(struct vmr_trace_reader *r, const struct vmr_record **recs,
                                const uint64_t **words, size_t max, size_t *n)
{
    *words = NULL;
    if (r->ra && max > 0) {
        *n = 0;
        return readahead_words(r, recs, words, max, n);
    }
    if (!r->word_shift || max == 0)
        return vmr_trace_reader_next_view(r, recs, max, n);
    /* in the caller's thread */
    *n = 0;
    *recs = r->view;
    if (vmr_grow((void **)&r->view, &r->view_cap, max, sizeof *r->view) != 0 ||
        vmr_grow((void **)&r->words, &r->words_cap, max, sizeof *r->words) != 0)
        return VMR_ENOMEM;
    *recs = r->view;
    *words = r->words;
    int strings;
    return r->ops->next_words(r, r->view, r->words, r->word_shift, max, n, &strings);
}

unsigned vmr_trace_reader_word_shift(const struct vmr_trace_reader *r)
{
    return r->word_shift;
}

int vmr_trace_reader_rewind(struct vmr_trace_reader *r)
{
    return r->ra ? readahead_rewind(r) : r->ops->rewind(r);
}

const struct vmr_trace_info *vmr_trace_reader_info(const struct vmr_trace_reader *r)
{
    return &r->info;
}

const char *vmr_trace_reader_error(const struct vmr_trace_reader *r)
{
    return r->err;
}

void vmr_trace_reader_where(const struct vmr_trace_reader *r, size_t i, char *buf, size_t buf_len)
{
    if (r->ra)
        readahead_where(r, i, buf, buf_len);
    else
        r->ops->where(r, i, buf, buf_len);
}

int vmr_trace_reader_count(struct vmr_trace_reader *r)
{
    if (r->info.indexed)
        return 0;
    enum { BATCH = 1024 };
    struct vmr_record *recs = malloc(BATCH * sizeof *recs);
    if (!recs)
        return VMR_ENOMEM;
    uint64_t n_rec = 0, n_acc_rec = 0, n_acc = 0;
    int rc;
    for (;;) {
        size_t n;
        rc = r->ops->next(r, recs, BATCH, &n);
        if (rc != 0 || n == 0)
            break;
        n_rec += n;
        for (size_t i = 0; i < n; i++)
            if (vmr_rec_is_access(recs[i].kind)) {
                n_acc_rec++;
                n_acc += recs[i].count;
            }
    }
    free(recs);
    if (rc == 0)
        rc = r->ops->rewind(r);
    if (rc != 0)
        return rc;
    r->info.n_records = n_rec;
    r->info.n_access_records = n_acc_rec;
    r->info.n_accesses = n_acc;
    r->info.indexed = 1;
    return 0;
}

void vmr_trace_reader_destroy(struct vmr_trace_reader *r)
{
    if (!r)
        return;
    readahead_destroy(r);
    free(r->view);
    free(r->words);
    if (r->ops)
        r->ops->destroy(r);
    if (r->own_fp && r->fp)
        fclose(r->fp);
    free(r->name);
    free(r);
}
