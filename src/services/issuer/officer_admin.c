/*
 * Officer management by the ministry administrator: disable / enable, password reset
 * with a forced change, the TOTP second factor, offices that require it; and the
 * second step of a sign-in that checks them (called by signin.c once the password is
 * right). See officer_admin.h.
 */
#include "services/issuer/officer_admin.h"
#include "services/issuer/issuer_int.h"

#include <mobid/kdf.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOTP_STEP 30
#define TOTP_DIGITS 6
static const char TOTP_AAD[] = "mobid-totp:";

/* Only a ministry admin manages accounts, and not their own (no admin locks the
 * ministry out by a slip). */
static mobid_err admin_check(const issuer_officer *who, const char *id,
                             char *detail, size_t detail_len)
{
    if (!who || who->role != ISSUER_ROLE_ADMIN)
        return MOBID_SVC_ERR_ACCESS_DENIED;
    if (!id || !strcmp(id, who->id)) {
        mobid_svc_detail(detail, detail_len,
                         "an administrator cannot change their own account here");
        return MOBID_ERR_INVALID_ARG;
    }
    return MOBID_OK;
}

/* One change to an officer row, with its audit entry: sql has $1 = id, $2 = arg, $3 = now. */
typedef struct officer_change {
    issuer_ctx *ctx;
    const issuer_officer *who;
    const char *id, *sql, *arg, *action;
    bool end_access; /* end the officer's console sessions and API tokens too */
} officer_change;

static mobid_err run_sql(mobid_store *s, const char *sql, const char *id, const char *arg,
                         int64_t *changes)
{
    mobid_store_stmt *st = NULL;
    bool row;
    mobid_err err = mobid_store_prepare(s, sql, &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, id);
    if (err == MOBID_OK && strstr(sql, "$2")) err = mobid_store_bind_str(st, 2, arg);
    if (err == MOBID_OK && strstr(sql, "$3")) err = mobid_store_bind_int64(st, 3, mobid_now());
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    if (err == MOBID_OK && changes) *changes = mobid_store_changes(st);
    mobid_store_finalize(st);
    return err;
}

static mobid_err change_body(mobid_store *s, void *arg)
{
    officer_change *c = arg;
    int64_t n = 0;
    mobid_err err = run_sql(s, c->sql, c->id, c->arg, &n);
    if (err == MOBID_OK && n != 1)
        err = MOBID_ERR_NOT_FOUND;
    if (err == MOBID_OK && c->end_access)
        err = run_sql(s, "UPDATE issuer_sessions SET revoked_at = $3 WHERE officer_id = $1"
                         " AND revoked_at IS NULL", c->id, NULL, NULL);
    if (err == MOBID_OK && c->end_access)
        err = run_sql(s, "UPDATE issuer_api_tokens SET revoked_at = $3 WHERE officer_id = $1"
                         " AND revoked_at IS NULL", c->id, NULL, NULL);
    if (err == MOBID_OK)
        err = issuer_audit_append(c->ctx, s, c->who ? c->who->id : "system", c->action, c->id,
                                  "{}");
    return err;
}

static mobid_err change(issuer_ctx *ctx, mobid_store *s, const issuer_officer *who,
                        const char *id, const char *sql, const char *arg, const char *action,
                        bool end_access)
{
    officer_change c = { ctx, who, id, sql, arg, action, end_access };
    return mobid_store_tx(s, 0, change_body, &c);
}

mobid_err issuer_officer_set_disabled(issuer_ctx *ctx, mobid_store *s, const issuer_officer *who,
                                      const char *id, bool disabled,
                                      char *detail, size_t detail_len)
{
    mobid_err err = admin_check(who, id, detail, detail_len);
    if (err != MOBID_OK)
        return err;
    return change(ctx, s, who, id,
                  disabled ? "UPDATE issuer_officers SET disabled = 1, updated_at = $3 WHERE id = $1"
                           : "UPDATE issuer_officers SET disabled = 0, updated_at = $3 WHERE id = $1",
                  NULL, disabled ? "officer.disable" : "officer.enable", disabled);
}

mobid_err issuer_officer_reset_password(issuer_ctx *ctx, mobid_store *s, const issuer_officer *who,
                                        const char *id, char temp[ISSUER_TEMP_PASSWORD_LEN + 1],
                                        char *detail, size_t detail_len)
{
    /* no 0/O, 1/l/I: it is read out or typed from paper */
    static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    uint8_t raw[ISSUER_TEMP_PASSWORD_LEN];
    char hash[128];
    mobid_err err = admin_check(who, id, detail, detail_len);

    temp[0] = '\0';
    if (err == MOBID_OK) err = mobid_random(raw, sizeof raw);
    for (size_t i = 0; err == MOBID_OK && i < sizeof raw; i++)
        temp[i] = alphabet[raw[i] % (sizeof alphabet - 1)];
    temp[sizeof raw] = '\0';
    if (err == MOBID_OK) err = issuer_password_hash(temp, hash);
    if (err == MOBID_OK)
        err = change(ctx, s, who, id, "UPDATE issuer_officers SET pw_hash = $2,"
                                      " must_change_pw = 1, updated_at = $3 WHERE id = $1",
                     hash, "officer.password_reset", true);
    if (err != MOBID_OK)
        mobid_wipe(temp, ISSUER_TEMP_PASSWORD_LEN + 1);
    mobid_wipe(raw, sizeof raw);
    return err;
}

/* RFC 4648 base32 without padding (20 bytes -> 32 characters). */
static void base32(const uint8_t *in, size_t n, char *out)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    unsigned buf = 0, bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        buf = (buf << 8) | in[i];
        bits += 8;
        while (bits >= 5) {
            out[o++] = a[(buf >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits)
        out[o++] = a[(buf << (5 - bits)) & 31];
    out[o] = '\0';
}

static mobid_err totp_seal(const issuer_ctx *ctx, const char *id, mobid_view raw, mobid_buf *b64)
{
    mobid_buf aad = { 0 }, sealed = { 0 };
    mobid_err err;
    mobid_buf_init(&aad, 128);
    mobid_buf_append_str(&aad, TOTP_AAD);
    mobid_buf_append_str(&aad, id);
    if (!(err = aad.err) && !(err = issuer_seal(ctx, mobid_buf_view(&aad), raw, &sealed)) &&
        !(err = mobid_b64url_encode(mobid_buf_view(&sealed), b64)))
        err = mobid_buf_terminate(b64);
    mobid_buf_free(&aad);
    mobid_buf_free(&sealed);
    return err;
}

/* otpauth://totp/mobid:USER?secret=...&issuer=mobid (what authenticator apps read). */
static mobid_err totp_uri(mobid_store *s, const char *id, const char *secret, char **uri)
{
    mobid_store_stmt *st = NULL;
    mobid_buf b = { 0 };
    bool row = false;
    mobid_err err = mobid_store_prepare(s, "SELECT username FROM issuer_officers WHERE id = $1", &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, id);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    if (err == MOBID_OK && !row) err = MOBID_ERR_NOT_FOUND;
    if (err == MOBID_OK) {
        mobid_view u = mobid_store_col_text(st, 0);
        mobid_buf_append_str(&b, "otpauth://totp/mobid:");
        for (size_t i = 0; i < u.len; i++) {
            char pc[4];
            unsigned char ch = u.ptr[i];
            bool plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                         (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '_';
            snprintf(pc, sizeof pc, plain ? "%c" : "%%%02X", ch);
            mobid_buf_append_str(&b, pc);
        }
        mobid_buf_append_str(&b, "?secret=");
        mobid_buf_append_str(&b, secret);
        mobid_buf_append_str(&b, "&issuer=mobid&algorithm=SHA1&digits=6&period=30");
        if (!(err = b.err) && !(err = mobid_buf_terminate(&b))) {
            *uri = (char *)b.ptr;
            b.ptr = NULL;
        }
    }
    mobid_store_finalize(st);
    mobid_buf_free(&b);
    return err;
}

mobid_err issuer_officer_totp_set(issuer_ctx *ctx, mobid_store *s, const issuer_officer *who,
                                  const char *id, char secret[ISSUER_TOTP_SECRET_B32], char **uri,
                                  char *detail, size_t detail_len)
{
    uint8_t raw[20];
    mobid_buf sealed = { 0 };
    mobid_err err = admin_check(who, id, detail, detail_len);

    *uri = NULL;
    secret[0] = '\0';
    if (err == MOBID_OK) err = mobid_random(raw, sizeof raw);
    if (err == MOBID_OK) err = totp_seal(ctx, id, mobid_view_make(raw, sizeof raw), &sealed);
    if (err == MOBID_OK)
        err = change(ctx, s, who, id, "UPDATE issuer_officers SET totp_sealed = $2,"
                                      " totp_last_step = 0, updated_at = $3 WHERE id = $1",
                     (const char *)sealed.ptr, "officer.totp_set", true);
    if (err == MOBID_OK) {
        base32(raw, sizeof raw, secret);
        err = totp_uri(s, id, secret, uri);
    }
    mobid_wipe(raw, sizeof raw);
    mobid_buf_free(&sealed);
    return err;
}

mobid_err issuer_officer_totp_clear(issuer_ctx *ctx, mobid_store *s, const issuer_officer *who,
                                    const char *id, char *detail, size_t detail_len)
{
    mobid_err err = admin_check(who, id, detail, detail_len);
    if (err != MOBID_OK)
        return err;
    return change(ctx, s, who, id, "UPDATE issuer_officers SET totp_sealed = NULL,"
                                   " updated_at = $3 WHERE id = $1",
                  NULL, "officer.totp_clear", false);
}

mobid_err issuer_office_require_totp(issuer_ctx *ctx, mobid_store *s, const issuer_officer *who,
                                     const char *office_id, bool required)
{
    if (!who || who->role != ISSUER_ROLE_ADMIN)
        return MOBID_SVC_ERR_ACCESS_DENIED;
    return change(ctx, s, who, office_id,
                  required ? "UPDATE issuer_offices SET require_totp = 1, updated_at = $3 WHERE id = $1"
                           : "UPDATE issuer_offices SET require_totp = 0, updated_at = $3 WHERE id = $1",
                  NULL, required ? "office.require_totp" : "office.totp_optional", false);
}

/* ---- the second step of a sign-in ---- */

typedef struct officer_sec {
    bool must_change, required;
    char *totp_sealed;
    int64_t last_step;
} officer_sec;

static mobid_err sec_read(mobid_store *s, const char *id, officer_sec *o)
{
    mobid_store_stmt *st = NULL;
    bool row = false;
    mobid_err err = mobid_store_prepare(
        s, "SELECT o.must_change_pw, o.totp_sealed, o.totp_last_step, COALESCE(f.require_totp, 0)"
           " FROM issuer_officers o LEFT JOIN issuer_offices f ON f.id = o.office_id"
           " WHERE o.id = $1", &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, id);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    if (err == MOBID_OK && !row) err = MOBID_ERR_UNAUTHENTICATED;
    if (err == MOBID_OK) {
        o->must_change = mobid_store_col_int64(st, 0) != 0;
        o->totp_sealed = mobid_store_col_null(st, 1) ? NULL : mobid_store_col_strdup(st, 1);
        o->last_step = mobid_store_col_int64(st, 2);
        o->required = mobid_store_col_int64(st, 3) != 0;
    }
    mobid_store_finalize(st);
    return err;
}

/* The step (one of now-1, now, now+1: clocks drift) whose code is `code`, or -1. */
static int64_t totp_match(const issuer_ctx *ctx, const char *id, const char *sealed,
                          const char *code)
{
    mobid_buf aad = { 0 }, raw = { 0 }, key = { 0 };
    int64_t now = mobid_now() / TOTP_STEP, found = -1;

    mobid_buf_init(&aad, 128);
    mobid_buf_append_str(&aad, TOTP_AAD);
    mobid_buf_append_str(&aad, id);
    if (!aad.err && mobid_b64url_decode(mobid_view_str(sealed), &raw) == MOBID_OK &&
        issuer_unseal(ctx, mobid_buf_view(&aad), mobid_buf_view(&raw), &key) == MOBID_OK) {
        for (int64_t step = now - 1; step <= now + 1; step++) {
            uint32_t v = 0;
            char want[16];
            if (mobid_hotp(MOBID_OTP_SHA1, mobid_buf_view(&key), (uint64_t)step, TOTP_DIGITS,
                           &v) != MOBID_OK)
                break;
            snprintf(want, sizeof want, "%06u", v);
            if (strlen(code) == TOTP_DIGITS &&
                mobid_ct_eq(mobid_view_str(want), mobid_view_str(code)))
                found = step;
        }
    }
    if (key.ptr)
        mobid_wipe(key.ptr, key.len);
    mobid_buf_free(&key);
    mobid_buf_free(&raw);
    mobid_buf_free(&aad);
    return found;
}

/* The code, used once: its step must be newer than the last one accepted. */
static mobid_err second_factor(issuer_ctx *ctx, mobid_store *s, issuer_signin *in,
                               const issuer_officer *who, const officer_sec *o, bool *counted)
{
    char step_s[24];
    int64_t step, n = 0;
    mobid_err err;

    if (!o->totp_sealed) {
        mobid_svc_detail(in->detail, sizeof in->detail,
                         "this office requires an authenticator: ask the ministry administrator"
                         " to set one up");
        return MOBID_SVC_ERR_SECOND_FACTOR_REQUIRED;
    }
    if (!in->totp || !*in->totp) {
        mobid_svc_detail(in->detail, sizeof in->detail,
                         "enter the 6-digit code of your authenticator app");
        return MOBID_SVC_ERR_SECOND_FACTOR_REQUIRED;
    }
    *counted = true;
    mobid_svc_detail(in->detail, sizeof in->detail, "wrong or already used authenticator code");
    step = totp_match(ctx, who->id, o->totp_sealed, in->totp);
    if (step <= o->last_step)
        return MOBID_SVC_ERR_SECOND_FACTOR_REQUIRED;
    snprintf(step_s, sizeof step_s, "%lld", (long long)step);
    err = run_sql(s, "UPDATE issuer_officers SET totp_last_step = CAST($2 AS BIGINT)"
                     " WHERE id = $1 AND totp_last_step < CAST($2 AS BIGINT)", who->id, step_s, &n);
    if (err == MOBID_OK && n != 1)
        err = MOBID_SVC_ERR_SECOND_FACTOR_REQUIRED; /* the same code raced in twice */
    if (err == MOBID_OK) {
        *counted = false;
        mobid_svc_detail(in->detail, sizeof in->detail, NULL);
    }
    return err;
}

static mobid_err new_password(issuer_ctx *ctx, mobid_store *s, issuer_signin *in,
                              const issuer_officer *who)
{
    char hash[128];
    mobid_err err;

    const char *weak = issuer_password_weak(who->username, in->new_password);
    if (weak) {
        mobid_svc_detail(in->detail, sizeof in->detail, weak);
        return MOBID_ERR_INVALID_ARG;
    }
    if (in->password && !strcmp(in->password, in->new_password)) {
        mobid_svc_detail(in->detail, sizeof in->detail,
                         "the new password must differ from the current one");
        return MOBID_ERR_INVALID_ARG;
    }
    err = issuer_password_hash(in->new_password, hash);
    if (err == MOBID_OK)
        err = change(ctx, s, who, who->id, "UPDATE issuer_officers SET pw_hash = $2,"
                                           " must_change_pw = 0, updated_at = $3 WHERE id = $1",
                     hash, "officer.password_change", false);
    mobid_wipe(hash, sizeof hash);
    return err;
}

mobid_err issuer_signin_second(issuer_ctx *ctx, mobid_store *s, issuer_signin *in,
                               const issuer_officer *who, bool *counted)
{
    officer_sec o = { 0 };
    mobid_err err = sec_read(s, who->id, &o);

    *counted = false;
    mobid_svc_detail(in->detail, sizeof in->detail, NULL);
    if (err == MOBID_OK && (o.totp_sealed || o.required))
        err = second_factor(ctx, s, in, who, &o, counted);
    if (err == MOBID_OK && o.must_change && !in->new_password) {
        mobid_svc_detail(in->detail, sizeof in->detail, "the password was reset: choose a new one");
        err = MOBID_SVC_ERR_PASSWORD_CHANGE_REQUIRED;
    }
    if (err == MOBID_OK && in->new_password)
        err = new_password(ctx, s, in, who);
    free(o.totp_sealed);
    return err;
}
