/* src/store: deferred durability (mobid_store_defer_commit). A deferred commit is
 * visible to another connection at once; on SQLite it waits for no sync, the next
 * durable commit syncs once and covers it, and the deferral ends with its statement
 * or transaction; on PostgreSQL it runs with synchronous_commit off and
 * the next synchronous commit flushes the WAL past it. Runs on SQLite always and on
 * PostgreSQL when MOBID_PG_URL is set (tests/cli/store_pg.sh). */
#include "store_fixture.h"
#include "store/group_sync.h"

#include <stdio.h>
#include <string.h>

static mobid_store *open_store(void)
{
    mobid_store *s = NULL;
    assert_int_equal(mobid_store_open(g_url, &s), MOBID_OK);
    return s;
}

static bool on_pg(const mobid_store *s)
{
    return mobid_store_kind(s) == MOBID_STORE_POSTGRES;
}

static int64_t count_rows(mobid_store *s)
{
    int64_t n = -1;
    assert_int_equal(mobid_store_query_int64(s, "SELECT count(*) FROM dc_rows", &n, NULL), MOBID_OK);
    return n;
}

static mobid_err insert_row(mobid_store *s, void *ctx)
{
    return store_write(s, "INSERT INTO dc_rows (id) VALUES ($1)", ctx, 1);
}

static mobid_err insert_deferred(mobid_store *s, void *ctx)
{
    mobid_err err = mobid_store_defer_commit(s);
    return err ? err : insert_row(s, ctx);
}

/* SQLite: the file's group (the connections' shared syncs); NULL on PostgreSQL. */
static group_sync *file_group(const mobid_store *s)
{
    char path[PATH_MAX + 16];
    if (on_pg(s))
        return NULL;
    snprintf(path, sizeof path, "%s/test.db", g_dir);
    return group_sync_get(path);
}

typedef struct counts {
    uint64_t commits, syncs, deferred;
} counts;

static counts read_counts(group_sync *g)
{
    counts c = { 0 };
    if (g) {
        group_sync_stats(g, &c.commits, &c.syncs);
        c.deferred = group_sync_deferred_count(g);
    }
    return c;
}

/* On SQLite: since `before`, this many commits waited, syncs ran, commits deferred. */
static void expect_counts(group_sync *g, counts before, uint64_t waited, uint64_t syncs,
                          uint64_t deferred)
{
    if (!g)
        return;
    counts now = read_counts(g);
    assert_int_equal(now.commits - before.commits, waited);
    assert_int_equal(now.syncs - before.syncs, syncs);
    assert_int_equal(now.deferred - before.deferred, deferred);
}

static void reset_table(mobid_store *s)
{
    assert_int_equal(mobid_store_exec(s, "DROP TABLE IF EXISTS dc_rows;"
                                         "CREATE TABLE dc_rows (id BIGINT PRIMARY KEY)"),
                     MOBID_OK);
}

/* Autocommit statements and transactions, on one connection, read on another. */
static void test_deferred_visible_and_not_waited_for(void **state)
{
    mobid_store *a = open_store(), *b = open_store();
    reset_table(a);
    group_sync *g = file_group(a);
    counts c0 = read_counts(g);

    int64_t id = 1;
    assert_int_equal(mobid_store_defer_commit(a), MOBID_OK);
    assert_int_equal(insert_row(a, &id), MOBID_OK);
    assert_int_equal(count_rows(b), 1);
    id = 2;
    assert_int_equal(mobid_store_tx(a, 0, insert_deferred, &id), MOBID_OK);
    assert_int_equal(count_rows(b), 2);
    expect_counts(g, c0, 0, 0, 2); /* two commits, no sync waited for */

    /* The next durable commit, on the other connection, syncs once: the WAL up to it,
     * so the two deferred commits written before it with it. */
    id = 3;
    assert_int_equal(insert_row(b, &id), MOBID_OK);
    expect_counts(g, c0, 1, 1, 2);
    assert_int_equal(count_rows(a), 3);
    group_sync_put(g);
    mobid_store_close(b);
    mobid_store_close(a);
}

/* The deferral ends with its statement, its transaction, a rollback, and is not
 * carried into a transaction begun after it. */
static void test_deferral_scope(void **state)
{
    mobid_store *s = open_store();
    reset_table(s);
    group_sync *g = file_group(s);
    counts c0 = read_counts(g);
    int64_t id = 10;

    assert_int_equal(mobid_store_defer_commit(s), MOBID_OK);
    assert_int_equal(insert_row(s, &id), MOBID_OK); /* deferred */
    id++;
    assert_int_equal(insert_row(s, &id), MOBID_OK); /* durable again */
    expect_counts(g, c0, 1, 1, 1);

    assert_int_equal(mobid_store_defer_commit(s), MOBID_OK); /* before BEGIN: dropped */
    id++;
    assert_int_equal(mobid_store_tx(s, 0, insert_row, &id), MOBID_OK);
    expect_counts(g, c0, 2, 2, 1);

    assert_int_equal(mobid_store_begin(s), MOBID_OK);
    assert_int_equal(mobid_store_defer_commit(s), MOBID_OK);
    id++;
    assert_int_equal(insert_row(s, &id), MOBID_OK);
    assert_int_equal(mobid_store_rollback(s), MOBID_OK); /* ends it, nothing commits */
    id++;
    assert_int_equal(insert_row(s, &id), MOBID_OK);
    expect_counts(g, c0, 3, 3, 1);
    assert_int_equal(count_rows(s), 4);
    assert_int_equal(mobid_store_defer_commit(NULL), MOBID_ERR_INVALID_ARG);
    group_sync_put(g);
    mobid_store_close(s);
}

/* PostgreSQL: a deferred transaction or autocommit statement commits with
 * synchronous_commit off, the setting ends with it, and a synchronous commit after it
 * flushes the WAL past it. */
static void test_pg_synchronous_commit(void **state)
{
    mobid_store *s = open_store();
    if (!on_pg(s)) {
        mobid_store_close(s);
        skip();
    }
    reset_table(s);
    int64_t id = 20;
    assert_int_equal(mobid_store_begin(s), MOBID_OK);
    char *before = store_text(s, "SHOW synchronous_commit");
    assert_int_equal(mobid_store_defer_commit(s), MOBID_OK);
    char *during = store_text(s, "SHOW synchronous_commit");
    assert_int_equal(insert_row(s, &id), MOBID_OK);
    assert_int_equal(mobid_store_commit(s), MOBID_OK);
    char *after = store_text(s, "SHOW synchronous_commit");
    char *written = store_text(s, "SELECT pg_current_wal_insert_lsn()::text");
    assert_string_equal(before, "on");
    assert_string_equal(during, "off");
    assert_string_equal(after, "on");

    /* An autocommit statement: the setting goes with it, in its own transaction. */
    assert_int_equal(mobid_store_defer_commit(s), MOBID_OK);
    char *autocommit = store_text(s, "SELECT current_setting('synchronous_commit')");
    char *next = store_text(s, "SELECT current_setting('synchronous_commit')");
    assert_string_equal(autocommit, "off");
    assert_string_equal(next, "on");
    free(autocommit);
    free(next);
    id++;
    assert_int_equal(mobid_store_defer_commit(s), MOBID_OK);
    assert_int_equal(insert_row(s, &id), MOBID_OK);
    free(written);
    written = store_text(s, "SELECT pg_current_wal_insert_lsn()::text");

    id++;
    assert_int_equal(insert_row(s, &id), MOBID_OK); /* synchronous */
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT CASE WHEN pg_current_wal_flush_lsn() >= '%s'::pg_lsn"
                              " THEN 1 ELSE 0 END", written);
    int64_t covered = 0;
    assert_int_equal(mobid_store_query_int64(s, sql, &covered, NULL), MOBID_OK);
    assert_int_equal(covered, 1);
    free(before);
    free(during);
    free(after);
    free(written);
    mobid_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deferred_visible_and_not_waited_for),
        cmocka_unit_test(test_deferral_scope),
        cmocka_unit_test(test_pg_synchronous_commit),
    };
    return STORE_RUN_GROUP("deferred commits", tests, true);
}
