/*
 * RFC 7512 PKCS#11 URIs: "pkcs11:" path attributes separated by ';', then an
 * optional '?' and query attributes separated by '&', values percent-encoded.
 */
#include "crypto_internal.h"

#include <stdlib.h>
#include <string.h>

/* Percent-decode v[0..n) into a new NUL-terminated string (an embedded NUL or a
 * broken escape is MALFORMED). */
static mobid_err decode(const char *v, size_t n, char **out)
{
    char *s = malloc(n + 1);
    size_t o = 0;
    if (!s)
        return MOBID_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (v[i] != '%') {
            s[o++] = v[i];
            continue;
        }
        if (i + 2 >= n || (hi = mobid_hex_digit((uint8_t)v[i + 1])) < 0 || (lo = mobid_hex_digit((uint8_t)v[i + 2])) < 0 ||
            (hi == 0 && lo == 0)) {
            free(s);
            return MOBID_ERR_MALFORMED;
        }
        s[o++] = (char)(hi * 16 + lo);
        i += 2;
    }
    s[o] = '\0';
    *out = s;
    return MOBID_OK;
}

/* Look for name=value in one ';'- or '&'-separated part [p, end). */
static mobid_err find_in(const char *p, const char *end, char sep, const char *name,
                         char **value)
{
    size_t nl = strlen(name);
    while (p < end) {
        const char *q = memchr(p, sep, (size_t)(end - p));
        const char *stop = q ? q : end;
        if ((size_t)(stop - p) > nl && !strncmp(p, name, nl) && p[nl] == '=')
            return decode(p + nl + 1, (size_t)(stop - p) - nl - 1, value);
        p = q ? q + 1 : end;
    }
    return MOBID_ERR_NOT_FOUND;
}

mobid_err mobid_pkcs11_uri_attr(const char *uri, const char *name, char **value)
{
    if (!uri || !name || !value)
        return MOBID_ERR_INVALID_ARG;
    *value = NULL;
    if (strncmp(uri, "pkcs11:", 7))
        return MOBID_ERR_MALFORMED;
    const char *path = uri + 7, *q = strchr(path, '?');
    const char *path_end = q ? q : path + strlen(path);
    mobid_err err = find_in(path, path_end, ';', name, value);
    if (err == MOBID_ERR_NOT_FOUND && q)
        err = find_in(q + 1, q + strlen(q), '&', name, value);
    return err;
}

/* Append v percent-encoded: RFC 7512's unreserved characters stay as they are. */
static mobid_err encode(mobid_buf *out, const char *v)
{
    return mobid_pct_encode(mobid_view_str(v), "/:", out);
}

mobid_err mobid_pkcs11_uri_make(const char *module, const char *token, const char *object,
                                mobid_buf *out)
{
    if (!token || !object || !out)
        return MOBID_ERR_INVALID_ARG;
    mobid_err err = mobid_buf_append_str(out, "pkcs11:token=");
    if (err == MOBID_OK)
        err = encode(out, token);
    if (err == MOBID_OK)
        err = mobid_buf_append_str(out, ";object=");
    if (err == MOBID_OK)
        err = encode(out, object);
    if (err == MOBID_OK)
        err = mobid_buf_append_str(out, ";type=private");
    if (err == MOBID_OK && module && module[0]) {
        err = mobid_buf_append_str(out, "?module-path=");
        if (err == MOBID_OK)
            err = encode(out, module);
    }
    return err;
}
