/* src/http: many requests in flight on one thread (mobid_http_multi), against a server
 * on 127.0.0.1 (random port): each client's answer reaches the right caller, clients
 * are reused for request after request, a refused connection and a bad URL fail with
 * the codes mobid_http_client_request gives, and the answers of POST bodies arrive. */
#include "testutil.h"
#include "http/client.h"
#include "http/server.h"

#include <stdio.h>
#include <string.h>

#define CLIENTS 6
#define ROUNDS 5

static mobid_err on_echo(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    (void)ctx;
    return mobid_http_resp_text(resp, 200, mobid_http_req_param(req, "id"));
}

static mobid_err on_json(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    json_t *j = NULL;
    (void)ctx;
    mobid_err err = mobid_http_req_json(req, &j);
    if (err != MOBID_OK)
        return mobid_http_resp_error(resp, 400, "invalid_body", mobid_err_name(err));
    err = mobid_http_resp_json(resp, 201, j);
    json_decref(j);
    return err;
}

static mobid_http_server *start_server(void)
{
    mobid_http_config cfg = { .name = "test", .listen = "127.0.0.1:0" };
    mobid_http_server *s = NULL;
    assert_int_equal(mobid_http_server_new(&cfg, &s), MOBID_OK);
    assert_int_equal(mobid_http_route(s, "GET", "/echo/{id}", on_echo, NULL), MOBID_OK);
    assert_int_equal(mobid_http_route(s, "POST", "/json", on_json, NULL), MOBID_OK);
    assert_int_equal(mobid_http_server_start(s), MOBID_OK);
    return s;
}

typedef struct caller {
    mobid_http_client *c;
    mobid_http_result r;
    char url[256], body[64];
    int done;
} caller;

/* The next request of caller i: a GET echo, or a POST of JSON every other round. */
static mobid_err send_next(mobid_http_multi *m, mobid_http_server *s, caller *k, int i)
{
    if (k->done % 2) {
        snprintf(k->url, sizeof k->url, "%s/json", mobid_http_server_url(s));
        snprintf(k->body, sizeof k->body, "{\"caller\":%d,\"round\":%d}", i, k->done);
        return mobid_http_multi_start(m, k->c, "POST", k->url, NULL, "application/json",
                                      mobid_view_str(k->body), &k->r, k);
    }
    snprintf(k->url, sizeof k->url, "%s/echo/c%d-r%d", mobid_http_server_url(s), i, k->done);
    return mobid_http_multi_start(m, k->c, "GET", k->url, NULL, NULL, mobid_view_make(NULL, 0),
                                  &k->r, k);
}

static void check_answer(caller *k, int i)
{
    char want[64];
    if (k->done % 2) {
        snprintf(want, sizeof want, "{\"caller\":%d,\"round\":%d}", i, k->done);
        assert_int_equal(k->r.status, 201);
        json_t *got = NULL, *exp = json_loads(want, 0, NULL);
        assert_int_equal(mobid_http_result_json(&k->r, &got), MOBID_OK);
        assert_true(json_equal(got, exp));
        json_decref(got);
        json_decref(exp);
    } else {
        snprintf(want, sizeof want, "c%d-r%d", i, k->done);
        assert_int_equal(k->r.status, 200);
        assert_string_equal((const char *)k->r.body.ptr, want);
    }
}

static void test_many_in_flight(void **state)
{
    (void)state;
    mobid_http_server *s = start_server();
    mobid_http_multi *m = NULL;
    caller ks[CLIENTS];
    int finished = 0;
    assert_int_equal(mobid_http_multi_new(&m), MOBID_OK);
    for (int i = 0; i < CLIENTS; i++) {
        memset(&ks[i], 0, sizeof ks[i]);
        assert_int_equal(mobid_http_client_new(NULL, &ks[i].c), MOBID_OK);
        assert_int_equal(send_next(m, s, &ks[i], i), MOBID_OK);
    }
    while (finished < CLIENTS * ROUNDS) {
        void *ud = NULL;
        mobid_err err = MOBID_ERR_IO;
        if (!mobid_http_multi_next(m, 1000, &ud, &err))
            continue;
        caller *k = ud;
        int i = (int)(k - ks);
        assert_true(i >= 0 && i < CLIENTS);
        assert_int_equal(err, MOBID_OK);
        check_answer(k, i);
        mobid_http_result_free(&k->r);
        finished++;
        if (++k->done < ROUNDS)
            assert_int_equal(send_next(m, s, k, i), MOBID_OK);
    }
    for (int i = 0; i < CLIENTS; i++) {
        assert_int_equal(ks[i].done, ROUNDS);
        mobid_http_client_free(ks[i].c);
    }
    mobid_http_multi_free(m);
    mobid_http_server_free(s);
}

static void test_failures(void **state)
{
    (void)state;
    mobid_http_server *s = start_server();
    char url[256];
    uint16_t port = mobid_http_server_port(s);
    mobid_http_server_free(s); /* nothing listens on port now */
    mobid_http_multi *m = NULL;
    mobid_http_client *c = NULL;
    mobid_http_result r;
    void *ud = NULL;
    mobid_err err = MOBID_OK;
    int tag = 7;
    assert_int_equal(mobid_http_multi_new(&m), MOBID_OK);
    assert_int_equal(mobid_http_client_new(NULL, &c), MOBID_OK);
    /* a URL the client refuses: nothing starts, the caller frees the empty result */
    assert_int_equal(mobid_http_multi_start(m, c, "GET", "file:///etc/passwd", NULL, NULL,
                                            mobid_view_make(NULL, 0), &r, &tag),
                     MOBID_ERR_UNSUPPORTED);
    mobid_http_result_free(&r);
    assert_false(mobid_http_multi_next(m, 0, &ud, &err));
    snprintf(url, sizeof url, "http://127.0.0.1:%u/echo/x", (unsigned)port);
    assert_int_equal(mobid_http_multi_start(m, c, "GET", url, NULL, NULL,
                                            mobid_view_make(NULL, 0), &r, &tag), MOBID_OK);
    while (!mobid_http_multi_next(m, 1000, &ud, &err))
        ;
    assert_ptr_equal(ud, &tag);
    assert_int_equal(err, MOBID_ERR_FETCH_FAILED);
    assert_true(r.not_sent);
    mobid_http_result_free(&r);
    /* a header with a line break is refused before anything leaves */
    const char *bad[] = { "X-A: 1\r\nX-B: 2", NULL };
    assert_int_equal(mobid_http_multi_start(m, c, "GET", url, bad, NULL,
                                            mobid_view_make(NULL, 0), &r, &tag),
                     MOBID_ERR_INVALID_ARG);
    mobid_http_result_free(&r);
    mobid_http_client_free(c);
    mobid_http_multi_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many_in_flight),
        cmocka_unit_test(test_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
