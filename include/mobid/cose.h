/*
 * mobid COSE (RFC 9052 / RFC 9053): COSE_Sign1, COSE_Mac0 and COSE_Key.
 *
 * Parsing never allocates: a parsed message is a set of views into the caller's
 * input (and mobid_cbor_item values that point into it). Keep the input alive
 * and unchanged while the parsed struct is used.
 *
 * Algorithms: ES256 (-7), ES384 (-35), ES512 (-36) and EdDSA (-8) for
 * COSE_Sign1; HMAC 256/256 (5) for COSE_Mac0. The algorithm must be in the
 * protected header. Signature verification takes an allow-list; an algorithm
 * outside it is MOBID_ERR_ALG_NOT_ALLOWED.
 *
 * Header rules applied by the parsers (RFC 9052 §3): both buckets are maps with
 * integer or text labels and no duplicate label, within a bucket or across the
 * two (MALFORMED); `crit` (label 2) must be protected, a non-empty array, and
 * list only labels that are present in the protected bucket and that this
 * library understands (alg 1, crit 2, content type 3, kid 4, typ 16,
 * x5chain 33) — anything else is MOBID_ERR_CRITICAL_HEADER.
 *
 * Ownership: views and items in the structs below point into the caller's
 * input; nothing in them is freed. Builders append to a caller mobid_buf and
 * leave it unchanged in length on error (its sticky error may be set).
 */
#ifndef MOBID_COSE_H
#define MOBID_COSE_H

#include <mobid/base.h>
#include <mobid/cbor.h>
#include <mobid/crypto.h>

#ifdef __cplusplus
extern "C" {
#endif

/* CBOR tags of the tagged forms. */
#define MOBID_COSE_TAG_SIGN1 18
#define MOBID_COSE_TAG_MAC0 17

/* Header labels (RFC 9052 §3.1, RFC 9360, RFC 9596). */
#define MOBID_COSE_HDR_ALG 1
#define MOBID_COSE_HDR_CRIT 2
#define MOBID_COSE_HDR_CONTENT_TYPE 3
#define MOBID_COSE_HDR_KID 4
#define MOBID_COSE_HDR_TYP 16
#define MOBID_COSE_HDR_X5CHAIN 33

/* COSE algorithm identifiers. */
#define MOBID_COSE_ALG_ES256 (-7)
#define MOBID_COSE_ALG_ES384 (-35)
#define MOBID_COSE_ALG_ES512 (-36)
#define MOBID_COSE_ALG_EDDSA (-8)
#define MOBID_COSE_ALG_HMAC256 5 /* HMAC 256/256 */

/* Most certificates taken from an x5chain; a longer chain is MOBID_ERR_LIMIT. */
#define MOBID_COSE_MAX_X5CHAIN 8

/* COSE algorithm id of a signature algorithm (0 for MOBID_ALG_NONE or unknown). */
int64_t mobid_cose_alg_id(mobid_alg alg);
/* Signature algorithm of a COSE id; MOBID_ALG_NONE when not one of the four. */
mobid_alg mobid_cose_alg_from_id(int64_t id);
/* "ES256", "ES384", "ES512", "EdDSA"; "none" for anything else. Static string. */
const char *mobid_cose_alg_name(mobid_alg alg);

/* Every signature algorithm this library implements, MOBID_ALG_NONE-terminated:
 * a ready-made allow-list for callers that accept any of them. */
extern const mobid_alg mobid_cose_algs_all[];

/* ------------------------------------------------------------- COSE_Sign1 */

typedef struct mobid_cose_sign1 {
    mobid_view span;              /* the whole message as received (tag included) */
    bool tagged;                  /* wrapped in tag 18 */
    mobid_view protected_bytes;   /* content of the protected bstr (may be empty) */
    mobid_cbor_item protected_map;/* the decoded protected map (an empty map when
                                     protected_bytes is empty) */
    mobid_cbor_item unprotected;  /* the unprotected map item */
    bool detached;                /* payload was nil */
    mobid_view payload;           /* payload bstr content; empty when detached */
    mobid_view signature;         /* raw signature bytes */
    int64_t alg_id;               /* protected alg as sent (0 when absent) */
    mobid_alg alg;                /* decoded alg; MOBID_ALG_NONE when unknown or
                                     absent (verify then fails) */
    mobid_view kid;               /* kid (label 4) from either bucket; empty if none
                                     (a nil or undefined kid counts as none) */
    mobid_view x5chain[MOBID_COSE_MAX_X5CHAIN]; /* DER certificates, leaf first */
    size_t x5chain_count;         /* 0 when there is no x5chain */
    bool x5chain_protected;       /* x5chain came from the protected bucket */
} mobid_cose_sign1;

/* Parse a COSE_Sign1 (tagged with 18 or untagged) filling exactly `in`.
 * Errors: MALFORMED (structure, header rules, tag other than 18), TRUNCATED,
 * TOO_BIG / TOO_DEEP (CBOR limits), CRITICAL_HEADER, LIMIT (x5chain longer than
 * MOBID_COSE_MAX_X5CHAIN). An unknown alg is not a parse error (see alg).
 * `out` views point into `in`. */
MOBID_MUST_CHECK mobid_err mobid_cose_sign1_parse(mobid_view in, mobid_cose_sign1 *out);

/* Same, from an item already decoded by mobid_cbor_decode (e.g. issuerAuth inside
 * a DeviceResponse). `out` views point into the bytes `item` points into. */
MOBID_MUST_CHECK mobid_err mobid_cose_sign1_from_item(const mobid_cbor_item *item,
                                                      mobid_cose_sign1 *out);

/* Look up a header value by integer label, protected bucket first, then
 * unprotected. *out points into the message. NOT_FOUND when absent. */
mobid_err mobid_cose_sign1_header(const mobid_cose_sign1 *s, int64_t label,
                                  mobid_cbor_item *out);

/* Verify the signature with `key`.
 *   external_aad      may be empty.
 *   detached_payload  the payload when the message's payload is nil (may be
 *                     empty); ignored when the message carries its payload.
 *   allowed           MOBID_ALG_NONE-terminated allow-list (not NULL).
 * The ToBeSigned bytes are hashed piecewise (no concatenated copy) and checked
 * with mobid_verify_digest; EdDSA (which signs the message itself) builds them.
 * Returns MOBID_OK, ALG_NOT_ALLOWED, KEY_INVALID (alg does not fit the key's
 * curve), SIGNATURE_INVALID, INVALID_ARG, NOMEM. Nothing is kept. */
MOBID_MUST_CHECK mobid_err mobid_cose_sign1_verify(const mobid_cose_sign1 *s,
                                                   const mobid_key *key,
                                                   mobid_view external_aad,
                                                   mobid_view detached_payload,
                                                   const mobid_alg *allowed);

/* Verify with the leaf of the message's x5chain after validating that chain
 * against `trust` at time `at` for `purpose` (mobid_trust_verify_chain).
 * Returns the chain errors (NOT_FOUND when there is no x5chain, CERT_INVALID,
 * UNTRUSTED_ISSUER, CERT_EXPIRED, CERT_NOT_YET_VALID, CERT_USAGE) or those of
 * mobid_cose_sign1_verify. On success *leaf_out (may be NULL) receives a new
 * reference to the leaf certificate, freed by the caller with mobid_cert_free. */
MOBID_MUST_CHECK mobid_err mobid_cose_sign1_verify_x5chain(const mobid_cose_sign1 *s,
                                                           mobid_trust *trust, mobid_time at,
                                                           mobid_cert_purpose purpose,
                                                           mobid_view external_aad,
                                                           mobid_view detached_payload,
                                                           const mobid_alg *allowed,
                                                           mobid_cert **leaf_out);

/* What to put in a COSE_Sign1 besides alg and payload. Zero-initialise and set
 * what is needed; views are only read during the call. */
typedef struct mobid_cose_sign1_params {
    mobid_alg alg;                 /* required; must fit the key */
    mobid_view protected_extra;    /* encoded CBOR map whose pairs are added to the
                                      protected header (e.g. {16:"..."}); may be
                                      empty; must not contain alg */
    mobid_view unprotected_extra;  /* the same for the unprotected header */
    mobid_view kid;                /* kid (label 4), unprotected; empty = none */
    const mobid_view *x5chain;     /* DER certificates, leaf first: label 33 in the
                                      unprotected header (one bstr when there is one,
                                      else an array); NULL/0 = none */
    size_t x5chain_count;
    bool x5chain_protected;        /* put x5chain in the protected header instead */
    bool detached;                 /* payload is nil in the message */
    bool tagged;                   /* wrap in tag 18 */
    mobid_view external_aad;       /* may be empty */
} mobid_cose_sign1_params;

/* Sign `payload` with `key` (private) and append the encoded COSE_Sign1 to out.
 * Header maps are written deterministically (sorted keys). Returns MOBID_OK,
 * INVALID_ARG (missing alg, duplicate labels between extras and the fixed
 * headers, bad extras), KEY_INVALID, NOMEM, TOO_BIG, CRYPTO. */
MOBID_MUST_CHECK mobid_err mobid_cose_sign1_create(const mobid_key *key,
                                                   const mobid_cose_sign1_params *p,
                                                   mobid_view payload, mobid_buf *out);

/* Append the RFC 9052 §4.4 ToBeSigned bytes for a COSE_Sign1:
 * ["Signature1", bstr(protected_bytes), bstr(external_aad), bstr(payload)]. */
mobid_err mobid_cose_sig_structure(mobid_view protected_bytes, mobid_view external_aad,
                                   mobid_view payload, mobid_buf *out);

/* -------------------------------------------------------------- COSE_Mac0 */

typedef struct mobid_cose_mac0 {
    mobid_view span;
    bool tagged;                   /* wrapped in tag 17 */
    mobid_view protected_bytes;
    mobid_cbor_item protected_map;
    mobid_cbor_item unprotected;
    bool detached;
    mobid_view payload;
    mobid_view tag;                /* the MAC value */
    int64_t alg_id;                /* protected alg as sent (0 when absent) */
    mobid_view kid;
} mobid_cose_mac0;

/* Parse a COSE_Mac0 (tag 17 or untagged) filling exactly `in`; same header rules
 * and errors as mobid_cose_sign1_parse. Views point into `in`. */
MOBID_MUST_CHECK mobid_err mobid_cose_mac0_parse(mobid_view in, mobid_cose_mac0 *out);
MOBID_MUST_CHECK mobid_err mobid_cose_mac0_from_item(const mobid_cbor_item *item,
                                                     mobid_cose_mac0 *out);

/* Verify an HMAC 256/256 tag with the secret `key` (bytes; the mdoc EMacKey is 32).
 * detached_payload as for mobid_cose_sign1_verify. The tag is compared in
 * constant time. Returns MOBID_OK, ALG_NOT_ALLOWED (alg other than 5),
 * MAC_INVALID, INVALID_ARG, CRYPTO. */
MOBID_MUST_CHECK mobid_err mobid_cose_mac0_verify(const mobid_cose_mac0 *m, mobid_view key,
                                                  mobid_view external_aad,
                                                  mobid_view detached_payload);

/* Create a COSE_Mac0 with HMAC 256/256 (protected {1:5}) over payload and append it
 * to out; the payload is nil in the message when detached. */
MOBID_MUST_CHECK mobid_err mobid_cose_mac0_create(mobid_view key, mobid_view payload,
                                                  bool detached, bool tagged,
                                                  mobid_view external_aad, mobid_buf *out);

/* Append the MAC_structure bytes ["MAC0", bstr(protected_bytes), bstr(external_aad),
 * bstr(payload)] (RFC 9052 §6.3). */
mobid_err mobid_cose_mac_structure(mobid_view protected_bytes, mobid_view external_aad,
                                   mobid_view payload, mobid_buf *out);

/* --------------------------------------------------------------- COSE_Key */

/* Decode a COSE_Key map: kty EC2 (2) with crv P-256 (1), P-384 (2), P-521 (3),
 * x and y as byte strings of the curve size (compressed points are UNSUPPORTED);
 * or kty OKP (1) with crv X25519 (4) or Ed25519 (6) and x. A private d (-4) is
 * imported when present. Errors: MALFORMED (missing or mistyped members, wrong
 * lengths), UNSUPPORTED (other kty/crv), POINT_NOT_ON_CURVE, NOMEM. On success
 * *out is a new key the caller frees with mobid_key_free. */
MOBID_MUST_CHECK mobid_err mobid_cose_key_decode(const mobid_cbor_item *map, mobid_key **out);

/* Encode `key` as a COSE_Key map (kty, crv, x, y; and d when include_private and
 * the key has it) into the encoder (sticky error; check with
 * mobid_cbor_enc_finish). Returns UNSUPPORTED for a curve COSE_Key lacks here,
 * else the encoder's error so far. */
mobid_err mobid_cose_key_encode(const mobid_key *key, bool include_private,
                                mobid_cbor_enc *enc);

#ifdef __cplusplus
}
#endif
#endif
