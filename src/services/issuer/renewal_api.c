/*
 * Renewal in the admin API (docs/api.md), for scripts and `mobid office`-style clients:
 *   POST /api/v1/applications/{id}/renew {"passport_number": optional}
 *        -> {"application_id","card","renewal_offer","renewal_pending":true}
 *   GET  /api/v1/cards/expiring?days=N&office=ID
 *        -> {"within_days","office_id","cards":[...]}  (renewal.h)
 * Authenticated like the rest of /api/v1 (bearer token, or the console's session
 * cookie with X-CSRF-Token on the POST); refusals are {"error","detail"}.
 */
#include "services/issuer/officer_admin.h"
#include "services/issuer/renewal.h"

#include <stdlib.h>
#include <string.h>

static mobid_err renew(issuer_ctx *ctx, mobid_store *s, const issuer_officer *who,
                       mobid_http_req *req, json_t **out, char *detail, size_t detail_len)
{
    json_t *body = NULL;
    issuer_renewal r;
    const char *id = mobid_http_req_param(req, "id");
    mobid_err err = MOBID_OK;
    if (mobid_http_req_body(req).len && (err = mobid_http_req_json(req, &body)) != MOBID_OK)
        mobid_svc_detail(detail, detail_len, "the body must be a JSON object");
    const json_t *pp = json_object_get(body, "passport_number");
    if (err == MOBID_OK && pp && !json_is_string(pp)) {
        mobid_svc_detail(detail, detail_len, "passport_number must be a string");
        err = MOBID_ERR_INVALID_ARG;
    }
    if (err == MOBID_OK)
        err = issuer_card_renew(ctx, s, who, id, json_string_value(pp), &r, detail, detail_len);
    if (err == MOBID_OK &&
        !(*out = json_pack("{s:s, s:s, s:s, s:b}", "application_id", id, "card", r.card,
                           "renewal_offer", r.offer, "renewal_pending", 1)))
        err = MOBID_ERR_NOMEM;
    json_decref(body);
    return err;
}

static mobid_err expiring(issuer_ctx *ctx, mobid_store *s, const issuer_officer *who,
                          mobid_http_req *req, json_t **out, char *detail, size_t detail_len)
{
    const char *days_q = mobid_http_req_query(req, "days");
    const char *office = mobid_http_req_query(req, "office");
    int64_t days = days_q && *days_q ? atoll(days_q) : issuer_renewal_window_days(ctx);
    json_t *list = NULL;
    mobid_err err = MOBID_OK;
    if (days < 1 || days > 3660) {
        mobid_svc_detail(detail, detail_len, "days must be 1..3660");
        return MOBID_ERR_INVALID_ARG;
    }
    if (!office && who->role != ISSUER_ROLE_ADMIN)
        office = who->office_id;
    err = issuer_cards_expiring(ctx, s, who, office, days, &list);
    if (err == MOBID_SVC_ERR_ACCESS_DENIED)
        mobid_svc_detail(detail, detail_len, "officers see their own office's cards only");
    if (err == MOBID_OK &&
        !(*out = json_pack("{s:I, s:s?, s:O}", "within_days", (json_int_t)days, "office_id",
                           office, "cards", list)))
        err = MOBID_ERR_NOMEM;
    json_decref(list);
    return err;
}

static mobid_err on_renew(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    return issuer_admin_answer(req, resp, ctx, renew);
}

static mobid_err on_expiring(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    return issuer_admin_answer(req, resp, ctx, expiring);
}

mobid_err issuer_routes_renewal(mobid_http_server *srv, issuer_ctx *ctx)
{
    mobid_err err = mobid_http_route(srv, "POST", "/api/v1/applications/{id}/renew", on_renew, ctx);
    if (err == MOBID_OK)
        err = mobid_http_route(srv, "GET", "/api/v1/cards/expiring", on_expiring, ctx);
    return err;
}
