/* lib/oid4vci: DPoP proofs (RFC 9449) built and checked, and the ones refused. */
#include "../../common/testutil.h"

#include <string.h>
#include <mobid/jose.h>
#include <mobid/oid4vci.h>

#define HTU "https://issuer.example/token"
#define NOW 1800000000

static void check(mobid_view jwt, const char *htu, const char *token, mobid_err want,
                  mobid_oid4vci_dpop *d)
{
    mobid_oid4vci_dpop_check_params p = { .htm = "POST", .htu = htu, .access_token = token,
                                          .now = NOW };
    assert_int_equal(mobid_oid4vci_dpop_check(jwt, &p, d), want);
}

static void dpop_round_trip(void **state)
{
    mobid_key *k = NULL, *other = NULL;
    mobid_buf jwt = { 0 }, jkt = { 0 }, bound = { 0 };
    mobid_oid4vci_dpop d, d2;
    (void)state;
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &k), MOBID_OK);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &other), MOBID_OK);
    assert_int_equal(mobid_oid4vci_dpop_build(k, "POST", HTU, NULL, NOW, &jwt), MOBID_OK);
    check(mobid_buf_view(&jwt), HTU, NULL, MOBID_OK, &d);
    assert_int_equal(mobid_jwk_thumbprint_key(k, &jkt), MOBID_OK);
    assert_int_equal(jkt.len, strlen(d.jkt));
    assert_memory_equal(jkt.ptr, d.jkt, jkt.len);
    assert_true(strlen(d.jti) >= 8);
    /* a query on the URL does not matter (RFC 9449 §4.3), another path does */
    check(mobid_buf_view(&jwt), HTU "?x=1", NULL, MOBID_OK, &d2);
    check(mobid_buf_view(&jwt), "https://issuer.example/credential", NULL,
          MOBID_ERR_AUDIENCE_MISMATCH, &d2);
    assert_string_equal(d2.jkt, ""); /* zeroed on error */
    /* each proof has its own jti */
    assert_int_equal(mobid_oid4vci_dpop_build(k, "POST", HTU, "tok", NOW, &bound), MOBID_OK);
    check(mobid_buf_view(&bound), HTU, "tok", MOBID_OK, &d2);
    assert_string_not_equal(d.jti, d2.jti);
    check(mobid_buf_view(&bound), HTU, "another token", MOBID_ERR_SUBJECT_MISMATCH, &d2);
    check(mobid_buf_view(&jwt), HTU, "tok", MOBID_ERR_SUBJECT_MISMATCH, &d2); /* no ath */
    mobid_buf_free(&jwt);
    mobid_buf_free(&jkt);
    mobid_buf_free(&bound);
    mobid_key_free(k);
    mobid_key_free(other);
}

/* A proof with header hdr and payload pl signed by k. */
static void forge(mobid_key *k, json_t *hdr, const char *pl, mobid_buf *out)
{
    out->len = 0;
    assert_int_equal(mobid_jws_sign(k, MOBID_ALG_ES256, hdr, mobid_view_str(pl), out), MOBID_OK);
    json_decref(hdr);
}

static void dpop_refused(void **state)
{
    mobid_key *k = NULL;
    json_t *pub = NULL, *priv = NULL;
    mobid_buf jwt = { 0 };
    mobid_oid4vci_dpop d;
    const char *good = "{\"jti\":\"abcdefghij\",\"htm\":\"POST\",\"htu\":\"" HTU "\","
                       "\"iat\":1800000000}";
    (void)state;
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &k), MOBID_OK);
    assert_int_equal(mobid_jwk_from_key(k, false, &pub), MOBID_OK);
    assert_int_equal(mobid_jwk_from_key(k, true, &priv), MOBID_OK);
    forge(k, json_pack("{s:s,s:O}", "typ", "dpop+jwt", "jwk", pub), good, &jwt);
    check(mobid_buf_view(&jwt), HTU, NULL, MOBID_OK, &d);
    forge(k, json_pack("{s:s,s:O}", "typ", "JWT", "jwk", pub), good, &jwt);
    check(mobid_buf_view(&jwt), HTU, NULL, MOBID_ERR_TYPE_MISMATCH, &d);
    forge(k, json_pack("{s:s,s:O}", "typ", "dpop+jwt", "jwk", priv), good, &jwt);
    check(mobid_buf_view(&jwt), HTU, NULL, MOBID_ERR_KEY_INVALID, &d);
    forge(k, json_pack("{s:s}", "typ", "dpop+jwt"), good, &jwt);
    check(mobid_buf_view(&jwt), HTU, NULL, MOBID_ERR_KEY_INVALID, &d);
    forge(k, json_pack("{s:s,s:O}", "typ", "dpop+jwt", "jwk", pub),
          "{\"jti\":\"abcdefghij\",\"htm\":\"GET\",\"htu\":\"" HTU "\",\"iat\":1800000000}", &jwt);
    check(mobid_buf_view(&jwt), HTU, NULL, MOBID_ERR_AUDIENCE_MISMATCH, &d);
    forge(k, json_pack("{s:s,s:O}", "typ", "dpop+jwt", "jwk", pub),
          "{\"jti\":\"abcdefghij\",\"htm\":\"POST\",\"htu\":\"" HTU "\",\"iat\":1799999000}", &jwt);
    check(mobid_buf_view(&jwt), HTU, NULL, MOBID_ERR_KB_IAT_INVALID, &d);
    forge(k, json_pack("{s:s,s:O}", "typ", "dpop+jwt", "jwk", pub),
          "{\"jti\":\"short\",\"htm\":\"POST\",\"htu\":\"" HTU "\",\"iat\":1800000000}", &jwt);
    check(mobid_buf_view(&jwt), HTU, NULL, MOBID_ERR_MALFORMED, &d);
    /* signed by another key than the one in the header */
    mobid_key *other = NULL;
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &other), MOBID_OK);
    forge(other, json_pack("{s:s,s:O}", "typ", "dpop+jwt", "jwk", pub), good, &jwt);
    check(mobid_buf_view(&jwt), HTU, NULL, MOBID_ERR_SIGNATURE_INVALID, &d);
    check(mobid_view_str("not.a.jwt"), HTU, NULL, MOBID_ERR_BAD_BASE64, &d);
    mobid_key_free(other);
    json_decref(pub);
    json_decref(priv);
    mobid_buf_free(&jwt);
    mobid_key_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dpop_round_trip),
        cmocka_unit_test(dpop_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
