/*
 * Known-bad CBOR: each input must fail cleanly with the stated error, without
 * allocating (mobid_alloc_fail_after(0) around every decode) and without deep
 * recursion (100 000-deep inputs). Truncations of the ISO 18013-5 Annex D
 * DeviceResponse are read from the vectors folder and skip when it is absent;
 * everything else always runs.
 */
#include "testutil.h"

#include <mobid/cbor.h>
#include <string.h>

typedef struct bad_case {
    const char *hex;
    mobid_err err;
    const char *why;
} bad_case;

static const bad_case bad_cases[] = {
    /* empty input and truncated heads */
    { "", MOBID_ERR_TRUNCATED, "empty input" },
    { "18", MOBID_ERR_TRUNCATED, "uint missing its 1-byte argument" },
    { "1900", MOBID_ERR_TRUNCATED, "uint missing 1 of 2 argument bytes" },
    { "1a000000", MOBID_ERR_TRUNCATED, "uint missing 1 of 4 argument bytes" },
    { "1b00000000000000", MOBID_ERR_TRUNCATED, "uint missing 1 of 8 argument bytes" },
    { "f900", MOBID_ERR_TRUNCATED, "half float cut" },
    { "fa000000", MOBID_ERR_TRUNCATED, "single float cut" },
    { "fb00000000000000", MOBID_ERR_TRUNCATED, "double float cut" },
    { "c1", MOBID_ERR_TRUNCATED, "tag without content" },
    { "8201", MOBID_ERR_TRUNCATED, "array missing an element" },
    { "a101", MOBID_ERR_TRUNCATED, "map missing a value" },
    { "9f01", MOBID_ERR_TRUNCATED, "indefinite array without break" },
    { "5f4101", MOBID_ERR_TRUNCATED, "indefinite bytes without break" },
    { "6261", MOBID_ERR_TRUNCATED, "text shorter than declared" },
    /* declared lengths of 2^32 - 1, 2^32 and 2^64 - 1 with a few bytes of input */
    { "5affffffff00", MOBID_ERR_TRUNCATED, "bytes of 2^32-1" },
    { "5b000000010000000000", MOBID_ERR_TRUNCATED, "bytes of 2^32" },
    { "5bffffffffffffffff00", MOBID_ERR_TRUNCATED, "bytes of 2^64-1" },
    { "7b000000010000000000", MOBID_ERR_TRUNCATED, "text of 2^32" },
    { "7bffffffffffffffff00", MOBID_ERR_TRUNCATED, "text of 2^64-1" },
    { "9b000000010000000000", MOBID_ERR_TRUNCATED, "array of 2^32" },
    { "9bffffffffffffffff00", MOBID_ERR_TRUNCATED, "array of 2^64-1" },
    { "bb000000010000000000", MOBID_ERR_TRUNCATED, "map of 2^32" },
    { "bbffffffffffffffff00", MOBID_ERR_TRUNCATED, "map of 2^64-1" },
    { "bb7fffffffffffffff00", MOBID_ERR_TRUNCATED, "map of 2^63-1 (2^64-2 items)" },
    { "5f5bffffffffffffffff00ff", MOBID_ERR_TRUNCATED, "chunk of 2^64-1" },
    { "7f7b0000000100000000ff", MOBID_ERR_TRUNCATED, "text chunk of 2^32" },
    /* reserved additional information 28..30 on every major type */
    { "1c", MOBID_ERR_MALFORMED, "uint ai 28" },
    { "3d", MOBID_ERR_MALFORMED, "negint ai 29" },
    { "5e", MOBID_ERR_MALFORMED, "bytes ai 30" },
    { "7c", MOBID_ERR_MALFORMED, "text ai 28" },
    { "9d", MOBID_ERR_MALFORMED, "array ai 29" },
    { "be", MOBID_ERR_MALFORMED, "map ai 30" },
    { "dc", MOBID_ERR_MALFORMED, "tag ai 28" },
    { "fd", MOBID_ERR_MALFORMED, "simple ai 29" },
    { "fe", MOBID_ERR_MALFORMED, "simple ai 30" },
    { "8201fc", MOBID_ERR_MALFORMED, "reserved ai inside an array" },
    /* indefinite length where there is none */
    { "1f", MOBID_ERR_MALFORMED, "indefinite uint" },
    { "3f", MOBID_ERR_MALFORMED, "indefinite negint" },
    { "df00", MOBID_ERR_MALFORMED, "indefinite tag" },
    /* simple values 0..31 in the two-byte form */
    { "f800", MOBID_ERR_MALFORMED, "simple(0) two-byte" },
    { "f814", MOBID_ERR_MALFORMED, "false in two-byte form" },
    { "f817", MOBID_ERR_MALFORMED, "undefined in two-byte form" },
    { "f818", MOBID_ERR_MALFORMED, "simple(24)" },
    { "f81f", MOBID_ERR_MALFORMED, "simple(31)" },
    /* breaks where none may be */
    { "ff", MOBID_ERR_MALFORMED, "lone break" },
    { "81ff", MOBID_ERR_MALFORMED, "break in a definite array" },
    { "a1ff", MOBID_ERR_TRUNCATED, "map of one pair with one byte left" },
    { "a201ff0203", MOBID_ERR_MALFORMED, "break as a definite map's value" },
    { "bf01ff", MOBID_ERR_MALFORMED, "indefinite map broken after a key" },
    { "c1ff", MOBID_ERR_MALFORMED, "break as tag content" },
    { "9f81ffff", MOBID_ERR_MALFORMED, "break in a definite array inside an indefinite one" },
    /* chunks of indefinite strings */
    { "5f6161ff", MOBID_ERR_MALFORMED, "text chunk in bytes" },
    { "7f4161ff", MOBID_ERR_MALFORMED, "bytes chunk in text" },
    { "5f5fffff", MOBID_ERR_MALFORMED, "nested indefinite bytes" },
    { "7f7fffff", MOBID_ERR_MALFORMED, "nested indefinite text" },
    { "5f01ff", MOBID_ERR_MALFORMED, "uint chunk" },
    { "5f80ff", MOBID_ERR_MALFORMED, "array chunk" },
    { "7fc060ff", MOBID_ERR_MALFORMED, "tagged chunk" },
    { "5ff6ff", MOBID_ERR_MALFORMED, "null chunk" },
    /* invalid UTF-8 in text */
    { "6180", MOBID_ERR_MALFORMED, "lone continuation byte" },
    { "61ff", MOBID_ERR_MALFORMED, "0xff byte" },
    { "62c080", MOBID_ERR_MALFORMED, "overlong NUL" },
    { "62c1bf", MOBID_ERR_MALFORMED, "overlong 2-byte" },
    { "63e08080", MOBID_ERR_MALFORMED, "overlong 3-byte" },
    { "64f0808080", MOBID_ERR_MALFORMED, "overlong 4-byte" },
    { "63eda080", MOBID_ERR_MALFORMED, "surrogate U+D800" },
    { "64f4908080", MOBID_ERR_MALFORMED, "past U+10FFFF" },
    { "64f8888080", MOBID_ERR_MALFORMED, "5-byte form" },
    { "62e282", MOBID_ERR_MALFORMED, "sequence cut by the string end" },
    { "62c361", MOBID_ERR_MALFORMED, "bad continuation" },
    { "7f61e26282acff", MOBID_ERR_MALFORMED, "code point split across chunks" },
    { "a16180f6", MOBID_ERR_MALFORMED, "invalid UTF-8 in a map key" },
};

static void test_bad_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof *bad_cases; i++) {
        const bad_case *c = &bad_cases[i];
        mobid_buf in;
        mobid_cbor_item it;
        tu_hex(c->hex, &in);
        mobid_alloc_fail_after(0);
        mobid_err err = mobid_cbor_decode_exact(mobid_buf_view(&in), NULL, &it);
        mobid_alloc_fail_after(-1);
        if (err != c->err)
            fail_msg("%s (%s): got %s, expected %s", c->hex, c->why, mobid_err_name(err),
                     mobid_err_name(c->err));
        mobid_buf_free(&in);
    }
}

/* n copies of `unit`, then `tail`. */
static uint8_t *repeat(const uint8_t *unit, size_t ulen, size_t n, const uint8_t *tail,
                       size_t tlen, size_t *len)
{
    *len = ulen * n + tlen;
    uint8_t *p = test_malloc(*len);
    for (size_t i = 0; i < n; i++)
        memcpy(p + i * ulen, unit, ulen);
    memcpy(p + ulen * n, tail, tlen);
    return p;
}

static void expect_deep(const char *unit, size_t ulen, const char *tail, size_t tlen)
{
    const size_t depth = 100000;
    mobid_cbor_limits lim[2] = { mobid_cbor_default_limits, mobid_cbor_default_limits };
    lim[1].max_depth = 1000000; /* clamped to MOBID_CBOR_DEPTH_CAP */
    size_t len;
    uint8_t *in = repeat((const uint8_t *)unit, ulen, depth, (const uint8_t *)tail, tlen, &len);
    for (int k = 0; k < 2; k++) {
        mobid_cbor_item it;
        size_t used = 12345;
        mobid_buf diag;
        mobid_buf_init(&diag, 0);
        mobid_alloc_fail_after(0);
        assert_int_equal(mobid_cbor_decode(mobid_view_make(in, len), &lim[k], &it, &used),
                         MOBID_ERR_TOO_DEEP);
        mobid_alloc_fail_after(-1);
        assert_int_equal(used, 12345);
        assert_int_equal(mobid_cbor_diag(mobid_view_make(in, len), &lim[k], &diag),
                         MOBID_ERR_TOO_DEEP);
        assert_int_equal(diag.len, 0);
        mobid_buf_free(&diag);
    }
    test_free(in);
}

static void test_deep_nesting(void **state)
{
    (void)state;
    expect_deep("\x81", 1, "\x00", 1);         /* [[[...0...]]] */
    expect_deep("\x9f", 1, "\x00", 1);         /* [_ [_ ... (no breaks) */
    expect_deep("\xa1\x00", 2, "\x00", 1);     /* {0: {0: ...0...}} */
    expect_deep("\xbf\x00", 2, "\x00", 1);     /* {_ 0: {_ 0: ... */
    expect_deep("\xc1", 1, "\x00", 1);         /* 1(1(1(...0...))) */
    expect_deep("\xd8\x18", 2, "\x00", 1);     /* 24(24(...)) */
    expect_deep("\x82\x00", 2, "\x00", 1);     /* [0, [0, ...]] */
}

/* Every proper prefix of a well-formed item is TRUNCATED, never anything else. */
static void check_truncations(mobid_view full)
{
    mobid_cbor_item it;
    assert_int_equal(mobid_cbor_decode_exact(full, NULL, &it), MOBID_OK);
    mobid_alloc_fail_after(0);
    for (size_t k = 0; k < full.len; k++) {
        mobid_err err = mobid_cbor_decode(mobid_view_make(full.ptr, k), NULL, &it, NULL);
        if (err != MOBID_ERR_TRUNCATED) {
            mobid_alloc_fail_after(-1);
            fail_msg("prefix of %zu bytes: %s", k, mobid_err_name(err));
        }
    }
    mobid_alloc_fail_after(-1);
}

static void test_truncated_device_response(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    mobid_buf dr;
    tu_read_vector_hex("mdoc/annexd_device_response.hex", &dr);
    assert_true(dr.len > 1000);
    check_truncations(mobid_buf_view(&dr));
    mobid_buf_free(&dr);
}

/* The same on a hand-written item with every kind of content. */
static void test_truncated_builtin(void **state)
{
    (void)state;
    mobid_buf in;
    tu_hex("bf 6176 9f 01 3903e7 f93e00 fa47c35000 fb3ff199999999999a ff"
           "6162 5f 4101 420203 ff 6163 7f 6161 6162 ff 6164 d818 43 a10102"
           "6165 c249 010000000000000000 6166 f8ff ff",
           &in);
    check_truncations(mobid_buf_view(&in));
    mobid_buf_free(&in);
}

static void test_trailing_bytes(void **state)
{
    (void)state;
    mobid_buf in;
    mobid_cbor_item it;
    size_t used = 0;
    const char *hex[] = { "0000", "80ff", "a0a0", "6161 00", "9fff 00" };
    for (size_t i = 0; i < sizeof hex / sizeof *hex; i++) {
        tu_hex(hex[i], &in);
        mobid_alloc_fail_after(0);
        assert_int_equal(mobid_cbor_decode_exact(mobid_buf_view(&in), NULL, &it),
                         MOBID_ERR_MALFORMED);
        assert_int_equal(mobid_cbor_decode(mobid_buf_view(&in), NULL, &it, &used), MOBID_OK);
        mobid_alloc_fail_after(-1);
        assert_true(used < in.len);
        assert_int_equal(it.span.len, used);
        mobid_buf_free(&in);
    }
}

/* Item and string limits hold against inputs built to exceed them. */
static void test_limit_floods(void **state)
{
    (void)state;
    size_t len;
    /* An indefinite array of 2 000 000 zeros, over the default item limit. */
    uint8_t *in = repeat((const uint8_t *)"\x00", 1, 2000000, (const uint8_t *)"\xff", 1, &len);
    in[0] = 0x9f;
    mobid_cbor_item it;
    mobid_alloc_fail_after(0);
    assert_int_equal(mobid_cbor_decode(mobid_view_make(in, len), NULL, &it, NULL),
                     MOBID_ERR_TOO_BIG);
    mobid_alloc_fail_after(-1);
    test_free(in);

    /* 200 chunks of 100 000 bytes: each fine, the sum over the string limit. */
    const size_t chunk = 100000, chunks = 200;
    len = 1 + chunks * (5 + chunk) + 1;
    in = test_malloc(len);
    memset(in, 0, len);
    in[0] = 0x5f;
    for (size_t i = 0; i < chunks; i++) {
        uint8_t *h = in + 1 + i * (5 + chunk);
        h[0] = 0x5a, h[1] = 0, h[2] = (uint8_t)(chunk >> 16), h[3] = (uint8_t)(chunk >> 8),
        h[4] = (uint8_t)chunk;
    }
    in[len - 1] = 0xff;
    mobid_alloc_fail_after(0);
    assert_int_equal(mobid_cbor_decode(mobid_view_make(in, len), NULL, &it, NULL),
                     MOBID_ERR_TOO_BIG);
    mobid_alloc_fail_after(-1);
    mobid_cbor_limits lim = mobid_cbor_default_limits;
    lim.max_string = chunk * chunks;
    assert_int_equal(mobid_cbor_decode_exact(mobid_view_make(in, len), &lim, &it), MOBID_OK);
    assert_int_equal(it.arg, chunk * chunks);
    test_free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_cases),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_truncated_device_response),
        cmocka_unit_test(test_truncated_builtin),
        cmocka_unit_test(test_trailing_bytes),
        cmocka_unit_test(test_limit_floods),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
