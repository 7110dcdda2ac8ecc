/*
 * What happens to sessions besides requests: wake-ups and housekeeping.
 *
 * A finished session wakes the relying party's parked long-polls: in this process
 * through the server (verifier_announce), in other instances through PostgreSQL
 * NOTIFY (sent by the answering statement itself, see session.c) heard by a listener
 * thread. With SQLite there is one instance, so the in-process wake is all.
 *
 * A sweeper thread, every VERIFIER_SWEEP_S: sessions left "processing" for longer
 * than VERIFIER_STUCK_S end as failed (SESSION_ABANDONED) and wake their waiters;
 * sessions expired for longer than VERIFIER_RETAIN_S are deleted in batches of
 * VERIFIER_PURGE_BATCH (bounded work per round, the index on expires_at finds them).
 *
 * Limits from the configuration: "session_rate" {"per_second", "burst"} at the top
 * (every relying party) or in a relying party (its own), and "http" (the server's
 * workers and caps, see docs/verifier.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "http/ratelimit.h"
#include "http/limits.h"
#include "services/verifier/verifier.h"

#define VERIFIER_SWEEP_S 30
#define VERIFIER_STUCK_S 120
#define VERIFIER_RETAIN_S 600
#define VERIFIER_PURGE_BATCH 500
#define VERIFIER_PURGE_ROUNDS 20

struct verifier_events {
    verifier_ctx *ctx;
    char *db_url;
    mobid_store_listener *listener;
    pthread_t sweeper;
    bool sweeper_started;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stop;
};

void verifier_announce(verifier_ctx *ctx, const char *id)
{
    verifier_cache_drop(ctx->cache, id); /* answered: the cache serves pending sessions */
    if (ctx->server)
        mobid_http_server_wake(ctx->server, id);
}

static void on_notify(void *vctx, const char *payload)
{
    verifier_ctx *ctx = vctx;
    if (!payload) { /* notifications may have been missed */
        verifier_cache_clear(ctx->cache);
        mobid_http_server_wake_all(ctx->server);
    } else {
        verifier_announce(ctx, payload);
    }
}

static void on_abandoned(void *vctx, const char *id)
{
    verifier_announce(vctx, id);
}

/* One round of housekeeping. */
mobid_err verifier_sweep(verifier_ctx *ctx, mobid_time now, int64_t *deleted)
{
    mobid_store *s = NULL;
    int64_t n = 0, total = 0;
    mobid_err err = mobid_store_pool_acquire(ctx->pool, &s);
    for (int round = 0; !err && round < VERIFIER_PURGE_ROUNDS; round++) {
        err = verifier_sessions_sweep(s, now - VERIFIER_STUCK_S, now - VERIFIER_RETAIN_S,
                                      VERIFIER_PURGE_BATCH, on_abandoned, ctx, &n);
        total += n;
        if (n < VERIFIER_PURGE_BATCH)
            break;
    }
    mobid_store_pool_release(ctx->pool, s);
    if (deleted)
        *deleted = total;
    return err;
}

static void *sweeper_main(void *arg)
{
    verifier_events *ev = arg;
    pthread_mutex_lock(&ev->lock);
    while (!ev->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += VERIFIER_SWEEP_S;
        pthread_cond_timedwait(&ev->wake, &ev->lock, &until);
        if (ev->stop)
            break;
        pthread_mutex_unlock(&ev->lock);
        mobid_err err = verifier_sweep(ev->ctx, mobid_now(), NULL);
        if (err)
            fprintf(stderr, "verifier: session sweep: %s\n", mobid_svc_err_name(err));
        pthread_mutex_lock(&ev->lock);
    }
    pthread_mutex_unlock(&ev->lock);
    return NULL;
}

/* Server stop hook: nothing may wake the server once it stops. */
static void events_stop(void *arg)
{
    verifier_events *ev = arg;
    mobid_store_listen_stop(ev->listener);
    ev->listener = NULL;
    pthread_mutex_lock(&ev->lock);
    ev->stop = true;
    pthread_cond_broadcast(&ev->wake);
    pthread_mutex_unlock(&ev->lock);
    if (ev->sweeper_started)
        pthread_join(ev->sweeper, NULL);
    ev->sweeper_started = false;
}

mobid_err verifier_events_start(verifier_ctx *ctx, mobid_http_server *srv)
{
    verifier_events *ev = ctx->events;
    if (!ev || ev->sweeper_started || ev->listener)
        return MOBID_ERR_INVALID_ARG;
    mobid_err err = mobid_store_listen_start(ev->db_url, VERIFIER_CHANNEL, on_notify, ctx,
                                             &ev->listener);
    if (err == MOBID_ERR_UNSUPPORTED)
        err = MOBID_OK; /* SQLite: one instance, woken in-process */
    if (err)
        return err;
    ev->stop = false;
    if (pthread_create(&ev->sweeper, NULL, sweeper_main, ev) != 0)
        err = MOBID_ERR_NOMEM;
    else
        ev->sweeper_started = true;
    if (!err)
        err = mobid_http_server_on_stop(srv, events_stop, ev);
    if (err)
        events_stop(ev);
    return err;
}

/* ---- configuration ---- */

static mobid_err rate_of(const json_t *j, mobid_ratelimit **out)
{
    double rate = json_number_value(json_object_get(j, "per_second"));
    double burst = json_number_value(json_object_get(j, "burst"));
    if (!j)
        return MOBID_OK;
    if (!json_is_object(j) || !(rate > 0)) {
        fprintf(stderr, "verifier: session_rate needs per_second > 0 (and optionally burst)\n");
        return MOBID_ERR_INVALID_ARG;
    }
    return mobid_ratelimit_new(rate, burst >= 1 ? burst : rate < 1 ? 1 : rate, 1, out);
}

mobid_err verifier_events_load(verifier_ctx *ctx, const char *db_url, const json_t *cfg)
{
    const json_t *rps = json_object_get(cfg, "relying_parties");
    const json_t *all = json_object_get(cfg, "session_rate");
    const json_t *http = json_object_get(cfg, "http");
    mobid_err err = MOBID_ERR_NOMEM;
    verifier_events *ev = calloc(1, sizeof *ev);
    if (!ev || !(ev->db_url = strdup(db_url ? db_url : "")))
        goto fail;
    ev->ctx = ctx;
    pthread_mutex_init(&ev->lock, NULL);
    pthread_cond_init(&ev->wake, NULL);
    ctx->events = ev;
    for (size_t i = 0; i < ctx->n_rps; i++) {
        const json_t *own = json_object_get(json_array_get(rps, i), "session_rate");
        if ((err = rate_of(own ? own : all, &ctx->rps[i].create_rate)))
            return err;
    }
    return mobid_http_limits_read(http, "verifier", &ctx->http);
fail:
    free(ev);
    return err;
}

void verifier_events_free(verifier_ctx *ctx)
{
    verifier_events *ev = ctx->events;
    for (size_t i = 0; i < ctx->n_rps; i++)
        mobid_ratelimit_free(ctx->rps[i].create_rate);
    if (!ev)
        return;
    events_stop(ev);
    pthread_mutex_destroy(&ev->lock);
    pthread_cond_destroy(&ev->wake);
    free(ev->db_url);
    free(ev);
    ctx->events = NULL;
}

void verifier_http_config(const verifier_ctx *ctx, mobid_http_config *hc)
{
    mobid_http_limits_apply(&ctx->http, hc);
}
