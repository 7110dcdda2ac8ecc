/*
 * Consular applications: received → verified (passport and residency evidence checked
 * in person) → approved (by a second person: four eyes) → offer_issued → card_issued;
 * or rejected / offer_expired. An expired offer (also one whose code was redeemed but
 * gave no card) can be offered again or rejected; a supervisor can cancel an
 * outstanding offer (→ cancelled, the offer void).
 *
 * card_issued and offer_expired are read from the core's tables (a card delivered for
 * the application; the offer expired or killed) whenever an application is read, and
 * written back when a new application of the same person needs the slot, so the core
 * never writes this part's table. Every change runs in one transaction with its audit
 * entry, scoped to the acting officer's office.
 */
#include "services/issuer/office.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define APP_COLS                                                                         \
    "id, office_id, cardtype, person_ref, state, pii_sealed, received_by, verified_by,"  \
    " verified_at, approved_by, approved_at, offer_id, reason, created_at, updated_at"

enum { C_ID, C_OFFICE, C_CARDTYPE, C_PERSON, C_STATE, C_PII, C_RECEIVED_BY, C_VERIFIED_BY,
       C_VERIFIED_AT, C_APPROVED_BY, C_APPROVED_AT, C_OFFER, C_REASON, C_CREATED, C_UPDATED,
       C_N };

/* An application row: heap copies of its columns (NULL for SQL NULL). */
typedef struct app_row {
    char *col[C_N];
    int64_t verified_at, approved_at, created_at, updated_at;
} app_row;

static void app_row_free(app_row *r)
{
    for (int i = 0; i < C_N; i++)
        free(r->col[i]);
    memset(r, 0, sizeof *r);
}

static bool allowed(const issuer_officer *who, const char *office_id)
{
    return who->role == ISSUER_ROLE_ADMIN || (office_id && !strcmp(who->office_id, office_id));
}

/* Load application id; ACCESS_DENIED when it belongs to another office. */
static mobid_err app_load(mobid_store *s, const issuer_officer *who, const char *id,
                          app_row *r)
{
    mobid_store_stmt *st = NULL;
    bool row = false;
    mobid_err err;

    memset(r, 0, sizeof *r);
    err = mobid_store_prepare(s, "SELECT " APP_COLS " FROM issuer_applications WHERE id = $1",
                              &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, id);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    if (err == MOBID_OK && !row) err = MOBID_ERR_NOT_FOUND;
    for (int i = 0; err == MOBID_OK && i < C_N; i++) {
        if (mobid_store_col_null(st, i))
            continue;
        r->col[i] = mobid_store_col_strdup(st, i);
        if (!r->col[i])
            err = MOBID_ERR_NOMEM;
    }
    if (err == MOBID_OK) {
        r->verified_at = mobid_store_col_int64(st, C_VERIFIED_AT);
        r->approved_at = mobid_store_col_int64(st, C_APPROVED_AT);
        r->created_at = mobid_store_col_int64(st, C_CREATED);
        r->updated_at = mobid_store_col_int64(st, C_UPDATED);
        if (!allowed(who, r->col[C_OFFICE]))
            err = MOBID_SVC_ERR_ACCESS_DENIED;
    }
    mobid_store_finalize(st);
    if (err != MOBID_OK)
        app_row_free(r);
    return err;
}

/* The state as it is now: offer_issued becomes card_issued once the core delivered a
 * card for the application, offer_expired when its offer expired or was killed. */
static mobid_err app_effective_state(issuer_ctx *ctx, mobid_store *s, const app_row *r,
                                     const char **state)
{
    mobid_store_stmt *st = NULL;
    char offer_state[16] = "";
    bool row = false;
    mobid_err err;

    *state = r->col[C_STATE];
    if (strcmp(*state, "offer_issued") != 0 || !r->col[C_OFFER])
        return MOBID_OK;
    err = mobid_store_prepare(s, "SELECT count(*) FROM issuer_cards WHERE application_id = $1",
                              &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, r->col[C_ID]);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    if (err == MOBID_OK && row && mobid_store_col_int64(st, 0) > 0)
        *state = "card_issued";
    mobid_store_finalize(st);
    if (err != MOBID_OK || strcmp(*state, "offer_issued") != 0)
        return err;
    err = issuer_offer_state(ctx, s, r->col[C_OFFER], offer_state);
    if (err == MOBID_OK && (!strcmp(offer_state, "expired") || !strcmp(offer_state, "killed") ||
                            !strcmp(offer_state, "stale")))
        *state = "offer_expired";
    return err;
}

/* Write a state change; 0 rows changed means someone else moved it first. */
typedef struct app_update {
    const char *id, *from, *to;
    const char *verified_by, *approved_by, *reason, *offer_id;
    int64_t now;
} app_update;

static mobid_err app_write(mobid_store *s, const app_update *u)
{
    mobid_store_stmt *st = NULL;
    bool row;
    mobid_err err;

    err = mobid_store_prepare(
        s,
        "UPDATE issuer_applications SET state = $2,"
        " verified_by = COALESCE($3, verified_by), approved_by = COALESCE($4, approved_by),"
        " reason = COALESCE($5, reason), offer_id = COALESCE($6, offer_id),"
        " verified_at = CASE WHEN $3 IS NULL THEN verified_at ELSE $7 END,"
        " approved_at = CASE WHEN $4 IS NULL THEN approved_at ELSE $7 END,"
        " updated_at = $7 WHERE id = $1 AND state = $8",
        &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, u->id);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 2, u->to);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 3, u->verified_by);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 4, u->approved_by);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 5, u->reason);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 6, u->offer_id);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 7, u->now);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 8, u->from);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    if (err == MOBID_OK && mobid_store_changes(st) != 1)
        err = MOBID_SVC_ERR_WRONG_STATE;
    mobid_store_finalize(st);
    return err;
}

/* Audit detail {"office":..,"from":..,"to":..[,"sealed":..]} (no PII; the officer's
 * free text, evidence and reasons, sealed). */
static mobid_err audit_step(issuer_ctx *ctx, mobid_store *s, const issuer_officer *who,
                            const char *action, const app_row *r, const char *to,
                            const json_t *extra)
{
    static const char *const free_text[] = { "evidence", "reason", NULL };
    json_t *d = json_pack("{s:s, s:s, s:s}", "office", r->col[C_OFFICE], "from",
                          r->col[C_STATE], "to", to);
    char *text = NULL;
    mobid_err err = d ? MOBID_OK : MOBID_ERR_NOMEM;

    if (err == MOBID_OK && extra && json_object_update(d, (json_t *)extra))
        err = MOBID_ERR_NOMEM;
    if (err == MOBID_OK)
        err = issuer_audit_seal(ctx, r->col[C_ID], d, free_text);
    if (err == MOBID_OK && !(text = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS)))
        err = MOBID_ERR_NOMEM;
    if (err == MOBID_OK)
        err = issuer_audit_append(ctx, s, who->id, action, r->col[C_ID], text);
    free(text);
    json_decref(d);
    return err;
}

/* ---- create ---- */

typedef struct create_tx {
    issuer_ctx *ctx;
    const issuer_officer *who;
    const char *id, *office_id, *cardtype, *person_ref, *sealed;
    char *detail;
    size_t detail_len;
} create_tx;

/* Settle earlier applications of this person and card type whose offer ran out or
 * whose card was delivered, so they no longer hold the one active slot. */
static mobid_err settle_person(issuer_ctx *ctx, mobid_store *s, const create_tx *t)
{
    mobid_store_stmt *st = NULL;
    char *ids[8] = { 0 };
    size_t n = 0;
    bool row = false;
    mobid_err err;

    err = mobid_store_prepare(s, "SELECT id FROM issuer_applications WHERE person_ref = $1"
                                 " AND cardtype = $2 AND state = 'offer_issued'", &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, t->person_ref);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 2, t->cardtype);
    while (err == MOBID_OK && n < 8 && (err = mobid_store_step(st, &row)) == MOBID_OK && row)
        ids[n++] = mobid_store_col_strdup(st, 0);
    mobid_store_finalize(st);
    for (size_t i = 0; err == MOBID_OK && i < n; i++) {
        issuer_officer sys = { .role = ISSUER_ROLE_ADMIN };
        app_row r;
        const char *state;
        snprintf(sys.id, sizeof sys.id, "system");
        err = app_load(s, &sys, ids[i], &r);
        if (err == MOBID_OK) err = app_effective_state(ctx, s, &r, &state);
        if (err == MOBID_OK && strcmp(state, r.col[C_STATE]) != 0) {
            app_update u = { r.col[C_ID], r.col[C_STATE], state, NULL, NULL, NULL, NULL,
                             mobid_now() };
            err = app_write(s, &u);
            if (err == MOBID_OK) err = audit_step(ctx, s, &sys, "application.settle", &r, state, NULL);
        }
        app_row_free(&r);
    }
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    return err;
}

static mobid_err create_body(mobid_store *s, void *arg)
{
    create_tx *t = arg;
    mobid_store_stmt *st = NULL;
    char opens[11] = "";
    int64_t now = mobid_now();
    bool row;
    mobid_err err;

    err = issuer_office_check_open(s, t->office_id, now, opens);
    if (err == MOBID_SVC_ERR_OFFICE_NOT_OPEN)
        mobid_svc_detail(t->detail, t->detail_len, "the office does not accept applications yet");
    if (err == MOBID_OK) err = settle_person(t->ctx, s, t);
    if (err == MOBID_OK)
        err = mobid_store_prepare(s, "INSERT INTO issuer_applications (id, office_id, cardtype,"
                                     " person_ref, state, pii_sealed, received_by, created_at,"
                                     " updated_at) VALUES ($1, $2, $3, $4, 'received', $5, $6,"
                                     " $7, $7)", &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, t->id);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 2, t->office_id);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 3, t->cardtype);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 4, t->person_ref);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 5, t->sealed);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 6, t->who->id);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 7, now);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    mobid_store_finalize(st);
    if (err == MOBID_SVC_ERR_STORE_CONFLICT) {
        mobid_svc_detail(t->detail, t->detail_len,
                         "this person already has an active application for this card type");
        err = MOBID_SVC_ERR_APPLICATION_EXISTS;
    }
    if (err == MOBID_OK) {
        app_row r = { .col = { [C_ID] = (char *)t->id, [C_OFFICE] = (char *)t->office_id,
                               [C_STATE] = "" } };
        json_t *x = json_pack("{s:s}", "cardtype", t->cardtype);
        err = x ? audit_step(t->ctx, s, t->who, "application.create", &r, "received", x)
                : MOBID_ERR_NOMEM;
        json_decref(x);
    }
    return err;
}

/* Validate who, card type and applicant before any transaction. */
static mobid_err create_check(issuer_ctx *ctx, const issuer_officer *who, const char *office_id,
                              const char *cardtype, const json_t *pii,
                              char *detail, size_t detail_len)
{
    issuer_eligibility_rules rules;
    const issuer_cardtype *ct = cardtype ? issuer_cardtype_find(ctx, cardtype) : NULL;
    mobid_err err;

    if (!office_id || !allowed(who, office_id) || who->role == ISSUER_ROLE_NONE) {
        mobid_svc_detail(detail, detail_len, "officers take applications at their own office only");
        return MOBID_SVC_ERR_ACCESS_DENIED;
    }
    if (!ct) {
        mobid_svc_detail(detail, detail_len, "unknown card type");
        return MOBID_ERR_NOT_FOUND;
    }
    if ((err = issuer_intake_check(ctx, ct, pii, detail, detail_len)) != MOBID_OK)
        return err;
    issuer_eligibility_rules_get(ctx, ct, &rules);
    err = issuer_eligibility_check(&rules, pii, mobid_now() / 86400, detail, detail_len);
    return err ? err : issuer_intake_consistent(pii, detail, detail_len);
}

mobid_err issuer_app_create(issuer_ctx *ctx, mobid_store *s, const issuer_officer *who,
                            const char *office_id, const char *cardtype, const json_t *pii,
                            char id[23], char *detail, size_t detail_len)
{
    char person_ref[65];
    char *sealed = NULL;
    const issuer_cardtype *ct = cardtype ? issuer_cardtype_find(ctx, cardtype) : NULL;
    mobid_err err;

    mobid_svc_detail(detail, detail_len, NULL);
    err = create_check(ctx, who, office_id, cardtype, pii, detail, detail_len);
    if (err == MOBID_OK) {
        /* the card type names the number that identifies the person (one active card
         * per person and type): the resident or the alien registration number */
        const json_t *key = json_object_get(pii, ct->person_key);
        err = issuer_person_ref(ctx, json_string_value(key), person_ref);
        if (err != MOBID_OK)
            mobid_svc_detail(detail, detail_len,
                             !strcmp(ct->person_key, "resident_registration_number")
                                 ? "resident_registration_number must be 13 digits (YYMMDD-NNNNNNN)"
                                 : "the registration number must be 13 digits (YYMMDD-NNNNNNN)");
    }
    if (err == MOBID_OK) err = issuer_new_id(id);
    if (err == MOBID_OK) err = issuer_pii_seal(ctx, id, pii, &sealed);
    if (err == MOBID_OK) {
        create_tx t = { ctx, who, id, office_id, cardtype, person_ref, sealed, detail, detail_len };
        err = mobid_store_tx(s, 0, create_body, &t);
    }
    free(sealed);
    return err;
}

/* ---- steps ---- */

typedef struct step_tx {
    issuer_ctx *ctx;
    const issuer_officer *who;
    const char *id, *action, *to;
    const char *const *from;   /* allowed current states, NULL-terminated */
    const char *reason;
    const json_t *extra;       /* audit detail additions */
    bool four_eyes;            /* who must not be the officer who verified */
    bool kill_offer;           /* void the application's offer (cancel) */
} step_tx;

static bool in_list(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(s, *list))
            return true;
    return false;
}

/* Do a and b count as one person for four eyes: the same account, one created the
 * other, or a supervisor created both? Whoever creates an account chose its password
 * and can sign in as it, so two accounts from one supervisor are one person twice.
 * The ministry's administrators are the exception: they make every office's staff
 * (mobid up does), cannot act on applications, and are the root of account trust
 * anyway (docs/security.md says what that leaves). */
static mobid_err same_person(mobid_store *s, const char *a, const char *b, bool *same)
{
    mobid_store_stmt *st = NULL;
    bool row = false;
    mobid_err err;

    *same = !strcmp(a, b);
    if (*same)
        return MOBID_OK;
    err = mobid_store_prepare(s, "SELECT count(*) FROM issuer_officers x, issuer_officers y"
                                 " WHERE x.id = $1 AND y.id = $2"
                                 " AND (x.created_by = y.id OR y.created_by = x.id"
                                 "  OR (x.created_by = y.created_by AND EXISTS (SELECT 1"
                                 "   FROM issuer_officers c WHERE c.id = x.created_by"
                                 "   AND c.role <> 'ministry_admin')))", &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, a);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 2, b);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    *same = err == MOBID_OK && row && mobid_store_col_int64(st, 0) > 0;
    mobid_store_finalize(st);
    return err;
}

static mobid_err step_body(mobid_store *s, void *arg)
{
    step_tx *t = arg;
    app_row r;
    mobid_err err;

    const char *state = NULL;
    bool same = false;

    err = app_load(s, t->who, t->id, &r);
    if (err != MOBID_OK)
        return err;
    err = app_effective_state(t->ctx, s, &r, &state);
    if (err == MOBID_OK && !in_list(state, t->from))
        err = MOBID_SVC_ERR_WRONG_STATE;
    if (err == MOBID_OK && t->four_eyes && r.col[C_VERIFIED_BY])
        err = same_person(s, r.col[C_VERIFIED_BY], t->who->id, &same);
    if (err == MOBID_OK && same)
        err = MOBID_SVC_ERR_FOUR_EYES;
    if (err == MOBID_OK && t->kill_offer && r.col[C_OFFER])
        err = issuer_offer_kill(s, r.col[C_OFFER]);
    if (err == MOBID_OK) {
        bool verify = !strcmp(t->to, "verified"), approve = !strcmp(t->to, "approved");
        app_update u = { t->id, r.col[C_STATE], t->to, verify ? t->who->id : NULL,
                         approve ? t->who->id : NULL, t->reason, NULL, mobid_now() };
        err = app_write(s, &u);
    }
    if (err == MOBID_OK)
        err = audit_step(t->ctx, s, t->who, t->action, &r, t->to, t->extra);
    app_row_free(&r);
    return err;
}

static mobid_err run_step(step_tx *t, mobid_store *s)
{
    if (t->who->role == ISSUER_ROLE_NONE)
        return MOBID_SVC_ERR_ACCESS_DENIED;
    return mobid_store_tx(s, 0, step_body, t);
}

/* What the console asks for: the passport seen and the residency evidence named, as
 * short texts (other members, up to a few, may add detail). */
static bool evidence_ok(const json_t *ev)
{
    static const char *const need[] = { "passport", "residency" };
    const char *key;
    const json_t *v;

    if (!json_is_object(ev) || json_object_size(ev) > 8)
        return false;
    for (size_t i = 0; i < 2; i++) {
        v = json_object_get(ev, need[i]);
        if (!json_is_string(v) || json_string_length(v) == 0)
            return false;
    }
    json_object_foreach((json_t *)ev, key, v)
        if (!json_is_string(v) || json_string_length(v) > 200)
            return false;
    return true;
}

mobid_err issuer_app_verify(issuer_ctx *ctx, mobid_store *s, const issuer_officer *who,
                            const char *id, const json_t *evidence)
{
    static const char *const from[] = { "received", NULL };
    json_t *x = json_pack("{s:O?}", "evidence", (json_t *)evidence);
    step_tx t = { ctx, who, id, "application.verify", "verified", from, NULL, x, false, false };
    mobid_err err;

    if (!evidence_ok(evidence)) {
        json_decref(x);
        return MOBID_ERR_INVALID_ARG;
    }
    err = x ? run_step(&t, s) : MOBID_ERR_NOMEM;
    json_decref(x);
    return err;
}

mobid_err issuer_app_approve(issuer_ctx *ctx, mobid_store *s, const issuer_officer *who,
                             const char *id)
{
    static const char *const from[] = { "verified", NULL };
    step_tx t = { ctx, who, id, "application.approve", "approved", from, NULL, NULL, true, false };
    return run_step(&t, s);
}

mobid_err issuer_app_reject(issuer_ctx *ctx, mobid_store *s, const issuer_officer *who,
                            const char *id, const char *reason)
{
    static const char *const from[] = { "received", "verified", "approved", "offer_expired",
                                        NULL };
    json_t *x;
    mobid_err err;

    if (!reason || !*reason || strlen(reason) > 500)
        return MOBID_ERR_INVALID_ARG;
    x = json_pack("{s:s}", "reason", reason);
    step_tx t = { ctx, who, id, "application.reject", "rejected", from, reason, x, false, false };
    err = x ? run_step(&t, s) : MOBID_ERR_NOMEM;
    json_decref(x);
    return err;
}

mobid_err issuer_app_cancel(issuer_ctx *ctx, mobid_store *s, const issuer_officer *who,
                            const char *id, const char *reason)
{
    static const char *const from[] = { "offer_issued", "offer_expired", NULL };
    json_t *x;
    mobid_err err;

    if (who->role != ISSUER_ROLE_SUPERVISOR && who->role != ISSUER_ROLE_ADMIN)
        return MOBID_SVC_ERR_ACCESS_DENIED;
    if (!reason || !*reason || strlen(reason) > 500)
        return MOBID_ERR_INVALID_ARG;
    x = json_pack("{s:s}", "reason", reason);
    step_tx t = { ctx, who, id, "application.cancel", "cancelled", from, reason, x, false, true };
    err = x ? run_step(&t, s) : MOBID_ERR_NOMEM;
    json_decref(x);
    return err;
}

/* ---- offer ---- */

/* The application field that fills claim `name` under another name, or "". */
static const char *form_source(const issuer_cardtype *ct, const char *name)
{
    size_t i;
    const json_t *f;
    json_array_foreach (ct->form, i, f)
        if (!strcmp(json_string_value(json_object_get(f, "claim")) ?: "", name))
            return json_string_value(json_object_get(f, "name"));
    return "";
}

/* The card type's claims taken from the applicant (computed claims are the core's);
 * issuing_office, when the card type has it, is the office's name. */
static mobid_err offer_claims(mobid_store *s, const issuer_cardtype *ct, const json_t *pii,
                              const char *office_id, json_t **out)
{
    json_t *c = json_object();
    mobid_store_stmt *st = NULL;
    bool row = false;
    mobid_err err = c ? MOBID_OK : MOBID_ERR_NOMEM;

    for (size_t i = 0; err == MOBID_OK && i < ct->nclaims; i++) {
        const issuer_claim *cl = &ct->claims[i];
        json_t *v = json_object_get(pii, cl->name);
        /* an application field may fill a claim of another name ("claim" in the
         * card type's form: country_of_residence is the card's resident_country) */
        if (!v)
            v = json_object_get(pii, form_source(ct, cl->name));
        if (cl->kind != ISSUER_CLAIM_COMPUTED && v && json_object_set(c, cl->name, v) != 0)
            err = MOBID_ERR_NOMEM;
        if (err == MOBID_OK && !v && !strcmp(cl->name, "issuing_office")) {
            err = mobid_store_prepare(s, "SELECT name FROM issuer_offices WHERE id = $1", &st);
            if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, office_id);
            if (err == MOBID_OK) err = mobid_store_step(st, &row);
            if (err == MOBID_OK && row) {
                char *name = mobid_store_col_strdup(st, 0);
                json_object_set_new(c, cl->name, json_string(name ? name : office_id));
                free(name);
            }
            mobid_store_finalize(st);
            st = NULL;
        }
    }
    if (err == MOBID_OK)
        *out = c;
    else
        json_decref(c);
    return err;
}

typedef struct offer_tx {
    issuer_ctx *ctx;
    const issuer_officer *who;
    const char *id;
    issuer_offer *offer;
    char *detail;
    size_t detail_len;
    bool replace;      /* an outstanding offer (lost, never redeemed) gives way */
} offer_tx;

static mobid_err offer_body(mobid_store *s, void *arg)
{
    offer_tx *t = arg;
    app_row r;
    json_t *pii = NULL, *claims = NULL;
    const issuer_cardtype *ct;
    mobid_err err;

    issuer_offer_clear(t->offer); /* a retried run starts afresh */
    memset(t->offer, 0, sizeof *t->offer);
    const char *state = NULL;

    err = app_load(s, t->who, t->id, &r);
    if (err != MOBID_OK)
        return err;
    err = app_effective_state(t->ctx, s, &r, &state);
    if (err == MOBID_OK && strcmp(state, "approved") && strcmp(state, "offer_expired") &&
        !(t->replace && !strcmp(state, "offer_issued")))
        err = MOBID_SVC_ERR_WRONG_STATE; /* an expired offer may be offered again */
    if (err == MOBID_OK && !strcmp(state, "offer_issued") && r.col[C_OFFER])
        err = issuer_offer_kill(s, r.col[C_OFFER]); /* the lost code stops working */
    if (err == MOBID_OK && !(ct = issuer_cardtype_find(t->ctx, r.col[C_CARDTYPE])))
        err = MOBID_ERR_NOT_FOUND;
    if (err == MOBID_OK) err = issuer_pii_open(t->ctx, t->id, r.col[C_PII], &pii);
    if (err == MOBID_OK) err = offer_claims(s, ct, pii, r.col[C_OFFICE], &claims);
    if (err == MOBID_OK) {
        issuer_offer_req req = { t->id, r.col[C_CARDTYPE], r.col[C_PERSON], claims, t->who->id };
        err = issuer_offer_create(t->ctx, s, &req, t->offer, t->detail, t->detail_len);
    }
    if (err == MOBID_OK) {
        app_update u = { t->id, r.col[C_STATE], "offer_issued", NULL, NULL, NULL,
                         t->offer->offer_id, mobid_now() };
        err = app_write(s, &u);
    }
    if (err == MOBID_OK) {
        json_t *x = json_pack("{s:s, s:s?}", "offer", t->offer->offer_id, "replaces",
                              strcmp(state, "approved") ? r.col[C_OFFER] : NULL);
        err = x ? audit_step(t->ctx, s, t->who, "application.offer", &r, "offer_issued", x)
                : MOBID_ERR_NOMEM;
        json_decref(x);
    }
    json_decref(claims);
    json_decref(pii);
    app_row_free(&r);
    return err;
}

static mobid_err app_offer(issuer_ctx *ctx, mobid_store *s, const issuer_officer *who,
                           const char *id, issuer_offer *offer,
                           char *detail, size_t detail_len, bool replace)
{
    offer_tx t = { ctx, who, id, offer, detail, detail_len, replace };
    mobid_err err;

    mobid_svc_detail(detail, detail_len, NULL);
    memset(offer, 0, sizeof *offer);
    if (who->role == ISSUER_ROLE_NONE)
        return MOBID_SVC_ERR_ACCESS_DENIED;
    err = mobid_store_tx(s, 0, offer_body, &t);
    if (err != MOBID_OK) {
        issuer_offer_clear(offer);
        memset(offer, 0, sizeof *offer);
    }
    return err;
}

mobid_err issuer_app_offer(issuer_ctx *ctx, mobid_store *s, const issuer_officer *who,
                           const char *id, issuer_offer *offer, char *detail, size_t detail_len)
{
    return app_offer(ctx, s, who, id, offer, detail, detail_len, false);
}

mobid_err issuer_app_offer_replace(issuer_ctx *ctx, mobid_store *s, const issuer_officer *who,
                                   const char *id, issuer_offer *offer,
                                   char *detail, size_t detail_len)
{
    return app_offer(ctx, s, who, id, offer, detail, detail_len, true);
}

/* ---- reading ---- */

static json_t *app_json(const app_row *r, const char *state)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:I, s:I}", "id",
                          r->col[C_ID], "office_id", r->col[C_OFFICE], "cardtype",
                          r->col[C_CARDTYPE], "state", state, "received_by",
                          r->col[C_RECEIVED_BY], "verified_by", r->col[C_VERIFIED_BY],
                          "approved_by", r->col[C_APPROVED_BY], "offer_id", r->col[C_OFFER],
                          "reason", r->col[C_REASON], "created_at", (json_int_t)r->created_at,
                          "updated_at", (json_int_t)r->updated_at);
    if (j && r->col[C_VERIFIED_BY])
        json_object_set_new(j, "verified_at", json_integer(r->verified_at));
    if (j && r->col[C_APPROVED_BY])
        json_object_set_new(j, "approved_at", json_integer(r->approved_at));
    return j;
}

mobid_err issuer_app_json(issuer_ctx *ctx, mobid_store *s, const issuer_officer *who,
                          const char *id, bool with_pii, json_t **out)
{
    app_row r;
    const char *state = NULL;
    json_t *j = NULL, *pii = NULL;
    mobid_err err;

    *out = NULL;
    err = app_load(s, who, id, &r);
    if (err != MOBID_OK)
        return err;
    err = app_effective_state(ctx, s, &r, &state);
    if (err == MOBID_OK && !(j = app_json(&r, state)))
        err = MOBID_ERR_NOMEM;
    if (err == MOBID_OK && with_pii) {
        err = issuer_pii_open(ctx, id, r.col[C_PII], &pii);
        if (err == MOBID_OK)
            json_object_set_new(j, "applicant", pii);
    }
    if (err == MOBID_OK) {
        *out = j;
        j = NULL;
    }
    json_decref(j);
    app_row_free(&r);
    return err;
}

mobid_err issuer_apps_list(issuer_ctx *ctx, mobid_store *s, const issuer_officer *who,
                           const char *state, const char *rrn, int64_t limit, json_t **out)
{
    mobid_store_stmt *st = NULL;
    json_t *arr = json_array();
    char person[65] = "";
    char *ids[1000];
    size_t n = 0;
    bool row = false;
    mobid_err err = arr ? MOBID_OK : MOBID_ERR_NOMEM;

    *out = NULL;
    if (limit <= 0 || limit > 1000)
        limit = 100;
    if (err == MOBID_OK && rrn && *rrn)
        err = issuer_person_ref(ctx, rrn, person);
    if (err == MOBID_OK)
        err = mobid_store_prepare(s, "SELECT id FROM issuer_applications"
                                     " WHERE ($1 = '' OR office_id = $1)"
                                     " AND ($2 = '' OR person_ref = $2)"
                                     " ORDER BY created_at DESC, id LIMIT $3", &st);
    if (err == MOBID_OK)
        err = mobid_store_bind_str(st, 1, who->role == ISSUER_ROLE_ADMIN ? "" : who->office_id);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 2, person);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 3, limit);
    while (err == MOBID_OK && n < (size_t)limit && (err = mobid_store_step(st, &row)) == MOBID_OK && row)
        if (!(ids[n++] = mobid_store_col_strdup(st, 0)))
            err = MOBID_ERR_NOMEM;
    mobid_store_finalize(st);
    for (size_t i = 0; err == MOBID_OK && i < n; i++) {
        json_t *j = NULL;
        err = issuer_app_json(ctx, s, who, ids[i], false, &j);
        const char *js = json_string_value(json_object_get(j, "state"));
        if (err == MOBID_OK && (!state || !*state || (js && !strcmp(js, state))))
            json_array_append(arr, j);
        json_decref(j);
    }
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    if (err == MOBID_OK) {
        *out = arr;
        arr = NULL;
    }
    json_decref(arr);
    return err;
}

/* ---- card lifecycle requests ---- */

mobid_err issuer_app_card_action(issuer_ctx *ctx, mobid_store *s, const issuer_officer *who,
                                 const char *id, const char *action, const char *reason)
{
    app_row r;
    const char *state = NULL;
    bool senior = who->role == ISSUER_ROLE_SUPERVISOR || who->role == ISSUER_ROLE_ADMIN;
    mobid_err err;

    if (!action || !reason || !*reason || strlen(reason) > 500)
        return MOBID_ERR_INVALID_ARG;
    err = app_load(s, who, id, &r);
    if (err != MOBID_OK)
        return err;
    err = app_effective_state(ctx, s, &r, &state);
    if (err == MOBID_OK && strcmp(state, "card_issued") != 0)
        err = MOBID_SVC_ERR_WRONG_STATE;
    app_row_free(&r);
    if (err != MOBID_OK)
        return err;
    /* the lifecycle functions audit the change in their own transaction */
    if (!strcmp(action, "suspend") && who->role != ISSUER_ROLE_NONE)
        return issuer_card_suspend(ctx, id, who->id, reason);
    if (!strcmp(action, "resume") && senior)
        return issuer_card_resume(ctx, id, who->id, reason);
    if (!strcmp(action, "revoke") && senior)
        return issuer_card_revoke(ctx, id, who->id, reason);
    return strcmp(action, "suspend") && strcmp(action, "resume") && strcmp(action, "revoke")
               ? MOBID_ERR_INVALID_ARG
               : MOBID_SVC_ERR_ACCESS_DENIED;
}
