/* The cases of test_verifier.c (included there; they use its fixture and helpers). */

/* Answer a fresh session created with query; returns the status object after it. */
static json_t *answer(const char *query, const cred_opts *o, const char *nonce, char code[64],
                      long *http)
{
    wallet w;
    mobid_buf pres;
    json_t *created = create(query);
    wallet_fetch(&w, created);
    const json_t *cq = json_array_get(json_object_get(w.req.dcql_query, "credentials"), 0);
    const char *id = json_string_value(json_object_get(cq, "id"));
    if (!strcmp(json_string_value(json_object_get(cq, "format")), "mso_mdoc"))
        present_mdoc(&w, o, &pres);
    else
        present_sdjwt(&w, o, nonce, &pres);
    json_t *params = vp_params(&w, id, (const char *)pres.ptr);
    *http = wallet_post(&w, params, false, code);
    json_t *st = status_of(created, 0);
    json_decref(params);
    json_decref(created);
    mobid_buf_free(&pres);
    wallet_clear(&w);
    return st;
}

static void expect_failure(json_t *st, long http, const char *code, const char *want)
{
    assert_int_equal(http, 400);
    assert_string_equal(code, want);
    assert_string_equal(json_string_value(json_object_get(st, "status")), "failed");
    assert_string_equal(json_string_value(json_object_get(st, "error")), want);
    assert_null(json_object_get(st, "claims"));
    json_decref(st);
}

static void expect_case(const char *query, const cred_opts *o, const char *want)
{
    char code[64];
    long http = 0;
    json_t *st = answer(query, o, NULL, code, &http);
    expect_failure(st, http, code, want);
}

/* An answer that proves no holder (untrusted issuer, wrong nonce): each is refused with
 * its code while the session stays pending, up to VERIFIER_RESPONSE_ATTEMPTS; the last
 * one fails the session with that code, and nothing is taken after it. */
static void expect_strikes(const char *query, const cred_opts *o, const char *nonce,
                           const char *want)
{
    wallet w;
    mobid_buf pres;
    char code[64];
    json_t *created = create(query), *st;
    wallet_fetch(&w, created);
    const json_t *cq = json_array_get(json_object_get(w.req.dcql_query, "credentials"), 0);
    if (!strcmp(json_string_value(json_object_get(cq, "format")), "mso_mdoc"))
        present_mdoc(&w, o, &pres);
    else
        present_sdjwt(&w, o, nonce, &pres);
    json_t *params = vp_params(&w, json_string_value(json_object_get(cq, "id")),
                               (const char *)pres.ptr);
    for (int i = 1; i < VERIFIER_RESPONSE_ATTEMPTS; i++) {
        assert_int_equal(wallet_post(&w, params, false, code), 400);
        assert_string_equal(code, want);
        st = status_of(created, 0);
        assert_string_equal(json_string_value(json_object_get(st, "status")), "pending");
        json_decref(st);
    }
    long http = wallet_post(&w, params, false, code);
    expect_failure(status_of(created, 0), http, code, want);
    assert_int_equal(wallet_post(&w, params, false, code), 400);
    assert_string_equal(code, "SESSION_USED");
    json_decref(params);
    json_decref(created);
    mobid_buf_free(&pres);
    wallet_clear(&w);
}

static void test_sdjwt_verified_once(void **state)
{
    (void)state;
    char code[64];
    long http;
    cred_opts o = { .status_idx = 3 };
    json_t *created = create(SDJWT_QUERY);
    const char *link = json_string_value(json_object_get(created, "deep_link"));
    const char *prefix = "openid4vp://?client_id=x509_hash%3A";
    if (strncmp(link, prefix, strlen(prefix)))
        print_message("deep link: %s\n", link);
    assert_true(!strncmp(link, prefix, strlen(prefix)));
    assert_non_null(strstr(link, "&request_uri=http"));
    assert_non_null(strstr(json_string_value(json_object_get(created, "qr_png_url")), "/qr.png"));
    json_decref(created);

    json_t *st = answer(SDJWT_QUERY, &o, NULL, code, &http);
    assert_int_equal(http, 200);
    assert_string_equal(json_string_value(json_object_get(st, "status")), "verified");
    const json_t *card = json_object_get(json_object_get(st, "claims"), "card");
    assert_string_equal(json_string_value(json_object_get(card, "given_name")), "Minji");
    assert_string_equal(json_string_value(json_object_get(card, "family_name")), "Kim");
    assert_true(json_is_true(json_object_get(card, "age_over_19")));
    /* birth_date was disclosed by the wallet but not asked for: not passed on. */
    assert_null(json_object_get(card, "birth_date"));
    assert_int_equal(json_object_size(card), 3);

    /* The claims are handed over once. */
    char path[256];
    long s2;
    snprintf(path, sizeof path, "/api/v1/verifications/%s", json_string_value(json_object_get(st, "id")));
    json_t *again = rp_call("GET", path, NULL, &s2);
    assert_int_equal(s2, 200);
    assert_string_equal(json_string_value(json_object_get(again, "status")), "verified");
    assert_null(json_object_get(again, "claims"));
    assert_true(json_is_true(json_object_get(again, "claims_delivered")));
    json_decref(again);
    json_decref(st);
}

static void test_sdjwt_direct_post_profile(void **state)
{
    (void)state;
    char code[64];
    long http;
    cred_opts o = { .status_idx = -1 };
    json_t *st = answer("{\"profile\":\"bank-names\",\"response_mode\":\"direct_post\"}", &o, NULL,
                        code, &http);
    assert_int_equal(http, 200);
    assert_string_equal(json_string_value(json_object_get(st, "status")), "verified");
    const json_t *card = json_object_get(json_object_get(st, "claims"), "card");
    assert_string_equal(json_string_value(json_object_get(card, "family_name")), "Kim");
    assert_int_equal(json_object_size(card), 2);
    json_decref(st);
}

static void test_mdoc_verified(void **state)
{
    (void)state;
    char code[64];
    long http;
    cred_opts o = { .status_idx = 2 };
    json_t *st = answer(MDOC_QUERY, &o, NULL, code, &http);
    assert_int_equal(http, 200);
    assert_string_equal(json_string_value(json_object_get(st, "status")), "verified");
    const json_t *ns = json_object_get(json_object_get(json_object_get(st, "claims"), "mdl"),
                                       KR_RESIDENT_NS);
    assert_string_equal(json_string_value(json_object_get(ns, "family_name")), "Kim");
    assert_true(json_is_true(json_object_get(ns, "age_over_19")));
    assert_int_equal(json_object_size(ns), 2);
    json_decref(st);
}

static void test_wrong_nonce(void **state)
{
    (void)state;
    cred_opts o = { .status_idx = -1 };
    expect_strikes(SDJWT_QUERY, &o, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "NONCE_MISMATCH");
}

static void test_replay(void **state)
{
    (void)state;
    char code[64];
    wallet w;
    mobid_buf pres;
    cred_opts o = { .status_idx = -1 };
    json_t *created = create(SDJWT_QUERY);
    wallet_fetch(&w, created);
    present_sdjwt(&w, &o, NULL, &pres);
    json_t *params = vp_params(&w, "card", (const char *)pres.ptr);
    assert_int_equal(wallet_post(&w, params, false, code), 200);
    assert_int_equal(wallet_post(&w, params, false, code), 400);
    assert_string_equal(code, "SESSION_USED");
    /* The request object is not served again either. */
    mobid_http_result r;
    assert_int_equal(mobid_http_client_get(F.whttp, w.request_uri, NULL, &r), MOBID_OK);
    assert_int_equal(r.status, 400);
    mobid_http_result_free(&r);
    json_t *st = status_of(created, 0);
    assert_string_equal(json_string_value(json_object_get(st, "status")), "verified");
    json_decref(st);
    json_decref(params);
    json_decref(created);
    mobid_buf_free(&pres);
    wallet_clear(&w);
}

static void test_expired(void **state)
{
    (void)state;
    char code[64];
    wallet w;
    mobid_buf pres;
    cred_opts o = { .status_idx = -1 };
    json_t *created = create(SDJWT_QUERY);
    wallet_fetch(&w, created);
    present_sdjwt(&w, &o, NULL, &pres);
    json_t *params = vp_params(&w, "card", (const char *)pres.ptr);
    mobid_clock_pin(mobid_now() + VERIFIER_DEFAULT_TTL + 1);
    long http = wallet_post(&w, params, false, code);
    json_t *st = status_of(created, 0);
    mobid_clock_unpin();
    assert_int_equal(http, 400);
    assert_string_equal(code, "SESSION_EXPIRED");
    assert_string_equal(json_string_value(json_object_get(st, "status")), "expired");
    json_decref(st);
    json_decref(params);
    json_decref(created);
    mobid_buf_free(&pres);
    wallet_clear(&w);
}

static void test_suspended_and_revoked(void **state)
{
    (void)state;
    cred_opts sus = { .status_idx = 6 }, rev = { .status_idx = 5 };
    expect_case(SDJWT_QUERY, &sus, "SUSPENDED");
    expect_case(SDJWT_QUERY, &rev, "REVOKED");
    expect_case(MDOC_QUERY, &sus, "SUSPENDED");
    expect_case(MDOC_QUERY, &rev, "REVOKED");
}

static void test_untrusted_issuer(void **state)
{
    (void)state;
    cred_opts o = { .status_idx = -1, .untrusted = true };
    expect_strikes(SDJWT_QUERY, &o, NULL, "UNTRUSTED_ISSUER");
    expect_strikes(MDOC_QUERY, &o, NULL, "UNTRUSTED_ISSUER");
}

static void test_missing_claim(void **state)
{
    (void)state;
    cred_opts o = { .status_idx = -1, .no_family_name = true };
    expect_case(SDJWT_QUERY, &o, "CLAIM_MISSING");
    expect_case(MDOC_QUERY, &o, "CLAIM_MISSING");
}

static void test_unsatisfied(void **state)
{
    (void)state;
    char code[64];
    wallet w;
    /* The wallet declines: an error response, processed, gets 200 (OpenID4VP 1.0
     * §8.2) and is recorded under its own code; another wallet error as unsatisfied. */
    json_t *created = create(SDJWT_QUERY);
    wallet_fetch(&w, created);
    json_t *params = json_pack("{s:s, s:s}", "error", "access_denied", "state", w.req.state);
    assert_int_equal(wallet_post(&w, params, false, code), 200);
    json_t *st = status_of(created, 0);
    assert_string_equal(json_string_value(json_object_get(st, "error")), "ACCESS_DENIED");
    json_decref(st);
    json_decref(params);
    json_decref(created);
    wallet_clear(&w);
    created = create(SDJWT_QUERY);
    wallet_fetch(&w, created);
    params = json_pack("{s:s, s:s}", "error", "invalid_request", "state", w.req.state);
    assert_int_equal(wallet_post(&w, params, false, code), 200);
    st = status_of(created, 0);
    assert_string_equal(json_string_value(json_object_get(st, "error")), "DCQL_UNSATISFIED");
    json_decref(st);
    json_decref(params);
    json_decref(created);
    wallet_clear(&w);
    /* A vp_token answering another credential query id. */
    created = create(SDJWT_QUERY);
    wallet_fetch(&w, created);
    params = vp_params(&w, "other", "e30.e30.e30~");
    assert_int_equal(wallet_post(&w, params, false, code), 400);
    assert_string_equal(code, "DCQL_UNSATISFIED");
    json_decref(params);
    json_decref(created);
    wallet_clear(&w);
}

static void test_tampered(void **state)
{
    (void)state;
    char code[64];
    wallet w;
    mobid_buf pres;
    cred_opts o = { .status_idx = -1 };
    json_t *created = create(SDJWT_QUERY);
    wallet_fetch(&w, created);
    assert_true(w.req.encrypted);
    present_sdjwt(&w, &o, NULL, &pres);
    json_t *params = vp_params(&w, "card", (const char *)pres.ptr);
    assert_int_equal(wallet_post(&w, params, true, code), 400);
    assert_string_equal(code, "DECRYPT_FAILED");
    /* junk that does not decrypt does not end the session: the real answer still counts */
    json_t *st = status_of(created, 0);
    assert_string_equal(json_string_value(json_object_get(st, "status")), "pending");
    json_decref(st);
    json_t *nostate = json_pack("{s:s}", "vp_token", "{}");
    assert_int_equal(wallet_post(&w, nostate, false, code), 400);
    json_decref(nostate);
    /* bound (it decrypts, right state) but proving no holder: counted, not the end */
    json_t *junk = vp_params(&w, "card", "not.a~presentation~");
    assert_int_equal(wallet_post(&w, junk, false, code), 400);
    json_decref(junk);
    st = status_of(created, 0);
    assert_string_equal(json_string_value(json_object_get(st, "status")), "pending");
    json_decref(st);
    assert_int_equal(wallet_post(&w, params, false, code), 200);
    st = status_of(created, 0);
    assert_string_equal(json_string_value(json_object_get(st, "status")), "verified");
    json_decref(st);
    json_decref(params);
    json_decref(created);
    mobid_buf_free(&pres);
    wallet_clear(&w);
}

static void test_other_session(void **state)
{
    (void)state;
    char code[64];
    wallet a, b;
    mobid_buf pres;
    cred_opts o = { .status_idx = -1 };
    json_t *ca = create(SDJWT_QUERY), *cb = create(SDJWT_QUERY);
    wallet_fetch(&a, ca);
    wallet_fetch(&b, cb);
    present_sdjwt(&a, &o, NULL, &pres);
    /* Session a's answer, sent to session b's response_uri with b's key. */
    json_t *params = vp_params(&a, "card", (const char *)pres.ptr);
    assert_int_equal(wallet_post(&b, params, false, code), 400);
    assert_string_equal(code, "SESSION_MISMATCH");
    json_decref(params);
    /* b was not spoiled: its own wallet's answer is verified */
    mobid_buf_free(&pres);
    present_sdjwt(&b, &o, NULL, &pres);
    params = vp_params(&b, "card", (const char *)pres.ptr);
    assert_int_equal(wallet_post(&b, params, false, code), 200);
    json_decref(params);
    json_decref(ca);
    json_decref(cb);
    mobid_buf_free(&pres);
    wallet_clear(&a);
    wallet_clear(&b);
}

static void test_not_registered(void **state)
{
    (void)state;
    long st;
    json_t *body = json_loads(
        "{\"dcql_query\":{\"credentials\":[{\"id\":\"c\",\"format\":\"dc+sd-jwt\",\"meta\":"
        "{\"vct_values\":[\"" VF_VCT "\"]},\"claims\":[{\"path\":[\"resident_registration_number\"]}]}]}}",
        0, NULL);
    json_t *j = rp_call("POST", "/api/v1/verifications", body, &st);
    assert_int_equal(st, 403);
    assert_string_equal(json_string_value(json_object_get(j, "error")), "CLAIM_NOT_ALLOWED");
    json_decref(j);
    json_decref(body);
    body = json_loads("{\"dcql_query\":{\"credentials\":[]}}", 0, NULL);
    j = rp_call("POST", "/api/v1/verifications", body, &st);
    assert_int_equal(st, 400);
    assert_string_equal(json_string_value(json_object_get(j, "error")), "MALFORMED");
    json_decref(j);
    json_decref(body);
}

typedef struct late_answer {
    wallet *w;
    json_t *params;
    long http;
} late_answer;

static void *answer_later(void *arg)
{
    late_answer *la = arg;
    char code[64];
    struct timespec d = { 0, 5 * 1000 * 1000 };
    /* Answer once the poll is parked (readiness, not a guess at how long that takes). */
    for (int i = 0; i < 12000 && mobid_http_server_parked(F.srv) != 1; i++)
        nanosleep(&d, NULL);
    la->http = wallet_post(la->w, la->params, false, code);
    return NULL;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_long_poll(void **state)
{
    (void)state;
    wallet w;
    mobid_buf pres;
    pthread_t th;
    cred_opts o = { .status_idx = -1 };
    json_t *created = create(SDJWT_QUERY);
    /* Pending for the whole wait when nobody answers. */
    double t0 = now_s();
    json_t *st = status_of(created, 1);
    assert_true(now_s() - t0 >= 0.9);
    assert_string_equal(json_string_value(json_object_get(st, "status")), "pending");
    json_decref(st);
    /* Answered while the poll waits: the wake answers it, long before its 60 s wait is
     * over (the bound only tells a wake from a timeout; it is not a speed check). */
    wallet_fetch(&w, created);
    present_sdjwt(&w, &o, NULL, &pres);
    late_answer la = { &w, vp_params(&w, "card", (const char *)pres.ptr), 0 };
    /* The poller uses the relying party's client, the thread the wallet's. */
    assert_int_equal(pthread_create(&th, NULL, answer_later, &la), 0);
    t0 = now_s();
    st = status_of(created, 60);
    double waited = now_s() - t0;
    pthread_join(th, NULL);
    assert_int_equal(la.http, 200);
    assert_true(waited < 45.0);
    assert_string_equal(json_string_value(json_object_get(st, "status")), "verified");
    json_decref(st);
    json_decref(la.params);
    json_decref(created);
    mobid_buf_free(&pres);
    wallet_clear(&w);
}

static void test_api_key_and_owner(void **state)
{
    (void)state;
    mobid_http_result r;
    char url[256];
    snprintf(url, sizeof url, "%s/api/v1/verifications/nope", mobid_http_server_url(F.srv));
    const char *bad[] = { "Authorization: Bearer wrong", NULL };
    assert_int_equal(mobid_http_client_get(F.http, url, bad, &r), MOBID_OK);
    assert_int_equal(r.status, 401);
    mobid_http_result_free(&r);
    long st;
    json_t *j = rp_call("GET", "/api/v1/verifications/nope", NULL, &st);
    assert_int_equal(st, 404);
    json_decref(j);
}
