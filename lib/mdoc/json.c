/* Element values between CBOR and the JSON that people and scripts read and write. */
#include <mobid/mdoc.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#define JSON_MAX_DEPTH 32

static mobid_err item_to_json(const mobid_cbor_item *it, unsigned depth, json_t **out);

static json_t *json_from_view(mobid_view v)
{
    return json_stringn((const char *)v.ptr, v.len);
}

static mobid_err bytes_to_json(mobid_view v, json_t **out)
{
    mobid_buf b;
    mobid_buf_init(&b, 0);
    mobid_err err = mobid_b64url_encode(v, &b);
    if (err == MOBID_OK) {
        *out = json_stringn(b.len ? (const char *)b.ptr : "", b.len);
        if (!*out)
            err = MOBID_ERR_NOMEM;
    }
    mobid_buf_free(&b);
    return err;
}

/* A map key as a JSON object key: text as is, anything else as diagnostic text. */
static mobid_err key_text(const mobid_cbor_item *k, mobid_buf *out)
{
    if (k->type == MOBID_CBOR_TEXT && !k->indefinite)
        return mobid_buf_append_view(out, k->str);
    mobid_err err = mobid_cbor_diag(k->span, NULL, out);
    while (err == MOBID_OK && out->len && out->ptr[out->len - 1] == '\n')
        out->len--;
    return err;
}

static mobid_err container_to_json(const mobid_cbor_item *it, unsigned depth, json_t **out)
{
    mobid_cbor_iter iter;
    mobid_cbor_item k, v;
    mobid_buf key;
    json_t *j = it->type == MOBID_CBOR_ARRAY ? json_array() : json_object();
    json_t *child = NULL;
    mobid_err err = j ? MOBID_OK : MOBID_ERR_NOMEM;

    mobid_buf_init(&key, 0);
    mobid_cbor_iter_init(&iter, it);
    while (err == MOBID_OK && mobid_cbor_iter_next(&iter, &k) == MOBID_OK) {
        if (it->type == MOBID_CBOR_ARRAY) {
            err = item_to_json(&k, depth + 1, &child);
            if (err == MOBID_OK && json_array_append_new(j, child) != 0)
                err = MOBID_ERR_NOMEM;
            child = NULL;
            continue;
        }
        if (mobid_cbor_iter_next(&iter, &v) != MOBID_OK) {
            err = MOBID_ERR_MALFORMED;
            break;
        }
        key.len = 0;
        err = key_text(&k, &key);
        if (err == MOBID_OK)
            err = mobid_buf_terminate(&key);
        if (err == MOBID_OK)
            err = item_to_json(&v, depth + 1, &child);
        if (err == MOBID_OK && json_object_set_new(j, (const char *)key.ptr, child) != 0)
            err = MOBID_ERR_NOMEM;
        child = NULL;
    }
    mobid_buf_free(&key);
    if (err != MOBID_OK) {
        json_decref(j);
        return err;
    }
    *out = j;
    return MOBID_OK;
}

static mobid_err tag_to_json(const mobid_cbor_item *it, unsigned depth, json_t **out)
{
    mobid_cbor_item inner;
    mobid_err err = mobid_cbor_tag_content(it, &inner);
    if (err != MOBID_OK)
        return err;
    if ((it->arg == 1004 || it->arg == 0) && inner.type == MOBID_CBOR_TEXT && !inner.indefinite) {
        *out = json_from_view(inner.str);
        return *out ? MOBID_OK : MOBID_ERR_MALFORMED;
    }
    if (it->arg == 100 || it->arg == 1) {
        int64_t n;
        char s[21];
        if (mobid_cbor_get_int64(&inner, &n) != MOBID_OK)
            return item_to_json(&inner, depth + 1, out);
        err = it->arg == 100 ? mobid_date_format(n, s) : mobid_time_format_rfc3339(n, s);
        if (err != MOBID_OK)
            return err;
        *out = json_string(s);
        return *out ? MOBID_OK : MOBID_ERR_NOMEM;
    }
    /* Other tags (including 24) show their content. */
    return item_to_json(&inner, depth + 1, out);
}

static mobid_err simple_to_json(const mobid_cbor_item *it, json_t **out)
{
    if (it->type == MOBID_CBOR_FLOAT) {
        *out = isfinite(it->f) ? json_real(it->f) : json_null();
    } else if (it->arg == MOBID_CBOR_TRUE || it->arg == MOBID_CBOR_FALSE) {
        *out = json_boolean(it->arg == MOBID_CBOR_TRUE);
    } else {
        *out = json_null();
    }
    return *out ? MOBID_OK : MOBID_ERR_NOMEM;
}

static mobid_err string_to_json(const mobid_cbor_item *it, json_t **out)
{
    mobid_buf b;
    mobid_cbor_iter iter;
    mobid_cbor_item chunk;
    mobid_err err;

    if (!it->indefinite) {
        if (it->type == MOBID_CBOR_BYTES)
            return bytes_to_json(it->str, out);
        *out = json_from_view(it->str);
        return *out ? MOBID_OK : MOBID_ERR_MALFORMED;
    }
    mobid_buf_init(&b, 0);
    mobid_cbor_iter_init(&iter, it);
    while (mobid_cbor_iter_next(&iter, &chunk) == MOBID_OK)
        mobid_buf_append_view(&b, chunk.str);
    err = b.err;
    if (err == MOBID_OK && it->type == MOBID_CBOR_BYTES) {
        err = bytes_to_json(mobid_buf_view(&b), out);
    } else if (err == MOBID_OK) {
        *out = json_from_view(mobid_buf_view(&b));
        err = *out ? MOBID_OK : MOBID_ERR_MALFORMED;
    }
    mobid_buf_free(&b);
    return err;
}

static mobid_err item_to_json(const mobid_cbor_item *it, unsigned depth, json_t **out)
{
    int64_t n;
    if (depth > JSON_MAX_DEPTH)
        return MOBID_ERR_TOO_DEEP;
    switch (it->type) {
    case MOBID_CBOR_UINT:
    case MOBID_CBOR_NEGINT:
        if (mobid_cbor_get_int64(it, &n) == MOBID_OK)
            *out = json_integer(n);
        else
            *out = json_real(it->type == MOBID_CBOR_UINT ? (double)it->arg
                                                         : -1.0 - (double)it->arg);
        return *out ? MOBID_OK : MOBID_ERR_NOMEM;
    case MOBID_CBOR_BYTES:
    case MOBID_CBOR_TEXT:
        return string_to_json(it, out);
    case MOBID_CBOR_ARRAY:
    case MOBID_CBOR_MAP:
        return container_to_json(it, depth, out);
    case MOBID_CBOR_TAG:
        return tag_to_json(it, depth, out);
    default:
        return simple_to_json(it, out);
    }
}

mobid_err mobid_mdoc_value_to_json(mobid_view cbor, json_t **out)
{
    mobid_cbor_item it;
    if (!out)
        return MOBID_ERR_INVALID_ARG;
    if (mobid_cbor_decode_exact(cbor, NULL, &it) != MOBID_OK)
        return MOBID_ERR_MALFORMED;
    return item_to_json(&it, 0, out);
}

/* {"$date"|"$tdate"|"$bytes": "..."} with exactly one member; false if not a marker. */
static bool put_marker(const json_t *j, mobid_cbor_enc *e)
{
    const char *k;
    json_t *v;
    if (json_object_size(j) != 1)
        return false;
    json_object_foreach((json_t *)j, k, v) {
        if (!json_is_string(v) || k[0] != '$')
            return false;
        mobid_view s = mobid_view_make(json_string_value(v), json_string_length(v));
        if (!strcmp(k, "$date")) {
            int64_t days;
            if (mobid_date_parse(s, &days) != MOBID_OK && e->err == MOBID_OK)
                e->err = MOBID_ERR_BAD_TIME;
            mobid_cbor_put_tag(e, 1004);
            mobid_cbor_put_text(e, s);
        } else if (!strcmp(k, "$tdate")) {
            mobid_time t;
            if (mobid_time_parse_rfc3339(s, &t, NULL) != MOBID_OK && e->err == MOBID_OK)
                e->err = MOBID_ERR_BAD_TIME;
            mobid_cbor_put_tag(e, 0);
            mobid_cbor_put_text(e, s);
        } else if (!strcmp(k, "$bytes")) {
            mobid_buf b;
            mobid_buf_init(&b, 0);
            if (mobid_b64url_decode(s, &b) != MOBID_OK && e->err == MOBID_OK)
                e->err = MOBID_ERR_BAD_BASE64;
            mobid_cbor_put_bytes(e, mobid_buf_view(&b));
            mobid_buf_free(&b);
        } else {
            return false;
        }
    }
    return true;
}

static void from_json(const json_t *j, mobid_cbor_enc *e, unsigned depth)
{
    const char *k;
    json_t *v;
    size_t i;
    if (depth > JSON_MAX_DEPTH) {
        if (e->err == MOBID_OK)
            e->err = MOBID_ERR_TOO_DEEP;
        return;
    }
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        if (put_marker(j, e))
            return;
        mobid_cbor_map_begin(e);
        json_object_foreach((json_t *)j, k, v) {
            mobid_cbor_put_cstr(e, k);
            from_json(v, e, depth + 1);
        }
        mobid_cbor_map_end(e);
        return;
    case JSON_ARRAY:
        mobid_cbor_put_array_head(e, json_array_size(j));
        json_array_foreach(j, i, v)
            from_json(v, e, depth + 1);
        return;
    case JSON_STRING:
        mobid_cbor_put_text(e, mobid_view_make(json_string_value(j), json_string_length(j)));
        return;
    case JSON_INTEGER:
        mobid_cbor_put_int(e, (int64_t)json_integer_value(j));
        return;
    case JSON_REAL:
        mobid_cbor_put_float(e, json_real_value(j));
        return;
    case JSON_TRUE:
    case JSON_FALSE:
        mobid_cbor_put_bool(e, json_is_true(j));
        return;
    default:
        mobid_cbor_put_null(e);
        return;
    }
}

mobid_err mobid_mdoc_value_from_json(const json_t *j, mobid_cbor_enc *enc)
{
    if (!j || !enc)
        return MOBID_ERR_INVALID_ARG;
    from_json(j, enc, 0);
    return enc->err;
}

mobid_err mobid_mdoc_doc_claims_json(const mobid_mdoc_doc *d, json_t **out)
{
    json_t *claims = json_object();
    mobid_err err = claims ? MOBID_OK : MOBID_ERR_NOMEM;
    for (size_t i = 0; err == MOBID_OK && i < d->n_items; i++) {
        const mobid_mdoc_item *it = &d->items[i];
        char *ns = mobid_view_strdup(it->ns);
        char *id = mobid_view_strdup(it->id);
        json_t *value = NULL, *nsobj;
        err = ns && id ? mobid_mdoc_value_to_json(it->value, &value) : MOBID_ERR_NOMEM;
        if (err == MOBID_OK) {
            nsobj = json_object_get(claims, ns);
            if (!nsobj) {
                nsobj = json_object();
                if (json_object_set_new(claims, ns, nsobj) != 0)
                    err = MOBID_ERR_NOMEM;
            }
            if (err == MOBID_OK && json_object_set_new(nsobj, id, value) != 0)
                err = MOBID_ERR_NOMEM;
            value = NULL;
        }
        json_decref(value);
        mobid_free(ns);
        mobid_free(id);
    }
    if (err != MOBID_OK) {
        json_decref(claims);
        return err;
    }
    *out = claims;
    return MOBID_OK;
}
