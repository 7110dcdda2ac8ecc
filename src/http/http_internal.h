/* Internals shared by the files of src/http (not for services). */
#ifndef MOBID_HTTP_INTERNAL_H
#define MOBID_HTTP_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <microhttpd.h>
#include "http/router.h"
#include "http/server.h"

/* Whole-request arena cap: the body has its own limit; this bounds handler scratch. */
#define HTTP_ARENA_MAX ((size_t)64 * 1024 * 1024)

typedef struct arena_chunk {
    struct arena_chunk *next;
    size_t used;
    size_t cap;
    max_align_t data[];
} arena_chunk;

typedef struct http_arena {
    arena_chunk *head;
    size_t total;
} http_arena;

typedef struct resp_header {
    struct resp_header *next;
    const char *name;
    const char *value;
} resp_header;

typedef struct free_hook {
    struct free_hook *next;
    void (*fn)(void *ctx);
    void *ctx;
} free_hook;

struct mobid_http_resp {
    mobid_http_req *req;
    unsigned status;       /* 0 = not set */
    const char *content_type;
    mobid_buf body;
    bool has_body;
    resp_header *headers;  /* in arena */
};

/* Where a request is between the event threads, the workers and the parking lot. */
typedef enum req_state {
    REQ_RECEIVING = 0, /* head read, body arriving (event thread) */
    REQ_QUEUED,        /* suspended, waiting for or running on a worker */
    REQ_PARKED,        /* suspended, in the parking lot: no thread */
    REQ_READY,         /* response built, connection resumed to send it */
    REQ_GONE,          /* the client went away while parked: close */
} req_state;

/* One TCP connection (MHD socket context): the head+body deadline. */
typedef struct http_conn {
    struct http_conn *prev, *next;
    int fd;
    double deadline; /* while receiving: when the whole request must be in */
    bool busy;       /* a request is being handled or answered: no deadline */
    bool cut;        /* shut down by the deadline */
} http_conn;

struct mobid_http_req {
    mobid_http_server *srv;
    struct MHD_Connection *conn;
    http_conn *hc;
    http_arena arena;
    const char *method;
    const char *path;
    const http_route *route;
    http_params params;
    mobid_buf body;
    bool too_big;
    size_t discarded;
    double start;
    bool form_parsed;
    mobid_err form_err;
    mobid_http_form form;
    char remote[64];
    const char *request_id; /* log.c: in the arena, set on first use */
    mobid_http_resp resp;
    free_hook *hooks;         /* run when the request is freed (arena) */

    /* dispatch: the next function a worker runs for this request */
    req_state state;
    mobid_http_resume resume;  /* NULL: route and run the handler */
    void *resume_ctx;
    mobid_http_wake why;
    bool park_asked;           /* the handler called mobid_http_req_park */
    double park_deadline;
    struct mobid_http_req *job_next;

    /* parking lot (guarded by the lot's lock) */
    const char *watch_key;     /* arena copy; NULL = not watching */
    unsigned watch_bucket;
    uint64_t watch_seq;
    uint32_t park_gen;
    int fd;
    struct mobid_http_req *lot_prev, *lot_next;     /* every parked request */
    struct mobid_http_req *bucket_next;             /* parked with the same bucket */
};

#define LOT_BUCKETS 4096
#define HTTP_PARKED_METRIC "mobid_http_parked"
#define HTTP_REFUSED_METRIC "mobid_http_refused_total"

typedef struct http_lot {
    pthread_mutex_t lock;
    mobid_http_req *all;                 /* parked requests */
    size_t n;
    mobid_http_req *buckets[LOT_BUCKETS];
    uint64_t seq[LOT_BUCKETS];           /* wakes per bucket (lost-wake guard) */
    mobid_http_req **by_fd;              /* parked request per socket */
    size_t by_fd_len;
    uint32_t gen;
    int epfd;                            /* parked sockets, EPOLLRDHUP */
} http_lot;

typedef struct http_queue {
    pthread_mutex_t lock;
    pthread_cond_t ready;
    mobid_http_req *head, *tail;
    size_t n;
    bool stop;
    /* workers.c: who will take a job without a signal (see http_queue_push) */
    atomic_uint spare;  /* awake workers between jobs: each looks at the queue next */
    unsigned sleepers;  /* workers waiting on ready */
    unsigned wakes;     /* signals sent that no worker has woken from yet */
} http_queue;

/* pages.c: who answers a GET under a page prefix that matches no route. */
#define HTTP_MAX_FALLBACKS 4
typedef struct http_page_fallback {
    char prefix[64];
    mobid_http_handler handler; /* NULL: the JSON 404 */
    void *ctx;
} http_page_fallback;

struct mobid_http_server {
    char *name;
    char host[64];
    uint16_t port;
    bool ipv6;
    size_t max_body;
    unsigned max_connections;
    unsigned per_client;
    unsigned timeout_s;
    unsigned request_timeout_s;
    unsigned io_threads;
    unsigned nworkers;
    unsigned max_queue;
    bool access_log;
    http_router router;
    mobid_metrics *metrics;
    struct MHD_Daemon *daemon;
    atomic_bool stopping;
    atomic_int inflight; /* requests received and not yet completed */
    char url[96];
    mobid_err (*health)(void *ctx);
    void *health_ctx;

    free_hook *on_stop;
    free_hook *owned;          /* freed with the server (rate limiters) */
    bool on_stop_ran;
    http_queue queue;
    pthread_t *workers;
    unsigned nstarted;
    http_lot lot;
    pthread_t reaper;
    bool reaper_started;
    atomic_bool reaper_stop;
    pthread_mutex_t conns_lock;
    http_conn *conns;

    http_page_fallback fallback[HTTP_MAX_FALLBACKS]; /* pages.c */
    size_t nfallback;
};

/* request.c */
mobid_http_req *http_req_new(mobid_http_server *srv, struct MHD_Connection *conn,
                             const char *method, const char *path);
void http_req_free(mobid_http_req *r);
double http_now(void);

/* server.c: a worker runs the request's next step */
void http_run_job(mobid_http_req *r);

/* workers.c: a bounded queue of requests for a fixed pool of threads */
mobid_err http_workers_start(mobid_http_server *s);
/* Queue r for a worker. admit: a new request, refused (false) when the queue is full;
 * otherwise (a woken request) always queued. */
bool http_queue_push(mobid_http_server *s, mobid_http_req *r, bool admit);
/* Let the workers finish what is queued and join them. */
void http_workers_stop(mobid_http_server *s);

/* park.c: the parking lot and the reaper thread (deadlines, disconnects) */
mobid_err http_lot_init(mobid_http_server *s);
void http_lot_free(mobid_http_server *s);
/* Park r (or queue it at once when a wake came since it started watching). */
void http_lot_park(mobid_http_server *s, mobid_http_req *r);
/* Wake every parked request with why (stop, lost notifications). */
void http_lot_wake_all(mobid_http_server *s, mobid_http_wake why);
mobid_err http_reaper_start(mobid_http_server *s);
void http_reaper_stop(mobid_http_server *s);
unsigned http_lot_bucket(const char *key);

/* pages.c: answer an unmatched GET/HEAD through the fallback of the longest matching
 * prefix; false when none applies (the caller answers the JSON 404). */
bool http_page_fallback_run(mobid_http_req *r);

/* log.c: make r the request this thread handles (NULL: none), so the client sends
 * its id on; add X-Request-Id to the response; write the access line. */
void http_log_bind(mobid_http_req *r);
bool http_log_header(mobid_http_req *r, struct MHD_Response *m);
void http_log_access(mobid_http_req *r, double secs);
/* Write the log lines still waiting (the reaper's tick, stop, exit). */
void http_log_flush(void);

#endif
