/*
 * mobid sdjwt: SD-JWT VC (RFC 9901, draft-ietf-oauth-sd-jwt-vc) — issue, present, verify.
 *
 * Serialization: <issuer-JWT>~<D1>~...~<Dn>~[<KB-JWT>]. A Disclosure is the base64url
 * encoding of a JSON array [salt, name, value] (object property) or [salt, value]
 * (array element); its digest is base64url(hash(ASCII of the disclosure as received)).
 *
 * Claim paths name a claim in the user's claim set: segments joined by '/', object
 * members by name and array elements by index ("address/country", "nationalities/0").
 * A member name holding '/' or '~' is written with "~1" / "~0" as in JSON Pointer. A
 * segment "*" matches every member or element at its level ("*" alone = every
 * top-level claim that may be disclosable). Array indices count positions in the
 * issuer-signed array (mobid never puts decoys into arrays, so they equal the indices
 * of the original claim set).
 *
 * Ownership: views and json_t arguments are borrowed for the call only (json_t are
 * never stolen). mobid_buf outputs are appended to and stay owned by the caller.
 * Result structs own what they hold until mobid_sdjwt_result_clear().
 */
#ifndef MOBID_SDJWT_H
#define MOBID_SDJWT_H

#include <jansson.h>
#include <mobid/base.h>
#include <mobid/crypto.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Largest presentation accepted, and most disclosures in one. */
#define MOBID_SDJWT_MAX_INPUT ((size_t)16 * 1024 * 1024)
#define MOBID_SDJWT_MAX_DISCLOSURES 4096
/* Deepest nesting of claims (objects and arrays, through disclosures) processed. */
#define MOBID_SDJWT_MAX_DEPTH 64
/* Longest base64url digest (SHA-512) plus NUL. */
#define MOBID_SDJWT_DIGEST_MAX 88

/* ---- building blocks ---- */

/* "sha-256", "sha-384", "sha-512" -> hash; anything else is MOBID_ERR_UNSUPPORTED. */
MOBID_MUST_CHECK mobid_err mobid_sdjwt_hash_from_name(const char *name, mobid_hash_alg *out);
/* The IANA name of h ("sha-256", ...), or NULL. Static storage. */
const char *mobid_sdjwt_hash_name(mobid_hash_alg h);

/* Build a Disclosure: base64url of the compact JSON [salt, name, value], or [salt, value]
 * when name is NULL. Appends it to out. Returns MOBID_OK, INVALID_ARG (NULL salt or
 * value, reserved name "_sd" or "...") or NOMEM/TOO_BIG. */
mobid_err mobid_sdjwt_disclosure_make(const char *salt, const char *name, const json_t *value,
                                      mobid_buf *out);

/* Digest of a Disclosure string exactly as given (ASCII bytes), base64url-encoded and
 * appended to out. Returns MOBID_OK, INVALID_ARG, NOMEM or CRYPTO. */
mobid_err mobid_sdjwt_digest(mobid_hash_alg h, mobid_view disclosure, mobid_buf *out);

/* The parts of a serialized SD-JWT or SD-JWT+KB, as views into the input. */
typedef struct mobid_sdjwt_parts {
    mobid_view jwt;          /* issuer-signed JWT */
    mobid_view kb;           /* KB-JWT, empty when absent */
    mobid_view sd_hash_input;/* input up to and including the last '~' */
    size_t n_disclosures;    /* number of disclosures (even when more than max) */
} mobid_sdjwt_parts;

/* Split a presentation. disclosures (room for max views, may be NULL with max 0) receives
 * the disclosures in order. Returns MOBID_OK; MALFORMED (no '~', an empty disclosure, an
 * issuer JWT or KB-JWT that is not three dot-separated parts); TOO_BIG (input or more
 * than MOBID_SDJWT_MAX_DISCLOSURES); BUFFER_TOO_SMALL when n_disclosures > max (parts
 * still filled, so a first call with max 0 sizes the array). Never allocates. */
MOBID_MUST_CHECK mobid_err mobid_sdjwt_split(mobid_view in, mobid_sdjwt_parts *parts,
                                             mobid_view *disclosures, size_t max);

/* Claim paths: true when pattern covers path, i.e. path has at most as many segments as
 * pattern and each matches the pattern's segment at that position ('*' matches any).
 * So "address/country" covers "address" (the parent comes with the child). */
bool mobid_sdjwt_path_covers(const char *pattern, const char *path);

/* ---- issuing ---- */

/* What the issuer signs. Zero-initialise, then fill. */
typedef struct mobid_sdjwt_issue_params {
    const json_t *claims;         /* user claims, an object (required) */
    const char *const *sd_paths;  /* NULL-terminated claim paths to make disclosable, or NULL */
    const char *vct;              /* "vct"; NULL = none (plain SD-JWT) unless in claims */
    const char *iss;              /* "iss"; NULL = from claims, else the first URI SAN of the
                                   * leaf certificate, else none */
    mobid_time iat;               /* 0 = now */
    mobid_time nbf;               /* 0 = omit */
    mobid_time exp;               /* 0 = omit */
    const mobid_key *holder_key;  /* public part goes to cnf.jwk; NULL = no key binding */
    const char *status_uri;       /* status.status_list.uri, or NULL */
    int64_t status_idx;           /* status.status_list.idx (used when status_uri is set) */
    const mobid_key *issuer_key;  /* signing key (required) */
    mobid_alg alg;                /* MOBID_ALG_NONE = from the key's curve */
    mobid_cert *const *x5c;       /* DS certificate chain, leaf first; may be NULL */
    size_t x5c_len;
    mobid_hash_alg hash;          /* _sd_alg; 0 = SHA-256 */
    unsigned decoys;              /* decoy digests added to each non-empty _sd array */
    const char *typ;              /* header typ; NULL = "dc+sd-jwt" */
    const json_t *extra_header;   /* more header members (object) or NULL */
} mobid_sdjwt_issue_params;

/* Issue an SD-JWT: appends <JWT>~<D1>~...~<Dn>~ to out. Salts are 128 random bits.
 * iss, nbf, exp, cnf, vct, status, iat and _sd_alg are never disclosable; a path naming
 * one is INVALID_ARG, '*' skips them. A path without '*' that matches no claim is
 * NOT_FOUND. Claims named "_sd", "..." or "_sd_alg" are RESERVED_CLAIM_NAME.
 * Returns MOBID_OK or the first error (INVALID_ARG, NOT_FOUND, RESERVED_CLAIM_NAME,
 * TOO_DEEP, KEY_INVALID, NOMEM, CRYPTO, ...). */
MOBID_MUST_CHECK mobid_err mobid_sdjwt_issue(const mobid_sdjwt_issue_params *p, mobid_buf *out);

/* ---- presenting (holder) ---- */

typedef struct mobid_sdjwt_present_params {
    const char *const *reveal;    /* NULL-terminated claim paths; NULL = reveal nothing */
    const mobid_key *holder_key;  /* signs the KB-JWT; NULL = no KB-JWT */
    mobid_alg alg;                /* MOBID_ALG_NONE = from the key's curve */
    const char *aud;              /* KB-JWT aud (required with holder_key) */
    const char *nonce;            /* KB-JWT nonce (required with holder_key) */
    mobid_time iat;               /* KB-JWT iat; 0 = now */
} mobid_sdjwt_present_params;

/* From an issued SD-JWT (an SD-JWT+KB is accepted; its KB-JWT is dropped), keep the
 * disclosures covered by the reveal paths (a parent's disclosure comes with a child's)
 * and, with a holder key, append a KB-JWT (typ kb+jwt; iat, aud, nonce, sd_hash).
 * Appends the presentation to out. The issuer signature is not checked here.
 * Returns MOBID_OK; NOT_FOUND (a reveal path matches no claim); KEY_INVALID (holder key
 * differs from cnf.jwk); the processing errors of mobid_sdjwt_verify; NOMEM. */
MOBID_MUST_CHECK mobid_err mobid_sdjwt_present(mobid_view sdjwt,
                                               const mobid_sdjwt_present_params *p,
                                               mobid_buf *out);

/* ---- verifying ---- */

/* A cache of issuer JWT protected headers whose x5c chain was validated against a trust
 * set, with the leaf's key, so a verifier that sees many credentials from few issuers
 * decodes, parses and validates each issuer's header and chain once. An entry is reused
 * only for the same trust set, a byte-identical encoded header, a time inside every chain
 * certificate's validity and within ttl seconds of the validation. Thread-safe (one
 * lock); shared by any number of verifications. */
typedef struct mobid_sdjwt_key_cache mobid_sdjwt_key_cache;

/* New cache of at most capacity chains (0 = 64) revalidated after ttl seconds (0 = 300).
 * Returns MOBID_OK or NOMEM. Release with mobid_sdjwt_key_cache_free (safe on NULL). */
mobid_err mobid_sdjwt_key_cache_new(size_t capacity, int64_t ttl, mobid_sdjwt_key_cache **out);
void mobid_sdjwt_key_cache_free(mobid_sdjwt_key_cache *cache);

/* ---- issuer metadata (draft-ietf-oauth-sd-jwt-vc §4: /.well-known/jwt-vc-issuer) ---- */

/* The transport the caller lends: GET url (https, or http for local tests) and append
 * at most max_bytes of the body to *body (MOBID_ERR_TOO_BIG past that); a status other
 * than 200 is MOBID_ERR_FETCH_FAILED. The library itself does no I/O. */
typedef mobid_err (*mobid_sdjwt_fetch_fn)(void *ctx, const char *url, size_t max_bytes,
                                          mobid_buf *body);

/* The metadata URL of an issuer identifier: the well-known segment goes between the
 * host and the path ("https://ex.org/tenant" -> "https://ex.org/.well-known/
 * jwt-vc-issuer/tenant"). Appends to out. INVALID_ARG unless issuer is an https (or
 * http) URL without query or fragment. */
mobid_err mobid_sdjwt_issuer_metadata_url(const char *issuer, mobid_buf *out);

/* Check a metadata document: a JSON object whose "issuer" is exactly `issuer` and
 * whose "jwks" holds a non-empty "keys" array. *jwks gets a new reference to that JWK
 * Set. ISSUER_METADATA_INVALID otherwise (also for a document with jwks_uri only:
 * see mobid_sdjwt_issuer_key, which fetches it). */
MOBID_MUST_CHECK mobid_err mobid_sdjwt_issuer_metadata_check(mobid_view json, const char *issuer,
                                                             json_t **jwks);

/* A cache of issuers' JWK Sets fetched from their metadata through a caller's
 * transport: at most capacity issuers, each kept ttl seconds, documents of at most
 * max_bytes. Thread-safe; fetches run outside its lock. */
typedef struct mobid_sdjwt_issuer_cache mobid_sdjwt_issuer_cache;
typedef struct mobid_sdjwt_issuer_cache_opts {
    mobid_sdjwt_fetch_fn fetch;   /* required */
    void *ctx;                    /* passed to fetch */
    int64_t ttl;                  /* seconds; 0 = 300 */
    size_t max_bytes;             /* per document; 0 = 64 KiB */
    size_t capacity;              /* issuers; 0 = 64 */
} mobid_sdjwt_issuer_cache_opts;
MOBID_MUST_CHECK mobid_err mobid_sdjwt_issuer_cache_new(const mobid_sdjwt_issuer_cache_opts *o,
                                                        mobid_sdjwt_issuer_cache **out);
void mobid_sdjwt_issuer_cache_free(mobid_sdjwt_issuer_cache *c);

/* The issuer's key named kid (NULL or "": the set must hold exactly one key), from the
 * cache or fetched now (the metadata, then its jwks_uri when it has no jwks). *out is a
 * new key the caller frees. Returns MOBID_OK, FETCH_FAILED, TOO_BIG,
 * ISSUER_METADATA_INVALID (bad document, another issuer, no such kid), NOMEM; detail
 * (may be NULL) says more. */
MOBID_MUST_CHECK mobid_err mobid_sdjwt_issuer_key(mobid_sdjwt_issuer_cache *c, const char *issuer,
                                                  const char *kid, mobid_time now,
                                                  mobid_key **out, char *detail,
                                                  size_t detail_len);
/* Counters: documents fetched and keys answered from the cache. */
void mobid_sdjwt_issuer_cache_stats(mobid_sdjwt_issuer_cache *c, unsigned long *fetches,
                                    unsigned long *hits);

/* ---- type metadata (draft-ietf-oauth-sd-jwt-vc §6: the document at an https vct) ---- */

/* W3C Subresource Integrity: does doc hash to one of the space-separated
 * "sha256-/sha384-/sha512-<base64>" values of integrity ("vct#integrity")? Returns
 * MOBID_OK, DIGEST_MISMATCH (none matches), MALFORMED (no value with a known
 * algorithm), INVALID_ARG. */
MOBID_MUST_CHECK mobid_err mobid_sdjwt_integrity_check(mobid_view doc, const char *integrity);

/* Check a type metadata document: integrity (may be NULL) first, then a JSON object
 * whose "vct" is exactly vct. *out gets the parsed document (caller decrefs). Returns
 * MOBID_OK, DIGEST_MISMATCH or MALFORMED (integrity), ISSUER_METADATA_INVALID (not a
 * JSON object naming this vct), INVALID_ARG. */
MOBID_MUST_CHECK mobid_err mobid_sdjwt_type_metadata_check(mobid_view doc, const char *vct,
                                                           const char *integrity, json_t **out);

/* The type metadata of vct (an http(s) URL without fragment), fetched at vct through
 * the cache's transport or taken from the cache (kept its TTL as fetched bytes, so
 * integrity is checked against them each time), checked as above. *out is a new
 * reference. Returns MOBID_OK, FETCH_FAILED, TOO_BIG, DIGEST_MISMATCH, MALFORMED,
 * ISSUER_METADATA_INVALID (also a vct that is not a URL), INVALID_ARG, NOMEM; detail
 * (may be NULL) says more. Thread-safe. */
MOBID_MUST_CHECK mobid_err mobid_sdjwt_type_metadata(mobid_sdjwt_issuer_cache *c, const char *vct,
                                                     const char *integrity, mobid_time now,
                                                     json_t **out, char *detail,
                                                     size_t detail_len);

typedef struct mobid_sdjwt_verify_opts {
    mobid_trust *trust;           /* header x5c must chain to these (leaf: signing use);
                                   * its issuer identifiers name issuers trusted by
                                   * their metadata */
    mobid_sdjwt_issuer_cache *issuers; /* with trust: keys of issuers trusted by
                                   * identifier (an iss the trust set names) */
    mobid_sdjwt_key_cache *cache; /* optional, with trust: reuse validated chains */
    const mobid_key *issuer_key;  /* or: the issuer's key, x5c ignored (one is required) */
    const mobid_alg *algs;        /* allow-list, MOBID_ALG_NONE-terminated; NULL = ES256,
                                   * ES384, ES512, EdDSA */
    mobid_time now;               /* 0 = mobid_now() */
    int64_t skew;                 /* tolerance for iat/nbf/exp in seconds; < 0 = 60 */
    bool require_kb;              /* a KB-JWT must be present */
    const char *nonce;            /* expected KB nonce; NULL = not checked */
    const char *aud;              /* expected KB aud; NULL = not checked */
    int64_t kb_max_age;           /* KB iat at most this old (s); <= 0 = 300 */
    const char *typ;              /* expected typ; NULL = "dc+sd-jwt" or legacy "vc+sd-jwt";
                                   * "" = not checked and no vct required (plain SD-JWT) */
} mobid_sdjwt_verify_opts;

typedef struct mobid_sdjwt_result {
    json_t *claims;         /* processed claims, without _sd/_sd_alg; owned */
    json_t *header;         /* issuer JWT protected header; owned */
    bool key_bound;         /* a KB-JWT was present and verified */
    char detail[192];       /* what failed, for humans and the CLI "detail" field */
} mobid_sdjwt_result;

/* Verify a presentation: issuer JWS (allow-list, x5c chain or given key), disclosures
 * (each referenced exactly once, shapes, reserved and duplicate names, _sd_alg), iat/
 * nbf/exp with skew, and the KB-JWT (signature by cnf.jwk, typ, nonce, aud, iat window,
 * sd_hash) when present or required. On success res->claims holds the processed claims.
 * res is always initialised; release it with mobid_sdjwt_result_clear.
 * Returns MOBID_OK or: MALFORMED, BAD_BASE64, TOO_BIG, TOO_DEEP, ALG_NOT_ALLOWED,
 * TYPE_MISMATCH, CRITICAL_HEADER, UNTRUSTED_ISSUER, CERT_EXPIRED, CERT_NOT_YET_VALID,
 * CERT_USAGE, CERT_INVALID, ISSUER_SIGNATURE_INVALID, UNSUPPORTED (_sd_alg),
 * DISCLOSURE_UNREFERENCED, DUPLICATE_DISCLOSURE, DUPLICATE_DIGEST, DUPLICATE_CLAIM,
 * RESERVED_CLAIM_NAME, CLAIM_MISSING (no vct), NOT_YET_VALID, EXPIRED, KB_MISSING,
 * HOLDER_BINDING_MISSING,
 * KB_SIGNATURE_INVALID, NONCE_MISMATCH, AUDIENCE_MISMATCH, KB_IAT_INVALID,
 * SD_HASH_MISMATCH, INVALID_ARG, NOMEM. */
MOBID_MUST_CHECK mobid_err mobid_sdjwt_verify(mobid_view presentation,
                                              const mobid_sdjwt_verify_opts *opts,
                                              mobid_sdjwt_result *res);
/* Release what a result holds and zero it; safe on a zeroed or cleared result. */
void mobid_sdjwt_result_clear(mobid_sdjwt_result *res);

#ifdef __cplusplus
}
#endif
#endif
