/*
 * issuer: tokens bound to the wallet's key (DPoP, RFC 9449) and the refresh grant
 * that lets a wallet get a new batch of single-use copies without a visit.
 *
 * A wallet that sends a DPoP proof with its pre-authorized code gets a DPoP-bound
 * access token and a refresh token bound to the same key. `grant_type=refresh_token`
 * needs a proof by that key: a refresh token copied to another device is useless.
 * Each grant checks that the card of the offer is still active (not suspended,
 * revoked, replaced or expired) and counts against a cap per card and period; the
 * access token it gives allows one batch per configuration (credential_ep.c counts the
 * credentials issued under that token). Refresh tokens are not rotated: the key binding
 * is the sender constraint RFC 9700 §4.14.2 asks of public clients, and a wallet killed
 * after a rotation would lose its only token.
 *
 * Every DPoP proof's jti is kept (hashed) until the proof could no longer be accepted,
 * so a proof is used once.
 */
#include "services/issuer/issuer.h"
#include "services/issuer/issuer_int.h"

#include <mobid/oid4vci.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Proofs older than this are refused, and their jti kept as long. */
#define DPOP_MAX_AGE_S 300

static mobid_err read_bool(const json_t *sec, const char *key, bool deflt, bool *out)
{
    const json_t *v = json_object_get(sec, key);
    *out = v ? json_is_true(v) : deflt;
    if (v && !json_is_boolean(v)) {
        fprintf(stderr, "issuer config: refresh.%s must be true or false\n", key);
        return MOBID_ERR_MALFORMED;
    }
    return MOBID_OK;
}

static mobid_err read_int(const json_t *sec, const char *key, int64_t min, int64_t max,
                          int64_t deflt, int64_t *out)
{
    const json_t *v = json_object_get(sec, key);
    *out = v ? json_integer_value(v) : deflt;
    if (v && (!json_is_integer(v) || *out < min || *out > max)) {
        fprintf(stderr, "issuer config: refresh.%s must be an integer %lld..%lld\n", key,
                (long long)min, (long long)max);
        return MOBID_ERR_MALFORMED;
    }
    return MOBID_OK;
}

mobid_err issuer_refresh_config(issuer_ctx *ctx)
{
    const json_t *sec = json_object_get(ctx->cfg.raw, "refresh");
    mobid_err err = MOBID_OK;
    if (sec && !json_is_object(sec)) {
        fprintf(stderr, "issuer config: refresh must be an object\n");
        return MOBID_ERR_MALFORMED;
    }
    if (err == MOBID_OK) err = read_bool(sec, "enabled", true, &ctx->refresh_enabled);
    if (err == MOBID_OK) err = read_bool(sec, "dpop_required", false, &ctx->dpop_required);
    if (err == MOBID_OK)
        err = read_int(sec, "max_per_period", 1, 1000, 4, &ctx->refresh_max);
    if (err == MOBID_OK)
        err = read_int(sec, "period_s", 60, 366 * 86400, 86400, &ctx->refresh_period_s);
    return err;
}

mobid_err issuer_random_token(char token[44], char hash[65])
{
    uint8_t rnd[32];
    mobid_buf b = { 0 };
    mobid_err err = mobid_random(rnd, sizeof rnd);
    if (err == MOBID_OK)
        err = mobid_b64url_encode(mobid_view_make(rnd, sizeof rnd), &b);
    if (err == MOBID_OK) {
        memcpy(token, b.ptr, 43);
        token[43] = 0;
        err = issuer_hash_hex(mobid_view_str(token), hash);
    }
    mobid_wipe(rnd, sizeof rnd);
    mobid_buf_free(&b);
    return err;
}

/* ---- DPoP ---- */

mobid_err issuer_dpop_read(issuer_ctx *ctx, mobid_http_req *req, const char *path,
                           const char *access_token, issuer_dpop *out)
{
    const char *hdr = mobid_http_req_header(req, "DPoP");
    char htu[1024];
    memset(out, 0, sizeof *out);
    if (!hdr)
        return MOBID_OK;
    snprintf(htu, sizeof htu, "%s%s", ctx->cfg.issuer_url, path);
    mobid_oid4vci_dpop_check_params p = { .htm = "POST", .htu = htu,
                                          .access_token = access_token,
                                          .max_age_s = DPOP_MAX_AGE_S };
    out->present = true;
    out->err = mobid_oid4vci_dpop_check(mobid_view_str(hdr), &p, &out->proof);
    return out->err == MOBID_ERR_NOMEM ? out->err : MOBID_OK;
}

mobid_err issuer_jti_use(mobid_store *s, const char *jti, bool *fresh)
{
    mobid_store_stmt *st = NULL;
    bool row;
    char hash[65];
    mobid_err err = issuer_hash_hex(mobid_view_str(jti), hash);
    *fresh = false;
    if (err == MOBID_OK)
        err = mobid_store_prepare(s,
                                  "INSERT INTO issuer_dpop_jtis (jti_hash, expires_at)"
                                  " VALUES ($1, $2) ON CONFLICT (jti_hash) DO NOTHING",
                                  &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, hash);
    if (err == MOBID_OK)
        err = mobid_store_bind_int64(st, 2, mobid_now() + DPOP_MAX_AGE_S + 120);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    if (err == MOBID_OK)
        *fresh = mobid_store_changes(st) == 1;
    mobid_store_finalize(st);
    return err;
}

mobid_err issuer_dpop_use(mobid_store *s, const issuer_dpop *d, bool *fresh)
{
    return issuer_jti_use(s, d->proof.jti, fresh);
}

/* ---- the refresh token given with a DPoP-bound pre-authorized token ---- */

mobid_err issuer_refresh_token_new(issuer_ctx *ctx, mobid_store *s, const char *offer_id,
                                   const char *jkt, int64_t lifetime_s, char token[44])
{
    mobid_store_stmt *st = NULL;
    bool row;
    char hash[65];
    int64_t now = mobid_now();
    mobid_err err = issuer_random_token(token, hash);
    (void)ctx;
    if (err == MOBID_OK)
        err = mobid_store_prepare(s,
                                  "INSERT INTO issuer_refresh_tokens (token_hash, offer_id, jkt,"
                                  " created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
                                  &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, hash);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 2, offer_id);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 3, jkt);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 4, now);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 5, now + lifetime_s);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    mobid_store_finalize(st);
    return err;
}

/* ---- grant_type=refresh_token ---- */

typedef struct refresh_tx {
    issuer_ctx *ctx;
    const issuer_dpop *dpop;
    char token_hash[65];
    char access[44];
    /* outputs */
    const char *error, *detail, *card_state;
    bool renewal;             /* the token names a renewal: the next batch is a new card */
    unsigned status;
    int64_t retry_after;
} refresh_tx;

static void refuse(refresh_tx *t, unsigned status, const char *error, const char *detail)
{
    t->status = status;
    t->error = error;
    t->detail = detail;
}

static const char *state_name(int64_t state)
{
    switch (state) {
    case ISSUER_CARD_SUSPENDED: return "suspended";
    case ISSUER_CARD_REVOKED: return "revoked";
    case ISSUER_CARD_REPLACED: return "replaced";
    default: return "expired";
    }
}

/* The card of the offer must be active and within its validity. An offer that renews
 * a card has none yet (renewal.c): the card it renews must be. */
static mobid_err check_card(refresh_tx *t, mobid_store *s, const char *offer_id, char card[23])
{
    mobid_store_stmt *st = NULL;
    bool row = false;
    int64_t state = 0, exp = 0;
    mobid_err err = mobid_store_prepare(
        s, "SELECT id, state, expires_at FROM issuer_cards WHERE offer_id = $1", &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, offer_id);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    if (err == MOBID_OK && row) {
        snprintf(card, 23, "%.*s", (int)mobid_store_col_text(st, 0).len,
                 (const char *)mobid_store_col_text(st, 0).ptr);
        state = mobid_store_col_int64(st, 1);
        exp = mobid_store_col_int64(st, 2);
    }
    mobid_store_finalize(st);
    if (err == MOBID_OK && !row) {
        err = issuer_renewal_of(s, offer_id, card, &row, &state, &exp);
        t->renewal = row;
    }
    if (err != MOBID_OK)
        return err;
    if (!row)
        refuse(t, 400, "invalid_grant", "no card was issued for this refresh token");
    else if (state != ISSUER_CARD_ACTIVE || exp <= mobid_now()) {
        t->card_state = state_name(state == ISSUER_CARD_ACTIVE ? ISSUER_CARD_EXPIRED : state);
        refuse(t, 400, "invalid_grant", "the card is no longer active");
    }
    return MOBID_OK;
}

/* At most refresh_max grants per card in each period (a fixed window per card). */
static mobid_err rate_take(refresh_tx *t, mobid_store *s, const char *card)
{
    mobid_store_stmt *st = NULL;
    bool row = false;
    int64_t now = mobid_now(), start = now, count = 0;
    mobid_err err = mobid_store_prepare(
        s, "SELECT window_start, grants FROM issuer_refresh_rate WHERE card_id = $1", &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, card);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    if (err == MOBID_OK && row && mobid_store_col_int64(st, 0) + t->ctx->refresh_period_s > now) {
        start = mobid_store_col_int64(st, 0);
        count = mobid_store_col_int64(st, 1);
    }
    mobid_store_finalize(st);
    if (err != MOBID_OK)
        return err;
    if (count >= t->ctx->refresh_max) {
        t->retry_after = start + t->ctx->refresh_period_s - now;
        refuse(t, 429, "slow_down", "this card was refreshed too often; try again later");
        return MOBID_OK;
    }
    err = mobid_store_prepare(s,
                              row ? "UPDATE issuer_refresh_rate SET window_start = $2, grants = $3"
                                    " WHERE card_id = $1"
                                  : "INSERT INTO issuer_refresh_rate (card_id, window_start,"
                                    " grants) VALUES ($1, $2, $3)",
                              &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, card);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 2, start);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 3, count + 1);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    mobid_store_finalize(st);
    return err;
}

static mobid_err access_token_new(refresh_tx *t, mobid_store *s, const char *offer_id)
{
    mobid_store_stmt *st = NULL;
    bool row;
    char hash[65];
    int64_t now = mobid_now();
    mobid_err err = issuer_random_token(t->access, hash);
    if (err == MOBID_OK)
        err = mobid_store_prepare(s,
                                  "INSERT INTO issuer_access_tokens (token_hash, offer_id,"
                                  " created_at, expires_at, jkt, refreshed)"
                                  " VALUES ($1, $2, $3, $4, $5, 1)",
                                  &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, hash);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 2, offer_id);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 3, now);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 4, now + t->ctx->cfg.token_lifetime_s);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 5, t->dpop->proof.jkt);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    mobid_store_finalize(st);
    return err;
}

static mobid_err refresh_body(mobid_store *s, void *arg)
{
    refresh_tx *t = arg;
    mobid_store_stmt *st = NULL;
    bool row = false, fresh = false, same_key = false;
    char offer[64] = "", card[23] = "";
    t->error = t->detail = t->card_state = NULL;
    t->renewal = false;
    mobid_err err = issuer_dpop_use(s, t->dpop, &fresh);
    if (err != MOBID_OK || !fresh) {
        refuse(t, 400, "invalid_dpop_proof", "DPoP proof already used");
        return err;
    }
    err = mobid_store_prepare(s,
                              "SELECT offer_id, jkt FROM issuer_refresh_tokens"
                              " WHERE token_hash = $1 AND expires_at > $2",
                              &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, t->token_hash);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 2, mobid_now());
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    if (err == MOBID_OK && row) {
        mobid_view o = mobid_store_col_text(st, 0), k = mobid_store_col_text(st, 1);
        snprintf(offer, sizeof offer, "%.*s", (int)o.len, (const char *)o.ptr);
        same_key = mobid_ct_eq(k, mobid_view_str(t->dpop->proof.jkt));
    }
    mobid_store_finalize(st);
    if (err == MOBID_OK && !row)
        refuse(t, 400, "invalid_grant", "refresh token unknown or expired");
    else if (err == MOBID_OK && !same_key)
        refuse(t, 400, "invalid_grant", "the refresh token is bound to another key");
    if (err == MOBID_OK && !t->error) err = check_card(t, s, offer, card);
    if (err == MOBID_OK && !t->error) err = rate_take(t, s, card);
    if (err == MOBID_OK && !t->error) err = access_token_new(t, s, offer);
    if (err == MOBID_OK && !t->error)
        err = issuer_audit_append(t->ctx, s, "holder", "card.refresh", card,
                                  t->renewal ? "{\"renewal\":true}" : NULL);
    return err;
}

static mobid_err refresh_refusal(refresh_tx *t, mobid_http_resp *resp)
{
    char secs[24];
    json_t *j = json_pack("{s:s,s:s}", "error", t->error, "error_description", t->detail);
    if (j && t->card_state)
        json_object_set_new(j, "card_state", json_string(t->card_state));
    if (t->status == 429) {
        snprintf(secs, sizeof secs, "%lld", (long long)(t->retry_after > 0 ? t->retry_after : 1));
        mobid_http_resp_header(resp, "Retry-After", secs);
    }
    mobid_http_resp_header(resp, "Cache-Control", "no-store");
    mobid_err err = j ? mobid_http_resp_json(resp, t->status, j) : MOBID_ERR_NOMEM;
    json_decref(j);
    return err;
}

mobid_err issuer_refresh_grant(issuer_ctx *ctx, mobid_http_req *req, mobid_http_resp *resp,
                               const char *refresh_token, const issuer_dpop *dpop)
{
    refresh_tx t = { .ctx = ctx, .dpop = dpop };
    mobid_store *s = NULL;
    mobid_err err;
    (void)req;
    if (!ctx->refresh_enabled)
        return mobid_http_resp_oauth_error(resp, 400, "unsupported_grant_type",
                                           "this issuer does not refresh credentials");
    if (!refresh_token || strlen(refresh_token) > 128)
        return mobid_http_resp_oauth_error(resp, 400, "invalid_request", "refresh_token missing");
    if (!dpop->present || dpop->err != MOBID_OK) {
        mobid_http_resp_header(resp, "WWW-Authenticate", "DPoP error=\"invalid_dpop_proof\"");
        return mobid_http_resp_oauth_error(resp, 400, "invalid_dpop_proof",
                                           dpop->present ? mobid_svc_err_name(dpop->err)
                                                         : "a DPoP proof is required");
    }
    if ((err = issuer_hash_hex(mobid_view_str(refresh_token), t.token_hash)) != MOBID_OK ||
        (err = issuer_db(ctx, &s)) != MOBID_OK)
        return err;
    err = mobid_store_tx(s, 0, refresh_body, &t);
    issuer_db_release(ctx, s);
    if (err == MOBID_OK && t.error)
        err = refresh_refusal(&t, resp);
    else if (err == MOBID_OK) {
        json_t *j = json_pack("{s:s,s:s,s:I}", "access_token", t.access, "token_type", "DPoP",
                              "expires_in", (json_int_t)ctx->cfg.token_lifetime_s);
        /* the wallet replaces every copy (not only the used ones) with a full batch */
        if (j && t.renewal)
            json_object_set_new(j, "card_renewal", json_true());
        mobid_http_resp_header(resp, "Cache-Control", "no-store");
        err = j ? mobid_http_resp_json(resp, 200, j) : MOBID_ERR_NOMEM;
        json_decref(j);
    }
    mobid_wipe(t.access, sizeof t.access);
    return err;
}
