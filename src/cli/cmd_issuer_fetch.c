/*
 * `mobid issuer fetch`: redeem a credential offer the way a wallet does (OpenID4VCI
 * pre-authorized code flow): token with tx_code, one c_nonce, one batch credential
 * request per offered configuration with N fresh P-256 holder keys. Writes into DIR:
 * <config>_<i>.cred (SD-JWT text, or the base64url IssuerSigned for mdoc), the
 * holder keys <config>_<i>.key.jwk, and summary.json. A test and demo tool.
 */
#include "cli.h"
#include "cmd_issuer.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mobid/jose.h>
#include <mobid/oid4vci.h>

#include "http/client.h"

#define FETCH_MAX_IDS 8

typedef struct fetch {
    mobid_http_client *http;
    const char *issuer, *out;
    char *token, *nonce;
    unsigned batch;
    json_t *summary;
} fetch;

static mobid_err post_json_ok(fetch *f, const char *path, const char *const *hdr, const json_t *req,
                              const char *const *form, json_t **resp, long *status)
{
    char url[1024];
    mobid_http_result r = { 0 };
    snprintf(url, sizeof url, "%s%s", f->issuer, path);
    mobid_err err = form ? mobid_http_client_post_form(f->http, url, hdr, form, &r)
                  : req  ? mobid_http_client_post_json(f->http, url, hdr, req, &r)
                         : mobid_http_client_request(f->http, "POST", url, hdr, NULL,
                                                     mobid_view_make(NULL, 0), &r);
    *status = r.status;
    if (err == MOBID_OK)
        err = mobid_http_result_json(&r, resp);
    if (err == MOBID_OK && r.status != 200) {
        char *t = json_dumps(*resp, JSON_COMPACT);
        fprintf(stderr, "fetch: %s -> %ld %s\n", path, r.status, t ? t : "");
        printf("{\"valid\":false,\"step\":\"%s\",\"status\":%ld,\"response\":%s}\n", path,
               r.status, t ? t : "null");
        free(t);
        err = MOBID_ERR_FETCH_FAILED;
    }
    mobid_http_result_free(&r);
    return err;
}

static mobid_err get_offer(fetch *f, const char *uri, json_t **offer)
{
    char *ref = NULL;
    mobid_http_result r = { 0 };
    mobid_err err = mobid_oid4vci_offer_uri_parse(mobid_view_str(uri), offer, &ref);
    if (err == MOBID_OK && ref) {
        err = mobid_http_client_get(f->http, ref, NULL, &r);
        if (err == MOBID_OK && r.status != 200)
            err = MOBID_ERR_FETCH_FAILED;
        if (err == MOBID_OK)
            err = mobid_http_result_json(&r, offer);
    }
    free(ref);
    mobid_http_result_free(&r);
    return err;
}

static mobid_err redeem(fetch *f, const char *code, const char *tx)
{
    json_t *resp = NULL;
    long st;
    const char *form[] = { "grant_type", MOBID_OID4VCI_GRANT_PRE_AUTH, "pre-authorized_code", code,
                           tx ? "tx_code" : NULL, tx, NULL };
    mobid_err err = post_json_ok(f, "/token", NULL, NULL, form, &resp, &st);
    if (err == MOBID_OK) {
        const char *t = json_string_value(json_object_get(resp, "access_token"));
        err = t && (f->token = strdup(t)) ? MOBID_OK : MOBID_ERR_MALFORMED;
    }
    json_decref(resp);
    return err;
}

/* A fresh c_nonce (each is single use). */
static mobid_err new_nonce(fetch *f)
{
    json_t *resp = NULL;
    long st;
    free(f->nonce);
    f->nonce = NULL;
    mobid_err err = post_json_ok(f, "/nonce", NULL, NULL, NULL, &resp, &st);
    if (err == MOBID_OK) {
        const char *n = json_string_value(json_object_get(resp, "c_nonce"));
        err = n && (f->nonce = strdup(n)) ? MOBID_OK : MOBID_ERR_MALFORMED;
    }
    json_decref(resp);
    return err;
}

static mobid_err save(const char *dir, const char *name, mobid_view data)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return cli_write_file(path, data, 0600);
}

/* One batch credential request for config_id with f->batch fresh keys. */
static mobid_err request_batch(fetch *f, const char *config_id)
{
    mobid_key *keys[MOBID_OID4VCI_MAX_PROOFS] = { 0 };
    json_t *jwts = json_array(), *resp = NULL, *req = NULL;
    char auth[256], name[256];
    long st;
    mobid_err err = jwts ? new_nonce(f) : MOBID_ERR_NOMEM;
    for (unsigned i = 0; i < f->batch && err == MOBID_OK; i++) {
        mobid_buf p = { 0 };
        err = mobid_key_generate(MOBID_CURVE_P256, &keys[i]);
        if (err == MOBID_OK)
            err = mobid_oid4vci_proof_build(keys[i], f->issuer, f->nonce, 0, NULL, &p);
        if (err == MOBID_OK)
            json_array_append_new(jwts, json_stringn((const char *)p.ptr, p.len));
        mobid_buf_free(&p);
    }
    if (err == MOBID_OK &&
        !(req = json_pack("{s:s,s:{s:O}}", "credential_configuration_id", config_id, "proofs",
                          "jwt", jwts)))
        err = MOBID_ERR_NOMEM;
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", f->token);
    const char *hdr[] = { auth, NULL };
    if (err == MOBID_OK) err = post_json_ok(f, "/credential", hdr, req, NULL, &resp, &st);
    json_t *creds = json_object_get(resp, "credentials");
    for (size_t i = 0; err == MOBID_OK && i < json_array_size(creds) && i < f->batch; i++) {
        const char *c = json_string_value(json_object_get(json_array_get(creds, i), "credential"));
        json_t *jwk = NULL;
        char *jt = NULL;
        snprintf(name, sizeof name, "%s_%zu.cred", config_id, i);
        err = c ? save(f->out, name, mobid_view_str(c)) : MOBID_ERR_MALFORMED;
        if (err == MOBID_OK) err = mobid_jwk_from_key(keys[i], true, &jwk);
        if (err == MOBID_OK && !(jt = json_dumps(jwk, JSON_COMPACT)))
            err = MOBID_ERR_NOMEM;
        snprintf(name, sizeof name, "%s_%zu.key.jwk", config_id, i);
        if (err == MOBID_OK) err = save(f->out, name, mobid_view_str(jt));
        free(jt);
        json_decref(jwk);
    }
    if (err == MOBID_OK)
        json_object_set_new(f->summary, config_id, json_integer((json_int_t)json_array_size(creds)));
    for (unsigned i = 0; i < f->batch; i++)
        mobid_key_free(keys[i]);
    json_decref(jwts);
    json_decref(req);
    json_decref(resp);
    return err;
}

static mobid_err run_fetch(fetch *f, const char *uri, const char *tx, const char **only,
                           size_t nonly)
{
    json_t *offer = NULL;
    mobid_oid4vci_offer_view ov;
    mobid_err err = mobid_http_client_new(NULL, &f->http);
    if (err == MOBID_OK) err = get_offer(f, uri, &offer);
    if (err == MOBID_OK) err = mobid_oid4vci_offer_read(offer, &ov);
    if (err == MOBID_OK) {
        f->issuer = ov.credential_issuer;
        err = redeem(f, ov.pre_auth_code, tx);
    }
    for (size_t i = 0; err == MOBID_OK && i < json_array_size(ov.config_ids); i++) {
        const char *id = json_string_value(json_array_get(ov.config_ids, i));
        bool want = nonly == 0;
        for (size_t k = 0; k < nonly; k++)
            want |= !strcmp(only[k], id);
        if (want)
            err = request_batch(f, id);
    }
    json_decref(offer);
    return err;
}

int cmd_issuer_fetch(int argc, char **argv)
{
    static const struct option opts[] = { { "offer", required_argument, 0, 'o' },
                                          { "tx-code", required_argument, 0, 't' },
                                          { "out", required_argument, 0, 'd' },
                                          { "batch", required_argument, 0, 'b' },
                                          { "config-id", required_argument, 0, 'c' },
                                          { "help", no_argument, 0, 'h' },
                                          { 0, 0, 0, 0 } };
    const char *uri = NULL, *tx = NULL, *only[FETCH_MAX_IDS];
    size_t nonly = 0;
    fetch f = { .batch = 1, .summary = json_object() };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'o': uri = optarg; break;
        case 't': tx = optarg; break;
        case 'd': f.out = optarg; break;
        case 'b': f.batch = (unsigned)atoi(optarg); break;
        case 'c': if (nonly < FETCH_MAX_IDS) only[nonly++] = optarg; break;
        case 'h': printf("usage: mobid issuer fetch --offer URI --tx-code CODE --out DIR"
                         " [--batch N] [--config-id ID]...\n");
                  json_decref(f.summary);
                  return CLI_EXIT_OK;
        default: json_decref(f.summary); return CLI_EXIT_USAGE;
        }
    }
    if (!uri || !f.out || f.batch < 1 || f.batch > MOBID_OID4VCI_MAX_PROOFS || optind != argc) {
        fprintf(stderr, "usage: mobid issuer fetch --offer URI --tx-code CODE --out DIR"
                        " [--batch N]\n");
        json_decref(f.summary);
        return CLI_EXIT_USAGE;
    }
    mobid_err err = run_fetch(&f, uri, tx, only, nonly);
    int rc = CLI_EXIT_OK;
    if (err == MOBID_OK)
        cli_print_json(f.summary);
    else if (err != MOBID_ERR_FETCH_FAILED)
        rc = cli_fail(true, err, "fetch failed");
    else
        rc = CLI_EXIT_FAIL;
    mobid_http_client_free(f.http);
    free(f.token);
    free(f.nonce);
    json_decref(f.summary);
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
