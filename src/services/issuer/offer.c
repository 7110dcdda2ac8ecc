/*
 * issuer: credential offers. An approved application becomes an offer: a single-use
 * pre-authorized code (stored as SHA-256), a tx_code given to the holder separately
 * (stored as an HMAC under the lookup key, so a database dump does not reveal it) and
 * the card's claim values sealed under the data key.
 */
#include "services/issuer/issuer.h"
#include "services/issuer/issuer_int.h"

#include <mobid/jose.h>
#include <mobid/oid4vci.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

mobid_err issuer_hash_hex(mobid_view in, char out[65])
{
    uint8_t d[MOBID_HASH_MAX];
    mobid_buf hex = { 0 };
    mobid_err err = mobid_hash(MOBID_HASH_SHA256, in, d);
    if (err == MOBID_OK)
        err = mobid_hex_encode(mobid_view_make(d, 32), &hex);
    if (err == MOBID_OK) {
        memcpy(out, hex.ptr, 64);
        out[64] = 0;
    }
    mobid_buf_free(&hex);
    return err;
}

mobid_err issuer_tx_code_hash(const issuer_ctx *ctx, const char *offer_id, const char *tx_code,
                              char out[65])
{
    char msg[128];
    snprintf(msg, sizeof msg, "tx_code:%s:%s", offer_id, tx_code);
    return issuer_lookup_hash(ctx, mobid_view_str(msg), out);
}

/* The pre-authorized code is an HMAC of the offer id under the lookup key: the
 * database alone (which keeps only its SHA-256) cannot give it back, while the
 * service can serve the offer by reference (GET /offers/{ref}) without storing it. */
mobid_err issuer_offer_code(const issuer_ctx *ctx, const char *offer_id, char out[44])
{
    uint8_t mac[MOBID_HASH_MAX];
    mobid_buf b = { 0 };
    mobid_view parts[2] = { mobid_view_str("pre-authorized_code:"), mobid_view_str(offer_id) };
    mobid_err err = mobid_hmac(MOBID_HASH_SHA256,
                               mobid_view_make(ctx->lookup_key, sizeof ctx->lookup_key), parts, 2,
                               mac);
    if (err == MOBID_OK)
        err = mobid_b64url_encode(mobid_view_make(mac, 32), &b);
    if (err == MOBID_OK && b.len == 43) {
        memcpy(out, b.ptr, 43);
        out[43] = 0;
    } else if (err == MOBID_OK) {
        err = MOBID_ERR_CRYPTO;
    }
    mobid_wipe(mac, sizeof mac);
    mobid_buf_free(&b);
    return err;
}

/* The offer's reference: "<id>.<22 base64url of HMAC(lookup key, offer-ref:id)>".
 * Officers see offer ids in listings; only the holder's QR carries the reference, so
 * a colleague who knows the id cannot fetch the pre-authorized code by reference
 * (and then void the offer with wrong tx_codes). */
mobid_err issuer_offer_ref(const issuer_ctx *ctx, const char *offer_id, char out[96])
{
    uint8_t mac[MOBID_HASH_MAX];
    mobid_buf b = { 0 };
    mobid_view parts[2] = { mobid_view_str("offer-ref:"), mobid_view_str(offer_id) };
    mobid_err err = strlen(offer_id) < 64 ? MOBID_OK : MOBID_ERR_INVALID_ARG;

    if (err == MOBID_OK)
        err = mobid_hmac(MOBID_HASH_SHA256,
                         mobid_view_make(ctx->lookup_key, sizeof ctx->lookup_key), parts, 2, mac);
    if (err == MOBID_OK)
        err = mobid_b64url_encode(mobid_view_make(mac, 16), &b);
    if (err == MOBID_OK)
        snprintf(out, 96, "%s.%.*s", offer_id, (int)b.len, (const char *)b.ptr);
    mobid_buf_free(&b);
    return err;
}

mobid_err issuer_offer_ref_check(const issuer_ctx *ctx, const char *ref, char id[64])
{
    const char *dot = ref ? strrchr(ref, '.') : NULL;
    char want[96];

    if (!dot || dot == ref || (size_t)(dot - ref) >= 64)
        return MOBID_ERR_NOT_FOUND;
    snprintf(id, 64, "%.*s", (int)(dot - ref), ref);
    if (issuer_offer_ref(ctx, id, want) != MOBID_OK ||
        !mobid_ct_eq(mobid_view_str(want), mobid_view_str(ref)))
        return MOBID_ERR_NOT_FOUND;
    return MOBID_OK;
}

static mobid_err random_digits(char *out, unsigned n)
{
    uint8_t rnd[32];
    unsigned i = 0;
    while (i < n) {
        mobid_err err = mobid_random(rnd, sizeof rnd);
        if (err != MOBID_OK)
            return err;
        for (size_t k = 0; k < sizeof rnd && i < n; k++)
            if (rnd[k] < 250) /* reject 250..255 so every digit is equally likely */
                out[i++] = (char)('0' + rnd[k] % 10);
    }
    out[n] = 0;
    return MOBID_OK;
}

/* The claims must be an object naming only the card type's claims, with every
 * required one present; computed claims (age_over_NN) are never supplied. */
static mobid_err claims_check(const issuer_cardtype *ct, const json_t *claims,
                              char *detail, size_t detail_len)
{
    const char *key;
    const json_t *v;
    mobid_svc_detail(detail, detail_len, "claims must be a JSON object");
    if (!json_is_object(claims))
        return MOBID_ERR_INVALID_ARG;
    json_object_foreach((json_t *)claims, key, v) {
        size_t i = 0;
        while (i < ct->nclaims && strcmp(ct->claims[i].name, key))
            i++;
        mobid_svc_detail(detail, detail_len,
                         "claim not defined for this card type, or computed by the issuer");
        if (i == ct->nclaims || ct->claims[i].kind == ISSUER_CLAIM_COMPUTED)
            return MOBID_ERR_INVALID_ARG;
    }
    for (size_t i = 0; i < ct->nclaims; i++)
        if (ct->claims[i].required && !json_object_get(claims, ct->claims[i].name)) {
            mobid_svc_detail(detail, detail_len, "a required claim of the card type is missing");
            return MOBID_ERR_INVALID_ARG;
        }
    mobid_svc_detail(detail, detail_len, NULL);
    return MOBID_OK;
}

static mobid_err seal_claims(issuer_ctx *ctx, const char *offer_id, const json_t *claims,
                             char **out)
{
    mobid_buf js = { 0 }, sealed = { 0 }, b64 = { 0 };
    mobid_err err = mobid_json_dump(claims, false, &js);
    if (err == MOBID_OK)
        err = issuer_seal(ctx, mobid_view_str(offer_id), mobid_buf_view(&js), &sealed);
    if (err == MOBID_OK)
        err = mobid_b64url_encode(mobid_buf_view(&sealed), &b64);
    if (err == MOBID_OK && !(*out = mobid_view_strdup(mobid_buf_view(&b64))))
        err = MOBID_ERR_NOMEM;
    mobid_buf_free(&js);
    mobid_buf_free(&sealed);
    mobid_buf_free(&b64);
    return err;
}

static mobid_err offer_insert(mobid_store *s, const issuer_offer_req *req, const char *id,
                              const char *sealed, const char *code_hash, const char *tx_hash,
                              int64_t now, int64_t exp)
{
    mobid_store_stmt *st = NULL;
    bool row;
    mobid_err err = mobid_store_prepare(
        s,
        "INSERT INTO issuer_offers (id, application_id, cardtype, person_ref, claims_sealed,"
        " code_hash, tx_code_hash, created_at, expires_at, actor)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, id);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 2, req->application_id);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 3, req->cardtype);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 4, req->person_ref);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 5, sealed);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 6, code_hash);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 7, tx_hash);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 8, now);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 9, exp);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 10, req->actor ? req->actor : "system");
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    mobid_store_finalize(st);
    return err;
}

/* offer JSON and both URIs into o (offer_id and pre_auth_code set). */
mobid_err issuer_offer_uris(issuer_ctx *ctx, const issuer_cardtype *ct, issuer_offer *o)
{
    const char *ids[2];
    char idbuf[2][160];
    size_t n = 0;
    json_t *j = NULL;
    mobid_buf uri = { 0 }, ref = { 0 }, js = { 0 };
    char url[1024];
    if (ct->formats & ISSUER_FMT_MDOC)
        snprintf(idbuf[n], sizeof idbuf[n], "%s_mdoc", ct->id), ids[n] = idbuf[n], n++;
    if (ct->formats & ISSUER_FMT_SDJWT)
        snprintf(idbuf[n], sizeof idbuf[n], "%s_sdjwt", ct->id), ids[n] = idbuf[n], n++;
    char path[96];
    mobid_err err = issuer_offer_ref(ctx, o->offer_id, path);
    /* The HAIP profile: an authorization_code grant whose issuer_state names this
     * offer (the MAC'd reference, as in the offer's URL), beside or instead of the
     * pre-authorized code. */
    bool pre = !ctx->haip || ctx->haip_pre_auth;
    mobid_oid4vci_offer spec = { ctx->cfg.issuer_url, ids, n, pre ? o->pre_auth_code : NULL,
                                 pre ? ctx->cfg.tx_code_length : 0,
                                 "PIN given to you by the consular officer",
                                 ctx->haip ? path : NULL };
    snprintf(url, sizeof url, "%s/offers/%s", ctx->cfg.issuer_url, path);
    if (err == MOBID_OK) err = mobid_oid4vci_offer_json(&spec, &j);
    if (err == MOBID_OK) err = mobid_json_dump(j, false, &js);
    if (err == MOBID_OK) err = mobid_oid4vci_offer_uri(j, &uri);
    if (err == MOBID_OK) err = mobid_oid4vci_offer_ref_uri(url, &ref);
    if (err == MOBID_OK) {
        o->offer_json = mobid_view_strdup(mobid_buf_view(&js));
        o->offer_uri = mobid_view_strdup(mobid_buf_view(&uri));
        o->offer_ref_uri = mobid_view_strdup(mobid_buf_view(&ref));
        if (!o->offer_json || !o->offer_uri || !o->offer_ref_uri)
            err = MOBID_ERR_NOMEM;
    }
    json_decref(j);
    mobid_buf_free(&uri);
    mobid_buf_free(&ref);
    mobid_buf_free(&js);
    return err;
}

mobid_err issuer_offer_create(issuer_ctx *ctx, mobid_store *s, const issuer_offer_req *req,
                              issuer_offer *out, char *detail, size_t detail_len)
{
    const char *d = NULL;
    char code_hash[65], tx_hash[65], *sealed = NULL;
    memset(out, 0, sizeof *out);
    mobid_err err = MOBID_ERR_INVALID_ARG;
    const issuer_cardtype *ct = req ? issuer_cardtype_find(ctx, req->cardtype) : NULL;
    if (!req || !req->person_ref || !ctx->cfg.issuer_url) {
        d = "offer request incomplete";
        goto done;
    }
    err = MOBID_ERR_NOT_FOUND;
    d = "unknown card type";
    if (!ct)
        goto done;
    d = NULL; /* from here on claims_check or nobody fills detail */
    if ((err = claims_check(ct, req->claims, detail, detail_len)) != MOBID_OK)
        goto done;
    if ((err = issuer_new_id(out->offer_id)) != MOBID_OK ||
        (err = issuer_offer_code(ctx, out->offer_id, out->pre_auth_code)) != MOBID_OK ||
        (err = random_digits(out->tx_code, ctx->cfg.tx_code_length)) != MOBID_OK)
        goto done;
    int64_t now = mobid_now();
    out->expires_at = now + ctx->cfg.offer_lifetime_s;
    if ((err = issuer_hash_hex(mobid_view_str(out->pre_auth_code), code_hash)) != MOBID_OK ||
        (err = issuer_tx_code_hash(ctx, out->offer_id, out->tx_code, tx_hash)) != MOBID_OK ||
        (err = seal_claims(ctx, out->offer_id, req->claims, &sealed)) != MOBID_OK ||
        (err = offer_insert(s, req, out->offer_id, sealed, code_hash, tx_hash, now,
                            out->expires_at)) != MOBID_OK ||
        (err = issuer_offer_uris(ctx, ct, out)) != MOBID_OK)
        goto done;
    err = issuer_audit_append(ctx, s, req->actor ? req->actor : "system", "offer.create",
                              out->offer_id, NULL);
done:
    if (err == MOBID_OK || d)
        mobid_svc_detail(detail, detail_len, err == MOBID_OK ? NULL : d);
    if (err != MOBID_OK)
        issuer_offer_clear(out);
    free(sealed);
    return err;
}

void issuer_offer_clear(issuer_offer *o)
{
    if (!o)
        return;
    free(o->offer_json);
    free(o->offer_uri);
    free(o->offer_ref_uri);
    mobid_wipe(o, sizeof *o);
}

/* Used, but no card and no access token still alive? */
static mobid_err offer_stale(mobid_store *s, const char *offer_id, bool *stale)
{
    mobid_store_stmt *st = NULL;
    bool row = false;
    mobid_err err = mobid_store_prepare(
        s,
        "SELECT (SELECT count(*) FROM issuer_cards WHERE offer_id = $1) +"
        " (SELECT count(*) FROM issuer_access_tokens WHERE offer_id = $1 AND expires_at > $2)",
        &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, offer_id);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 2, mobid_now());
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    *stale = err == MOBID_OK && row && mobid_store_col_int64(st, 0) == 0;
    mobid_store_finalize(st);
    return err;
}

mobid_err issuer_offer_state(issuer_ctx *ctx, mobid_store *s, const char *offer_id,
                             char state[16])
{
    mobid_store_stmt *st = NULL;
    bool row = false, stale = false;
    snprintf(state, 16, "unknown");
    mobid_err err = mobid_store_prepare(
        s, "SELECT used_at, killed_at, expires_at FROM issuer_offers WHERE id = $1", &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, offer_id);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    if (err == MOBID_OK && !row)
        err = MOBID_ERR_NOT_FOUND;
    if (err == MOBID_OK) {
        const char *v = !mobid_store_col_null(st, 1)   ? "killed"
                        : !mobid_store_col_null(st, 0) ? "used"
                        : mobid_store_col_int64(st, 2) <= mobid_now() ? "expired"
                                                                        : "pending";
        snprintf(state, 16, "%s", v);
    }
    mobid_store_finalize(st);
    if (err == MOBID_OK && !strcmp(state, "used"))
        err = offer_stale(s, offer_id, &stale);
    if (err == MOBID_OK && stale)
        snprintf(state, 16, "stale");
    return err;
}

mobid_err issuer_offer_kill(mobid_store *s, const char *offer_id)
{
    mobid_store_stmt *st = NULL;
    bool row;
    int64_t now = mobid_now();
    mobid_err err = mobid_store_prepare(
        s, "UPDATE issuer_offers SET killed_at = $1 WHERE id = $2 AND killed_at IS NULL", &st);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 1, now);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 2, offer_id);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    mobid_store_finalize(st);
    st = NULL;
    if (err == MOBID_OK)
        err = mobid_store_prepare(s, "UPDATE issuer_access_tokens SET expires_at = $1"
                                     " WHERE offer_id = $2 AND expires_at > $1", &st);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 1, now);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 2, offer_id);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    mobid_store_finalize(st);
    return err;
}
