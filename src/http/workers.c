/* src/http: the fixed pool of worker threads and its bounded queue. New requests are
 * admitted while the queue has room (else the caller answers 503); requests coming
 * back from the parking lot are always queued, since they already hold a connection
 * and their number is bounded by the connection limit. */
#include "http/http_internal.h"

#include <stdio.h>
#include <string.h>

static void *worker_main(void *arg)
{
    mobid_http_server *s = arg;
    http_queue *q = &s->queue;
    for (;;) {
        pthread_mutex_lock(&q->lock);
        while (!q->head && !q->stop)
            pthread_cond_wait(&q->ready, &q->lock);
        mobid_http_req *r = q->head;
        if (!r) { /* stopping and drained */
            pthread_mutex_unlock(&q->lock);
            return NULL;
        }
        q->head = r->job_next;
        if (!q->head)
            q->tail = NULL;
        q->n--;
        pthread_mutex_unlock(&q->lock);
        r->job_next = NULL;
        http_run_job(r);
    }
}

bool http_queue_push(mobid_http_server *s, mobid_http_req *r, bool admit)
{
    http_queue *q = &s->queue;
    pthread_mutex_lock(&q->lock);
    if (admit && q->n >= s->max_queue) {
        pthread_mutex_unlock(&q->lock);
        return false;
    }
    r->state = REQ_QUEUED;
    r->job_next = NULL;
    if (q->tail)
        q->tail->job_next = r;
    else
        q->head = r;
    q->tail = r;
    q->n++;
    pthread_cond_signal(&q->ready);
    pthread_mutex_unlock(&q->lock);
    return true;
}

mobid_err http_workers_start(mobid_http_server *s)
{
    s->queue.stop = false;
    s->workers = mobid_calloc(s->nworkers, sizeof *s->workers);
    if (!s->workers)
        return MOBID_ERR_NOMEM;
    for (s->nstarted = 0; s->nstarted < s->nworkers; s->nstarted++)
        if (pthread_create(&s->workers[s->nstarted], NULL, worker_main, s) != 0) {
            http_workers_stop(s);
            return MOBID_ERR_NOMEM;
        }
    return MOBID_OK;
}

void http_workers_stop(mobid_http_server *s)
{
    pthread_mutex_lock(&s->queue.lock);
    s->queue.stop = true;
    pthread_cond_broadcast(&s->queue.ready);
    pthread_mutex_unlock(&s->queue.lock);
    for (unsigned i = 0; i < s->nstarted; i++)
        pthread_join(s->workers[i], NULL);
    s->nstarted = 0;
    mobid_free(s->workers);
    s->workers = NULL;
}
