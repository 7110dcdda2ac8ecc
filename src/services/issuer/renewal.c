/*
 * Renewal: see renewal.h for the whole story. The officer's side (renew, the
 * expiring-soon list) reads the applications part's tables and writes only the core's
 * (an offer, the refresh token's offer) with the audit entry, in one transaction. The
 * core's side (issuer_renewal_of, issuer_renewal_pending in issuer_int.h) is what the
 * refresh grant and the credential endpoint ask when a token names a renewal offer.
 */
#include "services/issuer/renewal.h"
#include "services/issuer/issuer_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPIRING_MAX 500

int64_t issuer_renewal_window_days(const issuer_ctx *ctx)
{
    const json_t *v = json_object_get(json_object_get(ctx->cfg.raw, "renewal"),
                                      "expiring_within_days");
    int64_t d = json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
    return d >= 1 && d <= 3660 ? d : ISSUER_RENEWAL_WITHIN_DAYS;
}

/* ---- the core's side ---- */

static void col_copy(mobid_store_stmt *st, int i, char *out, size_t n)
{
    mobid_view v = mobid_store_col_text(st, i);
    snprintf(out, n, "%.*s", (int)v.len, v.ptr ? (const char *)v.ptr : "");
}

mobid_err issuer_renewal_of(mobid_store *s, const char *offer_id, char old[23], bool *renewal,
                            int64_t *state, int64_t *exp)
{
    mobid_store_stmt *st = NULL;
    mobid_err err = mobid_store_prepare(
        s, "SELECT c.id, c.state, c.expires_at FROM issuer_offers o JOIN issuer_cards c"
           " ON c.id = o.renews WHERE o.id = $1", &st);
    *renewal = false;
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, offer_id);
    if (err == MOBID_OK) err = mobid_store_step(st, renewal);
    if (err == MOBID_OK && *renewal) {
        col_copy(st, 0, old, 23);
        *state = mobid_store_col_int64(st, 1);
        *exp = mobid_store_col_int64(st, 2);
    }
    mobid_store_finalize(st);
    return err;
}

/* A renewal offer of card_id whose card was not made yet. */
#define PENDING_SQL                                                                      \
    "EXISTS (SELECT 1 FROM issuer_offers r WHERE r.renews = %s AND NOT EXISTS"          \
    " (SELECT 1 FROM issuer_cards n WHERE n.offer_id = r.id))"

mobid_err issuer_renewal_pending(mobid_store *s, const char *card_id, bool *pending)
{
    mobid_store_stmt *st = NULL;
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT CASE WHEN " PENDING_SQL " THEN 1 ELSE 0 END", "$1");
    mobid_err err = mobid_store_prepare(s, sql, &st);
    *pending = false;
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, card_id);
    if (err == MOBID_OK) err = mobid_store_step(st, pending);
    if (err == MOBID_OK && *pending)
        *pending = mobid_store_col_int64(st, 0) != 0;
    mobid_store_finalize(st);
    return err;
}

/* ---- renew ---- */

typedef struct renew_tx {
    issuer_ctx *ctx;
    const issuer_officer *who;
    const char *app_id, *passport;
    issuer_renewal *out;
    char *detail;
    size_t detail_len;
    /* the card and its offer, read first */
    char office[65], cardtype[64], person[80];
    char *pii_sealed, *claims_sealed;
    int64_t card_exp;
} renew_tx;

static void renew_tx_clear(renew_tx *t)
{
    free(t->pii_sealed);
    free(t->claims_sealed);
    t->pii_sealed = t->claims_sealed = NULL;
}

/* The application's newest active card, its offer and the application's office and
 * PII. NOT_FOUND without such an application; WRONG_STATE without an active card. */
static mobid_err card_load(renew_tx *t, mobid_store *s)
{
    mobid_store_stmt *st = NULL;
    bool row = false, app = false;
    mobid_err err = mobid_store_prepare(
        s, "SELECT a.office_id, a.pii_sealed, c.id, c.expires_at, o.id, o.cardtype,"
           " o.person_ref, o.claims_sealed FROM issuer_applications a LEFT JOIN issuer_cards c"
           " ON c.application_id = a.id AND c.state = 0 LEFT JOIN issuer_offers o"
           " ON o.id = c.offer_id WHERE a.id = $1 ORDER BY c.issued_at DESC LIMIT 1", &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, t->app_id);
    if (err == MOBID_OK) err = mobid_store_step(st, &app);
    if (err == MOBID_OK && app) {
        col_copy(st, 0, t->office, sizeof t->office);
        t->pii_sealed = mobid_store_col_strdup(st, 1);
        row = !mobid_store_col_null(st, 2) && !mobid_store_col_null(st, 4);
    }
    if (err == MOBID_OK && row) {
        col_copy(st, 2, t->out->card, sizeof t->out->card);
        t->card_exp = mobid_store_col_int64(st, 3);
        col_copy(st, 5, t->cardtype, sizeof t->cardtype);
        col_copy(st, 6, t->person, sizeof t->person);
        t->claims_sealed = mobid_store_col_strdup(st, 7);
        col_copy(st, 4, t->out->offer, sizeof t->out->offer); /* the old offer, for now */
    }
    mobid_store_finalize(st);
    if (err == MOBID_OK && !app) {
        mobid_svc_detail(t->detail, t->detail_len, "no such application");
        err = MOBID_ERR_NOT_FOUND;
    } else if (err == MOBID_OK && !(t->who->role == ISSUER_ROLE_ADMIN ||
                                    !strcmp(t->who->office_id, t->office))) {
        mobid_svc_detail(t->detail, t->detail_len, "this application belongs to another office");
        err = MOBID_SVC_ERR_ACCESS_DENIED;
    } else if (err == MOBID_OK && (!row || t->card_exp <= mobid_now())) {
        mobid_svc_detail(t->detail, t->detail_len,
                         "only an active card can be renewed; for an expired, suspended, revoked "
                         "or superseded card the person applies anew");
        err = MOBID_SVC_ERR_WRONG_STATE;
    } else if (err == MOBID_OK && (!t->pii_sealed || !t->claims_sealed)) {
        err = MOBID_ERR_NOMEM;
    }
    return err;
}

/* Passport numbers compared without spaces and case. */
static bool same_passport(const char *a, const char *b)
{
    while (*a || *b) {
        if (*a == ' ' || *a == '-') { a++; continue; }
        if (*b == ' ' || *b == '-') { b++; continue; }
        if (toupper((unsigned char)*a) != toupper((unsigned char)*b))
            return false;
        a++, b++;
    }
    return true;
}

/* The card was issued on the passport of the application: it must still be valid
 * today, and be the one the holder shows (when the officer typed it in). */
static mobid_err passport_check(renew_tx *t)
{
    json_t *pii = NULL;
    int64_t expiry = 0;
    mobid_err err = issuer_pii_open(t->ctx, t->app_id, t->pii_sealed, &pii);
    const char *number = json_string_value(json_object_get(pii, "passport_number"));
    const char *exp = json_string_value(json_object_get(pii, "passport_expiry"));
    if (err == MOBID_OK && (!exp || mobid_date_parse(mobid_view_str(exp), &expiry) != MOBID_OK ||
                            expiry <= mobid_now() / 86400)) {
        mobid_svc_detail(t->detail, t->detail_len,
                         "the passport the card was issued on has expired: the person applies anew "
                         "with a valid passport (a reissue, verified in person)");
        err = MOBID_SVC_ERR_PASSPORT_EXPIRED;
    } else if (err == MOBID_OK && t->passport && *t->passport &&
               (!number || !same_passport(number, t->passport))) {
        mobid_svc_detail(t->detail, t->detail_len,
                         "the holder has another passport than the one on file: a new passport "
                         "means a reissue (a new application, verified in person)");
        err = MOBID_SVC_ERR_PASSPORT_CHANGED;
    }
    json_decref(pii);
    return err;
}

/* The claims of the old offer sealed again for the new one (AAD = offer id). */
static mobid_err claims_reseal(renew_tx *t, const char *new_offer, char **out)
{
    mobid_buf raw = { 0 }, plain = { 0 }, sealed = { 0 }, b64 = { 0 };
    mobid_err err = mobid_b64url_decode(mobid_view_str(t->claims_sealed), &raw);
    if (err == MOBID_OK)
        err = issuer_unseal(t->ctx, mobid_view_str(t->out->offer), mobid_buf_view(&raw), &plain);
    if (err == MOBID_OK)
        err = issuer_seal(t->ctx, mobid_view_str(new_offer), mobid_buf_view(&plain), &sealed);
    if (err == MOBID_OK) err = mobid_b64url_encode(mobid_buf_view(&sealed), &b64);
    if (err == MOBID_OK && !(*out = mobid_view_strdup(mobid_buf_view(&b64))))
        err = MOBID_ERR_NOMEM;
    if (plain.ptr)
        mobid_wipe(plain.ptr, plain.len);
    mobid_buf_free(&raw);
    mobid_buf_free(&plain);
    mobid_buf_free(&sealed);
    mobid_buf_free(&b64);
    return err;
}

/* The renewal offer: its code and tx_code are random hashes no one holds, and it is
 * marked used, so only the refresh token that moves to it reaches it. */
static mobid_err offer_insert(renew_tx *t, mobid_store *s, const char *id, const char *sealed)
{
    mobid_store_stmt *st = NULL;
    char unused[44], code_hash[65], tx_hash[65];
    int64_t now = mobid_now();
    bool row;
    mobid_err err = issuer_random_token(unused, code_hash);
    if (err == MOBID_OK) err = issuer_random_token(unused, tx_hash);
    mobid_wipe(unused, sizeof unused);
    if (err == MOBID_OK)
        err = mobid_store_prepare(
            s, "INSERT INTO issuer_offers (id, application_id, cardtype, person_ref,"
               " claims_sealed, code_hash, tx_code_hash, created_at, expires_at, used_at, actor,"
               " renews) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8, $10, $11)", &st);
    const char *txt[7] = { id, t->app_id, t->cardtype, t->person, sealed, code_hash, tx_hash };
    for (int i = 0; i < 7 && err == MOBID_OK; i++)
        err = mobid_store_bind_str(st, i + 1, txt[i]);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 8, now);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 9, t->card_exp);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 10, t->who->id);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 11, t->out->card);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    mobid_store_finalize(st);
    return err;
}

/* Move the wallet's live refresh tokens from the old offer to the renewal offer;
 * *moved gets how many (0: nothing can reach the wallet). */
static mobid_err tokens_move(mobid_store *s, const char *from, const char *to, int64_t *moved)
{
    mobid_store_stmt *st = NULL;
    bool row;
    mobid_err err = mobid_store_prepare(s, "UPDATE issuer_refresh_tokens SET offer_id = $2"
                                           " WHERE offer_id = $1 AND expires_at > $3", &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, from);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 2, to);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 3, mobid_now());
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    *moved = err == MOBID_OK ? mobid_store_changes(st) : 0;
    mobid_store_finalize(st);
    return err;
}

static mobid_err renew_body(mobid_store *s, void *arg)
{
    renew_tx *t = arg;
    char offer[23], detail[160], *sealed = NULL;
    bool pending = false;
    int64_t moved = 0;
    renew_tx_clear(t);
    mobid_err err = card_load(t, s);
    if (err == MOBID_OK && (err = issuer_renewal_pending(s, t->out->card, &pending)) == MOBID_OK &&
        pending) {
        mobid_svc_detail(t->detail, t->detail_len,
                         "a renewal of this card already waits for the holder's wallet");
        err = MOBID_SVC_ERR_WRONG_STATE;
    }
    if (err == MOBID_OK) err = passport_check(t);
    if (err == MOBID_OK) err = issuer_new_id(offer);
    if (err == MOBID_OK) err = claims_reseal(t, offer, &sealed);
    if (err == MOBID_OK) err = offer_insert(t, s, offer, sealed);
    if (err == MOBID_OK) err = tokens_move(s, t->out->offer, offer, &moved);
    if (err == MOBID_OK && moved == 0) {
        mobid_svc_detail(t->detail, t->detail_len,
                         "the card's wallet holds no key-bound refresh token, so a renewal cannot "
                         "reach it: the person applies anew and receives a new offer");
        err = MOBID_SVC_ERR_RENEWAL_UNDELIVERABLE; /* rolls the offer back too */
    }
    if (err == MOBID_OK) {
        snprintf(detail, sizeof detail, "{\"offer\":\"%s\",\"application\":\"%.22s\","
                 "\"passport\":\"%s\"}", offer, t->app_id,
                 t->passport && *t->passport ? "presented" : "on file");
        err = issuer_audit_append(t->ctx, s, t->who->id, "card.renew", t->out->card, detail);
    }
    if (err == MOBID_OK)
        snprintf(t->out->offer, sizeof t->out->offer, "%s", offer);
    free(sealed);
    return err;
}

mobid_err issuer_card_renew(issuer_ctx *ctx, mobid_store *s, const issuer_officer *who,
                            const char *app_id, const char *passport_number, issuer_renewal *out,
                            char *detail, size_t detail_len)
{
    renew_tx t = { .ctx = ctx, .who = who, .app_id = app_id, .passport = passport_number,
                   .out = out, .detail = detail, .detail_len = detail_len };
    mobid_err err;
    mobid_svc_detail(detail, detail_len, NULL);
    memset(out, 0, sizeof *out);
    if (who->role != ISSUER_ROLE_SUPERVISOR && who->role != ISSUER_ROLE_ADMIN) {
        mobid_svc_detail(detail, detail_len,
                         "only a supervisor (or the ministry) can renew a card");
        return MOBID_SVC_ERR_ACCESS_DENIED;
    }
    if (!app_id || (passport_number && strlen(passport_number) > 64)) {
        mobid_svc_detail(detail, detail_len,
                         "an application id (and a passport number of at most 64 characters)");
        return MOBID_ERR_INVALID_ARG;
    }
    err = mobid_store_tx(s, 0, renew_body, &t);
    renew_tx_clear(&t);
    return err;
}

/* ---- the expiring-soon list ---- */

static mobid_err expiring_rows(mobid_store_stmt *st, json_t *list)
{
    bool row = false;
    mobid_err err = MOBID_OK;
    while (err == MOBID_OK && (err = mobid_store_step(st, &row)) == MOBID_OK && row) {
        char *v[4] = { mobid_store_col_strdup(st, 0), mobid_store_col_strdup(st, 1),
                       mobid_store_col_strdup(st, 2), mobid_store_col_strdup(st, 3) };
        json_t *c = json_pack("{s:s?,s:s?,s:s?,s:s?,s:I,s:b}", "card", v[0], "application_id",
                              v[1], "office_id", v[2], "cardtype", v[3], "expires_at",
                              (json_int_t)mobid_store_col_int64(st, 4), "renewal_pending",
                              mobid_store_col_int64(st, 5) != 0);
        if (!c || json_array_append_new(list, c))
            err = MOBID_ERR_NOMEM;
        for (int i = 0; i < 4; i++)
            free(v[i]);
    }
    return err;
}

mobid_err issuer_cards_expiring(issuer_ctx *ctx, mobid_store *s, const issuer_officer *who,
                                const char *office_id, int64_t days, json_t **out)
{
    mobid_store_stmt *st = NULL;
    char sql[1024], pending[256];
    int64_t now = mobid_now();
    json_t *list = json_array();
    mobid_err err = list ? MOBID_OK : MOBID_ERR_NOMEM;
    *out = NULL;
    if (who->role != ISSUER_ROLE_ADMIN)
        office_id = office_id && strcmp(office_id, who->office_id) ? "" : who->office_id;
    if (office_id && !*office_id)
        err = MOBID_SVC_ERR_ACCESS_DENIED;
    if (days <= 0)
        days = issuer_renewal_window_days(ctx);
    snprintf(pending, sizeof pending, PENDING_SQL, "c.id");
    snprintf(sql, sizeof sql,
             "SELECT c.id, c.application_id, a.office_id, c.cardtype, c.expires_at,"
             " CASE WHEN %s THEN 1 ELSE 0 END FROM issuer_cards c JOIN issuer_applications a"
             " ON a.id = c.application_id WHERE c.state = 0 AND c.expires_at > $1"
             " AND c.expires_at <= $2 AND (CAST($3 AS TEXT) = '' OR a.office_id = $3)"
             " ORDER BY c.expires_at, c.id LIMIT %d", pending, EXPIRING_MAX);
    if (err == MOBID_OK) err = mobid_store_prepare(s, sql, &st);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 1, now);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 2, now + days * 86400);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 3, office_id ? office_id : "");
    if (err == MOBID_OK) err = expiring_rows(st, list);
    mobid_store_finalize(st);
    if (err == MOBID_OK) {
        *out = list;
        list = NULL;
    }
    json_decref(list);
    return err;
}
