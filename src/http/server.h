/*
 * mobid HTTP server: libmicrohttpd in epoll mode with a few event threads, a fixed
 * pool of worker threads for handlers, parked long-polls, a router, a per-request
 * arena, JSON/form helpers, /healthz, /readyz and /metrics built in.
 *
 * Life cycle (a supervisor such as `mobid up` runs several servers in one process):
 *     mobid_http_signals_block();              // before any thread starts
 *     mobid_http_server_new(&cfg, &srv);
 *     mobid_http_route(srv, "POST", "/token", on_token, svc);
 *     mobid_http_server_start(srv);            // listening when this returns
 *     mobid_http_signals_wait();               // SIGINT or SIGTERM
 *     mobid_http_server_stop(srv);             // stops accepting, finishes requests
 *     mobid_http_server_free(srv);
 *
 * How a request travels. The event threads (io_threads, epoll) read the head and the
 * body. For a route marked MOBID_HTTP_INLINE (handlers that never wait), the event
 * thread runs the handler and sends the answer itself. Any other request goes to a
 * bounded queue and its connection is suspended; a worker (one of `workers`) runs the
 * handler and resumes the connection, and an event thread sends the answer. A
 * sleeping worker is woken only when the workers awake between jobs (and those
 * already signalled) are fewer than the queued requests: a worker that finishes takes
 * the next one without sleeping. Access log lines are gathered and written together
 * (http/log.h). /healthz (liveness: the process answers; it never touches the store)
 * and /metrics are inline, so they never wait behind the workers' business traffic;
 * /readyz runs the readiness check (mobid_http_server_set_health, e.g. a store ping)
 * on a worker.
 *
 * Parking (long-polls). A handler that must wait for an event calls
 * mobid_http_req_watch(req, key) before it reads the state, then, when there is
 * nothing to answer yet, mobid_http_req_park(req, timeout, resume, ctx) and returns.
 * The connection then holds no thread and no store connection. resume runs on a
 * worker (also for an inline route) when mobid_http_server_wake(srv, key) is called (from any thread: the code
 * that finished the work, or a listener for another instance's notifications), when
 * the timeout passes, or when the server stops; it may answer or park again. A wake
 * between watch and park is not lost (the request is resumed at once). A client that
 * disconnects while parked is noticed (EPOLLRDHUP) and its request freed; hooks added
 * with mobid_http_req_on_free release what a parked request holds.
 *
 * Stopping: connections made once stop began are closed at accept (an accept policy;
 * libmicrohttpd's quiesce races its own event threads), parked requests are answered,
 * and requests in progress get up to 10 s.
 *
 * Overload gets an answer, never a hang: a full worker queue is answered 503 with
 * Retry-After; a request whose head and body are not all in within
 * request_timeout_s is answered 408 and its connection closed (slow clients cannot
 * hold a slot by trickling bytes); one source address holds at most
 * per_client_connections connections (more are closed at accept), all clients together
 * max_connections. Bodies larger than max_body get 413 before the handler runs (up
 * front when Content-Length says so; a chunked body is cut off as it crosses the
 * limit). Unknown paths get 404, known paths with another method 405 with Allow; a
 * handler error without a response becomes 500 {"error":"server_error"}. Rate limits
 * per relying party or per source address: http/ratelimit.h.
 *
 * Listening is loopback by default ("127.0.0.1:0" picks a free port); TLS terminates at
 * a reverse proxy.
 *
 * Thread safety: routes are added before start. Handlers run concurrently on the
 * workers and event threads, so their ctx must be thread-safe; a store connection is taken per request
 * (mobid_store_pool) and given back before the handler returns or parks. A request and
 * its response belong to the one thread running its handler or resume function.
 *
 * Ownership: every string a request accessor returns and every arena allocation lives
 * until the response is sent; the server frees them. Strings passed to response
 * functions are copied.
 */
#ifndef MOBID_HTTP_SERVER_H
#define MOBID_HTTP_SERVER_H

#include <stdint.h>
#include <jansson.h>
#include <mobid/base.h>
#include "common/svc_error.h"
#include "http/form.h"
#include "http/metrics.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mobid_http_server mobid_http_server;
typedef struct mobid_http_req mobid_http_req;
typedef struct mobid_http_resp mobid_http_resp;

/* A route handler: read req, fill resp. Return MOBID_OK, or an error to have the
 * server answer 500 when the handler set no status itself. */
typedef mobid_err (*mobid_http_handler)(mobid_http_req *req, mobid_http_resp *resp, void *ctx);

#define MOBID_HTTP_DEFAULT_MAX_BODY ((size_t)1024 * 1024)

/* per_client_connections = MOBID_HTTP_UNLIMITED: no cap per source address. */
#define MOBID_HTTP_UNLIMITED 0xffffffffu

typedef struct mobid_http_config {
    const char *name;          /* service name for /healthz and the access log ("issuer") */
    const char *listen;        /* "HOST:PORT", "[v6]:PORT"; NULL = "127.0.0.1:0" */
    size_t max_body;           /* request body limit in bytes; 0 = 1 MiB */
    unsigned max_connections;  /* all clients; 0 = what the open-file limit allows, at
                                  most 16384 */
    unsigned timeout_s;        /* idle connection timeout; 0 = 30 */
    bool access_log;           /* one JSON line per request on stderr (http/log.h) */
    unsigned per_client_connections; /* per source address; 0 = 256 */
    unsigned request_timeout_s;      /* head and body complete within; 0 = 20 */
    unsigned io_threads;       /* event threads; 0 = 2 */
    unsigned workers;          /* handler threads; 0 = 8 */
    unsigned max_queue;        /* requests waiting for a worker before 503; 0 = 1024 */
} mobid_http_config;

/* Create a server (not yet listening) with /healthz and /metrics routed. cfg strings
 * are copied. Returns MOBID_ERR_INVALID_ARG for a bad listen address, NOMEM. */
MOBID_MUST_CHECK mobid_err mobid_http_server_new(const mobid_http_config *cfg,
                                                 mobid_http_server **out);

/* Route method + pattern ("/api/v1/verifications/{id}") to handler; see router.h for
 * matching rules. The handler runs on a worker. Only before start.
 * MOBID_ERR_INVALID_ARG for a bad or duplicate pattern. */
mobid_err mobid_http_route(mobid_http_server *s, const char *method, const char *pattern,
                           mobid_http_handler handler, void *ctx);

/* Route flags: where the handler runs. */
#define MOBID_HTTP_ON_WORKER 0u /* on a worker (what mobid_http_route does) */
/* On the event thread that read the request, with no hand-off to a worker (saves a
 * suspend, a queue, a wake-up and a resume: about a tenth of the verifier's CPU per
 * request). Only for handlers that never wait: CPU work and reads are fine, deferred
 * store commits are fine; a durable store commit (it waits for an fsync), a call to
 * another server, a lock held long or a store pool that can run dry is not, since the
 * event thread's other connections (liveness among them) wait meanwhile. Such a
 * handler may park (mobid_http_req_park); its resume function runs on a worker. */
#define MOBID_HTTP_INLINE 1u

/* mobid_http_route with flags (MOBID_HTTP_ON_WORKER or MOBID_HTTP_INLINE). */
mobid_err mobid_http_route_flags(mobid_http_server *s, const char *method, const char *pattern,
                                 mobid_http_handler handler, void *ctx, unsigned flags);

/* Answer GET and HEAD requests under prefix (e.g. "/console/") that match no route
 * with handler (an HTML "not found" page of a web UI) instead of the JSON 404; the
 * longest matching prefix wins, and a NULL handler keeps the JSON 404 below it (e.g.
 * "/" for pages, "/api/" for JSON). The handler sets the status (404). Only before
 * start; at most 4 per server. MOBID_ERR_INVALID_ARG for a bad prefix or too many. */
mobid_err mobid_http_not_found(mobid_http_server *s, const char *prefix,
                               mobid_http_handler handler, void *ctx);

/* What a web UI's pages may do beyond the common policy of
 * mobid_http_page_headers. */
typedef struct mobid_http_page_policy {
    bool blob_images;        /* img-src also blob: (images the page makes) */
    bool blob_media;         /* media-src 'self' blob: (a camera preview) */
    bool no_store;           /* Cache-Control: no-store (pages with personal data) */
    const char *permissions; /* a Permissions-Policy header, or NULL */
} mobid_http_page_policy;

/* The headers of every page of mobid's web UIs: a Content-Security-Policy that allows
 * scripts, styles, images, fetches and forms from the page's own origin only (no
 * inline script or style, no event handler attributes, never framed), nosniff, no
 * Referer, X-Frame-Options DENY; then what p adds (p may be NULL). */
void mobid_http_page_headers(mobid_http_resp *resp, const mobid_http_page_policy *p);

/* Optional readiness check for /readyz (e.g. a database ping): MOBID_OK = ready
 * (200 {"status":"ok"}), else 503 {"status":"unavailable"}. /healthz (liveness) never
 * calls it. Only before start. */
void mobid_http_server_set_health(mobid_http_server *s, mobid_err (*check)(void *ctx), void *ctx);

/* Bind and start serving. MOBID_ERR_IO when the address cannot be bound. */
MOBID_MUST_CHECK mobid_err mobid_http_server_start(mobid_http_server *s);

/* The bound port (useful with port 0) and base URL "http://127.0.0.1:PORT" (owned by
 * the server). Valid after start. */
uint16_t mobid_http_server_port(const mobid_http_server *s);
const char *mobid_http_server_url(const mobid_http_server *s);

/* True once stop was called (parked requests are resumed with MOBID_HTTP_STOPPING). */
bool mobid_http_server_stopping(const mobid_http_server *s);

/* Stop accepting, let running handlers finish, close connections. Idempotent. */
void mobid_http_server_stop(mobid_http_server *s);

/* Run fn(ctx) when the server stops, before parked requests are answered (e.g. stop a
 * thread that calls mobid_http_server_wake). Hooks run in reverse order of adding.
 * Only before start. MOBID_ERR_INVALID_ARG, NOMEM. */
mobid_err mobid_http_server_on_stop(mobid_http_server *s, void (*fn)(void *ctx), void *ctx);

/* Stop if needed and free everything. Safe on NULL. */
void mobid_http_server_free(mobid_http_server *s);

/* The server's metrics registry (owned by the server; thread-safe). */
mobid_metrics *mobid_http_server_metrics(mobid_http_server *s);

/* ---- parked requests (long-polls) ---- */

typedef enum mobid_http_wake {
    MOBID_HTTP_WOKEN = 1,     /* mobid_http_server_wake for the watched key (or all) */
    MOBID_HTTP_TIMED_OUT = 2, /* the park's timeout passed */
    MOBID_HTTP_STOPPING = 3,  /* the server stops: answer now, do not park again */
} mobid_http_wake;

/* Runs on a worker when a parked request is resumed; like a handler it fills resp (it
 * may also park again, except when why is MOBID_HTTP_STOPPING). */
typedef mobid_err (*mobid_http_resume)(mobid_http_req *req, mobid_http_resp *resp, void *ctx,
                                       mobid_http_wake why);

/* Watch key (copied; e.g. a verification id) before reading the state it stands for,
 * so that a wake between the read and mobid_http_req_park is not lost. One key per
 * request; watching again replaces it. MOBID_ERR_NOMEM. */
mobid_err mobid_http_req_watch(mobid_http_req *req, const char *key);

/* Park the request once the handler (or resume function) returns: no response is
 * sent now; fn(req, resp, ctx, why) runs when the watched key is woken, after
 * timeout_s seconds, or at stop. ctx is borrowed (arena memory of the request is
 * fine). MOBID_ERR_INVALID_ARG for a bad timeout or fn. */
mobid_err mobid_http_req_park(mobid_http_req *req, double timeout_s, mobid_http_resume fn,
                              void *ctx);

/* Wake every request parked on key (any thread). Cheap when none waits. */
void mobid_http_server_wake(mobid_http_server *s, const char *key);
/* Wake every parked request (e.g. after notifications from other instances may have
 * been missed). */
void mobid_http_server_wake_all(mobid_http_server *s);
/* Requests parked right now. */
size_t mobid_http_server_parked(mobid_http_server *s);

/* Run fn(ctx) when the request is freed, whichever way it ends (answered, client gone,
 * server stopped); hooks run in reverse order of adding. MOBID_ERR_NOMEM. */
mobid_err mobid_http_req_on_free(mobid_http_req *req, void (*fn)(void *ctx), void *ctx);

/* ---- signals for a supervisor ---- */

/* Block SIGINT, SIGTERM and SIGPIPE in the calling thread; threads created later
 * (the servers') inherit the mask, so the signals wait for mobid_http_signals_wait. */
mobid_err mobid_http_signals_block(void);
/* Wait for SIGINT or SIGTERM and return its number. */
int mobid_http_signals_wait(void);

/* ---- the request ---- */

const char *mobid_http_req_method(const mobid_http_req *r);
/* Path without the query, percent-decoded by libmicrohttpd. */
const char *mobid_http_req_path(const mobid_http_req *r);
/* The matched route pattern, or NULL. */
const char *mobid_http_req_route(const mobid_http_req *r);
/* A {name} segment of the matched route (NULL when the route has none such). */
const char *mobid_http_req_param(mobid_http_req *r, const char *name);
/* First value of a query argument, percent-decoded; NULL when absent. */
const char *mobid_http_req_query(const mobid_http_req *r, const char *name);
/* A request header (case-insensitive name); NULL when absent. */
const char *mobid_http_req_header(const mobid_http_req *r, const char *name);
/* The token of "Authorization: Bearer TOKEN" (scheme case-insensitive); NULL when the
 * header is absent, another scheme, or the token is empty or holds spaces. */
const char *mobid_http_req_bearer(const mobid_http_req *r);
/* A cookie from the Cookie header; NULL when absent. */
const char *mobid_http_req_cookie(const mobid_http_req *r, const char *name);
/* The peer address as text ("127.0.0.1"; behind a proxy, the proxy's). */
const char *mobid_http_req_remote(const mobid_http_req *r);
/* The body (at most max_body bytes; empty when none). */
mobid_view mobid_http_req_body(const mobid_http_req *r);
/* True when Content-Type is mime (parameters such as charset ignored, case-insensitive). */
bool mobid_http_req_content_type_is(const mobid_http_req *r, const char *mime);
mobid_http_server *mobid_http_req_server(const mobid_http_req *r);

/* Per-request arena: memory freed when the response is done. NULL on failure. */
void *mobid_http_req_alloc(mobid_http_req *r, size_t n);
char *mobid_http_req_strdup(mobid_http_req *r, mobid_view v);

/* The body as application/x-www-form-urlencoded (Content-Type must say so, else
 * MOBID_ERR_UNSUPPORTED); parsed once, owned by the request. Errors as
 * mobid_http_form_parse. */
MOBID_MUST_CHECK mobid_err mobid_http_req_form(mobid_http_req *r, const mobid_http_form **out);

/* The body as a JSON object (Content-Type application/json, else UNSUPPORTED;
 * duplicate keys, other top-level types or bad JSON: MALFORMED). The caller owns
 * *out (json_decref). */
MOBID_MUST_CHECK mobid_err mobid_http_req_json(mobid_http_req *r, json_t **out);

/* ---- the response ---- */

/* Status (100..599); default 200 when a body is set, 204 when none is. */
void mobid_http_resp_status(mobid_http_resp *r, unsigned status);
unsigned mobid_http_resp_get_status(const mobid_http_resp *r);
/* Add a header; CR or LF in name or value is MOBID_ERR_INVALID_ARG. */
mobid_err mobid_http_resp_header(mobid_http_resp *r, const char *name, const char *value);

#define MOBID_COOKIE_HTTPONLY 1u
#define MOBID_COOKIE_SECURE 2u
#define MOBID_COOKIE_SAMESITE_LAX 4u
#define MOBID_COOKIE_SAMESITE_STRICT 8u
/* Set-Cookie: name=value; Path=path; Max-Age=max_age (< 0: session cookie; 0 deletes)
 * plus flags. name must be a token and value cookie-octets (MOBID_ERR_INVALID_ARG). */
mobid_err mobid_http_resp_cookie(mobid_http_resp *r, const char *name, const char *value,
                                 const char *path, long max_age, unsigned flags);

/* Set status, Content-Type and body (copied). */
mobid_err mobid_http_resp_body(mobid_http_resp *r, unsigned status, const char *content_type,
                               mobid_view body);
mobid_err mobid_http_resp_text(mobid_http_resp *r, unsigned status, const char *text);
/* JSON body (compact, application/json). j is not consumed. */
mobid_err mobid_http_resp_json(mobid_http_resp *r, unsigned status, const json_t *j);
/* {"error":code,"detail":detail} — mobid's own API errors. */
mobid_err mobid_http_resp_error(mobid_http_resp *r, unsigned status, const char *code,
                                const char *detail);
/* The HTTP status for a mobid error: the one table all services answer with
 * (errors.c). Errors that are the server's own fault are 500. */
unsigned mobid_http_status_of(mobid_err err);
/* mobid_http_resp_error with mobid_http_status_of(err) and the error's stable name;
 * a 500 says "internal error" whatever detail is (NULL: the error's message). */
mobid_err mobid_http_resp_err(mobid_http_resp *r, mobid_err err, const char *detail);
/* {"error":error,"error_description":description} with Cache-Control: no-store —
 * OAuth 2.0 / OpenID4VCI error responses (RFC 6749 §5.2). description may be NULL. */
mobid_err mobid_http_resp_oauth_error(mobid_http_resp *r, unsigned status, const char *error,
                                      const char *description);
/* 429 (rate limited) or 503 (overloaded) with Retry-After: retry_after_s (at least 1)
 * and {"error":code,"detail":detail}. */
mobid_err mobid_http_resp_retry_later(mobid_http_resp *r, unsigned status, unsigned retry_after_s,
                                      const char *code, const char *detail);
/* 302/303 with Location. */
mobid_err mobid_http_resp_redirect(mobid_http_resp *r, unsigned status, const char *location);

#ifdef __cplusplus
}
#endif
#endif
