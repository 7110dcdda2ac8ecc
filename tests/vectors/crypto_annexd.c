/* lib/crypto against real certificates from ../shared/vectors: the ISO 18013-5
 * Annex D document signer chains to the Annex D IACA at the MSO's signing time
 * and not one second after its notAfter; the AAMVA DTS issuing CA chains to
 * the AAMVA root. */
#include "testutil.h"

#include <mobid/crypto.h>

static mobid_cert *load_hex_cert(const char *rel)
{
    mobid_buf der;
    mobid_cert *c = NULL;
    tu_read_vector_hex(rel, &der);
    assert_int_equal(mobid_cert_parse(mobid_buf_view(&der), &c), MOBID_OK);
    /* The certificate keeps the bytes exactly as received. */
    assert_true(mobid_view_eq(mobid_cert_der(c), mobid_buf_view(&der)));
    mobid_buf_free(&der);
    return c;
}

static void test_annexd_ds_chain(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    mobid_cert *ds = load_hex_cert("mdoc/annexd_ds_cert.hex");
    mobid_cert *iaca = load_hex_cert("mdoc/eudi_ios_annexD_d52_iaca.hex");
    mobid_trust *t = NULL;
    assert_int_equal(mobid_trust_new(&t), MOBID_OK);
    assert_int_equal(mobid_trust_add(t, iaca), MOBID_OK);
    mobid_time signed_at, not_after;
    assert_int_equal(mobid_time_parse_rfc3339(mobid_view_str("2020-10-01T13:30:02Z"), &signed_at,
                                              NULL), MOBID_OK);
    assert_int_equal(mobid_trust_verify_chain(t, &ds, 1, signed_at, MOBID_PURPOSE_MDOC_DS),
                     MOBID_OK);
    mobid_cert_validity(ds, NULL, &not_after);
    assert_true(not_after > signed_at);
    assert_int_equal(mobid_trust_verify_chain(t, &ds, 1, not_after, MOBID_PURPOSE_MDOC_DS),
                     MOBID_OK);
    assert_int_equal(mobid_trust_verify_chain(t, &ds, 1, not_after + 1, MOBID_PURPOSE_MDOC_DS),
                     MOBID_ERR_CERT_EXPIRED);
    /* The DS certificate is no reader certificate, and the IACA alone is no DS. */
    assert_int_equal(mobid_trust_verify_chain(t, &ds, 1, signed_at, MOBID_PURPOSE_MDOC_READER),
                     MOBID_ERR_CERT_USAGE);
    assert_int_equal(mobid_trust_verify_chain(t, &iaca, 1, signed_at, MOBID_PURPOSE_MDOC_DS),
                     MOBID_ERR_CERT_USAGE);
    /* Its key is the P-256 key that signs the Annex D issuerAuth. */
    mobid_key *k = NULL;
    assert_int_equal(mobid_cert_public_key(ds, &k), MOBID_OK);
    assert_int_equal(mobid_key_curve(k), MOBID_CURVE_P256);
    mobid_buf subject;
    mobid_buf_init(&subject, 0);
    assert_int_equal(mobid_cert_subject(ds, &subject), MOBID_OK);
    assert_true(mobid_view_eq_str(mobid_buf_view(&subject), "C=US,CN=utopia ds"));
    mobid_buf_free(&subject);
    mobid_key_free(k);
    mobid_trust_free(t);
    mobid_cert_free(ds);
    mobid_cert_free(iaca);
}

static void test_annexd_reader_chain(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    mobid_cert *reader = load_hex_cert("mdoc/annexd_reader_cert.hex");
    mobid_cert *root = load_hex_cert("mdoc/eudi_ios_annexD_d54_readerRoot.hex");
    mobid_trust *t = NULL;
    assert_int_equal(mobid_trust_new(&t), MOBID_OK);
    assert_int_equal(mobid_trust_add(t, root), MOBID_OK);
    mobid_time at;
    assert_int_equal(mobid_time_parse_rfc3339(mobid_view_str("2020-10-01T13:30:02Z"), &at, NULL),
                     MOBID_OK);
    assert_int_equal(mobid_trust_verify_chain(t, &reader, 1, at, MOBID_PURPOSE_MDOC_READER),
                     MOBID_OK);
    mobid_trust_free(t);
    mobid_cert_free(reader);
    mobid_cert_free(root);
}

static void test_aamva_chain(void **state)
{
    (void)state;
    TU_REQUIRE_VECTORS();
    mobid_buf root_pem, inter_pem;
    tu_read_vector("mdoc/vical/aamva_ca_root.crt", &root_pem);
    tu_read_vector("mdoc/vical/aamva_ca_intermediate.crt", &inter_pem);
    mobid_trust *t = NULL;
    mobid_cert *inter = NULL;
    assert_int_equal(mobid_trust_new(&t), MOBID_OK);
    assert_int_equal(mobid_trust_add_pem(t, mobid_buf_view(&root_pem)), MOBID_OK);
    assert_int_equal(mobid_trust_count(t), 1);
    assert_int_equal(mobid_cert_parse(mobid_buf_view(&inter_pem), &inter), MOBID_OK);
    mobid_time at;
    assert_int_equal(mobid_time_parse_rfc3339(mobid_view_str("2025-11-18T00:00:00Z"), &at, NULL),
                     MOBID_OK);
    assert_int_equal(mobid_trust_verify_chain(t, &inter, 1, at, MOBID_PURPOSE_ANY), MOBID_OK);
    assert_int_equal(mobid_trust_verify_chain(t, &inter, 1, at, MOBID_PURPOSE_SIGNING), MOBID_OK);
    /* Before the intermediate was issued (2023-03-31). */
    assert_int_equal(mobid_time_parse_rfc3339(mobid_view_str("2023-01-01T00:00:00Z"), &at, NULL),
                     MOBID_OK);
    assert_int_equal(mobid_trust_verify_chain(t, &inter, 1, at, MOBID_PURPOSE_ANY),
                     MOBID_ERR_CERT_NOT_YET_VALID);
    /* The Annex D IACA is no AAMVA anchor. */
    mobid_trust *other = NULL;
    mobid_cert *iaca = load_hex_cert("mdoc/eudi_ios_annexD_d52_iaca.hex");
    assert_int_equal(mobid_trust_new(&other), MOBID_OK);
    assert_int_equal(mobid_trust_add(other, iaca), MOBID_OK);
    assert_int_equal(mobid_trust_verify_chain(other, &inter, 1, at + 365 * 86400, MOBID_PURPOSE_ANY),
                     MOBID_ERR_UNTRUSTED_ISSUER);
    mobid_trust_free(other);
    mobid_cert_free(iaca);
    mobid_cert_free(inter);
    mobid_trust_free(t);
    mobid_buf_free(&root_pem);
    mobid_buf_free(&inter_pem);
}

int main(void)
{
    TU_MAIN_REQUIRE_VECTORS();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_annexd_ds_chain),
        cmocka_unit_test(test_annexd_reader_chain),
        cmocka_unit_test(test_aamva_chain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
