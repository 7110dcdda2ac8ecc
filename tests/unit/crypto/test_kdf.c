/* lib/crypto/kdf.c: scrypt against the RFC 7914 §12 test vectors, and its bounds. */
#include "testutil.h"

#include <string.h>
#include <mobid/kdf.h>

static void check_vector(const char *pw, const char *salt, uint64_t n, uint64_t r,
                         uint64_t p, const char *hex)
{
    mobid_buf want = { 0 };
    uint8_t got[64];

    tu_hex(hex, &want);
    assert_int_equal(want.len, sizeof got);
    assert_int_equal(mobid_scrypt(mobid_view_str(pw), mobid_view_str(salt), n, r, p, got,
                                  sizeof got),
                     MOBID_OK);
    assert_memory_equal(got, want.ptr, sizeof got);
    mobid_buf_free(&want);
}

static void test_rfc7914_empty(void **state)
{
    (void)state;
    check_vector("", "", 16, 1, 1,
                 "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
                 "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906");
}

static void test_rfc7914_password(void **state)
{
    (void)state;
    check_vector("password", "NaCl", 1024, 8, 16,
                 "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
                 "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640");
}

static void test_rfc7914_pleaseletmein(void **state)
{
    (void)state;
    check_vector("pleaseletmein", "SodiumChloride", 16384, 8, 1,
                 "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2"
                 "d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887");
}

static void test_bad_params(void **state)
{
    uint8_t out[32];
    mobid_view pw = mobid_view_str("pw"), salt = mobid_view_str("salt");

    (void)state;
    /* N not a power of two, N = 1, r = 0, p = 0, no output, too much memory */
    assert_int_equal(mobid_scrypt(pw, salt, 1000, 8, 1, out, sizeof out), MOBID_ERR_INVALID_ARG);
    assert_int_equal(mobid_scrypt(pw, salt, 1, 8, 1, out, sizeof out), MOBID_ERR_INVALID_ARG);
    assert_int_equal(mobid_scrypt(pw, salt, 16, 0, 1, out, sizeof out), MOBID_ERR_INVALID_ARG);
    assert_int_equal(mobid_scrypt(pw, salt, 16, 1, 0, out, sizeof out), MOBID_ERR_INVALID_ARG);
    assert_int_equal(mobid_scrypt(pw, salt, 16, 1, 1, out, 0), MOBID_ERR_INVALID_ARG);
    assert_int_equal(mobid_scrypt(pw, salt, (uint64_t)1 << 24, 8, 8, out, sizeof out),
                     MOBID_ERR_INVALID_ARG);
}

static void test_salt_matters(void **state)
{
    uint8_t a[32], b[32];

    (void)state;
    assert_int_equal(mobid_scrypt(mobid_view_str("pw"), mobid_view_str("salt-a"), 16, 1, 1, a,
                                  sizeof a),
                     MOBID_OK);
    assert_int_equal(mobid_scrypt(mobid_view_str("pw"), mobid_view_str("salt-b"), 16, 1, 1, b,
                                  sizeof b),
                     MOBID_OK);
    assert_memory_not_equal(a, b, sizeof a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc7914_empty),
        cmocka_unit_test(test_rfc7914_password),
        cmocka_unit_test(test_rfc7914_pleaseletmein),
        cmocka_unit_test(test_bad_params),
        cmocka_unit_test(test_salt_matters),
    };
    return cmocka_run_group_tests_name("scrypt", tests, NULL, NULL);
}
