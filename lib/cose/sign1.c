/*
 * COSE_Sign1 (RFC 9052 §4.2): parse into views, verify (hashing the
 * Sig_structure piecewise), verify through an x5chain, and create.
 */
#include "cose/cose_internal.h"

#include <string.h>

mobid_err mobid_cose_sign1_from_item(const mobid_cbor_item *item, mobid_cose_sign1 *out)
{
    cose_message m;
    cose_headers h;
    mobid_err err;

    memset(out, 0, sizeof *out);
    err = cose_split(item, MOBID_COSE_TAG_SIGN1, &m);
    if (err != MOBID_OK)
        return err;
    err = cose_parse_headers(&m.elem[0], &m.elem[1], &h);
    if (err != MOBID_OK)
        return err;
    if (mobid_cbor_is_null(&m.elem[2]))
        out->detached = true;
    else if (mobid_cbor_get_bytes(&m.elem[2], &out->payload) != MOBID_OK)
        return MOBID_ERR_MALFORMED;
    if (mobid_cbor_get_bytes(&m.elem[3], &out->signature) != MOBID_OK)
        return MOBID_ERR_MALFORMED;

    out->span = m.span;
    out->tagged = m.tagged;
    out->protected_bytes = h.protected_bytes;
    out->protected_map = h.prot;
    out->unprotected = h.unprot;
    out->alg_id = h.alg_id;
    out->alg = mobid_cose_alg_from_id(h.alg_id);
    out->kid = h.kid;
    memcpy(out->x5chain, h.x5chain, sizeof out->x5chain);
    out->x5chain_count = h.x5chain_count;
    out->x5chain_protected = h.x5chain_protected;
    return MOBID_OK;
}

mobid_err mobid_cose_sign1_parse(mobid_view in, mobid_cose_sign1 *out)
{
    mobid_cbor_item item;
    memset(out, 0, sizeof *out);
    mobid_err err = mobid_cbor_decode_exact(in, NULL, &item);
    if (err != MOBID_OK)
        return err;
    return mobid_cose_sign1_from_item(&item, out);
}

mobid_err mobid_cose_sign1_header(const mobid_cose_sign1 *s, int64_t label,
                                  mobid_cbor_item *out)
{
    mobid_err err = mobid_cbor_map_get_int(&s->protected_map, label, out);
    if (err == MOBID_ERR_NOT_FOUND)
        err = mobid_cbor_map_get_int(&s->unprotected, label, out);
    return err;
}

mobid_err mobid_cose_sig_structure(mobid_view protected_bytes, mobid_view external_aad,
                                   mobid_view payload, mobid_buf *out)
{
    cose_tbs t;
    cose_tbs_init(&t, "Signature1", protected_bytes, external_aad, payload);
    return cose_tbs_append(&t, out);
}

static bool alg_allowed(mobid_alg alg, const mobid_alg *allowed)
{
    if (alg == MOBID_ALG_NONE)
        return false;
    for (const mobid_alg *a = allowed; *a != MOBID_ALG_NONE; a++)
        if (*a == alg)
            return true;
    return false;
}

static mobid_hash_alg ecdsa_hash(mobid_alg alg)
{
    return alg == MOBID_ALG_ES384 ? MOBID_HASH_SHA384
         : alg == MOBID_ALG_ES512 ? MOBID_HASH_SHA512
                                  : MOBID_HASH_SHA256;
}

/* EdDSA signs the message itself, so it needs the ToBeSigned bytes in one piece. */
static mobid_err verify_eddsa(const mobid_key *key, const cose_tbs *t, mobid_view sig)
{
    mobid_buf tbs;
    mobid_buf_init(&tbs, 0);
    mobid_err err = cose_tbs_append(t, &tbs);
    if (err == MOBID_OK)
        err = mobid_verify(key, MOBID_ALG_EDDSA, mobid_buf_view(&tbs), sig);
    mobid_buf_free(&tbs);
    return err;
}

mobid_err mobid_cose_sign1_verify(const mobid_cose_sign1 *s, const mobid_key *key,
                                  mobid_view external_aad, mobid_view detached_payload,
                                  const mobid_alg *allowed)
{
    uint8_t digest[MOBID_HASH_MAX];
    cose_tbs t;
    mobid_err err;

    if (!s || !key || !allowed)
        return MOBID_ERR_INVALID_ARG;
    if (!alg_allowed(s->alg, allowed))
        return MOBID_ERR_ALG_NOT_ALLOWED;
    if (mobid_alg_curve(s->alg) != mobid_key_curve(key))
        return MOBID_ERR_KEY_INVALID;
    if (s->signature.len != mobid_alg_sig_size(s->alg))
        return MOBID_ERR_SIGNATURE_INVALID;
    cose_tbs_init(&t, "Signature1", s->protected_bytes, external_aad,
                  s->detached ? detached_payload : s->payload);
    if (s->alg == MOBID_ALG_EDDSA)
        return verify_eddsa(key, &t, s->signature);

    mobid_hash_alg h = ecdsa_hash(s->alg);
    err = mobid_hash_parts(h, t.parts, 6, digest);
    if (err == MOBID_OK)
        err = mobid_verify_digest(key, s->alg, mobid_view_make(digest, mobid_hash_size(h)),
                                  s->signature);
    return err;
}

/* Parse every x5chain certificate into certs[] (caller frees them). */
static mobid_err parse_chain(const mobid_cose_sign1 *s, mobid_cert **certs)
{
    for (size_t i = 0; i < s->x5chain_count; i++) {
        mobid_err err = mobid_cert_parse(s->x5chain[i], &certs[i]);
        if (err != MOBID_OK)
            return MOBID_ERR_CERT_INVALID;
    }
    return MOBID_OK;
}

mobid_err mobid_cose_sign1_verify_x5chain(const mobid_cose_sign1 *s, mobid_trust *trust,
                                          mobid_time at, mobid_cert_purpose purpose,
                                          mobid_view external_aad, mobid_view detached_payload,
                                          const mobid_alg *allowed, mobid_cert **leaf_out)
{
    mobid_cert *certs[MOBID_COSE_MAX_X5CHAIN] = { NULL };
    mobid_key *key = NULL;
    mobid_err err;

    if (leaf_out)
        *leaf_out = NULL;
    if (!s || !trust || !allowed) {
        err = MOBID_ERR_INVALID_ARG;
        goto done;
    }
    err = s->x5chain_count ? parse_chain(s, certs) : MOBID_ERR_NOT_FOUND;
    if (err == MOBID_OK)
        err = mobid_trust_verify_chain(trust, certs, s->x5chain_count, at, purpose);
    if (err == MOBID_OK)
        err = mobid_cert_public_key(certs[0], &key);
    if (err == MOBID_OK)
        err = mobid_cose_sign1_verify(s, key, external_aad, detached_payload, allowed);
    if (err == MOBID_OK && leaf_out)
        *leaf_out = mobid_cert_ref(certs[0]);
done:
    mobid_key_free(key);
    for (size_t i = 0; i < MOBID_COSE_MAX_X5CHAIN; i++)
        mobid_cert_free(certs[i]);
    return err;
}
