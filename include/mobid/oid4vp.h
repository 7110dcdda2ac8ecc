/*
 * mobid oid4vp: OpenID for Verifiable Presentations 1.0 — DCQL queries, signed
 * request objects, responses (vp_token, direct_post.jwt), and the relying-party
 * registration signed by the ministry. No I/O: the verifier service and the wallet
 * bring transport and storage.
 *
 * DCQL (§6): a query lists credential queries (id, format "dc+sd-jwt" or "mso_mdoc",
 * meta vct_values / doctype_value, claims with a path and optional values, optional
 * claim_sets) and optional credential_sets. Claim paths (§7) are JSON arrays of
 * strings (object member), non-negative integers (array element) and null (every
 * element); for mso_mdoc a path is [namespace, element].
 *
 * Client identifiers are HAIP's "x509_hash:<base64url(SHA-256(DER leaf))>".
 *
 * Ownership: json_t arguments are borrowed (never stolen); json_t results are new
 * references the caller releases. Views are read during the call only. Structs that
 * a parse function fills own what they hold until their *_free / *_clear.
 */
#ifndef MOBID_OID4VP_H
#define MOBID_OID4VP_H

#include <jansson.h>
#include <mobid/base.h>
#include <mobid/crypto.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MOBID_OID4VP_FMT_SDJWT "dc+sd-jwt"
#define MOBID_OID4VP_FMT_MDOC "mso_mdoc"
#define MOBID_OID4VP_REQUEST_TYP "oauth-authz-req+jwt"
#define MOBID_OID4VP_REGISTRATION_TYP "rp-registration+jwt"
/* Limits on a DCQL query (a verifier takes queries from relying parties). */
#define MOBID_DCQL_MAX_CREDENTIALS 16
#define MOBID_DCQL_MAX_CLAIMS 64
#define MOBID_DCQL_MAX_PATH 16

/* ------------------------------------------------------------------ DCQL */

typedef enum mobid_dcql_format {
    MOBID_DCQL_SDJWT = 1,
    MOBID_DCQL_MDOC = 2
} mobid_dcql_format;

typedef struct mobid_dcql_claim {
    const char *id;        /* may be NULL (required when claim_sets are used) */
    const json_t *path;    /* array of string / integer / null (borrowed from the query) */
    const json_t *values;  /* array of allowed values, or NULL */
} mobid_dcql_claim;

typedef struct mobid_dcql_cred {
    const char *id;
    mobid_dcql_format format;
    const json_t *types;   /* array of strings: vct_values, or [doctype_value] */
    bool multiple;
    mobid_dcql_claim *claims;
    size_t n_claims;       /* 0: the query asks for no particular claim */
    const json_t *claim_sets; /* array of arrays of claim ids, or NULL */
    json_t *owned_;        /* internal: the mdoc types array */
} mobid_dcql_cred;

typedef struct mobid_dcql {
    json_t *query;         /* the validated query (a reference the struct owns) */
    mobid_dcql_cred *creds;
    size_t n_creds;
    const json_t *credential_sets; /* array or NULL */
} mobid_dcql;

/* Parse and validate a DCQL query object: ids unique and made of [A-Za-z0-9_-],
 * formats known, meta present with vct_values (non-empty array of strings) or
 * doctype_value, paths non-empty (mdoc: exactly two strings), claim ids unique, every
 * claim_sets / credential_sets entry naming existing ids, limits above respected.
 * *out is freed with mobid_dcql_free. Returns MOBID_OK, MALFORMED (detail in `detail`
 * when not NULL, at least 128 bytes), UNSUPPORTED (other formats), TOO_BIG, NOMEM. */
MOBID_MUST_CHECK mobid_err mobid_dcql_parse(const json_t *query, mobid_dcql **out,
                                            char *detail, size_t detail_len);
void mobid_dcql_free(mobid_dcql *q);

/* Find a credential query by id; NULL when absent. */
const mobid_dcql_cred *mobid_dcql_find(const mobid_dcql *q, const char *id);

/* True when a credential of format fmt and type (vct or doctype) may answer c. */
bool mobid_dcql_cred_accepts(const mobid_dcql_cred *c, mobid_dcql_format fmt, const char *type);

/* Apply the claims of c to a credential's claims (SD-JWT: the processed claim set;
 * mdoc: {"<ns>":{"<element>":value}}) and build *out: an object holding only the
 * requested claims, nested along their paths. Each claim must be present (and match
 * its values when given) — all of them, or all of one claim set. A credential query
 * without claims passes nothing on. Returns MOBID_OK, CLAIM_MISSING (detail says
 * which), NOMEM. */
MOBID_MUST_CHECK mobid_err mobid_dcql_select(const mobid_dcql_cred *c, const json_t *claims,
                                             json_t **out, char *detail, size_t detail_len);

/* Check that the ids answered (a NULL-terminated list) satisfy the query: every
 * required credential set has an option fully answered or, without credential_sets,
 * every credential query is answered. Returns MOBID_OK or DCQL_UNSATISFIED. */
MOBID_MUST_CHECK mobid_err mobid_dcql_satisfied(const mobid_dcql *q, const char *const *answered);

/* ------------------------------------------------- relying-party registration */

/* What the ministry registers for a relying party. allowed is an array of
 * {"format":"dc+sd-jwt"|"mso_mdoc","type":"<vct or doctype>","claims":[path,...]}
 * where each path (a DCQL claim path) also covers everything below it. */
typedef struct mobid_oid4vp_registration {
    json_t *payload;        /* the verified JWT payload (owned) */
    const char *rp_id;      /* "sub" */
    const char *name;       /* registered display name */
    const char *legal_basis;
    const json_t *allowed;  /* array, see above */
    const char *client_id;  /* the access certificate it is bound to, or NULL */
    mobid_time exp;
} mobid_oid4vp_registration;

typedef struct mobid_oid4vp_registration_params {
    const mobid_key *key;        /* ministry registration signer (private) */
    mobid_cert *const *x5c;      /* its certificate chain, leaf first */
    size_t x5c_len;
    const char *rp_id;
    const char *name;
    const char *legal_basis;
    const json_t *allowed;       /* validated as described above */
    const char *client_id;       /* binds the registration to one access certificate */
    mobid_time iat;              /* 0 = now */
    mobid_time exp;              /* required */
} mobid_oid4vp_registration_params;

/* Sign a registration JWT (typ rp-registration+jwt, x5c); appends it to out.
 * Returns MOBID_OK, INVALID_ARG (missing member, malformed allowed), KEY_INVALID,
 * NOMEM, CRYPTO. */
MOBID_MUST_CHECK mobid_err mobid_oid4vp_registration_sign(
    const mobid_oid4vp_registration_params *p, mobid_buf *out);

/* Verify a registration JWT: typ, ES256/384/512 signature by the x5c leaf, chain to
 * trust at `at`, sub/name/legal_basis/allowed present and well formed, exp after `at`.
 * Returns MOBID_OK, TYPE_MISMATCH, UNTRUSTED_ISSUER and the other chain errors,
 * SIGNATURE_INVALID, EXPIRED, MALFORMED, NOMEM. Release with
 * mobid_oid4vp_registration_clear. */
MOBID_MUST_CHECK mobid_err mobid_oid4vp_registration_verify(mobid_view jwt, mobid_trust *trust,
                                                            mobid_time at,
                                                            mobid_oid4vp_registration *out);
void mobid_oid4vp_registration_clear(mobid_oid4vp_registration *r);

/* True when every claim of every credential query of q is allowed for its format and
 * each of its types. Returns MOBID_OK or CLAIM_NOT_ALLOWED (detail says which). */
MOBID_MUST_CHECK mobid_err mobid_oid4vp_registration_allows(const mobid_oid4vp_registration *r,
                                                            const mobid_dcql *q, char *detail,
                                                            size_t detail_len);

/* ------------------------------------------------------------ requests */

/* "x509_hash:" + base64url(SHA-256(DER of leaf)), appended to out. */
mobid_err mobid_oid4vp_client_id(const mobid_cert *leaf, mobid_buf *out);
/* A fresh nonce or state: 256 random bits, base64url (43 characters), appended. */
MOBID_MUST_CHECK mobid_err mobid_oid4vp_random_token(mobid_buf *out);

typedef struct mobid_oid4vp_request_params {
    const mobid_key *key;          /* access certificate key (private) */
    mobid_cert *const *x5c;        /* access certificate chain, leaf first */
    size_t x5c_len;
    const char *response_uri;
    const char *nonce;             /* at least 22 characters (128 bits) */
    const char *state;
    const json_t *dcql_query;
    bool encrypted;                /* direct_post.jwt (else direct_post) */
    const mobid_key *enc_key;      /* encrypted: the ephemeral ECDH-ES P-256 key (public
                                    * part goes to client_metadata.jwks) */
    const char *registration;      /* registration JWT for verifier_info, or NULL */
    mobid_time iat;                /* 0 = now */
    mobid_time exp;                /* 0 = iat + 180 */
} mobid_oid4vp_request_params;

/* Build and sign the request object (typ oauth-authz-req+jwt, x5c, client_id
 * x509_hash of the leaf, response_type vp_token, response_mode, response_uri, nonce,
 * state, dcql_query, client_metadata with vp_formats_supported and, encrypted, jwks
 * {"keys":[{..,"use":"enc","alg":"ECDH-ES","kid":thumbprint}]} and
 * encrypted_response_enc_values_supported ["A128GCM","A256GCM"]; verifier_info when a
 * registration is given). Appends the compact JWS to out. Returns MOBID_OK,
 * INVALID_ARG, KEY_INVALID, NOMEM, CRYPTO. */
MOBID_MUST_CHECK mobid_err mobid_oid4vp_request_sign(const mobid_oid4vp_request_params *p,
                                                     mobid_buf *out);

/* What every request object signed with one access certificate shares (the
 * protected header with its x5c, client_id, client_metadata's formats,
 * verifier_info), encoded once so that each request writes only its session's
 * values. Immutable once made: one signer may serve many threads. */
typedef struct mobid_oid4vp_request_signer mobid_oid4vp_request_signer;

/* A signer for key (private; a reference is taken), its chain x5c (leaf first; read
 * now, not kept) and registration (a registration JWT for verifier_info, or NULL;
 * copied). *out is released with mobid_oid4vp_request_signer_free. Returns MOBID_OK,
 * INVALID_ARG (no private key, a key no ES* algorithm fits, no chain), NOMEM. */
MOBID_MUST_CHECK mobid_err mobid_oid4vp_request_signer_new(mobid_key *key,
                                                           mobid_cert *const *x5c,
                                                           size_t x5c_len,
                                                           const char *registration,
                                                           mobid_oid4vp_request_signer **out);
void mobid_oid4vp_request_signer_free(mobid_oid4vp_request_signer *s);

/* mobid_oid4vp_request_sign with the signer's key, chain and registration (p's key,
 * x5c and registration are not read): the same request object, appended to out.
 * Returns what mobid_oid4vp_request_sign returns; INVALID_ARG also for a string of
 * p that is not UTF-8. */
MOBID_MUST_CHECK mobid_err mobid_oid4vp_request_sign_with(const mobid_oid4vp_request_signer *s,
                                                          const mobid_oid4vp_request_params *p,
                                                          mobid_buf *out);

/* A request object as a wallet sees it after verification. */
typedef struct mobid_oid4vp_request {
    json_t *payload;          /* owned */
    const char *client_id;
    const char *nonce;
    const char *state;        /* may be NULL */
    const char *response_uri;
    bool encrypted;           /* response_mode direct_post.jwt */
    mobid_key *enc_key;       /* encrypted: the verifier's public key (owned) */
    const char *enc_kid;      /* encrypted: that key's kid in client_metadata.jwks, or
                                 NULL when it has none (points into payload) */
    const json_t *dcql_query;
    bool has_registration;    /* verifier_info carried a registration that verified */
    mobid_oid4vp_registration registration;
    char *subject;            /* the access certificate's subject (RFC 2253), owned; may
                                 be NULL */
} mobid_oid4vp_request;

/* Verify a request object: typ, signature by the x5c leaf, the chain to rp_trust at
 * `at`, client_id = x509_hash of that leaf, response_type vp_token, a known
 * response_mode, response_uri, nonce (>= 22 characters), dcql_query, jwks with one
 * P-256 encryption key for direct_post.jwt, exp after `at`. With reg_trust, a
 * registration in verifier_info must verify against it, name this client_id when it
 * names one, and allow the query. Returns MOBID_OK, TYPE_MISMATCH, the chain errors,
 * SIGNATURE_INVALID, SUBJECT_MISMATCH (client_id), EXPIRED, MALFORMED, RP_NOT_REGISTERED
 * (no registration when reg_trust is given, or one whose signer has no path to
 * reg_trust), CLAIM_NOT_ALLOWED, NOMEM. Release with
 * mobid_oid4vp_request_clear. */
MOBID_MUST_CHECK mobid_err mobid_oid4vp_request_verify(mobid_view jwt, mobid_trust *rp_trust,
                                                       mobid_trust *reg_trust, mobid_time at,
                                                       mobid_oid4vp_request *out);
void mobid_oid4vp_request_clear(mobid_oid4vp_request *r);

/* ------------------------------------------------------------ responses */

/* Encrypt the response parameters (an object such as {"vp_token":{...},"state":...})
 * to the verifier's key as an ECDH-ES JWE (enc A128GCM; kid = the key's thumbprint)
 * and append the compact JWE to out (for wallets and tests). */
MOBID_MUST_CHECK mobid_err mobid_oid4vp_response_encrypt(const json_t *params,
                                                         const mobid_key *verifier_key,
                                                         mobid_buf *out);
/* The wallet's way: encrypt to the key of a verified request (req->enc_key) with
 * that key's own kid from client_metadata.jwks (OpenID4VP 1.0 §8.3 asks for the same
 * value), the thumbprint only when the key has none. Returns as
 * mobid_oid4vp_response_encrypt; INVALID_ARG for a request that is not encrypted. */
MOBID_MUST_CHECK mobid_err mobid_oid4vp_response_encrypt_for(const mobid_oid4vp_request *req,
                                                             const json_t *params,
                                                             mobid_buf *out);
/* Decrypt a direct_post.jwt "response" with the session's private key and return its
 * parameters (a JSON object). Returns MOBID_OK, DECRYPT_FAILED and the other
 * mobid_jwe_decrypt errors, MALFORMED (payload not an object), NOMEM. */
MOBID_MUST_CHECK mobid_err mobid_oid4vp_response_decrypt(mobid_view jwe, const mobid_key *key,
                                                         json_t **params);

/* Parse a vp_token (a JSON object, or its text in a string) against the query: every
 * key names a credential query, every value is a non-empty array of strings (one
 * unless the query says multiple). *out receives the object (new reference).
 * Returns MOBID_OK, MALFORMED, DCQL_UNSATISFIED (unknown id or too many), NOMEM. */
MOBID_MUST_CHECK mobid_err mobid_oid4vp_vp_token_parse(const json_t *vp_token, const mobid_dcql *q,
                                                       json_t **out);

#ifdef __cplusplus
}
#endif
#endif
