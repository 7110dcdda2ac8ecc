/*
 * Receiving credentials (OpenID4VCI 1.0, pre-authorized code flow, or the
 * authorization-code flow of authcode.c): offer, issuer metadata, tx_code, token,
 * nonce, one proof per fresh device key, a batch per configuration; every credential
 * is checked before it is sealed in the vault.
 *
 * Receiving is atomic from the holder's side. The PIN opens the vault before the
 * offer is redeemed, so a wrong PIN or a cancel spends nothing. Once the token is
 * received it is sealed in the vault as a pending receipt (the access token and the
 * configurations still to fetch), and every batch is sealed as soon as it is checked.
 * A process killed at any point leaves either the offer unspent (the issuer lets the
 * code be exchanged again while no credential was issued for it) or a pending receipt
 * that the next receive, after the PIN, completes with the sealed access token.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mobid/jose.h>
#include <mobid/oid4vci.h>
#include <mobid/oid4vp.h>
#include "wallet_check.h"
#include "wallet_receive.h"

#define WL_TX_CODE_MAX 32



static mobid_err get_json(rx *r, const char *url, json_t **out)
{
    mobid_wallet_http_req q = { "GET", url, NULL, "application/json", NULL, { NULL, 0 }, NULL, NULL, NULL, NULL };

    return wl_http_json_st(r->io, &q, out, &r->last_status, r->detail, r->dlen);
}

static mobid_err fetch_offer(rx *r, const char *uri)
{
    char *offer_url = NULL;
    mobid_err err;

    err = mobid_oid4vci_offer_uri_parse(mobid_view_str(uri), &r->offer, &offer_url);
    if (err) {
        wl_detail(r->detail, r->dlen, "not a credential offer URI");
        goto done;
    }
    if (offer_url) {
        err = get_json(r, offer_url, &r->offer);
        if (err == MOBID_ERR_FETCH_FAILED && r->last_status == 404)
            wl_detail(r->detail, r->dlen, "the issuer no longer has this offer: it was "
                                          "used, cancelled or has expired");
    }
    if (!err)
        err = mobid_oid4vci_offer_read(r->offer, &r->ov);
    if (err == MOBID_ERR_MALFORMED)
        wl_detail(r->detail, r->dlen, "credential offer malformed");
done:
    free(offer_url);
    return err;
}

/* The well-known URL `name` of an identifier (heap string in *url). */
static mobid_err well_known(rx *r, const char *id, const char *name, char **url)
{
    mobid_buf b;
    mobid_err err;

    mobid_buf_init(&b, 0);
    err = mobid_oid4vci_well_known_url(id, name, &b);
    if (err == MOBID_ERR_INVALID_ARG) {
        wl_detail(r->detail, r->dlen, "not an http(s) identifier: %.80s", id);
        err = MOBID_ERR_MALFORMED;
    }
    *url = err ? NULL : mobid_buf_detach_str(&b);
    if (!err && !*url)
        err = MOBID_ERR_NOMEM;
    mobid_buf_free(&b);
    return err;
}

/* The authorization server of the pre-authorized grant (OpenID4VCI 1.0 §4.1.1,
 * §12.2.4): the one the offer's grant names, which must be listed in the issuer's
 * authorization_servers; else the first listed; else the issuer itself. */
static const char *pick_as(rx *r)
{
    const json_t *list = json_object_get(r->meta, "authorization_servers");
    const json_t *grant = json_object_get(json_object_get(r->offer, "grants"),
                                          MOBID_OID4VCI_GRANT_PRE_AUTH);
    const char *named = json_string_value(json_object_get(grant, "authorization_server"));
    const char *first = json_string_value(json_array_get(list, 0));
    size_t i;
    json_t *v;

    if (!named)
        return first ? first : r->ov.credential_issuer;
    json_array_foreach(list, i, v) {
        if (json_string_value(v) && strcmp(json_string_value(v), named) == 0)
            return named;
    }
    wl_detail(r->detail, r->dlen, "the offer names an authorization server the issuer "
                                  "does not list: %.80s", named);
    return NULL;
}

/* The token endpoint from the authorization server's metadata (RFC 8414), whose
 * "issuer" must be the server's identifier (§3.3). An issuer that is its own
 * authorization server and serves no such document may still name token_endpoint
 * in its own metadata, as the pre-final drafts did. */
static mobid_err find_token_endpoint(rx *r)
{
    const char *as = pick_as(r), *te = NULL, *named;
    json_t *asmeta = NULL;
    char *url = NULL;
    mobid_err err = as ? well_known(r, as, "oauth-authorization-server", &url)
                       : MOBID_ERR_MALFORMED;

    if (!err)
        err = get_json(r, url, &asmeta);
    if (err == MOBID_ERR_FETCH_FAILED && r->last_status == 404 &&
        as == r->ov.credential_issuer &&
        (te = json_string_value(json_object_get(r->meta, "token_endpoint"))))
        err = MOBID_OK;
    else if (!err) {
        named = json_string_value(json_object_get(asmeta, "issuer"));
        te = json_string_value(json_object_get(asmeta, "token_endpoint"));
        if (!named || strcmp(named, as) || !te) {
            wl_detail(r->detail, r->dlen, "authorization server metadata at %.100s %s", url,
                      te ? "names another issuer" : "lacks token_endpoint");
            err = MOBID_ERR_MALFORMED;
        }
    } else if (err == MOBID_ERR_FETCH_FAILED && r->last_status == 404) {
        wl_detail(r->detail, r->dlen, "no authorization server metadata at %.100s", url);
    }
    if (!err && !(r->token_ep = mobid_view_strdup(mobid_view_str(te))))
        err = MOBID_ERR_NOMEM;
    if (!err && asmeta) {
        json_decref(r->asmeta);
        r->asmeta = asmeta;
        asmeta = NULL;
    }
    json_decref(asmeta);
    free(url);
    return err;
}

/* Issuer metadata (its credential_issuer must be the offer's, §12.2.4), then the
 * token endpoint. */
mobid_err wl_rx_metadata(rx *r)
{
    const char *iss = r->ov.credential_issuer, *named;
    char *url = NULL;
    mobid_err err = well_known(r, iss, "openid-credential-issuer", &url);

    if (!err)
        err = get_json(r, url, &r->meta);
    free(url);
    if (err)
        return err;
    named = json_string_value(json_object_get(r->meta, "credential_issuer"));
    if (!json_string_value(json_object_get(r->meta, "credential_endpoint")) ||
        !json_is_object(json_object_get(r->meta, "credential_configurations_supported"))) {
        wl_detail(r->detail, r->dlen, "issuer metadata lacks credential_endpoint");
        return MOBID_ERR_MALFORMED;
    }
    if (!named || strcmp(named, iss)) {
        wl_detail(r->detail, r->dlen, "issuer metadata names another credential_issuer");
        return MOBID_ERR_MALFORMED;
    }
    return find_token_endpoint(r);
}

mobid_err wl_form_add(mobid_buf *f, const char *name, const char *value)
{
    if (f->len)
        mobid_buf_append_byte(f, '&');
    mobid_buf_append_str(f, name);
    mobid_buf_append_byte(f, '=');
    return mobid_oid4vci_pct_encode(mobid_view_str(value), f);
}

static mobid_err get_token(rx *r)
{
    char tx[WL_TX_CODE_MAX + 1] = { 0 };
    mobid_wallet_http_req q = { "POST", r->token_ep, "application/x-www-form-urlencoded",
                                "application/json", NULL, { NULL, 0 }, NULL, NULL, NULL, NULL };
    json_t *resp = NULL;
    mobid_buf form;
    mobid_err err = MOBID_OK;

    mobid_buf_init(&form, 0);
    if (!r->ov.pre_auth_code) {
        wl_detail(r->detail, r->dlen, "the offer has only an authorization_code grant, and the "
                                      "authorization server offers no pushed authorization "
                                      "requests");
        return MOBID_ERR_UNSUPPORTED;
    }
    if (r->ov.has_tx_code) {
        if (!r->io->tx_code)
            return MOBID_ERR_INVALID_ARG;
        err = r->io->tx_code(r->io->ctx, r->ov.tx_code_length, NULL, tx, sizeof tx);
        tx[WL_TX_CODE_MAX] = '\0';
    }
    wl_form_add(&form, "grant_type", MOBID_OID4VCI_GRANT_PRE_AUTH);
    wl_form_add(&form, "pre-authorized_code", r->ov.pre_auth_code);
    if (!err && r->ov.has_tx_code)
        wl_form_add(&form, "tx_code", tx);
    json_t *details = wl_rx_details(r);
    char *dj = details ? json_dumps(details, JSON_COMPACT) : NULL;
    if (!err && dj)
        wl_form_add(&form, "authorization_details", dj);
    free(dj);
    json_decref(details);
    if (!err)
        err = form.err;
    q.body = mobid_buf_view(&form);
    /* A wallet binds its tokens to a key of its own (DPoP): the refresh token that may
     * come with them is useless on another device. */
    if (!err && r->w && !r->dpop_key)
        err = mobid_key_generate(MOBID_CURVE_P256, &r->dpop_key);
    if (!err)
        err = wl_token_request(r, &q, &resp);
    if (!err)
        err = wl_rx_take_details(r, resp);
    mobid_wipe(tx, sizeof tx);
    mobid_buf_free(&form);
    json_decref(resp);
    return err;
}

mobid_err wl_token_request(rx *r, mobid_wallet_http_req *q, json_t **resp_out)
{
    json_t *resp = NULL;
    const char *tok, *type, *refresh;
    mobid_buf proof, body;
    mobid_err err = MOBID_OK;

    mobid_buf_init(&proof, 0);
    mobid_buf_init(&body, MOBID_WALLET_MAX_HTTP);
    if (r->dpop_key) {
        err = mobid_oid4vci_dpop_build(r->dpop_key, "POST", q->url, NULL, wl_now(r->io),
                                       &proof);
        if (!err)
            err = mobid_buf_terminate(&proof);
        q->dpop = (const char *)proof.ptr;
    }
    if (!err)
        err = wl_http_st(r->io, q, &body, &r->last_status, r->detail, r->dlen);
    /* a refusal's error object too: refresh.c reads why */
    if ((!err || err == MOBID_ERR_FETCH_FAILED) && body.len &&
        mobid_json_parse(mobid_buf_view(&body), MOBID_WALLET_MAX_HTTP, &resp) == MOBID_OK &&
        !json_is_object(resp)) {
        json_decref(resp);
        resp = NULL;
    }
    if (!err && !resp) {
        wl_detail(r->detail, r->dlen, "%s: answer is not a JSON object", q->url);
        err = MOBID_ERR_MALFORMED;
    }
    tok = json_string_value(json_object_get(resp, "access_token"));
    type = json_string_value(json_object_get(resp, "token_type"));
    refresh = json_string_value(json_object_get(resp, "refresh_token"));
    if (!err && !tok) {
        wl_detail(r->detail, r->dlen, "token response without access_token");
        err = MOBID_ERR_MALFORMED;
    }
    r->dpop_bound = r->dpop_key && type && !strcasecmp(type, "DPoP");
    if (!err && !(r->access_token = mobid_view_strdup(mobid_view_str(tok))))
        err = MOBID_ERR_NOMEM;
    if (!err && r->dpop_bound && refresh && !r->refresh_token &&
        !(r->refresh_token = mobid_view_strdup(mobid_view_str(refresh))))
        err = MOBID_ERR_NOMEM;
    mobid_buf_free(&proof);
    mobid_buf_free(&body);
    *resp_out = resp;
    return err;
}

static mobid_err get_nonce(rx *r, char **nonce)
{
    const char *ep = json_string_value(json_object_get(r->meta, "nonce_endpoint"));
    mobid_wallet_http_req q = { "POST", ep, "application/json", "application/json", NULL,
                                { (const uint8_t *)"{}", 2 }, NULL, NULL, NULL, NULL };
    json_t *resp = NULL;
    const char *n;
    mobid_err err;

    *nonce = NULL;
    if (!ep) {
        wl_detail(r->detail, r->dlen, "issuer metadata lacks nonce_endpoint");
        return MOBID_ERR_MALFORMED;
    }
    err = wl_http_json_st(r->io, &q, &resp, &r->last_status, r->detail, r->dlen);
    n = json_string_value(json_object_get(resp, "c_nonce"));
    if (!err && !n)
        err = MOBID_ERR_MALFORMED;
    if (!err && !(*nonce = mobid_view_strdup(mobid_view_str(n))))
        err = MOBID_ERR_NOMEM;
    json_decref(resp);
    return err;
}

static size_t batch_size(const rx *r)
{
    json_int_t n = json_integer_value(json_object_get(
        json_object_get(r->meta, "batch_credential_issuance"), "batch_size"));

    if (r->batch)
        return r->batch > MOBID_OID4VCI_MAX_PROOFS ? MOBID_OID4VCI_MAX_PROOFS : r->batch;
    if (n < 1)
        return MOBID_WALLET_DEFAULT_BATCH;
    return n > MOBID_OID4VCI_MAX_PROOFS ? MOBID_OID4VCI_MAX_PROOFS : (size_t)n;
}

/* The device keys of a batch: the ones a pending receipt (or refresh) sealed for cfg
 * (a retry after the answer was lost: the issuer answers the same keys again), else
 * fresh ones, sealed in the pending receipt before the request leaves. */
static mobid_err batch_keys(rx *r, const char *cfg, mobid_key **keys, size_t *n)
{
    json_t *pending = r->w ? json_object_get(r->w->vault, r->slot ? r->slot : "pending") : NULL;
    json_t *saved = json_object_get(json_object_get(pending, "keys"), cfg);
    json_t *jwks = NULL, *jwk = NULL;
    mobid_err err = MOBID_OK;

    if (json_array_size(saved) > 0 && json_array_size(saved) <= MOBID_OID4VCI_MAX_PROOFS) {
        *n = json_array_size(saved);
        for (size_t i = 0; !err && i < *n; i++)
            err = mobid_jwk_to_key(json_array_get(saved, i), &keys[i]);
        return err;
    }
    for (size_t i = 0; !err && i < *n; i++)
        err = mobid_key_generate(MOBID_CURVE_P256, &keys[i]);
    if (err || !pending)
        return err;
    if (!(jwks = json_array()))
        return MOBID_ERR_NOMEM;
    for (size_t i = 0; !err && i < *n; i++) {
        err = mobid_jwk_from_key(keys[i], true, &jwk);
        if (!err && json_array_append_new(jwks, jwk))
            err = MOBID_ERR_NOMEM;
    }
    if (!json_object_get(pending, "keys"))
        json_object_set_new(pending, "keys", json_object());
    if (!err && json_object_set(json_object_get(pending, "keys"), cfg, jwks))
        err = MOBID_ERR_NOMEM;
    json_decref(jwks);
    return err ? err : wl_save(r->io, r->w);
}

/* One proof per key: the credential request body. */
static mobid_err build_request(rx *r, const char *cfg, const char *nonce, mobid_key **keys,
                               size_t n, mobid_buf *body)
{
    json_t *req = NULL, *jwts = json_array();
    mobid_buf proof;
    mobid_err err = jwts ? MOBID_OK : MOBID_ERR_NOMEM;

    mobid_buf_init(&proof, 0);
    for (size_t i = 0; !err && i < n; i++) {
        proof.len = 0;
        err = mobid_oid4vci_proof_build(keys[i], r->ov.credential_issuer, nonce,
                                            wl_now(r->io), NULL, &proof);
        if (!err)
            err = mobid_buf_terminate(&proof);
        if (!err && json_array_append_new(jwts, json_string((const char *)proof.ptr)))
            err = MOBID_ERR_NOMEM;
    }
    /* OpenID4VCI 1.0 §8.2: after credential_identifiers, the request names one */
    const char *ident = json_string_value(json_object_get(r->cred_ids, cfg));
    if (!err) {
        req = json_pack("{s:s,s:{s:O}}", ident ? "credential_identifier"
                                               : "credential_configuration_id",
                        ident ? ident : cfg, "proofs", "jwt", jwts);
        err = req ? mobid_json_dump(req, false, body) : MOBID_ERR_NOMEM;
    }
    json_decref(req);
    json_decref(jwts);
    mobid_buf_free(&proof);
    return err;
}

/* Check credential i against keys[i] and add it with its key to entry.items. */
static mobid_err take_one(rx *r, const char *fmt, const char *cred, const mobid_key *key,
                          json_t *entry)
{
    json_t *claims = NULL, *jwk = NULL, *it;
    char *type = NULL;
    mobid_err err;

    /* only an operator's fetch without roots takes credentials unchecked */
    if (!r->trust)
        err = (claims = json_object()) && (type = mobid_view_strdup(mobid_view_str("")))
                  ? MOBID_OK : MOBID_ERR_NOMEM;
    else if (strcmp(fmt, "mso_mdoc") == 0)
        err = wl_check_mdoc(cred, key, r->trust, wl_now(r->io), &claims, &type, r->detail,
                            r->dlen);
    else
        err = wl_check_sdjwt(cred, key, r->trust, wl_now(r->io), &claims, &type, r->detail,
                             r->dlen);
    if (!err)
        err = mobid_jwk_from_key(key, true, &jwk);
    if (err)
        goto done;
    if (!json_object_get(entry, "claims")) {
        json_object_set(entry, "claims", claims);
        json_object_set_new(entry, "type", json_string(type));
    }
    it = json_pack("{s:s,s:O,s:b}", "c", cred, "k", jwk, "used", 0);
    if (it)
        wl_copy_note_validity(entry, it); /* its end, for refresh and presentation */
    if (json_array_append_new(json_object_get(entry, "items"), it))
        err = MOBID_ERR_NOMEM;
done:
    json_decref(claims);
    json_decref(jwk);
    free(type);
    return err;
}

static mobid_err new_entry(rx *r, const char *cfg, const char *fmt, json_t **out)
{
    char id[23], at[21];
    mobid_err err = wl_random_id(id);

    if (!err)
        err = mobid_time_format_rfc3339(wl_now(r->io), at);
    if (err)
        return err;
    *out = json_pack("{s:s,s:s,s:s,s:s,s:s,s:[]}", "id", id, "format", fmt, "config", cfg,
                     "issuer", r->ov.credential_issuer, "received", at, "items");
    return *out ? MOBID_OK : MOBID_ERR_NOMEM;
}

static mobid_err take_batch(rx *r, const char *cfg, const char *fmt, const json_t *resp,
                            mobid_key **keys, size_t n)
{
    const json_t *creds = json_object_get(resp, "credentials");
    json_t *entry = NULL;
    mobid_err err;

    if (!json_is_array(creds) || json_array_size(creds) == 0 || json_array_size(creds) > n) {
        wl_detail(r->detail, r->dlen, "credential response: %zu credentials for %zu proofs",
                  json_array_size(creds), n);
        return MOBID_ERR_MALFORMED;
    }
    err = new_entry(r, cfg, fmt, &entry);
    for (size_t i = 0; !err && i < json_array_size(creds); i++) {
        const char *c = json_string_value(json_object_get(json_array_get(creds, i),
                                                          "credential"));
        err = c ? take_one(r, fmt, c, keys[i], entry) : MOBID_ERR_MALFORMED;
    }
    if (!err && json_array_append(r->received, entry))
        err = MOBID_ERR_NOMEM;
    json_decref(entry);
    return err;
}

mobid_err wl_rx_config(rx *r, const char *cfg)
{
    const json_t *conf = json_object_get(
        json_object_get(r->meta, "credential_configurations_supported"), cfg);
    const char *fmt = json_string_value(json_object_get(conf, "format"));
    const char *ep = json_string_value(json_object_get(r->meta, "credential_endpoint"));
    mobid_wallet_http_req q = { "POST", ep, "application/json", "application/json",
                                r->access_token, { NULL, 0 }, NULL, NULL, NULL, NULL };
    mobid_key *keys[MOBID_OID4VCI_MAX_PROOFS] = { 0 };
    size_t n = batch_size(r);
    char *nonce = NULL;
    json_t *resp = NULL;
    mobid_buf body, proof;
    mobid_err err;

    mobid_buf_init(&body, 0);
    mobid_buf_init(&proof, 0);
    if (!fmt || (strcmp(fmt, "mso_mdoc") != 0 && strcmp(fmt, "dc+sd-jwt") != 0)) {
        wl_detail(r->detail, r->dlen, "configuration %s: unsupported format", cfg);
        err = MOBID_ERR_UNSUPPORTED;
        goto done;
    }
    err = batch_keys(r, cfg, keys, &n);
    if (!err)
        err = get_nonce(r, &nonce);
    if (!err)
        err = build_request(r, cfg, nonce, keys, n, &body);
    q.body = mobid_buf_view(&body);
    if (!err && r->dpop_bound) {
        err = mobid_oid4vci_dpop_build(r->dpop_key, "POST", ep, r->access_token,
                                       wl_now(r->io), &proof);
        if (!err)
            err = mobid_buf_terminate(&proof);
        q.dpop = (const char *)proof.ptr;
    }
    if (!err)
        err = wl_http_json_st(r->io, &q, &resp, &r->last_status, r->detail, r->dlen);
    if (!err)
        err = take_batch(r, cfg, fmt, resp, keys, n);
done:
    for (size_t i = 0; i < n; i++)
        mobid_key_free(keys[i]);
    free(nonce);
    json_decref(resp);
    mobid_buf_free(&body);
    mobid_buf_free(&proof);
    return err;
}

static json_t *summarize(const json_t *received)
{
    json_t *list = json_array();
    size_t i;
    json_t *e;

    json_array_foreach(received, i, e)
    {
        json_array_append_new(list, json_pack("{s:O,s:O,s:O,s:I}", "id",
                                              json_object_get(e, "id"), "format",
                                              json_object_get(e, "format"), "type",
                                              json_object_get(e, "type"), "count",
                                              (json_int_t)json_array_size(
                                                  json_object_get(e, "items"))));
    }
    return json_pack("{s:o}", "received", list);
}

static bool wanted(const rx *r, const char *cfg)
{
    for (const char *const *o = r->only; o && *o; o++)
        if (!strcmp(*o, cfg))
            return true;
    return !r->only;
}

/* The pending receipt: what a restarted wallet needs to finish with the access token. */
static mobid_err pending_begin(rx *r)
{
    json_t *p = json_pack("{s:s,s:s,s:s,s:o}", "offer", r->uri, "issuer",
                          r->ov.credential_issuer, "access_token", r->access_token,
                          "configs", json_deep_copy(r->ov.config_ids));
    json_t *key = NULL;
    mobid_err err = p ? MOBID_OK : MOBID_ERR_NOMEM;

    if (!err && r->dpop_bound && !(err = mobid_jwk_from_key(r->dpop_key, true, &key)))
        json_object_set_new(p, "dpop_key", key);
    if (!err && r->refresh_token)
        json_object_set_new(p, "refresh_token", json_string(r->refresh_token));
    if (!err && r->cred_ids)
        json_object_set(p, "identifiers", r->cred_ids);
    if (err || json_object_set_new(r->w->vault, "pending", p)) {
        json_decref(p);
        return err ? err : MOBID_ERR_NOMEM;
    }
    return wl_save(r->io, r->w);
}

/* Seal the batch just checked (last of r->received) and strike its configuration
 * from the pending receipt; the receipt goes once nothing is left to fetch. */
static mobid_err commit_config(rx *r, const char *cfg)
{
    json_t *creds = json_object_get(r->w->vault, "credentials");
    json_t *pending = json_object_get(r->w->vault, "pending");
    json_t *left = json_object_get(pending, "configs");
    size_t n = json_array_size(r->received);
    size_t i;
    json_t *id;

    json_t *entry = json_array_get(r->received, n - 1), *key = NULL;
    mobid_err err = MOBID_OK;

    /* the card's refresh token and the key it is bound to go with each of its batches */
    if (entry && r->refresh_token && !(err = mobid_jwk_from_key(r->dpop_key, true, &key)) &&
        json_object_set_new(entry, "refresh",
                            json_pack("{s:s,s:o}", "token", r->refresh_token, "dpop_key", key)))
        err = MOBID_ERR_NOMEM;
    if (err)
        return err;
    if (!n || json_array_append(creds, entry))
        return MOBID_ERR_NOMEM;
    json_object_del(json_object_get(pending, "keys"), cfg);
    json_array_foreach(left, i, id)
    {
        if (json_is_string(id) && !strcmp(json_string_value(id), cfg)) {
            json_array_remove(left, i);
            break;
        }
    }
    if (pending && json_array_size(left) == 0)
        json_object_del(r->w->vault, "pending");
    return wl_save(r->io, r->w);
}

static mobid_err receive_all(rx *r, const json_t *configs)
{
    size_t i;
    json_t *id;
    mobid_err err = MOBID_OK;

    json_array_foreach(configs, i, id)
    {
        if (!json_is_string(id))
            return MOBID_ERR_MALFORMED;
        if (!wanted(r, json_string_value(id)))
            continue;
        err = wl_rx_config(r, json_string_value(id));
        if (!err && r->w)
            err = commit_config(r, json_string_value(id));
        if (err)
            break;
    }
    return err;
}

/* Only an interruption keeps a pending receipt: no answer, or the issuer's 5xx. A
 * refusal (the token expired, a credential that does not verify) drops it, so one bad
 * receipt never blocks the next offer. Returns EXPIRED when it was dropped. */
static mobid_err pending_settle(rx *r, mobid_err err)
{
    if (!err || (err == MOBID_ERR_FETCH_FAILED && (r->last_status == 0 || r->last_status >= 500)) ||
        err == MOBID_ERR_NOMEM || !json_object_get(r->w->vault, "pending"))
        return err;
    json_object_del(r->w->vault, "pending");
    return wl_save(r->io, r->w) ? err : MOBID_ERR_EXPIRED;
}

/* Finish a receipt that a killed or interrupted run left sealed in the vault, with
 * the access token sealed there (valid for the issuer's token lifetime). */
static mobid_err resume_pending(rx *r)
{
    json_t *p = json_object_get(r->w->vault, "pending");
    json_t *configs = json_deep_copy(json_object_get(p, "configs"));
    const char *iss = json_string_value(json_object_get(p, "issuer"));
    const char *tok = json_string_value(json_object_get(p, "access_token"));
    mobid_err err = MOBID_OK;

    if (!iss || !tok || !configs) {
        json_decref(configs);
        return pending_settle(r, MOBID_ERR_MALFORMED);
    }
    r->ov.credential_issuer = iss;
    r->access_token = mobid_view_strdup(mobid_view_str(tok));
    if (json_object_get(p, "dpop_key") &&
        mobid_jwk_to_key(json_object_get(p, "dpop_key"), &r->dpop_key) == MOBID_OK)
        r->dpop_bound = true;
    if (r->dpop_bound && json_string_value(json_object_get(p, "refresh_token")))
        r->refresh_token = strdup(json_string_value(json_object_get(p, "refresh_token")));
    if (json_is_object(json_object_get(p, "identifiers")))
        r->cred_ids = json_deep_copy(json_object_get(p, "identifiers"));
    err = r->access_token ? wl_rx_metadata(r) : MOBID_ERR_NOMEM;
    if (!err)
        err = receive_all(r, configs);
    json_decref(configs);
    return pending_settle(r, err);
}

void wl_rx_clear(rx *r)
{
    mobid_trust_free(r->trust);
    json_decref(r->offer);
    json_decref(r->meta);
    json_decref(r->asmeta);
    json_decref(r->cred_ids);
    json_decref(r->received);
    free(r->token_ep);
    if (r->access_token)
        mobid_wipe(r->access_token, strlen(r->access_token));
    free(r->access_token);
    if (r->refresh_token)
        mobid_wipe(r->refresh_token, strlen(r->refresh_token));
    free(r->refresh_token);
    mobid_key_free(r->dpop_key);
}

void wl_rx_init(rx *r, const mobid_wallet_io *io, wl_wallet *w, const char *uri,
                    char *detail, size_t detail_len)
{
    memset(r, 0, sizeof *r);
    r->io = io;
    r->w = w;
    r->uri = uri;
    r->detail = detail;
    r->dlen = detail_len;
    r->received = json_array();
}

/* A pending receipt first. *done when it was this very offer: nothing more to do. */
static mobid_err finish_pending(rx *main_rx, bool *done)
{
    json_t *p = json_object_get(main_rx->w->vault, "pending");
    const char *was = json_string_value(json_object_get(p, "offer"));
    rx r;
    mobid_err err;

    *done = false;
    if (!p)
        return MOBID_OK;
    wl_rx_init(&r, main_rx->io, main_rx->w, was, main_rx->detail, main_rx->dlen);
    *done = was && !strcmp(was, main_rx->uri);
    err = r.received ? wl_trust(main_rx->w, "issuer", &r.trust) : MOBID_ERR_NOMEM;
    if (!err)
        err = resume_pending(&r);
    if (!err && json_array_extend(main_rx->received, r.received))
        err = MOBID_ERR_NOMEM;
    /* A receipt the issuer gave up on: the offer itself may still be redeemable (no
     * credential was issued for it), so try it as new. */
    if (err == MOBID_ERR_EXPIRED) {
        err = MOBID_OK;
        *done = false;
    }
    wl_rx_clear(&r);
    return err;
}

/* The protocol: offer, metadata, token (sealed as a pending receipt when there is a
 * vault), then a batch per wanted configuration. */
static mobid_err redeem(rx *r)
{
    mobid_err err = fetch_offer(r, r->uri);

    if (!err)
        err = wl_rx_metadata(r);
    bool declined = true;
    if (!err && wl_rx_use_authcode(r))
        err = wl_rx_authcode_token(r, &declined);
    if (!err && declined)
        err = get_token(r);
    if (!err && r->w)
        err = pending_begin(r);
    if (!err)
        err = receive_all(r, r->ov.config_ids);
    if (err && r->w && json_object_get(r->w->vault, "pending"))
        (void)pending_settle(r, err); /* the failure itself is the answer */
    return err;
}

mobid_err mobid_wallet_receive(const mobid_wallet_io *io, const char *uri, json_t **summary,
                               char *detail, size_t detail_len)
{
    rx r;
    wl_wallet w = { 0 };
    bool done = false;
    mobid_err err;

    if (summary)
        *summary = NULL;
    if (!uri)
        return MOBID_ERR_INVALID_ARG;
    wl_rx_init(&r, io, &w, uri, detail, detail_len);
    err = r.received ? wl_open(io, &w) : MOBID_ERR_NOMEM;
    if (!err && json_is_true(json_object_get(w.outer, "locked")))
        err = MOBID_ERR_WALLET_LOCKED;
    if (!err)
        err = wl_trust(&w, "issuer", &r.trust);
    /* The PIN before anything is redeemed: a wrong PIN or a cancel spends nothing. */
    if (!err)
        err = wl_unlock(io, "PIN to receive the card", &w);
    if (!err)
        err = finish_pending(&r, &done);
    if (!err && !done)
        err = redeem(&r);
    if (!err && summary && !(*summary = summarize(r.received)))
        err = MOBID_ERR_NOMEM;
    wl_close(&w);
    wl_rx_clear(&r);
    return err;
}

/* The vault entries as the caller sees them: credentials with their device keys. */
static json_t *handed_out(const json_t *received)
{
    json_t *list = json_array(), *e, *it;
    size_t i, k;

    json_array_foreach(received, i, e)
    {
        json_t *creds = json_array();
        json_array_foreach(json_object_get(e, "items"), k, it)
            json_array_append_new(creds, json_pack("{s:O,s:O}", "credential",
                                                   json_object_get(it, "c"), "device_key",
                                                   json_object_get(it, "k")));
        json_array_append_new(list, json_pack("{s:O,s:O,s:o}", "config", json_object_get(e, "config"),
                                              "format", json_object_get(e, "format"),
                                              "credentials", creds));
    }
    return list;
}

mobid_err mobid_wallet_fetch(const mobid_wallet_io *io, const char *uri,
                             const mobid_wallet_fetch_opts *o, json_t **out, char *detail,
                             size_t detail_len)
{
    rx r = { 0 };
    mobid_err err = MOBID_OK;

    *out = NULL;
    if (!uri || !io || !io->http)
        return MOBID_ERR_INVALID_ARG;
    r.io = io;
    r.detail = detail;
    r.dlen = detail_len;
    r.batch = o ? o->batch : 0;
    r.only = o ? o->config_ids : NULL;
    if (!(r.received = json_array()))
        err = MOBID_ERR_NOMEM;
    if (!err && o && o->issuer_roots_pem && !(err = mobid_trust_new(&r.trust)))
        err = mobid_trust_add_pem(r.trust, mobid_view_str(o->issuer_roots_pem));
    r.uri = uri;
    if (!err)
        err = redeem(&r);
    if (!err && !(*out = handed_out(r.received)))
        err = MOBID_ERR_NOMEM;
    wl_rx_clear(&r);
    return err;
}
