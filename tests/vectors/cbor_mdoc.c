/*
 * lib/cbor against the ISO/IEC 18013-5 Annex D structures in
 * $MOBID_VECTORS/mdoc/: every CBOR vector decodes without allocating, its
 * items (tag-24 payloads included) nest and tile exactly, and re-encoding is
 * a same-length deterministic fixed point. On the DeviceResponse, navigation
 * finds the Annex D values, and the SHA-256 of each IssuerSignedItemBytes span
 * — the bytes as received — equals the digest the MSO signs.
 */
#include "testutil.h"

#include <mobid/cbor.h>
#include <mobid/crypto.h>
#include <string.h>

static const char *cbor_vectors[] = {
    "mdoc/annexd_device_engagement.hex",
    "mdoc/annexd_device_request.hex",
    "mdoc/annexd_device_response.hex",
    "mdoc/annexd_e_device_key_bytes.hex",
    "mdoc/annexd_items_request.hex",
    "mdoc/annexd_reader_auth.hex",
    "mdoc/annexd_session_data.hex",
    "mdoc/annexd_session_establishment.hex",
    "mdoc/annexd_session_termination.hex",
    "mdoc/annexd_session_transcript_bytes.hex",
    "mdoc/eudi_ios_annexD_d52_issuerAuthCBOR.hex",
    "mdoc/eudi_ios_annexD_d52_sigStructure.hex",
    "mdoc/eudi_ios_annexD_d53_deviceAuthDeviceAuthenticationBytes.hex",
    "mdoc/eudi_ios_annexD_d53_deviceAuthMacStructure.hex",
    "mdoc/eudi_ios_annexD_d54_ReaderAuthenticationBytes.hex",
    "mdoc/eudi_ios_annexD_d54_ReaderSigStructure.hex",
    "mdoc/isomdl_issuer_signed.hex",
    "mdoc/isomdl_session_session_transcript.hex",
};

/* Children tile their parent's content; tag-24 payloads are entered too.
 * Returns the number of items seen. */
static size_t check_tree(const mobid_cbor_item *it)
{
    mobid_cbor_iter iter;
    mobid_cbor_item child, inner;
    const uint8_t *next = it->content.ptr;
    size_t n = 1;
    if (it->type == MOBID_CBOR_TAG && it->arg == 24 &&
        mobid_cbor_get_embedded(it, NULL, &inner, NULL) == MOBID_OK)
        n += check_tree(&inner);
    mobid_cbor_iter_init(&iter, it);
    while (mobid_cbor_iter_next(&iter, &child) == MOBID_OK) {
        assert_ptr_equal(child.span.ptr, next);
        next += child.span.len;
        n += check_tree(&child);
    }
    if (it->type == MOBID_CBOR_ARRAY || it->type == MOBID_CBOR_MAP || it->type == MOBID_CBOR_TAG)
        assert_ptr_equal(next + it->indefinite, it->span.ptr + it->span.len);
    return n;
}

static void test_all_vectors_decode(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    for (size_t i = 0; i < sizeof cbor_vectors / sizeof *cbor_vectors; i++) {
        mobid_buf in, once, twice;
        mobid_cbor_item top, again;
        mobid_cbor_enc e;
        tu_read_vector_hex(cbor_vectors[i], &in);
        mobid_alloc_fail_after(0);
        mobid_err err = mobid_cbor_decode_exact(mobid_buf_view(&in), NULL, &top);
        mobid_alloc_fail_after(-1);
        if (err != MOBID_OK)
            fail_msg("%s: %s", cbor_vectors[i], mobid_err_name(err));
        assert_true(check_tree(&top) > 1);

        /* These use preferred heads; only map order may differ from ours. */
        mobid_buf_init(&once, 0);
        mobid_buf_init(&twice, 0);
        mobid_cbor_enc_init(&e, &once);
        mobid_cbor_put_item(&e, &top);
        assert_int_equal(mobid_cbor_enc_finish(&e), MOBID_OK);
        assert_int_equal(once.len, in.len);
        assert_int_equal(mobid_cbor_decode_exact(mobid_buf_view(&once), NULL, &again), MOBID_OK);
        mobid_cbor_enc_init(&e, &twice);
        mobid_cbor_put_item(&e, &again);
        assert_int_equal(mobid_cbor_enc_finish(&e), MOBID_OK);
        assert_true(mobid_view_eq(mobid_buf_view(&once), mobid_buf_view(&twice)));
        mobid_buf_free(&in);
        mobid_buf_free(&once);
        mobid_buf_free(&twice);
    }
}

static void get_text_eq(const mobid_cbor_item *map, const char *key, const char *want)
{
    mobid_cbor_item v;
    mobid_view s;
    assert_int_equal(mobid_cbor_map_get_text(map, key, &v), MOBID_OK);
    assert_int_equal(mobid_cbor_get_text(&v, &s), MOBID_OK);
    assert_true(mobid_view_eq_str(s, want));
}

/* issuerAuth[2] → tag 24 → MSO → valueDigests["org.iso.18013.5.1"]. */
static void mso_digests(const mobid_cbor_item *issuer_auth, mobid_cbor_item *digests)
{
    mobid_cbor_iter it;
    mobid_cbor_item el, tag, mso, vd;
    mobid_view payload;
    assert_int_equal(issuer_auth->arg, 4);
    mobid_cbor_iter_init(&it, issuer_auth);
    for (int i = 0; i < 3; i++)
        assert_int_equal(mobid_cbor_iter_next(&it, &el), MOBID_OK);
    assert_int_equal(mobid_cbor_get_bytes(&el, &payload), MOBID_OK);
    assert_int_equal(mobid_cbor_decode_exact(payload, NULL, &tag), MOBID_OK);
    assert_int_equal(mobid_cbor_get_embedded(&tag, NULL, &mso, NULL), MOBID_OK);
    get_text_eq(&mso, "docType", "org.iso.18013.5.1.mDL");
    get_text_eq(&mso, "digestAlgorithm", "SHA-256");
    assert_int_equal(mobid_cbor_map_get_text(&mso, "valueDigests", &vd), MOBID_OK);
    assert_int_equal(mobid_cbor_map_get_text(&vd, "org.iso.18013.5.1", digests), MOBID_OK);
    assert_int_equal(digests->arg, 13);
}

static void test_device_response(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    static const char *ids[] = { "family_name",     "issue_date", "expiry_date",
                                 "document_number", "portrait",   "driving_privileges" };
    static const int64_t digest_ids[] = { 0, 3, 4, 7, 8, 9 };
    mobid_buf in, portrait;
    mobid_cbor_item top, docs, doc, issuer, ns, items, tag, isi, v, auth, digests, want;
    tu_read_vector_hex("mdoc/annexd_device_response.hex", &in);
    tu_read_vector_hex("mdoc/annexd_device_response_portrait_data.hex", &portrait);
    assert_int_equal(mobid_cbor_decode_exact(mobid_buf_view(&in), NULL, &top), MOBID_OK);
    get_text_eq(&top, "version", "1.0");
    assert_int_equal(mobid_cbor_map_get_text(&top, "status", &v), MOBID_OK);
    assert_int_equal(v.arg, 0);
    assert_int_equal(mobid_cbor_map_get_text(&top, "documents", &docs), MOBID_OK);
    mobid_cbor_iter it;
    mobid_cbor_iter_init(&it, &docs);
    assert_int_equal(mobid_cbor_iter_next(&it, &doc), MOBID_OK);
    get_text_eq(&doc, "docType", "org.iso.18013.5.1.mDL");
    assert_int_equal(mobid_cbor_map_get_text(&doc, "issuerSigned", &issuer), MOBID_OK);
    assert_int_equal(mobid_cbor_map_get_text(&issuer, "issuerAuth", &auth), MOBID_OK);
    mso_digests(&auth, &digests);
    assert_int_equal(mobid_cbor_map_get_text(&issuer, "nameSpaces", &ns), MOBID_OK);
    assert_int_equal(mobid_cbor_map_get_text(&ns, "org.iso.18013.5.1", &items), MOBID_OK);
    assert_int_equal(items.arg, 6);

    mobid_cbor_iter_init(&it, &items);
    for (size_t i = 0; i < 6; i++) {
        mobid_view span, got;
        uint8_t h[MOBID_HASH_MAX];
        int64_t id;
        assert_int_equal(mobid_cbor_iter_next(&it, &tag), MOBID_OK);
        /* The span is the received IssuerSignedItemBytes, inside the input. */
        span = tag.span;
        assert_true(span.ptr > in.ptr && span.ptr + span.len <= in.ptr + in.len);
        assert_memory_equal(span.ptr, "\xd8\x18", 2);
        assert_int_equal(mobid_cbor_get_embedded(&tag, NULL, &isi, NULL), MOBID_OK);
        get_text_eq(&isi, "elementIdentifier", ids[i]);
        assert_int_equal(mobid_cbor_map_get_text(&isi, "digestID", &v), MOBID_OK);
        assert_int_equal(mobid_cbor_get_int64(&v, &id), MOBID_OK);
        assert_int_equal(id, digest_ids[i]);
        /* SHA-256 over exactly those bytes is the digest the MSO signs. */
        assert_int_equal(mobid_hash(MOBID_HASH_SHA256, span, h), MOBID_OK);
        assert_int_equal(mobid_cbor_map_get_int(&digests, id, &want), MOBID_OK);
        assert_int_equal(mobid_cbor_get_bytes(&want, &got), MOBID_OK);
        assert_int_equal(got.len, 32);
        assert_memory_equal(got.ptr, h, 32);
        if (i == 4) {
            assert_int_equal(mobid_cbor_map_get_text(&isi, "elementValue", &v), MOBID_OK);
            assert_int_equal(mobid_cbor_get_bytes(&v, &got), MOBID_OK);
            assert_true(mobid_view_eq(got, mobid_buf_view(&portrait)));
        }
    }
    assert_int_equal(mobid_cbor_iter_next(&it, &tag), MOBID_ERR_NOT_FOUND);
    mobid_buf_free(&in);
    mobid_buf_free(&portrait);
}

int main(void)
{
    TU_MAIN_REQUIRE_VECTORS();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_vectors_decode),
        cmocka_unit_test(test_device_response),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
