/* src/http: web pages' own "not found" answer for unknown paths under their prefix. */
#include "http/http_internal.h"

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
