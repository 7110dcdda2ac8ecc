/* src/store: group commit, one leader syncs for every commit written before it began
 * (see group_sync.h). */
#include "store/group_sync.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <mobid/base.h>

struct group_sync {
    group_sync *next;    /* in the process-wide list, under registry_lock */
    unsigned refs;       /* under registry_lock */
    char *key;
    pthread_mutex_t lock;
    pthread_cond_t done;
    uint64_t written;    /* tickets handed out: commits whose write is done */
    uint64_t synced;     /* every ticket <= synced is durable */
    bool running;        /* a leader is syncing */
    unsigned waiting;
    uint64_t syncs;
    uint64_t deferred;   /* commits that did not wait; atomic, outside lock */
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static group_sync *registry;

group_sync *group_sync_get(const char *key)
{
    group_sync *g;
    pthread_mutex_lock(&registry_lock);
    for (g = registry; g && strcmp(g->key, key); g = g->next)
        ;
    if (!g && (g = mobid_calloc(1, sizeof *g))) {
        g->key = mobid_view_strdup(mobid_view_str(key));
        if (!g->key) {
            mobid_free(g);
            g = NULL;
        } else {
            pthread_mutex_init(&g->lock, NULL);
            pthread_cond_init(&g->done, NULL);
            g->next = registry;
            registry = g;
        }
    }
    if (g)
        g->refs++;
    pthread_mutex_unlock(&registry_lock);
    return g;
}

void group_sync_put(group_sync *g)
{
    if (!g)
        return;
    pthread_mutex_lock(&registry_lock);
    bool last = --g->refs == 0;
    if (last) {
        group_sync **pp = &registry;
        while (*pp != g)
            pp = &(*pp)->next;
        *pp = g->next;
    }
    pthread_mutex_unlock(&registry_lock);
    if (last) {
        pthread_cond_destroy(&g->done);
        pthread_mutex_destroy(&g->lock);
        mobid_free(g->key);
        mobid_free(g);
    }
}

/* Called with g->lock held by a thread that found no sync running: sync everything
 * ticketed so far (the tickets of writes that completed before this moment). */
static int lead(group_sync *g, group_sync_fn fn, void *ctx)
{
    /* Read before the sync starts: a write ticketed while it runs may not be in it, so
     * its waiter stays for the next round. */
    uint64_t target = g->written;
    g->running = true;
    pthread_mutex_unlock(&g->lock);
    int rc = fn(ctx);
    pthread_mutex_lock(&g->lock);
    g->running = false;
    g->syncs++;
    if (rc == 0 && target > g->synced)
        g->synced = target;
    pthread_cond_broadcast(&g->done);
    return rc;
}

int group_sync_wait(group_sync *g, group_sync_fn fn, void *ctx)
{
    int rc = 0;
    pthread_mutex_lock(&g->lock);
    uint64_t ticket = ++g->written;
    while (g->synced < ticket) {
        if (!g->running) {
            /* A leader whose sync failed reports it; a waiter it left behind leads
             * the next attempt itself. */
            if ((rc = lead(g, fn, ctx)) != 0)
                break;
            continue;
        }
        g->waiting++;
        pthread_cond_wait(&g->done, &g->lock);
        g->waiting--;
    }
    pthread_mutex_unlock(&g->lock);
    return rc;
}

/* A counter only: no lock, so a deferred commit never queues behind the group. */
void group_sync_deferred(group_sync *g)
{
    __atomic_fetch_add(&g->deferred, 1, __ATOMIC_RELAXED);
}

uint64_t group_sync_deferred_count(group_sync *g)
{
    return __atomic_load_n(&g->deferred, __ATOMIC_RELAXED);
}

void group_sync_stats(group_sync *g, uint64_t *commits, uint64_t *syncs)
{
    pthread_mutex_lock(&g->lock);
    *commits = g->written;
    *syncs = g->syncs;
    pthread_mutex_unlock(&g->lock);
}

unsigned group_sync_waiting(group_sync *g)
{
    pthread_mutex_lock(&g->lock);
    unsigned n = g->waiting;
    pthread_mutex_unlock(&g->lock);
    return n;
}
