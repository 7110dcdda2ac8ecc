/* COSE_Sign1: COSE-WG examples, round trips for every algorithm, detached and
 * untagged forms, tampering, crit handling, the alg allow-list and x5chain. */
#include "cose_helpers.h"

/* Key and messages of github.com/cose-wg/Examples sign1-tests (sign-pass-02,
 * sign-pass-03, sign-fail-02, sign-pass-01), P-256 key "11". */
#define WG_X "bac5b11cad8f99f9c72b05cf4b9e26d244dc189f745228255a219a86d6a09eff"
#define WG_Y "20138bf82dc1b6d562be0fa54ab7804a3a64b6d72ccfed6b6fb6ed28bbfc117e"
#define WG_PAYLOAD "546869732069732074686520636f6e74656e742e"
#define WG_PASS02                                                                      \
    "d28443a10126a10442313154" WG_PAYLOAD                                            \
    "5840eae868ecc176883766c5dc5ba5b8dca25dab3c2e56a551ce5705b793914348e155388b10c4f1" \
    "b59a6733eab416870a945111a4b2fbdbef33a77234b1deff2f9b"
#define WG_PASS02_AAD "11aa22bb33cc44dd55006699"
#define WG_PASS02_TBS "846a5369676e61747572653143a101264c" WG_PASS02_AAD "54" WG_PAYLOAD
#define WG_PASS03_SIG                                                                  \
    "eae868ecc176883766c5dc5ba5b8dca25dab3c2e56a551ce5705b793914348e19f43d6c6ba654472" \
    "da301b645b293c9ba939295b97c4bdb847782bff384c5794"
#define WG_PASS03 "8443a10126a10442313154" WG_PAYLOAD "5840" WG_PASS03_SIG
/* sign-fail-02: the last payload byte changed from '.' to '/'. */
#define WG_FAIL02 \
    "d28443a10126a1044231315454686973206973207468652063" "6f6e74656e742f5840" WG_PASS03_SIG
#define WG_PASS01                                                                      \
    "d28441a0a201260442313154" WG_PAYLOAD                                            \
    "5840eae868ecc176883766c5dc5ba5b8dca25dab3c2e56a551ce5705b793914348e11a02e5f0344b" \
    "f2d4ee5c7fd75a68a9f5e0b3cc1f1fc1409c189566586ff9d610"

/* sign-fail-01 (tag 998), -03 (alg -999), -04 (alg "unknown"), -06 (a protected
 * content type added) and -07 (one removed). */
#define WG_REST "a10442313154" WG_PAYLOAD "5840" WG_PASS03_SIG
#define WG_FAIL01 "d903e68443a10126" WG_REST
#define WG_FAIL03 "d28445a1013903e6" WG_REST
#define WG_FAIL04 "d2844aa10167756e6b6e6f776e" WG_REST
#define WG_FAIL06 "d28445a201260300" WG_REST
#define WG_FAIL07                                                                      \
    "d28443a10126a10442313154" WG_PAYLOAD                                            \
    "5840eae868ecc176883766c5dc5ba5b8dca25dab3c2e56a551ce5705b793914348e172727f48461f" \
    "abbba2e343492ddecac3983686250bc68e9f1a7a07d41225b59f"

static mobid_key *wg_key(void)
{
    mobid_buf x, y;
    mobid_key *k = NULL;
    tu_hex(WG_X, &x);
    tu_hex(WG_Y, &y);
    assert_int_equal(mobid_key_from_coords(MOBID_CURVE_P256, mobid_buf_view(&x),
                                           mobid_buf_view(&y), v_empty(), &k),
                     MOBID_OK);
    mobid_buf_free(&x);
    mobid_buf_free(&y);
    return k;
}

/* Parse hex and verify with the WG key; returns the verify (or parse) result. */
static mobid_err wg_check(const char *hex, const char *aad_hex)
{
    mobid_buf msg, aad;
    mobid_cose_sign1 s;
    mobid_key *k = wg_key();
    tu_hex(hex, &msg);
    tu_hex(aad_hex, &aad);
    mobid_err err = mobid_cose_sign1_parse(mobid_buf_view(&msg), &s);
    if (err == MOBID_OK)
        err = mobid_cose_sign1_verify(&s, k, mobid_buf_view(&aad), v_empty(), only_es256);
    mobid_buf_free(&msg);
    mobid_buf_free(&aad);
    mobid_key_free(k);
    return err;
}

static void test_cose_wg_examples(void **state)
{
    (void)state;
    assert_int_equal(wg_check(WG_PASS02, WG_PASS02_AAD), MOBID_OK);
    assert_int_equal(wg_check(WG_PASS02, ""), MOBID_ERR_SIGNATURE_INVALID);
    assert_int_equal(wg_check(WG_PASS03, ""), MOBID_OK);
    assert_int_equal(wg_check(WG_FAIL02, ""), MOBID_ERR_SIGNATURE_INVALID);
    assert_int_equal(wg_check(WG_FAIL01, ""), MOBID_ERR_MALFORMED);
    assert_int_equal(wg_check(WG_FAIL03, ""), MOBID_ERR_ALG_NOT_ALLOWED);
    assert_int_equal(wg_check(WG_FAIL04, ""), MOBID_ERR_ALG_NOT_ALLOWED);
    assert_int_equal(wg_check(WG_FAIL06, ""), MOBID_ERR_SIGNATURE_INVALID);
    assert_int_equal(wg_check(WG_FAIL07, ""), MOBID_ERR_SIGNATURE_INVALID);
    /* pass-01 carries alg in the unprotected bucket only: this library insists
     * that alg be protected. */
    assert_int_equal(wg_check(WG_PASS01, ""), MOBID_ERR_MALFORMED);

    /* The ToBeSigned bytes of pass-02, byte for byte. */
    mobid_buf msg, aad, tbs, want;
    mobid_cose_sign1 s;
    tu_hex(WG_PASS02, &msg);
    tu_hex(WG_PASS02_AAD, &aad);
    tu_hex(WG_PASS02_TBS, &want);
    mobid_buf_init(&tbs, 0);
    assert_int_equal(mobid_cose_sign1_parse(mobid_buf_view(&msg), &s), MOBID_OK);
    assert_true(s.tagged);
    assert_int_equal(s.alg, MOBID_ALG_ES256);
    assert_true(mobid_view_eq_str(s.kid, "11"));
    assert_int_equal(mobid_cose_sig_structure(s.protected_bytes, mobid_buf_view(&aad), s.payload,
                                              &tbs),
                     MOBID_OK);
    assert_true(mobid_view_eq(mobid_buf_view(&tbs), mobid_buf_view(&want)));
    mobid_buf_free(&msg);
    mobid_buf_free(&aad);
    mobid_buf_free(&tbs);
    mobid_buf_free(&want);
}

static void roundtrip_one(mobid_curve c, mobid_alg alg, bool tagged, bool detached)
{
    mobid_key *k = new_key(c), *other = new_key(c);
    const mobid_alg allow[] = { alg, MOBID_ALG_NONE };
    mobid_cose_sign1_params p = { .alg = alg, .tagged = tagged, .detached = detached,
                                  .kid = v_str("key-1"), .external_aad = v_str("aad") };
    mobid_view payload = v_str("The payload of a round trip.");
    mobid_buf msg;
    mobid_cose_sign1 s;

    sign_into(k, &p, payload, &msg);
    assert_int_equal(mobid_cose_sign1_parse(mobid_buf_view(&msg), &s), MOBID_OK);
    assert_int_equal(s.tagged, tagged);
    assert_int_equal(s.detached, detached);
    assert_int_equal(s.alg, alg);
    assert_int_equal(s.alg_id, mobid_cose_alg_id(alg));
    assert_true(mobid_view_eq_str(s.kid, "key-1"));
    assert_int_equal(s.signature.len, mobid_alg_sig_size(alg));
    assert_true(detached ? s.payload.len == 0 : mobid_view_eq(s.payload, payload));
    assert_int_equal(s.span.len, msg.len);

    mobid_view det = detached ? payload : v_empty();
    assert_int_equal(mobid_cose_sign1_verify(&s, k, v_str("aad"), det, allow), MOBID_OK);
    assert_int_equal(mobid_cose_sign1_verify(&s, other, v_str("aad"), det, allow),
                     MOBID_ERR_SIGNATURE_INVALID);
    assert_int_equal(mobid_cose_sign1_verify(&s, k, v_str("aaD"), det, allow),
                     MOBID_ERR_SIGNATURE_INVALID);
    if (detached)
        assert_int_equal(mobid_cose_sign1_verify(&s, k, v_str("aad"), v_str("other"), allow),
                         MOBID_ERR_SIGNATURE_INVALID);
    mobid_buf_free(&msg);
    mobid_key_free(k);
    mobid_key_free(other);
}

static void test_roundtrip_all_algs(void **state)
{
    (void)state;
    static const struct {
        mobid_curve c;
        mobid_alg a;
    } cases[] = {
        { MOBID_CURVE_P256, MOBID_ALG_ES256 },
        { MOBID_CURVE_P384, MOBID_ALG_ES384 },
        { MOBID_CURVE_P521, MOBID_ALG_ES512 },
        { MOBID_CURVE_ED25519, MOBID_ALG_EDDSA },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int form = 0; form < 4; form++)
            roundtrip_one(cases[i].c, cases[i].a, form & 1, form & 2);
}

/* With nothing unprotected to change, every single-byte change of a signed
 * message must fail to parse or fail to verify — and never crash. */
static void tamper_all(mobid_curve c, mobid_alg alg)
{
    mobid_key *k = new_key(c);
    const mobid_alg allow[] = { alg, MOBID_ALG_NONE };
    mobid_cose_sign1_params p = { .alg = alg, .tagged = true };
    mobid_buf msg;
    sign_into(k, &p, v_str("tamper me"), &msg);
    for (size_t i = 0; i < msg.len; i++) {
        for (unsigned mask = 1; mask < 256; mask <<= 1) {
            mobid_cose_sign1 s;
            msg.ptr[i] ^= (uint8_t)mask;
            mobid_err err = mobid_cose_sign1_parse(mobid_buf_view(&msg), &s);
            if (err == MOBID_OK)
                err = mobid_cose_sign1_verify(&s, k, v_empty(), v_empty(), allow);
            if (err == MOBID_OK)
                fail_msg("flip of bit %u in byte %zu still verifies", mask, i);
            msg.ptr[i] ^= (uint8_t)mask;
        }
    }
    for (size_t n = 0; n < msg.len; n++) {
        mobid_cose_sign1 s;
        assert_int_not_equal(mobid_cose_sign1_parse(mobid_view_make(msg.ptr, n), &s), MOBID_OK);
    }
    mobid_buf_free(&msg);
    mobid_key_free(k);
}

static void test_tamper(void **state)
{
    (void)state;
    tamper_all(MOBID_CURVE_P256, MOBID_ALG_ES256);
    tamper_all(MOBID_CURVE_ED25519, MOBID_ALG_EDDSA);
}

/* Sign with extra header maps; returns the parse result. */
static mobid_err sign_with_extras(const char *prot_hex, const char *unprot_hex, bool kid,
                                  mobid_err *verify)
{
    mobid_key *k = new_key(MOBID_CURVE_P256);
    mobid_buf pe, ue, msg;
    mobid_cose_sign1 s;
    tu_hex(prot_hex, &pe);
    tu_hex(unprot_hex, &ue);
    mobid_cose_sign1_params p = { .alg = MOBID_ALG_ES256,
                                  .protected_extra = mobid_buf_view(&pe),
                                  .unprotected_extra = mobid_buf_view(&ue),
                                  .kid = kid ? v_str("k") : v_empty() };
    sign_into(k, &p, v_str("crit"), &msg);
    mobid_err err = mobid_cose_sign1_parse(mobid_buf_view(&msg), &s);
    *verify = err == MOBID_OK
                  ? mobid_cose_sign1_verify(&s, k, v_empty(), v_empty(), only_es256)
                  : err;
    mobid_buf_free(&pe);
    mobid_buf_free(&ue);
    mobid_buf_free(&msg);
    mobid_key_free(k);
    return err;
}

static void test_crit(void **state)
{
    (void)state;
    mobid_err v;
    /* {2: [99], 99: 0}: a critical label nobody here understands. */
    assert_int_equal(sign_with_extras("a202811863186300", "", false, &v),
                     MOBID_ERR_CRITICAL_HEADER);
    /* {2: ["foo"], "foo": 1}: text labels are never understood. */
    assert_int_equal(sign_with_extras("a2028163666f6f63666f6f01", "", false, &v),
                     MOBID_ERR_CRITICAL_HEADER);
    /* {2: [16], 16: "application/x"}: typ is understood. */
    assert_int_equal(sign_with_extras("a2028110106d6170706c69636174696f6e2f78", "", false, &v),
                     MOBID_OK);
    assert_int_equal(v, MOBID_OK);
    /* {2: [4]} with kid only in the unprotected bucket. */
    assert_int_equal(sign_with_extras("a1028104", "", true, &v), MOBID_ERR_MALFORMED);
    /* crit must not be unprotected, nor empty. */
    assert_int_equal(sign_with_extras("", "a1028101", false, &v), MOBID_ERR_MALFORMED);
    assert_int_equal(sign_with_extras("a10280", "", false, &v), MOBID_ERR_MALFORMED);
}

/* A message whose protected bucket is given as hex; signature bytes are junk. */
static mobid_err parse_hex_msg(const char *hex, mobid_cose_sign1 *s, mobid_buf *keep)
{
    tu_hex(hex, keep);
    return mobid_cose_sign1_parse(mobid_buf_view(keep), s);
}

static void test_alg_allow_list(void **state)
{
    (void)state;
    mobid_key *k384 = new_key(MOBID_CURVE_P384), *k256 = new_key(MOBID_CURVE_P256);
    mobid_cose_sign1_params p = { .alg = MOBID_ALG_ES384 };
    mobid_buf msg, raw;
    mobid_cose_sign1 s;
    const mobid_alg es384[] = { MOBID_ALG_ES384, MOBID_ALG_NONE };
    const mobid_alg none[] = { MOBID_ALG_NONE };

    sign_into(k384, &p, v_str("x"), &msg);
    assert_int_equal(mobid_cose_sign1_parse(mobid_buf_view(&msg), &s), MOBID_OK);
    assert_int_equal(mobid_cose_sign1_verify(&s, k384, v_empty(), v_empty(), only_es256),
                     MOBID_ERR_ALG_NOT_ALLOWED);
    assert_int_equal(mobid_cose_sign1_verify(&s, k384, v_empty(), v_empty(), none),
                     MOBID_ERR_ALG_NOT_ALLOWED);
    assert_int_equal(mobid_cose_sign1_verify(&s, k384, v_empty(), v_empty(), es384), MOBID_OK);
    assert_int_equal(mobid_cose_sign1_verify(&s, k384, v_empty(), v_empty(),
                                             mobid_cose_algs_all),
                     MOBID_OK);
    /* An allowed alg on the wrong curve is a key error, not a bad signature. */
    assert_int_equal(mobid_cose_sign1_verify(&s, k256, v_empty(), v_empty(), es384),
                     MOBID_ERR_KEY_INVALID);
    assert_int_equal(mobid_cose_sign1_verify(&s, k384, v_empty(), v_empty(), NULL),
                     MOBID_ERR_INVALID_ARG);
    mobid_buf_free(&msg);

    /* alg -257 (RS256, not implemented) and no alg at all: never allowed. */
    assert_int_equal(parse_hex_msg("8445a101390100a0f64100", &s, &raw), MOBID_OK);
    assert_int_equal(s.alg, MOBID_ALG_NONE);
    assert_int_equal(s.alg_id, -257);
    assert_int_equal(mobid_cose_sign1_verify(&s, k256, v_empty(), v_str(""), mobid_cose_algs_all),
                     MOBID_ERR_ALG_NOT_ALLOWED);
    mobid_buf_free(&raw);
    assert_int_equal(parse_hex_msg("8440a0f64100", &s, &raw), MOBID_OK);
    assert_int_equal(mobid_cose_sign1_verify(&s, k256, v_empty(), v_str(""), mobid_cose_algs_all),
                     MOBID_ERR_ALG_NOT_ALLOWED);
    mobid_buf_free(&raw);
    /* Creating with no alg, or an alg the key cannot do. */
    mobid_cose_sign1_params bad = { .alg = MOBID_ALG_NONE };
    mobid_buf_init(&msg, 0);
    assert_int_equal(mobid_cose_sign1_create(k256, &bad, v_str("x"), &msg),
                     MOBID_ERR_INVALID_ARG);
    bad.alg = MOBID_ALG_ES384;
    assert_int_equal(mobid_cose_sign1_create(k256, &bad, v_str("x"), &msg),
                     MOBID_ERR_KEY_INVALID);
    assert_int_equal(msg.len, 0);
    mobid_buf_free(&msg);
    mobid_key_free(k384);
    mobid_key_free(k256);
}

/* Head sizes change at 24, 256 and 65536 bytes: the hand-written Sig_structure
 * must match what the CBOR encoder writes for the same array. */
static void test_sig_structure_lengths(void **state)
{
    (void)state;
    static const size_t lens[] = { 0, 1, 23, 24, 255, 256, 65535, 65536, 70000 };
    mobid_buf big;
    mobid_buf_init(&big, 0);
    for (size_t i = 0; i < 70000; i++)
        mobid_buf_append_byte(&big, (uint8_t)i);
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        mobid_view part = mobid_view_make(big.ptr, lens[i]);
        mobid_view aad = mobid_view_make(big.ptr + 1, lens[(i + 3) % 9]);
        mobid_buf mine, ref;
        mobid_cbor_enc e;
        mobid_buf_init(&mine, 0);
        mobid_buf_init(&ref, 0);
        assert_int_equal(mobid_cose_sig_structure(part, aad, part, &mine), MOBID_OK);
        mobid_cbor_enc_init(&e, &ref);
        mobid_cbor_put_array_head(&e, 4);
        mobid_cbor_put_cstr(&e, "Signature1");
        mobid_cbor_put_bytes(&e, part);
        mobid_cbor_put_bytes(&e, aad);
        mobid_cbor_put_bytes(&e, part);
        assert_int_equal(mobid_cbor_enc_finish(&e), MOBID_OK);
        assert_true(mobid_view_eq(mobid_buf_view(&mine), mobid_buf_view(&ref)));
        mobid_buf_free(&mine);
        mobid_buf_free(&ref);
    }
    mobid_buf_free(&big);
}

static void test_headers_and_extras(void **state)
{
    (void)state;
    mobid_key *k = new_key(MOBID_CURVE_P256);
    mobid_buf pe, msg;
    mobid_cose_sign1 s;
    mobid_cbor_item v;
    mobid_view typ;

    /* {16: "application/statuslist+cwt"} in the protected header. */
    tu_hex("a110781a" "6170706c69636174696f6e2f7374617475736c6973742b637774", &pe);
    mobid_cose_sign1_params p = { .alg = MOBID_ALG_ES256, .protected_extra = mobid_buf_view(&pe) };
    sign_into(k, &p, v_str("x"), &msg);
    assert_int_equal(mobid_cose_sign1_parse(mobid_buf_view(&msg), &s), MOBID_OK);
    assert_int_equal(mobid_cose_sign1_header(&s, MOBID_COSE_HDR_TYP, &v), MOBID_OK);
    assert_int_equal(mobid_cbor_get_text(&v, &typ), MOBID_OK);
    assert_true(mobid_view_eq_str(typ, "application/statuslist+cwt"));
    assert_int_equal(mobid_cose_sign1_header(&s, 99, &v), MOBID_ERR_NOT_FOUND);
    /* Deterministic protected header: {1: -7, 16: ...} sorted. */
    assert_int_equal(s.protected_bytes.ptr[0], 0xa2);
    assert_int_equal(s.protected_bytes.ptr[1], 0x01);
    assert_int_equal(s.protected_bytes.ptr[2], 0x26);
    mobid_buf_free(&msg);
    mobid_buf_free(&pe);

    /* An extra that repeats alg is the caller's error; nothing is appended. */
    tu_hex("a10126", &pe);
    p.protected_extra = mobid_buf_view(&pe);
    mobid_buf_init(&msg, 0);
    assert_int_equal(mobid_cose_sign1_create(k, &p, v_str("x"), &msg), MOBID_ERR_INVALID_ARG);
    assert_int_equal(msg.len, 0);
    mobid_buf_free(&msg);
    mobid_buf_free(&pe);
    mobid_key_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cose_wg_examples),   cmocka_unit_test(test_roundtrip_all_algs),
        cmocka_unit_test(test_tamper),             cmocka_unit_test(test_crit),
        cmocka_unit_test(test_alg_allow_list),     cmocka_unit_test(test_sig_structure_lengths),
        cmocka_unit_test(test_headers_and_extras),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
