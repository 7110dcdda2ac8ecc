/* lib/crypto shared across threads: one key verified by many threads (each
 * with its own reusable scratch), one trust set whose validation cache is hit
 * and filled concurrently, and a certificate whose public key is built lazily
 * by whichever thread asks first. */
#include "testutil.h"

#include <mobid/crypto.h>

#include <pthread.h>

#define THREADS 4
#define ROUNDS 150

static const mobid_time T0 = 1767225600;

typedef struct shared {
    mobid_key *key;
    mobid_buf sig;
    mobid_trust *trust;
    mobid_cert *ds[3];
    int failures;
    pthread_mutex_t lock;
} shared;

static void *worker(void *arg)
{
    shared *s = arg;
    int bad = 0;
    mobid_view msg = mobid_view_str("threads");
    for (int i = 0; i < ROUNDS; i++) {
        if (mobid_verify(s->key, MOBID_ALG_ES256, msg, mobid_buf_view(&s->sig)) != MOBID_OK)
            bad++;
        mobid_cert *c = s->ds[i % 3];
        if (mobid_trust_verify_chain(s->trust, &c, 1, T0 + 86400 + i, MOBID_PURPOSE_MDOC_DS) !=
            MOBID_OK)
            bad++;
        mobid_key *k = NULL;
        if (mobid_cert_public_key(c, &k) != MOBID_OK || mobid_key_curve(k) != MOBID_CURVE_P256)
            bad++;
        mobid_key_free(k);
        /* A wrong signature stays wrong under contention. */
        if (mobid_verify(s->key, MOBID_ALG_ES256, mobid_view_str("other"),
                         mobid_buf_view(&s->sig)) != MOBID_ERR_SIGNATURE_INVALID)
            bad++;
    }
    pthread_mutex_lock(&s->lock);
    s->failures += bad;
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

static void test_concurrent_verification(void **state)
{
    (void)state;
    shared s = { .failures = 0 };
    pthread_mutex_init(&s.lock, NULL);
    mobid_buf_init(&s.sig, 0);
    mobid_key *root_key = NULL;
    mobid_cert *root = NULL;
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &s.key), MOBID_OK);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &root_key), MOBID_OK);
    assert_int_equal(mobid_sign(s.key, MOBID_ALG_ES256, mobid_view_str("threads"), &s.sig),
                     MOBID_OK);
    mobid_cert_spec rs = { .subject_cn = "root", .not_before = T0, .not_after = T0 + 86400 * 10,
                           .is_ca = true, .path_len = 0 };
    mobid_cert_spec ds = { .subject_cn = "ds", .not_before = T0, .not_after = T0 + 86400 * 5,
                           .purpose = MOBID_PURPOSE_MDOC_DS };
    assert_int_equal(mobid_cert_issue(&rs, root_key, root_key, NULL, &root), MOBID_OK);
    for (int i = 0; i < 3; i++)
        assert_int_equal(mobid_cert_issue(&ds, s.key, root_key, root, &s.ds[i]), MOBID_OK);
    assert_int_equal(mobid_trust_new(&s.trust), MOBID_OK);
    assert_int_equal(mobid_trust_add(s.trust, root), MOBID_OK);
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, worker, &s), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(s.failures, 0);
    unsigned long hits = 0, builds = 0;
    mobid_trust_cache_stats(s.trust, &hits, &builds);
    assert_int_equal(hits + builds, THREADS * ROUNDS);
    assert_true(builds >= 3 && builds < THREADS * ROUNDS / 2); /* the cache did its job */
    mobid_trust_free(s.trust);
    for (int i = 0; i < 3; i++)
        mobid_cert_free(s.ds[i]);
    mobid_cert_free(root);
    mobid_key_free(root_key);
    mobid_key_free(s.key);
    mobid_buf_free(&s.sig);
    pthread_mutex_destroy(&s.lock);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_concurrent_verification),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
