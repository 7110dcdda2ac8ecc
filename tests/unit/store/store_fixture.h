/* Shared by the store tests: the database they run on (g_url, and g_dir for SQLite's
 * files), a write with int64 parameters, and the run of a group on SQLite in a fresh
 * folder and then on PostgreSQL when MOBID_PG_URL is set (tests/cli/store_pg.sh). */
#ifndef MOBID_STORE_FIXTURE_H
#define MOBID_STORE_FIXTURE_H

#include "testutil.h"
#include "store/store.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

static char g_dir[PATH_MAX];
static char g_url[PATH_MAX + 16];

/* Run sql (an INSERT or UPDATE) with $1..$n bound to v[0..n-1]. */
static inline mobid_err store_write(mobid_store *s, const char *sql, const int64_t *v, int n)
{
    mobid_store_stmt *st = NULL;
    bool row = false;
    mobid_err err = mobid_store_prepare(s, sql, &st);
    for (int i = 0; err == MOBID_OK && i < n; i++)
        err = mobid_store_bind_int64(st, i + 1, v[i]);
    if (err == MOBID_OK)
        err = mobid_store_step(st, &row);
    mobid_store_finalize(st);
    return err;
}

/* The one text value sql returns (a row is required); the caller frees it. */
static inline char *store_text(mobid_store *s, const char *sql)
{
    mobid_store_stmt *st = NULL;
    bool row = false;
    assert_int_equal(mobid_store_prepare(s, sql, &st), MOBID_OK);
    assert_int_equal(mobid_store_step(st, &row), MOBID_OK);
    assert_true(row);
    char *text = mobid_store_col_strdup(st, 0);
    mobid_store_finalize(st);
    assert_non_null(text);
    return text;
}

/* The group on SQLite (g_url = sqlite:g_dir/test.db, the folder removed afterwards),
 * then with pg and MOBID_PG_URL set on PostgreSQL. Returns how many tests failed. */
static inline int store_run_group(const char *name, const struct CMUnitTest *tests, size_t n,
                                  bool pg)
{
    char tmpl[] = "/tmp/mobid-store-XXXXXX", cmd[PATH_MAX + 16];
    const char *pg_url = getenv("MOBID_PG_URL");
    if (!mkdtemp(tmpl) || !realpath(tmpl, g_dir))
        return 1;
    snprintf(g_url, sizeof g_url, "sqlite:%s/test.db", g_dir);
    printf("== %s on SQLite (%s)\n", name, g_url);
    fflush(stdout);
    int failed = _cmocka_run_group_tests(name, tests, n, NULL, NULL);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", g_dir);
    if (!pg)
        return failed;
    if (!pg_url || !*pg_url) {
        printf("PostgreSQL part not run: MOBID_PG_URL is unset (tests/cli/store_pg.sh sets it)\n");
        return failed;
    }
    snprintf(g_url, sizeof g_url, "%s", pg_url);
    printf("== %s on PostgreSQL (%s)\n", name, g_url);
    fflush(stdout);
    return failed + _cmocka_run_group_tests(name, tests, n, NULL, NULL);
}
#define STORE_RUN_GROUP(name, tests, pg) \
    store_run_group(name, tests, sizeof(tests) / sizeof((tests)[0]), pg)

#endif
