/*
 * cli.h - the vmreplay command: a table of subcommands, one file each, and
 * the few helpers they share. Only this layer prints to the user or picks an
 * exit status: 0 success, 1 failure, 2 usage error.
 */
#ifndef VMREPLAY_CLI_H
#define VMREPLAY_CLI_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

struct vmr_cmd {
    const char *name;
    const char *summary;               /* one line for `vmreplay --help` */
    const char *usage;                 /* full text for `vmreplay help NAME` and NAME --help */
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand name */
};

extern const struct vmr_cmd vmr_cmd_replay;
extern const struct vmr_cmd vmr_cmd_synth;
extern const struct vmr_cmd vmr_cmd_convert;
extern const struct vmr_cmd vmr_cmd_cat;
extern const struct vmr_cmd vmr_cmd_info;
extern const struct vmr_cmd vmr_cmd_policies;
extern const struct vmr_cmd vmr_cmd_compare;
extern const struct vmr_cmd vmr_cmd_sweep;
extern const struct vmr_cmd vmr_cmd_merge;
extern const struct vmr_cmd vmr_cmd_mrc;
extern const struct vmr_cmd vmr_cmd_report;
extern const struct vmr_cmd vmr_cmd_import;
extern const struct vmr_cmd vmr_cmd_record;

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* "vmreplay: <message>\n" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "vmreplay NAME: <message>\nTry 'vmreplay help NAME'.\n"; returns CLI_USAGE. */
int cli_usage_error(const struct vmr_cmd *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prints cmd->usage to stdout, with the help of the shared options where it
 * holds the line CLI_REPLAY_OPTIONS_HELP or CLI_OUTPUT_OPTIONS_HELP;
 * returns CLI_OK. */
int cli_print_usage(const struct vmr_cmd *cmd);

/* Opens an output file ("-" = stdout); prints the error and returns NULL on
 * failure. */
FILE *cli_open_out(const char *path);

/* Flushes, checks the error flag and closes (stdout is flushed, not
 * closed). Prints a message naming the path on failure and returns
 * CLI_FAIL, else CLI_OK. */
int cli_close_out(FILE *fp, const char *path);

/* Whether paths a and b name one existing file ("-" names none): writing
 * a trace onto itself would truncate it before it is read. */
int cli_same_file(const char *a, const char *b);

/* Parses a size option ("64M", "4096", "0x1000"); on error prints a usage
 * error for cmd and returns CLI_USAGE. */
int cli_parse_size(const struct vmr_cmd *cmd, const char *opt, const char *arg, uint64_t *out);

/* Parses a plain unsigned number (decimal or 0x hex) the same way. */
int cli_parse_u64(const struct vmr_cmd *cmd, const char *opt, const char *arg, uint64_t *out);

/* Records in the trace at path if its index says (0 if unknown), for a
 * progress meter's total; 0 too when stderr is not a terminal. */
uint64_t cli_progress_total(const char *path);

/* Splits a comma-separated list of policy specs: a piece holding '=' but no
 * ':' continues the previous spec's parameters ("arc:p=1,q=2,lru" is two).
 * Returns the number of specs written to out (at most max), each a
 * malloc'd string the caller frees, or 0 if out of memory. */
size_t cli_split_policies(const char *list, char **out, size_t max);

/*
 * The options of every command that replays (replay, compare, sweep) and
 * ends in vmr_replay_config_set(cfg, NAME, value): put CLI_REPLAY_OPTIONS in
 * the command's struct option table, "s:" in its short options, and
 * CLI_REPLAY_OPTIONS_HELP in its usage text; cli_replay_option maps what
 * getopt_long returns to the config key. Each command keeps --memory and
 * --policy (a single value or a list) to itself.
 */
enum { CLI_OPT_REPLAY = 0x100 }; /* getopt_long's value for them (but -s) */

/* clang-format off */
#define CLI_REPLAY_OPTIONS                                       \
    {"swap", required_argument, NULL, 's'},                      \
    {"page-size", required_argument, NULL, CLI_OPT_REPLAY},      \
    {"on-segv", required_argument, NULL, CLI_OPT_REPLAY},        \
    {"seed", required_argument, NULL, CLI_OPT_REPLAY},           \
    {"sysroot", required_argument, NULL, CLI_OPT_REPLAY},        \
    {"load-needed", optional_argument, NULL, CLI_OPT_REPLAY},    \
    {"mode", required_argument, NULL, CLI_OPT_REPLAY},           \
    {"overcommit", required_argument, NULL, CLI_OPT_REPLAY},     \
    {"overcommit-ratio", required_argument, NULL, CLI_OPT_REPLAY}, \
    {"zero-page", required_argument, NULL, CLI_OPT_REPLAY},      \
    {"fault-around", required_argument, NULL, CLI_OPT_REPLAY},   \
    {"write-notify", required_argument, NULL, CLI_OPT_REPLAY},   \
    {"page-cluster", required_argument, NULL, CLI_OPT_REPLAY},   \
    {"fork-copy", required_argument, NULL, CLI_OPT_REPLAY},      \
    {"sigbus", required_argument, NULL, CLI_OPT_REPLAY},         \
    {"scope", required_argument, NULL, CLI_OPT_REPLAY},          \
    {"quota", required_argument, NULL, CLI_OPT_REPLAY}
/* clang-format on */

/* Stands for the shared options' help in a usage text (one line). */
#define CLI_REPLAY_OPTIONS_HELP "@replay-options@\n"

/* If c, what getopt_long returned with the table opts and *longindex, is
 * one of CLI_REPLAY_OPTIONS, returns its vmr_replay_config_set key (the
 * long name) and sets *value: the argument, "yes" for a bare --load-needed.
 * Else returns NULL. */
const char *cli_replay_option(int c, const struct option *opts, int longindex, const char **value);

/* The usage error for getopt_long's answer c when it is not an option of
 * the command: ':' (a value missing; ':' leads the short options) or '?'
 * (unknown option; opterr = 0). Returns CLI_USAGE. */
int cli_bad_option(const struct vmr_cmd *cmd, int c, char *const *argv);

/*
 * The output options of the commands that print runs (replay, compare):
 * CLI_OUTPUT_OPTIONS in the struct option table, "f:o:q" in the short
 * options; cli_output_option takes getopt's answers, cli_output_check
 * checks them once all are read. (--columns is a replay option: key
 * "columns" of vmr_replay_config_set, through cli_replay_option.)
 */
struct cli_output {
    const char *format; /* table (default), csv or json */
    const char *output; /* "-" (default): standard output */
    const char *series; /* the time series' file, or NULL */
    uint64_t interval;  /* 0: no time series */
    int per_process, quiet;
};

/* clang-format off */
#define CLI_OUTPUT_OPTIONS                               \
    {"format", required_argument, NULL, 'f'},            \
    {"output", required_argument, NULL, 'o'},            \
    {"interval", required_argument, NULL, 'i'},          \
    {"per-process", no_argument, NULL, 'I'},             \
    {"series", required_argument, NULL, 'T'},            \
    {"columns", required_argument, NULL, CLI_OPT_REPLAY}, \
    {"quiet", no_argument, NULL, 'q'}
/* clang-format on */

/* Stands for the help of --per-process, --series, --columns and --quiet in a usage
 * text (the command's own -f, -o and --interval come before it). */
#define CLI_OUTPUT_OPTIONS_HELP "@output-options@\n"

void cli_output_init(struct cli_output *o);

/* If c (with optarg) is one of CLI_OUTPUT_OPTIONS, takes it and returns
 * CLI_OK, or prints a usage error and returns CLI_USAGE (a bad --interval;
 * with at_marks, "--interval mark" is VMR_SERIES_AT_MARKS). Returns -1 for
 * any other c. */
int cli_output_option(const struct vmr_cmd *cmd, int c, int at_marks, struct cli_output *o);

/* After the options: the format is known, --series comes with --interval,
 * and the series goes to standard output only when the report does not.
 * Returns CLI_OK or CLI_USAGE after printing the error. */
int cli_output_check(const struct vmr_cmd *cmd, struct cli_output *o);

#endif
