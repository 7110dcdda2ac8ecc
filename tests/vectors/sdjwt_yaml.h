/*
 * The few YAML shapes of the sd-jwt-python test cases, parsed into jansson values:
 * block mappings and sequences by indentation (a sequence may sit at its key's
 * indentation), "- key: value" items, flow [..] and {..}, plain/quoted scalars,
 * comments, and the !sd tag on keys and sequence items. Each !sd node's claim path
 * (as mobid_sdjwt paths: '/'-joined, "~0"/"~1" escapes) is collected.
 * Not a general YAML parser: anchors, multi-line scalars and flow nodes spanning lines
 * are not supported (the cases do not use them); they are reported as errors.
 */
#ifndef MOBID_SDJWT_YAML_H
#define MOBID_SDJWT_YAML_H

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mobid/base.h>

typedef struct yline {
    int indent;
    char *text;
} yline;

typedef struct yparser {
    yline *lines;
    size_t n, i;
    char *storage;
    mobid_buf path;
    char **sd;     /* collected !sd paths */
    size_t n_sd;
    char error[160];
} yparser;

static inline void y_fail(yparser *p, const char *what)
{
    if (!p->error[0])
        snprintf(p->error, sizeof p->error, "line %zu: %s", p->i + 1, what);
}

/* Cut a comment: '#' at the start or after a blank, outside quotes. */
static inline void y_strip_comment(char *s)
{
    char q = 0;
    for (char *c = s; *c; c++) {
        if (q) {
            if (*c == q)
                q = 0;
        } else if (*c == '"' || *c == '\'') {
            q = *c;
        } else if (*c == '#' && (c == s || c[-1] == ' ' || c[-1] == '\t')) {
            *c = 0;
            break;
        }
    }
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = 0;
}

static inline void y_init(yparser *p, const char *text)
{
    memset(p, 0, sizeof *p);
    mobid_buf_init(&p->path, 0);
    p->storage = strdup(text);
    size_t cap = 16;
    p->lines = calloc(cap, sizeof *p->lines);
    for (char *line = strtok(p->storage, "\n"); line; line = strtok(NULL, "\n")) {
        int ind = 0;
        while (line[ind] == ' ')
            ind++;
        y_strip_comment(line + ind);
        if (!line[ind])
            continue;
        if (p->n == cap)
            p->lines = realloc(p->lines, (cap *= 2) * sizeof *p->lines);
        p->lines[p->n].indent = ind;
        p->lines[p->n++].text = line + ind;
    }
}

static inline void y_free(yparser *p)
{
    for (size_t i = 0; i < p->n_sd; i++)
        free(p->sd[i]);
    free(p->sd);
    free(p->lines);
    free(p->storage);
    mobid_buf_free(&p->path);
}

/* Path stack, JSON Pointer escaping as in mobid_sdjwt paths. */
static inline size_t y_push(yparser *p, const char *seg)
{
    size_t mark = p->path.len;
    if (mark)
        mobid_buf_append_byte(&p->path, '/');
    for (const char *c = seg; *c; c++)
        mobid_buf_append_str(&p->path, *c == '~' ? "~0" : *c == '/' ? "~1" : (char[2]){ *c, 0 });
    return mark;
}

static inline size_t y_push_index(yparser *p, size_t i)
{
    char num[24];
    snprintf(num, sizeof num, "%zu", i);
    return y_push(p, num);
}

static inline void y_mark_sd(yparser *p)
{
    p->sd = realloc(p->sd, (p->n_sd + 1) * sizeof *p->sd);
    p->sd[p->n_sd++] = strndup((const char *)p->path.ptr, p->path.len);
}

/* Consume a "!sd" tag (followed by a blank or the end). */
static inline bool y_take_tag(const char **s)
{
    if (strncmp(*s, "!sd", 3) != 0 || ((*s)[3] && (*s)[3] != ' '))
        return false;
    *s += 3;
    while (**s == ' ')
        (*s)++;
    return true;
}

/* A quoted scalar at *s (which points at the quote); advances past it. */
static inline json_t *y_quoted(yparser *p, const char **s)
{
    char q = **s;
    mobid_buf out;
    mobid_buf_init(&out, 0);
    const char *c = *s + 1;
    for (; *c; c++) {
        if (*c == q && q == '\'' && c[1] == '\'') {
            mobid_buf_append_byte(&out, '\'');
            c++;
        } else if (*c == q) {
            break;
        } else if (*c == '\\' && q == '"' && c[1]) {
            c++;
            mobid_buf_append_byte(&out, *c == 'n' ? '\n' : *c == 't' ? '\t' : (uint8_t)*c);
        } else {
            mobid_buf_append_byte(&out, (uint8_t)*c);
        }
    }
    if (*c != q)
        y_fail(p, "unterminated quoted scalar");
    *s = *c ? c + 1 : c;
    json_t *j = json_stringn(out.len ? (const char *)out.ptr : "", out.len);
    mobid_buf_free(&out);
    return j;
}

/* Plain scalar resolution as PyYAML does for the values in the cases. */
static inline json_t *y_plain(const char *s, size_t n)
{
    char buf[4096];
    if (n >= sizeof buf)
        n = sizeof buf - 1;
    memcpy(buf, s, n);
    buf[n] = 0;
    while (n && buf[n - 1] == ' ')
        buf[--n] = 0;
    if (!strcmp(buf, "null") || !strcmp(buf, "Null") || !strcmp(buf, "NULL") || !strcmp(buf, "~"))
        return json_null();
    if (!strcmp(buf, "true") || !strcmp(buf, "True") || !strcmp(buf, "TRUE"))
        return json_true();
    if (!strcmp(buf, "false") || !strcmp(buf, "False") || !strcmp(buf, "FALSE"))
        return json_false();
    char *end = NULL;
    if (n && (isdigit((unsigned char)buf[0]) || ((buf[0] == '-' || buf[0] == '+') && n > 1))) {
        long long v = strtoll(buf, &end, 10);
        if (end && !*end)
            return json_integer(v);
        double d = strtod(buf, &end);
        if (end && !*end && strchr(buf, '.'))
            return json_real(d);
    }
    return json_string(buf);
}

static inline json_t *y_flow(yparser *p, const char **s);

static inline void y_skip_ws(const char **s)
{
    while (**s == ' ')
        (*s)++;
}

static inline json_t *y_flow_seq(yparser *p, const char **s)
{
    json_t *arr = json_array();
    (*s)++;
    for (size_t i = 0;; i++) {
        y_skip_ws(s);
        if (**s == ']') {
            (*s)++;
            return arr;
        }
        size_t mark = y_push_index(p, i);
        if (y_take_tag(s))
            y_mark_sd(p);
        json_array_append_new(arr, y_flow(p, s));
        p->path.len = mark;
        y_skip_ws(s);
        if (**s == ',')
            (*s)++;
        else if (**s != ']') {
            y_fail(p, "bad flow sequence");
            return arr;
        }
    }
}

static inline json_t *y_flow_map(yparser *p, const char **s)
{
    json_t *obj = json_object();
    (*s)++;
    for (;;) {
        y_skip_ws(s);
        if (**s == '}') {
            (*s)++;
            return obj;
        }
        bool sd = y_take_tag(s);
        json_t *key = (**s == '"' || **s == '\'') ? y_quoted(p, s) : NULL;
        if (!key) {
            size_t n = strcspn(*s, ":");
            key = json_stringn(*s, n);
            *s += n;
        }
        y_skip_ws(s);
        if (**s != ':') {
            y_fail(p, "bad flow mapping");
            json_decref(key);
            return obj;
        }
        (*s)++;
        y_skip_ws(s);
        size_t mark = y_push(p, json_string_value(key));
        if (sd)
            y_mark_sd(p);
        json_object_set_new(obj, json_string_value(key), y_flow(p, s));
        p->path.len = mark;
        json_decref(key);
        y_skip_ws(s);
        if (**s == ',')
            (*s)++;
    }
}

/* A flow node or scalar; in flow context plain scalars end at ',', ']' or '}'. */
static inline json_t *y_flow(yparser *p, const char **s)
{
    y_skip_ws(s);
    if (**s == '[')
        return y_flow_seq(p, s);
    if (**s == '{')
        return y_flow_map(p, s);
    if (**s == '"' || **s == '\'')
        return y_quoted(p, s);
    size_t n = strcspn(*s, ",]}");
    json_t *v = y_plain(*s, n);
    *s += n;
    return v;
}

/* A value on the rest of a line: flow node, quoted or plain scalar (plain runs to EOL). */
static inline json_t *y_inline(yparser *p, const char *s)
{
    if (*s == '[' || *s == '{' || *s == '"' || *s == '\'') {
        json_t *v = y_flow(p, &s);
        y_skip_ws(&s);
        if (*s)
            y_fail(p, "trailing text after a value");
        return v;
    }
    return y_plain(s, strlen(s));
}

static inline bool y_is_item(const char *t)
{
    return t[0] == '-' && (t[1] == ' ' || t[1] == 0);
}

/* Does the text start a mapping entry ("key: v", "key:", "!sd key:", "'k': v")? */
static inline bool y_is_entry(const char *t)
{
    y_take_tag(&t);
    if (*t == '"' || *t == '\'') {
        const char *close = strchr(t + 1, *t);
        return close && close[1] == ':';
    }
    if (*t == '[' || *t == '{')
        return false;
    const char *colon = strstr(t, ": ");
    return colon || (strlen(t) && t[strlen(t) - 1] == ':');
}

static inline json_t *y_block(yparser *p, int indent);

/* The value after "key:" or "- !sd": inline, or the block on the following lines. */
static inline json_t *y_value_after(yparser *p, const char *rest, int indent)
{
    if (*rest) {
        p->i++;
        return y_inline(p, rest);
    }
    p->i++;
    if (p->i < p->n && (p->lines[p->i].indent > indent ||
                        (p->lines[p->i].indent == indent && y_is_item(p->lines[p->i].text))))
        return y_block(p, p->lines[p->i].indent);
    return json_null();
}

static inline json_t *y_mapping(yparser *p, int indent)
{
    json_t *obj = json_object();
    while (!p->error[0] && p->i < p->n && p->lines[p->i].indent == indent &&
           !y_is_item(p->lines[p->i].text)) {
        const char *t = p->lines[p->i].text;
        bool sd = y_take_tag(&t);
        json_t *key = (*t == '"' || *t == '\'') ? y_quoted(p, &t) : NULL;
        if (!key) {
            size_t n = strcspn(t, ":");
            while (n && t[n - 1] == ' ')
                n--;
            key = json_stringn(t, n);
            t += strcspn(t, ":");
        }
        if (*t != ':') {
            y_fail(p, "expected 'key:'");
            json_decref(key);
            break;
        }
        t++;
        y_skip_ws(&t);
        size_t mark = y_push(p, json_string_value(key));
        if (sd)
            y_mark_sd(p);
        json_object_set_new(obj, json_string_value(key), y_value_after(p, t, indent));
        p->path.len = mark;
        json_decref(key);
    }
    return obj;
}

static inline json_t *y_sequence(yparser *p, int indent)
{
    json_t *arr = json_array();
    for (size_t idx = 0; !p->error[0] && p->i < p->n && p->lines[p->i].indent == indent &&
                         y_is_item(p->lines[p->i].text);
         idx++) {
        const char *t = p->lines[p->i].text + 1;
        y_skip_ws(&t);
        size_t mark = y_push_index(p, idx);
        if (y_take_tag(&t))
            y_mark_sd(p);
        if (*t && y_is_entry(t)) {
            /* "- key: v": the item is a mapping whose first entry shares the line. */
            p->lines[p->i].indent = indent + (int)(t - p->lines[p->i].text);
            p->lines[p->i].text = (char *)t;
            json_array_append_new(arr, y_mapping(p, p->lines[p->i].indent));
        } else {
            json_array_append_new(arr, y_value_after(p, t, indent));
        }
        p->path.len = mark;
    }
    return arr;
}

static inline json_t *y_block(yparser *p, int indent)
{
    if (p->i >= p->n)
        return json_null();
    return y_is_item(p->lines[p->i].text) ? y_sequence(p, indent) : y_mapping(p, indent);
}

/* Parse a whole document (a mapping at indent 0). NULL with p->error set on failure. */
static inline json_t *y_parse(yparser *p)
{
    json_t *doc = y_block(p, p->n ? p->lines[0].indent : 0);
    if (!p->error[0] && p->i != p->n)
        y_fail(p, "unexpected indentation");
    if (p->error[0]) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

#endif
