/*
 * The sign-in guard: one throttle in front of every password check (the admin API's
 * POST /api/v1/tokens and the console's sign-in form), so no path is softer than
 * another.
 *
 * Three counters, each a row of issuer_signin_guard keyed by what it counts:
 *   "p:<user>\x1f<source>"  failures of one account from one source: at lock_after
 *                           failures that pair is locked for lock_s, even for the right
 *                           password (a guesser at the keyboard learns nothing more);
 *   "s:<source>"            failures from one source over all accounts: at
 *                           source_lock_after the source is locked for lock_s (a
 *                           guesser cycling through predictable user names);
 *   "u:<user>"              failures of one account from all sources: from slow_after
 *                           on, the account takes one password check per 1, 2, 4, ...
 *                           max_delay_s seconds; earlier attempts are answered 429 with
 *                           Retry-After and no password is checked. Never a hard lock:
 *                           a hard account lock lets anyone who knows a user name keep
 *                           an officer out.
 * A source where the account signed in successfully before (key "k:<user>\x1f<source>")
 * skips the account delay, so an officer at the usual desk is not slowed down by
 * someone guessing elsewhere; the pair lock still applies there.
 *
 * The check and the increment are one serializable transaction that runs BEFORE the
 * password is verified: each attempt reserves its failure in advance and a success
 * gives it back. Forty simultaneous attempts therefore get exactly lock_after password
 * checks, never more. Counters forget after lock_s without attempts.
 *
 * Password hashing is capped: at most max_password_hashes scrypt runs at once (32 MiB
 * each); beyond that the attempt is answered 503 BUSY without touching memory, and
 * its reservation is given back. Unknown user names run the same scrypt as known ones.
 *
 * Every refusal and every wrong password is written to the audit log ("signin.fail",
 * "signin.throttled", "signin.busy"). The typed user name is not stored as text: an
 * unknown one appears as "user#" and the first 16 hex digits of its HMAC under the
 * lookup key (a password typed into the name field must not land in the log).
 */
#include "services/issuer/office.h"
#include "services/issuer/issuer_int.h"
#include "services/issuer/officer_admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct guard_row {
    char key[200];
    int64_t failures, last_at, locked_until;
    bool found;
} guard_row;

typedef struct guard_policy {
    int64_t lock_after, source_lock_after, lock_s, slow_after, max_delay_s, max_hashes;
} guard_policy;

static int64_t setting(const issuer_ctx *ctx, const char *key, int64_t def)
{
    const json_t *v = json_object_get(json_object_get(ctx->cfg.raw, "console"), key);
    return json_is_integer(v) && json_integer_value(v) >= 0 ? (int64_t)json_integer_value(v) : def;
}

static void policy_get(const issuer_ctx *ctx, guard_policy *p)
{
    p->lock_after = setting(ctx, "signin_lock_after", 5);
    p->source_lock_after = setting(ctx, "signin_source_lock_after", 20);
    p->lock_s = setting(ctx, "signin_lock_s", 900);
    p->slow_after = setting(ctx, "signin_slow_after", 3);
    p->max_delay_s = setting(ctx, "signin_max_delay_s", 60);
    p->max_hashes = setting(ctx, "max_password_hashes", 4);
}

void issuer_request_source(const issuer_ctx *ctx, mobid_http_req *req, char out[64])
{
    const char *peer = mobid_http_req_remote(req);
    const char *fwd = mobid_http_req_header(req, "X-Forwarded-For");
    const json_t *proxies = json_object_get(ctx->cfg.raw, "trusted_proxies");
    size_t i;
    const json_t *p;

    snprintf(out, 64, "%s", peer ? peer : "");
    if (!fwd || !peer)
        return;
    json_array_foreach(proxies, i, p) {
        if (json_is_string(p) && !strcmp(json_string_value(p), peer)) {
            /* the last entry is the one the trusted proxy appended itself */
            const char *last = strrchr(fwd, ',');
            last = last ? last + 1 : fwd;
            while (*last == ' ')
                last++;
            snprintf(out, 64, "%.*s", (int)strcspn(last, " \t"), last);
            return;
        }
    }
}

static mobid_err row_read(mobid_store *s, guard_row *r, int64_t now, int64_t lock_s)
{
    mobid_store_stmt *st = NULL;
    mobid_err err;

    r->failures = r->last_at = r->locked_until = 0;
    r->found = false;
    err = mobid_store_prepare(s, "SELECT failures, last_at, locked_until FROM issuer_signin_guard"
                                 " WHERE k = $1", &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, r->key);
    if (err == MOBID_OK) err = mobid_store_step(st, &r->found);
    if (err == MOBID_OK && r->found) {
        r->failures = mobid_store_col_int64(st, 0);
        r->last_at = mobid_store_col_int64(st, 1);
        r->locked_until = mobid_store_col_int64(st, 2);
    }
    mobid_store_finalize(st);
    /* a lock that ran out, or a quiet spell as long as a lock, starts over */
    if ((r->locked_until && r->locked_until <= now) || r->last_at + lock_s <= now) {
        r->failures = 0;
        r->locked_until = 0;
    }
    return err;
}

static mobid_err row_write(mobid_store *s, const guard_row *r)
{
    mobid_store_stmt *st = NULL;
    bool row;
    mobid_err err;

    err = mobid_store_prepare(s, "INSERT INTO issuer_signin_guard (k, failures, last_at, locked_until)"
                                 " VALUES ($1, $2, $3, $4) ON CONFLICT (k) DO UPDATE SET"
                                 " failures = $2, last_at = $3, locked_until = $4", &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, r->key);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 2, r->failures);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 3, r->last_at);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 4, r->locked_until);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    mobid_store_finalize(st);
    return err;
}

static mobid_err row_delete(mobid_store *s, const char *key)
{
    mobid_store_stmt *st = NULL;
    bool row;
    mobid_err err = mobid_store_prepare(s, "DELETE FROM issuer_signin_guard WHERE k = $1", &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, key);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    mobid_store_finalize(st);
    return err;
}

/* One attempt's transaction state. */
typedef struct guard_tx {
    issuer_ctx *ctx;
    issuer_signin *in;
    guard_policy pol;
    guard_row pair, src, acct, known;
    const char *actor, *action, *subject; /* audit entry to append, if action */
    enum { END_FAIL, END_OK, END_GIVE_BACK } outcome;
    int64_t retry_after;                  /* begin: > 0 when refused */
} guard_tx;

/* Refuse when a lock or the account delay applies; else reserve one failure. */
static mobid_err begin_body(mobid_store *s, void *arg)
{
    guard_tx *t = arg;
    int64_t now = mobid_now(), lock_s = t->pol.lock_s;
    mobid_err err;

    t->retry_after = 0;
    if ((err = row_read(s, &t->pair, now, lock_s)) || (err = row_read(s, &t->src, now, lock_s)) ||
        (err = row_read(s, &t->acct, now, lock_s)) || (err = row_read(s, &t->known, now, 30 * 86400)))
        return err;
    if (t->pair.locked_until > now || t->src.locked_until > now) {
        int64_t a = t->pair.locked_until, b = t->src.locked_until;
        t->retry_after = (a > b ? a : b) - now;
    } else if (!t->known.found && t->acct.failures >= t->pol.slow_after) {
        int64_t shift = t->acct.failures - t->pol.slow_after, delay = t->pol.max_delay_s;
        if (shift < 20 && ((int64_t)1 << shift) < delay)
            delay = (int64_t)1 << shift;
        if (now < t->acct.last_at + delay)
            t->retry_after = t->acct.last_at + delay - now;
    }
    if (t->retry_after > 0)
        return MOBID_OK; /* refused: nothing reserved, nothing checked */
    t->pair.failures++;
    t->src.failures++;
    t->acct.failures++;
    t->pair.last_at = t->src.last_at = t->acct.last_at = now;
    if (t->pair.failures > t->pol.lock_after)
        t->pair.locked_until = now + lock_s;
    if (t->src.failures > t->pol.source_lock_after)
        t->src.locked_until = now + lock_s;
    if (t->pair.locked_until > now || t->src.locked_until > now)
        t->retry_after = lock_s;
    if ((err = row_write(s, &t->pair)) || (err = row_write(s, &t->src)) ||
        (err = row_write(s, &t->acct)))
        return err;
    return MOBID_OK;
}

static mobid_err row_give_back(mobid_store *s, guard_row *r, int64_t lock_s)
{
    mobid_err err = row_read(s, r, mobid_now(), lock_s);
    if (err == MOBID_OK && r->found && r->failures > 0) {
        r->failures--;
        err = row_write(s, r);
    }
    return err;
}

/* After the check: a success clears the account's counters (the source's loses one)
 * and remembers the source; a busy refusal gives the reservation back; every
 * failure and refusal is audited. */
static mobid_err end_body(mobid_store *s, void *arg)
{
    guard_tx *t = arg;
    int64_t lock_s = t->pol.lock_s;
    mobid_err err = MOBID_OK;

    if (t->outcome == END_OK) {
        t->known.failures = 0;
        t->known.last_at = mobid_now();
        t->known.locked_until = 0;
        if ((err = row_delete(s, t->pair.key)) || (err = row_delete(s, t->acct.key)) ||
            (err = row_give_back(s, &t->src, lock_s)) || (err = row_write(s, &t->known)))
            return err;
    } else if (t->outcome == END_GIVE_BACK) {
        if ((err = row_give_back(s, &t->pair, lock_s)) || (err = row_give_back(s, &t->src, lock_s)) ||
            (err = row_give_back(s, &t->acct, lock_s)))
            return err;
    }
    if (t->action) {
        json_t *d = json_pack("{s:s, s:s}", "source", t->in->source ? t->in->source : "",
                              "path", t->in->path ? t->in->path : "api");
        char *text = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        err = text ? issuer_audit_append(t->ctx, s, t->actor, t->action, t->subject, text)
                   : MOBID_ERR_NOMEM;
        free(text);
        json_decref(d);
    }
    return err;
}

/* Officer id (known name) or "user#<16 hex of the name's HMAC>" for the audit log. */
static void audit_subject(const issuer_ctx *ctx, mobid_store *s, const char *user, char out[40])
{
    mobid_store_stmt *st = NULL;
    char h[65] = "";
    bool row = false;

    if (mobid_store_prepare(s, "SELECT id FROM issuer_officers WHERE username = $1", &st) == MOBID_OK &&
        mobid_store_bind_str(st, 1, user) == MOBID_OK && mobid_store_step(st, &row) == MOBID_OK &&
        row) {
        mobid_view id = mobid_store_col_text(st, 0);
        snprintf(out, 40, "%.*s", (int)(id.len < 39 ? id.len : 39), (const char *)id.ptr);
    } else {
        (void)issuer_lookup_hash(ctx, mobid_view_str(user), h);
        snprintf(out, 40, "user#%.16s", h);
    }
    mobid_store_finalize(st);
}

static void keys_make(guard_tx *t, const char *user, const char *src)
{
    snprintf(t->pair.key, sizeof t->pair.key, "p:%.96s\x1f%.64s", user, src);
    snprintf(t->src.key, sizeof t->src.key, "s:%.64s", src);
    snprintf(t->acct.key, sizeof t->acct.key, "u:%.96s", user);
    snprintf(t->known.key, sizeof t->known.key, "k:%.96s\x1f%.64s", user, src);
}

/* Run one password check under the concurrency cap. */
static mobid_err check_capped(issuer_ctx *ctx, mobid_store *s, const guard_policy *pol,
                              const issuer_signin *in, issuer_officer *who);

mobid_err issuer_signin_check(issuer_ctx *ctx, mobid_store *s, issuer_signin *in,
                              issuer_officer *who)
{
    const char *user = in->username ? in->username : "";
    char subject[40];
    guard_tx t;
    mobid_err err, pw;

    memset(&t, 0, sizeof t);
    t.ctx = ctx;
    t.in = in;
    policy_get(ctx, &t.pol);
    keys_make(&t, user, in->source ? in->source : "");
    audit_subject(ctx, s, user, subject);
    t.actor = "anonymous";
    t.subject = subject;
    in->retry_after = 0;
    issuer_purge_maybe(ctx, s); /* sign-in attempts add guard rows: clean up too */
    if ((err = mobid_store_tx(s, 0, begin_body, &t)))
        return err;
    if (t.retry_after > 0) {
        in->retry_after = t.retry_after;
        t.action = "signin.throttled";
        err = mobid_store_tx(s, 0, end_body, &t);
        return err ? err : MOBID_SVC_ERR_SIGNIN_THROTTLED;
    }
    pw = check_capped(ctx, s, &t.pol, in, who);
    bool second = pw == MOBID_OK, counted = false;
    if (second) /* the authenticator code and a forced password change */
        pw = issuer_signin_second(ctx, s, in, who, &counted);
    t.outcome = pw == MOBID_OK ? END_OK : second && !counted ? END_GIVE_BACK : END_FAIL;
    if (second && pw != MOBID_OK)
        t.action = counted ? "signin.fail" : "signin.incomplete";
    if (pw == MOBID_SVC_ERR_BUSY) {
        t.outcome = END_GIVE_BACK; /* no password was checked */
        t.action = "signin.busy";
        in->retry_after = 1;
    } else if (pw == MOBID_ERR_UNAUTHENTICATED) {
        t.action = "signin.fail";
    }
    err = mobid_store_tx(s, 0, end_body, &t);
    return err ? err : pw;
}

/* ---- the password check itself ---- */

static mobid_err check_password(mobid_store *s, const char *username, const char *password,
                                issuer_officer *who)
{
    static const char dummy[] =
        "scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    mobid_store_stmt *st = NULL;
    char *stored = NULL;
    bool row = false;
    mobid_err err, pw;

    err = mobid_store_prepare(s, "SELECT id, username, office_id, role, disabled, pw_hash"
                                 " FROM issuer_officers WHERE username = $1", &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, username ? username : "");
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    if (err != MOBID_OK)
        goto done;
    if (row) {
        err = issuer_officer_from_row(st, who);
        stored = mobid_store_col_strdup(st, 5);
    }
    /* the same scrypt for unknown names, so timing does not tell which names exist */
    pw = issuer_password_verify(password ? password : "", stored ? stored : dummy);
    if (err == MOBID_OK && (!row || pw != MOBID_OK))
        err = MOBID_ERR_UNAUTHENTICATED;
    if (err == MOBID_ERR_MALFORMED)
        err = MOBID_ERR_UNAUTHENTICATED;
done:
    free(stored);
    mobid_store_finalize(st);
    return err;
}

bool issuer_hash_slot_take(issuer_ctx *ctx, int64_t max)
{
    unsigned cur = __atomic_load_n(&ctx->pw_hashing, __ATOMIC_RELAXED);
    do {
        if ((int64_t)cur >= max)
            return false;
    } while (!__atomic_compare_exchange_n(&ctx->pw_hashing, &cur, cur + 1, false,
                                          __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
    return true;
}

void issuer_hash_slot_give(issuer_ctx *ctx)
{
    __atomic_fetch_sub(&ctx->pw_hashing, 1, __ATOMIC_ACQ_REL);
}

static mobid_err check_capped(issuer_ctx *ctx, mobid_store *s, const guard_policy *pol,
                              const issuer_signin *in, issuer_officer *who)
{
    mobid_err err;

    if (!issuer_hash_slot_take(ctx, pol->max_hashes))
        return MOBID_SVC_ERR_BUSY;
    err = check_password(s, in->username, in->password, who);
    issuer_hash_slot_give(ctx);
    return err;
}
