/* lib/crypto keys and signatures: ECDSA round trips on P-256/384/521, raw<->DER,
 * ECDH both ways, coordinate and SEC1 import/export, PEM/DER round trips of
 * SPKI, PKCS#8 and SEC1 "EC PRIVATE KEY", reference counting. */
#include "testutil.h"

#include <mobid/crypto.h>

#include <string.h>

static const mobid_view none = { NULL, 0 };

static void sign_verify_on(mobid_curve c, mobid_alg alg)
{
    mobid_key *k = NULL, *pub = NULL;
    mobid_buf sig, x, y;
    mobid_buf_init(&sig, 0);
    mobid_buf_init(&x, 0);
    mobid_buf_init(&y, 0);
    assert_int_equal(mobid_key_generate(c, &k), MOBID_OK);
    assert_true(mobid_key_has_private(k));
    assert_int_equal(mobid_key_curve(k), c);
    mobid_view msg = mobid_view_str("mobile identity card");
    assert_int_equal(mobid_sign(k, alg, msg, &sig), MOBID_OK);
    assert_int_equal(sig.len, mobid_alg_sig_size(alg));
    /* Verify through a public key rebuilt from the exported coordinates. */
    assert_int_equal(mobid_key_to_coords(k, &x, &y, NULL), MOBID_OK);
    assert_int_equal(x.len, mobid_curve_size(c));
    assert_int_equal(mobid_key_from_coords(c, mobid_buf_view(&x), mobid_buf_view(&y), none, &pub),
                     MOBID_OK);
    assert_false(mobid_key_has_private(pub));
    assert_true(mobid_key_public_eq(k, pub));
    assert_int_equal(mobid_verify(pub, alg, msg, mobid_buf_view(&sig)), MOBID_OK);
    /* Tampered message and tampered signature. */
    assert_int_equal(mobid_verify(pub, alg, mobid_view_str("mobile identity card!"),
                                  mobid_buf_view(&sig)), MOBID_ERR_SIGNATURE_INVALID);
    sig.ptr[sig.len / 2 + 3] ^= 0x01;
    assert_int_equal(mobid_verify(pub, alg, msg, mobid_buf_view(&sig)),
                     MOBID_ERR_SIGNATURE_INVALID);
    /* The public key cannot sign; another curve's algorithm does not fit. */
    mobid_buf other;
    mobid_buf_init(&other, 0);
    assert_int_equal(mobid_sign(pub, alg, msg, &other), MOBID_ERR_KEY_INVALID);
    mobid_alg wrong = alg == MOBID_ALG_ES256 ? MOBID_ALG_ES384 : MOBID_ALG_ES256;
    assert_int_equal(mobid_verify(pub, wrong, msg, mobid_buf_view(&sig)), MOBID_ERR_KEY_INVALID);
    mobid_key_free(k);
    mobid_key_free(pub);
    mobid_buf_free(&sig);
    mobid_buf_free(&x);
    mobid_buf_free(&y);
    mobid_buf_free(&other);
}

static void test_ecdsa_round_trips(void **state)
{
    (void)state;
    sign_verify_on(MOBID_CURVE_P256, MOBID_ALG_ES256);
    sign_verify_on(MOBID_CURVE_P384, MOBID_ALG_ES384);
    sign_verify_on(MOBID_CURVE_P521, MOBID_ALG_ES512);
}

static void test_verify_digest(void **state)
{
    (void)state;
    mobid_key *k = NULL;
    mobid_buf sig;
    mobid_buf_init(&sig, 0);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &k), MOBID_OK);
    mobid_view msg = mobid_view_str("digest first");
    uint8_t dg[MOBID_HASH_MAX];
    assert_int_equal(mobid_hash(MOBID_HASH_SHA256, msg, dg), MOBID_OK);
    assert_int_equal(mobid_sign(k, MOBID_ALG_ES256, msg, &sig), MOBID_OK);
    assert_int_equal(mobid_verify_digest(k, MOBID_ALG_ES256, mobid_view_make(dg, 32),
                                         mobid_buf_view(&sig)), MOBID_OK);
    assert_int_equal(mobid_verify_digest(k, MOBID_ALG_ES256, mobid_view_make(dg, 31),
                                         mobid_buf_view(&sig)), MOBID_ERR_INVALID_ARG);
    dg[0] ^= 1;
    assert_int_equal(mobid_verify_digest(k, MOBID_ALG_ES256, mobid_view_make(dg, 32),
                                         mobid_buf_view(&sig)), MOBID_ERR_SIGNATURE_INVALID);
    mobid_key_free(k);
    mobid_buf_free(&sig);
}

static void test_der_raw(void **state)
{
    (void)state;
    /* r has its top bit set (DER needs a leading zero), s has leading zero bytes. */
    mobid_buf raw, der, back, want;
    tu_hex("8000000000000000000000000000000000000000000000000000000000000001"
           "0000000000000000000000000000000000000000000000000000000000000102", &raw);
    tu_hex("3027022100800000000000000000000000000000000000000000000000000000000000000102020102",
           &want);
    mobid_buf_init(&der, 0);
    mobid_buf_init(&back, 0);
    assert_int_equal(mobid_ecdsa_raw_to_der(mobid_buf_view(&raw), &der), MOBID_OK);
    assert_int_equal(der.len, want.len);
    assert_memory_equal(der.ptr, want.ptr, want.len);
    assert_int_equal(mobid_ecdsa_der_to_raw(mobid_buf_view(&der), 32, &back), MOBID_OK);
    assert_int_equal(back.len, 64);
    assert_memory_equal(back.ptr, raw.ptr, 64);
    /* r does not fit in 16 bytes; trailing garbage; non-minimal integer. */
    back.len = 0;
    assert_int_equal(mobid_ecdsa_der_to_raw(mobid_buf_view(&der), 16, &back), MOBID_ERR_MALFORMED);
    mobid_buf_append_byte(&der, 0);
    assert_int_equal(mobid_ecdsa_der_to_raw(mobid_buf_view(&der), 32, &back), MOBID_ERR_MALFORMED);
    mobid_buf lax;
    tu_hex("300802020001020200ff", &lax);
    assert_int_equal(mobid_ecdsa_der_to_raw(mobid_buf_view(&lax), 32, &back), MOBID_ERR_MALFORMED);
    assert_int_equal(back.len, 0);
    mobid_buf *all[] = { &raw, &der, &back, &want, &lax };
    for (size_t i = 0; i < 5; i++)
        mobid_buf_free(all[i]);
}

static void ecdh_on(mobid_curve c)
{
    mobid_key *a = NULL, *b = NULL, *a_pub = NULL, *b_pub = NULL;
    mobid_buf ab, ba, pt;
    mobid_buf_init(&ab, 0);
    mobid_buf_init(&ba, 0);
    mobid_buf_init(&pt, 0);
    assert_int_equal(mobid_key_generate(c, &a), MOBID_OK);
    assert_int_equal(mobid_key_generate(c, &b), MOBID_OK);
    /* Peers see each other's public halves only. */
    mobid_buf x, y;
    mobid_buf_init(&x, 0);
    mobid_buf_init(&y, 0);
    assert_int_equal(mobid_key_to_coords(a, &x, &y, NULL), MOBID_OK);
    assert_int_equal(mobid_key_from_coords(c, mobid_buf_view(&x), mobid_buf_view(&y), none, &a_pub),
                     MOBID_OK);
    x.len = y.len = 0;
    assert_int_equal(mobid_key_to_coords(b, &x, &y, NULL), MOBID_OK);
    assert_int_equal(mobid_key_from_coords(c, mobid_buf_view(&x), mobid_buf_view(&y), none, &b_pub),
                     MOBID_OK);
    assert_int_equal(mobid_ecdh(a, b_pub, &ab), MOBID_OK);
    assert_int_equal(mobid_ecdh(b, a_pub, &ba), MOBID_OK);
    assert_int_equal(ab.len, mobid_curve_size(c));
    assert_int_equal(ab.len, ba.len);
    assert_memory_equal(ab.ptr, ba.ptr, ab.len);
    /* A public key cannot agree. */
    assert_int_equal(mobid_ecdh(a_pub, b_pub, &pt), MOBID_ERR_KEY_INVALID);
    mobid_key *all_k[] = { a, b, a_pub, b_pub };
    for (size_t i = 0; i < 4; i++)
        mobid_key_free(all_k[i]);
    mobid_buf *all[] = { &ab, &ba, &pt, &x, &y };
    for (size_t i = 0; i < 5; i++)
        mobid_buf_free(all[i]);
}

static void test_ecdh(void **state)
{
    (void)state;
    ecdh_on(MOBID_CURVE_P256);
    ecdh_on(MOBID_CURVE_P384);
    ecdh_on(MOBID_CURVE_P521);
    ecdh_on(MOBID_CURVE_X25519);
    /* Curves must match. */
    mobid_key *p256 = NULL, *p384 = NULL;
    mobid_buf out;
    mobid_buf_init(&out, 0);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &p256), MOBID_OK);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P384, &p384), MOBID_OK);
    assert_int_equal(mobid_ecdh(p256, p384, &out), MOBID_ERR_KEY_INVALID);
    mobid_key_free(p256);
    mobid_key_free(p384);
    mobid_buf_free(&out);
}

/* ECDH against fixed keys: the Annex D style P-256 vector from RFC 5903 §8.1. */
static void test_ecdh_rfc5903(void **state)
{
    (void)state;
    mobid_buf i_d, i_x, i_y, r_x, r_y, want, out;
    tu_hex("C88F01F510D9AC3F70A292DAA2316DE544E9AAB8AFE84049C62A9C57862D1433", &i_d);
    tu_hex("DAD0B65394221CF9B051E1FECA5787D098DFE637FC90B9EF945D0C3772581180", &i_x);
    tu_hex("5271A0461CDB8252D61F1C456FA3E59AB1F45B33ACCF5F58389E0577B8990BB3", &i_y);
    tu_hex("D12DFB5289C8D4F81208B70270398C342296970A0BCCB74C736FC7554494BF63", &r_x);
    tu_hex("56FBF3CA366CC23E8157854C13C58D6AAC23F046ADA30F8353E74F33039872AB", &r_y);
    tu_hex("D6840F6B42F6EDAFD13116E0E12565202FEF8E9ECE7DCE03812464D04B9442DE", &want);
    mobid_key *priv = NULL, *peer = NULL;
    assert_int_equal(mobid_key_from_coords(MOBID_CURVE_P256, mobid_buf_view(&i_x),
                                           mobid_buf_view(&i_y), mobid_buf_view(&i_d), &priv),
                     MOBID_OK);
    assert_int_equal(mobid_key_from_coords(MOBID_CURVE_P256, mobid_buf_view(&r_x),
                                           mobid_buf_view(&r_y), none, &peer), MOBID_OK);
    mobid_buf_init(&out, 0);
    assert_int_equal(mobid_ecdh(priv, peer, &out), MOBID_OK);
    assert_int_equal(out.len, 32);
    assert_memory_equal(out.ptr, want.ptr, 32);
    /* d that does not match the point is refused. */
    mobid_key *bad = NULL;
    i_d.ptr[31] ^= 1;
    assert_int_equal(mobid_key_from_coords(MOBID_CURVE_P256, mobid_buf_view(&i_x),
                                           mobid_buf_view(&i_y), mobid_buf_view(&i_d), &bad),
                     MOBID_ERR_KEY_INVALID);
    mobid_key_free(priv);
    mobid_key_free(peer);
    mobid_buf *all[] = { &i_d, &i_x, &i_y, &r_x, &r_y, &want, &out };
    for (size_t i = 0; i < 7; i++)
        mobid_buf_free(all[i]);
}

static void test_sec1_point(void **state)
{
    (void)state;
    mobid_key *k = NULL, *pub = NULL;
    mobid_buf pt;
    mobid_buf_init(&pt, 0);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P384, &k), MOBID_OK);
    mobid_buf_append_byte(&pt, 0x04);
    assert_int_equal(mobid_key_to_coords(k, &pt, &pt, NULL), MOBID_OK);
    assert_int_equal(pt.len, 97);
    assert_int_equal(mobid_key_from_sec1_point(MOBID_CURVE_P384, mobid_buf_view(&pt), &pub),
                     MOBID_OK);
    assert_true(mobid_key_public_eq(k, pub));
    mobid_key_free(pub);
    pub = NULL;
    pt.ptr[0] = 0x02; /* compressed form is not accepted here */
    assert_int_equal(mobid_key_from_sec1_point(MOBID_CURVE_P384, mobid_buf_view(&pt), &pub),
                     MOBID_ERR_KEY_INVALID);
    assert_null(pub);
    mobid_key_free(k);
    mobid_buf_free(&pt);
}

/* The coordinates a key remembers from its generation or import are the point's: the
 * same as those computed from a copy read back from PEM, which remembers none. */
static void test_coords_kept(void **state)
{
    (void)state;
    const mobid_curve curves[] = { MOBID_CURVE_P256, MOBID_CURVE_P384, MOBID_CURVE_P521 };
    for (size_t i = 0; i < 3; i++) {
        mobid_key *k = NULL, *back = NULL, *imp = NULL;
        mobid_buf x, y, d, pem, x2, y2, d2;
        mobid_buf *all[] = { &x, &y, &d, &pem, &x2, &y2, &d2 };
        for (size_t j = 0; j < 7; j++)
            mobid_buf_init(all[j], 0);
        assert_int_equal(mobid_key_generate(curves[i], &k), MOBID_OK);
        assert_int_equal(mobid_key_to_coords(k, &x, &y, &d), MOBID_OK);
        assert_int_equal(x.len, mobid_curve_size(curves[i]));
        assert_int_equal(mobid_key_to_pem(k, true, &pem), MOBID_OK);
        assert_int_equal(mobid_key_from_pem(mobid_buf_view(&pem), &back), MOBID_OK);
        assert_int_equal(mobid_key_to_coords(back, &x2, &y2, &d2), MOBID_OK);
        assert_memory_equal(x.ptr, x2.ptr, x.len);
        assert_memory_equal(y.ptr, y2.ptr, y.len);
        assert_memory_equal(d.ptr, d2.ptr, d.len);
        x2.len = y2.len = 0;
        assert_int_equal(mobid_key_from_coords(curves[i], mobid_buf_view(&x), mobid_buf_view(&y),
                                               mobid_view_make(NULL, 0), &imp),
                         MOBID_OK);
        assert_int_equal(mobid_key_to_coords(imp, &x2, &y2, NULL), MOBID_OK);
        assert_memory_equal(x.ptr, x2.ptr, x.len);
        assert_memory_equal(y.ptr, y2.ptr, y.len);
        assert_true(mobid_key_public_eq(imp, back));
        mobid_key_free(k);
        mobid_key_free(back);
        mobid_key_free(imp);
        for (size_t j = 0; j < 7; j++)
            mobid_buf_free(all[j]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ecdsa_round_trips), cmocka_unit_test(test_verify_digest),
        cmocka_unit_test(test_der_raw),           cmocka_unit_test(test_ecdh),
        cmocka_unit_test(test_ecdh_rfc5903),      cmocka_unit_test(test_sec1_point),
        cmocka_unit_test(test_coords_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
