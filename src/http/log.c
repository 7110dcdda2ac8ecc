/* src/http: JSON log lines and the request id (see log.h). */
#include "http/http_internal.h"
#include "http/log.h"

#include <mobid/crypto.h>

#include <pthread.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* A client's X-Request-Id is echoed into every log line: a longer or odd one is replaced
 * by our own, so a client cannot inflate or forge log lines. */
#define REQUEST_ID_MAX 64

static const char *const level_names[] = { "debug", "info", "warn", "error", "off" };

static pthread_once_t level_once = PTHREAD_ONCE_INIT;
static _Atomic int current_level = MOBID_LOG_INFO;
static _Thread_local const char *thread_request_id;

static void read_env_level(void)
{
    mobid_log_level l;
    if (mobid_log_parse_level(getenv("MOBID_LOG_LEVEL"), &l))
        atomic_store(&current_level, (int)l);
}

bool mobid_log_parse_level(const char *text, mobid_log_level *out)
{
    for (int i = 0; text && i <= MOBID_LOG_OFF; i++)
        if (!strcasecmp(text, level_names[i])) {
            *out = (mobid_log_level)i;
            return true;
        }
    return false;
}

mobid_log_level mobid_log_get_level(void)
{
    pthread_once(&level_once, read_env_level);
    return (mobid_log_level)atomic_load(&current_level);
}

void mobid_log_set_level(mobid_log_level level)
{
    pthread_once(&level_once, read_env_level);
    atomic_store(&current_level, (int)level);
}

/* Lines wait in one buffer and leave in one write(2): a write per access line was
 * half the verifier's write calls and a share of its event threads' time. The buffer
 * is PIPE_BUF long, since a write of at most that much to a pipe is never cut into by
 * another process's lines. It leaves when the next line does not fit, when a line of
 * level warn or above is written (those never wait), at the server's tick (REAP_MS in
 * park.c), at stop and at exit: a clean stop loses nothing, a SIGKILL the info lines
 * of the last tick. */
#define PENDING_MAX 4096

static pthread_mutex_t pending_lock = PTHREAD_MUTEX_INITIALIZER;
static char pending[PENDING_MAX];
static size_t pending_len;
static pthread_once_t flush_at_exit_once = PTHREAD_ONCE_INIT;

static void write_all(const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(STDERR_FILENO, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

/* pending_lock held */
static void flush_pending(void)
{
    write_all(pending, pending_len);
    pending_len = 0;
}

void http_log_flush(void)
{
    pthread_mutex_lock(&pending_lock);
    if (pending_len)
        flush_pending();
    pthread_mutex_unlock(&pending_lock);
}

static void register_flush_at_exit(void)
{
    (void)atexit(http_log_flush);
}

/* One whole line (ending in a newline); now: out at once with what waits before it. */
static void put_line(const char *line, size_t n, bool now)
{
    pthread_once(&flush_at_exit_once, register_flush_at_exit);
    pthread_mutex_lock(&pending_lock);
    if (pending_len + n > sizeof pending)
        flush_pending();
    if (n > sizeof pending) {
        write_all(line, n);
    } else {
        memcpy(pending + pending_len, line, n);
        pending_len += n;
        if (now)
            flush_pending();
    }
    pthread_mutex_unlock(&pending_lock);
}

/* A message line: after the access lines waiting before it, and written now. */
static void emit(json_t *j)
{
    size_t flags = JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6);
    char *text = j ? json_dumps(j, flags) : NULL;
    if (text) {
        size_t n = strlen(text);
        text[n] = '\n';
        put_line(text, n + 1, true);
    }
    free(text);
    json_decref(j);
}

/* "2026-12-03T08:45:01.123Z"; the calendar part is worked out once a second per thread. */
static void timestamp(char out[32])
{
    static _Thread_local time_t last_sec = -1;
    static _Thread_local char day[24];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != last_sec) {
        gmtime_r(&ts.tv_sec, &tm);
        strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
        last_sec = ts.tv_sec;
    }
    snprintf(out, 32, "%.19s.%03dZ", day, (int)(ts.tv_nsec / 1000000));
}

void mobid_log(mobid_log_level level, const char *service, const char *fmt, ...)
{
    char ts[32], msg[1024];
    va_list ap;

    if (level < mobid_log_get_level() || level >= MOBID_LOG_OFF)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    timestamp(ts);
    emit(json_pack("{s:s, s:s, s:s, s:s}", "ts", ts, "level", level_names[level], "service",
                   service ? service : "mobid", "msg", msg));
}

const char *mobid_log_request_id(void)
{
    return thread_request_id;
}

/* ---- the server's hooks ---- */

static bool plausible_id(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > REQUEST_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", id[i]))
            return false;
    return true;
}

/* A fresh id, 32 hex digits. It must be unique, not secret (a client may name its own
 * request), so the random source is read once per thread, not once per request (that
 * read was 2% of a verification's CPU): 16 random bytes, the second half stepped by a
 * counter through splitmix64, a bijection, so a thread never repeats an id. */
static bool fresh_id(char out[33])
{
    static _Thread_local uint64_t seed[2];
    static _Thread_local bool seeded;
    uint8_t raw[16];

    if (!seeded && mobid_random((uint8_t *)seed, sizeof seed) != MOBID_OK)
        return false;
    seeded = true;
    uint64_t z = seed[1] += 0x9e3779b97f4a7c15u;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    z ^= z >> 31;
    for (int i = 0; i < 8; i++) {
        raw[i] = (uint8_t)(seed[0] >> (8 * i));
        raw[8 + i] = (uint8_t)(z >> (8 * i));
    }
    mobid_hex_str(raw, sizeof raw, out);
    return true;
}

/* The request's id: taken from X-Request-Id once, else a fresh one. */
static const char *request_id(mobid_http_req *r)
{
    const char *given;
    char fresh[33];

    if (r->request_id)
        return r->request_id;
    given = mobid_http_req_header(r, "X-Request-Id");
    if (plausible_id(given))
        r->request_id = mobid_http_req_strdup(r, mobid_view_str(given));
    else if (fresh_id(fresh))
        r->request_id = mobid_http_req_strdup(r, mobid_view_str(fresh));
    return r->request_id;
}

void http_log_bind(mobid_http_req *r)
{
    thread_request_id = r ? request_id(r) : NULL;
}

bool http_log_header(mobid_http_req *r, struct MHD_Response *m)
{
    const char *id = request_id(r);
    return !id || MHD_add_response_header(m, "X-Request-Id", id) == MHD_YES;
}

/* Appends to *at, never past end (a line too long is cut short, never overrun). */
static void put(char **at, char *end, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(*at, (size_t)(end - *at), fmt, ap);
    va_end(ap);
    if (n > 0)
        *at += n < end - *at ? n : end - *at - 1;
}

/* At most max bytes of s as the body of a JSON string, appended at *at. */
static void put_json_str(char **at, char *end, const char *s, size_t max)
{
    for (; *s && max-- && end - *at > 7; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            put(at, end, "\\%c", c);
        else if (c < 0x20)
            put(at, end, "\\u%04X", c);
        else
            *(*at)++ = (char)c;
    }
}

/* One line per request, made on the event thread that finished it: formatted by hand
 * (building and dumping a jansson object for each request was a visible share of a
 * verification's CPU), then queued with the lines waiting to be written. */
void http_log_access(mobid_http_req *r, double secs)
{
    mobid_log_level level = r->resp.status >= 500 ? MOBID_LOG_ERROR : MOBID_LOG_INFO;
    const char *id = request_id(r), *path = r->route ? r->route->pattern : r->path;
    const char *fields[] = { r->srv->name, id, r->method, NULL, r->remote };
    const char *names[] = { "service", "request_id", "method", "path", "remote" };
    /* Each field at most 256 bytes, 6 when escaped: the line always fits. */
    char ts[32], cut[257], line[8192], *at = line, *end = line + sizeof line - 2;

    if (!r->srv->access_log || level < mobid_log_get_level())
        return;
    /* An unmatched path is whatever the client sent: bounded, and valid UTF-8 or "-". */
    snprintf(cut, sizeof cut, "%s", path ? path : "-");
    if (!mobid_utf8_valid(mobid_view_str(cut)))
        snprintf(cut, sizeof cut, "-");
    fields[3] = cut;
    timestamp(ts);
    put(&at, end, "{\"ts\":\"%s\",\"level\":\"%s\"", ts, level_names[level]);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (i == 4)
            put(&at, end, ",\"status\":%d,\"ms\":%.2f", (int)r->resp.status,
                (double)(long)(secs * 100000) / 100.0);
        if (!fields[i])
            continue;
        put(&at, end, ",\"%s\":\"", names[i]);
        put_json_str(&at, end, fields[i], 256);
        put(&at, end, "\"");
    }
    memcpy(at, "}\n", 2); /* end leaves room for these two */
    put_line(line, (size_t)(at + 2 - line), level >= MOBID_LOG_WARN);
}
