/* info.c - placeholder until the subcommand lands. */
#include "cli.h"

static int run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("info: not implemented yet");
    return CLI_FAIL;
}

const struct vmr_cmd vmr_cmd_info = {"info", "(not implemented yet)", "usage: vmreplay info\n", run};
