/*
 * Receiving by the authorization-code flow (OpenID4VCI 1.0 §5, HAIP): a pushed
 * authorization request (RFC 9126) with PKCE S256 (RFC 7636), the offer's
 * issuer_state and, when the server lists them, authorization_details; the wallet's
 * attestation (OAuth 2.0 Attestation-Based Client Authentication) from the host at
 * /par and /token; one DPoP key (RFC 9449) binding the code and the tokens.
 *
 * The authorization step is the citizen's: the issuer asks for the transaction code
 * the consular officer handed over. The wallet posts it to the authorization endpoint
 * itself, as the form a browser would show does, and reads the one-time code from the
 * redirect to its own redirect_uri, checking state and iss (RFC 9207).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mobid/jose.h>
#include <mobid/oid4vci.h>
#include "wallet_receive.h"

/* The wallet's redirect_uri: a claimed https link of the app (RFC 8252 §7.2) under a
 * name that never resolves (.invalid, RFC 2606). The redirect is never followed: the
 * wallet reads the code from it. */
#define WL_REDIRECT_URI "https://wallet.mobid.invalid/callback"
#define WL_CLIENT_ID "mobid-wallet"

static bool listed(const json_t *list, const char *v)
{
    size_t i;
    json_t *e;
    json_array_foreach (list, i, e)
        if (json_is_string(e) && !strcmp(json_string_value(e), v))
            return true;
    return false;
}

bool wl_rx_use_authcode(const rx *r)
{
    return r->ov.has_auth_code &&
           json_string_value(json_object_get(r->asmeta, "pushed_authorization_request_endpoint")) &&
           json_string_value(json_object_get(r->asmeta, "authorization_endpoint")) &&
           (!r->ov.pre_auth_code || (r->io->client_attestation && r->w));
    /* with a pre-authorized code too, wl_rx_authcode_token declines when the host has
     * no attestation after all */
}

json_t *wl_rx_details(const rx *r)
{
    json_t *list, *id;
    size_t i;
    if (!listed(json_object_get(r->asmeta, "authorization_details_types_supported"),
                "openid_credential") || !(list = json_array()))
        return NULL;
    json_array_foreach (r->ov.config_ids, i, id) {
        bool want = !r->only;
        for (const char *const *o = r->only; o && *o; o++)
            want = want || !strcmp(*o, json_string_value(id));
        if (want)
            json_array_append_new(list, json_pack("{s:s,s:O}", "type", "openid_credential",
                                                  "credential_configuration_id", id));
    }
    return list;
}

mobid_err wl_rx_take_details(rx *r, const json_t *resp)
{
    size_t i;
    json_t *d;
    json_array_foreach (json_object_get(resp, "authorization_details"), i, d) {
        const char *cfg = json_string_value(json_object_get(d, "credential_configuration_id"));
        const char *id = json_string_value(json_array_get(json_object_get(d,
                                                          "credential_identifiers"), 0));
        if (!cfg || !id)
            continue;
        if (!r->cred_ids && !(r->cred_ids = json_object()))
            return MOBID_ERR_NOMEM;
        if (json_object_set_new(r->cred_ids, cfg, json_string(id)))
            return MOBID_ERR_NOMEM;
    }
    return MOBID_OK;
}

typedef struct ac {
    rx *r;
    const char *as;          /* the authorization server's identifier */
    char verifier[44], challenge[44], state[23];
    mobid_buf att, pop;      /* the host's attestation and a PoP (empty: none) */
    char client_id[256];
    char *request_uri, *code;
} ac;

/* A fresh PoP for the authorization server (each one is single-use). */
static mobid_err attest(ac *a)
{
    const mobid_wallet_io *io = a->r->io;
    mobid_err err;
    a->att.len = a->pop.len = 0;
    if (!io->client_attestation)
        return MOBID_OK;
    err = io->client_attestation(io->ctx, a->as, &a->att, &a->pop);
    if (err == MOBID_ERR_NOT_FOUND) {
        a->att.len = a->pop.len = 0;
        return MOBID_OK;
    }
    if (err)
        wl_detail(a->r->detail, a->r->dlen, "the wallet attestation could not be made");
    return err;
}

/* client_id: the attestation's sub, or the wallet's own name without one. */
static mobid_err client_id_of(ac *a)
{
    mobid_jws jws = { 0 };
    json_t *pl = NULL;
    mobid_err err = MOBID_OK;
    snprintf(a->client_id, sizeof a->client_id, "%s", WL_CLIENT_ID);
    if (!a->att.len)
        return MOBID_OK;
    err = mobid_jws_parse(mobid_view_make(a->att.ptr, strlen((const char *)a->att.ptr)), &jws);
    if (!err)
        err = mobid_json_parse(mobid_buf_view(&jws.payload), 0, &pl);
    if (!err && json_string_value(json_object_get(pl, "sub")))
        snprintf(a->client_id, sizeof a->client_id, "%s",
                 json_string_value(json_object_get(pl, "sub")));
    json_decref(pl);
    mobid_jws_clear(&jws);
    return err;
}

static void with_attestation(ac *a, mobid_wallet_http_req *q)
{
    q->attestation = a->att.len ? (const char *)a->att.ptr : NULL;
    q->attestation_pop = a->pop.len ? (const char *)a->pop.ptr : NULL;
}

static mobid_err par_form(ac *a, mobid_buf *f)
{
    json_t *details = wl_rx_details(a->r);
    char *dj = details ? json_dumps(details, JSON_COMPACT) : NULL;
    wl_form_add(f, "response_type", "code");
    wl_form_add(f, "client_id", a->client_id);
    wl_form_add(f, "redirect_uri", WL_REDIRECT_URI);
    wl_form_add(f, "code_challenge", a->challenge);
    wl_form_add(f, "code_challenge_method", "S256");
    wl_form_add(f, "state", a->state);
    if (a->r->ov.issuer_state)
        wl_form_add(f, "issuer_state", a->r->ov.issuer_state);
    if (dj)
        wl_form_add(f, "authorization_details", dj);
    free(dj);
    json_decref(details);
    return details && !dj ? MOBID_ERR_NOMEM : f->err;
}

/* POST /par: the request_uri. */
static mobid_err push(ac *a)
{
    rx *r = a->r;
    const char *ep = json_string_value(json_object_get(r->asmeta,
                                                       "pushed_authorization_request_endpoint"));
    mobid_wallet_http_req q = { "POST", ep, "application/x-www-form-urlencoded",
                                "application/json", NULL, { NULL, 0 }, NULL, NULL, NULL, NULL };
    mobid_buf form, proof;
    json_t *resp = NULL;
    mobid_err err;
    mobid_buf_init(&form, 0);
    mobid_buf_init(&proof, 0);
    err = par_form(a, &form);
    if (!err) err = attest(a);
    if (!err) err = mobid_oid4vci_dpop_build(r->dpop_key, "POST", ep, NULL, wl_now(r->io), &proof);
    if (!err) err = mobid_buf_terminate(&proof);
    q.body = mobid_buf_view(&form);
    q.dpop = (const char *)proof.ptr;
    with_attestation(a, &q);
    if (!err) err = wl_http_json_st(r->io, &q, &resp, &r->last_status, r->detail, r->dlen);
    const char *ru = json_string_value(json_object_get(resp, "request_uri"));
    if (!err && !ru) {
        wl_detail(r->detail, r->dlen, "pushed authorization response without request_uri");
        err = MOBID_ERR_MALFORMED;
    }
    if (!err && !(a->request_uri = strdup(ru)))
        err = MOBID_ERR_NOMEM;
    json_decref(resp);
    mobid_buf_free(&form);
    mobid_buf_free(&proof);
    return err;
}

/* The value of name in the query of a redirect URL (heap), or NULL. */
static char *query_param(const char *url, const char *name)
{
    const char *q = strchr(url, '?');
    size_t n = strlen(name);
    while (q && *q) {
        q++;
        size_t len = strcspn(q, "&#");
        if (len > n && !strncmp(q, name, n) && q[n] == '=') {
            mobid_buf v;
            mobid_buf_init(&v, 0);
            char *out = NULL;
            if (!mobid_oid4vci_pct_decode(mobid_view_make(q + n + 1, len - n - 1), &v) &&
                !mobid_buf_terminate(&v))
                out = mobid_buf_detach_str(&v);
            mobid_buf_free(&v);
            return out;
        }
        q += len;
        if (*q == '#')
            break;
    }
    return NULL;
}

/* The redirect to our redirect_uri: the code, with our state and the server's iss. */
static mobid_err read_redirect(ac *a, const char *loc)
{
    rx *r = a->r;
    char *state = NULL, *iss = NULL, *error = NULL;
    mobid_err err = MOBID_ERR_MALFORMED;
    if (strncmp(loc, WL_REDIRECT_URI "?", strlen(WL_REDIRECT_URI) + 1)) {
        wl_detail(r->detail, r->dlen, "the authorization endpoint redirected elsewhere");
        return err;
    }
    a->code = query_param(loc, "code");
    state = query_param(loc, "state");
    iss = query_param(loc, "iss");
    error = query_param(loc, "error");
    if (error)
        wl_detail(r->detail, r->dlen, "authorization refused: %.60s", error);
    else if (!a->code || !state || strcmp(state, a->state))
        wl_detail(r->detail, r->dlen, "authorization response without code or with "
                                      "another state");
    else if (iss && strcmp(iss, a->as)) /* RFC 9207: a mix-up */
        wl_detail(r->detail, r->dlen, "authorization response from another issuer");
    else
        err = MOBID_OK;
    free(state);
    free(iss);
    free(error);
    return err;
}

/* The citizen's step: the transaction code posted to the authorization endpoint. */
static mobid_err authorize(ac *a)
{
    rx *r = a->r;
    const char *ep = json_string_value(json_object_get(r->asmeta, "authorization_endpoint"));
    char tx[33] = "";
    mobid_buf form, body, loc;
    mobid_wallet_http_req q = { "POST", ep, "application/x-www-form-urlencoded",
                                "application/json", NULL, { NULL, 0 }, NULL, NULL, NULL, &loc };
    mobid_err err = r->io->tx_code ? MOBID_OK : MOBID_ERR_INVALID_ARG;
    mobid_buf_init(&form, 0);
    mobid_buf_init(&body, MOBID_WALLET_MAX_HTTP);
    mobid_buf_init(&loc, 0);
    if (!err) err = r->io->tx_code(r->io->ctx, r->ov.tx_code_length ? r->ov.tx_code_length : 6,
                                   NULL, tx, sizeof tx);
    tx[sizeof tx - 1] = 0;
    wl_form_add(&form, "request_uri", a->request_uri);
    wl_form_add(&form, "client_id", a->client_id);
    wl_form_add(&form, "tx_code", tx);
    if (!err) err = form.err;
    q.body = mobid_buf_view(&form);
    if (!err) err = wl_http_st(r->io, &q, &body, &r->last_status, r->detail, r->dlen);
    if (!err && (r->last_status < 300 || r->last_status > 399 || !loc.len)) {
        wl_detail(r->detail, r->dlen, "the authorization endpoint did not redirect (HTTP %ld)",
                  r->last_status);
        err = MOBID_ERR_MALFORMED;
    }
    if (!err) err = read_redirect(a, (const char *)loc.ptr);
    mobid_wipe(tx, sizeof tx);
    mobid_wipe(form.ptr, form.len);
    mobid_buf_free(&form);
    mobid_buf_free(&body);
    mobid_buf_free(&loc);
    return err;
}

/* POST /token with the code, the verifier, the attestation and a DPoP proof. */
static mobid_err exchange(ac *a)
{
    rx *r = a->r;
    mobid_wallet_http_req q = { "POST", r->token_ep, "application/x-www-form-urlencoded",
                                "application/json", NULL, { NULL, 0 }, NULL, NULL, NULL, NULL };
    json_t *resp = NULL;
    mobid_buf form;
    mobid_err err = attest(a);
    mobid_buf_init(&form, 0);
    wl_form_add(&form, "grant_type", MOBID_OID4VCI_GRANT_AUTH_CODE);
    wl_form_add(&form, "code", a->code);
    wl_form_add(&form, "redirect_uri", WL_REDIRECT_URI);
    wl_form_add(&form, "code_verifier", a->verifier);
    wl_form_add(&form, "client_id", a->client_id);
    if (!err) err = form.err;
    q.body = mobid_buf_view(&form);
    with_attestation(a, &q);
    if (!err) err = wl_token_request(r, &q, &resp);
    if (!err && !r->dpop_bound) {
        wl_detail(r->detail, r->dlen, "the token is not bound to the wallet's DPoP key");
        err = MOBID_ERR_MALFORMED;
    }
    if (!err) err = wl_rx_take_details(r, resp);
    json_decref(resp);
    mobid_wipe(form.ptr, form.len);
    mobid_buf_free(&form);
    return err;
}

mobid_err wl_rx_authcode_token(rx *r, bool *declined)
{
    ac a = { .r = r };
    mobid_err err;
    *declined = false;
    mobid_buf_init(&a.att, 0);
    mobid_buf_init(&a.pop, 0);
    a.as = json_string_value(json_object_get(r->asmeta, "issuer"));
    err = a.as ? MOBID_OK : MOBID_ERR_MALFORMED;
    if (!err) err = mobid_oid4vci_pkce_verifier(a.verifier);
    if (!err) err = mobid_oid4vci_pkce_s256(a.verifier, a.challenge);
    if (!err) err = wl_random_id(a.state);
    if (!err && !r->dpop_key) err = mobid_key_generate(MOBID_CURVE_P256, &r->dpop_key);
    if (!err) err = attest(&a);
    /* no attestation to show, and the offer has the pre-authorized code: take that */
    if (!err && !a.att.len && r->ov.pre_auth_code) {
        *declined = true;
        goto done;
    }
    if (!err) err = client_id_of(&a);
    if (!err) err = push(&a);
    if (!err) err = authorize(&a);
    if (!err) err = exchange(&a);
done:
    mobid_wipe(a.verifier, sizeof a.verifier);
    if (a.code)
        mobid_wipe(a.code, strlen(a.code));
    free(a.code);
    free(a.request_uri);
    mobid_buf_free(&a.att);
    mobid_buf_free(&a.pop);
    return err;
}
