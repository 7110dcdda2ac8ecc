/* Small helpers of the wallet: HTTP through the host callback, details, ids. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mobid/jose.h>
#include <mobid/oid4vci.h>
#include "wallet_internal.h"

void wl_detail(char *detail, size_t len, const char *fmt, ...)
{
    va_list ap;

    if (!detail || len == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(detail, len, fmt, ap);
    va_end(ap);
}

/* A dotted IPv4 literal in 127.0.0.0/8: exactly four decimal parts, first 127. */
static bool loopback_v4(const char *host, size_t len)
{
    char text[16], *p = text, *end;
    long part;
    int parts = 0;

    if (len == 0 || len >= sizeof text)
        return false;
    memcpy(text, host, len);
    text[len] = 0;
    for (;;) {
        if (*p < '0' || *p > '9')
            return false;
        part = strtol(p, &end, 10);
        if (part > 255 || (parts == 0 && part != 127))
            return false;
        parts++;
        if (*end == 0)
            return parts == 4;
        if (*end != '.' || parts == 4)
            return false;
        p = end + 1;
    }
}

/* The host of an http:// URL names this machine: 127.0.0.0/8, [::1] or localhost
 * (which curl and the resolver keep on loopback). */
static bool loopback_url(const char *url)
{
    const char *auth = url + 7, *end = auth + strcspn(auth, "/?#"), *at, *host, *colon;
    size_t len;

    /* user@host: the host is what follows the last '@' of the authority. */
    for (host = auth; (at = memchr(host, '@', (size_t)(end - host))) != NULL; host = at + 1)
        ;
    if (*host == '[') {
        colon = memchr(host, ']', (size_t)(end - host));
        return colon && colon - host == 4 && !memcmp(host, "[::1", 4) &&
               (colon + 1 == end || colon[1] == ':');
    }
    colon = memchr(host, ':', (size_t)(end - host));
    len = (size_t)((colon ? colon : end) - host);
    return (len == 9 && !strncasecmp(host, "localhost", 9)) || loopback_v4(host, len);
}

mobid_err wl_check_url(const char *url)
{
    if (!url)
        return MOBID_ERR_INVALID_ARG;
    if (!strncasecmp(url, "https://", 8))
        return MOBID_OK;
    if (!strncasecmp(url, "http://", 7))
        return loopback_url(url) ? MOBID_OK : MOBID_ERR_INSECURE_TRANSPORT;
    return MOBID_ERR_UNSUPPORTED;
}

/* The scheme and host of url, for messages ("https://issuer.example"). */
static int origin_len(const char *url)
{
    const char *p = strstr(url, "://");
    size_t n = p ? (size_t)(p - url) + 3 : 0;

    n += strcspn(url + n, "/?#");
    return (int)(n > 120 ? 120 : n);
}

/* A refusal in one sentence: the OAuth / OpenID4VCI / OpenID4VP error object when the
 * body is one ("error" and "error_description"), never the raw body. */
static void refusal_detail(const mobid_wallet_http_req *req, long status, mobid_view body,
                           char *detail, size_t detail_len)
{
    json_t *j = NULL;
    const char *code = NULL, *desc = NULL;

    if (mobid_json_parse(body, 65536, &j) == MOBID_OK && json_is_object(j)) {
        code = json_string_value(json_object_get(j, "error"));
        desc = json_string_value(json_object_get(j, "error_description"));
    }
    if (code && desc)
        wl_detail(detail, detail_len, "%.*s refused: %.200s (%.60s)", origin_len(req->url),
                  req->url, desc, code);
    else if (code)
        wl_detail(detail, detail_len, "%.*s refused: %.60s", origin_len(req->url), req->url,
                  code);
    else
        wl_detail(detail, detail_len, "%.*s answered HTTP %ld", origin_len(req->url), req->url,
                  status);
    json_decref(j);
}

mobid_err wl_http_st(const mobid_wallet_io *io, const mobid_wallet_http_req *req,
                     mobid_buf *body, long *status, char *detail, size_t detail_len)
{
    mobid_err err;

    *status = 0;
    if (!io->http)
        return MOBID_ERR_INVALID_ARG;
    /* Credentials, codes and presentations travel only over TLS, except to a service
     * on this machine (development, or a proxy on the same host). */
    if ((err = wl_check_url(req->url))) {
        wl_detail(detail, detail_len, "%s %s: %s", req->method, req->url ? req->url : "",
                  err == MOBID_ERR_INSECURE_TRANSPORT
                      ? "plain http:// is refused except to loopback; use https://"
                      : "only https:// URLs are fetched");
        return err;
    }
    err = io->http(io->ctx, req, status, body);
    if (err) {
        wl_detail(detail, detail_len, "%.*s could not be reached", origin_len(req->url),
                  req->url);
        return err == MOBID_ERR_NOMEM ? err : MOBID_ERR_FETCH_FAILED;
    }
    if (body->len > MOBID_WALLET_MAX_HTTP)
        return MOBID_ERR_TOO_BIG;
    if (req->location && *status >= 300 && *status <= 399) /* a redirect asked for */
        return MOBID_OK;
    if (*status < 200 || *status > 299) {
        refusal_detail(req, *status, mobid_buf_view(body), detail, detail_len);
        return MOBID_ERR_FETCH_FAILED;
    }
    return MOBID_OK;
}

mobid_err wl_http(const mobid_wallet_io *io, const mobid_wallet_http_req *req,
                  mobid_buf *body, char *detail, size_t detail_len)
{
    long status;

    return wl_http_st(io, req, body, &status, detail, detail_len);
}

mobid_err wl_http_json_st(const mobid_wallet_io *io, const mobid_wallet_http_req *req,
                          json_t **out, long *status, char *detail, size_t detail_len)
{
    mobid_buf body;
    mobid_err err;

    *out = NULL;
    mobid_buf_init(&body, MOBID_WALLET_MAX_HTTP);
    err = wl_http_st(io, req, &body, status, detail, detail_len);
    if (!err)
        err = mobid_json_parse(mobid_buf_view(&body), MOBID_WALLET_MAX_HTTP, out);
    if (!err && !json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        err = MOBID_ERR_MALFORMED;
    }
    if (err == MOBID_ERR_MALFORMED)
        wl_detail(detail, detail_len, "%s: answer is not a JSON object", req->url);
    mobid_buf_free(&body);
    return err;
}

mobid_err wl_http_json(const mobid_wallet_io *io, const mobid_wallet_http_req *req,
                       json_t **out, char *detail, size_t detail_len)
{
    long status;

    return wl_http_json_st(io, req, out, &status, detail, detail_len);
}

mobid_err wl_random_id(char out[23])
{
    uint8_t raw[16];
    mobid_buf b;
    mobid_err err;

    mobid_buf_init(&b, 64);
    err = mobid_random(raw, sizeof raw);
    if (!err)
        err = mobid_b64url_encode(mobid_view_make(raw, sizeof raw), &b);
    if (!err)
        memcpy(out, b.ptr, 22);
    out[22] = '\0';
    mobid_buf_free(&b);
    return err;
}

mobid_err wl_query_param(const char *uri, const char *name, char **out)
{
    const char *q = strchr(uri, '?');
    size_t nlen = strlen(name);
    mobid_buf v;
    mobid_err err;

    *out = NULL;
    if (!q)
        return MOBID_ERR_NOT_FOUND;
    for (q++; *q; q += strcspn(q, "&"), q += (*q == '&')) {
        size_t plen = strcspn(q, "&");
        if (plen > nlen && strncmp(q, name, nlen) == 0 && q[nlen] == '=') {
            mobid_buf_init(&v, MOBID_WALLET_MAX_HTTP);
            err = mobid_oid4vci_pct_decode(mobid_view_make(q + nlen + 1, plen - nlen - 1), &v);
            if (!err && (memchr(v.ptr, 0, v.len) || !(*out = mobid_buf_detach_str(&v))))
                err = MOBID_ERR_MALFORMED;
            mobid_buf_free(&v);
            return err;
        }
    }
    return MOBID_ERR_NOT_FOUND;
}
