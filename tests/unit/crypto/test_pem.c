/* lib/crypto key encodings: PEM and DER round trips (PKCS#8, SPKI) on every
 * curve, a SEC1 "EC PRIVATE KEY" (PEM and DER), and a certificate as a key source.
 * The fixed keys below were generated for these tests with the openssl tool. */
#include "testutil.h"

#include <mobid/crypto.h>

#include <string.h>

static const char sec1_pem[] =
    "-----BEGIN EC PRIVATE KEY-----\n"
    "MHcCAQEEIJBGAzdfuoAluHpXWMB28DUGuh1mdUv1F7whAdihae5FoAoGCCqGSM49\n"
    "AwEHoUQDQgAEosaMV+dNWpGWz+gEjAOu75v8AxqYo8pvEdAgPaNYeNGbi4QEPrdd\n"
    "nNbwCMhPacj+MqHA+8w0WMENC9d9XuouJg==\n"
    "-----END EC PRIVATE KEY-----\n";

static const char sec1_der_hex[] =
    "30770201010420904603375fba8025b87a5758c076f03506ba1d66754bf517bc2101d8a169ee45a00a0608"
    "2a8648ce3d030107a14403420004a2c68c57e74d5a9196cfe8048c03aeef9bfc031a98a3ca6f11d0203da3"
    "5878d19b8b84043eb75d9cd6f008c84f69c8fe32a1c0fbcc3458c10d0bd77d5eea2e26";

static const char spki_pem[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEosaMV+dNWpGWz+gEjAOu75v8AxqY\n"
    "o8pvEdAgPaNYeNGbi4QEPrddnNbwCMhPacj+MqHA+8w0WMENC9d9XuouJg==\n"
    "-----END PUBLIC KEY-----\n";

/* Self-signed over the same key. */
static const char cert_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBfDCCASGgAwIBAgIUbToL281kNX+wfb0Z/8D89gQrq2wwCgYIKoZIzj0EAwIw\n"
    "EzERMA8GA1UEAwwIcGVtIHRlc3QwHhcNMjYxMTI3MDQwNjEzWhcNMzYxMTI0MDQw\n"
    "NjEzWjATMREwDwYDVQQDDAhwZW0gdGVzdDBZMBMGByqGSM49AgEGCCqGSM49AwEH\n"
    "A0IABKLGjFfnTVqRls/oBIwDru+b/AMamKPKbxHQID2jWHjRm4uEBD63XZzW8AjI\n"
    "T2nI/jKhwPvMNFjBDQvXfV7qLiajUzBRMB0GA1UdDgQWBBQ2SSckvvVMKU0h/LfB\n"
    "RRxiEUtQdzAfBgNVHSMEGDAWgBQ2SSckvvVMKU0h/LfBRRxiEUtQdzAPBgNVHRMB\n"
    "Af8EBTADAQH/MAoGCCqGSM49BAMCA0kAMEYCIQD4N4UocXMS7YUh+mVJhqkQSd9+\n"
    "sXozdk2/t6GHuYhxpQIhAJ5OKNyjHrhrfz2toN8X5NzeAnUiRz3ulHXDfLcG0c7v\n"
    "-----END CERTIFICATE-----\n";

static const char ed25519_pkcs8[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIC7xEAUr3Y8OANMNcGmgj1CrmzRqf9haXucUIc1C8xn6\n"
    "-----END PRIVATE KEY-----\n";

static const mobid_alg curve_alg[] = { MOBID_ALG_NONE, MOBID_ALG_ES256, MOBID_ALG_ES384,
                                       MOBID_ALG_ES512, MOBID_ALG_EDDSA, MOBID_ALG_NONE };

/* A key sign-verifies across two handles (when the curve signs at all). */
static void assert_same_signer(mobid_key *signer, mobid_key *verifier)
{
    mobid_alg alg = curve_alg[mobid_key_curve(signer)];
    assert_true(mobid_key_public_eq(signer, verifier));
    if (alg == MOBID_ALG_NONE)
        return;
    mobid_buf sig;
    mobid_buf_init(&sig, 0);
    assert_int_equal(mobid_sign(signer, alg, mobid_view_str("pem"), &sig), MOBID_OK);
    assert_int_equal(mobid_verify(verifier, alg, mobid_view_str("pem"), mobid_buf_view(&sig)),
                     MOBID_OK);
    mobid_buf_free(&sig);
}

static void round_trip(mobid_curve c)
{
    mobid_key *k = NULL, *priv = NULL, *pub = NULL, *from_der = NULL;
    mobid_buf pem_priv, pem_pub, der;
    mobid_buf_init(&pem_priv, 0);
    mobid_buf_init(&pem_pub, 0);
    mobid_buf_init(&der, 0);
    assert_int_equal(mobid_key_generate(c, &k), MOBID_OK);
    assert_int_equal(mobid_key_to_pem(k, true, &pem_priv), MOBID_OK);
    assert_int_equal(mobid_key_to_pem(k, false, &pem_pub), MOBID_OK);
    assert_int_equal(mobid_key_to_spki_der(k, &der), MOBID_OK);
    assert_int_equal(mobid_buf_terminate(&pem_priv), MOBID_OK);
    assert_int_equal(mobid_buf_terminate(&pem_pub), MOBID_OK);
    assert_non_null(strstr((char *)pem_priv.ptr, "-----BEGIN PRIVATE KEY-----"));
    assert_non_null(strstr((char *)pem_pub.ptr, "-----BEGIN PUBLIC KEY-----"));
    assert_int_equal(mobid_key_from_pem(mobid_buf_view(&pem_priv), &priv), MOBID_OK);
    assert_int_equal(mobid_key_from_pem(mobid_buf_view(&pem_pub), &pub), MOBID_OK);
    assert_int_equal(mobid_key_from_pem(mobid_buf_view(&der), &from_der), MOBID_OK);
    assert_true(mobid_key_has_private(priv));
    assert_false(mobid_key_has_private(pub));
    assert_false(mobid_key_has_private(from_der));
    assert_int_equal(mobid_key_curve(priv), c);
    assert_same_signer(priv, pub);
    assert_same_signer(k, from_der);
    /* A public key exports as SPKI even when the private form is asked for. */
    mobid_buf again;
    mobid_buf_init(&again, 0);
    assert_int_equal(mobid_key_to_pem(pub, true, &again), MOBID_OK);
    assert_true(mobid_view_eq(mobid_buf_view(&again), mobid_buf_view(&pem_pub)));
    mobid_buf_free(&again);
    mobid_key_free(k);
    mobid_key_free(priv);
    mobid_key_free(pub);
    mobid_key_free(from_der);
    mobid_buf_free(&pem_priv);
    mobid_buf_free(&pem_pub);
    mobid_buf_free(&der);
}

static void test_round_trips(void **state)
{
    (void)state;
    round_trip(MOBID_CURVE_P256);
    round_trip(MOBID_CURVE_P384);
    round_trip(MOBID_CURVE_P521);
    round_trip(MOBID_CURVE_ED25519);
    round_trip(MOBID_CURVE_X25519);
}

static void test_sec1_and_cert(void **state)
{
    (void)state;
    mobid_key *sec1 = NULL, *sec1_der = NULL, *spki = NULL, *cert = NULL;
    mobid_buf der;
    tu_hex(sec1_der_hex, &der);
    assert_int_equal(mobid_key_from_pem(mobid_view_str(sec1_pem), &sec1), MOBID_OK);
    assert_int_equal(mobid_key_from_pem(mobid_buf_view(&der), &sec1_der), MOBID_OK);
    assert_int_equal(mobid_key_from_pem(mobid_view_str(spki_pem), &spki), MOBID_OK);
    assert_int_equal(mobid_key_from_pem(mobid_view_str(cert_pem), &cert), MOBID_OK);
    assert_true(mobid_key_has_private(sec1));
    assert_true(mobid_key_has_private(sec1_der));
    assert_int_equal(mobid_key_curve(sec1), MOBID_CURVE_P256);
    assert_same_signer(sec1, spki);
    assert_same_signer(sec1_der, cert);
    /* The private scalar survives: d exported equals the SEC1 body's d. */
    mobid_buf d;
    mobid_buf_init(&d, 0);
    assert_int_equal(mobid_key_to_coords(sec1, NULL, NULL, &d), MOBID_OK);
    assert_int_equal(d.len, 32);
    assert_memory_equal(d.ptr, der.ptr + 7, 32);
    mobid_buf_free(&d);
    mobid_buf_free(&der);
    mobid_key_free(sec1);
    mobid_key_free(sec1_der);
    mobid_key_free(spki);
    mobid_key_free(cert);
}

static void test_ed25519_pkcs8(void **state)
{
    (void)state;
    mobid_key *k = NULL;
    mobid_buf x;
    mobid_buf_init(&x, 0);
    assert_int_equal(mobid_key_from_pem(mobid_view_str(ed25519_pkcs8), &k), MOBID_OK);
    assert_int_equal(mobid_key_curve(k), MOBID_CURVE_ED25519);
    assert_true(mobid_key_has_private(k));
    assert_int_equal(mobid_key_to_coords(k, &x, NULL, NULL), MOBID_OK);
    assert_int_equal(x.len, 32);
    assert_same_signer(k, k);
    mobid_key_free(k);
    mobid_buf_free(&x);
}

static void test_refcount(void **state)
{
    (void)state;
    mobid_key *k = NULL;
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &k), MOBID_OK);
    mobid_key *r = mobid_key_ref(k);
    assert_ptr_equal(r, k);
    mobid_key_free(k);
    /* Still usable through the second reference. */
    assert_int_equal(mobid_key_curve(r), MOBID_CURVE_P256);
    assert_same_signer(r, r);
    mobid_key_free(r);
    mobid_key_free(NULL);
    assert_null(mobid_key_ref(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trips),   cmocka_unit_test(test_sec1_and_cert),
        cmocka_unit_test(test_ed25519_pkcs8), cmocka_unit_test(test_refcount),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
