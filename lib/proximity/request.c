/* DeviceRequest (18013-5 §8.3.2.1.2.1): parsing what a reader asks, and building
 * it on the reader's side. */
#include "px_internal.h"

#include <string.h>

#include <mobid/cose.h>

/* The items of one namespace map {id: intentToRetain}, appended to r->items_. */
static mobid_err parse_namespace(mobid_view ns, const mobid_cbor_item *map,
                                 mobid_px_device_request *r, size_t *n_items)
{
    mobid_cbor_iter it;
    mobid_cbor_item k, v;
    if (map->type != MOBID_CBOR_MAP)
        return MOBID_ERR_MALFORMED;
    mobid_cbor_iter_init(&it, map);
    while (mobid_cbor_iter_next(&it, &k) == MOBID_OK) {
        mobid_px_item *item;
        if (mobid_cbor_iter_next(&it, &v))
            return MOBID_ERR_MALFORMED;
        if (*n_items >= MOBID_PX_MAX_ITEMS)
            return MOBID_ERR_LIMIT;
        item = &r->items_[(*n_items)++];
        item->ns = ns;
        if (mobid_cbor_get_text(&k, &item->id) ||
            mobid_cbor_get_bool(&v, &item->intent_to_retain))
            return MOBID_ERR_MALFORMED;
    }
    return MOBID_OK;
}

static bool duplicate(const mobid_px_doc_request *d, const mobid_px_item *last)
{
    for (const mobid_px_item *p = d->items; p < last; p++)
        if (mobid_view_eq(p->ns, last->ns) && mobid_view_eq(p->id, last->id))
            return true;
    return false;
}

static mobid_err parse_items_request(const mobid_cbor_item *ir, mobid_px_device_request *r,
                                     mobid_px_doc_request *d, size_t *n_items)
{
    mobid_cbor_item m, nss, k, v;
    mobid_cbor_iter it;
    mobid_err err;
    if (ir->type != MOBID_CBOR_TAG || ir->arg != 24 ||
        mobid_cbor_get_embedded(ir, &px_limits, &m, NULL) || m.type != MOBID_CBOR_MAP)
        return MOBID_ERR_MALFORMED;
    d->items_request_bytes = ir->span;
    if (mobid_cbor_map_get_text(&m, "docType", &v) || mobid_cbor_get_text(&v, &d->doctype) ||
        mobid_cbor_map_get_text(&m, "nameSpaces", &nss) || nss.type != MOBID_CBOR_MAP)
        return MOBID_ERR_MALFORMED;
    if (mobid_cbor_map_get_text(&m, "requestInfo", &v) == MOBID_OK) {
        if (v.type != MOBID_CBOR_MAP)
            return MOBID_ERR_MALFORMED;
        d->request_info = v.span;
    }
    d->items = r->items_ + *n_items;
    mobid_cbor_iter_init(&it, &nss);
    while (mobid_cbor_iter_next(&it, &k) == MOBID_OK) {
        mobid_view ns;
        size_t first = *n_items;
        if (mobid_cbor_iter_next(&it, &v) || mobid_cbor_get_text(&k, &ns))
            return MOBID_ERR_MALFORMED;
        if ((err = parse_namespace(ns, &v, r, n_items)))
            return err;
        for (size_t i = first; i < *n_items; i++)
            if (duplicate(d, &r->items_[i]))
                return MOBID_ERR_MALFORMED;
    }
    d->n_items = (size_t)(r->items_ + *n_items - d->items);
    return MOBID_OK;
}

static mobid_err parse_doc_request(const mobid_cbor_item *dr, mobid_px_device_request *r,
                                   size_t *n_items)
{
    mobid_cbor_item ir, ra;
    mobid_px_doc_request *d;
    mobid_err err;
    if (dr->type != MOBID_CBOR_MAP || mobid_cbor_map_get_text(dr, "itemsRequest", &ir))
        return MOBID_ERR_MALFORMED;
    if (r->n_docs >= MOBID_PX_MAX_DOCS)
        return MOBID_ERR_LIMIT;
    d = &r->docs[r->n_docs++];
    if ((err = parse_items_request(&ir, r, d, n_items)))
        return err;
    if (mobid_cbor_map_get_text(dr, "readerAuth", &ra) == MOBID_OK) {
        if (ra.type != MOBID_CBOR_ARRAY && ra.type != MOBID_CBOR_TAG)
            return MOBID_ERR_MALFORMED;
        d->reader_auth = ra.span;
    }
    return MOBID_OK;
}

mobid_err mobid_px_device_request_parse(mobid_view in, mobid_px_device_request *out)
{
    mobid_cbor_item m, v, dr;
    mobid_cbor_iter it;
    size_t n_items = 0;
    mobid_err err;
    if (!out)
        return MOBID_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    if ((err = px_decode_map(in, &m)))
        return err;
    if (mobid_cbor_map_get_text(&m, "version", &v) || mobid_cbor_get_text(&v, &out->version) ||
        out->version.len < 2 || out->version.ptr[1] != '.')
        return MOBID_ERR_MALFORMED;
    if (out->version.ptr[0] != '1')
        return MOBID_ERR_UNSUPPORTED;
    if (mobid_cbor_map_get_text(&m, "docRequests", &v) || v.type != MOBID_CBOR_ARRAY ||
        v.arg == 0)
        return MOBID_ERR_MALFORMED;
    if (!(out->items_ = mobid_calloc(MOBID_PX_MAX_ITEMS, sizeof *out->items_)))
        return MOBID_ERR_NOMEM;
    mobid_cbor_iter_init(&it, &v);
    while (!err && mobid_cbor_iter_next(&it, &dr) == MOBID_OK)
        err = parse_doc_request(&dr, out, &n_items);
    return err;
}

void mobid_px_device_request_clear(mobid_px_device_request *r)
{
    if (!r)
        return;
    mobid_free(r->items_);
    memset(r, 0, sizeof *r);
}

/* ------------------------------------------------------------- building */

static bool same_ns(mobid_view a, mobid_view b)
{
    return mobid_view_eq(a, b);
}

/* nameSpaces {ns: {id: intentToRetain}} in the caller's order. */
static void put_namespaces(mobid_cbor_enc *e, const mobid_px_doc_spec *d)
{
    size_t n_ns = 0;
    for (size_t i = 0; i < d->n_items; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = same_ns(d->items[j].ns, d->items[i].ns);
        n_ns += !seen;
    }
    mobid_cbor_put_map_head(e, n_ns);
    for (size_t i = 0; i < d->n_items; i++) {
        bool seen = false;
        size_t n = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = same_ns(d->items[j].ns, d->items[i].ns);
        if (seen)
            continue;
        for (size_t k = i; k < d->n_items; k++)
            n += same_ns(d->items[k].ns, d->items[i].ns);
        mobid_cbor_put_text(e, d->items[i].ns);
        mobid_cbor_put_map_head(e, n);
        for (size_t k = i; k < d->n_items; k++) {
            if (!same_ns(d->items[k].ns, d->items[i].ns))
                continue;
            mobid_cbor_put_text(e, d->items[k].id);
            mobid_cbor_put_bool(e, d->items[k].intent_to_retain);
        }
    }
}

mobid_err mobid_px_items_request_encode(const mobid_px_doc_spec *d, mobid_buf *out)
{
    mobid_cbor_enc e;
    if (!d || !d->doctype || !out || (d->n_items && !d->items))
        return MOBID_ERR_INVALID_ARG;
    if (d->n_items > MOBID_PX_MAX_ITEMS)
        return MOBID_ERR_LIMIT;
    mobid_cbor_enc_init(&e, out);
    mobid_cbor_put_tag(&e, 24);
    mobid_cbor_bstr_begin(&e);
    mobid_cbor_put_map_head(&e, d->request_info.len ? 3 : 2);
    mobid_cbor_put_cstr(&e, "docType");
    mobid_cbor_put_cstr(&e, d->doctype);
    mobid_cbor_put_cstr(&e, "nameSpaces");
    put_namespaces(&e, d);
    if (d->request_info.len) {
        mobid_cbor_put_cstr(&e, "requestInfo");
        mobid_cbor_put_raw(&e, d->request_info);
    }
    mobid_cbor_bstr_end(&e);
    return mobid_cbor_enc_finish(&e);
}

/* readerAuth: COSE_Sign1 with a detached payload over ReaderAuthenticationBytes. */
static mobid_err reader_auth(const mobid_px_doc_spec *d, mobid_view transcript,
                             mobid_view irb, mobid_buf *out)
{
    mobid_cose_sign1_params p;
    mobid_view chain[MOBID_COSE_MAX_X5CHAIN];
    mobid_buf rab;
    mobid_err err;
    if (!d->reader_chain || !d->n_chain || d->n_chain > MOBID_COSE_MAX_X5CHAIN)
        return MOBID_ERR_INVALID_ARG;
    for (size_t i = 0; i < d->n_chain; i++)
        chain[i] = mobid_cert_der(d->reader_chain[i]);
    memset(&p, 0, sizeof p);
    mobid_curve c = mobid_key_curve(d->reader_key);
    p.alg = c == MOBID_CURVE_P384 ? MOBID_ALG_ES384
          : c == MOBID_CURVE_P521 ? MOBID_ALG_ES512 : MOBID_ALG_ES256;
    p.x5chain = chain;
    p.x5chain_count = d->n_chain;
    p.detached = true;
    mobid_buf_init(&rab, 0);
    err = mobid_px_reader_auth_bytes(transcript, irb, &rab);
    if (!err)
        err = mobid_cose_sign1_create(d->reader_key, &p, mobid_buf_view(&rab), out);
    mobid_buf_free(&rab);
    return err;
}

static mobid_err put_doc_request(mobid_cbor_enc *e, const mobid_px_doc_spec *d,
                                 mobid_view transcript)
{
    mobid_buf irb, ra;
    mobid_err err;
    mobid_buf_init(&irb, 0);
    mobid_buf_init(&ra, 0);
    err = mobid_px_items_request_encode(d, &irb);
    if (!err && d->reader_key)
        err = reader_auth(d, transcript, mobid_buf_view(&irb), &ra);
    if (!err) {
        mobid_cbor_put_map_head(e, d->reader_key ? 2 : 1);
        mobid_cbor_put_cstr(e, "itemsRequest");
        mobid_cbor_put_raw(e, mobid_buf_view(&irb));
        if (d->reader_key) {
            mobid_cbor_put_cstr(e, "readerAuth");
            mobid_cbor_put_raw(e, mobid_buf_view(&ra));
        }
    }
    mobid_buf_free(&irb);
    mobid_buf_free(&ra);
    return err;
}

mobid_err mobid_px_device_request_encode(const mobid_px_doc_spec *docs, size_t n_docs,
                                         mobid_view transcript, mobid_buf *out)
{
    mobid_cbor_enc e;
    mobid_err err = MOBID_OK;
    if (!docs || !n_docs || !out)
        return MOBID_ERR_INVALID_ARG;
    if (n_docs > MOBID_PX_MAX_DOCS)
        return MOBID_ERR_LIMIT;
    mobid_cbor_enc_init(&e, out);
    mobid_cbor_put_map_head(&e, 2);
    mobid_cbor_put_cstr(&e, "version");
    mobid_cbor_put_cstr(&e, "1.0");
    mobid_cbor_put_cstr(&e, "docRequests");
    mobid_cbor_put_array_head(&e, n_docs);
    for (size_t i = 0; !err && i < n_docs; i++)
        err = put_doc_request(&e, &docs[i], transcript);
    mobid_err fin = mobid_cbor_enc_finish(&e);
    return err ? err : fin;
}
