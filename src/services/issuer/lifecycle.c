/*
 * issuer: card lifecycle. A card (one delivery to one phone) is ACTIVE, REPLACED
 * (a newer card of the same type went to the same person), SUSPENDED (resumable),
 * REVOKED or EXPIRED. Its credentials' status-list entries follow: VALID (0) while
 * active, SUSPENDED (2), INVALID (1) once replaced or revoked. Each change is one
 * transaction with its audit entry; the lists are re-signed right after.
 */
#include "services/issuer/issuer.h"
#include "services/issuer/issuer_int.h"
#include "services/issuer/sweeper.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *issuer_card_state_name(issuer_card_state s)
{
    static const char *const names[] = { "active", "replaced", "suspended", "revoked",
                                         "expired" };
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "unknown";
}

/* The card named by ref: a card id, an offer id, or an application's newest card (an
 * active or suspended one first). */
static mobid_err card_find(mobid_store *s, const char *ref, char id[64], int64_t *state)
{
    mobid_store_stmt *st = NULL;
    bool row = false;
    mobid_err err = mobid_store_prepare(
        s,
        "SELECT id, state FROM issuer_cards WHERE id = $1 OR application_id = $1 OR offer_id = $1"
        " ORDER BY"
        " CASE WHEN id = $1 THEN 0 WHEN state = 0 THEN 1 WHEN state = 2 THEN 2 ELSE 3 END,"
        " issued_at DESC LIMIT 1",
        &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, ref);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    if (err == MOBID_OK && !row)
        err = MOBID_ERR_NOT_FOUND;
    if (err == MOBID_OK) {
        snprintf(id, 64, "%.*s", (int)mobid_store_col_text(st, 0).len,
                 (const char *)mobid_store_col_text(st, 0).ptr);
        *state = mobid_store_col_int64(st, 1);
    }
    mobid_store_finalize(st);
    return err;
}

mobid_err issuer_card_set_state(mobid_store *s, const char *card_id, int64_t state,
                                const char *reason)
{
    mobid_store_stmt *st = NULL;
    bool row;
    mobid_err err = mobid_store_prepare(
        s, "UPDATE issuer_cards SET state = $1, reason = $2, updated_at = $3 WHERE id = $4", &st);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 1, state);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 2, reason);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 3, mobid_now());
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 4, card_id);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    mobid_store_finalize(st);
    return err;
}

typedef struct transition {
    issuer_ctx *ctx;
    const char *ref, *actor, *reason, *action;
    unsigned from_mask;   /* bit per allowed current state */
    issuer_card_state to;
    int64_t status;       /* status-list value for the card's credentials */
} transition;

static mobid_err transition_body(mobid_store *s, void *arg)
{
    transition *t = arg;
    char id[64], detail[2048];
    int64_t state;
    mobid_err err = card_find(s, t->ref, id, &state);
    if (err != MOBID_OK)
        return err;
    if (state < 0 || state > 31 || !(t->from_mask & (1u << state)))
        return MOBID_SVC_ERR_WRONG_STATE;
    if ((err = issuer_card_set_state(s, id, t->to, t->reason)) != MOBID_OK ||
        (err = issuer_status_set_card(s, id, t->status)) != MOBID_OK)
        return err;
    static const char *const free_text[] = { "reason", NULL };
    json_t *d = json_pack("{s:s,s:s,s:s?}", "from", issuer_card_state_name(state), "to",
                          issuer_card_state_name(t->to), "reason", t->reason);
    /* the officer's reason is sealed like applicant data (the chain hashes the seal) */
    if (d && (err = issuer_audit_seal(t->ctx, id, d, free_text)) != MOBID_OK) {
        json_decref(d);
        return err;
    }
    char *txt = d ? json_dumps(d, JSON_COMPACT) : NULL;
    snprintf(detail, sizeof detail, "%s", txt ? txt : "{}");
    free(txt);
    json_decref(d);
    return issuer_audit_append(t->ctx, s, t->actor ? t->actor : "system", t->action, id, detail);
}

static mobid_err run_transition(transition *t)
{
    mobid_store *s = NULL;
    mobid_err err = MOBID_ERR_INVALID_ARG;
    if (!t->ref)
        return err;
    if ((err = issuer_db(t->ctx, &s)) != MOBID_OK)
        return err;
    err = mobid_store_tx(s, 0, transition_body, t);
    if (err == MOBID_OK && issuer_statuslists_refresh(t->ctx, s) != MOBID_OK)
        fprintf(stderr, "issuer: status lists not re-signed yet (retried when served)\n");
    issuer_db_release(t->ctx, s);
    return err;
}

#define FROM(x) (1u << (x))

mobid_err issuer_card_suspend(issuer_ctx *ctx, const char *card_ref, const char *actor,
                              const char *reason)
{
    transition t = { ctx, card_ref, actor, reason, "card.suspend", FROM(ISSUER_CARD_ACTIVE),
                     ISSUER_CARD_SUSPENDED, 2 };
    return run_transition(&t);
}

mobid_err issuer_card_resume(issuer_ctx *ctx, const char *card_ref, const char *actor,
                             const char *reason)
{
    transition t = { ctx, card_ref, actor, reason, "card.resume", FROM(ISSUER_CARD_SUSPENDED),
                     ISSUER_CARD_ACTIVE, 0 };
    return run_transition(&t);
}

mobid_err issuer_card_revoke(issuer_ctx *ctx, const char *card_ref, const char *actor,
                             const char *reason)
{
    transition t = { ctx, card_ref, actor, reason, "card.revoke",
                     FROM(ISSUER_CARD_ACTIVE) | FROM(ISSUER_CARD_SUSPENDED), ISSUER_CARD_REVOKED,
                     1 };
    return run_transition(&t);
}

static mobid_err expire_body(mobid_store *s, void *arg)
{
    issuer_sweep_run *e = arg;
    mobid_store_stmt *st = NULL;
    bool row;
    e->count = 0;
    mobid_err err = mobid_store_prepare(
        s,
        "UPDATE issuer_cards SET state = 4, updated_at = $1 WHERE state IN (0, 2)"
        " AND expires_at <= $1",
        &st);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 1, e->now);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    if (err == MOBID_OK) e->count = mobid_store_changes(st);
    mobid_store_finalize(st);
    if (err == MOBID_OK && e->count) {
        char d[64];
        snprintf(d, sizeof d, "{\"count\":%lld}", (long long)e->count);
        err = issuer_audit_append(e->ctx, s, "system", "card.expire", "cards", d);
    }
    return err;
}

mobid_err issuer_cards_expire(issuer_ctx *ctx, int64_t now, int64_t *count)
{
    return issuer_sweep_step(ctx, now, expire_body, count);
}

static mobid_err card_credentials(mobid_store *s, const char *id, json_t *arr)
{
    mobid_store_stmt *st = NULL;
    bool row = true;
    mobid_err err = mobid_store_prepare(
        s,
        "SELECT c.id, c.format, c.list_id, c.status_idx, e.status, c.holder_jkt, c.signer_id"
        " FROM issuer_credentials c JOIN issuer_status_entries e ON e.list_id = c.list_id"
        " AND e.idx = c.status_idx WHERE c.card_id = $1 ORDER BY c.issued_at, c.id",
        &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, id);
    while (err == MOBID_OK && (err = mobid_store_step(st, &row)) == MOBID_OK && row) {
        char *v[5] = { mobid_store_col_strdup(st, 0), mobid_store_col_strdup(st, 1),
                       mobid_store_col_strdup(st, 2), mobid_store_col_strdup(st, 5),
                       mobid_store_col_strdup(st, 6) };
        json_t *c = json_pack("{s:s?,s:s?,s:s?,s:I,s:I,s:s?,s:s?}", "id", v[0], "format", v[1],
                              "status_list", v[2], "status_idx",
                              (json_int_t)mobid_store_col_int64(st, 3), "status",
                              (json_int_t)mobid_store_col_int64(st, 4), "holder_jkt", v[3],
                              "signer", v[4]);
        if (!c || json_array_append_new(arr, c))
            err = MOBID_ERR_NOMEM;
        for (size_t i = 0; i < 5; i++)
            free(v[i]);
    }
    mobid_store_finalize(st);
    return err;
}

mobid_err issuer_card_json(issuer_ctx *ctx, mobid_store *s, const char *card_ref, json_t **out)
{
    char id[64];
    int64_t state;
    mobid_store_stmt *st = NULL;
    bool row = false;
    json_t *j = NULL;
    *out = NULL;
    mobid_err err = card_find(s, card_ref, id, &state);
    if (err == MOBID_OK)
        err = mobid_store_prepare(s,
                                  "SELECT application_id, cardtype, issued_at, expires_at, reason"
                                  " FROM issuer_cards WHERE id = $1",
                                  &st);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, id);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    if (err == MOBID_OK && row) {
        char *app = mobid_store_col_strdup(st, 0), *ct = mobid_store_col_strdup(st, 1),
             *reason = mobid_store_col_strdup(st, 4);
        j = json_pack("{s:s,s:s?,s:s?,s:s,s:I,s:I,s:s?,s:[]}", "id", id, "application_id", app,
                      "cardtype", ct, "state", issuer_card_state_name(state), "issued_at",
                      (json_int_t)mobid_store_col_int64(st, 2), "expires_at",
                      (json_int_t)mobid_store_col_int64(st, 3), "reason", reason,
                      "credentials");
        free(app);
        free(ct);
        free(reason);
        if (!j)
            err = MOBID_ERR_NOMEM;
    }
    mobid_store_finalize(st);
    if (err == MOBID_OK)
        err = card_credentials(s, id, json_object_get(j, "credentials"));
    bool pending = false;
    if (err == MOBID_OK && (err = issuer_renewal_pending(s, id, &pending)) == MOBID_OK &&
        json_object_set_new(j, "renewal_pending", json_boolean(pending)))
        err = MOBID_ERR_NOMEM;
    if (err == MOBID_OK) {
        *out = j;
        j = NULL;
    }
    json_decref(j);
    return err;
}
