/* mobid sdjwt verify: check an SD-JWT VC presentation and print the disclosed claims. */
#include "cli.h"

#include "cli_trust.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mobid/jose.h>
#include <mobid/sdjwt.h>

int cli_sdjwt_verify(int argc, char **argv);
mobid_err cli_sdjwt_read_text(const char *path, mobid_buf *out);

static const char verify_usage[] =
    "usage: mobid sdjwt verify (--trust CA.pem ... | --trust-issuer URL ... | --issuer-key PUB)\n"
    "                          [options] PRES.txt\n"
    "Verify an SD-JWT VC presentation ('-' = stdin) and print its claims.\n"
    "  --trust CA.pem        trust anchor(s) for the x5c chain (PEM bundle); repeatable\n"
    "  --trust-issuer URL    trust this issuer identifier: its keys come from\n"
    "                        URL's /.well-known/jwt-vc-issuer (fetched); repeatable\n"
    "  --issuer-key PUB      issuer public key (PEM or JWK) instead of x5c + anchors\n"
    "  --nonce N             expected KB-JWT nonce\n"
    "  --aud A               expected KB-JWT audience\n"
    "  --require-kb          fail with KB_MISSING unless a KB-JWT is present\n"
    "  --at T                verification time (RFC 3339; default: now)\n"
    "  --skew S              clock skew tolerated for iat/nbf/exp, seconds (default 60)\n"
    "  --kb-max-age S        oldest KB-JWT iat accepted, seconds (default 300)\n"
    "  --alg LIST            allowed algorithms (default ES256,ES384,ES512,EdDSA)\n"
    "  --any-typ             do not require typ dc+sd-jwt (plain SD-JWT)\n"
    "  --json                print {\"valid\":true,\"claims\":{...}} on stdout\n"
    "Exit: 0 valid, 1 invalid ({\"valid\":false,\"error\":CODE,\"detail\":...}), 2 usage.\n";

typedef struct verify_args {
    cli_trust trust;
    const char *issuer_key, *nonce, *aud, *at, *file, *algs;
    long skew, kb_max_age;
    bool require_kb, json, any_typ;
} verify_args;

static int parse_verify(int argc, char **argv, verify_args *a)
{
    static const struct option opts[] = {
        CLI_TRUST_OPTIONS,              { "issuer-key", 1, NULL, 'k' },
        { "nonce", 1, NULL, 'n' },      { "aud", 1, NULL, 'a' },
        { "require-kb", 0, NULL, 'r' }, { "at", 1, NULL, 't' },
        { "skew", 1, NULL, 's' },       { "kb-max-age", 1, NULL, 'm' },
        { "alg", 1, NULL, 'A' },        { "any-typ", 0, NULL, 'y' },
        { "json", 0, NULL, 'j' },       { "help", 0, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    memset(a, 0, sizeof *a);
    a->skew = -1;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        int took = cli_trust_option(&a->trust, c, optarg);
        if (took < 0)
            return CLI_EXIT_USAGE;
        if (took)
            continue;
        switch (c) {
        case 'k': a->issuer_key = optarg; break;
        case 'n': a->nonce = optarg; break;
        case 'a': a->aud = optarg; break;
        case 'r': a->require_kb = true; break;
        case 't': a->at = optarg; break;
        case 's': a->skew = atol(optarg); break;
        case 'm': a->kb_max_age = atol(optarg); break;
        case 'A': a->algs = optarg; break;
        case 'y': a->any_typ = true; break;
        case 'j': a->json = true; break;
        case 'h': fputs(verify_usage, stdout); return CLI_EXIT_OK;
        default: return cli_usage_error(verify_usage, "bad option");
        }
    }
    if (optind + 1 != argc)
        return cli_usage_error(verify_usage, "exactly one presentation file is required");
    a->file = argv[optind];
    if (cli_trust_given(&a->trust) == !!a->issuer_key)
        return cli_usage_error(verify_usage, "give either --trust/--trust-issuer or --issuer-key");
    return -1;
}

/* "ES256,EdDSA" -> MOBID_ALG_NONE-terminated list; false on an unknown name. */
static bool parse_algs(const char *s, mobid_alg out[5])
{
    char **names = cli_split_commas(s);
    size_t n = 0;
    bool ok = names && names[0];
    for (char **p = names; ok && *p; p++) {
        ok = n < 4 && (out[n++] = mobid_jose_alg_from_name(*p)) != MOBID_ALG_NONE;
    }
    out[ok ? n : 0] = MOBID_ALG_NONE;
    cli_strv_free(names);
    return ok;
}

static void print_valid(const verify_args *a, const mobid_sdjwt_result *res)
{
    json_t *o = json_pack("{sbsOsb}", "valid", 1, "claims", res->claims, "key_bound",
                          res->key_bound);
    if (a->json)
        cli_print_json(o);
    else {
        fprintf(stderr, "mobid: SD-JWT VC valid%s\n", res->key_bound ? ", key bound" : "");
        cli_print_json(res->claims);
    }
    json_decref(o);
}

static int run_verify(const verify_args *a)
{
    mobid_buf pres;
    mobid_buf_init(&pres, 0);
    mobid_trust *trust = NULL;
    mobid_sdjwt_issuer_cache *issuers = NULL;
    mobid_key *ik = NULL;
    mobid_alg algs[5];
    mobid_sdjwt_verify_opts o = { .skew = a->skew, .require_kb = a->require_kb,
                                  .nonce = a->nonce, .aud = a->aud,
                                  .kb_max_age = a->kb_max_age, .typ = a->any_typ ? "" : NULL };
    mobid_sdjwt_result res;
    memset(&res, 0, sizeof res);
    int rc = CLI_EXIT_FAIL;
    if (a->algs && !parse_algs(a->algs, algs)) {
        rc = cli_usage_error(verify_usage, "unknown algorithm in --alg %s", a->algs);
        goto done;
    }
    o.algs = a->algs ? algs : NULL;
    mobid_err err = cli_sdjwt_read_text(a->file, &pres);
    if (err == MOBID_OK && a->at)
        err = cli_parse_time(a->at, &o.now);
    if (err == MOBID_OK && a->issuer_key)
        err = cli_load_key(a->issuer_key, &ik);
    if (err == MOBID_OK && cli_trust_given(&a->trust))
        err = cli_trust_load(&a->trust, "sdjwt", o.now, &trust, NULL, 0);
    if (err == MOBID_OK && a->trust.n_issuers)
        err = cli_issuer_cache(&issuers);
    if (err != MOBID_OK) {
        rc = cli_fail(a->json, err, "cannot read the inputs");
        goto done;
    }
    o.issuer_key = ik;
    o.trust = trust;
    o.issuers = issuers;
    err = mobid_sdjwt_verify(mobid_buf_view(&pres), &o, &res);
    if (err != MOBID_OK) {
        rc = cli_fail(a->json, err, res.detail[0] ? res.detail : NULL);
        goto done;
    }
    print_valid(a, &res);
    rc = CLI_EXIT_OK;
done:
    mobid_sdjwt_result_clear(&res);
    mobid_sdjwt_issuer_cache_free(issuers);
    mobid_trust_free(trust);
    mobid_key_free(ik);
    mobid_buf_free(&pres);
    return rc;
}

int cli_sdjwt_verify(int argc, char **argv)
{
    verify_args a;
    int rc = parse_verify(argc, argv, &a);
    if (rc < 0)
        rc = run_verify(&a);
    cli_trust_clear(&a.trust);
    return rc;
}
