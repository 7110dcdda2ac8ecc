/* src/store on PostgreSQL: named statements per connection. A text is prepared once per
 * connection and run again by name; the server's set stays bounded; statements the
 * server lost (DEALLOCATE, DISCARD, a result type changed by a migration) are prepared
 * again, at once outside a transaction and by the transaction's retry inside one; BEGIN
 * goes with a transaction's first statement; a deferred autocommit statement commits
 * with synchronous_commit off in the same round trip; a connection that broke is replaced by the pool with a fresh one. On SQLite each test
 * skips (its statement cache is tested in test_store.c). */
#include "store_fixture.h"

#include <string.h>
#include <unistd.h>

/* The connection's cache holds at most this many (src/store/store_pg.c). */
#define CACHE_MAX 32

static mobid_store *open_pg(void)
{
    mobid_store *s = NULL;
    assert_int_equal(mobid_store_open(g_url, &s), MOBID_OK);
    if (mobid_store_kind(s) != MOBID_STORE_POSTGRES) {
        mobid_store_close(s);
        return NULL;
    }
    return s;
}

static void exec_ok(mobid_store *s, const char *sql)
{
    if (mobid_store_exec(s, sql) != MOBID_OK)
        fail_msg("%s: %s", sql, mobid_store_errmsg(s));
}

/* SELECT name FROM t WHERE id = $1, or NULL when no row; the caller frees it. */
static char *name_of(mobid_store *s, int64_t id, mobid_err *err)
{
    mobid_store_stmt *st = NULL;
    bool row = false;
    char *name = NULL;
    *err = mobid_store_prepare(s, "SELECT name FROM pgst WHERE id = $1", &st);
    if (*err == MOBID_OK)
        *err = mobid_store_bind_int64(st, 1, id);
    if (*err == MOBID_OK)
        *err = mobid_store_step(st, &row);
    if (*err == MOBID_OK && row)
        name = mobid_store_col_strdup(st, 0);
    mobid_store_finalize(st);
    return name;
}

static void expect_name(mobid_store *s, int64_t id, const char *want)
{
    mobid_err err;
    char *got = name_of(s, id, &err);
    if (err != MOBID_OK)
        fail_msg("select: %s", mobid_store_errmsg(s));
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

/* How many statements of this session the server holds with exactly this text. */
static int64_t prepared(mobid_store *s, const char *text)
{
    mobid_store_stmt *st = NULL;
    bool row = false;
    int64_t n = -1;
    assert_int_equal(mobid_store_prepare(s, text ? "SELECT count(*) FROM pg_prepared_statements"
                                                   " WHERE statement = $1"
                                                 : "SELECT count(*) FROM pg_prepared_statements",
                                         &st),
                     MOBID_OK);
    if (text)
        assert_int_equal(mobid_store_bind_str(st, 1, text), MOBID_OK);
    assert_int_equal(mobid_store_step(st, &row), MOBID_OK);
    assert_true(row);
    n = mobid_store_col_int64(st, 0);
    mobid_store_finalize(st);
    return n;
}

static void make_table(mobid_store *s)
{
    exec_ok(s, "DROP TABLE IF EXISTS pgst;"
               "CREATE TABLE pgst (id BIGINT PRIMARY KEY, name TEXT, data BYTEA);"
               "INSERT INTO pgst VALUES (1, 'one', NULL), (2, 'two', NULL)");
}

/* Run many times, prepared once; a NULL where a value was bound needs no second
 * statement, a bytea where a NULL was needs one of its own (its type differs). */
static void test_prepared_once(void **state)
{
    mobid_store *s = open_pg();
    if (!s)
        skip();
    make_table(s);
    for (int i = 0; i < 5; i++)
        expect_name(s, 1 + i % 2, i % 2 ? "two" : "one");
    assert_int_equal(prepared(s, "SELECT name FROM pgst WHERE id = $1"), 1);

    static const char upd[] = "UPDATE pgst SET data = $2 WHERE id = $1";
    for (int i = 0; i < 4; i++) {
        mobid_store_stmt *st = NULL;
        bool row = true;
        assert_int_equal(mobid_store_prepare(s, upd, &st), MOBID_OK);
        assert_int_equal(mobid_store_bind_int64(st, 1, 1), MOBID_OK);
        if (i % 2)
            assert_int_equal(mobid_store_bind_blob(st, 2, mobid_view_make("\0\x01\xff", 3)),
                             MOBID_OK);
        else
            assert_int_equal(mobid_store_bind_null(st, 2), MOBID_OK);
        assert_int_equal(mobid_store_step(st, &row), MOBID_OK);
        assert_false(row);
        assert_int_equal(mobid_store_changes(st), 1);
        mobid_store_finalize(st);
    }
    assert_int_equal(prepared(s, upd), 2);
    bool found = false;
    int64_t len = 0;
    assert_int_equal(mobid_store_query_int64(s, "SELECT length(data) FROM pgst WHERE id = 1",
                                             &len, &found),
                     MOBID_OK);
    assert_true(found);
    assert_int_equal(len, 3);
    /* Another connection has statements of its own. */
    mobid_store *t = open_pg();
    assert_int_equal(prepared(t, "SELECT name FROM pgst WHERE id = $1"), 0);
    expect_name(t, 2, "two");
    assert_int_equal(prepared(t, "SELECT name FROM pgst WHERE id = $1"), 1);
    mobid_store_close(t);
    mobid_store_close(s);
}

/* More distinct texts than the cache holds: the least recently used are deallocated
 * on the server too, and any of them still runs when it comes back. */
static void test_bounded(void **state)
{
    mobid_store *s = open_pg();
    if (!s)
        skip();
    char sql[64];
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 3 * CACHE_MAX; i++) {
            int64_t v = -1;
            bool found = false;
            snprintf(sql, sizeof sql, "SELECT %d + 0 * length(CAST($1 AS TEXT))", i);
            mobid_store_stmt *st = NULL;
            bool row = false;
            assert_int_equal(mobid_store_prepare(s, sql, &st), MOBID_OK);
            assert_int_equal(mobid_store_bind_str(st, 1, "x"), MOBID_OK);
            assert_int_equal(mobid_store_step(st, &row), MOBID_OK);
            assert_true(row);
            v = mobid_store_col_int64(st, 0);
            found = row;
            mobid_store_finalize(st);
            assert_true(found);
            assert_int_equal(v, i);
        }
    int64_t held = prepared(s, NULL);
    assert_true(held >= 1 && held <= CACHE_MAX);
    mobid_store_close(s);
}

typedef struct gone_ctx {
    int attempts;
} gone_ctx;

/* The first attempt finds its statements gone mid-transaction. */
static mobid_err gone_tx(mobid_store *s, void *vctx)
{
    gone_ctx *g = vctx;
    mobid_err err = MOBID_OK;
    if (g->attempts++ == 0 && (err = mobid_store_exec(s, "DEALLOCATE ALL")))
        return err;
    char *name = name_of(s, 2, &err);
    if (err == MOBID_OK && (!name || strcmp(name, "two")))
        err = MOBID_SVC_ERR_STORE;
    free(name);
    return err;
}

/* Statements the server dropped or can no longer run as prepared. */
static void test_statements_gone(void **state)
{
    mobid_store *s = open_pg();
    if (!s)
        skip();
    make_table(s);
    expect_name(s, 1, "one");
    /* Outside a transaction: prepared again and run at once. */
    exec_ok(s, "DEALLOCATE ALL");
    expect_name(s, 1, "one");
    exec_ok(s, "DISCARD ALL");
    expect_name(s, 2, "two");
    assert_int_equal(prepared(s, "SELECT name FROM pgst WHERE id = $1"), 1);

    /* Inside one: the transaction is lost and reports a retry, which then works. */
    assert_int_equal(mobid_store_begin(s), MOBID_OK);
    exec_ok(s, "DEALLOCATE ALL");
    mobid_err err;
    char *name = name_of(s, 1, &err);
    assert_null(name);
    assert_int_equal(err, MOBID_SVC_ERR_STORE_RETRY);
    assert_int_equal(mobid_store_rollback(s), MOBID_OK);
    expect_name(s, 2, "two"); /* prepared again, so that the next loss is seen */
    /* Lost before the transaction's first statement, which carries the BEGIN. */
    exec_ok(s, "DEALLOCATE ALL");
    assert_int_equal(mobid_store_begin(s), MOBID_OK);
    name = name_of(s, 1, &err);
    assert_null(name);
    assert_int_equal(err, MOBID_SVC_ERR_STORE_RETRY);
    assert_int_equal(mobid_store_rollback(s), MOBID_OK);
    expect_name(s, 2, "two");
    gone_ctx g = { 0 };
    assert_int_equal(mobid_store_tx(s, 0, gone_tx, &g), MOBID_OK);
    assert_int_equal(g.attempts, 2);

    /* Another connection changes the table (a migration): a prepared SELECT * whose
     * columns changed is prepared again and shows the new column. */
    mobid_store_stmt *st = NULL;
    bool row = false;
    static const char star[] = "SELECT * FROM pgst WHERE id = $1";
    for (int round = 0; round < 2; round++) {
        if (round) {
            mobid_store *other = open_pg();
            exec_ok(other, "ALTER TABLE pgst ADD COLUMN extra TEXT DEFAULT 'new'");
            mobid_store_close(other);
        }
        assert_int_equal(mobid_store_prepare(s, star, &st), MOBID_OK);
        assert_int_equal(mobid_store_bind_int64(st, 1, 1), MOBID_OK);
        assert_int_equal(mobid_store_step(st, &row), MOBID_OK);
        assert_true(row);
        assert_int_equal(mobid_store_col_count(st), round ? 4 : 3);
        if (round)
            assert_true(mobid_view_eq_str(mobid_store_col_text(st, 3), "new"));
        mobid_store_finalize(st);
    }
    mobid_store_close(s);
}

static char *isolation(mobid_store *s)
{
    return store_text(s, "SELECT current_setting('transaction_isolation')");
}

static char *sync_setting(mobid_store *s)
{
    return store_text(s, "SELECT current_setting('synchronous_commit')");
}

/* BEGIN travels with the transaction's first statement: that statement already runs
 * inside it (SERIALIZABLE), whether it is a prepared statement or a plain exec, and
 * rolling back undoes it; a transaction that ran nothing commits as nothing. */
static void test_begin_with_first_statement(void **state)
{
    mobid_store *s = open_pg();
    if (!s)
        skip();
    make_table(s);
    char *level = isolation(s);
    assert_string_equal(level, "read committed");
    free(level);
    assert_int_equal(mobid_store_begin(s), MOBID_OK);
    level = isolation(s);
    assert_string_equal(level, "serializable");
    free(level);
    assert_int_equal(mobid_store_commit(s), MOBID_OK);

    for (int round = 0; round < 2; round++) {
        assert_int_equal(mobid_store_begin(s), MOBID_OK);
        if (round) /* the first statement a plain exec */
            exec_ok(s, "UPDATE pgst SET name = 'changed' WHERE id = 1");
        else
            assert_int_equal(store_write(s, "UPDATE pgst SET name = 'changed' WHERE id = $1",
                                         (const int64_t[]){ 1 }, 1),
                             MOBID_OK);
        expect_name(s, 1, "changed");
        assert_int_equal(mobid_store_rollback(s), MOBID_OK);
        expect_name(s, 1, "one");
    }
    assert_int_equal(mobid_store_begin(s), MOBID_OK);
    assert_int_equal(mobid_store_commit(s), MOBID_OK);
    assert_int_equal(mobid_store_begin(s), MOBID_OK);
    assert_int_equal(mobid_store_rollback(s), MOBID_OK);
    level = isolation(s);
    assert_string_equal(level, "read committed");
    free(level);
    mobid_store_close(s);
}

/* A deferred autocommit statement (mobid_store_defer_commit outside a transaction) runs
 * with synchronous_commit off in a transaction of its own, at the autocommit isolation;
 * its rows and its change count come back, another connection sees it committed, and a
 * failing one (a duplicate key) leaves the connection ready, with nothing written. */
static void test_deferred_autocommit(void **state)
{
    mobid_store *s = open_pg();
    if (!s)
        skip();
    make_table(s);
    assert_int_equal(mobid_store_defer_commit(s), MOBID_OK);
    char *v = sync_setting(s);
    assert_string_equal(v, "off");
    free(v);
    v = sync_setting(s); /* the deferral ended with its statement */
    assert_string_equal(v, "on");
    free(v);
    assert_int_equal(mobid_store_defer_commit(s), MOBID_OK);
    v = isolation(s);
    assert_string_equal(v, "read committed");
    free(v);

    mobid_store_stmt *st = NULL;
    bool row = false;
    assert_int_equal(mobid_store_defer_commit(s), MOBID_OK);
    assert_int_equal(mobid_store_prepare(s, "UPDATE pgst SET name = $2 WHERE id >= $1 RETURNING id",
                                         &st),
                     MOBID_OK);
    assert_int_equal(mobid_store_bind_int64(st, 1, 1), MOBID_OK);
    assert_int_equal(mobid_store_bind_str(st, 2, "deferred"), MOBID_OK);
    int rows = 0;
    while (mobid_store_step(st, &row) == MOBID_OK && row)
        rows++;
    assert_int_equal(rows, 2);
    assert_int_equal(mobid_store_changes(st), 2);
    mobid_store_finalize(st);
    mobid_store *other = open_pg();
    expect_name(other, 2, "deferred");

    assert_int_equal(mobid_store_defer_commit(s), MOBID_OK);
    assert_int_equal(store_write(s, "INSERT INTO pgst (id, name) VALUES ($1, 'dup')",
                                 (const int64_t[]){ 1 }, 1),
                     MOBID_SVC_ERR_STORE_CONFLICT);
    assert_false(mobid_store_in_tx(s));
    expect_name(s, 1, "deferred"); /* not in an aborted transaction */
    bool found = false;
    int64_t n = 0;
    assert_int_equal(mobid_store_query_int64(other, "SELECT count(*) FROM pgst", &n, &found),
                     MOBID_OK);
    assert_int_equal(n, 2);

    /* The setting goes as a statement prepared once per connection, not as BEGIN,
     * SET LOCAL and COMMIT parsed with every deferred statement. */
    assert_int_equal(mobid_store_query_int64(s, "SELECT count(*) FROM pg_prepared_statements"
                                                " WHERE statement LIKE '%set_config(''synchronous_commit''%'",
                                             &n, NULL),
                     MOBID_OK);
    assert_int_equal(n, 1);

    /* Its statement lost on the server: prepared again and run, still deferred. */
    exec_ok(s, "DEALLOCATE ALL");
    assert_int_equal(mobid_store_defer_commit(s), MOBID_OK);
    v = sync_setting(s);
    assert_string_equal(v, "off");
    free(v);
    mobid_store_close(other);
    mobid_store_close(s);
}

/* A connection the server ended: its statement fails, the pool drops it, and the next
 * connection prepares its own statements. */
static void test_connection_lost(void **state)
{
    mobid_store *probe = open_pg();
    if (!probe)
        skip();
    make_table(probe);
    mobid_store_pool *p = NULL;
    mobid_store *s = NULL;
    assert_int_equal(mobid_store_pool_new(g_url, 1, &p), MOBID_OK);
    assert_int_equal(mobid_store_pool_acquire(p, &s), MOBID_OK);
    expect_name(s, 1, "one");
    int64_t pid = 0;
    bool found = false;
    assert_int_equal(mobid_store_query_int64(s, "SELECT pg_backend_pid()", &pid, &found), MOBID_OK);
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%lld)", (long long)pid);
    exec_ok(probe, sql);
    /* The signal is handled asynchronously: wait until the backend is gone. */
    snprintf(sql, sizeof sql, "SELECT count(*) FROM pg_stat_activity WHERE pid = %lld",
             (long long)pid);
    int64_t alive = 1;
    for (int i = 0; i < 1000 && alive; i++) {
        assert_int_equal(mobid_store_query_int64(probe, sql, &alive, &found), MOBID_OK);
        if (alive)
            usleep(10000);
    }
    assert_int_equal(alive, 0);
    mobid_err err;
    char *name = name_of(s, 1, &err);
    assert_null(name);
    assert_int_equal(err, MOBID_SVC_ERR_STORE);
    mobid_store_pool_release(p, s);
    assert_int_equal(mobid_store_pool_acquire(p, &s), MOBID_OK);
    expect_name(s, 2, "two");
    int64_t again = 0;
    assert_int_equal(mobid_store_query_int64(s, "SELECT pg_backend_pid()", &again, &found),
                     MOBID_OK);
    assert_true(again != pid);
    mobid_store_pool_release(p, s);
    mobid_store_pool_free(p);
    mobid_store_close(probe);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prepared_once),
        cmocka_unit_test(test_bounded),
        cmocka_unit_test(test_statements_gone),
        cmocka_unit_test(test_begin_with_first_statement),
        cmocka_unit_test(test_deferred_autocommit),
        cmocka_unit_test(test_connection_lost),
    };
    return STORE_RUN_GROUP("pg_statements", tests, true);
}
