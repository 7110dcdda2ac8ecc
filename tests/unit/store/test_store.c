/* src/store: the same suite on SQLite (always) and PostgreSQL (when MOBID_PG_URL is set):
 * CRUD, types, conflicts, transactions and rollback, retry, migrations (idempotent,
 * failing, racing), unique allocation and single-use consumption from two threads, pool. */
#include "store_fixture.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


static mobid_store *open_store(void)
{
    mobid_store *s = NULL;
    assert_int_equal(mobid_store_open(g_url, &s), MOBID_OK);
    return s;
}

static const char *blob_type(const mobid_store *s)
{
    return mobid_store_kind(s) == MOBID_STORE_POSTGRES ? "BYTEA" : "BLOB";
}

static void exec_ok(mobid_store *s, const char *sql)
{
    mobid_err err = mobid_store_exec(s, sql);
    if (err != MOBID_OK)
        fail_msg("%s: %s", sql, mobid_store_errmsg(s));
}

static void reset_tables(mobid_store *s)
{
    exec_ok(s, "DROP TABLE IF EXISTS items; DROP TABLE IF EXISTS alloc; DROP TABLE IF EXISTS codes;"
               "DROP TABLE IF EXISTS mig_a; DROP TABLE IF EXISTS mig_b; DROP TABLE IF EXISTS mig_c;"
               "DROP TABLE IF EXISTS schema_migrations");
    char sql[256];
    snprintf(sql, sizeof sql,
             "CREATE TABLE items (id BIGINT NOT NULL PRIMARY KEY, name TEXT UNIQUE, data %s, n BIGINT)",
             blob_type(s));
    exec_ok(s, sql);
}

static void insert_item(mobid_store *s, int64_t id, const char *name, mobid_view data,
                        mobid_err expect)
{
    mobid_store_stmt *st = NULL;
    bool row = true;
    assert_int_equal(mobid_store_prepare(s, "INSERT INTO items (id, name, data, n) VALUES ($1, $2, $3, $4)", &st),
                     MOBID_OK);
    assert_int_equal(mobid_store_bind_int64(st, 1, id), MOBID_OK);
    assert_int_equal(mobid_store_bind_str(st, 2, name), MOBID_OK);
    assert_int_equal(mobid_store_bind_blob(st, 3, data), MOBID_OK);
    assert_int_equal(mobid_store_bind_null(st, 4), MOBID_OK);
    assert_int_equal(mobid_store_step(st, &row), expect);
    assert_false(row);
    if (expect == MOBID_OK)
        assert_int_equal(mobid_store_changes(st), 1);
    mobid_store_finalize(st);
}

static int64_t count_rows(mobid_store *s, const char *sql)
{
    int64_t n = -1;
    bool found = false;
    assert_int_equal(mobid_store_query_int64(s, sql, &n, &found), MOBID_OK);
    assert_true(found);
    return n;
}

static void test_open_and_translate(void **state)
{
    mobid_store *s = NULL;
    assert_int_equal(mobid_store_open("mysql://x", &s), MOBID_ERR_INVALID_ARG);
    assert_null(s);
    assert_int_equal(mobid_store_open("sqlite:", &s), MOBID_ERR_INVALID_ARG);
    assert_int_equal(mobid_store_open("sqlite:/nonexistent-dir/x/y.db", &s), MOBID_SVC_ERR_STORE);
    char *t = mobid_store_sql_to_sqlite("SELECT $1, '$2''$3', \"a$4\" -- $5\n, $12 /* $6 */ $");
    assert_non_null(t);
    assert_string_equal(t, "SELECT ?1, '$2''$3', \"a$4\" -- $5\n, ?12 /* $6 */ $");
    free(t);
}

static void test_crud(void **state)
{
    mobid_store *s = open_store();
    reset_tables(s);
    const uint8_t bin[] = { 0, 1, 2, 0xff, 0, '\\', 'x' };
    insert_item(s, 1, "alpha", mobid_view_make(bin, sizeof bin), MOBID_OK);
    insert_item(s, 2, "beta", mobid_view_make(NULL, 0), MOBID_OK);

    mobid_store_stmt *st = NULL;
    bool row = false;
    assert_int_equal(mobid_store_prepare(s, "SELECT id, name, data, n FROM items WHERE id = $1", &st), MOBID_OK);
    assert_int_equal(mobid_store_bind_int64(st, 1, 1), MOBID_OK);
    assert_int_equal(mobid_store_bind_int64(st, 2, 1), MOBID_ERR_INVALID_ARG);
    assert_int_equal(mobid_store_step(st, &row), MOBID_OK);
    assert_true(row);
    assert_int_equal(mobid_store_col_count(st), 4);
    assert_int_equal(mobid_store_col_int64(st, 0), 1);
    assert_true(mobid_view_eq_str(mobid_store_col_text(st, 1), "alpha"));
    mobid_view b = mobid_store_col_blob(st, 2);
    assert_int_equal(b.len, sizeof bin);
    assert_memory_equal(b.ptr, bin, sizeof bin);
    assert_true(mobid_store_col_null(st, 3));
    assert_false(mobid_store_col_null(st, 1));
    assert_true(mobid_store_col_null(st, 9));
    char *name = mobid_store_col_strdup(st, 1);
    assert_string_equal(name, "alpha");
    free(name);
    assert_int_equal(mobid_store_step(st, &row), MOBID_OK);
    assert_false(row);
    assert_int_equal(mobid_store_step(st, &row), MOBID_OK); /* done stays done */
    assert_false(row);
    /* Rebind after reset and run again. */
    assert_int_equal(mobid_store_reset(st), MOBID_OK);
    assert_int_equal(mobid_store_bind_int64(st, 1, 2), MOBID_OK);
    assert_int_equal(mobid_store_step(st, &row), MOBID_OK);
    assert_true(row);
    assert_int_equal(mobid_store_col_blob(st, 2).len, 0);
    mobid_store_finalize(st);

    st = NULL;
    assert_int_equal(mobid_store_prepare(s, "UPDATE items SET n = $1 WHERE id >= $2", &st), MOBID_OK);
    assert_int_equal(mobid_store_bind_int64(st, 1, INT64_MIN), MOBID_OK);
    assert_int_equal(mobid_store_bind_int64(st, 2, 1), MOBID_OK);
    assert_int_equal(mobid_store_step(st, &row), MOBID_OK);
    assert_int_equal(mobid_store_changes(st), 2);
    mobid_store_finalize(st);
    assert_int_equal(count_rows(s, "SELECT min(n) FROM items"), INT64_MIN);

    exec_ok(s, "DELETE FROM items WHERE id = 2");
    assert_int_equal(count_rows(s, "SELECT count(*) FROM items"), 1);
    mobid_store_close(s);
}

static void test_errors(void **state)
{
    mobid_store *s = open_store();
    reset_tables(s);
    insert_item(s, 1, "dup", mobid_view_make("x", 1), MOBID_OK);
    insert_item(s, 2, "dup", mobid_view_make("y", 1), MOBID_SVC_ERR_STORE_CONFLICT);
    insert_item(s, 1, "other", mobid_view_make("y", 1), MOBID_SVC_ERR_STORE_CONFLICT);
    assert_int_equal(mobid_store_exec(s, "SELEKT 1"), MOBID_SVC_ERR_STORE);
    assert_true(strlen(mobid_store_errmsg(s)) > 0);
    assert_int_equal(mobid_store_exec(s, "INSERT INTO items (id) VALUES (NULL)"), MOBID_SVC_ERR_STORE);
    assert_int_equal(count_rows(s, "SELECT count(*) FROM items"), 1);
    /* Commit or rollback without a transaction is a caller error. */
    assert_int_equal(mobid_store_commit(s), MOBID_ERR_INVALID_ARG);
    assert_int_equal(mobid_store_rollback(s), MOBID_ERR_INVALID_ARG);
    mobid_store_close(s);
}

static void test_transactions(void **state)
{
    mobid_store *s = open_store();
    reset_tables(s);
    assert_int_equal(mobid_store_begin(s), MOBID_OK);
    assert_true(mobid_store_in_tx(s));
    assert_int_equal(mobid_store_begin(s), MOBID_ERR_INVALID_ARG);
    insert_item(s, 1, "gone", mobid_view_make("x", 1), MOBID_OK);
    assert_int_equal(mobid_store_rollback(s), MOBID_OK);
    assert_int_equal(count_rows(s, "SELECT count(*) FROM items"), 0);

    assert_int_equal(mobid_store_begin(s), MOBID_OK);
    insert_item(s, 2, "kept", mobid_view_make("x", 1), MOBID_OK);
    assert_int_equal(mobid_store_commit(s), MOBID_OK);
    assert_false(mobid_store_in_tx(s));

    /* Another connection sees only committed rows. */
    mobid_store *other = open_store();
    assert_int_equal(mobid_store_begin(s), MOBID_OK);
    insert_item(s, 3, "pending", mobid_view_make("x", 1), MOBID_OK);
    assert_int_equal(count_rows(other, "SELECT count(*) FROM items"), 1);
    assert_int_equal(mobid_store_commit(s), MOBID_OK);
    assert_int_equal(count_rows(other, "SELECT count(*) FROM items"), 2);
    mobid_store_close(other);

    /* Closing with an open transaction rolls it back. */
    assert_int_equal(mobid_store_begin(s), MOBID_OK);
    insert_item(s, 4, "lost", mobid_view_make("x", 1), MOBID_OK);
    mobid_store_close(s);
    s = open_store();
    assert_int_equal(count_rows(s, "SELECT count(*) FROM items"), 2);
    mobid_store_close(s);
}

typedef struct tx_ctx {
    int base; /* ids base + 1, base + 2, ... */
    int runs;
    int fail_first; /* return STORE_RETRY from the first n runs */
    mobid_err final;
} tx_ctx;

static mobid_err tx_body(mobid_store *s, void *arg)
{
    tx_ctx *c = arg;
    c->runs++;
    insert_item(s, c->base + c->runs, NULL, mobid_view_make("x", 1), MOBID_OK);
    if (c->runs <= c->fail_first)
        return MOBID_SVC_ERR_STORE_RETRY;
    return c->final;
}

static void test_tx_helper(void **state)
{
    mobid_store *s = open_store();
    reset_tables(s);
    tx_ctx c = { 100, 0, 2, MOBID_OK };
    assert_int_equal(mobid_store_tx(s, 0, tx_body, &c), MOBID_OK);
    assert_int_equal(c.runs, 3);
    /* Only the third run's row survived: the retried runs were rolled back. */
    assert_int_equal(count_rows(s, "SELECT count(*) FROM items"), 1);
    assert_int_equal(count_rows(s, "SELECT id FROM items"), 103);

    tx_ctx bad = { 200, 0, 0, MOBID_ERR_NOT_FOUND };
    assert_int_equal(mobid_store_tx(s, 0, tx_body, &bad), MOBID_ERR_NOT_FOUND);
    assert_int_equal(bad.runs, 1);
    tx_ctx lost = { 300, 0, 100, MOBID_OK };
    assert_int_equal(mobid_store_tx(s, 3, tx_body, &lost), MOBID_SVC_ERR_STORE_RETRY);
    assert_int_equal(lost.runs, 3);
    assert_int_equal(count_rows(s, "SELECT count(*) FROM items"), 1);
    assert_false(mobid_store_in_tx(s));
    mobid_store_close(s);
}

static const mobid_store_migration migs[] = {
    { 1, "CREATE TABLE mig_a (id INTEGER PRIMARY KEY, v TEXT)", NULL },
    { 2, "CREATE TABLE mig_b (id INTEGER PRIMARY KEY, d BLOB); INSERT INTO mig_a (id, v) VALUES (1, 'x')",
      "CREATE TABLE mig_b (id INTEGER PRIMARY KEY, d BYTEA); INSERT INTO mig_a (id, v) VALUES (1, 'x')" },
    { 5, "ALTER TABLE mig_a ADD COLUMN w BIGINT", NULL },
};

static void test_migrations(void **state)
{
    mobid_store *s = open_store();
    reset_tables(s);
    size_t applied = 99;
    int64_t version = -1;
    assert_int_equal(mobid_store_migrate(s, "test", migs, 2, &applied), MOBID_OK);
    assert_int_equal(applied, 2);
    assert_int_equal(mobid_store_migrate(s, "test", migs, 2, &applied), MOBID_OK);
    assert_int_equal(applied, 0);
    assert_int_equal(mobid_store_migrate(s, "test", migs, 3, &applied), MOBID_OK);
    assert_int_equal(applied, 1);
    assert_int_equal(mobid_store_schema_version(s, "test", &version), MOBID_OK);
    assert_int_equal(version, 5);
    assert_int_equal(mobid_store_schema_version(s, "other", &version), MOBID_OK);
    assert_int_equal(version, 0);
    assert_int_equal(count_rows(s, "SELECT count(*) FROM mig_a"), 1);
    assert_int_equal(count_rows(s, "SELECT count(*) FROM schema_migrations"), 3);

    /* A failing migration leaves no trace and stops the list. */
    const mobid_store_migration bad[] = {
        { 1, "CREATE TABLE mig_c (id INTEGER)", NULL },
        { 2, "INSERT INTO mig_c (id) VALUES (1); INSERT INTO no_such_table VALUES (1)", NULL },
        { 3, "INSERT INTO mig_c (id) VALUES (3)", NULL },
    };
    assert_int_equal(mobid_store_migrate(s, "bad", bad, 3, &applied), MOBID_SVC_ERR_STORE);
    assert_int_equal(applied, 1);
    assert_int_equal(count_rows(s, "SELECT count(*) FROM mig_c"), 0);
    assert_int_equal(mobid_store_schema_version(s, "bad", &version), MOBID_OK);
    assert_int_equal(version, 1);

    const mobid_store_migration unordered[] = { { 2, "SELECT 1", NULL }, { 2, "SELECT 1", NULL } };
    assert_int_equal(mobid_store_migrate(s, "u", unordered, 2, NULL), MOBID_ERR_INVALID_ARG);
    mobid_store_close(s);
}

/* ---- two threads at once ---- */

typedef struct worker {
    pthread_t thread;
    int id;
    unsigned seed;
    int ok;        /* claims made or codes consumed */
    mobid_err err; /* first unexpected error */
    int job;       /* 0 claim, 1 consume, 2 migrate */
} worker;

static mobid_err bind_random_index(mobid_store_stmt *st, unsigned attempt, void *ctx)
{
    worker *w = ctx;
    mobid_err err = mobid_store_bind_int64(st, 1, (int64_t)(rand_r(&w->seed) % 1024));
    if (err == MOBID_OK)
        err = mobid_store_bind_int64(st, 2, w->id);
    return err;
}

static mobid_err claim_body(mobid_store *s, void *ctx)
{
    return mobid_store_claim(s, "INSERT INTO alloc (idx, owner) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                             256, bind_random_index, ctx);
}

static mobid_err consume_all(mobid_store *s, worker *w)
{
    mobid_store_stmt *st = NULL;
    mobid_err err = mobid_store_prepare(s, "UPDATE codes SET used_by = $1 WHERE code = $2 AND used_by IS NULL", &st);
    for (int code = 0; code < 200 && err == MOBID_OK; code++) {
        bool row = false;
        err = mobid_store_reset(st);
        if (err == MOBID_OK)
            err = mobid_store_bind_int64(st, 1, w->id);
        if (err == MOBID_OK)
            err = mobid_store_bind_int64(st, 2, code);
        if (err == MOBID_OK)
            err = mobid_store_step(st, &row);
        w->ok += err == MOBID_OK && mobid_store_changes(st) == 1;
    }
    mobid_store_finalize(st);
    return err;
}

static void *work(void *arg)
{
    worker *w = arg;
    mobid_store *s = NULL;
    w->err = mobid_store_open(g_url, &s);
    for (int i = 0; i < 200 && w->err == MOBID_OK && w->job == 0; i++) {
        w->err = mobid_store_tx(s, 50, claim_body, w);
        w->ok += w->err == MOBID_OK;
    }
    if (w->err == MOBID_OK && w->job == 1)
        w->err = consume_all(s, w);
    size_t applied = 0;
    if (w->err == MOBID_OK && w->job == 2)
        w->err = mobid_store_migrate(s, "race", migs, 3, &applied);
    w->ok += (int)applied;
    mobid_store_close(s);
    return NULL;
}

static void run_two(int job)
{
    worker w[2] = { { .id = 1, .seed = 11, .job = job }, { .id = 2, .seed = 29, .job = job } };
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&w[i].thread, NULL, work, &w[i]), 0);
    for (int i = 0; i < 2; i++) {
        pthread_join(w[i].thread, NULL);
        assert_int_equal(w[i].err, MOBID_OK);
    }
    if (job == 0) {
        assert_int_equal(w[0].ok + w[1].ok, 400);
    } else if (job == 1) {
        /* Each code was consumed exactly once, by one of the two. */
        assert_int_equal(w[0].ok + w[1].ok, 200);
    } else {
        /* Each migration was applied exactly once, by one of the two. */
        assert_int_equal(w[0].ok + w[1].ok, 3);
    }
    print_message("%s: thread 1 %d, thread 2 %d\n", job == 0 ? "claims" : job == 1 ? "consumed" : "migrated",
                  w[0].ok, w[1].ok);
}

static void test_concurrent_claims(void **state)
{
    mobid_store *s = open_store();
    reset_tables(s);
    exec_ok(s, "CREATE TABLE alloc (idx BIGINT NOT NULL UNIQUE, owner BIGINT NOT NULL)");
    exec_ok(s, "CREATE TABLE codes (code BIGINT PRIMARY KEY, used_by BIGINT)");
    exec_ok(s, "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 199) "
               "INSERT INTO codes (code) SELECT i FROM n");
    run_two(0);
    assert_int_equal(count_rows(s, "SELECT count(*) FROM alloc"), 400);
    assert_int_equal(count_rows(s, "SELECT count(DISTINCT idx) FROM alloc"), 400);
    assert_int_equal(count_rows(s, "SELECT count(DISTINCT owner) FROM alloc"), 2);
    run_two(1);
    assert_int_equal(count_rows(s, "SELECT count(*) FROM codes WHERE used_by IS NULL"), 0);
    mobid_store_close(s);
}

static void test_concurrent_migrations(void **state)
{
    mobid_store *s = open_store();
    reset_tables(s);
    run_two(2);
    assert_int_equal(count_rows(s, "SELECT count(*) FROM schema_migrations WHERE component = 'race'"), 3);
    assert_int_equal(count_rows(s, "SELECT count(*) FROM mig_a"), 1);
    mobid_store_close(s);
}

static mobid_err bind_owner(mobid_store_stmt *st, unsigned attempt, void *ctx)
{
    (*(unsigned *)ctx)++;
    return mobid_store_bind_int64(st, 1, 2);
}

static void test_claim_exhausted(void **state)
{
    mobid_store *s = open_store();
    reset_tables(s);
    exec_ok(s, "CREATE TABLE alloc (idx BIGINT NOT NULL UNIQUE, owner BIGINT NOT NULL)");
    exec_ok(s, "INSERT INTO alloc (idx, owner) VALUES (7, 1)");
    const char *sql = "INSERT INTO alloc (idx, owner) VALUES (7, $1) ON CONFLICT DO NOTHING";
    unsigned calls = 0;
    /* Every candidate is 7, already taken: the loop ends with LIMIT, not a conflict,
     * and inside a transaction nothing was aborted. */
    assert_int_equal(mobid_store_begin(s), MOBID_OK);
    assert_int_equal(mobid_store_claim(s, sql, 5, bind_owner, &calls), MOBID_ERR_LIMIT);
    assert_int_equal(calls, 5);
    exec_ok(s, "INSERT INTO alloc (idx, owner) VALUES (8, 1)");
    assert_int_equal(mobid_store_commit(s), MOBID_OK);
    assert_int_equal(count_rows(s, "SELECT count(*) FROM alloc"), 2);
    assert_int_equal(mobid_store_claim(s, sql, 0, bind_owner, &calls), MOBID_ERR_INVALID_ARG);
    mobid_store_close(s);
}

static void test_pool(void **state)
{
    mobid_store_pool *p = NULL;
    assert_int_equal(mobid_store_pool_new("nope:x", 2, &p), MOBID_ERR_INVALID_ARG);
    assert_int_equal(mobid_store_pool_new(g_url, 2, &p), MOBID_OK);
    mobid_store *a = NULL, *b = NULL, *c = NULL;
    assert_int_equal(mobid_store_pool_acquire(p, &a), MOBID_OK);
    assert_int_equal(mobid_store_pool_acquire(p, &b), MOBID_OK);
    assert_ptr_not_equal(a, b);
    assert_int_equal(mobid_store_begin(a), MOBID_OK);
    mobid_store_pool_release(p, a); /* rolled back on release */
    assert_int_equal(mobid_store_pool_acquire(p, &c), MOBID_OK);
    assert_ptr_equal(c, a);
    assert_false(mobid_store_in_tx(c));
    mobid_store_pool_release(p, b);
    mobid_store_pool_release(p, c);
    mobid_store_pool_free(p);
}

static void test_sqlite_settings(void **state)
{
    mobid_store *s = open_store();
    if (mobid_store_kind(s) != MOBID_STORE_SQLITE) {
        mobid_store_close(s);
        skip();
    }
    struct stat sb;
    assert_int_equal(stat(g_url + strlen("sqlite:"), &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600); /* applicant data: owner only */
    mobid_store_stmt *st = NULL;
    bool row = false;
    assert_int_equal(mobid_store_prepare(s, "PRAGMA journal_mode", &st), MOBID_OK);
    assert_int_equal(mobid_store_step(st, &row), MOBID_OK);
    assert_true(row);
    assert_true(mobid_view_eq_str(mobid_store_col_text(st, 0), "wal"));
    mobid_store_finalize(st);
    /* NORMAL: COMMIT only writes the WAL; the group commit syncs it before returning. */
    assert_int_equal(count_rows(s, "PRAGMA synchronous"), 1);
    assert_int_equal(count_rows(s, "PRAGMA foreign_keys"), 1);
    /* no mapping of the file: SQLite would unmap it after every other connection's
     * commit, and the pages read are in the WAL */
    assert_int_equal(count_rows(s, "PRAGMA mmap_size"), 0);
    mobid_store_close(s);
}

/* A statement prepared again with the same text (reused from the connection's cache
 * on SQLite) starts fresh: no binding or row of its last run shows, and it follows the
 * schema when a table was dropped and made again in between. */
static void test_prepare_again(void **state)
{
    mobid_store *s = open_store();
    static const char sel[] = "SELECT count(*) FROM items"
                              " WHERE (CAST($1 AS TEXT) IS NULL OR name = $1)"
                              " AND (CAST($2 AS BIGINT) IS NULL OR id = $2)";
    mobid_store_stmt *st = NULL;
    bool row = false;
    reset_tables(s);
    insert_item(s, 1, "one", mobid_view_str("x"), MOBID_OK);
    insert_item(s, 2, "two", mobid_view_str("y"), MOBID_OK);
    for (int round = 0; round < 3; round++) {
        assert_int_equal(mobid_store_prepare(s, sel, &st), MOBID_OK);
        if (round == 0) { /* both bound: one row matches */
            assert_int_equal(mobid_store_bind_str(st, 1, "one"), MOBID_OK);
            assert_int_equal(mobid_store_bind_int64(st, 2, 1), MOBID_OK);
        }
        assert_int_equal(mobid_store_step(st, &row), MOBID_OK);
        assert_true(row);
        /* Later rounds bind nothing: the old bindings must read as NULL (2 rows). */
        assert_int_equal(mobid_store_col_int64(st, 0), round == 0 ? 1 : 2);
        if (round != 1) /* round 1 is finalized with its row unread */
            assert_int_equal(mobid_store_step(st, &row), MOBID_OK);
        mobid_store_finalize(st);
    }
    reset_tables(s);
    insert_item(s, 3, "three", mobid_view_str("z"), MOBID_OK);
    assert_int_equal(mobid_store_prepare(s, sel, &st), MOBID_OK);
    assert_int_equal(mobid_store_step(st, &row), MOBID_OK);
    assert_true(row);
    assert_int_equal(mobid_store_col_int64(st, 0), 1);
    mobid_store_finalize(st);
    mobid_store_close(s);
}

/* Every allocation mobid makes may fail: each run ends in OK or NOMEM, never a crash
 * or a leak (ASan builds check leaks). SQLite's and libpq's own memory is not hooked. */
static void test_alloc_failures(void **state)
{
    bool completed = false;
    for (long n = 0; n < 200 && !completed; n++) {
        mobid_store *s = NULL;
        mobid_store_stmt *st = NULL;
        bool row = false;
        mobid_alloc_fail_after(n);
        mobid_err err = mobid_store_open(g_url, &s);
        if (err == MOBID_OK)
            err = mobid_store_prepare(s, "SELECT $1, $2", &st);
        if (err == MOBID_OK)
            err = mobid_store_bind_str(st, 1, "text");
        if (err == MOBID_OK)
            err = mobid_store_bind_blob(st, 2, mobid_view_make("\x01\x02", 2));
        if (err == MOBID_OK)
            err = mobid_store_step(st, &row);
        char *copy = err == MOBID_OK ? mobid_store_col_strdup(st, 0) : NULL;
        if (err == MOBID_OK && copy)
            err = mobid_store_exec(s, "SELECT 1");
        mobid_alloc_fail_after(-1);
        if (err != MOBID_OK && err != MOBID_ERR_NOMEM)
            fail_msg("allocation failure %ld gave %s", n, mobid_svc_err_name(err));
        completed = err == MOBID_OK && copy && row;
        free(copy);
        mobid_store_finalize(st);
        mobid_store_close(s);
    }
    assert_true(completed);
}

#define STORE_TESTS                                                                       \
    cmocka_unit_test(test_open_and_translate), cmocka_unit_test(test_crud),               \
        cmocka_unit_test(test_errors), cmocka_unit_test(test_transactions),               \
        cmocka_unit_test(test_tx_helper), cmocka_unit_test(test_migrations),              \
        cmocka_unit_test(test_concurrent_claims), cmocka_unit_test(test_concurrent_migrations), \
        cmocka_unit_test(test_claim_exhausted), cmocka_unit_test(test_pool),              \
        cmocka_unit_test(test_sqlite_settings), cmocka_unit_test(test_prepare_again),     \
        cmocka_unit_test(test_alloc_failures)

int main(void)
{
    const struct CMUnitTest tests[] = { STORE_TESTS };
    return STORE_RUN_GROUP("store", tests, true);
}
