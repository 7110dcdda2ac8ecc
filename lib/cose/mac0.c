/*
 * COSE_Mac0 (RFC 9052 §6.2) with HMAC 256/256: parse, verify, create. The
 * MAC_structure is fed to HMAC piecewise, never concatenated.
 */
#include "cose/cose_internal.h"

#include <string.h>

#define HMAC256_TAG_LEN 32

mobid_err mobid_cose_mac0_from_item(const mobid_cbor_item *item, mobid_cose_mac0 *out)
{
    cose_message m;
    cose_headers h;
    mobid_err err;

    memset(out, 0, sizeof *out);
    err = cose_split(item, MOBID_COSE_TAG_MAC0, &m);
    if (err != MOBID_OK)
        return err;
    err = cose_parse_headers(&m.elem[0], &m.elem[1], &h);
    if (err != MOBID_OK)
        return err;
    if (mobid_cbor_is_null(&m.elem[2]))
        out->detached = true;
    else if (mobid_cbor_get_bytes(&m.elem[2], &out->payload) != MOBID_OK)
        return MOBID_ERR_MALFORMED;
    if (mobid_cbor_get_bytes(&m.elem[3], &out->tag) != MOBID_OK)
        return MOBID_ERR_MALFORMED;

    out->span = m.span;
    out->tagged = m.tagged;
    out->protected_bytes = h.protected_bytes;
    out->protected_map = h.prot;
    out->unprotected = h.unprot;
    out->alg_id = h.alg_id;
    out->kid = h.kid;
    return MOBID_OK;
}

mobid_err mobid_cose_mac0_parse(mobid_view in, mobid_cose_mac0 *out)
{
    mobid_cbor_item item;
    memset(out, 0, sizeof *out);
    mobid_err err = mobid_cbor_decode_exact(in, NULL, &item);
    if (err != MOBID_OK)
        return err;
    return mobid_cose_mac0_from_item(&item, out);
}

mobid_err mobid_cose_mac_structure(mobid_view protected_bytes, mobid_view external_aad,
                                   mobid_view payload, mobid_buf *out)
{
    cose_tbs t;
    cose_tbs_init(&t, "MAC0", protected_bytes, external_aad, payload);
    return cose_tbs_append(&t, out);
}

static mobid_err hmac_tag(mobid_view key, mobid_view prot, mobid_view aad, mobid_view payload,
                          uint8_t out[MOBID_HASH_MAX])
{
    cose_tbs t;
    cose_tbs_init(&t, "MAC0", prot, aad, payload);
    return mobid_hmac(MOBID_HASH_SHA256, key, t.parts, 6, out);
}

mobid_err mobid_cose_mac0_verify(const mobid_cose_mac0 *m, mobid_view key,
                                 mobid_view external_aad, mobid_view detached_payload)
{
    uint8_t mac[MOBID_HASH_MAX];
    mobid_err err;

    if (!m || !key.len)
        return MOBID_ERR_INVALID_ARG;
    if (m->alg_id != MOBID_COSE_ALG_HMAC256)
        return MOBID_ERR_ALG_NOT_ALLOWED;
    err = hmac_tag(key, m->protected_bytes, external_aad,
                   m->detached ? detached_payload : m->payload, mac);
    if (err == MOBID_OK &&
        !mobid_ct_eq(mobid_view_make(mac, HMAC256_TAG_LEN), m->tag))
        err = MOBID_ERR_MAC_INVALID;
    mobid_wipe(mac, sizeof mac);
    return err;
}

mobid_err mobid_cose_mac0_create(mobid_view key, mobid_view payload, bool detached,
                                 bool tagged, mobid_view external_aad, mobid_buf *out)
{
    static const uint8_t prot[] = { 0xa1, 0x01, MOBID_COSE_ALG_HMAC256 }; /* {1: 5} */
    uint8_t mac[MOBID_HASH_MAX];
    mobid_cbor_enc e;
    mobid_err err;

    if (!key.len || !out)
        return MOBID_ERR_INVALID_ARG;
    size_t start = out->len;
    err = hmac_tag(key, mobid_view_make(prot, sizeof prot), external_aad, payload, mac);
    if (err != MOBID_OK)
        goto done;
    mobid_cbor_enc_init(&e, out);
    if (tagged)
        mobid_cbor_put_tag(&e, MOBID_COSE_TAG_MAC0);
    mobid_cbor_put_array_head(&e, 4);
    mobid_cbor_put_bytes(&e, mobid_view_make(prot, sizeof prot));
    mobid_cbor_put_map_head(&e, 0);
    if (detached)
        mobid_cbor_put_null(&e);
    else
        mobid_cbor_put_bytes(&e, payload);
    mobid_cbor_put_bytes(&e, mobid_view_make(mac, HMAC256_TAG_LEN));
    err = mobid_cbor_enc_finish(&e);
done:
    if (err != MOBID_OK && out->len > start)
        out->len = start;
    mobid_wipe(mac, sizeof mac);
    return err;
}
