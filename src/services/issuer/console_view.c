/*
 * What the console shows instead of raw data: times in the office's zone, officers by
 * name, offices by name, card types and claim values by the card type's ko/en labels,
 * and audit entries as sentences.
 *
 * Office time: the zone's TZif file (/usr/share/zoneinfo/<tz>) is read once per request
 * and looked up per time shown. Reading the file instead of switching the process's TZ
 * keeps the request path free of setenv(), which other threads may race with.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "services/issuer/console.h"

/* ---- time zones ---- */

struct console_zone {
    size_t ntrans, ntypes;
    int64_t *at;          /* transition times, ascending */
    uint8_t *type;        /* the local time type from each transition */
    int32_t off[256];     /* UT offset of each type */
    char abbr[256][8];    /* its abbreviation ("PST", "+07") */
};

static uint64_t be(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* Parse the data block at p (tsize 4 for version 1, 8 for the 64-bit block). */
static bool zone_parse_block(console_zone *z, const uint8_t *p, const uint8_t *end, size_t tsize)
{
    const uint8_t *h = p;
    if (end - p < 44 || memcmp(p, "TZif", 4))
        return false;
    size_t timecnt = be(h + 32, 4), typecnt = be(h + 36, 4), charcnt = be(h + 40, 4);
    p += 44;
    if (typecnt == 0 || typecnt > 256 || timecnt > 4096 ||
        (size_t)(end - p) < timecnt * (tsize + 1) + typecnt * 6 + charcnt)
        return false;
    z->at = calloc(timecnt + 1, sizeof *z->at);
    z->type = calloc(timecnt + 1, 1);
    if (!z->at || !z->type)
        return false;
    for (size_t i = 0; i < timecnt; i++) {
        uint64_t v = be(p + i * tsize, tsize);
        z->at[i] = tsize == 4 ? (int64_t)(int32_t)v : (int64_t)v;
        z->type[i] = p[timecnt * tsize + i];
        if (z->type[i] >= typecnt)
            return false;
    }
    p += timecnt * (tsize + 1);
    const uint8_t *chars = p + typecnt * 6;
    for (size_t i = 0; i < typecnt; i++) {
        size_t ai = p[i * 6 + 5];
        z->off[i] = (int32_t)be(p + i * 6, 4);
        if (ai < charcnt)
            snprintf(z->abbr[i], sizeof z->abbr[i], "%.*s", (int)strnlen((const char *)chars + ai, charcnt - ai),
                     (const char *)chars + ai);
    }
    z->ntrans = timecnt;
    z->ntypes = typecnt;
    return true;
}

/* Skip the version 1 block to the 64-bit one (version 2 and later). */
static const uint8_t *zone_v2(const uint8_t *p, const uint8_t *end)
{
    if (end - p < 44 || p[4] < '2')
        return NULL;
    size_t isut = be(p + 20, 4), isstd = be(p + 24, 4), leap = be(p + 28, 4),
           timecnt = be(p + 32, 4), typecnt = be(p + 36, 4), charcnt = be(p + 40, 4);
    size_t n = 44 + timecnt * 5 + typecnt * 6 + charcnt + leap * 8 + isstd + isut;
    return (size_t)(end - p) > n ? p + n : NULL;
}

void console_zone_free(console_zone *z)
{
    if (!z)
        return;
    free(z->at);
    free(z->type);
    free(z);
}

/* The zone named tz (an IANA name), or NULL when unknown. */
console_zone *console_zone_load(const char *tz)
{
    char path[300];
    uint8_t *data = NULL;
    console_zone *z = NULL;
    const uint8_t *v2;
    long n;
    FILE *f;

    if (!tz || !*tz || *tz == '/' || strstr(tz, "..") || strlen(tz) > 64)
        return NULL;
    snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", tz);
    if (!(f = fopen(path, "rb")))
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 44 && n < 1 << 20 && fseek(f, 0, SEEK_SET) == 0 &&
        (data = malloc((size_t)n)) && fread(data, 1, (size_t)n, f) == (size_t)n &&
        (z = calloc(1, sizeof *z))) {
        v2 = zone_v2(data, data + n);
        if (!(v2 ? zone_parse_block(z, v2, data + n, 8) : zone_parse_block(z, data, data + n, 4))) {
            console_zone_free(z);
            z = NULL;
        }
    }
    fclose(f);
    free(data);
    return z;
}

/* UT offset and abbreviation at t: the type of the last transition at or before t (the
 * first type before any transition). */
static void zone_at(const console_zone *z, int64_t t, int32_t *off, const char **abbr)
{
    size_t k = 0;
    for (size_t i = 0; i < z->ntrans && z->at[i] <= t; i++)
        k = z->type[i];
    *off = z->off[k];
    *abbr = z->abbr[k];
}

/* The zone of the request: its office's (console_set_zone), else UTC. */
void console_when(console_req *c, int64_t t)
{
    char s[40], iso[32], zone[16];
    int32_t off = 0;
    const char *abbr = "UTC";
    time_t tt;
    struct tm tm;

    tt = (time_t)t;
    gmtime_r(&tt, &tm);
    strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (c->zone)
        zone_at(c->zone, t, &off, &abbr);
    tt = (time_t)(t + off);
    gmtime_r(&tt, &tm);
    strftime(s, sizeof s, "%Y-%m-%d %H:%M", &tm);
    /* numeric abbreviations ("+07") read as UTC offsets */
    snprintf(zone, sizeof zone, "%s%s", abbr[0] == '+' || abbr[0] == '-' ? "UTC" : "", abbr);
    console_put(&c->page, "<time datetime=\"");
    console_put(&c->page, iso);
    console_put(&c->page, "\" title=\"");
    console_put(&c->page, iso);
    console_put(&c->page, "\">");
    console_put(&c->page, s);
    console_put(&c->page, " ");
    console_esc(&c->page, zone);
    console_put(&c->page, "</time>");
}

/* ---- offices, officers ---- */

/* Column 0 and 1 of sql($1 = key) as text into a / b (empty when absent). */
static void query_text2(console_req *c, const char *sql, const char *key, char *a, size_t na,
                        char *b, size_t nb)
{
    mobid_store_stmt *st = NULL;
    bool row = false;
    a[0] = 0;
    if (b)
        b[0] = 0;
    if (key && !mobid_store_prepare(c->s, sql, &st) && !mobid_store_bind_str(st, 1, key) &&
        !mobid_store_step(st, &row) && row) {
        mobid_view v = mobid_store_col_text(st, 0);
        snprintf(a, na, "%.*s", (int)v.len, (const char *)v.ptr);
        v = mobid_store_col_text(st, 1);
        if (b)
            snprintf(b, nb, "%.*s", (int)v.len, (const char *)v.ptr);
    }
    mobid_store_finalize(st);
}

void console_set_zone(console_req *c, const char *office_id)
{
    char name[128], tz[65];
    query_text2(c, "SELECT name, tz FROM issuer_offices WHERE id = $1", office_id, name,
                sizeof name, tz, sizeof tz);
    if (!strcmp(tz, c->tz))
        return;
    console_zone_free(c->zone);
    c->zone = tz[0] ? console_zone_load(tz) : NULL;
    snprintf(c->tz, sizeof c->tz, "%s", c->zone ? tz : "");
}

void console_office(console_req *c, const char *office_id)
{
    char name[128];
    query_text2(c, "SELECT name, tz FROM issuer_offices WHERE id = $1", office_id, name,
                sizeof name, NULL, 0);
    console_esc(&c->page, name[0] ? name : office_id);
}

void console_officer(console_req *c, const char *id)
{
    char name[130], user[70];
    if (!id)
        return;
    if (!strcmp(id, "system") || !strcmp(id, "holder")) {
        console_put(&c->page, !strcmp(id, "system") ? "시스템 <span class=\"en\">system</span>"
                                                    : "신청인 앱 <span class=\"en\">holder's wallet</span>");
        return;
    }
    query_text2(c, "SELECT display_name, username FROM issuer_officers WHERE id = $1", id, name,
                sizeof name, user, sizeof user);
    console_put(&c->page, "<span class=\"officer\" title=\"");
    console_esc(&c->page, id);
    console_put(&c->page, "\">");
    console_esc(&c->page, name[0] ? name : id);
    if (user[0] && strcmp(user, name)) {
        console_put(&c->page, " <span class=\"en\">(");
        console_esc(&c->page, user);
        console_put(&c->page, ")</span>");
    }
    console_put(&c->page, "</span>");
}

/* ---- card types and values ---- */

void console_cardtype(console_req *c, const char *id)
{
    const issuer_cardtype *ct = id ? issuer_cardtype_find(c->ctx, id) : NULL;
    if (!ct) {
        console_esc(&c->page, id);
        return;
    }
    console_esc(&c->page, ct->display_ko ? ct->display_ko : ct->id);
    console_put(&c->page, " <span class=\"en\">");
    console_esc(&c->page, ct->name ? ct->name : ct->id);
    console_put(&c->page, "</span>");
}

/* A form field's value as the officer reads it: an option's ko/en label, 예/아니요 for a
 * flag, the text otherwise. */
void console_value(console_req *c, const json_t *field, const json_t *v)
{
    char raw[64] = "";
    size_t i;
    const json_t *o;

    if (json_is_boolean(v)) {
        console_put(&c->page, json_is_true(v) ? "예 <span class=\"en\">Yes</span>"
                                               : "아니요 <span class=\"en\">No</span>");
        return;
    }
    if (json_is_integer(v))
        snprintf(raw, sizeof raw, "%lld", (long long)json_integer_value(v));
    json_array_foreach (json_object_get(field, "options"), i, o) {
        const json_t *ov = json_object_get(o, "value");
        if (json_equal(ov, (json_t *)v)) {
            console_esc(&c->page, json_string_value(json_object_get(o, "ko")));
            console_put(&c->page, " <span class=\"en\">");
            console_esc(&c->page, json_string_value(json_object_get(o, "en")));
            console_put(&c->page, "</span>");
            return;
        }
    }
    if (json_is_string(v)) {
        console_esc(&c->page, json_string_value(v));
    } else if (raw[0]) {
        console_put(&c->page, raw);
    } else {
        char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        console_esc(&c->page, s);
        free(s);
    }
}

/* ---- states ---- */

static const char *const APP_STATES[][2] = {
    { "received", "접수 <span class=\"en\">received</span>" },
    { "verified", "신원 확인 <span class=\"en\">verified</span>" },
    { "approved", "승인 <span class=\"en\">approved</span>" },
    { "offer_issued", "발급 대기 <span class=\"en\">offer issued</span>" },
    { "card_issued", "발급 완료 <span class=\"en\">card issued</span>" },
    { "rejected", "반려 <span class=\"en\">rejected</span>" },
    { "offer_expired", "발급 코드 만료 <span class=\"en\">offer expired</span>" },
    { "cancelled", "취소 <span class=\"en\">cancelled</span>" },
    /* the card's states (lifecycle.c), "replaced" as the officer says it */
    { "active", "카드 사용 중 <span class=\"en\">card active</span>" },
    { "suspended", "카드 일시 정지 <span class=\"en\">card suspended</span>" },
    { "revoked", "카드 폐기 <span class=\"en\">card revoked</span>" },
    { "replaced", "새 카드로 대체됨 <span class=\"en\">card superseded</span>" },
    { "expired", "카드 만료 <span class=\"en\">card expired</span>" },
};

/* Append the label (HTML) of an application or card state. */
void console_state_html(console_req *c, const char *st)
{
    for (size_t i = 0; st && i < sizeof APP_STATES / sizeof APP_STATES[0]; i++)
        if (!strcmp(st, APP_STATES[i][0])) {
            console_put(&c->page, APP_STATES[i][1]);
            return;
        }
    console_esc(&c->page, st);
}

/* ---- audit entries ---- */

static const char *const ACTIONS[][2] = {
    { "application.create", "신청 접수 <span class=\"en\">application filed</span>" },
    { "application.verify", "신원 확인 <span class=\"en\">identity verified</span>" },
    { "application.approve", "승인 <span class=\"en\">approved</span>" },
    { "application.reject", "반려 <span class=\"en\">rejected</span>" },
    { "application.offer", "발급 코드 생성 <span class=\"en\">offer made</span>" },
    { "application.cancel", "발급 취소 <span class=\"en\">offer cancelled</span>" },
    { "application.settle", "상태 정리 <span class=\"en\">state settled</span>" },
    { "offer.create", "발급 코드 생성 <span class=\"en\">offer created</span>" },
    { "offer.killed", "발급 코드 무효 <span class=\"en\">offer voided</span>" },
    { "card.issue", "카드 발급 <span class=\"en\">card delivered to the phone</span>" },
    { "card.replace", "새 카드로 대체 <span class=\"en\">card superseded by a new one</span>" },
    { "card.suspend", "카드 일시 정지 <span class=\"en\">card suspended</span>" },
    { "card.resume", "정지 해제 <span class=\"en\">card resumed</span>" },
    { "card.revoke", "카드 폐기 <span class=\"en\">card revoked</span>" },
    { "card.expire", "카드 만료 <span class=\"en\">cards expired</span>" },
    { "card.renew", "카드 갱신 (앱 전달 대기) <span class=\"en\">card renewed (waits for the app)</span>" },
    { "card.refresh", "사본 새로 받음 <span class=\"en\">copies refreshed</span>" },
    { "office.put", "공관 정보 변경 <span class=\"en\">office saved</span>" },
    { "officer.create", "직원 등록 <span class=\"en\">officer created</span>" },
    { "session.create", "콘솔 로그인 <span class=\"en\">signed in</span>" },
    { "session.end", "로그아웃 <span class=\"en\">signed out</span>" },
    { "token.create", "API 토큰 발급 <span class=\"en\">API token created</span>" },
    { "token.revoke", "API 토큰 폐기 <span class=\"en\">API token revoked</span>" },
    { "signin.fail", "로그인 실패 <span class=\"en\">sign-in failed</span>" },
    { "signin.throttled", "로그인 제한 <span class=\"en\">sign-in throttled</span>" },
    { "signin.busy", "로그인 지연 <span class=\"en\">sign-in busy</span>" },
};

void console_action_html(console_req *c, const char *action)
{
    for (size_t i = 0; action && i < sizeof ACTIONS / sizeof ACTIONS[0]; i++)
        if (!strcmp(action, ACTIONS[i][0])) {
            console_put(&c->page, ACTIONS[i][1]);
            return;
        }
    console_esc(&c->page, action);
}

static void detail_item(console_req *c, const char *label)
{
    console_put(&c->page, "<li>");
    console_put(&c->page, label);
    console_put(&c->page, ": ");
}

/* One known member of an audit detail; false for others. */
static bool detail_known(console_req *c, const char *key, const json_t *v)
{
    if (!strcmp(key, "from") || !strcmp(key, "sealed") || json_is_null(v))
        return true; /* "from" goes with "to"; "sealed" is opened or noted apart */
    if (!strcmp(key, "offer") || !strcmp(key, "replaces")) {
        detail_item(c, !strcmp(key, "offer") ? "발급 코드 <span class=\"en\">offer</span>"
                                             : "교체된 코드 <span class=\"en\">replaces offer</span>");
        console_put(&c->page, "<code>");
        console_esc(&c->page, json_string_value(v));
        console_put(&c->page, "</code></li>");
        return true;
    }
    if (!strcmp(key, "reason") || !strcmp(key, "name") || !strcmp(key, "username")) {
        detail_item(c, !strcmp(key, "reason") ? "사유 <span class=\"en\">reason</span>"
                                              : "이름 <span class=\"en\">name</span>");
        console_esc(&c->page, json_string_value(v));
    } else if (!strcmp(key, "office")) {
        detail_item(c, "공관 <span class=\"en\">office</span>");
        console_office(c, json_string_value(v));
    } else if (!strcmp(key, "cardtype")) {
        detail_item(c, "종류 <span class=\"en\">card type</span>");
        console_cardtype(c, json_string_value(v));
    } else if (!strcmp(key, "role")) {
        detail_item(c, "역할 <span class=\"en\">role</span>");
        console_esc(&c->page, json_string_value(v));
    } else if (!strcmp(key, "count")) {
        detail_item(c, "건수 <span class=\"en\">count</span>");
        console_int(&c->page, (long long)json_integer_value(v));
    } else {
        return false;
    }
    console_put(&c->page, "</li>");
    return true;
}

/* The detail as a short list: state change, reason, evidence, office, card type; any
 * other member as "key: value". A seal that did not open is said so. */
void console_audit_detail(console_req *c, const json_t *d)
{
    const char *key;
    const json_t *v;
    const char *to = json_string_value(json_object_get(d, "to"));

    console_put(&c->page, "<ul class=\"detail\">");
    if (to) {
        const char *from = json_string_value(json_object_get(d, "from"));
        detail_item(c, "상태 <span class=\"en\">state</span>");
        if (from && *from) {
            console_state_html(c, from);
            console_put(&c->page, " → ");
        }
        console_state_html(c, to);
        console_put(&c->page, "</li>");
    }
    json_object_foreach ((json_t *)d, key, v) {
        if (!strcmp(key, "to") || detail_known(c, key, v))
            continue;
        if (!strcmp(key, "evidence") && json_is_object(v)) {
            const char *k;
            const json_t *ev;
            detail_item(c, "증빙 <span class=\"en\">evidence</span>");
            json_object_foreach ((json_t *)v, k, ev) {
                console_esc(&c->page, k);
                console_put(&c->page, " — ");
                console_esc(&c->page, json_string_value(ev));
                console_put(&c->page, "; ");
            }
            console_put(&c->page, "</li>");
            continue;
        }
        console_put(&c->page, "<li>");
        console_esc(&c->page, key);
        console_put(&c->page, ": ");
        char *s = json_is_string(v) ? NULL : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        console_esc(&c->page, s ? s : json_string_value(v));
        free(s);
        console_put(&c->page, "</li>");
    }
    if (json_is_string(json_object_get(d, "sealed")))
        console_put(&c->page, "<li>봉인된 내용 <span class=\"en\">sealed text (not shown)</span></li>");
    console_put(&c->page, "</ul>");
}

/* Audit entries as JSON (seq, at, actor, action, subject, detail) for sql whose
 * parameters are $1 = key (text) and $2 = after, columns in that order. */
mobid_err console_audit_query(console_req *c, const char *sql, const char *key, int64_t after,
                              json_t **out)
{
    mobid_store_stmt *st = NULL;
    bool row = false;
    mobid_err err = mobid_store_prepare(c->s, sql, &st);

    *out = json_array();
    if (!err && !*out) err = MOBID_ERR_NOMEM;
    if (!err) err = mobid_store_bind_str(st, 1, key);
    if (!err && strstr(sql, "$2")) err = mobid_store_bind_int64(st, 2, after);
    while (!err && !(err = mobid_store_step(st, &row)) && row) {
        char *f[4];
        for (int i = 0; i < 4; i++)
            f[i] = mobid_store_col_strdup(st, i + 2);
        json_t *d = f[3] ? json_loads(f[3], 0, NULL) : NULL;
        json_t *e = json_pack("{s:I, s:I, s:s?, s:s?, s:s?, s:o}", "seq",
                              (json_int_t)mobid_store_col_int64(st, 0), "at",
                              (json_int_t)mobid_store_col_int64(st, 1), "actor", f[0], "action",
                              f[1], "subject", f[2], "detail", json_is_object(d) ? d : json_object());
        if (d && !json_is_object(d))
            json_decref(d);
        for (int i = 0; i < 4; i++)
            free(f[i]);
        if (!e || json_array_append_new(*out, e))
            err = MOBID_ERR_NOMEM;
    }
    mobid_store_finalize(st);
    if (err) {
        json_decref(*out);
        *out = NULL;
    } else {
        issuer_audit_unseal_list(c->ctx, *out);
    }
    return err;
}

/* Table rows for audit entries: time (office zone), who, what, subject (when
 * with_subject), readable detail. */
void console_audit_rows(console_req *c, const json_t *list, bool with_subject)
{
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *e = json_array_get(list, i);
        console_put(&c->page, "<tr data-action=\"");
        console_esc(&c->page, json_string_value(json_object_get(e, "action")));
        console_put(&c->page, "\"><td>");
        console_int(&c->page, (long long)json_integer_value(json_object_get(e, "seq")));
        console_put(&c->page, "</td><td>");
        console_when(c, json_integer_value(json_object_get(e, "at")));
        console_put(&c->page, "</td><td class=\"actor\">");
        console_officer(c, json_string_value(json_object_get(e, "actor")));
        console_put(&c->page, "</td><td class=\"action\">");
        console_action_html(c, json_string_value(json_object_get(e, "action")));
        if (with_subject) {
            console_put(&c->page, "</td><td class=\"subject\">");
            console_esc(&c->page, json_string_value(json_object_get(e, "subject")));
        }
        console_put(&c->page, "</td><td>");
        console_audit_detail(c, json_object_get(e, "detail"));
        console_put(&c->page, "</td></tr>\n");
    }
}
