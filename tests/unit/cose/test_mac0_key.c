/* COSE_Mac0 (HMAC 256/256) and COSE_Key: the COSE-WG HMAC example, round trips,
 * tampering, off-curve and malformed keys. */
#include "cose_helpers.h"

/* github.com/cose-wg/Examples mac0-tests/HMac-01.json */
#define HMAC01_KEY "849b57219dae48de646d07dbb533566e976686457c1491be3a76dcea6c427188"
#define HMAC01_PAYLOAD "546869732069732074686520636f6e74656e742e"
#define HMAC01_TOMAC "84644d41433043a101054054" HMAC01_PAYLOAD
#define HMAC01_MSG                                                                     \
    "d18443a10105a054" HMAC01_PAYLOAD                                                \
    "5820a1a848d3471f9d61ee49018d244c824772f223ad4f935293f1789fc3a08d8c58"

static void test_mac0_cose_wg(void **state)
{
    (void)state;
    mobid_buf key, payload, want, mine, tomac;
    mobid_cose_mac0 m;
    tu_hex(HMAC01_KEY, &key);
    tu_hex(HMAC01_PAYLOAD, &payload);
    tu_hex(HMAC01_MSG, &want);
    tu_hex(HMAC01_TOMAC, &tomac);
    mobid_buf_init(&mine, 0);

    /* HMAC is deterministic: our message equals the published one. */
    assert_int_equal(mobid_cose_mac0_create(mobid_buf_view(&key), mobid_buf_view(&payload), false,
                                            true, v_empty(), &mine),
                     MOBID_OK);
    assert_true(mobid_view_eq(mobid_buf_view(&mine), mobid_buf_view(&want)));
    assert_int_equal(mobid_cose_mac0_parse(mobid_buf_view(&want), &m), MOBID_OK);
    assert_true(m.tagged);
    assert_int_equal(m.alg_id, MOBID_COSE_ALG_HMAC256);
    assert_int_equal(mobid_cose_mac0_verify(&m, mobid_buf_view(&key), v_empty(), v_empty()),
                     MOBID_OK);
    mobid_buf_free(&mine);
    mobid_buf_init(&mine, 0);
    assert_int_equal(mobid_cose_mac_structure(m.protected_bytes, v_empty(), m.payload, &mine),
                     MOBID_OK);
    assert_true(mobid_view_eq(mobid_buf_view(&mine), mobid_buf_view(&tomac)));

    /* A different key, or a different external_aad. */
    key.ptr[0] ^= 1;
    assert_int_equal(mobid_cose_mac0_verify(&m, mobid_buf_view(&key), v_empty(), v_empty()),
                     MOBID_ERR_MAC_INVALID);
    key.ptr[0] ^= 1;
    assert_int_equal(mobid_cose_mac0_verify(&m, mobid_buf_view(&key), v_str("x"), v_empty()),
                     MOBID_ERR_MAC_INVALID);
    assert_int_equal(mobid_cose_mac0_verify(&m, v_empty(), v_empty(), v_empty()),
                     MOBID_ERR_INVALID_ARG);
    mobid_buf_free(&key);
    mobid_buf_free(&payload);
    mobid_buf_free(&want);
    mobid_buf_free(&mine);
    mobid_buf_free(&tomac);
}

static void test_mac0_tamper_and_forms(void **state)
{
    (void)state;
    static const uint8_t k[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
    mobid_view key = mobid_view_make(k, sizeof k);
    mobid_buf msg;
    mobid_cose_mac0 m;

    for (int form = 0; form < 4; form++) {
        bool tagged = form & 1, detached = form & 2;
        mobid_view det = detached ? v_str("payload") : v_empty();
        mobid_buf_init(&msg, 0);
        assert_int_equal(mobid_cose_mac0_create(key, v_str("payload"), detached, tagged,
                                                v_str("aad"), &msg),
                         MOBID_OK);
        assert_int_equal(mobid_cose_mac0_parse(mobid_buf_view(&msg), &m), MOBID_OK);
        assert_int_equal(m.tagged, tagged);
        assert_int_equal(m.detached, detached);
        assert_int_equal(mobid_cose_mac0_verify(&m, key, v_str("aad"), det), MOBID_OK);
        if (detached)
            assert_int_equal(mobid_cose_mac0_verify(&m, key, v_str("aad"), v_str("payloaD")),
                             MOBID_ERR_MAC_INVALID);
        for (size_t i = 0; i < msg.len; i++) {
            msg.ptr[i] ^= 0x01;
            mobid_err err = mobid_cose_mac0_parse(mobid_buf_view(&msg), &m);
            if (err == MOBID_OK)
                err = mobid_cose_mac0_verify(&m, key, v_str("aad"), det);
            if (err == MOBID_OK)
                fail_msg("flip in byte %zu still verifies", i);
            msg.ptr[i] ^= 0x01;
        }
        mobid_buf_free(&msg);
    }
    /* A COSE_Sign1 tag is not a COSE_Mac0; alg 6 (HMAC 256/64) is not allowed. */
    tu_hex("d28443a10105a0f64100", &msg);
    assert_int_equal(mobid_cose_mac0_parse(mobid_buf_view(&msg), &m), MOBID_ERR_MALFORMED);
    mobid_buf_free(&msg);
    tu_hex("8443a10106a0f64100", &msg);
    assert_int_equal(mobid_cose_mac0_parse(mobid_buf_view(&msg), &m), MOBID_OK);
    assert_int_equal(mobid_cose_mac0_verify(&m, key, v_empty(), v_empty()),
                     MOBID_ERR_ALG_NOT_ALLOWED);
    mobid_buf_free(&msg);
}

/* Encode k as a COSE_Key and decode it back. */
static mobid_key *key_roundtrip(const mobid_key *k, bool priv, mobid_buf *enc_out)
{
    mobid_cbor_enc e;
    mobid_cbor_item item;
    mobid_key *back = NULL;
    mobid_buf_init(enc_out, 0);
    mobid_cbor_enc_init(&e, enc_out);
    assert_int_equal(mobid_cose_key_encode(k, priv, &e), MOBID_OK);
    assert_int_equal(mobid_cbor_enc_finish(&e), MOBID_OK);
    assert_int_equal(mobid_cbor_decode_exact(mobid_buf_view(enc_out), NULL, &item), MOBID_OK);
    assert_int_equal(mobid_cose_key_decode(&item, &back), MOBID_OK);
    return back;
}

static void test_cose_key_roundtrip(void **state)
{
    (void)state;
    static const mobid_curve curves[] = { MOBID_CURVE_P256, MOBID_CURVE_P384, MOBID_CURVE_P521,
                                          MOBID_CURVE_ED25519 };
    for (size_t i = 0; i < sizeof curves / sizeof curves[0]; i++) {
        mobid_key *k = new_key(curves[i]);
        mobid_buf enc;
        mobid_key *pub = key_roundtrip(k, false, &enc);
        assert_true(mobid_key_public_eq(k, pub));
        assert_false(mobid_key_has_private(pub));
        mobid_buf_free(&enc);
        mobid_key *priv = key_roundtrip(k, true, &enc);
        assert_true(mobid_key_has_private(priv));
        /* The decoded private key signs what the original's public key accepts. */
        mobid_buf sig;
        mobid_buf_init(&sig, 0);
        mobid_alg alg = curves[i] == MOBID_CURVE_P256   ? MOBID_ALG_ES256
                      : curves[i] == MOBID_CURVE_P384   ? MOBID_ALG_ES384
                      : curves[i] == MOBID_CURVE_P521   ? MOBID_ALG_ES512
                                                        : MOBID_ALG_EDDSA;
        assert_int_equal(mobid_sign(priv, alg, v_str("m"), &sig), MOBID_OK);
        assert_int_equal(mobid_verify(k, alg, v_str("m"), mobid_buf_view(&sig)), MOBID_OK);
        mobid_buf_free(&sig);
        mobid_buf_free(&enc);
        mobid_key_free(k);
        mobid_key_free(pub);
        mobid_key_free(priv);
    }
}

/* The shape of an EC2 P-256 COSE_Key: {1: 2, -1: 1, -2: x, -3: y}, sorted. */
static void test_cose_key_bytes(void **state)
{
    (void)state;
    mobid_key *k = new_key(MOBID_CURVE_P256);
    mobid_buf enc, x;
    mobid_key *back = key_roundtrip(k, false, &enc);
    mobid_buf_init(&x, 0);
    assert_int_equal(mobid_key_to_coords(k, &x, NULL, NULL), MOBID_OK);
    static const uint8_t head[] = { 0xa4, 0x01, 0x02, 0x20, 0x01, 0x21, 0x58, 0x20 };
    assert_int_equal(enc.len, 8 + 32 + 3 + 32);
    assert_memory_equal(enc.ptr, head, sizeof head);
    assert_memory_equal(enc.ptr + 8, x.ptr, 32);
    assert_int_equal(enc.ptr[40], 0x22);
    mobid_buf_free(&enc);
    mobid_buf_free(&x);
    mobid_key_free(k);
    mobid_key_free(back);
}

static mobid_err decode_hex_key(const char *hex)
{
    mobid_buf b;
    mobid_cbor_item item;
    mobid_key *k = NULL;
    tu_hex(hex, &b);
    assert_int_equal(mobid_cbor_decode_exact(mobid_buf_view(&b), NULL, &item), MOBID_OK);
    mobid_err err = mobid_cose_key_decode(&item, &k);
    if (err == MOBID_OK)
        assert_non_null(k);
    else
        assert_null(k);
    mobid_key_free(k);
    mobid_buf_free(&b);
    return err;
}

/* x and y of the COSE-WG key "11" (a valid P-256 point). */
#define X32 "5820bac5b11cad8f99f9c72b05cf4b9e26d244dc189f745228255a219a86d6a09eff"
#define Y32 "582020138bf82dc1b6d562be0fa54ab7804a3a64b6d72ccfed6b6fb6ed28bbfc117e"
#define Y32_OFF "582020138bf82dc1b6d562be0fa54ab7804a3a64b6d72ccfed6b6fb6ed28bbfc117f"

static void test_cose_key_bad(void **state)
{
    (void)state;
    assert_int_equal(decode_hex_key("a401022001" "21" X32 "22" Y32), MOBID_OK);
    assert_int_equal(decode_hex_key("a401022001" "21" X32 "22" Y32_OFF),
                     MOBID_ERR_POINT_NOT_ON_CURVE);
    /* y missing, y a sign bit (compressed), y of 31 bytes. */
    assert_int_equal(decode_hex_key("a301022001" "21" X32), MOBID_ERR_MALFORMED);
    assert_int_equal(decode_hex_key("a401022001" "21" X32 "22f5"), MOBID_ERR_UNSUPPORTED);
    assert_int_equal(decode_hex_key("a401022001" "21" X32 "22581f" "00112233445566778899aabb"
                                    "ccddeeff00112233445566778899aabbccddee"),
                     MOBID_ERR_MALFORMED);
    /* kty EC2 with the Ed25519 curve; an unknown curve; kty 4 (symmetric). */
    assert_int_equal(decode_hex_key("a401022006" "21" X32 "22" Y32), MOBID_ERR_MALFORMED);
    assert_int_equal(decode_hex_key("a401022007" "21" X32 "22" Y32), MOBID_ERR_UNSUPPORTED);
    assert_int_equal(decode_hex_key("a201042001"), MOBID_ERR_UNSUPPORTED);
    /* kty missing; kty given twice; OKP with a y. */
    assert_int_equal(decode_hex_key("a32001" "21" X32 "22" Y32), MOBID_ERR_MALFORMED);
    assert_int_equal(decode_hex_key("a5010201022001" "21" X32 "22" Y32), MOBID_ERR_MALFORMED);
    assert_int_equal(decode_hex_key("a401012006" "21" X32 "22" Y32), MOBID_ERR_MALFORMED);
    /* Not a map at all. */
    assert_int_equal(decode_hex_key("80"), MOBID_ERR_MALFORMED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mac0_cose_wg),       cmocka_unit_test(test_mac0_tamper_and_forms),
        cmocka_unit_test(test_cose_key_roundtrip), cmocka_unit_test(test_cose_key_bytes),
        cmocka_unit_test(test_cose_key_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
