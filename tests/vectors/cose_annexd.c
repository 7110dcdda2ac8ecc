/*
 * COSE against published data in ../shared/vectors/mdoc (read at run time):
 * the ISO/IEC 18013-5 Annex D issuerAuth, deviceMac and readerAuth, and the
 * AAMVA VICAL. Skips, saying so, when the vectors folder is absent.
 */
#include "testutil.h"

#include <mobid/cose.h>
#include <stdio.h>
#include <string.h>

#define ANNEXD_SIGNED "2020-10-01T13:30:02Z"

static mobid_time at(const char *rfc3339)
{
    mobid_time t = 0;
    assert_int_equal(mobid_time_parse_rfc3339(mobid_view_str(rfc3339), &t, NULL), MOBID_OK);
    return t;
}

/* documents[0].issuerSigned.issuerAuth of the Annex D DeviceResponse. */
static void issuer_auth_item(const mobid_buf *resp, mobid_cbor_item *out)
{
    mobid_cbor_item top, docs, doc, is;
    mobid_cbor_iter it;
    assert_int_equal(mobid_cbor_decode_exact(mobid_buf_view(resp), NULL, &top), MOBID_OK);
    assert_int_equal(mobid_cbor_map_get_text(&top, "documents", &docs), MOBID_OK);
    mobid_cbor_iter_init(&it, &docs);
    assert_int_equal(mobid_cbor_iter_next(&it, &doc), MOBID_OK);
    assert_int_equal(mobid_cbor_map_get_text(&doc, "issuerSigned", &is), MOBID_OK);
    assert_int_equal(mobid_cbor_map_get_text(&is, "issuerAuth", out), MOBID_OK);
}

static mobid_trust *trust_from_hex(const char *rel)
{
    mobid_buf der;
    mobid_trust *t = NULL;
    tu_read_vector_hex(rel, &der);
    assert_int_equal(mobid_trust_new(&t), MOBID_OK);
    assert_int_equal(mobid_trust_add_pem(t, mobid_buf_view(&der)), MOBID_OK);
    mobid_buf_free(&der);
    return t;
}

static void test_issuer_auth(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    mobid_buf resp, copy, want_tbs, tbs, ds;
    mobid_cbor_item item;
    mobid_cose_sign1 s;
    mobid_cert *leaf = NULL;
    mobid_time nb, na;

    tu_read_vector_hex("mdoc/annexd_device_response.hex", &resp);
    tu_read_vector_hex("mdoc/eudi_ios_annexD_d52_issuerAuthCBOR.hex", &copy);
    tu_read_vector_hex("mdoc/eudi_ios_annexD_d52_sigStructure.hex", &want_tbs);
    tu_read_vector_hex("mdoc/annexd_ds_cert.hex", &ds);
    issuer_auth_item(&resp, &item);
    assert_int_equal(mobid_cose_sign1_from_item(&item, &s), MOBID_OK);
    /* The item inside the response is the stand-alone copy, byte for byte. */
    assert_true(mobid_view_eq(s.span, mobid_buf_view(&copy)));
    assert_false(s.tagged);
    assert_int_equal(s.alg, MOBID_ALG_ES256);
    assert_int_equal(s.x5chain_count, 1);
    assert_true(mobid_view_eq(s.x5chain[0], mobid_buf_view(&ds)));

    mobid_buf_init(&tbs, 0);
    assert_int_equal(mobid_cose_sig_structure(s.protected_bytes, mobid_view_make(NULL, 0),
                                              s.payload, &tbs),
                     MOBID_OK);
    assert_true(mobid_view_eq(mobid_buf_view(&tbs), mobid_buf_view(&want_tbs)));

    mobid_trust *iaca = trust_from_hex("mdoc/eudi_ios_annexD_d52_iaca.hex");
    const mobid_alg es256[] = { MOBID_ALG_ES256, MOBID_ALG_NONE };
    assert_int_equal(mobid_cose_sign1_verify_x5chain(&s, iaca, at(ANNEXD_SIGNED),
                                                     MOBID_PURPOSE_MDOC_DS,
                                                     mobid_view_make(NULL, 0),
                                                     mobid_view_make(NULL, 0), es256, &leaf),
                     MOBID_OK);
    assert_non_null(leaf);
    assert_true(mobid_view_eq(mobid_cert_der(leaf), mobid_buf_view(&ds)));
    /* Valid one second before the DS certificate's notAfter, expired one after. */
    mobid_cert_validity(leaf, &nb, &na);
    assert_int_equal(mobid_cose_sign1_verify_x5chain(&s, iaca, na - 1, MOBID_PURPOSE_MDOC_DS,
                                                     mobid_view_make(NULL, 0),
                                                     mobid_view_make(NULL, 0), es256, NULL),
                     MOBID_OK);
    assert_int_equal(mobid_cose_sign1_verify_x5chain(&s, iaca, na + 1, MOBID_PURPOSE_MDOC_DS,
                                                     mobid_view_make(NULL, 0),
                                                     mobid_view_make(NULL, 0), es256, NULL),
                     MOBID_ERR_CERT_EXPIRED);
    /* The signature covers the payload: one changed MSO byte breaks it. */
    mobid_cose_sign1 bad = s;
    mobid_buf mso;
    mobid_buf_init(&mso, 0);
    mobid_buf_append_view(&mso, s.payload);
    mso.ptr[mso.len / 2] ^= 1;
    bad.payload = mobid_buf_view(&mso);
    mobid_key *k = NULL;
    assert_int_equal(mobid_cert_public_key(leaf, &k), MOBID_OK);
    assert_int_equal(mobid_cose_sign1_verify(&s, k, mobid_view_make(NULL, 0),
                                             mobid_view_make(NULL, 0), es256),
                     MOBID_OK);
    assert_int_equal(mobid_cose_sign1_verify(&bad, k, mobid_view_make(NULL, 0),
                                             mobid_view_make(NULL, 0), es256),
                     MOBID_ERR_SIGNATURE_INVALID);

    mobid_key_free(k);
    mobid_buf_free(&mso);
    mobid_cert_free(leaf);
    mobid_trust_free(iaca);
    mobid_buf_free(&resp);
    mobid_buf_free(&copy);
    mobid_buf_free(&want_tbs);
    mobid_buf_free(&tbs);
    mobid_buf_free(&ds);
}

/* "EMacKey = <hex>" as computed in VERIFY_OUTPUT.txt. */
static void emac_key(mobid_buf *out)
{
    mobid_buf text;
    tu_read_vector("mdoc/VERIFY_OUTPUT.txt", &text);
    const char *p = strstr((const char *)text.ptr, "EMacKey = ");
    assert_non_null(p);
    p += strlen("EMacKey = ");
    mobid_buf_init(out, 0);
    assert_int_equal(mobid_hex_decode(mobid_view_make(p, 64), out), MOBID_OK);
    mobid_buf_free(&text);
}

static void test_device_mac(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    mobid_buf auth, dab, want, mine, key;
    mobid_cbor_item top, mac_item;
    mobid_cose_mac0 m;

    tu_read_vector_hex("mdoc/eudi_ios_annexD_d53_deviceAuth.hex", &auth);
    tu_read_vector_hex("mdoc/eudi_ios_annexD_d53_deviceAuthDeviceAuthenticationBytes.hex", &dab);
    tu_read_vector_hex("mdoc/eudi_ios_annexD_d53_deviceAuthMacStructure.hex", &want);
    assert_int_equal(mobid_cbor_decode_exact(mobid_buf_view(&auth), NULL, &top), MOBID_OK);
    assert_int_equal(mobid_cbor_map_get_text(&top, "deviceMac", &mac_item), MOBID_OK);
    assert_int_equal(mobid_cose_mac0_from_item(&mac_item, &m), MOBID_OK);
    assert_true(m.detached);
    assert_int_equal(m.alg_id, MOBID_COSE_ALG_HMAC256);

    mobid_buf_init(&mine, 0);
    assert_int_equal(mobid_cose_mac_structure(m.protected_bytes, mobid_view_make(NULL, 0),
                                              mobid_buf_view(&dab), &mine),
                     MOBID_OK);
    assert_true(mobid_view_eq(mobid_buf_view(&mine), mobid_buf_view(&want)));

    emac_key(&key);
    assert_int_equal(mobid_cose_mac0_verify(&m, mobid_buf_view(&key), mobid_view_make(NULL, 0),
                                            mobid_buf_view(&dab)),
                     MOBID_OK);
    dab.ptr[dab.len - 1] ^= 1;
    assert_int_equal(mobid_cose_mac0_verify(&m, mobid_buf_view(&key), mobid_view_make(NULL, 0),
                                            mobid_buf_view(&dab)),
                     MOBID_ERR_MAC_INVALID);
    mobid_buf_free(&auth);
    mobid_buf_free(&dab);
    mobid_buf_free(&want);
    mobid_buf_free(&mine);
    mobid_buf_free(&key);
}

static void test_reader_auth(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    mobid_buf ra, rab, want, mine;
    mobid_cose_sign1 s;

    tu_read_vector_hex("mdoc/eudi_ios_annexD_d54_readerAuth.hex", &ra);
    tu_read_vector_hex("mdoc/eudi_ios_annexD_d54_ReaderAuthenticationBytes.hex", &rab);
    tu_read_vector_hex("mdoc/eudi_ios_annexD_d54_ReaderSigStructure.hex", &want);
    assert_int_equal(mobid_cose_sign1_parse(mobid_buf_view(&ra), &s), MOBID_OK);
    assert_true(s.detached);
    assert_int_equal(s.x5chain_count, 1);
    mobid_buf_init(&mine, 0);
    assert_int_equal(mobid_cose_sig_structure(s.protected_bytes, mobid_view_make(NULL, 0),
                                              mobid_buf_view(&rab), &mine),
                     MOBID_OK);
    assert_true(mobid_view_eq(mobid_buf_view(&mine), mobid_buf_view(&want)));

    mobid_trust *root = trust_from_hex("mdoc/eudi_ios_annexD_d54_readerRoot.hex");
    assert_int_equal(mobid_cose_sign1_verify_x5chain(&s, root, at(ANNEXD_SIGNED),
                                                     MOBID_PURPOSE_ANY, mobid_view_make(NULL, 0),
                                                     mobid_buf_view(&rab), mobid_cose_algs_all,
                                                     NULL),
                     MOBID_OK);
    /* Wrong detached payload. */
    assert_int_equal(mobid_cose_sign1_verify_x5chain(&s, root, at(ANNEXD_SIGNED),
                                                     MOBID_PURPOSE_ANY, mobid_view_make(NULL, 0),
                                                     mobid_buf_view(&want), mobid_cose_algs_all,
                                                     NULL),
                     MOBID_ERR_SIGNATURE_INVALID);
    mobid_trust_free(root);
    mobid_buf_free(&ra);
    mobid_buf_free(&rab);
    mobid_buf_free(&want);
    mobid_buf_free(&mine);
}

/* The AAMVA VICAL: a COSE_Sign1 whose x5chain is signer, issuing CA, root. */
static void test_aamva_vical(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    mobid_buf vical, root_pem;
    mobid_cose_sign1 s;
    mobid_trust *t = NULL;
    mobid_cert *leaf = NULL;
    mobid_key *k = NULL;

    tu_read_vector("mdoc/vical/aamva-vical-2025-11-18.cbor", &vical);
    tu_read_vector("mdoc/vical/aamva_ca_root.crt", &root_pem);
    assert_int_equal(mobid_cose_sign1_parse(mobid_buf_view(&vical), &s), MOBID_OK);
    assert_int_equal(s.alg, MOBID_ALG_ES256);
    assert_int_equal(s.x5chain_count, 3);
    assert_int_equal(mobid_cert_parse(s.x5chain[0], &leaf), MOBID_OK);
    assert_int_equal(mobid_cert_public_key(leaf, &k), MOBID_OK);
    assert_int_equal(mobid_cose_sign1_verify(&s, k, mobid_view_make(NULL, 0),
                                             mobid_view_make(NULL, 0), mobid_cose_algs_all),
                     MOBID_OK);

    assert_int_equal(mobid_trust_new(&t), MOBID_OK);
    assert_int_equal(mobid_trust_add_pem(t, mobid_buf_view(&root_pem)), MOBID_OK);
    mobid_err err = mobid_cose_sign1_verify_x5chain(&s, t, at("2025-11-18T12:00:00Z"),
                                                    MOBID_PURPOSE_ANY, mobid_view_make(NULL, 0),
                                                    mobid_view_make(NULL, 0),
                                                    mobid_cose_algs_all, NULL);
    if (err != MOBID_OK)
        fail_msg("VICAL chain: %s", mobid_err_name(err));
    /* The signer certificate expired on 2026-04-18. */
    assert_int_equal(mobid_cose_sign1_verify_x5chain(&s, t, at("2026-05-01T00:00:00Z"),
                                                     MOBID_PURPOSE_ANY, mobid_view_make(NULL, 0),
                                                     mobid_view_make(NULL, 0),
                                                     mobid_cose_algs_all, NULL),
                     MOBID_ERR_CERT_EXPIRED);
    mobid_key_free(k);
    mobid_cert_free(leaf);
    mobid_trust_free(t);
    mobid_buf_free(&vical);
    mobid_buf_free(&root_pem);
}

int main(void)
{
    TU_MAIN_REQUIRE_VECTORS();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_issuer_auth),
        cmocka_unit_test(test_device_mac),
        cmocka_unit_test(test_reader_auth),
        cmocka_unit_test(test_aamva_vical),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
