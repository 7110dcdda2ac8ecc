/* Backend interface behind src/store/store.h (not for services). */
#ifndef MOBID_STORE_INTERNAL_H
#define MOBID_STORE_INTERNAL_H

#include "store/store.h"

#define STORE_MAX_PARAMS 99

typedef struct store_ops {
    void (*close)(mobid_store *s);
    mobid_err (*exec)(mobid_store *s, const char *sql);
    mobid_err (*prepare)(mobid_store *s, const char *sql, mobid_store_stmt **out);
    /* type: 't' text, 'i' int64, 'b' blob, 'n' null */
    mobid_err (*bind)(mobid_store_stmt *st, int idx, char type, mobid_view v, int64_t i);
    mobid_err (*step)(mobid_store_stmt *st, bool *row);
    mobid_err (*reset)(mobid_store_stmt *st);
    void (*finalize)(mobid_store_stmt *st);
    bool (*col_null)(const mobid_store_stmt *st, int col);
    int64_t (*col_int64)(const mobid_store_stmt *st, int col);
    mobid_view (*col_text)(mobid_store_stmt *st, int col);
    mobid_view (*col_blob)(mobid_store_stmt *st, int col);
    int (*col_count)(const mobid_store_stmt *st);
    const char *begin_sql;
    /* mobid_store_defer_commit's backend part, or NULL when the commit hook reads
     * defer_commit itself (SQLite). */
    mobid_err (*defer)(mobid_store *s);
    /* Serialize migrations between instances (PostgreSQL advisory lock; SQLite
     * relies on BEGIN IMMEDIATE and needs nothing here). */
    mobid_err (*migrate_lock)(mobid_store *s, bool lock);
    /* A blob column type name for schema_migrations-style portable DDL. */
    const char *name;
} store_ops;

struct mobid_store {
    const store_ops *ops;
    mobid_store_backend kind;
    bool in_tx;
    bool broken; /* connection lost: the pool reopens it */
    /* the next commit need not wait for its own sync (mobid_store_defer_commit); cleared
     * at COMMIT/ROLLBACK, or outside a transaction when a statement is finalized */
    bool defer_commit;
    char errmsg[512];
};

struct mobid_store_stmt {
    mobid_store *s;
    bool done;
    int64_t changes;
};

mobid_err store_sqlite_open(const char *path, mobid_store **out);
mobid_err store_pg_open(const char *url, mobid_store **out);

/* Highest $n parameter in sql outside quotes and comments (STORE_MAX_PARAMS + 1 when
 * a number is larger than allowed). */
int store_max_param(const char *sql);

/* Record a message in s->errmsg (printf-style). */
void store_set_error(mobid_store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
