/* src/http: the parking lot of long-polls and the reaper thread.
 *
 * A parked request is a suspended MHD connection in three indexes under one lock: the
 * list of all parked requests (deadlines, stop), a hash bucket of its watched key
 * (wakes) and an epoll set of its socket with EPOLLRDHUP (a client that goes away).
 * Each bucket counts its wakes; a request remembers the count when it starts watching,
 * so a wake that came before it parked sends it straight back to a worker.
 *
 * The reaper thread waits on that epoll set and every REAP_MS checks deadlines: parked
 * requests whose timeout passed go back to a worker, connections whose request head
 * and body are not complete by their deadline get 408 and are shut down (slowloris).
 * It also writes out the access log lines gathered since its last tick (log.c).
 */
#include "http/http_internal.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

/* The granularity of every deadline here: a 408 or a long-poll's end comes at most this
 * late, while an idle server wakes only five times a second. */
#define REAP_MS 200
#define LOT_MAX_FDS ((size_t)1 << 20) /* 8 MB of table at most */

unsigned http_lot_bucket(const char *key)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h % LOT_BUCKETS;
}

mobid_err http_lot_init(mobid_http_server *s)
{
    http_lot *l = &s->lot;
    struct rlimit rl;
    /* Raised here already (the server raises it again at start): the table must cover
     * every descriptor a connection can get. */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
    l->by_fd_len = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < LOT_MAX_FDS
                       ? (size_t)rl.rlim_cur : LOT_MAX_FDS;
    l->by_fd = mobid_calloc(l->by_fd_len, sizeof *l->by_fd);
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (!l->by_fd || l->epfd < 0)
        return l->by_fd ? MOBID_ERR_IO : MOBID_ERR_NOMEM;
    return MOBID_OK;
}

void http_lot_free(mobid_http_server *s)
{
    if (s->lot.epfd > 0)
        close(s->lot.epfd);
    s->lot.epfd = -1;
    mobid_free(s->lot.by_fd);
    s->lot.by_fd = NULL;
}

/* Take r out of every index. Lock held. */
static void unpark(http_lot *l, mobid_http_req *r)
{
    if (r->lot_prev)
        r->lot_prev->lot_next = r->lot_next;
    else
        l->all = r->lot_next;
    if (r->lot_next)
        r->lot_next->lot_prev = r->lot_prev;
    r->lot_prev = r->lot_next = NULL;
    l->n--;
    if (r->watch_key) {
        mobid_http_req **p = &l->buckets[r->watch_bucket];
        while (*p && *p != r)
            p = &(*p)->bucket_next;
        if (*p)
            *p = r->bucket_next;
        r->bucket_next = NULL;
    }
    if (r->fd >= 0 && (size_t)r->fd < l->by_fd_len) {
        epoll_ctl(l->epfd, EPOLL_CTL_DEL, r->fd, NULL);
        l->by_fd[r->fd] = NULL;
    }
}

/* Back to a worker with why. Lock held (queue lock nests inside). */
static void requeue(mobid_http_server *s, mobid_http_req *r, mobid_http_wake why)
{
    r->why = why;
    (void)http_queue_push(s, r, false);
}

void http_lot_park(mobid_http_server *s, mobid_http_req *r)
{
    http_lot *l = &s->lot;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    r->fd = ci ? ci->connect_fd : -1;
    pthread_mutex_lock(&l->lock);
    if (atomic_load(&s->stopping)) {
        requeue(s, r, MOBID_HTTP_STOPPING);
    } else if (r->watch_key && l->seq[r->watch_bucket] != r->watch_seq) {
        r->watch_seq = l->seq[r->watch_bucket];
        requeue(s, r, MOBID_HTTP_WOKEN);
    } else {
        r->state = REQ_PARKED;
        r->lot_next = l->all;
        r->lot_prev = NULL;
        if (l->all)
            l->all->lot_prev = r;
        l->all = r;
        l->n++;
        if (r->watch_key) {
            r->bucket_next = l->buckets[r->watch_bucket];
            l->buckets[r->watch_bucket] = r;
        }
        if (r->fd >= 0 && (size_t)r->fd < l->by_fd_len) {
            r->park_gen = ++l->gen;
            struct epoll_event ev = { .events = EPOLLRDHUP,
                                      .data.u64 = (uint64_t)r->fd | ((uint64_t)r->park_gen << 32) };
            l->by_fd[r->fd] = r;
            if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, r->fd, &ev) != 0)
                l->by_fd[r->fd] = NULL; /* deadline still applies */
        }
    }
    pthread_mutex_unlock(&l->lock);
}

void mobid_http_server_wake(mobid_http_server *s, const char *key)
{
    http_lot *l = &s->lot;
    unsigned b = http_lot_bucket(key);
    pthread_mutex_lock(&l->lock);
    l->seq[b]++;
    mobid_http_req **p = &l->buckets[b];
    while (*p) {
        mobid_http_req *r = *p;
        if (strcmp(r->watch_key, key)) {
            p = &r->bucket_next;
            continue;
        }
        unpark(l, r); /* removes *p, so p stays */
        r->watch_seq = l->seq[b];
        requeue(s, r, MOBID_HTTP_WOKEN);
    }
    pthread_mutex_unlock(&l->lock);
}

void http_lot_wake_all(mobid_http_server *s, mobid_http_wake why)
{
    http_lot *l = &s->lot;
    pthread_mutex_lock(&l->lock);
    for (unsigned b = 0; b < LOT_BUCKETS; b++)
        l->seq[b]++;
    while (l->all) {
        mobid_http_req *r = l->all;
        unpark(l, r);
        if (r->watch_key)
            r->watch_seq = l->seq[r->watch_bucket];
        requeue(s, r, why);
    }
    pthread_mutex_unlock(&l->lock);
}

void mobid_http_server_wake_all(mobid_http_server *s)
{
    http_lot_wake_all(s, MOBID_HTTP_WOKEN);
}

size_t mobid_http_server_parked(mobid_http_server *s)
{
    pthread_mutex_lock(&s->lot.lock);
    size_t n = s->lot.n;
    pthread_mutex_unlock(&s->lot.lock);
    return n;
}

/* ---- the reaper ---- */

/* The client of a parked request hung up: resume it so MHD closes and frees it. */
static void on_hangup(mobid_http_server *s, uint64_t data)
{
    http_lot *l = &s->lot;
    int fd = (int)(data & 0xffffffffu);
    uint32_t gen = (uint32_t)(data >> 32);
    pthread_mutex_lock(&l->lock);
    mobid_http_req *r = (size_t)fd < l->by_fd_len ? l->by_fd[fd] : NULL;
    if (r && r->park_gen == gen && r->state == REQ_PARKED) {
        unpark(l, r);
        r->state = REQ_GONE;
        MHD_resume_connection(r->conn);
    }
    pthread_mutex_unlock(&l->lock);
}

static void expire_parked(mobid_http_server *s, double now)
{
    http_lot *l = &s->lot;
    pthread_mutex_lock(&l->lock);
    for (mobid_http_req *r = l->all, *next; r; r = next) {
        next = r->lot_next;
        if (now >= r->park_deadline) {
            unpark(l, r);
            requeue(s, r, MOBID_HTTP_TIMED_OUT);
        }
    }
    pthread_mutex_unlock(&l->lock);
}

/* Connections still sending their request past the deadline: a 408 (best effort, the
 * connection has nothing else in flight) and a shutdown; MHD then sees the end of the
 * stream and closes it. The entry exists until MHD's close notification, so fd is
 * still this connection's. */
static void cut_slow(mobid_http_server *s, double now)
{
    static const char answer[] = "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n"
                                 "Content-Type: application/json\r\nContent-Length: 64\r\n\r\n"
                                 "{\"error\":\"request_timeout\",\"detail\":\"the request took too long\"}";
    pthread_mutex_lock(&s->conns_lock);
    for (http_conn *c = s->conns; c; c = c->next) {
        if (c->busy || c->cut || now < c->deadline)
            continue;
        c->cut = true;
        const char *labels[] = { "reason", "request_timeout", NULL };
        (void)mobid_metrics_add(s->metrics, HTTP_REFUSED_METRIC, labels, 1); /* before the
                                                      client can see the close and look */
        (void)!send(c->fd, answer, sizeof answer - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
        shutdown(c->fd, SHUT_RDWR);
    }
    pthread_mutex_unlock(&s->conns_lock);
}

static void *reaper_main(void *arg)
{
    mobid_http_server *s = arg;
    (void)prctl(PR_SET_NAME, "http-reaper");
    struct epoll_event evs[64];
    double next_scan = 0;
    while (!atomic_load(&s->reaper_stop)) {
        int n = epoll_wait(s->lot.epfd, evs, 64, REAP_MS);
        for (int i = 0; i < n; i++)
            on_hangup(s, evs[i].data.u64);
        double now = http_now();
        if (now >= next_scan) {
            expire_parked(s, now);
            cut_slow(s, now);
            http_log_flush();
            next_scan = now + REAP_MS / 1000.0;
        }
    }
    return NULL;
}

mobid_err http_reaper_start(mobid_http_server *s)
{
    atomic_store(&s->reaper_stop, false);
    if (pthread_create(&s->reaper, NULL, reaper_main, s) != 0)
        return MOBID_ERR_NOMEM;
    s->reaper_started = true;
    return MOBID_OK;
}

void http_reaper_stop(mobid_http_server *s)
{
    if (!s->reaper_started)
        return;
    atomic_store(&s->reaper_stop, true);
    pthread_join(s->reaper, NULL);
    s->reaper_started = false;
}
