/*
 * main.c - `vmreplay COMMAND ...`: finds the subcommand in the table and
 * runs it. Global options: --help, --version.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "vmreplay/common.h"

static const struct vmr_cmd *const commands[] = {
    &vmr_cmd_replay,   &vmr_cmd_synth,   &vmr_cmd_convert, &vmr_cmd_cat,   &vmr_cmd_info,
    &vmr_cmd_policies, &vmr_cmd_compare, &vmr_cmd_sweep,   &vmr_cmd_merge, &vmr_cmd_mrc,
    &vmr_cmd_report,   &vmr_cmd_import,  &vmr_cmd_record,
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const struct vmr_cmd *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
    return NULL;
}

static void print_main_help(FILE *fp)
{
    fputs("usage: vmreplay [--help] [--version] COMMAND [ARGS...]\n"
          "\n"
          "Trace-driven virtual-memory simulator: replays traces of memory accesses and\n"
          "memory system calls through a simulated kernel (demand paging, page cache,\n"
          "swap, copy-on-write) under a chosen memory size and replacement policy.\n"
          "\n"
          "Commands:\n",
          fp);
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(fp, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
    fputs("  help       show the help of a command\n"
          "\n"
          "Run 'vmreplay help COMMAND' for a command's options. Trace formats are\n"
          "described in traces/FORMAT.md.\n",
          fp);
}

static int cmd_help(int argc, char **argv)
{
    if (argc < 2) {
        print_main_help(stdout);
        return CLI_OK;
    }
    const struct vmr_cmd *c = find_command(argv[1]);
    if (!c) {
        cli_error("no command '%s'; 'vmreplay --help' lists them", argv[1]);
        return CLI_USAGE;
    }
    return cli_print_usage(c);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_main_help(stderr);
        return CLI_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0)
        return cmd_help(1, argv + 1);
    if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0) {
        printf("vmreplay %s\n", VMR_VERSION_STRING);
        return CLI_OK;
    }
    if (strcmp(name, "help") == 0)
        return cmd_help(argc - 1, argv + 1);
    const struct vmr_cmd *c = find_command(name);
    if (!c) {
        cli_error("no command '%s'; 'vmreplay --help' lists them", name);
        return CLI_USAGE;
    }
    return c->run(argc - 1, argv + 1);
}
