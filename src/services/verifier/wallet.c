/*
 * The wallet's side of OpenID4VP: GET request_uri serves the signed request object;
 * POST response_uri takes the authorization response (direct_post form with
 * vp_token and state, or response=<JWE> for direct_post.jwt), claims the session
 * (single use), verifies and records the outcome.
 *
 * Only a response bound to the session ends it: one that decrypts with the session's
 * key (direct_post.jwt) and carries the session's state. Anything else is refused and
 * the session stays pending, so whoever saw the QR cannot spoil it with junk. Anyone
 * who fetched the request object can still build a bound response, so one that proves
 * no holder (no presentation passed its issuer signature and holder binding to this
 * session) only counts an attempt; the VERIFIER_RESPONSE_ATTEMPTS-th ends the session.
 * A holder's answer ends it whatever its outcome (revoked, claims missing).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mobid/jose.h>
#include "services/verifier/verifier.h"

/* OAuth error JSON with mobid's code beside it, so each failure is told apart. */
static mobid_err wallet_error(mobid_http_resp *resp, unsigned status, mobid_err code,
                              const char *detail)
{
    json_t *j = json_pack("{s:s, s:s, s:s}", "error", "invalid_request", "error_description",
                          detail && *detail ? detail : mobid_svc_strerror(code), "mobid_error",
                          mobid_svc_err_name(code));
    if (!j)
        return MOBID_ERR_NOMEM;
    mobid_err err = mobid_http_resp_json(resp, status, j);
    mobid_http_resp_header(resp, "Cache-Control", "no-store");
    json_decref(j);
    return err;
}

/* The session's ephemeral key, unsealed. */
static mobid_err session_key(const verifier_ctx *ctx, const verifier_session *vs, mobid_key **out)
{
    mobid_buf jwk = { 0 };
    mobid_buf_init(&jwk, 0);
    mobid_err err = verifier_unseal(ctx, vs->id, mobid_buf_view(&vs->enc_key), &jwk);
    if (!err)
        err = mobid_jwk_parse(mobid_buf_view(&jwk), out);
    mobid_buf_free(&jwk);
    return err;
}

/* The signed request object, made from the stored session when the wallet asks for it
 * (the same claims at every fetch: iat and exp are the session's). A session written by
 * an older version carries its JWT, served as it is. */
static mobid_err request_object(const verifier_ctx *ctx, const verifier_session *vs,
                                mobid_buf *jwt)
{
    const verifier_rp *rp = verifier_rp_by_id(ctx, vs->rp_id);
    mobid_oid4vp_request_params p = { 0 };
    mobid_buf ruri = { 0 };
    mobid_key *enc = NULL;
    json_t *query = NULL;
    mobid_err err;

    if (vs->request_jwt && *vs->request_jwt)
        return mobid_buf_append_str(jwt, vs->request_jwt);
    if (!rp)
        return MOBID_ERR_NOT_FOUND;
    mobid_buf_init(&ruri, 0);
    mobid_buf_append_str(&ruri, ctx->public_url);
    mobid_buf_append_str(&ruri, "/oid4vp/response/");
    mobid_buf_append_str(&ruri, vs->id);
    bool encrypted = !strcmp(vs->response_mode, "direct_post.jwt");
    if ((err = mobid_buf_terminate(&ruri)) ||
        (err = mobid_json_parse(mobid_view_str(vs->dcql), 0, &query)) ||
        (encrypted && (err = session_key(ctx, vs, &enc))))
        goto done;
    p.key = rp->key;
    p.x5c = rp->chain;
    p.x5c_len = rp->chain_len;
    p.response_uri = (const char *)ruri.ptr;
    p.nonce = vs->nonce;
    p.state = vs->state;
    p.dcql_query = query;
    p.encrypted = encrypted;
    p.enc_key = enc;
    p.registration = rp->registration_jwt;
    p.iat = vs->created_at;
    p.exp = vs->expires_at;
    err = mobid_oid4vp_request_sign(&p, jwt);
done:
    mobid_key_free(enc);
    json_decref(query);
    mobid_buf_free(&ruri);
    return err;
}

static mobid_err on_request(mobid_http_req *req, mobid_http_resp *resp, void *vctx)
{
    verifier_ctx *ctx = vctx;
    verifier_session vs = { 0 };
    mobid_buf jwt = { 0 };
    mobid_store *s = NULL;
    mobid_err err = mobid_store_pool_acquire(ctx->pool, &s);
    if (err)
        return err;
    err = verifier_session_load(s, mobid_http_req_param(req, "id"), &vs);
    mobid_store_pool_release(ctx->pool, s);
    if (err == MOBID_ERR_NOT_FOUND)
        return wallet_error(resp, 404, err, "no such request");
    if (err)
        return err;
    mobid_buf_init(&jwt, 0);
    if (strcmp(vs.status, "pending"))
        err = wallet_error(resp, 400, MOBID_SVC_ERR_SESSION_USED, NULL);
    else if (mobid_now() >= vs.expires_at)
        err = wallet_error(resp, 400, MOBID_SVC_ERR_SESSION_EXPIRED, NULL);
    else if ((err = request_object(ctx, &vs, &jwt)) == MOBID_ERR_NOT_FOUND)
        err = wallet_error(resp, 404, err, "the relying party is no longer configured");
    else if (!err) {
        err = mobid_http_resp_body(resp, 200, "application/oauth-authz-req+jwt",
                                   mobid_buf_view(&jwt));
        mobid_http_resp_header(resp, "Cache-Control", "no-store");
    }
    mobid_buf_free(&jwt);
    verifier_session_clear(&vs);
    return err;
}

/* Response parameters: the decrypted JWE or the form itself. */
static mobid_err response_params(const verifier_ctx *ctx, const verifier_session *vs,
                                 const mobid_http_form *form, const mobid_key *key, json_t **out,
                                 char *detail, size_t detail_len)
{
    const char *jwe = NULL, *v = NULL;
    /* Error responses come as plain form parameters in both modes. */
    if (key && mobid_http_form_get(form, "error", &v)) {
        if (mobid_http_form_get(form, "response", &jwe)) {
            snprintf(detail, detail_len, "direct_post.jwt needs an encrypted response");
            return MOBID_ERR_MALFORMED;
        }
        mobid_err err = mobid_oid4vp_response_decrypt(mobid_view_str(jwe), key, out);
        if (err)
            snprintf(detail, detail_len, "the response does not decrypt: %s", mobid_svc_strerror(err));
        return err;
    }
    if (!(*out = json_object()))
        return MOBID_ERR_NOMEM;
    const char *names[] = { "vp_token", "state", "error", "error_description" };
    for (size_t i = 0; i < 4; i++)
        if (!mobid_http_form_get(form, names[i], &v))
            json_object_set_new(*out, names[i], json_string(v));
    (void)ctx;
    (void)vs;
    return MOBID_OK;
}

typedef struct response_job {
    verifier_ctx *ctx;
    verifier_session *vs;
    const mobid_http_form *form;
    json_t *claims;          /* on success */
    bool bound;              /* decrypted and carries the session's state */
    bool proven;             /* a presentation passed issuer signature and holder binding */
    bool wallet_error;       /* an authorization error response (OpenID4VP 1.0 §8.5) */
    unsigned warnings;       /* what the trust policy let through (MOBID_TRUST_WARN_*) */
    char detail[256];
} response_job;

static mobid_err verify_response(response_job *job)
{
    verifier_session *vs = job->vs;
    mobid_key *key = NULL;
    json_t *params = NULL, *query = NULL;
    mobid_dcql *q = NULL;
    uint8_t thumb[32];
    verifier_check c = { 0 };
    mobid_err err;

    if (vs->enc_key.len && (err = session_key(job->ctx, vs, &key)))
        goto done;
    if ((err = response_params(job->ctx, vs, job->form, key, &params, job->detail,
                               sizeof job->detail)))
        goto done;
    const char *state = json_string_value(json_object_get(params, "state"));
    if (!state || strcmp(state, vs->state)) {
        snprintf(job->detail, sizeof job->detail, "state belongs to another session");
        err = MOBID_SVC_ERR_SESSION_MISMATCH;
        goto done;
    }
    job->bound = true;
    const char *werr = json_string_value(json_object_get(params, "error"));
    if (werr) {
        snprintf(job->detail, sizeof job->detail, "the wallet answered %.64s", werr);
        job->wallet_error = true;
        err = strcmp(werr, "access_denied") ? MOBID_ERR_DCQL_UNSATISFIED
                                            : MOBID_SVC_ERR_ACCESS_DENIED;
        goto done;
    }
    if ((err = mobid_json_parse(mobid_view_str(vs->dcql), 0, &query)) ||
        (err = mobid_dcql_parse(query, &q, job->detail, sizeof job->detail)))
        goto done;
    if (key) {
        json_t *jwk = NULL;
        if ((err = mobid_jwk_from_key(key, false, &jwk)))
            goto done;
        err = mobid_jwk_thumbprint(jwk, thumb);
        json_decref(jwk);
        if (err)
            goto done;
        c.jwk_thumbprint = mobid_view_make(thumb, 32);
    }
    const verifier_rp *rp = verifier_rp_by_id(job->ctx, vs->rp_id);
    char ruri[512];
    snprintf(ruri, sizeof ruri, "%s/oid4vp/response/%s", job->ctx->public_url, vs->id);
    c.ctx = job->ctx;
    c.client_id = rp ? rp->client_id : "";
    c.nonce = vs->nonce;
    c.response_uri = ruri;
    c.query = q;
    c.now = mobid_now();
    c.warnings = &job->warnings;
    c.holder_proven = &job->proven;
    const json_t *tok = json_object_get(params, "vp_token");
    if (!tok) {
        snprintf(job->detail, sizeof job->detail, "no vp_token");
        err = MOBID_ERR_MALFORMED;
        goto done;
    }
    err = verifier_check_vp_token(&c, tok, &job->claims, job->detail, sizeof job->detail);
done:
    mobid_dcql_free(q);
    json_decref(query);
    json_decref(params);
    mobid_key_free(key);
    return err;
}

static mobid_err record(response_job *job, mobid_store *s, mobid_err outcome)
{
    mobid_buf text = { 0 }, sealed = { 0 };
    mobid_err err = MOBID_OK;
    mobid_buf_init(&text, 0);
    mobid_buf_init(&sealed, 0);
    json_t *result = outcome ? NULL : verifier_result_json(job->claims, job->warnings);
    if (!outcome && !result)
        err = MOBID_ERR_NOMEM;
    if (!outcome && (err || (err = mobid_json_dump(result, false, &text)) ||
                     (err = verifier_seal(job->ctx, job->vs->id, mobid_buf_view(&text), &sealed)))) {
        json_decref(result);
        goto done;
    }
    json_decref(result);
    err = verifier_session_answer(s, job->vs->id, mobid_now(), outcome, job->detail,
                                  mobid_buf_view(&sealed));
    if (!err)
        verifier_announce(job->ctx, job->vs->id);
done:
    mobid_buf_free(&text);
    mobid_buf_free(&sealed);
    return err;
}

/* Load the session; answers 404 / 400 itself (then *gone is set). The store
 * connection is given back at once: none is held while the response is verified
 * (a status-list fetch may take a while). */
static mobid_err load_pending(response_job *job, const char *id, mobid_http_resp *resp, bool *gone)
{
    mobid_store *s = NULL;
    mobid_err err = mobid_store_pool_acquire(job->ctx->pool, &s);
    *gone = false;
    if (!err)
        err = verifier_session_load(s, id, job->vs);
    mobid_store_pool_release(job->ctx->pool, s);
    if (err == MOBID_ERR_NOT_FOUND) {
        *gone = true;
        return wallet_error(resp, 404, err, "no such session");
    }
    if (!err && (strcmp(job->vs->status, "pending") || mobid_now() >= job->vs->expires_at)) {
        *gone = true;
        err = strcmp(job->vs->status, "pending") ? MOBID_SVC_ERR_SESSION_USED : MOBID_SVC_ERR_SESSION_EXPIRED;
        return wallet_error(resp, 400, err, NULL);
    }
    return err;
}

/* 200 for a processed response; in a same-device flow with the redirect_uri the
 * wallet sends the user to, carrying a fresh one-time response code (§8.2). */
static mobid_err processed(response_job *job, mobid_store *s, mobid_http_resp *resp)
{
    char code[44];
    mobid_buf uri = { 0 };
    json_t *ok = NULL;
    mobid_err err = MOBID_OK;

    mobid_buf_init(&uri, 0);
    if (job->vs->redirect_uri && !(err = verifier_session_response_code(s, job->vs->id, code))) {
        mobid_buf_append_str(&uri, job->vs->redirect_uri);
        mobid_buf_append_str(&uri, "#response_code=");
        mobid_buf_append_str(&uri, code);
        err = mobid_buf_terminate(&uri);
    }
    if (!err)
        ok = uri.len ? json_pack("{s:s}", "redirect_uri", (const char *)uri.ptr) : json_object();
    if (!err)
        err = ok ? mobid_http_resp_json(resp, 200, ok) : MOBID_ERR_NOMEM;
    json_decref(ok);
    mobid_buf_free(&uri);
    mobid_wipe(code, sizeof code);
    return err;
}

static mobid_err on_response(mobid_http_req *req, mobid_http_resp *resp, void *vctx)
{
    response_job job = { .ctx = vctx };
    verifier_session vs = { 0 };
    mobid_store *s = NULL;
    mobid_err err, outcome;
    bool gone = false;

    job.vs = &vs;
    if ((err = mobid_http_req_form(req, &job.form)))
        return wallet_error(resp, 400, err, "the body must be a form");
    if ((err = load_pending(&job, mobid_http_req_param(req, "id"), resp, &gone)) || gone)
        goto done;
    outcome = verify_response(&job);
    if (!job.bound) { /* not this session's answer: refused, the session goes on */
        err = wallet_error(resp, 400, outcome, job.detail);
        goto done;
    }
    if ((err = mobid_store_pool_acquire(job.ctx->pool, &s)))
        goto done;
    bool counted = false;
    if (outcome && !job.wallet_error && !job.proven &&
        (err = verifier_session_strike(s, vs.id, mobid_now(), &counted))) {
        err = err == MOBID_SVC_ERR_SESSION_USED || err == MOBID_SVC_ERR_SESSION_EXPIRED
                  ? wallet_error(resp, 400, err, NULL) : err;
        goto done;
    }
    if (counted) { /* proves no holder: refused, the session goes on for a while */
        err = wallet_error(resp, 400, outcome, job.detail);
        goto done;
    }
    if ((err = record(&job, s, outcome))) {
        /* Another response came first, or the session expired meanwhile. */
        if (err == MOBID_SVC_ERR_SESSION_USED || err == MOBID_SVC_ERR_SESSION_EXPIRED)
            err = wallet_error(resp, 400, err, NULL);
        goto done;
    }
    const char *labels[] = { "outcome", outcome ? mobid_svc_err_name(outcome) : "verified", NULL };
    mobid_metrics_add(mobid_http_server_metrics(mobid_http_req_server(req)), VERIFIER_METRIC,
                      labels, 1);
    /* A wallet's error response, once recorded, was processed: 200 (§8.2). */
    if (outcome && !job.wallet_error) {
        err = wallet_error(resp, 400, outcome, job.detail);
    } else {
        err = processed(&job, s, resp);
    }
done:
    json_decref(job.claims);
    verifier_session_clear(&vs);
    mobid_store_pool_release(job.ctx->pool, s);
    return err;
}

mobid_err verifier_wallet_routes(verifier_ctx *ctx, mobid_http_server *srv)
{
    mobid_err err = mobid_http_route(srv, "GET", "/oid4vp/request/{id}", on_request, ctx);
    if (!err)
        err = mobid_http_route(srv, "POST", "/oid4vp/response/{id}", on_response, ctx);
    return err;
}
