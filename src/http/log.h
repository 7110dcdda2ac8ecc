/*
 * mobid logs: one JSON object per line on stderr, so a collector (journald, a file
 * shipper) can parse every line. Two kinds:
 *
 *   access   {"ts","level","service","request_id","method","path","status","ms","remote"}
 *            one per request of a server created with access_log (the services);
 *   message  {"ts","level","service","msg"} from mobid_log().
 *
 * "path" is the matched route pattern ("/offers/{id}"), never the request's own
 * path, so the capability ids some paths carry (offers, verification sessions) stay
 * out of the logs; a path that matches no route is logged as it came, without its
 * query. Bodies, headers, cookies and query strings are never logged.
 *
 * The request id is the request's X-Request-Id when it is a plausible id (1-64 of
 * A-Z a-z 0-9 . _ -), else a fresh one (32 hex digits, unique but not secret: a random
 * per-thread prefix and a scrambled counter); it is echoed in the response's
 * X-Request-Id, and the HTTP client (client.h) sends it on with every request a
 * handler makes, so one id follows a request across services.
 *
 * Level: MOBID_LOG_LEVEL=debug|info|warn|error|off (default info), read once.
 * Access lines are info (5xx: error). Thread-safe: lines are never cut into each other.
 * Info access lines are gathered and written together, at most REAP_MS (200 ms) later,
 * and at a server's stop and at exit; warn and error lines and messages are written at
 * once, after the lines waiting before them. A SIGKILL loses the info access lines of
 * the last 200 ms (at most 4 KB).
 */
#ifndef MOBID_HTTP_LOG_H
#define MOBID_HTTP_LOG_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mobid_log_level {
    MOBID_LOG_DEBUG = 0,
    MOBID_LOG_INFO = 1,
    MOBID_LOG_WARN = 2,
    MOBID_LOG_ERROR = 3,
    MOBID_LOG_OFF = 4,
} mobid_log_level;

/* The level in force (MOBID_LOG_LEVEL, or mobid_log_set_level). */
mobid_log_level mobid_log_get_level(void);
/* Override the level (a --log-level flag). */
void mobid_log_set_level(mobid_log_level level);
/* "debug" ... "off" to a level; false for another word. */
bool mobid_log_parse_level(const char *text, mobid_log_level *out);

/* One message line at level for service (e.g. "issuer"), printf-style. */
void mobid_log(mobid_log_level level, const char *service, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The request id of the request this thread is handling, or NULL outside a handler.
 * Valid until the handler returns. */
const char *mobid_log_request_id(void);

#ifdef __cplusplus
}
#endif
#endif
