/* Known-bad COSE_Sign1 inputs: each must be rejected by the parser with the
 * stated error (and never read out of bounds; run under ASan). */
#include "cose_helpers.h"

#include <stdio.h>

#define ANY_ERROR ((mobid_err)-1)

static const struct {
    const char *what;
    const char *hex;
    mobid_err want;
} cases[] = {
    { "empty input", "", ANY_ERROR },
    { "empty array", "80", MOBID_ERR_MALFORMED },
    { "three elements", "8343a10126a04100", MOBID_ERR_MALFORMED },
    { "five elements", "8543a10126a041004040", MOBID_ERR_MALFORMED },
    { "tag 19", "d38443a10126a0410040", MOBID_ERR_MALFORMED },
    { "tag 17 (Mac0)", "d18443a10126a0410040", MOBID_ERR_MALFORMED },
    { "tag 18 twice", "d2d28443a10126a0410040", MOBID_ERR_MALFORMED },
    { "a map, not an array", "a0", MOBID_ERR_MALFORMED },
    { "protected is a map", "84a10126a0410040", MOBID_ERR_MALFORMED },
    { "protected holds an int", "844101a0410040", MOBID_ERR_MALFORMED },
    { "protected has trailing bytes", "8444a1012600a0410040", MOBID_ERR_MALFORMED },
    { "protected is a lone break", "8441ffa0410040", MOBID_ERR_MALFORMED },
    { "protected is truncated", "8442a101a0410040", MOBID_ERR_MALFORMED },
    { "protected indefinite bstr", "845f43a10126ffa0410040", MOBID_ERR_MALFORMED },
    { "unprotected is an array", "8443a1012680410040", MOBID_ERR_MALFORMED },
    { "payload is an int", "8443a10126a00040", MOBID_ERR_MALFORMED },
    { "payload is text", "8443a10126a0610040", MOBID_ERR_MALFORMED },
    { "payload is undefined", "8443a10126a0f740", MOBID_ERR_MALFORMED },
    { "signature is nil", "8443a10126a04100f6", MOBID_ERR_MALFORMED },
    { "signature is text", "8443a10126a0410060", MOBID_ERR_MALFORMED },
    { "alg twice in protected", "8445a201260126a0410040", MOBID_ERR_MALFORMED },
    { "kid in both buckets", "8446a20126044131a1044131410040", MOBID_ERR_MALFORMED },
    { "alg only unprotected", "8440a10126410040", MOBID_ERR_MALFORMED },
    { "alg in both buckets", "8443a10126a10126410040", MOBID_ERR_MALFORMED },
    { "alg is a bstr", "8444a1014100a0410040", MOBID_ERR_MALFORMED },
    { "label is a bstr", "8444a1410001a0410040", MOBID_ERR_MALFORMED },
    { "label is a float", "8443a10126a1f93c0001410040", MOBID_ERR_MALFORMED },
    { "kid is text", "8443a10126a1046161410040", MOBID_ERR_MALFORMED },
    { "x5chain empty array", "8443a10126a1182180410040", MOBID_ERR_MALFORMED },
    { "x5chain an int", "8443a10126a1182101410040", MOBID_ERR_MALFORMED },
    { "x5chain holds an int", "8443a10126a118218101410040", MOBID_ERR_MALFORMED },
    { "x5chain of nine", "8443a10126a11821" "89404040404040404040" "410040", MOBID_ERR_LIMIT },
    { "crit lists crit-less label", "8447a2012602811863a0410040", MOBID_ERR_MALFORMED },
    { "crit is an int", "8445a201260201a0410040", MOBID_ERR_MALFORMED },
    { "trailing byte", "8443a10126a041004000", MOBID_ERR_MALFORMED },
    { "truncated signature", "8443a10126a041004201", ANY_ERROR },
    { "declares 2^64-1 byte payload", "8443a10126a05bffffffffffffffff", ANY_ERROR },
};

static void test_bad_inputs(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mobid_buf b;
        mobid_cose_sign1 s;
        tu_hex(cases[i].hex, &b);
        mobid_err err = mobid_cose_sign1_parse(mobid_buf_view(&b), &s);
        mobid_buf_free(&b);
        if (cases[i].want == ANY_ERROR ? err == MOBID_OK : err != cases[i].want)
            fail_msg("%s: got %s, want %s", cases[i].what, mobid_err_name(err),
                     cases[i].want == ANY_ERROR ? "an error" : mobid_err_name(cases[i].want));
    }
}

/* Inputs that are odd but acceptable, with what the parser must report. */
static void test_odd_but_valid(void **state)
{
    (void)state;
    mobid_buf b;
    mobid_cose_sign1 s;
    /* Empty protected bstr: an empty map; no alg. */
    tu_hex("8440a0410040", &b);
    assert_int_equal(mobid_cose_sign1_parse(mobid_buf_view(&b), &s), MOBID_OK);
    assert_int_equal(s.alg, MOBID_ALG_NONE);
    assert_int_equal(s.protected_map.type, MOBID_CBOR_MAP);
    mobid_buf_free(&b);
    /* A text alg is not a parse error but is never a known algorithm. */
    tu_hex("8445a101624553a0410040", &b);
    assert_int_equal(mobid_cose_sign1_parse(mobid_buf_view(&b), &s), MOBID_OK);
    assert_int_equal(s.alg, MOBID_ALG_NONE);
    mobid_buf_free(&b);
    /* {4: undefined} as @auth0/mdl writes it: no kid. */
    tu_hex("8443a10126a104f7410040", &b);
    assert_int_equal(mobid_cose_sign1_parse(mobid_buf_view(&b), &s), MOBID_OK);
    assert_int_equal(s.kid.len, 0);
    mobid_buf_free(&b);
    /* x5chain as one bstr in the protected bucket. */
    tu_hex("8449a20126182143010203a0410040", &b);
    assert_int_equal(mobid_cose_sign1_parse(mobid_buf_view(&b), &s), MOBID_OK);
    assert_int_equal(s.x5chain_count, 1);
    assert_true(s.x5chain_protected);
    assert_int_equal(s.x5chain[0].len, 3);
    mobid_buf_free(&b);
}

/* An unprotected bucket with more labels than COSE_MAX_LABELS (64) is refused. */
static void test_too_many_labels(void **state)
{
    (void)state;
    mobid_buf b;
    mobid_cbor_enc e;
    mobid_cose_sign1 s;
    mobid_buf_init(&b, 0);
    mobid_cbor_enc_init(&e, &b);
    mobid_cbor_put_array_head(&e, 4);
    mobid_cbor_put_bytes(&e, mobid_view_make((const uint8_t *)"\xa1\x01\x26", 3));
    mobid_cbor_put_map_head(&e, 65);
    for (int i = 0; i < 65; i++) {
        mobid_cbor_put_int(&e, 1000 + i);
        mobid_cbor_put_int(&e, 0);
    }
    mobid_cbor_put_bytes(&e, v_str("p"));
    mobid_cbor_put_bytes(&e, v_empty());
    assert_int_equal(mobid_cbor_enc_finish(&e), MOBID_OK);
    assert_int_equal(mobid_cose_sign1_parse(mobid_buf_view(&b), &s), MOBID_ERR_TOO_BIG);
    mobid_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_odd_but_valid),
        cmocka_unit_test(test_too_many_labels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
