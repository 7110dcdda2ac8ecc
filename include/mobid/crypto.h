/*
 * mobid crypto: the one adapter over OpenSSL. No OpenSSL type appears here.
 *
 * Keys and certificates are opaque handles created by *_new/_from_* functions
 * and released by *_free (safe on NULL). Functions copy what they need from
 * their view arguments; they never keep a view past the call.
 * Signatures are raw r||s of exact curve length for ECDSA (what COSE and JOSE
 * use), 64 bytes for Ed25519.
 *
 * Ownership and threads: a function that creates a handle stores it in *out
 * (NULL on failure) and the caller frees it. Keys, certificates and trust sets
 * are immutable once built (trust anchors are added before the set is shared)
 * and may be used from many threads at once; the refcounts are atomic. Output
 * buffers (mobid_buf) are appended to; on failure nothing useful is appended.
 * Every fallible function also returns MOBID_ERR_INVALID_ARG for NULL handles
 * or outputs and MOBID_ERR_NOMEM when an allocation fails.
 */
#ifndef MOBID_CRYPTO_H
#define MOBID_CRYPTO_H

#include <mobid/base.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mobid_hash_alg {
    MOBID_HASH_SHA256 = 1,
    MOBID_HASH_SHA384 = 2,
    MOBID_HASH_SHA512 = 3
} mobid_hash_alg;

#define MOBID_HASH_MAX 64

/* Signature algorithms, keyed the same way by COSE and JOSE adapters. */
typedef enum mobid_alg {
    MOBID_ALG_NONE = 0,
    MOBID_ALG_ES256 = 1,
    MOBID_ALG_ES384 = 2,
    MOBID_ALG_ES512 = 3,
    MOBID_ALG_EDDSA = 4
} mobid_alg;

typedef enum mobid_curve {
    MOBID_CURVE_NONE = 0,
    MOBID_CURVE_P256 = 1,
    MOBID_CURVE_P384 = 2,
    MOBID_CURVE_P521 = 3,
    MOBID_CURVE_ED25519 = 4,
    MOBID_CURVE_X25519 = 5
} mobid_curve;

/* Coordinate (field element) size in bytes: 32, 48, 66, 32, 32. 0 if unknown. */
size_t mobid_curve_size(mobid_curve c);
/* Raw signature size for an algorithm: 64, 96, 132, 64. */
size_t mobid_alg_sig_size(mobid_alg a);
/* The curve an algorithm requires. */
mobid_curve mobid_alg_curve(mobid_alg a);
size_t mobid_hash_size(mobid_hash_alg h);

/* ---- hashing, MAC, KDF, randomness ---- */
/* Digest of in; writes mobid_hash_size(h) bytes to out. MOBID_ERR_INVALID_ARG for an
 * unknown h. No allocation. */
mobid_err mobid_hash(mobid_hash_alg h, mobid_view in, uint8_t out[MOBID_HASH_MAX]);
/* Hash the concatenation of n parts without building it (parts may be NULL when
 * n is 0). Same results as mobid_hash. */
mobid_err mobid_hash_parts(mobid_hash_alg h, const mobid_view *parts, size_t n,
                           uint8_t out[MOBID_HASH_MAX]);
/* Digests of a message and of that message extended, in one pass over the shared
 * part: first = H(prefix), full = H(prefix || rest) (an SD-JWT's issuer signing input
 * and its sd_hash input). MOBID_ERR_INVALID_ARG for an unknown h. No allocation. */
mobid_err mobid_hash_prefix(mobid_hash_alg h, mobid_view prefix, mobid_view rest,
                            uint8_t first[MOBID_HASH_MAX], uint8_t full[MOBID_HASH_MAX]);
/* HMAC (RFC 2104) over the concatenation of n parts; writes mobid_hash_size(h)
 * bytes. Compare MACs with mobid_ct_eq. */
mobid_err mobid_hmac(mobid_hash_alg h, mobid_view key, const mobid_view *parts, size_t n,
                     uint8_t out[MOBID_HASH_MAX]);
/* RFC 5869 HKDF (extract and expand) into out[0..out_len). An empty salt means
 * HashLen zero bytes. MOBID_ERR_INVALID_ARG when out_len is 0 or above
 * 255 * HashLen; MOBID_ERR_CRYPTO if OpenSSL fails. */
mobid_err mobid_hkdf(mobid_hash_alg h, mobid_view salt, mobid_view ikm, mobid_view info,
                     uint8_t *out, size_t out_len);
/* Cryptographically secure random bytes (OpenSSL's DRBG); MOBID_ERR_CRYPTO when
 * the generator cannot be seeded. */
MOBID_MUST_CHECK mobid_err mobid_random(uint8_t *out, size_t n);

/* ---- keys ---- */
typedef struct mobid_key mobid_key;

/* New random key pair on curve c (any mobid_curve). MOBID_ERR_UNSUPPORTED for
 * MOBID_CURVE_NONE or unknown values. */
MOBID_MUST_CHECK mobid_err mobid_key_generate(mobid_curve c, mobid_key **out);
/* Drop one reference; the key is wiped and freed with the last. NULL is fine. */
void mobid_key_free(mobid_key *k);
/* New reference to the same key (cheap); free each with mobid_key_free. */
mobid_key *mobid_key_ref(mobid_key *k);
mobid_curve mobid_key_curve(const mobid_key *k);         /* MOBID_CURVE_NONE for NULL */
bool mobid_key_has_private(const mobid_key *k);           /* false for NULL */
/* True when both hold the same public key. */
bool mobid_key_public_eq(const mobid_key *a, const mobid_key *b);
/* True once a P-curve key object has verified enough ECDSA signatures (16) to have
 * been given its own table of multiples, with which each later verification costs
 * about half (about 150 KB for P-256, freed with the key). Results are the same
 * with or without it; this says only which way they were computed. */
bool mobid_key_has_table(const mobid_key *k);
/* Keep k from being given a table (for benchmarks that measure a verification with a
 * key met for the first time, as a holder's key is). NULL is fine. */
void mobid_key_no_table(mobid_key *k);

/* EC public key from affine coordinates (each mobid_curve_size bytes, big-endian),
 * optionally with the private scalar d (d.len 0 = public only). OKP keys take x
 * only (y.len 0). Points off the curve are MOBID_ERR_POINT_NOT_ON_CURVE; wrong
 * lengths, a coordinate >= p, d outside [1, n-1] or a d that does not match the
 * point are MOBID_ERR_KEY_INVALID; MOBID_ERR_UNSUPPORTED for an unknown curve.
 * This is on the verifier's hot path: it goes through the low-level EC API on a
 * cached group (about 1-2 µs), never through EVP_PKEY_fromdata. */
MOBID_MUST_CHECK mobid_err mobid_key_from_coords(mobid_curve c, mobid_view x, mobid_view y,
                                                 mobid_view d, mobid_key **out);
/* Export coordinates (each mobid_curve_size bytes); nothing is appended to y for
 * OKP keys, nor to d for a public key. Each output buffer is appended to; pass
 * NULL to skip one. The private scalar is a secret: free its buffer promptly. */
mobid_err mobid_key_to_coords(const mobid_key *k, mobid_buf *x, mobid_buf *y, mobid_buf *d);
/* Uncompressed SEC1 point 04||x||y import (P-curves only; the compressed form is
 * MOBID_ERR_KEY_INVALID). Errors as mobid_key_from_coords. Export: append 0x04
 * and then x and y with mobid_key_to_coords. */
MOBID_MUST_CHECK mobid_err mobid_key_from_sec1_point(mobid_curve c, mobid_view pt,
                                                     mobid_key **out);
/* PEM or DER: SPKI public key, PKCS#8 private key or SEC1 "EC PRIVATE KEY"
 * (auto-detected). A certificate (PEM or DER) yields its public key. Encrypted
 * keys are never prompted for: MOBID_ERR_KEY_INVALID, as is any unreadable input;
 * MOBID_ERR_UNSUPPORTED for key types other than P-256/384/521, Ed25519, X25519. */
MOBID_MUST_CHECK mobid_err mobid_key_from_pem(mobid_view pem, mobid_key **out);
/* PEM export, appended to out: PKCS#8 "PRIVATE KEY" (when the key is private and
 * want_private) or SPKI "PUBLIC KEY". */
mobid_err mobid_key_to_pem(const mobid_key *k, bool want_private, mobid_buf *out);
/* DER SubjectPublicKeyInfo, appended to out. */
mobid_err mobid_key_to_spki_der(const mobid_key *k, mobid_buf *out);

/* ---- keys in a PKCS#11 token (hardware security module) ---- */
/* A token key behaves as any private key for mobid_sign and mobid_cert_issue
 * (signatures are made inside the token, so COSE, JOSE and X.509 do not notice);
 * its private half never leaves the token, so mobid_key_to_pem(want_private) and
 * mobid_key_to_coords(d) refuse it with MOBID_ERR_UNSUPPORTED. Each (module,
 * token) gets one logged-in session shared by its keys, used under a lock, and
 * closed with the last key. These functions load the module (dlopen) and talk to
 * the token: they are lib/crypto's one exception to "no I/O", kept here so that
 * the key interface stays one. Errors: MOBID_ERR_IO (module cannot be loaded),
 * NOT_FOUND (no such token or key), PIN_WRONG (login refused), UNSUPPORTED (curve
 * or mechanism), CRYPTO (any other PKCS#11 failure). */

/* The key named by an RFC 7512 URI. Path attributes: token (required), object
 * and/or id (at least one; more than one matching key is INVALID_ARG), type
 * (must be "private" when given). Query attribute module-path, else `module`
 * (may be NULL when the URI has one). A URI holding pin-value is refused
 * (INVALID_ARG): the PIN comes from `pin` only (borrowed). */
MOBID_MUST_CHECK mobid_err mobid_key_from_pkcs11(const char *uri, const char *module,
                                                 const char *pin, mobid_key **out);
/* Generate a key pair on curve c (P-256/384/521) inside token `token` of
 * `module`, labelled `object` (CKA_LABEL and CKA_ID), private key sensitive and
 * not extractable; *out is the token key. An existing key with that label is
 * never replaced: MOBID_ERR_IO. */
MOBID_MUST_CHECK mobid_err mobid_pkcs11_generate(const char *module, const char *token,
                                                 const char *pin, const char *object,
                                                 mobid_curve c, mobid_key **out);
/* True for a key held in a token. */
bool mobid_key_in_token(const mobid_key *k);
/* The percent-decoded value of a path or query attribute of a pkcs11: URI, as a
 * new string (free()). MOBID_ERR_NOT_FOUND when absent, MALFORMED for a URI that
 * does not start with "pkcs11:" or a bad escape. */
mobid_err mobid_pkcs11_uri_attr(const char *uri, const char *name, char **value);
/* Append "pkcs11:token=T;object=O;type=private[?module-path=M]" (percent-encoded;
 * module may be NULL) to out. */
mobid_err mobid_pkcs11_uri_make(const char *module, const char *token, const char *object,
                                mobid_buf *out);

/* ---- signatures ---- */
/* Sign msg with alg (hashing included); appends the raw signature
 * (mobid_alg_sig_size(alg) bytes) to sig. MOBID_ERR_KEY_INVALID for a public key
 * or a key on another curve than alg's, MOBID_ERR_ALG_NOT_ALLOWED for
 * MOBID_ALG_NONE. ECDSA signatures are randomized (not RFC 6979). */
MOBID_MUST_CHECK mobid_err mobid_sign(const mobid_key *k, mobid_alg alg, mobid_view msg,
                                      mobid_buf *sig);
/* Verify a raw signature: MOBID_OK or MOBID_ERR_SIGNATURE_INVALID (wrong length,
 * r or s zero or >= n, or a bad signature), MOBID_ERR_KEY_INVALID if alg does not
 * fit the key's curve, MOBID_ERR_ALG_NOT_ALLOWED for MOBID_ALG_NONE. High-s
 * ECDSA signatures are valid (COSE and JOSE do not require low-s). Costs one
 * hash plus OpenSSL's verification; no allocation by mobid. */
MOBID_MUST_CHECK mobid_err mobid_verify(const mobid_key *k, mobid_alg alg, mobid_view msg,
                                        mobid_view sig);
/* Same, with a message already hashed by the algorithm's hash (ECDSA only:
 * MOBID_ERR_ALG_NOT_ALLOWED for EdDSA; MOBID_ERR_INVALID_ARG for a digest of the
 * wrong length). */
MOBID_MUST_CHECK mobid_err mobid_verify_digest(const mobid_key *k, mobid_alg alg,
                                               mobid_view digest, mobid_view sig);
/* Raw r||s (each n = raw.len / 2 bytes) <-> DER ECDSA-Sig-Value, appended to the
 * output. der_to_raw takes strict DER only (minimal integers, no trailing bytes)
 * and fails with MOBID_ERR_MALFORMED, also when r or s does not fit in n bytes. */
mobid_err mobid_ecdsa_raw_to_der(mobid_view raw, mobid_buf *der);
mobid_err mobid_ecdsa_der_to_raw(mobid_view der, size_t n, mobid_buf *raw);

/* ---- key agreement and encryption ---- */
/* ECDH shared secret (x coordinate, mobid_curve_size bytes; X25519 gives its
 * 32-byte output), appended to out. priv must hold a private key and the curves
 * must match (MOBID_ERR_KEY_INVALID otherwise, also for Ed25519 keys and for an
 * X25519 peer of small order). */
MOBID_MUST_CHECK mobid_err mobid_ecdh(const mobid_key *priv, const mobid_key *peer,
                                      mobid_buf *out);
/* AES-GCM with a 128- or 256-bit key (by key.len), 12-byte IV, 16-byte tag.
 * Encrypt appends ciphertext to ct and writes the tag; decrypt appends plaintext
 * and fails with MOBID_ERR_DECRYPT_FAILED on any tag mismatch or a tag that is
 * not 16 bytes (nothing appended, the scratch space wiped). Other key or IV
 * sizes are MOBID_ERR_INVALID_ARG. Never reuse an IV under one key. */
mobid_err mobid_aes_gcm_encrypt(mobid_view key, mobid_view iv, mobid_view aad, mobid_view pt,
                                mobid_buf *ct, uint8_t tag[16]);
MOBID_MUST_CHECK mobid_err mobid_aes_gcm_decrypt(mobid_view key, mobid_view iv,
                                                 mobid_view aad, mobid_view ct,
                                                 mobid_view tag, mobid_buf *pt);

/* Seal a value for storage at rest: AES-256-GCM under a 32-byte key with a fresh
 * random IV, appended to out as iv(12) || ciphertext || tag(16). aad binds the value
 * to its place (a row id, say): unsealing with another aad fails. Returns
 * MOBID_ERR_INVALID_ARG (key not 32 bytes), CRYPTO, NOMEM. */
mobid_err mobid_seal(mobid_view key, mobid_view aad, mobid_view plain, mobid_buf *out);
/* Open what mobid_seal made, appending the plaintext to out. MOBID_ERR_DECRYPT_FAILED
 * when sealed is too short, was altered, was sealed under another key or aad. */
MOBID_MUST_CHECK mobid_err mobid_unseal(mobid_view key, mobid_view aad, mobid_view sealed,
                                        mobid_buf *out);

/* ---- X.509 ---- */
typedef struct mobid_cert mobid_cert;

/* Parse one certificate, DER (the whole input, kept byte for byte) or PEM (the
 * first certificate in it). MOBID_ERR_CERT_INVALID for anything unparsable,
 * MOBID_ERR_TOO_BIG above 4 MiB. OpenSSL 3 spends ~200 µs parsing one
 * certificate, so DER certificates up to 16 KiB go through a process-wide cache
 * of 64 parsed ones (keyed on SHA-256, checked byte for byte): parsing the same
 * bytes again returns a new reference to the same immutable certificate. */
MOBID_MUST_CHECK mobid_err mobid_cert_parse(mobid_view der_or_pem, mobid_cert **out);
/* Parse every certificate in a PEM bundle (or one DER); *n receives the count. The
 * array and each cert are released with mobid_cert_list_free. */
MOBID_MUST_CHECK mobid_err mobid_cert_parse_all(mobid_view pem, mobid_cert ***out, size_t *n);
void mobid_cert_list_free(mobid_cert **certs, size_t n);
/* Drop one reference (NULL is fine). */
void mobid_cert_free(mobid_cert *c);
/* New reference to the same certificate; free each with mobid_cert_free. */
mobid_cert *mobid_cert_ref(mobid_cert *c);
/* DER bytes (view valid while the cert lives). */
mobid_view mobid_cert_der(const mobid_cert *c);
/* Public key of the certificate (a new reference; free it). Built on first use
 * and kept with the certificate, so later calls are cheap. */
mobid_err mobid_cert_public_key(const mobid_cert *c, mobid_key **out);
/* Subject / issuer as RFC 2253 text, appended to out. */
mobid_err mobid_cert_subject(const mobid_cert *c, mobid_buf *out);
mobid_err mobid_cert_issuer(const mobid_cert *c, mobid_buf *out);
/* notBefore and notAfter in seconds since the epoch (either pointer may be NULL). */
void mobid_cert_validity(const mobid_cert *c, mobid_time *not_before, mobid_time *not_after);
/* DNS and URI subjectAltName values in certificate order, each as a heap string;
 * free each string and the array with free(). *n is 0 when there are none. */
mobid_err mobid_cert_san(const mobid_cert *c, char ***values, size_t *n);
/* The subjectKeyIdentifier's key identifier bytes, appended to out; NOT_FOUND
 * when the certificate has none. */
mobid_err mobid_cert_ski(const mobid_cert *c, mobid_buf *out);
/* The serial number as unsigned big-endian bytes (no leading zeros; empty for
 * 0), appended to out. Negative serials give their magnitude. */
mobid_err mobid_cert_serial(const mobid_cert *c, mobid_buf *out);

/* What a leaf certificate must be good for. */
/* mobid's object identifier arc: a UUID OID (ITU-T X.667, 2.25.<UUID>), which needs
 * no registration; mobid's own extended key usages live under it. */
#define MOBID_OID_ARC "2.25.159285216848309231004874788084887544912"
/* Registrar: signs relying-party registrations (what each may ask for). Only a
 * certificate with this EKU, or a registrar certificate pinned as an anchor, is
 * believed: not the document signer or the status-list signer under the same root. */
#define MOBID_OID_REGISTRAR_EKU MOBID_OID_ARC ".1.1"

typedef enum mobid_cert_purpose {
    MOBID_PURPOSE_ANY = 0,
    MOBID_PURPOSE_MDOC_DS = 1,     /* 18013-5 document signer: EKU 1.0.18013.5.1.2 */
    MOBID_PURPOSE_MDOC_READER = 2, /* 18013-5 reader auth: EKU 1.0.18013.5.1.6 */
    MOBID_PURPOSE_SIGNING = 3,     /* digitalSignature key usage, any EKU */
    MOBID_PURPOSE_VICAL = 4,       /* 18013-5 VICAL signer: EKU 1.0.18013.5.1.8 */
    MOBID_PURPOSE_REGISTRAR = 5    /* signer of relying-party registrations: EKU
                                      MOBID_OID_REGISTRAR_EKU (mobid's own arc) */
} mobid_cert_purpose;

/* How the 18013-5 certificate profile (Annex B) is applied to a validated path.
 * Every policy checks signatures, validity, CA flags and the leaf's
 * digitalSignature key usage. They differ on what real issuers get wrong:
 *   DEFAULT  a leaf that is itself an anchor (pinned) is trusted for the use it
 *            was named for, whatever its EKU. A document signer under a CA: no
 *            EKU is accepted with MOBID_TRUST_WARN_EKU_MISSING; an EKU that
 *            lacks the DS OID is CERT_USAGE. Reader and VICAL signer leaves
 *            under a CA need their EKU (CERT_USAGE).
 *   LENIENT  as DEFAULT, and a document signer whose EKU lacks the DS OID is
 *            accepted with MOBID_TRUST_WARN_EKU_OTHER.
 *   STRICT   every Annex B rule, pinned leaves included: the purpose's EKU
 *            (DS_EKU_MISSING when absent), critical keyUsage and EKU on the
 *            leaf, a leaf that is no CA and lives at most 457 days, an issuing CA
 *            with critical basicConstraints (path length 0) and keyUsage
 *            keyCertSign + cRLSign, and one country in both subjects
 *            (CERT_PROFILE otherwise). */
typedef enum mobid_trust_policy {
    MOBID_TRUST_DEFAULT = 0,
    MOBID_TRUST_LENIENT = 1,
    MOBID_TRUST_STRICT = 2
} mobid_trust_policy;

/* Warnings a validation may carry (bits of *warnings). For MDOC_DS they are
 * reported as DS_EKU_MISSING and DS_EKU_OTHER. */
#define MOBID_TRUST_WARN_EKU_MISSING 0x1u
#define MOBID_TRUST_WARN_EKU_OTHER 0x2u
#define MOBID_TRUST_WARN_ALL 0x3u
/* Stable name of one warning bit ("DS_EKU_MISSING", "DS_EKU_OTHER"); NULL for
 * anything else. Static storage. */
const char *mobid_trust_warning_name(unsigned bit);

/* A set of trust anchors. An anchor may be a CA (IACA) or, for pinned trust, the
 * leaf itself. Anchors are parsed once and shared by many verifications. */
typedef struct mobid_trust mobid_trust;
mobid_err mobid_trust_new(mobid_trust **out);
/* Frees the set and its references to the anchors. NULL is fine. */
void mobid_trust_free(mobid_trust *t);
/* Set the policy (default MOBID_TRUST_DEFAULT); clears the validation cache.
 * Set it before the set is shared between threads. */
mobid_err mobid_trust_set_policy(mobid_trust *t, mobid_trust_policy p);
mobid_trust_policy mobid_trust_get_policy(const mobid_trust *t);
/* Add an anchor. The set takes its own reference: the caller still frees its
 * one. Adding anchors clears the validation cache; add them all before the set
 * is shared between threads. The same certificate added twice is one anchor. */
mobid_err mobid_trust_add(mobid_trust *t, mobid_cert *anchor);
/* Add an anchor trusted for mdoc docTypes `doctypes[0..n)` only (a VICAL
 * entry's docType list; the strings are copied). n == 0 is mobid_trust_add.
 * When the certificate is already an anchor its docTypes are merged; an anchor
 * ever added without a list stays unrestricted. */
mobid_err mobid_trust_add_for_doctypes(mobid_trust *t, mobid_cert *anchor,
                                       const mobid_view *doctypes, size_t n);
/* Adds every certificate in a PEM bundle or a DER certificate. */
mobid_err mobid_trust_add_pem(mobid_trust *t, mobid_view pem);
size_t mobid_trust_count(const mobid_trust *t);
/* The i-th anchor (borrowed, valid while the set lives) and, when doctypes is
 * not NULL, how many docTypes restrict it (0 = any). NULL past the end. */
mobid_cert *mobid_trust_anchor(const mobid_trust *t, size_t i, size_t *doctypes);

/* Trusted SD-JWT VC issuer identifiers (an https URL each, draft-ietf-oauth-
 * sd-jwt-vc): the verifier takes the issuer's keys from its metadata. The
 * string is copied; adding one twice is harmless. */
mobid_err mobid_trust_add_issuer(mobid_trust *t, const char *issuer);
/* True when `issuer` (exact string match) was added. */
bool mobid_trust_has_issuer(const mobid_trust *t, const char *issuer);

/* Validate chain[0] (leaf) .. chain[n-1] (may omit the anchor) at time `at`:
 * signatures, validity of every certificate (inclusive bounds), basicConstraints
 * (CA:true for issuers, path length), keyUsage (keyCertSign for issuers;
 * digitalSignature for the leaf when it has a keyUsage, except for
 * MOBID_PURPOSE_ANY) and the purpose's EKU as the set's policy says (see
 * mobid_trust_policy). Any anchor ends a path: a CA, an intermediate, or the
 * leaf itself (pinned trust). A version 1 self-signed anchor (no extensions
 * possible) is accepted as a CA.
 * Returns MOBID_OK, UNTRUSTED_ISSUER (no path, a bad signature, chains longer
 * than 16), CERT_EXPIRED, CERT_NOT_YET_VALID, CERT_USAGE, DS_EKU_MISSING and
 * CERT_PROFILE (STRICT), or CERT_INVALID. Warnings are dropped: use
 * mobid_trust_verify_chain_ex to see them.
 * Successes are cached by the trust set (keyed on SHA-256 of the purpose and the
 * certificates' SHA-256, valid for the window where every certificate of the built path is
 * valid; 256 entries; thread-safe), so re-validating a DS chain costs a hash. */
MOBID_MUST_CHECK mobid_err mobid_trust_verify_chain(mobid_trust *t, mobid_cert *const *chain,
                                                    size_t n, mobid_time at,
                                                    mobid_cert_purpose purpose);
/* As mobid_trust_verify_chain, and: when doctype is not empty, the anchor that
 * ends the path must be trusted for that docType (DOCTYPE_NOT_ALLOWED
 * otherwise); *warnings (may be NULL) receives MOBID_TRUST_WARN_* bits, 0 on
 * failure. */
MOBID_MUST_CHECK mobid_err mobid_trust_verify_chain_ex(mobid_trust *t, mobid_cert *const *chain,
                                                       size_t n, mobid_time at,
                                                       mobid_cert_purpose purpose,
                                                       mobid_view doctype, unsigned *warnings);
/* Counters of the validation cache: calls answered from it (hits) and calls that
 * built a path (builds). Either pointer may be NULL. */
void mobid_trust_cache_stats(mobid_trust *t, unsigned long *hits, unsigned long *builds);

/* A memo of signatures that verified, kept by the set for the objects its users
 * see again and again (a relying party's registration JWT arrives with every
 * request of that party). `digest` is a SHA-256 over everything the signature
 * check depended on: for an x5c JWS, the compact JWS itself (header with the
 * certificates, payload, signature), since the key is the x5c leaf's. Same bytes,
 * same outcome: a known digest needs no second signature verification. The memo
 * says nothing about time or trust: the caller still validates the chain at the
 * current time and every claim (exp, ...) on each use. Only successes may be
 * remembered. 64 entries, a newer digest takes its slot; thread-safe.
 * mobid_trust_sig_known: true when digest was remembered (and counts a hit).
 * mobid_trust_sig_hits: how many times it answered true. NULL t: false, 0. */
bool mobid_trust_sig_known(mobid_trust *t, const uint8_t digest[32]);
void mobid_trust_sig_remember(mobid_trust *t, const uint8_t digest[32]);
unsigned long mobid_trust_sig_hits(mobid_trust *t);

/* ---- certificate issuance (for `mobid pki`) ---- */

/* Key usage of an issued certificate; DEFAULT follows is_ca (keyCertSign and
 * cRLSign for a CA, digitalSignature otherwise). */
typedef enum mobid_key_usage {
    MOBID_KU_DEFAULT = 0,
    MOBID_KU_SIGN = 1,          /* digitalSignature */
    MOBID_KU_CERT_SIGN = 2,     /* keyCertSign, cRLSign */
    MOBID_KU_SIGN_AND_CERT = 3, /* all three */
    MOBID_KU_KEY_AGREEMENT = 4  /* keyAgreement only */
} mobid_key_usage;

typedef struct mobid_cert_spec {
    const char *subject_cn;
    const char *subject_o;       /* may be NULL */
    const char *subject_c;       /* ISO 3166 two-letter code; may be NULL */
    mobid_time not_before;
    mobid_time not_after;
    bool is_ca;
    int path_len;                /* -1 = unlimited (CA only) */
    mobid_cert_purpose purpose;  /* adds the EKU for DS, reader, VICAL signer */
    const char *const *san_uris; /* NULL-terminated list or NULL */
    const char *const *san_dns;  /* NULL-terminated list or NULL */
    mobid_key_usage key_usage;   /* MOBID_KU_DEFAULT unless a profile needs otherwise */
    const char *issuer_alt_uri;  /* IssuerAltName URI (18013-5 Annex B); NULL: copied
                                    from the issuer certificate when it has one */
    const char *crl_uri;         /* CRL distribution point URI; NULL: copied from the
                                    issuer certificate (the CRL its CA signs) */
} mobid_cert_spec;

/* Issue a certificate for subject_key signed by issuer_key under issuer_cert
 * (NULL issuer_cert = self-signed, then issuer_key must be subject_key's private
 * half). Adds a random positive 16-byte serial, subjectKeyIdentifier,
 * authorityKeyIdentifier (when issued by a CA), basicConstraints (CA only),
 * keyUsage, the 18013-5 EKU for DS/reader purposes and the SANs. Signs with
 * SHA-256/384/512 by the issuer's curve, or Ed25519. *out is a new certificate
 * owned by the caller. Returns MOBID_ERR_INVALID_ARG (bad spec or times),
 * MOBID_ERR_KEY_INVALID (issuer key cannot sign), MOBID_ERR_NOMEM or CRYPTO. */
MOBID_MUST_CHECK mobid_err mobid_cert_issue(const mobid_cert_spec *spec,
                                            const mobid_key *subject_key,
                                            const mobid_key *issuer_key,
                                            const mobid_cert *issuer_cert, mobid_cert **out);
/* PEM encoding appended to out. */
mobid_err mobid_cert_to_pem(const mobid_cert *c, mobid_buf *out);

/* A DER X.509 v2 CRL signed by ca_key under ca (RFC 5280: authorityKeyIdentifier,
 * cRLNumber = `number`), listing the certificates whose serials (unsigned big-endian,
 * as mobid_cert_serial gives) are in revoked[0..n) as revoked at this_update.
 * Appended to out. MOBID_ERR_INVALID_ARG for next_update <= this_update;
 * KEY_INVALID when ca_key cannot sign. Token keys sign inside their token. */
MOBID_MUST_CHECK mobid_err mobid_crl_issue(const mobid_cert *ca, const mobid_key *ca_key,
                                           mobid_time this_update, mobid_time next_update,
                                           uint64_t number, const mobid_view *revoked,
                                           size_t n, mobid_buf *out);
/* Parse a DER or PEM CRL and check its signature against ca: *this_update and
 * *next_update (may be NULL) receive its times. MOBID_ERR_MALFORMED for anything
 * unparsable, SIGNATURE_INVALID when ca did not sign it. */
MOBID_MUST_CHECK mobid_err mobid_crl_check(mobid_view crl, const mobid_cert *ca,
                                           mobid_time *this_update, mobid_time *next_update);

/* ---- the ISO 18013-5 Annex B certificate profile (checked on one certificate) ---- */

typedef enum mobid_cert_profile {
    MOBID_PROFILE_AUTO = 0,   /* a CA: IACA; the DS EKU: DS; any other leaf: SIGNER */
    MOBID_PROFILE_IACA = 1,   /* B.1.2 */
    MOBID_PROFILE_DS = 2,     /* B.1.4 */
    MOBID_PROFILE_SIGNER = 3  /* other leaves under an IACA (status list, registrar,
                                 reader, relying party): B.1.4 without the DS EKU and
                                 the 457-day limit */
} mobid_cert_profile;

/* One failed rule: a stable code ("PROFILE_CRL_DP", ...) and a sentence (both static). */
typedef struct mobid_profile_failure {
    const char *code;
    const char *detail;
} mobid_profile_failure;

#define MOBID_PROFILE_MAX_FAILURES 16

/* Check c against profile p (AUTO picks one; *used, may be NULL, receives it).
 * Rules and their codes:
 *   PROFILE_VERSION            not an X.509 v3 certificate
 *   PROFILE_SERIAL             serial not positive, or outside 8..20 octets (63+ random bits)
 *   PROFILE_SIGNATURE_ALG      not ECDSA with SHA-256/384/512 nor EdDSA
 *   PROFILE_COUNTRY            the subject has no single countryName (IACA, DS), or
 *                              it differs from the issuer's (leaves)
 *   PROFILE_SELF_SIGNED        an IACA whose issuer is not its subject
 *   PROFILE_VALIDITY           IACA over 20 years, DS over 457 days
 *   PROFILE_SKI                no subjectKeyIdentifier
 *   PROFILE_AKI                a leaf without authorityKeyIdentifier
 *   PROFILE_BASIC_CONSTRAINTS  IACA: not critical CA:TRUE pathLen 0; leaf: a CA
 *   PROFILE_KEY_USAGE          not critical, or IACA not exactly keyCertSign+cRLSign,
 *                              DS not exactly digitalSignature, SIGNER without a usage
 *   PROFILE_EKU                DS: no critical EKU with 1.0.18013.5.1.2; IACA: any EKU
 *   PROFILE_ISSUER_ALT_NAME    no IssuerAltName (IACA, DS)
 *   PROFILE_CRL_DP             no CRL distribution point with a URI (IACA, DS)
 * failures[0..*n) receive what failed (at most MOBID_PROFILE_MAX_FAILURES). Returns
 * MOBID_OK when every rule holds, MOBID_ERR_CERT_PROFILE otherwise. No I/O. */
MOBID_MUST_CHECK mobid_err mobid_cert_check_profile(const mobid_cert *c, mobid_cert_profile p,
                                                    mobid_cert_profile *used,
                                                    mobid_profile_failure *failures, size_t *n);
/* "iaca", "ds", "signer" ("auto" for AUTO); static storage. */
const char *mobid_cert_profile_name(mobid_cert_profile p);

#ifdef __cplusplus
}
#endif
#endif
