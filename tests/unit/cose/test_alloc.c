/* lib/cose under a failing allocator: parsing and the ECDSA verify path never
 * allocate; builders fail cleanly with NOMEM at every allocation and leave the
 * output buffer as it was. */
#include "cose_helpers.h"

/* Allocation failures injected at every point until the call succeeds. */
#define MAX_ALLOCS 200

static void test_parse_and_verify_do_not_allocate(void **state)
{
    (void)state;
    mobid_key *k = new_key(MOBID_CURVE_P256);
    mobid_cose_sign1_params p = { .alg = MOBID_ALG_ES256, .tagged = true, .kid = v_str("k") };
    mobid_buf msg, mac;
    mobid_cose_sign1 s;
    mobid_cose_mac0 m;
    static const uint8_t key[32] = { 7 };

    sign_into(k, &p, v_str("no allocation here"), &msg);
    mobid_buf_init(&mac, 0);
    assert_int_equal(mobid_cose_mac0_create(mobid_view_make(key, 32), v_str("m"), false, true,
                                            v_empty(), &mac),
                     MOBID_OK);
    mobid_alloc_fail_after(0);
    mobid_err parse = mobid_cose_sign1_parse(mobid_buf_view(&msg), &s);
    mobid_err verify = parse == MOBID_OK
                           ? mobid_cose_sign1_verify(&s, k, v_empty(), v_empty(), only_es256)
                           : parse;
    mobid_err mparse = mobid_cose_mac0_parse(mobid_buf_view(&mac), &m);
    mobid_err mverify = mparse == MOBID_OK
                            ? mobid_cose_mac0_verify(&m, mobid_view_make(key, 32), v_empty(),
                                                     v_empty())
                            : mparse;
    mobid_alloc_fail_after(-1);
    assert_int_equal(parse, MOBID_OK);
    assert_int_equal(verify, MOBID_OK);
    assert_int_equal(mparse, MOBID_OK);
    assert_int_equal(mverify, MOBID_OK);
    mobid_buf_free(&msg);
    mobid_buf_free(&mac);
    mobid_key_free(k);
}

/* Run create with the n-th allocation failing, for every n, until it succeeds. */
static void sign_under_failures(mobid_curve c, mobid_alg alg)
{
    mobid_key *k = new_key(c);
    static const uint8_t cert[] = { 0x30, 0x00 };
    mobid_view chain[2] = { mobid_view_make(cert, 2), mobid_view_make(cert, 2) };
    mobid_cose_sign1_params p = { .alg = alg, .x5chain = chain, .x5chain_count = 2 };
    mobid_err err = MOBID_ERR_NOMEM;
    long n;
    for (n = 0; n < MAX_ALLOCS && err != MOBID_OK; n++) {
        mobid_buf out;
        mobid_buf_init(&out, 0);
        mobid_buf_append_str(&out, "keep");
        mobid_alloc_fail_after(n);
        err = mobid_cose_sign1_create(k, &p, v_str("payload"), &out);
        mobid_alloc_fail_after(-1);
        if (err != MOBID_OK) {
            if (err != MOBID_ERR_NOMEM && err != MOBID_ERR_CRYPTO)
                fail_msg("allocation %ld failing gave %s", n, mobid_err_name(err));
            assert_int_equal(out.len, 4);
        }
        mobid_buf_free(&out);
    }
    assert_int_equal(err, MOBID_OK);
    assert_true(n > 1); /* at least one failure was actually injected */
    mobid_key_free(k);
}

static void test_sign_alloc_failures(void **state)
{
    (void)state;
    sign_under_failures(MOBID_CURVE_P256, MOBID_ALG_ES256);
    sign_under_failures(MOBID_CURVE_ED25519, MOBID_ALG_EDDSA);
}

static void test_mac0_and_key_alloc_failures(void **state)
{
    (void)state;
    static const uint8_t key[32] = { 9 };
    mobid_key *k = new_key(MOBID_CURVE_P384);
    mobid_err err = MOBID_ERR_NOMEM;
    for (long n = 0; n < MAX_ALLOCS && err != MOBID_OK; n++) {
        mobid_buf out;
        mobid_buf_init(&out, 0);
        mobid_alloc_fail_after(n);
        err = mobid_cose_mac0_create(mobid_view_make(key, 32), v_str("p"), false, true, v_empty(),
                                     &out);
        mobid_alloc_fail_after(-1);
        assert_true(err == MOBID_OK || (err == MOBID_ERR_NOMEM && out.len == 0));
        mobid_buf_free(&out);
    }
    assert_int_equal(err, MOBID_OK);
    err = MOBID_ERR_NOMEM;
    for (long n = 0; n < MAX_ALLOCS && err != MOBID_OK; n++) {
        mobid_buf out;
        mobid_cbor_enc e;
        mobid_buf_init(&out, 0);
        mobid_cbor_enc_init(&e, &out);
        mobid_alloc_fail_after(n);
        err = mobid_cose_key_encode(k, true, &e);
        mobid_err fin = mobid_cbor_enc_finish(&e);
        mobid_alloc_fail_after(-1);
        if (err == MOBID_OK)
            err = fin;
        assert_true(err == MOBID_OK || err == MOBID_ERR_NOMEM || err == MOBID_ERR_CRYPTO);
        mobid_buf_free(&out);
    }
    assert_int_equal(err, MOBID_OK);
    mobid_key_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_and_verify_do_not_allocate),
        cmocka_unit_test(test_sign_alloc_failures),
        cmocka_unit_test(test_mac0_and_key_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
