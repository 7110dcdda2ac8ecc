/* src/http: route matching, form encoding round trips, Prometheus text. */
#include "testutil.h"
#include "http/form.h"
#include "http/metrics.h"
#include "http/router.h"

#include <string.h>

static void h1(void) {}
static void h2(void) {}
static void h3(void) {}

static const http_route *match(const http_router *r, const char *method, const char *path,
                               http_params *p, bool *known)
{
    return http_router_match(r, method, path, p, known, NULL);
}

static void test_router_match(void **state)
{
    http_router r = { 0 };
    int ctx1 = 1;
    assert_int_equal(http_router_add(&r, "GET", "/api/v1/verifications/{id}", h1, &ctx1), MOBID_OK);
    assert_int_equal(http_router_add(&r, "GET", "/api/v1/verifications/stats", h2, NULL), MOBID_OK);
    assert_int_equal(http_router_add(&r, "POST", "/api/v1/verifications", h3, NULL), MOBID_OK);
    assert_int_equal(http_router_add(&r, "GET", "/", h3, NULL), MOBID_OK);
    assert_int_equal(http_router_add(&r, "GET", "/o/{office}/a/{app}", h1, NULL), MOBID_OK);

    http_params p;
    bool known = false;
    const http_route *rt = match(&r, "GET", "/api/v1/verifications/abc", &p, &known);
    assert_non_null(rt);
    assert_ptr_equal(rt->handler, h1);
    assert_ptr_equal(rt->ctx, &ctx1);
    assert_int_equal(p.n, 1);
    assert_int_equal(p.name_lens[0], 2);
    assert_memory_equal(p.names[0], "id", 2);
    assert_true(mobid_view_eq_str(p.values[0], "abc"));

    /* The literal segment wins over the parameter, whatever the order of adding. */
    rt = match(&r, "GET", "/api/v1/verifications/stats", &p, &known);
    assert_ptr_equal(rt->handler, h2);
    assert_int_equal(p.n, 0);

    rt = match(&r, "GET", "/o/LA/a/42", &p, &known);
    assert_int_equal(p.n, 2);
    assert_true(mobid_view_eq_str(p.values[0], "LA"));
    assert_true(mobid_view_eq_str(p.values[1], "42"));

    /* HEAD is served by GET routes; root path. */
    assert_non_null(match(&r, "HEAD", "/api/v1/verifications/x", &p, &known));
    assert_ptr_equal(match(&r, "GET", "/", &p, &known)->handler, h3);

    /* Known path, other method: 405 with Allow. */
    mobid_buf allow;
    mobid_buf_init(&allow, 0);
    assert_null(http_router_match(&r, "DELETE", "/api/v1/verifications", &p, &known, &allow));
    assert_true(known);
    assert_string_equal((const char *)allow.ptr, "POST");
    mobid_buf_free(&allow);

    /* Unknown paths: empty parameter, extra or missing segment, trailing slash. */
    const char *misses[] = { "/api/v1/verifications/", "/api/v1/verifications/a/b", "/api/v1",
                             "/api/v1/verifications//", "", "api/v1/verifications", "/o/LA/a/",
                             "/API/v1/verifications" };
    for (size_t i = 0; i < sizeof misses / sizeof *misses; i++) {
        assert_null(match(&r, "GET", misses[i], &p, &known));
        assert_false(known);
    }
    http_router_free(&r);
}

static void test_router_bad_patterns(void **state)
{
    http_router r = { 0 };
    assert_int_equal(http_router_add(&r, "GET", "/a/{id}", h1, NULL), MOBID_OK);
    assert_int_equal(http_router_add(&r, "GET", "/a/{id}", h2, NULL), MOBID_ERR_INVALID_ARG);
    assert_int_equal(http_router_add(&r, "GET", "no-slash", h1, NULL), MOBID_ERR_INVALID_ARG);
    assert_int_equal(http_router_add(&r, "GET", "/a/x{id}", h1, NULL), MOBID_ERR_INVALID_ARG);
    assert_int_equal(http_router_add(&r, "GET", "/a/{}", h1, NULL), MOBID_ERR_INVALID_ARG);
    assert_int_equal(http_router_add(&r, "", "/b", h1, NULL), MOBID_ERR_INVALID_ARG);
    assert_int_equal(http_router_add(&r, "GET", "/b", NULL, NULL), MOBID_ERR_INVALID_ARG);
    assert_int_equal(
        http_router_add(&r, "GET", "/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}", h1, NULL),
        MOBID_ERR_INVALID_ARG);
    assert_int_equal(http_router_add(&r, "GET", "/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17", h1, NULL),
                     MOBID_ERR_INVALID_ARG);
    http_params p;
    bool known;
    assert_null(match(&r, "GET", "/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17/18/19", &p, &known));
    http_router_free(&r);
}

static void test_form_roundtrip(void **state)
{
    mobid_buf enc;
    mobid_buf_init(&enc, 0);
    const char *pairs[][2] = { { "grant_type", "urn:ietf:params:oauth:grant-type:pre-authorized_code" },
                               { "tx_code", "012 345" },
                               { "note", "a&b=c%d+e/한글" },
                               { "empty", "" } };
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(mobid_http_form_append(&enc, pairs[i][0], pairs[i][1]), MOBID_OK);
    mobid_http_form f;
    assert_int_equal(mobid_http_form_parse(mobid_buf_view(&enc), 0, &f), MOBID_OK);
    assert_int_equal(f.n, 4);
    for (size_t i = 0; i < 4; i++) {
        const char *v = NULL;
        assert_int_equal(mobid_http_form_get(&f, pairs[i][0], &v), MOBID_OK);
        assert_string_equal(v, pairs[i][1]);
    }
    const char *v = NULL;
    assert_int_equal(mobid_http_form_get(&f, "missing", &v), MOBID_ERR_NOT_FOUND);
    mobid_http_form_free(&f);
    mobid_buf_free(&enc);

    /* '+' is a space; bare names and empty pairs. */
    assert_int_equal(mobid_http_form_parse(mobid_view_str("a=1+2&&b&c=&"), 0, &f), MOBID_OK);
    assert_int_equal(f.n, 3);
    assert_int_equal(mobid_http_form_get(&f, "a", &v), MOBID_OK);
    assert_string_equal(v, "1 2");
    assert_int_equal(mobid_http_form_get(&f, "b", &v), MOBID_OK);
    assert_string_equal(v, "");
    mobid_http_form_free(&f);
}

static void test_metrics_text(void **state)
{
    mobid_metrics *m = NULL;
    assert_int_equal(mobid_metrics_new(&m), MOBID_OK);
    assert_int_equal(mobid_metrics_declare(m, "mobid_verifications_total", "Verifications by result",
                                           MOBID_METRIC_COUNTER), MOBID_OK);
    assert_int_equal(mobid_metrics_declare(m, "mobid_verifications_total", "again", MOBID_METRIC_COUNTER),
                     MOBID_OK);
    assert_int_equal(mobid_metrics_declare(m, "mobid_verifications_total", "x", MOBID_METRIC_GAUGE),
                     MOBID_ERR_INVALID_ARG);
    assert_int_equal(mobid_metrics_declare(m, "bad-name", "x", MOBID_METRIC_GAUGE), MOBID_ERR_INVALID_ARG);
    assert_int_equal(mobid_metrics_declare(m, "mobid_sessions", "Open sessions", MOBID_METRIC_GAUGE), MOBID_OK);
    const char *ok[] = { "result", "verified", NULL };
    const char *bad[] = { "result", "a\"b\\c\nd", NULL };
    const char *badname[] = { "re-sult", "x", NULL };
    assert_int_equal(mobid_metrics_add(m, "mobid_verifications_total", ok, 1), MOBID_OK);
    assert_int_equal(mobid_metrics_add(m, "mobid_verifications_total", ok, 2), MOBID_OK);
    assert_int_equal(mobid_metrics_add(m, "mobid_verifications_total", bad, 1), MOBID_OK);
    assert_int_equal(mobid_metrics_add(m, "mobid_verifications_total", ok, -1), MOBID_ERR_INVALID_ARG);
    assert_int_equal(mobid_metrics_add(m, "mobid_verifications_total", badname, 1), MOBID_ERR_INVALID_ARG);
    assert_int_equal(mobid_metrics_set(m, "mobid_verifications_total", ok, 1), MOBID_ERR_INVALID_ARG);
    assert_int_equal(mobid_metrics_add(m, "undeclared", NULL, 1), MOBID_ERR_NOT_FOUND);
    assert_int_equal(mobid_metrics_set(m, "mobid_sessions", NULL, 2.5), MOBID_OK);
    mobid_metrics_observe_request(m, "/token", "POST", 200, 0.003);
    mobid_metrics_observe_request(m, "/token", "POST", 201, 0.2);
    mobid_metrics_observe_request(m, NULL, "BREW", 404, 0.0001);

    mobid_buf out;
    mobid_buf_init(&out, 0);
    assert_int_equal(mobid_metrics_render(m, &out), MOBID_OK);
    assert_int_equal(mobid_buf_terminate(&out), MOBID_OK);
    const char *t = (const char *)out.ptr;
    const char *expect[] = {
        "# TYPE mobid_http_requests_total counter\n",
        "mobid_http_requests_total{route=\"/token\",method=\"POST\",status=\"2xx\"} 2\n",
        "mobid_http_requests_total{route=\"unmatched\",method=\"other\",status=\"4xx\"} 1\n",
        "# TYPE mobid_http_request_duration_seconds histogram\n",
        "mobid_http_request_duration_seconds_bucket{route=\"/token\",method=\"POST\",status=\"2xx\",le=\"0.0025\"} 0\n",
        "mobid_http_request_duration_seconds_bucket{route=\"/token\",method=\"POST\",status=\"2xx\",le=\"0.005\"} 1\n",
        "mobid_http_request_duration_seconds_bucket{route=\"/token\",method=\"POST\",status=\"2xx\",le=\"0.25\"} 2\n",
        "mobid_http_request_duration_seconds_bucket{route=\"/token\",method=\"POST\",status=\"2xx\",le=\"+Inf\"} 2\n",
        "mobid_http_request_duration_seconds_sum{route=\"/token\",method=\"POST\",status=\"2xx\"} 0.203\n",
        "mobid_http_request_duration_seconds_count{route=\"/token\",method=\"POST\",status=\"2xx\"} 2\n",
        "# HELP mobid_verifications_total Verifications by result\n",
        "mobid_verifications_total{result=\"verified\"} 3\n",
        "mobid_verifications_total{result=\"a\\\"b\\\\c\\nd\"} 1\n",
        "# TYPE mobid_sessions gauge\nmobid_sessions 2.5\n",
    };
    for (size_t i = 0; i < sizeof expect / sizeof *expect; i++)
        if (!strstr(t, expect[i]))
            fail_msg("missing from /metrics text: %s\n---\n%s", expect[i], t);
    mobid_buf_free(&out);
    mobid_metrics_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_router_match),
        cmocka_unit_test(test_router_bad_patterns),
        cmocka_unit_test(test_form_roundtrip),
        cmocka_unit_test(test_metrics_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
