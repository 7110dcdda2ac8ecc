/*
 * mobid HTTP client (libcurl): GET and POST with headers, form or JSON bodies,
 * timeouts and a maximum response size; http and https only (redirects too).
 *
 * A mobid_http_client keeps its connections alive between requests (benchmarks, the
 * wallet talking to one issuer). It belongs to one thread at a time; the one-shot
 * helpers make and free a client per call. An HTTP error status is not an error here:
 * the call returns MOBID_OK with status 4xx/5xx and the body for the caller to read.
 */
#ifndef MOBID_HTTP_CLIENT_H
#define MOBID_HTTP_CLIENT_H

#include <stdbool.h>
#include <jansson.h>
#include <mobid/base.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mobid_http_client mobid_http_client;

typedef struct mobid_http_client_opts {
    long timeout_ms;         /* whole request; 0 = 10000 */
    long connect_timeout_ms; /* 0 = 5000 */
    size_t max_response;     /* body bytes; 0 = 16 MiB; beyond: MOBID_ERR_TOO_BIG */
    bool follow_redirects;   /* at most 5, http/https only */
    const char *ca_file;     /* PEM bundle of the CAs trusted for https (replacing the
                                system's); NULL = the system's. Copied. */
} mobid_http_client_opts;

typedef struct mobid_http_result {
    long status;        /* e.g. 200 */
    char *content_type; /* heap; NULL when the response had none */
    char *location;     /* heap; Location header of a redirect, or NULL */
    mobid_buf body;     /* NUL-terminated (the NUL is not counted in len) */
    bool not_sent;      /* FETCH_FAILED before any byte of the request left (no name,
                           no connection, no TLS session) */
} mobid_http_result;

/* opts may be NULL (defaults); copied. Returns MOBID_ERR_NOMEM or MOBID_OK. */
MOBID_MUST_CHECK mobid_err mobid_http_client_new(const mobid_http_client_opts *opts,
                                                 mobid_http_client **out);
void mobid_http_client_free(mobid_http_client *c);

/* One request. method: "GET", "POST", ... url: http:// or https:// (else
 * MOBID_ERR_UNSUPPORTED). headers: NULL or a NULL-terminated list of "Name: value".
 * content_type: for a body (NULL = none sent). The result is zeroed first and owned by
 * the caller (mobid_http_result_free, also after an error).
 * Returns MOBID_OK (any HTTP status), MOBID_ERR_TOO_BIG, MOBID_ERR_FETCH_FAILED
 * (connect, timeout, protocol), MOBID_ERR_INVALID_ARG, MOBID_ERR_NOMEM. */
MOBID_MUST_CHECK mobid_err mobid_http_client_request(mobid_http_client *c, const char *method,
                                                     const char *url,
                                                     const char *const *headers,
                                                     const char *content_type, mobid_view body,
                                                     mobid_http_result *out);

/* GET url. */
MOBID_MUST_CHECK mobid_err mobid_http_client_get(mobid_http_client *c, const char *url,
                                                 const char *const *headers,
                                                 mobid_http_result *out);
/* POST application/x-www-form-urlencoded; fields: NULL-terminated name, value, ... */
MOBID_MUST_CHECK mobid_err mobid_http_client_post_form(mobid_http_client *c, const char *url,
                                                       const char *const *headers,
                                                       const char *const *fields,
                                                       mobid_http_result *out);
/* POST application/json (body serialized compactly; j is not consumed). */
MOBID_MUST_CHECK mobid_err mobid_http_client_post_json(mobid_http_client *c, const char *url,
                                                       const char *const *headers,
                                                       const json_t *j, mobid_http_result *out);

/* One-shot forms of the above with default options. */
MOBID_MUST_CHECK mobid_err mobid_http_get(const char *url, const char *const *headers,
                                          mobid_http_result *out);
MOBID_MUST_CHECK mobid_err mobid_http_post_form(const char *url, const char *const *headers,
                                                const char *const *fields,
                                                mobid_http_result *out);
MOBID_MUST_CHECK mobid_err mobid_http_post_json(const char *url, const char *const *headers,
                                                const json_t *j, mobid_http_result *out);

/* Many requests in flight on one thread (a load tool's wallets): curl's multi interface
 * on an epoll set. Each client carries at most one request at a time and keeps its own
 * options; connections are shared among the multi's clients. A multi belongs to one
 * thread. Free its clients before it. */
typedef struct mobid_http_multi mobid_http_multi;

/* Returns MOBID_ERR_NOMEM, MOBID_ERR_FETCH_FAILED (curl would not start) or MOBID_OK. */
MOBID_MUST_CHECK mobid_err mobid_http_multi_new(mobid_http_multi **out);
void mobid_http_multi_free(mobid_http_multi *m);

/* Start a request as mobid_http_client_request would, without waiting: c, url, headers
 * and body must stay valid until mobid_http_multi_next hands back ud; out is then filled
 * as by mobid_http_client_request. On an error nothing was started (out is zeroed and
 * still to be freed). */
MOBID_MUST_CHECK mobid_err mobid_http_multi_start(mobid_http_multi *m, mobid_http_client *c,
                                                  const char *method, const char *url,
                                                  const char *const *headers,
                                                  const char *content_type, mobid_view body,
                                                  mobid_http_result *out, void *ud);

/* Move the requests on; waits up to wait_ms for the network when none has finished.
 * Returns true with *ud (the started request's) and *err (what mobid_http_client_request
 * would have returned) for one finished request, false when none finished meanwhile. */
bool mobid_http_multi_next(mobid_http_multi *m, int wait_ms, void **ud, mobid_err *err);

/* Parse the result body as JSON (any type); caller owns *out. MOBID_ERR_MALFORMED. */
MOBID_MUST_CHECK mobid_err mobid_http_result_json(const mobid_http_result *r, json_t **out);

void mobid_http_result_free(mobid_http_result *r);

#ifdef __cplusplus
}
#endif
#endif
