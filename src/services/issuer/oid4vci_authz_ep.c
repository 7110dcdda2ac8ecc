/*
 * issuer: the endpoints of the authorization-code flow (see oid4vci_authz.c for the
 * profile and how the citizen is authenticated):
 *   POST /par        pushed authorization request (RFC 9126), wallet attestation;
 *   GET  /authorize  the page that asks for the transaction code (request_uri only);
 *   POST /authorize  the code checked, then 303 to the wallet's redirect_uri with a
 *                    one-time code, state and iss (RFC 9207);
 *   POST /token      grant_type=authorization_code (called from oid4vci.c).
 */
#include "services/issuer/authz.h"
#include "services/issuer/office.h"
#include "http/form.h"

#include <mobid/jose.h>
#include <mobid/oid4vci.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* body(s, arg) in one transaction on a borrowed connection. */
static mobid_err in_tx(issuer_ctx *ctx, mobid_err (*body)(mobid_store *, void *), void *arg)
{
    mobid_store *s = NULL;
    mobid_err err = issuer_db(ctx, &s);
    if (err == MOBID_OK)
        err = mobid_store_tx(s, 0, body, arg);
    issuer_db_release(ctx, s);
    return err;
}

/* ---- POST /par ---- */

typedef struct par_tx {
    issuer_ctx *ctx;
    const mobid_oid4vci_attestation *att;
    const char *issuer_state;
    json_t *details;
    authz_row row;
    char hash[65];
    const char *refusal;     /* set when the request is refused */
    bool replay;
} par_tx;

static mobid_err par_body(mobid_store *s, void *arg)
{
    par_tx *p = arg;
    char cardtype[64];
    bool fresh = false;
    mobid_err err = authz_pop_use(s, p->att, &fresh);
    if (err != MOBID_OK || (p->replay = !fresh))
        return err;
    if ((err = authz_offer_read(s, p->row.offer_id, cardtype, NULL, NULL)) != MOBID_OK)
        return err;
    if (!cardtype[0])
        p->refusal = "the offer of this issuer_state is used, cancelled or expired";
    else if (!issuer_details_ok(p->ctx, p->details, cardtype))
        p->refusal = "authorization_details must be openid_credential entries naming "
                     "configurations of the offered card";
    if (p->refusal)
        return MOBID_OK;
    if (p->details && !(p->row.details = json_dumps(p->details, JSON_COMPACT)))
        return MOBID_ERR_NOMEM;
    return authz_row_insert(s, p->hash, "par", &p->row, AUTHZ_PAR_LIFETIME_S);
}

/* The request's parameters into p->row; a refusal's description, or NULL. */
static const char *par_params(par_tx *p, const mobid_http_form *f)
{
    const char *rt = NULL, *cid = NULL, *ru = NULL, *cc = NULL, *ccm = NULL, *st = NULL,
               *det = NULL, *ruri = NULL;
    if (mobid_http_form_get(f, "response_type", &rt) == MOBID_ERR_MALFORMED ||
        mobid_http_form_get(f, "client_id", &cid) == MOBID_ERR_MALFORMED ||
        mobid_http_form_get(f, "redirect_uri", &ru) == MOBID_ERR_MALFORMED ||
        mobid_http_form_get(f, "code_challenge", &cc) == MOBID_ERR_MALFORMED ||
        mobid_http_form_get(f, "code_challenge_method", &ccm) == MOBID_ERR_MALFORMED ||
        mobid_http_form_get(f, "issuer_state", &p->issuer_state) == MOBID_ERR_MALFORMED ||
        mobid_http_form_get(f, "state", &st) == MOBID_ERR_MALFORMED ||
        mobid_http_form_get(f, "authorization_details", &det) == MOBID_ERR_MALFORMED ||
        mobid_http_form_get(f, "request_uri", &ruri) == MOBID_ERR_MALFORMED)
        return "repeated parameter";
    if (ruri)
        return "request_uri is not allowed in a pushed authorization request";
    if (!rt || strcmp(rt, "code"))
        return "response_type must be code";
    if (cid && strcmp(cid, p->att->client_id))
        return "client_id is not the one the wallet attestation names";
    if (!cc)
        return "code_challenge required (PKCE with S256)";
    if (!ccm || strcmp(ccm, "S256"))
        return "code_challenge_method must be S256";
    if (strlen(cc) != 43 || strspn(cc, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                       "0123456789-_") != 43)
        return "code_challenge must be a base64url SHA-256 hash";
    if (!ru || !*ru || strlen(ru) >= sizeof p->row.redirect_uri || !strchr(ru, ':') ||
        strpbrk(ru, "# \"<>"))
        return "redirect_uri missing or not an absolute URI without fragment";
    if (st && strlen(st) >= sizeof p->row.state)
        return "state too long";
    if (det && (strlen(det) > 4096 || mobid_json_parse(mobid_view_str(det), 0, &p->details)))
        return "authorization_details is not JSON";
    snprintf(p->row.client_id, sizeof p->row.client_id, "%s", p->att->client_id);
    snprintf(p->row.redirect_uri, sizeof p->row.redirect_uri, "%s", ru);
    snprintf(p->row.challenge, sizeof p->row.challenge, "%s", cc);
    snprintf(p->row.state, sizeof p->row.state, "%s", st ? st : "");
    return NULL;
}

static mobid_err par_answer(mobid_http_resp *resp, const char *token)
{
    char uri[128];
    snprintf(uri, sizeof uri, AUTHZ_PAR_PREFIX "%s", token);
    json_t *j = json_pack("{s:s,s:i}", "request_uri", uri, "expires_in", AUTHZ_PAR_LIFETIME_S);
    mobid_http_resp_header(resp, "Cache-Control", "no-store");
    mobid_err err = j ? mobid_http_resp_json(resp, 201, j) : MOBID_ERR_NOMEM;
    json_decref(j);
    return err;
}

static mobid_err on_par(mobid_http_req *req, mobid_http_resp *resp, void *arg)
{
    issuer_ctx *ctx = arg;
    const mobid_http_form *form = NULL;
    mobid_oid4vci_attestation att;
    issuer_dpop dpop;
    par_tx p = { .ctx = ctx, .att = &att };
    const char *bad;
    char why[MOBID_SVC_DETAIL_MAX], token[44];
    mobid_err err;
    if (mobid_http_req_form(req, &form) != MOBID_OK)
        return mobid_http_resp_oauth_error(resp, 400, "invalid_request",
                                           "expected an application/x-www-form-urlencoded body");
    if (authz_client_attest(ctx, req, &att, why, sizeof why) != MOBID_OK)
        return authz_invalid_client(resp, why);
    if ((err = issuer_dpop_read(ctx, req, "/par", NULL, &dpop)) != MOBID_OK)
        return err;
    if (dpop.present && dpop.err != MOBID_OK) /* RFC 9449 §10: binds the code to this key */
        return mobid_http_resp_oauth_error(resp, 400, "invalid_dpop_proof",
                                           mobid_svc_err_name(dpop.err));
    if (dpop.present)
        memcpy(p.row.jkt, dpop.proof.jkt, sizeof p.row.jkt);
    if ((bad = par_params(&p, form)) == NULL && !p.issuer_state)
        bad = "issuer_state required: the authorization starts from the offer made "
              "at the consulate";
    if (!bad && issuer_offer_ref_check(ctx, p.issuer_state, p.row.offer_id) != MOBID_OK)
        bad = "issuer_state unknown";
    if (bad) {
        json_decref(p.details);
        return mobid_http_resp_oauth_error(resp, 400, !strncmp(bad, "response_type", 13)
                                                          ? "unsupported_response_type"
                                                          : "invalid_request", bad);
    }
    err = issuer_random_token(token, p.hash);
    if (err == MOBID_OK) err = in_tx(ctx, par_body, &p);
    json_decref(p.details);
    free(p.row.details);
    if (err == MOBID_OK && p.replay)
        return authz_invalid_client(resp, "attestation PoP already used");
    if (err == MOBID_OK && p.refusal)
        return mobid_http_resp_oauth_error(resp, 400, strstr(p.refusal, "authorization_details")
                                                          ? "invalid_authorization_details"
                                                          : "invalid_request", p.refusal);
    return err == MOBID_OK ? par_answer(resp, token) : err;
}

/* ---- /authorize ---- */

/* A refusal at the authorization endpoint is never redirected (the redirect_uri is
 * not known to be the wallet's until the request is found): an HTML page for a
 * browser, an OAuth error object for an app. */
static mobid_err authz_refuse(mobid_http_req *req, mobid_http_resp *resp, unsigned status,
                              const char *error, const char *why)
{
    const char *accept = mobid_http_req_header(req, "Accept");
    if (!accept || !strstr(accept, "text/html"))
        return mobid_http_resp_oauth_error(resp, status, error, why);
    mobid_buf b = { 0 };
    mobid_buf_append_str(&b, "<!doctype html><html lang=\"ko\"><meta charset=\"utf-8\">"
                             "<meta name=\"viewport\" content=\"width=device-width\">"
                             "<title>발급 거부 · Refused</title><h1>발급 거부 · Refused</h1><p>");
    mobid_buf_append_str(&b, error); /* our own constant strings: nothing to escape */
    mobid_buf_append_str(&b, ": ");
    mobid_buf_append_str(&b, why);
    mobid_buf_append_str(&b, "</p></html>");
    mobid_http_resp_header(resp, "Content-Security-Policy", "default-src 'none'");
    mobid_http_resp_header(resp, "Cache-Control", "no-store");
    mobid_err err = b.err ? b.err : mobid_http_resp_body(resp, status, "text/html; charset=utf-8",
                                                         mobid_buf_view(&b));
    mobid_buf_free(&b);
    return err;
}

/* The request_uri's hash when it names one of ours. */
static bool request_uri_hash(const char *uri, char hash[65])
{
    size_t n = strlen(AUTHZ_PAR_PREFIX);
    return uri && !strncmp(uri, AUTHZ_PAR_PREFIX, n) && strlen(uri + n) == 43 &&
           issuer_hash_hex(mobid_view_str(uri + n), hash) == MOBID_OK;
}

typedef struct authz_tx {
    issuer_token_tx t;       /* the tx_code and its limits, as at /token */
    const char *client_id;
    char par_hash[65];
    char code[44], code_hash[65];
    authz_row row;
    const char *refusal;
} authz_tx;

/* The pushed request, unused and for this client; a refusal otherwise. */
static mobid_err par_find(mobid_store *s, authz_tx *a)
{
    bool found = false, used = false;
    mobid_err err = authz_row_read(s, a->par_hash, &a->row, &found, &used);
    if (err == MOBID_OK && (!found || used || strcmp(a->row.kind, "par") || !a->client_id ||
                            strcmp(a->client_id, a->row.client_id)))
        a->refusal = "request_uri unknown, used, expired or of another client";
    return err;
}

static mobid_err par_find_tx(mobid_store *s, void *arg)
{
    return par_find(s, arg);
}

static mobid_err authorize_body(mobid_store *s, void *arg)
{
    authz_tx *a = arg;
    char want[65] = "";
    int64_t failures = 0;
    bool won = false;
    mobid_err err = par_find(s, a);
    if (err == MOBID_OK && !a->refusal)
        err = authz_offer_read(s, a->row.offer_id, a->t.cardtype, want, &failures);
    if (err != MOBID_OK || a->refusal)
        return err;
    if (!a->t.cardtype[0]) {
        a->refusal = "the offer is used, cancelled or expired";
        return MOBID_OK;
    }
    if ((err = issuer_tx_code_try(&a->t, s, a->row.offer_id, want, failures)) != MOBID_OK ||
        a->t.result != TOK_OK)
        return err;
    if ((err = authz_row_use(s, a->par_hash, &won)) != MOBID_OK || !won) {
        a->refusal = err == MOBID_OK ? "request_uri already used" : NULL;
        return err;
    }
    if ((err = issuer_random_token(a->code, a->code_hash)) != MOBID_OK)
        return err;
    return authz_row_insert(s, a->code_hash, "code", &a->row, AUTHZ_CODE_LIFETIME_S);
}

static void query_add(mobid_buf *b, const char *name, const char *value)
{
    mobid_buf_append_byte(b, b->len && strchr((const char *)b->ptr, '?') ? '&' : '?');
    mobid_buf_append_str(b, name);
    mobid_buf_append_byte(b, '=');
    (void)mobid_oid4vci_pct_encode(mobid_view_str(value), b);
}

/* 303 to the wallet: redirect_uri?code=..&state=..&iss=.. */
static mobid_err authorize_redirect(issuer_ctx *ctx, mobid_http_resp *resp, authz_tx *a)
{
    mobid_buf loc = { 0 };
    mobid_buf_append_str(&loc, a->row.redirect_uri);
    mobid_buf_terminate(&loc);
    query_add(&loc, "code", a->code);
    if (a->row.state[0])
        query_add(&loc, "state", a->row.state);
    query_add(&loc, "iss", ctx->cfg.issuer_url);
    mobid_err err = mobid_buf_terminate(&loc);
    mobid_http_resp_header(resp, "Cache-Control", "no-store");
    if (err == MOBID_OK)
        err = mobid_http_resp_redirect(resp, 303, (const char *)loc.ptr);
    mobid_wipe(a->code, sizeof a->code);
    mobid_buf_free(&loc);
    return err;
}

static mobid_err on_authorize_post(mobid_http_req *req, mobid_http_resp *resp, void *arg)
{
    issuer_ctx *ctx = arg;
    const mobid_http_form *form = NULL;
    authz_tx a = { .t = { .ctx = ctx } };
    const char *ruri = NULL;
    mobid_err err;
    if (mobid_http_req_form(req, &form) != MOBID_OK ||
        mobid_http_form_get(form, "request_uri", &ruri) == MOBID_ERR_MALFORMED ||
        mobid_http_form_get(form, "client_id", &a.client_id) == MOBID_ERR_MALFORMED ||
        mobid_http_form_get(form, "tx_code", &a.t.tx_code) == MOBID_ERR_MALFORMED)
        return authz_refuse(req, resp, 400, "invalid_request", "malformed form");
    if (!request_uri_hash(ruri, a.par_hash))
        return authz_refuse(req, resp, 400, "invalid_request_uri", "unknown request_uri");
    if (!a.t.tx_code || !*a.t.tx_code)
        return authz_refuse(req, resp, 400, "invalid_request", "transaction code missing");
    issuer_request_source(ctx, req, a.t.source);
    err = in_tx(ctx, authorize_body, &a);
    free(a.row.details);
    if (err != MOBID_OK)
        return err;
    if (a.refusal)
        return authz_refuse(req, resp, 400, "invalid_request_uri", a.refusal);
    if (a.t.result != TOK_OK)
        return authz_refuse(req, resp, 400, "access_denied",
                            a.t.result == TOK_KILLED ? "wrong transaction code; the offer is now void"
                            : a.t.result == TOK_SOURCE_LOCKED
                                ? "too many wrong transaction codes from this address"
                                : "wrong transaction code");
    return authorize_redirect(ctx, resp, &a);
}

/* The page a browser shows: the transaction code, posted back with the request_uri.
 * Only values the issuer made itself are written into it (the request_uri is checked
 * to be one of ours; the client_id is the one stored with it). */
static mobid_err authorize_page(mobid_http_resp *resp, const char *ruri, const authz_row *r)
{
    mobid_buf b = { 0 };
    mobid_buf_append_str(&b,
        "<!doctype html><html lang=\"ko\"><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width\">"
        "<title>모바일 신분증 발급 · Mobile ID issuance</title>"
        "<h1>모바일 신분증 발급 · Mobile ID issuance</h1>"
        "<p>영사관에서 받은 발급 번호를 입력하세요. · Enter the code the consular officer gave you.</p>"
        "<form method=\"post\" action=\"authorize\"><input type=\"hidden\" name=\"request_uri\" value=\"");
    mobid_buf_append_str(&b, ruri);
    mobid_buf_append_str(&b, "\"><input type=\"hidden\" name=\"client_id\" value=\"");
    for (const char *c = r->client_id; *c; c++) /* from a trusted attestation, still escaped */
        if (*c == '"' || *c == '<' || *c == '>' || *c == '&')
            mobid_buf_append_str(&b, *c == '"' ? "&quot;" : *c == '<' ? "&lt;" : *c == '>' ? "&gt;" : "&amp;");
        else
            mobid_buf_append_byte(&b, (uint8_t)*c);
    mobid_buf_append_str(&b, "\"><label>발급 번호 · Code <input name=\"tx_code\" inputmode=\"numeric\" "
                             "autocomplete=\"one-time-code\" required></label> "
                             "<button>확인 · Continue</button></form></html>");
    /* no form-action: the answer redirects to the wallet's own scheme */
    mobid_http_resp_header(resp, "Content-Security-Policy",
                           "default-src 'none'; base-uri 'none'; frame-ancestors 'none'");
    mobid_http_resp_header(resp, "X-Frame-Options", "DENY");
    mobid_http_resp_header(resp, "Referrer-Policy", "no-referrer");
    mobid_http_resp_header(resp, "Cache-Control", "no-store");
    mobid_err err = b.err ? b.err : mobid_http_resp_body(resp, 200, "text/html; charset=utf-8",
                                                         mobid_buf_view(&b));
    mobid_buf_free(&b);
    return err;
}

static mobid_err on_authorize_get(mobid_http_req *req, mobid_http_resp *resp, void *arg)
{
    issuer_ctx *ctx = arg;
    authz_tx a = { .t = { .ctx = ctx } };
    const char *ruri = mobid_http_req_query(req, "request_uri");
    mobid_err err;
    a.client_id = mobid_http_req_query(req, "client_id");
    if (!ruri) /* RFC 9126 §5: require_pushed_authorization_requests */
        return authz_refuse(req, resp, 400, "invalid_request",
                            "pushed authorization request required: POST it to /par first");
    if (!request_uri_hash(ruri, a.par_hash))
        return authz_refuse(req, resp, 400, "invalid_request_uri", "unknown request_uri");
    err = in_tx(ctx, par_find_tx, &a);
    free(a.row.details);
    if (err != MOBID_OK)
        return err;
    if (a.refusal)
        return authz_refuse(req, resp, 400, "invalid_request_uri", a.refusal);
    return authorize_page(resp, ruri, &a.row);
}

mobid_err issuer_routes_authz(mobid_http_server *srv, issuer_ctx *ctx)
{
    mobid_err err = MOBID_OK;
    if (!ctx->haip)
        return MOBID_OK;
    if (err == MOBID_OK) err = mobid_http_route(srv, "POST", "/par", on_par, ctx);
    if (err == MOBID_OK) err = mobid_http_route(srv, "GET", "/authorize", on_authorize_get, ctx);
    if (err == MOBID_OK) err = mobid_http_route(srv, "POST", "/authorize", on_authorize_post, ctx);
    return err;
}

/* ---- POST /token, grant_type=authorization_code ---- */

typedef struct code_tx {
    issuer_token_tx t;
    const mobid_oid4vci_attestation *att;
    const char *verifier, *redirect_uri;
    char hash[65];
    const char *refusal;     /* invalid_grant with this description */
    bool pop_replay;
} code_tx;

/* RFC 6749 §4.1.2: a code used twice revokes the tokens issued with it. */
static mobid_err revoke_offer_tokens(mobid_store *s, const char *offer_id)
{
    static const char *const sql[] = {
        "DELETE FROM issuer_access_tokens WHERE offer_id = $1",
        "DELETE FROM issuer_refresh_tokens WHERE offer_id = $1",
    };
    mobid_err err = MOBID_OK;
    for (size_t i = 0; err == MOBID_OK && i < 2; i++) {
        mobid_store_stmt *st = NULL;
        bool row;
        err = mobid_store_prepare(s, sql[i], &st);
        if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, offer_id);
        if (err == MOBID_OK) err = mobid_store_step(st, &row);
        mobid_store_finalize(st);
    }
    return err;
}

/* The code's bindings: client, redirect_uri, PKCE verifier, DPoP key. */
static const char *code_mismatch(const code_tx *c, const authz_row *r)
{
    char got[44];
    if (strcmp(r->client_id, c->att->client_id))
        return "the code was issued to another client";
    if (!c->redirect_uri || strcmp(c->redirect_uri, r->redirect_uri))
        return "redirect_uri differs from the authorization request's";
    if (mobid_oid4vci_pkce_s256(c->verifier, got) != MOBID_OK ||
        !mobid_ct_eq(mobid_view_make(got, 43), mobid_view_make(r->challenge, 43)))
        return "code_verifier does not match the code_challenge";
    if (r->jkt[0] && strcmp(r->jkt, c->t.dpop->proof.jkt))
        return "the DPoP key is not the one of the authorization request";
    return NULL;
}

static mobid_err code_body(mobid_store *s, void *arg)
{
    code_tx *c = arg;
    authz_row r = { 0 };
    bool found = false, used = false, won = false, fresh = false;
    mobid_err err = authz_pop_use(s, c->att, &fresh);
    if (err == MOBID_OK && !(c->pop_replay = !fresh))
        err = authz_row_read(s, c->hash, &r, &found, &used);
    if (err != MOBID_OK || c->pop_replay)
        goto done;
    if (!found || strcmp(r.kind, "code")) {
        c->refusal = "authorization code unknown or expired";
    } else if (used || (err = authz_row_use(s, c->hash, &won)) != MOBID_OK || !won) {
        c->refusal = "authorization code already used; its tokens are revoked";
        if (err == MOBID_OK)
            err = revoke_offer_tokens(s, r.offer_id);
    } else if (!(c->refusal = code_mismatch(c, &r))) {
        err = authz_offer_read(s, r.offer_id, c->t.cardtype, NULL, NULL);
        if (err == MOBID_OK && r.details &&
            mobid_json_parse(mobid_view_str(r.details), 0, &c->t.details) != MOBID_OK)
            err = MOBID_ERR_MALFORMED;
        if (err == MOBID_OK)
            err = issuer_token_issue(&c->t, s, r.offer_id);
    }
done:
    free(r.details);
    return err;
}

static mobid_err code_answer(issuer_ctx *ctx, mobid_http_resp *resp, code_tx *c)
{
    if (c->pop_replay) {
        json_decref(c->t.details);
        return authz_invalid_client(resp, "attestation PoP already used");
    }
    if (c->refusal || c->t.result != TOK_OK) {
        json_decref(c->t.details);
        if (c->t.result == TOK_DPOP_REPLAY)
            return mobid_http_resp_oauth_error(resp, 400, "invalid_dpop_proof",
                                               "DPoP proof already used");
        return mobid_http_resp_oauth_error(resp, 400, "invalid_grant",
                                           c->refusal ? c->refusal
                                                      : "the offer is used, cancelled or expired");
    }
    return issuer_token_answer(ctx, resp, &c->t);
}

mobid_err issuer_authcode_grant(issuer_ctx *ctx, mobid_http_req *req, mobid_http_resp *resp,
                                const mobid_http_form *form, const issuer_dpop *dpop)
{
    mobid_oid4vci_attestation att;
    code_tx c = { .t = { .ctx = ctx, .dpop = dpop }, .att = &att };
    const char *code = NULL;
    char why[MOBID_SVC_DETAIL_MAX];
    if (mobid_http_form_get(form, "code", &code) == MOBID_ERR_MALFORMED ||
        mobid_http_form_get(form, "code_verifier", &c.verifier) == MOBID_ERR_MALFORMED ||
        mobid_http_form_get(form, "redirect_uri", &c.redirect_uri) == MOBID_ERR_MALFORMED)
        return mobid_http_resp_oauth_error(resp, 400, "invalid_request", "repeated parameter");
    if (authz_client_attest(ctx, req, &att, why, sizeof why) != MOBID_OK)
        return authz_invalid_client(resp, why);
    if (!dpop->present || dpop->err != MOBID_OK) /* HAIP: sender-constrained tokens only */
        return mobid_http_resp_oauth_error(resp, 400, "invalid_dpop_proof",
                                           dpop->present ? mobid_svc_err_name(dpop->err)
                                                         : "a DPoP proof is required");
    if (!code || strlen(code) != 43)
        return mobid_http_resp_oauth_error(resp, 400, "invalid_request", "code missing");
    if (!c.verifier)
        return mobid_http_resp_oauth_error(resp, 400, "invalid_request",
                                           "code_verifier missing (PKCE)");
    mobid_err err = issuer_hash_hex(mobid_view_str(code), c.hash);
    if (err == MOBID_OK) err = in_tx(ctx, code_body, &c);
    if (err != MOBID_OK) {
        json_decref(c.t.details);
        return err;
    }
    return code_answer(ctx, resp, &c);
}
