/* src/http: application/x-www-form-urlencoded parsing and encoding. */
#include "form.h" /* relative, so the fuzz target can compile this file alone */

#include <string.h>

/* Decode v into dst (room for v.len bytes); returns the decoded length or -1. */
static long decode_into(mobid_view v, uint8_t *dst)
{
    size_t o = 0;
    for (size_t i = 0; i < v.len; i++) {
        uint8_t c = v.ptr[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            int hi = i + 2 < v.len ? mobid_hex_digit(v.ptr[i + 1]) : -1;
            int lo = i + 2 < v.len ? mobid_hex_digit(v.ptr[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return -1;
            c = (uint8_t)(hi << 4 | lo);
            i += 2;
        }
        if (c == 0)
            return -1;
        dst[o++] = c;
    }
    return mobid_utf8_valid(mobid_view_make(dst, o)) ? (long)o : -1;
}

mobid_err mobid_http_urldecode(mobid_view v, mobid_buf *out)
{
    mobid_err err = mobid_buf_reserve(out, v.len + 1);
    if (err != MOBID_OK)
        return err;
    long n = decode_into(v, out->ptr + out->len);
    if (n < 0)
        return MOBID_ERR_MALFORMED;
    out->len += (size_t)n;
    return MOBID_OK;
}

/* Split one "name=value" pair and decode both halves into *dst (advanced). */
static mobid_err parse_pair(mobid_view pair, mobid_http_field *f, char **dst)
{
    const uint8_t *eq = memchr(pair.ptr, '=', pair.len);
    mobid_view name = mobid_view_make(pair.ptr, eq ? (size_t)(eq - pair.ptr) : pair.len);
    mobid_view value = eq ? mobid_view_make(eq + 1, pair.len - name.len - 1) : mobid_view_make(NULL, 0);
    long n = decode_into(name, (uint8_t *)*dst);
    if (n <= 0)
        return MOBID_ERR_MALFORMED; /* bad escape or an empty name */
    f->name = *dst;
    (*dst)[n] = 0;
    *dst += n + 1;
    n = decode_into(value, (uint8_t *)*dst);
    if (n < 0)
        return MOBID_ERR_MALFORMED;
    f->value = *dst;
    (*dst)[n] = 0;
    *dst += n + 1;
    return MOBID_OK;
}

static size_t count_pairs(mobid_view body)
{
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= body.len; i++) {
        if (i == body.len || body.ptr[i] == '&') {
            n += i > start;
            start = i + 1;
        }
    }
    return n;
}

mobid_err mobid_http_form_parse(mobid_view body, size_t max_fields, mobid_http_form *out)
{
    memset(out, 0, sizeof *out);
    if (!max_fields)
        max_fields = MOBID_HTTP_FORM_MAX_FIELDS;
    size_t n = count_pairs(body);
    if (n > max_fields)
        return MOBID_ERR_TOO_BIG;
    if (!n)
        return MOBID_OK;
    /* One block: the field table, then every decoded string (never longer than its
     * encoding) with its NUL. */
    size_t size = n * sizeof(mobid_http_field) + body.len + 2 * n;
    mobid_http_field *fields = mobid_malloc(size);
    if (!fields)
        return MOBID_ERR_NOMEM;
    char *dst = (char *)(fields + n);
    size_t k = 0, start = 0;
    mobid_err err = MOBID_OK;
    for (size_t i = 0; i <= body.len && err == MOBID_OK; i++) {
        if (i < body.len && body.ptr[i] != '&')
            continue;
        if (i > start)
            err = parse_pair(mobid_view_make(body.ptr + start, i - start), &fields[k++], &dst);
        start = i + 1;
    }
    if (err != MOBID_OK) {
        mobid_free(fields);
        return err;
    }
    out->n = n;
    out->fields = fields;
    return MOBID_OK;
}

mobid_err mobid_http_form_get(const mobid_http_form *f, const char *name, const char **value)
{
    *value = NULL;
    for (size_t i = 0; i < f->n; i++) {
        if (strcmp(f->fields[i].name, name) != 0)
            continue;
        if (*value)
            return MOBID_ERR_MALFORMED;
        *value = f->fields[i].value;
    }
    return *value ? MOBID_OK : MOBID_ERR_NOT_FOUND;
}

void mobid_http_form_free(mobid_http_form *f)
{
    if (!f)
        return;
    mobid_free(f->fields);
    f->fields = NULL;
    f->n = 0;
}

mobid_err mobid_http_urlencode(mobid_buf *out, mobid_view s)
{
    return mobid_pct_encode(s, NULL, out);
}

mobid_err mobid_http_form_append(mobid_buf *out, const char *name, const char *value)
{
    if (out->len)
        mobid_buf_append_byte(out, '&');
    mobid_http_urlencode(out, mobid_view_str(name));
    mobid_buf_append_byte(out, '=');
    return mobid_http_urlencode(out, mobid_view_str(value ? value : ""));
}
