/*
 * issuer: OpenID4VCI 1.0 endpoints — metadata, /token (pre-authorized code +
 * tx_code), /nonce, /offers/{id} (offer by reference). /credential is in
 * credential_ep.c. Errors are OAuth error objects (RFC 6749 §5.2, OpenID4VCI §8.3.1).
 */
#include "services/issuer/issuer.h"
#include "services/issuer/issuer_int.h"
#include "services/issuer/office.h"
#include "http/ratelimit.h"

#include <mobid/jose.h>
#include <mobid/oid4vci.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *url_of(const issuer_ctx *ctx, const char *path)
{
    size_t n = strlen(ctx->cfg.issuer_url) + strlen(path) + 1;
    char *u = malloc(n);
    if (u)
        snprintf(u, n, "%s%s", ctx->cfg.issuer_url, path);
    return u;
}

static json_t *config_json(const issuer_cardtype *ct, unsigned fmt)
{
    json_t *claims = json_array();
    for (size_t i = 0; claims && i < ct->nclaims; i++) {
        const issuer_claim *c = &ct->claims[i];
        json_t *path = issuer_claim_path(ct, c, fmt);
        json_t *display = issuer_claim_display(c, "name");
        json_array_append_new(claims, json_pack("{s:o, s:b, s:o}", "path", path, "mandatory",
                                                c->required, "display", display));
    }
    json_t *proof = json_pack("{s:{s:[s]}}", "jwt", "proof_signing_alg_values_supported", "ES256");
    json_t *meta = json_pack("{s:[{s:s,s:s}],s:o}", "display", "name", ct->name ? ct->name : ct->id,
                             "locale", "en", "claims", claims);
    if (meta && ct->display_ko)
        json_array_append_new(json_object_get(meta, "display"),
                              json_pack("{s:s, s:s}", "name", ct->display_ko, "locale", "ko"));
    if (fmt == ISSUER_FMT_MDOC)
        return json_pack("{s:s,s:s,s:[s],s:[i],s:o,s:o}", "format", "mso_mdoc", "doctype",
                         ct->doctype, "cryptographic_binding_methods_supported", "cose_key",
                         "credential_signing_alg_values_supported", -7, "proof_types_supported",
                         proof, "credential_metadata", meta);
    return json_pack("{s:s,s:s,s:[s],s:[s],s:o,s:o}", "format", "dc+sd-jwt", "vct", ct->vct,
                     "cryptographic_binding_methods_supported", "jwk",
                     "credential_signing_alg_values_supported", "ES256", "proof_types_supported",
                     proof, "credential_metadata", meta);
}

static mobid_err on_issuer_metadata(mobid_http_req *req, mobid_http_resp *resp, void *arg)
{
    issuer_ctx *ctx = arg;
    char *cred = url_of(ctx, "/credential"), *nonce = url_of(ctx, "/nonce");
    json_t *configs = json_object();
    json_t *j = NULL;
    mobid_err err = MOBID_ERR_NOMEM;
    for (size_t i = 0; configs && i < ctx->cfg.ncardtypes; i++) {
        const issuer_cardtype *ct = &ctx->cfg.cardtypes[i];
        char id[160];
        if (ct->formats & ISSUER_FMT_MDOC) {
            snprintf(id, sizeof id, "%s_mdoc", ct->id);
            json_object_set_new(configs, id, config_json(ct, ISSUER_FMT_MDOC));
        }
        if (ct->formats & ISSUER_FMT_SDJWT) {
            snprintf(id, sizeof id, "%s_sdjwt", ct->id);
            json_object_set_new(configs, id, config_json(ct, ISSUER_FMT_SDJWT));
        }
    }
    if (cred && nonce && configs)
        j = json_pack("{s:s,s:s,s:s,s:{s:I},s:[{s:s,s:s},{s:s,s:s}],s:O}", "credential_issuer",
                      ctx->cfg.issuer_url, "credential_endpoint", cred, "nonce_endpoint", nonce,
                      "batch_credential_issuance", "batch_size",
                      (json_int_t)ctx->cfg.batch_size, "display", "name",
                      "행정안전부 (mobid)", "locale", "ko", "name",
                      "Ministry of the Interior (mobid)", "locale", "en",
                      "credential_configurations_supported", configs);
    if (j)
        err = mobid_http_resp_json(resp, 200, j);
    json_decref(j);
    json_decref(configs);
    free(cred);
    free(nonce);
    return err;
}

static mobid_err on_as_metadata(mobid_http_req *req, mobid_http_resp *resp, void *arg)
{
    issuer_ctx *ctx = arg;
    char *tok = url_of(ctx, "/token");
    /* The pre-authorized code grant; the HAIP profile adds the authorization endpoint
     * and its members. Without it no response_types_supported (RFC 8414 §2 ties it to
     * that endpoint). */
    json_t *j = tok ? json_pack("{s:s,s:s,s:[s],s:b,s:[s]}", "issuer", ctx->cfg.issuer_url,
                                "token_endpoint", tok, "grant_types_supported",
                                MOBID_OID4VCI_GRANT_PRE_AUTH,
                                "pre-authorized_grant_anonymous_access_supported", 1,
                                "dpop_signing_alg_values_supported", "ES256")
                    : NULL;
    if (j && ctx->refresh_enabled)
        json_array_append_new(json_object_get(j, "grant_types_supported"),
                              json_string("refresh_token"));
    mobid_err err = j ? MOBID_OK : MOBID_ERR_NOMEM;
    /* /token takes authorization_details with the pre-authorized code too */
    if (err == MOBID_OK && !ctx->haip)
        err = json_object_set_new(j, "authorization_details_types_supported",
                                  json_pack("[s]", "openid_credential")) ? MOBID_ERR_NOMEM : MOBID_OK;
    if (err == MOBID_OK && ctx->haip)
        err = issuer_haip_as_metadata(ctx, j);
    if (err == MOBID_OK)
        err = mobid_http_resp_json(resp, 200, j);
    json_decref(j);
    free(tok);
    return err;
}

/* ---- /token ---- */


/* Wrong tx_codes are limited per source: tx_code_attempts from one address stop that
 * address for this offer, and the offer goes on for the holder elsewhere, so whoever
 * saw the QR (a colleague at the next desk) cannot void it. Only this many times the
 * limit, from all sources together, voids the offer: a bound on distributed guessing
 * (20 guesses of 10^6 codes by default). */
#define TX_TOTAL_FACTOR 4


/* Wrong tx_codes from this source for this offer so far (the sign-in guard's table:
 * its purge forgets quiet rows). */
static mobid_err source_failures(issuer_token_tx *t, mobid_store *s, const char *offer_id, int64_t *n)
{
    mobid_store_stmt *st = NULL;
    bool row = false;
    mobid_err err;

    snprintf(t->guard_key, sizeof t->guard_key, "t:%s\x1f%s", offer_id, t->source);
    *n = 0;
    err = mobid_store_prepare(s, "SELECT failures FROM issuer_signin_guard WHERE k = $1", &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, t->guard_key);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    if (err == MOBID_OK && row)
        *n = mobid_store_col_int64(st, 0);
    mobid_store_finalize(st);
    return err;
}

static mobid_err source_failed(issuer_token_tx *t, mobid_store *s)
{
    mobid_store_stmt *st = NULL;
    bool row;
    mobid_err err = mobid_store_prepare(
        s, "INSERT INTO issuer_signin_guard (k, failures, last_at, locked_until)"
           " VALUES ($1, 1, $2, 0) ON CONFLICT (k) DO UPDATE SET"
           " failures = issuer_signin_guard.failures + 1, last_at = $2", &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, t->guard_key);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 2, mobid_now());
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    mobid_store_finalize(st);
    return err;
}

static mobid_err tx_failed(issuer_token_tx *t, mobid_store *s, const char *offer_id, int64_t failures)
{
    mobid_store_stmt *st = NULL;
    bool row;
    bool kill = failures + 1 >= (int64_t)t->ctx->cfg.tx_code_attempts * TX_TOTAL_FACTOR;
    mobid_err err = source_failed(t, s);
    if (err == MOBID_OK)
        err = mobid_store_prepare(
        s,
        "UPDATE issuer_offers SET tx_failures = tx_failures + 1,"
        " killed_at = CASE WHEN $1 = 1 THEN $2 ELSE killed_at END WHERE id = $3",
        &st);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 1, kill);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 2, mobid_now());
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 3, offer_id);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    mobid_store_finalize(st);
    t->result = kill ? TOK_KILLED : TOK_BAD_TX;
    if (err == MOBID_OK && kill)
        err = issuer_audit_append(t->ctx, s, "holder", "offer.killed", offer_id,
                                  "{\"reason\":\"too many wrong tx_codes\"}");
    return err;
}

mobid_err issuer_token_issue(issuer_token_tx *t, mobid_store *s, const char *offer_id)
{
    mobid_store_stmt *st = NULL;
    bool row, fresh = true;
    char hash[65];
    int64_t now = mobid_now();
    const char *jkt = t->dpop->present ? t->dpop->proof.jkt : NULL;
    mobid_err err = mobid_store_prepare(
        s,
        "UPDATE issuer_offers SET used_at = $1 WHERE id = $2 AND " ISSUER_OFFER_REDEEMABLE
        " AND killed_at IS NULL AND expires_at > $1",
        &st);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 1, now);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 2, offer_id);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    if (err == MOBID_OK && mobid_store_changes(st) != 1)
        t->result = TOK_BAD_CODE;
    mobid_store_finalize(st);
    if (err != MOBID_OK || t->result != TOK_OK)
        return err;
    if (jkt && (err = issuer_dpop_use(s, t->dpop, &fresh)) == MOBID_OK && !fresh)
        t->result = TOK_DPOP_REPLAY;
    if (err != MOBID_OK || t->result != TOK_OK)
        return err;
    err = issuer_random_token(t->token, hash);
    if (err == MOBID_OK)
        err = mobid_store_prepare(s,
                                  "INSERT INTO issuer_access_tokens (token_hash, offer_id,"
                                  " created_at, expires_at, jkt) VALUES ($1, $2, $3, $4, $5)",
                                  &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, hash);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 2, offer_id);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 3, now);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 4, now + t->ctx->cfg.token_lifetime_s);
    if (err == MOBID_OK) err = jkt ? mobid_store_bind_str(st, 5, jkt) : mobid_store_bind_null(st, 5);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    mobid_store_finalize(st);
    /* A key-bound wallet may come back for new copies of this card (refresh.c); the
     * card lives at most its type's validity from now. */
    const issuer_cardtype *ct = issuer_cardtype_find(t->ctx, t->cardtype);
    if (err == MOBID_OK && jkt && t->ctx->refresh_enabled && ct)
        err = issuer_refresh_token_new(t->ctx, s, offer_id, jkt, ct->validity_s, t->refresh);
    return err;
}

/* authorization_details (OpenID4VCI 1.0 §5.1.1, RFC 9396): at most 8 entries of type
 * openid_credential, each naming a configuration of the offer's card type. Each is
 * answered with credential_identifiers (our identifier is the configuration id). */
bool issuer_details_ok(const issuer_ctx *ctx, json_t *details, const char *cardtype)
{
    size_t i;
    json_t *d;
    if (!details)
        return true;
    if (!json_is_array(details) || !json_array_size(details) || json_array_size(details) > 8)
        return false;
    json_array_foreach (details, i, d) {
        const char *type = json_string_value(json_object_get(d, "type"));
        const char *id = json_string_value(json_object_get(d, "credential_configuration_id"));
        unsigned fmt;
        const issuer_cardtype *ct = issuer_cardtype_by_config_id(ctx, id, &fmt);
        if (!type || strcmp(type, "openid_credential") || !ct || strcmp(ct->id, cardtype) ||
            json_object_set_new(d, "credential_identifiers", json_pack("[s]", id)))
            return false;
    }
    return true;
}

/* The tx_code in t against the offer's hash want: t->result TOK_OK when it matches,
 * else TOK_BAD_TX / TOK_KILLED / TOK_SOURCE_LOCKED (the failure counted). */
mobid_err issuer_tx_code_try(issuer_token_tx *t, mobid_store *s, const char *id, const char *want,
                             int64_t failures)
{
    mobid_err err;
    char got[65];
    t->result = TOK_OK;
    int64_t mine = 0;
    if ((err = source_failures(t, s, id, &mine)) != MOBID_OK)
        return err;
    if (mine >= (int64_t)t->ctx->cfg.tx_code_attempts) { /* refused unchecked */
        t->result = TOK_SOURCE_LOCKED;
        return MOBID_OK;
    }
    if (strlen(t->tx_code) > 16 ||
        (err = issuer_tx_code_hash(t->ctx, id, t->tx_code, got)) != MOBID_OK ||
        !mobid_ct_eq(mobid_view_make(want, 64), mobid_view_make(got, 64)))
        return err != MOBID_OK ? err : tx_failed(t, s, id, failures);
    return MOBID_OK;
}

static mobid_err token_body(mobid_store *s, void *arg)
{
    issuer_token_tx *t = arg;
    mobid_store_stmt *st = NULL;
    bool row = false;
    char id[64] = "", want[65];
    int64_t failures = 0;
    t->result = TOK_BAD_CODE;
    mobid_err err = mobid_store_prepare(
        s,
        "SELECT id, tx_code_hash, tx_failures, cardtype FROM issuer_offers WHERE code_hash = $1"
        " AND " ISSUER_OFFER_REDEEMABLE " AND killed_at IS NULL AND expires_at > $2",
        &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, t->code_hash);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 2, mobid_now());
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    if (err == MOBID_OK && row) {
        mobid_view v = mobid_store_col_text(st, 0), h = mobid_store_col_text(st, 1);
        snprintf(id, sizeof id, "%.*s", (int)v.len, (const char *)v.ptr);
        snprintf(want, sizeof want, "%.*s", (int)h.len, (const char *)h.ptr);
        failures = mobid_store_col_int64(st, 2);
        mobid_view c = mobid_store_col_text(st, 3);
        snprintf(t->cardtype, sizeof t->cardtype, "%.*s", (int)c.len, (const char *)c.ptr);
        if (!issuer_details_ok(t->ctx, t->details, t->cardtype)) {
            mobid_store_finalize(st);
            t->result = TOK_BAD_DETAILS;
            return MOBID_OK;
        }
    }
    mobid_store_finalize(st);
    if (err != MOBID_OK || !row)
        return err;
    /* A missing tx_code is a malformed request (OpenID4VCI 1.0 §6.3), not a guess:
     * it costs no attempt. */
    t->result = t->tx_code ? TOK_OK : TOK_NO_TX;
    if (!t->tx_code)
        return MOBID_OK;
    err = issuer_tx_code_try(t, s, id, want, failures);
    if (err != MOBID_OK || t->result != TOK_OK)
        return err;
    return issuer_token_issue(t, s, id);
}

static mobid_err on_token(mobid_http_req *req, mobid_http_resp *resp, void *arg)
{
    issuer_ctx *ctx = arg;
    const mobid_http_form *form = NULL;
    mobid_store *s = NULL;
    issuer_dpop dpop;
    issuer_token_tx t = { .ctx = ctx, .dpop = &dpop };
    mobid_err err = mobid_http_req_form(req, &form);
    if (err != MOBID_OK)
        return mobid_http_resp_oauth_error(resp, 400, "invalid_request",
                                           "expected an application/x-www-form-urlencoded body");
    const char *grant = NULL, *refresh = NULL, *details = NULL;
    if (mobid_http_form_get(form, "authorization_details", &details) == MOBID_ERR_MALFORMED ||
        mobid_http_form_get(form, "grant_type", &grant) == MOBID_ERR_MALFORMED ||
        mobid_http_form_get(form, "pre-authorized_code", &t.code) == MOBID_ERR_MALFORMED ||
        mobid_http_form_get(form, "tx_code", &t.tx_code) == MOBID_ERR_MALFORMED ||
        mobid_http_form_get(form, "refresh_token", &refresh) == MOBID_ERR_MALFORMED)
        return mobid_http_resp_oauth_error(resp, 400, "invalid_request", "repeated parameter");
    if ((err = issuer_dpop_read(ctx, req, "/token", NULL, &dpop)) != MOBID_OK)
        return err;
    if (grant && !strcmp(grant, "refresh_token"))
        return issuer_refresh_grant(ctx, req, resp, refresh, &dpop);
    if (ctx->haip && grant && !strcmp(grant, MOBID_OID4VCI_GRANT_AUTH_CODE))
        return issuer_authcode_grant(ctx, req, resp, form, &dpop);
    if ((dpop.present && dpop.err != MOBID_OK) || (!dpop.present && ctx->dpop_required))
        return mobid_http_resp_oauth_error(resp, 400, "invalid_dpop_proof",
                                           dpop.present ? mobid_svc_err_name(dpop.err)
                                                        : "a DPoP proof is required");
    if (!grant || strcmp(grant, MOBID_OID4VCI_GRANT_PRE_AUTH) || (ctx->haip && !ctx->haip_pre_auth))
        return mobid_http_resp_oauth_error(resp, 400, "unsupported_grant_type",
                                           ctx->haip ? "grant type not offered by this issuer"
                                                     : "only the pre-authorized code grant is supported");
    if (!t.code || strlen(t.code) > 128)
        return mobid_http_resp_oauth_error(resp, 400, "invalid_request",
                                           "pre-authorized_code missing");
    if (details && (strlen(details) > 4096 ||
                    mobid_json_parse(mobid_view_str(details), 0, &t.details) != MOBID_OK))
        return mobid_http_resp_oauth_error(resp, 400, "invalid_authorization_details",
                                           "authorization_details is not JSON");
    issuer_request_source(ctx, req, t.source);
    if ((err = issuer_hash_hex(mobid_view_str(t.code), t.code_hash)) != MOBID_OK ||
        (err = issuer_db(ctx, &s)) != MOBID_OK) {
        json_decref(t.details);
        return err;
    }
    err = mobid_store_tx(s, 0, token_body, &t);
    issuer_db_release(ctx, s);
    if (err == MOBID_OK && t.result == TOK_BAD_DETAILS)
        err = mobid_http_resp_oauth_error(resp, 400, "invalid_authorization_details",
                                          "authorization_details must be openid_credential entries "
                                          "naming configurations of the offered card");
    if (err != MOBID_OK || t.result == TOK_BAD_DETAILS) {
        json_decref(t.details);
        return err;
    }
    if (t.result != TOK_OK) {
        json_decref(t.details);
        t.details = NULL;
    }
    if (t.result == TOK_DPOP_REPLAY)
        return mobid_http_resp_oauth_error(resp, 400, "invalid_dpop_proof", "DPoP proof already used");
    if (t.result == TOK_NO_TX)
        return mobid_http_resp_oauth_error(resp, 400, "invalid_request", "tx_code missing");
    if (t.result == TOK_BAD_CODE)
        return mobid_http_resp_oauth_error(resp, 400, "invalid_grant",
                                           "pre-authorized code unknown, used or expired");
    if (t.result != TOK_OK)
        return mobid_http_resp_oauth_error(resp, 400, "invalid_grant",
                                           t.result == TOK_KILLED
                                               ? "wrong tx_code; the offer is now void"
                                           : t.result == TOK_SOURCE_LOCKED
                                               ? "too many wrong tx_codes from this address"
                                               : "wrong tx_code");
    return issuer_token_answer(ctx, resp, &t);
}

mobid_err issuer_token_answer(issuer_ctx *ctx, mobid_http_resp *resp, issuer_token_tx *t)
{
    json_t *j = json_pack("{s:s,s:s,s:I}", "access_token", t->token, "token_type",
                          t->dpop->present ? "DPoP" : "Bearer", "expires_in",
                          (json_int_t)ctx->cfg.token_lifetime_s);
    if (j && t->refresh[0])
        json_object_set_new(j, "refresh_token", json_string(t->refresh));
    if (j && t->details)
        json_object_set(j, "authorization_details", t->details);
    json_decref(t->details);
    t->details = NULL;
    mobid_wipe(t->token, sizeof t->token);
    mobid_wipe(t->refresh, sizeof t->refresh);
    mobid_http_resp_header(resp, "Cache-Control", "no-store");
    mobid_err err = j ? mobid_http_resp_json(resp, 200, j) : MOBID_ERR_NOMEM;
    json_decref(j);
    return err;
}

/* ---- /nonce ---- */

mobid_err issuer_nonce_new(issuer_ctx *ctx, mobid_store *s, char out[44])
{
    uint8_t rnd[32];
    mobid_buf b = { 0 };
    mobid_store_stmt *st = NULL;
    bool row;
    int64_t now = mobid_now();
    mobid_err err = mobid_random(rnd, sizeof rnd);
    if (err == MOBID_OK) err = mobid_b64url_encode(mobid_view_make(rnd, sizeof rnd), &b);
    if (err == MOBID_OK) {
        memcpy(out, b.ptr, 43);
        out[43] = 0;
        err = mobid_store_prepare(
            s, "INSERT INTO issuer_nonces (nonce, created_at, expires_at) VALUES ($1, $2, $3)",
            &st);
    }
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, out);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 2, now);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 3, now + ctx->cfg.nonce_lifetime_s);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    mobid_store_finalize(st);
    mobid_buf_free(&b);
    return err;
}

static mobid_err on_nonce(mobid_http_req *req, mobid_http_resp *resp, void *arg)
{
    issuer_ctx *ctx = arg;
    mobid_store *s = NULL;
    char nonce[44];
    char source[64];
    /* Anonymous and each nonce is a row: bounded per source address (behind one of
     * the configuration's trusted_proxies, the address it forwards for). */
    issuer_request_source(ctx, req, source);
    if (!mobid_http_rate_check(ctx->nonce_rate, source, resp))
        return MOBID_OK;
    mobid_err err = issuer_db(ctx, &s);
    if (err == MOBID_OK)
        err = issuer_nonce_new(ctx, s, nonce);
    if (err == MOBID_OK)
        issuer_purge_maybe(ctx, s); /* the anonymous endpoint that adds rows cleans up */
    issuer_db_release(ctx, s);
    if (err != MOBID_OK)
        return err;
    json_t *j = json_pack("{s:s}", "c_nonce", nonce);
    mobid_http_resp_header(resp, "Cache-Control", "no-store");
    err = j ? mobid_http_resp_json(resp, 200, j) : MOBID_ERR_NOMEM;
    json_decref(j);
    return err;
}

/* ---- /offers/{ref}: the offer by reference, while it can still be redeemed; ref is
 * the offer id with its MAC (issuer_offer_ref), never the bare id officers see ---- */

static mobid_err on_offer(mobid_http_req *req, mobid_http_resp *resp, void *arg)
{
    issuer_ctx *ctx = arg;
    mobid_store *s = NULL;
    mobid_store_stmt *st = NULL;
    bool row = false;
    issuer_offer o = { 0 };
    char id[64] = "";
    const issuer_cardtype *ct = NULL;
    mobid_err err = issuer_offer_ref_check(ctx, mobid_http_req_param(req, "id"), id);
    if (err != MOBID_OK)
        return mobid_http_resp_error(resp, 404, "NOT_FOUND", "no such offer, or no longer valid");
    err = issuer_db(ctx, &s);
    if (err == MOBID_OK)
        err = mobid_store_prepare(s,
                                  "SELECT cardtype FROM issuer_offers WHERE id = $1 AND "
                                  ISSUER_OFFER_REDEEMABLE
                                  " AND killed_at IS NULL AND expires_at > $2",
                                  &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, id);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 2, mobid_now());
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    if (err == MOBID_OK && row) {
        char *c = mobid_store_col_strdup(st, 0);
        ct = issuer_cardtype_find(ctx, c);
        free(c);
    }
    mobid_store_finalize(st);
    issuer_db_release(ctx, s);
    if (err != MOBID_OK)
        return err;
    if (!ct || strlen(id) >= sizeof o.offer_id)
        return mobid_http_resp_error(resp, 404, "NOT_FOUND", "no such offer, or no longer valid");
    memcpy(o.offer_id, id, strlen(id) + 1); /* fits: checked just above */
    err = issuer_offer_code(ctx, id, o.pre_auth_code);
    if (err == MOBID_OK) err = issuer_offer_uris(ctx, ct, &o);
    if (err == MOBID_OK) {
        mobid_http_resp_header(resp, "Cache-Control", "no-store");
        err = mobid_http_resp_body(resp, 200, "application/json", mobid_view_str(o.offer_json));
    }
    issuer_offer_clear(&o);
    return err;
}

/* /.well-known/<name>, and, for an identifier with a path, the URL wallets build by
 * the book: the segment between host and path (OpenID4VCI 1.0 §12.2.2, RFC 8414 §3.1). */
static mobid_err route_well_known(mobid_http_server *srv, issuer_ctx *ctx, const char *name,
                                  mobid_http_handler fn)
{
    mobid_buf url, route;
    const char *path;
    mobid_err err;

    mobid_buf_init(&url, 0);
    mobid_buf_init(&route, 0);
    mobid_buf_append_str(&route, "/.well-known/");
    mobid_buf_append_str(&route, name);
    err = mobid_buf_terminate(&route);
    if (err == MOBID_OK)
        err = mobid_http_route(srv, "GET", (const char *)route.ptr, fn, ctx);
    /* The inserted URL's path: everything after the scheme and host. */
    if (err == MOBID_OK &&
        mobid_oid4vci_well_known_url(ctx->cfg.issuer_url, name, &url) == MOBID_OK &&
        (path = strstr((const char *)url.ptr, "://")) && (path = strchr(path + 3, '/')) &&
        strcmp(path, (const char *)route.ptr) && !strpbrk(path, "{}"))
        err = mobid_http_route(srv, "GET", path, fn, ctx);
    mobid_buf_free(&url);
    mobid_buf_free(&route);
    return err;
}

mobid_err issuer_routes_oid4vci(mobid_http_server *srv, issuer_ctx *ctx)
{
    mobid_err err = issuer_refresh_config(ctx);
    if (err == MOBID_OK) err = issuer_routes_authz(srv, ctx);
    if (err == MOBID_OK)
        err = route_well_known(srv, ctx, "openid-credential-issuer", on_issuer_metadata);
    if (err == MOBID_OK)
        err = route_well_known(srv, ctx, "oauth-authorization-server", on_as_metadata);
    if (err == MOBID_OK) err = mobid_http_route(srv, "POST", "/token", on_token, ctx);
    if (err == MOBID_OK && ctx->cfg.nonce_per_second)
        err = mobid_http_server_ratelimit(srv, ctx->cfg.nonce_per_second,
                                          ctx->cfg.nonce_burst ? ctx->cfg.nonce_burst : 1, 0,
                                          &ctx->nonce_rate);
    if (err == MOBID_OK) err = mobid_http_route(srv, "POST", "/nonce", on_nonce, ctx);
    if (err == MOBID_OK) err = mobid_http_route(srv, "GET", "/offers/{id}", on_offer, ctx);
    if (err == MOBID_OK) err = issuer_routes_credential(srv, ctx);
    if (err == MOBID_OK) err = issuer_routes_status(srv, ctx);
    if (err == MOBID_OK) err = issuer_routes_vc_metadata(srv, ctx);
    if (err == MOBID_OK) err = issuer_routes_type_metadata(srv, ctx);
    return err;
}
