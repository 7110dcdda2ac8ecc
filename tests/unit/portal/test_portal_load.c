/*
 * The portal under floods, at small sizes, against a stand-in verifier whose
 * long-poll parks: starts beyond the per-address burst get 429; result requests park
 * (no thread on either side) and are answered when the verification ends; beyond the
 * limit of concurrent long-polls a result request gets 503 with Retry-After; a page
 * that goes away ends its long-poll at the verifier too. Nothing is timed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>
#include "http/client.h"
#include "http/server.h"
#include "services/portal/portal.h"

static mobid_http_server *verifier, *portal;
static portal_ctx *pctx;

static mobid_err fake_create(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    char exp[21];
    mobid_time_format_rfc3339(mobid_now() + 180, exp);
    json_t *j = json_pack("{s:s, s:s, s:s}", "id", "sess-1", "deep_link",
                          "openid4vp://?client_id=x&request_uri=y", "expires_at", exp);
    mobid_err err = mobid_http_resp_json(resp, 201, j);
    json_decref(j);
    return err;
}

static mobid_err fake_answer(mobid_http_req *req, mobid_http_resp *resp, void *ctx,
                             mobid_http_wake why)
{
    const char *st = why == MOBID_HTTP_WOKEN ? "{\"id\":\"sess-1\",\"status\":\"failed\","
                                               "\"error\":\"REVOKED\"}"
                                             : "{\"id\":\"sess-1\",\"status\":\"pending\"}";
    return mobid_http_resp_body(resp, 200, "application/json", mobid_view_str(st));
}

/* Parks like the real verifier until the test wakes "sess-1". */
static mobid_err fake_status(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    mobid_err err = mobid_http_req_watch(req, mobid_http_req_param(req, "id"));
    return err ? err : mobid_http_req_park(req, 60, fake_answer, NULL);
}

static void pause_ms(long ms)
{
    struct timespec d = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&d, NULL);
}

static void wait_parked(mobid_http_server *s, size_t n)
{
    for (int i = 0; i < 12000 && mobid_http_server_parked(s) != n; i++)
        pause_ms(5);
    assert_int_equal(mobid_http_server_parked(s), n);
}

static long request(const char *method, const char *path, const char *ctype, mobid_http_result *r)
{
    char url[512];
    mobid_http_client *c = NULL;
    snprintf(url, sizeof url, "%s%s", mobid_http_server_url(portal), path);
    assert_int_equal(mobid_http_client_new(NULL, &c), MOBID_OK);
    assert_int_equal(mobid_http_client_request(c, method, url, NULL, ctype,
                                               mobid_view_str(ctype ? "{}" : ""), r), MOBID_OK);
    mobid_http_client_free(c);
    return r->status;
}

static int send_raw(const char *path)
{
    char req[1024];
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(mobid_http_server_port(portal)) };
    inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path);
    assert_int_equal(send(fd, req, (size_t)n, MSG_NOSIGNAL), n);
    return fd;
}

static void read_all(int fd, mobid_buf *out)
{
    char chunk[4096];
    ssize_t got;
    struct timeval tv = { 90, 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    mobid_buf_init(out, 0);
    while ((got = recv(fd, chunk, sizeof chunk, 0)) > 0)
        mobid_buf_append(out, chunk, (size_t)got);
    mobid_buf_terminate(out);
}

static void test_floods(void **state)
{
    mobid_http_result r;
    char *tickets[3];
    char path[512];
    int fds[3];

    /* Starts: a burst of 3 per address, then 429. */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(request("POST", "/api/v1/start/gov", "application/json", &r), 200);
        json_t *j = NULL;
        assert_int_equal(mobid_http_result_json(&r, &j), MOBID_OK);
        tickets[i] = strdup(json_string_value(json_object_get(j, "ticket")));
        json_decref(j);
        mobid_http_result_free(&r);
    }
    assert_int_equal(request("POST", "/api/v1/start/gov", "application/json", &r), 429);
    assert_non_null(strstr((const char *)r.body.ptr, "RATE_LIMITED"));
    mobid_http_result_free(&r);

    /* Three waiting pages: parked at the portal and at the verifier. */
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "/api/v1/result?site=gov&ticket=%s", tickets[i]);
        fds[i] = send_raw(path);
    }
    wait_parked(portal, 3);
    wait_parked(verifier, 3);
    /* A fourth is beyond the portal's limit: 503 with Retry-After, liveness still fine. */
    snprintf(path, sizeof path, "/api/v1/result?site=gov&ticket=%s", tickets[0]);
    assert_int_equal(request("GET", path, NULL, &r), 503);
    assert_non_null(strstr((const char *)r.body.ptr, "BUSY"));
    mobid_http_result_free(&r);
    assert_int_equal(request("GET", "/healthz", NULL, &r), 200);
    mobid_http_result_free(&r);

    /* A page goes away: its long-poll at the verifier ends too. */
    close(fds[2]);
    wait_parked(portal, 2);
    wait_parked(verifier, 2);

    /* The verification ends: the waiting pages get the answer. */
    mobid_http_server_wake(verifier, "sess-1");
    for (int i = 0; i < 2; i++) {
        mobid_buf out;
        read_all(fds[i], &out);
        assert_non_null(strstr((const char *)out.ptr, "\"reason\":\"revoked\""));
        mobid_buf_free(&out);
        close(fds[i]);
    }
    wait_parked(portal, 0);
    for (int i = 0; i < 3; i++)
        free(tickets[i]);
}

static int setup(void **state)
{
    mobid_http_config vc = { .name = "fake-verifier" }, pc = { .name = "portal" };
    assert_int_equal(mobid_http_server_new(&vc, &verifier), MOBID_OK);
    assert_int_equal(mobid_http_route(verifier, "POST", "/api/v1/verifications", fake_create, NULL),
                     MOBID_OK);
    assert_int_equal(mobid_http_route(verifier, "GET", "/api/v1/verifications/{id}", fake_status,
                                      NULL), MOBID_OK);
    assert_int_equal(mobid_http_server_start(verifier), MOBID_OK);
    portal_config cfg = { .verifier_url = mobid_http_server_url(verifier), .wait_s = 30,
                          .max_waiting = 3, .start_per_second = 0.001, .start_burst = 3 };
    cfg.sites[PORTAL_GOV].api_key = "gov-key";
    assert_int_equal(portal_ctx_new(&cfg, &pctx), MOBID_OK);
    assert_int_equal(mobid_http_server_new(&pc, &portal), MOBID_OK);
    assert_int_equal(portal_routes(pctx, portal), MOBID_OK);
    assert_int_equal(mobid_http_server_start(portal), MOBID_OK);
    return 0;
}

static int teardown(void **state)
{
    mobid_http_server_free(portal);
    mobid_http_server_free(verifier);
    portal_ctx_free(pctx);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_floods) };
    return cmocka_run_group_tests(tests, setup, teardown);
}
