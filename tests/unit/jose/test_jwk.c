/* lib/jose JWK: import/export for every curve, RFC 7638 thumbprint, JSON helpers. */
#include "testutil.h"

#include <mobid/jose.h>
#include <string.h>

/* RFC 7638 §3.1: the RSA example key and its thumbprint. */
static const char RFC7638_JWK[] =
    "{\"kty\":\"RSA\","
    "\"n\":\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_"
    "BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2"
    "QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6We"
    "Zu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw\","
    "\"e\":\"AQAB\",\"alg\":\"RS256\",\"kid\":\"2011-04-29\"}";

static json_t *load(const char *s)
{
    json_t *j = NULL;
    assert_int_equal(mobid_json_parse(mobid_view_str(s), 0, &j), MOBID_OK);
    return j;
}

static void thumbprint_is(const char *jwk, const char *want)
{
    json_t *j = load(jwk);
    mobid_buf tp;
    mobid_buf_init(&tp, 0);
    assert_int_equal(mobid_jwk_thumbprint_b64url(j, &tp), MOBID_OK);
    assert_int_equal(tp.len, 43);
    assert_memory_equal(tp.ptr, want, 43);
    mobid_buf_free(&tp);
    json_decref(j);
}

static void test_rfc7638_thumbprint(void **state)
{
    (void)state;
    thumbprint_is(RFC7638_JWK, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    /* Member order and optional members do not matter; a changed value does. */
    const char *reordered =
        "{\"use\":\"sig\",\"e\":\"AQAB\","
        "\"n\":\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSo"
        "c_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FD"
        "W2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQF"
        "h6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw\",\"kty\":\"RSA\"}";
    thumbprint_is(reordered, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    json_t *j = load(RFC7638_JWK);
    json_object_set_new(j, "e", json_string("AQAC"));
    uint8_t tp[32], tp2[32];
    assert_int_equal(mobid_jwk_thumbprint(j, tp), MOBID_OK);
    json_decref(j);
    j = load(RFC7638_JWK);
    assert_int_equal(mobid_jwk_thumbprint(j, tp2), MOBID_OK);
    assert_memory_not_equal(tp, tp2, 32);
    json_decref(j);
    /* Missing required members, wrong types, unknown kty. */
    const char *bad[] = {
        "{\"kty\":\"RSA\",\"n\":\"AQAB\"}",
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AA\"}",
        "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":1}",
        "{\"n\":\"AA\",\"e\":\"AQAB\"}",
        "[]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        j = load(bad[i]);
        assert_int_equal(mobid_jwk_thumbprint(j, tp), MOBID_ERR_MALFORMED);
        json_decref(j);
    }
    j = load("{\"kty\":\"XYZ\",\"k\":\"AA\"}");
    assert_int_equal(mobid_jwk_thumbprint(j, tp), MOBID_ERR_UNSUPPORTED);
    json_decref(j);
}

/* EC thumbprint covers crv, kty, x, y only, computed from the key or the JWK alike. */
static void test_key_thumbprint(void **state)
{
    (void)state;
    mobid_key *k = NULL;
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &k), MOBID_OK);
    json_t *priv = NULL;
    assert_int_equal(mobid_jwk_from_key(k, true, &priv), MOBID_OK);
    assert_non_null(json_object_get(priv, "d"));
    json_object_set_new(priv, "kid", json_string("x"));
    mobid_buf a, b;
    mobid_buf_init(&a, 0);
    mobid_buf_init(&b, 0);
    assert_int_equal(mobid_jwk_thumbprint_key(k, &a), MOBID_OK);
    assert_int_equal(mobid_jwk_thumbprint_b64url(priv, &b), MOBID_OK);
    assert_true(mobid_view_eq(mobid_buf_view(&a), mobid_buf_view(&b)));
    /* Recompute by hand: {"crv":..,"kty":"EC","x":..,"y":..}. */
    char canon[256];
    snprintf(canon, sizeof canon, "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
             json_string_value(json_object_get(priv, "x")),
             json_string_value(json_object_get(priv, "y")));
    uint8_t md[MOBID_HASH_MAX];
    assert_int_equal(mobid_hash(MOBID_HASH_SHA256, mobid_view_str(canon), md), MOBID_OK);
    mobid_buf c;
    mobid_buf_init(&c, 0);
    assert_int_equal(mobid_b64url_encode(mobid_view_make(md, 32), &c), MOBID_OK);
    assert_true(mobid_view_eq(mobid_buf_view(&a), mobid_buf_view(&c)));
    mobid_buf_free(&a);
    mobid_buf_free(&b);
    mobid_buf_free(&c);
    json_decref(priv);
    mobid_key_free(k);
}

static void jwk_roundtrip(mobid_curve curve, const char *kty, const char *crv, bool has_y)
{
    mobid_key *k = NULL, *back = NULL, *pub = NULL;
    assert_int_equal(mobid_key_generate(curve, &k), MOBID_OK);
    json_t *priv = NULL, *pubj = NULL;
    assert_int_equal(mobid_jwk_from_key(k, true, &priv), MOBID_OK);
    assert_int_equal(mobid_jwk_from_key(k, false, &pubj), MOBID_OK);
    assert_string_equal(json_string_value(json_object_get(priv, "kty")), kty);
    assert_string_equal(json_string_value(json_object_get(priv, "crv")), crv);
    assert_int_equal(json_object_get(priv, "y") != NULL, has_y);
    assert_null(json_object_get(pubj, "d"));
    size_t n = mobid_curve_size(curve);
    assert_int_equal(json_string_length(json_object_get(priv, "x")), mobid_b64url_encoded_len(n));
    assert_int_equal(json_string_length(json_object_get(priv, "d")), mobid_b64url_encoded_len(n));
    assert_int_equal(mobid_jwk_to_key(priv, &back), MOBID_OK);
    assert_true(mobid_key_has_private(back));
    assert_true(mobid_key_public_eq(k, back));
    assert_int_equal(mobid_jwk_to_key(pubj, &pub), MOBID_OK);
    assert_false(mobid_key_has_private(pub));
    assert_true(mobid_key_public_eq(k, pub));
    /* Text round trip through the compact dump. */
    mobid_buf text;
    mobid_buf_init(&text, 0);
    assert_int_equal(mobid_json_dump(priv, true, &text), MOBID_OK);
    mobid_key *again = NULL;
    assert_int_equal(mobid_jwk_parse(mobid_buf_view(&text), &again), MOBID_OK);
    assert_true(mobid_key_public_eq(k, again));
    mobid_key_free(again);
    mobid_buf_free(&text);
    json_decref(priv);
    json_decref(pubj);
    mobid_key_free(k);
    mobid_key_free(back);
    mobid_key_free(pub);
}

static void test_jwk_roundtrips(void **state)
{
    (void)state;
    jwk_roundtrip(MOBID_CURVE_P256, "EC", "P-256", true);
    jwk_roundtrip(MOBID_CURVE_P384, "EC", "P-384", true);
    jwk_roundtrip(MOBID_CURVE_P521, "EC", "P-521", true);
    jwk_roundtrip(MOBID_CURVE_ED25519, "OKP", "Ed25519", false);
    jwk_roundtrip(MOBID_CURVE_X25519, "OKP", "X25519", false);
}

static void test_json_helpers(void **state)
{
    (void)state;
    json_t *j = NULL;
    assert_int_equal(mobid_json_parse(mobid_view_str("{\"b\":1,\"a\":[true,null,\"\xc3\xa9\"]}"), 0,
                                      &j),
                     MOBID_OK);
    mobid_buf out;
    mobid_buf_init(&out, 0);
    assert_int_equal(mobid_json_dump(j, false, &out), MOBID_OK);
    assert_true(mobid_view_eq_str(mobid_buf_view(&out), "{\"b\":1,\"a\":[true,null,\"\xc3\xa9\"]}"));
    out.len = 0;
    assert_int_equal(mobid_json_dump(j, true, &out), MOBID_OK);
    assert_true(mobid_view_eq_str(mobid_buf_view(&out), "{\"a\":[true,null,\"\xc3\xa9\"],\"b\":1}"));
    json_decref(j);
    /* Any top-level value parses; limits and duplicates are enforced. */
    assert_int_equal(mobid_json_parse(mobid_view_str("42"), 0, &j), MOBID_OK);
    assert_true(json_is_integer(j));
    json_decref(j);
    assert_int_equal(mobid_json_parse(mobid_view_str("[1,2,3]"), 6, &j), MOBID_ERR_TOO_BIG);
    assert_null(j);
    assert_int_equal(mobid_json_parse(mobid_view_str("{\"a\":1,\"a\":1}"), 0, &j),
                     MOBID_ERR_MALFORMED);
    assert_int_equal(mobid_json_parse(mobid_view_str("1 2"), 0, &j), MOBID_ERR_MALFORMED);
    /* The dump respects the buffer's maximum. */
    mobid_buf small;
    mobid_buf_init(&small, 4);
    j = json_pack("{s:s}", "key", "value");
    assert_int_equal(mobid_json_dump(j, false, &small), MOBID_ERR_TOO_BIG);
    json_decref(j);
    mobid_buf_free(&small);
    mobid_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc7638_thumbprint),
        cmocka_unit_test(test_key_thumbprint),
        cmocka_unit_test(test_jwk_roundtrips),
        cmocka_unit_test(test_json_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
