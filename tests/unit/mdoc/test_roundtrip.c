/*
 * issue → present a subset → verify, for the mDL and for the project's overseas
 * resident card; the verifier sees exactly the revealed elements. Then each
 * failure the verifier knows, produced on purpose, gives its own code.
 */
#include "mdoc_fixture.h"

#include <stdlib.h>

/* The resident card's doctype and namespace as etc/card-types.json defines them. */
#define KR_RESIDENT_DOCTYPE "kr.go.mois.resident.1"
#define KR_RESIDENT_NS "kr.go.mois.resident.1"

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    fx_init(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_free(*state);
    free(*state);
    return 0;
}

static const mobid_mdoc_item *find(const mobid_mdoc_doc *d, const char *id)
{
    for (size_t i = 0; i < d->n_items; i++)
        if (mobid_view_eq_str(d->items[i].id, id))
            return &d->items[i];
    return NULL;
}

static void roundtrip(fixture *f, const char *doctype, const char *ns, bool mac)
{
    mobid_buf is, resp;
    mobid_mdoc_result res;
    static const unsigned ages[] = { 18, 21, 65 };
    const mobid_mdoc_ref refs[] = { { ns, "family_name" }, { ns, "portrait" },
                                    { ns, "age_over_18" }, { ns, "age_over_65" } };
    assert_int_equal(fx_issue(f, doctype, ns, FX_NOW - FX_DAY, FX_NOW + 365 * FX_DAY, ages, 3, &is),
                     MOBID_OK);
    assert_int_equal(fx_present(f, mobid_buf_view(&is), refs, 4, mac, &resp), MOBID_OK);
    mobid_err err = fx_verify(f, mobid_buf_view(&resp), FX_NOW, mac, &res);
    if (err != MOBID_OK)
        fail_msg("%s: %s", mobid_err_name(err), res.detail);
    assert_int_equal(res.n_docs, 1);
    const mobid_mdoc_doc *d = &res.docs[0];
    assert_true(mobid_view_eq_str(d->doctype, doctype));
    assert_int_equal(d->device_mac, mac);
    assert_int_equal(d->n_items, 4);
    for (size_t i = 0; i < 4; i++)
        assert_non_null(find(d, refs[i].id));
    assert_null(find(d, "given_name"));
    assert_null(find(d, "birth_date"));
    /* Born 2000-06-15, signed 2025-12-31: 25 years old. */
    assert_int_equal(find(d, "age_over_18")->value.ptr[0], 0xf5);
    assert_int_equal(find(d, "age_over_65")->value.ptr[0], 0xf4);
    assert_true(mobid_view_eq(find(d, "family_name")->value,
                              mobid_view_make(fx_text_doe, sizeof fx_text_doe)));
    assert_int_equal(d->valid_from, FX_NOW - FX_DAY);
    assert_int_equal(d->valid_until, FX_NOW + 365 * FX_DAY);

    json_t *claims = NULL;
    assert_int_equal(mobid_mdoc_doc_claims_json(d, &claims), MOBID_OK);
    json_t *nsj = json_object_get(claims, ns);
    assert_int_equal(json_object_size(claims), 1);
    assert_int_equal(json_object_size(nsj), 4);
    assert_string_equal(json_string_value(json_object_get(nsj, "family_name")), "Doe");
    assert_string_equal(json_string_value(json_object_get(nsj, "portrait")), "_9j_4A");
    assert_true(json_is_true(json_object_get(nsj, "age_over_18")));
    json_decref(claims);
    mobid_mdoc_result_free(&res);
    mobid_buf_free(&is);
    mobid_buf_free(&resp);
}

static void test_mdl_signature(void **state)
{
    roundtrip(*state, MOBID_MDOC_DOCTYPE_MDL, MOBID_MDOC_NS_MDL, false);
}

static void test_mdl_mac(void **state)
{
    roundtrip(*state, MOBID_MDOC_DOCTYPE_MDL, MOBID_MDOC_NS_MDL, true);
}

static void test_overseas_card(void **state)
{
    roundtrip(*state, KR_RESIDENT_DOCTYPE, KR_RESIDENT_NS, false);
}

/* A fresh mDL presented with family_name and document_number. */
static void make_response(fixture *f, mobid_time from, mobid_time until, mobid_buf *resp)
{
    mobid_buf is;
    const mobid_mdoc_ref refs[] = { { MOBID_MDOC_NS_MDL, "family_name" },
                                    { MOBID_MDOC_NS_MDL, "document_number" } };
    assert_int_equal(fx_issue(f, MOBID_MDOC_DOCTYPE_MDL, MOBID_MDOC_NS_MDL, from, until, NULL, 0,
                              &is),
                     MOBID_OK);
    assert_int_equal(fx_present(f, mobid_buf_view(&is), refs, 2, false, resp), MOBID_OK);
    mobid_buf_free(&is);
}

static mobid_err verify_code(fixture *f, mobid_view resp, mobid_time at)
{
    mobid_mdoc_result res;
    mobid_err err = fx_verify(f, resp, at, false, &res);
    if (err != MOBID_OK)
        assert_true(res.detail[0] != 0); /* every failure says where */
    mobid_mdoc_result_free(&res);
    return err;
}

static uint8_t *find_bytes(mobid_buf *b, const void *needle, size_t n)
{
    for (size_t i = 0; i + n <= b->len; i++)
        if (!memcmp(b->ptr + i, needle, n))
            return b->ptr + i;
    return NULL;
}

static void test_validity_window(void **state)
{
    fixture *f = *state;
    mobid_buf resp;
    make_response(f, FX_NOW + 10 * FX_DAY, FX_NOW + 20 * FX_DAY, &resp);
    assert_int_equal(verify_code(f, mobid_buf_view(&resp), FX_NOW), MOBID_ERR_NOT_YET_VALID);
    assert_int_equal(verify_code(f, mobid_buf_view(&resp), FX_NOW + 15 * FX_DAY), MOBID_OK);
    assert_int_equal(verify_code(f, mobid_buf_view(&resp), FX_NOW + 21 * FX_DAY), MOBID_ERR_EXPIRED);
    mobid_buf_free(&resp);
}

static void test_tampering(void **state)
{
    fixture *f = *state;
    mobid_buf resp;
    make_response(f, FX_NOW - FX_DAY, FX_NOW + FX_DAY, &resp);
    assert_int_equal(verify_code(f, mobid_buf_view(&resp), FX_NOW), MOBID_OK);

    /* A disclosed value changed: its digest no longer matches. */
    uint8_t *doe = find_bytes(&resp, "Doe", 3);
    assert_non_null(doe);
    doe[2] = 'x';
    assert_int_equal(verify_code(f, mobid_buf_view(&resp), FX_NOW), MOBID_ERR_DIGEST_MISMATCH);
    doe[2] = 'e';

    /* The Document's docType (first occurrence) no longer agrees with the MSO. */
    uint8_t *dt = find_bytes(&resp, MOBID_MDOC_DOCTYPE_MDL, strlen(MOBID_MDOC_DOCTYPE_MDL));
    assert_non_null(dt);
    dt[strlen(MOBID_MDOC_DOCTYPE_MDL) - 1] = 'X';
    assert_int_equal(verify_code(f, mobid_buf_view(&resp), FX_NOW), MOBID_ERR_DOCTYPE_MISMATCH);
    dt[strlen(MOBID_MDOC_DOCTYPE_MDL) - 1] = 'L';

    /* The MSO's "validityInfo" text sits inside the signed payload. */
    uint8_t *vi = find_bytes(&resp, "validityInfo", 12);
    assert_non_null(vi);
    vi[0] ^= 0x20;
    assert_int_equal(verify_code(f, mobid_buf_view(&resp), FX_NOW),
                     MOBID_ERR_ISSUER_SIGNATURE_INVALID);
    vi[0] ^= 0x20;

    /* The last byte of the device signature (the COSE_Sign1 after its member name). */
    uint8_t *ds = find_bytes(&resp, "deviceSignature", 15);
    assert_non_null(ds);
    mobid_cbor_item sig;
    assert_int_equal(mobid_cbor_decode(mobid_view_make(ds + 15, resp.len - (size_t)(ds + 15 - resp.ptr)),
                                       NULL, &sig, NULL),
                     MOBID_OK);
    uint8_t *last = (uint8_t *)sig.span.ptr + sig.span.len - 1;
    *last ^= 1;
    assert_int_equal(verify_code(f, mobid_buf_view(&resp), FX_NOW),
                     MOBID_ERR_DEVICE_SIGNATURE_INVALID);
    *last ^= 1;

    /* Truncated. */
    assert_int_equal(verify_code(f, mobid_view_make(resp.ptr, resp.len - 1), FX_NOW),
                     MOBID_ERR_MALFORMED);
    assert_int_equal(verify_code(f, mobid_buf_view(&resp), FX_NOW), MOBID_OK);
    mobid_buf_free(&resp);
}

static void test_wrong_transcript(void **state)
{
    fixture *f = *state;
    mobid_buf resp, other;
    mobid_mdoc_result res;
    make_response(f, FX_NOW - FX_DAY, FX_NOW + FX_DAY, &resp);
    mobid_buf_init(&other, 0);
    assert_int_equal(mobid_mdoc_transcript_oid4vp("x509_san_dns:rp.example", "nonce-2",
                                                  mobid_view_make(NULL, 0),
                                                  "https://rp.example/post", &other),
                     MOBID_OK);
    mobid_mdoc_verify_opts o = { mobid_buf_view(&other), NULL, FX_NOW, NULL };
    assert_int_equal(mobid_mdoc_verify(f->verifier, mobid_buf_view(&resp), &o, &res),
                     MOBID_ERR_DEVICE_SIGNATURE_INVALID);
    mobid_mdoc_result_free(&res);
    /* A tag-24 wrapped transcript is the same transcript. */
    mobid_buf wrapped;
    mobid_cbor_enc e;
    mobid_buf_init(&wrapped, 0);
    mobid_cbor_enc_init(&e, &wrapped);
    mobid_cbor_put_tag(&e, 24);
    mobid_cbor_put_bytes(&e, mobid_buf_view(&f->transcript));
    assert_int_equal(mobid_cbor_enc_finish(&e), MOBID_OK);
    o.transcript = mobid_buf_view(&wrapped);
    assert_int_equal(mobid_mdoc_verify(f->verifier, mobid_buf_view(&resp), &o, &res), MOBID_OK);
    mobid_mdoc_result_free(&res);
    /* Expected docType. */
    o.expect_doctype = "org.example.other";
    assert_int_equal(mobid_mdoc_verify(f->verifier, mobid_buf_view(&resp), &o, &res),
                     MOBID_ERR_DOCTYPE_MISMATCH);
    mobid_mdoc_result_free(&res);
    mobid_buf_free(&wrapped);
    mobid_buf_free(&other);
    mobid_buf_free(&resp);
}

static void test_untrusted_issuer(void **state)
{
    fixture *f = *state;
    fixture g;
    mobid_buf resp;
    mobid_mdoc_result res;
    make_response(f, FX_NOW - FX_DAY, FX_NOW + FX_DAY, &resp);
    fx_init(&g); /* another IACA */
    mobid_mdoc_verify_opts o = { mobid_buf_view(&f->transcript), NULL, FX_NOW, NULL };
    assert_int_equal(mobid_mdoc_verify(g.verifier, mobid_buf_view(&resp), &o, &res),
                     MOBID_ERR_UNTRUSTED_ISSUER);
    mobid_mdoc_result_free(&res);
    /* Pinned trust: the DS certificate itself as the anchor. */
    mobid_trust *pinned = NULL;
    mobid_mdoc_verifier *pv = NULL;
    assert_int_equal(mobid_trust_new(&pinned), MOBID_OK);
    assert_int_equal(mobid_trust_add(pinned, f->ds), MOBID_OK);
    assert_int_equal(mobid_mdoc_verifier_new(pinned, &pv), MOBID_OK);
    assert_int_equal(mobid_mdoc_verify(pv, mobid_buf_view(&resp), &o, &res), MOBID_OK);
    mobid_mdoc_result_free(&res);
    mobid_mdoc_verifier_free(pv);
    mobid_trust_free(pinned);
    fx_free(&g);
    mobid_buf_free(&resp);
}

/* An anchor listed for other docTypes (a VICAL entry) does not vouch for this one;
 * the trust policy's warnings reach the result. */
static void test_doctype_restricted_anchor(void **state)
{
    fixture *f = *state;
    mobid_buf resp;
    mobid_mdoc_result res;
    mobid_trust *t = NULL;
    mobid_mdoc_verifier *v = NULL;
    make_response(f, FX_NOW - FX_DAY, FX_NOW + FX_DAY, &resp);
    mobid_view other = mobid_view_str("org.example.other");
    assert_int_equal(mobid_trust_new(&t), MOBID_OK);
    assert_int_equal(mobid_trust_add_for_doctypes(t, f->iaca, &other, 1), MOBID_OK);
    assert_int_equal(mobid_mdoc_verifier_new(t, &v), MOBID_OK);
    mobid_mdoc_verify_opts o = { mobid_buf_view(&f->transcript), NULL, FX_NOW, NULL };
    assert_int_equal(mobid_mdoc_verify(v, mobid_buf_view(&resp), &o, &res),
                     MOBID_ERR_DOCTYPE_NOT_ALLOWED);
    assert_non_null(strstr(res.detail, "not trusted for docType"));
    mobid_mdoc_result_free(&res);
    mobid_mdoc_verifier_free(v);
    mobid_trust_free(t);
    /* The fixture's DS has the 18013-5 EKU: no warning. */
    assert_int_equal(mobid_mdoc_verify(f->verifier, mobid_buf_view(&resp), &o, &res), MOBID_OK);
    assert_int_equal(res.docs[0].warnings, 0);
    mobid_mdoc_result_free(&res);
    mobid_buf_free(&resp);
}

static void test_mac_wrong_reader(void **state)
{
    fixture *f = *state;
    mobid_buf is, resp;
    mobid_mdoc_result res;
    mobid_key *other = NULL;
    const mobid_mdoc_ref refs[] = { { MOBID_MDOC_NS_MDL, "family_name" } };
    assert_int_equal(fx_issue(f, MOBID_MDOC_DOCTYPE_MDL, MOBID_MDOC_NS_MDL, FX_NOW - FX_DAY,
                              FX_NOW + FX_DAY, NULL, 0, &is),
                     MOBID_OK);
    assert_int_equal(fx_present(f, mobid_buf_view(&is), refs, 1, true, &resp), MOBID_OK);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &other), MOBID_OK);
    mobid_mdoc_verify_opts o = { mobid_buf_view(&f->transcript), other, FX_NOW, NULL };
    assert_int_equal(mobid_mdoc_verify(f->verifier, mobid_buf_view(&resp), &o, &res),
                     MOBID_ERR_DEVICE_MAC_INVALID);
    mobid_mdoc_result_free(&res);
    mobid_key_free(other);
    mobid_buf_free(&is);
    mobid_buf_free(&resp);
}

static void test_present_unknown_element(void **state)
{
    fixture *f = *state;
    mobid_buf is, resp;
    const mobid_mdoc_ref refs[] = { { MOBID_MDOC_NS_MDL, "no_such_element" } };
    assert_int_equal(fx_issue(f, MOBID_MDOC_DOCTYPE_MDL, MOBID_MDOC_NS_MDL, FX_NOW,
                              FX_NOW + FX_DAY, NULL, 0, &is),
                     MOBID_OK);
    assert_int_equal(fx_present(f, mobid_buf_view(&is), refs, 1, false, &resp),
                     MOBID_ERR_NOT_FOUND);
    mobid_buf_free(&resp);
    mobid_buf_free(&is);
}

/* Digest IDs are a permutation of 0..n-1 and not the element order every time;
 * salts are 32 random bytes. */
static void test_digest_ids_and_salts(void **state)
{
    fixture *f = *state;
    bool shuffled = false;
    for (int round = 0; round < 4; round++) {
        mobid_buf is;
        mobid_cbor_item top, ns, arr, tagged, item, v;
        mobid_cbor_iter it;
        bool seen[16] = { false };
        uint64_t pos = 0, id;
        assert_int_equal(fx_issue(f, MOBID_MDOC_DOCTYPE_MDL, MOBID_MDOC_NS_MDL, FX_NOW,
                                  FX_NOW + FX_DAY, NULL, 0, &is),
                         MOBID_OK);
        assert_int_equal(mobid_cbor_decode_exact(mobid_buf_view(&is), NULL, &top), MOBID_OK);
        assert_int_equal(mobid_cbor_map_get_text(&top, "nameSpaces", &ns), MOBID_OK);
        assert_int_equal(mobid_cbor_map_get_text(&ns, MOBID_MDOC_NS_MDL, &arr), MOBID_OK);
        assert_int_equal(arr.arg, 7);
        mobid_cbor_iter_init(&it, &arr);
        while (mobid_cbor_iter_next(&it, &tagged) == MOBID_OK) {
            mobid_view salt;
            assert_int_equal(mobid_cbor_get_embedded(&tagged, NULL, &item, NULL), MOBID_OK);
            assert_int_equal(mobid_cbor_map_get_text(&item, "digestID", &v), MOBID_OK);
            assert_int_equal(mobid_cbor_get_uint64(&v, &id), MOBID_OK);
            assert_true(id < 7 && !seen[id]);
            seen[id] = true;
            shuffled |= id != pos++;
            assert_int_equal(mobid_cbor_map_get_text(&item, "random", &v), MOBID_OK);
            assert_int_equal(mobid_cbor_get_bytes(&v, &salt), MOBID_OK);
            assert_int_equal(salt.len, 32);
        }
        mobid_buf_free(&is);
    }
    assert_true(shuffled);
}

/* SHA-384 digests, a status list reference and a P-384 document signer all
 * survive the round trip; the verifier reports the status reference. */
static void test_options(void **state)
{
    fixture *f = *state;
    mobid_key *ds384 = NULL;
    mobid_cert *cert384 = NULL;
    mobid_cert_spec spec = { 0 };
    mobid_buf is, resp;
    mobid_mdoc_result res;
    spec.subject_cn = "Test DS P-384";
    spec.subject_c = "KR";
    spec.not_before = FX_NOW - FX_DAY;
    spec.not_after = FX_NOW + 100 * FX_DAY;
    spec.purpose = MOBID_PURPOSE_MDOC_DS;
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P384, &ds384), MOBID_OK);
    assert_int_equal(mobid_cert_issue(&spec, ds384, f->iaca_key, f->iaca, &cert384), MOBID_OK);
    mobid_cert *chain[1] = { cert384 };
    const mobid_mdoc_element els[] = {
        { KR_RESIDENT_NS, "family_name", mobid_view_make(fx_text_doe, sizeof fx_text_doe) },
    };
    mobid_mdoc_issue_opts o;
    memset(&o, 0, sizeof o);
    o.doctype = KR_RESIDENT_DOCTYPE;
    o.elements = els;
    o.n_elements = 1;
    o.issuer_key = ds384;
    o.chain = chain;
    o.n_chain = 1;
    o.device_key = f->device_key;
    o.digest_alg = MOBID_HASH_SHA384;
    o.signed_at = FX_NOW - 60;
    o.status_uri = "https://status.example/lists/7";
    o.status_idx = 4242;
    mobid_buf_init(&is, 0);
    assert_int_equal(mobid_mdoc_issue(&o, &is), MOBID_OK);
    const mobid_mdoc_ref refs[] = { { KR_RESIDENT_NS, "family_name" } };
    assert_int_equal(fx_present(f, mobid_buf_view(&is), refs, 1, false, &resp), MOBID_OK);
    mobid_err err = fx_verify(f, mobid_buf_view(&resp), FX_NOW, false, &res);
    if (err != MOBID_OK)
        fail_msg("%s: %s", mobid_err_name(err), res.detail);
    assert_true(res.docs[0].has_status);
    assert_int_equal(res.docs[0].status_idx, 4242);
    assert_true(mobid_view_eq_str(res.docs[0].status_uri, "https://status.example/lists/7"));
    assert_int_equal(res.docs[0].valid_until, FX_NOW - 60 + 365 * FX_DAY);
    mobid_mdoc_result_free(&res);
    /* Asking for ages without a birth date is refused. */
    static const unsigned ages[] = { 18 };
    o.age_over = ages;
    o.n_age_over = 1;
    is.len = 0;
    assert_int_equal(mobid_mdoc_issue(&o, &is), MOBID_ERR_NOT_FOUND);
    mobid_buf_free(&is);
    mobid_buf_free(&resp);
    mobid_cert_free(cert384);
    mobid_key_free(ds384);
}

/* Claims JSON markers and their way back. */
static void test_json_bridge(void **state)
{
    (void)state;
    json_error_t jerr;
    json_t *in = json_loads("{\"d\":{\"$date\":\"2000-06-15\"},\"t\":{\"$tdate\":"
                            "\"2020-10-01T13:30:02.5Z\"},\"b\":{\"$bytes\":\"_9j_4A\"},"
                            "\"n\":-3,\"a\":[true,null,1.5],\"s\":\"x\"}",
                            0, &jerr);
    assert_non_null(in);
    mobid_buf out;
    mobid_cbor_enc e;
    mobid_buf_init(&out, 0);
    mobid_cbor_enc_init(&e, &out);
    assert_int_equal(mobid_mdoc_value_from_json(in, &e), MOBID_OK);
    assert_int_equal(mobid_cbor_enc_finish(&e), MOBID_OK);
    /* the full-date is tag 1004 */
    assert_non_null(find_bytes(&out, "\xd9\x03\xec\x6a" "2000-06-15", 14));
    json_t *back = NULL;
    assert_int_equal(mobid_mdoc_value_to_json(mobid_buf_view(&out), &back), MOBID_OK);
    assert_string_equal(json_string_value(json_object_get(back, "d")), "2000-06-15");
    assert_string_equal(json_string_value(json_object_get(back, "b")), "_9j_4A");
    assert_int_equal(json_integer_value(json_object_get(back, "n")), -3);
    assert_true(json_is_true(json_array_get(json_object_get(back, "a"), 0)));
    json_decref(back);
    json_decref(in);
    /* A bad marker value is an error, not a silent string. */
    in = json_loads("{\"$date\":\"2000-13-45\"}", 0, &jerr);
    out.len = 0;
    mobid_cbor_enc_init(&e, &out);
    assert_int_not_equal(mobid_mdoc_value_from_json(in, &e), MOBID_OK);
    json_decref(in);
    mobid_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mdl_signature),
        cmocka_unit_test(test_mdl_mac),
        cmocka_unit_test(test_overseas_card),
        cmocka_unit_test(test_validity_window),
        cmocka_unit_test(test_tampering),
        cmocka_unit_test(test_wrong_transcript),
        cmocka_unit_test(test_untrusted_issuer),
        cmocka_unit_test(test_doctype_restricted_anchor),
        cmocka_unit_test(test_mac_wrong_reader),
        cmocka_unit_test(test_present_unknown_element),
        cmocka_unit_test(test_digest_ids_and_salts),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_json_bridge),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
