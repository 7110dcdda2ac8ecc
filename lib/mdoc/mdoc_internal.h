/* lib/mdoc internals shared by the issuer, holder and verifier. Not installed. */
#ifndef MOBID_MDOC_INTERNAL_H
#define MOBID_MDOC_INTERNAL_H

#include <mobid/cose.h>
#include <mobid/mdoc.h>

/* Limits for every mdoc structure: generous for real documents (portraits,
 * many elements), small enough that hostile input cannot make us work hard. */
extern const mobid_cbor_limits mdoc_limits;

/* Append DeviceAuthenticationBytes = #6.24(bstr .cbor ["DeviceAuthentication",
 * SessionTranscript, DocType, DeviceNameSpacesBytes]). st is the transcript
 * array, dns the encoded DeviceNameSpacesBytes (tag 24 included). */
mobid_err mdoc_device_auth_bytes(mobid_view st, mobid_view doctype, mobid_view dns,
                                 mobid_buf *out);

/* Map lookup that treats a missing key as MALFORMED (required members). */
mobid_err mdoc_map_need(const mobid_cbor_item *map, const char *key, mobid_cbor_item *out);
/* A text member as a view (MALFORMED if absent or not definite text). */
mobid_err mdoc_map_text(const mobid_cbor_item *map, const char *key, mobid_view *out);

/* One pass over a map collecting the values of text keys. A wanted key given
 * twice is MALFORMED: two readers could see different values. */
#define MDOC_MAX_FIELDS 8
typedef struct mdoc_field {
    const char *key;
    mobid_cbor_item val;
    bool found;
} mdoc_field;
mobid_err mdoc_map_fields(const mobid_cbor_item *map, mdoc_field *f, size_t n);

/* The IssuerSigned map inside an encoded IssuerSigned or Document. */
mobid_err mdoc_issuer_signed_find(mobid_view in, mobid_cbor_item *issuer_signed);

/* Unwrap a tag-24 item into its embedded item; accepts the item itself when
 * allow_plain is set and it is not tagged. */
mobid_err mdoc_embedded(const mobid_cbor_item *it, bool allow_plain, mobid_cbor_item *out);

/* Parse a COSE_Sign1 that lib/cose refuses only because its unprotected header
 * carries a kid of null or undefined (as @auth0/mdl 3.0.1 writes it): the
 * bucket is unsigned and such a kid names nothing, so a copy without it is
 * parsed. *owned receives the copy (views in s point into it); free it with
 * mobid_free once s is no longer used. MALFORMED when there is nothing to drop. */
mobid_err mdoc_sign1_tolerant(const mobid_cbor_item *ia, uint8_t **owned, mobid_cose_sign1 *s);

#endif
