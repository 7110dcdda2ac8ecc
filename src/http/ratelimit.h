/*
 * Token-bucket rate limits per key (a relying party, a source address): each key
 * earns `rate` tokens per second up to `burst`; a request takes one or is refused
 * with the seconds until the next token (the Retry-After of a 429).
 *
 * The table holds at most max_keys buckets (memory is bounded whatever the keys);
 * when it is full, the bucket that has been idle longest among a few candidates is
 * reused, which can only be generous to an old key, never strict to a new one.
 *
 * Thread safety: every function may be called from any thread (one mutex inside).
 */
#ifndef MOBID_HTTP_RATELIMIT_H
#define MOBID_HTTP_RATELIMIT_H

#include <stdbool.h>
#include <mobid/base.h>
#include "http/server.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mobid_ratelimit mobid_ratelimit;

/* rate > 0 tokens per second, burst >= 1, max_keys 0 = 4096. Free with
 * mobid_ratelimit_free. MOBID_ERR_INVALID_ARG, NOMEM. */
MOBID_MUST_CHECK mobid_err mobid_ratelimit_new(double rate, double burst, size_t max_keys,
                                               mobid_ratelimit **out);
void mobid_ratelimit_free(mobid_ratelimit *rl);

/* A limiter owned by server s, freed with it (for a route's handler ctx that has no
 * life cycle of its own). Same arguments and errors as mobid_ratelimit_new. */
MOBID_MUST_CHECK mobid_err mobid_http_server_ratelimit(mobid_http_server *s, double rate,
                                                       double burst, size_t max_keys,
                                                       mobid_ratelimit **out);

/* Take one token for key (copied if new) at time now (seconds, any monotonic clock).
 * True when allowed; false when not, with *retry_after_s (may be NULL) the whole
 * seconds (at least 1) until a token is there. A NULL limiter allows everything. */
bool mobid_ratelimit_take(mobid_ratelimit *rl, const char *key, double now,
                          unsigned *retry_after_s);

/* For a handler: take a token for key now; when refused, answer 429 with Retry-After
 * and {"error":"RATE_LIMITED"} and return false (the handler then returns MOBID_OK). */
bool mobid_http_rate_check(mobid_ratelimit *rl, const char *key, mobid_http_resp *resp);

#ifdef __cplusplus
}
#endif
#endif
