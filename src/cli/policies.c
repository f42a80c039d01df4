/*
 * policies.c - `vmreplay policies`: lists the built-in replacement policies
 * with their summaries, parameters and kind (hardware-realistic or oracle),
 * as the registry knows them, so the list cannot drift from the code.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "vmreplay/policy.h"

static const char usage[] =
    "usage: vmreplay policies [--names]\n"
    "\n"
    "Lists the page-replacement policies built into vmreplay: for each, a one-line\n"
    "summary, its parameters with their defaults, and its kind:\n"
    "  hardware-realistic  works from what an MMU gives a kernel: the referenced\n"
    "                      and dirty bits of each frame (or nothing at all)\n"
    "  oracle              is also told of every access to a resident page, which\n"
    "                      real hardware cannot do\n"
    "  needs the future    also reads when each page will next be used, from a\n"
    "                      pre-pass over the trace (replay does it automatically)\n"
    "\n"
    "Choose one with 'vmreplay replay --policy NAME[:key=value,...]', or load a\n"
    "plug-in with '--policy ./mine.so[:key=value,...]' (a path needs a '/'; the\n"
    "plug-in ABI is documented in include/vmreplay/policy.h).\n"
    "\n"
    "Options:\n"
    "      --names   print only the names, one per line\n"
    "  -h, --help    show this help\n";

static void print_policy(FILE *fp, const struct vmr_policy_ops *ops)
{
    const char *kind =
        (ops->flags & VMR_POLICY_NEEDS_HITS) ? "oracle (sees every access)" : "hardware-realistic";
    fprintf(fp, "%-8s %s%s\n", ops->name, kind,
            (ops->flags & VMR_POLICY_NEEDS_FUTURE) ? ", needs the future" : "");
    fprintf(fp, "         %s\n", ops->summary ? ops->summary : "");
    if (!ops->params || !ops->params[0].name) {
        fputs("         parameters: none\n", fp);
        return;
    }
    fputs("         parameters:\n", fp);
    for (const struct vmr_policy_param *p = ops->params; p->name; p++)
        fprintf(fp, "           %s=%s  %s\n", p->name, p->default_value ? p->default_value : "",
                p->help ? p->help : "");
}

static int run(int argc, char **argv)
{
    int names_only = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return cli_print_usage(&vmr_cmd_policies);
        if (strcmp(argv[i], "--names") == 0)
            names_only = 1;
        else if (argv[i][0] == '-')
            return cli_usage_error(&vmr_cmd_policies, "unknown option '%s'", argv[i]);
        else
            return cli_usage_error(&vmr_cmd_policies, "unexpected argument '%s'", argv[i]);
    }
    size_t n;
    const struct vmr_policy_ops *const *ops = vmr_policy_builtins(&n);
    if (names_only) {
        for (size_t i = 0; i < n; i++)
            printf("%s\n", ops[i]->name);
        return cli_close_out(stdout, "-");
    }
    printf("Replacement policies (--policy NAME[:key=value,...]):\n\n");
    for (size_t i = 0; i < n; i++)
        print_policy(stdout, ops[i]);
    printf("\nhardware-realistic: uses only the referenced/dirty bits an MMU sets;\n"
           "oracle: told of every access (not possible on real hardware).\n");
    return cli_close_out(stdout, "-");
}

const struct vmr_cmd vmr_cmd_policies = {
    "policies",
    "list the replacement policies, their parameters and kind",
    usage,
    run,
};
