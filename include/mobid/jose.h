/*
 * mobid jose: JWS compact, JWK, JWE compact (ECDH-ES + AES-GCM) and a few JSON helpers.
 *
 * Algorithms are the mobid_alg values of crypto.h. JOSE names other than
 * "ES256", "ES384", "ES512" and "EdDSA" ("none", "HS256", "RS256", ...) map to
 * MOBID_ALG_NONE, which never verifies: every verification takes an allow-list,
 * so "none" and HMAC-with-a-public-key confusion are impossible by construction.
 *
 * Ownership: view arguments are borrowed for the call only, except where a result
 * struct says it holds views into its input (then the caller keeps the input alive
 * while the struct is used). json_t results are new references the caller releases
 * with json_decref(); json_t arguments are borrowed (never stolen). mobid_buf
 * outputs are appended to and stay owned by the caller. Keys returned are new
 * handles released with mobid_key_free().
 *
 * Parsing decodes base64url strictly (no padding, no whitespace) and parses JSON
 * with duplicate member names rejected. The decoded header (jansson) and payload
 * necessarily live in heap memory owned by the result struct; every part of the
 * compact form is also available as a view into the input.
 */
#ifndef MOBID_JOSE_H
#define MOBID_JOSE_H

#include <jansson.h>
#include <mobid/base.h>
#include <mobid/crypto.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Largest compact JWS/JWE accepted (a large status list token fits easily). */
#define MOBID_JOSE_MAX_COMPACT ((size_t)16 * 1024 * 1024)
/* Largest decoded protected header accepted (room for an x5c chain). */
#define MOBID_JOSE_MAX_HEADER ((size_t)64 * 1024)

/* ---- algorithm names ---- */

/* "ES256" -> MOBID_ALG_ES256 ...; anything else (NULL, "none", "HS256") -> MOBID_ALG_NONE. */
mobid_alg mobid_jose_alg_from_name(const char *name);
/* The JOSE name of alg ("ES256", "ES384", "ES512", "EdDSA"), or NULL for MOBID_ALG_NONE
 * and unknown values. Static storage. */
const char *mobid_jose_alg_name(mobid_alg alg);

/* Every asymmetric algorithm mobid verifies, terminated by MOBID_ALG_NONE. For callers
 * that really accept any of them (most should list exactly what their profile allows). */
extern const mobid_alg mobid_jose_algs_all[];

/* ---- JSON helpers ---- */

/* Parse JSON text (any top-level value) of at most max bytes (0 = MOBID_JOSE_MAX_COMPACT).
 * Duplicate object member names, invalid UTF-8, \u0000 and trailing bytes are rejected.
 * Returns MOBID_OK, TOO_BIG, MALFORMED or NOMEM; *out receives a new reference (NULL on
 * error). jansson reports some of its own allocation failures (inside strings) as syntax
 * errors: under a failing allocator those arrive as MALFORMED. */
MOBID_MUST_CHECK mobid_err mobid_json_parse(mobid_view text, size_t max, json_t **out);
/* Append the compact serialization of j (no whitespace) to out. sort_keys = true sorts
 * object members by name (deterministic across builders); false keeps insertion order.
 * Returns MOBID_OK, NOMEM, TOO_BIG (buffer max) or INVALID_ARG (NULL argument). */
mobid_err mobid_json_dump(const json_t *j, bool sort_keys, mobid_buf *out);

/* ---- JWS compact (RFC 7515) ---- */

/* A parsed compact JWS. The *_b64 views and signing_input point into the input given to
 * mobid_jws_parse; header, payload and sig are owned and released by mobid_jws_clear. */
typedef struct mobid_jws {
    json_t *header;           /* protected header, always a JSON object */
    mobid_alg alg;            /* header "alg"; MOBID_ALG_NONE when not one of ours */
    mobid_view header_b64;    /* first part as received */
    mobid_view payload_b64;   /* second part as received */
    mobid_view signature_b64; /* third part as received */
    mobid_view signing_input; /* header_b64 '.' payload_b64, as received */
    mobid_buf payload;        /* decoded payload bytes */
    mobid_buf sig;            /* decoded signature bytes */
} mobid_jws;

/* Parse compact serialization: exactly three parts, strict base64url, header a JSON
 * object of at most MOBID_JOSE_MAX_HEADER bytes with a string "alg", no duplicate
 * members, input at most MOBID_JOSE_MAX_COMPACT bytes. A "crit" header is rejected
 * (MOBID_ERR_CRITICAL_HEADER): mobid understands no extension. An unsupported alg
 * still parses (alg = MOBID_ALG_NONE) so the caller can report it; it never verifies.
 * On error *out is cleared. Returns MOBID_OK, TOO_BIG, MALFORMED, BAD_BASE64,
 * CRITICAL_HEADER, NOMEM or INVALID_ARG. Call mobid_jws_clear after a successful parse
 * (calling it after a failed one is harmless). */
MOBID_MUST_CHECK mobid_err mobid_jws_parse(mobid_view compact, mobid_jws *out);
/* Release what mobid_jws_parse allocated; safe on a zeroed or already cleared struct. */
void mobid_jws_clear(mobid_jws *jws);

/* Verify the signature of a parsed JWS with key. allowed is a MOBID_ALG_NONE-terminated
 * list (required). Returns MOBID_OK; ALG_NOT_ALLOWED when alg is none/HMAC/unknown or
 * not in allowed; KEY_INVALID when the key's curve does not fit alg; SIGNATURE_INVALID
 * (including a wrong signature length); INVALID_ARG on NULL arguments. */
MOBID_MUST_CHECK mobid_err mobid_jws_verify(const mobid_jws *jws, const mobid_key *key,
                                            const mobid_alg *allowed);

/* Sign payload with key and alg, appending the compact JWS to out. The protected header
 * is {"alg":...} followed by the members of extra_header in their order (typ, kid, x5c,
 * ...; NULL for none); extra_header must be an object and must not contain "alg".
 * Returns MOBID_OK, INVALID_ARG, KEY_INVALID (alg does not fit the key or the key has no
 * private part), NOMEM, TOO_BIG or CRYPTO. On error out may hold a partial append.
 * payload must not point into out (the append may move out's storage). */
MOBID_MUST_CHECK mobid_err mobid_jws_sign(const mobid_key *key, mobid_alg alg,
                                          const json_t *extra_header, mobid_view payload,
                                          mobid_buf *out);

/* The "x5c" member of a JOSE header (array of standard-base64 DER certificates, leaf
 * first) parsed into certificates. *certs is released with mobid_cert_list_free(*certs,
 * *n). Returns MOBID_OK, NOT_FOUND (no x5c), MALFORMED (not a non-empty array of
 * strings), BAD_BASE64, CERT_INVALID or NOMEM; on error *certs is NULL and *n is 0. */
MOBID_MUST_CHECK mobid_err mobid_jose_header_x5c(const json_t *header, mobid_cert ***certs,
                                                 size_t *n);
/* Build an "x5c" array value (standard base64 DER, in the given order) for a header.
 * *out receives a new reference. Returns MOBID_OK, INVALID_ARG or NOMEM. */
mobid_err mobid_jose_x5c_from_certs(mobid_cert *const *certs, size_t n, json_t **out);

/* ---- JWK (RFC 7517, 7518 §6, 8037) ---- */

/* Key from a JWK object: kty "EC" with crv P-256/P-384/P-521, x, y (exact coordinate
 * length) and optional d; kty "OKP" with crv Ed25519/X25519, x and optional d.
 * Returns MOBID_OK, MALFORMED (missing or non-string members, wrong lengths),
 * BAD_BASE64, UNSUPPORTED (other kty/crv, e.g. RSA), POINT_NOT_ON_CURVE, KEY_INVALID
 * (d does not match x,y, d out of range, or a coordinate not below the field prime) or
 * NOMEM. Members other than kty, crv, x, y, d (kid, use, alg, ...) are ignored. */
MOBID_MUST_CHECK mobid_err mobid_jwk_to_key(const json_t *jwk, mobid_key **out);
/* Same from JSON text (at most 64 KiB). */
MOBID_MUST_CHECK mobid_err mobid_jwk_parse(mobid_view json, mobid_key **out);
/* JWK object for key: {"kty","crv","x"[,"y"][,"d"]}; d only when with_private and the key
 * has one. *out receives a new reference. Returns MOBID_OK, UNSUPPORTED or NOMEM. */
mobid_err mobid_jwk_from_key(const mobid_key *key, bool with_private, json_t **out);

/* RFC 7638 thumbprint: SHA-256 over the required members (EC: crv,kty,x,y; OKP:
 * crv,kty,x; RSA: e,kty,n; oct: k,kty) in lexicographic order without whitespace.
 * Returns MOBID_OK, MALFORMED (a required member missing or not a string), UNSUPPORTED
 * (unknown kty) or NOMEM. */
MOBID_MUST_CHECK mobid_err mobid_jwk_thumbprint(const json_t *jwk, uint8_t out[32]);
/* The same, base64url-encoded and appended to out (43 characters). */
MOBID_MUST_CHECK mobid_err mobid_jwk_thumbprint_b64url(const json_t *jwk, mobid_buf *out);
/* Thumbprint of a key's public JWK, base64url appended to out. */
MOBID_MUST_CHECK mobid_err mobid_jwk_thumbprint_key(const mobid_key *key, mobid_buf *out);

/* ---- JWE compact (RFC 7516), alg ECDH-ES direct key agreement (RFC 7518 §4.6) ---- */

typedef enum mobid_jwe_enc {
    MOBID_JWE_ENC_NONE = 0,
    MOBID_JWE_A128GCM = 1,
    MOBID_JWE_A256GCM = 2
} mobid_jwe_enc;

/* "A128GCM"/"A256GCM" <-> enum; unknown names map to MOBID_JWE_ENC_NONE, and NONE to NULL. */
mobid_jwe_enc mobid_jwe_enc_from_name(const char *name);
const char *mobid_jwe_enc_name(mobid_jwe_enc enc);

/* Options for mobid_jwe_encrypt; zero-initialise, then set enc (required). */
typedef struct mobid_jwe_params {
    mobid_jwe_enc enc;
    mobid_view apu;              /* PartyUInfo raw bytes, sent base64url in "apu"; may be empty */
    mobid_view apv;              /* PartyVInfo raw bytes, sent in "apv"; may be empty */
    const char *kid;             /* "kid" header, or NULL */
    const json_t *extra_header;  /* more header members (object, borrowed), or NULL; must not
                                  * hold alg, enc, epk, apu, apv or kid */
    const mobid_key *ephemeral;  /* tests only: fixed ephemeral private key; NULL = fresh */
} mobid_jwe_params;

/* Encrypt plaintext to recipient (public EC P-256/384/521 or X25519 key): a fresh
 * ephemeral key goes in "epk", the CEK is the Concat KDF output (AlgorithmID = enc
 * name), AAD is the encoded protected header, the encrypted-key part is empty.
 * Appends the compact JWE to out (plaintext must not point into out). Returns MOBID_OK,
 * INVALID_ARG, KEY_INVALID, NOMEM, TOO_BIG or CRYPTO. */
MOBID_MUST_CHECK mobid_err mobid_jwe_encrypt(const mobid_key *recipient,
                                             const mobid_jwe_params *params,
                                             mobid_view plaintext, mobid_buf *out);

/* Decrypt a compact JWE with alg "ECDH-ES" and enc A128GCM/A256GCM using the recipient
 * private key; appends the plaintext to plaintext. header (may be NULL) receives a new
 * reference to the protected header on success. Returns MOBID_OK; TOO_BIG; MALFORMED
 * (not five parts, non-empty encrypted key, IV not 12 bytes, tag not 16 bytes, bad
 * header); BAD_BASE64; ALG_NOT_ALLOWED (alg other than ECDH-ES); UNSUPPORTED (enc, zip);
 * CRITICAL_HEADER; KEY_INVALID (epk curve differs from the recipient's, or no private
 * key); POINT_NOT_ON_CURVE; DECRYPT_FAILED (tag mismatch: wrong key or tampering);
 * NOMEM. On error nothing is appended. */
MOBID_MUST_CHECK mobid_err mobid_jwe_decrypt(mobid_view compact, const mobid_key *recipient,
                                             json_t **header, mobid_buf *plaintext);

/* Concat KDF of RFC 7518 §4.6.2 with SHA-256: derives keylen bytes from the shared
 * secret z with AlgorithmID = alg_id (the enc name for direct key agreement),
 * PartyUInfo = apu, PartyVInfo = apv (raw bytes), SuppPubInfo = keylen*8 in bits.
 * Exposed for the RFC 7518 Appendix C test. Returns MOBID_OK, INVALID_ARG or CRYPTO. */
mobid_err mobid_jwe_concat_kdf(mobid_view z, const char *alg_id, mobid_view apu,
                               mobid_view apv, uint8_t *out, size_t keylen);

#ifdef __cplusplus
}
#endif
#endif
