/*
 * Diplomatic offices: the rollout waves as data (id, name, country, city, time zone,
 * the office-local date from which it accepts applications).
 */
#include "services/issuer/office.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* mktime() reads the process-wide TZ; conversions take turns. Office dates are
 * converted when an office is written (rare), never on the request path. */
static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;

/* An IANA zone name: letters, digits, '_', '-', '+', '/' and known to the system. */
static bool tz_name_ok(const char *tz)
{
    char path[300];

    if (!tz || !*tz || *tz == '/' || strlen(tz) > 64 || strstr(tz, ".."))
        return false;
    for (const char *p = tz; *p; p++)
        if (!(((*p | 32) >= 'a' && (*p | 32) <= 'z') || (*p >= '0' && *p <= '9') ||
              strchr("_-+/", *p)))
            return false;
    snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", tz);
    return access(path, R_OK) == 0;
}

mobid_err issuer_local_midnight(const char *tz, int64_t days, int64_t *out)
{
    int64_t y;
    unsigned m, d;
    char *old = NULL;
    struct tm tm = { 0 };
    time_t t;

    if (!tz_name_ok(tz))
        return MOBID_ERR_INVALID_ARG;
    mobid_civil_from_days(days, &y, &m, &d);
    tm.tm_year = (int)(y - 1900);
    tm.tm_mon = (int)m - 1;
    tm.tm_mday = (int)d;
    tm.tm_isdst = -1;
    pthread_mutex_lock(&tz_lock);
    if (getenv("TZ"))
        old = strdup(getenv("TZ"));
    setenv("TZ", tz, 1);
    tzset();
    t = mktime(&tm);
    if (old)
        setenv("TZ", old, 1);
    else
        unsetenv("TZ");
    tzset();
    pthread_mutex_unlock(&tz_lock);
    free(old);
    if (t == (time_t)-1)
        return MOBID_ERR_INVALID_ARG;
    *out = (int64_t)t;
    return MOBID_OK;
}

typedef struct office_in {
    const char *id, *name, *country, *city, *tz, *accepts_from;
    int64_t wave, accepts_from_at;
} office_in;

/* Validate one office object; detail says what is wrong. */
static mobid_err office_parse(const json_t *o, office_in *in, char *detail, size_t detail_len)
{
    int64_t days;

    memset(in, 0, sizeof *in);
    if (!json_is_object(o) ||
        json_unpack((json_t *)o, "{s:s, s:s, s:s, s:s, s:s, s:s, s?I}", "id", &in->id, "name",
                    &in->name, "country", &in->country, "city", &in->city, "tz", &in->tz,
                    "accepts_from", &in->accepts_from, "wave", &in->wave) != 0) {
        mobid_svc_detail(detail, detail_len,
                         "an office needs id, name, country, city, tz and accepts_from (strings)");
        return MOBID_ERR_INVALID_ARG;
    }
    size_t idlen = strlen(in->id);
    if (idlen == 0 || idlen > 64 || strspn(in->id, "abcdefghijklmnopqrstuvwxyz0123456789-") != idlen) {
        mobid_svc_detail(detail, detail_len, "office id: 1 to 64 of a-z, 0-9 and '-'");
        return MOBID_ERR_INVALID_ARG;
    }
    if (strlen(in->country) != 2 || !*in->name || !*in->city) {
        mobid_svc_detail(detail, detail_len,
                         "country is an ISO 3166-1 alpha-2 code; name and city are not empty");
        return MOBID_ERR_INVALID_ARG;
    }
    if (mobid_date_parse(mobid_view_str(in->accepts_from), &days) != MOBID_OK) {
        mobid_svc_detail(detail, detail_len, "accepts_from is a date YYYY-MM-DD");
        return MOBID_ERR_INVALID_ARG;
    }
    if (issuer_local_midnight(in->tz, days, &in->accepts_from_at) != MOBID_OK) {
        mobid_svc_detail(detail, detail_len, "tz is not a known IANA time zone");
        return MOBID_ERR_INVALID_ARG;
    }
    return MOBID_OK;
}

static mobid_err office_upsert(mobid_store *s, const office_in *in, int64_t now)
{
    mobid_store_stmt *st = NULL;
    bool row;
    mobid_err err;

    err = mobid_store_prepare(
        s,
        "INSERT INTO issuer_offices (id, name, country, city, tz, accepts_from, accepts_from_at,"
        " wave, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)"
        " ON CONFLICT (id) DO UPDATE SET name = excluded.name, country = excluded.country,"
        " city = excluded.city, tz = excluded.tz, accepts_from = excluded.accepts_from,"
        " accepts_from_at = excluded.accepts_from_at, wave = excluded.wave,"
        " updated_at = excluded.updated_at",
        &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, in->id);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 2, in->name);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 3, in->country);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 4, in->city);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 5, in->tz);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 6, in->accepts_from);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 7, in->accepts_from_at);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 8, in->wave);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 9, now);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    mobid_store_finalize(st);
    return err;
}

typedef struct put_tx {
    issuer_ctx *ctx;
    const issuer_officer *who;
    const office_in *offices;
    size_t n;
} put_tx;

static mobid_err put_body(mobid_store *s, void *arg)
{
    put_tx *t = arg;
    int64_t now = mobid_now();
    mobid_err err = MOBID_OK;

    for (size_t i = 0; err == MOBID_OK && i < t->n; i++) {
        const office_in *o = &t->offices[i];
        char *detail = NULL;
        json_t *d = json_pack("{s:s, s:s, s:s, s:I}", "name", o->name, "tz", o->tz,
                              "accepts_from", o->accepts_from, "wave", (json_int_t)o->wave);
        err = office_upsert(s, o, now);
        if (err == MOBID_OK && (!d || !(detail = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS))))
            err = MOBID_ERR_NOMEM;
        if (err == MOBID_OK)
            err = issuer_audit_append(t->ctx, s, t->who ? t->who->id : "system", "office.put",
                                      o->id, detail);
        free(detail);
        json_decref(d);
    }
    return err;
}

mobid_err issuer_offices_put(issuer_ctx *ctx, mobid_store *s, const issuer_officer *who,
                             const json_t *list, size_t *count, char *detail, size_t detail_len)
{
    office_in *in = NULL;
    size_t n = json_array_size(list);
    mobid_err err = MOBID_OK;

    mobid_svc_detail(detail, detail_len, NULL);
    if (count)
        *count = 0;
    if (who && who->role != ISSUER_ROLE_ADMIN)
        return MOBID_SVC_ERR_ACCESS_DENIED;
    if (!json_is_array(list) || n == 0 || n > 1000) {
        mobid_svc_detail(detail, detail_len, "expected an array of 1 to 1000 offices");
        return MOBID_ERR_INVALID_ARG;
    }
    in = calloc(n, sizeof *in);
    if (!in)
        return MOBID_ERR_NOMEM;
    for (size_t i = 0; err == MOBID_OK && i < n; i++)
        err = office_parse(json_array_get(list, i), &in[i], detail, detail_len);
    if (err == MOBID_OK) {
        put_tx t = { ctx, who, in, n };
        err = mobid_store_tx(s, 0, put_body, &t);
    }
    if (err == MOBID_OK && count)
        *count = n;
    free(in);
    return err;
}

mobid_err issuer_offices_seed(issuer_ctx *ctx, mobid_store *s, const char *path, size_t *count)
{
    json_error_t jerr;
    char detail[MOBID_SVC_DETAIL_MAX] = "";
    json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    json_t *list;
    mobid_err err;

    if (!j) {
        fprintf(stderr, "%s:%d: %s\n", path, jerr.line, jerr.text);
        return MOBID_ERR_MALFORMED;
    }
    /* either a bare array or {"offices":[...]} with comments in other keys */
    list = json_is_array(j) ? j : json_object_get(j, "offices");
    err = issuer_offices_put(ctx, s, NULL, list, count, detail, sizeof detail);
    if (err != MOBID_OK && detail[0])
        fprintf(stderr, "%s: %s\n", path, detail);
    json_decref(j);
    return err;
}

mobid_err issuer_office_check_open(mobid_store *s, const char *office_id, int64_t now,
                                   char *opens)
{
    mobid_store_stmt *st = NULL;
    bool row = false;
    mobid_err err;

    err = mobid_store_prepare(s, "SELECT accepts_from_at, accepts_from FROM issuer_offices"
                                 " WHERE id = $1", &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, office_id);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    if (err == MOBID_OK && !row)
        err = MOBID_ERR_NOT_FOUND;
    if (err == MOBID_OK && now < mobid_store_col_int64(st, 0)) {
        err = MOBID_SVC_ERR_OFFICE_NOT_OPEN;
        if (opens) {
            mobid_view v = mobid_store_col_text(st, 1);
            snprintf(opens, 11, "%.*s", (int)v.len, (const char *)v.ptr);
        }
    }
    mobid_store_finalize(st);
    return err;
}

static json_t *office_row_json(mobid_store_stmt *st, int64_t now)
{
    char *f[6];
    json_t *j;

    for (int i = 0; i < 6; i++)
        f[i] = mobid_store_col_strdup(st, i);
    j = json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:I, s:b}", "id", f[0], "name", f[1],
                  "country", f[2], "city", f[3], "tz", f[4], "accepts_from", f[5], "wave",
                  (json_int_t)mobid_store_col_int64(st, 6), "open",
                  now >= mobid_store_col_int64(st, 7));
    if (j)
        json_object_set_new(j, "require_totp", json_boolean(mobid_store_col_int64(st, 8) != 0));
    for (int i = 0; i < 6; i++)
        free(f[i]);
    return j;
}

mobid_err issuer_offices_json(mobid_store *s, const char *id, json_t **out)
{
    mobid_store_stmt *st = NULL;
    json_t *arr = json_array();
    int64_t now = mobid_now();
    bool row = false;
    mobid_err err;

    *out = NULL;
    if (!arr)
        return MOBID_ERR_NOMEM;
    err = mobid_store_prepare(s, "SELECT id, name, country, city, tz, accepts_from, wave,"
                                 " accepts_from_at, require_totp FROM issuer_offices"
                                 " WHERE $1 = '' OR id = $1 ORDER BY accepts_from, id", &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, id ? id : "");
    while (err == MOBID_OK && (err = mobid_store_step(st, &row)) == MOBID_OK && row) {
        json_t *o = office_row_json(st, now);
        if (!o || json_array_append_new(arr, o) != 0)
            err = MOBID_ERR_NOMEM;
    }
    if (err == MOBID_OK && id && json_array_size(arr) == 0)
        err = MOBID_ERR_NOT_FOUND;
    if (err == MOBID_OK) {
        *out = arr;
        arr = NULL;
    }
    mobid_store_finalize(st);
    json_decref(arr);
    return err;
}
