/*
 * `mobid issuer fetch`: redeem a credential offer the way a wallet does, through
 * lib/wallet's mobid_wallet_fetch (the same OpenID4VCI client the holder's wallet
 * uses: token with tx_code, nonce, one batch credential request per offered
 * configuration with fresh P-256 device keys), but with the keys handed out. Writes
 * into DIR: <config>_<i>.cred (SD-JWT text, or the base64url IssuerSigned for mdoc)
 * and the device keys <config>_<i>.key.jwk. A test and operator tool.
 */
#include "cli.h"
#include "cmd_issuer.h"
#include "cmd_wallet.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mobid/jose.h>
#include <mobid/oid4vci.h>

#define FETCH_MAX_IDS 8

static const char FETCH_USAGE[] =
    "usage: mobid issuer fetch --offer URI --tx-code CODE --out DIR [--batch N]\n"
    "                          [--config-id ID]... [--trust ROOTS.pem]\n";

static mobid_err write_text(const char *dir, const char *name, const char *text, unsigned mode)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return cli_write_file(path, mobid_view_str(text), mode);
}

/* DIR/<config>_<i>.cred and .key.jwk for every credential; *summary {config: count}. */
static mobid_err write_all(const char *dir, const json_t *got, json_t *summary)
{
    size_t i, k;
    const json_t *e, *c;
    mobid_err err = MOBID_OK;

    json_array_foreach (got, i, e) {
        const char *cfg = json_string_value(json_object_get(e, "config"));
        const json_t *creds = json_object_get(e, "credentials");
        json_array_foreach (creds, k, c) {
            char name[256], *jwk = json_dumps(json_object_get(c, "device_key"), JSON_COMPACT);
            snprintf(name, sizeof name, "%s_%zu.cred", cfg, k);
            if (!err)
                err = write_text(dir, name, json_string_value(json_object_get(c, "credential")),
                                 0644);
            snprintf(name, sizeof name, "%s_%zu.key.jwk", cfg, k);
            if (!err)
                err = jwk ? write_text(dir, name, jwk, 0600) : MOBID_ERR_NOMEM;
            if (jwk)
                mobid_wipe(jwk, strlen(jwk));
            free(jwk);
        }
        json_object_set_new(summary, cfg, json_integer((json_int_t)json_array_size(creds)));
    }
    return err;
}

int cmd_issuer_fetch(int argc, char **argv)
{
    static const struct option opts[] = { { "offer", required_argument, 0, 'o' },
                                          { "tx-code", required_argument, 0, 't' },
                                          { "out", required_argument, 0, 'd' },
                                          { "batch", required_argument, 0, 'b' },
                                          { "config-id", required_argument, 0, 'c' },
                                          { "trust", required_argument, 0, 'T' },
                                          { "help", no_argument, 0, 'h' },
                                          { 0, 0, 0, 0 } };
    const char *uri = NULL, *out = NULL, *trust = NULL, *only[FETCH_MAX_IDS + 1] = { NULL };
    cli_wallet_host host = { .yes = true };
    mobid_wallet_fetch_opts fo = { .batch = 1 };
    mobid_buf roots = { 0 };
    json_t *got = NULL, *summary = json_object();
    char detail[256] = "";
    size_t nonly = 0;
    int c, rc = CLI_EXIT_USAGE;
    long batch = 1;
    mobid_err err;

    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'o': uri = optarg; break;
        case 't': host.tx_code = optarg; break;
        case 'd': out = optarg; break;
        case 'b': batch = atol(optarg); break;
        case 'c': if (nonly < FETCH_MAX_IDS) only[nonly++] = optarg; break;
        case 'T': trust = optarg; break;
        case 'h': fputs(FETCH_USAGE, stdout); rc = CLI_EXIT_OK; goto done;
        default: fputs(FETCH_USAGE, stderr); goto done;
        }
    }
    if (!uri || !out || batch < 1 || batch > MOBID_OID4VCI_MAX_PROOFS || optind != argc) {
        rc = cli_usage_error(FETCH_USAGE, "--offer and --out are required; --batch 1..%d",
                             MOBID_OID4VCI_MAX_PROOFS);
        goto done;
    }
    fo.batch = (size_t)batch;
    fo.config_ids = nonly ? only : NULL;
    if (trust && (err = cli_read_file(trust, &roots))) {
        rc = cli_fail(true, err, "cannot read --trust");
        goto done;
    }
    fo.issuer_roots_pem = trust ? (const char *)roots.ptr : NULL;
    mobid_wallet_io io = cli_wallet_io(&host);
    err = mobid_wallet_fetch(&io, uri, &fo, &got, detail, sizeof detail);
    if (!err)
        err = write_all(out, got, summary);
    if (err) {
        rc = cli_fail(true, err, detail[0] ? detail : "fetch failed");
        goto done;
    }
    cli_print_json(summary);
    rc = CLI_EXIT_OK;
done:
    cli_wallet_host_free(&host);
    mobid_buf_free(&roots);
    json_decref(got);
    json_decref(summary);
    return rc;
}

/* `mobid issuer proof`: one jwt key proof for tests and manual runs. --sign-key signs
 * with another key than the one named in the header (a forged proof). */
int cmd_issuer_proof(int argc, char **argv)
{
    static const struct option opts[] = { { "key", required_argument, 0, 'k' },
                                          { "sign-key", required_argument, 0, 's' },
                                          { "aud", required_argument, 0, 'a' },
                                          { "nonce", required_argument, 0, 'n' },
                                          { "iat", required_argument, 0, 'i' },
                                          { "help", no_argument, 0, 'h' },
                                          { 0, 0, 0, 0 } };
    const char *kf = NULL, *sf = NULL, *aud = NULL, *nonce = NULL;
    long long iat = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'k': kf = optarg; break;
        case 's': sf = optarg; break;
        case 'a': aud = optarg; break;
        case 'n': nonce = optarg; break;
        case 'i': iat = atoll(optarg); break;
        case 'h': printf("usage: mobid issuer proof --key HOLDER --aud ISSUER --nonce N"
                         " [--sign-key OTHER] [--iat EPOCH]\n");
                  return CLI_EXIT_OK;
        default: return CLI_EXIT_USAGE;
        }
    }
    if (!kf || !aud || !nonce || optind != argc) {
        fprintf(stderr, "usage: mobid issuer proof --key HOLDER --aud ISSUER --nonce N\n");
        return CLI_EXIT_USAGE;
    }
    mobid_key *k = NULL, *sk = NULL;
    json_t *jwk = NULL, *hdr = NULL, *pl = NULL;
    mobid_buf out = { 0 }, body = { 0 };
    mobid_err err = cli_load_key(kf, &k);
    if (err == MOBID_OK && sf) err = cli_load_key(sf, &sk);
    if (err == MOBID_OK) err = mobid_jwk_from_key(k, false, &jwk);
    if (err == MOBID_OK) {
        hdr = json_pack("{s:s,s:O}", "typ", MOBID_OID4VCI_PROOF_TYP, "jwk", jwk);
        pl = json_pack("{s:s,s:I,s:s}", "aud", aud, "iat",
                       (json_int_t)(iat ? iat : mobid_now()), "nonce", nonce);
        err = hdr && pl ? mobid_json_dump(pl, false, &body) : MOBID_ERR_NOMEM;
    }
    if (err == MOBID_OK)
        err = mobid_jws_sign(sk ? sk : k, MOBID_ALG_ES256, hdr, mobid_buf_view(&body), &out);
    if (err == MOBID_OK)
        printf("%.*s\n", (int)out.len, (const char *)out.ptr);
    mobid_key_free(k);
    mobid_key_free(sk);
    json_decref(jwk);
    json_decref(hdr);
    json_decref(pl);
    mobid_buf_free(&out);
    mobid_buf_free(&body);
    return err == MOBID_OK ? CLI_EXIT_OK : cli_fail(false, err, "cannot build the proof");
}
