/*
 * One application in the console: its data (labelled by the card type), the state of
 * the application and of its card, its history, and the forms of exactly the next
 * steps its state and the officer's role allow: identity verification, approval (by
 * another officer: four eyes), rejection, the one-time offer and its replacement or
 * cancellation, and suspend / resume / revoke of the delivered card with a reason, and
 * its renewal (console_renew.c).
 * Revoke, which cannot be undone, asks for a confirmation on a page of its own.
 *
 * Each POST answers 303 back to the application with ?done=STEP or
 * ?refused=CODE&step=STEP (post/redirect/get); the notice is built from those known
 * words only, never from text in the address.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "qr/qr.h"
#include "services/issuer/console.h"
#include "services/issuer/renewal.h"

/* ---- steps: their names, labels and refusal texts ---- */

typedef struct step_info {
    const char *step, *ko, *en;          /* "suspend", "일시 정지", "suspend the card" */
    const char *done_ko, *done_en;
} step_info;

static const step_info STEPS[] = {
    { "verify", "신원 확인", "verify the identity", "신원 확인을 기록했습니다.",
      "The identity verification is recorded." },
    { "approve", "승인", "approve", "승인했습니다.", "The application is approved." },
    { "reject", "반려", "reject", "반려했습니다.", "The application is rejected." },
    { "offer", "발급 코드 만들기", "make the offer", "발급 코드를 만들었습니다.", "The offer is made." },
    { "reoffer", "발급 코드 교체", "replace the offer", "새 발급 코드를 만들었고 이전 코드는 더 이상 쓸 수 "
      "없습니다.", "A new offer is made; the previous code no longer works." },
    { "cancel", "발급 취소", "cancel the offer", "발급 코드를 취소했습니다. 신청인은 다시 신청할 수 "
      "있습니다.", "The offer is cancelled; the person may apply again." },
    { "suspend", "일시 정지", "suspend the card", "카드를 일시 정지했습니다.", "The card is suspended." },
    { "resume", "정지 해제", "resume the card", "카드의 정지를 해제했습니다.", "The card is active again." },
    { "revoke", "폐기", "revoke the card", "카드를 폐기했습니다.", "The card is revoked." },
    { "renew", "갱신", "renew the card", "카드를 갱신했습니다. 신청인의 앱이 다음에 새로 고칠 때 새 카드를 "
      "받으며, 그때 이전 카드는 대체됩니다.", "The card is renewed: the holder's app receives the new "
      "card at its next refresh, and the old card is superseded then." },
};

static const step_info *step_find(const char *step)
{
    for (size_t i = 0; step && i < sizeof STEPS / sizeof STEPS[0]; i++)
        if (!strcmp(step, STEPS[i].step))
            return &STEPS[i];
    return NULL;
}

/* The refusal a redirect can name (any other code reads as WRONG_STATE). */
static const mobid_err REFUSALS[] = { MOBID_SVC_ERR_FOUR_EYES, MOBID_SVC_ERR_ACCESS_DENIED,
                                      MOBID_SVC_ERR_WRONG_STATE, MOBID_ERR_INVALID_ARG,
                                      MOBID_ERR_NOT_FOUND, MOBID_SVC_ERR_PASSPORT_EXPIRED,
                                      MOBID_SVC_ERR_PASSPORT_CHANGED,
                                      MOBID_SVC_ERR_RENEWAL_UNDELIVERABLE };

static mobid_err refusal_parse(const char *name)
{
    for (size_t i = 0; name && i < sizeof REFUSALS / sizeof REFUSALS[0]; i++)
        if (!strcmp(name, mobid_svc_err_name(REFUSALS[i])))
            return REFUSALS[i];
    return MOBID_SVC_ERR_WRONG_STATE;
}

/* What was refused and who can do it, in both languages (ko, en: 256 bytes). */
static void step_text(const step_info *si, mobid_err err, char *ko, char *en)
{
    bool card = !strcmp(si->step, "resume") || !strcmp(si->step, "revoke") ||
                !strcmp(si->step, "renew");
    switch ((int)err) {
    case MOBID_SVC_ERR_FOUR_EYES:
        snprintf(ko, 256, "이 신청의 신원을 확인한 직원은 승인할 수 없습니다. 다른 직원이 승인해야 합니다.");
        snprintf(en, 256, "The officer who verified this application cannot approve it: "
                          "another officer of the office must approve.");
        break;
    case MOBID_SVC_ERR_ACCESS_DENIED:
        if (card || !strcmp(si->step, "cancel")) {
            snprintf(ko, 256, "%s은(는) 감독관만 할 수 있습니다. 공관의 감독관에게 요청하세요.", si->ko);
            snprintf(en, 256, "Only a supervisor can %s: ask your office's supervisor.", si->en);
        } else {
            snprintf(ko, 256, "다른 공관의 신청입니다. 그 공관의 직원만 처리할 수 있습니다.");
            snprintf(en, 256, "This application belongs to another office: only its officers can %s.",
                     si->en);
        }
        break;
    case MOBID_ERR_INVALID_ARG:
        if (!strcmp(si->step, "verify")) {
            snprintf(ko, 256, "여권 원본 확인에 표시하고 거주 증빙을 적어 주세요.");
            snprintf(en, 256, "Tick that the passport was seen and name the residency evidence.");
        } else {
            snprintf(ko, 256, "%s 사유를 적어 주세요 (200자 이내).", si->ko);
            snprintf(en, 256, "Give a reason to %s (at most 200 characters).", si->en);
        }
        break;
    case MOBID_ERR_NOT_FOUND:
        if (!strcmp(si->step, "offer")) { /* the once-only page asked for again */
            snprintf(ko, 256, "발급 코드 화면은 한 번만 표시됩니다. 코드를 잃었다면 발급 코드를 교체하세요.");
            snprintf(en, 256, "The offer page is shown only once: if the code was lost, replace the offer.");
            break;
        }
        snprintf(ko, 256, "이 신청에는 %s할 대상이 없습니다.", si->ko);
        snprintf(en, 256, "There is nothing to %s on this application.", si->en);
        break;
    default:
        snprintf(ko, 256, "현재 상태에서는 %s을(를) 할 수 없습니다. 다른 직원이 먼저 처리했을 수 "
                          "있으니 아래 상태를 확인하세요.", si->ko);
        snprintf(en, 256, "The current state does not allow you to %s (someone may have acted "
                          "first): see the state below.", si->en);
        break;
    }
}

static void step_refusal(console_req *c, const step_info *si, mobid_err err)
{
    char ko[256], en[256];
    if (!console_renew_refusal(err, ko, sizeof ko, en, sizeof en))
        step_text(si, err, ko, en);
    console_put(&c->page, "<div class=\"notice error\" role=\"alert\" id=\"refusal\" data-error=\"");
    console_esc(&c->page, mobid_svc_err_name(err));
    console_put(&c->page, "\"><p>");
    console_esc(&c->page, ko);
    console_put(&c->page, "</p><p class=\"en\">");
    console_esc(&c->page, en);
    console_put(&c->page, " (");
    console_esc(&c->page, mobid_svc_err_name(err));
    console_put(&c->page, ")</p></div>\n");
}

/* ---- the data ---- */

static void row_open(mobid_buf *b, const char *label_html, const char *id)
{
    console_put(b, "<tr");
    if (id) {
        console_put(b, " data-field=\"");
        console_esc(b, id);
        console_put(b, "\"");
    }
    console_put(b, "><th>");
    console_put(b, label_html);
    console_put(b, "</th><td>");
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

/* An officer and when: "name (user) · time". */
static void officer_row(console_req *c, const char *label, const json_t *app, const char *who,
                        const char *at)
{
    const char *id = json_string_value(json_object_get(app, who));
    if (!id)
        return;
    row_open(&c->page, label, who);
    console_officer(c, id);
    if (json_is_integer(json_object_get(app, at))) {
        console_put(&c->page, " · ");
        console_when(c, json_integer_value(json_object_get(app, at)));
    }
    console_put(&c->page, "</td></tr>\n");
}

/* Every field of the card type's application form that the applicant has, with the
 * card type's labels and value labels. */
static void details(console_req *c, const json_t *app, const issuer_cardtype *ct)
{
    const json_t *pii = json_object_get(app, "applicant"), *f;
    mobid_buf *b = &c->page;
    char label[300];
    size_t i;

    if (ct) {
        json_array_foreach (ct->form, i, f) {
            const char *name = json_string_value(json_object_get(f, "name"));
            const json_t *v = json_object_get(pii, name ? name : "");
            if (!v || json_is_null(v) ||
                !strcmp(json_string_value(json_object_get(f, "type")) ?: "", "bytes"))
                continue; /* the portrait is shown beside the table */
            row_open(b, "", name);
            b->len -= strlen("</th><td>"); /* the label goes in escaped */
            snprintf(label, sizeof label, "%s", json_string_value(json_object_get(f, "ko")) ?: name);
            console_esc(b, label);
            console_put(b, " <span class=\"en\">");
            console_esc(b, json_string_value(json_object_get(f, "en")) ?: name);
            console_put(b, "</span></th><td>");
            console_value(c, f, v);
            console_put(b, "</td></tr>\n");
        }
    }
    row_open(b, "종류 <span class=\"en\">Card type</span>", "cardtype");
    console_cardtype(c, json_string_value(json_object_get(app, "cardtype")));
    console_put(b, "</td></tr>\n");
    row_open(b, "공관 <span class=\"en\">Office</span>", "office");
    console_office(c, json_string_value(json_object_get(app, "office_id")));
    console_put(b, "</td></tr>\n");
    officer_row(c, "접수 <span class=\"en\">Received by</span>", app, "received_by", "created_at");
    officer_row(c, "확인 <span class=\"en\">Verified by</span>", app, "verified_by", "verified_at");
    officer_row(c, "승인 <span class=\"en\">Approved by</span>", app, "approved_by", "approved_at");
    if (json_string_value(json_object_get(app, "reason"))) {
        row_open(b, "사유 <span class=\"en\">Reason</span>", "reason");
        console_esc(b, json_string_value(json_object_get(app, "reason")));
        console_put(b, "</td></tr>\n");
    }
}

/* The card type's bytes fields (the portrait) as images. */
static void portraits(console_req *c, const json_t *app, const issuer_cardtype *ct)
{
    size_t i;
    const json_t *f;
    json_array_foreach (ct ? ct->form : NULL, i, f)
        if (!strcmp(json_string_value(json_object_get(f, "type")) ?: "", "bytes"))
            portrait(&c->page, json_string_value(json_object_get(json_object_get(app, "applicant"),
                                                                 json_string_value(json_object_get(f, "name")) ?: "")));
}

/* The card's state as the officer needs it: active, suspended, revoked, superseded
 * ("replaced"), or expired (also when past its date before the sweep ran). */
static const char *card_state(const json_t *card)
{
    const char *st = json_string_value(json_object_get(card, "state"));
    int64_t exp = json_integer_value(json_object_get(card, "expires_at"));
    if (st && (!strcmp(st, "active") || !strcmp(st, "suspended")) && exp && exp <= mobid_now())
        return "expired";
    return st;
}

static void state_box(console_req *c, const json_t *app, const json_t *card)
{
    const char *st = json_string_value(json_object_get(app, "state"));
    const char *cs = card ? card_state(card) : NULL;
    mobid_buf *b = &c->page;

    console_put(b, "<section class=\"state\"><p>상태 <span class=\"en\">State</span>: "
                   "<strong id=\"state\" data-state=\"");
    console_esc(b, st);
    console_put(b, "\" data-card=\"");
    console_esc(b, cs ? cs : "");
    console_put(b, "\">");
    console_state_html(c, cs ? cs : st);
    console_put(b, "</strong></p>\n");
    if (card) {
        console_put(b, "<p class=\"card\">카드 <span class=\"en\">Card</span> <code>");
        console_esc(b, json_string_value(json_object_get(card, "id")));
        console_put(b, "</code> · 발급 <span class=\"en\">issued</span> ");
        console_when(c, json_integer_value(json_object_get(card, "issued_at")));
        console_put(b, " · 만료 <span class=\"en\">expires</span> ");
        console_when(c, json_integer_value(json_object_get(card, "expires_at")));
        if (json_string_value(json_object_get(card, "reason"))) {
            console_put(b, " · 사유 <span class=\"en\">reason</span>: ");
            console_esc(b, json_string_value(json_object_get(card, "reason")));
        }
        console_put(b, "</p>\n");
    }
    console_put(b, "</section>\n");
}

/* ---- the next steps ---- */

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

/* Why a step is not offered: a line naming who can act. */
static void why_not(console_req *c, const char *cls, const char *ko, const char *en)
{
    console_put(&c->page, "<p class=\"why-not\" data-why=\"");
    console_put(&c->page, cls);
    console_put(&c->page, "\">");
    console_esc(&c->page, ko);
    console_put(&c->page, " <span class=\"en\">");
    console_esc(&c->page, en);
    console_put(&c->page, "</span></p>\n");
}

static const char reason_field[] =
    "<label>사유 <span class=\"en\">Reason</span><input name=\"reason\" required maxlength=\"200\"></label>";

static void revoke_link(console_req *c, const char *id)
{
    console_put(&c->page, "<p><a class=\"button danger\" id=\"do-revoke\" href=\"/console/applications/");
    console_esc(&c->page, id);
    console_put(&c->page, "/revoke\">폐기… <span class=\"en\">Revoke…</span></a></p>\n");
}

static void card_actions(console_req *c, const char *id, const json_t *card, bool senior)
{
    const char *cs = card_state(card);
    if (!strcmp(cs, "active")) {
        console_renew_actions(c, id, card);
        action_form(c, id, "suspend", "일시 정지 Suspend", reason_field);
        if (senior)
            revoke_link(c, id);
        else
            why_not(c, "revoke", "카드 폐기는 감독관만 할 수 있습니다.", "Only a supervisor can revoke a card.");
    } else if (!strcmp(cs, "suspended")) {
        if (senior) {
            action_form(c, id, "resume", "정지 해제 Resume", reason_field);
            revoke_link(c, id);
        } else {
            why_not(c, "resume", "정지 해제와 폐기는 감독관만 할 수 있습니다.",
                    "Only a supervisor can resume or revoke a card.");
        }
    } else if (!strcmp(cs, "replaced")) {
        why_not(c, "superseded", "이 카드는 같은 사람의 새 카드(새 휴대전화)로 대체되어 더 이상 쓸 수 "
                "없습니다. 새 신청에서 처리하세요.", "This card was superseded by a newer card of the "
                "same person (a new phone) and no longer works: act on the newer application.");
    } else {
        why_not(c, "closed", "이 카드에는 더 할 수 있는 작업이 없습니다.", "Nothing more can be done with this card.");
    }
}

static void offer_actions(console_req *c, const char *id, const char *st, bool senior)
{
    action_form(c, id, "reoffer", !strcmp(st, "offer_issued")
                    ? "발급 코드 교체 <span class=\"en\">Replace the offer (lost code; the current one "
                      "stops working)</span>"
                    : "새 발급 코드 만들기 <span class=\"en\">Make a new offer</span>", NULL);
    if (!strcmp(st, "offer_expired"))
        action_form(c, id, "reject", "반려 Reject", reason_field);
    if (senior)
        action_form(c, id, "cancel", "발급 취소 <span class=\"en\">Cancel the offer</span>", reason_field);
    else
        why_not(c, "cancel", "발급 코드 취소는 감독관만 할 수 있습니다.", "Only a supervisor can cancel an offer.");
}

static void actions(console_req *c, const char *id, const json_t *app, const json_t *card)
{
    const char *st = json_string_value(json_object_get(app, "state")) ?: "";
    const char *verifier = json_string_value(json_object_get(app, "verified_by"));
    bool senior = c->who.role == ISSUER_ROLE_SUPERVISOR || c->who.role == ISSUER_ROLE_ADMIN;

    console_put(&c->page, "<section class=\"actions\" id=\"actions\"><h2>다음 단계 <small>Next steps</small></h2>\n");
    if (!strcmp(st, "received"))
        action_form(c, id, "verify", "신원 확인 완료 Identity verified",
                    "<label class=\"inline\"><input type=\"checkbox\" name=\"passport_seen\" value=\"1\" "
                    "required> 여권 원본 확인 <span class=\"en\">Passport seen in person</span></label>"
                    "<label>거주 증빙 <span class=\"en\">Residency evidence</span><input name=\"residency\" "
                    "id=\"f-residency\" required maxlength=\"100\"></label>");
    if (!strcmp(st, "verified") && verifier && !strcmp(verifier, c->who.id))
        why_not(c, "approve", "본인이 신원을 확인한 신청입니다. 다른 직원이 승인합니다.",
                "You verified this application: another officer approves it (four eyes).");
    else if (!strcmp(st, "verified"))
        action_form(c, id, "approve", "승인 Approve", NULL);
    if (!strcmp(st, "approved"))
        action_form(c, id, "offer", "발급 코드 만들기 Create the offer", NULL);
    if (!strcmp(st, "received") || !strcmp(st, "verified") || !strcmp(st, "approved"))
        action_form(c, id, "reject", "반려 Reject", reason_field);
    if (!strcmp(st, "offer_issued") || !strcmp(st, "offer_expired"))
        offer_actions(c, id, st, senior);
    if (!strcmp(st, "card_issued") && card)
        card_actions(c, id, card, senior);
    if (!strcmp(st, "rejected") || !strcmp(st, "cancelled"))
        why_not(c, "closed", "종료된 신청입니다. 신청인은 새로 신청할 수 있습니다.",
                "This application is closed; the person may apply again.");
    console_put(&c->page, "</section>\n");
}

/* ---- history ---- */

static mobid_err history(console_req *c, const char *id)
{
    json_t *list = NULL;
    mobid_err err = console_audit_query(
        c, "SELECT seq, at, actor, action, subject, detail FROM issuer_audit"
           " WHERE subject = $1 OR subject IN (SELECT id FROM issuer_cards WHERE application_id = $1)"
           " OR subject IN (SELECT id FROM issuer_offers WHERE application_id = $1)"
           " ORDER BY seq LIMIT 500", id, 0, &list);
    if (err)
        return err;
    console_put(&c->page, "<section><h2>이력 <small>History</small></h2><table id=\"history\"><thead><tr>"
                          "<th>#</th><th>시각 Time</th><th>직원 Who</th><th>작업 What</th><th>내용 Detail</th>"
                          "</tr></thead><tbody>\n");
    console_audit_rows(c, list, false);
    console_put(&c->page, "</tbody></table></section>\n");
    json_decref(list);
    return MOBID_OK;
}

/* ---- the page ---- */

/* The notice a redirect asked for (?done=STEP or ?refused=CODE&step=STEP). */
static void redirect_notice(console_req *c)
{
    const step_info *done = step_find(mobid_http_req_query(c->req, "done"));
    const char *refused = mobid_http_req_query(c->req, "refused");
    const step_info *si = step_find(mobid_http_req_query(c->req, "step"));
    if (done)
        console_notice(c, "ok", done->done_ko, done->done_en, NULL);
    if (refused && si)
        step_refusal(c, si, refusal_parse(refused));
}

static mobid_err do_detail(console_req *c)
{
    const char *id = mobid_http_req_param(c->req, "id");
    json_t *app = NULL, *card = NULL;
    mobid_err err = issuer_app_json(c->ctx, c->s, &c->who, id, true, &app);

    if (console_is_refusal(err)) {
        console_page_open(c, "신청", "Application");
        console_refusal(c, err, err == MOBID_SVC_ERR_ACCESS_DENIED
                                    ? "this application belongs to another office" : "no such application");
        return console_page_send(c, mobid_http_status_of(err));
    }
    if (err)
        return err;
    console_set_zone(c, json_string_value(json_object_get(app, "office_id")));
    if (!strcmp(json_string_value(json_object_get(app, "state")) ?: "", "card_issued") &&
        (err = issuer_card_json(c->ctx, c->s, id, &card)) == MOBID_ERR_NOT_FOUND)
        err = MOBID_OK;
    if (!err) {
        console_page_open(c, "신청", "Application");
        console_put(&c->page, "<p class=\"id\">");
        console_esc(&c->page, id);
        console_put(&c->page, "</p>\n");
        redirect_notice(c);
        state_box(c, app, card);
        actions(c, id, app, card);
        const issuer_cardtype *ct = issuer_cardtype_find(c->ctx, json_string_value(json_object_get(app, "cardtype")));
        console_put(&c->page, "<section><h2>신청인 <small>Applicant</small></h2>\n");
        portraits(c, app, ct);
        console_put(&c->page, "<table class=\"details\">\n");
        details(c, app, ct);
        console_put(&c->page, "</table></section>\n");
        err = history(c, id);
    }
    json_decref(app);
    json_decref(card);
    return err ? err : console_page_send(c, 200);
}

static mobid_err on_detail(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    return console_run(req, resp, ctx, do_detail);
}

/* ---- the steps ---- */

static mobid_err back(console_req *c, const char *id, const char *step, mobid_err err)
{
    char loc[200];
    if (err)
        snprintf(loc, sizeof loc, "/console/applications/%s?refused=%s&step=%s", id,
                 mobid_svc_err_name(err), step);
    else
        snprintf(loc, sizeof loc, "/console/applications/%s?done=%s", id, step);
    return console_redirect(c, loc);
}

static mobid_err run_step(console_req *c, const char *id, const char *step)
{
    const char *reason = console_field(c, "reason");
    json_t *evidence = NULL;
    mobid_err err;

    if (!strcmp(step, "verify")) {
        const char *res = console_field(c, "residency");
        if (!console_field(c, "passport_seen") || !res || !*res)
            return MOBID_ERR_INVALID_ARG;
        evidence = json_pack("{s:s, s:s}", "passport", "seen", "residency", res);
        err = evidence ? issuer_app_verify(c->ctx, c->s, &c->who, id, evidence) : MOBID_ERR_NOMEM;
        json_decref(evidence);
        return err;
    }
    if (!strcmp(step, "approve"))
        return issuer_app_approve(c->ctx, c->s, &c->who, id);
    if (!strcmp(step, "renew")) {
        issuer_renewal r;
        char detail[MOBID_SVC_DETAIL_MAX];
        return issuer_card_renew(c->ctx, c->s, &c->who, id, console_field(c, "passport_number"),
                                 &r, detail, sizeof detail);
    }
    if (!reason || !*reason || strlen(reason) > 200)
        return MOBID_ERR_INVALID_ARG;
    if (!strcmp(step, "reject"))
        return issuer_app_reject(c->ctx, c->s, &c->who, id, reason);
    if (!strcmp(step, "cancel"))
        return issuer_app_cancel(c->ctx, c->s, &c->who, id, reason);
    return issuer_app_card_action(c->ctx, c->s, &c->who, id, step, reason);
}

static mobid_err do_step(console_req *c)
{
    const char *id = mobid_http_req_param(c->req, "id");
    const char *step = mobid_http_req_param(c->req, "step");
    const step_info *si = step_find(step);
    mobid_err err;

    if (!si || !strcmp(step, "offer") || !strcmp(step, "reoffer"))
        return console_not_found(c->req, c->resp, c->ctx);
    if (!strcmp(step, "revoke") && !console_field(c, "confirm")) {
        char loc[160];
        snprintf(loc, sizeof loc, "/console/applications/%s/revoke?unconfirmed=1", id);
        return console_redirect(c, loc);
    }
    err = run_step(c, id, step);
    if (err && !console_is_refusal(err))
        return err;
    return back(c, id, step, err);
}

static mobid_err on_step(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    return console_run(req, resp, ctx, do_step);
}

/* Revoke's confirmation: what it does, the reason and an explicit tick. */
static mobid_err revoke_confirm(console_req *c, const char *id)
{
    char action[96];
    console_page_open(c, "카드 폐기 확인", "Confirm revocation");
    if (mobid_http_req_query(c->req, "unconfirmed"))
        console_notice(c, "error", "폐기하려면 되돌릴 수 없음을 확인해 주세요.",
                       "Tick the confirmation to revoke.", NULL);
    console_put(&c->page, "<div class=\"notice error\" id=\"revoke-warning\"><p>폐기한 카드는 다시 쓸 수 "
                          "없습니다. 정지 해제로 되돌릴 수 없으며, 신청인은 새로 신청해야 합니다.</p><p "
                          "class=\"en\">A revoked card can never be used again: it cannot be resumed, and "
                          "the person must apply anew. To block it for now, suspend it instead.</p></div>\n");
    snprintf(action, sizeof action, "/console/applications/%s/revoke", id);
    console_form_open(c, action);
    console_put(&c->page, reason_field);
    console_put(&c->page, "<label class=\"inline\"><input type=\"checkbox\" name=\"confirm\" value=\"1\" "
                          "id=\"confirm\" required> 되돌릴 수 없음을 확인합니다 <span class=\"en\">I "
                          "understand this cannot be undone</span></label><button type=\"submit\" "
                          "class=\"danger\" id=\"confirm-revoke\">폐기 <span class=\"en\">Revoke the card"
                          "</span></button></form>\n<p><a href=\"/console/applications/");
    console_esc(&c->page, id);
    console_put(&c->page, "\" id=\"keep\">취소하고 돌아가기 <span class=\"en\">Keep the card and go back"
                          "</span></a></p>\n");
    return console_page_send(c, 200);
}

/* GET of a step's address (a bookmark, a reload after the redirect): revoke's
 * confirmation page, else the application. */
static mobid_err do_step_get(console_req *c)
{
    const char *id = mobid_http_req_param(c->req, "id");
    const char *step = mobid_http_req_param(c->req, "step");
    char loc[160];
    if (!step_find(step))
        return console_not_found(c->req, c->resp, c->ctx);
    if (!strcmp(step, "revoke"))
        return revoke_confirm(c, id);
    snprintf(loc, sizeof loc, "/console/applications/%s", id);
    return console_redirect(c, loc);
}

static mobid_err on_step_get(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    return console_run(req, resp, ctx, do_step_get);
}

/* ---- the one-time offer ---- */

/* The offer page: shown once, right after the offer is made; the QR for the wallet
 * and, apart from it, the transaction code the officer hands over (not in the QR). */
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
    console_when(c, o->expires_at);
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
    const char *path = mobid_http_req_path(c->req);
    size_t n = strlen(path);
    bool replace = n > 8 && !strcmp(path + n - 8, "/reoffer");
    char detail[MOBID_SVC_DETAIL_MAX];
    issuer_offer o;
    memset(&o, 0, sizeof o);
    mobid_err err = replace ? issuer_app_offer_replace(c->ctx, c->s, &c->who, id, &o,
                                                       detail, sizeof detail)
                            : issuer_app_offer(c->ctx, c->s, &c->who, id, &o,
                                               detail, sizeof detail);
    if (err == MOBID_OK)
        err = console_offer_stash(c, id, &o);
    else if (console_is_refusal(err))
        err = back(c, id, replace ? "reoffer" : "offer", err);
    issuer_offer_clear(&o);
    return err;
}

static mobid_err on_offer(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    return console_run(req, resp, ctx, do_offer);
}

/* GET of the offer page the POST redirected to: shown once. */
static mobid_err do_offer_show(console_req *c)
{
    const char *id = mobid_http_req_param(c->req, "id");
    issuer_offer o;
    char loc[160];
    mobid_err err;

    memset(&o, 0, sizeof o);
    err = console_offer_take(c, id, mobid_http_req_param(c->req, "once"), &o);
    if (err == MOBID_OK)
        err = offer_page(c, id, &o);
    else if (err == MOBID_ERR_NOT_FOUND) {
        /* shown already: the code cannot be shown again, only replaced */
        snprintf(loc, sizeof loc, "/console/applications/%s?refused=NOT_FOUND&step=offer", id);
        err = console_redirect(c, loc);
    }
    issuer_offer_clear(&o);
    return err;
}

static mobid_err on_offer_show(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    return console_run(req, resp, ctx, do_offer_show);
}

mobid_err console_detail_routes(mobid_http_server *srv, issuer_ctx *ctx)
{
    mobid_err err;
    if ((err = mobid_http_route(srv, "GET", "/console/applications/{id}", on_detail, ctx)) ||
        (err = mobid_http_route(srv, "POST", "/console/applications/{id}/offer", on_offer, ctx)) ||
        (err = mobid_http_route(srv, "POST", "/console/applications/{id}/reoffer", on_offer, ctx)) ||
        (err = mobid_http_route(srv, "GET", "/console/applications/{id}/offer/{once}", on_offer_show, ctx)) ||
        (err = mobid_http_route(srv, "POST", "/console/applications/{id}/{step}", on_step, ctx)) ||
        (err = mobid_http_route(srv, "GET", "/console/applications/{id}/{step}", on_step_get, ctx)))
        return err;
    return MOBID_OK;
}
