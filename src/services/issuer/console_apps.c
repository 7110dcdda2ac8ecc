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

bool console_is_refusal(mobid_err err)
{
    switch ((int)err) {
    case MOBID_SVC_ERR_ACCESS_DENIED: case MOBID_ERR_NOT_FOUND: case MOBID_SVC_ERR_WRONG_STATE:
    case MOBID_SVC_ERR_FOUR_EYES: case MOBID_SVC_ERR_APPLICATION_EXISTS: case MOBID_ERR_INVALID_ARG:
    case MOBID_SVC_ERR_OFFICE_NOT_OPEN: case MOBID_SVC_ERR_INELIGIBLE_NATIONALITY:
    case MOBID_SVC_ERR_INELIGIBLE_RESIDENCE: case MOBID_SVC_ERR_INELIGIBLE_AGE:
    case MOBID_SVC_ERR_PASSPORT_INVALID: case MOBID_SVC_ERR_PASSPORT_EXPIRED: case MOBID_ERR_MALFORMED:
    case MOBID_SVC_ERR_PASSPORT_CHANGED: case MOBID_SVC_ERR_RENEWAL_UNDELIVERABLE:
        return true;
    default:
        return false;
    }
}

/* Bilingual text for a refusal. */
void console_refusal(console_req *c, mobid_err err, const char *detail)
{
    const char *ko = "요청을 처리할 수 없습니다.";
    switch ((int)err) {
    case MOBID_SVC_ERR_FOUR_EYES: ko = "본인이 확인한 신청은 다른 직원이 승인해야 합니다."; break;
    case MOBID_SVC_ERR_ACCESS_DENIED: ko = "권한이 없습니다."; break;
    case MOBID_SVC_ERR_OFFICE_NOT_OPEN: ko = "이 공관은 아직 신청을 받지 않습니다."; break;
    case MOBID_SVC_ERR_INELIGIBLE_NATIONALITY:
    case MOBID_SVC_ERR_INELIGIBLE_RESIDENCE:
    case MOBID_SVC_ERR_INELIGIBLE_AGE:
    case MOBID_SVC_ERR_PASSPORT_INVALID:
    case MOBID_SVC_ERR_PASSPORT_EXPIRED: ko = "발급 요건을 충족하지 않습니다."; break;
    case MOBID_SVC_ERR_APPLICATION_EXISTS: ko = "이미 진행 중인 신청이 있습니다."; break;
    case MOBID_SVC_ERR_WRONG_STATE: ko = "현재 상태에서는 할 수 없는 작업입니다."; break;
    default: break;
    }
    console_put(&c->page, "<div class=\"notice error\" role=\"alert\" id=\"refusal\" data-error=\"");
    console_esc(&c->page, mobid_svc_err_name(err));
    console_put(&c->page, "\"><p>");
    console_esc(&c->page, ko);
    console_put(&c->page, "</p><p class=\"en\">");
    console_esc(&c->page, detail ? detail : mobid_svc_strerror(err));
    console_put(&c->page, " (");
    console_esc(&c->page, mobid_svc_err_name(err));
    console_put(&c->page, ")</p></div>\n");
}

/* ---- refusals of the form, in both languages ---- */

static const char *fstr(const json_t *f, const char *key)
{
    return json_string_value(json_object_get(f, key)) ?: "";
}


/* Korean for the intake and eligibility checks' sentences (the English is theirs). */
static const char *const DETAIL_KO[][2] = {
    { "a country must be an ISO 3166-1 alpha-2 code in capitals (KR, US, DE)",
      "국가는 ISO 3166-1 두 글자 대문자 코드로 적어야 합니다 (KR, US, DE)." },
    { "a required field of the card type is missing", "필수 항목이 비어 있습니다." },
    { "the registration number's date (YYMMDD and century digit) is not birth_date",
      "주민등록번호의 생년월일(앞 6자리와 세기 자리)이 생년월일과 다릅니다." },
    { "the registration number's sex digit does not match sex",
      "주민등록번호의 성별 자리가 성별과 맞지 않습니다." },
    { "the applicant must hold permanent residency in another country",
      "신청인은 해외 영주권자여야 합니다." },
    { "the applicant must reside in the issuing state", "신청인은 국내에 거주해야 합니다." },
    { "the applicant is younger than the minimum age", "신청인이 최소 나이에 이르지 않았습니다." },
    { "the passport expires on or before the day of application",
      "여권이 신청일 이전에 만료되었거나 신청일에 만료됩니다." },
    { "the applicant has a field the card type does not define", "이 신분증에 없는 항목이 있습니다." },
    { "this person already has an active application for this card type",
      "이 사람에게 진행 중인 같은 신분증 신청이 이미 있습니다." },
    { "the office does not accept applications yet", "이 공관은 아직 신청을 받지 않습니다." },
};

/* The first required field of the card type's form left empty, or NULL. */
static const json_t *missing_field(console_req *c, const issuer_cardtype *ct)
{
    size_t i;
    const json_t *f;
    json_array_foreach (ct ? ct->form : NULL, i, f) {
        const char *v = console_field(c, fstr(f, "name"));
        if (json_is_true(json_object_get(f, "required")) && strcmp(fstr(f, "type"), "bool") &&
            (!v || !*v))
            return f;
    }
    return NULL;
}

/* en with each form field's snake_case name replaced by its English label. */
static void en_with_labels(mobid_buf *b, const char *en, const issuer_cardtype *ct)
{
    for (const char *p = en; p && *p;) {
        size_t i, best = 0;
        const json_t *f, *hit = NULL;
        json_array_foreach (ct ? ct->form : NULL, i, f) {
            size_t n = strlen(fstr(f, "name"));
            if (n > best && !strncmp(p, fstr(f, "name"), n) && (p == en || p[-1] == ' ' || p[-1] == '(')) {
                best = n;
                hit = f;
            }
        }
        if (hit) {
            console_esc(b, fstr(hit, "en"));
            p += best;
        } else {
            char one[2] = { *p++, 0 };
            console_esc(b, one);
        }
    }
}

/* A refused application: what is wrong, in Korean and in English, with the field's
 * ko/en labels from the card type (never snake_case names). */
void console_refusal_form(console_req *c, mobid_err err, const char *detail,
                          const issuer_cardtype *ct)
{
    const json_t *miss = err == MOBID_ERR_INVALID_ARG ? missing_field(c, ct) : NULL;
    const char *ko = NULL;
    for (size_t i = 0; detail && i < sizeof DETAIL_KO / sizeof DETAIL_KO[0]; i++)
        if (!strcmp(detail, DETAIL_KO[i][0]))
            ko = DETAIL_KO[i][1];
    if (!ko && !miss) {
        console_refusal(c, err, detail);
        return;
    }
    console_put(&c->page, "<div class=\"notice error\" role=\"alert\" id=\"refusal\" data-error=\"");
    console_esc(&c->page, mobid_svc_err_name(err));
    console_put(&c->page, "\"><p>");
    if (miss) {
        console_esc(&c->page, fstr(miss, "ko"));
        console_put(&c->page, " 항목을 입력하세요.</p><p class=\"en\">Fill in ");
        console_esc(&c->page, fstr(miss, "en"));
        console_put(&c->page, ".");
    } else {
        console_esc(&c->page, ko);
        console_put(&c->page, "</p><p class=\"en\">");
        en_with_labels(&c->page, detail, ct);
        console_put(&c->page, ".");
    }
    console_put(&c->page, " (");
    console_esc(&c->page, mobid_svc_err_name(err));
    console_put(&c->page, ")</p></div>\n");
}

/* ---- the list and the search ---- */

static const char *query(console_req *c, const char *name)
{
    const char *v = mobid_http_req_query(c->req, name);
    return v && *v ? v : NULL;
}

/* The applications matching the search (name, birth date, registration number; all
 * that are given), newest first, within who's scope. */
static mobid_err search(console_req *c, const char *name, const char *birth, const char *rrn,
                        json_t **out)
{
    json_t *sets[2] = { NULL, NULL }, *rows = NULL;
    const char *kinds[2] = { "name", "birth" }, *vals[2] = { name, birth };
    mobid_err err = console_search_sync(c);

    for (int k = 0; !err && k < 2; k++)
        if (vals[k] && !(err = (sets[k] = json_object()) ? MOBID_OK : MOBID_ERR_NOMEM))
            err = console_search_ids(c, kinds[k], vals[k], sets[k]);
    /* the registration number's own index, or the office's applications */
    if (!err)
        err = issuer_apps_list(c->ctx, c->s, &c->who, NULL, rrn, 1000, &rows);
    if (err == MOBID_ERR_INVALID_ARG && rrn)
        err = (rows = json_array()) ? MOBID_OK : MOBID_ERR_NOMEM; /* not a number: nobody */
    *out = json_array();
    for (size_t i = 0; !err && *out && i < json_array_size(rows); i++) {
        const json_t *a = json_array_get(rows, i);
        const char *id = json_string_value(json_object_get(a, "id"));
        if ((!sets[0] || json_object_get(sets[0], id)) && (!sets[1] || json_object_get(sets[1], id)))
            json_array_append(*out, (json_t *)a);
    }
    json_decref(sets[0]);
    json_decref(sets[1]);
    json_decref(rows);
    if (err || !*out) {
        json_decref(*out);
        *out = NULL;
    }
    return err ? err : *out ? MOBID_OK : MOBID_ERR_NOMEM;
}

static void search_form(console_req *c, const char *name, const char *birth, const char *rrn)
{
    mobid_buf *b = &c->page;
    console_put(b, "<form method=\"get\" action=\"/console/applications\" id=\"search\" class=\"search\">"
                   "<label>이름 <span class=\"en\">Name (Hangul or Latin)</span><input name=\"name\" "
                   "id=\"q-name\" value=\"");
    console_esc(b, name);
    console_put(b, "\"></label><label>생년월일 <span class=\"en\">Birth date</span><input type=\"date\" "
                   "name=\"birth\" id=\"q-birth\" value=\"");
    console_esc(b, birth);
    console_put(b, "\"></label><label>주민등록번호 <span class=\"en\">Registration number</span><input "
                   "name=\"rrn\" id=\"q-rrn\" autocomplete=\"off\" value=\"");
    console_esc(b, rrn);
    console_put(b, "\"></label><button type=\"submit\" id=\"do-search\">찾기 Search</button></form>\n");
}

static void list_row(console_req *c, const json_t *a)
{
    const char *id = json_string_value(json_object_get(a, "id"));
    json_t *full = NULL;
    const json_t *pii = NULL, *f;
    const issuer_cardtype *ct = issuer_cardtype_find(c->ctx, json_string_value(json_object_get(a, "cardtype")));
    size_t i;

    /* name and birth date: opened for the rows shown only */
    if (issuer_app_json(c->ctx, c->s, &c->who, id, true, &full) == MOBID_OK)
        pii = json_object_get(full, "applicant");
    console_put(&c->page, "<tr><td class=\"who\"><a href=\"/console/applications/");
    console_esc(&c->page, id);
    console_put(&c->page, "\">");
    console_person_name(c, ct, pii);
    console_put(&c->page, "</a></td><td class=\"birth\">");
    json_array_foreach (ct ? ct->form : NULL, i, f)
        if (console_is_birth_field(f))
            console_esc(&c->page, json_string_value(json_object_get(pii, json_string_value(json_object_get(f, "name")))));
    console_put(&c->page, "</td><td>");
    console_cardtype(c, json_string_value(json_object_get(a, "cardtype")));
    console_put(&c->page, "</td><td class=\"state\" data-state=\"");
    console_esc(&c->page, json_string_value(json_object_get(a, "state")));
    console_put(&c->page, "\">");
    console_state_html(c, json_string_value(json_object_get(a, "state")));
    console_put(&c->page, "</td><td>");
    console_office(c, json_string_value(json_object_get(a, "office_id")));
    console_put(&c->page, "</td><td>");
    console_when(c, json_integer_value(json_object_get(a, "created_at")));
    console_put(&c->page, "</td></tr>\n");
    json_decref(full);
}

static mobid_err do_list(console_req *c)
{
    const char *state = query(c, "state"), *name = query(c, "name"), *birth = query(c, "birth"),
               *rrn = query(c, "rrn");
    bool searching = name || birth || rrn;
    json_t *list = NULL;
    mobid_err err = searching ? search(c, name, birth, rrn, &list)
                              : issuer_apps_list(c->ctx, c->s, &c->who, state, NULL, 100, &list);
    if (err)
        return err;
    console_page_open(c, "신청 목록", "Applications");
    search_form(c, name, birth, rrn);
    console_put(&c->page, "<p class=\"filters\"><a href=\"/console/applications\">전체 All</a>");
    const char *states[] = { "received", "verified", "approved", "offer_issued", "offer_expired",
                             "card_issued", "rejected", "cancelled" };
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++) {
        console_put(&c->page, " <a href=\"/console/applications?state=");
        console_put(&c->page, states[i]);
        console_put(&c->page, "\">");
        console_state_html(c, states[i]);
        console_put(&c->page, "</a>");
    }
    console_put(&c->page, "</p>\n<table id=\"applications\"><thead><tr><th>성명 Name</th><th>생년월일 "
                          "Birth date</th><th>종류 Card type</th><th>상태 State</th><th>공관 Office</th>"
                          "<th>접수 Received</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < json_array_size(list) && i < 200; i++)
        list_row(c, json_array_get(list, i));
    if (!json_array_size(list))
        console_put(&c->page, searching ? "<tr><td colspan=\"6\" id=\"no-match\">찾는 신청이 없습니다. "
                                          "No application matches.</td></tr>\n"
                                        : "<tr><td colspan=\"6\">신청이 없습니다. No applications.</td></tr>\n");
    console_put(&c->page, "</tbody></table>\n");
    json_decref(list);
    return console_page_send(c, 200);
}

static mobid_err on_list(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    return console_run(req, resp, ctx, do_list);
}

/* ---- the new-application form: the card type's "application" fields ---- */

/* The card type the form is for: ?cardtype= or the form's field, else the first. */
static const issuer_cardtype *form_cardtype(console_req *c)
{
    const char *id = console_field(c, "cardtype");
    if (!id)
        id = mobid_http_req_query(c->req, "cardtype");
    if (id)
        return issuer_cardtype_find(c->ctx, id);
    return c->ctx->cfg.ncardtypes ? &c->ctx->cfg.cardtypes[0] : NULL;
}

static void label_open(mobid_buf *b, const json_t *f)
{
    console_put(b, "<label>");
    console_esc(b, fstr(f, "ko"));
    console_put(b, " <span class=\"en\">");
    console_esc(b, fstr(f, "en"));
    console_put(b, "</span>");
}

/* The field's value to show: what was posted, else its default. */
static void field_value(console_req *c, const json_t *f, char out[64], const char **v)
{
    const json_t *d = json_object_get(f, "default");
    *v = console_field(c, fstr(f, "name"));
    if (!*v && json_is_string(d))
        *v = json_string_value(d);
    else if (!*v && json_is_integer(d))
        snprintf(out, 64, "%lld", (long long)json_integer_value(d)), *v = out;
}

static void select_input(console_req *c, const json_t *f, const char *v)
{
    const json_t *o;
    size_t i;
    char val[64];
    console_put(&c->page, "<select name=\"");
    console_esc(&c->page, fstr(f, "name"));
    console_put(&c->page, "\" id=\"f-");
    console_esc(&c->page, fstr(f, "name"));
    console_put(&c->page, "\">");
    json_array_foreach (json_object_get(f, "options"), i, o) {
        const json_t *ov = json_object_get(o, "value");
        if (json_is_integer(ov))
            snprintf(val, sizeof val, "%lld", (long long)json_integer_value(ov));
        else
            snprintf(val, sizeof val, "%s", json_string_value(ov) ?: "");
        console_put(&c->page, "<option value=\"");
        console_esc(&c->page, val);
        console_put(&c->page, v && !strcmp(v, val) ? "\" selected>" : "\">");
        console_esc(&c->page, fstr(o, "ko"));
        console_put(&c->page, " ");
        console_esc(&c->page, fstr(o, "en"));
        console_put(&c->page, "</option>");
    }
    console_put(&c->page, "</select>");
}

/* The portrait: a file picker that console.js turns into base64url in f-portrait. */
static void portrait_input(console_req *c, const json_t *f)
{
    label_open(&c->page, f);
    console_put(&c->page, " <span class=\"en\">(JPEG, at most 40 KB)</span><input type=\"file\" "
                          "id=\"portrait-file\" accept=\"image/jpeg\"></label><input type=\"hidden\" "
                          "name=\"portrait\" id=\"f-portrait\" value=\"\"><img id=\"portrait-preview\" "
                          "alt=\"\" hidden><span class=\"check\" id=\"check-portrait\"></span>\n");
}

static void field_input(console_req *c, const json_t *f)
{
    static const char *const INPUT[][2] = { { "date", "date" }, { "string", "text" },
                                            { "int", "number" } };
    const char *type = fstr(f, "type"), *name = fstr(f, "name"), *v = NULL, *html = "text";
    char num[64];
    mobid_buf *b = &c->page;

    field_value(c, f, num, &v);
    if (!strcmp(type, "bytes"))
        return portrait_input(c, f);
    if (!strcmp(type, "bool")) {
        console_put(b, "<label class=\"inline\"><input type=\"checkbox\" value=\"1\" name=\"");
        console_esc(b, name);
        console_put(b, "\" id=\"f-");
        console_esc(b, name);
        console_put(b, json_is_true(json_object_get(f, "default")) ? "\" checked> " : "\"> ");
        console_esc(b, fstr(f, "ko"));
        console_put(b, " <span class=\"en\">");
        console_esc(b, fstr(f, "en"));
        console_put(b, "</span></label>\n");
        return;
    }
    label_open(b, f);
    if (json_object_get(f, "options")) {
        select_input(c, f, v);
    } else if (!strcmp(type, "json")) {
        console_put(b, "<textarea name=\"");
        console_esc(b, name);
        console_put(b, "\" id=\"f-");
        console_esc(b, name);
        console_put(b, json_is_true(json_object_get(f, "required")) ? "\" required>" : "\">");
        console_esc(b, v);
        console_put(b, "</textarea>");
    } else {
        for (size_t i = 0; i < sizeof INPUT / sizeof INPUT[0]; i++)
            if (!strcmp(type, INPUT[i][0]))
                html = INPUT[i][1];
        console_put(b, "<input type=\"");
        console_put(b, html);
        console_put(b, "\" name=\"");
        console_esc(b, name);
        console_put(b, "\" id=\"f-");
        console_esc(b, name);
        console_put(b, json_is_true(json_object_get(f, "required")) ? "\" required value=\""
                                                                     : "\" value=\"");
        console_esc(b, v);
        console_put(b, "\">");
    }
    console_put(b, "</label><span class=\"check\" id=\"check-");
    console_esc(b, name);
    console_put(b, "\" aria-live=\"polite\"></span>\n");
}

/* Links to the form of every card type; the current one is marked. */
static void cardtype_menu(console_req *c, const issuer_cardtype *cur)
{
    console_put(&c->page, "<p class=\"filters\" id=\"cardtypes\">");
    for (size_t i = 0; i < c->ctx->cfg.ncardtypes; i++) {
        const issuer_cardtype *ct = &c->ctx->cfg.cardtypes[i];
        console_put(&c->page, ct == cur ? " <strong>" : " <a href=\"/console/applications/new?cardtype=");
        if (ct != cur) {
            console_esc(&c->page, ct->id);
            console_put(&c->page, "\">");
        }
        console_esc(&c->page, ct->display_ko ? ct->display_ko : ct->id);
        console_put(&c->page, " <span class=\"en\">");
        console_esc(&c->page, ct->name ? ct->name : ct->id);
        console_put(&c->page, ct == cur ? "</span></strong>" : "</span></a>");
    }
    console_put(&c->page, "</p>\n");
}

static void new_form(console_req *c, const issuer_cardtype *ct)
{
    mobid_buf *b = &c->page;
    size_t i;
    const json_t *f;
    cardtype_menu(c, ct);
    console_form_open(c, "/console/applications");
    char age[16];
    snprintf(age, sizeof age, "%d", ct->eligibility.min_age);
    console_put(b, "<input type=\"hidden\" name=\"cardtype\" value=\"");
    console_esc(b, ct->id);
    console_put(b, "\" data-min-age=\""); /* the card type's, for the inline check */
    console_put(b, age);
    console_put(b, "\"><fieldset><legend>신청인 Applicant</legend>\n");
    json_array_foreach (ct->form, i, f)
        field_input(c, f);
    if (c->who.role == ISSUER_ROLE_ADMIN)
        console_put(b, "<label>공관 <span class=\"en\">Office id</span><input name=\"office_id\" "
                       "id=\"f-office_id\" required></label>\n");
    console_put(b, "</fieldset>\n<button type=\"submit\" id=\"file-application\">신청 접수 File the "
                   "application</button></form>\n");
}

static mobid_err do_new(console_req *c)
{
    const issuer_cardtype *ct = form_cardtype(c);
    if (!ct)
        return MOBID_ERR_NOT_FOUND;
    console_page_open(c, "새 신청", "New application");
    console_put(&c->page, "<p>여권과 거주 증빙을 직접 확인한 뒤 입력하세요. <span class=\"en\">Enter the "
                          "applicant's data from the passport and residency documents.</span></p>\n");
    new_form(c, ct);
    return console_page_send(c, 200);
}

static mobid_err on_new(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    return console_run(req, resp, ctx, do_new);
}

/* One posted field as the JSON its type wants; NULL when left empty. */
static json_t *field_json(const json_t *f, const char *v)
{
    const char *type = fstr(f, "type");
    if (!strcmp(type, "bool"))
        return json_boolean(v != NULL);
    if (!v || !*v)
        return NULL;
    if (!strcmp(type, "int"))
        return json_integer(strtoll(v, NULL, 10));
    if (!strcmp(type, "json")) {
        json_t *j = json_loads(v, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
        return j ? j : json_string(v); /* the issuer refuses a string where JSON belongs */
    }
    return json_string(v);
}

/* The applicant object from the form: every field of the card type's form. */
static json_t *applicant(console_req *c, const issuer_cardtype *ct)
{
    json_t *pii = json_object();
    size_t i;
    const json_t *f;
    /* fields left empty are absent (intake refuses empty texts and names a missing
     * required one); issuing_office is the server's to set, never the form's */
    json_array_foreach (ct->form, i, f) {
        json_t *v = field_json(f, console_field(c, fstr(f, "name")));
        if (v)
            json_object_set_new(pii, fstr(f, "name"), v);
    }
    return pii;
}

static mobid_err do_create(console_req *c)
{
    char id[23], loc[64], detail[MOBID_SVC_DETAIL_MAX] = "";
    const char *office = c->who.role == ISSUER_ROLE_ADMIN ? console_field(c, "office_id") : c->who.office_id;
    const issuer_cardtype *ct = form_cardtype(c);
    json_t *pii = ct ? applicant(c, ct) : NULL;
    mobid_err err = !ct ? MOBID_ERR_NOT_FOUND
                  : pii ? issuer_app_create(c->ctx, c->s, &c->who, office, ct->id, pii, id,
                                            detail, sizeof detail)
                        : MOBID_ERR_NOMEM;
    json_decref(pii);
    if (err == MOBID_OK) {
        snprintf(loc, sizeof loc, "/console/applications/%s", id);
        return console_redirect(c, loc);
    }
    if (!console_is_refusal(err))
        return err;
    console_page_open(c, "새 신청", "New application");
    console_refusal_form(c, err, detail[0] ? detail : NULL, ct);
    if (ct)
        new_form(c, ct);
    return console_page_send(c, mobid_http_status_of(err));
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
