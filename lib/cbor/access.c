/*
 * Navigation over validated items: iterators, map lookups, typed accessors.
 * Children are found by re-walking the parent's content (no allocation, no
 * index); the spans handed out are views into the caller's input.
 */
#include "cbor_internal.h"

#include <string.h>

void mobid_cbor_iter_init(mobid_cbor_iter *it, const mobid_cbor_item *c)
{
    it->rest = mobid_view_make(NULL, 0);
    it->remaining = 0;
    it->indefinite = c->indefinite;
    switch (c->type) {
    case MOBID_CBOR_ARRAY:
        it->remaining = c->arg;
        break;
    case MOBID_CBOR_MAP:
        it->remaining = 2 * c->arg; /* arg <= input length / 2: no overflow */
        break;
    case MOBID_CBOR_TAG:
        it->remaining = 1;
        it->indefinite = false;
        break;
    case MOBID_CBOR_BYTES:
    case MOBID_CBOR_TEXT:
        it->remaining = c->indefinite ? UINT64_MAX : 0;
        break;
    default:
        it->indefinite = false;
        return;
    }
    it->rest = c->content;
}

mobid_err mobid_cbor_iter_next(mobid_cbor_iter *it, mobid_cbor_item *out)
{
    size_t len = 0;
    uint64_t indef_arg = 0;
    mobid_err err = MOBID_ERR_NOT_FOUND;
    if (it->remaining == 0 || it->rest.len == 0)
        goto done;
    if (it->indefinite && it->rest.ptr[0] == 0xff)
        goto done; /* the break */
    err = cbor_skip_definite(it->rest, &len);
    if (err == MOBID_ERR_NOT_FOUND) /* holds indefinite items: the full walk */
        err = cbor_scan(it->rest, &cbor_trusted_limits, false, &len, &indef_arg);
    if (err != MOBID_OK)
        goto done;
    cbor_describe(mobid_view_make(it->rest.ptr, len), indef_arg, out);
    it->rest.ptr += len;
    it->rest.len -= len;
    if (!it->indefinite)
        it->remaining--;
done:
    return err;
}

mobid_err mobid_cbor_tag_content(const mobid_cbor_item *tag, mobid_cbor_item *out)
{
    if (tag->type != MOBID_CBOR_TAG)
        return MOBID_ERR_MALFORMED;
    mobid_cbor_iter it;
    mobid_cbor_iter_init(&it, tag);
    mobid_err err = mobid_cbor_iter_next(&it, out);
    return err == MOBID_ERR_NOT_FOUND ? MOBID_ERR_MALFORMED : err;
}

/* Walk the pairs of `map`; match() decides on each key. */
typedef bool (*key_match_fn)(const mobid_cbor_item *key, const void *want);

static mobid_err map_find(const mobid_cbor_item *map, key_match_fn match, const void *want,
                          mobid_cbor_item *out)
{
    mobid_cbor_iter it;
    mobid_cbor_item key, val;
    mobid_err err = MOBID_ERR_MALFORMED;
    if (map->type != MOBID_CBOR_MAP)
        goto done;
    mobid_cbor_iter_init(&it, map);
    while ((err = mobid_cbor_iter_next(&it, &key)) == MOBID_OK) {
        if ((err = mobid_cbor_iter_next(&it, &val)) != MOBID_OK)
            break;
        if (match(&key, want)) {
            *out = val;
            goto done;
        }
    }
    if (err == MOBID_ERR_NOT_FOUND || err == MOBID_OK)
        err = MOBID_ERR_NOT_FOUND;
done:
    return err;
}

static bool match_text(const mobid_cbor_item *key, const void *want)
{
    return key->type == MOBID_CBOR_TEXT && !key->indefinite &&
           mobid_view_eq_str(key->str, (const char *)want);
}

static bool match_int(const mobid_cbor_item *key, const void *want)
{
    int64_t v;
    return mobid_cbor_get_int64(key, &v) == MOBID_OK && v == *(const int64_t *)want;
}

mobid_err mobid_cbor_map_get_text(const mobid_cbor_item *map, const char *key,
                                  mobid_cbor_item *out)
{
    if (!key)
        return MOBID_ERR_INVALID_ARG;
    return map_find(map, match_text, key, out);
}

mobid_err mobid_cbor_map_get_int(const mobid_cbor_item *map, int64_t key, mobid_cbor_item *out)
{
    return map_find(map, match_int, &key, out);
}

mobid_err mobid_cbor_get_int64(const mobid_cbor_item *it, int64_t *out)
{
    if ((it->type != MOBID_CBOR_UINT && it->type != MOBID_CBOR_NEGINT) || it->arg > INT64_MAX)
        return MOBID_ERR_MALFORMED;
    *out = it->type == MOBID_CBOR_UINT ? (int64_t)it->arg : -1 - (int64_t)it->arg;
    return MOBID_OK;
}

mobid_err mobid_cbor_get_uint64(const mobid_cbor_item *it, uint64_t *out)
{
    if (it->type != MOBID_CBOR_UINT)
        return MOBID_ERR_MALFORMED;
    *out = it->arg;
    return MOBID_OK;
}

mobid_err mobid_cbor_get_bool(const mobid_cbor_item *it, bool *out)
{
    if (it->type != MOBID_CBOR_SIMPLE || (it->arg != MOBID_CBOR_TRUE && it->arg != MOBID_CBOR_FALSE))
        return MOBID_ERR_MALFORMED;
    *out = it->arg == MOBID_CBOR_TRUE;
    return MOBID_OK;
}

mobid_err mobid_cbor_get_text(const mobid_cbor_item *it, mobid_view *out)
{
    if (it->type != MOBID_CBOR_TEXT || it->indefinite)
        return MOBID_ERR_MALFORMED;
    *out = it->str;
    return MOBID_OK;
}

mobid_err mobid_cbor_get_bytes(const mobid_cbor_item *it, mobid_view *out)
{
    if (it->type != MOBID_CBOR_BYTES || it->indefinite)
        return MOBID_ERR_MALFORMED;
    *out = it->str;
    return MOBID_OK;
}

bool mobid_cbor_is_null(const mobid_cbor_item *it)
{
    return it->type == MOBID_CBOR_SIMPLE && it->arg == MOBID_CBOR_NULL;
}

mobid_err mobid_cbor_get_embedded(const mobid_cbor_item *tag24, const mobid_cbor_limits *lim,
                                  mobid_cbor_item *out, mobid_view *bytes)
{
    mobid_cbor_item inner;
    mobid_view content;
    mobid_err err = MOBID_ERR_MALFORMED;
    if (tag24->type != MOBID_CBOR_TAG || tag24->arg != 24)
        goto done;
    if ((err = mobid_cbor_tag_content(tag24, &inner)) != MOBID_OK)
        goto done;
    if ((err = mobid_cbor_get_bytes(&inner, &content)) != MOBID_OK)
        goto done;
    if ((err = mobid_cbor_decode_exact(content, lim, out)) != MOBID_OK)
        goto done;
    if (bytes)
        *bytes = content;
done:
    return err;
}
