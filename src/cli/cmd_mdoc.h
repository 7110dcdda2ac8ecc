/* Shared between the mdoc subcommand files (cmd_mdoc.c, cmd_mdoc_verify.c). */
#ifndef MOBID_CMD_MDOC_H
#define MOBID_CMD_MDOC_H

#include "cli.h"

#include <mobid/mdoc.h>

/* `mobid mdoc present` and `mobid mdoc verify`; argv[0] is the subcommand. */
int mdoc_cmd_present(int argc, char **argv);
int mdoc_cmd_verify(int argc, char **argv);
/* {"valid":true,"documents":[{docType, claims, validFrom, validUntil[, status]}]
 * [, "documentErrors"]} of a verified DeviceResponse: the output of
 * `mobid mdoc verify --json`. A new reference; NULL when out of memory. */
json_t *mdoc_result_json(const mobid_mdoc_result *res);
/* Print "what: message" on stderr; returns CLI_EXIT_FAIL. */
int mdoc_report(mobid_err err, const char *what);

#endif
