/*
 * Officers: accounts bound to one office (a ministry admin to none), their roles and
 * scrypt password hashes.
 */
#include "services/issuer/office.h"

#include <mobid/kdf.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* scrypt cost: 2^15 * 8 * 128 = 32 MiB and about 0.15 s of CPU per hash here */
#define PW_N 32768u
#define PW_R 8u
#define PW_P 1u
#define PW_SALT 16
#define PW_LEN 32
#define PW_MIN_CHARS 12

static const char *const role_names[] = { "", "officer", "supervisor", "ministry_admin" };

const char *issuer_role_name(issuer_role r)
{
    return r >= ISSUER_ROLE_OFFICER && r <= ISSUER_ROLE_ADMIN ? role_names[r] : "none";
}

issuer_role issuer_role_parse(const char *s)
{
    for (int r = ISSUER_ROLE_OFFICER; s && r <= ISSUER_ROLE_ADMIN; r++)
        if (!strcmp(s, role_names[r]))
            return (issuer_role)r;
    return ISSUER_ROLE_NONE;
}

/* base64url of bytes into a fixed C string buffer. */
static mobid_err b64_into(const uint8_t *p, size_t n, char *out, size_t cap)
{
    mobid_buf b = { 0 };
    mobid_err err;

    mobid_buf_init(&b, 256);
    err = mobid_b64url_encode(mobid_view_make(p, n), &b);
    if (err == MOBID_OK && b.len >= cap)
        err = MOBID_ERR_BUFFER_TOO_SMALL;
    if (err == MOBID_OK) {
        memcpy(out, b.ptr, b.len);
        out[b.len] = 0;
    }
    mobid_buf_free(&b);
    return err;
}

mobid_err issuer_password_hash(const char *password, char out[128])
{
    uint8_t salt[PW_SALT], dk[PW_LEN];
    char salt_b64[32], dk_b64[64];
    mobid_err err;

    err = mobid_random(salt, sizeof salt);
    if (err == MOBID_OK)
        err = mobid_scrypt(mobid_view_str(password), mobid_view_make(salt, sizeof salt), PW_N,
                           PW_R, PW_P, dk, sizeof dk);
    if (err == MOBID_OK) err = b64_into(salt, sizeof salt, salt_b64, sizeof salt_b64);
    if (err == MOBID_OK) err = b64_into(dk, sizeof dk, dk_b64, sizeof dk_b64);
    if (err == MOBID_OK)
        snprintf(out, 128, "scrypt$%u$%u$%u$%s$%s", PW_N, PW_R, PW_P, salt_b64, dk_b64);
    mobid_wipe(dk, sizeof dk);
    return err;
}

mobid_err issuer_password_verify(const char *password, const char *stored)
{
    unsigned long long n, r, p;
    char salt_b64[64], dk_b64[128];
    mobid_buf salt = { 0 }, want = { 0 };
    uint8_t got[64];
    mobid_err err = MOBID_ERR_MALFORMED;

    if (!stored || sscanf(stored, "scrypt$%llu$%llu$%llu$%63[^$]$%127s", &n, &r, &p, salt_b64,
                          dk_b64) != 5)
        goto done;
    mobid_buf_init(&salt, 64);
    mobid_buf_init(&want, 64);
    if (mobid_b64url_decode(mobid_view_str(salt_b64), &salt) != MOBID_OK ||
        mobid_b64url_decode(mobid_view_str(dk_b64), &want) != MOBID_OK || want.len < 16 ||
        want.len > sizeof got)
        goto done;
    err = mobid_scrypt(mobid_view_str(password ? password : ""), mobid_buf_view(&salt), n, r, p,
                       got, want.len);
    if (err == MOBID_OK && !mobid_ct_eq(mobid_view_make(got, want.len), mobid_buf_view(&want)))
        err = MOBID_ERR_UNAUTHENTICATED;
done:
    mobid_wipe(got, sizeof got);
    mobid_buf_free(&salt);
    mobid_buf_free(&want);
    return err;
}

/* Passwords everyone tries first; a 12-character minimum alone lets them through. */
static const char *const COMMON[] = {
    "password", "passw0rd", "qwerty", "letmein", "welcome", "admin", "changeme", "iloveyou",
    "abc123", "123456", "111111", "monkey", "dragon", "master", "sunshine", "football",
    "princess", "trustno1", "consulate", "embassy", "officer", "supervisor", "mobid",
    "korea", "seoul",
};

static bool contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; n && *hay; hay++)
        if (!strncasecmp(hay, needle, n))
            return true;
    return false;
}

const char *issuer_password_weak(const char *username, const char *password)
{
    size_t len = password ? strlen(password) : 0, distinct = 0, cover = 0;
    bool seen[256] = { false };

    if (len < PW_MIN_CHARS || len > 256)
        return "password needs 12 to 256 characters";
    for (size_t i = 0; i < len; i++) {
        if (!seen[(unsigned char)password[i]])
            distinct++;
        seen[(unsigned char)password[i]] = true;
    }
    if (distinct < 6)
        return "password needs at least 6 different characters";
    if (username && strlen(username) >= 3 && contains_ci(password, username))
        return "password must not contain the user name";
    /* mostly made of common words and sequences: count the characters they cover */
    for (size_t i = 0; i < len;) {
        size_t step = 1;
        for (size_t k = 0; k < sizeof COMMON / sizeof COMMON[0]; k++)
            if (!strncasecmp(password + i, COMMON[k], strlen(COMMON[k])) &&
                strlen(COMMON[k]) > step)
                step = strlen(COMMON[k]);
        if (step == 1 && i + 2 < len && password[i + 1] - password[i] == 1 &&
            password[i + 2] - password[i + 1] == 1)
            step = 3; /* "abc", "123" */
        if (step > 1)
            cover += step;
        i += step;
    }
    if (len - cover < 8)
        return "password is mostly a common word or a sequence";
    return NULL;
}

/* May who create an officer with this role at this office? */
static mobid_err may_create(const issuer_officer *who, issuer_role role, const char *office_id)
{
    if (!who || who->role == ISSUER_ROLE_ADMIN)
        return MOBID_OK;
    if (who->role == ISSUER_ROLE_SUPERVISOR && role == ISSUER_ROLE_OFFICER && office_id &&
        !strcmp(office_id, who->office_id))
        return MOBID_OK;
    return MOBID_SVC_ERR_ACCESS_DENIED;
}

typedef struct create_tx {
    issuer_ctx *ctx;
    const issuer_officer *who;
    const char *id, *username, *display, *office_id, *role, *pw_hash;
    bool one_time; /* the password must be changed at the first sign-in */
} create_tx;

static mobid_err create_body(mobid_store *s, void *arg)
{
    create_tx *t = arg;
    mobid_store_stmt *st = NULL;
    int64_t now = mobid_now();
    char detail[256];
    bool row;
    mobid_err err;

    err = mobid_store_prepare(s, "INSERT INTO issuer_officers (id, username, display_name,"
                                 " office_id, role, pw_hash, created_at, updated_at, created_by,"
                                 " must_change_pw) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9)",
                              &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, t->id);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 2, t->username);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 3, t->display);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 4, t->office_id);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 5, t->role);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 6, t->pw_hash);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 7, now);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 8, t->who ? t->who->id : NULL);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 9, t->one_time);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    mobid_store_finalize(st);
    /* usernames are [a-z0-9._-], so they need no JSON escaping */
    snprintf(detail, sizeof detail, "{\"office\":\"%s\",\"role\":\"%s\",\"username\":\"%s\"}",
             t->office_id ? t->office_id : "", t->role, t->username);
    if (err == MOBID_OK)
        err = issuer_audit_append(t->ctx, s, t->who ? t->who->id : "system", "officer.create",
                                  t->id, detail);
    return err;
}

static bool username_ok(const char *u)
{
    size_t n = u ? strlen(u) : 0;
    return n >= 2 && n <= 64 && strspn(u, "abcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

static mobid_err officer_create(issuer_ctx *ctx, mobid_store *s, const issuer_officer *who,
                                const char *username, const char *display,
                                const char *office_id, const char *role, const char *password,
                                bool one_time, char id[23], char *detail, size_t detail_len)
{
    issuer_role r = issuer_role_parse(role);
    char pw_hash[128];
    const char *weak;
    mobid_err err;

    mobid_svc_detail(detail, detail_len, NULL);
    if (!username_ok(username) || r == ISSUER_ROLE_NONE ||
        (r == ISSUER_ROLE_ADMIN) != (office_id == NULL || !*office_id)) {
        mobid_svc_detail(detail, detail_len,
                         "username is 2-64 of a-z 0-9 . _ -; role is officer, supervisor or"
                         " ministry_admin; an office for every role but ministry_admin");
        return MOBID_ERR_INVALID_ARG;
    }
    if ((weak = issuer_password_weak(username, password))) {
        mobid_svc_detail(detail, detail_len, weak);
        return MOBID_ERR_INVALID_ARG;
    }
    err = may_create(who, r, office_id);
    if (err == MOBID_OK && r != ISSUER_ROLE_ADMIN) {
        err = issuer_office_check_open(s, office_id, INT64_MAX, NULL); /* exists? */
        if (err == MOBID_ERR_NOT_FOUND)
            mobid_svc_detail(detail, detail_len, "no such office");
    }
    if (err == MOBID_OK) err = issuer_new_id(id);
    if (err == MOBID_OK) err = issuer_password_hash(password, pw_hash);
    if (err == MOBID_OK) {
        create_tx t = { ctx, who, id, username, display && *display ? display : username,
                        r == ISSUER_ROLE_ADMIN ? NULL : office_id, role, pw_hash, one_time };
        err = mobid_store_tx(s, 0, create_body, &t);
    }
    if (err == MOBID_SVC_ERR_STORE_CONFLICT)
        mobid_svc_detail(detail, detail_len, "username is taken");
    return err;
}

mobid_err issuer_officer_create(issuer_ctx *ctx, mobid_store *s, const issuer_officer *who,
                                const char *username, const char *display,
                                const char *office_id, const char *role, const char *password,
                                char id[23], char *detail, size_t detail_len)
{
    return officer_create(ctx, s, who, username, display, office_id, role, password, false, id,
                          detail, detail_len);
}

mobid_err issuer_officer_create_one_time(issuer_ctx *ctx, mobid_store *s, const char *username,
                                         const char *display, const char *office_id,
                                         const char *role, const char *password, char id[23],
                                         char *detail, size_t detail_len)
{
    return officer_create(ctx, s, NULL, username, display, office_id, role, password, true, id,
                          detail, detail_len);
}

typedef struct one_time_tx {
    const char *username, *password;
    bool *marked;
} one_time_tx;

static mobid_err one_time_body(mobid_store *s, void *arg)
{
    one_time_tx *t = arg;
    mobid_store_stmt *st = NULL;
    char id[23] = "", *hash = NULL;
    bool row = false;
    mobid_err err = mobid_store_prepare(s, "SELECT id, pw_hash FROM issuer_officers"
                                           " WHERE username = $1 AND must_change_pw = 0", &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, t->username);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    if (err == MOBID_OK && row && mobid_store_col_text(st, 0).len < sizeof id) {
        mobid_view v = mobid_store_col_text(st, 0);
        memcpy(id, v.ptr, v.len);
        hash = mobid_store_col_strdup(st, 1);
    }
    mobid_store_finalize(st);
    st = NULL;
    /* only while the account still has that password: one its owner chose stays */
    if (err == MOBID_OK && hash && issuer_password_verify(t->password, hash) == MOBID_OK) {
        err = mobid_store_prepare(s, "UPDATE issuer_officers SET must_change_pw = 1"
                                     " WHERE id = $1", &st);
        if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, id);
        if (err == MOBID_OK) err = mobid_store_step(st, &row);
        mobid_store_finalize(st);
        if (err == MOBID_OK)
            err = issuer_audit_append(NULL, s, "system", "officer.password_one_time", id, "{}");
        *t->marked = err == MOBID_OK;
    }
    free(hash);
    return err;
}

mobid_err issuer_officer_make_one_time(mobid_store *s, const char *username,
                                       const char *password, bool *marked)
{
    one_time_tx t = { username, password, marked };
    *marked = false;
    return username && password ? mobid_store_tx(s, 0, one_time_body, &t) : MOBID_ERR_INVALID_ARG;
}

/* Fill *out from a row (id, username, office_id, role, disabled). */
mobid_err issuer_officer_from_row(mobid_store_stmt *st, issuer_officer *out)
{
    mobid_view v[4];

    for (int i = 0; i < 4; i++)
        v[i] = mobid_store_col_text(st, i);
    memset(out, 0, sizeof *out);
    if (v[0].len >= sizeof out->id || v[1].len >= sizeof out->username ||
        v[2].len >= sizeof out->office_id)
        return MOBID_ERR_MALFORMED;
    memcpy(out->id, v[0].ptr, v[0].len);
    memcpy(out->username, v[1].ptr, v[1].len);
    if (v[2].len)
        memcpy(out->office_id, v[2].ptr, v[2].len);
    char role[32];
    snprintf(role, sizeof role, "%.*s", (int)v[3].len, (const char *)v[3].ptr);
    out->role = issuer_role_parse(role);
    if (out->role == ISSUER_ROLE_NONE)
        return MOBID_ERR_MALFORMED;
    return mobid_store_col_int64(st, 4) ? MOBID_ERR_UNAUTHENTICATED : MOBID_OK;
}

mobid_err issuer_officer_load(mobid_store *s, const char *id, issuer_officer *out)
{
    mobid_store_stmt *st = NULL;
    bool row = false;
    mobid_err err;

    err = mobid_store_prepare(s, "SELECT id, username, office_id, role, disabled"
                                 " FROM issuer_officers WHERE id = $1", &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, id);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    if (err == MOBID_OK)
        err = row ? issuer_officer_from_row(st, out) : MOBID_ERR_NOT_FOUND;
    mobid_store_finalize(st);
    return err;
}

mobid_err issuer_officers_json(mobid_store *s, const issuer_officer *who, json_t **out)
{
    mobid_store_stmt *st = NULL;
    json_t *arr = json_array();
    bool row = false;
    mobid_err err;

    *out = NULL;
    if (!arr)
        return MOBID_ERR_NOMEM;
    err = mobid_store_prepare(s, "SELECT id, username, display_name, office_id, role, disabled,"
                                 " must_change_pw, totp_sealed IS NOT NULL"
                                 " FROM issuer_officers WHERE $1 = '' OR office_id = $1"
                                 " ORDER BY username", &st);
    if (err == MOBID_OK)
        err = mobid_store_bind_str(st, 1, who->role == ISSUER_ROLE_ADMIN ? "" : who->office_id);
    while (err == MOBID_OK && (err = mobid_store_step(st, &row)) == MOBID_OK && row) {
        char *f[5];
        for (int i = 0; i < 5; i++)
            f[i] = mobid_store_col_strdup(st, i);
        json_t *o = json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:b, s:b, s:b}", "id", f[0],
                              "username", f[1], "display_name", f[2], "office_id", f[3], "role",
                              f[4], "disabled", (int)mobid_store_col_int64(st, 5),
                              "must_change_password", (int)mobid_store_col_int64(st, 6), "totp",
                              (int)mobid_store_col_int64(st, 7));
        for (int i = 0; i < 5; i++)
            free(f[i]);
        if (!o || json_array_append_new(arr, o) != 0)
            err = MOBID_ERR_NOMEM;
    }
    if (err == MOBID_OK) {
        *out = arr;
        arr = NULL;
    }
    mobid_store_finalize(st);
    json_decref(arr);
    return err;
}
