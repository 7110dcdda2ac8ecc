/* Known-bad inputs for lib/crypto: signatures of the wrong length, r or s of
 * zero or not below the group order (s = n, n + 1, 2^256 - 1; r = n),
 * points off the curve or with coordinates >= p, and unusable key encodings. */
#include "testutil.h"

#include <mobid/crypto.h>

#include <string.h>

static const mobid_view none = { NULL, 0 };

/* P-256 group order n. */
static const char p256_n[] = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";

/* dst = a + b over 32 big-endian bytes; returns the carry out. */
static int add32(uint8_t *dst, const uint8_t *a, const uint8_t *b)
{
    int carry = 0;
    for (int i = 31; i >= 0; i--) {
        int v = a[i] + b[i] + carry;
        dst[i] = (uint8_t)v;
        carry = v >> 8;
    }
    return carry;
}

static void expect_invalid(mobid_key *k, mobid_view msg, const uint8_t *sig, size_t len)
{
    assert_int_equal(mobid_verify(k, MOBID_ALG_ES256, msg, mobid_view_make(sig, len)),
                     MOBID_ERR_SIGNATURE_INVALID);
}

static void test_bad_ecdsa_signatures(void **state)
{
    (void)state;
    mobid_key *k = NULL;
    mobid_buf sig, n;
    mobid_buf_init(&sig, 0);
    tu_hex(p256_n, &n);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &k), MOBID_OK);
    mobid_view msg = mobid_view_str("hostile");
    uint8_t alias[64];
    assert_int_equal(mobid_sign(k, MOBID_ALG_ES256, msg, &sig), MOBID_OK);
    assert_int_equal(mobid_verify(k, MOBID_ALG_ES256, msg, mobid_buf_view(&sig)), MOBID_OK);
    uint8_t one[32] = { [31] = 1 };
    memcpy(alias, sig.ptr, 32);                    /* s = n + 1, an alias of 1 */
    assert_int_equal(add32(alias + 32, n.ptr, one), 0);
    expect_invalid(k, msg, alias, 64);
    memset(alias + 32, 0xff, 32);                  /* s = 2^256 - 1 */
    expect_invalid(k, msg, alias, 64);
    memcpy(alias, n.ptr, 32);                      /* r = n */
    memcpy(alias + 32, sig.ptr + 32, 32);
    expect_invalid(k, msg, alias, 64);
    memcpy(alias, sig.ptr, 32);                    /* s = n */
    memcpy(alias + 32, n.ptr, 32);
    expect_invalid(k, msg, alias, 64);
    memset(alias, 0, 32);                          /* r = 0 */
    memcpy(alias + 32, sig.ptr + 32, 32);
    expect_invalid(k, msg, alias, 64);
    memcpy(alias, sig.ptr, 32);                    /* s = 0 */
    memset(alias + 32, 0, 32);
    expect_invalid(k, msg, alias, 64);
    uint8_t longer[65];                            /* wrong lengths */
    memcpy(longer, sig.ptr, 64);
    longer[64] = 0;
    expect_invalid(k, msg, longer, 65);
    expect_invalid(k, msg, sig.ptr, 63);
    expect_invalid(k, msg, sig.ptr, 0);
    /* A DER signature is not a raw one. */
    mobid_buf der;
    mobid_buf_init(&der, 0);
    assert_int_equal(mobid_ecdsa_raw_to_der(mobid_buf_view(&sig), &der), MOBID_OK);
    expect_invalid(k, msg, der.ptr, der.len);
    /* Algorithm NONE is never accepted. */
    assert_int_equal(mobid_verify(k, MOBID_ALG_NONE, msg, mobid_buf_view(&sig)),
                     MOBID_ERR_ALG_NOT_ALLOWED);
    mobid_buf_free(&der);
    mobid_buf_free(&sig);
    mobid_buf_free(&n);
    mobid_key_free(k);
}

static void test_bad_eddsa_signatures(void **state)
{
    (void)state;
    mobid_key *k = NULL;
    mobid_buf sig;
    mobid_buf_init(&sig, 0);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_ED25519, &k), MOBID_OK);
    assert_int_equal(mobid_sign(k, MOBID_ALG_EDDSA, mobid_view_str("m"), &sig), MOBID_OK);
    assert_int_equal(mobid_verify(k, MOBID_ALG_EDDSA, mobid_view_str("m"),
                                  mobid_view_make(sig.ptr, 63)), MOBID_ERR_SIGNATURE_INVALID);
    assert_int_equal(mobid_verify(k, MOBID_ALG_ES256, mobid_view_str("m"), mobid_buf_view(&sig)),
                     MOBID_ERR_KEY_INVALID);
    assert_int_equal(mobid_verify_digest(k, MOBID_ALG_EDDSA, mobid_view_make(sig.ptr, 32),
                                         mobid_buf_view(&sig)), MOBID_ERR_ALG_NOT_ALLOWED);
    mobid_buf_free(&sig);
    mobid_key_free(k);
}

static void test_off_curve_points(void **state)
{
    (void)state;
    mobid_key *k = NULL, *bad = NULL;
    mobid_buf x, y, p;
    mobid_buf_init(&x, 0);
    mobid_buf_init(&y, 0);
    tu_hex("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff", &p);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &k), MOBID_OK);
    assert_int_equal(mobid_key_to_coords(k, &x, &y, NULL), MOBID_OK);
    y.ptr[31] ^= 1;
    assert_int_equal(mobid_key_from_coords(MOBID_CURVE_P256, mobid_buf_view(&x), mobid_buf_view(&y),
                                           none, &bad), MOBID_ERR_POINT_NOT_ON_CURVE);
    assert_null(bad);
    y.ptr[31] ^= 1;
    /* (0, 0) is not on the curve either. */
    uint8_t zero[32] = { 0 };
    assert_int_equal(mobid_key_from_coords(MOBID_CURVE_P256, mobid_view_make(zero, 32),
                                           mobid_view_make(zero, 32), none, &bad),
                     MOBID_ERR_POINT_NOT_ON_CURVE);
    /* A coordinate >= p (x + p would alias x) and wrong coordinate lengths. */
    assert_int_equal(mobid_key_from_coords(MOBID_CURVE_P256, mobid_buf_view(&p), mobid_buf_view(&y),
                                           none, &bad), MOBID_ERR_KEY_INVALID);
    assert_int_equal(mobid_key_from_coords(MOBID_CURVE_P256, mobid_view_make(x.ptr + 1, 31),
                                           mobid_buf_view(&y), none, &bad), MOBID_ERR_KEY_INVALID);
    assert_int_equal(mobid_key_from_coords(MOBID_CURVE_P384, mobid_buf_view(&x), mobid_buf_view(&y),
                                           none, &bad), MOBID_ERR_KEY_INVALID);
    /* An off-curve SEC1 point. */
    mobid_buf pt;
    mobid_buf_init(&pt, 0);
    mobid_buf_append_byte(&pt, 4);
    mobid_buf_append_view(&pt, mobid_buf_view(&x));
    mobid_buf_append_view(&pt, mobid_buf_view(&x));
    assert_int_equal(mobid_key_from_sec1_point(MOBID_CURVE_P256, mobid_buf_view(&pt), &bad),
                     MOBID_ERR_POINT_NOT_ON_CURVE);
    assert_null(bad);
    assert_int_equal(mobid_key_from_coords(MOBID_CURVE_NONE, mobid_buf_view(&x), mobid_buf_view(&y),
                                           none, &bad), MOBID_ERR_UNSUPPORTED);
    mobid_buf_free(&pt);
    mobid_buf_free(&x);
    mobid_buf_free(&y);
    mobid_buf_free(&p);
    mobid_key_free(k);
}

static void test_x25519_small_order(void **state)
{
    (void)state;
    mobid_key *priv = NULL, *peer = NULL;
    mobid_buf out;
    mobid_buf_init(&out, 0);
    uint8_t zero[32] = { 0 }; /* u = 0 has order 1: the shared secret would be zero */
    assert_int_equal(mobid_key_generate(MOBID_CURVE_X25519, &priv), MOBID_OK);
    assert_int_equal(mobid_key_from_coords(MOBID_CURVE_X25519, mobid_view_make(zero, 32), none,
                                           none, &peer), MOBID_OK);
    assert_int_equal(mobid_ecdh(priv, peer, &out), MOBID_ERR_KEY_INVALID);
    assert_int_equal(out.len, 0);
    /* Ed25519 keys do not agree, and cannot be X25519 peers. */
    mobid_key *ed = NULL;
    assert_int_equal(mobid_key_generate(MOBID_CURVE_ED25519, &ed), MOBID_OK);
    assert_int_equal(mobid_ecdh(ed, ed, &out), MOBID_ERR_KEY_INVALID);
    assert_int_equal(mobid_ecdh(priv, ed, &out), MOBID_ERR_KEY_INVALID);
    mobid_key_free(ed);
    mobid_key_free(priv);
    mobid_key_free(peer);
    mobid_buf_free(&out);
}

static void test_bad_key_encodings(void **state)
{
    (void)state;
    const char *bad[] = {
        "not a key",
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIC7x\n-----END PRIVATE KEY-----\n",
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        /* An encrypted private key: never a password prompt, just unusable. */
        ("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIBvTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQI\n"
         "-----END ENCRYPTED PRIVATE KEY-----\n"),
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        mobid_key *k = NULL;
        mobid_err err = mobid_key_from_pem(mobid_view_str(bad[i]), &k);
        assert_int_not_equal(err, MOBID_OK);
        assert_null(k);
    }
    mobid_key *k = NULL;
    /* An RSA key (generated for this test) parses but is not supported. */
    static const char rsa_spki[] =
        "-----BEGIN PUBLIC KEY-----\n"
        "MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAOCZFoBn2ed5mkkRIW0MUIt4jnmh1Nxn\n"
        "yDg7kxu7zyWFzk/Btoa9duIBzxJQsfgXNVsehCuHlQmUwbhWyrseRdkCAwEAAQ==\n"
        "-----END PUBLIC KEY-----\n";
    assert_int_equal(mobid_key_from_pem(mobid_view_str(rsa_spki), &k), MOBID_ERR_UNSUPPORTED);
    assert_null(k);
    assert_int_equal(mobid_key_from_pem(mobid_view_make(NULL, 0), &k), MOBID_ERR_INVALID_ARG);
    uint8_t junk[40] = { 0x30, 0x26 };
    assert_int_not_equal(mobid_key_from_pem(mobid_view_make(junk, sizeof junk), &k), MOBID_OK);
    assert_null(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_ecdsa_signatures), cmocka_unit_test(test_bad_eddsa_signatures),
        cmocka_unit_test(test_off_curve_points),     cmocka_unit_test(test_x25519_small_order),
        cmocka_unit_test(test_bad_key_encodings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
