/*
 * Two verifier instances on one store (PostgreSQL when MOBID_PG_URL is set, as
 * tests/cli/verifier_pg.sh does; else one SQLite file): a session created on one is
 * fetched and answered on the other and read on either; a replay on the first is
 * refused because the session state is shared. A long-poll parked on one instance is
 * woken when the other answers (PostgreSQL LISTEN/NOTIFY; with one SQLite file the
 * answer is given on the same instance, woken in-process). Each instance keeps the fixed
 * parts of sessions in a cache; correctness never rests on it: an instance without one
 * serves a session, and an expired or answered session held in one is refused.
 */
#include <pthread.h>
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

/* A session created on a whose request object the wallet fetched from b; its answer is
 * presented and aimed at b (the response_uri names a's public URL, as behind one
 * balancer). */
typedef struct via_b {
    wallet w;
    mobid_buf pres;
    json_t *created, *moved, *params;
    char *req_b, *resp_a, *resp_b;
} via_b;

static void via_b_start(via_b *v)
{
    cred_opts o = { .status_idx = 3 };
    v->created = create(SDJWT_QUERY); /* on a */
    v->req_b = on_b(json_string_value(json_object_get(v->created, "request_uri")));
    v->moved = json_deep_copy(v->created);
    json_object_set_new(v->moved, "request_uri", json_string(v->req_b));
    wallet_fetch(&v->w, v->moved);
    present_sdjwt(&v->w, &o, NULL, &v->pres);
    v->params = vp_params(&v->w, "card", (const char *)v->pres.ptr);
    v->resp_a = strdup(v->w.req.response_uri);
    v->resp_b = on_b(v->resp_a);
    v->w.req.response_uri = v->resp_b;
}

static void via_b_clear(via_b *v)
{
    v->w.req.response_uri = NULL; /* points into payload otherwise; ours are freed below */
    free(v->req_b);
    free(v->resp_a);
    free(v->resp_b);
    json_decref(v->params);
    json_decref(v->moved);
    json_decref(v->created);
    mobid_buf_free(&v->pres);
    wallet_clear(&v->w);
}

static void test_created_on_a_answered_on_b(void **state)
{
    (void)state;
    char code[64];
    via_b v;
    via_b_start(&v);
    assert_int_equal(wallet_post(&v.w, v.params, false, code), 200);

    /* Read on a (long-poll returns at once) — verified, with the claims. */
    json_t *st = status_of(v.created, 5);
    assert_string_equal(json_string_value(json_object_get(st, "status")), "verified");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_object_get(st, "claims"), "card"), "family_name")),
                        "Kim");
    json_decref(st);

    /* A replay to a is refused: b already took the session. */
    v.w.req.response_uri = v.resp_a;
    assert_int_equal(wallet_post(&v.w, v.params, false, code), 400);
    assert_string_equal(code, "SESSION_USED");
    via_b_clear(&v);
}

/* GET url with the wallet's client: the HTTP status, and mobid_error in code. */
static long wallet_get(const char *url, char code[64])
{
    mobid_http_result r;
    json_t *j = NULL;
    assert_int_equal(mobid_http_client_get(F.whttp, url, NULL, &r), MOBID_OK);
    long st = r.status;
    code[0] = 0;
    if (st != 200 && mobid_http_result_json(&r, &j) == MOBID_OK)
        snprintf(code, 64, "%s", json_string_value(json_object_get(j, "mobid_error")) ?: "");
    json_decref(j);
    mobid_http_result_free(&r);
    return st;
}

/* b keeps no session cache, as an instance of a fleet that never saw the session: it
 * reads the store and unseals the key. a made the session and still holds it in its
 * cache afterwards (with one SQLite file no one tells it); what a answers about it comes
 * from the store all the same. */
static void test_cacheless_b_serves_a_session(void **state)
{
    (void)state;
    char code[64];
    via_b v;
    verifier_cache *kept = ctx_b->cache;
    ctx_b->cache = NULL;
    via_b_start(&v);
    assert_int_equal(wallet_post(&v.w, v.params, false, code), 200);

    /* On a: an answer with another state, and the same answer again, are both told the
     * session is used (not "state mismatch", as a pending session would say). */
    v.w.req.response_uri = v.resp_a;
    json_t *junk = json_deep_copy(v.params);
    json_object_set_new(junk, "state", json_string("not-this-session"));
    assert_int_equal(wallet_post(&v.w, junk, false, code), 400);
    assert_string_equal(code, "SESSION_USED");
    assert_int_equal(wallet_post(&v.w, v.params, false, code), 400);
    assert_string_equal(code, "SESSION_USED");

    /* The claims leave once, from a. */
    json_t *st = status_of(v.created, 0);
    assert_string_equal(json_string_value(json_object_get(st, "status")), "verified");
    assert_non_null(json_object_get(st, "claims"));
    json_decref(st);
    st = status_of(v.created, 0);
    assert_null(json_object_get(st, "claims"));
    assert_true(json_is_true(json_object_get(st, "claims_delivered")));
    json_decref(st);

    ctx_b->cache = kept;
    json_decref(junk);
    via_b_clear(&v);
}

/* A session a keeps in its cache is refused once expired, at the fetch and the answer,
 * on both instances. */
static void test_expired_cached_session_refused(void **state)
{
    (void)state;
    char code[64];
    wallet w;
    mobid_buf pres;
    cred_opts o = { .status_idx = -1 };
    json_t *created = create(SDJWT_QUERY); /* on a, kept in a's cache */
    wallet_fetch(&w, created);
    present_sdjwt(&w, &o, NULL, &pres);
    json_t *params = vp_params(&w, "card", (const char *)pres.ptr);
    char *req_b = on_b(w.request_uri);

    mobid_clock_pin(mobid_now() + VERIFIER_DEFAULT_TTL + 1);
    long fetched = wallet_get(w.request_uri, code);
    char fetch_code[64];
    snprintf(fetch_code, sizeof fetch_code, "%s", code);
    long fetched_b = wallet_get(req_b, code);
    char fetch_code_b[64];
    snprintf(fetch_code_b, sizeof fetch_code_b, "%s", code);
    long posted = wallet_post(&w, params, false, code);
    mobid_clock_unpin();

    assert_int_equal(fetched, 400);
    assert_string_equal(fetch_code, "SESSION_EXPIRED");
    assert_int_equal(fetched_b, 400);
    assert_string_equal(fetch_code_b, "SESSION_EXPIRED");
    assert_int_equal(posted, 400);
    assert_string_equal(code, "SESSION_EXPIRED");
    free(req_b);
    json_decref(params);
    json_decref(created);
    mobid_buf_free(&pres);
    wallet_clear(&w);
}

typedef struct poll_call {
    char url[512];
    long status;
    json_t *body;
} poll_call;

/* GET ...?wait=60 on a with its own client (the fixture's belongs to the main thread). */
static void *long_poll(void *arg)
{
    poll_call *pc = arg;
    const char *hdr[] = { "Authorization: Bearer " VF_API_KEY, NULL };
    mobid_http_client_opts o = { .timeout_ms = 90000 };
    mobid_http_client *c = NULL;
    mobid_http_result r;
    if (mobid_http_client_new(&o, &c) == MOBID_OK &&
        mobid_http_client_get(c, pc->url, hdr, &r) == MOBID_OK) {
        pc->status = r.status;
        if (mobid_http_result_json(&r, &pc->body))
            pc->body = NULL;
    }
    mobid_http_result_free(&r);
    mobid_http_client_free(c);
    return NULL;
}

static void test_parked_on_a_woken_by_b(void **state)
{
    (void)state;
    bool pg = strncmp(F.db, "sqlite:", 7) != 0;
    char code[64];
    wallet w;
    mobid_buf pres;
    cred_opts o = { .status_idx = 3 };
    json_t *created = create(SDJWT_QUERY); /* on a */
    poll_call pc = { 0 };
    pthread_t t;

    snprintf(pc.url, sizeof pc.url, "%s/api/v1/verifications/%s?wait=60",
             mobid_http_server_url(F.srv), json_string_value(json_object_get(created, "id")));
    assert_int_equal(pthread_create(&t, NULL, long_poll, &pc), 0);
    for (int i = 0; i < 12000 && mobid_http_server_parked(F.srv) != 1; i++) {
        struct timespec d = { 0, 5 * 1000 * 1000 };
        nanosleep(&d, NULL);
    }
    assert_int_equal(mobid_http_server_parked(F.srv), 1);

    char *resp_b = NULL;
    wallet_fetch(&w, created);
    present_sdjwt(&w, &o, NULL, &pres);
    json_t *params = vp_params(&w, "card", (const char *)pres.ptr);
    if (pg) { /* the answer goes to b; a hears of it through NOTIFY */
        resp_b = on_b(w.req.response_uri);
        w.req.response_uri = resp_b;
    }
    assert_int_equal(wallet_post(&w, params, false, code), 200);
    pthread_join(t, NULL);
    assert_int_equal(pc.status, 200);
    assert_string_equal(json_string_value(json_object_get(pc.body, "status")), "verified");
    assert_non_null(json_object_get(pc.body, "claims"));
    if (pg)
        w.req.response_uri = NULL;
    free(resp_b);
    json_decref(pc.body);
    json_decref(params);
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
        cmocka_unit_test(test_parked_on_a_woken_by_b),
        cmocka_unit_test(test_cacheless_b_serves_a_session),
        cmocka_unit_test(test_expired_cached_session_refused),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
