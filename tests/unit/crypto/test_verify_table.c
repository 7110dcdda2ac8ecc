/* lib/crypto: a key object that keeps verifying gets its own table of multiples at
 * its 16th ECDSA verification; with it every answer is the one a key without it
 * gives: good signatures pass, a changed message, r, s, a signature by another key
 * and an all-zero signature fail, on P-256, P-384 and P-521, through mobid_verify and
 * mobid_verify_digest, and from several threads at the moment the table is built.
 * A key kept from its table (mobid_key_no_table) never gets one. */
#include "testutil.h"

#include <mobid/crypto.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

static const mobid_alg algs[] = { MOBID_ALG_ES256, MOBID_ALG_ES384, MOBID_ALG_ES512 };
static const mobid_curve curves[] = { MOBID_CURVE_P256, MOBID_CURVE_P384, MOBID_CURVE_P521 };

/* The public half of k as a new key object (no table, no count). */
static mobid_key *public_of(const mobid_key *k)
{
    mobid_buf x, y;
    mobid_key *pub = NULL;
    mobid_buf_init(&x, 0);
    mobid_buf_init(&y, 0);
    assert_int_equal(mobid_key_to_coords(k, &x, &y, NULL), MOBID_OK);
    assert_int_equal(mobid_key_from_coords(mobid_key_curve(k), mobid_buf_view(&x),
                                           mobid_buf_view(&y), mobid_view_make(NULL, 0), &pub),
                     MOBID_OK);
    mobid_buf_free(&x);
    mobid_buf_free(&y);
    return pub;
}

static void sign(const mobid_key *k, mobid_alg alg, const char *msg, mobid_buf *sig)
{
    mobid_buf_init(sig, 0);
    assert_int_equal(mobid_sign(k, alg, mobid_view_str(msg), sig), MOBID_OK);
}

/* The table's answer equals a fresh key's for msg and sig. */
static void same_answer(const mobid_key *tab, const mobid_key *fresh, mobid_alg alg,
                        const char *msg, mobid_view sig, mobid_err want)
{
    assert_int_equal(mobid_verify(tab, alg, mobid_view_str(msg), sig), want);
    assert_int_equal(mobid_verify(fresh, alg, mobid_view_str(msg), sig), want);
}

static void on_curve(size_t c)
{
    mobid_key *k = NULL, *other = NULL, *tab, *fresh;
    mobid_alg alg = algs[c];
    mobid_buf sig, bad;
    assert_int_equal(mobid_key_generate(curves[c], &k), MOBID_OK);
    assert_int_equal(mobid_key_generate(curves[c], &other), MOBID_OK);
    tab = public_of(k);
    sign(k, alg, "warm-up", &sig);
    for (int i = 0; i < 15; i++) {
        assert_false(mobid_key_has_table(tab));
        assert_int_equal(mobid_verify(tab, alg, mobid_view_str("warm-up"), mobid_buf_view(&sig)),
                         MOBID_OK);
    }
    assert_int_equal(mobid_verify(tab, alg, mobid_view_str("warm-up"), mobid_buf_view(&sig)),
                     MOBID_OK);
    assert_true(mobid_key_has_table(tab));
    mobid_buf_free(&sig);
    for (int i = 0; i < 40; i++) {
        char msg[32];
        snprintf(msg, sizeof msg, "message %d", i);
        fresh = public_of(k);
        sign(k, alg, msg, &sig);
        same_answer(tab, fresh, alg, msg, mobid_buf_view(&sig), MOBID_OK);
        same_answer(tab, fresh, alg, "another message", mobid_buf_view(&sig),
                    MOBID_ERR_SIGNATURE_INVALID);
        mobid_buf_init(&bad, 0);
        mobid_buf_append(&bad, sig.ptr, sig.len);
        bad.ptr[i % (bad.len / 2)] ^= 0x01; /* r */
        same_answer(tab, fresh, alg, msg, mobid_buf_view(&bad), MOBID_ERR_SIGNATURE_INVALID);
        bad.ptr[i % (bad.len / 2)] ^= 0x01;
        bad.ptr[bad.len / 2 + i % (bad.len / 2)] ^= 0x80; /* s */
        same_answer(tab, fresh, alg, msg, mobid_buf_view(&bad), MOBID_ERR_SIGNATURE_INVALID);
        memset(bad.ptr, 0, bad.len);
        same_answer(tab, fresh, alg, msg, mobid_buf_view(&bad), MOBID_ERR_SIGNATURE_INVALID);
        mobid_buf_free(&bad);
        mobid_buf_free(&sig);
        sign(other, alg, msg, &sig); /* another key's signature */
        same_answer(tab, fresh, alg, msg, mobid_buf_view(&sig), MOBID_ERR_SIGNATURE_INVALID);
        assert_false(mobid_key_has_table(fresh));
        mobid_buf_free(&sig);
        mobid_key_free(fresh);
    }
    mobid_key_free(tab);
    mobid_key_free(k);
    mobid_key_free(other);
}

static void test_table_answers(void **state)
{
    (void)state;
    for (size_t c = 0; c < 3; c++)
        on_curve(c);
}

/* mobid_verify_digest takes the same path. */
static void test_table_digest(void **state)
{
    (void)state;
    mobid_key *k = NULL, *tab;
    uint8_t dg[MOBID_HASH_MAX];
    mobid_buf sig;
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &k), MOBID_OK);
    tab = public_of(k);
    sign(k, MOBID_ALG_ES256, "digest me", &sig);
    assert_int_equal(mobid_hash(MOBID_HASH_SHA256, mobid_view_str("digest me"), dg), MOBID_OK);
    for (int i = 0; i < 20; i++)
        assert_int_equal(mobid_verify_digest(tab, MOBID_ALG_ES256, mobid_view_make(dg, 32),
                                             mobid_buf_view(&sig)),
                         MOBID_OK);
    assert_true(mobid_key_has_table(tab));
    mobid_key *plain = public_of(k); /* kept from its table: stays without one */
    mobid_key_no_table(plain);
    for (int i = 0; i < 20; i++)
        assert_int_equal(mobid_verify_digest(plain, MOBID_ALG_ES256, mobid_view_make(dg, 32),
                                             mobid_buf_view(&sig)),
                         MOBID_OK);
    assert_false(mobid_key_has_table(plain));
    mobid_key_free(plain);
    dg[0] ^= 1;
    assert_int_equal(mobid_verify_digest(tab, MOBID_ALG_ES256, mobid_view_make(dg, 32),
                                         mobid_buf_view(&sig)),
                     MOBID_ERR_SIGNATURE_INVALID);
    mobid_buf_free(&sig);
    mobid_key_free(tab);
    mobid_key_free(k);
}

typedef struct racer {
    const mobid_key *k;
    mobid_view good, bad;
    int wrong;
} racer;

static void *race(void *arg)
{
    racer *r = arg;
    for (int i = 0; i < 12; i++) {
        r->wrong += mobid_verify(r->k, MOBID_ALG_ES256, mobid_view_str("race"), r->good) != MOBID_OK;
        r->wrong += mobid_verify(r->k, MOBID_ALG_ES256, mobid_view_str("race"), r->bad) !=
                    MOBID_ERR_SIGNATURE_INVALID;
    }
    return NULL;
}

/* Four threads cross the count together: one table is kept, every answer is right. */
static void test_table_threads(void **state)
{
    (void)state;
    mobid_key *k = NULL, *tab;
    mobid_buf sig, bad;
    pthread_t th[4];
    racer r[4];
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &k), MOBID_OK);
    tab = public_of(k);
    sign(k, MOBID_ALG_ES256, "race", &sig);
    mobid_buf_init(&bad, 0);
    mobid_buf_append(&bad, sig.ptr, sig.len);
    bad.ptr[40] ^= 0x04;
    for (int i = 0; i < 4; i++) {
        r[i] = (racer){ tab, mobid_buf_view(&sig), mobid_buf_view(&bad), 0 };
        assert_int_equal(pthread_create(&th[i], NULL, race, &r[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(r[i].wrong, 0);
    }
    assert_true(mobid_key_has_table(tab));
    mobid_buf_free(&sig);
    mobid_buf_free(&bad);
    mobid_key_free(tab);
    mobid_key_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_answers),
        cmocka_unit_test(test_table_digest),
        cmocka_unit_test(test_table_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
