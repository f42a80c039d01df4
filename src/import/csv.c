/*
 * csv.c - comma-separated (or other delimiter) traces with a column spec in
 * libCacheSim's style, given with --csv:
 *
 *   obj-id-col=N        1-based column of the object id (default 1)
 *   obj-size-col=N      1-based column of the object size (for --block-size)
 *   time-col=N          accepted and ignored
 *   delimiter=C         one character; also "tab", "space", "\t" (default ,)
 *   has-header=true|false   skip the first line (default false)
 *
 * Items are separated by commas: "obj-id-col=2,obj-size-col=3,delimiter=,"
 * works because delimiter takes exactly one character. Ids must be numbers
 * (decimal or 0x hex): object id k is page k of the imported area. Spaces
 * around fields are ignored; blank lines are skipped.
 */
#include <string.h>

#include "internal.h"
#include "parse.h"

struct spec {
    unsigned id_col, size_col; /* 1-based; size_col 0 = none */
    char delim;
    int header;
};

static int bad_spec(struct vmr_import_in *in, const char *what)
{
    return vmr_import_in_fail_byte(in, 0, VMR_EINVAL, "csv spec: %s", what);
}

static int parse_col(const char *v, size_t n, unsigned *out)
{
    uint64_t x;
    if (vmr_parse_u64_n(v, n, &x) != 0 || x == 0 || x > 1024)
        return -1;
    *out = (unsigned)x;
    return 0;
}

static int parse_spec(struct vmr_import_in *in, const char *s, struct spec *sp)
{
    sp->id_col = 1;
    sp->size_col = 0;
    sp->delim = ',';
    sp->header = 0;
    while (s && *s) {
        while (*s == ' ')
            s++;
        const char *eq = strchr(s, '=');
        if (!eq)
            return bad_spec(in, "expected KEY=VALUE items separated by commas");
        size_t kl = (size_t)(eq - s);
        const char *v = eq + 1, *end;
        if (kl == 9 && strncmp(s, "delimiter", 9) == 0) {
            if (strncmp(v, "tab", 3) == 0 || strncmp(v, "\\t", 2) == 0) {
                sp->delim = '\t';
                end = v + (v[0] == 't' ? 3 : 2);
            } else if (strncmp(v, "space", 5) == 0) {
                sp->delim = ' ';
                end = v + 5;
            } else if (*v) {
                sp->delim = *v;
                end = v + 1;
            } else {
                return bad_spec(in, "delimiter needs a character");
            }
            if (*end && *end != ',')
                return bad_spec(in, "delimiter is one character (or tab, space)");
        } else {
            end = strchr(v, ',');
            if (!end)
                end = v + strlen(v);
            size_t vl = (size_t)(end - v);
            unsigned ignored;
            if (kl == 10 && strncmp(s, "obj-id-col", 10) == 0) {
                if (parse_col(v, vl, &sp->id_col))
                    return bad_spec(in, "obj-id-col needs a column number from 1 to 1024");
            } else if (kl == 12 && strncmp(s, "obj-size-col", 12) == 0) {
                if (parse_col(v, vl, &sp->size_col))
                    return bad_spec(in, "obj-size-col needs a column number from 1 to 1024");
            } else if (kl == 8 && strncmp(s, "time-col", 8) == 0) {
                if (parse_col(v, vl, &ignored))
                    return bad_spec(in, "time-col needs a column number from 1 to 1024");
            } else if (kl == 10 && strncmp(s, "has-header", 10) == 0) {
                if (vl == 4 && strncmp(v, "true", 4) == 0)
                    sp->header = 1;
                else if (vl == 5 && strncmp(v, "false", 5) == 0)
                    sp->header = 0;
                else
                    return bad_spec(in, "has-header is true or false");
            } else if (kl == 13 && strncmp(s, "obj-id-is-num", 13) == 0) {
                if (!(vl == 4 && strncmp(v, "true", 4) == 0))
                    return bad_spec(in, "only numeric object ids are supported");
            } else {
                return bad_spec(in, "unknown key (obj-id-col, obj-size-col, time-col, "
                                    "delimiter, has-header)");
            }
        }
        s = *end ? end + 1 : end;
    }
    return 0;
}

/* Column `col` (1-based) of line, trimmed; NULL if the line has fewer. */
static const char *column(const char *line, char delim, unsigned col, size_t *len)
{
    const char *p = line;
    for (unsigned c = 1; c < col; c++) {
        p = strchr(p, delim);
        if (!p)
            return NULL;
        p++;
    }
    const char *e = strchr(p, delim);
    if (!e)
        e = p + strlen(p);
    while (p < e && (*p == ' ' || *p == '\t') && *p != delim)
        p++;
    while (e > p && (e[-1] == ' ' || e[-1] == '\t') && e[-1] != delim)
        e--;
    *len = (size_t)(e - p);
    return p;
}

int vmr_import_parse_csv(struct vmr_import_in *in, const struct vmr_import_options *opt,
                         struct vmr_import_sink *sink)
{
    struct spec sp;
    int rc = parse_spec(in, opt->csv_spec, &sp);
    if (rc)
        return rc;
    char *line;
    size_t len;
    while ((rc = vmr_import_in_getline(in, &line, &len)) == 1) {
        if (sp.header && vmr_import_in_lineno(in) == 1)
            continue;
        size_t i = 0;
        while (i < len && (line[i] == ' ' || line[i] == '\t'))
            i++;
        if (i == len)
            continue;
        size_t fl;
        const char *f = column(line, sp.delim, sp.id_col, &fl);
        uint64_t id, size = 0;
        if (!f)
            return vmr_import_in_fail_line(in, "no column %u (object id)", sp.id_col);
        if (vmr_parse_u64_n(f, fl, &id) != 0)
            return vmr_import_in_fail_line(in, "column %u: '%.*s' is not an object id", sp.id_col,
                                           (int)(fl > 64 ? 64 : fl), f);
        if (sp.size_col) {
            f = column(line, sp.delim, sp.size_col, &fl);
            if (!f)
                return vmr_import_in_fail_line(in, "no column %u (object size)", sp.size_col);
            if (vmr_parse_u64_n(f, fl, &size) != 0)
                return vmr_import_in_fail_line(in, "column %u: '%.*s' is not a size", sp.size_col,
                                               (int)(fl > 64 ? 64 : fl), f);
        }
        if ((rc = sink->object(sink, id, vmr_import_object_pages(opt, size))) != 0)
            return rc;
    }
    return rc;
}
