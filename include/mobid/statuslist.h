/*
 * mobid statuslist: IETF Token Status List (draft-ietf-oauth-status-list).
 *
 * A status list holds one value of 1, 2, 4 or 8 bits for every index, packed
 * least-significant bit first into a byte array that travels zlib-compressed:
 * as {"bits":B,"lst":"<base64url>"} in JSON, as {"bits":B,"lst":h'..'} in CBOR.
 * Status list tokens wrap the list in a signed JWT (typ "statuslist+jwt") or CWT
 * (COSE_Sign1, typ 16 = "application/statuslist+cwt") with the claims sub (the
 * list's URI), iat, exp and ttl. Values: 0 VALID, 1 INVALID, 2 SUSPENDED, the
 * rest application-specific. An index past the end is an error, never "valid".
 *
 * Decompression is bounded: a list never inflates past the configured maximum
 * (MOBID_ERR_TOO_BIG), so a zip bomb cannot make the verifier allocate more.
 *
 * Ownership: a mobid_statuslist owns its packed bytes and is released with
 * mobid_statuslist_free (safe on NULL). Views passed in are read during the call
 * only. mobid_buf outputs are appended to and stay owned by the caller. Tokens
 * returned by verification are owned by the caller (mobid_statuslist_token_free)
 * except those lent by the fetcher's cache, which say so.
 */
#ifndef MOBID_STATUSLIST_H
#define MOBID_STATUSLIST_H

#include <mobid/base.h>
#include <mobid/cbor.h>
#include <mobid/crypto.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status values defined by the draft; 3 and 0x0B..0x0F are application-specific
 * (0x03 is "application specific" in the draft's registry). */
#define MOBID_STATUS_VALID 0
#define MOBID_STATUS_INVALID 1
#define MOBID_STATUS_SUSPENDED 2

/* Hard cap on the packed (decompressed) size of any list: 64 MiB, i.e. 512 Mi
 * one-bit entries. */
#define MOBID_STATUSLIST_MAX_BYTES ((size_t)64 * 1024 * 1024)

/* Media types and the JWT typ of status list tokens. */
#define MOBID_STATUSLIST_JWT_TYP "statuslist+jwt"
#define MOBID_STATUSLIST_JWT_MEDIA "application/statuslist+jwt"
#define MOBID_STATUSLIST_CWT_MEDIA "application/statuslist+cwt"

/* CWT claim keys used by status list tokens. */
#define MOBID_CWT_SUB 2
#define MOBID_CWT_EXP 4
#define MOBID_CWT_IAT 6
#define MOBID_CWT_TTL 65534
#define MOBID_CWT_STATUS_LIST 65533
#define MOBID_CWT_STATUS 65535 /* referenced token: the "status" claim */

typedef struct mobid_statuslist mobid_statuslist;

/* ---------------------------------------------------------------- the list */

/* New list of `size` entries of `bits` (1, 2, 4 or 8) bits, all VALID (0). The
 * packed array is rounded up to whole bytes, so mobid_statuslist_size() may be
 * larger than `size` (the padding entries are VALID and addressable, as in the
 * draft where the size is implied by the byte array). Returns MOBID_OK,
 * INVALID_ARG (bits not 1/2/4/8, size 0), TOO_BIG (over MOBID_STATUSLIST_MAX_BYTES)
 * or NOMEM. *out is freed by the caller with mobid_statuslist_free. */
MOBID_MUST_CHECK mobid_err mobid_statuslist_new(unsigned bits, uint64_t size,
                                                mobid_statuslist **out);
/* List over a copy of an already packed byte array. Same errors as _new. */
MOBID_MUST_CHECK mobid_err mobid_statuslist_from_packed(unsigned bits, mobid_view packed,
                                                        mobid_statuslist **out);
void mobid_statuslist_free(mobid_statuslist *l);

unsigned mobid_statuslist_bits(const mobid_statuslist *l);
/* Number of addressable entries: packed bytes * 8 / bits. */
uint64_t mobid_statuslist_size(const mobid_statuslist *l);
/* The packed bytes (valid while the list lives and is not modified). */
mobid_view mobid_statuslist_packed(const mobid_statuslist *l);

/* Value at idx. Returns MOBID_OK, STATUS_INDEX_OUT_OF_RANGE (idx >= size; *value is
 * left unchanged) or INVALID_ARG (NULL). */
MOBID_MUST_CHECK mobid_err mobid_statuslist_get(const mobid_statuslist *l, uint64_t idx,
                                                unsigned *value);
/* Set the value at idx. Returns MOBID_OK, STATUS_INDEX_OUT_OF_RANGE, or INVALID_ARG
 * when value does not fit in bits. */
mobid_err mobid_statuslist_set(mobid_statuslist *l, uint64_t idx, unsigned value);

/* "VALID", "INVALID", "SUSPENDED", or "0x%X" for others, written to out. */
void mobid_statuslist_value_name(unsigned value, char out[12]);

/* ------------------------------------------------------------ compression */

/* How to deflate. All produce the zlib format and every decoder accepts all. */
typedef enum mobid_statuslist_zlib {
    /* BEST up to MOBID_STATUSLIST_AUTO_BEST_MAX packed bytes, RLE above. */
    MOBID_STATUSLIST_ZLIB_AUTO = 0,
    /* Level 9, default strategy: the draft's recommendation and its example bytes;
     * slow on big lists (2.5 MB with 2% set: ~1.5 s). */
    MOBID_STATUSLIST_ZLIB_BEST = 1,
    /* Level 9, Z_RLE: run-length matches only; two orders of magnitude faster and
     * within 7% of BEST on sparse lists. */
    MOBID_STATUSLIST_ZLIB_RLE = 2
} mobid_statuslist_zlib;

#define MOBID_STATUSLIST_AUTO_BEST_MAX ((size_t)1024 * 1024)

/* Append the zlib-compressed packed bytes to out. Returns MOBID_OK, INVALID_ARG,
 * NOMEM, TOO_BIG (out's max) or MALFORMED (zlib internal failure). */
mobid_err mobid_statuslist_compress(const mobid_statuslist *l, mobid_statuslist_zlib mode,
                                    mobid_buf *out);

/* Limits applied while decoding untrusted lists. */
typedef struct mobid_statuslist_limits {
    size_t max_bytes;     /* packed bytes after inflating; 0 = MOBID_STATUSLIST_MAX_BYTES
                             (larger values are clamped to it) */
    uint64_t max_entries; /* 0 = no limit besides max_bytes; else the packed bytes may not
                             exceed ceil(max_entries * bits / 8) */
} mobid_statuslist_limits;

/* Inflate zlib data (exactly one stream, nothing after it) into a new list of
 * `bits`. Returns MOBID_OK, INVALID_ARG (bits), MALFORMED (not zlib, corrupt,
 * trailing bytes, truncated stream, empty list), TOO_BIG (inflates past the
 * limit: nothing larger is ever allocated) or NOMEM. lim may be NULL. */
MOBID_MUST_CHECK mobid_err mobid_statuslist_decompress(unsigned bits, mobid_view z,
                                                       const mobid_statuslist_limits *lim,
                                                       mobid_statuslist **out);

/* --------------------------------------------------------- JSON and CBOR */

/* Append {"bits":B,"lst":"<base64url of compressed bytes>"} to out. */
mobid_err mobid_statuslist_to_json(const mobid_statuslist *l, mobid_statuslist_zlib mode,
                                   mobid_buf *out);
/* Parse the JSON form (an object with integer "bits" and string "lst"; other
 * members are ignored). Returns MOBID_OK, MALFORMED (also for bits other than
 * 1/2/4/8 and for any zlib error), BAD_BASE64, TOO_BIG or NOMEM. */
MOBID_MUST_CHECK mobid_err mobid_statuslist_from_json(mobid_view json,
                                                      const mobid_statuslist_limits *lim,
                                                      mobid_statuslist **out);

/* Write the CBOR form {"bits":B,"lst":bstr} into an encoder (sticky error; check
 * with mobid_cbor_enc_finish). Keys are written "bits" then "lst" as in the draft's
 * example (not RFC 8949 sorted order) so its bytes are reproduced. Returns the
 * encoder's error or a compression error. */
mobid_err mobid_statuslist_to_cbor(const mobid_statuslist *l, mobid_statuslist_zlib mode,
                                   mobid_cbor_enc *enc);
/* Decode the CBOR form from a decoded map item. Same errors as from_json. */
MOBID_MUST_CHECK mobid_err mobid_statuslist_from_cbor(const mobid_cbor_item *map,
                                                      const mobid_statuslist_limits *lim,
                                                      mobid_statuslist **out);

/* ---------------------------------------------------------------- tokens */

typedef enum mobid_statuslist_format {
    MOBID_STATUSLIST_JWT = 1,
    MOBID_STATUSLIST_CWT = 2
} mobid_statuslist_format;

/* What a status list token says. Owned by the caller when returned by
 * mobid_statuslist_token_verify/_decode; freed with mobid_statuslist_token_free. */
typedef struct mobid_statuslist_token {
    mobid_statuslist_format format;
    char *sub;                /* the list's URI (heap string) */
    mobid_time iat;
    bool has_exp;
    mobid_time exp;
    bool has_ttl;
    uint64_t ttl;             /* seconds a verifier may cache the token */
    mobid_statuslist *list;
} mobid_statuslist_token;

void mobid_statuslist_token_free(mobid_statuslist_token *t);

/* Everything needed to sign a token. Zero-initialise and fill in. */
typedef struct mobid_statuslist_sign_params {
    mobid_statuslist_format format;
    const mobid_key *key;         /* the status list signer's private key */
    mobid_alg alg;                /* 0 = from the key's curve (ES256 for P-256, ...) */
    mobid_cert *const *chain;     /* signer certificate first; sent as x5c / x5chain */
    size_t chain_len;             /* at least 1 */
    const char *uri;              /* sub: the URI the list is published at */
    mobid_time iat;               /* 0 = mobid_now() */
    mobid_time exp;               /* 0 = no exp */
    uint64_t ttl;                 /* 0 = no ttl */
    mobid_view kid;               /* optional kid header */
    mobid_statuslist_zlib zlib;   /* compression of lst */
} mobid_statuslist_sign_params;

/* Sign l into a token; appends the compact JWT (text) or the tagged COSE_Sign1
 * (binary) to out. Returns MOBID_OK, INVALID_ARG (missing key/chain/uri/format),
 * KEY_INVALID, NOMEM, TOO_BIG, CRYPTO. */
MOBID_MUST_CHECK mobid_err mobid_statuslist_token_sign(const mobid_statuslist *l,
                                                       const mobid_statuslist_sign_params *p,
                                                       mobid_buf *out);

/* How to verify a token. Zero-initialise and fill in. */
typedef struct mobid_statuslist_verify_params {
    mobid_trust *trust;           /* anchors for the x5c / x5chain (required) */
    mobid_time at;                /* 0 = mobid_now() */
    const char *expected_uri;     /* the uri from the credential's reference, or NULL */
    const mobid_statuslist_limits *limits; /* NULL = defaults */
} mobid_statuslist_verify_params;

/* JWT (compact text) or CWT (COSE_Sign1 bytes, tag 18 optional) by the first byte. */
mobid_statuslist_format mobid_statuslist_detect_format(mobid_view token);

/* Verify a status list token: format detected; typ must be statuslist+jwt / the
 * CWT typ (TYPE_MISMATCH); the signer certificate chain (x5c / x5chain, leaf with
 * digitalSignature) must lead to trust at `at` (UNTRUSTED_ISSUER, CERT_EXPIRED,
 * CERT_NOT_YET_VALID, CERT_USAGE, CERT_INVALID; no chain: UNTRUSTED_ISSUER); the
 * signature must verify with the leaf key (SIGNATURE_INVALID, ALG_NOT_ALLOWED);
 * sub, iat and status_list must be present (STATUS_LIST_INVALID, or the list's own
 * decode errors MALFORMED / BAD_BASE64 / TOO_BIG); sub must equal expected_uri
 * when given (SUBJECT_MISMATCH); exp, when present, must be after `at` (EXPIRED);
 * iat must not lie in the future of `at` by more than 5 minutes (NOT_YET_VALID).
 * On success *out is a new token the caller frees. */
MOBID_MUST_CHECK mobid_err mobid_statuslist_token_verify(mobid_view token,
                                                         const mobid_statuslist_verify_params *p,
                                                         mobid_statuslist_token **out);

/* Decode a token WITHOUT verifying its signature or times (for display and
 * debugging only). Returns the structural errors of _verify. */
MOBID_MUST_CHECK mobid_err mobid_statuslist_token_decode(mobid_view token,
                                                         const mobid_statuslist_limits *lim,
                                                         mobid_statuslist_token **out);

/* ------------------------------------------------ credential status reference */

/* The "status": {"status_list": {"idx": N, "uri": U}} of a referenced token. */
typedef struct mobid_status_ref {
    uint64_t idx;
    char *uri; /* heap string; mobid_status_ref_clear frees it */
} mobid_status_ref;

/* From the JSON text of a referenced token's "status" claim value. Returns MOBID_OK,
 * NOT_FOUND (no status_list member), MALFORMED or NOMEM. */
MOBID_MUST_CHECK mobid_err mobid_status_ref_from_json(mobid_view status_json,
                                                      mobid_status_ref *out);
/* From the CBOR "status" claim value (a map with "status_list"). Same errors. */
MOBID_MUST_CHECK mobid_err mobid_status_ref_from_cbor(const mobid_cbor_item *status,
                                                      mobid_status_ref *out);
void mobid_status_ref_clear(mobid_status_ref *r);

/* ---------------------------------------------------------------- fetcher */

/*
 * The verifier-side fetcher: verifiers must get lists from the issuer's URI, but the
 * library does no I/O itself: the host gives it a transport (`get` below; mobid's
 * own, over libcurl, is mobid_http_statuslist_get in src/http/resource.c). http and
 * https URLs, and file URLs or plain local paths for offline use, are handed to the
 * transport. Tokens are verified before they are cached; the cache is bounded in
 * entries and bytes and keeps a token until the earlier of fetch time + ttl
 * (default_ttl when the token has none) and exp.
 */
/* One GET the fetcher asks its host to make. */
typedef struct mobid_statuslist_get_req {
    const char *url;             /* http(s) or file URL, or a local path */
    const char *accept;          /* value of the Accept header to send */
    size_t max_response;         /* larger bodies: MOBID_ERR_TOO_BIG */
    long connect_timeout_ms;
    long timeout_ms;             /* the whole transfer */
    const char *ca_file;         /* PEM CAs trusted for https, NULL = the system's */
} mobid_statuslist_get_req;
/* The transport: append the body to `body`. Follow redirects to http(s) only, never
 * to another scheme. Return MOBID_OK (HTTP 200, or a file read), FETCH_FAILED
 * (transport error, timeout, other status, unreadable file), TOO_BIG or NOMEM. */
typedef mobid_err (*mobid_statuslist_get_fn)(void *ctx, const mobid_statuslist_get_req *req,
                                             mobid_buf *body);

typedef struct mobid_statuslist_fetcher mobid_statuslist_fetcher;

typedef struct mobid_statuslist_fetch_opts {
    long connect_timeout_ms;     /* 0 = 5000 */
    long timeout_ms;             /* whole transfer; 0 = 15000 */
    size_t max_response;         /* bytes; 0 = 16 MiB */
    size_t cache_max_entries;    /* 0 = 64 */
    size_t cache_max_bytes;      /* packed list bytes kept; 0 = 256 MiB */
    uint64_t default_ttl;        /* seconds, when a token has no ttl; 0 = 300 */
    mobid_statuslist_format prefer; /* Accept header; 0 = JWT first, then CWT */
    const mobid_statuslist_limits *limits; /* copied; NULL = defaults */
    const char *ca_file;         /* PEM file of the CAs trusted for https (instead of the
                                    system's, e.g. a private CA); copied; NULL = system */
    mobid_statuslist_get_fn get; /* the transport (required) */
    void *get_ctx;               /* passed back to get */
} mobid_statuslist_fetch_opts;

/* New fetcher using `trust` (borrowed: keep it alive while the fetcher is used) and
 * the transport opts->get. Returns MOBID_OK, INVALID_ARG (no opts or no transport),
 * NOMEM. */
MOBID_MUST_CHECK mobid_err mobid_statuslist_fetcher_new(mobid_trust *trust,
                                                        const mobid_statuslist_fetch_opts *opts,
                                                        mobid_statuslist_fetcher **out);
void mobid_statuslist_fetcher_free(mobid_statuslist_fetcher *f);

/* Offline use: fetch the list published at `uri` from `location` instead (a local
 * path or an http/https/file URL; both strings copied). The token's sub must still
 * equal uri. Returns MOBID_OK, INVALID_ARG or NOMEM. */
mobid_err mobid_statuslist_fetcher_map(mobid_statuslist_fetcher *f, const char *uri,
                                       const char *location);

/* The verified token published at uri, from the cache when fresh at `at` (0 = now),
 * else fetched and verified with expected_uri = uri (except when uri is itself a
 * local path or file: URL, whose name cannot be the token's sub; use
 * mobid_statuslist_fetcher_map to keep the check offline). *out is lent by the cache:
 * valid until the next call on this fetcher. Returns the errors of
 * mobid_statuslist_token_verify, FETCH_FAILED (transport, HTTP status, timeout),
 * TOO_BIG (response over max_response) or NOMEM. */
MOBID_MUST_CHECK mobid_err mobid_statuslist_fetch(mobid_statuslist_fetcher *f, const char *uri,
                                                  mobid_time at,
                                                  const mobid_statuslist_token **out);

/* Fetch (or take from the cache) the list at ref->uri and look up ref->idx. The
 * reference comes from a credential, so ref->uri must be http or https unless it
 * was mapped with mobid_statuslist_fetcher_map (FETCH_FAILED otherwise: a
 * credential cannot make a verifier read its local files). Returns the errors of
 * mobid_statuslist_fetch and STATUS_INDEX_OUT_OF_RANGE. */
MOBID_MUST_CHECK mobid_err mobid_statuslist_check(mobid_statuslist_fetcher *f,
                                                  const mobid_status_ref *ref, mobid_time at,
                                                  unsigned *value);

/* Cache statistics, for tests and metrics. */
typedef struct mobid_statuslist_cache_stats {
    size_t entries;
    size_t bytes;
    uint64_t hits;
    uint64_t misses;
    uint64_t evictions;
} mobid_statuslist_cache_stats;
void mobid_statuslist_fetcher_stats(const mobid_statuslist_fetcher *f,
                                    mobid_statuslist_cache_stats *out);

#ifdef __cplusplus
}
#endif
#endif
