/* src/http: whole files and the status-list transport (see resource.h). */
#include "http/resource.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http/client.h"

mobid_err mobid_file_read(const char *path, size_t max, mobid_buf *out)
{
    bool in = !strcmp(path, "-");
    FILE *f = in ? stdin : fopen(path, "rb");
    uint8_t chunk[65536];
    size_t n, start = out->len;
    mobid_err err = MOBID_OK;

    if (!f)
        return errno == ENOENT ? MOBID_ERR_NOT_FOUND : MOBID_ERR_IO;
    while (!err && (n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (max && out->len - start + n > max)
            err = MOBID_ERR_TOO_BIG;
        else
            err = mobid_buf_append(out, chunk, n);
    }
    if (!err && ferror(f))
        err = MOBID_ERR_IO;
    if (!in)
        fclose(f);
    if (!err)
        err = mobid_buf_terminate(out);
    return err;
}

/* GET url with o; a 200's body appended to body. */
static mobid_err get_200(const mobid_http_client_opts *o, const char *url,
                         const char *const *headers, mobid_buf *body)
{
    mobid_http_client *c = NULL;
    mobid_http_result r = { 0 };
    mobid_err err = mobid_http_client_new(o, &c);
    if (!err)
        err = mobid_http_client_get(c, url, headers, &r);
    if (!err && r.status != 200)
        err = MOBID_ERR_FETCH_FAILED;
    if (!err)
        err = mobid_buf_append_view(body, mobid_buf_view(&r.body));
    mobid_http_result_free(&r);
    mobid_http_client_free(c);
    return err;
}

mobid_err mobid_http_fetch_body(void *ctx, const char *url, size_t max, mobid_buf *body)
{
    mobid_http_client_opts o = { .max_response = max, .follow_redirects = true };
    (void)ctx;
    return get_200(&o, url, NULL, body);
}

mobid_err mobid_http_statuslist_get(void *ctx, const mobid_statuslist_get_req *req,
                                    mobid_buf *body)
{
    mobid_http_client_opts o = { req->timeout_ms, req->connect_timeout_ms, req->max_response,
                                 true, req->ca_file };
    char accept[200];
    const char *headers[] = { accept, NULL };
    mobid_err err;

    (void)ctx;
    if (!strncasecmp(req->url, "file://", 7) || !strstr(req->url, "://")) {
        const char *path = strncasecmp(req->url, "file://", 7) ? req->url : req->url + 7;
        err = mobid_file_read(path, req->max_response, body);
        return err == MOBID_ERR_TOO_BIG || err == MOBID_ERR_NOMEM ? err : err ? MOBID_ERR_FETCH_FAILED
                                                                          : MOBID_OK;
    }
    snprintf(accept, sizeof accept, "Accept: %s", req->accept);
    err = get_200(&o, req->url, headers, body);
    return err == MOBID_ERR_TOO_BIG || err == MOBID_ERR_NOMEM || !err ? err : MOBID_ERR_FETCH_FAILED;
}
