/* lib/sdjwt internals: the disclosure table and the claim-processing walk. */
#ifndef MOBID_SDJWT_INTERNAL_H
#define MOBID_SDJWT_INTERNAL_H

#include <mobid/jose.h>
#include <mobid/sdjwt.h>

/* One received disclosure. */
typedef struct sd_disc {
    mobid_view text;                     /* as received (a view into the presentation) */
    char digest[MOBID_SDJWT_DIGEST_MAX]; /* base64url digest, NUL-terminated */
    json_t *arr;                         /* decoded JSON array (owned) */
    const char *name;                    /* member name, NULL for an array element */
    json_t *value;                       /* borrowed from arr */
    long parent;                         /* disclosure whose value referenced it; -1 = JWT */
    char *path;                          /* claim path (holder walk only; owned) */
    bool used;
} sd_disc;

/* The disclosures of one presentation, with an index sorted by digest. */
typedef struct sd_set {
    sd_disc *d;
    size_t n;
    sd_disc **by_digest;
    mobid_hash_alg hash;
} sd_set;

/* Decode and digest each disclosure; on error *detail names the culprit. */
mobid_err mobid_sdjwt_set_load(sd_set *s, const mobid_view *texts, size_t n, mobid_hash_alg h,
                               char *detail, size_t detail_len);
void mobid_sdjwt_set_clear(sd_set *s);

/* Read and remove the top-level "_sd_alg" (absent = SHA-256). */
mobid_err mobid_sdjwt_take_hash_alg(json_t *payload, mobid_hash_alg *out, char *detail,
                                    size_t dlen);

/* RFC 9901 §7.1 steps 3-5 on payload (modified in place): replace digests by the
 * disclosed claims, drop unmatched digests, reject every misuse. With record_paths, each
 * used disclosure gets its claim path. Afterwards every disclosure must be used. */
mobid_err mobid_sdjwt_process(sd_set *s, json_t *payload, bool record_paths, char *detail,
                              size_t detail_len);

/* Append the escaped path segment (JSON Pointer rules: '~' -> "~0", '/' -> "~1"). */
mobid_err mobid_sdjwt_path_push(mobid_buf *path, const char *seg);
mobid_err mobid_sdjwt_path_push_index(mobid_buf *path, size_t idx);

/* Base64url of a digest of n bytes into out (NUL-terminated). */
void mobid_sdjwt_digest_encode(const uint8_t *md, size_t n, char out[MOBID_SDJWT_DIGEST_MAX]);
/* Base64url digest of text into out (NUL-terminated). */
mobid_err mobid_sdjwt_digest_str(mobid_hash_alg h, mobid_view text,
                                 char out[MOBID_SDJWT_DIGEST_MAX]);

/* Claims the issuer never makes disclosable (top level). */
bool mobid_sdjwt_never_disclosable(const char *name);

/* key_cache.c: for an encoded protected header seen before and validated against trust
 * at a time near now, the parsed header, its alg, the issuer key and the leaf's SAN
 * values (new references). Returns false on a miss. */
bool mobid_sdjwt_cache_get(mobid_sdjwt_key_cache *c, const mobid_trust *trust,
                           mobid_view header_b64, mobid_time now, json_t **header, mobid_alg *alg,
                           mobid_key **key, json_t **san);
/* Remember a header whose x5c chain (parsed certificates) validated, with its leaf key
 * and SAN values. */
void mobid_sdjwt_cache_put(mobid_sdjwt_key_cache *c, const mobid_trust *trust, const mobid_jws *jws,
                           mobid_cert *const *chain, size_t n, mobid_key *key, json_t *san,
                           mobid_time now);

/* The signature algorithm a key's curve implies (ES256 for P-256, ...). */
mobid_alg mobid_sdjwt_alg_for_key(const mobid_key *k);

/* issue_jwt.c: the payload around the processed claims, signed; appends the JWT. */
mobid_err mobid_sdjwt_issue_sign(const mobid_sdjwt_issue_params *p, json_t *claims, mobid_buf *out);

/* kb.c: check the KB-JWT of a presentation (payload = processed claims, for cnf.jwk).
 * sd_digest, when not NULL, is the hash-alg digest of parts->sd_hash_input, computed
 * already (with the issuer signing input it starts with). */
mobid_err mobid_sdjwt_verify_kb(const mobid_sdjwt_parts *parts, const json_t *payload,
                                mobid_hash_alg hash, const uint8_t *sd_digest,
                                const mobid_alg *algs, mobid_time now, int64_t skew,
                                const mobid_sdjwt_verify_opts *o, char *detail, size_t dlen);
/* kb.c: sign a KB-JWT over presented (the SD-JWT up to its last '~'); appends it. */
mobid_err mobid_sdjwt_make_kb(mobid_view presented, mobid_hash_alg hash,
                              const mobid_sdjwt_present_params *p, mobid_alg alg, mobid_buf *out);

/* The metadata cache of issuer_meta.c, shared by type_meta.c. Documents are kept under
 * a key (an issuer identifier, or "vct " + a type) for the cache's TTL; get returns a new
 * reference or NULL; put keeps a reference (nothing cached when out of memory). fetch
 * GETs url through the lent transport within the size limit (FETCH_FAILED or TOO_BIG,
 * with detail); count_fetch adds one to the fetch counter. */
json_t *sdjwt_cache_get(mobid_sdjwt_issuer_cache *c, const char *key, mobid_time now);
void sdjwt_cache_put(mobid_sdjwt_issuer_cache *c, const char *key, json_t *doc, mobid_time now);
mobid_err sdjwt_cache_fetch(mobid_sdjwt_issuer_cache *c, const char *url, mobid_buf *body,
                           char *detail, size_t len);
void sdjwt_cache_count_fetch(mobid_sdjwt_issuer_cache *c);
/* Write the formatted detail (when detail and len) and return err. */
__attribute__((format(printf, 4, 5))) mobid_err sdjwt_say(char *detail, size_t len, mobid_err err,
                                                          const char *fmt, ...);

#endif
