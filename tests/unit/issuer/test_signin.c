/*
 * The sign-in guard (src/services/issuer/signin.c) on SQLite and, when MOBID_PG_URL is
 * set, PostgreSQL: simultaneous attempts never check more passwords than the lock
 * allows and never fail with a store conflict; a locked account and source refuses
 * the right password there but not from the account's usual source; failures are
 * audited; the password-hashing cap refuses beyond its slots.
 */
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mobid/crypto.h>
#include "services/issuer/office.h"

#define PW "correct horse battery"
#define THREADS 8
#define TRIES 5

static const char *g_url;
static issuer_ctx *g_ctx;
static mobid_store *g_s;

static int setup(void **state)
{
    char id[23], day[11];
    char detail[MOBID_SVC_DETAIL_MAX] = "";
    json_t *offices;
    size_t n;

    (void)state;
    g_ctx = calloc(1, sizeof *g_ctx);
    assert_non_null(g_ctx);
    pthread_mutex_init(&g_ctx->lock, NULL);
    assert_int_equal(mobid_random(g_ctx->data_key, 32), MOBID_OK);
    assert_int_equal(mobid_random(g_ctx->lookup_key, 32), MOBID_OK);
    g_ctx->cfg.raw = json_pack("{s:{s:i, s:i, s:i, s:i, s:i, s:i}}", "console",
                               "signin_lock_after", 5, "signin_source_lock_after", 100,
                               "signin_lock_s", 600, "signin_slow_after", 3,
                               "signin_max_delay_s", 60, "max_password_hashes", 64);
    assert_int_equal(mobid_store_pool_new(g_url, THREADS + 1, &g_ctx->pool), MOBID_OK);
    assert_int_equal(mobid_store_open(g_url, &g_s), MOBID_OK);
    assert_int_equal(issuer_schema_migrate(g_s), MOBID_OK);
    assert_int_equal(mobid_store_exec(g_s, "DELETE FROM issuer_signin_guard"), MOBID_OK);
    assert_int_equal(mobid_date_format(mobid_now() / 86400 - 2, day), MOBID_OK);
    offices = json_pack("[{s:s, s:s, s:s, s:s, s:s, s:s, s:i}]", "id", "los-angeles", "name",
                        "LA", "country", "US", "city", "Los Angeles", "tz",
                        "America/Los_Angeles", "accepts_from", day, "wave", 1);
    assert_int_equal(issuer_offices_put(g_ctx, g_s, NULL, offices, &n,
                                        detail, sizeof detail), MOBID_OK);
    json_decref(offices);
    for (int i = 0; i < 3; i++) {
        const char *names[] = { "si.race", "si.desk", "si.audit" };
        mobid_err e = issuer_officer_create(g_ctx, g_s, NULL, names[i], names[i], "los-angeles",
                                            "officer", PW, id, detail, sizeof detail);
        assert_true(e == MOBID_OK || e == MOBID_SVC_ERR_STORE_CONFLICT); /* PG keeps rows */
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mobid_store_close(g_s);
    mobid_store_pool_free(g_ctx->pool);
    json_decref(g_ctx->cfg.raw);
    pthread_mutex_destroy(&g_ctx->lock);
    free(g_ctx);
    return 0;
}

static void set(const char *key, int v)
{
    json_object_set_new(json_object_get(g_ctx->cfg.raw, "console"), key, json_integer(v));
}

static mobid_err attempt(mobid_store *s, const char *user, const char *pw, const char *src,
                         int64_t *retry)
{
    issuer_signin in = { user, pw, src, "api", 0, NULL, NULL, "" };
    char token[ISSUER_TOKEN_LEN + 1];
    issuer_officer who;
    mobid_err err = issuer_token_create(g_ctx, s, &in, "t", 60, token, &who);
    if (retry)
        *retry = in.retry_after;
    return err;
}

typedef struct race_arg {
    int wrong, throttled, other;
    mobid_err last;
} race_arg;

static void *race_thread(void *p)
{
    race_arg *r = p;
    mobid_store *s = NULL;

    if (mobid_store_pool_acquire(g_ctx->pool, &s) != MOBID_OK) {
        r->other = TRIES;
        return NULL;
    }
    for (int i = 0; i < TRIES; i++) {
        mobid_err e = attempt(s, "si.race", "wrong password!!", "198.51.100.7", NULL);
        if (e == MOBID_ERR_UNAUTHENTICATED)
            r->wrong++;
        else if (e == MOBID_SVC_ERR_SIGNIN_THROTTLED)
            r->throttled++;
        else
            r->other++, r->last = e;
    }
    mobid_store_pool_release(g_ctx->pool, s);
    return NULL;
}

/* 40 simultaneous wrong passwords: at most signin_lock_after are checked, none fails
 * with a store error, and the right password is refused afterwards from that source. */
static void test_race(void **state)
{
    pthread_t th[THREADS];
    race_arg r[THREADS];
    int wrong = 0, throttled = 0, other = 0;
    int64_t retry = 0;

    (void)state;
    /* the lock alone: with the account delay (1 s after the third failure) the race could
     * stop at three checks, and on a slow machine that delay is over before the last
     * attempt below */
    set("signin_slow_after", 100);
    memset(r, 0, sizeof r);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, race_thread, &r[i]), 0);
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        wrong += r[i].wrong;
        throttled += r[i].throttled;
        other += r[i].other;
        if (r[i].other)
            printf("race: thread %d failed with %s\n", i, mobid_svc_err_name(r[i].last));
    }
    printf("race: %d wrong passwords checked, %d throttled, %d other\n", wrong, throttled, other);
    assert_int_equal(other, 0);
    assert_true(wrong <= 5);
    assert_int_equal(wrong + throttled, THREADS * TRIES);
    assert_int_equal(attempt(g_s, "si.race", PW, "198.51.100.7", &retry),
                     MOBID_SVC_ERR_SIGNIN_THROTTLED);
    assert_true(retry > 0 && retry <= 600);
    set("signin_slow_after", 3);
}

/* A locked account/source pair keeps a guesser out but not the officer at the desk the
 * account signed in from before; a new source waits for the account's delay. */
static void test_no_lockout_dos(void **state)
{
    int64_t retry = 0;

    (void)state;
    set("signin_slow_after", 100);
    assert_int_equal(attempt(g_s, "si.desk", PW, "203.0.113.10", NULL), MOBID_OK);
    for (int i = 0; i < 5; i++)
        assert_int_equal(attempt(g_s, "si.desk", "guess guess guess", "198.51.100.99", NULL),
                         MOBID_ERR_UNAUTHENTICATED);
    assert_int_equal(attempt(g_s, "si.desk", PW, "198.51.100.99", &retry),
                     MOBID_SVC_ERR_SIGNIN_THROTTLED);
    assert_true(retry > 60);                      /* the pair is locked */
    assert_int_equal(attempt(g_s, "si.desk", PW, "203.0.113.10", NULL), MOBID_OK);
    for (int i = 0; i < 6; i++) /* spread over sources: no pair reaches its lock */
        assert_int_equal(attempt(g_s, "si.desk", "guess guess guess",
                                 i % 2 ? "198.51.100.98" : "198.51.100.97", NULL),
                         MOBID_ERR_UNAUTHENTICATED);
    /* six failures past a threshold of 0: the delay is at its cap (60 s), far longer
     * than this test takes, so the check below does not depend on the machine's speed */
    set("signin_slow_after", 0);
    /* a source the account never used: the right password waits its turn, no lock */
    assert_int_equal(attempt(g_s, "si.desk", PW, "192.0.2.200", &retry),
                     MOBID_SVC_ERR_SIGNIN_THROTTLED);
    assert_true(retry >= 1 && retry <= 60);
    /* the desk it signed in from is not slowed */
    assert_int_equal(attempt(g_s, "si.desk", PW, "203.0.113.10", NULL), MOBID_OK);
    set("signin_slow_after", 3);
}

/* Every failure and refusal is in the audit log; the typed name is not. */
static void test_failures_audited(void **state)
{
    int64_t before = 0, after = 0, leaked = 0;

    (void)state;
    assert_int_equal(mobid_store_query_int64(g_s, "SELECT count(*) FROM issuer_audit WHERE action"
                                                  " IN ('signin.fail', 'signin.throttled')",
                                             &before, NULL),
                     MOBID_OK);
    assert_int_equal(attempt(g_s, "si.audit", "wrong password!!", "192.0.2.50", NULL),
                     MOBID_ERR_UNAUTHENTICATED);
    assert_int_equal(attempt(g_s, "my secret password", "x", "192.0.2.50", NULL),
                     MOBID_ERR_UNAUTHENTICATED);
    assert_int_equal(mobid_store_query_int64(g_s, "SELECT count(*) FROM issuer_audit WHERE action"
                                                  " IN ('signin.fail', 'signin.throttled')",
                                             &after, NULL),
                     MOBID_OK);
    assert_int_equal(after, before + 2);
    assert_int_equal(mobid_store_query_int64(g_s, "SELECT count(*) FROM issuer_audit WHERE"
                                                  " subject LIKE '%secret%' OR detail LIKE"
                                                  " '%secret%'", &leaked, NULL),
                     MOBID_OK);
    assert_int_equal(leaked, 0);
}

/* Beyond max_password_hashes no password is hashed: 503 BUSY, nothing counted. */
static void test_hash_cap(void **state)
{
    (void)state;
    assert_true(issuer_hash_slot_take(g_ctx, 2));
    assert_true(issuer_hash_slot_take(g_ctx, 2));
    assert_false(issuer_hash_slot_take(g_ctx, 2));
    set("max_password_hashes", 2);
    for (int i = 0; i < 8; i++)
        assert_int_equal(attempt(g_s, "si.audit", "wrong password!!", "192.0.2.51", NULL),
                         MOBID_SVC_ERR_BUSY);
    issuer_hash_slot_give(g_ctx);
    assert_int_equal(attempt(g_s, "si.audit", PW, "192.0.2.51", NULL), MOBID_OK);
    issuer_hash_slot_give(g_ctx);
    set("max_password_hashes", 64);
}

int main(void)
{
    char path[] = "/tmp/mobid-signin-XXXXXX";
    char url[300], cmd[400];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_race),
        cmocka_unit_test(test_no_lockout_dos),
        cmocka_unit_test(test_failures_audited),
        cmocka_unit_test(test_hash_cap),
    };
    int failed;
    const char *pg = getenv("MOBID_PG_URL");

    assert_non_null(mkdtemp(path));
    snprintf(url, sizeof url, "sqlite:%s/issuer.db", path);
    g_url = url;
    failed = cmocka_run_group_tests_name("sign-in guard on SQLite", tests, setup, teardown);
    if (pg && *pg) {
        g_url = pg;
        printf("== sign-in guard on PostgreSQL\n");
        failed += cmocka_run_group_tests_name("sign-in guard on PostgreSQL", tests, setup,
                                              teardown);
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    if (system(cmd) != 0)
        failed++;
    return failed;
}
