/*
 * mobid sdjwt: SD-JWT VC (dc+sd-jwt) issue, present and verify.
 *
 *   mobid sdjwt issue --vct V --claims CLAIMS.json --sd PATH[,PATH...] --issuer-key KEY
 *                     --issuer-chain CHAIN.pem --holder-key HOLDER_PUB
 *                     [--status-uri U --status-idx N] [--valid-until T] -o CRED.txt
 *   mobid sdjwt present --credential CRED.txt --holder-key HOLDER_KEY --reveal PATH[,...]
 *                     --nonce N --aud A -o PRES.txt
 *   mobid sdjwt verify (--trust CA.pem ... | --issuer-key ISSUER_PUB) [--nonce N --aud A]
 *                     [--require-kb] [--at T] [--json] PRES.txt       (cmd_sdjwt_verify.c)
 */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mobid/jose.h>
#include <mobid/sdjwt.h>

int cli_sdjwt_verify(int argc, char **argv);
int cli_sdjwt_type_metadata(int argc, char **argv);
mobid_err cli_sdjwt_read_text(const char *path, mobid_buf *out);

static const char issue_usage[] =
    "usage: mobid sdjwt issue --claims CLAIMS.json --issuer-key KEY [options]\n"
    "Issue an SD-JWT VC (typ dc+sd-jwt): <JWT>~<disclosure>~...~\n"
    "  --vct V               credential type (vct claim)\n"
    "  --claims FILE         user claims, a JSON object\n"
    "  --sd PATH[,PATH...]   claims to make selectively disclosable; repeatable.\n"
    "                        Paths: address/country, nationalities/0; '*' = every\n"
    "                        allowed claim at that level (iss, nbf, exp, cnf, vct,\n"
    "                        status, iat are never disclosable)\n"
    "  --issuer-key KEY      issuer private key (PEM or JWK)\n"
    "  --issuer-chain PEM    DS certificate chain for x5c, leaf first\n"
    "  --holder-key PUB      holder public key for cnf.jwk (PEM or JWK)\n"
    "  --status-uri U        status list URI; with --status-idx N\n"
    "  --valid-from T        nbf (RFC 3339)\n"
    "  --valid-until T       exp (RFC 3339)\n"
    "  --at T                iat (default: now)\n"
    "  --iss URI             iss (default: from the claims, else the certificate's URI)\n"
    "  --decoys N            decoy digests added to each _sd array (default 0)\n"
    "  --sd-alg A            sha-256 (default), sha-384 or sha-512\n"
    "  -o, --out FILE        output file (default: stdout)\n"
    "  --json                print {\"credential\":...,\"disclosures\":N} on stdout\n"
    "Exit: 0 issued, 1 failure ({\"valid\":false,\"error\":CODE} with --json), 2 usage.\n";

static const char present_usage[] =
    "usage: mobid sdjwt present --credential CRED.txt [options]\n"
    "Make a presentation: keep the disclosures of the revealed claims (a claim's\n"
    "parents come with it) and, with a holder key, append a KB-JWT.\n"
    "  --credential FILE     issued SD-JWT\n"
    "  --holder-key KEY      holder private key (PEM or JWK); omit for no KB-JWT\n"
    "  --reveal PATH[,...]   claims to disclose; repeatable ('*' wildcards)\n"
    "  --nonce N             KB-JWT nonce (required with --holder-key)\n"
    "  --aud A               KB-JWT audience (required with --holder-key)\n"
    "  --at T                KB-JWT iat (default: now)\n"
    "  -o, --out FILE        output file (default: stdout)\n"
    "  --json                print {\"presentation\":...} on stdout\n"
    "Exit: 0 done, 1 failure ({\"valid\":false,\"error\":CODE} with --json), 2 usage.\n";

static const char sdjwt_usage[] =
    "usage: mobid sdjwt issue|present|verify|type-metadata [options]\n"
    "SD-JWT VC (RFC 9901, dc+sd-jwt). Run 'mobid sdjwt <sub> --help' for options.\n";

/* Read a text file and drop trailing whitespace (files usually end with a newline). */
mobid_err cli_sdjwt_read_text(const char *path, mobid_buf *out)
{
    mobid_err err = cli_read_file(path, out);
    if (err != MOBID_OK)
        return err;
    while (out->len && (out->ptr[out->len - 1] == '\n' || out->ptr[out->len - 1] == '\r' ||
                        out->ptr[out->len - 1] == ' ' || out->ptr[out->len - 1] == '\t'))
        out->ptr[--out->len] = 0;
    return MOBID_OK;
}

/* Append comma-separated paths to a NULL-terminated list. */
static bool add_paths(char ***list, size_t *n, const char *arg)
{
    char **parts = cli_split_commas(arg);
    if (!parts)
        return false;
    size_t k = 0;
    while (parts[k])
        k++;
    char **grown = realloc(*list, (*n + k + 1) * sizeof **list);
    if (!grown) {
        cli_strv_free(parts);
        return false;
    }
    memcpy(grown + *n, parts, k * sizeof *parts);
    *n += k;
    grown[*n] = NULL;
    *list = grown;
    free(parts); /* the strings now belong to *list */
    return true;
}

/* Write the result (or JSON with it under key) and return the exit code. */
static int emit(const char *out, bool json, const char *key, const mobid_buf *text, size_t n)
{
    if (json) {
        json_t *o = json_pack("{ss#}", key, (const char *)text->ptr, (int)text->len);
        if (n != (size_t)-1)
            json_object_set_new(o, "disclosures", json_integer((json_int_t)n));
        cli_print_json(o);
        json_decref(o);
        if (!out || !strcmp(out, "-"))
            return CLI_EXIT_OK;
    }
    mobid_buf line;
    mobid_buf_init(&line, 0);
    mobid_buf_append_view(&line, mobid_buf_view(text));
    mobid_buf_append_byte(&line, '\n');
    mobid_err err =
        line.err ? line.err : cli_write_file(out ? out : "-", mobid_buf_view(&line), 0644);
    mobid_buf_free(&line);
    return err == MOBID_OK ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

typedef struct issue_args {
    const char *vct, *claims, *issuer_key, *chain, *holder_key, *status_uri, *out, *iss;
    const char *valid_from, *valid_until, *at, *sd_alg;
    long long status_idx;
    long decoys;
    char **sd;
    size_t n_sd;
    bool json;
} issue_args;

static int parse_issue(int argc, char **argv, issue_args *a)
{
    static const struct option opts[] = {
        { "vct", 1, NULL, 'V' },          { "claims", 1, NULL, 'c' },
        { "sd", 1, NULL, 's' },           { "issuer-key", 1, NULL, 'k' },
        { "issuer-chain", 1, NULL, 'C' }, { "holder-key", 1, NULL, 'H' },
        { "status-uri", 1, NULL, 'u' },   { "status-idx", 1, NULL, 'x' },
        { "valid-from", 1, NULL, 'f' },   { "valid-until", 1, NULL, 't' },
        { "at", 1, NULL, 'a' },           { "iss", 1, NULL, 'i' },
        { "decoys", 1, NULL, 'd' },       { "sd-alg", 1, NULL, 'A' },
        { "out", 1, NULL, 'o' },          { "json", 0, NULL, 'j' },
        { "help", 0, NULL, 'h' },         { NULL, 0, NULL, 0 }
    };
    memset(a, 0, sizeof *a);
    a->status_idx = -1;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
        switch (c) {
        case 'V': a->vct = optarg; break;
        case 'c': a->claims = optarg; break;
        case 's':
            if (!add_paths(&a->sd, &a->n_sd, optarg))
                return CLI_EXIT_FAIL;
            break;
        case 'k': a->issuer_key = optarg; break;
        case 'C': a->chain = optarg; break;
        case 'H': a->holder_key = optarg; break;
        case 'u': a->status_uri = optarg; break;
        case 'x': {
            char *end = NULL;
            a->status_idx = strtoll(optarg, &end, 10);
            if (!*optarg || *end || a->status_idx < 0)
                return cli_usage_error(issue_usage, "--status-idx needs a number >= 0");
            break;
        }
        case 'f': a->valid_from = optarg; break;
        case 't': a->valid_until = optarg; break;
        case 'a': a->at = optarg; break;
        case 'i': a->iss = optarg; break;
        case 'd': {
            char *end = NULL;
            a->decoys = strtol(optarg, &end, 10);
            if (!*optarg || *end)
                a->decoys = -1; /* refused below */
            break;
        }
        case 'A': a->sd_alg = optarg; break;
        case 'o': a->out = optarg; break;
        case 'j': a->json = true; break;
        case 'h': fputs(issue_usage, stdout); return CLI_EXIT_OK;
        default: return cli_usage_error(issue_usage, "bad option");
        }
    }
    if (optind != argc)
        return cli_usage_error(issue_usage, "unexpected argument '%s'", argv[optind]);
    if (!a->claims || !a->issuer_key)
        return cli_usage_error(issue_usage, "--claims and --issuer-key are required");
    if (a->status_uri && a->status_idx < 0)
        return cli_usage_error(issue_usage, "--status-uri needs --status-idx N (N >= 0)");
    if (a->decoys < 0 || a->decoys > 64)
        return cli_usage_error(issue_usage, "--decoys must be 0..64");
    return -1;
}

/* Fill the times of p from the arguments; false after printing a message. */
static bool issue_times(const issue_args *a, mobid_sdjwt_issue_params *p)
{
    return (!a->at || cli_parse_time(a->at, &p->iat) == MOBID_OK) &&
           (!a->valid_from || cli_parse_time(a->valid_from, &p->nbf) == MOBID_OK) &&
           (!a->valid_until || cli_parse_time(a->valid_until, &p->exp) == MOBID_OK);
}

static int run_issue(const issue_args *a)
{
    mobid_buf claims_text, chain_text, out;
    mobid_buf_init(&claims_text, 0);
    mobid_buf_init(&chain_text, 0);
    mobid_buf_init(&out, 0);
    json_t *claims = NULL;
    mobid_key *ik = NULL, *hk = NULL;
    mobid_cert **chain = NULL;
    size_t n_chain = 0;
    mobid_sdjwt_issue_params p = { 0 };
    int rc = CLI_EXIT_FAIL;
    mobid_err err = cli_read_file(a->claims, &claims_text);
    if (err == MOBID_OK && mobid_json_parse(mobid_buf_view(&claims_text), 0, &claims) != MOBID_OK) {
        rc = cli_fail(a->json, MOBID_ERR_MALFORMED, "--claims is not valid JSON");
        goto done;
    }
    if (err == MOBID_OK)
        err = cli_load_key(a->issuer_key, &ik);
    if (err == MOBID_OK && a->holder_key)
        err = cli_load_key(a->holder_key, &hk);
    if (err == MOBID_OK && a->chain && (err = cli_read_file(a->chain, &chain_text)) == MOBID_OK)
        err = mobid_cert_parse_all(mobid_buf_view(&chain_text), &chain, &n_chain);
    if (err == MOBID_OK && a->sd_alg && mobid_sdjwt_hash_from_name(a->sd_alg, &p.hash)) {
        rc = cli_usage_error(issue_usage, "unknown --sd-alg %s", a->sd_alg);
        goto done;
    }
    if (err != MOBID_OK || !issue_times(a, &p)) {
        rc = cli_fail(a->json, err ? err : MOBID_ERR_BAD_TIME, "cannot read the inputs");
        goto done;
    }
    p.claims = claims;
    p.sd_paths = (const char *const *)a->sd;
    p.vct = a->vct;
    p.iss = a->iss;
    p.holder_key = hk;
    p.status_uri = a->status_uri;
    p.status_idx = a->status_idx;
    p.issuer_key = ik;
    p.x5c = chain;
    p.x5c_len = n_chain;
    p.decoys = (unsigned)a->decoys;
    err = mobid_sdjwt_issue(&p, &out);
    if (err != MOBID_OK) {
        rc = cli_fail(a->json, err, err == MOBID_ERR_NOT_FOUND
                                        ? "an --sd path matches no claim"
                                        : err == MOBID_ERR_INVALID_ARG
                                              ? "a claim in --sd is never disclosable, or a bad key"
                                              : NULL);
        goto done;
    }
    size_t n = 0;
    for (size_t i = 0; i < out.len; i++)
        n += out.ptr[i] == '~';
    rc = emit(a->out, a->json, "credential", &out, n - 1);
done:
    json_decref(claims);
    mobid_key_free(ik);
    mobid_key_free(hk);
    mobid_cert_list_free(chain, n_chain);
    mobid_buf_free(&claims_text);
    mobid_buf_free(&chain_text);
    mobid_buf_free(&out);
    return rc;
}

static int cmd_issue(int argc, char **argv)
{
    issue_args a;
    int rc = parse_issue(argc, argv, &a);
    if (rc < 0)
        rc = run_issue(&a);
    cli_strv_free(a.sd);
    return rc;
}

typedef struct present_args {
    const char *credential, *holder_key, *nonce, *aud, *at, *out;
    char **reveal;
    size_t n_reveal;
    bool json;
} present_args;

static int parse_present(int argc, char **argv, present_args *a)
{
    static const struct option opts[] = {
        { "credential", 1, NULL, 'c' }, { "holder-key", 1, NULL, 'k' },
        { "reveal", 1, NULL, 'r' },     { "nonce", 1, NULL, 'n' },
        { "aud", 1, NULL, 'a' },        { "at", 1, NULL, 't' },
        { "out", 1, NULL, 'o' },        { "json", 0, NULL, 'j' },
        { "help", 0, NULL, 'h' },       { NULL, 0, NULL, 0 }
    };
    memset(a, 0, sizeof *a);
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
        switch (c) {
        case 'c': a->credential = optarg; break;
        case 'k': a->holder_key = optarg; break;
        case 'r':
            if (!add_paths(&a->reveal, &a->n_reveal, optarg))
                return CLI_EXIT_FAIL;
            break;
        case 'n': a->nonce = optarg; break;
        case 'a': a->aud = optarg; break;
        case 't': a->at = optarg; break;
        case 'o': a->out = optarg; break;
        case 'j': a->json = true; break;
        case 'h': fputs(present_usage, stdout); return CLI_EXIT_OK;
        default: return cli_usage_error(present_usage, "bad option");
        }
    }
    if (optind != argc)
        return cli_usage_error(present_usage, "unexpected argument '%s'", argv[optind]);
    if (!a->credential)
        return cli_usage_error(present_usage, "--credential is required");
    if (a->holder_key && (!a->nonce || !a->aud))
        return cli_usage_error(present_usage, "--holder-key needs --nonce and --aud");
    return -1;
}

static int run_present(const present_args *a)
{
    mobid_buf cred, out;
    mobid_buf_init(&cred, 0);
    mobid_buf_init(&out, 0);
    mobid_key *hk = NULL;
    mobid_sdjwt_present_params p = { 0 };
    int rc = CLI_EXIT_FAIL;
    mobid_err err = cli_sdjwt_read_text(a->credential, &cred);
    if (err == MOBID_OK && a->holder_key)
        err = cli_load_key(a->holder_key, &hk);
    if (err == MOBID_OK && a->at)
        err = cli_parse_time(a->at, &p.iat);
    if (err != MOBID_OK) {
        rc = cli_fail(a->json, err, "cannot read the inputs");
        goto done;
    }
    p.reveal = (const char *const *)a->reveal;
    p.holder_key = hk;
    p.nonce = a->nonce;
    p.aud = a->aud;
    err = mobid_sdjwt_present(mobid_buf_view(&cred), &p, &out);
    if (err != MOBID_OK)
        rc = cli_fail(a->json, err, err == MOBID_ERR_NOT_FOUND ? "a --reveal path matches no claim"
                                    : err == MOBID_ERR_KEY_INVALID
                                        ? "the holder key is not the credential's cnf.jwk"
                                        : NULL);
    else
        rc = emit(a->out, a->json, "presentation", &out, (size_t)-1);
done:
    mobid_key_free(hk);
    mobid_buf_free(&cred);
    mobid_buf_free(&out);
    return rc;
}

static int cmd_present(int argc, char **argv)
{
    present_args a;
    int rc = parse_present(argc, argv, &a);
    if (rc < 0)
        rc = run_present(&a);
    cli_strv_free(a.reveal);
    return rc;
}

static int cmd_sdjwt(int argc, char **argv)
{
    if (argc < 2) {
        fputs(sdjwt_usage, stderr);
        return CLI_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(sdjwt_usage, stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(argv[1], "issue"))
        return cmd_issue(argc - 1, argv + 1);
    if (!strcmp(argv[1], "present"))
        return cmd_present(argc - 1, argv + 1);
    if (!strcmp(argv[1], "verify"))
        return cli_sdjwt_verify(argc - 1, argv + 1);
    if (!strcmp(argv[1], "type-metadata"))
        return cli_sdjwt_type_metadata(argc - 1, argv + 1);
    return cli_usage_error(sdjwt_usage, "unknown sdjwt command '%s'", argv[1]);
}

MOBID_CLI_COMMAND(sdjwt, "sdjwt", "issue, present and verify SD-JWT VCs (dc+sd-jwt)", cmd_sdjwt)
