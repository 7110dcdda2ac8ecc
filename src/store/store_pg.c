/* src/store: the PostgreSQL backend (libpq, text results, binary blob parameters). */
#include "store/store_internal.h"

#include <libpq-fe.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Type OIDs from pg_type.h (stable across server versions). */
/* (libpq ships no client header for them: catalog/pg_type_d.h is the server's.) */
#define PG_OID_BYTEA 17
#define PG_OID_INT8 20
#define PG_OID_BOOL 16

/* Advisory lock key that serializes migrations: "mobid" in ASCII. */
#define PG_MIGRATE_LOCK "SELECT pg_advisory_lock(465541917028)"
#define PG_MIGRATE_UNLOCK "SELECT pg_advisory_unlock(465541917028)"

#define PG_BEGIN "BEGIN ISOLATION LEVEL SERIALIZABLE"

/* Turns synchronous_commit off until the end of the current transaction; run before a
 * deferred autocommit statement in the same pipeline, whose messages up to the Sync are
 * one implicit transaction. A function call, not SET LOCAL: SET LOCAL outside an
 * explicit BEGIN is documented to warn and do nothing. */
#define PG_DEFER_SQL "SELECT set_config('synchronous_commit', 'off', true)"

/* Server-side (named) statements kept per connection: a service runs the same few SQL
 * texts over and over, and PostgreSQL parsing and planning each one again was the
 * largest part of its CPU in the fleet benchmark (docs/benchmarks.md). Bounded: the
 * least recently used one is deallocated when a new text comes past this many. */
#define PG_STMT_CACHE 32

/* One prepared statement: its text and the parameter types it was prepared with (a
 * NULL bound later fits any type, so it needs no statement of its own). */
typedef struct pg_named {
    char *sql;
    int nparams;
    unsigned id; /* server-side name "mobid_<id>", unique on this connection */
    Oid types[];
} pg_named;

typedef struct pg_store {
    mobid_store base;
    PGconn *conn;
    unsigned next_id;
    unsigned nnamed;
    pg_named *named[PG_STMT_CACHE]; /* least recently used first */
    /* The server may hold statements this list no longer names (they were reported
     * gone, or a DEALLOCATE failed): DEALLOCATE ALL before the next prepare outside a
     * transaction. */
    bool stale;
    bool begin_pending; /* BEGIN goes with the next statement (pg_exec) */
    unsigned defer_id;  /* "mobid_<id>" is PG_DEFER_SQL on the server; 0: not prepared */
} pg_store;

typedef struct pg_stmt {
    mobid_store_stmt base;
    char *sql;
    int nparams;
    char *values[STORE_MAX_PARAMS];
    int lengths[STORE_MAX_PARAMS];
    int formats[STORE_MAX_PARAMS];
    Oid types[STORE_MAX_PARAMS];
    PGresult *res;
    int row;
    unsigned char *unescaped; /* bytea of the last col_blob call */
} pg_stmt;

static PGconn *conn_of(mobid_store *s)
{
    return ((pg_store *)s)->conn;
}

/* Map a failed result to a mobid error; NULL res means the connection failed. */
static mobid_err pg_err(mobid_store *s, const PGresult *res)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(conn_of(s));
    store_set_error(s, "postgres: %s%s%s", state ? state : "", state ? " " : "",
                    msg && *msg ? msg : "connection failed");
    if (PQstatus(conn_of(s)) != CONNECTION_OK)
        s->broken = true;
    if (!state)
        return MOBID_SVC_ERR_STORE;
    /* 23505: a unique key another writer holds. Serialization failure, deadlock and
     * lock-not-available are transient: the whole transaction may simply run again. */
    if (!strcmp(state, "23505"))
        return MOBID_SVC_ERR_STORE_CONFLICT;
    if (!strcmp(state, "40001") || !strcmp(state, "40P01") || !strcmp(state, "55P03"))
        return MOBID_SVC_ERR_STORE_RETRY;
    return MOBID_SVC_ERR_STORE;
}

static void forget_named(pg_store *p)
{
    for (unsigned i = 0; i < p->nnamed; i++) {
        mobid_free(p->named[i]->sql);
        mobid_free(p->named[i]);
    }
    p->nnamed = 0;
    p->defer_id = 0;
}

static void pg_close(mobid_store *s)
{
    forget_named((pg_store *)s);
    PQfinish(conn_of(s));
    mobid_free(s);
}

/* Run sql (one or more statements, no parameters) in one round trip. */
static mobid_err simple_exec(mobid_store *s, const char *sql)
{
    PGresult *res = PQexec(conn_of(s), sql);
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    mobid_err err = MOBID_OK;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        err = pg_err(s, res);
    PQclear(res);
    return err;
}

/* BEGIN is not sent on its own: it waits for the transaction's first statement and
 * goes in the same round trip (each round trip wakes the server's backend and the
 * caller's thread once more). A transaction that ran nothing sends nothing. The
 * snapshot of a SERIALIZABLE transaction is taken at its first statement anyway. */
static mobid_err pg_exec(mobid_store *s, const char *sql)
{
    pg_store *p = (pg_store *)s;
    if (!strcmp(sql, PG_BEGIN)) {
        p->begin_pending = true;
        return MOBID_OK;
    }
    if (!p->begin_pending)
        return simple_exec(s, sql);
    if (!strcmp(sql, "COMMIT") || !strcmp(sql, "ROLLBACK")) {
        p->begin_pending = false;
        return MOBID_OK;
    }
    size_t n = sizeof PG_BEGIN + 2 + strlen(sql);
    char *both = mobid_malloc(n);
    if (!both)
        return MOBID_ERR_NOMEM; /* BEGIN still pending */
    p->begin_pending = false;
    snprintf(both, n, "%s; %s", PG_BEGIN, sql);
    mobid_err err = simple_exec(s, both);
    mobid_free(both);
    return err;
}

static void clear_result(pg_stmt *st)
{
    PQclear(st->res);
    st->res = NULL;
    st->row = -1;
    if (st->unescaped)
        PQfreemem(st->unescaped);
    st->unescaped = NULL;
}

static mobid_err pg_prepare(mobid_store *s, const char *sql, mobid_store_stmt **out)
{
    int nparams = store_max_param(sql);
    if (nparams > STORE_MAX_PARAMS) {
        store_set_error(s, "too many parameters");
        return MOBID_ERR_INVALID_ARG;
    }
    pg_stmt *st = mobid_calloc(1, sizeof *st);
    if (!st || !(st->sql = mobid_view_strdup(mobid_view_str(sql)))) {
        mobid_free(st);
        return MOBID_ERR_NOMEM;
    }
    st->base.s = s;
    st->nparams = nparams;
    st->row = -1;
    *out = &st->base;
    return MOBID_OK;
}

static mobid_err pg_bind(mobid_store_stmt *base, int idx, char type, mobid_view v, int64_t i)
{
    pg_stmt *st = (pg_stmt *)base;
    if (idx > st->nparams || st->res)
        return MOBID_ERR_INVALID_ARG;
    char num[24];
    int k = idx - 1;
    if (type == 'i') {
        snprintf(num, sizeof num, "%" PRId64, i);
        v = mobid_view_str(num);
    }
    char *copy = NULL;
    if (type != 'n') {
        copy = mobid_malloc(v.len + 1);
        if (!copy)
            return MOBID_ERR_NOMEM;
        if (v.len)
            memcpy(copy, v.ptr, v.len);
        copy[v.len] = 0;
    }
    mobid_free(st->values[k]);
    st->values[k] = copy;
    st->lengths[k] = (int)v.len;
    /* blobs go in binary, exact bytes with no escaping; the rest as text, typed int8
     * or left for the server to infer from the column */
    st->formats[k] = type == 'b';
    st->types[k] = type == 'b' ? PG_OID_BYTEA : type == 'i' ? PG_OID_INT8 : 0;
    return MOBID_OK;
}

/* Rows changed: only INSERT/UPDATE/DELETE/MERGE count (not SELECT's row count). */
static int64_t changed_rows(const PGresult *res)
{
    const char *cmd = PQcmdStatus((PGresult *)res);
    if (strncmp(cmd, "INSERT", 6) && strncmp(cmd, "UPDATE", 6) && strncmp(cmd, "DELETE", 6) &&
        strncmp(cmd, "MERGE", 5))
        return 0;
    return strtoll(PQcmdTuples((PGresult *)res), NULL, 10);
}

/* ---- named statements ---- */

static void named_name(char out[24], unsigned id)
{
    snprintf(out, 24, "mobid_%u", id);
}

/* The statement prepared for st's text and parameter types, or NULL; it becomes the
 * most recently used. */
static pg_named *named_find(pg_store *p, const pg_stmt *st)
{
    for (unsigned i = p->nnamed; i-- > 0;) {
        pg_named *n = p->named[i];
        if (n->nparams != st->nparams || strcmp(n->sql, st->sql))
            continue;
        bool fits = true;
        for (int k = 0; k < st->nparams && fits; k++)
            fits = !st->values[k] || n->types[k] == st->types[k];
        if (!fits)
            continue;
        memmove(&p->named[i], &p->named[i + 1], (p->nnamed - i - 1) * sizeof *p->named);
        p->named[p->nnamed - 1] = n;
        return n;
    }
    return NULL;
}

/* Make room: deallocate the least recently used statement. */
static void named_evict(pg_store *p)
{
    pg_named *old = p->named[0];
    char name[24], sql[40];
    named_name(name, old->id);
    snprintf(sql, sizeof sql, "DEALLOCATE %s", name);
    PGresult *res = PQexec(p->conn, sql);
    if (!res || PQresultStatus(res) != PGRES_COMMAND_OK)
        p->stale = true; /* e.g. inside a failed transaction: all of them later */
    PQclear(res);
    mobid_free(old->sql);
    mobid_free(old);
    memmove(&p->named[0], &p->named[1], (p->nnamed - 1) * sizeof *p->named);
    p->nnamed--;
}

/* Prepare st's text with its parameter types under a new name. */
static mobid_err named_add(pg_store *p, const pg_stmt *st, pg_named **out)
{
    mobid_err err = MOBID_ERR_NOMEM;
    PGresult *res = NULL;
    pg_named *n = mobid_calloc(1, sizeof *n + (size_t)st->nparams * sizeof(Oid));
    if (!n || !(n->sql = mobid_view_strdup(mobid_view_str(st->sql))))
        goto done;
    n->nparams = st->nparams;
    memcpy(n->types, st->types, (size_t)st->nparams * sizeof(Oid));
    n->id = p->next_id++;
    if (p->stale && PQtransactionStatus(p->conn) == PQTRANS_IDLE &&
        simple_exec(&p->base, "DEALLOCATE ALL") == MOBID_OK) {
        forget_named(p);
        p->stale = false;
    }
    if (p->nnamed == PG_STMT_CACHE)
        named_evict(p);
    char name[24];
    named_name(name, n->id);
    res = PQprepare(p->conn, name, st->sql, st->nparams, st->types);
    if (!res || PQresultStatus(res) != PGRES_COMMAND_OK) {
        err = pg_err(&p->base, res);
        goto done;
    }
    p->named[p->nnamed++] = n;
    *out = n;
    n = NULL;
    err = MOBID_OK;
done:
    PQclear(res);
    if (n) {
        mobid_free(n->sql);
        mobid_free(n);
    }
    return err;
}

/* The server no longer has the statement (26000: someone ran DISCARD ALL or
 * DEALLOCATE, or a pooler moved the session), or cannot run it as prepared (its
 * result columns changed under it: a migration by another instance). */
static bool named_gone(const PGresult *res)
{
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    const char *fn = PQresultErrorField(res, PG_DIAG_SOURCE_FUNCTION);
    return state && (!strcmp(state, "26000") ||
                     (!strcmp(state, "0A000") && fn && !strcmp(fn, "RevalidateCachedQuery")));
}

/* The result of the next query of a pipeline (the NULL that ends it is read). */
static PGresult *pipeline_next(PGconn *c)
{
    PGresult *res = PQgetResult(c), *more;
    while (res && (more = PQgetResult(c)) != NULL)
        PQclear(more);
    return res;
}

/* Enter libpq's pipeline mode; false (and the connection dropped by the pool) when the
 * connection is not in a state to. */
static bool pipeline_enter(pg_store *p)
{
    if (PQenterPipelineMode(p->conn))
        return true;
    p->base.broken = true;
    store_set_error(&p->base, "postgres: cannot enter pipeline mode: %s", PQerrorMessage(p->conn));
    return false;
}

/* Statements without parameters around a prepared one, all in one round trip (pipeline
 * mode, entered by the caller): before[] first (SQL texts, or the names of statements
 * prepared without parameters when before_named), then st, then after (or NULL). The
 * first failure is the result (what followed it did not run); NULL when the connection
 * failed. */
static PGresult *pipelined(pg_store *p, const char *name, const pg_stmt *st,
                           const char *const *before, int nbefore, bool before_named,
                           const char *after)
{
    PGconn *c = p->conn;
    PGresult *res = NULL, *fail = NULL, *sync = NULL;
    bool lost = false;
    bool sent = true;
    for (int i = 0; sent && i < nbefore; i++)
        sent = before_named ? PQsendQueryPrepared(c, before[i], 0, NULL, NULL, NULL, 0)
                            : PQsendQueryParams(c, before[i], 0, NULL, NULL, NULL, NULL, 0);
    sent = sent && PQsendQueryPrepared(c, name, st->nparams, (const char *const *)st->values,
                                       st->lengths, st->formats, 0);
    if (after)
        sent = sent && PQsendQueryParams(c, after, 0, NULL, NULL, NULL, NULL, 0);
    sent = sent && PQpipelineSync(c);
    for (int i = 0; sent && i < nbefore + 1 + (after != NULL); i++) {
        PGresult *r = pipeline_next(c);
        ExecStatusType t = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
        if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK && !fail && !lost) {
            fail = r; /* the ones after it come back PGRES_PIPELINE_ABORTED */
            lost = !r;
        } else if (i == nbefore && !fail && !lost) {
            res = r;
        } else {
            PQclear(r);
        }
    }
    sync = sent ? PQgetResult(c) : NULL;
    if (!sync || PQresultStatus(sync) != PGRES_PIPELINE_SYNC || !PQexitPipelineMode(c))
        p->base.broken = true; /* out of step with the server: the pool reopens it */
    PQclear(sync);
    if (fail || lost || !sent) {
        PQclear(res);
        return fail;
    }
    return res;
}

/* An autocommit statement whose commit need not wait for its WAL flush
 * (mobid_store_defer_commit): PG_DEFER_SQL, prepared once per connection, and the
 * statement in one pipeline, one implicit transaction at the autocommit isolation. Two
 * statements for the server where BEGIN, SET LOCAL and COMMIT around it made four,
 * and none of them parsed again. */
static PGresult *exec_deferred(pg_store *p, const char *name, const pg_stmt *st)
{
    char defer[24];
    if (!p->defer_id) {
        unsigned id = p->next_id++;
        named_name(defer, id);
        PGresult *r = PQprepare(p->conn, defer, PG_DEFER_SQL, 0, NULL);
        bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
        if (!ok)
            return r; /* its error is the statement's */
        PQclear(r);
        p->defer_id = id;
    }
    named_name(defer, p->defer_id);
    const char *const before[] = { defer };
    if (!pipeline_enter(p))
        return NULL;
    PGresult *res = pipelined(p, name, st, before, 1, true, NULL);
    if (PQtransactionStatus(p->conn) != PQTRANS_IDLE)
        (void)simple_exec(&p->base, "ROLLBACK"); /* not expected: the Sync ended it */
    return res;
}

static PGresult *exec_named(pg_store *p, const pg_named *n, const pg_stmt *st)
{
    char name[24];
    named_name(name, n->id);
    if (p->begin_pending) { /* BEGIN goes with the transaction's first statement */
        static const char *const before[] = { PG_BEGIN };
        if (!pipeline_enter(p))
            return NULL; /* BEGIN still pending: nothing runs outside the transaction */
        p->begin_pending = false;
        return pipelined(p, name, st, before, 1, false, NULL);
    }
    if (!p->base.in_tx && p->base.defer_commit)
        return exec_deferred(p, name, st);
    return PQexecPrepared(p->conn, name, st->nparams, (const char *const *)st->values,
                          st->lengths, st->formats, 0);
}

/* Run st as a named statement, preparing it on first use. When the server lost its
 * statements, all are forgotten: outside a transaction st is prepared and run again at
 * once; inside one (now aborted) the caller's transaction retries. */
static mobid_err run_named(pg_stmt *st)
{
    pg_store *p = (pg_store *)st->base.s;
    for (int attempt = 0;; attempt++) {
        pg_named *n = named_find(p, st);
        mobid_err err = n ? MOBID_OK : named_add(p, st, &n);
        if (err != MOBID_OK)
            return err;
        st->res = exec_named(p, n, st);
        ExecStatusType status = st->res ? PQresultStatus(st->res) : PGRES_FATAL_ERROR;
        if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
            return MOBID_OK;
        if (!st->res || !named_gone(st->res))
            return pg_err(&p->base, st->res);
        forget_named(p);
        p->stale = true;
        if (attempt || PQtransactionStatus(p->conn) != PQTRANS_IDLE) {
            (void)pg_err(&p->base, st->res); /* keep the message */
            return MOBID_SVC_ERR_STORE_RETRY;
        }
        PQclear(st->res);
        st->res = NULL;
    }
}

static mobid_err pg_step(mobid_store_stmt *base, bool *row)
{
    pg_stmt *st = (pg_stmt *)base;
    if (!st->res) {
        mobid_err err = run_named(st);
        if (err != MOBID_OK) {
            base->done = true;
            return err;
        }
        base->changes = changed_rows(st->res);
    }
    if (st->unescaped)
        PQfreemem(st->unescaped);
    st->unescaped = NULL;
    st->row++;
    if (st->row < PQntuples(st->res)) {
        *row = true;
        return MOBID_OK;
    }
    base->done = true;
    return MOBID_OK;
}

static mobid_err pg_reset(mobid_store_stmt *base)
{
    clear_result((pg_stmt *)base);
    return MOBID_OK;
}

static void pg_finalize(mobid_store_stmt *base)
{
    pg_stmt *st = (pg_stmt *)base;
    clear_result(st);
    for (int i = 0; i < STORE_MAX_PARAMS; i++)
        mobid_free(st->values[i]);
    mobid_free(st->sql);
    mobid_free(st);
}

static bool pg_has_row(const pg_stmt *st, int col)
{
    return st->res && st->row >= 0 && st->row < PQntuples(st->res) && col < PQnfields(st->res);
}

static bool pg_col_null(const mobid_store_stmt *base, int col)
{
    const pg_stmt *st = (const pg_stmt *)base;
    return !pg_has_row(st, col) || PQgetisnull(st->res, st->row, col);
}

static int64_t pg_col_int64(const mobid_store_stmt *base, int col)
{
    const pg_stmt *st = (const pg_stmt *)base;
    const char *v = PQgetvalue(st->res, st->row, col);
    if (PQftype(st->res, col) == PG_OID_BOOL)
        return v[0] == 't';
    return strtoll(v, NULL, 10);
}

static mobid_view pg_col_text(mobid_store_stmt *base, int col)
{
    pg_stmt *st = (pg_stmt *)base;
    return mobid_view_make(PQgetvalue(st->res, st->row, col),
                           (size_t)PQgetlength(st->res, st->row, col));
}

static mobid_view pg_col_blob(mobid_store_stmt *base, int col)
{
    pg_stmt *st = (pg_stmt *)base;
    if (PQftype(st->res, col) != PG_OID_BYTEA)
        return pg_col_text(base, col);
    if (st->unescaped)
        PQfreemem(st->unescaped);
    size_t n = 0;
    st->unescaped =
        PQunescapeBytea((const unsigned char *)PQgetvalue(st->res, st->row, col), &n);
    return mobid_view_make(st->unescaped, st->unescaped ? n : 0);
}

static int pg_col_count(const mobid_store_stmt *base)
{
    const pg_stmt *st = (const pg_stmt *)base;
    return st->res ? PQnfields(st->res) : 0;
}

static mobid_err pg_migrate_lock(mobid_store *s, bool lock)
{
    return simple_exec(s, lock ? PG_MIGRATE_LOCK : PG_MIGRATE_UNLOCK);
}

/* Inside a transaction: its COMMIT returns without waiting for the WAL flush; the
 * server flushes WAL in order, so the next synchronous commit (or the WAL writer)
 * makes it durable. An autocommit statement gets a transaction of its own with the same
 * SET LOCAL when it runs, in its one round trip (exec_deferred). */
static mobid_err pg_defer(mobid_store *s)
{
    return s->in_tx ? pg_exec(s, "SET LOCAL synchronous_commit TO OFF") : MOBID_OK;
}

static const store_ops pg_ops = {
    .close = pg_close,
    .exec = pg_exec,
    .prepare = pg_prepare,
    .bind = pg_bind,
    .step = pg_step,
    .reset = pg_reset,
    .finalize = pg_finalize,
    .col_null = pg_col_null,
    .col_int64 = pg_col_int64,
    .col_text = pg_col_text,
    .col_blob = pg_col_blob,
    .col_count = pg_col_count,
    .begin_sql = PG_BEGIN,
    .defer = pg_defer,
    .migrate_lock = pg_migrate_lock,
    .name = "postgres",
};

static void quiet_notices(void *arg, const char *message)
{
    (void)arg;
    (void)message; /* "relation already exists, skipping" and the like */
}

mobid_err store_pg_open(const char *url, mobid_store **out)
{
    pg_store *s = mobid_calloc(1, sizeof *s);
    mobid_err err = MOBID_ERR_NOMEM;
    if (!s)
        goto done;
    s->base.ops = &pg_ops;
    s->base.kind = MOBID_STORE_POSTGRES;
    s->conn = PQconnectdb(url);
    if (!s->conn || PQstatus(s->conn) != CONNECTION_OK) {
        fprintf(stderr, "mobid: cannot connect to PostgreSQL: %s",
                s->conn ? PQerrorMessage(s->conn) : "out of memory\n");
        err = MOBID_SVC_ERR_STORE;
        goto done;
    }
    PQsetNoticeProcessor(s->conn, quiet_notices, NULL);
    err = simple_exec(&s->base, "SET client_min_messages = warning");
    if (err != MOBID_OK)
        goto done;
    *out = &s->base;
    s = NULL;
done:
    if (s) {
        PQfinish(s->conn);
        mobid_free(s);
    }
    return err;
}
