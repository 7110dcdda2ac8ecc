/* SessionTranscript builders for every handover mobid speaks, in one place. */
#include <mobid/mdoc.h>

#include <string.h>

/* Encode [text, text, thumbprint-or-null, (text)] and put SHA-256 of it into the
 * handover [name, hash]; then the transcript [null, null, handover]. */
static mobid_err oid4vp_transcript(const char *handover_name, const char *a, const char *nonce,
                                   mobid_view thumb, const char *b, mobid_buf *out)
{
    mobid_buf info;
    mobid_cbor_enc e;
    uint8_t hash[MOBID_HASH_MAX];
    mobid_err err;

    mobid_buf_init(&info, 0);
    mobid_cbor_enc_init(&e, &info);
    mobid_cbor_put_array_head(&e, b ? 4 : 3);
    mobid_cbor_put_cstr(&e, a);
    mobid_cbor_put_cstr(&e, nonce);
    if (thumb.len)
        mobid_cbor_put_bytes(&e, thumb);
    else
        mobid_cbor_put_null(&e);
    if (b)
        mobid_cbor_put_cstr(&e, b);
    err = mobid_cbor_enc_finish(&e);
    if (err != MOBID_OK)
        goto done;
    err = mobid_hash(MOBID_HASH_SHA256, mobid_buf_view(&info), hash);
    if (err != MOBID_OK)
        goto done;
    mobid_cbor_enc_init(&e, out);
    mobid_cbor_put_array_head(&e, 3);
    mobid_cbor_put_null(&e);
    mobid_cbor_put_null(&e);
    mobid_cbor_put_array_head(&e, 2);
    mobid_cbor_put_cstr(&e, handover_name);
    mobid_cbor_put_bytes(&e, mobid_view_make(hash, 32));
    err = mobid_cbor_enc_finish(&e);
done:
    mobid_buf_free(&info);
    return err;
}

mobid_err mobid_mdoc_transcript_oid4vp(const char *client_id, const char *nonce,
                                       mobid_view jwk_thumbprint, const char *response_uri,
                                       mobid_buf *out)
{
    if (!client_id || !nonce || !response_uri || !out)
        return MOBID_ERR_INVALID_ARG;
    return oid4vp_transcript("OpenID4VPHandover", client_id, nonce, jwk_thumbprint,
                             response_uri, out);
}

mobid_err mobid_mdoc_transcript_oid4vp_dcapi(const char *origin, const char *nonce,
                                             mobid_view jwk_thumbprint, mobid_buf *out)
{
    if (!origin || !nonce || !out)
        return MOBID_ERR_INVALID_ARG;
    return oid4vp_transcript("OpenID4VPDCAPIHandover", origin, nonce, jwk_thumbprint, NULL,
                             out);
}

/* #6.24(bstr .cbor item), after checking that item is one well-formed CBOR item. */
static void put_embedded(mobid_cbor_enc *e, mobid_view item)
{
    mobid_cbor_item it;
    if (mobid_cbor_decode_exact(item, NULL, &it) != MOBID_OK) {
        if (e->err == MOBID_OK)
            e->err = MOBID_ERR_MALFORMED;
        return;
    }
    mobid_cbor_put_tag(e, 24);
    mobid_cbor_put_bytes(e, item);
}

mobid_err mobid_mdoc_transcript_iso(mobid_view device_engagement, mobid_view e_reader_key,
                                    mobid_view handover_select, mobid_view handover_request,
                                    mobid_buf *out)
{
    mobid_cbor_enc e;
    if (!out || !device_engagement.len || !e_reader_key.len)
        return MOBID_ERR_INVALID_ARG;
    mobid_cbor_enc_init(&e, out);
    mobid_cbor_put_array_head(&e, 3);
    put_embedded(&e, device_engagement);
    put_embedded(&e, e_reader_key);
    if (!handover_select.ptr) {
        mobid_cbor_put_null(&e); /* QR handover */
    } else {
        mobid_cbor_put_array_head(&e, 2);
        mobid_cbor_put_bytes(&e, handover_select);
        if (handover_request.ptr)
            mobid_cbor_put_bytes(&e, handover_request);
        else
            mobid_cbor_put_null(&e);
    }
    return mobid_cbor_enc_finish(&e);
}

mobid_err mobid_mdoc_transcript_unwrap(mobid_view in, mobid_view *array)
{
    mobid_cbor_item it, inner;
    mobid_err err = mobid_cbor_decode_exact(in, NULL, &it);
    if (err != MOBID_OK)
        return MOBID_ERR_MALFORMED;
    if (it.type == MOBID_CBOR_TAG && it.arg == 24) {
        if (mobid_cbor_get_embedded(&it, NULL, &inner, NULL) != MOBID_OK)
            return MOBID_ERR_MALFORMED;
        it = inner;
    }
    if (it.type != MOBID_CBOR_ARRAY || it.arg != 3)
        return MOBID_ERR_MALFORMED;
    *array = it.span;
    return MOBID_OK;
}
