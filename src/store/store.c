/* src/store: backend dispatch, transactions with retry, unique claims, $n translation. */
#include "store/store_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void store_set_error(mobid_store *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->errmsg, sizeof s->errmsg, fmt, ap);
    va_end(ap);
}

mobid_err mobid_store_open(const char *url, mobid_store **out)
{
    if (!url || !out)
        return MOBID_ERR_INVALID_ARG;
    *out = NULL;
    if (!strncmp(url, "sqlite:", 7))
        return url[7] ? store_sqlite_open(url + 7, out) : MOBID_ERR_INVALID_ARG;
    if (!strncmp(url, "postgres://", 11) || !strncmp(url, "postgresql://", 13))
        return store_pg_open(url, out);
    return MOBID_ERR_INVALID_ARG;
}

void mobid_store_close(mobid_store *s)
{
    if (!s)
        return;
    if (s->in_tx)
        (void)mobid_store_rollback(s);
    s->ops->close(s);
}

mobid_store_backend mobid_store_kind(const mobid_store *s)
{
    return s->kind;
}

const char *mobid_store_errmsg(const mobid_store *s)
{
    return s ? s->errmsg : "";
}

mobid_err mobid_store_exec(mobid_store *s, const char *sql)
{
    if (!s || !sql)
        return MOBID_ERR_INVALID_ARG;
    mobid_err err = s->ops->exec(s, sql);
    if (!s->in_tx)
        s->defer_commit = false;
    return err;
}

/* ---- statements: thin checks, then the backend ---- */

mobid_err mobid_store_prepare(mobid_store *s, const char *sql, mobid_store_stmt **out)
{
    if (!s || !sql || !out)
        return MOBID_ERR_INVALID_ARG;
    *out = NULL;
    return s->ops->prepare(s, sql, out);
}

static mobid_err bind_any(mobid_store_stmt *st, int idx, char type, mobid_view v, int64_t i)
{
    if (!st || idx < 1 || idx > STORE_MAX_PARAMS)
        return MOBID_ERR_INVALID_ARG;
    return st->s->ops->bind(st, idx, type, v, i);
}

mobid_err mobid_store_bind_text(mobid_store_stmt *st, int idx, mobid_view text)
{
    return bind_any(st, idx, 't', text, 0);
}

mobid_err mobid_store_bind_str(mobid_store_stmt *st, int idx, const char *text)
{
    if (!text)
        return bind_any(st, idx, 'n', mobid_view_make(NULL, 0), 0);
    return bind_any(st, idx, 't', mobid_view_str(text), 0);
}

mobid_err mobid_store_bind_int64(mobid_store_stmt *st, int idx, int64_t v)
{
    return bind_any(st, idx, 'i', mobid_view_make(NULL, 0), v);
}

mobid_err mobid_store_bind_blob(mobid_store_stmt *st, int idx, mobid_view blob)
{
    return bind_any(st, idx, 'b', blob, 0);
}

mobid_err mobid_store_bind_null(mobid_store_stmt *st, int idx)
{
    return bind_any(st, idx, 'n', mobid_view_make(NULL, 0), 0);
}

mobid_err mobid_store_step(mobid_store_stmt *st, bool *row)
{
    if (!st || !row)
        return MOBID_ERR_INVALID_ARG;
    *row = false;
    if (st->done)
        return MOBID_OK;
    return st->s->ops->step(st, row);
}

mobid_err mobid_store_reset(mobid_store_stmt *st)
{
    if (!st)
        return MOBID_ERR_INVALID_ARG;
    st->done = false;
    st->changes = 0;
    return st->s->ops->reset(st);
}

void mobid_store_finalize(mobid_store_stmt *st)
{
    if (!st)
        return;
    mobid_store *s = st->s;
    s->ops->finalize(st); /* an autocommit statement halted early commits here */
    if (!s->in_tx)
        s->defer_commit = false;
}

int64_t mobid_store_changes(const mobid_store_stmt *st)
{
    return st ? st->changes : 0;
}

int mobid_store_col_count(const mobid_store_stmt *st)
{
    return st ? st->s->ops->col_count(st) : 0;
}

bool mobid_store_col_null(const mobid_store_stmt *st, int col)
{
    return !st || col < 0 || col >= st->s->ops->col_count(st) || st->s->ops->col_null(st, col);
}

int64_t mobid_store_col_int64(const mobid_store_stmt *st, int col)
{
    return mobid_store_col_null(st, col) ? 0 : st->s->ops->col_int64(st, col);
}

mobid_view mobid_store_col_text(mobid_store_stmt *st, int col)
{
    if (mobid_store_col_null(st, col))
        return mobid_view_make(NULL, 0);
    return st->s->ops->col_text(st, col);
}

mobid_view mobid_store_col_blob(mobid_store_stmt *st, int col)
{
    if (mobid_store_col_null(st, col))
        return mobid_view_make(NULL, 0);
    return st->s->ops->col_blob(st, col);
}

char *mobid_store_col_strdup(mobid_store_stmt *st, int col)
{
    if (mobid_store_col_null(st, col))
        return NULL;
    mobid_view v = mobid_store_col_text(st, col);
    char *c = mobid_malloc(v.len + 1);
    if (c) {
        if (v.len)
            memcpy(c, v.ptr, v.len);
        c[v.len] = 0;
    }
    return c;
}

mobid_err mobid_store_query_int64(mobid_store *s, const char *sql, int64_t *out, bool *found)
{
    mobid_store_stmt *st = NULL;
    bool row = false;
    *out = 0;
    mobid_err err = mobid_store_prepare(s, sql, &st);
    if (err == MOBID_OK)
        err = mobid_store_step(st, &row);
    if (err == MOBID_OK && row)
        *out = mobid_store_col_int64(st, 0);
    if (found)
        *found = err == MOBID_OK && row;
    mobid_store_finalize(st);
    return err;
}

/* ---- transactions ---- */

mobid_err mobid_store_begin(mobid_store *s)
{
    if (!s || s->in_tx)
        return MOBID_ERR_INVALID_ARG;
    s->defer_commit = false; /* asked before BEGIN: not for this transaction */
    mobid_err err = s->ops->exec(s, s->ops->begin_sql);
    if (err == MOBID_OK)
        s->in_tx = true;
    return err;
}

mobid_err mobid_store_defer_commit(mobid_store *s)
{
    if (!s)
        return MOBID_ERR_INVALID_ARG;
    if (s->defer_commit)
        return MOBID_OK;
    mobid_err err = s->ops->defer ? s->ops->defer(s) : MOBID_OK;
    if (err == MOBID_OK)
        s->defer_commit = true;
    return err;
}

mobid_err mobid_store_commit(mobid_store *s)
{
    if (!s || !s->in_tx)
        return MOBID_ERR_INVALID_ARG;
    mobid_err err = s->ops->exec(s, "COMMIT");
    s->defer_commit = false;
    if (err != MOBID_OK) {
        /* SQLite keeps the transaction open after a failed COMMIT; PostgreSQL ends
         * it. Either way the caller sees it gone. */
        (void)s->ops->exec(s, "ROLLBACK");
    }
    s->in_tx = false;
    return err;
}

mobid_err mobid_store_rollback(mobid_store *s)
{
    if (!s || !s->in_tx)
        return MOBID_ERR_INVALID_ARG;
    s->in_tx = false;
    s->defer_commit = false;
    return s->ops->exec(s, "ROLLBACK");
}

bool mobid_store_in_tx(const mobid_store *s)
{
    return s && s->in_tx;
}

/* Sleep a random 1..(4·attempt) ms so racing writers spread out. */
static void backoff(unsigned attempt)
{
    static _Thread_local unsigned seed;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (!seed)
        seed = (unsigned)now.tv_nsec ^ (unsigned)(uintptr_t)&now;
    seed = seed * 1103515245u + 12345u;
    unsigned span = 4 * (attempt + 1);
    long ms = 1 + (long)((seed >> 8) % span);
    struct timespec d = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&d, NULL);
}

static mobid_err tx_once(mobid_store *s, mobid_store_tx_fn fn, void *ctx)
{
    mobid_err err = mobid_store_begin(s);
    if (err != MOBID_OK)
        return err;
    err = fn(s, ctx);
    if (err == MOBID_OK)
        return mobid_store_commit(s);
    (void)mobid_store_rollback(s);
    return err;
}

mobid_err mobid_store_tx(mobid_store *s, unsigned max_attempts, mobid_store_tx_fn fn, void *ctx)
{
    if (!s || !fn || s->in_tx)
        return MOBID_ERR_INVALID_ARG;
    if (!max_attempts)
        /* ten tries, backoff growing to 40 ms: about 0.2 s of sleep at most, then
         * STORE_RETRY reaches the client as 503 rather than a request that hangs */
        max_attempts = 10;
    mobid_err err = MOBID_SVC_ERR_STORE_RETRY;
    for (unsigned attempt = 0; attempt < max_attempts; attempt++) {
        if (attempt)
            backoff(attempt);
        err = tx_once(s, fn, ctx);
        if (err != MOBID_SVC_ERR_STORE_RETRY)
            break;
    }
    return err;
}

/* ---- unique claims ---- */

mobid_err mobid_store_claim(mobid_store *s, const char *insert_sql, unsigned max_attempts,
                            mobid_store_bind_fn bind, void *ctx)
{
    mobid_store_stmt *st = NULL;
    if (!bind || !max_attempts)
        return MOBID_ERR_INVALID_ARG;
    mobid_err err = mobid_store_prepare(s, insert_sql, &st);
    for (unsigned attempt = 0; err == MOBID_OK; attempt++) {
        if (attempt == max_attempts) {
            err = MOBID_ERR_LIMIT;
            break;
        }
        bool row = false;
        err = mobid_store_reset(st);
        if (err == MOBID_OK)
            err = bind(st, attempt, ctx);
        if (err == MOBID_OK)
            err = mobid_store_step(st, &row);
        while (err == MOBID_OK && row) /* an INSERT ... RETURNING: drain it */
            err = mobid_store_step(st, &row);
        if (err == MOBID_OK && mobid_store_changes(st) > 0)
            break;
    }
    mobid_store_finalize(st);
    return err;
}

/* ---- $n → ?n for SQLite ---- */

/* Length of a quoted run or comment starting at p, or 0 if p starts none. */
static size_t skip_quoted(const char *p)
{
    const char *q = p;
    if (*p == '\'' || *p == '"') {
        char end = *p;
        for (q++; *q; q++) {
            if (*q == end && q[1] == end)
                q++; /* doubled quote inside the literal */
            else if (*q == end)
                return (size_t)(q + 1 - p);
        }
        return (size_t)(q - p);
    }
    if (p[0] == '-' && p[1] == '-') {
        while (*q && *q != '\n')
            q++;
        return (size_t)(q - p);
    }
    if (p[0] == '/' && p[1] == '*') {
        const char *e = strstr(p + 2, "*/");
        return e ? (size_t)(e + 2 - p) : strlen(p);
    }
    return 0;
}

int store_max_param(const char *sql)
{
    int max = 0;
    for (const char *p = sql; *p;) {
        size_t k = skip_quoted(p);
        if (k) {
            p += k;
            continue;
        }
        if (*p == '$' && p[1] >= '0' && p[1] <= '9') {
            long n = strtol(p + 1, (char **)&p, 10);
            if (n > max)
                max = n > STORE_MAX_PARAMS ? STORE_MAX_PARAMS + 1 : (int)n;
            continue;
        }
        p++;
    }
    return max;
}

char *mobid_store_sql_to_sqlite(const char *sql)
{
    size_t n = strlen(sql);
    char *out = mobid_malloc(n + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (const char *p = sql; *p;) {
        size_t k = skip_quoted(p);
        if (k) {
            memcpy(out + o, p, k);
            o += k;
            p += k;
            continue;
        }
        bool param = *p == '$' && p[1] >= '0' && p[1] <= '9';
        out[o++] = param ? '?' : *p;
        p++;
    }
    out[o] = 0;
    return out;
}
