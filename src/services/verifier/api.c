/*
 * The relying parties' API: POST /api/v1/verifications creates a session (a named
 * profile or a DCQL query, checked against the party's registration) and answers
 * with the request_uri, the deep link and the URLs of its QR codes (qr.c); GET
 * /api/v1/verifications/{id} reports the state, long-polling with ?wait=N, and hands
 * the verified claims over once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <mobid/jose.h>
#include "http/form.h"
#include "http/ratelimit.h"
#include "services/verifier/verifier.h"

static mobid_err api_error(mobid_http_resp *resp, unsigned status, mobid_err code,
                           const char *detail)
{
    return mobid_http_resp_error(resp, status, mobid_svc_err_name(code), detail);
}

/* The DCQL query of a creation request: {"profile":NAME} or {"dcql_query":{...}}. */
static const json_t *requested_query(const verifier_ctx *ctx, const json_t *body)
{
    const char *profile = json_string_value(json_object_get(body, "profile"));
    if (profile) {
        const verifier_profile *p = verifier_profile_find(ctx, profile);
        return p ? p->dcql : NULL;
    }
    return json_object_get(body, "dcql_query");
}

/* Session id, nonce, state and encryption key. The request object is not made here:
 * it is signed when the wallet fetches it (wallet.c), so a session stores no 4 KB JWT
 * that each of its later writes would copy again, and a page never scanned costs no
 * signature. */
static mobid_err build_session(const verifier_ctx *ctx, const verifier_rp *rp, const json_t *query,
                               bool encrypted, verifier_session *vs, mobid_key **enc_out)
{
    mobid_buf id = { 0 }, nonce = { 0 }, state = { 0 }, jwk_text = { 0 }, dcql = { 0 };
    mobid_key *enc = NULL;
    json_t *jwk = NULL;
    mobid_err err;

    mobid_buf_init(&id, 0);
    mobid_buf_init(&nonce, 0);
    mobid_buf_init(&state, 0);
    mobid_buf_init(&jwk_text, 0);
    mobid_buf_init(&dcql, 0);
    mobid_buf_init(&vs->enc_key, 0);
    if ((err = mobid_oid4vp_random_token(&id)) || (err = mobid_buf_terminate(&id)) ||
        (err = mobid_oid4vp_random_token(&nonce)) || (err = mobid_buf_terminate(&nonce)) ||
        (err = mobid_oid4vp_random_token(&state)) || (err = mobid_buf_terminate(&state)) ||
        (err = mobid_json_dump(query, false, &dcql)))
        goto done;
    if (encrypted &&
        ((err = mobid_key_generate(MOBID_CURVE_P256, &enc)) ||
         (err = mobid_jwk_from_key(enc, true, &jwk)) ||
         (err = mobid_json_dump(jwk, false, &jwk_text)) ||
         (err = verifier_seal(ctx, (const char *)id.ptr, mobid_buf_view(&jwk_text), &vs->enc_key))))
        goto done;
    vs->id = mobid_buf_detach_str(&id);
    vs->nonce = mobid_buf_detach_str(&nonce);
    vs->state = mobid_buf_detach_str(&state);
    vs->request_jwt = strdup("");
    vs->rp_id = strdup(rp->id);
    vs->dcql = mobid_buf_detach_str(&dcql);
    vs->response_mode = strdup(encrypted ? "direct_post.jwt" : "direct_post");
    vs->created_at = mobid_now();
    vs->expires_at = vs->created_at + ctx->ttl;
    if (!vs->id || !vs->nonce || !vs->state || !vs->request_jwt || !vs->rp_id || !vs->dcql ||
        !vs->response_mode)
        err = MOBID_ERR_NOMEM;
    *enc_out = enc;
    enc = NULL;
done:
    json_decref(jwk);
    mobid_key_free(enc);
    mobid_buf_free(&jwk_text);
    mobid_buf_free(&id);
    mobid_buf_free(&nonce);
    mobid_buf_free(&state);
    mobid_buf_free(&dcql);
    return err;
}

/* {id, status, request_uri, deep_link, qr_png_url, qr_svg_url, expires_at}, plus
 * qr_png / qr_svg when the creation asked for them. */
static mobid_err created_json(const verifier_ctx *ctx, const verifier_rp *rp,
                              const verifier_session *vs, const bool qr[2], json_t **out)
{
    mobid_buf ruri = { 0 }, link = { 0 }, png = { 0 }, svg = { 0 };
    char exp[21];
    mobid_err err;

    mobid_buf_init(&ruri, 0);
    mobid_buf_init(&link, 0);
    mobid_buf_init(&png, 0);
    mobid_buf_init(&svg, 0);
    mobid_buf_append_str(&png, ctx->public_url);
    mobid_buf_append_str(&png, "/api/v1/verifications/");
    mobid_buf_append_str(&png, vs->id);
    mobid_buf_append_view(&svg, mobid_buf_view(&png));
    mobid_buf_append_str(&png, "/qr.png");
    mobid_buf_append_str(&svg, "/qr.svg");
    if ((err = verifier_deep_link(ctx, rp, vs->id, &ruri, &link)) ||
        (err = mobid_buf_terminate(&png)) || (err = mobid_buf_terminate(&svg)) ||
        (err = mobid_time_format_rfc3339(vs->expires_at, exp)))
        goto done;
    *out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", vs->id, "status", "pending",
                     "request_uri", (char *)ruri.ptr, "deep_link", (char *)link.ptr, "qr_png_url",
                     (char *)png.ptr, "qr_svg_url", (char *)svg.ptr, "expires_at", exp);
    if (!*out)
        err = MOBID_ERR_NOMEM;
    else
        err = verifier_qr_embed((const char *)link.ptr, qr[0], qr[1], *out);
done:
    mobid_buf_free(&ruri);
    mobid_buf_free(&link);
    mobid_buf_free(&png);
    mobid_buf_free(&svg);
    return err;
}

/* Validate the query and the party's right to ask it into *q (freed by the caller);
 * answers the error itself. */
static mobid_err admit_query(const verifier_rp *rp, const json_t *query, mobid_http_resp *resp,
                             mobid_dcql **q)
{
    char detail[192] = "";
    mobid_err err = mobid_dcql_parse(query, q, detail, sizeof detail);
    if (err) {
        api_error(resp, 400, err, detail);
        return err;
    }
    err = mobid_oid4vp_registration_allows(&rp->reg, *q, detail, sizeof detail);
    if (err)
        api_error(resp, 403, err, detail);
    return err;
}

/* Keep the new session's fixed parts for its request object and answer (cache.c).
 * Takes q over. A failure here only means a store read later. */
static void keep_fixed(verifier_ctx *ctx, const verifier_session *vs, mobid_dcql *q, mobid_key *enc)
{
    verifier_fixed *f = NULL;
    if (!ctx->cache) {
        mobid_dcql_free(q);
        return;
    }
    if (!verifier_fixed_new(ctx, vs, q, enc, &f))
        verifier_cache_put(ctx->cache, f);
    verifier_fixed_release(f);
}

static mobid_err on_create(mobid_http_req *req, mobid_http_resp *resp, void *vctx)
{
    verifier_ctx *ctx = vctx;
    const verifier_rp *rp = verifier_rp_by_api_key(ctx, mobid_http_req_header(req, "Authorization"));
    json_t *body = NULL, *out = NULL;
    verifier_session vs = { 0 };
    mobid_store *s = NULL;
    mobid_dcql *q = NULL;
    mobid_key *enc = NULL;
    mobid_err err;

    if (!rp)
        return mobid_http_resp_err(resp, MOBID_ERR_UNAUTHENTICATED, "a valid API key is required");
    if (!mobid_http_rate_check(rp->create_rate, rp->id, resp))
        return MOBID_OK; /* 429 with Retry-After */
    if ((err = mobid_http_req_json(req, &body)))
        return api_error(resp, 400, err, "the body must be a JSON object");
    const json_t *query = requested_query(ctx, body);
    const char *mode = json_string_value(json_object_get(body, "response_mode"));
    if (!query) {
        err = api_error(resp, 400, MOBID_ERR_NOT_FOUND, "name a known profile or give a dcql_query");
        goto done;
    }
    if (mode && strcmp(mode, "direct_post") && strcmp(mode, "direct_post.jwt")) {
        err = api_error(resp, 400, MOBID_ERR_UNSUPPORTED, "response_mode is direct_post or direct_post.jwt");
        goto done;
    }
    if (admit_query(rp, query, resp, &q)) {
        err = MOBID_OK;
        goto done;
    }
    bool qr[2];
    if (verifier_qr_option(json_object_get(body, "qr"), &qr[0], &qr[1])) {
        err = api_error(resp, 400, MOBID_ERR_INVALID_ARG, "qr is a list of \"png\" and \"svg\"");
        goto done;
    }
    const json_t *redirect = json_object_get(body, "redirect_uri");
    if (redirect && (!json_is_string(redirect) || (strncmp(json_string_value(redirect), "https://", 8) &&
                                                   strncmp(json_string_value(redirect), "http://", 7)) ||
                     json_string_length(redirect) > 1024 || strchr(json_string_value(redirect), '#'))) {
        err = api_error(resp, 400, MOBID_ERR_INVALID_ARG, "redirect_uri is an http(s) URL without a fragment");
        goto done;
    }
    bool encrypted = mode ? !strcmp(mode, "direct_post.jwt") : rp->encrypted;
    if (!(err = build_session(ctx, rp, query, encrypted, &vs, &enc)) && redirect &&
        !(vs.redirect_uri = strdup(json_string_value(redirect))))
        err = MOBID_ERR_NOMEM;
    if (err ||
        (err = mobid_store_pool_acquire(ctx->pool, &s)) || (err = verifier_session_insert(s, &vs)) ||
        (err = created_json(ctx, rp, &vs, qr, &out)))
        goto done;
    keep_fixed(ctx, &vs, q, enc);
    q = NULL;
    err = mobid_http_resp_json(resp, 201, out);
done:
    if (s)
        mobid_store_pool_release(ctx->pool, s);
    mobid_dcql_free(q);
    mobid_key_free(enc);
    verifier_session_clear(&vs);
    json_decref(body);
    json_decref(out);
    return err;
}

static const char *shown_status(const verifier_session *vs, mobid_time now)
{
    if (!strcmp(vs->status, "processing"))
        return "pending";
    if (!strcmp(vs->status, "pending") && now >= vs->expires_at)
        return "expired";
    return vs->status;
}

/* With a redirect_uri (same-device), the claims go only to whoever presents the one-time
 * response code the wallet's redirect carried: the relying party's page, not whoever
 * started or fixed the session (OpenID4VP 1.0 §13.3, HAIP). */
static mobid_err status_json(verifier_ctx *ctx, mobid_store *s, verifier_session *vs,
                             const char *response_code, json_t **out)
{
    char exp[21];
    mobid_buf plain = { 0 };
    json_t *claims = NULL;
    mobid_err err = MOBID_OK;
    const char *st = shown_status(vs, mobid_now());

    mobid_time_format_rfc3339(vs->expires_at, exp);
    *out = json_pack("{s:s, s:s, s:s}", "id", vs->id, "status", st, "expires_at", exp);
    if (!*out)
        return MOBID_ERR_NOMEM;
    if (!strcmp(st, "failed"))
        json_object_set_new(*out, "error", json_string(vs->error ? vs->error : "UNKNOWN"));
    if (!strcmp(st, "failed") && vs->detail)
        json_object_set_new(*out, "detail", json_string(vs->detail));
    if (strcmp(st, "verified"))
        return MOBID_OK;
    if (!verifier_response_code_ok(vs, response_code)) {
        json_object_set_new(*out, "claims_withheld", json_string("present the response_code"));
        return MOBID_OK;
    }
    mobid_buf_init(&plain, 0);
    bool taken = false;
    if (!vs->delivered && vs->result.len && (err = verifier_session_take(s, vs->id, &taken)))
        goto done;
    if (!taken) {
        json_object_set_new(*out, "claims_delivered", json_true());
        goto done;
    }
    if ((err = verifier_unseal(ctx, vs->id, mobid_buf_view(&vs->result), &plain)) ||
        (err = mobid_json_parse(mobid_buf_view(&plain), 0, &claims)))
        goto done;
    /* The sealed result is {"claims": .., "warnings": [..]} (see verifier_result_json). */
    json_object_set(*out, "claims", json_object_get(claims, "claims"));
    json_object_set(*out, "warnings", json_object_get(claims, "warnings"));
done:
    json_decref(claims);
    mobid_buf_free(&plain);
    return err;
}

/* A status request between its parks: what it asks and until when it may wait. */
typedef struct status_wait {
    verifier_ctx *ctx;
    const verifier_rp *rp;
    const char *id;
    double until; /* CLOCK_MONOTONIC seconds */
} status_wait;

static double monotonic_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static mobid_err status_step(mobid_http_req *req, mobid_http_resp *resp, void *vw,
                             mobid_http_wake why);

/* Answer the session's state, or park while it is pending and the wait lasts. The
 * store connection is given back before parking: a waiting poll holds none. */
static mobid_err status_answer(mobid_http_req *req, mobid_http_resp *resp, status_wait *w,
                               bool may_park)
{
    verifier_session vs = { 0 };
    mobid_store *s = NULL;
    json_t *out = NULL;
    mobid_err err;

    if ((err = mobid_store_pool_acquire(w->ctx->pool, &s)))
        return err;
    err = verifier_session_load(s, w->id, &vs);
    if (err == MOBID_ERR_NOT_FOUND || (!err && strcmp(vs.rp_id, w->rp->id))) {
        err = api_error(resp, 404, MOBID_ERR_NOT_FOUND, "no such verification");
        goto done;
    }
    if (err)
        goto done;
    mobid_time now = mobid_now();
    double left = w->until - monotonic_now();
    if (may_park && left > 0 && !strcmp(shown_status(&vs, now), "pending")) {
        /* Wake up at expiry too, to answer "expired" then. */
        double to_expiry = (double)(vs.expires_at - now) + 0.5;
        err = mobid_http_req_park(req, left < to_expiry ? left : to_expiry, status_step, w);
        goto done;
    }
    if ((err = status_json(w->ctx, s, &vs, mobid_http_req_query(req, "response_code"), &out)))
        goto done;
    err = mobid_http_resp_json(resp, 200, out);
    mobid_http_resp_header(resp, "Cache-Control", "no-store");
done:
    verifier_session_clear(&vs);
    mobid_store_pool_release(w->ctx->pool, s);
    json_decref(out);
    return err;
}

static mobid_err status_step(mobid_http_req *req, mobid_http_resp *resp, void *vw,
                             mobid_http_wake why)
{
    return status_answer(req, resp, vw, why != MOBID_HTTP_STOPPING);
}

static mobid_err on_status(mobid_http_req *req, mobid_http_resp *resp, void *vctx)
{
    verifier_ctx *ctx = vctx;
    const verifier_rp *rp = verifier_rp_by_api_key(ctx, mobid_http_req_header(req, "Authorization"));
    const char *w = mobid_http_req_query(req, "wait");
    char *end = NULL;
    long wait = w ? strtol(w, &end, 10) : 0;
    status_wait *sw = mobid_http_req_alloc(req, sizeof *sw);
    mobid_err err;

    if (!rp)
        return mobid_http_resp_err(resp, MOBID_ERR_UNAUTHENTICATED, "a valid API key is required");
    if (w && (!*w || *end || wait < 0))
        return api_error(resp, 400, MOBID_ERR_INVALID_ARG, "wait is a number of seconds");
    /* Clamped, not refused: the answer is "pending" and the client polls again, as after
     * any wait; 60 s stays inside the proxy's 90 s read timeout (etc/nginx/mobid.conf). */
    if (wait > VERIFIER_MAX_WAIT)
        wait = VERIFIER_MAX_WAIT;
    if (!sw)
        return MOBID_ERR_NOMEM;
    sw->ctx = ctx;
    sw->rp = rp;
    sw->id = mobid_http_req_param(req, "id");
    sw->until = monotonic_now() + (double)wait;
    /* Watch before reading: a verification finishing in between still wakes us. */
    if (wait > 0 && (err = mobid_http_req_watch(req, sw->id)))
        return err;
    return status_answer(req, resp, sw, wait > 0);
}

mobid_err verifier_routes(verifier_ctx *ctx, mobid_http_server *srv)
{
    mobid_err err;
    ctx->server = srv;
    if ((err = mobid_metrics_declare(mobid_http_server_metrics(srv), VERIFIER_METRIC,
                                     "Responses processed, by outcome (verified or the error code)",
                                     MOBID_METRIC_COUNTER)))
        return err;
    if ((err = mobid_http_route_flags(srv, "POST", "/api/v1/verifications", on_create, ctx,
                                       MOBID_HTTP_INLINE)) ||
        (err = mobid_http_route(srv, "GET", "/api/v1/verifications/{id}", on_status, ctx)) ||
        (err = verifier_qr_routes(ctx, srv)) || (err = verifier_wallet_routes(ctx, srv)))
        return err;
    return verifier_events_start(ctx, srv);
}
