/* Small helpers of the wallet: HTTP through the host callback, details, ids. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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

mobid_err wl_http(const mobid_wallet_io *io, const mobid_wallet_http_req *req,
                  mobid_buf *body, char *detail, size_t detail_len)
{
    long status = 0;
    mobid_err err;

    if (!io->http)
        return MOBID_ERR_INVALID_ARG;
    err = io->http(io->ctx, req, &status, body);
    if (err) {
        wl_detail(detail, detail_len, "%s %s: %s", req->method, req->url,
                  mobid_err_name(err));
        return err == MOBID_ERR_NOMEM ? err : MOBID_ERR_FETCH_FAILED;
    }
    if (body->len > MOBID_WALLET_MAX_HTTP)
        return MOBID_ERR_TOO_BIG;
    if (status < 200 || status > 299) {
        /* The body is not NUL-terminated and comes from the network: print a bounded,
         * printable prefix. */
        size_t n = body->len < 160 ? body->len : 160;
        for (size_t i = 0; i < n; i++)
            if (body->ptr[i] < 0x20 || body->ptr[i] > 0x7e)
                n = i;
        wl_detail(detail, detail_len, "%s %s: HTTP %ld %.*s", req->method, req->url, status,
                  (int)n, n ? (const char *)body->ptr : "");
        return MOBID_ERR_FETCH_FAILED;
    }
    return MOBID_OK;
}

mobid_err wl_http_json(const mobid_wallet_io *io, const mobid_wallet_http_req *req,
                       json_t **out, char *detail, size_t detail_len)
{
    mobid_buf body;
    mobid_err err;

    *out = NULL;
    mobid_buf_init(&body, MOBID_WALLET_MAX_HTTP);
    err = wl_http(io, req, &body, detail, detail_len);
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
