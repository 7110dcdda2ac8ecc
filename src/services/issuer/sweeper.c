/*
 * Lifecycle by time: a thread of the service that, every "lifecycle"."sweep_s"
 * seconds (default 30), moves applications whose offer expired or was voided without
 * a card to offer_expired, and cards past their expiry to expired, so a state changes
 * when its time comes rather than when someone next reads it. An offer whose code was
 * redeemed but whose access tokens all expired before a card was made (a wallet that
 * gave up half-way) is stale: it can make no card any more, so its application moves
 * too. Each change is audited with what became of the offer.
 */
#include "services/issuer/issuer.h"
#include "services/issuer/sweeper.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct issuer_sweeper {
    issuer_ctx *ctx;
    int64_t interval_s;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stop;
};

mobid_err issuer_sweep_step(issuer_ctx *ctx, int64_t now,
                            mobid_err (*body)(mobid_store *s, void *arg), int64_t *count)
{
    mobid_store *s = NULL;
    issuer_sweep_run r = { ctx, now ? now : mobid_now(), 0 };
    mobid_err err = issuer_db(ctx, &s);
    if (err == MOBID_OK)
        err = mobid_store_tx(s, 0, body, &r);
    if (ctx && s)
        issuer_db_release(ctx, s);
    if (count)
        *count = r.count;
    return err;
}

static mobid_err offers_body(mobid_store *s, void *arg)
{
    issuer_sweep_run *r = arg;
    mobid_store_stmt *st = NULL;
    char *ids[100] = { 0 };
    int why[100] = { 0 };
    static const char *const detail[] = { "{\"offer\":\"expired\"}", "{\"offer\":\"killed\"}",
                                          "{\"offer\":\"stale\"}" };
    size_t n = 0;
    bool row = false;
    /* the same three cases as issuer_offer_state's expired, killed and stale */
    mobid_err err = mobid_store_prepare(
        s, "SELECT a.id, CASE WHEN o.killed_at IS NOT NULL THEN 1 WHEN o.used_at IS NULL THEN 0"
           " ELSE 2 END FROM issuer_applications a JOIN issuer_offers o ON o.id = a.offer_id"
           " WHERE a.state = 'offer_issued' AND (o.killed_at IS NOT NULL OR (o.used_at IS NULL"
           " AND o.expires_at < $1) OR (o.used_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM"
           " issuer_access_tokens t WHERE t.offer_id = o.id AND t.expires_at > $1)))"
           " AND NOT EXISTS (SELECT 1 FROM issuer_cards c WHERE c.offer_id = o.id) LIMIT 100",
        &st);

    r->count = 0;
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 1, r->now);
    while (err == MOBID_OK && n < 100 && (err = mobid_store_step(st, &row)) == MOBID_OK && row) {
        why[n] = (int)mobid_store_col_int64(st, 1) % 3;
        if (!(ids[n++] = mobid_store_col_strdup(st, 0)))
            err = MOBID_ERR_NOMEM;
    }
    mobid_store_finalize(st);
    for (size_t i = 0; err == MOBID_OK && i < n; i++) {
        st = NULL;
        err = mobid_store_prepare(s, "UPDATE issuer_applications SET state = 'offer_expired',"
                                     " updated_at = $2 WHERE id = $1 AND state = 'offer_issued'", &st);
        if (err == MOBID_OK) err = mobid_store_bind_str(st, 1, ids[i]);
        if (err == MOBID_OK) err = mobid_store_bind_int64(st, 2, r->now);
        if (err == MOBID_OK) err = mobid_store_step(st, &row);
        mobid_store_finalize(st);
        if (err == MOBID_OK)
            err = issuer_audit_append(r->ctx, s, "system", "application.offer_expired", ids[i],
                                      detail[why[i]]);
        r->count++;
    }
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    return err;
}

mobid_err issuer_offers_expire(issuer_ctx *ctx, int64_t now, int64_t *count)
{
    return issuer_sweep_step(ctx, now, offers_body, count);
}

static void *sweep_main(void *arg)
{
    issuer_sweeper *w = arg;
    pthread_mutex_lock(&w->lock);
    while (!w->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += w->interval_s;
        while (!w->stop && pthread_cond_timedwait(&w->wake, &w->lock, &until) == 0)
            ;
        if (w->stop)
            break;
        pthread_mutex_unlock(&w->lock);
        mobid_err e1 = issuer_offers_expire(w->ctx, 0, NULL);
        mobid_err e2 = issuer_cards_expire(w->ctx, 0, NULL);
        if (e1 != MOBID_OK || e2 != MOBID_OK)
            fprintf(stderr, "issuer: lifecycle sweep: %s\n",
                    mobid_svc_err_name(e1 != MOBID_OK ? e1 : e2));
        pthread_mutex_lock(&w->lock);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

mobid_err issuer_sweeper_start(issuer_ctx *ctx, issuer_sweeper **out)
{
    const json_t *v = json_object_get(json_object_get(ctx->cfg.raw, "lifecycle"), "sweep_s");
    issuer_sweeper *w = calloc(1, sizeof *w);

    *out = NULL;
    if (!w)
        return MOBID_ERR_NOMEM;
    w->ctx = ctx;
    w->interval_s = json_is_integer(v) && json_integer_value(v) > 0 ? json_integer_value(v) : 30;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    if (pthread_create(&w->thread, NULL, sweep_main, w) != 0) {
        pthread_cond_destroy(&w->wake);
        pthread_mutex_destroy(&w->lock);
        free(w);
        return MOBID_ERR_NOMEM;
    }
    *out = w;
    return MOBID_OK;
}

void issuer_sweeper_stop(issuer_sweeper *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->stop = true;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->lock);
    free(w);
}
