/* src/http/log.c and pages.c: JSON access lines (fields, route pattern instead of the
 * path's ids, level), the request id taken from X-Request-Id or made fresh, echoed and
 * sent on by the client to the next service, and HTML "not found" pages under a
 * page prefix while APIs keep their JSON 404. */
#include "testutil.h"
#include "http/client.h"
#include "http/log.h"
#include "http/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The next service: answers with the X-Request-Id it received. */
static mobid_err on_seen(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    const char *id = mobid_http_req_header(req, "X-Request-Id");
    return mobid_http_resp_text(resp, 200, id ? id : "(none)");
}

/* A handler that calls the next service (at ctx) and returns its answer. */
static mobid_err on_call(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    mobid_http_result r;
    mobid_err err = mobid_http_get(ctx, NULL, &r);
    if (!err)
        err = mobid_http_resp_body(resp, 200, "text/plain", mobid_buf_view(&r.body));
    mobid_http_result_free(&r);
    return err;
}

static mobid_err on_offer(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    return mobid_http_resp_text(resp, 200, "offer");
}

static mobid_err on_page_404(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    return mobid_http_resp_body(resp, 404, "text/html; charset=utf-8",
                                mobid_view_str("<!doctype html><p>no such page</p>"));
}

static mobid_http_server *start(const char *name, bool access_log)
{
    mobid_http_config cfg = { .name = name, .access_log = access_log };
    mobid_http_server *s = NULL;
    assert_int_equal(mobid_http_server_new(&cfg, &s), MOBID_OK);
    return s;
}

/* GET path with extra header lines; the whole response (headers and body) into out. */
static void raw_get(mobid_http_server *s, const char *path, const char *headers, mobid_buf *out)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(mobid_http_server_port(s)) };
    char req[512], chunk[4096];
    ssize_t n;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%s\r\n", path,
             headers ? headers : "");
    assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
    while ((n = read(fd, chunk, sizeof chunk)) > 0)
        mobid_buf_append(out, chunk, (size_t)n);
    close(fd);
    assert_int_equal(mobid_buf_terminate(out), MOBID_OK);
}

static void test_request_id_carried(void **state)
{
    mobid_http_server *front = start("front", false), *next = start("next", false);
    char next_url[160];
    mobid_buf r;

    assert_int_equal(mobid_http_route(next, "GET", "/seen", on_seen, NULL), MOBID_OK);
    assert_int_equal(mobid_http_server_start(next), MOBID_OK);
    snprintf(next_url, sizeof next_url, "%s/seen", mobid_http_server_url(next));
    assert_int_equal(mobid_http_route(front, "GET", "/call", on_call, next_url), MOBID_OK);
    assert_int_equal(mobid_http_server_start(front), MOBID_OK);

    /* A given id is echoed and reaches the next service. */
    mobid_buf_init(&r, 0);
    raw_get(front, "/call", "X-Request-Id: trace-42.a_b\r\n", &r);
    assert_non_null(strstr((char *)r.ptr, "\r\nX-Request-Id: trace-42.a_b\r\n"));
    assert_non_null(strstr((char *)r.ptr, "\r\n\r\ntrace-42.a_b"));
    mobid_buf_free(&r);

    /* An implausible id is replaced by a fresh one, which the next service gets. */
    mobid_buf_init(&r, 0);
    raw_get(front, "/call", "X-Request-Id: <script>\r\n", &r);
    const char *h = strstr((char *)r.ptr, "\r\nX-Request-Id: ");
    assert_non_null(h);
    h += 16;
    assert_int_equal(strspn(h, "0123456789abcdef"), 32);
    assert_non_null(strstr((char *)r.ptr, "\r\n\r\n"));
    assert_memory_equal(strstr((char *)r.ptr, "\r\n\r\n") + 4, h, 32);
    assert_null(strstr((char *)r.ptr, "<script>"));
    mobid_buf_free(&r);

    /* Outside a handler the client sends no id of its own. */
    mobid_http_result res;
    assert_int_equal(mobid_http_get(next_url, NULL, &res), MOBID_OK);
    assert_string_equal((char *)res.body.ptr, "(none)");
    mobid_http_result_free(&res);
    mobid_http_server_free(front);
    mobid_http_server_free(next);
}

/* Fresh ids (no X-Request-Id given) are 32 hex digits and never repeat. */
static void test_fresh_ids_unique(void **state)
{
    enum { N = 60 };
    mobid_http_server *s = start("ids", false);
    char ids[N][33];
    mobid_buf r;

    assert_int_equal(mobid_http_route(s, "GET", "/offers/{id}", on_offer, NULL), MOBID_OK);
    assert_int_equal(mobid_http_server_start(s), MOBID_OK);
    for (int i = 0; i < N; i++) {
        mobid_buf_init(&r, 0);
        raw_get(s, "/offers/x", NULL, &r);
        const char *h = strstr((char *)r.ptr, "\r\nX-Request-Id: ");
        assert_non_null(h);
        h += 16;
        assert_int_equal(strspn(h, "0123456789abcdef"), 32);
        memcpy(ids[i], h, 32);
        ids[i][32] = 0;
        for (int k = 0; k < i; k++)
            assert_string_not_equal(ids[i], ids[k]);
        mobid_buf_free(&r);
    }
    mobid_http_server_free(s);
}

/* Run fn with stderr going to a temp file; the lines written into out. */
static void capture_stderr(void (*fn)(void *), void *arg, mobid_buf *out)
{
    char path[] = "/tmp/mobid-log-XXXXXX", chunk[4096];
    int fd = mkstemp(path), saved = dup(STDERR_FILENO);
    ssize_t n;

    assert_true(fd >= 0 && saved >= 0);
    fflush(stderr);
    dup2(fd, STDERR_FILENO);
    fn(arg);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    lseek(fd, 0, SEEK_SET);
    while ((n = read(fd, chunk, sizeof chunk)) > 0)
        mobid_buf_append(out, chunk, (size_t)n);
    close(fd);
    unlink(path);
    assert_int_equal(mobid_buf_terminate(out), MOBID_OK);
}

static void some_requests(void *arg)
{
    mobid_http_server *s = arg;
    mobid_buf r;
    const char *paths[] = { "/offers/SECRET-OFFER-ID", "/nowhere?token=SECRET-QUERY", NULL };

    for (size_t i = 0; paths[i]; i++) {
        mobid_buf_init(&r, 0);
        raw_get(s, paths[i], "X-Request-Id: rid-1\r\nAuthorization: Bearer SECRET-BEARER\r\n", &r);
        mobid_buf_free(&r);
    }
    mobid_log(MOBID_LOG_WARN, "svc", "disk %d%% full", 93);
    mobid_log(MOBID_LOG_DEBUG, "svc", "not shown at info");
    mobid_http_server_stop(s); /* every access line is written once stop returns */
}

static void test_access_lines(void **state)
{
    mobid_http_server *s = start("svc", true);
    json_t *j;
    mobid_buf out;
    size_t lines = 0;

    assert_int_equal(mobid_http_route(s, "GET", "/offers/{id}", on_offer, NULL), MOBID_OK);
    assert_int_equal(mobid_http_server_start(s), MOBID_OK);
    mobid_log_set_level(MOBID_LOG_INFO);
    mobid_buf_init(&out, 0);
    capture_stderr(some_requests, s, &out);
    assert_null(strstr((char *)out.ptr, "SECRET"));
    for (char *line = strtok((char *)out.ptr, "\n"); line; line = strtok(NULL, "\n"), lines++) {
        assert_non_null(j = json_loads(line, 0, NULL));
        assert_non_null(json_object_get(j, "ts"));
        assert_string_equal(json_string_value(json_object_get(j, "service")), "svc");
        if (lines < 2) {
            assert_string_equal(json_string_value(json_object_get(j, "level")), "info");
            assert_string_equal(json_string_value(json_object_get(j, "request_id")), "rid-1");
            assert_string_equal(json_string_value(json_object_get(j, "method")), "GET");
            assert_true(json_is_number(json_object_get(j, "ms")));
            assert_string_equal(json_string_value(json_object_get(j, "path")),
                                lines == 0 ? "/offers/{id}" : "/nowhere");
            assert_int_equal(json_integer_value(json_object_get(j, "status")),
                             lines == 0 ? 200 : 404);
        } else {
            assert_string_equal(json_string_value(json_object_get(j, "level")), "warn");
            assert_string_equal(json_string_value(json_object_get(j, "msg")), "disk 93% full");
        }
        json_decref(j);
    }
    assert_int_equal(lines, 3);
    mobid_buf_free(&out);
    mobid_http_server_free(s);
}

#define MANY_THREADS 4
#define MANY_EACH 40

typedef struct many_arg {
    mobid_http_server *s;
    int thread;
} many_arg;

static void *many_client(void *arg)
{
    many_arg *a = arg;
    char hdr[96];
    mobid_buf r;
    for (int i = 0; i < MANY_EACH; i++) {
        snprintf(hdr, sizeof hdr, "X-Request-Id: rid-%d-%d\r\n", a->thread, i);
        mobid_buf_init(&r, 0);
        raw_get(a->s, "/offers/x", hdr, &r);
        mobid_buf_free(&r);
    }
    return NULL;
}

/* Clients on several threads, then a message line longer than the gathering buffer. */
static void many_requests(void *arg)
{
    pthread_t th[MANY_THREADS];
    many_arg a[MANY_THREADS];
    char odd[1001];
    for (int t = 0; t < MANY_THREADS; t++) {
        a[t] = (many_arg){ .s = arg, .thread = t };
        assert_int_equal(pthread_create(&th[t], NULL, many_client, &a[t]), 0);
    }
    for (int t = 0; t < MANY_THREADS; t++)
        pthread_join(th[t], NULL);
    memset(odd, 1, sizeof odd - 1); /* each byte escaped as \u0001: a 6 KB line */
    odd[sizeof odd - 1] = 0;
    mobid_log(MOBID_LOG_WARN, "svc", "%s", odd);
    mobid_http_server_stop(arg);
}

/* Access lines are gathered and written together: none is lost or cut into another,
 * and a message line comes after the access lines written before it. */
static void test_access_lines_gathered(void **state)
{
    mobid_http_server *s = start("svc", true);
    bool seen[MANY_THREADS][MANY_EACH] = { { false } };
    size_t lines = 0, access = 0;
    mobid_buf out;
    json_t *j;
    int t, i;

    assert_int_equal(mobid_http_route(s, "GET", "/offers/{id}", on_offer, NULL), MOBID_OK);
    assert_int_equal(mobid_http_server_start(s), MOBID_OK);
    mobid_log_set_level(MOBID_LOG_INFO);
    mobid_buf_init(&out, 0);
    capture_stderr(many_requests, s, &out);
    for (char *line = strtok((char *)out.ptr, "\n"); line; line = strtok(NULL, "\n"), lines++) {
        if (!(j = json_loads(line, 0, NULL)))
            fail_msg("line %zu is not JSON: %.80s", lines, line);
        const char *rid = json_string_value(json_object_get(j, "request_id"));
        if (rid && sscanf(rid, "rid-%d-%d", &t, &i) == 2 && t >= 0 && t < MANY_THREADS &&
            i >= 0 && i < MANY_EACH && !seen[t][i]) {
            seen[t][i] = true;
            access++;
            assert_int_equal(lines, access - 1); /* every access line before the message */
        } else {
            assert_string_equal(json_string_value(json_object_get(j, "level")), "warn");
            assert_int_equal(strlen(json_string_value(json_object_get(j, "msg"))), 1000);
        }
        json_decref(j);
    }
    assert_int_equal(access, MANY_THREADS * MANY_EACH);
    assert_int_equal(lines, access + 1);
    mobid_buf_free(&out);
    mobid_http_server_free(s);
}

static void quiet_requests(void *arg)
{
    mobid_buf r;
    mobid_buf_init(&r, 0);
    raw_get(arg, "/offers/x", NULL, &r);
    mobid_buf_free(&r);
    mobid_http_server_stop(arg);
}

static void test_level_error_hides_info(void **state)
{
    mobid_http_server *s = start("svc", true);
    mobid_log_level l;
    mobid_buf out;

    assert_true(mobid_log_parse_level("ERROR", &l) && l == MOBID_LOG_ERROR);
    assert_false(mobid_log_parse_level("loud", &l));
    assert_int_equal(mobid_http_route(s, "GET", "/offers/{id}", on_offer, NULL), MOBID_OK);
    assert_int_equal(mobid_http_server_start(s), MOBID_OK);
    mobid_log_set_level(MOBID_LOG_ERROR);
    mobid_buf_init(&out, 0);
    capture_stderr(quiet_requests, s, &out);
    assert_int_equal(out.len, 0);
    mobid_log_set_level(MOBID_LOG_INFO);
    mobid_buf_free(&out);
    mobid_http_server_free(s);
}

static void test_page_not_found(void **state)
{
    mobid_http_server *s = start("pages", false);
    mobid_buf r;

    assert_int_equal(mobid_http_not_found(s, "/pages/", on_page_404, NULL), MOBID_OK);
    assert_int_equal(mobid_http_not_found(s, "/pages/api/", NULL, NULL), MOBID_OK);
    assert_int_equal(mobid_http_not_found(s, "no-slash", on_page_404, NULL), MOBID_ERR_INVALID_ARG);
    assert_int_equal(mobid_http_server_start(s), MOBID_OK);
    assert_int_equal(mobid_http_not_found(s, "/late/", on_page_404, NULL), MOBID_ERR_INVALID_ARG);

    const struct { const char *path; const char *want; } cases[] = {
        { "/pages/missing", "Content-Type: text/html" },
        { "/pages/deep/er/still", "no such page" },
        { "/pages/api/x", "{\"error\":\"not_found\"" },
        { "/elsewhere", "{\"error\":\"not_found\"" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mobid_buf_init(&r, 0);
        raw_get(s, cases[i].path, NULL, &r);
        assert_non_null(strstr((char *)r.ptr, "HTTP/1.1 404"));
        if (!strstr((char *)r.ptr, cases[i].want))
            fail_msg("%s: %s", cases[i].path, (char *)r.ptr);
        mobid_buf_free(&r);
    }
    mobid_http_server_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_id_carried),
        cmocka_unit_test(test_access_lines),
        cmocka_unit_test(test_fresh_ids_unique),
        cmocka_unit_test(test_access_lines_gathered),
        cmocka_unit_test(test_level_error_hides_info),
        cmocka_unit_test(test_page_not_found),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
