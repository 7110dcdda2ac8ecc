/* JSON helpers over jansson: bounded, duplicate-rejecting parse and compact dump. */
#include <mobid/jose.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * The fast path. jansson's loader reads its input a character at a time through a
 * stream and copies every token; for the JWT payloads and disclosures of a verification
 * that was over a tenth of the time. This parser builds the same jansson values
 * straight from the buffer for the common shapes: objects, arrays, strings without
 * escapes, integers, true, false and null, nested at most FAST_MAX_DEPTH deep. Anything
 * else (an escape, a real number, deeper nesting) and every error go to jansson, which
 * then decides: the fast path only ever accepts input that jansson accepts, with the
 * same value.
 */
#define FAST_MAX_DEPTH 32

enum { FAST_OK, FAST_FALLBACK, FAST_NOMEM };

typedef struct fast_parser {
    const uint8_t *p, *end;
    int depth;
} fast_parser;

static void fast_ws(fast_parser *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

/* A string without escapes at s->p (on its opening quote): its bytes as a view. */
static int fast_string(fast_parser *s, const char **str, size_t *len)
{
    const uint8_t *q = s->p + 1, *start = q;
    for (;;) {
        if (q >= s->end)
            return FAST_FALLBACK;
        uint8_t c = *q;
        if (c == '"')
            break;
        if (c == '\\' || c < 0x20)
            return FAST_FALLBACK;
        if (c < 0x80) {
            q++;
            continue;
        }
        size_t n = mobid_utf8_seq(mobid_view_make(q, (size_t)(s->end - q)));
        if (n == 0)
            return FAST_FALLBACK;
        q += n;
    }
    *str = (const char *)start;
    *len = (size_t)(q - start);
    s->p = q + 1;
    return FAST_OK;
}

/* -?(0|[1-9][0-9]*) as a json_int_t; fractions, exponents and overflow fall back. */
static int fast_integer(fast_parser *s, json_t **out)
{
    const uint8_t *q = s->p;
    char digits[24];
    if (q < s->end && *q == '-')
        q++;
    if (q >= s->end || *q < '0' || *q > '9')
        return FAST_FALLBACK;
    if (*q == '0')
        q++;
    else
        while (q < s->end && *q >= '0' && *q <= '9')
            q++;
    if (q < s->end && (*q == '.' || *q == 'e' || *q == 'E'))
        return FAST_FALLBACK;
    size_t n = (size_t)(q - s->p);
    if (n >= sizeof digits)
        return FAST_FALLBACK;
    memcpy(digits, s->p, n);
    digits[n] = 0;
    errno = 0;
    long long v = strtoll(digits, NULL, 10);
    if (errno != 0)
        return FAST_FALLBACK;
    s->p = q;
    *out = json_integer((json_int_t)v);
    return *out ? FAST_OK : FAST_NOMEM;
}

static int fast_literal(fast_parser *s, const char *word, json_t *(*make)(void), json_t **out)
{
    size_t n = strlen(word);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
        return FAST_FALLBACK;
    s->p += n;
    *out = make();
    return *out ? FAST_OK : FAST_NOMEM;
}

static json_t *make_true(void) { return json_true(); }
static json_t *make_false(void) { return json_false(); }
static json_t *make_null(void) { return json_null(); }

static int fast_value(fast_parser *s, json_t **out);

/* After a member or an element: ',' (more follow) or the closing bracket. */
static int fast_next(fast_parser *s, uint8_t close, bool *more)
{
    fast_ws(s);
    if (s->p < s->end && *s->p == ',') {
        s->p++;
        fast_ws(s);
        *more = true;
        return FAST_OK;
    }
    if (s->p < s->end && *s->p == close) {
        s->p++;
        *more = false;
        return FAST_OK;
    }
    return FAST_FALLBACK;
}

static int fast_member(fast_parser *s, json_t *obj)
{
    const char *key;
    size_t klen;
    json_t *v = NULL;
    if (s->p >= s->end || *s->p != '"')
        return FAST_FALLBACK;
    int rc = fast_string(s, &key, &klen);
    if (rc != FAST_OK)
        return rc;
    fast_ws(s);
    if (s->p >= s->end || *s->p != ':')
        return FAST_FALLBACK;
    s->p++;
    fast_ws(s);
    if (json_object_getn(obj, key, klen))
        return FAST_FALLBACK; /* a duplicate: jansson reports it */
    rc = fast_value(s, &v);
    if (rc != FAST_OK)
        return rc;
    /* setn_new takes v, also when it fails. */
    return json_object_setn_new_nocheck(obj, key, klen, v) == 0 ? FAST_OK : FAST_NOMEM;
}

static int fast_object(fast_parser *s, json_t **out)
{
    json_t *obj = json_object();
    bool more = true;
    int rc = FAST_OK;
    if (!obj)
        return FAST_NOMEM;
    s->p++;
    fast_ws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        more = false;
    }
    while (more && rc == FAST_OK) {
        rc = fast_member(s, obj);
        if (rc == FAST_OK)
            rc = fast_next(s, '}', &more);
    }
    if (rc != FAST_OK) {
        json_decref(obj);
        return rc;
    }
    *out = obj;
    return FAST_OK;
}

static int fast_array(fast_parser *s, json_t **out)
{
    json_t *arr = json_array();
    bool more = true;
    int rc = FAST_OK;
    if (!arr)
        return FAST_NOMEM;
    s->p++;
    fast_ws(s);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
        more = false;
    }
    while (more && rc == FAST_OK) {
        json_t *v = NULL;
        rc = fast_value(s, &v);
        if (rc == FAST_OK && json_array_append_new(arr, v) != 0) /* takes v */
            rc = FAST_NOMEM;
        if (rc == FAST_OK)
            rc = fast_next(s, ']', &more);
    }
    if (rc != FAST_OK) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return FAST_OK;
}

static int fast_value(fast_parser *s, json_t **out)
{
    const char *str;
    size_t len;
    int rc;
    if (s->p >= s->end)
        return FAST_FALLBACK;
    switch (*s->p) {
    case '{':
    case '[':
        if (s->depth >= FAST_MAX_DEPTH)
            return FAST_FALLBACK;
        s->depth++;
        rc = *s->p == '{' ? fast_object(s, out) : fast_array(s, out);
        s->depth--;
        return rc;
    case '"':
        rc = fast_string(s, &str, &len);
        if (rc != FAST_OK)
            return rc;
        *out = json_stringn_nocheck(str, len);
        return *out ? FAST_OK : FAST_NOMEM;
    case 't': return fast_literal(s, "true", make_true, out);
    case 'f': return fast_literal(s, "false", make_false, out);
    case 'n': return fast_literal(s, "null", make_null, out);
    default: return fast_integer(s, out);
    }
}

/* One value filling text (surrounding white space allowed). */
static int fast_parse(mobid_view text, json_t **out)
{
    fast_parser s = { text.ptr, text.ptr + text.len, 0 };
    json_t *j = NULL;
    if (!text.ptr)
        return FAST_FALLBACK;
    fast_ws(&s);
    int rc = fast_value(&s, &j);
    if (rc != FAST_OK)
        return rc;
    fast_ws(&s);
    if (s.p != s.end) {
        json_decref(j);
        return FAST_FALLBACK;
    }
    *out = j;
    return FAST_OK;
}

/* jansson names every problem with the input; some of its allocation failures leave
 * the code unset (json_error_unknown), so those count as out of memory too. */
static mobid_err parse_error(const json_error_t *e)
{
    enum json_error_code code = json_error_code(e);
    return code == json_error_unknown || code == json_error_out_of_memory ? MOBID_ERR_NOMEM
                                                                          : MOBID_ERR_MALFORMED;
}

mobid_err mobid_json_parse(mobid_view text, size_t max, json_t **out)
{
    if (!out || (!text.ptr && text.len))
        return MOBID_ERR_INVALID_ARG;
    *out = NULL;
    if (text.len > (max ? max : MOBID_JOSE_MAX_COMPACT))
        return MOBID_ERR_TOO_BIG;
    int rc = fast_parse(text, out);
    if (rc == FAST_OK)
        return MOBID_OK;
    if (rc == FAST_NOMEM)
        return MOBID_ERR_NOMEM;
    json_error_t jerr;
    memset(&jerr, 0, sizeof jerr); /* code json_error_unknown until jansson sets one */
    /* jansson rejects invalid UTF-8, \u0000 (without JSON_ALLOW_NUL), trailing
     * data after the value and nesting deeper than its fixed parser limit. */
    json_t *j = json_loadb((const char *)text.ptr, text.len,
                           JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (!j)
        return parse_error(&jerr);
    *out = j;
    return MOBID_OK;
}

mobid_err mobid_json_dump(const json_t *j, bool sort_keys, mobid_buf *out)
{
    if (!j || !out)
        return MOBID_ERR_INVALID_ARG;
    if (out->err != MOBID_OK)
        return out->err;
    size_t flags = JSON_COMPACT | JSON_ENCODE_ANY | (sort_keys ? JSON_SORT_KEYS : 0);
    size_t need = json_dumpb(j, NULL, 0, flags);
    /* jansson cannot hold NaN, infinities or invalid UTF-8 made through its checked
     * constructors, so a failed dump means it ran out of memory (sorting keys). */
    if (need == 0)
        return MOBID_ERR_NOMEM;
    if (mobid_buf_reserve(out, need) != MOBID_OK)
        return out->err;
    if (json_dumpb(j, (char *)out->ptr + out->len, need, flags) != need)
        return MOBID_ERR_NOMEM;
    out->len += need;
    return MOBID_OK;
}
