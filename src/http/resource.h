/*
 * src/http: getting bytes from where a configuration or a credential points: a local
 * file, a file: URL or an http(s) URL. The one whole-file reader of src/, and the
 * transports the fetchers of lib/ are given (the library does no I/O of its own).
 */
#ifndef MOBID_HTTP_RESOURCE_H
#define MOBID_HTTP_RESOURCE_H

#include <mobid/base.h>
#include <mobid/statuslist.h>

/* Read the whole file at path ("-" = standard input) and append it to out,
 * NUL-terminated (the NUL not counted in out->len). max > 0 bounds the size
 * (MOBID_ERR_TOO_BIG beyond). Returns MOBID_OK, MOBID_ERR_NOT_FOUND (no such file),
 * MOBID_ERR_IO (cannot open or read), TOO_BIG, NOMEM. Says nothing on stderr: the
 * caller knows what the file was for. */
MOBID_MUST_CHECK mobid_err mobid_file_read(const char *path, size_t max, mobid_buf *out);

/* The status-list fetcher's transport (mobid_statuslist_get_fn; ctx unused): an
 * http(s) URL through libcurl with the request's timeouts, CA file and size bound,
 * redirects to http(s) only, 200 required; a file: URL or a local path read with
 * mobid_file_read. */
mobid_err mobid_http_statuslist_get(void *ctx, const mobid_statuslist_get_req *req,
                                    mobid_buf *body);

/* The transport of the other fetch callbacks of lib/ (mobid_sdjwt_fetch_fn: issuer
 * metadata and keys; VICALs; ctx unused): GET an http(s) URL through libcurl with the
 * default timeouts, redirects followed, at most max bytes, 200 required; the body is
 * appended to body. MOBID_ERR_FETCH_FAILED, TOO_BIG, NOMEM. */
mobid_err mobid_http_fetch_body(void *ctx, const char *url, size_t max, mobid_buf *body);

#endif
