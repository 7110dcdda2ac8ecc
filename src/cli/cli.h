/*
 * The mobid command: shared helpers for subcommands.
 *
 * Conventions (a public interface; scripts and conformance checks rely on them):
 * every subcommand takes --help; results go to stdout (JSON with --json), human
 * messages to stderr; exit 0 on success, 1 on a verification failure (with the
 * stable code name in the JSON "error" field), 2 on a usage error.
 *
 * A subcommand registers itself with MOBID_CLI_COMMAND in its own file, so adding
 * one never touches a central table.
 */
#ifndef MOBID_CLI_H
#define MOBID_CLI_H

#include <jansson.h>
#include <mobid/base.h>
#include "common/svc_error.h"
#include <mobid/crypto.h>

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2

/* Largest input file the CLI reads (credentials, tokens, lists). */
#define CLI_MAX_INPUT ((size_t)256 * 1024 * 1024)

typedef int (*cli_fn)(int argc, char **argv);

typedef struct cli_command {
    const char *name;    /* "cbor", "mdoc", ... */
    const char *summary; /* one line for `mobid --help` */
    cli_fn fn;           /* argv[0] is the subcommand name */
    struct cli_command *next;
} cli_command;

void cli_register(cli_command *cmd);

#define MOBID_CLI_COMMAND(ident, name_, summary_, fn_)                                   \
    static cli_command cli_cmd_##ident = { name_, summary_, fn_, NULL };                 \
    __attribute__((constructor)) static void cli_register_##ident(void)                 \
    {                                                                                    \
        cli_register(&cli_cmd_##ident);                                                  \
    }

/* Read a whole file ("-" = stdin), at most CLI_MAX_INPUT bytes. Prints a message and
 * returns the error on failure. The buffer is NUL-terminated. */
mobid_err cli_read_file(const char *path, mobid_buf *out);
/* Read a file that holds binary data or its hex text (auto-detected). */
mobid_err cli_read_binary_or_hex(const char *path, mobid_buf *out);
/* Write a file atomically (temp + fsync + rename) with the given mode; "-" = stdout. */
mobid_err cli_write_file(const char *path, mobid_view data, unsigned mode);
/* Load a key from a PEM file or a JWK JSON file (auto-detected). */
mobid_err cli_load_key(const char *path, mobid_key **out);
/* Parse --at / --valid-from style RFC 3339 arguments. */
mobid_err cli_parse_time(const char *s, mobid_time *out);

/* Print JSON to stdout (pretty when human is true) followed by a newline. */
void cli_print_json(const json_t *j);
/* Print {"valid":false,"error":CODE,"detail":detail} when json is set, else a line
 * on stderr; returns CLI_EXIT_FAIL. */
int cli_fail(bool json, mobid_err err, const char *detail);
/* Usage error: message on stderr, returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* One --option of a subcommand and where it goes: value for an option that takes an
 * argument (the last one given wins), flag for one that does not (set true). */
typedef struct cli_opt {
    const char *name;
    const char **value;
    bool *flag;
} cli_opt;

#define CLI_VALUE(name, where) { (name), (where), NULL }
#define CLI_FLAG(name, where) { (name), NULL, (where) }
#define CLI_END { NULL, NULL, NULL }

/* What cli_parse returns when the command should go on and run. */
#define CLI_RUN (-1)
/* Parse the options of argv (argv[0] is the subcommand) against opts (ended by an
 * entry whose name is NULL; --help is implied). operands: how many arguments must
 * follow the options (-1: any number; they start at argv[optind]). Returns CLI_RUN, or
 * the exit status to return: CLI_EXIT_OK after --help (usage on stdout),
 * CLI_EXIT_USAGE for an unknown option or a wrong number of operands (on stderr). */
int cli_parse(int argc, char **argv, const cli_opt *opts, int operands, const char *usage);

/* Split "a,b,c" into a NULL-terminated array of heap strings (free with cli_strv_free). */
char **cli_split_commas(const char *s);
void cli_strv_free(char **v);

#endif
