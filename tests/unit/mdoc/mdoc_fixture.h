/* A small PKI and issuing helpers shared by the mdoc unit tests (header-only). */
#ifndef MOBID_MDOC_FIXTURE_H
#define MOBID_MDOC_FIXTURE_H

#include "testutil.h"

#include <mobid/cose.h>
#include <mobid/mdoc.h>

#include <string.h>

#define FX_NOW 1767225600 /* 2026-01-01T00:00:00Z */
#define FX_DAY 86400

typedef struct fixture {
    mobid_key *iaca_key, *ds_key, *device_key, *reader_key;
    mobid_cert *iaca, *ds;
    mobid_trust *trust;
    mobid_mdoc_verifier *verifier;
    mobid_buf transcript;
} fixture;

static inline void fx_init(fixture *f)
{
    memset(f, 0, sizeof *f);
    mobid_cert_spec ca = { 0 }, ds = { 0 };
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &f->iaca_key), MOBID_OK);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &f->ds_key), MOBID_OK);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &f->device_key), MOBID_OK);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &f->reader_key), MOBID_OK);
    ca.subject_cn = "Test IACA";
    ca.subject_c = "KR";
    ca.not_before = FX_NOW - 400 * FX_DAY;
    ca.not_after = FX_NOW + 4000 * FX_DAY;
    ca.is_ca = true;
    ca.path_len = 0;
    assert_int_equal(mobid_cert_issue(&ca, f->iaca_key, f->iaca_key, NULL, &f->iaca), MOBID_OK);
    ds.subject_cn = "Test DS";
    ds.subject_c = "KR";
    ds.not_before = FX_NOW - 300 * FX_DAY;
    ds.not_after = FX_NOW + 3000 * FX_DAY;
    ds.purpose = MOBID_PURPOSE_MDOC_DS;
    assert_int_equal(mobid_cert_issue(&ds, f->ds_key, f->iaca_key, f->iaca, &f->ds), MOBID_OK);
    assert_int_equal(mobid_trust_new(&f->trust), MOBID_OK);
    assert_int_equal(mobid_trust_add(f->trust, f->iaca), MOBID_OK);
    assert_int_equal(mobid_mdoc_verifier_new(f->trust, &f->verifier), MOBID_OK);
    mobid_buf_init(&f->transcript, 0);
    assert_int_equal(mobid_mdoc_transcript_oid4vp("x509_san_dns:rp.example", "nonce-1",
                                                  mobid_view_make(NULL, 0),
                                                  "https://rp.example/post", &f->transcript),
                     MOBID_OK);
}

static inline void fx_free(fixture *f)
{
    mobid_mdoc_verifier_free(f->verifier);
    mobid_trust_free(f->trust);
    mobid_cert_free(f->iaca);
    mobid_cert_free(f->ds);
    mobid_key_free(f->iaca_key);
    mobid_key_free(f->ds_key);
    mobid_key_free(f->device_key);
    mobid_key_free(f->reader_key);
    mobid_buf_free(&f->transcript);
}

/* Encoded CBOR values for the elements below. */
static const uint8_t fx_text_doe[] = { 0x63, 'D', 'o', 'e' };
static const uint8_t fx_text_jane[] = { 0x64, 'J', 'a', 'n', 'e' };
static const uint8_t fx_birth[] = { 0xd9, 0x03, 0xec, 0x6a, '2', '0', '0', '0', '-',
                                    '0', '6', '-', '1', '5' };
static const uint8_t fx_expiry[] = { 0xd9, 0x03, 0xec, 0x6a, '2', '0', '3', '0', '-',
                                     '0', '1', '-', '0', '1' };
static const uint8_t fx_docno[] = { 0x69, '1', '2', '3', '4', '5', '6', '7', '8', '9' };
static const uint8_t fx_portrait[] = { 0x44, 0xff, 0xd8, 0xff, 0xe0 };
static const uint8_t fx_country[] = { 0x62, 'K', 'R' };

/* Issue an mDL (6 elements + optional ages) with the fixture's keys. */
static inline mobid_err fx_issue(fixture *f, const char *doctype, const char *ns,
                                 mobid_time from, mobid_time until, const unsigned *ages,
                                 size_t n_ages, mobid_buf *out)
{
    const mobid_mdoc_element els[] = {
        { ns, "family_name", mobid_view_make(fx_text_doe, sizeof fx_text_doe) },
        { ns, "given_name", mobid_view_make(fx_text_jane, sizeof fx_text_jane) },
        { ns, "birth_date", mobid_view_make(fx_birth, sizeof fx_birth) },
        { ns, "expiry_date", mobid_view_make(fx_expiry, sizeof fx_expiry) },
        { ns, "document_number", mobid_view_make(fx_docno, sizeof fx_docno) },
        { ns, "portrait", mobid_view_make(fx_portrait, sizeof fx_portrait) },
        { ns, "issuing_country", mobid_view_make(fx_country, sizeof fx_country) },
    };
    mobid_cert *chain[1] = { f->ds };
    mobid_mdoc_issue_opts o;
    memset(&o, 0, sizeof o);
    o.doctype = doctype;
    o.elements = els;
    o.n_elements = sizeof els / sizeof els[0];
    o.issuer_key = f->ds_key;
    o.chain = chain;
    o.n_chain = 1;
    o.device_key = f->device_key;
    o.signed_at = from;
    o.valid_from = from;
    o.valid_until = until;
    o.age_over = ages;
    o.n_age_over = n_ages;
    o.age_ns = ns;
    o.birth_ns = ns;
    mobid_buf_init(out, 0);
    return mobid_mdoc_issue(&o, out);
}

static inline mobid_err fx_present(fixture *f, mobid_view issuer_signed, const mobid_mdoc_ref *refs,
                                   size_t n, bool mac, mobid_buf *out)
{
    mobid_mdoc_present_opts p;
    memset(&p, 0, sizeof p);
    p.issuer_signed = issuer_signed;
    p.device_key = f->device_key;
    p.transcript = mobid_buf_view(&f->transcript);
    p.reveal = refs;
    p.n_reveal = n;
    p.reader_key = mac ? f->reader_key : NULL;
    mobid_buf_init(out, 0);
    return mobid_mdoc_present(&p, out);
}

static inline mobid_err fx_verify(fixture *f, mobid_view resp, mobid_time at, bool mac,
                                  mobid_mdoc_result *res)
{
    mobid_mdoc_verify_opts o = { mobid_buf_view(&f->transcript), mac ? f->reader_key : NULL, at,
                                 NULL };
    return mobid_mdoc_verify(f->verifier, resp, &o, res);
}

#endif
