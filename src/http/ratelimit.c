/* src/http: token buckets in a fixed open-addressing table (see ratelimit.h). */
#include "http/ratelimit.h"
#include "http/http_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define PROBES 8          /* slots looked at per key: bounded work per request */
#define KEY_MAX 64        /* longer keys are cut (an API key id, an address) */

typedef struct bucket {
    char key[KEY_MAX + 1];
    double tokens;
    double at; /* when tokens was computed; 0 = free slot */
} bucket;

struct mobid_ratelimit {
    pthread_mutex_t lock;
    double rate, burst;
    size_t n;
    bucket *slots;
};

mobid_err mobid_ratelimit_new(double rate, double burst, size_t max_keys, mobid_ratelimit **out)
{
    *out = NULL;
    if (!(rate > 0) || !(burst >= 1))
        return MOBID_ERR_INVALID_ARG;
    mobid_ratelimit *rl = mobid_calloc(1, sizeof *rl);
    if (!rl)
        return MOBID_ERR_NOMEM;
    rl->rate = rate;
    rl->burst = burst;
    rl->n = max_keys ? max_keys : 4096;
    rl->slots = mobid_calloc(rl->n, sizeof *rl->slots);
    if (!rl->slots) {
        mobid_free(rl);
        return MOBID_ERR_NOMEM;
    }
    pthread_mutex_init(&rl->lock, NULL);
    *out = rl;
    return MOBID_OK;
}

void mobid_ratelimit_free(mobid_ratelimit *rl)
{
    if (!rl)
        return;
    pthread_mutex_destroy(&rl->lock);
    mobid_free(rl->slots);
    mobid_free(rl);
}

static void free_owned(void *rl)
{
    mobid_ratelimit_free(rl);
}

mobid_err mobid_http_server_ratelimit(mobid_http_server *s, double rate, double burst,
                                      size_t max_keys, mobid_ratelimit **out)
{
    mobid_err err = mobid_ratelimit_new(rate, burst, max_keys, out);
    free_hook *h = err ? NULL : mobid_calloc(1, sizeof *h);
    if (!err && !h) {
        mobid_ratelimit_free(*out);
        *out = NULL;
        err = MOBID_ERR_NOMEM;
    }
    if (!err) {
        h->fn = free_owned;
        h->ctx = *out;
        h->next = s->owned;
        s->owned = h;
    }
    return err;
}

static size_t hash(const char *key)
{
    size_t h = 1469598103934665603ull; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    return h;
}

/* The key's bucket: its own, a free slot, or the longest idle of the probed slots.
 * A fixed table: a flood of new addresses evicts idle buckets instead of growing
 * memory, and an evicted key only starts again with a full burst. */
static bucket *find(mobid_ratelimit *rl, const char *key)
{
    size_t h = hash(key);
    bucket *oldest = NULL;
    for (size_t i = 0; i < PROBES && i < rl->n; i++) {
        bucket *b = &rl->slots[(h + i) % rl->n];
        if (b->at > 0 && !strcmp(b->key, key))
            return b;
        if (!oldest || b->at < oldest->at)
            oldest = b;
    }
    snprintf(oldest->key, sizeof oldest->key, "%s", key);
    oldest->tokens = rl->burst;
    oldest->at = 0;
    return oldest;
}

bool mobid_ratelimit_take(mobid_ratelimit *rl, const char *key, double now, unsigned *retry_after_s)
{
    if (!rl)
        return true;
    char cut[KEY_MAX + 1];
    snprintf(cut, sizeof cut, "%s", key ? key : "");
    pthread_mutex_lock(&rl->lock);
    bucket *b = find(rl, cut);
    if (b->at > 0) {
        b->tokens += (now - b->at) * rl->rate;
        if (b->tokens > rl->burst)
            b->tokens = rl->burst;
    }
    b->at = now > 0 ? now : 1e-9;
    bool ok = b->tokens >= 1;
    if (ok)
        b->tokens -= 1;
    double wait = ok ? 0 : (1 - b->tokens) / rl->rate;
    pthread_mutex_unlock(&rl->lock);
    if (retry_after_s) {
        unsigned whole = (unsigned)wait;
        /* whole seconds, rounded up: a client that waits as told finds a token */
        *retry_after_s = ok ? 0 : whole < 1 ? 1 : whole + (wait > whole);
    }
    return ok;
}

bool mobid_http_rate_check(mobid_ratelimit *rl, const char *key, mobid_http_resp *resp)
{
    struct timespec ts;
    unsigned retry = 0;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    if (mobid_ratelimit_take(rl, key, (double)ts.tv_sec + (double)ts.tv_nsec / 1e9, &retry))
        return true;
    (void)mobid_http_resp_retry_later(resp, 429, retry, "RATE_LIMITED",
                                      "too many requests; retry after the given seconds");
    return false;
}
