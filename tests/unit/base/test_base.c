/* lib/base: buffers, error names, base64url, hex, RFC 3339 and full-date. */
#include "testutil.h"

#include <string.h>

static void test_err_names(void **state)
{
    (void)state;
    assert_string_equal(mobid_err_name(MOBID_OK), "OK");
    assert_string_equal(mobid_err_name(MOBID_ERR_DEVICE_SIGNATURE_INVALID), "DEVICE_SIGNATURE_INVALID");
    assert_string_equal(mobid_err_name((mobid_err)9999), "UNKNOWN");
    /* Every code of the list has a distinct name and a message. The numbers the
     * services took (src/common/svc_error.h) are gaps here, named nowhere. */
    static const mobid_err codes[] = {
#define CODE_(name, num, msg) MOBID_ERR_##name,
        MOBID_ERR_LIST(CODE_)
#undef CODE_
    };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        assert_string_not_equal(mobid_err_name(codes[i]), "UNKNOWN");
        assert_true(strlen(mobid_strerror(codes[i])) > 0);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(mobid_err_name(codes[i]), mobid_err_name(codes[j]));
    }
    assert_string_equal(mobid_err_name((mobid_err)57), "UNKNOWN");
}

static void test_buf_limits(void **state)
{
    (void)state;
    mobid_buf b;
    mobid_buf_init(&b, 10);
    assert_int_equal(mobid_buf_append_str(&b, "0123456789"), MOBID_OK);
    assert_int_equal(mobid_buf_append_str(&b, "x"), MOBID_ERR_TOO_BIG);
    /* The error is sticky: later appends do nothing. */
    assert_int_equal(mobid_buf_append_str(&b, ""), MOBID_ERR_TOO_BIG);
    assert_int_equal(b.len, 10);
    mobid_buf_free(&b);
    assert_int_equal(b.err, MOBID_OK);
}

/* Byte-at-a-time appends grow the buffer geometrically: 4096 bytes take a handful of
 * reallocations, not one per byte (each growth copies and wipes the old block). */
static void test_buf_growth(void **state)
{
    (void)state;
    mobid_buf b;
    size_t grows = 0, cap = 0;
    mobid_buf_init(&b, 0);
    for (int i = 0; i < 4096; i++) {
        assert_int_equal(mobid_buf_append_byte(&b, (uint8_t)i), MOBID_OK);
        if (b.cap != cap) {
            assert_true(cap == 0 || b.cap >= 2 * cap);
            cap = b.cap;
            grows++;
        }
    }
    assert_true(grows <= 8);
    assert_int_equal(b.len, 4096);
    assert_int_equal(b.ptr[4095], (uint8_t)4095);
    mobid_buf_free(&b);
}

static void test_alloc_failure(void **state)
{
    (void)state;
    mobid_buf b;
    mobid_buf_init(&b, 0);
    mobid_alloc_fail_after(0);
    assert_int_equal(mobid_buf_append_str(&b, "abc"), MOBID_ERR_NOMEM);
    mobid_alloc_fail_after(-1);
    mobid_buf_free(&b);
}

static void b64_roundtrip(const char *plain, const char *enc)
{
    mobid_buf b;
    mobid_buf_init(&b, 0);
    assert_int_equal(mobid_b64url_encode(mobid_view_str(plain), &b), MOBID_OK);
    assert_int_equal(b.len, strlen(enc));
    assert_memory_equal(b.ptr, enc, b.len);
    mobid_buf_free(&b);
    assert_int_equal(mobid_b64url_decode(mobid_view_str(enc), &b), MOBID_OK);
    assert_int_equal(b.len, strlen(plain));
    if (b.len)
        assert_memory_equal(b.ptr, plain, b.len);
    mobid_buf_free(&b);
}

static void test_b64url(void **state)
{
    (void)state;
    /* RFC 4648 §10 vectors, unpadded. */
    b64_roundtrip("", "");
    b64_roundtrip("f", "Zg");
    b64_roundtrip("fo", "Zm8");
    b64_roundtrip("foo", "Zm9v");
    b64_roundtrip("foob", "Zm9vYg");
    b64_roundtrip("fooba", "Zm9vYmE");
    b64_roundtrip("foobar", "Zm9vYmFy");
    b64_roundtrip("\xfb\xff", "-_8");
    const char *bad[] = { "Zg==", "Zm9v\n", "Zm 9v", "Z", "Zm9v+", "Zm9v/", "Zh", "Zm9", "Zm9vY",
                          /* a bad symbol in a later group, and in the short last one */
                          "Zm9vYm+y", "Zm9v\xffmFy", "Zm9vYmF\xc3", "AAAA Zg", "AAAAZ.8" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        mobid_buf b;
        mobid_buf_init(&b, 0);
        assert_int_equal(mobid_b64url_decode(mobid_view_str(bad[i]), &b), MOBID_ERR_BAD_BASE64);
        assert_int_equal(b.len, 0);
        mobid_buf_free(&b);
    }
}

static void test_b64std(void **state)
{
    (void)state;
    mobid_buf b;
    mobid_buf_init(&b, 0);
    assert_int_equal(mobid_b64_encode(mobid_view_str("fooba"), &b), MOBID_OK);
    assert_memory_equal(b.ptr, "Zm9vYmE=", 8);
    mobid_buf_free(&b);
    assert_int_equal(mobid_b64_decode(mobid_view_str("Zm9vYg=="), &b), MOBID_OK);
    assert_memory_equal(b.ptr, "foob", 4);
    mobid_buf_free(&b);
    assert_int_equal(mobid_b64_decode(mobid_view_str("Zm9vYg="), &b), MOBID_ERR_BAD_BASE64);
    mobid_buf_free(&b);
}

static void test_hex(void **state)
{
    (void)state;
    mobid_buf b;
    mobid_buf_init(&b, 0);
    assert_int_equal(mobid_hex_decode(mobid_view_str("d8 18\n4A"), &b), MOBID_OK);
    assert_int_equal(b.len, 3);
    assert_int_equal(b.ptr[0], 0xd8);
    assert_int_equal(b.ptr[2], 0x4a);
    mobid_buf_free(&b);
    assert_int_equal(mobid_hex_decode(mobid_view_str("abc"), &b), MOBID_ERR_BAD_HEX);
    assert_int_equal(mobid_hex_decode(mobid_view_str("zz"), &b), MOBID_ERR_BAD_HEX);
    mobid_buf_free(&b);
    assert_true(mobid_looks_hex(mobid_view_str("a0 b1\n")));
    assert_false(mobid_looks_hex(mobid_view_str("\xa0\xb1")));
}

static void test_rfc3339(void **state)
{
    (void)state;
    mobid_time t;
    bool frac;
    assert_int_equal(mobid_time_parse_rfc3339(mobid_view_str("2020-10-01T13:30:02Z"), &t, &frac), MOBID_OK);
    assert_int_equal(t, 1601559002);
    assert_false(frac);
    assert_int_equal(mobid_time_parse_rfc3339(mobid_view_str("2020-10-01T15:30:02.250+02:00"), &t, &frac), MOBID_OK);
    assert_int_equal(t, 1601559002);
    assert_true(frac);
    char out[21];
    assert_int_equal(mobid_time_format_rfc3339(1601559002, out), MOBID_OK);
    assert_string_equal(out, "2020-10-01T13:30:02Z");
    const char *bad[] = { "2020-10-01", "2020-13-01T00:00:00Z", "2021-02-29T00:00:00Z",
                          "2020-10-01T24:00:00Z", "2020-10-01T13:30:02", "2020-10-01T13:30:02.Z",
                          "2020-10-01T13:30:02Zx" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(mobid_time_parse_rfc3339(mobid_view_str(bad[i]), &t, NULL), MOBID_ERR_BAD_TIME);
}

static void test_full_date(void **state)
{
    (void)state;
    int64_t days;
    assert_int_equal(mobid_date_parse(mobid_view_str("1970-01-01"), &days), MOBID_OK);
    assert_int_equal(days, 0);
    assert_int_equal(mobid_date_parse(mobid_view_str("2024-02-29"), &days), MOBID_OK);
    char out[11];
    assert_int_equal(mobid_date_format(days, out), MOBID_OK);
    assert_string_equal(out, "2024-02-29");
    assert_int_equal(mobid_date_parse(mobid_view_str("2023-02-29"), &days), MOBID_ERR_BAD_TIME);
    assert_int_equal(mobid_date_parse(mobid_view_str("1899-12-31"), &days), MOBID_OK);
    assert_int_equal(mobid_date_format(days, out), MOBID_OK);
    assert_string_equal(out, "1899-12-31");
}

static void test_clock_pin(void **state)
{
    (void)state;
    mobid_clock_pin(1000);
    assert_int_equal(mobid_now(), 1000);
    mobid_clock_unpin();
    assert_true(mobid_now() > 1700000000);
}

/* The shared helpers every module uses instead of its own copy. */
static void test_utf8_hex_age(void **state)
{
    static const char *const good[] = { "", "abc", "\xc3\xa9", "\xed\x9f\xbf", "\xf4\x8f\xbf\xbf",
                                        "\xea\xb9\x80\xeb\xaf\xbc\xec\xa7\x80" };
    static const char *const bad[] = { "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                                       "\x80", "\xc3", "\xf5\x80\x80\x80", "a\xff" };
    (void)state;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(mobid_utf8_valid(mobid_view_str(good[i])));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(mobid_utf8_valid(mobid_view_str(bad[i])));
    assert_int_equal(mobid_utf8_seq(mobid_view_str("\xea\xb9\x80x")), 3);
    assert_int_equal(mobid_utf8_seq(mobid_view_make(NULL, 0)), 0);
    assert_int_equal(mobid_hex_digit('7'), 7);
    assert_int_equal(mobid_hex_digit('F'), 15);
    assert_int_equal(mobid_hex_digit('g'), -1);
    char hex[7] = "xxxxxx";
    mobid_hex_str((const uint8_t *)"\x00\xa5\xff", 3, hex);
    assert_string_equal(hex, "00a5ff");
    mobid_hex_str(NULL, 0, hex);
    assert_string_equal(hex, "");
    mobid_buf pct;
    mobid_buf_init(&pct, 0);
    assert_int_equal(mobid_pct_encode(mobid_view_str("a b/~:\xc3\xa9"), NULL, &pct), MOBID_OK);
    assert_int_equal(mobid_pct_encode(mobid_view_str("/:"), "/:", &pct), MOBID_OK);
    mobid_buf_terminate(&pct);
    assert_string_equal((const char *)pct.ptr, "a%20b%2F~%3A%C3%A9/:");
    mobid_buf_free(&pct);
    /* birthday counts on the day; 29 February turns older on 1 March */
    assert_int_equal(mobid_age_years(mobid_days_from_civil(2008, 6, 1),
                                     mobid_days_from_civil(2022, 6, 1)), 14);
    assert_int_equal(mobid_age_years(mobid_days_from_civil(2008, 6, 1),
                                     mobid_days_from_civil(2022, 5, 31)), 13);
    assert_int_equal(mobid_age_years(mobid_days_from_civil(2004, 2, 29),
                                     mobid_days_from_civil(2023, 2, 28)), 18);
    assert_int_equal(mobid_age_years(mobid_days_from_civil(2004, 2, 29),
                                     mobid_days_from_civil(2023, 3, 1)), 19);
    assert_true(mobid_age_years(mobid_days_from_civil(2030, 1, 1), mobid_days_from_civil(2020, 1, 1)) < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_err_names),  cmocka_unit_test(test_buf_limits),
        cmocka_unit_test(test_alloc_failure), cmocka_unit_test(test_buf_growth), cmocka_unit_test(test_b64url),
        cmocka_unit_test(test_b64std),     cmocka_unit_test(test_hex),
        cmocka_unit_test(test_rfc3339),    cmocka_unit_test(test_full_date),
        cmocka_unit_test(test_clock_pin),  cmocka_unit_test(test_utf8_hex_age),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
