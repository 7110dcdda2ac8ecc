/* src/http: what web pages share: their own "not found" answer for unknown paths under
 * their prefix, and their security headers. */
#include "http/http_internal.h"

#include <stdio.h>
#include <string.h>

mobid_err mobid_http_not_found(mobid_http_server *s, const char *prefix,
                               mobid_http_handler handler, void *ctx)
{
    http_page_fallback *f;

    if (!s || s->daemon || !prefix || prefix[0] != '/' ||
        strlen(prefix) >= sizeof f->prefix || s->nfallback == HTTP_MAX_FALLBACKS)
        return MOBID_ERR_INVALID_ARG;
    f = &s->fallback[s->nfallback++];
    strcpy(f->prefix, prefix);
    f->handler = handler;
    f->ctx = ctx;
    return MOBID_OK;
}

bool http_page_fallback_run(mobid_http_req *r)
{
    const http_page_fallback *best = NULL;
    mobid_err err;

    if (strcmp(r->method, "GET") && strcmp(r->method, "HEAD"))
        return false;
    for (size_t i = 0; i < r->srv->nfallback; i++) {
        const http_page_fallback *f = &r->srv->fallback[i];
        if (!strncmp(r->path, f->prefix, strlen(f->prefix)) &&
            (!best || strlen(f->prefix) > strlen(best->prefix)))
            best = f;
    }
    if (!best || !best->handler)
        return false;
    err = best->handler(r, &r->resp, best->ctx);
    if (err && !r->resp.status)
        mobid_http_resp_status(&r->resp, 404);
    return true;
}

void mobid_http_page_headers(mobid_http_resp *resp, const mobid_http_page_policy *p)
{
    char csp[320];
    snprintf(csp, sizeof csp,
             "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:%s;"
             "%s connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
             p && p->blob_images ? " blob:" : "", p && p->blob_media ? " media-src 'self' blob:;" : "");
    mobid_http_resp_header(resp, "Content-Security-Policy", csp);
    mobid_http_resp_header(resp, "X-Content-Type-Options", "nosniff");
    mobid_http_resp_header(resp, "Referrer-Policy", "no-referrer");
    mobid_http_resp_header(resp, "X-Frame-Options", "DENY");
    if (p && p->no_store)
        mobid_http_resp_header(resp, "Cache-Control", "no-store");
    if (p && p->permissions)
        mobid_http_resp_header(resp, "Permissions-Policy", p->permissions);
}
