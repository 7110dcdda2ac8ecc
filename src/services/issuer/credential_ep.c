/*
 * issuer: POST /credential (OpenID4VCI 1.0 §8). The access token names the offer;
 * each jwt proof (up to batch_size) must be fresh — its c_nonce is consumed here,
 * once — and name a distinct holder key. One offer gives at most one batch per
 * configuration (batch_size credentials); then credential_request_denied. Everything is decided and written in one
 * transaction: the card (replacing the person's previous card of this type, whose
 * credentials become INVALID), a fresh status index and a record per credential.
 * The credentials leave only after the commit, so none exists without its record.
 */
#include "services/issuer/issuer.h"
#include "services/issuer/issuer_int.h"

#include <mobid/oid4vci.h>

#include "http/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Prometheus counter of credentials issued (one per proof answered). */
#define ISSUER_METRIC "mobid_issuer_credentials_issued_total"

typedef struct cred_tx {
    issuer_ctx *ctx;
    char token_hash[65];
    const issuer_cardtype *ct;
    unsigned fmt;
    mobid_oid4vci_proof *proofs;
    size_t n;
    bool dpop_scheme;         /* Authorization: DPoP (else Bearer) */
    issuer_dpop dpop;         /* the request's DPoP proof, checked before the database */
    bool refreshed;           /* the token came from a refresh grant: a batch of its own */
    /* outputs (reset at the start of each run) */
    const char *oauth_error, *detail;
    json_t *creds;
    bool replaced;
} cred_tx;

typedef struct offer_row {
    char id[64], cardtype[64], person[80];
    char *app, *sealed;
    char jkt[44];             /* "" for a bearer token */
} offer_row;

static mobid_err load_offer(cred_tx *t, mobid_store *s, offer_row *o)
{
    mobid_store_stmt *st = NULL;
    bool row = false;
    mobid_err err = mobid_store_prepare(
        s,
        "SELECT o.id, o.cardtype, o.person_ref, o.application_id, o.claims_sealed, t.jkt,"
        " t.refreshed FROM"
        " issuer_access_tokens t JOIN issuer_offers o ON o.id = t.offer_id"
        " WHERE t.token_hash = $1 AND t.expires_at > $2",
        &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, t->token_hash);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 2, mobid_now());
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    if (err == MOBID_OK && row) {
        mobid_view v[3] = { mobid_store_col_text(st, 0), mobid_store_col_text(st, 1),
                            mobid_store_col_text(st, 2) };
        snprintf(o->id, sizeof o->id, "%.*s", (int)v[0].len, (const char *)v[0].ptr);
        snprintf(o->cardtype, sizeof o->cardtype, "%.*s", (int)v[1].len, (const char *)v[1].ptr);
        snprintf(o->person, sizeof o->person, "%.*s", (int)v[2].len, (const char *)v[2].ptr);
        o->app = mobid_store_col_strdup(st, 3);
        o->sealed = mobid_store_col_strdup(st, 4);
        mobid_view k = mobid_store_col_text(st, 5);
        snprintf(o->jkt, sizeof o->jkt, "%.*s", (int)k.len, k.ptr ? (const char *)k.ptr : "");
        t->refreshed = mobid_store_col_int64(st, 6) != 0;
        if (!o->sealed)
            err = MOBID_ERR_NOMEM;
    } else if (err == MOBID_OK) {
        t->oauth_error = "invalid_token";
        t->detail = "access token unknown or expired";
    }
    mobid_store_finalize(st);
    return err;
}

/* A token bound to a key (RFC 9449 §7) is only good with a fresh DPoP proof by that
 * key made for this token; a bearer token only with the Bearer scheme. */
static mobid_err check_binding(cred_tx *t, mobid_store *s, const offer_row *o)
{
    bool fresh = false;
    mobid_err err = MOBID_OK;
    if (!o->jkt[0] && !t->dpop_scheme)
        return MOBID_OK;
    t->oauth_error = "invalid_token";
    t->detail = "the access token is bound to a key: DPoP scheme and proof required";
    if (!o->jkt[0] || !t->dpop_scheme)
        return MOBID_OK;
    t->oauth_error = "invalid_dpop_proof";
    t->detail = t->dpop.present ? mobid_svc_err_name(t->dpop.err) : "DPoP proof missing";
    if (!t->dpop.present || t->dpop.err != MOBID_OK)
        return MOBID_OK;
    t->detail = "the DPoP proof is made with another key than the token's";
    if (!mobid_ct_eq(mobid_view_str(o->jkt), mobid_view_str(t->dpop.proof.jkt)))
        return MOBID_OK;
    t->detail = "DPoP proof already used";
    if ((err = issuer_dpop_use(s, &t->dpop, &fresh)) == MOBID_OK && fresh)
        t->oauth_error = t->detail = NULL;
    return err;
}

static mobid_err consume_nonces(cred_tx *t, mobid_store *s)
{
    mobid_store_stmt *st = NULL;
    bool row;
    mobid_err err = mobid_store_prepare(
        s,
        "UPDATE issuer_nonces SET used_at = $1 WHERE nonce = $2 AND used_at IS NULL"
        " AND expires_at > $1",
        &st);
    for (size_t i = 0; i < t->n && err == MOBID_OK && !t->oauth_error; i++) {
        bool seen = false; /* proofs of one batch may share one c_nonce */
        for (size_t k = 0; k < i; k++)
            seen |= !strcmp(t->proofs[k].nonce, t->proofs[i].nonce);
        if (seen)
            continue;
        if ((err = mobid_store_reset(st)) == MOBID_OK &&
            (err = mobid_store_bind_int64(st, 1, mobid_now())) == MOBID_OK &&
            (err = mobid_store_bind_str(st, 2, t->proofs[i].nonce)) == MOBID_OK &&
            (err = mobid_store_step(st, &row)) == MOBID_OK && mobid_store_changes(st) != 1) {
            t->oauth_error = "invalid_nonce";
            t->detail = "c_nonce unknown, already used or expired";
        }
    }
    mobid_store_finalize(st);
    return err;
}

/* The card of this offer; created on the first credential request, replacing the
 * person's active or suspended card of the same type. */

/* The application reads "card issued" from the moment its card exists, in the same
 * transaction (not when someone next reads it), with its own audit entry. */
static mobid_err mark_app_issued(issuer_ctx *ctx, mobid_store *s, const char *app,
                                 const char *card, int64_t now)
{
    mobid_store_stmt *st = NULL;
    char detail[64];
    bool row;
    mobid_err err = mobid_store_prepare(s, "UPDATE issuer_applications SET state = 'card_issued',"
                                           " updated_at = $2 WHERE id = $1"
                                           " AND state = 'offer_issued'", &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, app);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 2, now);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    bool moved = err == MOBID_OK && mobid_store_changes(st) == 1;
    mobid_store_finalize(st);
    snprintf(detail, sizeof detail, "{\"card\":\"%.40s\"}", card);
    if (moved)
        err = issuer_audit_append(ctx, s, "system", "application.card_issued", app, detail);
    return err;
}

/* The refresh tokens of a renewal offer live as long as the new card. */
static mobid_err renewal_tokens(mobid_store *s, const char *offer_id, int64_t exp)
{
    mobid_store_stmt *st = NULL;
    bool row;
    mobid_err err = mobid_store_prepare(s, "UPDATE issuer_refresh_tokens SET expires_at = $2"
                                           " WHERE offer_id = $1", &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, offer_id);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 2, exp);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    mobid_store_finalize(st);
    return err;
}

/* The person's previous card(s) of this type (active or suspended) are superseded by
 * card: their copies read INVALID from this transaction on. */
static mobid_err replace_previous(cred_tx *t, mobid_store *s, const offer_row *o,
                                  const char *card, bool renewal)
{
    mobid_store_stmt *st = NULL;
    char old[8][64], detail[64];
    size_t nold = 0;
    bool row = false;
    mobid_err err = mobid_store_prepare(
        s, "SELECT id FROM issuer_cards WHERE person_ref = $1 AND cardtype = $2"
           " AND state IN (0, 2)", &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, o->person);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 2, o->cardtype);
    while (err == MOBID_OK && nold < 8 && (err = mobid_store_step(st, &row)) == MOBID_OK && row)
        snprintf(old[nold++], 64, "%.*s", (int)mobid_store_col_text(st, 0).len,
                 (const char *)mobid_store_col_text(st, 0).ptr);
    mobid_store_finalize(st);
    snprintf(detail, sizeof detail, "{\"by\":\"%s\"}", card);
    for (size_t i = 0; i < nold && err == MOBID_OK; i++) {
        err = issuer_card_set_state(s, old[i], ISSUER_CARD_REPLACED,
                                    renewal ? "renewed" : "delivered to a new phone");
        if (err == MOBID_OK) err = issuer_status_set_card(s, old[i], 1);
        if (err == MOBID_OK)
            err = issuer_audit_append(t->ctx, s, "system", "card.replace", old[i], detail);
        t->replaced = true;
    }
    return err;
}

static mobid_err card_for_offer(cred_tx *t, mobid_store *s, const offer_row *o, char card[23],
                                int64_t *exp)
{
    mobid_store_stmt *st = NULL;
    bool row = false;
    int64_t now = mobid_now();
    mobid_err err = mobid_store_prepare(
        s, "SELECT id, state, expires_at FROM issuer_cards WHERE offer_id = $1", &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, o->id);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    if (err == MOBID_OK && row) {
        snprintf(card, 23, "%.*s", (int)mobid_store_col_text(st, 0).len,
                 (const char *)mobid_store_col_text(st, 0).ptr);
        *exp = mobid_store_col_int64(st, 2);
        if (mobid_store_col_int64(st, 1) != ISSUER_CARD_ACTIVE || *exp <= now) {
            t->oauth_error = "invalid_token";
            t->detail = "the card of this offer is no longer active";
        }
    }
    mobid_store_finalize(st);
    if (err != MOBID_OK || row)
        return err;
    /* a refresh creates a card only for an offer that renews one still standing */
    char renews[23] = "";
    bool renewal = false;
    int64_t old_state = 0, old_exp = 0;
    if (t->refreshed && (err = issuer_renewal_of(s, o->id, renews, &renewal, &old_state,
                                                 &old_exp)) != MOBID_OK)
        return err;
    if (t->refreshed && (!renewal || old_state != ISSUER_CARD_ACTIVE || old_exp <= now)) {
        t->oauth_error = "invalid_token";
        t->detail = "the card of this offer is no longer active";
        return MOBID_OK;
    }
    if ((err = issuer_new_id(card)) != MOBID_OK)
        return err;
    err = replace_previous(t, s, o, card, renewal);
    *exp = now + t->ct->validity_s;
    if (err == MOBID_OK && renewal)
        err = renewal_tokens(s, o->id, *exp);
    if (err == MOBID_OK)
        err = mobid_store_prepare(s,
                                  "INSERT INTO issuer_cards (id, offer_id, application_id, cardtype,"
                                  " person_ref, state, issued_at, expires_at, updated_at)"
                                  " VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $6)",
                                  &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, card);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 2, o->id);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 3, o->app);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 4, o->cardtype);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 5, o->person);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 6, now);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 7, *exp);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    mobid_store_finalize(st);
    char detail[64];
    snprintf(detail, sizeof detail, "{\"renews\":\"%s\"}", renews);
    if (err == MOBID_OK)
        err = issuer_audit_append(t->ctx, s, "holder", "card.issue", card,
                                  renewal ? detail : NULL);
    if (err == MOBID_OK && o->app)
        err = mark_app_issued(t->ctx, s, o->app, card, now);
    return err;
}

static mobid_err record_credential(mobid_store *s, const char *card, const char *fmt,
                                   const char *jkt, const char *signer, const char *list,
                                   int64_t idx, int64_t now, int64_t exp, mobid_view cred,
                                   const char *grant)
{
    mobid_store_stmt *st = NULL;
    bool row;
    char id[23], digest[65];
    mobid_err err = issuer_new_id(id);
    if (err == MOBID_OK) err = issuer_hash_hex(cred, digest);
    if (err == MOBID_OK)
        err = mobid_store_prepare(
            s,
            "INSERT INTO issuer_credentials (id, card_id, format, holder_jkt, signer_id, list_id,"
            " status_idx, issued_at, expires_at, digest, grant_hash)"
            " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)",
            &st);
    const char *txt[6] = { id, card, fmt, jkt, signer, list };
    for (int i = 0; i < 6 && err == MOBID_OK; i++)
        err = mobid_store_bind_str(st, i + 1, txt[i]);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 7, idx);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 8, now);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 9, exp);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 10, digest);
    if (err == MOBID_OK)
        err = grant ? mobid_store_bind_str(st, 11, grant) : mobid_store_bind_null(st, 11);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    mobid_store_finalize(st);
    return err;
}

static mobid_err issue_one(cred_tx *t, mobid_store *s, const char *card, const json_t *claims,
                           const issuer_signer *signer, const mobid_oid4vci_proof *p, int64_t exp)
{
    char *list = NULL, uri[1024];
    int64_t idx = 0, now = mobid_now();
    mobid_buf cred = { 0 };
    /* a copy never outlives its signer: past the DS notAfter, verifiers would refuse a
     * card still within its validity (CERT_EXPIRED); the card itself keeps its expiry */
    if (exp > signer->not_after)
        exp = signer->not_after;
    mobid_err err = issuer_status_alloc(t->ctx, s, &list, &idx);
    if (err == MOBID_OK) err = issuer_status_uri(t->ctx, list, uri, sizeof uri);
    issuer_cred_in in = { t->ct, t->fmt, claims, signer, p->holder, t->ctx->cfg.issuer_url,
                          card, uri, (uint64_t)idx, now, exp };
    if (err == MOBID_OK) err = issuer_credential_build(&in, &cred);
    if (err == MOBID_OK)
        err = record_credential(s, card, t->fmt == ISSUER_FMT_MDOC ? "mso_mdoc" : "dc+sd-jwt",
                                p->jkt, signer->id, list, idx, now, exp, mobid_buf_view(&cred),
                                t->refreshed ? t->token_hash : NULL);
    if (err == MOBID_OK) {
        json_t *c = json_pack("{s:s%}", "credential", (const char *)cred.ptr, cred.len);
        if (!c || json_array_append_new(t->creds, c))
            err = MOBID_ERR_NOMEM;
    }
    free(list);
    mobid_buf_free(&cred);
    return err;
}

static mobid_err open_claims(cred_tx *t, const offer_row *o, json_t **claims)
{
    mobid_buf raw = { 0 }, plain = { 0 };
    mobid_err err = mobid_b64url_decode(mobid_view_str(o->sealed), &raw);
    if (err == MOBID_OK)
        err = issuer_unseal(t->ctx, mobid_view_str(o->id), mobid_buf_view(&raw), &plain);
    if (err == MOBID_OK) {
        *claims = json_loadb((const char *)plain.ptr, plain.len, 0, NULL);
        err = *claims ? MOBID_OK : MOBID_ERR_MALFORMED;
    }
    mobid_buf_free(&raw);
    mobid_buf_free(&plain);
    return err;
}

/* One batch per offer and configuration: the proofs of this request and every
 * credential of this format already on the offer's card fit in batch_size. A key
 * that already holds a credential of the card does not count again: a wallet whose
 * answer was lost (killed, network down) asks again with the same device keys and
 * gets their credentials anew, never more keys than the batch. */
static mobid_err batch_left(cred_tx *t, mobid_store *s, const char *card)
{
    mobid_store_stmt *st = NULL;
    bool row = false;
    int64_t held = 0, again = 0;
    const char *fmt = t->fmt == ISSUER_FMT_MDOC ? "mso_mdoc" : "dc+sd-jwt";
    /* a refreshed token counts only what was issued under it ('' never matches) */
    const char *grant = t->refreshed ? t->token_hash : "";
    mobid_err err = mobid_store_prepare(
        s,
        "SELECT count(*) FROM issuer_credentials WHERE card_id = $1 AND format = $2"
        " AND ($3 = '' OR grant_hash = $3)",
        &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, card);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 2, fmt);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 3, grant);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    if (err == MOBID_OK && row) held = mobid_store_col_int64(st, 0);
    mobid_store_finalize(st);
    st = NULL;
    if (err == MOBID_OK && held > 0)
        err = mobid_store_prepare(s,
                                  "SELECT count(*) FROM issuer_credentials WHERE card_id = $1"
                                  " AND format = $2 AND holder_jkt = $3"
                                  " AND ($4 = '' OR grant_hash = $4)",
                                  &st);
    for (size_t i = 0; err == MOBID_OK && held > 0 && i < t->n; i++) {
        if ((err = mobid_store_reset(st)) == MOBID_OK &&
            (err = mobid_store_bind_str(st, 1, card)) == MOBID_OK &&
            (err = mobid_store_bind_str(st, 2, fmt)) == MOBID_OK &&
            (err = mobid_store_bind_str(st, 3, t->proofs[i].jkt)) == MOBID_OK &&
            (err = mobid_store_bind_str(st, 4, grant)) == MOBID_OK &&
            (err = mobid_store_step(st, &row)) == MOBID_OK && row)
            again += mobid_store_col_int64(st, 0) > 0;
    }
    mobid_store_finalize(st);
    if (err == MOBID_OK && held + (int64_t)t->n - again > (int64_t)t->ctx->cfg.batch_size) {
        t->oauth_error = "credential_request_denied";
        t->detail = "the credentials of this offer and configuration were issued already";
    }
    return err;
}

static mobid_err cred_body(mobid_store *s, void *arg)
{
    cred_tx *t = arg;
    offer_row o = { 0 };
    json_t *claims = NULL;
    char card[23];
    int64_t exp = 0;
    t->oauth_error = t->detail = NULL;
    t->replaced = t->refreshed = false;
    json_decref(t->creds);
    t->creds = json_array();
    const issuer_signer *signer = issuer_pki_current_ds(t->ctx->pki, mobid_now());
    mobid_err err = t->creds && signer ? MOBID_OK : MOBID_ERR_NOMEM;
    if (!signer)
        err = MOBID_ERR_NOT_FOUND; /* no usable document signer: a 500 */
    if (err == MOBID_OK) err = load_offer(t, s, &o);
    if (err == MOBID_OK && !t->oauth_error) err = check_binding(t, s, &o);
    if (err == MOBID_OK && !t->oauth_error && strcmp(o.cardtype, t->ct->id)) {
        t->oauth_error = "unknown_credential_configuration";
        t->detail = "this offer is for another card type";
    }
    if (err == MOBID_OK && !t->oauth_error) err = consume_nonces(t, s);
    if (err == MOBID_OK && !t->oauth_error) err = open_claims(t, &o, &claims);
    if (err == MOBID_OK && !t->oauth_error) err = card_for_offer(t, s, &o, card, &exp);
    if (err == MOBID_OK && !t->oauth_error) err = batch_left(t, s, card);
    for (size_t i = 0; i < t->n && err == MOBID_OK && !t->oauth_error; i++)
        err = issue_one(t, s, card, claims, signer, &t->proofs[i], exp);
    json_decref(claims);
    free(o.app);
    free(o.sealed);
    /* an OAuth error is a decision, not a failure: commit what it consumed (nonces) */
    return err;
}

/* Parse the request and check every proof (no database yet). */
static mobid_err check_request(cred_tx *t, mobid_http_req *req, json_t **body)
{
    mobid_oid4vci_credreq cr;
    mobid_err err = mobid_http_req_json(req, body);
    t->detail = "body must be a JSON credential request";
    t->oauth_error = "invalid_credential_request";
    if (err != MOBID_OK || (err = mobid_oid4vci_credreq_read(*body, &cr)) != MOBID_OK) {
        if (err == MOBID_ERR_NOT_FOUND) {
            t->oauth_error = "invalid_proof";
            t->detail = "no proof";
        }
        return MOBID_OK;
    }
    /* credential_identifiers given at /token are the configuration ids themselves */
    if (!(t->ct = issuer_cardtype_by_config_id(t->ctx, cr.config_id, &t->fmt))) {
        t->oauth_error = cr.by_identifier ? "unknown_credential_identifier"
                                          : "unknown_credential_configuration";
        t->detail = cr.by_identifier ? "unknown credential_identifier"
                                     : "unknown credential_configuration_id";
        return MOBID_OK;
    }
    /* The metadata offers no credential_response_encryption: a wallet asking for it
     * must not get plaintext it believes encrypted (OpenID4VCI 1.0 §8.3.1.2). */
    if (json_object_get(*body, "credential_response_encryption")) {
        t->oauth_error = "invalid_encryption_parameters";
        t->detail = "credential response encryption is not supported by this issuer";
        return MOBID_OK;
    }
    if (cr.n_jwts > t->ctx->cfg.batch_size) {
        t->detail = "more proofs than the batch size";
        return MOBID_OK;
    }
    if (!(t->proofs = calloc(cr.n_jwts, sizeof *t->proofs)))
        return MOBID_ERR_NOMEM;
    mobid_oid4vci_proof_check_params pp = { .aud = t->ctx->cfg.issuer_url,
                                            .max_age_s = t->ctx->cfg.nonce_lifetime_s };
    t->oauth_error = "invalid_proof";
    for (t->n = 0; t->n < cr.n_jwts; t->n++) {
        err = mobid_oid4vci_proof_check(mobid_view_str(cr.jwts[t->n]), &pp, &t->proofs[t->n]);
        if (err != MOBID_OK) {
            t->detail = mobid_svc_err_name(err);
            return err == MOBID_ERR_NOMEM ? err : MOBID_OK;
        }
        for (size_t k = 0; k < t->n; k++)
            if (!strcmp(t->proofs[k].jkt, t->proofs[t->n].jkt)) {
                t->detail = "two proofs for one key";
                t->n++;
                return MOBID_OK;
            }
    }
    t->oauth_error = t->detail = NULL;
    return MOBID_OK;
}

/* The access token of "Authorization: Bearer <t>" or "Authorization: DPoP <t>". */
static const char *access_token(mobid_http_req *req, bool *dpop)
{
    const char *h = mobid_http_req_header(req, "Authorization");
    *dpop = h && !strncasecmp(h, "DPoP ", 5);
    if (!*dpop)
        return mobid_http_req_bearer(req);
    for (h += 5; *h == ' '; h++)
        ;
    return *h ? h : NULL;
}

static mobid_err on_credential(mobid_http_req *req, mobid_http_resp *resp, void *arg)
{
    cred_tx t = { .ctx = arg };
    json_t *body = NULL;
    mobid_store *s = NULL;
    const char *bearer = access_token(req, &t.dpop_scheme);
    mobid_err err = MOBID_OK;
    if (!bearer || strlen(bearer) > 128) {
        mobid_http_resp_header(resp, "WWW-Authenticate",
                               "Bearer error=\"invalid_token\", DPoP algs=\"ES256\"");
        return mobid_http_resp_oauth_error(resp, 401, "invalid_token", "access token required");
    }
    if ((err = issuer_dpop_read(t.ctx, req, "/credential", bearer, &t.dpop)) != MOBID_OK ||
        (err = issuer_hash_hex(mobid_view_str(bearer), t.token_hash)) != MOBID_OK ||
        (err = check_request(&t, req, &body)) != MOBID_OK || t.oauth_error)
        goto done;
    if ((err = issuer_db(t.ctx, &s)) == MOBID_OK)
        err = mobid_store_tx(s, 0, cred_body, &t);
    if (err == MOBID_OK && t.replaced && issuer_statuslists_refresh(t.ctx, s) != MOBID_OK)
        fprintf(stderr, "issuer: status lists not re-signed yet (retried when served)\n");
    issuer_db_release(t.ctx, s);
done:
    if (err == MOBID_OK && t.oauth_error)
        err = mobid_http_resp_oauth_error(resp,
                                          strcmp(t.oauth_error, "invalid_token") &&
                                                  strcmp(t.oauth_error, "invalid_dpop_proof")
                                              ? 400
                                              : 401,
                                          t.oauth_error, t.detail);
    else if (err == MOBID_OK) {
        const char *labels[] = { "format", t.fmt == ISSUER_FMT_MDOC ? "mso_mdoc" : "dc+sd-jwt",
                                 "card_type", t.ct->id, NULL };
        mobid_metrics_add(mobid_http_server_metrics(mobid_http_req_server(req)), ISSUER_METRIC,
                          labels, (double)json_array_size(t.creds));
        json_t *j = json_pack("{s:O}", "credentials", t.creds);
        mobid_http_resp_header(resp, "Cache-Control", "no-store");
        err = j ? mobid_http_resp_json(resp, 200, j) : MOBID_ERR_NOMEM;
        json_decref(j);
    }
    for (size_t i = 0; i < t.n; i++)
        mobid_oid4vci_proof_clear(&t.proofs[i]);
    free(t.proofs);
    json_decref(t.creds);
    json_decref(body);
    return err;
}

mobid_err issuer_routes_credential(mobid_http_server *srv, issuer_ctx *ctx)
{
    mobid_err err = mobid_metrics_declare(mobid_http_server_metrics(srv), ISSUER_METRIC,
                                          "Credentials issued, by format and card type",
                                          MOBID_METRIC_COUNTER);
    if (err == MOBID_OK)
        err = mobid_http_route(srv, "POST", "/credential", on_credential, ctx);
    return err;
}
