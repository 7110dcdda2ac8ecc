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

/* Read pending session id from the store; answers 404 (with nf_detail) or 400 itself
 * when there is none (then *gone is set). */
static mobid_err read_pending(verifier_ctx *ctx, const char *id, const char *nf_detail,
                              mobid_http_resp *resp, bool *gone, verifier_session *vs)
{
    mobid_store *s = NULL;
    mobid_err err = mobid_store_pool_acquire(ctx->pool, &s);
    *gone = false;
    if (!err)
        err = verifier_session_load(s, id, vs);
    mobid_store_pool_release(ctx->pool, s);
    if (err == MOBID_ERR_NOT_FOUND) {
        *gone = true;
        return wallet_error(resp, 404, err, nf_detail);
    }
    if (!err && (strcmp(vs->status, "pending") || mobid_now() >= vs->expires_at)) {
        *gone = true;
        err = strcmp(vs->status, "pending") ? MOBID_SVC_ERR_SESSION_USED : MOBID_SVC_ERR_SESSION_EXPIRED;
        return wallet_error(resp, 400, err, NULL);
    }
    return err;
}

/* The fixed parts of pending session id: from this instance's cache (*cached set; the
 * store was not asked whether it is still pending), else read from the store, kept in
 * the cache, and answered like read_pending when there is none. The store connection
 * is given back at once: none is held while a response is verified (a status-list
 * fetch may take a while). */
static mobid_err load_fixed(verifier_ctx *ctx, const char *id, const char *nf_detail,
                            mobid_http_resp *resp, bool *gone, bool *cached, verifier_fixed **out)
{
    verifier_session vs = { 0 };
    mobid_err err;

    *gone = false;
    *out = verifier_cache_get(ctx->cache, id, mobid_now());
    *cached = *out != NULL;
    if (*out)
        return MOBID_OK;
    if (!(err = read_pending(ctx, id, nf_detail, resp, gone, &vs)) && !*gone &&
        !(err = verifier_fixed_new(ctx, &vs, NULL, NULL, out)))
        verifier_cache_put(ctx->cache, *out);
    verifier_session_clear(&vs);
    return err;
}

/* The signed request object, made from the session when the wallet asks for it (the
 * same claims at every fetch: iat and exp are the session's). A session written by an
 * older version carries its JWT, served as it is. */
static mobid_err request_object(const verifier_ctx *ctx, const verifier_fixed *f, mobid_buf *jwt)
{
    const verifier_rp *rp = verifier_rp_by_id(ctx, f->rp_id);
    mobid_oid4vp_request_params p = { 0 };
    mobid_buf ruri = { 0 };
    mobid_err err;

    if (f->request_jwt)
        return mobid_buf_append_str(jwt, f->request_jwt);
    if (!rp)
        return MOBID_ERR_NOT_FOUND;
    mobid_buf_init(&ruri, 0);
    mobid_buf_append_str(&ruri, ctx->public_url);
    mobid_buf_append_str(&ruri, "/oid4vp/response/");
    mobid_buf_append_str(&ruri, f->id);
    if ((err = mobid_buf_terminate(&ruri)))
        goto done;
    p.response_uri = (const char *)ruri.ptr;
    p.nonce = f->nonce;
    p.state = f->state;
    p.dcql_query = f->query->query;
    p.encrypted = f->encrypted;
    p.enc_key = f->key;
    p.iat = f->created_at;
    p.exp = f->expires_at;
    err = mobid_oid4vp_request_sign_with(rp->signer, &p, jwt);
done:
    mobid_buf_free(&ruri);
    return err;
}

static mobid_err on_request(mobid_http_req *req, mobid_http_resp *resp, void *vctx)
{
    verifier_ctx *ctx = vctx;
    verifier_fixed *f = NULL;
    mobid_buf jwt = { 0 };
    bool gone, cached;
    mobid_err err = load_fixed(ctx, mobid_http_req_param(req, "id"), "no such request", resp,
                               &gone, &cached, &f);
    if (err || gone)
        return err;
    mobid_buf_init(&jwt, 0);
    if ((err = request_object(ctx, f, &jwt)) == MOBID_ERR_NOT_FOUND)
        err = wallet_error(resp, 404, err, "the relying party is no longer configured");
    else if (!err) {
        err = mobid_http_resp_body(resp, 200, "application/oauth-authz-req+jwt",
                                   mobid_buf_view(&jwt));
        mobid_http_resp_header(resp, "Cache-Control", "no-store");
    }
    mobid_buf_free(&jwt);
    verifier_fixed_release(f);
    return err;
}

/* Response parameters: the decrypted JWE or the form itself. */
static mobid_err response_params(const mobid_http_form *form, const mobid_key *key, json_t **out,
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
    return MOBID_OK;
}

typedef struct response_job {
    verifier_ctx *ctx;
    verifier_fixed *f;       /* the session answered */
    const mobid_http_form *form;
    json_t *claims;          /* on success */
    bool bound;              /* decrypted and carries the session's state */
    bool proven;             /* a presentation passed issuer signature and holder binding */
    bool wallet_error;       /* an authorization error response (OpenID4VP 1.0 §8.5) */
    unsigned warnings;       /* what the trust policy let through (MOBID_TRUST_WARN_*) */
    char detail[256];
} response_job;

/* Only mdoc's session transcript binds the encryption key (its JWK thumbprint). */
static mobid_err mdoc_thumbprint(const verifier_fixed *f, uint8_t thumb[32], bool *made)
{
    json_t *jwk = NULL;
    mobid_err err = MOBID_OK;
    bool mdoc = false;
    for (size_t i = 0; i < f->query->n_creds; i++)
        mdoc |= f->query->creds[i].format == MOBID_DCQL_MDOC;
    *made = false;
    if (!f->key || !mdoc)
        return MOBID_OK;
    if (!(err = mobid_jwk_from_key(f->key, false, &jwk)))
        err = mobid_jwk_thumbprint(jwk, thumb);
    json_decref(jwk);
    *made = !err;
    return err;
}

static mobid_err verify_response(response_job *job)
{
    const verifier_fixed *f = job->f;
    json_t *params = NULL;
    uint8_t thumb[32];
    verifier_check c = { 0 };
    bool thumbed = false;
    mobid_err err;

    if ((err = response_params(job->form, f->key, &params, job->detail, sizeof job->detail)))
        goto done;
    const char *state = json_string_value(json_object_get(params, "state"));
    if (!state || strcmp(state, f->state)) {
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
    if ((err = mdoc_thumbprint(f, thumb, &thumbed)))
        goto done;
    if (thumbed)
        c.jwk_thumbprint = mobid_view_make(thumb, 32);
    const verifier_rp *rp = verifier_rp_by_id(job->ctx, f->rp_id);
    char ruri[512];
    snprintf(ruri, sizeof ruri, "%s/oid4vp/response/%s", job->ctx->public_url, f->id);
    c.ctx = job->ctx;
    c.client_id = rp ? rp->client_id : "";
    c.nonce = f->nonce;
    c.response_uri = ruri;
    c.query = f->query;
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
    json_decref(params);
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
                     (err = verifier_seal(job->ctx, job->f->id, mobid_buf_view(&text), &sealed)))) {
        json_decref(result);
        goto done;
    }
    json_decref(result);
    err = verifier_session_answer(s, job->f->id, mobid_now(), outcome, job->detail,
                                  mobid_buf_view(&sealed));
    if (!err)
        verifier_announce(job->ctx, job->f->id);
done:
    mobid_buf_free(&text);
    mobid_buf_free(&sealed);
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
    if (job->f->redirect_uri && !(err = verifier_session_response_code(s, job->f->id, code))) {
        mobid_buf_append_str(&uri, job->f->redirect_uri);
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

/* A response refused before it touched the store. When the session came from the
 * cache, the store says first whether it is still pending: an answer to a session
 * taken on another instance is refused SESSION_USED, as without the cache. */
static mobid_err refuse_unbound(response_job *job, bool cached, mobid_http_resp *resp,
                                mobid_err outcome)
{
    verifier_session vs = { 0 };
    bool gone = false;
    mobid_err err = MOBID_OK;
    if (cached)
        err = read_pending(job->ctx, job->f->id, "no such session", resp, &gone, &vs);
    verifier_session_clear(&vs);
    if (!err && !gone)
        err = wallet_error(resp, 400, outcome, job->detail);
    return err;
}

/* Another response came first (perhaps on another instance), or the session expired
 * meanwhile: refused, and this instance forgets the session. Other errors pass. */
static mobid_err refuse_taken(response_job *job, mobid_http_resp *resp, mobid_err err)
{
    if (err != MOBID_SVC_ERR_SESSION_USED && err != MOBID_SVC_ERR_SESSION_EXPIRED)
        return err;
    verifier_cache_drop(job->ctx->cache, job->f->id);
    return wallet_error(resp, 400, err, NULL);
}

static mobid_err on_response(mobid_http_req *req, mobid_http_resp *resp, void *vctx)
{
    response_job job = { .ctx = vctx };
    mobid_store *s = NULL;
    mobid_err err, outcome;
    bool gone = false, cached = false;

    if ((err = mobid_http_req_form(req, &job.form)))
        return wallet_error(resp, 400, err, "the body must be a form");
    if ((err = load_fixed(job.ctx, mobid_http_req_param(req, "id"), "no such session", resp, &gone,
                          &cached, &job.f)) || gone)
        goto done;
    outcome = verify_response(&job);
    if (!job.bound) { /* not this session's answer: refused, the session goes on */
        err = refuse_unbound(&job, cached, resp, outcome);
        goto done;
    }
    if ((err = mobid_store_pool_acquire(job.ctx->pool, &s)))
        goto done;
    bool counted = false;
    if (outcome && !job.wallet_error && !job.proven &&
        (err = verifier_session_strike(s, job.f->id, mobid_now(), &counted))) {
        err = refuse_taken(&job, resp, err);
        goto done;
    }
    if (counted) { /* proves no holder: refused, the session goes on for a while */
        err = wallet_error(resp, 400, outcome, job.detail);
        goto done;
    }
    if ((err = record(&job, s, outcome))) {
        err = refuse_taken(&job, resp, err);
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
    verifier_fixed_release(job.f);
    mobid_store_pool_release(job.ctx->pool, s);
    return err;
}

mobid_err verifier_wallet_routes(verifier_ctx *ctx, mobid_http_server *srv)
{
    mobid_err err = mobid_http_route_flags(srv, "GET", "/oid4vp/request/{id}", on_request, ctx,
                                           MOBID_HTTP_INLINE);
    if (!err)
        err = mobid_http_route(srv, "POST", "/oid4vp/response/{id}", on_response, ctx);
    return err;
}
