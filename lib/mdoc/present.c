/* The holder: a DeviceResponse with the chosen items and device authentication. */
#include "mdoc_internal.h"

#include <string.h>

/* Encoded DeviceNameSpacesBytes for no device-signed elements: #6.24(<< {} >>). */
static const uint8_t empty_dns[] = { 0xd8, 0x18, 0x41, 0xa0 };

mobid_err mobid_mdoc_ref_parse(const char *s, mobid_view *ns, mobid_view *id)
{
    const char *slash = s ? strrchr(s, '/') : NULL;
    if (!slash || slash == s || !slash[1])
        return MOBID_ERR_INVALID_ARG;
    *ns = mobid_view_make(s, (size_t)(slash - s));
    *id = mobid_view_str(slash + 1);
    return MOBID_OK;
}

/* The elementIdentifier of one IssuerSignedItemBytes. */
static mobid_err item_identifier(const mobid_cbor_item *tagged, mobid_view *id)
{
    mobid_cbor_item item;
    if (mdoc_embedded(tagged, false, &item) != MOBID_OK || item.type != MOBID_CBOR_MAP)
        return MOBID_ERR_MALFORMED;
    return mdoc_map_text(&item, "elementIdentifier", id);
}

/* Find the IssuerSignedItemBytes of ns/id in nameSpaces. */
static mobid_err find_item(const mobid_cbor_item *name_spaces, const mobid_mdoc_ref *ref,
                           mobid_cbor_item *out)
{
    mobid_cbor_item arr, it;
    mobid_cbor_iter iter;
    mobid_view id;
    if (!ref->ns || !ref->id)
        return MOBID_ERR_INVALID_ARG;
    if (mobid_cbor_map_get_text(name_spaces, ref->ns, &arr) != MOBID_OK)
        return MOBID_ERR_NOT_FOUND;
    if (arr.type != MOBID_CBOR_ARRAY)
        return MOBID_ERR_MALFORMED;
    mobid_cbor_iter_init(&iter, &arr);
    while (mobid_cbor_iter_next(&iter, &it) == MOBID_OK) {
        if (item_identifier(&it, &id) != MOBID_OK)
            return MOBID_ERR_MALFORMED;
        if (mobid_view_eq_str(id, ref->id)) {
            *out = it;
            return MOBID_OK;
        }
    }
    return MOBID_ERR_NOT_FOUND;
}

static bool same_ref(const mobid_mdoc_ref *a, const mobid_mdoc_ref *b, bool id_too)
{
    return !strcmp(a->ns, b->ns) && (!id_too || !strcmp(a->id, b->id));
}

/* nameSpaces of the response: each namespace once, each item once. */
static void put_revealed(mobid_cbor_enc *e, const mobid_mdoc_present_opts *o,
                         const mobid_cbor_item *found)
{
    mobid_cbor_map_begin(e);
    for (size_t i = 0; i < o->n_reveal; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = same_ref(&o->reveal[j], &o->reveal[i], false);
        if (seen)
            continue;
        mobid_cbor_put_cstr(e, o->reveal[i].ns);
        mobid_cbor_array_begin(e);
        for (size_t k = i; k < o->n_reveal; k++) {
            bool dup = false;
            if (!same_ref(&o->reveal[k], &o->reveal[i], false))
                continue;
            for (size_t j = i; j < k && !dup; j++)
                dup = same_ref(&o->reveal[j], &o->reveal[k], true);
            if (!dup)
                mobid_cbor_put_raw(e, found[k].span);
        }
        mobid_cbor_array_end(e);
    }
    mobid_cbor_map_end(e);
}

/* deviceAuth: {"deviceSignature": COSE_Sign1} or {"deviceMac": COSE_Mac0}, both
 * over the detached DeviceAuthenticationBytes. */
static mobid_err device_auth(const mobid_mdoc_present_opts *o, mobid_view dab, mobid_buf *out)
{
    mobid_cose_sign1_params p;
    uint8_t key[32];
    mobid_err err;
    if (o->reader_key) {
        err = mobid_mdoc_emac_key(o->device_key, o->reader_key, o->transcript, key);
        if (err == MOBID_OK)
            err = mobid_cose_mac0_create(mobid_view_make(key, sizeof key), dab, true, false,
                                         mobid_view_make(NULL, 0), out);
        mobid_wipe(key, sizeof key);
        return err;
    }
    memset(&p, 0, sizeof p);
    mobid_curve c = mobid_key_curve(o->device_key);
    p.alg = c == MOBID_CURVE_P384      ? MOBID_ALG_ES384
            : c == MOBID_CURVE_P521    ? MOBID_ALG_ES512
            : c == MOBID_CURVE_ED25519 ? MOBID_ALG_EDDSA
                                       : MOBID_ALG_ES256;
    p.detached = true;
    return mobid_cose_sign1_create(o->device_key, &p, dab, out);
}

static mobid_err encode_response(const mobid_mdoc_present_opts *o, mobid_view doctype,
                                 const mobid_cbor_item *issuer_auth,
                                 const mobid_cbor_item *found, mobid_view auth,
                                 mobid_buf *out)
{
    mobid_cbor_enc e;
    mobid_cbor_enc_init(&e, out);
    mobid_cbor_map_begin(&e);
    mobid_cbor_put_cstr(&e, "version");
    mobid_cbor_put_cstr(&e, "1.0");
    mobid_cbor_put_cstr(&e, "documents");
    mobid_cbor_put_array_head(&e, 1);
    mobid_cbor_map_begin(&e);
    mobid_cbor_put_cstr(&e, "docType");
    mobid_cbor_put_text(&e, doctype);
    mobid_cbor_put_cstr(&e, "issuerSigned");
    mobid_cbor_map_begin(&e);
    mobid_cbor_put_cstr(&e, "nameSpaces");
    put_revealed(&e, o, found);
    mobid_cbor_put_cstr(&e, "issuerAuth");
    mobid_cbor_put_raw(&e, issuer_auth->span);
    mobid_cbor_map_end(&e);
    mobid_cbor_put_cstr(&e, "deviceSigned");
    mobid_cbor_map_begin(&e);
    mobid_cbor_put_cstr(&e, "nameSpaces");
    mobid_cbor_put_raw(&e, mobid_view_make(empty_dns, sizeof empty_dns));
    mobid_cbor_put_cstr(&e, "deviceAuth");
    mobid_cbor_map_begin(&e);
    mobid_cbor_put_cstr(&e, o->reader_key ? "deviceMac" : "deviceSignature");
    mobid_cbor_put_raw(&e, auth);
    mobid_cbor_map_end(&e);
    mobid_cbor_map_end(&e);
    mobid_cbor_map_end(&e);
    mobid_cbor_put_cstr(&e, "status");
    mobid_cbor_put_uint(&e, 0);
    mobid_cbor_map_end(&e);
    return mobid_cbor_enc_finish(&e);
}

/* docType from the MSO inside issuerAuth. */
static mobid_err mso_doctype(const mobid_cbor_item *issuer_auth, mobid_view *doctype)
{
    mobid_cose_sign1 s;
    mobid_cbor_item payload, mso;
    if (mobid_cose_sign1_from_item(issuer_auth, &s) != MOBID_OK || s.detached ||
        mobid_cbor_decode_exact(s.payload, &mdoc_limits, &payload) != MOBID_OK ||
        mdoc_embedded(&payload, true, &mso) != MOBID_OK || mso.type != MOBID_CBOR_MAP)
        return MOBID_ERR_MALFORMED;
    return mdoc_map_text(&mso, "docType", doctype);
}

mobid_err mobid_mdoc_present(const mobid_mdoc_present_opts *o, mobid_buf *out)
{
    mobid_cbor_item is, ns, issuer_auth, *found = NULL;
    mobid_view doctype, st;
    mobid_buf dab, auth;
    mobid_err err;

    mobid_buf_init(&dab, 0);
    mobid_buf_init(&auth, 0);
    if (!o || !o->device_key || !out || (o->n_reveal && !o->reveal)) {
        err = MOBID_ERR_INVALID_ARG;
        goto done;
    }
    err = mobid_mdoc_transcript_unwrap(o->transcript, &st);
    if (err == MOBID_OK)
        err = mdoc_issuer_signed_find(o->issuer_signed, &is);
    if (err == MOBID_OK)
        err = mdoc_map_need(&is, "issuerAuth", &issuer_auth);
    if (err == MOBID_OK)
        err = mso_doctype(&issuer_auth, &doctype);
    if (err == MOBID_OK && mobid_cbor_map_get_text(&is, "nameSpaces", &ns) != MOBID_OK)
        err = o->n_reveal ? MOBID_ERR_NOT_FOUND : MOBID_OK;
    if (err != MOBID_OK)
        goto done;
    found = mobid_calloc(o->n_reveal + 1, sizeof *found);
    if (!found) {
        err = MOBID_ERR_NOMEM;
        goto done;
    }
    for (size_t i = 0; err == MOBID_OK && i < o->n_reveal; i++)
        err = find_item(&ns, &o->reveal[i], &found[i]);
    if (err == MOBID_OK)
        err = mdoc_device_auth_bytes(st, doctype, mobid_view_make(empty_dns, sizeof empty_dns),
                                     &dab);
    if (err == MOBID_OK)
        err = device_auth(o, mobid_buf_view(&dab), &auth);
    if (err == MOBID_OK)
        err = encode_response(o, doctype, &issuer_auth, found, mobid_buf_view(&auth), out);
done:
    mobid_free(found);
    mobid_buf_free(&dab);
    mobid_buf_free(&auth);
    return err;
}
