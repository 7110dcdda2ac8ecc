/* `mobid cbor diag FILE|-`: CBOR diagnostic notation (RFC 8949 §8). */
#include "cli.h"

#include <mobid/cbor.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char cbor_usage[] =
    "usage: mobid cbor diag [--json] [--max-depth N] FILE|-\n"
    "\n"
    "Print the diagnostic notation (RFC 8949 section 8) of every CBOR item in FILE\n"
    "('-' reads stdin), one item per line. The input may be binary CBOR or its hex\n"
    "text (auto-detected). Malformed input exits 1 with the error code name.\n"
    "\n"
    "  --json         print {\"valid\":true,\"items\":[\"<diag>\",...]} instead\n"
    "  --max-depth N  nesting limit (default 64, at most 1024)\n"
    "  --help         this text\n";

typedef struct diag_opts {
    bool json;
    const char *path;
    mobid_cbor_limits lim;
} diag_opts;

/* Returns -1 when the options are fine, else the exit status. */
static int parse_diag_args(int argc, char **argv, diag_opts *o)
{
    o->json = false;
    o->path = NULL;
    o->lim = mobid_cbor_default_limits;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(cbor_usage, stdout);
            return CLI_EXIT_OK;
        } else if (!strcmp(a, "--json")) {
            o->json = true;
        } else if (!strcmp(a, "--max-depth") && i + 1 < argc) {
            char *end;
            unsigned long d = strtoul(argv[++i], &end, 10);
            if (*end || !*argv[i] || d > MOBID_CBOR_DEPTH_CAP)
                return cli_usage_error(cbor_usage, "bad --max-depth '%s'", argv[i]);
            o->lim.max_depth = (unsigned)d;
        } else if (a[0] == '-' && a[1]) {
            return cli_usage_error(cbor_usage, "unknown option '%s'", a);
        } else if (o->path) {
            return cli_usage_error(cbor_usage, "more than one input file");
        } else {
            o->path = a;
        }
    }
    if (!o->path)
        return cli_usage_error(cbor_usage, "no input file");
    return -1;
}

/* The diag lines as a JSON array of strings (the text has one item a line). */
static json_t *lines_to_json(mobid_view text)
{
    json_t *arr = json_array();
    size_t start = 0;
    for (size_t i = 0; arr && i < text.len; i++) {
        if (text.ptr[i] != '\n')
            continue;
        json_array_append_new(arr, json_stringn((const char *)text.ptr + start, i - start));
        start = i + 1;
    }
    return arr;
}

static int diag_main(int argc, char **argv)
{
    diag_opts o;
    mobid_buf in = { 0 }, out = { 0 };
    json_t *j = NULL;
    int rc = parse_diag_args(argc, argv, &o);
    if (rc >= 0)
        return rc;
    mobid_buf_init(&out, CLI_MAX_INPUT * 4);
    rc = CLI_EXIT_FAIL;
    mobid_err err = cli_read_binary_or_hex(o.path, &in);
    if (err != MOBID_OK) {
        rc = cli_fail(o.json, err, "cannot read the input");
        goto done;
    }
    err = mobid_cbor_diag(mobid_buf_view(&in), &o.lim, &out);
    if (err != MOBID_OK) {
        rc = cli_fail(o.json, err, mobid_svc_strerror(err));
        goto done;
    }
    if (o.json) {
        j = json_pack("{s:b,s:o}", "valid", 1, "items", lines_to_json(mobid_buf_view(&out)));
        if (!j) {
            rc = cli_fail(true, MOBID_ERR_NOMEM, NULL);
            goto done;
        }
        cli_print_json(j);
    } else if (out.len && fwrite(out.ptr, 1, out.len, stdout) != out.len) {
        rc = cli_fail(false, MOBID_ERR_IO, "cannot write the output");
        goto done;
    }
    rc = CLI_EXIT_OK;
done:
    json_decref(j);
    mobid_buf_free(&in);
    mobid_buf_free(&out);
    return rc;
}

static int cmd_cbor(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error(cbor_usage, "missing subcommand");
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        fputs(cbor_usage, stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(argv[1], "diag"))
        return diag_main(argc - 1, argv + 1);
    return cli_usage_error(cbor_usage, "unknown cbor subcommand '%s'", argv[1]);
}

MOBID_CLI_COMMAND(cbor, "cbor", "CBOR tools: diagnostic notation of binary or hex input", cmd_cbor)
