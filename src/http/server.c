/* src/http: the libmicrohttpd server — life cycle, body limit, dispatch to the
 * workers, built-ins. See server.h for how a request travels. */
#include "http/http_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_MAX_CONNECTIONS 16384
#define DEFAULT_PER_CLIENT 256
#define DEFAULT_TIMEOUT_S 30
/* MHD's own timeout (DEFAULT_TIMEOUT_S) counts only silence, so a client trickling a
 * byte at a time never meets it; the reaper's whole-request deadline does (park.c). */
#define DEFAULT_REQUEST_TIMEOUT_S 20
#define DEFAULT_IO_THREADS 2
#define DEFAULT_WORKERS 8
#define DEFAULT_MAX_QUEUE 1024
/* At stop, requests in progress get up to 10 s (docs/operations.md): a verification takes
 * milliseconds even loaded, and parked long-polls are woken first, so they do not count. */
#define STOP_GRACE_MS 10000
#define FDS_KEPT 256 /* open files left for the store, logs and other servers */

/* ---- configuration ---- */

/* "HOST:PORT" or "[V6]:PORT"; "localhost" means 127.0.0.1. */
static mobid_err parse_listen(mobid_http_server *s, const char *listen)
{
    const char *colon = strrchr(listen, ':');
    if (!colon || colon == listen)
        return MOBID_ERR_INVALID_ARG;
    const char *host = listen;
    size_t hlen = (size_t)(colon - listen);
    if (host[0] == '[') {
        if (hlen < 3 || host[hlen - 1] != ']')
            return MOBID_ERR_INVALID_ARG;
        host++;
        hlen -= 2;
        s->ipv6 = true;
    }
    if (hlen >= sizeof s->host)
        return MOBID_ERR_INVALID_ARG;
    memcpy(s->host, host, hlen);
    s->host[hlen] = 0;
    if (!strcmp(s->host, "localhost"))
        strcpy(s->host, "127.0.0.1");
    char *end = NULL;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (errno || end == colon + 1 || *end || port < 0 || port > 65535)
        return MOBID_ERR_INVALID_ARG;
    s->port = (uint16_t)port;
    uint8_t probe[16];
    if (inet_pton(s->ipv6 ? AF_INET6 : AF_INET, s->host, probe) != 1)
        return MOBID_ERR_INVALID_ARG;
    return MOBID_OK;
}

/* ---- built-in routes ---- */

/* Liveness: the process answers. Runs on the event thread and touches nothing. */
static mobid_err on_healthz(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    mobid_http_server *s = ctx;
    json_t *j = json_pack("{s:s,s:s}", "status", "ok", "service", s->name);
    if (!j)
        return MOBID_ERR_NOMEM;
    mobid_err err = mobid_http_resp_json(resp, 200, j);
    json_decref(j);
    if (err == MOBID_OK)
        err = mobid_http_resp_header(resp, "Cache-Control", "no-store");
    return err;
}

/* Readiness: the service can do its work (the check pings the store). */
static mobid_err on_readyz(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    mobid_http_server *s = ctx;
    bool ok = !s->health || s->health(s->health_ctx) == MOBID_OK;
    json_t *j = json_pack("{s:s,s:s}", "status", ok ? "ok" : "unavailable", "service", s->name);
    if (!j)
        return MOBID_ERR_NOMEM;
    mobid_err err = mobid_http_resp_json(resp, ok ? 200 : 503, j);
    json_decref(j);
    if (err == MOBID_OK)
        err = mobid_http_resp_header(resp, "Cache-Control", "no-store");
    return err;
}

static mobid_err on_metrics(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    mobid_http_server *s = ctx;
    (void)mobid_metrics_set(s->metrics, HTTP_PARKED_METRIC, NULL,
                            (double)mobid_http_server_parked(s));
    mobid_buf text;
    mobid_buf_init(&text, 0);
    mobid_err err = mobid_metrics_render(s->metrics, &text);
    if (err == MOBID_OK)
        err = mobid_http_resp_body(resp, 200, "text/plain; version=0.0.4; charset=utf-8",
                                   mobid_buf_view(&text));
    mobid_buf_free(&text);
    return err;
}

mobid_err mobid_http_server_new(const mobid_http_config *cfg, mobid_http_server **out)
{
    mobid_http_config none = { 0 };
    if (!cfg)
        cfg = &none;
    mobid_http_server *s = mobid_calloc(1, sizeof *s);
    if (!s)
        return MOBID_ERR_NOMEM;
    s->max_body = cfg->max_body ? cfg->max_body : MOBID_HTTP_DEFAULT_MAX_BODY;
    s->max_connections = cfg->max_connections;
    s->per_client = cfg->per_client_connections ? cfg->per_client_connections : DEFAULT_PER_CLIENT;
    s->timeout_s = cfg->timeout_s ? cfg->timeout_s : DEFAULT_TIMEOUT_S;
    s->request_timeout_s = cfg->request_timeout_s ? cfg->request_timeout_s : DEFAULT_REQUEST_TIMEOUT_S;
    s->io_threads = cfg->io_threads ? cfg->io_threads : DEFAULT_IO_THREADS;
    s->nworkers = cfg->workers ? cfg->workers : DEFAULT_WORKERS;
    s->max_queue = cfg->max_queue ? cfg->max_queue : DEFAULT_MAX_QUEUE;
    s->lot.epfd = -1;
    pthread_mutex_init(&s->lot.lock, NULL);
    pthread_mutex_init(&s->queue.lock, NULL);
    pthread_cond_init(&s->queue.ready, NULL);
    pthread_mutex_init(&s->conns_lock, NULL);
    s->access_log = cfg->access_log;
    s->name = mobid_view_strdup(mobid_view_str(cfg->name ? cfg->name : "mobid"));
    mobid_err err = s->name ? MOBID_OK : MOBID_ERR_NOMEM;
    if (err == MOBID_OK)
        err = parse_listen(s, cfg->listen ? cfg->listen : "127.0.0.1:0");
    if (err == MOBID_OK)
        err = mobid_metrics_new(&s->metrics);
    if (err == MOBID_OK)
        err = mobid_metrics_declare(s->metrics, HTTP_PARKED_METRIC,
                                    "Requests parked (long-polls waiting for an event)",
                                    MOBID_METRIC_GAUGE);
    if (err == MOBID_OK)
        err = mobid_metrics_declare(s->metrics, HTTP_REFUSED_METRIC,
                                    "Requests refused for overload (queue_full: 503, "
                                    "request_timeout: 408 at the request deadline)",
                                    MOBID_METRIC_COUNTER);
    if (err == MOBID_OK)
        err = mobid_http_route_flags(s, "GET", "/healthz", on_healthz, s, MOBID_HTTP_INLINE);
    if (err == MOBID_OK)
        err = mobid_http_route(s, "GET", "/readyz", on_readyz, s);
    if (err == MOBID_OK)
        err = mobid_http_route_flags(s, "GET", "/metrics", on_metrics, s, MOBID_HTTP_INLINE);
    if (err == MOBID_OK)
        err = http_lot_init(s);
    if (err != MOBID_OK) {
        mobid_http_server_free(s);
        return err;
    }
    *out = s;
    return MOBID_OK;
}

mobid_err mobid_http_route_flags(mobid_http_server *s, const char *method, const char *pattern,
                                 mobid_http_handler handler, void *ctx, unsigned flags)
{
    if (!s || s->daemon || (flags & ~MOBID_HTTP_INLINE))
        return MOBID_ERR_INVALID_ARG;
    mobid_err err = http_router_add(&s->router, method, pattern, (http_fn)handler, ctx);
    if (err == MOBID_OK)
        http_router_last(&s->router)->flags = flags;
    return err;
}

mobid_err mobid_http_route(mobid_http_server *s, const char *method, const char *pattern,
                           mobid_http_handler handler, void *ctx)
{
    return mobid_http_route_flags(s, method, pattern, handler, ctx, MOBID_HTTP_ON_WORKER);
}

mobid_err mobid_http_server_on_stop(mobid_http_server *s, void (*fn)(void *ctx), void *ctx)
{
    if (!s || s->daemon || !fn)
        return MOBID_ERR_INVALID_ARG;
    free_hook *h = mobid_calloc(1, sizeof *h);
    if (!h)
        return MOBID_ERR_NOMEM;
    h->fn = fn;
    h->ctx = ctx;
    h->next = s->on_stop;
    s->on_stop = h;
    return MOBID_OK;
}

void mobid_http_server_set_health(mobid_http_server *s, mobid_err (*check)(void *ctx), void *ctx)
{
    s->health = check;
    s->health_ctx = ctx;
}

/* ---- one request ---- */

static enum MHD_Result send_response(mobid_http_req *r)
{
    mobid_http_resp *rs = &r->resp;
    if (!rs->status)
        rs->status = rs->has_body ? 200 : 204;
    /* Counted now, not when sending ends: a client that reads /metrics right after
     * its previous response then always sees that request. */
    mobid_metrics_observe_request(r->srv->metrics, r->route ? r->route->pattern : NULL,
                                  r->method, rs->status, http_now() - r->start);
    struct MHD_Response *m = MHD_create_response_from_buffer(
        rs->body.len, rs->body.ptr ? rs->body.ptr : (uint8_t *)"", MHD_RESPMEM_MUST_COPY);
    if (!m)
        return MHD_NO;
    bool ok = MHD_add_response_header(m, "X-Content-Type-Options", "nosniff") == MHD_YES &&
              http_log_header(r, m);
    if (rs->content_type)
        ok = ok && MHD_add_response_header(m, "Content-Type", rs->content_type) == MHD_YES;
    for (const resp_header *h = rs->headers; h && ok; h = h->next)
        ok = MHD_add_response_header(m, h->name, h->value) == MHD_YES;
    enum MHD_Result ret = ok ? MHD_queue_response(r->conn, rs->status, m) : MHD_NO;
    MHD_destroy_response(m);
    return ret;
}

/* Replace whatever the handler left with a fresh error response. */
static void error_response(mobid_http_req *r, unsigned status, const char *code, const char *detail)
{
    r->resp.headers = NULL;
    r->resp.status = 0;
    r->resp.has_body = false;
    r->resp.content_type = NULL;
    if (mobid_http_resp_error(&r->resp, status, code, detail) != MOBID_OK)
        mobid_http_resp_status(&r->resp, status);
}

/* Find the route; answer 404/405 itself. False when there is no handler to run. */
static bool route(mobid_http_req *r)
{
    bool known = false;
    mobid_buf allow;
    mobid_buf_init(&allow, 1024);
    r->route = http_router_match(&r->srv->router, r->method, r->path, &r->params, &known, &allow);
    if (!r->route && known) {
        error_response(r, 405, "method_not_allowed", "method not allowed on this path");
        if (allow.len)
            (void)mobid_http_resp_header(&r->resp, "Allow", (const char *)allow.ptr);
    } else if (!r->route) {
        if (!http_page_fallback_run(r))
            error_response(r, 404, "not_found", "no such path");
    }
    mobid_buf_free(&allow);
    return r->route != NULL;
}

static void run_handler(mobid_http_req *r)
{
    mobid_err err;
    if (r->resume) {
        mobid_http_resume fn = r->resume;
        r->resume = NULL;
        err = fn(r, &r->resp, r->resume_ctx, r->why);
    } else {
        mobid_http_handler h = (mobid_http_handler)r->route->handler;
        http_log_bind(r);
        err = h(r, &r->resp, r->route->ctx);
        http_log_bind(NULL);
    }
    if (err != MOBID_OK && r->park_asked) {
        r->park_asked = false;
        r->resume = NULL;
    }
    if (err != MOBID_OK && !r->resp.status)
        error_response(r, 500, "server_error", mobid_svc_err_name(err));
}

void http_run_job(mobid_http_req *r)
{
    r->park_asked = false;
    run_handler(r);
    if (r->park_asked && r->why == MOBID_HTTP_STOPPING) {
        r->park_asked = false;
        r->resume = NULL;
        error_response(r, 503, "stopping", "the server is stopping");
        (void)mobid_http_resp_header(&r->resp, "Retry-After", "1");
    }
    if (r->park_asked) {
        http_lot_park(r->srv, r);
        return;
    }
    r->state = REQ_READY;
    MHD_resume_connection(r->conn);
}

static http_conn *conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static void conn_busy(mobid_http_server *s, http_conn *hc, bool busy)
{
    if (!hc)
        return;
    pthread_mutex_lock(&s->conns_lock);
    hc->busy = busy;
    if (!busy)
        hc->deadline = http_now() + s->request_timeout_s;
    pthread_mutex_unlock(&s->conns_lock);
}

/* First call for a request: set it up and refuse an announced oversize body. */
static enum MHD_Result begin(mobid_http_server *s, struct MHD_Connection *c, const char *url,
                             const char *method, void **con_cls)
{
    mobid_http_req *r = http_req_new(s, c, method, url);
    if (!r)
        return MHD_NO;
    r->hc = conn_of(c);
    r->fd = -1;
    *con_cls = r;
    atomic_fetch_add(&s->inflight, 1);
    /* An announced size over the limit is refused before a byte of the body is read or
     * a buffer is grown for it. */
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    if (cl) {
        char *end = NULL;
        errno = 0;
        unsigned long long n = strtoull(cl, &end, 10);
        if (errno || end == cl || *end || cl[0] == '-' || n > s->max_body) {
            r->too_big = true;
            conn_busy(s, r->hc, true);
            error_response(r, 413, "payload_too_large", "request body exceeds the limit");
            return send_response(r);
        }
    }
    return MHD_YES;
}

/* An inline route's handler, here on the event thread: no suspend, queue, wake-up or
 * resume. A handler that parks is suspended and parked as from a worker (the lot may
 * hand it straight to a worker: a wake came already, or the server stops). */
static enum MHD_Result run_inline(mobid_http_server *s, mobid_http_req *r)
{
    r->park_asked = false;
    run_handler(r);
    if (!r->park_asked)
        return send_response(r);
    MHD_suspend_connection(r->conn);
    http_lot_park(s, r);
    return MHD_YES;
}

/* The whole request is in: answer inline, or queue it for a worker and suspend. */
static enum MHD_Result received(mobid_http_server *s, mobid_http_req *r)
{
    conn_busy(s, r->hc, true);
    if (r->too_big) {
        error_response(r, 413, "payload_too_large", "request body exceeds the limit");
        return send_response(r);
    }
    if (!route(r))
        return send_response(r);
    if (r->route->flags & MOBID_HTTP_INLINE)
        return run_inline(s, r);
    /* Suspend first: a quick worker may resume the connection before we return. */
    MHD_suspend_connection(r->conn);
    if (http_queue_push(s, r, true))
        return MHD_YES;
    MHD_resume_connection(r->conn);
    const char *labels[] = { "reason", "queue_full", NULL };
    (void)mobid_metrics_add(s->metrics, HTTP_REFUSED_METRIC, labels, 1);
    r->state = REQ_READY;
    (void)mobid_http_resp_retry_later(&r->resp, 503, 1, "overloaded",
                                      "the server is busy; retry shortly");
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **con_cls)
{
    mobid_http_server *s = cls;
    mobid_http_req *r = *con_cls;
    if (!r)
        return begin(s, c, url, method, con_cls);
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (r->too_big || mobid_buf_append(&r->body, upload_data, n) != MOBID_OK) {
            /* A chunked body crossed the limit: drop what came, answer 413 at the end,
             * and give up on the connection if the sender keeps going. */
            r->too_big = true;
            mobid_buf_free(&r->body);
            r->discarded += n;
            if (r->discarded > 4 * s->max_body)
                return MHD_NO;
        }
        return MHD_YES;
    }
    switch (r->state) {
    case REQ_RECEIVING:
        return received(s, r);
    case REQ_READY:
        return send_response(r);
    case REQ_GONE:
        return MHD_NO;
    default: /* resumed spuriously while a worker or the lot has it */
        MHD_suspend_connection(c);
        return MHD_YES;
    }
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    mobid_http_server *s = cls;
    mobid_http_req *r = *con_cls;
    if (!r)
        return;
    *con_cls = NULL;
    double secs = http_now() - r->start;
    http_log_access(r, secs);
    conn_busy(s, r->hc, false);
    http_req_free(r);
    atomic_fetch_sub(&s->inflight, 1);
}

/* Track each connection for the request deadline (see park.c, cut_slow). */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    mobid_http_server *s = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        http_conn *hc = mobid_calloc(1, sizeof *hc);
        *socket_context = hc;
        if (!hc || !ci)
            return;
        hc->fd = ci->connect_fd;
        hc->deadline = http_now() + s->request_timeout_s;
        pthread_mutex_lock(&s->conns_lock);
        hc->next = s->conns;
        if (s->conns)
            s->conns->prev = hc;
        s->conns = hc;
        pthread_mutex_unlock(&s->conns_lock);
        return;
    }
    http_conn *hc = *socket_context;
    *socket_context = NULL;
    if (!hc)
        return;
    pthread_mutex_lock(&s->conns_lock);
    if (hc->prev)
        hc->prev->next = hc->next;
    else if (s->conns == hc)
        s->conns = hc->next;
    if (hc->next)
        hc->next->prev = hc->prev;
    pthread_mutex_unlock(&s->conns_lock);
    mobid_free(hc);
}

/* ---- life cycle ---- */

/* Room for max_connections sockets: raise the soft open-file limit to the hard one. */
static unsigned connection_limit(const mobid_http_server *s)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return s->max_connections ? s->max_connections : 1024;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
        (void)getrlimit(RLIMIT_NOFILE, &rl);
    }
    rlim_t room = rl.rlim_cur > 2 * FDS_KEPT ? rl.rlim_cur - FDS_KEPT : rl.rlim_cur / 2;
    unsigned want = s->max_connections ? s->max_connections : DEFAULT_MAX_CONNECTIONS;
    return room < want ? (unsigned)room : want;
}

/* Once stop began, a new connection is closed as soon as it is accepted. */
static enum MHD_Result accept_policy(void *cls, const struct sockaddr *addr, socklen_t len)
{
    mobid_http_server *s = cls;
    return atomic_load(&s->stopping) ? MHD_NO : MHD_YES;
}

static struct MHD_Daemon *start_daemon(mobid_http_server *s, const struct sockaddr *addr)
{
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC |
                     (s->ipv6 ? MHD_USE_IPv6 : 0) | (s->access_log ? MHD_USE_ERROR_LOG : 0);
    unsigned per_client = s->per_client == MOBID_HTTP_UNLIMITED ? 0 : s->per_client;
    return MHD_start_daemon(flags, s->port, accept_policy, s, on_request, s,
                            MHD_OPTION_SOCK_ADDR, addr,
                            MHD_OPTION_THREAD_POOL_SIZE, s->io_threads,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                            MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
                            MHD_OPTION_CONNECTION_LIMIT, connection_limit(s),
                            MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_client,
                            MHD_OPTION_CONNECTION_TIMEOUT, s->timeout_s,
                            MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024,
                            MHD_OPTION_END);
}

mobid_err mobid_http_server_start(mobid_http_server *s)
{
    if (!s || s->daemon)
        return MOBID_ERR_INVALID_ARG;
    struct sockaddr_in sin = { 0 };
    struct sockaddr_in6 sin6 = { 0 };
    const struct sockaddr *addr = (const struct sockaddr *)&sin;
    if (s->ipv6) {
        sin6.sin6_family = AF_INET6;
        sin6.sin6_port = htons(s->port);
        inet_pton(AF_INET6, s->host, &sin6.sin6_addr);
        addr = (const struct sockaddr *)&sin6;
    } else {
        sin.sin_family = AF_INET;
        sin.sin_port = htons(s->port);
        inet_pton(AF_INET, s->host, &sin.sin_addr);
    }
    atomic_store(&s->stopping, false);
    mobid_err err = http_workers_start(s);
    if (err == MOBID_OK)
        err = http_reaper_start(s);
    if (err == MOBID_OK && !(s->daemon = start_daemon(s, addr))) {
        fprintf(stderr, "mobid: %s server: cannot listen on %s:%u: %s\n", s->name, s->host,
                (unsigned)s->port, strerror(errno));
        err = MOBID_ERR_IO;
    }
    if (err != MOBID_OK) {
        http_reaper_stop(s);
        http_workers_stop(s);
        return err;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    if (info && info->port)
        s->port = info->port;
    snprintf(s->url, sizeof s->url, s->ipv6 ? "http://[%s]:%u" : "http://%s:%u", s->host,
             (unsigned)s->port);
    return MOBID_OK;
}

uint16_t mobid_http_server_port(const mobid_http_server *s)
{
    return s->port;
}

const char *mobid_http_server_url(const mobid_http_server *s)
{
    return s->url;
}

bool mobid_http_server_stopping(const mobid_http_server *s)
{
    return atomic_load(&s->stopping);
}

static void run_stop_hooks(mobid_http_server *s)
{
    if (s->on_stop_ran)
        return;
    s->on_stop_ran = true;
    for (free_hook *h = s->on_stop; h; h = h->next)
        h->fn(h->ctx);
}

/* Stop accepting; parked requests are resumed with MOBID_HTTP_STOPPING and answered;
 * the workers finish the queue (MHD forbids stopping with suspended connections).
 * New connections are refused by accept_policy, not MHD_quiesce_daemon: with several
 * event threads, libmicrohttpd 0.9.75's quiesce races the threads that take the
 * listening socket out of their own epoll sets and aborts the process ("Failed to
 * remove listen FD from epoll set", about one stop in 500 on a loaded machine). */
void mobid_http_server_stop(mobid_http_server *s)
{
    if (!s || !s->daemon)
        return;
    atomic_store(&s->stopping, true);
    http_reaper_stop(s);
    run_stop_hooks(s);
    http_lot_wake_all(s, MOBID_HTTP_STOPPING);
    /* Let requests already being handled finish before connections are closed. */
    for (int waited = 0; atomic_load(&s->inflight) > 0 && waited < STOP_GRACE_MS; waited += 10) {
        struct timespec ten_ms = { 0, 10 * 1000 * 1000 };
        nanosleep(&ten_ms, NULL);
    }
    http_workers_stop(s);
    MHD_stop_daemon(s->daemon);
    s->daemon = NULL;
    http_log_flush(); /* every access line is out once stop returns */
}

void mobid_http_server_free(mobid_http_server *s)
{
    if (!s)
        return;
    mobid_http_server_stop(s);
    run_stop_hooks(s); /* also when the server never started */
    for (free_hook *h = s->on_stop, *next; h; h = next) {
        next = h->next;
        mobid_free(h);
    }
    for (free_hook *h = s->owned, *next; h; h = next) {
        next = h->next;
        h->fn(h->ctx);
        mobid_free(h);
    }
    http_lot_free(s);
    pthread_mutex_destroy(&s->lot.lock);
    pthread_mutex_destroy(&s->queue.lock);
    pthread_cond_destroy(&s->queue.ready);
    pthread_mutex_destroy(&s->conns_lock);
    http_router_free(&s->router);
    mobid_metrics_free(s->metrics);
    mobid_free(s->name);
    mobid_free(s);
}

mobid_metrics *mobid_http_server_metrics(mobid_http_server *s)
{
    return s->metrics;
}

/* ---- signals ---- */

mobid_err mobid_http_signals_block(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGPIPE);
    return pthread_sigmask(SIG_BLOCK, &set, NULL) == 0 ? MOBID_OK : MOBID_ERR_IO;
}

int mobid_http_signals_wait(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    int sig = 0;
    while (sigwait(&set, &sig) != 0)
        ;
    return sig;
}
