/* src/store: versioned migrations, one transaction each, safe when instances race. */
#include "store/store_internal.h"

#include <string.h>

static const char MIGRATIONS_DDL[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " component TEXT NOT NULL,"
    " version BIGINT NOT NULL,"
    " applied_at BIGINT NOT NULL,"
    " PRIMARY KEY (component, version))";

typedef struct migrate_step {
    const char *component;
    const mobid_store_migration *m;
    bool applied; /* output of the last run of the body */
} migrate_step;

static mobid_err exists(mobid_store *s, const char *component, int64_t version, bool *found)
{
    mobid_store_stmt *st = NULL;
    *found = false;
    mobid_err err = mobid_store_prepare(
        s, "SELECT 1 FROM schema_migrations WHERE component = $1 AND version = $2", &st);
    if (err == MOBID_OK)
        err = mobid_store_bind_str(st, 1, component);
    if (err == MOBID_OK)
        err = mobid_store_bind_int64(st, 2, version);
    if (err == MOBID_OK)
        err = mobid_store_step(st, found);
    mobid_store_finalize(st);
    return err;
}

static mobid_err record(mobid_store *s, const char *component, int64_t version)
{
    mobid_store_stmt *st = NULL;
    bool row = false;
    mobid_err err = mobid_store_prepare(
        s, "INSERT INTO schema_migrations (component, version, applied_at) VALUES ($1, $2, $3)",
        &st);
    if (err == MOBID_OK)
        err = mobid_store_bind_str(st, 1, component);
    if (err == MOBID_OK)
        err = mobid_store_bind_int64(st, 2, version);
    if (err == MOBID_OK)
        err = mobid_store_bind_int64(st, 3, mobid_now());
    if (err == MOBID_OK)
        err = mobid_store_step(st, &row);
    mobid_store_finalize(st);
    return err;
}

/* Transaction body: apply one migration unless another instance already did. */
static mobid_err apply_one(mobid_store *s, void *ctx)
{
    migrate_step *step = ctx;
    bool found = false;
    step->applied = false;
    mobid_err err = exists(s, step->component, step->m->version, &found);
    if (err != MOBID_OK || found)
        return err;
    const char *sql = s->kind == MOBID_STORE_POSTGRES && step->m->sql_pg ? step->m->sql_pg
                                                                         : step->m->sql_sqlite;
    /* The DDL and its record commit together (both backends run DDL in a transaction):
     * a crash never leaves a step applied but unrecorded, to be run twice. */
    err = mobid_store_exec(s, sql);
    if (err == MOBID_OK)
        err = record(s, step->component, step->m->version);
    step->applied = err == MOBID_OK;
    return err;
}

static bool ordered(const mobid_store_migration *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (list[i].version <= 0 || !list[i].sql_sqlite)
            return false;
        /* strictly increasing: the list's order is the order of application */
        if (i && list[i].version <= list[i - 1].version)
            return false;
    }
    return true;
}

mobid_err mobid_store_migrate(mobid_store *s, const char *component,
                              const mobid_store_migration *list, size_t n, size_t *applied)
{
    size_t count = 0;
    if (applied)
        *applied = 0;
    if (!s || !component || !*component || (n && !list) || !ordered(list, n) || s->in_tx)
        return MOBID_ERR_INVALID_ARG;
    mobid_err err = s->ops->migrate_lock(s, true);
    if (err != MOBID_OK)
        return err;
    err = mobid_store_exec(s, MIGRATIONS_DDL);
    for (size_t i = 0; i < n && err == MOBID_OK; i++) {
        migrate_step step = { component, &list[i], false };
        err = mobid_store_tx(s, 0, apply_one, &step);
        count += err == MOBID_OK && step.applied;
    }
    mobid_err unlock = s->ops->migrate_lock(s, false);
    if (err == MOBID_OK)
        err = unlock;
    if (applied)
        *applied = count;
    return err;
}

mobid_err mobid_store_schema_version(mobid_store *s, const char *component, int64_t *version)
{
    mobid_store_stmt *st = NULL;
    bool row = false;
    *version = 0;
    mobid_err err = mobid_store_exec(s, MIGRATIONS_DDL);
    if (err == MOBID_OK)
        err = mobid_store_prepare(
            s, "SELECT max(version) FROM schema_migrations WHERE component = $1", &st);
    if (err == MOBID_OK)
        err = mobid_store_bind_str(st, 1, component);
    if (err == MOBID_OK)
        err = mobid_store_step(st, &row);
    if (err == MOBID_OK && row)
        *version = mobid_store_col_int64(st, 0);
    mobid_store_finalize(st);
    return err;
}
