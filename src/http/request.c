/* src/http: the per-request arena, request accessors and response builders. */
#include "http/http_internal.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define ARENA_CHUNK 4096

double http_now(void)
{
    struct timespec ts;
    /* monotonic: a deadline must not jump when someone sets the wall clock */
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- arena ---- */

static void *arena_alloc(http_arena *a, size_t n)
{
    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    if (!n)
        n = sizeof(max_align_t);
    arena_chunk *c = a->head;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
        /* bounded like every buffer: input fed to a handler cannot grow one request's
         * memory past HTTP_ARENA_MAX */
        if (cap > HTTP_ARENA_MAX || a->total + cap > HTTP_ARENA_MAX)
            return NULL;
        c = mobid_malloc(sizeof *c + cap);
        if (!c)
            return NULL;
        c->cap = cap;
        c->used = 0;
        c->next = a->head;
        a->head = c;
        a->total += cap;
    }
    void *p = (char *)c->data + c->used;
    c->used += n;
    return p;
}

static void arena_free(http_arena *a)
{
    for (arena_chunk *c = a->head, *next; c; c = next) {
        next = c->next;
        mobid_free(c);
    }
    a->head = NULL;
    a->total = 0;
}

void *mobid_http_req_alloc(mobid_http_req *r, size_t n)
{
    return arena_alloc(&r->arena, n);
}

char *mobid_http_req_strdup(mobid_http_req *r, mobid_view v)
{
    char *s = arena_alloc(&r->arena, v.len + 1);
    if (s) {
        if (v.len)
            memcpy(s, v.ptr, v.len);
        s[v.len] = 0;
    }
    return s;
}

/* ---- request life ---- */

static void format_remote(mobid_http_req *r)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(r->remote, sizeof r->remote, "unknown");
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, r->remote, sizeof r->remote);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, r->remote,
                  sizeof r->remote);
}

mobid_http_req *http_req_new(mobid_http_server *srv, struct MHD_Connection *conn,
                             const char *method, const char *path)
{
    mobid_http_req *r = mobid_calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->srv = srv;
    r->conn = conn;
    r->start = http_now();
    r->resp.req = r;
    mobid_buf_init(&r->body, srv->max_body);
    mobid_buf_init(&r->resp.body, 0);
    r->method = mobid_http_req_strdup(r, mobid_view_str(method));
    r->path = mobid_http_req_strdup(r, mobid_view_str(path));
    if (!r->method || !r->path) {
        http_req_free(r);
        return NULL;
    }
    format_remote(r);
    return r;
}

void http_req_free(mobid_http_req *r)
{
    if (!r)
        return;
    /* hooks before the arena: the hook list itself lives in it */
    for (free_hook *h = r->hooks; h; h = h->next)
        h->fn(h->ctx);
    mobid_http_form_free(&r->form);
    mobid_buf_free(&r->body);
    mobid_buf_free(&r->resp.body);
    arena_free(&r->arena);
    mobid_free(r);
}

mobid_err mobid_http_req_on_free(mobid_http_req *r, void (*fn)(void *ctx), void *ctx)
{
    free_hook *h = mobid_http_req_alloc(r, sizeof *h);
    if (!h)
        return MOBID_ERR_NOMEM;
    h->fn = fn;
    h->ctx = ctx;
    h->next = r->hooks;
    r->hooks = h;
    return MOBID_OK;
}

/* ---- parking ---- */

mobid_err mobid_http_req_watch(mobid_http_req *r, const char *key)
{
    char *k = mobid_http_req_strdup(r, mobid_view_str(key));
    if (!k)
        return MOBID_ERR_NOMEM;
    unsigned b = http_lot_bucket(k);
    pthread_mutex_lock(&r->srv->lot.lock);
    r->watch_key = k;
    r->watch_bucket = b;
    r->watch_seq = r->srv->lot.seq[b];
    pthread_mutex_unlock(&r->srv->lot.lock);
    return MOBID_OK;
}

mobid_err mobid_http_req_park(mobid_http_req *r, double timeout_s, mobid_http_resume fn, void *ctx)
{
    if (!fn || !(timeout_s >= 0) || timeout_s > 86400)
        return MOBID_ERR_INVALID_ARG;
    r->park_asked = true;
    r->park_deadline = http_now() + timeout_s;
    r->resume = fn;
    r->resume_ctx = ctx;
    return MOBID_OK;
}

/* ---- accessors ---- */

const char *mobid_http_req_method(const mobid_http_req *r)
{
    return r->method;
}

const char *mobid_http_req_path(const mobid_http_req *r)
{
    return r->path;
}

const char *mobid_http_req_route(const mobid_http_req *r)
{
    return r->route ? r->route->pattern : NULL;
}

const char *mobid_http_req_param(mobid_http_req *r, const char *name)
{
    for (size_t i = 0; i < r->params.n; i++)
        if (strlen(name) == r->params.name_lens[i] &&
            !memcmp(name, r->params.names[i], r->params.name_lens[i]))
            return mobid_http_req_strdup(r, r->params.values[i]);
    return NULL;
}

const char *mobid_http_req_query(const mobid_http_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *mobid_http_req_header(const mobid_http_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *mobid_http_req_bearer(const mobid_http_req *r)
{
    const char *h = mobid_http_req_header(r, "Authorization");
    if (!h || strncasecmp(h, "Bearer ", 7) != 0)
        return NULL;
    const char *t = h + 7;
    while (*t == ' ')
        t++;
    return *t && !strpbrk(t, " \t") ? t : NULL;
}

const char *mobid_http_req_cookie(const mobid_http_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, name);
}

const char *mobid_http_req_remote(const mobid_http_req *r)
{
    return r->remote;
}

mobid_view mobid_http_req_body(const mobid_http_req *r)
{
    return mobid_buf_view(&r->body);
}

mobid_http_server *mobid_http_req_server(const mobid_http_req *r)
{
    return r->srv;
}

bool mobid_http_req_content_type_is(const mobid_http_req *r, const char *mime)
{
    const char *ct = mobid_http_req_header(r, "Content-Type");
    if (!ct)
        return false;
    size_t n = strlen(mime);
    if (strncasecmp(ct, mime, n) != 0)
        return false;
    const char *rest = ct + n;
    while (*rest == ' ' || *rest == '\t')
        rest++;
    return *rest == 0 || *rest == ';';
}

mobid_err mobid_http_req_form(mobid_http_req *r, const mobid_http_form **out)
{
    *out = NULL;
    if (!mobid_http_req_content_type_is(r, "application/x-www-form-urlencoded"))
        return MOBID_ERR_UNSUPPORTED;
    if (!r->form_parsed) {
        r->form_err = mobid_http_form_parse(mobid_buf_view(&r->body), 0, &r->form);
        r->form_parsed = true;
    }
    if (r->form_err == MOBID_OK)
        *out = &r->form;
    return r->form_err;
}

mobid_err mobid_http_req_json(mobid_http_req *r, json_t **out)
{
    *out = NULL;
    if (!mobid_http_req_content_type_is(r, "application/json"))
        return MOBID_ERR_UNSUPPORTED;
    json_error_t jerr;
    /* Duplicate keys refused: another parser down the line might keep the other value,
     * and a check would then pass on one reading and act on the other. */
    json_t *j = json_loadb(r->body.ptr ? (const char *)r->body.ptr : "", r->body.len,
                           JSON_REJECT_DUPLICATES, &jerr);
    if (!j || !json_is_object(j)) {
        json_decref(j);
        return MOBID_ERR_MALFORMED;
    }
    *out = j;
    return MOBID_OK;
}

/* ---- response ---- */

void mobid_http_resp_status(mobid_http_resp *r, unsigned status)
{
    if (status >= 100 && status <= 599)
        r->status = status;
}

unsigned mobid_http_resp_get_status(const mobid_http_resp *r)
{
    return r->status;
}

static bool has_crlf(const char *s)
{
    return strpbrk(s, "\r\n") != NULL;
}

mobid_err mobid_http_resp_header(mobid_http_resp *r, const char *name, const char *value)
{
    /* a CR or LF would let a value taken from input start a header of its own (splitting) */
    if (!name || !*name || !value || has_crlf(name) || has_crlf(value) || strchr(name, ':'))
        return MOBID_ERR_INVALID_ARG;
    resp_header *h = mobid_http_req_alloc(r->req, sizeof *h);
    if (!h)
        return MOBID_ERR_NOMEM;
    h->name = mobid_http_req_strdup(r->req, mobid_view_str(name));
    h->value = mobid_http_req_strdup(r->req, mobid_view_str(value));
    if (!h->name || !h->value)
        return MOBID_ERR_NOMEM;
    resp_header **p = &r->headers;
    while (*p)
        p = &(*p)->next;
    h->next = NULL;
    *p = h;
    return MOBID_OK;
}

static bool cookie_token(const char *s, bool value)
{
    if (!value && !*s)
        return false;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= 0x20 || c >= 0x7f || c == ';' || c == ',' || c == '"' || c == '\\')
            return false;
        if (!value && strchr("()<>@:/[]?={}", c))
            return false;
    }
    return true;
}

mobid_err mobid_http_resp_cookie(mobid_http_resp *r, const char *name, const char *value,
                                 const char *path, long max_age, unsigned flags)
{
    if (!name || !value || !cookie_token(name, false) || !cookie_token(value, true) ||
        (path && (has_crlf(path) || strchr(path, ';'))))
        return MOBID_ERR_INVALID_ARG;
    char tail[128] = "";
    if (max_age >= 0)
        snprintf(tail, sizeof tail, "; Max-Age=%ld", max_age);
    mobid_buf c;
    mobid_buf_init(&c, 8192);
    mobid_buf_append_str(&c, name);
    mobid_buf_append_byte(&c, '=');
    mobid_buf_append_str(&c, value);
    mobid_buf_append_str(&c, "; Path=");
    mobid_buf_append_str(&c, path ? path : "/");
    mobid_buf_append_str(&c, tail);
    if (flags & MOBID_COOKIE_HTTPONLY)
        mobid_buf_append_str(&c, "; HttpOnly");
    if (flags & MOBID_COOKIE_SECURE)
        mobid_buf_append_str(&c, "; Secure");
    if (flags & MOBID_COOKIE_SAMESITE_STRICT)
        mobid_buf_append_str(&c, "; SameSite=Strict");
    else if (flags & MOBID_COOKIE_SAMESITE_LAX)
        mobid_buf_append_str(&c, "; SameSite=Lax");
    mobid_err err = mobid_buf_terminate(&c);
    if (err == MOBID_OK)
        err = mobid_http_resp_header(r, "Set-Cookie", (const char *)c.ptr);
    mobid_buf_free(&c);
    return err;
}

mobid_err mobid_http_resp_body(mobid_http_resp *r, unsigned status, const char *content_type,
                               mobid_view body)
{
    mobid_buf_free(&r->body);
    mobid_buf_init(&r->body, 0);
    if (mobid_buf_append_view(&r->body, body) != MOBID_OK)
        return r->body.err;
    r->content_type = content_type ? mobid_http_req_strdup(r->req, mobid_view_str(content_type)) : NULL;
    if (content_type && !r->content_type)
        return MOBID_ERR_NOMEM;
    r->has_body = true;
    mobid_http_resp_status(r, status);
    return MOBID_OK;
}

mobid_err mobid_http_resp_text(mobid_http_resp *r, unsigned status, const char *text)
{
    return mobid_http_resp_body(r, status, "text/plain; charset=utf-8", mobid_view_str(text));
}

mobid_err mobid_http_resp_json(mobid_http_resp *r, unsigned status, const json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!s)
        return MOBID_ERR_NOMEM;
    mobid_err err = mobid_http_resp_body(r, status, "application/json", mobid_view_str(s));
    free(s);
    return err;
}

/* A JSON string even when s (often echoing input) is not valid UTF-8. */
static json_t *safe_string(const char *s)
{
    json_t *j = json_string(s);
    return j ? j : json_string("(not valid UTF-8)");
}

static mobid_err json_pair(mobid_http_resp *r, unsigned status, const char *k1, const char *v1,
                           const char *k2, const char *v2)
{
    json_t *o = json_object();
    mobid_err err = MOBID_ERR_NOMEM;
    if (o && !json_object_set_new(o, k1, safe_string(v1)) &&
        (!v2 || !json_object_set_new(o, k2, safe_string(v2))))
        err = mobid_http_resp_json(r, status, o);
    json_decref(o);
    return err;
}

mobid_err mobid_http_resp_error(mobid_http_resp *r, unsigned status, const char *code,
                                const char *detail)
{
    return json_pair(r, status, "error", code, "detail", detail ? detail : code);
}

mobid_err mobid_http_resp_oauth_error(mobid_http_resp *r, unsigned status, const char *error,
                                      const char *description)
{
    mobid_err err = json_pair(r, status, "error", error, "error_description", description);
    if (err == MOBID_OK)
        err = mobid_http_resp_header(r, "Cache-Control", "no-store");
    return err;
}

mobid_err mobid_http_resp_retry_later(mobid_http_resp *r, unsigned status, unsigned retry_after_s,
                                      const char *code, const char *detail)
{
    char secs[16];
    snprintf(secs, sizeof secs, "%u", retry_after_s ? retry_after_s : 1);
    mobid_err err = mobid_http_resp_error(r, status, code, detail);
    if (err == MOBID_OK)
        err = mobid_http_resp_header(r, "Retry-After", secs);
    return err;
}

mobid_err mobid_http_resp_redirect(mobid_http_resp *r, unsigned status, const char *location)
{
    mobid_err err = mobid_http_resp_header(r, "Location", location);
    if (err == MOBID_OK)
        mobid_http_resp_status(r, status);
    return err;
}
