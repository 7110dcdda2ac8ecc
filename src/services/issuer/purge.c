/*
 * issuer: deleting rows nobody can use any more, so anonymous requests (POST /nonce,
 * sign-in attempts) cannot grow the database without bound: expired c_nonces, expired
 * access tokens, ended console sessions and API tokens, and sign-in guard counters that
 * went quiet. Each table is cut in batches of at most `batch` rows per call (a DELETE of
 * the keys of one bounded SELECT, valid on SQLite and PostgreSQL), so one call never
 * holds the write lock for long; the service calls it at most once a minute, from the
 * requests that create such rows.
 */
#include "services/issuer/issuer.h"
#include "services/issuer/issuer_int.h"

#include <stdio.h>

static const struct {
    const char *sql; /* $1 = now, $2 = batch */
} PURGES[] = {
    { "DELETE FROM issuer_nonces WHERE nonce IN (SELECT nonce FROM issuer_nonces"
      " WHERE expires_at < $1 LIMIT $2)" },
    { "DELETE FROM issuer_access_tokens WHERE token_hash IN (SELECT token_hash FROM"
      " issuer_access_tokens WHERE expires_at < $1 LIMIT $2)" },
    { "DELETE FROM issuer_refresh_tokens WHERE token_hash IN (SELECT token_hash FROM"
      " issuer_refresh_tokens WHERE expires_at < $1 LIMIT $2)" },
    { "DELETE FROM issuer_dpop_jtis WHERE jti_hash IN (SELECT jti_hash FROM"
      " issuer_dpop_jtis WHERE expires_at < $1 LIMIT $2)" },
    { "DELETE FROM issuer_authz WHERE k IN (SELECT k FROM"
      " issuer_authz WHERE expires_at < $1 LIMIT $2)" },
    { "DELETE FROM issuer_sessions WHERE session_hash IN (SELECT session_hash FROM"
      " issuer_sessions WHERE expires_at < $1 OR revoked_at < $1 - 86400 LIMIT $2)" },
    { "DELETE FROM issuer_api_tokens WHERE token_hash IN (SELECT token_hash FROM"
      " issuer_api_tokens WHERE expires_at < $1 OR revoked_at < $1 - 86400 LIMIT $2)" },
    /* counters quiet for a day (locks last minutes); known sources for 30 days */
    { "DELETE FROM issuer_signin_guard WHERE k IN (SELECT k FROM issuer_signin_guard"
      " WHERE locked_until <= $1 AND ((k NOT LIKE 'k:%' AND last_at < $1 - 86400)"
      " OR last_at < $1 - 2592000) LIMIT $2)" },
};

mobid_err issuer_purge(mobid_store *s, int64_t now, int64_t batch, int64_t *deleted)
{
    mobid_err err = MOBID_OK;

    if (deleted)
        *deleted = 0;
    for (size_t i = 0; err == MOBID_OK && i < sizeof PURGES / sizeof PURGES[0]; i++) {
        mobid_store_stmt *st = NULL;
        bool row;
        err = mobid_store_prepare(s, PURGES[i].sql, &st);
        if (err == MOBID_OK) err = mobid_store_bind_int64(st, 1, now);
        if (err == MOBID_OK) err = mobid_store_bind_int64(st, 2, batch);
        if (err == MOBID_OK) err = mobid_store_step(st, &row);
        if (err == MOBID_OK && deleted)
            *deleted += mobid_store_changes(st);
        mobid_store_finalize(st);
    }
    return err;
}

void issuer_purge_maybe(issuer_ctx *ctx, mobid_store *s)
{
    int64_t now = mobid_now(), due = __atomic_load_n(&ctx->purge_due, __ATOMIC_RELAXED);

    /* one request a minute per process does the work; the others only compare */
    if (now < due || !__atomic_compare_exchange_n(&ctx->purge_due, &due, now + 60, false,
                                                  __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
        return;
    if (issuer_purge(s, now, 1000, NULL) != MOBID_OK)
        fprintf(stderr, "issuer: purge of expired rows failed: %s\n", mobid_store_errmsg(s));
}
