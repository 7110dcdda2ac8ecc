/* lib/oid4vci: known-bad proofs and credential requests. */
#include "../../common/testutil.h"

#include <string.h>
#include <mobid/jose.h>
#include <mobid/oid4vci.h>

#define ISS "https://issuer.example"

/* A proof with the given header members (typ and jwk filled unless overridden). */
static void sign_with(mobid_key *k, const char *typ, bool with_d, const char *extra_kid,
                      mobid_buf *out)
{
    json_t *jwk = NULL;
    assert_int_equal(mobid_jwk_from_key(k, with_d, &jwk), MOBID_OK);
    json_t *hdr = json_pack("{s:s,s:o}", "typ", typ, "jwk", jwk);
    if (extra_kid)
        json_object_set_new(hdr, "kid", json_string(extra_kid));
    const char *pl = "{\"aud\":\"" ISS "\",\"iat\":1800000000,\"nonce\":\"n\"}";
    assert_int_equal(mobid_jws_sign(k, MOBID_ALG_ES256, hdr, mobid_view_str(pl), out), MOBID_OK);
    json_decref(hdr);
}

static void bad_proofs(void **state)
{
    mobid_key *k = NULL, *p384 = NULL;
    mobid_oid4vci_proof p;
    mobid_oid4vci_proof_check_params pp = { .aud = ISS, .now = 1800000000 };
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &k), MOBID_OK);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P384, &p384), MOBID_OK);
    struct {
        const char *typ;
        bool d;
        const char *kid;
        mobid_err want;
    } cases[] = {
        { "JWT", false, NULL, MOBID_ERR_TYPE_MISMATCH },
        { MOBID_OID4VCI_PROOF_TYP, true, NULL, MOBID_ERR_KEY_INVALID },
        { MOBID_OID4VCI_PROOF_TYP, false, "k1", MOBID_ERR_KEY_INVALID },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mobid_buf b = { 0 };
        sign_with(k, cases[i].typ, cases[i].d, cases[i].kid, &b);
        assert_int_equal(mobid_oid4vci_proof_check(mobid_buf_view(&b), &pp, &p), cases[i].want);
        mobid_buf_free(&b);
    }
    /* ES384 is not accepted for proofs */
    json_t *jwk = NULL;
    assert_int_equal(mobid_jwk_from_key(p384, false, &jwk), MOBID_OK);
    json_t *hdr = json_pack("{s:s,s:o}", "typ", MOBID_OID4VCI_PROOF_TYP, "jwk", jwk);
    mobid_buf b = { 0 };
    assert_int_equal(mobid_jws_sign(p384, MOBID_ALG_ES384, hdr,
                                    mobid_view_str("{\"aud\":\"" ISS "\",\"iat\":1800000000,"
                                                   "\"nonce\":\"n\"}"), &b), MOBID_OK);
    assert_int_equal(mobid_oid4vci_proof_check(mobid_buf_view(&b), &pp, &p),
                     MOBID_ERR_ALG_NOT_ALLOWED);
    mobid_buf_free(&b);
    json_decref(hdr);
    /* no nonce */
    mobid_buf nn = { 0 };
    json_t *jwk2 = NULL;
    assert_int_equal(mobid_jwk_from_key(k, false, &jwk2), MOBID_OK);
    hdr = json_pack("{s:s,s:o}", "typ", MOBID_OID4VCI_PROOF_TYP, "jwk", jwk2);
    assert_int_equal(mobid_jws_sign(k, MOBID_ALG_ES256, hdr,
                                    mobid_view_str("{\"aud\":\"" ISS "\",\"iat\":1800000000}"),
                                    &nn), MOBID_OK);
    assert_int_equal(mobid_oid4vci_proof_check(mobid_buf_view(&nn), &pp, &p),
                     MOBID_ERR_NONCE_MISMATCH);
    mobid_buf_free(&nn);
    json_decref(hdr);
    /* not a JWT at all */
    assert_int_not_equal(mobid_oid4vci_proof_check(mobid_view_str("a.b"), &pp, &p), MOBID_OK);
    mobid_key_free(k);
    mobid_key_free(p384);
}

static void bad_credreqs(void **state)
{
    struct {
        const char *json;
        mobid_err want;
    } cases[] = {
        { "[]", MOBID_ERR_MALFORMED },
        { "{\"proofs\":{\"jwt\":[\"x\"]}}", MOBID_ERR_MALFORMED },
        { "{\"credential_configuration_id\":\"a\"}", MOBID_ERR_NOT_FOUND },
        { "{\"credential_configuration_id\":\"a\",\"proofs\":{\"jwt\":[]}}", MOBID_ERR_MALFORMED },
        { "{\"credential_configuration_id\":\"a\",\"proofs\":{\"jwt\":[1]}}", MOBID_ERR_MALFORMED },
        { "{\"credential_configuration_id\":\"a\",\"proofs\":{\"ldp_vp\":[\"x\"]}}",
          MOBID_ERR_UNSUPPORTED },
        { "{\"credential_configuration_id\":\"a\",\"proof\":{\"proof_type\":\"cwt\",\"cwt\":\"x\"}}",
          MOBID_ERR_UNSUPPORTED },
        { "{\"credential_configuration_id\":\"a\",\"proof\":{\"proof_type\":\"jwt\",\"jwt\":\"x\"},"
          "\"proofs\":{\"jwt\":[\"x\"]}}", MOBID_ERR_MALFORMED },
        { "{\"credential_identifier\":\"x\",\"credential_configuration_id\":\"x\",\"proofs\":{\"jwt\":[\"x\"]}}", MOBID_ERR_MALFORMED },
        { "{\"credential_identifier\":7,\"proofs\":{\"jwt\":[\"x\"]}}", MOBID_ERR_MALFORMED },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mobid_oid4vci_credreq r;
        json_t *j = json_loads(cases[i].json, 0, NULL);
        assert_non_null(j);
        assert_int_equal(mobid_oid4vci_credreq_read(j, &r), cases[i].want);
        assert_int_equal(r.n_jwts, 0);
        json_decref(j);
    }
    /* more proofs than the protocol limit */
    json_t *arr = json_array();
    for (int i = 0; i <= MOBID_OID4VCI_MAX_PROOFS; i++)
        json_array_append_new(arr, json_string("x"));
    json_t *j = json_pack("{s:s,s:{s:o}}", "credential_configuration_id", "a", "proofs", "jwt", arr);
    mobid_oid4vci_credreq r;
    assert_int_equal(mobid_oid4vci_credreq_read(j, &r), MOBID_ERR_TOO_BIG);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bad_proofs),
        cmocka_unit_test(bad_credreqs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
