/* convert.c - placeholder until the subcommand lands. */
#include "cli.h"

static int run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("convert: not implemented yet");
    return CLI_FAIL;
}

const struct vmr_cmd vmr_cmd_convert = {"convert", "(not implemented yet)", "usage: vmreplay convert\n", run};
