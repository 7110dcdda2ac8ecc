/* Shared between the mdoc subcommand files (cmd_mdoc.c, cmd_mdoc_verify.c). */
#ifndef MOBID_CMD_MDOC_H
#define MOBID_CMD_MDOC_H

#include "cli.h"

#include <mobid/mdoc.h>

/* `mobid mdoc present` and `mobid mdoc verify`; argv[0] is the subcommand. */
int mdoc_cmd_present(int argc, char **argv);
int mdoc_cmd_verify(int argc, char **argv);
/* Print "what: message" on stderr; returns CLI_EXIT_FAIL. */
int mdoc_report(mobid_err err, const char *what);

#endif
