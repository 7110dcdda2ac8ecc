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

/*
 * The dump's fast path: the bytes json_dumpb gives with JSON_COMPACT | JSON_ENCODE_ANY
 * (and JSON_SORT_KEYS when asked), written in one pass straight into the buffer.
 * jansson walks every string a code point at a time through a callback, and the dump
 * ran twice (once to measure); a request object with its certificate chain and
 * registration cost about 450 000 instructions, half a signature. Reals, deep nesting,
 * wide objects to sort and any string that is not valid UTF-8 go to jansson instead.
 */
#define DUMP_MAX_DEPTH 64
#define DUMP_MAX_SORT 64

static int dump_string(mobid_buf *out, const char *str, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    const uint8_t *p = (const uint8_t *)str, *end = p + len, *run = p;
    mobid_buf_append_byte(out, '"');
    while (p < end) {
        uint8_t c = *p;
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            p++;
            continue;
        }
        if (c >= 0x80) {
            size_t n = mobid_utf8_seq(mobid_view_make(p, (size_t)(end - p)));
            if (n == 0)
                return FAST_FALLBACK;
            p += n;
            continue;
        }
        mobid_buf_append(out, run, (size_t)(p - run));
        char esc[6] = { '\\', (char)c, '0', '0', 0, 0 };
        size_t n = 2;
        switch (c) {
        case '"': case '\\': break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default: /* \u00XX, upper-case as jansson writes it */
            esc[1] = 'u';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        }
        mobid_buf_append(out, esc, n);
        run = ++p;
    }
    mobid_buf_append(out, run, (size_t)(p - run));
    mobid_buf_append_byte(out, '"');
    return out->err ? FAST_NOMEM : FAST_OK;
}

static int dump_value(mobid_buf *out, const json_t *j, bool sort, int depth);

typedef struct dump_member {
    const char *key;
    size_t len;
    json_t *value;
} dump_member;

/* jansson's order for JSON_SORT_KEYS: bytes, then length (keys are distinct). */
static int member_cmp(const void *a, const void *b)
{
    const dump_member *x = a, *y = b;
    int r = memcmp(x->key, y->key, x->len < y->len ? x->len : y->len);
    return r ? r : (x->len > y->len) - (x->len < y->len);
}

static size_t iter_key_len(void *it)
{
#if JANSSON_VERSION_HEX >= 0x020e00
    return json_object_iter_key_len(it);
#else
    return strlen(json_object_iter_key(it));
#endif
}

static int dump_object(mobid_buf *out, const json_t *j, bool sort, int depth)
{
    dump_member m[DUMP_MAX_SORT];
    size_t n = 0;
    void *it = json_object_iter((json_t *)j);
    if (sort && json_object_size(j) > DUMP_MAX_SORT)
        return FAST_FALLBACK;
    for (; it; it = json_object_iter_next((json_t *)j, it)) {
        dump_member one = { json_object_iter_key(it), iter_key_len(it), json_object_iter_value(it) };
        if (sort) {
            m[n++] = one;
            continue;
        }
        mobid_buf_append_byte(out, n++ ? ',' : '{');
        int r = dump_string(out, one.key, one.len);
        mobid_buf_append_byte(out, ':');
        if (r != FAST_OK || (r = dump_value(out, one.value, sort, depth + 1)) != FAST_OK)
            return r;
    }
    if (sort) {
        qsort(m, n, sizeof m[0], member_cmp);
        for (size_t i = 0; i < n; i++) {
            mobid_buf_append_byte(out, i ? ',' : '{');
            int r = dump_string(out, m[i].key, m[i].len);
            mobid_buf_append_byte(out, ':');
            if (r != FAST_OK || (r = dump_value(out, m[i].value, sort, depth + 1)) != FAST_OK)
                return r;
        }
    }
    mobid_buf_append(out, n ? "}" : "{}", n ? 1 : 2);
    return out->err ? FAST_NOMEM : FAST_OK;
}

static int dump_value(mobid_buf *out, const json_t *j, bool sort, int depth)
{
    char num[32];
    int r = FAST_OK;
    if (depth > DUMP_MAX_DEPTH)
        return FAST_FALLBACK;
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        return dump_object(out, j, sort, depth);
    case JSON_ARRAY:
        mobid_buf_append_byte(out, '[');
        for (size_t i = 0; r == FAST_OK && i < json_array_size(j); i++) {
            if (i)
                mobid_buf_append_byte(out, ',');
            r = dump_value(out, json_array_get(j, i), sort, depth + 1);
        }
        mobid_buf_append_byte(out, ']');
        break;
    case JSON_STRING:
        return dump_string(out, json_string_value(j), json_string_length(j));
    case JSON_INTEGER:
        mobid_buf_append(out, num, (size_t)snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT,
                                                    json_integer_value(j)));
        break;
    case JSON_TRUE:
        mobid_buf_append(out, "true", 4);
        break;
    case JSON_FALSE:
        mobid_buf_append(out, "false", 5);
        break;
    case JSON_NULL:
        mobid_buf_append(out, "null", 4);
        break;
    default: /* reals: jansson's own formatting */
        return FAST_FALLBACK;
    }
    return r != FAST_OK ? r : out->err ? FAST_NOMEM : FAST_OK;
}

mobid_err mobid_json_dump(const json_t *j, bool sort_keys, mobid_buf *out)
{
    if (!j || !out)
        return MOBID_ERR_INVALID_ARG;
    if (out->err != MOBID_OK)
        return out->err;
    size_t start = out->len;
    int fast = dump_value(out, j, sort_keys, 0);
    if (fast == FAST_OK || out->err != MOBID_OK)
        return out->err;
    out->len = start;
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
