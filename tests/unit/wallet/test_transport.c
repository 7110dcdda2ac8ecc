/* The wallet sends nothing over plain http:// except to this machine: offers, request
 * objects and responses to another host need https:// (INSECURE_TRANSPORT, no request
 * made); loopback in its three spellings is let through to the transport. */
/* fakes.h is a set of static helpers; this file needs only the issuer side. */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "fakes.h"

static int setup(void **state)
{
    fk_world *w = calloc(1, sizeof *w);
    fk_world_init(w);
    fk_wallet_ready(w, false);
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    fk_world_free(*state);
    free(*state);
    return 0;
}

/* Receive an offer by reference to offer_url; return the error and count requests. */
static mobid_err receive_from(fk_world *w, const char *offer_url, int *calls)
{
    mobid_wallet_io io = fk_io(w);
    char uri[1024], detail[256] = "";
    int before = w->http_calls;
    mobid_err err;
    mobid_buf b;

    mobid_buf_init(&b, 0);
    assert_int_equal(mobid_oid4vci_offer_ref_uri(offer_url, &b), MOBID_OK);
    snprintf(uri, sizeof uri, "%.*s", (int)b.len, (const char *)b.ptr);
    mobid_buf_free(&b);
    err = mobid_wallet_receive(&io, uri, NULL, detail, sizeof detail);
    *calls = w->http_calls - before;
    if (err == MOBID_ERR_INSECURE_TRANSPORT)
        assert_non_null(strstr(detail, "https://"));
    return err;
}

static void test_http_issuer_refused(void **state)
{
    static const char *const bad[] = {
        "http://issuer.example/offers/1",
        "HTTP://issuer.example/offers/1",
        "http://127.0.0.1.evil.example/offers/1",
        "http://127.0.0.1@evil.example/offers/1",
        "http://localhost.evil.example/offers/1",
        "http://evil.example/offers/1?next=http://127.0.0.1/",
        "http://[::1]evil.example/offers/1",
        "http://128.0.0.1/offers/1",
        "http://127.0.0/offers/1",
        "http://127.0.0.1.1/offers/1",
        "http://10.0.0.1:8441/offers/1",
        NULL,
    };
    fk_world *w = *state;
    int calls;

    for (size_t i = 0; bad[i]; i++) {
        mobid_err err = receive_from(w, bad[i], &calls);
        if (err != MOBID_ERR_INSECURE_TRANSPORT || calls != 0)
            fail_msg("%s: got %s after %d requests", bad[i], mobid_err_name(err), calls);
    }
}

static void test_loopback_and_https_pass(void **state)
{
    static const char *const ok[] = {
        "http://127.0.0.1:8441/offers/1",
        "http://127.1.2.3/offers/1",
        "http://localhost:8441/offers/1",
        "http://[::1]:8441/offers/1",
        "https://elsewhere.example/offers/1",
        NULL,
    };
    fk_world *w = *state;
    int calls;

    /* The fake transport knows none of these hosts: the request is made and fails. */
    for (size_t i = 0; ok[i]; i++) {
        mobid_err err = receive_from(w, ok[i], &calls);
        if (err != MOBID_ERR_FETCH_FAILED || calls != 1)
            fail_msg("%s: got %s after %d requests", ok[i], mobid_err_name(err), calls);
    }
}

static void test_http_request_uri_refused(void **state)
{
    fk_world *w = *state;
    mobid_wallet_io io = fk_io(w);
    char detail[256] = "";
    int before = w->http_calls;

    assert_int_equal(mobid_wallet_present(&io,
                                          "openid4vp://?client_id=x509_hash%3Aabc&request_uri="
                                          "http%3A%2F%2Frp.example%2Frequest",
                                          NULL, detail, sizeof detail),
                     MOBID_ERR_INSECURE_TRANSPORT);
    assert_int_equal(w->http_calls, before);
    assert_int_equal(w->consent_asked, 0);
    assert_string_equal(mobid_err_name(MOBID_ERR_INSECURE_TRANSPORT), "INSECURE_TRANSPORT");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_http_issuer_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loopback_and_https_pass, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_request_uri_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
