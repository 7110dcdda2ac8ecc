/*
 * Refreshing copies online (OpenID4VCI 1.0 §6 with grant_type=refresh_token, RFC 9449
 * DPoP). Each copy of a card is shown once, so a card runs out; the refresh token the
 * issuer gave with the card, bound to the wallet's DPoP key, buys a new batch without
 * a visit to the consulate. The issuer refuses it for a card that is no longer active
 * and caps how often a card is refreshed.
 *
 * The cards that share one refresh token (the formats of one offer) are refreshed with
 * one grant. Each new batch is checked like a received one, then replaces the used
 * copies of its card and is sealed before the next batch is asked for.
 *
 * Copies that expired, or end within a day, count as used (copies.c): a card whose
 * copies were cut at the end of their document signer gets new ones, signed by the
 * issuer's next signer, while the card itself is valid.
 *
 * A refresh is atomic like a receipt. The grant counts against the card's cap, so
 * the access token it gives is sealed in the vault ("refreshing": the refresh token it
 * is for, the access token, and each batch's device keys before the request leaves)
 * until every batch is in. A wallet killed once the grant is sealed, even after an
 * answer it did not seal, asks again with that access token and the same keys: the
 * issuer answers the same keys again, no new grant is spent. Only a refusal drops it
 * (an expired access token: then one new grant).
 *
 * A renewal comes the same way. When the grant's answer says "card_renewal": true (a
 * mobid extension member: the office renewed the card), the next batch of each format
 * is a new card: the wallet asks for a full batch and replaces every copy of the old
 * card, which the issuer marks superseded once that batch is made. The formats still
 * to renew are sealed with the grant ("renew"), so a resumed refresh renews the rest.
 */
#include <stdio.h>
#include <string.h>

#include <mobid/jose.h>
#include "wallet_receive.h"

static const char *token_of(const json_t *entry)
{
    return json_string_value(json_object_get(json_object_get(entry, "refresh"), "token"));
}

/* The issuer's refusal of the grant as a stable code. */
static mobid_err refusal(rx *r, const json_t *resp, mobid_err err)
{
    const char *state = json_string_value(json_object_get(resp, "card_state"));
    const char *code = json_string_value(json_object_get(resp, "error"));

    if (err != MOBID_ERR_FETCH_FAILED || r->last_status < 400 || r->last_status >= 500)
        return err;
    if (r->last_status == 429)
        return MOBID_ERR_RATE_LIMITED;
    if (state) {
        wl_detail(r->detail, r->dlen, "the issuer says the card is %.20s", state);
        return !strcmp(state, "suspended") ? MOBID_ERR_SUSPENDED
               : !strcmp(state, "expired") ? MOBID_ERR_EXPIRED
                                           : MOBID_ERR_REVOKED;
    }
    if (code && (!strcmp(code, "invalid_grant") || !strcmp(code, "invalid_dpop_proof")))
        return MOBID_ERR_UNAUTHENTICATED;
    return err;
}

/* grant_type=refresh_token with a DPoP proof by the key the token is bound to;
 * *renewal: the answer says the card was renewed. */
static mobid_err grant(rx *r, const json_t *refresh, bool *renewal)
{
    mobid_wallet_http_req q = { "POST", r->token_ep, "application/x-www-form-urlencoded",
                                "application/json", NULL, { NULL, 0 }, NULL, NULL, NULL, NULL };
    const char *token = json_string_value(json_object_get(refresh, "token"));
    json_t *resp = NULL;
    mobid_buf form;
    mobid_err err = mobid_jwk_to_key(json_object_get(refresh, "dpop_key"), &r->dpop_key);

    mobid_buf_init(&form, 0);
    mobid_buf_append_str(&form, "grant_type=refresh_token&refresh_token=");
    if (!err)
        err = mobid_oid4vci_pct_encode(mobid_view_str(token), &form);
    q.body = mobid_buf_view(&form);
    if (!err)
        err = wl_token_request(r, &q, &resp);
    if (!err && !r->dpop_bound) {
        wl_detail(r->detail, r->dlen, "the issuer did not bind the new token to the key");
        err = MOBID_ERR_UNAUTHENTICATED;
    }
    err = refusal(r, resp, err);
    *renewal = !err && json_is_true(json_object_get(resp, "card_renewal"));
    json_decref(resp);
    mobid_buf_free(&form);
    return err;
}

/* Drop entry's used copies (every copy when renewed), add the new batch's and seal
 * (the batch's keys, and the format from what is left to renew, leave the sealed
 * refresh in the same save). */
static mobid_err replace_used(rx *r, wl_wallet *w, json_t *entry, json_t *summary, bool all)
{
    json_t *fresh = json_array_get(r->received, json_array_size(r->received) - 1);
    json_t *items = json_object_get(entry, "items"), *it;
    char at[21];
    size_t i;
    mobid_err err = mobid_time_format_rfc3339(wl_now(r->io), at);

    if (!err && all)
        json_array_clear(items);
    else if (!err)
        wl_copies_drop_spent(entry, wl_now(r->io));
    json_array_foreach(json_object_get(fresh, "items"), i, it)
        if (!err && json_array_append(items, it))
            err = MOBID_ERR_NOMEM;
    if (!err && json_object_get(fresh, "claims"))
        json_object_set(entry, "claims", json_object_get(fresh, "claims"));
    if (!err)
        json_object_set_new(entry, "refreshed", json_string(at));
    json_object_del(json_object_get(json_object_get(w->vault, "refreshing"), "keys"),
                    json_string_value(json_object_get(entry, "config")) ?: "");
    json_object_del(json_object_get(json_object_get(w->vault, "refreshing"), "renew"),
                    json_string_value(json_object_get(entry, "config")) ?: "");
    if (!err)
        err = wl_save(r->io, w);
    if (!err && json_array_append_new(
                    summary, json_pack("{s:O,s:O,s:O,s:I,s:I}", "id", json_object_get(entry, "id"),
                                       "format", json_object_get(entry, "format"), "type",
                                       json_object_get(entry, "type"), "unused",
                                       (json_int_t)wl_copies_usable(entry, wl_now(r->io), false),
                                       "total", (json_int_t)json_array_size(items))))
        err = MOBID_ERR_NOMEM;
    return err;
}

/* The access token of a refresh of first's token that was cut short (false: none). */
static bool resume(rx *r, wl_wallet *w, const json_t *first)
{
    const json_t *p = json_object_get(w->vault, "refreshing");
    const char *tok = json_string_value(json_object_get(p, "access_token"));

    if (!tok || strcmp(json_string_value(json_object_get(p, "token")) ?: "", token_of(first)) ||
        mobid_jwk_to_key(json_object_get(json_object_get(first, "refresh"), "dpop_key"),
                         &r->dpop_key) != MOBID_OK)
        return false;
    if (!(r->access_token = mobid_view_strdup(mobid_view_str(tok)))) {
        mobid_key_free(r->dpop_key); /* grant() takes it from the card again */
        r->dpop_key = NULL;
        return false;
    }
    r->dpop_bound = true;
    return true;
}

/* After a grant: seal it before the first batch is asked for, with the formats of a
 * renewed card still to renew. */
static mobid_err begin(rx *r, wl_wallet *w, const char *token, bool renewal)
{
    json_t *p = json_pack("{s:s, s:s, s:{}, s:{}}", "token", token, "access_token",
                          r->access_token, "keys", "renew");
    json_t *e;
    size_t i;
    if (!p || json_object_set_new(w->vault, "refreshing", p))
        return MOBID_ERR_NOMEM;
    json_array_foreach(json_object_get(w->vault, "credentials"), i, e)
    {
        const char *cfg = json_string_value(json_object_get(e, "config"));
        if (renewal && cfg && token_of(e) && !strcmp(token_of(e), token) &&
            json_object_set_new(json_object_get(p, "renew"), cfg, json_true()))
            return MOBID_ERR_NOMEM;
    }
    return wl_save(r->io, w);
}

/* Only an interruption (no answer, the issuer's 5xx) keeps the sealed refresh. */
static mobid_err settle(rx *r, wl_wallet *w, mobid_err err)
{
    mobid_err saved;

    if ((err == MOBID_ERR_FETCH_FAILED && (r->last_status == 0 || r->last_status >= 500)) ||
        err == MOBID_ERR_NOMEM || !json_object_get(w->vault, "refreshing"))
        return err;
    json_object_del(w->vault, "refreshing");
    saved = wl_save(r->io, w);
    return err ? err : saved;
}

/* One grant (or the sealed one: *resumed) for the cards sharing first's refresh
 * token, then a batch for each that is not full (enough copies to make up the
 * issuer's batch size). */
static mobid_err refresh_once(const mobid_wallet_io *io, wl_wallet *w, json_t *first,
                              json_t *summary, char *detail, size_t dlen, bool *resumed)
{
    const char *token = token_of(first);
    json_t *creds = json_object_get(w->vault, "credentials"), *e;
    size_t i, full;
    bool renewal = false;
    rx r;
    mobid_err err;

    wl_rx_init(&r, io, NULL, NULL, detail, dlen);
    r.w = w;
    r.slot = "refreshing";
    r.ov.credential_issuer = json_string_value(json_object_get(first, "issuer"));
    err = r.received && r.ov.credential_issuer ? wl_trust(w, "issuer", &r.trust)
                                               : MOBID_ERR_MALFORMED;
    if (!err)
        err = wl_rx_metadata(&r);
    *resumed = !err && resume(&r, w, first);
    if (!err && !*resumed && !(err = grant(&r, json_object_get(first, "refresh"), &renewal)))
        err = begin(&r, w, token, renewal);
    full = (size_t)json_integer_value(json_object_get(
        json_object_get(r.meta, "batch_credential_issuance"), "batch_size"));
    json_array_foreach(creds, i, e)
    {
        const char *cfg = json_string_value(json_object_get(e, "config"));
        size_t have;
        bool renew;
        if (err || !token_of(e) || strcmp(token_of(e), token) || !cfg)
            continue;
        renew = json_object_get(json_object_get(json_object_get(w->vault, "refreshing"),
                                                "renew"), cfg) != NULL;
        /* a renewed card comes as a full batch */
        have = renew ? 0 : wl_copies_usable(e, wl_now(io), true);
        if (full && have >= full)
            continue; /* nothing was used: nothing to replace */
        r.batch = full > have ? full - have : renew ? 0 : 1;
        err = wl_rx_config(&r, cfg);
        if (!err)
            err = replace_used(&r, w, e, summary, renew);
    }
    err = settle(&r, w, err);
    wl_rx_clear(&r);
    return err;
}

static mobid_err refresh_grant(const mobid_wallet_io *io, wl_wallet *w, json_t *first,
                               json_t *summary, char *detail, size_t dlen)
{
    bool resumed = false;
    mobid_err err = refresh_once(io, w, first, summary, detail, dlen, &resumed);
    /* the sealed access token was refused (expired): one new grant */
    if (err && resumed && !json_object_get(w->vault, "refreshing"))
        err = refresh_once(io, w, first, summary, detail, dlen, &resumed);
    return err;
}

/* Refresh the cards that are due, one grant per refresh token. */
mobid_err wl_refresh(const mobid_wallet_io *io, wl_wallet *w, const mobid_wallet_refresh_opts *o,
                     json_t *summary, unsigned *skipped, char *detail, size_t dlen)
{
    unsigned below = o && o->below ? o->below : MOBID_WALLET_REFRESH_BELOW;
    json_t *creds = json_object_get(w->vault, "credentials"), *e, *done = json_object();
    size_t i;
    mobid_err err = done ? MOBID_OK : MOBID_ERR_NOMEM;

    *skipped = 0;
    json_array_foreach(creds, i, e)
    {
        const char *token = token_of(e);
        if (err || !token) {
            *skipped += !token;
            continue;
        }
        /* past its final day the issuer refuses the card: only --force asks (a renewal
         * is picked up that way) */
        if (json_object_get(done, token) ||
            !((o && o->force) ||
              (!wl_card_ended(e, wl_now(io)) && wl_copies_usable(e, wl_now(io), true) < below)))
            continue;
        json_object_set_new(done, token, json_true());
        err = refresh_grant(io, w, e, summary, detail, dlen);
    }
    json_decref(done);
    return err;
}

mobid_err mobid_wallet_refresh(const mobid_wallet_io *io, const mobid_wallet_refresh_opts *o,
                               json_t **summary, char *detail, size_t detail_len)
{
    wl_wallet w = { 0 };
    json_t *list = json_array();
    unsigned skipped = 0;
    mobid_err err = list && io ? wl_open(io, &w) : MOBID_ERR_NOMEM;

    if (summary)
        *summary = NULL;
    if (!err && json_is_true(json_object_get(w.outer, "locked")))
        err = MOBID_ERR_WALLET_LOCKED;
    if (!err)
        err = wl_unlock(io, "PIN to refresh the card", &w);
    if (!err)
        err = wl_refresh(io, &w, o, list, &skipped, detail, detail_len);
    if (!err && summary &&
        !(*summary = json_pack("{s:O,s:I}", "refreshed", list, "skipped", (json_int_t)skipped)))
        err = MOBID_ERR_NOMEM;
    json_decref(list);
    wl_close(&w);
    return err;
}
