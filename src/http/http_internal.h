/* Internals shared by server.c and request.c (not for services). */
#ifndef MOBID_HTTP_INTERNAL_H
#define MOBID_HTTP_INTERNAL_H

#include <stdatomic.h>
#include <stddef.h>
#include <microhttpd.h>
#include "http/router.h"
#include "http/server.h"

/* Whole-request arena cap: the body has its own limit; this bounds handler scratch. */
#define HTTP_ARENA_MAX ((size_t)64 * 1024 * 1024)

typedef struct arena_chunk {
    struct arena_chunk *next;
    size_t used;
    size_t cap;
    max_align_t data[];
} arena_chunk;

typedef struct http_arena {
    arena_chunk *head;
    size_t total;
} http_arena;

typedef struct resp_header {
    struct resp_header *next;
    const char *name;
    const char *value;
} resp_header;

struct mobid_http_resp {
    mobid_http_req *req;
    unsigned status;       /* 0 = not set */
    const char *content_type;
    mobid_buf body;
    bool has_body;
    resp_header *headers;  /* in arena */
};

struct mobid_http_req {
    mobid_http_server *srv;
    struct MHD_Connection *conn;
    http_arena arena;
    const char *method;
    const char *path;
    const http_route *route;
    http_params params;
    mobid_buf body;
    bool too_big;
    size_t discarded;
    double start;
    bool form_parsed;
    mobid_err form_err;
    mobid_http_form form;
    char remote[64];
    mobid_http_resp resp;
};

struct mobid_http_server {
    char *name;
    char host[64];
    uint16_t port;
    bool ipv6;
    size_t max_body;
    unsigned max_connections;
    unsigned timeout_s;
    bool access_log;
    http_router router;
    mobid_metrics *metrics;
    struct MHD_Daemon *daemon;
    atomic_bool stopping;
    atomic_int inflight; /* requests received and not yet completed */
    char url[96];
    mobid_err (*health)(void *ctx);
    void *health_ctx;
};

/* request.c */
mobid_http_req *http_req_new(mobid_http_server *srv, struct MHD_Connection *conn,
                             const char *method, const char *path);
void http_req_free(mobid_http_req *r);
double http_now(void);

#endif
