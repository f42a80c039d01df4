#include "cli.h"
static int run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return CLI_FAIL;
}
const struct vmr_cmd vmr_cmd_merge = {"merge", "todo", "todo\n", run};
