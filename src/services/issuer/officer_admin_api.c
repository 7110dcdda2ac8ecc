/*
 * Officer management in the admin API (docs/api.md), for `mobid office` and scripts:
 *   POST /api/v1/officers/{id}/disable | enable       -> {"id","disabled"}
 *   POST /api/v1/officers/{id}/password-reset         -> {"id","temporary_password"}
 *   POST /api/v1/officers/{id}/totp                   -> {"id","secret","otpauth_uri"}
 *   POST /api/v1/officers/{id}/totp-remove            -> {"id","totp":false}
 *   POST /api/v1/offices/{id}/require-totp {"required":bool} -> {"id","require_totp"}
 * Ministry administrator only; one-time secrets are answered once, never stored in
 * the clear.
 */
#include "services/issuer/officer_admin.h"

#include <stdlib.h>
#include <string.h>

static mobid_err officer_op(issuer_ctx *ctx, mobid_store *s, const issuer_officer *who,
                            const char *id, const char *op, json_t **out,
                            char *detail, size_t detail_len)
{
    char temp[ISSUER_TEMP_PASSWORD_LEN + 1], secret[ISSUER_TOTP_SECRET_B32];
    char *uri = NULL;
    mobid_err err = MOBID_ERR_NOT_FOUND;

    if (!strcmp(op, "disable") || !strcmp(op, "enable")) {
        bool off = !strcmp(op, "disable");
        if ((err = issuer_officer_set_disabled(ctx, s, who, id, off,
                                               detail, detail_len)) == MOBID_OK)
            *out = json_pack("{s:s, s:b}", "id", id, "disabled", off);
    } else if (!strcmp(op, "password-reset")) {
        if ((err = issuer_officer_reset_password(ctx, s, who, id, temp,
                                                 detail, detail_len)) == MOBID_OK)
            *out = json_pack("{s:s, s:s, s:b}", "id", id, "temporary_password", temp,
                             "must_change_password", 1);
        mobid_wipe(temp, sizeof temp);
    } else if (!strcmp(op, "totp")) {
        if ((err = issuer_officer_totp_set(ctx, s, who, id, secret, &uri,
                                           detail, detail_len)) == MOBID_OK)
            *out = json_pack("{s:s, s:s, s:s}", "id", id, "secret", secret, "otpauth_uri", uri);
        mobid_wipe(secret, sizeof secret);
    } else if (!strcmp(op, "totp-remove")) {
        if ((err = issuer_officer_totp_clear(ctx, s, who, id, detail, detail_len)) == MOBID_OK)
            *out = json_pack("{s:s, s:b}", "id", id, "totp", 0);
    }
    free(uri);
    if (err == MOBID_OK && !*out)
        err = MOBID_ERR_NOMEM;
    return err;
}

mobid_err issuer_admin_answer(mobid_http_req *req, mobid_http_resp *resp, issuer_ctx *ctx,
                              issuer_admin_fn fn)
{
    mobid_store *s = NULL;
    issuer_officer who;
    json_t *out = NULL;
    char detail[MOBID_SVC_DETAIL_MAX] = "";
    mobid_err err;

    (void)mobid_http_resp_header(resp, "Cache-Control", "no-store");
    if ((err = issuer_db(ctx, &s)) == MOBID_OK &&
        (err = issuer_admin_authenticate(req, s, &who)) == MOBID_OK)
        err = fn(ctx, s, &who, req, &out, detail, sizeof detail);
    err = err == MOBID_OK ? mobid_http_resp_json(resp, 200, out)
                          : mobid_http_resp_err(resp, err, detail[0] ? detail : NULL);
    json_decref(out);
    if (s)
        issuer_db_release(ctx, s);
    return err;
}

static mobid_err officer_call(issuer_ctx *ctx, mobid_store *s, const issuer_officer *who,
                              mobid_http_req *req, json_t **out, char *detail, size_t detail_len)
{
    return officer_op(ctx, s, who, mobid_http_req_param(req, "id"),
                      mobid_http_req_param(req, "op"), out, detail, detail_len);
}

static mobid_err on_officer(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    return issuer_admin_answer(req, resp, ctx, officer_call);
}

static mobid_err on_office_totp(mobid_http_req *req, mobid_http_resp *resp, void *vctx)
{
    issuer_ctx *ctx = vctx;
    mobid_store *s = NULL;
    issuer_officer who;
    json_t *body = NULL, *out = NULL;
    const char *id = mobid_http_req_param(req, "id");
    mobid_err err;

    if ((err = issuer_db(ctx, &s)) == MOBID_OK &&
        (err = issuer_admin_authenticate(req, s, &who)) == MOBID_OK &&
        (err = mobid_http_req_json(req, &body)) == MOBID_OK &&
        !json_is_boolean(json_object_get(body, "required")))
        err = MOBID_ERR_INVALID_ARG;
    bool on = json_is_true(json_object_get(body, "required"));
    if (err == MOBID_OK && (err = issuer_office_require_totp(ctx, s, &who, id, on)) == MOBID_OK &&
        !(out = json_pack("{s:s, s:b}", "id", id, "require_totp", on)))
        err = MOBID_ERR_NOMEM;
    err = err == MOBID_OK ? mobid_http_resp_json(resp, 200, out)
                          : mobid_http_resp_err(resp, err, err == MOBID_ERR_INVALID_ARG
                                                               ? "body: {\"required\": true|false}"
                                                               : NULL);
    json_decref(body);
    json_decref(out);
    if (s)
        issuer_db_release(ctx, s);
    return err;
}

mobid_err issuer_routes_officer_admin(mobid_http_server *srv, issuer_ctx *ctx)
{
    mobid_err err = mobid_http_route(srv, "POST", "/api/v1/officers/{id}/{op}", on_officer, ctx);
    if (err == MOBID_OK)
        err = mobid_http_route(srv, "POST", "/api/v1/offices/{id}/require-totp", on_office_totp,
                               ctx);
    return err;
}
