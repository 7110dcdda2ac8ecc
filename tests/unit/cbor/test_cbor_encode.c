/* lib/cbor encoder: shortest forms, map sorting, bstr wrapping, size-only
 * pass, nesting and argument errors. */
#include "testutil.h"

#include <math.h>
#include <mobid/cbor.h>
#include <string.h>

typedef void (*build_fn)(mobid_cbor_enc *e);

/* Run build twice, for real and size-only; both must succeed, agree on the
 * size, and produce `hex`. */
static void expect(build_fn build, const char *hex)
{
    mobid_buf out, want;
    mobid_cbor_enc e;
    mobid_buf_init(&out, 0);
    tu_hex(hex, &want);
    mobid_cbor_enc_init(&e, &out);
    build(&e);
    assert_int_equal(mobid_cbor_enc_finish(&e), MOBID_OK);
    if (!mobid_view_eq(mobid_buf_view(&out), mobid_buf_view(&want))) {
        mobid_buf got;
        mobid_buf_init(&got, 0);
        mobid_hex_encode(mobid_buf_view(&out), &got);
        mobid_buf_terminate(&got);
        fail_msg("encoded %s, expected %s", (const char *)got.ptr, hex);
    }
    assert_int_equal(e.size, out.len);
    mobid_cbor_enc_init(&e, NULL);
    build(&e);
    assert_int_equal(mobid_cbor_enc_finish(&e), MOBID_OK);
    assert_int_equal(e.size, want.len);
    mobid_buf_free(&out);
    mobid_buf_free(&want);
}

/* Run build; finish must report err. */
static void expect_err(build_fn build, mobid_err err)
{
    mobid_buf out;
    mobid_cbor_enc e;
    mobid_buf_init(&out, 0);
    mobid_cbor_enc_init(&e, &out);
    build(&e);
    assert_int_equal(mobid_cbor_enc_finish(&e), err);
    mobid_buf_free(&out);
}

static void ints(mobid_cbor_enc *e)
{
    mobid_cbor_array_begin(e);
    uint64_t u[] = { 0, 23, 24, 255, 256, 65535, 65536, 4294967295u, 4294967296u, UINT64_MAX };
    for (size_t i = 0; i < sizeof u / sizeof *u; i++)
        mobid_cbor_put_uint(e, u[i]);
    mobid_cbor_put_int(e, -1);
    mobid_cbor_put_int(e, -24);
    mobid_cbor_put_int(e, -25);
    mobid_cbor_put_int(e, INT64_MIN);
    mobid_cbor_put_negint(e, UINT64_MAX);
    mobid_cbor_array_end(e);
}

static void test_ints(void **state)
{
    (void)state;
    expect(ints, "8f 00 17 1818 18ff 190100 19ffff 1a00010000 1affffffff 1b0000000100000000"
                 "1bffffffffffffffff 20 37 3818 3b7fffffffffffffff 3bffffffffffffffff");
}

static void floats(mobid_cbor_enc *e)
{
    double v[] = { 0.0, -0.0, 1.0, 1.5, 65504.0, 65505.0, 100000.0, 1.1,
                   ldexp(1, -24), ldexp(1, -25), ldexp(1, -14), ldexp(1, -149),
                   3.4028234663852886e+38, 1e39, 1e300, -4.0, INFINITY, -INFINITY, NAN };
    for (size_t i = 0; i < sizeof v / sizeof *v; i++)
        mobid_cbor_put_float(e, v[i]);
}

static void test_floats(void **state)
{
    (void)state;
    expect(floats, "f90000 f98000 f93c00 f93e00 f97bff fa477fe100 fa47c35000 fb3ff199999999999a"
                   "f90001 fa33000000 f90400 fa00000001 fa7f7fffff fb48078287f49c4a1d"
                   "fb7e37e43c8800759c f9c400 f97c00 f9fc00 f97e00");
}

/* Keys given out of order; deterministic order compares encoded bytes:
 * 0a (10) < 1864 (100) < 20 (-1) < 4100 (h'00') < 6161 ("a") < 6162 ("b") <
 * 626161 ("aa"). */
static void sorted_map(mobid_cbor_enc *e)
{
    mobid_cbor_map_begin(e);
    mobid_cbor_put_cstr(e, "b");
    mobid_cbor_put_uint(e, 1);
    mobid_cbor_put_int(e, -1);
    mobid_cbor_put_uint(e, 2);
    mobid_cbor_put_cstr(e, "aa");
    mobid_cbor_put_uint(e, 3);
    mobid_cbor_put_uint(e, 100);
    mobid_cbor_array_begin(e); /* a container value moves with its key */
    mobid_cbor_put_uint(e, 4);
    mobid_cbor_array_end(e);
    mobid_cbor_put_bytes(e, mobid_view_make("\0", 1));
    mobid_cbor_put_uint(e, 5);
    mobid_cbor_put_cstr(e, "a");
    mobid_cbor_put_uint(e, 6);
    mobid_cbor_put_uint(e, 10);
    mobid_cbor_put_uint(e, 7);
    mobid_cbor_map_end(e);
}

static void test_map_sorting(void **state)
{
    (void)state;
    expect(sorted_map, "a7 0a07 18648104 2002 410005 616106 616201 62616103");
}

static void dup_keys(mobid_cbor_enc *e)
{
    mobid_cbor_map_begin(e);
    mobid_cbor_put_cstr(e, "k");
    mobid_cbor_put_uint(e, 1);
    mobid_cbor_put_cstr(e, "j");
    mobid_cbor_put_uint(e, 2);
    mobid_cbor_put_cstr(e, "k");
    mobid_cbor_put_uint(e, 3);
    mobid_cbor_map_end(e);
}

static void dup_keys_sorted(mobid_cbor_enc *e)
{
    mobid_cbor_map_begin(e);
    mobid_cbor_put_uint(e, 1);
    mobid_cbor_put_uint(e, 1);
    mobid_cbor_put_uint(e, 1);
    mobid_cbor_put_uint(e, 2);
    mobid_cbor_map_end(e);
}

static void test_duplicate_keys(void **state)
{
    (void)state;
    expect_err(dup_keys, MOBID_ERR_MALFORMED);
    expect_err(dup_keys_sorted, MOBID_ERR_MALFORMED);
}

/* 24 pairs need a two-byte head, so content is shifted; written in reverse. */
static void big_map(mobid_cbor_enc *e)
{
    mobid_cbor_map_begin(e);
    for (int i = 23; i >= 0; i--) {
        mobid_cbor_put_uint(e, (uint64_t)i);
        mobid_cbor_put_bool(e, i % 2);
    }
    mobid_cbor_map_end(e);
}

static void test_big_map(void **state)
{
    (void)state;
    expect(big_map, "b818 00f4 01f5 02f4 03f5 04f4 05f5 06f4 07f5 08f4 09f5 0af4 0bf5 0cf4 0df5"
                    "0ef4 0ff5 10f4 11f5 12f4 13f5 14f4 15f5 16f4 17f5");
}

/* 24(<< {"k": h'..300 bytes..'} >>) and an empty protected header. */
static void wrapped(mobid_cbor_enc *e)
{
    static uint8_t blob[300];
    memset(blob, 0xab, sizeof blob);
    mobid_cbor_array_begin(e);
    mobid_cbor_put_tag(e, 24);
    mobid_cbor_bstr_begin(e);
    mobid_cbor_map_begin(e);
    mobid_cbor_put_cstr(e, "k");
    mobid_cbor_put_bytes(e, mobid_view_make(blob, sizeof blob));
    mobid_cbor_map_end(e);
    mobid_cbor_bstr_end(e);
    mobid_cbor_bstr_begin(e);
    mobid_cbor_bstr_end(e);
    mobid_cbor_array_end(e);
}

static void test_bstr_wrap(void **state)
{
    (void)state;
    mobid_buf out, want, hex;
    mobid_cbor_enc e;
    /* content: a1 616b 59012c <300 x ab> = 1 + 2 + 3 + 300 = 306 = 0x132 */
    mobid_buf_init(&hex, 0);
    mobid_buf_append_str(&hex, "82 d818 590132 a1 616b 59012c");
    for (int i = 0; i < 300; i++)
        mobid_buf_append_str(&hex, "ab");
    mobid_buf_append_str(&hex, " 40");
    mobid_buf_terminate(&hex);
    expect(wrapped, (const char *)hex.ptr);

    /* The embedded item decodes back through mobid_cbor_get_embedded. */
    mobid_buf_init(&out, 0);
    mobid_cbor_enc_init(&e, &out);
    wrapped(&e);
    assert_int_equal(mobid_cbor_enc_finish(&e), MOBID_OK);
    mobid_cbor_item arr, tag, inner, blob;
    assert_int_equal(mobid_cbor_decode_exact(mobid_buf_view(&out), NULL, &arr), MOBID_OK);
    mobid_cbor_iter it;
    mobid_cbor_iter_init(&it, &arr);
    assert_int_equal(mobid_cbor_iter_next(&it, &tag), MOBID_OK);
    assert_int_equal(mobid_cbor_get_embedded(&tag, NULL, &inner, NULL), MOBID_OK);
    assert_int_equal(mobid_cbor_map_get_text(&inner, "k", &blob), MOBID_OK);
    assert_int_equal(blob.str.len, 300);
    (void)want;
    mobid_buf_free(&out);
    mobid_buf_free(&hex);
}

/* Heads with a fixed count and tags count as one item of their parent. */
static void fixed_heads(mobid_cbor_enc *e)
{
    mobid_cbor_map_begin(e);
    mobid_cbor_put_cstr(e, "t");
    mobid_cbor_put_tag(e, 1);
    mobid_cbor_put_uint(e, 5);
    mobid_cbor_put_cstr(e, "a");
    mobid_cbor_put_array_head(e, 2);
    mobid_cbor_put_uint(e, 1);
    mobid_cbor_put_map_head(e, 0);
    mobid_cbor_put_cstr(e, "r");
    mobid_cbor_put_raw(e, mobid_view_make("\x82\x01\x02", 3));
    mobid_cbor_put_cstr(e, "n");
    mobid_cbor_put_null(e);
    mobid_cbor_put_cstr(e, "u");
    mobid_cbor_put_undefined(e);
    mobid_cbor_put_cstr(e, "s");
    mobid_cbor_put_simple(e, 32);
    mobid_cbor_map_end(e);
}

static void test_fixed_heads(void **state)
{
    (void)state;
    expect(fixed_heads, "a6 6161 8201a0 616e f6 6172 820102 6173 f820 6174 c105 6175 f7");
}

static void err_end_without_begin(mobid_cbor_enc *e) { mobid_cbor_array_end(e); }
static void err_mismatched_end(mobid_cbor_enc *e)
{
    mobid_cbor_map_begin(e);
    mobid_cbor_array_end(e);
}
static void err_open_at_finish(mobid_cbor_enc *e) { mobid_cbor_bstr_begin(e); }
static void err_odd_map(mobid_cbor_enc *e)
{
    mobid_cbor_map_begin(e);
    mobid_cbor_put_uint(e, 1);
    mobid_cbor_map_end(e);
}
static void err_fixed_unfilled(mobid_cbor_enc *e)
{
    mobid_cbor_array_begin(e);
    mobid_cbor_put_array_head(e, 2);
    mobid_cbor_put_uint(e, 1);
    mobid_cbor_array_end(e);
}
static void err_tag_dangling(mobid_cbor_enc *e) { mobid_cbor_put_tag(e, 24); }
static void err_too_deep(mobid_cbor_enc *e)
{
    for (int i = 0; i <= MOBID_CBOR_ENC_MAX_DEPTH; i++)
        mobid_cbor_array_begin(e);
}
static void err_simple(mobid_cbor_enc *e) { mobid_cbor_put_simple(e, 24); }
static void err_utf8(mobid_cbor_enc *e) { mobid_cbor_put_text(e, mobid_view_make("\xc0\x80", 2)); }
static void err_raw(mobid_cbor_enc *e) { mobid_cbor_put_raw(e, mobid_view_make("\x82\x01", 2)); }
static void err_raw_two(mobid_cbor_enc *e) { mobid_cbor_put_raw(e, mobid_view_make("\x01\x02", 2)); }
static void err_null_cstr(mobid_cbor_enc *e) { mobid_cbor_put_cstr(e, NULL); }

static void test_errors(void **state)
{
    (void)state;
    expect_err(err_end_without_begin, MOBID_ERR_MALFORMED);
    expect_err(err_mismatched_end, MOBID_ERR_MALFORMED);
    expect_err(err_open_at_finish, MOBID_ERR_MALFORMED);
    expect_err(err_odd_map, MOBID_ERR_MALFORMED);
    expect_err(err_fixed_unfilled, MOBID_ERR_MALFORMED);
    expect_err(err_tag_dangling, MOBID_ERR_MALFORMED);
    expect_err(err_too_deep, MOBID_ERR_TOO_DEEP);
    expect_err(err_simple, MOBID_ERR_INVALID_ARG);
    expect_err(err_utf8, MOBID_ERR_MALFORMED);
    expect_err(err_raw, MOBID_ERR_MALFORMED);
    expect_err(err_raw_two, MOBID_ERR_MALFORMED);
    expect_err(err_null_cstr, MOBID_ERR_INVALID_ARG);
}

/* After the first error nothing more is written. */
static void test_sticky(void **state)
{
    (void)state;
    mobid_buf out;
    mobid_cbor_enc e;
    mobid_buf_init(&out, 0);
    mobid_cbor_enc_init(&e, &out);
    mobid_cbor_put_uint(&e, 1);
    mobid_cbor_put_simple(&e, 25);
    size_t len = out.len;
    mobid_cbor_put_uint(&e, 2);
    mobid_cbor_array_begin(&e);
    assert_int_equal(out.len, len);
    assert_int_equal(mobid_cbor_enc_finish(&e), MOBID_ERR_INVALID_ARG);
    mobid_buf_free(&out);

    /* A buffer limit surfaces as TOO_BIG, an allocation failure as NOMEM. */
    mobid_buf_init(&out, 4);
    mobid_cbor_enc_init(&e, &out);
    mobid_cbor_put_bytes(&e, mobid_view_make("12345", 5));
    assert_int_equal(mobid_cbor_enc_finish(&e), MOBID_ERR_TOO_BIG);
    mobid_buf_free(&out);
    mobid_buf_init(&out, 0);
    mobid_cbor_enc_init(&e, &out);
    mobid_alloc_fail_after(0);
    mobid_cbor_put_uint(&e, 1);
    mobid_alloc_fail_after(-1);
    assert_int_equal(mobid_cbor_enc_finish(&e), MOBID_ERR_NOMEM);
    mobid_buf_free(&out);
}

/* Sorting out-of-order maps allocates; a failure there is NOMEM too. */
static void test_sort_alloc_failure(void **state)
{
    (void)state;
    mobid_buf out;
    mobid_cbor_enc e;
    mobid_buf_init(&out, 0);
    mobid_buf_reserve(&out, 1024);
    mobid_cbor_enc_init(&e, &out);
    mobid_alloc_fail_after(0);
    sorted_map(&e);
    mobid_alloc_fail_after(-1);
    assert_int_equal(mobid_cbor_enc_finish(&e), MOBID_ERR_NOMEM);
    mobid_buf_free(&out);
}

/* Output is appended after what the buffer already holds. */
static void test_append(void **state)
{
    (void)state;
    mobid_buf out;
    mobid_cbor_enc e;
    mobid_buf_init(&out, 0);
    mobid_buf_append_str(&out, "xy");
    mobid_cbor_enc_init(&e, &out);
    big_map(&e);
    assert_int_equal(mobid_cbor_enc_finish(&e), MOBID_OK);
    assert_int_equal(out.len, 2 + e.size);
    assert_memory_equal(out.ptr, "xy\xb8\x18\x00\xf4", 6);
    mobid_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ints),         cmocka_unit_test(test_floats),
        cmocka_unit_test(test_map_sorting),  cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_big_map),      cmocka_unit_test(test_bstr_wrap),
        cmocka_unit_test(test_fixed_heads),  cmocka_unit_test(test_errors),
        cmocka_unit_test(test_sticky),       cmocka_unit_test(test_sort_alloc_failure),
        cmocka_unit_test(test_append),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
