/*
 * Renewal in the console (renewal.h): the renew step on an application whose card is
 * active (a supervisor's or the ministry's, with the passport the holder shows, if
 * any), its refusals in both languages, and the office's list of cards that expire
 * soon (/console/expiring?days=N), each with its holder's name and a link to its
 * application. The renew step itself is posted to /console/applications/{id}/renew
 * and answered with post/redirect/get like every step (console_detail.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "services/issuer/console.h"
#include "services/issuer/renewal.h"

void console_renew_actions(console_req *c, const char *app_id, const json_t *card)
{
    char action[96];
    bool senior = c->who.role == ISSUER_ROLE_SUPERVISOR || c->who.role == ISSUER_ROLE_ADMIN;
    mobid_buf *b = &c->page;

    if (json_is_true(json_object_get(card, "renewal_pending"))) {
        console_put(b, "<p class=\"why-not\" data-why=\"renewal-pending\">갱신된 카드가 신청인의 앱에 "
                       "전달되기를 기다리고 있습니다. 앱이 새로 고치면 새 카드를 받고 이 카드는 대체됩니다. "
                       "<span class=\"en\">The renewed card waits for the holder's app: at its next "
                       "refresh it receives the new card, and this one is superseded.</span></p>\n");
        return;
    }
    if (!senior) {
        console_put(b, "<p class=\"why-not\" data-why=\"renew\">카드 갱신은 감독관만 할 수 있습니다. "
                       "<span class=\"en\">Only a supervisor can renew a card.</span></p>\n");
        return;
    }
    snprintf(action, sizeof action, "/console/applications/%s/renew", app_id);
    console_form_open(c, action);
    console_put(b, "<p>같은 휴대전화로 새 유효기간의 카드를 보냅니다 (여권이 유효할 때만). <span class=\"en\">"
                   "Sends a card with a new validity to the same phone (only while the passport "
                   "is valid).</span></p><label>제시한 여권 번호 (선택) <span class=\"en\">Passport "
                   "shown now (optional)</span><input name=\"passport_number\" id=\"f-passport\" "
                   "maxlength=\"64\" autocomplete=\"off\"></label><button type=\"submit\" "
                   "id=\"do-renew\">갱신 <span class=\"en\">Renew the card</span></button></form>\n");
}

bool console_renew_refusal(mobid_err err, char *ko, size_t kn, char *en, size_t en_n)
{
    switch ((int)err) {
    case MOBID_SVC_ERR_PASSPORT_EXPIRED:
        snprintf(ko, kn, "카드를 발급한 여권이 만료되었습니다. 유효한 여권으로 새로 신청해야 합니다 (재발급, "
                         "본인 확인).");
        snprintf(en, en_n, "The passport the card was issued on has expired: the person applies anew "
                           "with a valid passport (a reissue, verified in person).");
        return true;
    case MOBID_SVC_ERR_PASSPORT_CHANGED:
        snprintf(ko, kn, "제시한 여권이 카드를 발급한 여권과 다릅니다. 새 여권은 새 신청(재발급)으로 처리합니다.");
        snprintf(en, en_n, "The passport shown is not the one the card was issued on: a new passport "
                           "means a reissue (a new application).");
        return true;
    case MOBID_SVC_ERR_RENEWAL_UNDELIVERABLE:
        snprintf(ko, kn, "신청인의 앱이 갱신을 받을 수 없습니다 (기기에 묶인 갱신 토큰이 없음). 새로 신청해 "
                         "발급 코드를 받아야 합니다.");
        snprintf(en, en_n, "The holder's app cannot receive a renewal (it holds no key-bound refresh "
                           "token): the person applies anew and receives an offer.");
        return true;
    default:
        return false;
    }
}

/* ---- the expiring-soon list ---- */

static void expiring_row(console_req *c, const json_t *card)
{
    const char *app = json_string_value(json_object_get(card, "application_id"));
    const issuer_cardtype *ct =
        issuer_cardtype_find(c->ctx, json_string_value(json_object_get(card, "cardtype")));
    json_t *full = NULL;
    mobid_buf *b = &c->page;

    console_put(b, "<tr data-card=\"");
    console_esc(b, json_string_value(json_object_get(card, "card")));
    console_put(b, "\"><td><a href=\"/console/applications/");
    console_esc(b, app);
    console_put(b, "\">");
    if (app && issuer_app_json(c->ctx, c->s, &c->who, app, true, &full) == MOBID_OK)
        console_person_name(c, ct, json_object_get(full, "applicant"));
    else
        console_esc(b, app);
    console_put(b, "</a></td><td>");
    console_cardtype(c, json_string_value(json_object_get(card, "cardtype")));
    console_put(b, "</td><td><code>");
    console_esc(b, json_string_value(json_object_get(card, "card")));
    console_put(b, "</code></td><td>");
    console_when(c, json_integer_value(json_object_get(card, "expires_at")));
    console_put(b, "</td><td>");
    console_put(b, json_is_true(json_object_get(card, "renewal_pending"))
                       ? "<span class=\"renewal-pending\">갱신 대기 <span class=\"en\">renewal waits "
                         "for the app</span></span>"
                       : "—");
    console_put(b, "</td></tr>\n");
    json_decref(full);
}

static mobid_err do_expiring(console_req *c)
{
    const char *days_q = mobid_http_req_query(c->req, "days");
    int64_t days = days_q ? atoll(days_q) : issuer_renewal_window_days(c->ctx);
    json_t *list = NULL;
    size_t i;
    mobid_err err;

    if (days < 1 || days > 3660)
        days = issuer_renewal_window_days(c->ctx);
    err = issuer_cards_expiring(c->ctx, c->s, &c->who,
                                c->who.role == ISSUER_ROLE_ADMIN ? NULL : c->who.office_id, days,
                                &list);
    if (err)
        return err;
    if (c->who.office_id[0])
        console_set_zone(c, c->who.office_id);
    console_page_open(c, "만료 예정 카드", "Cards expiring soon");
    console_put(&c->page, "<p>앞으로 <strong id=\"within-days\">");
    console_int(&c->page, (long long)days);
    console_put(&c->page, "</strong>일 안에 만료되는 유효한 카드 <span class=\"en\">Active cards that "
                          "expire within these days; open one to renew it</span></p>\n"
                          "<form method=\"get\" action=\"/console/expiring\"><label>기간 (일) <span "
                          "class=\"en\">Days</span><input name=\"days\" type=\"number\" min=\"1\" "
                          "max=\"3660\"></label><button type=\"submit\">보기 Show</button></form>\n"
                          "<table id=\"expiring\"><thead><tr><th>신청인 Holder</th><th>종류 Card type"
                          "</th><th>카드 Card</th><th>만료 Expires</th><th>갱신 Renewal</th></tr>"
                          "</thead><tbody>\n");
    for (i = 0; i < json_array_size(list); i++)
        expiring_row(c, json_array_get(list, i));
    console_put(&c->page, "</tbody></table>\n");
    json_decref(list);
    return console_page_send(c, 200);
}

static mobid_err on_expiring(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    return console_run(req, resp, ctx, do_expiring);
}

mobid_err console_renew_routes(mobid_http_server *srv, issuer_ctx *ctx)
{
    return mobid_http_route(srv, "GET", "/console/expiring", on_expiring, ctx);
}
