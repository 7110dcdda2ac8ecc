/*
 * One application in the console: its data and history, and the forms of the next
 * steps: identity verification (evidence seen in person), approval (by another
 * officer: four eyes), rejection, the one-time offer, and suspend / resume / revoke
 * of the delivered card with a reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "qr/qr.h"
#include "services/issuer/console.h"

static void row(mobid_buf *b, const char *label, const char *value)
{
    if (!value)
        return;
    console_put(b, "<tr><th>");
    console_put(b, label);
    console_put(b, "</th><td>");
    console_esc(b, value);
    console_put(b, "</td></tr>\n");
}

/* The portrait (base64url in the application) as a data: URI image. */
static void portrait(mobid_buf *b, const char *b64url)
{
    mobid_buf raw = { 0 }, std = { 0 };
    mobid_buf_init(&raw, 256 * 1024);
    mobid_buf_init(&std, 0);
    if (b64url && !mobid_b64url_decode(mobid_view_str(b64url), &raw) &&
        !mobid_b64_encode(mobid_buf_view(&raw), &std) && !mobid_buf_terminate(&std)) {
        console_put(b, "<img class=\"portrait\" id=\"portrait\" alt=\"사진 Portrait\" src=\"data:image/jpeg;base64,");
        console_esc(b, (const char *)std.ptr);
        console_put(b, "\">\n");
    }
    mobid_buf_free(&raw);
    mobid_buf_free(&std);
}

static void details(console_req *c, const json_t *app)
{
    const json_t *pii = json_object_get(app, "applicant");
    mobid_buf *b = &c->page;
    char sex[8];
    snprintf(sex, sizeof sex, "%lld", (long long)json_integer_value(json_object_get(pii, "sex")));
    console_put(b, "<p>상태 <span class=\"en\">State</span>: <strong id=\"state\">");
    console_esc(b, console_state_label(json_string_value(json_object_get(app, "state"))));
    console_put(b, "</strong></p>\n");
    portrait(b, json_string_value(json_object_get(pii, "portrait")));
    console_put(b, "<table class=\"details\">\n");
    row(b, "성명 Name", json_string_value(json_object_get(pii, "family_name_hangul")));
    row(b, "이름 Given name", json_string_value(json_object_get(pii, "given_name_hangul")));
    row(b, "Family name", json_string_value(json_object_get(pii, "family_name")));
    row(b, "Given name", json_string_value(json_object_get(pii, "given_name")));
    row(b, "생년월일 Birth date", json_string_value(json_object_get(pii, "birth_date")));
    row(b, "성별 Sex", sex);
    row(b, "주민등록번호 Registration number", json_string_value(json_object_get(pii, "resident_registration_number")));
    row(b, "국적 Nationality", json_string_value(json_object_get(pii, "nationality")));
    row(b, "거주국 Residence", json_string_value(json_object_get(pii, "country_of_residence")));
    row(b, "체류 자격 Residence status", json_string_value(json_object_get(pii, "residence_status")));
    row(b, "여권 Passport", json_string_value(json_object_get(pii, "passport_number")));
    row(b, "여권 만료 Passport expiry", json_string_value(json_object_get(pii, "passport_expiry")));
    row(b, "공관 Office", json_string_value(json_object_get(app, "office_id")));
    row(b, "접수 Received by", json_string_value(json_object_get(app, "received_by")));
    row(b, "확인 Verified by", json_string_value(json_object_get(app, "verified_by")));
    row(b, "승인 Approved by", json_string_value(json_object_get(app, "approved_by")));
    row(b, "사유 Reason", json_string_value(json_object_get(app, "reason")));
    console_put(b, "</table>\n");
}

static void action_form(console_req *c, const char *id, const char *step, const char *button,
                        const char *extra)
{
    char action[96];
    snprintf(action, sizeof action, "/console/applications/%s/%s", id, step);
    console_form_open(c, action);
    console_put(&c->page, extra ? extra : "");
    console_put(&c->page, "<button type=\"submit\" id=\"do-");
    console_put(&c->page, step);
    console_put(&c->page, "\">");
    console_put(&c->page, button);
    console_put(&c->page, "</button></form>\n");
}

static const char reason_field[] =
    "<label>사유 <span class=\"en\">Reason</span><input name=\"reason\" required maxlength=\"200\"></label>";

static void actions(console_req *c, const char *id, const char *state)
{
    console_put(&c->page, "<section class=\"actions\"><h2>다음 단계 <small>Next steps</small></h2>\n");
    if (!strcmp(state, "received"))
        action_form(c, id, "verify", "신원 확인 완료 Identity verified",
                    "<label class=\"inline\"><input type=\"checkbox\" name=\"passport_seen\" value=\"1\" "
                    "required> 여권 원본 확인 <span class=\"en\">Passport seen in person</span></label>"
                    "<label>거주 증빙 <span class=\"en\">Residency evidence</span><input name=\"residency\" "
                    "id=\"f-residency\" required maxlength=\"100\"></label>");
    if (!strcmp(state, "verified"))
        action_form(c, id, "approve", "승인 Approve", NULL);
    if (!strcmp(state, "approved"))
        action_form(c, id, "offer", "발급 코드 만들기 Create the offer", NULL);
    if (!strcmp(state, "received") || !strcmp(state, "verified") || !strcmp(state, "approved"))
        action_form(c, id, "reject", "반려 Reject", reason_field);
    if (!strcmp(state, "card_issued")) {
        action_form(c, id, "suspend", "일시 정지 Suspend", reason_field);
        action_form(c, id, "resume", "정지 해제 Resume", reason_field);
        action_form(c, id, "revoke", "폐기 Revoke", reason_field);
    }
    console_put(&c->page, "</section>\n");
}

/* The page of application id with an optional notice (refusal err / done message). */
static mobid_err detail_page(console_req *c, const char *id, mobid_err refused, const char *detail,
                             const char *done_ko, const char *done_en)
{
    json_t *app = NULL;
    mobid_err err = issuer_app_json(c->ctx, c->s, &c->who, id, true, &app);
    if (console_is_refusal(err)) {
        console_page_open(c, "신청", "Application");
        console_refusal(c, err, NULL);
        return console_page_send(c, mobid_http_status_of(err));
    }
    if (err)
        return err;
    console_page_open(c, "신청", "Application");
    console_put(&c->page, "<p class=\"id\">");
    console_esc(&c->page, id);
    console_put(&c->page, "</p>\n");
    if (refused)
        console_refusal(c, refused, detail);
    if (done_ko)
        console_notice(c, "ok", done_ko, done_en, NULL);
    details(c, app);
    actions(c, id, json_string_value(json_object_get(app, "state")));
    json_decref(app);
    return console_page_send(c, refused ? mobid_http_status_of(refused) : 200);
}

static mobid_err do_detail(console_req *c)
{
    return detail_page(c, mobid_http_req_param(c->req, "id"), MOBID_OK, NULL, NULL, NULL);
}

static mobid_err on_detail(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    return console_run(req, resp, ctx, do_detail);
}

/* ---- the steps ---- */

static mobid_err do_step(console_req *c)
{
    const char *id = mobid_http_req_param(c->req, "id");
    const char *step = mobid_http_req_param(c->req, "step");
    const char *reason = console_field(c, "reason");
    json_t *evidence = NULL;
    mobid_err err;

    if (!strcmp(step, "verify")) {
        const char *res = console_field(c, "residency");
        if (!console_field(c, "passport_seen") || !res || !*res)
            return detail_page(c, id, MOBID_ERR_INVALID_ARG,
                               "confirm the passport and name the residency evidence", NULL, NULL);
        evidence = json_pack("{s:s, s:s}", "passport", "seen", "residency", res);
        err = evidence ? issuer_app_verify(c->ctx, c->s, &c->who, id, evidence) : MOBID_ERR_NOMEM;
        json_decref(evidence);
    } else if (!strcmp(step, "approve")) {
        err = issuer_app_approve(c->ctx, c->s, &c->who, id);
    } else if (!reason || !*reason) {
        return detail_page(c, id, MOBID_ERR_INVALID_ARG, "a reason is required", NULL, NULL);
    } else if (!strcmp(step, "reject")) {
        err = issuer_app_reject(c->ctx, c->s, &c->who, id, reason);
    } else if (!strcmp(step, "suspend") || !strcmp(step, "resume") || !strcmp(step, "revoke")) {
        err = issuer_app_card_action(c->ctx, c->s, &c->who, id, step, reason);
    } else {
        return mobid_http_resp_text(c->resp, 404, "not found\n");
    }
    if (err && !console_is_refusal(err))
        return err;
    return detail_page(c, id, err, NULL, err ? NULL : "처리되었습니다.", "Done.");
}

static mobid_err on_step(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    return console_run(req, resp, ctx, do_step);
}

/* The offer page: shown once, right after the offer is made; the QR for the wallet
 * and, apart from it, the tx_code the officer hands over (not in the QR). */
static mobid_err offer_page(console_req *c, const char *id, const issuer_offer *o)
{
    mobid_buf png = { 0 }, b64 = { 0 };
    mobid_err err;

    mobid_buf_init(&png, 0);
    mobid_buf_init(&b64, 0);
    if ((err = mobid_qr_render(o->offer_uri, MOBID_QR_PNG, 8, &png)) || (err = mobid_b64_encode(mobid_buf_view(&png), &b64)) ||
        (err = mobid_buf_terminate(&b64)))
        goto done;
    console_page_open(c, "발급 코드", "Credential offer");
    console_notice(c, "ok", "이 화면은 한 번만 표시됩니다. 신청인이 QR 코드를 스캔하게 하세요.",
                   "This page is shown only once. Let the applicant scan the QR code.", NULL);
    console_put(&c->page, "<div class=\"offer\"><section><h2>1. QR <small>Scan with the mobile ID app"
                          "</small></h2><img id=\"offer-qr\" alt=\"Credential offer QR code\" src=\"data:image/png;base64,");
    console_put(&c->page, (const char *)b64.ptr);
    console_put(&c->page, "\"><p class=\"uri\"><code id=\"offer-uri\">");
    console_esc(&c->page, o->offer_uri);
    console_put(&c->page, "</code></p></section>\n<section class=\"txcode\"><h2>2. 거래 코드 <small>"
                          "Transaction code — tell the applicant separately; it is not the "
                          "wallet PIN</small></h2><p class=\"code\" id=\"tx-code\">");
    console_esc(&c->page, o->tx_code);
    console_put(&c->page, "</p><p>유효 기한 <span class=\"en\">Valid until</span>: ");
    console_time(&c->page, o->expires_at);
    console_put(&c->page, "</p></section></div>\n<p><a href=\"/console/applications/");
    console_esc(&c->page, id);
    console_put(&c->page, "\">신청으로 돌아가기 Back to the application</a></p>\n");
    err = console_page_send(c, 200);
done:
    mobid_buf_free(&png);
    mobid_buf_free(&b64);
    return err;
}

static mobid_err do_offer(console_req *c)
{
    const char *id = mobid_http_req_param(c->req, "id");
    const char *detail = NULL;
    issuer_offer o;
    memset(&o, 0, sizeof o);
    mobid_err err = issuer_app_offer(c->ctx, c->s, &c->who, id, &o, &detail);
    if (err == MOBID_OK)
        err = offer_page(c, id, &o);
    else if (console_is_refusal(err))
        err = detail_page(c, id, err, detail, NULL, NULL);
    issuer_offer_clear(&o);
    return err;
}

static mobid_err on_offer(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    return console_run(req, resp, ctx, do_offer);
}

mobid_err console_detail_routes(mobid_http_server *srv, issuer_ctx *ctx)
{
    mobid_err err;
    if ((err = mobid_http_route(srv, "GET", "/console/applications/{id}", on_detail, ctx)) ||
        (err = mobid_http_route(srv, "POST", "/console/applications/{id}/offer", on_offer, ctx)) ||
        (err = mobid_http_route(srv, "POST", "/console/applications/{id}/{step}", on_step, ctx)))
        return err;
    return MOBID_OK;
}
