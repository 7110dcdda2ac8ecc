/* SessionTranscript, SessionEstablishment and SessionData (18013-5 §9.1.1.4,
 * §9.1.5.1). */
#include "px_internal.h"

#include <string.h>

#include <mobid/mdoc.h>

/* lib/mdoc builds the array; the session keys and the readerAuth need it wrapped. */
static mobid_err transcript(mobid_view de, mobid_view erk, mobid_view sel, mobid_view req,
                            mobid_buf *out)
{
    mobid_buf arr;
    mobid_cbor_enc e;
    mobid_err err;
    if (!out)
        return MOBID_ERR_INVALID_ARG;
    mobid_buf_init(&arr, 0);
    err = mobid_mdoc_transcript_iso(de, erk, sel, req, &arr);
    if (!err) {
        mobid_cbor_enc_init(&e, out);
        mobid_cbor_put_tag(&e, 24);
        mobid_cbor_put_bytes(&e, mobid_buf_view(&arr));
        err = mobid_cbor_enc_finish(&e);
    }
    mobid_buf_free(&arr);
    return err;
}

mobid_err mobid_px_transcript_qr(mobid_view engagement, mobid_view e_reader_key, mobid_buf *out)
{
    return transcript(engagement, e_reader_key, mobid_view_make(NULL, 0),
                      mobid_view_make(NULL, 0), out);
}

mobid_err mobid_px_transcript_nfc(mobid_view engagement, mobid_view e_reader_key,
                                  mobid_view handover_select, mobid_view handover_request,
                                  mobid_buf *out)
{
    if (!handover_select.ptr)
        return MOBID_ERR_INVALID_ARG;
    return transcript(engagement, e_reader_key, handover_select, handover_request, out);
}

mobid_err mobid_px_establishment_encode(mobid_view e_reader_key, mobid_view data,
                                        mobid_buf *out)
{
    mobid_cbor_item key;
    mobid_cbor_enc e;
    if (!out || mobid_cbor_decode_exact(e_reader_key, &px_limits, &key) != MOBID_OK ||
        key.type != MOBID_CBOR_MAP)
        return MOBID_ERR_INVALID_ARG;
    mobid_cbor_enc_init(&e, out);
    /* the order of 18013-5's examples, which is also the deterministic one */
    mobid_cbor_put_map_head(&e, 2);
    mobid_cbor_put_cstr(&e, "eReaderKey");
    mobid_cbor_put_tag(&e, 24);
    mobid_cbor_put_bytes(&e, e_reader_key);
    mobid_cbor_put_cstr(&e, "data");
    mobid_cbor_put_bytes(&e, data);
    return mobid_cbor_enc_finish(&e);
}

mobid_err mobid_px_establishment_parse(mobid_view in, mobid_px_establishment *out)
{
    mobid_cbor_item m, v, key;
    mobid_err err;
    if (!out)
        return MOBID_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    if ((err = px_decode_map(in, &m)))
        return err;
    if (mobid_cbor_map_get_text(&m, "eReaderKey", &v) || v.type != MOBID_CBOR_TAG ||
        v.arg != 24 || mobid_cbor_get_embedded(&v, &px_limits, &key, &out->e_reader_key) ||
        key.type != MOBID_CBOR_MAP)
        return MOBID_ERR_MALFORMED;
    if (mobid_cbor_map_get_text(&m, "data", &v) || mobid_cbor_get_bytes(&v, &out->data))
        return MOBID_ERR_MALFORMED;
    return MOBID_OK;
}

mobid_err mobid_px_session_data_encode(mobid_view data, int status, mobid_buf *out)
{
    mobid_cbor_enc e;
    if (!out || (!data.ptr && status < 0))
        return MOBID_ERR_INVALID_ARG;
    mobid_cbor_enc_init(&e, out);
    mobid_cbor_put_map_head(&e, (data.ptr ? 1 : 0) + (status >= 0 ? 1 : 0));
    if (data.ptr) {
        mobid_cbor_put_cstr(&e, "data");
        mobid_cbor_put_bytes(&e, data);
    }
    if (status >= 0) {
        mobid_cbor_put_cstr(&e, "status");
        mobid_cbor_put_uint(&e, (uint64_t)status);
    }
    return mobid_cbor_enc_finish(&e);
}

mobid_err mobid_px_session_data_parse(mobid_view in, mobid_px_session_data *out)
{
    mobid_cbor_item m, v;
    mobid_err err;
    if (!out)
        return MOBID_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    if ((err = px_decode_map(in, &m)))
        return err;
    if (mobid_cbor_map_get_text(&m, "data", &v) == MOBID_OK) {
        if (mobid_cbor_get_bytes(&v, &out->data))
            return MOBID_ERR_MALFORMED;
        out->has_data = true;
    }
    if (mobid_cbor_map_get_text(&m, "status", &v) == MOBID_OK) {
        if (mobid_cbor_get_uint64(&v, &out->status))
            return MOBID_ERR_MALFORMED;
        out->has_status = true;
    }
    return out->has_data || out->has_status ? MOBID_OK : MOBID_ERR_MALFORMED;
}
