/* lib/crypto trust policy: a pinned leaf is trusted for its use whatever its
 * EKU; a DS under an IACA without an EKU passes with DS_EKU_MISSING, with
 * another EKU only when lenient; STRICT applies Annex B; anchors restricted to
 * docTypes; issuer identifiers; warnings survive the validation cache. */
#include "testutil.h"

#include <mobid/crypto.h>

#include <string.h>

#define DAY 86400
static const mobid_time T0 = 1767225600; /* 2026-01-01T00:00:00Z */
static const mobid_time AT = 1767225600 + 30 * 86400;

typedef struct pki {
    mobid_key *root_key, *ds_key;
    mobid_cert *root, *ds;
} pki;

static mobid_cert *issue(const mobid_cert_spec *spec, mobid_key *subject, mobid_key *issuer_key,
                         mobid_cert *issuer)
{
    mobid_cert *c = NULL;
    assert_int_equal(mobid_cert_issue(spec, subject, issuer_key, issuer, &c), MOBID_OK);
    return c;
}

/* An IACA over a DS whose EKU is that of `ds_purpose` (SIGNING: none). */
static void pki_make(pki *p, mobid_cert_purpose ds_purpose, mobid_time ds_days)
{
    memset(p, 0, sizeof *p);
    mobid_cert_spec rs = { .subject_cn = "Policy IACA", .subject_c = "KR", .not_before = T0,
                           .not_after = T0 + 3650 * DAY, .is_ca = true, .path_len = 0 };
    mobid_cert_spec ds = { .subject_cn = "Policy DS", .subject_c = "KR", .not_before = T0 + DAY,
                           .not_after = T0 + DAY + ds_days * DAY, .purpose = ds_purpose };
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &p->root_key), MOBID_OK);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &p->ds_key), MOBID_OK);
    p->root = issue(&rs, p->root_key, p->root_key, NULL);
    p->ds = issue(&ds, p->ds_key, p->root_key, p->root);
}

static void pki_free(pki *p)
{
    mobid_key_free(p->root_key);
    mobid_key_free(p->ds_key);
    mobid_cert_free(p->root);
    mobid_cert_free(p->ds);
}

/* Validate p's DS as a document signer under `anchor` with a policy. */
static mobid_err ds_check(pki *p, mobid_cert *anchor, mobid_trust_policy pol, unsigned *warn)
{
    mobid_trust *t = NULL;
    assert_int_equal(mobid_trust_new(&t), MOBID_OK);
    assert_int_equal(mobid_trust_set_policy(t, pol), MOBID_OK);
    assert_int_equal(mobid_trust_add(t, anchor), MOBID_OK);
    mobid_err err = mobid_trust_verify_chain_ex(t, &p->ds, 1, AT, MOBID_PURPOSE_MDOC_DS,
                                                mobid_view_make(NULL, 0), warn);
    mobid_trust_free(t);
    return err;
}

static void test_ds_without_eku_under_iaca(void **state)
{
    (void)state;
    pki p;
    unsigned w = 99;
    pki_make(&p, MOBID_PURPOSE_SIGNING, 365);
    assert_int_equal(ds_check(&p, p.root, MOBID_TRUST_DEFAULT, &w), MOBID_OK);
    assert_int_equal(w, MOBID_TRUST_WARN_EKU_MISSING);
    assert_string_equal(mobid_trust_warning_name(w), "DS_EKU_MISSING");
    assert_int_equal(ds_check(&p, p.root, MOBID_TRUST_LENIENT, &w), MOBID_OK);
    assert_int_equal(w, MOBID_TRUST_WARN_EKU_MISSING);
    assert_int_equal(ds_check(&p, p.root, MOBID_TRUST_STRICT, &w), MOBID_ERR_DS_EKU_MISSING);
    assert_int_equal(w, 0);
    pki_free(&p);
}

static void test_ds_with_other_eku_under_iaca(void **state)
{
    (void)state;
    pki p;
    unsigned w = 99;
    pki_make(&p, MOBID_PURPOSE_MDOC_READER, 365);
    assert_int_equal(ds_check(&p, p.root, MOBID_TRUST_DEFAULT, &w), MOBID_ERR_CERT_USAGE);
    assert_int_equal(ds_check(&p, p.root, MOBID_TRUST_LENIENT, &w), MOBID_OK);
    assert_int_equal(w, MOBID_TRUST_WARN_EKU_OTHER);
    assert_string_equal(mobid_trust_warning_name(w), "DS_EKU_OTHER");
    assert_int_equal(ds_check(&p, p.root, MOBID_TRUST_STRICT, &w), MOBID_ERR_CERT_USAGE);
    pki_free(&p);
}

static void test_pinned_ds_needs_no_eku(void **state)
{
    (void)state;
    pki none, other;
    unsigned w = 99;
    pki_make(&none, MOBID_PURPOSE_SIGNING, 365);
    pki_make(&other, MOBID_PURPOSE_MDOC_READER, 365);
    /* The user named exactly this certificate: no EKU, or another, is fine. */
    assert_int_equal(ds_check(&none, none.ds, MOBID_TRUST_DEFAULT, &w), MOBID_OK);
    assert_int_equal(w, 0);
    assert_int_equal(ds_check(&other, other.ds, MOBID_TRUST_DEFAULT, &w), MOBID_OK);
    assert_int_equal(w, 0);
    /* STRICT holds pinned certificates to Annex B too. */
    assert_int_equal(ds_check(&none, none.ds, MOBID_TRUST_STRICT, &w), MOBID_ERR_DS_EKU_MISSING);
    assert_int_equal(ds_check(&other, other.ds, MOBID_TRUST_STRICT, &w), MOBID_ERR_CERT_USAGE);
    /* A pinned IACA is still no signer: its key usage has no digitalSignature. */
    mobid_trust *t = NULL;
    assert_int_equal(mobid_trust_new(&t), MOBID_OK);
    assert_int_equal(mobid_trust_add(t, none.root), MOBID_OK);
    assert_int_equal(mobid_trust_verify_chain(t, &none.root, 1, AT, MOBID_PURPOSE_MDOC_DS),
                     MOBID_ERR_CERT_USAGE);
    mobid_trust_free(t);
    pki_free(&none);
    pki_free(&other);
}

static void test_strict_annex_b(void **state)
{
    (void)state;
    pki good, long_lived;
    unsigned w = 99;
    pki_make(&good, MOBID_PURPOSE_MDOC_DS, 365);
    assert_int_equal(ds_check(&good, good.root, MOBID_TRUST_STRICT, &w), MOBID_OK);
    assert_int_equal(w, 0);
    /* B.1.4: a DS certificate lives at most 457 days. */
    pki_make(&long_lived, MOBID_PURPOSE_MDOC_DS, 1000);
    assert_int_equal(ds_check(&long_lived, long_lived.root, MOBID_TRUST_DEFAULT, &w), MOBID_OK);
    assert_int_equal(ds_check(&long_lived, long_lived.root, MOBID_TRUST_STRICT, &w),
                     MOBID_ERR_CERT_PROFILE);
    pki_free(&good);
    pki_free(&long_lived);
}

static void test_doctype_restriction(void **state)
{
    (void)state;
    pki p;
    mobid_trust *t = NULL;
    mobid_view mdl = mobid_view_str("org.iso.18013.5.1.mDL");
    unsigned w = 0;
    size_t nd = 9;
    pki_make(&p, MOBID_PURPOSE_MDOC_DS, 365);
    assert_int_equal(mobid_trust_new(&t), MOBID_OK);
    assert_int_equal(mobid_trust_add_for_doctypes(t, p.root, &mdl, 1), MOBID_OK);
    assert_ptr_equal(mobid_trust_anchor(t, 0, &nd), p.root);
    assert_int_equal(nd, 1);
    assert_null(mobid_trust_anchor(t, 1, NULL));
    assert_int_equal(mobid_trust_verify_chain_ex(t, &p.ds, 1, AT, MOBID_PURPOSE_MDOC_DS, mdl, &w),
                     MOBID_OK);
    /* The same chain, now from the cache, for a docType the anchor is not listed for. */
    assert_int_equal(mobid_trust_verify_chain_ex(t, &p.ds, 1, AT, MOBID_PURPOSE_MDOC_DS,
                                                 mobid_view_str("kr.example.card"), &w),
                     MOBID_ERR_DOCTYPE_NOT_ALLOWED);
    unsigned long hits = 0, builds = 0;
    mobid_trust_cache_stats(t, &hits, &builds);
    assert_int_equal(hits, 1);
    assert_int_equal(builds, 1);
    /* Named again without a list: trusted for any docType. */
    assert_int_equal(mobid_trust_add(t, p.root), MOBID_OK);
    assert_int_equal(mobid_trust_count(t), 1);
    assert_ptr_equal(mobid_trust_anchor(t, 0, &nd), p.root);
    assert_int_equal(nd, 0);
    assert_int_equal(mobid_trust_verify_chain_ex(t, &p.ds, 1, AT, MOBID_PURPOSE_MDOC_DS,
                                                 mobid_view_str("kr.example.card"), &w),
                     MOBID_OK);
    mobid_trust_free(t);
    pki_free(&p);
}

static void test_warnings_survive_cache(void **state)
{
    (void)state;
    pki p;
    mobid_trust *t = NULL;
    unsigned w = 0;
    pki_make(&p, MOBID_PURPOSE_SIGNING, 365);
    assert_int_equal(mobid_trust_new(&t), MOBID_OK);
    assert_int_equal(mobid_trust_add(t, p.root), MOBID_OK);
    for (int i = 0; i < 3; i++) {
        w = 0;
        assert_int_equal(mobid_trust_verify_chain_ex(t, &p.ds, 1, AT, MOBID_PURPOSE_MDOC_DS,
                                                     mobid_view_make(NULL, 0), &w),
                         MOBID_OK);
        assert_int_equal(w, MOBID_TRUST_WARN_EKU_MISSING);
    }
    /* Changing the policy drops cached outcomes. */
    assert_int_equal(mobid_trust_set_policy(t, MOBID_TRUST_STRICT), MOBID_OK);
    assert_int_equal(mobid_trust_get_policy(t), MOBID_TRUST_STRICT);
    assert_int_equal(mobid_trust_verify_chain(t, &p.ds, 1, AT, MOBID_PURPOSE_MDOC_DS),
                     MOBID_ERR_DS_EKU_MISSING);
    assert_int_equal(mobid_trust_set_policy(t, (mobid_trust_policy)7), MOBID_ERR_INVALID_ARG);
    mobid_trust_free(t);
    pki_free(&p);
}

static void test_issuers_and_names(void **state)
{
    (void)state;
    mobid_trust *t = NULL;
    assert_int_equal(mobid_trust_new(&t), MOBID_OK);
    assert_false(mobid_trust_has_issuer(t, "https://issuer.example"));
    assert_int_equal(mobid_trust_add_issuer(t, "https://issuer.example"), MOBID_OK);
    assert_int_equal(mobid_trust_add_issuer(t, "https://issuer.example"), MOBID_OK);
    assert_true(mobid_trust_has_issuer(t, "https://issuer.example"));
    assert_false(mobid_trust_has_issuer(t, "https://issuer.example/"));
    assert_int_equal(mobid_trust_add_issuer(t, ""), MOBID_ERR_INVALID_ARG);
    mobid_trust_free(t);
    assert_null(mobid_trust_warning_name(0));
    assert_null(mobid_trust_warning_name(MOBID_TRUST_WARN_ALL));
    assert_string_equal(mobid_err_name(MOBID_ERR_DOCTYPE_NOT_ALLOWED), "DOCTYPE_NOT_ALLOWED");
    assert_string_equal(mobid_err_name(MOBID_ERR_VICAL_EXPIRED), "VICAL_EXPIRED");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ds_without_eku_under_iaca),
        cmocka_unit_test(test_ds_with_other_eku_under_iaca),
        cmocka_unit_test(test_pinned_ds_needs_no_eku),
        cmocka_unit_test(test_strict_annex_b),
        cmocka_unit_test(test_doctype_restriction),
        cmocka_unit_test(test_warnings_survive_cache),
        cmocka_unit_test(test_issuers_and_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
