/*
 * mobid store: one SQL interface over SQLite (embedded default) and PostgreSQL.
 *
 * Open by URL:
 *   sqlite:PATH                    a file (created mode 0600 if absent, in a folder that
 *                                  must exist); sqlite::memory: for tests
 *   postgres://... postgresql://...  any libpq connection URI, e.g.
 *                                  postgresql:///mobid?host=/run/pg&port=5432
 *
 * SQL is written once: parameters are positional `$1`, `$2`, ... in both backends
 * (translated to SQLite's `?1` outside string literals). Portable habits that keep one
 * statement valid on both: INTEGER/BIGINT for numbers and booleans (0/1), TEXT, times
 * as BIGINT seconds since the epoch, `INSERT ... ON CONFLICT DO NOTHING`, `RETURNING`.
 * Blob columns are BLOB on SQLite and BYTEA on PostgreSQL (migrations give both forms).
 *
 * Errors: MOBID_SVC_ERR_STORE_CONFLICT for a UNIQUE/PRIMARY KEY violation,
 * MOBID_SVC_ERR_STORE_RETRY when the transaction lost a race (SQLITE_BUSY after the busy
 * timeout, PostgreSQL serialization failure or deadlock) and should be run again,
 * MOBID_SVC_ERR_STORE for anything else (mobid_store_errmsg() tells what).
 *
 * Transactions are serializable on both backends: SQLite takes the write lock at
 * BEGIN (BEGIN IMMEDIATE), PostgreSQL runs BEGIN ISOLATION LEVEL SERIALIZABLE. Use
 * mobid_store_tx() so a lost race is retried; on PostgreSQL any error inside a
 * transaction aborts it, so a body must return on the first error.
 *
 * SQLite connections run in WAL mode, foreign keys on and a busy timeout. A commit
 * is durable (it survives SIGKILL and power loss) before the statement that made it
 * returns: the connections of one process to one file share each fsync of the WAL
 * (group commit, src/store/group_sync.h), so concurrent writers do not each wait
 * for a disk flush of their own. An autocommit UPDATE ... RETURNING is made durable
 * when stepped to its end (else at reset or finalize, where a failure can only be
 * logged): read its rows to the end. A commit may instead be deferred
 * (mobid_store_defer_commit, below): it returns without waiting for a sync.
 *
 * Thread safety: a mobid_store (one connection) and its statements belong to one
 * thread at a time. Threads either open their own connection or borrow one from a
 * mobid_store_pool, which is thread-safe.
 */
#ifndef MOBID_STORE_H
#define MOBID_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <mobid/base.h>
#include "common/svc_error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mobid_store mobid_store;
typedef struct mobid_store_stmt mobid_store_stmt;

typedef enum mobid_store_backend {
    MOBID_STORE_SQLITE = 1,
    MOBID_STORE_POSTGRES = 2,
} mobid_store_backend;

/* Open a connection.
 * url: see above; copied. *out receives the connection (free with mobid_store_close).
 * Returns MOBID_ERR_INVALID_ARG for an unknown scheme, MOBID_SVC_ERR_STORE when the
 * database cannot be opened or configured (message on stderr), MOBID_ERR_NOMEM. */
MOBID_MUST_CHECK mobid_err mobid_store_open(const char *url, mobid_store **out);

/* Close a connection; rolls back an open transaction. Safe on NULL. Every statement
 * of the connection must have been finalized before. */
void mobid_store_close(mobid_store *s);

mobid_store_backend mobid_store_kind(const mobid_store *s);

/* The last error message of the connection ("" when none); owned by the connection,
 * valid until its next call. */
const char *mobid_store_errmsg(const mobid_store *s);

/* Run one or more ;-separated statements without parameters (DDL, migrations).
 * Returns MOBID_OK or a store error code. */
mobid_err mobid_store_exec(mobid_store *s, const char *sql);

/* ---- prepared statements ---- */

/* Prepare one statement with $1..$n parameters. sql is copied. *out is freed with
 * mobid_store_finalize. On SQLite syntax errors are reported here; on PostgreSQL at
 * the first step. */
MOBID_MUST_CHECK mobid_err mobid_store_prepare(mobid_store *s, const char *sql,
                                               mobid_store_stmt **out);

/* Bind parameter idx (1-based). Values are copied; the caller keeps ownership.
 * Returns MOBID_ERR_INVALID_ARG when idx is out of range (1..99) or the statement is
 * running (reset it first), MOBID_ERR_NOMEM. */
mobid_err mobid_store_bind_text(mobid_store_stmt *st, int idx, mobid_view text);
mobid_err mobid_store_bind_str(mobid_store_stmt *st, int idx, const char *text); /* NULL binds NULL */
mobid_err mobid_store_bind_int64(mobid_store_stmt *st, int idx, int64_t v);
mobid_err mobid_store_bind_blob(mobid_store_stmt *st, int idx, mobid_view blob);
mobid_err mobid_store_bind_null(mobid_store_stmt *st, int idx);

/* Run the statement or advance to its next row. *row is set true when a row is
 * available to read, false when the statement is done (then mobid_store_changes
 * tells how many rows it changed). Stepping a done statement keeps returning false.
 * Returns MOBID_OK or a store error code. */
MOBID_MUST_CHECK mobid_err mobid_store_step(mobid_store_stmt *st, bool *row);

/* Make the statement runnable again; bindings are kept. */
mobid_err mobid_store_reset(mobid_store_stmt *st);

/* Free a statement. Safe on NULL. */
void mobid_store_finalize(mobid_store_stmt *st);

/* Rows inserted, updated or deleted by the statement's last run (valid once done). */
int64_t mobid_store_changes(const mobid_store_stmt *st);

/* Columns of the current row, 0-based. Views point into the statement and stay
 * valid until the next step, reset or finalize. A NULL reads as 0 / an empty view;
 * mobid_store_col_null tells them apart. Out-of-range columns read as NULL. */
int mobid_store_col_count(const mobid_store_stmt *st);
bool mobid_store_col_null(const mobid_store_stmt *st, int col);
int64_t mobid_store_col_int64(const mobid_store_stmt *st, int col);
mobid_view mobid_store_col_text(mobid_store_stmt *st, int col);
mobid_view mobid_store_col_blob(mobid_store_stmt *st, int col);
/* Heap copy of a text column as a C string (free with free()); NULL on NULL/no memory. */
char *mobid_store_col_strdup(mobid_store_stmt *st, int col);

/* ---- one-shot helpers ---- */

/* Run sql (no parameters) and read the first column of its first row as an int64
 * (e.g. SELECT count(*) FROM t). *found (may be NULL) is false when no row came back
 * (then *out is 0). Returns MOBID_OK or a store error code. */
MOBID_MUST_CHECK mobid_err mobid_store_query_int64(mobid_store *s, const char *sql, int64_t *out,
                                                   bool *found);

/* ---- transactions ---- */

/* BEGIN (serializable; see above), COMMIT, ROLLBACK. Nesting is not supported:
 * MOBID_ERR_INVALID_ARG when a transaction is already open (begin) or none is
 * (commit/rollback). A failed COMMIT leaves no transaction open. */
mobid_err mobid_store_begin(mobid_store *s);
mobid_err mobid_store_commit(mobid_store *s);
mobid_err mobid_store_rollback(mobid_store *s);
bool mobid_store_in_tx(const mobid_store *s);

/* Deferred durability: let the next commit of s return without waiting for its own
 * sync to disk, because a later durable commit will cover it.
 *
 * Which commit: inside a transaction, its COMMIT (call after BEGIN, e.g. at the start
 * of a mobid_store_tx body; a call made before BEGIN is dropped there); outside one,
 * the commits of the next statement run, up to its mobid_store_finalize (or the next
 * mobid_store_exec). Every commit after that is durable again, and so is every
 * commit of a connection given back to a pool.
 *
 * The guarantee of a deferred commit: it is visible to every connection at once and
 * survives SIGKILL of the process (its log is written, in the operating system's
 * page cache). A power loss or kernel crash may forget it, unless a durable commit
 * begun after it returned has returned too, on any connection to the same database:
 * the log is one sequential file, and a durable commit's sync (or a checkpoint, which
 * syncs the log first) makes every commit written before it durable with it. It is never reported durable:
 * the caller must not tell anyone a deferred commit happened in a way that a
 * forgotten commit would turn into harm (use it for steps a user can repeat, never
 * for a hand-over that must happen at most once).
 *
 * On SQLite (file databases) this applies to transactions and autocommit
 * statements; an in-memory database has no sync to skip. On PostgreSQL it runs
 * SET LOCAL synchronous_commit TO OFF inside the open transaction (the server then
 * flushes its WAL past it at the next synchronous commit, or within three
 * wal_writer_delay); outside a transaction the next statement runs in a transaction
 * of its own with the same setting, at the autocommit isolation: a prepared
 * set_config('synchronous_commit', 'off', true) and the statement go in one pipeline,
 * one round trip and one implicit transaction.
 * Returns MOBID_OK, MOBID_ERR_INVALID_ARG for NULL, or a store error (PostgreSQL). */
mobid_err mobid_store_defer_commit(mobid_store *s);

/* A transaction body: does its work on s and returns MOBID_OK to commit or any error
 * to roll back. It may run several times, so it must not keep effects outside the
 * database from an earlier run (reset its ctx outputs at the start). */
typedef mobid_err (*mobid_store_tx_fn)(mobid_store *s, void *ctx);

/* Run fn inside BEGIN/COMMIT, rolling back on error. When BEGIN, the body or COMMIT
 * fails with MOBID_SVC_ERR_STORE_RETRY the whole transaction is run again, after a short
 * randomized back-off, up to max_attempts times (0 = 10). Returns the body's error,
 * MOBID_SVC_ERR_STORE_RETRY when every attempt lost, or a store error. */
MOBID_MUST_CHECK mobid_err mobid_store_tx(mobid_store *s, unsigned max_attempts,
                                          mobid_store_tx_fn fn, void *ctx);

/* ---- "atomically take the next free item" ----
 *
 * Unique allocation (a random status-list index, a fresh code): make the value a
 * UNIQUE column and insert a candidate with
 *     INSERT INTO t(...) VALUES ($1, ...) ON CONFLICT DO NOTHING
 * which changes 0 rows when another writer holds that value. mobid_store_claim()
 * runs that loop: for each attempt it resets the statement, lets bind() put a fresh
 * candidate into it, steps it and stops at the first insert that changed a row.
 * Because the UNIQUE constraint decides, two writers (threads, processes or
 * instances on one PostgreSQL) can never take the same value; no error aborts the
 * surrounding transaction, so it may run inside mobid_store_tx().
 *
 * Single use (a pre-authorized code, a nonce): consume with
 *     UPDATE t SET used_at = $1 WHERE code = $2 AND used_at IS NULL
 * and treat mobid_store_changes() == 1 as "mine"; 0 means used already or unknown.
 */
typedef mobid_err (*mobid_store_bind_fn)(mobid_store_stmt *insert, unsigned attempt, void *ctx);

/* insert_sql: an INSERT ... ON CONFLICT DO NOTHING statement (copied).
 * bind: binds the candidate for the given attempt (0-based); its error stops the loop.
 * Returns MOBID_OK when a row was inserted, MOBID_ERR_LIMIT when max_attempts
 * candidates were all taken, or a store or bind error. */
MOBID_MUST_CHECK mobid_err mobid_store_claim(mobid_store *s, const char *insert_sql,
                                             unsigned max_attempts, mobid_store_bind_fn bind,
                                             void *ctx);

/* ---- versioned migrations ---- */

typedef struct mobid_store_migration {
    int64_t version;        /* strictly increasing within one list, > 0 */
    const char *sql_sqlite; /* statements for SQLite (or portable SQL) */
    const char *sql_pg;     /* statements for PostgreSQL; NULL = use sql_sqlite */
} mobid_store_migration;

/* Bring the schema of `component` (e.g. "issuer") up to date: each migration whose
 * version is not yet in schema_migrations(component, version, applied_at) runs in its
 * own transaction together with its schema_migrations row, in order. Running it again
 * does nothing. Instances racing to migrate are serialized (PostgreSQL advisory lock,
 * SQLite BEGIN IMMEDIATE), so each migration is applied exactly once.
 * *applied (may be NULL) receives how many migrations this call applied.
 * Returns MOBID_ERR_INVALID_ARG for an unordered list, or the failing migration's
 * store error (earlier migrations stay applied; the failing one leaves no trace). */
MOBID_MUST_CHECK mobid_err mobid_store_migrate(mobid_store *s, const char *component,
                                               const mobid_store_migration *list, size_t n,
                                               size_t *applied);

/* Highest applied version of component (0 when none). */
MOBID_MUST_CHECK mobid_err mobid_store_schema_version(mobid_store *s, const char *component,
                                                      int64_t *version);

/* ---- backup and restore (SQLite) ---- */

/* Write a consistent copy of the whole database of s into a new file path (created
 * 0600; an existing file is refused with MOBID_ERR_IO), online: SQLite's backup API
 * reads one snapshot while other connections go on writing. The copy is a plain
 * database file (rollback journal, no -wal). s must not be in a transaction.
 * Returns MOBID_ERR_UNSUPPORTED for PostgreSQL (use pg_dump; docs/operations.md),
 * MOBID_ERR_IO, MOBID_SVC_ERR_STORE (mobid_store_errmsg tells why; the file is removed). */
MOBID_MUST_CHECK mobid_err mobid_store_backup(mobid_store *s, const char *path);

/* Replace the whole database of s with the database file path (a backup), page by
 * page under the write lock. Other processes using the database must be stopped
 * first: their connections would keep reading cached pages. Same errors as
 * mobid_store_backup; MOBID_SVC_ERR_STORE_RETRY when the write lock could not be had. */
MOBID_MUST_CHECK mobid_err mobid_store_restore(mobid_store *s, const char *path);

/* ---- connection pool (thread-safe) ---- */

typedef struct mobid_store_pool mobid_store_pool;

/* A pool of at most max connections (0 = 8) to url (copied), opened lazily. The first
 * connection is opened here so a bad URL fails early. Free with mobid_store_pool_free
 * after every connection was released. */
MOBID_MUST_CHECK mobid_err mobid_store_pool_new(const char *url, unsigned max,
                                                mobid_store_pool **out);
void mobid_store_pool_free(mobid_store_pool *p);

/* Borrow a connection, waiting while all max are in use. The caller gives it back
 * with mobid_store_pool_release (no open transaction, statements finalized). */
MOBID_MUST_CHECK mobid_err mobid_store_pool_acquire(mobid_store_pool *p, mobid_store **out);
/* Give a connection back. An open transaction is rolled back; a connection that
 * failed (broken PostgreSQL link) is closed and reopened on a later acquire. */
void mobid_store_pool_release(mobid_store_pool *p, mobid_store *s);

/* ---- notifications between instances (PostgreSQL LISTEN/NOTIFY) ---- */

typedef struct mobid_store_listener mobid_store_listener;

/* Called on the listener's thread with the payload of each NOTIFY on the channel
 * (valid during the call), or with NULL after the link was lost and reopened, when
 * notifications may have been missed. */
typedef void (*mobid_store_notify_fn)(void *ctx, const char *payload);

/* LISTEN on channel over a connection of its own to url (copied), on a thread of its
 * own, until mobid_store_listen_stop. Senders use pg_notify(channel, payload) in the
 * statement or transaction that makes the change, so it arrives after the commit.
 * Returns MOBID_ERR_UNSUPPORTED for a URL that is not PostgreSQL (one SQLite file
 * serves one instance), MOBID_SVC_ERR_STORE when the first connection fails, NOMEM. */
MOBID_MUST_CHECK mobid_err mobid_store_listen_start(const char *url, const char *channel,
                                                    mobid_store_notify_fn fn, void *ctx,
                                                    mobid_store_listener **out);
/* Stop listening and join the thread. Safe on NULL. */
void mobid_store_listen_stop(mobid_store_listener *l);

/* Translate $n parameters to SQLite's ?n outside quotes and comments (exposed for
 * tests). Returns a heap string (free with free()) or NULL on allocation failure. */
char *mobid_store_sql_to_sqlite(const char *sql);

#ifdef __cplusplus
}
#endif
#endif
