/*
 * Route table: method + path pattern, where a segment "{name}" matches one non-empty
 * path segment. Among routes whose pattern matches a path, the most specific wins: at
 * the first segment where they differ, a literal beats a parameter (so
 * "/api/v1/verifications/stats" wins over "/api/v1/verifications/{id}" whatever the
 * registration order). Used by the server; exposed for tests.
 *
 * Thread safety: build the table first (http_router_add), then match from any thread.
 */
#ifndef MOBID_HTTP_ROUTER_H
#define MOBID_HTTP_ROUTER_H

#include <stdbool.h>
#include <mobid/base.h>

#define HTTP_MAX_SEGMENTS 16
#define HTTP_MAX_PARAMS 8

typedef void (*http_fn)(void); /* the handler, cast back by the server */

typedef struct http_route {
    struct http_route *next;
    char *method;  /* "GET", "POST", ... */
    char *pattern; /* as registered, used as the metrics label */
    size_t nsegs;
    char *segs[HTTP_MAX_SEGMENTS]; /* literal text, or "{name}" */
    http_fn handler;               /* opaque to the router */
    void *ctx;
    unsigned flags;                /* MOBID_HTTP_INLINE or 0: read by the server */
} http_route;

typedef struct http_router {
    http_route *routes;
} http_router;

typedef struct http_params {
    size_t n;
    const char *names[HTTP_MAX_PARAMS]; /* point into the route (without braces: name_len) */
    size_t name_lens[HTTP_MAX_PARAMS];
    mobid_view values[HTTP_MAX_PARAMS]; /* point into the matched path */
} http_params;

/* Add a route; method and pattern are copied. The pattern must start with '/', have at
 * most HTTP_MAX_SEGMENTS segments and HTTP_MAX_PARAMS parameters, and not repeat an
 * existing method + pattern. Returns MOBID_ERR_INVALID_ARG or MOBID_ERR_NOMEM. */
mobid_err http_router_add(http_router *r, const char *method, const char *pattern,
                          http_fn handler, void *ctx);

/* The route last added (the table's tail), to set its flags; NULL when empty. */
http_route *http_router_last(http_router *r);

/* Find the route for method and path (HEAD also matches GET routes). Returns NULL when
 * none matches; then *path_known tells whether the path matched with another method
 * (405 rather than 404) and allow (may be NULL) receives the allowed methods. */
const http_route *http_router_match(const http_router *r, const char *method, const char *path,
                                    http_params *params, bool *path_known, mobid_buf *allow);

void http_router_free(http_router *r);

#endif
