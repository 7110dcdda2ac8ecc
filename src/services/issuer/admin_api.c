/*
 * The issuer's admin JSON API under /api/v1/ (documented in docs/api.md): offices,
 * officers, applications, card actions and the audit log, for `mobid office` and the
 * web console. Authenticated by an API token (Authorization: Bearer) or a console
 * session cookie plus X-CSRF-Token on state changes. Errors are
 * {"error":"CODE","detail":"..."} with the stable mobid error names.
 */
#include "services/issuer/office.h"
#include "services/issuer/officer_admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SESSION_COOKIE "mobid_session"
#define TOKEN_LIFETIME_DEFAULT (12 * 3600)

/* The officer behind the request: a bearer token, else a session cookie (with the
 * CSRF header on anything but GET). */
mobid_err issuer_admin_authenticate(mobid_http_req *req, mobid_store *s, issuer_officer *who)
{
    const char *auth = mobid_http_req_header(req, "Authorization");
    const char *cookie = mobid_http_req_cookie(req, SESSION_COOKIE);

    if (auth && !strncmp(auth, "Bearer ", 7))
        return issuer_token_check(s, auth + 7, who);
    if (cookie) {
        bool safe = !strcmp(mobid_http_req_method(req), "GET");
        const char *csrf = mobid_http_req_header(req, "X-CSRF-Token");
        if (!safe && !csrf)
            return MOBID_ERR_UNAUTHENTICATED;
        return issuer_session_check(s, cookie, safe ? NULL : csrf, who);
    }
    return MOBID_ERR_UNAUTHENTICATED;
}

/* One request's state: its connection, officer and parsed body. */
typedef struct call {
    issuer_ctx *ctx;
    mobid_store *s;
    issuer_officer who;
    json_t *body;
} call;

typedef mobid_err (*call_fn)(call *c, mobid_http_req *req, mobid_http_resp *resp);

/* Borrow a connection, authenticate (unless open), parse a JSON body for POST, run fn. */
static mobid_err run(mobid_http_req *req, mobid_http_resp *resp, void *ctx, call_fn fn,
                     bool open)
{
    call c;
    mobid_err err;

    memset(&c, 0, sizeof c);
    c.ctx = ctx;

    /* answers carry applicant data, tokens and officers: never kept by a cache */
    (void)mobid_http_resp_header(resp, "Cache-Control", "no-store");
    err = issuer_db(c.ctx, &c.s);
    if (err != MOBID_OK)
        return mobid_http_resp_err(resp, err, NULL);
    if (!open && (err = issuer_admin_authenticate(req, c.s, &c.who)) != MOBID_OK) {
        mobid_http_resp_err(resp, err, "a valid API token (Authorization: Bearer) is required");
        goto done;
    }
    if (!strcmp(mobid_http_req_method(req), "POST") && mobid_http_req_body(req).len > 0 &&
        (err = mobid_http_req_json(req, &c.body)) != MOBID_OK) {
        mobid_http_resp_err(resp, err, "the body must be a JSON object (Content-Type: application/json)");
        goto done;
    }
    err = fn(&c, req, resp);
done:
    json_decref(c.body);
    issuer_db_release(c.ctx, c.s);
    return MOBID_OK;
}

static const char *body_str(const call *c, const char *key)
{
    return json_string_value(json_object_get(c->body, key));
}

static mobid_err reply(mobid_http_resp *resp, mobid_err err, unsigned status, json_t *j,
                       const char *detail)
{
    mobid_err r = err == MOBID_OK ? mobid_http_resp_json(resp, status, j)
                                  : mobid_http_resp_err(resp, err,
                                                        detail && *detail ? detail : NULL);
    json_decref(j);
    return r;
}

static json_t *officer_json(const issuer_officer *w)
{
    return json_pack("{s:s, s:s, s:s, s:s}", "id", w->id, "username", w->username, "office_id",
                     w->office_id, "role", issuer_role_name(w->role));
}

/* ---- tokens and me ---- */

static mobid_err do_token_create(call *c, mobid_http_req *req, mobid_http_resp *resp)
{
    char token[ISSUER_TOKEN_LEN + 1], source[64], retry[24];
    issuer_signin in = { body_str(c, "username"), body_str(c, "password"), source, "api", 0,
                         body_str(c, "totp"), body_str(c, "new_password"), "" };
    json_int_t life = json_integer_value(json_object_get(c->body, "lifetime"));
    mobid_err err;

    if (life <= 0)
        life = TOKEN_LIFETIME_DEFAULT;
    issuer_request_source(c->ctx, req, source);
    err = issuer_token_create(c->ctx, c->s, &in, body_str(c, "label"), life, token, &c->who);
    json_t *j = err ? NULL : json_pack("{s:s, s:I, s:o}", "token", token, "expires_in", life,
                                       "officer", officer_json(&c->who));
    mobid_wipe(token, sizeof token);
    if (in.retry_after > 0) {
        snprintf(retry, sizeof retry, "%lld", (long long)in.retry_after);
        (void)mobid_http_resp_header(resp, "Retry-After", retry);
    }
    return reply(resp, err, 201, j, err == MOBID_ERR_UNAUTHENTICATED
                                        ? "wrong username or password" : in.detail);
}

static mobid_err do_token_revoke(call *c, mobid_http_req *req, mobid_http_resp *resp)
{
    const char *auth = mobid_http_req_header(req, "Authorization");
    mobid_err err = auth && !strncmp(auth, "Bearer ", 7)
                        ? issuer_token_revoke(c->ctx, c->s, &c->who, auth + 7)
                        : MOBID_ERR_INVALID_ARG;
    return reply(resp, err, 200, json_pack("{s:b}", "revoked", 1), NULL);
}

static mobid_err do_me(call *c, mobid_http_req *req, mobid_http_resp *resp)
{
    return reply(resp, MOBID_OK, 200, officer_json(&c->who), NULL);
}

/* ---- offices and officers ---- */

static mobid_err do_offices_list(call *c, mobid_http_req *req, mobid_http_resp *resp)
{
    json_t *j = NULL;
    mobid_err err = issuer_offices_json(c->s, mobid_http_req_param(req, "id"), &j);
    if (err == MOBID_OK && mobid_http_req_param(req, "id")) {
        json_t *one = json_incref(json_array_get(j, 0));
        json_decref(j);
        j = one;
    }
    return reply(resp, err, 200, j, NULL);
}

static mobid_err do_offices_put(call *c, mobid_http_req *req, mobid_http_resp *resp)
{
    char detail[MOBID_SVC_DETAIL_MAX] = "";
    json_t *list = json_object_get(c->body, "offices");
    size_t n = 0;
    mobid_err err;

    if (!list && c->body) {
        list = json_array();
        json_array_append(list, c->body);
    } else {
        json_incref(list);
    }
    err = issuer_offices_put(c->ctx, c->s, &c->who, list, &n, detail, sizeof detail);
    json_decref(list);
    return reply(resp, err, 200, json_pack("{s:I}", "written", (json_int_t)n), detail);
}

static mobid_err do_officers_list(call *c, mobid_http_req *req, mobid_http_resp *resp)
{
    json_t *j = NULL;
    mobid_err err = issuer_officers_json(c->s, &c->who, &j);
    return reply(resp, err, 200, j, NULL);
}

static mobid_err do_officers_create(call *c, mobid_http_req *req, mobid_http_resp *resp)
{
    char id[23] = "";
    char detail[MOBID_SVC_DETAIL_MAX] = "";
    mobid_err err = issuer_officer_create(c->ctx, c->s, &c->who, body_str(c, "username"),
                                          body_str(c, "display_name"), body_str(c, "office_id"),
                                          body_str(c, "role"), body_str(c, "password"), id,
                                          detail, sizeof detail);
    return reply(resp, err, 201, err ? NULL : json_pack("{s:s}", "id", id), detail);
}

/* ---- applications ---- */

static mobid_err do_app_create(call *c, mobid_http_req *req, mobid_http_resp *resp)
{
    char id[23] = "";
    char detail[MOBID_SVC_DETAIL_MAX] = "";
    const char *office = body_str(c, "office_id");
    mobid_err err;

    err = issuer_app_create(c->ctx, c->s, &c->who, office ? office : c->who.office_id,
                            body_str(c, "cardtype"), json_object_get(c->body, "applicant"), id,
                            detail, sizeof detail);
    return reply(resp, err, 201, err ? NULL : json_pack("{s:s, s:s}", "id", id, "state",
                                                         "received"), detail);
}

static mobid_err do_app_get(call *c, mobid_http_req *req, mobid_http_resp *resp)
{
    json_t *j = NULL;
    mobid_err err = issuer_app_json(c->ctx, c->s, &c->who, mobid_http_req_param(req, "id"),
                                    true, &j);
    return reply(resp, err, 200, j, NULL);
}

static mobid_err do_app_list(call *c, mobid_http_req *req, mobid_http_resp *resp)
{
    json_t *j = NULL;
    const char *limit = mobid_http_req_query(req, "limit");
    mobid_err err = issuer_apps_list(c->ctx, c->s, &c->who, mobid_http_req_query(req, "state"),
                                     NULL, limit ? atoll(limit) : 100, &j);
    return reply(resp, err, 200, j, NULL);
}

/* Lookup by registration number: POST, so the number never lands in access logs. */
static mobid_err do_app_search(call *c, mobid_http_req *req, mobid_http_resp *resp)
{
    json_t *j = NULL;
    const char *rrn = body_str(c, "resident_registration_number");
    mobid_err err = rrn ? issuer_apps_list(c->ctx, c->s, &c->who, body_str(c, "state"), rrn, 100,
                                           &j)
                        : MOBID_ERR_INVALID_ARG;
    return reply(resp, err, 200, j, "resident_registration_number is required");
}

/* The state after an action, for the reply. */
static mobid_err app_state_reply(call *c, mobid_http_resp *resp, const char *id, mobid_err err)
{
    json_t *j = NULL;
    if (err == MOBID_OK)
        err = issuer_app_json(c->ctx, c->s, &c->who, id, false, &j);
    return reply(resp, err, 200, j, NULL);
}

static mobid_err do_app_verify(call *c, mobid_http_req *req, mobid_http_resp *resp)
{
    const char *id = mobid_http_req_param(req, "id");
    json_t *ev = json_object_get(c->body, "evidence");
    mobid_err err = issuer_app_verify(c->ctx, c->s, &c->who, id, ev ? ev : c->body);
    if (err == MOBID_ERR_INVALID_ARG)
        return mobid_http_resp_err(resp, err, "evidence needs \"passport\" and \"residency\" (texts of at"
                               " most 200 characters)");
    return app_state_reply(c, resp, id, err);
}

static mobid_err do_app_approve(call *c, mobid_http_req *req, mobid_http_resp *resp)
{
    const char *id = mobid_http_req_param(req, "id");
    return app_state_reply(c, resp, id, issuer_app_approve(c->ctx, c->s, &c->who, id));
}

static mobid_err do_app_reject(call *c, mobid_http_req *req, mobid_http_resp *resp)
{
    const char *id = mobid_http_req_param(req, "id");
    return app_state_reply(c, resp, id,
                           issuer_app_reject(c->ctx, c->s, &c->who, id, body_str(c, "reason")));
}

static mobid_err do_app_cancel(call *c, mobid_http_req *req, mobid_http_resp *resp)
{
    const char *id = mobid_http_req_param(req, "id");
    mobid_err err = issuer_app_cancel(c->ctx, c->s, &c->who, id, body_str(c, "reason"));
    if (err == MOBID_ERR_INVALID_ARG)
        return mobid_http_resp_err(resp, err, "a reason is required");
    return app_state_reply(c, resp, id, err);
}

static mobid_err do_app_offer(call *c, mobid_http_req *req, mobid_http_resp *resp)
{
    issuer_offer o;
    char detail[MOBID_SVC_DETAIL_MAX] = "";
    json_t *j = NULL;
    mobid_err err = issuer_app_offer(c->ctx, c->s, &c->who, mobid_http_req_param(req, "id"), &o,
                                     detail, sizeof detail);

    if (err == MOBID_OK)
        j = json_pack("{s:s, s:s?, s:s?, s:s?, s:s, s:I}", "offer_id", o.offer_id, "offer_uri",
                      o.offer_uri, "offer_ref_uri", o.offer_ref_uri, "credential_offer",
                      o.offer_json, "tx_code", o.tx_code, "expires_at",
                      (json_int_t)o.expires_at);
    issuer_offer_clear(&o);
    return reply(resp, err, 201, j, detail);
}

static mobid_err card_action(call *c, mobid_http_req *req, mobid_http_resp *resp,
                             const char *action)
{
    const char *id = mobid_http_req_param(req, "id");
    mobid_err err = issuer_app_card_action(c->ctx, c->s, &c->who, id, action,
                                           body_str(c, "reason"));
    json_t *card = NULL;
    if (err == MOBID_OK)
        err = issuer_card_json(c->ctx, c->s, id, &card);
    return reply(resp, err, 200, card, err == MOBID_ERR_INVALID_ARG ? "a reason is required"
                                                                    : NULL);
}

static mobid_err do_suspend(call *c, mobid_http_req *r, mobid_http_resp *p) { return card_action(c, r, p, "suspend"); }
static mobid_err do_resume(call *c, mobid_http_req *r, mobid_http_resp *p) { return card_action(c, r, p, "resume"); }
static mobid_err do_revoke(call *c, mobid_http_req *r, mobid_http_resp *p) { return card_action(c, r, p, "revoke"); }

/* ---- audit ---- */

static mobid_err do_audit_list(call *c, mobid_http_req *req, mobid_http_resp *resp)
{
    const char *after = mobid_http_req_query(req, "after");
    const char *limit = mobid_http_req_query(req, "limit");
    json_t *j = NULL;
    mobid_err err = issuer_audit_json(c->s, &c->who, after ? atoll(after) : 0,
                                      limit ? atoll(limit) : 100, &j);
    if (err == MOBID_OK)
        issuer_audit_unseal_list(c->ctx, j);
    return reply(resp, err, 200, j, NULL);
}

static mobid_err do_audit_verify(call *c, mobid_http_req *req, mobid_http_resp *resp)
{
    int64_t checked = 0, bad = 0;
    mobid_err err;

    if (c->who.role != ISSUER_ROLE_ADMIN)
        return mobid_http_resp_err(resp, MOBID_SVC_ERR_ACCESS_DENIED, "ministry admins only");
    err = issuer_audit_verify(c->s, &checked, &bad);
    if (err != MOBID_OK && err != MOBID_ERR_DIGEST_MISMATCH)
        return mobid_http_resp_err(resp, err, NULL);
    json_t *j = json_pack("{s:b, s:I}", "valid", err == MOBID_OK, "checked", (json_int_t)checked);
    if (j && err != MOBID_OK)
        json_object_set_new(j, "first_bad_seq", json_integer(bad));
    return reply(resp, MOBID_OK, 200, j, NULL);
}

/* ---- routing ---- */

#define HANDLER(name, open)                                                              \
    static mobid_err h_##name(mobid_http_req *req, mobid_http_resp *resp, void *ctx)      \
    {                                                                                    \
        return run(req, resp, ctx, do_##name, open);                                     \
    }
HANDLER(token_create, true)
HANDLER(token_revoke, false)
HANDLER(me, false)
HANDLER(offices_list, false)
HANDLER(offices_put, false)
HANDLER(officers_list, false)
HANDLER(officers_create, false)
HANDLER(app_create, false)
HANDLER(app_get, false)
HANDLER(app_list, false)
HANDLER(app_search, false)
HANDLER(app_verify, false)
HANDLER(app_approve, false)
HANDLER(app_reject, false)
HANDLER(app_offer, false)
HANDLER(app_cancel, false)
HANDLER(suspend, false)
HANDLER(resume, false)
HANDLER(revoke, false)
HANDLER(audit_list, false)
HANDLER(audit_verify, false)

static const struct {
    const char *method, *pattern;
    mobid_http_handler fn;
} routes[] = {
    { "POST", "/api/v1/tokens", h_token_create },
    { "DELETE", "/api/v1/tokens", h_token_revoke },
    { "GET", "/api/v1/me", h_me },
    { "GET", "/api/v1/offices", h_offices_list },
    { "GET", "/api/v1/offices/{id}", h_offices_list },
    { "POST", "/api/v1/offices", h_offices_put },
    { "GET", "/api/v1/officers", h_officers_list },
    { "POST", "/api/v1/officers", h_officers_create },
    { "GET", "/api/v1/applications", h_app_list },
    { "POST", "/api/v1/applications", h_app_create },
    { "POST", "/api/v1/applications/search", h_app_search },
    { "GET", "/api/v1/applications/{id}", h_app_get },
    { "POST", "/api/v1/applications/{id}/verify", h_app_verify },
    { "POST", "/api/v1/applications/{id}/approve", h_app_approve },
    { "POST", "/api/v1/applications/{id}/reject", h_app_reject },
    { "POST", "/api/v1/applications/{id}/offer", h_app_offer },
    { "POST", "/api/v1/applications/{id}/cancel", h_app_cancel },
    { "POST", "/api/v1/applications/{id}/suspend", h_suspend },
    { "POST", "/api/v1/applications/{id}/resume", h_resume },
    { "POST", "/api/v1/applications/{id}/revoke", h_revoke },
    { "GET", "/api/v1/audit", h_audit_list },
    { "GET", "/api/v1/audit/verify", h_audit_verify },
};

mobid_err issuer_routes_admin(mobid_http_server *srv, issuer_ctx *ctx)
{
    mobid_err err = MOBID_OK;

    for (size_t i = 0; err == MOBID_OK && i < sizeof routes / sizeof routes[0]; i++)
        err = mobid_http_route(srv, routes[i].method, routes[i].pattern, routes[i].fn, ctx);
    return err;
}
