/*
 * The wallet app's context, session and pages (app.h). The page is one file
 * (web/wallet/index.html with wallet.js and wallet.css) under a strict
 * Content-Security-Policy: no inline script or style, no event handler attributes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mobid/crypto.h>
#include "assets/assets.h"
#include "http/resource.h"
#include "services/wallet/app.h"
#include "services/wallet/host.h"

#define COOKIE "mobid_wallet"

static mobid_err random_token(char *out, size_t cap)
{
    uint8_t r[24];
    mobid_buf b;
    mobid_err err = mobid_random(r, sizeof r);

    mobid_buf_init(&b, 0);
    if (!err)
        err = mobid_b64url_encode(mobid_view_make(r, sizeof r), &b);
    if (!err && b.len < cap)
        snprintf(out, cap, "%.*s", (int)b.len, (const char *)b.ptr);
    else if (!err)
        err = MOBID_ERR_INVALID_ARG;
    mobid_buf_free(&b);
    mobid_wipe(r, sizeof r);
    return err;
}

static char *dup_or_null(const char *s, mobid_err *err)
{
    char *d = s ? strdup(s) : NULL;

    if (s && !d)
        *err = MOBID_ERR_NOMEM;
    return d;
}

static mobid_err load_inputs(wallet_app *app)
{
    const char *paths[3] = { app->cfg.issuer_roots, app->cfg.rp_roots, app->cfg.reg_roots };
    const mobid_asset *ct = mobid_asset_find("etc/card-types.json");
    mobid_buf b;
    mobid_err err = MOBID_OK;

    for (int i = 0; i < 3 && !err; i++) {
        if (!paths[i])
            continue;
        mobid_buf_init(&b, 0);
        err = mobid_file_read(paths[i], 1 << 20, &b);
        app->pem[i] = err ? NULL : mobid_buf_detach_str(&b);
        mobid_buf_free(&b);
        if (!err && !app->pem[i])
            err = MOBID_ERR_NOMEM;
    }
    if (err)
        return err;
    if (app->cfg.card_types)
        app->card_types = json_load_file(app->cfg.card_types, JSON_REJECT_DUPLICATES, NULL);
    else if (ct)
        app->card_types = json_loadb((const char *)ct->data, ct->len, JSON_REJECT_DUPLICATES, NULL);
    return app->card_types ? MOBID_OK : MOBID_ERR_MALFORMED;
}

mobid_err wallet_app_new(const wallet_app_config *cfg, wallet_app **out)
{
    wallet_app *app = NULL;
    mobid_err err = MOBID_OK;

    *out = NULL;
    if (!cfg->wallet_path)
        return MOBID_ERR_INVALID_ARG;
    if (!(app = calloc(1, sizeof *app)))
        return MOBID_ERR_NOMEM;
    pthread_mutex_init(&app->lock, NULL);
    app->cfg = *cfg;
    app->cfg.wallet_path = dup_or_null(cfg->wallet_path, &err);
    app->cfg.ca_file = dup_or_null(cfg->ca_file, &err);
    app->cfg.issuer_roots = dup_or_null(cfg->issuer_roots, &err);
    app->cfg.rp_roots = dup_or_null(cfg->rp_roots, &err);
    app->cfg.reg_roots = dup_or_null(cfg->reg_roots, &err);
    app->cfg.card_types = dup_or_null(cfg->card_types, &err);
    app->cfg.web_dir = dup_or_null(cfg->web_dir, &err);
    app->cfg.secret = NULL;
    if (app->cfg.wallet_path && (app->device_key = malloc(strlen(app->cfg.wallet_path) + 5)))
        snprintf(app->device_key, strlen(app->cfg.wallet_path) + 5, "%s.key", app->cfg.wallet_path);
    else
        err = MOBID_ERR_NOMEM;
    if (!app->cfg.session_s)
        app->cfg.session_s = 600;
    if (!err)
        err = load_inputs(app);
    /* A given secret travels in the printed link (/open?k=...): URL-safe so it needs no
     * escaping, and at least 16 characters so a page on another tab cannot guess it. */
    if (!err && cfg->secret && strlen(cfg->secret) >= 16 && strlen(cfg->secret) < sizeof app->secret &&
        strspn(cfg->secret, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
            strlen(cfg->secret))
        snprintf(app->secret, sizeof app->secret, "%s", cfg->secret);
    else if (!err && cfg->secret)
        err = MOBID_ERR_INVALID_ARG;
    else if (!err)
        err = random_token(app->secret, sizeof app->secret);
    if (err)
        wallet_app_free(app);
    else
        *out = app;
    return err;
}

void wallet_app_forget(wallet_app *app)
{
    json_decref(app->cards);
    json_decref(app->history);
    app->cards = app->history = NULL;
    free(app->approved);
    app->approved = NULL;
}

void wallet_app_free(wallet_app *app)
{
    if (!app)
        return;
    wallet_app_forget(app);
    free((char *)app->cfg.wallet_path);
    free(app->device_key);
    free((char *)app->cfg.ca_file);
    free((char *)app->cfg.issuer_roots);
    free((char *)app->cfg.rp_roots);
    free((char *)app->cfg.reg_roots);
    free((char *)app->cfg.card_types);
    free((char *)app->cfg.web_dir);
    for (int i = 0; i < 3; i++)
        free(app->pem[i]);
    json_decref(app->card_types);
    wallet_http_free(&app->http);
    pthread_mutex_destroy(&app->lock);
    mobid_wipe(app->secret, sizeof app->secret);
    free(app);
}

const char *wallet_app_secret(const wallet_app *app) { return app->secret; }

mobid_time wallet_app_now(const wallet_app *app)
{
    return app->cfg.have_at ? app->cfg.at : mobid_now();
}

void wallet_app_headers(mobid_http_resp *resp)
{
    static const mobid_http_page_policy app = {
        .blob_images = true, .blob_media = true, .no_store = true,
        .permissions = "camera=(self), microphone=(), geolocation=()"
    };
    mobid_http_page_headers(resp, &app);
}

static const char closed_page[] =
    "<!doctype html>\n<html lang=\"ko\"><head><meta charset=\"utf-8\">"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    "<title>지갑 열기 Open the wallet</title></head>\n"
    "<body><main><h1>지갑 열기 Open the wallet</h1>\n"
    "<p>시작할 때 표시된 링크로 여십시오. 세션이 없거나 만료되었습니다.</p>\n"
    "<p>Open the link printed when the wallet app started. There is no session, or it "
    "timed out.</p>\n<p><code>UNAUTHENTICATED</code></p></main></body></html>\n";

static bool session_live(wallet_app *app, mobid_http_req *req)
{
    const char *c = mobid_http_req_cookie(req, COOKIE);
    mobid_time now = wallet_app_now(app);

    if (!app->sid[0] || !c || !mobid_ct_eq(mobid_view_str(c), mobid_view_str(app->sid)))
        return false;
    if (now - app->seen > (mobid_time)app->cfg.session_s) {
        app->sid[0] = '\0';
        wallet_app_forget(app);
        return false;
    }
    app->seen = now;
    return true;
}

bool wallet_app_session_ok(wallet_app *app, mobid_http_req *req, mobid_http_resp *resp,
                           bool post)
{
    const char *t = mobid_http_req_header(req, "X-CSRF-Token");

    wallet_app_headers(resp);
    if (!session_live(app, req)) {
        if (!strncmp(mobid_http_req_path(req), "/api/", 5))
            mobid_http_resp_error(resp, 401, "UNAUTHENTICATED",
                                  "no session: open the link printed at start");
        else
            mobid_http_resp_body(resp, 403, "text/html; charset=utf-8",
                                 mobid_view_make(closed_page, sizeof closed_page - 1));
        return false;
    }
    if (post && (!t || !mobid_ct_eq(mobid_view_str(t), mobid_view_str(app->csrf)))) {
        mobid_http_resp_error(resp, 403, "CSRF", "missing or wrong X-CSRF-Token");
        return false;
    }
    return true;
}

/* GET /open?k=SECRET: a new session (replacing any other), then the app without the
 * secret in the address bar. */
static mobid_err on_open(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    wallet_app *app = ctx;
    const char *k = mobid_http_req_query(req, "k");
    mobid_err err = MOBID_OK;

    wallet_app_headers(resp);
    pthread_mutex_lock(&app->lock);
    if (!k || !mobid_ct_eq(mobid_view_str(k), mobid_view_str(app->secret))) {
        err = mobid_http_resp_body(resp, 403, "text/html; charset=utf-8",
                                   mobid_view_make(closed_page, sizeof closed_page - 1));
        goto done;
    }
    wallet_app_forget(app);
    if ((err = random_token(app->sid, sizeof app->sid)) ||
        (err = random_token(app->csrf, sizeof app->csrf)))
        goto done;
    app->seen = wallet_app_now(app);
    err = mobid_http_resp_cookie(resp, COOKIE, app->sid, "/", -1,
                                 MOBID_COOKIE_HTTPONLY | MOBID_COOKIE_SAMESITE_STRICT);
    if (!err)
        err = mobid_http_resp_redirect(resp, 303, "/");
done:
    pthread_mutex_unlock(&app->lock);
    return err;
}

static mobid_err send_file(wallet_app *app, mobid_http_req *req, mobid_http_resp *resp,
                           const char *name)
{
    const char *type = mobid_asset_mime(name);
    mobid_buf body;
    mobid_err err = MOBID_OK;
    bool ok;

    pthread_mutex_lock(&app->lock);
    ok = wallet_app_session_ok(app, req, resp, false);
    pthread_mutex_unlock(&app->lock);
    if (!ok)
        return MOBID_OK;
    mobid_buf_init(&body, 0);
    err = type ? mobid_asset_load(app->cfg.web_dir, "web/wallet", name, &body)
               : MOBID_ERR_NOT_FOUND;
    if (!err)
        err = mobid_http_resp_body(resp, 200, type, mobid_buf_view(&body));
    else if (err == MOBID_ERR_NOT_FOUND)
        err = mobid_http_resp_text(resp, 404, "not found");
    mobid_buf_free(&body);
    return err;
}

static mobid_err on_index(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    return send_file(ctx, req, resp, "index.html");
}

static mobid_err on_static(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    return send_file(ctx, req, resp, mobid_http_req_param(req, "file"));
}

static mobid_err on_not_found(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    (void)req;
    (void)ctx;
    wallet_app_headers(resp);
    return mobid_http_resp_body(resp, 404, "text/html; charset=utf-8",
                                mobid_view_str("<!doctype html><title>Not found</title>"
                                               "<p>페이지 없음 Page not found</p>"));
}

mobid_err wallet_app_routes(wallet_app *app, mobid_http_server *srv)
{
    mobid_err err;

    if ((err = mobid_http_route(srv, "GET", "/open", on_open, app)) ||
        (err = mobid_http_route(srv, "GET", "/", on_index, app)) ||
        (err = mobid_http_route(srv, "GET", "/static/{file}", on_static, app)) ||
        (err = mobid_http_not_found(srv, "/", on_not_found, app)) ||
        (err = mobid_http_not_found(srv, "/api/", NULL, NULL)))
        return err;
    return wallet_api_routes(app, srv);
}
