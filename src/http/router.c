/* src/http: route table with {param} segments and most-specific-wins matching. */
#include "http/router.h"

#include <string.h>

static bool is_param(const char *seg)
{
    size_t n = strlen(seg);
    return n > 2 && seg[0] == '{' && seg[n - 1] == '}';
}

static void route_free(http_route *rt)
{
    if (!rt)
        return;
    for (size_t i = 0; i < rt->nsegs; i++)
        mobid_free(rt->segs[i]);
    mobid_free(rt->method);
    mobid_free(rt->pattern);
    mobid_free(rt);
}

/* Split "/a/{b}/c" into segments; "/" is one empty segment. */
static mobid_err split_pattern(http_route *rt, const char *pattern)
{
    size_t nparams = 0;
    const char *p = pattern + 1;
    for (;;) {
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (rt->nsegs == HTTP_MAX_SEGMENTS)
            return MOBID_ERR_INVALID_ARG;
        char *seg = mobid_view_strdup(mobid_view_make(p, len));
        if (!seg)
            return MOBID_ERR_NOMEM;
        rt->segs[rt->nsegs++] = seg;
        if (is_param(seg) && ++nparams > HTTP_MAX_PARAMS)
            return MOBID_ERR_INVALID_ARG;
        if ((strchr(seg, '{') || strchr(seg, '}')) && !is_param(seg))
            return MOBID_ERR_INVALID_ARG; /* braces only around a whole segment */
        if (!end)
            return MOBID_OK;
        p = end + 1;
    }
}

mobid_err http_router_add(http_router *r, const char *method, const char *pattern,
                          http_fn handler, void *ctx)
{
    if (!r || !method || !*method || !pattern || pattern[0] != '/' || !handler)
        return MOBID_ERR_INVALID_ARG;
    for (const http_route *o = r->routes; o; o = o->next)
        if (!strcmp(o->method, method) && !strcmp(o->pattern, pattern))
            return MOBID_ERR_INVALID_ARG;
    http_route *rt = mobid_calloc(1, sizeof *rt);
    mobid_err err = MOBID_ERR_NOMEM;
    if (!rt)
        goto done;
    rt->method = mobid_view_strdup(mobid_view_str(method));
    rt->pattern = mobid_view_strdup(mobid_view_str(pattern));
    if (!rt->method || !rt->pattern)
        goto done;
    err = split_pattern(rt, pattern);
    if (err != MOBID_OK)
        goto done;
    rt->handler = handler;
    rt->ctx = ctx;
    http_route **p = &r->routes;
    while (*p)
        p = &(*p)->next;
    *p = rt;
    rt = NULL;
done:
    route_free(rt);
    return err;
}

http_route *http_router_last(http_router *r)
{
    http_route *rt = r->routes;
    while (rt && rt->next)
        rt = rt->next;
    return rt;
}

/* Does rt's pattern match the path segments? Fills params on success. */
static bool match_path(const http_route *rt, const mobid_view *segs, size_t n, http_params *params)
{
    if (rt->nsegs != n)
        return false;
    http_params p = { 0 };
    for (size_t i = 0; i < n; i++) {
        const char *s = rt->segs[i];
        if (is_param(s)) {
            if (!segs[i].len)
                return false;
            p.names[p.n] = s + 1;
            p.name_lens[p.n] = strlen(s) - 2;
            p.values[p.n++] = segs[i];
        } else if (!mobid_view_eq_str(segs[i], s)) {
            return false;
        }
    }
    if (params)
        *params = p;
    return true;
}

/* True when a is more specific than b (a literal where b has a parameter first). */
static bool more_specific(const http_route *a, const http_route *b)
{
    for (size_t i = 0; i < a->nsegs; i++) {
        bool pa = is_param(a->segs[i]), pb = is_param(b->segs[i]);
        if (pa != pb)
            return !pa;
    }
    return false;
}

static bool method_matches(const char *route_method, const char *method)
{
    return !strcmp(route_method, method) || (!strcmp(method, "HEAD") && !strcmp(route_method, "GET"));
}

static void note_allowed(mobid_buf *allow, const char *method)
{
    if (!allow)
        return;
    if (allow->len)
        mobid_buf_append_str(allow, ", ");
    mobid_buf_append_str(allow, method);
    mobid_buf_terminate(allow);
}

const http_route *http_router_match(const http_router *r, const char *method, const char *path,
                                    http_params *params, bool *path_known, mobid_buf *allow)
{
    mobid_view segs[HTTP_MAX_SEGMENTS];
    size_t n = 0;
    *path_known = false;
    if (!path || path[0] != '/')
        return NULL;
    for (const char *p = path + 1;; n++) {
        if (n == HTTP_MAX_SEGMENTS)
            return NULL;
        const char *end = strchr(p, '/');
        segs[n] = mobid_view_make(p, end ? (size_t)(end - p) : strlen(p));
        if (!end) {
            n++;
            break;
        }
        p = end + 1;
    }
    const http_route *best = NULL;
    for (const http_route *rt = r->routes; rt; rt = rt->next) {
        if (!match_path(rt, segs, n, NULL))
            continue;
        *path_known = true;
        if (!method_matches(rt->method, method)) {
            note_allowed(allow, rt->method);
            continue;
        }
        if (!best || more_specific(rt, best))
            best = rt;
    }
    if (best && params)
        match_path(best, segs, n, params);
    return best;
}

void http_router_free(http_router *r)
{
    if (!r)
        return;
    for (http_route *rt = r->routes, *next; rt; rt = next) {
        next = rt->next;
        route_free(rt);
    }
    r->routes = NULL;
}
