/* lib/crypto mobid_hash_prefix: both digests equal mobid_hash of the prefix and of the
 * concatenation, for every hash, around block boundaries and with empty parts. */
#include "testutil.h"

#include <mobid/crypto.h>
#include <string.h>

static void test_matches_hash(void **state)
{
    (void)state;
    static const mobid_hash_alg algs[] = { MOBID_HASH_SHA256, MOBID_HASH_SHA384,
                                           MOBID_HASH_SHA512 };
    static const size_t lens[] = { 0, 1, 55, 56, 63, 64, 65, 111, 112, 127, 128, 129, 1000 };
    uint8_t msg[2048];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)(i * 7 + 3);
    for (size_t a = 0; a < 3; a++)
        for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
            for (size_t j = 0; j < sizeof lens / sizeof lens[0]; j++) {
                uint8_t first[MOBID_HASH_MAX], full[MOBID_HASH_MAX];
                uint8_t want1[MOBID_HASH_MAX], want2[MOBID_HASH_MAX];
                size_t n = mobid_hash_size(algs[a]);
                mobid_view p = mobid_view_make(msg, lens[i]);
                mobid_view r = mobid_view_make(msg + lens[i], lens[j]);
                assert_int_equal(mobid_hash_prefix(algs[a], p, r, first, full), MOBID_OK);
                assert_int_equal(mobid_hash(algs[a], p, want1), MOBID_OK);
                assert_int_equal(mobid_hash(algs[a], mobid_view_make(msg, lens[i] + lens[j]),
                                            want2),
                                 MOBID_OK);
                assert_memory_equal(first, want1, n);
                assert_memory_equal(full, want2, n);
            }
}

static void test_bad_args(void **state)
{
    (void)state;
    uint8_t a[MOBID_HASH_MAX], b[MOBID_HASH_MAX];
    mobid_view e = mobid_view_make(NULL, 0);
    assert_int_equal(mobid_hash_prefix((mobid_hash_alg)99, e, e, a, b), MOBID_ERR_INVALID_ARG);
    assert_int_equal(mobid_hash_prefix(MOBID_HASH_SHA256, e, e, NULL, b), MOBID_ERR_INVALID_ARG);
    assert_int_equal(mobid_hash_prefix(MOBID_HASH_SHA256, e, e, a, NULL), MOBID_ERR_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_hash),
        cmocka_unit_test(test_bad_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
