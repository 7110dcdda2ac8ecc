/* lib/statuslist: packing, bounded compression, JSON and CBOR forms, references. */
#include "testutil.h"

#include <mobid/statuslist.h>

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static mobid_statuslist *make_list(unsigned bits, uint64_t size)
{
    mobid_statuslist *l = NULL;
    assert_int_equal(mobid_statuslist_new(bits, size, &l), MOBID_OK);
    assert_non_null(l);
    return l;
}

static void test_new_rounds_up(void **state)
{
    (void)state;
    mobid_statuslist *l = make_list(2, 13);
    assert_int_equal(mobid_statuslist_bits(l), 2);
    assert_int_equal(mobid_statuslist_packed(l).len, 4);
    assert_int_equal(mobid_statuslist_size(l), 16);
    mobid_statuslist_free(l);
    l = NULL;
    assert_int_equal(mobid_statuslist_new(3, 10, &l), MOBID_ERR_INVALID_ARG);
    assert_int_equal(mobid_statuslist_new(1, 0, &l), MOBID_ERR_INVALID_ARG);
    assert_int_equal(mobid_statuslist_new(8, (uint64_t)MOBID_STATUSLIST_MAX_BYTES + 1, &l),
                     MOBID_ERR_TOO_BIG);
    assert_null(l);
}

/* LSB-first packing, worked out by hand: 1-bit entries 0 and 3 set give 0x09;
 * 2-bit entry 1 = 2 and entry 3 = 3 give 0b11001000 = 0xC8. */
static void test_packing(void **state)
{
    (void)state;
    mobid_statuslist *l = make_list(1, 16);
    assert_int_equal(mobid_statuslist_set(l, 0, 1), MOBID_OK);
    assert_int_equal(mobid_statuslist_set(l, 3, 1), MOBID_OK);
    assert_int_equal(mobid_statuslist_set(l, 15, 1), MOBID_OK);
    mobid_view p = mobid_statuslist_packed(l);
    assert_int_equal(p.ptr[0], 0x09);
    assert_int_equal(p.ptr[1], 0x80);
    mobid_statuslist_free(l);

    l = make_list(2, 8);
    assert_int_equal(mobid_statuslist_set(l, 1, 2), MOBID_OK);
    assert_int_equal(mobid_statuslist_set(l, 3, 3), MOBID_OK);
    assert_int_equal(mobid_statuslist_packed(l).ptr[0], 0xC8);
    /* Overwriting clears the old bits. */
    assert_int_equal(mobid_statuslist_set(l, 3, 1), MOBID_OK);
    assert_int_equal(mobid_statuslist_packed(l).ptr[0], 0x48);
    mobid_statuslist_free(l);

    l = make_list(4, 2);
    assert_int_equal(mobid_statuslist_set(l, 1, 0xA), MOBID_OK);
    assert_int_equal(mobid_statuslist_packed(l).ptr[0], 0xA0);
    mobid_statuslist_free(l);
}

static void test_get_set_all_widths(void **state)
{
    (void)state;
    const unsigned widths[] = { 1, 2, 4, 8 };
    for (size_t w = 0; w < 4; w++) {
        unsigned bits = widths[w];
        mobid_statuslist *l = make_list(bits, 1000);
        unsigned max = (1u << bits) - 1;
        for (uint64_t i = 0; i < 1000; i++)
            assert_int_equal(mobid_statuslist_set(l, i, (unsigned)(i * 7) & max), MOBID_OK);
        for (uint64_t i = 0; i < 1000; i++) {
            unsigned v = 99;
            assert_int_equal(mobid_statuslist_get(l, i, &v), MOBID_OK);
            assert_int_equal(v, (unsigned)(i * 7) & max);
        }
        unsigned v = 77;
        assert_int_equal(mobid_statuslist_get(l, mobid_statuslist_size(l), &v),
                         MOBID_ERR_STATUS_INDEX_OUT_OF_RANGE);
        assert_int_equal(v, 77);
        assert_int_equal(mobid_statuslist_get(l, UINT64_MAX, &v),
                         MOBID_ERR_STATUS_INDEX_OUT_OF_RANGE);
        assert_int_equal(mobid_statuslist_set(l, 5, max + 1), MOBID_ERR_INVALID_ARG);
        assert_int_equal(mobid_statuslist_set(l, UINT64_MAX / 2, 0),
                         MOBID_ERR_STATUS_INDEX_OUT_OF_RANGE);
        mobid_statuslist_free(l);
    }
}

static void test_value_names(void **state)
{
    (void)state;
    char name[12];
    mobid_statuslist_value_name(0, name);
    assert_string_equal(name, "VALID");
    mobid_statuslist_value_name(1, name);
    assert_string_equal(name, "INVALID");
    mobid_statuslist_value_name(2, name);
    assert_string_equal(name, "SUSPENDED");
    mobid_statuslist_value_name(3, name);
    assert_string_equal(name, "0x3");
    mobid_statuslist_value_name(0xAB, name);
    assert_string_equal(name, "0xAB");
}

static void roundtrip_mode(mobid_statuslist_zlib mode)
{
    mobid_statuslist *l = make_list(2, 100000), *back = NULL;
    srand(7);
    for (int i = 0; i < 2000; i++)
        assert_int_equal(mobid_statuslist_set(l, (uint64_t)rand() % 100000, 1 + (unsigned)i % 3),
                         MOBID_OK);
    mobid_buf z;
    mobid_buf_init(&z, 0);
    assert_int_equal(mobid_statuslist_compress(l, mode, &z), MOBID_OK);
    assert_true(z.len < mobid_statuslist_packed(l).len);
    assert_int_equal(z.ptr[0], 0x78);
    assert_int_equal(mobid_statuslist_decompress(2, mobid_buf_view(&z), NULL, &back), MOBID_OK);
    assert_true(mobid_view_eq(mobid_statuslist_packed(l), mobid_statuslist_packed(back)));
    mobid_buf_free(&z);
    mobid_statuslist_free(l);
    mobid_statuslist_free(back);
}

static void test_compress_roundtrip(void **state)
{
    (void)state;
    roundtrip_mode(MOBID_STATUSLIST_ZLIB_AUTO);
    roundtrip_mode(MOBID_STATUSLIST_ZLIB_BEST);
    roundtrip_mode(MOBID_STATUSLIST_ZLIB_RLE);
}

/* AUTO is BEST up to the threshold and RLE above it. */
static void test_auto_strategy(void **state)
{
    (void)state;
    mobid_statuslist *small = make_list(8, MOBID_STATUSLIST_AUTO_BEST_MAX);
    mobid_statuslist *big = make_list(8, MOBID_STATUSLIST_AUTO_BEST_MAX + 1);
    for (uint64_t i = 0; i < MOBID_STATUSLIST_AUTO_BEST_MAX; i += 997) {
        assert_int_equal(mobid_statuslist_set(small, i, (unsigned)i & 0xFF), MOBID_OK);
        assert_int_equal(mobid_statuslist_set(big, i, (unsigned)i & 0xFF), MOBID_OK);
    }
    mobid_buf a, b;
    mobid_buf_init(&a, 0);
    mobid_buf_init(&b, 0);
    assert_int_equal(mobid_statuslist_compress(small, MOBID_STATUSLIST_ZLIB_AUTO, &a), MOBID_OK);
    assert_int_equal(mobid_statuslist_compress(small, MOBID_STATUSLIST_ZLIB_BEST, &b), MOBID_OK);
    assert_true(mobid_view_eq(mobid_buf_view(&a), mobid_buf_view(&b)));
    mobid_buf_free(&a);
    mobid_buf_free(&b);
    assert_int_equal(mobid_statuslist_compress(big, MOBID_STATUSLIST_ZLIB_AUTO, &a), MOBID_OK);
    assert_int_equal(mobid_statuslist_compress(big, MOBID_STATUSLIST_ZLIB_RLE, &b), MOBID_OK);
    assert_true(mobid_view_eq(mobid_buf_view(&a), mobid_buf_view(&b)));
    mobid_buf_free(&a);
    mobid_buf_free(&b);
    mobid_statuslist_free(small);
    mobid_statuslist_free(big);
}

/* zlib stream of n zero bytes, built in chunks so the test never holds n bytes. */
static void zeros_stream(size_t n, mobid_buf *out)
{
    static uint8_t zeros[1 << 16];
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    assert_int_equal(deflateInit(&zs, 9), Z_OK);
    mobid_buf_init(out, 0);
    uint8_t tmp[1 << 14];
    size_t left = n;
    int flush;
    do {
        size_t chunk = left < sizeof zeros ? left : sizeof zeros;
        left -= chunk;
        flush = left ? Z_NO_FLUSH : Z_FINISH;
        zs.next_in = zeros;
        zs.avail_in = (uInt)chunk;
        do {
            zs.next_out = tmp;
            zs.avail_out = sizeof tmp;
            deflate(&zs, flush);
            mobid_buf_append(out, tmp, sizeof tmp - zs.avail_out);
        } while (zs.avail_out == 0);
    } while (flush != Z_FINISH);
    deflateEnd(&zs);
    assert_int_equal(out->err, MOBID_OK);
}

/* A zip bomb: 64 MiB + 1 zero bytes in ~65 KB. Decoding fails before allocating
 * more than the cap; with a tighter limit it fails at that limit. */
static void test_zip_bomb(void **state)
{
    (void)state;
    mobid_buf z;
    zeros_stream(MOBID_STATUSLIST_MAX_BYTES + 1, &z);
    assert_true(z.len < 100 * 1024);
    mobid_statuslist *l = NULL;
    assert_int_equal(mobid_statuslist_decompress(1, mobid_buf_view(&z), NULL, &l),
                     MOBID_ERR_TOO_BIG);
    assert_null(l);
    mobid_statuslist_limits lim = { 1024 * 1024, 0 };
    assert_int_equal(mobid_statuslist_decompress(1, mobid_buf_view(&z), &lim, &l),
                     MOBID_ERR_TOO_BIG);
    mobid_buf_free(&z);

    /* Exactly at the limit is fine, one byte more is not. */
    zeros_stream(4096, &z);
    lim.max_bytes = 4096;
    assert_int_equal(mobid_statuslist_decompress(2, mobid_buf_view(&z), &lim, &l), MOBID_OK);
    assert_int_equal(mobid_statuslist_size(l), 4096 * 4);
    mobid_statuslist_free(l);
    l = NULL;
    lim.max_bytes = 4095;
    assert_int_equal(mobid_statuslist_decompress(2, mobid_buf_view(&z), &lim, &l),
                     MOBID_ERR_TOO_BIG);
    /* max_entries bounds the bytes by bits: 16384 2-bit entries = 4096 bytes. */
    mobid_statuslist_limits by_entries = { 0, 16384 };
    assert_int_equal(mobid_statuslist_decompress(2, mobid_buf_view(&z), &by_entries, &l),
                     MOBID_OK);
    mobid_statuslist_free(l);
    l = NULL;
    by_entries.max_entries = 16380; /* 4095 bytes */
    assert_int_equal(mobid_statuslist_decompress(2, mobid_buf_view(&z), &by_entries, &l),
                     MOBID_ERR_TOO_BIG);
    mobid_buf_free(&z);
}

static void test_json_form(void **state)
{
    (void)state;
    mobid_statuslist *l = make_list(4, 5000), *back = NULL;
    assert_int_equal(mobid_statuslist_set(l, 4999, 0xF), MOBID_OK);
    assert_int_equal(mobid_statuslist_set(l, 17, 3), MOBID_OK);
    mobid_buf j;
    mobid_buf_init(&j, 0);
    assert_int_equal(mobid_statuslist_to_json(l, MOBID_STATUSLIST_ZLIB_AUTO, &j), MOBID_OK);
    assert_memory_equal(j.ptr, "{\"bits\":4,\"lst\":\"eN", 19);
    assert_int_equal(mobid_statuslist_from_json(mobid_buf_view(&j), NULL, &back), MOBID_OK);
    assert_int_equal(mobid_statuslist_bits(back), 4);
    unsigned v;
    assert_int_equal(mobid_statuslist_get(back, 4999, &v), MOBID_OK);
    assert_int_equal(v, 0xF);
    assert_int_equal(mobid_statuslist_get(back, 17, &v), MOBID_OK);
    assert_int_equal(v, 3);
    mobid_statuslist_free(back);
    back = NULL;
    /* Members besides bits and lst (aggregation_uri) are ignored. */
    mobid_buf j2;
    mobid_buf_init(&j2, 0);
    mobid_buf_append_str(&j2, "{\"aggregation_uri\":\"https://x\",");
    mobid_buf_append(&j2, j.ptr + 1, j.len - 1);
    assert_int_equal(mobid_statuslist_from_json(mobid_buf_view(&j2), NULL, &back), MOBID_OK);
    mobid_statuslist_free(back);
    mobid_buf_free(&j2);
    mobid_buf_free(&j);
    mobid_statuslist_free(l);
}

static void test_cbor_form(void **state)
{
    (void)state;
    mobid_statuslist *l = make_list(1, 64), *back = NULL;
    assert_int_equal(mobid_statuslist_set(l, 63, 1), MOBID_OK);
    mobid_buf c;
    mobid_buf_init(&c, 0);
    mobid_cbor_enc e;
    mobid_cbor_enc_init(&e, &c);
    assert_int_equal(mobid_statuslist_to_cbor(l, MOBID_STATUSLIST_ZLIB_BEST, &e), MOBID_OK);
    assert_int_equal(mobid_cbor_enc_finish(&e), MOBID_OK);
    /* a2 64 "bits" 01 63 "lst" ... : bits first, as the draft writes it. */
    assert_memory_equal(c.ptr, "\xa2\x64" "bits" "\x01\x63" "lst", 11);
    mobid_cbor_item map;
    assert_int_equal(mobid_cbor_decode_exact(mobid_buf_view(&c), NULL, &map), MOBID_OK);
    assert_int_equal(mobid_statuslist_from_cbor(&map, NULL, &back), MOBID_OK);
    assert_true(mobid_view_eq(mobid_statuslist_packed(l), mobid_statuslist_packed(back)));
    mobid_statuslist_free(back);
    mobid_buf_free(&c);
    mobid_statuslist_free(l);
}

static void test_status_ref(void **state)
{
    (void)state;
    mobid_status_ref r;
    assert_int_equal(mobid_status_ref_from_json(mobid_view_str(
                         "{\"status_list\":{\"idx\":412,\"uri\":\"https://ex.org/sl/1\"}}"),
                                                &r),
                     MOBID_OK);
    assert_int_equal(r.idx, 412);
    assert_string_equal(r.uri, "https://ex.org/sl/1");
    mobid_status_ref_clear(&r);
    assert_null(r.uri);
    assert_int_equal(mobid_status_ref_from_json(mobid_view_str("{\"other\":{}}"), &r),
                     MOBID_ERR_NOT_FOUND);
    assert_int_equal(mobid_status_ref_from_json(
                         mobid_view_str("{\"status_list\":{\"idx\":-1,\"uri\":\"u\"}}"), &r),
                     MOBID_ERR_MALFORMED);
    assert_int_equal(mobid_status_ref_from_json(
                         mobid_view_str("{\"status_list\":{\"idx\":1,\"uri\":7}}"), &r),
                     MOBID_ERR_MALFORMED);

    /* CBOR {"status_list": {"idx": 9, "uri": "u"}}, encoded here. */
    mobid_buf c;
    mobid_buf_init(&c, 0);
    mobid_cbor_enc e;
    mobid_cbor_enc_init(&e, &c);
    mobid_cbor_map_begin(&e);
    mobid_cbor_put_cstr(&e, "status_list");
    mobid_cbor_map_begin(&e);
    mobid_cbor_put_cstr(&e, "idx");
    mobid_cbor_put_uint(&e, 9);
    mobid_cbor_put_cstr(&e, "uri");
    mobid_cbor_put_cstr(&e, "u");
    mobid_cbor_map_end(&e);
    mobid_cbor_map_end(&e);
    assert_int_equal(mobid_cbor_enc_finish(&e), MOBID_OK);
    mobid_cbor_item it;
    assert_int_equal(mobid_cbor_decode_exact(mobid_buf_view(&c), NULL, &it), MOBID_OK);
    assert_int_equal(mobid_status_ref_from_cbor(&it, &r), MOBID_OK);
    assert_int_equal(r.idx, 9);
    assert_string_equal(r.uri, "u");
    mobid_status_ref_clear(&r);
    mobid_buf_free(&c);
}

/* Every allocation failure along encode and decode ends in NOMEM, never a crash
 * or a leak (ASan builds check the latter). */
static void test_alloc_failures(void **state)
{
    (void)state;
    mobid_statuslist *l = make_list(2, 4000);
    assert_int_equal(mobid_statuslist_set(l, 3999, 2), MOBID_OK);
    mobid_buf j;
    mobid_buf_init(&j, 0);
    assert_int_equal(mobid_statuslist_to_json(l, MOBID_STATUSLIST_ZLIB_AUTO, &j), MOBID_OK);
    bool succeeded = false;
    for (long n = 0; n < 50 && !succeeded; n++) {
        mobid_statuslist *back = NULL;
        mobid_alloc_fail_after(n);
        mobid_err err = mobid_statuslist_from_json(mobid_buf_view(&j), NULL, &back);
        mobid_alloc_fail_after(-1);
        assert_true(err == MOBID_OK || err == MOBID_ERR_NOMEM);
        succeeded = err == MOBID_OK;
        if (!succeeded)
            assert_null(back);
        mobid_statuslist_free(back);
    }
    assert_true(succeeded);
    for (long n = 0; n < 10; n++) {
        mobid_buf out;
        mobid_buf_init(&out, 0);
        mobid_alloc_fail_after(n);
        mobid_err err = mobid_statuslist_to_json(l, MOBID_STATUSLIST_ZLIB_AUTO, &out);
        mobid_alloc_fail_after(-1);
        assert_true(err == MOBID_OK || err == MOBID_ERR_NOMEM);
        mobid_buf_free(&out);
    }
    mobid_buf_free(&j);
    mobid_statuslist_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_rounds_up),
        cmocka_unit_test(test_packing),
        cmocka_unit_test(test_get_set_all_widths),
        cmocka_unit_test(test_value_names),
        cmocka_unit_test(test_compress_roundtrip),
        cmocka_unit_test(test_auto_strategy),
        cmocka_unit_test(test_zip_bomb),
        cmocka_unit_test(test_json_form),
        cmocka_unit_test(test_cbor_form),
        cmocka_unit_test(test_status_ref),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
