/* src/http/limits.c and the services that read it: the "http" limits of the issuer's,
 * the verifier's and the portal's configuration, with their refusals. */
#include "testutil.h"
#include "http/limits.h"
#include "services/issuer/issuer.h"
#include "services/portal/portal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *parse(const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    return j;
}

static void test_read_and_apply(void **state)
{
    json_t *j = parse("{\"workers\": 3, \"io_threads\": 1, \"max_queue\": 50,"
                      " \"max_connections\": 900, \"per_client_connections\": 0,"
                      " \"request_timeout_s\": 7, \"idle_timeout_s\": 11}");
    mobid_http_config cfg = { 0 }, to = { .name = "x", .max_body = 99 };
    assert_int_equal(mobid_http_limits_read(j, "test", &cfg), MOBID_OK);
    assert_int_equal(cfg.workers, 3);
    assert_int_equal(cfg.io_threads, 1);
    assert_int_equal(cfg.max_queue, 50);
    assert_int_equal(cfg.max_connections, 900);
    assert_int_equal(cfg.per_client_connections, MOBID_HTTP_UNLIMITED); /* 0: no cap */
    assert_int_equal(cfg.request_timeout_s, 7);
    assert_int_equal(cfg.timeout_s, 11);
    mobid_http_limits_apply(&cfg, &to);
    assert_int_equal(to.max_queue, 50);
    assert_int_equal(to.timeout_s, 11);
    assert_string_equal(to.name, "x"); /* not a limit: left alone */
    assert_int_equal(to.max_body, 99);
    json_decref(j);
    /* Absent: every default stays. */
    memset(&cfg, 0, sizeof cfg);
    assert_int_equal(mobid_http_limits_read(NULL, "test", &cfg), MOBID_OK);
    assert_int_equal(cfg.workers, 0);
}

static void test_refusals(void **state)
{
    static const char *const bad[] = {
        "[]",                          /* not an object */
        "{\"workers\": 0}",            /* below the range */
        "{\"workers\": 5000}",         /* above */
        "{\"max_queue\": \"10\"}",     /* not an integer */
        "{\"max_queue\": 1.5}",
        "{\"request_timeout\": 5}",    /* a typo: unknown key */
        "{\"per_client_connections\": -1}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *j = parse(bad[i]);
        mobid_http_config cfg = { .workers = 4 };
        assert_int_equal(mobid_http_limits_read(j, "test", &cfg), MOBID_ERR_MALFORMED);
        assert_int_equal(cfg.workers, 4); /* unchanged on refusal */
        json_decref(j);
    }
}

static void test_issuer_config(void **state)
{
    issuer_config cfg;
    json_t *j = parse("{\"http\": {\"workers\": 2, \"max_queue\": 16,"
                      " \"per_client_connections\": 8}}");
    assert_int_equal(issuer_config_from_json(j, &cfg), MOBID_OK);
    assert_int_equal(cfg.http.workers, 2);
    assert_int_equal(cfg.http.max_queue, 16);
    assert_int_equal(cfg.http.per_client_connections, 8);
    issuer_config_free(&cfg);
    json_decref(j);
    j = parse("{\"http\": {\"max_queue\": 0}}");
    assert_int_equal(issuer_config_from_json(j, &cfg), MOBID_ERR_MALFORMED);
    json_decref(j);
}

static void test_portal_config(void **state)
{
    portal_config pc = { 0 };
    mobid_http_config hc = { 0 };
    json_t *j = parse("{\"http\": {\"workers\": 2, \"request_timeout_s\": 9},"
                      " \"start_per_second\": 0.5, \"start_burst\": 3, \"max_waiting\": 40,"
                      " \"wait_s\": 15}");
    assert_int_equal(portal_config_read(j, &pc, &hc), MOBID_OK);
    assert_int_equal(hc.workers, 2);
    assert_int_equal(hc.request_timeout_s, 9);
    assert_true(pc.start_per_second == 0.5);
    assert_true(pc.start_burst == 3);
    assert_int_equal(pc.max_waiting, 40);
    assert_int_equal(pc.wait_s, 15);
    json_decref(j);
    static const char *const bad[] = { "{\"start_burst\": 0}", "{\"wait_s\": 1000}",
                                       "{\"http\": {\"workers\": -2}}", "{\"verifier\": 1}" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        j = parse(bad[i]);
        assert_int_equal(portal_config_read(j, &pc, &hc), MOBID_ERR_MALFORMED);
        json_decref(j);
    }
}

/* The example configurations under etc/ stay valid. */
static void test_examples(void **state)
{
    const char *src = getenv("MOBID_SOURCE_DIR");
    char path[1024];
    issuer_config cfg;
    portal_config pc = { 0 };
    mobid_http_config hc = { 0 };
    json_t *j;
    if (!src)
        skip();
    snprintf(path, sizeof path, "%s/etc/issuer.example.json", src);
    assert_int_equal(issuer_config_load(path, &cfg), MOBID_OK);
    assert_int_equal(cfg.http.workers, 8);
    issuer_config_free(&cfg);
    snprintf(path, sizeof path, "%s/etc/portal.example.json", src);
    assert_non_null(j = json_load_file(path, 0, NULL));
    assert_int_equal(portal_config_read(j, &pc, &hc), MOBID_OK);
    assert_int_equal(hc.max_queue, 1024);
    json_decref(j);
    snprintf(path, sizeof path, "%s/etc/verifier.example.json", src);
    assert_non_null(j = json_load_file(path, 0, NULL));
    memset(&hc, 0, sizeof hc);
    assert_int_equal(mobid_http_limits_read(json_object_get(j, "http"), "verifier", &hc), MOBID_OK);
    assert_int_equal(hc.request_timeout_s, 20);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_and_apply),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_issuer_config),
        cmocka_unit_test(test_portal_config),
        cmocka_unit_test(test_examples),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
