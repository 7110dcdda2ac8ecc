/* The JSON and CBOR forms of a status list, and the status reference that
 * credentials carry ("status": {"status_list": {"idx": N, "uri": U}}). */
#include "statuslist_int.h"

#include <string.h>

/* Largest JSON text accepted for a list: 64 MiB packed can deflate to no more
 * than a little over that, and base64url grows it by a third. */
#define JSON_LIST_MAX ((size_t)96 * 1024 * 1024)

mobid_err mobid_statuslist_to_json(const mobid_statuslist *l, mobid_statuslist_zlib mode,
                                   mobid_buf *out)
{
    if (!l || !out)
        return MOBID_ERR_INVALID_ARG;
    mobid_buf z;
    mobid_buf_init(&z, 0);
    mobid_err err = mobid_statuslist_compress(l, mode, &z);
    if (err != MOBID_OK)
        goto done;
    char head[32];
    snprintf(head, sizeof head, "{\"bits\":%u,\"lst\":\"", mobid_statuslist_bits(l));
    mobid_buf_append_str(out, head);
    mobid_b64url_encode(mobid_buf_view(&z), out);
    err = mobid_buf_append_str(out, "\"}");
done:
    mobid_buf_free(&z);
    return err;
}

/* bits as a JSON or CBOR integer must be one of 1, 2, 4, 8. */
static mobid_err check_bits(int64_t bits, unsigned *out)
{
    if (bits != 1 && bits != 2 && bits != 4 && bits != 8)
        return MOBID_ERR_MALFORMED;
    *out = (unsigned)bits;
    return MOBID_OK;
}

mobid_err statuslist_from_json_obj(const json_t *obj, const mobid_statuslist_limits *lim,
                                   mobid_statuslist **out)
{
    if (!json_is_object(obj))
        return MOBID_ERR_MALFORMED;
    const json_t *jbits = json_object_get(obj, "bits");
    const json_t *jlst = json_object_get(obj, "lst");
    if (!json_is_integer(jbits) || !json_is_string(jlst))
        return MOBID_ERR_MALFORMED;
    unsigned bits;
    mobid_err err = check_bits(json_integer_value(jbits), &bits);
    if (err != MOBID_OK)
        return err;
    mobid_buf z;
    mobid_buf_init(&z, JSON_LIST_MAX);
    err = mobid_b64url_decode(mobid_view_make(json_string_value(jlst), json_string_length(jlst)),
                              &z);
    if (err == MOBID_OK)
        err = mobid_statuslist_decompress(bits, mobid_buf_view(&z), lim, out);
    mobid_buf_free(&z);
    return err;
}

mobid_err statuslist_json_load(mobid_view text, size_t max, json_t **out)
{
    *out = NULL;
    if (text.len > max)
        return MOBID_ERR_TOO_BIG;
    json_error_t jerr;
    *out = json_loadb((const char *)text.ptr, text.len, JSON_REJECT_DUPLICATES, &jerr);
    return *out ? MOBID_OK : MOBID_ERR_MALFORMED;
}

mobid_err mobid_statuslist_from_json(mobid_view json, const mobid_statuslist_limits *lim,
                                     mobid_statuslist **out)
{
    if (!out)
        return MOBID_ERR_INVALID_ARG;
    *out = NULL;
    json_t *obj = NULL;
    mobid_err err = statuslist_json_load(json, JSON_LIST_MAX, &obj);
    if (err == MOBID_OK)
        err = statuslist_from_json_obj(obj, lim, out);
    json_decref(obj);
    return err;
}

mobid_err mobid_statuslist_to_cbor(const mobid_statuslist *l, mobid_statuslist_zlib mode,
                                   mobid_cbor_enc *enc)
{
    if (!l || !enc)
        return MOBID_ERR_INVALID_ARG;
    mobid_buf z;
    mobid_buf_init(&z, 0);
    mobid_err err = mobid_statuslist_compress(l, mode, &z);
    if (err != MOBID_OK)
        goto done;
    /* The draft's example writes "bits" before "lst"; RFC 8949 sorting would put
     * "lst" first. Follow the draft so its bytes are reproduced exactly. */
    mobid_cbor_put_map_head(enc, 2);
    mobid_cbor_put_cstr(enc, "bits");
    mobid_cbor_put_uint(enc, mobid_statuslist_bits(l));
    mobid_cbor_put_cstr(enc, "lst");
    mobid_cbor_put_bytes(enc, mobid_buf_view(&z));
    err = enc->err;
done:
    mobid_buf_free(&z);
    return err;
}

mobid_err mobid_statuslist_from_cbor(const mobid_cbor_item *map,
                                     const mobid_statuslist_limits *lim,
                                     mobid_statuslist **out)
{
    if (!map || !out)
        return MOBID_ERR_INVALID_ARG;
    *out = NULL;
    if (map->type != MOBID_CBOR_MAP)
        return MOBID_ERR_MALFORMED;
    mobid_cbor_item ibits, ilst;
    int64_t bits64;
    mobid_view z;
    if (mobid_cbor_map_get_text(map, "bits", &ibits) != MOBID_OK ||
        mobid_cbor_map_get_text(map, "lst", &ilst) != MOBID_OK ||
        mobid_cbor_get_int64(&ibits, &bits64) != MOBID_OK ||
        mobid_cbor_get_bytes(&ilst, &z) != MOBID_OK)
        return MOBID_ERR_MALFORMED;
    unsigned bits;
    mobid_err err = check_bits(bits64, &bits);
    if (err != MOBID_OK)
        return err;
    return mobid_statuslist_decompress(bits, z, lim, out);
}

/* ------------------------------------------------------- status reference */

void mobid_status_ref_clear(mobid_status_ref *r)
{
    if (!r)
        return;
    mobid_free(r->uri);
    r->uri = NULL;
    r->idx = 0;
}

mobid_err mobid_status_ref_from_json(mobid_view status_json, mobid_status_ref *out)
{
    if (!out)
        return MOBID_ERR_INVALID_ARG;
    out->uri = NULL;
    out->idx = 0;
    json_t *status = NULL;
    mobid_err err = statuslist_json_load(status_json, 1024 * 1024, &status);
    if (err != MOBID_OK)
        goto done;
    const json_t *sl = json_object_get(status, "status_list");
    if (!json_is_object(status) || !sl) {
        err = json_is_object(status) ? MOBID_ERR_NOT_FOUND : MOBID_ERR_MALFORMED;
        goto done;
    }
    const json_t *idx = json_object_get(sl, "idx");
    const json_t *uri = json_object_get(sl, "uri");
    if (!json_is_integer(idx) || json_integer_value(idx) < 0 || !json_is_string(uri)) {
        err = MOBID_ERR_MALFORMED;
        goto done;
    }
    out->uri = mobid_view_strdup(mobid_view_make(json_string_value(uri), json_string_length(uri)));
    if (!out->uri) {
        err = MOBID_ERR_NOMEM;
        goto done;
    }
    out->idx = (uint64_t)json_integer_value(idx);
done:
    json_decref(status);
    return err;
}

mobid_err mobid_status_ref_from_cbor(const mobid_cbor_item *status, mobid_status_ref *out)
{
    if (!status || !out)
        return MOBID_ERR_INVALID_ARG;
    out->uri = NULL;
    out->idx = 0;
    if (status->type != MOBID_CBOR_MAP)
        return MOBID_ERR_MALFORMED;
    mobid_cbor_item sl, iidx, iuri;
    mobid_err err = mobid_cbor_map_get_text(status, "status_list", &sl);
    if (err != MOBID_OK)
        return err == MOBID_ERR_NOT_FOUND ? err : MOBID_ERR_MALFORMED;
    mobid_view uri;
    uint64_t idx;
    if (sl.type != MOBID_CBOR_MAP || mobid_cbor_map_get_text(&sl, "idx", &iidx) != MOBID_OK ||
        mobid_cbor_map_get_text(&sl, "uri", &iuri) != MOBID_OK ||
        mobid_cbor_get_uint64(&iidx, &idx) != MOBID_OK ||
        mobid_cbor_get_text(&iuri, &uri) != MOBID_OK || (uri.len && memchr(uri.ptr, 0, uri.len)))
        return MOBID_ERR_MALFORMED;
    out->uri = mobid_view_strdup(uri);
    if (!out->uri)
        return MOBID_ERR_NOMEM;
    out->idx = idx;
    return MOBID_OK;
}
