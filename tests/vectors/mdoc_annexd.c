/*
 * ISO/IEC 18013-5 Annex D: the worked example's DeviceResponse verifies with the
 * IACA as anchor and the reader's ephemeral key for the device MAC; the
 * intermediate values (EMacKey, DeviceAuthenticationBytes, SessionTranscript
 * with the NFC handover) match the published ones; and every single-byte flip
 * of the response is rejected with a verification code, never a crash.
 */
#include "testutil.h"

#include <mobid/cose.h>
#include <mobid/mdoc.h>
#include "mdoc/mdoc_internal.h"

#include <stdio.h>
#include <string.h>

#define ANNEXD_AT 1601559002 /* 2020-10-01T13:30:02Z, the MSO's `signed` */

typedef struct annexd {
    mobid_buf response, transcript, iaca;
    mobid_trust *trust;
    mobid_mdoc_verifier *verifier;
    mobid_key *reader;
} annexd;

static void load_key(const char *prefix, bool with_d, mobid_key **out)
{
    char path[128];
    mobid_buf x, y, d;
    snprintf(path, sizeof path, "mdoc/%s_x.hex", prefix);
    tu_read_vector_hex(path, &x);
    snprintf(path, sizeof path, "mdoc/%s_y.hex", prefix);
    tu_read_vector_hex(path, &y);
    snprintf(path, sizeof path, "mdoc/%s_d.hex", prefix);
    tu_read_vector_hex(path, &d);
    assert_int_equal(mobid_key_from_coords(MOBID_CURVE_P256, mobid_buf_view(&x),
                                           mobid_buf_view(&y),
                                           with_d ? mobid_buf_view(&d) : mobid_view_make(NULL, 0),
                                           out),
                     MOBID_OK);
    mobid_buf_free(&x);
    mobid_buf_free(&y);
    mobid_buf_free(&d);
}

static int setup(void **state)
{
    static annexd a;
    memset(&a, 0, sizeof a);
    *state = &a;
    if (!tu_vectors_dir())
        return 0;
    mobid_cert *iaca = NULL;
    tu_read_vector_hex("mdoc/annexd_device_response.hex", &a.response);
    tu_read_vector_hex("mdoc/annexd_session_transcript_bytes.hex", &a.transcript);
    tu_read_vector_hex("mdoc/eudi_ios_annexD_d52_iaca.hex", &a.iaca);
    if (mobid_cert_parse(mobid_buf_view(&a.iaca), &iaca) != MOBID_OK ||
        mobid_trust_new(&a.trust) != MOBID_OK || mobid_trust_add(a.trust, iaca) != MOBID_OK ||
        mobid_mdoc_verifier_new(a.trust, &a.verifier) != MOBID_OK)
        return -1;
    mobid_cert_free(iaca);
    load_key("annexd_ephemeral_reader_key", true, &a.reader);
    return 0;
}

static int teardown(void **state)
{
    annexd *a = *state;
    mobid_mdoc_verifier_free(a->verifier);
    mobid_trust_free(a->trust);
    mobid_key_free(a->reader);
    mobid_buf_free(&a->response);
    mobid_buf_free(&a->transcript);
    mobid_buf_free(&a->iaca);
    return 0;
}

static mobid_err verify_at(annexd *a, mobid_view resp, mobid_time at, mobid_mdoc_result *res)
{
    mobid_mdoc_verify_opts o = { mobid_buf_view(&a->transcript), a->reader, at, NULL };
    return mobid_mdoc_verify(a->verifier, resp, &o, res);
}

static void test_annexd_verifies(void **state)
{
    TU_REQUIRE_VECTORS();
    annexd *a = *state;
    mobid_mdoc_result res;
    static const char *const names[] = { "family_name", "issue_date", "expiry_date",
                                         "document_number", "portrait", "driving_privileges" };
    mobid_err err = verify_at(a, mobid_buf_view(&a->response), ANNEXD_AT, &res);
    if (err != MOBID_OK)
        fail_msg("%s: %s", mobid_err_name(err), res.detail);
    assert_int_equal(res.n_docs, 1);
    const mobid_mdoc_doc *d = &res.docs[0];
    assert_true(mobid_view_eq_str(d->doctype, MOBID_MDOC_DOCTYPE_MDL));
    assert_true(d->device_mac);
    assert_int_equal(d->n_items, 6);
    for (size_t i = 0; i < 6; i++) {
        assert_true(mobid_view_eq_str(d->items[i].ns, MOBID_MDOC_NS_MDL));
        assert_true(mobid_view_eq_str(d->items[i].id, names[i]));
        assert_false(d->items[i].device_signed);
    }
    assert_int_equal(d->signed_at, ANNEXD_AT);
    assert_int_equal(d->valid_until, ANNEXD_AT + 365 * 86400);

    json_t *claims = NULL;
    assert_int_equal(mobid_mdoc_doc_claims_json(d, &claims), MOBID_OK);
    json_t *ns = json_object_get(claims, MOBID_MDOC_NS_MDL);
    assert_string_equal(json_string_value(json_object_get(ns, "family_name")), "Doe");
    assert_string_equal(json_string_value(json_object_get(ns, "issue_date")), "2019-10-20");
    assert_string_equal(json_string_value(json_object_get(ns, "document_number")), "123456789");
    json_t *dp = json_object_get(ns, "driving_privileges");
    assert_int_equal(json_array_size(dp), 2);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(dp, 1), "vehicle_category_code")), "B");
    assert_true(json_is_string(json_object_get(ns, "portrait")));
    json_decref(claims);
    mobid_mdoc_result_free(&res);
}

/* Without the reader key the MAC cannot be checked; the wrong key must fail. */
static void test_annexd_mac_needs_right_key(void **state)
{
    TU_REQUIRE_VECTORS();
    annexd *a = *state;
    mobid_mdoc_result res;
    mobid_mdoc_verify_opts o = { mobid_buf_view(&a->transcript), NULL, ANNEXD_AT, NULL };
    assert_int_equal(mobid_mdoc_verify(a->verifier, mobid_buf_view(&a->response), &o, &res),
                     MOBID_ERR_INVALID_ARG);
    mobid_mdoc_result_free(&res);
    mobid_key *other = NULL;
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &other), MOBID_OK);
    o.reader_key = other;
    assert_int_equal(mobid_mdoc_verify(a->verifier, mobid_buf_view(&a->response), &o, &res),
                     MOBID_ERR_DEVICE_MAC_INVALID);
    mobid_mdoc_result_free(&res);
    mobid_key_free(other);
    /* Another transcript changes DeviceAuthenticationBytes and the MAC key. */
    mobid_buf t;
    mobid_buf_init(&t, 0);
    assert_int_equal(mobid_mdoc_transcript_oid4vp("c", "n", mobid_view_make(NULL, 0), "u", &t),
                     MOBID_OK);
    o.transcript = mobid_buf_view(&t);
    o.reader_key = a->reader;
    assert_int_equal(mobid_mdoc_verify(a->verifier, mobid_buf_view(&a->response), &o, &res),
                     MOBID_ERR_DEVICE_MAC_INVALID);
    mobid_mdoc_result_free(&res);
    mobid_buf_free(&t);
}

static void test_annexd_times(void **state)
{
    TU_REQUIRE_VECTORS();
    annexd *a = *state;
    mobid_mdoc_result res;
    /* Before the DS certificate and MSO begin, and after both end. */
    assert_int_equal(verify_at(a, mobid_buf_view(&a->response), ANNEXD_AT - 86400, &res),
                     MOBID_ERR_CERT_NOT_YET_VALID);
    mobid_mdoc_result_free(&res);
    assert_int_equal(verify_at(a, mobid_buf_view(&a->response), ANNEXD_AT + 2 * 365 * 86400,
                               &res),
                     MOBID_ERR_CERT_EXPIRED);
    mobid_mdoc_result_free(&res);
}

static void test_annexd_emac_key(void **state)
{
    TU_REQUIRE_VECTORS();
    annexd *a = *state;
    mobid_key *sdev = NULL, *sdev_pub = NULL, *reader_pub = NULL;
    mobid_buf x, y, want;
    uint8_t k1[32], k2[32];
    load_key("annexd_static_device_key", true, &sdev);
    mobid_buf_init(&x, 0);
    mobid_buf_init(&y, 0);
    assert_int_equal(mobid_key_to_coords(sdev, &x, &y, NULL), MOBID_OK);
    assert_int_equal(mobid_key_from_coords(MOBID_CURVE_P256, mobid_buf_view(&x),
                                           mobid_buf_view(&y), mobid_view_make(NULL, 0),
                                           &sdev_pub),
                     MOBID_OK);
    x.len = y.len = 0;
    assert_int_equal(mobid_key_to_coords(a->reader, &x, &y, NULL), MOBID_OK);
    assert_int_equal(mobid_key_from_coords(MOBID_CURVE_P256, mobid_buf_view(&x),
                                           mobid_buf_view(&y), mobid_view_make(NULL, 0),
                                           &reader_pub),
                     MOBID_OK);
    /* Reader side and device side derive the same key, the published one. */
    assert_int_equal(mobid_mdoc_emac_key(a->reader, sdev_pub, mobid_buf_view(&a->transcript), k1),
                     MOBID_OK);
    assert_int_equal(mobid_mdoc_emac_key(sdev, reader_pub, mobid_buf_view(&a->transcript), k2),
                     MOBID_OK);
    tu_hex("dc2b9566fdaaae3c06baa40993cd0451aeba15e7677ef5305f6531f3533c35dd", &want);
    assert_memory_equal(k1, want.ptr, 32);
    assert_memory_equal(k2, want.ptr, 32);
    mobid_buf_free(&want);
    mobid_buf_free(&x);
    mobid_buf_free(&y);
    mobid_key_free(sdev);
    mobid_key_free(sdev_pub);
    mobid_key_free(reader_pub);
}

/* The NFC-handover transcript rebuilt from its parts is byte-identical. */
static void test_annexd_transcript_nfc(void **state)
{
    TU_REQUIRE_VECTORS();
    annexd *a = *state;
    mobid_buf sel, req, built, eudi;
    mobid_cbor_item st, de, erk, inner;
    mobid_view arr, de_bytes, erk_bytes;
    mobid_cbor_iter it;
    tu_read_vector_hex("mdoc/eudi_ios_annexD_d52_nfcHandoverSelect.hex", &sel);
    tu_read_vector_hex("mdoc/eudi_ios_annexD_d52_nfcHandoverRequest.hex", &req);
    tu_read_vector_hex("mdoc/eudi_ios_annexD_d51_sessionTranscriptData.hex", &eudi);
    assert_true(mobid_view_eq(mobid_buf_view(&eudi), mobid_buf_view(&a->transcript)));
    assert_int_equal(mobid_mdoc_transcript_unwrap(mobid_buf_view(&a->transcript), &arr), MOBID_OK);
    assert_int_equal(mobid_cbor_decode_exact(arr, NULL, &st), MOBID_OK);
    mobid_cbor_iter_init(&it, &st);
    assert_int_equal(mobid_cbor_iter_next(&it, &de), MOBID_OK);
    assert_int_equal(mobid_cbor_iter_next(&it, &erk), MOBID_OK);
    assert_int_equal(mobid_cbor_get_embedded(&de, NULL, &inner, &de_bytes), MOBID_OK);
    assert_int_equal(mobid_cbor_get_embedded(&erk, NULL, &inner, &erk_bytes), MOBID_OK);
    mobid_buf_init(&built, 0);
    assert_int_equal(mobid_mdoc_transcript_iso(de_bytes, erk_bytes, mobid_buf_view(&sel),
                                               mobid_buf_view(&req), &built),
                     MOBID_OK);
    assert_true(mobid_view_eq(mobid_buf_view(&built), arr));
    /* The QR form has Handover = null. */
    built.len = 0;
    assert_int_equal(mobid_mdoc_transcript_iso(de_bytes, erk_bytes, mobid_view_make(NULL, 0),
                                               mobid_view_make(NULL, 0), &built),
                     MOBID_OK);
    assert_int_equal(built.ptr[built.len - 1], 0xf6);
    mobid_buf_free(&built);
    mobid_buf_free(&sel);
    mobid_buf_free(&req);
    mobid_buf_free(&eudi);
}

/* DeviceAuthenticationBytes as published in D.5.3. */
static void test_annexd_device_auth_bytes(void **state)
{
    TU_REQUIRE_VECTORS();
    annexd *a = *state;
    mobid_buf want, got;
    mobid_view arr;
    static const uint8_t dns[] = { 0xd8, 0x18, 0x41, 0xa0 };
    tu_read_vector_hex("mdoc/eudi_ios_annexD_d53_deviceAuthDeviceAuthenticationBytes.hex", &want);
    assert_int_equal(mobid_mdoc_transcript_unwrap(mobid_buf_view(&a->transcript), &arr), MOBID_OK);
    mobid_buf_init(&got, 0);
    assert_int_equal(mdoc_device_auth_bytes(arr, mobid_view_str(MOBID_MDOC_DOCTYPE_MDL),
                                            mobid_view_make(dns, sizeof dns), &got),
                     MOBID_OK);
    assert_true(mobid_view_eq(mobid_buf_view(&got), mobid_buf_view(&want)));
    mobid_buf_free(&got);
    mobid_buf_free(&want);
}

/* The OpenID4VP App. B.2.6 transcripts, both flows. */
static void test_oid4vp_transcripts(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    mobid_buf text, thumb, out;
    const char *nonce = "exc7gBkxjx1rdc9udRrveKvSsJIq80avlXeLHhGwqtA";
    static const char *const keys[] = { "OID4VP_SESSION_TRANSCRIPT=",
                                        "OID4VP_DCAPI_SESSION_TRANSCRIPT=" };
    tu_read_vector("mdoc/openid4vp_session_transcripts.txt", &text);
    tu_hex("4283ec927ae0f208daaa2d026a814f2b22dca52cf85ffa8f3f8626c6bd669047", &thumb);
    for (int k = 0; k < 2; k++) {
        const char *line = strstr((const char *)text.ptr, keys[k]);
        assert_non_null(line);
        line += strlen(keys[k]);
        mobid_buf want;
        mobid_buf_init(&want, 0);
        assert_int_equal(mobid_hex_decode(mobid_view_make(line, strcspn(line, "\n")), &want),
                         MOBID_OK);
        mobid_buf_init(&out, 0);
        if (k == 0)
            assert_int_equal(mobid_mdoc_transcript_oid4vp("x509_san_dns:example.com", nonce,
                                                          mobid_buf_view(&thumb),
                                                          "https://example.com/response", &out),
                             MOBID_OK);
        else
            assert_int_equal(mobid_mdoc_transcript_oid4vp_dcapi("https://example.com", nonce,
                                                                mobid_buf_view(&thumb), &out),
                             MOBID_OK);
        assert_true(mobid_view_eq(mobid_buf_view(&out), mobid_buf_view(&want)));
        mobid_buf_free(&out);
        mobid_buf_free(&want);
    }
    mobid_buf_free(&thumb);
    mobid_buf_free(&text);
}

/* Codes a flipped byte may produce: each names what broke. */
static bool specific_code(mobid_err e)
{
    switch (e) {
    case MOBID_ERR_MALFORMED:
    case MOBID_ERR_ISSUER_SIGNATURE_INVALID:
    case MOBID_ERR_UNTRUSTED_ISSUER:
    case MOBID_ERR_CERT_INVALID:
    case MOBID_ERR_CERT_EXPIRED:
    case MOBID_ERR_CERT_NOT_YET_VALID:
    case MOBID_ERR_CERT_USAGE:
    case MOBID_ERR_DIGEST_MISMATCH:
    case MOBID_ERR_DUPLICATE_DISCLOSURE:
    case MOBID_ERR_DEVICE_KEY_INVALID:
    case MOBID_ERR_DEVICE_MAC_INVALID:
    case MOBID_ERR_DEVICE_SIGNATURE_INVALID:
    case MOBID_ERR_NOT_YET_VALID:
    case MOBID_ERR_EXPIRED:
    case MOBID_ERR_DOCTYPE_MISMATCH:
    case MOBID_ERR_DOCUMENT_ERROR:
    case MOBID_ERR_ALG_NOT_ALLOWED:
    case MOBID_ERR_CRITICAL_HEADER:
    case MOBID_ERR_UNSUPPORTED:
        return true;
    default:
        return false;
    }
}

/* What the original response reports: version 1.0, one mDL, six items. */
static bool same_as_original(const mobid_mdoc_result *res)
{
    return mobid_view_eq_str(res->version, "1.0") && res->n_docs == 1 &&
           res->docs[0].n_items == 6 &&
           mobid_view_eq_str(res->docs[0].doctype, MOBID_MDOC_DOCTYPE_MDL);
}

static void test_annexd_every_byte_flip(void **state)
{
    TU_REQUIRE_VECTORS();
    annexd *a = *state;
    mobid_buf copy;
    unsigned counts[MOBID_ERR_END_] = { 0 };
    static const uint8_t masks[] = { 0x01, 0x80, 0xff };
    unsigned reported = 0;
    mobid_buf_init(&copy, 0);
    assert_int_equal(mobid_buf_append_view(&copy, mobid_buf_view(&a->response)), MOBID_OK);
    for (size_t i = 0; i < copy.len; i++) {
        for (size_t m = 0; m < sizeof masks; m++) {
            mobid_mdoc_result res;
            copy.ptr[i] ^= masks[m];
            mobid_err err = verify_at(a, mobid_buf_view(&copy), ANNEXD_AT, &res);
            bool visible_change = err == MOBID_OK && !same_as_original(&res);
            copy.ptr[i] ^= masks[m];
            if (visible_change) {
                reported++; /* accepted, and what changed shows in the result */
                mobid_mdoc_result_free(&res);
                continue;
            }
            if (!specific_code(err))
                fail_msg("flip 0x%02x at byte %zu of %zu: %s (%s)", masks[m], i, copy.len,
                         mobid_err_name(err), res.detail);
            counts[err]++;
            mobid_mdoc_result_free(&res);
        }
    }
    print_message("  %-26s %u\n", "accepted, reported", reported);
    for (int e = 0; e < MOBID_ERR_END_; e++)
        if (counts[e])
            print_message("  %-26s %u\n", mobid_err_name((mobid_err)e), counts[e]);
    /* The signed and MACed parts dominate the response: each check must have fired. */
    assert_true(counts[MOBID_ERR_ISSUER_SIGNATURE_INVALID] > 0);
    assert_true(counts[MOBID_ERR_DIGEST_MISMATCH] > 0);
    assert_true(counts[MOBID_ERR_DEVICE_MAC_INVALID] > 0);
    mobid_buf_free(&copy);
}

int main(void)
{
    TU_MAIN_REQUIRE_VECTORS();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_annexd_verifies),
        cmocka_unit_test(test_annexd_mac_needs_right_key),
        cmocka_unit_test(test_annexd_times),
        cmocka_unit_test(test_annexd_emac_key),
        cmocka_unit_test(test_annexd_transcript_nfc),
        cmocka_unit_test(test_annexd_device_auth_bytes),
        cmocka_unit_test(test_oid4vp_transcripts),
        cmocka_unit_test(test_annexd_every_byte_flip),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
