/*
 * issuer: the HAIP profile beside the consular pre-authorized flow — the
 * authorization-code flow of OpenID4VCI 1.0 §5 with pushed authorization requests
 * (RFC 9126, required), PKCE (RFC 7636, S256 only), DPoP-bound tokens (RFC 9449) and
 * wallet attestation (OAuth 2.0 Attestation-Based Client Authentication): only an app
 * whose wallet provider the ministry trusts receives cards.
 *
 * How the citizen is authenticated: there is no external identity provider. The
 * consular officer's offer (made after the application was approved) carries an
 * authorization_code grant whose issuer_state names that offer, and the officer hands
 * over the transaction code out of band as in the pre-authorized flow. The wallet
 * pushes its request with the issuer_state; the authorization endpoint asks the
 * citizen for the transaction code (a page for a browser, the same form posted by an
 * app) under the same per-source and per-offer limits as /token, and only then
 * redirects to the wallet with a one-time code. The code, the PKCE verifier, the
 * attested client and the DPoP key must all match at /token.
 */
#include "services/issuer/issuer.h"
#include "services/issuer/issuer_int.h"
#include "services/issuer/authz.h"
#include "http/resource.h"

#include <mobid/jose.h>
#include <mobid/oid4vci.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* ---- configuration ---- */

static mobid_err provider_load(issuer_ctx *ctx, const char *path)
{
    mobid_buf pem = { 0 };
    mobid_cert **certs = NULL;
    size_t n = 0;
    mobid_key *key = NULL;
    mobid_err err = mobid_file_read(path, (size_t)1 << 20, &pem);
    if (err == MOBID_OK && mobid_cert_parse_all(mobid_buf_view(&pem), &certs, &n) == MOBID_OK &&
        n) {
        for (size_t i = 0; err == MOBID_OK && i < n; i++) {
            err = mobid_trust_add(ctx->wallet_roots, certs[i]);
            if (err == MOBID_OK && i == 0)
                err = mobid_cert_public_key(certs[0], &key);
        }
    } else if (err == MOBID_OK) {
        err = mobid_key_from_pem(mobid_buf_view(&pem), &key);
    }
    if (err == MOBID_OK) {
        mobid_key **k = realloc(ctx->wallet_keys, (ctx->nwallet_keys + 1) * sizeof *k);
        err = k ? MOBID_OK : MOBID_ERR_NOMEM;
        if (k) {
            ctx->wallet_keys = k;
            k[ctx->nwallet_keys++] = key;
            key = NULL;
        }
    }
    if (err != MOBID_OK && err != MOBID_ERR_NOMEM)
        fprintf(stderr, "issuer config: haip.wallet_providers: %s: %s\n", path,
                mobid_svc_err_name(err));
    mobid_key_free(key);
    mobid_cert_list_free(certs, n);
    mobid_buf_free(&pem);
    return err;
}

mobid_err issuer_haip_config(issuer_ctx *ctx)
{
    const json_t *sec = json_object_get(ctx->cfg.raw, "haip");
    const char *k;
    const json_t *v, *en, *pre;
    mobid_err err = MOBID_ERR_MALFORMED;
    if (!sec)
        return MOBID_OK;
    if (!json_is_object(sec))
        goto bad;
    json_object_foreach ((json_t *)sec, k, v)
        if (strcmp(k, "enabled") && strcmp(k, "pre_authorized") && strcmp(k, "wallet_providers"))
            goto bad;
    en = json_object_get(sec, "enabled");
    pre = json_object_get(sec, "pre_authorized");
    if ((en && !json_is_boolean(en)) || (pre && !json_is_boolean(pre)))
        goto bad;
    ctx->haip = !en || json_is_true(en);
    ctx->haip_pre_auth = !pre || json_is_true(pre);
    if (!ctx->haip)
        return MOBID_OK;
    if (!ctx->cfg.nhaip_providers) {
        fprintf(stderr, "issuer config: haip needs wallet_providers (the trusted wallet "
                        "providers' certificates or public keys)\n");
        return MOBID_ERR_MALFORMED;
    }
    if ((err = mobid_trust_new(&ctx->wallet_roots)) != MOBID_OK)
        return err;
    for (size_t i = 0; err == MOBID_OK && i < ctx->cfg.nhaip_providers; i++)
        err = provider_load(ctx, ctx->cfg.haip_providers[i]);
    return err;
bad:
    fprintf(stderr, "issuer config: haip must be an object with enabled, pre_authorized "
                    "(true or false) and wallet_providers\n");
    return MOBID_ERR_MALFORMED;
}

void issuer_haip_free(issuer_ctx *ctx)
{
    for (size_t i = 0; i < ctx->nwallet_keys; i++)
        mobid_key_free(ctx->wallet_keys[i]);
    free(ctx->wallet_keys);
    mobid_trust_free(ctx->wallet_roots);
    ctx->wallet_keys = NULL;
    ctx->wallet_roots = NULL;
    ctx->nwallet_keys = 0;
}

char *authz_url_of(const issuer_ctx *ctx, const char *path)
{
    size_t n = strlen(ctx->cfg.issuer_url) + strlen(path) + 1;
    char *u = malloc(n);
    if (u)
        snprintf(u, n, "%s%s", ctx->cfg.issuer_url, path);
    return u;
}

mobid_err issuer_haip_as_metadata(const issuer_ctx *ctx, json_t *j)
{
    char *par = authz_url_of(ctx, "/par"), *authz = authz_url_of(ctx, "/authorize");
    json_t *grants = json_object_get(j, "grant_types_supported"), *more = NULL;
    mobid_err err = MOBID_ERR_NOMEM;
    if (!par || !authz || !grants)
        goto done;
    if (!ctx->haip_pre_auth) {
        json_array_remove(grants, 0); /* the pre-authorized grant, listed first */
        json_object_del(j, "pre-authorized_grant_anonymous_access_supported");
    }
    more = json_pack("{s:s,s:s,s:b,s:[s],s:[s],s:[s],s:b,s:[s],s:[s],s:[s],s:[s]}",
            "authorization_endpoint", authz, "pushed_authorization_request_endpoint", par,
            "require_pushed_authorization_requests", 1, "response_types_supported", "code",
            "response_modes_supported", "query", "code_challenge_methods_supported", "S256",
            "authorization_response_iss_parameter_supported", 1,
            "token_endpoint_auth_methods_supported", MOBID_OID4VCI_AUTH_ATTEST,
            "client_attestation_signing_alg_values_supported", "ES256",
            "client_attestation_pop_signing_alg_values_supported", "ES256",
            "authorization_details_types_supported", "openid_credential");
    if (more && !json_array_insert_new(grants, 0, json_string(MOBID_OID4VCI_GRANT_AUTH_CODE)) &&
        !json_object_update(j, more))
        err = MOBID_OK;
done:
    json_decref(more);
    free(par);
    free(authz);
    return err;
}

/* ---- wallet attestation ---- */

/* The request's attestation headers checked against the trusted wallet providers;
 * why gets the stable name of the failure. */
mobid_err authz_client_attest(issuer_ctx *ctx, mobid_http_req *req,
                               mobid_oid4vci_attestation *out, char *why, size_t why_len)
{
    const char *att = mobid_http_req_header(req, MOBID_OID4VCI_ATTESTATION_HEADER);
    const char *pop = mobid_http_req_header(req, MOBID_OID4VCI_ATTESTATION_POP_HEADER);
    mobid_oid4vci_attestation_check_params p = {
        .aud = ctx->cfg.issuer_url, .providers = ctx->wallet_keys,
        .n_providers = ctx->nwallet_keys, .provider_roots = ctx->wallet_roots,
    };
    mobid_err err = MOBID_ERR_UNAUTHENTICATED;
    memset(out, 0, sizeof *out);
    if (att && pop)
        err = mobid_oid4vci_attestation_check(mobid_view_str(att), mobid_view_str(pop), &p, out);
    mobid_svc_detail(why, why_len, att && pop ? mobid_svc_err_name(err)
                                   : "wallet attestation required (OAuth-Client-Attestation"
                                     " and OAuth-Client-Attestation-PoP headers)");
    return err;
}

mobid_err authz_invalid_client(mobid_http_resp *resp, const char *why)
{
    mobid_http_resp_header(resp, "WWW-Authenticate", "Attestation");
    return mobid_http_resp_oauth_error(resp, 401, "invalid_client", why);
}

/* The PoP's jti, kept so that a replayed PoP is refused (in the caller's transaction). */
mobid_err authz_pop_use(mobid_store *s, const mobid_oid4vci_attestation *a, bool *fresh)
{
    char key[96];
    snprintf(key, sizeof key, "pop:%s", a->jti);
    return issuer_jti_use(s, key, fresh);
}

/* ---- storage of requests and codes ---- */

static void col_copy(mobid_store_stmt *st, int i, char *out, size_t cap)
{
    mobid_view v = mobid_store_col_text(st, i);
    snprintf(out, cap, "%.*s", (int)(v.len < cap ? v.len : cap - 1), (const char *)v.ptr);
}

mobid_err authz_row_insert(mobid_store *s, const char *hash, const char *kind,
                            const authz_row *r, int64_t lifetime_s)
{
    mobid_store_stmt *st = NULL;
    bool row;
    int64_t now = mobid_now();
    mobid_err err = mobid_store_prepare(
        s, "INSERT INTO issuer_authz (k, kind, offer_id, client_id, redirect_uri, challenge,"
           " state, details, jkt, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7,"
           " $8, $9, $10, $11)", &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, hash);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 2, kind);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 3, r->offer_id);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 4, r->client_id);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 5, r->redirect_uri);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 6, r->challenge);
    if (err == MOBID_OK) err = r->state[0] ? mobid_store_bind_str(st, 7, r->state) : mobid_store_bind_null(st, 7);
    if (err == MOBID_OK) err = r->details ? mobid_store_bind_str(st, 8, r->details) : mobid_store_bind_null(st, 8);
    if (err == MOBID_OK) err = r->jkt[0] ? mobid_store_bind_str(st, 9, r->jkt) : mobid_store_bind_null(st, 9);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 10, now);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 11, now + lifetime_s);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    mobid_store_finalize(st);
    return err;
}

/* The unexpired row of hash (any use state); *found false when there is none.
 * *used tells whether it was used already. */
mobid_err authz_row_read(mobid_store *s, const char *hash, authz_row *r, bool *found, bool *used)
{
    mobid_store_stmt *st = NULL;
    mobid_err err = mobid_store_prepare(
        s, "SELECT kind, offer_id, client_id, redirect_uri, challenge, state, details, jkt,"
           " used_at FROM issuer_authz WHERE k = $1 AND expires_at > $2", &st);
    *found = false;
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, hash);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 2, mobid_now());
    if (err == MOBID_OK) err = mobid_store_step(st, found);
    if (err == MOBID_OK && *found) {
        col_copy(st, 0, r->kind, sizeof r->kind);
        col_copy(st, 1, r->offer_id, sizeof r->offer_id);
        col_copy(st, 2, r->client_id, sizeof r->client_id);
        col_copy(st, 3, r->redirect_uri, sizeof r->redirect_uri);
        col_copy(st, 4, r->challenge, sizeof r->challenge);
        col_copy(st, 5, r->state, sizeof r->state);
        col_copy(st, 7, r->jkt, sizeof r->jkt);
        r->details = mobid_store_col_null(st, 6) ? NULL : mobid_store_col_strdup(st, 6);
        *used = !mobid_store_col_null(st, 8);
    }
    mobid_store_finalize(st);
    return err;
}

/* Mark hash used; *won false when another request used it first. */
mobid_err authz_row_use(mobid_store *s, const char *hash, bool *won)
{
    mobid_store_stmt *st = NULL;
    bool row;
    mobid_err err = mobid_store_prepare(
        s, "UPDATE issuer_authz SET used_at = $1 WHERE k = $2 AND used_at IS NULL", &st);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 1, mobid_now());
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 2, hash);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    *won = err == MOBID_OK && mobid_store_changes(st) == 1;
    mobid_store_finalize(st);
    return err;
}

/* The card type of a redeemable offer, or "" when it is used, void or expired; also
 * its tx_code hash and failures when wanted. */
mobid_err authz_offer_read(mobid_store *s, const char *id, char cardtype[64], char want[65],
                            int64_t *failures)
{
    mobid_store_stmt *st = NULL;
    bool row = false;
    mobid_err err = mobid_store_prepare(
        s, "SELECT cardtype, tx_code_hash, tx_failures FROM issuer_offers WHERE id = $1 AND "
           ISSUER_OFFER_REDEEMABLE " AND killed_at IS NULL AND expires_at > $2", &st);
    cardtype[0] = 0;
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, id);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 2, mobid_now());
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    if (err == MOBID_OK && row) {
        col_copy(st, 0, cardtype, 64);
        if (want)
            col_copy(st, 1, want, 65);
        if (failures)
            *failures = mobid_store_col_int64(st, 2);
    }
    mobid_store_finalize(st);
    return err;
}

