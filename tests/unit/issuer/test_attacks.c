/*
 * Attacks on the consular flow, each a reproduction that got through once:
 * a supervisor's own account counted as the second person (four eyes), an application
 * stuck in offer_issued after its code was redeemed, forged server-owned claims and
 * unchecked applicant fields, verify without evidence, officers' free text in the
 * audit log in the clear, card actions in the wrong state answered as bad input, and
 * officer passwords checked for length only.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mobid/crypto.h>
#include "services/issuer/office.h"
#include "services/issuer/issuer_int.h"

#define PW "correct horse battery"

static issuer_ctx *g_ctx;
static mobid_store *g_s;
static issuer_officer g_admin, g_sup, g_off, g_puppet, g_puppet2;
static unsigned g_n;
static char g_dir[] = "/tmp/mobid-attacks-XXXXXX";

/* The card types are the real catalogue (etc/card-types.json, compiled in). */

/* An eligible applicant born 1990-03-15, a woman, with a fresh registration number. */
static json_t *applicant(void)
{
    char rrn[16], exp[11];
    snprintf(rrn, sizeof rrn, "900315-2%06u", (++g_n * 13 + (unsigned)getpid()) % 1000000);
    assert_int_equal(mobid_date_format(mobid_now() / 86400 + 400, exp), MOBID_OK);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:b}",
                     "family_name", "KIM", "given_name", "MINJI", "family_name_national_character", "김",
                     "given_name_national_character", "민지", "birth_date", "1990-03-15", "sex", 2,
                     "resident_registration_number", rrn, "nationality", "KR",
                     "residence_status", "permanent", "country_of_residence", "US",
                     "passport_number", "M12345678", "passport_expiry", exp, "e_passport", 1);
}

static void officer(const issuer_officer *by, const char *user, const char *role,
                    issuer_officer *out)
{
    char id[23], token[ISSUER_TOKEN_LEN + 1];
    char detail[MOBID_SVC_DETAIL_MAX] = "";
    issuer_signin in = { user, PW, "192.0.2.1", "api", 0, NULL, NULL, "" };

    assert_int_equal(issuer_officer_create(g_ctx, g_s, by, user, user, by || strcmp(role, "ministry_admin") ? "los-angeles" : NULL,
                                           role, PW, id, detail, sizeof detail),
                     MOBID_OK);
    assert_int_equal(issuer_token_create(g_ctx, g_s, &in, "t", 600, token, out), MOBID_OK);
}

static int setup(void **state)
{
    char url[300], day[11];
    char detail[MOBID_SVC_DETAIL_MAX] = "";
    size_t n;
    json_t *offices;

    (void)state;
    assert_non_null(mkdtemp(g_dir));
    snprintf(url, sizeof url, "sqlite:%s/issuer.db", g_dir);
    g_ctx = calloc(1, sizeof *g_ctx);
    assert_non_null(g_ctx);
    pthread_mutex_init(&g_ctx->lock, NULL);
    assert_int_equal(mobid_random(g_ctx->data_key, 32), MOBID_OK);
    assert_int_equal(mobid_random(g_ctx->lookup_key, 32), MOBID_OK);
    g_ctx->cfg.issuer_url = strdup("https://issuer.example.kr");
    g_ctx->cfg.offer_lifetime_s = 900;
    g_ctx->cfg.token_lifetime_s = 300;
    g_ctx->cfg.tx_code_attempts = 5;
    g_ctx->cfg.tx_code_length = 6;
    assert_int_equal(issuer_cardtypes_parse(NULL, &g_ctx->cfg.cardtypes, &g_ctx->cfg.ncardtypes),
                     MOBID_OK);
    assert_int_equal(mobid_store_pool_new(url, 2, &g_ctx->pool), MOBID_OK);
    assert_int_equal(mobid_store_open(url, &g_s), MOBID_OK);
    assert_int_equal(issuer_schema_migrate(g_s), MOBID_OK);
    assert_int_equal(mobid_date_format(mobid_now() / 86400 - 10, day), MOBID_OK);
    offices = json_pack("[{s:s, s:s, s:s, s:s, s:s, s:s, s:i}]", "id", "los-angeles", "name",
                        "Consulate General in Los Angeles", "country", "US", "city",
                        "Los Angeles", "tz", "America/Los_Angeles", "accepts_from", day,
                        "wave", 1);
    assert_int_equal(issuer_offices_put(g_ctx, g_s, NULL, offices, &n,
                                        detail, sizeof detail), MOBID_OK);
    json_decref(offices);
    officer(NULL, "minister", "ministry_admin", &g_admin);
    officer(&g_admin, "la.sup", "supervisor", &g_sup);
    officer(&g_admin, "la.off", "officer", &g_off);
    /* the supervisor's own creature: a second account, not a second person */
    officer(&g_sup, "la.puppet", "officer", &g_puppet);
    officer(&g_sup, "la.puppet2", "officer", &g_puppet2);
    return 0;
}

static int teardown(void **state)
{
    char cmd[300];
    (void)state;
    mobid_store_close(g_s);
    mobid_store_pool_free(g_ctx->pool);
    free(g_ctx->cfg.issuer_url);
    issuer_cardtypes_free(g_ctx->cfg.cardtypes, g_ctx->cfg.ncardtypes);
    pthread_mutex_destroy(&g_ctx->lock);
    free(g_ctx);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static json_t *evidence(void)
{
    return json_pack("{s:s, s:s}", "passport", "chip read", "residency", "green card 555");
}

static void take(const issuer_officer *who, json_t *pii, char id[23])
{
    char detail[MOBID_SVC_DETAIL_MAX] = "";
    assert_int_equal(issuer_app_create(g_ctx, g_s, who, "los-angeles", "resident_card", pii, id,
                                       detail, sizeof detail),
                     MOBID_OK);
    json_decref(pii);
}

static const char *state_of(const char *id, char out[32])
{
    json_t *j = NULL;
    assert_int_equal(issuer_app_json(g_ctx, g_s, &g_admin, id, false, &j), MOBID_OK);
    snprintf(out, 32, "%s", json_string_value(json_object_get(j, "state")));
    json_decref(j);
    return out;
}

/* Four eyes: the account a supervisor created does not approve the supervisor's
 * verification, nor the other way round; an unrelated officer does. */
static void test_four_eyes_creator(void **state)
{
    char id[23], id2[23];
    json_t *ev = evidence();

    (void)state;
    take(&g_sup, applicant(), id);
    assert_int_equal(issuer_app_verify(g_ctx, g_s, &g_sup, id, ev), MOBID_OK);
    assert_int_equal(issuer_app_approve(g_ctx, g_s, &g_puppet, id), MOBID_SVC_ERR_FOUR_EYES);
    assert_int_equal(issuer_app_approve(g_ctx, g_s, &g_off, id), MOBID_OK);
    take(&g_puppet, applicant(), id2);
    assert_int_equal(issuer_app_verify(g_ctx, g_s, &g_puppet, id2, ev), MOBID_OK);
    assert_int_equal(issuer_app_approve(g_ctx, g_s, &g_sup, id2), MOBID_SVC_ERR_FOUR_EYES);
    json_decref(ev);
}

/* Four eyes: two accounts the same supervisor made are one person for each other's
 * applications; two the ministry's administrator made (every office's staff) are not. */
static void test_four_eyes_siblings(void **state)
{
    char id[23], id2[23];
    json_t *ev = evidence();

    (void)state;
    take(&g_puppet, applicant(), id);
    assert_int_equal(issuer_app_verify(g_ctx, g_s, &g_puppet, id, ev), MOBID_OK);
    assert_int_equal(issuer_app_approve(g_ctx, g_s, &g_puppet2, id), MOBID_SVC_ERR_FOUR_EYES);
    assert_int_equal(issuer_app_approve(g_ctx, g_s, &g_off, id), MOBID_OK);
    take(&g_off, applicant(), id2);
    assert_int_equal(issuer_app_verify(g_ctx, g_s, &g_off, id2, ev), MOBID_OK);
    assert_int_equal(issuer_app_approve(g_ctx, g_s, &g_sup, id2), MOBID_OK);
    json_decref(ev);
}

/* Verify needs the evidence the console asks for. */
static void test_verify_needs_evidence(void **state)
{
    char id[23];
    json_t *empty = json_object(), *half = json_pack("{s:s}", "passport", "seen");
    json_t *blank = json_pack("{s:s, s:s}", "passport", "seen", "residency", "");

    (void)state;
    take(&g_off, applicant(), id);
    assert_int_equal(issuer_app_verify(g_ctx, g_s, &g_off, id, empty), MOBID_ERR_INVALID_ARG);
    assert_int_equal(issuer_app_verify(g_ctx, g_s, &g_off, id, half), MOBID_ERR_INVALID_ARG);
    assert_int_equal(issuer_app_verify(g_ctx, g_s, &g_off, id, blank), MOBID_ERR_INVALID_ARG);
    json_decref(empty);
    json_decref(half);
    json_decref(blank);
}

/* An offer whose code was redeemed without a card becomes offer_expired: it can be
 * offered again, and a supervisor (not an officer) can cancel an outstanding offer;
 * after that the person can apply again. */
static void test_stuck_offer(void **state)
{
    char id[23], id2[23], st[32], sql[200];
    char detail[MOBID_SVC_DETAIL_MAX] = "";
    issuer_offer o;
    json_t *ev = evidence(), *pii = applicant(), *again = json_deep_copy(pii);

    (void)state;
    take(&g_off, pii, id);
    assert_int_equal(issuer_app_verify(g_ctx, g_s, &g_off, id, ev), MOBID_OK);
    assert_int_equal(issuer_app_approve(g_ctx, g_s, &g_sup, id), MOBID_OK);
    assert_int_equal(issuer_app_offer(g_ctx, g_s, &g_off, id, &o, detail, sizeof detail), MOBID_OK);
    /* the phone redeemed the code at /token, then died: used, no card, token gone */
    snprintf(sql, sizeof sql, "UPDATE issuer_offers SET used_at = %lld WHERE id = '%s'",
             (long long)mobid_now(), o.offer_id);
    assert_int_equal(mobid_store_exec(g_s, sql), MOBID_OK);
    issuer_offer_clear(&o);
    assert_string_equal(state_of(id, st), "offer_expired");
    /* offered again; now an officer cannot cancel it, a supervisor can */
    assert_int_equal(issuer_app_offer(g_ctx, g_s, &g_off, id, &o, detail, sizeof detail), MOBID_OK);
    assert_string_equal(state_of(id, st), "offer_issued");
    assert_int_equal(issuer_app_cancel(g_ctx, g_s, &g_off, id, "holder moved"),
                     MOBID_SVC_ERR_ACCESS_DENIED);
    assert_int_equal(issuer_app_cancel(g_ctx, g_s, &g_sup, id, ""), MOBID_ERR_INVALID_ARG);
    assert_int_equal(issuer_app_cancel(g_ctx, g_s, &g_sup, id, "holder moved"), MOBID_OK);
    assert_string_equal(state_of(id, st), "cancelled");
    char ostate[16];
    assert_int_equal(issuer_offer_state(g_ctx, g_s, o.offer_id, ostate), MOBID_OK);
    assert_string_equal(ostate, "killed");
    issuer_offer_clear(&o);
    take(&g_off, again, id2); /* the person may apply again */
    json_decref(ev);
}

static mobid_err create_with(const char *key, json_t *value, char *detail, size_t detail_len)
{
    char id[23];
    json_t *pii = applicant();
    mobid_err err;

    json_object_set_new(pii, key, value);
    err = issuer_app_create(g_ctx, g_s, &g_off, "los-angeles", "resident_card", pii, id,
                            detail, detail_len);
    json_decref(pii);
    return err;
}

/* Intake: server-owned and unknown claims, bad portraits, an inconsistent registration
 * number, bidi overrides and oversized names are refused. */
static void test_intake(void **state)
{
    char d[MOBID_SVC_DETAIL_MAX] = "";
    char big[60001];

    (void)state;
    memset(big, 'A', sizeof big - 1);
    big[sizeof big - 1] = 0;
    assert_int_equal(create_with("issuing_office", json_string("seoul-hq"), d, sizeof d),
                     MOBID_ERR_INVALID_ARG);
    assert_non_null(strstr(d, "issuing_office"));
    assert_int_equal(create_with("favourite_colour", json_string("red"),
                                 d, sizeof d), MOBID_ERR_INVALID_ARG);
    assert_int_equal(create_with("age_over_14", json_true(), d, sizeof d), MOBID_ERR_INVALID_ARG);
    assert_int_equal(create_with("portrait", json_string("not base64!"),
                                 d, sizeof d), MOBID_ERR_INVALID_ARG);
    char *huge = malloc(200001); /* 150 000 bytes decoded, past the 100 000 limit */
    assert_non_null(huge);
    memset(huge, 'A', 200000);
    huge[200000] = 0;
    assert_int_equal(create_with("portrait", json_string(huge),
                                 d, sizeof d), MOBID_ERR_INVALID_ARG);
    free(huge);
    assert_int_equal(create_with("portrait", json_string("_9j_4AAQ"), d, sizeof d), MOBID_OK);
    assert_int_equal(create_with("family_name", json_string("KIM\xe2\x80\xaeGNAL"), d, sizeof d),
                     MOBID_ERR_INVALID_ARG); /* U+202E right-to-left override */
    assert_int_equal(create_with("given_name", json_string("MIN\nJI"),
                                 d, sizeof d), MOBID_ERR_INVALID_ARG);
    assert_int_equal(create_with("family_name", json_string(big),
                                 d, sizeof d), MOBID_ERR_INVALID_ARG);
    assert_int_equal(create_with("family_name", json_integer(7),
                                 d, sizeof d), MOBID_ERR_INVALID_ARG);
    assert_int_equal(create_with("birth_date", json_string("1990-02-30"), d, sizeof d),
                     MOBID_ERR_INVALID_ARG);
    /* the registration number says 1990-03-15 and a woman */
    assert_int_equal(create_with("birth_date", json_string("1991-03-15"), d, sizeof d),
                     MOBID_ERR_INVALID_ARG);
    assert_non_null(strstr(d, "birth_date"));
    assert_int_equal(create_with("sex", json_integer(1), d, sizeof d), MOBID_ERR_INVALID_ARG);
    assert_int_equal(create_with("family_name", json_string("김"), d, sizeof d), MOBID_OK);
    /* countries are ISO 3166-1 alpha-2 in capitals */
    assert_int_equal(create_with("country_of_residence", json_string("USA"), d, sizeof d),
                     MOBID_ERR_INVALID_ARG);
    assert_non_null(strstr(d, "ISO 3166-1"));
    assert_int_equal(create_with("country_of_residence", json_string("XX"), d, sizeof d),
                     MOBID_ERR_INVALID_ARG);
    assert_int_equal(create_with("country_of_residence", json_string("us"), d, sizeof d),
                     MOBID_ERR_INVALID_ARG);
    assert_int_equal(create_with("nationality", json_string("ZZ"),
                                 d, sizeof d), MOBID_ERR_INVALID_ARG);
    assert_int_equal(create_with("country_of_residence", json_string("DE"), d, sizeof d), MOBID_OK);
}

/* Officers' free text is sealed in the audit log; the chain still verifies and the
 * admin's listing opens it. */
static void test_audit_free_text_sealed(void **state)
{
    char id[23], sql[200];
    int64_t leaked = -1, checked = 0, bad = 0;
    json_t *ev = json_pack("{s:s, s:s}", "passport", "seen", "residency", "PR card 99-SECRET");
    json_t *list = NULL;

    (void)state;
    take(&g_off, applicant(), id);
    assert_int_equal(issuer_app_verify(g_ctx, g_s, &g_off, id, ev), MOBID_OK);
    assert_int_equal(issuer_app_reject(g_ctx, g_s, &g_sup, id, "fraud suspected SECRET-2"),
                     MOBID_OK);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM issuer_audit WHERE detail LIKE '%%SECRET%%'");
    assert_int_equal(mobid_store_query_int64(g_s, sql, &leaked, NULL), MOBID_OK);
    assert_int_equal(leaked, 0);
    assert_int_equal(issuer_audit_verify(g_s, &checked, &bad), MOBID_OK);
    assert_int_equal(issuer_audit_json(g_s, &g_admin, 0, 1000, &list), MOBID_OK);
    issuer_audit_unseal_list(g_ctx, list);
    char *text = json_dumps(list, 0);
    assert_non_null(strstr(text, "PR card 99-SECRET"));
    assert_non_null(strstr(text, "fraud suspected SECRET-2"));
    free(text);
    json_decref(list);
    json_decref(ev);
}

/* A card action the card's state does not allow is WRONG_STATE, not bad input. */
static void test_card_action_state(void **state)
{
    char id[23], sql[400];
    char detail[MOBID_SVC_DETAIL_MAX] = "";
    issuer_offer o;
    json_t *ev = evidence();

    (void)state;
    take(&g_off, applicant(), id);
    assert_int_equal(issuer_app_verify(g_ctx, g_s, &g_off, id, ev), MOBID_OK);
    assert_int_equal(issuer_app_approve(g_ctx, g_s, &g_sup, id), MOBID_OK);
    assert_int_equal(issuer_app_offer(g_ctx, g_s, &g_off, id, &o, detail, sizeof detail), MOBID_OK);
    snprintf(sql, sizeof sql,
             "INSERT INTO issuer_cards (id, offer_id, application_id, cardtype, person_ref,"
             " state, issued_at, expires_at, updated_at) VALUES ('card-%s', '%s', '%s',"
             " 'resident_card', 'p', 0, 1, 99999999999, 1)", id, o.offer_id, id);
    assert_int_equal(mobid_store_exec(g_s, sql), MOBID_OK);
    issuer_offer_clear(&o);
    assert_int_equal(issuer_app_card_action(g_ctx, g_s, &g_sup, id, "resume", "found it"),
                     MOBID_SVC_ERR_WRONG_STATE);
    json_decref(ev);
}

/* Officer passwords: more than a length. */
static void test_password_policy(void **state)
{
    (void)state;
    assert_non_null(issuer_password_weak("la.kim", "aaaaaaaaaaaa"));
    assert_non_null(issuer_password_weak("la.kim", "password1234"));
    assert_non_null(issuer_password_weak("la.kim", "abcdefghijkl"));
    assert_non_null(issuer_password_weak("la.kim", "la.kim-la.kim-2026"));
    assert_non_null(issuer_password_weak("la.kim", "Password123456"));
    assert_non_null(issuer_password_weak("la.kim", "short"));
    assert_null(issuer_password_weak("la.kim", PW));
    assert_null(issuer_password_weak("la.kim", "ministry secret pw"));
    assert_null(issuer_password_weak("la.kim", "v9#Lq2!xTz8m"));
}

/* Expired nonces (anyone can ask for one) are deleted in bounded batches; live ones
 * and live sign-in counters stay. */
static void test_purge(void **state)
{
    char sql[200];
    int64_t now = mobid_now(), n = 0, left = -1;

    (void)state;
    assert_int_equal(mobid_store_exec(g_s, "BEGIN"), MOBID_OK);
    for (int i = 0; i < 1500; i++) {
        snprintf(sql, sizeof sql, "INSERT INTO issuer_nonces (nonce, created_at, expires_at)"
                                  " VALUES ('old%d', %lld, %lld)", i, (long long)now - 900,
                 (long long)now - 600);
        assert_int_equal(mobid_store_exec(g_s, sql), MOBID_OK);
    }
    assert_int_equal(mobid_store_exec(g_s, "COMMIT"), MOBID_OK);
    char live[44];
    assert_int_equal(issuer_nonce_new(g_ctx, g_s, live), MOBID_OK);
    snprintf(sql, sizeof sql, "INSERT INTO issuer_signin_guard (k, failures, last_at,"
                              " locked_until) VALUES ('s:198.18.0.9', 3, %lld, 0),"
                              " ('s:198.18.0.10', 3, %lld, 0)", (long long)now,
             (long long)now - 3 * 86400);
    assert_int_equal(mobid_store_exec(g_s, sql), MOBID_OK);
    assert_int_equal(issuer_purge(g_s, now, 1000, &n), MOBID_OK);
    assert_true(n >= 1001); /* 1000 nonces at most, the quiet counter */
    assert_int_equal(mobid_store_query_int64(g_s, "SELECT count(*) FROM issuer_nonces WHERE"
                                                  " nonce LIKE 'old%'", &left, NULL),
                     MOBID_OK);
    assert_int_equal(left, 500);
    assert_int_equal(issuer_purge(g_s, now, 1000, &n), MOBID_OK);
    assert_int_equal(mobid_store_query_int64(g_s, "SELECT count(*) FROM issuer_nonces", &left,
                                             NULL),
                     MOBID_OK);
    assert_int_equal(left, 1); /* the live one */
    assert_int_equal(mobid_store_query_int64(g_s, "SELECT count(*) FROM issuer_signin_guard"
                                                  " WHERE k LIKE 's:198.18.0.%'", &left, NULL),
                     MOBID_OK);
    assert_int_equal(left, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_four_eyes_creator),
        cmocka_unit_test(test_four_eyes_siblings),
        cmocka_unit_test(test_verify_needs_evidence),
        cmocka_unit_test(test_stuck_offer),
        cmocka_unit_test(test_intake),
        cmocka_unit_test(test_audit_free_text_sealed),
        cmocka_unit_test(test_card_action_state),
        cmocka_unit_test(test_password_policy),
        cmocka_unit_test(test_purge),
    };
    return cmocka_run_group_tests_name("issuer attacks", tests, setup, teardown);
}
