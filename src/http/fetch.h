/*
 * Asynchronous HTTP GETs (libcurl multi on one thread of its own), for a handler that
 * parks its request while a slow upstream call runs: the portal's long-poll of the
 * verifier holds a socket here, not a thread.
 *
 *     mobid_http_fetch_get(f, url, headers, timeout_ms, done, ctx, &cancel);
 *     // later, on the fetcher's thread: done(ctx, err, &result)
 *
 * At most max_transfers run at once; beyond that a start is refused with
 * MOBID_SVC_ERR_BUSY (answer 503). done runs exactly once per started transfer, also when
 * the transfer is cancelled (*cancel set true: it ends within about a second) or the
 * fetcher is stopped (MOBID_ERR_FETCH_FAILED).
 *
 * Thread safety: start and stop from any thread; done runs on the fetcher's thread
 * and must not block.
 */
#ifndef MOBID_HTTP_FETCH_H
#define MOBID_HTTP_FETCH_H

#include <stdatomic.h>
#include "http/client.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mobid_http_fetcher mobid_http_fetcher;

/* err: MOBID_OK (any HTTP status; the result holds it and the body) or
 * MOBID_ERR_FETCH_FAILED / TOO_BIG. res is owned by the fetcher and freed after done
 * returns; done may move its contents out (then it zeroes *res). */
typedef void (*mobid_http_fetch_done)(void *ctx, mobid_err err, mobid_http_result *res);

/* max_transfers 0 = 256; max_response 0 = 1 MiB. MOBID_ERR_NOMEM, FETCH_FAILED. */
MOBID_MUST_CHECK mobid_err mobid_http_fetcher_new(unsigned max_transfers, size_t max_response,
                                                  mobid_http_fetcher **out);
/* Stop: running transfers end with FETCH_FAILED (done is called), the thread is
 * joined. Idempotent; later starts are refused. */
void mobid_http_fetcher_stop(mobid_http_fetcher *f);
/* Stop if needed and free. Safe on NULL. */
void mobid_http_fetcher_free(mobid_http_fetcher *f);

/* Start GET url (http or https) with headers (NULL-terminated "Name: value" list;
 * copied). cancel (may be NULL) must stay valid until done runs. Returns MOBID_OK
 * (done will run), MOBID_SVC_ERR_BUSY (too many running), UNSUPPORTED (scheme),
 * INVALID_ARG, NOMEM (done will not run on an error). */
MOBID_MUST_CHECK mobid_err mobid_http_fetch_get(mobid_http_fetcher *f, const char *url,
                                                const char *const *headers, long timeout_ms,
                                                mobid_http_fetch_done done, void *ctx,
                                                const atomic_bool *cancel);

#ifdef __cplusplus
}
#endif
#endif
