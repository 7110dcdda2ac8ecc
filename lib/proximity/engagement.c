/* DeviceEngagement (18013-5 §8.2.1.1): the holder's ephemeral key and how to reach
 * the device, as bytes and as the "mdoc:" QR URI. */
#include "px_internal.h"

#include <stdio.h>
#include <string.h>

#include <mobid/cose.h>

static void put_ble_options(mobid_cbor_enc *e, const mobid_px_retrieval *m)
{
    uint64_t n = 2 + (m->has_peripheral_uuid ? 1 : 0) + (m->has_central_uuid ? 1 : 0);
    mobid_cbor_put_map_head(e, n);
    mobid_cbor_put_uint(e, 0);
    mobid_cbor_put_bool(e, m->ble_peripheral_server);
    mobid_cbor_put_uint(e, 1);
    mobid_cbor_put_bool(e, m->ble_central_client);
    if (m->has_peripheral_uuid) {
        mobid_cbor_put_uint(e, 10);
        mobid_cbor_put_bytes(e, mobid_view_make(m->peripheral_uuid, 16));
    }
    if (m->has_central_uuid) {
        mobid_cbor_put_uint(e, 11);
        mobid_cbor_put_bytes(e, mobid_view_make(m->central_uuid, 16));
    }
}

static void put_method(mobid_cbor_enc *e, const mobid_px_retrieval *m)
{
    mobid_cbor_put_array_head(e, 3);
    mobid_cbor_put_uint(e, m->type);
    mobid_cbor_put_uint(e, m->version ? m->version : 1);
    if (m->type == MOBID_PX_RETRIEVAL_BLE) {
        put_ble_options(e, m);
    } else if (m->type == MOBID_PX_RETRIEVAL_TCP) {
        mobid_cbor_map_begin(e);
        mobid_cbor_put_cstr(e, "host");
        mobid_cbor_put_cstr(e, m->host);
        mobid_cbor_put_cstr(e, "port");
        mobid_cbor_put_uint(e, m->port);
        mobid_cbor_map_end(e);
    } else {
        mobid_cbor_put_map_head(e, 0);
    }
}

mobid_err mobid_px_engagement_encode(const mobid_key *e_device_key,
                                     const mobid_px_retrieval *methods, size_t n_methods,
                                     mobid_buf *out)
{
    mobid_cbor_enc e;
    if (!e_device_key || !out || (n_methods && !methods))
        return MOBID_ERR_INVALID_ARG;
    mobid_cbor_enc_init(&e, out);
    mobid_cbor_put_map_head(&e, n_methods ? 3 : 2);
    mobid_cbor_put_uint(&e, 0);
    mobid_cbor_put_cstr(&e, "1.0");
    mobid_cbor_put_uint(&e, 1);
    mobid_cbor_put_array_head(&e, 2);
    mobid_cbor_put_uint(&e, 1); /* cipher suite 1: ECDH, HKDF-SHA-256, AES-256-GCM */
    mobid_cbor_put_tag(&e, 24);
    mobid_cbor_bstr_begin(&e);
    mobid_err err = mobid_cose_key_encode(e_device_key, false, &e);
    mobid_cbor_bstr_end(&e);
    if (n_methods) {
        mobid_cbor_put_uint(&e, 2);
        mobid_cbor_put_array_head(&e, n_methods);
        for (size_t i = 0; i < n_methods; i++)
            put_method(&e, &methods[i]);
    }
    mobid_err fin = mobid_cbor_enc_finish(&e);
    return err != MOBID_OK ? err : fin;
}

/* A bool option of a BLE options map (absent = false). */
static bool opt_bool(const mobid_cbor_item *map, int64_t key)
{
    mobid_cbor_item v;
    bool b = false;
    return mobid_cbor_map_get_int(map, key, &v) == MOBID_OK &&
           mobid_cbor_get_bool(&v, &b) == MOBID_OK && b;
}

static bool opt_uuid(const mobid_cbor_item *map, int64_t key, uint8_t uuid[16])
{
    mobid_cbor_item v;
    mobid_view b;
    if (mobid_cbor_map_get_int(map, key, &v) != MOBID_OK ||
        mobid_cbor_get_bytes(&v, &b) != MOBID_OK || b.len != 16)
        return false;
    memcpy(uuid, b.ptr, 16);
    return true;
}

static mobid_err parse_tcp(const mobid_cbor_item *opts, mobid_px_retrieval *m)
{
    mobid_cbor_item v;
    mobid_view host;
    uint64_t port;
    if (mobid_cbor_map_get_text(opts, "host", &v) != MOBID_OK ||
        mobid_cbor_get_text(&v, &host) != MOBID_OK || host.len == 0 ||
        host.len >= sizeof m->host || memchr(host.ptr, 0, host.len) ||
        mobid_cbor_map_get_text(opts, "port", &v) != MOBID_OK ||
        mobid_cbor_get_uint64(&v, &port) != MOBID_OK || port == 0 || port > 65535)
        return MOBID_ERR_MALFORMED;
    memcpy(m->host, host.ptr, host.len);
    m->host[host.len] = '\0';
    m->port = (uint16_t)port;
    return MOBID_OK;
}

/* One DeviceRetrievalMethod; *known false for a type mobid does not speak. */
static mobid_err parse_method(const mobid_cbor_item *arr, mobid_px_retrieval *m, bool *known)
{
    mobid_cbor_iter it;
    mobid_cbor_item type, ver, opts;
    *known = false;
    memset(m, 0, sizeof *m);
    if (arr->type != MOBID_CBOR_ARRAY || arr->arg < 3)
        return MOBID_ERR_MALFORMED;
    mobid_cbor_iter_init(&it, arr);
    if (mobid_cbor_iter_next(&it, &type) || mobid_cbor_iter_next(&it, &ver) ||
        mobid_cbor_iter_next(&it, &opts) || mobid_cbor_get_uint64(&type, &m->type) ||
        mobid_cbor_get_uint64(&ver, &m->version) || opts.type != MOBID_CBOR_MAP)
        return MOBID_ERR_MALFORMED;
    if (m->type == MOBID_PX_RETRIEVAL_BLE) {
        m->ble_peripheral_server = opt_bool(&opts, 0);
        m->ble_central_client = opt_bool(&opts, 1);
        m->has_peripheral_uuid = opt_uuid(&opts, 10, m->peripheral_uuid);
        m->has_central_uuid = opt_uuid(&opts, 11, m->central_uuid);
        *known = true;
        return MOBID_OK;
    }
    if (m->type == MOBID_PX_RETRIEVAL_TCP) {
        *known = true;
        return parse_tcp(&opts, m);
    }
    return MOBID_OK;
}

static mobid_err parse_methods(const mobid_cbor_item *list, mobid_px_engagement *out)
{
    mobid_cbor_iter it;
    mobid_cbor_item m;
    bool known;
    if (list->type != MOBID_CBOR_ARRAY)
        return MOBID_ERR_MALFORMED;
    mobid_cbor_iter_init(&it, list);
    while (mobid_cbor_iter_next(&it, &m) == MOBID_OK) {
        mobid_px_retrieval r;
        mobid_err err = parse_method(&m, &r, &known);
        if (err)
            return err;
        if (known && out->n_methods < MOBID_PX_MAX_METHODS)
            out->methods[out->n_methods++] = r;
    }
    return MOBID_OK;
}

/* Security = [1, EDeviceKeyBytes]. */
static mobid_err parse_security(const mobid_cbor_item *sec, mobid_px_engagement *out)
{
    mobid_cbor_iter it;
    mobid_cbor_item suite, tagged, key;
    uint64_t id;
    if (sec->type != MOBID_CBOR_ARRAY || sec->arg != 2)
        return MOBID_ERR_MALFORMED;
    mobid_cbor_iter_init(&it, sec);
    if (mobid_cbor_iter_next(&it, &suite) || mobid_cbor_iter_next(&it, &tagged) ||
        mobid_cbor_get_uint64(&suite, &id))
        return MOBID_ERR_MALFORMED;
    if (id != 1)
        return MOBID_ERR_UNSUPPORTED;
    if (tagged.type != MOBID_CBOR_TAG || tagged.arg != 24 ||
        mobid_cbor_get_embedded(&tagged, &px_limits, &key, &out->e_device_key_bytes) ||
        key.type != MOBID_CBOR_MAP)
        return MOBID_ERR_MALFORMED;
    return mobid_cose_key_decode(&key, &out->e_device_key);
}

mobid_err mobid_px_engagement_parse(mobid_view in, mobid_px_engagement *out)
{
    mobid_cbor_item de, v;
    mobid_err err;
    if (!out)
        return MOBID_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    err = px_decode_map(in, &de);
    if (err)
        return err;
    if (mobid_cbor_map_get_int(&de, 0, &v) || mobid_cbor_get_text(&v, &out->version) ||
        out->version.len < 2 || memcmp(out->version.ptr, "1.", 2) != 0)
        return MOBID_ERR_MALFORMED;
    if (mobid_cbor_map_get_int(&de, 1, &v))
        return MOBID_ERR_MALFORMED;
    err = parse_security(&v, out);
    if (!err && mobid_cbor_map_get_int(&de, 2, &v) == MOBID_OK)
        err = parse_methods(&v, out);
    return err;
}

void mobid_px_engagement_clear(mobid_px_engagement *e)
{
    if (!e)
        return;
    mobid_key_free(e->e_device_key);
    memset(e, 0, sizeof *e);
}

mobid_err mobid_px_engagement_to_uri(mobid_view engagement, mobid_buf *out)
{
    if (!out || !engagement.len)
        return MOBID_ERR_INVALID_ARG;
    mobid_err err = mobid_buf_append_str(out, "mdoc:");
    return err ? err : mobid_b64url_encode(engagement, out);
}

mobid_err mobid_px_engagement_from_uri(mobid_view uri, mobid_buf *out)
{
    if (!out)
        return MOBID_ERR_INVALID_ARG;
    if (uri.len <= 5 || memcmp(uri.ptr, "mdoc:", 5) != 0)
        return MOBID_ERR_MALFORMED;
    size_t before = out->len;
    mobid_err err = mobid_b64url_decode(mobid_view_make(uri.ptr + 5, uri.len - 5), out);
    if (err) {
        out->len = before;
        return MOBID_ERR_MALFORMED;
    }
    return MOBID_OK;
}
