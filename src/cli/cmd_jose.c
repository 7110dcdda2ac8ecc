/*
 * mobid jws / mobid jwe: compact JWS and JWE (ECDH-ES + AES-GCM) from the shell.
 *
 *   mobid jws verify --key KEY [--alg LIST] [--json] FILE
 *   mobid jws sign --key KEY [--alg ALG] [--typ T] [--kid K] [--header JSON] [--out F] PAYLOAD
 *   mobid jwe encrypt --key PUB [--enc ENC] [--kid K] [--apu S] [--apv S] [--out F] PLAINTEXT
 *   mobid jwe decrypt --key PRIV [--json] [--out F] FILE
 */
#include "cli.h"
#include "cli_trust.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <mobid/jose.h>

static const char jws_usage[] =
    "usage: mobid jws verify (--key KEY | --cert CERT | --anchor CA) [options] FILE\n"
    "       mobid jws sign --key KEY [options] PAYLOAD\n"
    "Compact JWS (RFC 7515) with ES256, ES384, ES512 or EdDSA; files '-' = stdin.\n"
    "  --key KEY      verify: public key; sign: private key (PEM or JWK)\n"
    "  --cert CERT    verify: signer certificate (PEM, DER or hex DER)\n"
    "  --anchor CA    verify: trust anchor (PEM bundle, DER or hex DER), repeatable; the\n"
    "                 signer certificate (--cert, else the x5c header) must chain to one\n"
    "  --at RFC3339   verify: time for certificate validity (default: now)\n"
    "  --alg LIST     verify: allowed algorithms, e.g. ES256,EdDSA (default: the one\n"
    "                 that fits the key); sign: the algorithm (default: from the key)\n"
    "  --typ T        sign: \"typ\" header, e.g. dc+sd-jwt\n"
    "  --kid K        sign: \"kid\" header\n"
    "  --header JSON  sign: more header members as a JSON object (e.g. x5c)\n"
    "  --out FILE     sign: write the JWS to FILE (default: stdout)\n"
    "  --json         verify: print {\"valid\":true,\"alg\",\"header\",\"payload\"}\n"
    "Exit: 0 valid, 1 invalid ({\"valid\":false,\"error\":CODE} with --json), 2 usage.\n";

static const char jwe_usage[] =
    "usage: mobid jwe encrypt --key PUB [options] PLAINTEXT\n"
    "       mobid jwe decrypt --key PRIV [--json] [--out FILE] FILE\n"
    "Compact JWE with alg ECDH-ES (direct key agreement) and A128GCM or A256GCM,\n"
    "as OpenID4VP direct_post.jwt uses; files '-' = stdin.\n"
    "  --key KEY      recipient public key (encrypt) or private key (decrypt), PEM or JWK\n"
    "  --enc ENC      A128GCM or A256GCM (default A128GCM)\n"
    "  --kid K        \"kid\" header\n"
    "  --apu S        PartyUInfo (text, sent base64url)\n"
    "  --apv S        PartyVInfo (text, sent base64url)\n"
    "  --out FILE     write the result to FILE (default: stdout)\n"
    "  --json         decrypt: print {\"valid\":true,\"header\",\"plaintext\"}\n"
    "Exit: 0 success, 1 failure ({\"valid\":false,\"error\":CODE} with --json), 2 usage.\n";

#define MAX_ANCHORS 8

typedef struct jose_opts {
    const char *key, *alg, *typ, *kid, *header, *out, *enc, *apu, *apv, *file, *cert, *at;
    const char *anchors[MAX_ANCHORS];
    size_t n_anchors;
    bool json, help;
} jose_opts;

static int parse_args(int argc, char **argv, const char *usage, jose_opts *o)
{
    static const struct option opts[] = {
        { "key", required_argument, NULL, 'k' },    { "alg", required_argument, NULL, 'a' },
        { "typ", required_argument, NULL, 't' },    { "kid", required_argument, NULL, 'i' },
        { "header", required_argument, NULL, 'H' }, { "out", required_argument, NULL, 'o' },
        { "enc", required_argument, NULL, 'e' },    { "apu", required_argument, NULL, 'u' },
        { "apv", required_argument, NULL, 'v' },    { "json", no_argument, NULL, 'j' },
        { "cert", required_argument, NULL, 'c' },   { "anchor", required_argument, NULL, 'A' },
        { "at", required_argument, NULL, 'T' },     { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    int c;
    memset(o, 0, sizeof *o);
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'k': o->key = optarg; break;
        case 'a': o->alg = optarg; break;
        case 't': o->typ = optarg; break;
        case 'i': o->kid = optarg; break;
        case 'H': o->header = optarg; break;
        case 'o': o->out = optarg; break;
        case 'e': o->enc = optarg; break;
        case 'u': o->apu = optarg; break;
        case 'v': o->apv = optarg; break;
        case 'j': o->json = true; break;
        case 'c': o->cert = optarg; break;
        case 'T': o->at = optarg; break;
        case 'A':
            if (o->n_anchors == MAX_ANCHORS)
                return cli_usage_error(usage, "at most %d --anchor", MAX_ANCHORS);
            o->anchors[o->n_anchors++] = optarg;
            break;
        case 'h': o->help = true; fputs(usage, stdout); return CLI_EXIT_OK;
        default: return cli_usage_error(usage, "bad option");
        }
    }
    if (optind + 1 != argc)
        return cli_usage_error(usage, "exactly one input FILE is needed");
    o->file = argv[optind];
    return -1;
}

/* The algorithm that fits a key's curve (ES256 for P-256, ...). */
static mobid_alg alg_for_key(const mobid_key *k)
{
    static const mobid_alg all[] = { MOBID_ALG_ES256, MOBID_ALG_ES384, MOBID_ALG_ES512,
                                     MOBID_ALG_EDDSA };
    for (size_t i = 0; i < 4; i++)
        if (mobid_alg_curve(all[i]) == mobid_key_curve(k))
            return all[i];
    return MOBID_ALG_NONE;
}

/* "ES256,EdDSA" -> MOBID_ALG_NONE-terminated list; false on an unknown name. */
static bool parse_alg_list(const char *s, mobid_alg out[5])
{
    char **names = cli_split_commas(s);
    size_t n = 0;
    bool ok = names && names[0];
    for (char **p = names; ok && *p; p++) {
        ok = n < 4 && (out[n] = mobid_jose_alg_from_name(*p)) != MOBID_ALG_NONE;
        n++;
    }
    out[ok ? n : 0] = MOBID_ALG_NONE;
    cli_strv_free(names);
    return ok;
}

/* Trailing newlines from `echo` or editors are not part of a compact token. */
static mobid_view trim(mobid_view v)
{
    while (v.len && strchr(" \t\r\n", v.ptr[v.len - 1]))
        v.len--;
    return v;
}

static json_t *payload_json(mobid_view payload)
{
    json_t *j = NULL;
    if (mobid_json_parse(payload, 0, &j) == MOBID_OK)
        return j;
    char *s = mobid_view_strdup(payload);
    j = s ? json_string(s) : NULL; /* NULL (not valid UTF-8 text) leaves it out */
    free(s);
    return j;
}

/* --cert as a one-element chain. */
static mobid_err load_cert_chain(const char *path, mobid_cert ***chain, size_t *n)
{
    mobid_buf der;
    mobid_err err = cli_read_binary_or_hex(path, &der);
    if (err != MOBID_OK)
        return err;
    *chain = mobid_calloc(1, sizeof **chain);
    err = *chain ? mobid_cert_parse(mobid_buf_view(&der), &(*chain)[0]) : MOBID_ERR_NOMEM;
    *n = err == MOBID_OK ? 1 : 0;
    if (err != MOBID_OK) {
        mobid_free(*chain);
        *chain = NULL;
    }
    mobid_buf_free(&der);
    return err;
}

/* The chain must lead to one of the --anchor certificates at --at (default now). */
static mobid_err check_chain(const jose_opts *o, mobid_cert **chain, size_t n)
{
    mobid_trust *trust = NULL;
    mobid_time at = mobid_now();
    mobid_err err = o->at ? cli_parse_time(o->at, &at) : MOBID_OK;
    if (err == MOBID_OK)
        err = cli_trust_anchors(o->anchors, o->n_anchors, "jws", &trust);
    if (err == MOBID_OK)
        err = mobid_trust_verify_chain(trust, chain, n, at, MOBID_PURPOSE_ANY);
    mobid_trust_free(trust);
    return err;
}

/* The verification key: --key, or the public key of --cert or of the x5c leaf, after
 * the chain check when anchors are given. */
static mobid_err verification_key(const jose_opts *o, const mobid_jws *jws, mobid_key **key)
{
    mobid_cert **chain = NULL;
    size_t n = 0;
    if (o->key)
        return cli_load_key(o->key, key);
    mobid_err err = o->cert ? load_cert_chain(o->cert, &chain, &n)
                            : mobid_jose_header_x5c(jws->header, &chain, &n);
    if (err == MOBID_OK && o->n_anchors)
        err = check_chain(o, chain, n);
    if (err == MOBID_OK)
        err = mobid_cert_public_key(chain[0], key);
    mobid_cert_list_free(chain, n);
    return err;
}

static void print_valid(const jose_opts *o, const mobid_jws *jws)
{
    if (!o->json) {
        fprintf(stderr, "mobid: JWS valid (%s)\n", mobid_jose_alg_name(jws->alg));
        return;
    }
    json_t *r = json_pack("{s:b,s:s,s:O}", "valid", 1, "alg", mobid_jose_alg_name(jws->alg),
                          "header", jws->header);
    json_object_set_new(r, "payload", payload_json(mobid_buf_view(&jws->payload)));
    cli_print_json(r);
    json_decref(r);
}

static int jws_verify(const jose_opts *o)
{
    mobid_key *key = NULL;
    mobid_buf in;
    mobid_jws jws = { 0 };
    mobid_alg algs[5] = { MOBID_ALG_NONE };
    if (o->key && (o->cert || o->n_anchors))
        return cli_usage_error(jws_usage, "--key excludes --cert and --anchor");
    if (!o->key && !o->cert && !o->n_anchors)
        return cli_usage_error(jws_usage, "--key, --cert or --anchor (for the x5c leaf) is needed");
    if (o->alg && !parse_alg_list(o->alg, algs))
        return cli_usage_error(jws_usage, "--alg: ES256, ES384, ES512 or EdDSA");
    mobid_err err = cli_read_file(o->file, &in);
    if (err != MOBID_OK)
        return cli_fail(o->json, err, "cannot read the JWS");
    err = mobid_jws_parse(trim(mobid_buf_view(&in)), &jws);
    if (err == MOBID_OK)
        err = verification_key(o, &jws, &key);
    if (err == MOBID_OK && !o->alg)
        algs[0] = alg_for_key(key); /* the one algorithm that fits the key */
    if (err == MOBID_OK)
        err = mobid_jws_verify(&jws, key, algs);
    int rc = err == MOBID_OK ? CLI_EXIT_OK : cli_fail(o->json, err, NULL);
    if (err == MOBID_OK)
        print_valid(o, &jws);
    mobid_jws_clear(&jws);
    mobid_buf_free(&in);
    mobid_key_free(key);
    return rc;
}

/* {"typ":..,"kid":..} plus the members of --header. */
static mobid_err sign_header(const jose_opts *o, json_t **out)
{
    json_t *h = NULL;
    mobid_err err = MOBID_OK;
    if (o->header)
        err = mobid_json_parse(mobid_view_str(o->header), 0, &h);
    else
        h = json_object();
    if (err == MOBID_OK && !json_is_object(h))
        err = MOBID_ERR_MALFORMED;
    if (err == MOBID_OK && o->typ)
        json_object_set_new(h, "typ", json_string(o->typ));
    if (err == MOBID_OK && o->kid)
        json_object_set_new(h, "kid", json_string(o->kid));
    if (err != MOBID_OK) {
        json_decref(h);
        h = NULL;
    }
    *out = h;
    return err;
}

static int write_result(const jose_opts *o, mobid_buf *out)
{
    mobid_buf_append_byte(out, '\n');
    if (out->err != MOBID_OK)
        return cli_fail(false, out->err, NULL);
    return cli_write_file(o->out ? o->out : "-", mobid_buf_view(out), 0644) == MOBID_OK
               ? CLI_EXIT_OK
               : CLI_EXIT_FAIL;
}

static int jws_sign(const jose_opts *o)
{
    mobid_key *key = NULL;
    json_t *hdr = NULL;
    mobid_buf payload, out;
    mobid_buf_init(&out, 0);
    if (!o->key)
        return cli_usage_error(jws_usage, "--key is required");
    mobid_err kerr = cli_load_key(o->key, &key);
    if (kerr != MOBID_OK)
        return cli_fail(false, kerr, "the --key file is not a usable key");
    mobid_alg alg = o->alg ? mobid_jose_alg_from_name(o->alg) : alg_for_key(key);
    if (alg == MOBID_ALG_NONE || sign_header(o, &hdr) != MOBID_OK) {
        mobid_key_free(key);
        return cli_usage_error(jws_usage, "bad --alg or --header (a JSON object)");
    }
    int rc = CLI_EXIT_FAIL;
    mobid_err err = cli_read_file(o->file, &payload);
    if (err == MOBID_OK) {
        err = mobid_jws_sign(key, alg, hdr, mobid_buf_view(&payload), &out);
        mobid_buf_free(&payload);
    }
    rc = err == MOBID_OK ? write_result(o, &out) : cli_fail(false, err, NULL);
    mobid_buf_free(&out);
    json_decref(hdr);
    mobid_key_free(key);
    return rc;
}

static int cmd_jws(int argc, char **argv)
{
    jose_opts o;
    bool verify = argc >= 2 && !strcmp(argv[1], "verify");
    if (verify || (argc >= 2 && !strcmp(argv[1], "sign"))) {
        int rc = parse_args(argc - 1, argv + 1, jws_usage, &o);
        if (rc >= 0)
            return rc;
        return verify ? jws_verify(&o) : jws_sign(&o);
    }
    bool help = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
    fputs(jws_usage, help ? stdout : stderr);
    return help ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}

static int jwe_encrypt(const jose_opts *o)
{
    mobid_key *key = NULL;
    mobid_buf pt, out;
    mobid_jwe_params p = { 0 };
    p.enc = mobid_jwe_enc_from_name(o->enc ? o->enc : "A128GCM");
    if (p.enc == MOBID_JWE_ENC_NONE)
        return cli_usage_error(jwe_usage, "--enc must be A128GCM or A256GCM");
    p.kid = o->kid;
    p.apu = mobid_view_str(o->apu);
    p.apv = mobid_view_str(o->apv);
    if (!o->key)
        return cli_usage_error(jwe_usage, "--key is required");
    mobid_err kerr = cli_load_key(o->key, &key);
    if (kerr != MOBID_OK)
        return cli_fail(false, kerr, "the --key file is not a usable key");
    mobid_buf_init(&out, 0);
    mobid_err err = cli_read_file(o->file, &pt);
    if (err == MOBID_OK) {
        err = mobid_jwe_encrypt(key, &p, mobid_buf_view(&pt), &out);
        mobid_buf_free(&pt);
    }
    int rc = err == MOBID_OK ? write_result(o, &out) : cli_fail(false, err, NULL);
    mobid_buf_free(&out);
    mobid_key_free(key);
    return rc;
}

static int jwe_decrypt(const jose_opts *o)
{
    mobid_key *key = NULL;
    json_t *hdr = NULL;
    mobid_buf in, pt;
    int rc = CLI_EXIT_FAIL;
    if (!o->key)
        return cli_usage_error(jwe_usage, "--key is required");
    mobid_err kerr = cli_load_key(o->key, &key);
    if (kerr != MOBID_OK)
        return cli_fail(o->json, kerr, "the --key file is not a usable key");
    mobid_buf_init(&pt, 0);
    mobid_err err = cli_read_file(o->file, &in);
    if (err == MOBID_OK) {
        err = mobid_jwe_decrypt(trim(mobid_buf_view(&in)), key, &hdr, &pt);
        mobid_buf_free(&in);
    }
    if (err != MOBID_OK) {
        rc = cli_fail(o->json, err, NULL);
    } else if (o->json && !o->out) {
        json_t *r = json_pack("{s:b,s:O}", "valid", 1, "header", hdr);
        json_object_set_new(r, "plaintext", payload_json(mobid_buf_view(&pt)));
        cli_print_json(r);
        json_decref(r);
        rc = CLI_EXIT_OK;
    } else {
        rc = cli_write_file(o->out ? o->out : "-", mobid_buf_view(&pt), 0600) == MOBID_OK
                 ? CLI_EXIT_OK
                 : CLI_EXIT_FAIL;
    }
    json_decref(hdr);
    mobid_buf_free(&pt);
    mobid_key_free(key);
    return rc;
}

static int cmd_jwe(int argc, char **argv)
{
    jose_opts o;
    bool enc = argc >= 2 && !strcmp(argv[1], "encrypt");
    if (enc || (argc >= 2 && !strcmp(argv[1], "decrypt"))) {
        int rc = parse_args(argc - 1, argv + 1, jwe_usage, &o);
        if (rc >= 0)
            return rc;
        return enc ? jwe_encrypt(&o) : jwe_decrypt(&o);
    }
    bool help = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
    fputs(jwe_usage, help ? stdout : stderr);
    return help ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}

MOBID_CLI_COMMAND(jws, "jws", "sign and verify compact JWS (ES256/384/512, EdDSA)", cmd_jws)
MOBID_CLI_COMMAND(jwe, "jwe", "encrypt and decrypt compact JWE (ECDH-ES, AES-GCM)", cmd_jwe)
