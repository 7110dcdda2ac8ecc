/* lib/crypto/otp.c: TOTP against the test vectors of RFC 6238 Appendix B (SHA-1,
 * SHA-256, SHA-512, 8 digits, 30 s steps), HOTP against RFC 4226 Appendix D, and the
 * argument checks. */
#include "testutil.h"

#include <string.h>
#include <mobid/kdf.h>

/* The RFC's seeds: "12345678901234567890" repeated to 20, 32 and 64 bytes. */
static mobid_view seed(mobid_otp_alg alg, char buf[65])
{
    size_t n = alg == MOBID_OTP_SHA1 ? 20 : alg == MOBID_OTP_SHA256 ? 32 : 64;
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)('0' + (i + 1) % 10);
    return mobid_view_make(buf, n);
}

static void test_rfc6238(void **state)
{
    static const struct {
        int64_t t;
        mobid_otp_alg alg;
        uint32_t code;
    } v[] = {
        { 59, MOBID_OTP_SHA1, 94287082 },          { 59, MOBID_OTP_SHA256, 46119246 },
        { 59, MOBID_OTP_SHA512, 90693936 },        { 1111111109, MOBID_OTP_SHA1, 7081804 },
        { 1111111109, MOBID_OTP_SHA256, 68084774 }, { 1111111109, MOBID_OTP_SHA512, 25091201 },
        { 1111111111, MOBID_OTP_SHA1, 14050471 },  { 1111111111, MOBID_OTP_SHA256, 67062674 },
        { 1111111111, MOBID_OTP_SHA512, 99943326 }, { 1234567890, MOBID_OTP_SHA1, 89005924 },
        { 1234567890, MOBID_OTP_SHA256, 91819424 }, { 1234567890, MOBID_OTP_SHA512, 93441116 },
        { 2000000000, MOBID_OTP_SHA1, 69279037 },  { 2000000000, MOBID_OTP_SHA256, 90698825 },
        { 2000000000, MOBID_OTP_SHA512, 38618901 }, { 20000000000, MOBID_OTP_SHA1, 65353130 },
        { 20000000000, MOBID_OTP_SHA256, 77737706 }, { 20000000000, MOBID_OTP_SHA512, 47863826 },
    };
    char buf[65];
    (void)state;
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint32_t code = 0;
        assert_int_equal(mobid_totp(v[i].alg, seed(v[i].alg, buf), v[i].t, 30, 8, &code),
                         MOBID_OK);
        assert_int_equal(code, v[i].code);
    }
}

static void test_rfc4226(void **state)
{
    static const uint32_t want[] = { 755224, 287082, 359152, 969429, 338314,
                                     254676, 287922, 162583, 399871, 520489 };
    char buf[65];
    (void)state;
    for (uint64_t c = 0; c < 10; c++) {
        uint32_t code = 0;
        assert_int_equal(mobid_hotp(MOBID_OTP_SHA1, seed(MOBID_OTP_SHA1, buf), c, 6, &code),
                         MOBID_OK);
        assert_int_equal(code, want[c]);
    }
}

static void test_bad_args(void **state)
{
    char buf[65];
    uint32_t code;
    mobid_view k = seed(MOBID_OTP_SHA1, buf);
    (void)state;
    assert_int_equal(mobid_totp(MOBID_OTP_SHA1, k, 59, 0, 6, &code), MOBID_ERR_INVALID_ARG);
    assert_int_equal(mobid_totp(MOBID_OTP_SHA1, k, -1, 30, 6, &code), MOBID_ERR_INVALID_ARG);
    assert_int_equal(mobid_hotp(MOBID_OTP_SHA1, k, 0, 5, &code), MOBID_ERR_INVALID_ARG);
    assert_int_equal(mobid_hotp(MOBID_OTP_SHA1, k, 0, 10, &code), MOBID_ERR_INVALID_ARG);
    assert_int_equal(mobid_hotp((mobid_otp_alg)9, k, 0, 6, &code), MOBID_ERR_INVALID_ARG);
    assert_int_equal(mobid_hotp(MOBID_OTP_SHA1, mobid_view_make(buf, 0), 0, 6, &code),
                     MOBID_ERR_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc6238),
        cmocka_unit_test(test_rfc4226),
        cmocka_unit_test(test_bad_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
