/* Reader authentication (18013-5 §9.1.4) and the holder's DeviceResponse. */
#include "px_internal.h"

#include <string.h>

#include <mobid/cose.h>
#include <mobid/mdoc.h>

/* Readers sign with ECDSA on the P-curves (18013-5 Table 22). */
static const mobid_alg reader_algs[] = { MOBID_ALG_ES256, MOBID_ALG_ES384, MOBID_ALG_ES512,
                                         MOBID_ALG_NONE };

mobid_err mobid_px_reader_auth_bytes(mobid_view transcript, mobid_view items_request_bytes,
                                     mobid_buf *out)
{
    mobid_view st;
    mobid_cbor_item irb;
    mobid_cbor_enc e;
    mobid_err err;
    if (!out)
        return MOBID_ERR_INVALID_ARG;
    if ((err = px_transcript_array(transcript, &st)))
        return err;
    if (mobid_cbor_decode_exact(items_request_bytes, &px_limits, &irb) != MOBID_OK ||
        irb.type != MOBID_CBOR_TAG || irb.arg != 24)
        return MOBID_ERR_MALFORMED;
    mobid_cbor_enc_init(&e, out);
    mobid_cbor_put_tag(&e, 24);
    mobid_cbor_bstr_begin(&e);
    mobid_cbor_put_array_head(&e, 3);
    mobid_cbor_put_cstr(&e, "ReaderAuthentication");
    mobid_cbor_put_raw(&e, st);
    mobid_cbor_put_raw(&e, items_request_bytes);
    mobid_cbor_bstr_end(&e);
    return mobid_cbor_enc_finish(&e);
}

mobid_err mobid_px_reader_auth_verify(const mobid_px_doc_request *d, mobid_view transcript,
                                      mobid_trust *reader_roots, mobid_time at,
                                      mobid_cert **leaf)
{
    mobid_cose_sign1 s;
    mobid_buf rab;
    mobid_err err;
    if (leaf)
        *leaf = NULL;
    if (!d || !reader_roots)
        return MOBID_ERR_INVALID_ARG;
    if (!d->reader_auth.len)
        return MOBID_ERR_UNAUTHENTICATED;
    if (mobid_cose_sign1_parse(d->reader_auth, &s) != MOBID_OK || !s.detached)
        return MOBID_ERR_MALFORMED;
    mobid_buf_init(&rab, 0);
    err = mobid_px_reader_auth_bytes(transcript, d->items_request_bytes, &rab);
    if (!err)
        err = mobid_cose_sign1_verify_x5chain(&s, reader_roots, at ? at : mobid_now(),
                                              MOBID_PURPOSE_MDOC_READER,
                                              mobid_view_make(NULL, 0), mobid_buf_view(&rab),
                                              reader_algs, leaf);
    mobid_buf_free(&rab);
    return err;
}

/* Copy the requested items as NUL-terminated strings for lib/mdoc's refs. */
static mobid_err make_refs(const mobid_px_doc_request *d, mobid_mdoc_ref *refs, char **store,
                           size_t *n)
{
    *n = 0;
    for (size_t i = 0; i < d->n_items; i++) {
        char *ns = mobid_view_strdup(d->items[i].ns), *id = mobid_view_strdup(d->items[i].id);
        store[2 * i] = ns;
        store[2 * i + 1] = id;
        if (!ns || !id)
            return MOBID_ERR_NOMEM;
        refs[*n].ns = ns;
        refs[*n].id = id;
        (*n)++;
    }
    return MOBID_OK;
}

mobid_err mobid_px_device_response(const mobid_px_session *s, const mobid_px_doc_request *d,
                                   mobid_view issuer_signed, const mobid_key *device_key,
                                   const mobid_key *e_reader_key, mobid_buf *out)
{
    mobid_mdoc_present_opts po;
    mobid_mdoc_ref *refs = NULL;
    char **store = NULL;
    size_t n = 0;
    mobid_err err = MOBID_ERR_INVALID_ARG;
    if (!s || !d || !device_key || !out)
        goto done;
    err = MOBID_ERR_NOMEM;
    refs = mobid_calloc(d->n_items + 1, sizeof *refs);
    store = mobid_calloc(2 * d->n_items + 1, sizeof *store);
    if (!refs || !store)
        goto done;
    if ((err = make_refs(d, refs, store, &n)))
        goto done;
    memset(&po, 0, sizeof po);
    po.issuer_signed = issuer_signed;
    po.device_key = device_key;
    po.transcript = mobid_px_session_transcript(s);
    po.reveal = refs;
    po.n_reveal = n;
    po.reader_key = e_reader_key;
    err = mobid_mdoc_present(&po, out);
done:
    for (size_t i = 0; store && i < 2 * d->n_items; i++)
        mobid_free(store[i]);
    mobid_free(store);
    mobid_free(refs);
    return err;
}
