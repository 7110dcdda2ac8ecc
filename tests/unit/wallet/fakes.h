/*
 * An in-process world for wallet tests: a ministry PKI, an issuer and relying parties
 * played with lib/ functions behind the wallet's transport callback, a wallet blob in
 * memory, and scripted PIN, tx_code and consent answers. Included by one test file
 * each (static functions only).
 */
#ifndef MOBID_TEST_WALLET_FAKES_H
#define MOBID_TEST_WALLET_FAKES_H

#include <stdio.h>
#include <string.h>
#include <jansson.h>

#include <mobid/cbor.h>
#include <mobid/jose.h>
#include <mobid/mdoc.h>
#include <mobid/oid4vci.h>
#include <mobid/oid4vp.h>
#include <mobid/sdjwt.h>
#include <mobid/wallet.h>
#include "testutil.h"

/* The issuer identifier has a path: its well-known documents sit between the host and
 * the path (OpenID4VCI 1.0 §12.2.2, RFC 8414 §3.1). */
#define FK_HOST "https://issuer.test"
#define FK_ISSUER FK_HOST "/tenant"
#define FK_AS "https://as.test"
#define FK_VCT "urn:mobid:kr:resident:1"
#define FK_DOCTYPE "kr.go.mois.resident.1"
#define FK_NS "kr.go.mois.resident.1"
#define FK_NAME "Minji"
#define FK_BIRTH "1990-03-15"
#define FK_RRN "900315-2345678"
#define FK_MAX_RP 4

/* A relying party: access certificate under the RP CA, optional registration. */
typedef struct fk_rp {
    mobid_key *key;
    mobid_cert *cert;
    char client_id[80];
    char *registration;     /* ministry-signed registration JWT or NULL */
    char *request;          /* the signed request object served at /request/<i> */
    mobid_key *enc_key;     /* direct_post.jwt key */
    char nonce[64];
    int responses;          /* POSTs received at its response_uri */
    json_t *last_vp_token;  /* the decrypted / decoded vp_token */
} fk_rp;

typedef struct fk_world {
    mobid_key *root_key, *ds_key, *rpca_key, *reg_key;
    mobid_cert *root, *ds, *rpca, *regc;
    mobid_buf root_pem, rpca_pem, reg_pem;
    fk_rp rp[FK_MAX_RP];
    mobid_buf blob;         /* the stored wallet */
    bool has_blob;
    int saves;
    const char *pin;        /* what the PIN prompt answers */
    const char *device;     /* the device secret (32 chars), NULL = none */
    const char *tx_code;    /* what the issuer expects and the prompt answers */
    const char *tx_answer;
    bool consent;
    int consent_asked, pin_asked;
    char offer_json[512];
    char nonce[64];
    unsigned batch;
    int http_calls;
    bool separate_as;       /* authorization server on FK_AS, token at /oauth/token */
    bool legacy_token;      /* no AS metadata; token_endpoint in the issuer's metadata */
    bool refreshable;       /* DPoP-bound tokens with a refresh token "rt-1" */
    int refreshes;          /* refresh grants answered */
    int rp_down;            /* response_uri: 1 unreachable (nothing sent, status -1),
                               2 connection lost after the request went out (status 0) */
} fk_world;

static mobid_time fk_skip; /* tests move the clock forward */

static mobid_time fk_now(void *ctx)
{
    (void)ctx;
    return 1790000000 + fk_skip; /* 2026-09-21 */
}

static mobid_cert *fk_cert(const char *cn, mobid_key *subj, mobid_key *ikey, mobid_cert *icert,
                           bool ca, mobid_cert_purpose purpose, const char *uri)
{
    const char *uris[] = { uri, NULL };
    mobid_cert_spec s = { 0 };
    mobid_cert *c = NULL;

    s.subject_cn = cn;
    s.subject_c = "KR";
    s.not_before = 1700000000;
    s.not_after = 1900000000;
    s.is_ca = ca;
    s.path_len = ca ? 1 : 0;
    s.purpose = purpose;
    s.san_uris = uri ? uris : NULL;
    assert_int_equal(mobid_cert_issue(&s, subj, ikey, icert, &c), MOBID_OK);
    return c;
}

static void fk_pem(mobid_cert *c, mobid_buf *out)
{
    mobid_buf_init(out, 0);
    assert_int_equal(mobid_cert_to_pem(c, out), MOBID_OK);
    assert_int_equal(mobid_buf_terminate(out), MOBID_OK);
}

/* allowed: {"format","type","claims":[[..],..]} entries for the registration. */
static void fk_rp_make(fk_world *w, int i, const char *name, json_t *allowed)
{
    fk_rp *rp = &w->rp[i];
    mobid_oid4vp_registration_params p = { 0 };
    mobid_buf b;

    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &rp->key), MOBID_OK);
    rp->cert = fk_cert(name, rp->key, w->rpca_key, w->rpca, false, MOBID_PURPOSE_ANY, NULL);
    mobid_buf_init(&b, 0);
    assert_int_equal(mobid_oid4vp_client_id(rp->cert, &b), MOBID_OK);
    assert_true(b.len < sizeof rp->client_id);
    memcpy(rp->client_id, b.ptr, b.len);
    mobid_buf_free(&b);
    if (allowed) {
        p.key = w->reg_key;
        p.x5c = &w->regc;
        p.x5c_len = 1;
        p.rp_id = name;
        p.name = name;
        p.legal_basis = "Resident Registration Act art. 7";
        p.allowed = allowed;
        p.client_id = rp->client_id;
        p.iat = fk_now(NULL) - 10;
        p.exp = fk_now(NULL) + 86400;
        mobid_buf_init(&b, 0);
        assert_int_equal(mobid_oid4vp_registration_sign(&p, &b), MOBID_OK);
        rp->registration = mobid_buf_detach_str(&b);
        json_decref(allowed);
    }
}

/* Sign the request object rp i serves; key/cert may be overridden for bad cases. */
static void fk_rp_request(fk_world *w, int i, json_t *dcql, bool encrypted,
                          const mobid_key *sign_key)
{
    fk_rp *rp = &w->rp[i];
    mobid_oid4vp_request_params p = { 0 };
    char uri[64];
    mobid_buf b;

    snprintf(uri, sizeof uri, "https://rp%d.test/response", i);
    snprintf(rp->nonce, sizeof rp->nonce, "nonce-of-rp-%d-0123456789abcdef", i);
    if (encrypted && !rp->enc_key)
        assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &rp->enc_key), MOBID_OK);
    p.key = sign_key ? sign_key : rp->key;
    p.x5c = &rp->cert;
    p.x5c_len = 1;
    p.response_uri = uri;
    p.nonce = rp->nonce;
    p.state = "state-1";
    p.dcql_query = dcql;
    p.encrypted = encrypted;
    p.enc_key = rp->enc_key;
    p.registration = rp->registration;
    p.iat = fk_now(NULL);
    mobid_buf_init(&b, 0);
    assert_int_equal(mobid_oid4vp_request_sign(&p, &b), MOBID_OK);
    free(rp->request);
    rp->request = mobid_buf_detach_str(&b);
    json_decref(dcql);
}

/* openid4vp://?client_id=..&request_uri=https://rp<i>.test/request */
static void fk_rp_uri(const fk_world *w, int i, const char *client_id, char *out, size_t cap)
{
    mobid_buf b;

    mobid_buf_init(&b, 0);
    assert_int_equal(mobid_oid4vci_pct_encode(mobid_view_str(client_id ? client_id
                                                                        : w->rp[i].client_id),
                                              &b),
                     MOBID_OK);
    snprintf(out, cap, "openid4vp://?client_id=%.*s&request_uri=https%%3A%%2F%%2Frp%d.test%%2Frequest",
             (int)b.len, (const char *)b.ptr, i);
    mobid_buf_free(&b);
}

static void fk_world_init(fk_world *w)
{
    memset(w, 0, sizeof *w);
    fk_skip = 0;
    /* a phone's keystore: refusals come before consent and PIN (tests unset it to see
     * a wallet without one) */
    w->device = "fakes' device secret: 32 bytes..";
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &w->root_key), MOBID_OK);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &w->ds_key), MOBID_OK);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &w->rpca_key), MOBID_OK);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &w->reg_key), MOBID_OK);
    w->root = fk_cert("Ministry IACA", w->root_key, w->root_key, NULL, true, 0, NULL);
    w->ds = fk_cert("Ministry DS", w->ds_key, w->root_key, w->root, false,
                    MOBID_PURPOSE_MDOC_DS, FK_ISSUER);
    w->rpca = fk_cert("RP CA", w->rpca_key, w->rpca_key, NULL, true, 0, NULL);
    w->regc = fk_cert("Ministry RP registry", w->reg_key, w->reg_key, NULL, false, 0, NULL);
    fk_pem(w->root, &w->root_pem);
    fk_pem(w->rpca, &w->rpca_pem);
    fk_pem(w->regc, &w->reg_pem);
    mobid_buf_init(&w->blob, 0);
    w->pin = "246810";
    w->tx_code = "1234";
    w->tx_answer = "1234";
    w->consent = true;
    w->batch = 3;
    snprintf(w->offer_json, sizeof w->offer_json,
             "{\"credential_issuer\":\"%s\",\"credential_configuration_ids\":[\"pid_sdjwt\","
             "\"pid_mdoc\"],\"grants\":{\"%s\":{\"pre-authorized_code\":\"code-1\","
             "\"tx_code\":{\"length\":4,\"input_mode\":\"numeric\"}}}}",
             FK_ISSUER, MOBID_OID4VCI_GRANT_PRE_AUTH);
}

static void fk_world_free(fk_world *w)
{
    mobid_key_free(w->root_key);
    mobid_key_free(w->ds_key);
    mobid_key_free(w->rpca_key);
    mobid_key_free(w->reg_key);
    mobid_cert_free(w->root);
    mobid_cert_free(w->ds);
    mobid_cert_free(w->rpca);
    mobid_cert_free(w->regc);
    mobid_buf_free(&w->root_pem);
    mobid_buf_free(&w->rpca_pem);
    mobid_buf_free(&w->reg_pem);
    mobid_buf_free(&w->blob);
    for (int i = 0; i < FK_MAX_RP; i++) {
        mobid_key_free(w->rp[i].key);
        mobid_key_free(w->rp[i].enc_key);
        mobid_cert_free(w->rp[i].cert);
        free(w->rp[i].registration);
        free(w->rp[i].request);
        json_decref(w->rp[i].last_vp_token);
    }
}

/* ---- the issuer ---- */

static json_t *fk_claims(void)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s}", "given_name", FK_NAME, "family_name", "KIM",
                     "birth_date", FK_BIRTH, "rrn", FK_RRN, "nationality", "KR");
}

static void fk_issue_sdjwt(fk_world *w, const mobid_key *holder, mobid_buf *out)
{
    static const char *const sd[] = { "given_name", "family_name", "birth_date", "rrn",
                                      "nationality", NULL };
    mobid_sdjwt_issue_params p = { 0 };
    json_t *claims = fk_claims();

    p.claims = claims;
    p.sd_paths = sd;
    p.vct = FK_VCT;
    p.iat = fk_now(NULL);
    p.exp = fk_now(NULL) + 365 * 86400;
    p.holder_key = holder;
    p.issuer_key = w->ds_key;
    p.x5c = &w->ds;
    p.x5c_len = 1;
    p.decoys = 2;
    assert_int_equal(mobid_sdjwt_issue(&p, out), MOBID_OK);
    json_decref(claims);
}

static void fk_issue_mdoc(fk_world *w, const mobid_key *holder, mobid_buf *out)
{
    static const char *ids[] = { "given_name", "family_name", "birth_date", "rrn",
                                 "nationality" };
    mobid_mdoc_element el[5];
    mobid_buf vals[5], is;
    mobid_mdoc_issue_opts o = { 0 };
    json_t *claims = fk_claims();

    for (int i = 0; i < 5; i++) {
        mobid_cbor_enc e;
        mobid_buf_init(&vals[i], 0);
        mobid_cbor_enc_init(&e, &vals[i]);
        assert_int_equal(mobid_mdoc_value_from_json(json_object_get(claims, ids[i]), &e),
                         MOBID_OK);
        assert_int_equal(mobid_cbor_enc_finish(&e), MOBID_OK);
        el[i].ns = FK_NS;
        el[i].id = ids[i];
        el[i].value = mobid_buf_view(&vals[i]);
    }
    o.doctype = FK_DOCTYPE;
    o.elements = el;
    o.n_elements = 5;
    o.issuer_key = w->ds_key;
    o.chain = &w->ds;
    o.n_chain = 1;
    o.device_key = holder;
    o.signed_at = fk_now(NULL) - 60;
    mobid_buf_init(&is, 0);
    assert_int_equal(mobid_mdoc_issue(&o, &is), MOBID_OK);
    assert_int_equal(mobid_b64url_encode(mobid_buf_view(&is), out), MOBID_OK);
    mobid_buf_free(&is);
    for (int i = 0; i < 5; i++)
        mobid_buf_free(&vals[i]);
    json_decref(claims);
}

static long fk_credential(fk_world *w, const mobid_wallet_http_req *req, mobid_buf *body)
{
    mobid_oid4vci_credreq cr;
    mobid_oid4vci_proof_check_params pc = { FK_ISSUER, fk_now(NULL), 0, 0 };
    json_t *j = NULL, *creds = json_array(), *resp;
    bool mdoc;

    assert_string_equal(req->bearer, "access-1");
    assert_int_equal(mobid_json_parse(req->body, 0, &j), MOBID_OK);
    assert_int_equal(mobid_oid4vci_credreq_read(j, &cr), MOBID_OK);
    /* a refresh asks only for what makes the batch whole again */
    assert_true(cr.n_jwts == w->batch || (w->refreshes && cr.n_jwts && cr.n_jwts < w->batch));
    mdoc = strcmp(cr.config_id, "pid_mdoc") == 0;
    for (size_t i = 0; i < cr.n_jwts; i++) {
        mobid_oid4vci_proof pr = { 0 };
        mobid_buf c;
        assert_int_equal(mobid_oid4vci_proof_check(mobid_view_str(cr.jwts[i]), &pc, &pr),
                         MOBID_OK);
        assert_string_equal(pr.nonce, w->nonce);
        mobid_buf_init(&c, 0);
        if (mdoc)
            fk_issue_mdoc(w, pr.holder, &c);
        else
            fk_issue_sdjwt(w, pr.holder, &c);
        assert_int_equal(mobid_buf_terminate(&c), MOBID_OK);
        json_array_append_new(creds, json_pack("{s:s}", "credential", (char *)c.ptr));
        mobid_buf_free(&c);
        mobid_oid4vci_proof_clear(&pr);
    }
    resp = json_pack("{s:o}", "credentials", creds);
    assert_int_equal(mobid_json_dump(resp, false, body), MOBID_OK);
    json_decref(resp);
    json_decref(j);
    return 200;
}

static long fk_token(fk_world *w, const mobid_wallet_http_req *req, mobid_buf *body)
{
    char expect[128];
    char *form = mobid_view_strdup(req->body);
    bool good;

    snprintf(expect, sizeof expect, "pre-authorized_code=code-1&tx_code=%s", w->tx_code);
    good = form && strstr(form, expect);
    if (w->refreshable && form && req->dpop &&
        !strcmp(form, "grant_type=refresh_token&refresh_token=rt-1")) {
        good = true;
        w->refreshes++;
    }
    free(form);
    if (!good) {
        mobid_buf_append_str(body, "{\"error\":\"invalid_grant\"}");
        return 400;
    }
    if (w->refreshable) {
        assert_non_null(req->dpop);
        mobid_buf_append_str(body, "{\"access_token\":\"access-1\",\"token_type\":\"DPoP\","
                                   "\"refresh_token\":\"rt-1\"}");
        return 200;
    }
    mobid_buf_append_str(body, "{\"access_token\":\"access-1\",\"token_type\":\"Bearer\"}");
    return 200;
}

static void fk_issuer_metadata(fk_world *w, char *text, size_t cap)
{
    char extra[160] = "";

    if (w->separate_as)
        snprintf(extra, sizeof extra, "\"authorization_servers\":[\"%s\"],", FK_AS);
    else if (w->legacy_token)
        snprintf(extra, sizeof extra, "\"token_endpoint\":\"%s/token\",", FK_ISSUER);
    snprintf(text, cap,
             "{\"credential_issuer\":\"%s\",%s\"credential_endpoint\":\"%s/credential\","
             "\"nonce_endpoint\":\"%s/nonce\",\"batch_credential_issuance\":"
             "{\"batch_size\":%u},\"credential_configurations_supported\":{"
             "\"pid_sdjwt\":{\"format\":\"dc+sd-jwt\",\"vct\":\"%s\"},"
             "\"pid_mdoc\":{\"format\":\"mso_mdoc\",\"doctype\":\"%s\"}}}",
             FK_ISSUER, extra, FK_ISSUER, FK_ISSUER, w->batch, FK_VCT, FK_DOCTYPE);
}

/* The issuer's host: well-known documents (only at the inserted URLs), and the
 * endpoints under the identifier's path. */
static long fk_issuer(fk_world *w, const mobid_wallet_http_req *req, mobid_buf *body)
{
    const char *path = req->url + strlen(FK_HOST);
    char text[1024];

    if (strcmp(path, "/.well-known/openid-credential-issuer/tenant") == 0) {
        fk_issuer_metadata(w, text, sizeof text);
    } else if (strcmp(path, "/.well-known/oauth-authorization-server/tenant") == 0 &&
               !w->separate_as && !w->legacy_token) {
        snprintf(text, sizeof text, "{\"issuer\":\"%s\",\"token_endpoint\":\"%s/token\"}",
                 FK_ISSUER, FK_ISSUER);
    } else if (strncmp(req->url, FK_ISSUER "/", strlen(FK_ISSUER) + 1) != 0) {
        return 404;
    } else if (strcmp(path, "/tenant/offers/1") == 0) {
        snprintf(text, sizeof text, "%s", w->offer_json);
    } else if (strcmp(path, "/tenant/token") == 0 && !w->separate_as) {
        return fk_token(w, req, body);
    } else if (strcmp(path, "/tenant/nonce") == 0) {
        snprintf(w->nonce, sizeof w->nonce, "c-nonce-%d", w->http_calls);
        snprintf(text, sizeof text, "{\"c_nonce\":\"%s\"}", w->nonce);
    } else if (strcmp(path, "/tenant/credential") == 0) {
        return fk_credential(w, req, body);
    } else {
        return 404;
    }
    mobid_buf_append_str(body, text);
    return 200;
}

/* An authorization server on its own host, token endpoint at /oauth/token. */
static long fk_as(fk_world *w, const mobid_wallet_http_req *req, mobid_buf *body)
{
    const char *path = req->url + strlen(FK_AS);

    if (!w->separate_as)
        return 404;
    if (strcmp(path, "/.well-known/oauth-authorization-server") == 0) {
        mobid_buf_append_str(body, "{\"issuer\":\"" FK_AS "\",\"token_endpoint\":\"" FK_AS
                                   "/oauth/token\"}");
        return 200;
    }
    if (strcmp(path, "/oauth/token") == 0)
        return fk_token(w, req, body);
    return 404;
}

/* ---- relying parties ---- */

static long fk_rp_response(fk_rp *rp, const mobid_wallet_http_req *req, mobid_buf *body)
{
    char *form = mobid_view_strdup(req->body);
    mobid_buf val;
    json_t *params = NULL;

    rp->responses++;
    mobid_buf_init(&val, 0);
    if (strncmp(form, "response=", 9) == 0) {
        assert_int_equal(mobid_oid4vci_pct_decode(mobid_view_str(form + 9), &val), MOBID_OK);
        assert_int_equal(mobid_oid4vp_response_decrypt(mobid_buf_view(&val), rp->enc_key,
                                                       &params),
                         MOBID_OK);
        json_decref(rp->last_vp_token);
        rp->last_vp_token = json_incref(json_object_get(params, "vp_token"));
    } else {
        size_t n = strcspn(form + 9, "&");
        assert_int_equal(strncmp(form, "vp_token=", 9), 0);
        assert_int_equal(mobid_oid4vci_pct_decode(mobid_view_make(form + 9, n), &val),
                         MOBID_OK);
        json_decref(rp->last_vp_token);
        assert_int_equal(mobid_json_parse(mobid_buf_view(&val), 0, &rp->last_vp_token),
                         MOBID_OK);
    }
    json_decref(params);
    mobid_buf_free(&val);
    free(form);
    mobid_buf_append_str(body, "{\"redirect_uri\":\"https://rp.test/done\"}");
    return 200;
}

static mobid_err fk_http(void *ctx, const mobid_wallet_http_req *req, long *status,
                         mobid_buf *body)
{
    fk_world *w = ctx;
    int i;

    w->http_calls++;
    if (strncmp(req->url, FK_HOST "/", strlen(FK_HOST) + 1) == 0) {
        *status = fk_issuer(w, req, body);
        return MOBID_OK;
    }
    if (strncmp(req->url, FK_AS "/", strlen(FK_AS) + 1) == 0) {
        *status = fk_as(w, req, body);
        return MOBID_OK;
    }
    if (sscanf(req->url, "https://rp%d.test/", &i) == 1 && i >= 0 && i < FK_MAX_RP) {
        if (strstr(req->url, "/request")) {
            *status = w->rp[i].request ? 200 : 404;
            if (w->rp[i].request)
                mobid_buf_append_str(body, w->rp[i].request);
        } else if (w->rp_down) {
            *status = w->rp_down == 1 ? -1 : 0;
            w->rp[i].responses += w->rp_down == 2;
            return MOBID_ERR_FETCH_FAILED;
        } else {
            *status = fk_rp_response(&w->rp[i], req, body);
        }
        return MOBID_OK;
    }
    return MOBID_ERR_FETCH_FAILED;
}

/* ---- storage and UI ---- */

static mobid_err fk_load(void *ctx, mobid_buf *out)
{
    fk_world *w = ctx;

    if (!w->has_blob)
        return MOBID_ERR_NOT_FOUND;
    return mobid_buf_append_view(out, mobid_buf_view(&w->blob));
}

static mobid_err fk_save(void *ctx, mobid_view blob)
{
    fk_world *w = ctx;

    w->blob.len = 0;
    w->has_blob = true;
    w->saves++;
    mobid_buf_append_view(&w->blob, blob);
    return mobid_buf_terminate(&w->blob);
}

static mobid_err fk_pin(void *ctx, const char *why, char pin[MOBID_WALLET_PIN_LEN + 1])
{
    fk_world *w = ctx;

    (void)why;
    w->pin_asked++;
    snprintf(pin, MOBID_WALLET_PIN_LEN + 1, "%s", w->pin);
    return MOBID_OK;
}

static mobid_err fk_tx(void *ctx, unsigned len, const char *desc, char *out, size_t cap)
{
    fk_world *w = ctx;

    (void)desc;
    assert_int_equal(len, strlen(w->tx_code));
    snprintf(out, cap, "%s", w->tx_answer);
    return MOBID_OK;
}

static mobid_err fk_consent(void *ctx, const mobid_wallet_consent *c)
{
    fk_world *w = ctx;

    assert_non_null(c->rp_name);
    assert_non_null(c->claims);
    w->consent_asked++;
    return w->consent ? MOBID_OK : MOBID_ERR_CONSENT_DENIED;
}

static mobid_err fk_device(void *ctx, uint8_t out[32])
{
    fk_world *w = ctx;
    memcpy(out, w->device, 32);
    return MOBID_OK;
}

static mobid_wallet_io fk_io(fk_world *w)
{
    mobid_wallet_io io = { w, fk_load, fk_save, fk_http, fk_now, fk_pin, fk_tx, fk_consent,
                           w->device ? fk_device : NULL, NULL };
    return io;
}

/* A wallet with the smallest scrypt cost allowed holding both formats of the PID. */
static void fk_wallet_ready(fk_world *w, bool receive)
{
    mobid_wallet_io io = fk_io(w);
    mobid_wallet_init_opts o = { (const char *)w->root_pem.ptr, (const char *)w->rpca_pem.ptr,
                                 (const char *)w->reg_pem.ptr, MOBID_WALLET_SCRYPT_N_MIN, 8, 1 };
    char uri[1024], detail[256] = "";
    mobid_buf b;

    assert_int_equal(mobid_wallet_init(&io, &o), MOBID_OK);
    if (!receive)
        return;
    mobid_buf_init(&b, 0);
    assert_int_equal(mobid_oid4vci_offer_ref_uri(FK_ISSUER "/offers/1", &b), MOBID_OK);
    snprintf(uri, sizeof uri, "%.*s", (int)b.len, (const char *)b.ptr);
    mobid_buf_free(&b);
    if (mobid_wallet_receive(&io, uri, NULL, detail, sizeof detail) != MOBID_OK)
        fail_msg("receive: %s", detail);
}

/* DCQL asking for SD-JWT claims (names) or mdoc elements. */
static json_t *fk_dcql(bool mdoc, const char *const *names)
{
    json_t *claims = json_array();

    for (size_t i = 0; names[i]; i++)
        json_array_append_new(claims, mdoc ? json_pack("{s:[s,s]}", "path", FK_NS, names[i])
                                           : json_pack("{s:[s]}", "path", names[i]));
    if (mdoc)
        return json_pack("{s:[{s:s,s:s,s:{s:s},s:o}]}", "credentials", "id", "pid", "format",
                         "mso_mdoc", "meta", "doctype_value", FK_DOCTYPE, "claims", claims);
    return json_pack("{s:[{s:s,s:s,s:{s:[s]},s:o}]}", "credentials", "id", "pid", "format",
                     "dc+sd-jwt", "meta", "vct_values", FK_VCT, "claims", claims);
}

/* Registration allowing names in one format. */
static json_t *fk_allowed(bool mdoc, const char *const *names)
{
    json_t *claims = json_array();

    for (size_t i = 0; names[i]; i++)
        json_array_append_new(claims, mdoc ? json_pack("[s,s]", FK_NS, names[i])
                                           : json_pack("[s]", names[i]));
    return json_pack("[{s:s,s:s,s:o}]", "format", mdoc ? "mso_mdoc" : "dc+sd-jwt", "type",
                     mdoc ? FK_DOCTYPE : FK_VCT, "claims", claims);
}

#endif
