/* lib/jose mobid_json_parse: its fast path must accept exactly what jansson accepts (with
 * JSON_REJECT_DUPLICATES | JSON_DECODE_ANY) and build the same value, member order
 * included. mobid_json_dump: the same bytes as jansson's compact dump, keys sorted or
 * not. Hand-picked edge cases, then many deterministic mutations of a payload. */
#include "testutil.h"

#include <mobid/jose.h>
#include <stdlib.h>
#include <string.h>

/* The reference: jansson alone, dumped with member order kept. */
static char *reference(const uint8_t *p, size_t n)
{
    json_error_t e;
    json_t *j = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &e);
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER) : NULL;
    json_decref(j);
    return s;
}

/* mobid_json_dump writes what jansson's compact dump writes, sorted and not. */
static void check_dump(const json_t *j)
{
    for (int sort = 0; sort < 2; sort++) {
        mobid_buf b;
        mobid_buf_init(&b, 0);
        char *want = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | (sort ? JSON_SORT_KEYS : 0));
        assert_non_null(want);
        assert_int_equal(mobid_json_dump(j, sort, &b), MOBID_OK);
        if (b.len != strlen(want) || memcmp(b.ptr, want, b.len) != 0)
            fail_msg("dump differs (sort %d): %.*s vs %s", sort, (int)b.len, (const char *)b.ptr,
                     want);
        free(want);
        mobid_buf_free(&b);
    }
}

/* mobid_json_parse agrees with the reference on acceptance and on the value. Returns
 * whether the input was accepted. */
static bool check_same(const uint8_t *p, size_t n)
{
    json_t *j = NULL;
    mobid_err err = mobid_json_parse(mobid_view_make(p, n), 0, &j);
    char *want = reference(p, n);
    if (!want) {
        if (err != MOBID_ERR_MALFORMED)
            fail_msg("accepted or wrong code (%s) for rejected input: %.*s", mobid_err_name(err),
                     (int)n, (const char *)p);
        assert_null(j);
        return false;
    }
    if (err != MOBID_OK)
        fail_msg("rejected (%s) valid input: %.*s", mobid_err_name(err), (int)n,
                 (const char *)p);
    char *got = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
    assert_non_null(got);
    if (strcmp(got, want) != 0)
        fail_msg("value differs for %.*s: %s vs %s", (int)n, (const char *)p, got, want);
    free(got);
    free(want);
    check_dump(j);
    json_decref(j);
    return true;
}

static bool check_str(const char *s) { return check_same((const uint8_t *)s, strlen(s)); }

static void test_cases(void **state)
{
    (void)state;
    static const char *const ok[] = {
        "{}", "[]", " {\"a\" : 1 , \"b\":[true,false,null]}\r\n", "0", "-0", "-12",
        "9223372036854775807", "-9223372036854775808", "\"\"", "{\"\":\"\"}",
        "{\"b\":1,\"a\":2,\"c\":{\"z\":[],\"y\":{}}}", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
        "[1.5, 2e3, -0.0e-1]", "\"a\\\"b\\u00e9\\/\"", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
        "{\"\xed\x9f\xbf\":1}", "\"\xf4\x8f\xbf\xbf\"",
    };
    static const char *const bad[] = {
        "", " ", "{", "}", "[1,]", "{\"a\":1,}", "{\"a\":1,\"a\":2}", "{\"a\" 1}", "01", "-",
        "1 2", "tru", "truex", "nul", "[1]x", "9223372036854775808", "-9223372036854775809",
        "\"\x01\"", "\"\xc0\xaf\"", "\"\xe0\x80\xaf\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"",
        "\"\xf5\x80\x80\x80\"", "\"\x80\"", "\"\xc3\"", "\"abc", "{'a':1}", "[1 2]", "\xef\xbb\xbf{}",
        "{\"a\":1}}", "\"\\u0000\"", "1e999", "{\"a\":[1,{\"a\":1,\"a\":2}]}",
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        assert_true(check_str(ok[i]));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(check_str(bad[i]));
    static const uint8_t nul_inside[] = { '"', 'a', 0, 'b', '"' };
    static const uint8_t nul_after[] = { '1', 0 };
    assert_false(check_same(nul_inside, sizeof nul_inside));
    /* jansson stops reading at a NUL after a value; whatever it decides, both agree. */
    (void)check_same(nul_after, sizeof nul_after);
}

/* Values the parser never makes: control characters and NUL inside strings and keys,
 * members in reverse order, wide objects, deep nesting, reals. */
static void test_dump_cases(void **state)
{
    (void)state;
    static const char ctl[] = { 'a', 0, 1, 0x1f, '\b', '\f', '\n', '\r', '\t', '"', '\\', '/', 0x7f, 'z' };
    json_t *j = json_object(), *deep = json_array(), *wide = json_object();
    char key[16];
    assert_int_equal(json_object_set_new(j, "z", json_stringn(ctl, sizeof ctl)), 0);
    assert_int_equal(json_object_setn_new(j, "k\0\n", 3, json_integer(-9)), 0);
    assert_int_equal(json_object_set_new(j, "a", json_pack("[n,b,{},i]", 1, -1)), 0);
    assert_int_equal(json_object_set_new(j, "\xc3\xa9", json_string("\xf0\x9f\x98\x80")), 0);
    assert_int_equal(json_object_set_new(j, "", json_array()), 0);
    check_dump(j);
    json_t *reals = json_pack("[f,f,{s:f}]", 0.5, 1e300, "x", -2.0);
    check_dump(reals);
    json_decref(reals);
    for (int i = 0; i < 100; i++) {
        json_t *inner = json_array();
        json_array_append_new(inner, deep);
        deep = inner;
        snprintf(key, sizeof key, "k%03d", 99 - i);
        json_object_set_new(wide, key, json_integer(i));
    }
    check_dump(deep);
    check_dump(wide);
    json_decref(j);
    json_decref(deep);
    json_decref(wide);
}

/* A payload shaped like an SD-JWT VC's, mutated byte by byte with a fixed seed. */
static void test_mutations(void **state)
{
    (void)state;
    static const char base[] =
        "{\"_sd\":[\"09vKrJMOlyTWM0sjpu_pdOBVBQ2M1y3KhpH515nXkpY\",\"2rsjGbaC0ky8mT0pJrPioWTq0_daw1sX76poUlgCwbI\"],"
        "\"iss\":\"https://issuer.example\",\"iat\":1683000000,\"exp\":1883000000,\"vct\":\"urn:x\","
        "\"_sd_alg\":\"sha-256\",\"cnf\":{\"jwk\":{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"TCAER19Zvu3OHF4j4W4vfSVoHIP1ILilDls7vCeGemc\","
        "\"y\":\"ZxjiWWbZMQGHVWKVQ4hbSIirsVfuecCE6t4jT9F2HZQ\"}},\"n\":[null,true,false,-5,0,{}],\"s\":\"\xc3\xa9\"}";
    static const uint8_t pool[] = { '{', '}', '[', ']', '"', ':', ',', '\\', '-', '0', '1', '.',
                                    'e', 't', 'n', ' ', 0, 0x7f, 0x80, 0xc3, 0xed, 0xf4, 'a' };
    size_t n = sizeof base - 1, accepted = 0;
    uint8_t *buf = malloc(n + 4);
    assert_non_null(buf);
    uint32_t seed = 12345;
    assert_true(check_str(base));
    for (int round = 0; round < 20000; round++) {
        memcpy(buf, base, n);
        size_t len = n;
        for (int k = 0; k < 1 + round % 3; k++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 8) % len;
            seed = seed * 1103515245u + 12345u;
            uint8_t c = (seed >> 16) & 1 ? pool[(seed >> 8) % sizeof pool] : (uint8_t)(seed >> 20);
            if ((seed >> 4) % 5 == 0 && len > 1) { /* delete a byte */
                memmove(buf + at, buf + at + 1, len - at - 1);
                len--;
            } else
                buf[at] = c;
        }
        accepted += check_same(buf, len);
    }
    /* Both outcomes occur, so the comparison exercised both. */
    assert_true(accepted > 100 && accepted < 19900);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_mutations),
        cmocka_unit_test(test_dump_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
