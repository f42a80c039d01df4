/*
 * info.c - `vmreplay info`: what a trace holds, from its header and index
 * and one pass over its records. Memory is O(distinct pages + pids).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hashmap.h"
#include "vmreplay/trace.h"

static const char usage[] =
    "usage: vmreplay info TRACE [--json] [-o FILE]\n"
    "\n"
    "Describes TRACE (binary .vmt or text; '-' reads standard input): form and\n"
    "version, page size, metadata, whether it has an index and how many frames,\n"
    "then, from one pass over the records: records by kind, distinct pids (with\n"
    "fork children and threads), access records and accesses (repeat counts\n"
    "summed) by r/w/x, distinct pages touched at the trace's page size, the\n"
    "footprint (those pages in bytes), and the lowest and highest byte accessed.\n"
    "\n"
    "Options:\n"
    "      --json         print one JSON object instead of a table.\n"
    "  -o, --output FILE  write to FILE instead of standard output.\n"
    "  -h, --help         show this help.\n"
    "\n"
    "Examples:\n"
    "  vmreplay info t.vmt\n"
    "  vmreplay info t.txt --json\n";

enum { BATCH = 4096 };

struct summary {
    uint64_t by_kind[VMR_REC_N_KINDS];
    uint64_t n_records;
    uint64_t acc_records[3], accesses[3];
    struct vmr_hashmap pids, pages;
    uint64_t lowest, highest; /* valid when some access was seen */
    int have_access;
};

static int add_pid(struct summary *s, uint32_t pid)
{
    int ins;
    return vmr_hashmap_upsert(&s->pids, pid, 0, &ins) ? 0 : -1;
}

static int scan(struct vmr_trace_reader *r, struct summary *s, unsigned page_shift)
{
    struct vmr_record *recs = malloc(BATCH * sizeof *recs);
    if (!recs) {
        cli_error("out of memory");
        return CLI_FAIL;
    }
    int status = CLI_OK;
    for (;;) {
        size_t n;
        if (vmr_trace_reader_next(r, recs, BATCH, &n) != 0) {
            cli_error("%s", vmr_trace_reader_error(r));
            status = CLI_FAIL;
            break;
        }
        if (n == 0)
            break;
        int oom = 0;
        for (size_t i = 0; i < n && !oom; i++) {
            const struct vmr_record *rec = &recs[i];
            s->n_records++;
            s->by_kind[rec->kind]++;
            if (rec->kind == VMR_REC_FILE || (rec->kind == VMR_REC_MARK && rec->pid == 0))
                continue;
            oom |= add_pid(s, rec->pid);
            if (rec->kind == VMR_REC_FORK || rec->kind == VMR_REC_THREAD)
                oom |= add_pid(s, rec->arg);
            if (!vmr_rec_is_access(rec->kind))
                continue;
            uint64_t last = rec->addr + (rec->size - 1); /* the reader checked: no wrap */
            s->acc_records[rec->kind]++;
            s->accesses[rec->kind] += rec->count;
            if (!s->have_access || rec->addr < s->lowest)
                s->lowest = rec->addr;
            if (!s->have_access || last > s->highest)
                s->highest = last;
            s->have_access = 1;
            uint64_t vpn = rec->addr >> page_shift, end = last >> page_shift;
            for (;; vpn++) {
                int ins;
                if (!vmr_hashmap_upsert(&s->pages, vpn, 0, &ins)) {
                    oom = 1;
                    break;
                }
                if (vpn == end)
                    break;
            }
        }
        if (oom) {
            cli_error("out of memory");
            status = CLI_FAIL;
            break;
        }
    }
    free(recs);
    return status;
}

/* Metadata values are free text: show them without control bytes. */
static void print_escaped(FILE *fp, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\n')
            fputs("\\n", fp);
        else if (*p == '\t')
            fputs("\\t", fp);
        else if (*p == '\\')
            fputs("\\\\", fp);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(fp, "\\x%02x", *p);
        else
            fputc(*p, fp);
    }
}

static void json_string(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(fp, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", fp);
        else if (*p == '\t')
            fputs("\\t", fp);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(fp, "\\u%04x", *p);
        else
            fputc(*p, fp);
    }
    fputc('"', fp);
}

static const char *form_name(enum vmr_trace_form f)
{
    return f == VMR_FORM_BINARY ? "binary" : "text";
}

static void print_table(FILE *fp, const char *path, const struct vmr_trace_info *info,
                        const struct summary *s)
{
    static const char *const ops = "rwx";
#define ROW(label) fprintf(fp, "%-17s", label ":")
    ROW("trace");
    fprintf(fp, "%s\n", path);
    ROW("form");
    fprintf(fp, "%s\n", form_name(info->form));
    ROW("version");
    fprintf(fp, "%u.%u\n", (unsigned)info->version_major, (unsigned)info->version_minor);
    ROW("page size");
    fprintf(fp, "%" PRIu32 "\n", info->page_size);
    ROW("indexed");
    fprintf(fp, "%s\n", info->indexed ? "yes" : "no");
    if (info->form == VMR_FORM_BINARY) {
        ROW("frames");
        if (info->indexed)
            fprintf(fp, "%" PRIu64 "\n", info->n_frames);
        else
            fprintf(fp, "unknown (no index)\n");
    }
    ROW("metadata");
    fprintf(fp, "%zu\n", info->n_meta);
    for (size_t i = 0; i < info->n_meta; i++) {
        fputs("  ", fp);
        print_escaped(fp, info->meta[i].key);
        fputs(" = ", fp);
        print_escaped(fp, info->meta[i].value);
        fputc('\n', fp);
    }
    ROW("records");
    fprintf(fp, "%" PRIu64 "\n", s->n_records);
    for (unsigned k = 0; k < VMR_REC_N_KINDS; k++)
        if (s->by_kind[k]) {
            char label[32];
            snprintf(label, sizeof label, "  %s:", vmr_rec_kind_name(k));
            fprintf(fp, "%-17s%" PRIu64 "\n", label, s->by_kind[k]);
        }
    ROW("pids");
    fprintf(fp, "%zu\n", s->pids.n);
    ROW("access records");
    fprintf(fp, "%" PRIu64, s->acc_records[0] + s->acc_records[1] + s->acc_records[2]);
    for (int o = 0; o < 3; o++)
        fprintf(fp, "%s%c %" PRIu64, o ? ", " : " (", ops[o], s->acc_records[o]);
    fputs(")\n", fp);
    ROW("accesses");
    fprintf(fp, "%" PRIu64, s->accesses[0] + s->accesses[1] + s->accesses[2]);
    for (int o = 0; o < 3; o++)
        fprintf(fp, "%s%c %" PRIu64, o ? ", " : " (", ops[o], s->accesses[o]);
    fputs(")\n", fp);
    ROW("distinct pages");
    fprintf(fp, "%zu\n", s->pages.n);
    ROW("footprint");
    fprintf(fp, "%" PRIu64 " bytes\n", (uint64_t)s->pages.n * info->page_size);
    ROW("lowest address");
    if (s->have_access)
        fprintf(fp, "0x%" PRIx64 "\n", s->lowest);
    else
        fputs("-\n", fp);
    ROW("highest address");
    if (s->have_access)
        fprintf(fp, "0x%" PRIx64 "\n", s->highest);
    else
        fputs("-\n", fp);
#undef ROW
}

static void print_json(FILE *fp, const char *path, const struct vmr_trace_info *info,
                       const struct summary *s)
{
    static const char *const ops[3] = {"r", "w", "x"};
    fputs("{\n  \"trace\": ", fp);
    json_string(fp, path);
    fprintf(fp, ",\n  \"form\": \"%s\",\n  \"version\": \"%u.%u\",\n  \"page_size\": %" PRIu32,
            form_name(info->form), (unsigned)info->version_major, (unsigned)info->version_minor,
            info->page_size);
    fprintf(fp, ",\n  \"indexed\": %s,\n  \"frames\": ", info->indexed ? "true" : "false");
    if (info->form == VMR_FORM_BINARY && info->indexed)
        fprintf(fp, "%" PRIu64, info->n_frames);
    else
        fputs("null", fp);
    fputs(",\n  \"metadata\": [", fp);
    for (size_t i = 0; i < info->n_meta; i++) {
        fputs(i ? ", " : "", fp);
        fputs("{\"key\": ", fp);
        json_string(fp, info->meta[i].key);
        fputs(", \"value\": ", fp);
        json_string(fp, info->meta[i].value);
        fputc('}', fp);
    }
    fprintf(fp, "],\n  \"records\": %" PRIu64 ",\n  \"records_by_kind\": {", s->n_records);
    for (unsigned k = 0; k < VMR_REC_N_KINDS; k++)
        fprintf(fp, "%s\"%s\": %" PRIu64, k ? ", " : "", vmr_rec_kind_name(k), s->by_kind[k]);
    fprintf(fp, "},\n  \"pids\": %zu,\n  \"access_records\": {", s->pids.n);
    for (int o = 0; o < 3; o++)
        fprintf(fp, "\"%s\": %" PRIu64 ", ", ops[o], s->acc_records[o]);
    fprintf(fp, "\"total\": %" PRIu64 "},\n  \"accesses\": {",
            s->acc_records[0] + s->acc_records[1] + s->acc_records[2]);
    for (int o = 0; o < 3; o++)
        fprintf(fp, "\"%s\": %" PRIu64 ", ", ops[o], s->accesses[o]);
    fprintf(fp, "\"total\": %" PRIu64 "},\n", s->accesses[0] + s->accesses[1] + s->accesses[2]);
    fprintf(fp, "  \"distinct_pages\": %zu,\n  \"footprint_bytes\": %" PRIu64 ",\n", s->pages.n,
            (uint64_t)s->pages.n * info->page_size);
    /* addresses as strings: JSON numbers lose precision above 2^53 */
    if (s->have_access)
        fprintf(fp,
                "  \"lowest_address\": \"0x%" PRIx64 "\",\n  \"highest_address\": \"0x%" PRIx64
                "\"\n}\n",
                s->lowest, s->highest);
    else
        fputs("  \"lowest_address\": null,\n  \"highest_address\": null\n}\n", fp);
}

static int run(int argc, char **argv)
{
    enum { OPT_JSON = 256 };
    static const struct option opts[] = {
        {"json", no_argument, NULL, OPT_JSON},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const struct vmr_cmd *cmd = &vmr_cmd_info;
    const char *output = "-";
    int json = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_JSON:
            json = 1;
            break;
        case 'o':
            output = optarg;
            break;
        case 'h':
            return cli_print_usage(cmd);
        case ':':
            return cli_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
        default:
            return cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind + 1 != argc)
        return cli_usage_error(cmd,
                               optind == argc ? "no trace given" : "more than one trace given");
    const char *path = argv[optind];

    char err[1024];
    struct vmr_trace_reader *r;
    if (vmr_trace_reader_open(&r, path, VMR_FORM_AUTO, err, sizeof err) != 0) {
        cli_error("%s", err);
        return CLI_FAIL;
    }
    const struct vmr_trace_info *info = vmr_trace_reader_info(r);
    unsigned shift = 0;
    while ((1u << shift) < info->page_size)
        shift++;
    struct summary s;
    memset(&s, 0, sizeof s);
    int status = CLI_FAIL;
    if (vmr_hashmap_init(&s.pids, 16) != 0 || vmr_hashmap_init(&s.pages, 1024) != 0) {
        cli_error("out of memory");
        goto out;
    }
    if ((status = scan(r, &s, shift)) != CLI_OK)
        goto out;
    FILE *fp = cli_open_out(output);
    if (!fp) {
        status = CLI_FAIL;
        goto out;
    }
    if (json)
        print_json(fp, path, info, &s);
    else
        print_table(fp, path, info, &s);
    status = cli_close_out(fp, output);
out:
    vmr_hashmap_release(&s.pids);
    vmr_hashmap_release(&s.pages);
    vmr_trace_reader_destroy(r);
    return status;
}

const struct vmr_cmd vmr_cmd_info = {
    "info",
    "describe a trace: form, metadata, records, pids, pages touched",
    usage,
    run,
};
