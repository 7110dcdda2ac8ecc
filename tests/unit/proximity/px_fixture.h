/* Shared by the proximity unit tests (header-only): the mdoc fixture's PKI plus a
 * reader root, a reader certificate with the 18013-5 EKU and one without, and
 * the two ephemeral keys of a session over a QR engagement. */
#ifndef MOBID_PX_FIXTURE_H
#define MOBID_PX_FIXTURE_H

#include "../mdoc/mdoc_fixture.h"

#include <mobid/proximity.h>

typedef struct px_fixture {
    fixture f;
    mobid_key *root_key, *reader_auth_key, *edev, *erdr;
    mobid_cert *root, *reader_cert, *plain_cert;
    mobid_trust *reader_roots;
    mobid_buf engagement, erk, transcript;
} px_fixture;

static inline mobid_cert *pxf_issue(px_fixture *p, const char *cn, mobid_cert_purpose purpose)
{
    mobid_cert_spec s = { 0 };
    mobid_cert *c = NULL;
    s.subject_cn = cn;
    s.subject_c = "KR";
    s.not_before = FX_NOW - 30 * FX_DAY;
    s.not_after = FX_NOW + 30 * FX_DAY;
    s.purpose = purpose;
    assert_int_equal(mobid_cert_issue(&s, p->reader_auth_key, p->root_key, p->root, &c), MOBID_OK);
    return c;
}

static inline void pxf_init(px_fixture *p)
{
    mobid_cert_spec ca = { 0 };
    mobid_px_retrieval m = { .type = MOBID_PX_RETRIEVAL_TCP, .version = 1, .host = "127.0.0.1",
                             .port = 4242 };
    mobid_cbor_enc e;
    memset(p, 0, sizeof *p);
    fx_init(&p->f);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &p->root_key), MOBID_OK);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &p->reader_auth_key), MOBID_OK);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &p->edev), MOBID_OK);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &p->erdr), MOBID_OK);
    ca.subject_cn = "Reader root";
    ca.subject_c = "KR";
    ca.not_before = FX_NOW - 400 * FX_DAY;
    ca.not_after = FX_NOW + 400 * FX_DAY;
    ca.is_ca = true;
    assert_int_equal(mobid_cert_issue(&ca, p->root_key, p->root_key, NULL, &p->root), MOBID_OK);
    p->reader_cert = pxf_issue(p, "Reader", MOBID_PURPOSE_MDOC_READER);
    p->plain_cert = pxf_issue(p, "Not a reader", MOBID_PURPOSE_SIGNING);
    assert_int_equal(mobid_trust_new(&p->reader_roots), MOBID_OK);
    assert_int_equal(mobid_trust_add(p->reader_roots, p->root), MOBID_OK);
    mobid_buf_init(&p->engagement, 0);
    mobid_buf_init(&p->erk, 0);
    mobid_buf_init(&p->transcript, 0);
    assert_int_equal(mobid_px_engagement_encode(p->edev, &m, 1, &p->engagement), MOBID_OK);
    mobid_cbor_enc_init(&e, &p->erk);
    assert_int_equal(mobid_cose_key_encode(p->erdr, false, &e), MOBID_OK);
    assert_int_equal(mobid_cbor_enc_finish(&e), MOBID_OK);
    assert_int_equal(mobid_px_transcript_qr(mobid_buf_view(&p->engagement),
                                            mobid_buf_view(&p->erk), &p->transcript),
                     MOBID_OK);
}

static inline void pxf_free(px_fixture *p)
{
    fx_free(&p->f);
    mobid_key_free(p->root_key);
    mobid_key_free(p->reader_auth_key);
    mobid_key_free(p->edev);
    mobid_key_free(p->erdr);
    mobid_cert_free(p->root);
    mobid_cert_free(p->reader_cert);
    mobid_cert_free(p->plain_cert);
    mobid_trust_free(p->reader_roots);
    mobid_buf_free(&p->engagement);
    mobid_buf_free(&p->erk);
    mobid_buf_free(&p->transcript);
}

static inline mobid_px_session *pxf_session(px_fixture *p, mobid_px_role role)
{
    mobid_px_session *s = NULL;
    assert_int_equal(mobid_px_session_new(role, role == MOBID_PX_DEVICE ? p->edev : p->erdr,
                                          role == MOBID_PX_DEVICE ? p->erdr : p->edev,
                                          mobid_buf_view(&p->transcript), &s),
                     MOBID_OK);
    return s;
}

#endif
