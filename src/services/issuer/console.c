/*
 * The office console's frame: sign-in and sign-out, the session check with its idle
 * timeout, slowed and locked sign-ins, the page frame, escaping, static files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "assets/assets.h"
#include "services/issuer/console.h"

/* A setting of the configuration's "console" object, or def. */
int64_t console_setting(const issuer_ctx *ctx, const char *key, int64_t def)
{
    const json_t *v = json_object_get(json_object_get(ctx->cfg.raw, "console"), key);
    return json_is_integer(v) && json_integer_value(v) >= 0 ? (int64_t)json_integer_value(v) : def;
}

/* ---- output helpers ---- */

void console_put(mobid_buf *b, const char *s)
{
    mobid_buf_append_str(b, s ? s : "");
}

void console_esc(mobid_buf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': mobid_buf_append_str(b, "&amp;"); break;
        case '<': mobid_buf_append_str(b, "&lt;"); break;
        case '>': mobid_buf_append_str(b, "&gt;"); break;
        case '"': mobid_buf_append_str(b, "&quot;"); break;
        case '\'': mobid_buf_append_str(b, "&#39;"); break;
        default: mobid_buf_append_byte(b, (uint8_t)*s);
        }
    }
}

void console_int(mobid_buf *b, long long v)
{
    char n[32];
    snprintf(n, sizeof n, "%lld", v);
    mobid_buf_append_str(b, n);
}

void console_time(mobid_buf *b, int64_t t)
{
    char s[32];
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(s, sizeof s, "%Y-%m-%d %H:%M UTC", &tm);
    mobid_buf_append_str(b, s);
}

void console_security_headers(mobid_http_resp *resp)
{
    static const mobid_http_page_policy console = { .blob_images = true, .no_store = true };
    mobid_http_page_headers(resp, &console);
}

void console_head(mobid_buf *b, const char *title_ko, const char *title_en)
{
    console_put(b, "<!DOCTYPE html>\n<html lang=\"ko\"><head><meta charset=\"utf-8\">"
                   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                   "<title>");
    console_esc(b, title_ko);
    console_put(b, " / ");
    console_esc(b, title_en);
    console_put(b, " — mobid</title><link rel=\"icon\" href=\"/console/static/favicon.svg\" "
                   "type=\"image/svg+xml\"><link rel=\"stylesheet\" href=\"/console/static/console.css\">"
                   "<script src=\"/console/static/console.js\" defer></script></head>\n<body>\n");
}

void console_form_open(console_req *c, const char *action)
{
    console_put(&c->page, "<form method=\"post\" action=\"");
    console_esc(&c->page, action);
    console_put(&c->page, "\"><input type=\"hidden\" name=\"csrf\" value=\"");
    console_esc(&c->page, c->csrf);
    console_put(&c->page, "\">");
}

void console_page_open(console_req *c, const char *title_ko, const char *title_en)
{
    mobid_buf *b = &c->page;
    console_head(b, title_ko, title_en);
    console_put(b, "<header class=\"bar\"><strong>영사 콘솔</strong> <span class=\"en\">Office "
                   "console</span><span class=\"who\" id=\"who\">");
    console_esc(b, c->who.username);
    console_put(b, " · ");
    console_esc(b, issuer_role_name(c->who.role));
    if (c->who.office_id[0]) {
        console_put(b, " · ");
        console_office(c, c->who.office_id);
    }
    console_put(b, " · <span id=\"zone\">");
    console_esc(b, c->tz[0] ? c->tz : "UTC");
    console_put(b, "</span>");
    console_put(b, "</span>");
    console_form_open(c, "/console/signout");
    console_put(b, "<button type=\"submit\" id=\"signout\">로그아웃 Sign out</button></form>"
                   "</header>\n<nav><a href=\"/console/applications\">신청 목록 Applications</a>"
                   "<a href=\"/console/applications/new\">새 신청 New application</a>"
                   "<a href=\"/console/expiring\">만료 예정 Expiring</a>"
                   "<a href=\"/console/audit\">감사 기록 Audit trail</a>"
                   "<a href=\"/console/offices\">공관 Offices</a>"
                   "<a href=\"/console/officers\">직원 Officers</a></nav>\n<main>\n<h1>");
    console_esc(b, title_ko);
    console_put(b, " <small>");
    console_esc(b, title_en);
    console_put(b, "</small></h1>\n");
}

mobid_err console_page_send(console_req *c, unsigned status)
{
    console_put(&c->page, "</main>\n</body></html>\n");
    if (c->page.err)
        return c->page.err;
    return mobid_http_resp_body(c->resp, status, "text/html; charset=utf-8",
                                mobid_buf_view(&c->page));
}

void console_notice(console_req *c, const char *cls, const char *ko, const char *en,
                    const char *detail)
{
    console_put(&c->page, "<div class=\"notice ");
    console_put(&c->page, cls);
    console_put(&c->page, "\" role=\"alert\"><p>");
    console_esc(&c->page, ko);
    console_put(&c->page, "</p><p class=\"en\">");
    console_esc(&c->page, en);
    if (detail) {
        console_put(&c->page, " — ");
        console_esc(&c->page, detail);
    }
    console_put(&c->page, "</p></div>\n");
}

const char *console_field(const console_req *c, const char *name)
{
    const char *v = NULL;
    if (!c->form || mobid_http_form_get(c->form, name, &v))
        return NULL;
    return v;
}

mobid_err console_redirect(console_req *c, const char *location)
{
    return mobid_http_resp_redirect(c->resp, 303, location);
}

/* ---- cookies ---- */

unsigned console_cookie_flags(mobid_http_req *req)
{
    const char *proto = mobid_http_req_header(req, "X-Forwarded-Proto");
    unsigned f = MOBID_COOKIE_HTTPONLY | MOBID_COOKIE_SAMESITE_STRICT;
    return proto && !strcmp(proto, "https") ? f | MOBID_COOKIE_SECURE : f;
}

void console_clear_cookies(mobid_http_req *req, mobid_http_resp *resp)
{
    mobid_http_resp_cookie(resp, CONSOLE_SESSION_COOKIE, "", "/", 0, console_cookie_flags(req));
    mobid_http_resp_cookie(resp, CONSOLE_CSRF_COOKIE, "", "/console", 0, console_cookie_flags(req));
}

/* SHA-256 of a secret as hex: the key of its rows in the console's tables. */
mobid_err console_secret_key(const char *secret, char out[65])
{
    uint8_t md[MOBID_HASH_MAX];
    mobid_err err = mobid_hash(MOBID_HASH_SHA256, mobid_view_str(secret ? secret : ""), md);
    if (!err)
        mobid_hex_str(md, 32, out);
    return err;
}

mobid_err console_exec(mobid_store *s, const char *sql, const char *a, int64_t b, int64_t c)
{
    mobid_store_stmt *st = NULL;
    bool row;
    mobid_err err = mobid_store_prepare(s, sql, &st);
    if (!err) err = mobid_store_bind_str(st, 1, a);
    if (!err && strstr(sql, "$2")) err = mobid_store_bind_int64(st, 2, b);
    if (!err && strstr(sql, "$3")) err = mobid_store_bind_int64(st, 3, c);
    if (!err) err = mobid_store_step(st, &row);
    mobid_store_finalize(st);
    return err;
}

/* Two int64 columns of the first row of sql($1 = key); *found false when none. */
mobid_err console_query2(mobid_store *s, const char *sql, const char *key, int64_t *a, int64_t *b,
                        bool *found)
{
    mobid_store_stmt *st = NULL;
    mobid_err err = mobid_store_prepare(s, sql, &st);
    *found = false;
    if (!err) err = mobid_store_bind_str(st, 1, key);
    if (!err) err = mobid_store_step(st, found);
    if (!err && *found) {
        *a = mobid_store_col_int64(st, 0);
        *b = mobid_store_col_int64(st, 1);
    }
    mobid_store_finalize(st);
    return err;
}

/* ---- static files (web/console, compiled in) ---- */

static mobid_err on_static(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    const issuer_ctx *ictx = ctx;
    const char *name = mobid_http_req_param(req, "file");
    /* "web_dir" in the configuration serves the pages from a folder instead (editing). */
    const char *dir = json_string_value(json_object_get(json_object_get(ictx->cfg.raw, "console"),
                                                        "web_dir"));
    const char *type = mobid_asset_mime(name);
    mobid_buf body;
    mobid_err err;

    console_security_headers(resp);
    mobid_buf_init(&body, 0);
    err = type ? mobid_asset_load(dir, "web/console", name, &body) : MOBID_ERR_NOT_FOUND;
    if (!err)
        err = mobid_http_resp_body(resp, 200, type, mobid_buf_view(&body));
    else if (err == MOBID_ERR_NOT_FOUND)
        err = console_not_found(req, resp, ctx);
    mobid_buf_free(&body);
    return err;
}

/* "/" and "/console/" as people type them: to the console, which asks for a sign-in. */
static mobid_err on_home(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    console_security_headers(resp);
    return mobid_http_resp_redirect(resp, 303, "/console/applications");
}

mobid_err console_message_page(mobid_http_resp *resp, unsigned status, const char *id,
                               const char *title_ko, const char *title_en, const char *ko,
                               const char *en)
{
    mobid_buf b;
    mobid_err err;

    mobid_buf_init(&b, 0);
    console_security_headers(resp);
    console_head(&b, title_ko, title_en);
    console_put(&b, "<header class=\"bar\"><strong>영사 콘솔</strong> <span class=\"en\">Office "
                    "console</span></header>\n<main class=\"narrow\"><h1>");
    console_esc(&b, title_ko);
    console_put(&b, " <small>");
    console_esc(&b, title_en);
    console_put(&b, "</small></h1>\n<div class=\"notice error\" role=\"alert\"><p id=\"");
    console_esc(&b, id);
    console_put(&b, "\">");
    console_esc(&b, ko);
    console_put(&b, "</p><p class=\"en\">");
    console_esc(&b, en);
    console_put(&b, "</p></div>\n<p><a href=\"/console/applications\">영사 콘솔로 <span class=\"en\">"
                    "To the office console</span></a></p></main></body></html>\n");
    err = b.err ? b.err
                : mobid_http_resp_body(resp, status, "text/html; charset=utf-8", mobid_buf_view(&b));
    mobid_buf_free(&b);
    return err;
}

/* A page address under /console/ that does not exist: an HTML page, not API JSON. */
mobid_err console_not_found(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    (void)req;
    (void)ctx;
    return console_message_page(resp, 404, "not-found", "페이지 없음", "Page not found",
                                "이 주소에는 페이지가 없습니다.", "There is no page at this address.");
}

mobid_err console_error_page(mobid_http_req *req, mobid_http_resp *resp, mobid_err err)
{
    bool busy = err == MOBID_SVC_ERR_BUSY;
    (void)req;
    fprintf(stderr, "console: %s %s: %s\n", mobid_http_req_method(req), mobid_http_req_path(req),
            mobid_svc_err_name(err));
    return console_message_page(resp, busy ? 503 : 500, "server-error",
                                busy ? "잠시 후 다시 시도하세요" : "서버 오류",
                                busy ? "Busy" : "Server error",
                                busy ? "서버가 바쁩니다. 잠시 후 다시 시도하세요."
                                     : "서버에서 오류가 발생해 요청을 마치지 못했습니다. 변경된 내용이 "
                                       "있는지 신청 화면에서 확인한 뒤 다시 시도하세요.",
                                busy ? "The server is busy. Please try again in a moment."
                                     : "The server failed to finish the request. Check on the "
                                       "application page whether anything changed, then retry.");
}

/* /favicon.ico as browsers ask for it: the console's icon. */
static mobid_err on_favicon(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    (void)req;
    (void)ctx;
    mobid_http_resp_header(resp, "Cache-Control", "max-age=86400");
    return mobid_http_resp_redirect(resp, 301, "/console/static/favicon.svg");
}

mobid_err issuer_routes_console(mobid_http_server *srv, issuer_ctx *ctx)
{
    mobid_err err;
    if ((err = console_auth_routes(srv, ctx)) || (err = console_apps_routes(srv, ctx)) ||
        (err = console_admin_routes(srv, ctx)) || (err = console_officers_routes(srv, ctx)) ||
        (err = console_renew_routes(srv, ctx)) ||
        (err = mobid_http_route(srv, "GET", "/console/static/{file}", on_static, ctx)) ||
        (err = mobid_http_route(srv, "GET", "/console/", on_home, ctx)) ||
        (err = mobid_http_route(srv, "GET", "/", on_home, ctx)) ||
        (err = mobid_http_route(srv, "GET", "/favicon.ico", on_favicon, ctx)) ||
        (err = mobid_http_not_found(srv, "/console/", console_not_found, ctx)))
        return err;
    return MOBID_OK;
}
