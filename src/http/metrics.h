/*
 * Prometheus metrics (text exposition format 0.0.4) for one server.
 *
 * The server records every request in mobid_http_requests_total and the histogram
 * mobid_http_request_duration_seconds, labelled by route pattern (not the raw path, so
 * the series stay bounded), method and status class ("2xx"...). Services add their own
 * counters and gauges, e.g.
 *     mobid_metrics_declare(m, "mobid_verifications_total", "Verifications by result",
 *                           MOBID_METRIC_COUNTER);
 *     const char *labels[] = { "result", "verified", NULL };
 *     mobid_metrics_add(m, "mobid_verifications_total", labels, 1);
 *
 * Thread safety: every function may be called from any thread (one mutex inside).
 * Names must match [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*; label
 * values are escaped on output. A family holds at most 1000 series (MOBID_ERR_LIMIT).
 */
#ifndef MOBID_HTTP_METRICS_H
#define MOBID_HTTP_METRICS_H

#include <mobid/base.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mobid_metrics mobid_metrics;

typedef enum mobid_metric_type {
    MOBID_METRIC_COUNTER = 1,
    MOBID_METRIC_GAUGE = 2,
} mobid_metric_type;

/* A new, empty registry (free with mobid_metrics_free). */
MOBID_MUST_CHECK mobid_err mobid_metrics_new(mobid_metrics **out);
void mobid_metrics_free(mobid_metrics *m);

/* Declare a family. name and help are copied. Declaring an existing name again with
 * the same type is a no-op; with another type MOBID_ERR_INVALID_ARG. */
mobid_err mobid_metrics_declare(mobid_metrics *m, const char *name, const char *help,
                                mobid_metric_type type);

/* labels: NULL or a NULL-terminated list of name, value, name, value, ... (copied).
 * add: counter += v (v >= 0) or gauge += v; set: gauge = v.
 * Returns MOBID_ERR_NOT_FOUND for an undeclared family, MOBID_ERR_INVALID_ARG for a bad
 * label name, a negative counter step or set on a counter, MOBID_ERR_LIMIT, NOMEM. */
mobid_err mobid_metrics_add(mobid_metrics *m, const char *name, const char *const *labels,
                            double v);
mobid_err mobid_metrics_set(mobid_metrics *m, const char *name, const char *const *labels,
                            double v);

/* Record one HTTP request (the server calls this when the response is ready, so the
 * time covers reading the body and the handler; route NULL = "unmatched"). */
void mobid_metrics_observe_request(mobid_metrics *m, const char *route, const char *method,
                                   unsigned status, double seconds);

/* Append the whole registry in Prometheus text format to out. */
mobid_err mobid_metrics_render(mobid_metrics *m, mobid_buf *out);

#ifdef __cplusplus
}
#endif
#endif
