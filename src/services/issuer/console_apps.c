/*
 * Console pages for applications: the office's list, the new-application form with
 * portrait upload and inline eligibility checks, the detail page with the identity
 * verification, approval (the second approval by another officer), offer and card
 * steps, and the one-time offer page (QR and, separately, the tx_code).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "services/issuer/console.h"

/* Applicant fields of the form: name, Korean label, English label, input type. */
static const char *const fields[][4] = {
    { "family_name", "성 (로마자)", "Family name (Latin)", "text" },
    { "given_name", "이름 (로마자)", "Given name (Latin)", "text" },
    { "family_name_hangul", "성 (한글)", "Family name (Hangul)", "text" },
    { "given_name_hangul", "이름 (한글)", "Given name (Hangul)", "text" },
    { "birth_date", "생년월일", "Birth date", "date" },
    { "resident_registration_number", "주민등록번호", "Resident registration number", "text" },
    { "nationality", "국적", "Nationality (ISO 3166)", "text" },
    { "country_of_residence", "거주국", "Country of residence (ISO 3166)", "text" },
    { "passport_number", "여권 번호", "Passport number", "text" },
    { "passport_expiry", "여권 만료일", "Passport expiry", "date" },
};
#define NFIELDS (sizeof fields / sizeof fields[0])

const char *console_state_label(const char *st)
{
    static const char *const map[][2] = {
        { "received", "접수 received" }, { "verified", "신원 확인 verified" },
        { "approved", "승인 approved" }, { "offer_issued", "발급 대기 offer issued" },
        { "card_issued", "발급 완료 card issued" }, { "rejected", "반려 rejected" },
    };
    for (size_t i = 0; st && i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(st, map[i][0]))
            return map[i][1];
    return st ? st : "";
}

bool console_is_refusal(mobid_err err)
{
    switch (err) {
    case MOBID_ERR_ACCESS_DENIED: case MOBID_ERR_NOT_FOUND: case MOBID_ERR_WRONG_STATE:
    case MOBID_ERR_FOUR_EYES: case MOBID_ERR_APPLICATION_EXISTS: case MOBID_ERR_INVALID_ARG:
    case MOBID_ERR_OFFICE_NOT_OPEN: case MOBID_ERR_INELIGIBLE_NATIONALITY:
    case MOBID_ERR_INELIGIBLE_RESIDENCE: case MOBID_ERR_INELIGIBLE_AGE:
    case MOBID_ERR_PASSPORT_INVALID: case MOBID_ERR_PASSPORT_EXPIRED: case MOBID_ERR_MALFORMED:
        return true;
    default:
        return false;
    }
}

unsigned console_status_of(mobid_err err)
{
    switch (err) {
    case MOBID_ERR_ACCESS_DENIED: return 403;
    case MOBID_ERR_NOT_FOUND: return 404;
    case MOBID_ERR_WRONG_STATE:
    case MOBID_ERR_FOUR_EYES:
    case MOBID_ERR_APPLICATION_EXISTS: return 409;
    case MOBID_ERR_INVALID_ARG: return 400;
    default: return 422;
    }
}

/* Bilingual text for a refusal. */
void console_refusal(console_req *c, mobid_err err, const char *detail)
{
    const char *ko = "요청을 처리할 수 없습니다.";
    switch (err) {
    case MOBID_ERR_FOUR_EYES: ko = "본인이 확인한 신청은 다른 직원이 승인해야 합니다."; break;
    case MOBID_ERR_ACCESS_DENIED: ko = "권한이 없습니다."; break;
    case MOBID_ERR_OFFICE_NOT_OPEN: ko = "이 공관은 아직 신청을 받지 않습니다."; break;
    case MOBID_ERR_INELIGIBLE_NATIONALITY:
    case MOBID_ERR_INELIGIBLE_RESIDENCE:
    case MOBID_ERR_INELIGIBLE_AGE:
    case MOBID_ERR_PASSPORT_INVALID:
    case MOBID_ERR_PASSPORT_EXPIRED: ko = "발급 요건을 충족하지 않습니다."; break;
    case MOBID_ERR_APPLICATION_EXISTS: ko = "이미 진행 중인 신청이 있습니다."; break;
    case MOBID_ERR_WRONG_STATE: ko = "현재 상태에서는 할 수 없는 작업입니다."; break;
    default: break;
    }
    console_put(&c->page, "<div class=\"notice error\" role=\"alert\" id=\"refusal\" data-error=\"");
    console_esc(&c->page, mobid_err_name(err));
    console_put(&c->page, "\"><p>");
    console_esc(&c->page, ko);
    console_put(&c->page, "</p><p class=\"en\">");
    console_esc(&c->page, detail ? detail : mobid_strerror(err));
    console_put(&c->page, " (");
    console_esc(&c->page, mobid_err_name(err));
    console_put(&c->page, ")</p></div>\n");
}

/* ---- the list ---- */

static mobid_err do_list(console_req *c)
{
    const char *state = mobid_http_req_query(c->req, "state");
    json_t *list = NULL;
    mobid_err err = issuer_apps_list(c->ctx, c->s, &c->who, state && *state ? state : NULL, NULL, 200, &list);
    if (err)
        return err;
    console_page_open(c, "신청 목록", "Applications");
    console_put(&c->page, "<p class=\"filters\"><a href=\"/console/applications\">전체 All</a>");
    const char *states[] = { "received", "verified", "approved", "offer_issued", "card_issued", "rejected" };
    for (size_t i = 0; i < 6; i++) {
        console_put(&c->page, " <a href=\"/console/applications?state=");
        console_put(&c->page, states[i]);
        console_put(&c->page, "\">");
        console_put(&c->page, console_state_label(states[i]));
        console_put(&c->page, "</a>");
    }
    console_put(&c->page, "</p>\n<table id=\"applications\"><thead><tr><th>번호 ID</th><th>종류 Card type"
                          "</th><th>상태 State</th><th>공관 Office</th><th>접수 Received</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *a = json_array_get(list, i);
        const char *id = json_string_value(json_object_get(a, "id"));
        console_put(&c->page, "<tr><td><a href=\"/console/applications/");
        console_esc(&c->page, id);
        console_put(&c->page, "\">");
        console_esc(&c->page, id);
        console_put(&c->page, "</a></td><td>");
        console_esc(&c->page, json_string_value(json_object_get(a, "cardtype")));
        console_put(&c->page, "</td><td class=\"state\">");
        console_esc(&c->page, console_state_label(json_string_value(json_object_get(a, "state"))));
        console_put(&c->page, "</td><td>");
        console_esc(&c->page, json_string_value(json_object_get(a, "office_id")));
        console_put(&c->page, "</td><td>");
        console_time(&c->page, json_integer_value(json_object_get(a, "created_at")));
        console_put(&c->page, "</td></tr>\n");
    }
    if (!json_array_size(list))
        console_put(&c->page, "<tr><td colspan=\"5\">신청이 없습니다. No applications.</td></tr>\n");
    console_put(&c->page, "</tbody></table>\n");
    json_decref(list);
    return console_page_send(c, 200);
}

static mobid_err on_list(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    return console_run(req, resp, ctx, do_list);
}

/* ---- the new-application form ---- */

static void input(console_req *c, const char *const f[4], const char *value)
{
    console_put(&c->page, "<label>");
    console_esc(&c->page, f[1]);
    console_put(&c->page, " <span class=\"en\">");
    console_esc(&c->page, f[2]);
    console_put(&c->page, "</span><input type=\"");
    console_put(&c->page, f[3]);
    console_put(&c->page, "\" name=\"");
    console_put(&c->page, f[0]);
    console_put(&c->page, "\" id=\"f-");
    console_put(&c->page, f[0]);
    console_put(&c->page, "\" required value=\"");
    console_esc(&c->page, value);
    console_put(&c->page, "\"></label><span class=\"check\" id=\"check-");
    console_put(&c->page, f[0]);
    console_put(&c->page, "\" aria-live=\"polite\"></span>\n");
}

static void new_form(console_req *c)
{
    mobid_buf *b = &c->page;
    console_form_open(c, "/console/applications");
    console_put(b, "<fieldset><legend>신청인 Applicant</legend>\n");
    for (size_t i = 0; i < NFIELDS; i++) {
        const char *v = console_field(c, fields[i][0]);
        if (!v && !strcmp(fields[i][0], "nationality"))
            v = "KR";
        input(c, fields[i], v);
    }
    console_put(b, "<label>성별 <span class=\"en\">Sex</span><select name=\"sex\" id=\"f-sex\">"
                   "<option value=\"1\">남 Male</option><option value=\"2\">여 Female</option>"
                   "</select></label>\n<label>체류 자격 <span class=\"en\">Residence status</span>"
                   "<select name=\"residence_status\" id=\"f-residence_status\"><option value="
                   "\"permanent\">영주권 Permanent</option><option value=\"temporary\">임시 "
                   "Temporary</option></select></label><span class=\"check\" id=\"check-"
                   "residence_status\"></span>\n<label class=\"inline\"><input type=\"checkbox\" "
                   "name=\"e_passport\" value=\"1\" id=\"f-e_passport\" checked> 전자여권 "
                   "<span class=\"en\">e-passport (chip)</span></label>\n");
    if (c->who.role == ISSUER_ROLE_ADMIN)
        console_put(b, "<label>공관 <span class=\"en\">Office id</span><input name=\"office_id\" "
                       "id=\"f-office_id\" required></label>\n");
    console_put(b, "<label>사진 <span class=\"en\">Portrait (JPEG, at most 40 KB)</span><input "
                   "type=\"file\" id=\"portrait-file\" accept=\"image/jpeg\"></label>"
                   "<input type=\"hidden\" name=\"portrait\" id=\"f-portrait\" value=\"\">"
                   "<img id=\"portrait-preview\" alt=\"\" hidden><span class=\"check\" "
                   "id=\"check-portrait\"></span>\n</fieldset>\n<button type=\"submit\" "
                   "id=\"file-application\">신청 접수 File the application</button></form>\n");
}

static mobid_err do_new(console_req *c)
{
    console_page_open(c, "새 신청", "New application");
    console_put(&c->page, "<p>여권과 거주 증빙을 직접 확인한 뒤 입력하세요. <span class=\"en\">Enter the "
                          "applicant's data from the passport and residency documents.</span></p>\n");
    new_form(c);
    return console_page_send(c, 200);
}

static mobid_err on_new(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    return console_run(req, resp, ctx, do_new);
}

/* The applicant object from the form (PII and the card type's claims). */
static json_t *applicant(console_req *c)
{
    json_t *pii = json_object();
    const char *sex = console_field(c, "sex"), *portrait = console_field(c, "portrait");
    for (size_t i = 0; pii && i < NFIELDS; i++) {
        const char *v = console_field(c, fields[i][0]);
        json_object_set_new(pii, fields[i][0], json_string(v ? v : ""));
    }
    const char *country = console_field(c, "country_of_residence");
    const char *status = console_field(c, "residence_status");
    json_object_set_new(pii, "resident_country", json_string(country ? country : ""));
    json_object_set_new(pii, "residence_status", json_string(status ? status : ""));
    json_object_set_new(pii, "e_passport", json_boolean(console_field(c, "e_passport") != NULL));
    json_object_set_new(pii, "sex", json_integer(sex && !strcmp(sex, "2") ? 2 : 1));
    json_object_set_new(pii, "issuing_office", json_string(c->who.office_id[0] ? c->who.office_id
                                                           : console_field(c, "office_id") ? console_field(c, "office_id") : ""));
    if (portrait && *portrait)
        json_object_set_new(pii, "portrait", json_string(portrait));
    return pii;
}

static mobid_err do_create(console_req *c)
{
    char id[23], loc[64];
    const char *detail = NULL;
    const char *office = c->who.role == ISSUER_ROLE_ADMIN ? console_field(c, "office_id") : c->who.office_id;
    json_t *pii = applicant(c);
    mobid_err err = pii ? issuer_app_create(c->ctx, c->s, &c->who, office, "resident_card", pii, id, &detail)
                        : MOBID_ERR_NOMEM;
    json_decref(pii);
    if (err == MOBID_OK) {
        snprintf(loc, sizeof loc, "/console/applications/%s", id);
        return console_redirect(c, loc);
    }
    if (!console_is_refusal(err))
        return err;
    console_page_open(c, "새 신청", "New application");
    console_refusal(c, err, detail);
    new_form(c);
    return console_page_send(c, console_status_of(err));
}

static mobid_err on_create(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    return console_run(req, resp, ctx, do_create);
}

mobid_err console_apps_routes(mobid_http_server *srv, issuer_ctx *ctx)
{
    mobid_err err;
    if ((err = mobid_http_route(srv, "GET", "/console/applications", on_list, ctx)) ||
        (err = mobid_http_route(srv, "GET", "/console/applications/new", on_new, ctx)) ||
        (err = mobid_http_route(srv, "POST", "/console/applications", on_create, ctx)))
        return err;
    return console_detail_routes(srv, ctx);
}
