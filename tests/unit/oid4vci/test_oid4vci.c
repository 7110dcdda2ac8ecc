/* lib/oid4vci: offers and their URIs, jwt proofs, credential requests. */
#include "../../common/testutil.h"

#include <string.h>
#include <mobid/jose.h>
#include <mobid/oid4vci.h>

#define ISS "https://issuer.example"

static void offer_roundtrip(void **state)
{
    const char *ids[] = { "resident_card_mdoc", "resident_card_sdjwt" };
    mobid_oid4vci_offer o = { ISS, ids, 2, "code-123", 6, "PIN", NULL };
    json_t *j = NULL, *back = NULL;
    char *ref = NULL;
    mobid_buf uri = { 0 };
    mobid_oid4vci_offer_view v;
    assert_int_equal(mobid_oid4vci_offer_json(&o, &j), MOBID_OK);
    assert_int_equal(mobid_oid4vci_offer_uri(j, &uri), MOBID_OK);
    assert_true(!strncmp((const char *)uri.ptr, "openid-credential-offer://?credential_offer=%7B", 47));
    assert_int_equal(mobid_oid4vci_offer_uri_parse(mobid_buf_view(&uri), &back, &ref), MOBID_OK);
    assert_null(ref);
    assert_true(json_equal(j, back));
    assert_int_equal(mobid_oid4vci_offer_read(back, &v), MOBID_OK);
    assert_string_equal(v.credential_issuer, ISS);
    assert_string_equal(v.pre_auth_code, "code-123");
    assert_int_equal(v.tx_code_length, 6);
    assert_int_equal(json_array_size(v.config_ids), 2);
    json_decref(back);
    mobid_buf_free(&uri);
    assert_int_equal(mobid_oid4vci_offer_ref_uri(ISS "/offers/a b", &uri), MOBID_OK);
    assert_int_equal(mobid_oid4vci_offer_uri_parse(mobid_buf_view(&uri), &back, &ref), MOBID_OK);
    assert_null(back);
    assert_string_equal(ref, ISS "/offers/a b");
    free(ref);
    mobid_buf_free(&uri);
    json_decref(j);
}

static void offer_uri_bad(void **state)
{
    static const char *bad[] = {
        "https://x/?credential_offer=%7B%7D",
        "openid-credential-offer://?credential_offer=%7",
        "openid-credential-offer://?credential_offer=%5B%5D",
        "openid-credential-offer://?credential_offer=%7B%7D&credential_offer_uri=x",
        "openid-credential-offer://?other=1",
        "openid-credential-offer://?credential_offer_uri=a&credential_offer_uri=b",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *o = NULL;
        char *r = NULL;
        assert_int_not_equal(mobid_oid4vci_offer_uri_parse(mobid_view_str(bad[i]), &o, &r),
                             MOBID_OK);
        assert_null(o);
        assert_null(r);
    }
    json_t *j = json_loads("{\"credential_issuer\":\"x\",\"credential_configuration_ids\":[],"
                           "\"grants\":{}}", 0, NULL);
    mobid_oid4vci_offer_view v;
    assert_int_equal(mobid_oid4vci_offer_read(j, &v), MOBID_ERR_MALFORMED);
    json_decref(j);
}

static void proof_ok_and_checks(void **state)
{
    mobid_key *k = NULL, *other = NULL;
    mobid_buf jwt = { 0 };
    mobid_oid4vci_proof p;
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &k), MOBID_OK);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &other), MOBID_OK);
    mobid_time now = 1800000000;
    assert_int_equal(mobid_oid4vci_proof_build(k, ISS, "n-1", now, NULL, &jwt), MOBID_OK);
    mobid_oid4vci_proof_check_params pp = { .aud = ISS, .now = now + 10 };
    assert_int_equal(mobid_oid4vci_proof_check(mobid_buf_view(&jwt), &pp, &p), MOBID_OK);
    assert_string_equal(p.nonce, "n-1");
    assert_true(mobid_key_public_eq(p.holder, k));
    assert_int_equal(strlen(p.jkt), 43);
    mobid_oid4vci_proof_clear(&p);
    /* wrong audience, too old, from the future */
    pp.aud = "https://other.example";
    assert_int_equal(mobid_oid4vci_proof_check(mobid_buf_view(&jwt), &pp, &p),
                     MOBID_ERR_AUDIENCE_MISMATCH);
    pp.aud = ISS;
    pp.now = now + 301;
    assert_int_equal(mobid_oid4vci_proof_check(mobid_buf_view(&jwt), &pp, &p),
                     MOBID_ERR_KB_IAT_INVALID);
    pp.now = now - 61;
    assert_int_equal(mobid_oid4vci_proof_check(mobid_buf_view(&jwt), &pp, &p),
                     MOBID_ERR_KB_IAT_INVALID);
    assert_null(p.holder);
    /* header names k, signed by other */
    json_t *jwk = NULL;
    assert_int_equal(mobid_jwk_from_key(k, false, &jwk), MOBID_OK);
    json_t *hdr = json_pack("{s:s,s:o}", "typ", MOBID_OID4VCI_PROOF_TYP, "jwk", jwk);
    mobid_buf forged = { 0 };
    const char *pl = "{\"aud\":\"" ISS "\",\"iat\":1800000000,\"nonce\":\"n\"}";
    assert_int_equal(mobid_jws_sign(other, MOBID_ALG_ES256, hdr, mobid_view_str(pl), &forged),
                     MOBID_OK);
    pp.now = now;
    assert_int_equal(mobid_oid4vci_proof_check(mobid_buf_view(&forged), &pp, &p),
                     MOBID_ERR_SIGNATURE_INVALID);
    json_decref(hdr);
    mobid_buf_free(&forged);
    mobid_buf_free(&jwt);
    mobid_key_free(k);
    mobid_key_free(other);
}

static void credreq(void **state)
{
    mobid_oid4vci_credreq r;
    json_t *j = json_loads("{\"credential_configuration_id\":\"a\",\"proofs\":{\"jwt\":[\"x\",\"y\"]}}",
                           0, NULL);
    assert_int_equal(mobid_oid4vci_credreq_read(j, &r), MOBID_OK);
    assert_string_equal(r.config_id, "a");
    assert_int_equal(r.n_jwts, 2);
    assert_string_equal(r.jwts[1], "y");
    json_decref(j);
    j = json_loads("{\"credential_configuration_id\":\"a\",\"proof\":{\"proof_type\":\"jwt\","
                   "\"jwt\":\"z\"}}", 0, NULL);
    assert_int_equal(mobid_oid4vci_credreq_read(j, &r), MOBID_OK);
    assert_int_equal(r.n_jwts, 1);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(offer_roundtrip),
        cmocka_unit_test(offer_uri_bad),
        cmocka_unit_test(proof_ok_and_checks),
        cmocka_unit_test(credreq),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
