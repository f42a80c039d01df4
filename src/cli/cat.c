/* cat.c - placeholder until the subcommand lands. */
#include "cli.h"

static int run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("cat: not implemented yet");
    return CLI_FAIL;
}

const struct vmr_cmd vmr_cmd_cat = {"cat", "(not implemented yet)", "usage: vmreplay cat\n", run};
