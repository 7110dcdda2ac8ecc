/*
 * Console pages for officer management (ministry administrator): the officers with
 * their state, Disable / Enable, Reset password, Set up / Remove authenticator, and
 * per office "require an authenticator"; plus the password change page every officer
 * reaches after a reset (no session: it asks for the current password, and the code
 * when one is set up). One-time secrets (a temporary password, a TOTP secret) are
 * shown on the answer to the POST that made them and never again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "services/issuer/console.h"
#include "services/issuer/officer_admin.h"

static void officer_action(console_req *c, const char *id, const char *op, const char *label)
{
    char action[160];
    snprintf(action, sizeof action, "/console/officers/%s/%s", id, op);
    console_form_open(c, action);
    console_put(&c->page, "<button type=\"submit\" class=\"");
    console_esc(&c->page, op);
    console_put(&c->page, "\">");
    console_esc(&c->page, label);
    console_put(&c->page, "</button></form>");
}

static void officer_row(console_req *c, const json_t *o)
{
    const char *id = json_string_value(json_object_get(o, "id"));
    bool off = json_is_true(json_object_get(o, "disabled"));
    bool totp = json_is_true(json_object_get(o, "totp"));
    mobid_buf *b = &c->page;

    console_put(b, "<tr data-username=\"");
    console_esc(b, json_string_value(json_object_get(o, "username")));
    console_put(b, "\"><td>");
    console_esc(b, json_string_value(json_object_get(o, "display_name")));
    console_put(b, " <span class=\"en\">");
    console_esc(b, json_string_value(json_object_get(o, "username")));
    console_put(b, "</span></td><td>");
    console_esc(b, json_string_value(json_object_get(o, "office_id")));
    console_put(b, "</td><td>");
    console_esc(b, json_string_value(json_object_get(o, "role")));
    console_put(b, off ? "</td><td class=\"state disabled\">사용 중지 disabled"
                       : "</td><td class=\"state active\">사용 active");
    if (json_is_true(json_object_get(o, "must_change_password")))
        console_put(b, " · 비밀번호 변경 대기 password change pending");
    console_put(b, totp ? "</td><td>인증 앱 authenticator</td><td class=\"actions\">"
                        : "</td><td>—</td><td class=\"actions\">");
    if (id && strcmp(id, c->who.id)) {
        officer_action(c, id, off ? "enable" : "disable", off ? "다시 사용 Enable" : "사용 중지 Disable");
        officer_action(c, id, "password-reset", "비밀번호 초기화 Reset password");
        officer_action(c, id, "totp", totp ? "인증 앱 다시 설정 New authenticator"
                                           : "인증 앱 설정 Set up authenticator");
        if (totp)
            officer_action(c, id, "totp-remove", "인증 앱 해제 Remove authenticator");
    }
    console_put(b, "</td></tr>\n");
}

static void offices_totp(console_req *c)
{
    json_t *list = NULL;
    if (issuer_offices_json(c->s, NULL, &list) != MOBID_OK)
        return;
    console_put(&c->page, "<h2>공관별 2단계 인증 <small>Second factor by office</small></h2>\n"
                          "<table id=\"office-totp\"><tbody>\n");
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *o = json_array_get(list, i);
        const char *id = json_string_value(json_object_get(o, "id"));
        bool on = json_is_true(json_object_get(o, "require_totp"));
        char action[160];
        console_put(&c->page, "<tr><td>");
        console_esc(&c->page, id);
        console_put(&c->page, on ? "</td><td>필수 required</td><td>" : "</td><td>선택 optional</td><td>");
        snprintf(action, sizeof action, "/console/offices/%s/totp", id ? id : "");
        console_form_open(c, action);
        console_put(&c->page, on ? "<input type=\"hidden\" name=\"required\" value=\"0\">"
                                   "<button type=\"submit\">선택으로 Make optional</button></form>"
                                 : "<input type=\"hidden\" name=\"required\" value=\"1\">"
                                   "<button type=\"submit\">필수로 Require authenticator</button></form>");
        console_put(&c->page, "</td></tr>\n");
    }
    console_put(&c->page, "</tbody></table>\n");
    json_decref(list);
}

static mobid_err do_officers(console_req *c)
{
    json_t *list = NULL;
    mobid_err err;

    if (c->who.role != ISSUER_ROLE_ADMIN) {
        console_page_open(c, "직원 관리", "Officers");
        console_refusal(c, MOBID_SVC_ERR_ACCESS_DENIED, "only the ministry administrator manages officers");
        return console_page_send(c, 403);
    }
    if ((err = issuer_officers_json(c->s, &c->who, &list)))
        return err;
    console_page_open(c, "직원 관리", "Officers");
    console_put(&c->page, "<table id=\"officers\"><thead><tr><th>이름 Name</th><th>공관 Office</th>"
                          "<th>역할 Role</th><th>상태 State</th><th>2단계 Second factor</th>"
                          "<th>작업 Actions</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < json_array_size(list); i++)
        officer_row(c, json_array_get(list, i));
    console_put(&c->page, "</tbody></table>\n");
    offices_totp(c);
    json_decref(list);
    return console_page_send(c, 200);
}

static mobid_err on_officers(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    return console_run(req, resp, ctx, do_officers);
}

/* The answer page of an action: what was done, and a one-time secret if any. */
static void secret_box(console_req *c, const char *id_attr, const char *ko, const char *en,
                       const char *secret, const char *uri)
{
    console_notice(c, "ok", ko, en, NULL);
    console_put(&c->page, "<p class=\"secret\">한 번만 표시됩니다 <span class=\"en\">Shown once"
                          "</span>: <code id=\"");
    console_esc(&c->page, id_attr);
    console_put(&c->page, "\">");
    console_esc(&c->page, secret);
    console_put(&c->page, "</code></p>\n");
    if (uri) {
        console_put(&c->page, "<p><code id=\"otpauth-uri\">");
        console_esc(&c->page, uri);
        console_put(&c->page, "</code></p>\n");
    }
}

static mobid_err do_officer_op(console_req *c)
{
    const char *id = mobid_http_req_param(c->req, "id"), *op = mobid_http_req_param(c->req, "op");
    char detail[MOBID_SVC_DETAIL_MAX] = "";
    char temp[ISSUER_TEMP_PASSWORD_LEN + 1] = "", secret[ISSUER_TOTP_SECRET_B32] = "";
    char *uri = NULL;
    mobid_err err = MOBID_ERR_NOT_FOUND;

    if (!strcmp(op, "disable") || !strcmp(op, "enable"))
        err = issuer_officer_set_disabled(c->ctx, c->s, &c->who, id, !strcmp(op, "disable"),
                                          detail, sizeof detail);
    else if (!strcmp(op, "password-reset"))
        err = issuer_officer_reset_password(c->ctx, c->s, &c->who, id, temp, detail, sizeof detail);
    else if (!strcmp(op, "totp"))
        err = issuer_officer_totp_set(c->ctx, c->s, &c->who, id, secret, &uri,
                                      detail, sizeof detail);
    else if (!strcmp(op, "totp-remove"))
        err = issuer_officer_totp_clear(c->ctx, c->s, &c->who, id, detail, sizeof detail);
    if (err == MOBID_OK && !*temp && !*secret) {
        free(uri);
        return console_redirect(c, "/console/officers"); /* nothing to show once */
    }
    console_page_open(c, "직원 관리", "Officers");
    if (err != MOBID_OK && console_is_refusal(err))
        console_refusal(c, err, detail[0] ? detail : NULL);
    else if (*temp)
        secret_box(c, "temporary-password", "임시 비밀번호를 직원에게 직접 전달하세요.",
                   "Hand the temporary password to the officer in person; it only lets them "
                   "choose a new one.", temp, NULL);
    else if (*secret)
        secret_box(c, "totp-secret", "직원의 인증 앱에 이 키를 등록하세요.",
                   "Add this key to the officer's authenticator app.", secret, uri);
    console_put(&c->page, "<p><a href=\"/console/officers\">직원 목록 Officers</a></p>\n");
    mobid_wipe(temp, sizeof temp);
    mobid_wipe(secret, sizeof secret);
    free(uri);
    if (err != MOBID_OK && !console_is_refusal(err))
        return err;
    return console_page_send(c, err == MOBID_OK ? 200 : mobid_http_status_of(err));
}

static mobid_err on_officer_op(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    return console_run(req, resp, ctx, do_officer_op);
}

static mobid_err do_office_totp(console_req *c)
{
    const char *req_s = console_field(c, "required");
    mobid_err err = issuer_office_require_totp(c->ctx, c->s, &c->who, mobid_http_req_param(c->req, "id"),
                                               req_s && !strcmp(req_s, "1"));
    if (err == MOBID_OK)
        return console_redirect(c, "/console/officers");
    if (!console_is_refusal(err))
        return err;
    console_page_open(c, "직원 관리", "Officers");
    console_refusal(c, err, NULL);
    return console_page_send(c, mobid_http_status_of(err));
}

static mobid_err on_office_totp(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    return console_run(req, resp, ctx, do_office_totp);
}

/* ---- changing one's password (after a reset, or by choice) ---- */

static mobid_err password_page(mobid_http_resp *resp, unsigned status, const char *ko,
                               const char *en, const char *detail)
{
    mobid_buf b = { 0 };
    mobid_err err;

    mobid_buf_init(&b, 0);
    console_security_headers(resp);
    console_head(&b, "비밀번호 변경", "Change password");
    console_put(&b, "<header class=\"bar\"><strong>영사 콘솔</strong> <span class=\"en\">Office "
                    "console</span></header>\n<main class=\"narrow\">\n<h1>비밀번호 변경 <small>"
                    "Change password</small></h1>\n");
    if (ko) {
        console_put(&b, "<div class=\"notice error\" role=\"alert\" id=\"password-error\"><p>");
        console_esc(&b, ko);
        console_put(&b, "</p><p class=\"en\">");
        console_esc(&b, en);
        if (detail && *detail) {
            console_put(&b, ": ");
            console_esc(&b, detail);
        }
        console_put(&b, "</p></div>\n");
    }
    console_put(&b, "<form method=\"post\" action=\"/console/password\" id=\"password-form\">"
                    "<label>사용자 이름 <span class=\"en\">User name</span><input name=\"username\" "
                    "autocomplete=\"username\" required></label>"
                    "<label>현재(임시) 비밀번호 <span class=\"en\">Current (temporary) password</span>"
                    "<input type=\"password\" name=\"password\" autocomplete=\"current-password\" "
                    "required></label><label>새 비밀번호 <span class=\"en\">New password</span>"
                    "<input type=\"password\" name=\"new_password\" autocomplete=\"new-password\" "
                    "required></label><label>새 비밀번호 확인 <span class=\"en\">New password again"
                    "</span><input type=\"password\" name=\"new_password2\" "
                    "autocomplete=\"new-password\" required></label>"
                    "<label>인증 코드 <span class=\"en\">Authenticator code (if set up)</span>"
                    "<input name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" "
                    "maxlength=\"6\"></label>"
                    "<button type=\"submit\" id=\"change\">변경 Change</button></form>\n"
                    "</main></body></html>\n");
    err = b.err ? b.err : mobid_http_resp_body(resp, status, "text/html; charset=utf-8",
                                               mobid_buf_view(&b));
    mobid_buf_free(&b);
    return err;
}

static mobid_err on_password_get(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    const char *why = mobid_http_req_query(req, "why");
    (void)ctx;
    if (why && !strcmp(why, "reset"))
        return password_page(resp, 200, "비밀번호가 초기화되었습니다. 새 비밀번호를 정하세요.",
                             "Your password was reset: choose a new one", NULL);
    return password_page(resp, 200, NULL, NULL, NULL);
}

static const char *form_get(const mobid_http_form *f, const char *name)
{
    const char *v = NULL;
    return mobid_http_form_get(f, name, &v) == MOBID_OK ? v : NULL;
}

/* The sign-in guard checks the current password (and code) and sets the new one. */
static mobid_err on_password_post(mobid_http_req *req, mobid_http_resp *resp, void *vctx)
{
    issuer_ctx *ctx = vctx;
    const mobid_http_form *form = NULL;
    char source[64];
    issuer_signin in = { NULL, NULL, source, "console", 0, NULL, NULL, "" };
    issuer_officer who;
    mobid_store *s = NULL;
    const char *again;
    mobid_err err;

    if (mobid_http_req_form(req, &form) || !(in.username = form_get(form, "username")) ||
        !(in.password = form_get(form, "password")) ||
        !(in.new_password = form_get(form, "new_password")) || !(again = form_get(form, "new_password2")))
        return password_page(resp, 400, "입력이 올바르지 않습니다.", "The form is incomplete", NULL);
    if (strcmp(in.new_password, again))
        return password_page(resp, 400, "새 비밀번호가 서로 다릅니다.",
                             "The two new passwords differ", NULL);
    in.totp = form_get(form, "code");
    issuer_request_source(ctx, req, source);
    if ((err = issuer_db(ctx, &s)))
        return err;
    err = issuer_signin_check(ctx, s, &in, &who);
    issuer_db_release(ctx, s);
    if (err == MOBID_OK) {
        console_security_headers(resp);
        return mobid_http_resp_redirect(resp, 303, "/console/signin?why=changed");
    }
    if (err == MOBID_ERR_INVALID_ARG)
        return password_page(resp, 400, "새 비밀번호를 쓸 수 없습니다.",
                             "The new password cannot be used", in.detail);
    if (err == MOBID_SVC_ERR_SECOND_FACTOR_REQUIRED)
        return password_page(resp, 401, "인증 코드가 필요합니다.", "An authenticator code is needed",
                             in.detail);
    if (err == MOBID_ERR_UNAUTHENTICATED || err == MOBID_SVC_ERR_SIGNIN_THROTTLED || err == MOBID_SVC_ERR_BUSY)
        return password_page(resp, mobid_http_status_of(err), "사용자 이름 또는 비밀번호가 틀렸거나 잠시 잠겼습니다.",
                             "Wrong user name or password, or locked for a while", NULL);
    return err;
}

mobid_err console_signin_second(mobid_http_req *req, mobid_http_resp *resp, mobid_err why,
                                const char *detail)
{
    (void)req;
    (void)detail;
    console_security_headers(resp);
    return mobid_http_resp_redirect(resp, 303, why == MOBID_SVC_ERR_PASSWORD_CHANGE_REQUIRED
                                                   ? "/console/password?why=reset"
                                                   : "/console/signin?why=code");
}

mobid_err console_officers_routes(mobid_http_server *srv, issuer_ctx *ctx)
{
    mobid_err err;
    if ((err = mobid_http_route(srv, "GET", "/console/officers", on_officers, ctx)) ||
        (err = mobid_http_route(srv, "POST", "/console/officers/{id}/{op}", on_officer_op, ctx)) ||
        (err = mobid_http_route(srv, "POST", "/console/offices/{id}/totp", on_office_totp, ctx)) ||
        (err = mobid_http_route(srv, "GET", "/console/password", on_password_get, ctx)) ||
        (err = mobid_http_route(srv, "POST", "/console/password", on_password_post, ctx)))
        return err;
    return MOBID_OK;
}
