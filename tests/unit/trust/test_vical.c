/* lib/trust VICALs: the real AAMVA list (its date, signer chain and quirks), and
 * synthetic lists for the refusals: bad signature, expired, not yet valid,
 * wrong signer, a signer without the VICAL EKU, malformed lists, entries that
 * contradict their certificate, and an IACA used outside its docTypes. Then
 * mobid_trust_build over anchors, VICALs and issuer identifiers. */
#include "testutil.h"

#include <mobid/cbor.h>
#include <mobid/cose.h>
#include <mobid/trust.h>

#include <string.h>

#define DAY 86400
#define MDL "org.iso.18013.5.1.mDL"
static const mobid_time T0 = 1767225600; /* 2026-01-01T00:00:00Z */

/* ---------------------------------------------------------------- AAMVA */

static mobid_time rfc3339(const char *s)
{
    mobid_time t = 0;
    assert_int_equal(mobid_time_parse_rfc3339(mobid_view_str(s), &t, NULL), MOBID_OK);
    return t;
}

static mobid_trust *trust_of_file(const char *rel)
{
    mobid_buf pem;
    mobid_trust *t = NULL;
    tu_read_vector(rel, &pem);
    assert_int_equal(mobid_trust_new(&t), MOBID_OK);
    assert_int_equal(mobid_trust_add_pem(t, mobid_buf_view(&pem)), MOBID_OK);
    mobid_buf_free(&pem);
    return t;
}

static void test_aamva_vical(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    mobid_buf in;
    mobid_vical v;
    char detail[160];
    tu_read_vector("mdoc/vical/aamva-vical-2025-11-18.cbor", &in);
    assert_int_equal(mobid_vical_parse(mobid_buf_view(&in), &v), MOBID_OK);
    assert_true(mobid_view_eq_str(v.provider, "AAMVA"));
    assert_true(mobid_view_eq_str(v.version, "1.0"));
    assert_true(v.has_issue_id);
    assert_int_equal(v.issue_id, 227602);
    assert_int_equal(v.date, rfc3339("2025-11-18T18:38:12Z"));
    assert_int_equal(v.next_update, rfc3339("2025-11-19T18:38:12Z"));
    assert_int_equal(v.n_entries, 14);
    for (size_t i = 0; i < v.n_entries; i++) {
        /* Every entry parses, its DER-wrapped SKI unwrapped to the certificate's key id. */
        assert_int_equal(v.entries[i].problem, MOBID_OK);
        assert_non_null(v.entries[i].cert);
        assert_int_equal(v.entries[i].ski.len, 20);
        assert_int_equal(v.entries[i].n_doctypes, 1);
        assert_true(mobid_view_eq_str(v.entries[i].doctypes[0], MDL));
        assert_true(mobid_view_eq_str(v.entries[i].issuing_country, "US"));
    }
    mobid_trust *root = trust_of_file("mdoc/vical/aamva_ca_root.crt");
    mobid_trust *inter = trust_of_file("mdoc/vical/aamva_ca_intermediate.crt");
    mobid_time at = rfc3339("2025-11-18T20:00:00Z");
    assert_int_equal(mobid_vical_verify(&v, root, at, false, detail, sizeof detail), MOBID_OK);
    assert_int_equal(mobid_vical_verify(&v, inter, at, false, detail, sizeof detail), MOBID_OK);
    assert_int_equal(mobid_vical_verify(&v, root, rfc3339("2025-11-20T00:00:00Z"), false, detail,
                                        sizeof detail),
                     MOBID_ERR_VICAL_EXPIRED);
    assert_non_null(strstr(detail, "2025-11-19T18:38:12Z"));
    assert_int_equal(mobid_vical_verify(&v, root, rfc3339("2025-11-20T00:00:00Z"), true, NULL, 0),
                     MOBID_OK);
    assert_int_equal(mobid_vical_verify(&v, root, rfc3339("2025-11-18T00:00:00Z"), false, NULL, 0),
                     MOBID_ERR_VICAL_NOT_YET_VALID);
    /* Its signer certificate ends 2026-04-18: no list it signed verifies after that. */
    assert_int_equal(mobid_vical_verify(&v, root, rfc3339("2026-05-01T00:00:00Z"), true, detail,
                                        sizeof detail),
                     MOBID_ERR_VICAL_SIGNER_UNTRUSTED);
    assert_non_null(strstr(detail, "CERT_EXPIRED"));
    json_t *j = NULL;
    assert_int_equal(mobid_vical_to_json(&v, &j), MOBID_OK);
    assert_int_equal(json_array_size(json_object_get(j, "entries")), 14);
    assert_string_equal(json_string_value(json_object_get(j, "vicalProvider")), "AAMVA");
    json_decref(j);
    mobid_vical_clear(&v);
    /* A flipped byte in the signature. */
    in.ptr[in.len - 3] ^= 1;
    assert_int_equal(mobid_vical_parse(mobid_buf_view(&in), &v), MOBID_OK);
    assert_int_equal(mobid_vical_verify(&v, root, at, false, NULL, 0),
                     MOBID_ERR_VICAL_SIGNATURE_INVALID);
    mobid_vical_clear(&v);
    mobid_trust_free(root);
    mobid_trust_free(inter);
    mobid_buf_free(&in);
}

static void test_aamva_trust_build(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    mobid_buf vical, root;
    mobid_trust *t = NULL;
    char detail[200];
    tu_read_vector("mdoc/vical/aamva-vical-2025-11-18.cbor", &vical);
    tu_read_vector("mdoc/vical/aamva_ca_root.crt", &root);
    mobid_view vv = mobid_buf_view(&vical), rv = mobid_buf_view(&root);
    mobid_trust_config c = { .vicals = &vv, .n_vicals = 1, .vical_anchors = &rv,
                             .n_vical_anchors = 1, .at = rfc3339("2025-11-18T20:00:00Z") };
    assert_int_equal(mobid_trust_build(&c, &t, detail, sizeof detail), MOBID_OK);
    assert_int_equal(mobid_trust_count(t), 14);
    size_t nd = 0;
    assert_non_null(mobid_trust_anchor(t, 0, &nd));
    assert_int_equal(nd, 1);
    mobid_trust_free(t);
    c.at = rfc3339("2025-12-01T00:00:00Z");
    assert_int_equal(mobid_trust_build(&c, &t, detail, sizeof detail), MOBID_ERR_VICAL_EXPIRED);
    assert_null(t);
    assert_non_null(strstr(detail, "vicals[0]"));
    c.allow_stale_vicals = true;
    assert_int_equal(mobid_trust_build(&c, &t, detail, sizeof detail), MOBID_OK);
    mobid_trust_free(t);
    mobid_buf_free(&vical);
    mobid_buf_free(&root);
}

/* ------------------------------------------------------------ synthetic */

typedef struct pki {
    mobid_key *root_key, *signer_key, *iaca_key, *ds_key;
    mobid_cert *root, *signer, *iaca, *ds;
} pki;

static mobid_cert *issue(const mobid_cert_spec *spec, mobid_key *subject, mobid_key *issuer_key,
                         mobid_cert *issuer)
{
    mobid_cert *c = NULL;
    assert_int_equal(mobid_cert_issue(spec, subject, issuer_key, issuer, &c), MOBID_OK);
    return c;
}

/* A VICAL root over a signer (with the VICAL EKU, or another purpose), and a
 * foreign IACA over a document signer. */
static void pki_make(pki *p, mobid_cert_purpose signer_purpose)
{
    mobid_cert_spec root = { .subject_cn = "VICAL Root", .subject_c = "ZZ", .not_before = T0,
                             .not_after = T0 + 3650 * DAY, .is_ca = true, .path_len = 1 };
    mobid_cert_spec signer = { .subject_cn = "VICAL Signer", .subject_c = "ZZ",
                               .not_before = T0, .not_after = T0 + 365 * DAY,
                               .purpose = signer_purpose };
    mobid_cert_spec iaca = { .subject_cn = "Foreign IACA", .subject_c = "UT", .not_before = T0,
                             .not_after = T0 + 3650 * DAY, .is_ca = true, .path_len = 0 };
    mobid_cert_spec ds = { .subject_cn = "Foreign DS", .subject_c = "UT", .not_before = T0,
                           .not_after = T0 + 365 * DAY, .purpose = MOBID_PURPOSE_MDOC_DS };
    memset(p, 0, sizeof *p);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &p->root_key), MOBID_OK);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &p->signer_key), MOBID_OK);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &p->iaca_key), MOBID_OK);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &p->ds_key), MOBID_OK);
    p->root = issue(&root, p->root_key, p->root_key, NULL);
    p->signer = issue(&signer, p->signer_key, p->root_key, p->root);
    p->iaca = issue(&iaca, p->iaca_key, p->iaca_key, NULL);
    p->ds = issue(&ds, p->ds_key, p->iaca_key, p->iaca);
}

static void pki_free(pki *p)
{
    mobid_key_free(p->root_key);
    mobid_key_free(p->signer_key);
    mobid_key_free(p->iaca_key);
    mobid_key_free(p->ds_key);
    mobid_cert_free(p->root);
    mobid_cert_free(p->signer);
    mobid_cert_free(p->iaca);
    mobid_cert_free(p->ds);
}

/* A VICAL by p's signer naming p's IACA for mDLs, dated T0 + 10 days. */
static void sign_list(const pki *p, mobid_time next_update, mobid_buf *out)
{
    static const char *const dts[] = { MDL };
    mobid_vical_item item = { .cert = p->iaca, .doctypes = dts, .n_doctypes = 1,
                              .issuing_country = "UT" };
    mobid_cert *chain[1] = { p->signer };
    mobid_vical_params vp = { .provider = "Test Provider", .date = T0 + 10 * DAY,
                              .next_update = next_update, .issue_id = 7, .items = &item,
                              .n_items = 1, .key = p->signer_key, .chain = chain, .n_chain = 1 };
    mobid_buf_init(out, 0);
    assert_int_equal(mobid_vical_sign(&vp, out), MOBID_OK);
}

static mobid_err verify_list(mobid_view list, mobid_cert *anchor, mobid_time at)
{
    mobid_vical v;
    mobid_trust *t = NULL;
    assert_int_equal(mobid_trust_new(&t), MOBID_OK);
    assert_int_equal(mobid_trust_add(t, anchor), MOBID_OK);
    mobid_err err = mobid_vical_parse(list, &v);
    if (err == MOBID_OK)
        err = mobid_vical_verify(&v, t, at, false, NULL, 0);
    mobid_vical_clear(&v);
    mobid_trust_free(t);
    return err;
}

static void test_synthetic_good_and_refusals(void **state)
{
    (void)state;
    pki p, other;
    mobid_buf list;
    mobid_time at = T0 + 20 * DAY;
    pki_make(&p, MOBID_PURPOSE_VICAL);
    pki_make(&other, MOBID_PURPOSE_VICAL);
    sign_list(&p, T0 + 40 * DAY, &list);
    assert_int_equal(verify_list(mobid_buf_view(&list), p.root, at), MOBID_OK);
    /* Wrong signer: the list's root is not the one trusted. */
    assert_int_equal(verify_list(mobid_buf_view(&list), other.root, at),
                     MOBID_ERR_VICAL_SIGNER_UNTRUSTED);
    /* Expired (past nextUpdate) and dated in the future. */
    assert_int_equal(verify_list(mobid_buf_view(&list), p.root, T0 + 41 * DAY),
                     MOBID_ERR_VICAL_EXPIRED);
    assert_int_equal(verify_list(mobid_buf_view(&list), p.root, T0 + 9 * DAY),
                     MOBID_ERR_VICAL_NOT_YET_VALID);
    /* Bad signature: one flipped bit in the last signature byte. */
    list.ptr[list.len - 1] ^= 0x01;
    assert_int_equal(verify_list(mobid_buf_view(&list), p.root, at),
                     MOBID_ERR_VICAL_SIGNATURE_INVALID);
    mobid_buf_free(&list);
    pki_free(&p);
    pki_free(&other);
}

static void test_signer_needs_vical_eku(void **state)
{
    (void)state;
    pki p;
    mobid_buf list;
    pki_make(&p, MOBID_PURPOSE_MDOC_DS);
    sign_list(&p, 0, &list);
    assert_int_equal(verify_list(mobid_buf_view(&list), p.root, T0 + 20 * DAY),
                     MOBID_ERR_VICAL_SIGNER_UNTRUSTED);
    /* Pinned, the same signer is trusted for the use it was named for. */
    assert_int_equal(verify_list(mobid_buf_view(&list), p.signer, T0 + 20 * DAY), MOBID_OK);
    mobid_buf_free(&list);
    pki_free(&p);
}

static void test_iaca_outside_its_doctypes(void **state)
{
    (void)state;
    pki p;
    mobid_buf list, root_pem;
    mobid_trust *t = NULL;
    char detail[160];
    pki_make(&p, MOBID_PURPOSE_VICAL);
    sign_list(&p, T0 + 40 * DAY, &list);
    mobid_buf_init(&root_pem, 0);
    assert_int_equal(mobid_cert_to_pem(p.root, &root_pem), MOBID_OK);
    mobid_view lv = mobid_buf_view(&list), rv = mobid_buf_view(&root_pem);
    const char *issuers[] = { "https://issuer.example" };
    mobid_trust_config c = { .vicals = &lv, .n_vicals = 1, .vical_anchors = &rv,
                             .n_vical_anchors = 1, .issuers = issuers, .n_issuers = 1,
                             .policy = MOBID_TRUST_LENIENT, .at = T0 + 20 * DAY };
    assert_int_equal(mobid_trust_build(&c, &t, detail, sizeof detail), MOBID_OK);
    assert_int_equal(mobid_trust_get_policy(t), MOBID_TRUST_LENIENT);
    assert_true(mobid_trust_has_issuer(t, "https://issuer.example"));
    unsigned w = 0;
    assert_int_equal(mobid_trust_verify_chain_ex(t, &p.ds, 1, T0 + 20 * DAY, MOBID_PURPOSE_MDOC_DS,
                                                 mobid_view_str(MDL), &w),
                     MOBID_OK);
    assert_int_equal(mobid_trust_verify_chain_ex(t, &p.ds, 1, T0 + 20 * DAY, MOBID_PURPOSE_MDOC_DS,
                                                 mobid_view_str("kr.go.mofa.overseas_resident_id.1"),
                                                 &w),
                     MOBID_ERR_DOCTYPE_NOT_ALLOWED);
    mobid_trust_free(t);
    mobid_buf_free(&list);
    mobid_buf_free(&root_pem);
    pki_free(&p);
}

/* A COSE_Sign1 by p's signer over a hand-written payload. */
static void sign_payload(const pki *p, mobid_view payload, mobid_buf *out)
{
    mobid_view der = mobid_cert_der(p->signer);
    mobid_cose_sign1_params sp = { .alg = MOBID_ALG_ES256, .x5chain = &der, .x5chain_count = 1 };
    mobid_buf_init(out, 0);
    assert_int_equal(mobid_cose_sign1_create(p->signer_key, &sp, payload, out), MOBID_OK);
}

/* A list in AAMVA's spelling: "Extensions", "CertificateProfile", a DER-wrapped
 * SKI, a plain-text date; then the same entry with a SKI that is not the
 * certificate's. */
static void hand_list(const pki *p, bool wrong_ski, mobid_buf *out)
{
    mobid_buf ski, payload;
    mobid_cbor_enc e;
    mobid_buf_init(&ski, 0);
    mobid_buf_init(&payload, 0);
    assert_int_equal(mobid_buf_append(&ski, "\x04\x14", 2), MOBID_OK);
    assert_int_equal(mobid_cert_ski(p->iaca, &ski), MOBID_OK);
    if (wrong_ski)
        ski.ptr[5] ^= 0xff;
    mobid_cbor_enc_init(&e, &payload);
    mobid_cbor_put_map_head(&e, 5);
    mobid_cbor_put_cstr(&e, "version");
    mobid_cbor_put_cstr(&e, "1.0");
    mobid_cbor_put_cstr(&e, "vicalProvider");
    mobid_cbor_put_cstr(&e, "Hand");
    mobid_cbor_put_cstr(&e, "date");
    mobid_cbor_put_cstr(&e, "2026-01-11T00:00:00Z");
    mobid_cbor_put_cstr(&e, "certificateInfos");
    mobid_cbor_put_array_head(&e, 1);
    mobid_cbor_put_map_head(&e, 5);
    mobid_cbor_put_cstr(&e, "certificate");
    mobid_cbor_put_bytes(&e, mobid_cert_der(p->iaca));
    mobid_cbor_put_cstr(&e, "ski");
    mobid_cbor_put_bytes(&e, mobid_buf_view(&ski));
    mobid_cbor_put_cstr(&e, "docType");
    mobid_cbor_put_array_head(&e, 1);
    mobid_cbor_put_cstr(&e, MDL);
    mobid_cbor_put_cstr(&e, "CertificateProfile");
    mobid_cbor_put_array_head(&e, 1);
    mobid_cbor_put_cstr(&e, "https://example.org");
    mobid_cbor_put_cstr(&e, "Extensions");
    mobid_cbor_put_map_head(&e, 0);
    mobid_cbor_put_cstr(&e, "Extensions");
    mobid_cbor_put_map_head(&e, 0);
    assert_int_equal(mobid_cbor_enc_finish(&e), MOBID_OK);
    sign_payload(p, mobid_buf_view(&payload), out);
    mobid_buf_free(&ski);
    mobid_buf_free(&payload);
}

static void test_lenient_parsing(void **state)
{
    (void)state;
    pki p;
    mobid_buf list;
    mobid_vical v;
    mobid_trust *t = NULL;
    size_t added = 9;
    pki_make(&p, MOBID_PURPOSE_VICAL);
    hand_list(&p, false, &list);
    assert_int_equal(mobid_vical_parse(mobid_buf_view(&list), &v), MOBID_OK);
    assert_int_equal(v.n_entries, 1);
    assert_int_equal(v.entries[0].problem, MOBID_OK);
    assert_int_equal(v.entries[0].ski.len, 20);
    assert_false(v.has_next_update);
    assert_int_equal(mobid_trust_new(&t), MOBID_OK);
    assert_int_equal(mobid_vical_add_to_trust(&v, t, &added), MOBID_OK);
    assert_int_equal(added, 1);
    mobid_trust_free(t);
    mobid_vical_clear(&v);
    mobid_buf_free(&list);
    /* An SKI that is not the certificate's: the entry is listed but not used. */
    hand_list(&p, true, &list);
    assert_int_equal(mobid_vical_parse(mobid_buf_view(&list), &v), MOBID_OK);
    assert_int_equal(v.entries[0].problem, MOBID_ERR_VICAL_INVALID);
    assert_int_equal(mobid_trust_new(&t), MOBID_OK);
    assert_int_equal(mobid_vical_add_to_trust(&v, t, &added), MOBID_OK);
    assert_int_equal(added, 0);
    mobid_trust_free(t);
    mobid_vical_clear(&v);
    mobid_buf_free(&list);
    pki_free(&p);
}

static void test_malformed(void **state)
{
    (void)state;
    pki p;
    mobid_vical v;
    mobid_buf list;
    static const uint8_t junk[] = { 0x84, 0x40, 0xa0, 0x41, 0x00, 0x40 };
    pki_make(&p, MOBID_PURPOSE_VICAL);
    assert_int_equal(mobid_vical_parse(mobid_view_make(junk, 2), &v), MOBID_ERR_VICAL_INVALID);
    mobid_vical_clear(&v);
    /* A COSE_Sign1 whose payload is one byte, not a map. */
    assert_int_equal(mobid_vical_parse(mobid_view_make(junk, sizeof junk), &v),
                     MOBID_ERR_VICAL_INVALID);
    mobid_vical_clear(&v);
    /* A map without certificateInfos. */
    static const uint8_t no_infos[] = { 0xa1, 0x67, 'v', 'e', 'r', 's', 'i', 'o', 'n', 0x63,
                                        '1', '.', '0' };
    sign_payload(&p, mobid_view_make(no_infos, sizeof no_infos), &list);
    assert_int_equal(mobid_vical_parse(mobid_buf_view(&list), &v), MOBID_ERR_VICAL_INVALID);
    mobid_vical_clear(&v);
    mobid_buf_free(&list);
    assert_int_equal(mobid_vical_parse(mobid_view_make(NULL, 0), NULL), MOBID_ERR_INVALID_ARG);
    pki_free(&p);
}

static void test_trust_build_inputs(void **state)
{
    (void)state;
    pki p;
    mobid_buf pem;
    mobid_trust *t = NULL;
    char detail[160];
    pki_make(&p, MOBID_PURPOSE_VICAL);
    mobid_buf_init(&pem, 0);
    assert_int_equal(mobid_cert_to_pem(p.iaca, &pem), MOBID_OK);
    mobid_view views[2] = { mobid_buf_view(&pem), mobid_view_str("not a certificate") };
    mobid_trust_config c = { .anchors = views, .n_anchors = 1 };
    assert_int_equal(mobid_trust_build(&c, &t, detail, sizeof detail), MOBID_OK);
    assert_int_equal(mobid_trust_count(t), 1);
    mobid_trust_free(t);
    c.n_anchors = 2;
    assert_int_equal(mobid_trust_build(&c, &t, detail, sizeof detail), MOBID_ERR_CERT_INVALID);
    assert_string_equal(detail, "anchors[1]: no usable certificate");
    assert_null(t);
    mobid_trust_config none = { 0 };
    assert_int_equal(mobid_trust_build(&none, &t, detail, sizeof detail), MOBID_ERR_INVALID_ARG);
    mobid_trust_config orphan = { .vicals = views, .n_vicals = 1 };
    assert_int_equal(mobid_trust_build(&orphan, &t, detail, sizeof detail),
                     MOBID_ERR_INVALID_ARG);
    assert_non_null(strstr(detail, "VICAL anchor"));
    mobid_buf_free(&pem);
    pki_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aamva_vical),
        cmocka_unit_test(test_aamva_trust_build),
        cmocka_unit_test(test_synthetic_good_and_refusals),
        cmocka_unit_test(test_signer_needs_vical_eku),
        cmocka_unit_test(test_iaca_outside_its_doctypes),
        cmocka_unit_test(test_lenient_parsing),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_trust_build_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
