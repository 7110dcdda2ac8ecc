/*
 * RFC 8949 Appendix A: every example decodes, prints as the Appendix's
 * diagnostic notation, and re-encodes deterministically — to the same bytes
 * for the examples in preferred form, to the stated definite/short form for
 * the others (indefinite lengths, 32- and 64-bit Infinity and NaN).
 */
#include "testutil.h"

#include <mobid/cbor.h>
#include <string.h>

typedef struct example {
    const char *hex;
    const char *diag;
    const char *reencoded; /* NULL: the same bytes */
} example;

static const example appendix_a[] = {
    { "00", "0", NULL },
    { "01", "1", NULL },
    { "0a", "10", NULL },
    { "17", "23", NULL },
    { "1818", "24", NULL },
    { "1819", "25", NULL },
    { "1864", "100", NULL },
    { "1903e8", "1000", NULL },
    { "1a000f4240", "1000000", NULL },
    { "1b000000e8d4a51000", "1000000000000", NULL },
    { "1bffffffffffffffff", "18446744073709551615", NULL },
    { "c249010000000000000000", "18446744073709551616", NULL },
    { "3bffffffffffffffff", "-18446744073709551616", NULL },
    { "c349010000000000000000", "-18446744073709551617", NULL },
    { "20", "-1", NULL },
    { "29", "-10", NULL },
    { "3863", "-100", NULL },
    { "3903e7", "-1000", NULL },
    { "f90000", "0.0", NULL },
    { "f98000", "-0.0", NULL },
    { "f93c00", "1.0", NULL },
    { "fb3ff199999999999a", "1.1", NULL },
    { "f93e00", "1.5", NULL },
    { "f97bff", "65504.0", NULL },
    { "fa47c35000", "100000.0", NULL },
    { "fa7f7fffff", "3.4028234663852886e+38", NULL },
    { "fb7e37e43c8800759c", "1.0e+300", NULL },
    { "f90001", "5.960464477539063e-8", NULL },
    { "f90400", "0.00006103515625", NULL },
    { "f9c400", "-4.0", NULL },
    { "fbc010666666666666", "-4.1", NULL },
    { "f97c00", "Infinity", NULL },
    { "f97e00", "NaN", NULL },
    { "f9fc00", "-Infinity", NULL },
    { "fa7f800000", "Infinity", "f97c00" },
    { "fa7fc00000", "NaN", "f97e00" },
    { "faff800000", "-Infinity", "f9fc00" },
    { "fb7ff0000000000000", "Infinity", "f97c00" },
    { "fb7ff8000000000000", "NaN", "f97e00" },
    { "fbfff0000000000000", "-Infinity", "f9fc00" },
    { "f4", "false", NULL },
    { "f5", "true", NULL },
    { "f6", "null", NULL },
    { "f7", "undefined", NULL },
    { "f0", "simple(16)", NULL },
    { "f8ff", "simple(255)", NULL },
    { "c074323031332d30332d32315432303a30343a30305a", "0(\"2013-03-21T20:04:00Z\")", NULL },
    { "c11a514b67b0", "1(1363896240)", NULL },
    { "c1fb41d452d9ec200000", "1(1363896240.5)", NULL },
    { "d74401020304", "23(h'01020304')", NULL },
    { "d818456449455446", "24(h'6449455446')", NULL },
    { "d82076687474703a2f2f7777772e6578616d706c652e636f6d", "32(\"http://www.example.com\")",
      NULL },
    { "40", "h''", NULL },
    { "4401020304", "h'01020304'", NULL },
    { "60", "\"\"", NULL },
    { "6161", "\"a\"", NULL },
    { "6449455446", "\"IETF\"", NULL },
    { "62225c", "\"\\\"\\\\\"", NULL },
    { "62c3bc", "\"\xc3\xbc\"", NULL },
    { "63e6b0b4", "\"\xe6\xb0\xb4\"", NULL },
    { "64f0908591", "\"\xf0\x90\x85\x91\"", NULL },
    { "80", "[]", NULL },
    { "83010203", "[1, 2, 3]", NULL },
    { "8301820203820405", "[1, [2, 3], [4, 5]]", NULL },
    { "98190102030405060708090a0b0c0d0e0f101112131415161718181819",
      "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, "
      "25]",
      NULL },
    { "a0", "{}", NULL },
    { "a201020304", "{1: 2, 3: 4}", NULL },
    { "a26161016162820203", "{\"a\": 1, \"b\": [2, 3]}", NULL },
    { "826161a161626163", "[\"a\", {\"b\": \"c\"}]", NULL },
    { "a56161614161626142616361436164614461656145",
      "{\"a\": \"A\", \"b\": \"B\", \"c\": \"C\", \"d\": \"D\", \"e\": \"E\"}", NULL },
    { "5f42010243030405ff", "(_ h'0102', h'030405')", "450102030405" },
    { "7f657374726561646d696e67ff", "(_ \"strea\", \"ming\")", "6973747265616d696e67" },
    { "9fff", "[_ ]", "80" },
    { "9f018202039f0405ffff", "[_ 1, [2, 3], [_ 4, 5]]", "8301820203820405" },
    { "9f01820203820405ff", "[_ 1, [2, 3], [4, 5]]", "8301820203820405" },
    { "83018202039f0405ff", "[1, [2, 3], [_ 4, 5]]", "8301820203820405" },
    { "83019f0203ff820405", "[1, [_ 2, 3], [4, 5]]", "8301820203820405" },
    { "9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff",
      "[_ 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, "
      "25]",
      "98190102030405060708090a0b0c0d0e0f101112131415161718181819" },
    { "bf61610161629f0203ffff", "{_ \"a\": 1, \"b\": [_ 2, 3]}", "a26161016162820203" },
    { "826161bf61626163ff", "[\"a\", {_ \"b\": \"c\"}]", "826161a161626163" },
    /* Re-encoding sorts the keys: "Amt" (63416d74) before "Fun" (6346756e). */
    { "bf6346756ef563416d7421ff", "{_ \"Fun\": true, \"Amt\": -2}", "a263416d74216346756ef5" },
};

static void check_example(const example *ex)
{
    mobid_buf in, diag, enc, want;
    mobid_cbor_item item;
    mobid_cbor_enc e;
    tu_hex(ex->hex, &in);
    mobid_buf_init(&diag, 0);
    mobid_buf_init(&enc, 0);
    tu_hex(ex->reencoded ? ex->reencoded : ex->hex, &want);

    /* Decoding allocates nothing. */
    mobid_alloc_fail_after(0);
    mobid_err err = mobid_cbor_decode_exact(mobid_buf_view(&in), NULL, &item);
    mobid_alloc_fail_after(-1);
    if (err != MOBID_OK)
        fail_msg("%s: decode failed with %s", ex->hex, mobid_err_name(err));
    assert_int_equal(item.span.len, in.len);

    assert_int_equal(mobid_cbor_diag_item(&item, &diag), MOBID_OK);
    mobid_buf_terminate(&diag);
    if (strcmp((const char *)diag.ptr, ex->diag) != 0)
        fail_msg("%s: diag '%s', expected '%s'", ex->hex, (const char *)diag.ptr, ex->diag);

    mobid_cbor_enc_init(&e, &enc);
    mobid_cbor_put_item(&e, &item);
    assert_int_equal(mobid_cbor_enc_finish(&e), MOBID_OK);
    if (!mobid_view_eq(mobid_buf_view(&enc), mobid_buf_view(&want)))
        fail_msg("%s: re-encoded differently", ex->hex);

    /* The size-only pass predicts the same length. */
    mobid_cbor_enc_init(&e, NULL);
    mobid_cbor_put_item(&e, &item);
    assert_int_equal(mobid_cbor_enc_finish(&e), MOBID_OK);
    assert_int_equal(e.size, enc.len);

    mobid_buf_free(&in);
    mobid_buf_free(&diag);
    mobid_buf_free(&enc);
    mobid_buf_free(&want);
}

static void test_appendix_a(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof appendix_a / sizeof *appendix_a; i++)
        check_example(&appendix_a[i]);
}

/* The whole table as one input: mobid_cbor_diag prints one line per item. */
static void test_appendix_a_stream(void **state)
{
    (void)state;
    mobid_buf in, hex, diag, want;
    mobid_buf_init(&hex, 0);
    mobid_buf_init(&diag, 0);
    mobid_buf_init(&want, 0);
    for (size_t i = 0; i < sizeof appendix_a / sizeof *appendix_a; i++) {
        mobid_buf_append_str(&hex, appendix_a[i].hex);
        mobid_buf_append_str(&want, appendix_a[i].diag);
        mobid_buf_append_byte(&want, '\n');
    }
    mobid_buf_terminate(&hex);
    tu_hex((const char *)hex.ptr, &in);
    assert_int_equal(mobid_cbor_diag(mobid_buf_view(&in), NULL, &diag), MOBID_OK);
    assert_int_equal(diag.len, want.len);
    assert_memory_equal(diag.ptr, want.ptr, want.len);
    mobid_buf_free(&in);
    mobid_buf_free(&hex);
    mobid_buf_free(&diag);
    mobid_buf_free(&want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_appendix_a),
        cmocka_unit_test(test_appendix_a_stream),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
