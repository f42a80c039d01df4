/*
 * report.c - `vmreplay report`: CSV outputs to a self-contained HTML page
 * (analysis.h).
 *
 * Inputs are classified by their header: run rows (replay, compare, sweep,
 * merge: a `scope` and a `page_touches` column), time series (`end_access`)
 * and miss-ratio curves (`miss_ratio`). Each class is joined into
 * DIR/data/CLASS.csv, the gnuplot scripts of analysis/ draw the figures
 * that apply from those files (PNG shown, SVG linked) and index.html holds
 * what was run (trace metadata, options, versions), the figures and the
 * tables. The page references only files in DIR.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vec.h"
#include "vmreplay/analysis.h"

extern char **environ;

enum { RUNS, SERIES, MRC, N_CLASSES };
static const char *const class_name[N_CLASSES] = {"runs", "series", "mrc"};

#define MAX_FIELDS 128

/* A CSV file in memory: lines split into fields in place. */
struct table {
    char *text;
    char **fields; /* n_rows * n_cols, row 0 the header */
    size_t n_rows, n_cols, cap;
};

struct report {
    const struct vmr_report_config *cfg;
    char path[N_CLASSES][4096];
    FILE *joined[N_CLASSES];
    char *header[N_CLASSES];
    struct table t[N_CLASSES];
    FILE *html;
    char *errbuf;
    size_t errbuf_len;
};

static int classify(const char *header)
{
    if (strstr(header, "end_access"))
        return SERIES;
    if (strstr(header, "miss_ratio"))
        return MRC;
    if (strstr(header, ",scope,") && strstr(header, "page_touches"))
        return RUNS;
    return -1;
}

/* Appends input `path` to its class's joined file. */
static int join_input(struct report *rp, const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        vmr_errf(rp->errbuf, rp->errbuf_len, "cannot open %s: %s", path, strerror(errno));
        return VMR_EIO;
    }
    char *line = NULL;
    size_t cap = 0;
    int rc = 0;
    ssize_t n = getline(&line, &cap, fp);
    int k = n > 0 ? classify(line) : -1;
    if (k < 0) {
        vmr_errf(rp->errbuf, rp->errbuf_len,
                 "%s:1: not a vmreplay CSV (expected the header of replay, compare, sweep, a "
                 "time series or mrc)",
                 path);
        rc = VMR_EFORMAT;
    } else if (rp->header[k] && strcmp(rp->header[k], line) != 0) {
        vmr_errf(rp->errbuf, rp->errbuf_len, "%s:1: its columns differ from the other %s files'",
                 path, class_name[k]);
        rc = VMR_EFORMAT;
    } else if (!rp->header[k]) {
        if (!(rp->header[k] = vmr_strdup(line)) || !(rp->joined[k] = fopen(rp->path[k], "w"))) {
            vmr_errf(rp->errbuf, rp->errbuf_len, "cannot create %s", rp->path[k]);
            rc = VMR_EIO;
        } else {
            fputs(line, rp->joined[k]);
        }
    }
    while (rc == 0 && (n = getline(&line, &cap, fp)) > 0)
        if (n > 1)
            fputs(line, rp->joined[k]);
    if (rc == 0 && ferror(fp)) {
        vmr_errf(rp->errbuf, rp->errbuf_len, "error reading %s", path);
        rc = VMR_EIO;
    }
    free(line);
    fclose(fp);
    return rc;
}

/* Splits one CSV line in place ("" quoting as the writers use it). */
static size_t split_line(char *s, char **out, size_t max)
{
    size_t n = 0;
    while (n < max) {
        char *w = s, *start = s;
        if (*s == '"') {
            s++;
            for (;;) {
                if (*s == '"' && s[1] == '"') {
                    *w++ = '"';
                    s += 2;
                } else if (*s == '"' || !*s) {
                    if (*s)
                        s++;
                    break;
                } else {
                    *w++ = *s++;
                }
            }
        } else {
            while (*s && *s != ',' && *s != '\n' && *s != '\r')
                *w++ = *s++;
        }
        int more = *s == ',';
        *w = 0;
        out[n++] = start;
        if (!more)
            break;
        s++;
    }
    return n;
}

static int load_table(struct table *t, const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return VMR_EIO;
    size_t len = 0, cap = 0;
    char buf[65536];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, fp)) > 0) {
        if (vmr_grow((void **)&t->text, &cap, len + got + 1, 1) != 0) {
            fclose(fp);
            return VMR_ENOMEM;
        }
        memcpy(t->text + len, buf, got);
        len += got;
    }
    fclose(fp);
    if (!t->text)
        return 0;
    t->text[len] = 0;
    char *fields[MAX_FIELDS];
    for (char *line = t->text; line && *line;) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        size_t n = split_line(line, fields, MAX_FIELDS);
        if (t->n_rows == 0)
            t->n_cols = n;
        if (n == t->n_cols) {
            if (vmr_grow((void **)&t->fields, &t->cap, (t->n_rows + 1) * t->n_cols,
                         sizeof *t->fields) != 0)
                return VMR_ENOMEM;
            memcpy(&t->fields[t->n_rows * t->n_cols], fields, n * sizeof *fields);
            t->n_rows++;
        }
        line = next;
    }
    return 0;
}

static const char *cell(const struct table *t, size_t row, const char *col)
{
    for (size_t c = 0; c < t->n_cols; c++)
        if (strcmp(t->fields[c], col) == 0)
            return t->fields[row * t->n_cols + c];
    return "";
}

static void html_text(FILE *fp, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", fp);
            break;
        case '>':
            fputs("&gt;", fp);
            break;
        case '&':
            fputs("&amp;", fp);
            break;
        case '"':
            fputs("&quot;", fp);
            break;
        default:
            fputc(*s, fp);
        }
    }
}

/* Runs gnuplot on one script; its messages go to DIR/gnuplot.log. */
static int gnuplot(struct report *rp, const char *script, const char *vars, const char *out)
{
    char expr[32768], script_path[4096], log[4096];
    snprintf(expr, sizeof expr, "%s; dir='%s/'; out='%s/%s'", vars, rp->cfg->scripts_dir,
             rp->cfg->out_dir, out);
    snprintf(script_path, sizeof script_path, "%s/%s", rp->cfg->scripts_dir, script);
    snprintf(log, sizeof log, "%s/gnuplot.log", rp->cfg->out_dir);
    const char *prog = rp->cfg->gnuplot ? rp->cfg->gnuplot : "gnuplot";
    char *argv[] = {(char *)prog, "-e", expr, script_path, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid;
    int rc = posix_spawnp(&pid, prog, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    int status = 0;
    if (rc == 0 && waitpid(pid, &status, 0) < 0)
        rc = errno;
    struct stat st;
    if (rc != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        vmr_errf(rp->errbuf, rp->errbuf_len, "%s %s failed%s%s (see %s)", prog, script_path,
                 rc ? ": " : "", rc ? strerror(rc) : "", log);
        return VMR_EIO;
    }
    char made[4096];
    snprintf(made, sizeof made, "%s/%s", rp->cfg->out_dir, out);
    if (stat(made, &st) != 0 || st.st_size == 0) {
        vmr_errf(rp->errbuf, rp->errbuf_len, "%s wrote no %s (see %s)", script_path, made, log);
        return VMR_EIO;
    }
    return 0;
}

/* One figure: PNG shown, SVG linked. */
static int figure(struct report *rp, const char *script, const char *vars, const char *name,
                  const char *caption)
{
    char png[256], svg[256];
    snprintf(png, sizeof png, "%s.png", name);
    snprintf(svg, sizeof svg, "%s.svg", name);
    int rc = gnuplot(rp, script, vars, png);
    if (rc == 0)
        rc = gnuplot(rp, script, vars, svg);
    if (rc != 0)
        return rc;
    fprintf(rp->html,
            "<figure><img src=\"%s\" alt=\"%s\" width=\"900\" height=\"520\">"
            "<figcaption>",
            png, name);
    html_text(rp->html, caption);
    fprintf(rp->html, " <a href=\"%s\">SVG</a> · <code>analysis/%s</code></figcaption></figure>\n",
            svg, script);
    return 0;
}

/* Distinct values of a column over the whole-run rows, space-separated
 * (policy@memory when col2 is set), at most max of them. */
static void distinct(const struct table *t, const char *col, const char *col2, size_t max,
                     char *out, size_t out_len)
{
    size_t n = 0;
    out[0] = 0;
    for (size_t r = 1; r < t->n_rows && n < max; r++) {
        const char *scope = cell(t, r, "scope");
        if (*scope && strcmp(scope, "total") != 0)
            continue;
        char v[512];
        snprintf(v, sizeof v, "%s%s%s", cell(t, r, col), col2 ? "@" : "",
                 col2 ? cell(t, r, col2) : "");
        char padded[520];
        snprintf(padded, sizeof padded, " %s ", v);
        char hay[8192];
        snprintf(hay, sizeof hay, " %s ", out);
        if (strstr(hay, padded))
            continue;
        size_t len = strlen(out);
        snprintf(out + len, out_len - len, "%s%s", len ? " " : "", v);
        n++;
    }
}

static void run_info(struct report *rp)
{
    FILE *h = rp->html;
    const struct table *t = rp->t[RUNS].n_rows     ? &rp->t[RUNS]
                            : rp->t[SERIES].n_rows ? &rp->t[SERIES]
                                                   : &rp->t[MRC];
    char traces[8192];
    distinct(t, "trace", NULL, 64, traces, sizeof traces);
    fputs("<h2>What was run</h2>\n", h);
    for (char *save = NULL, *tr = strtok_r(traces, " ", &save); tr;
         tr = strtok_r(NULL, " ", &save)) {
        fputs("<h3>Trace <code>", h);
        html_text(h, tr);
        fputs("</code></h3>\n", h);
        struct vmr_trace_reader *r;
        if (vmr_trace_reader_open(&r, tr, VMR_FORM_AUTO, NULL, 0) != 0) {
            fputs("<p>(not readable from here: no metadata)</p>\n", h);
            continue;
        }
        const struct vmr_trace_info *info = vmr_trace_reader_info(r);
        fprintf(h,
                "<table class=kv><tr><th>form</th><td>%s %u.%u</td></tr>"
                "<tr><th>page size</th><td>%u</td></tr>",
                info->form == VMR_FORM_BINARY ? "binary" : "text", info->version_major,
                info->version_minor, info->page_size);
        if (info->indexed)
            fprintf(h,
                    "<tr><th>records</th><td>%llu</td></tr><tr><th>accesses</th><td>%llu</td>"
                    "</tr>",
                    (unsigned long long)info->n_records, (unsigned long long)info->n_accesses);
        for (size_t i = 0; i < info->n_meta; i++) {
            fputs("<tr><th>", h);
            html_text(h, info->meta[i].key);
            fputs("</th><td>", h);
            html_text(h, info->meta[i].value);
            fputs("</td></tr>", h);
        }
        fputs("</table>\n", h);
        vmr_trace_reader_destroy(r);
    }
    static const char *const keys[] = {"policy", "memory",  "swap_pages", "page_size",
                                       "seed",   "on_segv", "method",     "rate"};
    fputs("<h3>Options</h3>\n<table class=kv>", h);
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        char vals[8192];
        distinct(t, keys[k], NULL, 64, vals, sizeof vals);
        if (!vals[0])
            continue;
        fprintf(h, "<tr><th>%s</th><td>", keys[k]);
        html_text(h, vals);
        fputs("</td></tr>", h);
    }
    fputs("</table>\n", h);
}

/* One table of the run rows of one scope: 0 the runs' totals, 1 their
 * processes, 2 their areas (per-area rows name the area in `comm`). */
static void runs_table(struct report *rp, int scope)
{
    static const char *const scopes[] = {"total", "process", "area"};
    static const char *const titles[] = {"Runs", "Per process", "Per area"};
    const int processes = scope != 0;
    static const char *const cols[] = {
        "accesses",   "minor_faults",   "major_faults", "zero_fill", "cow_copies",
        "cow_reuses", "file_reads",     "writebacks",   "swap_ins",  "swap_outs",
        "evictions",  "rss_peak_pages", "oom_kills"};
    const struct table *t = &rp->t[RUNS];
    FILE *h = rp->html;
    size_t shown = 0;
    for (size_t r = 1; r < t->n_rows; r++)
        shown += strcmp(cell(t, r, "scope"), scopes[scope]) == 0;
    if (shown == 0)
        return;
    fprintf(h, "<h2>%s</h2>\n", titles[scope]);
    if (processes && shown > 200)
        fprintf(h,
                "<p>The first 200 of %zu %s rows; <a href=\"data/runs.csv\">runs.csv</a> "
                "has them all.</p>\n",
                shown, scopes[scope]);
    fputs("<table><tr><th>policy</th><th>memory</th>", h);
    if (processes)
        fputs(scope == 1 ? "<th>pid</th><th>comm</th><th>killed</th>" : "<th>pid</th><th>area</th>",
              h);
    else
        fputs("<th>faults</th><th>miss ratio</th>", h);
    for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++)
        fprintf(h, "<th>%s</th>", cols[c]);
    fputs("</tr>\n", h);
    size_t n = 0;
    for (size_t r = 1; r < t->n_rows && n < 200; r++) {
        if (strcmp(cell(t, r, "scope"), scopes[scope]) != 0)
            continue;
        n++;
        fputs("<tr><td>", h);
        html_text(h, cell(t, r, "policy"));
        fputs("</td><td>", h);
        html_text(h, cell(t, r, "memory"));
        fputs("</td>", h);
        if (processes) {
            fputs("<td>", h);
            html_text(h, cell(t, r, "pid"));
            fputs("</td><td>", h);
            html_text(h, cell(t, r, "comm"));
            fputs("</td>", h);
            if (scope == 1) {
                fputs("<td>", h);
                html_text(h, cell(t, r, "killed"));
                fputs("</td>", h);
            }
        } else {
            double faults =
                strtod(cell(t, r, "minor_faults"), NULL) + strtod(cell(t, r, "major_faults"), NULL);
            double touches = strtod(cell(t, r, "page_touches"), NULL);
            fprintf(h, "<td>%.0f</td><td>%.4f</td>", faults, touches > 0 ? faults / touches : 0);
        }
        for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++) {
            fputs("<td>", h);
            html_text(h, cell(t, r, cols[c]));
            fputs("</td>", h);
        }
        fputs("</tr>\n", h);
    }
    fputs("</table>\n", h);
}

static int figures(struct report *rp)
{
    char vars[16384], list[4096];
    int rc = 0;
    fputs("<h2>Figures</h2>\n", rp->html);
    if (rp->t[RUNS].n_rows > 1) {
        char sizes[4096], runs[8192];
        distinct(&rp->t[RUNS], "memory", NULL, 1000, sizes, sizeof sizes);
        distinct(&rp->t[RUNS], "policy", "memory", 1000, runs, sizeof runs);
        size_t n_runs = 1;
        for (const char *p = runs; *p; p++)
            n_runs += *p == ' ';
        if (strchr(sizes, ' ')) {
            if (rp->t[MRC].n_rows > 1)
                snprintf(vars, sizeof vars, "in='%s'; mrc='%s'", rp->path[RUNS], rp->path[MRC]);
            else
                snprintf(vars, sizeof vars, "in='%s'", rp->path[RUNS]);
            rc = figure(rp, "miss_ratio.gp", vars, "miss_ratio",
                        "Miss ratio (faults per page touch) against memory size, per policy.");
        }
        snprintf(vars, sizeof vars, "in='%s'", rp->path[RUNS]);
        if (rc == 0 && n_runs > 1)
            rc = figure(rp, "policy_bars.gp", vars, "policy_bars",
                        "Faults of each policy at each memory size.");
        if (rc == 0 && n_runs <= 40) {
            rc = figure(rp, "fault_breakdown.gp", vars, "fault_breakdown",
                        "What the faults were: major, and minor split into zero-fill, "
                        "copy-on-write and page/swap-cache hits.");
            if (rc == 0)
                rc = figure(rp, "io_breakdown.gp", vars, "io_breakdown",
                            "I/O by kind: file reads, writebacks, swap-ins, swap-outs.");
        } else if (rc == 0) {
            fprintf(rp->html,
                    "<p>%zu runs: the per-run breakdowns are left out (run "
                    "analysis/fault_breakdown.gp on a selection).</p>\n",
                    n_runs);
        }
    } else if (rp->t[MRC].n_rows > 1) {
        snprintf(vars, sizeof vars, "in='%s'", rp->path[MRC]);
        rc = figure(rp, "mrc.gp", vars, "mrc", "LRU miss-ratio curve (vmreplay mrc).");
    }
    if (rc == 0 && rp->t[SERIES].n_rows > 1) {
        distinct(&rp->t[SERIES], "policy", "memory", 6, list, sizeof list);
        snprintf(vars, sizeof vars, "in='%s'; runs='%s'", rp->path[SERIES], list);
        rc = figure(rp, "series_faults.gp", vars, "series_faults",
                    "Faults per interval over the run (the first runs of the time series, at "
                    "most 6).");
        if (rc == 0)
            rc = figure(rp, "series_memory.gp", vars, "series_memory",
                        "Frames in use (solid) and swap slots in use (dashed) over the run.");
    }
    return rc;
}

static void versions(struct report *rp)
{
    char gp[256] = "gnuplot (version unknown)";
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s --version 2>/dev/null",
             rp->cfg->gnuplot ? rp->cfg->gnuplot : "gnuplot");
    FILE *p = popen(cmd, "r");
    if (p) {
        if (fgets(gp, sizeof gp, p))
            gp[strcspn(gp, "\n")] = 0;
        pclose(p);
    }
    char date[64];
    time_t now = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S UTC", gmtime(&now));
    fprintf(rp->html, "<p class=meta>vmreplay " VMR_VERSION_STRING " · ");
    html_text(rp->html, gp);
    fprintf(rp->html, " · generated %s · data: ", date);
    for (int k = 0; k < N_CLASSES; k++)
        if (rp->header[k])
            fprintf(rp->html, "<a href=\"data/%s.csv\">%s.csv</a> ", class_name[k], class_name[k]);
    fputs("</p>\n", rp->html);
}

static const char style[] =
    "body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}"
    "table{border-collapse:collapse;font-size:13px;margin:.5em 0}"
    "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}"
    "table.kv td,table.kv th{text-align:left}th{background:#f0f0f0}"
    "figure{margin:1em 0}img{max-width:100%;height:auto;border:1px solid #ddd}"
    "figcaption{font-size:13px;color:#555}.meta{color:#666;font-size:13px}";

int vmr_report_build(const struct vmr_report_config *cfg, char *errbuf, size_t errbuf_len)
{
    struct report rp;
    memset(&rp, 0, sizeof rp);
    rp.cfg = cfg;
    rp.errbuf = errbuf;
    rp.errbuf_len = errbuf_len;
    int rc = 0;
    if (cfg->n_inputs == 0) {
        vmr_errf(errbuf, errbuf_len, "report: no input files");
        return VMR_EINVAL;
    }
    for (const char *p = cfg->out_dir; *p; p++)
        if (*p == '\'' || *p == '"') {
            vmr_errf(errbuf, errbuf_len, "report: quotes in the output folder name");
            return VMR_EINVAL;
        }
    char data[2048];
    if (strlen(cfg->out_dir) > 1900) {
        vmr_errf(errbuf, errbuf_len, "report: output folder name too long");
        return VMR_EINVAL;
    }
    snprintf(data, sizeof data, "%s/data", cfg->out_dir);
    if ((mkdir(cfg->out_dir, 0755) != 0 && errno != EEXIST) ||
        (mkdir(data, 0755) != 0 && errno != EEXIST)) {
        vmr_errf(errbuf, errbuf_len, "cannot create %s: %s", data, strerror(errno));
        return VMR_EIO;
    }
    for (int k = 0; k < N_CLASSES; k++) {
        snprintf(rp.path[k], sizeof rp.path[k], "%s/%s.csv", data, class_name[k]);
        unlink(rp.path[k]);
    }
    for (size_t i = 0; i < cfg->n_inputs && rc == 0; i++)
        rc = join_input(&rp, cfg->inputs[i]);
    for (int k = 0; k < N_CLASSES; k++)
        if (rp.joined[k] && fclose(rp.joined[k]) != 0 && rc == 0) {
            vmr_errf(errbuf, errbuf_len, "error writing %s", rp.path[k]);
            rc = VMR_EIO;
        }
    for (int k = 0; k < N_CLASSES && rc == 0; k++)
        if (rp.header[k] && load_table(&rp.t[k], rp.path[k]) != 0) {
            vmr_errf(errbuf, errbuf_len, "cannot read back %s", rp.path[k]);
            rc = VMR_EIO;
        }
    char index[4096], log[4096];
    snprintf(index, sizeof index, "%s/index.html", cfg->out_dir);
    snprintf(log, sizeof log, "%s/gnuplot.log", cfg->out_dir);
    unlink(log);
    if (rc == 0 && !(rp.html = fopen(index, "w"))) {
        vmr_errf(errbuf, errbuf_len, "cannot create %s: %s", index, strerror(errno));
        rc = VMR_EIO;
    }
    if (rc == 0) {
        fprintf(rp.html,
                "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
                "<title>vmreplay report</title><style>%s</style></head><body>\n"
                "<h1>vmreplay report</h1>\n",
                style);
        versions(&rp);
        run_info(&rp);
        rc = figures(&rp);
    }
    if (rc == 0) {
        runs_table(&rp, 0);
        runs_table(&rp, 1);
        runs_table(&rp, 2);
        fputs("</body></html>\n", rp.html);
    }
    if (rp.html && (ferror(rp.html) | fclose(rp.html)) && rc == 0) {
        vmr_errf(errbuf, errbuf_len, "error writing %s", index);
        rc = VMR_EIO;
    }
    for (int k = 0; k < N_CLASSES; k++) {
        free(rp.header[k]);
        free(rp.t[k].text);
        free(rp.t[k].fields);
    }
    return rc;
}
