/* mobid mdoc: issue, transcript (present and verify live in cmd_mdoc_verify.c). */
#include "cmd_mdoc.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char issue_usage[] =
    "usage: mobid mdoc issue --doctype D --claims CLAIMS.json --issuer-key KEY\n"
    "         --issuer-chain CHAIN.pem --device-key DEVICE_PUB [--valid-from T]\n"
    "         [--valid-until T] [--signed T] [--status-uri U --status-idx N]\n"
    "         [--age-over N,N... [--birth-date NS/ELEM] [--age-namespace NS]]\n"
    "         [--digest sha256|sha384|sha512] -o ISSUER_SIGNED.cbor\n"
    "\n"
    "Build an ISO 18013-5 IssuerSigned structure (mso_mdoc credential).\n"
    "  CLAIMS.json       {\"<namespace>\": {\"<element>\": value, ...}, ...}; values are\n"
    "                    JSON, with {\"$date\":\"YYYY-MM-DD\"} for a full-date (tag 1004),\n"
    "                    {\"$tdate\":\"RFC3339\"} for a tdate and {\"$bytes\":\"<base64url>\"}\n"
    "                    for a byte string (portraits)\n"
    "  --issuer-key      document signer private key (PEM or JWK)\n"
    "  --issuer-chain    PEM bundle: the DS certificate first, then any intermediates\n"
    "  --device-key      the holder's public key (PEM or JWK), put in the MSO\n"
    "  --valid-from/--valid-until/--signed   RFC 3339 (default: now .. now + 365 days)\n"
    "  --status-uri/--status-idx   Token Status List reference (MSO status.status_list)\n"
    "  --age-over 14,19  add age_over_NN booleans computed from the birth date at the\n"
    "                    signing time; --birth-date names the element (default\n"
    "                    org.iso.18013.5.1/birth_date), --age-namespace where they go\n"
    "                    (default org.iso.18013.5.1)\n";

static const char transcript_usage[] =
    "usage: mobid mdoc transcript --oid4vp --client-id C --nonce N --response-uri U\n"
    "                             [--jwk-thumbprint B64URL] [-o T.cbor]\n"
    "       mobid mdoc transcript --dcapi --origin O --nonce N [--jwk-thumbprint B64URL]\n"
    "                             [-o T.cbor]\n"
    "       mobid mdoc transcript --iso --device-engagement DE.cbor --e-reader-key K.cbor\n"
    "                             [--handover-select SEL --handover-request REQ] [-o T.cbor]\n"
    "\n"
    "Write a SessionTranscript (CBOR array) for OpenID4VP 1.0 (OpenID4VPHandover),\n"
    "the Digital Credentials API (OpenID4VPDCAPIHandover) or an ISO 18013-5 QR/NFC\n"
    "engagement. --jwk-thumbprint is the base64url RFC 7638 thumbprint of the\n"
    "verifier's encryption key (omitted: null). Inputs may be binary or hex.\n";

static const char mdoc_usage[] =
    "usage: mobid mdoc <issue|transcript|present|verify> [options]\n"
    "Run 'mobid mdoc <subcommand> --help' for its options.\n";

int mdoc_report(mobid_err err, const char *what)
{
    fprintf(stderr, "mobid mdoc: %s: %s\n", what, mobid_svc_strerror(err));
    return CLI_EXIT_FAIL;
}

/* {"ns": {"elem": value}} → elements with values encoded one after another in vals. */
static mobid_err claims_to_elements(const json_t *claims, mobid_buf *vals,
                                    mobid_mdoc_element **out, size_t *n)
{
    const char *ns, *id;
    json_t *inner, *v;
    size_t count = 0, k = 0;
    size_t *offs = NULL;
    mobid_err err = MOBID_OK;
    json_object_foreach((json_t *)claims, ns, inner) {
        if (!json_is_object(inner))
            return MOBID_ERR_MALFORMED;
        count += json_object_size(inner);
    }
    *out = calloc(count + 1, sizeof **out);
    offs = calloc(count + 1, sizeof *offs);
    if (!*out || !offs) {
        free(offs);
        return MOBID_ERR_NOMEM;
    }
    json_object_foreach((json_t *)claims, ns, inner) {
        json_object_foreach(inner, id, v) {
            mobid_cbor_enc e;
            offs[k] = vals->len;
            mobid_cbor_enc_init(&e, vals);
            if (err == MOBID_OK)
                err = mobid_mdoc_value_from_json(v, &e);
            if (err == MOBID_OK)
                err = mobid_cbor_enc_finish(&e);
            (*out)[k].ns = ns;
            (*out)[k].id = id;
            k++;
        }
    }
    /* Views are taken once vals stops growing. */
    for (size_t i = 0; err == MOBID_OK && i < k; i++)
        (*out)[i].value = mobid_view_make(vals->ptr + offs[i],
                                          (i + 1 < k ? offs[i + 1] : vals->len) - offs[i]);
    free(offs);
    *n = k;
    return err;
}

static mobid_err parse_ages(const char *s, unsigned *ages, size_t *n)
{
    char **v = cli_split_commas(s);
    mobid_err err = v ? MOBID_OK : MOBID_ERR_NOMEM;
    *n = 0;
    for (char **p = v; err == MOBID_OK && p && *p; p++) {
        char *end;
        long a = strtol(*p, &end, 10);
        if (*end || a < 1 || a > 99 || *n == MOBID_MDOC_MAX_AGES)
            err = MOBID_ERR_INVALID_ARG;
        else
            ages[(*n)++] = (unsigned)a;
    }
    cli_strv_free(v);
    return err;
}

typedef struct issue_args {
    const char *doctype, *claims, *issuer_key, *chain, *device_key, *out;
    const char *valid_from, *valid_until, *signed_at, *status_uri, *status_idx;
    const char *age_over, *birth, *age_ns, *digest;
} issue_args;

static int issue_parse(int argc, char **argv, issue_args *a)
{
    static const struct option opts[] = {
        { "doctype", 1, 0, 'd' },     { "claims", 1, 0, 'c' },      { "issuer-key", 1, 0, 'k' },
        { "issuer-chain", 1, 0, 'C' }, { "device-key", 1, 0, 'D' }, { "valid-from", 1, 0, 'f' },
        { "valid-until", 1, 0, 'u' }, { "signed", 1, 0, 's' },      { "status-uri", 1, 0, 'U' },
        { "status-idx", 1, 0, 'I' },  { "age-over", 1, 0, 'a' },    { "birth-date", 1, 0, 'b' },
        { "age-namespace", 1, 0, 'n' }, { "digest", 1, 0, 'g' },    { "output", 1, 0, 'o' },
        { "help", 0, 0, 'h' },        { 0, 0, 0, 0 }
    };
    int ch;
    memset(a, 0, sizeof *a);
    optind = 1;
    while ((ch = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'd': a->doctype = optarg; break;
        case 'c': a->claims = optarg; break;
        case 'k': a->issuer_key = optarg; break;
        case 'C': a->chain = optarg; break;
        case 'D': a->device_key = optarg; break;
        case 'f': a->valid_from = optarg; break;
        case 'u': a->valid_until = optarg; break;
        case 's': a->signed_at = optarg; break;
        case 'U': a->status_uri = optarg; break;
        case 'I': a->status_idx = optarg; break;
        case 'a': a->age_over = optarg; break;
        case 'b': a->birth = optarg; break;
        case 'n': a->age_ns = optarg; break;
        case 'g': a->digest = optarg; break;
        case 'o': a->out = optarg; break;
        case 'h': fputs(issue_usage, stdout); return -1;
        default: return cli_usage_error(issue_usage, "bad option");
        }
    }
    if (optind != argc)
        return cli_usage_error(issue_usage, "unexpected argument '%s'", argv[optind]);
    if (!a->doctype || !a->claims || !a->issuer_key || !a->chain || !a->device_key || !a->out)
        return cli_usage_error(issue_usage, "--doctype, --claims, --issuer-key, --issuer-chain, "
                                            "--device-key and -o are required");
    if (!a->status_uri != !a->status_idx)
        return cli_usage_error(issue_usage, "--status-uri and --status-idx go together");
    return 0;
}

/* Times, status, digest and ages from the arguments into o. */
static int issue_options(const issue_args *a, mobid_mdoc_issue_opts *o, unsigned *ages,
                         char **birth)
{
    if ((a->valid_from && cli_parse_time(a->valid_from, &o->valid_from) != MOBID_OK) ||
        (a->valid_until && cli_parse_time(a->valid_until, &o->valid_until) != MOBID_OK) ||
        (a->signed_at && cli_parse_time(a->signed_at, &o->signed_at) != MOBID_OK))
        return CLI_EXIT_USAGE;
    if (a->status_idx) {
        char *end;
        o->status_idx = strtoull(a->status_idx, &end, 10);
        if (*end || a->status_idx[0] == '-')
            return cli_usage_error(issue_usage, "--status-idx must be a number");
        o->status_uri = a->status_uri;
    }
    if (a->digest) {
        o->digest_alg = !strcmp(a->digest, "sha256")   ? MOBID_HASH_SHA256
                        : !strcmp(a->digest, "sha384") ? MOBID_HASH_SHA384
                        : !strcmp(a->digest, "sha512") ? MOBID_HASH_SHA512
                                                       : 0;
        if (!o->digest_alg)
            return cli_usage_error(issue_usage, "unknown --digest %s", a->digest);
    }
    if (a->age_over && parse_ages(a->age_over, ages, &o->n_age_over) != MOBID_OK)
        return cli_usage_error(issue_usage, "--age-over takes numbers 1..99, e.g. 14,19");
    o->age_over = ages;
    o->age_ns = a->age_ns;
    if (a->birth) {
        char *slash;
        *birth = strdup(a->birth);
        slash = *birth ? strrchr(*birth, '/') : NULL;
        if (!slash || slash == *birth || !slash[1])
            return cli_usage_error(issue_usage, "--birth-date takes NS/ELEM");
        *slash = 0;
        o->birth_ns = *birth;
        o->birth_id = slash + 1;
    }
    return 0;
}

static int cmd_issue(int argc, char **argv)
{
    issue_args a;
    mobid_mdoc_issue_opts o;
    unsigned ages[MOBID_MDOC_MAX_AGES];
    char *birth = NULL;
    mobid_buf text, vals, out;
    json_t *claims = NULL;
    json_error_t jerr;
    mobid_mdoc_element *els = NULL;
    mobid_key *ik = NULL, *dk = NULL;
    mobid_cert **chain = NULL;
    size_t n_chain = 0, n_els = 0;
    mobid_err err;
    int rc = issue_parse(argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;
    memset(&o, 0, sizeof o);
    mobid_buf_init(&text, 0);
    mobid_buf_init(&vals, 0);
    mobid_buf_init(&out, 0);
    rc = issue_options(&a, &o, ages, &birth);
    if (rc)
        goto done;
    rc = CLI_EXIT_FAIL;
    if (cli_read_file(a.claims, &text) != MOBID_OK)
        goto done;
    claims = json_loadb((const char *)text.ptr, text.len, JSON_REJECT_DUPLICATES, &jerr);
    if (!claims || !json_is_object(claims)) {
        fprintf(stderr, "mobid mdoc: %s: not a JSON object of namespaces (%s)\n", a.claims,
                claims ? "" : jerr.text);
        goto done;
    }
    err = claims_to_elements(claims, &vals, &els, &n_els);
    if (err != MOBID_OK) {
        rc = mdoc_report(err, "claims");
        goto done;
    }
    if (cli_load_key(a.issuer_key, &ik) != MOBID_OK || cli_load_key(a.device_key, &dk) != MOBID_OK)
        goto done;
    mobid_buf_free(&text);
    if (cli_read_file(a.chain, &text) != MOBID_OK)
        goto done;
    err = mobid_cert_parse_all(mobid_buf_view(&text), &chain, &n_chain);
    if (err != MOBID_OK || n_chain == 0) {
        rc = mdoc_report(err ? err : MOBID_ERR_CERT_INVALID, a.chain);
        goto done;
    }
    o.doctype = a.doctype;
    o.elements = els;
    o.n_elements = n_els;
    o.issuer_key = ik;
    o.device_key = dk;
    o.chain = chain;
    o.n_chain = n_chain;
    err = mobid_mdoc_issue(&o, &out);
    if (err != MOBID_OK) {
        rc = mdoc_report(err, "issue");
        goto done;
    }
    rc = cli_write_file(a.out, mobid_buf_view(&out), 0644) == MOBID_OK ? CLI_EXIT_OK
                                                                        : CLI_EXIT_FAIL;
done:
    free(birth);
    free(els);
    json_decref(claims);
    mobid_cert_list_free(chain, n_chain);
    mobid_key_free(ik);
    mobid_key_free(dk);
    mobid_buf_free(&text);
    mobid_buf_free(&vals);
    mobid_buf_free(&out);
    return rc;
}

typedef struct transcript_args {
    int kind; /* 'o' oid4vp, 'a' dcapi, 'i' iso */
    const char *client_id, *nonce, *response_uri, *thumb, *origin, *out;
    const char *de, *erk, *sel, *req;
} transcript_args;

static int transcript_parse(int argc, char **argv, transcript_args *a)
{
    static const struct option opts[] = {
        { "oid4vp", 0, 0, 'O' },       { "dcapi", 0, 0, 'A' },          { "iso", 0, 0, 'S' },
        { "client-id", 1, 0, 'c' },    { "nonce", 1, 0, 'n' },          { "response-uri", 1, 0, 'r' },
        { "jwk-thumbprint", 1, 0, 't' }, { "origin", 1, 0, 'g' },       { "output", 1, 0, 'o' },
        { "device-engagement", 1, 0, 'd' }, { "e-reader-key", 1, 0, 'e' },
        { "handover-select", 1, 0, 's' }, { "handover-request", 1, 0, 'q' },
        { "help", 0, 0, 'h' },         { 0, 0, 0, 0 }
    };
    int ch;
    memset(a, 0, sizeof *a);
    a->out = "-";
    optind = 1;
    while ((ch = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'O': a->kind = 'o'; break;
        case 'A': a->kind = 'a'; break;
        case 'S': a->kind = 'i'; break;
        case 'c': a->client_id = optarg; break;
        case 'n': a->nonce = optarg; break;
        case 'r': a->response_uri = optarg; break;
        case 't': a->thumb = optarg; break;
        case 'g': a->origin = optarg; break;
        case 'o': a->out = optarg; break;
        case 'd': a->de = optarg; break;
        case 'e': a->erk = optarg; break;
        case 's': a->sel = optarg; break;
        case 'q': a->req = optarg; break;
        case 'h': fputs(transcript_usage, stdout); return -1;
        default: return cli_usage_error(transcript_usage, "bad option");
        }
    }
    if (optind != argc)
        return cli_usage_error(transcript_usage, "unexpected argument '%s'", argv[optind]);
    if ((a->kind == 'o' && (!a->client_id || !a->nonce || !a->response_uri)) ||
        (a->kind == 'a' && (!a->origin || !a->nonce)) || (a->kind == 'i' && (!a->de || !a->erk)) ||
        !a->kind)
        return cli_usage_error(transcript_usage, "missing options for the chosen handover");
    return 0;
}

static mobid_err transcript_iso(const transcript_args *a, mobid_buf *out)
{
    mobid_buf de, erk, sel, req;
    mobid_err err;
    mobid_buf_init(&sel, 0);
    mobid_buf_init(&req, 0);
    mobid_buf_init(&erk, 0);
    err = cli_read_binary_or_hex(a->de, &de);
    if (err == MOBID_OK)
        err = cli_read_binary_or_hex(a->erk, &erk);
    if (err == MOBID_OK && a->sel)
        err = cli_read_binary_or_hex(a->sel, &sel);
    if (err == MOBID_OK && a->req)
        err = cli_read_binary_or_hex(a->req, &req);
    if (err == MOBID_OK)
        err = mobid_mdoc_transcript_iso(
            mobid_buf_view(&de), mobid_buf_view(&erk),
            a->sel ? mobid_view_make(sel.ptr ? sel.ptr : (const uint8_t *)"", sel.len)
                   : mobid_view_make(NULL, 0),
            a->req ? mobid_view_make(req.ptr ? req.ptr : (const uint8_t *)"", req.len)
                   : mobid_view_make(NULL, 0),
            out);
    mobid_buf_free(&de);
    mobid_buf_free(&erk);
    mobid_buf_free(&sel);
    mobid_buf_free(&req);
    return err;
}

static int cmd_transcript(int argc, char **argv)
{
    transcript_args a;
    mobid_buf thumb, out;
    mobid_err err = MOBID_OK;
    int rc = transcript_parse(argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;
    mobid_buf_init(&thumb, 0);
    mobid_buf_init(&out, 0);
    if (a.thumb && mobid_b64url_decode(mobid_view_str(a.thumb), &thumb) != MOBID_OK) {
        mobid_buf_free(&thumb);
        return cli_usage_error(transcript_usage, "--jwk-thumbprint is not base64url");
    }
    if (a.kind == 'o')
        err = mobid_mdoc_transcript_oid4vp(a.client_id, a.nonce, mobid_buf_view(&thumb),
                                           a.response_uri, &out);
    else if (a.kind == 'a')
        err = mobid_mdoc_transcript_oid4vp_dcapi(a.origin, a.nonce, mobid_buf_view(&thumb), &out);
    else
        err = transcript_iso(&a, &out);
    if (err != MOBID_OK)
        rc = mdoc_report(err, "transcript");
    else
        rc = cli_write_file(a.out, mobid_buf_view(&out), 0644) == MOBID_OK ? CLI_EXIT_OK
                                                                            : CLI_EXIT_FAIL;
    mobid_buf_free(&thumb);
    mobid_buf_free(&out);
    return rc;
}

static int cmd_mdoc(int argc, char **argv)
{
    if (argc < 2) {
        fputs(mdoc_usage, stderr);
        return CLI_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(mdoc_usage, stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(argv[1], "issue"))
        return cmd_issue(argc - 1, argv + 1);
    if (!strcmp(argv[1], "transcript"))
        return cmd_transcript(argc - 1, argv + 1);
    if (!strcmp(argv[1], "present"))
        return mdoc_cmd_present(argc - 1, argv + 1);
    if (!strcmp(argv[1], "verify"))
        return mdoc_cmd_verify(argc - 1, argv + 1);
    return cli_usage_error(mdoc_usage, "unknown mdoc subcommand '%s'", argv[1]);
}

MOBID_CLI_COMMAND(mdoc, "mdoc", "ISO 18013-5 mdoc: issue, transcript, present, verify", cmd_mdoc)
