/* src/store: a PostgreSQL LISTEN on its own connection and thread, so that a service
 * instance hears what other instances finished (NOTIFY is sent at their commit). A
 * lost link is reopened; while it was down notifications may have been missed, which
 * the callback learns as a NULL payload. */
#include "store/store.h"

#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* The thread wakes at least this often to see the stop flag, so stopping a
 * service waits at most this long for its listener. */
#define LISTEN_POLL_MS 250
/* While the database is unreachable, one connection attempt a second: it comes
 * back on its own, and a tight loop would only load the machine meanwhile. */
#define RECONNECT_MS 1000

struct mobid_store_listener {
    char *url;
    char *channel;
    mobid_store_notify_fn fn;
    void *ctx;
    pthread_t thread;
    atomic_bool stop;
};

static PGconn *listen_connect(mobid_store_listener *l)
{
    PGconn *c = PQconnectdb(l->url);
    if (!c || PQstatus(c) != CONNECTION_OK) {
        PQfinish(c);
        return NULL;
    }
    char *ident = PQescapeIdentifier(c, l->channel, strlen(l->channel));
    char sql[256];
    snprintf(sql, sizeof sql, "LISTEN %s", ident ? ident : "\"\"");
    PQfreemem(ident);
    PGresult *res = PQexec(c, sql);
    bool ok = res && PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    if (!ok) {
        PQfinish(c);
        return NULL;
    }
    return c;
}

/* Deliver what arrived; false when the link broke. */
static bool drain(mobid_store_listener *l, PGconn *c)
{
    if (!PQconsumeInput(c))
        return false;
    PGnotify *n;
    while ((n = PQnotifies(c)) != NULL) {
        l->fn(l->ctx, n->extra);
        PQfreemem(n);
    }
    return PQstatus(c) == CONNECTION_OK;
}

static void *listen_main(void *arg)
{
    mobid_store_listener *l = arg;
    PGconn *c = NULL;
    bool was_up = true; /* the first connect follows start, which already connected once */
    while (!atomic_load(&l->stop)) {
        if (!c && !(c = listen_connect(l))) {
            struct timespec d = { RECONNECT_MS / 1000, (RECONNECT_MS % 1000) * 1000000L };
            nanosleep(&d, NULL);
            was_up = false;
            continue;
        }
        if (!was_up) { /* back after a gap: anything may have finished meanwhile */
            l->fn(l->ctx, NULL);
            was_up = true;
        }
        struct pollfd p = { .fd = PQsocket(c), .events = POLLIN };
        if (poll(&p, 1, LISTEN_POLL_MS) > 0 && !drain(l, c)) {
            PQfinish(c);
            c = NULL;
            was_up = false;
        }
    }
    PQfinish(c);
    return NULL;
}

mobid_err mobid_store_listen_start(const char *url, const char *channel, mobid_store_notify_fn fn,
                                   void *ctx, mobid_store_listener **out)
{
    *out = NULL;
    if (!url || !channel || !fn)
        return MOBID_ERR_INVALID_ARG;
    if (strncmp(url, "postgres://", 11) && strncmp(url, "postgresql://", 13))
        return MOBID_ERR_UNSUPPORTED;
    mobid_store_listener *l = mobid_calloc(1, sizeof *l);
    mobid_err err = MOBID_ERR_NOMEM;
    PGconn *probe = NULL;
    if (!l || !(l->url = mobid_view_strdup(mobid_view_str(url))) ||
        !(l->channel = mobid_view_strdup(mobid_view_str(channel))))
        goto done;
    l->fn = fn;
    l->ctx = ctx;
    err = MOBID_SVC_ERR_STORE;
    if (!(probe = listen_connect(l)))
        goto done; /* fail early on a bad URL, as mobid_store_open does */
    PQfinish(probe);
    err = pthread_create(&l->thread, NULL, listen_main, l) == 0 ? MOBID_OK : MOBID_ERR_NOMEM;
done:
    if (err && l) {
        mobid_free(l->url);
        mobid_free(l->channel);
        mobid_free(l);
    } else {
        *out = l;
    }
    return err;
}

void mobid_store_listen_stop(mobid_store_listener *l)
{
    if (!l)
        return;
    atomic_store(&l->stop, true);
    pthread_join(l->thread, NULL);
    mobid_free(l->url);
    mobid_free(l->channel);
    mobid_free(l);
}
