/*
 * Known-bad proximity inputs, each with its own stable code: DeviceEngagement,
 * SessionEstablishment, SessionData and DeviceRequest variants (written in CBOR by
 * hand), readerAuth that is missing, signed over another ItemsRequest, by a
 * certificate without the reader EKU or outside any reader root, and every
 * single-byte truncation of a valid signed DeviceRequest (never a crash).
 */
#include "px_fixture.h"

static int setup(void **state)
{
    px_fixture *p = calloc(1, sizeof *p);
    if (!p)
        return -1;
    pxf_init(p);
    *state = p;
    return 0;
}

static int teardown(void **state)
{
    pxf_free(*state);
    free(*state);
    return 0;
}

static mobid_err parse_hex_engagement(const char *hex)
{
    mobid_buf b;
    mobid_px_engagement e;
    tu_hex(hex, &b);
    mobid_err err = mobid_px_engagement_parse(mobid_buf_view(&b), &e);
    mobid_px_engagement_clear(&e);
    mobid_buf_free(&b);
    return err;
}

static void test_bad_engagements(void **state)
{
    (void)state;
    /* not a map; no version; version 2; no security; cipher suite 2; key not tag 24 */
    assert_int_equal(parse_hex_engagement("80"), MOBID_ERR_MALFORMED);
    assert_int_equal(parse_hex_engagement("a101820140"), MOBID_ERR_MALFORMED);
    assert_int_equal(parse_hex_engagement("a20063322e30018201d81841a0"), MOBID_ERR_MALFORMED);
    assert_int_equal(parse_hex_engagement("a10063312e30"), MOBID_ERR_MALFORMED);
    assert_int_equal(parse_hex_engagement("a20063312e30018202d81841a0"), MOBID_ERR_UNSUPPORTED);
    assert_int_equal(parse_hex_engagement("a20063312e300182014100"), MOBID_ERR_MALFORMED);
    /* an empty COSE_Key */
    assert_int_equal(parse_hex_engagement("a20063312e30018201d81841a0"), MOBID_ERR_MALFORMED);
    /* truncated */
    assert_int_equal(parse_hex_engagement("a20063312e"), MOBID_ERR_TRUNCATED);
}

/* A valid engagement with its retrieval methods replaced by `methods` (hex). */
static void test_bad_methods(void **state)
{
    px_fixture *p = *state;
    mobid_buf b, m, tail;
    mobid_px_engagement e;
    mobid_buf_init(&b, 0);
    assert_int_equal(mobid_px_engagement_encode(p->edev, NULL, 0, &b), MOBID_OK);
    b.ptr[0] = 0xa3; /* one more pair: 2 => methods */
    static const char *bad[] = {
        "0281830219ffff01",                 /* BLE options not a map */
        "02818319 6d6f01a0",                /* TCP without host and port */
        "0281831 96d6f01a264686f73746064706f727400", /* empty host, port 0 */
        "0281831 96d6f01a264686f7374613164706f72741a00010000", /* port 65536 */
        "02a0",                             /* methods not an array */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char hex[128];
        size_t k = 0;
        for (const char *c = bad[i]; *c; c++)
            if (*c != ' ')
                hex[k++] = *c;
        hex[k] = '\0';
        mobid_buf_init(&m, 0);
        mobid_buf_append(&m, b.ptr, b.len);
        tu_hex(hex, &tail);
        mobid_buf_append(&m, tail.ptr, tail.len);
        assert_int_equal(mobid_px_engagement_parse(mobid_buf_view(&m), &e), MOBID_ERR_MALFORMED);
        mobid_px_engagement_clear(&e);
        mobid_buf_free(&m);
        mobid_buf_free(&tail);
    }
    /* an unknown method type is skipped, not an error */
    mobid_buf_init(&m, 0);
    mobid_buf_append(&m, b.ptr, b.len);
    tu_hex("02818307 01a0", &tail);
    mobid_buf_append(&m, tail.ptr, tail.len);
    assert_int_equal(mobid_px_engagement_parse(mobid_buf_view(&m), &e), MOBID_OK);
    assert_int_equal(e.n_methods, 0);
    mobid_px_engagement_clear(&e);
    mobid_buf_free(&m);
    mobid_buf_free(&tail);
    mobid_buf_free(&b);
}

static void test_bad_messages(void **state)
{
    (void)state;
    mobid_buf b;
    mobid_px_establishment est;
    mobid_px_session_data sd;
    /* SessionEstablishment: no data; eReaderKey untagged; data not bytes; not a map */
    tu_hex("a16a655265616465724b6579d81841a0", &b);
    assert_int_equal(mobid_px_establishment_parse(mobid_buf_view(&b), &est), MOBID_ERR_MALFORMED);
    mobid_buf_free(&b);
    tu_hex("a26a655265616465724b6579a0646461746140", &b);
    assert_int_equal(mobid_px_establishment_parse(mobid_buf_view(&b), &est), MOBID_ERR_MALFORMED);
    mobid_buf_free(&b);
    tu_hex("a26a655265616465724b6579d81841a06464617461613f", &b);
    assert_int_equal(mobid_px_establishment_parse(mobid_buf_view(&b), &est), MOBID_ERR_MALFORMED);
    mobid_buf_free(&b);
    tu_hex("8140", &b);
    assert_int_equal(mobid_px_establishment_parse(mobid_buf_view(&b), &est), MOBID_ERR_MALFORMED);
    mobid_buf_free(&b);
    /* SessionData: empty map; status negative; data as text; a declared 4 GiB string */
    tu_hex("a0", &b);
    assert_int_equal(mobid_px_session_data_parse(mobid_buf_view(&b), &sd), MOBID_ERR_MALFORMED);
    mobid_buf_free(&b);
    tu_hex("a16673746174757320", &b);
    assert_int_equal(mobid_px_session_data_parse(mobid_buf_view(&b), &sd), MOBID_ERR_MALFORMED);
    mobid_buf_free(&b);
    tu_hex("a164646174616161", &b);
    assert_int_equal(mobid_px_session_data_parse(mobid_buf_view(&b), &sd), MOBID_ERR_MALFORMED);
    mobid_buf_free(&b);
    tu_hex("a164646174615affffffff", &b);
    assert_int_equal(mobid_px_session_data_parse(mobid_buf_view(&b), &sd), MOBID_ERR_TRUNCATED);
    mobid_buf_free(&b);
    /* past the size limit, before decoding */
    mobid_buf_init(&b, 0);
    assert_int_equal(mobid_buf_reserve(&b, MOBID_PX_MAX_MESSAGE + 1), MOBID_OK);
    memset(b.ptr, 0xa0, MOBID_PX_MAX_MESSAGE + 1);
    b.len = MOBID_PX_MAX_MESSAGE + 1;
    assert_int_equal(mobid_px_session_data_parse(mobid_buf_view(&b), &sd), MOBID_ERR_TOO_BIG);
    mobid_buf_free(&b);
}

static mobid_err parse_hex_request(const char *hex)
{
    mobid_buf b;
    mobid_px_device_request r;
    tu_hex(hex, &b);
    mobid_err err = mobid_px_device_request_parse(mobid_buf_view(&b), &r);
    mobid_px_device_request_clear(&r);
    mobid_buf_free(&b);
    return err;
}

/* {"version":V,"docRequests":[{"itemsRequest":24(<< IR >>)}]} around an ItemsRequest. */
static mobid_err request_with(const char *version_hex, const char *items_request_hex)
{
    char hex[1024];
    size_t n = strlen(items_request_hex) / 2;
    snprintf(hex, sizeof hex, "a26776657273696f6e%s6b646f63526571756573747381a16c6974656d735265717565737"
                              "4d81858%02zx%s",
             version_hex, n, items_request_hex);
    return parse_hex_request(hex);
}

static void test_bad_requests(void **state)
{
    (void)state;
    /* {"docType":"d","nameSpaces":{"n":{"a":true}}} is fine */
    const char *ok_ir = "a267646f6354797065616" "46a6e616d65537061636573a1616ea16161f5";
    assert_int_equal(request_with("63312e30", ok_ir), MOBID_OK);
    assert_int_equal(request_with("63322e30", ok_ir), MOBID_ERR_UNSUPPORTED);
    assert_int_equal(request_with("6131", ok_ir), MOBID_ERR_MALFORMED);
    /* intent to retain not a bool; the same item twice (non-canonical map); no docType */
    assert_int_equal(request_with("63312e30", "a267646f6354797065616" "46a6e616d65537061636573a1616ea1616101"),
                     MOBID_ERR_MALFORMED);
    assert_int_equal(request_with("63312e30", "a267646f6354797065616" "46a6e616d65537061636573a1616ea26161f56161f4"),
                     MOBID_ERR_MALFORMED);
    assert_int_equal(request_with("63312e30", "a16a6e616d65537061636573a1616ea16161f5"), MOBID_ERR_MALFORMED);
    /* requestInfo not a map */
    assert_int_equal(request_with("63312e30", "a367646f6354797065616" "46a6e616d65537061636573a0"
                                              "6b72657175657374496e666f01"),
                     MOBID_ERR_MALFORMED);
    /* no docRequests, an empty list, itemsRequest untagged */
    assert_int_equal(parse_hex_request("a16776657273696f6e63312e30"), MOBID_ERR_MALFORMED);
    assert_int_equal(parse_hex_request("a26776657273696f6e63312e306b646f63526571756573747380"),
                     MOBID_ERR_MALFORMED);
    assert_int_equal(parse_hex_request("a26776657273696f6e63312e306b646f63526571756573747381a16c6974656d7352657175657374a0"),
                     MOBID_ERR_MALFORMED);
}

static void test_too_many(void **state)
{
    px_fixture *p = *state;
    mobid_px_item items[MOBID_PX_MAX_ITEMS + 1];
    char ids[MOBID_PX_MAX_ITEMS + 1][8];
    mobid_px_doc_spec docs[MOBID_PX_MAX_DOCS + 1];
    mobid_px_device_request r;
    mobid_buf b;
    for (size_t i = 0; i <= MOBID_PX_MAX_ITEMS; i++) {
        snprintf(ids[i], sizeof ids[i], "e%zu", i);
        items[i].ns = mobid_view_str("n");
        items[i].id = mobid_view_str(ids[i]);
        items[i].intent_to_retain = false;
    }
    memset(docs, 0, sizeof docs);
    for (size_t i = 0; i <= MOBID_PX_MAX_DOCS; i++) {
        docs[i].doctype = "d";
        docs[i].items = items;
        docs[i].n_items = 1;
    }
    mobid_buf_init(&b, 0);
    assert_int_equal(mobid_px_device_request_encode(docs, MOBID_PX_MAX_DOCS + 1,
                                                    mobid_buf_view(&p->transcript), &b),
                     MOBID_ERR_LIMIT);
    /* the parser's limits, against requests written past them by hand */
    docs[0].n_items = MOBID_PX_MAX_ITEMS;
    assert_int_equal(mobid_px_device_request_encode(docs, 2, mobid_buf_view(&p->transcript), &b),
                     MOBID_OK);
    assert_int_equal(mobid_px_device_request_parse(mobid_buf_view(&b), &r), MOBID_ERR_LIMIT);
    mobid_px_device_request_clear(&r);
    b.len = 0;
    assert_int_equal(mobid_px_device_request_encode(docs + 1, MOBID_PX_MAX_DOCS,
                                                    mobid_buf_view(&p->transcript), &b),
                     MOBID_OK);
    assert_int_equal(mobid_px_device_request_parse(mobid_buf_view(&b), &r), MOBID_OK);
    assert_int_equal(r.n_docs, MOBID_PX_MAX_DOCS);
    mobid_px_device_request_clear(&r);
    mobid_buf_free(&b);
}

/* A signed request for the fixture's transcript. */
static void signed_request(px_fixture *p, mobid_cert *cert, mobid_buf *out)
{
    static const mobid_px_item items[] = {
        { { (const uint8_t *)"n", 1 }, { (const uint8_t *)"a", 1 }, true },
    };
    mobid_px_doc_spec spec = { "d", items, 1, { NULL, 0 }, p->reader_auth_key, &cert, 1 };
    mobid_buf_init(out, 0);
    assert_int_equal(mobid_px_device_request_encode(&spec, 1, mobid_buf_view(&p->transcript), out),
                     MOBID_OK);
}

static mobid_err check(px_fixture *p, mobid_view req, mobid_time at)
{
    mobid_px_device_request r;
    mobid_err err = mobid_px_device_request_parse(req, &r);
    if (!err)
        err = mobid_px_reader_auth_verify(&r.docs[0], mobid_buf_view(&p->transcript),
                                          p->reader_roots, at, NULL);
    mobid_px_device_request_clear(&r);
    return err;
}

static void test_reader_auth(void **state)
{
    px_fixture *p = *state;
    mobid_buf good, plain, b;
    mobid_trust *other = NULL;
    signed_request(p, p->reader_cert, &good);
    signed_request(p, p->plain_cert, &plain);
    assert_int_equal(check(p, mobid_buf_view(&good), FX_NOW), MOBID_OK);
    assert_int_equal(check(p, mobid_buf_view(&plain), FX_NOW), MOBID_ERR_CERT_USAGE);
    assert_int_equal(check(p, mobid_buf_view(&good), FX_NOW + 60 * FX_DAY), MOBID_ERR_CERT_EXPIRED);
    /* another root */
    mobid_px_device_request r;
    assert_int_equal(mobid_px_device_request_parse(mobid_buf_view(&good), &r), MOBID_OK);
    assert_int_equal(mobid_trust_new(&other), MOBID_OK);
    assert_int_equal(mobid_trust_add(other, p->f.iaca), MOBID_OK);
    assert_int_equal(mobid_px_reader_auth_verify(&r.docs[0], mobid_buf_view(&p->transcript), other,
                                                 FX_NOW, NULL),
                     MOBID_ERR_UNTRUSTED_ISSUER);
    /* the signature over one ItemsRequest does not cover another */
    mobid_px_doc_request swapped = r.docs[0];
    mobid_buf_init(&b, 0);
    mobid_px_item more[] = { { mobid_view_str("n"), mobid_view_str("b"), false } };
    mobid_px_doc_spec spec = { "d", more, 1, { NULL, 0 }, NULL, NULL, 0 };
    assert_int_equal(mobid_px_items_request_encode(&spec, &b), MOBID_OK);
    swapped.items_request_bytes = mobid_buf_view(&b);
    assert_int_equal(mobid_px_reader_auth_verify(&swapped, mobid_buf_view(&p->transcript),
                                                 p->reader_roots, FX_NOW, NULL),
                     MOBID_ERR_SIGNATURE_INVALID);
    /* no readerAuth; readerAuth that is no COSE_Sign1 */
    swapped = r.docs[0];
    swapped.reader_auth = mobid_view_make(NULL, 0);
    assert_int_equal(mobid_px_reader_auth_verify(&swapped, mobid_buf_view(&p->transcript),
                                                 p->reader_roots, FX_NOW, NULL),
                     MOBID_ERR_UNAUTHENTICATED);
    swapped.reader_auth = mobid_view_make("\x80", 1);
    assert_int_equal(mobid_px_reader_auth_verify(&swapped, mobid_buf_view(&p->transcript),
                                                 p->reader_roots, FX_NOW, NULL),
                     MOBID_ERR_MALFORMED);
    mobid_px_device_request_clear(&r);
    /* every truncation of the signed request fails cleanly */
    for (size_t n = 0; n < good.len; n++) {
        mobid_px_device_request t;
        assert_int_not_equal(mobid_px_device_request_parse(mobid_view_make(good.ptr, n), &t), MOBID_OK);
        mobid_px_device_request_clear(&t);
    }
    mobid_trust_free(other);
    mobid_buf_free(&good);
    mobid_buf_free(&plain);
    mobid_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bad_engagements, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_methods, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_messages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_many, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reader_auth, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
