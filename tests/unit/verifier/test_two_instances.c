/*
 * Two verifier instances on one store (PostgreSQL when MOBID_PG_URL is set, as
 * tests/cli/verifier_pg.sh does; else one SQLite file): a session created on one is
 * fetched and answered on the other and read on either; a replay on the first is
 * refused because the session state is shared.
 */
#include "vwallet.h"

static verifier_ctx *ctx_b;
static mobid_http_server *srv_b;

/* The same request path on instance b. */
static char *on_b(const char *url)
{
    const char *path = strstr(url, "/oid4vp/");
    size_t n = strlen(mobid_http_server_url(srv_b)) + strlen(path) + 1;
    char *out = malloc(n);
    assert_non_null(out);
    snprintf(out, n, "%s%s", mobid_http_server_url(srv_b), path);
    return out;
}

static void test_created_on_a_answered_on_b(void **state)
{
    (void)state;
    char code[64];
    wallet w;
    mobid_buf pres;
    cred_opts o = { .status_idx = 3 };
    json_t *created = create(SDJWT_QUERY); /* on a */

    /* Fetch the request object from b. */
    char *req_b = on_b(json_string_value(json_object_get(created, "request_uri")));
    json_t *moved = json_deep_copy(created);
    json_object_set_new(moved, "request_uri", json_string(req_b));
    wallet_fetch(&w, moved);
    present_sdjwt(&w, &o, NULL, &pres);
    json_t *params = vp_params(&w, "card", (const char *)pres.ptr);

    /* Answer on b: the response_uri names a's public URL, as behind one balancer. */
    char *resp_a = strdup(w.req.response_uri);
    char *resp_b = on_b(resp_a);
    w.req.response_uri = resp_b;
    assert_int_equal(wallet_post(&w, params, false, code), 200);

    /* Read on a (long-poll returns at once) — verified, with the claims. */
    json_t *st = status_of(created, 5);
    assert_string_equal(json_string_value(json_object_get(st, "status")), "verified");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_object_get(st, "claims"), "card"), "family_name")),
                        "Kim");
    json_decref(st);

    /* A replay to a is refused: b already took the session. */
    w.req.response_uri = resp_a;
    assert_int_equal(wallet_post(&w, params, false, code), 400);
    assert_string_equal(code, "SESSION_USED");
    w.req.response_uri = NULL; /* points into payload otherwise; ours are freed below */

    free(req_b);
    free(resp_a);
    free(resp_b);
    json_decref(params);
    json_decref(moved);
    json_decref(created);
    mobid_buf_free(&pres);
    wallet_clear(&w);
}

static int group_setup(void **state)
{
    char cfg[256];
    mobid_http_config hc = { .name = "verifier-b" };
    (void)state;
    vf_setup(&F);
    snprintf(cfg, sizeof cfg, "%s/verifier.json", F.dir);
    assert_int_equal(verifier_ctx_new(cfg, F.db, &ctx_b), MOBID_OK);
    assert_int_equal(verifier_set_public_url(ctx_b, F.ctx->public_url), MOBID_OK);
    assert_int_equal(mobid_http_server_new(&hc, &srv_b), MOBID_OK);
    assert_int_equal(verifier_routes(ctx_b, srv_b), MOBID_OK);
    assert_int_equal(mobid_http_server_start(srv_b), MOBID_OK);
    print_message("store: %s\n", strncmp(F.db, "sqlite:", 7) ? "PostgreSQL" : "SQLite file");
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    mobid_http_server_free(srv_b);
    verifier_ctx_free(ctx_b);
    vf_teardown(&F);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_created_on_a_answered_on_b),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
