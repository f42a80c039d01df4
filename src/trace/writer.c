/*
 * writer.c - the generic trace writer: picks the form, validates each
 * record, and closes the stream checking every step.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "vec.h"

static enum vmr_trace_form form_of_path(const char *path)
{
    if (strcmp(path, "-") == 0)
        return VMR_FORM_TEXT;
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (!dot || (slash && dot < slash))
        return VMR_FORM_AUTO;
    if (strcmp(dot, ".vmt") == 0)
        return VMR_FORM_BINARY;
    if (strcmp(dot, ".txt") == 0 || strcmp(dot, ".vmtxt") == 0)
        return VMR_FORM_TEXT;
    return VMR_FORM_AUTO;
}

static int open_common(struct vmr_trace_writer **out, FILE *fp, int own_fp, const char *name,
                       enum vmr_trace_form form, const struct vmr_trace_header *hdr,
                       const struct vmr_trace_writer_options *opt, char *errbuf, size_t errbuf_len)
{
    struct vmr_trace_writer *w = calloc(1, sizeof *w);
    if (!w || !(w->name = vmr_strdup(name))) {
        free(w);
        if (own_fp)
            fclose(fp);
        vmr_errf(errbuf, errbuf_len, "%s: out of memory", name);
        return VMR_ENOMEM;
    }
    w->fp = fp;
    w->own_fp = own_fp;
    int rc = form == VMR_FORM_BINARY ? binary_writer_init(w, hdr, opt) : text_writer_init(w, hdr);
    if (rc != 0) {
        vmr_errf(errbuf, errbuf_len, "%s", w->err);
        w->ops = NULL;
        vmr_trace_writer_destroy(w);
        return rc;
    }
    *out = w;
    return 0;
}

static int check_header(const char *name, const struct vmr_trace_header *hdr, char *errbuf,
                        size_t errbuf_len)
{
    char msg[256];
    int rc = trace_header_check(hdr, msg, sizeof msg);
    if (rc != 0)
        vmr_errf(errbuf, errbuf_len, "%s: %s", name, msg);
    return rc;
}

int vmr_trace_writer_open(struct vmr_trace_writer **out, const char *path,
                          const struct vmr_trace_header *hdr,
                          const struct vmr_trace_writer_options *opt, char *errbuf,
                          size_t errbuf_len)
{
    *out = NULL;
    enum vmr_trace_form form = opt && opt->form ? opt->form : form_of_path(path);
    if (form == VMR_FORM_AUTO) {
        vmr_errf(errbuf, errbuf_len,
                 "%s: cannot tell the form from the name (.vmt is binary, .txt or .vmtxt text)",
                 path);
        return VMR_EINVAL;
    }
    int rc = check_header(path, hdr, errbuf, errbuf_len);
    if (rc != 0)
        return rc;
    if (strcmp(path, "-") == 0)
        return open_common(out, stdout, 0, "standard output", form, hdr, opt, errbuf, errbuf_len);
    FILE *fp = fopen(path, "wb");
    if (!fp) {
        vmr_errf(errbuf, errbuf_len, "%s: cannot create: %s", path, strerror(errno));
        return VMR_EIO;
    }
    return open_common(out, fp, 1, path, form, hdr, opt, errbuf, errbuf_len);
}

int vmr_trace_writer_open_stream(struct vmr_trace_writer **out, FILE *fp, const char *name,
                                 const struct vmr_trace_header *hdr,
                                 const struct vmr_trace_writer_options *opt, char *errbuf,
                                 size_t errbuf_len)
{
    *out = NULL;
    enum vmr_trace_form form = opt && opt->form ? opt->form : VMR_FORM_BINARY;
    int rc = check_header(name, hdr, errbuf, errbuf_len);
    if (rc != 0)
        return rc;
    return open_common(out, fp, 0, name, form, hdr, opt, errbuf, errbuf_len);
}

int vmr_trace_writer_put(struct vmr_trace_writer *w, const struct vmr_record *rec)
{
    if (w->failed)
        return VMR_EIO;
    char msg[256];
    int rc = trace_record_check(rec, msg, sizeof msg);
    if (rc != 0) {
        trace_errf(w->err, "%s: %s record: %s", w->name, vmr_rec_kind_name(rec->kind), msg);
        return rc;
    }
    rc = w->ops->put(w, rec);
    if (rc == VMR_EIO)
        w->failed = 1;
    return rc;
}

int vmr_trace_writer_put_batch(struct vmr_trace_writer *w, const struct vmr_record *recs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int rc = vmr_trace_writer_put(w, &recs[i]);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int vmr_trace_writer_close(struct vmr_trace_writer *w, char *errbuf, size_t errbuf_len)
{
    int rc = w->failed ? VMR_EIO : w->ops->finish(w);
    if (rc == 0 && (fflush(w->fp) != 0 || ferror(w->fp))) {
        trace_errf(w->err, "%s: write error: %s", w->name, strerror(errno));
        rc = VMR_EIO;
    }
    if (w->own_fp) {
        if (fclose(w->fp) != 0 && rc == 0) {
            trace_errf(w->err, "%s: write error: %s", w->name, strerror(errno));
            rc = VMR_EIO;
        }
        w->fp = NULL;
    }
    if (rc != 0)
        vmr_errf(errbuf, errbuf_len, "%s", w->err);
    w->ops->destroy(w);
    free(w->name);
    free(w);
    return rc;
}

void vmr_trace_writer_destroy(struct vmr_trace_writer *w)
{
    if (!w)
        return;
    if (w->ops)
        w->ops->destroy(w);
    if (w->own_fp && w->fp)
        fclose(w->fp);
    free(w->name);
    free(w);
}

const char *vmr_trace_writer_error(const struct vmr_trace_writer *w)
{
    return w->err;
}
