/* lib/jose x5c headers: certificates in and out of a JWS header. */
#include "testutil.h"

#include <mobid/jose.h>
#include <string.h>

static const mobid_alg ONLY_ES256[] = { MOBID_ALG_ES256, MOBID_ALG_NONE };

static mobid_cert *self_signed(mobid_key *k, const char *cn)
{
    mobid_cert_spec spec = { 0 };
    spec.subject_cn = cn;
    spec.not_before = 1700000000;
    spec.not_after = 1900000000;
    spec.path_len = -1;
    spec.purpose = MOBID_PURPOSE_SIGNING;
    mobid_cert *c = NULL;
    assert_int_equal(mobid_cert_issue(&spec, k, k, NULL, &c), MOBID_OK);
    return c;
}

static void test_x5c(void **state)
{
    (void)state;
    mobid_key *k = NULL;
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &k), MOBID_OK);
    mobid_cert *certs[2] = { self_signed(k, "leaf"), self_signed(k, "other") };
    json_t *x5c = NULL;
    assert_int_equal(mobid_jose_x5c_from_certs(certs, 2, &x5c), MOBID_OK);
    json_t *extra = json_object();
    json_object_set_new(extra, "x5c", x5c);
    mobid_buf out;
    mobid_buf_init(&out, 0);
    assert_int_equal(mobid_jws_sign(k, MOBID_ALG_ES256, extra, mobid_view_str("p"), &out),
                     MOBID_OK);
    mobid_jws jws;
    assert_int_equal(mobid_jws_parse(mobid_buf_view(&out), &jws), MOBID_OK);
    mobid_cert **got = NULL;
    size_t n = 0;
    assert_int_equal(mobid_jose_header_x5c(jws.header, &got, &n), MOBID_OK);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < 2; i++)
        assert_true(mobid_view_eq(mobid_cert_der(got[i]), mobid_cert_der(certs[i])));
    mobid_key *ck = NULL;
    assert_int_equal(mobid_cert_public_key(got[0], &ck), MOBID_OK);
    assert_int_equal(mobid_jws_verify(&jws, ck, ONLY_ES256), MOBID_OK);
    mobid_key_free(ck);
    mobid_cert_list_free(got, n);
    mobid_jws_clear(&jws);

    /* Absent, wrong type, empty, url-safe alphabet or not a certificate. */
    const char *bad[] = { "{}", "{\"x5c\":\"MIIB\"}", "{\"x5c\":[]}", "{\"x5c\":[1]}",
                          "{\"x5c\":[\"MI-_\"]}", "{\"x5c\":[\"AAAA\"]}", "{\"x5c\":[\"MAA=\"]}" };
    const mobid_err want[] = { MOBID_ERR_NOT_FOUND, MOBID_ERR_MALFORMED, MOBID_ERR_MALFORMED,
                               MOBID_ERR_MALFORMED, MOBID_ERR_BAD_BASE64, MOBID_ERR_CERT_INVALID,
                               MOBID_ERR_CERT_INVALID };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *h = json_loads(bad[i], 0, NULL);
        assert_non_null(h);
        mobid_cert *dummy = NULL;
        got = &dummy; /* must be reset on failure */
        n = 7;
        assert_int_equal(mobid_jose_header_x5c(h, &got, &n), want[i]);
        assert_null(got);
        assert_int_equal(n, 0);
        json_decref(h);
    }
    mobid_buf_free(&out);
    json_decref(extra);
    mobid_cert_free(certs[0]);
    mobid_cert_free(certs[1]);
    mobid_key_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_x5c),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
