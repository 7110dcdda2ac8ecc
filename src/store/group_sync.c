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
    /* Round n's waiters sleep on round[n % 2]: those whose ticket the running sync
     * covers on its own round, those written after it began on the next one. */
    pthread_cond_t round[2];
    unsigned waiting[2]; /* sleepers on each */
    uint64_t written;    /* tickets handed out: commits whose write is done */
    uint64_t synced;     /* every ticket <= synced is durable */
    uint64_t target;     /* the running sync covers every ticket <= target */
    uint64_t syncs;      /* syncs begun; the running one is round number syncs */
    bool running;        /* a leader is syncing */
    uint64_t futile;     /* wake-ups after which the waiter slept again */
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
            pthread_cond_init(&g->round[0], NULL);
            pthread_cond_init(&g->round[1], NULL);
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
        pthread_cond_destroy(&g->round[0]);
        pthread_cond_destroy(&g->round[1]);
        pthread_mutex_destroy(&g->lock);
        mobid_free(g->key);
        mobid_free(g);
    }
}

/* Called with g->lock held by a thread that found no sync running: sync everything
 * ticketed so far (the tickets of writes that completed before this moment). Then wake
 * exactly this round's waiters, whose commits it covered, and one waiter of the next
 * round, who leads that round's sync; the others of the next round sleep on until
 * it ends. A broadcast to everyone would wake each of them once for nothing. */
static int lead(group_sync *g, group_sync_fn fn, void *ctx)
{
    /* Read before the sync starts: a write ticketed while it runs may not be in it, so
     * its waiter stays for the next round. */
    uint64_t round = ++g->syncs;
    g->target = g->written;
    g->running = true;
    pthread_mutex_unlock(&g->lock);
    int rc = fn(ctx);
    pthread_mutex_lock(&g->lock);
    g->running = false;
    if (rc == 0 && g->target > g->synced)
        g->synced = g->target;
    /* After a failure they wake as well: the first to run leads the next attempt. */
    if (g->waiting[round % 2])
        pthread_cond_broadcast(&g->round[round % 2]);
    if (g->waiting[(round + 1) % 2])
        pthread_cond_signal(&g->round[(round + 1) % 2]);
    return rc;
}

int group_sync_wait(group_sync *g, group_sync_fn fn, void *ctx)
{
    int rc = 0;
    bool woken = false;
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
        g->futile += woken;
        unsigned r = (g->syncs + (ticket > g->target)) % 2;
        g->waiting[r]++;
        pthread_cond_wait(&g->round[r], &g->lock);
        g->waiting[r]--;
        woken = true;
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
    unsigned n = g->waiting[0] + g->waiting[1];
    pthread_mutex_unlock(&g->lock);
    return n;
}

uint64_t group_sync_futile_wakeups(group_sync *g)
{
    pthread_mutex_lock(&g->lock);
    uint64_t n = g->futile;
    pthread_mutex_unlock(&g->lock);
    return n;
}
