/*
 * The portal's context, pages and static files. Pages are plain files under
 * web/portal/ read per request (no build step; an operator may restyle them); every
 * response carries a strict Content-Security-Policy, so the pages hold no inline
 * script or style and no event handler attributes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mobid/crypto.h>
#include "assets/assets.h"
#include "http/fetch.h"
#include "http/limits.h"
#include "http/ratelimit.h"
#include "services/portal/portal.h"
#include "services/provision/provision.h"

struct portal_ctx {
    char *verifier_url;
    char *web_dir;
    char *public_url;               /* NULL: the listening URL */
    char *api_key[PORTAL_NSITES];
    json_t *dcql[PORTAL_NSITES];    /* NULL: ask for profile[] */
    char *profile[PORTAL_NSITES];
    long wait_s;
    uint8_t ticket_key[32];
    mobid_http_fetcher *fetcher;  /* the verifier long-polls */
    mobid_ratelimit *start_rate;  /* starts per source address */
    json_t *cardtypes;            /* the compiled-in card types: labels (NULL: none) */
};

/* A number key of the portal's configuration within [min, max]. */
static mobid_err read_number(const json_t *j, const char *key, double min, double max,
                             double *out)
{
    const json_t *v = json_object_get(j, key);
    if (!v)
        return MOBID_OK;
    if (!json_is_number(v) || json_number_value(v) < min || json_number_value(v) > max) {
        fprintf(stderr, "portal config: %s must be a number from %g to %g\n", key, min, max);
        return MOBID_ERR_MALFORMED;
    }
    *out = json_number_value(v);
    return MOBID_OK;
}

mobid_err portal_config_read(const json_t *j, portal_config *pc, mobid_http_config *hc)
{
    static const char *const known[] = { "http", "start_per_second", "start_burst",
                                         "max_waiting", "wait_s" };
    double waiting = pc->max_waiting, wait = (double)pc->wait_s;
    const char *key;
    json_t *v;
    mobid_err err = MOBID_ERR_MALFORMED;
    if (!json_is_object(j)) {
        fprintf(stderr, "portal config: not a JSON object\n");
        return err;
    }
    json_object_foreach((json_t *)j, key, v) {
        size_t i = 0;
        while (i < sizeof known / sizeof known[0] && strcmp(known[i], key))
            i++;
        if (i == sizeof known / sizeof known[0]) {
            fprintf(stderr, "portal config: unknown key %s\n", key);
            return err;
        }
    }
    if ((err = read_number(j, "start_per_second", 0.001, 1e6, &pc->start_per_second)) ||
        (err = read_number(j, "start_burst", 1, 1e6, &pc->start_burst)) ||
        (err = read_number(j, "max_waiting", 1, 100000, &waiting)) ||
        (err = read_number(j, "wait_s", 1, 120, &wait)))
        return err;
    pc->max_waiting = (unsigned)waiting;
    pc->wait_s = (long)wait;
    return mobid_http_limits_read(json_object_get(j, "http"), "portal", hc);
}

const json_t *portal_cardtypes(const portal_ctx *ctx)
{
    return ctx->cardtypes;
}

/* The portal's queries are the verifier's profiles, which the provisioning policy
 * derives from the card types; a DCQL query given here replaces the profile. */
static mobid_err site_init(portal_ctx *ctx, portal_site site, const portal_site_config *sc)
{
    const char *profile = sc->profile ? sc->profile : site == PORTAL_GOV ? "resident_full" : "bank_age_check";
    if (!sc->api_key)
        return MOBID_OK;
    ctx->api_key[site] = strdup(sc->api_key);
    ctx->profile[site] = strdup(profile);
    if (!ctx->api_key[site] || !ctx->profile[site])
        return MOBID_ERR_NOMEM;
    if (!sc->dcql_json)
        return MOBID_OK;
    ctx->dcql[site] = json_loads(sc->dcql_json, JSON_REJECT_DUPLICATES, NULL);
    return json_is_object(ctx->dcql[site]) ? MOBID_OK : MOBID_ERR_INVALID_ARG;
}

static void trim_slashes(char *url)
{
    size_t n = strlen(url);
    while (n > 0 && url[n - 1] == '/')
        url[--n] = 0;
}

mobid_err portal_ctx_new(const portal_config *cfg, portal_ctx **out)
{
    portal_ctx *ctx = NULL;
    mobid_err err = MOBID_ERR_NOMEM;

    *out = NULL;
    if (!cfg->verifier_url || (!cfg->sites[PORTAL_GOV].api_key && !cfg->sites[PORTAL_BANK].api_key))
        return MOBID_ERR_INVALID_ARG;
    if (!(ctx = calloc(1, sizeof *ctx)))
        goto done;
    ctx->verifier_url = strdup(cfg->verifier_url);
    ctx->web_dir = cfg->web_dir ? strdup(cfg->web_dir) : NULL;
    ctx->public_url = cfg->public_url ? strdup(cfg->public_url) : NULL;
    ctx->wait_s = cfg->wait_s > 0 ? cfg->wait_s : 20;
    if (!ctx->verifier_url || (cfg->web_dir && !ctx->web_dir) || (cfg->public_url && !ctx->public_url))
        goto done;
    trim_slashes(ctx->verifier_url);
    if (ctx->public_url)
        trim_slashes(ctx->public_url);
    if ((err = site_init(ctx, PORTAL_GOV, &cfg->sites[PORTAL_GOV])) ||
        (err = site_init(ctx, PORTAL_BANK, &cfg->sites[PORTAL_BANK])) ||
        /* a fresh key per start: a ticket serves one verification of a few minutes,
         * so none need survive a restart and no secret is kept on disk */
        (err = mobid_random(ctx->ticket_key, sizeof ctx->ticket_key)) ||
        (err = mobid_http_fetcher_new(cfg->max_waiting ? cfg->max_waiting : 200, 0, &ctx->fetcher)) ||
        (err = mobid_ratelimit_new(cfg->start_per_second > 0 ? cfg->start_per_second : 2,
                                   cfg->start_burst >= 1 ? cfg->start_burst : 20, 0,
                                   &ctx->start_rate)))
        goto done;
    /* labels only: without them the page shows claim names */
    if (prov_cardtypes_load(NULL, &ctx->cardtypes) != MOBID_OK)
        ctx->cardtypes = NULL;
    *out = ctx;
    ctx = NULL;
done:
    portal_ctx_free(ctx);
    return err;
}

void portal_ctx_free(portal_ctx *ctx)
{
    if (!ctx)
        return;
    for (int i = 0; i < PORTAL_NSITES; i++) {
        free(ctx->api_key[i]);
        json_decref(ctx->dcql[i]);
        free(ctx->profile[i]);
    }
    mobid_http_fetcher_free(ctx->fetcher);
    mobid_ratelimit_free(ctx->start_rate);
    json_decref(ctx->cardtypes);
    free(ctx->verifier_url);
    free(ctx->web_dir);
    free(ctx->public_url);
    mobid_wipe(ctx->ticket_key, sizeof ctx->ticket_key);
    free(ctx);
}

const char *portal_site_name(portal_site site)
{
    return site == PORTAL_BANK ? "bank" : "gov";
}
const char *portal_verifier_url(const portal_ctx *ctx) { return ctx->verifier_url; }
const char *portal_api_key(const portal_ctx *ctx, portal_site s) { return ctx->api_key[s]; }
json_t *portal_request(const portal_ctx *ctx, portal_site s)
{
    return ctx->dcql[s] ? json_pack("{s:O}", "dcql_query", ctx->dcql[s])
                        : json_pack("{s:s}", "profile", ctx->profile[s]);
}
long portal_wait_s(const portal_ctx *ctx) { return ctx->wait_s; }

mobid_err portal_redirect_uri(const portal_ctx *ctx, portal_site site, const char *listening,
                              char *out, size_t cap)
{
    const char *base = ctx->public_url ? ctx->public_url : listening ? listening : "";
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        n--;
    int w = snprintf(out, cap, "%.*s%s", (int)n, base, site == PORTAL_BANK ? "/bank" : "/");
    return w > 0 && (size_t)w < cap ? MOBID_OK : MOBID_ERR_TOO_BIG;
}
mobid_http_fetcher *portal_fetcher(const portal_ctx *ctx) { return ctx->fetcher; }
mobid_ratelimit *portal_start_rate(const portal_ctx *ctx) { return ctx->start_rate; }

static void stop_fetcher(void *ctx)
{
    mobid_http_fetcher_stop(((portal_ctx *)ctx)->fetcher);
}

/* ---- tickets ---- */

static mobid_err ticket_mac(const portal_ctx *ctx, portal_site site, mobid_view id, mobid_buf *out)
{
    uint8_t mac[MOBID_HASH_MAX];
    const char *name = portal_site_name(site);
    /* the site is in the MAC: a ticket the bank's page holds cannot read a result that
     * the government site asked for, though both run in one portal */
    mobid_view parts[3] = { mobid_view_str(name), mobid_view_str(":"), id };
    mobid_err err = mobid_hmac(MOBID_HASH_SHA256, mobid_view_make(ctx->ticket_key, 32), parts, 3, mac);
    if (err == MOBID_OK)
        err = mobid_b64url_encode(mobid_view_make(mac, 32), out);
    return err;
}

mobid_err portal_number_mac(const portal_ctx *ctx, const char *id, uint8_t *mac)
{
    mobid_view parts[2] = { mobid_view_str("certificate:"), mobid_view_str(id) };
    return mobid_hmac(MOBID_HASH_SHA256, mobid_view_make(ctx->ticket_key, 32), parts, 2, mac);
}

mobid_err portal_ticket_make(const portal_ctx *ctx, portal_site site, const char *id, char **out)
{
    mobid_buf b = { 0 };
    mobid_buf_init(&b, 4096);
    mobid_buf_append_str(&b, id);
    mobid_buf_append_byte(&b, '.');
    mobid_err err = ticket_mac(ctx, site, mobid_view_str(id), &b);
    if (err == MOBID_OK) err = mobid_buf_terminate(&b);
    *out = err == MOBID_OK ? mobid_buf_detach_str(&b) : NULL;
    mobid_buf_free(&b);
    return err;
}

mobid_err portal_ticket_open(const portal_ctx *ctx, portal_site site, const char *ticket, char **id)
{
    mobid_buf mac = { 0 };
    const char *dot = ticket ? strrchr(ticket, '.') : NULL;
    mobid_err err = MOBID_ERR_UNAUTHENTICATED;

    *id = NULL;
    mobid_buf_init(&mac, 64);
    if (!dot || dot == ticket || dot - ticket > 128)
        goto done;
    for (const char *p = ticket; p < dot; p++)
        if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') || ('0' <= *p && *p <= '9') ||
              *p == '-' || *p == '_'))
            goto done;
    if ((err = ticket_mac(ctx, site, mobid_view_make(ticket, (size_t)(dot - ticket)), &mac)))
        goto done;
    err = MOBID_ERR_UNAUTHENTICATED;
    if (!mobid_ct_eq(mobid_buf_view(&mac), mobid_view_str(dot + 1)))
        goto done;
    *id = mobid_view_strdup(mobid_view_make(ticket, (size_t)(dot - ticket)));
    err = *id ? MOBID_OK : MOBID_ERR_NOMEM;
done:
    mobid_buf_free(&mac);
    return err;
}

/* ---- HTML and headers ---- */

mobid_err portal_html_escape(mobid_buf *out, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': mobid_buf_append_str(out, "&amp;"); break;
        case '<': mobid_buf_append_str(out, "&lt;"); break;
        case '>': mobid_buf_append_str(out, "&gt;"); break;
        case '"': mobid_buf_append_str(out, "&quot;"); break;
        case '\'': mobid_buf_append_str(out, "&#39;"); break;
        default: mobid_buf_append_byte(out, (uint8_t)*s);
        }
    }
    return out->err;
}

void portal_security_headers(mobid_http_resp *resp)
{
    mobid_http_page_headers(resp, NULL);
}

/* ---- static files (web/portal, compiled in) ---- */

static const char not_found_page[] =
    "<!doctype html>\n<html lang=\"ko\"><head><meta charset=\"utf-8\">"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    "<title>페이지 없음 Page not found</title>"
    "<link rel=\"stylesheet\" href=\"/static/portal.css\"></head>\n"
    "<body><main><h1>페이지 없음 Page not found</h1>\n"
    "<p>이 주소에는 페이지가 없습니다. There is no page at this address.</p>\n"
    "<p><a href=\"/\">처음으로 Home</a></p></main></body></html>\n";

/* An unknown page address: an HTML page, not API JSON. */
static mobid_err on_not_found(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    portal_security_headers(resp);
    return mobid_http_resp_body(resp, 404, "text/html; charset=utf-8",
                                mobid_view_make(not_found_page, sizeof not_found_page - 1));
}

/* The page file name: from --web DIR when given (editing the pages), else compiled in. */
static mobid_err send_file(mobid_http_req *req, portal_ctx *ctx, const char *name,
                           mobid_http_resp *resp)
{
    const char *type = mobid_asset_mime(name);
    mobid_buf body;
    mobid_err err;

    portal_security_headers(resp);
    mobid_buf_init(&body, 0);
    err = type ? mobid_asset_load(ctx->web_dir, "web/portal", name, &body) : MOBID_ERR_NOT_FOUND;
    if (!err) {
        mobid_http_resp_header(resp, "Cache-Control", "no-cache");
        err = mobid_http_resp_body(resp, 200, type, mobid_buf_view(&body));
    } else if (err == MOBID_ERR_NOT_FOUND) {
        err = on_not_found(req, resp, ctx);
    }
    mobid_buf_free(&body);
    return err;
}

static mobid_err on_gov(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    return send_file(req, ctx, "index.html", resp);
}

static mobid_err on_bank(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    return send_file(req, ctx, "bank.html", resp);
}

static mobid_err on_static(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    return send_file(req, ctx, mobid_http_req_param(req, "file"), resp);
}

mobid_err portal_routes(portal_ctx *ctx, mobid_http_server *srv)
{
    mobid_err err;
    if ((err = mobid_http_route(srv, "GET", "/", on_gov, ctx)) ||
        (err = mobid_http_route(srv, "GET", "/bank", on_bank, ctx)) ||
        (err = mobid_http_route(srv, "GET", "/static/{file}", on_static, ctx)) ||
        (err = mobid_http_route(srv, "POST", "/api/v1/start/{site}", portal_on_start, ctx)) ||
        (err = mobid_http_route(srv, "GET", "/api/v1/result", portal_on_result, ctx)) ||
        (err = mobid_http_not_found(srv, "/", on_not_found, ctx)) ||
        (err = mobid_http_not_found(srv, "/api/", NULL, NULL)))
        return err;
    /* Fetches wake the server's parked requests: none may end after it stopped. */
    return mobid_http_server_on_stop(srv, stop_fetcher, ctx);
}
