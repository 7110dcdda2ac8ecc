/*
 * application/x-www-form-urlencoded: strict parsing with limits, and encoding.
 *
 * Parsing never trusts the input: the body size is bounded by the caller (the server's
 * max_body), the field count by max_fields, percent escapes must be complete hex, and a
 * decoded name or value may hold neither NUL nor invalid UTF-8 (MOBID_ERR_MALFORMED).
 * '+' decodes to a space. OAuth forbids repeating a parameter (RFC 6749 §3.1), so
 * mobid_http_form_get reports a repeated name as MOBID_ERR_MALFORMED.
 */
#ifndef MOBID_HTTP_FORM_H
#define MOBID_HTTP_FORM_H

#include <stddef.h>
#include <mobid/base.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MOBID_HTTP_FORM_MAX_FIELDS 64

typedef struct mobid_http_field {
    const char *name;  /* decoded, NUL-terminated */
    const char *value; /* decoded, NUL-terminated; "" for "name" or "name=" */
} mobid_http_field;

typedef struct mobid_http_form {
    size_t n;
    mobid_http_field *fields; /* one heap block holding fields and strings */
} mobid_http_form;

/* Parse body into *out (zeroed first). Empty pairs ("a=1&&b=2", a trailing '&') are
 * skipped. max_fields 0 means MOBID_HTTP_FORM_MAX_FIELDS.
 * Returns MOBID_OK, MOBID_ERR_MALFORMED (bad escape, NUL, bad UTF-8, empty name),
 * MOBID_ERR_TOO_BIG (more fields than max_fields) or MOBID_ERR_NOMEM. On error *out is
 * empty. Free with mobid_http_form_free. */
MOBID_MUST_CHECK mobid_err mobid_http_form_parse(mobid_view body, size_t max_fields,
                                                 mobid_http_form *out);

/* Look up name. *value points into the form. Returns MOBID_ERR_NOT_FOUND, or
 * MOBID_ERR_MALFORMED when the name appears more than once. */
MOBID_MUST_CHECK mobid_err mobid_http_form_get(const mobid_http_form *f, const char *name,
                                               const char **value);

void mobid_http_form_free(mobid_http_form *f);

/* Percent-decode v (form rules: '+' is a space) into out; MOBID_ERR_MALFORMED on a
 * bad escape, NUL or invalid UTF-8. */
MOBID_MUST_CHECK mobid_err mobid_http_urldecode(mobid_view v, mobid_buf *out);

/* Append "name=value" (with a leading '&' when out is not empty), both percent-encoded
 * (unreserved characters kept, space as %20). Returns the buffer's sticky error. */
mobid_err mobid_http_form_append(mobid_buf *out, const char *name, const char *value);

/* Append s percent-encoded (everything but RFC 3986 unreserved characters). */
mobid_err mobid_http_urlencode(mobid_buf *out, mobid_view s);

#ifdef __cplusplus
}
#endif
#endif
