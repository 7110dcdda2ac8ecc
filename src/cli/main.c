/* mobid: one binary, git-style subcommands registered by their own files. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static cli_command *commands;

void cli_register(cli_command *cmd)
{
    /* Keep the list sorted by name so `mobid --help` reads well. */
    cli_command **p = &commands;
    while (*p && strcmp((*p)->name, cmd->name) < 0)
        p = &(*p)->next;
    cmd->next = *p;
    *p = cmd;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: mobid <command> [options]\n\n"
               "Mobile identity cards on open standards: ISO/IEC 18013-5 mdoc, SD-JWT VC,\n"
               "OpenID4VCI, OpenID4VP and the IETF Token Status List.\n\ncommands:\n");
    for (cli_command *c = commands; c; c = c->next)
        fprintf(f, "  %-10s %s\n", c->name, c->summary);
    fprintf(f, "\nRun 'mobid <command> --help' for a command's options.\n"
               "Exit status: 0 success, 1 verification failure, 2 usage error.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("mobid 0.1.0\n");
        return CLI_EXIT_OK;
    }
    for (cli_command *c = commands; c; c = c->next)
        if (!strcmp(c->name, argv[1]))
            return c->fn(argc - 1, argv + 1);
    fprintf(stderr, "mobid: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return CLI_EXIT_USAGE;
}
