/* lib/cbor decoder: spans, iterators, map lookups, accessors, tag 24, limits. */
#include "testutil.h"

#include <mobid/cbor.h>
#include <string.h>

/* Decode hex (exactly one item) with allocation forbidden; the buffer keeps
 * the bytes alive for the item's views. */
static mobid_err decode_hex(const char *hex, const mobid_cbor_limits *lim, mobid_buf *bytes,
                            mobid_cbor_item *out)
{
    tu_hex(hex, bytes);
    mobid_alloc_fail_after(0);
    mobid_err err = mobid_cbor_decode_exact(mobid_buf_view(bytes), lim, out);
    mobid_alloc_fail_after(-1);
    return err;
}

static void test_spans(void **state)
{
    (void)state;
    /* {"a": [1, 24(h'6449455446')], 2: -3} with a non-shortest head on 1
     * (1801): spans are the received bytes, never a re-encoding. */
    mobid_buf b;
    mobid_cbor_item map, arr, el, key;
    assert_int_equal(decode_hex("a2616182 1801 d818456449455446 02 22", NULL, &b, &map), MOBID_OK);
    assert_int_equal(map.type, MOBID_CBOR_MAP);
    assert_int_equal(map.arg, 2);
    assert_ptr_equal(map.span.ptr, b.ptr);
    assert_int_equal(map.span.len, b.len);

    assert_int_equal(mobid_cbor_map_get_text(&map, "a", &arr), MOBID_OK);
    assert_int_equal(arr.type, MOBID_CBOR_ARRAY);
    assert_ptr_equal(arr.span.ptr, b.ptr + 3);
    assert_int_equal(arr.span.len, 1 + 2 + 8);

    mobid_cbor_iter it;
    mobid_cbor_iter_init(&it, &arr);
    assert_int_equal(mobid_cbor_iter_next(&it, &el), MOBID_OK);
    assert_int_equal(el.type, MOBID_CBOR_UINT);
    assert_int_equal(el.arg, 1);
    assert_int_equal(el.span.len, 2); /* 1801 as received */
    assert_int_equal(mobid_cbor_iter_next(&it, &el), MOBID_OK);
    assert_int_equal(el.type, MOBID_CBOR_TAG);
    assert_int_equal(el.arg, 24);
    assert_ptr_equal(el.span.ptr, b.ptr + 6);
    assert_int_equal(el.span.len, 8);
    assert_int_equal(mobid_cbor_iter_next(&it, &el), MOBID_ERR_NOT_FOUND);
    assert_int_equal(mobid_cbor_iter_next(&it, &el), MOBID_ERR_NOT_FOUND);

    assert_int_equal(mobid_cbor_map_get_int(&map, 2, &el), MOBID_OK);
    int64_t v;
    assert_int_equal(mobid_cbor_get_int64(&el, &v), MOBID_OK);
    assert_int_equal(v, -3);
    assert_int_equal(mobid_cbor_map_get_int(&map, 3, &el), MOBID_ERR_NOT_FOUND);
    assert_int_equal(mobid_cbor_map_get_text(&map, "b", &el), MOBID_ERR_NOT_FOUND);
    assert_int_equal(mobid_cbor_map_get_text(&arr, "a", &el), MOBID_ERR_MALFORMED);

    /* Walking a map yields key, value, key, value. */
    mobid_cbor_iter_init(&it, &map);
    assert_int_equal(mobid_cbor_iter_next(&it, &key), MOBID_OK);
    assert_int_equal(key.type, MOBID_CBOR_TEXT);
    assert_true(mobid_view_eq_str(key.str, "a"));
    mobid_buf_free(&b);
}

static void test_indefinite(void **state)
{
    (void)state;
    mobid_buf b;
    mobid_cbor_item it, child;
    /* [_ 1, [_ ], {_ "a": 2}] */
    assert_int_equal(decode_hex("9f 01 9fff bf616102ff ff", NULL, &b, &it), MOBID_OK);
    assert_true(it.indefinite);
    assert_int_equal(it.arg, 3);
    mobid_cbor_iter iter;
    mobid_cbor_iter_init(&iter, &it);
    size_t n = 0;
    while (mobid_cbor_iter_next(&iter, &child) == MOBID_OK) {
        if (n == 1) {
            assert_true(child.indefinite);
            assert_int_equal(child.arg, 0);
            assert_int_equal(child.span.len, 2);
        }
        if (n == 2) {
            mobid_cbor_item v;
            assert_int_equal(child.arg, 1); /* one pair */
            assert_int_equal(mobid_cbor_map_get_text(&child, "a", &v), MOBID_OK);
            assert_int_equal(v.arg, 2);
        }
        n++;
    }
    assert_int_equal(n, 3);
    mobid_buf_free(&b);

    /* A definite array holding an indefinite one deeper down: [[[_ 1]], 2]. */
    assert_int_equal(decode_hex("82 81 9f01ff 02", NULL, &b, &it), MOBID_OK);
    mobid_cbor_iter_init(&iter, &it);
    assert_int_equal(mobid_cbor_iter_next(&iter, &child), MOBID_OK);
    assert_int_equal(child.span.len, 4);
    assert_false(child.indefinite);
    assert_int_equal(mobid_cbor_iter_next(&iter, &child), MOBID_OK);
    assert_int_equal(child.arg, 2);
    assert_ptr_equal(child.span.ptr, b.ptr + 5);
    mobid_buf_free(&b);

    /* (_ "ab", "", "c"): total length, chunks walked, no flat view. */
    assert_int_equal(decode_hex("7f 626162 60 6163 ff", NULL, &b, &it), MOBID_OK);
    assert_int_equal(it.type, MOBID_CBOR_TEXT);
    assert_int_equal(it.arg, 3);
    assert_int_equal(it.str.len, 0);
    mobid_view text;
    assert_int_equal(mobid_cbor_get_text(&it, &text), MOBID_ERR_MALFORMED);
    mobid_cbor_iter_init(&iter, &it);
    char joined[8] = { 0 };
    while (mobid_cbor_iter_next(&iter, &child) == MOBID_OK)
        strncat(joined, (const char *)child.str.ptr, child.str.len);
    assert_string_equal(joined, "abc");
    mobid_buf_free(&b);
}

static void test_accessors(void **state)
{
    (void)state;
    mobid_buf b;
    mobid_cbor_item it;
    int64_t i;
    uint64_t u;
    bool flag;
    mobid_view v;

    assert_int_equal(decode_hex("1b7fffffffffffffff", NULL, &b, &it), MOBID_OK);
    assert_int_equal(mobid_cbor_get_int64(&it, &i), MOBID_OK);
    assert_true(i == INT64_MAX);
    mobid_buf_free(&b);
    assert_int_equal(decode_hex("1b8000000000000000", NULL, &b, &it), MOBID_OK);
    assert_int_equal(mobid_cbor_get_int64(&it, &i), MOBID_ERR_MALFORMED);
    assert_int_equal(mobid_cbor_get_uint64(&it, &u), MOBID_OK);
    assert_true(u == 0x8000000000000000ull);
    mobid_buf_free(&b);
    assert_int_equal(decode_hex("3b7fffffffffffffff", NULL, &b, &it), MOBID_OK);
    assert_int_equal(mobid_cbor_get_int64(&it, &i), MOBID_OK);
    assert_true(i == INT64_MIN);
    assert_int_equal(mobid_cbor_get_uint64(&it, &u), MOBID_ERR_MALFORMED);
    mobid_buf_free(&b);
    assert_int_equal(decode_hex("3b8000000000000000", NULL, &b, &it), MOBID_OK);
    assert_int_equal(mobid_cbor_get_int64(&it, &i), MOBID_ERR_MALFORMED);
    mobid_buf_free(&b);

    assert_int_equal(decode_hex("f5", NULL, &b, &it), MOBID_OK);
    assert_int_equal(mobid_cbor_get_bool(&it, &flag), MOBID_OK);
    assert_true(flag);
    assert_false(mobid_cbor_is_null(&it));
    mobid_buf_free(&b);
    assert_int_equal(decode_hex("f6", NULL, &b, &it), MOBID_OK);
    assert_true(mobid_cbor_is_null(&it));
    assert_int_equal(mobid_cbor_get_bool(&it, &flag), MOBID_ERR_MALFORMED);
    mobid_buf_free(&b);

    assert_int_equal(decode_hex("4401020304", NULL, &b, &it), MOBID_OK);
    assert_int_equal(mobid_cbor_get_bytes(&it, &v), MOBID_OK);
    assert_int_equal(v.len, 4);
    assert_ptr_equal(v.ptr, b.ptr + 1);
    assert_int_equal(mobid_cbor_get_text(&it, &v), MOBID_ERR_MALFORMED);
    assert_int_equal(mobid_cbor_get_int64(&it, &i), MOBID_ERR_MALFORMED);
    mobid_buf_free(&b);

    /* Floats of each size. */
    assert_int_equal(decode_hex("fa47c35000", NULL, &b, &it), MOBID_OK);
    assert_int_equal(it.type, MOBID_CBOR_FLOAT);
    assert_int_equal(it.float_size, 4);
    assert_true(it.f == 100000.0);
    mobid_buf_free(&b);
    assert_int_equal(decode_hex("f90001", NULL, &b, &it), MOBID_OK);
    assert_int_equal(it.float_size, 2);
    assert_true(it.f == 5.9604644775390625e-8);
    mobid_buf_free(&b);
}

static void test_embedded(void **state)
{
    (void)state;
    mobid_buf b;
    mobid_cbor_item tag, inner;
    mobid_view bytes;
    /* 24(<< {"x": 1} >>) */
    assert_int_equal(decode_hex("d81844a1617801", NULL, &b, &tag), MOBID_OK);
    assert_int_equal(mobid_cbor_get_embedded(&tag, NULL, &inner, &bytes), MOBID_OK);
    assert_int_equal(inner.type, MOBID_CBOR_MAP);
    assert_ptr_equal(bytes.ptr, b.ptr + 3);
    assert_int_equal(bytes.len, 4);
    assert_ptr_equal(inner.span.ptr, bytes.ptr);
    mobid_buf_free(&b);

    /* Embedded bytes that are not one well-formed item. */
    const char *bad[] = { "d81843a16178", "d81843a1ff00", "d8184118", "d818420000", "d81801",
                          "c14100" };
    mobid_err want[] = { MOBID_ERR_TRUNCATED, MOBID_ERR_MALFORMED, MOBID_ERR_TRUNCATED,
                         MOBID_ERR_MALFORMED, MOBID_ERR_MALFORMED, MOBID_ERR_MALFORMED };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        assert_int_equal(decode_hex(bad[k], NULL, &b, &tag), MOBID_OK);
        assert_int_equal(mobid_cbor_get_embedded(&tag, NULL, &inner, NULL), want[k]);
        mobid_buf_free(&b);
    }
}

static void test_limits(void **state)
{
    (void)state;
    mobid_buf b;
    mobid_cbor_item it;
    mobid_cbor_limits lim = mobid_cbor_default_limits;

    /* [[[1]]] nests three deep; a tag counts as a level too. */
    lim.max_depth = 3;
    assert_int_equal(decode_hex("81818101", &lim, &b, &it), MOBID_OK);
    mobid_buf_free(&b);
    lim.max_depth = 2;
    assert_int_equal(decode_hex("81818101", &lim, &b, &it), MOBID_ERR_TOO_DEEP);
    mobid_buf_free(&b);
    assert_int_equal(decode_hex("81c101", &lim, &b, &it), MOBID_OK);
    mobid_buf_free(&b);
    assert_int_equal(decode_hex("81c1c101", &lim, &b, &it), MOBID_ERR_TOO_DEEP);
    mobid_buf_free(&b);
    lim.max_depth = 0;
    assert_int_equal(decode_hex("01", &lim, &b, &it), MOBID_OK);
    mobid_buf_free(&b);
    assert_int_equal(decode_hex("80", &lim, &b, &it), MOBID_OK); /* empty: nothing inside */
    mobid_buf_free(&b);
    assert_int_equal(decode_hex("8101", &lim, &b, &it), MOBID_ERR_TOO_DEEP);
    mobid_buf_free(&b);

    /* Items: [1, 2] is three items. */
    lim = mobid_cbor_default_limits;
    lim.max_items = 3;
    assert_int_equal(decode_hex("820102", &lim, &b, &it), MOBID_OK);
    mobid_buf_free(&b);
    lim.max_items = 2;
    assert_int_equal(decode_hex("820102", &lim, &b, &it), MOBID_ERR_TOO_BIG);
    mobid_buf_free(&b);
    lim.max_items = 3; /* a break is not an item */
    assert_int_equal(decode_hex("9f0102ff", &lim, &b, &it), MOBID_OK);
    mobid_buf_free(&b);
    assert_int_equal(decode_hex("9f010203ff", &lim, &b, &it), MOBID_ERR_TOO_BIG);
    mobid_buf_free(&b);

    /* String length, chunks summed. */
    lim = mobid_cbor_default_limits;
    lim.max_string = 4;
    assert_int_equal(decode_hex("4401020304", &lim, &b, &it), MOBID_OK);
    mobid_buf_free(&b);
    assert_int_equal(decode_hex("450102030405", &lim, &b, &it), MOBID_ERR_TOO_BIG);
    mobid_buf_free(&b);
    assert_int_equal(decode_hex("5f 43010203 42 0405 ff", &lim, &b, &it), MOBID_ERR_TOO_BIG);
    mobid_buf_free(&b);
    assert_int_equal(decode_hex("5f 43010203 41 04 ff", &lim, &b, &it), MOBID_OK);
    assert_int_equal(it.arg, 4);
    mobid_buf_free(&b);
}

/* Depth limits above MOBID_CBOR_DEPTH_CAP are clamped to it. */
static void test_depth_cap(void **state)
{
    (void)state;
    mobid_cbor_limits lim = mobid_cbor_default_limits;
    lim.max_depth = 1000000;
    size_t n = MOBID_CBOR_DEPTH_CAP;
    uint8_t *in = test_malloc(n + 2);
    memset(in, 0x81, n + 1);
    in[n] = 0x00; /* n arrays around 0: depth n */
    mobid_cbor_item it, cur;
    assert_int_equal(mobid_cbor_decode_exact(mobid_view_make(in, n + 1), &lim, &it), MOBID_OK);
    /* Walking to the bottom through the iterators works too. */
    cur = it;
    size_t levels = 0;
    while (cur.type == MOBID_CBOR_ARRAY) {
        mobid_cbor_iter iter;
        mobid_cbor_iter_init(&iter, &cur);
        assert_int_equal(mobid_cbor_iter_next(&iter, &cur), MOBID_OK);
        levels++;
    }
    assert_int_equal(levels, n);
    in[n] = 0x81;
    in[n + 1] = 0x00;
    assert_int_equal(mobid_cbor_decode_exact(mobid_view_make(in, n + 2), &lim, &it),
                     MOBID_ERR_TOO_DEEP);
    test_free(in);
}

static void test_consumed(void **state)
{
    (void)state;
    mobid_buf b;
    mobid_cbor_item it;
    size_t used = 99;
    tu_hex("830102030405", &b);
    assert_int_equal(mobid_cbor_decode(mobid_buf_view(&b), NULL, &it, &used), MOBID_OK);
    assert_int_equal(used, 4);
    assert_int_equal(it.span.len, 4);
    assert_int_equal(mobid_cbor_decode_exact(mobid_buf_view(&b), NULL, &it), MOBID_ERR_MALFORMED);
    assert_int_equal(mobid_cbor_decode(mobid_view_make(NULL, 0), NULL, &it, NULL),
                     MOBID_ERR_TRUNCATED);
    assert_int_equal(mobid_cbor_decode(mobid_view_make(NULL, 3), NULL, &it, NULL),
                     MOBID_ERR_INVALID_ARG);
    assert_int_equal(mobid_cbor_decode(mobid_buf_view(&b), NULL, NULL, NULL),
                     MOBID_ERR_INVALID_ARG);
    mobid_buf_free(&b);
}

static void test_diag_misc(void **state)
{
    (void)state;
    mobid_buf b, d;
    mobid_buf_init(&d, 0);
    /* Control characters are escaped; several items give several lines. */
    tu_hex("62 0a01 f8 20 c2 41 00 d9 0100 80", &b);
    assert_int_equal(mobid_cbor_diag(mobid_buf_view(&b), NULL, &d), MOBID_OK);
    mobid_buf_terminate(&d);
    assert_string_equal((const char *)d.ptr, "\"\\u000a\\u0001\"\nsimple(32)\n0\n256([])\n");
    mobid_buf_free(&b);
    /* A bad item after good ones: the good lines stay, the error is returned. */
    d.len = 0;
    tu_hex("01 ff", &b);
    assert_int_equal(mobid_cbor_diag(mobid_buf_view(&b), NULL, &d), MOBID_ERR_MALFORMED);
    assert_int_equal(d.len, 2);
    mobid_buf_free(&b);
    mobid_buf_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spans),     cmocka_unit_test(test_indefinite),
        cmocka_unit_test(test_accessors), cmocka_unit_test(test_embedded),
        cmocka_unit_test(test_limits),    cmocka_unit_test(test_depth_cap),
        cmocka_unit_test(test_consumed),  cmocka_unit_test(test_diag_misc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
