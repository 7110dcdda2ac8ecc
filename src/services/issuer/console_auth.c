/*
 * Console sign-in and the per-request session check.
 *
 * Sign-in form: a pre-session CSRF token lives in a short cookie and in the form, so
 * another site cannot sign a browser in under its own account (login CSRF).
 * Failed sign-ins go through the same guard as the admin API (signin.c): locked per
 * account and source and per source, slowed per account, answered 429 with
 * Retry-After rather than held open. The console_signin table of the first
 * migration is no longer used.
 * Idle timeout: each request of a session records its time; a session unused for
 * idle_timeout_s is ended.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "services/issuer/console.h"

static const mobid_store_migration console_migrations[] = {
    { 1,
      "CREATE TABLE console_activity (session_hash TEXT PRIMARY KEY, last_seen BIGINT NOT NULL);"
      "CREATE TABLE console_signin (username TEXT PRIMARY KEY, failures BIGINT NOT NULL,"
      " locked_until BIGINT NOT NULL);",
      NULL },
    /* the offer page after post/redirect/get, the blind search index, and the
     * application history's lookup of audit entries by subject */
    { 2,
      "CREATE TABLE console_once (k TEXT PRIMARY KEY, session_hash TEXT NOT NULL,"
      " app_id TEXT NOT NULL, sealed TEXT NOT NULL, expires_at BIGINT NOT NULL);"
      "CREATE TABLE console_search (app_id TEXT NOT NULL, token TEXT NOT NULL,"
      " PRIMARY KEY (app_id, token));"
      "CREATE INDEX console_search_token ON console_search (token);"
      "CREATE INDEX console_audit_subject ON issuer_audit (subject);",
      NULL },
};

/* ---- the sign-in page ---- */

static mobid_err signin_page(mobid_http_req *req, mobid_http_resp *resp, unsigned status,
                             const char *ko, const char *en)
{
    uint8_t raw[32];
    mobid_buf tok = { 0 }, b = { 0 };
    mobid_err err;

    mobid_buf_init(&tok, 64);
    mobid_buf_init(&b, 0);
    if ((err = mobid_random(raw, sizeof raw)) ||
        (err = mobid_b64url_encode(mobid_view_make(raw, 32), &tok)) || (err = mobid_buf_terminate(&tok)))
        goto done;
    console_security_headers(resp);
    console_head(&b, "로그인", "Sign in");
    console_put(&b, "<header class=\"bar\"><strong>영사 콘솔</strong> <span class=\"en\">Office "
                    "console</span></header>\n<main class=\"narrow\">\n<h1>로그인 <small>Sign in"
                    "</small></h1>\n");
    if (ko) {
        console_put(&b, "<div class=\"notice error\" role=\"alert\" id=\"signin-error\"><p>");
        console_esc(&b, ko);
        console_put(&b, "</p><p class=\"en\">");
        console_esc(&b, en);
        console_put(&b, "</p></div>\n");
    }
    console_put(&b, "<form method=\"post\" action=\"/console/signin\" id=\"signin-form\">"
                    "<input type=\"hidden\" name=\"csrf\" value=\"");
    console_esc(&b, (const char *)tok.ptr);
    console_put(&b, "\"><label>사용자 이름 <span class=\"en\">User name</span>"
                    "<input name=\"username\" id=\"username\" autocomplete=\"username\" required>"
                    "</label><label>비밀번호 <span class=\"en\">Password</span><input "
                    "type=\"password\" name=\"password\" id=\"password\" "
                    "autocomplete=\"current-password\" required></label>"
                    "<label>인증 코드 <span class=\"en\">Authenticator code (if set up)</span>"
                    "<input name=\"code\" id=\"code\" inputmode=\"numeric\" "
                    "autocomplete=\"one-time-code\" maxlength=\"6\"></label>"
                    "<button type=\"submit\" id=\"signin\">로그인 Sign in</button></form>\n"
                    "</main></body></html>\n");
    if ((err = b.err) ||
        (err = mobid_http_resp_cookie(resp, CONSOLE_SIGNIN_COOKIE, (const char *)tok.ptr,
                                      "/console/signin", 600, console_cookie_flags(req))))
        goto done;
    err = mobid_http_resp_body(resp, status, "text/html; charset=utf-8", mobid_buf_view(&b));
done:
    mobid_wipe(raw, sizeof raw);
    mobid_buf_free(&tok);
    mobid_buf_free(&b);
    return err;
}

static mobid_err on_signin_get(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    const char *why = mobid_http_req_query(req, "why");
    if (why && !strcmp(why, "idle"))
        return signin_page(req, resp, 200, "오래 사용하지 않아 로그아웃되었습니다.",
                           "You were signed out after a period of inactivity.");
    if (why && !strcmp(why, "code"))
        return signin_page(req, resp, 200, "인증 앱의 6자리 코드를 입력하세요.",
                           "Enter the 6-digit code of your authenticator app (an office that "
                           "requires one: ask the ministry administrator to set it up).");
    if (why && !strcmp(why, "changed"))
        return signin_page(req, resp, 200, "비밀번호를 바꾸었습니다. 새 비밀번호로 로그인하세요.",
                           "Your password was changed. Sign in with the new one.");
    if (why && !strcmp(why, "out"))
        return signin_page(req, resp, 200, "로그아웃했습니다.", "You are signed out.");
    return signin_page(req, resp, 200, NULL, NULL);
}

static mobid_err signed_in(issuer_ctx *ctx, mobid_store *s, mobid_http_req *req,
                           mobid_http_resp *resp, const char *username, const char *session,
                           const char *csrf)
{
    char key[65];
    unsigned f = console_cookie_flags(req);
    long life = (long)console_setting(ctx, "session_lifetime_s", 8 * 3600);
    mobid_err err;

    (void)username;
    if ((err = console_secret_key(session, key)) ||
        (err = console_exec(s, "INSERT INTO console_activity (session_hash, last_seen)"
                               " VALUES ($1, $2)", key, mobid_now(), 0)) ||
        (err = mobid_http_resp_cookie(resp, CONSOLE_SESSION_COOKIE, session, "/", life, f)) ||
        (err = mobid_http_resp_cookie(resp, CONSOLE_CSRF_COOKIE, csrf, "/console", life, f)) ||
        (err = mobid_http_resp_cookie(resp, CONSOLE_SIGNIN_COOKIE, "", "/console/signin", 0, f)))
        return err;
    return mobid_http_resp_redirect(resp, 303, "/console/applications");
}

static mobid_err on_signin_post(mobid_http_req *req, mobid_http_resp *resp, void *vctx)
{
    issuer_ctx *ctx = vctx;
    const mobid_http_form *form = NULL;
    const char *user = NULL, *pw = NULL, *csrf = NULL, *want = mobid_http_req_cookie(req, CONSOLE_SIGNIN_COOKIE);
    char session[ISSUER_TOKEN_LEN + 1], token[ISSUER_TOKEN_LEN + 1], source[64], retry[24];
    issuer_signin in = { NULL, NULL, source, "console", 0, NULL, NULL, "" };
    issuer_officer who;
    mobid_store *s = NULL;
    mobid_err err;

    console_security_headers(resp);
    if (mobid_http_req_form(req, &form) || mobid_http_form_get(form, "username", &user) ||
        mobid_http_form_get(form, "password", &pw) || mobid_http_form_get(form, "csrf", &csrf))
        return signin_page(req, resp, 400, "입력이 올바르지 않습니다.", "The form is incomplete.");
    if (!want || !mobid_ct_eq(mobid_view_str(want), mobid_view_str(csrf)))
        return signin_page(req, resp, 403, "보안 토큰이 맞지 않습니다. 다시 시도하세요.",
                           "The form's security token does not match. Please try again.");
    in.username = user;
    in.password = pw;
    if (mobid_http_form_get(form, "code", &in.totp) != MOBID_OK)
        in.totp = NULL;
    issuer_request_source(ctx, req, source);
    if ((err = issuer_db(ctx, &s)))
        goto done;
    err = issuer_session_create(ctx, s, &in, console_setting(ctx, "session_lifetime_s", 8 * 3600),
                                session, token, &who);
    if (err == MOBID_SVC_ERR_SIGNIN_THROTTLED || err == MOBID_SVC_ERR_BUSY) {
        snprintf(retry, sizeof retry, "%lld", (long long)in.retry_after);
        (void)mobid_http_resp_header(resp, "Retry-After", retry);
        err = err == MOBID_SVC_ERR_BUSY
                  ? signin_page(req, resp, 503, "잠시 후 다시 시도하세요.",
                                "The server is busy. Please try again in a moment.")
                  : signin_page(req, resp, 429, "로그인 실패가 반복되어 잠시 로그인할 수 없습니다.",
                                "Too many failed sign-ins: this account is locked for a while "
                                "from here.");
    } else if (err == MOBID_ERR_UNAUTHENTICATED) {
        err = signin_page(req, resp, 401, "사용자 이름 또는 비밀번호가 틀렸습니다.",
                          "Wrong user name or password.");
    } else if (err == MOBID_SVC_ERR_PASSWORD_CHANGE_REQUIRED || err == MOBID_SVC_ERR_SECOND_FACTOR_REQUIRED) {
        err = console_signin_second(req, resp, err, in.detail); /* console_officers.c */
    } else if (!err) {
        err = signed_in(ctx, s, req, resp, user, session, token);
    }
done:
    mobid_wipe(session, sizeof session);
    mobid_wipe(token, sizeof token);
    if (s)
        issuer_db_release(ctx, s);
    return err;
}

/* ---- the session of a request ---- */

/* MOBID_OK and the officer, or UNAUTHENTICATED (also when idle too long). */
static mobid_err check_session(console_req *c, const char *csrf)
{
    const char *session = mobid_http_req_cookie(c->req, CONSOLE_SESSION_COOKIE);
    char key[65];
    int64_t last = 0, unused = 0, now = mobid_now();
    bool found;
    mobid_err err;

    if (!session)
        return MOBID_ERR_UNAUTHENTICATED;
    if ((err = issuer_session_check(c->s, session, csrf, &c->who)) || (err = console_secret_key(session, key)) ||
        (err = console_query2(c->s, "SELECT last_seen, 0 FROM console_activity WHERE session_hash = $1",
                              key, &last, &unused, &found)))
        return err;
    if (!found || now - last > console_setting(c->ctx, "idle_timeout_s", 900)) {
        if (issuer_session_end(c->ctx, c->s, session) == MOBID_OK)
            (void)console_exec(c->s, "DELETE FROM console_activity WHERE session_hash = $1", key, 0, 0);
        return MOBID_SVC_ERR_SESSION_EXPIRED;
    }
    return console_exec(c->s, "UPDATE console_activity SET last_seen = $2 WHERE session_hash = $1",
                        key, now, 0);
}

static mobid_err refuse_post(console_req *c)
{
    return console_message_page(c->resp, 403, "csrf-refused", "요청이 거부되었습니다",
                                "Request refused",
                                "보안 토큰이 없거나 맞지 않습니다. 페이지를 새로 열고 다시 시도하세요.",
                                "The request's security token is missing or wrong. Open the "
                                "page again and retry.");
}

mobid_err console_run(mobid_http_req *req, mobid_http_resp *resp, void *ctx, console_fn fn)
{
    console_req c;
    bool post = !strcmp(mobid_http_req_method(req), "POST");
    mobid_err err;

    memset(&c, 0, sizeof c);
    c.ctx = ctx;
    c.req = req;
    c.resp = resp;
    c.csrf = mobid_http_req_cookie(req, CONSOLE_CSRF_COOKIE);
    mobid_buf_init(&c.page, 4 * 1024 * 1024);
    console_security_headers(resp);
    if (post && mobid_http_req_form(req, &c.form))
        return refuse_post(&c);
    if ((err = issuer_db(c.ctx, &c.s)))
        goto done;
    err = check_session(&c, post ? (console_field(&c, "csrf") ? console_field(&c, "csrf") : "") : NULL);
    if (err == MOBID_ERR_UNAUTHENTICATED && post) {
        err = refuse_post(&c);
    } else if (err == MOBID_ERR_UNAUTHENTICATED || err == MOBID_SVC_ERR_SESSION_EXPIRED) {
        console_clear_cookies(req, resp);
        err = mobid_http_resp_redirect(resp, 303, err == MOBID_SVC_ERR_SESSION_EXPIRED
                                                      ? "/console/signin?why=idle" : "/console/signin");
    } else if (!err) {
        console_set_zone(&c, c.who.office_id);
        err = fn(&c);
    }
done:
    if (c.s)
        issuer_db_release(c.ctx, c.s);
    console_zone_free(c.zone);
    mobid_buf_free(&c.page);
    /* a fault is still a page for the browser, not the server's JSON */
    return err ? console_error_page(req, resp, err) : MOBID_OK;
}

static mobid_err do_signout(console_req *c)
{
    const char *session = mobid_http_req_cookie(c->req, CONSOLE_SESSION_COOKIE);
    char key[65];
    mobid_err err;
    if ((err = issuer_session_end(c->ctx, c->s, session)) || (err = console_secret_key(session, key)) ||
        (err = console_exec(c->s, "DELETE FROM console_activity WHERE session_hash = $1", key, 0, 0)))
        return err;
    console_clear_cookies(c->req, c->resp);
    return console_redirect(c, "/console/signin?why=out");
}

static mobid_err on_signout(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    return console_run(req, resp, ctx, do_signout);
}

static mobid_err on_root(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    (void)ctx;
    (void)req;
    console_security_headers(resp);
    return mobid_http_resp_redirect(resp, 303, "/console/applications");
}

mobid_err console_auth_routes(mobid_http_server *srv, issuer_ctx *ctx)
{
    mobid_store *s = NULL;
    mobid_err err;
    if ((err = issuer_db(ctx, &s)))
        return err;
    err = mobid_store_migrate(s, "issuer_console", console_migrations,
                              sizeof console_migrations / sizeof console_migrations[0], NULL);
    issuer_db_release(ctx, s);
    if (err || (err = mobid_http_route(srv, "GET", "/console", on_root, ctx)) ||
        (err = mobid_http_route(srv, "GET", "/console/signin", on_signin_get, ctx)) ||
        (err = mobid_http_route(srv, "POST", "/console/signin", on_signin_post, ctx)) ||
        (err = mobid_http_route(srv, "POST", "/console/signout", on_signout, ctx)))
        return err;
    return MOBID_OK;
}
