/*
 * mobid sdjwt type-metadata: fetch the SD-JWT VC Type Metadata of a vct (an https URL,
 * or the vct of a credential file) and check it names that vct; with --integrity
 * (the credential's vct#integrity, "sha256-<base64>"), check the document's digest.
 * Prints the type's names and each claim's path with its labels.
 */
#include "cli.h"
#include "http/client.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mobid/crypto.h>
#include <mobid/sdjwt.h>

int cli_sdjwt_type_metadata(int argc, char **argv);

static const char usage[] =
    "usage: mobid sdjwt type-metadata [--integrity sha256-B64] [--json] VCT_URL\n"
    "Fetch the SD-JWT VC Type Metadata served at a vct (the issuer serves each card's at\n"
    "its vct) and check that it names that vct.\n"
    "  --integrity SRI   the credential's vct#integrity (sha256-, sha384- or sha512-\n"
    "                    and the standard base64 digest of the document); a mismatch fails\n"
    "  --json            the document on stdout; else the names and labels on stderr\n"
    "Exit: 0 fetched and checked, 1 failure (FETCH_FAILED, MALFORMED, DIGEST_MISMATCH,\n"
    "TYPE_MISMATCH in \"error\" with --json), 2 usage.\n";

/* SRI "alg-base64" against the body's digest. */
static bool integrity_ok(const char *sri, mobid_view body)
{
    static const struct { const char *name; mobid_hash_alg alg; size_t len; } ALGS[] = {
        { "sha256-", MOBID_HASH_SHA256, 32 }, { "sha384-", MOBID_HASH_SHA384, 48 },
        { "sha512-", MOBID_HASH_SHA512, 64 } };
    uint8_t d[MOBID_HASH_MAX];
    mobid_buf b64 = { 0 };
    bool ok = false;
    mobid_buf_init(&b64, 0);
    for (size_t i = 0; i < 3 && !ok; i++)
        if (!strncmp(sri, ALGS[i].name, strlen(ALGS[i].name)) &&
            mobid_hash(ALGS[i].alg, body, d) == MOBID_OK &&
            mobid_b64_encode(mobid_view_make(d, ALGS[i].len), &b64) == MOBID_OK &&
            mobid_buf_terminate(&b64) == MOBID_OK)
            ok = !strcmp((const char *)b64.ptr, sri + strlen(ALGS[i].name));
    mobid_buf_free(&b64);
    return ok;
}

static void say_labels(const json_t *doc)
{
    size_t i, k;
    const json_t *c, *d;
    json_array_foreach (json_object_get(doc, "display"), i, d)
        fprintf(stderr, "%s: %s\n", json_string_value(json_object_get(d, "locale")) ?: "?",
                json_string_value(json_object_get(d, "name")) ?: "");
    json_array_foreach (json_object_get(doc, "claims"), i, c) {
        char *path = json_dumps(json_object_get(c, "path"), JSON_COMPACT);
        fprintf(stderr, "  %s", path ? path : "?");
        free(path);
        json_array_foreach (json_object_get(c, "display"), k, d)
            fprintf(stderr, "  %s: %s", json_string_value(json_object_get(d, "locale")) ?: "?",
                    json_string_value(json_object_get(d, "label")) ?: "");
        fputc('\n', stderr);
    }
}

static int run(const char *vct, const char *sri, bool json)
{
    mobid_http_result r;
    json_t *doc = NULL;
    int rc;
    memset(&r, 0, sizeof r);
    mobid_err err = mobid_http_get(vct, NULL, &r);
    if (!err && r.status != 200)
        err = MOBID_ERR_FETCH_FAILED;
    if (err) {
        rc = cli_fail(json, err, "the type metadata could not be fetched from the vct");
    } else if (sri && !integrity_ok(sri, mobid_buf_view(&r.body))) {
        rc = cli_fail(json, MOBID_ERR_DIGEST_MISMATCH, "the document does not match --integrity");
    } else if (mobid_http_result_json(&r, &doc) || !json_is_object(doc)) {
        rc = cli_fail(json, MOBID_ERR_MALFORMED, "the type metadata is not a JSON object");
    } else if (strcmp(json_string_value(json_object_get(doc, "vct")) ?: "", vct)) {
        rc = cli_fail(json, MOBID_ERR_TYPE_MISMATCH, "the document names another vct");
    } else {
        if (json)
            cli_print_json(doc);
        else
            say_labels(doc);
        rc = CLI_EXIT_OK;
    }
    json_decref(doc);
    mobid_http_result_free(&r);
    return rc;
}

int cli_sdjwt_type_metadata(int argc, char **argv)
{
    static const struct option opts[] = { { "integrity", required_argument, NULL, 'i' },
                                          { "json", no_argument, NULL, 'j' },
                                          { "help", no_argument, NULL, 'h' },
                                          { NULL, 0, NULL, 0 } };
    const char *sri = NULL;
    bool json = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(usage, stdout);
            return CLI_EXIT_OK;
        }
        if (c == 'i')
            sri = optarg;
        else if (c == 'j')
            json = true;
        else
            return cli_usage_error(usage, "unknown option");
    }
    if (optind != argc - 1 || strncmp(argv[optind], "http", 4))
        return cli_usage_error(usage, "give one vct, an http(s) URL");
    return run(argv[optind], sri, json);
}
