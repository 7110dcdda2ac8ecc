/* lib/crypto primitives against published vectors: FIPS 180 SHA-2 ("abc"),
 * RFC 4231 HMAC, RFC 5869 HKDF (test cases 1-3), the GCM specification's AES-GCM test cases,
 * RFC 8032 Ed25519 test 1, and the CSPRNG's basic contract. */
#include "testutil.h"

#include <mobid/crypto.h>

#include <string.h>

/* Compare bytes to a hex literal. */
static void assert_hex(const uint8_t *got, size_t len, const char *hex)
{
    mobid_buf want;
    tu_hex(hex, &want);
    assert_int_equal(len, want.len);
    assert_memory_equal(got, want.ptr, len);
    mobid_buf_free(&want);
}

static void test_sha2_abc(void **state)
{
    (void)state;
    uint8_t out[MOBID_HASH_MAX];
    mobid_view abc = mobid_view_str("abc");
    assert_int_equal(mobid_hash(MOBID_HASH_SHA256, abc, out), MOBID_OK);
    assert_hex(out, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(mobid_hash(MOBID_HASH_SHA384, abc, out), MOBID_OK);
    assert_hex(out, 48, "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
                        "8086072ba1e7cc2358baeca134c825a7");
    assert_int_equal(mobid_hash(MOBID_HASH_SHA512, abc, out), MOBID_OK);
    assert_hex(out, 64, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
    assert_int_equal(mobid_hash((mobid_hash_alg)9, abc, out), MOBID_ERR_INVALID_ARG);
}

static void test_sha256_parts(void **state)
{
    (void)state;
    /* FIPS 180-2 two-block message, fed in uneven pieces. */
    const char *msg = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    mobid_view parts[4] = { mobid_view_make(msg, 5), mobid_view_make(msg + 5, 0),
                            mobid_view_make(msg + 5, 40), mobid_view_str(msg + 45) };
    uint8_t out[MOBID_HASH_MAX];
    assert_int_equal(mobid_hash_parts(MOBID_HASH_SHA256, parts, 4, out), MOBID_OK);
    assert_hex(out, 32, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* The empty message. */
    assert_int_equal(mobid_hash_parts(MOBID_HASH_SHA256, NULL, 0, out), MOBID_OK);
    assert_hex(out, 32, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_hmac_rfc4231(void **state)
{
    (void)state;
    uint8_t key[20], out[MOBID_HASH_MAX];
    memset(key, 0x0b, sizeof key);
    mobid_view data = mobid_view_str("Hi There");
    mobid_view k = mobid_view_make(key, sizeof key);
    assert_int_equal(mobid_hmac(MOBID_HASH_SHA256, k, &data, 1, out), MOBID_OK);
    assert_hex(out, 32, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    assert_int_equal(mobid_hmac(MOBID_HASH_SHA384, k, &data, 1, out), MOBID_OK);
    assert_hex(out, 48, "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
                        "faea9ea9076ede7f4af152e8b2fa9cb6");
    assert_int_equal(mobid_hmac(MOBID_HASH_SHA512, k, &data, 1, out), MOBID_OK);
    assert_hex(out, 64, "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
                        "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854");
    /* Test case 2, the message split in two parts. */
    mobid_view parts[2] = { mobid_view_str("what do ya "), mobid_view_str("want for nothing?") };
    assert_int_equal(mobid_hmac(MOBID_HASH_SHA256, mobid_view_str("Jefe"), parts, 2, out),
                     MOBID_OK);
    assert_hex(out, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static void test_hkdf_rfc5869(void **state)
{
    (void)state;
    mobid_buf ikm, salt, info;
    tu_hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", &ikm);
    tu_hex("000102030405060708090a0b0c", &salt);
    tu_hex("f0f1f2f3f4f5f6f7f8f9", &info);
    uint8_t okm[42];
    assert_int_equal(mobid_hkdf(MOBID_HASH_SHA256, mobid_buf_view(&salt), mobid_buf_view(&ikm),
                                mobid_buf_view(&info), okm, sizeof okm),
                     MOBID_OK);
    assert_hex(okm, 42, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
                        "34007208d5b887185865");
    /* Test case 2: 80-byte inputs, three output blocks. */
    uint8_t ikm2[80], salt2[80], info2[80], okm2[82];
    for (int i = 0; i < 80; i++) {
        ikm2[i] = (uint8_t)i;
        salt2[i] = (uint8_t)(0x60 + i);
        info2[i] = (uint8_t)(0xb0 + i);
    }
    assert_int_equal(mobid_hkdf(MOBID_HASH_SHA256, mobid_view_make(salt2, 80),
                                mobid_view_make(ikm2, 80), mobid_view_make(info2, 80), okm2,
                                sizeof okm2), MOBID_OK);
    assert_hex(okm2, 82, "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
                         "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
                         "cc30c58179ec3e87c14c01d5c1f3434f1d87");
    /* Test case 3: empty salt and info. */
    assert_int_equal(mobid_hkdf(MOBID_HASH_SHA256, mobid_view_make(NULL, 0), mobid_buf_view(&ikm),
                                mobid_view_make(NULL, 0), okm, sizeof okm),
                     MOBID_OK);
    assert_hex(okm, 42, "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
                        "9d201395faa4b61a96c8");
    /* An empty IKM is legal HKDF input (HMAC over an empty key): the output
     * equals HMAC(HMAC(salt, ""), info || 0x01) for a one-block length. */
    uint8_t prk[MOBID_HASH_MAX], t1[MOBID_HASH_MAX];
    mobid_view empty = mobid_view_make(NULL, 0);
    mobid_view expand[2] = { mobid_buf_view(&info), mobid_view_make("\x01", 1) };
    assert_int_equal(mobid_hmac(MOBID_HASH_SHA256, mobid_buf_view(&salt), &empty, 1, prk), MOBID_OK);
    assert_int_equal(mobid_hmac(MOBID_HASH_SHA256, mobid_view_make(prk, 32), expand, 2, t1),
                     MOBID_OK);
    assert_int_equal(mobid_hkdf(MOBID_HASH_SHA256, mobid_buf_view(&salt), empty,
                                mobid_buf_view(&info), okm, 32), MOBID_OK);
    assert_memory_equal(okm, t1, 32);
    /* Longer than 255 hash lengths is refused. */
    uint8_t big[1];
    assert_int_equal(mobid_hkdf(MOBID_HASH_SHA256, mobid_buf_view(&salt), mobid_buf_view(&ikm),
                                mobid_buf_view(&info), big, 255 * 32 + 1),
                     MOBID_ERR_INVALID_ARG);
    mobid_buf_free(&ikm);
    mobid_buf_free(&salt);
    mobid_buf_free(&info);
}

typedef struct gcm_case {
    const char *key, *iv, *aad, *pt, *ct, *tag;
} gcm_case;

/* McGrew & Viega, "The Galois/Counter Mode of Operation", test cases 3, 4 and 16. */
static const gcm_case gcm_cases[] = {
    { "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888", "",
      "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
      "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
      "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
      "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
      "4d5c2af327cd64a62cf35abd2ba6fab4" },
    { "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
      "feedfacedeadbeeffeedfacedeadbeefabaddad2",
      "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
      "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
      "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
      "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
      "5bc94fbc3221a5db94fae95ae7121a47" },
    { "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
      "cafebabefacedbaddecaf888", "feedfacedeadbeeffeedfacedeadbeefabaddad2",
      "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
      "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
      "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
      "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
      "76fc6ece0f4e1768cddf8853bb2d551b" },
};

static void gcm_check(const gcm_case *c)
{
    mobid_buf key, iv, aad, pt, ct, out, back;
    tu_hex(c->key, &key);
    tu_hex(c->iv, &iv);
    tu_hex(c->aad, &aad);
    tu_hex(c->pt, &pt);
    tu_hex(c->ct, &ct);
    mobid_buf_init(&out, 0);
    mobid_buf_init(&back, 0);
    uint8_t tag[16];
    assert_int_equal(mobid_aes_gcm_encrypt(mobid_buf_view(&key), mobid_buf_view(&iv),
                                           mobid_buf_view(&aad), mobid_buf_view(&pt), &out, tag),
                     MOBID_OK);
    assert_int_equal(out.len, ct.len);
    assert_memory_equal(out.ptr, ct.ptr, ct.len);
    assert_hex(tag, 16, c->tag);
    assert_int_equal(mobid_aes_gcm_decrypt(mobid_buf_view(&key), mobid_buf_view(&iv),
                                           mobid_buf_view(&aad), mobid_buf_view(&ct),
                                           mobid_view_make(tag, 16), &back),
                     MOBID_OK);
    assert_int_equal(back.len, pt.len);
    assert_memory_equal(back.ptr, pt.ptr, pt.len);
    /* A flipped tag bit: nothing is appended. */
    back.len = 0;
    tag[15] ^= 1;
    assert_int_equal(mobid_aes_gcm_decrypt(mobid_buf_view(&key), mobid_buf_view(&iv),
                                           mobid_buf_view(&aad), mobid_buf_view(&ct),
                                           mobid_view_make(tag, 16), &back),
                     MOBID_ERR_DECRYPT_FAILED);
    assert_int_equal(back.len, 0);
    mobid_buf *all[] = { &key, &iv, &aad, &pt, &ct, &out, &back };
    for (size_t i = 0; i < 7; i++)
        mobid_buf_free(all[i]);
}

static void test_aes_gcm(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof gcm_cases / sizeof *gcm_cases; i++)
        gcm_check(&gcm_cases[i]);
    /* Wrong key and IV sizes are argument errors. */
    uint8_t k[24] = { 0 }, iv[12] = { 0 }, tag[16];
    mobid_buf ct;
    mobid_buf_init(&ct, 0);
    assert_int_equal(mobid_aes_gcm_encrypt(mobid_view_make(k, 24), mobid_view_make(iv, 12),
                                           mobid_view_make(NULL, 0), mobid_view_str("x"), &ct, tag),
                     MOBID_ERR_INVALID_ARG);
    assert_int_equal(mobid_aes_gcm_encrypt(mobid_view_make(k, 16), mobid_view_make(iv, 8),
                                           mobid_view_make(NULL, 0), mobid_view_str("x"), &ct, tag),
                     MOBID_ERR_INVALID_ARG);
    mobid_buf_free(&ct);
}

static void test_ed25519_rfc8032(void **state)
{
    (void)state;
    mobid_buf d, x, sig, want;
    tu_hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", &d);
    tu_hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", &x);
    tu_hex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
           "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b", &want);
    mobid_key *priv = NULL, *pub = NULL;
    mobid_view none = mobid_view_make(NULL, 0);
    assert_int_equal(mobid_key_from_coords(MOBID_CURVE_ED25519, mobid_buf_view(&x), none,
                                           mobid_buf_view(&d), &priv), MOBID_OK);
    assert_int_equal(mobid_key_from_coords(MOBID_CURVE_ED25519, mobid_buf_view(&x), none, none,
                                           &pub), MOBID_OK);
    mobid_buf_init(&sig, 0);
    assert_int_equal(mobid_sign(priv, MOBID_ALG_EDDSA, none, &sig), MOBID_OK);
    assert_int_equal(sig.len, want.len);
    assert_memory_equal(sig.ptr, want.ptr, want.len);
    assert_int_equal(mobid_verify(pub, MOBID_ALG_EDDSA, none, mobid_buf_view(&sig)), MOBID_OK);
    sig.ptr[10] ^= 0x40;
    assert_int_equal(mobid_verify(pub, MOBID_ALG_EDDSA, none, mobid_buf_view(&sig)),
                     MOBID_ERR_SIGNATURE_INVALID);
    assert_int_equal(mobid_verify(pub, MOBID_ALG_EDDSA, mobid_view_str("x"), mobid_buf_view(&want)),
                     MOBID_ERR_SIGNATURE_INVALID);
    /* A private key whose public half differs from the given x is refused. */
    x.ptr[0] ^= 1;
    mobid_key *bad = NULL;
    assert_int_equal(mobid_key_from_coords(MOBID_CURVE_ED25519, mobid_buf_view(&x), none,
                                           mobid_buf_view(&d), &bad), MOBID_ERR_KEY_INVALID);
    assert_null(bad);
    mobid_key_free(priv);
    mobid_key_free(pub);
    mobid_buf *all[] = { &d, &x, &sig, &want };
    for (size_t i = 0; i < 4; i++)
        mobid_buf_free(all[i]);
}

static void test_random(void **state)
{
    (void)state;
    uint8_t a[32] = { 0 }, b[32] = { 0 }, zero[32] = { 0 };
    assert_int_equal(mobid_random(a, sizeof a), MOBID_OK);
    assert_int_equal(mobid_random(b, sizeof b), MOBID_OK);
    assert_memory_not_equal(a, b, sizeof a);
    assert_memory_not_equal(a, zero, sizeof a);
    assert_int_equal(mobid_random(NULL, 0), MOBID_OK);
}

static void test_sizes(void **state)
{
    (void)state;
    assert_int_equal(mobid_curve_size(MOBID_CURVE_P521), 66);
    assert_int_equal(mobid_alg_sig_size(MOBID_ALG_ES512), 132);
    assert_int_equal(mobid_alg_sig_size(MOBID_ALG_NONE), 0);
    assert_int_equal(mobid_alg_curve(MOBID_ALG_ES384), MOBID_CURVE_P384);
    assert_int_equal(mobid_hash_size(MOBID_HASH_SHA384), 48);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha2_abc),       cmocka_unit_test(test_sha256_parts),
        cmocka_unit_test(test_hmac_rfc4231),   cmocka_unit_test(test_hkdf_rfc5869),
        cmocka_unit_test(test_aes_gcm),        cmocka_unit_test(test_ed25519_rfc8032),
        cmocka_unit_test(test_random),         cmocka_unit_test(test_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
