/*
 * lib/proximity against the ISO/IEC 18013-5 Annex D session, byte for byte: the
 * QR and NFC DeviceEngagement, the SessionTranscript with the NFC handover, the
 * ECDH secret and SKReader / SKDevice, the SessionEstablishment and SessionData
 * ciphertexts (rebuilt from the plaintexts and decrypted back), the termination
 * message, the ItemsRequest, ReaderAuthenticationBytes and its Sig_structure, the
 * reader authentication against the reader root, and the device MAC of a
 * DeviceResponse made by mobid over the decrypted request. The same messages as
 * copied by eudi-lib-ios (D.5.1, D.5.4) and isomdl are checked to be these.
 * Skipped (with a message) when ../shared/vectors is absent.
 */
#include "testutil.h"

#include <mobid/cose.h>
#include <mobid/mdoc.h>
#include <mobid/proximity.h>

#include <stdio.h>
#include <string.h>

#define ANNEXD_AT 1601559002 /* 2020-10-01T13:30:02Z, the MSO's `signed` */
/* SKDevice of Annex D (VERIFY_OUTPUT.txt); SKReader is also isomdl's vector. */
#define SK_DEVICE "81d170e07fbdac93c1a676242c2576124a380d87bb73ed9ce4834de2272cf409"

typedef struct px {
    mobid_key *edev, *erdr, *sdev; /* private keys */
    mobid_key *edev_pub, *erdr_pub;
    mobid_buf transcript; /* SessionTranscriptBytes */
} px;

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
    static px p;
    memset(&p, 0, sizeof p);
    *state = &p;
    if (!tu_vectors_dir())
        return 0;
    load_key("annexd_ephemeral_device_key", true, &p.edev);
    load_key("annexd_ephemeral_device_key", false, &p.edev_pub);
    load_key("annexd_ephemeral_reader_key", true, &p.erdr);
    load_key("annexd_ephemeral_reader_key", false, &p.erdr_pub);
    load_key("annexd_static_device_key", true, &p.sdev);
    tu_read_vector_hex("mdoc/annexd_session_transcript_bytes.hex", &p.transcript);
    return 0;
}

static int teardown(void **state)
{
    px *p = *state;
    mobid_key_free(p->edev);
    mobid_key_free(p->edev_pub);
    mobid_key_free(p->erdr);
    mobid_key_free(p->erdr_pub);
    mobid_key_free(p->sdev);
    mobid_buf_free(&p->transcript);
    return 0;
}

static void assert_buf_eq(const mobid_buf *a, const mobid_buf *b)
{
    assert_int_equal(a->len, b->len);
    assert_memory_equal(a->ptr, b->ptr, a->len);
}

/* The encoded COSE_Key of a public key. */
static void cose_key(const mobid_key *k, mobid_buf *out)
{
    mobid_cbor_enc e;
    mobid_buf_init(out, 0);
    mobid_cbor_enc_init(&e, out);
    assert_int_equal(mobid_cose_key_encode(k, false, &e), MOBID_OK);
    assert_int_equal(mobid_cbor_enc_finish(&e), MOBID_OK);
}

/* The QR engagement: parsed, rebuilt from its key and BLE method, and its URI. */
static void test_engagement_qr(void **state)
{
    TU_REQUIRE_VECTORS();
    px *p = *state;
    mobid_buf de, edkb, built, uri, back, key;
    mobid_px_engagement e;
    tu_read_vector_hex("mdoc/annexd_device_engagement.hex", &de);
    tu_read_vector_hex("mdoc/annexd_e_device_key_bytes.hex", &edkb);
    assert_int_equal(mobid_px_engagement_parse(mobid_buf_view(&de), &e), MOBID_OK);
    assert_true(mobid_view_eq_str(e.version, "1.0"));
    assert_true(mobid_key_public_eq(e.e_device_key, p->edev_pub));
    /* EDeviceKeyBytes is the tag-24 wrapping of the key bytes the engagement holds */
    assert_int_equal(edkb.len, e.e_device_key_bytes.len + 4);
    assert_memory_equal(edkb.ptr + 4, e.e_device_key_bytes.ptr, e.e_device_key_bytes.len);
    cose_key(p->edev_pub, &key);
    assert_true(mobid_view_eq(mobid_buf_view(&key), e.e_device_key_bytes));
    assert_int_equal(e.n_methods, 1);
    assert_int_equal(e.methods[0].type, MOBID_PX_RETRIEVAL_BLE);
    assert_false(e.methods[0].ble_peripheral_server);
    assert_true(e.methods[0].ble_central_client);
    assert_true(e.methods[0].has_central_uuid);
    mobid_buf_init(&built, 0);
    assert_int_equal(mobid_px_engagement_encode(p->edev, e.methods, 1, &built), MOBID_OK);
    assert_buf_eq(&built, &de);
    mobid_buf_init(&uri, 0);
    mobid_buf_init(&back, 0);
    assert_int_equal(mobid_px_engagement_to_uri(mobid_buf_view(&de), &uri), MOBID_OK);
    assert_memory_equal(uri.ptr, "mdoc:owBjMS4w", 13);
    assert_int_equal(mobid_px_engagement_from_uri(mobid_buf_view(&uri), &back), MOBID_OK);
    assert_buf_eq(&back, &de);
    mobid_px_engagement_clear(&e);
    mobid_buf_free(&de);
    mobid_buf_free(&edkb);
    mobid_buf_free(&built);
    mobid_buf_free(&uri);
    mobid_buf_free(&back);
    mobid_buf_free(&key);
}

/* The transcript uses the NFC engagement (no retrieval methods) and the handover. */
static void test_transcript_nfc(void **state)
{
    TU_REQUIRE_VECTORS();
    px *p = *state;
    mobid_buf de, erk, sel, req, st, other;
    tu_read_vector_hex("mdoc/eudi_ios_annexD_d52_nfcHandoverSelect.hex", &sel);
    tu_read_vector_hex("mdoc/eudi_ios_annexD_d52_nfcHandoverRequest.hex", &req);
    mobid_buf_init(&de, 0);
    assert_int_equal(mobid_px_engagement_encode(p->edev_pub, NULL, 0, &de), MOBID_OK);
    cose_key(p->erdr_pub, &erk);
    mobid_buf_init(&st, 0);
    assert_int_equal(mobid_px_transcript_nfc(mobid_buf_view(&de), mobid_buf_view(&erk),
                                             mobid_buf_view(&sel), mobid_buf_view(&req), &st),
                     MOBID_OK);
    assert_buf_eq(&st, &p->transcript);
    tu_read_vector_hex("mdoc/eudi_ios_annexD_d51_sessionTranscriptData.hex", &other);
    assert_buf_eq(&other, &p->transcript);
    mobid_buf_free(&other);
    tu_read_vector_hex("mdoc/isomdl_session_session_transcript.hex", &other);
    assert_buf_eq(&other, &p->transcript);
    mobid_buf_free(&other);
    /* The QR form differs only in Handover = null. */
    st.len = 0;
    assert_int_equal(mobid_px_transcript_qr(mobid_buf_view(&de), mobid_buf_view(&erk), &st),
                     MOBID_OK);
    assert_int_equal(st.ptr[st.len - 1], 0xf6);
    assert_false(st.len == p->transcript.len);
    mobid_buf_free(&de);
    mobid_buf_free(&erk);
    mobid_buf_free(&sel);
    mobid_buf_free(&req);
    mobid_buf_free(&st);
}

/* ECDH secret, SKReader and SKDevice from either side. */
static void test_session_keys(void **state)
{
    TU_REQUIRE_VECTORS();
    px *p = *state;
    mobid_buf secret, want_secret, want_skr, want_skd;
    mobid_px_session *dev = NULL, *rdr = NULL;
    uint8_t skr[32], skd[32], skr2[32], skd2[32];
    tu_read_vector_hex("mdoc/isomdl_session_shared_secret.hex", &want_secret);
    tu_read_vector_hex("mdoc/isomdl_session_reader_session_key.hex", &want_skr);
    tu_hex(SK_DEVICE, &want_skd);
    mobid_buf_init(&secret, 0);
    assert_int_equal(mobid_ecdh(p->edev, p->erdr_pub, &secret), MOBID_OK);
    assert_buf_eq(&secret, &want_secret);
    assert_int_equal(mobid_px_session_new(MOBID_PX_DEVICE, p->edev, p->erdr_pub,
                                          mobid_buf_view(&p->transcript), &dev),
                     MOBID_OK);
    assert_int_equal(mobid_px_session_new(MOBID_PX_READER, p->erdr, p->edev_pub,
                                          mobid_buf_view(&p->transcript), &rdr),
                     MOBID_OK);
    mobid_px_session_keys(dev, skr, skd);
    mobid_px_session_keys(rdr, skr2, skd2);
    assert_memory_equal(skr, want_skr.ptr, 32);
    assert_memory_equal(skd, want_skd.ptr, 32);
    assert_memory_equal(skr2, skr, 32);
    assert_memory_equal(skd2, skd, 32);
    mobid_px_session_free(dev);
    mobid_px_session_free(rdr);
    mobid_buf_free(&secret);
    mobid_buf_free(&want_secret);
    mobid_buf_free(&want_skr);
    mobid_buf_free(&want_skd);
}

/* SessionEstablishment: parsed, decrypted to the DeviceRequest, rebuilt exactly. */
static void test_establishment(void **state)
{
    TU_REQUIRE_VECTORS();
    px *p = *state;
    static const char *copies[] = { "mdoc/eudi_ios_annexD_d51_sessionEstablishData.hex",
                                    "mdoc/isomdl_session_session_establishment.hex" };
    mobid_buf se, dr, erk, pt, ct, built, other;
    mobid_px_establishment m;
    mobid_px_session *dev = NULL, *rdr = NULL;
    tu_read_vector_hex("mdoc/annexd_session_establishment.hex", &se);
    tu_read_vector_hex("mdoc/annexd_device_request.hex", &dr);
    for (size_t i = 0; i < 2; i++) {
        tu_read_vector_hex(copies[i], &other);
        assert_buf_eq(&other, &se);
        mobid_buf_free(&other);
    }
    assert_int_equal(mobid_px_establishment_parse(mobid_buf_view(&se), &m), MOBID_OK);
    cose_key(p->erdr_pub, &erk);
    assert_true(mobid_view_eq(m.e_reader_key, mobid_buf_view(&erk)));
    assert_int_equal(mobid_px_session_new(MOBID_PX_DEVICE, p->edev, p->erdr_pub,
                                          mobid_buf_view(&p->transcript), &dev),
                     MOBID_OK);
    mobid_buf_init(&pt, 0);
    assert_int_equal(mobid_px_decrypt(dev, m.data, &pt), MOBID_OK);
    assert_buf_eq(&pt, &dr);
    /* The reader's first message under SKReader and counter 1 is the published one. */
    assert_int_equal(mobid_px_session_new(MOBID_PX_READER, p->erdr, p->edev_pub,
                                          mobid_buf_view(&p->transcript), &rdr),
                     MOBID_OK);
    mobid_buf_init(&ct, 0);
    assert_int_equal(mobid_px_encrypt(rdr, mobid_buf_view(&dr), &ct), MOBID_OK);
    assert_true(mobid_view_eq(mobid_buf_view(&ct), m.data));
    mobid_buf_init(&built, 0);
    assert_int_equal(mobid_px_establishment_encode(mobid_buf_view(&erk), mobid_buf_view(&ct),
                                                   &built),
                     MOBID_OK);
    assert_buf_eq(&built, &se);
    /* The same message again is a replay; a flipped bit a forgery. */
    pt.len = 0;
    assert_int_equal(mobid_px_decrypt(dev, m.data, &pt), MOBID_ERR_MESSAGE_REPLAYED);
    ct.ptr[ct.len / 2] ^= 1;
    assert_int_equal(mobid_px_decrypt(dev, mobid_buf_view(&ct), &pt), MOBID_ERR_DECRYPT_FAILED);
    assert_int_equal(pt.len, 0);
    mobid_px_session_free(dev);
    mobid_px_session_free(rdr);
    mobid_buf_free(&se);
    mobid_buf_free(&dr);
    mobid_buf_free(&erk);
    mobid_buf_free(&pt);
    mobid_buf_free(&ct);
    mobid_buf_free(&built);
}

/* SessionData from the device: decrypted to the DeviceResponse and rebuilt. */
static void test_session_data(void **state)
{
    TU_REQUIRE_VECTORS();
    px *p = *state;
    mobid_buf sd, resp, pt, ct, built, other;
    mobid_px_session_data m;
    mobid_px_session *dev = NULL, *rdr = NULL;
    tu_read_vector_hex("mdoc/annexd_session_data.hex", &sd);
    tu_read_vector_hex("mdoc/annexd_device_response.hex", &resp);
    tu_read_vector_hex("mdoc/eudi_ios_annexD_d51_sessionData.hex", &other);
    assert_buf_eq(&other, &sd);
    mobid_buf_free(&other);
    assert_int_equal(mobid_px_session_data_parse(mobid_buf_view(&sd), &m), MOBID_OK);
    assert_true(m.has_data);
    assert_false(m.has_status);
    assert_int_equal(mobid_px_session_new(MOBID_PX_READER, p->erdr, p->edev_pub,
                                          mobid_buf_view(&p->transcript), &rdr),
                     MOBID_OK);
    mobid_buf_init(&pt, 0);
    assert_int_equal(mobid_px_decrypt(rdr, m.data, &pt), MOBID_OK);
    assert_buf_eq(&pt, &resp);
    assert_int_equal(mobid_px_session_new(MOBID_PX_DEVICE, p->edev, p->erdr_pub,
                                          mobid_buf_view(&p->transcript), &dev),
                     MOBID_OK);
    mobid_buf_init(&ct, 0);
    assert_int_equal(mobid_px_encrypt(dev, mobid_buf_view(&resp), &ct), MOBID_OK);
    mobid_buf_init(&built, 0);
    assert_int_equal(mobid_px_session_data_encode(mobid_buf_view(&ct), -1, &built), MOBID_OK);
    assert_buf_eq(&built, &sd);
    /* The device's key never opens the reader's direction. */
    pt.len = 0;
    assert_int_equal(mobid_px_decrypt(dev, mobid_buf_view(&ct), &pt), MOBID_ERR_DECRYPT_FAILED);
    mobid_px_session_free(dev);
    mobid_px_session_free(rdr);
    mobid_buf_free(&sd);
    mobid_buf_free(&resp);
    mobid_buf_free(&pt);
    mobid_buf_free(&ct);
    mobid_buf_free(&built);
}

static void test_termination(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    mobid_buf t, other, built;
    mobid_px_session_data m;
    tu_read_vector_hex("mdoc/annexd_session_termination.hex", &t);
    tu_read_vector_hex("mdoc/eudi_ios_annexD_d51_sessionTermination.hex", &other);
    assert_buf_eq(&other, &t);
    assert_int_equal(mobid_px_session_data_parse(mobid_buf_view(&t), &m), MOBID_OK);
    assert_false(m.has_data);
    assert_true(m.has_status);
    assert_int_equal(m.status, MOBID_PX_STATUS_TERMINATION);
    mobid_buf_init(&built, 0);
    assert_int_equal(mobid_px_session_data_encode(mobid_view_make(NULL, 0),
                                                  MOBID_PX_STATUS_TERMINATION, &built),
                     MOBID_OK);
    assert_buf_eq(&built, &t);
    mobid_buf_free(&t);
    mobid_buf_free(&other);
    mobid_buf_free(&built);
}

static mobid_trust *trust_hex(const char *rel)
{
    mobid_buf der;
    mobid_cert *c = NULL;
    mobid_trust *t = NULL;
    tu_read_vector_hex(rel, &der);
    assert_int_equal(mobid_cert_parse(mobid_buf_view(&der), &c), MOBID_OK);
    assert_int_equal(mobid_trust_new(&t), MOBID_OK);
    assert_int_equal(mobid_trust_add(t, c), MOBID_OK);
    mobid_cert_free(c);
    mobid_buf_free(&der);
    return t;
}

/* The DeviceRequest: items and intent to retain, the ItemsRequest rebuilt exactly. */
static void test_device_request(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    static const char *retained[] = { "family_name", "document_number", "driving_privileges",
                                      "issue_date", "expiry_date" };
    mobid_buf dr, ir, ra, built, other;
    mobid_px_device_request r;
    tu_read_vector_hex("mdoc/annexd_device_request.hex", &dr);
    tu_read_vector_hex("mdoc/eudi_ios_annexD_request_d411.hex", &other);
    assert_buf_eq(&other, &dr);
    tu_read_vector_hex("mdoc/annexd_items_request.hex", &ir);
    tu_read_vector_hex("mdoc/annexd_reader_auth.hex", &ra);
    assert_int_equal(mobid_px_device_request_parse(mobid_buf_view(&dr), &r), MOBID_OK);
    assert_true(mobid_view_eq_str(r.version, "1.0"));
    assert_int_equal(r.n_docs, 1);
    assert_true(mobid_view_eq_str(r.docs[0].doctype, MOBID_MDOC_DOCTYPE_MDL));
    assert_int_equal(r.docs[0].n_items, 6);
    for (size_t i = 0; i < 5; i++) {
        assert_true(mobid_view_eq_str(r.docs[0].items[i].ns, MOBID_MDOC_NS_MDL));
        assert_true(mobid_view_eq_str(r.docs[0].items[i].id, retained[i]));
        assert_true(r.docs[0].items[i].intent_to_retain);
    }
    assert_true(mobid_view_eq_str(r.docs[0].items[5].id, "portrait"));
    assert_false(r.docs[0].items[5].intent_to_retain);
    assert_int_equal(r.docs[0].request_info.len, 0);
    assert_true(mobid_view_eq(r.docs[0].reader_auth, mobid_buf_view(&ra)));
    /* ItemsRequestBytes = #6.24(the published ItemsRequest) */
    assert_int_equal(r.docs[0].items_request_bytes.len, ir.len + 4);
    assert_memory_equal(r.docs[0].items_request_bytes.ptr + 4, ir.ptr, ir.len);
    mobid_px_doc_spec spec = { MOBID_MDOC_DOCTYPE_MDL, r.docs[0].items, 6,
                               { NULL, 0 }, NULL, NULL, 0 };
    mobid_buf_init(&built, 0);
    assert_int_equal(mobid_px_items_request_encode(&spec, &built), MOBID_OK);
    assert_true(mobid_view_eq(mobid_buf_view(&built), r.docs[0].items_request_bytes));
    mobid_px_device_request_clear(&r);
    mobid_buf_free(&dr);
    mobid_buf_free(&other);
    mobid_buf_free(&ir);
    mobid_buf_free(&ra);
    mobid_buf_free(&built);
}

/* ReaderAuthenticationBytes, Sig_structure and the reader's signature and chain. */
static void test_reader_auth(void **state)
{
    TU_REQUIRE_VECTORS();
    px *p = *state;
    mobid_buf dr, rab, want_rab, want_sig, sig, cert;
    mobid_px_device_request r;
    mobid_cose_sign1 s;
    mobid_cert *leaf = NULL;
    tu_read_vector_hex("mdoc/annexd_device_request.hex", &dr);
    tu_read_vector_hex("mdoc/eudi_ios_annexD_d54_ReaderAuthenticationBytes.hex", &want_rab);
    tu_read_vector_hex("mdoc/eudi_ios_annexD_d54_ReaderSigStructure.hex", &want_sig);
    tu_read_vector_hex("mdoc/annexd_reader_cert.hex", &cert);
    assert_int_equal(mobid_px_device_request_parse(mobid_buf_view(&dr), &r), MOBID_OK);
    mobid_buf_init(&rab, 0);
    assert_int_equal(mobid_px_reader_auth_bytes(mobid_buf_view(&p->transcript),
                                                r.docs[0].items_request_bytes, &rab),
                     MOBID_OK);
    assert_buf_eq(&rab, &want_rab);
    assert_int_equal(mobid_cose_sign1_parse(r.docs[0].reader_auth, &s), MOBID_OK);
    mobid_buf_init(&sig, 0);
    assert_int_equal(mobid_cose_sig_structure(s.protected_bytes, mobid_view_make(NULL, 0),
                                              mobid_buf_view(&rab), &sig),
                     MOBID_OK);
    assert_buf_eq(&sig, &want_sig);

    mobid_trust *root = trust_hex("mdoc/eudi_ios_annexD_d54_readerRoot.hex");
    mobid_trust *iaca = trust_hex("mdoc/eudi_ios_annexD_d52_iaca.hex");
    assert_int_equal(mobid_px_reader_auth_verify(&r.docs[0], mobid_buf_view(&p->transcript),
                                                 root, ANNEXD_AT, &leaf),
                     MOBID_OK);
    assert_true(mobid_view_eq(mobid_cert_der(leaf), mobid_buf_view(&cert)));
    mobid_cert_free(leaf);
    /* another root, another transcript, an expired certificate, no readerAuth */
    assert_int_equal(mobid_px_reader_auth_verify(&r.docs[0], mobid_buf_view(&p->transcript),
                                                 iaca, ANNEXD_AT, &leaf),
                     MOBID_ERR_UNTRUSTED_ISSUER);
    assert_null(leaf);
    mobid_buf other;
    mobid_buf_init(&other, 0);
    assert_int_equal(mobid_mdoc_transcript_oid4vp("x", "n", mobid_view_make(NULL, 0), "https://r",
                                                  &other),
                     MOBID_OK);
    assert_int_equal(mobid_px_reader_auth_verify(&r.docs[0], mobid_buf_view(&other), root,
                                                 ANNEXD_AT, NULL),
                     MOBID_ERR_SIGNATURE_INVALID);
    assert_int_equal(mobid_px_reader_auth_verify(&r.docs[0], mobid_buf_view(&p->transcript),
                                                 root, ANNEXD_AT + 4 * 365 * 86400, NULL),
                     MOBID_ERR_CERT_EXPIRED);
    r.docs[0].reader_auth = mobid_view_make(NULL, 0);
    assert_int_equal(mobid_px_reader_auth_verify(&r.docs[0], mobid_buf_view(&p->transcript),
                                                 root, ANNEXD_AT, NULL),
                     MOBID_ERR_UNAUTHENTICATED);
    mobid_trust_free(root);
    mobid_trust_free(iaca);
    mobid_px_device_request_clear(&r);
    mobid_buf_free(&other);
    mobid_buf_free(&dr);
    mobid_buf_free(&rab);
    mobid_buf_free(&want_rab);
    mobid_buf_free(&want_sig);
    mobid_buf_free(&sig);
    mobid_buf_free(&cert);
}

/* The deviceMac item of the first document of a DeviceResponse. */
static void device_mac(mobid_view resp, mobid_view *out)
{
    mobid_cbor_item m, docs, doc, ds, da, mac;
    mobid_cbor_iter it;
    assert_int_equal(mobid_cbor_decode_exact(resp, NULL, &m), MOBID_OK);
    assert_int_equal(mobid_cbor_map_get_text(&m, "documents", &docs), MOBID_OK);
    mobid_cbor_iter_init(&it, &docs);
    assert_int_equal(mobid_cbor_iter_next(&it, &doc), MOBID_OK);
    assert_int_equal(mobid_cbor_map_get_text(&doc, "deviceSigned", &ds), MOBID_OK);
    assert_int_equal(mobid_cbor_map_get_text(&ds, "deviceAuth", &da), MOBID_OK);
    assert_int_equal(mobid_cbor_map_get_text(&da, "deviceMac", &mac), MOBID_OK);
    *out = mac.span;
}

/* mobid answers the decrypted request from the Annex D credential: its device MAC
 * (deterministic) equals the published one, and the response verifies. */
static void test_device_response(void **state)
{
    TU_REQUIRE_VECTORS();
    px *p = *state;
    mobid_buf dr, resp, mine;
    mobid_px_device_request r;
    mobid_px_session *dev = NULL;
    mobid_view mac_mine, mac_want;
    mobid_cbor_item m, docs, doc;
    mobid_cbor_iter it;
    tu_read_vector_hex("mdoc/annexd_device_request.hex", &dr);
    tu_read_vector_hex("mdoc/annexd_device_response.hex", &resp);
    assert_int_equal(mobid_px_device_request_parse(mobid_buf_view(&dr), &r), MOBID_OK);
    assert_int_equal(mobid_px_session_new(MOBID_PX_DEVICE, p->edev, p->erdr_pub,
                                          mobid_buf_view(&p->transcript), &dev),
                     MOBID_OK);
    assert_int_equal(mobid_cbor_decode_exact(mobid_buf_view(&resp), NULL, &m), MOBID_OK);
    assert_int_equal(mobid_cbor_map_get_text(&m, "documents", &docs), MOBID_OK);
    mobid_cbor_iter_init(&it, &docs);
    assert_int_equal(mobid_cbor_iter_next(&it, &doc), MOBID_OK);
    mobid_buf_init(&mine, 0);
    assert_int_equal(mobid_px_device_response(dev, &r.docs[0], doc.span, p->sdev, p->erdr_pub,
                                              &mine),
                     MOBID_OK);
    device_mac(mobid_buf_view(&mine), &mac_mine);
    device_mac(mobid_buf_view(&resp), &mac_want);
    assert_true(mobid_view_eq(mac_mine, mac_want));

    mobid_trust *iaca = trust_hex("mdoc/eudi_ios_annexD_d52_iaca.hex");
    mobid_mdoc_verifier *v = NULL;
    mobid_mdoc_result res;
    assert_int_equal(mobid_mdoc_verifier_new(iaca, &v), MOBID_OK);
    mobid_mdoc_verify_opts o = { mobid_px_session_transcript(dev), p->erdr, ANNEXD_AT, NULL };
    assert_int_equal(mobid_mdoc_verify(v, mobid_buf_view(&mine), &o, &res), MOBID_OK);
    assert_int_equal(res.docs[0].n_items, 6);
    assert_true(res.docs[0].device_mac);
    mobid_mdoc_result_free(&res);
    mobid_mdoc_verifier_free(v);
    mobid_trust_free(iaca);
    mobid_px_session_free(dev);
    mobid_px_device_request_clear(&r);
    mobid_buf_free(&dr);
    mobid_buf_free(&resp);
    mobid_buf_free(&mine);
}

int main(void)
{
    TU_MAIN_REQUIRE_VECTORS();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_engagement_qr),  cmocka_unit_test(test_transcript_nfc),
        cmocka_unit_test(test_session_keys),   cmocka_unit_test(test_establishment),
        cmocka_unit_test(test_session_data),   cmocka_unit_test(test_termination),
        cmocka_unit_test(test_device_request), cmocka_unit_test(test_reader_auth),
        cmocka_unit_test(test_device_response),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
