/* lib/crypto token keys (SoftHSM2 in its own temporary token folder): keys made
 * inside the token sign through mobid_sign and mobid_cert_issue and verify with
 * their public half; the private half cannot be exported; a URI names the same
 * key again; a wrong PIN, a PIN in the URI, an unknown token or key, an existing
 * label and a public-key type are refused; signing from several threads. */
#include "testutil.h"

#include <mobid/crypto.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define PIN "4711"

static char dir[] = "/tmp/mobid-p11-XXXXXX";

static int setup_token(void **state)
{
    (void)state;
    char conf[512], cmd[1024];
    if (!mkdtemp(dir))
        return -1;
    snprintf(conf, sizeof conf, "%s/softhsm2.conf", dir);
    FILE *f = fopen(conf, "w");
    if (!f)
        return -1;
    fprintf(f, "directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n", dir);
    fclose(f);
    setenv("SOFTHSM2_CONF", conf, 1);
    snprintf(cmd, sizeof cmd,
             "softhsm2-util --init-token --free --label unit --pin " PIN
             " --so-pin 123456 >/dev/null");
    return system(cmd) == 0 ? 0 : -1;
}

static int teardown_token(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void sign_verify(mobid_key *k, mobid_alg alg)
{
    mobid_buf sig = { 0 };
    mobid_view msg = mobid_view_str("Sig_structure stand-in");
    assert_int_equal(mobid_sign(k, alg, msg, &sig), MOBID_OK);
    assert_int_equal(sig.len, mobid_alg_sig_size(alg));
    assert_int_equal(mobid_verify(k, alg, msg, mobid_buf_view(&sig)), MOBID_OK);
    sig.ptr[3] ^= 1;
    assert_int_equal(mobid_verify(k, alg, msg, mobid_buf_view(&sig)), MOBID_ERR_SIGNATURE_INVALID);
    mobid_buf_free(&sig);
}

static void test_generate_sign(void **state)
{
    (void)state;
    mobid_key *k = NULL, *k384 = NULL;
    assert_int_equal(mobid_pkcs11_generate(MODULE, "unit", PIN, "ds", MOBID_CURVE_P256, &k),
                     MOBID_OK);
    assert_true(mobid_key_in_token(k));
    assert_true(mobid_key_has_private(k));
    sign_verify(k, MOBID_ALG_ES256);
    assert_int_equal(mobid_pkcs11_generate(MODULE, "unit", PIN, "p384", MOBID_CURVE_P384, &k384),
                     MOBID_OK);
    sign_verify(k384, MOBID_ALG_ES384);
    mobid_buf pem = { 0 }, d = { 0 };
    assert_int_equal(mobid_key_to_pem(k, true, &pem), MOBID_ERR_UNSUPPORTED);
    assert_int_equal(mobid_key_to_coords(k, NULL, NULL, &d), MOBID_ERR_UNSUPPORTED);
    assert_int_equal(mobid_key_to_pem(k, false, &pem), MOBID_OK); /* the public half is fine */
    mobid_buf_free(&pem);
    mobid_buf_free(&d);
    /* never replaces a key */
    mobid_key *again = NULL;
    assert_int_equal(mobid_pkcs11_generate(MODULE, "unit", PIN, "ds", MOBID_CURVE_P256, &again),
                     MOBID_ERR_IO);
    assert_null(again);
    mobid_key_free(k);
    mobid_key_free(k384);
}

/* A token key issues certificates: a self-signed root and a leaf under it. */
static void test_cert_issue(void **state)
{
    (void)state;
    mobid_key *root_key = NULL, *leaf_key = NULL;
    mobid_cert *root = NULL, *leaf = NULL;
    mobid_trust *t = NULL;
    mobid_time now = mobid_now();
    assert_int_equal(mobid_pkcs11_generate(MODULE, "unit", PIN, "root", MOBID_CURVE_P256,
                                           &root_key), MOBID_OK);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &leaf_key), MOBID_OK);
    mobid_cert_spec rs = { .subject_cn = "HSM root", .subject_c = "KR", .not_before = now - 60,
                           .not_after = now + 86400, .is_ca = true, .path_len = 0 };
    mobid_cert_spec ls = { .subject_cn = "HSM leaf", .subject_c = "KR", .not_before = now - 60,
                           .not_after = now + 3600, .purpose = MOBID_PURPOSE_MDOC_DS };
    assert_int_equal(mobid_cert_issue(&rs, root_key, root_key, NULL, &root), MOBID_OK);
    assert_int_equal(mobid_cert_issue(&ls, leaf_key, root_key, root, &leaf), MOBID_OK);
    assert_int_equal(mobid_trust_new(&t), MOBID_OK);
    assert_int_equal(mobid_trust_add(t, root), MOBID_OK);
    assert_int_equal(mobid_trust_verify_chain(t, &leaf, 1, now, MOBID_PURPOSE_MDOC_DS), MOBID_OK);
    mobid_trust_free(t);
    mobid_cert_free(root);
    mobid_cert_free(leaf);
    mobid_key_free(root_key);
    mobid_key_free(leaf_key);
}

static void test_uri(void **state)
{
    (void)state;
    mobid_key *gen = NULL, *k = NULL;
    mobid_buf uri = { 0 };
    assert_int_equal(mobid_pkcs11_generate(MODULE, "unit", PIN, "status signer",
                                           MOBID_CURVE_P256, &gen), MOBID_OK);
    assert_int_equal(mobid_pkcs11_uri_make(MODULE, "unit", "status signer", &uri), MOBID_OK);
    assert_int_equal(mobid_buf_append_byte(&uri, 0), MOBID_OK);
    assert_string_equal((char *)uri.ptr, "pkcs11:token=unit;object=status%20signer;type=private"
                                         "?module-path=/usr/lib/softhsm/libsofthsm2.so");
    assert_int_equal(mobid_key_from_pkcs11((char *)uri.ptr, NULL, PIN, &k), MOBID_OK);
    assert_true(mobid_key_public_eq(k, gen));
    sign_verify(k, MOBID_ALG_ES256);
    mobid_key_free(k);
    k = NULL;
    /* module from the caller when the URI has none */
    assert_int_equal(mobid_key_from_pkcs11("pkcs11:token=unit;object=status%20signer", MODULE,
                                           PIN, &k), MOBID_OK);
    assert_true(mobid_key_public_eq(k, gen));
    mobid_key_free(k);
    k = NULL;
    struct { const char *uri, *pin; mobid_err want; } bad[] = {
        { "pkcs11:token=unit;object=status%20signer", "0000", MOBID_ERR_PIN_WRONG },
        { "pkcs11:token=unit;object=status%20signer?pin-value=4711", PIN, MOBID_ERR_INVALID_ARG },
        { "pkcs11:token=other;object=status%20signer", PIN, MOBID_ERR_NOT_FOUND },
        { "pkcs11:token=unit;object=nothing", PIN, MOBID_ERR_NOT_FOUND },
        { "pkcs11:token=unit;object=status%20signer;type=public", PIN, MOBID_ERR_KEY_INVALID },
        { "pkcs11:token=unit", PIN, MOBID_ERR_INVALID_ARG },
        { "pkcs11:token=unit;object=bad%2", PIN, MOBID_ERR_MALFORMED },
        { "file:key.pem", PIN, MOBID_ERR_MALFORMED },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(mobid_key_from_pkcs11(bad[i].uri, MODULE, bad[i].pin, &k), bad[i].want);
        assert_null(k);
    }
    assert_int_equal(mobid_key_from_pkcs11("pkcs11:token=unit;object=x", "/nonexistent.so", PIN,
                                           &k), MOBID_ERR_IO);
    mobid_buf_free(&uri);
    mobid_key_free(gen);
}

static void *signer_thread(void *arg)
{
    mobid_key *k = arg;
    for (int i = 0; i < 50; i++) {
        mobid_buf sig = { 0 };
        mobid_view msg = mobid_view_str("threaded");
        if (mobid_sign(k, MOBID_ALG_ES256, msg, &sig) != MOBID_OK ||
            mobid_verify(k, MOBID_ALG_ES256, msg, mobid_buf_view(&sig)) != MOBID_OK) {
            mobid_buf_free(&sig);
            return (void *)1;
        }
        mobid_buf_free(&sig);
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    mobid_key *k = NULL;
    pthread_t th[4];
    assert_int_equal(mobid_pkcs11_generate(MODULE, "unit", PIN, "threads", MOBID_CURVE_P256, &k),
                     MOBID_OK);
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, signer_thread, k), 0);
    for (int i = 0; i < 4; i++) {
        void *r = NULL;
        pthread_join(th[i], &r);
        assert_null(r);
    }
    mobid_key_free(k);
}

int main(void)
{
    if (access(MODULE, R_OK) != 0 || system("command -v softhsm2-util >/dev/null") != 0) {
        print_message("SKIP: SoftHSM2 is not installed (scripts/deps installs softhsm2)\n");
        return TU_EXIT_SKIP;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generate_sign),
        cmocka_unit_test(test_cert_issue),
        cmocka_unit_test(test_uri),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, setup_token, teardown_token);
}
