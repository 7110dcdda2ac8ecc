/*
 * Building and signing a VICAL: a ministry publishing the IACAs it vouches for
 * (and tests making lists with known faults). Deterministic CBOR; every entry
 * carries the certificate with its serial number and SKI taken from it.
 */
#include "trust_internal.h"

#include <string.h>

static void put_tdate(mobid_cbor_enc *e, mobid_time t)
{
    char s[21];
    if (mobid_time_format_rfc3339(t, s) != MOBID_OK && !e->err)
        e->err = MOBID_ERR_BAD_TIME;
    mobid_cbor_put_tag(e, 0);
    mobid_cbor_put_cstr(e, s);
}

static mobid_err put_item(mobid_cbor_enc *e, const mobid_vical_item *it)
{
    mobid_buf serial, ski;
    mobid_buf_init(&serial, 0);
    mobid_buf_init(&ski, 0);
    mobid_err err = it->cert && it->n_doctypes ? mobid_cert_serial(it->cert, &serial)
                                               : MOBID_ERR_INVALID_ARG;
    mobid_time nb = 0, na = 0;
    if (err == MOBID_OK) {
        mobid_cert_validity(it->cert, &nb, &na);
        mobid_cbor_map_begin(e);
        mobid_cbor_put_cstr(e, "certificate");
        mobid_cbor_put_bytes(e, mobid_cert_der(it->cert));
        mobid_cbor_put_cstr(e, "serialNumber");
        mobid_cbor_put_tag(e, 2);
        mobid_cbor_put_bytes(e, mobid_buf_view(&serial));
        if (mobid_cert_ski(it->cert, &ski) == MOBID_OK) {
            mobid_cbor_put_cstr(e, "ski");
            mobid_cbor_put_bytes(e, mobid_buf_view(&ski));
        }
        mobid_cbor_put_cstr(e, "docType");
        mobid_cbor_array_begin(e);
        for (size_t i = 0; i < it->n_doctypes; i++)
            mobid_cbor_put_cstr(e, it->doctypes[i]);
        mobid_cbor_array_end(e);
        if (it->issuing_country) {
            mobid_cbor_put_cstr(e, "issuingCountry");
            mobid_cbor_put_cstr(e, it->issuing_country);
        }
        mobid_cbor_put_cstr(e, "notBefore");
        put_tdate(e, nb);
        mobid_cbor_put_cstr(e, "notAfter");
        put_tdate(e, na);
        mobid_cbor_map_end(e);
    }
    mobid_buf_free(&serial);
    mobid_buf_free(&ski);
    return err;
}

static mobid_err encode_payload(const mobid_vical_params *p, mobid_buf *out)
{
    mobid_cbor_enc e;
    mobid_err err = MOBID_OK;
    mobid_cbor_enc_init(&e, out);
    mobid_cbor_map_begin(&e);
    mobid_cbor_put_cstr(&e, "version");
    mobid_cbor_put_cstr(&e, "1.0");
    mobid_cbor_put_cstr(&e, "vicalProvider");
    mobid_cbor_put_cstr(&e, p->provider);
    mobid_cbor_put_cstr(&e, "date");
    put_tdate(&e, p->date ? p->date : mobid_now());
    if (p->issue_id) {
        mobid_cbor_put_cstr(&e, "vicalIssueID");
        mobid_cbor_put_uint(&e, p->issue_id);
    }
    if (p->next_update) {
        mobid_cbor_put_cstr(&e, "nextUpdate");
        put_tdate(&e, p->next_update);
    }
    mobid_cbor_put_cstr(&e, "certificateInfos");
    mobid_cbor_array_begin(&e);
    for (size_t i = 0; err == MOBID_OK && i < p->n_items; i++)
        err = put_item(&e, &p->items[i]);
    mobid_cbor_array_end(&e);
    mobid_cbor_map_end(&e);
    mobid_err fin = mobid_cbor_enc_finish(&e);
    return err != MOBID_OK ? err : fin;
}

mobid_err mobid_vical_sign(const mobid_vical_params *p, mobid_buf *out)
{
    if (!p || !out || !p->provider || !p->key || !p->chain || !p->n_chain ||
        p->n_chain > MOBID_COSE_MAX_X5CHAIN || (p->n_items && !p->items))
        return MOBID_ERR_INVALID_ARG;
    mobid_view ders[MOBID_COSE_MAX_X5CHAIN];
    for (size_t i = 0; i < p->n_chain; i++)
        ders[i] = mobid_cert_der(p->chain[i]);
    mobid_curve c = mobid_key_curve(p->key);
    mobid_cose_sign1_params sp = { .alg = c == MOBID_CURVE_P384   ? MOBID_ALG_ES384
                                          : c == MOBID_CURVE_P521 ? MOBID_ALG_ES512
                                                                  : MOBID_ALG_ES256,
                                   .x5chain = ders,
                                   .x5chain_count = p->n_chain };
    mobid_buf payload;
    mobid_buf_init(&payload, MOBID_VICAL_MAX_INPUT);
    mobid_err err = encode_payload(p, &payload);
    if (err == MOBID_OK)
        err = mobid_cose_sign1_create(p->key, &sp, mobid_buf_view(&payload), out);
    mobid_buf_free(&payload);
    return err;
}
