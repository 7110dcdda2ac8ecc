/* src/http: the fixed pool of worker threads and its bounded queue. New requests are
 * admitted while the queue has room (else the caller answers 503); requests coming
 * back from the parking lot are always queued, since they already hold a connection
 * and their number is bounded by the connection limit. */
#include "http/http_internal.h"

#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

static void *worker_main(void *arg)
{
    mobid_http_server *s = arg;
    http_queue *q = &s->queue;
    (void)prctl(PR_SET_NAME, "http-worker"); /* told apart from the event threads in
                                                 top and perf */
    atomic_fetch_add(&q->spare, 1); /* awake, and looks at the queue next */
    pthread_mutex_lock(&q->lock);
    for (;;) {
        while (!q->head && !q->stop) {
            atomic_fetch_sub(&q->spare, 1);
            q->sleepers++;
            pthread_cond_wait(&q->ready, &q->lock);
            q->sleepers--;
            if (q->wakes)
                q->wakes--;
            atomic_fetch_add(&q->spare, 1);
        }
        mobid_http_req *r = q->head;
        if (!r) /* stopping and drained */
            break;
        q->head = r->job_next;
        if (!q->head)
            q->tail = NULL;
        q->n--;
        atomic_fetch_sub(&q->spare, 1);
        pthread_mutex_unlock(&q->lock);
        r->job_next = NULL;
        http_run_job(r);
        /* Counted before the lock: a push from now on may leave this job to us. */
        atomic_fetch_add(&q->spare, 1);
        pthread_mutex_lock(&q->lock);
    }
    atomic_fetch_sub(&q->spare, 1);
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

/* A sleeping worker is woken only when the workers already awake between jobs, and
 * those already signalled, are fewer than the jobs queued: a worker that finishes takes
 * the next job without sleeping, and no worker is woken to find the queue empty (a
 * futex wake and two switches for nothing). The signal is sent after the unlock, so
 * the woken worker does not block at once on the lock its waker still holds. No job is
 * left behind: every worker counted as spare or woken looks at the queue before it
 * sleeps. */
bool http_queue_push(mobid_http_server *s, mobid_http_req *r, bool admit)
{
    http_queue *q = &s->queue;
    bool signal = false;
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
    if (q->n > atomic_load(&q->spare) + q->wakes && q->sleepers > q->wakes) {
        q->wakes++;
        signal = true;
    }
    pthread_mutex_unlock(&q->lock);
    if (signal)
        pthread_cond_signal(&q->ready);
    return true;
}

mobid_err http_workers_start(mobid_http_server *s)
{
    s->queue.stop = false;
    s->queue.wakes = 0;
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
