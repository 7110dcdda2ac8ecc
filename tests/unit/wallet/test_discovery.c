/* Discovery by the book (OpenID4VCI 1.0 §12.2, RFC 8414): the issuer's identifier has a
 * path, so every well-known URL is inserted after the host; the token endpoint comes
 * from the authorization server's metadata, which may live on another host; the offer
 * arrives by credential_offer_uri. The fake answers 404 to any other URL. */
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

static mobid_err receive(fk_world *w, char *detail, size_t cap)
{
    mobid_wallet_io io = fk_io(w);
    char uri[1024];
    mobid_buf b;

    mobid_buf_init(&b, 0);
    assert_int_equal(mobid_oid4vci_offer_ref_uri(FK_ISSUER "/offers/1", &b), MOBID_OK);
    snprintf(uri, sizeof uri, "%.*s", (int)b.len, (const char *)b.ptr);
    mobid_buf_free(&b);
    detail[0] = '\0';
    return mobid_wallet_receive(&io, uri, NULL, detail, cap);
}

static size_t stored(fk_world *w)
{
    mobid_wallet_io io = fk_io(w);
    json_t *list = NULL;
    size_t n;

    assert_int_equal(mobid_wallet_list(&io, NULL, &list), MOBID_OK);
    n = json_array_size(list);
    json_decref(list);
    return n;
}

static void expect_url(const char *id, const char *name, const char *want)
{
    mobid_buf b;

    mobid_buf_init(&b, 0);
    assert_int_equal(mobid_oid4vci_well_known_url(id, name, &b), MOBID_OK);
    assert_string_equal((const char *)b.ptr, want);
    mobid_buf_free(&b);
}

static void test_well_known_url(void **state)
{
    static const char *const bad[] = { "issuer.test", "ftp://issuer.test", "https://",
                                       "https:///tenant", "https://h/t?x=1", "https://h/t#f",
                                       NULL };
    mobid_buf b;

    (void)state;
    expect_url("https://host.example/tenant", "openid-credential-issuer",
               "https://host.example/.well-known/openid-credential-issuer/tenant");
    expect_url("https://host.example", "oauth-authorization-server",
               "https://host.example/.well-known/oauth-authorization-server");
    expect_url("https://host.example/", "oauth-authorization-server",
               "https://host.example/.well-known/oauth-authorization-server");
    expect_url("http://127.0.0.1:8441/a/b/", "openid-credential-issuer",
               "http://127.0.0.1:8441/.well-known/openid-credential-issuer/a/b");
    mobid_buf_init(&b, 0);
    for (size_t i = 0; bad[i]; i++)
        assert_int_equal(mobid_oid4vci_well_known_url(bad[i], "x", &b), MOBID_ERR_INVALID_ARG);
    assert_int_equal(mobid_oid4vci_well_known_url("https://h", "a/b", &b),
                     MOBID_ERR_INVALID_ARG);
    mobid_buf_free(&b);
}

/* The issuer is its own authorization server; its metadata under the path. */
static void test_issuer_with_path(void **state)
{
    fk_world *w = *state;
    char detail[256];

    if (receive(w, detail, sizeof detail) != MOBID_OK)
        fail_msg("receive: %s", detail);
    assert_int_equal(stored(w), 2);
}

/* authorization_servers names another host, whose token endpoint is /oauth/token
 * (<issuer>/token answers 404 here). */
static void test_token_endpoint_on_other_host(void **state)
{
    fk_world *w = *state;
    char detail[256];

    w->separate_as = true;
    if (receive(w, detail, sizeof detail) != MOBID_OK)
        fail_msg("receive: %s", detail);
    assert_int_equal(stored(w), 2);
}

/* A pre-final issuer without RFC 8414 metadata, token_endpoint in its own metadata. */
static void test_legacy_token_endpoint(void **state)
{
    fk_world *w = *state;
    char detail[256];

    w->legacy_token = true;
    if (receive(w, detail, sizeof detail) != MOBID_OK)
        fail_msg("receive: %s", detail);
    assert_int_equal(stored(w), 2);
}

/* An offer naming an authorization server the issuer does not list, and issuer
 * metadata naming another identifier than the offer: refused; nothing is stored. */
static void test_refusals(void **state)
{
    fk_world *w = *state;
    char detail[256];

    w->separate_as = true;
    snprintf(w->offer_json, sizeof w->offer_json,
             "{\"credential_issuer\":\"%s\",\"credential_configuration_ids\":[\"pid_sdjwt\"],"
             "\"grants\":{\"%s\":{\"pre-authorized_code\":\"code-1\",\"tx_code\":{\"length\":4},"
             "\"authorization_server\":\"https://other.test\"}}}",
             FK_ISSUER, MOBID_OID4VCI_GRANT_PRE_AUTH);
    assert_int_equal(receive(w, detail, sizeof detail), MOBID_ERR_MALFORMED);
    assert_non_null(strstr(detail, "https://other.test"));
    w->separate_as = false;
    w->legacy_token = false;
    w->offer_json[0] = '\0';
    snprintf(w->offer_json, sizeof w->offer_json,
             "{\"credential_issuer\":\"%s\",\"credential_configuration_ids\":[\"pid_sdjwt\"],"
             "\"grants\":{\"%s\":{\"pre-authorized_code\":\"code-1\"}}}",
             FK_ISSUER "/", MOBID_OID4VCI_GRANT_PRE_AUTH);
    /* Same well-known URL (the slash is dropped), but the metadata names the
     * identifier without it: §12.2.4 wants them equal. */
    assert_int_equal(receive(w, detail, sizeof detail), MOBID_ERR_MALFORMED);
    assert_non_null(strstr(detail, "credential_issuer"));
    assert_int_equal(stored(w), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_well_known_url),
        cmocka_unit_test_setup_teardown(test_issuer_with_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_endpoint_on_other_host, setup, teardown),
        cmocka_unit_test_setup_teardown(test_legacy_token_endpoint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
