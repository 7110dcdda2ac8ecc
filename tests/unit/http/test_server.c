/* src/http: the server and the client together on 127.0.0.1 (random port): routing,
 * params/query/headers/cookies, body limit 413 (announced and chunked), form and JSON
 * bodies, error shapes, /healthz, /readyz, /metrics, graceful stop, signals, client limits,
 * head sizes. */
#include "testutil.h"
#include "http/client.h"
#include "http/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static atomic_int handler_runs;
static atomic_int slow_started;
static bool healthy = true;

static mobid_err on_echo(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    atomic_fetch_add(&handler_runs, 1);
    const char *q = mobid_http_req_query(req, "q");
    const char *h = mobid_http_req_header(req, "x-test");
    const char *c = mobid_http_req_cookie(req, "sid");
    json_t *j = json_pack("{s:s,s:s?,s:s?,s:s?,s:s?,s:s,s:s,s:s}", "id", mobid_http_req_param(req, "id"),
                          "q", q, "h", h, "cookie", c, "bearer", mobid_http_req_bearer(req),
                          "remote", mobid_http_req_remote(req),
                          "route", mobid_http_req_route(req), "method", mobid_http_req_method(req));
    mobid_err err = j ? mobid_http_resp_json(resp, 200, j) : MOBID_ERR_NOMEM;
    json_decref(j);
    if (err == MOBID_OK)
        err = mobid_http_resp_cookie(resp, "sid", "s3cr3t", "/app", 600,
                                     MOBID_COOKIE_HTTPONLY | MOBID_COOKIE_SAMESITE_LAX);
    if (err == MOBID_OK)
        err = mobid_http_resp_header(resp, "X-Reply", "yes");
    assert_int_equal(mobid_http_resp_header(resp, "X-Bad", "a\r\nInjected: 1"), MOBID_ERR_INVALID_ARG);
    assert_int_equal(mobid_http_resp_cookie(resp, "bad name", "v", NULL, -1, 0), MOBID_ERR_INVALID_ARG);
    return err;
}

static mobid_err on_form(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    atomic_fetch_add(&handler_runs, 1);
    const mobid_http_form *f = NULL;
    const char *grant = NULL;
    mobid_err err = mobid_http_req_form(req, &f);
    if (err == MOBID_ERR_UNSUPPORTED)
        return mobid_http_resp_oauth_error(resp, 415, "invalid_request", "form body expected");
    if (err == MOBID_OK)
        err = mobid_http_form_get(f, "grant_type", &grant);
    if (err != MOBID_OK)
        return mobid_http_resp_oauth_error(resp, 400, "invalid_request", mobid_err_name(err));
    return mobid_http_resp_text(resp, 200, grant);
}

static mobid_err on_json(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    atomic_fetch_add(&handler_runs, 1);
    json_t *j = NULL;
    mobid_err err = mobid_http_req_json(req, &j);
    if (err != MOBID_OK)
        return mobid_http_resp_error(resp, err == MOBID_ERR_UNSUPPORTED ? 415 : 400,
                                     "invalid_body", mobid_err_name(err));
    err = mobid_http_resp_json(resp, 201, j);
    json_decref(j);
    return err;
}

static mobid_err on_fail(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    return MOBID_SVC_ERR_STORE; /* no response set: the server answers 500 */
}

static mobid_err on_big(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    size_t n = 2 * 1024 * 1024;
    char *big = mobid_http_req_alloc(req, n);
    if (!big)
        return MOBID_ERR_NOMEM;
    memset(big, 'x', n);
    return mobid_http_resp_body(resp, 200, "application/octet-stream", mobid_view_make(big, n));
}

static mobid_err on_slow(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    atomic_fetch_add(&slow_started, 1);
    struct timespec d = { 0, 600 * 1000 * 1000 };
    nanosleep(&d, NULL);
    return mobid_http_resp_text(resp, 200, "slow");
}

static mobid_err on_count(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    const char *labels[] = { "result", "verified", NULL };
    return mobid_metrics_add(mobid_http_server_metrics(mobid_http_req_server(req)),
                             "mobid_verifications_total", labels, 1);
}

static mobid_err health_check(void *ctx)
{
    return healthy ? MOBID_OK : MOBID_SVC_ERR_STORE;
}

static mobid_http_server *start_server(size_t max_body)
{
    mobid_http_config cfg = { .name = "test", .listen = "127.0.0.1:0", .max_body = max_body };
    mobid_http_server *s = NULL;
    assert_int_equal(mobid_http_server_new(&cfg, &s), MOBID_OK);
    assert_int_equal(mobid_http_route(s, "GET", "/echo/{id}", on_echo, NULL), MOBID_OK);
    assert_int_equal(mobid_http_route(s, "POST", "/form", on_form, NULL), MOBID_OK);
    assert_int_equal(mobid_http_route(s, "POST", "/json", on_json, NULL), MOBID_OK);
    assert_int_equal(mobid_http_route(s, "GET", "/fail", on_fail, NULL), MOBID_OK);
    assert_int_equal(mobid_http_route(s, "GET", "/big", on_big, NULL), MOBID_OK);
    assert_int_equal(mobid_http_route(s, "GET", "/slow", on_slow, NULL), MOBID_OK);
    assert_int_equal(mobid_http_route(s, "POST", "/count", on_count, NULL), MOBID_OK);
    assert_int_equal(mobid_metrics_declare(mobid_http_server_metrics(s), "mobid_verifications_total",
                                           "Verifications by result", MOBID_METRIC_COUNTER),
                     MOBID_OK);
    mobid_http_server_set_health(s, health_check, NULL);
    assert_int_equal(mobid_http_server_start(s), MOBID_OK);
    assert_int_equal(mobid_http_route(s, "GET", "/late", on_fail, NULL), MOBID_ERR_INVALID_ARG);
    assert_true(mobid_http_server_port(s) > 0);
    return s;
}

static char *url_of(mobid_http_server *s, const char *path)
{
    static _Thread_local char url[256];
    snprintf(url, sizeof url, "%s%s", mobid_http_server_url(s), path);
    return url;
}

/* Send raw bytes and read the whole response (the request asks to close). */
static void raw_http(uint16_t port, const char *req, size_t len, mobid_buf *out)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
    inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    size_t off = 0;
    while (off < len) {
        ssize_t w = send(fd, req + off, len - off, MSG_NOSIGNAL);
        if (w <= 0)
            break; /* the server may close early (413): read what it said */
        off += (size_t)w;
    }
    shutdown(fd, SHUT_WR);
    mobid_buf_init(out, 0);
    char chunk[4096];
    ssize_t n;
    while ((n = recv(fd, chunk, sizeof chunk, 0)) > 0)
        mobid_buf_append(out, chunk, (size_t)n);
    mobid_buf_terminate(out);
    close(fd);
}

static json_t *json_of(const mobid_http_result *r)
{
    json_t *j = NULL;
    assert_int_equal(mobid_http_result_json(r, &j), MOBID_OK);
    return j;
}

static void test_signals(void **state)
{
    /* main() blocked the signals before any thread started. */
    kill(getpid(), SIGTERM);
    assert_int_equal(mobid_http_signals_wait(), SIGTERM);
}

static void test_routes_and_request(void **state)
{
    mobid_http_server *s = start_server(0);
    mobid_http_result r;
    const char *hdrs[] = { "X-Test: hello", "Cookie: sid=abc; other=1", "Authorization: bearer tok.en", NULL };
    assert_int_equal(mobid_http_get(url_of(s, "/echo/a%20b?q=x%26y&q=second"), hdrs, &r), MOBID_OK);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "application/json");
    json_t *j = json_of(&r);
    assert_string_equal(json_string_value(json_object_get(j, "id")), "a b");
    assert_string_equal(json_string_value(json_object_get(j, "q")), "x&y");
    assert_string_equal(json_string_value(json_object_get(j, "h")), "hello");
    assert_string_equal(json_string_value(json_object_get(j, "cookie")), "abc");
    assert_string_equal(json_string_value(json_object_get(j, "bearer")), "tok.en");
    assert_string_equal(json_string_value(json_object_get(j, "remote")), "127.0.0.1");
    assert_string_equal(json_string_value(json_object_get(j, "route")), "/echo/{id}");
    json_decref(j);
    mobid_http_result_free(&r);

    const char *basic[] = { "Authorization: Basic dXNlcjpwdw==", NULL };
    assert_int_equal(mobid_http_get(url_of(s, "/echo/2"), basic, &r), MOBID_OK);
    j = json_of(&r);
    assert_null(json_string_value(json_object_get(j, "bearer")));
    json_decref(j);
    mobid_http_result_free(&r);

    /* Headers on the wire: Set-Cookie, the service header, nosniff. */
    mobid_buf raw;
    const char *get = "GET /echo/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    raw_http(mobid_http_server_port(s), get, strlen(get), &raw);
    const char *t = (const char *)raw.ptr;
    assert_non_null(strstr(t, "HTTP/1.1 200"));
    assert_non_null(strstr(t, "Set-Cookie: sid=s3cr3t; Path=/app; Max-Age=600; HttpOnly; SameSite=Lax\r\n"));
    assert_non_null(strstr(t, "X-Reply: yes\r\n"));
    assert_non_null(strstr(t, "X-Content-Type-Options: nosniff\r\n"));
    assert_null(strstr(t, "Injected"));
    mobid_buf_free(&raw);

    /* 404, 405 with Allow, 500 from a failing handler: all {"error","detail"}. */
    assert_int_equal(mobid_http_get(url_of(s, "/nope"), NULL, &r), MOBID_OK);
    assert_int_equal(r.status, 404);
    j = json_of(&r);
    assert_string_equal(json_string_value(json_object_get(j, "error")), "not_found");
    json_decref(j);
    mobid_http_result_free(&r);
    const char *del = "DELETE /form HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    raw_http(mobid_http_server_port(s), del, strlen(del), &raw);
    assert_non_null(strstr((const char *)raw.ptr, "HTTP/1.1 405"));
    assert_non_null(strstr((const char *)raw.ptr, "Allow: POST\r\n"));
    mobid_buf_free(&raw);
    assert_int_equal(mobid_http_get(url_of(s, "/fail"), NULL, &r), MOBID_OK);
    assert_int_equal(r.status, 500);
    j = json_of(&r);
    assert_string_equal(json_string_value(json_object_get(j, "error")), "server_error");
    assert_string_equal(json_string_value(json_object_get(j, "detail")), "STORE");
    json_decref(j);
    mobid_http_result_free(&r);
    mobid_http_server_free(s);
}

static void post_body(mobid_http_server *s, size_t n, long expect)
{
    char *body = malloc(n + 1);
    memset(body, 'a', n);
    memcpy(body, "grant_type=", n < 11 ? n : 11);
    mobid_http_client *c = NULL;
    mobid_http_result r;
    assert_int_equal(mobid_http_client_new(NULL, &c), MOBID_OK);
    assert_int_equal(mobid_http_client_request(c, "POST", url_of(s, "/form"), NULL,
                                               "application/x-www-form-urlencoded",
                                               mobid_view_make(body, n), &r), MOBID_OK);
    assert_int_equal(r.status, expect);
    mobid_http_result_free(&r);
    mobid_http_client_free(c);
    free(body);
}

static void test_body_limit(void **state)
{
    mobid_http_server *s = start_server(1024);
    atomic_store(&handler_runs, 0);
    post_body(s, 1024, 200);
    assert_int_equal(atomic_load(&handler_runs), 1);
    post_body(s, 1025, 413);
    post_body(s, 300000, 413);
    assert_int_equal(atomic_load(&handler_runs), 1); /* nothing processed */

    /* An announced huge length is refused before any body byte is read. */
    mobid_buf raw;
    const char *huge = "POST /form HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n"
                       "Content-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n\r\n";
    raw_http(mobid_http_server_port(s), huge, strlen(huge), &raw);
    assert_non_null(strstr((const char *)raw.ptr, "HTTP/1.1 413")); /* from libmicrohttpd */
    mobid_buf_free(&raw);
    const char *big = "POST /form HTTP/1.1\r\nHost: x\r\nContent-Length: 50000000\r\n"
                      "Content-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n\r\na=1";
    raw_http(mobid_http_server_port(s), big, strlen(big), &raw);
    assert_non_null(strstr((const char *)raw.ptr, "HTTP/1.1 413"));
    assert_non_null(strstr((const char *)raw.ptr, "payload_too_large"));
    mobid_buf_free(&raw);

    /* A chunked body with no length is cut off as it crosses the limit. */
    mobid_buf req;
    mobid_buf_init(&req, 0);
    mobid_buf_append_str(&req, "POST /form HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                               "Content-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n\r\n");
    for (int i = 0; i < 5; i++) {
        mobid_buf_append_str(&req, "400\r\n");
        for (int k = 0; k < 1024; k++)
            mobid_buf_append_byte(&req, 'a');
        mobid_buf_append_str(&req, "\r\n");
    }
    mobid_buf_append_str(&req, "0\r\n\r\n");
    raw_http(mobid_http_server_port(s), (const char *)req.ptr, req.len, &raw);
    assert_non_null(strstr((const char *)raw.ptr, "HTTP/1.1 413"));
    mobid_buf_free(&raw);
    mobid_buf_free(&req);
    assert_int_equal(atomic_load(&handler_runs), 1);
    mobid_http_server_free(s);
}

static void test_form_and_json(void **state)
{
    mobid_http_server *s = start_server(0);
    mobid_http_result r;
    const char *fields[] = { "grant_type", "urn:ietf:params:oauth:grant-type:pre-authorized_code",
                             "tx_code", "493536", NULL };
    assert_int_equal(mobid_http_post_form(url_of(s, "/form"), NULL, fields, &r), MOBID_OK);
    assert_int_equal(r.status, 200);
    assert_string_equal((const char *)r.body.ptr, fields[1]);
    mobid_http_result_free(&r);

    /* Hostile forms get the OAuth error shape, never a crash. */
    const char *hostile[] = { "grant_type=%", "grant_type=a&grant_type=b", "grant_type=%00",
                              "grant_type=%ff", "=x", "other=1" };
    for (size_t i = 0; i < sizeof hostile / sizeof *hostile; i++) {
        mobid_http_client *c = NULL;
        assert_int_equal(mobid_http_client_new(NULL, &c), MOBID_OK);
        assert_int_equal(mobid_http_client_request(c, "POST", url_of(s, "/form"), NULL,
                                                   "application/x-www-form-urlencoded",
                                                   mobid_view_str(hostile[i]), &r), MOBID_OK);
        assert_int_equal(r.status, 400);
        json_t *j = json_of(&r);
        assert_string_equal(json_string_value(json_object_get(j, "error")), "invalid_request");
        assert_non_null(json_object_get(j, "error_description"));
        json_decref(j);
        mobid_http_result_free(&r);
        mobid_http_client_free(c);
    }

    json_t *in = json_pack("{s:s,s:i}", "name", "홍길동", "n", 7);
    assert_int_equal(mobid_http_post_json(url_of(s, "/json"), NULL, in, &r), MOBID_OK);
    assert_int_equal(r.status, 201);
    json_t *back = json_of(&r);
    assert_true(json_equal(in, back));
    json_decref(back);
    json_decref(in);
    mobid_http_result_free(&r);

    const char *bad_json[] = { "{\"a\":1,\"a\":2}", "[1,2]", "{\"a\":", "\"str\"", "",
                               "{\"a\":\"\xff\"}" };
    mobid_http_client *c = NULL;
    assert_int_equal(mobid_http_client_new(NULL, &c), MOBID_OK);
    for (size_t i = 0; i < sizeof bad_json / sizeof *bad_json; i++) {
        assert_int_equal(mobid_http_client_request(c, "POST", url_of(s, "/json"), NULL,
                                                   "application/json; charset=utf-8",
                                                   mobid_view_str(bad_json[i]), &r), MOBID_OK);
        assert_int_equal(r.status, 400);
        mobid_http_result_free(&r);
    }
    assert_int_equal(mobid_http_client_request(c, "POST", url_of(s, "/json"), NULL, "text/plain",
                                               mobid_view_str("{}"), &r), MOBID_OK);
    assert_int_equal(r.status, 415);
    mobid_http_result_free(&r);
    mobid_http_client_free(c);
    mobid_http_server_free(s);
}

static void test_health_and_metrics(void **state)
{
    mobid_http_server *s = start_server(0);
    mobid_http_result r;
    assert_int_equal(mobid_http_get(url_of(s, "/healthz"), NULL, &r), MOBID_OK);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr((const char *)r.body.ptr, "\"status\":\"ok\""));
    mobid_http_result_free(&r);
    healthy = false;
    /* Liveness does not depend on the readiness check; /readyz does. */
    assert_int_equal(mobid_http_get(url_of(s, "/healthz"), NULL, &r), MOBID_OK);
    assert_int_equal(r.status, 200);
    mobid_http_result_free(&r);
    assert_int_equal(mobid_http_get(url_of(s, "/readyz"), NULL, &r), MOBID_OK);
    assert_int_equal(r.status, 503);
    assert_non_null(strstr((const char *)r.body.ptr, "\"status\":\"unavailable\""));
    mobid_http_result_free(&r);
    healthy = true;
    assert_int_equal(mobid_http_get(url_of(s, "/readyz"), NULL, &r), MOBID_OK);
    assert_int_equal(r.status, 200);
    mobid_http_result_free(&r);

    for (int i = 0; i < 3; i++) {
        assert_int_equal(mobid_http_post_form(url_of(s, "/count"), NULL, NULL, &r), MOBID_OK);
        assert_int_equal(r.status, 204);
        mobid_http_result_free(&r);
    }
    assert_int_equal(mobid_http_get(url_of(s, "/echo/1"), NULL, &r), MOBID_OK);
    mobid_http_result_free(&r);
    assert_int_equal(mobid_http_get(url_of(s, "/x/y/z"), NULL, &r), MOBID_OK);
    mobid_http_result_free(&r);

    assert_int_equal(mobid_http_get(url_of(s, "/metrics"), NULL, &r), MOBID_OK);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.content_type, "text/plain; version=0.0.4"));
    const char *t = (const char *)r.body.ptr;
    const char *expect[] = {
        "mobid_http_requests_total{route=\"/count\",method=\"POST\",status=\"2xx\"} 3\n",
        "mobid_http_requests_total{route=\"/echo/{id}\",method=\"GET\",status=\"2xx\"} 1\n",
        "mobid_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"2xx\"} 2\n",
        "mobid_http_requests_total{route=\"/readyz\",method=\"GET\",status=\"5xx\"} 1\n",
        "mobid_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"4xx\"} 1\n",
        "mobid_http_request_duration_seconds_count{route=\"/count\",method=\"POST\",status=\"2xx\"} 3\n",
        "mobid_verifications_total{result=\"verified\"} 3\n",
    };
    for (size_t i = 0; i < sizeof expect / sizeof *expect; i++)
        if (!strstr(t, expect[i]))
            fail_msg("missing from /metrics: %s\n---\n%s", expect[i], t);
    mobid_http_result_free(&r);
    mobid_http_server_free(s);
}

static void test_client_limits(void **state)
{
    mobid_http_server *s = start_server(0);
    mobid_http_result r;
    assert_int_equal(mobid_http_get("file:///etc/passwd", NULL, &r), MOBID_ERR_UNSUPPORTED);
    mobid_http_result_free(&r);
    assert_int_equal(mobid_http_get("ftp://127.0.0.1/", NULL, &r), MOBID_ERR_UNSUPPORTED);
    mobid_http_result_free(&r);
    const char *bad_hdr[] = { "X-A: 1\r\nX-B: 2", NULL };
    assert_int_equal(mobid_http_get(url_of(s, "/echo/1"), bad_hdr, &r), MOBID_ERR_INVALID_ARG);
    mobid_http_result_free(&r);

    mobid_http_client_opts small = { .max_response = 1024 * 1024 };
    mobid_http_client *c = NULL;
    assert_int_equal(mobid_http_client_new(&small, &c), MOBID_OK);
    assert_int_equal(mobid_http_client_get(c, url_of(s, "/big"), NULL, &r), MOBID_ERR_TOO_BIG);
    mobid_http_result_free(&r);
    /* The same client (kept-alive connection) still works afterwards. */
    for (int i = 0; i < 20; i++) {
        assert_int_equal(mobid_http_client_get(c, url_of(s, "/echo/k"), NULL, &r), MOBID_OK);
        assert_int_equal(r.status, 200);
        mobid_http_result_free(&r);
    }
    mobid_http_client_free(c);

    mobid_http_client_opts quick = { .timeout_ms = 150 };
    assert_int_equal(mobid_http_client_new(&quick, &c), MOBID_OK);
    assert_int_equal(mobid_http_client_get(c, url_of(s, "/slow"), NULL, &r), MOBID_ERR_FETCH_FAILED);
    mobid_http_result_free(&r);
    mobid_http_client_free(c);

    char dead[256];
    snprintf(dead, sizeof dead, "%s", url_of(s, "/echo/1"));
    mobid_http_server_free(s);
    assert_int_equal(mobid_http_get(dead, NULL, &r), MOBID_ERR_FETCH_FAILED);
    mobid_http_result_free(&r);
}

typedef struct slow_call {
    mobid_http_server *s;
    char url[256];
    long status;
    mobid_err err;
} slow_call;

static void *call_slow(void *arg)
{
    slow_call *sc = arg;
    mobid_http_result r;
    sc->err = mobid_http_get(sc->url, NULL, &r);
    sc->status = r.status;
    mobid_http_result_free(&r);
    return NULL;
}

static void test_graceful_stop(void **state)
{
    mobid_http_server *s = start_server(0);
    slow_call sc = { .s = s };
    snprintf(sc.url, sizeof sc.url, "%s", url_of(s, "/slow"));
    pthread_t t;
    atomic_store(&slow_started, 0);
    assert_int_equal(pthread_create(&t, NULL, call_slow, &sc), 0);
    struct timespec d = { 0, 5 * 1000 * 1000 };
    for (int i = 0; i < 2000 && !atomic_load(&slow_started); i++)
        nanosleep(&d, NULL);
    assert_int_equal(atomic_load(&slow_started), 1);
    mobid_http_server_stop(s); /* while /slow is running */
    assert_true(mobid_http_server_stopping(s));
    pthread_join(t, NULL);
    assert_int_equal(sc.err, MOBID_OK);
    assert_int_equal(sc.status, 200);
    mobid_http_server_stop(s); /* idempotent */
    mobid_http_server_free(s);
}

static void *stop_server(void *arg)
{
    mobid_http_server_stop(arg);
    return NULL;
}

/* While stop waits for a running handler, a new connection is closed unanswered and
 * the running request still gets its answer. */
static void test_refused_while_stopping(void **state)
{
    mobid_http_server *s = start_server(0);
    slow_call sc = { .s = s };
    snprintf(sc.url, sizeof sc.url, "%s", url_of(s, "/slow"));
    pthread_t t, stopper;
    struct timespec d = { 0, 5 * 1000 * 1000 };
    atomic_store(&slow_started, 0);
    assert_int_equal(pthread_create(&t, NULL, call_slow, &sc), 0);
    for (int i = 0; i < 12000 && !atomic_load(&slow_started); i++)
        nanosleep(&d, NULL);
    assert_int_equal(atomic_load(&slow_started), 1);
    assert_int_equal(pthread_create(&stopper, NULL, stop_server, s), 0);
    for (int i = 0; i < 12000 && !mobid_http_server_stopping(s); i++)
        nanosleep(&d, NULL);
    assert_true(mobid_http_server_stopping(s));

    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(mobid_http_server_port(s)) };
    static const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    char buf[256];
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) { /* refused outright is fine too */
        (void)send(fd, req, sizeof req - 1, MSG_NOSIGNAL);
        assert_true(recv(fd, buf, sizeof buf, 0) <= 0); /* closed (or reset) unanswered */
    }
    close(fd);
    pthread_join(t, NULL);
    assert_int_equal(sc.err, MOBID_OK);
    assert_int_equal(sc.status, 200);
    pthread_join(stopper, NULL);
    mobid_http_server_free(s);
}

/* GET /echo/1 with an X-Test header of n bytes; the status, and the header's length
 * as the handler saw it (-1 when not answered 200). */
static long big_head(mobid_http_server *s, size_t n, long *seen)
{
    mobid_buf req, raw;
    mobid_buf_init(&req, 0);
    mobid_buf_append_str(&req, "GET /echo/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Test: ");
    for (size_t i = 0; i < n; i++)
        mobid_buf_append_byte(&req, 'h');
    mobid_buf_append_str(&req, "\r\n\r\n");
    raw_http(mobid_http_server_port(s), (const char *)req.ptr, req.len, &raw);
    long status = 0;
    assert_int_equal(sscanf((const char *)raw.ptr, "HTTP/1.1 %ld", &status), 1);
    *seen = -1;
    const char *body = strstr((const char *)raw.ptr, "\r\n\r\n");
    json_t *j = status == 200 && body ? json_loads(body + 4, 0, NULL) : NULL;
    if (j)
        *seen = (long)json_string_length(json_object_get(j, "h"));
    json_decref(j);
    mobid_buf_free(&raw);
    mobid_buf_free(&req);
    return status;
}

/* libmicrohttpd keeps a request's head in its per-connection memory (32 KB): a 16 000
 * byte header (a client attestation with its certificate chain, a DPoP proof and a
 * token together stay far below) reaches the handler whole; a head that does not fit
 * gets a 4xx answer, and the server goes on serving. */
static void test_head_sizes(void **state)
{
    mobid_http_server *s = start_server(0);
    long seen = 0;
    assert_int_equal(big_head(s, 16000, &seen), 200);
    assert_int_equal(seen, 16000);
    long st = big_head(s, 60000, &seen);
    assert_true(st >= 400 && st < 500);
    mobid_http_result r;
    assert_int_equal(mobid_http_get(url_of(s, "/healthz"), NULL, &r), MOBID_OK);
    assert_int_equal(r.status, 200);
    mobid_http_result_free(&r);
    mobid_http_server_free(s);
}

static void test_config(void **state)
{
    mobid_http_server *s = NULL;
    const char *bad[] = { "127.0.0.1", "127.0.0.1:99999", "nohost:80", ":80", "[::1:80", "1.2.3.4:x" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        mobid_http_config cfg = { .listen = bad[i] };
        assert_int_equal(mobid_http_server_new(&cfg, &s), MOBID_ERR_INVALID_ARG);
    }
    mobid_http_config v6 = { .listen = "[::1]:0" };
    assert_int_equal(mobid_http_server_new(&v6, &s), MOBID_OK);
    if (mobid_http_server_start(s) == MOBID_OK) {
        mobid_http_result r;
        assert_non_null(strstr(mobid_http_server_url(s), "http://[::1]:"));
        assert_int_equal(mobid_http_get(url_of(s, "/healthz"), NULL, &r), MOBID_OK);
        assert_int_equal(r.status, 200);
        mobid_http_result_free(&r);
    } else {
        print_message("IPv6 loopback unavailable here; bind not tested\n");
    }
    mobid_http_server_free(s);

    /* A port already in use cannot be bound. */
    mobid_http_server *a = start_server(0);
    char listen[64];
    snprintf(listen, sizeof listen, "127.0.0.1:%u", (unsigned)mobid_http_server_port(a));
    mobid_http_config same = { .listen = listen };
    assert_int_equal(mobid_http_server_new(&same, &s), MOBID_OK);
    assert_int_equal(mobid_http_server_start(s), MOBID_ERR_IO);
    mobid_http_server_free(s);
    mobid_http_server_free(a);
}

int main(void)
{
    mobid_http_signals_block();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signals),
        cmocka_unit_test(test_routes_and_request),
        cmocka_unit_test(test_body_limit),
        cmocka_unit_test(test_form_and_json),
        cmocka_unit_test(test_health_and_metrics),
        cmocka_unit_test(test_client_limits),
        cmocka_unit_test(test_graceful_stop),
        cmocka_unit_test(test_refused_while_stopping),
        cmocka_unit_test(test_head_sizes),
        cmocka_unit_test(test_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
