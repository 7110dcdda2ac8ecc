/* mobid mdoc present / verify: the holder's DeviceResponse and the verifier's check. */
#include "cmd_mdoc.h"

#include "cli_trust.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char present_usage[] =
    "usage: mobid mdoc present --issuer-signed F --device-key DEVICE_KEY --transcript T.cbor\n"
    "                          --reveal NS/ELEM[,NS/ELEM...] [--reader-key READER_PUB]\n"
    "                          -o RESPONSE.cbor\n"
    "\n"
    "Build a DeviceResponse disclosing only the listed elements, authenticated with a\n"
    "device signature over the SessionTranscript (or, with --reader-key, the reader's\n"
    "ephemeral public key, a device MAC). Inputs may be binary or hex; keys PEM or JWK.\n"
    "--reveal may be given more than once.\n";

static const char verify_usage[] =
    "usage: mobid mdoc verify (--trust CERT.pem ... | --vical FILE --vical-anchor ROOT.pem)\n"
    "                         --transcript T.cbor [--reader-key READER_KEY] [--at T]\n"
    "                         [--doctype D] [--lenient | --strict] [--json] RESPONSE.cbor\n"
    "\n"
    "Verify every document of a DeviceResponse: issuer signature and x5chain to a trust\n"
    "anchor (an IACA, the document signer itself, or an IACA a VICAL lists for the\n"
    "document's docType), MSO validity at --at (default now), docType, digests of the\n"
    "disclosed items, and the device signature or (with --reader-key, the reader's\n"
    "ephemeral private key) the device MAC.\n"
    "A transcript file may hold the SessionTranscript array or its tag-24 wrapping.\n"
    CLI_TRUST_USAGE
    "A document signer under an IACA without an extended key usage is accepted with the\n"
    "warning DS_EKU_MISSING; with --lenient one whose EKU names another use is accepted\n"
    "with DS_EKU_OTHER (see docs/mdoc.md).\n"
    "Output (--json): {\"valid\":true,\"documents\":[{\"docType\":..,\"claims\":{ns:{elem:v}},\n"
    "\"validFrom\":..,\"validUntil\":..}],\"warnings\":[..]}; on failure exit 1 and\n"
    "{\"valid\":false,\"error\":\"CODE\",\"detail\":\"...\"}.\n";

typedef struct present_args {
    const char *issuer_signed, *device_key, *transcript, *reader_key, *out;
    char **reveal; /* NULL-terminated, heap */
} present_args;

/* Append the comma-separated refs of s to a->reveal. */
static mobid_err add_reveal(present_args *a, const char *s)
{
    char **more = cli_split_commas(s);
    size_t n = 0, m = 0;
    if (!more)
        return MOBID_ERR_NOMEM;
    while (a->reveal && a->reveal[n])
        n++;
    while (more[m])
        m++;
    char **all = realloc(a->reveal, (n + m + 1) * sizeof *all);
    if (!all) {
        cli_strv_free(more);
        return MOBID_ERR_NOMEM;
    }
    memcpy(all + n, more, (m + 1) * sizeof *all);
    free(more);
    a->reveal = all;
    return MOBID_OK;
}

static int present_parse(int argc, char **argv, present_args *a)
{
    static const struct option opts[] = {
        { "issuer-signed", 1, 0, 'i' }, { "device-key", 1, 0, 'k' }, { "transcript", 1, 0, 't' },
        { "reveal", 1, 0, 'r' },        { "reader-key", 1, 0, 'R' }, { "output", 1, 0, 'o' },
        { "help", 0, 0, 'h' },          { 0, 0, 0, 0 }
    };
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'i': a->issuer_signed = optarg; break;
        case 'k': a->device_key = optarg; break;
        case 't': a->transcript = optarg; break;
        case 'R': a->reader_key = optarg; break;
        case 'o': a->out = optarg; break;
        case 'r':
            if (add_reveal(a, optarg) != MOBID_OK)
                return cli_usage_error(NULL, "out of memory");
            break;
        case 'h': fputs(present_usage, stdout); return -1;
        default: return cli_usage_error(present_usage, "bad option");
        }
    }
    if (optind != argc)
        return cli_usage_error(present_usage, "unexpected argument '%s'", argv[optind]);
    if (!a->issuer_signed || !a->device_key || !a->transcript || !a->reveal || !a->out)
        return cli_usage_error(present_usage, "--issuer-signed, --device-key, --transcript, "
                                              "--reveal and -o are required");
    return 0;
}

/* Split every NS/ELEM in place into refs (the strings stay owned by a->reveal). */
static int make_refs(present_args *a, mobid_mdoc_ref **refs, size_t *n)
{
    size_t k = 0;
    while (a->reveal[k])
        k++;
    *refs = calloc(k + 1, sizeof **refs);
    if (!*refs)
        return cli_usage_error(NULL, "out of memory");
    for (size_t i = 0; i < k; i++) {
        char *slash = strrchr(a->reveal[i], '/');
        if (!slash || slash == a->reveal[i] || !slash[1])
            return cli_usage_error(present_usage, "--reveal takes NS/ELEM, not '%s'",
                                   a->reveal[i]);
        *slash = 0;
        (*refs)[i].ns = a->reveal[i];
        (*refs)[i].id = slash + 1;
    }
    *n = k;
    return 0;
}

int mdoc_cmd_present(int argc, char **argv)
{
    present_args a;
    mobid_mdoc_present_opts o;
    mobid_mdoc_ref *refs = NULL;
    mobid_key *dk = NULL, *rk = NULL;
    mobid_buf is, st, out;
    mobid_err err;
    int rc;
    memset(&a, 0, sizeof a);
    memset(&o, 0, sizeof o);
    mobid_buf_init(&is, 0);
    mobid_buf_init(&st, 0);
    mobid_buf_init(&out, 0);
    rc = present_parse(argc, argv, &a);
    if (rc)
        goto done;
    rc = make_refs(&a, &refs, &o.n_reveal);
    if (rc)
        goto done;
    rc = CLI_EXIT_FAIL;
    if (cli_read_binary_or_hex(a.issuer_signed, &is) != MOBID_OK ||
        cli_read_binary_or_hex(a.transcript, &st) != MOBID_OK ||
        cli_load_key(a.device_key, &dk) != MOBID_OK ||
        (a.reader_key && cli_load_key(a.reader_key, &rk) != MOBID_OK))
        goto done;
    o.issuer_signed = mobid_buf_view(&is);
    o.transcript = mobid_buf_view(&st);
    o.device_key = dk;
    o.reader_key = rk;
    o.reveal = refs;
    err = mobid_mdoc_present(&o, &out);
    if (err != MOBID_OK) {
        rc = mdoc_report(err, err == MOBID_ERR_NOT_FOUND ? "a revealed element is not in the "
                                                           "credential"
                                                         : "present");
        goto done;
    }
    rc = cli_write_file(a.out, mobid_buf_view(&out), 0644) == MOBID_OK ? CLI_EXIT_OK
                                                                        : CLI_EXIT_FAIL;
done:
    free(refs);
    cli_strv_free(a.reveal);
    mobid_key_free(dk);
    mobid_key_free(rk);
    mobid_buf_free(&is);
    mobid_buf_free(&st);
    mobid_buf_free(&out);
    return rc < 0 ? CLI_EXIT_OK : rc;
}

typedef struct verify_args {
    cli_trust trust;
    const char *transcript, *reader_key, *at, *doctype, *response;
    bool json;
} verify_args;

static int verify_parse(int argc, char **argv, verify_args *a)
{
    static const struct option opts[] = {
        CLI_TRUST_OPTIONS,
        { "transcript", 1, 0, 't' }, { "reader-key", 1, 0, 'R' }, { "at", 1, 0, 'a' },
        { "doctype", 1, 0, 'd' },    { "json", 0, 0, 'j' },       { "help", 0, 0, 'h' },
        { 0, 0, 0, 0 }
    };
    int ch, took;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if ((took = cli_trust_option(&a->trust, ch, optarg)) != 0) {
            if (took < 0)
                return CLI_EXIT_USAGE;
            continue;
        }
        switch (ch) {
        case 't': a->transcript = optarg; break;
        case 'R': a->reader_key = optarg; break;
        case 'a': a->at = optarg; break;
        case 'd': a->doctype = optarg; break;
        case 'j': a->json = true; break;
        case 'h': fputs(verify_usage, stdout); return -1;
        default: return cli_usage_error(verify_usage, "bad option");
        }
    }
    if (optind + 1 != argc)
        return cli_usage_error(verify_usage, "exactly one RESPONSE file is expected");
    a->response = argv[optind];
    if ((!a->trust.n_anchors && !a->trust.n_vicals) || !a->transcript)
        return cli_usage_error(verify_usage, "--trust or --vical, and --transcript are required");
    if (a->trust.n_vicals && !a->trust.n_vical_anchors)
        return cli_usage_error(verify_usage, "--vical needs --vical-anchor");
    return 0;
}

static json_t *time_json(mobid_time t)
{
    char s[21];
    return mobid_time_format_rfc3339(t, s) == MOBID_OK ? json_string(s) : json_null();
}

static json_t *doc_json(const mobid_mdoc_doc *d)
{
    json_t *claims = NULL, *o;
    if (mobid_mdoc_doc_claims_json(d, &claims) != MOBID_OK)
        return NULL;
    o = json_pack("{s:s%,s:o,s:o,s:o}", "docType", (const char *)d->doctype.ptr, d->doctype.len,
                  "claims", claims, "validFrom", time_json(d->valid_from), "validUntil",
                  time_json(d->valid_until));
    if (o && d->has_status)
        json_object_set_new(o, "status",
                            json_pack("{s:I,s:s%}", "idx", (json_int_t)d->status_idx, "uri",
                                      (const char *)d->status_uri.ptr, d->status_uri.len));
    return o;
}

/* The policy's warnings over all documents, by stable name. */
static json_t *warnings_json(const mobid_mdoc_result *res)
{
    unsigned all = 0;
    json_t *w = json_array();
    for (size_t i = 0; i < res->n_docs; i++)
        all |= res->docs[i].warnings;
    for (unsigned bit = 1; w && bit <= MOBID_TRUST_WARN_ALL; bit <<= 1)
        if ((all & bit) && mobid_trust_warning_name(bit))
            json_array_append_new(w, json_string(mobid_trust_warning_name(bit)));
    return w;
}

json_t *mdoc_result_json(const mobid_mdoc_result *res)
{
    json_t *docs = json_array(), *out;
    for (size_t i = 0; i < res->n_docs; i++)
        json_array_append_new(docs, doc_json(&res->docs[i]));
    out = json_pack("{s:b,s:o,s:o}", "valid", 1, "documents", docs, "warnings",
                    warnings_json(res));
    if (out && res->document_errors.len) {
        json_t *de = NULL;
        if (mobid_mdoc_value_to_json(res->document_errors, &de) == MOBID_OK)
            json_object_set_new(out, "documentErrors", de);
    }
    return out;
}

static int print_result(const verify_args *a, const mobid_mdoc_result *res)
{
    json_t *out = mdoc_result_json(res);
    if (!out)
        return cli_fail(a->json, MOBID_ERR_NOMEM, NULL);
    if (a->json) {
        cli_print_json(out);
    } else {
        for (size_t i = 0; i < res->n_docs; i++)
            printf("valid: %.*s, %zu element(s)%s\n", (int)res->docs[i].doctype.len,
                   (const char *)res->docs[i].doctype.ptr, res->docs[i].n_items,
                   res->docs[i].device_mac ? " (device MAC)" : " (device signature)");
        for (size_t i = 0; i < json_array_size(json_object_get(out, "warnings")); i++)
            fprintf(stderr, "warning: %s\n",
                    json_string_value(json_array_get(json_object_get(out, "warnings"), i)));
        cli_print_json(json_object_get(out, "documents"));
    }
    json_decref(out);
    return CLI_EXIT_OK;
}

int mdoc_cmd_verify(int argc, char **argv)
{
    verify_args a;
    mobid_trust *trust = NULL;
    mobid_mdoc_verifier *v = NULL;
    mobid_key *rk = NULL;
    mobid_buf resp, st;
    mobid_mdoc_verify_opts o;
    mobid_mdoc_result res;
    mobid_err err;
    char detail[256];
    memset(&a, 0, sizeof a);
    memset(&o, 0, sizeof o);
    memset(&res, 0, sizeof res);
    mobid_buf_init(&resp, 0);
    mobid_buf_init(&st, 0);
    int rc = verify_parse(argc, argv, &a);
    if (rc)
        goto done;
    rc = CLI_EXIT_USAGE;
    if (a.at && cli_parse_time(a.at, &o.at) != MOBID_OK)
        goto done;
    if ((err = cli_trust_load(&a.trust, "mdoc", o.at, &trust, detail, sizeof detail))) {
        rc = cli_trust_load_status(err) == CLI_EXIT_FAIL ? cli_fail(a.json, err, detail)
                                                         : CLI_EXIT_USAGE;
        goto done;
    }
    if (mobid_mdoc_verifier_new(trust, &v) != MOBID_OK ||
        cli_read_binary_or_hex(a.transcript, &st) != MOBID_OK ||
        (a.reader_key && cli_load_key(a.reader_key, &rk) != MOBID_OK))
        goto done;
    rc = CLI_EXIT_FAIL;
    if (cli_read_binary_or_hex(a.response, &resp) != MOBID_OK) {
        rc = cli_fail(a.json, MOBID_ERR_IO, "cannot read the response");
        goto done;
    }
    o.transcript = mobid_buf_view(&st);
    o.reader_key = rk;
    o.expect_doctype = a.doctype;
    err = mobid_mdoc_verify(v, mobid_buf_view(&resp), &o, &res);
    rc = err == MOBID_OK ? print_result(&a, &res) : cli_fail(a.json, err, res.detail[0] ? res.detail : NULL);
done:
    mobid_mdoc_result_free(&res);
    mobid_mdoc_verifier_free(v);
    mobid_trust_free(trust);
    mobid_key_free(rk);
    mobid_buf_free(&resp);
    mobid_buf_free(&st);
    cli_trust_clear(&a.trust);
    return rc < 0 ? CLI_EXIT_OK : rc;
}
