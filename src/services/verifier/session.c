/*
 * Verification sessions in the store. A session moves pending -> verified | failed
 * in one conditional UPDATE (the first response wins); "expired" is pending past
 * expires_at. "processing" is no longer written; a row left in it (by an older
 * version that crashed mid-answer) is failed by verifier_sessions_sweep. A
 * verification costs three commits, each one statement: create, answer, hand-over of
 * the claims. Only the hand-over waits for the disk (durable, for "claims delivered
 * once"); the other two are deferred (mobid_store_defer_commit): a power loss may
 * forget a session just created or an answer just recorded, and the citizen scans
 * again, but the hand-over's sync covers both, so claims that left were never
 * forgotten.
 * The ephemeral decryption key and the verified claims are sealed (AES-256-GCM,
 * the session id as AAD) so the database never holds them in clear.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "services/verifier/verifier.h"

static const mobid_store_migration migrations[] = {
    { 1,
      "CREATE TABLE verifier_sessions ("
      " id TEXT PRIMARY KEY, rp_id TEXT NOT NULL, status TEXT NOT NULL,"
      " error TEXT, detail TEXT, nonce TEXT NOT NULL, state TEXT NOT NULL,"
      " dcql TEXT NOT NULL, request_jwt TEXT NOT NULL, response_mode TEXT NOT NULL,"
      " enc_key BLOB, result BLOB, delivered INTEGER NOT NULL DEFAULT 0,"
      " created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, answered_at BIGINT);"
      "CREATE INDEX verifier_sessions_expiry ON verifier_sessions(expires_at);",
      "CREATE TABLE verifier_sessions ("
      " id TEXT PRIMARY KEY, rp_id TEXT NOT NULL, status TEXT NOT NULL,"
      " error TEXT, detail TEXT, nonce TEXT NOT NULL, state TEXT NOT NULL,"
      " dcql TEXT NOT NULL, request_jwt TEXT NOT NULL, response_mode TEXT NOT NULL,"
      " enc_key BYTEA, result BYTEA, delivered INTEGER NOT NULL DEFAULT 0,"
      " created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, answered_at BIGINT);"
      "CREATE INDEX verifier_sessions_expiry ON verifier_sessions(expires_at);" },
    /* v2: wrong answers so far (VERIFIER_RESPONSE_ATTEMPTS) */
    { 2, "ALTER TABLE verifier_sessions ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;", NULL },
    /* same-device flows (HAIP): where the wallet sends the user back, and the hash of
     * the one-time response code that the relying party must present for the result */
    { 3,
      "ALTER TABLE verifier_sessions ADD COLUMN redirect_uri TEXT;"
      "ALTER TABLE verifier_sessions ADD COLUMN response_code TEXT;",
      "ALTER TABLE verifier_sessions ADD COLUMN redirect_uri TEXT;"
      "ALTER TABLE verifier_sessions ADD COLUMN response_code TEXT;" },
};

mobid_err verifier_store_migrate(mobid_store *s)
{
    return mobid_store_migrate(s, "verifier", migrations,
                               sizeof migrations / sizeof migrations[0], NULL);
}

static mobid_err run(mobid_store *s, const char *sql, mobid_store_stmt **out)
{
    return mobid_store_prepare(s, sql, out);
}

mobid_err verifier_session_insert(mobid_store *s, const verifier_session *vs)
{
    mobid_store_stmt *st = NULL;
    bool row;
    mobid_err err = run(s,
                        "INSERT INTO verifier_sessions(id, rp_id, status, nonce, state, dcql,"
                        " request_jwt, response_mode, enc_key, created_at, expires_at,"
                        " redirect_uri)"
                        " VALUES ($1, $2, 'pending', $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                        &st);
    if (err)
        return err;
    (void)mobid_store_defer_commit(s); /* cannot fail outside a transaction */
    mobid_store_bind_str(st, 1, vs->id);
    mobid_store_bind_str(st, 2, vs->rp_id);
    mobid_store_bind_str(st, 3, vs->nonce);
    mobid_store_bind_str(st, 4, vs->state);
    mobid_store_bind_str(st, 5, vs->dcql);
    mobid_store_bind_str(st, 6, vs->request_jwt);
    mobid_store_bind_str(st, 7, vs->response_mode);
    if (vs->enc_key.len)
        mobid_store_bind_blob(st, 8, mobid_buf_view(&vs->enc_key));
    else
        mobid_store_bind_null(st, 8);
    mobid_store_bind_int64(st, 9, vs->created_at);
    mobid_store_bind_int64(st, 10, vs->expires_at);
    if (vs->redirect_uri)
        mobid_store_bind_str(st, 11, vs->redirect_uri);
    else
        mobid_store_bind_null(st, 11);
    err = mobid_store_step(st, &row);
    mobid_store_finalize(st);
    return err;
}

static mobid_err copy_row(mobid_store_stmt *st, verifier_session *o)
{
    char **cols[] = { &o->id,    &o->rp_id, &o->status, &o->error,       &o->detail,
                      &o->nonce, &o->state, &o->dcql,   &o->request_jwt, &o->response_mode };
    if ((!mobid_store_col_null(st, 15) && !(o->redirect_uri = mobid_store_col_strdup(st, 15))) ||
        (!mobid_store_col_null(st, 16) && !(o->response_code = mobid_store_col_strdup(st, 16))))
        return MOBID_ERR_NOMEM;
    for (int i = 0; i < 10; i++)
        if (!mobid_store_col_null(st, i) && !(*cols[i] = mobid_store_col_strdup(st, i)))
            return MOBID_ERR_NOMEM;
    mobid_buf_init(&o->enc_key, 0);
    mobid_buf_init(&o->result, 0);
    mobid_buf_append_view(&o->enc_key, mobid_store_col_blob(st, 10));
    mobid_buf_append_view(&o->result, mobid_store_col_blob(st, 11));
    o->delivered = mobid_store_col_int64(st, 12) != 0;
    o->created_at = mobid_store_col_int64(st, 13);
    o->expires_at = mobid_store_col_int64(st, 14);
    return o->enc_key.err ? o->enc_key.err : o->result.err;
}

mobid_err verifier_session_load(mobid_store *s, const char *id, verifier_session *out)
{
    mobid_store_stmt *st = NULL;
    bool row = false;
    mobid_err err;

    memset(out, 0, sizeof *out);
    err = run(s,
              "SELECT id, rp_id, status, error, detail, nonce, state, dcql, request_jwt,"
              " response_mode, enc_key, result, delivered, created_at, expires_at,"
              " redirect_uri, response_code FROM verifier_sessions WHERE id = $1",
              &st);
    if (err)
        return err;
    mobid_store_bind_str(st, 1, id);
    if (!(err = mobid_store_step(st, &row)))
        err = row ? copy_row(st, out) : MOBID_ERR_NOT_FOUND;
    mobid_store_finalize(st);
    if (err)
        verifier_session_clear(out);
    return err;
}

void verifier_session_clear(verifier_session *vs)
{
    char *strs[] = { vs->id,    vs->rp_id, vs->status, vs->error,       vs->detail,
                     vs->nonce, vs->state, vs->dcql,   vs->request_jwt, vs->response_mode };
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        free(strs[i]);
    free(vs->redirect_uri);
    free(vs->response_code);
    mobid_buf_free(&vs->enc_key);
    mobid_buf_free(&vs->result);
    memset(vs, 0, sizeof *vs);
}

/* code[44]: 32 random bytes are 43 characters of unpadded base64url, plus the NUL.
 * Only the code's hash is stored: a copy of the database gives no code that fetches a
 * result. */
mobid_err verifier_session_response_code(mobid_store *s, const char *id, char code[44])
{
    uint8_t raw[32], digest[MOBID_HASH_MAX];
    mobid_buf b64 = { 0 }, hex = { 0 };
    mobid_store_stmt *st = NULL;
    bool row = false;
    mobid_err err;

    mobid_buf_init(&b64, 0);
    mobid_buf_init(&hex, 0);
    if ((err = mobid_random(raw, sizeof raw)) ||
        (err = mobid_b64url_encode(mobid_view_make(raw, sizeof raw), &b64)) ||
        (err = mobid_hash(MOBID_HASH_SHA256, mobid_buf_view(&b64), digest)) ||
        (err = mobid_hex_encode(mobid_view_make(digest, 32), &hex)) ||
        (err = mobid_buf_terminate(&hex)) ||
        (err = run(s, "UPDATE verifier_sessions SET response_code = $2 WHERE id = $1", &st)))
        goto done;
    mobid_store_bind_str(st, 1, id);
    mobid_store_bind_str(st, 2, (const char *)hex.ptr);
    if (!(err = mobid_store_step(st, &row)))
        snprintf(code, 44, "%.*s", (int)b64.len, (const char *)b64.ptr);
done:
    mobid_store_finalize(st);
    mobid_buf_free(&b64);
    mobid_buf_free(&hex);
    mobid_wipe(raw, sizeof raw);
    return err;
}

bool verifier_response_code_ok(const verifier_session *vs, const char *code)
{
    uint8_t digest[MOBID_HASH_MAX];
    mobid_buf hex = { 0 };
    bool ok;
    if (!vs->response_code)
        return true;
    mobid_buf_init(&hex, 0);
    ok = code && mobid_hash(MOBID_HASH_SHA256, mobid_view_str(code), digest) == MOBID_OK &&
         mobid_hex_encode(mobid_view_make(digest, 32), &hex) == MOBID_OK &&
         mobid_ct_eq(mobid_buf_view(&hex), mobid_view_str(vs->response_code));
    mobid_buf_free(&hex);
    return ok;
}

/* Why an answer found no pending session: another response came first, or time is up. */
static mobid_err not_pending(mobid_store *s, const char *id)
{
    verifier_session vs;
    mobid_err err = verifier_session_load(s, id, &vs);
    if (err)
        return err;
    err = strcmp(vs.status, "pending") ? MOBID_SVC_ERR_SESSION_USED : MOBID_SVC_ERR_SESSION_EXPIRED;
    verifier_session_clear(&vs);
    return err;
}

/* One statement, one commit: only a pending, unexpired session takes the answer, so
 * exactly one response wins. On PostgreSQL the same statement notifies the other
 * instances (delivered at commit), whose parked long-polls then wake. */
mobid_err verifier_session_answer(mobid_store *s, const char *id, mobid_time now, mobid_err code,
                                  const char *detail, mobid_view sealed_result)
{
    static const char update[] =
        "UPDATE verifier_sessions SET status = $2, error = $3, detail = $4, result = $5,"
        " enc_key = NULL, answered_at = $6"
        " WHERE id = $1 AND status = 'pending' AND expires_at > $6 RETURNING id";
    char sql[512];
    mobid_store_stmt *st = NULL;
    bool row = false;
    if (mobid_store_kind(s) == MOBID_STORE_POSTGRES)
        snprintf(sql, sizeof sql, "WITH u AS (%s) SELECT pg_notify('%s', id) FROM u", update,
                 VERIFIER_CHANNEL);
    else
        snprintf(sql, sizeof sql, "%s", update);
    mobid_err err = run(s, sql, &st);
    if (err)
        return err;
    (void)mobid_store_defer_commit(s); /* the hand-over that follows is durable */
    mobid_store_bind_str(st, 1, id);
    mobid_store_bind_str(st, 2, code ? "failed" : "verified");
    mobid_store_bind_str(st, 3, code ? mobid_svc_err_name(code) : NULL);
    mobid_store_bind_str(st, 4, code ? detail : NULL);
    if (sealed_result.len)
        mobid_store_bind_blob(st, 5, sealed_result);
    else
        mobid_store_bind_null(st, 5);
    mobid_store_bind_int64(st, 6, now);
    bool won = false;
    /* Stepped to the end: the commit (and its sync) happens there, with its error. */
    while (!(err = mobid_store_step(st, &row)) && row)
        won = true;
    mobid_store_finalize(st);
    if (err || won)
        return err;
    return not_pending(s, id);
}

/* One conditional UPDATE, so simultaneous wrong answers cannot exceed the limit: only
 * a pending session below the last allowed attempt takes the strike. */
mobid_err verifier_session_strike(mobid_store *s, const char *id, mobid_time now,
                                  bool *counted)
{
    mobid_store_stmt *st = NULL;
    bool row = false;
    mobid_err err = run(s, "UPDATE verifier_sessions SET attempts = attempts + 1"
                           " WHERE id = $1 AND status = 'pending' AND expires_at > $2"
                           " AND attempts + 1 < $3 RETURNING id", &st);

    *counted = false;
    if (err)
        return err;
    mobid_store_bind_str(st, 1, id);
    mobid_store_bind_int64(st, 2, now);
    mobid_store_bind_int64(st, 3, VERIFIER_RESPONSE_ATTEMPTS);
    while (!(err = mobid_store_step(st, &row)) && row)
        *counted = true;
    mobid_store_finalize(st);
    if (err || *counted)
        return err;
    verifier_session vs;
    if ((err = verifier_session_load(s, id, &vs)))
        return err;
    if (strcmp(vs.status, "pending"))
        err = MOBID_SVC_ERR_SESSION_USED;
    else if (now >= vs.expires_at)
        err = MOBID_SVC_ERR_SESSION_EXPIRED;
    verifier_session_clear(&vs); /* else: the last attempt, the caller records it */
    return err;
}

/* The claims were read with the session (verifier_session_load); this statement alone
 * decides who hands them over: it flips delivered once, so exactly one reader sees
 * *taken. The sealed result of a verified session is written once, by the answer, and
 * erased only here, so what the winner read is what it hands over. One autocommit
 * UPDATE, durable before it returns, instead of a transaction that read the claims
 * again. */
mobid_err verifier_session_take(mobid_store *s, const char *id, bool *taken)
{
    mobid_store_stmt *st = NULL;
    bool row = false;
    mobid_err err = run(s, "UPDATE verifier_sessions SET result = NULL, delivered = 1"
                           " WHERE id = $1 AND delivered = 0 AND status = 'verified'", &st);
    *taken = false;
    if (err)
        return err;
    mobid_store_bind_str(st, 1, id);
    if (!(err = mobid_store_step(st, &row)))
        *taken = mobid_store_changes(st) == 1;
    mobid_store_finalize(st);
    return err;
}

/* The session id is the seal's aad: a sealed result copied into another session's row
 * does not open there. */
mobid_err verifier_seal(const verifier_ctx *ctx, const char *id, mobid_view plain, mobid_buf *out)
{
    return mobid_seal(mobid_view_make(ctx->seal_key, sizeof ctx->seal_key), mobid_view_str(id), plain, out);
}

mobid_err verifier_unseal(const verifier_ctx *ctx, const char *id, mobid_view sealed,
                          mobid_buf *out)
{
    return mobid_unseal(mobid_view_make(ctx->seal_key, sizeof ctx->seal_key), mobid_view_str(id), sealed, out);
}

static mobid_err fail_abandoned(mobid_store *s, mobid_time stuck_before,
                                void (*on_failed)(void *ctx, const char *id), void *ctx)
{
    static const char update[] =
        "UPDATE verifier_sessions SET status = 'failed', error = 'SESSION_ABANDONED',"
        " detail = 'the answer was interrupted', enc_key = NULL"
        " WHERE status = 'processing' AND answered_at < $1 RETURNING id";
    char sql[512];
    mobid_store_stmt *st = NULL;
    bool row = false;
    if (mobid_store_kind(s) == MOBID_STORE_POSTGRES)
        snprintf(sql, sizeof sql, "WITH u AS (%s) SELECT id, pg_notify('%s', id) FROM u", update,
                 VERIFIER_CHANNEL);
    else
        snprintf(sql, sizeof sql, "%s", update);
    mobid_err err = run(s, sql, &st);
    if (err)
        return err;
    mobid_store_bind_int64(st, 1, stuck_before);
    while (!(err = mobid_store_step(st, &row)) && row) {
        char *id = mobid_store_col_strdup(st, 0);
        if (id && on_failed)
            on_failed(ctx, id);
        free(id);
    }
    mobid_store_finalize(st);
    return err;
}

mobid_err verifier_sessions_sweep(mobid_store *s, mobid_time stuck_before, mobid_time purge_before,
                                  unsigned batch, void (*on_failed)(void *ctx, const char *id),
                                  void *ctx, int64_t *deleted)
{
    mobid_store_stmt *st = NULL;
    bool row;
    mobid_err err = fail_abandoned(s, stuck_before, on_failed, ctx);
    if (deleted)
        *deleted = 0;
    if (err || (err = run(s, "DELETE FROM verifier_sessions WHERE id IN (SELECT id FROM"
                             " verifier_sessions WHERE expires_at < $1 LIMIT $2)", &st)))
        return err;
    mobid_store_bind_int64(st, 1, purge_before);
    mobid_store_bind_int64(st, 2, batch);
    err = mobid_store_step(st, &row);
    if (!err && deleted)
        *deleted = mobid_store_changes(st);
    mobid_store_finalize(st);
    return err;
}
