/* src/http: asynchronous GETs on a libcurl multi handle (see fetch.h). */
#include "http/fetch.h"
#include "common/svc_error.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Each transfer holds a socket and a parked request: the cap keeps a burst of waiting
 * pages from using up the process's open files (the caller answers 503 beyond). */
#define DEFAULT_MAX_TRANSFERS 256
#define DEFAULT_MAX_RESPONSE ((size_t)1024 * 1024)

typedef struct transfer {
    struct transfer *next;
    struct transfer *prev;   /* in the active list (fetcher thread only) */
    mobid_http_fetcher *f;
    CURL *easy;
    struct curl_slist *headers;
    mobid_http_result res;
    bool too_big;
    mobid_http_fetch_done done;
    void *ctx;
    const atomic_bool *cancel;
} transfer;

struct mobid_http_fetcher {
    CURLM *multi;
    pthread_t thread;
    bool started;
    pthread_mutex_t lock;
    transfer *incoming;   /* started, not yet added to the multi handle */
    transfer *active;     /* in the multi handle (fetcher thread only) */
    unsigned running;     /* incoming + in the multi handle */
    unsigned max;
    size_t max_response;
    bool stop;
};

static size_t on_data(char *ptr, size_t size, size_t n, void *arg)
{
    transfer *t = arg;
    size_t len = size * n;
    if (t->res.body.len + len > t->f->max_response) {
        t->too_big = true;
        return 0;
    }
    return mobid_buf_append(&t->res.body, ptr, len) == MOBID_OK ? len : 0;
}

static int on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    transfer *t = arg;
    return t->cancel && atomic_load(t->cancel) ? 1 : 0;
}

static void finish(mobid_http_fetcher *f, transfer *t, CURLcode rc)
{
    mobid_err err = rc == CURLE_OK ? MOBID_OK : t->too_big ? MOBID_ERR_TOO_BIG : MOBID_ERR_FETCH_FAILED;
    if (!err) {
        curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &t->res.status);
        if (mobid_buf_terminate(&t->res.body))
            err = MOBID_ERR_NOMEM;
    }
    t->done(t->ctx, err, &t->res);
    mobid_http_result_free(&t->res);
    if (t->prev || f->active == t) { /* in the multi handle */
        if (t->prev)
            t->prev->next = t->next;
        else
            f->active = t->next;
        if (t->next)
            t->next->prev = t->prev;
        curl_multi_remove_handle(f->multi, t->easy);
    }
    curl_easy_cleanup(t->easy);
    curl_slist_free_all(t->headers);
    mobid_free(t);
    pthread_mutex_lock(&f->lock);
    f->running--;
    pthread_mutex_unlock(&f->lock);
}

static void take_incoming(mobid_http_fetcher *f)
{
    pthread_mutex_lock(&f->lock);
    transfer *list = f->incoming;
    f->incoming = NULL;
    pthread_mutex_unlock(&f->lock);
    while (list) {
        transfer *t = list;
        list = t->next;
        t->next = t->prev = NULL;
        if (curl_multi_add_handle(f->multi, t->easy) != CURLM_OK) {
            finish(f, t, CURLE_FAILED_INIT);
            continue;
        }
        t->next = f->active;
        if (f->active)
            f->active->prev = t;
        f->active = t;
    }
}

static void *fetch_main(void *arg)
{
    mobid_http_fetcher *f = arg;
    for (;;) {
        pthread_mutex_lock(&f->lock);
        bool stop = f->stop;
        pthread_mutex_unlock(&f->lock);
        take_incoming(f);
        if (stop)
            break;
        int active = 0, left = 0;
        curl_multi_perform(f->multi, &active);
        CURLMsg *m;
        while ((m = curl_multi_info_read(f->multi, &left)) != NULL) {
            if (m->msg != CURLMSG_DONE)
                continue;
            transfer *t = NULL;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&t);
            finish(f, t, m->data.result);
        }
        /* New transfers and stop wake the poll (curl_multi_wakeup), so the second is only a
         * ceiling, not the latency of a new fetch. */
        curl_multi_poll(f->multi, NULL, 0, 1000, NULL);
    }
    /* Stopping: whatever still runs ends as failed, so every done is called. */
    while (f->active)
        finish(f, f->active, CURLE_ABORTED_BY_CALLBACK);
    return NULL;
}

mobid_err mobid_http_fetcher_new(unsigned max_transfers, size_t max_response,
                                 mobid_http_fetcher **out)
{
    mobid_http_client *probe = NULL; /* makes sure curl_global_init ran */
    mobid_err err = mobid_http_client_new(NULL, &probe);
    mobid_http_client_free(probe);
    if (err)
        return err;
    mobid_http_fetcher *f = mobid_calloc(1, sizeof *f);
    if (!f)
        return MOBID_ERR_NOMEM;
    f->max = max_transfers ? max_transfers : DEFAULT_MAX_TRANSFERS;
    f->max_response = max_response ? max_response : DEFAULT_MAX_RESPONSE;
    pthread_mutex_init(&f->lock, NULL);
    if (!(f->multi = curl_multi_init()) || pthread_create(&f->thread, NULL, fetch_main, f) != 0) {
        mobid_http_fetcher_free(f);
        return MOBID_ERR_NOMEM;
    }
    f->started = true;
    *out = f;
    return MOBID_OK;
}

void mobid_http_fetcher_stop(mobid_http_fetcher *f)
{
    if (!f || !f->started)
        return;
    pthread_mutex_lock(&f->lock);
    f->stop = true;
    pthread_mutex_unlock(&f->lock);
    curl_multi_wakeup(f->multi);
    pthread_join(f->thread, NULL);
    f->started = false;
}

void mobid_http_fetcher_free(mobid_http_fetcher *f)
{
    if (!f)
        return;
    mobid_http_fetcher_stop(f);
    if (f->multi)
        curl_multi_cleanup(f->multi);
    pthread_mutex_destroy(&f->lock);
    mobid_free(f);
}

static mobid_err setup(transfer *t, const char *url, const char *const *headers, long timeout_ms)
{
    if (!(t->easy = curl_easy_init()))
        return MOBID_ERR_NOMEM;
    for (size_t i = 0; headers && headers[i]; i++) {
        if (strpbrk(headers[i], "\r\n"))
            return MOBID_ERR_INVALID_ARG;
        struct curl_slist *l = curl_slist_append(t->headers, headers[i]);
        if (!l)
            return MOBID_ERR_NOMEM;
        t->headers = l;
    }
    curl_easy_setopt(t->easy, CURLOPT_URL, url);
    curl_easy_setopt(t->easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(t->easy, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 10000L);
    curl_easy_setopt(t->easy, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(t->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(t->easy, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(t->easy, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(t->easy, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(t->easy, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(t->easy, CURLOPT_XFERINFODATA, t);
    curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t);
    return MOBID_OK;
}

mobid_err mobid_http_fetch_get(mobid_http_fetcher *f, const char *url, const char *const *headers,
                               long timeout_ms, mobid_http_fetch_done done, void *ctx,
                               const atomic_bool *cancel)
{
    if (!f || !url || !done)
        return MOBID_ERR_INVALID_ARG;
    if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
        return MOBID_ERR_UNSUPPORTED;
    transfer *t = mobid_calloc(1, sizeof *t);
    if (!t)
        return MOBID_ERR_NOMEM;
    t->f = f;
    t->done = done;
    t->ctx = ctx;
    t->cancel = cancel;
    mobid_buf_init(&t->res.body, f->max_response + 1);
    mobid_err err = setup(t, url, headers, timeout_ms);
    pthread_mutex_lock(&f->lock);
    if (!err && (f->stop || !f->started))
        err = MOBID_ERR_FETCH_FAILED;
    else if (!err && f->running >= f->max)
        err = MOBID_SVC_ERR_BUSY;
    if (!err) {
        t->next = f->incoming;
        f->incoming = t;
        f->running++;
    }
    pthread_mutex_unlock(&f->lock);
    if (err) {
        curl_easy_cleanup(t->easy);
        curl_slist_free_all(t->headers);
        mobid_buf_free(&t->res.body);
        mobid_free(t);
        return err;
    }
    curl_multi_wakeup(f->multi);
    return MOBID_OK;
}
