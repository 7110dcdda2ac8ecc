/*
 * Officer sign-in: API tokens for the CLI (Authorization: Bearer) and cookie sessions
 * with a CSRF token for the web console. Every secret is 32 random bytes shown once
 * and stored only as its SHA-256, so a database leak yields nothing that signs in.
 */
#include "services/issuer/office.h"

#include <stdio.h>
#include <string.h>

/* A fresh secret (base64url) and its SHA-256 as hex. */
static mobid_err new_secret(char secret[ISSUER_TOKEN_LEN + 1], char hash[65])
{
    uint8_t raw[32], md[MOBID_HASH_MAX];
    mobid_buf b = { 0 };
    mobid_err err;

    mobid_buf_init(&b, 64);
    err = mobid_random(raw, sizeof raw);
    if (err == MOBID_OK) err = mobid_b64url_encode(mobid_view_make(raw, sizeof raw), &b);
    if (err == MOBID_OK && b.len != ISSUER_TOKEN_LEN) err = MOBID_ERR_CRYPTO;
    if (err == MOBID_OK) {
        memcpy(secret, b.ptr, b.len);
        secret[b.len] = 0;
        err = mobid_hash(MOBID_HASH_SHA256, mobid_view_str(secret), md);
    }
    if (err == MOBID_OK)
        mobid_hex_str(md, 32, hash);
    mobid_wipe(raw, sizeof raw);
    mobid_buf_free(&b);
    return err;
}

static mobid_err secret_hash(const char *secret, char hash[65])
{
    uint8_t md[MOBID_HASH_MAX];
    mobid_err err;

    if (!secret || strlen(secret) != ISSUER_TOKEN_LEN)
        return MOBID_ERR_UNAUTHENTICATED;
    err = mobid_hash(MOBID_HASH_SHA256, mobid_view_str(secret), md);
    if (err == MOBID_OK)
        mobid_hex_str(md, 32, hash);
    return err;
}

typedef struct insert_tx {
    issuer_ctx *ctx;
    const char *sql;
    const char *hash, *officer_id, *third; /* $1, $2, $3 */
    int64_t now, expires;                  /* $4, $5 */
    const char *action;
} insert_tx;

static mobid_err insert_body(mobid_store *s, void *arg)
{
    insert_tx *t = arg;
    mobid_store_stmt *st = NULL;
    bool row;
    mobid_err err;

    err = mobid_store_prepare(s, t->sql, &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, t->hash);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 2, t->officer_id);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 3, t->third);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 4, t->now);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 5, t->expires);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    mobid_store_finalize(st);
    if (err == MOBID_OK)
        err = issuer_audit_append(t->ctx, s, t->officer_id, t->action, t->officer_id, NULL);
    return err;
}

mobid_err issuer_token_create(issuer_ctx *ctx, mobid_store *s, issuer_signin *in,
                              const char *label, int64_t lifetime_s,
                              char token[ISSUER_TOKEN_LEN + 1], issuer_officer *who)
{
    char hash[65];
    mobid_err err;

    if (lifetime_s <= 0 || lifetime_s > 366 * 86400)
        return MOBID_ERR_INVALID_ARG;
    err = issuer_signin_check(ctx, s, in, who);
    if (err == MOBID_OK)
        err = new_secret(token, hash);
    if (err == MOBID_OK) {
        insert_tx t = { ctx,
                        "INSERT INTO issuer_api_tokens (token_hash, officer_id, label,"
                        " created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
                        hash, who->id, label ? label : "cli", mobid_now(), 0, "token.create" };
        t.expires = t.now + lifetime_s;
        err = mobid_store_tx(s, 0, insert_body, &t);
    }
    if (err != MOBID_OK)
        mobid_wipe(token, ISSUER_TOKEN_LEN + 1);
    return err;
}

/* Look up a hashed secret in table (token or session) and load its officer. */
static mobid_err secret_check(mobid_store *s, const char *sql, const char *hash,
                              issuer_officer *who, char csrf_hash[65])
{
    mobid_store_stmt *st = NULL;
    bool row = false;
    mobid_err err;

    err = mobid_store_prepare(s, sql, &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, hash);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 2, mobid_now());
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    if (err == MOBID_OK && !row)
        err = MOBID_ERR_UNAUTHENTICATED;
    if (err == MOBID_OK)
        err = issuer_officer_from_row(st, who);
    if (err == MOBID_OK && csrf_hash) {
        mobid_view c = mobid_store_col_text(st, 5);
        snprintf(csrf_hash, 65, "%.*s", (int)c.len, (const char *)c.ptr);
    }
    mobid_store_finalize(st);
    return err == MOBID_ERR_MALFORMED ? MOBID_ERR_UNAUTHENTICATED : err;
}

mobid_err issuer_token_check(mobid_store *s, const char *token, issuer_officer *who)
{
    char hash[65];
    mobid_err err = secret_hash(token, hash);

    if (err == MOBID_OK)
        err = secret_check(s,
                           "SELECT o.id, o.username, o.office_id, o.role, o.disabled"
                           " FROM issuer_api_tokens t JOIN issuer_officers o"
                           " ON o.id = t.officer_id WHERE t.token_hash = $1"
                           " AND t.expires_at > $2 AND t.revoked_at IS NULL",
                           hash, who, NULL);
    return err;
}

typedef struct revoke_tx {
    issuer_ctx *ctx;
    const char *sql, *hash, *actor, *action;
} revoke_tx;

static mobid_err revoke_body(mobid_store *s, void *arg)
{
    revoke_tx *t = arg;
    mobid_store_stmt *st = NULL;
    bool row;
    mobid_err err;

    err = mobid_store_prepare(s, t->sql, &st);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 1, mobid_now());
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 2, t->hash);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    if (err == MOBID_OK && mobid_store_changes(st) != 1)
        err = MOBID_ERR_NOT_FOUND;
    mobid_store_finalize(st);
    if (err == MOBID_OK)
        err = issuer_audit_append(t->ctx, s, t->actor, t->action, t->actor, NULL);
    return err;
}

mobid_err issuer_token_revoke(issuer_ctx *ctx, mobid_store *s, const issuer_officer *who,
                              const char *token)
{
    char hash[65];
    issuer_officer owner;
    mobid_err err = secret_hash(token, hash);

    if (err == MOBID_OK)
        err = issuer_token_check(s, token, &owner);
    if (err == MOBID_OK && who->role != ISSUER_ROLE_ADMIN && strcmp(owner.id, who->id))
        err = MOBID_SVC_ERR_ACCESS_DENIED;
    if (err == MOBID_OK) {
        revoke_tx t = { ctx, "UPDATE issuer_api_tokens SET revoked_at = $1"
                             " WHERE token_hash = $2 AND revoked_at IS NULL",
                        hash, who->id, "token.revoke" };
        err = mobid_store_tx(s, 0, revoke_body, &t);
    }
    return err;
}

mobid_err issuer_session_create(issuer_ctx *ctx, mobid_store *s, issuer_signin *in,
                                int64_t lifetime_s,
                                char session[ISSUER_TOKEN_LEN + 1],
                                char csrf[ISSUER_TOKEN_LEN + 1], issuer_officer *who)
{
    char hash[65], csrf_hash[65];
    mobid_err err;

    if (lifetime_s <= 0 || lifetime_s > 86400)
        return MOBID_ERR_INVALID_ARG;
    err = issuer_signin_check(ctx, s, in, who);
    if (err == MOBID_OK) err = new_secret(session, hash);
    if (err == MOBID_OK) err = new_secret(csrf, csrf_hash);
    if (err == MOBID_OK) {
        insert_tx t = { ctx,
                        "INSERT INTO issuer_sessions (session_hash, officer_id, csrf_hash,"
                        " created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
                        hash, who->id, csrf_hash, mobid_now(), 0, "session.create" };
        t.expires = t.now + lifetime_s;
        err = mobid_store_tx(s, 0, insert_body, &t);
    }
    return err;
}

mobid_err issuer_session_check(mobid_store *s, const char *session, const char *csrf,
                               issuer_officer *who)
{
    char hash[65], want[65] = { 0 }, got[65];
    mobid_err err = secret_hash(session, hash);

    if (err == MOBID_OK)
        err = secret_check(s,
                           "SELECT o.id, o.username, o.office_id, o.role, o.disabled, x.csrf_hash"
                           " FROM issuer_sessions x JOIN issuer_officers o"
                           " ON o.id = x.officer_id WHERE x.session_hash = $1"
                           " AND x.expires_at > $2 AND x.revoked_at IS NULL",
                           hash, who, want);
    if (err == MOBID_OK && csrf) {
        err = secret_hash(csrf, got);
        if (err == MOBID_OK &&
            !mobid_ct_eq(mobid_view_make(got, 64), mobid_view_make(want, 64)))
            err = MOBID_ERR_UNAUTHENTICATED;
    }
    return err;
}

mobid_err issuer_session_end(issuer_ctx *ctx, mobid_store *s, const char *session)
{
    char hash[65];
    issuer_officer who;
    mobid_err err = issuer_session_check(s, session, NULL, &who);

    if (err == MOBID_OK)
        err = secret_hash(session, hash);
    if (err == MOBID_OK) {
        revoke_tx t = { ctx, "UPDATE issuer_sessions SET revoked_at = $1"
                             " WHERE session_hash = $2 AND revoked_at IS NULL",
                        hash, who.id, "session.end" };
        err = mobid_store_tx(s, 0, revoke_body, &t);
    }
    return err;
}
