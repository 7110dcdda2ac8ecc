/* Parsing COSE_Sign1 messages the way real issuers write them. */
#include "mdoc_internal.h"

/* Is this unprotected member a kid that says nothing (null or undefined)? */
static bool empty_kid(const mobid_cbor_item *k, const mobid_cbor_item *v)
{
    return k->type == MOBID_CBOR_UINT && k->arg == MOBID_COSE_HDR_KID &&
           v->type == MOBID_CBOR_SIMPLE &&
           (v->arg == MOBID_CBOR_NULL || v->arg == MOBID_CBOR_UNDEFINED);
}

/* @auth0/mdl 3.0.1 writes {4: undefined} into the unprotected header of its
 * COSE_Sign1s. That bucket is not signed and an empty kid means nothing, so
 * parse a copy without it. *owned receives the copy (views in s point into
 * it); the caller frees it with mobid_free once s is no longer used. */
mobid_err mdoc_sign1_tolerant(const mobid_cbor_item *ia, uint8_t **owned, mobid_cose_sign1 *s)
{
    mobid_cbor_item arr = *ia, el[4], k, v;
    mobid_cbor_iter it, mi;
    mobid_cbor_enc e;
    mobid_buf copy;
    size_t n = 0, kept = 0;
    if (arr.type == MOBID_CBOR_TAG && mobid_cbor_tag_content(ia, &arr) != MOBID_OK)
        return MOBID_ERR_MALFORMED;
    if (arr.type != MOBID_CBOR_ARRAY || arr.arg != 4)
        return MOBID_ERR_MALFORMED;
    mobid_cbor_iter_init(&it, &arr);
    while (n < 4 && mobid_cbor_iter_next(&it, &el[n]) == MOBID_OK)
        n++;
    if (n != 4 || el[1].type != MOBID_CBOR_MAP)
        return MOBID_ERR_MALFORMED;
    mobid_cbor_iter_init(&mi, &el[1]);
    while (mobid_cbor_iter_next(&mi, &k) == MOBID_OK && mobid_cbor_iter_next(&mi, &v) == MOBID_OK)
        kept += !empty_kid(&k, &v);
    if (kept == el[1].arg)
        return MOBID_ERR_MALFORMED; /* nothing to drop: the input is just malformed */
    mobid_buf_init(&copy, MOBID_MDOC_MAX_INPUT);
    mobid_cbor_enc_init(&e, &copy);
    mobid_cbor_put_array_head(&e, 4);
    mobid_cbor_put_raw(&e, el[0].span);
    mobid_cbor_put_map_head(&e, kept);
    mobid_cbor_iter_init(&mi, &el[1]);
    while (mobid_cbor_iter_next(&mi, &k) == MOBID_OK && mobid_cbor_iter_next(&mi, &v) == MOBID_OK)
        if (!empty_kid(&k, &v)) {
            mobid_cbor_put_raw(&e, k.span);
            mobid_cbor_put_raw(&e, v.span);
        }
    mobid_cbor_put_raw(&e, el[2].span);
    mobid_cbor_put_raw(&e, el[3].span);
    mobid_err err = mobid_cbor_enc_finish(&e);
    if (err == MOBID_OK)
        err = mobid_cose_sign1_parse(mobid_buf_view(&copy), s);
    if (err != MOBID_OK) {
        mobid_buf_free(&copy);
        return err;
    }
    *owned = copy.ptr; /* the buffer's storage now belongs to the caller */
    return MOBID_OK;
}
