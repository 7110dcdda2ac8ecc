/* mobid_seal / mobid_unseal: the framing of values at rest and its refusals. */
#include <string.h>

#include "testutil.h"
#include <mobid/crypto.h>

static const uint8_t KEY[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };

static void test_roundtrip_and_refusals(void **state)
{
    mobid_buf sealed, again, plain;
    mobid_view key = mobid_view_make(KEY, sizeof KEY), aad = mobid_view_str("row-1");
    uint8_t other[32] = { 0 };
    (void)state;
    mobid_buf_init(&sealed, 0);
    mobid_buf_init(&again, 0);
    mobid_buf_init(&plain, 0);
    assert_int_equal(mobid_seal(key, aad, mobid_view_str("secret"), &sealed), MOBID_OK);
    assert_int_equal(sealed.len, 12 + 6 + 16);
    /* a fresh IV each time: the same value seals differently */
    assert_int_equal(mobid_seal(key, aad, mobid_view_str("secret"), &again), MOBID_OK);
    assert_memory_not_equal(sealed.ptr, again.ptr, sealed.len);
    assert_int_equal(mobid_unseal(key, aad, mobid_buf_view(&sealed), &plain), MOBID_OK);
    assert_int_equal(plain.len, 6);
    assert_memory_equal(plain.ptr, "secret", 6);
    /* moved to another row, another key, altered, cut short */
    plain.len = 0;
    assert_int_equal(mobid_unseal(key, mobid_view_str("row-2"), mobid_buf_view(&sealed), &plain),
                     MOBID_ERR_DECRYPT_FAILED);
    assert_int_equal(mobid_unseal(mobid_view_make(other, 32), aad, mobid_buf_view(&sealed), &plain),
                     MOBID_ERR_DECRYPT_FAILED);
    sealed.ptr[14] ^= 1;
    assert_int_equal(mobid_unseal(key, aad, mobid_buf_view(&sealed), &plain),
                     MOBID_ERR_DECRYPT_FAILED);
    assert_int_equal(mobid_unseal(key, aad, mobid_view_make(sealed.ptr, 27), &plain),
                     MOBID_ERR_DECRYPT_FAILED);
    assert_int_equal(plain.len, 0);
    /* only 256-bit keys */
    assert_int_equal(mobid_seal(mobid_view_make(KEY, 16), aad, aad, &again), MOBID_ERR_INVALID_ARG);
    mobid_buf_free(&sealed);
    mobid_buf_free(&again);
    mobid_buf_free(&plain);
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_roundtrip_and_refusals) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
