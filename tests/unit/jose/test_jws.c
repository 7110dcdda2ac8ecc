/* lib/jose JWS: RFC 7515 A.3 (ES256), A.4 (ES512) and RFC 8037 A.4 (Ed25519) examples, sign/verify
 * round trips, header layout. Known-bad inputs are in bad_jws.c. */
#include "testutil.h"

#include <mobid/jose.h>
#include <string.h>

/* RFC 7515 Appendix A.3: the ES256 example, typed in from the RFC. */
static const char A3_JWS[] =
    "eyJhbGciOiJFUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
static const char A3_JWK[] = "{\"kty\":\"EC\",\"crv\":\"P-256\","
                             "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
                             "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\","
                             "\"d\":\"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI\"}";
static const char A3_PAYLOAD[] = "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n"
                                 " \"http://example.com/is_root\":true}";

/* RFC 7515 Appendix A.4: ES512 on P-521 (66-byte coordinates, 132-byte signature). */
static const char A4_JWS[] =
    "eyJhbGciOiJFUzUxMiJ9.UGF5bG9hZA"
    ".AdwMgeerwtHoh-l192l60hp9wAHZFVJbLfD_UxMi70cwnZOYaRI1bKPWROc-mZZqwqT2SI-KGDKB34XO0aw_7XdtAG8"
    "GaSwFKdCAPZgoXD2YBJZCPEX3xKpRwcdOO8KpEHwJjyqOgzDO7iKvU8vcnwNrmxYbSW9ERBXukOXolLzeO_Jn";
static const char A4_JWK[] =
    "{\"kty\":\"EC\",\"crv\":\"P-521\","
    "\"x\":\"AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmPk06wTjxrrjcBpXp5EOnYG_NjFZ6OvLFV1jSfS9tsz4qUxcWceqwQGk\","
    "\"y\":\"ADSmRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxVg_l2Th-x3S1WDhjDly79ajL4Kkd0AZMaZmh9ubmf63e3kyMj2\","
    "\"d\":\"AY5pb7A0UFiB3RELSD64fTLOSV_jazdF7fLYyuTw8lOfRhWg6Y6rUrPAxerEzgdRhajnu0ferB0d53vM9mE15j2C\"}";

/* RFC 8037 Appendix A.1/A.4: Ed25519 key and the deterministic signature. */
static const char EDJWK[] = "{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
                            "\"d\":\"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\","
                            "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}";
static const char ED_JWS[] =
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc"
    ".hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

static const mobid_alg ONLY_ES256[] = { MOBID_ALG_ES256, MOBID_ALG_NONE };
static const mobid_alg ONLY_ES384[] = { MOBID_ALG_ES384, MOBID_ALG_NONE };
static const mobid_alg ONLY_EDDSA[] = { MOBID_ALG_EDDSA, MOBID_ALG_NONE };
static const mobid_alg ONLY_ES512[] = { MOBID_ALG_ES512, MOBID_ALG_NONE };

static mobid_key *jwk_key(const char *json)
{
    mobid_key *k = NULL;
    assert_int_equal(mobid_jwk_parse(mobid_view_str(json), &k), MOBID_OK);
    assert_non_null(k);
    return k;
}

static mobid_err parse_and_verify(const char *compact, const mobid_key *k, const mobid_alg *algs)
{
    mobid_jws jws;
    mobid_err err = mobid_jws_parse(mobid_view_str(compact), &jws);
    if (err == MOBID_OK)
        err = mobid_jws_verify(&jws, k, algs);
    mobid_jws_clear(&jws);
    return err;
}

static void test_rfc7515_a3(void **state)
{
    (void)state;
    mobid_key *k = jwk_key(A3_JWK);
    assert_true(mobid_key_has_private(k));
    mobid_jws jws;
    assert_int_equal(mobid_jws_parse(mobid_view_str(A3_JWS), &jws), MOBID_OK);
    assert_int_equal(jws.alg, MOBID_ALG_ES256);
    assert_int_equal(jws.payload.len, strlen(A3_PAYLOAD));
    assert_memory_equal(jws.payload.ptr, A3_PAYLOAD, jws.payload.len);
    assert_int_equal(jws.sig.len, 64);
    assert_true(mobid_view_eq_str(jws.signing_input,
                                  "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzO"
                                  "DAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"));
    assert_int_equal(mobid_jws_verify(&jws, k, ONLY_ES256), MOBID_OK);
    assert_int_equal(mobid_jws_verify(&jws, k, mobid_jose_algs_all), MOBID_OK);
    /* Allowed list without ES256: refused before any crypto. */
    assert_int_equal(mobid_jws_verify(&jws, k, ONLY_ES384), MOBID_ERR_ALG_NOT_ALLOWED);
    assert_int_equal(mobid_jws_verify(&jws, k, NULL), MOBID_ERR_INVALID_ARG);
    mobid_jws_clear(&jws);
    mobid_jws_clear(&jws); /* clearing twice is safe */
    mobid_key_free(k);
}

/* Changing any single character of the RFC 7515 A.3 JWS must make it fail. */
static void test_rfc7515_a3_any_change_fails(void **state)
{
    (void)state;
    mobid_key *k = jwk_key(A3_JWK);
    char s[sizeof A3_JWS];
    size_t changed = 0;
    for (size_t i = 0; i < sizeof A3_JWS - 1; i++) {
        if (A3_JWS[i] == '.')
            continue;
        memcpy(s, A3_JWS, sizeof s);
        s[i] = s[i] == 'A' ? 'B' : 'A';
        assert_int_not_equal(parse_and_verify(s, k, ONLY_ES256), MOBID_OK);
        changed++;
    }
    assert_true(changed > 150);
    /* Swapping the payload for another valid one also fails. */
    char *swapped = strdup(A3_JWS);
    assert_non_null(swapped);
    memcpy(strchr(swapped, '.') + 1, "eyJp", 4);
    assert_int_equal(parse_and_verify(swapped, k, ONLY_ES256), MOBID_OK); /* same bytes */
    memcpy(strchr(swapped, '.') + 1, "eyJq", 4);
    assert_int_equal(parse_and_verify(swapped, k, ONLY_ES256), MOBID_ERR_SIGNATURE_INVALID);
    free(swapped);
    mobid_key_free(k);
}

static void test_rfc7515_a4(void **state)
{
    (void)state;
    mobid_key *k = jwk_key(A4_JWK);
    mobid_jws jws;
    assert_int_equal(mobid_jws_parse(mobid_view_str(A4_JWS), &jws), MOBID_OK);
    assert_int_equal(jws.alg, MOBID_ALG_ES512);
    assert_true(mobid_view_eq_str(mobid_buf_view(&jws.payload), "Payload"));
    assert_int_equal(jws.sig.len, 132);
    assert_int_equal(mobid_jws_verify(&jws, k, ONLY_ES512), MOBID_OK);
    assert_int_equal(mobid_jws_verify(&jws, k, ONLY_ES256), MOBID_ERR_ALG_NOT_ALLOWED);
    /* The last byte of s changed: no longer valid. */
    jws.sig.ptr[131] ^= 1;
    assert_int_equal(mobid_jws_verify(&jws, k, ONLY_ES512), MOBID_ERR_SIGNATURE_INVALID);
    mobid_jws_clear(&jws);
    mobid_key_free(k);
}

static void test_rfc8037_a4(void **state)
{
    (void)state;
    mobid_key *k = jwk_key(EDJWK);
    mobid_buf out;
    mobid_buf_init(&out, 0);
    assert_int_equal(mobid_jws_sign(k, MOBID_ALG_EDDSA, NULL,
                                    mobid_view_str("Example of Ed25519 signing"), &out),
                     MOBID_OK);
    assert_int_equal(out.len, strlen(ED_JWS));
    assert_memory_equal(out.ptr, ED_JWS, out.len);
    mobid_buf_free(&out);

    /* Verify with the public half only. */
    json_t *pub = NULL;
    mobid_key *pk = NULL;
    assert_int_equal(mobid_jwk_from_key(k, false, &pub), MOBID_OK);
    assert_null(json_object_get(pub, "d"));
    assert_int_equal(mobid_jwk_to_key(pub, &pk), MOBID_OK);
    assert_false(mobid_key_has_private(pk));
    assert_int_equal(parse_and_verify(ED_JWS, pk, ONLY_EDDSA), MOBID_OK);
    assert_int_equal(parse_and_verify(ED_JWS, pk, ONLY_ES256), MOBID_ERR_ALG_NOT_ALLOWED);
    /* RFC 8037 A.3 thumbprint of the same key. */
    mobid_buf tp;
    mobid_buf_init(&tp, 0);
    assert_int_equal(mobid_jwk_thumbprint_b64url(pub, &tp), MOBID_OK);
    assert_true(mobid_view_eq_str(mobid_buf_view(&tp), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"));
    mobid_buf_free(&tp);
    json_decref(pub);
    mobid_key_free(pk);
    mobid_key_free(k);
}

static void roundtrip(mobid_curve c, mobid_alg alg)
{
    mobid_key *k = NULL;
    assert_int_equal(mobid_key_generate(c, &k), MOBID_OK);
    json_t *extra = json_pack("{s:s,s:s}", "typ", "dc+sd-jwt", "kid", "k1");
    mobid_buf out;
    mobid_buf_init(&out, 0);
    assert_int_equal(mobid_buf_append_str(&out, "prefix:"), MOBID_OK);
    assert_int_equal(mobid_jws_sign(k, alg, extra, mobid_view_str("{\"a\":1}"), &out), MOBID_OK);
    assert_memory_equal(out.ptr, "prefix:", 7);
    mobid_jws jws;
    assert_int_equal(mobid_jws_parse(mobid_view_make(out.ptr + 7, out.len - 7), &jws), MOBID_OK);
    assert_int_equal(jws.alg, alg);
    assert_int_equal(jws.sig.len, mobid_alg_sig_size(alg));
    assert_true(mobid_view_eq_str(mobid_buf_view(&jws.payload), "{\"a\":1}"));
    /* alg first, then the extra members in their order; compact JSON. */
    mobid_buf hdr;
    mobid_buf_init(&hdr, 0);
    assert_int_equal(mobid_b64url_decode(jws.header_b64, &hdr), MOBID_OK);
    char expect[128];
    snprintf(expect, sizeof expect, "{\"alg\":\"%s\",\"typ\":\"dc+sd-jwt\",\"kid\":\"k1\"}",
             mobid_jose_alg_name(alg));
    assert_true(mobid_view_eq_str(mobid_buf_view(&hdr), expect));
    const mobid_alg allowed[] = { alg, MOBID_ALG_NONE };
    assert_int_equal(mobid_jws_verify(&jws, k, allowed), MOBID_OK);
    /* Another key of the same curve does not verify it. */
    mobid_key *other = NULL;
    assert_int_equal(mobid_key_generate(c, &other), MOBID_OK);
    assert_int_equal(mobid_jws_verify(&jws, other, allowed), MOBID_ERR_SIGNATURE_INVALID);
    mobid_key_free(other);
    mobid_jws_clear(&jws);
    mobid_buf_free(&hdr);
    mobid_buf_free(&out);
    json_decref(extra);
    mobid_key_free(k);
}

static void test_sign_verify_roundtrips(void **state)
{
    (void)state;
    roundtrip(MOBID_CURVE_P256, MOBID_ALG_ES256);
    roundtrip(MOBID_CURVE_P384, MOBID_ALG_ES384);
    roundtrip(MOBID_CURVE_P521, MOBID_ALG_ES512);
    roundtrip(MOBID_CURVE_ED25519, MOBID_ALG_EDDSA);
}

static void test_sign_refusals(void **state)
{
    (void)state;
    mobid_key *k = NULL, *pub = NULL;
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &k), MOBID_OK);
    json_t *jwk = NULL;
    assert_int_equal(mobid_jwk_from_key(k, false, &jwk), MOBID_OK);
    assert_int_equal(mobid_jwk_to_key(jwk, &pub), MOBID_OK);
    mobid_buf out;
    mobid_buf_init(&out, 0);
    mobid_view p = mobid_view_str("x");
    /* No "none", no alg that does not fit the key, no public-only key. */
    assert_int_equal(mobid_jws_sign(k, MOBID_ALG_NONE, NULL, p, &out), MOBID_ERR_INVALID_ARG);
    assert_int_equal(mobid_jws_sign(k, MOBID_ALG_ES384, NULL, p, &out), MOBID_ERR_KEY_INVALID);
    assert_int_equal(mobid_jws_sign(k, MOBID_ALG_EDDSA, NULL, p, &out), MOBID_ERR_KEY_INVALID);
    assert_int_equal(mobid_jws_sign(pub, MOBID_ALG_ES256, NULL, p, &out), MOBID_ERR_KEY_INVALID);
    /* The extra header may not smuggle an alg in, and must be an object. */
    json_t *bad = json_pack("{s:s}", "alg", "none");
    assert_int_equal(mobid_jws_sign(k, MOBID_ALG_ES256, bad, p, &out), MOBID_ERR_INVALID_ARG);
    json_decref(bad);
    bad = json_array();
    assert_int_equal(mobid_jws_sign(k, MOBID_ALG_ES256, bad, p, &out), MOBID_ERR_INVALID_ARG);
    json_decref(bad);
    assert_int_equal(out.len, 0);
    mobid_buf_free(&out);
    json_decref(jwk);
    mobid_key_free(pub);
    mobid_key_free(k);
}

static void test_alg_names(void **state)
{
    (void)state;
    assert_int_equal(mobid_jose_alg_from_name("ES256"), MOBID_ALG_ES256);
    assert_int_equal(mobid_jose_alg_from_name("ES512"), MOBID_ALG_ES512);
    assert_int_equal(mobid_jose_alg_from_name("EdDSA"), MOBID_ALG_EDDSA);
    const char *never[] = { "none", "None", "HS256", "RS256", "PS256", "es256", "ES256 ", "", NULL };
    for (size_t i = 0; never[i]; i++)
        assert_int_equal(mobid_jose_alg_from_name(never[i]), MOBID_ALG_NONE);
    assert_int_equal(mobid_jose_alg_from_name(NULL), MOBID_ALG_NONE);
    assert_string_equal(mobid_jose_alg_name(MOBID_ALG_ES384), "ES384");
    assert_null(mobid_jose_alg_name(MOBID_ALG_NONE));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc7515_a3),
        cmocka_unit_test(test_rfc7515_a3_any_change_fails),
        cmocka_unit_test(test_rfc7515_a4),
        cmocka_unit_test(test_rfc8037_a4),
        cmocka_unit_test(test_sign_verify_roundtrips),
        cmocka_unit_test(test_sign_refusals),
        cmocka_unit_test(test_alg_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
