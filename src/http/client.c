/* src/http: the libcurl client. */
#include "http/client.h"
#include "http/form.h"
#include "http/log.h"

#include <mobid/jose.h>

#include <curl/curl.h>
#include <errno.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A peer that has not answered in 10 s is taken as down: the caller (a request handler
 * or a CLI step) is better served by a clear FETCH_FAILED than by waiting on. */
#define DEFAULT_TIMEOUT_MS 10000L
#define DEFAULT_CONNECT_MS 5000L
#define DEFAULT_MAX_RESPONSE ((size_t)16 * 1024 * 1024)
/* idle connections a multi keeps: at least one a client, for the load tool's 4 096 */
#define MULTI_MAX_IDLE 4096

struct mobid_http_client {
    CURL *curl;
    mobid_http_client_opts opts;
    char *ca_file; /* owned copy of opts.ca_file */
    /* a request started on a multi handle, until it completes */
    struct curl_slist *hdrs;
    mobid_http_result *out;
    void *ud;
};

/* curl's socket interface on an epoll set: a ready socket costs one call, not a poll of
 * every transfer */
struct mobid_http_multi {
    CURLM *m;
    int ep;      /* epoll set of curl's sockets */
    int64_t due; /* curl's timer, monotonic ms, or -1 */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void set_fixed_options(mobid_http_client *c);

static void init_curl(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

mobid_err mobid_http_client_new(const mobid_http_client_opts *opts, mobid_http_client **out)
{
    pthread_once(&curl_once, init_curl);
    if (curl_init_rc != CURLE_OK)
        return MOBID_ERR_FETCH_FAILED;
    mobid_http_client *c = mobid_calloc(1, sizeof *c);
    if (!c)
        return MOBID_ERR_NOMEM;
    if (opts)
        c->opts = *opts;
    if (c->opts.timeout_ms <= 0)
        c->opts.timeout_ms = DEFAULT_TIMEOUT_MS;
    if (c->opts.connect_timeout_ms <= 0)
        c->opts.connect_timeout_ms = DEFAULT_CONNECT_MS;
    if (!c->opts.max_response)
        c->opts.max_response = DEFAULT_MAX_RESPONSE;
    c->opts.ca_file = NULL;
    if (opts && opts->ca_file && !(c->ca_file = mobid_view_strdup(mobid_view_str(opts->ca_file)))) {
        mobid_free(c);
        return MOBID_ERR_NOMEM;
    }
    c->opts.ca_file = c->ca_file;
    c->curl = curl_easy_init();
    if (!c->curl) {
        mobid_free(c->ca_file);
        mobid_free(c);
        return MOBID_ERR_NOMEM;
    }
    set_fixed_options(c);
    *out = c;
    return MOBID_OK;
}

void mobid_http_client_free(mobid_http_client *c)
{
    if (!c)
        return;
    curl_easy_cleanup(c->curl);
    curl_slist_free_all(c->hdrs);
    mobid_free(c->ca_file);
    mobid_free(c);
}

void mobid_http_result_free(mobid_http_result *r)
{
    if (!r)
        return;
    mobid_free(r->content_type);
    mobid_free(r->location);
    mobid_buf_free(&r->body);
    r->content_type = r->location = NULL;
    r->status = 0;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    mobid_buf *b = ud;
    return mobid_buf_append(b, p, size * n) == MOBID_OK ? size * n : 0;
}

static bool http_url(const char *url)
{
    return !strncasecmp(url, "http://", 7) || !strncasecmp(url, "https://", 8);
}

static char *dup_info(CURL *curl, CURLINFO what)
{
    char *v = NULL;
    if (curl_easy_getinfo(curl, what, &v) != CURLE_OK || !v)
        return NULL;
    return mobid_view_strdup(mobid_view_str(v));
}

/* What every request of a client shares, set once: resetting and setting all options
 * for each request was a visible share of a load tool's CPU. */
static void set_fixed_options(mobid_http_client *c)
{
    CURL *k = c->curl;
    /* http(s) only, after a redirect too: a URL that came from a peer or a credential
     * must not reach file:// or another scheme curl knows */
    curl_easy_setopt(k, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(k, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(k, CURLOPT_FOLLOWLOCATION, c->opts.follow_redirects ? 1L : 0L);
    curl_easy_setopt(k, CURLOPT_MAXREDIRS, 5L);
    /* no SIGALRM for name lookups: signals do not mix with a threaded server */
    curl_easy_setopt(k, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(k, CURLOPT_TIMEOUT_MS, c->opts.timeout_ms);
    curl_easy_setopt(k, CURLOPT_CONNECTTIMEOUT_MS, c->opts.connect_timeout_ms);
    curl_easy_setopt(k, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->opts.max_response);
    curl_easy_setopt(k, CURLOPT_WRITEFUNCTION, on_body);
    if (c->opts.ca_file)
        curl_easy_setopt(k, CURLOPT_CAINFO, c->opts.ca_file);
}

/* What changes from one request to the next: every one of these is set each time, so
 * nothing of the previous request (its method, body or headers) carries over. */
static void set_options(mobid_http_client *c, const char *method, const char *url,
                        struct curl_slist *hdrs, mobid_view body, bool has_body,
                        mobid_http_result *out)
{
    CURL *k = c->curl;
    curl_easy_setopt(k, CURLOPT_URL, url);
    curl_easy_setopt(k, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(k, CURLOPT_WRITEDATA, &out->body);
    curl_easy_setopt(k, CURLOPT_NOBODY, !strcmp(method, "HEAD") ? 1L : 0L);
    if (has_body) {
        curl_easy_setopt(k, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body.len);
        curl_easy_setopt(k, CURLOPT_POSTFIELDS, body.ptr ? (const char *)body.ptr : "");
    } else if (strcmp(method, "HEAD") != 0) {
        curl_easy_setopt(k, CURLOPT_HTTPGET, 1L);
    }
    curl_easy_setopt(k, CURLOPT_CUSTOMREQUEST,
                     strcmp(method, has_body ? "POST" : "GET") && strcmp(method, "HEAD") ? method
                                                                                      : NULL);
}

static bool has_header(const char *const *headers, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; headers && headers[i]; i++)
        if (!strncasecmp(headers[i], name, n) && headers[i][n] == ':')
            return true;
    return false;
}

static mobid_err build_headers(const char *const *headers, const char *content_type,
                               struct curl_slist **out)
{
    struct curl_slist *list = NULL, *next;
    char ct[256];
    /* An empty Expect: avoids curl's 1-second 100-continue wait on larger bodies. */
    if (!(next = curl_slist_append(list, "Expect:")))
        return MOBID_ERR_NOMEM;
    list = next;
    if (content_type) {
        if (strlen(content_type) > 200 || strpbrk(content_type, "\r\n")) {
            curl_slist_free_all(list);
            return MOBID_ERR_INVALID_ARG;
        }
        snprintf(ct, sizeof ct, "Content-Type: %s", content_type);
        if (!(next = curl_slist_append(list, ct)))
            goto nomem;
        list = next;
    }
    /* Inside a handler, the request id goes on to the next service (http/log.h). */
    if (mobid_log_request_id() && !has_header(headers, "X-Request-Id")) {
        snprintf(ct, sizeof ct, "X-Request-Id: %s", mobid_log_request_id());
        if (!(next = curl_slist_append(list, ct)))
            goto nomem;
        list = next;
    }
    for (size_t i = 0; headers && headers[i]; i++) {
        if (strpbrk(headers[i], "\r\n")) {
            curl_slist_free_all(list);
            return MOBID_ERR_INVALID_ARG;
        }
        if (!(next = curl_slist_append(list, headers[i])))
            goto nomem;
        list = next;
    }
    *out = list;
    return MOBID_OK;
nomem:
    curl_slist_free_all(list);
    return MOBID_ERR_NOMEM;
}

/* Check the request and put it on c's handle; c->hdrs then holds its header list. */
static mobid_err prepare(mobid_http_client *c, const char *method, const char *url,
                         const char *const *headers, const char *content_type, mobid_view body,
                         mobid_http_result *out)
{
    memset(out, 0, sizeof *out);
    mobid_buf_init(&out->body, c ? c->opts.max_response : 0);
    if (!c || !method || !url)
        return MOBID_ERR_INVALID_ARG;
    if (!http_url(url))
        return MOBID_ERR_UNSUPPORTED;
    c->hdrs = NULL;
    mobid_err err = build_headers(headers, content_type, &c->hdrs);
    if (err == MOBID_OK)
        set_options(c, method, url, c->hdrs, body, content_type != NULL, out);
    return err;
}

/* The outcome of a transfer that ended with rc; frees the header list. */
static mobid_err finish(mobid_http_client *c, CURLcode rc, mobid_http_result *out)
{
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &out->status);
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(c->hdrs);
    c->hdrs = NULL;
    if (rc == CURLE_FILESIZE_EXCEEDED || (rc == CURLE_WRITE_ERROR && out->body.err == MOBID_ERR_TOO_BIG))
        return MOBID_ERR_TOO_BIG;
    if (rc == CURLE_WRITE_ERROR && out->body.err != MOBID_OK)
        return out->body.err;
    if (rc == CURLE_UNSUPPORTED_PROTOCOL)
        return MOBID_ERR_UNSUPPORTED;
    out->not_sent = rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_RESOLVE_PROXY ||
                    rc == CURLE_COULDNT_CONNECT || rc == CURLE_SSL_CONNECT_ERROR ||
                    rc == CURLE_PEER_FAILED_VERIFICATION;
    if (rc != CURLE_OK)
        return MOBID_ERR_FETCH_FAILED;
    out->content_type = dup_info(c->curl, CURLINFO_CONTENT_TYPE);
    out->location = dup_info(c->curl, CURLINFO_REDIRECT_URL);
    return mobid_buf_terminate(&out->body);
}

mobid_err mobid_http_client_request(mobid_http_client *c, const char *method, const char *url,
                                    const char *const *headers, const char *content_type,
                                    mobid_view body, mobid_http_result *out)
{
    mobid_err err = prepare(c, method, url, headers, content_type, body, out);
    if (err != MOBID_OK)
        return err;
    return finish(c, curl_easy_perform(c->curl), out);
}

/* curl tells which sockets to watch; they go into the multi's epoll set. What each
 * socket is registered for is remembered (curl_multi_assign), so that a repeated wish
 * costs no system call and a new socket is added at once, not after a failed change. */
static int on_socket(CURL *e, curl_socket_t s, int what, void *ud, void *sp)
{
    mobid_http_multi *m = ud;
    uintptr_t had = (uintptr_t)sp, want = (uintptr_t)what;
    struct epoll_event ev = { .events = (what & CURL_POLL_IN ? EPOLLIN : 0u) |
                                        (what & CURL_POLL_OUT ? EPOLLOUT : 0u),
                              .data.fd = s };
    (void)e;
    if (what == CURL_POLL_REMOVE) {
        epoll_ctl(m->ep, EPOLL_CTL_DEL, s, NULL);
        want = 0;
    } else if (!had) {
        if (epoll_ctl(m->ep, EPOLL_CTL_ADD, s, &ev) != 0 && errno == EEXIST)
            epoll_ctl(m->ep, EPOLL_CTL_MOD, s, &ev);
    } else if (had != want) {
        epoll_ctl(m->ep, EPOLL_CTL_MOD, s, &ev);
    }
    if (had != want)
        curl_multi_assign(m->m, s, (void *)want);
    return 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* curl's one timer: -1 stops it; 0 (after a new request) means "act at once". */
static int on_timer(CURLM *cm, long timeout_ms, void *ud)
{
    mobid_http_multi *m = ud;
    (void)cm;
    m->due = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
    return 0;
}

mobid_err mobid_http_multi_new(mobid_http_multi **out)
{
    pthread_once(&curl_once, init_curl);
    if (curl_init_rc != CURLE_OK)
        return MOBID_ERR_FETCH_FAILED;
    mobid_http_multi *m = mobid_calloc(1, sizeof *m);
    if (!m)
        return MOBID_ERR_NOMEM;
    m->due = -1;
    m->ep = epoll_create1(EPOLL_CLOEXEC);
    m->m = m->ep >= 0 ? curl_multi_init() : NULL;
    if (!m->m) {
        mobid_http_multi_free(m);
        return MOBID_ERR_NOMEM;
    }
    curl_multi_setopt(m->m, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(m->m, CURLMOPT_SOCKETDATA, m);
    curl_multi_setopt(m->m, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(m->m, CURLMOPT_TIMERDATA, m);
    /* libcurl's default keeps four idle connections for each request in flight at the
     * moment one ends: when few are in flight, the idle connections of the other
     * clients would be closed, and each new one costs a connect (and a TLS handshake) */
    curl_multi_setopt(m->m, CURLMOPT_MAXCONNECTS, (long)MULTI_MAX_IDLE);
    *out = m;
    return MOBID_OK;
}

void mobid_http_multi_free(mobid_http_multi *m)
{
    if (!m)
        return;
    if (m->m)
        curl_multi_cleanup(m->m);
    if (m->ep >= 0)
        close(m->ep);
    mobid_free(m);
}

mobid_err mobid_http_multi_start(mobid_http_multi *m, mobid_http_client *c, const char *method,
                                 const char *url, const char *const *headers,
                                 const char *content_type, mobid_view body,
                                 mobid_http_result *out, void *ud)
{
    mobid_err err = prepare(c, method, url, headers, content_type, body, out);
    if (err == MOBID_OK) {
        curl_easy_setopt(c->curl, CURLOPT_PRIVATE, c);
        c->out = out;
        c->ud = ud;
        if (curl_multi_add_handle(m->m, c->curl) == CURLM_OK)
            return MOBID_OK;
        err = MOBID_ERR_NOMEM;
    }
    if (c) {
        curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
        curl_slist_free_all(c->hdrs);
        c->hdrs = NULL;
    }
    return err;
}

/* Hand back one finished request, if curl has one. */
static bool take(mobid_http_multi *m, void **ud, mobid_err *err)
{
    int left;
    CURLMsg *msg;
    while ((msg = curl_multi_info_read(m->m, &left)))
        if (msg->msg == CURLMSG_DONE) {
            CURL *e = msg->easy_handle;
            CURLcode rc = msg->data.result;
            mobid_http_client *c = NULL;
            curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&c);
            curl_multi_remove_handle(m->m, e);
            *err = finish(c, rc, c->out);
            *ud = c->ud;
            return true;
        }
    return false;
}

static void run_timer(mobid_http_multi *m)
{
    int running;
    if (m->due >= 0 && now_ms() >= m->due) {
        m->due = -1;
        curl_multi_socket_action(m->m, CURL_SOCKET_TIMEOUT, 0, &running);
    }
}

bool mobid_http_multi_next(mobid_http_multi *m, int wait_ms, void **ud, mobid_err *err)
{
    struct epoll_event ev[64];
    int running;
    /* New requests leave first, then what has finished is served before waiting. */
    run_timer(m);
    if (take(m, ud, err))
        return true;
    int64_t left = m->due < 0 ? wait_ms : m->due - now_ms();
    int n = epoll_wait(m->ep, ev, 64, (int)(left < 0 ? 0 : left < wait_ms ? left : wait_ms));
    for (int i = 0; i < n; i++)
        curl_multi_socket_action(m->m, ev[i].data.fd,
                                 (ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR) ? CURL_CSELECT_IN : 0) |
                                 (ev[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
                                 (ev[i].events & EPOLLERR ? CURL_CSELECT_ERR : 0),
                                 &running);
    run_timer(m);
    return take(m, ud, err);
}

mobid_err mobid_http_client_get(mobid_http_client *c, const char *url, const char *const *headers,
                                mobid_http_result *out)
{
    return mobid_http_client_request(c, "GET", url, headers, NULL, mobid_view_make(NULL, 0), out);
}

mobid_err mobid_http_client_post_form(mobid_http_client *c, const char *url,
                                      const char *const *headers, const char *const *fields,
                                      mobid_http_result *out)
{
    mobid_buf form;
    mobid_buf_init(&form, 0);
    for (size_t i = 0; fields && fields[i]; i += 2)
        mobid_http_form_append(&form, fields[i], fields[i + 1]);
    mobid_err err = form.err;
    if (err == MOBID_OK)
        err = mobid_http_client_request(c, "POST", url, headers, "application/x-www-form-urlencoded",
                                        mobid_buf_view(&form), out);
    else
        memset(out, 0, sizeof *out);
    mobid_buf_free(&form);
    return err;
}

mobid_err mobid_http_client_post_json(mobid_http_client *c, const char *url,
                                      const char *const *headers, const json_t *j,
                                      mobid_http_result *out)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!s) {
        memset(out, 0, sizeof *out);
        return MOBID_ERR_INVALID_ARG;
    }
    mobid_err err = mobid_http_client_request(c, "POST", url, headers, "application/json",
                                              mobid_view_str(s), out);
    free(s);
    return err;
}

mobid_err mobid_http_get(const char *url, const char *const *headers, mobid_http_result *out)
{
    mobid_http_client *c = NULL;
    memset(out, 0, sizeof *out);
    mobid_err err = mobid_http_client_new(NULL, &c);
    if (err == MOBID_OK)
        err = mobid_http_client_get(c, url, headers, out);
    mobid_http_client_free(c);
    return err;
}

mobid_err mobid_http_post_form(const char *url, const char *const *headers,
                               const char *const *fields, mobid_http_result *out)
{
    mobid_http_client *c = NULL;
    memset(out, 0, sizeof *out);
    mobid_err err = mobid_http_client_new(NULL, &c);
    if (err == MOBID_OK)
        err = mobid_http_client_post_form(c, url, headers, fields, out);
    mobid_http_client_free(c);
    return err;
}

mobid_err mobid_http_post_json(const char *url, const char *const *headers, const json_t *j,
                               mobid_http_result *out)
{
    mobid_http_client *c = NULL;
    memset(out, 0, sizeof *out);
    mobid_err err = mobid_http_client_new(NULL, &c);
    if (err == MOBID_OK)
        err = mobid_http_client_post_json(c, url, headers, j, out);
    mobid_http_client_free(c);
    return err;
}

mobid_err mobid_http_result_json(const mobid_http_result *r, json_t **out)
{
    /* the one-pass parser of lib/jose: the same values as jansson's loader, which reads
     * a character at a time (a relying party reads two answers a verification) */
    mobid_err err = mobid_json_parse(mobid_view_make(r->body.ptr, r->body.len),
                                     r->body.len + 1, out);
    return err == MOBID_ERR_NOMEM ? err : err ? MOBID_ERR_MALFORMED : MOBID_OK;
}
