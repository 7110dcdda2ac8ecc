/*
 * The portal against a stand-in verifier on loopback: the stand-in checks the API
 * key and the DCQL query exactly as the real API would be called, and answers the
 * states a test sets. Covers start, tickets, every result state, escaping of the
 * certificate and the static file guard.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "http/client.h"
#include "http/server.h"
#include "services/portal/portal.h"

static const char *fake_status; /* JSON the stand-in answers on GET */
static char fake_auth[128];     /* last Authorization header seen */
static char fake_profile[64];   /* last profile asked for */

static mobid_err fake_create(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    json_t *body = NULL;
    char exp[21];
    const char *auth = mobid_http_req_header(req, "Authorization");
    snprintf(fake_auth, sizeof fake_auth, "%s", auth ? auth : "");
    if (mobid_http_req_json(req, &body))
        return mobid_http_resp_error(resp, 400, "MALFORMED", "json");
    char *q = json_dumps(json_object_get(body, "dcql_query"), JSON_COMPACT);
    const char *profile = json_string_value(json_object_get(body, "profile"));
    snprintf(fake_profile, sizeof fake_profile, "%s", profile ? profile : "");
    bool too_much = ((q && strstr(q, "resident_registration_number")) ||
                     (profile && !strcmp(profile, "resident_full"))) && strstr(auth, "bank-key");
    free(q);
    json_decref(body);
    if (too_much)
        return mobid_http_resp_error(resp, 403, "CLAIM_NOT_ALLOWED", "not registered");
    mobid_time_format_rfc3339(mobid_now() + 180, exp);
    json_t *j = json_pack("{s:s, s:s, s:s, s:s}", "id", "sess-1", "qr_png",
                          "data:image/png;base64,iVBORw0KGgo=", "deep_link",
                          "openid4vp://?client_id=x&request_uri=y", "expires_at", exp);
    mobid_err err = mobid_http_resp_json(resp, 201, j);
    json_decref(j);
    return err;
}

static mobid_err fake_status_h(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    if (strcmp(mobid_http_req_param(req, "id"), "sess-1") || !mobid_http_req_query(req, "wait"))
        return mobid_http_resp_error(resp, 404, "NOT_FOUND", "no");
    return mobid_http_resp_body(resp, 200, "application/json", mobid_view_str(fake_status));
}

typedef struct fixture {
    mobid_http_server *verifier, *portal;
    portal_ctx *ctx;
    char url[128];
} fixture;

static int setup(void **state)
{
    static fixture f;
    mobid_http_config vc = { .name = "fake-verifier" }, pc = { .name = "portal" };
    memset(&f, 0, sizeof f);
    assert_int_equal(mobid_http_server_new(&vc, &f.verifier), MOBID_OK);
    assert_int_equal(mobid_http_route(f.verifier, "POST", "/api/v1/verifications", fake_create, NULL), MOBID_OK);
    assert_int_equal(mobid_http_route(f.verifier, "GET", "/api/v1/verifications/{id}", fake_status_h, NULL), MOBID_OK);
    assert_int_equal(mobid_http_server_start(f.verifier), MOBID_OK);
    portal_config cfg = { .verifier_url = mobid_http_server_url(f.verifier), .wait_s = 1 };
    cfg.sites[PORTAL_GOV].api_key = "gov-key";
    cfg.sites[PORTAL_BANK].api_key = "bank-key";
    assert_int_equal(portal_ctx_new(&cfg, &f.ctx), MOBID_OK);
    assert_int_equal(mobid_http_server_new(&pc, &f.portal), MOBID_OK);
    assert_int_equal(portal_routes(f.ctx, f.portal), MOBID_OK);
    assert_int_equal(mobid_http_server_start(f.portal), MOBID_OK);
    snprintf(f.url, sizeof f.url, "%s", mobid_http_server_url(f.portal));
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    mobid_http_server_free(f->portal);
    mobid_http_server_free(f->verifier);
    portal_ctx_free(f->ctx);
    return 0;
}

static json_t *call(fixture *f, const char *method, const char *path, const char *ctype, long *status)
{
    char url[512];
    mobid_http_result r = { 0 };
    json_t *j = NULL;
    mobid_http_client *c = NULL;
    assert_int_equal(mobid_http_client_new(NULL, &c), MOBID_OK);
    snprintf(url, sizeof url, "%s%s", f->url, path);
    assert_int_equal(mobid_http_client_request(c, method, url, NULL, ctype,
                                               mobid_view_str(ctype ? "{}" : ""), &r), MOBID_OK);
    *status = r.status;
    if (mobid_http_result_json(&r, &j))
        j = NULL;
    mobid_http_result_free(&r);
    mobid_http_client_free(c);
    return j;
}

/* Start a gov or bank verification and return its ticket (heap). */
static char *start(fixture *f, const char *site)
{
    char path[64];
    long st;
    snprintf(path, sizeof path, "/api/v1/start/%s", site);
    json_t *j = call(f, "POST", path, "application/json", &st);
    assert_int_equal(st, 200);
    json_int_t left = json_integer_value(json_object_get(j, "seconds_left"));
    assert_true(left > 170 && left <= 180);
    assert_string_equal(json_string_value(json_object_get(j, "same_device_link")),
                        "openid4vp://?client_id=x&request_uri=y");
    char *t = strdup(json_string_value(json_object_get(j, "ticket")));
    json_decref(j);
    return t;
}

static json_t *result(fixture *f, const char *site, const char *ticket, long *st)
{
    char path[512];
    snprintf(path, sizeof path, "/api/v1/result?site=%s&ticket=%s", site, ticket);
    return call(f, "GET", path, NULL, st);
}

static void test_start_uses_the_site_key(void **state)
{
    fixture *f = *state;
    free(start(f, "gov"));
    assert_string_equal(fake_auth, "Bearer gov-key");
    assert_string_equal(fake_profile, "resident_full");
    free(start(f, "bank"));
    assert_string_equal(fake_auth, "Bearer bank-key");
    /* each site asks for its own profile of the verifier, not a query of its own */
    assert_string_equal(fake_profile, "bank_age_check");
}

static void test_start_refuses_a_form_post(void **state)
{
    fixture *f = *state;
    long st;
    json_t *j = call(f, "POST", "/api/v1/start/gov", "application/x-www-form-urlencoded", &st);
    assert_int_equal(st, 415);
    json_decref(j);
    j = call(f, "POST", "/api/v1/start/other", "application/json", &st);
    assert_int_equal(st, 404);
    json_decref(j);
}

static void test_ticket_is_bound_to_site(void **state)
{
    fixture *f = *state;
    long st;
    char *t = start(f, "gov");
    fake_status = "{\"id\":\"sess-1\",\"status\":\"pending\"}";
    json_t *j = result(f, "bank", t, &st);
    assert_int_equal(st, 404);
    json_decref(j);
    j = result(f, "gov", "sess-1.AAAA", &st);
    assert_int_equal(st, 404);
    json_decref(j);
    j = result(f, "gov", t, &st);
    assert_int_equal(st, 200);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "pending");
    json_decref(j);
    free(t);
}

static void expect_reason(fixture *f, const char *status_json, const char *status, const char *reason)
{
    long st;
    char *t = start(f, "gov");
    fake_status = status_json;
    json_t *j = result(f, "gov", t, &st);
    assert_int_equal(st, 200);
    assert_string_equal(json_string_value(json_object_get(j, "status")), status);
    assert_string_equal(json_string_value(json_object_get(j, "reason")), reason);
    json_decref(j);
    free(t);
}

static void test_failure_reasons(void **state)
{
    fixture *f = *state;
    expect_reason(f, "{\"status\":\"expired\"}", "expired", "expired");
    expect_reason(f, "{\"status\":\"failed\",\"error\":\"SUSPENDED\"}", "failed", "suspended");
    expect_reason(f, "{\"status\":\"failed\",\"error\":\"REVOKED\"}", "failed", "revoked");
    expect_reason(f, "{\"status\":\"failed\",\"error\":\"DCQL_UNSATISFIED\","
                     "\"detail\":\"the wallet answered access_denied\"}", "failed", "consent");
    expect_reason(f, "{\"status\":\"failed\",\"error\":\"CONSENT_DENIED\"}", "failed", "consent");
    expect_reason(f, "{\"status\":\"failed\",\"error\":\"DEVICE_SIGNATURE_INVALID\"}", "failed", "failed");
}

static void test_verified_escapes_the_certificate(void **state)
{
    fixture *f = *state;
    long st;
    char *t = start(f, "gov");
    fake_status = "{\"status\":\"verified\",\"claims\":{\"resident_card\":{\"kr.go.mois.resident.1\":"
                  "{\"family_name\":\"<script>alert(1)</script>\",\"given_name\":\"Gildong\","
                  "\"family_name_national_character\":\"홍\",\"given_name_national_character\":\"길동\","
                  "\"birth_date\":\"1990-01-01\"}}}}";
    json_t *j = result(f, "gov", t, &st);
    assert_int_equal(st, 200);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "verified");
    assert_string_equal(json_string_value(json_object_get(j, "name")),
                        "홍길동 (Gildong <script>alert(1)</script>)");
    const char *html = json_string_value(json_object_get(json_object_get(j, "certificate"), "html"));
    const char *num = json_string_value(json_object_get(json_object_get(j, "certificate"), "number"));
    assert_non_null(html);
    assert_null(strstr(html, "<script>"));
    assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_non_null(strstr(html, "1990-01-01"));
    assert_int_equal(strlen(num), 20);
    assert_non_null(strstr(html, num));
    json_decref(j);
    free(t);
}

static void test_bank_gets_no_certificate(void **state)
{
    fixture *f = *state;
    long st;
    char *t = start(f, "bank");
    fake_status = "{\"status\":\"verified\",\"claims\":{\"resident_card\":{\"ns\":"
                  "{\"family_name\":\"Hong\",\"given_name\":\"Gildong\",\"age_over_19\":true}}}}";
    json_t *j = result(f, "bank", t, &st);
    assert_int_equal(st, 200);
    assert_null(json_object_get(j, "certificate"));
    assert_true(json_is_true(json_object_get(json_object_get(j, "claims"), "age_over_19")));
    assert_int_equal(json_object_size(json_object_get(j, "claims")), 3);
    json_decref(j);
    free(t);
}

static void test_static_files(void **state)
{
    fixture *f = *state;
    char url[256];
    const char *paths[] = { "/static/..%2Fportal.c", "/static/.htaccess", "/static/x.c",
                            "/static/nope.css" };
    mobid_http_result r = { 0 };
    snprintf(url, sizeof url, "%s/static/portal.js", f->url);
    assert_int_equal(mobid_http_get(url, NULL, &r), MOBID_OK);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.content_type, "text/javascript"));
    assert_null(strstr((char *)r.body.ptr, "innerHTML"));
    mobid_http_result_free(&r);
    snprintf(url, sizeof url, "%s/", f->url);
    assert_int_equal(mobid_http_get(url, NULL, &r), MOBID_OK);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr((char *)r.body.ptr, "Verify with Mobile ID"));
    assert_null(strstr((char *)r.body.ptr, " onclick="));
    mobid_http_result_free(&r);
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        snprintf(url, sizeof url, "%s%s", f->url, paths[i]);
        assert_int_equal(mobid_http_get(url, NULL, &r), MOBID_OK);
        assert_int_equal(r.status, 404);
        mobid_http_result_free(&r);
    }
}

static void test_config_is_checked(void **state)
{
    portal_ctx *ctx = NULL;
    portal_config cfg = { .verifier_url = "http://127.0.0.1:1" };
    (void)state;
    assert_int_equal(portal_ctx_new(&cfg, &ctx), MOBID_ERR_INVALID_ARG);
    cfg.sites[PORTAL_GOV].api_key = "k";
    cfg.sites[PORTAL_GOV].dcql_json = "[1,";
    assert_int_equal(portal_ctx_new(&cfg, &ctx), MOBID_ERR_INVALID_ARG);
    assert_null(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_start_uses_the_site_key),
        cmocka_unit_test(test_start_refuses_a_form_post),
        cmocka_unit_test(test_ticket_is_bound_to_site),
        cmocka_unit_test(test_failure_reasons),
        cmocka_unit_test(test_verified_escapes_the_certificate),
        cmocka_unit_test(test_bank_gets_no_certificate),
        cmocka_unit_test(test_static_files),
        cmocka_unit_test(test_config_is_checked),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    return rc;
}
