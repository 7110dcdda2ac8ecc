/* Known-bad form bodies: every one is refused with the stated code and leaves nothing. */
#include "testutil.h"
#include "http/form.h"

#include <string.h>

typedef struct bad_case {
    const char *body;
    size_t len; /* 0 = strlen */
    mobid_err err;
    const char *why;
} bad_case;

static const bad_case cases[] = {
    { "a=%", 0, MOBID_ERR_MALFORMED, "escape cut off" },
    { "a=%4", 0, MOBID_ERR_MALFORMED, "escape with one digit" },
    { "a=%zz", 0, MOBID_ERR_MALFORMED, "escape with non-hex digits" },
    { "a=%00", 0, MOBID_ERR_MALFORMED, "escaped NUL" },
    { "a=x\0y", 5, MOBID_ERR_MALFORMED, "raw NUL" },
    { "a=%C0%AF", 0, MOBID_ERR_MALFORMED, "overlong UTF-8" },
    { "a=%ED%A0%80", 0, MOBID_ERR_MALFORMED, "UTF-16 surrogate in UTF-8" },
    { "a=%F4%90%80%80", 0, MOBID_ERR_MALFORMED, "above U+10FFFF" },
    { "a=%E2%82", 0, MOBID_ERR_MALFORMED, "truncated UTF-8 sequence" },
    { "a=\xff", 0, MOBID_ERR_MALFORMED, "raw invalid byte" },
    { "=value", 0, MOBID_ERR_MALFORMED, "empty name" },
    { "%zz=1", 0, MOBID_ERR_MALFORMED, "bad escape in a name" },
    { "ok=1&a=%g0", 0, MOBID_ERR_MALFORMED, "second pair bad" },
};

static void test_bad_forms(void **state)
{
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const bad_case *c = &cases[i];
        mobid_http_form f = { 1, (mobid_http_field *)&f };
        mobid_view body = mobid_view_make(c->body, c->len ? c->len : strlen(c->body));
        mobid_err err = mobid_http_form_parse(body, 0, &f);
        if (err != c->err)
            fail_msg("case %zu (%s): got %s", i, c->why, mobid_err_name(err));
        assert_int_equal(f.n, 0);
        assert_null(f.fields);
    }
}

static void test_too_many_fields(void **state)
{
    mobid_buf b;
    mobid_buf_init(&b, 0);
    for (int i = 0; i < 65; i++)
        mobid_http_form_append(&b, "k", "v");
    mobid_http_form f;
    assert_int_equal(mobid_http_form_parse(mobid_buf_view(&b), 0, &f), MOBID_ERR_TOO_BIG);
    assert_int_equal(mobid_http_form_parse(mobid_buf_view(&b), 100, &f), MOBID_OK);
    /* Repeated parameters are refused at lookup (RFC 6749 §3.1). */
    const char *v = NULL;
    assert_int_equal(mobid_http_form_get(&f, "k", &v), MOBID_ERR_MALFORMED);
    mobid_http_form_free(&f);
    mobid_buf_free(&b);
}

static void test_alloc_failure(void **state)
{
    mobid_http_form f;
    mobid_alloc_fail_after(0);
    mobid_err err = mobid_http_form_parse(mobid_view_str("a=1"), 0, &f);
    mobid_alloc_fail_after(-1);
    assert_int_equal(err, MOBID_ERR_NOMEM);
    assert_null(f.fields);
}

static void test_urldecode(void **state)
{
    mobid_buf b;
    mobid_buf_init(&b, 0);
    assert_int_equal(mobid_http_urldecode(mobid_view_str("%E D"), &b), MOBID_ERR_MALFORMED);
    mobid_buf_free(&b);
    mobid_buf_init(&b, 0);
    assert_int_equal(mobid_http_urldecode(mobid_view_str("%ED%95%9C+x"), &b), MOBID_OK);
    assert_int_equal(b.len, 5);
    assert_memory_equal(b.ptr, "\xed\x95\x9c x", 5);
    mobid_buf_free(&b);
}

/* Encoding escapes exactly the reserved bytes, in runs or alone, and a form built
 * with it parses back to the same values. */
static void test_urlencode(void **state)
{
    (void)state;
    mobid_buf b;
    mobid_http_form f;
    const char *v = NULL;
    mobid_buf_init(&b, 0);
    assert_int_equal(mobid_http_urlencode(&b, mobid_view_str("")), MOBID_OK);
    assert_int_equal(b.len, 0);
    assert_int_equal(mobid_http_urlencode(&b, mobid_view_str("a b&c=d~e.f_g-h/\xed\x95\x9c%")), MOBID_OK);
    assert_int_equal(b.len, strlen("a%20b%26c%3Dd~e.f_g-h%2F%ED%95%9C%25"));
    assert_memory_equal(b.ptr, "a%20b%26c%3Dd~e.f_g-h%2F%ED%95%9C%25", b.len);
    b.len = 0;
    assert_int_equal(mobid_http_form_append(&b, "response", "eyJ.a-b_c.~"), MOBID_OK);
    assert_int_equal(mobid_http_form_append(&b, "state", "&="), MOBID_OK);
    assert_int_equal(mobid_http_form_parse(mobid_buf_view(&b), 0, &f), MOBID_OK);
    assert_int_equal(mobid_http_form_get(&f, "response", &v), MOBID_OK);
    assert_string_equal(v, "eyJ.a-b_c.~");
    assert_int_equal(mobid_http_form_get(&f, "state", &v), MOBID_OK);
    assert_string_equal(v, "&=");
    mobid_http_form_free(&f);
    mobid_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_forms),
        cmocka_unit_test(test_too_many_fields),
        cmocka_unit_test(test_alloc_failure),
        cmocka_unit_test(test_urldecode),
        cmocka_unit_test(test_urlencode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
