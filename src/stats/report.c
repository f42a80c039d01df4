/*
 * report.c - writes a run report as a human table, CSV or JSON.
 *
 * All three list the same counters in VMR_COUNTERS order. CSV is tidy: one
 * row per scope (the whole run, then each process), every row repeating the
 * run's configuration, so rows from many runs can be concatenated and
 * plotted directly. Writers only check the stream's error flag at the end;
 * the caller reports it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vmreplay/stats.h"

#define TABLE_MAX_PROCS 6

#define TABLE_MAX_AREAS 12

const char *vmr_killed_name(int killed)
{
    switch (killed) {
    case VMR_KILLED_SEGV:
        return "segv";
    case VMR_KILLED_OOM:
        return "oom";
    case VMR_KILLED_ENOMEM:
        return "enomem";
    case VMR_KILLED_SIGBUS:
        return "sigbus";
    default:
        return "";
    }
}

static int finish(FILE *fp)
{
    return ferror(fp) ? VMR_EIO : 0;
}

int vmr_report_write_table(FILE *fp, const struct vmr_run_report *r)
{
    size_t width = 0;
    for (size_t i = 0; i < r->n_config; i++) {
        size_t w = strlen(r->config[i].key);
        width = w > width ? w : width;
    }
    for (size_t i = 0; i < r->n_config; i++)
        fprintf(fp, "%-*s  %s\n", (int)width, r->config[i].key, r->config[i].value);
    size_t shown =
        r->n_procs > 1 ? (r->n_procs < TABLE_MAX_PROCS ? r->n_procs : TABLE_MAX_PROCS) : 0;
    fprintf(fp, "\n%-18s %14s", "counter", "total");
    for (size_t p = 0; p < shown; p++) {
        char head[32];
        snprintf(head, sizeof head, "pid %" PRIu32, r->procs[p].pid);
        fprintf(fp, " %12s", head);
    }
    fputc('\n', fp);
    for (size_t i = 0; i < VMR_N_COUNTERS; i++) {
        fprintf(fp, "%-18s %14" PRIu64, vmr_counter_name(i), vmr_counter_get(&r->total, i));
        for (size_t p = 0; p < shown; p++)
            fprintf(fp, " %12" PRIu64, vmr_counter_get(&r->procs[p].c, i));
        fputc('\n', fp);
    }
    fprintf(fp, "%-18s %14" PRIu64, "faults", r->total.minor_faults + r->total.major_faults);
    for (size_t p = 0; p < shown; p++)
        fprintf(fp, " %12" PRIu64, r->procs[p].c.minor_faults + r->procs[p].c.major_faults);
    fputc('\n', fp);
    if (r->n_procs > shown && shown > 0)
        fprintf(fp, "(%zu more processes: --format csv or json lists them all)\n",
                r->n_procs - shown);
    for (size_t i = 0; i < r->n_policy_counters; i++)
        fprintf(fp, "policy.%-11s %14" PRIu64 "\n", r->policy_counter_names[i],
                r->policy_counter_values[i]);
    if (r->n_areas > 0) {
        fprintf(fp, "\n%12s %12s %12s %12s %12s %12s  %s\n", "faults", "major", "zero_fill",
                "cow_copies", "file_reads", "swap_ins", "area");
        size_t shown_areas = r->n_areas < TABLE_MAX_AREAS ? r->n_areas : TABLE_MAX_AREAS;
        for (size_t i = 0; i < shown_areas; i++) {
            const struct vmr_counters *c = &r->areas[i].c;
            fprintf(fp,
                    "%12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12" PRIu64
                    " %12" PRIu64 "  %s\n",
                    c->minor_faults + c->major_faults, c->major_faults, c->zero_fill, c->cow_copies,
                    c->file_reads, c->swap_ins, r->areas[i].name);
        }
        if (r->n_areas > shown_areas)
            fprintf(fp, "(%zu more areas: --format csv or json lists them all)\n",
                    r->n_areas - shown_areas);
    }
    return finish(fp);
}

static void csv_field(FILE *fp, const char *s)
{
    if (!s)
        s = "";
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, fp);
        return;
    }
    fputc('"', fp);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', fp);
        fputc(*s, fp);
    }
    fputc('"', fp);
}

static void csv_row(FILE *fp, const struct vmr_run_report *r, const char *scope,
                    const struct vmr_proc_report *p, const char *area, const struct vmr_counters *c)
{
    for (size_t i = 0; i < r->n_config; i++) {
        csv_field(fp, r->config[i].value);
        fputc(',', fp);
    }
    fputs(scope, fp);
    if (area) { /* an area: its name in the comm column */
        fputs(",,,", fp);
        csv_field(fp, area);
        fputc(',', fp);
    } else if (p) {
        fprintf(fp, ",%" PRIu32 ",%" PRIu32 ",", p->pid, p->parent);
        csv_field(fp, p->comm);
        fprintf(fp, ",%s", vmr_killed_name(p->killed));
    } else {
        fputs(",,,,", fp);
    }
    for (size_t i = 0; i < VMR_N_COUNTERS; i++)
        fprintf(fp, ",%" PRIu64, vmr_counter_get(c, i));
    fputc('\n', fp);
}

int vmr_report_write_csv(FILE *fp, const struct vmr_run_report *r, int header)
{
    if (header) {
        for (size_t i = 0; i < r->n_config; i++)
            fprintf(fp, "%s,", r->config[i].key);
        fputs("scope,pid,parent,comm,killed", fp);
        for (size_t i = 0; i < VMR_N_COUNTERS; i++)
            fprintf(fp, ",%s", vmr_counter_name(i));
        fputc('\n', fp);
    }
    csv_row(fp, r, "total", NULL, NULL, &r->total);
    for (size_t i = 0; i < r->n_procs; i++)
        csv_row(fp, r, "process", &r->procs[i], NULL, &r->procs[i].c);
    for (size_t i = 0; i < r->n_areas; i++)
        csv_row(fp, r, "area", NULL, r->areas[i].name ? r->areas[i].name : "", &r->areas[i].c);
    return finish(fp);
}

static void json_string(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(fp, "\\%c", ch);
        else if (ch == '\n')
            fputs("\\n", fp);
        else if (ch < 0x20)
            fprintf(fp, "\\u%04x", ch);
        else
            fputc(ch, fp);
    }
    fputc('"', fp);
}

/* A config value: a JSON number if it is a plain unsigned integer. */
static void json_value(FILE *fp, const char *s)
{
    size_t n = strspn(s, "0123456789");
    if (n > 0 && n < 20 && s[n] == 0 && (s[0] != '0' || n == 1))
        fputs(s, fp);
    else
        json_string(fp, s);
}

static void json_counters(FILE *fp, const struct vmr_counters *c, const char *indent)
{
    for (size_t i = 0; i < VMR_N_COUNTERS; i++)
        fprintf(fp, "%s\"%s\": %" PRIu64 "%s\n", indent, vmr_counter_name(i), vmr_counter_get(c, i),
                i + 1 < VMR_N_COUNTERS ? "," : "");
}

int vmr_report_write_json(FILE *fp, const struct vmr_run_report *r)
{
    fputs("{\n  \"config\": {\n", fp);
    for (size_t i = 0; i < r->n_config; i++) {
        fputs("    ", fp);
        json_string(fp, r->config[i].key);
        fputs(": ", fp);
        json_value(fp, r->config[i].value);
        fputs(i + 1 < r->n_config ? ",\n" : "\n", fp);
    }
    fputs("  },\n  \"total\": {\n", fp);
    json_counters(fp, &r->total, "    ");
    fputs("  },\n  \"processes\": [", fp);
    for (size_t p = 0; p < r->n_procs; p++) {
        const struct vmr_proc_report *pr = &r->procs[p];
        fprintf(fp,
                "%s\n    {\n      \"pid\": %" PRIu32 ",\n      \"parent\": %" PRIu32
                ",\n      \"comm\": ",
                p ? "," : "", pr->pid, pr->parent);
        if (pr->comm)
            json_string(fp, pr->comm);
        else
            fputs("null", fp);
        fputs(",\n      \"killed\": ", fp);
        if (pr->killed)
            json_string(fp, vmr_killed_name(pr->killed));
        else
            fputs("null", fp);
        fputs(",\n", fp);
        json_counters(fp, &pr->c, "      ");
        fputs("    }", fp);
    }
    fputs(r->n_procs ? "\n  ],\n  \"areas\": [" : "],\n  \"areas\": [", fp);
    for (size_t a = 0; a < r->n_areas; a++) {
        fprintf(fp, "%s\n    {\n      \"name\": ", a ? "," : "");
        json_string(fp, r->areas[a].name);
        fputs(",\n", fp);
        json_counters(fp, &r->areas[a].c, "      ");
        fputs("    }", fp);
    }
    fputs(r->n_areas ? "\n  ],\n  \"policy\": {" : "],\n  \"policy\": {", fp);
    for (size_t i = 0; i < r->n_policy_counters; i++) {
        fputs(i ? ",\n    " : "\n    ", fp);
        json_string(fp, r->policy_counter_names[i]);
        fprintf(fp, ": %" PRIu64, r->policy_counter_values[i]);
    }
    fputs(r->n_policy_counters ? "\n  }\n}\n" : "}\n}\n", fp);
    return finish(fp);
}
