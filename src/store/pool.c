/* src/store: a small thread-safe pool of connections to one URL. */
#include "store/store_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* One connection for each of the HTTP server's default 8 handler threads; a ninth
 * borrower waits for one to come back rather than opening more. */
#define POOL_DEFAULT_MAX 8

struct mobid_store_pool {
    pthread_mutex_t lock;
    pthread_cond_t freed;
    char *url;
    unsigned max;
    unsigned open;   /* connections in existence (idle + borrowed) */
    unsigned nidle;
    mobid_store **idle;
};

mobid_err mobid_store_pool_new(const char *url, unsigned max, mobid_store_pool **out)
{
    mobid_store_pool *p = NULL;
    mobid_store *first = NULL;
    mobid_err err = MOBID_ERR_INVALID_ARG;
    if (!url || !out)
        goto done;
    *out = NULL;
    err = MOBID_ERR_NOMEM;
    p = mobid_calloc(1, sizeof *p);
    if (!p)
        goto done;
    p->max = max ? max : POOL_DEFAULT_MAX;
    p->url = mobid_view_strdup(mobid_view_str(url));
    p->idle = mobid_calloc(p->max, sizeof *p->idle);
    if (!p->url || !p->idle)
        goto done;
    /* One connection now, so that a wrong URL or password fails the service's start
     * rather than its first request. */
    err = mobid_store_open(url, &first);
    if (err != MOBID_OK)
        goto done;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->freed, NULL);
    p->idle[p->nidle++] = first;
    p->open = 1;
    *out = p;
    p = NULL;
done:
    if (p) {
        mobid_free(p->url);
        mobid_free(p->idle);
        mobid_free(p);
    }
    return err;
}

void mobid_store_pool_free(mobid_store_pool *p)
{
    if (!p)
        return;
    for (unsigned i = 0; i < p->nidle; i++)
        mobid_store_close(p->idle[i]);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->freed);
    mobid_free(p->idle);
    mobid_free(p->url);
    mobid_free(p);
}

mobid_err mobid_store_pool_acquire(mobid_store_pool *p, mobid_store **out)
{
    if (!p || !out)
        return MOBID_ERR_INVALID_ARG;
    *out = NULL;
    pthread_mutex_lock(&p->lock);
    while (!p->nidle && p->open == p->max)
        pthread_cond_wait(&p->freed, &p->lock);
    if (p->nidle) {
        *out = p->idle[--p->nidle];
        pthread_mutex_unlock(&p->lock);
        return MOBID_OK;
    }
    p->open++; /* reserve a slot, then connect without holding the lock */
    pthread_mutex_unlock(&p->lock);
    mobid_err err = mobid_store_open(p->url, out);
    if (err != MOBID_OK) {
        pthread_mutex_lock(&p->lock);
        p->open--;
        pthread_cond_signal(&p->freed);
        pthread_mutex_unlock(&p->lock);
    }
    return err;
}

void mobid_store_pool_release(mobid_store_pool *p, mobid_store *s)
{
    if (!p || !s)
        return;
    if (s->in_tx)
        (void)mobid_store_rollback(s);
    s->defer_commit = false;
    bool keep = !s->broken;
    if (!keep)
        mobid_store_close(s);
    pthread_mutex_lock(&p->lock);
    if (keep)
        p->idle[p->nidle++] = s;
    else
        p->open--;
    pthread_cond_signal(&p->freed);
    pthread_mutex_unlock(&p->lock);
}
