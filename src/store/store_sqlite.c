/* src/store: the SQLite backend (WAL, group commit, foreign keys, busy timeout).
 *
 * Durability: a file database runs with synchronous=NORMAL, so COMMIT appends to the
 * WAL without an fsync and releases the write lock at once; before the statement
 * that committed returns, the committing thread waits in group_sync_wait() for an
 * fsync of the WAL that began after its commit. The next writer takes the lock while
 * that fsync runs, and the commits that pile up meanwhile share the next one. A
 * commit is reported only once durable, so a SIGKILL or a power loss loses nothing
 * that was acknowledged; NORMAL keeps the WAL consistent either way, and other
 * connections may read a commit a few milliseconds before it is durable. A deferred
 * commit (mobid_store_defer_commit) skips the wait: its frames reach the disk with the
 * next sync of the group, or with a checkpoint, which syncs the WAL first.
 */
#include "store/store_internal.h"
#include "store/group_sync.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* How long a writer waits for another's lock before MOBID_SVC_ERR_STORE_RETRY. */
#define SQLITE_BUSY_MS 5000

/* Checkpoint once the WAL holds this many frames (64 MB of 4 KB pages; SQLite's default
 * is 1 000). A checkpoint copies each page once however often it was written, reads
 * it back from the WAL to do so, and costs two fsyncs: at 4 000 frames (from 1 000)
 * the verifier's fsyncs per verification went from 0.46-0.55 to 0.33-0.37, and at
 * 16 000 to 0.22-0.24, with about 0.7 fewer page reads and writes each
 * (docs/benchmarks.md). The WAL file keeps the size it reached. */
#define SQLITE_CHECKPOINT_FRAMES 16000


/* Finalized statements kept for reuse per connection: a service runs the same few
 * SQL texts over and over, and parsing them again cost about a fifth of the verifier's
 * CPU per verification (2.0 ms with, 1.6 ms without, docs/benchmarks.md). */
#define STMT_CACHE 16

typedef struct sqlite_stmt {
    mobid_store_stmt base;
    sqlite3_stmt *st;
    char *sql; /* the text as given to prepare (the cache's key); NULL: not cached */
} sqlite_stmt;

typedef struct sqlite_store {
    mobid_store base;
    sqlite3 *db;
    group_sync *group; /* NULL for an in-memory database */
    bool unsynced;     /* a commit happened that was not yet made durable */
    unsigned ncached;
    sqlite_stmt *cached[STMT_CACHE]; /* reset, bindings cleared; oldest first */
    sqlite3_stmt *tx_stmts[3];       /* BEGIN IMMEDIATE, COMMIT, ROLLBACK (tx_sql) */
} sqlite_store;

/* Run on every transaction: prepared once per connection rather than parsed again by
 * sqlite3_exec each time. */
static const char *const tx_sql[3] = { "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK" };

static sqlite3 *db_of(mobid_store *s)
{
    return ((sqlite_store *)s)->db;
}

static sqlite3_stmt *st_of(const mobid_store_stmt *st)
{
    return ((const sqlite_stmt *)st)->st;
}

/* Map an SQLite result code to a mobid error and keep the message. */
static mobid_err sq_err(mobid_store *s, int rc)
{
    store_set_error(s, "sqlite: %s", sqlite3_errmsg(db_of(s)));
    switch (rc & 0xff) { /* extended codes are on: compare the primary code */
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return MOBID_SVC_ERR_STORE_RETRY;
    case SQLITE_NOMEM:
        return MOBID_ERR_NOMEM;
    case SQLITE_CONSTRAINT: {
        int ext = rc != SQLITE_CONSTRAINT ? rc : sqlite3_extended_errcode(db_of(s));
        if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
            return MOBID_SVC_ERR_STORE_CONFLICT;
        return MOBID_SVC_ERR_STORE;
    }
    default:
        return MOBID_SVC_ERR_STORE;
    }
}

static void stmt_free(sqlite_stmt *st)
{
    sqlite3_finalize(st->st);
    mobid_free(st->sql);
    mobid_free(st);
}

static void sq_close(mobid_store *s)
{
    sqlite_store *q = (sqlite_store *)s;
    for (unsigned i = 0; i < q->ncached; i++)
        stmt_free(q->cached[i]);
    for (unsigned i = 0; i < 3; i++)
        sqlite3_finalize(q->tx_stmts[i]);
    sqlite3_close(q->db);
    group_sync_put(q->group);
    mobid_free(s);
}

/* The group's sync, run by the leader with its own connection: fsync its WAL file,
 * which is the one file every connection of this process appends to. */
static int wal_fsync(void *ctx)
{
    sqlite3_file *wal = NULL;
    int rc = sqlite3_file_control(ctx, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal);
    if (rc != SQLITE_OK || !wal || !wal->pMethods)
        return rc != SQLITE_OK ? rc : SQLITE_IOERR;
    return wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL);
}

/* Make this connection's last commit durable (see the top of the file). */
static int make_durable(sqlite_store *s)
{
    if (!s->unsynced || !s->group)
        return SQLITE_OK;
    s->unsynced = false;
    return group_sync_wait(s->group, wal_fsync, s->db);
}

/* Before each commit: note that a sync is owed, unless the commit is deferred
 * (mobid_store_defer_commit): then it returns without one, and the next sync of the
 * group, which a durable commit or a checkpoint makes, covers its frames, written
 * earlier to the same WAL. */
static int on_commit(void *ctx)
{
    sqlite_store *s = ctx;
    if (s->base.defer_commit)
        group_sync_deferred(s->group);
    else
        s->unsynced = true;
    return 0;
}

/* After each commit to the WAL, before the statement returns: wait for durability,
 * then do what SQLite's default hook does (this hook replaces it). */
static int on_wal(void *ctx, sqlite3 *db, const char *name, int frames)
{
    int rc = make_durable(ctx);
    if (rc == SQLITE_OK && frames >= SQLITE_CHECKPOINT_FRAMES)
        (void)sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return rc;
}

/* An autocommit statement reset or finalized before it ran to the end (an UPDATE ...
 * RETURNING whose rows were not all read) commits there, and SQLite calls no WAL hook
 * for it. The caller has no error to receive, so a failed sync is said on stderr and
 * the connection is marked broken; step such statements to the end to get it. */
static void durable_after_halt(mobid_store *s)
{
    if (make_durable((sqlite_store *)s) != SQLITE_OK) {
        fprintf(stderr, "mobid: sqlite: a commit could not be made durable (fsync failed)\n");
        s->broken = true;
    }
}

/* One of tx_sql, from the connection's prepared copy; -1 when sql is not one of them. */
static int exec_tx_stmt(sqlite_store *q, const char *sql)
{
    unsigned i = 0;
    while (i < 3 && strcmp(sql, tx_sql[i]))
        i++;
    if (i == 3)
        return -1;
    int rc = SQLITE_OK;
    if (!q->tx_stmts[i])
        rc = sqlite3_prepare_v3(q->db, tx_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &q->tx_stmts[i],
                                NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(q->tx_stmts[i]);
        sqlite3_reset(q->tx_stmts[i]); /* not left running: a COMMIT would see it busy */
    }
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static mobid_err sq_exec(mobid_store *s, const char *sql)
{
    int tx = exec_tx_stmt((sqlite_store *)s, sql);
    if (tx >= 0)
        return tx == SQLITE_OK ? MOBID_OK : sq_err(s, tx);
    char *translated = mobid_store_sql_to_sqlite(sql);
    if (!translated)
        return MOBID_ERR_NOMEM;
    int rc = sqlite3_exec(db_of(s), translated, NULL, NULL, NULL);
    mobid_free(translated);
    return rc == SQLITE_OK ? MOBID_OK : sq_err(s, rc);
}

/* Take a cached statement for exactly this text, or NULL. */
static sqlite_stmt *cache_take(sqlite_store *q, const char *sql)
{
    for (unsigned i = q->ncached; i-- > 0;) {
        sqlite_stmt *st = q->cached[i];
        if (strcmp(st->sql, sql))
            continue;
        memmove(&q->cached[i], &q->cached[i + 1], (q->ncached - i - 1) * sizeof *q->cached);
        q->ncached--;
        st->base.done = false;
        st->base.changes = 0;
        return st;
    }
    return NULL;
}

/* Keep a statement that ran (reset already) for the next prepare of its text,
 * finalizing the oldest when the cache is full. */
static void cache_put(sqlite_store *q, sqlite_stmt *st)
{
    if (!st->sql) {
        stmt_free(st);
        return;
    }
    sqlite3_clear_bindings(st->st);
    if (q->ncached == STMT_CACHE) {
        stmt_free(q->cached[0]);
        memmove(&q->cached[0], &q->cached[1], (STMT_CACHE - 1) * sizeof *q->cached);
        q->ncached--;
    }
    q->cached[q->ncached++] = st;
}

static mobid_err sq_prepare(mobid_store *s, const char *sql, mobid_store_stmt **out)
{
    sqlite_stmt *st = cache_take((sqlite_store *)s, sql);
    if (st) {
        *out = &st->base;
        return MOBID_OK;
    }
    char *translated = mobid_store_sql_to_sqlite(sql);
    mobid_err err = MOBID_ERR_NOMEM;
    if (!translated)
        goto done;
    st = mobid_calloc(1, sizeof *st);
    if (!st)
        goto done;
    st->base.s = s;
    st->sql = mobid_view_strdup(mobid_view_str(sql)); /* NULL: used once, not cached */
    int rc = sqlite3_prepare_v3(db_of(s), translated, -1, SQLITE_PREPARE_PERSISTENT, &st->st,
                                NULL);
    if (rc != SQLITE_OK || !st->st) {
        err = rc == SQLITE_OK ? MOBID_ERR_INVALID_ARG : sq_err(s, rc);
        if (rc == SQLITE_OK)
            store_set_error(s, "sqlite: empty statement");
        goto done;
    }
    *out = &st->base;
    st = NULL;
    err = MOBID_OK;
done:
    if (st)
        stmt_free(st);
    mobid_free(translated);
    return err;
}

static mobid_err sq_bind(mobid_store_stmt *base, int idx, char type, mobid_view v, int64_t i)
{
    sqlite3_stmt *st = st_of(base);
    if (idx > sqlite3_bind_parameter_count(st))
        return MOBID_ERR_INVALID_ARG;
    static const char empty[1] = "";
    const void *p = v.ptr ? (const void *)v.ptr : (const void *)empty;
    int rc;
    switch (type) {
    case 't':
        rc = sqlite3_bind_text64(st, idx, p, v.len, SQLITE_TRANSIENT, SQLITE_UTF8);
        break;
    case 'b':
        rc = sqlite3_bind_blob64(st, idx, p, v.len, SQLITE_TRANSIENT);
        break;
    case 'i':
        rc = sqlite3_bind_int64(st, idx, i);
        break;
    default:
        rc = sqlite3_bind_null(st, idx);
        break;
    }
    if (rc == SQLITE_MISUSE)
        return MOBID_ERR_INVALID_ARG; /* bound while running: reset first */
    return rc == SQLITE_OK ? MOBID_OK : sq_err(base->s, rc);
}

static mobid_err sq_step(mobid_store_stmt *base, bool *row)
{
    int rc = sqlite3_step(st_of(base));
    if (rc == SQLITE_ROW) {
        *row = true;
        return MOBID_OK;
    }
    if (rc == SQLITE_DONE) {
        base->done = true;
        base->changes = sqlite3_changes64(db_of(base->s));
        return MOBID_OK;
    }
    mobid_err err = sq_err(base->s, rc);
    sqlite3_reset(st_of(base));
    base->done = true;
    return err;
}

static mobid_err sq_reset(mobid_store_stmt *base)
{
    /* sqlite3_reset repeats the last step's error; that error was already reported. */
    sqlite3_reset(st_of(base));
    durable_after_halt(base->s);
    return MOBID_OK;
}

static void sq_finalize(mobid_store_stmt *base)
{
    mobid_store *s = base->s;
    sqlite3_reset(st_of(base)); /* an autocommit statement halted early commits here */
    durable_after_halt(s);
    cache_put((sqlite_store *)s, (sqlite_stmt *)base);
}

static bool sq_col_null(const mobid_store_stmt *st, int col)
{
    return sqlite3_column_type(st_of(st), col) == SQLITE_NULL;
}

static int64_t sq_col_int64(const mobid_store_stmt *st, int col)
{
    return sqlite3_column_int64(st_of(st), col);
}

static mobid_view sq_col_text(mobid_store_stmt *st, int col)
{
    const unsigned char *p = sqlite3_column_text(st_of(st), col);
    return mobid_view_make(p, p ? (size_t)sqlite3_column_bytes(st_of(st), col) : 0);
}

static mobid_view sq_col_blob(mobid_store_stmt *st, int col)
{
    const void *p = sqlite3_column_blob(st_of(st), col);
    return mobid_view_make(p, p ? (size_t)sqlite3_column_bytes(st_of(st), col) : 0);
}

static int sq_col_count(const mobid_store_stmt *st)
{
    return sqlite3_column_count(st_of(st));
}

/* Nothing to take: each step runs under BEGIN IMMEDIATE, which already lets one writer
 * at a time check schema_migrations and apply. */
static mobid_err sq_migrate_lock(mobid_store *s, bool lock)
{
    return MOBID_OK;
}

static const store_ops sqlite_ops = {
    .close = sq_close,
    .exec = sq_exec,
    .prepare = sq_prepare,
    .bind = sq_bind,
    .step = sq_step,
    .reset = sq_reset,
    .finalize = sq_finalize,
    .col_null = sq_col_null,
    .col_int64 = sq_col_int64,
    .col_text = sq_col_text,
    .col_blob = sq_col_blob,
    .col_count = sq_col_count,
    /* the write lock at BEGIN: two deferred transactions that read and then write can
     * each wait on the other, a busy that no timeout resolves */
    .begin_sql = "BEGIN IMMEDIATE",
    .migrate_lock = sq_migrate_lock,
    .name = "sqlite",
};

/* A file database commits with synchronous=NORMAL and syncs in groups. */
static mobid_err group_commit(sqlite_store *s)
{
    const char *file = sqlite3_db_filename(s->db, "main");
    s->group = group_sync_get(file && *file ? file : "");
    if (!s->group)
        return MOBID_ERR_NOMEM;
    sqlite3_commit_hook(s->db, on_commit, s);
    sqlite3_wal_hook(s->db, on_wal, s);
    /* No memory mapping of the database file (mmap_size stays 0): every commit of
     * another connection makes SQLite unmap a connection's whole mapping at its next
     * read, an munmap that interrupts the other CPU to flush its TLB, and the pages the
     * services read are nearly all still in the WAL, which is read with pread anyway
     * (docs/benchmarks.md). */
    return sq_exec(&s->base, "PRAGMA synchronous=NORMAL");
}

/* journal_mode answers with a row, so it is read rather than exec'd blindly. */
static mobid_err configure(sqlite_store *s, bool memory)
{
    mobid_err err = MOBID_OK;
    sqlite3_busy_timeout(s->db, SQLITE_BUSY_MS);
    if (!memory) {
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
        if (rc == SQLITE_OK)
            rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) {
            err = sq_err(&s->base, rc);
        } else if (sqlite3_stricmp((const char *)sqlite3_column_text(st, 0), "wal") != 0) {
            store_set_error(&s->base, "sqlite: cannot switch to WAL mode");
            err = MOBID_SVC_ERR_STORE;
        }
        sqlite3_finalize(st);
    }
    if (err == MOBID_OK)
        err = sq_exec(&s->base, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON");
    if (err == MOBID_OK && !memory)
        err = group_commit(s);
    return err;
}

/* Create the file owner-only before SQLite does (it would follow the umask); the
 * -wal and -shm files then inherit its mode. */
static void create_private(const char *path)
{
    if (!strcmp(path, ":memory:") || !strncmp(path, "file:", 5))
        return;
    /* O_EXCL: only a file that does not exist yet is created (and closed). Opening and
     * closing an existing database here would drop every POSIX lock this process holds
     * on it, through its other live connections, and let another process reset the WAL
     * under them. SQLite gives the -wal and -shm files the database file's mode. */
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0)
        close(fd);
}

mobid_err store_sqlite_open(const char *path, mobid_store **out)
{
    sqlite_store *s = mobid_calloc(1, sizeof *s);
    mobid_err err = MOBID_ERR_NOMEM;
    if (!s)
        goto done;
    s->base.ops = &sqlite_ops;
    s->base.kind = MOBID_STORE_SQLITE;
    create_private(path);
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(path, &s->db, flags, NULL);
    if (rc != SQLITE_OK) {
        fprintf(stderr, "mobid: cannot open sqlite:%s: %s\n", path,
                s->db ? sqlite3_errmsg(s->db) : "out of memory");
        err = MOBID_SVC_ERR_STORE;
        goto done;
    }
    sqlite3_extended_result_codes(s->db, 1);
    err = configure(s, !strcmp(path, ":memory:"));
    if (err != MOBID_OK) {
        fprintf(stderr, "mobid: sqlite:%s: %s\n", path, s->base.errmsg);
        goto done;
    }
    *out = &s->base;
    s = NULL;
done:
    if (s) {
        sqlite3_close(s->db);
        group_sync_put(s->group);
        mobid_free(s);
    }
    return err;
}

/* Copy every page of src's main database into dst's, in one step: the source is read
 * under one read transaction (a consistent snapshot; in WAL mode writers go on), the
 * destination is written under its write lock. Busy or locked pages are retried for
 * as long as the busy timeout would wait. */
static int sq_copy(sqlite3 *dst, sqlite3 *src)
{
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
    int rc, waited = 0;

    if (!b)
        return sqlite3_errcode(dst);
    do {
        rc = sqlite3_backup_step(b, -1);
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
            /* the backup API has no busy handler of its own: poll, bounded by the
             * same budget a writer would wait */
            sqlite3_sleep(20);
            waited += 20;
        }
    } while ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && waited < SQLITE_BUSY_MS);
    int fin = sqlite3_backup_finish(b);
    return rc == SQLITE_DONE ? fin : rc;
}

/* A self-contained backup file: no -wal beside it once closed. */
static mobid_err sq_backup_to(mobid_store *s, const char *path)
{
    sqlite3 *dst = NULL;
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    mobid_err err = MOBID_OK;

    if (fd < 0) {
        store_set_error(s, "backup: cannot create %s (it must not exist yet)", path);
        return MOBID_ERR_IO;
    }
    close(fd);
    int rc = sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK)
        rc = sq_copy(dst, db_of(s));
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        store_set_error(s, "backup: %s", dst ? sqlite3_errmsg(dst) : "out of memory");
        err = MOBID_SVC_ERR_STORE;
    }
    sqlite3_close(dst);
    if (err != MOBID_OK)
        unlink(path);
    return err;
}

mobid_err mobid_store_backup(mobid_store *s, const char *path)
{
    if (!s || !path)
        return MOBID_ERR_INVALID_ARG;
    if (s->kind != MOBID_STORE_SQLITE || s->in_tx)
        return MOBID_ERR_UNSUPPORTED;
    return sq_backup_to(s, path);
}

mobid_err mobid_store_restore(mobid_store *s, const char *path)
{
    sqlite3 *src = NULL;
    mobid_err err = MOBID_OK;

    if (!s || !path)
        return MOBID_ERR_INVALID_ARG;
    if (s->kind != MOBID_STORE_SQLITE || s->in_tx)
        return MOBID_ERR_UNSUPPORTED;
    int rc = sqlite3_open_v2(path, &src, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK)
        rc = sq_copy(db_of(s), src);
    if (rc != SQLITE_OK) {
        store_set_error(s, "restore: %s", src ? sqlite3_errmsg(src) : "out of memory");
        err = sq_err(s, rc) == MOBID_SVC_ERR_STORE_RETRY ? MOBID_SVC_ERR_STORE_RETRY : MOBID_SVC_ERR_STORE;
    }
    sqlite3_close(src);
    return err;
}
