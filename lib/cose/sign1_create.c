/*
 * Creating a COSE_Sign1: deterministic header maps, the Sig_structure, the
 * signature, then the message appended to the caller's buffer.
 */
#include "cose/cose_internal.h"

#include <string.h>

static void put_x5chain(mobid_cbor_enc *e, const mobid_cose_sign1_params *p)
{
    mobid_cbor_put_int(e, MOBID_COSE_HDR_X5CHAIN);
    if (p->x5chain_count == 1) {
        mobid_cbor_put_bytes(e, p->x5chain[0]);
        return;
    }
    mobid_cbor_put_array_head(e, p->x5chain_count);
    for (size_t i = 0; i < p->x5chain_count; i++)
        mobid_cbor_put_bytes(e, p->x5chain[i]);
}

/* Copy the pairs of the encoded map `extra` into the map being written; the
 * encoder sorts them with the fixed headers and rejects duplicate labels. */
static mobid_err put_extra(mobid_cbor_enc *e, mobid_view extra)
{
    mobid_cbor_item map, key, val;
    mobid_cbor_iter it;
    if (!extra.len)
        return MOBID_OK;
    if (mobid_cbor_decode_exact(extra, NULL, &map) != MOBID_OK || map.type != MOBID_CBOR_MAP)
        return MOBID_ERR_INVALID_ARG;
    mobid_cbor_iter_init(&it, &map);
    while (mobid_cbor_iter_next(&it, &key) == MOBID_OK) {
        if (mobid_cbor_iter_next(&it, &val) != MOBID_OK)
            return MOBID_ERR_INVALID_ARG;
        mobid_cbor_put_raw(e, key.span);
        mobid_cbor_put_raw(e, val.span);
    }
    return MOBID_OK;
}

/* The encoder reports duplicate map keys as MALFORMED: the caller's mistake. */
static mobid_err enc_result(mobid_cbor_enc *e, mobid_err err)
{
    mobid_err fin = mobid_cbor_enc_finish(e);
    if (err == MOBID_OK)
        err = fin;
    return err == MOBID_ERR_MALFORMED ? MOBID_ERR_INVALID_ARG : err;
}

static mobid_err build_protected(const mobid_cose_sign1_params *p, mobid_buf *out)
{
    mobid_cbor_enc e;
    mobid_cbor_enc_init(&e, out);
    mobid_cbor_map_begin(&e);
    mobid_cbor_put_int(&e, MOBID_COSE_HDR_ALG);
    mobid_cbor_put_int(&e, mobid_cose_alg_id(p->alg));
    if (p->x5chain_count && p->x5chain_protected)
        put_x5chain(&e, p);
    mobid_err err = put_extra(&e, p->protected_extra);
    mobid_cbor_map_end(&e);
    return enc_result(&e, err);
}

static mobid_err write_message(const mobid_cose_sign1_params *p, mobid_view prot,
                               mobid_view payload, mobid_view sig, mobid_buf *out)
{
    mobid_cbor_enc e;
    mobid_cbor_enc_init(&e, out);
    if (p->tagged)
        mobid_cbor_put_tag(&e, MOBID_COSE_TAG_SIGN1);
    mobid_cbor_put_array_head(&e, 4);
    mobid_cbor_put_bytes(&e, prot);
    mobid_cbor_map_begin(&e);
    if (p->kid.len) {
        mobid_cbor_put_int(&e, MOBID_COSE_HDR_KID);
        mobid_cbor_put_bytes(&e, p->kid);
    }
    if (p->x5chain_count && !p->x5chain_protected)
        put_x5chain(&e, p);
    mobid_err err = put_extra(&e, p->unprotected_extra);
    mobid_cbor_map_end(&e);
    if (p->detached)
        mobid_cbor_put_null(&e);
    else
        mobid_cbor_put_bytes(&e, payload);
    mobid_cbor_put_bytes(&e, sig);
    return enc_result(&e, err);
}

static mobid_err check_params(const mobid_key *key, const mobid_cose_sign1_params *p)
{
    if (mobid_cose_alg_id(p->alg) == 0)
        return MOBID_ERR_INVALID_ARG;
    if (p->x5chain_count && (!p->x5chain || p->x5chain_count > MOBID_COSE_MAX_X5CHAIN))
        return MOBID_ERR_INVALID_ARG;
    if (mobid_alg_curve(p->alg) != mobid_key_curve(key) || !mobid_key_has_private(key))
        return MOBID_ERR_KEY_INVALID;
    return MOBID_OK;
}

mobid_err mobid_cose_sign1_create(const mobid_key *key, const mobid_cose_sign1_params *p,
                                  mobid_view payload, mobid_buf *out)
{
    mobid_buf prot, tbs, sig;
    mobid_err err;
    size_t start = out ? out->len : 0;

    mobid_buf_init(&prot, 0);
    mobid_buf_init(&tbs, 0);
    mobid_buf_init(&sig, 0);
    if (!key || !p || !out) {
        err = MOBID_ERR_INVALID_ARG;
        goto done;
    }
    err = check_params(key, p);
    if (err == MOBID_OK)
        err = build_protected(p, &prot);
    if (err == MOBID_OK)
        err = mobid_cose_sig_structure(mobid_buf_view(&prot), p->external_aad, payload, &tbs);
    if (err == MOBID_OK)
        err = mobid_sign(key, p->alg, mobid_buf_view(&tbs), &sig);
    if (err == MOBID_OK)
        err = write_message(p, mobid_buf_view(&prot), payload, mobid_buf_view(&sig), out);
done:
    if (err != MOBID_OK && out && out->len > start)
        out->len = start;
    mobid_buf_free(&prot);
    mobid_buf_free(&tbs);
    mobid_buf_free(&sig);
    return err;
}
