/* lib/jose JWE: RFC 7518 Appendix C ECDH-ES key agreement, round trips for both encs,
 * and every way a JWE can be wrong: tampering, wrong keys, bad headers. */
#include "testutil.h"

#include <mobid/jose.h>
#include <string.h>

/* RFC 7518 Appendix C: Alice's ephemeral key and Bob's key. */
static const char ALICE[] = "{\"kty\":\"EC\",\"crv\":\"P-256\","
                            "\"x\":\"gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0\","
                            "\"y\":\"SLW_xSffzlPWrHEVI30DHM_4egVwt3NQqeUD7nMFpps\","
                            "\"d\":\"0_NxaRPUMQoAJt50Gz8YiTr8gRTwyEaCumd-MToTmIo\"}";
static const char BOB[] = "{\"kty\":\"EC\",\"crv\":\"P-256\","
                          "\"x\":\"weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ\","
                          "\"y\":\"e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck\","
                          "\"d\":\"VEmDZpDXXK8p8N0Cndsxs924q6nS1RXFASRl6BfUqdw\"}";
static const uint8_t RFC_Z[32] = { 158, 86,  217, 29,  129, 113, 53,  211, 114, 131, 66,
                                   131, 191, 132, 38,  156, 251, 49,  110, 163, 218, 128,
                                   106, 72,  246, 218, 167, 121, 140, 254, 144, 196 };

static mobid_key *jwk_key(const char *json)
{
    mobid_key *k = NULL;
    assert_int_equal(mobid_jwk_parse(mobid_view_str(json), &k), MOBID_OK);
    return k;
}

static void test_rfc7518_appendix_c(void **state)
{
    (void)state;
    mobid_key *alice = jwk_key(ALICE), *bob = jwk_key(BOB);
    mobid_buf z;
    mobid_buf_init(&z, 0);
    assert_int_equal(mobid_ecdh(alice, bob, &z), MOBID_OK);
    assert_int_equal(z.len, 32);
    assert_memory_equal(z.ptr, RFC_Z, 32);
    uint8_t key[16];
    assert_int_equal(mobid_jwe_concat_kdf(mobid_buf_view(&z), "A128GCM", mobid_view_str("Alice"),
                                          mobid_view_str("Bob"), key, sizeof key),
                     MOBID_OK);
    mobid_buf b64;
    mobid_buf_init(&b64, 0);
    assert_int_equal(mobid_b64url_encode(mobid_view_make(key, 16), &b64), MOBID_OK);
    assert_true(mobid_view_eq_str(mobid_buf_view(&b64), "VqqN6vgjbSBcIijNcacQGg"));
    /* Each input of the KDF matters. */
    uint8_t other[16];
    assert_int_equal(mobid_jwe_concat_kdf(mobid_buf_view(&z), "A128GCM", mobid_view_str("Bob"),
                                          mobid_view_str("Alice"), other, 16),
                     MOBID_OK);
    assert_memory_not_equal(key, other, 16);
    assert_int_equal(mobid_jwe_concat_kdf(mobid_buf_view(&z), "A256GCM", mobid_view_str("Alice"),
                                          mobid_view_str("Bob"), other, 16),
                     MOBID_OK);
    assert_memory_not_equal(key, other, 16);
    /* Longer outputs take more rounds; the first round's bytes depend on keydatalen. */
    uint8_t long_key[48];
    assert_int_equal(mobid_jwe_concat_kdf(mobid_buf_view(&z), "A128GCM", mobid_view_str("Alice"),
                                          mobid_view_str("Bob"), long_key, sizeof long_key),
                     MOBID_OK);
    assert_memory_not_equal(long_key, key, 16);
    assert_int_equal(mobid_jwe_concat_kdf(mobid_buf_view(&z), NULL, mobid_view_make(NULL, 0),
                                          mobid_view_make(NULL, 0), key, 16),
                     MOBID_ERR_INVALID_ARG);

    /* The full JWE with Alice as the ephemeral key: the header carries apu/apv and
     * Bob decrypts it. */
    mobid_jwe_params p = { 0 };
    p.enc = MOBID_JWE_A128GCM;
    p.apu = mobid_view_str("Alice");
    p.apv = mobid_view_str("Bob");
    p.ephemeral = alice;
    mobid_buf jwe, pt;
    mobid_buf_init(&jwe, 0);
    mobid_buf_init(&pt, 0);
    assert_int_equal(mobid_jwe_encrypt(bob, &p, mobid_view_str("hello Bob"), &jwe), MOBID_OK);
    json_t *hdr = NULL;
    assert_int_equal(mobid_jwe_decrypt(mobid_buf_view(&jwe), bob, &hdr, &pt), MOBID_OK);
    assert_true(mobid_view_eq_str(mobid_buf_view(&pt), "hello Bob"));
    assert_string_equal(json_string_value(json_object_get(hdr, "alg")), "ECDH-ES");
    assert_string_equal(json_string_value(json_object_get(hdr, "enc")), "A128GCM");
    assert_string_equal(json_string_value(json_object_get(hdr, "apu")), "QWxpY2U");
    assert_string_equal(json_string_value(json_object_get(hdr, "apv")), "Qm9i");
    json_t *epk = json_object_get(hdr, "epk");
    assert_string_equal(json_string_value(json_object_get(epk, "x")),
                        "gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0");
    assert_null(json_object_get(epk, "d"));
    json_decref(hdr);
    mobid_buf_free(&jwe);
    mobid_buf_free(&pt);
    mobid_buf_free(&b64);
    mobid_buf_free(&z);
    mobid_key_free(alice);
    mobid_key_free(bob);
}

/* RFC 8037 Appendix A.6 (the RFC 7748 §6.1 X25519 keys): the ephemeral key and Bob's
 * key agree on the published Z, and a JWE built on them decrypts with Bob's key. */
static void test_rfc8037_a6_x25519(void **state)
{
    (void)state;
    mobid_buf d, x, bob_x, z, jwe, pt;
    tu_hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", &d);
    tu_hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", &x);
    tu_hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", &bob_x);
    mobid_key *eph = NULL, *bob_pub = NULL;
    assert_int_equal(mobid_key_from_coords(MOBID_CURVE_X25519, mobid_buf_view(&x),
                                           mobid_view_make(NULL, 0), mobid_buf_view(&d), &eph),
                     MOBID_OK);
    char jwk[160];
    mobid_buf b64;
    mobid_buf_init(&b64, 0);
    assert_int_equal(mobid_b64url_encode(mobid_buf_view(&bob_x), &b64), MOBID_OK);
    snprintf(jwk, sizeof jwk, "{\"kty\":\"OKP\",\"crv\":\"X25519\",\"kid\":\"Bob\",\"x\":\"%.*s\"}",
             (int)b64.len, (const char *)b64.ptr);
    assert_string_equal(jwk, "{\"kty\":\"OKP\",\"crv\":\"X25519\",\"kid\":\"Bob\","
                             "\"x\":\"3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08\"}");
    bob_pub = jwk_key(jwk);
    mobid_buf_init(&z, 0);
    assert_int_equal(mobid_ecdh(eph, bob_pub, &z), MOBID_OK);
    mobid_buf want;
    tu_hex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742", &want);
    assert_true(mobid_view_eq(mobid_buf_view(&z), mobid_buf_view(&want)));
    /* The epk in the header is the RFC's ephemeral public key. */
    mobid_jwe_params p = { 0 };
    p.enc = MOBID_JWE_A128GCM;
    p.ephemeral = eph;
    mobid_buf_init(&jwe, 0);
    mobid_buf_init(&pt, 0);
    assert_int_equal(mobid_jwe_encrypt(bob_pub, &p, mobid_view_str("x25519"), &jwe), MOBID_OK);
    mobid_buf hdr;
    mobid_buf_init(&hdr, 0);
    const uint8_t *dot = memchr(jwe.ptr, '.', jwe.len);
    assert_non_null(dot);
    assert_int_equal(mobid_b64url_decode(mobid_view_make(jwe.ptr, (size_t)(dot - jwe.ptr)), &hdr),
                     MOBID_OK);
    assert_int_equal(mobid_buf_terminate(&hdr), MOBID_OK);
    assert_non_null(strstr((const char *)hdr.ptr,
                           "\"epk\":{\"kty\":\"OKP\",\"crv\":\"X25519\","
                           "\"x\":\"hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo\"}"));
    /* Bob (RFC 7748 §6.1 private key) decrypts; the sender's own key does not. */
    mobid_buf bob_d;
    mobid_key *bob = NULL;
    tu_hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb", &bob_d);
    assert_int_equal(mobid_key_from_coords(MOBID_CURVE_X25519, mobid_buf_view(&bob_x),
                                           mobid_view_make(NULL, 0), mobid_buf_view(&bob_d), &bob),
                     MOBID_OK);
    assert_int_equal(mobid_jwe_decrypt(mobid_buf_view(&jwe), bob, NULL, &pt), MOBID_OK);
    assert_true(mobid_view_eq_str(mobid_buf_view(&pt), "x25519"));
    pt.len = 0;
    assert_int_equal(mobid_jwe_decrypt(mobid_buf_view(&jwe), eph, NULL, &pt), MOBID_ERR_DECRYPT_FAILED);
    mobid_key_free(bob);
    mobid_buf_free(&bob_d);
    mobid_buf_free(&hdr);
    mobid_buf_free(&jwe);
    mobid_buf_free(&pt);
    mobid_buf_free(&want);
    mobid_buf_free(&z);
    mobid_buf_free(&b64);
    mobid_buf_free(&d);
    mobid_buf_free(&x);
    mobid_buf_free(&bob_x);
    mobid_key_free(eph);
    mobid_key_free(bob_pub);
}

static void roundtrip(mobid_curve curve, mobid_jwe_enc enc)
{
    mobid_key *rk = NULL, *wrong = NULL;
    assert_int_equal(mobid_key_generate(curve, &rk), MOBID_OK);
    assert_int_equal(mobid_key_generate(curve, &wrong), MOBID_OK);
    json_t *pubj = NULL;
    mobid_key *pub = NULL;
    assert_int_equal(mobid_jwk_from_key(rk, false, &pubj), MOBID_OK);
    assert_int_equal(mobid_jwk_to_key(pubj, &pub), MOBID_OK);
    json_t *extra = json_pack("{s:s}", "typ", "oauth-authz-req+jwt");
    mobid_jwe_params p = { 0 };
    p.enc = enc;
    p.kid = "verifier-key-1";
    p.apv = mobid_view_str("nonce-123");
    p.extra_header = extra;
    const char *msg = "{\"vp_token\":{\"id\":[\"eyJ...\"]},\"state\":\"s\"}";
    mobid_buf jwe, pt;
    mobid_buf_init(&jwe, 0);
    mobid_buf_init(&pt, 0);
    assert_int_equal(mobid_jwe_encrypt(pub, &p, mobid_view_str(msg), &jwe), MOBID_OK);
    /* Five parts, the second (encrypted key) empty. */
    assert_int_equal(mobid_buf_terminate(&jwe), MOBID_OK);
    assert_non_null(strstr((const char *)jwe.ptr, ".."));
    json_t *hdr = NULL;
    assert_int_equal(mobid_jwe_decrypt(mobid_buf_view(&jwe), rk, &hdr, &pt), MOBID_OK);
    assert_true(mobid_view_eq_str(mobid_buf_view(&pt), msg));
    assert_string_equal(json_string_value(json_object_get(hdr, "kid")), "verifier-key-1");
    assert_string_equal(json_string_value(json_object_get(hdr, "typ")), "oauth-authz-req+jwt");
    assert_string_equal(json_string_value(json_object_get(hdr, "enc")), mobid_jwe_enc_name(enc));
    assert_null(json_object_get(hdr, "apu")); /* empty apu is left out */
    json_decref(hdr);
    /* A fresh ephemeral key and IV each time. */
    mobid_buf again;
    mobid_buf_init(&again, 0);
    assert_int_equal(mobid_jwe_encrypt(pub, &p, mobid_view_str(msg), &again), MOBID_OK);
    assert_false(mobid_view_eq(mobid_buf_view(&jwe), mobid_buf_view(&again)));
    mobid_buf_free(&again);
    /* Someone else's key: the tag does not match and nothing is appended. */
    pt.len = 0;
    assert_int_equal(mobid_jwe_decrypt(mobid_buf_view(&jwe), wrong, NULL, &pt),
                     MOBID_ERR_DECRYPT_FAILED);
    assert_int_equal(pt.len, 0);
    /* The public key alone cannot decrypt. */
    assert_int_equal(mobid_jwe_decrypt(mobid_buf_view(&jwe), pub, NULL, &pt),
                     MOBID_ERR_KEY_INVALID);
    mobid_buf_free(&jwe);
    mobid_buf_free(&pt);
    json_decref(extra);
    json_decref(pubj);
    mobid_key_free(pub);
    mobid_key_free(rk);
    mobid_key_free(wrong);
}

static void test_roundtrips(void **state)
{
    (void)state;
    roundtrip(MOBID_CURVE_P256, MOBID_JWE_A128GCM);
    roundtrip(MOBID_CURVE_P256, MOBID_JWE_A256GCM);
    roundtrip(MOBID_CURVE_P384, MOBID_JWE_A256GCM);
    roundtrip(MOBID_CURVE_P521, MOBID_JWE_A128GCM);
    roundtrip(MOBID_CURVE_X25519, MOBID_JWE_A256GCM);
}

/* A fresh P-256 JWE to Bob and Bob's key. */
static char *jwe_to(mobid_key **bob, mobid_jwe_enc enc)
{
    *bob = jwk_key(BOB);
    mobid_jwe_params p = { 0 };
    p.enc = enc;
    mobid_buf out;
    mobid_buf_init(&out, 0);
    assert_int_equal(mobid_jwe_encrypt(*bob, &p, mobid_view_str("secret response"), &out),
                     MOBID_OK);
    return mobid_buf_detach_str(&out);
}

static mobid_err try_decrypt(const char *s, const mobid_key *k)
{
    mobid_buf pt;
    mobid_buf_init(&pt, 0);
    mobid_err err = mobid_jwe_decrypt(mobid_view_str(s), k, NULL, &pt);
    if (err != MOBID_OK)
        assert_int_equal(pt.len, 0);
    mobid_buf_free(&pt);
    return err;
}

/* Flip the first character of part `idx` between two alphabet letters, so the part
 * stays valid base64url but its bytes change. */
static char *flip_part(const char *s, int idx)
{
    char *t = strdup(s);
    assert_non_null(t);
    char *p = t;
    for (int i = 0; i < idx; i++)
        p = strchr(p, '.') + 1;
    *p = *p == 'A' ? 'B' : 'A';
    return t;
}

static void test_tampering(void **state)
{
    (void)state;
    mobid_key *bob = NULL;
    char *s = jwe_to(&bob, MOBID_JWE_A256GCM);
    assert_int_equal(try_decrypt(s, bob), MOBID_OK);
    for (int part = 2; part <= 4; part++) { /* iv, ciphertext, tag */
        char *t = flip_part(s, part);
        assert_int_equal(try_decrypt(t, bob), MOBID_ERR_DECRYPT_FAILED);
        free(t);
    }
    /* Every single-character change anywhere fails one way or another. */
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.')
            continue;
        char *t = strdup(s);
        t[i] = t[i] == 'A' ? 'B' : 'A';
        assert_int_not_equal(try_decrypt(t, bob), MOBID_OK);
        free(t);
    }
    /* A re-encoded header with an added member: still parses, the AAD differs. */
    mobid_buf raw, forged;
    mobid_buf_init(&raw, 0);
    mobid_buf_init(&forged, 0);
    const char *dot = strchr(s, '.');
    assert_int_equal(mobid_b64url_decode(mobid_view_make(s, (size_t)(dot - s)), &raw), MOBID_OK);
    json_t *h = NULL;
    assert_int_equal(mobid_json_parse(mobid_buf_view(&raw), 0, &h), MOBID_OK);
    json_object_set_new(h, "kid", json_string("evil"));
    raw.len = 0;
    assert_int_equal(mobid_json_dump(h, false, &raw), MOBID_OK);
    assert_int_equal(mobid_b64url_encode(mobid_buf_view(&raw), &forged), MOBID_OK);
    assert_int_equal(mobid_buf_append_str(&forged, dot), MOBID_OK);
    assert_int_equal(mobid_buf_terminate(&forged), MOBID_OK);
    assert_int_equal(try_decrypt((const char *)forged.ptr, bob), MOBID_ERR_DECRYPT_FAILED);
    json_decref(h);
    mobid_buf_free(&raw);
    mobid_buf_free(&forged);
    free(s);
    mobid_key_free(bob);
}

/* Build a JWE whose header is `hdr` (JSON text) and whose other parts are given. */
static char *forge(const char *hdr, const char *rest)
{
    mobid_buf b;
    mobid_buf_init(&b, 0);
    assert_int_equal(mobid_b64url_encode(mobid_view_str(hdr), &b), MOBID_OK);
    assert_int_equal(mobid_buf_append_str(&b, rest), MOBID_OK);
    return mobid_buf_detach_str(&b);
}

#define EPK_BOB                                                                            \
    "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ\"," \
    "\"y\":\"e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck\"}"
#define EPK_OFF                                                                            \
    "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ\"," \
    "\"y\":\"e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOycg\"}"
/* 12-byte IV, 4-byte ciphertext, 16-byte tag. */
#define GOOD_REST "..AAAAAAAAAAAAAAAA.AAAAAA.AAAAAAAAAAAAAAAAAAAAAA"

static void test_bad_headers(void **state)
{
    (void)state;
    mobid_key *bob = jwk_key(BOB);
    static const struct {
        const char *hdr;
        const char *rest;
        mobid_err want;
    } cases[] = {
        /* well formed up to the tag check */
        { "{\"alg\":\"ECDH-ES\",\"enc\":\"A128GCM\",\"epk\":" EPK_BOB "}", GOOD_REST,
          MOBID_ERR_DECRYPT_FAILED },
        { "{\"alg\":\"ECDH-ES+A128KW\",\"enc\":\"A128GCM\",\"epk\":" EPK_BOB "}", GOOD_REST,
          MOBID_ERR_ALG_NOT_ALLOWED },
        { "{\"alg\":\"RSA-OAEP\",\"enc\":\"A128GCM\",\"epk\":" EPK_BOB "}", GOOD_REST,
          MOBID_ERR_ALG_NOT_ALLOWED },
        { "{\"alg\":\"dir\",\"enc\":\"A128GCM\",\"epk\":" EPK_BOB "}", GOOD_REST,
          MOBID_ERR_ALG_NOT_ALLOWED },
        { "{\"alg\":\"ECDH-ES\",\"enc\":\"A128CBC-HS256\",\"epk\":" EPK_BOB "}", GOOD_REST,
          MOBID_ERR_UNSUPPORTED },
        { "{\"alg\":\"ECDH-ES\",\"enc\":\"A128GCM\",\"zip\":\"DEF\",\"epk\":" EPK_BOB "}",
          GOOD_REST, MOBID_ERR_UNSUPPORTED },
        { "{\"alg\":\"ECDH-ES\",\"enc\":\"A128GCM\",\"crit\":[\"x\"],\"x\":1,\"epk\":" EPK_BOB "}",
          GOOD_REST, MOBID_ERR_CRITICAL_HEADER },
        { "{\"alg\":\"ECDH-ES\",\"enc\":\"A128GCM\"}", GOOD_REST, MOBID_ERR_MALFORMED },
        { "{\"alg\":\"ECDH-ES\",\"epk\":" EPK_BOB "}", GOOD_REST, MOBID_ERR_MALFORMED },
        { "{\"enc\":\"A128GCM\",\"epk\":" EPK_BOB "}", GOOD_REST, MOBID_ERR_MALFORMED },
        { "{\"alg\":\"ECDH-ES\",\"alg\":\"ECDH-ES\",\"enc\":\"A128GCM\",\"epk\":" EPK_BOB "}",
          GOOD_REST, MOBID_ERR_MALFORMED },
        { "[]", GOOD_REST, MOBID_ERR_MALFORMED },
        /* invalid-curve attack: an ephemeral point off P-256 */
        { "{\"alg\":\"ECDH-ES\",\"enc\":\"A128GCM\",\"epk\":" EPK_OFF "}", GOOD_REST,
          MOBID_ERR_POINT_NOT_ON_CURVE },
        { "{\"alg\":\"ECDH-ES\",\"enc\":\"A128GCM\",\"epk\":{\"kty\":\"OKP\",\"crv\":\"X25519\","
          "\"x\":\"3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08\"}}",
          GOOD_REST, MOBID_ERR_KEY_INVALID },
        { "{\"alg\":\"ECDH-ES\",\"enc\":\"A128GCM\",\"epk\":{\"kty\":\"EC\",\"crv\":\"P-256\","
          "\"x\":\"weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ\","
          "\"y\":\"e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck\","
          "\"d\":\"VEmDZpDXXK8p8N0Cndsxs924q6nS1RXFASRl6BfUqdw\"}}",
          GOOD_REST, MOBID_ERR_MALFORMED },
        { "{\"alg\":\"ECDH-ES\",\"enc\":\"A128GCM\",\"apu\":\"QWxpY2U=\",\"epk\":" EPK_BOB "}",
          GOOD_REST, MOBID_ERR_BAD_BASE64 },
        { "{\"alg\":\"ECDH-ES\",\"enc\":\"A128GCM\",\"apv\":7,\"epk\":" EPK_BOB "}", GOOD_REST,
          MOBID_ERR_MALFORMED },
        /* structure: encrypted key present, IV and tag sizes, part count */
        { "{\"alg\":\"ECDH-ES\",\"enc\":\"A128GCM\",\"epk\":" EPK_BOB "}",
          ".AAAA.AAAAAAAAAAAAAAAA.AAAAAA.AAAAAAAAAAAAAAAAAAAAAA", MOBID_ERR_MALFORMED },
        { "{\"alg\":\"ECDH-ES\",\"enc\":\"A128GCM\",\"epk\":" EPK_BOB "}",
          "..AAAAAAAAAAAA.AAAAAA.AAAAAAAAAAAAAAAAAAAAAA", MOBID_ERR_MALFORMED },
        { "{\"alg\":\"ECDH-ES\",\"enc\":\"A128GCM\",\"epk\":" EPK_BOB "}",
          "..AAAAAAAAAAAAAAAA.AAAAAA.AAAAAAAAAAAAAAAAAAAA", MOBID_ERR_MALFORMED },
        { "{\"alg\":\"ECDH-ES\",\"enc\":\"A128GCM\",\"epk\":" EPK_BOB "}",
          "..AAAAAAAAAAAAAAAA.AAAAAA", MOBID_ERR_MALFORMED },
        { "{\"alg\":\"ECDH-ES\",\"enc\":\"A128GCM\",\"epk\":" EPK_BOB "}",
          "..AAAAAAAAAAAAAAAA.AAAAAA.AAAAAAAAAAAAAAAAAAAAAA.", MOBID_ERR_MALFORMED },
        { "{\"alg\":\"ECDH-ES\",\"enc\":\"A128GCM\",\"epk\":" EPK_BOB "}",
          "..AAAAAAAAAAAAAAAA.AA=A.AAAAAAAAAAAAAAAAAAAAAA", MOBID_ERR_BAD_BASE64 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *s = forge(cases[i].hdr, cases[i].rest);
        mobid_err got = try_decrypt(s, bob);
        if (got != cases[i].want)
            print_error("case %zu -> %s\n", i, mobid_err_name(got));
        assert_int_equal(got, cases[i].want);
        free(s);
    }
    mobid_key_free(bob);
}

/* A small-order X25519 ephemeral key (all-zero u) would make Z all zeros: refused. */
static void test_x25519_small_order_epk(void **state)
{
    (void)state;
    mobid_key *rk = NULL;
    assert_int_equal(mobid_key_generate(MOBID_CURVE_X25519, &rk), MOBID_OK);
    char *s = forge("{\"alg\":\"ECDH-ES\",\"enc\":\"A128GCM\",\"epk\":{\"kty\":\"OKP\","
                    "\"crv\":\"X25519\",\"x\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}}",
                    GOOD_REST);
    assert_int_equal(try_decrypt(s, rk), MOBID_ERR_KEY_INVALID);
    free(s);
    mobid_key_free(rk);
}

static void test_encrypt_refusals(void **state)
{
    (void)state;
    mobid_key *ed = NULL, *p256 = NULL, *p384 = NULL;
    assert_int_equal(mobid_key_generate(MOBID_CURVE_ED25519, &ed), MOBID_OK);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &p256), MOBID_OK);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P384, &p384), MOBID_OK);
    mobid_buf out;
    mobid_buf_init(&out, 0);
    mobid_jwe_params p = { 0 };
    mobid_view m = mobid_view_str("m");
    assert_int_equal(mobid_jwe_encrypt(p256, &p, m, &out), MOBID_ERR_INVALID_ARG); /* no enc */
    p.enc = MOBID_JWE_A128GCM;
    assert_int_equal(mobid_jwe_encrypt(ed, &p, m, &out), MOBID_ERR_KEY_INVALID);
    p.ephemeral = p384; /* wrong curve for a P-256 recipient */
    assert_int_equal(mobid_jwe_encrypt(p256, &p, m, &out), MOBID_ERR_KEY_INVALID);
    p.ephemeral = NULL;
    json_t *extra = json_pack("{s:s}", "epk", "x");
    p.extra_header = extra;
    assert_int_equal(mobid_jwe_encrypt(p256, &p, m, &out), MOBID_ERR_INVALID_ARG);
    json_decref(extra);
    assert_int_equal(out.len, 0);
    assert_int_equal(mobid_jwe_enc_from_name("A192GCM"), MOBID_JWE_ENC_NONE);
    assert_null(mobid_jwe_enc_name(MOBID_JWE_ENC_NONE));
    mobid_buf_free(&out);
    mobid_key_free(ed);
    mobid_key_free(p256);
    mobid_key_free(p384);
}

static void test_too_big(void **state)
{
    (void)state;
    mobid_key *bob = jwk_key(BOB);
    size_t n = MOBID_JOSE_MAX_COMPACT + 1;
    char *big = malloc(n + 1);
    assert_non_null(big);
    memset(big, 'A', n);
    big[n] = 0;
    assert_int_equal(try_decrypt(big, bob), MOBID_ERR_TOO_BIG);
    free(big);
    mobid_key_free(bob);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc7518_appendix_c),
        cmocka_unit_test(test_rfc8037_a6_x25519),
        cmocka_unit_test(test_roundtrips),
        cmocka_unit_test(test_tampering),
        cmocka_unit_test(test_bad_headers),
        cmocka_unit_test(test_x25519_small_order_epk),
        cmocka_unit_test(test_encrypt_refusals),
        cmocka_unit_test(test_too_big),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
