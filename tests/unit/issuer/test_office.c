/*
 * Offices, officers, applications and the audit chain of the issuer service, on SQLite
 * (always) and PostgreSQL (when MOBID_PG_URL is set; tests/cli/issuer_office_pg.sh
 * starts one with scripts/pg-test).
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mobid/crypto.h>
#include "services/issuer/office.h"
#include "services/issuer/renewal.h"

static const char *g_url;
static issuer_ctx *g_ctx;
static mobid_store *g_s;
static issuer_officer g_admin, g_a1, g_a2, g_b1, g_asup;
static unsigned g_person;

/* The card types are the real catalogue (etc/card-types.json, compiled in). */

/* A date string `days` from today. */
static const char *date_from_today(int64_t days, char out[11])
{
    assert_int_equal(mobid_date_format(mobid_now() / 86400 + days, out), MOBID_OK);
    return out;
}

/* An eligible applicant with a fresh registration number. */
static json_t *applicant(void)
{
    char rrn[16], birth[11], expiry[11];

    date_from_today(-30 * 365, birth);
    /* YYMMDD of the birth date, then the century/sex digit (2: a woman born 19xx) */
    snprintf(rrn, sizeof rrn, "%.2s%.2s%.2s-2%06u", birth + 2, birth + 5, birth + 8,
             ((++g_person) * 7 + (unsigned)getpid() % 7) % 1000000);
    return json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s}",
                     "family_name", "KIM", "given_name", "MINJI", "family_name_national_character", "김",
                     "given_name_national_character", "민지", "sex", 2,
                     "birth_date", birth,
                     "resident_registration_number", rrn, "nationality", "KR",
                     "residence_status", "permanent", "country_of_residence", "US",
                     "passport_number", "M12345678", "e_passport", 1, "passport_expiry",
                     date_from_today(400, expiry));
}

/* A sign-in attempt from one test source. */
#define SIGNIN(u, p) (&(issuer_signin){ (u), (p), "192.0.2.1", "api", 0, NULL, NULL, "" })

static void make_officer(const char *user, const char *office, const char *role,
                         issuer_officer *out)
{
    char id[23], token[ISSUER_TOKEN_LEN + 1];
    char detail[MOBID_SVC_DETAIL_MAX] = "";

    assert_int_equal(issuer_officer_create(g_ctx, g_s, NULL, user, user, office, role,
                                           "correct horse battery", id, detail, sizeof detail),
                     MOBID_OK);
    assert_int_equal(issuer_token_create(g_ctx, g_s, SIGNIN(user, "correct horse battery"), "test", 3600,
                                         token, out),
                     MOBID_OK);
    assert_string_equal(out->id, id);
}

static int group_setup(void **state)
{
    char open_day[11], later_day[11];
    char detail[MOBID_SVC_DETAIL_MAX] = "";
    json_t *offices;

    (void)state;
    g_ctx = calloc(1, sizeof *g_ctx);
    assert_non_null(g_ctx);
    pthread_mutex_init(&g_ctx->lock, NULL);
    assert_int_equal(mobid_random(g_ctx->data_key, 32), MOBID_OK);
    assert_int_equal(mobid_random(g_ctx->lookup_key, 32), MOBID_OK);
    g_ctx->cfg.issuer_url = strdup("https://issuer.example.kr");
    g_ctx->cfg.offer_lifetime_s = 900;
    g_ctx->cfg.tx_code_attempts = 5;
    g_ctx->cfg.tx_code_length = 6;
    assert_int_equal(issuer_cardtypes_parse(NULL, &g_ctx->cfg.cardtypes, &g_ctx->cfg.ncardtypes),
                     MOBID_OK);
    assert_int_equal(mobid_store_pool_new(g_url, 2, &g_ctx->pool), MOBID_OK);
    assert_int_equal(mobid_store_open(g_url, &g_s), MOBID_OK);
    assert_int_equal(issuer_schema_migrate(g_s), MOBID_OK);
    offices = json_pack(
        "[{s:s, s:s, s:s, s:s, s:s, s:s, s:i}, {s:s, s:s, s:s, s:s, s:s, s:s, s:i},"
        " {s:s, s:s, s:s, s:s, s:s, s:s, s:i}]",
        "id", "los-angeles", "name", "Consulate General in Los Angeles", "country", "US", "city",
        "Los Angeles", "tz", "America/Los_Angeles", "accepts_from",
        date_from_today(-10, open_day), "wave", 1, "id", "tokyo", "name",
        "Embassy in Tokyo", "country", "JP", "city", "Tokyo", "tz", "Asia/Tokyo",
        "accepts_from", open_day, "wave", 1, "id", "nairobi", "name", "Embassy in Nairobi",
        "country", "KE", "city", "Nairobi", "tz", "Africa/Nairobi", "accepts_from",
        date_from_today(30, later_day), "wave", 3);
    size_t n = 0;
    assert_int_equal(issuer_offices_put(g_ctx, g_s, NULL, offices, &n,
                                        detail, sizeof detail), MOBID_OK);
    assert_int_equal(n, 3);
    json_decref(offices);
    make_officer("admin", NULL, "ministry_admin", &g_admin);
    make_officer("la.kim", "los-angeles", "officer", &g_a1);
    make_officer("la.lee", "los-angeles", "officer", &g_a2);
    make_officer("la.park", "los-angeles", "supervisor", &g_asup);
    make_officer("tokyo.sato", "tokyo", "officer", &g_b1);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    mobid_store_close(g_s);
    mobid_store_pool_free(g_ctx->pool);
    free(g_ctx->cfg.issuer_url);
    pthread_mutex_destroy(&g_ctx->lock);
    issuer_cardtypes_free(g_ctx->cfg.cardtypes, g_ctx->cfg.ncardtypes);
    free(g_ctx);
    return 0;
}

/* Take an application at LA and return its id. */
static void take(const issuer_officer *who, json_t *pii, char id[23])
{
    char detail[MOBID_SVC_DETAIL_MAX] = "";
    assert_int_equal(issuer_app_create(g_ctx, g_s, who, "los-angeles", "resident_card", pii, id,
                                       detail, sizeof detail),
                     MOBID_OK);
}

static void test_office_not_open(void **state)
{
    char id[23], day[11];
    char detail[MOBID_SVC_DETAIL_MAX] = "";
    json_t *pii = applicant();
    int64_t at, days;

    (void)state;
    assert_int_equal(issuer_app_create(g_ctx, g_s, &g_admin, "nairobi", "resident_card", pii, id,
                                       detail, sizeof detail),
                     MOBID_SVC_ERR_OFFICE_NOT_OPEN);
    assert_true(detail[0] != '\0');
    assert_int_equal(issuer_office_check_open(g_s, "nairobi", mobid_now(), day),
                     MOBID_SVC_ERR_OFFICE_NOT_OPEN);
    assert_int_equal(issuer_office_check_open(g_s, "atlantis", mobid_now(), NULL),
                     MOBID_ERR_NOT_FOUND);
    /* opening is local midnight: 2026-01-10 in Los Angeles is 08:00Z */
    assert_int_equal(mobid_date_parse(mobid_view_str("2026-01-10"), &days), MOBID_OK);
    assert_int_equal(issuer_local_midnight("America/Los_Angeles", days, &at), MOBID_OK);
    assert_int_equal(at, days * 86400 + 8 * 3600);
    assert_int_equal(issuer_local_midnight("Mars/Olympus", days, &at), MOBID_ERR_INVALID_ARG);
    json_decref(pii);
}

static void test_cross_office_refused(void **state)
{
    char id[23], other[23];
    char detail[MOBID_SVC_DETAIL_MAX] = "";
    json_t *pii = applicant(), *ev = json_pack("{s:s, s:s}", "passport", "checked", "residency", "PR card"), *j = NULL;

    (void)state;
    /* a Tokyo officer cannot take an application at LA */
    assert_int_equal(issuer_app_create(g_ctx, g_s, &g_b1, "los-angeles", "resident_card", pii,
                                       other, detail, sizeof detail),
                     MOBID_SVC_ERR_ACCESS_DENIED);
    take(&g_a1, pii, id);
    /* nor read, verify, approve, reject or act on the card of one */
    assert_int_equal(issuer_app_json(g_ctx, g_s, &g_b1, id, true, &j), MOBID_SVC_ERR_ACCESS_DENIED);
    assert_null(j);
    assert_int_equal(issuer_app_verify(g_ctx, g_s, &g_b1, id, ev), MOBID_SVC_ERR_ACCESS_DENIED);
    assert_int_equal(issuer_app_reject(g_ctx, g_s, &g_b1, id, "no"), MOBID_SVC_ERR_ACCESS_DENIED);
    assert_int_equal(issuer_app_card_action(g_ctx, g_s, &g_b1, id, "revoke", "fraud"),
                     MOBID_SVC_ERR_ACCESS_DENIED);
    /* listings are scoped: Tokyo sees none of LA's */
    assert_int_equal(issuer_apps_list(g_ctx, g_s, &g_b1, NULL, NULL, 100, &j), MOBID_OK);
    for (size_t i = 0; i < json_array_size(j); i++)
        assert_string_equal(json_string_value(json_object_get(json_array_get(j, i), "office_id")),
                            "tokyo");
    json_decref(j);
    /* the ministry admin sees it */
    assert_int_equal(issuer_app_json(g_ctx, g_s, &g_admin, id, false, &j), MOBID_OK);
    assert_string_equal(json_string_value(json_object_get(j, "state")), "received");
    json_decref(j);
    json_decref(ev);
    json_decref(pii);
}

static void test_four_eyes(void **state)
{
    char id[23];
    json_t *pii = applicant(), *ev = json_pack("{s:s, s:s}", "passport", "chip read",
                                               "residency", "green card seen"), *j = NULL;

    (void)state;
    take(&g_a1, pii, id);
    /* approval before verification is out of order */
    assert_int_equal(issuer_app_approve(g_ctx, g_s, &g_a2, id), MOBID_SVC_ERR_WRONG_STATE);
    assert_int_equal(issuer_app_verify(g_ctx, g_s, &g_a1, id, ev), MOBID_OK);
    /* the verifier cannot approve alone, not even as a second call */
    assert_int_equal(issuer_app_approve(g_ctx, g_s, &g_a1, id), MOBID_SVC_ERR_FOUR_EYES);
    assert_int_equal(issuer_app_json(g_ctx, g_s, &g_a1, id, false, &j), MOBID_OK);
    assert_string_equal(json_string_value(json_object_get(j, "state")), "verified");
    json_decref(j);
    assert_int_equal(issuer_app_approve(g_ctx, g_s, &g_a2, id), MOBID_OK);
    assert_int_equal(issuer_app_json(g_ctx, g_s, &g_a1, id, true, &j), MOBID_OK);
    assert_string_equal(json_string_value(json_object_get(j, "state")), "approved");
    assert_string_equal(json_string_value(json_object_get(j, "verified_by")), g_a1.id);
    assert_string_equal(json_string_value(json_object_get(j, "approved_by")), g_a2.id);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "applicant"),
                                                          "family_name")),
                        "KIM");
    json_decref(j);
    /* approving twice is a state error */
    assert_int_equal(issuer_app_approve(g_ctx, g_s, &g_asup, id), MOBID_SVC_ERR_WRONG_STATE);
    json_decref(ev);
    json_decref(pii);
}

/* approved → offer_issued through the core's issuer_offer_create, in one transaction */
static void test_offer_handover(void **state)
{
    char id[23];
    char detail[MOBID_SVC_DETAIL_MAX] = "";
    issuer_offer offer;
    json_t *pii = applicant(), *ev = json_pack("{s:s, s:s}", "passport", "chip read", "residency", "PR card"), *j = NULL;
    int64_t before = 0, after = 0;

    (void)state;
    take(&g_a1, pii, id);
    assert_int_equal(issuer_app_offer(g_ctx, g_s, &g_a1, id, &offer, detail, sizeof detail),
                     MOBID_SVC_ERR_WRONG_STATE);
    assert_int_equal(issuer_app_verify(g_ctx, g_s, &g_a2, id, ev), MOBID_OK);
    assert_int_equal(issuer_app_approve(g_ctx, g_s, &g_asup, id), MOBID_OK);
    assert_int_equal(issuer_app_offer(g_ctx, g_s, &g_b1, id, &offer, detail, sizeof detail),
                     MOBID_SVC_ERR_ACCESS_DENIED);
    assert_int_equal(mobid_store_query_int64(g_s, "SELECT count(*) FROM issuer_offers", &before,
                                             NULL),
                     MOBID_OK);
    assert_int_equal(issuer_app_offer(g_ctx, g_s, &g_a1, id, &offer,
                                      detail, sizeof detail), MOBID_OK);
    assert_int_equal(strlen(offer.tx_code), 6);
    assert_non_null(offer.offer_uri);
    assert_memory_equal(offer.offer_uri, "openid-credential-offer://", 26);
    assert_int_equal(issuer_app_json(g_ctx, g_s, &g_a1, id, false, &j), MOBID_OK);
    assert_string_equal(json_string_value(json_object_get(j, "state")), "offer_issued");
    assert_string_equal(json_string_value(json_object_get(j, "offer_id")), offer.offer_id);
    json_decref(j);
    issuer_offer_clear(&offer);
    /* a second offer for the same application is refused and writes no offer row */
    assert_int_equal(issuer_app_offer(g_ctx, g_s, &g_a1, id, &offer, detail, sizeof detail),
                     MOBID_SVC_ERR_WRONG_STATE);
    assert_int_equal(mobid_store_query_int64(g_s, "SELECT count(*) FROM issuer_offers", &after,
                                             NULL),
                     MOBID_OK);
    assert_int_equal(after, before + 1);
    /* no card delivered yet: nothing to suspend */
    assert_int_equal(issuer_app_card_action(g_ctx, g_s, &g_a1, id, "suspend", "lost phone"),
                     MOBID_SVC_ERR_WRONG_STATE);
    /* the person cannot apply again while the offer runs */
    assert_int_equal(issuer_app_create(g_ctx, g_s, &g_a2, "los-angeles", "resident_card", pii,
                                       id, detail, sizeof detail),
                     MOBID_SVC_ERR_APPLICATION_EXISTS);
    json_decref(ev);
    json_decref(pii);
}

/* Applicant with one field changed must be refused with want. */
static void refuse(const char *key, json_t *value, mobid_err want)
{
    char id[23];
    char detail[MOBID_SVC_DETAIL_MAX] = "";
    json_t *pii = applicant();

    json_object_set_new(pii, key, value);
    assert_int_equal(issuer_app_create(g_ctx, g_s, &g_a1, "los-angeles", "resident_card", pii, id,
                                       detail, sizeof detail),
                     want);
    assert_true(detail[0] != '\0');
    json_decref(pii);
}

static void test_ineligible(void **state)
{
    char d[11];

    (void)state;
    refuse("nationality", json_string("JP"), MOBID_SVC_ERR_INELIGIBLE_NATIONALITY);
    refuse("residence_status", json_string("temporary"), MOBID_SVC_ERR_INELIGIBLE_RESIDENCE);
    refuse("country_of_residence", json_string("KR"), MOBID_SVC_ERR_INELIGIBLE_RESIDENCE);
    /* 14 tomorrow is still 13 today */
    int64_t today = mobid_now() / 86400, y;
    unsigned m, dd;
    mobid_civil_from_days(today + 1, &y, &m, &dd);
    assert_int_equal(mobid_date_format(mobid_days_from_civil(y - 14, m, dd), d), MOBID_OK);
    refuse("birth_date", json_string(d), MOBID_SVC_ERR_INELIGIBLE_AGE);
    refuse("e_passport", json_false(), MOBID_SVC_ERR_PASSPORT_INVALID);
    refuse("passport_expiry", json_string(date_from_today(0, d)), MOBID_SVC_ERR_PASSPORT_EXPIRED);
    refuse("passport_expiry", json_string(date_from_today(-1, d)), MOBID_SVC_ERR_PASSPORT_EXPIRED);
    refuse("birth_date", json_string("1990-13-01"), MOBID_ERR_INVALID_ARG);
    refuse("resident_registration_number", json_string("12345"), MOBID_ERR_INVALID_ARG);
    /* exactly 14 today is old enough */
    assert_int_equal(mobid_age_years(mobid_days_from_civil(2000, 2, 29),
                                      mobid_days_from_civil(2014, 2, 28)), 13);
    assert_int_equal(mobid_age_years(mobid_days_from_civil(2000, 2, 29),
                                      mobid_days_from_civil(2014, 3, 1)), 14);
}

static void test_one_active_application(void **state)
{
    char id[23], id2[23];
    char detail[MOBID_SVC_DETAIL_MAX] = "";
    json_t *pii = applicant();

    (void)state;
    take(&g_a1, pii, id);
    /* the same person, written with a space instead of the dash, is found by HMAC */
    char rrn[20];
    snprintf(rrn, sizeof rrn, "%s", json_string_value(json_object_get(pii,
                                                 "resident_registration_number")));
    rrn[6] = ' ';
    json_object_set_new(pii, "resident_registration_number", json_string(rrn));
    assert_int_equal(issuer_app_create(g_ctx, g_s, &g_a2, "los-angeles", "resident_card", pii,
                                       id2, detail, sizeof detail),
                     MOBID_SVC_ERR_APPLICATION_EXISTS);
    /* a rejected application frees the slot */
    assert_int_equal(issuer_app_reject(g_ctx, g_s, &g_a2, id, "residency card expired"), MOBID_OK);
    take(&g_a2, pii, id2);
    json_t *list = NULL;
    assert_int_equal(issuer_apps_list(g_ctx, g_s, &g_a1, NULL, rrn, 10, &list), MOBID_OK);
    assert_int_equal(json_array_size(list), 2);
    json_decref(list);
    json_decref(pii);
}

static void test_pii_sealed(void **state)
{
    char id[23];
    mobid_store_stmt *st = NULL;
    bool row = false;
    json_t *pii = applicant(), *back = NULL;

    (void)state;
    take(&g_a1, pii, id);
    assert_int_equal(mobid_store_prepare(g_s, "SELECT pii_sealed, person_ref FROM"
                                              " issuer_applications WHERE id = $1", &st),
                     MOBID_OK);
    assert_int_equal(mobid_store_bind_str(st, 1, id), MOBID_OK);
    assert_int_equal(mobid_store_step(st, &row), MOBID_OK);
    assert_true(row);
    char *sealed = mobid_store_col_strdup(st, 0), *ref = mobid_store_col_strdup(st, 1);
    mobid_store_finalize(st);
    const char *rrn = json_string_value(json_object_get(pii, "resident_registration_number"));
    /* whole words of the plaintext: a 3-letter name can occur in random base64 */
    assert_null(strstr(sealed, "MINJI"));
    assert_null(strstr(sealed, "family_name"));
    assert_null(strstr(ref, rrn + 7));
    assert_int_equal(strlen(ref), 64);
    assert_int_equal(issuer_pii_open(g_ctx, id, sealed, &back), MOBID_OK);
    assert_true(json_equal(back, pii));
    json_decref(back);
    /* bound to its row: the same ciphertext under another id does not open */
    assert_int_equal(issuer_pii_open(g_ctx, "AAAAAAAAAAAAAAAAAAAAAA", sealed, &back),
                     MOBID_ERR_DECRYPT_FAILED);
    free(sealed);
    free(ref);
    json_decref(pii);
}

static void test_sign_in(void **state)
{
    char token[ISSUER_TOKEN_LEN + 1], session[ISSUER_TOKEN_LEN + 1], csrf[ISSUER_TOKEN_LEN + 1];
    char id[23];
    char detail[MOBID_SVC_DETAIL_MAX] = "";
    issuer_officer who;

    (void)state;
    assert_int_equal(issuer_token_create(g_ctx, g_s, SIGNIN("la.kim", "wrong password!!"), "t", 60, token,
                                         &who),
                     MOBID_ERR_UNAUTHENTICATED);
    assert_int_equal(issuer_token_create(g_ctx, g_s, SIGNIN("nobody", "correct horse battery"), "t", 60,
                                         token, &who),
                     MOBID_ERR_UNAUTHENTICATED);
    assert_int_equal(issuer_token_create(g_ctx, g_s, SIGNIN("la.kim", "correct horse battery"), "t", 60,
                                         token, &who),
                     MOBID_OK);
    assert_int_equal(issuer_token_check(g_s, token, &who), MOBID_OK);
    assert_string_equal(who.office_id, "los-angeles");
    assert_int_equal(who.role, ISSUER_ROLE_OFFICER);
    token[0] ^= 1;
    assert_int_equal(issuer_token_check(g_s, token, &who), MOBID_ERR_UNAUTHENTICATED);
    token[0] ^= 1;
    assert_int_equal(issuer_token_revoke(g_ctx, g_s, &g_a1, token), MOBID_OK);
    assert_int_equal(issuer_token_check(g_s, token, &who), MOBID_ERR_UNAUTHENTICATED);
    /* console sessions: the CSRF token must match for a state change */
    assert_int_equal(issuer_session_create(g_ctx, g_s, SIGNIN("la.lee", "correct horse battery"), 600,
                                           session, csrf, &who),
                     MOBID_OK);
    assert_int_equal(issuer_session_check(g_s, session, NULL, &who), MOBID_OK);
    assert_int_equal(issuer_session_check(g_s, session, csrf, &who), MOBID_OK);
    assert_int_equal(issuer_session_check(g_s, session, session, &who), MOBID_ERR_UNAUTHENTICATED);
    assert_int_equal(issuer_session_end(g_ctx, g_s, session), MOBID_OK);
    assert_int_equal(issuer_session_check(g_s, session, NULL, &who), MOBID_ERR_UNAUTHENTICATED);
    /* an officer cannot create officers; a supervisor only officers of their office */
    assert_int_equal(issuer_officer_create(g_ctx, g_s, &g_a1, "x.one", NULL, "los-angeles",
                                           "officer", "correct horse battery", id,
                                           detail, sizeof detail),
                     MOBID_SVC_ERR_ACCESS_DENIED);
    assert_int_equal(issuer_officer_create(g_ctx, g_s, &g_asup, "x.two", NULL, "tokyo", "officer",
                                           "correct horse battery", id, detail, sizeof detail),
                     MOBID_SVC_ERR_ACCESS_DENIED);
    assert_int_equal(issuer_officer_create(g_ctx, g_s, &g_asup, "x.three", NULL, "los-angeles",
                                           "officer", "short", id, detail, sizeof detail),
                     MOBID_ERR_INVALID_ARG);
    assert_int_equal(issuer_officer_create(g_ctx, g_s, &g_asup, "la.kim", NULL, "los-angeles",
                                           "officer", "correct horse battery", id,
                                           detail, sizeof detail),
                     MOBID_SVC_ERR_STORE_CONFLICT);
}

/* Run one statement on the test connection. */
static void sql(const char *text)
{
    assert_int_equal(mobid_store_exec(g_s, text), MOBID_OK);
}

/* Take a copy of entry seq, damage the chain with `damage`, check that verify names
 * want_bad, then put the copy back and check the chain verifies again. */
static void tamper(int64_t seq, const char *damage, int64_t want_bad)
{
    int64_t checked = 0, bad = 0;
    char q[200];

    snprintf(q, sizeof q, "CREATE TABLE audit_keep AS SELECT * FROM issuer_audit WHERE seq = %lld",
             (long long)seq);
    sql(q);
    sql(damage);
    assert_int_equal(issuer_audit_verify(g_s, &checked, &bad), MOBID_ERR_DIGEST_MISMATCH);
    assert_int_equal(bad, want_bad);
    snprintf(q, sizeof q, "DELETE FROM issuer_audit WHERE seq = %lld", (long long)seq);
    sql(q);
    sql("INSERT INTO issuer_audit SELECT * FROM audit_keep");
    sql("DROP TABLE audit_keep");
    assert_int_equal(issuer_audit_verify(g_s, &checked, &bad), MOBID_OK);
}

/* Renewal on this backend: an application whose card was delivered to a key-bound
 * wallet (the rows the issuance writes) is renewed by its office's supervisor only,
 * once, and its card is listed as expiring with the renewal waiting. */
static void test_renewal(void **state)
{
    char id[23], card[23], sql[640];
    char detail[MOBID_SVC_DETAIL_MAX] = "";
    issuer_offer offer;
    issuer_renewal r;
    json_t *pii = applicant(), *list = NULL;
    json_t *ev = json_pack("{s:s, s:s}", "passport", "chip read", "residency", "PR card");
    int64_t now = mobid_now(), moved = 0;

    (void)state;
    take(&g_a1, pii, id);
    assert_int_equal(issuer_app_verify(g_ctx, g_s, &g_a1, id, ev), MOBID_OK);
    assert_int_equal(issuer_app_approve(g_ctx, g_s, &g_asup, id), MOBID_OK);
    assert_int_equal(issuer_app_offer(g_ctx, g_s, &g_a1, id, &offer,
                                      detail, sizeof detail), MOBID_OK);
    assert_int_equal(issuer_new_id(card), MOBID_OK);
    snprintf(sql, sizeof sql,
             "INSERT INTO issuer_cards (id, offer_id, application_id, cardtype, person_ref,"
             " state, issued_at, expires_at, updated_at) SELECT '%s', id, application_id,"
             " cardtype, person_ref, 0, %lld, %lld, %lld FROM issuer_offers WHERE id = '%s'",
             card, (long long)now, (long long)(now + 30 * 86400), (long long)now, offer.offer_id);
    assert_int_equal(mobid_store_exec(g_s, sql), MOBID_OK);
    snprintf(sql, sizeof sql,
             "INSERT INTO issuer_refresh_tokens (token_hash, offer_id, jkt, created_at,"
             " expires_at) VALUES ('h-%s', '%s', 'jkt', %lld, %lld)", card, offer.offer_id,
             (long long)now, (long long)(now + 30 * 86400));
    assert_int_equal(mobid_store_exec(g_s, sql), MOBID_OK);

    assert_int_equal(issuer_card_renew(g_ctx, g_s, &g_a1, id, NULL, &r, detail, sizeof detail),
                     MOBID_SVC_ERR_ACCESS_DENIED);
    assert_int_equal(issuer_card_renew(g_ctx, g_s, &g_asup, id, "M1234 5679", &r,
                                       detail, sizeof detail),
                     MOBID_SVC_ERR_PASSPORT_CHANGED);
    assert_int_equal(issuer_card_renew(g_ctx, g_s, &g_asup, id, "m 1234 5678", &r,
                                       detail, sizeof detail),
                     MOBID_OK);
    assert_string_equal(r.card, card);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM issuer_refresh_tokens WHERE offer_id = '%s'",
             r.offer);
    assert_int_equal(mobid_store_query_int64(g_s, sql, &moved, NULL), MOBID_OK);
    assert_int_equal(moved, 1);
    assert_int_equal(issuer_card_renew(g_ctx, g_s, &g_asup, id, NULL, &r, detail, sizeof detail),
                     MOBID_SVC_ERR_WRONG_STATE);

    assert_int_equal(issuer_cards_expiring(g_ctx, g_s, &g_a1, NULL, 90, &list), MOBID_OK);
    size_t i, found = 0;
    json_t *c;
    json_array_foreach (list, i, c)
        if (!strcmp(json_string_value(json_object_get(c, "card")), card))
            found += json_is_true(json_object_get(c, "renewal_pending"));
    assert_int_equal(found, 1);
    json_decref(list);
    assert_int_equal(issuer_cards_expiring(g_ctx, g_s, &g_b1, "los-angeles", 90, &list),
                     MOBID_SVC_ERR_ACCESS_DENIED);
    assert_int_equal(issuer_cards_expiring(g_ctx, g_s, &g_b1, NULL, 90, &list), MOBID_OK);
    assert_int_equal(json_array_size(list), 0);
    json_decref(list);
    issuer_offer_clear(&offer);
    json_decref(ev);
    json_decref(pii);
}

static void test_audit_chain(void **state)
{
    int64_t checked = 0, bad = -1, n = 0;
    char q[200];

    (void)state;
    assert_int_equal(issuer_audit_verify(g_s, &checked, &bad), MOBID_OK);
    assert_int_equal(bad, 0);
    assert_int_equal(mobid_store_query_int64(g_s, "SELECT max(seq) FROM issuer_audit", &n, NULL),
                     MOBID_OK);
    assert_true(n > 10);
    assert_int_equal(checked, n);
    /* edited fields, each caught at its entry */
    tamper(5, "UPDATE issuer_audit SET actor = 'someone-else' WHERE seq = 5", 5);
    tamper(6, "UPDATE issuer_audit SET detail = '{}' WHERE seq = 6", 6);
    tamper(8, "UPDATE issuer_audit SET at = at + 1 WHERE seq = 8", 8);
    /* an entry edited together with its own hash breaks the next link */
    tamper(9, "UPDATE issuer_audit SET action = 'x', hash = prev_hash WHERE seq = 9", 9);
    /* a deleted entry in the middle, and the newest one (caught by the head) */
    tamper(7, "DELETE FROM issuer_audit WHERE seq = 7", 7);
    snprintf(q, sizeof q, "DELETE FROM issuer_audit WHERE seq = %lld", (long long)n);
    tamper(n, q, n);
}

int main(void)
{
    char path[] = "/tmp/mobid-office-XXXXXX";
    char url[300];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_office_not_open),
        cmocka_unit_test(test_cross_office_refused),
        cmocka_unit_test(test_four_eyes),
        cmocka_unit_test(test_offer_handover),
        cmocka_unit_test(test_ineligible),
        cmocka_unit_test(test_one_active_application),
        cmocka_unit_test(test_pii_sealed),
        cmocka_unit_test(test_sign_in),
        cmocka_unit_test(test_renewal),
        cmocka_unit_test(test_audit_chain),
    };
    int failed;

    assert_non_null(mkdtemp(path));
    snprintf(url, sizeof url, "sqlite:%s/issuer.db", path);
    g_url = url;
    failed = cmocka_run_group_tests_name("issuer offices on SQLite", tests, group_setup,
                                         group_teardown);
    const char *pg = getenv("MOBID_PG_URL");
    if (pg && *pg) {
        g_url = pg;
        printf("== issuer offices on PostgreSQL (%s)\n", pg);
        failed += cmocka_run_group_tests_name("issuer offices on PostgreSQL", tests, group_setup,
                                              group_teardown);
    } else {
        printf("PostgreSQL part not run: MOBID_PG_URL is unset"
               " (tests/cli/issuer_office_pg.sh sets it)\n");
    }
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    if (system(cmd) != 0)
        failed++;
    return failed;
}
